//! A restore whose hand-off is a Temporary Access Pass, against the sandbox over HTTP: the pass
//! issued after the restore and journaled without its value; a refused pass leaves the user
//! restored and unfinished, said in words first, and finishing issues one.

use crate::common;

use undelete::directory::Stage;
use undelete::directory::tap::TapRequest;
use undelete::restore::{
    self, Audit, Journal, PasswordChoice, PlannedUser, RestorePlan, Step, run_to_end,
};
use undelete_sandbox::SandboxHandle;

async fn member(h: &SandboxHandle) -> undelete::directory::DeletedUser {
    let dir = common::sandbox_directory(h, "tap-tests");
    let users = undelete::directory::all_deleted(dir.as_ref())
        .await
        .expect("listing");
    for u in users {
        let pf = restore::preflight(dir.as_ref(), &u)
            .await
            .expect("preflight");
        if !pf.has_conflict() && !u.is_guest() {
            return u;
        }
    }
    panic!("no plain member in the seed");
}

#[tokio::test]
async fn a_pass_run_journals_the_issue_never_the_pass_and_a_refusal_is_finished_later() {
    // The policy is off: the restore happens, the pass is refused.
    let (_tmp, h) = common::start_sandbox_with(30, |c| c.tap_policy(false)).await;
    let dir = common::sandbox_directory(&h, "tap-tests");
    let data = tempfile::tempdir().expect("data dir");
    let journal = Journal::open(data.path()).expect("journal");
    let audit = Audit::open(data.path(), "SANDBOX", "admin@contoso.sandbox").expect("audit");
    let user = member(&h).await;
    let mut plan = RestorePlan::new(vec![PlannedUser::as_is(user.clone())]);
    plan.password = PasswordChoice::Tap(TapRequest {
        lifetime_minutes: 60,
        usable_once: true,
    });
    let outcomes = run_to_end(dir.clone(), plan, journal.clone(), audit.clone()).await;
    let o = &outcomes[0];
    assert!(o.restored(), "the restore is not undone by the pass");
    assert!(o.needs_password());
    let f = o.failure.as_ref().expect("the pass step failed");
    assert_eq!(f.stage, Stage::Password);
    assert!(
        f.error
            .message
            .starts_with("Temporary Access Pass not issued:"),
        "{}",
        f.error.message
    );
    assert!(f.error.message.contains("disabled"), "{}", f.error.message);
    let unfinished = journal.unfinished().expect("journal");
    assert_eq!(unfinished.len(), 1);
    assert_eq!(
        unfinished[0].tap,
        Some(TapRequest {
            lifetime_minutes: 60,
            usable_once: true
        })
    );
    let audit_log = std::fs::read_to_string(audit.path()).expect("audit log");
    assert!(audit_log.contains("issue_tap"), "{audit_log}");
    h.shutdown().await;

    // The same run on a tenant that allows passes: issued, journaled without the pass.
    let (_tmp, h) = common::start_sandbox(30).await;
    let dir = common::sandbox_directory(&h, "tap-tests");
    let data = tempfile::tempdir().expect("data dir");
    let journal = Journal::open(data.path()).expect("journal");
    let audit = Audit::open(data.path(), "SANDBOX", "admin@contoso.sandbox").expect("audit");
    let user = member(&h).await;
    let mut plan = RestorePlan::new(vec![PlannedUser::as_is(user.clone())]);
    plan.password = PasswordChoice::Tap(TapRequest {
        lifetime_minutes: 60,
        usable_once: false,
    });
    let outcomes = run_to_end(dir.clone(), plan, journal.clone(), audit).await;
    let o = &outcomes[0];
    assert!(o.complete(), "{o:?}");
    let pass = secrecy::ExposeSecret::expose_secret(o.password.as_ref().unwrap()).to_string();
    assert!(h.inspect().tap_matches(&user.id, &pass));
    assert!(!h.inspect().password_matches(&user.id, &pass));
    let entries = journal.entries().expect("entries");
    assert!(entries.iter().any(|e| e.step == Step::TapIssued));
    let raw = std::fs::read_to_string(journal.path()).expect("journal file");
    assert!(!raw.contains(&pass), "the journal never holds the pass");
    // Restored and handed a pass: only the mail is left to settle.
    let left = journal.unfinished().expect("journal");
    assert!(left.iter().all(|u| u.password_set), "{left:?}");
}
