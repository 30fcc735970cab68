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

/// The fields a filter searches, in the order the table's search key holds them.
pub fn searched(user: &DeletedUser) -> impl Iterator<Item = &str> {
    [
        Some(user.display_name.as_str()),
        Some(user.original_upn.as_str()),
        user.mail.as_deref(),
        user.department.as_deref(),
        user.job_title.as_deref(),
    ]
    .into_iter()
    .flatten()
}

/// Appends the search key of `user` to `keys`: the folded (`fold_into`) "name \u{1} user
/// name \u{1} mail \u{1} department \u{1} job", ended by NUL so no match can run from one row
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
    let mut fold = Fold {
        out,
        started: false,
        space: false,
    };
    if text.is_ascii() {
        for b in text.bytes() {
            match b {
                b' ' | b'\t'..=b'\r' => fold.space(),
                0..=0x1f | 0x7f => {}
                _ => fold.push(char::from(b.to_ascii_lowercase())),
            }
        }
        return;
    }
    use unicode_normalization::UnicodeNormalization;
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
}

/// The folded text being written: spaces are held back until a character follows, so runs
/// are one and neither end has any.
struct Fold<'a> {
    out: &'a mut String,
    started: bool,
    space: bool,
}

impl Fold<'_> {
    fn space(&mut self) {
        self.space = self.started;
    }

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
/// break ties, instead of chasing two of them per comparison across 100,000.
pub fn sort_prefix<T: Sortable + ?Sized>(sort: SortKey, user: &T) -> u64 {
    fn time(t: Option<DateTime<Utc>>) -> u64 {
        // Sign bit flipped: i64 order becomes u64 order; unknown times sort last.
        t.map_or(u64::MAX - 1, |t| (t.timestamp() as u64) ^ (1 << 63))
    }
    fn prefix(bytes: impl Iterator<Item = u8>) -> u64 {
        let mut out = [0u8; 8];
        for (slot, b) in out.iter_mut().zip(bytes) {
            *slot = b;
        }
        u64::from_be_bytes(out)
    }
    match sort {
        SortKey::DaysLeft => time(user.deleted_at()),
        // Newest first: the bitwise complement reverses the order of known times.
        SortKey::Deleted => match user.deleted_at() {
            Some(t) => !time(Some(t)),
            None => u64::MAX,
        },
        SortKey::Name => prefix(user.search_key().bytes()),
        SortKey::UserName => prefix(user.original_upn().bytes().map(|b| b.to_ascii_lowercase())),
        SortKey::Department => match sort_department(user) {
            // UTF-8 byte order is code point order, so a lowercased prefix agrees with the
            // char-by-char comparison; no UTF-8 prefix is all ones, so None stays last.
            Some(d) => {
                let mut buf = [0u8; 4];
                prefix(d.chars().flat_map(char::to_lowercase).flat_map(move |c| {
                    let len = c.encode_utf8(&mut buf).len();
                    buf.into_iter().take(len)
                }))
            }
            None => u64::MAX,
        },
    }
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
    let mut keyed: Vec<(u64, Keyed)> = std::mem::take(users)
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

fn ascii_ci_cmp(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
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
