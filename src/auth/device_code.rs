//! The OAuth 2.0 device authorization grant (RFC 8628) as Entra ID speaks it: ask for a code,
//! show it, poll the token endpoint at the given interval. Built so a UI can drive it without
//! blocking: `start`, then either `poll` step by step (sleeping `interval()` between calls) or
//! `wait_or_cancel` as one future. Dropping the future cancels too.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::oauth::{self, AuthError, TokenResponse};
use crate::config::Endpoints;
use undelete_common::sanitize;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// RFC 8628 3.5: `slow_down` adds five seconds to the interval, for the rest of the flow.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// Polling faster than this is never useful and risks `slow_down`.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The default of RFC 8628 3.2 when the server names no interval.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What to show the admin. Every string is sanitized (it comes from the network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    /// The server's sentence ("To sign in, use a web browser to open ..."), or our own.
    pub message: String,
    pub expires_at: DateTime<Utc>,
    pub interval: Duration,
}

/// The result of one poll.
pub enum Poll {
    /// Not yet: poll again after `next_in` (longer after a `slow_down`).
    Pending {
        next_in: Duration,
    },
    Complete(TokenResponse),
}

/// A device-code sign-in in progress. No `Debug`: it holds the device code.
pub struct DeviceCodeFlow {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    device_code: SecretString,
    interval: Duration,
    prompt: DeviceCodePrompt,
}

impl DeviceCodeFlow {
    /// Asks the tenant's `/devicecode` endpoint for a code. `scopes` is space separated.
    pub async fn start(
        http: &reqwest::Client,
        endpoints: &Endpoints,
        client_id: &str,
        scopes: &str,
    ) -> Result<Self, AuthError> {
        let now = Utc::now();
        let body = oauth::post_form(
            http,
            &endpoints.device_code_url(),
            &[("client_id", client_id), ("scope", scopes)],
        )
        .await?;
        let Value::Object(mut map) = body else {
            return Err(AuthError::Malformed(
                "device code reply is not a JSON object".into(),
            ));
        };
        let text = |map: &serde_json::Map<String, Value>, key: &str| match map.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            _ => None,
        };
        let device_code = match map.remove("device_code") {
            Some(Value::String(s)) if !s.is_empty() => SecretString::from(s),
            _ => {
                return Err(AuthError::Malformed(
                    "device code reply has no device_code".into(),
                ));
            }
        };
        let user_code = text(&map, "user_code")
            .map(|s| sanitize::clean(&s))
            .ok_or_else(|| AuthError::Malformed("device code reply has no user_code".into()))?;
        // v1 endpoints said `verification_url`; accept both.
        let verification_uri = text(&map, "verification_uri")
            .or_else(|| text(&map, "verification_url"))
            .map(|s| sanitize::clean(&s))
            .ok_or_else(|| {
                AuthError::Malformed("device code reply has no verification_uri".into())
            })?;
        let seconds = |key: &str| match map.get(key) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let expires_in = seconds("expires_in").filter(|s| *s > 0).ok_or_else(|| {
            AuthError::Malformed("device code reply has no valid expires_in".into())
        })?;
        let interval = seconds("interval")
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_INTERVAL)
            .max(MIN_INTERVAL);
        let message = text(&map, "message")
            .map(|s| sanitize::clean(&s))
            .unwrap_or_else(|| {
                format!("To sign in, open {verification_uri} and enter the code {user_code}.")
            });
        let expires_at = now + chrono::Duration::seconds(expires_in.min(86_400) as i64);
        Ok(Self {
            http: http.clone(),
            token_url: endpoints.token_url(),
            client_id: client_id.to_string(),
            device_code,
            interval,
            prompt: DeviceCodePrompt {
                user_code,
                verification_uri,
                message,
                expires_at,
                interval,
            },
        })
    }

    pub fn prompt(&self) -> &DeviceCodePrompt {
        &self.prompt
    }

    pub fn is_expired(&self) -> bool {
        Utc::now() >= self.prompt.expires_at
    }

    /// One request to the token endpoint. `Pending` means: call again after `next_in`.
    pub async fn poll(&mut self) -> Result<Poll, AuthError> {
        if self.is_expired() {
            return Err(AuthError::Expired);
        }
        let now = Utc::now();
        let reply = oauth::post_form(
            &self.http,
            &self.token_url,
            &[
                ("grant_type", GRANT_TYPE),
                ("client_id", &self.client_id),
                ("device_code", self.device_code.expose_secret()),
            ],
        )
        .await;
        match reply {
            Ok(body) => Ok(Poll::Complete(oauth::parse_token(body, now)?)),
            Err(AuthError::Rejected(e)) => match e.error.as_str() {
                "authorization_pending" => Ok(Poll::Pending {
                    next_in: self.interval,
                }),
                "slow_down" => {
                    self.interval += SLOW_DOWN_STEP;
                    Ok(Poll::Pending {
                        next_in: self.interval,
                    })
                }
                "expired_token" | "code_expired" => Err(AuthError::Expired),
                "authorization_declined" | "access_denied" => Err(AuthError::Declined),
                _ => Err(AuthError::Rejected(e)),
            },
            Err(other) => Err(other),
        }
    }

    /// Polls until the admin finishes, declines, or the code expires.
    /// A few transient failures in a row (network, 5xx) are ridden out: the admin may be halfway
    /// through the browser sign-in.
    pub async fn wait(mut self) -> Result<TokenResponse, AuthError> {
        const TOLERATED_FAILURES: u32 = 3;
        let mut failures = 0;
        loop {
            tokio::time::sleep(self.next_sleep()).await;
            match self.poll().await {
                Ok(Poll::Pending { .. }) => failures = 0,
                Ok(Poll::Complete(tokens)) => return Ok(tokens),
                Err(e) if is_transient(&e) && failures < TOLERATED_FAILURES => failures += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// `wait`, ended early with `AuthError::Cancelled` when `cancel` completes (Esc, Ctrl-C).
    pub async fn wait_or_cancel<C: Future<Output = ()>>(
        self,
        cancel: C,
    ) -> Result<TokenResponse, AuthError> {
        tokio::select! {
            biased;
            () = cancel => Err(AuthError::Cancelled),
            r = self.wait() => r,
        }
    }

    /// The interval, but never past the code's expiry (so an expired code is reported promptly).
    fn next_sleep(&self) -> Duration {
        let left = (self.prompt.expires_at - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        self.interval.min(left)
    }
}

fn is_transient(e: &AuthError) -> bool {
    match e {
        AuthError::Network(_) => true,
        AuthError::Rejected(r) => r.status >= 500,
        AuthError::Malformed(m) => m.starts_with("HTTP 5"),
        _ => false,
    }
}
