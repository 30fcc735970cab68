//! `restore --bring-back`: what offboarding took, given back right after the restore, each
//! item reported in the JSON line; an item that did not come back (the sandbox's SPE_E5 has
//! no free seat; some users have no usage location) fails the run, not the user. And a run
//! killed after the password step leaves its items for `finish`.

use crate::common;

use serde_json::Value;
use undelete::restore::{self, Journal};
use undelete_sandbox::SandboxConfig;

use super::commands::{context, pipe, run};

/// The deleted users an offboarding took something from, with what `--bring-back all` would
/// give back (a dry run, which changes nothing).
async fn offboarded(ctx: &undelete::commands::Context, ids: &[String]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for id in ids {
        let ran = run(
            ctx,
            &["restore", id, "--dry-run", "--bring-back", "all"],
            "",
            pipe(),
        )
        .await;
        let Some(line) = ran.lines().into_iter().next() else {
            continue;
        };
        if line["status"] == "ready" && !line["offboarding"]["signIn"].is_null() {
            out.push((id.clone(), line));
        }
    }
    out
}

/// `restore ID --bring-back KINDS`, mailing the helpdesk.
async fn restore_with(
    ctx: &undelete::commands::Context,
    id: &str,
    kinds: &str,
) -> super::commands::Ran {
    run(
        ctx,
        &[
            "restore",
            id,
            "--bring-back",
            kinds,
            "--email-to",
            "helpdesk@contoso.sandbox",
        ],
        "",
        pipe(),
    )
    .await
}

#[tokio::test]
async fn bring_back_all_gives_back_groups_licences_and_sign_in_and_a_missing_seat_fails_the_run() {
    let (_tmp, sandbox) = common::start_sandbox(60).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let ids = sandbox.inspect().deleted_ids();
    let found = offboarded(&ctx, &ids).await;
    assert!(
        found.len() >= 3,
        "offboarded users in the seed: {}",
        found.len()
    );
    let (mut all_back, mut short) = (0, 0);
    for (id, dry) in found.iter().take(8) {
        let would = dry["wouldBringBack"]
            .as_array()
            .expect("wouldBringBack")
            .clone();
        assert!(!would.is_empty(), "{dry}");
        assert!(
            would.iter().all(|i| i["kind"] != "role"),
            "roles only when named: {dry}"
        );
        assert!(
            sandbox.inspect().is_deleted(id),
            "the dry run changed nothing"
        );

        let ran = restore_with(&ctx, id, "all").await;
        let line = &ran.lines()[0];
        assert_eq!(line["restored"], true, "{line}");
        let items = line["bringBack"].as_array().expect("bringBack").clone();
        assert_eq!(items.len(), would.len(), "every item tried: {line}");
        let failed: Vec<&Value> = items.iter().filter(|i| i["status"] == "failed").collect();
        assert_eq!(
            ran.code,
            i32::from(!failed.is_empty()),
            "{line}\n{}",
            ran.err
        );
        // A failed item fails alone: the user is restored and mailed all the same.
        assert_eq!(line["status"], "restored", "{line}");
        assert_eq!(line["mailSent"], true, "{line}");
        for item in &items {
            match (
                item["kind"].as_str().unwrap(),
                item["status"].as_str().unwrap(),
            ) {
                ("signIn", "back") => {
                    assert_eq!(sandbox.inspect().account_enabled(id), Some(true));
                }
                ("group", "back") => {
                    let name = item["name"].as_str().expect("named");
                    assert!(
                        sandbox.inspect().group_names(id).iter().any(|g| g == name),
                        "back in {name}"
                    );
                }
                ("licence", "back") => {
                    let part = item["skuName"].as_str().expect("named");
                    assert!(
                        sandbox
                            .inspect()
                            .licence_parts(id)
                            .iter()
                            .any(|p| p == part)
                    );
                }
                ("licence", "failed") => {
                    let advice = item["advice"].as_str().unwrap();
                    let part = item["skuName"].as_str().unwrap();
                    if advice.starts_with("free a seat") {
                        assert_eq!(part, "SPE_E5", "{item}");
                        assert!(sandbox.inspect().free_seats(part).unwrap() <= 0);
                        assert!(advice.contains("SPE_E5"), "{advice}");
                        short += 1;
                    } else {
                        assert!(advice.contains("usage location"), "{item}");
                    }
                }
                (kind, status) => panic!("{kind} {status}: {item}"),
            }
        }
        if failed.is_empty() {
            all_back += 1;
        }
    }
    assert!(all_back >= 1, "a user with everything back");
    assert!(short >= 1, "a user whose SPE_E5 has no free seat");
    // Each item is in the audit log.
    let audit = std::fs::read_to_string(common::sandbox_books(data.path()).join("audit.jsonl"))
        .unwrap_or_default();
    assert!(audit.contains("\"bring_back\""), "{audit}");
}

