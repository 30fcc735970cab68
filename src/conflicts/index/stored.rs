//! The index as `kept` stores it: the slots, the arena and the domains, as they are in
//! memory (the lookup tables are built again on load).

use super::*;
use crate::conflicts::kept::{Reader, Writer};

impl ConflictIndex {
    pub(in crate::conflicts) fn write(&self, w: &mut Writer) {
        let live: Vec<&Slot> = self.slots.iter().filter(|s| s.flags & LIVE != 0).collect();
        w.u64(live.len() as u64);
        for s in &live {
            w.bytes(&s.guid);
            w.u32(s.at);
            w.u8(s.kind);
            w.u8(s.flags);
        }
        w.u64(self.arena.len() as u64);
        w.bytes(&self.arena);
        w.u64(self.domains.len() as u64);
        for d in self.domains.iter() {
            w.text(d);
        }
    }

    pub(in crate::conflicts) fn read(r: &mut Reader) -> Option<Self> {
        let n = r.count(22)?;
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            let mut guid = [0u8; 16];
            guid.copy_from_slice(r.bytes(16)?);
            let at = r.u32()?;
            let kind = r.u8()?;
            let flags = r.u8()?;
            if kind > 2 || flags & LIVE == 0 {
                return None;
            }
            slots.push(Slot {
                guid,
                at,
                kind,
                flags,
            });
        }
        let len = r.count(1)?;
        let arena = r.bytes(len)?.to_vec();
        let mut domains = Interner::default();
        for _ in 0..r.count(2)? {
            domains.intern(r.text()?)?;
        }
        let mut index = ConflictIndex {
            slots,
            arena,
            domains,
            ..Default::default()
        };
        // Every record must read whole, names as UTF-8 and keys' domains known: a file
        // that was damaged is refused rather than half believed.
        for slot in &index.slots {
            let mut rec = Record::at(&index.arena, slot.at);
            let (name, keys) = rec.head(slot.flags)?;
            std::str::from_utf8(name).ok()?;
            for _ in 0..keys {
                let (_, _, domain, local) = rec.key()?;
                std::str::from_utf8(local).ok()?;
                if domain != NO_DOMAIN && domain as usize >= index.domains.len() {
                    return None;
                }
            }
            index.counts[usize::from(slot.kind)] += 1;
        }
        index.rekey();
        Some(index)
    }
}
