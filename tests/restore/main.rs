//! The restore workflow (`undelete::restore`) against the sandbox over real HTTP.

#[path = "../common/mod.rs"]
mod common;

mod tap;
mod workflow;
