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
mod stores;
mod tenancy;
mod tenants;
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
pub use tenancy::{GDAP_ROLES, Gdap, PRIVILEGED_AUTHENTICATION_ADMINISTRATOR, TenantInfo};
pub use tenants::{MAX_TENANTS, check_tenant_count, seeded_domains};

use signing::SigningKey;
use state::{AppState, Metrics, Shared};

/// The first tenant's default verified domain (a one-tenant sandbox's only one).
pub const DOMAIN: &str = "contoso.sandbox";

/// The first tenant's display name (`/organization`, ARM's tenant list), and every tenant's
/// country.
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
    /// How many tenants to serve (see `tenants`): 1 is the sandbox as it always was.
    pub tenants: usize,
    /// The partner's home tenant (a domain or tenant id) for GDAP: its users' refresh tokens
    /// are redeemed at its customers' authorities.
    pub partner_tenant: Option<String>,
    /// The partner's customers; `None`: every other tenant.
    pub customers: Option<Vec<String>>,
    /// Tenants that refuse every token request at their authority (AADSTS53003).
    pub refused: Vec<String>,
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
            .field("tenants", &self.tenants)
            .field("partner_tenant", &self.partner_tenant)
            .field("customers", &self.customers)
            .field("refused", &self.refused)
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
            tenants: 1,
            partner_tenant: None,
            customers: None,
            refused: Vec::new(),
        }
    }

    /// Serves `n` tenants (`contoso.sandbox`, `fabrikam.sandbox`, `northwind.sandbox`, ...),
    /// each with its own store, seeded with `users` deleted users of its own.
    pub fn tenants(mut self, n: usize) -> Self {
        self.tenants = n;
        self
    }

    /// Makes `tenant` (a domain or tenant id) the partner's home for GDAP: a refresh token one
    /// of its users got there is redeemed at a customer's authority for a token of that
    /// customer; any other tenant refuses it with AADSTS50020.
    pub fn partner_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.partner_tenant = Some(tenant.into());
        self
    }

    /// The partner's customers (domains or tenant ids); without this, every other tenant.
    pub fn customers<S: AsRef<str>>(mut self, customers: &[S]) -> Self {
        self.customers = Some(customers.iter().map(|c| c.as_ref().to_string()).collect());
        self
    }

    /// Makes `tenant` refuse every token request at its authority, as a Conditional Access
    /// policy that blocks sign-in does (AADSTS53003).
    pub fn refuse_sign_in(mut self, tenant: impl Into<String>) -> Self {
        self.refused.push(tenant.into());
        self
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
        check_tenant_count(self.tenants).map_err(SandboxError::Config)?;
        if self.customers.is_some() && self.partner_tenant.is_none() {
            return Err(SandboxError::Config(
                "customers need a partner: name its home tenant too".into(),
            ));
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

/// Path of the first tenant's store inside a data dir (a one-tenant sandbox's only one; the
/// others are under `tenants/`).
pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join(store::FILE_NAME)
}

/// What every tenant's state shares.
struct Common {
    key: Arc<SigningKey>,
    metrics: Arc<Metrics>,
    spent_jtis: Arc<Mutex<HashMap<(String, String), i64>>>,
    password_faults: Arc<Mutex<(u32, PasswordFault)>>,
    panics: Arc<AtomicU32>,
    delta_generation: Arc<AtomicU64>,
    tenancy: Arc<tenancy::Tenancy>,
}

/// One tenant's state, from its opened store.
fn tenant_state(
    cfg: &SandboxConfig,
    common: &Common,
    opened: stores::Opened,
    base_url: &Url,
) -> Shared {
    let stores::Opened {
        plan,
        store,
        tenant_id,
    } = opened;
    let domains = routes::tenant_domains(&plan.domain);
    let tenant_words = policy::tenant_words(
        domains
            .iter()
            .filter(|d| d.is_verified)
            .map(|d| d.id.as_str()),
    );
    // Each tenant draws its faults from a stream of its own (the first from the fault seed
    // itself), so a tenant meets the same faults whatever the others are asked.
    let mut faults = cfg.faults.clone();
    faults.seed = tenants::planned(plan.index, faults.seed).seed;
    Shared {
        store: Mutex::new(store),
        key: common.key.clone(),
        tenant_id,
        index: plan.index,
        name: plan.display_name(),
        account_name: plan.account_name(),
        tenancy: common.tenancy.clone(),
        domain: plan.domain,
        domains,
        tenant_words,
        base_url: base_url.clone(),
        public_url: cfg.public_url.clone(),
        public_login_url: cfg.public_login_url.clone(),
        token_lifetime: cfg.token_lifetime,
        client_secret: cfg.client_secret.clone(),
        faults: faults::Faults::new(faults),
        metrics: common.metrics.clone(),
        devices: Mutex::new(HashMap::new()),
        device_script: cfg.device_script.clone(),
        trusted: cfg.trusted.clone(),
        spent_jtis: common.spent_jtis.clone(),
        app_roles: cfg.app_roles.clone(),
        directory_roles: cfg.directory_roles.clone(),
        router: OnceLock::new(),
        password_faults: common.password_faults.clone(),
        panics: common.panics.clone(),
        delta_generation: common.delta_generation.clone(),
        denied: cfg.denied.clone(),
        tap_policy: routes::TapPolicy::entra_default(cfg.tap_enabled),
    }
}

/// The tenants as clients know them, with the partner's relationships and the refusing
/// tenants named in `cfg` found among them.
fn tenancy_of(
    cfg: &SandboxConfig,
    opened: &[stores::Opened],
) -> Result<tenancy::Tenancy, SandboxError> {
    let verified: Vec<Vec<String>> = opened
        .iter()
        .map(|o| {
            routes::tenant_domains(&o.plan.domain)
                .into_iter()
                .filter(|d| d.is_verified)
                .map(|d| d.id)
                .collect()
        })
        .collect();
    let infos: Vec<TenantInfo> = opened
        .iter()
        .map(|o| TenantInfo {
            id: o.tenant_id.clone(),
            domain: o.plan.domain.clone(),
            name: o.plan.display_name(),
            admin_upn: format!("admin@{}", o.plan.domain),
            refuses_sign_in: false,
            gdap: Gdap::None,
        })
        .collect();
    // Names are looked up before the partnership is known: a plain index of the tenants.
    let lookup = tenancy::Tenancy::new(infos.clone(), &verified, None);
    let served: Vec<&str> = opened.iter().map(|o| o.plan.domain.as_str()).collect();
    let served = served.join(", ");
    let find = |what: &str, name: &str| {
        lookup.find(name.trim()).ok_or_else(|| {
            SandboxError::Config(format!(
                "{what} {name:?} is none of the tenants served: {served}"
            ))
        })
    };
    let partner = match &cfg.partner_tenant {
        None => None,
        Some(home) => {
            let home = find("the partner tenant", home)?;
            let customers = match &cfg.customers {
                None => (0..infos.len()).filter(|&i| i != home).collect(),
                Some(names) => {
                    let mut out = Vec::new();
                    for name in names {
                        let i = find("the customer", name)?;
                        if i == home {
                            return Err(SandboxError::Config(format!(
                                "{name} is the partner's own tenant, not a customer"
                            )));
                        }
                        if !out.contains(&i) {
                            out.push(i);
                        }
                    }
                    out
                }
            };
            Some(tenancy::Partnership { home, customers })
        }
    };
    let mut infos = infos;
    for name in &cfg.refused {
        let i = find("the tenant to refuse sign-in", name)?;
        infos[i].refuses_sign_in = true;
    }
    Ok(tenancy::Tenancy::new(infos, &verified, partner))
}

/// Starts a sandbox on `127.0.0.1:port`, seeding each tenant's store first if it is empty.
pub async fn spawn(cfg: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
    cfg.validate()?;
    let seeding = stores::Seeding {
        tenants: cfg.tenants,
        users: cfg.users,
        active: cfg.active,
        seed: cfg.seed,
    };
    let (data_dir, with_tls) = (cfg.data_dir.clone(), cfg.tls);
    let (opened, key, tls) = tokio::task::spawn_blocking(move || {
        let opened = stores::open_all(&data_dir, seeding)?;
        let key = match opened.first() {
            Some(first) => stores::signing_key(first, &data_dir)?,
            None => return Err(SandboxError::Config("no tenant to serve".into())),
        };
        let tls = if with_tls {
            Some(tls::setup(&data_dir)?)
        } else {
            None
        };
        Ok::<_, SandboxError>((opened, key, tls))
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

    let common = Common {
        key: Arc::new(key),
        metrics: Arc::default(),
        spent_jtis: Arc::default(),
        password_faults: Arc::new(Mutex::new(cfg.password_faults)),
        panics: Arc::default(),
        delta_generation: Arc::default(),
        tenancy: Arc::new(tenancy_of(&cfg, &opened)?),
    };
    let members: Vec<AppState> = opened
        .into_iter()
        .map(|o| Arc::new(tenant_state(&cfg, &common, o, &base_url)))
        .collect();
    common.tenancy.set_members(&members);
    let mut served = Vec::with_capacity(members.len());
    for state in &members {
        let router = routes::build(state.clone());
        let _ = state.router.set(router.clone());
        served.push((state.clone(), router));
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let ca_path = tls.as_ref().map(|t| t.ca_path.clone());
    let acceptor = tls.map(|t| t.acceptor);
    let task = tokio::spawn(server::serve(
        listener,
        Arc::new(server::Served {
            tenancy: common.tenancy.clone(),
            members: served,
        }),
        acceptor,
        stop_rx,
    ));
    let state = members[0].clone();
    Ok(SandboxHandle {
        base_url,
        ca_path,
        client_secret: cfg.client_secret,
        state,
        members,
        stop: stop_tx,
        task: Some(task),
    })
}

/// A running sandbox. Dropping it stops the server; `shutdown` also waits for it. What it
/// says of "the" tenant (`domain`, `admin_upn`, `inspect`) is of the first one.
pub struct SandboxHandle {
    base_url: Url,
    ca_path: Option<PathBuf>,
    client_secret: String,
    /// The first tenant.
    state: AppState,
    /// Every tenant, in seeding order.
    members: Vec<AppState>,
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

    /// The first tenant's default domain.
    pub fn domain(&self) -> &str {
        &self.state.domain
    }

    /// The first tenant's Global Administrator.
    pub fn admin_upn(&self) -> String {
        self.state.admin_upn()
    }

    /// Every tenant served, in seeding order (the first is Contoso): id, domain, name, admin,
    /// GDAP part and whether it refuses sign-in. A token for one comes from
    /// `{base}{domain or id}/oauth2/v2.0/token` and carries its id as `tid`.
    pub fn tenants(&self) -> Vec<TenantInfo> {
        self.state.tenancy.infos().to_vec()
    }

    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// The first tenant's inspector.
    #[cfg(feature = "test-hooks")]
    pub fn inspect(&self) -> Inspector {
        Inspector {
            state: self.state.clone(),
        }
    }

    /// The inspector of the tenant with this domain or id.
    #[cfg(feature = "test-hooks")]
    pub fn inspect_tenant(&self, tenant: &str) -> Option<Inspector> {
        let i = self.state.tenancy.find(tenant)?;
        Some(Inspector {
            state: self.members.get(i)?.clone(),
        })
    }

    /// Makes the next `n` password sets (`PATCH /v1.0/users/{id}` with a `passwordProfile`,
    /// alone or inside `$batch`, in any tenant) fail with `fault`, after the caller's
    /// permissions are checked and before anything changes; `n = 0` stops failing them.
    /// Replaces any earlier setting.
    #[cfg(feature = "test-hooks")]
    pub fn fail_next_password_sets(&self, n: u32, fault: PasswordFault) {
        self.inspect().fail_next_password_sets(n, fault);
    }

    /// Makes the next `n` Graph requests (of any tenant) panic inside their handler (the
    /// sandbox answers 500 `generalException` and keeps serving); `n = 0` stops it.
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
            .field("tenants", &self.members.len())
            .finish_non_exhaustive()
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
