//! The scripting commands and the real `undelete` binary (`CARGO_BIN_EXE_undelete`, built with
//! the `test-hooks` feature), in process and in a pseudo-terminal: commands, `login`, the TUI
//! and its sign-in screen. One test binary (links once).

#[path = "../common/mod.rs"]
mod common;

mod bring_back;
mod commands;
mod commands_pty;
mod config;
mod directories;
mod hand_off;
mod inputs;
mod list_stream;
mod logging;
mod login_pty;
mod secrets;
mod serve;
mod serve_tls;
mod shell;
mod sign_in_pty;
mod tenants;
mod tui_pty;
