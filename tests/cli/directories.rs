//! One data dir, several directories, as the real binary sees them: the built-in sandbox and
//! a sandbox served on a port (a directory of its own, reached with --graph-url). Each keeps
//! its own books: an interrupted restore in one is finished only by a run on that one; an
//! earlier version's journal (no directory) is shown apart and adopted only when asked; and a
//! data dir that could be turned against its owner is refused.

use crate::common;

use std::path::Path;
use std::process::{Command as Process, Output, Stdio};

use serde_json::Value;
use undelete::data_dir::DirectoryId;
use undelete::restore::{self, Books, Journal, Step, journal::Entry};
use undelete_sandbox::{SandboxConfig, SandboxHandle};

/// Every variable that could point a run elsewhere than its arguments say.
const ENV: &[&str] = &[
    "UNDELETE_CONFIG",
    "UNDELETE_TENANT",
    "UNDELETE_CLIENT_ID",
    "UNDELETE_CLIENT_SECRET",
    "UNDELETE_CERTIFICATE",
    "UNDELETE_GRAPH_URL",
    "UNDELETE_LOGIN_URL",
    "UNDELETE_MAIL_FROM",
    "UNDELETE_DATA_DIR",
    "UNDELETE_SANDBOX",
    "UNDELETE_EMAIL_TO",
    "XDG_CONFIG_HOME",
];

/// `undelete --data-dir DATA ARGS` with `home` as HOME (no settings file), `env` set.
pub(crate) fn undelete(data: &Path, args: &[String], env: &[(&str, String)]) -> Output {
    let mut all = vec!["--data-dir".to_string(), data.display().to_string()];
    all.extend_from_slice(args);
    undelete_as_typed(data, &all, env)
}

