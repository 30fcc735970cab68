//! The purge confirmation: the admin types the name of what is purged for good.

use tui_input::Input;

use crate::directory::DeletedUser;

pub struct PurgeState {
    pub users: Vec<DeletedUser>,
    pub typed: Input,
    pub error: Option<String>,
    pub running: bool,
}
