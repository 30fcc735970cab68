//! The tenants of a run on several (`--tenant A --tenant B`, `--all-tenants`): how the header
//! counts them, and the tenants pane (`t`), which lists each with its state and puts the one
//! chosen on screen. Each tenant is a session of its own (`sessions`): its table, sweep,
//! journal and restores never mix with another's.

use super::action::Action;
use super::effect::Effect;
use super::modal::Modal;
use super::sessions::{SessionId, SessionState};
use super::state::{NoticeKind, State};
use crate::directory::TimeLeft;
use crate::text;
use chrono::{DateTime, Utc};

/// The pane's state: which line is selected, and whether the tenants are in the order asked
/// for or by their next purge (`s`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantsPane {
    pub selected: usize,
    pub by_purge: bool,
}

/// One line of the pane: a tenant, open or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantLine {
    /// Its session, when it opened.
    pub id: Option<SessionId>,
    pub name: String,
    /// Who works there ("admin@contoso.com"), or that the sign-in failed.
    pub account: String,
    /// How far its table is ("1,000 deleted users", "loading 340/1,000").
    pub loaded: String,
    /// Its conflict sweep ("checking conflicts 12k/50k", "conflicts checked").
    pub sweep: String,
    /// Its first purge to come, and how many purge within 3 days ("2h · 4 expiring"), or
    /// "—" with none.
    pub next_purge: String,
    /// The same, to order by.
    pub purge_left: Option<TimeLeft>,
    /// What went wrong last, cause first: a refused sign-in, a failed listing, a refresh
    /// that left stale rows.
    pub problem: Option<String>,
    /// It is the one on screen.
    pub shown: bool,
}

/// Every tenant of the run, open ones first in the order asked for, then those that did not
/// open; with `by_purge`, the tenant whose users purge first on top (those with none last, in
/// the order asked for).
pub fn lines(state: &State, by_purge: bool) -> Vec<TenantLine> {
    // ▶ marks the tenant shown alone; across tenants every one is shown, and none is marked.
    let shown = (!super::all_tenants::on(state)).then(|| state.session().id());
    let mut lines: Vec<TenantLine> = state
        .sessions
        .iter()
        .map(|s| line_of(s, Some(s.id()) == shown, state.now))
        .collect();
    lines.extend(state.sessions.unopened.iter().map(|u| TenantLine {
        id: None,
        name: u.label.clone(),
        account: "not signed in".into(),
        loaded: "—".into(),
        sweep: "—".into(),
        next_purge: "—".into(),
        purge_left: None,
        problem: Some(u.why.clone()),
        shown: false,
    }));
    if by_purge {
        lines.sort_by_key(|l| (l.purge_left.is_none(), l.purge_left));
    }
    lines
}

/// The tenant's first purge to come (the time left before its earliest-deleted user goes for
/// good), and how many of its users purge within 3 days.
pub fn next_purge(s: &SessionState, now: DateTime<Utc>) -> (Option<TimeLeft>, usize) {
    let expiring = s
        .users
        .rows()
        .iter()
        .filter_map(|r| r.deleted_at)
        .filter(|at| TimeLeft::after_deletion(*at, now).is_expiring())
        .count();
    (soonest_purge(s, now), expiring)
}

/// The tenant's first purge to come, without a scan (the header reads it every frame).
fn soonest_purge(s: &SessionState, now: DateTime<Utc>) -> Option<TimeLeft> {
    s.users
        .earliest_deletion()
        .map(|at| TimeLeft::after_deletion(at, now))
}

