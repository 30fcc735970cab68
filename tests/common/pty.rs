//! The real binary in a pseudo-terminal (portable-pty), its output read back both as raw bytes
//! and through a vt100 screen emulator, for tests that check what an admin would see.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use undelete_sandbox::SandboxHandle;

/// How long any wait (for text, for the exit) lasts before the test fails.
const TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);
/// After the child exits, how long to let the reader drain what the pty still holds.
const DRAIN: Duration = Duration::from_secs(2);
const DRAIN_POLL: Duration = Duration::from_millis(10);

/// Run after the program so the test can read its exit code and the terminal modes it left
/// behind (`$0` is the program, `$@` its arguments).
const REPORT_SCRIPT: &str = "\"$0\" \"$@\"; echo \"EXIT=$?\"; stty -a";

/// Settings a developer's shell might hold that would change what a run does (a client secret
/// would skip the device code altogether).
pub const SCRUBBED: &[&str] = &[
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

/// The TUI as `undelete --tenant contoso.sandbox` with its Graph and login endpoints on the
/// sandbox `h` (over HTTP, as for a tenant), through the shell (see [`Spawn::through_shell`]),
/// on a colourless xterm.
pub fn tenant_app(h: &SandboxHandle, data_dir: &Path) -> Spawn {
    let base = h.base_url().as_str().trim_end_matches('/').to_string();
    Spawn::through_shell(env!("CARGO_BIN_EXE_undelete"))
        .args([
            "--tenant",
            "contoso.sandbox",
            "--graph-url",
            &base,
            "--login-url",
            &base,
            "--data-dir",
            data_dir.to_str().expect("utf-8 temp path"),
        ])
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        // An empty settings file: a developer's own must not change what the test sees.
        .env("UNDELETE_CONFIG", "/dev/null")
}

/// What to run in the pty and at which size.
pub struct Spawn {
    cmd: CommandBuilder,
    rows: u16,
    cols: u16,
}

impl Spawn {
    /// `program` run directly; its exit code is the child's.
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Self {
            cmd: CommandBuilder::new(program),
            rows: 24,
            cols: 80,
        }
    }

    /// `program` run through `sh`, which afterwards prints `EXIT=<code>` and `stty -a`, for
    /// [`Pty::assert_terminal_restored`]. Arguments added later go to `program`.
    pub fn through_shell(program: impl AsRef<OsStr>) -> Self {
        let mut cmd = CommandBuilder::new("sh");
        cmd.arg("-c");
        cmd.arg(REPORT_SCRIPT);
        cmd.arg(program);
        Self {
            cmd,
            rows: 24,
            cols: 80,
        }
    }

    pub fn size(mut self, rows: u16, cols: u16) -> Self {
        self.rows = rows;
        self.cols = cols;
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Drops variables a developer's shell might hold that would change what the run does.
    pub fn env_remove<I, S>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for var in vars {
            self.cmd.env_remove(var);
        }
        self
    }

    pub fn start(self) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: self.rows,
                cols: self.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let child = pair
            .slave
            .spawn_command(self.cmd)
            .expect("spawn in the pty");
        // Only the child holds the slave now, so the reader sees the end when the child ends.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let (Some(rows), Some(cols)) = (NonZeroU16::new(self.rows), NonZeroU16::new(self.cols))
        else {
            panic!(
                "a pty has rows and columns, got {}x{}",
                self.cols, self.rows
            );
        };
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let done = Arc::new(AtomicBool::new(false));
        let (feed, sink, finished) = (screen.clone(), raw.clone(), done.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        relock(&feed).process(&buf[..n]);
                        relock(&sink).extend_from_slice(&buf[..n]);
                    }
                }
            }
            finished.store(true, Ordering::Release);
        });
        Pty {
            screen,
            raw,
            done,
            writer,
            child,
            master: pair.master,
        }
    }
}

/// A lock that outlives a panic elsewhere: what was read so far is still worth showing.
fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Where a wait looks for its text.
#[derive(Clone, Copy)]
enum Seen {
    Screen,
    Output,
}

