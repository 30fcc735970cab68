//! The restore workflow (`undelete::restore`) against the sandbox over real HTTP on 127.0.0.1:
//! each conflict and its resolution, the password policy, the sign-in mail, the journal and the
//! audit log.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use undelete::auth::client_credentials::ClientCredentials;
use undelete::config::Endpoints;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::directory::{DeletedUser, Directory, ErrorKind, HolderKind, HolderQuery, Stage};
use undelete::mail::SignInMail;
use undelete::restore::{
    self, Audit, Journal, PasswordChoice, PlannedUser, Progress, RestorePlan, RestoreState,
    Unfinished, UserOutcome,
};
use undelete_sandbox::SandboxHandle;

fn directory(h: &SandboxHandle) -> Arc<dyn Directory> {
    common::sandbox_directory(h, "restore-workflow-tests")
}

struct Fixture {
    _tmp: tempfile::TempDir,
    sandbox: SandboxHandle,
    dir: Arc<dyn Directory>,
    data: tempfile::TempDir,
    journal: Journal,
    audit: Audit,
}

impl Fixture {
    /// Finishes what the journal holds unfinished, generating passwords, as `F` and `undelete
    /// finish` do.
    async fn finish(&self, items: &[Unfinished], resend: bool) -> Vec<UserOutcome> {
        restore::finish_unfinished(
            self.dir.as_ref(),
            items,
            &restore::PasswordChoice::Auto,
            resend,
            &self.journal,
            &self.audit,
        )
        .await
        .0
    }
}

async fn fixture(users: usize) -> Fixture {
    let (tmp, sandbox) = common::start_sandbox(users).await;
    let dir = directory(&sandbox);
    let data = tempfile::tempdir().expect("data dir");
    let books = common::sandbox_books(data.path());
    let journal = Journal::open(&books).expect("journal");
    let audit =
        Audit::open(&books, "SANDBOX contoso.sandbox", "admin@contoso.sandbox").expect("audit");
    Fixture {
        _tmp: tmp,
        sandbox,
        dir,
        data,
        journal,
        audit,
    }
}

async fn deleted_users(dir: &dyn Directory) -> Vec<DeletedUser> {
    undelete::directory::all_deleted(dir)
        .await
        .expect("listing")
}

/// The first deleted user whose pre-flight matches `want`.
async fn find_user(
    dir: &dyn Directory,
    want: impl Fn(&restore::Preflight, &DeletedUser) -> bool,
) -> (DeletedUser, restore::Preflight) {
    for u in deleted_users(dir).await {
        let pf = restore::preflight(dir, &u).await.expect("preflight");
        if want(&pf, &u) {
            return (u, pf);
        }
    }
    panic!("no deleted user in the sandbox fits");
}

/// Whether the plan's rules let this user through with these choices.
fn resolved(
    user: &DeletedUser,
    pf: &restore::Preflight,
    new_upn: Option<&str>,
    reconcile_proxies: bool,
) -> bool {
    let request = restore::PlanRequest::new(vec![restore::UserRequest {
        user: user.clone(),
        new_upn: new_upn.map(str::to_string),
        reconcile_proxies,
        preflight: Some(pf.clone()),
        bring_back: Vec::new(),
    }]);
    restore::validate(&request, &restore::Tenant::default()).is_empty()
}

fn plain(pf: &restore::Preflight, u: &DeletedUser) -> bool {
    !pf.has_conflict() && !u.on_premises_sync_enabled && !u.is_guest()
}

/// Runs a plan, collecting every progress event.
async fn run(f: &Fixture, plan: RestorePlan) -> (Vec<Progress>, Vec<UserOutcome>) {
    let mut run = restore::start(Arc::clone(&f.dir), plan, f.journal.clone(), f.audit.clone());
    let mut events = Vec::new();
    while let Some(p) = tokio::time::timeout(Duration::from_secs(60), run.progress.recv())
        .await
        .expect("progress within a minute")
    {
        if let Progress::Finished(outcomes) = &p {
            let outcomes = outcomes.clone();
            events.push(p);
            return (events, outcomes);
        }
        events.push(p);
    }
    panic!("the run ended without Finished");
}

fn mail_options() -> SignInMail {
    SignInMail {
        include_password: true,
        force_change: true,
        sign_in_url: "https://myapps.microsoft.com".into(),
        sender: None,
    }
}

