//! The scripting commands across several tenants (`--tenant A --tenant B`, `--all-tenants`).
//!
//! Every tenant is its own run: its session, journal, lock, audit log and settings (its
//! `email-to`, `mail-from`). `list` and `check` read the tenants side by side and print one
//! listing, sorted across them, each user naming its tenant; `restore` and `purge` send each
//! target to the one tenant it belongs to (a user name by its verified domain, an id by
//! looking it up in each) and run there; `finish` runs in each tenant on its own journal. A
//! tenant that cannot be signed in to or read is said on stderr and the others go on (exit 1).
//! With one tenant this is not used: its output is what it always was.

use std::io::{self, Write};
use std::time::Instant;

use chrono::Utc;
use futures::StreamExt;

use super::args::{CheckArgs, OutputFormat, SortKey};
use super::list::{KeptSweep, Known};
use super::{
    Command, Context, EXIT_EXPIRING, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Io, Terminal, format, list,
    resolve, within,
};
use crate::config::Settings;
use crate::directory::{DeletedUser, DirectoryError, ErrorKind};
use crate::session::{OPEN_AT_ONCE, TenantOpen};

/// One tenant of the run, signed in, with the command as its own settings made it.
pub struct TenantRun {
    /// How the table names it (its entry's name, else as configured).
    pub label: String,
    /// As configured (domain or id): the `"tenant"` of the JSON lines.
    pub key: String,
    pub ctx: Context,
    pub cmd: Command,
}

/// Runs `cmds` (one per tenant of `settings`, in order) on the real standard streams.
pub async fn run(cmds: Vec<Command>, settings: &Settings) -> color_eyre::Result<i32> {
    let started = Instant::now();
    let opened = crate::session::open_tenants(settings, false).await?;
    let mut std = super::StdStreams::lock();
    let mut io = std.io();
    let (runs, code) = sign_ins(opened, cmds, started, &mut io)?;
    let waits: Vec<_> = runs
        .iter()
        .filter_map(|r| r.ctx.session.directory.wait_notices())
        .map(|rx| tokio::spawn(super::print_waits(rx, io.term.stderr)))
        .collect();
    let ran = run_with(&runs, &mut io).await;
    for task in waits {
        task.abort();
    }
    io.out.flush()?;
    Ok(worst(code, ran?))
}

/// The tenants that were signed in to, with their commands; each that was not is said on
/// stderr (cause first, naming it), and makes the exit code 1.
pub fn sign_ins(
    opened: Vec<TenantOpen>,
    cmds: Vec<Command>,
    started: Instant,
    io: &mut Io<'_>,
) -> io::Result<(Vec<TenantRun>, i32)> {
    let mut runs = Vec::new();
    let mut code = EXIT_OK;
    for (t, cmd) in opened.into_iter().zip(cmds) {
        match t.session {
            Ok(session) => runs.push(TenantRun {
                label: t.label,
                key: t.settings.tenant_key(),
                ctx: Context::started_at(session, started),
                cmd,
            }),
            Err(why) => {
                writeln!(
                    io.err,
                    "undelete: {why} (tenant {}: left out; the other tenants go on)",
                    t.label
                )?;
                code = EXIT_FAILED;
            }
        }
    }
    Ok((runs, code))
}

