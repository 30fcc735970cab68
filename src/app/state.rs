//! Everything the screen shows, as data. Only `update` changes it; `ui::draw` only reads it.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use tui_input::Input;

use secrecy::SecretString;

use crate::directory::{DeletedUser, RequestRecord, Stage};
use crate::restore::{self, Unfinished, UserOutcome};

/// How many request-log lines are kept for the `@` pane.
pub const LOG_CAPACITY: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    /// Days left before the purge, soonest first (the default).
    DaysLeft,
    Name,
    UserName,
    /// Deleted most recently first.
    Deleted,
    Department,
}

impl SortColumn {
    /// Every column, in `next` order.
    pub const ALL: [SortColumn; 5] = [
        SortColumn::DaysLeft,
        SortColumn::Name,
        SortColumn::UserName,
        SortColumn::Deleted,
        SortColumn::Department,
    ];

    /// Position in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn next(self) -> Self {
        match self {
            SortColumn::DaysLeft => SortColumn::Name,
            SortColumn::Name => SortColumn::UserName,
            SortColumn::UserName => SortColumn::Deleted,
            SortColumn::Deleted => SortColumn::Department,
            SortColumn::Department => SortColumn::DaysLeft,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortColumn::DaysLeft => "days left",
            SortColumn::Name => "name",
            SortColumn::UserName => "user name",
            SortColumn::Deleted => "deleted",
            SortColumn::Department => "department",
        }
    }
}

/// One table row, packed: every string of the user in one allocation. With 100,000 users a
/// `DeletedUser` per row (nine separately allocated strings) costs about twice the memory;
/// the full user is rebuilt on demand (`to_user`) for the one row that needs it.
#[derive(Debug, Clone)]
pub struct Row {
    /// id, name, original UPN, deleted UPN, mail, department, job title, user type, then the
    /// proxy addresses joined by U+0001.
    text: Box<str>,
    /// End offset of each field in `text` but the last.
    ends: [u32; 8],
    pub deleted_at: Option<DateTime<Utc>>,
    flags: u8,
    key_start: u32,
    key_end: u32,
}

const HAS_MAIL: u8 = 1;
const HAS_DEPT: u8 = 2;
const HAS_JOB: u8 = 4;
const HAS_TYPE: u8 = 8;
const SYNCED: u8 = 16;
/// The deleted UPN is the id's 32 hex digits glued to the original UPN, so it is not stored.
const DERIVED_UPN: u8 = 32;
const PROXY_SEP: char = '\u{1}';

fn derived_deleted_upn(id: &str, original: &str) -> String {
    let mut out: String = id.chars().filter(|c| *c != '-').collect();
    out.push_str(original);
    out
}

impl Row {
    fn new(user: &DeletedUser, key_start: u32, key_end: u32) -> Self {
        let derived = user.deleted_upn == derived_deleted_upn(&user.id, &user.original_upn);
        let mut flags = 0;
        let mut set = |on: bool, bit: u8| {
            if on {
                flags |= bit;
            }
        };
        set(user.mail.is_some(), HAS_MAIL);
        set(user.department.is_some(), HAS_DEPT);
        set(user.job_title.is_some(), HAS_JOB);
        set(user.user_type.is_some(), HAS_TYPE);
        set(user.on_premises_sync_enabled, SYNCED);
        set(derived, DERIVED_UPN);
        let parts: [&str; 8] = [
            &user.id,
            &user.display_name,
            &user.original_upn,
            if derived { "" } else { &user.deleted_upn },
            user.mail.as_deref().unwrap_or(""),
            user.department.as_deref().unwrap_or(""),
            user.job_title.as_deref().unwrap_or(""),
            user.user_type.as_deref().unwrap_or(""),
        ];
        let mut text = String::with_capacity(
            parts.iter().map(|p| p.len()).sum::<usize>()
                + user
                    .proxy_addresses
                    .iter()
                    .map(|p| p.len() + 1)
                    .sum::<usize>(),
        );
        let mut ends = [0u32; 8];
        for (i, part) in parts.iter().enumerate() {
            text.push_str(part);
            ends[i] = text.len() as u32;
        }
        for (i, p) in user.proxy_addresses.iter().enumerate() {
            if i > 0 {
                text.push(PROXY_SEP);
            }
            text.push_str(p);
        }
        Self {
            text: text.into_boxed_str(),
            ends,
            deleted_at: user.deleted_at,
            flags,
            key_start,
            key_end,
        }
    }

    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = if i < 8 {
            self.ends[i] as usize
        } else {
            self.text.len()
        };
        self.text.get(start..end).unwrap_or("")
    }

    fn opt(&self, i: usize, bit: u8) -> Option<&str> {
        (self.flags & bit != 0).then(|| self.field(i))
    }

    pub fn id(&self) -> &str {
        self.field(0)
    }

    pub fn display_name(&self) -> &str {
        self.field(1)
    }

    pub fn original_upn(&self) -> &str {
        self.field(2)
    }

    pub fn mail(&self) -> Option<&str> {
        self.opt(4, HAS_MAIL)
    }

    pub fn department(&self) -> Option<&str> {
        self.opt(5, HAS_DEPT)
    }

    pub fn job_title(&self) -> Option<&str> {
        self.opt(6, HAS_JOB)
    }

    pub fn synced(&self) -> bool {
        self.flags & SYNCED != 0
    }

    pub fn is_guest(&self) -> bool {
        self.opt(7, HAS_TYPE)
            .is_some_and(|t| t.eq_ignore_ascii_case("guest"))
    }

    /// Whole days left before the purge, as `DeletedUser::days_left` counts them.
    pub fn days_left(&self, now: DateTime<Utc>) -> Option<i64> {
        self.deleted_at
            .map(|d| crate::directory::TimeLeft::after_deletion(d, now).days())
    }

    /// The full user, rebuilt.
    pub fn to_user(&self) -> DeletedUser {
        let proxies = self.field(8);
        DeletedUser {
            id: self.id().to_string(),
            display_name: self.display_name().to_string(),
            deleted_upn: if self.flags & DERIVED_UPN != 0 {
                derived_deleted_upn(self.id(), self.original_upn())
            } else {
                self.field(3).to_string()
            },
            original_upn: self.original_upn().to_string(),
            mail: self.mail().map(str::to_string),
            proxy_addresses: if proxies.is_empty() {
                Vec::new()
            } else {
                proxies.split(PROXY_SEP).map(str::to_string).collect()
            },
            department: self.department().map(str::to_string),
            job_title: self.job_title().map(str::to_string),
            deleted_at: self.deleted_at,
            on_premises_sync_enabled: self.synced(),
            user_type: self.opt(7, HAS_TYPE).map(str::to_string),
        }
    }
}

