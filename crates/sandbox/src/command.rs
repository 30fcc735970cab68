//! `undelete sandbox serve | reset | outbox`, from plain options the binary's command line
//! fills in.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use color_eyre::eyre::{WrapErr, eyre};

use super::stores::{self, Seeding, check_seed};
use super::{PasswordFault, SandboxConfig, SandboxError, SandboxHandle, spawn};
use undelete_common::sanitize::clean;

/// No `Debug`: `Serve` holds the client secret the sandbox accepts.
#[derive(Clone)]
pub enum SandboxCommand {
    /// Run the sandbox as a standalone server; the first line on stdout is its base URL.
    /// (Boxed: its options are many times the size of the other commands'.)
    Serve(Box<ServeOptions>),
    /// Throw away the sandbox database and seed it again.
    Reset(SeedOptions),
    /// Show the mail the sandbox has "sent".
    Outbox { json: bool },
}

/// What to seed: the same numbers give the same directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOptions {
    /// Deleted users to seed (about a fifth as many active users are added).
    pub users: usize,
    /// Active users to have in all (with groups and org contacts in proportion); `None`: the
    /// fifth above.
    pub active: Option<usize>,
    pub seed: u64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            users: 250,
            active: None,
            seed: 1,
        }
    }
}

/// `sandbox serve`: where to listen, what to seed, which faults to play.
#[derive(Clone)]
pub struct ServeOptions {
    /// Port on 127.0.0.1 (0 picks a free one).
    pub port: u16,
    pub seed: SeedOptions,
    /// Added latency per request, in milliseconds.
    pub latency_ms: u64,
    /// Share of requests answered with 500/503, 0.0 to 1.0.
    pub fail_rate: f64,
    /// Share of requests whose connection is dropped without a reply, 0.0 to 1.0.
    pub drop_rate: f64,
    /// Directory write quota as `WRITES/SECONDS` (see `parse_quota`).
    pub write_quota: Option<String>,
    /// Access token lifetime in seconds.
    pub token_lifetime: u64,
    /// Client secret accepted for client credentials.
    pub client_secret: String,
    /// Seed of the fault generator (latency jitter, failures, drops).
    pub fault_seed: u64,
    /// PEM files whose certificates are accepted for client assertions of any client id.
    pub trust_certificate: Vec<PathBuf>,
    /// Fail the first N password sets.
    pub fail_password_sets: u32,
    /// Serve HTTPS with a certificate from the data dir's CA (`tls/ca.pem`).
    pub tls: bool,
    /// Root of every absolute URL in replies; `None`: each request's scheme and `Host`.
    pub public_url: Option<String>,
    /// Root of the login endpoints in discovery documents and device codes; `None`: as Graph's.
    pub public_login_url: Option<String>,
    pub password_fault: PasswordFault,
    /// Permissions taken away from every token (their calls answer 403).
    pub deny_scope: Vec<String>,
    /// The tenant's Temporary Access Pass policy is enabled.
    pub tap_enabled: bool,
    /// Tenants to serve, each seeded with `seed.users` of its own (see
    /// `SandboxConfig::tenants`); 1 is the sandbox as it always was.
    pub tenants: usize,
    /// The partner's home tenant for GDAP (a domain or tenant id).
    pub partner_tenant: Option<String>,
    /// The partner's customers; `None`: every other tenant.
    pub customers: Option<Vec<String>>,
    /// Tenants that refuse every sign-in (AADSTS53003).
    pub refuse_tenant: Vec<String>,
}

/// The exit code of a usage error.
const USAGE: i32 = 2;

const MAX_QUOTA_PERIOD: Duration = Duration::from_secs(86_400);

/// Parses `--write-quota N/SECS`, e.g. `3000/150`.
pub fn parse_quota(s: &str) -> Result<(u32, Duration), String> {
    let (n, secs) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?} is not WRITES/SECONDS, e.g. 3000/150"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a whole number of writes"))?;
    let secs: f64 = secs
        .trim()
        .parse()
        .map_err(|_| format!("{secs:?} is not a number of seconds"))?;
    if n == 0 || !(secs.is_finite() && secs > 0.0) {
        return Err("both numbers must be positive".into());
    }
    // Graph's own windows are minutes long; a longer one is a typo, and past about 584 billion
    // years it is not even a duration.
    if secs > MAX_QUOTA_PERIOD.as_secs_f64() {
        return Err("the period is at most a day (86400 seconds)".into());
    }
    Ok((n, Duration::from_secs_f64(secs)))
}

pub async fn run_command(cmd: SandboxCommand, data_dir: &Path) -> color_eyre::Result<i32> {
    match cmd {
        SandboxCommand::Serve(args) => serve(*args, data_dir).await,
        SandboxCommand::Reset(args) => reset(args, data_dir).await,
        SandboxCommand::Outbox { json } => outbox(json, data_dir),
    }
}

