//! What the app knows about a directory: domain types, the error type, and the `Directory`
//! trait. The only implementation speaks Microsoft Graph over HTTP (`graph/`); the sandbox is
//! a server, not a second implementation, so every test exercises the production client.

pub mod aftercare;
pub mod audit_events;
pub mod audits;
pub mod batch;
pub mod bring_back;
pub mod budget;
pub mod error;
pub mod graph;
pub mod holders;
pub mod retry;
pub mod tap;
pub mod time_left;
pub mod wait;
pub mod wire;

use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use secrecy::SecretString;

pub use audits::{DeletionRecord, Initiator};
pub use error::{DirectoryError, ErrorKind, Sent};
pub use holders::{DeltaPage, Holder, HolderChange, HolderKind, HolderQuery};
pub use time_left::TimeLeft;
pub use wait::{WaitNotice, WaitReason};

/// Deleted users stay restorable for this long, then Entra purges them.
pub const RETENTION_DAYS: i64 = 30;

/// A user in the directory's deleted items. Every string has already passed `sanitize`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedUser {
    pub id: String,
    pub display_name: String,
    /// The UPN as the directory holds it now: the object id (32 hex digits) glued in front.
    pub deleted_upn: String,
    /// The UPN the user had before deletion, recovered from `deleted_upn` or `mail`.
    pub original_upn: String,
    pub mail: Option<String>,
    pub proxy_addresses: Vec<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub on_premises_sync_enabled: bool,
    pub user_type: Option<String>,
    /// `accountEnabled` is false: sign-in is blocked, and a restore keeps it so.
    pub account_disabled: bool,
    /// The same strings as the directory stores them, before `sanitize`; only when the
    /// listing was asked for them (`Directory::list_deleted_stored`).
    pub stored: Option<Box<StoredStrings>>,
}

/// A deleted user's strings exactly as the directory stores them, control characters and
/// escape sequences included. Only for output that escapes every string itself (`list
/// --format json`), so a script sees the real value; never for a terminal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredStrings {
    /// `displayName`, or the original user name when there is none (as `DeletedUser` does).
    pub display_name: String,
    pub deleted_upn: String,
    pub original_upn: String,
    pub mail: Option<String>,
    pub proxy_addresses: Vec<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub user_type: Option<String>,
}

impl DeletedUser {
    /// Approximate: Entra may take a little longer than 30 days to purge.
    pub fn purge_at(&self) -> Option<DateTime<Utc>> {
        self.deleted_at.map(|d| d + Duration::days(RETENTION_DAYS))
    }

    /// Whole days left before the purge (0 on the last day, negative when overdue).
    pub fn days_left(&self, now: DateTime<Utc>) -> Option<i64> {
        self.time_left(now).map(|t| t.days())
    }

    /// The time left before the purge, as the CLI and the TUI both show it ("36h", "5d").
    pub fn time_left(&self, now: DateTime<Utc>) -> Option<TimeLeft> {
        self.purge_at().map(|p| TimeLeft::until(p, now))
    }

    pub fn is_guest(&self) -> bool {
        self.user_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("guest"))
    }
}

#[cfg(test)]
impl DeletedUser {
    /// A plain member user for unit tests: the UPN carries the id glued in front, as Graph's
    /// deleted items do, and nothing optional is set.
    pub fn sample(id: &str, display_name: &str, upn: &str) -> Self {
        Self {
            id: id.into(),
            display_name: display_name.into(),
            deleted_upn: format!("{}{upn}", id.replace('-', "")),
            original_upn: upn.into(),
            mail: None,
            proxy_addresses: vec![],
            department: None,
            job_title: None,
            deleted_at: None,
            on_premises_sync_enabled: false,
            user_type: None,
            account_disabled: false,
            stored: None,
        }
    }
}

/// An active (not deleted) user, as returned by a restore or a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveUser {
    pub id: String,
    pub display_name: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub proxy_addresses: Vec<String>,
}

/// Who the directory says we are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    pub id: Option<String>,
    pub display_name: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
}

/// One page of the deleted-users listing, in the order the server sent it.
#[derive(Debug, Clone)]
pub struct DeletedPage {
    pub users: Vec<DeletedUser>,
    /// `@odata.count`, present on the first page only.
    pub total: Option<u64>,
}

/// Options of `POST /directory/deletedItems/{id}/restore`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreRequest {
    pub new_user_principal_name: Option<String>,
    pub auto_reconcile_proxy_conflict: bool,
}

/// The password profile to set on a restored user. No `Debug`: it holds a secret.
#[derive(Clone)]
pub struct PasswordChange {
    pub password: SecretString,
    pub force_change_next_sign_in: bool,
    pub force_change_with_mfa: bool,
}

