//! Graph's JSON shapes, and their conversion into domain types.
//!
//! Everything the server sends is untrusted: every string goes through `sanitize::clean` here,
//! before it reaches a domain type, and anything that does not have Graph's shape becomes an
//! `ErrorKind::Malformed` error that says what was wrong, never a panic.

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ActiveUser, DeletedPage, DeletedUser, DirResult, DirectoryError, Domain, ErrorKind,
    MailMessage, Me, PasswordChange, PasswordVerdict, RestoreRequest, Sent, StoredStrings,
};
use undelete_common::sanitize::{clean, clean_opt, clean_owned, is_plain};

/// Exactly the fields the app shows for a deleted user. `deletedDateTime`, `department`,
/// `proxyAddresses` and `onPremisesSyncEnabled` only come back when selected (DESIGN.md 4.1).
pub const DELETED_SELECT: &str = "id,displayName,userPrincipalName,mail,proxyAddresses,\
department,jobTitle,deletedDateTime,onPremisesSyncEnabled,userType,accountEnabled";

/// What the app needs of an active user (conflict checks and restore results).
pub const ACTIVE_SELECT: &str = "id,displayName,userPrincipalName,mail,proxyAddresses";

pub const ME_SELECT: &str = "id,displayName,userPrincipalName,mail";

/// Longest server message kept in an error; Graph's are a sentence or two.
const MAX_MESSAGE: usize = 600;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireUser {
    id: Option<String>,
    display_name: Option<String>,
    user_principal_name: Option<String>,
    mail: Option<String>,
    proxy_addresses: Option<Vec<String>>,
    department: Option<String>,
    job_title: Option<String>,
    deleted_date_time: Option<String>,
    on_premises_sync_enabled: Option<bool>,
    user_type: Option<String>,
    account_enabled: Option<bool>,
}

#[derive(Deserialize)]
struct WirePage {
    value: Vec<WireUser>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(rename = "@odata.count")]
    count: Option<u64>,
}

#[derive(Deserialize)]
struct WireErrorEnvelope {
    error: WireError,
}

#[derive(Deserialize)]
struct WireError {
    code: Option<String>,
    message: Option<String>,
    #[serde(rename = "innerError", alias = "innererror")]
    inner_error: Option<WireInnerError>,
    #[serde(default)]
    details: Vec<WireDetail>,
}

#[derive(Deserialize)]
struct WireInnerError {
    #[serde(rename = "request-id")]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct WireDetail {
    code: Option<String>,
    target: Option<String>,
    message: Option<String>,
}

/// One parsed page and the link to the next one (still to be checked by the caller).
pub struct ParsedPage {
    pub page: DeletedPage,
    pub next_link: Option<String>,
}

fn malformed(what: &str, err: impl std::fmt::Display) -> DirectoryError {
    DirectoryError::malformed(format!(
        "the reply to {what} is not what Microsoft Graph sends: {err}"
    ))
}

fn from_slice<'a, T: Deserialize<'a>>(body: &'a [u8], what: &str) -> DirResult<T> {
    if body.is_empty() {
        return Err(malformed(what, "the body is empty"));
    }
    serde_json::from_slice(body).map_err(|e| malformed(what, e))
}

fn from_value<T: for<'de> Deserialize<'de>>(body: Value, what: &str) -> DirResult<T> {
    serde_json::from_value(body).map_err(|e| malformed(what, e))
}

/// A page of `GET /directory/deletedItems/microsoft.graph.user`.
pub fn parse_deleted_page(body: &[u8]) -> DirResult<ParsedPage> {
    parse_page(body, false)
}

/// `parse_deleted_page`, each user also keeping its strings as stored.
pub fn parse_deleted_page_stored(body: &[u8]) -> DirResult<ParsedPage> {
    parse_page(body, true)
}

