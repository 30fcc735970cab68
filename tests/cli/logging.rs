//! The log file and the sandbox's request log, from the real binary: where the file is, who may
//! read it, and what a Graph call and a retry leave in it.

use crate::common;

use std::path::Path;
use std::process::{Command as Process, Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use undelete_sandbox::SandboxConfig;

const BIN: &str = env!("CARGO_BIN_EXE_undelete");

/// `undelete ARGS` with the data dir given and no stray configuration from the environment.
fn undelete(data_dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Process::new(BIN);
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("UNDELETE_TENANT")
        .env_remove("UNDELETE_SANDBOX")
        .env_remove("UNDELETE_GRAPH_URL")
        .env_remove("UNDELETE_LOG")
        .env_remove("UNDELETE_CLIENT_SECRET")
        .env_remove(undelete::restore::CRASH_HOOK_ENV)
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn log_text(data_dir: &Path) -> String {
    let path = data_dir.join("logs").join("undelete.log");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn a_command_logs_each_graph_request_to_an_owner_only_file() {
    let data = tempfile::tempdir().expect("data dir");
    let out = undelete(data.path(), &["--sandbox", "list", "--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "no log line on the terminal: {out:?}"
    );

    let log = log_text(data.path());
    let requests: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("graph request"))
        .collect();
    assert!(!requests.is_empty(), "{log}");
    let listing = requests
        .iter()
        .find(|l| l.contains("/v1.0/directory/deletedItems/microsoft.graph.user"))
        .unwrap_or_else(|| panic!("the listing request: {log}"));
    for field in [
        "method=\"GET\"",
        "status=200",
        "request_id=",
        "duration_ms=",
        "attempt=1",
    ] {
        assert!(listing.contains(field), "{field} in {listing}");
    }
    assert!(log.contains(" INFO "), "{log}");
    assert!(!log.contains(" DEBUG "), "info by default: {log}");
    for secret in ["Bearer", "Authorization", "access_token"] {
        assert!(!log.contains(secret), "{secret} in the log");
    }

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        let logs = data.path().join("logs");
        assert_eq!(mode(&logs), 0o700);
        assert_eq!(mode(&logs.join("undelete.log")), 0o600);
        for entry in std::fs::read_dir(&logs).expect("logs dir") {
            let path = entry.expect("entry").path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}

#[tokio::test]
async fn a_retry_is_logged_with_its_reason() {
    // A sandbox that fails half of the Graph requests; with this seed, the first with a 500.
    let sandbox_dir = tempfile::tempdir().expect("sandbox dir");
    let sandbox = undelete_sandbox::spawn(
        SandboxConfig::new(sandbox_dir.path())
            .users(5)
            .fail_rate(0.5)
            .fault_seed(5)
            .client_secret("logging-tests-secret-7f3a"),
    )
    .await
    .expect("sandbox");
    let base = sandbox.base_url().to_string();
    let secret = sandbox.client_secret().to_string();
    let data = tempfile::tempdir().expect("data dir");
    let run = {
        let (data, base, secret) = (data.path().to_path_buf(), base.clone(), secret.clone());
        move || {
            undelete(
                &data,
                &[
                    "--tenant",
                    "contoso.sandbox",
                    "--graph-url",
                    &base,
                    "--login-url",
                    &base,
                    "--client-id",
                    "logging-tests",
                    "list",
                    "--format",
                    "json",
                ],
                &[("UNDELETE_CLIENT_SECRET", &secret)],
            )
        }
    };
    // The binary is synchronous: keep the sandbox's runtime free to answer it.
    let out = tokio::task::spawn_blocking(run).await.expect("run");
    let log = log_text(data.path());
    let retry = log
        .lines()
        .find(|l| l.contains("retrying"))
        .unwrap_or_else(|| panic!("a retry in the log ({out:?}): {log}"));
    assert!(retry.contains("reason=HTTP 50"), "{retry}");
    assert!(retry.contains("path=\"/v1.0/"), "{retry}");
    assert!(retry.contains("wait_ms="), "{retry}");
    assert!(
        log.lines()
            .any(|l| l.contains("graph request") && l.contains("status=50")),
        "the failed attempt is a request line too: {log}"
    );
    assert!(!log.contains(&secret), "the client secret is in the log");
}

#[tokio::test]
async fn sandbox_serve_v_shows_each_request_on_stderr() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = tokio::process::Command::new(BIN)
        .args(["sandbox", "serve", "--port", "0", "--users", "3", "-v"])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("UNDELETE_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let first = tokio::time::timeout(
        Duration::from_secs(30),
        BufReader::new(stdout).lines().next_line(),
    )
    .await
    .expect("URL within 30 s")
    .expect("read")
    .expect("a first line");
    let base = url::Url::parse(&first).expect("the first line is a URL");
    let status = common::client()
        .get(format!("{base}v1.0/me?$select=id"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("GET")
        .status();
    assert_eq!(status, 401);

    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = stderr.next_line().await {
            if line.contains("/v1.0/me") && line.contains("status=401") {
                return line;
            }
        }
        String::new()
    })
    .await
    .expect("the request within 30 s");
    assert!(line.contains("method=GET"), "{line}");
    assert!(
        line.contains("$select=id"),
        "Graph queries are shown: {line}"
    );
    assert!(line.contains("latency="), "{line}");
    assert!(!line.contains("not-a-token"), "{line}");
    let _ = child.start_kill();
}
