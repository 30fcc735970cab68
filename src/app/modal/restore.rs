//! The restore dialog: who is restored, with which password, new name and recipients, and
//! what the pre-flight found.

use secrecy::SecretString;
use tui_input::Input;

use super::Modal;
use crate::app::effect::Effect;
use crate::app::sessions::{OffboardingRead, SeatsRead};
use crate::app::state::{NoticeKind, State};
use crate::app::update::read_only_refusal;
use crate::directory::DeletedUser;
use crate::directory::tap::{TapAvailability, TapRequest};
use crate::offboarding::checklist::{self, Pick};
use crate::offboarding::read::Deleted;
use crate::restore;

mod answers;
mod fields;
mod keys;
mod submit;

pub(in crate::app) use answers::{on_new_name_checked, on_preflight, on_verdict, verdict_of};
pub use fields::{DialogField, PARTS, Part};
pub(in crate::app) use keys::on_key;
pub(in crate::app) use submit::submit_restore;

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
    /// What offboarding took, as a checklist, once the audit log was read (`None`: not
    /// read, being read, or unreadable; the session's `offboarding` says which).
    pub picks: Option<Vec<Pick>>,
}

impl Target {
    /// Who holds the new user name typed, when the directory said it is taken.
    pub fn new_upn_holder(&self) -> Option<&crate::directory::Holder> {
        self.found
            .as_ref()
            .and_then(|f| f.new_upn_holder(self.new_upn.value()))
    }

    /// Sign-in is ticked to come back: the account is enabled right after the restore.
    pub fn signs_in_again(&self) -> bool {
        self.picks
            .iter()
            .flatten()
            .any(|p| p.ticked && p.offer.item == crate::directory::bring_back::BringBack::SignIn)
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
    /// Only guests: no password or pass to choose (a guest signs in with its home account),
    /// so the dialog shows their hand-off instead of the password's parts.
    pub fn all_guests(&self) -> bool {
        only_guests(self.targets.iter().map(|t| &t.user))
    }

    /// The dialog for `targets`, mailing `recipients` at first, with "include the password"
    /// checked as `include_password` says.
    pub fn new(targets: Vec<DeletedUser>, recipients: &str, include_password: bool) -> Self {
        // Guests have no password part: the first field they can use is the mail's.
        let focus = if only_guests(targets.iter()) {
            DialogField::Recipients
        } else {
            DialogField::AutoPassword
        };
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
                    picks: None,
                })
                .collect(),
            auto_password: true,
            password: Input::default(),
            reveal: false,
            force_change: true,
            force_change_mfa: false,
            recipients: Input::new(recipients.to_string()),
            include_password,
            focus,
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
                    bring_back: t
                        .picks
                        .as_deref()
                        .map(checklist::ticked)
                        .unwrap_or_default(),
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

    /// The display names more than one user here has: one pass, made once per section a
    /// frame draws, so naming every user stays linear however many are marked.
    pub fn shared_names(&self) -> std::collections::HashSet<&str> {
        let mut seen = std::collections::HashSet::new();
        let mut shared = std::collections::HashSet::new();
        for t in &self.targets {
            if !seen.insert(t.user.display_name.as_str()) {
                shared.insert(t.user.display_name.as_str());
            }
        }
        shared
    }

    /// How the dialog's warnings name `t`: its display name, and its user name too when
    /// another user here has the same display name (`shared`: three "Ngozi Okafor"s are
    /// told apart).
    pub fn name_of<'a>(
        t: &'a Target,
        shared: &std::collections::HashSet<&str>,
    ) -> std::borrow::Cow<'a, str> {
        if shared.contains(t.user.display_name.as_str()) {
            format!("{} ({})", t.user.display_name, t.user.original_upn).into()
        } else {
            t.user.display_name.as_str().into()
        }
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
    let mail = state.session().facts.email_to.clone().unwrap_or_else(|| {
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
    let mut form = RestoreForm::new(targets, &mail, state.session().facts.include_password);
    form.set_tap_status(state.sessions.current_mut().tap.clone());
    state.modal = Some(Modal::Restore(Box::new(form)));
    let mut effects = effects;
    if state.sessions.current_mut().tap.is_none() {
        effects.push(Effect::LoadTapAvailability);
    }
    effects.extend(read_offboarding(state));
    sync_picks(state);
    effects
}

/// Up to this many users, the dialog reads what offboarding took from each (one audit log
/// query a user); a bigger restore gives nothing back unless `restore --bring-back` is used.
pub const READ_TAKEN_UP_TO: usize = CONFIRM_OVER;

/// The reads the checklist needs and does not have: the audit log of each user not read
/// yet (when there are few enough), and the tenant's free seats.
fn read_offboarding(state: &mut State) -> Vec<Effect> {
    let Some(Modal::Restore(form)) = &state.modal else {
        return Vec::new();
    };
    if form.targets.len() > READ_TAKEN_UP_TO {
        return Vec::new();
    }
    let users: Vec<Deleted> = form
        .targets
        .iter()
        .filter(|t| !state.session().offboarding.contains_key(&t.user.id))
        .map(|t| Deleted {
            id: t.user.id.clone(),
            deleted_at: t.user.deleted_at,
        })
        .collect();
    let session = state.session_mut();
    for u in &users {
        session
            .offboarding
            .insert(u.id.clone(), OffboardingRead::Reading);
    }
    let mut effects = Vec::new();
    if !users.is_empty() {
        effects.push(Effect::ReadOffboarding { users });
    }
    if session.seats.is_none() {
        session.seats = Some(SeatsRead::Reading);
        effects.push(Effect::ReadSeats);
    }
    effects
}

/// Builds (or refreshes, keeping the admin's ticks) each user's checklist from what the
/// session has read: the audit log's findings, the free seats, the sign-in's permissions.
pub(in crate::app) fn sync_picks(state: &mut State) {
    let session = state.sessions.current();
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return;
    };
    let seats = session.seats.as_ref().and_then(SeatsRead::known);
    let facts = &session.facts;
    for t in &mut form.targets {
        let Some(OffboardingRead::Found(found)) = session.offboarding.get(&t.user.id) else {
            continue;
        };
        let new = checklist::checklist(found, seats, &|k| facts.lacks_for(k));
        t.picks = Some(match &t.picks {
            Some(old) => checklist::refresh(old, new),
            None => new,
        });
    }
    if let Some(seats) = seats {
        let mut lists: Vec<&mut Vec<Pick>> = form
            .targets
            .iter_mut()
            .filter_map(|t| t.picks.as_mut())
            .collect();
        checklist::share_seats(&mut lists, seats);
    }
}

/// Whether `users` are all guests (and there is one at least): see `RestoreForm::all_guests`.
fn only_guests<'a>(users: impl IntoIterator<Item = &'a DeletedUser>) -> bool {
    let mut users = users.into_iter().peekable();
    users.peek().is_some() && users.all(DeletedUser::is_guest)
}