/// The exit code of two parts of a run: a usage error over a failure over expiring users.
fn worst(a: i32, b: i32) -> i32 {
    let rank = |c: i32| match c {
        EXIT_OK => 0,
        EXIT_EXPIRING => 1,
        EXIT_FAILED => 2,
        EXIT_USAGE => 4,
        _ => 3,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// Runs each tenant's command, as the command's kind says, and gives the run's exit code.
pub async fn run_with(runs: &[TenantRun], io: &mut Io<'_>) -> color_eyre::Result<i32> {
    let Some(first) = runs.first() else {
        // Every tenant was left out (and said so).
        return Ok(EXIT_FAILED);
    };
    let many = runs.len() > 1;
    match &first.cmd {
        Command::List(_) => list_across(runs, many, io).await,
        Command::Check(_) => check_across(runs, many, io).await,
        Command::Restore(_) | Command::Purge(_) => targeted(runs, many, io).await,
        Command::Finish(_) => finish_across(runs, many, io).await,
    }
}

/// A stand-in for a tenant's standard streams while several are read at once: what it says
/// on stderr is kept, and said after, each line naming the tenant.
struct Kept {
    out: Vec<u8>,
    err: Vec<u8>,
}

impl Kept {
    fn new() -> Self {
        Self {
            out: Vec::new(),
            err: Vec::new(),
        }
    }

    /// Says what the tenant said on stderr, each line after its name.
    fn say(&self, label: &str, io: &mut Io<'_>) -> io::Result<()> {
        for line in String::from_utf8_lossy(&self.err).lines() {
            writeln!(io.err, "{label}: {line}")?;
        }
        Ok(())
    }
}

/// A directory error of one tenant, said as `run_with` says it for one, naming the tenant.
fn tenant_failed(
    report: &color_eyre::Report,
    label: &str,
    io: &mut Io<'_>,
) -> color_eyre::Result<()> {
    match report.downcast_ref::<DirectoryError>() {
        Some(e) => {
            writeln!(io.err, "error: {e} (tenant {label})")?;
            writeln!(io.err, "what to do: {}", e.advice())?;
        }
        None => writeln!(io.err, "error: {report:#} (tenant {label})")?,
    }
    Ok(())
}

/// Users of several tenants, each with its tenant's place in the run.
type Tagged = Vec<(usize, DeletedUser)>;

/// Each tenant's result of `read`, `OPEN_AT_ONCE` tenants at a time, with what it said.
async fn read_each<'r, T, F, Fut>(
    runs: &'r [TenantRun],
    read: F,
) -> Vec<(color_eyre::Result<T>, Kept)>
where
    F: Fn(&'r TenantRun) -> Fut,
    Fut: std::future::Future<Output = (color_eyre::Result<T>, Kept)> + 'r,
{
    futures::stream::iter(runs.iter().map(read))
        .buffered(OPEN_AT_ONCE)
        .collect()
        .await
}

/// `list` across tenants: every tenant's users (with the enrichments asked for, each from
/// its own tenant), sorted together, each naming its tenant.
async fn list_across(runs: &[TenantRun], many: bool, io: &mut Io<'_>) -> color_eyre::Result<i32> {
    let Command::List(args) = &runs[0].cmd else {
        return Ok(EXIT_USAGE);
    };
    let now = Utc::now();
    let parts = read_each(runs, |r| async move {
        let mut kept = Kept::new();
        let result = async {
            let Command::List(args) = &r.cmd else {
                return Err(color_eyre::eyre::eyre!("not a listing"));
            };
            let mut input: &[u8] = &[];
            let mut tio = Io {
                out: &mut kept.out,
                err: &mut kept.err,
                input: &mut input,
                term: Terminal::default(),
            };
            super::note_unfinished(&r.ctx, &mut tio, &[], false)?;
            let books = r.ctx.session.books();
            let sweep = KeptSweep {
                books: &books,
                cache: r.ctx.session.settings.cache,
            };
            if !sweep.cache
                && let Err(e) = crate::conflicts::kept::forget(&books)
            {
                let _ = writeln!(tio.err, "the kept conflict sweep cannot be removed: {e}");
            }
            let dir = r.ctx.directory();
            within(
                r.ctx.read_deadline,
                list::gather(dir.as_ref(), args, &sweep, now, &mut tio),
            )
            .await
        }
        .await;
        (result, kept)
    })
    .await;
    let mut code = EXIT_OK;
    let mut users: Tagged = Vec::new();
    let mut known: Vec<Option<Known>> = Vec::new();
    let mut loaded = 0;
    for (i, (result, kept)) in parts.into_iter().enumerate() {
        kept.say(&runs[i].label, io)?;
        match result {
            Ok((found, k, n)) => {
                loaded += n;
                users.extend(found.into_iter().map(|u| (i, u)));
                known.push(k);
            }
            Err(report) => {
                tenant_failed(&report, &runs[i].label, io)?;
                known.push(None);
                code = EXIT_FAILED;
            }
        }
    }
    crate::query::sort_tagged(&mut users, args.sort);
    print(io, runs, many, &users, &known, args.format, now)?;
    if io.term.stderr && args.format == OutputFormat::Table {
        let what = if args.conflicts {
            "deleted users with conflicts"
        } else {
            "deleted users"
        };
        let tenants = crate::text::count(runs.len(), "tenant", "tenants");
        let shown = if users.len() == loaded {
            format!("{loaded} {what} in {tenants}")
        } else {
            format!("{} of {loaded} {what} in {tenants}", users.len())
        };
        writeln!(io.err, "{shown}")?;
    }
    Ok(code)
}

/// Prints users of several tenants in `format`: the table with a TENANT column (by label),
/// JSON with `"tenant"` and CSV with a last `tenant` column (as configured), when `many`.
fn print(
    io: &mut Io<'_>,
    runs: &[TenantRun],
    many: bool,
    users: &Tagged,
    known: &[Option<Known>],
    format: OutputFormat,
    now: chrono::DateTime<Utc>,
) -> io::Result<()> {
    let known_of = |t: usize| known.get(t).and_then(Option::as_ref);
    match format {
        OutputFormat::Table => {
            let extra: Vec<format::Known> = users
                .iter()
                .map(|(t, u)| known_of(*t).map(|k| k.of(u)).unwrap_or_default())
                .collect();
            let labels: Vec<&str> = users.iter().map(|(t, _)| runs[*t].label.as_str()).collect();
            let plain: Vec<DeletedUser> = users.iter().map(|(_, u)| u.clone()).collect();
            format::write_table_rows(
                io.out,
                &plain,
                &extra,
                many.then_some(labels.as_slice()),
                now,
                io.term.color_out(),
            )?;
        }
        OutputFormat::Json => {
            let mut array = format::JsonArray::default();
            for (t, u) in users {
                let tenant = many.then_some(runs[*t].key.as_str());
                match known_of(*t) {
                    Some(k) => array.record_in(io.out, u, tenant, now, &|u, r| k.annotate(u, r))?,
                    None => array.record_in(io.out, u, tenant, now, &|_, _| {})?,
                }
            }
            array.end(io.out)?;
        }
        OutputFormat::Csv => {
            format::CsvRows::header_of(io.out, many)?;
            let mut rows = format::CsvRows::default();
            for (t, u) in users {
                rows.row_in(io.out, u, many.then_some(runs[*t].key.as_str()), now)?;
            }
        }
    }
    io.out.flush()
}

/// `check --expiring` across tenants: the users any tenant will purge within the days, the
/// soonest first whichever tenant holds them; exit 3 when there are any, and stderr names the
/// tenants they are in.
async fn check_across(runs: &[TenantRun], many: bool, io: &mut Io<'_>) -> color_eyre::Result<i32> {
    let Command::Check(args) = &runs[0].cmd else {
        return Ok(EXIT_USAGE);
    };
    let CheckArgs { expiring, format } = args.clone();
    let now = Utc::now();
    let parts = read_each(runs, |r| async move {
        let mut kept = Kept::new();
        let result = async {
            let mut input: &[u8] = &[];
            let mut tio = Io {
                out: &mut kept.out,
                err: &mut kept.err,
                input: &mut input,
                term: Terminal::default(),
            };
            super::note_unfinished(&r.ctx, &mut tio, &[], false)?;
            let dir = r.ctx.directory();
            let read = async { Ok(list::load(dir.as_ref(), format, &mut tio).await?) };
            within(r.ctx.read_deadline, read).await
        }
        .await;
        (result, kept)
    })
    .await;
    let mut code = EXIT_OK;
    let mut users: Tagged = Vec::new();
    for (i, (result, kept)) in parts.into_iter().enumerate() {
        kept.say(&runs[i].label, io)?;
        match result {
            Ok(found) => users.extend(
                list::expiring(found, expiring, now)
                    .into_iter()
                    .map(|u| (i, u)),
            ),
            Err(report) => {
                tenant_failed(&report, &runs[i].label, io)?;
                code = EXIT_FAILED;
            }
        }
    }
    let within_words = list::within_words(expiring);
    if users.is_empty() {
        if io.term.stderr {
            writeln!(
                io.err,
                "no deleted user will be purged within {within_words} in {}",
                crate::text::count(runs.len(), "tenant", "tenants")
            )?;
        }
        return Ok(code);
    }
    crate::query::sort_tagged(&mut users, SortKey::DaysLeft);
    print(io, runs, many, &users, &[], format, now)?;
    // Said on a pipe too: which tenants to look at is what a cron mail is for.
    let mut per: Vec<(usize, usize)> = Vec::new();
    for (t, _) in &users {
        match per.iter_mut().find(|(p, _)| p == t) {
            Some((_, n)) => *n += 1,
            None => per.push((*t, 1)),
        }
    }
    per.sort_unstable();
    let named: Vec<String> = per
        .iter()
        .map(|(t, n)| format!("{} ({n})", runs[*t].label))
        .collect();
    writeln!(
        io.err,
        "{} will be purged within {within_words}, in {}: {}",
        crate::text::count(users.len(), "deleted user", "deleted users"),
        crate::text::count(per.len(), "tenant", "tenants"),
        named.join(", ")
    )?;
    Ok(worst(EXIT_EXPIRING, code))
}

/// Where one target of `restore` or `purge` belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Belongs {
    /// In this tenant (its place in the run).
    In(usize),
    /// In none: why, in words.
    Nowhere(String),
    /// In several (their places): the admin must pick one.
    Several(Vec<usize>),
}

/// The tenants whose verified domains hold `domain`, by place; `Err` for a tenant whose
/// domains could not be read (said once per tenant by the caller).
fn owners(domains: &[Result<crate::restore::Tenant, String>], domain: &str) -> Vec<usize> {
    domains
        .iter()
        .enumerate()
        .filter(|(_, d)| d.as_ref().is_ok_and(|t| t.owns(domain).unwrap_or(false)))
        .map(|(i, _)| i)
        .collect()
}

/// The domain a user name carries (after its last `@`), lower-cased.
fn domain_of(target: &str) -> Option<String> {
    let (_, domain) = target.trim().rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    (!domain.is_empty()).then_some(domain)
}

/// Sends each target of `restore`/`purge` to its tenant and runs the command there; a target
/// in several tenants is a usage error naming them, before anything is done.
async fn targeted(runs: &[TenantRun], many: bool, io: &mut Io<'_>) -> color_eyre::Result<i32> {
    let targets = match &runs[0].cmd {
        Command::Restore(a) => a.targets.clone(),
        Command::Purge(a) => a.targets.clone(),
        _ => return Ok(EXIT_USAGE),
    };
    let command = if matches!(runs[0].cmd, Command::Restore(_)) {
        "restore"
    } else {
        "purge"
    };
    // Checked on the whole list: split by tenant, each part could pass it alone.
    if let Command::Restore(a) = &runs[0].cmd
        && a.new_upn.is_some()
        && targets.len() > 1
    {
        writeln!(
            io.err,
            "undelete restore: --new-upn works with a single user only"
        )?;
        return Ok(EXIT_USAGE);
    }
    let belongs = place_targets(runs, &targets, io).await?;
    // Nothing is done while any target is ambiguous: which tenant is meant is the admin's.
    let mut ambiguous = false;
    for (target, b) in targets.iter().zip(&belongs) {
        if let Belongs::Several(places) = b {
            let names: Vec<&str> = places.iter().map(|p| runs[*p].label.as_str()).collect();
            writeln!(
                io.err,
                "undelete {command}: {target:?} is in {} tenants ({}): name one with --tenant",
                places.len(),
                names.join(", ")
            )?;
            ambiguous = true;
        }
    }
    if ambiguous {
        return Ok(EXIT_USAGE);
    }
    let mut code = EXIT_OK;
    for (target, b) in targets.iter().zip(&belongs) {
        if let Belongs::Nowhere(why) = b {
            let line = serde_json::json!({"target": target, "status": "failed", "error": why});
            undelete_common::safe_json::write_line(io.out, &line)?;
            code = EXIT_FAILED;
        }
    }
    let per_tenant: Vec<Vec<String>> = (0..runs.len())
        .map(|i| {
            targets
                .iter()
                .zip(&belongs)
                .filter(|(_, b)| **b == Belongs::In(i))
                .map(|(t, _)| t.clone())
                .collect()
        })
        .collect();
    let busy = per_tenant.iter().filter(|t| !t.is_empty()).count();
    if busy > 1
        && let Command::Restore(a) = &runs[0].cmd
        && a.password == super::args::PasswordSource::Stdin
    {
        writeln!(
            io.err,
            "undelete restore: --password stdin reads one password for one tenant's run, and \
             the targets are in {busy} tenants: restore them one tenant at a time (--tenant)"
        )?;
        return Ok(EXIT_USAGE);
    }
    for (run, mine) in runs.iter().zip(per_tenant) {
        if mine.is_empty() {
            continue;
        }
        let cmd = match &run.cmd {
            Command::Restore(a) => Command::Restore(super::args::RestoreArgs {
                targets: mine,
                ..a.clone()
            }),
            Command::Purge(a) => Command::Purge(super::args::PurgeArgs {
                targets: mine,
                ..a.clone()
            }),
            other => other.clone(),
        };
        code = worst(code, in_tenant(run, cmd, many, io).await?);
    }
    Ok(code)
}

/// Runs `cmd` in one tenant, its JSON lines carrying the tenant and its stderr lines naming
/// it when the run has several.
async fn in_tenant(
    run: &TenantRun,
    cmd: Command,
    many: bool,
    io: &mut Io<'_>,
) -> color_eyre::Result<i32> {
    if !many {
        return super::run_with(cmd, &run.ctx, io).await;
    }
    // Each tenant's `--deadline` counts from its own start, as its own run's would: a slow
    // tenant before it does not eat its time.
    let ctx = Context::new(std::sync::Arc::clone(&run.ctx.session));
    let mut out = TenantLines::json(&mut *io.out, &run.key);
    let mut err = TenantLines::prefix(&mut *io.err, &run.label);
    let code = {
        let mut tio = Io {
            out: &mut out,
            err: &mut err,
            input: &mut *io.input,
            term: io.term,
        };
        super::run_with(cmd, &ctx, &mut tio).await
    };
    out.end()?;
    err.end()?;
    code
}

/// Where each target belongs: a user name in the tenant whose verified domains hold its
/// domain; an id in each tenant that has a deleted user with it (or, for `restore`, holds
/// it unfinished in its journal).
async fn place_targets(
    runs: &[TenantRun],
    targets: &[String],
    io: &mut Io<'_>,
) -> color_eyre::Result<Vec<Belongs>> {
    let restoring = matches!(runs[0].cmd, Command::Restore(_));
    let ids: Vec<String> = targets
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| resolve::looks_like_id(t))
        .collect();
    let names = targets.iter().any(|t| !resolve::looks_like_id(t.trim()));
    // Per tenant: its verified domains (when a user name needs them) and which ids it has.
    let looked = read_each(runs, |r| {
        let ids = &ids;
        async move {
            let dir = r.ctx.directory();
            let domains = if names {
                crate::restore::load_tenant(dir.as_ref())
                    .await
                    .map_err(|e| e.to_string())
            } else {
                Ok(crate::restore::Tenant::default())
            };
            let found = if ids.is_empty() {
                Vec::new()
            } else {
                dir.get_deleted_many(ids).await
            };
            let pending = if restoring {
                r.ctx.session.books().pending().unwrap_or_default()
            } else {
                Vec::new()
            };
            let held: Vec<bool> = ids
                .iter()
                .zip(&found)
                .map(|(id, f)| match f {
                    Ok(_) => true,
                    Err(_) => pending
                        .iter()
                        .any(|p| p.unfinished.id.eq_ignore_ascii_case(id)),
                })
                .collect();
            let errors: Vec<String> = found
                .iter()
                .filter_map(|f| f.as_ref().err())
                .filter(|e| e.kind != ErrorKind::NotFound)
                .map(ToString::to_string)
                .collect();
            (Ok((domains, held, errors)), Kept::new())
        }
    })
    .await;
    let mut domains = Vec::new();
    let mut held: Vec<Vec<bool>> = Vec::new();
    for (i, (result, _)) in looked.into_iter().enumerate() {
        let (d, h, errors): (
            Result<crate::restore::Tenant, String>,
            Vec<bool>,
            Vec<String>,
        ) = result?;
        if let Err(e) = &d {
            writeln!(
                io.err,
                "undelete: the verified domains could not be read ({e}): user names are not \
                 sent to tenant {}",
                runs[i].label
            )?;
        }
        if let Some(e) = errors.first() {
            writeln!(
                io.err,
                "undelete: looking up ids failed ({e}): ids are not found in tenant {}",
                runs[i].label
            )?;
        }
        domains.push(d);
        held.push(h);
    }
    // The tenants looked in (those signed in to), named: a target of a tenant left out is
    // not found, and the line says where it was looked for.
    let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    let everywhere = format!(
        "{}: {}",
        crate::text::count(runs.len(), "tenant", "tenants"),
        labels.join(", ")
    );
    Ok(targets
        .iter()
        .map(|t| {
            let t = t.trim();
            let places: Vec<usize> = if resolve::looks_like_id(t) {
                let n = ids.iter().position(|id| id == t).unwrap_or(0);
                (0..runs.len())
                    .filter(|i| held[*i].get(n).copied().unwrap_or(false))
                    .collect()
            } else if let Some(domain) = domain_of(t) {
                let places = owners(&domains, &domain);
                if places.is_empty() {
                    return Belongs::Nowhere(format!(
                        "no tenant signed in to ({everywhere}) has the verified domain {domain}"
                    ));
                }
                places
            } else {
                return Belongs::Nowhere(format!(
                    "{t:?} is neither an object id nor a user name with a domain: across \
                     tenants, a user name is sent to the tenant of its domain"
                ));
            };
            match places.as_slice() {
                [] => Belongs::Nowhere(format!(
                    "no deleted user has the id {t} in the tenants signed in to ({everywhere})"
                )),
                [one] => Belongs::In(*one),
                _ => Belongs::Several(places),
            }
        })
        .collect())
}

