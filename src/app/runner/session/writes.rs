//! The session's work that changes the directory or its books: a restore run, retries and
//! passwords from the result screen, the sign-in mail, purges, finishing interrupted runs.

use std::time::Instant;

use crate::app::effect::MailCommand;
use crate::app::modal::progress::JobStatus;
use crate::app::msg::{MailFailed, SessionMsg};
use crate::directory::{DeletedUser, Stage};
use crate::mail::SignInMail;
use crate::restore::{
    self, Audit, Doing, Journal, MailChoice, PasswordChoice, PasswordStep, Progress, Recorded,
    RestorePlan, UserOutcome,
};

use super::owner::OpenAgain;
use super::{SessionRunner, SessionTx};

impl SessionRunner {
    pub(super) fn books(&self) -> Result<(Journal, Audit), String> {
        self.books.clone()
    }

    /// Runs `first` on the journal off the UI thread (it says which writes failed), then sends
    /// the unfinished list it leaves.
    pub(super) fn journal_task(
        &mut self,
        first: impl FnOnce(&Journal) -> Vec<String> + Send + 'static,
    ) {
        let tx = self.tx.clone();
        let journal = match &self.books {
            Ok((journal, _)) => journal.clone(),
            Err(e) => {
                let _ = tx.send(SessionMsg::Warning(e.clone()));
                return;
            }
        };
        self.tasks.spawn_blocking(move || {
            for warning in first(&journal) {
                let _ = tx.send(SessionMsg::Warning(warning));
            }
            let msg = match journal.unfinished() {
                Ok(list) => SessionMsg::Unfinished(list),
                Err(e) => SessionMsg::Warning(format!("cannot read the journal: {e}")),
            };
            let _ = tx.send(msg);
        });
    }

    pub(super) fn restore(&mut self, plan: RestorePlan) {
        let (journal, audit) = match self.books() {
            Ok(b) => b,
            Err(e) => {
                self.send(SessionMsg::Warning(e.clone()));
                self.send(refused_run(&plan, &e));
                return;
            }
        };
        // Kept to end the run with a result should its task end without one.
        let ended_early = refused_run(
            &plan,
            "the restore task ended without a result; see the journal (F finishes)",
        );
        let slot = self.doing(Doing::Restoring, Some(plan.users.len()));
        // The deadline counts from the press of Restore.
        let dir = self.dir.on_clock(Instant::now());
        let mut run = restore::start(dir, plan, journal.clone(), audit);
        self.stop = Some(run.stop.clone());
        let run_abort = run.abort.clone();
        let kept = journal.clone();
        let tx = self.tx.clone();
        let forward = self.tasks.spawn(async move {
            let _open_again = OpenAgain(slot);
            let mut finished = false;
            while let Some(p) = run.progress.recv().await {
                let mut reread = false;
                let msg = match p {
                    Progress::Queued { id } => SessionMsg::Job {
                        id,
                        status: JobStatus::Queued,
                    },
                    Progress::Restoring { id } => SessionMsg::Job {
                        id,
                        status: JobStatus::Restoring,
                    },
                    Progress::Restored { id, .. } => SessionMsg::Job {
                        id,
                        status: JobStatus::Restored,
                    },
                    Progress::PasswordSet { id } => SessionMsg::Job {
                        id,
                        status: JobStatus::PasswordSet,
                    },
                    Progress::TapIssued { id } => SessionMsg::Job {
                        id,
                        status: JobStatus::TapIssued,
                    },
                    Progress::Failed { id, error, stage } => {
                        // A restored user without its password (or a restore whose reply was
                        // lost) is unfinished from now on: the banner knows at once.
                        reread =
                            stage == Stage::Password || restore::journal::may_have_happened(&error);
                        SessionMsg::Job {
                            id,
                            status: JobStatus::Failed(format!("{} → {error}", error.advice())),
                        }
                    }
                    Progress::Warning(w) => SessionMsg::Warning(w),
                    Progress::Finished(outcomes) => {
                        finished = true;
                        SessionMsg::RestoreFinished {
                            outcomes,
                            mail: None,
                        }
                    }
                };
                if tx.send(msg).is_err() {
                    return;
                }
                if reread {
                    send_unfinished(&journal, &tx);
                }
            }
            if !finished {
                let _ = tx.send(ended_early);
            }
        });
        self.leave = Some(Leave {
            run: run_abort,
            forward,
            journal: kept,
        });
    }

