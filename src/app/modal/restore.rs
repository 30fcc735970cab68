//! The restore dialog: who is restored, with which password, new name and recipients, and
//! what the pre-flight found.

use std::collections::HashSet;

use crossterm::event::{Event, KeyEvent};
use secrecy::SecretString;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::Modal;
use super::progress::ProgressState;
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::state::{NoticeKind, State};
use crate::app::update::read_only_refusal;
use crate::directory::tap::{TapAvailability, TapRequest};
use crate::directory::{DeletedUser, ErrorKind};
use crate::restore::{self, PasswordStep};

/// The restore dialog's focusable widgets, in Tab order (some only appear when relevant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogField {
    AutoPassword,
    ManualPassword,
    /// "Temporary Access Pass" instead of a password.
    TapPass,
    Password,
    TapLifetime,
    TapOnce,
    ForceChange,
    ForceChangeMfa,
    Recipients,
    IncludePassword,
    NewUpn(usize),
    Reconcile(usize),
    Restore,
    Cancel,
}

impl DialogField {
    pub fn is_text(self) -> bool {
        matches!(
            self,
            DialogField::Password
                | DialogField::Recipients
                | DialogField::NewUpn(_)
                | DialogField::TapLifetime
        )
    }
}

/// What pre-flight found for one user of the dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preflight {
    Checking,
    Clear,
    Conflict {
        /// The active user now holding the UPN, as "Name (upn)".
        upn_holder: Option<String>,
        /// Proxy addresses held by a user, a group or an org contact.
        proxy_conflicts: Vec<HeldAddress>,
    },
    Failed(String),
}

/// A proxy address held elsewhere, as the dialog names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldAddress {
    pub address: String,
    /// Its holder's kind and name: `group "Sales Team"`.
    pub holder: String,
}

/// Where the directory's answer to "is the typed new user name free?" stands. The answer
/// itself goes into the target's pre-flight findings (`restore::Preflight::new_upn`), where
/// the plan's rule reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NameCheck {
    /// Nothing to ask (blank, malformed, or already known).
    #[default]
    Idle,
    /// Asked; `seq` tells a late answer about an older value from the current one.
    Asking { seq: u64 },
    /// The directory could not be asked; the restore itself refuses a taken name.
    Failed(String),
}

pub struct Target {
    pub user: DeletedUser,
    pub preflight: Preflight,
    /// Pre-flight's findings as the plan's rules read them.
    pub found: Option<restore::Preflight>,
    /// Shown when the UPN is taken; prefilled with a free suggestion.
    pub new_upn: Input,
    pub name_check: NameCheck,
    pub reconcile: bool,
}

impl Target {
    /// Who holds the new user name typed, when the directory said it is taken.
    pub fn new_upn_holder(&self) -> Option<&crate::directory::Holder> {
        self.found
            .as_ref()
            .and_then(|f| f.new_upn_holder(self.new_upn.value()))
    }

    /// The directory said the new user name typed is free.
    pub fn new_upn_free(&self) -> bool {
        self.found
            .as_ref()
            .is_some_and(|f| f.new_upn_free(self.new_upn.value()))
    }
}

/// The password prompt. No `Debug`: it holds the typed password.
pub struct RestoreForm {
    pub targets: Vec<Target>,
    pub auto_password: bool,
    pub password: Input,
    pub reveal: bool,
    pub force_change: bool,
    pub force_change_mfa: bool,
    pub recipients: Input,
    pub include_password: bool,
    pub focus: DialogField,
    /// Why the last Restore press was refused.
    pub error: Option<String>,
    /// Restoring this many users asks once more ("Restore 248 users?").
    pub confirm_many: bool,
    /// The directory's own verdict on the typed password, when it can be asked.
    pub verdict: Verdict,
    /// A Temporary Access Pass per user instead of a password.
    pub tap: bool,
    /// The pass's lifetime in minutes, as typed (prefilled with the policy's default).
    pub tap_lifetime: Input,
    pub tap_once: bool,
    /// Whether passes can be issued, and the policy (`None`: still being asked).
    pub tap_status: Option<TapAvailability>,
    /// A security option the admin pressed to turn off: it goes off only on a second press
    /// of the same key on it, so a stray Space (after a Tab out of the password field) cannot
    /// weaken a restore unseen. Any other key forgets it.
    pub confirm_off: Option<DialogField>,
}

