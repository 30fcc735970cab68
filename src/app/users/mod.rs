//! The users-table engine: every row as loaded, each column's sorted order kept as pages
//! arrive, the filter's window over it, marks and the selection.

mod across;
mod intents;
mod order;
mod row;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tui_input::Input;

use crate::directory::DeletedUser;
pub use crate::query::SortKey;
use crate::query::{Sortable, push_search_key as push_key};
pub use across::Looking;
use order::KeptOrder;
pub use row::Row;

/// The deleted users: all rows as loaded, their sorted order, and the filtered window of it.
#[derive(Debug, Clone)]
pub struct UsersView {
    rows: Vec<Row>,
    /// Every row's search key, back to back: a filter keystroke is one `memmem` scan over
    /// contiguous memory instead of 100,000 separate string searches.
    keys: String,
    /// `key_start` of each row, for mapping a match position back to its row.
    key_starts: Vec<u32>,
    /// Indices into `rows` in each column's order (ascending, indexed by
    /// `SortKey::index`) with the top half of each one's `query::sort_prefix`, kept as
    /// pages arrive: the shown column merged, the others as sorted pages merged on the
    /// first switch to them; after that, switching the sort or its direction sorts
    /// nothing. 1.2 MB per column at 100,000 users.
    orders: [KeptOrder; SortKey::ALL.len()],
    /// Which rows the applied filter matches (`None`: no filter), kept so a sort switch
    /// under a filter does not scan the keys again.
    hits: Option<Vec<bool>>,
    /// The rows the filter keeps, in the current order and direction: what the table shows.
    shown: Vec<u32>,
    /// Counts the changes of `shown` (`shown_version`).
    shown_version: u64,
    /// Parallel to `rows`.
    marked: Vec<bool>,
    marked_count: usize,
    /// Position in `shown`.
    selected: usize,
    /// First shown row drawn at the top of the table.
    offset: usize,
    sort: SortKey,
    reverse: bool,
    filter: Input,
    /// The filter line has the keyboard.
    filtering: bool,
    /// The folded filter the `shown` list was computed with.
    applied_filter: String,
    loading: bool,
    /// `@odata.count`, when the server sent it.
    expected_total: Option<u64>,
    load_error: Option<String>,
    /// Which load the pages in flight belong to; older pages are dropped.
    generation: u64,
    /// Ids found in conflict with an active user (pre-flight or a failed restore).
    conflicts: HashSet<String>,
    /// Ids the conflict sweep found in conflict (replaced whole by each sweep).
    swept: HashSet<String>,
    /// Only users in conflict are shown (on top of the typed filter).
    only_conflicts: bool,
    /// `m`: only the marked users, to see whom a restore will take before it opens.
    only_marked: bool,
    /// The widest text of each column that shares the table's spare width, over every row.
    widths: ContentWidths,
    /// The earliest deletion time of any row (the soonest purge), kept as rows come and go so
    /// the header across tenants reads it without a scan per frame.
    earliest_deletion: Option<DateTime<Utc>>,
}

/// How wide the text of the columns that share the table's width is, over every row: kept as
/// rows arrive (rows that go are not taken out, which only leaves a column a little wide), so
/// a frame sizes its columns by content without measuring 100,000 rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentWidths {
    /// The name with its lasting badges ("  [SYNCED] [GUEST]"); an expiry badge comes and
    /// goes with time and shrinks to fit instead.
    pub name: WidthCounts,
    pub user_name: WidthCounts,
    pub department: WidthCounts,
    pub job_title: WidthCounts,
}

/// How many rows have text of each width (wider than `WidthCounts::CAP` counted at it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidthCounts([u32; WidthCounts::CAP + 1]);

impl Default for WidthCounts {
    fn default() -> Self {
        Self([0; WidthCounts::CAP + 1])
    }
}

impl WidthCounts {
    /// Wider text is as good as this wide: no table column is worth more.
    pub const CAP: usize = 96;

    fn add(&mut self, width: usize) {
        self.0[width.min(Self::CAP)] += 1;
    }

