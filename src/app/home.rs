//! The home screen's keys and pointer: the deleted users table, its filter line and details
//! pane (the Restored view's are in `restored`).

use crossterm::event::{Event, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use tui_input::backend::crossterm::EventHandler;
use tui_input::{Input, InputRequest};

use super::action::Action;
use super::all_tenants;
use super::effect::Effect;
use super::layout;
use super::modal::Modal;
use super::modal::help;
use super::modal::purge::PurgeState;
use super::modal::restore::open_restore;
use super::restored::View;
use super::state::{NoticeKind, State};
use super::update::read_only_refusal;

pub(super) fn move_selection(state: &mut State, delta: isize) {
    all_tenants::move_selection(state, delta);
}

/// Scrolls the open details pane by `delta` lines, within what its user's details need.
pub(super) fn scroll_details(state: &mut State, delta: isize) {
    if !state.details {
        return;
    }
    let Some(id) = state.session_mut().users.current_id().map(str::to_string) else {
        return;
    };
    let max = super::details::max_scroll(state);
    // Clamped first: a resize may have made the pane taller since the last scroll.
    let top = state.details_top().min(max) as isize;
    let top = (top + delta).clamp(0, max as isize) as usize;
    state.details_scroll = Some((id, top));
}

pub(super) fn table_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let mut effects = act(state, action);
    effects.extend(super::details::read_offboarding(state));
    effects
}

fn act(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(action) = action else {
        return Vec::new();
    };
    let page = layout::table_rows(state) as isize;
    match action {
        Action::Down => move_selection(state, 1),
        Action::Up => move_selection(state, -1),
        Action::PageDown => move_selection(state, page),
        Action::PageUp => move_selection(state, -page),
        Action::HalfPageDown => move_selection(state, (page / 2).max(1)),
        Action::HalfPageUp => move_selection(state, -(page / 2).max(1)),
        Action::Top => move_selection(state, isize::MIN / 2),
        Action::Bottom => move_selection(state, isize::MAX / 2),
        Action::Filter => {
            state.session_mut().users.start_filter();
            all_tenants::spread(state);
        }
        Action::Cancel => {
            cancel(state);
            all_tenants::spread(state);
        }
        Action::SortNext => {
            state.session_mut().users.sort_next();
            all_tenants::spread(state);
        }
        Action::SortReverse => {
            state.session_mut().users.toggle_reverse();
            all_tenants::spread(state);
        }
        Action::ToggleMark => {
            // Space moves on, so held down it marks a run of users.
            let toggled = state.session_mut().users.toggle_mark_current();
            if toggled {
                move_selection(state, 1);
            }
        }
        Action::MarkAllShown => each_table(state, super::users::UsersView::mark_shown),
        Action::ClearMarks => each_table(state, super::users::UsersView::clear_marks),
        Action::Restore => {
            return super::tenant_runs::begin(state, super::tenant_runs::Work::Restore)
                .unwrap_or_else(|| open_restore(state));
        }
        Action::Details => {
            state.details = !state.details;
            state.details_scroll = None;
        }
        Action::DetailsDown => scroll_details(state, 1),
        Action::DetailsUp => scroll_details(state, -1),
        Action::Purge => {
            return super::tenant_runs::begin(state, super::tenant_runs::Work::Purge)
                .unwrap_or_else(|| open_purge(state));
        }
        Action::Refresh => return refresh(state),
        Action::FinishUnfinished => return finish_unfinished(state),
        Action::ViewRestored => return super::restored::show(state, View::Restored),
        Action::OnlyConflicts => only_conflicts(state),
        Action::OnlyMarked => only_marked(state),
        Action::Tenants => super::tenants::open(state),
        Action::ViewDeleted => return super::restored::show(state, View::Deleted),
        Action::CopyUpn | Action::CopyId => return copy_current(state, action),
        Action::Quit | Action::ForceQuit => {
            state.quit = true;
        }
        _ => {}
    }
    Vec::new()
}

/// `change` in the table on screen: every tenant's in the table across tenants.
fn each_table(state: &mut State, change: fn(&mut super::users::UsersView)) {
    if all_tenants::on(state) {
        state.sessions.iter_mut().for_each(|s| change(&mut s.users));
    } else {
        change(&mut state.session_mut().users);
    }
}

/// Esc: closes the log, else clears the filter, else shows every user, else the notice.
fn cancel(state: &mut State) {
    if state.log_open {
        // The log's title says @ closes it; Esc does too, as in every other pane.
        state.log_open = false;
    } else if !state.session_mut().users.filter().value().is_empty() {
        state.session_mut().users.clear_filter(false);
    } else if state.session_mut().users.only_conflicts() {
        state.session_mut().users.toggle_only_conflicts();
    } else if state.session_mut().users.only_marked() {
        state.session_mut().users.toggle_only_marked();
    } else {
        state.notice = None;
    }
}

