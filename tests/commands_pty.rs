//! `undelete restore --password prompt` in a pseudo-terminal: the password is asked twice,
//! never echoed, never printed back, and is the one the directory now holds.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use secrecy::SecretString;
use undelete::auth::client_credentials::ClientCredentials;
use undelete::config::Endpoints;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::directory::{DeletedUser, Directory};
use undelete::restore;
use undelete::sandbox::SandboxConfig;

const BIN: &str = env!("CARGO_BIN_EXE_undelete");
const PASSWORD: &str = "Kiwi-Moon-42#x";

struct Pty {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    output: Arc<Mutex<Vec<u8>>>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Pty {
    fn spawn(data_dir: &Path, args: &[&str]) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 160,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.arg("--sandbox");
        cmd.arg("--data-dir");
        cmd.arg(data_dir);
        cmd.args(args);
        for var in [
            "UNDELETE_TENANT",
            "UNDELETE_GRAPH_URL",
            restore::CRASH_HOOK_ENV,
        ] {
            cmd.env_remove(var);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn undelete");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            child,
            writer,
            output,
            _master: pair.master,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap_or_else(|p| p.into_inner())).into()
    }

    async fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needle:?}; output:\n{}",
                self.text()
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    fn type_line(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).expect("type");
        self.writer.write_all(b"\r").expect("enter");
        self.writer.flush().expect("flush");
    }

    async fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader thread drain what is left.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return status.exit_code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("undelete did not exit; output:\n{}", self.text());
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
}

fn directory(h: &undelete::sandbox::SandboxHandle) -> Arc<dyn Directory> {
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
    let sandbox = undelete::sandbox::spawn(SandboxConfig::new(data_dir).users(30))
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
    let mut pty = Pty::spawn(data.path(), &["restore", &user.id, "--password", "prompt"]);
    pty.wait_for("New password:").await;
    pty.type_line(PASSWORD);
    pty.wait_for("Type it again:").await;
    pty.type_line(PASSWORD);
    assert_eq!(pty.exit_code().await, 0, "{}", pty.text());
    let out = pty.text();
    assert!(out.contains("\"status\":\"restored\""), "{out}");
    assert!(!out.contains(PASSWORD), "never echoed nor printed: {out}");
    assert!(!out.contains("\"password\""), "{out}");

    let sandbox = undelete::sandbox::spawn(SandboxConfig::new(data.path()))
        .await
        .expect("sandbox");
    assert!(sandbox.inspect().password_matches(&user.id, PASSWORD));
}

#[tokio::test]
async fn two_different_passwords_change_nothing() {
    let data = tempfile::tempdir().expect("data dir");
    let user = seed_and_pick(data.path()).await;
    let mut pty = Pty::spawn(data.path(), &["restore", &user.id, "--password", "prompt"]);
    pty.wait_for("New password:").await;
    pty.type_line(PASSWORD);
    pty.wait_for("Type it again:").await;
    pty.type_line("Kiwi-Moon-42#y");
    assert_eq!(pty.exit_code().await, 2, "{}", pty.text());
    assert!(pty.text().contains("differ"), "{}", pty.text());
    let sandbox = undelete::sandbox::spawn(SandboxConfig::new(data.path()))
        .await
        .expect("sandbox");
    assert!(sandbox.inspect().is_deleted(&user.id));
}
