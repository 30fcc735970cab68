//! What a users query means, once for every front end: the fields a filter searches, how
//! their text and the filter's are folded before one is looked for in the other, and the
//! keys a list sorts by, with their order (tie-breaks, case, missing values last). The table
//! (`app::users`, which keeps each key's order as pages arrive) and `list`/`check` use this,
//! so a filter finds the same users in both and a sort puts them in the same order. The time
//! left before a purge (days, hours, the expiring rule) is `directory::TimeLeft`, likewise
//! shared.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use crate::directory::DeletedUser;

/// The fields a filter searches, in the order the table's search key holds them. A mail
/// that is the user name (as it mostly is) is searched once: folded, they are one text.
pub fn searched(user: &DeletedUser) -> impl Iterator<Item = &str> {
    [
        Some(user.display_name.as_str()),
        Some(user.original_upn.as_str()),
        user.mail
            .as_deref()
            .filter(|m| !m.eq_ignore_ascii_case(&user.original_upn)),
        user.department.as_deref(),
        user.job_title.as_deref(),
    ]
    .into_iter()
    .flatten()
}

/// Appends the search key of `user` to `keys`: the folded (`fold_into`) "name \u{1} user
/// name \u{1} mail \u{1} department \u{1} job" (the fields `searched` gives: no mail when it
/// is the user name), ended by NUL so no match can run from one row
/// into the next (folding drops control characters, so no filter holds either). Returns where
/// it starts and where its NUL is. Sorting by name compares these keys, and every sort breaks
/// ties with them.
pub fn push_search_key(keys: &mut String, user: &DeletedUser) -> (u32, u32) {
    let start = keys.len();
    for part in searched(user) {
        fold_into(keys, part);
        keys.push('\u{1}');
    }
    let end = keys.len();
    keys.push('\0');
    (start as u32, end as u32)
}

/// A filter's text as it is searched for, folded as the fields are: the table's `/` and
/// `list --filter` (and `check`) both find users with it, in their search keys.
pub struct Filter {
    finder: memchr::memmem::Finder<'static>,
}

impl Filter {
    /// `None` when nothing is left once folded (empty, spaces, invisible characters): no
    /// filter, every user is shown.
    pub fn new(text: &str) -> Option<Self> {
        let mut folded = String::new();
        fold_into(&mut folded, text);
        (!folded.is_empty()).then(|| Self {
            finder: memchr::memmem::Finder::new(folded.as_bytes()).into_owned(),
        })
    }

    /// The folded text.
    pub fn text(&self) -> &str {
        // The needle was a `String`: its bytes are UTF-8.
        std::str::from_utf8(self.finder.needle()).unwrap_or_default()
    }

    /// Where the filter first occurs in `keys`, search keys `push_search_key` wrote.
    pub fn find_in(&self, keys: &[u8]) -> Option<usize> {
        self.finder.find(keys)
    }

    /// Keeps the users the filter finds, in their order.
    pub fn retain(&self, users: &mut Vec<DeletedUser>) {
        let mut key = String::new();
        users.retain(|user| {
            key.clear();
            push_search_key(&mut key, user);
            self.find_in(key.as_bytes()).is_some()
        });
    }
}

/// The filter's one rule: a filter matches a user when its text, folded, occurs in one of the
/// searched fields, folded the same way. Folding, in this order:
/// - compatibility decomposition (NFKD): a precomposed é and e + U+0301 are the same letters,
///   full-width ｂｏｂ is bob, ligatures (ﬁ) and no-break spaces are plain;
/// - optional marks dropped: accents (the combining diacritics blocks), Hebrew points, Arabic
///   vowel signs and the tatweel, so José, Jose and JOSÉ are one name;
/// - invisible characters dropped: control characters and default-ignorable ones (zero-width
///   spaces and joiners, direction marks and isolates, soft hyphens, variation selectors);
/// - case folded: Unicode lowercase, and ß is ss, a final ς is σ, the dotless ı is i (so the
///   Turkish I, ı, İ and i are one letter whichever language's case rule wrote the name);
/// - white space: every run is one space, none at either end.
///
/// Broad on purpose: a filter too broad costs a glance at a few more rows, one too narrow
/// hides a deleted user who is then purged. Letters that are letters of their own (ø, ł, æ)
/// stay themselves.
pub fn fold_into(out: &mut String, text: &str) {
    if plain_ascii(text) {
        // Most fields: folding only lowercases them.
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
        return;
    }
    let mut fold = Fold {
        out,
        started: false,
        space: false,
    };
    // An ASCII character decomposes to itself and no mark is reordered across it, so only the
    // runs of other characters go through NFKD: a name with one accent costs one lookup.
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        for b in rest.bytes().take(ascii) {
            fold.ascii(b);
        }
        let other = rest[ascii..]
            .bytes()
            .position(|b| b.is_ascii())
            .map_or(rest.len(), |n| ascii + n);
        use unicode_normalization::UnicodeNormalization;
        for c in rest[ascii..other].nfkd() {
            fold.char(c);
        }
        rest = &rest[other..];
    }
}

