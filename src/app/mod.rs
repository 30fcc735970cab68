//! The TUI: state, messages, the pure `update`, effects, and the one event loop.

pub mod action;
pub mod keymap;
pub mod state;
pub mod effect;
pub mod msg;
pub mod update;
