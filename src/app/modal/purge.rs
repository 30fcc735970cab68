//! The purge confirmation: the admin types the name of what is purged for good.

use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::Modal;
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::state::State;
use crate::directory::DeletedUser;

pub struct PurgeState {
    pub users: Vec<DeletedUser>,
    pub typed: Input,
    pub error: Option<String>,
    pub running: bool,
}

pub(in crate::app) fn purge_key(
    state: &mut State,
    action: Option<Action>,
    key: KeyEvent,
) -> Vec<Effect> {
    let Some(Modal::Purge(p)) = &mut state.modal else {
        return Vec::new();
    };
    if p.running {
        return Vec::new();
    }
    match action {
        Some(Action::Cancel) => state.modal = None,
        Some(Action::Submit) => {
            let want = p.users.len().to_string();
            if p.typed.value().trim() == want {
                p.running = true;
                p.error = None;
                return vec![Effect::Purge {
                    users: p.users.clone(),
                }];
            }
            p.error = Some(format!(
                "Type {want} to confirm (you typed {:?}).",
                p.typed.value()
            ));
        }
        _ => {
            p.typed.handle_event(&Event::Key(key));
            p.error = None;
        }
    }
    Vec::new()
}
