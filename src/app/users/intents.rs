//! What the rest of the app may read from the table and ask of it. The fields stay private
//! to `users`, so an order, a filter window or a mark count can only change together with
//! what depends on it.

use std::collections::HashSet;

use tui_input::Input;

use super::{Row, SortKey, UsersView};

impl UsersView {
    /// Every row as loaded, in load order (a row's index is its place here).
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// How many users are loaded.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows the filter keeps, in the current order: what the table shows.
    pub fn shown(&self) -> &[u32] {
        &self.shown
    }

    /// The shown rows from `start`, at most `count` of them (the table's visible window).
    pub fn visible(&self, start: usize, count: usize) -> &[u32] {
        let end = start.saturating_add(count).min(self.shown.len());
        self.shown.get(start.min(end)..end).unwrap_or_default()
    }

    /// Position of the selection in `shown`.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// First shown row drawn at the top of the table.
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn sort(&self) -> SortKey {
        self.sort
    }

    pub fn reverse(&self) -> bool {
        self.reverse
    }

    pub fn marked_count(&self) -> usize {
        self.marked_count
    }

    /// The filter as typed (with its cursor, for drawing).
    pub fn filter(&self) -> &Input {
        &self.filter
    }

    /// The filter line has the keyboard.
    pub fn filtering(&self) -> bool {
        self.filtering
    }

    pub fn loading(&self) -> bool {
        self.loading
    }

    /// `@odata.count`, when the server sent it.
    pub fn expected_total(&self) -> Option<u64> {
        self.expected_total
    }

    pub fn load_error(&self) -> Option<&str> {
        self.load_error.as_deref()
    }

    /// Which load the pages in flight belong to; older pages are dropped.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether this user's name or a proxy address is held by an active user.
    pub fn is_conflict(&self, id: &str) -> bool {
        self.conflicts.contains(id) || self.swept.contains(id)
    }

    /// The ids the conflict sweep's last join found in conflict.
    pub fn swept_conflicts(&self) -> &HashSet<String> {
        &self.swept
    }

    /// The conflict sweep's verdict, whole: a delta round can also clear a conflict.
    pub fn set_swept_conflicts(&mut self, ids: HashSet<String>) {
        self.swept = ids;
        if self.only_conflicts {
            self.refilter_keep_selection();
        }
    }

    /// Shows only users in conflict, or everyone again (the typed filter still applies).
    pub fn toggle_only_conflicts(&mut self) {
        self.only_conflicts = !self.only_conflicts;
        self.refilter_to_current();
    }

    pub fn only_conflicts(&self) -> bool {
        self.only_conflicts
    }

    /// Shows only the marked users, or everyone again (the typed filter still applies). A
    /// user unmarked meanwhile stays listed until the view is asked for again.
    pub fn toggle_only_marked(&mut self) {
        self.only_marked = !self.only_marked;
        self.refilter_to_current();
    }

    pub fn only_marked(&self) -> bool {
        self.only_marked
    }

    fn refilter_to_current(&mut self) {
        let current = self.current_index();
        self.refilter();
        // The user picked stays picked when it is still shown (back from `c`, the one looked
        // at there); otherwise the top, where the first conflict is.
        self.selected = current
            .and_then(|cur| self.shown.iter().position(|i| *i == cur))
            .unwrap_or(0);
        if self.selected == 0 {
            self.offset = 0;
        }
    }

    pub fn mark_conflict(&mut self, id: String) {
        self.conflicts.insert(id);
    }

    /// Moves the selection by `delta` rows, stopping at either end.
    pub fn move_selection(&mut self, delta: isize) {
        if !self.shown.is_empty() {
            self.selected = crate::app::window::moved(self.selected, delta, self.shown.len());
        }
    }

    /// Selects the shown row at `pos`, if there is one.
    pub fn select(&mut self, pos: usize) {
        if pos < self.shown.len() {
            self.selected = pos;
        }
    }

    /// Selects the user with this id, if it is shown.
    pub fn select_id(&mut self, id: &str) {
        if let Some(pos) = self
            .shown
            .iter()
            .position(|&i| self.rows[i as usize].id() == id)
        {
            self.selected = pos;
        }
    }

