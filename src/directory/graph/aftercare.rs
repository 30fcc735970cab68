//! Hand-off and after-care calls: the Temporary Access Pass policy and passes, and the reads
//! of the after-care report (the user again, its licences, its group count through `$batch`,
//! and the tenant's `subscribedSkus`).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::GraphDirectory;
use super::transport::{Call, Outcome};
use crate::auth::claims::{TokenClaims, tap_check};
use crate::directory::aftercare::{
    AfterCareReads, Licence, MailboxRead, Sku, UserReads, UserState,
};
use crate::directory::batch::{self, InnerRequest};
use crate::directory::retry::Op;
use crate::directory::tap::{IssuedTap, LIFETIME_RANGE, TapAvailability, TapPolicy, TapRequest};
use crate::directory::{DirResult, DirectoryError, ErrorKind};
use undelete_common::sanitize::clean;

/// Users per `$batch` of after-care reads: three requests each, within Graph's 20.
const USERS_PER_READ_BATCH: usize = batch::MAX_REQUESTS / 3;

/// Rounds of resending the reads a `$batch` answered with 429.
const READ_ROUNDS: u32 = 3;

const USER_SELECT: &str =
    "id,userPrincipalName,proxyAddresses,accountEnabled,usageLocation,assignedLicenses";

fn malformed(what: &str, e: impl std::fmt::Display) -> DirectoryError {
    DirectoryError::malformed(format!(
        "the reply to {what} is not what Microsoft Graph sends: {e}"
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePolicy {
    state: Option<String>,
    default_lifetime_in_minutes: Option<u32>,
    minimum_lifetime_in_minutes: Option<u32>,
    maximum_lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    is_usable_once: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTap {
    id: Option<String>,
    temporary_access_pass: Option<String>,
    start_date_time: Option<DateTime<Utc>>,
    created_date_time: Option<DateTime<Utc>>,
    lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    is_usable_once: bool,
}

/// A pass as the server sent it, refused unless it is plain printable ASCII: it is shown on
/// the terminal and mailed as it is, so it must not carry anything a terminal acts on.
fn checked_pass(pass: &str) -> DirResult<SecretString> {
    let plain = !pass.is_empty()
        && pass.len() <= 256
        && pass.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if plain {
        Ok(SecretString::from(pass.to_string()))
    } else {
        Err(malformed(
            "a Temporary Access Pass request",
            "the pass holds characters a pass cannot have",
        ))
    }
}

pub(crate) fn parse_policy(body: &[u8]) -> DirResult<TapPolicy> {
    let w: WirePolicy =
        serde_json::from_slice(body).map_err(|e| malformed("the pass policy read", e))?;
    let min = w.minimum_lifetime_in_minutes.unwrap_or(LIFETIME_RANGE.0);
    let max = w.maximum_lifetime_in_minutes.unwrap_or(LIFETIME_RANGE.1);
    Ok(TapPolicy {
        enabled: w
            .state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("enabled")),
        default_lifetime: w.default_lifetime_in_minutes.unwrap_or(60).clamp(min, max),
        min_lifetime: min,
        max_lifetime: max,
        usable_once: w.is_usable_once,
    })
}

fn parse_tap(body: &[u8]) -> DirResult<IssuedTap> {
    let w: WireTap = serde_json::from_slice(body)
        .map_err(|e| malformed("a Temporary Access Pass request", e))?;
    let pass = w.temporary_access_pass.as_deref().ok_or_else(|| {
        malformed(
            "a Temporary Access Pass request",
            "the reply has no temporaryAccessPass",
        )
    })?;
    Ok(IssuedTap {
        pass: checked_pass(pass)?,
        method_id: clean(w.id.as_deref().unwrap_or_default()),
        starts: w
            .start_date_time
            .or(w.created_date_time)
            .unwrap_or_else(Utc::now),
        lifetime_minutes: w.lifetime_in_minutes.unwrap_or(60),
        usable_once: w.is_usable_once,
    })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(clean).collect())
        .unwrap_or_default()
}

fn parse_user_state(v: &Value) -> DirResult<UserState> {
    let upn = v
        .get("userPrincipalName")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("a user read", "the user has no userPrincipalName"))?;
    Ok(UserState {
        upn: clean(upn),
        proxy_addresses: strings(v.get("proxyAddresses").unwrap_or(&Value::Null)),
        account_enabled: v.get("accountEnabled").and_then(Value::as_bool),
        usage_location: v
            .get("usageLocation")
            .and_then(Value::as_str)
            .map(clean)
            .filter(|s| !s.trim().is_empty()),
        assigned_skus: v
            .get("assignedLicenses")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|l| l.get("skuId").and_then(Value::as_str))
                    .map(clean)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// A mailbox read's answer: a 404 `MailboxNotEnabledForRESTAPI` is an answer, not a failure.
fn mailbox(read: DirResult<()>) -> DirResult<MailboxRead> {
    match read {
        Ok(()) => Ok(MailboxRead::Found),
        Err(e)
            if e.status == Some(404)
                && e.code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(MAILBOX_NOT_ENABLED)) =>
        {
            Ok(MailboxRead::NotEnabled)
        }
        Err(e) => Err(e),
    }
}

/// Graph's code for a user Exchange has no (REST-reachable) mailbox for.
pub(crate) const MAILBOX_NOT_ENABLED: &str = "MailboxNotEnabledForRESTAPI";

/// An Exchange Online service plan (`EXCHANGE_S_ENTERPRISE`, `EXCHANGE_S_STANDARD`, …) that
/// is not disabled in this licence.
fn has_exchange(l: &Value) -> bool {
    l.get("servicePlans")
        .and_then(Value::as_array)
        .is_some_and(|plans| {
            plans.iter().any(|p| {
                let name = p
                    .get("servicePlanName")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let status = p
                    .get("provisioningStatus")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                name.to_ascii_uppercase().starts_with("EXCHANGE_S_")
                    && !status.eq_ignore_ascii_case("Disabled")
            })
        })
}

fn parse_licences(v: &Value) -> DirResult<Vec<Licence>> {
    let list = v
        .get("value")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("a licence read", "no value list"))?;
    Ok(list
        .iter()
        .map(|l| Licence {
            sku_id: clean(l.get("skuId").and_then(Value::as_str).unwrap_or_default()),
            part_number: clean(
                l.get("skuPartNumber")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            ),
            exchange: has_exchange(l),
        })
        .collect())
}

/// `$count` answers with a bare number (text/plain). Inside a `$batch` Graph sends that text
/// in base64 (`content` decodes it); a number or the text as it is are read too.
fn parse_count(r: &batch::InnerResponse) -> DirResult<u64> {
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().trim_start_matches('\u{feff}').parse().ok(),
        _ => None,
    };
    r.content()
        .as_ref()
        .and_then(number)
        .or_else(|| r.body.as_ref().and_then(number))
        .ok_or_else(|| malformed("a group count", "not a number"))
}

