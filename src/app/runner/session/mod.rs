//! The effects that work in a session: directory calls on background tasks (results come back
//! as `Msg::Session`s on the channel, tagged with the session where they are sent), the
//! journal and the audit log, the data dir's lock. Nothing here blocks the event loop.
//! `owner` is the directory's lock; `writes` the work that changes the directory.

mod owner;
mod sweep;
mod writes;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::{AbortHandle, JoinSet};

use crate::app::effect::Effect;
use crate::app::msg::{Msg, SessionMsg};
use crate::app::sessions::{Blocked, SessionId};
use crate::directory::{DeletedUser, Directory};
use crate::restore::{self, Audit, Journal, StopHandle};
use crate::session::Session;
use owner::{Owner, open_books, take_directory};

/// The channel to the loop, as a session's work holds it: whatever is sent names the session.
#[derive(Clone)]
pub(super) struct SessionTx {
    id: SessionId,
    tx: UnboundedSender<Msg>,
}

/// The loop has gone (the app is ending): what was sent is dropped with it.
#[derive(Debug)]
pub(super) struct LoopGone;

impl SessionTx {
    /// Fails only once the loop has gone (the app is ending).
    pub(super) fn send(&self, msg: SessionMsg) -> Result<(), LoopGone> {
        self.tx
            .send(Msg::Session { id: self.id, msg })
            .map_err(|_| LoopGone)
    }
}

/// The session's background tasks: dropped with the session, so a session replaced by another
/// stops its work at once (a blocking read already running finishes, and its news, tagged
/// with the old session, is dropped by `update`).
#[derive(Default)]
struct Tasks(JoinSet<()>);

impl Tasks {
    fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.reap();
        self.0.spawn(task)
    }

    fn spawn_blocking<F>(&mut self, task: F) -> AbortHandle
    where
        F: FnOnce() + Send + 'static,
    {
        self.reap();
        self.0.spawn_blocking(task)
    }

    /// Forgets the tasks that ended, so a long session does not keep one entry per task.
    fn reap(&mut self) {
        while let Some(ended) = self.0.try_join_next() {
            if let Err(e) = ended
                && e.is_panic()
            {
                tracing::warn!(error = %e, "a session task panicked");
            }
        }
    }
}

/// The runner's part that needs a session.
pub(super) struct SessionRunner {
    session: Arc<Session>,
    /// The session's directory (cloned into every task).
    dir: Arc<dyn Directory>,
    tx: SessionTx,
    tasks: Tasks,
    /// `Err`: why the journal or audit log could not be opened; writes are refused then,
    /// since a restore that cannot be journaled could not be finished after a crash.
    books: Result<(Journal, Audit), String>,
    load: Option<AbortHandle>,
    /// Pages the loader may hand over before the loop has taken them in. Without this bound a
    /// busy UI thread let pages pile up in the channel, each parsed page holding memory at
    /// once (100,000 users came to well over the 80 MB budget on a loaded machine).
    page_slots: Arc<Semaphore>,
    /// Shared by the run's sessions: a listing or a sweep holds one while it reads.
    tenant_slots: Arc<Semaphore>,
    stop: Option<StopHandle>,
    /// How to leave the running restore where it is (`LeaveRestore`).
    leave: Option<writes::Leave>,
    /// The newest password check asked for: an older one still waiting is not sent.
    verdict_seq: Arc<AtomicU64>,
    /// The newest check of a typed new user name, per user: the same, one field per user.
    name_seqs: Arc<std::sync::Mutex<HashMap<String, u64>>>,
    /// The directory's lock, held for the whole session so no other run finishes (or purges)
    /// users this one is restoring, and this one none of another's.
    owner: Owner,
}

/// How long typing must pause before a typed value is sent to the directory for a check.
const TYPING_PAUSE: Duration = Duration::from_millis(400);

/// Pages fetched ahead of the one the loop is taking in: the next request overlaps the work
/// on the current page, and no more.
const PAGES_AHEAD: usize = 2;