/// What the directory said of the typed password (`validatePassword`, delegated only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Verdict {
    /// Nothing typed, or not asked yet.
    #[default]
    None,
    /// Asked; `seq` tells a late answer about an older value from the current one.
    Asking {
        seq: u64,
    },
    Valid,
    Refused(Vec<String>),
    /// The tenant could not be asked (app-only, another cloud, 403): the local rules decide.
    Unavailable(String),
}

/// More users than this ask once more before the restore starts.
pub const CONFIRM_OVER: usize = 20;

impl RestoreForm {
    /// The dialog for `targets`, mailing `recipients` at first, with "include the password"
    /// checked as `include_password` says.
    pub fn new(targets: Vec<DeletedUser>, recipients: &str, include_password: bool) -> Self {
        Self {
            targets: targets
                .into_iter()
                .map(|user| Target {
                    user,
                    preflight: Preflight::Checking,
                    found: None,
                    new_upn: Input::default(),
                    name_check: NameCheck::Idle,
                    reconcile: true,
                })
                .collect(),
            auto_password: true,
            password: Input::default(),
            reveal: false,
            force_change: true,
            force_change_mfa: false,
            recipients: Input::new(recipients.to_string()),
            include_password,
            focus: DialogField::AutoPassword,
            error: None,
            confirm_many: false,
            verdict: Verdict::None,
            tap: false,
            tap_lifetime: Input::default(),
            tap_once: false,
            tap_status: None,
            confirm_off: None,
        }
    }

    /// Takes what is known of passes here; the policy's defaults fill the pass's terms the
    /// admin has not touched yet.
    pub fn set_tap_status(&mut self, status: Option<TapAvailability>) {
        if let Some(TapAvailability::Available(p)) = &status
            && self.tap_lifetime.value().is_empty()
        {
            self.tap_lifetime = Input::new(p.default_lifetime.to_string());
            self.tap_once = p.usable_once;
        }
        if !matches!(status, Some(TapAvailability::Available(_))) && self.tap {
            self.tap = false;
        }
        self.tap_status = status;
    }

    /// Why a pass cannot be chosen now, in words; `None` when it can.
    pub fn tap_refusal(&self) -> Option<String> {
        match &self.tap_status {
            None => Some("still asking the directory whether passes can be issued".into()),
            Some(TapAvailability::Unavailable(why)) => Some(why.clone()),
            Some(TapAvailability::Available(_)) => None,
        }
    }

    /// The pass the admin asked for, by the plan's rule (`restore::pass_terms`); the error
    /// names the dialog's field.
    fn tap_request(&self) -> Result<TapRequest, String> {
        restore::pass_terms(
            self.tap_status.as_ref(),
            restore::Lifetime::Typed(self.tap_lifetime.value()),
            self.tap_once,
        )
        .map_err(|p| match p {
            restore::PassProblem::Unavailable(why) => {
                format!("No Temporary Access Pass can be issued: {why}")
            }
            restore::PassProblem::Lifetime(why) => format!("Pass lifetime: {why}"),
        })
    }

    /// The tenant's policy makes every pass one-time.
    pub fn passes_one_time(&self) -> bool {
        matches!(&self.tap_status, Some(TapAvailability::Available(p)) if p.usable_once)
    }

