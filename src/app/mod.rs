//! The TUI's core: state, messages, the pure `update`, effects and their runner. It knows
//! nothing of drawing: `ui` draws the state, and `tui` runs the event loop on a terminal.

pub mod action;
pub mod all_tenants;
pub mod details;
pub mod effect;
pub mod fixtures;
pub mod help;
pub mod home;
pub mod keymap;
pub mod layout;
pub mod modal;
pub mod msg;
pub mod news;
pub mod quit;
pub mod restored;
pub mod runner;
pub mod sessions;
pub mod sign_in;
pub mod state;
pub mod sweep;
pub mod tenant_runs;
pub mod tenants;
pub mod update;
#[cfg(test)]
mod update_tests;
pub mod users;
pub mod welcome;
pub mod window;

use std::sync::Arc;

use chrono::Utc;
use crossterm::event::{Event, MouseEventKind};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::session::Session;
use effect::Effect;
use msg::{Msg, SessionMsg};
use runner::Runner;
use state::State;

/// Turns a terminal event into a message; mouse moves are dropped (we never use hover).
pub fn event_to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Moved | MouseEventKind::Drag(_) => None,
            _ => Some(Msg::Mouse(m)),
        },
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Paste(p) => Some(Msg::Paste(p)),
        Event::FocusGained | Event::FocusLost => None,
    }
}

/// Applies one message and runs its effects; `true` when the app should quit. The effects of
/// a session's news are that session's work, whether or not it is on screen.
pub fn step(state: &mut State, runner: &mut Runner, msg: Msg) -> bool {
    // Only a page of a session's current load frees a slot: a cancelled load's leftovers (or
    // those of a session replaced since) must not let the new one run further ahead.
    let (from, page) = match &msg {
        Msg::Session { id, msg } => {
            let page = match msg {
                SessionMsg::Page { generation, .. } => state
                    .sessions
                    .get(*id)
                    .is_some_and(|s| *generation == s.users.generation()),
                _ => false,
            };
            (Some(*id), page)
        }
        _ => (None, false),
    };
    let effects = update::update(state, msg);
    if let (Some(id), true) = (from, page) {
        runner.page_taken(id);
    }
    // Work that names no session is the work of the one its news came from, else of the one
    // on screen once `update` is done (in the table across tenants, the selected row's).
    let id = from.unwrap_or_else(|| state.session().id());
    for effect in effects {
        runner.run_in(id, effect);
    }
    state.quit
}

/// A digest of which text sits where: the layout, and which users occupy the table's rows and
/// the details pane. Two states with the same key differ only in styles and in text that
/// replaces text of the same row (a mark, the clock), never in which name is in a row; when
/// the key changes, the run loop repaints the whole screen.
pub fn repaint_key(state: &State) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    // Signing in replaces the whole screen.
    state.sign_in.is_some().hash(&mut h);
    // Overlays put other text over the rows.
    (state.welcome, state.help.map(|v| v.scroll)).hash(&mut h);
    // Where things are is what the drawing itself computes, so the key cannot drift from it.
    let (w, h_) = state.size;
    let areas = layout::layout(state, ratatui::layout::Rect::new(0, 0, w, h_));
    (state.size, areas).hash(&mut h);
    state
        .modal
        .as_ref()
        .map(std::mem::discriminant)
        .hash(&mut h);
    // The Restored view puts other names in the same rows.
    state.view.hash(&mut h);
    let session = state.session();
    // Another session puts other names everywhere.
    session.id().hash(&mut h);
    if state.view == restored::View::Restored {
        let r = &session.restored;
        // The summary under the rows names the selected user.
        (r.offset, r.selected, r.rows.len(), r.loading).hash(&mut h);
    }
    let u = &session.users;
    u.generation().hash(&mut h);
    let rows = areas.map_or(1, |a| usize::from(a.rows.height).max(1));
    u.visible(u.offset(), rows).hash(&mut h);
    // The table across tenants puts any tenant's names in the rows.
    if let Some(all) = state.all.as_ref().filter(|_| all_tenants::on(state)) {
        all.visible(all.offset(), rows).hash(&mut h);
        state
            .sessions
            .iter()
            .for_each(|s| s.users.shown_version().hash(&mut h));
    }
    if state.details {
        u.current_index().hash(&mut h);
        state.details_top().hash(&mut h);
    }
    // Modal lists of names scroll too; the Result list scrolls with its selection.
    match &state.modal {
        Some(modal::Modal::Progress(p)) => p.scroll.hash(&mut h),
        Some(modal::Modal::Result(r)) => (r.selected, r.confirm_close()).hash(&mut h),
        _ => {}
    }
    h.finish()
}

/// A fresh channel for background results.
pub fn channel() -> (
    tokio::sync::mpsc::UnboundedSender<Msg>,
    UnboundedReceiver<Msg>,
) {
    unbounded_channel()
}

/// `NO_COLOR` set to anything but the empty string turns colors off (no-color.org).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The screen's settings for a run, from the command line, `NO_COLOR` and the local time zone.
fn run_settings(config: &crate::config::Settings) -> state::Settings {
    state::Settings::from_config(config, no_color_env(), *chrono::Local::now().offset())
}

/// The initial state for a session opened already, at time `now` and terminal size `size`.
/// The runner for it takes the same session as `state.session().id()`.
pub fn initial_state(session: &Session, now: chrono::DateTime<Utc>, size: (u16, u16)) -> State {
    let mut state = State::new(
        run_settings(&session.settings),
        sessions::Facts::of(session),
        now,
        size,
    );
    sign_in::show_warnings(&mut state, session);
    // Read once, at start: dismissing it is an effect the runner carries out.
    state.welcome = session.is_sandbox && !welcome::dismissed(&session.data_dir);
    state
}

