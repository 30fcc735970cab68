//! The `?` overlay: the keys of the screen it was opened on first, then every other key table.
//! It opens over any screen, dialogs included, and closing it returns to that screen as it was.

use crate::app::action::Action;
use crate::app::effect::Effect;
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

pub(in crate::app) fn help_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let sandbox = state.session_mut().facts.is_sandbox;
    let Some(view) = &mut state.help else {
        return Vec::new();
    };
    let max = crate::app::help::lines(view.scope, sandbox)
        .len()
        .saturating_sub(1);
    // The overlay is the screen's height less its margin and borders.
    let page = usize::from(state.size.1.saturating_sub(4)).max(1);
    let scroll = &mut view.scroll;
    match action {
        Some(Action::Down) => *scroll = (*scroll + 1).min(max),
        Some(Action::Up) => *scroll = scroll.saturating_sub(1),
        Some(Action::PageDown) => *scroll = (*scroll + page).min(max),
        Some(Action::PageUp) => *scroll = scroll.saturating_sub(page),
        Some(Action::Top) => *scroll = 0,
        // The last page, whole: the end of the list at the bottom of the overlay.
        Some(Action::Bottom) => *scroll = (max + 1).saturating_sub(page),
        Some(Action::Cancel) => state.help = None,
        _ => {}
    }
    Vec::new()
}
