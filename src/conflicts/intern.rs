//! Small shared pieces of the sweep's compact tables: an interner for strings that repeat
//! across thousands of entries (a tenant's few mail domains, the handful of admins and apps
//! that delete users), object ids in 16 bytes, and a hasher for keys that are hashes already.
//!
//! A million active users are a million ids and a million addresses that mostly end in the
//! same `@contoso.com`: kept as separate `String`s they cost several times their text in
//! allocator overhead alone (see `index.rs`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Each distinct string once, named by a number. Lookups never add (`get`), so a query
/// for a domain nobody holds costs one hash and finds nothing.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    strings: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
}

impl Interner {
    /// The number of `s`, adding it when new; `None` past four billion distinct strings.
    pub fn intern(&mut self, s: &str) -> Option<u32> {
        if let Some(n) = self.index.get(s) {
            return Some(*n);
        }
        let n = u32::try_from(self.strings.len()).ok()?;
        let shared: Arc<str> = Arc::from(s);
        self.strings.push(shared.clone());
        self.index.insert(shared, n);
        Some(n)
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }

    pub fn resolve(&self, n: u32) -> &str {
        self.strings.get(n as usize).map_or("", |s| s)
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Every string in number order (what `kept` writes).
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.strings.iter().map(|s| &**s)
    }
}

/// An Entra object id, which is a GUID written in lower case with hyphens: 16 bytes instead
/// of a 36-byte string and its allocation. Anything else (a sandbox's test ids, a GUID in
/// another spelling) is `None`, and its owner keeps the text, so an id always prints back
/// exactly as the directory sent it.
pub fn guid(id: &str) -> Option<u128> {
    let b = id.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut value: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        value = (value << 4) | u128::from(digit);
    }
    Some(value)
}

/// The id `guid` read, written back the same way.
pub fn guid_text(value: u128) -> String {
    let hex = format!("{value:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A `HashMap` hasher for keys that are already well-mixed hashes (`u64`) or numbers to be
/// spread (`u32`): hashing them again would only cost time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by the keys this serves; still a correct (if plain) hash for anything else.
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write_u32(&mut self, n: u32) {
        // Spread over all 64 bits: the table uses the top bits too.
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = ((n >> 64) as u64 ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub type PrehashedState = BuildHasherDefault<Prehashed>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_round_trip_and_other_spellings_keep_their_text() {
        let id = "5f1e2d3c-0000-4000-8000-00000000000a";
        let g = guid(id).unwrap();
        assert_eq!(guid_text(g), id);
        assert_eq!(guid("5F1E2D3C-0000-4000-8000-00000000000A"), None);
        assert_eq!(guid("5f1e2d3c000040008000-00000000000a-xx"), None);
        assert_eq!(guid("d1"), None);
        assert_eq!(guid("{5f1e2d3c-0000-4000-8000-00000000000a}"), None);
    }

    #[test]
    fn interned_strings_are_kept_once() {
        let mut i = Interner::default();
        let a = i.intern("contoso.com").unwrap();
        assert_eq!(i.intern("contoso.com"), Some(a));
        let b = i.intern("fabrikam.com").unwrap();
        assert_ne!(a, b);
        assert_eq!(i.resolve(b), "fabrikam.com");
        assert_eq!(i.get("nowhere.com"), None);
        assert_eq!(i.len(), 2);
    }
}
