//! The `?` overlay: scrolling through every key table.

use super::Modal;
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::state::State;

pub(in crate::app) fn help_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(Modal::Help { scroll }) = &mut state.modal else {
        return Vec::new();
    };
    let max = crate::app::help::lines().len().saturating_sub(1);
    // The overlay is the screen's height less its margin and borders.
    let page = usize::from(state.size.1.saturating_sub(4)).max(1);
    match action {
        Some(Action::Down) => *scroll = (*scroll + 1).min(max),
        Some(Action::Up) => *scroll = scroll.saturating_sub(1),
        Some(Action::PageDown) => *scroll = (*scroll + page).min(max),
        Some(Action::PageUp) => *scroll = scroll.saturating_sub(page),
        Some(Action::Top) => *scroll = 0,
        // The last page, whole: the end of the list at the bottom of the overlay.
        Some(Action::Bottom) => *scroll = (max + 1).saturating_sub(page),
        Some(Action::Cancel) => state.modal = None,
        _ => {}
    }
    Vec::new()
}
