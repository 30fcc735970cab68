//! The Restored view: the users restored in this directory (read from its books), where
//! each restore stands, and its keys. What is missing is finished by the result screen's own
//! machinery (`p` opens it for the one user, `F` finishes every unfinished restore), so there
//! is one way to set a password or send the sign-in info, wherever it starts.

use std::collections::HashSet;

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use secrecy::SecretString;

use super::action::Action;
use super::effect::Effect;
use super::modal::Modal;
use super::modal::result::{PasswordPrompt, ResultMode, ResultState};
use super::sessions::SessionState;
use super::state::{NoticeKind, State};
use crate::restore::{
    self, MailChoice, PasswordChoice, PasswordStep, Recorded, RestoredUser, UserOutcome,
};

/// Which list the home screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum View {
    #[default]
    Deleted,
    Restored,
}

/// The Restored view's rows (newest restore first) and where the admin is in them.
#[derive(Debug, Clone, Default)]
pub struct RestoredView {
    pub rows: Vec<RestoredUser>,
    pub selected: usize,
    /// First row drawn at the top.
    pub offset: usize,
    /// The journal is being read.
    pub loading: bool,
    /// The journal changed while it was being read: that read may predate the change, so it
    /// is read once more when it lands.
    pub stale: bool,
    /// The view was just opened: the read that lands selects the newest restore, the one the
    /// admin most likely came for, rather than the user selected last time.
    pub opening: bool,
    /// Why the journal could not be read, the last time it was tried.
    pub error: Option<String>,
    /// Restored users found in the deleted users listing again (worked out when either list
    /// changes, not per frame: that listing may hold 100,000 users).
    pub deleted_again: HashSet<String>,
}

impl RestoredView {
    pub fn current(&self) -> Option<&RestoredUser> {
        self.rows.get(self.selected)
    }

    pub fn unfinished(&self) -> usize {
        self.rows.iter().filter(|r| r.unfinished).count()
    }

    fn move_selection(&mut self, delta: isize) {
        self.selected = super::window::moved(self.selected, delta, self.rows.len());
    }

    /// Keeps the selected row inside a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        let len = self.rows.len();
        super::window::scroll_into_view(&mut self.selected, &mut self.offset, len, height);
    }

    /// The journal's list, read again: the same user stays selected while it is listed; just
    /// opened, the newest.
    pub fn replace(&mut self, rows: Vec<RestoredUser>) {
        let opening = std::mem::take(&mut self.opening);
        let current = self.current().map(|r| r.id.clone()).filter(|_| !opening);
        self.rows = rows;
        self.selected = match current {
            Some(id) => self
                .rows
                .iter()
                .position(|r| r.id == id)
                .unwrap_or(self.selected),
            None => 0,
        }
        .min(self.rows.len().saturating_sub(1));
        self.loading = false;
        self.error = None;
    }
}

/// Whether a restored user is still where its restore put it, as far as this run can tell
/// without asking the directory: not back in the deleted users, not found gone by a later step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Active,
    /// It is in the deleted users listing again.
    DeletedAgain,
    /// A later step found no active user (deleted again and purged, most likely).
    Gone,
}

pub fn presence(view: &RestoredView, r: &RestoredUser) -> Presence {
    if r.gone {
        Presence::Gone
    } else if view.deleted_again.contains(&r.id) {
        Presence::DeletedAgain
    } else {
        Presence::Active
    }
}

/// Works out which restored users are in the deleted users again: after either list changed.
pub(super) fn find_deleted_again(session: &mut SessionState) {
    if session.restored.rows.is_empty() {
        session.restored.deleted_again.clear();
        return;
    }
    let ids: HashSet<&str> = session
        .restored
        .rows
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    session.restored.deleted_again = session.users.ids_among(&ids);
}

/// A read of the journal landed; one more follows if the journal changed while it ran.
pub(super) fn on_read(state: &mut State, result: Result<Vec<RestoredUser>, String>) -> Vec<Effect> {
    let session = state.session_mut();
    match result {
        Ok(rows) => {
            session.restored.replace(rows);
            find_deleted_again(session);
        }
        Err(e) => {
            session.restored.loading = false;
            session.restored.error = Some(e);
        }
    }
    if std::mem::take(&mut session.restored.stale) {
        journal_changed(state)
    } else {
        Vec::new()
    }
}

