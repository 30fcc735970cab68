//! What `update` asks the outside world to do. The event loop runs these on background tasks;
//! their results come back as `Msg`s.

use secrecy::SecretString;

use crate::directory::DeletedUser;
use crate::restore::UserOutcome;

/// One user to restore, with the conflict resolution chosen in the dialog.
#[derive(Debug, Clone)]
pub struct PlannedTarget {
    pub user: DeletedUser,
    pub new_upn: Option<String>,
    pub reconcile_proxies: bool,
}

/// No `Debug`: it holds the typed password.
pub struct RestoreCommand {
    pub targets: Vec<PlannedTarget>,
    /// Journaled with the run so an interrupted one can still send the mail.
    pub recipients: Vec<String>,
    pub include_password: bool,
    /// `None`: generate one per user.
    pub password: Option<SecretString>,
    pub force_change: bool,
    pub force_change_mfa: bool,
}

/// No `Debug`: it holds passwords.
pub struct MailCommand {
    pub outcomes: Vec<UserOutcome>,
    pub recipients: Vec<String>,
    pub include_password: bool,
    pub force_change: bool,
}

pub enum Effect {
    LoadDeleted {
        generation: u64,
    },
    Preflight {
        user: DeletedUser,
    },
    Restore(RestoreCommand),
    StopRestore,
    SendMail(MailCommand),
    /// The admin closed without email: journal it, so these users are not "unfinished".
    MailSkipped {
        outcomes: Vec<UserOutcome>,
    },
    Purge {
        users: Vec<DeletedUser>,
    },
    /// Put a secret on the clipboard with OSC 52.
    Copy(SecretString),
    FinishUnfinished,
    Quit,
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::LoadDeleted { generation } => write!(f, "LoadDeleted({generation})"),
            Effect::Preflight { user } => write!(f, "Preflight({})", user.id),
            Effect::Restore(cmd) => write!(
                f,
                "Restore({} users, password: {})",
                cmd.targets.len(),
                if cmd.password.is_some() {
                    "given"
                } else {
                    "auto"
                }
            ),
            Effect::StopRestore => f.write_str("StopRestore"),
            Effect::SendMail(m) => write!(f, "SendMail(to {:?})", m.recipients),
            Effect::MailSkipped { outcomes } => write!(f, "MailSkipped({})", outcomes.len()),
            Effect::Purge { users } => write!(f, "Purge({} users)", users.len()),
            Effect::Copy(_) => f.write_str("Copy([redacted])"),
            Effect::FinishUnfinished => f.write_str("FinishUnfinished"),
            Effect::Quit => f.write_str("Quit"),
        }
    }
}
