//! The app's state: the table (`users`), the open modal (`modal`), and what surrounds them.
//! Everything the screen shows, as data. Only `update` changes it; `ui::draw` only reads it.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};

use crate::directory::{DeletedUser, RequestRecord};
use crate::restore::{self, Unfinished};

// The table's and the modals' types live in their own modules; these paths stay so the view
// and the tests can name everything the state holds from one place.
pub use super::modal::{
    CONFIRM_OVER, Field, HeldAddress, HelpView, JobStatus, Modal, NameCheck, PasswordPrompt,
    Preflight, ProgressLine, ProgressState, PurgeState, RestoreForm, ResultButton, ResultState,
    Target, Verdict, retryable,
};
pub use super::restored::{RestoredView, View};
pub use super::users::{Row, SortKey, UsersView};

/// How many request-log lines are kept for the `@` pane.
pub const LOG_CAPACITY: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Error,
}

/// What the screens need to know of the run and its session to decide and draw. The
/// session's part (`label`, `account`, ...) is set in one place, `adopt`; before sign-in the
/// label names the tenant being signed into and the account is empty.
#[derive(Debug, Clone)]
pub struct Settings {
    /// "SANDBOX contoso.sandbox" or the tenant.
    pub label: String,
    pub is_sandbox: bool,
    pub account: String,
    pub read_only: bool,
    pub no_color: bool,
    /// The colours; `no_color` wins over it.
    pub theme: crate::config::Theme,
    /// App-only sign-in sends mail as this mailbox.
    pub mail_sender: Option<String>,
    /// Who the restore dialog mails the sign-in info to at first (`email-to` in the settings
    /// file); `None` is the signed-in admin.
    pub default_recipients: Option<String>,
    /// Whether the restore dialog's "include the password" starts checked.
    pub include_password: bool,
    /// The admin's UTC offset: "[EXPIRES today]" and the details' purge time are in local time.
    pub local_offset: chrono::FixedOffset,
    /// The tenant (or Graph root) this run works on, for lines printed after the screen is
    /// gone; the sandbox's `label` says it better once signed in.
    pub directory: String,
    /// `undelete … finish` for this run's directory and data dir, for hints that outlive it.
    pub finish_command: String,
}

impl Settings {
    /// The run's part, from the command line; `no_color` and `local_offset` are read from the
    /// environment by the caller, so this stays pure.
    pub fn from_config(
        config: &crate::config::Settings,
        label: String,
        no_color: bool,
        local_offset: chrono::FixedOffset,
    ) -> Self {
        Self {
            label,
            is_sandbox: false,
            account: String::new(),
            read_only: config.read_only,
            no_color,
            theme: config.theme,
            mail_sender: None,
            default_recipients: config.email_to.clone(),
            include_password: config.include_password,
            local_offset,
            directory: if config.uses_sandbox() {
                "the built-in sandbox".to_string()
            } else {
                config
                    .tenant
                    .clone()
                    .or_else(|| config.graph_url.clone())
                    .unwrap_or_default()
            },
            finish_command: config.command_line("finish"),
        }
    }

    /// Takes the session's part: where we are and who we are there.
    pub fn adopt(&mut self, session: &crate::session::Session) {
        self.label = session.label.clone();
        self.is_sandbox = session.is_sandbox;
        self.account = session.account.clone();
        self.mail_sender = session.mail_sender.clone();
        self.read_only = session.settings.read_only;
    }
}

