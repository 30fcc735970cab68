//! The TUI's device-code sign-in screen, as an admin meets it: the real binary in a
//! pseudo-terminal, read back through a vt100 screen emulator, against a sandbox started by the
//! test on 127.0.0.1 whose device codes stay pending for a few polls (or are declined, or never
//! approved). No client secret is set, so only the device-code sign-in can get a token.

mod common;

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use undelete::sandbox::{DeviceCodeScript, DevicePoll, SandboxHandle};

const COLS: u16 = 120;
const ROWS: u16 = 34;

/// Settings a developer's shell might hold that would change what these runs do (a client
/// secret would skip the device code altogether).
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
    screen: Arc<Mutex<vt100::Parser>>,
    /// Every byte the app wrote, for what a screen does not keep (the OSC 52 copy).
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Pty {
    /// `undelete --tenant contoso.sandbox` pointed at the sandbox, run through `sh`, which then
    /// prints the exit code and `stty -a` so the test sees the terminal modes left behind.
    fn start(h: &SandboxHandle, data_dir: &Path) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let base = h.base_url().as_str().trim_end_matches('/').to_string();
        let mut cmd = CommandBuilder::new("sh");
        cmd.args([
            "-c",
            "\"$0\" \"$@\"; echo \"EXIT=$?\"; stty -a",
            env!("CARGO_BIN_EXE_undelete"),
            "--tenant",
            "contoso.sandbox",
            "--graph-url",
            &base,
            "--login-url",
            &base,
            "--data-dir",
            data_dir.to_str().expect("utf-8 temp path"),
        ]);
        for var in SCRUBBED {
            cmd.env_remove(var);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("NO_COLOR", "1");
        let child = pty.slave.spawn_command(cmd).expect("spawn undelete");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let (Some(rows), Some(cols)) = (NonZeroU16::new(ROWS), NonZeroU16::new(COLS)) else {
            panic!("a pty has rows and columns");
        };
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (feed, sink) = (screen.clone(), raw.clone());
        std::thread::spawn(move || {
            let _master = pty.master;
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if let Ok(mut p) = feed.lock() {
                            p.process(&buf[..n]);
                        }
                        if let Ok(mut r) = sink.lock() {
                            r.extend_from_slice(&buf[..n]);
                        }
                    }
                }
            }
        });
        Self {
            screen,
            raw,
            writer,
            child,
        }
    }

    fn contents(&self) -> String {
        self.screen
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    fn raw_contains(&self, needle: &[u8]) -> bool {
        self.raw
            .lock()
            .map(|r| r.windows(needle.len()).any(|w| w == needle))
            .unwrap_or(false)
    }

    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {text:?}; screen:\n{}",
            self.contents()
        );
    }

    fn send(&mut self, bytes: &str) {
        self.writer
            .write_all(bytes.as_bytes())
            .expect("write to pty");
        self.writer.flush().expect("flush pty");
        std::thread::sleep(Duration::from_millis(150));
    }

    /// The user code on the screen: the line under "2. Enter this code:".
    fn user_code(&self) -> String {
        let screen = self.contents();
        let mut lines = screen.lines();
        while let Some(line) = lines.next() {
            if line.contains("2. Enter this code:") {
                let code = lines.next().unwrap_or_default();
                return code
                    .trim_matches(|c: char| c.is_whitespace() || c == '│')
                    .to_string();
            }
        }
        panic!("no user code on the screen:\n{screen}");
    }

    /// Waits for the app and the shell to end, then checks the terminal was restored.
    fn assert_terminal_restored(&mut self) {
        self.wait_for("EXIT=");
        self.wait_for("iexten");
        let screen = self.contents();
        let (alternate, hidden) = self
            .screen
            .lock()
            .map(|p| (p.screen().alternate_screen(), p.screen().hide_cursor()))
            .unwrap_or((true, true));
        assert!(!alternate, "left the alternate screen:\n{screen}");
        assert!(!hidden, "cursor shown again:\n{screen}");
        let flags: Vec<&str> = screen.split_whitespace().collect();
        assert!(
            flags.contains(&"icanon") && flags.contains(&"echo"),
            "cooked mode:\n{screen}"
        );
        let _ = self.child.wait();
    }
}

/// The sandbox's user codes: nine characters of an alphabet without look-alikes.
fn looks_like_a_user_code(code: &str) -> bool {
    code.len() == 9
        && code
            .chars()
            .all(|c| "ABCDEFGHJKLMNPQRSTUVWXYZ23456789".contains(c))
}

