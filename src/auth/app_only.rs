//! The app-only grant (OAuth 2.0 client credentials, DESIGN.md 4.5), once for both proofs an
//! app can give: a client secret (`client_credentials`) or a certificate's signed assertion
//! (`certificate`). The token endpoint is spoken through `oauth`, so a refusal stays an
//! `AuthError::Rejected` with its AADSTS codes and advice. The token is kept in memory until
//! shortly before it expires and concurrent callers share one fetch. No `Debug`: it holds the
//! secret or the key, and the token.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::AccessToken;
use super::certificate::{ASSERTION_TYPE, Certificate};
use super::delegated::Held;
use super::oauth::{self, AuthError};
use crate::config::Endpoints;

/// Refresh this long before expiry (or at half the lifetime, for very short-lived tokens). An
/// app-only token is one request away, so a minute is enough, unlike the delegated margin.
const REFRESH_MARGIN: Duration = Duration::minutes(1);

/// What the app proves itself with.
pub(super) enum Proof {
    Secret(SecretString),
    /// A fresh assertion is signed for each token request.
    Certificate(Certificate),
}

pub(super) struct AppOnly {
    http: reqwest::Client,
    token_url: String,
    scope: String,
    client_id: String,
    proof: Proof,
    /// The token and when to stop handing it out; a sync lock so `invalidate` can clear it.
    cached: Mutex<Option<Held>>,
    /// Held across a fetch, so that many callers waiting on an expired token cause one request.
    fetching: tokio::sync::Mutex<()>,
}

impl AppOnly {
    pub fn new(
        http: reqwest::Client,
        endpoints: &Endpoints,
        client_id: &str,
        proof: Proof,
    ) -> Self {
        Self {
            http,
            token_url: endpoints.token_url(),
            scope: format!(
                "{}/.default",
                endpoints.graph.as_str().trim_end_matches('/')
            ),
            client_id: client_id.to_string(),
            proof,
            cached: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn current(&self) -> Option<AccessToken> {
        self.cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .filter(Held::fresh)
            .map(|h| h.token)
    }

    /// A token for Graph: the cached one while it is fresh, otherwise a new one.
    pub async fn get(&self) -> Result<AccessToken, AuthError> {
        if let Some(t) = self.current() {
            return Ok(t);
        }
        let _one_at_a_time = self.fetching.lock().await;
        if let Some(t) = self.current() {
            return Ok(t);
        }
        let now = Utc::now();
        let token = self.fetch(now).await?;
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(held(token.clone(), now));
        Ok(token)
    }

    async fn fetch(&self, now: DateTime<Utc>) -> Result<AccessToken, AuthError> {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("scope", self.scope.as_str()),
        ];
        let assertion;
        match &self.proof {
            Proof::Secret(secret) => form.push(("client_secret", secret.expose_secret())),
            Proof::Certificate(certificate) => {
                assertion = certificate.assertion(&self.client_id, &self.token_url, now)?;
                form.push(("client_assertion_type", ASSERTION_TYPE));
                form.push(("client_assertion", assertion.expose_secret()));
            }
        }
        let body = oauth::post_form_retrying(&self.http, &self.token_url, &form).await?;
        let tokens = oauth::parse_token(body, now)?;
        Ok(AccessToken {
            secret: tokens.access_token,
            expires_at: tokens.expires_at,
        })
    }

    /// Graph refused `rejected`: forget it, unless a newer token has replaced it already.
    pub fn invalidate(&self, rejected: &AccessToken) {
        let mut slot = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if slot
            .as_ref()
            .is_some_and(|h| h.token.secret.expose_secret() == rejected.secret.expose_secret())
        {
            *slot = None;
        }
    }
}

/// `token` with the moment to stop handing it out: a minute before expiry, or half-way through
/// a lifetime of two minutes or less.
fn held(token: AccessToken, issued: DateTime<Utc>) -> Held {
    let lifetime = token.expires_at - issued;
    let margin = REFRESH_MARGIN.min(lifetime / 2).max(Duration::zero());
    Held {
        refresh_at: token.expires_at - margin,
        token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(secret: &str, expires_at: DateTime<Utc>) -> AccessToken {
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
        let Ok(http) = oauth::http_client() else {
            panic!("http client");
        };
        let app = AppOnly::new(
            http,
            &Endpoints::sandbox(&base),
            "app",
            Proof::Secret(SecretString::from("s".to_string())),
        );
        let now = Utc::now();
        *app.cached.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(held(token("kept", now + Duration::hours(1)), now));
        app.invalidate(&token("other", now + Duration::hours(1)));
        assert!(
            app.current().is_some(),
            "another token's rejection is ignored"
        );
        app.invalidate(&token("kept", now + Duration::hours(1)));
        assert!(app.current().is_none());
    }
}