/// ASCII text that folding only lowercases: no control characters, and no white space but
/// single spaces between words.
fn plain_ascii(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().all(|b| (b' '..=b'~').contains(b))
        && bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
        && !bytes.windows(2).any(|pair| pair == b"  ")
}

/// The folded text being written: spaces are held back until a character follows, so runs
/// are one and neither end has any.
struct Fold<'a> {
    out: &'a mut String,
    started: bool,
    space: bool,
}

impl Fold<'_> {
    /// One character of the decomposed text, folded.
    #[inline]
    fn char(&mut self, c: char) {
        if let Ok(b) = u8::try_from(c)
            && b.is_ascii()
        {
            self.ascii(b);
        } else if c.is_whitespace() {
            self.space();
        } else if !(c.is_control() || is_ignorable(c) || is_optional_mark(c)) {
            for lower in c.to_lowercase() {
                match lower {
                    'ß' => {
                        self.push('s');
                        self.push('s');
                    }
                    'ς' => self.push('σ'),
                    'ı' => self.push('i'),
                    other => self.push(other),
                }
            }
        }
    }

    /// One ASCII character, folded.
    #[inline]
    fn ascii(&mut self, b: u8) {
        match b {
            b' ' | b'\t'..=b'\r' => self.space(),
            0..=0x1f | 0x7f => {}
            _ => self.push(char::from(b.to_ascii_lowercase())),
        }
    }

    fn space(&mut self) {
        self.space = self.started;
    }

    #[inline]
    fn push(&mut self, c: char) {
        if self.space {
            self.out.push(' ');
            self.space = false;
        }
        self.started = true;
        self.out.push(c);
    }
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): drawn as nothing.
fn is_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Marks a name may be written with or without: accents on Latin, Greek and Cyrillic letters
/// (the combining diacritics blocks), Hebrew points and cantillation, Arabic vowel signs and
/// honorifics, and the Arabic tatweel (a stretch, not a letter). Marks that make a letter of
/// their own in other scripts (Indic vowel signs) stay.
fn is_optional_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}'
        | '\u{0591}'..='\u{05BD}' | '\u{05BF}' | '\u{05C1}'..='\u{05C2}' | '\u{05C4}'..='\u{05C5}'
        | '\u{05C7}' | '\u{0610}'..='\u{061A}' | '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}')
}

/// The keys a users list sorts by: the table's `s` goes through them in this order, and
/// `list --sort` picks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Time left before the purge, soonest first (the default).
    #[default]
    DaysLeft,
    Name,
    UserName,
    /// Deleted most recently first.
    Deleted,
    Department,
}

impl SortKey {
    /// Every key, in `next` order.
    pub const ALL: [SortKey; 5] = [
        SortKey::DaysLeft,
        SortKey::Name,
        SortKey::UserName,
        SortKey::Deleted,
        SortKey::Department,
    ];

    /// Position in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn next(self) -> Self {
        Self::ALL[(self.index() + 1) % Self::ALL.len()]
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::DaysLeft => "days left",
            SortKey::Name => "name",
            SortKey::UserName => "user name",
            SortKey::Deleted => "deleted",
            SortKey::Department => "department",
        }
    }
}

