//! `DeletionLog`: the audit log's `Delete user` records joined to deleted users by id, so each
//! row can say who deleted it, when, and whether the sync service did.
//!
//! Only what is shown is kept (issue 21): per deleted user, who (interned: a tenant's
//! deletions are done by a handful of admins, apps and the sync account), when, the result in
//! words and two flags. The records themselves are dropped as each page is read: 100,000 of
//! them as `DeletionRecord`s took tens of megabytes for a few columns of the table.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};

use super::intern::{Interner, PrehashedState, guid};
use crate::directory::{DeletedUser, DeletionRecord};

/// How far back the sweep asks the audit log: a deleted user older than this is purged.
pub const INITIAL_RETENTION_DAYS: i64 = crate::directory::RETENTION_DAYS;

/// The deletion succeeded.
const SUCCEEDED: u8 = 1;
/// The directory sync service did it.
const BY_SYNC: u8 = 2;

/// What the log keeps of one deleted user's deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kept {
    /// Seconds since the epoch.
    at: i64,
    /// Interned: the actor in words (`Initiator::who`).
    who: u32,
    /// Interned: the result, and its reason when Graph gave one ("failure (…)").
    result: u32,
    flags: u8,
}

/// One deleted user's deletion, as the details pane and `list` show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deletion<'a> {
    pub who: &'a str,
    pub at: DateTime<Utc>,
    /// `success`, `failure`, `timeout` (Graph's `operationResult`), with the reason after it
    /// in brackets when there is one.
    pub result: &'a str,
    pub succeeded: bool,
    pub by_sync: bool,
}

/// What the audit log says about one deleted user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletedBy<'a> {
    Record(Deletion<'a>),
    /// No record, and the deletion is older than anything the log returned: the tenant keeps
    /// its audit log for less time than that (Entra ID Free keeps 7 days).
    BeyondRetention,
    /// No record although the log reaches back that far.
    NotFound,
}

/// Deletion records by the deleted user's id.
#[derive(Debug, Clone, Default)]
pub struct DeletionLog {
    /// Users whose id is a GUID (all of Entra's), by its 16 bytes.
    by_guid: HashMap<u128, Kept, PrehashedState>,
    /// Any other id, lower-cased.
    by_text: HashMap<Box<str>, Kept>,
    words: Interner,
    oldest: Option<DateTime<Utc>>,
    newest: Option<DateTime<Utc>>,
    records: usize,
}

