//! The TUI's core: state, messages, the pure `update`, effects and their runner. It knows
//! nothing of drawing: `ui` draws the state, and `tui` runs the event loop on a terminal.

pub mod action;
pub mod details;
pub mod effect;
pub mod fixtures;
pub mod help;
pub mod keymap;
pub mod layout;
pub mod modal;
pub mod msg;
pub mod runner;
pub mod sign_in;
pub mod state;
pub mod update;
#[cfg(test)]
mod update_tests;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use crossterm::event::{Event, MouseEventKind};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::directory::{Directory, RequestRecord};
use effect::Effect;
use msg::Msg;
use runner::Runner;
use state::State;

/// How the TUI was asked to run (from the command line and the environment).
#[derive(Debug, Clone, Copy, Default)]
pub struct TuiOptions {
    pub read_only: bool,
    pub no_mouse: bool,
    /// Also on when the `NO_COLOR` environment variable is set and not empty.
    pub no_color: bool,
    /// Picks the sign-in link the mail gives.
    pub cloud: Option<crate::config::Cloud>,
}

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

/// Applies one message and runs its effects; `true` when the app should quit.
pub fn step(state: &mut State, runner: &mut Runner, msg: Msg) -> bool {
    // Only a page of the current load frees a slot: a cancelled load's leftovers must not
    // let the new one run further ahead.
    let page =
        matches!(&msg, Msg::Page { generation, .. } if *generation == state.users.generation());
    let effects = update::update(state, msg);
    if page {
        runner.page_taken();
    }
    for effect in effects {
        if matches!(effect, Effect::Quit) {
            return true;
        }
        runner.run(effect);
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
    // Where things are is what the drawing itself computes, so the key cannot drift from it.
    let (w, h_) = state.size;
    let areas = layout::layout(state, ratatui::layout::Rect::new(0, 0, w, h_));
    (state.size, areas).hash(&mut h);
    state
        .modal
        .as_ref()
        .map(std::mem::discriminant)
        .hash(&mut h);
    let u = &state.users;
    u.generation().hash(&mut h);
    let rows = areas.map_or(1, |a| usize::from(a.rows.height).max(1));
    u.visible(u.offset(), rows).hash(&mut h);
    if state.details {
        u.current_index().hash(&mut h);
        state.details_top().hash(&mut h);
    }
    // Modal lists of names scroll too; the Result list scrolls with its selection.
    match &state.modal {
        Some(state::Modal::Progress(p)) => p.scroll.hash(&mut h),
        Some(state::Modal::Result(r)) => (r.selected, r.confirm_close).hash(&mut h),
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

/// What the TUI needs from a session: the directory and who we are in it.
pub struct TuiContext {
    pub directory: Arc<dyn Directory>,
    /// "SANDBOX contoso.sandbox" or the tenant.
    pub label: String,
    pub is_sandbox: bool,
    /// The signed-in admin's UPN; also the default mail recipient.
    pub account: String,
    pub mail_sender: Option<String>,
    pub data_dir: PathBuf,
    pub requests: Option<UnboundedReceiver<RequestRecord>>,
}

/// `NO_COLOR` set to anything but the empty string turns colors off (no-color.org).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The initial state for a context, at time `now` and terminal size `size`.
pub fn initial_state(
    ctx: &TuiContext,
    opts: &TuiOptions,
    now: chrono::DateTime<Utc>,
    size: (u16, u16),
) -> State {
    State::new(
        state::Settings {
            label: ctx.label.clone(),
            is_sandbox: ctx.is_sandbox,
            account: ctx.account.clone(),
            read_only: opts.read_only,
            no_color: opts.no_color || no_color_env(),
            mouse: !opts.no_mouse,
            sign_in_url: crate::mail::sign_in_url(opts.cloud.unwrap_or_default()).to_string(),
            mail_sender: ctx.mail_sender.clone(),
            local_offset: *chrono::Local::now().offset(),
        },
        now,
        size,
    )
}

/// The runner for a context; OSC 52 writes go to `clipboard`.
pub fn runner_for(
    ctx: &TuiContext,
    state: &State,
    tx: tokio::sync::mpsc::UnboundedSender<Msg>,
    clipboard: Option<runner::ClipboardSink>,
) -> Runner {
    Runner::new(runner::RunnerConfig {
        dir: ctx.directory.clone(),
        tx,
        data_dir: ctx.data_dir.clone(),
        directory_label: ctx.label.clone(),
        admin: ctx.account.clone(),
        sign_in_url: state.settings.sign_in_url.clone(),
        mail_sender: ctx.mail_sender.clone(),
        clipboard,
        read_only: state.settings.read_only,
    })
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
        assert!(s.users.shown().len() < 200);
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
