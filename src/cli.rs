//! The command-line contract of DESIGN.md section 3. Every option also reads `UNDELETE_*`.
//!
//! Part of the binary, not of the library: clap stays here, and what it parsed becomes the
//! library's plain values once (`GlobalArgs::settings`, `Command::scripting`,
//! `SandboxCommand::options`). The enums below mirror the library's so that `--help` lists
//! their values; each converts into its library twin.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use undelete::commands::args as plain;
use undelete::config::{self, Settings};
use undelete::sandbox;

#[derive(Debug, Parser)]
#[command(
    name = "undelete",
    version,
    about = "Restore deleted Microsoft Entra ID / Microsoft 365 users from the terminal",
    long_about = "Restore deleted Microsoft Entra ID / Microsoft 365 users from the terminal.\n\n\
                  With no tenant configured, undelete runs on a built-in sandbox: a \
                  Graph-compatible directory on 127.0.0.1 with seeded data."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Use the built-in sandbox even if a tenant is configured
    #[arg(long, global = true, env = "UNDELETE_SANDBOX")]
    pub sandbox: bool,

    /// Tenant id or domain (e.g. contoso.onmicrosoft.com); without it the sandbox is used
    #[arg(long, global = true, env = "UNDELETE_TENANT")]
    pub tenant: Option<String>,

    /// Application (client) id used to sign in
    #[arg(long, global = true, env = "UNDELETE_CLIENT_ID")]
    pub client_id: Option<String>,

    /// PEM file holding the private key and certificate for app-only sign-in
    #[arg(long, global = true, env = "UNDELETE_CERTIFICATE", value_name = "PEM")]
    pub certificate: Option<PathBuf>,

    /// National cloud: sets both the Graph and the login host
    #[arg(long, global = true, env = "UNDELETE_CLOUD", value_enum, default_value_t = Cloud::Global)]
    pub cloud: Cloud,

    /// Override the Graph root, e.g. https://graph.microsoft.com (no /v1.0)
    #[arg(long, global = true, env = "UNDELETE_GRAPH_URL", value_name = "URL", value_parser = graph_root)]
    pub graph_url: Option<String>,

    /// Override the login root, e.g. https://login.microsoftonline.com (no tenant)
    #[arg(long, global = true, env = "UNDELETE_LOGIN_URL", value_name = "URL", value_parser = login_root)]
    pub login_url: Option<String>,

    /// How long a command may take, waits for throttling included (e.g. 30m, 90s, 1h);
    /// default: 3m for list and check, 30m for a restore
    #[arg(long, global = true, env = "UNDELETE_DEADLINE", value_name = "DURATION", value_parser = parse_duration)]
    pub deadline: Option<Duration>,

    /// Sender mailbox for app-only mail (delegated sign-in sends as the signed-in admin)
    #[arg(long, global = true, env = "UNDELETE_MAIL_FROM", value_name = "UPN")]
    pub mail_from: Option<String>,

    /// Where the sandbox database, token cache, journal and audit log live
    #[arg(long, global = true, env = "UNDELETE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Disable every write (restore, password, mail, purge)
    #[arg(long, global = true, env = "UNDELETE_READ_ONLY")]
    pub read_only: bool,

    /// How long `restore`, `finish` and `purge` wait for another run on the same data dir to
    /// end before giving up (exit 1); 0 gives up at once
    #[arg(
        long,
        global = true,
        env = "UNDELETE_LOCK_WAIT",
        value_name = "SECS",
        default_value_t = config::DEFAULT_LOCK_WAIT.as_secs()
    )]
    pub lock_wait: u64,

    /// Do not capture the mouse
    #[arg(long, global = true, env = "UNDELETE_NO_MOUSE")]
    pub no_mouse: bool,

    /// Colours of the TUI: dark, light or high-contrast (NO_COLOR turns colours off whatever
    /// this says); default dark
    #[arg(
        long,
        global = true,
        env = "UNDELETE_THEME",
        value_enum,
        value_name = "THEME"
    )]
    pub theme: Option<Theme>,

    /// Log more to DATA_DIR/logs/undelete.log: -v debug, -vv trace (default: info, or the
    /// filters in UNDELETE_LOG, e.g. undelete::directory=debug)
    #[arg(short = 'v', long = "verbose", global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Theme {
    Dark,
    Light,
    HighContrast,
}

