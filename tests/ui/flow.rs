//! Key-driven flows through the real `update` and effect runner, against a sandbox over HTTP on
//! 127.0.0.1. The test plays the event loop: it feeds keys, then steps every message the
//! background tasks send back until the state it waits for arrives.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::mpsc::UnboundedReceiver;
use undelete::app;
use undelete::app::modal::Modal;
use undelete::app::msg::Msg;
use undelete::app::runner::Runner;
use undelete::app::state::State;
use undelete::auth::client_credentials::ClientCredentials;
use undelete::config::Endpoints;
use undelete::config::Settings;
use undelete::directory::Directory;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::session::Session;
use undelete_sandbox::SandboxHandle;

pub(crate) struct Harness {
    pub(crate) state: State,
    runner: Runner,
    rx: UnboundedReceiver<Msg>,
    pub(crate) dir: Arc<dyn Directory>,
    /// What the app put on the clipboard (the OSC 52 sequences, as written).
    pub(crate) clipboard: Arc<std::sync::Mutex<Vec<u8>>>,
    _data: tempfile::TempDir,
}

/// A clipboard sink the test can read back.
struct SharedBuf(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("clipboard").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn directory(h: &SandboxHandle) -> Arc<dyn Directory> {
    let endpoints = Endpoints::sandbox(h.base_url());
    let tokens = ClientCredentials::new(
        &endpoints,
        "ui-flow-test",
        SecretString::from(h.client_secret().to_string()),
    )
    .expect("token source");
    let options = GraphOptions {
        mail_sender: Some(h.admin_upn()),
        ..GraphOptions::default()
    };
    Arc::new(GraphDirectory::new(endpoints, tokens, options).expect("graph client"))
}

impl Harness {
    pub(crate) fn new(h: &SandboxHandle, read_only: bool) -> Self {
        let data = tempfile::tempdir().expect("data dir");
        let settings = Settings {
            read_only,
            ..Settings::default()
        };
        let mut harness = Self::on(h, data, settings);
        harness
            .runner
            .run(app::effect::Effect::LoadDeleted { generation: 0 });
        harness
    }

    /// A launch as the app makes it (every start effect: what the last run kept is read
    /// back first) on the data dir `data`, which may have seen an earlier launch.
    pub(crate) fn launch(h: &SandboxHandle, data: tempfile::TempDir, settings: Settings) -> Self {
        let mut harness = Self::on(h, data, settings);
        for effect in app::start_effects(&mut harness.state) {
            harness.runner.run(effect);
        }
        harness
    }

    fn on(h: &SandboxHandle, data: tempfile::TempDir, settings: Settings) -> Self {
        let dir = directory(h);
        let session = Arc::new(Session::new(
            settings,
            dir.clone(),
            format!("SANDBOX {}", h.domain()),
            true,
            h.admin_upn(),
            Some(h.admin_upn()),
            data.path().to_path_buf(),
        ));
        // A data dir that has seen the sandbox's first-launch panel: these tests are about the rest.
        app::welcome::remember(&session.data_dir).expect("marker");
        let mut state = app::initial_state(&session, chrono::Utc::now(), (120, 40));
        state.settings.no_color = true;
        let (tx, rx) = app::channel();
        let clipboard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let runner = Runner::for_session(
            state.session().id(),
            session,
            tx,
            Some(Box::new(SharedBuf(clipboard.clone()))),
        );
        Self {
            state,
            runner,
            rx,
            dir,
            clipboard,
            _data: data,
        }
    }

    /// Ends this launch and hands back its data dir for the next.
    pub(crate) fn quit(self) -> tempfile::TempDir {
        self._data
    }

    pub(crate) fn key(&mut self, code: KeyCode) {
        let msg = Msg::Key(KeyEvent::new_with_kind(
            code,
            KeyModifiers::NONE,
            KeyEventKind::Press,
        ));
        app::step(&mut self.state, &mut self.runner, msg);
    }

    pub(crate) fn typ(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Steps background messages until `done` holds (or fails after 20 s).
    pub(crate) async fn settle(&mut self, what: &str, done: impl Fn(&State) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(&self.state) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(msg)) => {
                    app::step(&mut self.state, &mut self.runner, msg);
                }
                _ => panic!("timed out waiting for: {what}"),
            }
        }
    }

    pub(crate) fn screen(&self) -> String {
        let mut t = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        t.draw(|f| undelete::ui::draw(&self.state, f))
            .expect("draw");
        t.backend().to_string()
    }

    pub(crate) fn select(&mut self, id: &str) {
        let pos = self
            .state
            .session()
            .users
            .shown()
            .iter()
            .position(|i| self.state.session().users.rows()[*i as usize].id() == id)
            .expect("user shown");
        // Walk there with keys, as a person would.
        self.key(KeyCode::Home);
        for _ in 0..pos {
            self.key(KeyCode::Down);
        }
        assert_eq!(self.state.session().users.current_id(), Some(id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_a_conflicting_user_under_a_new_name_and_mail_the_admin() {
    let (_tmp, h) = common::start_sandbox(120).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    assert_eq!(t.state.session().users.rows().len(), 120);

    // Find a user whose name is taken by an active user (the sandbox seeds such conflicts).
    let mut conflicted = None;
    for row in t.state.session().users.rows() {
        let pf = undelete::restore::preflight(t.dir.as_ref(), &row.to_user())
            .await
            .expect("preflight");
        if pf.upn_holder.is_some() {
            conflicted = Some(row.to_user());
            break;
        }
    }
    let user = conflicted.expect("the seed has a UPN conflict");
    t.select(&user.id);
    t.key(KeyCode::Enter);
    t.settle("pre-flight", |s| {
        matches!(&s.modal, Some(Modal::Restore(f)) if f.targets.iter().all(|x| x.preflight != undelete::app::modal::restore::Preflight::Checking))
    })
    .await;
    let suggested = match &t.state.modal {
        Some(Modal::Restore(f)) => f.targets[0].new_upn.value().to_string(),
        _ => unreachable!(),
    };
    assert!(
        !suggested.is_empty() && suggested != user.original_upn,
        "a free name is offered"
    );
    assert!(
        t.state.session().users.is_conflict(&user.id),
        "[CONFLICT] badge"
    );
    assert!(t.screen().contains("New user name"));

    t.key(KeyCode::Enter); // auto-generated password, the suggested name
    t.settle("the result screen", |s| {
        matches!(s.modal, Some(Modal::Result(_)))
    })
    .await;
    let password = match &t.state.modal {
        Some(Modal::Result(r)) => {
            assert_eq!(r.restored(), 1);
            r.outcomes[0]
                .password
                .as_ref()
                .expect("password set")
                .expose_secret()
                .to_string()
        }
        _ => unreachable!(),
    };
    assert!(!t.screen().contains(&password), "masked until v");
    t.typ("v");
    assert!(t.screen().contains(&password), "v reveals");
    t.key(KeyCode::Enter); // Send email and close
    t.settle("mail sent", |s| s.modal.is_none()).await;

    let inspect = h.inspect();
    assert!(inspect.is_active(&user.id));
    assert_eq!(inspect.upn(&user.id).as_deref(), Some(suggested.as_str()));
    assert!(inspect.password_matches(&user.id, &password));
    let mail = inspect.outbox().last().cloned().expect("mail");
    assert!(
        mail.to
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&h.admin_upn()))
    );
    assert!(mail.body.contains(&suggested));
    assert!(
        !t.state
            .session()
            .users
            .rows()
            .iter()
            .any(|r| r.id() == user.id),
        "left the table"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_held_address_is_shown_and_its_removal_offered_then_restored_without_it() {
    let (_tmp, h) = common::start_sandbox(60).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    // A user one of whose addresses a group took (the sandbox seeds such shared inboxes).
    let mut held = None;
    for row in t.state.session().users.rows() {
        let pf = undelete::restore::preflight(t.dir.as_ref(), &row.to_user())
            .await
            .expect("preflight");
        if let Some((a, g)) = pf
            .proxy_holders
            .iter()
            .find(|(_, g)| g.kind == undelete::directory::HolderKind::Group)
        {
            held = Some((row.to_user(), a.clone(), g.display_name.clone(), pf.clone()));
            break;
        }
    }
    let (user, address, group, pf) = held.expect("the seed has a group-held address");
    t.select(&user.id);
    t.key(KeyCode::Enter);
    t.settle("pre-flight", |s| {
        matches!(&s.modal, Some(Modal::Restore(f)) if f.targets.iter().all(|x| x.preflight != undelete::app::modal::restore::Preflight::Checking))
    })
    .await;
    let screen = t.screen();
    assert!(
        screen.contains("Remove conflicting proxy addresses"),
        "{screen}"
    );
    if pf.upn_holder.is_none() {
        // Wrapped over two lines when long: read the dialog's text as one.
        let text: String = screen
            .lines()
            .map(|l| l.split('│').nth(2).unwrap_or("").trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains(&format!("{address} is held by group \"{group}\"")),
            "{screen}"
        );
    }
    // The choice is on by default; turned off, Restore says why not.
    while !matches!(&t.state.modal, Some(Modal::Restore(f)) if f.focus == undelete::app::modal::restore::DialogField::Reconcile(0))
    {
        t.key(KeyCode::Tab);
    }
    t.typ(" ");
    t.key(KeyCode::Enter);
    let refused = match &t.state.modal {
        Some(Modal::Restore(f)) => f.error.clone().unwrap_or_default(),
        _ => panic!("the dialog stays"),
    };
    assert!(
        refused.contains(&format!("is held by group \"{group}\"")),
        "{refused}"
    );
    assert!(h.inspect().is_deleted(&user.id), "nothing was sent");
    t.typ(" ");
    while !matches!(&t.state.modal, Some(Modal::Restore(f)) if f.focus == undelete::app::modal::restore::DialogField::Restore)
    {
        t.key(KeyCode::Tab);
    }
    t.key(KeyCode::Enter);
    t.settle("the result screen", |s| {
        matches!(s.modal, Some(Modal::Result(_)))
    })
    .await;
    assert!(h.inspect().is_active(&user.id));
    let now = h.inspect().proxy_addresses(&user.id);
    assert!(
        !now.iter().any(|p| p.eq_ignore_ascii_case(&address)),
        "{address} dropped: {now:?}"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_new_user_name_that_is_taken_is_said_before_restore() {
    let (_tmp, h) = common::start_sandbox(60).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    let mut conflicted = None;
    for row in t.state.session().users.rows() {
        let pf = undelete::restore::preflight(t.dir.as_ref(), &row.to_user())
            .await
            .expect("preflight");
        if pf.upn_holder.is_some() {
            conflicted = Some(row.to_user());
            break;
        }
    }
    let user = conflicted.expect("the seed has a UPN conflict");
    t.select(&user.id);
    t.key(KeyCode::Enter);
    t.settle("pre-flight", |s| {
        matches!(&s.modal, Some(Modal::Restore(f)) if f.targets.iter().all(|x| x.preflight != undelete::app::modal::restore::Preflight::Checking))
    })
    .await;
    assert!(t.screen().contains("✓ free"), "the suggestion was checked");
    while !matches!(&t.state.modal, Some(Modal::Restore(f)) if f.focus == undelete::app::modal::restore::DialogField::NewUpn(0))
    {
        t.key(KeyCode::Tab);
    }
    // Replace the suggestion with the admin's own name, which is surely taken.
    t.key(KeyCode::End);
    for _ in 0..80 {
        t.key(KeyCode::Backspace);
    }
    let admin = h.admin_upn();
    t.typ(&admin);
    t.settle("the name checked", |s| {
        matches!(&s.modal, Some(Modal::Restore(f)) if f.targets[0].name_check == undelete::app::modal::restore::NameCheck::Idle && f.targets[0].new_upn_holder().is_some())
    })
    .await;
    let screen = t.screen();
    assert!(screen.contains("✗ taken"), "{screen}");
    assert!(screen.contains("already used by user"), "{screen}");
    t.key(KeyCode::Enter);
    let refused = match &t.state.modal {
        Some(Modal::Restore(f)) => f.error.clone().unwrap_or_default(),
        _ => panic!("the dialog stays"),
    };
    assert!(
        refused.contains(&format!("{admin} is already used by user")),
        "{refused}"
    );
    assert!(h.inspect().is_deleted(&user.id), "nothing was sent");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_two_marked_users_after_typing_the_count() {
    let (_tmp, h) = common::start_sandbox(30).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    t.typ("  ");
    let ids: Vec<String> = t
        .state
        .session()
        .users
        .targets()
        .iter()
        .map(|u| u.id.clone())
        .collect();
    assert_eq!(ids.len(), 2);
    t.typ("D");
    t.typ("2");
    t.key(KeyCode::Enter);
    t.settle("purge done", |s| s.modal.is_none()).await;
    for id in &ids {
        assert!(!h.inspect().exists(id), "{id} purged");
    }
    assert_eq!(t.state.session().users.rows().len(), 28);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_sends_no_write() {
    let (_tmp, h) = common::start_sandbox(10).await;
    let writes = h.inspect().write_count();
    let mut t = Harness::new(&h, true);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    t.key(KeyCode::Enter);
    t.typ("D");
    t.typ("F");
    assert!(t.state.modal.is_none());
    assert!(t.screen().contains("READ-ONLY"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.inspect().write_count(), writes);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_without_email_sends_nothing_and_journals_the_skip() {
    let (_tmp, h) = common::start_sandbox(10).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    let sent_before = h.inspect().outbox().len();
    // A user without conflicts.
    let mut free = None;
    for row in t.state.session().users.rows() {
        let pf = undelete::restore::preflight(t.dir.as_ref(), &row.to_user())
            .await
            .expect("preflight");
        if !pf.has_conflict() {
            free = Some(row.id().to_string());
            break;
        }
    }
    let id = free.expect("a user without conflicts");
    t.select(&id);
    t.typ("r");
    t.settle("pre-flight", |s| {
        matches!(&s.modal, Some(Modal::Restore(f)) if f.targets.iter().all(|x| x.preflight != undelete::app::modal::restore::Preflight::Checking))
    })
    .await;
    t.key(KeyCode::Enter);
    t.settle("the result screen", |s| {
        matches!(s.modal, Some(Modal::Result(_)))
    })
    .await;
    t.key(KeyCode::Tab);
    t.key(KeyCode::Enter);
    assert!(t.screen().contains("are not shown again"));
    t.typ("y");
    t.settle("the journal re-read", |s| {
        s.modal.is_none() && s.session().unfinished.is_empty()
    })
    .await;
    assert_eq!(h.inspect().outbox().len(), sent_before, "no mail");
    assert!(h.inspect().is_active(&id));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_loop_loads_the_list_handles_keys_and_resize_and_quits_on_q() {
    let (_tmp, h) = common::start_sandbox(50).await;
    let data = tempfile::tempdir().expect("data dir");
    let session = Arc::new(Session::new(
        Settings::default(),
        directory(&h),
        format!("SANDBOX {}", h.domain()),
        true,
        h.admin_upn(),
        Some(h.admin_upn()),
        data.path().to_path_buf(),
    ));
    // A data dir that has seen the sandbox's first-launch panel: these tests are about the rest.
    app::welcome::remember(&session.data_dir).expect("marker");
    let mut state = app::initial_state(&session, chrono::Utc::now(), (100, 30));
    let (tx, rx) = app::channel();
    let mut runner = Runner::for_session(state.session().id(), session, tx, None);
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
    // A person: waits for the list, opens and closes the help, resizes, quits.
    let script: Vec<(u64, crossterm::event::Event)> = vec![
        (
            400,
            crossterm::event::Event::Key(KeyEvent::new_with_kind(
                KeyCode::Char('?'),
                KeyModifiers::NONE,
                KeyEventKind::Press,
            )),
        ),
        (
            50,
            crossterm::event::Event::Key(KeyEvent::new_with_kind(
                KeyCode::Esc,
                KeyModifiers::NONE,
                KeyEventKind::Press,
            )),
        ),
        (50, crossterm::event::Event::Resize(80, 24)),
        (
            50,
            crossterm::event::Event::Key(KeyEvent::new_with_kind(
                KeyCode::Char('q'),
                KeyModifiers::NONE,
                KeyEventKind::Press,
            )),
        ),
    ];
    let events = Box::pin(futures::stream::unfold(
        script.into_iter(),
        |mut it| async move {
            let (wait, ev) = it.next()?;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            Some((Ok(ev), it))
        },
    ));
    tokio::time::timeout(
        Duration::from_secs(20),
        undelete::tui::run_loop(&mut terminal, events, &mut state, &mut runner, rx),
    )
    .await
    .expect("the loop ends")
    .expect("no error");
    assert!(state.quit, "q quit");
    assert_eq!(state.session().users.rows().len(), 50, "all rows arrived");
    assert!(state.modal.is_none());
    assert_eq!(state.size, (80, 24));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_repaints_everything_when_other_users_take_the_rows() {
    use std::sync::Mutex;
    use std::sync::atomic::Ordering;

    let (_tmp, h) = common::start_sandbox(50).await;
    let data = tempfile::tempdir().expect("data dir");
    let session = Arc::new(Session::new(
        Settings::default(),
        directory(&h),
        format!("SANDBOX {}", h.domain()),
        true,
        h.admin_upn(),
        Some(h.admin_upn()),
        data.path().to_path_buf(),
    ));
    // A data dir that has seen the sandbox's first-launch panel: these tests are about the rest.
    app::welcome::remember(&session.data_dir).expect("marker");
    let mut state = app::initial_state(&session, chrono::Utc::now(), (120, 40));
    let (tx, rx) = app::channel();
    let mut runner = Runner::for_session(state.session().id(), session, tx, None);
    let probe = crate::probe::Probe::new(120, 40);
    let clears = probe.clears.clone();
    let mut terminal = Terminal::new(probe).expect("terminal");
    // Each key is sent after the previous one was handled and drawn; just before sending it,
    // the stream notes how many full repaints there have been so far.
    let keys = ['j', 'j', '/', 'd', 'i', 'e', 'g', 'o', 'q'];
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (count, log) = (clears.clone(), seen.clone());
    let events = Box::pin(futures::stream::unfold(0usize, move |i| {
        let (count, log) = (count.clone(), log.clone());
        async move {
            let key = *keys.get(i)?;
            tokio::time::sleep(Duration::from_millis(if i == 0 { 800 } else { 120 })).await;
            log.lock().expect("log").push(count.load(Ordering::SeqCst));
            let ev = crossterm::event::Event::Key(KeyEvent::new_with_kind(
                KeyCode::Char(key),
                KeyModifiers::NONE,
                KeyEventKind::Press,
            ));
            Some((Ok(ev), i + 1))
        }
    }));
    tokio::time::timeout(
        Duration::from_secs(20),
        undelete::tui::run_loop(&mut terminal, events, &mut state, &mut runner, rx),
    )
    .await
    .expect("the loop ends")
    .expect("no error");
    assert_eq!(state.session().users.rows().len(), 50);
    let seen = seen.lock().expect("log").clone();
    // seen[i] = repaints before key i: [j, j, /, d, i, e, g, o, q].
    assert!(seen[0] >= 1, "the first rows to arrive repaint: {seen:?}");
    assert_eq!(seen[1], seen[0], "moving the selection does not: {seen:?}");
    assert_eq!(seen[2], seen[1], "{seen:?}");
    assert!(seen[3] > seen[2], "the filter line opening does: {seen:?}");
    assert!(
        seen[8] > seen[3],
        "narrowing the filter to other users does: {seen:?}"
    );
    h.shutdown().await;
}

// ---- Nothing lost ---------------------------------------------------------------------------------

/// Users the sandbox holds that restore as they are and get a password (no conflict, not a
/// guest, not synced).
pub(crate) async fn free_users(t: &Harness, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for row in t.state.session().users.rows() {
        let user = row.to_user();
        if user.is_guest() || user.on_premises_sync_enabled {
            continue;
        }
        let pf = undelete::restore::preflight(t.dir.as_ref(), &user)
            .await
            .expect("preflight");
        if !pf.has_conflict() {
            out.push(user.id);
        }
        if out.len() == n {
            break;
        }
    }
    assert_eq!(out.len(), n, "enough free users");
    out
}

impl Harness {
    fn ctrl(&mut self, c: char) {
        let msg = Msg::Key(KeyEvent::new_with_kind(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
            KeyEventKind::Press,
        ));
        app::step(&mut self.state, &mut self.runner, msg);
    }

    /// Opens the dialog for the selected or marked users and waits for pre-flight.
    pub(crate) async fn open_dialog(&mut self) {
        self.typ("r");
        self.settle(
            "pre-flight",
            |s| matches!(&s.modal, Some(Modal::Restore(f)) if f.checking() == 0),
        )
        .await;
    }

    pub(crate) async fn result(&mut self) {
        self.settle(
            "the result screen",
            |s| matches!(&s.modal, Some(Modal::Result(r)) if !r.busy),
        )
        .await;
    }

    pub(crate) fn result_state(&self) -> &undelete::app::modal::result::ResultState {
        match &self.state.modal {
            Some(Modal::Result(r)) => r,
            _ => panic!("no result screen"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_password_is_counted_honestly_then_set_with_p_and_mailed() {
    let (_tmp, h) = common::start_sandbox(40).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    let id = free_users(&t, 1).await.remove(0);
    t.select(&id);
    t.open_dialog().await;
    // The directory refuses the password after the user is restored (a banned word).
    h.fail_next_password_sets(u32::MAX, undelete_sandbox::PasswordFault::Refuse);
    t.key(KeyCode::Enter);
    t.result().await;
    assert!(h.inspect().is_active(&id), "restored");
    assert_eq!(t.result_state().missing_passwords(), 1);
    let screen = t.screen();
    assert!(
        screen.contains("Restored 1 of 1 · 1 has no password yet"),
        "{screen}"
    );
    assert!(screen.contains("p sets one"), "{screen}");
    // The banner knows at once.
    t.settle("the unfinished list", |s| {
        s.session().unfinished.iter().any(|u| u.id == id)
    })
    .await;

    h.fail_next_password_sets(0, undelete_sandbox::PasswordFault::Refuse);
    t.typ("p");
    t.key(KeyCode::Tab);
    t.typ("Kiwi-Moon-42#x");
    t.key(KeyCode::Enter);
    t.result().await;
    let r = t.result_state();
    assert_eq!(
        (r.complete(), r.missing_passwords()),
        (1, 0),
        "{:?}",
        r.outcomes
    );
    assert!(h.inspect().password_matches(&id, "Kiwi-Moon-42#x"));

    // Send email and close carries the new password.
    t.key(KeyCode::Enter);
    t.settle("mail sent", |s| s.modal.is_none()).await;
    let outbox = h.inspect().outbox();
    assert!(
        outbox
            .last()
            .is_some_and(|m| m.body.contains("Kiwi-Moon-42#x"))
    );
    t.settle("nothing unfinished", |s| s.session().unfinished.is_empty())
        .await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_recipients_closing_asks_and_the_shown_password_is_the_stored_one() {
    let (_tmp, h) = common::start_sandbox(40).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    let id = free_users(&t, 1).await.remove(0);
    t.select(&id);
    t.open_dialog().await;
    while !matches!(&t.state.modal, Some(Modal::Restore(f)) if f.focus == undelete::app::modal::restore::DialogField::Recipients)
    {
        t.key(KeyCode::Tab);
    }
    t.ctrl('u');
    t.key(KeyCode::Enter);
    t.result().await;
    t.typ("v");
    let shown = t.result_state().outcomes[0]
        .password
        .as_ref()
        .expect("a password")
        .expose_secret()
        .to_string();
    assert!(t.screen().contains(&shown), "v shows it");
    assert!(h.inspect().password_matches(&id, &shown));
    // Enter does not drop it: it asks first.
    t.key(KeyCode::Enter);
    assert!(t.result_state().confirm_close());
    assert!(t.screen().contains("are not shown again"));
    t.typ("n");
    assert!(!t.result_state().confirm_close());
    t.key(KeyCode::Esc);
    t.typ("y");
    t.settle("closed", |s| {
        s.modal.is_none() && s.session().unfinished.is_empty()
    })
    .await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_steps_failing_while_running_are_finished_by_r_and_by_f_without_a_restart() {
    let (_tmp, h) = common::start_sandbox(60).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    let ids = free_users(&t, 3).await;

    // Two users: the directory refuses every password step (a 5xx would be retried by the
    // client for a while first); `r` retries them once it accepts again.
    h.fail_next_password_sets(u32::MAX, undelete_sandbox::PasswordFault::Refuse);
    for id in &ids[..2] {
        t.select(id);
        t.typ(" ");
    }
    t.open_dialog().await;
    t.key(KeyCode::Enter);
    t.result().await;
    assert_eq!(t.result_state().missing_passwords(), 2);
    h.fail_next_password_sets(0, undelete_sandbox::PasswordFault::Refuse);
    t.typ("r");
    t.result().await;
    let r = t.result_state();
    assert_eq!(r.complete(), 2, "{:?}", r.outcomes);
    for o in &r.outcomes {
        let pw = o.password.as_ref().expect("set by r").expose_secret();
        assert!(h.inspect().password_matches(&o.id, pw));
    }
    t.key(KeyCode::Enter);
    t.settle("mail sent", |s| s.modal.is_none()).await;

    // One more: closed without its password, then `F` finishes it in the same run.
    h.fail_next_password_sets(u32::MAX, undelete_sandbox::PasswordFault::Refuse);
    t.typ("A");
    t.select(&ids[2]);
    t.open_dialog().await;
    t.key(KeyCode::Enter);
    t.result().await;
    assert_eq!(t.result_state().missing_passwords(), 1);
    t.key(KeyCode::Esc);
    t.typ("y");
    t.settle("the banner", |s| {
        s.modal.is_none() && s.session().unfinished.iter().any(|u| u.id == ids[2])
    })
    .await;
    assert_eq!(
        t.state.session().unfinished.len(),
        1,
        "only the one without a password"
    );
    h.fail_next_password_sets(0, undelete_sandbox::PasswordFault::Refuse);
    t.typ("F");
    t.result().await;
    let r = t.result_state();
    assert_eq!(r.complete(), 1, "{:?}", r.outcomes);
    let pw = r.outcomes[0]
        .password
        .as_ref()
        .expect("finished")
        .expose_secret();
    assert!(h.inspect().password_matches(&ids[2], pw));
    t.key(KeyCode::Enter);
    t.settle("finished and mailed", |s| {
        s.modal.is_none() && s.session().unfinished.is_empty()
    })
    .await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_with_the_server_stopped_keeps_the_rows_and_says_why() {
    let (_tmp, h) = common::start_sandbox(30).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    let before = t.state.session().users.rows().len();
    h.shutdown().await;
    t.typ("R");
    assert_eq!(
        t.state.session().users.rows().len(),
        before,
        "the rows stay while reloading"
    );
    t.settle("the refresh fails", |s| !s.session().users.loading())
        .await;
    assert_eq!(
        t.state.session().users.rows().len(),
        before,
        "and after it failed"
    );
    assert!(t.state.session().stale_since.is_some());
    let screen = t.screen();
    assert!(screen.contains("stale since"), "{screen}");
    assert!(screen.contains("Refresh failed:"), "{screen}");
}

/// The sandbox's first-launch panel: shown on the first run in a data dir, dismissed by any key
/// (which does nothing else), and not shown again in the next run on that data dir.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_welcome_panel_shows_once_per_data_dir() {
    let (_tmp, h) = common::start_sandbox(20).await;
    let data = tempfile::tempdir().expect("data dir");
    let open = || {
        Arc::new(Session::new(
            Settings::default(),
            directory(&h),
            format!("SANDBOX {}", h.domain()),
            true,
            h.admin_upn(),
            Some(h.admin_upn()),
            data.path().to_path_buf(),
        ))
    };
    let key = |code| {
        crossterm::event::Event::Key(KeyEvent::new_with_kind(
            code,
            KeyModifiers::NONE,
            KeyEventKind::Press,
        ))
    };
    let session = open();
    let mut state = app::initial_state(&session, chrono::Utc::now(), (80, 24));
    assert!(state.welcome, "a new data dir on the sandbox");
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    terminal
        .draw(|f| undelete::ui::draw(&state, f))
        .expect("draw");
    let screen = terminal.backend().to_string();
    for words in [
        "demo data",
        "nothing real",
        "undelete --tenant",
        "Any key to start",
    ] {
        assert!(screen.contains(words), "{words:?} in\n{screen}");
    }
    let (tx, rx) = app::channel();
    let mut runner = Runner::for_session(state.session().id(), session, tx, None);
    // Enter dismisses the panel and nothing else; then q quits.
    let script = vec![(400, key(KeyCode::Enter)), (200, key(KeyCode::Char('q')))];
    let events = Box::pin(futures::stream::unfold(
        script.into_iter(),
        |mut it| async move {
            let (wait, ev) = it.next()?;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            Some((Ok(ev), it))
        },
    ));
    tokio::time::timeout(
        Duration::from_secs(20),
        undelete::tui::run_loop(&mut terminal, events, &mut state, &mut runner, rx),
    )
    .await
    .expect("the loop ends")
    .expect("no error");
    assert!(state.quit && !state.welcome);
    assert!(state.modal.is_none(), "Enter only dismissed the panel");
    assert!(!terminal.backend().to_string().contains("Any key to start"));
    drop(runner);
    // The runner remembered it: the next run on this data dir starts on the table.
    assert!(data.path().join(app::welcome::MARKER).exists());
    let again = app::initial_state(&open(), chrono::Utc::now(), (80, 24));
    assert!(!again.welcome, "shown once");
    h.shutdown().await;
}

/// A restore in flight against a directory that went away waits out its retries until the
/// run's deadline; Esc stops the rest, and Esc again leaves the users in flight to `F`: the
/// screen closes at once, no result arrives later, and nothing was changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stuck_on_a_dead_directory_can_be_left_to_f() {
    use undelete::app::modal::progress::JobStatus;
    let (_tmp, h) = common::start_sandbox(10).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    let id = free_users(&t, 1).await.remove(0);
    t.select(&id);
    t.typ("r");
    t.settle("pre-flight", |s| {
        matches!(&s.modal, Some(Modal::Restore(f)) if f.targets.iter().all(|x| x.preflight != undelete::app::modal::restore::Preflight::Checking))
    })
    .await;
    h.shutdown().await;
    t.key(KeyCode::Enter);
    t.settle("the restore in flight", |s| {
        matches!(&s.modal, Some(Modal::Progress(p)) if p.lines.iter().any(|l| l.status == JobStatus::Restoring))
    })
    .await;
    t.key(KeyCode::Esc);
    t.typ("y");
    assert!(matches!(&t.state.modal, Some(Modal::Progress(p)) if p.stopping));
    assert!(
        t.screen().contains("Esc leaves them to F"),
        "{}",
        t.screen()
    );
    t.key(KeyCode::Esc);
    assert!(
        t.screen()
            .contains("Leave now? 1 user in flight stays unfinished"),
        "{}",
        t.screen()
    );
    t.typ("y");
    assert!(t.state.modal.is_none(), "the progress closes at once");
    t.settle("the notice", |s| {
        s.notice
            .as_ref()
            .is_some_and(|(_, text)| text.starts_with("Left the run"))
    })
    .await;
    // Nothing of the run reaches the screen afterwards: a result screen would open here.
    let _ = tokio::time::timeout(
        Duration::from_secs(2),
        t.settle("a result screen", |s| s.modal.is_some()),
    )
    .await;
    assert!(t.state.modal.is_none(), "no result screen after leaving");
}