/// Switches the home screen to `view`; the Restored view reads the journal again each time
/// it is opened (another run, or `undelete restore`, may have added to it).
pub(super) fn show(state: &mut State, view: View) -> Vec<Effect> {
    state.view = view;
    state.details_scroll = None;
    match view {
        View::Deleted => Vec::new(),
        View::Restored => {
            // The filter belongs to the deleted users: it keeps its text, not the keyboard.
            state.session_mut().users.stop_filter();
            state.session_mut().restored.opening = true;
            reload(state)
        }
    }
}

fn reload(state: &mut State) -> Vec<Effect> {
    let restored = &mut state.session_mut().restored;
    restored.loading = true;
    restored.stale = false;
    vec![Effect::LoadRestored]
}

/// The journal changed (a run, a mail, a finish): the Restored view on screen follows it.
pub(super) fn journal_changed(state: &mut State) -> Vec<Effect> {
    if state.view != View::Restored {
        Vec::new()
    } else if state.session().restored.loading {
        state.session_mut().restored.stale = true;
        Vec::new()
    } else {
        reload(state)
    }
}

/// `y` / `Y`: the user name or the object id of a user onto the clipboard, said the way the
/// result screen says a copied password.
pub(super) fn copy(state: &mut State, name: &str, what: &str, value: &str) -> Vec<Effect> {
    // A very long display name must not push the end of the sentence off the line.
    let name = crate::text::fit(name, 40);
    state.notice = Some((
        NoticeKind::Info,
        format!("Copied {name}'s {what} to the clipboard (OSC 52)."),
    ));
    vec![Effect::Copy(SecretString::from(value.to_string()))]
}

pub(super) fn restored_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(action) = action else {
        return Vec::new();
    };
    let page = super::layout::table_rows(state) as isize;
    let view = &mut state.sessions.current_mut().restored;
    match action {
        Action::Down => view.move_selection(1),
        Action::Up => view.move_selection(-1),
        Action::PageDown => view.move_selection(page),
        Action::PageUp => view.move_selection(-page),
        Action::Top => view.move_selection(isize::MIN / 2),
        Action::Bottom => view.move_selection(isize::MAX / 2),
        Action::ViewDeleted => return show(state, View::Deleted),
        Action::ViewRestored | Action::Refresh => return reload(state),
        Action::CopyUpn | Action::CopyId => {
            let Some(r) = view.current().cloned() else {
                state.notice = Some((NoticeKind::Error, "No restored user selected.".into()));
                return Vec::new();
            };
            return if action == Action::CopyUpn {
                copy(state, &r.display_name, "user name", &r.upn)
            } else {
                copy(state, &r.display_name, "object id", &r.id)
            };
        }
        Action::SetPassword => return set_password(state),
        // Finishing, the log, help and quitting work as in the deleted users.
        other => return super::home::table_action(state, Some(other)),
    }
    Vec::new()
}

/// The wheel moves the selection; a click selects the row under it.
pub(super) fn on_mouse(state: &mut State, m: MouseEvent, step: isize) {
    match m.kind {
        MouseEventKind::ScrollDown => state.session_mut().restored.move_selection(step),
        MouseEventKind::ScrollUp => state.session_mut().restored.move_selection(-step),
        MouseEventKind::Down(MouseButton::Left) => {
            let area = Rect::new(0, 0, state.size.0, state.size.1);
            if let Some(areas) = super::layout::layout(state, area) {
                let r = areas.rows;
                if r.contains(Position::new(m.column, m.row)) {
                    let view = &mut state.session_mut().restored;
                    let at = view.offset + usize::from(m.row - r.y);
                    if at < view.rows.len() {
                        view.selected = at;
                    }
                }
            }
        }
        _ => {}
    }
}

