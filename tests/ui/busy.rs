//! Two apps on one directory (two sessions on one data dir, each with its own runner): the
//! second says who holds the directory before any dialog, refuses restore, F and purge in
//! words, follows what the first is doing, and becomes writable when the first lets go. A run
//! refused after all ends with a result, never on a progress screen that cannot be left.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tokio::sync::mpsc::UnboundedReceiver;
use undelete::app;
use undelete::app::modal::Modal;
use undelete::app::modal::restore::Preflight;
use undelete::app::msg::Msg;
use undelete::app::runner::Runner;
use undelete::app::sessions::Blocked;
use undelete::app::state::State;
use undelete::config::Settings;
use undelete::restore::Doing;
use undelete::session::Session;
use undelete_sandbox::SandboxHandle;

/// One app: its state, runner and channel, on a session over `data`.
struct App {
    state: State,
    runner: Runner,
    rx: UnboundedReceiver<Msg>,
    session: Arc<Session>,
    now: chrono::DateTime<chrono::Utc>,
}

impl App {
    fn open(h: &SandboxHandle, data: &std::path::Path) -> Self {
        let session = Arc::new(Session::new(
            Settings::default(),
            common::sandbox_directory(h, "ui-busy-tests"),
            format!("SANDBOX {}", h.domain()),
            true,
            h.admin_upn(),
            Some(h.admin_upn()),
            data.to_path_buf(),
        ));
        app::welcome::remember(&session.data_dir).expect("marker");
        let now = chrono::Utc::now();
        let state = app::initial_state(&session, now, (100, 30));
        let (tx, rx) = app::channel();
        let runner = Runner::for_session(state.session().id(), session.clone(), tx, None);
        let mut app = Self {
            state,
            runner,
            rx,
            session,
            now,
        };
        for effect in app::start_effects(&app.state) {
            app.runner.run(effect);
        }
        app
    }

    fn key(&mut self, code: KeyCode) {
        let msg = Msg::Key(KeyEvent::new_with_kind(
            code,
            KeyModifiers::NONE,
            KeyEventKind::Press,
        ));
        app::step(&mut self.state, &mut self.runner, msg);
    }

    /// A tick `secs` seconds on: the clock of the lock's checks.
    fn tick(&mut self, secs: i64) {
        self.now += chrono::Duration::seconds(secs);
        app::step(&mut self.state, &mut self.runner, Msg::Tick(self.now));
    }

    async fn settle(&mut self, what: &str, done: impl Fn(&State) -> bool) {
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

    fn screen(&self) -> String {
        let mut t =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).expect("terminal");
        t.draw(|f| undelete::ui::draw(&self.state, f))
            .expect("draw");
        t.backend().to_string()
    }

