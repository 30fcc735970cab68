//! The Graph client (`GraphDirectory`) against the sandbox over real HTTP.

#[path = "../common/mod.rs"]
mod common;

mod client;
mod offboarding;
mod sweep;
