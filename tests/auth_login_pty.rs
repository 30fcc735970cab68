//! The real `undelete login` / `logout` binary in a pseudo-terminal: the device-code prompt as
//! an admin sees it, the OSC 52 copy, Ctrl-C, the saved sign-in, and the usage errors.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_undelete");

/// Options a developer's environment might set that would change what these runs do.
const SCRUBBED: &[&str] = &[
    "UNDELETE_TENANT",
    "UNDELETE_CLIENT_ID",
    "UNDELETE_CLIENT_SECRET",
    "UNDELETE_CERTIFICATE",
    "UNDELETE_CLOUD",
    "UNDELETE_GRAPH_URL",
    "UNDELETE_LOGIN_URL",
    "UNDELETE_MAIL_FROM",
    "UNDELETE_DATA_DIR",
    "UNDELETE_SANDBOX",
];

struct Pty {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    output: Arc<Mutex<Vec<u8>>>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Pty {
    fn spawn(args: &[&str]) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        for var in SCRUBBED {
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

    fn raw(&self) -> Vec<u8> {
        self.output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The screen as a terminal would show it.
    fn screen(&self) -> String {
        const ROWS: std::num::NonZeroU16 = std::num::NonZeroU16::new(30).expect("30 > 0");
        const COLS: std::num::NonZeroU16 = std::num::NonZeroU16::new(120).expect("120 > 0");
        let mut parser = vt100::Parser::new(ROWS, COLS, 0);
        parser.process(&self.raw());
        parser.screen().contents()
    }

    async fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.screen().contains(text) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{}",
                self.screen()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.exit_code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("undelete did not exit; screen:\n{}", self.screen());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
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
    let mut pty = Pty::spawn(&login_args(&base, &data_s));
    pty.wait_for_text("Signed in:").await;
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
    let mut pty = Pty::spawn(&login_args(&base, &data_s));
    pty.wait_for_text("Waiting for the sign-in").await;
    assert!(pty.screen().contains("WAIT-4EVR"));
    pty.writer.write_all(b"\x03").expect("send Ctrl-C");
    pty.writer.flush().expect("flush");
    pty.wait_for_text("sign-in cancelled").await;
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