#[tokio::test]
async fn a_free_user_is_restored_given_a_password_and_mailed() {
    let f = fixture(40).await;
    let (user, pf) = find_user(f.dir.as_ref(), plain).await;
    assert!(pf.suggested_upn.is_none());
    let mut plan = RestorePlan::new(vec![PlannedUser::as_is(user.clone())]);
    plan.mail_to = vec!["helpdesk@contoso.sandbox".into()];
    let (events, outcomes) = run(&f, plan).await;

    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Progress::Queued { .. } => "queued",
            Progress::Restoring { .. } => "restoring",
            Progress::Restored { .. } => "restored",
            Progress::PasswordSet { .. } => "password",
            Progress::TapIssued { .. } => "tap",
            Progress::Failed { .. } => "failed",
            Progress::Warning(_) => "warning",
            Progress::Finished(_) => "finished",
        })
        .collect();
    assert_eq!(
        kinds,
        ["queued", "restoring", "restored", "password", "finished"]
    );
    let o = &outcomes[0];
    assert!(o.complete(), "{o:?}");
    assert_eq!(o.upn.as_deref(), Some(user.original_upn.as_str()));
    let password = o
        .password
        .as_ref()
        .expect("password")
        .expose_secret()
        .to_string();
    assert!(undelete::password::check(&password).passes());

    let inspect = f.sandbox.inspect();
    assert!(inspect.is_active(&user.id));
    assert!(inspect.password_matches(&user.id, &password));

    // Restored and password set, but the mail is not settled yet: unfinished.
    let unfinished = f.journal.unfinished().expect("journal");
    assert_eq!(unfinished.len(), 1);
    assert!(unfinished[0].password_set && !unfinished[0].mail_done);

    let to = vec!["helpdesk@contoso.sandbox".to_string()];
    let sent = restore::send_sign_in_mail(
        f.dir.as_ref(),
        &outcomes,
        &to,
        &mail_options(),
        &f.journal,
        &f.audit,
    )
    .await
    .expect("mail sent");
    assert_eq!(sent.users, 1);
    assert!(sent.warnings.is_empty(), "{:?}", sent.warnings);
    let outbox = inspect.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to, to);
    assert!(outbox[0].body.contains(&user.original_upn));
    assert!(outbox[0].body.contains(&password));
    assert!(outbox[0].body.contains("https://myapps.microsoft.com"));
    assert!(f.journal.unfinished().expect("journal").is_empty());

    // Every change audited; neither file ever holds the password.
    let actions: Vec<String> = f
        .audit
        .entries()
        .expect("audit")
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.outcome))
        .collect();
    assert_eq!(actions, ["restore ok", "set_password ok", "send_mail ok"]);
    // The restore and the password change carry Graph's request-id, for support cases.
    let entries = f.audit.entries().expect("audit");
    for e in &entries[..2] {
        assert!(
            e.request_id.as_ref().is_some_and(|r| !r.is_empty()),
            "{} has no request-id",
            e.action
        );
    }
    for file in [f.journal.path(), f.audit.path()] {
        let text = std::fs::read_to_string(file).expect("read");
        assert!(
            !text.contains(&password),
            "{} leaks the password",
            file.display()
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [f.journal.path(), f.audit.path()] {
            let mode = std::fs::metadata(file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
        }
    }
    let _ = f.data.path();
}

#[tokio::test]
async fn upn_conflict_fails_as_is_and_succeeds_under_the_suggested_name() {
    let f = fixture(40).await;
    let (user, pf) = find_user(f.dir.as_ref(), |pf, _| pf.upn_holder.is_some()).await;
    // The new holder usually took the primary SMTP address with the name, as in Entra.
    let reconcile = !pf.proxy_holders.is_empty();
    let suggestion = pf.suggested_upn.clone().expect("a free name is suggested");
    assert_ne!(suggestion, user.original_upn);
    assert!(
        pf.new_upn_free(&suggestion),
        "pre-flight checked the suggestion"
    );
    assert!(
        f.dir
            .find_holders(vec![HolderQuery::UserName(suggestion.clone())])
            .await
            .remove(0)
            .expect("lookup")
            .is_none(),
        "the suggestion is free"
    );
    assert!(!resolved(&user, &pf, None, false));
    assert!(resolved(&user, &pf, Some(&suggestion), reconcile));
    assert!(!resolved(&user, &pf, None, true));
    assert!(pf.describe()[0].contains(&suggestion));

    // As it was: Graph refuses, nothing changes, nothing is left unfinished.
    let (_, outcomes) = run(&f, RestorePlan::new(vec![PlannedUser::as_is(user.clone())])).await;
    let failure = outcomes[0].failure.as_ref().expect("fails");
    assert_eq!(failure.stage, Stage::Restore);
    assert_eq!(
        failure.error.kind,
        ErrorKind::UpnConflict,
        "{:?}",
        failure.error
    );
    assert!(f.sandbox.inspect().is_deleted(&user.id));
    assert!(f.journal.unfinished().expect("journal").is_empty());
    let audit = f.audit.entries().expect("audit");
    assert!(audit[0].outcome.starts_with("failed"), "{audit:?}");

    // Under the suggested name: restored.
    let planned = PlannedUser {
        user: user.clone(),
        new_upn: Some(suggestion.clone()),
        reconcile_proxies: reconcile,
        set_password: true,
        bring_back: Vec::new(),
    };
    let (_, outcomes) = run(&f, RestorePlan::new(vec![planned])).await;
    assert!(outcomes[0].complete(), "{:?}", outcomes[0]);
    assert_eq!(outcomes[0].upn.as_deref(), Some(suggestion.as_str()));
    assert_eq!(
        f.sandbox.inspect().upn(&user.id).as_deref(),
        Some(suggestion.as_str())
    );
}

#[tokio::test]
async fn proxy_conflict_fails_as_is_and_succeeds_with_reconcile() {
    let f = fixture(40).await;
    let (user, pf) = find_user(f.dir.as_ref(), |pf, _| {
        pf.upn_holder.is_none() && !pf.proxy_holders.is_empty()
    })
    .await;
    let (address, holder) = pf.proxy_holders[0].clone();
    assert!(
        holder
            .proxy_addresses
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&address))
    );
    assert!(!resolved(&user, &pf, None, false));
    assert!(resolved(&user, &pf, None, true));

    let (_, outcomes) = run(&f, RestorePlan::new(vec![PlannedUser::as_is(user.clone())])).await;
    let failure = outcomes[0].failure.as_ref().expect("fails");
    assert_eq!(
        failure.error.kind,
        ErrorKind::ProxyConflict,
        "{:?}",
        failure.error
    );
    assert!(f.sandbox.inspect().is_deleted(&user.id));

    let planned = PlannedUser {
        user: user.clone(),
        new_upn: None,
        reconcile_proxies: true,
        set_password: true,
        bring_back: Vec::new(),
    };
    let (_, outcomes) = run(&f, RestorePlan::new(vec![planned])).await;
    assert!(outcomes[0].complete(), "{:?}", outcomes[0]);
    let now = f.sandbox.inspect().proxy_addresses(&user.id);
    assert!(
        !now.iter().any(|p| p.eq_ignore_ascii_case(&address)),
        "{address} was dropped: {now:?}"
    );
}

