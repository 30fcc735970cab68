//! The device-code sign-in screen, a screen of the one event loop like the table: its state
//! (`State::sign_in`, shown instead of the table until signed in), its keys (`Scope::SignIn`
//! in the key table) and what they ask of the runner (start or cancel the attempt, copy the
//! code). The runner reports the attempt back: the prompt, a failure, a cancel, or the opened
//! session, which takes the app on to the table.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::action::Action;
use super::effect::Effect;
use super::state::{NoticeKind, State};
use crate::auth::device_code::DeviceCodePrompt;
use crate::session::Session;

/// What the sign-in screen shows.
#[derive(Debug, Clone)]
pub struct SignInView {
    /// "global · contoso.onmicrosoft.com".
    pub target: String,
    pub prompt: Option<DeviceCodePrompt>,
    pub error: Option<String>,
    pub copied: bool,
    pub now: DateTime<Utc>,
    pub spinner: usize,
    pub no_color: bool,
}

/// The screen and whether the current attempt has ended.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub view: SignInView,
    /// The attempt ended in an error: `r` tries again, and Esc quits instead of cancelling.
    pub finished: bool,
}

impl SignIn {
    pub fn new(target: String, no_color: bool, now: DateTime<Utc>) -> Self {
        Self {
            view: SignInView {
                target,
                prompt: None,
                error: None,
                copied: false,
                now,
                spinner: 0,
                no_color,
            },
            finished: false,
        }
    }
}

/// A key's action on the sign-in screen (Ctrl-C, which quits everywhere, never gets here).
pub(super) fn sign_in_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(s) = state.sign_in.as_mut() else {
        return Vec::new();
    };
    match action {
        // Nothing is waiting any more: leaving is all Esc can mean.
        Some(Action::Cancel) if s.finished => quit(state),
        // Stop waiting for the browser; the attempt then ends as cancelled, which quits.
        Some(Action::Cancel) => vec![Effect::CancelSignIn],
        Some(Action::Retry) if s.finished => {
            s.finished = false;
            s.view.prompt = None;
            s.view.error = None;
            s.view.copied = false;
            vec![Effect::StartSignIn]
        }
        Some(Action::Copy) => {
            let Some(code) = s.view.prompt.as_ref().map(|p| p.user_code.clone()) else {
                return Vec::new();
            };
            s.view.copied = true;
            // Not a secret (useless without the admin's own sign-in in the browser), but the
            // clipboard effect takes one.
            vec![Effect::Copy(SecretString::from(code))]
        }
        _ => Vec::new(),
    }
}

/// The code to enter, once the identity platform gave one.
pub(super) fn on_prompt(state: &mut State, prompt: DeviceCodePrompt) {
    if let Some(s) = state.sign_in.as_mut() {
        s.view.prompt = Some(prompt);
    }
}

/// The attempt failed (not cancelled): why, as the admin reads it, stays on screen.
pub(super) fn on_failed(state: &mut State, why: String) {
    if let Some(s) = state.sign_in.as_mut() {
        s.view.error = Some(why);
        s.finished = true;
    }
}

/// The attempt ended as the admin asked (Esc): nothing was signed in, so the app ends.
pub(super) fn on_cancelled(state: &mut State) -> Vec<Effect> {
    if state.sign_in.is_some() {
        quit(state)
    } else {
        // A late report of an attempt that signed in all the same: the table stays.
        Vec::new()
    }
}

/// Signed in: the session's directory, label and account arrive, and the table loads.
pub(super) fn on_signed_in(state: &mut State, session: &Session) -> Vec<Effect> {
    if state.sign_in.take().is_none() {
        return Vec::new();
    }
    enter_session(state, session);
    super::start_effects(state)
}

/// Takes on a session: who and where (`Settings::adopt`), and its warnings (missing
/// permissions) as the first notice.
pub fn enter_session(state: &mut State, session: &Session) {
    state.settings.adopt(session);
    if !session.warnings.is_empty() {
        state.notice = Some((NoticeKind::Error, session.warnings.join(" · ")));
    }
}

pub(super) fn on_tick(state: &mut State, now: DateTime<Utc>) {
    if let Some(s) = state.sign_in.as_mut() {
        s.view.now = now;
        s.view.spinner = s.view.spinner.wrapping_add(1);
        state.dirty = true;
    }
}

