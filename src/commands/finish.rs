//! `undelete finish`: every restore the journal holds unfinished (restored, but the password
//! or the mail never done) is finished: a new password set and the sign-in info sent, as the
//! finishing rule (`restore::mail_groups`) says. One JSON line per user, exit 0 when all are
//! finished. `--mark-sent` instead closes users whose sign-in mail may have gone out, once the
//! admin found it in the inbox.

use serde_json::json;

use super::args::FinishArgs;
use super::deliver::{Books, Report, ToDeliver, deliver};
use super::lines::{mail_maybe_advice, mail_uncertain_line};
use super::password::read_password;
use super::{Context, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Io};
use crate::mail::SignInMail;
use crate::restore::{self, Journal, MailChoice, PasswordChoice, Recorded, UserOutcome};

pub async fn finish(ctx: &Context, args: &FinishArgs, io: &mut Io<'_>) -> color_eyre::Result<i32> {
    if ctx.session.settings.read_only {
        writeln!(
            io.err,
            "undelete finish: read-only mode: nothing may be changed"
        )?;
        return Ok(EXIT_USAGE);
    }
    if !args.mark_sent.is_empty() {
        return mark_sent(ctx, args, io).await;
    }
    let (email_to, password) = match choices(args, io)? {
        Ok(chosen) => chosen,
        Err(why) => {
            writeln!(io.err, "undelete finish: {why}")?;
            return Ok(EXIT_USAGE);
        }
    };
    // Held to the end: the journal's unfinished users must not be another live run's. What
    // an earlier version left (no directory) is said apart, and taken only with
    // --adopt-earlier.
    if !args.adopt_earlier {
        super::note_earlier(ctx, io)?;
    }
    let _lock = match super::lock_data_dir(ctx, io, "finish").await? {
        Ok(lock) => lock,
        Err(code) => return Ok(code),
    };
    let journal = ctx.session.journal()?;
    let audit = ctx.session.audit()?;
    if args.adopt_earlier && !adopt_earlier(ctx, io, &journal)? {
        return Ok(EXIT_FAILED);
    }
    let items = journal.unfinished()?;
    if items.is_empty() {
        writeln!(
            io.err,
            "nothing to finish: every restore in this directory's journal is done"
        )?;
        return Ok(EXIT_OK);
    }
    let typed_password = matches!(password, PasswordChoice::Given(_));
    let (outcomes, warnings) = restore::finish_unfinished(
        ctx.directory().as_ref(),
        &items,
        &password,
        args.resend,
        &journal,
        &audit,
    )
    .await;
    for w in warnings {
        writeln!(io.err, "warning: {w}")?;
    }
    // No fallback to the admin: a restore that recorded nobody chose to print the password.
    let choice = MailChoice {
        email_to,
        no_password: args.no_password_in_email,
        fallback: None,
    };
    let groups = restore::mail_groups(items.iter().map(Recorded::from), &choice);
    let mut results = Vec::with_capacity(outcomes.len());
    let mut report = Report::default();
    let mut never = 0;
    for o in outcomes {
        if let Some(line) = mail_uncertain_line(&o) {
            report.fail(line);
        } else if o.failure.is_some() && !o.restored() {
            // Never restored (still, or no longer, in the deleted users): nothing to finish.
            never += 1;
            report.fail(not_restored_line(&o));
        } else {
            results.push(ToDeliver::finished(o, &groups));
        }
    }
    let options = SignInMail {
        include_password: false,
        force_change: false,
        sign_in_url: ctx.session.sign_in_url().to_string(),
        sender: ctx.session.mail_sender.clone(),
    };
    let books = Books {
        journal: &journal,
        audit: &audit,
    };
    let code = deliver(ctx, io, results, &options, typed_password, books, report).await?;
    if code == EXIT_OK {
        return Ok(code);
    }
    say_what_is_left(ctx, io, never, &journal)?;
    Ok(EXIT_FAILED)
}

/// What `--email-to` and `--password` chose: the recipients (none given: each user's own)
/// and the password's source.
type Choices = (Option<Vec<String>>, PasswordChoice);

/// `--email-to` and `--password`; `Err` is a usage error in words.
fn choices(args: &FinishArgs, io: &mut Io<'_>) -> color_eyre::Result<Result<Choices, String>> {
    let email_to = match &args.email_to {
        Some(raw) => match crate::address::parse_recipients(raw) {
            Ok(to) => Some(to),
            Err(e) => return Ok(Err(format!("--email-to: {e}"))),
        },
        None => None,
    };
    Ok(read_password(args.password, io)?.map(|password| (email_to, password)))
}

