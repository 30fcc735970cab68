//! `DeletionLog`: the audit log's `Delete user` records joined to deleted users by id, so each
//! row can say who deleted it, when, and whether the sync service did.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::directory::{DeletedUser, DeletionRecord};

/// How far back the sweep asks the audit log: a deleted user older than this is purged.
pub const INITIAL_RETENTION_DAYS: i64 = crate::directory::RETENTION_DAYS;

/// What the audit log says about one deleted user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletedBy<'a> {
    Record(&'a DeletionRecord),
    /// No record, and the deletion is older than anything the log returned: the tenant keeps
    /// its audit log for less time than that (Entra ID Free keeps 7 days).
    BeyondRetention,
    /// No record although the log reaches back that far.
    NotFound,
}

/// Deletion records by the deleted user's id.
#[derive(Debug, Clone, Default)]
pub struct DeletionLog {
    by_target: HashMap<String, DeletionRecord>,
    oldest: Option<DateTime<Utc>>,
    records: usize,
}

impl DeletionLog {
    /// Keeps, for each user, the latest successful deletion (a user deleted, restored and
    /// deleted again is shown as its last deletion); failed attempts only when nothing
    /// succeeded.
    pub fn build(records: impl IntoIterator<Item = DeletionRecord>) -> Self {
        let mut log = Self::default();
        for r in records {
            log.records += 1;
            log.oldest = Some(log.oldest.map_or(r.at, |o| o.min(r.at)));
            let better = match log.by_target.get(&r.target_id) {
                None => true,
                Some(old) => (r.succeeded(), r.at) > (old.succeeded(), old.at),
            };
            if better {
                log.by_target.insert(r.target_id.clone(), r);
            }
        }
        log
    }

    /// Records read (all of them, before the join kept one per user).
    pub fn records(&self) -> usize {
        self.records
    }

    /// The oldest record the log returned.
    pub fn oldest(&self) -> Option<DateTime<Utc>> {
        self.oldest
    }

    pub fn lookup(&self, user: &DeletedUser) -> DeletedBy<'_> {
        if let Some(r) = self.by_target.get(&user.id.to_ascii_lowercase()) {
            return DeletedBy::Record(r);
        }
        match (user.deleted_at, self.oldest) {
            (Some(d), Some(o)) if d < o => DeletedBy::BeyondRetention,
            _ => DeletedBy::NotFound,
        }
    }

    /// True when the directory sync service deleted this user.
    pub fn by_sync(&self, user: &DeletedUser) -> bool {
        matches!(self.lookup(user), DeletedBy::Record(r) if r.by_sync() && r.succeeded())
    }
}
