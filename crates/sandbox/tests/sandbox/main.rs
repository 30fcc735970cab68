//! The sandbox's routes, tokens, faults and `sandbox serve`, over real HTTP. One test binary
//! (links once).

#[path = "../common/mod.rs"]
mod common;

mod aftercare;
mod arm;
mod auth;
mod batch;
mod compat;
mod conformance;
mod entra;
mod faults;
mod holders;
mod list;
mod offboarding;
mod retention;
mod tenants;
mod tokens;
mod writes;
