//! What a users query means, once for every front end: the fields a filter searches and the
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

/// Whether any searched field contains `needle`, which is already lowercase.
pub fn matches(user: &DeletedUser, needle: &str) -> bool {
    searched(user).any(|field| field.to_lowercase().contains(needle))
}

/// Appends the search key of `user` to `keys`: lowercase "name \u{1} user name \u{1} mail
/// \u{1} department \u{1} job", ended by NUL so no match can run from one row into the next.
/// Returns where it starts and where its NUL is. Sorting by name compares these keys, and
/// every sort breaks ties with them.
pub fn push_search_key(keys: &mut String, user: &DeletedUser) -> (u32, u32) {
    let start = keys.len();
    for part in searched(user) {
        if part.is_ascii() {
            keys.extend(part.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            for ch in part.chars() {
                keys.extend(ch.to_lowercase());
            }
        }
        keys.push('\u{1}');
    }
    let end = keys.len();
    keys.push('\0');
    (start as u32, end as u32)
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
    /// The lowercase search key `push_search_key` wrote, without its NUL.
    fn search_key(&self) -> &str;
    fn id(&self) -> &str;
}

/// The order of `sort`, ascending (the table's `S` shows it backwards). Users without a
/// deletion time, and without a department (an empty one counts as none), go last. User
/// names compare ASCII case-insensitively, departments by Unicode lowercase, names by the
/// search key. Ties are broken by the search key, then the id, so two distinct users never
/// compare equal and every front end prints the same order.
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
        .then_with(|| a.search_key().cmp(b.search_key()))
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
