//! Runs the effects `update` returns. Until the admin is signed in there is no session: the
//! runner then carries out the sign-in screen's effects (`sign_in`), and takes on the session
//! the sign-in opens (`Effect::OpenSession`); from then on the session's effects run in
//! `session`, which holds the one `Arc<Session>` the app shares and tags all it reports
//! with the session's id. The clipboard is the runner's own (the code on
//! the sign-in screen, a password on the result screen).

mod session;
mod sign_in;

use std::io::Write;
use std::sync::Arc;

use secrecy::ExposeSecret;
use tokio::sync::mpsc::UnboundedSender;

use super::effect::Effect;
use super::msg::Msg;
use super::sessions::SessionId;
use crate::auth::AuthContext;
use crate::session::Session;
use session::SessionRunner;
use sign_in::SignInAttempts;

/// Where OSC 52 clipboard writes go (the terminal in production, a buffer in tests).
pub type ClipboardSink = Box<dyn Write + Send>;

pub struct Runner {
    tx: UnboundedSender<Msg>,
    clipboard: Option<ClipboardSink>,
    /// How to sign in, when this run signs in on the screen.
    sign_in: Option<SignInAttempts>,
    /// `None` until signed in.
    session: Option<SessionRunner>,
}

impl Runner {
    /// A runner for a session opened already (the sandbox, a cached or app-only sign-in),
    /// which the state knows as `id`.
    pub fn for_session(
        id: SessionId,
        session: Arc<Session>,
        tx: UnboundedSender<Msg>,
        clipboard: Option<ClipboardSink>,
    ) -> Self {
        let mut runner = Self {
            tx,
            clipboard,
            sign_in: None,
            session: None,
        };
        runner.attach(id, session);
        runner
    }

    /// A runner that signs in first: `Effect::StartSignIn` starts a device-code attempt with
    /// `auth`, and the session it opens (with `settings`) arrives as `Msg::SignedIn`.
    pub fn for_sign_in(
        auth: AuthContext,
        settings: crate::config::Settings,
        tx: UnboundedSender<Msg>,
        clipboard: Option<ClipboardSink>,
    ) -> Self {
        Self {
            tx,
            clipboard,
            sign_in: Some(SignInAttempts::new(auth, settings)),
            session: None,
        }
    }

    /// Takes on a session: its effects run from now on, its news names `id`. The session it
    /// replaces is dropped, and its tasks with it.
    fn attach(&mut self, id: SessionId, session: Arc<Session>) {
        self.sign_in = None;
        self.session = Some(SessionRunner::new(id, session, self.tx.clone()));
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::OpenSession { id, session } => self.attach(id, session),
            Effect::Copy(secret) => {
                if let Some(out) = &mut self.clipboard {
                    // A terminal that cannot take it shows nothing either way; the screens
                    // still show what was copied (the code, or the password with `v`).
                    let _ = crate::clipboard::copy(out, secret.expose_secret().as_bytes());
                }
            }
            Effect::StartSignIn => match &mut self.sign_in {
                Some(attempts) => attempts.start(&self.tx),
                None => tracing::warn!("a sign-in was asked for, but this run has no sign-in"),
            },
            Effect::CancelSignIn => {
                if let Some(attempts) = &self.sign_in {
                    attempts.cancel();
                }
            }
            other => match &mut self.session {
                Some(session) => session.run(other),
                // `update` asks for session work only once signed in.
                None => tracing::warn!(effect = ?other, "session work before sign-in, dropped"),
            },
        }
    }

    /// The loop took a page in: the loader may fetch one more.
    pub fn page_taken(&self) {
        if let Some(session) = &self.session {
            session.page_taken();
        }
    }
}
