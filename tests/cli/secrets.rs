//! What a restore leaves on disk, from the real binary at its most verbose (`-vv`): the log
//! file, the journal and the audit log hold no password, no client secret and no bearer token
//! (every JWT starts `eyJ`, the base64 of `{"`), are readable by the owner only, and the log
//! does hold each Graph request with its request-id. Once through the TUI, once through
//! `undelete restore`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use common::pty;
use undelete_sandbox::{SandboxConfig, SandboxHandle};

const CLIENT_SECRET: &str = "secrets-test-client-secret-91b2";
const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";

async fn sandbox(users: usize) -> (tempfile::TempDir, SandboxHandle) {
    common::start_sandbox_with(users, |c: SandboxConfig| c.client_secret(CLIENT_SECRET)).await
}

/// Every file the client wrote under its data dir: the log files, the journal, the audit log.
fn written_files(data_dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read data dir").flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                walk(&path, out);
            } else if meta.is_file() {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(data_dir, &mut out);
    out
}

/// True when `text` holds something shaped as a JWT: base64url JSON (`eyJ…`), a dot, and
/// another part. (A kept delta link's token is base64 JSON too, but one part: not a
/// credential.)
fn has_jwt(text: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices("eyJ").any(|(at, _)| {
        let rest = &text[at..];
        let first = rest.find(|c: char| !part(c)).unwrap_or(rest.len());
        rest[first..]
            .strip_prefix('.')
            .is_some_and(|next| next.starts_with(part))
    })
}

/// Reads every file the run left and checks it for secrets and its mode; returns the log.
fn check_books(data_dir: &Path, secrets: &[&str]) -> String {
    let files = written_files(data_dir);
    let names: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in ["journal.jsonl", "audit.jsonl"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let mut log = String::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{secret:?} found in {}",
                path.display()
            );
        }
        assert!(!has_jwt(&text), "a JWT in {}", path.display());
        assert!(
            !text.contains("Bearer "),
            "a bearer token in {}",
            path.display()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let book = name.as_deref().is_some_and(|n| {
                n.ends_with(".jsonl") || (n.starts_with("undelete") && n.ends_with(".log"))
            });
            if book {
                let mode = std::fs::metadata(path).expect("meta").permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{} is {mode:o}", path.display());
            }
        }
        if path.parent().and_then(Path::file_name) == Some("logs".as_ref()) {
            log.push_str(&text);
        }
    }
    log
}

fn assert_request_lines(log: &str) {
    let requests: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("graph request") && l.contains("request_id="))
        .collect();
    assert!(
        requests
            .iter()
            .any(|l| l.contains("PATCH") || l.contains("POST")),
        "the writes are logged with their request-ids: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tui_restore_leaves_no_secret_in_the_log_journal_or_audit() {
    let (_tmp, h) = sandbox(10).await;
    let data = tempfile::tempdir().expect("data dir");
    let password = "Typed-In-Tui-58!";
    let mut pty = tokio::task::block_in_place(|| {
        pty::tenant_app(&h, data.path())
            .size(34, 110)
            .args([
                "-vv",
                "--client-id",
                CLIENT_ID,
                "--mail-from",
                "admin@contoso.sandbox",
            ])
            .env("UNDELETE_CLIENT_SECRET", CLIENT_SECRET)
            .start()
    });
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 10 ");
        pty.send("\r");
        pty.wait_for("Let me create the password");
        pty.send("\t");
        pty.send("\r");
        pty.wait_for("F2 show");
        pty.send(password);
        pty.wait_for("✓ 3 of lower/UPPER/digit/symbol");
        pty.send("\r");
        pty.wait_for("Restored 1 of 1");
        pty.send("\r");
        pty.wait_for("Sign-in info sent to admin@contoso.sandbox");
        pty.send("q");
        pty.assert_terminal_restored();
    });
    let outbox = h.inspect().outbox();
    assert!(
        outbox.iter().any(|m| m.body.contains(password)),
        "the password went where it should: the mail"
    );
    let log = check_books(data.path(), &[password, CLIENT_SECRET]);
    assert_request_lines(&log);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_restore_leaves_no_secret_in_the_log_journal_or_audit() {
    let (_tmp, h) = sandbox(10).await;
    let token = common::app_token(&h).await;
    let users = common::all_deleted(&h, &token).await;
    let upns: Vec<String> = users.iter().take(2).map(common::original_upn).collect();
    let data = tempfile::tempdir().expect("data dir");
    let base = h.base_url().as_str().trim_end_matches('/').to_string();
    let data_dir = data.path().to_path_buf();
    // Generated passwords, printed on stdout (no email): the one place they may appear.
    let out = tokio::task::spawn_blocking(move || {
        Process::new(env!("CARGO_BIN_EXE_undelete"))
            .args(["-vv", "--data-dir"])
            .arg(&data_dir)
            .args([
                "--tenant",
                "contoso.sandbox",
                "--graph-url",
                &base,
                "--login-url",
                &base,
                "--client-id",
                CLIENT_ID,
                "--mail-from",
                "admin@contoso.sandbox",
                "restore",
                "--password",
                "auto",
                // A group or contact may hold one of their addresses now.
                "--reconcile-proxies",
            ])
            .args(&upns)
            .env_remove("UNDELETE_LOG")
            .env("UNDELETE_CLIENT_SECRET", CLIENT_SECRET)
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let passwords: Vec<String> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["password"].as_str().map(str::to_string))
        .collect();
    assert_eq!(passwords.len(), 2, "{stdout}");
    let mut secrets: Vec<&str> = passwords.iter().map(String::as_str).collect();
    secrets.push(CLIENT_SECRET);
    let log = check_books(data.path(), &secrets);
    assert_request_lines(&log);
    h.shutdown().await;
}