impl SessionRunner {
    /// `tenant_slots` bounds how many sessions of the run list and sweep at once.
    pub(super) fn new(
        id: SessionId,
        session: Arc<Session>,
        tx: UnboundedSender<Msg>,
        tenant_slots: Arc<Semaphore>,
    ) -> Self {
        let tx = SessionTx { id, tx };
        let mut tasks = Tasks::default();
        let dir = session.directory.clone();
        // Every wait of the client over a few seconds shows on screen, not silently.
        if let (Some(mut waits), Ok(rt)) =
            (dir.wait_notices(), tokio::runtime::Handle::try_current())
        {
            let tx = tx.clone();
            tasks.0.spawn_on(
                async move {
                    use tokio::sync::broadcast::error::RecvError;
                    loop {
                        match waits.recv().await {
                            Ok(notice) => {
                                let msg = SessionMsg::Waiting {
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
                },
                &rt,
            );
        }
        // The request log feeds the `@` pane, when the session keeps one.
        if let (Some(mut requests), Ok(rt)) = (
            session.take_requests(),
            tokio::runtime::Handle::try_current(),
        ) {
            let tx = tx.clone();
            tasks.0.spawn_on(
                async move {
                    while let Some(record) = requests.recv().await {
                        if tx.send(SessionMsg::Request(record)).is_err() {
                            return;
                        }
                    }
                },
                &rt,
            );
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
                    let _ = tx.send(SessionMsg::Info(said));
                }
                (Owner::Busy(line), _) => {
                    let _ = tx.send(SessionMsg::Holder(Some(Blocked::Held(line.clone()))));
                }
                (Owner::Failed(why), _) => {
                    let _ = tx.send(SessionMsg::Holder(Some(Blocked::Broken(why.clone()))));
                    let _ = tx.send(SessionMsg::Warning(format!(
                        "{why}: restore, F and purge are disabled until that is put right"
                    )));
                }
                _ => {}
            }
            // Locked, but the journal cannot be opened (a link where it goes): no write can
            // be journaled, so none is offered; the checks try the books again.
            if let (Owner::Held(_), Err(why)) = (&owner, &books) {
                let _ = tx.send(SessionMsg::Holder(Some(Blocked::Broken(why.clone()))));
            }
            owner
        };
        Self {
            session,
            owner,
            dir,
            tx,
            tasks,
            books,
            load: None,
            page_slots: Arc::new(Semaphore::new(PAGES_AHEAD)),
            tenant_slots,
            stop: None,
            leave: None,
            verdict_seq: Arc::new(AtomicU64::new(0)),
            name_seqs: Arc::default(),
        }
    }

    fn send(&self, msg: SessionMsg) {
        // The loop owns the receiver for the app's lifetime; a send fails only while quitting.
        let _ = self.tx.send(msg);
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
            Effect::OpenSession { .. }
            | Effect::AddSession { .. }
            | Effect::In(..)
            | Effect::Copy(_)
            | Effect::StartSignIn
            | Effect::CancelSignIn => {}
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
            Effect::KeepSweep(sweep) => self.keep(sweep::Keep::Sweep(sweep)),
            Effect::KeepDeletions(d) => self.keep(sweep::Keep::Deletions(d)),
            Effect::Preflight { users } => self.preflight(users),
            Effect::LoadTenant => self.load_tenant(),
            Effect::ReadOffboarding { users } => {
                let dir = self.dir.clone();
                let tx = self.tx.clone();
                self.tasks.spawn(async move {
                    let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
                    let found =
                        crate::offboarding::read::read(dir.as_ref(), &users, chrono::Utc::now())
                            .await;
                    for (id, found) in ids.into_iter().zip(found) {
                        // A refusal says what to grant first; the directory's words follow.
                        let result = found.map(Box::new).map_err(|e| {
                            if e.kind == crate::directory::ErrorKind::Forbidden {
                                format!(
                                    "the sign-in lacks {} ({e})",
                                    crate::directory::audits::AUDIT_PERMISSION
                                )
                            } else {
                                e.to_string()
                            }
                        });
                        let _ = tx.send(SessionMsg::Offboarding { id, result });
                    }
                });
            }
            Effect::ReadSeats => {
                let dir = self.dir.clone();
                let tx = self.tx.clone();
                self.tasks.spawn(async move {
                    let skus = dir.after_care_reads(Vec::new()).await.skus;
                    let _ = tx.send(SessionMsg::Seats(skus.map_err(|e| e.to_string())));
                });
            }
            Effect::AfterCare { outcomes } => {
                let dir = self.dir.clone();
                let tx = self.tx.clone();
                self.tasks.spawn(async move {
                    let care = restore::aftercare::report(dir.as_ref(), &outcomes).await;
                    let _ = tx.send(SessionMsg::AfterCare(care));
                });
            }
            Effect::LoadTapAvailability => {
                let dir = self.dir.clone();
                let tx = self.tx.clone();
                self.tasks.spawn(async move {
                    let _ = tx.send(SessionMsg::TapAvailability(dir.tap_availability().await));
                });
            }
            Effect::CheckPassword { seq, password } => self.check_password(seq, password),
            Effect::CheckNewUpn { seq, id, upn } => self.check_new_upn(seq, id, upn),
            Effect::Restore(plan) => self.restore(plan),
            Effect::Retry {
                restore,
                passwords,
                items,
                step,
            } => self.retry(restore, passwords, items, step),
            Effect::StopRestore => {
                if let Some(stop) = &self.stop {
                    stop.stop();
                }
            }
            Effect::LeaveRestore => self.leave_restore(),
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

    /// Reads the journal's unfinished runs off the event loop (the file only grows) and sends
    /// them as a message, or a warning when it cannot be read; and, apart, those an earlier
    /// version's journal left (no directory).
    fn load_unfinished(&mut self) {
        self.journal_task(|_| Vec::new());
        let tx = self.tx.clone();
        let data_dir = self.session.data_dir.clone();
        self.tasks
            .spawn_blocking(move || match restore::earlier::earlier_pending(&data_dir) {
                Ok(list) if list.is_empty() => {}
                Ok(list) => {
                    let _ = tx.send(SessionMsg::Earlier(
                        list.into_iter().map(|p| p.unfinished).collect(),
                    ));
                }
                Err(e) => {
                    let _ = tx.send(SessionMsg::Warning(format!(
                        "the earlier version's journal in {} cannot be read: {e}",
                        data_dir.display()
                    )));
                }
            });
    }

    /// Reads the users restored in this directory (journal and audit log) off the event loop.
    fn load_restored(&mut self) {
        let tx = self.tx.clone();
        let books = self.session.books();
        self.tasks.spawn_blocking(move || {
            let result = books.restored().map_err(|e| {
                format!(
                    "cannot read the journal in {}: {e}",
                    books.folder().display()
                )
            });
            let _ = tx.send(SessionMsg::Restored(result));
        });
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
        let tenant_slots = self.tenant_slots.clone();
        self.load = Some(self.tasks.spawn(async move {
            // Held until the listing ends: other tenants of the run wait their turn.
            let Ok(_turn) = tenant_slots.acquire_owned().await else {
                return;
            };
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
                if tx.send(SessionMsg::Page { generation, result }).is_err() || failed {
                    return;
                }
            }
            let _ = tx.send(SessionMsg::LoadFinished { generation });
        }));
    }

    /// The loop took a page in: the loader may fetch one more.
    pub(super) fn page_taken(&self) {
        self.page_slots.add_permits(1);
    }

    /// Pre-flight of every user of the dialog, a few at a time (the module's bound), each
    /// result sent as soon as it is known.
    fn preflight(&mut self, users: Vec<DeletedUser>) {
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            let mut checks = restore::preflight_each(dir.as_ref(), users);
            while let Some((id, result)) = checks.next().await {
                let result = result.map_err(|e| e.to_string());
                if tx.send(SessionMsg::Preflight { id, result }).is_err() {
                    return;
                }
            }
        });
    }

