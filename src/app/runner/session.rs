//! The effects that work in a session: directory calls on background tasks (results come back
//! as `Msg`s on the channel), the journal and the audit log, the data dir's lock. Nothing here
//! blocks the event loop.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::app::effect::{Effect, MailCommand};
use crate::app::msg::{MailFailed, Msg};
use crate::app::state::{Blocked, JobStatus};
use crate::directory::{DeletedUser, Directory, Stage};
use crate::mail::SignInMail;
use crate::restore::{
    self, Audit, Doing, Held, Journal, LockSlot, MailChoice, PasswordChoice, PasswordStep,
    Progress, Recorded, RestorePlan, StopHandle, UserOutcome,
};
use crate::session::Session;

/// The runner's part that needs a session.
pub(super) struct SessionRunner {
    session: Arc<Session>,
    /// The session's directory (cloned into every task).
    dir: Arc<dyn Directory>,
    tx: UnboundedSender<Msg>,
    /// `Err`: why the journal or audit log could not be opened; writes are refused then,
    /// since a restore that cannot be journaled could not be finished after a crash.
    books: Result<(Journal, Audit), String>,
    load: Option<JoinHandle<()>>,
    /// Pages the loader may hand over before the loop has taken them in. Without this bound a
    /// busy UI thread let pages pile up in the channel, each parsed page holding memory at
    /// once (100,000 users came to well over the 80 MB budget on a loaded machine).
    page_slots: Arc<Semaphore>,
    stop: Option<StopHandle>,
    /// The newest password check asked for: an older one still waiting is not sent.
    verdict_seq: Arc<AtomicU64>,
    /// The newest check of a typed new user name, per user: the same, one field per user.
    name_seqs: Arc<std::sync::Mutex<HashMap<String, u64>>>,
    /// The directory's lock, held for the whole session so no other run finishes (or purges)
    /// users this one is restoring, and this one none of another's.
    owner: Owner,
}

/// What `SessionRunner::keep` writes.
enum Keep {
    Sweep(Arc<crate::conflicts::Sweep>),
    Deletions(Arc<crate::conflicts::DeletionsState>),
}

/// Whether this session may change the directory, as far as the directory's lock goes.
enum Owner {
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

/// How long typing must pause before a typed value is sent to the directory for a check.
const TYPING_PAUSE: Duration = Duration::from_millis(400);

/// Pages fetched ahead of the one the loop is taking in: the next request overlaps the work
/// on the current page, and no more.
const PAGES_AHEAD: usize = 2;

impl SessionRunner {
    pub(super) fn new(session: Arc<Session>, tx: UnboundedSender<Msg>) -> Self {
        let dir = session.directory.clone();
        // Every wait of the client over a few seconds shows on screen, not silently.
        if let (Some(mut waits), Ok(rt)) =
            (dir.wait_notices(), tokio::runtime::Handle::try_current())
        {
            let tx = tx.clone();
            rt.spawn(async move {
                use tokio::sync::broadcast::error::RecvError;
                loop {
                    match waits.recv().await {
                        Ok(notice) => {
                            let msg = Msg::Waiting {
                                text: notice.to_string(),
                                seconds: notice.seconds,
                            };
                            if tx.send(msg).is_err() {
                                return;
                            }
                        }
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return,
                    }
                }
            });
        }
        let books = open_books(&session);
        // `--read-only`: the directory is not locked.
        let owner = if session.settings.read_only {
            Owner::ReadOnly
        } else {
            let (owner, said) = take_directory(&session);
            match (&owner, said) {
                // Taking over from a run that died is news, not a failure.
                (Owner::Held(_), Some(said)) => {
                    let _ = tx.send(Msg::Info(said));
                }
                (Owner::Busy(line), _) => {
                    let _ = tx.send(Msg::Holder(Some(Blocked::Held(line.clone()))));
                }
                (Owner::Failed(why), _) => {
                    let _ = tx.send(Msg::Holder(Some(Blocked::Broken(why.clone()))));
                    let _ = tx.send(Msg::Warning(format!(
                        "{why}: restore, F and purge are disabled until that is put right"
                    )));
                }
                _ => {}
            }
            // Locked, but the journal cannot be opened (a link where it goes): no write can
            // be journaled, so none is offered; the checks try the books again.
            if let (Owner::Held(_), Err(why)) = (&owner, &books) {
                let _ = tx.send(Msg::Holder(Some(Blocked::Broken(why.clone()))));
            }
            owner
        };
        Self {
            session,
            owner,
            dir,
            tx,
            books,
            load: None,
            page_slots: Arc::new(Semaphore::new(PAGES_AHEAD)),
            stop: None,
            verdict_seq: Arc::new(AtomicU64::new(0)),
            name_seqs: Arc::default(),
        }
    }

