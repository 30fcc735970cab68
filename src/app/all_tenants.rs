//! The table across tenants: every open tenant's shown rows in one order (the soonest purge of
//! any tenant on top, by default), with no row copied. Each tenant keeps its own table, filter
//! and sort (`UsersView`); this holds only the merge of their shown rows, tagged by tenant,
//! and the cursor over it. The tenant of the selected row is the session on screen, so the
//! details pane, a restore or a purge of that row work in its tenant as they do with one.

use std::cmp::Ordering;

use super::restored::View;
use super::sessions::{SessionId, SessionState, Sessions};
use super::state::State;

/// One row of the table across tenants: the tenant (its place among the open sessions) and
/// the row's place in that tenant's shown rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    pub tenant: u16,
    pub pos: u32,
}

/// The merge of every tenant's shown rows and the cursor over it.
#[derive(Debug, Clone, Default)]
pub struct AllTenants {
    entries: Vec<Entry>,
    selected: usize,
    offset: usize,
    /// Each tenant's `shown_version` the entries were merged from: merged again when one
    /// moves (a page, a filter, a sort), not on every message.
    merged_from: Vec<(SessionId, u64)>,
    /// The next merge puts the cursor on the top row (a filter typed: "from the top").
    to_top: bool,
}

impl AllTenants {
    /// The rows, in the table's order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The rows from `start`, at most `count` of them (the table's visible window).
    pub fn visible(&self, start: usize, count: usize) -> &[Entry] {
        let end = start.saturating_add(count).min(self.entries.len());
        self.entries.get(start.min(end)..end).unwrap_or_default()
    }

    /// The row drawn `row` lines below the table's top, if any.
    pub fn at_screen_row(&self, row: usize) -> Option<usize> {
        super::window::at_screen_row(self.offset, self.entries.len(), row)
    }

    /// Scrolls so the cursor is inside a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        let len = self.entries.len();
        super::window::scroll_into_view(&mut self.selected, &mut self.offset, len, height);
    }

    /// The table across `sessions` with the cursor on the user the tenant on screen has
    /// selected (back from one tenant shown alone, the same user stays under it).
    pub fn on_current(sessions: &mut Sessions) -> Self {
        let mut all = Self {
            entries: merge(sessions),
            merged_from: versions(sessions),
            ..Self::default()
        };
        let here = here(sessions);
        all.selected = all.entries.iter().position(|e| *e == here).unwrap_or(0);
        all.follow(sessions);
        all
    }

    /// The next merge starts the cursor from the top row.
    pub fn from_top(&mut self) {
        self.to_top = true;
    }

    /// Moves the cursor by `delta` rows (stopping at either end) and puts its tenant on screen.
    pub fn move_by(&mut self, delta: isize, sessions: &mut Sessions) {
        if self.entries.is_empty() {
            return;
        }
        self.selected = super::window::moved(self.selected, delta, self.entries.len());
        self.follow(sessions);
    }

    /// Puts the cursor on row `pos`, if there is one.
    pub fn select(&mut self, pos: usize, sessions: &mut Sessions) {
        if pos < self.entries.len() {
            self.selected = pos;
            self.follow(sessions);
        }
    }

    /// The tenant of the selected row goes on screen, its own cursor on that row: what acts
    /// on "the selected user" acts there, in its tenant.
    fn follow(&self, sessions: &mut Sessions) {
        let Some(entry) = self.entries.get(self.selected) else {
            return;
        };
        let Some(id) = sessions
            .iter()
            .nth(usize::from(entry.tenant))
            .map(|s| s.id())
        else {
            return;
        };
        sessions.show(id);
        sessions.current_mut().users.select(entry.pos as usize);
    }

    /// Merges the tenants' shown rows again if any of them changed, keeping the cursor on the
    /// same user (or on the top row when it was there: while pages arrive, an untouched
    /// cursor stays on the most urgent user of any tenant). With `follow` off (a dialog is
    /// open on the tenant on screen) the cursor stays on that tenant's row whatever comes.
    pub fn refresh(&mut self, sessions: &mut Sessions, follow: bool) {
        let versions = versions(sessions);
        if versions == self.merged_from && !self.to_top {
            return;
        }
        // Taken whatever else holds: left set, it would put the cursor back on top at the
        // next message too, undoing the move after a filter.
        let to_top = std::mem::take(&mut self.to_top);
        let at_top = follow && (self.selected == 0 || to_top);
        let was = (!self.entries.is_empty() || !follow).then(|| here(sessions));
        self.entries = merge(sessions);
        self.merged_from = versions;
        self.selected = match was {
            Some(was) if !at_top => self
                .entries
                .iter()
                .position(|e| *e == was)
                .unwrap_or_else(|| self.selected.min(self.entries.len().saturating_sub(1))),
            _ => 0,
        };
        if self.selected == 0 {
            self.offset = 0;
        }
        if follow {
            self.follow(sessions);
        }
    }
}