    /// The shown row drawn `row` lines below the table's top, if any.
    pub fn at_screen_row(&self, row: usize) -> Option<usize> {
        crate::app::window::at_screen_row(self.offset, self.shown.len(), row)
    }

    /// Scrolls so the selection is inside a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        let len = self.shown.len();
        crate::app::window::scroll_into_view(&mut self.selected, &mut self.offset, len, height);
    }

    /// Gives the filter line the keyboard.
    pub fn start_filter(&mut self) {
        self.filtering = true;
    }

    /// Keeps the filter as typed and gives the keyboard back to the table.
    pub fn stop_filter(&mut self) {
        self.filtering = false;
    }

    /// Empties the filter (the selected user stays selected); the filter line keeps the
    /// keyboard only if it had it and `keep_typing` says so.
    pub fn clear_filter(&mut self, keep_typing: bool) {
        self.filtering &= keep_typing;
        self.filter = Input::default();
        // The user found with the filter stays selected, even the first row of the hits
        // (which the rule for arriving pages, "the top stays the top", would not keep).
        let current = self.current_index();
        self.refilter();
        match current.and_then(|cur| self.shown.iter().position(|i| *i == cur)) {
            Some(pos) => self.selected = pos,
            None => self.selected = self.selected.min(self.shown.len().saturating_sub(1)),
        }
    }

    /// The filter being typed, for keys and paste; `apply_filter` after a change.
    pub fn filter_input(&mut self) -> &mut Input {
        &mut self.filter
    }

    /// Filters again by what was typed, from the top of the list.
    pub fn apply_filter(&mut self) {
        self.refilter();
        self.selected = 0;
        self.offset = 0;
    }

    /// Sorts by the next column, ascending.
    pub fn sort_next(&mut self) {
        self.sort = self.sort.next();
        self.reverse = false;
        self.resort();
    }

    pub fn toggle_reverse(&mut self) {
        self.reverse = !self.reverse;
        self.resort();
    }

    /// Marks the selected user, or unmarks it; `false` when no user is selected.
    pub fn toggle_mark_current(&mut self) -> bool {
        let Some(idx) = self.current_index() else {
            return false;
        };
        let on = !self.is_marked(idx);
        self.set_mark(idx, on);
        true
    }

    /// Marks every shown user.
    pub fn mark_shown(&mut self) {
        for i in 0..self.shown.len() {
            self.set_mark(self.shown[i], true);
        }
    }

    pub fn clear_marks(&mut self) {
        for idx in 0..self.rows.len() as u32 {
            self.set_mark(idx, false);
        }
    }

    /// Marks the rows from `start` on whose ids are in `ids`, taking them out of it.
    pub fn mark_ids_from(&mut self, start: usize, ids: &mut HashSet<String>) {
        for i in start..self.rows.len() {
            if ids.remove(self.rows[i].id()) {
                self.set_mark(i as u32, true);
            }
        }
    }

    /// Starts a new load; pages of older ones are dropped from now on. Returns its number.
    pub fn begin_load(&mut self) -> u64 {
        self.generation += 1;
        self.loading = true;
        self.generation
    }

    /// Takes over the number of a load already started (a reload's pages swapped in whole).
    pub fn continue_load(&mut self, generation: u64) {
        self.generation = generation;
    }

    pub fn finish_load(&mut self) {
        self.loading = false;
    }

    pub fn fail_load(&mut self, error: String) {
        self.loading = false;
        self.load_error = Some(error);
    }

    /// The first page announced `total` users: size everything for them once.
    pub fn expect_total(&mut self, total: u64, first_page: &[crate::directory::DeletedUser]) {
        self.expected_total = Some(total);
        self.reserve_for(total, first_page);
    }

    /// How much the buffers hold, for the tests that check they were sized once.
    #[cfg(test)]
    pub fn capacities(&self) -> (usize, usize, usize) {
        (
            self.rows.capacity(),
            self.keys.capacity(),
            self.shown.capacity(),
        )
    }

    #[cfg(test)]
    pub fn keys_len(&self) -> usize {
        self.keys.len()
    }
}