pub(crate) fn parse_skus(body: &[u8]) -> DirResult<Vec<Sku>> {
    let v: Value = serde_json::from_slice(body).map_err(|e| malformed("subscribedSkus", e))?;
    let list = v
        .get("value")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("subscribedSkus", "no value list"))?;
    Ok(list
        .iter()
        .map(|s| Sku {
            sku_id: clean(s.get("skuId").and_then(Value::as_str).unwrap_or_default()),
            part_number: clean(
                s.get("skuPartNumber")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            ),
            enabled: s
                .pointer("/prepaidUnits/enabled")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            consumed: s.get("consumedUnits").and_then(Value::as_i64).unwrap_or(0),
        })
        .collect())
}

impl GraphDirectory {
    /// True when the Graph host is one where the pass API does not exist (21Vianet).
    fn tap_missing_in_cloud(&self) -> bool {
        self.inner
            .graph_root
            .host_str()
            .is_some_and(|h| h.to_ascii_lowercase().ends_with("chinacloudapi.cn"))
    }

    pub(super) async fn tap_availability_now(&self) -> TapAvailability {
        if self.tap_missing_in_cloud() {
            return TapAvailability::Unavailable(
                "Temporary Access Passes are not available in the China (21Vianet) cloud's \
                 Microsoft Graph"
                    .into(),
            );
        }
        // Our own token says whether we may issue passes; an opaque token says nothing, and
        // then the directory decides at the first pass.
        if let Ok(token) = self.inner.tokens.token().await
            && let Ok(claims) = TokenClaims::decode(token.secret.expose_secret())
            && (!claims.granted().is_empty() || claims.identity_type.is_some())
            && let Some(w) = tap_check(&claims)
        {
            return TapAvailability::Unavailable(w.to_string());
        }
        let url = match self.url(
            &[
                "policies",
                "authenticationMethodsPolicy",
                "authenticationMethodConfigurations",
                "TemporaryAccessPass",
            ],
            &[],
        ) {
            Ok(u) => u,
            Err(e) => return TapAvailability::Unavailable(e.message),
        };
        match self
            .get(url, false)
            .await
            .and_then(|r| parse_policy(&r.body))
        {
            Ok(p) if p.enabled => TapAvailability::Available(p),
            Ok(_) => TapAvailability::Unavailable(
                "Temporary Access Pass is disabled in the tenant's authentication methods \
                 policy (Entra admin center > Authentication methods > Temporary Access Pass)"
                    .into(),
            ),
            // Allowed to issue passes but not to read the policy: Graph's own bounds apply,
            // and the directory refuses a pass its policy does not allow.
            Err(e) if e.kind == ErrorKind::Forbidden => {
                tracing::info!("the pass policy could not be read (403); Graph's bounds apply");
                TapAvailability::Available(TapPolicy {
                    enabled: true,
                    default_lifetime: 60,
                    min_lifetime: LIFETIME_RANGE.0,
                    max_lifetime: LIFETIME_RANGE.1,
                    usable_once: false,
                })
            }
            Err(e) if e.kind == ErrorKind::NotFound => TapAvailability::Unavailable(
                "this cloud's Microsoft Graph has no Temporary Access Pass policy (the API \
                 does not exist here)"
                    .into(),
            ),
            Err(e) => TapAvailability::Unavailable(format!(
                "the tenant's pass policy could not be read: {}",
                e.message
            )),
        }
    }

