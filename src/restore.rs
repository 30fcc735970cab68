//! The restore workflow, shared by the TUI and the scripting commands:
//! pre-flight check -> restore -> set the password -> sign-in info email.
//!
//! Each step is reported on a channel as it happens, written to the journal (never the
//! password) so an interrupted run can be finished later, and every change goes to the audit
//! log. Many users go through `Directory::restore_many`, which batches and throttles.
//!
//! Test hook: with `UNDELETE_TEST_CRASH_AFTER=restore` (or `password`) in the environment the
//! process exits with code 86 right after journaling the first such step, the way a crash or a
//! kill would leave it. Tests use it to prove the journal picks up an interrupted run.

pub mod audit;
pub mod journal;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::mpsc;
use zeroize::Zeroize;

pub use audit::{Audit, AuditEntry};
pub use journal::{Journal, RestoreState, Step, Unfinished};

use crate::directory::{
    ActiveUser, DeletedUser, DirResult, Directory, DirectoryError, ErrorKind, JobEvent,
    PasswordChange, RestoreJob, RestoreRequest, Stage,
};
use crate::mail::{self, MailAccount, SignInMail};
use crate::password;

/// Environment variable of the crash test hook (see the module docs).
pub const CRASH_HOOK_ENV: &str = "UNDELETE_TEST_CRASH_AFTER";
/// Exit code of the crash test hook.
pub const CRASH_EXIT_CODE: i32 = 86;

/// Users handed to `restore_many` at a time: large enough to keep its batches and concurrency
/// busy, small enough that a stop request takes effect soon.
const CHUNK: usize = 100;
/// How many lookups a pre-flight runs at once: users of a bulk pre-flight, and the proxy
/// addresses of one user.
const PREFLIGHT_CONCURRENCY: usize = 8;
/// How far `suggest_upn` counts (alex.wilber2 .. alex.wilber99).
const SUGGESTION_TRIES: u32 = 99;

// ---------------------------------------------------------------------------------------------
// Pre-flight
// ---------------------------------------------------------------------------------------------

/// What stands in the way of restoring a user as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preflight {
    /// The active user now holding the original user name.
    pub upn_holder: Option<ActiveUser>,
    /// Each proxy address of the deleted user that an active user now holds.
    pub proxy_holders: Vec<(String, ActiveUser)>,
    /// A free user name to offer when the original is taken (checked against the directory).
    pub suggested_upn: Option<String>,
    /// Synced from on-premises AD: a restore here may be undone by the next sync.
    pub synced: bool,
}

impl Preflight {
    pub fn has_conflict(&self) -> bool {
        self.upn_holder.is_some() || !self.proxy_holders.is_empty()
    }

    /// Would a restore with these choices go through?
    pub fn resolved_by(&self, new_upn: Option<&str>, reconcile_proxies: bool) -> bool {
        (self.upn_holder.is_none() || new_upn.is_some())
            && (self.proxy_holders.is_empty() || reconcile_proxies)
    }

    /// The conflicts in words, with what to do about them.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(h) = &self.upn_holder {
            let hint = match &self.suggested_upn {
                Some(s) => format!("choose a new user name, e.g. {s}"),
                None => "choose a new user name".to_string(),
            };
            out.push(format!(
                "user name {} is now used by \"{}\" ({}): {hint}",
                h.user_principal_name, h.display_name, h.id
            ));
        }
        for (address, h) in &self.proxy_holders {
            out.push(format!(
                "proxy address {address} is now held by \"{}\" ({}): remove conflicting proxy \
                 addresses",
                h.display_name, h.id
            ));
        }
        out
    }
}

