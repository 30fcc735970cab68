//! Finishing what an earlier run left unfinished.

use super::journal::{self, Journal, RestoreState, Step, Unfinished};
use super::run::{Failure, UserOutcome};
use super::Audit;
use crate::directory::{Directory, DirectoryError, ErrorKind, PasswordChange, Stage};
use crate::password;


/// Finishes what an earlier run left: for a user whose restore is unknown, asks the directory;
/// for each restored user, sets a new generated password (the old one is gone with the run).
/// The outcomes then go to `send_sign_in_mail` (to `Unfinished::mail_to` or other recipients)
/// or to `record_mail_skipped`, exactly as after a normal run.
pub async fn finish_unfinished(
    dir: &dyn Directory,
    items: &[Unfinished],
    journal: &Journal,
    audit: &Audit,
) -> Vec<UserOutcome> {
    let run = uuid::Uuid::new_v4().to_string();
    let mut out = Vec::with_capacity(items.len());
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
        };
        match item.restore {
            RestoreState::Restored => o.upn = Some(item.upn.clone()),
            RestoreState::Unknown => match dir.get_active(&item.id).await {
                Ok(Some(user)) => {
                    let _ = journal.record(
                        &journal::Entry::new(&run, &item.id, Step::Restored)
                            .upn(&user.user_principal_name)
                            .detail("found active by a later run"),
                    );
                    o.upn = Some(user.user_principal_name);
                }
                Ok(None) => {
                    let _ = journal.record(
                        &journal::Entry::new(&run, &item.id, Step::Closed)
                            .detail("the earlier run did not restore it"),
                    );
                    o.failure = Some(Failure {
                        stage: Stage::Restore,
                        error: DirectoryError::new(
                            ErrorKind::NotFound,
                            "the earlier run did not restore this user (it is not active): \
                             restore it again",
                        ),
                    });
                    out.push(o);
                    continue;
                }
                Err(error) => {
                    o.failure = Some(Failure {
                        stage: Stage::Preflight,
                        error,
                    });
                    out.push(o);
                    continue;
                }
            },
        }
        let secret = password::generate();
        let change = PasswordChange {
            password: secret.clone(),
            force_change_next_sign_in: item.force_change,
            force_change_with_mfa: false,
        };
        let target = format!("{} ({})", o.upn.as_deref().unwrap_or(&item.upn), item.id);
        match dir.set_password(&item.id, &change).await {
            Ok(()) => {
                let _ = audit.record(
                    "set_password",
                    &target,
                    Ok(()),
                    Some("finishing an interrupted run".into()),
                );
                let _ = journal.record(&journal::Entry::new(&run, &item.id, Step::PasswordSet));
                o.password = Some(secret);
            }
            Err(error) => {
                let _ = audit.record("set_password", &target, Err(&error), None);
                let entry = if error.kind == ErrorKind::NotFound {
                    // Deleted again or purged since: there is nothing left to finish, and
                    // keeping it open would list it as unfinished on every run from now on.
                    journal::Entry::new(&run, &item.id, Step::Closed)
                        .detail(format!("no active user to finish any more: {error}"))
                } else {
                    journal::Entry::failed(&run, &item.id, Stage::Password, &error)
                };
                let _ = journal.record(&entry);
                o.failure = Some(Failure {
                    stage: Stage::Password,
                    error,
                });
            }
        }
        out.push(o);
    }
    out
}