fn quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    vec![Effect::Quit]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::app::fixtures;
    use crate::app::msg::Msg;
    use crate::app::update::update;
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent};
    use secrecy::ExposeSecret;

    fn key(code: KeyCode, mods: KeyModifiers) -> Msg {
        Msg::Key(KeyEvent::new_with_kind(code, mods, KeyEventKind::Press))
    }

    fn screen() -> State {
        let mut s = State::new(fixtures::settings(), fixtures::now(), (120, 40));
        s.settings.label = "global · contoso.com".into();
        s.settings.account = String::new();
        s.sign_in = Some(SignIn::new(s.settings.label.clone(), true, fixtures::now()));
        s
    }

    fn prompt() -> DeviceCodePrompt {
        DeviceCodePrompt {
            user_code: "ABCD-EFGH".into(),
            verification_uri: "https://microsoft.com/devicelogin".into(),
            expires_at: fixtures::now(),
            message: String::new(),
            interval: Default::default(),
        }
    }

    fn view(s: &State) -> &SignInView {
        &s.sign_in.as_ref().expect("on the sign-in screen").view
    }

    fn names(effects: &[Effect]) -> Vec<String> {
        effects.iter().map(|e| format!("{e:?}")).collect()
    }

    /// A session on a tenant whose directory is never called (the update only reads it).
    fn session(warnings: Vec<String>) -> Arc<Session> {
        let endpoints = crate::config::Endpoints::sandbox(
            &url::Url::parse("http://127.0.0.1:9/").expect("url"),
        );
        let tokens = crate::auth::client_credentials::ClientCredentials::new(
            &endpoints,
            "sign-in-tests",
            SecretString::from("unused".to_string()),
        )
        .expect("token source");
        let dir: Arc<dyn crate::directory::Directory> = Arc::new(
            crate::directory::graph::GraphDirectory::new(endpoints, tokens, Default::default())
                .expect("client"),
        );
        let mut s = Session::new(
            crate::config::Settings::default(),
            dir,
            "global · contoso (id) · admin@contoso.com (delegated)".into(),
            false,
            "admin@contoso.com".into(),
            None,
            PathBuf::from("/nonexistent"),
        );
        s.warnings = warnings;
        Arc::new(s)
    }

    #[test]
    fn esc_cancels_a_waiting_sign_in_and_quits_an_ended_one() {
        let mut s = screen();
        assert_eq!(
            names(&update(&mut s, key(KeyCode::Esc, KeyModifiers::NONE))),
            ["CancelSignIn"]
        );
        assert!(!s.quit, "waits for the attempt to end");
        assert_eq!(names(&update(&mut s, Msg::SignInCancelled)), ["Quit"]);
        assert!(s.quit);

        let mut s = screen();
        update(&mut s, Msg::SignInFailed("expired".into()));
        assert_eq!(
            names(&update(&mut s, key(KeyCode::Char('q'), KeyModifiers::NONE))),
            ["Quit"]
        );
        assert!(s.quit);
    }

    #[test]
    fn r_tries_again_only_after_an_error_and_starts_clean() {
        let mut s = screen();
        let r = || key(KeyCode::Char('r'), KeyModifiers::NONE);
        assert!(update(&mut s, r()).is_empty());
        update(&mut s, Msg::SignInPrompt(prompt()));
        update(&mut s, Msg::SignInFailed("expired".into()));
        assert_eq!(
            view(&s).error.as_deref(),
            Some("expired"),
            "the reason stays"
        );
        assert_eq!(names(&update(&mut s, r())), ["StartSignIn"]);
        let v = view(&s);
        assert!(
            v.prompt.is_none()
                && v.error.is_none()
                && !s.sign_in.as_ref().is_some_and(|x| x.finished)
        );
    }

    #[test]
    fn c_copies_the_code_once_there_is_one() {
        let mut s = screen();
        let c = || key(KeyCode::Char('c'), KeyModifiers::NONE);
        assert!(update(&mut s, c()).is_empty());
        update(&mut s, Msg::SignInPrompt(prompt()));
        match update(&mut s, c()).as_slice() {
            [Effect::Copy(code)] => assert_eq!(code.expose_secret(), "ABCD-EFGH"),
            other => panic!("{:?}", names(other)),
        }
        assert!(view(&s).copied);
    }

    #[test]
    fn ctrl_c_quits_at_once() {
        let mut s = screen();
        assert_eq!(
            names(&update(
                &mut s,
                key(KeyCode::Char('c'), KeyModifiers::CONTROL)
            )),
            ["Quit"]
        );
        assert!(s.quit);
    }

    #[test]
    fn table_keys_mouse_and_paste_do_nothing_on_the_sign_in_screen() {
        let mut s = screen();
        for code in [
            KeyCode::Enter,
            KeyCode::Char('j'),
            KeyCode::Char('/'),
            KeyCode::Char('?'),
        ] {
            assert!(
                update(&mut s, key(code, KeyModifiers::NONE)).is_empty(),
                "{code:?}"
            );
        }
        assert!(update(&mut s, Msg::Paste("ABCD".into())).is_empty());
        let click = MouseEvent {
            kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: 10,
            row: 10,
            modifiers: KeyModifiers::NONE,
        };
        assert!(update(&mut s, Msg::Mouse(click)).is_empty());
        assert!(update(&mut s, Msg::Resize(30, 8)).is_empty());
        assert!(s.sign_in.is_some() && s.modal.is_none() && !s.quit);
        // A tiny terminal still takes the sign-in keys (the screen is drawn at any size).
        assert_eq!(
            names(&update(&mut s, key(KeyCode::Esc, KeyModifiers::NONE))),
            ["CancelSignIn"]
        );
    }

    #[test]
    fn ticks_move_the_countdown_and_the_spinner() {
        let mut s = screen();
        s.dirty = false;
        let later = fixtures::now() + chrono::Duration::seconds(5);
        update(&mut s, Msg::Tick(later));
        assert_eq!(view(&s).now, later);
        assert_eq!(view(&s).spinner, 1);
        assert!(s.dirty);
    }

    #[test]
    fn signing_in_moves_on_to_the_table_and_starts_the_load() {
        let mut s = screen();
        update(&mut s, Msg::SignInPrompt(prompt()));
        let effects = update(
            &mut s,
            Msg::SignedIn(session(vec!["no Mail.Send: mail is refused".into()])),
        );
        assert_eq!(
            names(&effects),
            ["LoadDeleted(0)", "LoadTenant", "LoadUnfinished"]
        );
        assert!(s.sign_in.is_none(), "the table now");
        assert_eq!(s.settings.account, "admin@contoso.com");
        assert!(s.settings.label.starts_with("global · contoso"));
        assert!(!s.settings.is_sandbox);
        assert_eq!(
            s.notice,
            Some((NoticeKind::Error, "no Mail.Send: mail is refused".into()))
        );
        // The table's keys work from now on, and a late cancel report changes nothing.
        assert!(update(&mut s, Msg::SignInCancelled).is_empty());
        assert!(!s.quit);
    }
}