#[tokio::test]
async fn addresses_groups_and_contacts_hold_are_found_refused_and_reconciled() {
    let f = fixture(40).await;
    for kind in [HolderKind::Group, HolderKind::Contact] {
        let (user, pf) = find_user(f.dir.as_ref(), |pf, _| {
            pf.proxy_holders.iter().any(|(_, h)| h.kind == kind)
        })
        .await;
        let (address, holder) = pf
            .proxy_holders
            .iter()
            .find(|(_, h)| h.kind == kind)
            .cloned()
            .expect("held");
        assert!(!holder.id.is_empty() && !holder.display_name.is_empty());
        let words = pf.describe().join("\n");
        assert!(
            words.contains(&format!("{address} is now held by {kind} \"")),
            "{words}"
        );
        // The plan's rule asks for "remove conflicting proxy addresses", as for a user.
        let new_upn = pf.suggested_upn.as_deref();
        assert!(!resolved(&user, &pf, new_upn, false));
        assert!(resolved(&user, &pf, new_upn, true));

        // Sent anyway, the directory refuses it as it refuses a user's address.
        let planned = |reconcile| PlannedUser {
            user: user.clone(),
            new_upn: new_upn.map(str::to_string),
            reconcile_proxies: reconcile,
            set_password: true,
            bring_back: Vec::new(),
        };
        let (_, outcomes) = run(&f, RestorePlan::new(vec![planned(false)])).await;
        let failure = outcomes[0].failure.as_ref().expect("refused");
        assert_eq!(
            failure.error.kind,
            ErrorKind::ProxyConflict,
            "{kind}: {:?}",
            failure.error
        );
        assert!(f.sandbox.inspect().is_deleted(&user.id));

        let (_, outcomes) = run(&f, RestorePlan::new(vec![planned(true)])).await;
        assert!(outcomes[0].complete(), "{kind}: {:?}", outcomes[0]);
        let now = f.sandbox.inspect().proxy_addresses(&user.id);
        assert!(
            !now.iter().any(|p| p.eq_ignore_ascii_case(&address)),
            "{address} was dropped: {now:?}"
        );
    }
}

#[tokio::test]
async fn a_password_breaking_the_policy_is_refused_before_anything_changes() {
    let f = fixture(20).await;
    let (user, _) = find_user(f.dir.as_ref(), plain).await;
    let mut plan = RestorePlan::new(vec![PlannedUser::as_is(user.clone())]);
    plan.password = PasswordChoice::Given(SecretString::from("alllowercaseletters"));
    let (_, outcomes) = run(&f, plan).await;
    let failure = outcomes[0].failure.as_ref().expect("refused");
    assert_eq!(failure.stage, Stage::Preflight);
    assert_eq!(failure.error.kind, ErrorKind::WeakPassword);
    assert!(
        failure.error.message.contains("at least 3 of"),
        "names the rule: {}",
        failure.error.message
    );
    assert!(f.sandbox.inspect().is_deleted(&user.id));
    assert_eq!(f.sandbox.inspect().write_count(), 0);
}

#[tokio::test]
async fn a_password_the_server_bans_leaves_a_restored_user_to_finish() {
    let f = fixture(20).await;
    let (user, _) = find_user(f.dir.as_ref(), plain).await;
    // Passes the local rules, but the sandbox (like Entra) bans the tenant's own name.
    let mut plan = RestorePlan::new(vec![PlannedUser::as_is(user.clone())]);
    plan.password = PasswordChoice::Given(SecretString::from("Contoso-Kiwi-42"));
    let (_, outcomes) = run(&f, plan).await;
    let o = &outcomes[0];
    assert!(o.restored());
    let failure = o.failure.as_ref().expect("password refused");
    assert_eq!(failure.stage, Stage::Password);
    assert_eq!(
        failure.error.kind,
        ErrorKind::WeakPassword,
        "{:?}",
        failure.error
    );

    let unfinished = f.journal.unfinished().expect("journal");
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].restore, RestoreState::Restored);
    assert!(!unfinished[0].password_set);

    let finished = f.finish(&unfinished, false).await;
    assert!(finished[0].complete(), "{:?}", finished[0]);
    let pw = finished[0].password.as_ref().expect("new password");
    assert!(
        f.sandbox
            .inspect()
            .password_matches(&user.id, pw.expose_secret())
    );
    let failed = restore::record_mail_skipped(&finished, &f.journal, "test: handed over in person");
    assert!(failed.is_empty(), "{failed:?}");
    assert!(f.journal.unfinished().expect("journal").is_empty());
}

#[tokio::test]
async fn an_unfinished_user_that_is_gone_is_closed_not_kept_forever() {
    let f = fixture(20).await;
    let (user, _) = find_user(f.dir.as_ref(), plain).await;
    // A run journaled the restore, then the user was deleted again (it is back in the deleted
    // items, not active): setting its password can only answer 404.
    for step in [restore::Step::Planned, restore::Step::Restored] {
        f.journal
            .record(
                &restore::journal::Entry::new("old-run", &user.id, step).upn(&user.original_upn),
            )
            .expect("journal");
    }
    let unfinished = f.journal.unfinished().expect("journal");
    assert_eq!(unfinished.len(), 1);
    let finished = f.finish(&unfinished, false).await;
    let failure = finished[0]
        .failure
        .as_ref()
        .expect("nothing to set a password on");
    assert_eq!(failure.error.kind, ErrorKind::NotFound);
    assert!(
        f.journal.unfinished().expect("journal").is_empty(),
        "closed, not offered again on every run"
    );
    assert!(f.sandbox.inspect().is_deleted(&user.id));
}

