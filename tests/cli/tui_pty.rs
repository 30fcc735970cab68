//! The real binary in a pseudo-terminal, read back through a vt100 screen emulator, against a
//! sandbox started by the test (over HTTP on 127.0.0.1, like any Graph client would use it).

use crate::common;

use common::pty::{self, Pty};
use undelete_sandbox::SandboxHandle;

const COLS: u16 = 110;
const ROWS: u16 = 34;

/// Runs the binary (through `sh`, which then prints its exit code and `stty -a`, so the test
/// can see the terminal modes the app left behind) against the sandbox.
fn start(h: &SandboxHandle, data_dir: &std::path::Path) -> Pty {
    start_with_env(h, data_dir, &[])
}

fn start_with_env(h: &SandboxHandle, data_dir: &std::path::Path, env: &[(&str, &str)]) -> Pty {
    let mut spawn = pty::tenant_app(h, data_dir)
        .size(ROWS, COLS)
        .args([
            "--client-id",
            "11111111-2222-3333-4444-555555555555",
            "--mail-from",
            "admin@contoso.sandbox",
        ])
        .env("UNDELETE_CLIENT_SECRET", h.client_secret());
    for (k, v) in env {
        spawn = spawn.env(k, v);
    }
    spawn.start()
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
    let mut pty = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("Deleted users");
        pty.wait_for("loaded 40 ");
        // Navigate: two rows down, then open the restore dialog for that user.
        pty.send("j");
        pty.send("j");
        pty.send("\r");
        pty.wait_for("┌ Restore ");
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
        assert!(!pty.screen().contains("password\n") && !pty.screen().contains("[ password"));
        pty.send("\x15"); // Ctrl-U clears the field
        pty.send("Restored-Today-42!");
        pty.wait_for("✓ 3 of lower/UPPER/digit/symbol");
        pty.send("\r");
        pty.wait_for("Restored 1 of 1");
        pty.wait_for("[ Send email and close ]");
        assert!(
            !pty.screen().contains("Restored-Today-42!"),
            "password masked"
        );
        pty.send("\r");
        pty.wait_for("Sign-in info sent to admin@contoso.sandbox");
        pty.send("q");
        pty.assert_terminal_restored();
    });
    assert!(pty.screen().contains("EXIT=0"), "{}", pty.screen());

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
    let mut pty = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 20 ");
        // The first user is a guest, whose dialog has no password to type: the next one.
        pty.send("jr");
        pty.wait_for("┌ Restore ");
        pty.send("\t\r");
        pty.send("Half-typed-Secret-1");
        pty.send("\x03"); // Ctrl-C, from inside the dialog, while typing
        pty.assert_terminal_restored();
    });
    let screen = pty.screen();
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
    let mut pty = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 20 ");
        pty.send("?");
        pty.wait_for("Keys");
        let pid = pty.process_id().expect("pid of sh");
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
        start_with_env(
            &h,
            data.path(),
            &[
                (undelete::tui::PANIC_HOOK_ENV, "%"),
                ("RUST_BACKTRACE", "0"),
                ("RUST_LIB_BACKTRACE", "0"),
            ],
        )
    });
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 10 ");
        pty.send("r");
        pty.wait_for("┌ Restore ");
        pty.send("\t\r");
        pty.send("%"); // typed into the password field: the hook panics first
        pty.assert_terminal_restored();
    });
    let screen = pty.screen();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_with_a_temporary_access_pass_and_send_email_and_close() {
    let (_tmp, h) = common::start_sandbox(40).await;
    let token = common::app_token(&h).await;
    // A member (guests get no pass), found by its user name with the filter.
    let user = common::all_deleted(&h, &token)
        .await
        .into_iter()
        .find(|u| u["userType"] != "Guest" && u["onPremisesSyncEnabled"] != true)
        .expect("a member");
    let id = user["id"].as_str().expect("id").to_string();
    let upn = user["userPrincipalName"].as_str().expect("upn");
    let local = upn
        .strip_prefix(&id.replace('-', ""))
        .unwrap_or(upn)
        .split('@')
        .next()
        .expect("local part")
        .to_string();
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 40 ");
        pty.send("/");
        pty.send(&local);
        pty.send("\r");
        pty.wait_for("shown 1");
        pty.send("\r");
        pty.wait_for("┌ Restore ");
        pty.wait_for("Temporary Access Pass instead of a password");
        // Tab twice to the pass; Enter picks it and focuses its lifetime.
        pty.send("\t\t\r");
        pty.wait_for("minutes (policy 60–480)");
        pty.send("\r");
        pty.wait_for("Restored 1 of 1");
        pty.wait_for("TAP until");
        pty.send("\r");
        pty.wait_for("Sign-in info sent to admin@contoso.sandbox");
        pty.send("q");
        pty.assert_terminal_restored();
    });
    assert!(pty.screen().contains("EXIT=0"), "{}", pty.screen());

    // The sandbox holds a pass for the user whose hash matches the one mailed.
    let inspect = h.inspect();
    assert!(inspect.is_active(&id));
    let mail = inspect.outbox().pop().expect("a mail was sent");
    let pass = mail
        .body
        .lines()
        .find_map(|l| l.trim().strip_prefix("Temporary Access Pass: "))
        .expect("the pass is in the mail")
        .to_string();
    assert!(inspect.tap_matches(&id, &pass), "{}", mail.body);
    assert_eq!(inspect.taps(&id), (1, Some((60, false))));
    // No password was set for the user: the pass is its way in.
    assert!(!inspect.password_matches(&id, &pass));
    h.shutdown().await;
}