/// A plain-text or HTML mail, sent as the signed-in admin (delegated) or as `sender` (app-only).
#[derive(Clone)]
pub struct MailMessage {
    pub sender: Option<String>,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    pub html: bool,
    pub save_to_sent_items: bool,
}

/// One user's work in a bulk restore: restore, then (if given) set the password.
#[derive(Clone)]
pub struct RestoreJob {
    pub id: String,
    pub request: RestoreRequest,
    pub password: Option<PasswordChange>,
}

/// What happened to one job of a bulk restore, reported as it happens.
#[derive(Debug, Clone)]
pub enum JobEvent {
    Restored {
        id: String,
        user: ActiveUser,
        /// Graph's `request-id` of the restore, for the audit log (none when the restore was
        /// only found to have happened, after its reply was lost).
        request_id: Option<String>,
    },
    PasswordSet {
        id: String,
        request_id: Option<String>,
    },
    Failed {
        id: String,
        stage: Stage,
        error: DirectoryError,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Preflight,
    Restore,
    Password,
    Mail,
    Purge,
}

/// One HTTP exchange, for the request log pane. Never holds a secret: no headers, no bodies.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub at: DateTime<Utc>,
    pub method: String,
    /// Path and query, with `$skiptoken` values shortened.
    pub path: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    pub duration_ms: u64,
}

/// One of the tenant's domains (`GET /domains`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub name: String,
    pub verified: bool,
}

/// The directory's verdict on a password (`POST /beta/users/validatePassword`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordVerdict {
    pub valid: bool,
    /// Each rule's message that failed, in the directory's words.
    pub messages: Vec<String>,
}

pub type DirResult<T> = Result<T, DirectoryError>;

/// An order the directory is asked to list deleted users in (`$orderby`), so that a listing
/// can be printed as its pages arrive. Graph sorts deleted users by deletion time only in an
/// advanced query, which the listing always is (`ConsistencyLevel: eventual`, `$count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// Oldest deletion first: the soonest purge first (`deletedDateTime asc`).
    OldestDeletedFirst,
    /// Newest deletion first (`deletedDateTime desc`).
    NewestDeletedFirst,
}

/// How a listing of deleted users is asked for (`Directory::list_deleted_as`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListingOptions {
    /// `None`: in whatever order the directory keeps.
    pub order: Option<ListOrder>,
    /// Each user also keeps its strings as stored (for output that escapes them itself).
    pub stored: bool,
}

