//! The token endpoint as every flow here uses it: a form POST, a JSON reply, and the AAD error
//! shape (`error`, `error_description`, `error_codes`, `trace_id`, `correlation_id`) turned into
//! errors an admin can act on.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use undelete_common::sanitize;

/// What a successful token request gives. No `Debug`: it holds secrets.
pub struct TokenResponse {
    pub access_token: SecretString,
    pub expires_at: DateTime<Utc>,
    /// Present for delegated grants that asked for `offline_access`; it rotates on every use.
    pub refresh_token: Option<SecretString>,
    /// Granted scopes as the server reports them (space separated), when it does.
    pub scope: Option<String>,
}

/// An error body of the token endpoint, already sanitized for the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AadError {
    pub status: u16,
    /// OAuth error code, e.g. `invalid_client`, `authorization_pending`.
    pub error: String,
    /// The first line of `error_description` (AAD appends trace and correlation ids below it).
    pub description: String,
    /// `AADSTS` numbers from `error_codes`, or parsed from the description.
    pub codes: Vec<u64>,
    pub trace_id: Option<String>,
    pub correlation_id: Option<String>,
}

impl AadError {
    /// What to do about it, for the errors admins actually meet.
    pub fn advice(&self) -> Option<&'static str> {
        let advice = self.codes.iter().find_map(|c| advice_for_code(*c));
        advice.or(match self.error.as_str() {
            "invalid_client" => Some("check the client id and its secret or certificate"),
            "invalid_grant" => Some("sign in again: undelete login"),
            "invalid_scope" => Some("check the permissions configured on the app registration"),
            "unauthorized_client" => {
                Some("the app is not allowed to use this grant; see docs/tenants.md")
            }
            _ => None,
        })
    }
}

fn advice_for_code(code: u64) -> Option<&'static str> {
    Some(match code {
        700016 => {
            "the client id is not an app of this tenant: check --client-id and --tenant, or register the app"
        }
        65001 | 90094 | 90095 => {
            "an administrator must grant consent to the app's permissions (Enterprise applications > Permissions)"
        }
        7000215 | 7000222 | 7000216 => {
            "check UNDELETE_CLIENT_SECRET: use the secret's Value (not its ID) and renew it if it expired"
        }
        7000218 => {
            "device-code sign-in needs 'Allow public client flows' = Yes on the app registration (Authentication)"
        }
        700027 | 700024 | 50027 | 700023 => {
            "upload the certificate (public part) to the app registration's Certificates & secrets, and check this machine's clock"
        }
        90002 | 90072 | 50020 | 900023 => {
            "check --tenant (a tenant id or a verified domain) and --cloud"
        }
        500011 => "the resource is unknown in this cloud: check --cloud and --graph-url",
        53003 | 53000 | 53001 => {
            "Conditional Access blocked the sign-in; ask who manages your tenant's policies"
        }
        50076 | 50079 | 50158 => {
            "the tenant asks for more verification: sign in again with undelete login"
        }
        70043 | 700082 | 700084 | 50173 | 70008 | 54005 => {
            "the saved sign-in has expired or was revoked: sign in again with undelete login"
        }
        50058 | 50078 => "sign in again with undelete login",
        70011 => "the requested scope is not valid for this app",
        50105 => "the account is not assigned to this app; ask an administrator to assign it",
        _ => return None,
    })
}

impl AadError {
    /// What went wrong, without the advice: AAD's description, its code and the status.
    pub fn cause(&self) -> String {
        if self.description.is_empty() {
            format!("sign-in refused: {} (HTTP {})", self.error, self.status)
        } else {
            format!(
                "{} ({}, HTTP {})",
                self.description, self.error, self.status
            )
        }
    }
}

impl fmt::Display for AadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cause())?;
        if let Some(advice) = self.advice() {
            write!(f, ": {advice}")?;
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " [correlation-id {id}]")?;
        }
        Ok(())
    }
}

/// Why a sign-in did not produce a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the sign-in was declined in the browser")]
    Declined,
    #[error("the device code expired before the sign-in was completed: start again")]
    Expired,
    #[error("sign-in cancelled")]
    Cancelled,
    #[error("{0}")]
    Rejected(Box<AadError>),
    #[error("cannot reach the login endpoint: {0}")]
    Network(String),
    #[error("the login endpoint sent an unexpected reply: {0}")]
    Malformed(String),
    /// Local set-up problem: bad certificate file, missing tenant, conflicting options.
    #[error("{0}")]
    Config(String),
    #[error("token cache: {0}")]
    Cache(String),
    /// A customer tenant refused the sign-in of the partner's home tenant, redeemed at its
    /// authority (no GDAP relationship, no role there, Conditional Access).
    #[error("{}", partner_words(tenant, home, refusal, true))]
    Partner {
        tenant: String,
        home: String,
        refusal: Box<AadError>,
    },
}