/// The local part of a deleted member's user name (guests get no password), to find it with
/// the filter.
async fn member_local_part(h: &SandboxHandle) -> String {
    let token = common::app_token(h).await;
    let user = common::all_deleted(h, &token)
        .await
        .into_iter()
        .find(|u| u["userType"] != "Guest" && u["onPremisesSyncEnabled"] != true)
        .expect("a member");
    let id = user["id"].as_str().expect("id").replace('-', "");
    let upn = user["userPrincipalName"].as_str().expect("upn");
    upn.strip_prefix(&id)
        .unwrap_or(upn)
        .split('@')
        .next()
        .expect("local part")
        .to_string()
}

/// Restores that member with a generated password, up to the result screen.
fn restore_member(pty: &mut Pty, local: &str) {
    pty.send("/");
    pty.send(local);
    pty.send("\r");
    pty.wait_for("shown 1");
    pty.send("\r");
    pty.wait_for("┌ Restore ");
    pty.send("\r");
    pty.wait_for("Restored 1 of 1");
}

/// The line the app printed on stderr that starts with `start`, from the raw output.
fn stderr_line(pty: &Pty, start: &str) -> String {
    let raw = pty.raw_text();
    let from = raw
        .find(start)
        .unwrap_or_else(|| panic!("no line starting {start:?} in:\n{raw}"));
    raw[from..]
        .split(['\r', '\n'])
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_on_unsent_passwords_asks_then_leaves_them_for_finish_with_exit_130() {
    let (_tmp, h) = common::start_sandbox(20).await;
    let local = member_local_part(&h).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 20 ");
        restore_member(&mut pty, &local);
        pty.send("\x03");
        pty.wait_for("were not sent and will be lost");
        pty.wait_for("y or Ctrl-C quits");
        pty.send("\x03");
        pty.assert_terminal_restored();
    });
    let screen = pty.screen();
    assert!(screen.contains("EXIT=130"), "{screen}");
    let line = stderr_line(&pty, "undelete: left ");
    assert!(
        line.starts_with("undelete: left 1 restored user unfinished in contoso.sandbox: their passwords were never sent;"),
        "{line}"
    );
    // The hint is a command that does what it says: run it as printed.
    let command = line
        .split('`')
        .nth(1)
        .expect("a command in backquotes")
        .to_string();
    assert!(command.ends_with(" finish"), "{command}");
    let mails_before = h.inspect().outbox().len();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(command.replacen("undelete", env!("CARGO_BIN_EXE_undelete"), 1))
        .env_remove("UNDELETE_DATA_DIR")
        .env("UNDELETE_CLIENT_SECRET", h.client_secret())
        .env("UNDELETE_CONFIG", "/dev/null")
        .output()
        .expect("run the hint");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), 1, "one user finished: {stdout}");
    assert_eq!(
        h.inspect().outbox().len(),
        mails_before + 1,
        "its sign-in mail"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_on_a_run_in_flight_asks_then_stops_it_with_exit_130() {
    let (_tmp, h) =
        common::start_sandbox_with(12, |c| c.latency(std::time::Duration::from_millis(1500))).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 12 ");
        pty.send("a");
        pty.send("\r");
        pty.wait_for("Restore 12 users");
        // Enter is refused until pre-flight (slow here) has checked every user.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !pty.screen().contains("Restoring 12 users") {
            assert!(std::time::Instant::now() < deadline, "{}", pty.screen());
            pty.send("\r");
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        pty.send("\x03");
        pty.wait_for("Quit mid-run?");
        pty.send("\x03");
        pty.assert_terminal_restored();
    });
    let screen = pty.screen();
    assert!(screen.contains("EXIT=130"), "{screen}");
    let line = stderr_line(&pty, "undelete: stopped a restore in contoso.sandbox");
    assert!(line.contains(" finish`"), "{line}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_on_unsent_passwords_restores_the_terminal_and_says_what_is_left() {
    let (_tmp, h) = common::start_sandbox(20).await;
    let local = member_local_part(&h).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| start(&h, data.path()));
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 20 ");
        restore_member(&mut pty, &local);
        let pid = pty.process_id().expect("pid of sh");
        let out = std::process::Command::new("pkill")
            .args(["-TERM", "-P", &pid.to_string()])
            .status()
            .expect("run pkill");
        assert!(out.success(), "the app was signalled");
        pty.assert_terminal_restored();
    });
    assert!(pty.screen().contains("EXIT=143"), "{}", pty.screen());
    let line = stderr_line(&pty, "undelete: left 1 restored user unfinished");
    assert!(line.contains(" finish`"), "{line}");
    h.shutdown().await;
}