/// The operations the app needs from a directory (DESIGN.md section 2).
pub trait Directory: Send + Sync {
    /// All deleted users, streamed page by page as they arrive.
    fn list_deleted(&self) -> BoxStream<'static, DirResult<DeletedPage>>;
    /// `list_deleted` as `options` ask: in an order the directory sorts by, each user also
    /// carrying its strings as stored (`DeletedUser::stored`).
    fn list_deleted_as(
        &self,
        options: ListingOptions,
    ) -> BoxStream<'static, DirResult<DeletedPage>>;
    fn get_deleted(&self, id: &str) -> BoxFuture<'static, DirResult<DeletedUser>>;
    /// Deleted users by id, one result per id in the same order. Each id succeeds or fails on
    /// its own (a lookup that keeps failing fails that id only). The default looks them up one
    /// by one; Graph batches them.
    fn get_deleted_many<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, Vec<DirResult<DeletedUser>>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.push(self.get_deleted(id).await);
            }
            out
        })
    }
    /// Every wait over `wait::NOTICE_AFTER` the directory sits through from now on, as it
    /// starts (`None`: this directory never waits, or does not say).
    fn wait_notices(&self) -> Option<tokio::sync::broadcast::Receiver<WaitNotice>> {
        None
    }
    /// An active user by id or UPN; `Ok(None)` when there is none.
    fn get_active(&self, id_or_upn: &str) -> BoxFuture<'static, DirResult<Option<ActiveUser>>>;
    /// Who holds each user name or proxy address now (`None`: nobody), one answer per query
    /// in the same order. Graph batches them (`$batch` of 20, a few at once) and resends a
    /// query after a passing fault, until the run's deadline; a query that keeps failing fails
    /// on its own.
    fn find_holders(
        &self,
        queries: Vec<HolderQuery>,
    ) -> BoxFuture<'static, Vec<DirResult<Option<Holder>>>>;
    /// This directory on the clock of one run (a command, or a restore the admin starts) that
    /// started at `started`: every call made through the handle, its retries and bulk
    /// restores included, ends by `started` plus the deadline (`--deadline`). Calls made
    /// without one each get the whole deadline from when they start.
    fn on_clock(&self, started: std::time::Instant) -> std::sync::Arc<dyn Directory>;
    fn restore(
        &self,
        id: &str,
        request: &RestoreRequest,
    ) -> BoxFuture<'static, DirResult<ActiveUser>>;
    fn set_password(&self, id: &str, change: &PasswordChange) -> BoxFuture<'static, DirResult<()>>;
    /// Restore many users (and set their passwords), as fast as the throttling limits allow.
    /// Every job ends in exactly one `Failed`, or `Restored` (+ `PasswordSet` if asked for).
    fn restore_many(&self, jobs: Vec<RestoreJob>) -> BoxStream<'static, JobEvent>;
    fn send_mail(&self, message: &MailMessage) -> BoxFuture<'static, DirResult<()>>;
    /// Permanent delete from the deleted items.
    fn purge(&self, id: &str) -> BoxFuture<'static, DirResult<()>>;
    fn whoami(&self) -> BoxFuture<'static, DirResult<Me>>;
    /// The tenant's domains, verified or not.
    fn domains(&self) -> BoxFuture<'static, DirResult<Vec<Domain>>>;
    /// Asks the directory whether it would accept this password (delegated sign-in, global
    /// cloud only; elsewhere an error of kind `Forbidden` or `NotFound`).
    fn validate_password(
        &self,
        password: &SecretString,
    ) -> BoxFuture<'static, DirResult<PasswordVerdict>>;
    /// Every active user, group or org contact (`kind`) with the addresses it holds, page by
    /// page: what the conflict sweep joins the deleted users against.
    fn list_holders(&self, kind: HolderKind) -> BoxStream<'static, DirResult<Vec<Holder>>>;
    /// One delta round of `kind` (`/users/delta`, `/groups/delta`, `/contacts/delta`), page by
    /// page; the last page carries the link of the next round. `from`: the delta link of the
    /// previous round; `None` starts from now (`$deltatoken=latest`: no objects, only a link).
    fn holder_delta(
        &self,
        kind: HolderKind,
        from: Option<String>,
    ) -> BoxStream<'static, DirResult<DeltaPage>>;
    /// The `Delete user` records of the audit log since `since`, page by page.
    fn deletion_audits(
        &self,
        since: DateTime<Utc>,
    ) -> BoxStream<'static, DirResult<Vec<DeletionRecord>>>;
    /// Whether Temporary Access Passes can be issued here (our token's permission and role,
    /// the tenant's policy, the cloud), and the policy's lifetimes when they can.
    fn tap_availability(&self) -> BoxFuture<'static, tap::TapAvailability>;
    /// Issues a Temporary Access Pass to an active user; it replaces any pass the user held.
    fn create_tap(
        &self,
        id: &str,
        request: &tap::TapRequest,
    ) -> BoxFuture<'static, DirResult<tap::IssuedTap>>;
    /// The reads of the after-care report for these restored users (by id), batched. Each
    /// read fails on its own; none of them changes anything.
    fn after_care_reads(&self, ids: Vec<String>) -> BoxFuture<'static, aftercare::AfterCareReads>;
    /// Every audit record naming each user as a target since its query's time, all pages,
    /// batched; each user's read fails on its own.
    fn user_audits(
        &self,
        queries: Vec<audit_events::AuditQuery>,
    ) -> BoxFuture<'static, Vec<DirResult<Vec<audit_events::AuditEvent>>>>;
    /// Gives restored users (by id) back what an offboarding took, batched; each item ends
    /// on its own, in the order given. Doing one twice is no error: a membership or role
    /// already there counts as given back.
    fn bring_back(
        &self,
        items: Vec<(String, bring_back::BringBack)>,
    ) -> BoxFuture<'static, Vec<DirResult<()>>>;
    /// Each group's current display name, `None` when it no longer exists; batched.
    fn groups_as_now(&self, ids: Vec<String>)
    -> BoxFuture<'static, Vec<DirResult<Option<String>>>>;
    /// Each deleted user's usage location (`None`: it has none, and a licence is refused
    /// until one is set); batched.
    fn usage_locations(
        &self,
        ids: Vec<String>,
    ) -> BoxFuture<'static, Vec<DirResult<Option<String>>>>;
}

/// Every deleted user, all pages, in the order the server sent them.
pub async fn all_deleted(dir: &dyn Directory) -> DirResult<Vec<DeletedUser>> {
    use futures::StreamExt;
    let mut pages = dir.list_deleted();
    let mut users = Vec::new();
    while let Some(page) = pages.next().await {
        users.extend(page?.users);
    }
    Ok(users)
}
