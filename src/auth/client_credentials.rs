//! App-only sign-in with a client secret (OAuth 2.0 client credentials, DESIGN.md 4.5).
//!
//! Written like `certificate::CertificateCredentials`: the token endpoint is spoken through
//! `oauth`, so a refusal stays an `AuthError::Rejected` with its AADSTS codes and advice. The
//! token is cached and reused until shortly before it expires; concurrent callers share one
//! fetch. The secret and the token live in `SecretString`s and this type has no `Debug`.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::delegated::Held;
use super::oauth::{self, AuthError};
use super::{AccessToken, TokenSource};
use crate::config::Endpoints;

/// Refresh this long before expiry (or at half the lifetime, for very short-lived tokens). An
/// app-only token is one request away, so a minute is enough, unlike the delegated margin.
const REFRESH_MARGIN: Duration = Duration::minutes(1);

pub struct ClientCredentials {
    http: reqwest::Client,
    token_url: String,
    scope: String,
    client_id: String,
    secret: SecretString,
    /// The token and when to stop handing it out; a sync lock so `invalidate` can clear it.
    cached: Mutex<Option<Held>>,
    /// Held across a fetch, so that many callers waiting on an expired token cause one request.
    fetching: tokio::sync::Mutex<()>,
}

impl ClientCredentials {
    pub fn new(
        endpoints: &Endpoints,
        client_id: impl Into<String>,
        secret: SecretString,
    ) -> Result<Arc<Self>, AuthError> {
        let http = oauth::http_client()?;
        Ok(Arc::new(Self {
            http,
            token_url: endpoints.token_url(),
            scope: format!(
                "{}/.default",
                endpoints.graph.as_str().trim_end_matches('/')
            ),
            client_id: client_id.into(),
            secret,
            cached: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }))
    }

    fn current(&self) -> Option<AccessToken> {
        self.cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .filter(Held::fresh)
            .map(|h| h.token)
    }

    /// A token for Graph: the cached one while it is fresh, otherwise a new one. A refusal
    /// keeps AAD's codes, so the caller can show the advice for them.
    pub async fn get(&self) -> Result<AccessToken, AuthError> {
        if let Some(t) = self.current() {
            return Ok(t);
        }
        let _one_at_a_time = self.fetching.lock().await;
        if let Some(t) = self.current() {
            return Ok(t);
        }
        let now = Utc::now();
        let body = oauth::post_form_retrying(
            &self.http,
            &self.token_url,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &self.client_id),
                ("client_secret", self.secret.expose_secret()),
                ("scope", &self.scope),
            ],
        )
        .await?;
        let tokens = oauth::parse_token(body, now)?;
        let token = AccessToken {
            secret: tokens.access_token,
            expires_at: tokens.expires_at,
        };
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(held(token.clone(), now));
        Ok(token)
    }
}

/// `token` with the moment to stop handing it out: a minute before expiry, or half-way through
/// a lifetime of two minutes or less.
fn held(token: AccessToken, issued: chrono::DateTime<Utc>) -> Held {
    let lifetime = token.expires_at - issued;
    let margin = REFRESH_MARGIN.min(lifetime / 2).max(Duration::zero());
    Held {
        refresh_at: token.expires_at - margin,
        token,
    }
}

impl TokenSource for ClientCredentials {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        async move { self.get().await }.boxed()
    }

    fn invalidate(&self, rejected: &AccessToken) {
        let mut slot = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if slot
            .as_ref()
            .is_some_and(|h| h.token.secret.expose_secret() == rejected.secret.expose_secret())
        {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(secret: &str, expires_at: chrono::DateTime<Utc>) -> AccessToken {
        AccessToken {
            secret: SecretString::from(secret.to_string()),
            expires_at,
        }
    }

    #[test]
    fn refresh_is_a_minute_early_or_half_way_for_short_tokens() {
        let now = Utc::now();
        let hour = held(token("a", now + Duration::hours(1)), now);
        assert_eq!(hour.refresh_at, now + Duration::minutes(59));
        let short = held(token("b", now + Duration::seconds(60)), now);
        assert_eq!(short.refresh_at, now + Duration::seconds(30));
        let stale = held(token("c", now - Duration::seconds(5)), now);
        assert!(!stale.fresh());
    }

    #[test]
    fn invalidate_drops_only_the_rejected_token() {
        let Ok(base) = reqwest::Url::parse("http://127.0.0.1:9/") else {
            panic!("sandbox url");
        };
        let endpoints = Endpoints::sandbox(&base);
        let Ok(cc) = ClientCredentials::new(&endpoints, "app", SecretString::from("s".to_string()))
        else {
            panic!("client credentials");
        };
        let now = Utc::now();
        *cc.cached.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(held(token("kept", now + Duration::hours(1)), now));
        cc.invalidate(&token("other", now + Duration::hours(1)));
        assert!(
            cc.current().is_some(),
            "another token's rejection is ignored"
        );
        cc.invalidate(&token("kept", now + Duration::hours(1)));
        assert!(cc.current().is_none());
    }
}