async fn sandbox(script: DeviceCodeScript) -> (tempfile::TempDir, SandboxHandle) {
    common::start_sandbox_with(30, |c| c.device_code_script(script)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_and_url_show_then_the_table_once_approved() {
    // Three `authorization_pending` polls (the sandbox asks for one a second), then the tokens.
    let (_tmp, h) = sandbox(DeviceCodeScript::approve_after(3)).await;
    let data = tempfile::tempdir().expect("data dir");
    let requests_before = h.inspect().request_count();
    let mut pty = tokio::task::block_in_place(|| Pty::start(&h, data.path()));
    let base = h.base_url().as_str().to_string();
    tokio::task::block_in_place(|| {
        pty.wait_for("Enter this code");
        let screen = pty.contents();
        assert!(
            screen.contains(&format!("{base}devicelogin")),
            "the sandbox's verification URL:\n{screen}"
        );
        assert!(screen.contains("Waiting for the sign-in"), "{screen}");
        assert!(screen.contains("Esc cancels"), "{screen}");
        let code = pty.user_code();
        assert!(looks_like_a_user_code(&code), "{code:?} in\n{screen}");
        // `c` copies exactly the code on screen, through OSC 52.
        pty.send("c");
        pty.wait_for("code copied");
        let osc = undelete::auth::device_code::osc52(&code);
        assert!(pty.raw_contains(osc.as_bytes()), "OSC 52 of {code}");
        // Still pending: no table yet, the same code.
        assert!(!pty.contents().contains("Deleted users"));
        assert_eq!(pty.user_code(), code);

        // Approved at the fourth poll: the table, signed in as the admin, delegated.
        pty.wait_for("Deleted users");
        pty.wait_for("loaded 30 ");
        let screen = pty.contents();
        let header = screen.lines().next().unwrap_or_default();
        assert!(header.contains("admin@contoso.sandbox"), "{header}");
        assert!(header.contains("delegated"), "{header}");
        assert!(
            !header.contains("SANDBOX"),
            "a tenant, not the sandbox: {header}"
        );
        assert!(
            !screen.contains(&code),
            "the sign-in screen is gone:\n{screen}"
        );
        pty.send("q");
        pty.assert_terminal_restored();
    });
    assert!(pty.contents().contains("EXIT=0"), "{}", pty.contents());
    assert!(h.inspect().request_count() > requests_before);

    // The sign-in was kept: the next start goes straight to the table.
    let mut again = tokio::task::block_in_place(|| Pty::start(&h, data.path()));
    tokio::task::block_in_place(|| {
        again.wait_for("loaded 30 ");
        assert!(!again.contents().contains("Enter this code"));
        again.send("q");
        again.assert_terminal_restored();
    });
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_on_the_sign_in_screen_exits_cleanly() {
    // Never approved: only the admin can end this wait.
    let (_tmp, h) = sandbox(DeviceCodeScript::answers([DevicePoll::Pending])).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| Pty::start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("Enter this code");
        // Let it poll at least once before giving up.
        std::thread::sleep(Duration::from_millis(1500));
        pty.send("\x1b");
        pty.assert_terminal_restored();
    });
    let screen = pty.contents();
    assert!(
        screen.contains("EXIT=0"),
        "giving up is not an error:\n{screen}"
    );
    assert!(!screen.contains("Deleted users"), "{screen}");
    // Nothing was signed in, so nothing was kept: the next start asks again.
    let mut again = tokio::task::block_in_place(|| Pty::start(&h, data.path()));
    tokio::task::block_in_place(|| {
        again.wait_for("Enter this code");
        again.send("\x03"); // Ctrl-C leaves as cleanly as Esc
        again.assert_terminal_restored();
    });
    assert!(again.contents().contains("EXIT=0"), "{}", again.contents());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_sign_in_says_so_and_can_be_retried() {
    let (_tmp, h) = sandbox(DeviceCodeScript::decline_after(1)).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| Pty::start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("Enter this code");
        let first = pty.user_code();
        pty.wait_for("✗");
        let screen = pty.contents();
        assert!(
            screen.to_lowercase().contains("declined"),
            "the reason, in words:\n{screen}"
        );
        assert!(screen.contains("r tries again"), "a way out:\n{screen}");
        assert!(!screen.contains("Deleted users"), "{screen}");
        // r asks for a new code.
        pty.send("r");
        pty.wait_for("Enter this code");
        let second = pty.user_code();
        assert!(looks_like_a_user_code(&second), "{second:?}");
        assert_ne!(first, second, "a fresh code");
        // Declined again; q quits from the error.
        pty.wait_for("r tries again");
        pty.send("q");
        pty.assert_terminal_restored();
    });
    let screen = pty.contents();
    assert!(screen.contains("EXIT=0"), "{screen}");
    h.shutdown().await;
}
