//! The restore dialog: who is restored, with which password, new name and recipients, and
//! what the pre-flight found.

use secrecy::SecretString;
use tui_input::Input;

use crate::directory::DeletedUser;
use crate::restore;

/// The restore dialog's focusable widgets, in Tab order (some only appear when relevant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    AutoPassword,
    ManualPassword,
    Password,
    ForceChange,
    ForceChangeMfa,
    Recipients,
    IncludePassword,
    NewUpn(usize),
    Reconcile(usize),
    Restore,
    Cancel,
}

impl Field {
    pub fn is_text(self) -> bool {
        matches!(self, Field::Password | Field::Recipients | Field::NewUpn(_))
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
        /// Proxy addresses held by someone else.
        proxy_conflicts: Vec<String>,
    },
    Failed(String),
}

pub struct Target {
    pub user: DeletedUser,
    pub preflight: Preflight,
    /// Pre-flight's findings as the plan's rules read them.
    pub found: Option<restore::Preflight>,
    /// Shown when the UPN is taken; prefilled with a free suggestion.
    pub new_upn: Input,
    pub reconcile: bool,
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
    pub focus: Field,
    /// Why the last Restore press was refused.
    pub error: Option<String>,
    /// Restoring this many users asks once more ("Restore 248 users?").
    pub confirm_many: bool,
    /// The directory's own verdict on the typed password, when it can be asked.
    pub verdict: Verdict,
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
    pub fn new(targets: Vec<DeletedUser>, admin_mail: &str) -> Self {
        Self {
            targets: targets
                .into_iter()
                .map(|user| Target {
                    user,
                    preflight: Preflight::Checking,
                    found: None,
                    new_upn: Input::default(),
                    reconcile: true,
                })
                .collect(),
            auto_password: true,
            password: Input::default(),
            reveal: false,
            force_change: true,
            force_change_mfa: false,
            recipients: Input::new(admin_mail.to_string()),
            include_password: true,
            focus: Field::AutoPassword,
            error: None,
            confirm_many: false,
            verdict: Verdict::None,
        }
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
        req.password = if self.auto_password {
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

    /// Focus order for Tab, given what is visible now.
    pub fn fields(&self) -> Vec<Field> {
        let mut f = vec![Field::AutoPassword, Field::ManualPassword];
        if !self.auto_password {
            f.push(Field::Password);
        }
        f.push(Field::ForceChange);
        if self.force_change {
            f.push(Field::ForceChangeMfa);
        }
        f.push(Field::Recipients);
        f.push(Field::IncludePassword);
        for (i, t) in self.targets.iter().enumerate() {
            if let Preflight::Conflict {
                upn_holder,
                proxy_conflicts,
            } = &t.preflight
            {
                if upn_holder.is_some() {
                    f.push(Field::NewUpn(i));
                }
                if !proxy_conflicts.is_empty() {
                    f.push(Field::Reconcile(i));
                }
            }
        }
        f.push(Field::Restore);
        f.push(Field::Cancel);
        f
    }

    pub fn focused_input(&mut self) -> Option<&mut Input> {
        match self.focus {
            Field::Password => Some(&mut self.password),
            Field::Recipients => Some(&mut self.recipients),
            Field::NewUpn(i) => self.targets.get_mut(i).map(|t| &mut t.new_upn),
            _ => None,
        }
    }
}