/// Each tenant's `shown_version`: what a merge was made from.
fn versions(sessions: &Sessions) -> Vec<(SessionId, u64)> {
    sessions
        .iter()
        .map(|s| (s.id(), s.users.shown_version()))
        .collect()
}

/// The row the tenant on screen has selected, as an entry of the table across tenants.
fn here(sessions: &Sessions) -> Entry {
    Entry {
        tenant: sessions
            .iter()
            .position(|s| s.id() == sessions.current_id())
            .unwrap_or(0) as u16,
        pos: sessions.current().users.selected() as u32,
    }
}

/// Whether the table across tenants is what the home screen shows.
pub fn on(state: &State) -> bool {
    state.all.is_some() && state.view == View::Deleted
}

/// After any change: the table across tenants takes in what changed in the tenants' own
/// tables, and keeps its cursor on screen. A dialog open on a tenant keeps that tenant on
/// screen.
pub fn settle(state: &mut State) {
    let Some(mut all) = state.all.take() else {
        return;
    };
    all.refresh(&mut state.sessions, state.modal.is_none());
    all.scroll_into_view(super::layout::table_rows(state));
    state.all = Some(all);
}

/// The way the tenant on screen is looked at (filter, sort, narrowing), spread to every other
/// tenant: in the table across tenants one filter and one sort hold for all.
pub fn spread(state: &mut State) {
    if state.all.is_none() {
        return;
    }
    let lead = state.session().users.looking();
    let id = state.session().id();
    for s in state.sessions.iter_mut().filter(|s| s.id() != id) {
        s.users.look_as(&lead);
    }
}

/// The banner of the table across tenants, the same wherever the cursor is: the tenants held
/// by another run (or whose books cannot be locked), and those with unfinished restores, each
/// as one line naming them. `(held, unfinished)`.
pub fn banner(state: &State) -> (Option<String>, Option<String>) {
    let named = |names: &[&str]| -> String {
        let mut shown: Vec<&str> = names.iter().take(3).copied().collect();
        if names.len() > 3 {
            shown.push("…");
        }
        shown.join(", ")
    };
    let held: Vec<&SessionState> = held(state).collect();
    let held = match held.as_slice() {
        [] => None,
        [one] => one.holder.as_ref().map(|h| {
            format!(
                " ⏸ {}: {}: restore, F and purge there {}",
                one.facts.tenant(),
                h.line(),
                h.until()
            )
        }),
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.facts.tenant()).collect();
            Some(format!(
                " ⏸ {} tenants held by another run or not lockable ({}): restore, F and purge \
                 there wait; t says why",
                many.len(),
                named(&names)
            ))
        }
    };
    let waiting: Vec<&SessionState> = waiting(state).collect();
    let unfinished = match waiting.as_slice() {
        [] => None,
        [one] => Some(format!(
            " ⚠ {}: {} unfinished (password or mail not done): F on one of its rows finishes them",
            one.facts.tenant(),
            crate::text::count(
                one.unfinished.len() + one.earlier.len(),
                "restore",
                "restores"
            )
        )),
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.facts.tenant()).collect();
            Some(format!(
                " ⚠ {} tenants with unfinished restores ({}): F on one of a tenant's rows \
                 finishes its own; t says how many",
                many.len(),
                named(&names)
            ))
        }
    };
    (held, unfinished)
}