/// `sandbox serve`: runs until Ctrl-C.
async fn serve(args: ServeOptions, data_dir: &Path) -> color_eyre::Result<i32> {
    let trusted = args.trust_certificate.len();
    let Some(cfg) = serve_config(args, data_dir)? else {
        return Ok(USAGE);
    };
    let handle = match spawn(cfg).await {
        Ok(handle) => handle,
        // A setting that cannot work (a CA file in the data dir that is not one, say)
        // is said in words, as a usage error.
        Err(e @ SandboxError::Config(_)) => {
            eprintln!("undelete: {e}");
            return Ok(USAGE);
        }
        Err(e) => return Err(e.into()),
    };
    announce(&handle, data_dir, trusted)?;
    tokio::signal::ctrl_c()
        .await
        .wrap_err("waiting for Ctrl-C")?;
    handle.shutdown().await;
    Ok(0)
}

/// The sandbox's settings from `serve`'s options; `None` when a certificate file to trust is
/// not one (said on stderr: a usage error).
fn serve_config(args: ServeOptions, data_dir: &Path) -> color_eyre::Result<Option<SandboxConfig>> {
    let mut cfg = SandboxConfig::new(data_dir)
        .users(args.seed.users)
        .seed(args.seed.seed)
        .tenants(args.tenants)
        .latency(Duration::from_millis(args.latency_ms))
        .fail_rate(args.fail_rate)
        .drop_rate(args.drop_rate)
        .fault_seed(args.fault_seed)
        .fail_password_sets(args.fail_password_sets, args.password_fault)
        .token_lifetime(Duration::from_secs(args.token_lifetime))
        .client_secret(args.client_secret)
        .tls(args.tls)
        .tap_policy(args.tap_enabled)
        .port(args.port);
    if let Some(url) = &args.public_url {
        cfg = cfg.public_url(url);
    }
    if let Some(url) = &args.public_login_url {
        cfg = cfg.public_login_url(url);
    }
    if let Some(n) = args.seed.active {
        cfg = cfg.active(n);
    }
    for p in args.deny_scope {
        cfg = cfg.deny(p);
    }
    if let Some(home) = args.partner_tenant {
        cfg = cfg.partner_tenant(home);
    }
    if let Some(customers) = &args.customers {
        cfg = cfg.customers(customers);
    }
    for t in args.refuse_tenant {
        cfg = cfg.refuse_sign_in(t);
    }
    for path in &args.trust_certificate {
        // The file may hold the app's private key too: only certificates are kept, and
        // the text is wiped once read. A file that is not one is a usage error.
        let certs = undelete_common::files::read_text(path, undelete_common::files::CERTIFICATE)
            .map_err(|e| e.to_string())
            .and_then(|pem| super::TrustedCert::from_pem(&pem));
        match certs {
            Ok(certs) => cfg.trusted.extend(certs),
            Err(e) => {
                eprintln!("undelete: --trust-certificate {}: {e}", path.display());
                return Ok(None);
            }
        }
    }
    if let Some(q) = &args.write_quota {
        let (n, per) = parse_quota(q).map_err(|e| eyre!("--write-quota {q}: {e}"))?;
        cfg = cfg.write_quota(n, per);
    }
    Ok(Some(cfg))
}

/// What a running sandbox tells: scripts read stdout, people read stderr.
fn announce(handle: &SandboxHandle, data_dir: &Path, trusted: usize) -> std::io::Result<()> {
    {
        // Scripts read these lines: the base URL, then (with TLS) the CA file to trust.
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", handle.base_url())?;
        if let Some(ca) = handle.ca_path() {
            writeln!(out, "{}", ca.display())?;
        }
        out.flush()?;
    }
    if let Some(url) = handle.public_url() {
        eprintln!("sandbox: every URL in a reply starts with {url}");
    }
    if let Some(url) = handle.public_login_url() {
        eprintln!("sandbox: discovery documents and device codes send clients to {url}");
    }
    let certs = match trusted {
        0 => String::new(),
        n => format!(
            ", {} trusted",
            undelete_common::words::count(n, "certificate file", "certificate files")
        ),
    };
    let tenants = handle.tenants();
    if tenants.len() == 1 {
        eprintln!(
            "sandbox: {} (store {}); client secret accepted{certs}; admin {}. Ctrl-C stops.",
            handle.domain(),
            super::store_path(data_dir).display(),
            handle.admin_upn()
        );
        return Ok(());
    }
    eprintln!(
        "sandbox: {} tenants (stores in {}); client secret accepted{certs}. Ctrl-C stops.",
        tenants.len(),
        data_dir.display()
    );
    for t in &tenants {
        eprintln!("  {}", tenant_line(t));
    }
    Ok(())
}

/// One tenant as `serve` announces it: domain, id, admin, and its part in GDAP and sign-in.
fn tenant_line(t: &super::TenantInfo) -> String {
    let mut notes = Vec::new();
    match t.gdap {
        super::Gdap::PartnerHome => notes.push("partner's home"),
        super::Gdap::Customer => notes.push("GDAP customer"),
        super::Gdap::None => {}
    }
    if t.refuses_sign_in {
        notes.push("refuses sign-in");
    }
    let notes = match notes.is_empty() {
        true => String::new(),
        false => format!(" ({})", notes.join(", ")),
    };
    format!("{} {} admin {}{notes}", t.domain, t.id, t.admin_upn)
}