/// Appends the search key of `user` to `keys`: lowercase "name \u{1} user name \u{1} mail
/// \u{1} department \u{1} job", ended by NUL so no match can run from one row into the next.
fn push_key(keys: &mut String, user: &DeletedUser) -> (u32, u32) {
    let start = keys.len();
    for part in [
        Some(user.display_name.as_str()),
        Some(user.original_upn.as_str()),
        user.mail.as_deref(),
        user.department.as_deref(),
        user.job_title.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
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

/// The deleted users: all rows as loaded, their sorted order, and the filtered window of it.
#[derive(Debug, Clone)]
pub struct UsersView {
    pub rows: Vec<Row>,
    /// Every row's search key, back to back: a filter keystroke is one `memmem` scan over
    /// contiguous memory instead of 100,000 separate string searches.
    pub keys: String,
    /// `key_start` of each row, for mapping a match position back to its row.
    key_starts: Vec<u32>,
    /// Indices into `rows` in each column's order (ascending, indexed by
    /// `SortColumn::index`), kept as pages arrive: switching the sort or its direction
    /// sorts nothing. 400 KB per column at 100,000 users.
    orders: [Vec<u32>; SortColumn::ALL.len()],
    /// `sort_prefix` of each entry of `orders`, parallel to it: a page's rows find their
    /// place by comparing numbers in one array, touching rows only where prefixes tie.
    /// 800 KB per column at 100,000 users.
    prefixes: [Vec<u64>; SortColumn::ALL.len()],
    /// Which rows the applied filter matches (`None`: no filter), kept so a sort switch
    /// under a filter does not scan the keys again.
    hits: Option<Vec<bool>>,
    /// The rows the filter keeps, in the current order and direction: what the table shows.
    pub shown: Vec<u32>,
    /// Parallel to `rows`.
    pub marked: Vec<bool>,
    pub marked_count: usize,
    /// Position in `shown`.
    pub selected: usize,
    /// First shown row drawn at the top of the table.
    pub offset: usize,
    pub sort: SortColumn,
    pub reverse: bool,
    pub filter: Input,
    /// The filter line has the keyboard.
    pub filtering: bool,
    /// Lowercase filter the `shown` list was computed with.
    pub applied_filter: String,
    pub loading: bool,
    /// `@odata.count`, when the server sent it.
    pub expected_total: Option<u64>,
    pub load_error: Option<String>,
    /// Which load the pages in flight belong to; older pages are dropped.
    pub generation: u64,
    /// Ids found in conflict with an active user (pre-flight or a failed restore).
    pub conflicts: HashSet<String>,
}

impl Default for UsersView {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            keys: String::new(),
            key_starts: Vec::new(),
            orders: Default::default(),
            prefixes: Default::default(),
            hits: None,
            shown: Vec::new(),
            marked: Vec::new(),
            marked_count: 0,
            selected: 0,
            offset: 0,
            sort: SortColumn::DaysLeft,
            reverse: false,
            filter: Input::default(),
            filtering: false,
            applied_filter: String::new(),
            loading: true,
            expected_total: None,
            load_error: None,
            generation: 0,
            conflicts: HashSet::new(),
        }
    }
}