/// How many lines `banner` has, without making them: the layout asks at every message.
pub fn banner_lines(state: &State) -> u16 {
    u16::from(held(state).next().is_some()) + u16::from(waiting(state).next().is_some())
}

/// The tenants another run holds, or whose books cannot be locked.
fn held(state: &State) -> impl Iterator<Item = &SessionState> {
    state.sessions.iter().filter(|s| s.holder.is_some())
}

/// The tenants with unfinished restores (this version's or an earlier one's).
fn waiting(state: &State) -> impl Iterator<Item = &SessionState> {
    state
        .sessions
        .iter()
        .filter(|s| !s.unfinished.is_empty() || !s.earlier.is_empty())
}

/// Moves the cursor of the table on screen: the one across tenants, or the tenant's own.
pub fn move_selection(state: &mut State, delta: isize) {
    match (&mut state.all, state.view) {
        (Some(all), View::Deleted) => all.move_by(delta, &mut state.sessions),
        _ => state.session_mut().users.move_selection(delta),
    }
}

/// Every tenant's shown rows in one order: merged pairwise, level by level (six passes for
/// fifty tenants), the earlier tenant's row first where two compare equal.
fn merge(sessions: &Sessions) -> Vec<Entry> {
    let views: Vec<&super::users::UsersView> = sessions.iter().map(|s| &s.users).collect();
    let mut runs: Vec<Vec<Entry>> = views
        .iter()
        .enumerate()
        .map(|(t, u)| {
            (0..u.shown().len() as u32)
                .map(|pos| Entry {
                    tenant: t as u16,
                    pos,
                })
                .collect()
        })
        .collect();
    let row = |e: Entry| views[usize::from(e.tenant)].shown()[e.pos as usize];
    let cmp = |a: Entry, b: Entry| {
        views[usize::from(a.tenant)].compare_across(row(a), views[usize::from(b.tenant)], row(b))
    };
    while runs.len() > 1 {
        let mut next = Vec::with_capacity(runs.len() / 2 + 1);
        let mut pairs = runs.into_iter();
        while let Some(left) = pairs.next() {
            match pairs.next() {
                Some(right) => next.push(merge_two(&left, &right, &cmp)),
                None => next.push(left),
            }
        }
        runs = next;
    }
    runs.pop().unwrap_or_default()
}

