//! `ConflictIndex`: every name and address the active side of the directory holds, keyed for
//! the join with the deleted users, and kept up to date by delta rounds.
//!
//! Sized for tens of thousands of holders: a holder is a slot (kind, id, name), and each of its
//! keys (lower-cased UPN or SMTP address) is one map entry pointing at the slot, a UPN and an
//! identical primary address sharing one entry. Removing a holder does not need its old keys:
//! a delta page's changed slots are dropped from the maps in one pass.

use std::collections::{HashMap, HashSet};

use super::{Conflict, ConflictKind, HolderRef};
use crate::directory::{DeletedUser, Holder, HolderChange, HolderKind};

/// The key is the holder's user principal name.
const AS_UPN: u8 = 1;
/// The key is one of the holder's SMTP addresses (a proxy address or its mail).
const AS_ADDRESS: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    slot: u32,
    flags: u8,
}

#[derive(Debug, Clone)]
struct Slot {
    kind: HolderKind,
    id: Box<str>,
    name: Box<str>,
}

/// The address part of an SMTP proxy address (`SMTP:` primary or `smtp:` alias, any case);
/// `None` for other address types (`SIP:`, `X500:`, ...), which a restore does not collide on.
pub fn smtp_address(proxy: &str) -> Option<&str> {
    match proxy.split_once(':') {
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case("smtp") && !rest.is_empty() => {
            Some(rest)
        }
        _ => None,
    }
}

/// The key of a name or address: trimmed and lower-cased, into `buf` (the join looks up tens of
/// thousands of keys; reusing one buffer keeps it to one allocation).
fn lower_into(buf: &mut String, s: &str) {
    buf.clear();
    let s = s.trim();
    if s.is_ascii() {
        buf.push_str(s);
        buf.make_ascii_lowercase();
    } else {
        buf.push_str(&s.to_lowercase());
    }
}

fn key(s: &str) -> Box<str> {
    let mut buf = String::new();
    lower_into(&mut buf, s);
    buf.into_boxed_str()
}

/// What the active side of the directory holds, ready to be joined with deleted users.
#[derive(Debug, Clone, Default)]
pub struct ConflictIndex {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    /// The first holder of each key.
    keys: HashMap<Box<str>, Entry>,
    /// Further holders of a key already in `keys` (proxy addresses are unique in a healthy
    /// directory, so this stays empty or nearly).
    more: HashMap<Box<str>, Vec<Entry>>,
    counts: [usize; 3],
}