fn parse_page(body: &[u8], stored: bool) -> DirResult<ParsedPage> {
    let wire: WirePage = from_slice(body, "the deleted-users listing")?;
    let users = wire
        .value
        .into_iter()
        .map(|w| {
            // Strings `clean` keeps as they are need neither cleaning nor a stored copy:
            // the cleaned ones are the stored ones.
            let plain = all_plain(&w);
            let kept = (stored && !plain).then(|| stored_strings(&w));
            let mut user = deleted_user_of(w, plain)?;
            if let Some(mut kept) = kept {
                kept.original_upn = original_upn(&user.id, &kept.deleted_upn, kept.mail.as_deref());
                if kept.display_name.is_empty() {
                    kept.display_name = kept.original_upn.clone();
                }
                user.stored = Some(Box::new(kept));
            }
            Ok(user)
        })
        .collect::<DirResult<Vec<_>>>()?;
    Ok(ParsedPage {
        page: DeletedPage {
            users,
            total: wire.count,
        },
        next_link: wire.next_link,
    })
}

/// Whether `clean` keeps every string of a deleted user as it is.
fn all_plain(w: &WireUser) -> bool {
    [
        &w.display_name,
        &w.user_principal_name,
        &w.mail,
        &w.department,
        &w.job_title,
        &w.user_type,
    ]
    .into_iter()
    .all(|s| s.as_deref().is_none_or(is_plain))
        && w.proxy_addresses.iter().flatten().all(|p| is_plain(p))
}

/// The `@odata.nextLink` of a listing's page, found without reading its users, so the next
/// page can be asked for at once. A key is a string that a colon follows, which no string
/// value is (one is followed by `,`, `]` or `}`), and no string holds an unescaped quote: so
/// the first `"@odata.nextLink"` a colon follows is the key. (A nested key of that name could
/// only come from the server, which picks its links anyway; the page's full parse says the
/// same link or fails it.)
pub fn next_link_of(body: &[u8]) -> DirResult<Option<String>> {
    const KEY: &[u8] = b"\"@odata.nextLink\"";
    for at in memchr::memmem::find_iter(body, KEY) {
        let rest = body[at + KEY.len()..].trim_ascii_start();
        if let Some(value) = rest.strip_prefix(b":") {
            let mut de = serde_json::Deserializer::from_slice(value);
            return Option::<String>::deserialize(&mut de)
                .map_err(|e| malformed("the deleted-users listing", e));
        }
    }
    Ok(None)
}

/// `GET /directory/deletedItems/{id}`.
pub fn parse_deleted(body: &[u8]) -> DirResult<DeletedUser> {
    deleted_user(from_slice(body, "a deleted-user lookup")?)
}

/// A single user object: a restore's reply or `GET /users/{id}`.
pub fn parse_active(body: &[u8]) -> DirResult<ActiveUser> {
    active_user(from_slice(body, "a user lookup")?)
}

/// An inner `$batch` response's body for `GET /directory/deletedItems/{id}`.
pub fn parse_deleted_value(body: Value) -> DirResult<DeletedUser> {
    deleted_user(from_value(body, "a deleted-user lookup")?)
}

pub fn parse_active_value(body: Value) -> DirResult<ActiveUser> {
    active_user(from_value(body, "a restore")?)
}

/// `GET /me` or `GET /users/{sender}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDomain {
    id: Option<String>,
    #[serde(default)]
    is_verified: bool,
}

#[derive(Deserialize)]
struct WireDomains {
    value: Vec<WireDomain>,
}