/// `p`: the result screen for this one user, its password prompt open: the prompt, the
/// password step and the sign-in mail that follow are the result screen's own.
fn set_password(state: &mut State) -> Vec<Effect> {
    if super::update::read_only_refusal(state, "setting a password") {
        return Vec::new();
    }
    let Some(r) = state.session().restored.current().cloned() else {
        return Vec::new();
    };
    if !r.can_get_password() {
        let why = if r.gone {
            "is no longer an active user"
        } else {
            "is a guest: it signs in with its home account"
        };
        state.notice = Some((
            NoticeKind::Info,
            format!("{} {why}; p has no password to set.", r.display_name),
        ));
        return Vec::new();
    }
    let outcome = UserOutcome {
        run: r.run.clone(),
        id: r.id.clone(),
        display_name: r.display_name.clone(),
        original_upn: r.planned_upn.clone().unwrap_or_else(|| r.upn.clone()),
        upn: Some(r.upn.clone()),
        password: None,
        failure: None,
        force_change: r.force_change,
        wants_password: true,
        synced: false,
        guest: false,
        account_disabled: r.account_disabled,
        planned: None,
        tap: None,
        password_kept: false,
        brought_back: Vec::new(),
    };
    // Who hears of it: the finishing rule, as `F` has it.
    let groups = restore::mail_groups(
        [Recorded {
            id: &r.id,
            mail_to: &r.mail_to,
            include_password: r.include_password,
            force_change: r.force_change,
        }],
        &MailChoice::default().fallback_to(&state.session().facts.account),
    );
    let step = PasswordStep {
        choice: PasswordChoice::Auto,
        force_change: r.force_change,
        force_change_with_mfa: false,
        why: "set with p in the Restored view".into(),
    };
    let mut result = ResultState::new(vec![outcome], Vec::new(), false, step);
    result.groups = Some(groups);
    result.replacing = !r.needs_password();
    result.mode = ResultMode::Prompt(PasswordPrompt::new(0));
    state.notice = None;
    state.modal = Some(Modal::Result(Box::new(result)));
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures;
    use crate::app::msg::{Msg, SessionMsg};
    use crate::app::update::update;
    use crate::restore::{MailState, PasswordState};
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

    fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
        let ev = KeyEvent::new_with_kind(code, KeyModifiers::NONE, KeyEventKind::Press);
        update(s, Msg::Key(ev))
    }

    fn restored(id: &str, password: PasswordState) -> RestoredUser {
        RestoredUser {
            id: id.into(),
            display_name: format!("User {id}"),
            upn: format!("{id}@contoso.sandbox"),
            planned_upn: None,
            restored_at: fixtures::now(),
            by: Some("admin@contoso.sandbox".into()),
            password,
            mail: MailState::NotSent,
            gone: false,
            unfinished: password == PasswordState::Missing,
            mail_to: vec!["helpdesk@contoso.sandbox".into()],
            include_password: true,
            force_change: true,
            run: "r1".into(),
            account_disabled: false,
        }
    }

    fn in_view(rows: Vec<RestoredUser>) -> State {
        let mut s = fixtures::state(10, (120, 40));
        let effects = press(&mut s, KeyCode::Char('2'));
        assert!(matches!(effects[..], [Effect::LoadRestored]));
        assert_eq!(s.view, View::Restored);
        fixtures::send(&mut s, SessionMsg::Restored(Ok(rows)));
        s
    }

    #[test]
    fn y_and_capital_y_copy_the_user_name_and_the_object_id() {
        let mut s = fixtures::state(10, (120, 40));
        let user = s.session().users.current().unwrap();
        let effects = press(&mut s, KeyCode::Char('y'));
        assert!(
            matches!(&effects[..], [Effect::Copy(v)] if secrecy::ExposeSecret::expose_secret(v) == user.original_upn)
        );
        let said = &s.notice.as_ref().unwrap().1;
        assert_eq!(
            said,
            &format!(
                "Copied {}'s user name to the clipboard (OSC 52).",
                user.display_name
            )
        );
        let effects = press(&mut s, KeyCode::Char('Y'));
        assert!(
            matches!(&effects[..], [Effect::Copy(v)] if secrecy::ExposeSecret::expose_secret(v) == user.id)
        );
        // In the Restored view they copy the name the user has now.
        let mut s = in_view(vec![restored("a", PasswordState::Set)]);
        let effects = press(&mut s, KeyCode::Char('y'));
        assert!(
            matches!(&effects[..], [Effect::Copy(v)] if secrecy::ExposeSecret::expose_secret(v) == "a@contoso.sandbox")
        );
        let effects = press(&mut s, KeyCode::Char('Y'));
        assert!(
            matches!(&effects[..], [Effect::Copy(v)] if secrecy::ExposeSecret::expose_secret(v) == "a")
        );
    }

    #[test]
    fn p_opens_the_result_screen_s_password_prompt_for_a_user_without_one() {
        let mut s = in_view(vec![
            restored("g", PasswordState::NotNeeded),
            restored("b", PasswordState::Missing),
        ]);
        press(&mut s, KeyCode::Char('p'));
        assert!(s.modal.is_none(), "a guest has no password to set");
        assert!(s.notice.is_some());
        press(&mut s, KeyCode::Char('j'));
        press(&mut s, KeyCode::Char('p'));
        let Some(Modal::Result(r)) = &s.modal else {
            panic!("the result screen");
        };
        assert!(r.prompt().is_some());
        assert_eq!(r.outcomes[0].id, "b");
        assert!(r.outcomes[0].needs_password());
        let groups = r.groups.as_deref().unwrap_or_default();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].to, ["helpdesk@contoso.sandbox"]);
        assert_eq!(groups[0].ids, ["b"]);
        assert!(groups[0].include_password && !groups[0].fallback);
        // Enter sets a generated password through the result screen's own effect.
        let effects = press(&mut s, KeyCode::Enter);
        assert!(
            matches!(&effects[..], [Effect::Retry { restore: None, passwords, .. }] if passwords.len() == 1)
        );
    }

    #[test]
    fn a_journal_change_during_a_read_is_read_once_more_when_that_read_lands() {
        let mut s = fixtures::state(10, (120, 40));
        assert!(matches!(
            press(&mut s, KeyCode::Char('2'))[..],
            [Effect::LoadRestored]
        ));
        // The mail's step lands while the first read is still out: no second read at once...
        assert!(fixtures::send(&mut s, SessionMsg::Unfinished(Vec::new())).is_empty());
        assert!(fixtures::send(&mut s, SessionMsg::Unfinished(Vec::new())).is_empty());
        // ...but one, and only one, after it: that read may predate the step.
        let effects = fixtures::send(
            &mut s,
            SessionMsg::Restored(Ok(vec![restored("a", PasswordState::Missing)])),
        );
        assert!(matches!(effects[..], [Effect::LoadRestored]));
        let effects = fixtures::send(
            &mut s,
            SessionMsg::Restored(Ok(vec![restored("a", PasswordState::Set)])),
        );
        assert!(effects.is_empty());
        assert_eq!(s.session().restored.rows[0].password, PasswordState::Set);
    }

    #[test]
    fn the_view_follows_the_journal_and_keeps_its_selection() {
        let mut s = in_view(vec![
            restored("a", PasswordState::Set),
            restored("b", PasswordState::Missing),
        ]);
        press(&mut s, KeyCode::Char('j'));
        let effects = fixtures::send(&mut s, SessionMsg::Unfinished(Vec::new()));
        assert!(matches!(effects[..], [Effect::LoadRestored]));
        fixtures::send(
            &mut s,
            SessionMsg::Restored(Ok(vec![
                restored("c", PasswordState::Set),
                restored("a", PasswordState::Set),
                restored("b", PasswordState::Set),
            ])),
        );
        assert_eq!(s.session().restored.current().unwrap().id, "b");
        // Esc goes back; the deleted users' keys work again.
        press(&mut s, KeyCode::Esc);
        assert_eq!(s.view, View::Deleted);
        assert!(fixtures::send(&mut s, SessionMsg::Unfinished(Vec::new())).is_empty());
    }
}
