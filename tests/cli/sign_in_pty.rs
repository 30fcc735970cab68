//! The TUI's device-code sign-in screen, as an admin meets it: the real binary in a
//! pseudo-terminal, read back through a vt100 screen emulator, against a sandbox started by the
//! test on 127.0.0.1 whose device codes stay pending for a few polls (or are declined, or never
//! approved). No client secret is set, so only the device-code sign-in can get a token.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::pty::{self, Pty};
use undelete_sandbox::{DeviceCodeScript, DevicePoll, SandboxHandle};

const COLS: u16 = 120;
const ROWS: u16 = 34;

/// `undelete --tenant contoso.sandbox` pointed at the sandbox, run through `sh`, which then
/// prints the exit code and `stty -a` so the test sees the terminal modes left behind. Nothing
/// from the developer's shell is kept that could skip the device code.
fn start(h: &SandboxHandle, data_dir: &Path) -> Pty {
    pty::tenant_app(h, data_dir)
        .size(ROWS, COLS)
        .env_remove(pty::SCRUBBED)
        .start()
}

/// The user code on the screen: the line under "2. Enter this code:".
fn user_code(pty: &Pty) -> String {
    let screen = pty.screen();
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
    let mut pty = tokio::task::block_in_place(|| start(&h, data.path()));
    let base = h.base_url().as_str().to_string();
    tokio::task::block_in_place(|| {
        pty.wait_for("Enter this code");
        let screen = pty.screen();
        assert!(
            screen.contains(&format!("{base}devicelogin")),
            "the sandbox's verification URL:\n{screen}"
        );
        assert!(screen.contains("Waiting for the sign-in"), "{screen}");
        assert!(screen.contains("Esc cancels"), "{screen}");
        let code = user_code(&pty);
        assert!(looks_like_a_user_code(&code), "{code:?} in\n{screen}");
        // `c` copies exactly the code on screen, through OSC 52.
        pty.send("c");
        pty.wait_for("code copied");
        // The escape's terminator (BEL or ST) is the writer's choice: the copy is its start.
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(&code);
        let osc = format!("\x1b]52;c;{encoded}");
        assert!(pty.raw_contains(osc.as_bytes()), "OSC 52 of {code}");
        // Still pending: no table yet, the same code.
        assert!(!pty.screen().contains("Deleted users"));
        assert_eq!(user_code(&pty), code);

        // Approved at the fourth poll: the table, signed in as the admin, delegated.
        pty.wait_for("Deleted users");
        pty.wait_for("loaded 30 ");
        let screen = pty.screen();
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
    assert!(pty.screen().contains("EXIT=0"), "{}", pty.screen());
    assert!(h.inspect().request_count() > requests_before);

    // The sign-in was kept: the next start goes straight to the table.
    let mut again = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        again.wait_for("loaded 30 ");
        assert!(!again.screen().contains("Enter this code"));
        again.send("q");
        again.assert_terminal_restored();
    });
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_on_the_sign_in_screen_says_nothing_changed_and_exits_1() {
    // Never approved: only the admin can end this wait.
    let (_tmp, h) = sandbox(DeviceCodeScript::answers([DevicePoll::Pending])).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("Enter this code");
        // Let it poll at least once before giving up.
        std::thread::sleep(Duration::from_millis(1500));
        pty.send("\x1b");
        pty.assert_terminal_restored();
    });
    let screen = pty.screen();
    let said = screen.find("Sign-in cancelled; nothing was changed.");
    let exit = screen.find("EXIT=1");
    assert!(
        said.is_some() && exit.is_some() && said < exit,
        "the command did not do its job, and says so once the screen is back:\n{screen}"
    );
    assert!(!screen.contains("Deleted users"), "{screen}");
    // Nothing was signed in, so nothing was kept: the next start asks again.
    let mut again = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        again.wait_for("Enter this code");
        again.send("\x03"); // Ctrl-C leaves as cleanly as Esc
        again.assert_terminal_restored();
    });
    let screen = again.screen();
    assert!(screen.contains("EXIT=1"), "{screen}");
    assert!(
        screen.contains("Sign-in cancelled; nothing was changed."),
        "{screen}"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_sign_in_says_so_and_can_be_retried() {
    let (_tmp, h) = sandbox(DeviceCodeScript::decline_after(1)).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("Enter this code");
        let first = user_code(&pty);
        pty.wait_for("✗");
        let screen = pty.screen();
        assert!(
            screen.to_lowercase().contains("declined"),
            "the reason, in words:\n{screen}"
        );
        assert!(screen.contains("r tries again"), "a way out:\n{screen}");
        assert!(!screen.contains("Deleted users"), "{screen}");
        // r asks for a new code.
        pty.send("r");
        pty.wait_for("Enter this code");
        let second = user_code(&pty);
        assert!(looks_like_a_user_code(&second), "{second:?}");
        assert_ne!(first, second, "a fresh code");
        // Declined again; Enter quits from the error.
        pty.wait_for("r tries again");
        pty.send("\r");
        pty.assert_terminal_restored();
    });
    let screen = pty.screen();
    assert!(
        screen.contains("undelete: sign-in failed: the sign-in was declined in the browser"),
        "the CLI's line, once the screen is back:\n{screen}"
    );
    assert!(screen.contains("EXIT=1"), "{screen}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_only_start_says_what_it_signs_in_to_before_the_token_arrives() {
    // Every request takes 1.5 s: the token, then the listing. The screen must not be blank
    // meanwhile.
    const SECRET: &str = "pty-app-only-secret";
    let (_tmp, h) = common::start_sandbox_with(30, |c| {
        c.client_secret(SECRET).latency(Duration::from_millis(1500))
    })
    .await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| {
        pty::tenant_app(&h, data.path())
            .size(ROWS, COLS)
            .env_remove(pty::SCRUBBED)
            .args(["--client-id", "11111111-2222-3333-4444-555555555555"])
            .args(["--mail-from", "admin@contoso.sandbox"])
            .env("UNDELETE_CLIENT_SECRET", SECRET)
            .start()
    });
    tokio::task::block_in_place(|| {
        pty.wait_for("Signing in to contoso.sandbox");
        let screen = pty.screen();
        assert!(
            screen.contains("app-only, with the client secret in UNDELETE_CLIENT_SECRET"),
            "{screen}"
        );
        assert!(!screen.contains("Deleted users"), "not yet:\n{screen}");
        pty.wait_for("loaded 30 ");
        let header = pty.screen().lines().next().unwrap_or_default().to_string();
        assert!(header.contains("app-only"), "{header}");
        pty.send("q");
        pty.assert_terminal_restored();
    });
    assert!(pty.screen().contains("EXIT=0"), "{}", pty.screen());
    h.shutdown().await;
}
