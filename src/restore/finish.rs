//! Finishing what an earlier run (or an earlier step of this one) left unfinished.

use super::Audit;
use super::journal::{self, Journal, RestoreState, Step, Unfinished};
use super::plan::PasswordChoice;
use super::run::{Failure, PasswordStep, UserOutcome, set_password};
use crate::directory::{Directory, DirectoryError, ErrorKind, Stage};

/// Finishes what earlier runs left: for a user whose restore is unknown, asks the directory;
/// for each restored user, sets a new password (the old one is gone with the run: generated,
/// or the one given). The outcomes then go to `send_sign_in_mail` (to `Unfinished::mail_to` or
/// other recipients) or to `record_mail_skipped`, exactly as after a normal run.
pub async fn finish_unfinished(
    dir: &dyn Directory,
    items: &[Unfinished],
    password: &PasswordChoice,
    journal: &Journal,
    audit: &Audit,
) -> (Vec<UserOutcome>, Vec<String>) {
    let run = uuid::Uuid::new_v4().to_string();
    let mut out = Vec::with_capacity(items.len());
    let mut warnings = Vec::new();
    for item in items {
        let mut o = UserOutcome {
            run: run.clone(),
            id: item.id.clone(),
            display_name: item.display_name.clone(),
            original_upn: item.upn.clone(),
            upn: None,
            password: None,
            failure: None,
            force_change: item.force_change,
            wants_password: true,
            synced: false,
            guest: false,
            planned: None,
        };
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
        let step = PasswordStep {
            choice: password.clone(),
            force_change: item.force_change,
            force_change_with_mfa: false,
            why: "finishing an interrupted restore".into(),
        };
        warnings.extend(set_password(dir, &mut o, &step, journal, audit).await);
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
        warnings.push(format!(
            "the journal ({}) could not be written: {e}",
            journal.path().display()
        ));
    }
}