#[tokio::test]
async fn an_interrupted_run_is_found_and_finished() {
    let f = fixture(40).await;
    let users = deleted_users(f.dir.as_ref()).await;
    let mut free = Vec::new();
    for u in users {
        let pf = restore::preflight(f.dir.as_ref(), &u)
            .await
            .expect("preflight");
        if plain(&pf, &u) {
            free.push(u);
        }
        if free.len() == 3 {
            break;
        }
    }
    let [a, b, c] = <[DeletedUser; 3]>::try_from(free).expect("three free users");
    // What a run that died would leave: `a` restored (journaled), `b` restored but the answer
    // lost (only planned in the journal), `c` planned and never sent.
    let run_id = "dead-run";
    for u in [&a, &b, &c] {
        let mut e = restore::journal::Entry::new(run_id, &u.id, restore::Step::Planned)
            .upn(&u.original_upn)
            .display_name(&u.display_name);
        e.mail_to = vec!["helpdesk@contoso.sandbox".into()];
        e.force_change = true;
        f.journal.record(&e).expect("journal");
    }
    for u in [&a, &b] {
        f.dir
            .restore(&u.id, &Default::default())
            .await
            .expect("restore");
    }
    f.journal
        .record(
            &restore::journal::Entry::new(run_id, &a.id, restore::Step::Restored)
                .upn(&a.original_upn),
        )
        .expect("journal");

    let unfinished: Vec<Unfinished> = f.journal.unfinished().expect("journal");
    assert_eq!(unfinished.len(), 3);
    let finished = f.finish(&unfinished, false).await;
    let by_id = |id: &str| finished.iter().find(|o| o.id == id).expect("outcome");
    assert!(by_id(&a.id).complete());
    assert!(by_id(&b.id).complete(), "found active and finished");
    // The restore of `b` happened although no run saw its reply: the audit log says so.
    let audited: Vec<_> = f
        .audit
        .entries()
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "restore")
        .collect();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert!(audited[0].target.contains(&b.id), "{audited:?}");
    assert_eq!(audited[0].outcome, "ok");
    assert_eq!(
        audited[0].detail.as_deref(),
        Some(restore::LOST_REPLY_FOUND_RESTORED)
    );
    let never = by_id(&c.id).failure.as_ref().expect("c was never restored");
    assert_eq!(never.stage, Stage::Restore);
    assert!(f.sandbox.inspect().is_deleted(&c.id));

    let to = unfinished[0].mail_to.clone();
    restore::send_sign_in_mail(
        f.dir.as_ref(),
        &finished,
        &to,
        &mail_options(),
        &f.journal,
        &f.audit,
    )
    .await
    .expect("mail");
    let outbox = f.sandbox.inspect().outbox();
    assert_eq!(outbox.len(), 1);
    for o in [by_id(&a.id), by_id(&b.id)] {
        let pw = o.password.as_ref().expect("password").expose_secret();
        assert!(outbox[0].body.contains(pw));
        assert!(f.sandbox.inspect().password_matches(&o.id, pw));
    }
    assert!(f.journal.unfinished().expect("journal").is_empty());
}

#[tokio::test]
async fn many_users_go_through_restore_many_and_all_finish() {
    let f = fixture(120).await;
    let users = deleted_users(f.dir.as_ref()).await;
    let checks = restore::preflight_all(f.dir.as_ref(), &users).await;
    let planned: Vec<PlannedUser> = users
        .into_iter()
        .zip(checks)
        .filter_map(|(u, pf)| {
            let pf = pf.expect("preflight");
            (!pf.has_conflict()).then(|| PlannedUser::as_is(u))
        })
        .take(60)
        .collect();
    assert!(planned.len() >= 40, "enough free users: {}", planned.len());
    let n = planned.len();
    let (events, outcomes) = run(&f, RestorePlan::new(planned)).await;
    assert_eq!(outcomes.len(), n);
    let failed: Vec<&UserOutcome> = outcomes.iter().filter(|o| !o.complete()).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let restored = events
        .iter()
        .filter(|e| matches!(e, Progress::Restored { .. }))
        .count();
    assert_eq!(restored, n);
    let inspect = f.sandbox.inspect();
    for o in &outcomes {
        assert!(inspect.is_active(&o.id));
    }
    // Auto passwords differ per user; guests get none (they sign in with their home account).
    let guests = outcomes.iter().filter(|o| o.guest).count();
    assert!(
        outcomes
            .iter()
            .filter(|o| o.guest)
            .all(|o| o.password.is_none() && o.complete())
    );
    let mut passwords: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.password.as_ref().map(|p| p.expose_secret()))
        .collect();
    passwords.sort_unstable();
    passwords.dedup();
    assert_eq!(passwords.len(), n - guests);
}

#[tokio::test]
async fn stopping_leaves_unsent_users_untouched() {
    let f = fixture(20).await;
    let users: Vec<PlannedUser> = deleted_users(f.dir.as_ref())
        .await
        .into_iter()
        .take(3)
        .map(PlannedUser::as_is)
        .collect();
    let ids: Vec<String> = users.iter().map(|p| p.user.id.clone()).collect();
    let mut run = restore::start(
        Arc::clone(&f.dir),
        RestorePlan::new(users),
        f.journal.clone(),
        f.audit.clone(),
    );
    // Stopped before the first chunk is sent.
    run.stop.stop();
    let mut outcomes = None;
    while let Some(p) = run.progress.recv().await {
        if let Progress::Finished(o) = p {
            outcomes = Some(o);
        }
    }
    let outcomes = outcomes.expect("finished");
    assert!(
        outcomes
            .iter()
            .all(|o| o.failure.is_some() && !o.restored())
    );
    for id in &ids {
        assert!(f.sandbox.inspect().is_deleted(id));
    }
    assert!(f.journal.unfinished().expect("journal").is_empty());
    assert!(f.audit.entries().unwrap_or_default().is_empty());
}

