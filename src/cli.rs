//! The command-line contract of DESIGN.md section 3. Every option also reads `UNDELETE_*`.
//!
//! Part of the binary, not of the library: clap stays here, and what it parsed becomes the
//! library's plain values once (`Cli::settings` and `Command::scripting` in `cli/settings.rs`,
//! `SandboxCommand::options` in `cli/sandbox.rs`). The enums below mirror the library's so that
//! `--help` lists their values; each converts into its library twin.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use undelete::config;

// By path: the tests include this file by path too (`tests/common`).
#[path = "cli/sandbox.rs"]
pub mod sandbox;
#[path = "cli/settings.rs"]
mod settings;

use sandbox::SandboxCommand;

#[derive(Debug, Parser)]
#[command(
    name = "undelete",
    version,
    about = "Restore deleted Microsoft Entra ID / Microsoft 365 users from the terminal",
    long_about = "Restore deleted Microsoft Entra ID / Microsoft 365 users from the terminal.\n\n\
                  With no tenant configured, undelete runs on a built-in sandbox: a \
                  Graph-compatible directory on 127.0.0.1 with seeded data.\n\n\
                  Settings come from flags, then UNDELETE_* environment variables, then the \
                  settings file (`undelete config path` prints where), then the defaults."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The directory and sign-in options, for the TUI (each command that uses them takes
    /// them too, after its name).
    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub tui: TuiArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes, `sandbox serve` included.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Where the sandbox database, token cache, journal and audit log live
    #[arg(long, global = true, env = "UNDELETE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Log more to DATA_DIR/logs/undelete.log: -v debug, -vv trace (default: info, or the
    /// filters in UNDELETE_LOG, e.g. undelete::directory=debug)
    #[arg(short = 'v', long = "verbose", global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Which directory a run works on and how it signs in: the TUI's options, and those of every
/// command that talks to a directory. Not `global`, so that the commands that do not
/// (`sandbox serve`, `config path`, `completions`) do not offer them; given before a
/// command's name they still count, and after it they win.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Directory and sign-in")]
pub struct RunArgs {
    /// Use the built-in sandbox even if a tenant is configured
    #[arg(long, env = "UNDELETE_SANDBOX")]
    pub sandbox: bool,

    /// Tenant id or domain (e.g. contoso.onmicrosoft.com), or a [[tenants]] entry's name;
    /// repeat it to open several; without it the sandbox is used
    #[arg(
        long,
        env = "UNDELETE_TENANT",
        value_delimiter = ',',
        value_name = "TENANT"
    )]
    pub tenant: Vec<String>,

    /// Open every tenant of the settings file's [[tenants]] entries
    #[arg(long, env = "UNDELETE_ALL_TENANTS")]
    pub all_tenants: bool,

    /// Application (client) id used to sign in
    #[arg(long, env = "UNDELETE_CLIENT_ID")]
    pub client_id: Option<String>,

    /// PEM file holding the private key and certificate for app-only sign-in
    #[arg(long, env = "UNDELETE_CERTIFICATE", value_name = "PEM")]
    pub certificate: Option<PathBuf>,

    /// National cloud: sets both the Graph and the login host [default: global]
    #[arg(long, env = "UNDELETE_CLOUD", value_enum)]
    pub cloud: Option<Cloud>,

    /// Override the Graph root, e.g. https://graph.microsoft.com (no /v1.0)
    #[arg(long, env = "UNDELETE_GRAPH_URL", value_name = "URL", value_parser = graph_root)]
    pub graph_url: Option<String>,

    /// Override the login root, e.g. https://login.microsoftonline.com (no tenant)
    #[arg(long, env = "UNDELETE_LOGIN_URL", value_name = "URL", value_parser = login_root)]
    pub login_url: Option<String>,

    /// How long a command may take, waits for throttling included (e.g. 30m, 90s, 1h);
    /// default: 3m for list and check, 30m for a restore
    #[arg(long, env = "UNDELETE_DEADLINE", value_name = "DURATION", value_parser = parse_duration)]
    pub deadline: Option<Duration>,

    /// Sender mailbox for app-only mail (delegated sign-in sends as the signed-in admin)
    #[arg(long, env = "UNDELETE_MAIL_FROM", value_name = "UPN")]
    pub mail_from: Option<String>,

    /// PEM file of extra certificate authorities to trust for Graph and login, besides the
    /// system's (e.g. DATA_DIR/tls/ca.pem of `sandbox serve --tls`)
    #[arg(long, env = "UNDELETE_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Disable every write (restore, password, mail, purge)
    #[arg(long, env = "UNDELETE_READ_ONLY")]
    pub read_only: bool,

    /// How long `restore`, `finish` and `purge` wait for another run on the same data dir to
    /// end before giving up (exit 1); 0 gives up at once [default: 60]
    #[arg(long, env = "UNDELETE_LOCK_WAIT", value_name = "SECS")]
    pub lock_wait: Option<u64>,

    /// Keep nothing of the conflict sweep between runs, and remove what was kept for this
    /// directory (the settings file's `cache = false`)
    #[arg(long, env = "UNDELETE_NO_CACHE")]
    pub no_cache: bool,

    #[command(flatten)]
    pub config: ConfigFileArg,
}