/// `GET /domains`: every domain with a name; the names cleaned like every server string.
pub fn parse_domains(body: &[u8]) -> DirResult<Vec<Domain>> {
    let list: WireDomains = serde_json::from_slice(body)
        .map_err(|e| DirectoryError::malformed(format!("the domain list is not Graph's: {e}")))?;
    Ok(list
        .value
        .into_iter()
        .filter_map(|d| {
            d.id.map(|id| Domain {
                name: clean(&id),
                verified: d.is_verified,
            })
        })
        .collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireVerdict {
    is_valid: bool,
    #[serde(default)]
    validation_results: Vec<WireValidationResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireValidationResult {
    #[serde(default)]
    validation_passed: bool,
    message: Option<String>,
    rule_name: Option<String>,
}

/// `POST /beta/users/validatePassword`: the verdict and the messages of the rules it failed.
pub fn parse_password_verdict(body: &[u8]) -> DirResult<PasswordVerdict> {
    let v: WireVerdict = serde_json::from_slice(body).map_err(|e| {
        DirectoryError::malformed(format!("the password verdict is not Graph's: {e}"))
    })?;
    Ok(PasswordVerdict {
        valid: v.is_valid,
        messages: v
            .validation_results
            .into_iter()
            .filter(|r| !r.validation_passed)
            .filter_map(|r| r.message.or(r.rule_name))
            .map(|m| clean(&m))
            .collect(),
    })
}

pub fn parse_me(body: &[u8]) -> DirResult<Me> {
    let w: WireUser = from_slice(body, "who-am-I")?;
    let upn = w
        .user_principal_name
        .as_deref()
        .map(clean)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| malformed("who-am-I", "it has no userPrincipalName"))?;
    Ok(Me {
        id: w.id.as_deref().map(clean),
        display_name: w
            .display_name
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| upn.clone()),
        user_principal_name: upn,
        mail: clean_opt(w.mail.as_deref()),
    })
}

/// An object id as it will be put back into URLs: it must be present and plain, because a
/// hostile id (`../me`, `x?$filter=`) would otherwise redirect a later call.
pub fn checked_id(id: Option<&str>) -> DirResult<String> {
    let id = id.ok_or_else(|| malformed("a user", "a user has no id"))?;
    let plain = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if plain && id != "." && id != ".." {
        Ok(id.to_string())
    } else {
        Err(malformed(
            "a user",
            format!("the id {:?} is not a directory object id", clean(id)),
        ))
    }
}

/// The strings of a listed user as they came, before `clean` (`original_upn` is filled in by
/// the caller, once the id is checked).
fn stored_strings(w: &WireUser) -> StoredStrings {
    StoredStrings {
        display_name: w.display_name.clone().unwrap_or_default(),
        deleted_upn: w.user_principal_name.clone().unwrap_or_default(),
        original_upn: String::new(),
        mail: w.mail.clone().filter(|m| !m.is_empty()),
        proxy_addresses: w.proxy_addresses.clone().unwrap_or_default(),
        department: w.department.clone(),
        job_title: w.job_title.clone(),
        user_type: w.user_type.clone(),
    }
}

fn deleted_user(w: WireUser) -> DirResult<DeletedUser> {
    let plain = all_plain(&w);
    deleted_user_of(w, plain)
}

/// A deleted user from its wire form; `plain`: `all_plain(&w)`, every string kept as it is.
fn deleted_user_of(w: WireUser, plain: bool) -> DirResult<DeletedUser> {
    let clean_owned = |s: String| if plain { s } else { clean_owned(s) };
    let id = checked_id(w.id.as_deref())?;
    let deleted_upn = w.user_principal_name.map(clean_owned).unwrap_or_default();
    let mail = w.mail.map(clean_owned).filter(|m| !m.is_empty());
    let deleted_at = match w.deleted_date_time.as_deref() {
        None => None,
        Some(raw) => Some(
            DateTime::parse_from_rfc3339(raw)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| {
                    malformed(
                        "the deleted-users listing",
                        format!("deletedDateTime {:?} of user {id}: {e}", clean(raw)),
                    )
                })?,
        ),
    };
    let original_upn = original_upn(&id, &deleted_upn, mail.as_deref());
    Ok(DeletedUser {
        display_name: w
            .display_name
            .map(clean_owned)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| original_upn.clone()),
        original_upn,
        deleted_upn,
        mail,
        proxy_addresses: w
            .proxy_addresses
            .unwrap_or_default()
            .into_iter()
            .map(clean_owned)
            .collect(),
        department: w.department.map(clean_owned),
        job_title: w.job_title.map(clean_owned),
        deleted_at,
        on_premises_sync_enabled: w.on_premises_sync_enabled.unwrap_or(false),
        user_type: w.user_type.map(clean_owned),
        // Only a `false` said by the directory: a listing that leaves it out says nothing.
        account_disabled: w.account_enabled == Some(false),
        id,
        stored: None,
    })
}

