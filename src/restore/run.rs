//! A run: restore -> set the password, for every user of a plan, reported as it happens,
//! journaled (never the password) and audited.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use secrecy::SecretString;
use tokio::sync::mpsc;

use super::Audit;
use super::journal::{self, Journal, Step};
use super::plan::{PasswordChoice, PlannedUser, RestorePlan};
use crate::directory::bring_back::BringBack;
use crate::directory::tap::{TapRequest, TapTerms};
use crate::directory::{
    ActiveUser, Directory, DirectoryError, JobEvent, PasswordChange, RestoreJob, RestoreRequest,
    Stage,
};
use crate::password;

/// Environment variable of the crash test hook (see the module docs).
#[cfg(feature = "test-hooks")]
pub const CRASH_HOOK_ENV: &str = "UNDELETE_TEST_CRASH_AFTER";
/// Exit code of the crash test hook.
#[cfg(feature = "test-hooks")]
pub const CRASH_EXIT_CODE: i32 = 86;

/// The audit detail of a restore whose reply was lost but that happened.
pub const LOST_REPLY_FOUND_RESTORED: &str = "reply lost; found restored";

/// Passes requested at once: each is one small write, and a run's restores are done by then.
const TAP_CONCURRENCY: usize = 4;

/// The journal's record of an issued pass: when it stops working, never the pass.
pub(super) fn tap_entry(run: &str, id: &str, terms: &TapTerms) -> journal::Entry {
    let mut e = journal::Entry::new(run, id, Step::TapIssued).detail(tap_detail(terms));
    e.tap_expires = Some(terms.expires);
    e
}

pub(super) fn tap_detail(terms: &TapTerms) -> String {
    format!(
        "Temporary Access Pass issued, valid until {}{}",
        crate::text::utc_moment(terms.expires),
        if terms.usable_once { ", one-time" } else { "" }
    )
}

/// A refused pass, said in words first: the user is restored, only its pass is missing.
pub(super) fn tap_failure(mut e: DirectoryError) -> DirectoryError {
    e.message = format!("Temporary Access Pass not issued: {}", e.message);
    e
}

/// Users handed to `restore_many` at a time: large enough to keep its batches and concurrency
/// busy, small enough that a stop request takes effect soon.
const CHUNK: usize = 100;

/// Why a user's restore did not complete.
#[derive(Debug, Clone)]
pub struct Failure {
    /// When it failed, for the admin reading the whole error.
    pub at: chrono::DateTime<chrono::Utc>,
    pub stage: Stage,
    pub error: DirectoryError,
}

/// One thing offboarding took, and whether the run gave it back.
#[derive(Debug, Clone)]
pub struct ItemOutcome {
    pub item: BringBack,
    pub result: Result<(), DirectoryError>,
}

/// What happened to one user. No derived `Debug`: it holds the password for the result screen.
#[derive(Clone)]
pub struct UserOutcome {
    /// The run (journal id) it belongs to.
    pub run: String,
    pub id: String,
    pub display_name: String,
    pub original_upn: String,
    /// The user name it has now, once restored.
    pub upn: Option<String>,
    /// The password set (or the Temporary Access Pass issued), once set. Never logged, never
    /// journaled.
    pub password: Option<SecretString>,
    /// Set when `password` holds a Temporary Access Pass: when it stops working.
    pub tap: Option<TapTerms>,
    pub failure: Option<Failure>,
    pub force_change: bool,
    /// A password is part of this user's restore (guests get none by default).
    pub wants_password: bool,
    pub synced: bool,
    pub guest: bool,
    /// The account is disabled (as listed, or as the after-care read it): sign-in fails until
    /// it is enabled, whatever password it is given.
    pub account_disabled: bool,
    /// How it was planned, so a failed restore can be tried again with the same choices
    /// (`None` for users finished from the journal, which only knows their id and name).
    pub planned: Option<PlannedUser>,
    /// An earlier run set its password, and this run left it in force without knowing it: its
    /// sign-in mail may have gone out (failed with `MAIL_UNCERTAIN_CODE`), or the admin
    /// confirmed the mail arrived (no failure). Such a user has a password, just not one
    /// shown here.
    pub password_kept: bool,
    /// What offboarding took that the run tried to give back, each with its result. A failed
    /// item fails alone: the user's restore, password and mail go on.
    pub brought_back: Vec<ItemOutcome>,
}