fn ascii_ci_cmp(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// The department a row sorts by: an empty one counts as none.
fn sort_department(row: &Row) -> Option<&str> {
    row.department().filter(|d| !d.is_empty())
}

fn opt_last<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

impl UsersView {
    /// The lowercase search key of a row; sorting by name compares these.
    pub fn key(&self, idx: u32) -> &str {
        let r = &self.rows[idx as usize];
        &self.keys[r.key_start as usize..r.key_end as usize]
    }

    /// Sizes every per-row array once for the `@odata.count` the first page announced, so
    /// 100,000 users streaming in never double-and-copy a big buffer: each doubling left its
    /// old block stranded in the heap, which cost tens of MB of resident memory. The first
    /// page's keys give the average key length. A count larger than any tenant is capped, so a
    /// wrong one only costs the reservation.
    pub fn reserve_for(&mut self, total: u64, first_page: &[DeletedUser]) {
        const MAX_RESERVED_ROWS: usize = 1_000_000;
        let total = usize::try_from(total)
            .unwrap_or(MAX_RESERVED_ROWS)
            .min(MAX_RESERVED_ROWS);
        let more = total.saturating_sub(self.rows.len());
        if more == 0 {
            return;
        }
        let key_len = if first_page.is_empty() {
            0
        } else {
            let mut sample = String::new();
            for user in first_page {
                push_key(&mut sample, user);
            }
            sample.len() / first_page.len() + 1
        };
        self.rows.reserve_exact(more);
        self.key_starts.reserve_exact(more);
        self.marked.reserve_exact(more);
        self.shown.reserve_exact(more);
        self.keys.reserve_exact(more.saturating_mul(key_len));
        for order in &mut self.orders {
            order.reserve_exact(more);
        }
        for prefixes in &mut self.prefixes {
            prefixes.reserve_exact(more);
        }
    }

    fn push_row(&mut self, user: &DeletedUser) {
        let (key_start, key_end) = push_key(&mut self.keys, user);
        self.key_starts.push(key_start);
        self.rows.push(Row::new(user, key_start, key_end));
        self.marked.push(false);
    }

    /// Rebuilds the search key of a kept row (after others were removed).
    fn push_existing(&mut self, mut row: Row) {
        let start = self.keys.len();
        let key = {
            let r = &row;
            // Keys are derived from the row's own text: same recipe as `push_key`.
            let user = r.to_user();
            let mut k = String::new();
            push_key(&mut k, &user);
            k
        };
        self.keys.push_str(&key);
        row.key_start = start as u32;
        row.key_end = (start + key.len() - 1) as u32;
        self.key_starts.push(row.key_start);
        self.rows.push(row);
        self.marked.push(false);
    }

    /// The order of `sort`, ascending (as if `reverse` were off); ties are broken by the
    /// search key, then the id, so two distinct users never compare equal.
    pub fn compare_by(&self, sort: SortColumn, a: u32, b: u32) -> Ordering {
        let (ua, ub) = (&self.rows[a as usize], &self.rows[b as usize]);
        let primary = match sort {
            SortColumn::DaysLeft => opt_last(ua.deleted_at, ub.deleted_at),
            SortColumn::Deleted => match (ua.deleted_at, ub.deleted_at) {
                (Some(x), Some(y)) => y.cmp(&x),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
            SortColumn::Name => Ordering::Equal,
            SortColumn::UserName => ascii_ci_cmp(ua.original_upn(), ub.original_upn()),
            SortColumn::Department => match (sort_department(ua), sort_department(ub)) {
                // Few departments, many users each: most comparisons are between equals.
                (Some(x), Some(y)) if x == y => Ordering::Equal,
                (Some(x), Some(y)) if x.is_ascii() && y.is_ascii() => ascii_ci_cmp(x, y),
                (Some(x), Some(y)) => x
                    .chars()
                    .flat_map(char::to_lowercase)
                    .cmp(y.chars().flat_map(char::to_lowercase)),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
        };
        primary
            .then_with(|| self.key(a).cmp(self.key(b)))
            .then_with(|| ua.id().cmp(ub.id()))
    }

    /// The order the table shows: the current column, reversed when `reverse` is on.
    pub fn compare(&self, a: u32, b: u32) -> Ordering {
        let ord = self.compare_by(self.sort, a, b);
        if self.reverse { ord.reverse() } else { ord }
    }

    /// A number whose order agrees with `compare_by(sort, ..)`: sorting pairs of (this,
    /// index) in one contiguous array touches the rows only to break ties, instead of
    /// chasing two rows per comparison across 100,000 of them.
    fn sort_prefix(&self, sort: SortColumn, idx: u32) -> u64 {
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
        let row = &self.rows[idx as usize];
        match sort {
            SortColumn::DaysLeft => time(row.deleted_at),
            // Newest first: the bitwise complement reverses the order of known times.
            SortColumn::Deleted => match row.deleted_at {
                Some(_) => !time(row.deleted_at),
                None => u64::MAX,
            },
            SortColumn::Name => prefix(self.key(idx).bytes()),
            SortColumn::UserName => {
                prefix(row.original_upn().bytes().map(|b| b.to_ascii_lowercase()))
            }
            SortColumn::Department => match sort_department(row) {
                // UTF-8 byte order is code point order, so a lowercased prefix agrees with
                // the char-by-char comparison; no UTF-8 prefix is all ones, so None stays last.
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

    /// The rows `start..end` with their prefixes, sorted by `sort` (ascending).
    fn sorted_range(&self, sort: SortColumn, start: u32, end: u32) -> Vec<(u64, u32)> {
        let mut pairs: Vec<(u64, u32)> = (start..end)
            .map(|i| (self.sort_prefix(sort, i), i))
            .collect();
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| self.compare_by(sort, a.1, b.1)));
        pairs
    }

    /// The current column's order, ascending: the table shows it backwards when `reverse`.
    pub fn order(&self) -> &[u32] {
        &self.orders[self.sort.index()]
    }

    /// Every row (filtered or not) in the order the table shows them.
    pub fn sorted(&self) -> impl Iterator<Item = u32> + '_ {
        let order = self.order();
        let (forward, backward): (&[u32], &[u32]) = if self.reverse {
            (&[], order)
        } else {
            (order, &[])
        };
        forward.iter().chain(backward.iter().rev()).copied()
    }

    /// Shows the current column and direction (after `s` or `S`): every column's order is
    /// kept from the load, and the filter's matches from the last keystroke, so this is one
    /// pass over 100,000 indices, not a sort.
    pub fn resort(&mut self) {
        self.keep_selection(Self::rebuild_shown);
    }

    /// Adds a page: each column's order takes the new rows (sorted among themselves) by
    /// binary search, so a page costs a few thousand comparisons and one move per column,
    /// and a later sort switch costs no sorting at all.
    pub fn push_page(&mut self, users: Vec<DeletedUser>) {
        let start = self.rows.len() as u32;
        for user in &users {
            self.push_row(user);
        }
        let end = self.rows.len() as u32;
        for sort in SortColumn::ALL {
            let fresh = self.sorted_range(sort, start, end);
            let mut order = std::mem::take(&mut self.orders[sort.index()]);
            let mut prefixes = std::mem::take(&mut self.prefixes[sort.index()]);
            self.merge_into(sort, &mut order, &mut prefixes, &fresh);
            self.orders[sort.index()] = order;
            self.prefixes[sort.index()] = prefixes;
        }
        self.refilter_keep_selection();
    }

    /// Merges the sorted `fresh` into the sorted `order` in place, from the back, each old
    /// row moving once. An old row equal to a new one stays before it, as a front-to-back
    /// merge would keep it.
    fn merge_into(
        &self,
        sort: SortColumn,
        order: &mut Vec<u32>,
        prefixes: &mut Vec<u64>,
        fresh: &[(u64, u32)],
    ) {
        let mut end = order.len();
        order.resize(end + fresh.len(), 0);
        prefixes.resize(end + fresh.len(), 0);
        for (k, &(fp, f)) in fresh.iter().enumerate().rev() {
            // `order[..end]` holds the old rows not yet moved, all at most fresh[k + 1].
            // A smaller prefix means an earlier row; only equal prefixes need the rows.
            let lo = prefixes[..end].partition_point(|&p| p < fp);
            let hi = lo + prefixes[lo..end].partition_point(|&p| p <= fp);
            let at = lo
                + order[lo..hi]
                    .partition_point(|&o| self.compare_by(sort, o, f) != Ordering::Greater);
            // Before each of them: the k new rows still to place, and `f`.
            order.copy_within(at..end, at + k + 1);
            prefixes.copy_within(at..end, at + k + 1);
            order[at + k] = f;
            prefixes[at + k] = fp;
            end = at;
        }
    }

    /// Recomputes `shown` from the order and the filter text: one scan over all keys marks
    /// the matching rows, then one pass over the order keeps them.
    pub fn refilter(&mut self) {
        let needle: String = self
            .filter
            .value()
            .chars()
            .flat_map(char::to_lowercase)
            .collect();
        if needle.is_empty() {
            self.hits = None;
        } else {
            let mut hit = self.hits.take().unwrap_or_default();
            hit.clear();
            hit.resize(self.rows.len(), false);
            let finder = memchr::memmem::Finder::new(needle.as_bytes());
            let hay = self.keys.as_bytes();
            let mut from = 0;
            while from < hay.len() {
                let Some(pos) = finder.find(&hay[from..]) else {
                    break;
                };
                let at = (from + pos) as u32;
                let row = self
                    .key_starts
                    .partition_point(|s| *s <= at)
                    .saturating_sub(1);
                hit[row] = true;
                // One hit is enough: go on from the next row's key.
                from = self.rows[row].key_end as usize + 1;
            }
            self.hits = Some(hit);
        }
        self.applied_filter = needle;
        self.rebuild_shown();
    }

    /// `shown` from the current order, direction and filter matches: one pass, no sorting.
    fn rebuild_shown(&mut self) {
        let order = &self.orders[self.sort.index()];
        self.shown.clear();
        match (&self.hits, self.reverse) {
            (None, false) => self.shown.extend_from_slice(order),
            (None, true) => self.shown.extend(order.iter().rev()),
            (Some(hit), false) => self
                .shown
                .extend(order.iter().copied().filter(|i| hit[*i as usize])),
            (Some(hit), true) => self
                .shown
                .extend(order.iter().rev().copied().filter(|i| hit[*i as usize])),
        }
    }

    /// Like `refilter`, keeping the same user selected when it is still shown. The top row
    /// stays the top row: while pages arrive, an untouched cursor stays on the most urgent user.
    pub fn refilter_keep_selection(&mut self) {
        self.keep_selection(Self::refilter);
    }

    /// Runs `change` (which rebuilds `shown`) and selects the same user again if still shown.
    fn keep_selection(&mut self, change: fn(&mut Self)) {
        let current = if self.selected == 0 {
            None
        } else {
            self.current_index()
        };
        change(self);
        if let Some(cur) = current
            && let Some(pos) = self.shown.iter().position(|i| *i == cur)
        {
            self.selected = pos;
            return;
        }
        self.selected = self.selected.min(self.shown.len().saturating_sub(1));
    }

    /// Index into `rows` of the selected user.
    pub fn current_index(&self) -> Option<u32> {
        self.shown.get(self.selected).copied()
    }

    /// The selected user, rebuilt in full.
    pub fn current(&self) -> Option<DeletedUser> {
        self.current_row().map(Row::to_user)
    }

    pub fn current_row(&self) -> Option<&Row> {
        self.current_index().map(|i| &self.rows[i as usize])
    }

    pub fn current_id(&self) -> Option<&str> {
        self.current_row().map(Row::id)
    }

    pub fn is_marked(&self, idx: u32) -> bool {
        self.marked.get(idx as usize).copied().unwrap_or(false)
    }

    pub fn set_mark(&mut self, idx: u32, on: bool) {
        if let Some(m) = self.marked.get_mut(idx as usize)
            && *m != on
        {
            *m = on;
            if on {
                self.marked_count += 1;
            } else {
                self.marked_count -= 1;
            }
        }
    }

    /// The users a restore or purge acts on: the marked ones, else the selected one.
    pub fn targets(&self) -> Vec<DeletedUser> {
        if self.marked_count > 0 {
            self.sorted()
                .filter(|i| self.is_marked(*i))
                .map(|i| self.rows[i as usize].to_user())
                .collect()
        } else {
            self.current().into_iter().collect()
        }
    }

    /// Removes users (restored or purged) from the table.
    pub fn remove_ids(&mut self, ids: &HashSet<String>) {
        if ids.is_empty() {
            return;
        }
        let current_id = self.current_id().map(str::to_string);
        let rows = std::mem::take(&mut self.rows);
        let marked = std::mem::take(&mut self.marked);
        self.keys.clear();
        self.key_starts.clear();
        let mut remap = vec![u32::MAX; rows.len()];
        for (old, (row, mark)) in rows.into_iter().zip(marked).enumerate() {
            if ids.contains(row.id()) {
                continue;
            }
            remap[old] = self.rows.len() as u32;
            self.push_existing(row);
            if let Some(m) = self.marked.last_mut() {
                *m = mark;
            }
        }
        self.marked_count = self.marked.iter().filter(|m| **m).count();
        for (order, prefixes) in self.orders.iter_mut().zip(&mut self.prefixes) {
            // Removing rows keeps the others' relative order: no sorting again.
            let mut kept = 0;
            for at in 0..order.len() {
                let row = remap[order[at] as usize];
                if row != u32::MAX {
                    order[kept] = row;
                    prefixes[kept] = prefixes[at];
                    kept += 1;
                }
            }
            order.truncate(kept);
            prefixes.truncate(kept);
        }
        let old_selected = self.selected;
        self.refilter();
        self.selected = match current_id.and_then(|id| {
            self.shown
                .iter()
                .position(|i| self.rows[*i as usize].id() == id)
        }) {
            Some(pos) => pos,
            None => old_selected.min(self.shown.len().saturating_sub(1)),
        };
    }

    /// Empties the table for a reload, remembering which ids were marked.
    pub fn clear_for_reload(&mut self) -> HashSet<String> {
        let marked: HashSet<String> = self
            .rows
            .iter()
            .zip(&self.marked)
            .filter(|(_, m)| **m)
            .map(|(r, _)| r.id().to_string())
            .collect();
        self.rows.clear();
        self.keys.clear();
        self.key_starts.clear();
        for order in &mut self.orders {
            order.clear();
        }
        for prefixes in &mut self.prefixes {
            prefixes.clear();
        }
        self.hits = None;
        self.shown.clear();
        self.marked.clear();
        self.marked_count = 0;
        self.selected = 0;
        self.offset = 0;
        self.loading = true;
        self.expected_total = None;
        self.load_error = None;
        self.generation += 1;
        marked
    }
}

/// The restore dialog's focusable widgets, in Tab order (some only appear when relevant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    AutoPassword,
    ManualPassword,
    Password,
    ForceChange,
    ForceChangeMfa,
    Recipients,
    IncludePassword,
    NewUpn(usize),
    Reconcile(usize),
    Restore,
    Cancel,
}

impl Field {
    pub fn is_text(self) -> bool {
        matches!(self, Field::Password | Field::Recipients | Field::NewUpn(_))
    }
}

/// What pre-flight found for one user of the dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preflight {
    Checking,
    Clear,
    Conflict {
        /// The active user now holding the UPN, as "Name (upn)".
        upn_holder: Option<String>,
        /// Proxy addresses held by someone else.
        proxy_conflicts: Vec<String>,
    },
    Failed(String),
}

pub struct Target {
    pub user: DeletedUser,
    pub preflight: Preflight,
    /// Pre-flight's findings as the plan's rules read them.
    pub found: Option<restore::Preflight>,
    /// Shown when the UPN is taken; prefilled with a free suggestion.
    pub new_upn: Input,
    pub reconcile: bool,
}

/// The password prompt. No `Debug`: it holds the typed password.
pub struct RestoreForm {
    pub targets: Vec<Target>,
    pub auto_password: bool,
    pub password: Input,
    pub reveal: bool,
    pub force_change: bool,
    pub force_change_mfa: bool,
    pub recipients: Input,
    pub include_password: bool,
    pub focus: Field,
    /// Why the last Restore press was refused.
    pub error: Option<String>,
    /// Restoring this many users asks once more ("Restore 248 users?").
    pub confirm_many: bool,
    /// The directory's own verdict on the typed password, when it can be asked.
    pub verdict: Verdict,
}

/// What the directory said of the typed password (`validatePassword`, delegated only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Verdict {
    /// Nothing typed, or not asked yet.
    #[default]
    None,
    /// Asked; `seq` tells a late answer about an older value from the current one.
    Asking {
        seq: u64,
    },
    Valid,
    Refused(Vec<String>),
    /// The tenant could not be asked (app-only, another cloud, 403): the local rules decide.
    Unavailable(String),
}

