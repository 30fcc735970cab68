//! The Graph-compatible sandbox server (DESIGN.md section 5): a real HTTP server on loopback
//! that answers the Microsoft Graph and Entra ID login calls the app makes, backed by SQLite.
//!
//! ```no_run
//! # async fn demo() -> Result<(), undelete_sandbox::SandboxError> {
//! let sandbox = undelete_sandbox::spawn(undelete_sandbox::SandboxConfig::new("/tmp/sb")).await?;
//! println!("{}", sandbox.base_url()); // http://127.0.0.1:PORT/
//! # Ok(()) }
//! ```

mod aftercare_store;
mod arm;
mod assertion;
mod audit;
mod batch;
mod command;
mod device;
mod error;
mod faults;
mod guard;
#[cfg(feature = "test-hooks")]
mod inspect;
mod login;
mod objects;
mod odata;
mod offboarding_seed;
pub mod origin;
mod path;
mod permissions;
mod policy;
mod routes;
mod seed;
mod seed_objects;
mod server;
mod signing;
mod state;
mod store;
pub mod tls;
mod token;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use url::Url;

pub use assertion::TrustedCert;
pub use command::{SandboxCommand, SeedOptions, ServeOptions, parse_quota, run_command};
pub use device::{DeviceCodeScript, DevicePoll};
pub use faults::{FaultConfig, PasswordFault};
pub use guard::{MAX_BATCH_BODY, MAX_BODY, MAX_QUERY_LEN, in_sandbox_request};
#[cfg(feature = "test-hooks")]
pub use inspect::Inspector;
pub use login::{APP_ROLES, ClientAuth, TokenSpec};
pub use odata::{MAX_FILTER_DEPTH, MAX_FILTER_LEN};
pub use routes::{GLOBAL_ADMINISTRATOR, USER_ADMINISTRATOR};
pub use seed::{MAX_SEEDED_USERS, check_seed_count};
pub use store::SentMail;

use signing::SigningKey;
use state::{AppState, Metrics, Shared};

/// The store's meta entry holding the token-signing key (PKCS#8, hex).
const SIGNING_KEY: &str = "signing_key";
use store::Store;

/// The sandbox's own verified domain.
pub const DOMAIN: &str = "contoso.sandbox";

/// The tenant's display name (`/organization`, ARM's tenant list) and country.
pub const TENANT_NAME: &str = "Contoso (sandbox)";
pub const COUNTRY: &str = "US";

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("sandbox data dir {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("sandbox store {path}: {source}")]
    Store {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("invalid sandbox setting: {0}")]
    Config(String),
}

/// How to run a sandbox. No `Debug`: it holds the client secret.
#[derive(Clone)]
pub struct SandboxConfig {
    pub data_dir: PathBuf,
    pub users: usize,
    /// Active users to have in all (`None`: about a fifth as many as deleted ones).
    pub active: Option<usize>,
    pub seed: u64,
    pub faults: FaultConfig,
    pub token_lifetime: Duration,
    pub client_secret: String,
    pub port: u16,
    /// Certificates accepted for client assertions (any client id).
    pub trusted: Vec<TrustedCert>,
    /// Settings that could not be taken (an unreadable certificate, a bad public URL):
    /// `spawn` reports them instead of starting.
    trust_errors: Vec<String>,
    pub device_script: DeviceCodeScript,
    /// Application permissions (`roles`) of client-credentials tokens.
    pub app_roles: Vec<String>,
    /// Directory role template ids (`wids`) of client-credentials tokens.
    pub directory_roles: Vec<String>,
    /// Password sets to fail from the start, and how (see `SandboxHandle::fail_next_password_sets`).
    pub password_faults: (u32, PasswordFault),
    /// Serve HTTPS with a certificate from the data dir's own CA (`tls/ca.pem`).
    pub tls: bool,
    /// The root every absolute URL in a reply starts with; `None`: the request's scheme and
    /// `Host` (see `origin::public_root`).
    pub public_url: Option<Url>,
    /// The login root discovery documents and device codes name; `None`: the same root as
    /// Graph's (`public_url`, or the request's).
    pub public_login_url: Option<Url>,
    /// Permissions no token carries here, whatever it was granted (`--deny-scope`): the calls
    /// that need them answer 403, as in a tenant where they were never consented.
    pub denied: Vec<String>,
    /// The tenant's Temporary Access Pass policy is enabled (Entra's default lifetimes).
    pub tap_enabled: bool,
}

impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("data_dir", &self.data_dir)
            .field("users", &self.users)
            .field("active", &self.active)
            .field("seed", &self.seed)
            .field("faults", &self.faults)
            .field("token_lifetime", &self.token_lifetime)
            .field("port", &self.port)
            .field("trusted", &self.trusted)
            .field("device_script", &self.device_script)
            .field("app_roles", &self.app_roles)
            .field("directory_roles", &self.directory_roles)
            .field("password_faults", &self.password_faults)
            .field("tls", &self.tls)
            .field("public_url", &self.public_url.as_ref().map(Url::as_str))
            .field(
                "public_login_url",
                &self.public_login_url.as_ref().map(Url::as_str),
            )
            .field("denied", &self.denied)
            .field("tap_enabled", &self.tap_enabled)
            .finish_non_exhaustive()
    }
}

impl SandboxConfig {
    /// 250 deleted users, seed 1, no faults, one-hour tokens, secret `sandbox`, any free port,
    /// no certificate trusted, device codes approved after one poll, app-only tokens with every
    /// permission undelete needs and the User Administrator role.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            users: 250,
            active: None,
            seed: 1,
            faults: FaultConfig::default(),
            token_lifetime: Duration::from_secs(3600),
            client_secret: "sandbox".into(),
            port: 0,
            trusted: Vec::new(),
            trust_errors: Vec::new(),
            device_script: DeviceCodeScript::default(),
            app_roles: APP_ROLES.iter().map(|r| r.to_string()).collect(),
            directory_roles: vec![USER_ADMINISTRATOR.to_string()],
            password_faults: (0, PasswordFault::default()),
            tls: false,
            public_url: None,
            public_login_url: None,
            denied: Vec::new(),
            tap_enabled: true,
        }
    }

    /// Serves HTTPS (HTTP/1.1) with a leaf certificate for loopback and Microsoft's Graph and
    /// login hosts, signed by a CA made once in `DATA_DIR/tls/` (`SandboxHandle::ca_path`).
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// The root every absolute URL the sandbox writes starts with (`@odata.nextLink`,
    /// `@odata.context`, …), e.g. `https://graph.microsoft.com`. Refused by `spawn` unless
    /// `origin::parse_public_url` accepts it.
    pub fn public_url(mut self, url: &str) -> Self {
        match origin::parse_public_url(url) {
            Ok(u) => self.public_url = Some(u),
            Err(e) => self.trust_errors.push(e),
        }
        self
    }

    /// The login root discovery documents and device codes name, e.g.
    /// `https://login.microsoftonline.com` beside a `public_url` of
    /// `https://graph.microsoft.com`. Refused by `spawn` unless
    /// `origin::parse_public_login_url` accepts it.
    pub fn public_login_url(mut self, url: &str) -> Self {
        match origin::parse_public_login_url(url) {
            Ok(u) => self.public_login_url = Some(u),
            Err(e) => self.trust_errors.push(e),
        }
        self
    }

    /// Enables or disables Temporary Access Passes in the tenant's policy.
    pub fn tap_policy(mut self, enabled: bool) -> Self {
        self.tap_enabled = enabled;
        self
    }

    /// Registers the certificate(s) in `pem` for client assertions of any client id, as
    /// uploading them to an app registration would. A private key in the same text is ignored
    /// and not kept. An unreadable certificate makes `spawn` fail, saying why.
    pub fn trust_certificate(mut self, pem: &str) -> Self {
        match TrustedCert::from_pem(pem) {
            Ok(certs) => self.trusted.extend(certs),
            Err(e) => self
                .trust_errors
                .push(format!("cannot trust the certificate: {e}")),
        }
        self
    }

    pub fn device_code_script(mut self, script: DeviceCodeScript) -> Self {
        self.device_script = script;
        self
    }

    /// The application permissions client-credentials tokens carry (`roles`).
    pub fn app_roles(mut self, roles: &[&str]) -> Self {
        self.app_roles = roles.iter().map(|r| r.to_string()).collect();
        self
    }

    /// The directory roles (template ids, `wids`) client-credentials tokens carry, e.g.
    /// `USER_ADMINISTRATOR`; Graph calls that need a role the token lacks answer 403.
    pub fn directory_roles(mut self, roles: &[&str]) -> Self {
        self.directory_roles = roles.iter().map(|r| r.to_string()).collect();
        self
    }

    pub fn users(mut self, n: usize) -> Self {
        self.users = n;
        self
    }
    /// Active users to seed in all, with groups and org contacts in proportion.
    pub fn active(mut self, n: usize) -> Self {
        self.active = Some(n);
        self
    }
    /// Takes `permission` away from every token (e.g. `AuditLog.Read.All`).
    pub fn deny(mut self, permission: impl Into<String>) -> Self {
        self.denied.push(permission.into());
        self
    }
    pub fn seed(mut self, n: u64) -> Self {
        self.seed = n;
        self
    }
    pub fn latency(mut self, d: Duration) -> Self {
        self.faults.latency = d;
        self
    }
    /// Share of Graph requests answered 500 or 503 (0.0 to 1.0).
    pub fn fail_rate(mut self, p: f64) -> Self {
        self.faults.fail_rate = p;
        self
    }
    /// Share of Graph requests whose connection is closed without a reply (0.0 to 1.0).
    pub fn drop_rate(mut self, p: f64) -> Self {
        self.faults.drop_rate = p;
        self
    }
    pub fn write_quota(mut self, writes: u32, per: Duration) -> Self {
        self.faults.write_quota = Some((writes, per));
        self
    }
    /// Fails the first `n` password sets with `fault` (`SandboxHandle::fail_next_password_sets`
    /// changes it while running).
    pub fn fail_password_sets(mut self, n: u32, fault: PasswordFault) -> Self {
        self.password_faults = (n, fault);
        self
    }
    pub fn fault_seed(mut self, seed: u64) -> Self {
        self.faults.seed = seed;
        self
    }
    pub fn token_lifetime(mut self, d: Duration) -> Self {
        self.token_lifetime = d;
        self
    }
    pub fn client_secret(mut self, s: impl Into<String>) -> Self {
        self.client_secret = s.into();
        self
    }
    pub fn port(mut self, p: u16) -> Self {
        self.port = p;
        self
    }

    fn validate(&self) -> Result<(), SandboxError> {
        if let Some(e) = self.trust_errors.first() {
            return Err(SandboxError::Config(e.clone()));
        }
        let rate = |p: f64| (0.0..=1.0).contains(&p);
        if !rate(self.faults.fail_rate) || !rate(self.faults.drop_rate) {
            return Err(SandboxError::Config(
                "fail and drop rates must be between 0.0 and 1.0".into(),
            ));
        }
        if self.faults.fail_rate + self.faults.drop_rate > 1.0 {
            return Err(SandboxError::Config(
                "fail rate plus drop rate must not exceed 1.0".into(),
            ));
        }
        if let Some((n, per)) = self.faults.write_quota
            && (n == 0 || per.is_zero())
        {
            return Err(SandboxError::Config(
                "the write quota needs at least one write per non-zero period".into(),
            ));
        }
        if self.token_lifetime.is_zero() {
            return Err(SandboxError::Config(
                "token lifetime must be positive".into(),
            ));
        }
        Ok(())
    }
}