/// What a sort reads of one user. The table implements it over its packed rows, `list` over
/// a `DeletedUser` with its search key: fields are read only when a comparison needs them.
pub trait Sortable {
    fn deleted_at(&self) -> Option<DateTime<Utc>>;
    fn original_upn(&self) -> &str;
    fn department(&self) -> Option<&str>;
    /// The folded search key `push_search_key` wrote, without its NUL.
    fn search_key(&self) -> &str;
    fn id(&self) -> &str;
    /// The folded display name (`fold_into`), where it costs less than the whole search key,
    /// which starts with it: ties are mostly told apart by their names alone.
    fn name_key(&self) -> Option<&str> {
        None
    }
    /// Reading `search_key` costs nothing (the table holds every key): `sort_prefix` then
    /// carries its first bytes where the primary key leaves room, so users that tie on the
    /// primary (deleted in the same second, in the same short department) still mostly
    /// order by numbers. One sort must use one kind throughout.
    const KEY_AT_HAND: bool = false;
}

/// The order of `sort`, ascending (the table's `S` shows it backwards). Users without a
/// deletion time, and without a department (an empty one counts as none), go last. User
/// names compare ASCII case-insensitively, departments by Unicode lowercase, names by the
/// folded search key (so É sorts with E). Ties are broken by the search key, then the id, so
/// two distinct users never compare equal and every front end prints the same order.
pub fn compare<T: Sortable + ?Sized>(sort: SortKey, a: &T, b: &T) -> Ordering {
    let primary = match sort {
        SortKey::DaysLeft => missing_last(a.deleted_at(), b.deleted_at(), |x, y| x.cmp(&y)),
        SortKey::Deleted => missing_last(a.deleted_at(), b.deleted_at(), |x, y| y.cmp(&x)),
        SortKey::Name => Ordering::Equal,
        SortKey::UserName => ascii_ci_cmp(a.original_upn(), b.original_upn()),
        SortKey::Department => {
            missing_last(sort_department(a), sort_department(b), |x, y| {
                // Few departments, many users each: most comparisons are between equals.
                if x == y {
                    Ordering::Equal
                } else if x.is_ascii() && y.is_ascii() {
                    ascii_ci_cmp(x, y)
                } else {
                    x.chars()
                        .flat_map(char::to_lowercase)
                        .cmp(y.chars().flat_map(char::to_lowercase))
                }
            })
        }
    };
    primary
        .then_with(|| match (a.name_key(), b.name_key()) {
            // A search key is the folded name, then \u{1}, which no folded text holds: two
            // different names order their keys as they order themselves.
            (Some(x), Some(y)) if x != y => x.cmp(y),
            _ => a.search_key().cmp(b.search_key()),
        })
        .then_with(|| a.id().cmp(b.id()))
}

/// A number whose order agrees with `compare(sort, ..)` (equal numbers may still differ
/// there): sorting pairs of (this, index) in one contiguous array touches the users only to
/// break ties, instead of chasing two of them per comparison across 100,000. Sixteen bytes of
/// text (or a time and the key's first twelve) leave few ties; its top half agrees too, for
/// keeping beside an order.
pub fn sort_prefix<T: Sortable + ?Sized>(sort: SortKey, user: &T) -> u128 {
    match sort {
        SortKey::DaysLeft => user
            .deleted_at()
            .map_or(u128::MAX - 1, |t| time_prefix(t, user, false)),
        SortKey::Deleted => user
            .deleted_at()
            .map_or(u128::MAX, |t| time_prefix(t, user, true)),
        SortKey::Name => prefix(user.search_key().as_bytes()),
        SortKey::UserName => {
            let mut bytes = prefix(user.original_upn().as_bytes()).to_be_bytes();
            bytes.make_ascii_lowercase();
            u128::from_be_bytes(bytes)
        }
        SortKey::Department => match sort_department(user) {
            Some(d) => department_prefix(d, user),
            None => u128::MAX,
        },
    }
}

/// The first 16 bytes of `bytes`, big-endian, zero-padded: shorter text sorts first.
fn prefix(bytes: &[u8]) -> u128 {
    let mut out = [0u8; 16];
    let n = bytes.len().min(16);
    out[..n].copy_from_slice(&bytes[..n]);
    u128::from_be_bytes(out)
}