/// Which settings file to read.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigFileArg {
    /// The settings file to read instead of the platform's (it must exist)
    #[arg(long = "config", env = config::file::CONFIG_ENV, value_name = "PATH")]
    pub path: Option<PathBuf>,
}

/// Options of the TUI alone.
#[derive(Debug, Clone, Args)]
pub struct TuiArgs {
    /// Do not capture the mouse
    #[arg(long, env = "UNDELETE_NO_MOUSE")]
    pub no_mouse: bool,

    /// Colours of the TUI: dark, light or high-contrast (NO_COLOR turns colours off whatever
    /// this says) [default: dark, or the settings file's]
    #[arg(long, env = "UNDELETE_THEME", value_enum, value_name = "THEME")]
    pub theme: Option<Theme>,
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
    Login(SignInArgs),
    /// Forget cached tokens for this cloud, tenant and client
    Logout(SignInArgs),
    /// The built-in Graph-compatible sandbox directory
    Sandbox {
        #[command(subcommand)]
        command: SandboxCommand,
    },
    /// The settings file: where it is, a commented one to start from, what a run would use
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print a completion script for SHELL to stdout (docs/settings.md: "Shell completions")
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout
    Man,
}

#[derive(Debug, Args)]
pub struct SignInArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print where the settings file is read from, whether it exists yet or not
    Path(ConfigFileArg),
    /// Write a settings file with every key explained and commented out; an existing file
    /// is kept unless --force
    Init {
        #[command(flatten)]
        file: ConfigFileArg,
        /// Replace an existing settings file
        #[arg(long)]
        force: bool,
    },
    /// Print the settings a run would use: flags over environment over the file over defaults
    Show(Box<SignInArgs>),
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

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub run: RunArgs,
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
    /// Only users that cannot be restored as they were: their user name or an address is now
    /// held by an active user, a group or an org contact (implies --with conflicts)
    #[arg(long)]
    pub conflicts: bool,
    /// Also read, side by side with the listing: what holds each user's name and addresses
    /// now (conflicts), who deleted it from the audit log (deleted-by), or both (all); in
    /// JSON as `conflicts` and `deletedBy`, absent unless asked for. Repeat or separate
    /// with commas
    #[arg(
        long,
        env = "UNDELETE_WITH",
        value_enum,
        value_delimiter = ',',
        value_name = "WHAT"
    )]
    pub with: Vec<With>,
    /// Use the conflict index and deletion log an earlier run kept when they are younger
    /// than this (e.g. 15m, 1h; 0 always reads what changed since)
    #[arg(long, env = "UNDELETE_MAX_AGE", value_name = "DURATION", value_parser = parse_duration,
          default_value = "15m")]
    pub max_age: Duration,
}

/// What `list --with` reads beside the deleted users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum With {
    /// What holds each user's name and addresses now (the conflict sweep)
    Conflicts,
    /// Who deleted each user (the audit log)
    DeletedBy,
    /// Both
    All,
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

