//! One column's kept order: row indices ascending with the top half of each one's sort
//! prefix beside them. The column the table shows is kept merged as pages arrive; the others
//! keep each page as a sorted run and merge their runs on the first switch to them, so a
//! page costs one merge instead of one per column (a move of every kept row each).

use std::cmp::Ordering;

#[derive(Debug, Clone, Default)]
pub(super) struct KeptOrder {
    rows: Vec<u32>,
    /// Parallel to `rows`: comparing these first touches rows only where prefixes tie.
    prefixes: Vec<u64>,
    /// Where each sorted run after the first begins; empty when `rows` is sorted whole.
    run_starts: Vec<usize>,
}

impl KeptOrder {
    /// The rows, ascending; only sorted whole once `merge_runs` has run since the last
    /// `push_run`.
    pub(super) fn rows(&self) -> &[u32] {
        &self.rows
    }

    #[cfg(test)]
    pub(super) fn prefixes(&self) -> &[u64] {
        &self.prefixes
    }

    pub(super) fn is_merged(&self) -> bool {
        self.run_starts.is_empty()
    }

    pub(super) fn reserve_exact(&mut self, more: usize) {
        self.rows.reserve_exact(more);
        self.prefixes.reserve_exact(more);
    }

    pub(super) fn clear(&mut self) {
        self.rows.clear();
        self.prefixes.clear();
        self.run_starts.clear();
    }

    /// Keeps `fresh` (sorted) as a run of its own, to be merged when the column is shown.
    pub(super) fn push_run(&mut self, fresh: &[(u64, u32)]) {
        if fresh.is_empty() {
            return;
        }
        if !self.rows.is_empty() {
            self.run_starts.push(self.rows.len());
        }
        self.rows.extend(fresh.iter().map(|p| p.1));
        self.prefixes.extend(fresh.iter().map(|p| p.0));
    }

    /// Merges the sorted `fresh` into the merged order in place, from the back, each old row
    /// moving once. An old row equal to a new one stays before it, as a front-to-back merge
    /// would keep it. Each new row's place is searched for from the last one's down
    /// (galloping): it is usually near, in memory the last move just touched, where a binary
    /// search over 100,000 rows would wait for memory at every step. `cmp` orders two rows.
    pub(super) fn merge_in(&mut self, fresh: &[(u64, u32)], cmp: impl Fn(u32, u32) -> Ordering) {
        debug_assert!(self.is_merged(), "merging into unmerged runs");
        let (order, prefixes) = (&mut self.rows, &mut self.prefixes);
        let mut end = order.len();
        order.resize(end + fresh.len(), 0);
        prefixes.resize(end + fresh.len(), 0);
        for (k, &(fp, f)) in fresh.iter().enumerate().rev() {
            // `order[..end]` holds the old rows not yet moved, all at most fresh[k + 1].
            // A smaller prefix means an earlier row; only equal prefixes need the rows.
            let hi = partition_from_back(0, end, |i| prefixes[i] <= fp);
            let lo = partition_from_back(0, hi, |i| prefixes[i] < fp);
            let at = partition_from_back(lo, hi, |i| cmp(order[i], f) != Ordering::Greater);
            // Before each of them: the k new rows still to place, and `f`.
            order.copy_within(at..end, at + k + 1);
            prefixes.copy_within(at..end, at + k + 1);
            order[at + k] = f;
            prefixes[at + k] = fp;
            end = at;
        }
    }

    /// Merges the runs into one sorted order: neighbours pairwise, level by level (about
    /// seven passes over 100,000 rows kept as 100 pages), an earlier run's row first where
    /// two compare equal, as `merge_in` would have placed them.
    pub(super) fn merge_runs(&mut self, cmp: impl Fn(u32, u32) -> Ordering) {
        if self.is_merged() {
            return;
        }
        let n = self.rows.len();
        let mut bounds: Vec<usize> = std::iter::once(0)
            .chain(self.run_starts.drain(..))
            .chain(std::iter::once(n))
            .collect();
        let mut rows_to = vec![0u32; n];
        let mut prefixes_to = vec![0u64; n];
        while bounds.len() > 2 {
            let mut next = Vec::with_capacity(bounds.len() / 2 + 2);
            next.push(0);
            for pair in bounds[1..].chunks(2) {
                let (start, mid) = (*next.last().unwrap_or(&0), pair[0]);
                let end = pair.get(1).copied().unwrap_or(mid);
                merge_two(
                    (&self.rows, &self.prefixes),
                    (start, mid, end),
                    (&mut rows_to[start..end], &mut prefixes_to[start..end]),
                    &cmp,
                );
                next.push(end);
            }
            std::mem::swap(&mut self.rows, &mut rows_to);
            std::mem::swap(&mut self.prefixes, &mut prefixes_to);
            bounds = next;
        }
    }

    /// Renumbers the rows after some were removed (`remap[old]` is the new index, `u32::MAX`
    /// for a row gone), keeping the others' relative order and runs: no sorting again.
    pub(super) fn remap(&mut self, remap: &[u32]) {
        let mut kept = 0;
        let mut run = 0;
        for at in 0..self.rows.len() {
            while run < self.run_starts.len() && self.run_starts[run] == at {
                self.run_starts[run] = kept;
                run += 1;
            }
            let row = remap[self.rows[at] as usize];
            if row != u32::MAX {
                self.rows[kept] = row;
                self.prefixes[kept] = self.prefixes[at];
                kept += 1;
            }
        }
        self.rows.truncate(kept);
        self.prefixes.truncate(kept);
        // Runs left empty (or at the very end) start nowhere.
        self.run_starts.retain(|s| *s > 0 && *s < kept);
        self.run_starts.dedup();
    }
}

/// Merges the sorted `from[start..mid]` and `from[mid..end]` into `to` (`end - start`
/// long), the left one's row first where `cmp` finds two equal.
fn merge_two(
    (rows, prefixes): (&[u32], &[u64]),
    (start, mid, end): (usize, usize, usize),
    (rows_to, prefixes_to): (&mut [u32], &mut [u64]),
    cmp: &impl Fn(u32, u32) -> Ordering,
) {
    let (mut i, mut j) = (start, mid);
    for out in 0..end - start {
        let take_right = if i == mid {
            true
        } else if j == end {
            false
        } else {
            let (pl, pr) = (prefixes[i], prefixes[j]);
            pr < pl || (pr == pl && cmp(rows[j], rows[i]) == Ordering::Less)
        };
        let from = if take_right { &mut j } else { &mut i };
        rows_to[out] = rows[*from];
        prefixes_to[out] = prefixes[*from];
        *from += 1;
    }
}

/// The first index in `lo..end` where `pred` is false (it holds up to some index, then never
/// again), searched for from `end` down: probes 1, 2, 4... places back, then a binary search
/// between the last two. Costs about twice the log of the distance from `end`, not of the
/// range.
pub(super) fn partition_from_back(lo: usize, end: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (lo, end);
    let mut step = 1;
    while step <= hi - lo {
        let probe = hi - step;
        if pred(probe) {
            lo = probe + 1;
            break;
        }
        hi = probe;
        step *= 2;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}
