//! The `sandbox` subcommand's arguments: `serve`, `reset` and `outbox`, the checks that make a
//! bad value a usage error, and their conversion into the sandbox crate's own options.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Run the sandbox as a standalone server; the first line on stdout is its base URL
    Serve(Box<ServeArgs>),
    /// Throw away the sandbox database and seed it again
    Reset(SeedArgs),
    /// Show the mail the sandbox has "sent"
    Outbox {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Number of deleted users to seed (about a fifth as many active users are added); at most
    /// 10,000,000
    #[arg(long, default_value_t = 250, value_parser = deleted_count)]
    pub users: usize,
    /// Seed number: the same number gives the same directory
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Active users to seed in all (default: about a fifth of --users), with groups and org
    /// contacts in proportion; some of them hold deleted users' names and addresses; at most
    /// 10,000,000
    #[arg(long, value_name = "N", value_parser = active_count)]
    pub active: Option<usize>,
}

/// The sandbox tenant's Temporary Access Pass policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TapPolicyState {
    Enabled,
    Disabled,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The tenant's Temporary Access Pass policy: disabled refuses every pass, as Entra does
    #[arg(long, value_enum, default_value_t = TapPolicyState::Enabled)]
    pub tap_policy: TapPolicyState,
    #[command(flatten)]
    pub seed: SeedArgs,
    /// Added latency per request, in milliseconds
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of requests answered with 500/503, 0.0 to 1.0
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Share of requests whose connection is dropped without a reply, 0.0 to 1.0
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Directory write quota as WRITES/SECONDS, e.g. 3000/150; over it, 429 with Retry-After
    #[arg(long, value_name = "N/SECS", value_parser = write_quota)]
    pub write_quota: Option<String>,
    /// Access token lifetime in seconds
    #[arg(long, default_value_t = 3600)]
    pub token_lifetime: u64,
    /// Client secret accepted for client credentials
    #[arg(long, default_value = "sandbox")]
    pub client_secret: String,
    /// Seed of the fault generator (latency jitter, failures, drops)
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
    /// PEM file whose certificate is accepted for client assertions of any client id (the
    /// public part only is read; repeat for several)
    #[arg(long, value_name = "PEM")]
    pub trust_certificate: Vec<PathBuf>,
    /// Serve HTTPS, with a certificate for 127.0.0.1, localhost and Microsoft's Graph and login
    /// hosts from a CA made once in DATA_DIR/tls/ (the second line on stdout names its file)
    #[arg(long)]
    pub tls: bool,
    /// Root of every absolute URL in replies (@odata.nextLink, @odata.context), e.g.
    /// https://graph.microsoft.com; default: the scheme and Host of each request, or the Graph
    /// URL given before `sandbox`
    #[arg(long, value_name = "URL", value_parser = public_url)]
    pub public_url: Option<String>,
    /// Root of the login endpoints that discovery documents and device codes name, e.g.
    /// https://login.microsoftonline.com beside a --public-url of https://graph.microsoft.com;
    /// default: the same root as Graph's
    #[arg(long, value_name = "URL", value_parser = public_login_url)]
    pub public_login_url: Option<String>,
    /// Fail the first N password sets (PATCH with a passwordProfile, also inside $batch)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fail_password_sets: u32,
    /// How --fail-password-sets fails them: 400 complexity refusal or 500
    #[arg(long, value_enum, default_value_t = PasswordFault::ServerError)]
    pub password_fault: PasswordFault,
    /// Take this permission away from every token, e.g. AuditLog.Read.All: the calls that need
    /// it answer 403 (repeat for several)
    #[arg(long, value_name = "PERMISSION")]
    pub deny_scope: Vec<String>,
    /// Serve N tenants (contoso.sandbox, fabrikam.sandbox, northwind.sandbox, ...), each with
    /// --users deleted users of its own; at most 200
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = tenant_count)]
    pub tenants: usize,
    /// Make this tenant (a domain or tenant id) a partner's home for GDAP: its users' refresh
    /// tokens are redeemed at its customers' authorities, and refused (AADSTS50020) elsewhere
    #[arg(long, value_name = "TENANT")]
    pub partner_tenant: Option<String>,
    /// The partner's customers, comma-separated (default: every other tenant)
    #[arg(
        long,
        value_name = "TENANTS",
        value_delimiter = ',',
        requires = "partner_tenant"
    )]
    pub customers: Option<Vec<String>>,
    /// Make this tenant refuse every sign-in at its authority, as Conditional Access does
    /// (AADSTS53003); repeat for several
    #[arg(long, value_name = "TENANT")]
    pub refuse_tenant: Vec<String>,
}