    /// One more row of text `width` wide (tests of the column sharing).
    #[doc(hidden)]
    pub fn add_for_test(&mut self, width: usize) {
        self.add(width);
    }

    /// The least width that `share` of the rows fit in whole: the column's content width.
    /// One very long name among thousands (the few the seed holds on purpose) is cut with
    /// `…` in the table, whole in the details pane, rather than widen its column for all.
    pub fn fitting(&self, share: f64) -> usize {
        let total: u64 = self.0.iter().map(|n| u64::from(*n)).sum();
        let need = (total as f64 * share).ceil() as u64;
        let mut seen = 0;
        for (w, n) in self.0.iter().enumerate() {
            seen += u64::from(*n);
            if seen >= need {
                return w;
            }
        }
        Self::CAP
    }
}

impl ContentWidths {
    /// Takes in another table's widths: the table across tenants sizes its columns by every
    /// tenant's rows.
    pub fn add(&mut self, other: &ContentWidths) {
        for (mine, theirs) in [
            (&mut self.name, &other.name),
            (&mut self.user_name, &other.user_name),
            (&mut self.department, &other.department),
            (&mut self.job_title, &other.job_title),
        ] {
            for (m, t) in mine.0.iter_mut().zip(theirs.0.iter()) {
                *m += t;
            }
        }
    }

    fn take(&mut self, row: &Row) {
        use crate::text::width;
        // "[SYNCED]" and "[GUEST]", two spaces from the name, one between.
        let badges = match (row.synced(), row.is_guest()) {
            (true, true) => 2 + 8 + 1 + 7,
            (true, false) => 2 + 8,
            (false, true) => 2 + 7,
            (false, false) => 0,
        };
        let or_dash = |s: Option<&str>| s.filter(|s| !s.is_empty()).map_or(1, width);
        self.name.add(width(row.display_name()) + badges);
        self.user_name.add(width(row.original_upn()));
        self.department.add(or_dash(row.department()));
        self.job_title.add(or_dash(row.job_title()));
    }
}

impl Default for UsersView {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            keys: String::new(),
            key_starts: Vec::new(),
            orders: Default::default(),
            hits: None,
            shown: Vec::new(),
            shown_version: 0,
            marked: Vec::new(),
            marked_count: 0,
            selected: 0,
            offset: 0,
            sort: SortKey::DaysLeft,
            reverse: false,
            filter: Input::default(),
            filtering: false,
            applied_filter: String::new(),
            loading: true,
            expected_total: None,
            load_error: None,
            generation: 0,
            conflicts: HashSet::new(),
            swept: HashSet::new(),
            only_conflicts: false,
            only_marked: false,
            widths: ContentWidths::default(),
            earliest_deletion: None,
        }
    }
}

impl UsersView {
    /// The folded search key of a row; sorting by name compares these.
    pub fn key(&self, idx: u32) -> &str {
        let r = &self.rows[idx as usize];
        &self.keys[r.key_start as usize..r.key_end as usize]
    }

    /// Sizes every per-row array once for the `@odata.count` the first page announced, so
    /// 100,000 users streaming in never double-and-copy a big buffer: each doubling left its
    /// old block stranded in the heap, which cost tens of MB of resident memory. The first
    /// page's keys give the average key length. A count larger than any tenant is capped, so a
    /// wrong one only costs the reservation.
    fn reserve_for(&mut self, total: u64, first_page: &[DeletedUser]) {
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
    }

    fn push_row(&mut self, user: &DeletedUser) {
        let (key_start, key_end) = push_key(&mut self.keys, user);
        self.key_starts.push(key_start);
        let row = Row::new(user, key_start, key_end);
        self.widths.take(&row);
        self.note_deletion(&row);
        self.rows.push(row);
        self.marked.push(false);
    }

    fn note_deletion(&mut self, row: &Row) {
        if let Some(at) = row.deleted_at {
            self.earliest_deletion = Some(self.earliest_deletion.map_or(at, |e| e.min(at)));
        }
    }

