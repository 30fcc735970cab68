//! App-only sign-in with a client secret (OAuth 2.0 client credentials, DESIGN.md 4.5).
//!
//! The token is cached and reused until shortly before it expires; concurrent callers share one
//! fetch. The secret and the token live in `SecretString`s and this type has no `Debug`.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{AccessToken, TokenSource};
use crate::config::Endpoints;
use crate::directory::{DirectoryError, ErrorKind};
use crate::sanitize::clean;

/// Refresh this long before expiry (or at half the lifetime, for very short-lived tokens).
const REFRESH_MARGIN_SECS: i64 = 60;
/// Attempts at the token endpoint when it cannot be reached or answers 5xx.
const TOKEN_TRIES: u32 = 3;

pub struct ClientCredentials {
    http: reqwest::Client,
    token_url: String,
    scope: String,
    client_id: String,
    secret: SecretString,
    /// The token and when to stop handing it out. The async lock is held across a fetch so
    /// that many callers waiting on an expired token cause one request, not many.
    cached: tokio::sync::Mutex<Option<(AccessToken, chrono::DateTime<Utc>)>>,
    /// Set by `invalidate` (a sync fn, so it cannot take the async lock): the rejected token.
    rejected: std::sync::Mutex<Option<SecretString>>,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct AadError {
    error: Option<String>,
    error_description: Option<String>,
    correlation_id: Option<String>,
    trace_id: Option<String>,
}

impl ClientCredentials {
    pub fn new(
        endpoints: &Endpoints,
        client_id: impl Into<String>,
        secret: SecretString,
    ) -> Result<Arc<Self>, DirectoryError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| DirectoryError::invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(Arc::new(Self {
            http,
            token_url: endpoints.token_url(),
            scope: format!(
                "{}/.default",
                endpoints.graph.as_str().trim_end_matches('/')
            ),
            client_id: client_id.into(),
            secret,
            cached: tokio::sync::Mutex::new(None),
            rejected: std::sync::Mutex::new(None),
        }))
    }

    async fn fetch(&self) -> Result<(AccessToken, chrono::DateTime<Utc>), DirectoryError> {
        let mut last = DirectoryError::network("the token endpoint was not tried");
        for attempt in 0..TOKEN_TRIES {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300 * 2u64.pow(attempt))).await;
            }
            match self.fetch_once().await {
                Ok(t) => return Ok(t),
                Err(e)
                    if matches!(
                        e.kind,
                        ErrorKind::Network | ErrorKind::Server | ErrorKind::Throttled
                    ) =>
                {
                    last = e;
                }
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    async fn fetch_once(&self) -> Result<(AccessToken, chrono::DateTime<Utc>), DirectoryError> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.expose_secret()),
            ("scope", self.scope.as_str()),
        ];
        let resp = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| {
                DirectoryError::network(format!(
                    "cannot reach the sign-in endpoint {}: {}",
                    self.token_url,
                    e.without_url()
                ))
            })?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| {
            DirectoryError::network(format!(
                "the sign-in reply was cut off: {}",
                e.without_url()
            ))
        })?;
        if !(200..300).contains(&status) {
            return Err(aad_error(status, &body));
        }
        let reply: TokenReply = serde_json::from_slice(&body).map_err(|e| {
            DirectoryError::malformed(format!("the sign-in reply is not a token: {e}"))
        })?;
        if reply.access_token.is_empty() {
            return Err(DirectoryError::malformed(
                "the sign-in reply holds an empty token",
            ));
        }
        // `expires_in` is a number in AAD v2 but a string in some older endpoints.
        let lifetime = match &reply.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|s| *s > 0)
        .unwrap_or(3600);
        let now = Utc::now();
        let expires_at = now + chrono::Duration::seconds(lifetime);
        let refresh_at =
            now + chrono::Duration::seconds(lifetime - REFRESH_MARGIN_SECS.min(lifetime / 2));
        Ok((
            AccessToken {
                secret: SecretString::from(reply.access_token),
                expires_at,
            },
            refresh_at,
        ))
    }
}

/// AAD's error body (`error`, `error_description` with an AADSTS code) as a clear error.
fn aad_error(status: u16, body: &[u8]) -> DirectoryError {
    let parsed: Option<AadError> = serde_json::from_slice(body).ok();
    let kind = match status {
        429 => ErrorKind::Throttled,
        s if s >= 500 => ErrorKind::Server,
        _ => ErrorKind::Unauthorized,
    };
    let Some(aad) = parsed else {
        return DirectoryError {
            status: Some(status),
            ..DirectoryError::new(kind, format!("sign-in failed: HTTP {status}"))
        };
    };
    // AAD descriptions carry "Trace ID: … Correlation ID: … Timestamp: …" lines after the
    // first one; they are kept in `request_id`, not in the sentence shown to the admin.
    let description = aad
        .error_description
        .as_deref()
        .map(|d| clean(d.lines().next().unwrap_or_default()))
        .unwrap_or_default();
    let code = aad.error.as_deref().map(clean);
    let hint = match code.as_deref() {
        Some("invalid_client") => " Check the client id and UNDELETE_CLIENT_SECRET.",
        Some("unauthorized_client") => " The app is not allowed to use this sign-in flow.",
        Some("invalid_scope") => " The Graph URL or the app's permissions do not match.",
        _ => "",
    };
    DirectoryError {
        kind,
        status: Some(status),
        message: format!("sign-in failed: {description}{hint}")
            .trim_end()
            .to_string(),
        code,
        request_id: aad.correlation_id.or(aad.trace_id).map(|r| clean(&r)),
        retry_after: None,
    }
}

impl TokenSource for ClientCredentials {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, DirectoryError>> {
        Box::pin(async move {
            let mut cached = self.cached.lock().await;
            let rejected = self
                .rejected
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            if let (Some(rejected), Some((token, _))) = (&rejected, cached.as_ref())
                && rejected.expose_secret() == token.secret.expose_secret()
            {
                *cached = None;
            }
            if let Some((token, refresh_at)) = cached.as_ref()
                && Utc::now() < *refresh_at
            {
                return Ok(token.clone());
            }
            let fresh = self.fetch().await?;
            let token = fresh.0.clone();
            *cached = Some(fresh);
            Ok(token)
        })
    }

    fn invalidate(&self, rejected: &AccessToken) {
        *self.rejected.lock().unwrap_or_else(|p| p.into_inner()) = Some(rejected.secret.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aad_errors_become_clear_unauthorized_errors() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: abc\r\nCorrelation ID: corr-1","error_codes":[7000215],"correlation_id":"corr-1"}"#;
        let e = aad_error(401, body);
        assert_eq!(e.kind, ErrorKind::Unauthorized);
        assert_eq!(e.code.as_deref(), Some("invalid_client"));
        assert_eq!(e.request_id.as_deref(), Some("corr-1"));
        assert!(
            e.message
                .starts_with("sign-in failed: AADSTS7000215: Invalid client secret provided.")
        );
        assert!(e.message.contains("UNDELETE_CLIENT_SECRET"));
        assert!(!e.message.contains("Trace ID"));
        let e = aad_error(503, b"<html>");
        assert_eq!(e.kind, ErrorKind::Server);
        assert_eq!(e.message, "sign-in failed: HTTP 503");
    }
}
