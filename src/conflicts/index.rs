//! `ConflictIndex`: every name and address the active side of the directory holds, keyed for
//! the join with the deleted users, and kept up to date by delta rounds.
//!
//! Sized for a million holders in about 100 MB (issue 21: the sweep over 1,000,000 active
//! users adds under 150 MB). Nothing is kept per holder as a `String` of its own:
//! - a holder is a fixed 24-byte slot: its id as 16 bytes (every Entra id is a GUID; another
//!   spelling is kept as text), its kind, and where its record starts in one byte arena;
//! - the record holds its display name and its keys, each key case-folded once and split at
//!   the `@`: the local part as text, the domain as a number from an interner (a tenant's
//!   million addresses share a handful of domains);
//! - the lookup table maps a 32-bit hash of a key to the slot and the key's place in the
//!   arena (12 bytes an entry); a hit is confirmed against the arena, so two keys that share
//!   a hash never mix (the rare second one waits in `more`).
//!
//! A UPN and an identical primary address are one key with both flags. Removing a holder
//! reads its keys back from its record, so a delta page costs what it changes plus one pass
//! over the slots to find them; the arena is compacted once half of it is garbage.

use std::collections::{HashMap, HashSet};
use std::hash::Hasher;

use super::intern::{Interner, PrehashedState, guid, guid_text};
use super::{Conflict, ConflictKind, HolderRef};
use crate::directory::{DeletedUser, Holder, HolderChange, HolderKind};

mod record;
mod stored;

use record::{
    AS_ADDRESS, AS_UPN, Entry, LIVE, NO_DOMAIN, Record, Slot, TEXT_ID, cut_at_char, kind_of,
    push_text,
};

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

/// A folded key split at its last `@`.
fn split(key: &str) -> (&str, Option<&str>) {
    match key.rsplit_once('@') {
        Some((local, domain)) => (local, Some(domain)),
        None => (key, None),
    }
}

fn key_hash(local: &[u8], domain: u32) -> u32 {
    let mut h = std::hash::DefaultHasher::new();
    h.write(local);
    h.write_u32(domain);
    (h.finish() >> 32) as u32
}

/// What the active side of the directory holds, ready to be joined with deleted users.
#[derive(Debug, Clone, Default)]
pub struct ConflictIndex {
    slots: Vec<Slot>,
    free: Vec<u32>,
    arena: Vec<u8>,
    /// Bytes of the arena that belong to no live slot.
    garbage: usize,
    domains: Interner,
    /// The first holder of each key hash.
    keys: HashMap<u32, Entry, PrehashedState>,
    /// Further holders of a hash already in `keys`: another holder of the same key (proxy
    /// addresses are unique in a healthy directory) or another key with the same hash.
    more: HashMap<u32, Vec<Entry>, PrehashedState>,
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

    /// The holder's keys, folded, with their flags: a UPN and an identical address are one.
    fn keys_of(h: &Holder) -> Vec<(String, u8)> {
        let mut out: Vec<(String, u8)> = Vec::new();
        let mut add = |s: &str, flag: u8| {
            let mut k = String::new();
            lower_into(&mut k, s);
            if k.is_empty() {
                return;
            }
            match out.iter_mut().find(|(o, _)| *o == k) {
                Some((_, f)) => *f |= flag,
                None => out.push((k, flag)),
            }
        };
        if let Some(upn) = h.user_principal_name.as_deref() {
            add(upn, AS_UPN);
        }
        for p in &h.proxy_addresses {
            if let Some(a) = smtp_address(p) {
                add(a, AS_ADDRESS);
            }
        }
        if let Some(mail) = h.mail.as_deref() {
            add(mail, AS_ADDRESS);
        }
        out
    }

