//! undelete: restore deleted Microsoft Entra ID users from the terminal.
//! The library holds everything; `main.rs` only parses arguments (`cli.rs`, the binary's
//! own module) into `config::Settings` and picks what to run.
#![forbid(unsafe_code)]

pub mod address;
pub mod app;
pub mod auth;
pub mod badges;
pub mod clipboard;
pub mod commands;
pub mod config;
pub mod conflicts;
pub mod data_dir;
pub mod directory;
pub mod logging;
pub mod mail;
pub mod offboarding;
pub mod password;
pub mod query;
pub mod restore;
pub mod session;
// Read by its own test only: every string literal of `src/`.
#[cfg(test)]
mod source_strings;
pub mod text;
pub mod trust;
pub mod tui;
pub mod ui;
