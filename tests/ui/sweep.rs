//! The conflict sweep in the TUI, driven by keys against a sandbox over HTTP: badges appear
//! once it lands, `c` shows only conflicted users, the details pane names each holder and who
//! deleted the user (or why it cannot), and `R` refreshes it with delta rounds.

use crate::common;
use crate::flow::Harness;

use undelete::app::state::State;
use undelete::app::sweep::Phase;
use undelete::conflicts::{Conflict, ConflictKind, SourceStatus};
use undelete::directory::HolderKind;

fn landed(s: &State) -> bool {
    s.session().sweep.phase == Phase::Done && s.session().sweep.deletions.is_some()
}

/// The details pane's lines for the selected user, unwrapped (one per field or warning).
/// Each conflicted user of the last join with its conflicts, as the details pane finds them.
fn swept(t: &Harness) -> Vec<(String, Vec<Conflict>)> {
    let session = t.state.session();
    let users = &session.users;
    users
        .rows()
        .iter()
        .filter(|r| users.swept_conflicts().contains(r.id()))
        .map(|r| {
            let user = r.to_user();
            (user.id.clone(), session.sweep.conflicts_of(&user))
        })
        .collect()
}

fn pane_text(t: &Harness) -> String {
    use undelete::app::details::DetailLine;
    undelete::app::details::lines(&t.state, 1000)
        .into_iter()
        .map(|l| match l {
            DetailLine::Field { label, value } => format!("{label}{value}"),
            DetailLine::Title(x)
            | DetailLine::Warning(x)
            | DetailLine::Label(x)
            | DetailLine::Plain(x) => x,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Walks to the user with keys (from the top of what is shown) and returns the screen.
fn show_details(t: &mut Harness, id: &str) -> String {
    t.select(id);
    if !t.state.details {
        t.typ("i");
    }
    t.screen()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn badges_appear_once_the_sweep_lands_and_c_shows_only_the_conflicted() {
    let (_tmp, h) = common::start_sandbox(120).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    // Loaded, the sweep only just asked for: no badge yet, and the header says it works.
    assert_eq!(t.state.session().sweep.phase, Phase::Reading);
    let screen = t.screen();
    assert!(!screen.contains("[CONFLICT]"), "{screen}");
    assert!(screen.contains("checking conflicts…"), "{screen}");

    t.settle("the sweep and the audit log", landed).await;
    let sweep = t.state.session().sweep.sweep.as_ref().expect("the index");
    assert!(sweep.is_complete(), "{:?}", sweep.problems());
    let conflicted: Vec<String> = t
        .state
        .session()
        .users
        .swept_conflicts()
        .iter()
        .cloned()
        .collect();
    assert!(!conflicted.is_empty(), "the seed has conflicts");
    assert!(
        !t.screen().contains("checking conflicts"),
        "the header is quiet again"
    );

    // `c`: only the conflicted users, each with its badge; `c` again: everyone.
    t.typ("c");
    let shown = t.state.session().users.shown().to_vec();
    assert_eq!(shown.len(), conflicted.len());
    for i in &shown {
        let id = t.state.session().users.rows()[*i as usize].id();
        assert!(t.state.session().users.is_conflict(id), "{id} shown");
    }
    let screen = t.screen();
    assert!(screen.contains("only conflicts"), "{screen}");
    assert!(
        screen.contains("[CONFLICT]") || screen.contains("[C]"),
        "{screen}"
    );
    t.typ("c");
    assert_eq!(t.state.session().users.shown().len(), 120);

    // A user name held by an active user: the holder by kind, name and id, and the offer.
    let (id, conflict) = swept(&t)
        .iter()
        .find_map(|(id, cs)| {
            cs.iter()
                .find(|c| c.kind == ConflictKind::Upn)
                .map(|c| (id.clone(), c.clone()))
        })
        .expect("a user name conflict in the seed");
    let screen = show_details(&mut t, &id);
    assert!(screen.contains("⚠ user name"), "{screen}");
    // The pane wraps its lines to its width; unwrapped, each says it whole.
    let said = pane_text(&t);
    assert!(
        said.contains(&format!(
            "is held by user \"{}\" ({})",
            conflict.holder.name, conflict.holder.id
        )),
        "{said}"
    );
    assert!(
        said.contains("→ choose a new user name"),
        "what the dialog will offer:\n{said}"
    );
    // The pre-flight, the authority, agrees.
    let user = t.state.session().users.current().expect("selected");
    let pf = undelete::restore::preflight(t.dir.as_ref(), &user)
        .await
        .expect("pre-flight");
    assert!(pf.upn_holder.is_some());

    // A proxy address held by a group or a contact is named as such.
    if let Some((id, c)) = swept(&t).iter().find_map(|(id, cs)| {
        cs.iter()
            .find(|c| c.holder.kind != HolderKind::User)
            .map(|c| (id.clone(), c.clone()))
    }) {
        show_details(&mut t, &id);
        let want = format!("is held by {} \"{}\"", c.holder.kind.noun(), c.holder.name);
        let said = pane_text(&t);
        assert!(said.contains(&want), "{want} in {said}");
    }

    // Deleted by the sync service: [BY SYNC] in the row, and why it matters in the pane.
    let synced = t
        .state
        .session()
        .sweep
        .by_sync
        .iter()
        .next()
        .cloned()
        .expect("the seed has sync deletions");
    let screen = show_details(&mut t, &synced);
    assert!(
        screen.contains("[BY SYNC]") || screen.contains("[BS]"),
        "{screen}"
    );
    let said = pane_text(&t);
    assert!(
        said.contains("The directory sync service deleted it"),
        "{said}"
    );
    assert!(screen.contains("Deleted by"), "{screen}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_deleted_it_without_audit_permission_is_said_and_the_table_works() {
    let (_tmp, h) = common::start_sandbox_with(60, |c| c.deny("AuditLog.Read.All")).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    t.settle("the sweep and the audit log", landed).await;
    assert!(matches!(
        t.state
            .session()
            .sweep
            .deletions
            .as_ref()
            .map(|d| &d.status),
        Some(SourceStatus::NotPermitted { .. })
    ));
    assert!(t.state.session().sweep.by_sync.is_empty());
    assert_eq!(
        t.state.session().users.rows().len(),
        60,
        "the table is whole"
    );
    let id = t.state.session().users.rows()[0].id().to_string();
    let screen = show_details(&mut t, &id);
    // The pane wraps the permission's name after a dot where it is narrow.
    assert!(screen.contains("unknown — needs AuditLog.Read"), "{screen}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_refreshes_the_sweep_with_delta_rounds() {
    let (_tmp, h) = common::start_sandbox(120).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    t.settle("the sweep and the audit log", landed).await;
    // A user whose conflicts are all one active user's (its user name, its address).
    let (id, holder) = swept(&t)
        .iter()
        .find_map(|(id, cs)| {
            let first = &cs[0].holder;
            (first.kind == HolderKind::User && cs.iter().all(|c| c.holder.id == first.id))
                .then(|| (id.clone(), first.id.clone()))
        })
        .expect("a user held up by one active user");
    // The holder is deleted elsewhere (another admin, another tool).
    let token = common::app_token(&h).await;
    let (status, _, _) = common::send(
        reqwest::Method::DELETE,
        &common::graph(&h, &format!("users/{holder}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);

    t.typ("R");
    t.settle("the reload", |s| {
        s.session().sweep.phase == Phase::Refreshing
    })
    .await;
    assert!(t.screen().contains("refreshing conflicts…"));
    t.settle("the delta rounds", |s| {
        s.session().sweep.phase == Phase::Done
    })
    .await;
    assert!(
        !t.state.session().users.swept_conflicts().contains(&id),
        "the holder is gone: no conflict"
    );
    assert!(!t.state.session().users.is_conflict(&id));
    // The holder is a deleted user now, and has no conflict of its own.
    assert!(
        t.state
            .session()
            .users
            .rows()
            .iter()
            .any(|r| r.id() == holder)
    );
    h.shutdown().await;
}

/// The kept conflict index of the sandbox's directory in `data`.
fn kept_index(data: &std::path::Path) -> std::path::PathBuf {
    common::sandbox_books(data).join(undelete::conflicts::kept::INDEX_FILE)
}

/// Waits for the runner's background write of what is kept.
async fn kept_written(data: &std::path::Path) {
    let path = kept_index(data);
    for _ in 0..200 {
        if path.exists() && common::sandbox_books(data).join("deletions.kept").exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("nothing kept at {}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_launch_shows_the_kept_badges_at_once_as_of_then_refreshes_by_delta() {
    use undelete::config::Settings;
    let (_tmp, h) = common::start_sandbox(120).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut first = Harness::launch(&h, data, Settings::default());
    first.settle("the sweep and the audit log", landed).await;
    let conflicted = first.state.session().users.swept_conflicts().len();
    assert!(conflicted > 0);
    let data = first.quit();
    kept_written(data.path()).await;

    // The next launch: the badges are there before the deleted users have even loaded.
    let before = h.inspect().request_count();
    let mut second = Harness::launch(&h, data, Settings::default());
    second
        .settle("what was kept", |s| s.session().sweep.kept_as_of.is_some())
        .await;
    let as_of = second.state.session().sweep.kept_as_of.clone().unwrap();
    assert!(
        as_of.len() == 5 && as_of.as_bytes()[2] == b':',
        "today's time: {as_of}"
    );
    second
        .settle("all pages", |s| !s.session().users.loading())
        .await;
    second
        .settle("the kept badges joined", |s| {
            !s.session().users.swept_conflicts().is_empty()
        })
        .await;
    let screen = second.screen();
    assert!(
        screen.contains(&format!("conflicts as of {as_of}")),
        "{screen}"
    );
    // In the column's one form: short here, where a row's full words would cut its name.
    assert!(
        screen.contains("[CONFLICT]") || screen.contains("[C]"),
        "{screen}"
    );
    // `c` works on the kept badges at once.
    second.typ("c");
    assert_eq!(second.state.session().users.shown().len(), conflicted);
    second.typ("c");
    second.state.notice = None;
    second
        .settle("one delta round", |s| {
            s.session().sweep.phase == Phase::Done && s.session().sweep.kept_as_of.is_none()
        })
        .await;
    assert_eq!(
        second.state.session().users.swept_conflicts().len(),
        conflicted
    );
    assert!(!second.screen().contains("as of"));
    assert!(second.state.notice.is_none(), "{:?}", second.state.notice);
    // Far fewer requests than a sweep: the deleted users, 3 delta rounds, the audit log since.
    let requests = h.inspect().request_count() - before;
    assert!(requests <= 8, "{requests} requests");

    // Tokens that expired meanwhile: `R` reads in full, and says so once.
    h.expire_delta_tokens();
    second.typ("R");
    second
        .settle("the fallback", |s| {
            s.session().sweep.phase == Phase::Done && s.notice.is_some()
        })
        .await;
    let notice = second.state.notice.clone().unwrap().1;
    assert!(
        notice.contains("refused the kept delta tokens of active users, groups and org contacts"),
        "{notice}"
    );
    assert_eq!(
        second.state.session().users.swept_conflicts().len(),
        conflicted
    );
    let screen = second.screen();
    assert_eq!(screen.matches("refused the kept").count(), 1, "{screen}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_cache_nothing_is_recalled_or_kept_and_what_was_kept_is_removed() {
    use undelete::config::Settings;
    let (_tmp, h) = common::start_sandbox(60).await;
    let data = tempfile::tempdir().expect("data dir");
    let mut first = Harness::launch(&h, data, Settings::default());
    first.settle("the sweep and the audit log", landed).await;
    let data = first.quit();
    kept_written(data.path()).await;

    let no_cache = Settings {
        cache: false,
        ..Settings::default()
    };
    let mut second = Harness::launch(&h, data, no_cache);
    second
        .settle("all pages", |s| !s.session().users.loading())
        .await;
    assert!(second.state.session().sweep.kept_as_of.is_none());
    assert_eq!(
        second.state.session().sweep.phase,
        Phase::Reading,
        "a full sweep"
    );
    second.settle("the sweep and the audit log", landed).await;
    let data = second.quit();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !kept_index(data.path()).exists(),
        "removed, and not kept again"
    );
    h.shutdown().await;
}