impl UserOutcome {
    pub fn new(run: &str, p: &PlannedUser, force_change: bool) -> Self {
        Self {
            run: run.to_string(),
            id: p.user.id.clone(),
            display_name: p.user.display_name.clone(),
            original_upn: p.user.original_upn.clone(),
            upn: None,
            password: None,
            tap: None,
            failure: None,
            force_change,
            wants_password: p.set_password,
            synced: p.user.on_premises_sync_enabled,
            guest: p.user.is_guest(),
            account_disabled: p.user.account_disabled,
            planned: Some(p.clone()),
            password_kept: false,
            brought_back: Vec::new(),
        }
    }

    /// Items it was to get back that did not come back.
    pub fn items_failed(&self) -> impl Iterator<Item = &ItemOutcome> {
        self.brought_back.iter().filter(|i| i.result.is_err())
    }

    /// Takes the result of one item (sign-in back: the account is no longer disabled).
    pub fn take_item(&mut self, item: BringBack, result: Result<(), DirectoryError>) {
        if item == BringBack::SignIn && result.is_ok() {
            self.account_disabled = false;
        }
        match self.brought_back.iter_mut().find(|i| i.item == item) {
            Some(known) => known.result = result,
            None => self.brought_back.push(ItemOutcome { item, result }),
        }
    }

    pub fn restored(&self) -> bool {
        self.upn.is_some()
    }

    /// Restored, and its password set where it needs one: ready for the sign-in info.
    pub fn complete(&self) -> bool {
        self.restored()
            && self.failure.is_none()
            && (self.password.is_some() || !self.wants_password)
    }

    /// Restored, but the password it needs is not set (its step failed or never ran).
    pub fn needs_password(&self) -> bool {
        self.restored() && self.wants_password && self.password.is_none() && !self.password_kept
    }

    /// Its password was set by an earlier run and its sign-in mail may have gone out: the
    /// admin checks the inbox, then closes it as mailed or sets a new password (a resend).
    pub fn mail_maybe_sent(&self) -> bool {
        self.password_kept
            && self.failure.as_ref().is_some_and(|f| {
                f.error.code.as_deref() == Some(super::finish::MAIL_UNCERTAIN_CODE)
            })
    }

    /// Closed without a new password: the admin confirmed its sign-in mail arrived.
    pub fn mail_confirmed(&self) -> bool {
        self.password_kept && self.failure.is_none()
    }

    /// The user name changed in the restore: (old, new).
    pub fn renamed(&self) -> Option<(&str, &str)> {
        self.upn
            .as_deref()
            .filter(|new| !new.eq_ignore_ascii_case(&self.original_upn))
            .map(|new| (self.original_upn.as_str(), new))
    }
}

impl fmt::Debug for UserOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserOutcome")
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("upn", &self.upn)
            .field("password", &self.password.as_ref().map(|_| "[hidden]"))
            .field("failure", &self.failure)
            .finish()
    }
}

/// A step of the run, as it happens.
#[derive(Debug, Clone)]
pub enum Progress {
    Queued {
        id: String,
    },
    Restoring {
        id: String,
    },
    Restored {
        id: String,
        upn: String,
    },
    PasswordSet {
        id: String,
    },
    /// A Temporary Access Pass was issued (instead of a password).
    TapIssued {
        id: String,
    },
    Failed {
        id: String,
        stage: Stage,
        error: DirectoryError,
    },
    /// Something the admin should know that did not stop the run (e.g. the journal is not
    /// writable).
    Warning(String),
    /// Always the last event: one outcome per planned user, in plan order.
    Finished(Vec<UserOutcome>),
}

/// Asks a running restore to stop: users not yet sent are left alone, the ones in flight finish.
#[derive(Clone, Debug, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A started run: its progress events and a way to stop it.
pub struct RestoreRun {
    pub run_id: String,
    pub progress: mpsc::Receiver<Progress>,
    pub stop: StopHandle,
    /// Ends the run where it is, as a crash would: every step so far is in the journal, and
    /// `finish` takes the users in flight from there.
    pub abort: tokio::task::AbortHandle,
}