fn active_user(w: WireUser) -> DirResult<ActiveUser> {
    let id = checked_id(w.id.as_deref())?;
    let upn = w
        .user_principal_name
        .as_deref()
        .map(clean)
        .unwrap_or_default();
    Ok(ActiveUser {
        display_name: w
            .display_name
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| upn.clone()),
        user_principal_name: upn,
        mail: clean_opt(w.mail.as_deref()).filter(|m| !m.is_empty()),
        proxy_addresses: w
            .proxy_addresses
            .unwrap_or_default()
            .iter()
            .map(|p| clean(p))
            .collect(),
        id,
    })
}

/// The UPN a deleted user had (DESIGN.md 4.3). Entra glues the object id (32 hex digits, no
/// hyphens) in front on deletion. The prefix is removed only when it is exactly that id, so a
/// real UPN that happens to start with hex is never cut. A prefix that is hex but not the id means
/// the UPN was rewritten some other way: `mail` is then the best guess. A UPN without any hex
/// prefix was never rewritten and is already the original (a guest's `mail` is their external
/// address, so preferring it there would be wrong).
pub fn original_upn(id: &str, deleted_upn: &str, mail: Option<&str>) -> String {
    if deleted_upn.len() > 32 && deleted_upn.is_char_boundary(32) {
        let (prefix, rest) = deleted_upn.split_at(32);
        if prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            // The id without its hyphens, compared without building it.
            let mut compact = id.bytes().filter(|b| *b != b'-');
            let is_id = prefix
                .bytes()
                .all(|p| compact.next().is_some_and(|c| p.eq_ignore_ascii_case(&c)))
                && compact.next().is_none();
            if is_id {
                return rest.to_string();
            }
            if let Some(mail) = mail.filter(|m| !m.is_empty()) {
                return mail.to_string();
            }
        }
    }
    if deleted_upn.is_empty() {
        return mail.unwrap_or_default().to_string();
    }
    deleted_upn.to_string()
}

/// A Graph error reply as a `DirectoryError`. `header_request_id` is the `request-id` response
/// header, used when the body has none (or is not JSON at all, e.g. from a proxy).
pub fn error_from_reply(
    status: u16,
    header_request_id: Option<&str>,
    body: &[u8],
) -> DirectoryError {
    match serde_json::from_slice::<WireErrorEnvelope>(body) {
        Ok(env) => graph_error(status, header_request_id, env.error),
        Err(_) => non_graph_error(status, header_request_id, &String::from_utf8_lossy(body)),
    }
}

/// An inner `$batch` response's error; its body is JSON already (or absent).
pub fn error_from_value(
    status: u16,
    header_request_id: Option<&str>,
    body: Option<Value>,
) -> DirectoryError {
    match body.map(serde_json::from_value::<WireErrorEnvelope>) {
        Some(Ok(env)) => graph_error(status, header_request_id, env.error),
        Some(Err(_)) | None => non_graph_error(status, header_request_id, ""),
    }
}

fn graph_error(status: u16, header_request_id: Option<&str>, e: WireError) -> DirectoryError {
    let message = e
        .message
        .as_deref()
        .map(|m| shorten(&clean(m)))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("HTTP {status} without a message"));
    let code = e.code.as_deref().map(clean);
    let kind = classify(status, code.as_deref(), &message, &e.details);
    let request_id = e
        .inner_error
        .and_then(|i| i.request_id)
        .or_else(|| header_request_id.map(str::to_string))
        .map(|r| clean(&r));
    DirectoryError {
        kind,
        status: Some(status),
        code,
        message,
        request_id,
        retry_after: None,
        request: None,
        permanent: false,
        sent: sent_of(status),
    }
}