pub struct State {
    pub settings: Settings,
    /// The device-code sign-in screen, shown instead of the table until signed in.
    pub sign_in: Option<super::sign_in::SignIn>,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    pub users: UsersView,
    /// Which list the home screen shows: the deleted users or the restored ones.
    pub view: View,
    pub restored: RestoredView,
    /// The conflict sweep and the audit log's deletions, joined with the rows.
    pub sweep: super::sweep::SweepView,
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
    pub unfinished: Vec<Unfinished>,
    /// An earlier version's unfinished restores (its journal names no directory), shown apart.
    pub earlier: Vec<Unfinished>,
    /// Why this app may not change its directory now (another run holds it, or its books
    /// cannot be locked): restore, `F`, purge and `p` say it and do nothing until it is gone.
    pub holder: Option<Blocked>,
    /// When the directory's lock was last checked (`Effect::CheckBooks`).
    pub books_checked: Option<DateTime<Utc>>,
    /// Marks to put back once a reload brings these ids again.
    pub pending_marks: HashSet<String>,
    pub spinner: usize,
    /// Recipients and include-password choice of the restore in flight, for the result screen.
    pub last_mail: Option<(Vec<String>, bool)>,
    /// How the restore in flight sets passwords, for retries on the result screen.
    pub last_step: Option<restore::PasswordStep>,
    /// The tenant's verified domains, for the plan's rules (unknown until read).
    pub tenant: restore::Tenant,
    /// Whether passes can be issued (`None` until asked, at the first restore dialog).
    pub tap: Option<crate::directory::tap::TapAvailability>,
    /// A reload in progress keeps the rows on screen; its pages wait here until it is whole.
    pub reload: Option<Vec<DeletedUser>>,
    /// When the rows on screen were loaded.
    pub loaded_at: Option<DateTime<Utc>>,
    /// A reload failed: the rows are those loaded at this time.
    pub stale_since: Option<DateTime<Utc>>,
    /// Counts the password checks sent, so a late verdict on an older value is dropped.
    pub verdict_seq: u64,
    /// Numbers the checks of typed new user names, as `verdict_seq` does the password's.
    pub name_seq: u64,
    pub quit: bool,
    /// Ctrl-C asked whether to leave secrets unsent (`quit::on_ctrl_c`).
    pub quit_question: bool,
    /// `F` is finishing interrupted restores: new passwords are on their way to the screen.
    pub finishing: bool,
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

/// Why this app may not change its directory now: said in the banner and by every key that
/// would, until a check (every 3 seconds, and at each write) finds it free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// Another undelete holds the directory, in words ("another undelete (pid N) is
    /// restoring 3 users on this directory, since T"): free once that one lets go.
    Held(String),
    /// This directory's books cannot be locked or opened here (a symbolic link where the
    /// journal goes, a permission), in words: free once that is put right. Nobody else is
    /// waited for, so nothing here says "lets go".
    Broken(String),
}

impl Blocked {
    /// Who holds the directory, or why it cannot be locked.
    pub fn line(&self) -> &str {
        match self {
            Self::Held(line) | Self::Broken(line) => line,
        }
    }

    /// When writes come back, to end a sentence with.
    pub fn until(&self) -> &'static str {
        match self {
            Self::Held(_) => "once that one lets go",
            Self::Broken(_) => "once that is put right (it is tried again every 3 seconds)",
        }
    }
}

impl State {
    /// Whether a key's action does anything here and now: the footer lists only those.
    pub fn offers(&self, action: super::action::Action) -> bool {
        use super::action::Action as A;
        let writes = !self.settings.read_only && self.holder.is_none();
        match (&self.modal, action) {
            (Some(Modal::Result(r)), _) if r.prompt.is_some() || r.error_pane.is_some() => true,
            (None, A::Restore | A::Purge) => writes,
            (None, A::FinishUnfinished) => writes && !self.unfinished.is_empty(),
            (None, A::SetPassword) => {
                writes && self.restored.current().is_some_and(|r| r.needs_password())
            }
            (None, A::CopyUpn | A::CopyId) if self.view == View::Restored => {
                self.restored.current().is_some()
            }
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
        match (&self.details_scroll, self.users.current_id()) {
            (Some((id, top)), Some(cur)) if id == cur => *top,
            _ => 0,
        }
    }

    pub fn new(settings: Settings, now: DateTime<Utc>, size: (u16, u16)) -> Self {
        Self {
            settings,
            sign_in: None,
            now,
            size,
            users: UsersView::default(),
            view: View::Deleted,
            restored: RestoredView::default(),
            sweep: Default::default(),
            modal: None,
            help: None,
            welcome: false,
            details: false,
            details_scroll: None,
            log_open: false,
            log: VecDeque::new(),
            notice: None,
            unfinished: Vec::new(),
            earlier: Vec::new(),
            holder: None,
            books_checked: None,
            pending_marks: HashSet::new(),
            spinner: 0,
            last_mail: None,
            last_step: None,
            tenant: restore::Tenant::default(),
            tap: None,
            reload: None,
            loaded_at: None,
            stale_since: None,
            verdict_seq: 0,
            name_seq: 0,
            quit: false,
            quit_question: false,
            finishing: false,
            exit: None,
            dirty: true,
        }
    }
}