    /// `LeaveRestore`: the run ends where it is (its users in flight may be waiting out a
    /// dead server until the deadline); nothing of it reaches the screen any more, and the
    /// journal, read again, puts its unfinished users in the banner for `F`.
    pub(super) fn leave_restore(&mut self) {
        let Some(leave) = self.leave.take() else {
            return;
        };
        leave.forward.abort();
        leave.run.abort();
        self.stop = None;
        tracing::warn!("restore run left by the admin; its users in flight are unfinished");
        self.send(SessionMsg::Info(
            "Left the run: the users in flight are unfinished; F finishes them once the \
             directory answers."
                .into(),
        ));
        send_unfinished(&leave.journal, &self.tx);
    }

    /// `r` and `p` on the result screen: failed restores run again as a plan, missing
    /// passwords are set one by one; the changed outcomes come back together.
    pub(super) fn retry(
        &mut self,
        plan: Option<RestorePlan>,
        passwords: Vec<UserOutcome>,
        mut items: Vec<UserOutcome>,
        step: PasswordStep,
    ) {
        let (journal, audit) = match self.books() {
            Ok(b) => b,
            Err(e) => {
                self.send(SessionMsg::Warning(e));
                self.send(SessionMsg::OutcomesUpdated(Vec::new()));
                return;
            }
        };
        let users = plan.as_ref().map_or(0, |p| p.users.len()) + passwords.len() + items.len();
        let slot = self.doing(Doing::Restoring, Some(users));
        let dir = self.dir.on_clock(Instant::now());
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            let _open_again = OpenAgain(slot);
            let mut changed = Vec::new();
            if let Some(plan) = plan {
                changed.extend(
                    restore::run_to_end(dir.clone(), plan, journal.clone(), audit.clone()).await,
                );
            }
            for mut o in passwords {
                for w in restore::set_password(dir.as_ref(), &mut o, &step, &journal, &audit).await
                {
                    let _ = tx.send(SessionMsg::Warning(w));
                }
                changed.push(o);
            }
            for w in restore::bring_back_again(dir.as_ref(), &mut items, &journal, &audit).await {
                let _ = tx.send(SessionMsg::Warning(w));
            }
            changed.extend(items);
            let _ = tx.send(SessionMsg::OutcomesUpdated(changed));
            send_unfinished(&journal, &tx);
        });
    }

    pub(super) fn send_mail(&mut self, cmd: MailCommand) {
        let Ok((journal, audit)) = self.books.clone() else {
            self.send(SessionMsg::MailSent(Err(MailFailed::not_sent(
                "the journal is not available",
            ))));
            return;
        };
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        let options = SignInMail {
            include_password: cmd.include_password,
            force_change: cmd.force_change,
            sign_in_url: self.session.sign_in_url().to_string(),
            sender: self.session.mail_sender.clone(),
        };
        let slot = self.doing(Doing::Mailing, Some(cmd.outcomes.len()));
        self.tasks.spawn(async move {
            let _open_again = OpenAgain(slot);
            let result = restore::send_sign_in_mail(
                dir.as_ref(),
                &cmd.outcomes,
                &cmd.recipients,
                &options,
                &journal,
                &audit,
            )
            .await
            .map(|delivered| {
                for warning in delivered.warnings {
                    let _ = tx.send(SessionMsg::Warning(warning));
                }
            })
            .map_err(|e| {
                // Cause, then what to do, then the request: the end is what gets cut.
                let details = e.details().map(|d| format!(" ({d})")).unwrap_or_default();
                MailFailed {
                    why: format!("{} → {}{details}", e.message, e.advice()),
                    // As the journal has it: written, then the reply lost.
                    may_have_gone: e.may_have_happened(),
                }
            });
            let ok = result.is_ok();
            let _ = tx.send(SessionMsg::MailSent(result));
            if ok && let Ok(list) = journal.unfinished() {
                let _ = tx.send(SessionMsg::Unfinished(list));
            }
        });
    }

    /// `m` on the result screen: the journal and audit log say the admin found the mail.
    pub(super) fn mail_arrived(&mut self, ids: Vec<String>) {
        let Ok((journal, audit)) = self.books.clone() else {
            self.send(SessionMsg::MailArrived(Err(
                "the journal is not available".into()
            )));
            return;
        };
        let tx = self.tx.clone();
        self.tasks.spawn_blocking(move || {
            let result = match restore::confirm_mail_arrived(&ids, &journal, &audit) {
                Ok((done, warnings)) => {
                    for w in warnings {
                        let _ = tx.send(SessionMsg::Warning(w));
                    }
                    Ok(done.into_iter().map(|c| c.id).collect())
                }
                Err(refused) => Err(refused.join("; ")),
            };
            let _ = tx.send(SessionMsg::MailArrived(result));
            let msg = match journal.unfinished() {
                Ok(list) => SessionMsg::Unfinished(list),
                Err(e) => SessionMsg::Warning(format!("cannot read the journal: {e}")),
            };
            let _ = tx.send(msg);
        });
    }

    pub(super) fn purge(&mut self, users: Vec<DeletedUser>) {
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        let audit = self.books.as_ref().ok().map(|(_, a)| a.clone());
        let slot = self.doing(Doing::Purging, Some(users.len()));
        self.tasks.spawn(async move {
            let open_again = OpenAgain(slot);
            let mut purged = Vec::new();
            let mut failures = Vec::new();
            for u in users {
                // Only while this session holds the directory: another run may have it now.
                if let Err(why) = open_again.0.ensure_held() {
                    failures.push(format!("{}: not purged: {why}", u.display_name));
                    continue;
                }
                let result = dir.purge(&u.id).await;
                if let Some(audit) = &audit {
                    let target = format!("{} ({})", u.original_upn, u.id);
                    if let Err(e) =
                        audit.record("purge", &target, result.as_ref().map(|_| ()), None)
                    {
                        let _ = tx.send(SessionMsg::Warning(e.to_string()));
                    }
                }
                match result {
                    Ok(()) => purged.push(u.id),
                    Err(e) => failures.push(format!("{}: {e}", u.display_name)),
                }
            }
            let _ = tx.send(SessionMsg::PurgeDone { purged, failures });
        });
    }

    pub(super) fn finish_unfinished(&mut self) {
        let (journal, audit) = match &self.books {
            Ok(b) => b.clone(),
            Err(e) => {
                self.send(SessionMsg::UnfinishedFailed(e.clone()));
                return;
            }
        };
        let dir = self.dir.on_clock(Instant::now());
        let tx = self.tx.clone();
        let slot = self.doing(Doing::Finishing, None);
        // The TUI's choices for the finishing rule: the recorded recipients, the admin only
        // when a restore recorded nobody, the password as each restore planned it.
        let choice = MailChoice::default().fallback_to(&self.session.account);
        self.tasks.spawn(async move {
            let _open_again = OpenAgain(slot);
            let items = match journal.unfinished() {
                Ok(items) => items,
                Err(e) => {
                    let _ = tx.send(SessionMsg::UnfinishedFailed(format!(
                        "cannot read the journal: {e}"
                    )));
                    return;
                }
            };
            if items.is_empty() {
                let _ = tx.send(SessionMsg::Unfinished(Vec::new()));
                return;
            }
            let groups = restore::mail_groups(items.iter().map(Recorded::from), &choice);
            // Never a resend from `F`: a user whose mail may have gone out comes back failed
            // with "mail may have been sent at T; check the recipient's inbox", and `m` or `p`
            // on its line settles it.
            let (outcomes, warnings) = restore::finish_unfinished(
                dir.as_ref(),
                &items,
                &PasswordChoice::Auto,
                false,
                &journal,
                &audit,
            )
            .await;
            for w in warnings {
                let _ = tx.send(SessionMsg::Warning(w));
            }
            let _ = tx.send(SessionMsg::RestoreFinished {
                outcomes,
                mail: Some(groups),
            });
            if let Ok(list) = journal.unfinished() {
                let _ = tx.send(SessionMsg::Unfinished(list));
            }
        });
    }
}