fn line_of(s: &SessionState, shown: bool, now: DateTime<Utc>) -> TenantLine {
    let users = &s.users;
    let n = users.rows().len();
    let loaded = if users.loading() {
        match users.expected_total() {
            Some(t) => format!("loading {n}/{t}"),
            None => format!("loading {n}"),
        }
    } else if users.load_error().is_some() {
        format!("{n} loaded, then failed")
    } else {
        text::count(n, "deleted user", "deleted users")
    };
    let sweep = s.sweep.status().unwrap_or_else(|| {
        if s.sweep.busy() {
            "checking".into()
        } else if s.sweep.sweep.is_some() {
            "checked".into()
        } else {
            "not checked".into()
        }
    });
    let problem = users
        .load_error()
        .map(|e| format!("listing failed: {e}"))
        .or_else(|| {
            s.stale_since.map(|at| {
                format!(
                    "a refresh failed: showing the rows of {}",
                    at.format("%H:%M UTC")
                )
            })
        })
        .or_else(|| s.holder.as_ref().map(|h| h.line().to_string()))
        .or_else(|| {
            // Work left by a run here must not wait unseen behind another tenant's table.
            let n = s.unfinished.len() + s.earlier.len();
            (n > 0).then(|| {
                format!(
                    "{} unfinished (password or mail not done): show this tenant, then F",
                    text::count(n, "restore", "restores")
                )
            })
        });
    let (purge_left, expiring) = next_purge(s, now);
    let next_purge = match (purge_left, expiring) {
        (None, _) => "—".to_string(),
        (Some(left), 0) => left.to_string(),
        (Some(left), n) => format!("{left} · {n} expiring"),
    };
    TenantLine {
        id: Some(s.id()),
        name: s.facts.tenant().to_string(),
        account: s.facts.account.clone(),
        loaded,
        sweep,
        next_purge,
        purge_left,
        problem,
        shown,
    }
}

/// The header's count of the run's tenants and what is wrong with them ("3 tenants · 1
/// sign-in failed · 2 loading"), and with `purge`, whose users purge first ("next purge 2h
/// in Fabrikam"); `None` for a run on one tenant.
pub fn summary(state: &State, purge: bool) -> Option<String> {
    if !state.sessions.several() {
        return None;
    }
    let mut parts = vec![format!("{} tenants", state.sessions.tenants())];
    let failed = state.sessions.unopened.len();
    if failed > 0 {
        parts.push(format!("{failed} sign-in failed"));
    }
    let broken = state
        .sessions
        .iter()
        .filter(|s| s.users.load_error().is_some())
        .count();
    if broken > 0 {
        parts.push(format!("{broken} listing failed"));
    }
    let held = state.sessions.iter().filter(|s| s.holder.is_some()).count();
    if held > 0 {
        parts.push(format!("{held} held"));
    }
    let loading = state.sessions.iter().filter(|s| s.users.loading()).count();
    if loading > 0 {
        parts.push(format!("{loading} loading"));
    }
    let unfinished = state
        .sessions
        .iter()
        .filter(|s| !s.unfinished.is_empty() || !s.earlier.is_empty())
        .count();
    if unfinished > 0 {
        parts.push(format!("{unfinished} with unfinished restores"));
    }
    // Whose deleted users purge first, across every tenant: what no tenant's own table says.
    let first = state
        .sessions
        .iter()
        .filter(|_| purge)
        .filter_map(|s| soonest_purge(s, state.now).map(|left| (left, s)))
        .min_by_key(|(left, _)| *left);
    if let Some((left, s)) = first {
        parts.push(format!("next purge {left} in {}", s.facts.tenant()));
    }
    Some(parts.join(" · "))
}

/// `t` on the table: the pane opens on the tenant shown.
pub fn open(state: &mut State) {
    if !state.sessions.several() {
        state.notice = Some((
            NoticeKind::Info,
            "This run works on one tenant: --tenant A --tenant B or --all-tenants opens several."
                .into(),
        ));
        return;
    }
    let shown = state.session().id();
    let selected = state
        .sessions
        .iter()
        .position(|s| s.id() == shown)
        .unwrap_or(0);
    state.modal = Some(Modal::Tenants(TenantsPane {
        selected,
        by_purge: false,
    }));
}

/// A key in the pane: move, Enter shows the selected tenant, Esc (or `t`) closes.
pub fn on_key(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let count = state.sessions.tenants();
    let Some(Modal::Tenants(pane)) = &mut state.modal else {
        return Vec::new();
    };
    let last = count.saturating_sub(1);
    match action {
        Some(Action::Down) => pane.selected = (pane.selected + 1).min(last),
        Some(Action::Up) => pane.selected = pane.selected.saturating_sub(1),
        Some(Action::Top) => pane.selected = 0,
        Some(Action::Bottom) => pane.selected = last,
        Some(Action::Cancel | Action::Tenants) => state.modal = None,
        Some(Action::AllTenants) => return show_all(state),
        Some(Action::SortNext) => {
            // The selection stays on its tenant.
            let by_purge = !pane.by_purge;
            let before = lines(state, !by_purge);
            let after = lines(state, by_purge);
            let Some(Modal::Tenants(pane)) = &mut state.modal else {
                return Vec::new();
            };
            let name = before.get(pane.selected).map(|l| l.name.clone());
            pane.by_purge = by_purge;
            pane.selected = after
                .iter()
                .position(|l| Some(&l.name) == name.as_ref())
                .unwrap_or(0);
        }
        Some(Action::Submit) => {
            let (selected, by_purge) = (pane.selected, pane.by_purge);
            let chosen = lines(state, by_purge).into_iter().nth(selected);
            return match chosen {
                Some(TenantLine { id: Some(id), .. }) => show(state, id),
                Some(line) => {
                    state.notice = Some((
                        NoticeKind::Error,
                        format!(
                            "{} did not open: {}",
                            line.name,
                            line.problem.unwrap_or_default()
                        ),
                    ));
                    Vec::new()
                }
                None => Vec::new(),
            };
        }
        _ => {}
    }
    Vec::new()
}