fn seconds(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn time(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

impl DeletionLog {
    /// Keeps, for each user, the latest successful deletion (a user deleted, restored and
    /// deleted again is shown as its last deletion); failed attempts only when nothing
    /// succeeded.
    pub fn build(records: impl IntoIterator<Item = DeletionRecord>) -> Self {
        let mut log = Self::default();
        log.add(records);
        log
    }

    /// Adds a page of records (the sweep adds each as it arrives, and a refresh the records
    /// since the last read). A record already kept (the same user, time and actor, read again
    /// where two reads overlap) is not counted twice.
    pub fn add(&mut self, records: impl IntoIterator<Item = DeletionRecord>) {
        for r in records {
            self.oldest = Some(self.oldest.map_or(r.at, |o| o.min(r.at)));
            self.newest = Some(self.newest.map_or(r.at, |o| o.max(r.at)));
            let mut flags = 0;
            if r.succeeded() {
                flags |= SUCCEEDED;
            }
            if r.by_sync() {
                flags |= BY_SYNC;
            }
            let result = match r.result_reason.as_deref().filter(|w| !w.is_empty()) {
                Some(why) => format!("{} ({why})", r.result),
                None => r.result.clone(),
            };
            let (Some(who), Some(result)) = (
                self.words.intern(&r.initiated_by.who()),
                self.words.intern(&result),
            ) else {
                continue;
            };
            let new = Kept {
                at: seconds(r.at),
                who,
                result,
                flags,
            };
            let slot = match guid(&r.target_id) {
                Some(g) => self.by_guid.entry(g),
                None => {
                    let id = r.target_id.to_ascii_lowercase().into_boxed_str();
                    match self.by_text.entry(id) {
                        Entry::Occupied(o) => {
                            Self::keep_better(o.into_mut(), new, &mut self.records);
                            continue;
                        }
                        Entry::Vacant(v) => {
                            v.insert(new);
                            self.records += 1;
                            continue;
                        }
                    }
                }
            };
            match slot {
                Entry::Occupied(o) => Self::keep_better(o.into_mut(), new, &mut self.records),
                Entry::Vacant(v) => {
                    v.insert(new);
                    self.records += 1;
                }
            }
        }
    }

    /// `new` replaces `old` when it is a success and `old` is not, or later; the same record
    /// read again (two reads overlap) is not counted twice.
    fn keep_better(old: &mut Kept, new: Kept, records: &mut usize) {
        if *old == new {
            return;
        }
        *records += 1;
        if (new.flags & SUCCEEDED, new.at) > (old.flags & SUCCEEDED, old.at) {
            *old = new;
        }
    }

    /// Records read (all of them, before the join kept one per user).
    pub fn records(&self) -> usize {
        self.records
    }

    /// Users the log knows a deletion of.
    pub fn len(&self) -> usize {
        self.by_guid.len() + self.by_text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The oldest record the log returned.
    pub fn oldest(&self) -> Option<DateTime<Utc>> {
        self.oldest
    }

    /// The newest record the log returned: a refresh asks for what came after.
    pub fn newest(&self) -> Option<DateTime<Utc>> {
        self.newest
    }

    fn kept(&self, id: &str) -> Option<&Kept> {
        let lower = id.to_ascii_lowercase();
        match guid(&lower) {
            Some(g) => self.by_guid.get(&g),
            None => self.by_text.get(lower.as_str()),
        }
    }

    pub fn lookup(&self, user: &DeletedUser) -> DeletedBy<'_> {
        if let Some(k) = self.kept(&user.id) {
            return DeletedBy::Record(Deletion {
                who: self.words.resolve(k.who),
                at: time(k.at),
                result: self.words.resolve(k.result),
                succeeded: k.flags & SUCCEEDED != 0,
                by_sync: k.flags & BY_SYNC != 0,
            });
        }
        match (user.deleted_at, self.oldest) {
            (Some(d), Some(o)) if d < o => DeletedBy::BeyondRetention,
            _ => DeletedBy::NotFound,
        }
    }

    /// True when the directory sync service deleted this user.
    pub fn by_sync(&self, user: &DeletedUser) -> bool {
        self.by_sync_id(&user.id)
    }

    /// `by_sync` by the user's id alone (the table's rows are not rebuilt into users for it).
    pub fn by_sync_id(&self, id: &str) -> bool {
        self.kept(id)
            .is_some_and(|k| k.flags & (SUCCEEDED | BY_SYNC) == SUCCEEDED | BY_SYNC)
    }

    /// Forgets deletions older than `before` (their users are purged by now), so a log kept
    /// from run to run does not grow without end.
    pub fn forget_before(&mut self, before: DateTime<Utc>) {
        let cut = seconds(before);
        self.by_guid.retain(|_, k| k.at >= cut);
        self.by_text.retain(|_, k| k.at >= cut);
    }
}

/// The log as `kept` stores it.
pub(super) mod stored {
    use super::*;
    use crate::conflicts::kept::{Reader, Writer};

    fn write_kept(w: &mut Writer, k: &Kept) {
        w.u64(k.at as u64);
        w.u32(k.who);
        w.u32(k.result);
        w.u8(k.flags);
    }

    fn read_kept(r: &mut Reader, words: usize) -> Option<Kept> {
        let k = Kept {
            at: r.u64()? as i64,
            who: r.u32()?,
            result: r.u32()?,
            flags: r.u8()?,
        };
        let known = (k.who as usize) < words && (k.result as usize) < words;
        (known && k.flags & !(SUCCEEDED | BY_SYNC) == 0).then_some(k)
    }

    impl DeletionLog {
        pub(in crate::conflicts) fn write(&self, w: &mut Writer) {
            let time = |t: Option<DateTime<Utc>>| t.map_or(i64::MIN, seconds) as u64;
            w.u64(time(self.oldest));
            w.u64(time(self.newest));
            w.u64(self.records as u64);
            w.u64(self.words.len() as u64);
            for word in self.words.iter() {
                w.text(word);
            }
            w.u64(self.by_guid.len() as u64);
            for (g, k) in &self.by_guid {
                w.bytes(&g.to_le_bytes());
                write_kept(w, k);
            }
            w.u64(self.by_text.len() as u64);
            for (id, k) in &self.by_text {
                w.text(id);
                write_kept(w, k);
            }
        }

        pub(in crate::conflicts) fn read(r: &mut Reader) -> Option<Self> {
            let time = |s: u64| (s as i64 != i64::MIN).then(|| super::time(s as i64));
            let mut log = DeletionLog {
                oldest: time(r.u64()?),
                newest: time(r.u64()?),
                records: usize::try_from(r.u64()?).ok()?,
                ..Default::default()
            };
            for _ in 0..r.count(2)? {
                log.words.intern(r.text()?)?;
            }
            let words = log.words.len();
            for _ in 0..r.count(33)? {
                let mut g = [0u8; 16];
                g.copy_from_slice(r.bytes(16)?);
                log.by_guid
                    .insert(u128::from_le_bytes(g), read_kept(r, words)?);
            }
            for _ in 0..r.count(23)? {
                let id: Box<str> = r.text()?.into();
                log.by_text.insert(id, read_kept(r, words)?);
            }
            Some(log)
        }
    }
}