    fn notice(&self) -> String {
        self.state
            .notice
            .as_ref()
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_app_says_who_holds_the_directory_before_any_dialog_and_takes_it_when_free() {
    let (_tmp, h) = common::start_sandbox(20).await;
    let data = tempfile::tempdir().expect("data dir");
    let first = App::open(&h, data.path());
    assert!(
        first.session.lock_slot().is_held(),
        "the first app holds it"
    );
    let mut second = App::open(&h, data.path());
    second
        .settle("the holder is said", |s| s.session().holder.is_some())
        .await;
    second
        .settle("all pages", |s| !s.session().users.loading())
        .await;
    let pid = format!("another undelete (pid {}) ", std::process::id());
    let holder = match second.state.session().holder.clone() {
        Some(Blocked::Held(line)) => line,
        other => panic!("another app holds it: {other:?}"),
    };
    assert!(
        holder.starts_with(&pid)
            && holder.contains(") is open on this directory, not restoring, since "),
        "{holder}"
    );
    let screen = second.screen();
    assert!(
        screen.contains("is open on this directory, not restoring"),
        "{screen}"
    );

    // (F has nothing to finish here: its refusal is unit-tested.)
    for key in [KeyCode::Enter, KeyCode::Char('r'), KeyCode::Char('D')] {
        second.key(key);
        assert!(second.state.modal.is_none(), "{key:?} opened nothing");
        assert!(
            second
                .notice()
                .contains("is unavailable: another undelete (pid "),
            "{key:?}: {}",
            second.notice()
        );
    }

    // The first starts a run: the second's next check says so.
    first
        .session
        .lock_slot()
        .set_doing(Doing::Restoring, Some(3));
    second.tick(3);
    second
        .settle("the holder's news", |s| {
            s.session().holder.as_ref().is_some_and(|h| {
                h.line()
                    .contains("is restoring 3 users on this directory, since ")
            })
        })
        .await;

    // The first app closes: within a check the second holds the directory.
    drop(first);
    second.tick(3);
    second
        .settle("free again", |s| s.session().holder.is_none())
        .await;
    assert!(second.session.lock_slot().is_held());
    assert!(second.notice().contains("available"), "{}", second.notice());
    second.key(KeyCode::Char('r'));
    assert!(
        matches!(second.state.modal, Some(Modal::Restore(_))),
        "the dialog opens now"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_refused_after_all_ends_with_a_result_that_can_be_left() {
    let (_tmp, h) = common::start_sandbox(10).await;
    let data = tempfile::tempdir().expect("data dir");
    let first = App::open(&h, data.path());
    let mut second = App::open(&h, data.path());
    second
        .settle("all pages", |s| !s.session().users.loading())
        .await;
    second
        .settle("the holder is said", |s| s.session().holder.is_some())
        .await;
    // A view that has not caught up yet (the other took the directory since the last
    // check): the dialog opens and Restore is pressed.
    second.state.session_mut().holder = None;
    second.key(KeyCode::Char('r'));
    second
        .settle("pre-flight", |s| {
            matches!(&s.modal, Some(Modal::Restore(f))
                if f.targets.iter().all(|t| t.preflight != Preflight::Checking))
        })
        .await;
    let writes = h.inspect().write_count();
    second.key(KeyCode::Enter);
    second
        .settle("a result, not a progress screen forever", |s| {
            matches!(s.modal, Some(Modal::Result(_)))
        })
        .await;
    match &second.state.modal {
        Some(Modal::Result(r)) => {
            assert_eq!(r.restored(), 0);
            let why = &r.outcomes[0]
                .failure
                .as_ref()
                .expect("failed")
                .error
                .message;
            assert!(
                why.starts_with("not restored, nothing was sent: another undelete (pid "),
                "{why}"
            );
        }
        _ => unreachable!(),
    }
    assert_eq!(h.inspect().write_count(), writes, "nothing was sent");
    // And out of it: the result screen closes with Esc (nothing to mail).
    second.key(KeyCode::Esc);
    if matches!(second.state.modal, Some(Modal::Result(_))) {
        second.key(KeyCode::Char('y'));
    }
    assert!(second.state.modal.is_none(), "left the result screen");
    drop(first);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_that_cannot_be_locked_are_said_so_and_writes_come_back_once_put_right() {
    let (_tmp, h) = common::start_sandbox(10).await;
    let data = tempfile::tempdir().expect("data dir");
    let folder = {
        let first = App::open(&h, data.path());
        first.session.books().folder().to_path_buf()
    };
    // A link where the journal goes, planted by someone who could write there.
    let journal = folder.join("journal.jsonl");
    let target = data.path().join("target.txt");
    std::fs::write(&target, "untouched").expect("target");
    std::fs::remove_file(&journal).expect("journal");
    std::os::unix::fs::symlink(&target, &journal).expect("link");

    let mut app = App::open(&h, data.path());
    app.settle("all pages", |s| !s.session().users.loading())
        .await;
    app.settle("the cause is said", |s| {
        matches!(s.session().holder, Some(Blocked::Broken(_)))
    })
    .await;
    // Nobody else holds it: nothing says "lets go", and the cause is said once.
    let screen = app.screen();
    assert!(screen.contains("⏸ cannot open the journal in"), "{screen}");
    let line = app
        .state
        .session()
        .holder
        .as_ref()
        .map(|b| b.line().to_string());
    assert!(
        line.as_deref().is_some_and(|l| l.contains("symbolic link")),
        "{line:?}"
    );
    assert!(!screen.contains("lets go"), "{screen}");
    app.key(KeyCode::Char('r'));
    assert!(app.state.modal.is_none(), "no dialog that cannot work");
    let notice = app.notice();
    assert!(
        notice.starts_with("Restore is unavailable: cannot open the journal in")
            && notice.contains("once that is put right")
            && !notice.contains("lets go")
            && notice.matches("disabled").count() == 0,
        "{notice}"
    );

    // The link is removed: at the next check the app holds the directory, without naming an
    // app that never was, and a restore goes through (its journal opened now, not refused
    // with the error of the session's start).
    std::fs::remove_file(&journal).expect("unlink");
    app.tick(3);
    app.settle("free", |s| s.session().holder.is_none()).await;
    let notice = app.notice();
    assert!(
        notice.contains("can be locked now") && !notice.contains("other undelete"),
        "{notice}"
    );
    app.key(KeyCode::Char('r'));
    app.settle("pre-flight", |s| {
        matches!(&s.modal, Some(Modal::Restore(f))
            if f.targets.iter().all(|t| t.preflight != Preflight::Checking))
    })
    .await;
    app.key(KeyCode::Enter);
    app.settle("the result", |s| matches!(s.modal, Some(Modal::Result(_))))
        .await;
    match &app.state.modal {
        Some(Modal::Result(r)) => assert_eq!(
            r.restored(),
            1,
            "{:?}",
            r.outcomes[0].failure.as_ref().map(|f| &f.error.message)
        ),
        _ => unreachable!(),
    }
    assert_eq!(
        std::fs::read_to_string(&target).expect("target"),
        "untouched"
    );
    assert!(
        !std::fs::symlink_metadata(&journal)
            .expect("journal")
            .is_symlink()
    );
    h.shutdown().await;
}
