//! The scripting commands against the sandbox over real HTTP on 127.0.0.1: in process through
//! `commands::run_with` with captured streams, and as the real binary for exit codes, the
//! missing terminal, and a run killed half-way then finished.

use crate::common;

use std::io::Cursor;
use std::path::Path;
use std::process::{Command as Process, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::Value;
use undelete::auth::client_credentials::ClientCredentials;
use undelete::commands::{self, Context, Io, Terminal};
use undelete::config::{Endpoints, Settings};
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::directory::{DeletedUser, Directory, HolderKind};
use undelete::restore::{self, Audit, Journal};
use undelete::session::Session;
use undelete_sandbox::{SandboxConfig, SandboxHandle};

fn directory(h: &SandboxHandle) -> Arc<dyn Directory> {
    common::sandbox_directory(h, "commands-tests")
}

pub(super) fn context(h: &SandboxHandle, data_dir: &Path) -> Context {
    context_with(
        h,
        data_dir,
        Some(h.admin_upn()),
        std::time::Duration::from_secs(30),
    )
}

/// A session on the sandbox sending mail from `mail_sender`, waiting `lock_wait` for a busy
/// data dir.
pub(super) fn context_with(
    h: &SandboxHandle,
    data_dir: &Path,
    mail_sender: Option<String>,
    lock_wait: std::time::Duration,
) -> Context {
    let settings = Settings {
        lock_wait,
        ..Settings::default()
    };
    Context::new(Arc::new(Session::new(
        settings,
        directory(h),
        "SANDBOX contoso.sandbox".into(),
        true,
        h.admin_upn(),
        mail_sender,
        data_dir.to_path_buf(),
    )))
}

pub(super) struct Ran {
    pub(super) code: i32,
    pub(super) out: String,
    pub(super) err: String,
}

impl Ran {
    pub(super) fn lines(&self) -> Vec<Value> {
        self.out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// Runs `undelete ARGS` in process with the given stdin and terminal flags.
pub(super) async fn run(ctx: &Context, args: &[&str], stdin: &str, term: Terminal) -> Ran {
    let mut argv = vec!["undelete"];
    argv.extend_from_slice(args);
    let (cli, matches) = common::cli::parse_from(argv).expect("arguments parse");
    // The flags' defaults only: a developer's own settings file must not change a test.
    let settings = cli.flag_settings(&matches);
    let cmd = cli
        .command
        .and_then(|c| c.scripting(&settings))
        .expect("a scripting command");
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut input = Cursor::new(stdin.as_bytes().to_vec());
    let code = {
        let mut io = Io {
            out: &mut out,
            err: &mut err,
            input: &mut input,
            term,
        };
        commands::run_with(cmd, ctx, &mut io)
            .await
            .expect("command runs")
    };
    Ran {
        code,
        out: String::from_utf8(out).expect("utf-8 stdout"),
        err: String::from_utf8(err).expect("utf-8 stderr"),
    }
}

pub(super) fn pipe() -> Terminal {
    Terminal::default()
}

async fn deleted_users(dir: &dyn Directory) -> Vec<DeletedUser> {
    undelete::directory::all_deleted(dir)
        .await
        .expect("listing")
}

pub(super) async fn find_user(
    dir: &dyn Directory,
    want: impl Fn(&restore::Preflight, &DeletedUser) -> bool,
) -> DeletedUser {
    for u in deleted_users(dir).await {
        let pf = restore::preflight(dir, &u).await.expect("preflight");
        if want(&pf, &u) {
            return u;
        }
    }
    panic!("no deleted user in the sandbox fits");
}

pub(super) fn plain(pf: &restore::Preflight, u: &DeletedUser) -> bool {
    !pf.has_conflict() && !u.on_premises_sync_enabled && !u.is_guest()
}

#[tokio::test]
async fn list_json_of_ten_thousand_users_sorted_by_days_left() {
    let (_tmp, sandbox) = common::start_sandbox(10_000).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let ran = run(&ctx, &["list", "--format", "json"], "", pipe()).await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(ran.err.is_empty(), "no progress on a pipe: {}", ran.err);
    let users: Vec<Value> = serde_json::from_str(&ran.out).expect("one JSON array");
    assert_eq!(users.len(), 10_000);
    let purge: Vec<&str> = users
        .iter()
        .map(|u| u["purgeDateTime"].as_str().expect("purge date"))
        .collect();
    assert!(
        purge.windows(2).all(|w| w[0] <= w[1]),
        "soonest purge first"
    );
    let mut ids: Vec<&str> = users
        .iter()
        .map(|u| u["id"].as_str().expect("id"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 10_000, "every user once");
    assert!(
        !ran.out.contains('\x1b'),
        "no escape sequence reaches a pipe"
    );
}

#[tokio::test]
async fn list_json_keeps_stored_names_escaped_while_table_and_csv_clean_them() {
    // Enough users for the seed to hold each of its hostile names (one in 200 is one).
    let (_tmp, sandbox) = common::start_sandbox(2000).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    // The names as the directory stores them, read with a plain HTTP client.
    let token = common::app_token(&sandbox).await;
    let raw = common::all_deleted(&sandbox, &token).await;
    let hostile: Vec<(&str, &str)> = raw
        .iter()
        .filter_map(|u| Some((u["id"].as_str()?, u["displayName"].as_str()?)))
        .filter(|(_, name)| name.contains(['\x1b', '\u{9b}', '\u{85}', '\u{202e}']))
        .collect();
    for c in ['\x1b', '\u{9b}', '\u{202e}'] {
        assert!(
            hostile.iter().any(|(_, name)| name.contains(c)),
            "the seed holds a name with U+{:04X}",
            c as u32
        );
    }

    let ran = run(&ctx, &["list", "--format", "json"], "", pipe()).await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    // Not ESC, nor the C1 CSI and NEL, nor a bidi override: nothing a terminal acts on.
    let raw: Vec<char> = ran
        .out
        .chars()
        .filter(|c| (c.is_control() && *c != '\n') || undelete_common::safe_json::escaped(*c))
        .collect();
    assert!(raw.is_empty(), "escaped by JSON, never raw: {raw:?}");
    for escape in ["\\u001b[", "\\u009b31m", "\\u0085", "\\u202e"] {
        assert!(ran.out.contains(escape), "{escape} is there, escaped");
    }
    let listed: Vec<Value> = serde_json::from_str(&ran.out).expect("one JSON array");
    for (id, name) in &hostile {
        let user = listed.iter().find(|u| u["id"] == *id).expect("listed");
        assert_eq!(user["displayName"], *name, "the stored value of {id}");
    }

    for format in ["table", "csv"] {
        let ran = run(&ctx, &["list", "--format", format], "", pipe()).await;
        assert_eq!(ran.code, 0, "{}", ran.err);
        assert!(
            !ran.out.chars().any(|c| c.is_control() && c != '\n'),
            "{format}: control characters are cleaned out"
        );
        assert!(
            ran.out.contains("Red Alert"),
            "{format}: the name's text stays"
        );
    }
}

#[tokio::test]
async fn list_table_csv_filter_and_sort() {
    let (_tmp, sandbox) = common::start_sandbox(60).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let users = deleted_users(ctx.session.directory.as_ref()).await;
    let someone = users
        .iter()
        .find(|u| u.department.is_some() && !u.is_guest())
        .expect("a user with a department");

    let ran = run(&ctx, &["list"], "", pipe()).await;
    assert_eq!(ran.code, 0);
    assert_eq!(ran.out.lines().count(), users.len() + 1);
    assert!(ran.out.starts_with("NAME"));
    assert!(!ran.out.contains('\x1b'));

    let ran = run(
        &ctx,
        &["list", "--format", "csv", "--sort", "upn"],
        "",
        pipe(),
    )
    .await;
    let upns: Vec<String> = ran
        .out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap_or("").to_lowercase())
        .collect();
    assert_eq!(upns.len(), users.len());
    let mut sorted = upns.clone();
    sorted.sort();
    // Names with commas are quoted, so compare only where the split is exact.
    assert_eq!(upns.first(), sorted.first());

    let local = someone.original_upn.split('@').next().expect("local part");
    let ran = run(
        &ctx,
        &[
            "list",
            "--format",
            "json",
            "--filter",
            &local.to_uppercase(),
        ],
        "",
        pipe(),
    )
    .await;
    let found: Vec<Value> = serde_json::from_str(&ran.out).expect("json");
    assert!(found.iter().any(|u| u["id"] == someone.id.as_str()));
    assert!(found.len() < users.len());
}

#[tokio::test]
async fn check_exits_3_when_users_expire_soon_and_0_otherwise() {
    let (_tmp, sandbox) = common::start_sandbox(40).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let ran = run(
        &ctx,
        &["check", "--expiring", "3", "--format", "json"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 3, "{}", ran.err);
    let users: Vec<Value> = serde_json::from_str(&ran.out).expect("json");
    assert!(!users.is_empty());
    assert!(
        users
            .iter()
            .all(|u| u["daysLeft"].as_i64().is_some_and(|d| d <= 3))
    );

    // Everyone ten days from the purge: nothing within "0 days", and cron gets no output.
    let now = chrono::Utc::now();
    for u in deleted_users(ctx.session.directory.as_ref()).await {
        sandbox
            .inspect()
            .set_deleted_at(&u.id, now - chrono::Duration::days(20));
    }
    let ran = run(&ctx, &["check", "--expiring", "0"], "", pipe()).await;
    assert_eq!(ran.code, 0, "{}", ran.out);
    assert!(ran.out.is_empty(), "cron gets no output: {}", ran.out);

    // One purged in two hours: 0 means the day ahead, so it is reported (exit 3).
    let soon = deleted_users(ctx.session.directory.as_ref())
        .await
        .remove(0);
    sandbox.inspect().set_deleted_at(
        &soon.id,
        now - chrono::Duration::days(30) + chrono::Duration::hours(2),
    );
    let ran = run(
        &ctx,
        &["check", "--expiring", "0", "--format", "json"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 3, "{} {}", ran.out, ran.err);
    let users: Vec<Value> = serde_json::from_str(&ran.out).expect("json");
    assert_eq!(users.len(), 1, "{}", ran.out);
    assert_eq!(users[0]["id"], soon.id.as_str());
}

#[tokio::test]
async fn purge_refuses_without_yes_and_without_a_terminal() {
    let (_tmp, sandbox) = common::start_sandbox(20).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let user = deleted_users(ctx.session.directory.as_ref())
        .await
        .remove(0);

    let ran = run(&ctx, &["purge", &user.id], "", pipe()).await;
    assert_eq!(ran.code, 2);
    assert!(ran.err.contains("--yes"), "{}", ran.err);
    // Named as every other error of undelete is.
    assert!(
        ran.err
            .starts_with("undelete: refusing to purge without --yes"),
        "{}",
        ran.err
    );
    assert!(sandbox.inspect().is_deleted(&user.id));
    assert_eq!(sandbox.inspect().write_count(), 0);

    // On a terminal it asks; a wrong answer purges nothing.
    let tty = Terminal {
        stdin: true,
        stdout: true,
        stderr: true,
        no_color: true,
    };
    let ran = run(&ctx, &["purge", &user.original_upn], "yes\n", tty).await;
    assert_eq!(ran.code, 1);
    assert!(
        ran.err.contains("Type the number of users (1)"),
        "{}",
        ran.err
    );
    assert!(sandbox.inspect().is_deleted(&user.id));

    let ran = run(&ctx, &["purge", &user.original_upn], "1\n", tty).await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(!sandbox.inspect().exists(&user.id));

    let other = deleted_users(ctx.session.directory.as_ref())
        .await
        .remove(0);
    let ran = run(
        &ctx,
        &["purge", "--yes", &other.id, "nobody@contoso.sandbox"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 1, "one target was not found");
    let lines = ran.lines();
    assert!(
        lines
            .iter()
            .any(|l| l["status"] == "purged" && l["id"] == other.id.as_str())
    );
    assert!(lines.iter().any(|l| l["status"] == "failed"));
    assert!(!sandbox.inspect().exists(&other.id));
    let audit = Audit::open(&common::sandbox_books(data.path()), "x", "y").expect("audit");
    let purges = audit
        .entries()
        .expect("entries")
        .into_iter()
        .filter(|e| e.action == "purge" && e.outcome == "ok")
        .count();
    assert_eq!(purges, 2);
}

#[tokio::test]
async fn dry_run_lists_addresses_groups_and_contacts_hold_with_kind_name_and_id() {
    let (_tmp, sandbox) = common::start_sandbox(40).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let dir = ctx.session.directory.clone();
    for kind in [HolderKind::Group, HolderKind::Contact] {
        let mut found = None;
        for u in deleted_users(dir.as_ref()).await {
            let pf = restore::preflight(dir.as_ref(), &u)
                .await
                .expect("preflight");
            if let Some((address, h)) = pf.proxy_holders.iter().find(|(_, h)| h.kind == kind) {
                found = Some((u.clone(), pf.clone(), address.clone(), h.clone()));
                break;
            }
        }
        let (user, pf, address, holder) = found.expect("the seed has one");
        let mut args = vec!["restore".to_string(), user.id.clone(), "--dry-run".into()];
        if let Some(s) = &pf.suggested_upn {
            args.extend(["--new-upn".to_string(), s.clone()]);
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let ran = run(&ctx, &argv, "", pipe()).await;
        assert_eq!(ran.code, 1, "{}", ran.err);
        let line = &ran.lines()[0];
        assert_eq!(line["status"], "conflict", "{line}");
        assert!(
            line["error"]
                .as_str()
                .is_some_and(|e| e.contains(&format!("{address} is held by {kind} \""))
                    && e.contains("--reconcile-proxies")),
            "{line}"
        );
        let listed = line["holders"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|h| h["field"] == "proxyAddresses" && h["value"] == address.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("{address} listed: {line}"));
        assert_eq!(listed["kind"], kind.noun());
        assert_eq!(listed["displayName"], holder.display_name.as_str());
        assert_eq!(listed["id"], holder.id.as_str());

        // Resolved by the choice the plan asks for: ready, and still said.
        let mut argv = argv.clone();
        argv.push("--reconcile-proxies");
        let ran = run(&ctx, &argv, "", pipe()).await;
        assert_eq!(ran.code, 0, "{}", ran.out);
        let line = &ran.lines()[0];
        assert_eq!(line["status"], "ready", "{line}");
        assert!(
            line["holders"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|h| h["kind"] == kind.noun() && h["id"] == holder.id.as_str()),
            "{line}"
        );
        assert!(
            sandbox.inspect().is_deleted(&user.id),
            "a dry run changes nothing"
        );
    }
}

#[tokio::test]
async fn the_deadline_counts_from_the_start_of_the_command() {
    // Every request takes 600 ms: sign-in, the domains, finding the users and pre-flight
    // alone outlast a one-second deadline.
    const LATENCY: Duration = Duration::from_millis(600);
    const DEADLINE: Duration = Duration::from_secs(1);
    let (_tmp, sandbox) = common::start_sandbox_with(20, |c| c.latency(LATENCY)).await;
    let data = tempfile::tempdir().expect("data dir");
    let endpoints = Endpoints::sandbox(sandbox.base_url());
    let tokens = ClientCredentials::new(
        &endpoints,
        "deadline-tests",
        SecretString::from(sandbox.client_secret().to_string()),
    )
    .expect("client credentials");
    let options = GraphOptions {
        mail_sender: Some(sandbox.admin_upn()),
        deadline: DEADLINE,
        ..GraphOptions::default()
    };
    let dir: Arc<dyn Directory> =
        Arc::new(GraphDirectory::new(endpoints, tokens, options).expect("directory"));
    let ids: Vec<String> = sandbox
        .inspect()
        .deleted_ids()
        .into_iter()
        .take(3)
        .collect();
    let started = Instant::now();
    let ctx = Context::started_at(
        Arc::new(Session::new(
            Settings::default(),
            dir,
            "SANDBOX contoso.sandbox".into(),
            true,
            sandbox.admin_upn(),
            Some(sandbox.admin_upn()),
            data.path().to_path_buf(),
        )),
        started,
    );
    let mut argv = vec!["restore", "--reconcile-proxies"];
    argv.extend(ids.iter().map(String::as_str));
    let ran = run(&ctx, &argv, "", pipe()).await;
    let took = started.elapsed();
    assert_eq!(ran.code, 1, "{}\n{}", ran.out, ran.err);
    // The restores did not get a deadline of their own after pre-flight: none was sent.
    for id in &ids {
        assert!(
            sandbox.inspect().is_deleted(id),
            "{id} was restored after the deadline"
        );
    }
    let lines = ran.lines();
    assert_eq!(lines.len(), ids.len(), "{}", ran.out);
    for line in &lines {
        assert_eq!(line["status"], "failed", "{line}");
        assert!(
            line["error"]
                .as_str()
                .is_some_and(|e| e.contains("the run's deadline of 1 s passed")),
            "{line}"
        );
    }
    // On time: the deadline, plus what was in flight when it passed (one request, and the
    // token's), plus room for a loaded machine.
    assert!(
        took < DEADLINE + LATENCY * 3 + Duration::from_secs(1),
        "took {took:?}"
    );
}

#[tokio::test]
async fn restore_reports_a_conflict_then_resolves_it() {
    let (_tmp, sandbox) = common::start_sandbox(40).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let user = find_user(ctx.session.directory.as_ref(), |pf, _| {
        pf.upn_holder.is_some()
    })
    .await;

    let ran = run(
        &ctx,
        &["restore", &user.original_upn, "--dry-run"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 1);
    let line = &ran.lines()[0];
    assert_eq!(line["status"], "conflict");
    let suggestion = line["suggestedUpn"]
        .as_str()
        .expect("suggestion")
        .to_string();
    assert!(sandbox.inspect().is_deleted(&user.id));

    let ran = run(&ctx, &["restore", &user.original_upn], "", pipe()).await;
    assert_eq!(ran.code, 1);
    let line = &ran.lines()[0];
    assert_eq!(line["status"], "failed");
    assert_eq!(line["stage"], "preflight");
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains("--new-upn")),
        "{line}"
    );
    assert!(sandbox.inspect().is_deleted(&user.id));

    // A new name that is taken too is refused before anything is sent: the original...
    let ran = run(
        &ctx,
        &["restore", &user.id, "--new-upn", &user.original_upn],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 1);
    let line = &ran.lines()[0];
    assert_eq!(line["stage"], "preflight");
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains("is taken") && e.contains("--new-upn")),
        "{line}"
    );
    // ...or another user's, named with its holder (the plan's rule, as in the dialog).
    let admin = sandbox.admin_upn();
    let ran = run(
        &ctx,
        &["restore", &user.id, "--new-upn", &admin, "--dry-run"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 1);
    let line = &ran.lines()[0];
    assert_eq!(line["status"], "conflict", "{line}");
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains(&format!("{admin} is already used by user \""))),
        "{line}"
    );
    let taken: Vec<&Value> = line["holders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| h["field"] == "newUserPrincipalName")
        .collect();
    assert_eq!(taken.len(), 1, "{line}");
    assert_eq!(taken[0]["value"], admin.as_str());
    assert_eq!(taken[0]["kind"], "user");
    assert!(taken[0]["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(sandbox.inspect().is_deleted(&user.id));

    let ran = run(
        &ctx,
        &[
            "restore",
            &user.id,
            "--new-upn",
            &suggestion,
            "--reconcile-proxies",
        ],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0, "{} {}", ran.out, ran.err);
    let line = &ran.lines()[0];
    assert_eq!(line["status"], "restored");
    assert_eq!(line["userPrincipalName"], suggestion.as_str());
    // No email: the password is printed, and it is the one set.
    let password = line["password"].as_str().expect("password printed");
    assert!(sandbox.inspect().password_matches(&user.id, password));
    assert_eq!(
        sandbox.inspect().upn(&user.id).as_deref(),
        Some(suggestion.as_str())
    );
    let journal = Journal::open(&common::sandbox_books(data.path())).expect("journal");
    assert!(journal.unfinished().expect("read").is_empty());
}

#[tokio::test]
async fn restore_with_email_sends_it_and_prints_no_password() {
    let (_tmp, sandbox) = common::start_sandbox(40).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let users = deleted_users(ctx.session.directory.as_ref()).await;
    let mut picked = Vec::new();
    for u in users {
        let pf = restore::preflight(ctx.session.directory.as_ref(), &u)
            .await
            .expect("preflight");
        if plain(&pf, &u) {
            picked.push(u);
        }
        if picked.len() == 2 {
            break;
        }
    }
    let ran = run(
        &ctx,
        &[
            "restore",
            &picked[0].original_upn,
            &picked[1].id,
            "--email-to",
            "helpdesk@contoso.sandbox; lead@contoso.sandbox",
        ],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0, "{} {}", ran.out, ran.err);
    let lines = ran.lines();
    assert_eq!(lines.len(), 2);
    for l in &lines {
        assert_eq!(l["status"], "restored");
        assert_eq!(l["mailSent"], true);
        assert!(l.get("password").is_none(), "{l}");
    }
    let outbox = sandbox.inspect().outbox();
    assert_eq!(outbox.len(), 1, "one mail for the recipient set");
    assert_eq!(outbox[0].to.len(), 2);
    assert!(outbox[0].body.contains(&picked[0].original_upn));
    assert!(outbox[0].body.contains(&picked[1].original_upn));
    assert!(outbox[0].body.contains("Password:"));
}

#[tokio::test]
async fn restore_refuses_a_weak_password_naming_the_rule() {
    let (_tmp, sandbox) = common::start_sandbox(20).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let user = deleted_users(ctx.session.directory.as_ref())
        .await
        .remove(0);
    let ran = run(
        &ctx,
        &["restore", &user.id, "--password", "stdin"],
        "abcdefghij\n",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.err.to_lowercase().contains("password refused"),
        "{}",
        ran.err
    );
    assert!(
        ran.err.contains("at least 3 of"),
        "names the rule: {}",
        ran.err
    );
    assert!(sandbox.inspect().is_deleted(&user.id));

    let ran = run(
        &ctx,
        &["restore", &user.id, "--email-to", "bob@"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 2);
    assert!(ran.err.contains("\"bob@\""), "{}", ran.err);
}

#[tokio::test]
async fn a_mail_that_fails_is_reported_and_a_typed_password_is_not_printed() {
    let (_tmp, sandbox) = common::start_sandbox(20).await;
    let data = tempfile::tempdir().expect("data dir");
    // A sender mailbox the directory does not have: the sign-in mail cannot go out.
    let ctx = context_with(
        &sandbox,
        data.path(),
        Some("nobody@contoso.sandbox".into()),
        std::time::Duration::from_secs(30),
    );
    let user = find_user(ctx.session.directory.as_ref(), plain).await;
    let ran = run(
        &ctx,
        &[
            "restore",
            &user.id,
            "--password",
            "stdin",
            "--email-to",
            "helpdesk@contoso.sandbox",
        ],
        "Kiwi-Harbour-42\n",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 1, "{}", ran.err);
    let line = &ran.lines()[0];
    assert_eq!(line["status"], "restored", "{line}");
    assert_eq!(line["mailSent"], false);
    assert!(line.get("password").is_none(), "{line}");
    assert!(ran.err.contains("could not be sent"), "{}", ran.err);
    assert!(!ran.err.contains("printed instead"), "{}", ran.err);
    assert!(
        ran.err.contains("the password you chose another way"),
        "{}",
        ran.err
    );
    assert!(
        sandbox
            .inspect()
            .password_matches(&user.id, "Kiwi-Harbour-42")
    );
    assert!(sandbox.inspect().outbox().is_empty());
}

// ----- the real binary --------------------------------------------------------------------

pub(super) fn binary(data_dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Process::new(env!("CARGO_BIN_EXE_undelete"));
    cmd.arg("--sandbox")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove(restore::CRASH_HOOK_ENV)
        .env_remove("UNDELETE_TENANT")
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// Seeds the sandbox store in `data_dir` (the binary's `--sandbox` reuses it) and returns a
/// user that restores without conflict.
async fn seed_and_pick(data_dir: &Path) -> DeletedUser {
    let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data_dir).users(40))
        .await
        .expect("sandbox");
    let dir = directory(&sandbox);
    let user = find_user(dir.as_ref(), plain).await;
    drop(dir);
    sandbox.shutdown().await;
    user
}

#[tokio::test]
async fn binary_purge_without_a_terminal_needs_yes_and_check_exits_3() {
    let data = tempfile::tempdir().expect("data dir");
    let user = seed_and_pick(data.path()).await;
    let out = binary(data.path(), &["purge", &user.id], &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));

    let out = binary(data.path(), &["check", "--expiring", "3"], &[]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("NAME"), "{text}");
    assert!(!text.contains('\x1b'), "no colors on a pipe");

    let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
        .await
        .expect("sandbox");
    assert!(sandbox.inspect().is_deleted(&user.id), "nothing was purged");
}

#[tokio::test]
async fn binary_killed_after_the_restore_is_finished_by_the_next_run() {
    let data = tempfile::tempdir().expect("data dir");
    let user = seed_and_pick(data.path()).await;
    let upn = user.original_upn.clone();

    // The process dies right after the restore step was journaled.
    let out = binary(
        data.path(),
        &["restore", &upn, "--email-to", "helpdesk@contoso.sandbox"],
        &[(restore::CRASH_HOOK_ENV, "restore")],
    );
    assert_eq!(out.status.code(), Some(restore::CRASH_EXIT_CODE), "{out:?}");
    assert!(out.stdout.is_empty(), "it died before reporting");
    let journal = Journal::open(&common::sandbox_books(data.path())).expect("journal");
    let unfinished = journal.unfinished().expect("read");
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].id, user.id);
    assert_eq!(
        unfinished[0].mail_to,
        vec!["helpdesk@contoso.sandbox".to_string()]
    );
    {
        let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
            .await
            .expect("sandbox");
        assert!(
            sandbox.inspect().is_active(&user.id),
            "the restore happened"
        );
        assert!(sandbox.inspect().outbox().is_empty(), "no mail went out");
        sandbox.shutdown().await;
    }

    // Another command mentions it; restoring it again finishes it.
    let out = binary(data.path(), &["restore", "nobody@contoso.sandbox"], &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&upn),
        "the unfinished restore is mentioned: {out:?}"
    );
    let out = binary(data.path(), &["restore", &upn], &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["status"], "finished", "{line}");
    assert_eq!(
        line["mailSent"], true,
        "sent to the recipients the first run recorded"
    );
    assert!(line.get("password").is_none());
    assert!(journal.unfinished().expect("read").is_empty());

    let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
        .await
        .expect("sandbox");
    let outbox = sandbox.inspect().outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to, vec!["helpdesk@contoso.sandbox".to_string()]);
    assert!(outbox[0].body.contains(&upn));
    let password = outbox[0]
        .body
        .lines()
        .find_map(|l| l.trim().strip_prefix("Password:"))
        .map(str::trim)
        .expect("the password is in the mail");
    assert!(sandbox.inspect().password_matches(&user.id, password));
}

#[tokio::test]
async fn a_mail_without_the_password_leaves_it_printed_and_duplicates_restore_once() {
    let (_tmp, sandbox) = common::start_sandbox(30).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let user = find_user(ctx.session.directory.as_ref(), plain).await;
    let ran = run(
        &ctx,
        &[
            "restore",
            &user.id,
            &user.original_upn,
            "--email-to",
            "helpdesk@contoso.sandbox",
            "--no-password-in-email",
            "--no-require-change",
        ],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0, "{} {}", ran.out, ran.err);
    let lines = ran.lines();
    assert_eq!(lines.len(), 1, "named twice, restored once");
    assert_eq!(lines[0]["mailSent"], true);
    assert_eq!(lines[0]["forceChange"], false);
    let password = lines[0]["password"]
        .as_str()
        .expect("the mail leaves it out, so it is printed");
    let outbox = sandbox.inspect().outbox();
    assert_eq!(outbox.len(), 1);
    assert!(!outbox[0].body.contains(password));
    assert!(outbox[0].body.contains("another way"));
    assert!(!outbox[0].body.contains("choose a new password"));
    assert!(sandbox.inspect().password_matches(&user.id, password));
}

#[test]
fn options_that_cannot_work_together_are_usage_errors_on_every_command() {
    let tmp = tempfile::tempdir().expect("tmp");
    for cmd in [&["list"][..], &["check", "--expiring", "3"][..]] {
        let out = Process::new(env!("CARGO_BIN_EXE_undelete"))
            .arg("--data-dir")
            .arg(tmp.path())
            .args(["--tenant", "contoso.com", "--graph-url", "http://10.0.0.1"])
            .args(cmd)
            .env_remove("UNDELETE_CLIENT_SECRET")
            .env_remove("UNDELETE_SANDBOX")
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {err}");
        assert!(err.contains("only allowed to a loopback host"), "{err}");
    }
}

#[tokio::test]
async fn a_refused_password_step_exits_1_and_finish_then_sets_one() {
    let (_tmp, sandbox) = common::start_sandbox(40).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let user = find_user(ctx.session.directory.as_ref(), |pf, u| {
        plain(pf, u) && !u.is_guest()
    })
    .await;
    // The directory refuses every password from now on (as a banned word would be).
    sandbox.fail_next_password_sets(u32::MAX, undelete_sandbox::PasswordFault::Refuse);
    let ran = run(&ctx, &["restore", &user.id], "", pipe()).await;
    assert_eq!(ran.code, 1, "{} {}", ran.out, ran.err);
    let line = &ran.lines()[0];
    assert_eq!(line["restored"], true, "{line}");
    assert_eq!(line["passwordSet"], false, "{line}");
    assert_eq!(line["stage"], "password", "{line}");
    assert_eq!(line["next"], "undelete finish", "{line}");
    assert!(
        line["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{line}"
    );
    assert!(sandbox.inspect().is_active(&user.id));

    // Still refused: finish says so and exits 1; the user stays unfinished.
    let ran = run(&ctx, &["finish"], "", pipe()).await;
    assert_eq!(ran.code, 1, "{} {}", ran.out, ran.err);
    assert_eq!(ran.lines()[0]["passwordSet"], false);

    sandbox.fail_next_password_sets(0, undelete_sandbox::PasswordFault::Refuse);
    let ran = run(&ctx, &["finish"], "", pipe()).await;
    assert_eq!(ran.code, 0, "{} {}", ran.out, ran.err);
    let line = &ran.lines()[0];
    assert_eq!(line["status"], "finished", "{line}");
    assert_eq!(line["passwordSet"], true, "{line}");
    // The restore named nobody to tell: it chose to have the password printed, and so does
    // its finishing; nothing is mailed.
    assert_eq!(line["mailSent"], false, "{line}");
    assert!(line.get("mailToFallback").is_none(), "{line}");
    let pw = line["password"]
        .as_str()
        .expect("printed, as the restore would have");
    assert!(sandbox.inspect().password_matches(&user.id, pw));
    assert!(sandbox.inspect().outbox().is_empty());
    // Nothing left: a third run has nothing to do.
    let ran = run(&ctx, &["finish"], "", pipe()).await;
    assert_eq!(ran.code, 0);
    assert!(ran.lines().is_empty());
    assert!(ran.err.contains("nothing to finish"), "{}", ran.err);
}

fn sign_in_options() -> undelete::mail::SignInMail {
    undelete::mail::SignInMail {
        include_password: true,
        force_change: true,
        sign_in_url: "https://myapps.microsoft.com".into(),
        sender: None,
    }
}

/// A user restored with its password set by a run that meant to mail helpdesk, as the run
/// left it: its outcome (with the password) and the books it wrote.
async fn restored_for_helpdesk(
    sandbox: &SandboxHandle,
    data: &Path,
    user: &DeletedUser,
) -> (restore::UserOutcome, Journal, Audit) {
    let books = common::sandbox_books(data);
    let journal = Journal::open(&books).expect("journal");
    let audit =
        Audit::open(&books, "SANDBOX contoso.sandbox", &sandbox.admin_upn()).expect("audit");
    let mut plan = restore::RestorePlan::new(vec![restore::PlannedUser::as_is(user.clone())]);
    plan.mail_to = vec!["helpdesk@contoso.sandbox".into()];
    let mut outcomes =
        restore::run_to_end(directory(sandbox), plan, journal.clone(), audit.clone()).await;
    let o = outcomes.pop().expect("one outcome");
    assert!(o.complete(), "{o:?}");
    (o, journal, audit)
}

#[tokio::test]
async fn a_mail_that_never_left_is_finished_with_a_new_password_and_mailed() {
    let (tmp, sandbox) = common::start_sandbox(20).await;
    let data = tempfile::tempdir().expect("data dir");
    let dir = directory(&sandbox);
    let user = find_user(dir.as_ref(), plain).await;
    let (outcome, journal, audit) = restored_for_helpdesk(&sandbox, data.path(), &user).await;
    let first =
        secrecy::ExposeSecret::expose_secret(outcome.password.as_ref().expect("set")).to_string();

    // "Send email and close" with the server gone.
    sandbox.shutdown().await;
    let e = restore::send_sign_in_mail(
        dir.as_ref(),
        std::slice::from_ref(&outcome),
        &["helpdesk@contoso.sandbox".to_string()],
        &sign_in_options(),
        &journal,
        &audit,
    )
    .await
    .expect_err("nobody listens");
    assert!(e.message.contains("connection refused"), "{e}");
    assert!(!e.may_have_happened(), "{e:?}");
    let pending = journal.pending().expect("journal");
    assert_eq!(pending.len(), 1);
    assert!(
        pending[0].mail_sending.is_none(),
        "a mail that never left is not one that may be in an inbox"
    );

    // The server is back: `finish` treats the user as any unfinished one.
    let sandbox = undelete_sandbox::spawn(SandboxConfig::new(tmp.path()))
        .await
        .expect("sandbox again");
    let ctx = context(&sandbox, data.path());
    let ran = run(&ctx, &["finish"], "", pipe()).await;
    assert_eq!(ran.code, 0, "{} {}", ran.out, ran.err);
    let line = &ran.lines()[0];
    assert_eq!(line["status"], "finished", "{line}");
    assert_eq!(line["passwordSet"], true, "{line}");
    assert_eq!(line["mailSent"], true, "{line}");
    assert!(
        line.get("password").is_none(),
        "it went in the mail: {line}"
    );
    assert!(line.get("mailToFallback").is_none(), "{line}");
    let outbox = sandbox.inspect().outbox();
    assert_eq!(
        outbox.len(),
        1,
        "one mail, to the recipients the restore recorded"
    );
    assert_eq!(outbox[0].to, vec!["helpdesk@contoso.sandbox".to_string()]);
    let (_, second) = mailed_passwords(&outbox[0].body)
        .pop()
        .expect("a password in the mail");
    assert_ne!(second, first, "none was kept: a new one");
    assert!(sandbox.inspect().password_matches(&user.id, &second));
    assert!(journal.unfinished().expect("journal").is_empty());
}

#[tokio::test]
async fn mark_sent_closes_a_user_whose_mail_may_have_gone_out_and_refuses_others_in_words() {
    let (_tmp, sandbox) = common::start_sandbox(40).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let dir = ctx.session.directory.clone();
    let users: Vec<DeletedUser> = {
        let mut found = Vec::new();
        for u in undelete::directory::all_deleted(dir.as_ref())
            .await
            .expect("listing")
        {
            let pf = restore::preflight(dir.as_ref(), &u)
                .await
                .expect("preflight");
            if plain(&pf, &u) {
                found.push(u);
            }
            if found.len() == 2 {
                break;
            }
        }
        found
    };
    let (maybe, never) = (&users[0], &users[1]);
    // maybe: the run died in the mail window. never: its mail was never sent.
    let (m, journal, _) = restored_for_helpdesk(&sandbox, data.path(), maybe).await;
    let mut sending = restore::journal::Entry::new(&m.run, &maybe.id, restore::Step::MailSending);
    sending.mail_to = vec!["helpdesk@contoso.sandbox".into()];
    journal.record(&sending).expect("journal");
    let mailed =
        secrecy::ExposeSecret::expose_secret(m.password.as_ref().expect("set")).to_string();
    restored_for_helpdesk(&sandbox, data.path(), never).await;

    // A user whose mail cannot have gone out is refused in words, and nothing is marked.
    let ran = run(
        &ctx,
        &["finish", "--mark-sent", &maybe.id, &never.original_upn],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 1, "{} {}", ran.out, ran.err);
    assert!(ran.out.is_empty(), "{}", ran.out);
    assert!(
        ran.err.contains(&format!(
            "undelete finish --mark-sent: {} ({}) has no sign-in mail that may have gone out",
            never.original_upn, never.id
        )) && ran
            .err
            .contains("`undelete finish` sets a new password and mails it")
            && ran.err.contains("nothing was marked"),
        "{}",
        ran.err
    );
    assert_eq!(journal.pending().expect("journal").len(), 2);

    // The admin found the mail in the inbox: closed, its password kept, nothing sent.
    let ran = run(
        &ctx,
        &["finish", "--mark-sent", &maybe.original_upn],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0, "{} {}", ran.out, ran.err);
    let line = &ran.lines()[0];
    assert_eq!(line["status"], "mail_confirmed", "{line}");
    assert_eq!(line["id"], maybe.id.as_str(), "{line}");
    assert_eq!(line["passwordSet"], true, "{line}");
    assert_eq!(line["mailSent"], true, "{line}");
    assert_eq!(
        line["mailTo"],
        serde_json::json!(["helpdesk@contoso.sandbox"])
    );
    assert!(sandbox.inspect().password_matches(&maybe.id, &mailed));
    assert!(sandbox.inspect().outbox().is_empty());
    let left: Vec<String> = journal
        .pending()
        .expect("journal")
        .into_iter()
        .map(|p| p.unfinished.id)
        .collect();
    assert_eq!(left, vec![never.id.clone()]);
    let steps: Vec<restore::Step> = journal
        .entries()
        .expect("journal")
        .into_iter()
        .filter(|e| e.id == maybe.id)
        .map(|e| e.step)
        .collect();
    assert_eq!(steps.last(), Some(&restore::Step::MailConfirmed));
    let audit = Audit::open(&common::sandbox_books(data.path()), "x", "y")
        .expect("audit")
        .entries()
        .expect("audit lines");
    let confirm = audit
        .iter()
        .find(|a| a.action == "confirm_mail")
        .expect("an audit line");
    assert_eq!(confirm.actor, sandbox.admin_upn());
    assert_eq!(
        confirm.target,
        format!("{} ({})", maybe.original_upn, maybe.id)
    );
    assert!(
        confirm
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("the admin confirmed the sign-in mail sent at ")),
        "{confirm:?}"
    );

    // Marked already: a second time is refused, as nothing of it is unfinished any more.
    let ran = run(&ctx, &["finish", "--mark-sent", &maybe.id], "", pipe()).await;
    assert_eq!(ran.code, 1);
    assert!(ran.err.contains("no unfinished restore"), "{}", ran.err);
    // With --resend it makes no sense: a usage error from the command line.
    let out = binary(
        data.path(),
        &["finish", "--mark-sent", &maybe.id, "--resend"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // The other is finished by a plain `finish`.
    let ran = run(&ctx, &["finish"], "", pipe()).await;
    assert_eq!(ran.code, 0, "{} {}", ran.out, ran.err);
    assert_eq!(ran.lines()[0]["id"], never.id.as_str());
    assert_eq!(sandbox.inspect().outbox().len(), 1);
}

/// (user name, password) of each account in a sign-in mail.
fn mailed_passwords(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut upn = None;
    for line in body.lines() {
        let line = line.trim();
        if let Some(u) = line.strip_prefix("User name:") {
            upn = Some(u.trim().to_string());
        } else if let (Some(p), Some(u)) = (line.strip_prefix("Password:"), upn.take()) {
            out.push((u, p.trim().to_string()));
        }
    }
    out
}

#[tokio::test]
async fn a_second_run_on_the_data_dir_waits_or_refuses_and_never_resets_the_first_runs_passwords() {
    // Pick the users fast, then serve the same store slowly, so the first run is still going
    // when the others start.
    let store = tempfile::tempdir().expect("store");
    let picked: Vec<DeletedUser> = {
        let sandbox = undelete_sandbox::spawn(SandboxConfig::new(store.path()).users(40))
            .await
            .expect("sandbox");
        let dir = directory(&sandbox);
        let mut free = Vec::new();
        for u in deleted_users(dir.as_ref()).await {
            let pf = restore::preflight(dir.as_ref(), &u)
                .await
                .expect("preflight");
            if plain(&pf, &u) {
                free.push(u);
            }
            if free.len() == 6 {
                break;
            }
        }
        drop(dir);
        sandbox.shutdown().await;
        free
    };
    assert_eq!(picked.len(), 6);
    let sandbox = undelete_sandbox::spawn(
        SandboxConfig::new(store.path()).latency(std::time::Duration::from_millis(50)),
    )
    .await
    .expect("slow sandbox");
    let data = tempfile::tempdir().expect("data dir");
    let first_ctx = context(&sandbox, data.path());
    let refusing_ctx = context_with(
        &sandbox,
        data.path(),
        Some(sandbox.admin_upn()),
        std::time::Duration::ZERO,
    );
    let waiting_ctx = context(&sandbox, data.path());

    let mut args = vec!["restore", "--email-to", "helpdesk@contoso.sandbox"];
    args.extend(picked.iter().map(|u| u.id.as_str()));
    let books = common::sandbox_books(data.path());
    let lock_file = books.join(restore::lock::FILE_NAME);
    let journal_file = books.join(restore::journal::FILE_NAME);
    let first = run(&first_ctx, &args, "", pipe());
    let others = async {
        // Once the first run has journaled its plan, its users are "unfinished" in the
        // journal: exactly what a second run used to take over and reset.
        let started = std::time::Instant::now();
        loop {
            let owned = std::fs::read_to_string(&lock_file).is_ok_and(|t| !t.trim().is_empty());
            let planned =
                std::fs::read_to_string(&journal_file).is_ok_and(|t| t.contains("\"planned\""));
            if owned && planned {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "the first run never took the data dir"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let refused = run(&refusing_ctx, &["finish"], "", pipe()).await;
        let waited = run(&waiting_ctx, &["finish"], "", pipe()).await;
        (refused, waited)
    };
    let (first, (refused, waited)) = tokio::join!(first, others);

    assert_eq!(first.code, 0, "{} {}", first.out, first.err);
    let lines = first.lines();
    assert_eq!(lines.len(), 6, "{}", first.out);
    assert!(lines.iter().all(|l| l["mailSent"] == true), "{}", first.out);

    assert_eq!(refused.code, 1, "{} {}", refused.out, refused.err);
    assert!(refused.out.is_empty(), "{}", refused.out);
    let pid = format!("a run is in progress (pid {}, since ", std::process::id());
    assert!(refused.err.contains(&pid), "{}", refused.err);
    assert!(
        refused.err.contains("; it is restoring 6 users)"),
        "how many, as docs/reliability.md says: {}",
        refused.err
    );
    assert!(
        refused.err.contains("nothing was changed"),
        "{}",
        refused.err
    );

    assert_eq!(waited.code, 0, "{} {}", waited.out, waited.err);
    assert!(
        waited.err.contains(&pid) && waited.err.contains("waiting up to 30 s"),
        "it said why it waited: {}",
        waited.err
    );
    assert!(
        waited.err.contains("nothing to finish"),
        "by the time it ran, the first run had finished its users: {}",
        waited.err
    );

    // One mail, and every password in it is the one in force.
    let outbox = sandbox.inspect().outbox();
    assert_eq!(outbox.len(), 1, "no second mail");
    let mailed = mailed_passwords(&outbox[0].body);
    assert_eq!(mailed.len(), 6, "{}", outbox[0].body);
    for (upn, pw) in mailed {
        let line = lines
            .iter()
            .find(|l| l["userPrincipalName"] == upn.as_str())
            .unwrap_or_else(|| panic!("{upn} in the output"));
        let id = line["id"].as_str().expect("id");
        assert!(
            sandbox.inspect().password_matches(id, &pw),
            "the mailed password of {upn} still works"
        );
    }
    assert!(
        std::fs::read_to_string(&lock_file)
            .expect("lock file")
            .is_empty(),
        "released and emptied at the end"
    );
}

#[tokio::test]
async fn a_lock_left_by_a_dead_run_is_taken_over_said_and_journaled() {
    let (_tmp, sandbox) = common::start_sandbox(10).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context_with(
        &sandbox,
        data.path(),
        Some(sandbox.admin_upn()),
        std::time::Duration::ZERO,
    );
    // What a run killed with -9 leaves: the file naming it, and no OS lock any more.
    std::fs::write(
        common::sandbox_books(data.path()).join(restore::lock::FILE_NAME),
        r#"{"pid":999999999,"since":"2026-11-25T01:00:00Z","command":"restore"}"#,
    )
    .expect("lock file");
    let ran = run(&ctx, &["finish"], "", pipe()).await;
    assert_eq!(ran.code, 0, "{} {}", ran.out, ran.err);
    assert!(
        ran.err
            .contains("took over the directory from pid 999999999")
            && ran.err.contains("which is no longer running"),
        "{}",
        ran.err
    );
    let journal = std::fs::read_to_string(
        common::sandbox_books(data.path()).join(restore::journal::FILE_NAME),
    )
    .expect("journal");
    assert!(
        journal.contains("\"note\":\"lock_taken_over\"") && journal.contains("999999999"),
        "{journal}"
    );
    // Taken over once: the next run finds a lock released in good order.
    let ran = run(&ctx, &["finish"], "", pipe()).await;
    assert_eq!(ran.code, 0);
    assert!(!ran.err.contains("took over"), "{}", ran.err);
}

#[tokio::test]
async fn binary_killed_in_the_mail_window_keeps_the_mailed_password_until_resend() {
    let data = tempfile::tempdir().expect("data dir");
    let user = seed_and_pick(data.path()).await;
    let upn = user.original_upn.clone();

    // The process dies right after the mail went out, before `MailSent` was journaled.
    let out = binary(
        data.path(),
        &["restore", &upn, "--email-to", "helpdesk@contoso.sandbox"],
        &[(restore::CRASH_HOOK_ENV, "mail")],
    );
    assert_eq!(out.status.code(), Some(restore::CRASH_EXIT_CODE), "{out:?}");
    let mailed = {
        let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
            .await
            .expect("sandbox");
        let outbox = sandbox.inspect().outbox();
        assert_eq!(outbox.len(), 1, "the mail went out");
        let (_, pw) = mailed_passwords(&outbox[0].body)
            .pop()
            .expect("a password in the mail");
        assert!(sandbox.inspect().password_matches(&user.id, &pw));
        sandbox.shutdown().await;
        pw
    };

    // Every command says so; neither `finish` nor `restore` replaces that password unasked.
    let out = binary(data.path(), &["check", "--expiring", "0"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("note: the sign-in mail of 1 restore may have gone out")
            && err.contains(&format!(
                "`undelete --sandbox --data-dir {} finish --mark-sent ID_OR_UPN...` closes those",
                data.path().display()
            ))
            && !err.contains("unfinished (password"),
        "{err}"
    );
    for args in [&["finish"][..], &["restore", &upn][..]] {
        let out = binary(data.path(), args, &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            args[0] != "finish"
                || err.contains(&format!(
                    "`undelete --sandbox --data-dir {} finish --mark-sent ID` closes the user",
                    data.path().display()
                )),
            "{args:?}: {err}"
        );
        assert!(!err.contains("  "), "no runs of spaces: {err}");
        assert!(
            !err.contains("still unfinished") && !err.contains("no password yet"),
            "nothing a plain `finish` would do is promised: {err}"
        );
        let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
        assert_eq!(line["status"], "mail_uncertain", "{line}");
        assert_eq!(line["id"], user.id.as_str(), "{line}");
        assert!(line["mailSendingAt"].is_string(), "{line}");
        assert_eq!(
            line["next"],
            format!("undelete finish --mark-sent {}", user.id),
            "{line}"
        );
        assert_eq!(
            line["passwordSet"], true,
            "set by the run that mailed it: {line}"
        );
        assert!(
            line["advice"]
                .as_str()
                .is_some_and(|a| a.contains("`undelete finish --resend`")),
            "{line}"
        );
        let error = line["error"].as_str().expect("error");
        assert!(
            error.starts_with("mail may have been sent at ")
                && error.contains("helpdesk@contoso.sandbox; check the recipient's inbox"),
            "{error}"
        );
        assert!(line.get("password").is_none());
    }
    {
        let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
            .await
            .expect("sandbox");
        assert!(
            sandbox.inspect().password_matches(&user.id, &mailed),
            "the mailed password is still the one in force"
        );
        assert_eq!(sandbox.inspect().outbox().len(), 1, "and no second mail");
        sandbox.shutdown().await;
    }

    // The explicit choice: a new password, mailed again.
    let out = binary(data.path(), &["finish", "--resend"], &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["status"], "finished", "{line}");
    assert_eq!(line["mailSent"], true, "{line}");
    let sandbox = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
        .await
        .expect("sandbox");
    let outbox = sandbox.inspect().outbox();
    assert_eq!(outbox.len(), 2);
    assert_eq!(outbox[1].to, vec!["helpdesk@contoso.sandbox".to_string()]);
    let (_, resent) = mailed_passwords(&outbox[1].body)
        .pop()
        .expect("a password in the second mail");
    assert_ne!(resent, mailed);
    assert!(sandbox.inspect().password_matches(&user.id, &resent));
    assert!(!sandbox.inspect().password_matches(&user.id, &mailed));
    let journal = Journal::open(&common::sandbox_books(data.path())).expect("journal");
    assert!(journal.unfinished().expect("read").is_empty());
}

#[tokio::test]
async fn list_conflicts_keeps_the_conflicted_users_and_json_names_their_holders() {
    let (_tmp, sandbox) = common::start_sandbox(250).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let ran = run(
        &ctx,
        &["list", "--with", "all", "--format", "json"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(ran.err.is_empty(), "every read allowed: {}", ran.err);
    let all: Vec<Value> = serde_json::from_str(&ran.out).expect("one JSON array");
    assert_eq!(all.len(), 250);
    assert!(all.iter().all(|u| u["conflicts"].is_array()));
    let conflicted: Vec<&Value> = all
        .iter()
        .filter(|u| !u["conflicts"].as_array().unwrap().is_empty())
        .collect();
    assert!(conflicted.len() >= 24, "{}", conflicted.len());
    let kinds: std::collections::HashSet<&str> = conflicted
        .iter()
        .flat_map(|u| u["conflicts"].as_array().unwrap())
        .map(|c| {
            assert!(
                c["holderId"].is_string() && c["holderName"].is_string(),
                "{c}"
            );
            assert!(c["address"].is_string(), "{c}");
            c["kind"].as_str().unwrap()
        })
        .collect();
    assert_eq!(kinds, ["user", "group", "contact"].into_iter().collect());
    // Who deleted each: every seeded deletion is in the audit log; synced users by the sync
    // service.
    for u in &all {
        let by = &u["deletedBy"];
        assert!(by["by"].is_string(), "{u}");
        assert_eq!(by["bySync"], u["onPremisesSyncEnabled"], "{u}");
    }

    let ran = run(
        &ctx,
        &["list", "--conflicts", "--format", "json"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    let only: Vec<Value> = serde_json::from_str(&ran.out).expect("one JSON array");
    assert_eq!(only.len(), conflicted.len());
    // The table: each row badged as the TUI badges it, and under it what holds its names.
    let ran = run(&ctx, &["list", "--conflicts"], "", pipe()).await;
    assert_eq!(ran.code, 0);
    let rows: Vec<&str> = ran
        .out
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("  ↳ "))
        .collect();
    assert_eq!(rows.len(), conflicted.len(), "{}", ran.out);
    assert!(rows.iter().all(|r| r.contains("[CONFLICT]")), "{}", ran.out);
    let clashes = ran.out.lines().filter(|l| l.starts_with("  ↳ ")).count();
    assert!(clashes >= rows.len(), "a line per holder: {}", ran.out);
    assert!(ran.out.contains(" is held by "), "{}", ran.out);
    // Who deleted it, in the table too: synced users by the sync service.
    let ran = run(&ctx, &["list", "--with", "all"], "", pipe()).await;
    assert_eq!(ran.code, 0);
    let synced = ran.out.lines().filter(|l| l.contains("[SYNCED]")).count();
    let by_sync = ran.out.lines().filter(|l| l.contains("[BY SYNC]")).count();
    assert!(synced > 0 && by_sync == synced, "{}", ran.out);
}

#[tokio::test]
async fn list_says_what_it_could_not_read_and_leaves_unknowns_null() {
    let (_tmp, sandbox) = common::start_sandbox_with(60, |c| {
        c.deny("GroupMember.Read.All")
            .deny("Group.ReadWrite.All")
            .deny("AuditLog.Read.All")
    })
    .await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let ran = run(
        &ctx,
        &["list", "--with", "conflicts,deleted-by", "--format", "json"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0, "the listing does not fail: {}", ran.err);
    assert!(
        ran.err.contains(
            "conflicts may be missing: groups: not permitted: needs GroupMember.Read.All"
        ),
        "{}",
        ran.err
    );
    assert!(
        ran.err
            .contains("audit log: not permitted: needs AuditLog.Read.All"),
        "{}",
        ran.err
    );
    let all: Vec<Value> = serde_json::from_str(&ran.out).expect("one JSON array");
    assert_eq!(all.len(), 60);
    assert!(all.iter().all(|u| u["deletedBy"].is_null()));
    // Users with a known conflict keep it; the others are not known to be free.
    assert!(all.iter().any(|u| u["conflicts"].is_null()));
    assert!(
        all.iter()
            .any(|u| u["conflicts"].as_array().is_some_and(|c| !c.is_empty()))
    );
}

#[tokio::test]
async fn finish_says_why_it_exits_1_for_a_restore_that_never_happened() {
    let (_tmp, sandbox) = common::start_sandbox(40).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let user = find_user(ctx.session.directory.as_ref(), plain).await;
    // A run planned it and died before the restore was sent: it is still deleted.
    let journal = ctx.session.journal().expect("journal");
    journal
        .record(
            &restore::journal::Entry::new("dead-run", &user.id, restore::Step::Planned)
                .upn(&user.original_upn)
                .display_name(&user.display_name),
        )
        .expect("record");

    let ran = run(&ctx, &["finish"], "", pipe()).await;
    assert_eq!(ran.code, 1, "{} {}", ran.out, ran.err);
    assert_eq!(ran.lines()[0]["status"], "not_restored");
    assert!(
        ran.err
            .contains("1 user was never restored by the run that planned it")
            && ran
                .err
                .contains("`undelete restore ID_OR_UPN...` restores it"),
        "the exit 1 is said in words: {}",
        ran.err
    );
    assert!(
        sandbox.inspect().is_deleted(&user.id),
        "nothing was restored"
    );
    // Closed: nothing is left to finish.
    let ran = run(&ctx, &["finish"], "", pipe()).await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(ran.err.contains("nothing to finish"), "{}", ran.err);
}

/// The keys of every object in a JSON array printed by `list`.
fn json_keys(out: &str) -> std::collections::HashSet<String> {
    let all: Vec<Value> = serde_json::from_str(out).expect("one JSON array");
    all.iter()
        .flat_map(|u| u.as_object().unwrap().keys().cloned())
        .collect()
}

#[tokio::test]
async fn list_reads_only_what_it_is_asked_for_and_prints_only_those_fields() {
    // Without the group and audit permissions, any read of them would be said on stderr.
    let (_tmp, sandbox) = common::start_sandbox_with(60, |c| {
        c.deny("GroupMember.Read.All")
            .deny("Group.ReadWrite.All")
            .deny("AuditLog.Read.All")
    })
    .await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let before = sandbox.inspect().request_count();
    let ran = run(&ctx, &["list", "--format", "json"], "", pipe()).await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(
        ran.err.is_empty(),
        "nothing but the deleted users read: {}",
        ran.err
    );
    let plain_requests = sandbox.inspect().request_count() - before;
    assert!(
        plain_requests <= 2,
        "one page of deleted users: {plain_requests}"
    );
    let keys = json_keys(&ran.out);
    assert!(keys.contains("id") && keys.contains("daysLeft"), "{keys:?}");
    assert!(
        !keys.contains("conflicts") && !keys.contains("deletedBy"),
        "{keys:?}"
    );
    let ran = run(
        &ctx,
        &["check", "--expiring", "30", "--format", "json"],
        "",
        pipe(),
    )
    .await;
    assert!(
        ran.err.is_empty(),
        "check reads what its rule needs: {}",
        ran.err
    );

    let ran = run(
        &ctx,
        &["list", "--with", "deleted-by", "--format", "json"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0);
    assert!(ran.err.contains("audit log: not permitted"), "{}", ran.err);
    assert!(!ran.err.contains("conflicts"), "{}", ran.err);
    let keys = json_keys(&ran.out);
    assert!(
        keys.contains("deletedBy") && !keys.contains("conflicts"),
        "{keys:?}"
    );

    // `--conflicts` implies `--with conflicts`, and nothing more.
    let ran = run(
        &ctx,
        &["list", "--conflicts", "--format", "json"],
        "",
        pipe(),
    )
    .await;
    assert_eq!(ran.code, 0);
    assert!(
        ran.err.contains("conflicts may be missing: groups"),
        "{}",
        ran.err
    );
    assert!(!ran.err.contains("audit log"), "{}", ran.err);
    let keys = json_keys(&ran.out);
    assert!(
        keys.contains("conflicts") && !keys.contains("deletedBy"),
        "{keys:?}"
    );
}

#[tokio::test]
async fn list_with_conflicts_keeps_the_index_and_reads_only_what_changed_next_time() {
    let (_tmp, sandbox) = common::start_sandbox(250).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let folder = common::sandbox_books(data.path());
    let kept = folder.join(undelete::conflicts::kept::INDEX_FILE);
    let count = || sandbox.inspect().request_count();
    let conflicted = |out: &str| {
        let all: Vec<Value> = serde_json::from_str(out).expect("one JSON array");
        all.iter()
            .filter(|u| u["conflicts"].as_array().is_some_and(|c| !c.is_empty()))
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // The second plain list's requests: the first also signs in.
    let plain = run(&ctx, &["list", "--format", "json"], "", pipe()).await;
    let before = count();
    run(&ctx, &["list", "--format", "json"], "", pipe()).await;
    let plain_requests = count() - before;
    assert!(!kept.exists(), "a plain list keeps nothing");

    let with = ["list", "--with", "conflicts", "--format", "json"];
    let first = run(&ctx, &with, "", pipe()).await;
    assert_eq!(first.code, 0, "{}", first.err);
    let found = conflicted(&first.out);
    assert!(found.len() >= 24, "{}", found.len());
    assert!(
        kept.exists(),
        "the index is kept in the directory's books folder"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&kept).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Fresh (under --max-age): nothing read but the deleted users.
    let before = count();
    let second = run(&ctx, &with, "", pipe()).await;
    assert_eq!(count() - before, plain_requests, "{}", second.err);
    assert_eq!(conflicted(&second.out), found);
    assert_eq!(second.out.len(), first.out.len());
    assert_eq!(plain.code, 0);

    // Older than --max-age: one delta request per kind, and what changed shows.
    let holder_of = |id: &str| {
        let all: Vec<Value> = serde_json::from_str(&first.out).unwrap();
        let u = all.iter().find(|u| u["id"] == id).unwrap().clone();
        let cs = u["conflicts"].as_array().unwrap().clone();
        let one = cs[0]["holderId"].as_str().unwrap().to_string();
        (cs.iter()
            .all(|c| c["holderId"] == one.as_str() && c["kind"] == "user"))
        .then_some(one)
    };
    let (user, holder) = found
        .iter()
        .find_map(|id| holder_of(id).map(|h| (id.clone(), h)))
        .expect("a user whose only holder is one active user");
    let token = common::app_token(&sandbox).await;
    let (status, _, _) = common::send(
        reqwest::Method::DELETE,
        &common::graph(&sandbox, &format!("users/{holder}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let before = count();
    let third = run(
        &ctx,
        &[
            "list",
            "--with",
            "conflicts",
            "--max-age",
            "0",
            "--format",
            "json",
        ],
        "",
        pipe(),
    )
    .await;
    assert_eq!(third.code, 0, "{}", third.err);
    assert_eq!(count() - before, plain_requests + 3, "{}", third.err);
    let now_found = conflicted(&third.out);
    assert!(!now_found.contains(&user), "{user} is free now");
    assert_eq!(now_found.len(), found.len() - 1);

    // An expired token: said once, and the answer is still right.
    sandbox.expire_delta_tokens();
    let fourth = run(
        &ctx,
        &[
            "list",
            "--with",
            "conflicts",
            "--max-age",
            "0",
            "--format",
            "json",
        ],
        "",
        pipe(),
    )
    .await;
    assert_eq!(fourth.code, 0);
    assert_eq!(
        fourth.err.matches("refused the kept delta tokens").count(),
        1,
        "{}",
        fourth.err
    );
    assert_eq!(conflicted(&fourth.out), now_found);
}

#[tokio::test]
async fn no_cache_keeps_nothing_and_removes_what_was_kept_for_this_directory_only() {
    let (_tmp, sandbox) = common::start_sandbox(60).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let folder = common::sandbox_books(data.path());
    let files = [
        folder.join(undelete::conflicts::kept::INDEX_FILE),
        folder.join(undelete::conflicts::kept::LOG_FILE),
    ];
    let with = ["list", "--with", "all", "--format", "json"];
    let ran = run(&ctx, &with, "", pipe()).await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(files.iter().all(|f| f.exists()), "both kept");
    // Another directory's kept files are not this one's to remove.
    let other = data.path().join("other-directory");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join(undelete::conflicts::kept::INDEX_FILE), "x").unwrap();

    let settings = Settings {
        cache: false,
        ..Settings::default()
    };
    let no_cache = Context::new(Arc::new(Session::new(
        settings,
        directory(&sandbox),
        "SANDBOX contoso.sandbox".into(),
        true,
        sandbox.admin_upn(),
        Some(sandbox.admin_upn()),
        data.path().to_path_buf(),
    )));
    let ran = run(&no_cache, &with, "", pipe()).await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    let all: Vec<Value> = serde_json::from_str(&ran.out).unwrap();
    assert!(
        all.iter().all(|u| u["deletedBy"]["by"].is_string()),
        "still read"
    );
    assert!(
        files.iter().all(|f| !f.exists()),
        "removed, and nothing kept"
    );
    assert!(other.join(undelete::conflicts::kept::INDEX_FILE).exists());
}

#[tokio::test]
async fn dry_run_says_what_offboarding_took_from_each_user() {
    let (_tmp, sandbox) = common::start_sandbox(60).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    let dir = ctx.session.directory.clone();
    let mut seen = 0;
    for u in deleted_users(dir.as_ref()).await {
        let pf = restore::preflight(dir.as_ref(), &u)
            .await
            .expect("preflight");
        if !pf.proxy_holders.is_empty() || pf.suggested_upn.is_some() {
            continue;
        }
        let ran = run(&ctx, &["restore", &u.id, "--dry-run"], "", pipe()).await;
        let line = &ran.lines()[0];
        if line["status"] != "ready" {
            continue;
        }
        let off = &line["offboarding"];
        assert!(off["window"]["to"].is_string(), "{line}");
        if off["signIn"].is_null() {
            assert!(off["groups"].as_array().is_some(), "{line}");
            continue;
        }
        seen += 1;
        assert!(
            off["by"]
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b == "app HR Offboarding Automation"),
            "{off}"
        );
        for g in off["groups"].as_array().unwrap() {
            assert!(g["name"].is_string() && g["gone"] == false, "{g}");
        }
        for r in off["roles"].as_array().unwrap() {
            // Exchange Administrator is not privileged; Helpdesk Administrator is.
            let privileged = r["name"] == "Helpdesk Administrator";
            assert_eq!(r["privileged"], privileged, "{r}");
        }
        assert!(
            sandbox.inspect().is_deleted(&u.id),
            "a dry run changes nothing"
        );
        if seen == 3 {
            break;
        }
    }
    assert!(seen >= 1, "an offboarded user among the ready ones");
}