    /// When the row deleted first was deleted: its purge is the table's soonest.
    pub fn earliest_deletion(&self) -> Option<DateTime<Utc>> {
        self.earliest_deletion
    }

    /// How wide the text of the columns that share the table's width is.
    pub fn content_widths(&self) -> &ContentWidths {
        &self.widths
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
        self.note_deletion(&row);
        self.rows.push(row);
        self.marked.push(false);
    }

    /// Row `idx` as the shared sort order reads it.
    fn sortable(&self, idx: u32) -> RowKey<'_> {
        RowKey {
            row: &self.rows[idx as usize],
            key: self.key(idx),
        }
    }

    /// The order of `sort`, ascending (as if `reverse` were off): `query::compare`, the one
    /// `list` sorts by too.
    fn compare_by(&self, sort: SortKey, a: u32, b: u32) -> Ordering {
        crate::query::compare(sort, &self.sortable(a), &self.sortable(b))
    }

    /// The order the table shows: the current column, reversed when `reverse` is on.
    pub fn compare(&self, a: u32, b: u32) -> Ordering {
        let ord = self.compare_by(self.sort, a, b);
        if self.reverse { ord.reverse() } else { ord }
    }

    /// The rows `start..end` with the top half of their `query::sort_prefix` (which agrees
    /// with the order too, and is what `prefixes` keeps), sorted by `sort` (ascending): by
    /// the whole prefix, then each run of equal prefixes by the rows themselves (rows that
    /// compare equal, one user listed twice, by index: every way of merging pages agrees).
    fn sorted_range(&self, sort: SortKey, start: u32, end: u32) -> Vec<(u64, u32)> {
        let mut pairs: Vec<(u128, u32)> = (start..end)
            .map(|i| (crate::query::sort_prefix(sort, &self.sortable(i)), i))
            .collect();
        pairs.sort_unstable_by_key(|p| p.0);
        for run in pairs.chunk_by_mut(|a, b| a.0 == b.0) {
            if run.len() > 1 {
                run.sort_unstable_by(|a, b| self.compare_by(sort, a.1, b.1).then(a.1.cmp(&b.1)));
            }
        }
        pairs
            .into_iter()
            .map(|(p, i)| ((p >> 64) as u64, i))
            .collect()
    }

    /// The current column's order, ascending: the table shows it backwards when `reverse`.
    fn order(&self) -> &[u32] {
        self.orders[self.sort.index()].rows()
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
    /// kept from the load (merged from sorted pages on the first switch to it), and the
    /// filter's matches from the last keystroke, so this is one pass over 100,000 indices,
    /// not a sort.
    fn resort(&mut self) {
        self.keep_selection(Self::rebuild_shown);
    }

    /// Adds a page: the shown column's order takes the new rows (sorted among themselves)
    /// by galloping search, a few thousand comparisons and one move of the kept rows; the
    /// other columns keep them as a sorted run, which costs no move at all.
    pub fn push_page(&mut self, users: Vec<DeletedUser>) {
        let start = self.rows.len() as u32;
        for user in &users {
            self.push_row(user);
        }
        let end = self.rows.len() as u32;
        for sort in SortKey::ALL {
            let fresh = self.sorted_range(sort, start, end);
            let mut order = std::mem::take(&mut self.orders[sort.index()]);
            if sort == self.sort && order.is_merged() {
                order.merge_in(&fresh, |a, b| self.compare_by(sort, a, b));
            } else {
                order.push_run(&fresh);
            }
            self.orders[sort.index()] = order;
        }
        self.refilter_keep_selection();
    }

    /// Once the load is done, merges one column's runs that the table does not show, so a
    /// later switch to it is a lookup, not a 35 ms merge of 100,000 rows on the keystroke:
    /// the clock calls this each tick (`update::on_tick`), a column at a time. `true` while
    /// some column is still kept as runs.
    pub fn merge_idle_order(&mut self) -> bool {
        if self.loading {
            return true;
        }
        match SortKey::ALL
            .into_iter()
            .find(|k| !self.orders[k.index()].is_merged())
        {
            Some(key) => {
                self.merge_order(key);
                SortKey::ALL
                    .into_iter()
                    .any(|k| !self.orders[k.index()].is_merged())
            }
            None => false,
        }
    }

    /// Merges the sorted runs `sort`'s order was kept as, if any: rows equal by the row
    /// comparison order by index, as `sorted_range` orders them within a page.
    fn merge_order(&mut self, sort: SortKey) {
        if self.orders[sort.index()].is_merged() {
            return;
        }
        let mut order = std::mem::take(&mut self.orders[sort.index()]);
        order.merge_runs(|a, b| self.compare_by(sort, a, b).then(a.cmp(&b)));
        self.orders[sort.index()] = order;
    }

    /// Recomputes `shown` from the order and the filter text: one scan over all keys marks
    /// the matching rows, then one pass over the order keeps them.
    fn refilter(&mut self) {
        let filter = crate::query::Filter::new(self.filter.value());
        let needle = filter.as_ref().map_or("", |f| f.text()).to_string();
        if needle.is_empty() && !self.only_conflicts && !self.only_marked {
            self.hits = None;
        } else if needle.is_empty() {
            let hit = self.narrow(vec![true; self.rows.len()]);
            self.hits = Some(hit);
        } else {
            let mut hit = self.hits.take().unwrap_or_default();
            hit.clear();
            hit.resize(self.rows.len(), false);
            let hay = self.keys.as_bytes();
            let mut from = 0;
            while from < hay.len() {
                let Some(pos) = filter.as_ref().and_then(|f| f.find_in(&hay[from..])) else {
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
            let hit = self.narrow(hit);
            self.hits = Some(hit);
        }
        self.applied_filter = needle;
        self.rebuild_shown();
    }

    /// `hit` narrowed to the users in conflict (a hash lookup per row still in) and to the
    /// marked ones, as `c` and `m` ask.
    fn narrow(&self, mut hit: Vec<bool>) -> Vec<bool> {
        if self.only_conflicts {
            for (h, row) in hit.iter_mut().zip(&self.rows) {
                if *h && !self.is_conflict(row.id()) {
                    *h = false;
                }
            }
        }
        if self.only_marked {
            for (h, marked) in hit.iter_mut().zip(&self.marked) {
                *h &= *marked;
            }
        }
        hit
    }

    /// `shown` from the current order, direction and filter matches: one pass, no sorting.
    fn rebuild_shown(&mut self) {
        self.merge_order(self.sort);
        let order = self.orders[self.sort.index()].rows();
        self.shown_version += 1;
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
    fn refilter_keep_selection(&mut self) {
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

    /// Which of `ids` are loaded: one pass over the rows, for a handful of ids.
    pub fn ids_among(&self, ids: &HashSet<&str>) -> HashSet<String> {
        self.rows
            .iter()
            .filter(|r| ids.contains(r.id()))
            .map(|r| r.id().to_string())
            .collect()
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
        self.earliest_deletion = None;
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
        for order in &mut self.orders {
            order.remap(&remap);
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
        self.widths = ContentWidths::default();
        self.earliest_deletion = None;
        self.keys.clear();
        self.key_starts.clear();
        for order in &mut self.orders {
            order.clear();
        }
        self.hits = None;
        self.shown.clear();
        self.shown_version += 1;
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

/// A row with its search key: what `query`'s sort reads.
struct RowKey<'a> {
    row: &'a Row,
    key: &'a str,
}

impl Sortable for RowKey<'_> {
    fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.row.deleted_at
    }
    fn original_upn(&self) -> &str {
        self.row.original_upn()
    }
    fn department(&self) -> Option<&str> {
        self.row.department()
    }
    fn search_key(&self) -> &str {
        self.key
    }
    fn id(&self) -> &str {
        self.row.id()
    }
    const KEY_AT_HAND: bool = true;
}