impl From<Theme> for config::Theme {
    fn from(t: Theme) -> Self {
        match t {
            Theme::Dark => Self::Dark,
            Theme::Light => Self::Light,
            Theme::HighContrast => Self::HighContrast,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Cloud {
    Global,
    Usgov,
    UsgovDod,
    China,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print deleted users
    List(ListArgs),
    /// Restore deleted users; one JSON line per user on stdout
    Restore(RestoreArgs),
    /// Finish every restore an earlier run left unfinished (password or mail not done);
    /// one JSON line per user, exit 0 when all are finished
    Finish(FinishArgs),
    /// Permanently delete users from the deleted items (cannot be undone)
    Purge(PurgeArgs),
    /// List users purged within DAYS; exit 3 when there are any (for cron)
    Check(CheckArgs),
    /// Sign in with a device code and cache the tokens
    Login,
    /// Forget cached tokens for this cloud, tenant and client
    Logout,
    /// The built-in Graph-compatible sandbox directory
    Sandbox {
        #[command(subcommand)]
        command: SandboxCommand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

/// The table's sort keys (`s` in the TUI), in the same order: ties are broken by name, user
/// name, mail, department, job title, then id, and missing values go last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortKey {
    /// Most recently deleted first
    Deleted,
    /// Display name
    Name,
    /// User name (original UPN)
    #[value(alias = "user-name")]
    Upn,
    /// Days left, soonest purge first
    #[value(alias = "days-left")]
    Expires,
    /// Department; users without one last
    Department,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, env = "UNDELETE_FORMAT", value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Keep users whose name, user name, mail, department or job title contains TEXT
    /// (case-insensitive; the same fields the table's filter searches)
    #[arg(long, env = "UNDELETE_FILTER", value_name = "TEXT")]
    pub filter: Option<String>,
    /// Sort order, the same as the table's for the same key; default: days left, soonest
    /// purge first
    #[arg(long, env = "UNDELETE_SORT", value_enum, default_value_t = SortKey::Expires)]
    pub sort: SortKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PasswordSource {
    /// Generate a strong password per user
    Auto,
    /// Ask on the terminal (hidden input)
    Prompt,
    /// Read one password from the first line of standard input
    Stdin,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Object ids or user names (original or id-prefixed)
    #[arg(required = true, value_name = "ID_OR_UPN", value_parser = target)]
    pub targets: Vec<String>,
    #[arg(long, env = "UNDELETE_PASSWORD", value_enum, default_value_t = PasswordSource::Auto)]
    pub password: PasswordSource,
    /// Do not require a password change at first sign-in
    #[arg(long, env = "UNDELETE_NO_REQUIRE_CHANGE")]
    pub no_require_change: bool,
    /// Email the sign-in info to these addresses (separated by ',' or ';')
    #[arg(long, env = "UNDELETE_EMAIL_TO", value_name = "ADDRS")]
    pub email_to: Option<String>,
    /// Leave the password out of the email
    #[arg(long, env = "UNDELETE_NO_PASSWORD_IN_EMAIL")]
    pub no_password_in_email: bool,
    /// Restore under this user name (only with a single target)
    #[arg(long, value_name = "UPN")]
    pub new_upn: Option<String>,
    /// Drop proxy addresses now held by another object
    #[arg(long, env = "UNDELETE_RECONCILE_PROXIES")]
    pub reconcile_proxies: bool,
    /// Check and report what would happen; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Also finish users whose sign-in mail may already have gone out (a run died while
    /// sending it): set a new password and mail it again. Without it their password is left
    /// as it is and they are reported as "mail_uncertain"; check the recipient's inbox first
    #[arg(long)]
    pub resend: bool,
}

#[derive(Debug, Args)]
pub struct FinishArgs {
    /// The new password: generated per user, typed, or read from standard input
    #[arg(long, env = "UNDELETE_PASSWORD", value_enum, default_value_t = PasswordSource::Auto)]
    pub password: PasswordSource,
    /// Email the sign-in info to these addresses instead of those the restore named
    #[arg(long, env = "UNDELETE_EMAIL_TO", value_name = "ADDRS")]
    pub email_to: Option<String>,
    /// Leave the password out of the email
    #[arg(long, env = "UNDELETE_NO_PASSWORD_IN_EMAIL")]
    pub no_password_in_email: bool,
    /// Also finish users whose sign-in mail may already have gone out (a run died while
    /// sending it): set a new password and mail it again. Without it their password is left
    /// as it is and they are reported as "mail_uncertain"; check the recipient's inbox first
    #[arg(long)]
    pub resend: bool,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    #[arg(required = true, value_name = "ID_OR_UPN", value_parser = target)]
    pub targets: Vec<String>,
    /// Do not ask for confirmation (required without a terminal)
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Report users that will be purged within this many days
    #[arg(long, env = "UNDELETE_EXPIRING", value_name = "DAYS")]
    pub expiring: u32,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Run the sandbox as a standalone server; the first line on stdout is its base URL
    Serve(ServeArgs),
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
    /// Number of deleted users to seed (about a fifth as many active users are added)
    #[arg(long, default_value_t = 250)]
    pub users: usize,
    /// Seed number: the same number gives the same directory
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
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
    #[arg(long, value_name = "N/SECS")]
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
    /// Fail the first N password sets (PATCH with a passwordProfile, also inside $batch)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fail_password_sets: u32,
    /// How --fail-password-sets fails them: 400 complexity refusal or 500
    #[arg(long, value_enum, default_value_t = PasswordFault::ServerError)]
    pub password_fault: PasswordFault,
}

/// How --fail-password-sets fails them (see `undelete::sandbox::PasswordFault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PasswordFault {
    /// 400 `Request_BadRequest`: the password does not comply with the complexity
    /// requirements, as Entra refuses a banned word (the user stays without the new password).
    Refuse,
    /// 500 `generalException`, as a transient server failure.
    ServerError,
}

/// A target names a user: an empty one is a slip of the shell (`undelete restore "$ID"` with
/// `ID` unset), refused as a usage error before anything is looked up.
pub(crate) fn target(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("a target must be an object id or a user name, not empty".into());
    }
    Ok(s.to_string())
}

/// `--graph-url` is a root: the client adds `/v1.0` itself. A root ending in a version sends
/// every call to `/v1.0/v1.0/...`, which Entra answers with a misleading AADSTS500011.
pub(crate) fn graph_root(s: &str) -> Result<String, String> {
    let url = url::Url::parse(s).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(|p| p.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if let Some(v) = segments
        .iter()
        .find(|s| s.eq_ignore_ascii_case("v1.0") || s.eq_ignore_ascii_case("beta"))
    {
        return Err(format!(
            "--graph-url must be the root, e.g. https://graph.microsoft.com, without /{v}"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(
            "--graph-url must be the root, e.g. https://graph.microsoft.com, without a query"
                .into(),
        );
    }
    Ok(s.to_string())
}

/// `--login-url` is a root too: the tenant and `/oauth2/v2.0/...` are added by the client.
pub(crate) fn login_root(s: &str) -> Result<String, String> {
    let url = url::Url::parse(s).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(|p| p.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let tenant_like = |seg: &str| {
        let seg = seg.to_ascii_lowercase();
        ["common", "organizations", "consumers", "oauth2", "v2.0"].contains(&seg.as_str())
            || seg.contains('.')
            || (seg.len() == 36 && seg.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
    };
    if let Some(seg) = segments.iter().find(|s| tenant_like(s)) {
        return Err(format!(
            "--login-url must be the root, e.g. https://login.microsoftonline.com, without a \
             tenant or /oauth2 (found /{seg}); pass the tenant with --tenant"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(
            "--login-url must be the root, e.g. https://login.microsoftonline.com, without a \
             query"
                .into(),
        );
    }
    Ok(s.to_string())
}

/// `90s`, `30m`, `1h`, `1h30m`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("{s:?} is not a duration: use e.g. 90s, 30m, 1h or 1h30m");
    if s.is_empty() {
        return Err(bad());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u64>().map(Duration::from_secs).map_err(|_| bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

impl GlobalArgs {
    /// The library's settings: the one value every part of a run is given.
    pub fn settings(&self) -> Settings {
        Settings {
            sandbox: self.sandbox,
            tenant: self.tenant.clone(),
            client_id: self.client_id.clone(),
            certificate: self.certificate.clone(),
            cloud: self.cloud.into(),
            graph_url: self.graph_url.clone(),
            login_url: self.login_url.clone(),
            deadline: self.deadline,
            mail_from: self.mail_from.clone(),
            data_dir: self.data_dir.clone(),
            read_only: self.read_only,
            lock_wait: Duration::from_secs(self.lock_wait),
            no_mouse: self.no_mouse,
            // Not given: the default, until a settings file may say otherwise.
            theme: self.theme.map(Into::into).unwrap_or_default(),
        }
    }
}

impl From<Cloud> for config::Cloud {
    fn from(c: Cloud) -> Self {
        match c {
            Cloud::Global => Self::Global,
            Cloud::Usgov => Self::Usgov,
            Cloud::UsgovDod => Self::UsgovDod,
            Cloud::China => Self::China,
        }
    }
}

impl Command {
    /// The scripting command this is, for `undelete::commands`; `None` for `login`, `logout`
    /// and `sandbox`, which have their own modules.
    pub fn scripting(self) -> Option<plain::Command> {
        Some(match self {
            Command::List(a) => plain::Command::List(plain::ListArgs {
                format: a.format.into(),
                filter: a.filter,
                sort: a.sort.into(),
            }),
            Command::Restore(a) => plain::Command::Restore(plain::RestoreArgs {
                targets: a.targets,
                password: a.password.into(),
                no_require_change: a.no_require_change,
                email_to: a.email_to,
                no_password_in_email: a.no_password_in_email,
                new_upn: a.new_upn,
                reconcile_proxies: a.reconcile_proxies,
                dry_run: a.dry_run,
                resend: a.resend,
            }),
            Command::Finish(a) => plain::Command::Finish(plain::FinishArgs {
                password: a.password.into(),
                email_to: a.email_to,
                no_password_in_email: a.no_password_in_email,
                resend: a.resend,
            }),
            Command::Purge(a) => plain::Command::Purge(plain::PurgeArgs {
                targets: a.targets,
                yes: a.yes,
            }),
            Command::Check(a) => plain::Command::Check(plain::CheckArgs {
                expiring: a.expiring,
                format: a.format.into(),
            }),
            Command::Login | Command::Logout | Command::Sandbox { .. } => return None,
        })
    }
}

impl From<OutputFormat> for plain::OutputFormat {
    fn from(f: OutputFormat) -> Self {
        match f {
            OutputFormat::Table => Self::Table,
            OutputFormat::Json => Self::Json,
            OutputFormat::Csv => Self::Csv,
        }
    }
}

impl From<SortKey> for plain::SortKey {
    fn from(k: SortKey) -> Self {
        match k {
            SortKey::Deleted => Self::Deleted,
            SortKey::Name => Self::Name,
            SortKey::Upn => Self::UserName,
            SortKey::Expires => Self::DaysLeft,
            SortKey::Department => Self::Department,
        }
    }
}

impl From<PasswordSource> for plain::PasswordSource {
    fn from(p: PasswordSource) -> Self {
        match p {
            PasswordSource::Auto => Self::Auto,
            PasswordSource::Prompt => Self::Prompt,
            PasswordSource::Stdin => Self::Stdin,
        }
    }
}

impl SandboxCommand {
    /// The sandbox's own options for this subcommand.
    pub fn options(self) -> sandbox::SandboxCommand {
        match self {
            SandboxCommand::Serve(a) => sandbox::SandboxCommand::Serve(sandbox::ServeOptions {
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
            }),
            SandboxCommand::Reset(seed) => sandbox::SandboxCommand::Reset(seed.into()),
            SandboxCommand::Outbox { json } => sandbox::SandboxCommand::Outbox { json },
        }
    }
}

impl From<SeedArgs> for sandbox::SeedOptions {
    fn from(s: SeedArgs) -> Self {
        Self {
            users: s.users,
            seed: s.seed,
        }
    }
}

impl From<PasswordFault> for sandbox::PasswordFault {
    fn from(f: PasswordFault) -> Self {
        match f {
            PasswordFault::Refuse => Self::Refuse,
            PasswordFault::ServerError => Self::ServerError,
        }
    }
}
