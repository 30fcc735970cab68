//! The sign-in info email, and recording that it will not be sent.

use zeroize::Zeroize;

use super::Audit;
use super::journal::{self, Journal, Step};
use super::run::UserOutcome;
use crate::directory::{DirResult, Directory, DirectoryError};
use crate::mail::{self, MailAccount, SignInMail};

/// Sends one email to `to` listing every complete outcome (restored, password set), then
/// journals and audits it. On failure nothing is recorded as sent, so the caller can retry.
/// Returns how many users the email covered, and any journal or audit write that failed after
/// the send (the mail went; the books may not say so).
///
/// At most once, and known: `MailSending` is journaled for each user before the send and
/// `MailSent` after, so a run that dies in between leaves users whose password may already be
/// in an inbox; a finishing run then does not replace it unless asked (`finish_unfinished`).
/// When `MailSending` cannot be journaled the mail is not sent: a crash could not be told
/// from a sent mail afterwards, and the caller still holds the passwords to hand over.
pub async fn send_sign_in_mail(
    dir: &dyn Directory,
    outcomes: &[UserOutcome],
    to: &[String],
    options: &SignInMail,
    journal: &Journal,
    audit: &Audit,
) -> DirResult<Delivered> {
    if to.is_empty() {
        return Err(DirectoryError::invalid("no recipient for the sign-in info"));
    }
    let ready: Vec<&UserOutcome> = outcomes.iter().filter(|o| o.complete()).collect();
    if ready.is_empty() {
        return Err(DirectoryError::invalid(
            "no restored user with a password set: nothing to send",
        ));
    }
    let accounts: Vec<MailAccount<'_>> = ready
        .iter()
        .map(|o| MailAccount {
            display_name: &o.display_name,
            upn: o.upn.as_deref().unwrap_or(&o.original_upn),
            password: o.password.as_ref(),
            previous_upn: o.renamed().map(|(old, _)| old),
            mail: o.planned.as_ref().and_then(|p| p.user.mail.as_deref()),
            synced: o.synced,
            guest: o.guest,
            tap: o.tap,
            disabled: o.account_disabled,
        })
        .collect();
    let recipients = to.join(", ");
    // Only the run that holds the directory mails: another may be finishing these users.
    journal
        .ensure_held()
        .map_err(|why| DirectoryError::invalid(format!("the sign-in info was not sent: {why}")))?;
    for o in &ready {
        let mut e = journal::Entry::new(&o.run, &o.id, Step::MailSending);
        e.mail_to = to.to_vec();
        e.include_password = options.include_password;
        journal.record(&e).map_err(|e| {
            DirectoryError::invalid(format!(
                "the sign-in info was not sent: {e}, and a mail that is not journaled first \
                 could be sent twice after a crash"
            ))
        })?;
    }
    let mut message = mail::sign_in_message(&accounts, to, options);
    let result = dir.send_mail(&message).await;
    // The body may hold passwords: do not leave it in freed memory.
    message.body.zeroize();
    if result.is_ok() {
        super::run::crash_hook("mail");
    }
    match &result {
        Ok(()) => tracing::info!(
            users = ready.len(),
            recipients = to.len(),
            password_included = options.include_password,
            "sign-in mail sent"
        ),
        Err(e) => tracing::warn!(users = ready.len(), error = %e.message, "sign-in mail failed"),
    }
    let detail = Some(format!(
        "sign-in info for {}, password {}",
        crate::text::count(ready.len(), "user", "users"),
        if options.include_password {
            "included"
        } else {
            "left out"
        }
    ));
    let mut warnings: Vec<String> = Vec::new();
    if let Err(e) = audit.record(
        "send_mail",
        &recipients,
        result.as_ref().map(|_| ()),
        detail,
    ) {
        warnings.push(e.to_string());
    }
    if let Err(error) = &result {
        // A refusal clears the mail window; an error after which it may have gone out keeps it
        // open (`uncertain`), so a later run asks before replacing the password. A failed
        // journal write here is logged by the journal; the send error is what the admin needs.
        for o in &ready {
            let entry = journal::Entry::failed(&o.run, &o.id, crate::directory::Stage::Mail, error);
            if let Err(e) = journal.record(&entry) {
                warnings.push(e.to_string());
            }
        }
        if let Some(first) = warnings.first() {
            let mut error = error.clone();
            error.message = format!("{}; also, {first}", error.message);
            return Err(error);
        }
    }
    result?;
    for o in &ready {
        let entry =
            journal::Entry::new(&o.run, &o.id, Step::MailSent).detail(format!("to {recipients}"));
        if let Err(e) = journal.record(&entry) {
            warnings.push(e.to_string());
        }
    }
    Ok(Delivered {
        users: ready.len(),
        warnings,
    })
}

/// A sign-in mail that went out.
#[derive(Debug)]
pub struct Delivered {
    /// How many users it covered.
    pub users: usize,
    /// Journal or audit writes that failed around it, worded for the admin.
    pub warnings: Vec<String>,
}

/// Records that the sign-in info for these outcomes will not be emailed (the admin closed
/// without it, or the password was handed over another way), so they are not "unfinished".
/// Returns the journal writes that failed (those users stay listed as unfinished).
#[must_use]
pub fn record_mail_skipped(
    outcomes: &[UserOutcome],
    journal: &Journal,
    reason: &str,
) -> Vec<String> {
    outcomes
        .iter()
        .filter(|o| o.complete())
        .filter_map(|o| {
            journal
                .record(&journal::Entry::new(&o.run, &o.id, Step::MailSkipped).detail(reason))
                .err()
                .map(|e| e.to_string())
        })
        .collect()
}
