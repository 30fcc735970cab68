//! What offboarding took, given back from the restore dialog against the sandbox over HTTP:
//! the checklist arrives with the audit log, Enter restores with what is ticked, and the
//! result screen says what came back; the directory agrees.

use crossterm::event::KeyCode;
use undelete::app::modal::Modal;
use undelete::app::modal::restore::Preflight;
use undelete::directory::bring_back::BringBack;

use crate::common;
use crate::flow::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dialog_gives_back_what_offboarding_took_and_the_result_says_so() {
    let (_tmp, h) = common::start_sandbox(120).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    // A user without conflicts whose offboarding took a group that still exists and sign-in.
    let rows: Vec<_> = t
        .state
        .session()
        .users
        .rows()
        .iter()
        .map(|r| r.to_user())
        .collect();
    let now = chrono::Utc::now();
    let mut chosen = None;
    for user in rows {
        let read = undelete::offboarding::read::read(
            t.dir.as_ref(),
            &[undelete::offboarding::read::Deleted {
                id: user.id.clone(),
                deleted_at: user.deleted_at,
            }],
            now,
        )
        .await
        .pop()
        .expect("one answer")
        .expect("read");
        let offers = read.offers();
        let group = offers.iter().find_map(|o| match &o.item {
            BringBack::Group {
                name: Some(n),
                owner: false,
                ..
            } => Some(n.clone()),
            _ => None,
        });
        let pf = undelete::restore::preflight(t.dir.as_ref(), &user)
            .await
            .expect("preflight");
        if let Some(group) = group
            && read.taken.sign_in.is_some()
            && !pf.has_conflict()
        {
            chosen = Some((user, group));
            break;
        }
    }
    let (user, group) = chosen.expect("the seed offboarded a user before deleting it");
    assert_eq!(h.inspect().account_enabled(&user.id), Some(false));
    t.select(&user.id);
    t.typ("r");
    t.settle("pre-flight and the checklist", |s| {
        matches!(&s.modal, Some(Modal::Restore(f))
            if f.targets[0].preflight != Preflight::Checking && f.targets[0].picks.is_some())
    })
    .await;
    let screen = t.screen();
    assert!(screen.contains("What offboarding took"), "{screen}");
    assert!(screen.contains(&format!("[x] group {group}")), "{screen}");
    assert!(screen.contains("[x] allow sign-in again"), "{screen}");
    t.key(KeyCode::Enter);
    t.settle("the result screen with what came back", |s| {
        match &s.modal {
            Some(Modal::Result(r)) => r.outcomes.iter().all(|o| !o.brought_back.is_empty()),
            _ => false,
        }
    })
    .await;
    let screen = t.screen();
    assert!(screen.contains("✓ back: in "), "{screen}");
    assert!(h.inspect().group_names(&user.id).contains(&group));
    assert_eq!(h.inspect().account_enabled(&user.id), Some(true));
    h.shutdown().await;
}
