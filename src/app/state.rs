//! The app's state: the screen (the view, the open modal, focus, notices, the help and the
//! log pane) over the sessions it shows (`sessions`: each directory's users, sweep and work).
//! Everything the screen shows, as data. Only `update` changes it; `ui::draw` only reads it.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use super::sessions::{Facts, SessionId, SessionState, Sessions};
use crate::directory::RequestRecord;

use super::modal::Modal;
use super::modal::help::HelpView;
use super::restored::View;

/// How many request-log lines are kept for the `@` pane.
pub const LOG_CAPACITY: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Error,
}

/// The run's settings for the screen: from the command line, `NO_COLOR` and the local time
/// zone. What belongs to a directory (where, who, read-only) is its session's `Facts`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub no_color: bool,
    /// The colours; `no_color` wins over it.
    pub theme: crate::config::Theme,
    /// The admin's UTC offset: "[EXPIRES today]" and the details' purge time are in local time.
    pub local_offset: chrono::FixedOffset,
}

impl Settings {
    /// The run's part, from the command line; `no_color` and `local_offset` are read from the
    /// environment by the caller, so this stays pure.
    pub fn from_config(
        config: &crate::config::Settings,
        no_color: bool,
        local_offset: chrono::FixedOffset,
    ) -> Self {
        Self {
            no_color,
            theme: config.theme,
            local_offset,
        }
    }
}

/// The screen: what is shown and where the keyboard is, over the sessions it shows.
pub struct State {
    pub settings: Settings,
    /// The device-code sign-in screen, shown instead of the table until signed in.
    pub sign_in: Option<super::sign_in::SignIn>,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    /// The directories this run works in; the screen shows the current one.
    pub sessions: Sessions,
    /// Which list the home screen shows: the deleted users or the restored ones.
    pub view: View,
    /// The deleted users of every tenant in one table (a run on several tenants; `a` in the
    /// tenants pane), instead of the tenant on screen's alone.
    pub all: Option<super::all_tenants::AllTenants>,
    /// A restore or purge of users marked in several tenants, done tenant by tenant.
    pub tenant_runs: Option<super::tenant_runs::TenantRuns>,
    /// The end of a run in a tenant not on screen, come while another dialog was open: it
    /// opens its result (it may hold passwords) once that dialog is closed.
    pub held: Vec<(SessionId, super::msg::SessionMsg)>,
    pub modal: Option<Modal>,
    /// The `?` overlay, over the modal (if any) it was opened on.
    pub help: Option<HelpView>,
    /// The first-launch panel of the sandbox, until any key dismisses it.
    pub welcome: bool,
    pub details: bool,
    /// How far the details pane is scrolled, and for which user (by id): another user's
    /// details start at the top.
    pub details_scroll: Option<(String, usize)>,
    pub log_open: bool,
    pub log: VecDeque<RequestRecord>,
    pub notice: Option<(NoticeKind, String)>,
    pub spinner: usize,
    pub quit: bool,
    /// Ctrl-C asked whether to leave secrets unsent (`quit::on_ctrl_c`).
    pub quit_question: bool,
    /// How the run ends when it is not a plain quit (leaving the sign-in screen without a
    /// session); printed once the terminal is restored.
    pub exit: Option<ExitReport>,
    /// Set by `update` when the screen must be drawn again.
    pub dirty: bool,
}

/// The exit code of the run and the line printed on stderr after the TUI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitReport {
    pub code: u8,
    pub message: String,
}

impl State {
    /// The session the screen shows.
    pub fn session(&self) -> &SessionState {
        self.sessions.current()
    }

    pub fn session_mut(&mut self) -> &mut SessionState {
        self.sessions.current_mut()
    }

    /// Whether a key's action does anything here and now: the footer lists only those.
    pub fn offers(&self, action: super::action::Action) -> bool {
        use super::action::Action as A;
        let session = self.session();
        let writes = session.writable();
        match (&self.modal, action) {
            (Some(Modal::Result(r)), _) if r.prompt().is_some() || r.error_pane().is_some() => true,
            (None, A::Restore | A::Purge) => writes,
            (None, A::Tenants) => self.sessions.several(),
            (None, A::FinishUnfinished) => writes && !session.unfinished.is_empty(),
            (None, A::SetPassword) => {
                writes
                    && session
                        .restored
                        .current()
                        .is_some_and(|r| r.can_get_password())
            }
            (None, A::CopyUpn | A::CopyId) if self.view == View::Restored => {
                session.restored.current().is_some()
            }
            // A guest has no password to show.
            (Some(Modal::Restore(form)), A::Reveal) => !form.all_guests(),
            (Some(Modal::Result(r)), A::NextField) => r.can_send(),
            (Some(Modal::Result(r)), A::Cancel) => r.can_send(),
            (Some(Modal::Result(r)), A::Copy | A::Reveal) => {
                r.outcomes.iter().any(|o| o.password.is_some())
            }
            (Some(Modal::Result(r)), A::SetPassword) => r.missing_passwords() > 0,
            (Some(Modal::Result(r)), A::Retry) => r.retryable() > 0,
            (Some(Modal::Result(r)), A::ShowError) => {
                (0..r.outcomes.len()).any(|i| r.has_error_to_show(i))
            }
            _ => true,
        }
    }

    /// The first line of the details pane on screen (before clamping to the pane's length).
    pub fn details_top(&self) -> usize {
        match (&self.details_scroll, self.session().users.current_id()) {
            (Some((id, top)), Some(cur)) if id == cur => *top,
            _ => 0,
        }
    }

    /// A screen over its first session, which `facts` describe.
    pub fn new(settings: Settings, facts: Facts, now: DateTime<Utc>, size: (u16, u16)) -> Self {
        Self {
            settings,
            sign_in: None,
            now,
            size,
            sessions: Sessions::new(facts),
            view: View::Deleted,
            all: None,
            tenant_runs: None,
            held: Vec::new(),
            modal: None,
            help: None,
            welcome: false,
            details: false,
            details_scroll: None,
            log_open: false,
            log: VecDeque::new(),
            notice: None,
            spinner: 0,
            quit: false,
            quit_question: false,
            exit: None,
            dirty: true,
        }
    }

    /// Puts a new session in the current one's place (a sign-in): the old one's news is
    /// dropped from now on, and nothing on screen belongs to it any more.
    pub fn replace_session(&mut self, facts: Facts) -> SessionId {
        let id = self.sessions.replace_current(facts);
        self.modal = None;
        self.view = View::Deleted;
        self.details_scroll = None;
        self.notice = None;
        id
    }
}