    fn insert(&mut self, h: &Holder) {
        let (Ok(at), Ok(slot_count)) = (
            u32::try_from(self.arena.len()),
            u32::try_from(self.slots.len()),
        ) else {
            // Past four gigabytes of names, or four billion holders, the index stops growing
            // rather than wrapping.
            return;
        };
        let id = guid(&h.id);
        let mut flags = LIVE;
        if id.is_none() {
            flags |= TEXT_ID;
            push_text(&mut self.arena, h.id.as_bytes());
        }
        push_text(
            &mut self.arena,
            cut_at_char(&h.display_name, usize::from(u16::MAX)).as_bytes(),
        );
        let keys = Self::keys_of(h);
        let count_at = self.arena.len();
        self.arena.extend_from_slice(&0u16.to_le_bytes());
        let slot = Slot {
            guid: id.unwrap_or(0).to_le_bytes(),
            at,
            kind: h.kind.index() as u8,
            flags,
        };
        let n = match self.free.pop() {
            Some(n) => {
                self.slots[n as usize] = slot;
                n
            }
            None => {
                self.slots.push(slot);
                slot_count
            }
        };
        let mut written: u16 = 0;
        for (key, flag) in keys {
            if written == u16::MAX {
                break;
            }
            let (local, domain) = split(&key);
            let domain = match domain {
                Some(d) => match self.domains.intern(d) {
                    Some(d) => d,
                    None => continue,
                },
                None => NO_DOMAIN,
            };
            if local.len() > usize::from(u16::MAX) {
                continue;
            }
            let Ok(key_at) = u32::try_from(self.arena.len()) else {
                break;
            };
            self.arena.push(flag);
            self.arena.extend_from_slice(&domain.to_le_bytes());
            push_text(&mut self.arena, local.as_bytes());
            written += 1;
            self.add_entry(
                key_hash(local.as_bytes(), domain),
                Entry { slot: n, key_at },
            );
        }
        self.arena[count_at..count_at + 2].copy_from_slice(&written.to_le_bytes());
        self.counts[h.kind.index()] += 1;
    }