#[tokio::test]
async fn under_faults_every_outcome_matches_the_directory_and_the_journal() {
    let (tmp, sandbox) = common::start_sandbox_with(80, |c| {
        c.fail_rate(0.15)
            .drop_rate(0.05)
            .fault_seed(7)
            .write_quota(40, Duration::from_secs(2))
    })
    .await;
    let dir = directory(&sandbox);
    let data = tempfile::tempdir().expect("data dir");
    let f = Fixture {
        _tmp: tmp,
        journal: Journal::open(&common::sandbox_books(data.path())).expect("journal"),
        audit: Audit::open(&common::sandbox_books(data.path()), "SANDBOX", "admin").expect("audit"),
        data,
        dir,
        sandbox,
    };
    // Pre-flight on a clean copy of the same seed, so faults do not get in the way of choosing.
    let (_clean_tmp, clean) = common::start_sandbox(80).await;
    let clean_dir = directory(&clean);
    let users = deleted_users(clean_dir.as_ref()).await;
    let checks = restore::preflight_all(clean_dir.as_ref(), &users).await;
    let planned: Vec<PlannedUser> = users
        .into_iter()
        .zip(checks)
        .filter_map(|(u, pf)| {
            (!pf.expect("preflight").has_conflict()).then(|| PlannedUser::as_is(u))
        })
        .take(30)
        .collect();
    let n = planned.len();
    let (_, outcomes) = run(&f, RestorePlan::new(planned)).await;
    assert_eq!(outcomes.len(), n);
    let inspect = f.sandbox.inspect();
    let mut complete = 0;
    for o in &outcomes {
        assert_eq!(o.restored(), inspect.is_active(&o.id), "{o:?}");
        if let Some(p) = &o.password {
            assert!(inspect.password_matches(&o.id, p.expose_secret()), "{o:?}");
        }
        complete += usize::from(o.complete());
    }
    assert!(
        complete * 10 >= n * 9,
        "retries carry most users through: {complete}/{n}"
    );
    // The journal's view agrees: the restored users are waiting for their mail or password,
    // and so is any user whose restore may have gone through unheard (a later run asks);
    // nobody else.
    let mut waiting: Vec<String> = f
        .journal
        .unfinished()
        .expect("journal")
        .into_iter()
        .map(|u| u.id)
        .collect();
    waiting.sort();
    let mut restored: Vec<String> = outcomes
        .iter()
        .filter(|o| {
            o.restored()
                || o.failure.as_ref().is_some_and(|f| {
                    f.stage == Stage::Restore && restore::journal::may_have_happened(&f.error)
                })
        })
        .map(|o| o.id.clone())
        .collect();
    restored.sort();
    assert_eq!(waiting, restored);
}

#[tokio::test]
async fn preflight_of_many_proxy_addresses_is_batched_twenty_lookups_at_a_time() {
    let (_tmp, sandbox) =
        common::start_sandbox_with(5, |c| c.latency(Duration::from_millis(40))).await;
    let tokens = ClientCredentials::new(
        &Endpoints::sandbox(sandbox.base_url()),
        "restore-workflow-tests",
        SecretString::from(sandbox.client_secret().to_string()),
    )
    .expect("client credentials");
    let dir = GraphDirectory::new(
        Endpoints::sandbox(sandbox.base_url()),
        tokens,
        GraphOptions::default(),
    )
    .expect("directory");
    let mut log_rx = undelete::logging::requests(dir.log_source());
    let mut user = deleted_users(&dir)
        .await
        .into_iter()
        .find(|u| !u.original_upn.is_empty())
        .expect("a user");
    // The server decides how many proxy addresses a user has; 40 must not mean 120 requests
    // against the tenant's throttling limits. One that a group holds is found among them.
    user.proxy_addresses = (0..40)
        .map(|i| format!("smtp:alias{i}@contoso.sandbox"))
        .collect();
    let token = common::app_token(&sandbox).await;
    let (status, _, groups) = common::get(
        &common::graph(&sandbox, "groups?$select=id,displayName,proxyAddresses"),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{groups}");
    let group = &groups["value"][0];
    let group_address = group["proxyAddresses"][0].as_str().unwrap().to_string();
    user.proxy_addresses.push(group_address.clone());
    while log_rx.try_recv().is_ok() {}
    let pf = restore::preflight(&dir, &user).await.expect("preflight");
    let held: Vec<_> = pf
        .proxy_holders
        .iter()
        .map(|(a, h)| (a.as_str(), h.kind, h.id.as_str()))
        .collect();
    assert_eq!(
        held,
        [(
            group_address.as_str(),
            HolderKind::Group,
            group["id"].as_str().unwrap()
        )]
    );
    let mut spans = Vec::new();
    while let Ok(r) = log_rx.try_recv() {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/v1.0/$batch")
        );
        let end = r.at;
        let start = end - chrono::Duration::milliseconds(r.duration_ms as i64);
        spans.push((start, end));
    }
    // 41 addresses of three kinds and the user name: 124 lookups, 20 to a batch (and one
    // more batch of suggestions when the name is taken).
    let lookups: usize = 41 * 3 + 1;
    let batches = lookups.div_ceil(20);
    let extra = usize::from(pf.upn_holder.is_some());
    assert_eq!(spans.len(), batches + extra, "{spans:?}");
    let most = spans
        .iter()
        .map(|(s, _)| spans.iter().filter(|(a, b)| a <= s && s < b).count())
        .max()
        .unwrap_or(0);
    assert!(most <= 8, "{most} batches were in flight at once");
}

