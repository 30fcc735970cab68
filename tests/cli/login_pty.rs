//! The real `undelete login` / `logout` binary in a pseudo-terminal: the device-code prompt as
//! an admin sees it, the OSC 52 copy, Ctrl-C, the saved sign-in, and the usage errors.

use crate::common;

use std::path::Path;
use std::process::Command;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use common::pty::{Pty, SCRUBBED, Spawn};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_undelete");

fn spawn(args: &[&str]) -> Pty {
    Spawn::new(BIN)
        .size(30, 120)
        .args(args)
        .env_remove(SCRUBBED)
        .start()
}

fn login_args<'a>(base: &'a str, data_dir: &'a str) -> Vec<&'a str> {
    vec![
        "login",
        "--tenant",
        "contoso.sandbox",
        "--login-url",
        base,
        "--graph-url",
        base,
        "--data-dir",
        data_dir,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_in_a_terminal_shows_the_code_copies_it_and_saves_the_sign_in() {
    let (dir, h) = common::start_sandbox(5).await;
    let base = h.base_url().to_string();
    let data = dir.path().join("data");
    let data_s = data.to_string_lossy().to_string();
    let mut pty = spawn(&login_args(&base, &data_s));
    pty.wait_for_async("Signed in:").await;
    assert_eq!(pty.exit_code().await, 0, "{}", pty.screen());
    let screen = pty.screen();
    assert!(screen.contains("To sign in, use a web browser"), "{screen}");
    assert!(screen.contains("copied to the clipboard"), "{screen}");
    assert!(screen.contains(&h.admin_upn()), "{screen}");
    assert!(screen.contains("(delegated)"), "{screen}");
    assert!(
        screen.contains("everything undelete needs is granted"),
        "{screen}"
    );
    let raw = String::from_utf8_lossy(&pty.raw()).to_string();
    assert!(raw.contains("\x1b]52;c;"), "OSC 52 sent to the terminal");

    let cache = data.join("tokens.json");
    assert!(cache.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // logout, outside a terminal: forgets the entry and says so.
    let mut args = login_args(&base, &data_s);
    args[0] = "logout";
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Forgot 1 saved sign-in"));
    assert!(!cache.exists());
}

/// A login server that never approves, so the wait lasts until Ctrl-C.
async fn never_approving_login() -> String {
    let device = || async {
        axum::Json(json!({"device_code": "d", "user_code": "WAIT-4EVR",
            "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900,
            "interval": 1, "message": "To sign in, open https://microsoft.com/devicelogin and enter WAIT-4EVR."}))
    };
    let token = || async {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "authorization_pending",
                "error_description": "AADSTS70016: pending", "error_codes": [70016]})),
        )
    };
    let app = Router::new()
        .route("/{tenant}/oauth2/v2.0/devicecode", post(device))
        .route("/{tenant}/oauth2/v2.0/token", post(token));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_wait_and_saves_nothing() {
    let base = never_approving_login().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data_s = dir.path().to_string_lossy().to_string();
    let mut pty = spawn(&login_args(&base, &data_s));
    pty.wait_for_async("Waiting for the sign-in").await;
    assert!(pty.screen().contains("WAIT-4EVR"));
    pty.write("\x03"); // Ctrl-C
    pty.wait_for_async("sign-in cancelled").await;
    assert_eq!(pty.exit_code().await, 1);
    assert!(!dir.path().join("tokens.json").exists());
}

fn run(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd.output().expect("run undelete")
}

#[test]
fn usage_errors_exit_2_with_a_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_string_lossy().to_string();
    let out = run(&["login", "--data-dir", &data]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tenant"));

    let mut cmd = Command::new(BIN);
    cmd.args(["login", "--tenant", "contoso.com", "--data-dir", &data]);
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("UNDELETE_CLIENT_SECRET", "not-printed-anywhere")
        .output()
        .expect("run undelete");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--client-id"), "{stderr}");
    assert!(!stderr.contains("not-printed-anywhere"));

    let out = run(&[
        "logout",
        "--tenant",
        "t",
        "--login-url",
        "http://login.example",
        "--data-dir",
        &data,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    assert!(!Path::new(&data).join("tokens.json").exists());
}