/// More users than this ask once more before the restore starts.
pub const CONFIRM_OVER: usize = 20;

impl RestoreForm {
    pub fn new(targets: Vec<DeletedUser>, admin_mail: &str) -> Self {
        Self {
            targets: targets
                .into_iter()
                .map(|user| Target {
                    user,
                    preflight: Preflight::Checking,
                    found: None,
                    new_upn: Input::default(),
                    reconcile: true,
                })
                .collect(),
            auto_password: true,
            password: Input::default(),
            reveal: false,
            force_change: true,
            force_change_mfa: false,
            recipients: Input::new(admin_mail.to_string()),
            include_password: true,
            focus: Field::AutoPassword,
            error: None,
            confirm_many: false,
            verdict: Verdict::None,
        }
    }

    /// The admin's choices as the plan's rules read them.
    pub fn request(&self) -> restore::PlanRequest {
        let mut req = restore::PlanRequest::new(
            self.targets
                .iter()
                .map(|t| restore::UserRequest {
                    user: t.user.clone(),
                    new_upn: Some(t.new_upn.value().to_string()),
                    reconcile_proxies: t.reconcile,
                    preflight: t.found.clone(),
                })
                .collect(),
        );
        req.password = if self.auto_password {
            restore::PasswordChoice::Auto
        } else {
            restore::PasswordChoice::Given(SecretString::from(self.password.value()))
        };
        req.force_change = self.force_change;
        req.force_change_with_mfa = self.force_change && self.force_change_mfa;
        req.recipients = self.recipients.value().to_string();
        req.include_password = self.include_password;
        req
    }

