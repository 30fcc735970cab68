//! `update` driven key by key, on every screen, one file per topic; the helpers they share
//! are here. No I/O: assertions are on state and effects.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use secrecy::{ExposeSecret, SecretString};

use super::action::Action;
use super::effect::Effect;
use super::fixtures;
use super::keymap::Scope;
use super::modal::Modal;
use super::modal::help::HelpView;
use super::modal::progress::JobStatus;
use super::modal::restore::{DialogField, NameCheck, Preflight};
use super::modal::result::ResultButton;
use super::msg::{Msg, SessionMsg};
use super::sessions::Blocked;
use super::state::{NoticeKind, State};
use super::update::update;
use super::users::SortKey;
use crate::directory::{DeletedPage, DirectoryError, ErrorKind, Stage};
use crate::restore::{Failure, UserOutcome};

fn st(n: usize) -> State {
    fixtures::state(n, (120, 40))
}

fn press_mod(s: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    update(
        s,
        Msg::Key(KeyEvent::new_with_kind(code, mods, KeyEventKind::Press)),
    )
}

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    press_mod(s, code, KeyModifiers::NONE)
}

fn ch(s: &mut State, c: char) -> Vec<Effect> {
    press(s, KeyCode::Char(c))
}

fn typ(s: &mut State, text: &str) {
    for c in text.chars() {
        ch(s, c);
    }
}

fn selected_id(s: &State) -> String {
    s.session()
        .users
        .current()
        .map(|u| u.id.clone())
        .unwrap_or_default()
}

fn form(s: &State) -> &super::modal::restore::RestoreForm {
    match &s.modal {
        Some(Modal::Restore(f)) => f,
        _ => panic!("restore dialog not open"),
    }
}

fn outcome(i: usize, ok: bool) -> UserOutcome {
    let u = fixtures::user(i, fixtures::now());
    UserOutcome {
        brought_back: Vec::new(),
        run: "run-1".into(),
        id: u.id.clone(),
        display_name: u.display_name.clone(),
        original_upn: u.original_upn.clone(),
        upn: ok.then(|| u.original_upn.clone()),
        password: ok.then(|| SecretString::from(format!("Pw-{i}-Xy7#kLm2Qr"))),
        tap: None,
        failure: (!ok).then(|| Failure {
            at: fixtures::now(),
            stage: Stage::Restore,
            error: DirectoryError::new(
                ErrorKind::UpnConflict,
                "Another object with the same value for property userPrincipalName already exists.",
            ),
        }),
        force_change: true,
        wants_password: true,
        synced: false,
        guest: false,
        account_disabled: false,
        planned: Some(crate::restore::PlannedUser::as_is(u)),
        password_kept: false,
    }
}

/// The result screen of a run whose dialog chose `to`, the password included.
fn result_state(s: &mut State, outcomes: Vec<UserOutcome>, to: &[&str]) {
    s.session_mut().last_mail = Some((to.iter().map(|t| t.to_string()).collect(), true));
    fixtures::send(
        s,
        SessionMsg::RestoreFinished {
            outcomes,
            mail: None,
        },
    );
}

fn holder(name: &str, upn: &str) -> crate::directory::Holder {
    crate::directory::Holder {
        kind: crate::directory::HolderKind::User,
        id: "holder-id".into(),
        display_name: name.into(),
        user_principal_name: Some(upn.into()),
        mail: None,
        proxy_addresses: vec![],
    }
}

fn clear_preflight(s: &mut State) {
    let ids: Vec<String> = form(s).targets.iter().map(|t| t.user.id.clone()).collect();
    for id in ids {
        fixtures::send(
            s,
            SessionMsg::Preflight {
                id,
                result: Ok(crate::restore::Preflight::default()),
            },
        );
    }
}

fn start_restore(s: &mut State) -> String {
    ch(s, 'r');
    clear_preflight(s);
    let id = form(s).targets[0].user.id.clone();
    assert!(matches!(
        press(s, KeyCode::Enter).as_slice(),
        [Effect::Restore(_)]
    ));
    id
}

pub(crate) fn unfinished() -> crate::restore::Unfinished {
    crate::restore::Unfinished {
        bring_back: Vec::new(),
        run: "r".into(),
        id: "id-1".into(),
        display_name: "Adele Vance".into(),
        upn: "adele.vance@contoso.sandbox".into(),
        restore: crate::restore::RestoreState::Restored,
        password_set: false,
        wants_password: true,
        mail_done: false,
        mail_to: vec![],
        include_password: true,
        force_change: true,
        since: fixtures::now(),
        tap: None,
        account_disabled: false,
    }
}

mod restore_dialog;
mod result;
mod screens;
mod table;
