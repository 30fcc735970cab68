//! The device-code sign-in as a screen of the one event loop: `tui::run_loop` on a
//! `TestBackend`, starting on the sign-in screen, against a sandbox on 127.0.0.1 whose device
//! codes are approved, or never. Keys are sent when the screen shows what an admin would wait
//! for, so the test follows the screen rather than a clock.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::probe::Probe;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use futures::Stream;
use ratatui::Terminal;
use undelete::app::runner::Runner;
use undelete::app::{self, state::State};
use undelete::auth::AuthContext;
use undelete::config::Settings;
use undelete_sandbox::{DeviceCodeScript, DevicePoll, SandboxHandle};

/// What the runner writes to the clipboard (OSC 52).
#[derive(Clone, Default)]
struct Clipboard(Arc<Mutex<Vec<u8>>>);

impl Write for Clipboard {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("clipboard").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new_with_kind(
        code,
        KeyModifiers::NONE,
        KeyEventKind::Press,
    ))
}

/// What the admin does once the screen shows a text.
enum Step {
    Send(Event),
    /// The sandbox goes away (the identity platform is lost).
    StopSandbox,
    /// Nothing: the screen showed the text, and the next step waits for its own.
    Wait,
}

fn press(code: KeyCode) -> Step {
    Step::Send(key(code))
}