/// `undelete --all-tenants` on `data` with nothing configured, past the first-launch panel.
fn all_tenants_on_the_sandbox(data: &std::path::Path) -> Pty {
    let mut pty = pty::Spawn::through_shell(env!("CARGO_BIN_EXE_undelete"))
        .size(ROWS, COLS)
        .args([
            "--data-dir",
            data.to_str().expect("utf-8 temp path"),
            "--all-tenants",
        ])
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env("UNDELETE_CONFIG", "/dev/null")
        .start();
    pty.wait_for("3 tenants");
    // The sandbox's first-launch panel takes the first key: looked for once the tables are
    // loaded, when it is surely drawn, so no key of the test is taken by it.
    pty.wait_for("loaded 750");
    if pty.screen().contains("Any key to start") {
        pty.send(" ");
    }
    pty
}

/// `undelete --all-tenants` with nothing configured: the built-in sandbox serves its three
/// tenants in one screen; the tenants pane puts another on screen, and its rows are its own.
#[test]
fn all_tenants_on_the_built_in_sandbox_opens_three_and_the_pane_switches() {
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = all_tenants_on_the_sandbox(data.path());
    // One table across the three, a Tenant column naming each row's.
    pty.wait_for("Deleted users in 3 tenants");
    pty.wait_for("loaded 750");
    let screen = pty.screen();
    for row in [
        "│▶□ contoso.sandbox",
        "│ □ fabrikam.sandbox",
        "│ □ northwind.sandb",
    ] {
        assert!(screen.contains(row), "{row}: {screen}");
    }
    assert!(screen.contains("Tenant"), "{screen}");
    pty.send("t");
    pty.wait_for("Tenants (3)");
    pty.wait_for("fabrikam.sandbox");
    pty.wait_for("northwind.sandbox");
    pty.send("g");
    pty.send("j");
    pty.send("\r");
    pty.wait_for("Showing fabrikam.sandbox.");
    pty.wait_for("@fabrikam.sandbox");
    let screen = pty.screen();
    assert!(
        !screen.contains("@contoso.sandbox "),
        "only Fabrikam's users: {screen}"
    );
    // `a` in the pane: every tenant again.
    pty.send("t");
    pty.wait_for("Tenants (3)");
    pty.send("a");
    pty.wait_for("Showing the deleted users of all 3 open tenants");
    pty.wait_for("Deleted users in 3 tenants");
    pty.send("q");
    pty.assert_terminal_restored();
    assert!(pty.screen().contains("EXIT=0"), "{}", pty.screen());
}