    pub(super) async fn create_tap_now(&self, id: String, req: TapRequest) -> DirResult<IssuedTap> {
        batch::check_job_id(&id)?;
        let url = self.url(
            &["users", &id, "authentication", "temporaryAccessPassMethods"],
            &[],
        )?;
        let body = json!({
            "lifetimeInMinutes": req.lifetime_minutes,
            "isUsableOnce": req.usable_once,
        });
        let call = Call {
            method: Method::POST,
            url,
            body: Some(body.to_string().into_bytes()),
            eventual: false,
            // Sent again after a lost reply, the new pass replaces the one nobody saw.
            op: Op::Idempotent,
            writes: 1,
            restore_id: None,
            max_body: self.inner.max_body,
            deadline: None,
        };
        match self.write(call).await? {
            Outcome::Reply(r) => parse_tap(&r.body),
            Outcome::AlreadyRestored(_) | Outcome::AlreadyDone => Err(DirectoryError::malformed(
                "unexpected outcome of a pass request",
            )),
        }
    }

    pub(super) async fn after_care_now(&self, ids: Vec<String>) -> AfterCareReads {
        let skus = match self.url(&["subscribedSkus"], &[]) {
            Ok(url) => self.get(url, false).await.and_then(|r| parse_skus(&r.body)),
            Err(e) => Err(e),
        };
        let chunks: Vec<Vec<String>> = ids
            .chunks(USERS_PER_READ_BATCH)
            .map(<[String]>::to_vec)
            .collect();
        let mut done: Vec<UserReads> = stream::iter(chunks)
            .map(|chunk| self.read_chunk(chunk))
            .buffer_unordered(self.inner.concurrency)
            .flat_map(stream::iter)
            .collect()
            .await;
        done.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
        AfterCareReads { skus, users: done }
    }

