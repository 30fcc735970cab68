//! Finishing what an earlier run (or an earlier step of this one) left unfinished.

use std::collections::HashMap;

use super::Audit;
use super::journal::{self, Journal, MailAttempt, RestoreState, Step, Unfinished};
use super::plan::PasswordChoice;
use super::run::{Failure, LOST_REPLY_FOUND_RESTORED, PasswordStep, UserOutcome, set_password};
use crate::directory::{Directory, DirectoryError, ErrorKind, Stage};

/// `DirectoryError::code` of the outcome of a user whose sign-in mail may have gone out: its
/// password was left as it is (see `finish_unfinished`).
pub const MAIL_UNCERTAIN_CODE: &str = "MailMayHaveBeenSent";

/// Finishes what earlier runs left: for a user whose restore is unknown, asks the directory;
/// for each restored user, sets a new password (the old one is gone with the run: generated,
/// or the one given). The outcomes then go to `send_sign_in_mail` (to `Unfinished::mail_to` or
/// other recipients) or to `record_mail_skipped`, exactly as after a normal run.
///
/// A user whose sign-in mail may already have gone out (the journal's last mail step for it
/// is `MailSending`) keeps its password unless `resend` is set: a new one would make the mail
/// in the recipient's inbox wrong. Its outcome is restored, without a password, failed at
/// `Stage::Mail` with code `MAIL_UNCERTAIN_CODE` and "mail may have been sent at T; check the
/// recipient's inbox". The journal is read here, not taken from `items`, so a list read
/// before that mail went out cannot cause a reset.
///
/// The caller must hold the data dir's lock (`DataDirLock`): the journal's unfinished users
/// are otherwise possibly another live run's.
pub async fn finish_unfinished(
    dir: &dyn Directory,
    items: &[Unfinished],
    password: &PasswordChoice,
    resend: bool,
    journal: &Journal,
    audit: &Audit,
) -> (Vec<UserOutcome>, Vec<String>) {
    let run = uuid::Uuid::new_v4().to_string();
    let mut out = Vec::with_capacity(items.len());
    let mut warnings = Vec::new();
    let mail_window: HashMap<String, MailAttempt> = match journal.pending() {
        Ok(pending) => pending
            .into_iter()
            .filter_map(|p| p.mail_sending.map(|m| (p.unfinished.id, m)))
            .collect(),
        Err(e) if !resend => {
            // Not knowing whether a mail went out, no password is replaced.
            warnings.push(format!(
                "the journal ({}) could not be read: {e}; nothing was finished",
                journal.path().display()
            ));
            return (out, warnings);
        }
        Err(_) => HashMap::new(),
    };
    for item in items {
        let mut o = UserOutcome {
            run: run.clone(),
            id: item.id.clone(),
            display_name: item.display_name.clone(),
            original_upn: item.upn.clone(),
            upn: None,
            password: None,
            tap: None,
            failure: None,
            force_change: item.force_change,
            wants_password: item.wants_password,
            synced: false,
            guest: false,
            account_disabled: item.account_disabled,
            planned: None,
        };
        if let (Some(mail), false) = (mail_window.get(&item.id), resend) {
            // Nothing is sent and nothing journaled: the next run finds it the same way, until
            // the admin chooses to resend.
            o.upn = Some(item.upn.clone());
            let mut error = DirectoryError::new(
                ErrorKind::Invalid,
                format!(
                    "{}; its password was left as it is (a resend sets a new one and mails it)",
                    mail.describe()
                ),
            );
            error.code = Some(MAIL_UNCERTAIN_CODE.to_string());
            o.failure = Some(Failure {
                at: mail.at,
                stage: Stage::Mail,
                error,
            });
            out.push(o);
            continue;
        }
        match item.restore {
            RestoreState::Restored => o.upn = Some(item.upn.clone()),
            RestoreState::Unknown => match dir.get_active(&item.id).await {
                Ok(Some(user)) => {
                    record(
                        journal,
                        &journal::Entry::new(&run, &item.id, Step::Restored)
                            .upn(&user.user_principal_name)
                            .detail("found active by a later run"),
                        &mut warnings,
                    );
                    // The run that sent it never audited it: its reply was lost with it.
                    if let Err(e) = audit.record(
                        "restore",
                        &format!("{} ({})", user.user_principal_name, item.id),
                        Ok(()),
                        Some(LOST_REPLY_FOUND_RESTORED.to_string()),
                    ) {
                        warnings.push(e.to_string());
                    }
                    o.upn = Some(user.user_principal_name);
                }
                Ok(None) => {
                    let error = never_restored(dir, &item.id).await;
                    record(
                        journal,
                        &journal::Entry::new(&run, &item.id, Step::Closed)
                            .detail(error.message.clone()),
                        &mut warnings,
                    );
                    o.failure = Some(Failure {
                        at: chrono::Utc::now(),
                        stage: Stage::Restore,
                        error,
                    });
                    out.push(o);
                    continue;
                }
                Err(error) => {
                    o.failure = Some(Failure {
                        at: chrono::Utc::now(),
                        stage: Stage::Preflight,
                        error,
                    });
                    out.push(o);
                    continue;
                }
            },
        }
        // A user whose password was set but whose mail never went out gets a new one too:
        // the old one went with the run that set it.
        // A user planned with a pass gets a new pass, unless a password was asked for.
        let choice = match (item.tap, password) {
            (Some(tap), PasswordChoice::Auto) => PasswordChoice::Tap(tap),
            _ => password.clone(),
        };
        let step = PasswordStep {
            choice,
            force_change: item.force_change,
            force_change_with_mfa: false,
            why: "finishing an interrupted restore".into(),
        };
        if item.wants_password {
            warnings.extend(set_password(dir, &mut o, &step, journal, audit).await);
        }
        out.push(o);
    }
    (out, warnings)
}

/// Why a user planned but not active was not restored, in words: still in the deleted users
/// (restore it again), or gone from there too (purged, most likely).
async fn never_restored(dir: &dyn Directory, id: &str) -> DirectoryError {
    let message = match dir.get_deleted(id).await {
        Ok(_) => "not restored: the earlier run never restored it; it is still in deleted users",
        Err(e) if e.kind == ErrorKind::NotFound => {
            "not restored, and no longer in deleted users either (purged, or restored by someone \
             else under another name)"
        }
        Err(_) => "not restored: it is not active (the earlier run never restored it)",
    };
    DirectoryError::new(ErrorKind::NotRestored, message)
}

fn record(journal: &Journal, entry: &journal::Entry, warnings: &mut Vec<String>) {
    if let Err(e) = journal.record(entry) {
        warnings.push(e.to_string());
    }
}
