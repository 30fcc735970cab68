//! Everything that can happen to the app: input, time, and results of background work (which
//! carry their payload, so `update` never has to fetch anything).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use super::state::JobStatus;
use crate::directory::{DeletedPage, DirectoryError, RequestRecord};
use crate::restore::{Unfinished, UserOutcome};

/// What pre-flight found for one user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreflightFound {
    /// "Name (upn)" of the active user holding the UPN.
    pub upn_holder: Option<String>,
    pub proxy_conflicts: Vec<String>,
    /// A free user name to offer in the new-UPN field.
    pub suggested_upn: Option<String>,
}

/// No `Debug`: `RestoreFinished` carries passwords.
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// The render tick; time only ever enters through here.
    Tick(DateTime<Utc>),
    Page {
        generation: u64,
        result: Result<DeletedPage, DirectoryError>,
    },
    LoadFinished {
        generation: u64,
    },
    Preflight {
        id: String,
        result: Result<PreflightFound, String>,
    },
    Job {
        id: String,
        status: JobStatus,
    },
    /// A run (or the finishing of interrupted ones) is over. `mail`: recipients and whether
    /// the passwords go in the mail; `None` takes what the restore dialog said.
    RestoreFinished {
        outcomes: Vec<UserOutcome>,
        mail: Option<(Vec<String>, bool)>,
    },
    /// Something the admin should know that did not stop the run.
    Warning(String),
    MailSent(Result<(), String>),
    PurgeDone {
        purged: Vec<String>,
        failures: Vec<String>,
    },
    Request(RequestRecord),
    Unfinished(Vec<Unfinished>),
    /// Finishing interrupted runs could not start.
    UnfinishedFailed(String),
}