    /// One `$batch` of reads for a few users; reads answered 429 are sent again a few times.
    async fn read_chunk(&self, ids: Vec<String>) -> Vec<UserReads> {
        let mut results: HashMap<String, batch::InnerResponse> = HashMap::new();
        let mut errors: HashMap<String, DirectoryError> = HashMap::new();
        let mut requests: Vec<InnerRequest> = Vec::new();
        for (n, id) in ids.iter().enumerate() {
            if let Err(e) = batch::check_job_id(id) {
                for k in ["u", "l", "g", "m"] {
                    errors.insert(format!("{n}{k}"), e.clone());
                }
                continue;
            }
            let mut eventual = Map::new();
            eventual.insert("ConsistencyLevel".into(), json!("eventual"));
            requests.push(InnerRequest {
                id: format!("{n}u"),
                method: "GET",
                url: format!("/users/{id}?$select={USER_SELECT}"),
                headers: None,
                body: None,
                depends_on: None,
            });
            requests.push(InnerRequest {
                id: format!("{n}l"),
                method: "GET",
                url: format!("/users/{id}/licenseDetails"),
                headers: None,
                body: None,
                depends_on: None,
            });
            requests.push(InnerRequest {
                id: format!("{n}g"),
                method: "GET",
                url: format!("/users/{id}/memberOf/$count"),
                headers: Some(eventual),
                body: None,
                depends_on: None,
            });
            requests.push(InnerRequest {
                id: format!("{n}m"),
                method: "GET",
                url: format!("/users/{id}/mailboxSettings"),
                headers: None,
                body: None,
                depends_on: None,
            });
        }
        for round in 0..READ_ROUNDS {
            if requests.is_empty() {
                break;
            }
            let mut wait = Duration::ZERO;
            let mut again = Vec::new();
            match self.send_read_batch(&requests, None, 0).await {
                Ok(mut responses) => {
                    for req in requests.drain(..) {
                        match responses.remove(&req.id) {
                            Some(r) if (200..300).contains(&r.status) => {
                                results.insert(req.id.clone(), r);
                            }
                            Some(r) if r.status == 429 && round + 1 < READ_ROUNDS => {
                                let e = r.error();
                                wait = wait.max(e.retry_after.unwrap_or(Duration::from_secs(1)));
                                again.push(req);
                            }
                            Some(r) => {
                                errors.insert(req.id.clone(), r.error());
                            }
                            None => {
                                errors.insert(
                                    req.id.clone(),
                                    DirectoryError::network("the $batch reply left this read out"),
                                );
                            }
                        }
                    }
                }
                Err(e) => {
                    for req in requests.drain(..) {
                        errors.insert(req.id.clone(), e.clone());
                    }
                }
            }
            requests = again;
            if !requests.is_empty() {
                // Reads wait at most a minute: the report is worth less than the admin's time.
                tokio::time::sleep(wait.min(Duration::from_secs(60))).await;
            }
        }
        let take = |key: String| -> DirResult<&batch::InnerResponse> {
            results.get(&key).ok_or_else(|| {
                errors
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| DirectoryError::network("the read was not answered"))
            })
        };
        let json = |r: &batch::InnerResponse| r.content().unwrap_or_default();
        ids.iter()
            .enumerate()
            .map(|(n, id)| UserReads {
                id: id.clone(),
                user: take(format!("{n}u")).and_then(|r| parse_user_state(&json(r))),
                licences: take(format!("{n}l")).and_then(|r| parse_licences(&json(r))),
                groups: take(format!("{n}g")).and_then(parse_count),
                mailbox: mailbox(take(format!("{n}m")).map(|_| ())),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_with_control_characters_is_refused() {
        assert!(checked_pass("Ab3$xyz9").is_ok());
        assert!(checked_pass("Ab\u{1b}[2J").is_err());
        assert!(checked_pass("").is_err());
    }

    fn count_reply(body: Value, content_type: &str) -> batch::InnerResponse {
        let reply = json!({"responses": [{
            "id": "0g", "status": 200, "headers": {"Content-Type": content_type}, "body": body,
        }]});
        let mut r = batch::parse_reply(reply.to_string().as_bytes(), None).unwrap();
        r.remove("0g").unwrap()
    }

    #[test]
    fn counts_come_in_base64_as_numbers_or_as_text() {
        // As Graph sends the text/plain of $count inside a $batch: "12" in base64.
        let graph = count_reply(json!("MTI="), "text/plain");
        assert_eq!(parse_count(&graph).unwrap(), 12);
        assert_eq!(
            parse_count(&count_reply(json!("77u/Mw=="), "text/plain")).unwrap(),
            3,
            "with a byte-order mark"
        );
        assert_eq!(
            parse_count(&count_reply(json!(4), "text/plain")).unwrap(),
            4
        );
        assert_eq!(
            parse_count(&count_reply(json!("12"), "text/plain")).unwrap(),
            12
        );
        // Digits that happen to be base64 of text ("0400" decodes to "\u{4cd}4"): as sent.
        assert_eq!(
            parse_count(&count_reply(json!("0400"), "text/plain")).unwrap(),
            400
        );
        assert_eq!(
            parse_count(&count_reply(json!(7), "application/json")).unwrap(),
            7
        );
        let e = parse_count(&count_reply(json!("eA=="), "text/plain")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed);
        assert!(e.message.contains("group count"), "{e}");
    }

    #[test]
    fn policy_defaults_fill_what_is_missing() {
        let p = parse_policy(br#"{"state":"enabled","defaultLifetimeInMinutes":120}"#).unwrap();
        assert!(p.enabled);
        assert_eq!(p.default_lifetime, 120);
        assert_eq!((p.min_lifetime, p.max_lifetime), LIFETIME_RANGE);
        assert!(!parse_policy(br#"{"state":"disabled"}"#).unwrap().enabled);
    }
}
