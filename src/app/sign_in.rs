//! The sign-in screen, a screen of the one event loop like the table: its state
//! (`State::sign_in`, shown instead of the table until signed in), its keys (`Scope::SignIn`
//! in the key table) and what they ask of the runner (start or cancel the attempt, copy the
//! code). Every sign-in to a tenant starts here, from the first frame: app-only credentials
//! and a saved sign-in are tried while the screen says so, and a device code is asked for
//! when neither works. The runner reports the attempt back: the prompt, a failure, a cancel,
//! or the opened session, which takes the app on to the table. Leaving without a session
//! ends the run as the CLI would (`State::exit`): a failure with its line and exit code, a
//! cancel with exit 1, since the command did not do its job.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::action::Action;
use super::effect::Effect;
use super::sessions::Facts;
use super::state::{ExitReport, NoticeKind, State};
use crate::auth::AuthError;
use crate::auth::device_code::DeviceCodePrompt;
use crate::session::Session;

/// What is printed when the admin leaves the sign-in before it ended.
pub const CANCELLED: &str = "Sign-in cancelled; nothing was changed.";

/// Why an attempt failed, in the parts the screen shows, and how the run ends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInFailure {
    /// What went wrong, in words.
    pub cause: String,
    /// What to do about it (the CLI's advice for the same error), when there is a known fix.
    pub advice: Option<String>,
    /// The id Microsoft support asks for.
    pub correlation_id: Option<String>,
    /// Each tenant's own reason, when a sign-in for several opened none of them.
    pub tenants: Vec<String>,
    /// The whole error on one line, as the CLI prints it.
    pub line: String,
    pub exit_code: u8,
}

impl SignInFailure {
    pub fn from_auth(e: &AuthError) -> Self {
        Self {
            cause: e.cause(),
            advice: e.advice().map(str::to_string),
            correlation_id: e.correlation_id().map(str::to_string),
            tenants: Vec::new(),
            line: e.to_string(),
            exit_code: e.exit_code(),
        }
    }

    /// A failure with no advice (the session could not be opened after signing in).
    pub fn other(cause: String) -> Self {
        Self {
            line: cause.clone(),
            cause,
            advice: None,
            correlation_id: None,
            tenants: Vec::new(),
            exit_code: 1,
        }
    }

    /// Signed in at `home`, and not one tenant of the run could be opened with it: each
    /// tenant with its reason, cause first.
    pub fn no_tenant(home: &str, unopened: &[super::sessions::Unopened]) -> Self {
        let cause = format!(
            "signed in at {home}, but none of the {} could be opened",
            crate::text::count(unopened.len(), "tenant", "tenants")
        );
        let tenants: Vec<String> = unopened
            .iter()
            .map(|u| format!("{}: {}", u.label, u.why))
            .collect();
        Self {
            line: format!("{cause}: {}", tenants.join("; ")),
            cause,
            advice: None,
            correlation_id: None,
            tenants,
            exit_code: 1,
        }
    }

    /// The line printed when the run ends on this failure: the CLI's.
    pub fn report(&self) -> ExitReport {
        ExitReport {
            code: self.exit_code,
            message: format!("undelete: sign-in failed: {}", self.line),
        }
    }
}

