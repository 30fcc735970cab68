//! One event loop on two tenants of a multi-tenant sandbox, over HTTP: each tenant's rows are
//! its own, the tenants pane puts another on screen, and a restore there goes to that tenant
//! alone, its journal in its own books.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use secrecy::SecretString;
use tokio::sync::mpsc::UnboundedReceiver;
use undelete::app::modal::Modal;
use undelete::app::msg::Msg;
use undelete::app::runner::Runner;
use undelete::app::sessions::Unopened;
use undelete::app::state::State;
use undelete::app::{self};
use undelete::auth::client_credentials::ClientCredentials;
use undelete::config::{Endpoints, Settings};
use undelete::data_dir::DirectoryId;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::session::Session;
use undelete_sandbox::{SandboxConfig, SandboxHandle};

struct Run {
    state: State,
    runner: Runner,
    rx: UnboundedReceiver<Msg>,
}

impl Run {
    /// The event loop over `open` (and `unopened`), every open tenant's table loaded.
    async fn loaded(
        open: &[Arc<Session>],
        unopened: Vec<Unopened>,
    ) -> (Run, Vec<(undelete::app::sessions::SessionId, Arc<Session>)>) {
        let (mut state, ids) = app::tenants_state(open, unopened, chrono::Utc::now(), (120, 40));
        state.settings.no_color = true;
        let (tx, rx) = app::channel();
        let runner = Runner::for_sessions(ids.clone(), tx, None);
        let mut run = Run { state, runner, rx };
        for effect in app::start_effects(&mut run.state) {
            run.runner.run(effect);
        }
        run.settle("every open tenant loaded", |s| {
            s.sessions
                .iter()
                .all(|t| !t.users.loading() && !t.users.rows().is_empty())
        })
        .await;
        (run, ids)
    }

    fn key(&mut self, code: KeyCode) {
        let msg = Msg::Key(KeyEvent::new_with_kind(
            code,
            KeyModifiers::NONE,
            KeyEventKind::Press,
        ));
        app::step(&mut self.state, &mut self.runner, msg);
    }

    /// Enter on the restore dialog once pre-flight has checked its users, then its result.
    async fn restore_when_checked(&mut self) {
        self.settle(
            "pre-flight",
            |s| matches!(&s.modal, Some(Modal::Restore(f)) if f.checking() == 0),
        )
        .await;
        self.key(KeyCode::Enter);
        self.settle(
            "the result screen",
            |s| matches!(&s.modal, Some(Modal::Result(r)) if !r.busy),
        )
        .await;
    }

    async fn settle(&mut self, what: &str, done: impl Fn(&State) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !done(&self.state) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(msg)) => {
                    app::step(&mut self.state, &mut self.runner, msg);
                }
                _ => panic!("timed out waiting for: {what}"),
            }
        }
    }
}

/// A sandbox of three tenants of 30 users on a store of its own, and a data dir past the
/// first-launch panel.
struct Sandbox {
    h: SandboxHandle,
    tenants: Vec<undelete_sandbox::TenantInfo>,
    data: tempfile::TempDir,
    _store: tempfile::TempDir,
}

impl Sandbox {
    async fn of_three() -> Self {
        let store = tempfile::tempdir().expect("store");
        let h = undelete_sandbox::spawn(SandboxConfig::new(store.path()).users(30).tenants(3))
            .await
            .expect("sandbox starts");
        let tenants = h.tenants();
        let data = tempfile::tempdir().expect("data dir");
        app::welcome::remember(data.path()).expect("marker");
        Self {
            h,
            tenants,
            data,
            _store: store,
        }
    }
}