/// Bits of a time prefix that hold the second: 1970 to 2242, earlier and later times are
/// clamped (and then tie, to be compared in full).
const SECOND_BITS: u32 = 33;
/// Below the second: one bit for "has a fraction of a second", then the key's first bits.
const WITHIN_SECOND_BITS: u32 = 128 - SECOND_BITS;

/// A deletion time as a prefix, soonest first (or newest first). Users deleted in the same
/// whole second (a batch from one script) then order by their search key's first bytes, as
/// `compare` breaks the tie, when the key is at hand; a fraction of a second leaves the tie
/// to `compare`.
fn time_prefix<T: Sortable + ?Sized>(t: DateTime<Utc>, user: &T, newest_first: bool) -> u128 {
    let clamped = (1u128 << SECOND_BITS) - 1;
    let second = t.timestamp();
    // 0 and `clamped` stand for every time before and after the range.
    let mut code = if second < 0 {
        0
    } else {
        (u128::from(second as u64) + 1).min(clamped)
    };
    if newest_first {
        code = clamped - code;
    }
    if code == 0 || code == clamped {
        return code << WITHIN_SECOND_BITS;
    }
    let fraction = t.timestamp_subsec_nanos() != 0;
    let within = if fraction || !T::KEY_AT_HAND {
        // A fraction comes after the whole second (before it, newest first); its ties go to
        // `compare`, which reads the fraction.
        u128::from(fraction != newest_first) << (WITHIN_SECOND_BITS - 1)
    } else {
        // A whole second: equal times, so the key decides. Its first bytes, cut to fit.
        let head = prefix(user.search_key().as_bytes()) >> (128 - (WITHIN_SECOND_BITS - 1));
        (u128::from(newest_first) << (WITHIN_SECOND_BITS - 1)) | head
    };
    (code << WITHIN_SECOND_BITS) | within
}

/// A department as a prefix: its lowercase UTF-8 (byte order is code point order, so this
/// agrees with the char-by-char comparison; no UTF-8 prefix is all ones, so none stays
/// last). A department shorter than 16 bytes ends with a 0 and, when the key is at hand,
/// the key's first bytes fill the rest: users of one department order by the key there too.
fn department_prefix<T: Sortable + ?Sized>(department: &str, user: &T) -> u128 {
    let mut bytes = [0u8; 16];
    let mut whole = 0;
    if department.is_ascii() {
        bytes = prefix(department.as_bytes()).to_be_bytes();
        bytes.make_ascii_lowercase();
        whole = department.len();
    } else {
        let mut buf = [0u8; 4];
        for c in department.chars().flat_map(char::to_lowercase) {
            for &b in c.encode_utf8(&mut buf).as_bytes() {
                if let Some(slot) = bytes.get_mut(whole) {
                    *slot = b;
                }
                whole += 1;
            }
        }
    }
    if let Some(nul) = bytes[..whole.min(16)].iter().position(|b| *b == 0) {
        // Never from the directory (controls are cleaned away), but a NUL must not meet a
        // key byte: after it, the most a prefix can be, so that a department ending there
        // (and its key) sorts before this one.
        bytes[nul + 1..].fill(0xff);
    } else if T::KEY_AT_HAND && whole < 16 {
        // Byte `whole` stays 0: a department that ends sorts before one that goes on.
        for (slot, b) in bytes[whole + 1..].iter_mut().zip(user.search_key().bytes()) {
            *slot = b;
        }
    }
    u128::from_be_bytes(bytes)
}

/// A user with its search key, for sorting a plain list. The key is built on first use: most
/// orders only need it to break ties, and building it for every user cost `list` more than
/// the sort itself.
struct Keyed {
    user: DeletedUser,
    key: std::cell::OnceCell<String>,
    name: std::cell::OnceCell<String>,
}