    fn add_entry(&mut self, hash: u32, entry: Entry) {
        match self.keys.entry(hash) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(entry);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.more.entry(hash).or_default().push(entry);
            }
        }
    }

    fn remove_entry(&mut self, hash: u32, slot: u32) {
        if self.keys.get(&hash).is_some_and(|e| e.slot == slot) {
            // The first of the rest (if any) takes its place.
            let promoted = match self.more.get_mut(&hash) {
                Some(rest) if !rest.is_empty() => Some(rest.remove(0)),
                _ => None,
            };
            if self.more.get(&hash).is_some_and(Vec::is_empty) {
                self.more.remove(&hash);
            }
            match promoted {
                Some(e) => {
                    self.keys.insert(hash, e);
                }
                None => {
                    self.keys.remove(&hash);
                }
            }
        } else if let Some(rest) = self.more.get_mut(&hash) {
            rest.retain(|e| e.slot != slot);
            if rest.is_empty() {
                self.more.remove(&hash);
            }
        }
    }

    /// The hashes of a slot's keys and the record's length.
    fn slot_keys(&self, slot: &Slot) -> (Vec<u32>, usize) {
        let mut r = Record::at(&self.arena, slot.at);
        let mut hashes = Vec::new();
        if let Some((_, n)) = r.head(slot.flags) {
            for _ in 0..n {
                let Some((_, _, domain, local)) = r.key() else {
                    break;
                };
                hashes.push(key_hash(local, domain));
            }
        }
        (hashes, r.end().saturating_sub(slot.at as usize))
    }

    /// Drops every key of these slots and empties them.
    fn remove_slots(&mut self, slots: &HashSet<u32>) {
        for &n in slots {
            let Some(slot) = self.slots.get(n as usize).copied() else {
                continue;
            };
            if slot.flags & LIVE == 0 {
                continue;
            }
            let (hashes, len) = self.slot_keys(&slot);
            for h in hashes {
                self.remove_entry(h, n);
            }
            self.slots[n as usize].flags = 0;
            self.garbage += len;
            self.counts[usize::from(slot.kind).min(2)] -= 1;
            self.free.push(n);
        }
        self.compact_if_wasteful();
    }

    /// Rewrites the arena with the live records only, once half of it is garbage, and keys
    /// everything again (offsets moved).
    fn compact_if_wasteful(&mut self) {
        if self.garbage < 1 << 20 || self.garbage * 2 < self.arena.len() {
            return;
        }
        let old = std::mem::take(&mut self.arena);
        let mut arena = Vec::with_capacity(old.len() - self.garbage);
        for slot in self.slots.iter_mut().filter(|s| s.flags & LIVE != 0) {
            let start = slot.at as usize;
            let mut r = Record::at(&old, slot.at);
            if let Some((_, n)) = r.head(slot.flags) {
                for _ in 0..n {
                    if r.key().is_none() {
                        break;
                    }
                }
            }
            let end = r.end().max(start);
            slot.at = arena.len() as u32;
            arena.extend_from_slice(old.get(start..end).unwrap_or(&[]));
        }
        self.arena = arena;
        self.garbage = 0;
        self.rekey();
    }

    /// Builds the lookup tables again from the records (after a compaction, or a load).
    fn rekey(&mut self) {
        self.keys = HashMap::with_capacity_and_hasher(self.slots.len(), PrehashedState::default());
        self.more = HashMap::default();
        for n in 0..self.slots.len() {
            let slot = self.slots[n];
            if slot.flags & LIVE == 0 {
                continue;
            }
            let mut r = Record::at(&self.arena, slot.at);
            let Some((_, count)) = r.head(slot.flags) else {
                continue;
            };
            let mut found = Vec::with_capacity(usize::from(count));
            for _ in 0..count {
                let Some((key_at, _, domain, local)) = r.key() else {
                    break;
                };
                found.push((key_hash(local, domain), key_at));
            }
            for (hash, key_at) in found {
                let entry = Entry {
                    slot: n as u32,
                    key_at,
                };
                self.add_entry(hash, entry);
            }
        }
    }

    fn id_text(&self, slot: &Slot) -> String {
        if slot.flags & TEXT_ID != 0 {
            let mut r = Record::at(&self.arena, slot.at);
            let id = r.text().unwrap_or_default();
            String::from_utf8_lossy(id).into_owned()
        } else {
            guid_text(u128::from_le_bytes(slot.guid))
        }
    }

    fn name_text(&self, slot: &Slot) -> String {
        let mut r = Record::at(&self.arena, slot.at);
        let name = r.head(slot.flags).map_or(&[][..], |(n, _)| n);
        String::from_utf8_lossy(name).into_owned()
    }

    /// True when the slot's id is `id` (exactly as the directory spells it).
    fn has_id(&self, slot: &Slot, id: &IdKey) -> bool {
        match id {
            IdKey::Guid(g) => slot.flags & TEXT_ID == 0 && u128::from_le_bytes(slot.guid) == *g,
            IdKey::Text(t) => {
                slot.flags & TEXT_ID != 0
                    && Record::at(&self.arena, slot.at).text() == Some(t.as_bytes())
            }
        }
    }

    /// True when the slot's id is `id` in any ASCII case (a user is never its own conflict).
    fn is_same_user(&self, slot: &Slot, id: &str) -> bool {
        if slot.flags & TEXT_ID != 0 {
            Record::at(&self.arena, slot.at)
                .text()
                .is_some_and(|t| t.eq_ignore_ascii_case(id.as_bytes()))
        } else {
            guid(&id.to_ascii_lowercase()) == Some(u128::from_le_bytes(slot.guid))
        }
    }

    /// Applies one page of a delta round: added and changed objects replace what the index held
    /// for them, `@removed` ones leave it. Changes are applied in page order, so an object
    /// changed twice ends as its last change says.
    pub fn apply(&mut self, changes: &[HolderChange]) {
        if changes.is_empty() {
            return;
        }
        let ids: Vec<IdKey> = changes.iter().map(|c| IdKey::of(c.id())).collect();
        let guids: HashSet<u128> = ids
            .iter()
            .filter_map(|i| match i {
                IdKey::Guid(g) => Some(*g),
                IdKey::Text(_) => None,
            })
            .collect();
        let texts: Vec<&IdKey> = ids.iter().filter(|i| matches!(i, IdKey::Text(_))).collect();
        let stale: HashSet<u32> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.flags & LIVE != 0)
            .filter(|(_, s)| {
                if s.flags & TEXT_ID == 0 {
                    guids.contains(&u128::from_le_bytes(s.guid))
                } else {
                    texts.iter().any(|t| self.has_id(s, t))
                }
            })
            .map(|(n, _)| n as u32)
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
            .filter(|(_, s)| s.flags & LIVE != 0 && s.kind == kind.index() as u8)
            .map(|(n, _)| n as u32)
            .collect();
        self.remove_slots(&stale);
        self.extend(holders);
    }

    /// The live slots holding the folded key `key` with `flag`.
    fn holders_of(&self, key: &str, flag: u8) -> Vec<u32> {
        let (local, domain) = split(key);
        let domain = match domain {
            // A domain nobody holds an address in: nothing to find.
            Some(d) => match self.domains.get(d) {
                Some(d) => d,
                None => return Vec::new(),
            },
            None => NO_DOMAIN,
        };
        let hash = key_hash(local.as_bytes(), domain);
        let first = self.keys.get(&hash).into_iter();
        let more = self.more.get(&hash).into_iter().flatten();
        first
            .chain(more)
            .filter(|e| {
                let Some(slot) = self.slots.get(e.slot as usize) else {
                    return false;
                };
                if slot.flags & LIVE == 0 {
                    return false;
                }
                let mut r = Record::at(&self.arena, e.key_at);
                matches!(r.key(), Some((_, f, d, l)) if f & flag != 0 && d == domain && l == local.as_bytes())
            })
            .map(|e| e.slot)
            .collect()
    }

    /// True when an active user holds this user principal name (any case).
    pub fn upn_taken(&self, upn: &str) -> bool {
        let mut buf = String::new();
        lower_into(&mut buf, upn);
        !self.holders_of(&buf, AS_UPN).is_empty()
    }

    fn holder_ref(&self, n: u32) -> HolderRef {
        let slot = &self.slots[n as usize];
        HolderRef {
            kind: kind_of(slot.kind),
            id: self.id_text(slot),
            name: self.name_text(slot),
        }
    }

    /// Everything that stands in the way of restoring `user` as it was: its original UPN held
    /// by an active user, and each of its SMTP addresses held by a user, group or contact
    /// (compared without case, `SMTP:` and `smtp:` alike). The user itself is never its own
    /// conflict: after a restore (or a rename) it may be in the index under the same id.
    pub fn conflicts_for(&self, user: &DeletedUser) -> Vec<Conflict> {
        self.conflicts_of(
            &user.id,
            &user.original_upn,
            user.proxy_addresses.iter().map(String::as_str),
        )
    }

    /// `conflicts_for` from the user's id, original user name and proxy addresses, wherever
    /// they are kept (the table joins its packed rows without rebuilding users).
    pub fn conflicts_of<'a>(
        &self,
        id: &str,
        original_upn: &str,
        proxy_addresses: impl Iterator<Item = &'a str>,
    ) -> Vec<Conflict> {
        let mut out = Vec::new();
        let mut buf = String::new();
        let other = |n: &&u32| !self.is_same_user(&self.slots[**n as usize], id);
        if !original_upn.is_empty() {
            lower_into(&mut buf, original_upn);
            for n in self.holders_of(&buf, AS_UPN).iter().filter(other) {
                out.push(Conflict {
                    kind: ConflictKind::Upn,
                    address: original_upn.to_string(),
                    holder: self.holder_ref(*n),
                });
            }
        }
        let mut seen: Vec<String> = Vec::new();
        for p in proxy_addresses {
            let Some(a) = smtp_address(p) else { continue };
            lower_into(&mut buf, a);
            if seen.contains(&buf) {
                continue;
            }
            for n in self.holders_of(&buf, AS_ADDRESS).iter().filter(other) {
                out.push(Conflict {
                    kind: ConflictKind::Proxy,
                    address: p.to_string(),
                    holder: self.holder_ref(*n),
                });
            }
            seen.push(buf.clone());
        }
        // The TUI keeps these for every conflicted row (385,646 of them for 100,000 seeded
        // users): held at their length, not at what pushing grew them to.
        out.shrink_to_fit();
        out
    }

    /// True when `user` has any conflict (`list --conflicts`: nothing is built).
    pub fn has_conflict(&self, user: &DeletedUser) -> bool {
        self.has_conflict_of(
            &user.id,
            &user.original_upn,
            user.proxy_addresses.iter().map(String::as_str),
        )
    }

    /// Whether any of the deleted user's values is held by another object: the join's
    /// question, answered without building the conflicts (the details pane asks for those of
    /// the one user it shows), so what the join keeps is one id per conflicted user.
    pub fn has_conflict_of<'a>(
        &self,
        id: &str,
        original_upn: &str,
        mut proxy_addresses: impl Iterator<Item = &'a str>,
    ) -> bool {
        let mut buf = String::new();
        let other = |n: &u32| !self.is_same_user(&self.slots[*n as usize], id);
        if !original_upn.is_empty() {
            lower_into(&mut buf, original_upn);
            if self.holders_of(&buf, AS_UPN).iter().any(other) {
                return true;
            }
        }
        proxy_addresses.any(|p| {
            smtp_address(p).is_some_and(|a| {
                lower_into(&mut buf, a);
                self.holders_of(&buf, AS_ADDRESS).iter().any(other)
            })
        })
    }
}

/// An id as the index compares it.
enum IdKey {
    Guid(u128),
    Text(String),
}

impl IdKey {
    fn of(id: &str) -> Self {
        match guid(id) {
            Some(g) => IdKey::Guid(g),
            None => IdKey::Text(id.to_string()),
        }
    }
}