/// A running child in a pty.
pub struct Pty {
    screen: Arc<Mutex<vt100::Parser>>,
    /// Every byte the child wrote, for what a screen does not keep (OSC 52, erased text).
    raw: Arc<Mutex<Vec<u8>>>,
    /// Set when the reader has seen the end of the output.
    done: Arc<AtomicBool>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Pty {
    /// The screen as a terminal would show it.
    pub fn screen(&self) -> String {
        relock(&self.screen).screen().contents()
    }

    pub fn raw(&self) -> Vec<u8> {
        relock(&self.raw).clone()
    }

    /// Every byte written so far, as text (escape sequences included).
    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&relock(&self.raw)).into_owned()
    }

    pub fn raw_contains(&self, needle: &[u8]) -> bool {
        relock(&self.raw).windows(needle.len()).any(|w| w == needle)
    }

    pub fn alternate_screen(&self) -> bool {
        relock(&self.screen).screen().alternate_screen()
    }

    pub fn cursor_hidden(&self) -> bool {
        relock(&self.screen).screen().hide_cursor()
    }

    /// The pid of the child (of `sh` when spawned through the shell).
    pub fn process_id(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// True once `text` shows in `seen`; past `deadline`, fails the test with what is there.
    fn shows(&self, text: &str, seen: Seen, deadline: Instant) -> bool {
        let (what, now) = match seen {
            Seen::Screen => ("screen", self.screen()),
            Seen::Output => ("output", self.raw_text()),
        };
        if now.contains(text) {
            return true;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {text:?}; {what}:\n{now}"
        );
        false
    }

    /// Blocks until `text` is on the screen; fails with the screen after the timeout.
    /// From an async test, call it inside `tokio::task::block_in_place`.
    pub fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.shows(text, Seen::Screen, deadline) {
            std::thread::sleep(POLL);
        }
    }

    /// Like [`Pty::wait_for`], yielding to the runtime between looks.
    pub async fn wait_for_async(&self, text: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.shows(text, Seen::Screen, deadline) {
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `text` is in the raw output (for line-mode programs, whose output the test
    /// reads as bytes rather than as a screen).
    pub async fn wait_for_output(&self, text: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.shows(text, Seen::Output, deadline) {
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the child has turned the terminal's echo off (raw mode for a hidden prompt):
    /// what is typed before that is echoed and line-edited by the terminal itself, and its Enter
    /// reaches the child as Ctrl-J. A prompt shows before the child turns echo off, so a test on
    /// a busy machine waits for both.
    pub async fn wait_for_echo_off(&self) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let termios = self.master.get_termios().expect("the pty's settings");
            if libc::termios::from(termios).c_lflag & libc::ECHO == 0 {
                return;
            }
            if Instant::now() > deadline {
                panic!("the terminal still echoes; output:\n{}", self.raw_text());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Writes `bytes` as typed, without waiting.
    pub fn write(&mut self, bytes: &str) {
        self.writer
            .write_all(bytes.as_bytes())
            .expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    /// Types `keys`, then pauses so the app draws before the next step (keys arriving together
    /// are fine too, but waiting mirrors a person and keeps failures readable). Blocking: from
    /// an async test, inside `block_in_place`.
    pub fn send(&mut self, keys: &str) {
        self.write(keys);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Types `line` and Enter.
    pub fn type_line(&mut self, line: &str) {
        self.write(line);
        self.write("\r");
    }

    /// The exit code if the child has ended; past `deadline`, kills it and fails the test.
    fn exited_by(&mut self, deadline: Instant) -> Option<u32> {
        let code = self
            .child
            .try_wait()
            .expect("try_wait")
            .map(|status| status.exit_code());
        if code.is_none() && Instant::now() > deadline {
            let _ = self.child.kill();
            panic!("the child did not exit; screen:\n{}", self.screen());
        }
        code
    }

    /// Once the child has ended, whether the reader has taken in the last of its output (or
    /// has had long enough: a grandchild may still hold the pty open).
    fn drained(&self, until: Instant) -> bool {
        self.done.load(Ordering::Acquire) || Instant::now() >= until
    }

    /// Blocks until the child exits and its output is read; its exit code.
    pub fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + TIMEOUT;
        let code = loop {
            match self.exited_by(deadline) {
                Some(code) => break code,
                None => std::thread::sleep(POLL),
            }
        };
        let until = Instant::now() + DRAIN;
        while !self.drained(until) {
            std::thread::sleep(DRAIN_POLL);
        }
        code
    }

    /// Like [`Pty::wait_exit`], yielding to the runtime between looks.
    pub async fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + TIMEOUT;
        let code = loop {
            match self.exited_by(deadline) {
                Some(code) => break code,
                None => tokio::time::sleep(POLL).await,
            }
        };
        let until = Instant::now() + DRAIN;
        while !self.drained(until) {
            tokio::time::sleep(DRAIN_POLL).await;
        }
        code
    }

    /// For a child spawned [`Spawn::through_shell`]: waits for the program and the shell to
    /// end, then checks the terminal was restored (main screen, cursor shown, cooked mode).
    pub fn assert_terminal_restored(&mut self) {
        self.wait_for("EXIT=");
        // The local-mode line of `stty -a` is the last one the check needs.
        self.wait_for("iexten");
        let screen = self.screen();
        assert!(
            !self.alternate_screen(),
            "left the alternate screen:\n{screen}"
        );
        assert!(!self.cursor_hidden(), "cursor shown again:\n{screen}");
        // Raw mode off: canonical input and echo are back.
        let flags: Vec<&str> = screen.split_whitespace().collect();
        assert!(
            flags.contains(&"icanon") && flags.contains(&"echo"),
            "cooked mode:\n{screen}"
        );
        self.wait_exit();
    }
}

/// A test that fails midway leaves no child behind (its own children get SIGHUP when the
/// master closes).
impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}