/// What a reply's status says of the request: a 5xx may come after the work was done (a
/// gateway timing out on a slow backend), anything else is the directory's refusal.
fn sent_of(status: u16) -> Sent {
    if status >= 500 {
        Sent::Maybe
    } else {
        Sent::Refused
    }
}

fn non_graph_error(status: u16, header_request_id: Option<&str>, body: &str) -> DirectoryError {
    let snippet = shorten(clean(body).trim());
    let reason = http_reason(status);
    let message = if snippet.is_empty() {
        format!("HTTP {status} {reason}")
    } else {
        format!("HTTP {status} {reason}: {snippet}")
    };
    DirectoryError {
        kind: classify(status, None, "", &[]),
        status: Some(status),
        code: None,
        message,
        request_id: header_request_id.map(clean),
        retry_after: None,
        request: None,
        permanent: false,
        sent: sent_of(status),
    }
}

fn http_reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_MESSAGE {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX_MESSAGE).collect();
        out.push('…');
        out
    }
}

/// The kind the UI acts on. Conflicts are told apart by `details[].target` first (Graph names the
/// property there), then by the property named in the message.
fn classify(status: u16, code: Option<&str>, message: &str, details: &[WireDetail]) -> ErrorKind {
    let msg = message.to_ascii_lowercase();
    let code_is = |c: &str| code.is_some_and(|x| x.eq_ignore_ascii_case(c));
    match status {
        401 => return ErrorKind::Unauthorized,
        403 => return ErrorKind::Forbidden,
        404 => return ErrorKind::NotFound,
        429 | 503 => return ErrorKind::Throttled,
        s if s >= 500 => return ErrorKind::Server,
        _ => {}
    }
    if code_is("Request_ResourceNotFound") || code_is("ResourceNotFound") {
        return ErrorKind::NotFound;
    }
    let detail_conflict = details.iter().any(|d| {
        d.code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("ObjectConflict"))
    });
    let conflict = status == 409
        || code_is("Request_MultipleObjectsWithSameKeyValue")
        || detail_conflict
        || msg.contains("another object with the same value for property");
    if conflict {
        let named = |needle: &str| {
            details.iter().any(|d| {
                d.target
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(needle))
                    || d.message.as_deref().is_some_and(|m| {
                        m.to_ascii_lowercase()
                            .contains(&needle.to_ascii_lowercase())
                    })
            })
        };
        if named("userPrincipalName") {
            return ErrorKind::UpnConflict;
        }
        if named("proxyAddresses")
            || msg.contains("proxyaddresses")
            || msg.contains("proxy address")
        {
            return ErrorKind::ProxyConflict;
        }
        return ErrorKind::UpnConflict;
    }
    let weak = msg.contains("password")
        && [
            "complexity",
            "comply",
            "banned",
            "too short",
            "too long",
            "policy",
            "weak",
            "strength",
        ]
        .iter()
        .any(|w| msg.contains(w));
    if weak {
        return ErrorKind::WeakPassword;
    }
    ErrorKind::BadRequest
}

/// The restore body: `{}` when no option is set.
pub fn restore_body(req: &RestoreRequest) -> Value {
    let mut body = serde_json::Map::new();
    if req.auto_reconcile_proxy_conflict {
        body.insert("autoReconcileProxyConflict".into(), Value::Bool(true));
    }
    if let Some(upn) = &req.new_user_principal_name {
        body.insert("newUserPrincipalName".into(), Value::String(upn.clone()));
    }
    // Always a body, `{}` when nothing is asked: inside `$batch` Graph refuses a write without
    // one for the whole batch ("Write request id : … does not contain Content-Type header or
    // body."), and outside it a bodyless POST needs a `Content-Length: 0` some proxies drop.
    Value::Object(body)
}

