//! How a holder sits in the index: its fixed slot, one lookup entry per key, and its record in
//! the arena (the id when it is not a GUID, the name, then each key's flags, domain number and
//! local part), written and read back here.

use crate::directory::HolderKind;

/// The key is the holder's user principal name.
pub(super) const AS_UPN: u8 = 1;
/// The key is one of the holder's SMTP addresses (a proxy address or its mail).
pub(super) const AS_ADDRESS: u8 = 2;
/// A key without an `@` (not an address; kept whole as its local part).
pub(super) const NO_DOMAIN: u32 = u32::MAX;

/// The slot holds a holder (free slots wait for reuse).
pub(super) const LIVE: u8 = 1;
/// The id is not a lower-case GUID: its text leads the record.
pub(super) const TEXT_ID: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    pub(super) guid: [u8; 16],
    /// Where the record starts in the arena.
    pub(super) at: u32,
    pub(super) kind: u8,
    pub(super) flags: u8,
}

/// One key of one holder: the slot and where the key sits in the arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) slot: u32,
    pub(super) key_at: u32,
}

pub(super) fn kind_of(n: u8) -> HolderKind {
    match n {
        0 => HolderKind::User,
        1 => HolderKind::Group,
        _ => HolderKind::Contact,
    }
}

/// Reads a holder's record from the arena; every read is checked, so a record that is cut
/// short (a kept index damaged on disk) reads as empty rather than panicking.
pub(super) struct Record<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Record<'a> {
    pub(super) fn at(arena: &'a [u8], at: u32) -> Self {
        Self {
            bytes: arena,
            pos: at as usize,
        }
    }

    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.bytes.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(super) fn text(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// Skips the id (when the record holds one) and returns the name and the number of keys.
    pub(super) fn head(&mut self, flags: u8) -> Option<(&'a [u8], u16)> {
        if flags & TEXT_ID != 0 {
            self.text()?;
        }
        let name = self.text()?;
        let keys = self.u16()?;
        Some((name, keys))
    }

    /// The next key: where it starts, its flags, its domain and its local part.
    pub(super) fn key(&mut self) -> Option<(u32, u8, u32, &'a [u8])> {
        let at = u32::try_from(self.pos).ok()?;
        let flags = *self.take(1)?.first()?;
        let domain = self.u32()?;
        let local = self.text()?;
        Some((at, flags, domain, local))
    }

    pub(super) fn end(&self) -> usize {
        self.pos
    }
}

pub(super) fn push_text(arena: &mut Vec<u8>, text: &[u8]) {
    // Names and addresses are far shorter; a longer one is cut (at a character boundary for
    // names, which are shown; a key that long would not be a valid address anyway).
    let n = text.len().min(usize::from(u16::MAX));
    arena.extend_from_slice(&(n as u16).to_le_bytes());
    arena.extend_from_slice(&text[..n]);
}

pub(super) fn cut_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