/// How --fail-password-sets fails them (see `undelete_sandbox::PasswordFault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PasswordFault {
    /// 400 `Request_BadRequest`: the password does not comply with the complexity
    /// requirements, as Entra refuses a banned word (the user stays without the new password).
    Refuse,
    /// 500 `generalException`, as a transient server failure.
    ServerError,
}

/// `--users` and `--active` of `sandbox serve` and `reset`: checked here so a count past what
/// the sandbox seeds is a usage error (exit 2), not an abort once memory runs out.
fn seed_count(s: &str, what: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number of {what}"))?;
    undelete_sandbox::check_seed_count(what, n)?;
    Ok(n)
}

fn deleted_count(s: &str) -> Result<usize, String> {
    seed_count(s, "deleted users")
}

fn active_count(s: &str) -> Result<usize, String> {
    seed_count(s, "active users")
}

/// `sandbox serve --tenants`: checked here so a count the sandbox does not serve is a usage
/// error (exit 2).
fn tenant_count(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number of tenants"))?;
    undelete_sandbox::check_tenant_count(n)?;
    Ok(n)
}

/// `sandbox serve --write-quota`: checked here so a bad one is a usage error (exit 2).
fn write_quota(s: &str) -> Result<String, String> {
    undelete_sandbox::parse_quota(s).map(|_| s.to_string())
}

/// `sandbox serve --public-url`: checked here so a bad one is a usage error (exit 2).
fn public_url(s: &str) -> Result<String, String> {
    undelete_sandbox::origin::parse_public_url(s).map(|_| s.to_string())
}

/// `sandbox serve --public-login-url`, checked as `--public-url` is.
fn public_login_url(s: &str) -> Result<String, String> {
    undelete_sandbox::origin::parse_public_login_url(s).map(|_| s.to_string())
}

impl SandboxCommand {
    /// The sandbox's own options for this subcommand. `graph_url` (the global `--graph-url`)
    /// names where clients reach Graph: `serve` takes it as its public URL, and refuses a
    /// `--public-url` that says otherwise.
    pub fn options(
        self,
        graph_url: Option<&str>,
    ) -> Result<undelete_sandbox::SandboxCommand, String> {
        Ok(match self {
            SandboxCommand::Serve(a) => {
                undelete_sandbox::SandboxCommand::Serve(Box::new(undelete_sandbox::ServeOptions {
                    public_url: serve_public_url(a.public_url.as_deref(), graph_url)?,
                    public_login_url: a.public_login_url,
                    tls: a.tls,
                    tap_enabled: a.tap_policy == TapPolicyState::Enabled,
                    port: a.port,
                    seed: a.seed.into(),
                    latency_ms: a.latency_ms,
                    fail_rate: a.fail_rate,
                    drop_rate: a.drop_rate,
                    write_quota: a.write_quota,
                    token_lifetime: a.token_lifetime,
                    client_secret: a.client_secret,
                    fault_seed: a.fault_seed,
                    trust_certificate: a.trust_certificate,
                    fail_password_sets: a.fail_password_sets,
                    password_fault: a.password_fault.into(),
                    deny_scope: a.deny_scope,
                    tenants: a.tenants,
                    partner_tenant: a.partner_tenant,
                    customers: a.customers,
                    refuse_tenant: a.refuse_tenant,
                }))
            }
            SandboxCommand::Reset(seed) => undelete_sandbox::SandboxCommand::Reset(seed.into()),
            SandboxCommand::Outbox { json } => undelete_sandbox::SandboxCommand::Outbox { json },
        })
    }
}

/// `sandbox serve`'s public URL from `--public-url` and the global `--graph-url`.
fn serve_public_url(public: Option<&str>, graph: Option<&str>) -> Result<Option<String>, String> {
    let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
    match (public, graph) {
        (Some(p), Some(g)) if !same(p, g) => Err(format!(
            "sandbox serve: --public-url {p} and --graph-url {g} disagree; the sandbox serves \
             Graph at its public URL, so give one of them"
        )),
        (Some(p), _) => Ok(Some(p.to_string())),
        (None, g) => Ok(g.map(str::to_string)),
    }
}

impl From<SeedArgs> for undelete_sandbox::SeedOptions {
    fn from(s: SeedArgs) -> Self {
        Self {
            users: s.users,
            active: s.active,
            seed: s.seed,
        }
    }
}

impl From<PasswordFault> for undelete_sandbox::PasswordFault {
    fn from(f: PasswordFault) -> Self {
        match f {
            PasswordFault::Refuse => Self::Refuse,
            PasswordFault::ServerError => Self::ServerError,
        }
    }
}