    /// The admin's choices as the plan's rules read them.
    pub fn request(&self) -> restore::PlanRequest {
        let mut req = restore::PlanRequest::new(
            self.targets
                .iter()
                .map(|t| restore::UserRequest {
                    user: t.user.clone(),
                    new_upn: Some(t.new_upn.value().to_string()),
                    reconcile_proxies: t.reconcile,
                    preflight: t.found.clone(),
                })
                .collect(),
        );
        req.password = if self.tap {
            // An unusable lifetime is refused by `submit_restore` before this is used.
            restore::PasswordChoice::Tap(self.tap_request().unwrap_or(TapRequest {
                lifetime_minutes: 0,
                usable_once: self.tap_once,
            }))
        } else if self.auto_password {
            restore::PasswordChoice::Auto
        } else {
            restore::PasswordChoice::Given(SecretString::from(self.password.value()))
        };
        req.force_change = self.force_change;
        req.force_change_with_mfa = self.force_change && self.force_change_mfa;
        req.recipients = self.recipients.value().to_string();
        req.include_password = self.include_password;
        req
    }

    /// Users still being checked.
    pub fn checking(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.preflight == Preflight::Checking)
            .count()
    }

    /// The first user whose typed new name the directory is still being asked about.
    fn checking_name(&self) -> Option<&Target> {
        self.targets
            .iter()
            .find(|t| matches!(t.name_check, NameCheck::Asking { .. }))
    }

    /// Focus order for Tab, given what is visible now.
    pub fn fields(&self) -> Vec<DialogField> {
        let mut f = vec![DialogField::AutoPassword, DialogField::ManualPassword];
        if !self.auto_password && !self.tap {
            f.push(DialogField::Password);
        }
        f.push(DialogField::TapPass);
        if self.tap {
            f.push(DialogField::TapLifetime);
            f.push(DialogField::TapOnce);
        } else {
            f.push(DialogField::ForceChange);
            if self.force_change {
                f.push(DialogField::ForceChangeMfa);
            }
        }
        f.push(DialogField::Recipients);
        f.push(DialogField::IncludePassword);
        for (i, t) in self.targets.iter().enumerate() {
            if let Preflight::Conflict {
                upn_holder,
                proxy_conflicts,
            } = &t.preflight
            {
                if upn_holder.is_some() {
                    f.push(DialogField::NewUpn(i));
                }
                if !proxy_conflicts.is_empty() {
                    f.push(DialogField::Reconcile(i));
                }
            }
        }
        f.push(DialogField::Restore);
        f.push(DialogField::Cancel);
        f
    }

    pub fn focused_input(&mut self) -> Option<&mut Input> {
        match self.focus {
            DialogField::Password => Some(&mut self.password),
            DialogField::Recipients => Some(&mut self.recipients),
            DialogField::TapLifetime => Some(&mut self.tap_lifetime),
            DialogField::NewUpn(i) => self.targets.get_mut(i).map(|t| &mut t.new_upn),
            _ => None,
        }
    }
}

pub(in crate::app) fn open_restore(state: &mut State) -> Vec<Effect> {
    if read_only_refusal(state, "restore") {
        return Vec::new();
    }
    let targets = state.session_mut().users.targets();
    if targets.is_empty() {
        state.notice = Some((
            NoticeKind::Error,
            if state.session_mut().users.loading() {
                "Still loading: no user to restore yet."
            } else {
                "No user selected to restore."
            }
            .into(),
        ));
        return Vec::new();
    }
    let effects = vec![Effect::Preflight {
        users: targets.clone(),
    }];
    // The settings file's recipients, else the signed-in admin; app-only sign-in has no
    // mailbox of its own, so the sending mailbox stands in (or nobody, and the admin types
    // one).
    let mail = state
        .settings
        .default_recipients
        .clone()
        .unwrap_or_else(|| {
            [
                Some(&state.sessions.current().facts.account),
                state.sessions.current().facts.mail_sender.as_ref(),
            ]
            .into_iter()
            .flatten()
            .find(|a| crate::address::parse_recipients(a).is_ok_and(|r| r.len() == 1))
            .cloned()
            .unwrap_or_default()
        });
    state.notice = None;
    let mut form = RestoreForm::new(targets, &mail, state.settings.include_password);
    form.set_tap_status(state.sessions.current_mut().tap.clone());
    state.modal = Some(Modal::Restore(Box::new(form)));
    let mut effects = effects;
    if state.sessions.current_mut().tap.is_none() {
        effects.push(Effect::LoadTapAvailability);
    }
    effects
}