/// Asks the directory for `asked` (an outcome's index, an item) in one batch, and records
/// each answer: the journal, the audit log, the log file, the outcome. The run, `finish`
/// and `r` all give items back through it; the warnings are the books' own failures.
pub(super) async fn give_back(
    dir: &dyn Directory,
    asked: Vec<(usize, BringBack)>,
    out: &mut [UserOutcome],
    journal: &Journal,
    audit: &Audit,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if asked.is_empty() {
        return warnings;
    }
    let calls = asked
        .iter()
        .map(|(i, b)| (out[*i].id.clone(), b.clone()))
        .collect();
    let results = dir.bring_back(calls).await;
    for ((i, item), result) in asked.into_iter().zip(results) {
        let o = &mut out[i];
        let entry = journal::Entry::brought_back(&o.run, &o.id, &item, result.as_ref().copied());
        if let Err(e) = journal.record(&entry) {
            warnings.push(format!("{e}; an interrupted run may not be found later"));
        }
        let target = format!("{} ({})", o.upn.as_deref().unwrap_or(&o.original_upn), o.id);
        let recorded = audit.record_with_id(
            "bring_back",
            &target,
            result.as_ref().map(|_| None),
            Some(item.describe()),
        );
        if let Err(e) = recorded {
            warnings.push(e.to_string());
        }
        match &result {
            Ok(()) => tracing::info!(user = %o.id, item = %item.describe(), "brought back"),
            Err(e) => tracing::warn!(
                user = %o.id,
                item = %item.describe(),
                error = %e.message,
                "bringing back failed"
            ),
        }
        o.take_item(item, result);
    }
    warnings
}

/// Starts the run in a background task. The run goes on (and keeps the journal right) when the
/// progress receiver is dropped; a receiver that is kept must be read, since the channel is
/// bounded and a full one holds the run back.
pub fn start(
    dir: Arc<dyn Directory>,
    plan: RestorePlan,
    journal: Journal,
    audit: Audit,
) -> RestoreRun {
    let (tx, rx) = mpsc::channel(256);
    let stop = StopHandle::default();
    let run_id = uuid::Uuid::new_v4().to_string();
    let task = Runner {
        dir,
        journal,
        audit,
        tx,
        stop: stop.clone(),
        run: run_id.clone(),
        warned: false,
        tap: None,
        lost: None,
    };
    let abort = tokio::spawn(task.run(plan)).abort_handle();
    RestoreRun {
        run_id,
        progress: rx,
        stop,
        abort,
    }
}

/// Runs a plan to the end and returns the outcomes, for callers that do not need live events.
pub async fn run_to_end(
    dir: Arc<dyn Directory>,
    plan: RestorePlan,
    journal: Journal,
    audit: Audit,
) -> Vec<UserOutcome> {
    let mut run = start(dir, plan, journal, audit);
    while let Some(p) = run.progress.recv().await {
        if let Progress::Finished(outcomes) = p {
            return outcomes;
        }
    }
    Vec::new()
}

/// What a run hands out per user: where it is among the plan's users (by id), and the
/// password it gets (generated, or the one typed; a pass run generates one it never sends).
struct Work {
    index: HashMap<String, usize>,
    passwords: Vec<SecretString>,
}

impl Work {
    fn of(plan: &RestorePlan) -> Self {
        Self {
            index: plan
                .users
                .iter()
                .enumerate()
                .map(|(i, p)| (p.user.id.clone(), i))
                .collect(),
            passwords: plan
                .users
                .iter()
                .map(|_| match &plan.password {
                    PasswordChoice::Auto | PasswordChoice::Tap(_) => password::generate(),
                    PasswordChoice::Given(p) => p.clone(),
                })
                .collect(),
        }
    }
}

struct Runner {
    dir: Arc<dyn Directory>,
    journal: Journal,
    audit: Audit,
    tx: mpsc::Sender<Progress>,
    stop: StopHandle,
    run: String,
    warned: bool,
    /// The pass every user gets instead of a password, when the plan says so.
    tap: Option<TapRequest>,
    /// Why this run may not write any more, once it lost the directory's lock.
    lost: Option<String>,
}

impl Runner {
    async fn emit(&self, p: Progress) {
        // A closed receiver means nobody watches any more; the work and journal go on.
        let _ = self.tx.send(p).await;
    }