/// What the sign-in screen shows.
#[derive(Debug, Clone)]
pub struct SignInView {
    /// Where: "contoso.onmicrosoft.com".
    pub target: String,
    /// How, in words: "app-only, with the certificate app.pem".
    pub how: String,
    pub prompt: Option<DeviceCodePrompt>,
    pub error: Option<SignInFailure>,
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
    pub fn new(target: String, how: String, no_color: bool, now: DateTime<Utc>) -> Self {
        Self {
            view: SignInView {
                target,
                how,
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
        // Nothing is waiting any more: leaving is all Esc and Enter can mean.
        Some(Action::Cancel | Action::Submit) if s.finished => leave(state),
        // Stop waiting (for the browser, or the identity platform); the attempt then ends as
        // cancelled, which quits.
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
pub(super) fn on_failed(state: &mut State, why: SignInFailure) {
    if let Some(s) = state.sign_in.as_mut() {
        s.view.error = Some(why);
        s.finished = true;
    }
}

/// The attempt ended as the admin asked (Esc): nothing was signed in, so the app ends.
pub(super) fn on_cancelled(state: &mut State) -> Vec<Effect> {
    if state.sign_in.is_some() {
        leave(state)
    } else {
        // A late report of an attempt that signed in all the same: the table stays.
        Vec::new()
    }
}

/// Signed in: the session takes the place of the one being signed into (its facts, a new
/// id the runner tags its news with), and the table loads.
pub(super) fn on_signed_in(state: &mut State, session: &Arc<Session>) -> Vec<Effect> {
    take_over(state, std::slice::from_ref(session), Vec::new())
}

/// Signed in at the partner's home on a run on several tenants: the first tenant opened takes
/// the place of the one being signed into, the others join it, and those not opened are
/// listed with why, as on a run whose tenants opened before the screen (`tenants_state`).
pub(super) fn on_signed_in_tenants(
    state: &mut State,
    open: &[Arc<Session>],
    unopened: Vec<super::sessions::Unopened>,
) -> Vec<Effect> {
    take_over(state, open, unopened)
}

/// The sessions opened by the sign-in (the first shown) take over from the sign-in screen;
/// each is taken on by the runner before any load starts.
fn take_over(
    state: &mut State,
    open: &[Arc<Session>],
    unopened: Vec<super::sessions::Unopened>,
) -> Vec<Effect> {
    let Some((first, rest)) = open.split_first() else {
        return Vec::new();
    };
    if state.sign_in.take().is_none() {
        return Vec::new();
    }
    let id = state.replace_session(Facts::of(first));
    show_warnings(state, first);
    let mut effects = vec![Effect::OpenSession {
        id,
        session: first.clone(),
    }];
    effects.extend(
        super::add_tenants(state, rest, unopened)
            .into_iter()
            .map(|(id, session)| Effect::AddSession { id, session }),
    );
    effects.extend(super::start_effects(state));
    effects
}

/// A session's warnings (missing permissions) as the first notice.
pub fn show_warnings(state: &mut State, session: &Session) {
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

/// Leaves the app from the sign-in screen (Esc, Enter after a failure, Ctrl-C): the run ends
/// with the failure's line and code, or as cancelled.
pub(super) fn leave(state: &mut State) -> Vec<Effect> {
    let failure = state
        .sign_in
        .as_ref()
        .filter(|s| s.finished)
        .and_then(|s| s.view.error.as_ref());
    state.exit = Some(match failure {
        Some(f) => f.report(),
        None => ExitReport {
            code: 1,
            message: CANCELLED.to_string(),
        },
    });
    state.quit = true;
    Vec::new()
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
        let mut s = State::new(
            fixtures::settings(),
            fixtures::facts(),
            fixtures::now(),
            (120, 40),
        );
        s.session_mut().facts.label = "global · contoso.com".into();
        s.session_mut().facts.account = String::new();
        s.sign_in = Some(SignIn::new(
            s.session().facts.label.clone(),
            "app-only, with a certificate".into(),
            true,
            fixtures::now(),
        ));
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

    fn expired() -> SignInFailure {
        SignInFailure::from_auth(&AuthError::Expired)
    }

    /// Entra refusing a wrong client secret, as the token endpoint says it.
    fn wrong_secret() -> AuthError {
        AuthError::Rejected(Box::new(crate::auth::oauth::AadError {
            status: 401,
            error: "invalid_client".into(),
            description: "AADSTS7000215: Invalid client secret provided.".into(),
            codes: vec![7000215],
            trace_id: None,
            correlation_id: Some("c0ffee00-1111-2222-3333-444455556666".into()),
        }))
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
        assert!(update(&mut s, Msg::SignInCancelled).is_empty());
        assert!(s.quit);

        let mut s = screen();
        update(&mut s, Msg::SignInFailed(expired()));
        assert!(update(&mut s, key(KeyCode::Char('q'), KeyModifiers::NONE)).is_empty());
        assert!(s.quit);
    }

    #[test]
    fn leaving_before_the_sign_in_ended_is_a_cancel_with_exit_1() {
        // Esc, while the credentials are tried or the code waits for the browser.
        let mut s = screen();
        update(&mut s, key(KeyCode::Esc, KeyModifiers::NONE));
        assert!(s.exit.is_none(), "not until the attempt has ended");
        update(&mut s, Msg::SignInCancelled);
        let exit = s.exit.clone().expect("an exit report");
        assert_eq!(exit.code, 1, "the command did not do its job");
        assert_eq!(exit.message, "Sign-in cancelled; nothing was changed.");
        // Ctrl-C at once, the same way.
        let mut s = screen();
        update(&mut s, Msg::SignInPrompt(prompt()));
        update(&mut s, key(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert!(s.quit);
        assert_eq!(s.exit.as_ref().map(|e| e.code), Some(1));
        assert_eq!(s.exit.map(|e| e.message).as_deref(), Some(CANCELLED));
    }

    #[test]
    fn a_failure_shows_the_clis_advice_and_ends_with_its_line_and_code() {
        for leave_key in [KeyCode::Esc, KeyCode::Enter, KeyCode::Char('q')] {
            let mut s = screen();
            assert!(
                update(&mut s, key(KeyCode::Enter, KeyModifiers::NONE)).is_empty(),
                "Enter does nothing while the sign-in goes on"
            );
            let e = wrong_secret();
            update(&mut s, Msg::SignInFailed(SignInFailure::from_auth(&e)));
            let f = view(&s).error.clone().expect("the failure");
            assert_eq!(
                f.cause,
                "AADSTS7000215: Invalid client secret provided. (invalid_client, HTTP 401)"
            );
            assert_eq!(f.advice.as_deref(), e.advice(), "the CLI's advice");
            assert!(
                f.advice
                    .as_deref()
                    .is_some_and(|a| a.contains("UNDELETE_CLIENT_SECRET"))
            );
            assert_eq!(
                f.correlation_id.as_deref(),
                Some("c0ffee00-1111-2222-3333-444455556666")
            );
            assert_eq!(
                names(&update(&mut s, key(leave_key, KeyModifiers::NONE))),
                [] as [&str; 0],
                "{leave_key:?}"
            );
            assert!(s.quit, "{leave_key:?}");
            let exit = s.exit.expect("an exit report");
            assert_eq!(exit.code, 1);
            assert_eq!(exit.message, format!("undelete: sign-in failed: {e}"));
        }
        // A set-up problem (an unreadable certificate) exits 2, as the CLI does.
        let mut s = screen();
        let e = AuthError::Config("/etc/app.pem: no such file".into());
        update(&mut s, Msg::SignInFailed(SignInFailure::from_auth(&e)));
        update(&mut s, key(KeyCode::Enter, KeyModifiers::NONE));
        assert_eq!(s.exit.map(|e| e.code), Some(2));
    }

    #[test]
    fn r_tries_again_only_after_an_error_and_starts_clean() {
        let mut s = screen();
        let r = || key(KeyCode::Char('r'), KeyModifiers::NONE);
        assert!(update(&mut s, r()).is_empty());
        update(&mut s, Msg::SignInPrompt(prompt()));
        update(&mut s, Msg::SignInFailed(expired()));
        assert_eq!(
            view(&s).error.as_ref().map(|e| e.cause.as_str()),
            Some(AuthError::Expired.to_string().as_str()),
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
    fn the_news_of_a_replaced_session_is_dropped_and_the_new_ones_lands() {
        use crate::app::msg::SessionMsg;
        use crate::app::sessions::Blocked;
        // The sign-in screen's session (what the command line said) is replaced by the one
        // the sign-in opens; news tagged with the old one may still be on its way.
        let mut s = screen();
        let old = s.session().id();
        update(&mut s, Msg::SignInFailed(expired()));
        assert_eq!(
            names(&update(&mut s, key(KeyCode::Char('r'), KeyModifiers::NONE))),
            ["StartSignIn"]
        );
        update(&mut s, Msg::SignedIn(session(vec![])));
        let new = s.session().id();
        assert_ne!(old, new, "a new session, a new id");
        let page = || SessionMsg::Page {
            generation: 0,
            result: Ok(crate::directory::DeletedPage {
                users: fixtures::users(3, fixtures::now()),
                total: Some(3),
            }),
        };
        let held = || SessionMsg::Holder(Some(Blocked::Held("another undelete (pid 1)".into())));
        let stale = [
            page(),
            held(),
            SessionMsg::Warning("of the old session".into()),
        ];
        for msg in stale {
            assert!(update(&mut s, Msg::Session { id: old, msg }).is_empty());
        }
        assert!(
            s.session().users.rows().is_empty(),
            "no rows of the old one"
        );
        assert!(s.session().holder.is_none() && s.notice.is_none());
        // The same news, tagged with the session on screen, lands.
        update(
            &mut s,
            Msg::Session {
                id: new,
                msg: page(),
            },
        );
        update(
            &mut s,
            Msg::Session {
                id: new,
                msg: held(),
            },
        );
        assert_eq!(s.session().users.rows().len(), 3);
        assert!(s.session().holder.is_some());
        // And the keys act on it: `r` now restores, and is refused as the holder says.
        update(&mut s, key(KeyCode::Char('r'), KeyModifiers::NONE));
        let said = &s.notice.as_ref().expect("refused").1;
        assert!(said.contains("another undelete (pid 1)"), "{said}");
    }

    #[test]
    fn ctrl_c_quits_at_once() {
        let mut s = screen();
        assert_eq!(
            names(&update(
                &mut s,
                key(KeyCode::Char('c'), KeyModifiers::CONTROL)
            )),
            [] as [&str; 0]
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
            [
                "OpenSession(2)",
                "RecallSweep",
                "LoadDeleted(0)",
                "LoadTenant",
                "LoadUnfinished"
            ],
            "the runner opens the new session (its news tagged 2) before it recalls and loads"
        );
        assert!(s.sign_in.is_none(), "the table now");
        assert_eq!(s.session().facts.account, "admin@contoso.com");
        assert!(s.session().facts.label.starts_with("global · contoso"));
        assert!(!s.session().facts.is_sandbox);
        assert_eq!(
            s.notice,
            Some((NoticeKind::Error, "no Mail.Send: mail is refused".into()))
        );
        // The table's keys work from now on, and a late cancel report changes nothing.
        assert!(update(&mut s, Msg::SignInCancelled).is_empty());
        assert!(!s.quit);
    }

    #[test]
    fn signing_in_for_several_tenants_opens_each_and_lists_the_one_refused() {
        let mut s = screen();
        update(&mut s, Msg::SignInPrompt(prompt()));
        let refused = crate::app::sessions::Unopened {
            label: "northwind".into(),
            why: "northwind refused the sign-in of the partner tenant contoso: AADSTS50020".into(),
        };
        let effects = update(
            &mut s,
            Msg::SignedInTenants {
                open: vec![session(Vec::new()), session(Vec::new())],
                unopened: vec![refused.clone()],
            },
        );
        let names = names(&effects);
        assert_eq!(
            names[..3],
            ["OpenSession(2)", "AddSession(3)", "RecallSweep"],
            "both taken on before any load: {names:?}"
        );
        assert!(
            names.iter().any(|n| n == "In(3, LoadDeleted(0))"),
            "the other tenant loads too: {names:?}"
        );
        assert!(s.sign_in.is_none(), "the table now");
        assert_eq!(s.sessions.iter().count(), 2);
        assert_eq!(s.sessions.unopened, [refused]);
        assert!(
            s.all.is_some(),
            "one table across the tenants, as a run opened before"
        );
        // A late report of the attempt changes nothing.
        assert!(update(&mut s, Msg::SignInCancelled).is_empty());
        assert!(!s.quit);
    }
}