fn merge_two(
    left: &[Entry],
    right: &[Entry],
    cmp: &impl Fn(Entry, Entry) -> Ordering,
) -> Vec<Entry> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if cmp(right[j], left[i]) == Ordering::Less {
            out.push(right[j]);
            j += 1;
        } else {
            out.push(left[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&left[i..]);
    out.extend_from_slice(&right[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures;
    use crate::app::msg::{Msg, SessionMsg};
    use crate::directory::DeletedPage;

    /// Each row of the table across tenants as (tenant, user id), in its order.
    fn rows(s: &State) -> Vec<(u16, String)> {
        let sessions: Vec<_> = s.sessions.iter().collect();
        s.all
            .as_ref()
            .map(|a| a.entries())
            .unwrap_or_default()
            .iter()
            .map(|e| {
                let u = &sessions[usize::from(e.tenant)].users;
                (
                    e.tenant,
                    u.rows()[u.shown()[e.pos as usize] as usize]
                        .id()
                        .to_string(),
                )
            })
            .collect()
    }

    /// A page of `users` for tenant `id`, as its runner sends it.
    fn arrive(s: &mut State, id: SessionId, users: Vec<crate::directory::DeletedUser>) {
        let total = Some(users.len() as u64);
        let page = Msg::Session {
            id,
            msg: SessionMsg::Page {
                generation: 0,
                result: Ok(DeletedPage { users, total }),
            },
        };
        crate::app::update::update(s, page);
    }

    #[test]
    fn every_tenants_rows_are_merged_once_in_the_shown_order() {
        let s = fixtures::many_tenants(4, 50, (120, 40));
        let merged = rows(&s);
        assert_eq!(merged.len(), 200);
        let mut ids: Vec<&String> = merged.iter().map(|r| &r.1).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 200, "no row twice");
        // Equal rows of two tenants (the fixture's users are alike) go by tenant order.
        let sessions: Vec<_> = s.sessions.iter().collect();
        let all = s.all.as_ref().expect("all");
        for pair in all.entries().windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (ua, ub) = (
                &sessions[usize::from(a.tenant)].users,
                &sessions[usize::from(b.tenant)].users,
            );
            let ord = ua.compare_across(ua.shown()[a.pos as usize], ub, ub.shown()[b.pos as usize]);
            assert_ne!(ord, Ordering::Greater, "{a:?} before {b:?}");
        }
    }

    #[test]
    fn the_cursor_stays_on_its_user_as_another_tenants_rows_arrive() {
        let (mut s, fabrikam) = fixtures::tenants(10, 0, (120, 40));
        s.all = Some(AllTenants::default());
        settle(&mut s);
        move_selection(&mut s, 3);
        let held = s.session().users.current_id().map(str::to_string);
        assert!(held.is_some());
        // Fabrikam's users arrive, some of them purging before the one selected.
        let users = fixtures::users(10, s.now)
            .into_iter()
            .map(|mut u| {
                u.id = format!("fab-{}", u.id);
                u
            })
            .collect();
        arrive(&mut s, fabrikam, users);
        assert_eq!(rows(&s).len(), 20);
        assert_eq!(
            s.session().users.current_id().map(str::to_string),
            held,
            "the same user under the cursor"
        );
        let all = s.all.as_ref().expect("all");
        assert!(all.selected() > 3, "it moved down as rows came in above it");
    }

    #[test]
    fn an_untouched_cursor_stays_on_the_top_row_whoever_it_belongs_to() {
        let (mut s, fabrikam) = fixtures::tenants(0, 0, (120, 40));
        s.all = Some(AllTenants::default());
        settle(&mut s);
        let mut user = fixtures::users(1, s.now).remove(0);
        user.id = "fab-first".into();
        arrive(&mut s, fabrikam, vec![user]);
        assert_eq!(s.all.as_ref().map(AllTenants::selected), Some(0));
        assert_eq!(
            s.session().id(),
            fabrikam,
            "the top row's tenant is on screen"
        );
        assert_eq!(s.session().users.current_id(), Some("fab-first"));
    }

    #[test]
    fn a_dialog_keeps_its_tenant_on_screen_while_rows_arrive_elsewhere() {
        let (mut s, fabrikam) = fixtures::tenants(5, 0, (120, 40));
        s.all = Some(AllTenants::default());
        settle(&mut s);
        let shown = s.session().id();
        s.modal = Some(super::super::modal::Modal::TenantRuns);
        let mut user = fixtures::users(1, s.now).remove(0);
        user.id = "fab-first".into();
        user.deleted_at = user.deleted_at.map(|d| d - chrono::Duration::days(2));
        arrive(&mut s, fabrikam, vec![user]);
        assert_eq!(
            s.session().id(),
            shown,
            "the dialog's tenant stays on screen"
        );
    }

    #[test]
    fn the_banner_names_the_held_tenant_wherever_the_cursor_is() {
        let (mut s, fabrikam) = fixtures::tenants(5, 0, (120, 40));
        let users = fixtures::users(5, s.now)
            .into_iter()
            .map(|mut u| {
                u.id = format!("fab-{}", u.id);
                u
            })
            .collect();
        arrive(&mut s, fabrikam, users);
        s.all = Some(AllTenants::default());
        if let Some(f) = s.sessions.get_mut(fabrikam) {
            f.holder = Some(crate::app::sessions::Blocked::Held(
                "another undelete (pid 7) is open on this directory".into(),
            ));
        }
        settle(&mut s);
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(banner(&s));
            move_selection(&mut s, 1);
        }
        assert!(seen.windows(2).all(|p| p[0] == p[1]), "{seen:?}");
        let held = seen[0].0.clone().unwrap_or_default();
        assert!(
            held.starts_with(" ⏸ Fabrikam: another undelete (pid 7)"),
            "{held}"
        );
        assert_eq!(seen[0].1, None);
    }
}