/// `--adopt-earlier`: the earlier version's unfinished restores taken into this directory's
/// journal, and said. `false` when they could not be (nothing was changed).
fn adopt_earlier(ctx: &Context, io: &mut Io<'_>, journal: &Journal) -> color_eyre::Result<bool> {
    match restore::earlier::adopt_earlier(&ctx.session.data_dir, journal) {
        Ok(adopted) if adopted.users.is_empty() => writeln!(
            io.err,
            "nothing to adopt: the earlier version's journal holds no unfinished restore"
        )?,
        Ok(adopted) => writeln!(
            io.err,
            "adopted {} from the earlier version's journal into {}'s ({}); it is kept as {}",
            crate::text::count(
                adopted.users.len(),
                "unfinished restore",
                "unfinished restores"
            ),
            ctx.session.directory_id.describe(),
            adopted.users.join(", "),
            adopted
                .renamed_to
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )?,
        Err(e) => {
            writeln!(
                io.err,
                "undelete finish: cannot adopt the earlier version's restores: {e}; nothing \
                 was changed"
            )?;
            return Ok(false);
        }
    }
    Ok(true)
}

/// The line of a user the run that planned it never restored.
fn not_restored_line(o: &UserOutcome) -> serde_json::Value {
    json!({
        "id": o.id,
        "displayName": o.display_name,
        "userPrincipalName": o.original_upn,
        "status": "not_restored",
        "restored": false,
        "error": o.failure.as_ref().map(|f| f.error.message.clone()),
    })
}

/// After a finish that left something: the users never restored, and what is left as the
/// journal now has it, each part with the command that finishes it.
fn say_what_is_left(
    ctx: &Context,
    io: &mut Io<'_>,
    never: usize,
    journal: &Journal,
) -> std::io::Result<()> {
    // Closed, so not among what is left below; without this line the exit 1 said nothing.
    if never > 0 {
        writeln!(
            io.err,
            "{} {} never restored by the run that planned {} (still in the deleted users, or \
             gone): nothing was left to finish; `{}` restores {} if still wanted",
            crate::text::count(never, "user", "users"),
            crate::text::plural(never, "was", "were"),
            crate::text::plural(never, "it", "them"),
            ctx.session.settings.command_line("restore ID_OR_UPN..."),
            crate::text::plural(never, "it", "them"),
        )?;
    }
    let pending = journal.pending().unwrap_or_default();
    let maybe = pending.iter().filter(|p| p.mail_sending.is_some()).count();
    let open = pending.len() - maybe;
    if maybe > 0 {
        writeln!(
            io.err,
            "the sign-in mail of {} may have gone out, so their passwords were left as they are: \
             {}",
            crate::text::count(maybe, "user", "users"),
            mail_maybe_advice(
                &super::finish_hint(ctx, "--mark-sent ID"),
                &super::finish_hint(ctx, "--resend"),
            )
        )?;
    }
    if open > 0 {
        writeln!(
            io.err,
            "{} {} still unfinished; `{}` tries {} again",
            crate::text::count(open, "restore", "restores"),
            crate::text::plural(open, "is", "are"),
            super::finish_hint(ctx, ""),
            crate::text::plural(open, "it", "them")
        )?;
    }
    Ok(())
}

/// `--mark-sent`: the named users' sign-in mail arrived, so they are closed with the password
/// it carried. Refused in words, with nothing marked, when any of them has no mail that may
/// have gone out.
async fn mark_sent(ctx: &Context, args: &FinishArgs, io: &mut Io<'_>) -> color_eyre::Result<i32> {
    let _lock = match super::lock_data_dir(ctx, io, "finish").await? {
        Ok(lock) => lock,
        Err(code) => return Ok(code),
    };
    let journal = ctx.session.journal()?;
    let audit = ctx.session.audit()?;
    match restore::confirm_mail_arrived(&args.mark_sent, &journal, &audit) {
        Err(refused) => {
            for why in &refused {
                writeln!(io.err, "undelete finish --mark-sent: {why}")?;
            }
            writeln!(io.err, "nothing was marked")?;
            Ok(EXIT_FAILED)
        }
        Ok((confirmed, warnings)) => {
            // A journal or audit write that failed (said here): the books may not say it.
            let code = if warnings.is_empty() {
                EXIT_OK
            } else {
                EXIT_FAILED
            };
            for w in warnings {
                writeln!(io.err, "warning: {w}")?;
            }
            for c in &confirmed {
                let line = json!({
                    "id": c.id,
                    "displayName": c.display_name,
                    "userPrincipalName": c.upn,
                    "status": "mail_confirmed",
                    "restored": true,
                    "passwordSet": true,
                    "mailSent": true,
                    "mailSentAt": c.mail.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "mailTo": c.mail.to,
                });
                undelete_common::safe_json::write_line(io.out, &line)?;
            }
            io.out.flush()?;
            Ok(code)
        }
    }
}