/// Checks whether the user's name and proxy addresses are free, and suggests a free name.
pub async fn preflight(dir: &dyn Directory, user: &DeletedUser) -> DirResult<Preflight> {
    let upn_lookup = dir.find_active_by_upn(&user.original_upn);
    // The server says how many proxy addresses there are: look them up a few at a time.
    // (Collected first: a stream over a borrowing closure would not be `Send` for spawners.)
    let lookups: Vec<_> = user
        .proxy_addresses
        .iter()
        .map(|a| dir.find_active_by_proxy(a))
        .collect();
    let proxy_lookups = futures::stream::iter(lookups)
        .buffered(PREFLIGHT_CONCURRENCY)
        .collect::<Vec<_>>();
    let (upn_holder, proxies) = futures::join!(upn_lookup, proxy_lookups);
    let upn_holder = upn_holder?;
    let mut proxy_holders = Vec::new();
    for (address, holder) in user.proxy_addresses.iter().zip(proxies) {
        if let Some(h) = holder? {
            proxy_holders.push((address.clone(), h));
        }
    }
    let suggested_upn = if upn_holder.is_some() {
        suggest_upn(dir, &user.original_upn).await?
    } else {
        None
    };
    Ok(Preflight {
        upn_holder,
        proxy_holders,
        suggested_upn,
        synced: user.on_premises_sync_enabled,
    })
}

/// Pre-flight of many users, a few lookups at a time, in the order given.
pub async fn preflight_all(
    dir: &dyn Directory,
    users: &[DeletedUser],
) -> Vec<DirResult<Preflight>> {
    futures::stream::iter(users.iter().map(|u| preflight(dir, u)))
        .buffered(PREFLIGHT_CONCURRENCY)
        .collect()
        .await
}

