//! Runs the effects `update` returns. Until the admin is signed in there is no session: the
//! runner then carries out the sign-in screen's effects (`sign_in`), and takes on the session
//! the sign-in opens (`Effect::OpenSession`); from then on the session's effects run in
//! `session`, which holds the `Arc<Session>` the app shares and tags all it reports with the
//! session's id. A run on several tenants has one such runner per tenant: an effect goes to
//! the session it names (`Effect::In`), else to the one `step` names (the one on screen). The clipboard is the runner's own (the code on
//! the sign-in screen, a password on the result screen).

mod session;
mod sign_in;

use std::io::Write;
use std::sync::Arc;

use secrecy::ExposeSecret;
use tokio::sync::Semaphore;
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
    /// The work of every open session (one per tenant of the run); empty until signed in.
    sessions: Vec<(SessionId, SessionRunner)>,
    /// The session the sign-in opened (which the next sign-in replaces), or the run's first:
    /// `run` gives it the work that names no session. The event loop's `step` names the
    /// session of each effect itself, from the state.
    current: Option<SessionId>,
    /// How many tenants list their deleted users and sweep at once: a run on fifty tenants
    /// must not open fifty listings against one throttled partner sign-in and one machine.
    tenant_slots: Arc<Semaphore>,
}

/// Tenants loading at once (the many-tenants issue's bound).
pub const TENANTS_AT_ONCE: usize = 8;

impl Runner {
    /// A runner for a session opened already (the sandbox, a cached or app-only sign-in),
    /// which the state knows as `id`.
    pub fn for_session(
        id: SessionId,
        session: Arc<Session>,
        tx: UnboundedSender<Msg>,
        clipboard: Option<ClipboardSink>,
    ) -> Self {
        Self::for_sessions(vec![(id, session)], tx, clipboard)
    }

    /// A runner for the sessions of a run on several tenants, opened already; the first is
    /// on screen.
    pub fn for_sessions(
        sessions: Vec<(SessionId, Arc<Session>)>,
        tx: UnboundedSender<Msg>,
        clipboard: Option<ClipboardSink>,
    ) -> Self {
        let mut runner = Self {
            tx,
            clipboard,
            sign_in: None,
            sessions: Vec::new(),
            current: None,
            tenant_slots: Arc::new(Semaphore::new(TENANTS_AT_ONCE)),
        };
        for (id, session) in sessions {
            runner.attach(id, session);
        }
        runner.current = runner.sessions.first().map(|(id, _)| *id);
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
            sessions: Vec::new(),
            current: None,
            tenant_slots: Arc::new(Semaphore::new(TENANTS_AT_ONCE)),
        }
    }

    /// Takes on a session: its effects run from now on, its news names `id`.
    fn attach(&mut self, id: SessionId, session: Arc<Session>) {
        self.sign_in = None;
        let runner = SessionRunner::new(id, session, self.tx.clone(), self.tenant_slots.clone());
        self.sessions.push((id, runner));
    }

    /// The work of session `id`, if it is open.
    fn session(&mut self, id: SessionId) -> Option<&mut SessionRunner> {
        self.sessions
            .iter_mut()
            .find(|(s, _)| *s == id)
            .map(|(_, r)| r)
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            // A sign-in replaces the session on screen: the one it replaces is dropped, and its
            // tasks with it.
            Effect::OpenSession { id, session } => {
                if let Some(old) = self.current.take() {
                    self.sessions.retain(|(s, _)| *s != old);
                }
                self.attach(id, session);
                self.current = Some(id);
            }
            Effect::AddSession { id, session } => self.attach(id, session),
            Effect::In(id, effect) => self.run_in(id, *effect),
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
            other => match self.current {
                Some(id) => self.run_in(id, other),
                // `update` asks for session work only once signed in.
                None => tracing::warn!(effect = ?other, "session work before sign-in, dropped"),
            },
        }
    }

    /// Runs `effect` in session `id`; the work of a session gone is dropped.
    pub fn run_in(&mut self, id: SessionId, effect: Effect) {
        match effect {
            // Whatever names its own session, or is the runner's, is not session work.
            Effect::In(..)
            | Effect::OpenSession { .. }
            | Effect::AddSession { .. }
            | Effect::Copy(_)
            | Effect::StartSignIn
            | Effect::CancelSignIn => self.run(effect),
            other => match self.session(id) {
                Some(session) => session.run(other),
                None => {
                    tracing::debug!(session = %id, effect = ?other, "work of a closed session, dropped")
                }
            },
        }
    }

    /// The loop took a page of session `id` in: its loader may fetch one more.
    pub fn page_taken(&mut self, id: SessionId) {
        if let Some(session) = self.session(id) {
            session.page_taken();
        }
    }
}