/// Path of the store inside a data dir.
pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join(store::FILE_NAME)
}

fn store_err(path: &Path) -> impl FnOnce(rusqlite::Error) -> SandboxError + '_ {
    move |source| SandboxError::Store {
        path: path.to_path_buf(),
        source,
    }
}

/// What an opened store says about itself.
struct Opened {
    store: Store,
    key: SigningKey,
    tenant_id: String,
}

/// Refuses counts past what one seeding makes.
fn check_seed(users: usize, active: Option<usize>) -> Result<(), SandboxError> {
    check_seed_count("deleted users", users).map_err(SandboxError::Config)?;
    match active {
        Some(n) => check_seed_count("active users", n).map_err(SandboxError::Config),
        None => Ok(()),
    }
}

/// Opens (and seeds, if empty) the store in `data_dir`.
fn open_store(
    data_dir: &Path,
    users: usize,
    active: Option<usize>,
    seed: u64,
) -> Result<Opened, SandboxError> {
    check_seed(users, active)?;
    std::fs::create_dir_all(data_dir).map_err(|source| SandboxError::DataDir {
        path: data_dir.to_path_buf(),
        source,
    })?;
    let path = store_path(data_dir);
    let private = |path: &Path| {
        store::make_private(path).map_err(|source| SandboxError::DataDir {
            path: path.to_path_buf(),
            source,
        })
    };
    private(&path)?;
    let mut store = Store::open(&path).map_err(store_err(&path))?;
    // Opening may have created the -wal and -shm files.
    private(&path)?;
    if store.meta("seeded_at").map_err(store_err(&path))?.is_none() {
        let now = chrono::Utc::now();
        let mut seeded = seed::generate(seed, users, DOMAIN, now);
        let extra = seed_objects::generate(seed, &seeded.users, active, DOMAIN, now);
        seeded.users.extend(extra.active);
        let meta = [
            ("seed", seed.to_string()),
            ("users", users.to_string()),
            ("tenant_id", seeded.tenant_id),
            (
                "seeded_at",
                now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        ];
        // Another process may have seeded it meanwhile: then its data is kept.
        if store
            .seed_if_empty(&seeded.users, &meta)
            .map_err(store_err(&path))?
        {
            store
                .seed_objects(&extra.objects, &extra.audits)
                .map_err(store_err(&path))?;
        }
    }
    aftercare_store::ensure_schema(&store).map_err(store_err(&path))?;
    aftercare_store::seed_if_empty(&mut store, &format!("admin@{DOMAIN}"))
        .map_err(store_err(&path))?;
    // Stores from before tokens were RS256 have none yet: they get one now.
    let key = match store.meta(SIGNING_KEY).map_err(store_err(&path))? {
        Some(k) => k,
        None => {
            let fresh = SigningKey::generate().map_err(SandboxError::Config)?;
            store
                .meta_or_insert(SIGNING_KEY, &hex::encode(fresh))
                .map_err(store_err(&path))?
        }
    };
    let key = hex::decode(key)
        .map_err(|e| e.to_string())
        .and_then(|der| SigningKey::from_pkcs8(&der))
        .map_err(|e| SandboxError::Config(format!("{}: signing key: {e}", path.display())))?;
    let tenant_id = store
        .meta("tenant_id")
        .map_err(store_err(&path))?
        .unwrap_or_default();
    Ok(Opened {
        store,
        key,
        tenant_id,
    })
}

/// Removes the store files (database, WAL, shared memory) so the next open re-seeds.
fn remove_store(data_dir: &Path) -> Result<(), SandboxError> {
    let base = store_path(data_dir);
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", base.display()));
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(SandboxError::DataDir { path: p, source }),
        }
    }
    Ok(())
}