#[tokio::test]
async fn a_user_whose_mail_may_have_gone_out_keeps_its_password_until_resend() {
    let f = fixture(40).await;
    let (user, _) = find_user(f.dir.as_ref(), plain).await;
    let mut plan = RestorePlan::new(vec![PlannedUser::as_is(user.clone())]);
    plan.mail_to = vec!["helpdesk@contoso.sandbox".into()];
    let (_, outcomes) = run(&f, plan).await;
    let first = outcomes[0]
        .password
        .as_ref()
        .expect("password")
        .expose_secret()
        .to_string();
    // The run died inside the mail window: `MailSending` journaled, no `MailSent`.
    let mut sending =
        restore::journal::Entry::new(&outcomes[0].run, &user.id, restore::Step::MailSending);
    sending.mail_to = vec!["helpdesk@contoso.sandbox".into()];
    f.journal.record(&sending).expect("journal");

    let pending = f.journal.pending().expect("journal");
    assert_eq!(pending.len(), 1);
    let at = pending[0].mail_sending.as_ref().expect("mail window").at;
    let unfinished = f.journal.unfinished().expect("journal");
    let finished = f.finish(&unfinished, false).await;
    let o = &finished[0];
    assert!(o.restored() && o.password.is_none(), "{o:?}");
    let failure = o.failure.as_ref().expect("reported, failure-like");
    assert_eq!(failure.stage, Stage::Mail);
    assert_eq!(failure.at, at);
    assert_eq!(
        failure.error.code.as_deref(),
        Some(restore::MAIL_UNCERTAIN_CODE)
    );
    assert!(
        failure
            .error
            .message
            .starts_with("mail may have been sent at ")
            && failure
                .error
                .message
                .contains("check the recipient's inbox"),
        "{}",
        failure.error.message
    );
    assert!(
        f.sandbox.inspect().password_matches(&user.id, &first),
        "the password that may be in the inbox is still the one in force"
    );
    // Nothing was decided: the next run finds the same.
    assert!(
        f.journal.pending().expect("journal")[0]
            .mail_sending
            .is_some()
    );

    let finished = f.finish(&unfinished, true).await;
    let o = &finished[0];
    assert!(o.complete(), "{o:?}");
    let second = o.password.as_ref().expect("new password").expose_secret();
    assert_ne!(second, first);
    assert!(f.sandbox.inspect().password_matches(&user.id, second));
    let pending = f.journal.pending().expect("journal");
    assert!(
        pending[0].mail_sending.is_none(),
        "the new password was never mailed: no mail window"
    );
    restore::send_sign_in_mail(
        f.dir.as_ref(),
        &finished,
        &["helpdesk@contoso.sandbox".to_string()],
        &mail_options(),
        &f.journal,
        &f.audit,
    )
    .await
    .expect("mail");
    assert!(f.journal.unfinished().expect("journal").is_empty());
    let steps: Vec<restore::Step> = f
        .journal
        .entries()
        .expect("journal")
        .into_iter()
        .filter(|e| e.id == user.id)
        .map(|e| e.step)
        .collect();
    assert_eq!(
        steps[steps.len() - 2..],
        [restore::Step::MailSending, restore::Step::MailSent],
        "journaled before the send, and after"
    );
}

#[tokio::test]
async fn a_mail_the_directory_refuses_leaves_no_mail_window() {
    let f = fixture(40).await;
    let (user, _) = find_user(f.dir.as_ref(), plain).await;
    let (_, outcomes) = run(&f, RestorePlan::new(vec![PlannedUser::as_is(user.clone())])).await;
    // A sender mailbox the directory does not have: refused, so nothing went out.
    let mut options = mail_options();
    options.sender = Some("nobody@contoso.sandbox".into());
    let sent = restore::send_sign_in_mail(
        f.dir.as_ref(),
        &outcomes,
        &["helpdesk@contoso.sandbox".to_string()],
        &options,
        &f.journal,
        &f.audit,
    )
    .await;
    assert!(sent.is_err());
    assert!(f.sandbox.inspect().outbox().is_empty());
    let pending = f.journal.pending().expect("journal");
    assert_eq!(pending.len(), 1, "the mail is still to do");
    assert!(
        pending[0].mail_sending.is_none(),
        "a refusal is not a mail that may have gone out"
    );
}

/// The next news of the TUI's runner (its one session, `SessionId::FIRST`), within a few
/// seconds.
async fn next_msg(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<undelete::app::msg::Msg>,
) -> undelete::app::msg::SessionMsg {
    use undelete::app::msg::Msg;
    use undelete::app::sessions::SessionId;
    let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a message within 10 s")
        .expect("channel open");
    match msg {
        Msg::Session { id, msg } if id == SessionId::FIRST => msg,
        _ => panic!("only the session's news comes from its runner"),
    }
}

#[tokio::test]
async fn the_tui_refuses_writes_while_another_run_holds_the_data_dir_then_takes_it() {
    use std::sync::Arc;
    use undelete::app::effect::Effect;
    use undelete::app::msg::SessionMsg;
    use undelete::app::sessions::Blocked;
    use undelete::app::{self, runner::Runner};
    use undelete::config::Settings;
    use undelete::session::Session;

    let f = fixture(10).await;
    // Another run holds the data dir, with a user of its own unfinished in the journal.
    let books = common::sandbox_books(f.data.path());
    let other = restore::DataDirLock::try_acquire(&books, "restore")
        .expect("lock file")
        .expect("free");
    let (user, _) = find_user(f.dir.as_ref(), plain).await;
    f.dir
        .restore(&user.id, &Default::default())
        .await
        .expect("restore");
    for step in [restore::Step::Planned, restore::Step::Restored] {
        f.journal
            .record(
                &restore::journal::Entry::new("live-run", &user.id, step).upn(&user.original_upn),
            )
            .expect("journal");
    }

    let session = Arc::new(Session::new(
        Settings {
            no_mouse: true,
            ..Settings::default()
        },
        f.dir.clone(),
        "SANDBOX contoso.sandbox".into(),
        true,
        f.sandbox.admin_upn(),
        Some(f.sandbox.admin_upn()),
        f.data.path().to_path_buf(),
    ));
    let (tx, mut rx) = app::channel();
    let mut runner =
        Runner::for_session(undelete::app::sessions::SessionId::FIRST, session, tx, None);
    let who = format!("another undelete (pid {}", std::process::id());
    match next_msg(&mut rx).await {
        SessionMsg::Holder(Some(Blocked::Held(w))) => assert!(
            w.contains(&who) && w.contains(") is restoring on this directory, since "),
            "{w}"
        ),
        _ => panic!("expected the holder first"),
    }
    runner.run(Effect::FinishUnfinished);
    loop {
        match next_msg(&mut rx).await {
            // Tried again at the write, and still busy: said again.
            SessionMsg::Holder(Some(_)) => {}
            SessionMsg::UnfinishedFailed(w) => {
                assert!(w.contains(&who), "{w}");
                break;
            }
            _ => panic!("F is refused with UnfinishedFailed"),
        }
    }
    assert!(
        f.sandbox.inspect().outbox().is_empty() && f.journal.unfinished().expect("j").len() == 1,
        "the other run's user was left alone"
    );

    // The other run ends: the next write takes the data dir and goes ahead.
    drop(other);
    runner.run(Effect::FinishUnfinished);
    let finished = loop {
        match next_msg(&mut rx).await {
            SessionMsg::RestoreFinished { outcomes, .. } => break outcomes,
            SessionMsg::Warning(w) => panic!("no warning expected now: {w}"),
            SessionMsg::Holder(h) => assert_eq!(h, None, "this app holds it now"),
            _ => {}
        }
    };
    assert_eq!(finished.len(), 1);
    assert!(finished[0].complete(), "{:?}", finished[0]);
    assert!(
        restore::DataDirLock::holder(&books).is_some(),
        "the TUI holds the data dir from now on"
    );
    drop(runner);
    assert!(restore::DataDirLock::holder(&books).is_none());
}