/// `finish` across tenants: each tenant finishes its own journal's users (`--mark-sent`
/// targets go to the tenant whose journal holds them).
async fn finish_across(runs: &[TenantRun], many: bool, io: &mut Io<'_>) -> color_eyre::Result<i32> {
    let mut code = EXIT_OK;
    let marks = match &runs[0].cmd {
        Command::Finish(a) => a.mark_sent.clone(),
        _ => return Ok(EXIT_USAGE),
    };
    let mut claimed = vec![false; marks.len()];
    for run in runs {
        let Command::Finish(args) = &run.cmd else {
            continue;
        };
        let mut args = args.clone();
        if !marks.is_empty() {
            let pending = run.ctx.session.books().pending().unwrap_or_default();
            let mine: Vec<String> = marks
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    let m = m.trim();
                    pending.iter().any(|p| {
                        p.unfinished.id.eq_ignore_ascii_case(m)
                            || p.unfinished.upn.eq_ignore_ascii_case(m)
                    })
                })
                .map(|(i, m)| {
                    claimed[i] = true;
                    m.clone()
                })
                .collect();
            if mine.is_empty() {
                continue;
            }
            args.mark_sent = mine;
        }
        code = worst(code, in_tenant(run, Command::Finish(args), many, io).await?);
    }
    for (mark, _) in marks.iter().zip(claimed).filter(|(_, c)| !c) {
        let why = format!(
            "no journal of the {} holds {mark:?} unfinished",
            crate::text::count(runs.len(), "tenant", "tenants")
        );
        let line = serde_json::json!({"target": mark, "status": "failed", "error": why});
        undelete_common::safe_json::write_line(io.out, &line)?;
        code = worst(code, EXIT_FAILED);
    }
    Ok(code)
}