    fn load_tenant(&mut self) {
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            // Unknown domains only loosen the checks (the directory still refuses what it
            // refuses); the request log shows why they could not be read.
            if let Ok(tenant) = restore::load_tenant(dir.as_ref()).await {
                let _ = tx.send(SessionMsg::Tenant(tenant));
            }
        });
    }

    /// Asks the directory about the typed password once typing pauses: a newer check
    /// supersedes this one before it is sent.
    fn check_password(&mut self, seq: u64, password: secrecy::SecretString) {
        self.verdict_seq.store(seq, Ordering::SeqCst);
        let latest = self.verdict_seq.clone();
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            tokio::time::sleep(TYPING_PAUSE).await;
            if latest.load(Ordering::SeqCst) != seq {
                return;
            }
            let result = dir.validate_password(&password).await;
            let _ = tx.send(SessionMsg::PasswordVerdict { seq, result });
        });
    }

    /// Asks whether a typed new user name is free once typing pauses: a newer check for the
    /// same user supersedes this one before it is sent.
    fn check_new_upn(&mut self, seq: u64, id: String, upn: String) {
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
        self.tasks.spawn(async move {
            tokio::time::sleep(TYPING_PAUSE).await;
            if newest(&latest, &id) != Some(seq) {
                return;
            }
            let result = restore::check_new_upn(dir.as_ref(), &upn)
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(SessionMsg::NewUpnChecked { id, seq, result });
        });
    }
}