/// `sandbox reset`: every tenant's store thrown away and seeded again (as many tenants as the
/// data dir held, at least one).
async fn reset(args: SeedOptions, data_dir: &Path) -> color_eyre::Result<i32> {
    let dir = data_dir.to_path_buf();
    let (users, active, seed) = (args.users, args.active, args.seed);
    let tenants = tokio::task::spawn_blocking(move || {
        // Checked before the old stores are thrown away.
        check_seed(users, active)?;
        let tenants = stores::tenants_in(&dir).max(1);
        stores::remove_all(&dir)?;
        let seeding = Seeding {
            tenants,
            users,
            active,
            seed,
        };
        stores::open_all(&dir, seeding).map(|_| tenants)
    })
    .await
    .wrap_err("reset task")??;
    let store = match tenants {
        1 => format!("store {}", super::store_path(data_dir).display()),
        n => format!("{n} tenants, stores in {}", data_dir.display()),
    };
    println!("sandbox re-seeded: {users} deleted users, seed {seed}, {store}");
    Ok(0)
}

/// `sandbox outbox`: the mail the sandbox has "sent", as text or JSON. With several tenants'
/// stores in the data dir, each mail says whose it is (`"tenant"`, or a heading).
fn outbox(json: bool, data_dir: &Path) -> color_eyre::Result<i32> {
    let first = super::store_path(data_dir);
    let present: Vec<(String, std::path::PathBuf)> = stores::every_store_file(data_dir)
        .filter(|(_, path)| path.exists())
        .map(|(plan, path)| (plan.domain, path))
        .collect();
    if present.is_empty() {
        if json {
            println!("[]");
        } else {
            println!(
                "The outbox is empty (no sandbox store at {}).",
                first.display()
            );
        }
        return Ok(0);
    }
    let several = present.len() > 1;
    let mut by_tenant = Vec::with_capacity(present.len());
    for (domain, path) in present {
        super::store::make_private(&path)
            .wrap_err_with(|| format!("making {} private", path.display()))?;
        let store = super::store::Store::open(&path)
            .wrap_err_with(|| format!("opening {}", path.display()))?;
        let mails = store
            .outbox()
            .wrap_err_with(|| format!("reading the outbox of {}", path.display()))?;
        by_tenant.push((domain, mails));
    }
    let mut out = std::io::stdout().lock();
    if json {
        let mut all = Vec::new();
        for (domain, mails) in &by_tenant {
            for m in mails {
                let mut v = serde_json::to_value(m)?;
                if several {
                    v["tenant"] = serde_json::json!(domain);
                }
                all.push(v);
            }
        }
        undelete_common::safe_json::to_writer_pretty(&mut out, &all)?;
        writeln!(out)?;
    } else if by_tenant.iter().all(|(_, mails)| mails.is_empty()) {
        writeln!(out, "The outbox is empty.")?;
    } else {
        for (domain, mails) in by_tenant.iter().filter(|(_, m)| !m.is_empty()) {
            if several {
                writeln!(out, "== {domain} ==")?;
            }
            for m in mails {
                // Whatever a client sent reaches a terminal here: the app's own sanitizer.
                writeln!(out, "#{} {}  from {}", m.seq, m.sent_at, clean(&m.from))?;
                writeln!(out, "   to: {}", clean(&m.to.join(", ")))?;
                writeln!(out, "   subject: {}", clean(&m.subject))?;
                for line in m.body.lines() {
                    writeln!(out, "   | {}", clean(line))?;
                }
                writeln!(out)?;
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_syntax() {
        assert_eq!(
            parse_quota("3000/150"),
            Ok((3000, Duration::from_secs(150)))
        );
        assert!(parse_quota("3000").is_err());
        assert!(parse_quota("0/10").is_err());
        assert!(parse_quota("5/0").is_err());
        assert!(parse_quota("x/1").is_err());
        // A period too long to be a Duration was a panic.
        assert_eq!(
            parse_quota("5/1e300").unwrap_err(),
            "the period is at most a day (86400 seconds)"
        );
        assert!(parse_quota("5/inf").is_err());
        assert!(parse_quota("5/86400").is_ok());
    }

    #[test]
    fn seed_counts_past_the_limit_are_refused_before_anything_is_seeded() {
        assert!(check_seed(super::super::MAX_SEEDED_USERS, Some(0)).is_ok());
        let e = check_seed(99_999_999_999, None).unwrap_err().to_string();
        assert!(
            e.contains(
                "99999999999 deleted users is more than the sandbox seeds: at most 10,000,000"
            ),
            "{e}"
        );
        assert!(check_seed(10, Some(10_000_001)).is_err());
    }
}