pub(in crate::app) fn on_preflight(
    state: &mut State,
    id: &str,
    result: Result<restore::Preflight, String>,
) {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return;
    };
    let Some(target) = form.targets.iter_mut().find(|t| t.user.id == id) else {
        return;
    };
    target.preflight = match &result {
        Err(e) => Preflight::Failed(e.clone()),
        Ok(found) if !found.has_conflict() => Preflight::Clear,
        Ok(found) => {
            state
                .sessions
                .current_mut()
                .users
                .mark_conflict(id.to_string());
            if found.upn_holder.is_some() {
                target.new_upn = Input::new(found.suggested_upn.clone().unwrap_or_default());
                target.name_check = NameCheck::Idle;
            }
            Preflight::Conflict {
                upn_holder: found.upn_holder.as_ref().map(|h| {
                    format!(
                        "\"{}\" ({})",
                        h.display_name,
                        h.user_principal_name.as_deref().unwrap_or(&h.id)
                    )
                }),
                proxy_conflicts: found
                    .proxy_holders
                    .iter()
                    .map(|(address, h)| HeldAddress {
                        address: address.clone(),
                        holder: format!("{} \"{}\"", h.kind.noun(), h.display_name),
                    })
                    .collect(),
            }
        }
    };
    target.found = result.ok();
}

/// The directory's verdict on the typed password (for the check numbered `seq`).
pub(in crate::app) fn on_verdict(
    state: &mut State,
    seq: u64,
    result: Result<crate::directory::PasswordVerdict, crate::directory::DirectoryError>,
) {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return;
    };
    if form.verdict != (Verdict::Asking { seq }) {
        return;
    }
    form.verdict = match result {
        Ok(v) if v.valid => Verdict::Valid,
        Ok(v) => Verdict::Refused(v.messages),
        Err(e) => Verdict::Unavailable(match e.kind {
            ErrorKind::Forbidden | ErrorKind::Unauthorized => {
                "only a delegated sign-in with User.ReadWrite may ask".to_string()
            }
            ErrorKind::NotFound | ErrorKind::BadRequest => {
                "the check exists only in the global cloud".to_string()
            }
            _ => e.message.clone(),
        }),
    };
}

/// After a new user name was typed: ask the directory whether it is free (the runner waits
/// for typing to pause), unless there is nothing to ask.
fn ask_about_new_name(state: &mut State, i: usize) -> Vec<Effect> {
    let tenant = state.session_mut().tenant.clone();
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Vec::new();
    };
    let Some(t) = form.targets.get_mut(i) else {
        return Vec::new();
    };
    let typed = t.new_upn.value().trim().to_string();
    let known = t
        .found
        .as_ref()
        .and_then(|f| f.new_upn.as_ref())
        .is_some_and(|c| c.is_of(&typed));
    // A name of the wrong form is refused by the plan's rules without asking anyone.
    if typed.is_empty() || known || restore::check_upn(&typed, &tenant).is_err() {
        t.name_check = NameCheck::Idle;
        return Vec::new();
    }
    state.sessions.current_mut().name_seq += 1;
    let seq = state.sessions.current_mut().name_seq;
    t.name_check = NameCheck::Asking { seq };
    vec![Effect::CheckNewUpn {
        seq,
        id: t.user.id.clone(),
        upn: typed,
    }]
}

