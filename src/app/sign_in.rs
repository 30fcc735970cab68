//! The device-code sign-in screen as state and a pure update, like every other screen: its
//! keys are in the key table (`Scope::SignIn`), and `tui::sign_in` only carries out what
//! `update` asks for (cancel the attempt, copy, quit, try again).

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::action::Action;
use super::keymap::{self, Scope};
use crate::auth::device_code::DeviceCodePrompt;

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

pub enum SignInMsg {
    Key(KeyEvent),
    /// The code to enter, once the identity platform gave one.
    Prompt(DeviceCodePrompt),
    /// The attempt failed (not cancelled): why, as the admin reads it.
    Failed(String),
    Tick(DateTime<Utc>),
}

/// What `update` asks of the screen's driver.
#[derive(Debug, PartialEq, Eq)]
pub enum SignInEffect {
    /// Stop waiting for the browser; the attempt then ends as cancelled, which quits.
    Cancel,
    /// Put this on the clipboard. The user code is not a secret: it is useless without the
    /// admin's own sign-in in the browser.
    Copy(String),
    Quit,
    /// Start a new attempt (the screen was reset for it).
    Retry,
}

pub fn update(s: &mut SignIn, msg: SignInMsg) -> Option<SignInEffect> {
    match msg {
        SignInMsg::Prompt(p) => s.view.prompt = Some(p),
        SignInMsg::Failed(e) => {
            s.view.error = Some(e);
            s.finished = true;
        }
        SignInMsg::Tick(now) => {
            s.view.now = now;
            s.view.spinner = s.view.spinner.wrapping_add(1);
        }
        SignInMsg::Key(k) => {
            return match keymap::lookup(Scope::SignIn, &k, false)? {
                Action::ForceQuit => Some(SignInEffect::Quit),
                Action::Cancel if s.finished => Some(SignInEffect::Quit),
                Action::Cancel => Some(SignInEffect::Cancel),
                Action::Retry if s.finished => {
                    s.finished = false;
                    s.view.prompt = None;
                    s.view.error = None;
                    s.view.copied = false;
                    Some(SignInEffect::Retry)
                }
                Action::Copy => {
                    let code = s.view.prompt.as_ref()?.user_code.clone();
                    s.view.copied = true;
                    Some(SignInEffect::Copy(code))
                }
                _ => None,
            };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};

    fn key(code: KeyCode, mods: KeyModifiers) -> SignInMsg {
        SignInMsg::Key(KeyEvent::new_with_kind(code, mods, KeyEventKind::Press))
    }

    fn screen() -> SignIn {
        SignIn::new("global · contoso.com".into(), false, Utc::now())
    }

    fn prompt() -> DeviceCodePrompt {
        DeviceCodePrompt {
            user_code: "ABCD-EFGH".into(),
            verification_uri: "https://microsoft.com/devicelogin".into(),
            expires_at: Utc::now(),
            message: String::new(),
            interval: Default::default(),
        }
    }

    #[test]
    fn esc_cancels_a_waiting_sign_in_and_quits_an_ended_one() {
        let mut s = screen();
        assert_eq!(
            update(&mut s, key(KeyCode::Esc, KeyModifiers::NONE)),
            Some(SignInEffect::Cancel)
        );
        update(&mut s, SignInMsg::Failed("expired".into()));
        assert_eq!(
            update(&mut s, key(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(SignInEffect::Quit)
        );
    }

    #[test]
    fn r_tries_again_only_after_an_error_and_starts_clean() {
        let mut s = screen();
        let r = || key(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(update(&mut s, r()), None);
        update(&mut s, SignInMsg::Prompt(prompt()));
        update(&mut s, SignInMsg::Failed("expired".into()));
        assert_eq!(update(&mut s, r()), Some(SignInEffect::Retry));
        assert!(s.view.prompt.is_none() && s.view.error.is_none() && !s.finished);
    }

    #[test]
    fn c_copies_the_code_once_there_is_one() {
        let mut s = screen();
        let c = || key(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(update(&mut s, c()), None);
        update(&mut s, SignInMsg::Prompt(prompt()));
        assert_eq!(
            update(&mut s, c()),
            Some(SignInEffect::Copy("ABCD-EFGH".into()))
        );
        assert!(s.view.copied);
    }

    #[test]
    fn ctrl_c_quits_at_once() {
        let mut s = screen();
        assert_eq!(
            update(&mut s, key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(SignInEffect::Quit)
        );
    }
}