    async fn journal(&mut self, entry: journal::Entry) {
        if let Err(e) = self.journal.record(&entry) {
            self.warn(format!("{e}; an interrupted run may not be found later"))
                .await;
        }
    }

    /// Audits one change; `Ok` carries Graph's request-id when there is one.
    async fn audit(
        &mut self,
        action: &str,
        target: &str,
        result: Result<Option<&str>, &DirectoryError>,
        detail: Option<String>,
    ) {
        if let Err(e) = self.audit.record_with_id(action, target, result, detail) {
            self.warn(e.to_string()).await;
        }
    }

    async fn warn(&mut self, message: String) {
        if !self.warned {
            self.warned = true;
            self.emit(Progress::Warning(message)).await;
        }
    }

    async fn run(mut self, plan: RestorePlan) {
        let mut outcomes: Vec<UserOutcome> = plan
            .users
            .iter()
            .map(|p| UserOutcome::new(&self.run, p, plan.force_change))
            .collect();
        for p in &plan.users {
            self.emit(Progress::Queued {
                id: p.user.id.clone(),
            })
            .await;
        }
        if let Err(error) = plan.validate() {
            for o in &mut outcomes {
                self.report_failure(o, Stage::Preflight, error.clone())
                    .await;
            }
            self.emit(Progress::Finished(outcomes)).await;
            return;
        }
        let work = Work::of(&plan);
        self.tap = plan.password.tap();
        self.journal_planned(&plan).await;
        let positions: Vec<usize> = (0..plan.users.len()).collect();
        for chunk in positions.chunks(CHUNK) {
            if let Some(why) = self.unsendable().await {
                for &i in chunk {
                    self.fail_unsent(&mut outcomes[i], DirectoryError::invalid(why.clone()))
                        .await;
                }
                continue;
            }
            self.restore_chunk(&plan, &work, chunk, &mut outcomes).await;
        }
        let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
        tracing::info!(users = outcomes.len(), failed, "restore run finished");
        self.emit(Progress::Finished(outcomes)).await;
    }

    /// Every user's plan in the journal before anything is sent, so an interrupted run is
    /// found (and finished as planned) later.
    async fn journal_planned(&mut self, plan: &RestorePlan) {
        for p in &plan.users {
            let mut e = journal::Entry::new(&self.run, &p.user.id, Step::Planned)
                .upn(p.target_upn())
                .display_name(&p.user.display_name);
            e.mail_to = plan.mail_to.clone();
            e.include_password = plan.include_password;
            e.force_change = plan.force_change;
            e.no_password = !p.set_password;
            e.tap = self.tap;
            e.account_disabled = p.user.account_disabled;
            e.bring_back = p.bring_back.clone();
            self.journal(e).await;
        }
    }

    /// Why the next chunk may not be sent: the run was stopped, or it lost the directory's
    /// lock (said once, as a warning).
    async fn unsendable(&mut self) -> Option<String> {
        if self.stop.is_stopped() {
            return Some("stopped before it started: nothing was changed for this user".into());
        }
        if self.lost.is_none()
            && let Err(why) = self.journal.ensure_held()
        {
            self.warn(why.to_string()).await;
            self.lost = Some(why.0);
        }
        self.lost
            .as_ref()
            .map(|why| format!("not sent, nothing was changed for this user: {why}"))
    }

