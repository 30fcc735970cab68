//! The restore workflow, shared by the TUI and the scripting commands:
//! pre-flight check -> restore -> set the password -> sign-in info email.
//! The rules a restore must pass (`plan`, `preflight`, `pass`) live here too, so the TUI and
//! the commands only collect choices and show results.
//!
//! Each step is reported on a channel as it happens, written to the journal (never the
//! password) so an interrupted run can be finished later, and every change goes to the audit
//! log. Many users go through `Directory::restore_many`, which batches and throttles.
//!
//! Test hook (only with the `test-hooks` feature, which the tests turn on; release builds
//! carry none): with `UNDELETE_TEST_CRASH_AFTER=restore` (or `password`) in the environment the
//! process exits with code 86 right after journaling the first such step, the way a crash or a
//! kill would leave it; with `mail`, right after the sign-in mail was sent and before `MailSent`
//! is journaled (the mail window). Tests use it to prove the journal picks up an interrupted run.

pub mod aftercare;
pub mod audit;
pub mod books;
pub mod deliver;
pub mod earlier;
pub mod finish;
pub mod journal;
pub mod lock;
pub mod pass;
pub mod plan;
pub mod preflight;
pub mod restored;
pub mod run;
pub mod set_password;

pub use audit::{Audit, AuditEntry};
pub use books::{Books, WriteFailed};
pub use deliver::{Delivered, record_mail_skipped, send_sign_in_mail};
pub use finish::{
    Confirmed, MAIL_UNCERTAIN_CODE, MailChoice, MailGroup, Recorded, bring_back_again,
    confirm_mail_arrived, finish_unfinished, mail_groups,
};
pub use journal::{Journal, MailAttempt, Pending, RestoreState, Step, Unfinished};
pub use lock::{Busy, DataDirLock, Doing, Held, LockSlot, NotHeld};
pub use pass::{Lifetime, PassProblem, pass_terms};
pub use plan::{
    Field, PasswordCheck, PasswordChoice, PlanRequest, PlannedUser, Problem, RestorePlan, Tenant,
    UserRequest, check_password, check_password_for, check_upn, into_plan, validate, warnings,
};
pub use preflight::{
    NameCheck, Preflight, check_new_upn, holder_words, preflight, preflight_all, preflight_each,
    preflight_requests,
};
pub use restored::{MailState, PasswordState, RestoredUser, restored_in, restored_of};
#[cfg(feature = "test-hooks")]
pub use run::{CRASH_EXIT_CODE, CRASH_HOOK_ENV};
pub use run::{
    Failure, ItemOutcome, LOST_REPLY_FOUND_RESTORED, Progress, RestoreRun, StopHandle, UserOutcome,
    run_to_end, start,
};
pub use set_password::{PasswordStep, set_password};

/// The tenant's verified domains, for the rules of `plan` (new user names, banned names).
pub async fn load_tenant(
    dir: &dyn crate::directory::Directory,
) -> crate::directory::DirResult<Tenant> {
    let domains = dir.domains().await?;
    Ok(Tenant::from_domains(
        domains.iter().map(|d| (d.name.as_str(), d.verified)),
    ))
}