    /// Reads the journal's unfinished runs off the event loop (the file only grows) and sends
    /// them as a message, or a warning when it cannot be read; and, apart, those an earlier
    /// version's journal left (no directory).
    fn load_unfinished(&self) {
        self.journal_task(|_| Vec::new());
        let tx = self.tx.clone();
        let data_dir = self.session.data_dir.clone();
        tokio::task::spawn_blocking(move || match restore::earlier::earlier_pending(&data_dir) {
            Ok(list) if list.is_empty() => {}
            Ok(list) => {
                let _ = tx.send(Msg::Earlier(
                    list.into_iter().map(|p| p.unfinished).collect(),
                ));
            }
            Err(e) => {
                let _ = tx.send(Msg::Warning(format!(
                    "the earlier version's journal in {} cannot be read: {e}",
                    data_dir.display()
                )));
            }
        });
    }

    /// The conflict sweep and the audit log's deletions, side by side on their own tasks:
    /// each lands as a message when done; a refused or failed read says so in its status and
    /// never fails the table.
    fn sweep(&self, now: chrono::DateTime<chrono::Utc>) {
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let sweep = crate::conflicts::sweep(dir.as_ref(), now).await;
            let _ = tx.send(Msg::Swept(Box::new(sweep)));
        });
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let deletions = crate::conflicts::read_deletions(dir.as_ref(), now).await;
            let _ = tx.send(Msg::Deletions(Box::new(deletions)));
        });
    }

    /// After a launch from what was kept, and on `R`: what changed since the last sweep
    /// (delta rounds) and the audit log since its last read, in the background.
    fn sweep_refresh(
        &self,
        links: [Option<String>; 3],
        deletions: Option<Arc<crate::conflicts::DeletionsState>>,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let changes = crate::conflicts::read_changes(dir.as_ref(), links, now).await;
            let _ = tx.send(Msg::SweepChanges(Box::new(changes)));
        });
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let deletions = match deletions {
                // The screen keeps its copy until the new one lands.
                Some(kept) => {
                    let kept = Arc::try_unwrap(kept).unwrap_or_else(|a| (*a).clone());
                    crate::conflicts::refresh_deletions(dir.as_ref(), kept, now).await
                }
                None => crate::conflicts::read_deletions(dir.as_ref(), now).await,
            };
            let _ = tx.send(Msg::Deletions(Box::new(deletions)));
        });
    }

    /// Reads back what the last run kept of the sweep for this directory, off the event loop;
    /// with `--no-cache` nothing is read, and what was kept is removed (this directory's only).
    fn recall_sweep(&self) {
        let tx = self.tx.clone();
        let books = self.session.books();
        let keep = self.session.settings.cache;
        tokio::task::spawn_blocking(move || {
            use crate::conflicts::kept;
            let mut recalled = crate::app::sweep::Recalled::default();
            if !keep {
                match kept::forget(&books) {
                    Ok(true) => tracing::info!(
                        "removed the kept conflict index and deletion log of {} (--no-cache)",
                        books.directory().describe()
                    ),
                    Ok(false) => {}
                    Err(e) => {
                        recalled.problem = Some(format!("the kept sweep cannot be removed: {e}"))
                    }
                }
            } else {
                match kept::load_sweep(&books) {
                    Ok(s) => recalled.sweep = s,
                    Err(why) => recalled.problem = Some(why),
                }
                match kept::load_deletions(&books) {
                    Ok(d) => recalled.deletions = d,
                    Err(why) => recalled.problem = recalled.problem.or(Some(why)),
                }
            }
            let _ = tx.send(Msg::Recalled(Box::new(recalled)));
        });
    }

    /// Keeps the sweep (or the deletion log) for the next launch, off the event loop. A write
    /// that fails only costs the next launch its head start: logged, and said once.
    fn keep(&self, what: Keep) {
        if !self.session.settings.cache {
            return;
        }
        let tx = self.tx.clone();
        let books = self.session.books();
        tokio::task::spawn_blocking(move || {
            use crate::conflicts::kept;
            let written = match &what {
                Keep::Sweep(s) => kept::save_sweep(&books, s),
                Keep::Deletions(d) => kept::save_deletions(&books, d),
            };
            if let Err(e) = written {
                tracing::warn!("cannot keep the conflict sweep for the next launch: {e}");
                let _ = tx.send(Msg::Info(format!(
                    "The conflict sweep could not be kept for the next launch ({e}); it will \
                     be read in full then"
                )));
            }
        });
    }

    /// Reads the users restored in this directory (journal and audit log) off the event loop.
    fn load_restored(&self) {
        let tx = self.tx.clone();
        let books = self.session.books();
        tokio::task::spawn_blocking(move || {
            let result = books.restored().map_err(|e| {
                format!(
                    "cannot read the journal in {}: {e}",
                    books.folder().display()
                )
            });
            let _ = tx.send(Msg::Restored(result));
        });
    }

    /// Runs `first` on the journal off the UI thread (it says which writes failed), then sends
    /// the unfinished list it leaves.
    fn journal_task(&self, first: impl FnOnce(&Journal) -> Vec<String> + Send + 'static) {
        let tx = self.tx.clone();
        let journal = match &self.books {
            Ok((journal, _)) => journal.clone(),
            Err(e) => {
                let _ = tx.send(Msg::Warning(e.clone()));
                return;
            }
        };
        tokio::task::spawn_blocking(move || {
            for warning in first(&journal) {
                let _ = tx.send(Msg::Warning(warning));
            }
            let msg = match journal.unfinished() {
                Ok(list) => Msg::Unfinished(list),
                Err(e) => Msg::Warning(format!("cannot read the journal: {e}")),
            };
            let _ = tx.send(msg);
        });
    }

    fn send(&self, msg: Msg) {
        // The loop owns the receiver for the app's lifetime; a send fails only while quitting.
        let _ = self.tx.send(msg);
    }

    /// Whether this session holds the data dir now; a busy one is tried again, so the TUI
    /// becomes writable as soon as the other run ends. `Err`: why it may not write.
    fn ensure_owner(&mut self) -> Result<(), String> {
        match &self.owner {
            Owner::Held(_) if self.books.is_ok() => return Ok(()),
            Owner::ReadOnly => return Err("read-only mode: nothing may be changed".into()),
            Owner::Held(_) | Owner::Busy(_) | Owner::Failed(_) => {}
        }
        if !matches!(self.owner, Owner::Held(_)) {
            let (owner, said) = take_directory(&self.session);
            self.owner = owner;
            if let (Owner::Held(_), Some(said)) = (&self.owner, said) {
                self.send(Msg::Info(said));
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
                self.send(Msg::Holder(None));
                Ok(())
            }
            (Owner::Held(_), Err(why)) => {
                let why = why.clone();
                self.send(Msg::Holder(Some(Blocked::Broken(why.clone()))));
                Err(why)
            }
            (Owner::Busy(why), _) => {
                self.send(Msg::Holder(Some(Blocked::Held(why.clone()))));
                Err(why.clone())
            }
            (Owner::Failed(why), _) => {
                self.send(Msg::Holder(Some(Blocked::Broken(why.clone()))));
                Err(why.clone())
            }
            (Owner::ReadOnly, _) => Err("read-only mode: nothing may be changed".into()),
        }
    }

    /// `Effect::CheckBooks`: a held lock is checked (its file made again when deleted; let go
    /// when another run took it); a busy one is tried again, so the session becomes writable
    /// once the other run ends, and says what the other is doing meanwhile.
    fn check_books(&mut self) {
        match &self.owner {
            Owner::ReadOnly => {}
            Owner::Held(held) => match held.slot().ensure_held() {
                Ok(verified) => {
                    if verified == Some(restore::lock::Verified::Relocked) {
                        self.send(Msg::Warning(
                            "The lock file of this directory was deleted; it was made again, and \
                             this app still holds the directory."
                                .into(),
                        ));
                    }
                    if self.books.is_err() {
                        self.books = open_books(&self.session);
                        if self.books.is_ok() {
                            self.send(Msg::Holder(None));
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
                    self.send(Msg::Warning(format!("Writes stop here: {why}.")));
                    self.send(Msg::Holder(Some(blocked)));
                }
            },
            Owner::Busy(_) | Owner::Failed(_) => {
                let _ = self.ensure_owner();
            }
        }
    }

    /// Says in the lock file what this session starts doing (a second app shows it), and
    /// returns the slot so the task doing it can say "open" again when it ends.
    fn doing(&self, doing: Doing, users: Option<usize>) -> LockSlot {
        let slot = self.session.lock_slot().clone();
        slot.set_doing(doing, users);
        slot
    }

    /// Answers a write effect that may not run, through the message its screen waits for: a
    /// refused restore ends with a result (each user failed, nothing sent), so its progress
    /// screen never waits for a run that will not come.
    fn refuse(&self, effect: Effect, why: String) {
        match effect {
            Effect::Restore(plan) => {
                self.send(Msg::Warning(why.clone()));
                self.send(refused_run(&plan, &why));
            }
            Effect::Retry { .. } => {
                self.send(Msg::Warning(why));
                self.send(Msg::OutcomesUpdated(Vec::new()));
            }
            Effect::SendMail(_) => self.send(Msg::MailSent(Err(MailFailed::not_sent(why)))),
            Effect::Purge { .. } => self.send(Msg::PurgeDone {
                purged: Vec::new(),
                failures: vec![why],
            }),
            Effect::FinishUnfinished => self.send(Msg::UnfinishedFailed(why)),
            Effect::MailArrived { .. } => self.send(Msg::MailArrived(Err(why))),
            _ => self.send(Msg::Warning(why)),
        }
    }

    /// Runs an effect of the session; the sign-in's and the clipboard's are the outer
    /// runner's, and never come here.
    pub(super) fn run(&mut self, effect: Effect) {
        let writes = matches!(
            effect,
            Effect::Restore(_)
                | Effect::Retry { .. }
                | Effect::SendMail(_)
                | Effect::MailSkipped { .. }
                | Effect::Purge { .. }
                | Effect::FinishUnfinished
                | Effect::MailArrived { .. }
        );
        if writes && let Err(why) = self.ensure_owner() {
            self.refuse(effect, why);
            return;
        }
        match effect {
            Effect::Quit | Effect::Copy(_) | Effect::StartSignIn | Effect::CancelSignIn => {}
            Effect::LoadDeleted { generation } => self.load(generation),
            Effect::LoadUnfinished => self.load_unfinished(),
            Effect::LoadRestored => self.load_restored(),
            Effect::Sweep { now } => self.sweep(now),
            Effect::SweepRefresh {
                links,
                deletions,
                now,
            } => self.sweep_refresh(links, deletions, now),
            Effect::RecallSweep => self.recall_sweep(),
            Effect::KeepSweep(sweep) => self.keep(Keep::Sweep(sweep)),
            Effect::KeepDeletions(d) => self.keep(Keep::Deletions(d)),
            Effect::Preflight { users } => self.preflight(users),
            Effect::LoadTenant => self.load_tenant(),
            Effect::AfterCare { outcomes } => {
                let dir = self.dir.clone();
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let care = restore::aftercare::report(dir.as_ref(), &outcomes).await;
                    let _ = tx.send(Msg::AfterCare(care));
                });
            }
            Effect::LoadTapAvailability => {
                let dir = self.dir.clone();
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let _ = tx.send(Msg::TapAvailability(dir.tap_availability().await));
                });
            }
            Effect::CheckPassword { seq, password } => self.check_password(seq, password),
            Effect::CheckNewUpn { seq, id, upn } => self.check_new_upn(seq, id, upn),
            Effect::Restore(plan) => self.restore(plan),
            Effect::Retry {
                restore,
                passwords,
                step,
            } => self.retry(restore, passwords, step),
            Effect::StopRestore => {
                if let Some(stop) = &self.stop {
                    stop.stop();
                }
            }
            Effect::SendMail(cmd) => self.send_mail(cmd),
            Effect::MailSkipped { outcomes } => self.journal_task(move |journal| {
                restore::record_mail_skipped(&outcomes, journal, "closed without email in the TUI")
            }),
            Effect::Purge { users } => self.purge(users),
            Effect::FinishUnfinished => self.finish_unfinished(),
            Effect::CheckBooks => self.check_books(),
            Effect::MailArrived { ids } => self.mail_arrived(ids),
            Effect::RememberWelcome => {
                // Not worth a notice: at worst the panel shows again next time.
                if let Err(e) = crate::app::welcome::remember(&self.session.data_dir) {
                    tracing::warn!(error = %e, "could not remember the dismissed welcome panel");
                }
            }
        }
    }

    fn load(&mut self, generation: u64) {
        if let Some(old) = self.load.take() {
            old.abort();
        }
        let mut pages = self.dir.list_deleted();
        let tx = self.tx.clone();
        // A fresh bound per load: permits of an aborted load must not leak into this one.
        self.page_slots = Arc::new(Semaphore::new(PAGES_AHEAD));
        let slots = self.page_slots.clone();
        self.load = Some(tokio::spawn(async move {
            loop {
                // The stream fetches the next page only when polled: waiting for a slot first
                // keeps at most PAGES_AHEAD pages in memory ahead of the loop.
                match slots.acquire().await {
                    Ok(permit) => permit.forget(),
                    Err(_) => return,
                }
                let Some(result) = pages.next().await else {
                    break;
                };
                let failed = result.is_err();
                if tx.send(Msg::Page { generation, result }).is_err() || failed {
                    return;
                }
            }
            let _ = tx.send(Msg::LoadFinished { generation });
        }));
    }

    /// The loop took a page in: the loader may fetch one more.
    pub(super) fn page_taken(&self) {
        self.page_slots.add_permits(1);
    }

    /// Pre-flight of every user of the dialog, a few at a time (the module's bound), each
    /// result sent as soon as it is known.
    fn preflight(&self, users: Vec<DeletedUser>) {
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut checks = restore::preflight_each(dir.as_ref(), users);
            while let Some((id, result)) = checks.next().await {
                let result = result.map_err(|e| e.to_string());
                if tx.send(Msg::Preflight { id, result }).is_err() {
                    return;
                }
            }
        });
    }

    fn load_tenant(&self) {
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            // Unknown domains only loosen the checks (the directory still refuses what it
            // refuses); the request log shows why they could not be read.
            if let Ok(tenant) = restore::load_tenant(dir.as_ref()).await {
                let _ = tx.send(Msg::Tenant(tenant));
            }
        });
    }

    /// Asks the directory about the typed password once typing pauses: a newer check
    /// supersedes this one before it is sent.
    fn check_password(&self, seq: u64, password: secrecy::SecretString) {
        self.verdict_seq.store(seq, Ordering::SeqCst);
        let latest = self.verdict_seq.clone();
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(TYPING_PAUSE).await;
            if latest.load(Ordering::SeqCst) != seq {
                return;
            }
            let result = dir.validate_password(&password).await;
            let _ = tx.send(Msg::PasswordVerdict { seq, result });
        });
    }

    /// Asks whether a typed new user name is free once typing pauses: a newer check for the
    /// same user supersedes this one before it is sent.
    fn check_new_upn(&self, seq: u64, id: String, upn: String) {
        let latest = self.name_seqs.clone();
        let newest = |latest: &std::sync::Mutex<HashMap<String, u64>>, id: &str| {
            latest
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(id)
                .copied()
        };
        latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.clone(), seq);
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(TYPING_PAUSE).await;
            if newest(&latest, &id) != Some(seq) {
                return;
            }
            let result = restore::check_new_upn(dir.as_ref(), &upn)
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(Msg::NewUpnChecked { id, seq, result });
        });
    }

    fn books(&self) -> Result<(Journal, Audit), String> {
        self.books.clone()
    }

    fn restore(&mut self, plan: RestorePlan) {
        let (journal, audit) = match self.books() {
            Ok(b) => b,
            Err(e) => {
                self.send(Msg::Warning(e.clone()));
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
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let _open_again = OpenAgain(slot);
            let mut finished = false;
            while let Some(p) = run.progress.recv().await {
                let mut reread = false;
                let msg = match p {
                    Progress::Queued { id } => Msg::Job {
                        id,
                        status: JobStatus::Queued,
                    },
                    Progress::Restoring { id } => Msg::Job {
                        id,
                        status: JobStatus::Restoring,
                    },
                    Progress::Restored { id, .. } => Msg::Job {
                        id,
                        status: JobStatus::Restored,
                    },
                    Progress::PasswordSet { id } => Msg::Job {
                        id,
                        status: JobStatus::PasswordSet,
                    },
                    Progress::TapIssued { id } => Msg::Job {
                        id,
                        status: JobStatus::TapIssued,
                    },
                    Progress::Failed { id, error, stage } => {
                        // A restored user without its password (or a restore whose reply was
                        // lost) is unfinished from now on: the banner knows at once.
                        reread =
                            stage == Stage::Password || restore::journal::may_have_happened(&error);
                        Msg::Job {
                            id,
                            status: JobStatus::Failed(format!("{} → {error}", error.advice())),
                        }
                    }
                    Progress::Warning(w) => Msg::Warning(w),
                    Progress::Finished(outcomes) => {
                        finished = true;
                        Msg::RestoreFinished {
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
    }

    /// `r` and `p` on the result screen: failed restores run again as a plan, missing
    /// passwords are set one by one; the changed outcomes come back together.
    fn retry(&self, plan: Option<RestorePlan>, passwords: Vec<UserOutcome>, step: PasswordStep) {
        let (journal, audit) = match self.books() {
            Ok(b) => b,
            Err(e) => {
                self.send(Msg::Warning(e));
                self.send(Msg::OutcomesUpdated(Vec::new()));
                return;
            }
        };
        let users = plan.as_ref().map_or(0, |p| p.users.len()) + passwords.len();
        let slot = self.doing(Doing::Restoring, Some(users));
        let dir = self.dir.on_clock(Instant::now());
        let tx = self.tx.clone();
        tokio::spawn(async move {
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
                    let _ = tx.send(Msg::Warning(w));
                }
                changed.push(o);
            }
            let _ = tx.send(Msg::OutcomesUpdated(changed));
            send_unfinished(&journal, &tx);
        });
    }

    fn send_mail(&self, cmd: MailCommand) {
        let Ok((journal, audit)) = self.books.clone() else {
            self.send(Msg::MailSent(Err(MailFailed::not_sent(
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
        tokio::spawn(async move {
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
                    let _ = tx.send(Msg::Warning(warning));
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
            let _ = tx.send(Msg::MailSent(result));
            if ok && let Ok(list) = journal.unfinished() {
                let _ = tx.send(Msg::Unfinished(list));
            }
        });
    }

    /// `m` on the result screen: the journal and audit log say the admin found the mail.
    fn mail_arrived(&self, ids: Vec<String>) {
        let Ok((journal, audit)) = self.books.clone() else {
            self.send(Msg::MailArrived(Err("the journal is not available".into())));
            return;
        };
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let result = match restore::confirm_mail_arrived(&ids, &journal, &audit) {
                Ok((done, warnings)) => {
                    for w in warnings {
                        let _ = tx.send(Msg::Warning(w));
                    }
                    Ok(done.into_iter().map(|c| c.id).collect())
                }
                Err(refused) => Err(refused.join("; ")),
            };
            let _ = tx.send(Msg::MailArrived(result));
            let msg = match journal.unfinished() {
                Ok(list) => Msg::Unfinished(list),
                Err(e) => Msg::Warning(format!("cannot read the journal: {e}")),
            };
            let _ = tx.send(msg);
        });
    }

    fn purge(&self, users: Vec<DeletedUser>) {
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        let audit = self.books.as_ref().ok().map(|(_, a)| a.clone());
        let slot = self.doing(Doing::Purging, Some(users.len()));
        tokio::spawn(async move {
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
                        let _ = tx.send(Msg::Warning(e.to_string()));
                    }
                }
                match result {
                    Ok(()) => purged.push(u.id),
                    Err(e) => failures.push(format!("{}: {e}", u.display_name)),
                }
            }
            let _ = tx.send(Msg::PurgeDone { purged, failures });
        });
    }

    fn finish_unfinished(&self) {
        let (journal, audit) = match &self.books {
            Ok(b) => b.clone(),
            Err(e) => {
                self.send(Msg::UnfinishedFailed(e.clone()));
                return;
            }
        };
        let dir = self.dir.on_clock(Instant::now());
        let tx = self.tx.clone();
        let slot = self.doing(Doing::Finishing, None);
        // The TUI's choices for the finishing rule: the recorded recipients, the admin only
        // when a restore recorded nobody, the password as each restore planned it.
        let choice = MailChoice::default().fallback_to(&self.session.account);
        tokio::spawn(async move {
            let _open_again = OpenAgain(slot);
            let items = match journal.unfinished() {
                Ok(items) => items,
                Err(e) => {
                    let _ = tx.send(Msg::UnfinishedFailed(format!(
                        "cannot read the journal: {e}"
                    )));
                    return;
                }
            };
            if items.is_empty() {
                let _ = tx.send(Msg::Unfinished(Vec::new()));
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
                let _ = tx.send(Msg::Warning(w));
            }
            let _ = tx.send(Msg::RestoreFinished {
                outcomes,
                mail: Some(groups),
            });
            if let Ok(list) = journal.unfinished() {
                let _ = tx.send(Msg::Unfinished(list));
            }
        });
    }
}

/// Tries to take the session's directory for the TUI (into the session's lock slot), and
/// what to tell the admin about it.
fn take_directory(session: &Session) -> (Owner, Option<String>) {
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
fn open_books(session: &Session) -> Result<(Journal, Audit), String> {
    match (session.journal(), session.audit()) {
        (Ok(j), Ok(a)) => Ok((j, a)),
        (Err(e), _) | (_, Err(e)) => Err(format!(
            "cannot open the journal in {}: {e}",
            session.books().folder().display()
        )),
    }
}

/// Says "open" in the lock file again when the work that said otherwise ends, however it ends.
struct OpenAgain(LockSlot);

impl Drop for OpenAgain {
    fn drop(&mut self) {
        self.0.set_doing(Doing::Open, None);
    }
}

/// The end of a run that could not start: each user failed, nothing sent, so the progress
/// screen gives way to a result that says why.
fn refused_run(plan: &RestorePlan, why: &str) -> Msg {
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
    Msg::RestoreFinished {
        outcomes,
        mail: None,
    }
}

/// Reads the journal's unfinished restores and sends them to the loop (the banner and `F`).
/// The journal is a file: read it off the async threads.
fn send_unfinished(journal: &Journal, tx: &UnboundedSender<Msg>) {
    let journal = journal.clone();
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let msg = match journal.unfinished() {
            Ok(list) => Msg::Unfinished(list),
            Err(e) => Msg::Warning(format!("cannot read the journal: {e}")),
        };
        let _ = tx.send(msg);
    });
}
