//! Know before you restore: which deleted users cannot come back as they were (their user name
//! or an address is now held by someone else), and who deleted each of them.
//!
//! The sweep (`sweep.rs`) reads once, side by side, everything that can collide with a deleted
//! user: active users, groups and org contacts; then delta rounds keep it current. The join
//! (`ConflictIndex`, pure and local) finds every deleted user's conflicts at once. The audit log
//! is read once too and joined by the deleted user's id (`DeletionLog`). The per-user pre-flight
//! right before a restore (`restore::preflight`) stays the authority: the sweep is what the
//! table shows up front, and the same words say what the restore dialog will offer. Both are
//! kept per directory between runs (`kept`), so a launch shows the last known badges at once
//! and refreshes them with one delta round.

mod deletions;
mod index;
pub mod intern;
pub mod kept;
mod sweep;

use std::collections::HashMap;

pub use deletions::{DeletedBy, Deletion, DeletionLog, INITIAL_RETENTION_DAYS};
pub use index::{ConflictIndex, smtp_address};
pub use sweep::{
    AUDIT_OVERLAP_HOURS, Changes, DeletionsState, SourceStatus, Sweep, read_changes,
    read_deletions, refresh_deletions, refused_note, sweep, sweep_once, token_refused,
};

use crate::directory::{DeletedUser, HolderKind};
use crate::restore::preflight::{PROXY_ADVICE, first_free_upn, new_upn_advice};

/// Which of the deleted user's values is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ConflictKind {
    /// Its original user principal name is an active user's now.
    #[serde(rename = "userPrincipalName")]
    Upn,
    /// One of its SMTP proxy addresses is held by a user, group or contact.
    #[serde(rename = "proxyAddresses")]
    Proxy,
}

/// The object holding a deleted user's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderRef {
    pub kind: HolderKind,
    pub id: String,
    pub name: String,
}

/// One value of a deleted user that another object holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub kind: ConflictKind,
    /// The deleted user's value as it has it: its UPN, or the proxy address with its prefix.
    pub address: String,
    pub holder: HolderRef,
}

impl Conflict {
    /// The conflict in words: what is taken and by whom (kind, name, id).
    pub fn describe(&self) -> String {
        let what = match self.kind {
            ConflictKind::Upn => "user name",
            ConflictKind::Proxy => "proxy address",
        };
        format!(
            "{what} {} is held by {} \"{}\" ({})",
            self.address,
            self.holder.kind.noun(),
            self.holder.name,
            self.holder.id
        )
    }

    /// What the restore dialog will offer for it, in the pre-flight's words: a new user name
    /// (the first free one the index knows of), or removing the conflicting proxy addresses.
    pub fn offer(&self, index: &ConflictIndex) -> String {
        match self.kind {
            ConflictKind::Upn => {
                let free = first_free_upn(&self.address, |c| index.upn_taken(c));
                new_upn_advice(free.as_deref())
            }
            ConflictKind::Proxy => PROXY_ADVICE.to_string(),
        }
    }
}

/// Every conflicted user's conflicts, by user id: the whole join, once, after a sweep or a
/// delta round.
pub fn join(index: &ConflictIndex, users: &[DeletedUser]) -> HashMap<String, Vec<Conflict>> {
    users
        .iter()
        .filter_map(|u| {
            let c = index.conflicts_for(u);
            (!c.is_empty()).then(|| (u.id.clone(), c))
        })
        .collect()
}

#[cfg(test)]
mod tests;