    /// Users still being checked.
    pub fn checking(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.preflight == Preflight::Checking)
            .count()
    }

    /// Focus order for Tab, given what is visible now.
    pub fn fields(&self) -> Vec<Field> {
        let mut f = vec![Field::AutoPassword, Field::ManualPassword];
        if !self.auto_password {
            f.push(Field::Password);
        }
        f.push(Field::ForceChange);
        if self.force_change {
            f.push(Field::ForceChangeMfa);
        }
        f.push(Field::Recipients);
        f.push(Field::IncludePassword);
        for (i, t) in self.targets.iter().enumerate() {
            if let Preflight::Conflict {
                upn_holder,
                proxy_conflicts,
            } = &t.preflight
            {
                if upn_holder.is_some() {
                    f.push(Field::NewUpn(i));
                }
                if !proxy_conflicts.is_empty() {
                    f.push(Field::Reconcile(i));
                }
            }
        }
        f.push(Field::Restore);
        f.push(Field::Cancel);
        f
    }

    pub fn focused_input(&mut self) -> Option<&mut Input> {
        match self.focus {
            Field::Password => Some(&mut self.password),
            Field::Recipients => Some(&mut self.recipients),
            Field::NewUpn(i) => self.targets.get_mut(i).map(|t| &mut t.new_upn),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Restoring,
    Restored,
    PasswordSet,
    Failed(String),
    Stopped,
}

#[derive(Debug, Clone)]
pub struct ProgressLine {
    pub id: String,
    pub name: String,
    pub status: JobStatus,
}

#[derive(Debug, Clone)]
pub struct ProgressState {
    pub lines: Vec<ProgressLine>,
    /// The client's current wait (throttled, server busy) and when it ends.
    pub waiting: Option<(String, DateTime<Utc>)>,
    pub index: HashMap<String, usize>,
    pub scroll: usize,
    pub confirm_stop: bool,
    pub stopping: bool,
}

impl ProgressState {
    pub fn new(users: &[DeletedUser]) -> Self {
        let lines: Vec<ProgressLine> = users
            .iter()
            .map(|u| ProgressLine {
                id: u.id.clone(),
                name: u.display_name.clone(),
                status: JobStatus::Queued,
            })
            .collect();
        let index = lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i))
            .collect();
        Self {
            lines,
            waiting: None,
            index,
            scroll: 0,
            confirm_stop: false,
            stopping: false,
        }
    }

    pub fn done(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| {
                matches!(
                    l.status,
                    JobStatus::PasswordSet | JobStatus::Failed(_) | JobStatus::Stopped
                )
            })
            .count()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultButton {
    SendAndClose,
    CloseWithoutMail,
}

