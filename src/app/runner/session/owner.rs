//! The directory's lock as a session holds it: taken when the session starts, checked every
//! few seconds and before each write, and what a write is answered with when it may not run.

use crate::app::effect::Effect;
use crate::app::msg::{MailFailed, SessionMsg};
use crate::app::sessions::Blocked;
use crate::restore::{Audit, Doing, Held, Journal, LockSlot};
use crate::session::Session;

use super::SessionRunner;
use super::writes::refused_run;

/// Whether this session may change the directory, as far as the directory's lock goes.
pub(super) enum Owner {
    /// In the session's slot, which its journal and audit log check before each change.
    Held(Held),
    /// Another undelete holds the directory: listing works, writes wait until it ends (tried
    /// again at each write and every few seconds).
    Busy(String),
    /// `--read-only`: no lock is taken, and no write is run.
    ReadOnly,
    /// The lock file could not be opened or locked at all.
    Failed(String),
}

impl SessionRunner {
    /// Whether this session holds the data dir now; a busy one is tried again, so the TUI
    /// becomes writable as soon as the other run ends. `Err`: why it may not write.
    pub(super) fn ensure_owner(&mut self) -> Result<(), String> {
        match &self.owner {
            Owner::Held(_) if self.books.is_ok() => return Ok(()),
            Owner::ReadOnly => return Err("read-only mode: nothing may be changed".into()),
            Owner::Held(_) | Owner::Busy(_) | Owner::Failed(_) => {}
        }
        if !matches!(self.owner, Owner::Held(_)) {
            let (owner, said) = take_directory(&self.session);
            self.owner = owner;
            if let (Owner::Held(_), Some(said)) = (&self.owner, said) {
                self.send(SessionMsg::Info(said));
            }
        }
        // Books that could not be opened when the session began (a link where the journal
        // goes, since removed) are opened again once the directory can be locked: the lock
        // being free must not promise writes the session cannot journal.
        if matches!(self.owner, Owner::Held(_)) && self.books.is_err() {
            self.books = open_books(&self.session);
        }
        match (&self.owner, &self.books) {
            (Owner::Held(_), Ok(_)) => {
                self.send(SessionMsg::Holder(None));
                Ok(())
            }
            (Owner::Held(_), Err(why)) => {
                let why = why.clone();
                self.send(SessionMsg::Holder(Some(Blocked::Broken(why.clone()))));
                Err(why)
            }
            (Owner::Busy(why), _) => {
                self.send(SessionMsg::Holder(Some(Blocked::Held(why.clone()))));
                Err(why.clone())
            }
            (Owner::Failed(why), _) => {
                self.send(SessionMsg::Holder(Some(Blocked::Broken(why.clone()))));
                Err(why.clone())
            }
            (Owner::ReadOnly, _) => Err("read-only mode: nothing may be changed".into()),
        }
    }

    /// `Effect::CheckBooks`: a held lock is checked (its file made again when deleted; let go
    /// when another run took it); a busy one is tried again, so the session becomes writable
    /// once the other run ends, and says what the other is doing meanwhile.
    pub(super) fn check_books(&mut self) {
        match &self.owner {
            Owner::ReadOnly => {}
            Owner::Held(held) => match held.slot().ensure_held() {
                Ok(verified) => {
                    if verified == Some(crate::restore::lock::Verified::Relocked) {
                        self.send(SessionMsg::Warning(
                            "The lock file of this directory was deleted; it was made again, and \
                             this app still holds the directory."
                                .into(),
                        ));
                    }
                    if self.books.is_err() {
                        self.books = open_books(&self.session);
                        if self.books.is_ok() {
                            self.send(SessionMsg::Holder(None));
                        }
                    }
                }
                Err(why) => {
                    // Another run took the directory, or the lock cannot be made again at
                    // all: only the first is waited for as "until it lets go".
                    let (owner, blocked) = match self.session.books().holder() {
                        Some(busy) => {
                            let line = busy.holder_line();
                            (Owner::Busy(line.clone()), Blocked::Held(line))
                        }
                        None => (
                            Owner::Failed(why.to_string()),
                            Blocked::Broken(why.to_string()),
                        ),
                    };
                    self.owner = owner;
                    self.send(SessionMsg::Warning(format!("Writes stop here: {why}.")));
                    self.send(SessionMsg::Holder(Some(blocked)));
                }
            },
            Owner::Busy(_) | Owner::Failed(_) => {
                let _ = self.ensure_owner();
            }
        }
    }

    /// Says in the lock file what this session starts doing (a second app shows it), and
    /// returns the slot so the task doing it can say "open" again when it ends.
    pub(super) fn doing(&self, doing: Doing, users: Option<usize>) -> LockSlot {
        let slot = self.session.lock_slot().clone();
        slot.set_doing(doing, users);
        slot
    }

    /// Answers a write effect that may not run, through the message its screen waits for: a
    /// refused restore ends with a result (each user failed, nothing sent), so its progress
    /// screen never waits for a run that will not come.
    pub(super) fn refuse(&self, effect: Effect, why: String) {
        match effect {
            Effect::Restore(plan) => {
                self.send(SessionMsg::Warning(why.clone()));
                self.send(refused_run(&plan, &why));
            }
            Effect::Retry { .. } => {
                self.send(SessionMsg::Warning(why));
                self.send(SessionMsg::OutcomesUpdated(Vec::new()));
            }
            Effect::SendMail(_) => self.send(SessionMsg::MailSent(Err(MailFailed::not_sent(why)))),
            Effect::Purge { .. } => self.send(SessionMsg::PurgeDone {
                purged: Vec::new(),
                failures: vec![why],
            }),
            Effect::FinishUnfinished => self.send(SessionMsg::UnfinishedFailed(why)),
            Effect::MailArrived { .. } => self.send(SessionMsg::MailArrived(Err(why))),
            _ => self.send(SessionMsg::Warning(why)),
        }
    }
}

/// Tries to take the session's directory for the TUI (into the session's lock slot), and
/// what to tell the admin about it.
pub(super) fn take_directory(session: &Session) -> (Owner, Option<String>) {
    let books = session.books();
    match books.try_lock("tui") {
        Ok(Ok(lock)) => {
            let said = lock.took_over_message();
            (Owner::Held(session.lock_slot().hold(lock)), said)
        }
        Ok(Err(busy)) => {
            let line = busy.holder_line();
            (Owner::Busy(line.clone()), Some(line))
        }
        Err(e) => {
            let why = format!(
                "cannot lock this directory's books in {} ({e})",
                books.folder().display()
            );
            (Owner::Failed(why.clone()), Some(why))
        }
    }
}

/// The session's journal and audit log, or why they cannot be opened (in words, for the
/// banner and the refusals).
pub(super) fn open_books(session: &Session) -> Result<(Journal, Audit), String> {
    match (session.journal(), session.audit()) {
        (Ok(j), Ok(a)) => Ok((j, a)),
        (Err(e), _) | (_, Err(e)) => Err(format!(
            "cannot open the journal in {}: {e}",
            session.books().folder().display()
        )),
    }
}

/// Says "open" in the lock file again when the work that said otherwise ends, however it ends.
pub(super) struct OpenAgain(pub(super) LockSlot);

impl Drop for OpenAgain {
    fn drop(&mut self) {
        self.0.set_doing(Doing::Open, None);
    }
}