/// What to do when a customer tenant refuses the partner's sign-in.
const PARTNER_ADVICE: &str = "check the partner (GDAP) relationship with this tenant and the \
     roles it gives you there, or sign in there itself: undelete login --tenant TENANT";

/// A partner refusal in words: the tenant, the home, Entra's reason; with `all`, the advice
/// and the correlation id too (the CLI's one line).
fn partner_words(tenant: &str, home: &str, refusal: &AadError, all: bool) -> String {
    let mut out = format!(
        "{tenant} refused the sign-in of the partner tenant {home}: {}",
        refusal.cause()
    );
    if all {
        out.push_str(&format!(": {}", PARTNER_ADVICE.replace("TENANT", tenant)));
        if let Some(id) = &refusal.correlation_id {
            out.push_str(&format!(" [correlation-id {id}]"));
        }
    }
    out
}

impl AuthError {
    /// The cause alone, for a screen that shows the advice on a line of its own (the
    /// `Display` form, which the CLI prints, has both).
    pub fn cause(&self) -> String {
        match self {
            AuthError::Rejected(e) => e.cause(),
            AuthError::Partner {
                tenant,
                home,
                refusal,
            } => partner_words(tenant, home, refusal, false),
            other => other.to_string(),
        }
    }

    /// What to do about it, when there is a known fix: the advice the CLI prints.
    pub fn advice(&self) -> Option<&'static str> {
        match self {
            AuthError::Rejected(e) => e.advice(),
            AuthError::Partner { .. } => Some(PARTNER_ADVICE),
            _ => None,
        }
    }

    /// The id Microsoft support asks for, when the identity platform gave one.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            AuthError::Rejected(e) => e.correlation_id.as_deref(),
            AuthError::Partner { refusal, .. } => refusal.correlation_id.as_deref(),
            _ => None,
        }
    }

    /// The exit code of a run that ends on this error: a set-up problem (options that cannot
    /// work together, an unreadable certificate) is a usage error, 2; anything else 1.
    pub fn exit_code(&self) -> u8 {
        if matches!(self, AuthError::Config(_)) {
            2
        } else {
            1
        }
    }

    /// The OAuth error code, if the server sent one.
    pub fn oauth_code(&self) -> Option<&str> {
        match self {
            AuthError::Rejected(e) => Some(e.error.as_str()),
            _ => None,
        }
    }
}

/// A sign-in call (all its tries) ends by then: a login endpoint that never answers costs the
/// admin half a minute and a clear error, not a minute and a half of silence.
pub const LOGIN_DEADLINE: Duration = Duration::from_secs(30);

/// One try at the login endpoint; with `LOGIN_DEADLINE`, a hung first try still leaves time
/// for a second.
const LOGIN_TRY_TIMEOUT: Duration = Duration::from_secs(20);

