//! `undelete restore`: one JSON line per user on stdout, exit 1 if any failed.
//!
//! A target that an earlier, interrupted run left unfinished (see `restore::Journal`) is
//! finished instead: a new password is set and the sign-in info sent. Generated passwords are
//! printed only when no email carries them; a password the admin typed is never echoed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};

use super::args::RestoreArgs;
use super::deliver::{Books, Report, ToDeliver, deliver};
use super::lines::{cli_words, failed_line, holders_json, mail_uncertain_line};
use super::{Context, EXIT_USAGE, Io, resolve};
use crate::directory::{DeletedUser, DirResult, Directory, Stage};
use crate::mail::SignInMail;
use crate::offboarding;
use crate::restore::{
    self, Audit, Held, Journal, MailChoice, PasswordChoice, Pending, PlanRequest, Problem,
    Progress, Recorded, RestorePlan, Tenant, Unfinished, UserOutcome, UserRequest,
};

/// The tenant's verified domains, for the user-name and password rules. When they cannot be
/// read the rules that need them are skipped (the directory still refuses what it refuses),
/// and the admin is told.
pub(super) async fn load_tenant(
    dir: &dyn Directory,
    io: &mut Io<'_>,
) -> color_eyre::Result<Tenant> {
    match restore::load_tenant(dir).await {
        Ok(t) => Ok(t),
        Err(e) => {
            writeln!(
                io.err,
                "note: the tenant's domains could not be read ({e}); new user names are checked \
                 for their form only"
            )?;
            Ok(Tenant::default())
        }
    }
}

fn usage(io: &mut Io<'_>, message: &str) -> color_eyre::Result<i32> {
    writeln!(io.err, "undelete restore: {message}")?;
    Ok(EXIT_USAGE)
}

fn matches_unfinished(u: &Unfinished, target: &str) -> bool {
    let t = target.trim();
    u.id.eq_ignore_ascii_case(t) || u.upn.eq_ignore_ascii_case(t)
}

