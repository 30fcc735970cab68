//! `undelete restore --password prompt` in a pseudo-terminal: the password is asked twice,
//! never echoed, never printed back, and is the one the directory now holds.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use common::pty::{Pty, Spawn};
use futures::StreamExt;
use secrecy::SecretString;
use undelete::auth::client_credentials::ClientCredentials;
use undelete::config::Endpoints;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::directory::{DeletedUser, Directory};
use undelete::restore;
use undelete_sandbox::SandboxConfig;

const BIN: &str = env!("CARGO_BIN_EXE_undelete");
const PASSWORD: &str = "Kiwi-Moon-42#x";

fn spawn(data_dir: &Path, args: &[&str]) -> Pty {
    Spawn::new(BIN)
        .size(30, 160)
        .arg("--sandbox")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove([
            "UNDELETE_TENANT",
            "UNDELETE_GRAPH_URL",
            restore::CRASH_HOOK_ENV,
        ])
        .start()
}

fn directory(h: &undelete_sandbox::SandboxHandle) -> Arc<dyn Directory> {
    let endpoints = Endpoints::sandbox(h.base_url());
    let tokens = ClientCredentials::new(
        &endpoints,
        "commands-pty-tests",
        SecretString::from(h.client_secret().to_string()),
    )
    .expect("client credentials");
    Arc::new(GraphDirectory::new(endpoints, tokens, GraphOptions::default()).expect("directory"))
}

/// Seeds the store the binary's `--sandbox` will reuse and picks a user free of conflicts.
async fn seed_and_pick(data_dir: &Path) -> DeletedUser {
    let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data_dir).users(30))
        .await
        .expect("sandbox");
    let dir = directory(&sandbox);
    let mut pages = dir.list_deleted();
    let mut picked = None;
    'outer: while let Some(page) = pages.next().await {
        for u in page.expect("page").users {
            let pf = restore::preflight(dir.as_ref(), &u)
                .await
                .expect("preflight");
            if !pf.has_conflict() && !u.on_premises_sync_enabled {
                picked = Some(u);
                break 'outer;
            }
        }
    }
    drop(pages);
    drop(dir);
    sandbox.shutdown().await;
    picked.expect("a user without conflicts")
}

#[tokio::test]
async fn a_prompted_password_is_never_echoed_and_is_the_one_set() {
    let data = tempfile::tempdir().expect("data dir");
    let user = seed_and_pick(data.path()).await;
    let mut pty = spawn(data.path(), &["restore", &user.id, "--password", "prompt"]);
    pty.wait_for_output("New password:").await;
    pty.wait_for_echo_off().await;
    pty.type_line(PASSWORD);
    pty.wait_for_output("Type it again:").await;
    pty.wait_for_echo_off().await;
    pty.type_line(PASSWORD);
    assert_eq!(pty.exit_code().await, 0, "{}", pty.raw_text());
    let out = pty.raw_text();
    assert!(out.contains("\"status\":\"restored\""), "{out}");
    assert!(!out.contains(PASSWORD), "never echoed nor printed: {out}");
    assert!(!out.contains("\"password\""), "{out}");

    let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
        .await
        .expect("sandbox");
    assert!(sandbox.inspect().password_matches(&user.id, PASSWORD));
}

#[tokio::test]
async fn two_different_passwords_change_nothing() {
    let data = tempfile::tempdir().expect("data dir");
    let user = seed_and_pick(data.path()).await;
    let mut pty = spawn(data.path(), &["restore", &user.id, "--password", "prompt"]);
    pty.wait_for_output("New password:").await;
    pty.wait_for_echo_off().await;
    pty.type_line(PASSWORD);
    pty.wait_for_output("Type it again:").await;
    pty.wait_for_echo_off().await;
    pty.type_line("Kiwi-Moon-42#y");
    assert_eq!(pty.exit_code().await, 2, "{}", pty.raw_text());
    assert!(pty.raw_text().contains("differ"), "{}", pty.raw_text());
    let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
        .await
        .expect("sandbox");
    assert!(sandbox.inspect().is_deleted(&user.id));
}

/// The prompt shows only once raw mode is on, so a password typed the moment it appears is
/// not echoed, and a line feed (what `\n` or Ctrl-J sends) ends it like Enter: no waiting for
/// the terminal's echo to go off here.
#[tokio::test]
async fn a_password_typed_at_once_and_ended_by_a_line_feed_is_taken() {
    let data = tempfile::tempdir().expect("data dir");
    let user = seed_and_pick(data.path()).await;
    let mut pty = spawn(data.path(), &["restore", &user.id, "--password", "prompt"]);
    pty.wait_for_output("New password:").await;
    pty.write(&format!("{PASSWORD}\n"));
    pty.wait_for_output("Type it again:").await;
    pty.write(&format!("{PASSWORD}\n"));
    assert_eq!(pty.exit_code().await, 0, "{}", pty.raw_text());
    let out = pty.raw_text();
    assert!(out.contains("\"status\":\"restored\""), "{out}");
    assert!(!out.contains(PASSWORD), "never echoed nor printed: {out}");
    let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
        .await
        .expect("sandbox");
    assert!(sandbox.inspect().password_matches(&user.id, PASSWORD));
}