/// How the restored user gets back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HandOff {
    /// A password (see --password)
    Password,
    /// A Temporary Access Pass: time-limited, lets the user register passwordless methods
    Tap,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub run: RunArgs,
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
    /// Put the password in the email even if the settings file says not to
    #[arg(long, env = "UNDELETE_PASSWORD_IN_EMAIL")]
    pub password_in_email: bool,
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
    /// How users get back in: a password, or a Temporary Access Pass (needs
    /// UserAuthenticationMethod.ReadWrite.All and TAP enabled in the tenant's policy)
    #[arg(long, env = "UNDELETE_HAND_OFF", value_enum, default_value_t = HandOff::Password)]
    pub hand_off: HandOff,
    /// Minutes the pass works (default: the tenant policy's default; 10 to 43200 within the
    /// policy's bounds)
    #[arg(long, value_name = "MIN", requires = "hand_off")]
    pub tap_lifetime: Option<u32>,
    /// The pass works for one sign-in only (default: the tenant policy's choice)
    #[arg(long, requires = "hand_off")]
    pub tap_once: bool,
    /// Right after the restore, give back what offboarding took, as the audit log has it:
    /// groups, licences, sign-in, roles (comma-separated), or all (everything but roles,
    /// which come back only when named). Needs AuditLog.Read.All; a run whose items did not
    /// all come back exits 1
    #[arg(long, value_name = "KINDS", value_parser = bring_back_kinds)]
    pub bring_back: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct FinishArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// The new password: generated per user, typed, or read from standard input
    #[arg(long, env = "UNDELETE_PASSWORD", value_enum, default_value_t = PasswordSource::Auto)]
    pub password: PasswordSource,
    /// Email the sign-in info to these addresses instead of those the restore named
    #[arg(long, env = "UNDELETE_EMAIL_TO", value_name = "ADDRS")]
    pub email_to: Option<String>,
    /// Leave the password out of the email
    #[arg(long, env = "UNDELETE_NO_PASSWORD_IN_EMAIL")]
    pub no_password_in_email: bool,
    /// Put the password in the email even if the settings file says not to
    #[arg(long, env = "UNDELETE_PASSWORD_IN_EMAIL")]
    pub password_in_email: bool,
    /// Also finish users whose sign-in mail may already have gone out (a run died while
    /// sending it): set a new password and mail it again. Without it their password is left
    /// as it is and they are reported as "mail_uncertain"; check the recipient's inbox first
    #[arg(long)]
    pub resend: bool,
    /// First take the unfinished restores an earlier version journaled (its journal names no
    /// directory) into this directory's journal, then finish them with the rest. Only when
    /// they were made in the directory this command runs on
    #[arg(long)]
    pub adopt_earlier: bool,
    /// Only close these users, whose sign-in mail may have gone out, as mailed: you found the
    /// mail in the recipient's inbox, so its password stays. No password is set and no mail
    /// sent; a user whose mail cannot have gone out is refused
    #[arg(long, value_name = "ID_OR_UPN", num_args = 1.., value_parser = target, conflicts_with = "resend")]
    pub mark_sent: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[arg(required = true, value_name = "ID_OR_UPN", value_parser = target)]
    pub targets: Vec<String>,
    /// Do not ask for confirmation (required without a terminal)
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Report users that will be purged within this many days (0: within the next 24 hours)
    #[arg(long, env = "UNDELETE_EXPIRING", value_name = "DAYS")]
    pub expiring: u32,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// A target names a user: an empty one is a slip of the shell (`undelete restore "$ID"` with
/// `ID` unset), refused as a usage error before anything is looked up.
/// `--bring-back`: checked here, so a kind that does not exist is a usage error.
fn bring_back_kinds(s: &str) -> Result<String, String> {
    undelete::directory::bring_back::parse_kinds(s).map(|_| s.to_string())
}

pub(crate) fn target(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("a target must be an object id or a user name, not empty".into());
    }
    Ok(s.to_string())
}

/// `--graph-url` is a root (see `config::check_graph_root`).
pub(crate) fn graph_root(s: &str) -> Result<String, String> {
    config::check_graph_root(s, "--graph-url")?;
    Ok(s.to_string())
}

/// `--login-url` is a root too (see `config::check_login_root`).
pub(crate) fn login_root(s: &str) -> Result<String, String> {
    config::check_login_root(s, "--login-url")?;
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

/// Parses `argv` as `undelete` does, keeping clap's matches: where each value came from (a
/// flag, a variable, a default) decides which layer of the settings it belongs to.
pub fn parse_from<I, T>(argv: I) -> Result<(Cli, ArgMatches), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = Cli::command()
        .try_get_matches_from(argv)
        .map_err(own_usage)?;
    let cli = Cli::from_arg_matches(&matches)?;
    Ok((cli, matches))
}

/// clap's usage line after an error names every option that got a value, the environment's
/// too (`--data-dir <DIR>` with `UNDELETE_DATA_DIR` set), as if it were required: the usage
/// said is the command's own, as `--help` says it.
fn own_usage(e: clap::Error) -> clap::Error {
    use clap::error::ErrorKind as K;
    if matches!(
        e.kind(),
        K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        return e;
    }
    let text = e.render().to_string();
    let Some(line) = text.lines().find(|l| l.starts_with("Usage: ")) else {
        return e;
    };
    let mut cmd = Cli::command();
    cmd.build();
    // "Usage: undelete sandbox serve --data-dir <DIR> ...": the subcommands are the first
    // words that name one.
    let mut names = Vec::new();
    let mut at = &cmd;
    for word in line.split_whitespace().skip(2) {
        match at.find_subcommand(word) {
            Some(s) => {
                names.push(word);
                at = s;
            }
            None => break,
        }
    }
    let Some(sub) = names
        .iter()
        .try_fold(&mut cmd, |c, name| c.find_subcommand_mut(name))
    else {
        return e;
    };
    let usage = sub.render_usage().to_string();
    let Some(own) = usage.lines().find(|l| l.starts_with("Usage: ")) else {
        return e;
    };
    let fixed = text.replacen(line, own, 1);
    clap::Error::raw(e.kind(), fixed.strip_prefix("error: ").unwrap_or(&fixed))
}