/// A session on one tenant of `h`, app-only at that tenant's authority, on books of its own.
fn session(h: &SandboxHandle, domain: &str, id: &str, data: &std::path::Path) -> Arc<Session> {
    let endpoints = Endpoints {
        tenant: domain.to_string(),
        ..Endpoints::sandbox(h.base_url())
    };
    let tokens = ClientCredentials::new(
        &endpoints,
        "ui-tenants-tests",
        SecretString::from(h.client_secret().to_string()),
    )
    .expect("client credentials");
    let admin = format!("admin@{domain}");
    let options = GraphOptions {
        mail_sender: Some(admin.clone()),
        backoff_base: Duration::from_millis(20),
        ..GraphOptions::default()
    };
    let dir = Arc::new(GraphDirectory::new(endpoints, tokens, options).expect("graph client"));
    let settings = Settings {
        tenant: Some(domain.to_string()),
        ..Settings::default()
    };
    Arc::new(
        Session::new(
            settings,
            dir,
            format!("SANDBOX {domain}"),
            true,
            admin.clone(),
            Some(admin),
            data.to_path_buf(),
        )
        .on_directory(DirectoryId::graph(h.base_url(), id)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tenants_load_side_by_side_and_a_restore_stays_in_its_tenant() {
    let sb = Sandbox::of_three().await;
    let (h, tenants, data) = (&sb.h, &sb.tenants, &sb.data);
    let open: Vec<Arc<Session>> = tenants[..2]
        .iter()
        .map(|t| session(h, &t.domain, &t.id, data.path()))
        .collect();
    let unopened = vec![Unopened {
        label: tenants[2].domain.clone(),
        why: "refused on purpose by this test".into(),
    }];
    let (mut run, ids) = Run::loaded(&open, unopened).await;

    // Each table holds exactly its tenant's deleted users.
    for (t, (id, _)) in tenants.iter().zip(&ids) {
        let served = h.inspect_tenant(&t.domain).expect("served").deleted_ids();
        let mut shown: Vec<String> = run
            .state
            .sessions
            .get(*id)
            .expect("open")
            .users
            .rows()
            .iter()
            .map(|r| r.id().to_string())
            .collect();
        shown.sort();
        let mut served = served;
        served.sort();
        assert_eq!(shown, served, "{}'s table is its own", t.domain);
    }

    // Fabrikam on screen, its first user restored.
    let fabrikam = ids[1].0;
    run.key(KeyCode::Char('t'));
    run.key(KeyCode::Char('g'));
    run.key(KeyCode::Down);
    run.key(KeyCode::Enter);
    assert_eq!(run.state.session().id(), fabrikam);
    let user = run
        .state
        .session()
        .users
        .current_id()
        .expect("a user")
        .to_string();
    run.key(KeyCode::Char('r'));
    run.restore_when_checked().await;
    let fab = h.inspect_tenant(&tenants[1].domain).expect("served");
    let contoso = h.inspect_tenant(&tenants[0].domain).expect("served");
    assert!(fab.is_active(&user), "restored in Fabrikam");
    assert!(
        !contoso.is_active(&user),
        "an id of Fabrikam means nothing in Contoso"
    );

    // The journal written is Fabrikam's alone.
    let journal_of = |s: &Arc<Session>| {
        std::fs::read_to_string(s.books().folder().join("journal.jsonl")).unwrap_or_default()
    };
    assert!(journal_of(&open[1]).contains(&user), "Fabrikam's journal");
    assert!(
        !journal_of(&open[0]).contains(&user),
        "nothing in Contoso's journal"
    );
    sb.h.shutdown().await;
}

/// Moves the cursor of the table across tenants down to the next row of `tenant` (its
/// position among the open sessions) and marks it.
fn mark_next_of(run: &mut Run, tenant: u16) -> String {
    let all = run.state.all.as_ref().expect("the table across tenants");
    let from = all.selected();
    let at = all.entries()[from..]
        .iter()
        .position(|e| e.tenant == tenant)
        .expect("a row of that tenant")
        + from;
    for _ in from..at {
        run.key(KeyCode::Char('j'));
    }
    let id = run
        .state
        .session()
        .users
        .current_id()
        .expect("selected")
        .to_string();
    // Space marks and moves on.
    run.key(KeyCode::Char(' '));
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selection_across_tenants_is_restored_tenant_by_tenant_each_in_its_own() {
    let sb = Sandbox::of_three().await;
    let (h, tenants, data) = (&sb.h, &sb.tenants, &sb.data);
    let open: Vec<Arc<Session>> = tenants
        .iter()
        .map(|t| session(h, &t.domain, &t.id, data.path()))
        .collect();
    let (mut run, ids) = Run::loaded(&open, Vec::new()).await;
    assert!(run.state.all.is_some(), "several tenants open in one table");

    // Two of Contoso's users and one of Northwind's, marked in the one table.
    let contoso_a = mark_next_of(&mut run, 0);
    let contoso_b = mark_next_of(&mut run, 0);
    let northwind = mark_next_of(&mut run, 2);
    run.key(KeyCode::Enter);
    assert!(matches!(run.state.modal, Some(Modal::TenantRuns)));
    let runs = run
        .state
        .tenant_runs
        .as_ref()
        .expect("the run across tenants");
    assert_eq!(runs.question(), "Restore 3 users in 2 tenants?");

    run.key(KeyCode::Char('y'));
    for (tenant, users) in [
        (0usize, vec![&contoso_a, &contoso_b]),
        (2, vec![&northwind]),
    ] {
        let (id, _) = ids[tenant];
        assert_eq!(run.state.session().id(), id, "tenant {tenant} on screen");
        let Some(Modal::Restore(form)) = &run.state.modal else {
            panic!("tenant {tenant}'s own dialog");
        };
        let mut asked: Vec<&String> = form.targets.iter().map(|t| &t.user.id).collect();
        asked.sort();
        let mut want = users.clone();
        want.sort();
        assert_eq!(asked, want, "only tenant {tenant}'s marked users");
        run.restore_when_checked().await;
        if tenant == 0 {
            // Contoso's closed without email (asked first): its skip is its own journal's.
            run.key(KeyCode::Tab);
            run.key(KeyCode::Enter);
            run.key(KeyCode::Char('y'));
        } else {
            // Send email and close: the run ends.
            run.key(KeyCode::Enter);
        }
        run.settle("the mail sent and the result closed", |s| {
            !matches!(s.modal, Some(Modal::Result(_)))
        })
        .await;
    }
    assert!(run.state.tenant_runs.is_none(), "the run is over");
    assert!(run.state.modal.is_none());
    let notice = run
        .state
        .notice
        .as_ref()
        .map(|n| n.1.clone())
        .unwrap_or_default();
    assert!(
        notice.contains("Restore across 2 tenants done")
            && notice.contains("2 of 2 (sign-in info not sent)")
            && notice.contains("1 of 1."),
        "{notice}"
    );

    // Each user came back in its own tenant, with that tenant's token, and nowhere else.
    let served = |i: usize| h.inspect_tenant(&tenants[i].domain).expect("served");
    for id in [&contoso_a, &contoso_b] {
        assert!(served(0).is_active(id), "{id} restored in Contoso");
        assert!(!served(2).is_active(id));
    }
    assert!(served(2).is_active(&northwind), "restored in Northwind");
    assert!(!served(0).is_active(&northwind));
    assert!(!served(1).is_active(&northwind) && !served(1).is_active(&contoso_a));
    // Each tenant's journal holds its own users only; Fabrikam's holds none.
    let journal_of = |s: &Arc<Session>| {
        std::fs::read_to_string(s.books().folder().join("journal.jsonl")).unwrap_or_default()
    };
    assert!(journal_of(&open[0]).contains(&contoso_a));
    assert!(
        journal_of(&open[0]).contains("mail_skipped"),
        "Contoso's skipped mail is in Contoso's journal"
    );
    assert!(
        !journal_of(&open[2]).contains("mail_skipped"),
        "not Northwind's"
    );
    assert!(!journal_of(&open[0]).contains(&northwind));
    assert!(journal_of(&open[2]).contains(&northwind));
    assert!(!journal_of(&open[2]).contains(&contoso_a));
    assert!(
        !journal_of(&open[1]).contains(&northwind) && !journal_of(&open[1]).contains(&contoso_a)
    );
    sb.h.shutdown().await;
}