/// Each step is taken once the screen shows its text (within 20 s). After the last one the
/// stream stays open, as a terminal does: the loop must end by quitting, not for want of input.
fn when_shown(
    screen: Arc<Mutex<String>>,
    sandbox: Arc<tokio::sync::Mutex<Option<SandboxHandle>>>,
    steps: Vec<(&'static str, Step)>,
) -> impl Stream<Item = std::io::Result<Event>> + Unpin {
    Box::pin(futures::stream::unfold(
        steps.into_iter(),
        move |mut steps| {
            let screen = screen.clone();
            let sandbox = sandbox.clone();
            async move {
                loop {
                    // After the last step the input stays open, as a terminal's does: the
                    // loop must end by quitting, not because its input ran out.
                    let Some((text, step)) = steps.next() else {
                        return std::future::pending().await;
                    };
                    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
                    while !screen.lock().expect("screen").contains(text) {
                        assert!(
                            tokio::time::Instant::now() < deadline,
                            "{text:?} never showed:\n{}",
                            screen.lock().expect("screen")
                        );
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    match step {
                        Step::Send(event) => return Some((Ok(event), steps)),
                        Step::StopSandbox => {
                            if let Some(h) = sandbox.lock().await.take() {
                                h.shutdown().await;
                            }
                        }
                        Step::Wait => {}
                    }
                }
            }
        },
    ))
}

struct Run {
    state: State,
    screen: String,
    clipboard: Clipboard,
}

/// `undelete --tenant contoso.sandbox` against the sandbox, without a cached sign-in: the loop
/// from the sign-in screen on, through `steps`, until it quits. The sandbox is shut down at
/// the end (or by a step).
async fn run(h: SandboxHandle, steps: Vec<(&'static str, Step)>) -> Run {
    run_with(h, None, steps).await
}

/// `run`, signing in app-only with `secret` when there is one.
async fn run_with(h: SandboxHandle, secret: Option<&str>, steps: Vec<(&'static str, Step)>) -> Run {
    let data = tempfile::tempdir().expect("data dir");
    let base = h.base_url().as_str().to_string();
    let settings = Settings {
        tenant: Some("contoso.sandbox".into()),
        graph_url: Some(base.clone()),
        login_url: Some(base),
        data_dir: Some(data.path().to_path_buf()),
        client_id: secret.map(|_| "11111111-2222-3333-4444-555555555555".into()),
        mail_from: secret.map(|_| h.admin_upn()),
        ..Settings::default()
    };
    let auth =
        AuthContext::build(&settings, secret.map(|s| s.to_string().into())).expect("auth context");
    if secret.is_none() {
        assert!(
            auth.resolve().await.expect("resolve").is_none(),
            "no cached sign-in"
        );
    }
    run_on(h, settings, auth, steps, data).await
}

/// The loop from the sign-in screen with `auth` (where it signs in) for the run of `settings`
/// (one tenant, or several), on `data`.
async fn run_on(
    h: SandboxHandle,
    settings: Settings,
    auth: AuthContext,
    steps: Vec<(&'static str, Step)>,
    // Held until the loop has ended: the sign-in is saved there.
    _data: tempfile::TempDir,
) -> Run {
    let mut state = app::sign_in_state(
        &settings,
        auth.tenant().to_string(),
        auth.describe(),
        chrono::Utc::now(),
        (100, 30),
    );
    let (tx, rx) = app::channel();
    let clipboard = Clipboard::default();
    let mut runner = Runner::for_sign_in(auth, settings, tx, Some(Box::new(clipboard.clone())));
    let probe = Probe::new(100, 30);
    let screen = probe.text.clone();
    let mut terminal = Terminal::new(probe).expect("terminal");
    let sandbox = Arc::new(tokio::sync::Mutex::new(Some(h)));
    let events = when_shown(screen.clone(), sandbox.clone(), steps);
    tokio::time::timeout(
        Duration::from_secs(40),
        undelete::tui::run_loop(&mut terminal, events, &mut state, &mut runner, rx),
    )
    .await
    .expect("the loop ends")
    .expect("no error");
    drop(runner);
    if let Some(h) = sandbox.lock().await.take() {
        h.shutdown().await;
    }
    let screen = screen.lock().expect("screen").clone();
    Run {
        state,
        screen,
        clipboard,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_screen_leads_to_the_table_in_the_same_loop() {
    let (_tmp, h) = common::start_sandbox_with(5, |c| {
        c.device_code_script(DeviceCodeScript::approve_after(2))
    })
    .await;
    let admin = h.admin_upn();
    let click = Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 50,
        row: 15,
        modifiers: KeyModifiers::NONE,
    });
    let r = run(
        h,
        vec![
            ("Enter this code", press(KeyCode::Char('c'))),
            // A paste, a click and a resize on the sign-in screen change nothing there.
            (
                "code copied",
                Step::Send(Event::Paste("ABCD-EFGH\n".into())),
            ),
            ("code copied", Step::Send(click)),
            ("code copied", Step::Send(Event::Resize(100, 30))),
            // Then the table of the signed-in admin, loaded in the same loop.
            ("loaded 5", press(KeyCode::Char('q'))),
        ],
    )
    .await;
    assert!(r.state.quit);
    assert!(
        r.state.sign_in.is_none(),
        "the table, not the sign-in screen"
    );
    assert_eq!(r.state.session().users.rows().len(), 5);
    assert_eq!(r.state.session().facts.account, admin);
    assert!(
        r.state.session().facts.label.contains("delegated"),
        "{}",
        r.state.session().facts.label
    );
    assert!(!r.state.session().facts.is_sandbox);
    assert!(r.screen.contains("Deleted users"), "{}", r.screen);
    assert!(!r.screen.contains("Enter this code"), "{}", r.screen);
    // `c` put the code on the clipboard, through OSC 52.
    let copied = String::from_utf8_lossy(&r.clipboard.0.lock().expect("clipboard")).to_string();
    assert!(copied.starts_with("\x1b]52;c;"), "{copied:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_cancels_the_wait_and_the_loop_ends_without_a_session() {
    let (_tmp, h) = common::start_sandbox_with(5, |c| {
        c.device_code_script(DeviceCodeScript::answers([DevicePoll::Pending]))
    })
    .await;
    let r = run(h, vec![("Enter this code", press(KeyCode::Esc))]).await;
    assert!(r.state.quit, "a cancelled sign-in ends the app");
    assert!(r.state.sign_in.is_some(), "never signed in");
    assert!(r.state.session().users.rows().is_empty());
    let exit = r.state.exit.expect("the run ends as cancelled");
    assert_eq!(
        (exit.code, exit.message.as_str()),
        (1, "Sign-in cancelled; nothing was changed.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_only_start_says_where_it_signs_in_from_the_first_frame() {
    const SECRET: &str = "ui-sign-in-secret";
    let (_tmp, h) = common::start_sandbox_with(5, |c| c.client_secret(SECRET)).await;
    let r = run_with(
        h,
        Some(SECRET),
        vec![("loaded 5", press(KeyCode::Char('q')))],
    )
    .await;
    assert!(r.state.sign_in.is_none(), "signed in: the table");
    assert!(r.state.exit.is_none(), "a plain quit");
    assert!(
        r.state.session().facts.label.contains("app-only"),
        "{}",
        r.state.session().facts.label
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_a_failure_on_screen_with_the_advice_and_enter_quits() {
    let (_tmp, h) = common::start_sandbox_with(5, |c| c.client_secret("the-right-one")).await;
    let r = run_with(
        h,
        Some("a-wrong-one"),
        vec![("Enter or Esc quits", press(KeyCode::Enter))],
    )
    .await;
    assert!(r.state.quit);
    assert!(
        r.screen.contains("✗ Sign-in failed: AADSTS7000215"),
        "{}",
        r.screen
    );
    assert!(
        r.screen
            .contains("What to do: check UNDELETE_CLIENT_SECRET"),
        "the CLI's advice:\n{}",
        r.screen
    );
    let exit = r.state.exit.expect("the run ends on the failure");
    assert_eq!(exit.code, 1);
    assert!(
        exit.message
            .starts_with("undelete: sign-in failed: AADSTS7000215")
            && exit.message.contains("check UNDELETE_CLIENT_SECRET"),
        "{}",
        exit.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_identity_platform_is_an_error_on_screen_and_r_tries_again() {
    let (_tmp, h) = common::start_sandbox_with(5, |c| {
        c.device_code_script(DeviceCodeScript::answers([DevicePoll::Pending]))
    })
    .await;
    let r = run(
        h,
        vec![
            // The sandbox goes away while the admin is in the browser: the polls fail (after
            // the few the flow rides out) and the reason stays on screen.
            ("Enter this code", Step::StopSandbox),
            ("r tries again", press(KeyCode::Char('r'))),
            // No code can be had now either: the new attempt fails at once, and q leaves.
            ("r tries again", press(KeyCode::Char('q'))),
        ],
    )
    .await;
    assert!(r.state.quit);
    assert!(r.screen.contains("✗"), "{}", r.screen);
    assert!(
        r.screen.contains("r tries again · Enter or Esc quits"),
        "{}",
        r.screen
    );
    assert!(!r.screen.contains("Enter this code"), "{}", r.screen);
    let exit = r.state.exit.expect("the run ends on the failure");
    assert_eq!(exit.code, 1);
    assert!(
        exit.message.starts_with("undelete: sign-in failed: "),
        "{}",
        exit.message
    );
}

/// A delegated run on `tenants` of a sandbox serving three, whose partner's home is
/// contoso.sandbox, signing in there by device code.
async fn tenants_run(h: SandboxHandle, tenants: &[&str], steps: Vec<(&'static str, Step)>) -> Run {
    let data = tempfile::tempdir().expect("data dir");
    let base = h.base_url().as_str().to_string();
    let one = |t: &str| Settings {
        tenant: Some(t.into()),
        graph_url: Some(base.clone()),
        login_url: Some(base.clone()),
        data_dir: Some(data.path().to_path_buf()),
        partner_tenant: Some("contoso.sandbox".into()),
        ..Settings::default()
    };
    let mut settings = one(tenants[0]);
    settings.more_tenants = tenants[1..].iter().map(|t| one(t)).collect();
    let home = undelete::config::tenants::home(&settings).expect("a home");
    let auth = AuthContext::build(&home, None).expect("auth context");
    assert_eq!(auth.tenant(), "contoso.sandbox");
    run_on(h, settings, auth, steps, data).await
}

/// A sandbox serving three tenants, Contoso the partner's home and Fabrikam its customer
/// (Northwind has no relationship with it), `refuse` refusing every sign-in.
async fn partner_sandbox(refuse: &[&str]) -> (tempfile::TempDir, SandboxHandle) {
    partner_sandbox_with(refuse, DeviceCodeScript::approve_after(1)).await
}

/// `partner_sandbox` whose device codes go as `script` says.
async fn partner_sandbox_with(
    refuse: &[&str],
    script: DeviceCodeScript,
) -> (tempfile::TempDir, SandboxHandle) {
    let refuse: Vec<String> = refuse.iter().map(|t| t.to_string()).collect();
    common::start_sandbox_with(5, move |mut c| {
        c = c
            .tenants(3)
            .partner_tenant("contoso.sandbox")
            .customers(&["fabrikam.sandbox"])
            .device_code_script(script);
        for t in &refuse {
            c = c.refuse_sign_in(t.as_str());
        }
        c
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_tenants_sign_in_once_at_the_home_and_open_every_tenant_that_accepts() {
    let (_tmp, h) = partner_sandbox(&[]).await;
    let r = tenants_run(
        h,
        &["contoso.sandbox", "fabrikam.sandbox", "northwind.sandbox"],
        vec![
            ("Enter this code", Step::Wait),
            ("1 sign-in failed", press(KeyCode::Char('q'))),
        ],
    )
    .await;
    assert!(r.state.quit && r.state.exit.is_none(), "a plain quit");
    assert!(r.state.sign_in.is_none(), "the table");
    assert!(r.screen.contains("3 tenants"), "{}", r.screen);
    let open: Vec<String> = r
        .state
        .sessions
        .iter()
        .map(|s| s.facts.account.clone())
        .collect();
    assert_eq!(
        open,
        ["admin@contoso.sandbox", "admin@contoso.sandbox"],
        "the home's admin in both"
    );
    let unopened = &r.state.sessions.unopened;
    assert_eq!(unopened.len(), 1);
    assert_eq!(unopened[0].label, "northwind.sandbox");
    assert!(
        unopened[0]
            .why
            .starts_with("northwind.sandbox refused the sign-in of the partner tenant contoso.sandbox: AADSTS50020"),
        "{}",
        unopened[0].why
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_tenants_all_refusing_after_the_sign_in_say_so_per_tenant_and_exit_1() {
    let (_tmp, h) = partner_sandbox(&["fabrikam.sandbox"]).await;
    // The home is not a tenant of the run: signed in there, and neither tenant opens.
    let r = tenants_run(
        h,
        &["fabrikam.sandbox", "northwind.sandbox"],
        vec![
            ("Enter this code", Step::Wait),
            ("r tries again", press(KeyCode::Char('q'))),
        ],
    )
    .await;
    assert!(r.state.quit);
    assert!(
        r.screen
            .contains("✗ Sign-in failed: signed in at contoso.sandbox, but none of the 2 tenants"),
        "{}",
        r.screen
    );
    assert!(r.screen.contains("· fabrikam.sandbox"), "{}", r.screen);
    assert!(r.screen.contains("· northwind.sandbox"), "{}", r.screen);
    let exit = r.state.exit.expect("the run ends on the failure");
    assert_eq!(exit.code, 1);
    assert!(
        exit.message.starts_with(
            "undelete: sign-in failed: signed in at contoso.sandbox, but none of the 2 tenants \
             could be opened: fabrikam.sandbox: "
        ),
        "{}",
        exit.message
    );
    assert!(exit.message.contains("AADSTS50020"), "{}", exit.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_tenants_a_declined_home_sign_in_or_a_lost_server_end_on_the_screen_with_exit_1() {
    let all = ["contoso.sandbox", "fabrikam.sandbox", "northwind.sandbox"];
    // The admin declines in the browser: Entra's words, and no tenant is opened.
    let (_tmp, h) = partner_sandbox_with(&[], DeviceCodeScript::decline_after(1)).await;
    let r = tenants_run(
        h,
        &all,
        vec![
            ("Enter this code", Step::Wait),
            ("r tries again", press(KeyCode::Enter)),
        ],
    )
    .await;
    assert!(r.state.sign_in.is_some(), "never signed in");
    assert!(r.screen.contains("✗ Sign-in failed"), "{}", r.screen);
    assert_eq!(r.state.sessions.iter().count(), 1, "the placeholder only");
    let exit = r.state.exit.expect("the run ends on the failure");
    assert_eq!(exit.code, 1);
    assert!(
        exit.message.starts_with("undelete: sign-in failed: ") && exit.message.contains("declined"),
        "{}",
        exit.message
    );
    // The server goes away while the code waits.
    let (_tmp, h) =
        partner_sandbox_with(&[], DeviceCodeScript::answers([DevicePoll::Pending])).await;
    let r = tenants_run(
        h,
        &all,
        vec![
            ("Enter this code", Step::StopSandbox),
            ("r tries again", press(KeyCode::Char('q'))),
        ],
    )
    .await;
    assert!(r.state.sign_in.is_some());
    let exit = r.state.exit.expect("the run ends on the failure");
    assert_eq!(exit.code, 1);
    assert!(
        exit.message.starts_with("undelete: sign-in failed: "),
        "{}",
        exit.message
    );
}
