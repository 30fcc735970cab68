//! `undelete finish`: every restore the journal holds unfinished (restored, but the password
//! or the mail never done) is finished: a new password set and the sign-in info sent. One JSON
//! line per user, exit 0 when all are finished.

use serde_json::json;

use super::args::FinishArgs;
use super::restore::{FINISH_COMMAND, deliver, mail_uncertain_line, read_password};
use super::{Context, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Io};
use crate::mail::SignInMail;
use crate::restore::{self, PasswordChoice};

pub async fn finish(ctx: &Context, args: &FinishArgs, io: &mut Io<'_>) -> color_eyre::Result<i32> {
    if ctx.session.settings.read_only {
        writeln!(
            io.err,
            "undelete finish: read-only mode: nothing may be changed"
        )?;
        return Ok(EXIT_USAGE);
    }
    let override_to = match &args.email_to {
        Some(raw) => match restore::parse_recipients(raw) {
            Ok(to) => Some(to),
            Err(e) => {
                writeln!(io.err, "undelete finish: --email-to: {e}")?;
                return Ok(EXIT_USAGE);
            }
        },
        None => None,
    };
    let password = match read_password(args.password, io)? {
        Ok(p) => p,
        Err(why) => {
            writeln!(io.err, "undelete finish: {why}")?;
            return Ok(EXIT_USAGE);
        }
    };
    // Held to the end: the journal's unfinished users must not be another live run's.
    let _lock = match super::lock_data_dir(ctx, io, "finish").await? {
        Ok(lock) => lock,
        Err(code) => return Ok(code),
    };
    let journal = ctx.session.journal()?;
    let audit = ctx.session.audit()?;
    let items = journal.unfinished()?;
    if items.is_empty() {
        writeln!(
            io.err,
            "nothing to finish: every restore in the journal is done"
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
    let mut results = Vec::with_capacity(outcomes.len());
    let mut lines = Vec::new();
    let mut failed = false;
    let mut uncertain = 0usize;
    for o in outcomes {
        let item = items.iter().find(|u| u.id == o.id);
        if let Some(line) = mail_uncertain_line(&o) {
            failed = true;
            uncertain += 1;
            lines.push(line);
            continue;
        }
        if o.failure.is_some() && !o.restored() {
            // Never restored (still, or no longer, in the deleted users): nothing to finish.
            failed = true;
            lines.push(json!({
                "id": o.id,
                "displayName": o.display_name,
                "userPrincipalName": o.original_upn,
                "status": "not_restored",
                "restored": false,
                "error": o.failure.as_ref().map(|f| f.error.message.clone()),
            }));
            continue;
        }
        let to = override_to
            .clone()
            .or_else(|| item.map(|u| u.mail_to.clone()))
            .unwrap_or_default();
        results.push((o, to, "finished"));
    }
    let include_password = !args.no_password_in_email
        && items
            .iter()
            .all(|u| u.include_password || u.mail_to.is_empty());
    let options = SignInMail {
        include_password,
        force_change: items.iter().any(|u| u.force_change),
        sign_in_url: ctx.session.sign_in_url().to_string(),
        sender: ctx.session.mail_sender.clone(),
    };
    let code = deliver(
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
    .await?;
    if code != EXIT_OK {
        if uncertain > 0 {
            writeln!(
                io.err,
                "the sign-in mail of {uncertain} user(s) may have gone out already, so their                  passwords were left as they are: check the recipient's inbox;                  `{FINISH_COMMAND} --resend` sets new passwords and mails them again"
            )?;
        }
        writeln!(
            io.err,
            "some restores are still unfinished; `{FINISH_COMMAND}` tries them again"
        )?;
        return Ok(EXIT_FAILED);
    }
    Ok(code)
}