/// A client for the login host. The timeout keeps a dead network from hanging a sign-in.
pub fn http_client() -> Result<reqwest::Client, AuthError> {
    crate::trust::shared_client("login", |builder| {
        builder
            .timeout(LOGIN_TRY_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            // A redirect would replay a form holding a secret to another place: never follow
            // one.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("undelete/", env!("CARGO_PKG_VERSION")))
    })
    .map_err(|e| AuthError::Config(format!("cannot build the HTTP client: {e}")))
}

/// POSTs `form` to a login endpoint and returns the JSON body of a 2xx reply, or the AAD error.
pub async fn post_form(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> Result<Value, AuthError> {
    let resp = http
        .post(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .map_err(|e| AuthError::Network(describe_reqwest(&e)))?;
    let status = resp.status().as_u16();
    let body = resp
        .bytes()
        .await
        .map_err(|e| AuthError::Network(describe_reqwest(&e)))?;
    if (200..300).contains(&status) {
        return serde_json::from_slice(&body)
            .map_err(|e| AuthError::Malformed(format!("HTTP {status}, body is not JSON: {e}")));
    }
    Err(parse_error(status, &body))
}

/// `post_form`, tried up to three times when the endpoint cannot be reached or answers 5xx,
/// all within `LOGIN_DEADLINE`. Only for requests that are safe to repeat (refresh, client
/// credentials).
pub async fn post_form_retrying(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> Result<Value, AuthError> {
    post_form_within(http, url, form, LOGIN_DEADLINE).await
}

async fn post_form_within(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
    deadline: Duration,
) -> Result<Value, AuthError> {
    match tokio::time::timeout(deadline, post_form_tries(http, url, form)).await {
        Ok(result) => result,
        Err(_) => Err(AuthError::Network(login_silent(url, deadline))),
    }
}

/// The words for a login endpoint that did not answer in time.
fn login_silent(url: &str, deadline: Duration) -> String {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| {
                format!(
                    "{h}{}",
                    u.port().map(|p| format!(":{p}")).unwrap_or_default()
                )
            })
        })
        .unwrap_or_else(|| "the login endpoint".into());
    format!(
        "the login endpoint {host} did not answer within {} s; check the network, a proxy, or \
         --login-url",
        deadline.as_secs()
    )
}

async fn post_form_tries(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> Result<Value, AuthError> {
    const TRIES: u32 = 3;
    let mut attempt = 0;
    loop {
        let result = post_form(http, url, form).await;
        attempt += 1;
        let transient = match &result {
            Err(AuthError::Network(_)) => true,
            Err(AuthError::Rejected(e)) => e.status >= 500,
            Err(AuthError::Malformed(m)) => m.starts_with("HTTP 5"),
            _ => false,
        };
        if !transient || attempt >= TRIES {
            return result;
        }
        tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(attempt))).await;
    }
}

/// Turns an error reply into `AuthError::Rejected`; a body that is not AAD's shape still gives a
/// readable error with the status.
pub fn parse_error(status: u16, body: &[u8]) -> AuthError {
    #[derive(Deserialize)]
    struct Raw {
        error: Option<String>,
        error_description: Option<String>,
        #[serde(default)]
        error_codes: Vec<u64>,
        trace_id: Option<String>,
        correlation_id: Option<String>,
    }
    match serde_json::from_slice::<Raw>(body) {
        Ok(Raw {
            error: Some(error),
            error_description,
            error_codes,
            trace_id,
            correlation_id,
        }) => {
            let full = error_description.unwrap_or_default();
            let first_line = full.lines().next().unwrap_or("").trim();
            let mut codes = error_codes;
            if codes.is_empty() {
                codes.extend(aadsts_code(first_line));
            }
            AuthError::Rejected(Box::new(AadError {
                status,
                error: sanitize::clean(&error),
                description: sanitize::clean(first_line),
                codes,
                trace_id: sanitize::clean_opt(trace_id.as_deref()),
                correlation_id: sanitize::clean_opt(correlation_id.as_deref()),
            }))
        }
        _ => {
            let text = String::from_utf8_lossy(body);
            let snippet: String = sanitize::clean(&text).chars().take(200).collect();
            AuthError::Malformed(format!(
                "HTTP {status} without an OAuth error body: {snippet}"
            ))
        }
    }
}

/// `AADSTS7000215: Invalid client secret` -> 7000215.
fn aadsts_code(description: &str) -> Option<u64> {
    let rest = description.strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Reads a token reply. `now` is when the request was sent, so the expiry errs on the early side.
pub fn parse_token(body: Value, now: DateTime<Utc>) -> Result<TokenResponse, AuthError> {
    let Value::Object(mut map) = body else {
        return Err(AuthError::Malformed(
            "token reply is not a JSON object".into(),
        ));
    };
    let access_token = match map.remove("access_token") {
        Some(Value::String(s)) if !s.is_empty() => SecretString::from(s),
        _ => {
            return Err(AuthError::Malformed(
                "token reply has no access_token".into(),
            ));
        }
    };
    if let Some(Value::String(kind)) = map.get("token_type")
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(AuthError::Malformed(format!(
            "token type {:?} is not Bearer",
            sanitize::clean(kind)
        )));
    }
    // v2 sends a number, v1 a string of digits; both are seconds.
    let expires_in = match map.get("expires_in") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|s| *s > 0)
    .ok_or_else(|| AuthError::Malformed("token reply has no valid expires_in".into()))?;
    let expires_at = now + chrono::Duration::seconds(expires_in.min(86_400 * 365));
    let refresh_token = match map.remove("refresh_token") {
        Some(Value::String(s)) if !s.is_empty() => Some(SecretString::from(s)),
        _ => None,
    };
    let scope = match map.get("scope") {
        Some(Value::String(s)) => Some(sanitize::clean(s)),
        _ => None,
    };
    Ok(TokenResponse {
        access_token,
        expires_at,
        refresh_token,
        scope,
    })
}