/// The "deleting journal.lock while a run holds it lets a second run in": the holder
/// checks its lock before each write step. Deleted and nobody came: made again, the run goes
/// on and a second run is refused. Deleted and a second run took the new file first: the
/// holder sends nothing more and says why.
#[tokio::test]
async fn a_deleted_lock_file_never_lets_two_runs_write_for_the_same_directory() {
    let f = fixture(20).await;
    let books = common::sandbox_books(f.data.path());
    let lock_path = books.join(restore::lock::FILE_NAME);
    let slot = restore::LockSlot::default();
    let journal = f.journal.clone().guarded_by(slot.clone());
    let audit = f.audit.clone().guarded_by(slot.clone());
    // What this test is about is the lock: an address a group now holds must not fail a user.
    let users: Vec<PlannedUser> = deleted_users(f.dir.as_ref())
        .await
        .into_iter()
        .take(4)
        .map(|u| PlannedUser {
            reconcile_proxies: true,
            ..PlannedUser::as_is(u)
        })
        .collect();

    // Deleted while held, nobody else came: the run's check makes it again.
    let held = slot.hold(
        restore::DataDirLock::try_acquire(&books, "restore")
            .expect("lock file")
            .expect("free"),
    );
    std::fs::remove_file(&lock_path).expect("deleted");
    let first = RestorePlan::new(users[..2].to_vec());
    let outcomes =
        restore::run_to_end(Arc::clone(&f.dir), first, journal.clone(), audit.clone()).await;
    assert!(outcomes.iter().all(|o| o.restored()), "{outcomes:?}");
    assert!(lock_path.exists(), "made again");
    let second = restore::DataDirLock::try_acquire(&books, "finish").expect("lock file");
    assert!(second.is_err(), "a second run is refused");

    // Deleted again: a second run is kept out by the books folder's own lock even before the
    // holder looks. What can still take the new file is something that locks only the file
    // (an earlier version, a hand): the holder then stops writing.
    std::fs::remove_file(&lock_path).expect("deleted");
    assert!(
        restore::DataDirLock::try_acquire(&books, "finish")
            .expect("lock file")
            .is_err(),
        "kept out by the folder's lock"
    );
    let other = std::fs::File::create(&lock_path).expect("a new lock file");
    fs4::FileExt::try_lock(&other).expect("the new file, locked by another");
    let writes = f.sandbox.inspect().write_count();
    let rest = RestorePlan::new(users[2..].to_vec());
    let (events, outcomes) = {
        let mut run = restore::start(Arc::clone(&f.dir), rest, journal.clone(), audit.clone());
        let mut events = Vec::new();
        let mut outcomes = Vec::new();
        while let Some(p) = run.progress.recv().await {
            match p {
                Progress::Finished(o) => outcomes = o,
                p => events.push(p),
            }
        }
        (events, outcomes)
    };
    assert_eq!(f.sandbox.inspect().write_count(), writes, "nothing sent");
    for o in &outcomes {
        assert!(!o.restored());
        let why = &o.failure.as_ref().expect("failed").error.message;
        assert!(
            why.contains("was deleted or replaced while this run held it"),
            "{why}"
        );
        assert!(f.sandbox.inspect().is_deleted(&o.id));
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Progress::Warning(w) if w.contains("stops writing"))),
        "said once as a warning"
    );
    assert!(!slot.is_held(), "let go");
    // A password or a mail is refused the same way.
    let mut done = outcomes_of_first_users(&f, &users[..2]).await;
    let step = restore::PasswordStep {
        choice: restore::PasswordChoice::Auto,
        force_change: true,
        force_change_with_mfa: false,
        why: "test".into(),
    };
    restore::set_password(f.dir.as_ref(), &mut done, &step, &journal, &audit).await;
    assert!(
        done.failure
            .as_ref()
            .is_some_and(|fl| fl.error.message.starts_with("not set, nothing was sent: ")),
        "{done:?}"
    );
    drop(other);
    drop(held);
}

/// An outcome for the first restored user, as a result screen holds it.
async fn outcomes_of_first_users(f: &Fixture, users: &[PlannedUser]) -> UserOutcome {
    let mut o = UserOutcome::new("test", &users[0], true);
    o.upn = f.sandbox.inspect().upn(&users[0].user.id);
    o
}

