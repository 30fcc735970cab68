//! What the app holds for each directory it works in, apart from the screen: a session per
//! directory (DESIGN.md 2.2). Each has its own table of deleted users, conflict sweep,
//! Restored view, unfinished work, lock state and tenant facts, and an id that every message
//! of its background work carries, so the news of a session that is gone (replaced by a new
//! sign-in) is dropped instead of landing in another one's rows. A run on several tenants
//! holds one session per tenant in one event loop, the screen showing one of them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::restored::RestoredView;
use super::sweep::SweepView;
use super::users::UsersView;
use crate::directory::DeletedUser;
use crate::restore::{self, Unfinished};

/// Names one session for as long as the run lasts: never reused, so a message tagged with
/// the id of a closed session cannot be taken for the news of a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(u64);

impl SessionId {
    /// The id of a run's first session (`Sessions::new`): a runner started before any
    /// state, or without one (tests of the runner alone), tags its news with it.
    pub const FIRST: SessionId = SessionId(1);
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What the app knows of where a session works and who works there. Before sign-in the
/// label names the tenant being signed into and the account is empty.
#[derive(Debug, Clone)]
pub struct Facts {
    /// "SANDBOX contoso.sandbox" or the tenant.
    pub label: String,
    /// How the run names the tenant (its `[[tenants]]` entry's name, else the tenant as
    /// configured): shown in place of the label where tenants are told apart.
    pub name: Option<String>,
    pub is_sandbox: bool,
    pub account: String,
    pub read_only: bool,
    /// App-only sign-in sends mail as this mailbox.
    pub mail_sender: Option<String>,
    /// The tenant (or Graph root) this session works on, for lines printed after the screen
    /// is gone; the sandbox's `label` says it better once signed in.
    pub directory: String,
    /// `undelete … finish` for this directory and data dir, for hints that outlive the run.
    pub finish_command: String,
    /// The optional things the sign-in may not do, with the permission to grant.
    pub lacks: Vec<(crate::auth::claims::Action, &'static str)>,
    /// Who the restore dialog mails the sign-in info to at first (`email-to`, the tenant's
    /// own in a run on several); `None` is the signed-in admin.
    pub email_to: Option<String>,
    /// Whether the restore dialog's "include the password" starts checked.
    pub include_password: bool,
}

impl Facts {
    /// How the tenants pane and the header tell this tenant from the others.
    pub fn tenant(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.label)
    }

    /// The permission the sign-in lacks to give back an item of this kind, if it does.
    pub fn lacks_for(
        &self,
        item: &crate::directory::bring_back::BringBack,
    ) -> Option<&'static str> {
        let action = crate::offboarding::action(item);
        self.lacks
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, p)| *p)
    }

    /// What the command line says before any sign-in; `label` names where the run signs in.
    pub fn from_config(config: &crate::config::Settings, label: String) -> Self {
        Self {
            label,
            name: Some(config.tenant_label()),
            is_sandbox: false,
            account: String::new(),
            read_only: config.read_only,
            mail_sender: None,
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
            lacks: Vec::new(),
            email_to: config.email_to.clone(),
            include_password: config.include_password,
        }
    }

    /// The facts of an opened session: where we are and who we are there.
    pub fn of(session: &crate::session::Session) -> Self {
        Self {
            label: session.label.clone(),
            is_sandbox: session.is_sandbox,
            account: session.account.clone(),
            mail_sender: session.mail_sender.clone(),
            lacks: session.lacks.clone(),
            ..Self::from_config(&session.settings, String::new())
        }
    }
}

/// Why this session may not change its directory now: said in the banner and by every key
/// that would, until a check (every 3 seconds, and at each write) finds it free.
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

/// One directory's session as the app holds it.
pub struct SessionState {
    id: SessionId,
    pub facts: Facts,
    pub users: UsersView,
    pub restored: RestoredView,
    /// The conflict sweep and the audit log's deletions, joined with the rows.
    pub sweep: SweepView,
    pub unfinished: Vec<Unfinished>,
    /// An earlier version's unfinished restores (its journal names no directory), shown apart.
    pub earlier: Vec<Unfinished>,
    /// Why this session may not change its directory now (another run holds it, or its books
    /// cannot be locked): restore, `F`, purge and `p` say it and do nothing until it is gone.
    pub holder: Option<Blocked>,
    /// When the directory's lock was last checked (`Effect::CheckBooks`).
    pub books_checked: Option<DateTime<Utc>>,
    /// Marks to put back once a reload brings these ids again.
    pub pending_marks: HashSet<String>,
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
    /// `F` is finishing interrupted restores: new passwords are on their way to the screen.
    pub finishing: bool,
    /// The admin left the run in flight (Esc while stopping): its end, if it still comes,
    /// opens no result screen unless it carries a password or pass.
    pub left_run: bool,
    /// What an offboarding took from each user the details pane or the restore dialog has
    /// shown, by id.
    pub offboarding: HashMap<String, OffboardingRead>,
    /// The tenant's products and free seats, once the restore dialog asked.
    pub seats: Option<SeatsRead>,
}

