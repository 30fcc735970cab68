//! The Restored view and `y` / `Y`, driven by keys against a sandbox over HTTP: a user restored
//! in this run shows there with where its restore stands, and what is missing is finished from
//! there with the result screen's own `p`.

use crate::common;
use crate::flow::{Harness, free_users};

use base64::Engine;
use crossterm::event::KeyCode;
use secrecy::ExposeSecret;
use undelete::app::modal::Modal;
use undelete::app::restored::View;
use undelete::restore::{MailState, PasswordState};

/// The texts the app put on the clipboard, decoded from their OSC 52 sequences.
fn copied(t: &Harness) -> Vec<String> {
    let raw = t.clipboard.lock().expect("clipboard").clone();
    let raw = String::from_utf8(raw).expect("OSC 52 is ASCII");
    raw.split('\u{7}')
        .filter_map(|seq| seq.strip_prefix("\u{1b}]52;c;"))
        .map(|b64| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64");
            String::from_utf8(bytes).expect("utf-8")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn y_and_capital_y_copy_the_selected_user_s_name_and_id() {
    let (_tmp, h) = common::start_sandbox(10).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    t.key(KeyCode::Down);
    let user = t.state.session().users.current().expect("a user");
    t.typ("y");
    t.typ("Y");
    assert_eq!(copied(&t), [user.original_upn.clone(), user.id.clone()]);
    let screen = t.screen();
    assert!(
        screen.contains(&format!(
            "Copied {}'s object id to the clipboard (OSC 52).",
            user.display_name
        )),
        "{screen}"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_user_shows_in_the_restored_view_and_p_finishes_it_there() {
    let (_tmp, h) = common::start_sandbox(40).await;
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    let id = free_users(&t, 1).await.remove(0);
    t.select(&id);
    let name = t
        .state
        .session()
        .users
        .current()
        .expect("user")
        .display_name;
    t.open_dialog().await;
    // Restored, but the directory refuses its password: something is left to finish.
    h.fail_next_password_sets(u32::MAX, undelete_sandbox::PasswordFault::Refuse);
    t.key(KeyCode::Enter);
    t.result().await;
    assert_eq!(t.result_state().missing_passwords(), 1);
    // Closed without mail: the user is gone from the deleted users, and not lost.
    t.key(KeyCode::Esc);
    t.typ("y");
    t.settle("the result closed", |s| s.modal.is_none()).await;
    let ids = [id.as_str()].into_iter().collect();
    assert!(
        t.state.session().users.ids_among(&ids).is_empty(),
        "no longer a deleted user"
    );

    t.typ("2");
    assert_eq!(t.state.view, View::Restored);
    t.settle("the journal read", |s| {
        !s.session().restored.loading && s.session().restored.rows.iter().any(|r| r.id == id)
    })
    .await;
    let r = t
        .state
        .session()
        .restored
        .current()
        .expect("the restored user")
        .clone();
    assert_eq!(r.id, id);
    assert_eq!(r.password, PasswordState::Missing);
    assert_eq!(r.mail, MailState::NotSent);
    assert_eq!(r.by.as_deref(), Some(h.admin_upn().as_str()));
    let screen = t.screen();
    for text in [
        " Restored ─ 1 in this directory",
        "[UNFINISHED]",
        "NOT SET",
        "NOT SENT",
        "active",
        "just now",
        &h.admin_upn(),
        "p set password",
    ] {
        assert!(screen.contains(text), "{text:?} in\n{screen}");
    }
    t.typ("y");
    assert_eq!(copied(&t).last(), Some(&r.upn));

    // p: the result screen's prompt for this one user; a generated password, then the mail.
    h.fail_next_password_sets(0, undelete_sandbox::PasswordFault::Refuse);
    t.typ("p");
    assert!(matches!(&t.state.modal, Some(Modal::Result(res)) if res.prompt().is_some()));
    t.key(KeyCode::Enter);
    t.result().await;
    let password = t.result_state().outcomes[0]
        .password
        .as_ref()
        .expect("a password set")
        .expose_secret()
        .to_string();
    assert!(h.inspect().password_matches(&id, &password));
    t.key(KeyCode::Enter); // Send email and close
    t.settle("the view follows the journal", |s| {
        s.modal.is_none()
            && s.session()
                .restored
                .rows
                .iter()
                .any(|r| r.id == id && matches!(r.mail, MailState::Sent { .. }))
    })
    .await;
    let mail = h.inspect().outbox().last().cloned().expect("mail");
    assert!(mail.body.contains(&password));
    let r = t.state.session().restored.current().expect("still listed");
    assert_eq!(r.password, PasswordState::Set);
    assert!(!r.unfinished);
    let screen = t.screen();
    assert!(screen.contains(&format!("{name}  {}", r.upn)), "{screen}");
    assert!(
        screen.contains(&format!("sent to {}", h.admin_upn())),
        "{screen}"
    );
    assert!(!screen.contains("[UNFINISHED]"), "{screen}");
    // 1 goes back to the deleted users.
    t.typ("1");
    assert_eq!(t.state.view, View::Deleted);
    assert!(t.screen().contains("Deleted users"));
    h.shutdown().await;
}