#[tokio::test]
async fn f_and_undelete_finish_tell_the_same_recipients_the_same_things() {
    use undelete::app::effect::Effect;
    use undelete::app::msg::SessionMsg;
    use undelete::app::{self, runner::Runner};
    use undelete::commands::{self, Context, Io, Terminal};
    use undelete::config::Settings;
    use undelete::session::Session;

    let f = fixture(40).await;
    let mut users = Vec::new();
    for u in deleted_users(f.dir.as_ref()).await {
        let pf = restore::preflight(f.dir.as_ref(), &u)
            .await
            .expect("preflight");
        if plain(&pf, &u) {
            users.push(u);
        }
        if users.len() == 4 {
            break;
        }
    }
    // Four restores, each left with its password set and its mail not sent, having recorded:
    // helpdesk with the password; lead and IT without it; nobody; helpdesk again.
    let recorded: [(&[&str], bool); 4] = [
        (&["helpdesk@contoso.sandbox"], true),
        (&["lead@contoso.sandbox", "it@contoso.sandbox"], false),
        (&[], true),
        (&["HelpDesk@contoso.sandbox"], true),
    ];
    for (u, (to, include)) in users.iter().zip(recorded) {
        let mut plan = RestorePlan::new(vec![PlannedUser::as_is(u.clone())]);
        plan.mail_to = to.iter().map(|a| a.to_string()).collect();
        plan.include_password = include;
        let (_, outcomes) = run(&f, plan).await;
        assert!(outcomes[0].complete(), "{:?}", outcomes[0]);
    }
    assert_eq!(f.journal.unfinished().expect("journal").len(), 4);
    let session = || {
        Arc::new(Session::new(
            Settings {
                no_mouse: true,
                ..Settings::default()
            },
            f.dir.clone(),
            "SANDBOX contoso.sandbox".into(),
            true,
            f.sandbox.admin_upn(),
            Some(f.sandbox.admin_upn()),
            f.data.path().to_path_buf(),
        ))
    };
    // One mail: who it goes to, whether it carries passwords, whom it is about.
    type Mail = (Vec<String>, bool, Vec<String>);
    let normal = |mut m: Vec<Mail>| {
        for (to, _, ids) in &mut m {
            to.iter_mut().for_each(|a| *a = a.to_lowercase());
            ids.sort();
        }
        m.sort();
        m
    };

    // The TUI's `F`.
    let (tx, mut rx) = app::channel();
    let mut runner = Runner::for_session(
        undelete::app::sessions::SessionId::FIRST,
        session(),
        tx,
        None,
    );
    runner.run(Effect::FinishUnfinished);
    let groups = loop {
        match next_msg(&mut rx).await {
            SessionMsg::RestoreFinished { mail, .. } => {
                break mail.expect("finishing brings its mails");
            }
            SessionMsg::Warning(w) => panic!("no warning expected: {w}"),
            _ => {}
        }
    };
    drop(runner);
    let fallback: Vec<&restore::MailGroup> = groups.iter().filter(|g| g.fallback).collect();
    assert_eq!(
        fallback.len(),
        1,
        "the restore that recorded nobody: the admin, said"
    );
    assert_eq!(fallback[0].ids, vec![users[2].id.clone()]);
    let tui = normal(
        groups
            .into_iter()
            .map(|g| (g.to, g.include_password, g.ids))
            .collect(),
    );

    // `undelete finish` on the same journal.
    let ctx = Context::new(session());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut input = std::io::Cursor::new(Vec::new());
    let code = commands::run_with(
        commands::Command::Finish(commands::args::FinishArgs::default()),
        &ctx,
        &mut Io {
            out: &mut out,
            err: &mut err,
            input: &mut input,
            term: Terminal::default(),
        },
    )
    .await
    .expect("finish runs");
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    let cli = normal(
        f.sandbox
            .inspect()
            .outbox()
            .into_iter()
            .map(|m| {
                let about = users
                    .iter()
                    .filter(|u| m.body.contains(&u.original_upn))
                    .map(|u| u.id.clone())
                    .collect();
                (m.to, m.body.contains("Password:"), about)
            })
            .collect(),
    );
    // The same rule: every recorded recipient gets the same mail. The one difference is the
    // choice each front end passes for a restore that recorded nobody: the app offers the
    // admin on its result screen, a script prints the password, as that restore chose.
    let tui_recorded: Vec<Mail> = tui
        .into_iter()
        .filter(|(_, _, ids)| ids != &vec![users[2].id.clone()])
        .collect();
    assert_eq!(tui_recorded, cli, "F and `undelete finish` agree");
    assert_eq!(cli.len(), 2, "{cli:?}");
    let printed = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .find(|l| l["id"] == users[2].id.as_str())
        .expect("the user whose restore recorded nobody");
    assert_eq!(printed["mailSent"], false, "{printed}");
    assert!(printed["password"].is_string(), "printed: {printed}");
    assert!(f.journal.unfinished().expect("journal").is_empty());
}

#[tokio::test]
async fn a_disabled_account_is_listed_so_and_its_mail_and_the_journal_say_sign_in_is_blocked() {
    let f = fixture(60).await;
    let inspect = f.sandbox.inspect();
    // The sandbox seeds some accounts that were disabled before they were deleted.
    let (user, _) = find_user(f.dir.as_ref(), |pf, u| {
        plain(pf, u) && inspect.account_enabled(&u.id) == Some(false)
    })
    .await;
    assert!(user.account_disabled, "the listing selects accountEnabled");
    let enabled = deleted_users(f.dir.as_ref())
        .await
        .into_iter()
        .find(|u| inspect.account_enabled(&u.id) == Some(true))
        .expect("an enabled one");
    assert!(!enabled.account_disabled);

    let mut plan = RestorePlan::new(vec![PlannedUser::as_is(user.clone())]);
    plan.mail_to = vec!["helpdesk@contoso.sandbox".into()];
    let (_, outcomes) = run(&f, plan).await;
    assert!(outcomes[0].complete() && outcomes[0].account_disabled);
    // A restore keeps it disabled; undelete does not enable it for the admin.
    assert_eq!(inspect.account_enabled(&user.id), Some(false));

    // An interrupted finish knows it too: the journal carries it.
    let pending = f.journal.unfinished().expect("journal");
    assert!(pending[0].account_disabled);

    let to = vec!["helpdesk@contoso.sandbox".to_string()];
    restore::send_sign_in_mail(
        f.dir.as_ref(),
        &outcomes,
        &to,
        &mail_options(),
        &f.journal,
        &f.audit,
    )
    .await
    .expect("mail sent");
    let body = inspect.outbox().pop().expect("mail").body;
    assert!(
        body.contains("Sign-in:   blocked until the account is enabled"),
        "{body}"
    );
    assert!(body.contains("the account is disabled"), "{body}");
    assert!(body.contains("Account enabled"), "{body}");

    // The Restored view reads it back from the journal.
    let restored = restore::restored_in(&common::sandbox_books(f.data.path())).expect("journal");
    let r = restored.iter().find(|r| r.id == user.id).expect("listed");
    assert!(r.account_disabled);
}
