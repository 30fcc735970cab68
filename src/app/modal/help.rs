//! The `?` overlay: the keys of the screen it was opened on first, then every other key table.
//! It opens over any screen, dialogs included, and closing it returns to that screen as it was.

use super::Outcome;
use crate::app::action::Action;
use crate::app::keymap::Scope;
use crate::app::state::State;

/// The open help: which screen asked (its keys come first) and how far it is scrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelpView {
    pub scope: Scope,
    pub scroll: usize,
}

/// Opens the help for the screen `scope` is.
pub(in crate::app) fn open_help(state: &mut State, scope: Scope) {
    state.help = Some(HelpView { scope, scroll: 0 });
}

/// A key for the open help (its scroll), and whether it stays open; `Open` with nothing to
/// do when no help is open.
pub(in crate::app) fn on_key(state: &mut State, action: Option<Action>) -> Outcome {
    let sandbox = state.session_mut().facts.is_sandbox;
    // The help's box is the overlay's height less a margin, and its page that less borders.
    let size = ratatui::layout::Rect::new(0, 0, state.size.0, state.size.1);
    let over = crate::app::layout::layout(state, size).map_or(size.height, |a| a.overlay().height);
    let page = usize::from(over.saturating_sub(4)).max(1);
    let Some(view) = &mut state.help else {
        return Outcome::Open(Vec::new());
    };
    let lines = crate::app::help::wrapped(view.scope, sandbox, state.size.0).len();
    view.on_key(action, lines, page)
}

impl HelpView {
    /// Scrolls over `lines` lines shown `page` at a time; Esc closes.
    fn on_key(&mut self, action: Option<Action>, lines: usize, page: usize) -> Outcome {
        let max = lines.saturating_sub(1);
        let scroll = &mut self.scroll;
        match action {
            Some(Action::Down) => *scroll = (*scroll + 1).min(max),
            Some(Action::Up) => *scroll = scroll.saturating_sub(1),
            Some(Action::PageDown) => *scroll = (*scroll + page).min(max),
            Some(Action::PageUp) => *scroll = scroll.saturating_sub(page),
            Some(Action::Top) => *scroll = 0,
            // The last page, whole: the end of the list at the bottom of the overlay.
            Some(Action::Bottom) => *scroll = (max + 1).saturating_sub(page),
            Some(Action::Cancel) => return Outcome::Closed(Vec::new()),
            _ => {}
        }
        Outcome::Open(Vec::new())
    }
}