    /// Restores the users of `chunk` (with their passwords, or then their passes) and makes
    /// sure each of them ends, one way or another.
    async fn restore_chunk(
        &mut self,
        plan: &RestorePlan,
        work: &Work,
        chunk: &[usize],
        outcomes: &mut [UserOutcome],
    ) {
        let mut jobs = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let p = &plan.users[i];
            tracing::info!(user = %p.user.id, "restore started");
            self.emit(Progress::Restoring {
                id: p.user.id.clone(),
            })
            .await;
            jobs.push(RestoreJob {
                id: p.user.id.clone(),
                request: RestoreRequest {
                    new_user_principal_name: p.new_upn.clone(),
                    auto_reconcile_proxy_conflict: p.reconcile_proxies,
                },
                // A pass is issued once the restore is known, outside the batch.
                password: (p.set_password && self.tap.is_none()).then(|| PasswordChange {
                    password: work.passwords[i].clone(),
                    force_change_next_sign_in: plan.force_change,
                    force_change_with_mfa: plan.force_change_with_mfa,
                }),
            });
        }
        let mut events = self.dir.restore_many(jobs);
        while let Some(event) = events.next().await {
            self.take_event(event, work, outcomes).await;
        }
        if let Some(request) = self.tap {
            self.issue_taps(chunk, outcomes, request).await;
        }
        let items: Vec<(usize, BringBack)> = chunk
            .iter()
            .filter(|&&i| outcomes[i].restored())
            .flat_map(|&i| plan.users[i].bring_back.iter().map(move |b| (i, b.clone())))
            .collect();
        self.bring_back(items, outcomes).await;
        // `restore_many` promises an end for every job; if one went missing, say so rather
        // than report it as done.
        for &i in chunk {
            let o = &outcomes[i];
            if o.failure.is_none() && !o.complete() {
                let stage = if o.restored() {
                    Stage::Password
                } else {
                    Stage::Restore
                };
                let error = DirectoryError::network(
                    "no answer came for this user; refresh to see whether it was restored",
                );
                self.fail(&mut outcomes[i], stage, error).await;
            }
        }
    }

    /// One event of `restore_many`, for the user it names.
    async fn take_event(&mut self, event: JobEvent, work: &Work, outcomes: &mut [UserOutcome]) {
        let id = match &event {
            JobEvent::Restored { id, .. }
            | JobEvent::PasswordSet { id, .. }
            | JobEvent::Failed { id, .. } => id.clone(),
        };
        let Some(&i) = work.index.get(&id) else {
            return;
        };
        match event {
            JobEvent::Restored {
                user, request_id, ..
            } => {
                self.restored(&mut outcomes[i], &user, request_id.as_deref())
                    .await;
            }
            JobEvent::PasswordSet { request_id, .. } => {
                let o = &mut outcomes[i];
                o.password = Some(work.passwords[i].clone());
                self.journal(journal::Entry::new(&self.run, &id, Step::PasswordSet))
                    .await;
                let target = outcomes[i].upn.clone().unwrap_or_else(|| id.clone());
                let target = format!("{target} ({id})");
                self.audit("set_password", &target, Ok(request_id.as_deref()), None)
                    .await;
                tracing::info!(user = %id, "password set");
                self.emit(Progress::PasswordSet { id: id.clone() }).await;
                crash_hook("password");
            }
            JobEvent::Failed { stage, error, .. } => {
                self.fail(&mut outcomes[i], stage, error).await;
            }
        }
    }

    /// Issues a pass to each restored user of `chunk` that needs one, a few at a time.
    async fn issue_taps(&mut self, chunk: &[usize], outcomes: &mut [UserOutcome], req: TapRequest) {
        let todo: Vec<(usize, String)> = chunk
            .iter()
            .filter(|&&i| outcomes[i].needs_password() && outcomes[i].failure.is_none())
            .map(|&i| (i, outcomes[i].id.clone()))
            .collect();
        let dir = self.dir.clone();
        let mut results = futures::stream::iter(todo)
            .map(|(i, id)| {
                let dir = dir.clone();
                async move { (i, dir.create_tap(&id, &req).await) }
            })
            .buffer_unordered(TAP_CONCURRENCY);
        while let Some((i, result)) = results.next().await {
            let o = &mut outcomes[i];
            let target = format!("{} ({})", o.upn.as_deref().unwrap_or(&o.original_upn), o.id);
            match result {
                Ok(issued) => {
                    o.password = Some(issued.pass.clone());
                    o.tap = Some(issued.terms());
                    self.journal(tap_entry(&self.run, &o.id, &issued.terms()))
                        .await;
                    self.audit(
                        "issue_tap",
                        &target,
                        Ok(None),
                        Some(tap_detail(&issued.terms())),
                    )
                    .await;
                    tracing::info!(user = %o.id, "temporary access pass issued");
                    self.emit(Progress::TapIssued { id: o.id.clone() }).await;
                    crash_hook("password");
                }
                Err(error) => {
                    let error = tap_failure(error);
                    self.fail(o, Stage::Password, error).await;
                }
            }
        }
    }

    /// Gives the restored users of a chunk back what offboarding took, all in one go; each
    /// item journaled and audited on its own, as `finish` and `r` do.
    async fn bring_back(&mut self, items: Vec<(usize, BringBack)>, outcomes: &mut [UserOutcome]) {
        let warnings = give_back(
            self.dir.as_ref(),
            items,
            outcomes,
            &self.journal,
            &self.audit,
        )
        .await;
        for w in warnings {
            self.warn(w).await;
        }
    }

    async fn restored(&mut self, o: &mut UserOutcome, user: &ActiveUser, request_id: Option<&str>) {
        o.upn = Some(user.user_principal_name.clone());
        tracing::info!(
            user = %o.id,
            upn = %user.user_principal_name,
            request_id,
            "restored"
        );
        self.journal(
            journal::Entry::new(&self.run, &o.id, Step::Restored).upn(&user.user_principal_name),
        )
        .await;
        // No request-id: the reply was lost and the user was found active afterwards. The
        // audit log must still show the restore, and say how it is known.
        let detail = request_id
            .is_none()
            .then(|| LOST_REPLY_FOUND_RESTORED.to_string());
        self.audit(
            "restore",
            &format!("{} ({})", user.user_principal_name, o.id),
            Ok(request_id),
            detail,
        )
        .await;
        self.emit(Progress::Restored {
            id: o.id.clone(),
            upn: user.user_principal_name.clone(),
        })
        .await;
        crash_hook("restore");
    }

    /// A step that was attempted and failed: journaled, audited, reported.
    async fn fail(&mut self, o: &mut UserOutcome, stage: Stage, error: DirectoryError) {
        tracing::warn!(
            user = %o.id,
            stage = ?stage,
            error = %error.message,
            request_id = error.request_id.as_deref(),
            "restore step failed"
        );
        self.journal(journal::Entry::failed(&self.run, &o.id, stage, &error))
            .await;
        let action = match stage {
            Stage::Password if self.tap.is_some() => Some("issue_tap"),
            Stage::Password => Some("set_password"),
            Stage::Restore => Some("restore"),
            _ => None,
        };
        if let Some(action) = action {
            let target = format!("{} ({})", o.upn.as_deref().unwrap_or(&o.original_upn), o.id);
            self.audit(action, &target, Err(&error), None).await;
        }
        self.report_failure(o, stage, error).await;
    }

    /// A user the run was stopped before sending: no change was attempted, so nothing is
    /// audited (a user in flight when the stop came is audited by `fail`, whatever its error).
    async fn fail_unsent(&mut self, o: &mut UserOutcome, error: DirectoryError) {
        self.journal(journal::Entry::failed(
            &self.run,
            &o.id,
            Stage::Restore,
            &error,
        ))
        .await;
        self.report_failure(o, Stage::Restore, error).await;
    }

    async fn report_failure(&mut self, o: &mut UserOutcome, stage: Stage, error: DirectoryError) {
        self.emit(Progress::Failed {
            id: o.id.clone(),
            stage,
            error: error.clone(),
        })
        .await;
        o.failure = Some(Failure {
            at: chrono::Utc::now(),
            stage,
            error,
        });
    }
}

/// Without the `test-hooks` feature (release builds) the crash hook is not there.
#[cfg(not(feature = "test-hooks"))]
pub(crate) fn crash_hook(_step: &str) {}

#[cfg(feature = "test-hooks")]
pub(crate) fn crash_hook(step: &str) {
    use std::sync::OnceLock;
    static HOOK: OnceLock<Option<String>> = OnceLock::new();
    let hook = HOOK.get_or_init(|| std::env::var(CRASH_HOOK_ENV).ok());
    if hook.as_deref() == Some(step) {
        eprintln!("{CRASH_HOOK_ENV}={step}: exiting as if the process died here");
        std::process::exit(CRASH_EXIT_CODE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn outcome_debug_hides_the_password() {
        let user = crate::directory::DeletedUser::sample("1", "A", "a@b.c");
        let mut o = UserOutcome::new("r", &PlannedUser::as_is(user), true);
        o.password = Some(SecretString::from("Kiwi-Moon-42#x"));
        let shown = format!("{o:?}");
        assert!(!shown.contains("Kiwi"));
        assert!(shown.contains("[hidden]"));
    }
}