/// The initial state of a run on several tenants, opened already (`open`, not empty; the
/// first is shown) and those that did not open, with why; and each open session with the id
/// the state gives it, for the runner.
pub fn tenants_state(
    open: &[Arc<Session>],
    unopened: Vec<sessions::Unopened>,
    now: chrono::DateTime<Utc>,
    size: (u16, u16),
) -> (State, Vec<(sessions::SessionId, Arc<Session>)>) {
    let (first, rest) = open
        .split_first()
        .expect("a run on several tenants opened one");
    let mut state = initial_state(first, now, size);
    let mut ids = vec![(state.session().id(), Arc::clone(first))];
    ids.extend(add_tenants(&mut state, rest, unopened));
    (state, ids)
}

/// The tenants of a run beside the one on screen (`rest`, opened) and those not opened, with
/// why; each opened one with the id the state gives it, for the runner.
fn add_tenants(
    state: &mut State,
    rest: &[Arc<Session>],
    unopened: Vec<sessions::Unopened>,
) -> Vec<(sessions::SessionId, Arc<Session>)> {
    let ids = rest
        .iter()
        .map(|session| {
            let id = state.sessions.add(sessions::Facts::of(session));
            (id, Arc::clone(session))
        })
        .collect();
    state.sessions.unopened = unopened;
    // Several tenants open: their users in one table, the soonest purge of any on top.
    if !rest.is_empty() {
        state.all = Some(Default::default());
    }
    ids
}

/// The initial state of a run that signs in first: the sign-in screen for `target`
/// ("contoso.onmicrosoft.com"), signing in as `how` says ("app-only, with a certificate").
pub fn sign_in_state(
    config: &crate::config::Settings,
    target: String,
    how: String,
    now: chrono::DateTime<Utc>,
    size: (u16, u16),
) -> State {
    let facts = sessions::Facts::from_config(config, target.clone());
    let mut state = State::new(run_settings(config), facts, now, size);
    state.sign_in = Some(sign_in::SignIn::new(
        target,
        how,
        state.settings.no_color,
        now,
    ));
    state
}

/// What a screen starts with: a sign-in attempt, or each session's loads (and what the last
/// run kept of its conflict sweep, read back first). The shown session's come first, so its
/// listing is the first to take one of the runner's turns.
pub fn start_effects(state: &mut State) -> Vec<Effect> {
    if state.sign_in.is_some() {
        return vec![Effect::StartSignIn];
    }
    let shown = state.session().id();
    let mut effects = Vec::new();
    for s in state.sessions.iter_mut() {
        let own = [
            sweep::start(s),
            Effect::LoadDeleted {
                generation: s.users.generation(),
            },
            Effect::LoadTenant,
            Effect::LoadUnfinished,
        ];
        let id = s.id();
        if id == shown {
            effects.splice(0..0, own);
        } else {
            effects.extend(own.into_iter().map(|e| Effect::In(id, Box::new(e))));
        }
    }
    effects
}

/// How the TUI starts: in a session opened already, or on the sign-in screen.
// One value per run, moved once: boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Start {
    Session(Arc<Session>),
    /// A run on several tenants: those that opened (at least one; the first is shown) and
    /// those that did not, with why.
    Tenants {
        open: Vec<Arc<Session>>,
        unopened: Vec<sessions::Unopened>,
    },
    SignIn {
        auth: crate::auth::AuthContext,
        settings: crate::config::Settings,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

    fn press(s: &mut State, code: KeyCode) {
        let ev = KeyEvent::new_with_kind(code, KeyModifiers::NONE, KeyEventKind::Press);
        update::update(s, Msg::Key(ev));
    }

    #[test]
    fn other_rows_in_view_force_a_full_repaint() {
        let mut s = fixtures::state(200, (120, 40));
        let start = repaint_key(&s);
        // Moving within the window restyles rows but puts no new text in them.
        press(&mut s, KeyCode::Char('j'));
        assert_eq!(repaint_key(&s), start, "selection move");
        press(&mut s, KeyCode::Char(' '));
        assert_eq!(repaint_key(&s), start, "a mark");
        // Filtering puts other users in the same rows: the stale-glyph case.
        press(&mut s, KeyCode::Char('/'));
        let filtering = repaint_key(&s);
        assert_ne!(filtering, start, "the filter line appears");
        for c in "diego".chars() {
            press(&mut s, KeyCode::Char(c));
        }
        assert!(s.session().users.shown().len() < 200);
        assert_ne!(repaint_key(&s), filtering, "filter narrowed the rows");
        press(&mut s, KeyCode::Esc);
        let cleared = repaint_key(&s);
        // Scrolling by one row past the bottom moves every name up a row.
        press(&mut s, KeyCode::Char('G'));
        assert_ne!(repaint_key(&s), cleared, "scrolled");
        let bottom = repaint_key(&s);
        press(&mut s, KeyCode::Char('s'));
        assert_ne!(repaint_key(&s), bottom, "sort changed the order");
    }

    #[test]
    fn the_details_pane_repaints_when_it_shows_another_user() {
        let mut s = fixtures::state(50, (120, 40));
        press(&mut s, KeyCode::Char('i'));
        let first = repaint_key(&s);
        press(&mut s, KeyCode::Char('j'));
        assert_ne!(repaint_key(&s), first);
    }
}