impl Sortable for Keyed {
    fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.user.deleted_at
    }
    fn original_upn(&self) -> &str {
        &self.user.original_upn
    }
    fn department(&self) -> Option<&str> {
        self.user.department.as_deref()
    }
    fn search_key(&self) -> &str {
        self.key.get_or_init(|| {
            let mut key = String::new();
            push_search_key(&mut key, &self.user);
            // The NUL ends a key in the table's buffer; it is not part of the key.
            key.pop();
            key
        })
    }
    fn id(&self) -> &str {
        &self.user.id
    }
    fn name_key(&self) -> Option<&str> {
        Some(self.name.get_or_init(|| {
            let mut name = String::new();
            fold_into(&mut name, &self.user.display_name);
            name
        }))
    }
}

/// Sorts a list of users in the table's order for `sort` (ascending), as `list` and `check`
/// print them.
pub fn sort(users: &mut Vec<DeletedUser>, sort: SortKey) {
    let mut keyed: Vec<(u128, Keyed)> = std::mem::take(users)
        .into_iter()
        .map(|user| {
            let keyed = Keyed {
                user,
                key: std::cell::OnceCell::new(),
                name: std::cell::OnceCell::new(),
            };
            (sort_prefix(sort, &keyed), keyed)
        })
        .collect();
    // Unstable is enough: `compare` is a total order on distinct users.
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| compare(sort, &a.1, &b.1)));
    users.extend(keyed.into_iter().map(|(_, k)| k.user));
}

/// Sorts users that each carry a tag (the tenant they are in) together, in the order `sort`
/// gives them alone; users equal in every key (only ever in different tenants) keep their
/// tags' order.
pub fn sort_tagged<T: Ord>(users: &mut Vec<(T, DeletedUser)>, sort: SortKey) {
    let mut keyed: Vec<(u128, T, Keyed)> = std::mem::take(users)
        .into_iter()
        .map(|(tag, user)| {
            let keyed = Keyed {
                user,
                key: std::cell::OnceCell::new(),
                name: std::cell::OnceCell::new(),
            };
            (sort_prefix(sort, &keyed), tag, keyed)
        })
        .collect();
    keyed.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| compare(sort, &a.2, &b.2))
            .then_with(|| a.1.cmp(&b.1))
    });
    users.extend(keyed.into_iter().map(|(_, tag, k)| (tag, k.user)));
}

/// The order of `a` and `b` lowercased (ASCII), byte by byte, a prefix first. User names
/// share long starts (the same first name, the same domain): bytes that are equal are equal
/// lowercased too, so the shared start is passed over eight bytes at a time and only the
/// bytes that differ are lowercased.
fn ascii_ci_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut at = 0;
    let shared = a.len().min(b.len());
    while at + 8 <= shared && a[at..at + 8] == b[at..at + 8] {
        at += 8;
    }
    for (x, y) in a[at..].iter().zip(&b[at..]) {
        if x != y {
            let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
            if x != y {
                return x.cmp(&y);
            }
        }
    }
    a.len().cmp(&b.len())
}

/// The department a user sorts by: an empty one counts as none.
fn sort_department<T: Sortable + ?Sized>(user: &T) -> Option<&str> {
    user.department().filter(|d| !d.is_empty())
}

