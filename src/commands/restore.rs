//! `undelete restore`: one JSON line per user on stdout, exit 1 if any failed.
//!
//! A target that an earlier, interrupted run left unfinished (see `restore::Journal`) is
//! finished instead: a new password is set and the sign-in info sent. Generated passwords are
//! printed only when no email carries them; a password the admin typed is never echoed.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::args::{PasswordSource, RestoreArgs};
use super::{Context, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Io, resolve};
use crate::directory::{DeletedUser, Directory, Holder, Stage};
use crate::mail::SignInMail;
use crate::restore::{
    self, Audit, Field, Journal, Lifetime, MailChoice, MailGroup, PassProblem, PasswordChoice,
    PlanRequest, Progress, Recorded, Tenant, Unfinished, UserOutcome, UserRequest,
};

/// What a script runs to finish restores whose password or mail step failed.
pub const FINISH_COMMAND: &str = "undelete finish";

/// One user's result line.
fn outcome_line(o: &UserOutcome, status: &str, mail_sent: bool, show_password: bool) -> Value {
    let mut v = json!({
        "id": o.id,
        "displayName": o.display_name,
        "userPrincipalName": o.upn.as_deref().unwrap_or(&o.original_upn),
        "status": if o.failure.is_some() { "failed" } else { status },
        "restored": o.restored(),
        "passwordSet": o.password.is_some() && o.tap.is_none(),
        "mailSent": mail_sent,
    });
    if let Some(tap) = &o.tap {
        v["handOff"] = json!("tap");
        v["tapIssued"] = json!(o.password.is_some());
        v["tapExpires"] = json!(
            tap.expires
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        v["tapUsableOnce"] = json!(tap.usable_once);
    }
    if let Some(f) = &o.failure {
        v["stage"] = json!(f.stage);
        v["error"] = json!(f.error.message);
        v["code"] = json!(f.error.code);
        v["requestId"] = json!(f.error.request_id);
        v["advice"] = json!(f.error.advice());
    }
    if o.needs_password() {
        v["next"] = json!(FINISH_COMMAND);
    }
    match (show_password, &o.password, &o.tap) {
        (true, Some(p), Some(_)) => v["temporaryAccessPass"] = json!(p.expose_secret()),
        (true, Some(p), None) => {
            v["password"] = json!(p.expose_secret());
            v["forceChange"] = json!(o.force_change);
        }
        _ => {}
    }
    v
}

/// What to do about a user whose sign-in mail may have gone out, in words a script shows:
/// `mark_sent` closes it, `resend` replaces its password (the JSON names the subcommands, a
/// line on stderr the whole command, see `super::finish_hint`).
pub(super) fn mail_maybe_advice(mark_sent: &str, resend: &str) -> String {
    format!(
        "check the recipient's inbox: the password in that mail is the one in force; if it \
         arrived, `{mark_sent}` closes the user, otherwise `{resend}` sets a new password and \
         mails it"
    )
}

/// `mail_maybe_advice` as the JSON lines give it.
fn mail_maybe_advice_json() -> String {
    mail_maybe_advice(
        &format!("{FINISH_COMMAND} --mark-sent ID"),
        &format!("{FINISH_COMMAND} --resend"),
    )
}

/// The command that closes a user whose mail may have gone out, once the admin saw it arrive.
fn mark_sent_command(id: &str) -> String {
    format!("{FINISH_COMMAND} --mark-sent {id}")
}

/// The line of a user left alone because its sign-in mail may have gone out, or `None` for
/// any other outcome: `"status": "mail_uncertain"`, when the mail was being sent, and the
/// commands that close it (the mail arrived) or replace the password anyway.
pub(super) fn mail_uncertain_line(o: &UserOutcome) -> Option<Value> {
    if !o.mail_maybe_sent() {
        return None;
    }
    let f = o.failure.as_ref()?;
    Some(json!({
        "id": o.id,
        "displayName": o.display_name,
        "userPrincipalName": o.upn.as_deref().unwrap_or(&o.original_upn),
        "status": "mail_uncertain",
        "restored": true,
        // Set by the run that mailed it, and left in force.
        "passwordSet": true,
        "mailSent": Value::Null,
        "mailSendingAt": f.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "error": f.error.message,
        "advice": mail_maybe_advice_json(),
        "next": mark_sent_command(&o.id),
    }))
}

/// What pre-flight found held by someone else, for scripts: which name or address, and the
/// holder's kind, name and id.
fn holders_json(pf: &restore::Preflight) -> Value {
    let entry = |field: &str, value: &str, h: &Holder| {
        json!({
            "field": field,
            "value": value,
            "kind": h.kind,
            "displayName": h.display_name,
            "id": h.id,
        })
    };
    let mut out = Vec::new();
    if let Some(h) = &pf.upn_holder {
        let upn = h.user_principal_name.as_deref().unwrap_or_default();
        out.push(entry("userPrincipalName", upn, h));
    }
    for (address, h) in &pf.proxy_holders {
        out.push(entry("proxyAddresses", address, h));
    }
    if let Some(restore::NameCheck {
        upn,
        holder: Some(h),
    }) = &pf.new_upn
    {
        out.push(entry("newUserPrincipalName", upn, h));
    }
    Value::Array(out)
}

fn failed_line(target: &str, user: Option<&DeletedUser>, stage: Stage, error: &str) -> Value {
    let mut v = json!({
        "target": target,
        "status": "failed",
        "stage": stage,
        "error": error,
        "restored": false,
    });
    if let Some(u) = user {
        v["id"] = json!(u.id);
        v["displayName"] = json!(u.display_name);
        v["userPrincipalName"] = json!(u.original_upn);
    }
    v
}

/// A plan problem in the words of the command line: the flag that fixes it named.
fn cli_words(p: &restore::Problem) -> String {
    let hint = match p.field {
        Field::NewUpn(_) => " (pass --new-upn)",
        Field::User(_) if p.message.contains("proxy") => " (pass --reconcile-proxies)",
        Field::Recipients => " (--email-to)",
        _ => "",
    };
    format!("{}{hint}", p.message)
}

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

/// The most `--password stdin` reads of its line, line break included.
const MAX_PASSWORD_LINE: usize = 1024;

/// Where the password comes from, as `--password` says; `Err` is a usage error in words.
pub(super) fn read_password(
    source: PasswordSource,
    io: &mut Io<'_>,
) -> color_eyre::Result<Result<PasswordChoice, String>> {
    Ok(match source {
        PasswordSource::Auto => Ok(PasswordChoice::Auto),
        PasswordSource::Stdin => {
            // Zeroed when dropped: the line holds the password. Room for the longest line
            // read, so the buffer never moves and leaves a copy behind; and a bounded read, so
            // `< /dev/zero` is refused instead of filling memory.
            let mut raw = zeroize::Zeroizing::new(Vec::with_capacity(MAX_PASSWORD_LINE + 1));
            std::io::BufRead::read_until(
                &mut std::io::Read::take(&mut *io.input, MAX_PASSWORD_LINE as u64 + 1),
                b'\n',
                &mut raw,
            )?;
            if raw.len() > MAX_PASSWORD_LINE {
                return Ok(Err(format!(
                    "--password stdin: the first line of standard input is longer than \
                     {MAX_PASSWORD_LINE} bytes (a password has at most 256 characters)"
                )));
            }
            match std::str::from_utf8(&raw) {
                Err(_) => Err(
                    "--password stdin: the first line of standard input is not UTF-8 \
                               text"
                        .to_string(),
                ),
                Ok(line) => {
                    let p = line.trim_end_matches(['\r', '\n']);
                    if p.is_empty() {
                        Err("--password stdin: the first line of standard input is empty".into())
                    } else {
                        Ok(PasswordChoice::Given(SecretString::from(p)))
                    }
                }
            }
        }
        PasswordSource::Prompt => {
            if !io.term.stdin {
                Err("--password prompt needs a terminal; use --password stdin in scripts".into())
            } else {
                match super::prompt_password()? {
                    Some(p) => Ok(PasswordChoice::Given(p)),
                    None => Err("the two passwords typed differ".into()),
                }
            }
        }
    })
}

/// `--hand-off tap`: the pass's terms, from the flags and the tenant's policy; `Err` says why
/// no pass can be issued here (the policy, our permissions, the cloud) or what is wrong.
async fn tap_choice(
    dir: &dyn Directory,
    tap: super::args::TapArgs,
) -> Result<PasswordChoice, String> {
    let availability = dir.tap_availability().await;
    let lifetime = tap
        .lifetime
        .map_or(Lifetime::PolicyDefault, Lifetime::Minutes);
    match restore::pass_terms(Some(&availability), lifetime, tap.once) {
        Ok(terms) => Ok(PasswordChoice::Tap(terms)),
        Err(PassProblem::Unavailable(why)) => Err(format!(
            "--hand-off tap: no Temporary Access Pass can be issued: {why}"
        )),
        Err(PassProblem::Lifetime(why)) => Err(format!("--tap-lifetime: {why}")),
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
    if ctx.session.settings.read_only && !args.dry_run {
        return usage(
            io,
            "read-only mode: nothing may be changed (drop --read-only or use --dry-run)",
        );
    }
    if args.new_upn.is_some() && args.targets.len() > 1 {
        return usage(io, "--new-upn works with a single user only");
    }
    if args.tap_terms_without_tap {
        return usage(
            io,
            "--tap-lifetime and --tap-once describe a pass: add --hand-off tap",
        );
    }
    let dir = ctx.directory();
    let password = match (args.tap, args.password) {
        (Some(tap), super::args::PasswordSource::Auto) => {
            match tap_choice(dir.as_ref(), tap).await {
                Ok(p) => p,
                Err(why) => return usage(io, &why),
            }
        }
        (Some(_), _) => {
            return usage(
                io,
                "--hand-off tap issues a pass instead of a password: drop --password",
            );
        }
        (None, source) => match read_password(source, io)? {
            Ok(p) => p,
            Err(why) => return usage(io, &why),
        },
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
    // not be another live run's. A dry run changes nothing and needs no lock.
    let _lock = if args.dry_run {
        None
    } else {
        match super::lock_data_dir(ctx, io, "restore").await? {
            Ok(lock) => {
                // A second run says how many ("it is restoring 6 users"), as the TUI's do.
                ctx.session
                    .lock_slot()
                    .set_doing(restore::Doing::Restoring, Some(args.targets.len()));
                Some(lock)
            }
            Err(code) => return Ok(code),
        }
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
    let unfinished: Vec<Unfinished> = pending.iter().map(|p| p.unfinished.clone()).collect();
    let mut to_finish: Vec<Unfinished> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    for t in &args.targets {
        match unfinished.iter().find(|u| matches_unfinished(u, t)) {
            Some(u) if !to_finish.iter().any(|f| f.id == u.id) => to_finish.push(u.clone()),
            Some(_) => {}
            None => targets.push(t.clone()),
        }
    }
    let finishing: Vec<&str> = to_finish.iter().map(|u| u.id.as_str()).collect();
    super::note_unfinished(ctx, io, &finishing, !args.dry_run)?;

    let mut lines: Vec<Value> = Vec::new();
    let mut failed = false;
    let mut results: Vec<ToDeliver> = Vec::new();

    if args.dry_run {
        for u in &to_finish {
            let mail = pending
                .iter()
                .find(|p| p.unfinished.id == u.id)
                .and_then(|p| p.mail_sending.as_ref());
            let status = match (mail, args.resend) {
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
            lines.push(v);
        }
    } else if !to_finish.is_empty() {
        // Who hears of them: the one finishing rule, with this command's `--email-to`. No
        // fallback to the admin: a restore that recorded nobody chose to print the password,
        // and a script has no screen on which to offer another choice.
        let choice = MailChoice {
            email_to: (!mail_to.is_empty()).then(|| mail_to.clone()),
            no_password: args.no_password_in_email,
            fallback: None,
        };
        let groups = restore::mail_groups(to_finish.iter().map(Recorded::from), &choice);
        // Finishing always generates: the typed password was meant for the new restores.
        let (finished, warnings) = restore::finish_unfinished(
            dir.as_ref(),
            &to_finish,
            &PasswordChoice::Auto,
            args.resend,
            &journal,
            &audit,
        )
        .await;
        for w in warnings {
            writeln!(io.err, "warning: {w}")?;
        }
        for o in finished {
            if let Some(line) = mail_uncertain_line(&o) {
                failed = true;
                lines.push(line);
                continue;
            }
            let never_restored = o
                .failure
                .as_ref()
                .is_some_and(|f| f.stage == Stage::Restore);
            if never_restored {
                // The earlier run never restored it: restore it now like any other target.
                targets.push(o.id.clone());
                continue;
            }
            results.push(ToDeliver::finished(o, &groups));
        }
    }

    // Resolve and pre-flight the rest, then let the plan's rules decide per user.
    let mut requests: Vec<(String, UserRequest)> = Vec::new();
    if !targets.is_empty() {
        let resolved = resolve::resolve(dir.as_ref(), &targets).await?;
        let mut users: Vec<(String, DeletedUser)> = Vec::new();
        for (target, found) in resolved {
            match found {
                // Named twice (by id and by name, say): restore it once.
                Ok(u) if users.iter().any(|(_, seen)| seen.id == u.id) => {}
                Ok(u) => users.push((target, u)),
                Err(why) => {
                    failed = true;
                    lines.push(failed_line(&target, None, Stage::Preflight, &why));
                }
            }
        }
        // Pre-flight checks the chosen new name too; whether it may be used is the plan's
        // rule, like every other.
        let asked: Vec<UserRequest> = users
            .iter()
            .map(|(_, user)| UserRequest {
                user: user.clone(),
                new_upn: args.new_upn.clone(),
                reconcile_proxies: args.reconcile_proxies,
                preflight: None,
            })
            .collect();
        let checks = restore::preflight_requests(dir.as_ref(), &asked).await;
        for (((target, _), mut request), check) in users.into_iter().zip(asked).zip(checks) {
            match check {
                Ok(pf) => {
                    request.preflight = Some(pf);
                    requests.push((target, request));
                }
                Err(e) => {
                    failed = true;
                    lines.push(failed_line(
                        &target,
                        Some(&request.user),
                        Stage::Preflight,
                        &e.to_string(),
                    ));
                }
            }
        }
    }
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
    let mut skip = std::collections::HashSet::new();
    for p in &problems {
        if let Some(i) = p.field.user()
            && skip.insert(i)
        {
            failed = true;
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
            if args.dry_run {
                v["status"] = json!("conflict");
            }
            lines.push(v);
        }
    }
    if args.dry_run {
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
            lines.push(v);
        }
    }
    let planned = request.users.len() - skip.len();

    if args.dry_run {
        for line in &lines {
            undelete_common::safe_json::write_line(io.out, line)?;
        }
        io.out.flush()?;
        return Ok(if failed { EXIT_FAILED } else { EXIT_OK });
    }

    if planned > 0 {
        let total = planned;
        let plan = restore::into_plan(request, &skip).map_err(|e| color_eyre::eyre::eyre!(e))?;
        let mut run = restore::start(Arc::clone(&dir), plan, journal.clone(), audit.clone());
        // One line that counts up on a terminal; failures get a line of their own above it.
        let (mut restored, mut passwords, mut failures) = (0usize, 0usize, 0usize);
        while let Some(p) = run.progress.recv().await {
            let counted = match p {
                Progress::Finished(outcomes) => {
                    for o in outcomes {
                        results.push(ToDeliver {
                            outcome: o,
                            to: mail_to.clone(),
                            include_password: !args.no_password_in_email,
                            status: "restored",
                        });
                    }
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
                    "\r\x1b[K  {total} user(s): {restored} restored, {passwords} passwords set, \
                     {failures} failed"
                )?;
                io.err.flush()?;
            }
        }
        if io.term.stderr {
            writeln!(io.err)?;
        }
    }

    deliver(
        ctx,
        io,
        results,
        &options,
        typed_password,
        &journal,
        &audit,
        lines,
        failed,
    )
    .await
}

/// One user's result on its way out: who gets its sign-in info, and with what.
pub(super) struct ToDeliver {
    pub outcome: UserOutcome,
    pub to: Vec<String>,
    pub include_password: bool,
    /// `"restored"` or `"finished"`.
    pub status: &'static str,
}

impl ToDeliver {
    /// A finished user, mailed as the finishing rule's `groups` say (nobody, when it is in
    /// none).
    pub(super) fn finished(outcome: UserOutcome, groups: &[MailGroup]) -> Self {
        let group = groups.iter().find(|g| g.ids.contains(&outcome.id));
        Self {
            to: group.map(|g| g.to.clone()).unwrap_or_default(),
            include_password: group.is_some_and(|g| g.include_password),
            status: "finished",
            outcome,
        }
    }
}

/// Sends the sign-in info (one email per set of recipients and password choice), records what
/// was not mailed, and prints one line per user. A password the admin typed is not echoed
/// back; a generated one (finishing always generates) is shown unless the email carried it.
#[allow(clippy::too_many_arguments)]
pub(super) async fn deliver(
    ctx: &Context,
    io: &mut Io<'_>,
    results: Vec<ToDeliver>,
    options: &SignInMail,
    typed_password: bool,
    journal: &Journal,
    audit: &Audit,
    mut lines: Vec<Value>,
    mut failed: bool,
) -> color_eyre::Result<i32> {
    let dir = ctx.directory();
    let generated = |status: &str| status == "finished" || !typed_password;

    // Send the sign-in info, one email per set of recipients and password choice.
    let mut mail_sent = vec![false; results.len()];
    // Why a user's mail failed: such a user stays unfinished (not "skipped"), so `undelete
    // finish` can still mail it, or, if it may have gone out, close it once it arrived.
    let mut mail_error: Vec<Option<crate::directory::DirectoryError>> = vec![None; results.len()];
    let mut groups: Vec<(Vec<String>, bool)> = Vec::new();
    for r in &results {
        let key = (r.to.clone(), r.include_password);
        if !r.to.is_empty() && !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (to, include_password) in &groups {
        let idx: Vec<usize> = (0..results.len())
            .filter(|&i| &results[i].to == to && results[i].include_password == *include_password)
            .collect();
        let group: Vec<UserOutcome> = idx.iter().map(|&i| results[i].outcome.clone()).collect();
        if !group.iter().any(|o| o.complete()) {
            continue;
        }
        let options = SignInMail {
            include_password: *include_password,
            force_change: group.iter().any(|o| o.complete() && o.force_change),
            ..options.clone()
        };
        match restore::send_sign_in_mail(dir.as_ref(), &group, to, &options, journal, audit).await {
            Ok(delivered) => {
                for warning in &delivered.warnings {
                    writeln!(io.err, "undelete: warning: {warning}")?;
                }
                for &i in &idx {
                    mail_sent[i] = results[i].outcome.complete();
                }
            }
            Err(e) => {
                failed = true;
                for &i in &idx {
                    mail_error[i] = Some(e.clone());
                }
                let (shown, typed) = idx.iter().fold((false, false), |(s, t), &i| {
                    let g = generated(results[i].status);
                    (s || g, t || !g)
                });
                let instead = match (shown, typed) {
                    (true, false) => "the passwords are printed instead",
                    (false, _) => "give the users the password you chose another way",
                    (true, true) => {
                        "the generated passwords are printed instead; give the users the one \
                         you chose another way"
                    }
                };
                let maybe = if e.may_have_happened() {
                    " (it may have gone out all the same: check the inbox before sending again)"
                } else {
                    ""
                };
                writeln!(
                    io.err,
                    "the sign-in info could not be sent to {}: {e}{maybe}; {instead}",
                    to.join(", ")
                )?;
            }
        }
    }
    // What came back with the restored users, read once the restores and mail are done.
    let outcomes: Vec<UserOutcome> = results.iter().map(|r| r.outcome.clone()).collect();
    let care = restore::aftercare::report(dir.as_ref(), &outcomes).await;
    for (i, r) in results.iter().enumerate() {
        let o = &r.outcome;
        let show_password = generated(r.status) && (!mail_sent[i] || !r.include_password);
        if o.complete() && !mail_sent[i] && mail_error[i].is_none() {
            for warning in restore::record_mail_skipped(
                std::slice::from_ref(o),
                journal,
                if show_password {
                    "no email: password printed on standard output"
                } else {
                    "no email: the admin chose the password"
                },
            ) {
                writeln!(io.err, "undelete: warning: {warning}")?;
            }
        }
        failed |= o.failure.is_some();
        let mut line = outcome_line(o, r.status, mail_sent[i], show_password);
        if let Some(e) = &mail_error[i] {
            line["mailError"] = json!(e.to_string());
            if e.may_have_happened() {
                // A plain `finish` leaves such a user alone: name what closes it.
                line["mailMayHaveBeenSent"] = json!(true);
                line["advice"] = json!(mail_maybe_advice_json());
                line["next"] = json!(mark_sent_command(&o.id));
            } else {
                line["next"] = json!(FINISH_COMMAND);
            }
        }
        if let Some(c) = care.iter().find(|c| c.id == o.id) {
            line["afterCare"] = c.to_json();
        }
        lines.push(line);
    }
    for line in &lines {
        undelete_common::safe_json::write_line(io.out, line)?;
    }
    io.out.flush()?;
    Ok(if failed { EXIT_FAILED } else { EXIT_OK })
}