/// A writer that names a tenant on every line: a JSON object line gets `"tenant"` as its
/// first member, any other line (stderr) the tenant's name before it. Whole lines go out;
/// `flush` also puts out a started line (a prompt waiting for its answer).
struct TenantLines<'a> {
    inner: &'a mut dyn Write,
    /// `{"tenant":"…",` for JSON lines; `None`: a prefix for text.
    json: Option<Vec<u8>>,
    prefix: Vec<u8>,
    line: Vec<u8>,
    /// The current line's start has been written already (by a flush).
    started: bool,
}

impl<'a> TenantLines<'a> {
    fn json(inner: &'a mut dyn Write, tenant: &str) -> Self {
        let mut member = b"{\"tenant\":".to_vec();
        // The name comes from the settings file: escaped as any string we print.
        let _ = undelete_common::safe_json::to_writer(&mut member, tenant);
        Self {
            inner,
            json: Some(member),
            prefix: Vec::new(),
            line: Vec::new(),
            started: false,
        }
    }

    fn prefix(inner: &'a mut dyn Write, label: &str) -> Self {
        Self {
            inner,
            json: None,
            prefix: format!("{}: ", undelete_common::sanitize::clean(label)).into_bytes(),
            line: Vec::new(),
            started: false,
        }
    }

