//! Shared helpers for integration tests: the sandbox's own (a sandbox in a temp dir, tokens over
//! HTTP, and raw Graph calls with reqwest, deliberately not the app's client), and the app's.
#![allow(dead_code)]

pub mod pty;

/// The binary's command line (clap is not in the library), for tests that start from argv.
#[path = "../../src/cli.rs"]
pub mod cli;

/// The sandbox crate's test helpers, one copy for both test trees.
#[path = "../../crates/sandbox/tests/common/mod.rs"]
mod http;
pub use http::*;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use undelete::auth::client_credentials::ClientCredentials;
use undelete::config::Endpoints;
use undelete::directory::Directory;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete_sandbox::SandboxHandle;

/// The books folder of the built-in sandbox in `data_dir` (made if missing): where a sandbox
/// session keeps its journal, audit log and lock.
pub fn sandbox_books(data_dir: &std::path::Path) -> std::path::PathBuf {
    let books = undelete::restore::Books::new(
        data_dir,
        &undelete::data_dir::DirectoryId::BuiltInSandbox,
        "SANDBOX",
    );
    books.prepare().expect("the sandbox's books folder");
    books.folder().to_path_buf()
}

/// The app's own Graph client on a sandbox, signed in app-only with the sandbox's secret,
/// sending mail as the admin, with a short backoff so fault tests stay fast.
pub fn sandbox_directory(h: &SandboxHandle, client_id: &str) -> Arc<dyn Directory> {
    let endpoints = Endpoints::sandbox(h.base_url());
    let tokens = ClientCredentials::new(
        &endpoints,
        client_id,
        SecretString::from(h.client_secret().to_string()),
    )
    .expect("client credentials");
    let options = GraphOptions {
        mail_sender: Some(h.admin_upn()),
        backoff_base: Duration::from_millis(20),
        ..GraphOptions::default()
    };
    Arc::new(GraphDirectory::new(endpoints, tokens, options).expect("directory"))
}