/// `undelete ARGS`, the arguments exactly as given (a hint copied from stderr), with `home`
/// under `data` as HOME and `env` set.
fn undelete_as_typed(data: &Path, args: &[String], env: &[(&str, String)]) -> Output {
    let mut cmd = Process::new(env!("CARGO_BIN_EXE_undelete"));
    cmd.args(args)
        .env("HOME", data.join("home"))
        .env_remove(restore::CRASH_HOOK_ENV)
        .stdin(Stdio::null());
    for var in ENV {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// The arguments that point a run at a served sandbox (app-only, mail from its admin).
fn served(h: &SandboxHandle, rest: &[&str]) -> (Vec<String>, Vec<(&'static str, String)>) {
    let base = h.base_url().as_str().trim_end_matches('/').to_string();
    let mut args: Vec<String> = [
        "--tenant",
        h.domain(),
        "--graph-url",
        &base,
        "--login-url",
        &base,
        "--client-id",
        "11111111-2222-3333-4444-555555555555",
        "--mail-from",
        &h.admin_upn(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(rest.iter().map(|s| s.to_string()));
    (
        args,
        vec![("UNDELETE_CLIENT_SECRET", h.client_secret().to_string())],
    )
}

fn builtin(rest: &[&str]) -> Vec<String> {
    std::iter::once("--sandbox")
        .chain(rest.iter().copied())
        .map(str::to_string)
        .collect()
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(crate) async fn run(
    data: &Path,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
) -> Output {
    let data = data.to_path_buf();
    tokio::task::spawn_blocking(move || undelete(&data, &args, &env))
        .await
        .expect("run")
}

/// A deleted user of `h` that restores without a conflict.
async fn plain_user(h: &SandboxHandle) -> undelete::directory::DeletedUser {
    let dir = common::sandbox_directory(h, "directories-tests");
    for u in undelete::directory::all_deleted(dir.as_ref())
        .await
        .expect("listing")
    {
        let pf = restore::preflight(dir.as_ref(), &u)
            .await
            .expect("preflight");
        if !pf.has_conflict() && !u.on_premises_sync_enabled && !u.is_guest() {
            return u;
        }
    }
    panic!("no plain user in the seed")
}

/// The books folders under `data`, by slug.
fn folders(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join(undelete::data_dir::DIRECTORIES))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_restore_is_finished_only_by_a_run_on_its_own_directory() {
    let data = tempfile::tempdir().expect("data dir");
    let (_store, serve) = common::start_sandbox(30).await;
    let user = plain_user(&serve).await;

    // A restore on the served sandbox dies after the restore, before the password.
    let (args, mut env) = served(
        &serve,
        &[
            "restore",
            &user.original_upn,
            "--email-to",
            "helpdesk@contoso.sandbox",
        ],
    );
    env.push((restore::CRASH_HOOK_ENV, "restore".into()));
    let out = run(data.path(), args, env).await;
    assert_eq!(
        out.status.code(),
        Some(restore::CRASH_EXIT_CODE),
        "{}",
        text(&out.stderr)
    );
    assert!(serve.inspect().is_active(&user.id), "the restore happened");
    let slugs = folders(data.path());
    assert_eq!(slugs.len(), 1, "{slugs:?}");
    assert!(slugs[0].starts_with("127.0.0.1-"), "{slugs:?}");
    let served_books = data.path().join("directories").join(&slugs[0]);
    let description = std::fs::read_to_string(served_books.join("directory.json")).expect("json");
    assert!(
        description.contains(serve.base_url().as_str().trim_end_matches('/')),
        "{description}"
    );
    assert_eq!(
        Journal::open(&served_books)
            .unwrap()
            .unfinished()
            .unwrap()
            .len(),
        1
    );

    // The built-in sandbox on the same data dir: not its user, so nothing to finish there.
    let out = run(data.path(), builtin(&["finish"]), Vec::new()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("nothing to finish"), "{err}");
    assert!(!err.contains(&user.original_upn), "{err}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert_eq!(
        Journal::open(&served_books)
            .unwrap()
            .unfinished()
            .unwrap()
            .len(),
        1,
        "left for its own directory"
    );
    assert!(serve.inspect().outbox().is_empty());
    assert!(folders(data.path()).contains(&"builtin-sandbox".to_string()));

    // A command on the served sandbox says so, naming the command that finishes it there
    // (its directory and data dir spelled out); that command, typed as shown, does.
    let (args, env) = served(&serve, &["check", "--expiring", "0"]);
    let out = run(data.path(), args, env.clone()).await;
    let err = text(&out.stderr);
    let hint = err
        .lines()
        .find(|l| {
            l.contains("unfinished (password or mail not done") && l.contains(&user.original_upn)
        })
        .and_then(|l| l.split('`').nth(1))
        .unwrap_or_else(|| panic!("a note with the command: {err}"))
        .to_string();
    assert!(
        hint.starts_with("undelete ")
            && hint.ends_with(" finish")
            && hint.contains(&format!("--data-dir {}", data.path().display()))
            && hint.contains(&format!(
                "--graph-url {}",
                serve.base_url().as_str().trim_end_matches('/')
            )),
        "{hint}"
    );
    let typed: Vec<String> = hint
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect();
    let data_dir = data.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || undelete_as_typed(&data_dir, &typed, &env))
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["status"], "finished", "{line}");
    assert!(
        Journal::open(&served_books)
            .unwrap()
            .unfinished()
            .unwrap()
            .is_empty()
    );
    let outbox = serve.inspect().outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to, ["helpdesk@contoso.sandbox"]);
    serve.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_versions_journal_is_shown_apart_and_adopted_only_when_asked() {
    let data = tempfile::tempdir().expect("data dir");
    // The built-in sandbox's store in this data dir, with a user an earlier version restored
    // and never gave a password.
    let user = {
        let h = undelete_sandbox::spawn(SandboxConfig::new(data.path()).users(30))
            .await
            .expect("sandbox");
        let user = plain_user(&h).await;
        let dir = common::sandbox_directory(&h, "directories-tests");
        dir.restore(&user.id, &Default::default())
            .await
            .expect("restore");
        h.shutdown().await;
        user
    };
    let old = Journal::open(data.path()).expect("the earlier journal");
    let mut planned = Entry::new("old-run", &user.id, Step::Planned)
        .upn(&user.original_upn)
        .display_name(&user.display_name);
    planned.mail_to = vec!["helpdesk@contoso.sandbox".into()];
    planned.force_change = true;
    old.record(&planned).unwrap();
    old.record(&Entry::new("old-run", &user.id, Step::Restored).upn(&user.original_upn))
        .unwrap();

    // Every command says it, apart; `finish` leaves it alone.
    let out = run(
        data.path(),
        builtin(&["check", "--expiring", "0"]),
        Vec::new(),
    )
    .await;
    let err = text(&out.stderr);
    assert!(
        err.contains("1 unfinished restore from an earlier version, directory unknown")
            && err.contains(&user.original_upn)
            && err.contains(&format!(
                "`undelete --sandbox --data-dir {} finish --adopt-earlier`",
                data.path().display()
            )),
        "{err}"
    );
    assert!(
        !err.contains("unfinished (password"),
        "not this directory's: {err}"
    );
    let out = run(data.path(), builtin(&["finish"]), Vec::new()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("nothing to finish") && err.contains("earlier version"),
        "{err}"
    );
    assert_eq!(
        restore::earlier::earlier_pending(data.path())
            .unwrap()
            .len(),
        1
    );

    // Adopted when asked: taken into the sandbox's journal and finished with it.
    let out = run(
        data.path(),
        builtin(&["finish", "--adopt-earlier"]),
        Vec::new(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("adopted 1 unfinished restore"), "{err}");
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["status"], "finished", "{line}");
    assert!(
        restore::earlier::earlier_pending(data.path())
            .unwrap()
            .is_empty()
    );
    assert!(!data.path().join("journal.jsonl").exists(), "renamed");
    let books = Books::new(data.path(), &DirectoryId::BuiltInSandbox, "SANDBOX");
    assert!(books.pending().unwrap().is_empty());
    // Not said again.
    let out = run(
        data.path(),
        builtin(&["check", "--expiring", "0"]),
        Vec::new(),
    )
    .await;
    assert!(
        !text(&out.stderr).contains("earlier version"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_dir_others_may_write_to_is_refused_and_a_new_one_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let open = tmp.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run(&open, builtin(&["list"]), Vec::new()).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("undelete: the data dir cannot be used: refusing the folder ")
            && err.contains("others may write to it (mode 0777)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(&open).unwrap().count(),
        0,
        "nothing was written there, not even a log"
    );

    let fresh = tmp.path().join("new/undelete");
    let out = run(&fresh, builtin(&["list"]), Vec::new()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&fresh.join("logs")), 0o700);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_journal_or_lock_is_refused_and_its_target_untouched() {
    let data = tempfile::tempdir().expect("data dir");
    let user = {
        let h = undelete_sandbox::spawn(SandboxConfig::new(data.path()).users(20))
            .await
            .expect("sandbox");
        let user = plain_user(&h).await;
        h.shutdown().await;
        user
    };
    let books = common::sandbox_books(data.path());
    let target = data.path().join("precious");
    for name in [restore::journal::FILE_NAME, restore::lock::FILE_NAME] {
        std::fs::write(&target, "keep me").unwrap();
        let link = books.join(name);
        // The journal's run left a real lock file; the link goes in its place.
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let out = run(
            data.path(),
            builtin(&["restore", &user.original_upn]),
            Vec::new(),
        )
        .await;
        assert_ne!(out.status.code(), Some(0), "{name}");
        let err = text(&out.stderr);
        assert!(err.contains("is a symbolic link"), "{name}: {err}");
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "keep me",
            "{name}"
        );
        std::fs::remove_file(&link).unwrap();
    }
    let h = undelete_sandbox::spawn(SandboxConfig::new(data.path()))
        .await
        .expect("sandbox");
    assert!(h.inspect().is_deleted(&user.id), "nothing was restored");
}