/// The "Send email and close" screen. No `Debug`: it holds passwords.
pub struct ResultState {
    /// One per user, in plan order; restored ones carry their password.
    pub outcomes: Vec<UserOutcome>,
    pub recipients: Vec<String>,
    pub include_password: bool,
    /// How passwords are set when a failed user is tried again (`r`): the run's choices.
    pub step: restore::PasswordStep,
    pub focus: ResultButton,
    pub selected: usize,
    pub reveal: bool,
    pub confirm_close: bool,
    pub sending: bool,
    pub send_error: Option<String>,
    /// What the last key did ("Copied …", "Retrying 2 users…").
    pub message: Option<String>,
    /// A retry or a password (`p`) is on its way.
    pub busy: bool,
    /// `p`: the password prompt for one user.
    pub prompt: Option<PasswordPrompt>,
    /// `e`: the selected user's whole error, scrolled this far.
    pub error_pane: Option<usize>,
}

/// The password prompt for one restored user without a password. No `Debug`: it holds one.
pub struct PasswordPrompt {
    /// Index into the result's outcomes.
    pub index: usize,
    pub auto: bool,
    pub input: Input,
    pub reveal: bool,
    pub error: Option<String>,
}

impl ResultState {
    pub fn new(
        outcomes: Vec<UserOutcome>,
        recipients: Vec<String>,
        include_password: bool,
        step: restore::PasswordStep,
    ) -> Self {
        Self {
            outcomes,
            recipients,
            include_password,
            step,
            focus: ResultButton::SendAndClose,
            selected: 0,
            reveal: false,
            confirm_close: false,
            sending: false,
            send_error: None,
            message: None,
            busy: false,
            prompt: None,
            error_pane: None,
        }
    }