impl ConflictIndex {
    /// An index of these holders (active users, groups and contacts, in any order).
    pub fn build<'a>(holders: impl IntoIterator<Item = &'a Holder>) -> Self {
        let mut index = Self::default();
        for h in holders {
            index.insert(h);
        }
        index
    }

    /// Adds holders read by a listing (the sweep inserts each page as it arrives).
    pub fn extend(&mut self, holders: impl IntoIterator<Item = Holder>) {
        for h in holders {
            self.insert(&h);
        }
    }

    /// Holders of `kind` in the index.
    pub fn count(&self, kind: HolderKind) -> usize {
        self.counts[kind.index()]
    }

    pub fn len(&self) -> usize {
        self.counts.iter().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert(&mut self, h: &Holder) {
        let slot = Slot {
            kind: h.kind,
            id: h.id.as_str().into(),
            name: h.display_name.as_str().into(),
        };
        let n = match self.free.pop() {
            Some(n) => {
                self.slots[n as usize] = Some(slot);
                n
            }
            None => {
                // Past four billion holders the index stops growing rather than wrapping.
                let Ok(n) = u32::try_from(self.slots.len()) else {
                    return;
                };
                self.slots.push(Some(slot));
                n
            }
        };
        self.counts[h.kind.index()] += 1;
        if let Some(upn) = h.user_principal_name.as_deref().filter(|u| !u.is_empty()) {
            self.add_key(key(upn), n, AS_UPN);
        }
        let addresses = h
            .proxy_addresses
            .iter()
            .filter_map(|p| smtp_address(p))
            .chain(h.mail.as_deref());
        for a in addresses {
            self.add_key(key(a), n, AS_ADDRESS);
        }
    }

    fn add_key(&mut self, k: Box<str>, slot: u32, flag: u8) {
        match self.keys.get_mut(&k) {
            None => {
                self.keys.insert(k, Entry { slot, flags: flag });
            }
            Some(e) if e.slot == slot => e.flags |= flag,
            Some(_) => {
                let more = self.more.entry(k).or_default();
                match more.iter_mut().find(|e| e.slot == slot) {
                    Some(e) => e.flags |= flag,
                    None => more.push(Entry { slot, flags: flag }),
                }
            }
        }
    }

    /// Drops every key of these slots and empties them.
    fn remove_slots(&mut self, slots: &HashSet<u32>) {
        if slots.is_empty() {
            return;
        }
        self.keys.retain(|_, e| !slots.contains(&e.slot));
        self.more.retain(|_, v| {
            v.retain(|e| !slots.contains(&e.slot));
            !v.is_empty()
        });
        for &n in slots {
            if let Some(s) = self.slots.get_mut(n as usize).and_then(Option::take) {
                self.counts[s.kind.index()] -= 1;
                self.free.push(n);
            }
        }
    }

    /// Applies one page of a delta round: added and changed objects replace what the index held
    /// for them, `@removed` ones leave it. Changes are applied in page order, so an object
    /// changed twice ends as its last change says.
    pub fn apply(&mut self, changes: &[HolderChange]) {
        if changes.is_empty() {
            return;
        }
        let ids: HashSet<&str> = changes.iter().map(HolderChange::id).collect();
        let stale: HashSet<u32> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(n, s)| {
                let s = s.as_ref()?;
                ids.contains(&*s.id).then_some(n as u32)
            })
            .collect();
        self.remove_slots(&stale);
        // The last change of each id wins.
        let mut last: HashMap<&str, &HolderChange> = HashMap::new();
        for c in changes {
            last.insert(c.id(), c);
        }
        for c in changes {
            if let HolderChange::Upsert(h) = c
                && last.get(h.id.as_str()).is_some_and(|l| std::ptr::eq(*l, c))
            {
                self.insert(h);
            }
        }
    }

    /// Replaces everything held for `kind` (a full re-read, when a delta round could not run).
    pub fn replace_kind(&mut self, kind: HolderKind, holders: impl IntoIterator<Item = Holder>) {
        let stale: HashSet<u32> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(n, s)| (s.as_ref()?.kind == kind).then_some(n as u32))
            .collect();
        self.remove_slots(&stale);
        self.extend(holders);
    }

    fn holders_of(&self, k: &str, flag: u8) -> impl Iterator<Item = &Slot> {
        let first = self.keys.get(k).into_iter();
        let more = self.more.get(k).into_iter().flatten();
        first
            .chain(more)
            .filter(move |e| e.flags & flag != 0)
            .filter_map(|e| self.slots.get(e.slot as usize)?.as_ref())
    }

    /// True when an active user holds this user principal name (any case).
    pub fn upn_taken(&self, upn: &str) -> bool {
        self.holders_of(&key(upn), AS_UPN).next().is_some()
    }

    /// Everything that stands in the way of restoring `user` as it was: its original UPN held
    /// by an active user, and each of its SMTP addresses held by a user, group or contact
    /// (compared without case, `SMTP:` and `smtp:` alike). The user itself is never its own
    /// conflict: after a restore (or a rename) it may be in the index under the same id.
    pub fn conflicts_for(&self, user: &DeletedUser) -> Vec<Conflict> {
        let mut out = Vec::new();
        let mut buf = String::new();
        let other = |s: &&Slot| !s.id.eq_ignore_ascii_case(&user.id);
        let holder = |s: &Slot| HolderRef {
            kind: s.kind,
            id: s.id.to_string(),
            name: s.name.to_string(),
        };
        if !user.original_upn.is_empty() {
            lower_into(&mut buf, &user.original_upn);
            for s in self.holders_of(&buf, AS_UPN).filter(other) {
                out.push(Conflict {
                    kind: ConflictKind::Upn,
                    address: user.original_upn.clone(),
                    holder: holder(s),
                });
            }
        }
        let mut seen: Vec<String> = Vec::new();
        for p in &user.proxy_addresses {
            let Some(a) = smtp_address(p) else { continue };
            lower_into(&mut buf, a);
            if seen.contains(&buf) {
                continue;
            }
            for s in self.holders_of(&buf, AS_ADDRESS).filter(other) {
                out.push(Conflict {
                    kind: ConflictKind::Proxy,
                    address: p.clone(),
                    holder: holder(s),
                });
            }
            seen.push(buf.clone());
        }
        out
    }
}