pub async fn restore(
    ctx: &Context,
    args: &RestoreArgs,
    io: &mut Io<'_>,
) -> color_eyre::Result<i32> {
    if let Some(why) = refused_flags(ctx, args) {
        return usage(io, why);
    }
    let dir = ctx.directory();
    let password = match super::password::choose(dir.as_ref(), args.tap, args.password, io).await? {
        Ok(p) => p,
        Err(why) => return usage(io, &why),
    };
    let tenant = load_tenant(dir.as_ref(), io).await?;
    // The choices that do not depend on who is restored are checked before anything is read.
    let mut request = PlanRequest::new(Vec::new());
    request.password = password.clone();
    request.recipients = args.email_to.clone().unwrap_or_default();
    request.force_change = !args.no_require_change;
    request.include_password = !args.no_password_in_email;
    if let Some(p) = restore::validate(&request, &tenant).first() {
        return usage(io, &cli_words(p));
    }
    let mail_to = crate::address::parse_recipients(&request.recipients).unwrap_or_default();
    let typed_password = matches!(password, PasswordChoice::Given(_));
    // Held to the end: targets the journal holds unfinished are finished below, and they must
    // not be another live run's.
    let _lock = match lock(ctx, io, args).await? {
        Ok(lock) => lock,
        Err(code) => return Ok(code),
    };
    let journal = ctx.session.journal()?;
    let audit = ctx.session.audit()?;
    let options = SignInMail {
        include_password: !args.no_password_in_email,
        force_change: !args.no_require_change,
        sign_in_url: ctx.session.sign_in_url().to_string(),
        sender: ctx.session.mail_sender.clone(),
    };

    // Targets an interrupted run left behind are finished, not restored again.
    let pending = journal.pending().unwrap_or_default();
    let (to_finish, mut targets) = split_unfinished(&pending, &args.targets);
    let finishing: Vec<&str> = to_finish.iter().map(|u| u.id.as_str()).collect();
    super::note_unfinished(ctx, io, &finishing, !args.dry_run)?;
    let mut report = Report::default();
    let mut results: Vec<ToDeliver> = Vec::new();
    if args.dry_run {
        would_finish(&pending, &to_finish, args.resend, &mut report);
    } else if !to_finish.is_empty() {
        let books = Books {
            journal: &journal,
            audit: &audit,
        };
        let finished = finish_named(dir.as_ref(), io, &to_finish, &mail_to, args, &books).await?;
        for o in finished {
            if let Some(line) = mail_uncertain_line(&o.outcome) {
                report.fail(line);
            } else if o
                .outcome
                .failure
                .as_ref()
                .is_some_and(|f| f.stage == Stage::Restore)
            {
                // The earlier run never restored it: restore it now like any other target.
                targets.push(o.outcome.id.clone());
            } else {
                results.push(o);
            }
        }
    }

    // Resolve and pre-flight the rest, then let the plan's rules decide per user.
    let requests = preflighted(dir.as_ref(), &targets, args, &mut report).await?;
    let (targets_of, users): (Vec<String>, Vec<UserRequest>) = requests.into_iter().unzip();
    request.users = users;
    let problems = restore::validate(&request, &tenant);
    if let Some(p) = problems.iter().find(|p| p.field.user().is_none()) {
        // The typed password holds a user's name, say: nobody is restored with it.
        return usage(io, &cli_words(p));
    }
    for w in restore::warnings(&request) {
        writeln!(io.err, "warning: {w}")?;
    }
    let skip = refuse_users(&request, &problems, &targets_of, args.dry_run, &mut report);
    let took = if args.dry_run || !args.bring_back.is_empty() {
        what_offboarding_took(dir.as_ref(), &request, &skip).await
    } else {
        HashMap::new()
    };
    if args.dry_run {
        ready_lines(&request, &skip, args, &took, &mut report);
        return report.print(io);
    }
    // What each user gets back; why not, for a user whose audit log could not be read.
    let mut unread: HashMap<String, String> = HashMap::new();
    for (i, found) in &took {
        let u = &mut request.users[*i];
        match found {
            Ok(f) => {
                u.bring_back = f
                    .chosen(&args.bring_back)
                    .into_iter()
                    .map(|o| o.item)
                    .collect()
            }
            Err(e) => {
                unread.insert(u.user.id.clone(), e.to_string());
            }
        }
    }
    if request.users.len() > skip.len() {
        let plan = restore::into_plan(request, &skip).map_err(|e| color_eyre::eyre::eyre!(e))?;
        for outcome in run_counting(Arc::clone(&dir), plan, &journal, &audit, io).await? {
            results.push(ToDeliver {
                unread: unread.remove(&outcome.id),
                outcome,
                to: mail_to.clone(),
                include_password: !args.no_password_in_email,
                status: "restored",
            });
        }
    }
    let books = Books {
        journal: &journal,
        audit: &audit,
    };
    deliver(ctx, io, results, &options, typed_password, books, report).await
}

/// Flags that cannot go together, or a change asked for in read-only mode.
fn refused_flags(ctx: &Context, args: &RestoreArgs) -> Option<&'static str> {
    if ctx.session.settings.read_only && !args.dry_run {
        Some("read-only mode: nothing may be changed (drop --read-only or use --dry-run)")
    } else if args.new_upn.is_some() && args.targets.len() > 1 {
        Some("--new-upn works with a single user only")
    } else if args.tap_terms_without_tap {
        Some("--tap-lifetime and --tap-once describe a pass: add --hand-off tap")
    } else {
        None
    }
}

/// The data dir's lock, `None` for a dry run (it changes nothing); `Err(exit code)` when
/// another run holds it.
async fn lock(
    ctx: &Context,
    io: &mut Io<'_>,
    args: &RestoreArgs,
) -> color_eyre::Result<Result<Option<Held>, i32>> {
    if args.dry_run {
        return Ok(Ok(None));
    }
    Ok(match super::lock_data_dir(ctx, io, "restore").await? {
        Ok(lock) => {
            // A second run says how many ("it is restoring 6 users"), as the TUI's do.
            ctx.session
                .lock_slot()
                .set_doing(restore::Doing::Restoring, Some(args.targets.len()));
            Ok(Some(lock))
        }
        Err(code) => Err(code),
    })
}

/// The targets the journal holds unfinished (each once), and the rest.
fn split_unfinished(pending: &[Pending], targets: &[String]) -> (Vec<Unfinished>, Vec<String>) {
    let mut to_finish: Vec<Unfinished> = Vec::new();
    let mut rest: Vec<String> = Vec::new();
    for t in targets {
        match pending
            .iter()
            .find(|p| matches_unfinished(&p.unfinished, t))
        {
            Some(p) if !to_finish.iter().any(|f| f.id == p.unfinished.id) => {
                to_finish.push(p.unfinished.clone());
            }
            Some(_) => {}
            None => rest.push(t.clone()),
        }
    }
    (to_finish, rest)
}