    /// Restored, but without the password they need.
    pub fn missing_passwords(&self) -> usize {
        self.outcomes.iter().filter(|o| o.needs_password()).count()
    }

    /// Users a retry (`r`) would try again: a failed restore with its plan, or a missing
    /// password.
    pub fn retryable(&self) -> usize {
        self.outcomes.iter().filter(|o| retryable(o)).count()
    }

    /// Passwords on this screen that nobody else has seen yet: closing loses them.
    pub fn holds_passwords(&self) -> bool {
        self.outcomes
            .iter()
            .any(|o| o.complete() && o.password.is_some())
    }

    pub fn restored(&self) -> usize {
        self.outcomes.iter().filter(|o| o.restored()).count()
    }

    /// Restored with a password set: the users the sign-in mail is about.
    pub fn complete(&self) -> usize {
        self.outcomes.iter().filter(|o| o.complete()).count()
    }

    /// Mail can be sent: someone was restored and there is someone to tell.
    pub fn can_send(&self) -> bool {
        self.complete() > 0 && !self.recipients.is_empty()
    }
}

pub struct PurgeState {
    pub users: Vec<DeletedUser>,
    pub typed: Input,
    pub error: Option<String>,
    pub running: bool,
}

/// A failed user that `r` can try again.
pub fn retryable(o: &UserOutcome) -> bool {
    // A password whose mail may have gone out is not reset by a retry: only `p`, on purpose.
    let mail_maybe_sent = o
        .failure
        .as_ref()
        .is_some_and(|f| f.error.code.as_deref() == Some(restore::MAIL_UNCERTAIN_CODE));
    (o.needs_password() && !mail_maybe_sent)
        || (!o.restored()
            && o.planned.is_some()
            && o.failure
                .as_ref()
                .is_some_and(|f| matches!(f.stage, Stage::Restore | Stage::Preflight)))
}

pub enum Modal {
    Restore(Box<RestoreForm>),
    Progress(ProgressState),
    Result(Box<ResultState>),
    Purge(PurgeState),
    Help { scroll: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Error,
}

/// What the app was started with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// "SANDBOX contoso.sandbox" or the tenant.
    pub label: String,
    pub is_sandbox: bool,
    pub account: String,
    pub read_only: bool,
    pub no_color: bool,
    pub mouse: bool,
    /// The link the sign-in mail gives (per cloud).
    pub sign_in_url: String,
    /// App-only sign-in sends mail as this mailbox.
    pub mail_sender: Option<String>,
    /// The admin's UTC offset: "[EXPIRES today]" and the details' purge time are in local time.
    pub local_offset: chrono::FixedOffset,
}

pub struct State {
    pub settings: Settings,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    pub users: UsersView,
    pub modal: Option<Modal>,
    pub details: bool,
    /// How far the details pane is scrolled, and for which user (by id): another user's
    /// details start at the top.
    pub details_scroll: Option<(String, usize)>,
    pub log_open: bool,
    pub log: VecDeque<RequestRecord>,
    pub notice: Option<(NoticeKind, String)>,
    pub unfinished: Vec<Unfinished>,
    /// Marks to put back once a reload brings these ids again.
    pub pending_marks: HashSet<String>,
    pub spinner: usize,
    /// Recipients and include-password choice of the restore in flight, for the result screen.
    pub last_mail: Option<(Vec<String>, bool)>,
    /// How the restore in flight sets passwords, for retries on the result screen.
    pub last_step: Option<restore::PasswordStep>,
    /// The tenant's verified domains, for the plan's rules (unknown until read).
    pub tenant: restore::Tenant,
    /// A reload in progress keeps the rows on screen; its pages wait here until it is whole.
    pub reload: Option<Vec<DeletedUser>>,
    /// When the rows on screen were loaded.
    pub loaded_at: Option<DateTime<Utc>>,
    /// A reload failed: the rows are those loaded at this time.
    pub stale_since: Option<DateTime<Utc>>,
    /// Counts the password checks sent, so a late verdict on an older value is dropped.
    pub verdict_seq: u64,
    pub quit: bool,
    /// Set by `update` when the screen must be drawn again.
    pub dirty: bool,
}

impl State {
    /// Whether a key's action does anything here and now: the footer lists only those.
    pub fn offers(&self, action: super::action::Action) -> bool {
        use super::action::Action as A;
        let writes = !self.settings.read_only;
        match (&self.modal, action) {
            (Some(Modal::Result(r)), _) if r.prompt.is_some() || r.error_pane.is_some() => true,
            (None, A::Restore | A::Purge) => writes,
            (None, A::FinishUnfinished) => writes && !self.unfinished.is_empty(),
            (Some(Modal::Result(r)), A::NextField) => r.can_send(),
            (Some(Modal::Result(r)), A::Cancel) => r.can_send(),
            (Some(Modal::Result(r)), A::Copy | A::Reveal) => {
                r.outcomes.iter().any(|o| o.password.is_some())
            }
            (Some(Modal::Result(r)), A::SetPassword) => r.missing_passwords() > 0,
            (Some(Modal::Result(r)), A::Retry) => r.retryable() > 0,
            (Some(Modal::Result(r)), A::ShowError) => {
                r.outcomes.iter().any(|o| o.failure.is_some())
            }
            _ => true,
        }
    }

    /// The first line of the details pane on screen (before clamping to the pane's length).
    pub fn details_top(&self) -> usize {
        match (&self.details_scroll, self.users.current_id()) {
            (Some((id, top)), Some(cur)) if id == cur => *top,
            _ => 0,
        }
    }