/// The end of a run that could not start: each user failed, nothing sent, so the progress
/// screen gives way to a result that says why.
pub(super) fn refused_run(plan: &RestorePlan, why: &str) -> SessionMsg {
    let outcomes = plan
        .users
        .iter()
        .map(|p| {
            let mut o = UserOutcome::new("", p, plan.force_change);
            o.failure = Some(restore::Failure {
                at: chrono::Utc::now(),
                stage: Stage::Preflight,
                error: crate::directory::DirectoryError::invalid(format!(
                    "not restored, nothing was sent: {why}"
                )),
            });
            o
        })
        .collect();
    SessionMsg::RestoreFinished {
        outcomes,
        mail: None,
    }
}

/// Reads the journal's unfinished restores and sends them to the loop (the banner and `F`).
/// The journal is a file: read it off the async threads.
/// What ends a running restore where it is: the run's task, the task that forwards its
/// progress (so no result arrives after the admin left), and the journal to read again.
pub(super) struct Leave {
    run: tokio::task::AbortHandle,
    forward: tokio::task::AbortHandle,
    journal: Journal,
}

fn send_unfinished(journal: &Journal, tx: &SessionTx) {
    let journal = journal.clone();
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let msg = match journal.unfinished() {
            Ok(list) => SessionMsg::Unfinished(list),
            Err(e) => SessionMsg::Warning(format!("cannot read the journal: {e}")),
        };
        let _ = tx.send(msg);
    });
}