/// `--dry-run`: what finishing the unfinished targets would do.
fn would_finish(pending: &[Pending], to_finish: &[Unfinished], resend: bool, report: &mut Report) {
    for u in to_finish {
        let mail = pending
            .iter()
            .find(|p| p.unfinished.id == u.id)
            .and_then(|p| p.mail_sending.as_ref());
        let status = match (mail, resend) {
            (Some(_), false) => "mail_uncertain",
            _ => "would_finish",
        };
        let mut v = json!({
            "id": u.id, "userPrincipalName": u.upn, "status": status,
            "passwordSet": u.password_set, "mailDone": u.mail_done,
        });
        if let Some(m) = mail {
            v["mailSendingAt"] = json!(m.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
        report.lines.push(v);
    }
}

/// Finishes the unfinished targets; each comes back with who hears of it.
async fn finish_named(
    dir: &dyn Directory,
    io: &mut Io<'_>,
    to_finish: &[Unfinished],
    mail_to: &[String],
    args: &RestoreArgs,
    books: &Books<'_>,
) -> color_eyre::Result<Vec<ToDeliver>> {
    // Who hears of them: the one finishing rule, with this command's `--email-to`. No
    // fallback to the admin: a restore that recorded nobody chose to print the password,
    // and a script has no screen on which to offer another choice.
    let choice = MailChoice {
        email_to: (!mail_to.is_empty()).then(|| mail_to.to_vec()),
        no_password: args.no_password_in_email,
        fallback: None,
    };
    let groups = restore::mail_groups(to_finish.iter().map(Recorded::from), &choice);
    // Finishing always generates: the typed password was meant for the new restores.
    let (finished, warnings) = restore::finish_unfinished(
        dir,
        to_finish,
        &PasswordChoice::Auto,
        args.resend,
        books.journal,
        books.audit,
    )
    .await;
    for w in warnings {
        writeln!(io.err, "warning: {w}")?;
    }
    Ok(finished
        .into_iter()
        .map(|o| ToDeliver::finished(o, &groups))
        .collect())
}

/// The targets found and pre-flighted, each with the text that named it; a target that is
/// not found, or whose pre-flight failed, gets its failed line instead.
async fn preflighted(
    dir: &dyn Directory,
    targets: &[String],
    args: &RestoreArgs,
    report: &mut Report,
) -> color_eyre::Result<Vec<(String, UserRequest)>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let mut users: Vec<(String, DeletedUser)> = Vec::new();
    for (target, found) in resolve::resolve(dir, targets).await? {
        match found {
            // Named twice (by id and by name, say): restore it once.
            Ok(u) if users.iter().any(|(_, seen)| seen.id == u.id) => {}
            Ok(u) => users.push((target, u)),
            Err(why) => report.fail(failed_line(&target, None, Stage::Preflight, &why)),
        }
    }
    // Pre-flight checks the chosen new name too; whether it may be used is the plan's rule,
    // like every other.
    let asked: Vec<UserRequest> = users
        .iter()
        .map(|(_, user)| UserRequest {
            user: user.clone(),
            new_upn: args.new_upn.clone(),
            reconcile_proxies: args.reconcile_proxies,
            preflight: None,
            bring_back: Vec::new(),
        })
        .collect();
    let checks = restore::preflight_requests(dir, &asked).await;
    let mut requests = Vec::new();
    for (((target, _), mut request), check) in users.into_iter().zip(asked).zip(checks) {
        match check {
            Ok(pf) => {
                request.preflight = Some(pf);
                requests.push((target, request));
            }
            Err(e) => report.fail(failed_line(
                &target,
                Some(&request.user),
                Stage::Preflight,
                &e.to_string(),
            )),
        }
    }
    Ok(requests)
}

/// A failed line (`"conflict"` in a dry run) for each user a plan rule refuses; their
/// indexes, to be left out of the plan.
fn refuse_users(
    request: &PlanRequest,
    problems: &[Problem],
    targets_of: &[String],
    dry_run: bool,
    report: &mut Report,
) -> HashSet<usize> {
    let mut skip = HashSet::new();
    for p in problems {
        let Some(i) = p.field.user() else { continue };
        if !skip.insert(i) {
            continue;
        }
        let u = &request.users[i];
        let mut v = failed_line(
            &targets_of[i],
            Some(&u.user),
            Stage::Preflight,
            &cli_words(p),
        );
        if let Some(pf) = &u.preflight {
            if let Some(s) = &pf.suggested_upn {
                v["suggestedUpn"] = json!(s);
            }
            v["conflicts"] = json!(pf.describe());
            v["holders"] = holders_json(pf);
        }
        if dry_run {
            v["status"] = json!("conflict");
        }
        report.fail(v);
    }
    skip
}

/// What offboarding took from each user the plan would restore (by its place in the
/// request), or why that could not be read.
async fn what_offboarding_took(
    dir: &dyn Directory,
    request: &PlanRequest,
    skip: &HashSet<usize>,
) -> HashMap<usize, DirResult<offboarding::read::Found>> {
    let (places, users): (Vec<usize>, Vec<offboarding::read::Deleted>) = request
        .users
        .iter()
        .enumerate()
        .filter(|(i, _)| !skip.contains(i))
        .map(|(i, u)| {
            let d = offboarding::read::Deleted {
                id: u.user.id.clone(),
                deleted_at: u.user.deleted_at,
            };
            (i, d)
        })
        .unzip();
    let found = offboarding::read::read(dir, &users, chrono::Utc::now()).await;
    places.into_iter().zip(found).collect()
}

/// `--dry-run`: a `"ready"` line for each user the plan would restore.
fn ready_lines(
    request: &PlanRequest,
    skip: &HashSet<usize>,
    args: &RestoreArgs,
    took: &HashMap<usize, DirResult<offboarding::read::Found>>,
    report: &mut Report,
) {
    for (i, u) in request.users.iter().enumerate() {
        if skip.contains(&i) {
            continue;
        }
        let pf = u.preflight.clone().unwrap_or_default();
        let mut v = json!({
            "id": u.user.id,
            "displayName": u.user.display_name,
            "userPrincipalName": args.new_upn.as_deref().unwrap_or(&u.user.original_upn),
            "status": "ready",
            "conflicts": pf.describe(),
            "holders": holders_json(&pf),
            "synced": pf.synced,
        });
        if let Some(s) = &pf.suggested_upn {
            v["suggestedUpn"] = json!(s);
        }
        match took.get(&i) {
            Some(Ok(f)) => {
                v["offboarding"] = f.to_json();
                if !args.bring_back.is_empty() {
                    let items: Vec<Value> = f
                        .chosen(&args.bring_back)
                        .iter()
                        .map(|o| o.item.to_json())
                        .collect();
                    v["wouldBringBack"] = json!(items);
                }
            }
            Some(Err(e)) => v["offboarding"] = json!({ "error": e.to_string() }),
            None => {}
        }
        report.lines.push(v);
    }
}

/// Runs the plan; on a terminal, one line on stderr counts up as users are restored, and
/// each failure gets a line of its own above it.
async fn run_counting(
    dir: Arc<dyn Directory>,
    plan: RestorePlan,
    journal: &Journal,
    audit: &Audit,
    io: &mut Io<'_>,
) -> color_eyre::Result<Vec<UserOutcome>> {
    let total = plan.users.len();
    let mut run = restore::start(dir, plan, journal.clone(), audit.clone());
    let (mut restored, mut passwords, mut failures) = (0usize, 0usize, 0usize);
    let mut outcomes = Vec::new();
    while let Some(p) = run.progress.recv().await {
        let counted = match p {
            Progress::Finished(done) => {
                outcomes = done;
                break;
            }
            Progress::Warning(w) => {
                let clear = if io.term.stderr { "\r\x1b[K" } else { "" };
                writeln!(io.err, "{clear}warning: {w}")?;
                false
            }
            Progress::Restored { .. } => {
                restored += 1;
                true
            }
            Progress::PasswordSet { .. } | Progress::TapIssued { .. } => {
                passwords += 1;
                true
            }
            Progress::Failed { id, stage, error } => {
                failures += 1;
                if io.term.stderr {
                    writeln!(io.err, "\r\x1b[K  failed {id} ({stage:?}): {error}")?;
                }
                true
            }
            _ => false,
        };
        if counted && io.term.stderr {
            write!(
                io.err,
                "\r\x1b[K  {}: {restored} restored, {} set, {failures} failed",
                crate::text::count(total, "user", "users"),
                crate::text::count(passwords, "password", "passwords"),
            )?;
            io.err.flush()?;
        }
    }
    if io.term.stderr {
        writeln!(io.err)?;
    }
    Ok(outcomes)
}