/// The first free name of the form `local2@domain`, `local3@domain`, ... (a trailing number on
/// the original is counted up from instead of appended to).
pub async fn suggest_upn(dir: &dyn Directory, upn: &str) -> DirResult<Option<String>> {
    for candidate in upn_candidates(upn) {
        if dir.find_active_by_upn(&candidate).await?.is_none() {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

/// The names `suggest_upn` tries, in order. The number is counted in `u64` from what the
/// original ends with, so a name ending in a huge number (it comes from the server) cannot
/// overflow; one too long even for that starts again at 2.
fn upn_candidates(upn: &str) -> impl Iterator<Item = String> + '_ {
    let (local, domain) = upn.rsplit_once('@').unwrap_or_default();
    let base = local.trim_end_matches(|c: char| c.is_ascii_digit());
    let base = if base.is_empty() { local } else { base };
    let start = local
        .get(base.len()..)
        .and_then(|digits| digits.parse::<u64>().ok())
        .map_or(2, |n| n.saturating_add(1).max(2));
    let tries = if local.is_empty() || domain.is_empty() {
        0
    } else {
        u64::from(SUGGESTION_TRIES)
    };
    (0..tries)
        .map_while(move |i| start.checked_add(i))
        .map(move |n| format!("{base}{n}@{domain}"))
}

/// A user name Graph would accept: `local@domain`, no spaces, a dotted domain.
pub fn check_upn(upn: &str) -> Result<(), String> {
    check_address(upn).map_err(|e| format!("{upn:?} is not a valid user name: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The plan and its progress
// ---------------------------------------------------------------------------------------------

/// One user to restore and how.
#[derive(Debug, Clone)]
pub struct PlannedUser {
    pub user: DeletedUser,
    /// Restore under this name instead of the original (resolves a user-name conflict).
    pub new_upn: Option<String>,
    /// Let Entra drop proxy addresses another object now holds.
    pub reconcile_proxies: bool,
}

impl PlannedUser {
    pub fn as_is(user: DeletedUser) -> Self {
        Self {
            user,
            new_upn: None,
            reconcile_proxies: false,
        }
    }

    /// The name the user will have once restored.
    pub fn target_upn(&self) -> &str {
        self.new_upn.as_deref().unwrap_or(&self.user.original_upn)
    }
}

/// Where each user's password comes from. No `Debug`: it may hold one.
#[derive(Clone)]
pub enum PasswordChoice {
    /// A new generated password per user.
    Auto,
    /// This password for every user (it must pass the policy).
    Given(SecretString),
}

/// Everything a run needs to know. No `Debug`: it may hold a password.
#[derive(Clone)]
pub struct RestorePlan {
    pub users: Vec<PlannedUser>,
    pub password: PasswordChoice,
    pub force_change: bool,
    pub force_change_with_mfa: bool,
    /// Who the sign-in info will go to; recorded so an interrupted run can still send it.
    pub mail_to: Vec<String>,
    pub include_password: bool,
}

impl RestorePlan {
    /// Auto passwords, change required at first sign-in, no mail recipients yet.
    pub fn new(users: Vec<PlannedUser>) -> Self {
        Self {
            users,
            password: PasswordChoice::Auto,
            force_change: true,
            force_change_with_mfa: false,
            mail_to: Vec::new(),
            include_password: true,
        }
    }

    /// Refuses what would fail anyway, before anything is sent: a password that breaks the
    /// policy (naming the rule), a malformed new user name, a user listed twice.
    pub fn validate(&self) -> Result<(), DirectoryError> {
        if let PasswordChoice::Given(p) = &self.password
            && let Some(rule) = password::check(p.expose_secret()).first_failure()
        {
            return Err(DirectoryError::new(
                ErrorKind::WeakPassword,
                format!("Password rejected: {rule}"),
            ));
        }
        let mut seen = HashSet::new();
        for p in &self.users {
            if !seen.insert(p.user.id.as_str()) {
                return Err(DirectoryError::invalid(format!(
                    "{} ({}) is listed twice",
                    p.user.display_name, p.user.id
                )));
            }
            if let Some(upn) = &p.new_upn {
                check_upn(upn).map_err(DirectoryError::invalid)?;
            }
        }
        Ok(())
    }
}

/// Why a user's restore did not complete.
#[derive(Debug, Clone)]
pub struct Failure {
    pub stage: Stage,
    pub error: DirectoryError,
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
    /// The password set, once set. Never logged, never journaled.
    pub password: Option<SecretString>,
    pub failure: Option<Failure>,
    pub force_change: bool,
}

impl UserOutcome {
    fn new(run: &str, user: &DeletedUser, force_change: bool) -> Self {
        Self {
            run: run.to_string(),
            id: user.id.clone(),
            display_name: user.display_name.clone(),
            original_upn: user.original_upn.clone(),
            upn: None,
            password: None,
            failure: None,
            force_change,
        }
    }

    pub fn restored(&self) -> bool {
        self.upn.is_some()
    }

    /// Restored with its password set: ready for the sign-in info.
    pub fn complete(&self) -> bool {
        self.upn.is_some() && self.password.is_some() && self.failure.is_none()
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
    };
    tokio::spawn(task.run(plan));
    RestoreRun {
        run_id,
        progress: rx,
        stop,
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

struct Runner {
    dir: Arc<dyn Directory>,
    journal: Journal,
    audit: Audit,
    tx: mpsc::Sender<Progress>,
    stop: StopHandle,
    run: String,
    warned: bool,
}

impl Runner {
    async fn emit(&self, p: Progress) {
        // A closed receiver means nobody watches any more; the work and journal go on.
        let _ = self.tx.send(p).await;
    }

    async fn journal(&mut self, entry: journal::Entry) {
        if let Err(e) = self.journal.record(&entry) {
            self.warn(format!(
                "the journal ({}) could not be written: {e}; an interrupted run may not be \
                 found later",
                self.journal.path().display()
            ))
            .await;
        }
    }

    /// Audits one change; `Ok` carries Graph's request-id when there is one.
    async fn audit(
        &mut self,
        action: &str,
        target: &str,
        result: Result<Option<&str>, &DirectoryError>,
    ) {
        if let Err(e) = self.audit.record_with_id(action, target, result, None) {
            self.warn(format!(
                "the audit log ({}) could not be written: {e}",
                self.audit.path().display()
            ))
            .await;
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
            .map(|p| UserOutcome::new(&self.run, &p.user, plan.force_change))
            .collect();
        for p in &plan.users {
            self.emit(Progress::Queued {
                id: p.user.id.clone(),
            })
            .await;
        }
        if let Err(error) = plan.validate() {
            for o in &mut outcomes {
                self.emit(Progress::Failed {
                    id: o.id.clone(),
                    stage: Stage::Preflight,
                    error: error.clone(),
                })
                .await;
                o.failure = Some(Failure {
                    stage: Stage::Preflight,
                    error: error.clone(),
                });
            }
            self.emit(Progress::Finished(outcomes)).await;
            return;
        }

        let index: HashMap<String, usize> = plan
            .users
            .iter()
            .enumerate()
            .map(|(i, p)| (p.user.id.clone(), i))
            .collect();
        let passwords: Vec<SecretString> = plan
            .users
            .iter()
            .map(|_| match &plan.password {
                PasswordChoice::Auto => password::generate(),
                PasswordChoice::Given(p) => p.clone(),
            })
            .collect();

        for p in &plan.users {
            let mut e = journal::Entry::new(&self.run, &p.user.id, Step::Planned)
                .upn(p.target_upn())
                .display_name(&p.user.display_name);
            e.mail_to = plan.mail_to.clone();
            e.include_password = plan.include_password;
            e.force_change = plan.force_change;
            self.journal(e).await;
        }

        let positions: Vec<usize> = (0..plan.users.len()).collect();
        for chunk in positions.chunks(CHUNK) {
            if self.stop.is_stopped() {
                for &i in chunk {
                    let error = DirectoryError::invalid(
                        "stopped before it started: nothing was changed for this user",
                    );
                    self.fail_unsent(&mut outcomes[i], error).await;
                }
                continue;
            }
            let mut jobs = Vec::with_capacity(chunk.len());
            for &i in chunk {
                let p = &plan.users[i];
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
                    password: Some(PasswordChange {
                        password: passwords[i].clone(),
                        force_change_next_sign_in: plan.force_change,
                        force_change_with_mfa: plan.force_change_with_mfa,
                    }),
                });
            }
            let mut events = self.dir.restore_many(jobs);
            while let Some(event) = events.next().await {
                let id = match &event {
                    JobEvent::Restored { id, .. }
                    | JobEvent::PasswordSet { id, .. }
                    | JobEvent::Failed { id, .. } => id.clone(),
                };
                let Some(&i) = index.get(&id) else {
                    continue;
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
                        o.password = Some(passwords[i].clone());
                        self.journal(journal::Entry::new(&self.run, &id, Step::PasswordSet))
                            .await;
                        let target = outcomes[i].upn.clone().unwrap_or_else(|| id.clone());
                        let target = format!("{target} ({id})");
                        self.audit("set_password", &target, Ok(request_id.as_deref()))
                            .await;
                        self.emit(Progress::PasswordSet { id: id.clone() }).await;
                        crash_hook("password");
                    }
                    JobEvent::Failed { stage, error, .. } => {
                        self.fail(&mut outcomes[i], stage, error).await;
                    }
                }
            }
            // `restore_many` promises an end for every job; if one went missing, say so
            // rather than report it as done.
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
        self.emit(Progress::Finished(outcomes)).await;
    }

    async fn restored(&mut self, o: &mut UserOutcome, user: &ActiveUser, request_id: Option<&str>) {
        o.upn = Some(user.user_principal_name.clone());
        self.journal(
            journal::Entry::new(&self.run, &o.id, Step::Restored).upn(&user.user_principal_name),
        )
        .await;
        self.audit(
            "restore",
            &format!("{} ({})", user.user_principal_name, o.id),
            Ok(request_id),
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
        self.journal(journal::Entry::failed(&self.run, &o.id, stage, &error))
            .await;
        let action = match stage {
            Stage::Password => Some("set_password"),
            Stage::Restore => Some("restore"),
            _ => None,
        };
        if let Some(action) = action {
            let target = format!("{} ({})", o.upn.as_deref().unwrap_or(&o.original_upn), o.id);
            self.audit(action, &target, Err(&error)).await;
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
        o.failure = Some(Failure { stage, error });
    }
}

fn crash_hook(step: &str) {
    static HOOK: OnceLock<Option<String>> = OnceLock::new();
    let hook = HOOK.get_or_init(|| std::env::var(CRASH_HOOK_ENV).ok());
    if hook.as_deref() == Some(step) {
        eprintln!("{CRASH_HOOK_ENV}={step}: exiting as if the process died here");
        std::process::exit(CRASH_EXIT_CODE);
    }
}

// ---------------------------------------------------------------------------------------------
// The sign-in info email
// ---------------------------------------------------------------------------------------------

/// Sends one email to `to` listing every complete outcome (restored, password set), then
/// journals and audits it. On failure nothing is recorded as sent, so the caller can retry.
/// Returns how many users the email covered.
pub async fn send_sign_in_mail(
    dir: &dyn Directory,
    outcomes: &[UserOutcome],
    to: &[String],
    options: &SignInMail,
    journal: &Journal,
    audit: &Audit,
) -> DirResult<usize> {
    if to.is_empty() {
        return Err(DirectoryError::invalid("no recipient for the sign-in info"));
    }
    let ready: Vec<&UserOutcome> = outcomes.iter().filter(|o| o.complete()).collect();
    if ready.is_empty() {
        return Err(DirectoryError::invalid(
            "no restored user with a password set: nothing to send",
        ));
    }
    let accounts: Vec<MailAccount<'_>> = ready
        .iter()
        .map(|o| MailAccount {
            display_name: &o.display_name,
            upn: o.upn.as_deref().unwrap_or(&o.original_upn),
            password: o.password.as_ref(),
            previous_upn: o.upn.as_ref().map(|_| o.original_upn.as_str()),
            // Not known to `UserOutcome` yet: the integrator wires them from the deleted user.
            mail: None,
            synced: false,
            guest: false,
        })
        .collect();
    let mut message = mail::sign_in_message(&accounts, to, options);
    let result = dir.send_mail(&message).await;
    // The body may hold passwords: do not leave it in freed memory.
    message.body.zeroize();
    let recipients = to.join(", ");
    let detail = Some(format!(
        "sign-in info for {} user(s), password {}",
        ready.len(),
        if options.include_password {
            "included"
        } else {
            "left out"
        }
    ));
    let _ = audit.record(
        "send_mail",
        &recipients,
        result.as_ref().map(|_| ()),
        detail,
    );
    result?;
    for o in &ready {
        let _ = journal.record(
            &journal::Entry::new(&o.run, &o.id, Step::MailSent).detail(format!("to {recipients}")),
        );
    }
    Ok(ready.len())
}

/// Records that the sign-in info for these outcomes will not be emailed (the admin closed
/// without it, or the password was handed over another way), so they are not "unfinished".
pub fn record_mail_skipped(outcomes: &[UserOutcome], journal: &Journal, reason: &str) {
    for o in outcomes.iter().filter(|o| o.complete()) {
        let _ =
            journal.record(&journal::Entry::new(&o.run, &o.id, Step::MailSkipped).detail(reason));
    }
}

// ---------------------------------------------------------------------------------------------
// Finishing an interrupted run
// ---------------------------------------------------------------------------------------------

/// Finishes what an earlier run left: for a user whose restore is unknown, asks the directory;
/// for each restored user, sets a new generated password (the old one is gone with the run).
/// The outcomes then go to `send_sign_in_mail` (to `Unfinished::mail_to` or other recipients)
/// or to `record_mail_skipped`, exactly as after a normal run.
pub async fn finish_unfinished(
    dir: &dyn Directory,
    items: &[Unfinished],
    journal: &Journal,
    audit: &Audit,
) -> Vec<UserOutcome> {
    let run = uuid::Uuid::new_v4().to_string();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let mut o = UserOutcome {
            run: run.clone(),
            id: item.id.clone(),
            display_name: item.display_name.clone(),
            original_upn: item.upn.clone(),
            upn: None,
            password: None,
            failure: None,
            force_change: item.force_change,
        };
        match item.restore {
            RestoreState::Restored => o.upn = Some(item.upn.clone()),
            RestoreState::Unknown => match dir.get_active(&item.id).await {
                Ok(Some(user)) => {
                    let _ = journal.record(
                        &journal::Entry::new(&run, &item.id, Step::Restored)
                            .upn(&user.user_principal_name)
                            .detail("found active by a later run"),
                    );
                    o.upn = Some(user.user_principal_name);
                }
                Ok(None) => {
                    let _ = journal.record(
                        &journal::Entry::new(&run, &item.id, Step::Closed)
                            .detail("the earlier run did not restore it"),
                    );
                    o.failure = Some(Failure {
                        stage: Stage::Restore,
                        error: DirectoryError::new(
                            ErrorKind::NotFound,
                            "the earlier run did not restore this user (it is not active): \
                             restore it again",
                        ),
                    });
                    out.push(o);
                    continue;
                }
                Err(error) => {
                    o.failure = Some(Failure {
                        stage: Stage::Preflight,
                        error,
                    });
                    out.push(o);
                    continue;
                }
            },
        }
        let secret = password::generate();
        let change = PasswordChange {
            password: secret.clone(),
            force_change_next_sign_in: item.force_change,
            force_change_with_mfa: false,
        };
        let target = format!("{} ({})", o.upn.as_deref().unwrap_or(&item.upn), item.id);
        match dir.set_password(&item.id, &change).await {
            Ok(()) => {
                let _ = audit.record(
                    "set_password",
                    &target,
                    Ok(()),
                    Some("finishing an interrupted run".into()),
                );
                let _ = journal.record(&journal::Entry::new(&run, &item.id, Step::PasswordSet));
                o.password = Some(secret);
            }
            Err(error) => {
                let _ = audit.record("set_password", &target, Err(&error), None);
                let entry = if error.kind == ErrorKind::NotFound {
                    // Deleted again or purged since: there is nothing left to finish, and
                    // keeping it open would list it as unfinished on every run from now on.
                    journal::Entry::new(&run, &item.id, Step::Closed)
                        .detail(format!("no active user to finish any more: {error}"))
                } else {
                    journal::Entry::failed(&run, &item.id, Stage::Password, &error)
                };
                let _ = journal.record(&entry);
                o.failure = Some(Failure {
                    stage: Stage::Password,
                    error,
                });
            }
        }
        out.push(o);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Recipients
// ---------------------------------------------------------------------------------------------

/// Addresses separated by `;` or `,` (blanks ignored, duplicates dropped); the first malformed
/// one is named in the error. An empty or blank input gives no addresses.
pub fn parse_recipients(s: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split([';', ',']) {
        let address = part.trim();
        if address.is_empty() {
            continue;
        }
        check_address(address).map_err(|e| format!("{address:?} is not an email address: {e}"))?;
        if !out.iter().any(|a| a.eq_ignore_ascii_case(address)) {
            out.push(address.to_string());
        }
    }
    Ok(out)
}

/// A practical syntax check for `local@domain` (what Exchange accepts, not all of RFC 5322).
fn check_address(address: &str) -> Result<(), &'static str> {
    if address.len() > 254 {
        return Err("longer than 254 characters");
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("it has no @");
    };
    if local.is_empty() {
        return Err("nothing before the @");
    }
    if local.len() > 64 {
        return Err("the part before the @ is longer than 64 characters");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("dots misplaced before the @");
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    if !local_ok {
        return Err("unexpected character before the @");
    }
    if domain.is_empty() {
        return Err("nothing after the @");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("the domain needs a dot (e.g. contoso.com)");
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err("empty or overlong part in the domain");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a domain part starts or ends with '-'");
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err("unexpected character in the domain");
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err("the domain ends in a number");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_split_checked_and_deduplicated() {
        assert_eq!(
            parse_recipients(" a@contoso.com; b@fabrikam.co.uk ,A@contoso.com;; ").unwrap(),
            vec!["a@contoso.com".to_string(), "b@fabrikam.co.uk".to_string()]
        );
        assert_eq!(parse_recipients("  ").unwrap(), Vec::<String>::new());
        let e = parse_recipients("a@contoso.com; bob@;c@d.e").unwrap_err();
        assert!(e.contains("\"bob@\""), "{e}");
        for bad in [
            "bob",
            "@contoso.com",
            "a b@contoso.com",
            "a@contoso",
            "a@-x.com",
            "a..b@c.com",
            "a@c..com",
            "a@1.2.3.4",
        ] {
            assert!(parse_recipients(bad).is_err(), "{bad} should be refused");
        }
        assert!(parse_recipients("first.last+tag@sub.contoso-mail.com").is_ok());
    }

    #[test]
    fn upn_suggestions_count_up_without_overflowing() {
        let first = |upn: &str| upn_candidates(upn).take(2).collect::<Vec<_>>();
        assert_eq!(
            first("alex.wilber@contoso.com"),
            ["alex.wilber2@contoso.com", "alex.wilber3@contoso.com"]
        );
        assert_eq!(
            first("alex7@contoso.com"),
            ["alex8@contoso.com", "alex9@contoso.com"]
        );
        assert_eq!(
            first("42@contoso.com"),
            ["422@contoso.com", "423@contoso.com"]
        );
        assert_eq!(
            first("a4294967295@c.com"),
            ["a4294967296@c.com", "a4294967297@c.com"]
        );
        assert_eq!(
            upn_candidates("a18446744073709551614@c.com").collect::<Vec<_>>(),
            ["a18446744073709551615@c.com"]
        );
        assert_eq!(upn_candidates("x@c.com").count(), SUGGESTION_TRIES as usize);
        assert_eq!(upn_candidates("no-at-sign").count(), 0);
    }

    #[test]
    fn plan_validation_names_the_rule() {
        let mut plan = RestorePlan::new(vec![]);
        plan.password = PasswordChoice::Given(SecretString::from("short"));
        let e = plan.validate().unwrap_err();
        assert_eq!(e.kind, ErrorKind::WeakPassword);
        assert!(e.message.contains("8 to 256"), "{}", e.message);
        plan.password = PasswordChoice::Given(SecretString::from("onlylowercaseletters"));
        let e = plan.validate().unwrap_err();
        assert!(e.message.contains("at least 3"), "{}", e.message);
        plan.password = PasswordChoice::Given(SecretString::from("Kiwi-Moon-42#x"));
        assert!(plan.validate().is_ok());
    }

    #[test]
    fn outcome_debug_hides_the_password() {
        let user = DeletedUser {
            id: "1".into(),
            display_name: "A".into(),
            deleted_upn: "1a@b.c".into(),
            original_upn: "a@b.c".into(),
            mail: None,
            proxy_addresses: vec![],
            department: None,
            job_title: None,
            deleted_at: None,
            on_premises_sync_enabled: false,
            user_type: None,
        };
        let mut o = UserOutcome::new("r", &user, true);
        o.password = Some(SecretString::from("Kiwi-Moon-42#x"));
        let shown = format!("{o:?}");
        assert!(!shown.contains("Kiwi"));
        assert!(shown.contains("[hidden]"));
    }
}