/// The directory's answer about a typed new user name (for the check numbered `seq`).
pub(in crate::app) fn on_new_name_checked(
    state: &mut State,
    id: &str,
    seq: u64,
    result: Result<restore::NameCheck, String>,
) {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return;
    };
    let Some(t) = form
        .targets
        .iter_mut()
        .find(|t| t.user.id == id && t.name_check == (NameCheck::Asking { seq }))
    else {
        return;
    };
    t.name_check = match result {
        Ok(check) => {
            if let Some(found) = &mut t.found {
                found.new_upn = Some(check);
            }
            NameCheck::Idle
        }
        Err(e) => NameCheck::Failed(e),
    };
}

pub(in crate::app) fn restore_key(
    state: &mut State,
    action: Option<Action>,
    key: KeyEvent,
) -> Vec<Effect> {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Vec::new();
    };
    let armed = form.confirm_off.take();
    // Turning a security option off takes the key twice on it; turning it on, once.
    let weaken = |form: &mut RestoreForm, field: DialogField, on: bool| -> bool {
        if !on || armed == Some(field) {
            return true;
        }
        form.confirm_off = Some(field);
        false
    };
    match action {
        Some(Action::NextField) | Some(Action::PrevField) => {
            let fields = form.fields();
            let pos = fields.iter().position(|f| *f == form.focus).unwrap_or(0);
            let n = fields.len();
            let next = if action == Some(Action::NextField) {
                (pos + 1) % n
            } else {
                (pos + n - 1) % n
            };
            form.focus = fields[next];
        }
        Some(Action::Toggle) => match form.focus {
            DialogField::AutoPassword => {
                form.auto_password = true;
                form.tap = false;
            }
            DialogField::ManualPassword => {
                form.auto_password = false;
                form.tap = false;
            }
            DialogField::TapPass => choose_tap(form),
            DialogField::TapOnce if form.tap_once && form.passes_one_time() => {
                form.error =
                    Some("The tenant's policy makes every Temporary Access Pass one-time.".into());
            }
            DialogField::TapOnce => form.tap_once = !form.tap_once,
            DialogField::ForceChange => {
                if weaken(form, DialogField::ForceChange, form.force_change) {
                    form.force_change = !form.force_change;
                    if !form.force_change {
                        form.force_change_mfa = false;
                    }
                }
            }
            DialogField::ForceChangeMfa => {
                if weaken(form, DialogField::ForceChangeMfa, form.force_change_mfa) {
                    form.force_change_mfa = !form.force_change_mfa;
                }
            }
            DialogField::IncludePassword => form.include_password = !form.include_password,
            DialogField::Reconcile(i) => {
                if let Some(t) = form.targets.get_mut(i) {
                    t.reconcile = !t.reconcile;
                }
            }
            DialogField::Restore => return submit_restore(state),
            DialogField::Cancel => state.modal = None,
            DialogField::Password
            | DialogField::Recipients
            | DialogField::NewUpn(_)
            | DialogField::TapLifetime => {}
        },
        Some(Action::Reveal) => form.reveal = !form.reveal,
        Some(Action::Cancel) => state.modal = None,
        Some(Action::Submit) => match form.focus {
            DialogField::Cancel => state.modal = None,
            DialogField::ManualPassword if form.auto_password || form.tap => {
                // Enter on "let me create" picks it and goes to the field, as a user expects.
                form.auto_password = false;
                form.tap = false;
                form.focus = DialogField::Password;
            }
            DialogField::TapPass if !form.tap => {
                choose_tap(form);
                if form.tap {
                    form.focus = DialogField::TapLifetime;
                }
            }
            _ => return submit_restore(state),
        },
        _ => {
            if let Some(input) = form.focused_input() {
                let changed = input
                    .handle_event(&Event::Key(key))
                    .is_some_and(|c| c.value);
                form.error = None;
                match form.focus {
                    DialogField::Password if changed => return ask_about_password(state),
                    DialogField::NewUpn(i) if changed => return ask_about_new_name(state, i),
                    _ => {}
                }
            }
        }
    }
    Vec::new()
}