/// The restore dialog's read of the tenant's free seats.
#[derive(Debug, Clone)]
pub enum SeatsRead {
    Reading,
    Known(Vec<crate::directory::aftercare::Sku>),
    /// Why not, in words: licences are offered without a seat count.
    Failed(String),
}

impl SeatsRead {
    pub fn known(&self) -> Option<&[crate::directory::aftercare::Sku]> {
        match self {
            SeatsRead::Known(s) => Some(s),
            _ => None,
        }
    }
}

/// The details pane's read of what an offboarding took from one user.
#[derive(Debug, Clone)]
pub enum OffboardingRead {
    Reading,
    Found(Box<crate::offboarding::read::Found>),
    /// Why it could not be read, in words (no `AuditLog.Read.All`, for one).
    Failed(String),
}

impl SessionState {
    fn new(id: SessionId, facts: Facts) -> Self {
        Self {
            id,
            facts,
            users: UsersView::default(),
            restored: RestoredView::default(),
            sweep: SweepView::default(),
            unfinished: Vec::new(),
            earlier: Vec::new(),
            holder: None,
            books_checked: None,
            pending_marks: HashSet::new(),
            last_mail: None,
            last_step: None,
            tenant: restore::Tenant::default(),
            tap: None,
            reload: None,
            offboarding: HashMap::new(),
            seats: None,
            loaded_at: None,
            stale_since: None,
            verdict_seq: 0,
            name_seq: 0,
            finishing: false,
            left_run: false,
        }
    }

    pub fn id(&self) -> SessionId {
        self.id
    }

    /// Whether changes to the directory may start: not read-only, and nobody else holds it.
    pub fn writable(&self) -> bool {
        !self.facts.read_only && self.holder.is_none()
    }
}

/// A tenant of the run that could not be opened (its sign-in was refused, its settings are
/// wrong): shown in the tenants pane with why, while the others work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unopened {
    /// How the run names the tenant (its entry's name, else its domain).
    pub label: String,
    /// Why, cause first, in words.
    pub why: String,
}

impl Unopened {
    /// The tenants of a run as opened (`session::open_tenants`): those open, in order, and
    /// those not, with why.
    pub fn split(
        tenants: Vec<crate::session::TenantOpen>,
    ) -> (Vec<std::sync::Arc<crate::session::Session>>, Vec<Unopened>) {
        let mut open = Vec::new();
        let mut unopened = Vec::new();
        for tenant in tenants {
            match tenant.session {
                Ok(s) => open.push(s),
                Err(why) => unopened.push(Unopened {
                    label: tenant.label,
                    why,
                }),
            }
        }
        (open, unopened)
    }
}

/// The open sessions and which one the screen shows. Never empty: the app starts with the
/// session it signs into (or has opened already); a run on several tenants opens one per
/// tenant, in the order they were asked for.
pub struct Sessions {
    open: Vec<SessionState>,
    current: usize,
    /// The id the next session gets.
    next: u64,
    /// The tenants of this run that did not open, in the order asked for.
    pub unopened: Vec<Unopened>,
}

impl Sessions {
    /// The first session, current.
    pub fn new(facts: Facts) -> Self {
        Self {
            open: vec![SessionState::new(SessionId::FIRST, facts)],
            current: 0,
            next: 2,
            unopened: Vec::new(),
        }
    }

    pub fn current(&self) -> &SessionState {
        &self.open[self.current]
    }

    pub fn current_mut(&mut self) -> &mut SessionState {
        &mut self.open[self.current]
    }

    pub fn current_id(&self) -> SessionId {
        self.current().id
    }

    /// The open session `id`; `None` once it was closed or replaced.
    pub fn get_mut(&mut self, id: SessionId) -> Option<&mut SessionState> {
        self.open.iter_mut().find(|s| s.id == id)
    }

    pub fn get(&self, id: SessionId) -> Option<&SessionState> {
        self.open.iter().find(|s| s.id == id)
    }

    /// Opens one more session (another tenant of the run), behind the current one.
    pub fn add(&mut self, facts: Facts) -> SessionId {
        let id = SessionId(self.next);
        self.next += 1;
        self.open.push(SessionState::new(id, facts));
        id
    }

    /// Makes `id` the session the screen shows; `false` when no such session is open.
    pub fn show(&mut self, id: SessionId) -> bool {
        match self.open.iter().position(|s| s.id == id) {
            Some(i) => {
                self.current = i;
                true
            }
            None => false,
        }
    }

    /// Replaces the current session with a fresh one for `facts` (a new sign-in): what the
    /// old one held is dropped, and its id is never current again.
    pub fn replace_current(&mut self, facts: Facts) -> SessionId {
        let id = SessionId(self.next);
        self.next += 1;
        self.open[self.current] = SessionState::new(id, facts);
        id
    }

    pub fn iter(&self) -> impl Iterator<Item = &SessionState> {
        self.open.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut SessionState> {
        self.open.iter_mut()
    }

    /// How many tenants this run was asked for: open or not.
    pub fn tenants(&self) -> usize {
        self.open.len() + self.unopened.len()
    }

    /// More than one tenant: the header counts them and the tenants pane lists them.
    pub fn several(&self) -> bool {
        self.tenants() > 1
    }
}
