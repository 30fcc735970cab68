//! State shared by every request of one sandbox server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use axum::Router;
use url::Url;

use super::assertion::TrustedCert;
use super::device::DeviceCodeScript;
use super::faults::{Faults, PasswordFault};
use super::routes::Domain;
use super::signing::SigningKey;
use super::store::Store;
use super::tenancy::Tenancy;

pub type AppState = Arc<Shared>;

/// A device code waiting to be redeemed.
pub struct DeviceCode {
    pub client_id: String,
    pub scope: String,
    pub polls: u32,
    pub expires_at: i64,
}

#[derive(Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub writes: AtomicU64,
    pub throttled: AtomicU64,
}

impl Metrics {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// One tenant of a running sandbox: its store and facts, and (behind `Arc`s) what every tenant
/// of the sandbox shares. Each tenant has its own, and its own router, so a handler only ever
/// sees the tenant its request is for (see `tenancy`).
pub struct Shared {
    pub store: Mutex<Store>,
    /// The tokens' signing key, kept in the first tenant's store so tokens survive a restart;
    /// one for every tenant, as Entra signs every tenant's tokens with the same keys.
    pub key: Arc<SigningKey>,
    pub tenant_id: String,
    /// The tenant's place among the sandbox's tenants (0: the first, Contoso).
    pub index: usize,
    /// Its display name: "Contoso (sandbox)".
    pub name: String,
    /// The name its licences are bought under: "Contoso Sandbox".
    pub account_name: String,
    /// Every tenant of the sandbox, for the login endpoints (a refresh token redeemed at
    /// another tenant's authority, GDAP, refused sign-ins).
    pub tenancy: Arc<Tenancy>,
    /// The default domain: users live in it.
    pub domain: String,
    /// Every domain of the tenant, verified or not (`GET /domains`).
    pub domains: Vec<Domain>,
    /// Words banned in passwords because they name the tenant (from its verified domains).
    pub tenant_words: Vec<String>,
    /// Where the sandbox listens (`https://` with TLS).
    pub base_url: Url,
    /// `--public-url`: the root of every absolute URL in a reply, whatever the request said.
    pub public_url: Option<Url>,
    /// `--public-login-url`: the login root of discovery documents and device codes.
    pub public_login_url: Option<Url>,
    pub token_lifetime: Duration,
    pub client_secret: String,
    /// Its own fault stream and write quota (Graph throttles per tenant).
    pub faults: Faults,
    /// Counted for the whole sandbox.
    pub metrics: Arc<Metrics>,
    pub devices: Mutex<HashMap<String, DeviceCode>>,
    /// How device-code polls are answered.
    pub device_script: DeviceCodeScript,
    /// Certificates registered for client assertions, for any client id.
    pub trusted: Vec<TrustedCert>,
    /// `client_id` + `jti` of accepted assertions, until they expire: a replay is refused.
    pub spent_jtis: Arc<Mutex<HashMap<(String, String), i64>>>,
    /// `roles` of client-credentials tokens.
    pub app_roles: Vec<String>,
    /// `wids` (directory role template ids) of client-credentials tokens.
    pub directory_roles: Vec<String>,
    /// The tenant's router, for `$batch` to run inner requests through.
    pub router: OnceLock<Router>,
    /// Password sets still to be failed on purpose, and how (a runtime test switch).
    pub password_faults: Arc<Mutex<(u32, PasswordFault)>>,
    /// Graph requests still to panic inside their handler (a runtime test switch).
    pub panics: Arc<AtomicU32>,
    /// The sync-state generation delta tokens carry: a token of another generation is
    /// refused as expired (`SandboxHandle::expire_delta_tokens`, a runtime test switch).
    pub delta_generation: Arc<AtomicU64>,
    /// Permissions taken away from every token (`--deny-scope`).
    pub denied: Vec<String>,
    /// The tenant's Temporary Access Pass policy.
    pub tap_policy: super::routes::TapPolicy,
}

impl Shared {
    /// The store; a panic while holding it cannot leave SQLite half-written (writes are
    /// transactions), so a poisoned lock is safe to take over.
    pub fn db(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The sandbox's Global Administrator: device codes sign it in, and it cannot be deleted.
    pub fn admin_upn(&self) -> String {
        format!("admin@{}", self.domain)
    }

    /// True for a verified domain of the tenant (any case).
    pub fn is_verified_domain(&self, domain: &str) -> bool {
        self.domains
            .iter()
            .any(|d| d.is_verified && d.id.eq_ignore_ascii_case(domain))
    }

    /// Takes one pending password fault, if any is left.
    pub fn take_password_fault(&self) -> Option<PasswordFault> {
        let mut f = self
            .password_faults
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if f.0 == 0 {
            return None;
        }
        f.0 -= 1;
        Some(f.1)
    }

    /// Takes one pending panic, if any is left.
    pub fn take_panic(&self) -> bool {
        self.panics
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }

    /// The store, with deleted users past Entra's 30-day retention purged first: every route
    /// that reads or changes deleted items goes through here, so a store reopened weeks later
    /// shows what Entra would.
    pub fn db_swept(&self) -> Result<MutexGuard<'_, Store>, rusqlite::Error> {
        let mut db = self.db();
        db.purge_expired(chrono::Utc::now())?;
        Ok(db)
    }

    /// Takes one write from the quota, counting it either way.
    pub fn take_write(&self) -> Result<(), super::error::ApiError> {
        match self.faults.take_write() {
            Ok(()) => {
                Metrics::bump(&self.metrics.writes);
                Ok(())
            }
            Err(secs) => {
                Metrics::bump(&self.metrics.throttled);
                Err(super::error::ApiError::throttled(secs))
            }
        }
    }
}