/// Starts a sandbox on `127.0.0.1:port`, seeding its store first if it is empty.
pub async fn spawn(cfg: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
    cfg.validate()?;
    let (data_dir, users, active, seed, with_tls) = (
        cfg.data_dir.clone(),
        cfg.users,
        cfg.active,
        cfg.seed,
        cfg.tls,
    );
    let (opened, tls) = tokio::task::spawn_blocking(move || {
        let opened = open_store(&data_dir, users, active, seed)?;
        let tls = if with_tls {
            Some(tls::setup(&data_dir)?)
        } else {
            None
        };
        Ok::<_, SandboxError>((opened, tls))
    })
    .await
    .map_err(|e| SandboxError::Config(format!("seeding task failed: {e}")))??;

    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, cfg.port)))
        .await
        .map_err(|source| SandboxError::Bind {
            port: cfg.port,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
        port: cfg.port,
        source,
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = Url::parse(&format!("{scheme}://{addr}/"))
        .map_err(|e| SandboxError::Config(format!("base URL: {e}")))?;

    let domains = routes::tenant_domains(DOMAIN);
    let tenant_words = policy::tenant_words(
        domains
            .iter()
            .filter(|d| d.is_verified)
            .map(|d| d.id.as_str()),
    );
    let state: AppState = Arc::new(Shared {
        store: Mutex::new(opened.store),
        key: opened.key,
        tenant_id: opened.tenant_id,
        domain: DOMAIN.to_string(),
        domains,
        tenant_words,
        base_url: base_url.clone(),
        public_url: cfg.public_url.clone(),
        public_login_url: cfg.public_login_url.clone(),
        token_lifetime: cfg.token_lifetime,
        client_secret: cfg.client_secret.clone(),
        faults: faults::Faults::new(cfg.faults.clone()),
        metrics: Metrics::default(),
        devices: Mutex::new(HashMap::new()),
        device_script: cfg.device_script.clone(),
        trusted: cfg.trusted.clone(),
        spent_jtis: Mutex::new(HashMap::new()),
        app_roles: cfg.app_roles.clone(),
        directory_roles: cfg.directory_roles.clone(),
        router: OnceLock::new(),
        password_faults: Mutex::new(cfg.password_faults),
        panics: AtomicU32::new(0),
        delta_generation: AtomicU64::new(0),
        denied: cfg.denied.clone(),
        tap_policy: routes::TapPolicy::entra_default(cfg.tap_enabled),
    });
    let router = routes::build(state.clone());
    let _ = state.router.set(router.clone());

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let ca_path = tls.as_ref().map(|t| t.ca_path.clone());
    let acceptor = tls.map(|t| t.acceptor);
    let task = tokio::spawn(server::serve(
        listener,
        state.clone(),
        router,
        acceptor,
        stop_rx,
    ));
    Ok(SandboxHandle {
        base_url,
        ca_path,
        client_secret: cfg.client_secret,
        state,
        stop: stop_tx,
        task: Some(task),
    })
}

/// A running sandbox. Dropping it stops the server; `shutdown` also waits for it.
pub struct SandboxHandle {
    base_url: Url,
    ca_path: Option<PathBuf>,
    client_secret: String,
    state: AppState,
    stop: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT/` (`https://` with TLS): Graph lives under `v1.0/`, login under
    /// `{tenant}/oauth2/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The CA certificate (PEM) a client must trust to reach a TLS sandbox; `None` without TLS.
    pub fn ca_path(&self) -> Option<&Path> {
        self.ca_path.as_deref()
    }

    /// The root set by `SandboxConfig::public_url`, if any.
    pub fn public_url(&self) -> Option<&Url> {
        self.state.public_url.as_ref()
    }

    /// The login root set by `SandboxConfig::public_login_url`, if any.
    pub fn public_login_url(&self) -> Option<&Url> {
        self.state.public_login_url.as_ref()
    }

    pub fn domain(&self) -> &str {
        &self.state.domain
    }

    pub fn admin_upn(&self) -> String {
        self.state.admin_upn()
    }

    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    #[cfg(feature = "test-hooks")]
    pub fn inspect(&self) -> Inspector {
        Inspector {
            state: self.state.clone(),
        }
    }

    /// Makes the next `n` password sets (`PATCH /v1.0/users/{id}` with a `passwordProfile`,
    /// alone or inside `$batch`) fail with `fault`, after the caller's permissions are checked
    /// and before anything changes; `n = 0` stops failing them. Replaces any earlier setting.
    #[cfg(feature = "test-hooks")]
    pub fn fail_next_password_sets(&self, n: u32, fault: PasswordFault) {
        self.inspect().fail_next_password_sets(n, fault);
    }

    /// Makes the next `n` Graph requests panic inside their handler (the sandbox answers 500
    /// `generalException` and keeps serving); `n = 0` stops it.
    #[cfg(feature = "test-hooks")]
    pub fn panic_next_requests(&self, n: u32) {
        self.state.panics.store(n, Ordering::Relaxed);
    }

    /// Makes every delta token handed out so far expire, as Graph's do after 7 days: a round
    /// from one answers 400 `syncStateNotFound`, and a client must read in full again.
    pub fn expire_delta_tokens(&self) {
        self.state.delta_generation.fetch_add(1, Ordering::Relaxed);
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl std::fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("base_url", &self.base_url.as_str())
            .field("domain", &self.state.domain)
            .finish_non_exhaustive()
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