/// The `PATCH /users/{id}` body. It holds the password in clear: it goes straight to the wire
/// and is never logged.
pub fn password_body(change: &PasswordChange) -> Value {
    json!({
        "passwordProfile": {
            "password": change.password.expose_secret(),
            "forceChangePasswordNextSignIn": change.force_change_next_sign_in,
            "forceChangePasswordNextSignInWithMfa": change.force_change_with_mfa,
        }
    })
}

pub fn mail_body(m: &MailMessage) -> Value {
    let to: Vec<Value> =
        m.to.iter()
            .map(|a| json!({ "emailAddress": { "address": a } }))
            .collect();
    json!({
        "message": {
            "subject": m.subject,
            "body": { "contentType": if m.html { "HTML" } else { "Text" }, "content": m.body },
            "toRecipients": to,
        },
        "saveToSentItems": m.save_to_sent_items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    const ID: &str = "6e1f3b52-9d0c-4a7e-8f21-3c5d7b9a0e14";

    fn page_json(users: &str, extra: &str) -> Vec<u8> {
        format!(r#"{{"@odata.context":"x","value":[{users}]{extra}}}"#).into_bytes()
    }

    #[test]
    fn a_deleted_user_is_parsed_and_its_upn_recovered() {
        let body = page_json(
            &format!(
                r#"{{"id":"{ID}","displayName":"Adele Vance","userPrincipalName":"6e1f3b529d0c4a7e8f213c5d7b9a0e14adele@contoso.sandbox",
                "mail":"adele@contoso.sandbox","proxyAddresses":["SMTP:adele@contoso.sandbox"],
                "department":"Sales","jobTitle":"Analyst","deletedDateTime":"2026-11-01T10:00:00Z",
                "onPremisesSyncEnabled":true,"userType":"Member"}}"#
            ),
            r#","@odata.count":1,"@odata.nextLink":"http://127.0.0.1:1/v1.0/next""#,
        );
        let parsed = parse_deleted_page(&body).unwrap();
        assert_eq!(parsed.page.total, Some(1));
        assert_eq!(
            parsed.next_link.as_deref(),
            Some("http://127.0.0.1:1/v1.0/next")
        );
        let u = &parsed.page.users[0];
        assert_eq!(u.original_upn, "adele@contoso.sandbox");
        assert!(u.deleted_upn.starts_with("6e1f3b52"));
        assert_eq!(u.department.as_deref(), Some("Sales"));
        assert!(u.on_premises_sync_enabled);
        assert_eq!(
            u.deleted_at.unwrap().to_rfc3339(),
            "2026-11-01T10:00:00+00:00"
        );
        assert_eq!(u.proxy_addresses, vec!["SMTP:adele@contoso.sandbox"]);
    }

    #[test]
    fn upn_prefix_is_removed_only_when_it_is_the_id() {
        let compact = ID.replace('-', "");
        assert_eq!(
            original_upn(ID, &format!("{compact}a@x.com"), None),
            "a@x.com"
        );
        assert_eq!(
            original_upn(ID, &format!("{}a@x.com", compact.to_uppercase()), None),
            "a@x.com"
        );
        let other = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            original_upn(ID, &format!("{other}a@x.com"), Some("a@x.com")),
            "a@x.com"
        );
        assert_eq!(
            original_upn(ID, &format!("{other}a@x.com"), None),
            format!("{other}a@x.com")
        );
        assert_eq!(
            original_upn(ID, "plain@x.com", Some("other@y.com")),
            "plain@x.com"
        );
        assert_eq!(original_upn(ID, "", Some("m@x.com")), "m@x.com");
        assert_eq!(
            original_upn(ID, "ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ@x", None),
            "ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ@x"
        );
    }

    #[test]
    fn hostile_strings_are_cleaned() {
        let body = page_json(
            &format!(
                r#"{{"id":"{ID}","displayName":"\u001b]0;pwn\u0007Eve\u202e\nX","userPrincipalName":"e@x","jobTitle":"\u001b[31mBoss"}}"#
            ),
            "",
        );
        let u = &parse_deleted_page(&body).unwrap().page.users[0];
        assert_eq!(u.display_name, "Eve X");
        assert_eq!(u.job_title.as_deref(), Some("Boss"));
        assert_eq!(u.deleted_at, None);
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"{".to_vec(),
            br#"{"value":[{"id":"a","displayName":"x"}"#.to_vec(),
            br#"{"value":"nope"}"#.to_vec(),
            br#"{"nothing":[]}"#.to_vec(),
            br#"{"value":[{"displayName":"no id"}]}"#.to_vec(),
            br#"{"value":[{"id":"../me"}]}"#.to_vec(),
            br#"{"value":[{"id":"abc","deletedDateTime":"yesterday"}]}"#.to_vec(),
            b"<html>502</html>".to_vec(),
        ];
        for body in cases {
            let err = parse_deleted_page(&body).err().expect("should fail");
            assert_eq!(err.kind, ErrorKind::Malformed, "{err}");
            assert!(
                err.message.contains("not what Microsoft Graph sends"),
                "{err}"
            );
        }
        let err = parse_deleted_page(br#"{"value":[{"id":"abc","deletedDateTime":"yesterday"}]}"#)
            .err()
            .unwrap();
        assert!(err.message.contains("deletedDateTime"), "{err}");
    }

    fn graph_err(status: u16, code: &str, message: &str, details: &str) -> DirectoryError {
        let body = format!(
            r#"{{"error":{{"code":"{code}","message":"{message}","innerError":{{"request-id":"rid-1","date":"2026-11-25T00:00:00"}},"details":[{details}]}}}}"#
        );
        error_from_reply(status, Some("header-rid"), body.as_bytes())
    }

    #[test]
    fn graph_errors_are_classified() {
        let upn = graph_err(
            400,
            "Request_BadRequest",
            "Another object with the same value for property userPrincipalName already exists.",
            r#"{"code":"ObjectConflict","target":"userPrincipalName","message":"x"}"#,
        );
        assert_eq!(upn.kind, ErrorKind::UpnConflict);
        assert_eq!(upn.request_id.as_deref(), Some("rid-1"));
        assert_eq!(upn.code.as_deref(), Some("Request_BadRequest"));
        assert_eq!(upn.status, Some(400));

        let proxy = graph_err(
            400,
            "Request_BadRequest",
            "Another object with the same value for property proxyAddresses already exists.",
            r#"{"code":"ObjectConflict","target":"proxyAddresses"}"#,
        );
        assert_eq!(proxy.kind, ErrorKind::ProxyConflict);
        let proxy_by_message = graph_err(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "Another object with the same value for property proxyAddresses already exists.",
            "",
        );
        assert_eq!(proxy_by_message.kind, ErrorKind::ProxyConflict);
        let conflict_409 = graph_err(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "Conflict.",
            "",
        );
        assert_eq!(conflict_409.kind, ErrorKind::UpnConflict);

        let weak = graph_err(
            400,
            "Request_BadRequest",
            "The specified password does not comply with password complexity requirements. Please provide a different password.",
            "",
        );
        assert_eq!(weak.kind, ErrorKind::WeakPassword);
        assert_eq!(
            graph_err(
                404,
                "Request_ResourceNotFound",
                "Resource 'x' does not exist.",
                ""
            )
            .kind,
            ErrorKind::NotFound
        );
        assert_eq!(
            graph_err(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges.",
                ""
            )
            .kind,
            ErrorKind::Forbidden
        );
        assert_eq!(
            graph_err(401, "InvalidAuthenticationToken", "Expired.", "").kind,
            ErrorKind::Unauthorized
        );
        assert_eq!(
            graph_err(429, "TooManyRequests", "Slow down.", "").kind,
            ErrorKind::Throttled
        );
        assert_eq!(
            graph_err(503, "serviceNotAvailable", "Busy.", "").kind,
            ErrorKind::Throttled
        );
        assert_eq!(
            graph_err(500, "generalException", "Oops.", "").kind,
            ErrorKind::Server
        );
        assert_eq!(
            graph_err(400, "Request_BadRequest", "Invalid value.", "").kind,
            ErrorKind::BadRequest
        );
    }

    #[test]
    fn non_json_errors_keep_status_and_header_request_id() {
        let e = error_from_reply(502, Some("hdr"), b"<html>\x1b[31mbad gateway</html>");
        assert_eq!(e.kind, ErrorKind::Server);
        assert_eq!(e.request_id.as_deref(), Some("hdr"));
        assert!(
            e.message.starts_with("HTTP 502 Bad Gateway"),
            "{}",
            e.message
        );
        assert!(!e.message.contains('\u{1b}'));
        let e = error_from_value(424, None, None);
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert_eq!(e.status, Some(424));
    }

    #[test]
    fn request_bodies_have_graphs_shape() {
        assert_eq!(restore_body(&RestoreRequest::default()), json!({}));
        let b = restore_body(&RestoreRequest {
            new_user_principal_name: Some("n@x".into()),
            auto_reconcile_proxy_conflict: true,
        });
        assert_eq!(
            b,
            json!({"autoReconcileProxyConflict": true, "newUserPrincipalName": "n@x"})
        );
        let p = password_body(&PasswordChange {
            password: SecretString::from("Kiwi-Moon-77"),
            force_change_next_sign_in: true,
            force_change_with_mfa: false,
        });
        assert_eq!(p["passwordProfile"]["password"], "Kiwi-Moon-77");
        assert_eq!(p["passwordProfile"]["forceChangePasswordNextSignIn"], true);
        let m = mail_body(&MailMessage {
            sender: None,
            to: vec!["a@x".into(), "b@y".into()],
            subject: "s".into(),
            body: "b".into(),
            html: false,
            save_to_sent_items: true,
        });
        assert_eq!(
            m["message"]["toRecipients"][1]["emailAddress"]["address"],
            "b@y"
        );
        assert_eq!(m["message"]["body"]["contentType"], "Text");
    }

    #[test]
    fn me_needs_a_upn() {
        assert!(parse_me(br#"{"displayName":"x"}"#).is_err());
        let me = parse_me(br#"{"id":"1","userPrincipalName":"admin@c","mail":null}"#).unwrap();
        assert_eq!(me.display_name, "admin@c");
    }

    #[test]
    fn the_next_link_is_found_before_or_after_the_users_never_inside_one() {
        let link = |body: &str| next_link_of(body.as_bytes()).unwrap();
        assert_eq!(
            link(r#"{"@odata.nextLink":"https://g/v1.0/x?a=1","value":[]}"#).as_deref(),
            Some("https://g/v1.0/x?a=1")
        );
        assert_eq!(
            link(r#"{"value":[{"id":"1"}], "@odata.nextLink" : "https://g/2"}"#).as_deref(),
            Some("https://g/2")
        );
        assert_eq!(link(r#"{"value":[]}"#), None);
        assert_eq!(link(r#"{"@odata.nextLink":null,"value":[]}"#), None);
        // A display name cannot smuggle a link in: its quotes are escaped.
        let hostile =
            r#"{"value":[{"id":"1","displayName":"x\"@odata.nextLink\":\"https://evil/\""}]}"#;
        assert_eq!(link(hostile), None);
        let page = parse_deleted_page(hostile.as_bytes()).unwrap();
        assert_eq!(page.next_link, None);
        assert!(next_link_of(br#"{"@odata.nextLink":42}"#).is_err());
    }
}
