//! `undelete restore --hand-off tap` and `finish` of a pass hand-off, against the sandbox over
//! HTTP: the pass printed only when no mail carries it, the sandbox holding its hash, the
//! journal never its value, and the refusals said before anything changes.

use crate::common;

use undelete::restore::{Journal, Step, journal::Entry};
use undelete_sandbox::SandboxConfig;

use super::commands::{context, find_user, pipe, plain, run};

#[tokio::test]
async fn hand_off_tap_prints_the_pass_only_without_mail_and_the_sandbox_holds_its_hash() {
    let (_tmp, sandbox) = common::start_sandbox(40).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let dir = ctx.session.directory.clone();
    let user = find_user(dir.as_ref(), plain).await;

    let ran = run(
        &ctx,
        &[
            "restore",
            &user.id,
            "--hand-off",
            "tap",
            "--tap-lifetime",
            "120",
            "--tap-once",
        ],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.out, ran.err);
    let line = &ran.lines()[0];
    assert_eq!(line["handOff"], "tap", "{line}");
    assert_eq!(line["tapIssued"], true);
    assert_eq!(line["passwordSet"], false);
    assert_eq!(line["tapUsableOnce"], true);
    assert!(line.get("password").is_none(), "{line}");
    // What came back with the user, read after the restore.
    let care = &line["afterCare"];
    assert!(care["groups"].as_u64().is_some(), "{line}");
    assert_eq!(
        care["accountEnabled"].as_bool(),
        sandbox.inspect().account_enabled(&user.id),
        "{line}"
    );
    assert!(care["licences"].is_array(), "{line}");
    let pass = line["temporaryAccessPass"].as_str().expect("the pass");
    let inspect = sandbox.inspect();
    assert!(inspect.tap_matches(&user.id, pass));
    assert_eq!(inspect.taps(&user.id), (1, Some((120, true))));
    // No password was set: the pass is the way in.
    assert!(!inspect.password_matches(&user.id, pass));
    let journal = std::fs::read_to_string(common::sandbox_books(data.path()).join("journal.jsonl"))
        .expect("journal");
    assert!(journal.contains("\"tap_issued\""), "{journal}");
    assert!(!journal.contains(pass), "the journal never holds the pass");

    // With an email carrying it, the line does not.
    let other = find_user(dir.as_ref(), |pf, u| plain(pf, u) && u.id != user.id).await;
    let ran = run(
        &ctx,
        &[
            "restore",
            &other.id,
            "--hand-off",
            "tap",
            "--email-to",
            "it@contoso.sandbox",
        ],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.out, ran.err);
    let line = &ran.lines()[0];
    assert_eq!(line["mailSent"], true, "{line}");
    assert!(line.get("temporaryAccessPass").is_none(), "{line}");
    let mail = inspect.outbox().pop().expect("a mail");
    let pass = mail
        .body
        .lines()
        .find_map(|l| l.trim().strip_prefix("Temporary Access Pass: "))
        .expect("the pass in the mail")
        .to_string();
    assert!(inspect.tap_matches(&other.id, &pass), "{}", mail.body);
    // The policy's defaults: 60 minutes, not one-time.
    assert_eq!(inspect.taps(&other.id), (1, Some((60, false))));
}

#[tokio::test]
async fn hand_off_tap_is_refused_before_anything_changes_when_the_policy_forbids_it() {
    let (_tmp, sandbox) =
        common::start_sandbox_with(30, |c: SandboxConfig| c.tap_policy(false)).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let user = find_user(ctx.session.directory.as_ref(), plain).await;
    let ran = run(
        &ctx,
        &["restore", &user.id, "--hand-off", "tap"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 2, "{}", ran.out);
    assert!(ran.err.contains("disabled"), "{}", ran.err);
    assert!(sandbox.inspect().is_deleted(&user.id), "nothing restored");

    let (_tmp2, sandbox) = common::start_sandbox(30).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let user = find_user(ctx.session.directory.as_ref(), plain).await;
    let ran = run(
        &ctx,
        &[
            "restore",
            &user.id,
            "--hand-off",
            "tap",
            "--tap-lifetime",
            "30",
        ],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 2, "{}", ran.out);
    assert!(ran.err.contains("60 to 480"), "{}", ran.err);
    assert!(sandbox.inspect().is_deleted(&user.id), "nothing restored");
    let ran = run(
        &ctx,
        &[
            "restore",
            &user.id,
            "--hand-off",
            "tap",
            "--password",
            "stdin",
        ],
        "Kiwi-Moon-42#x\n",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 2, "{}", ran.out);
    assert!(ran.err.contains("drop --password"), "{}", ran.err);
    let ran = run(
        &ctx,
        &["restore", &user.id, "--hand-off", "password", "--tap-once"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 2, "{}", ran.out);
    assert!(ran.err.contains("add --hand-off tap"), "{}", ran.err);
    assert!(sandbox.inspect().is_deleted(&user.id), "nothing restored");
}

#[tokio::test]
async fn finish_issues_a_new_pass_to_a_user_planned_with_one() {
    let (_tmp, sandbox) = common::start_sandbox(30).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let dir = ctx.session.directory.clone();
    let user = find_user(dir.as_ref(), plain).await;
    // A run that restored the user and died before its pass: planned with a pass, restored.
    dir.restore(&user.id, &Default::default())
        .await
        .expect("restored");
    let journal = Journal::open(&common::sandbox_books(data.path())).expect("journal");
    let mut planned = Entry::new("run-1", &user.id, Step::Planned).upn(&user.original_upn);
    planned.tap = Some(undelete::directory::tap::TapRequest {
        lifetime_minutes: 90,
        usable_once: true,
    });
    journal.record(&planned).expect("journaled");
    journal
        .record(&Entry::new("run-1", &user.id, Step::Restored).upn(&user.original_upn))
        .expect("journaled");

    let ran = run(&ctx, &["finish"], "", pipe()).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.out, ran.err);
    let line = &ran.lines()[0];
    let pass = line["temporaryAccessPass"].as_str().expect("a new pass");
    assert!(sandbox.inspect().tap_matches(&user.id, pass));
    assert_eq!(sandbox.inspect().taps(&user.id), (1, Some((90, true))));
    assert!(
        Journal::open(&common::sandbox_books(data.path()))
            .unwrap()
            .unfinished()
            .unwrap()
            .is_empty()
    );
}