/// Every open tenant's deleted users in one table, looked at as the tenant on screen is
/// (its filter and sort for all); marks stay as each tenant had them.
pub fn show_all(state: &mut State) -> Vec<Effect> {
    state.modal = None;
    state.view = super::restored::View::Deleted;
    if state.all.is_none() {
        // The tenant shown alone's filter and sort for all, then merged: `spread` only
        // spreads once the table across tenants is on.
        state.all = Some(Default::default());
        super::all_tenants::spread(state);
        state.all = Some(super::all_tenants::AllTenants::on_current(
            &mut state.sessions,
        ));
    }
    state.details_scroll = None;
    let open = state.sessions.iter().count();
    state.notice = Some((
        NoticeKind::Info,
        format!("Showing the deleted users of all {open} open tenants (t, Enter shows one)."),
    ));
    Vec::new()
}

/// Puts tenant `id` on screen alone: its table, its details, its books; what was on screen
/// stays as it was (marks, filter, sort) for when it is shown again.
fn show(state: &mut State, id: SessionId) -> Vec<Effect> {
    state.modal = None;
    let was_all = state.all.take().is_some();
    if (state.session().id() == id && !was_all) || !state.sessions.show(id) {
        return Vec::new();
    }
    state.details_scroll = None;
    let name = state.session().facts.tenant().to_string();
    state.notice = Some((NoticeKind::Info, format!("Showing {name}.")));
    // The Restored view of another tenant is its own journal's.
    if state.view == super::restored::View::Restored {
        return super::restored::journal_changed(state);
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures;
    use crate::app::msg::{Msg, SessionMsg};
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

    fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
        let ev = KeyEvent::new_with_kind(code, KeyModifiers::NONE, KeyEventKind::Press);
        crate::app::update::update(s, Msg::Key(ev))
    }

    #[test]
    fn news_of_a_tenant_not_shown_lands_in_its_own_table() {
        let (s, other) = fixtures::tenants(5, 7, (120, 40));
        assert_eq!(s.session().users.rows().len(), 5, "the shown tenant's rows");
        let fab = s.sessions.get(other).expect("open");
        assert_eq!(fab.users.rows().len(), 7);
        assert!(fab.users.rows().iter().all(|r| r.id().starts_with("fab-")));
        assert!(
            s.session()
                .users
                .rows()
                .iter()
                .all(|r| !r.id().starts_with("fab-")),
            "nothing crosses over"
        );
    }

    #[test]
    fn the_header_counts_tenants_and_failures() {
        let (s, _) = fixtures::tenants(5, 7, (120, 40));
        assert_eq!(
            summary(&s, true).as_deref(),
            Some("3 tenants · 1 sign-in failed · 1 loading · next purge 2h in Contoso")
        );
        let one = fixtures::state(5, (120, 40));
        assert_eq!(summary(&one, true), None);
    }

    #[test]
    fn enter_in_the_pane_shows_the_chosen_tenant_and_esc_leaves_it() {
        let (mut s, other) = fixtures::tenants(5, 7, (120, 40));
        press(&mut s, KeyCode::Char('t'));
        assert!(matches!(
            s.modal,
            Some(Modal::Tenants(TenantsPane { selected: 0, .. }))
        ));
        press(&mut s, KeyCode::Char('j'));
        let effects = press(&mut s, KeyCode::Enter);
        assert!(s.modal.is_none());
        assert_eq!(s.session().id(), other);
        assert!(
            effects.is_empty(),
            "the runner routes by the session on screen"
        );
        assert_eq!(s.session().users.rows().len(), 7);
        // The pane opens on the tenant shown; Esc changes nothing.
        press(&mut s, KeyCode::Char('t'));
        assert!(matches!(
            s.modal,
            Some(Modal::Tenants(TenantsPane { selected: 1, .. }))
        ));
        press(&mut s, KeyCode::Esc);
        assert!(s.modal.is_none());
        assert_eq!(s.session().id(), other);
    }

    #[test]
    fn a_tenant_that_did_not_open_says_why_and_stays_off_screen() {
        let (mut s, _) = fixtures::tenants(5, 7, (120, 40));
        let first = s.session().id();
        press(&mut s, KeyCode::Char('t'));
        press(&mut s, KeyCode::Char('G'));
        press(&mut s, KeyCode::Enter);
        assert_eq!(s.session().id(), first);
        let (kind, text) = s.notice.clone().expect("said");
        assert_eq!(kind, NoticeKind::Error);
        assert!(
            text.starts_with("Northwind did not open: the partner has no GDAP"),
            "{text}"
        );
    }

    #[test]
    fn a_notice_of_a_tenant_not_shown_names_it() {
        let (mut s, other) = fixtures::tenants(5, 7, (120, 40));
        let msg = Msg::Session {
            id: other,
            msg: SessionMsg::Warning("the journal could not be read".into()),
        };
        crate::app::update::update(&mut s, msg);
        assert_eq!(
            s.notice.map(|(_, t)| t).as_deref(),
            Some("Fabrikam: the journal could not be read")
        );
    }

    #[test]
    fn the_header_and_the_pane_name_the_soonest_purge_across_tenants() {
        let (mut s, other) = fixtures::tenants(5, 7, (120, 40));
        let mut soon = fixtures::user(99, s.now);
        soon.id = "fab-soon".into();
        soon.deleted_at = Some(s.now - chrono::Duration::days(30) + chrono::Duration::minutes(30));
        let page = Msg::Session {
            id: other,
            msg: SessionMsg::Page {
                generation: 0,
                result: Ok(crate::directory::DeletedPage {
                    users: vec![soon],
                    total: None,
                }),
            },
        };
        crate::app::update::update(&mut s, page);
        let header = summary(&s, true).expect("several");
        assert!(header.ends_with("next purge <1h in Fabrikam"), "{header}");
        // `s` in the pane puts Fabrikam on top, the selection staying on Contoso.
        press(&mut s, KeyCode::Char('t'));
        press(&mut s, KeyCode::Char('s'));
        let order: Vec<String> = lines(&s, true).into_iter().map(|l| l.name).collect();
        assert_eq!(order, ["Fabrikam", "Contoso", "Northwind"]);
        assert!(matches!(
            s.modal,
            Some(Modal::Tenants(TenantsPane {
                selected: 1,
                by_purge: true
            }))
        ));
        press(&mut s, KeyCode::Char('k'));
        press(&mut s, KeyCode::Enter);
        assert_eq!(s.session().id(), other, "Enter shows the line selected");
        let fab = lines(&s, false)
            .into_iter()
            .find(|l| l.name == "Fabrikam")
            .expect("listed");
        assert!(fab.next_purge.starts_with("<1h · "), "{}", fab.next_purge);
    }

    #[test]
    fn unfinished_restores_of_a_tenant_not_shown_are_said_in_the_header_and_its_line() {
        let (mut s, other) = fixtures::tenants(5, 7, (120, 40));
        let msg = Msg::Session {
            id: other,
            msg: SessionMsg::Unfinished(vec![crate::app::update_tests::unfinished()]),
        };
        crate::app::update::update(&mut s, msg);
        assert!(s.session().unfinished.is_empty(), "not the shown tenant's");
        let header = summary(&s, false).expect("several");
        assert!(header.ends_with("1 with unfinished restores"), "{header}");
        let fab = lines(&s, false)
            .into_iter()
            .find(|l| l.name == "Fabrikam")
            .expect("listed");
        assert_eq!(
            fab.problem.as_deref(),
            Some("1 restore unfinished (password or mail not done): show this tenant, then F")
        );
    }

    #[test]
    fn t_on_one_tenant_says_how_to_open_several() {
        let mut s = fixtures::state(5, (120, 40));
        press(&mut s, KeyCode::Char('t'));
        assert!(s.modal.is_none());
        assert!(s.notice.is_some());
    }
}