/// `D`: the purge dialog over the marked users (or the selected one).
pub(super) fn open_purge(state: &mut State) -> Vec<Effect> {
    if read_only_refusal(state, "purge") {
        return Vec::new();
    }
    let users = state.session_mut().users.targets();
    if users.is_empty() {
        state.notice = Some((NoticeKind::Error, "No user selected to purge.".into()));
    } else {
        state.modal = Some(Modal::Purge(PurgeState {
            users,
            typed: Input::default(),
            error: None,
            running: false,
        }));
    }
    Vec::new()
}

/// `R`: the listing again; the rows stay until the new one is whole, and a failed one
/// leaves them, marked stale.
fn refresh(state: &mut State) -> Vec<Effect> {
    state.notice = None;
    if all_tenants::on(state) {
        // Every tenant of the table, each its own listing.
        return state
            .sessions
            .iter_mut()
            .map(|s| {
                let generation = s.users.begin_load();
                s.reload = Some(Vec::new());
                Effect::In(s.id(), Box::new(Effect::LoadDeleted { generation }))
            })
            .collect();
    }
    let generation = state.session_mut().users.begin_load();
    state.session_mut().reload = Some(Vec::new());
    vec![Effect::LoadDeleted { generation }]
}

/// `F`: finishes the interrupted restores, or says why there is nothing to finish here.
fn finish_unfinished(state: &mut State) -> Vec<Effect> {
    if state.session_mut().unfinished.is_empty() && !state.session_mut().earlier.is_empty() {
        state.notice = Some((
            NoticeKind::Info,
            format!(
                "Nothing to finish in this directory. If the {} of an earlier version \
                 (directory unknown) were made here, `{} --adopt-earlier` takes them in.",
                match state.session_mut().earlier.len() {
                    1 => "1 restore".to_string(),
                    n => format!("{n} restores"),
                },
                state.session_mut().facts.finish_command
            ),
        ));
    } else if state.session_mut().unfinished.is_empty() {
        state.notice = Some((
            NoticeKind::Info,
            "No interrupted restores to finish.".into(),
        ));
    } else if !read_only_refusal(state, "finishing interrupted restores") {
        // Across tenants, F finishes the cursor's tenant's: say whose.
        let whose = if state.sessions.several() {
            format!(" in {}", state.session().facts.tenant())
        } else {
            String::new()
        };
        state.notice = Some((
            NoticeKind::Info,
            format!(
                "Finishing {}{whose}…",
                crate::text::count(
                    state.session_mut().unfinished.len(),
                    "interrupted restore",
                    "interrupted restores"
                )
            ),
        ));
        state.session_mut().finishing = true;
        return vec![Effect::FinishUnfinished];
    }
    Vec::new()
}

/// `c`: only the users in conflict, or everyone again.
fn only_conflicts(state: &mut State) {
    state.session_mut().users.toggle_only_conflicts();
    all_tenants::spread(state);
    let shown = shown_count(state);
    state.notice = Some((
        NoticeKind::Info,
        match (
            state.session_mut().users.only_conflicts(),
            state.session_mut().sweep.phase,
        ) {
            (false, _) => "Showing every user again.".to_string(),
            (true, super::sweep::Phase::Done) => {
                format!("Only users in conflict: {shown} (c or Esc shows everyone).")
            }
            (true, _) => "Only users in conflict; the sweep is still checking, more may \
                          follow (c or Esc shows everyone)."
                .to_string(),
        },
    ));
}

/// `m`: only the marked users (whom Enter restores), or everyone again.
fn only_marked(state: &mut State) {
    state.session_mut().users.toggle_only_marked();
    all_tenants::spread(state);
    let words = if !state.session().users.only_marked() {
        "Showing every user again.".to_string()
    } else {
        format!(
            "Only the marked users: {} (m or Esc shows everyone).",
            shown_count(state)
        )
    };
    state.notice = Some((NoticeKind::Info, words));
}

/// How many users the table on screen shows: every tenant's in the table across tenants.
fn shown_count(state: &State) -> usize {
    if all_tenants::on(state) {
        state.sessions.iter().map(|s| s.users.shown().len()).sum()
    } else {
        state.session().users.shown().len()
    }
}

/// `y` / `Y`: the selected user's user name or object id to the clipboard.
fn copy_current(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(row) = state.session_mut().users.current_row() else {
        state.notice = Some((NoticeKind::Error, "No user selected to copy.".into()));
        return Vec::new();
    };
    let (name, id, upn) = (
        row.display_name().to_string(),
        row.id().to_string(),
        row.original_upn().to_string(),
    );
    if action == Action::CopyUpn {
        super::restored::copy(state, &name, "user name", &upn)
    } else {
        super::restored::copy(state, &name, "object id", &id)
    }
}

