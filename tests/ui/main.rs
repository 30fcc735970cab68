//! The TUI without a terminal: key-driven flows, the page loader, memory, and insta snapshots
//! of every screen (in `snapshots/`, named `ui__snapshots__<screen>.snap`). One test binary
//! (links once).

#[path = "../common/mod.rs"]
mod common;

mod flow;
mod loader;
mod memory;
mod snapshots;