/// A reqwest error in words, without the URL's query (which never holds secrets here, but the
/// habit keeps it that way).
pub fn describe_reqwest(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the reply was cut off"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    let host = e
        .url()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    match (host.is_empty(), detail.is_empty()) {
        (true, true) => what.to_string(),
        (true, false) => format!("{what}: {detail}"),
        (false, true) => format!("{what} ({host})"),
        (false, false) => format!("{what} ({host}): {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    #[test]
    fn aad_error_keeps_first_line_codes_and_ids() {
        let body = json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t\r\nCorrelation ID: c",
            "error_codes": [7000215],
            "trace_id": "t-1",
            "correlation_id": "c-1"
        });
        let AuthError::Rejected(e) = parse_error(401, body.to_string().as_bytes()) else {
            panic!("expected Rejected");
        };
        assert_eq!(
            e.description,
            "AADSTS7000215: Invalid client secret provided."
        );
        assert_eq!(e.codes, vec![7000215]);
        let text = e.to_string();
        assert!(text.contains("UNDELETE_CLIENT_SECRET"), "{text}");
        assert!(text.contains("c-1"), "{text}");
    }

    #[test]
    fn code_is_read_from_the_description_when_error_codes_is_missing() {
        let body = br#"{"error":"invalid_request","error_description":"AADSTS7000218: The request body must contain client_assertion"}"#;
        let AuthError::Rejected(e) = parse_error(400, body) else {
            panic!("expected Rejected");
        };
        assert_eq!(e.codes, vec![7000218]);
        assert!(e.to_string().contains("Allow public client flows"));
    }

    #[test]
    fn hostile_error_text_is_sanitized_and_non_json_is_malformed() {
        let body = json!({"error": "x\u{1b}[31m", "error_description": "a\u{202e}b"});
        let AuthError::Rejected(e) = parse_error(400, body.to_string().as_bytes()) else {
            panic!("expected Rejected");
        };
        assert!(!e.error.contains('\u{1b}') && !e.description.contains('\u{202e}'));
        assert!(matches!(
            parse_error(502, b"<html>bad gateway</html>"),
            AuthError::Malformed(m) if m.contains("502")
        ));
    }

    #[test]
    fn token_reply_parsing() {
        let now = Utc::now();
        let t = parse_token(
            json!({"token_type": "Bearer", "access_token": "a.b.c", "expires_in": "3599",
                   "refresh_token": "r1", "scope": "Mail.Send"}),
            now,
        )
        .ok()
        .unwrap_or_else(|| panic!("valid reply refused"));
        assert_eq!(t.access_token.expose_secret(), "a.b.c");
        assert_eq!((t.expires_at - now).num_seconds(), 3599);
        assert_eq!(
            t.refresh_token
                .as_ref()
                .map(|r| r.expose_secret().to_string()),
            Some("r1".into())
        );
        assert!(parse_token(json!({"access_token": "x"}), now).is_err());
        assert!(parse_token(json!({"access_token": "x", "expires_in": -5}), now).is_err());
        assert!(parse_token(json!({"expires_in": 5}), now).is_err());
        assert!(parse_token(json!([1]), now).is_err());
        assert!(
            parse_token(
                json!({"access_token": "x", "expires_in": 5, "token_type": "mac"}),
                now
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn a_login_endpoint_that_never_answers_is_bounded_and_named() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepts and holds every connection, never answering.
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((sock, _)) = listener.accept().await {
                held.push(sock);
            }
        });
        let http = http_client().unwrap();
        let url = format!("http://{addr}/contoso/oauth2/v2.0/token");
        let started = std::time::Instant::now();
        let err = post_form_within(&http, &url, &[("a", "b")], Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3));
        let AuthError::Network(words) = err else {
            panic!("a network error expected, got {err:?}");
        };
        assert!(
            words.starts_with(&format!(
                "the login endpoint {addr} did not answer within 1 s"
            )),
            "{words}"
        );
    }
}
