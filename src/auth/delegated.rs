//! A `TokenSource` for a signed-in admin: access tokens live in memory only, are refreshed a few
//! minutes before they expire and once more after a 401, and every refresh stores the rotated
//! refresh token in the cache (the old one stops working, so it is dropped).

use std::sync::Mutex;

use chrono::{Duration, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::oauth::{self, AuthError, TokenResponse};
use super::token_cache::{CacheKey, CachedLogin, TokenCache};
use super::{AccessToken, TokenSource};

/// Refresh this long before expiry, so a token is never handed out about to die mid-request.
/// Short-lived tokens (a sandbox with `--token-lifetime 60`) refresh at half their life instead.
pub const REFRESH_AHEAD: Duration = Duration::minutes(5);

/// A token and the moment to stop handing it out.
#[derive(Clone)]
pub(crate) struct Held {
    pub token: AccessToken,
    pub refresh_at: chrono::DateTime<Utc>,
}

impl Held {
    pub fn new(token: AccessToken) -> Self {
        let left = token.expires_at - Utc::now();
        let margin = REFRESH_AHEAD.min(left / 2).max(Duration::zero());
        Self {
            refresh_at: token.expires_at - margin,
            token,
        }
    }

    pub fn fresh(&self) -> bool {
        Utc::now() < self.refresh_at
    }
}
/// If a refresh fails, a token with at least this much life left is still handed out.
const STILL_USABLE: Duration = Duration::minutes(1);

/// No `Debug`: it holds the refresh token.
pub struct DelegatedTokens {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    scopes: String,
    cache: Option<TokenCache>,
    key: CacheKey,
    tenant_id: Option<String>,
    /// See `DelegatedConfig::borrowed`.
    borrowed: bool,
    /// The current access token; `invalidate` clears it without waiting for a refresh.
    access: Mutex<Option<Held>>,
    /// The refresh token; the async lock also makes concurrent refreshes happen once.
    refresh: tokio::sync::Mutex<SecretString>,
}

pub struct DelegatedConfig {
    pub http: reqwest::Client,
    pub token_url: String,
    pub client_id: String,
    pub scopes: String,
    /// Where rotated refresh tokens go; `None` keeps them in memory only.
    pub cache: Option<TokenCache>,
    pub key: CacheKey,
    pub tenant_id: Option<String>,
    /// The refresh token is another tenant's sign-in (the partner's home, redeemed at a
    /// customer tenant's authority): a refusal there says nothing about the sign-in itself,
    /// so it stays in the cache for the tenants that accept it.
    pub borrowed: bool,
}

impl DelegatedTokens {
    /// From a refresh token (e.g. found in the cache); the first `token()` call redeems it.
    pub fn new(config: DelegatedConfig, refresh_token: SecretString) -> Self {
        Self {
            http: config.http,
            token_url: config.token_url,
            client_id: config.client_id,
            scopes: config.scopes,
            cache: config.cache,
            key: config.key,
            tenant_id: config.tenant_id,
            borrowed: config.borrowed,
            access: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(refresh_token),
        }
    }

    /// Right after an interactive sign-in: keeps its access token and saves its refresh token.
    pub fn after_sign_in(
        config: DelegatedConfig,
        tokens: TokenResponse,
    ) -> Result<Self, AuthError> {
        let refresh = tokens.refresh_token.ok_or_else(|| {
            AuthError::Malformed(
                "the sign-in gave no refresh token (was offline_access granted?)".into(),
            )
        })?;
        let this = Self::new(config, refresh.clone());
        this.set_access(AccessToken {
            secret: tokens.access_token,
            expires_at: tokens.expires_at,
        });
        this.save(&refresh)?;
        Ok(this)
    }

    fn current(&self) -> Option<Held> {
        self.access
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_access(&self, token: AccessToken) {
        *self.access.lock().unwrap_or_else(|p| p.into_inner()) = Some(Held::new(token));
    }

    fn save(&self, refresh: &SecretString) -> Result<(), AuthError> {
        let Some(cache) = &self.cache else {
            return Ok(());
        };
        cache.store(&CachedLogin {
            key: self.key.clone(),
            refresh_token: refresh.clone(),
            tenant_id: self.tenant_id.clone(),
            scopes: self.scopes.clone(),
            saved_at: Utc::now(),
        })
    }

    /// A token that is not due for refresh, refreshing when needed.
    pub async fn get(&self) -> Result<AccessToken, AuthError> {
        if let Some(h) = self.current().filter(Held::fresh) {
            return Ok(h.token);
        }
        let mut refresh = self.refresh.lock().await;
        // Someone else may have refreshed while we waited for the lock.
        if let Some(h) = self.current().filter(Held::fresh) {
            return Ok(h.token);
        }
        // One redemption at a time per saved sign-in in this process, on its newest refresh
        // token: the tenants of a partner's run all spend the home's one sign-in, and a token
        // another tenant just rotated may be spent already.
        let chain = self.cache.as_ref().map(|_| chain_lock(&self.key));
        let _turn = match &chain {
            Some(c) => Some(c.lock().await),
            None => None,
        };
        if let Some(newer) = self.newer_in_cache(&refresh) {
            *refresh = newer;
        }
        let mut result = self.redeem(&refresh).await;
        if result
            .as_ref()
            .err()
            .is_some_and(|e| e.oauth_code() == Some("invalid_grant"))
            && let Some(newer) = self.newer_in_cache(&refresh)
        {
            // Another undelete process (the TUI and a cron job, say) rotated it first and saved
            // the successor: carry on with that one.
            *refresh = newer;
            result = self.redeem(&refresh).await;
        }
        match result {
            Ok(tokens) => {
                let token = AccessToken {
                    secret: tokens.access_token,
                    expires_at: tokens.expires_at,
                };
                self.set_access(token.clone());
                if let Some(new_refresh) = tokens.refresh_token {
                    *refresh = new_refresh;
                    // The old refresh token is spent; if saving the new one fails, this session
                    // still works and the next run asks to sign in again.
                    let _ = self.save(&refresh);
                }
                Ok(token)
            }
            Err(e) => {
                if e.oauth_code() == Some("invalid_grant") {
                    // Revoked or expired for good: forget it, so the next start signs in afresh.
                    if let Some(cache) = self.cache.as_ref().filter(|_| !self.borrowed) {
                        let _ = cache.remove_if_current(&self.key, &refresh);
                    }
                    *self.access.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    return Err(e);
                }
                // A network blip: a token that still has a minute left is good enough.
                match self.current() {
                    Some(h) if h.token.expires_at - Utc::now() > STILL_USABLE => Ok(h.token),
                    _ => Err(e),
                }
            }
        }
    }

    /// The cached refresh token for our key, if it differs from `ours`.
    fn newer_in_cache(&self, ours: &SecretString) -> Option<SecretString> {
        let cache = self.cache.as_ref()?;
        let found = cache
            .find(
                &self.key.cloud,
                &self.key.tenant,
                &self.key.client_id,
                Some(&self.key.account),
            )
            .ok()
            .flatten()?;
        (found.refresh_token.expose_secret() != ours.expose_secret()).then_some(found.refresh_token)
    }

    async fn redeem(&self, refresh: &SecretString) -> Result<TokenResponse, AuthError> {
        let now = Utc::now();
        let body = oauth::post_form_retrying(
            &self.http,
            &self.token_url,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &self.client_id),
                ("refresh_token", refresh.expose_secret()),
                ("scope", &self.scopes),
            ],
        )
        .await?;
        oauth::parse_token(body, now)
    }
}

/// The lock of one saved sign-in (its cache key), shared by every `DelegatedTokens` on it.
fn chain_lock(key: &CacheKey) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    static CHAINS: Mutex<Vec<(CacheKey, std::sync::Arc<tokio::sync::Mutex<()>>)>> =
        Mutex::new(Vec::new());
    let mut chains = CHAINS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, lock)) = chains.iter().find(|(k, _)| k == key) {
        return lock.clone();
    }
    let lock = std::sync::Arc::new(tokio::sync::Mutex::new(()));
    chains.push((key.clone(), lock.clone()));
    lock
}

impl TokenSource for DelegatedTokens {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        async move { self.get().await }.boxed()
    }

    fn invalidate(&self, rejected: &AccessToken) {
        let mut slot = self.access.lock().unwrap_or_else(|p| p.into_inner());
        let same = slot
            .as_ref()
            .is_some_and(|h| h.token.secret.expose_secret() == rejected.secret.expose_secret());
        if same {
            *slot = None;
        }
    }
}
