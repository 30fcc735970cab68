//! Everything that can happen to the app: input, time, and results of background work (which
//! carry their payload, so `update` never has to fetch anything). A session's results come
//! tagged with its id (`Msg::Session`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use super::modal::progress::JobStatus;
use super::sessions::SessionId;
use crate::auth::device_code::DeviceCodePrompt;
use crate::directory::{DeletedPage, DirectoryError, PasswordVerdict, RequestRecord};
use crate::restore::{self, Unfinished, UserOutcome};
use crate::session::Session;

/// A sign-in mail that failed: why, in words, and whether it may have gone out all the same
/// (its request was written and the reply lost), so the passwords in it may be in an inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFailed {
    pub why: String,
    pub may_have_gone: bool,
}

impl MailFailed {
    /// A mail that surely never left: refused before it was sent, or never written.
    pub fn not_sent(why: impl Into<String>) -> Self {
        Self {
            why: why.into(),
            may_have_gone: false,
        }
    }
}

impl From<&str> for MailFailed {
    /// A mail refused before it was sent.
    fn from(why: &str) -> Self {
        Self::not_sent(why)
    }
}

/// Input, time, the sign-in screen's attempts, and the news of sessions. No `Debug`: a
/// session's `RestoreFinished` carries passwords.
// The session's news is nearly every message (each page, each request line): boxing it would
// allocate for each, and the enum is no larger than when those were its own variants.
#[allow(clippy::large_enum_variant)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// The render tick; time only ever enters through here.
    Tick(DateTime<Utc>),
    /// The device-code sign-in: the code to enter, once the identity platform gave one.
    SignInPrompt(DeviceCodePrompt),
    /// The sign-in failed (not cancelled), or its session could not be opened: why.
    SignInFailed(super::sign_in::SignInFailure),
    /// The sign-in ended because the admin cancelled it.
    SignInCancelled,
    /// Signed in: the session to work in.
    SignedIn(Arc<Session>),
    /// Signed in at the partner's home, on a run on several tenants: the tenants opened with
    /// that sign-in (at least one; the first is shown), and those not, with why.
    SignedInTenants {
        open: Vec<Arc<Session>>,
        unopened: Vec<super::sessions::Unopened>,
    },
    /// SIGINT or SIGTERM from outside: leave now (no question can be asked).
    Leave(super::quit::Leave),
    /// News from a session's background work, tagged with its session where it is sent: the
    /// news of a session that was replaced is dropped.
    Session {
        id: SessionId,
        msg: SessionMsg,
    },
}

/// What a session's background work reports. No `Debug`: `RestoreFinished` carries passwords.
pub enum SessionMsg {
    Page {
        generation: u64,
        result: Result<DeletedPage, DirectoryError>,
    },
    LoadFinished {
        generation: u64,
    },
    Preflight {
        id: String,
        result: Result<restore::Preflight, String>,
    },
    /// The tenant's verified domains, read once at start.
    Tenant(restore::Tenant),
    /// Whether Temporary Access Passes can be issued here, asked when the dialog first opens.
    TapAvailability(crate::directory::tap::TapAvailability),
    /// The directory's verdict on the password typed (for the check numbered `seq`).
    PasswordVerdict {
        seq: u64,
        result: Result<PasswordVerdict, DirectoryError>,
    },
    /// Whether the new user name typed for user `id` is free (for the check numbered `seq`).
    NewUpnChecked {
        id: String,
        seq: u64,
        result: Result<restore::NameCheck, String>,
    },
    /// The client waits this long before its next try (throttled, server busy), in words.
    Waiting {
        text: String,
        seconds: u64,
    },
    /// Users a retry (`r`) or a password (`p`) on the result screen changed, by id.
    OutcomesUpdated(Vec<UserOutcome>),
    Job {
        id: String,
        status: JobStatus,
    },
    /// A run (or the finishing of interrupted ones) is over. `mail`: the finishing rule's
    /// mails (`restore::mail_groups`); `None` takes what the restore dialog said.
    RestoreFinished {
        outcomes: Vec<UserOutcome>,
        mail: Option<Vec<restore::MailGroup>>,
    },
    /// The after-care report of the restored users on the result screen.
    AfterCare(Vec<restore::aftercare::AfterCare>),
    /// Something the admin should know that did not stop the run.
    Warning(String),
    /// News that is not a problem (a lock taken over from a run that died).
    Info(String),
    MailSent(Result<(), MailFailed>),
    /// Users closed as mailed after `m` (their ids), or why they could not be.
    MailArrived(Result<Vec<String>, String>),
    PurgeDone {
        purged: Vec<String>,
        failures: Vec<String>,
    },
    Request(RequestRecord),
    Unfinished(Vec<Unfinished>),
    /// The unfinished restores of an earlier version's journal (no directory): shown apart,
    /// never finished by `F` (`undelete finish --adopt-earlier` takes them in).
    Earlier(Vec<Unfinished>),
    /// Who else holds this directory, in words ("another undelete (pid N, since T) is
    /// restoring 3 users on this directory"), or why it cannot be locked; `None` once this
    /// session holds it.
    Holder(Option<super::sessions::Blocked>),
    /// The conflict sweep's first read: the index of what can collide, and how each read went.
    Swept(Box<crate::conflicts::Sweep>),
    /// What a refresh's delta rounds read since the last one.
    SweepChanges(Box<crate::conflicts::Changes>),
    /// The audit log's deletions (or why they could not be read).
    Deletions(Box<crate::conflicts::DeletionsState>),
    /// What an offboarding took from a user, or why it could not be read.
    Offboarding {
        id: String,
        result: Result<Box<crate::offboarding::read::Found>, String>,
    },
    /// The tenant's products and their free seats (`subscribedSkus`), or why not.
    Seats(Result<Vec<crate::directory::aftercare::Sku>, String>),
    /// What the last run kept of the sweep for this directory, read back at launch.
    Recalled(Box<super::sweep::Recalled>),
    /// The users restored in this directory, from its journal (or why it could not be read).
    Restored(Result<Vec<restore::RestoredUser>, String>),
    /// Finishing interrupted runs could not start.
    UnfinishedFailed(String),
}
