//! The real binary in a pseudo-terminal, read back through a vt100 screen emulator, against a
//! sandbox started by the test (over HTTP on 127.0.0.1, like any Graph client would use it).

mod common;

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use undelete::sandbox::SandboxHandle;

const COLS: u16 = 110;
const ROWS: u16 = 34;

struct Pty {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Pty {
    /// Runs the binary (through `sh`, which then prints its exit code and `stty -a`, so the
    /// test can see the terminal modes the app left behind) against the sandbox.
    fn start(h: &SandboxHandle, data_dir: &std::path::Path) -> Self {
        Self::start_with_env(h, data_dir, &[])
    }

    fn start_with_env(h: &SandboxHandle, data_dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
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
            "--client-id",
            "11111111-2222-3333-4444-555555555555",
            "--mail-from",
            "admin@contoso.sandbox",
            "--data-dir",
            data_dir.to_str().expect("utf-8 temp path"),
        ]);
        cmd.env("UNDELETE_CLIENT_SECRET", h.client_secret());
        cmd.env("TERM", "xterm-256color");
        cmd.env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn undelete");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let (Some(rows), Some(cols)) = (NonZeroU16::new(ROWS), NonZeroU16::new(COLS)) else {
            panic!("a pty has rows and columns");
        };
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let feed = screen.clone();
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
                    }
                }
            }
        });
        Self {
            screen,
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
        // Let the app draw before the next step (keys arriving together are fine too, but
        // waiting mirrors a person and keeps failures readable).
        std::thread::sleep(Duration::from_millis(150));
    }

    fn alternate_screen(&self) -> bool {
        self.screen
            .lock()
            .map(|p| p.screen().alternate_screen())
            .unwrap_or(true)
    }

    fn cursor_hidden(&self) -> bool {
        self.screen
            .lock()
            .map(|p| p.screen().hide_cursor())
            .unwrap_or(true)
    }

    /// Waits for the process (and the shell) to end, then checks the terminal was restored.
    fn assert_terminal_restored(&mut self) {
        self.wait_for("EXIT=");
        // The local-mode line of `stty -a` is the last one the check needs.
        self.wait_for("iexten");
        let screen = self.contents();
        assert!(
            !self.alternate_screen(),
            "left the alternate screen:\n{screen}"
        );
        assert!(!self.cursor_hidden(), "cursor shown again");
        // Raw mode off: canonical input and echo are back.
        let flags: Vec<&str> = screen.split_whitespace().collect();
        assert!(
            flags.contains(&"icanon") && flags.contains(&"echo"),
            "cooked mode:\n{screen}"
        );
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_with_a_typed_password_and_send_email_and_close() {
    let (_tmp, h) = common::start_sandbox(40).await;
    let token = common::app_token(&h).await;
    let before: Vec<String> = common::all_deleted(&h, &token)
        .await
        .iter()
        .filter_map(|u| u["id"].as_str().map(str::to_string))
        .collect();
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| Pty::start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("Deleted users");
        pty.wait_for("loaded 40 ");
        // Navigate: two rows down, then open the restore dialog for that user.
        pty.send("j");
        pty.send("j");
        pty.send("\r");
        pty.wait_for("Restore 1 user");
        pty.wait_for("Let me create the password");
        // Tab to "let me create", Enter picks it and focuses the password field.
        pty.send("\t");
        pty.send("\r");
        pty.wait_for("F2 show");
        pty.send("password");
        pty.wait_for("✗ 3 of lower/UPPER/digit/symbol");
        pty.send("\r");
        pty.wait_for("Password refused");
        // Masked: the typed password is not on the screen.
        assert!(!pty.contents().contains("password\n") && !pty.contents().contains("[ password"));
        pty.send("\x15"); // Ctrl-U clears the field
        pty.send("Restored-Today-42!");
        pty.wait_for("✓ 3 of lower/UPPER/digit/symbol");
        pty.send("\r");
        pty.wait_for("Restored 1 of 1");
        pty.wait_for("[ Send email and close ]");
        assert!(
            !pty.contents().contains("Restored-Today-42!"),
            "password masked"
        );
        pty.send("\r");
        pty.wait_for("Sign-in info sent to admin@contoso.sandbox");
        pty.send("q");
        pty.assert_terminal_restored();
    });
    assert!(pty.contents().contains("EXIT=0"), "{}", pty.contents());

    // The sandbox agrees: exactly one of the deleted users is active now, with that password.
    let inspect = h.inspect();
    let restored: Vec<&String> = before.iter().filter(|id| inspect.is_active(id)).collect();
    assert_eq!(restored.len(), 1, "one user restored");
    assert!(inspect.password_matches(restored[0], "Restored-Today-42!"));
    let outbox = inspect.outbox();
    let mail = outbox.last().expect("a mail was sent");
    assert!(
        mail.to
            .iter()
            .any(|t| t.eq_ignore_ascii_case("admin@contoso.sandbox")),
        "{:?}",
        mail.to
    );
    assert!(
        mail.body.contains("Restored-Today-42!"),
        "password included by default"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_mid_flow_restores_the_terminal_and_changes_nothing() {
    let (_tmp, h) = common::start_sandbox(20).await;
    let data = tempfile::tempdir().expect("data dir");
    let writes_before = h.inspect().write_count();
    let mut pty = tokio::task::block_in_place(|| Pty::start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 20 ");
        pty.send("r");
        pty.wait_for("Restore 1 user");
        pty.send("\t\r");
        pty.send("Half-typed-Secret-1");
        pty.send("\x03"); // Ctrl-C, from inside the dialog, while typing
        pty.assert_terminal_restored();
    });
    let screen = pty.contents();
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        !screen.contains("Half-typed-Secret-1"),
        "nothing typed is left on the screen"
    );
    assert_eq!(
        h.inspect().write_count(),
        writes_before,
        "no write happened"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_flow_restores_the_terminal() {
    let (_tmp, h) = common::start_sandbox(20).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| Pty::start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 20 ");
        pty.send("?");
        pty.wait_for("Keys");
        let pid = pty.child.process_id().expect("pid of sh");
        // The app is the shell's child: signal it, not the shell.
        let out = std::process::Command::new("pkill")
            .args(["-TERM", "-P", &pid.to_string()])
            .status()
            .expect("run pkill");
        assert!(out.success(), "the app was signalled");
        pty.assert_terminal_restored();
    });
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_restores_the_terminal_then_prints_the_report() {
    let (_tmp, h) = common::start_sandbox(10).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| {
        Pty::start_with_env(
            &h,
            data.path(),
            &[
                (undelete::app::PANIC_HOOK_ENV, "%"),
                ("RUST_BACKTRACE", "0"),
                ("RUST_LIB_BACKTRACE", "0"),
            ],
        )
    });
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 10 ");
        pty.send("r");
        pty.wait_for("Restore 1 user");
        pty.send("\t\r");
        pty.send("%"); // typed into the password field: the hook panics first
        pty.assert_terminal_restored();
    });
    let screen = pty.contents();
    assert!(
        screen.contains("panicking on purpose"),
        "the report is readable:\n{screen}"
    );
    assert!(
        !screen.contains("EXIT=0"),
        "a panic is not a success:\n{screen}"
    );
    h.shutdown().await;
}
