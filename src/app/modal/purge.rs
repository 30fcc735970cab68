//! The purge confirmation: the admin types the name of what is purged for good.

use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::Outcome;
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::directory::DeletedUser;

pub struct PurgeState {
    pub users: Vec<DeletedUser>,
    pub typed: Input,
    pub error: Option<String>,
    pub running: bool,
}

impl PurgeState {
    /// Its keys: Esc closes it, Enter purges once the count is typed, the rest is typing.
    pub(in crate::app) fn on_key(&mut self, action: Option<Action>, key: KeyEvent) -> Outcome {
        if self.running {
            return Outcome::Open(Vec::new());
        }
        match action {
            Some(Action::Cancel) => return Outcome::Closed(Vec::new()),
            Some(Action::Submit) => {
                let want = self.users.len().to_string();
                if self.typed.value().trim() == want {
                    self.running = true;
                    self.error = None;
                    return Outcome::Open(vec![Effect::Purge {
                        users: self.users.clone(),
                    }]);
                }
                self.error = Some(format!(
                    "Type {want} to confirm (you typed {:?}).",
                    self.typed.value()
                ));
            }
            _ => {
                self.typed.handle_event(&Event::Key(key));
                self.error = None;
            }
        }
        Outcome::Open(Vec::new())
    }
}