/// Enter on the restore dialog once pre-flight has checked its users (Enter is refused while
/// it checks), then its result screen (`result`). One Enter at a time, each only after the
/// last was refused: a second one could land on the result screen and close it.
fn restore_when_checked(pty: &mut Pty, result: &str) {
    use std::time::{Duration, Instant};
    let deadline = Instant::now() + Duration::from_secs(30);
    let until = |pty: &Pty, done: &dyn Fn(&str) -> bool| {
        while !done(&pty.screen()) {
            assert!(Instant::now() < deadline, "{}", pty.screen());
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    loop {
        until(pty, &|s| !s.contains("for conflicts…"));
        pty.send("\r");
        until(pty, &|s| {
            s.contains(result) || s.contains("Restoring") || s.contains("Still checking")
        });
        let screen = pty.screen();
        if screen.contains(result) || screen.contains("Restoring") {
            break;
        }
    }
    pty.wait_for(result);
}

#[test]
fn a_selection_across_tenants_restores_tenant_by_tenant() {
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = all_tenants_on_the_sandbox(data.path());
    pty.wait_for("Deleted users in 3 tenants");
    pty.wait_for("loaded 750");
    // The two users on top purge first: one of Contoso's, one of Fabrikam's.
    pty.send(" ");
    pty.send(" ");
    pty.wait_for("marked 2");
    pty.send("\r");
    pty.wait_for("Restore 2 users in 2 tenants?");
    pty.send("y");
    pty.wait_for("in contoso.sandbox (tenant 1 of 2)");
    restore_when_checked(
        &mut pty,
        "Restored 1 of 1 in contoso.sandbox (tenant 1 of 2)",
    );
    // Send email and close: Fabrikam's own dialog.
    pty.send("\r");
    pty.wait_for("in fabrikam.sandbox (tenant 2 of 2)");
    restore_when_checked(
        &mut pty,
        "Restored 1 of 1 in fabrikam.sandbox (tenant 2 of 2)",
    );
    pty.send("\r");
    pty.wait_for("Restore across 2 tenants done");
    pty.wait_for("loaded 748");
    pty.send("q");
    pty.assert_terminal_restored();
    assert!(pty.screen().contains("EXIT=0"), "{}", pty.screen());
}

/// `undelete --all-tenants` on three tenants of a served sandbox, delegated, with no saved
/// sign-in: the sign-in screen at the partner's home (Contoso, the file's first tenant), then
/// every tenant opened with that one sign-in; Northwind, no customer of the partner, is in the
/// tenants pane with Entra's reason.
fn delegated_tenants(h: &SandboxHandle, data: &std::path::Path) -> pty::Spawn {
    let file = data.join("msp.toml");
    std::fs::write(
        &file,
        "[[tenants]]\ntenant = \"contoso.sandbox\"\n\
         [[tenants]]\ntenant = \"fabrikam.sandbox\"\n\
         [[tenants]]\ntenant = \"northwind.sandbox\"\n",
    )
    .expect("settings file");
    let base = h.base_url().as_str().trim_end_matches('/').to_string();
    pty::Spawn::through_shell(env!("CARGO_BIN_EXE_undelete"))
        .size(ROWS, COLS)
        .args([
            "--all-tenants",
            "--config",
            file.to_str().expect("utf-8 temp path"),
            "--graph-url",
            &base,
            "--login-url",
            &base,
            "--data-dir",
            data.to_str().expect("utf-8 temp path"),
        ])
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env_remove(pty::SCRUBBED)
}

async fn partner_sandbox(
    script: undelete_sandbox::DeviceCodeScript,
) -> (tempfile::TempDir, SandboxHandle) {
    common::start_sandbox_with(8, |c| {
        c.tenants(3)
            .partner_tenant("contoso.sandbox")
            .customers(&["fabrikam.sandbox"])
            .device_code_script(script)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_tenants_delegated_signs_in_once_at_the_home_then_opens_every_tenant() {
    let (_tmp, h) = partner_sandbox(undelete_sandbox::DeviceCodeScript::approve_after(2)).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| delegated_tenants(&h, data.path()).start());
    tokio::task::block_in_place(|| {
        pty.wait_for("Enter this code");
        assert!(
            pty.screen().contains("Directory: contoso.sandbox"),
            "the partner's home: {}",
            pty.screen()
        );
        pty.wait_for("3 tenants · 1 sign-in failed");
        pty.wait_for("@contoso.sandbox");
        pty.send("t");
        pty.wait_for("Tenants (3)");
        pty.wait_for("AADSTS50020");
        let screen = pty.screen();
        assert!(screen.contains("fabrikam.sandbox"), "{screen}");
        assert!(!screen.contains("Enter this code"), "{screen}");
        pty.send("\x1b");
        pty.send("q");
        pty.assert_terminal_restored();
    });
    assert!(pty.screen().contains("EXIT=0"), "{}", pty.screen());
    // Signed in once: the next start opens the tenants at once, no code.
    let mut again = tokio::task::block_in_place(|| delegated_tenants(&h, data.path()).start());
    tokio::task::block_in_place(|| {
        again.wait_for("3 tenants · 1 sign-in failed");
        assert!(!again.screen().contains("Enter this code"));
        again.send("q");
        again.assert_terminal_restored();
    });
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_tenants_delegated_esc_on_the_code_exits_1_as_one_tenant_does() {
    let (_tmp, h) = partner_sandbox(undelete_sandbox::DeviceCodeScript::answers([
        undelete_sandbox::DevicePoll::Pending,
    ]))
    .await;
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| delegated_tenants(&h, data.path()).start());
    tokio::task::block_in_place(|| {
        pty.wait_for("Enter this code");
        pty.send("\x1b");
        pty.wait_for("EXIT=");
        pty.assert_terminal_restored();
    });
    let screen = pty.screen();
    assert!(
        screen.contains("Sign-in cancelled; nothing was changed."),
        "{screen}"
    );
    assert!(screen.contains("EXIT=1"), "{screen}");
    h.shutdown().await;
}