/// Picks the pass, or says why it cannot be picked (the choice stays greyed).
fn choose_tap(form: &mut RestoreForm) {
    match form.tap_refusal() {
        None => {
            form.tap = true;
            form.error = None;
        }
        Some(why) => form.error = Some(format!("Temporary Access Pass unavailable: {why}")),
    }
}

/// After the typed password changed: ask the directory about it (the runner waits for typing
/// to pause), unless it already said it cannot be asked.
pub(in crate::app) fn ask_about_password(state: &mut State) -> Vec<Effect> {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Vec::new();
    };
    if matches!(form.verdict, Verdict::Unavailable(_)) {
        return Vec::new();
    }
    if form.password.value().is_empty() {
        form.verdict = Verdict::None;
        return Vec::new();
    }
    state.sessions.current_mut().verdict_seq += 1;
    let seq = state.sessions.current_mut().verdict_seq;
    form.verdict = Verdict::Asking { seq };
    vec![Effect::CheckPassword {
        seq,
        password: secrecy::SecretString::from(form.password.value()),
    }]
}

pub(in crate::app) fn submit_restore(state: &mut State) -> Vec<Effect> {
    if read_only_refusal(state, "restore") {
        return Vec::new();
    }
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Vec::new();
    };
    let checking = form.checking();
    if checking > 0 {
        form.error = Some(format!(
            "Still checking {checking} of {} user(s) for conflicts; try again in a moment.",
            form.targets.len()
        ));
        return Vec::new();
    }
    if let Some(t) = form.checking_name() {
        form.error = Some(format!(
            "Still checking whether {} is free for {}; try again in a moment.",
            t.new_upn.value().trim(),
            t.user.display_name
        ));
        return Vec::new();
    }
    if form.tap
        && let Err(e) = form.tap_request()
    {
        form.focus = DialogField::TapLifetime;
        form.error = Some(e);
        return Vec::new();
    }
    let request = form.request();
    // Every rule lives in the plan; the form only points at the field a problem is about.
    if let Some(problem) = restore::validate(&request, &state.sessions.current_mut().tenant)
        .into_iter()
        .next()
    {
        form.focus = match problem.field {
            restore::Field::Password => DialogField::Password,
            restore::Field::Recipients => DialogField::Recipients,
            restore::Field::NewUpn(i) => DialogField::NewUpn(i),
            restore::Field::User(i) if form.fields().contains(&DialogField::Reconcile(i)) => {
                DialogField::Reconcile(i)
            }
            restore::Field::User(_) => form.focus,
        };
        form.error = Some(problem.message);
        return Vec::new();
    }
    if form.targets.len() > CONFIRM_OVER && !form.confirm_many {
        form.confirm_many = true;
        return Vec::new();
    }
    let users: Vec<DeletedUser> = form.targets.iter().map(|t| t.user.clone()).collect();
    let include_password = form.include_password;
    let step = PasswordStep {
        choice: request.password.clone(),
        force_change: request.force_change,
        force_change_with_mfa: request.force_change_with_mfa,
        why: "tried again on the result screen".into(),
    };
    let plan = match restore::into_plan(request, &HashSet::new()) {
        Ok(plan) => plan,
        Err(e) => {
            form.error = Some(e);
            return Vec::new();
        }
    };
    // The typed password now lives in the plan (a secret); the editor is emptied, yank
    // buffer included, which `reset()` would keep.
    form.password = Input::default();
    state.session_mut().last_mail = Some((plan.mail_to.clone(), include_password));
    state.session_mut().last_step = Some(step);
    state.modal = Some(Modal::Progress(ProgressState::new(&users)));
    vec![Effect::Restore(plan)]
}