    pub fn new(settings: Settings, now: DateTime<Utc>, size: (u16, u16)) -> Self {
        Self {
            settings,
            now,
            size,
            users: UsersView::default(),
            modal: None,
            details: false,
            details_scroll: None,
            log_open: false,
            log: VecDeque::new(),
            notice: None,
            unfinished: Vec::new(),
            pending_marks: HashSet::new(),
            spinner: 0,
            last_mail: None,
            last_step: None,
            tenant: restore::Tenant::default(),
            reload: None,
            loaded_at: None,
            stale_since: None,
            verdict_seq: 0,
            quit: false,
            dirty: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures;

    /// Users whose sort keys tie on the first 8 bytes, lowercase differently in and out of
    /// ASCII, or are missing: the cases where a kept order could drift from a full sort.
    fn awkward(n: usize) -> Vec<DeletedUser> {
        let now = fixtures::now();
        (0..n)
            .map(|i| {
                let mut u = fixtures::user(i, now);
                match i % 6 {
                    0 => u.department = Some(["ÉTUDES", "études", "Études x"][i % 3].into()),
                    1 => u.department = Some(String::new()),
                    2 => u.deleted_at = None,
                    3 => u.display_name = format!("Same Prefix {}", i % 4),
                    4 => u.original_upn = format!("SAME.PREFIX{}@contoso.sandbox", i % 3),
                    _ => {}
                }
                u
            })
            .collect()
    }

    /// Loads `users` in pages of the given sizes (cycled), in the order given.
    fn load(users: Vec<DeletedUser>, sizes: &[usize]) -> UsersView {
        let mut view = UsersView::default();
        let mut rest = users.into_iter();
        for size in sizes.iter().cycle() {
            let page: Vec<DeletedUser> = rest.by_ref().take(*size).collect();
            if page.is_empty() && rest.len() == 0 {
                break;
            }
            view.push_page(page);
        }
        view
    }

    /// What a sort from scratch by the row comparison gives: the order the table had when
    /// every switch sorted again.
    fn full_sort(view: &UsersView) -> Vec<u32> {
        let mut all: Vec<u32> = (0..view.rows.len() as u32).collect();
        all.sort_by(|a, b| view.compare(*a, *b));
        all
    }

    fn check_every_order(view: &mut UsersView) {
        for sort in SortColumn::ALL {
            let kept: Vec<u64> = view.orders[sort.index()]
                .iter()
                .map(|i| view.sort_prefix(sort, *i))
                .collect();
            assert_eq!(view.prefixes[sort.index()], kept, "{sort:?} prefixes");
            for reverse in [false, true] {
                view.sort = sort;
                view.reverse = reverse;
                view.resort();
                let expected = full_sort(view);
                assert_eq!(
                    view.sorted().collect::<Vec<_>>(),
                    expected,
                    "{sort:?} reverse={reverse}"
                );
                let needle = view.applied_filter.clone();
                let filtered: Vec<u32> = expected
                    .into_iter()
                    .filter(|i| view.key(*i).contains(needle.as_str()))
                    .collect();
                assert_eq!(view.shown, filtered, "{sort:?} reverse={reverse} /{needle}");
            }
        }
    }

    #[test]
    fn kept_orders_match_a_full_sort_whatever_the_pages() {
        let mut users = awkward(700);
        // Pages do not arrive in any order, and some are tiny or empty.
        users.reverse();
        users.rotate_left(123);
        let mut view = load(users, &[97, 1, 0, 250, 13]);
        assert_eq!(view.rows.len(), 700);
        check_every_order(&mut view);
    }

    #[test]
    fn a_sort_switch_under_a_filter_shows_what_filtering_afresh_would() {
        let mut view = load(awkward(500), &[120]);
        view.filter = Input::new("Études".into());
        view.refilter();
        assert!(!view.shown.is_empty() && view.shown.len() < 500);
        check_every_order(&mut view);
        // A filter that matches nothing stays empty in every order.
        view.filter = Input::new("no such user anywhere".into());
        view.refilter();
        check_every_order(&mut view);
        assert!(view.shown.is_empty());
    }

    #[test]
    fn removing_users_keeps_every_order() {
        let users = awkward(400);
        let gone: HashSet<String> = users.iter().step_by(7).map(|u| u.id.clone()).collect();
        let mut view = load(users, &[999]);
        view.remove_ids(&gone);
        assert_eq!(view.rows.len(), 400 - gone.len());
        check_every_order(&mut view);
        // And a page after the removal still lands in place.
        view.push_page(awkward(450).split_off(400));
        check_every_order(&mut view);
    }

    #[test]
    fn a_reload_forgets_the_kept_orders() {
        let mut view = load(awkward(50), &[10]);
        view.filter = Input::new("sales".into());
        view.refilter();
        view.clear_for_reload();
        assert!(
            SortColumn::ALL
                .iter()
                .all(|s| view.orders[s.index()].is_empty())
        );
        view.push_page(awkward(5));
        assert_eq!(view.order().len(), 5);
    }

    #[test]
    fn the_selected_user_stays_selected_across_sort_switches() {
        let mut view = load(awkward(300), &[64]);
        view.selected = 17;
        let id = view.current_id().map(str::to_string);
        for sort in SortColumn::ALL {
            for reverse in [true, false] {
                view.sort = sort;
                view.reverse = reverse;
                view.resort();
                assert_eq!(view.current_id().map(str::to_string), id, "{sort:?}");
            }
        }
    }
}
