//! The conflict sweep's work in a session: the first read, the delta rounds that refresh it,
//! and what is kept of it in the directory's books folder for the next launch.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::SessionRunner;
use crate::app::msg::SessionMsg;

/// What `SessionRunner::keep` writes.
pub(super) enum Keep {
    Sweep(Arc<crate::conflicts::Sweep>),
    Deletions(Arc<crate::conflicts::DeletionsState>),
}

impl SessionRunner {
    /// The conflict sweep and the audit log's deletions, side by side on their own tasks:
    /// each lands as a message when done; a refused or failed read says so in its status and
    /// never fails the table.
    pub(super) fn sweep(&mut self, now: DateTime<Utc>) {
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        let slots = self.tenant_slots.clone();
        self.tasks.spawn(async move {
            // The longest read of a session: the run's tenants take turns at it.
            let Ok(_turn) = slots.acquire_owned().await else {
                return;
            };
            let sweep = crate::conflicts::sweep(dir.as_ref(), now).await;
            let _ = tx.send(SessionMsg::Swept(Box::new(sweep)));
        });
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            let deletions = crate::conflicts::read_deletions(dir.as_ref(), now).await;
            let _ = tx.send(SessionMsg::Deletions(Box::new(deletions)));
        });
    }

    /// After a launch from what was kept, and on `R`: what changed since the last sweep
    /// (delta rounds) and the audit log since its last read, in the background.
    pub(super) fn sweep_refresh(
        &mut self,
        links: [Option<String>; 3],
        deletions: Option<Arc<crate::conflicts::DeletionsState>>,
        now: DateTime<Utc>,
    ) {
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            let changes = crate::conflicts::read_changes(dir.as_ref(), links, now).await;
            let _ = tx.send(SessionMsg::SweepChanges(Box::new(changes)));
        });
        let dir = self.dir.clone();
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            let deletions = match deletions {
                // The screen keeps its copy until the new one lands.
                Some(kept) => {
                    let kept = Arc::try_unwrap(kept).unwrap_or_else(|a| (*a).clone());
                    crate::conflicts::refresh_deletions(dir.as_ref(), kept, now).await
                }
                None => crate::conflicts::read_deletions(dir.as_ref(), now).await,
            };
            let _ = tx.send(SessionMsg::Deletions(Box::new(deletions)));
        });
    }

    /// Reads back what the last run kept of the sweep for this directory, off the event loop;
    /// with `--no-cache` nothing is read, and what was kept is removed (this directory's only).
    pub(super) fn recall_sweep(&mut self) {
        let tx = self.tx.clone();
        let books = self.session.books();
        let keep = self.session.settings.cache;
        self.tasks.spawn_blocking(move || {
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
            let _ = tx.send(SessionMsg::Recalled(Box::new(recalled)));
        });
    }

    /// Keeps the sweep (or the deletion log) for the next launch, off the event loop. A write
    /// that fails only costs the next launch its head start: logged, and said once.
    pub(super) fn keep(&mut self, what: Keep) {
        if !self.session.settings.cache {
            return;
        }
        let tx = self.tx.clone();
        let books = self.session.books();
        // Not one of the session's tasks: a write under way when the session ends (the admin
        // quits as the sweep lands) must finish, or the next launch starts from nothing.
        tokio::task::spawn_blocking(move || {
            use crate::conflicts::kept;
            let written = match &what {
                Keep::Sweep(s) => kept::save_sweep(&books, s),
                Keep::Deletions(d) => kept::save_deletions(&books, d),
            };
            if let Err(e) = written {
                tracing::warn!("cannot keep the conflict sweep for the next launch: {e}");
                let _ = tx.send(SessionMsg::Info(format!(
                    "The conflict sweep could not be kept for the next launch ({e}); it will \
                     be read in full then"
                )));
            }
        });
    }
}