/// `order` between two known values; a missing one comes after every known one.
fn missing_last<T>(a: Option<T>, b: Option<T>, order: impl FnOnce(T, T) -> Ordering) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => order(a, b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> String {
        let mut out = String::new();
        fold_into(&mut out, text);
        out
    }

    #[test]
    fn folding_is_the_documented_rule() {
        // Canonical and compatibility forms, accents, case.
        assert_eq!(folded("José"), "jose");
        assert_eq!(folded("Jose\u{301}"), "jose");
        assert_eq!(folded("ｂｏｂ"), "bob");
        assert_eq!(folded("ﬁnance"), "finance");
        // The Turkish i's, ß and the final sigma.
        assert_eq!(folded("İıIi"), "iiii");
        assert_eq!(folded("Straße STRAẞE"), "strasse strasse");
        assert_eq!(folded("ΟΔΥΣΣΕΑΣ Οδυσσέας"), "οδυσσεασ οδυσσεασ");
        // Right to left: marks, presentation forms, tatweel and direction marks go.
        assert_eq!(folded("مُحَمَّد"), "محمد");
        assert_eq!(folded("ﻣﺤﻤﺪ"), "محمد");
        assert_eq!(folded("مـحـمـد"), "محمد");
        assert_eq!(folded("שָׁלוֹם"), "שלום");
        assert_eq!(folded("\u{202e}abc\u{202c}\u{200f}"), "abc");
        // Spaces: runs are one, none at the ends; controls and invisibles are nothing.
        assert_eq!(folded("  a \t\u{a0} b\u{3000} "), "a b");
        assert_eq!(folded("a\u{1}b\u{0}c\u{7f}d\u{ad}e"), "abcde");
        // Letters of their own stay, and so do scripts without case.
        assert_eq!(folded("Ødegård Łukasz"), "ødegard łukasz");
        assert_eq!(folded("山田 太郎"), "山田 太郎");
    }

    /// The rule as first written, the whole text through NFKD at once: what the fast paths
    /// (plain ASCII, ASCII runs) must give.
    fn folded_whole(text: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        let mut out = String::new();
        let mut fold = Fold {
            out: &mut out,
            started: false,
            space: false,
        };
        for c in text.nfkd() {
            if c.is_whitespace() {
                fold.space();
            } else if c.is_control() || is_ignorable(c) || is_optional_mark(c) {
                continue;
            } else if c.is_ascii() {
                fold.push(c.to_ascii_lowercase());
            } else {
                for lower in c.to_lowercase() {
                    match lower {
                        'ß' => {
                            fold.push('s');
                            fold.push('s');
                        }
                        'ς' => fold.push('σ'),
                        'ı' => fold.push('i'),
                        other => fold.push(other),
                    }
                }
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        // ASCII beside letters that decompose to ASCII and marks, marks that are kept and
        // reordered (nukta, virama, Thai vowels and tones), spaces of every kind, invisibles.
        #[test]
        fn folding_in_runs_is_folding_the_whole(
            text in "[ a-zA-Z0-9.@\t\n\x01\x1f\x7féÉÅ\u{212b}ǅﬁｂßẞİıΣςσ山김\u{301}\u{327}\u{5b4}\u{93c}\u{94d}\u{e38}\u{e48}\u{200b}\u{200f}\u{a0}\u{3000}\u{85}]{0,24}"
        ) {
            proptest::prop_assert_eq!(folded(&text), folded_whole(&text));
        }

        #[test]
        fn user_names_compare_as_lowercased_bytes(
            a in "[aAbB.@0-9]{0,20}",
            b in "[aAbB.@0-9]{0,20}",
            shared in "[a-zA-Z.@]{0,19}",
        ) {
            let (a, b) = (format!("{shared}{a}"), format!("{shared}{b}"));
            let lower = |s: &str| s.to_ascii_lowercase().into_bytes();
            proptest::prop_assert_eq!(ascii_ci_cmp(&a, &b), lower(&a).cmp(&lower(&b)));
        }
    }

    /// What a sort reads, made up: `KEYED` says whether the prefix may read the key.
    #[derive(Debug)]
    struct Probe<const KEYED: bool> {
        deleted_at: Option<DateTime<Utc>>,
        upn: String,
        department: Option<String>,
        key: String,
        id: String,
    }

    impl<const KEYED: bool> Sortable for Probe<KEYED> {
        fn deleted_at(&self) -> Option<DateTime<Utc>> {
            self.deleted_at
        }
        fn original_upn(&self) -> &str {
            &self.upn
        }
        fn department(&self) -> Option<&str> {
            self.department.as_deref()
        }
        fn search_key(&self) -> &str {
            &self.key
        }
        fn id(&self) -> &str {
            &self.id
        }
        const KEY_AT_HAND: bool = KEYED;
    }

    fn probe<const KEYED: bool>(
        (second, nanos, missing): (i64, u32, bool),
        upn: String,
        department: Option<String>,
        key: String,
    ) -> Probe<KEYED> {
        let mut key_folded = String::new();
        fold_into(&mut key_folded, &key);
        Probe {
            deleted_at: (!missing)
                .then(|| DateTime::from_timestamp(second, nanos))
                .flatten(),
            id: format!("{upn}{second}"),
            upn,
            department,
            key: key_folded,
        }
    }

    fn agrees<T: Sortable>(a: &T, b: &T) -> Result<(), proptest::test_runner::TestCaseError> {
        for sort in SortKey::ALL {
            let (pa, pb) = (sort_prefix(sort, a), sort_prefix(sort, b));
            let order = compare(sort, a, b);
            if pa != pb {
                proptest::prop_assert_eq!(pa.cmp(&pb), order, "{:?}", sort);
            }
        }
        Ok(())
    }

    fn time() -> impl proptest::strategy::Strategy<Value = (i64, u32, bool)> {
        use proptest::prelude::*;
        (
            prop_oneof![
                Just(1_700_000_000i64),
                Just(1_700_000_001),
                Just(-1),
                Just(0),
                Just((1i64 << 33) - 3),
                Just((1i64 << 33) - 2),
                -5_000_000_000i64..20_000_000_000,
            ],
            prop_oneof![Just(0u32), Just(1), Just(500_000_000)],
            proptest::bool::weighted(0.1),
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        #[test]
        fn a_prefix_never_contradicts_the_order(
            ta in time(),
            tb in time(),
            upn_a in "[aAbB.@]{0,10}",
            upn_b in "[aAbB.@]{0,10}",
            dept_a in proptest::option::of("[hHrRÉé\\x00]{0,9}"),
            dept_b in proptest::option::of("[hHrRÉé\\x00]{0,9}"),
            key_a in "[a-c É]{0,12}",
            key_b in "[a-c É]{0,12}",
        ) {
            let keyed_a = probe::<true>(ta, upn_a.clone(), dept_a.clone(), key_a.clone());
            let keyed_b = probe::<true>(tb, upn_b.clone(), dept_b.clone(), key_b.clone());
            agrees(&keyed_a, &keyed_b)?;
            let plain_a = probe::<false>(ta, upn_a, dept_a, key_a);
            let plain_b = probe::<false>(tb, upn_b, dept_b, key_b);
            agrees(&plain_a, &plain_b)?;
        }
    }

    #[test]
    fn a_filter_of_nothing_is_no_filter() {
        assert!(Filter::new("").is_none());
        assert!(Filter::new(" \t ").is_none());
        assert!(Filter::new("\u{200f}\u{feff}").is_none());
        assert_eq!(
            Filter::new(" Bob ").map(|f| f.text().to_string()),
            Some("bob".into())
        );
    }

    #[test]
    fn a_match_never_runs_across_fields_or_rows() {
        let mut user = crate::app::fixtures::user(0, crate::app::fixtures::now());
        user.display_name = "Ann".into();
        user.original_upn = "Lee@x.test".into();
        let mut key = String::new();
        push_search_key(&mut key, &user);
        push_search_key(&mut key, &user);
        let find = |text: &str| Filter::new(text).and_then(|f| f.find_in(key.as_bytes()));
        assert_eq!(find("ann"), Some(0));
        // The separator cannot be typed: folding drops it, and "annlee" is in no field.
        assert_eq!(find("ann\u{1}lee"), None);
        assert_eq!(find("annlee"), None);
    }

    proptest::proptest! {
        /// Names first (`Sortable::name_key`) is only a shortcut: the order is the one of
        /// the whole search keys, then the ids.
        #[test]
        fn ties_go_by_the_whole_search_key(
            names in proptest::collection::vec("[aAéE \u{301}\u{1}ß]{0,4}", 1..12),
            upns in proptest::collection::vec("[ab]{1,2}", 1..12),
        ) {
            let now = crate::app::fixtures::now();
            let users: Vec<DeletedUser> = names
                .iter()
                .zip(upns.iter().cycle())
                .enumerate()
                .map(|(i, (name, upn))| {
                    let mut u = crate::app::fixtures::user(i, now);
                    u.display_name = name.clone();
                    u.original_upn = upn.clone();
                    u.deleted_at = Some(now);
                    u
                })
                .collect();
            let key = |u: &DeletedUser| {
                let mut k = String::new();
                push_search_key(&mut k, u);
                k
            };
            let mut expected = users.clone();
            expected.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id)));
            let mut sorted = users;
            sort(&mut sorted, SortKey::DaysLeft);
            let ids = |us: &[DeletedUser]| us.iter().map(|u| u.id.clone()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(ids(&sorted), ids(&expected));
        }
    }
}