pub(super) fn filter_key(state: &mut State, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
    filter_key_here(state, action, key);
    all_tenants::spread(state);
    Vec::new()
}

fn filter_key_here(state: &mut State, action: Option<Action>, key: KeyEvent) {
    match action {
        Some(Action::Submit) => state.session_mut().users.stop_filter(),
        Some(Action::Cancel) => state.session_mut().users.clear_filter(false),
        Some(Action::Down) => move_selection(state, 1),
        Some(Action::Up) => move_selection(state, -1),
        _ => {
            if state
                .session_mut()
                .users
                .filter_input()
                .handle_event(&Event::Key(key))
                .is_some_and(|c| c.value)
            {
                state.session_mut().users.apply_filter();
                if let Some(all) = &mut state.all {
                    all.from_top();
                }
            }
        }
    }
}

pub(super) fn on_mouse(state: &mut State, m: MouseEvent) -> Vec<Effect> {
    let step = 3;
    if state.help.is_some() {
        let action = match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            _ => None,
        };
        // The wheel only scrolls the help: it never closes it, and there is nothing to run.
        let _ = help::on_key(state, action);
        return Vec::new();
    }
    if state.modal.is_none() && state.view == View::Restored {
        super::restored::on_mouse(state, m, step as isize);
        return Vec::new();
    }
    match (&mut state.modal, m.kind) {
        (Some(Modal::Progress(p)), MouseEventKind::ScrollDown) => {
            p.scroll = (p.scroll + step).min(p.lines.len().saturating_sub(1))
        }
        (Some(Modal::Progress(p)), MouseEventKind::ScrollUp) => {
            p.scroll = p.scroll.saturating_sub(step)
        }
        (Some(Modal::Result(r)), MouseEventKind::ScrollDown) => {
            r.selected = (r.selected + 1).min(r.outcomes.len().saturating_sub(1))
        }
        (Some(Modal::Result(r)), MouseEventKind::ScrollUp) => {
            r.selected = r.selected.saturating_sub(1)
        }
        (Some(_), _) => {}
        (None, MouseEventKind::ScrollDown | MouseEventKind::ScrollUp) => {
            let delta = if m.kind == MouseEventKind::ScrollDown {
                step as isize
            } else {
                -(step as isize)
            };
            // The wheel scrolls what is under the pointer.
            let area = Rect::new(0, 0, state.size.0, state.size.1);
            let over_details = layout::layout(state, area)
                .and_then(|a| a.details)
                .is_some_and(|d| d.contains(ratatui::layout::Position::new(m.column, m.row)));
            if over_details {
                scroll_details(state, delta);
            } else {
                move_selection(state, delta);
            }
        }
        (None, MouseEventKind::Down(MouseButton::Left)) => {
            let area = Rect::new(0, 0, state.size.0, state.size.1);
            if let Some(areas) = layout::layout(state, area) {
                let r = areas.rows;
                let on_rows =
                    m.column >= r.x && m.column < r.right() && m.row >= r.y && m.row < r.bottom();
                let row = usize::from(m.row.saturating_sub(r.y));
                if on_rows && all_tenants::on(state) {
                    if let Some(all) = &mut state.all
                        && let Some(pos) = all.at_screen_row(row)
                    {
                        all.select(pos, &mut state.sessions);
                        if m.column < r.x + 2 {
                            state.session_mut().users.toggle_mark_current();
                        }
                    }
                } else if on_rows && let Some(pos) = state.session_mut().users.at_screen_row(row) {
                    state.session_mut().users.select(pos);
                    // A click on the mark box toggles the mark.
                    if m.column < r.x + 2 {
                        state.session_mut().users.toggle_mark_current();
                    }
                }
            }
        }
        _ => {}
    }
    Vec::new()
}

pub(super) fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    // Pasted line breaks would submit nothing useful: keep one line.
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    let input: Option<&mut Input> = match &mut state.modal {
        Some(Modal::Restore(f)) => f.focused_input(),
        Some(Modal::Purge(p)) => Some(&mut p.typed),
        None if state.sessions.current_mut().users.filtering() => {
            Some(state.sessions.current_mut().users.filter_input())
        }
        _ => None,
    };
    if let Some(input) = input {
        for c in text.chars() {
            input.handle(InputRequest::InsertChar(c));
        }
    }
    if state.modal.is_none() && state.session_mut().users.filtering() {
        state.session_mut().users.apply_filter();
        if let Some(all) = &mut state.all {
            all.from_top();
        }
        all_tenants::spread(state);
    }
    Vec::new()
}