    /// Writes the held part of a line; `whole` when it ends here.
    fn put(&mut self, whole: bool) -> io::Result<()> {
        let line = std::mem::take(&mut self.line);
        if !self.started {
            match &self.json {
                Some(member) if line.first() == Some(&b'{') => {
                    self.inner.write_all(member)?;
                    let rest = &line[1..];
                    if !rest.starts_with(b"}") {
                        self.inner.write_all(b",")?;
                    }
                    self.inner.write_all(rest)?;
                }
                Some(_) => self.inner.write_all(&line)?,
                None => {
                    self.inner.write_all(&self.prefix)?;
                    self.inner.write_all(&line)?;
                }
            }
        } else {
            self.inner.write_all(&line)?;
        }
        self.started = !whole;
        Ok(())
    }

    /// Puts out what is left.
    fn end(mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.put(true)?;
        }
        self.inner.flush()
    }
}

impl Write for TenantLines<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for part in buf.split_inclusive(|b| *b == b'\n') {
            self.line.extend_from_slice(part);
            if part.ends_with(b"\n") {
                self.put(true)?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // A JSON line is put out whole only: its first member is decided by its first byte.
        if self.json.is_none() && !self.line.is_empty() {
            self.put(false)?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_json_line_names_its_tenant_first_and_text_lines_after_its_name() {
        let mut out = Vec::new();
        {
            let mut w = TenantLines::json(&mut out, "fabrikam.sandbox");
            w.write_all(b"{\"id\":\"a\",\"status\":\"restored\"}\n{}\n")
                .unwrap();
            w.write_all(b"{\"id\":").unwrap();
            w.flush().unwrap();
            w.write_all(b"\"b\"}\n").unwrap();
            w.end().unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect(l))
            .collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines.iter().all(|l| l["tenant"] == "fabrikam.sandbox"));
        assert!(text.starts_with("{\"tenant\":\"fabrikam.sandbox\",\"id\""));
        assert_eq!(lines[2]["id"], "b");

        let mut err = Vec::new();
        {
            let mut w = TenantLines::prefix(&mut err, "Fabrikam\u{1b}[31m");
            w.write_all(b"note: one\nType the number: ").unwrap();
            w.flush().unwrap();
            w.write_all(b"\nnext\n").unwrap();
            w.end().unwrap();
        }
        let text = String::from_utf8(err).unwrap();
        assert!(!text.contains('\u{1b}'), "{text:?}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].ends_with(": note: one") && lines[0].starts_with("Fabrikam"));
        assert!(lines[1].ends_with(": Type the number: "), "{text}");
        assert!(lines[2].ends_with(": next"));
    }

    #[test]
    fn a_usage_error_outranks_a_failure_which_outranks_expiring_users() {
        assert_eq!(worst(EXIT_OK, EXIT_EXPIRING), EXIT_EXPIRING);
        assert_eq!(worst(EXIT_EXPIRING, EXIT_FAILED), EXIT_FAILED);
        assert_eq!(worst(EXIT_FAILED, EXIT_EXPIRING), EXIT_FAILED);
        assert_eq!(worst(EXIT_USAGE, EXIT_FAILED), EXIT_USAGE);
    }

    #[test]
    fn a_user_names_domain_is_its_last_at_on() {
        assert_eq!(
            domain_of(" Adele@Contoso.Sandbox. ").as_deref(),
            Some("contoso.sandbox")
        );
        assert_eq!(domain_of("nobody"), None);
        assert_eq!(domain_of("x@"), None);
    }
}
