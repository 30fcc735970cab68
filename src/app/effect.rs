//! What `update` asks the outside world to do. The event loop runs these on background tasks;
//! their results come back as `Msg`s. Quitting is not among them: `State::quit` says it, once.

use std::sync::Arc;

use secrecy::SecretString;

use super::sessions::SessionId;

use crate::directory::DeletedUser;
use crate::restore::{PasswordStep, RestorePlan, UserOutcome};
use crate::session::Session;

/// No `Debug`: it holds passwords.
pub struct MailCommand {
    pub outcomes: Vec<UserOutcome>,
    pub recipients: Vec<String>,
    pub include_password: bool,
    pub force_change: bool,
}

pub enum Effect {
    /// `effect`, for session `id` rather than the one on screen: the news of a tenant not
    /// shown asks for its own next steps, and each tenant of a run starts its own loads.
    In(SessionId, Box<Effect>),
    /// Work in this session from now on (signed in): the runner drops the session it
    /// replaces, aborting that one's tasks.
    OpenSession {
        id: SessionId,
        session: Arc<Session>,
    },
    /// Work in this session too (another tenant opened with the sign-in), off screen.
    AddSession {
        id: SessionId,
        session: Arc<Session>,
    },
    LoadDeleted {
        generation: u64,
    },
    /// Pre-flight of the dialog's users, a few at a time; each result comes as it is known.
    Preflight {
        users: Vec<DeletedUser>,
    },
    /// Read what an offboarding took from these users (the details pane and the restore
    /// dialog show it); each one's answer comes on its own.
    ReadOffboarding {
        users: Vec<crate::offboarding::read::Deleted>,
    },
    /// Read the tenant's products and free seats (the restore dialog's licences).
    ReadSeats,
    /// Read the tenant's verified domains.
    LoadTenant,
    /// Ask whether Temporary Access Passes can be issued (policy, permission, cloud).
    LoadTapAvailability,
    /// Read the journal's unfinished runs (the banner and `F`).
    LoadUnfinished,
    /// The conflict sweep (active users, groups, contacts) and the audit log's deletions of the
    /// retention window before `now`, in the background.
    Sweep {
        now: chrono::DateTime<chrono::Utc>,
    },
    /// Delta rounds from these links (users, groups, contacts) of the last sweep, and the
    /// audit log since `deletions` was read (all of it when there is none).
    SweepRefresh {
        links: [Option<String>; 3],
        deletions: Option<std::sync::Arc<crate::conflicts::DeletionsState>>,
        now: chrono::DateTime<chrono::Utc>,
    },
    /// Read what the last run kept of the sweep for this directory (`conflicts::kept`);
    /// with `--no-cache`, remove it instead.
    RecallSweep,
    /// Keep the conflict index for the next launch (unless `--no-cache`).
    KeepSweep(std::sync::Arc<crate::conflicts::Sweep>),
    /// Keep the deletion log for the next launch (unless `--no-cache`).
    KeepDeletions(std::sync::Arc<crate::conflicts::DeletionsState>),
    /// Read the journal's restored users (the Restored view).
    LoadRestored,
    /// Start a device-code sign-in off the UI thread; it reports back as `Msg::SignIn*`.
    StartSignIn,
    /// Stop the sign-in attempt waiting for the browser; it then ends as cancelled.
    CancelSignIn,
    /// Ask the directory about the typed password, after a pause (a newer `seq` wins).
    CheckPassword {
        seq: u64,
        password: SecretString,
    },
    /// Ask the directory whether the new user name typed for user `id` is free, after a
    /// pause (a newer `seq` for the same user wins).
    CheckNewUpn {
        seq: u64,
        id: String,
        upn: String,
    },
    Restore(RestorePlan),
    /// On the result screen: try failed users again, or set one user's password.
    Retry {
        /// Users whose restore failed, planned again with the run's choices.
        restore: Option<RestorePlan>,
        /// Restored users without their password.
        passwords: Vec<UserOutcome>,
        /// Restored users (with their password) some of whose items did not come back.
        items: Vec<UserOutcome>,
        step: PasswordStep,
    },
    StopRestore,
    /// End the run now, its users in flight left unfinished in the journal (`F` finishes).
    LeaveRestore,
    /// Read what came back with these restored users (their passwords are not in here).
    AfterCare {
        outcomes: Vec<UserOutcome>,
    },
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
    /// Check the directory's lock: that this session's is still its file (made again when
    /// deleted), or whether the other holder has gone (then take it). Every few seconds.
    CheckBooks,
    /// The admin found these users' sign-in mail (which may have gone out) in the inbox:
    /// close them as mailed (`restore::confirm_mail_arrived`).
    MailArrived {
        ids: Vec<String>,
    },
    /// The sandbox's first-launch panel was dismissed: remember it in the data dir.
    RememberWelcome,
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::OpenSession { id, .. } => write!(f, "OpenSession({id})"),
            Effect::AddSession { id, .. } => write!(f, "AddSession({id})"),
            Effect::In(id, effect) => write!(f, "In({id}, {effect:?})"),
            Effect::LoadDeleted { generation } => write!(f, "LoadDeleted({generation})"),
            Effect::Preflight { users } => write!(f, "Preflight({} users)", users.len()),
            Effect::ReadOffboarding { users } => {
                let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
                write!(f, "ReadOffboarding({})", ids.join(","))
            }
            Effect::ReadSeats => f.write_str("ReadSeats"),
            Effect::LoadTenant => f.write_str("LoadTenant"),
            Effect::LoadTapAvailability => f.write_str("LoadTapAvailability"),
            Effect::LoadUnfinished => f.write_str("LoadUnfinished"),
            Effect::LoadRestored => f.write_str("LoadRestored"),
            Effect::Sweep { .. } => f.write_str("Sweep"),
            Effect::SweepRefresh { .. } => f.write_str("SweepRefresh"),
            Effect::RecallSweep => f.write_str("RecallSweep"),
            Effect::KeepSweep(_) => f.write_str("KeepSweep"),
            Effect::KeepDeletions(_) => f.write_str("KeepDeletions"),
            Effect::StartSignIn => f.write_str("StartSignIn"),
            Effect::CancelSignIn => f.write_str("CancelSignIn"),
            Effect::CheckPassword { seq, .. } => write!(f, "CheckPassword({seq})"),
            Effect::CheckNewUpn { seq, id, upn } => write!(f, "CheckNewUpn({seq}, {id}, {upn})"),
            Effect::Restore(plan) => write!(
                f,
                "Restore({} users, password: {})",
                plan.users.len(),
                plan.password.kind()
            ),
            Effect::Retry {
                restore,
                passwords,
                items,
                ..
            } => write!(
                f,
                "Retry({} restores, {} passwords, {} with items)",
                restore.as_ref().map_or(0, |p| p.users.len()),
                passwords.len(),
                items.len()
            ),
            Effect::StopRestore => f.write_str("StopRestore"),
            Effect::LeaveRestore => f.write_str("LeaveRestore"),
            Effect::AfterCare { outcomes } => write!(f, "AfterCare({} users)", outcomes.len()),
            Effect::SendMail(m) => write!(f, "SendMail(to {:?})", m.recipients),
            Effect::MailSkipped { outcomes } => write!(f, "MailSkipped({})", outcomes.len()),
            Effect::Purge { users } => write!(f, "Purge({} users)", users.len()),
            Effect::Copy(_) => f.write_str("Copy([redacted])"),
            Effect::FinishUnfinished => f.write_str("FinishUnfinished"),
            Effect::CheckBooks => f.write_str("CheckBooks"),
            Effect::MailArrived { ids } => write!(f, "MailArrived({ids:?})"),
            Effect::RememberWelcome => f.write_str("RememberWelcome"),
        }
    }
}