#[tokio::test]
async fn roles_come_back_only_when_named() {
    let (_tmp, sandbox) = common::start_sandbox(60).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let ids = sandbox.inspect().deleted_ids();
    let found = offboarded(&ctx, &ids).await;
    let (id, dry) = found
        .iter()
        .find(|(_, l)| !l["offboarding"]["roles"].as_array().unwrap().is_empty())
        .expect("an offboarded user that lost a role");
    let role = dry["offboarding"]["roles"][0]["name"].clone();
    let ran = restore_with(&ctx, id, "roles").await;
    let line = &ran.lines()[0];
    let items = line["bringBack"].as_array().expect("bringBack");
    assert_eq!(items.len(), 1, "only the role: {line}");
    assert_eq!(items[0]["kind"], "role");
    assert_eq!(items[0]["name"], role);
    assert_eq!(items[0]["status"], "back", "{line}");
    assert_eq!(ran.code, 0, "{}", ran.err);
    // Sign-in was not asked for: still blocked, as the restore left it.
    assert_eq!(sandbox.inspect().account_enabled(id), Some(false));

    // A kind that does not exist is a usage error, before anything is read.
    let out = super::commands::binary(
        data.path(),
        &["restore", id, "--bring-back", "mailbox"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"mailbox\""),
        "{out:?}"
    );
}

#[tokio::test]
async fn a_run_killed_before_its_items_leaves_them_for_finish() {
    let data = tempfile::tempdir().expect("data dir");
    let (id, upn) = {
        let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()).users(60))
            .await
            .expect("sandbox");
        let scratch = tempfile::tempdir().expect("scratch");
        let ctx = context(&sandbox, scratch.path());
        let ids = sandbox.inspect().deleted_ids();
        let found = offboarded(&ctx, &ids).await;
        let (id, line) = found.into_iter().next().expect("an offboarded user");
        let upn = line["userPrincipalName"].as_str().unwrap().to_string();
        sandbox.shutdown().await;
        (id, upn)
    };
    // The process dies right after the password was set: nothing was given back.
    let out = super::commands::binary(
        data.path(),
        &[
            "restore",
            &upn,
            "--bring-back",
            "all",
            "--email-to",
            "helpdesk@contoso.sandbox",
        ],
        &[(restore::CRASH_HOOK_ENV, "password")],
    );
    assert_eq!(out.status.code(), Some(restore::CRASH_EXIT_CODE), "{out:?}");
    let journal = Journal::open(&common::sandbox_books(data.path())).expect("journal");
    let unfinished = journal.unfinished().expect("read");
    assert_eq!(unfinished.len(), 1);
    assert!(!unfinished[0].bring_back.is_empty(), "{unfinished:?}");

    let out = super::commands::binary(data.path(), &["finish"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line: Value = serde_json::from_str(text.lines().next().expect("a line")).unwrap();
    let items = line["bringBack"].as_array().expect("bringBack");
    assert_eq!(items.len(), unfinished[0].bring_back.len(), "{line}");
    // Groups and sign-in come back; a licence may meet a full SKU, which is said and
    // fails the run (exit 1) without keeping the user unfinished.
    for item in items {
        let back = item["status"] == "back";
        assert!(back || item["kind"] == "licence", "{line}");
        assert!(back || item["error"].is_string(), "{line}");
    }
    let all_back = items.iter().all(|i| i["status"] == "back");
    assert_eq!(
        out.status.code(),
        Some(if all_back { 0 } else { 1 }),
        "{out:?}"
    );
    assert!(journal.unfinished().expect("read").is_empty());
    let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
        .await
        .expect("sandbox");
    assert_eq!(sandbox.inspect().account_enabled(&id), Some(true));
}

/// The real binary in a pseudo-terminal: the dialog shows what offboarding took, Enter
/// restores with it, and the result screen says what came back before the mail goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_offers_what_offboarding_took_and_says_what_came_back() {
    let (_tmp, sandbox) = common::start_sandbox(60).await;
    let scratch = tempfile::tempdir().expect("scratch");
    let ctx = context(&sandbox, scratch.path());
    let ids = sandbox.inspect().deleted_ids();
    let found = offboarded(&ctx, &ids).await;
    let (id, line) = found
        .iter()
        .find(|(_, l)| {
            l["wouldBringBack"]
                .as_array()
                .is_some_and(|a| a.iter().any(|i| i["kind"] == "group"))
        })
        .expect("an offboarded user that lost a group");
    let upn = line["userPrincipalName"].as_str().expect("upn").to_string();
    let data = tempfile::tempdir().expect("data dir");
    let mut pty = tokio::task::block_in_place(|| {
        common::pty::tenant_app(&sandbox, data.path())
            .size(40, 110)
            .args([
                "--client-id",
                "11111111-2222-3333-4444-555555555555",
                "--mail-from",
                "admin@contoso.sandbox",
            ])
            .env("UNDELETE_CLIENT_SECRET", sandbox.client_secret())
            .start()
    });
    tokio::task::block_in_place(|| {
        pty.wait_for("loaded 60 ");
        pty.send("/");
        pty.send(&upn);
        pty.send("\r");
        pty.wait_for("shown 1");
        pty.send("\r");
        pty.wait_for("What offboarding took");
        pty.wait_for("[x] group ");
        pty.wait_for("[x] allow sign-in again");
        pty.send("\r");
        pty.wait_for("✓ back: in ");
        pty.send("\r");
        pty.wait_for("Sign-in info sent");
        pty.send("q");
        pty.assert_terminal_restored();
    });
    assert!(pty.screen().contains("EXIT=0"), "{}", pty.screen());
    assert_eq!(sandbox.inspect().account_enabled(id), Some(true));
    assert!(!sandbox.inspect().group_names(id).is_empty());
    sandbox.shutdown().await;
}
