//! Sign-in, in process against the production flow code: certificates, the device code, every
//! path against the sandbox, and a scripted token endpoint. One test binary (links once).

#[path = "../common/mod.rs"]
mod common;

mod certificate;
mod device_code;
mod sandbox;
mod token_endpoint;
