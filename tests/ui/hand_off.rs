//! The Temporary Access Pass in the restore dialog, driven by keys through the real `update`
//! and effect runner against a sandbox over HTTP: chosen, issued, shown masked, mailed; and
//! greyed with the reason when the policy or our permissions forbid it.

use crate::common;

use crossterm::event::KeyCode;
use secrecy::ExposeSecret;
use undelete::app::modal::Modal;
use undelete::app::modal::restore::Preflight;
use undelete::app::state::State;
use undelete::directory::DeletedUser;
use undelete_sandbox::{APP_ROLES, SandboxHandle};

use super::flow::Harness;

/// A user with no conflict, not synced, not a guest.
async fn plain_user(t: &Harness) -> DeletedUser {
    for row in t.state.session().users.rows() {
        let u = row.to_user();
        let pf = undelete::restore::preflight(t.dir.as_ref(), &u)
            .await
            .expect("preflight");
        if !pf.has_conflict() && !u.on_premises_sync_enabled && !u.is_guest() {
            return u;
        }
    }
    panic!("no plain user in the seed");
}

fn tap_known(s: &State) -> bool {
    matches!(&s.modal, Some(Modal::Restore(f))
        if f.tap_status.is_some() && f.targets.iter().all(|x| x.preflight != Preflight::Checking))
}

/// Opens the dialog for a plain user and waits until pre-flight and the pass question are in.
async fn open_dialog(h: &SandboxHandle) -> (Harness, DeletedUser) {
    let mut t = Harness::new(h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    let user = plain_user(&t).await;
    t.select(&user.id);
    t.key(KeyCode::Enter);
    t.settle("pre-flight and the pass question", tap_known)
        .await;
    (t, user)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_chosen_in_the_dialog_is_issued_shown_masked_and_mailed() {
    let (_tmp, h) = common::start_sandbox(60).await;
    let (mut t, user) = open_dialog(&h).await;
    assert!(
        t.screen()
            .contains("Temporary Access Pass instead of a password")
    );
    t.key(KeyCode::Tab);
    t.key(KeyCode::Tab);
    t.key(KeyCode::Enter); // picks the pass, focus on its lifetime
    assert!(
        t.screen().contains("minutes (policy 60–480)"),
        "{}",
        t.screen()
    );
    t.key(KeyCode::Tab);
    t.key(KeyCode::Char(' ')); // one-time use
    t.key(KeyCode::BackTab);
    t.key(KeyCode::Backspace);
    t.key(KeyCode::Backspace);
    t.typ("90");
    t.key(KeyCode::Enter);
    t.settle("the result screen", |s| {
        matches!(s.modal, Some(Modal::Result(_)))
    })
    .await;
    let pass = match &t.state.modal {
        Some(Modal::Result(r)) => {
            let o = &r.outcomes[0];
            let terms = o.tap.expect("a pass, not a password");
            assert!(terms.usable_once);
            o.password
                .as_ref()
                .expect("the pass")
                .expose_secret()
                .to_string()
        }
        _ => unreachable!(),
    };
    assert!(!t.screen().contains(&pass), "masked until v");
    assert!(t.screen().contains("TAP until"), "{}", t.screen());
    t.typ("v");
    assert!(t.screen().contains(&pass), "v reveals");
    t.key(KeyCode::Enter); // Send email and close
    t.settle("mail sent", |s| s.modal.is_none()).await;

    let inspect = h.inspect();
    assert!(inspect.is_active(&user.id));
    assert!(inspect.tap_matches(&user.id, &pass));
    assert_eq!(inspect.taps(&user.id), (1, Some((90, true))));
    let mail = inspect.outbox().last().cloned().expect("mail");
    assert!(
        mail.body
            .contains(&format!("Temporary Access Pass: {pass}")),
        "{}",
        mail.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_disabled_by_policy_is_greyed_with_the_reason() {
    let (_tmp, h) = common::start_sandbox_with(40, |c| c.tap_policy(false)).await;
    let (mut t, _) = open_dialog(&h).await;
    assert!(
        t.screen().contains("disabled in the tenant's"),
        "{}",
        t.screen()
    );
    t.key(KeyCode::Tab);
    t.key(KeyCode::Tab);
    t.key(KeyCode::Char(' '));
    match &t.state.modal {
        Some(Modal::Restore(f)) => {
            assert!(!f.tap, "not chosen");
            assert!(f.auto_password, "the password stays the hand-off");
            let e = f.error.as_deref().unwrap_or_default();
            assert!(e.contains("Temporary Access Pass unavailable"), "{e}");
        }
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_without_the_permission_is_greyed_with_the_reason() {
    let roles: Vec<&str> = APP_ROLES
        .iter()
        .copied()
        .filter(|r| *r != "UserAuthenticationMethod.ReadWrite.All")
        .collect();
    let (_tmp, h) = common::start_sandbox_with(40, |c| c.app_roles(&roles)).await;
    let (mut t, _) = open_dialog(&h).await;
    let screen = t.screen();
    assert!(
        screen.contains("UserAuthenticationMethod.ReadWrite.All"),
        "{screen}"
    );
    t.key(KeyCode::Tab);
    t.key(KeyCode::Tab);
    t.key(KeyCode::Enter);
    match &t.state.modal {
        Some(Modal::Restore(f)) => assert!(!f.tap, "not chosen"),
        _ => panic!("the dialog stays open"),
    }
}
