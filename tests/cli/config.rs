//! The settings file as the real binary reads it: where it is (`config path`), a first one
//! (`config init`), which layer wins (`config show`: flags > environment > file > defaults),
//! its errors, and a restore that takes its recipients and sender from it.

use crate::common;

use std::path::Path;
use std::process::{Command as Process, Output, Stdio};

/// Every variable that could set what these tests check, so only each test's own count.
const SETTINGS_ENV: &[&str] = &[
    "UNDELETE_CONFIG",
    "UNDELETE_TENANT",
    "UNDELETE_ALL_TENANTS",
    "UNDELETE_CLIENT_ID",
    "UNDELETE_CLIENT_SECRET",
    "UNDELETE_CERTIFICATE",
    "UNDELETE_CLOUD",
    "UNDELETE_GRAPH_URL",
    "UNDELETE_LOGIN_URL",
    "UNDELETE_MAIL_FROM",
    "UNDELETE_DATA_DIR",
    "UNDELETE_SANDBOX",
    "UNDELETE_EMAIL_TO",
    "UNDELETE_NO_PASSWORD_IN_EMAIL",
    "UNDELETE_PASSWORD_IN_EMAIL",
    "XDG_CONFIG_HOME",
];

/// `undelete ARGS` with `home` as the home directory (so the platform's settings file is
/// `home/.config/undelete/config.toml`) and `env` set.
fn undelete(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Process::new(env!("CARGO_BIN_EXE_undelete"));
    cmd.args(args)
        .env("HOME", home)
        .env("UNDELETE_DATA_DIR", home.join("data"))
        .stdin(Stdio::null());
    for var in SETTINGS_ENV {
        if *var != "UNDELETE_DATA_DIR" {
            cmd.env_remove(var);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `config show`'s `key = value` lines, by key.
fn shown(out: &Output) -> std::collections::HashMap<String, String> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn config_path_is_the_platform_place_unless_named() {
    let home = tempfile::tempdir().expect("home");
    let out = undelete(home.path(), &["config", "path"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = home.path().join(".config/undelete/config.toml");
    assert_eq!(text(&out.stdout).trim_end(), expected.to_string_lossy());
    // Nothing is written, and no log either.
    assert!(!expected.exists() && !home.path().join("data").exists());

    let out = undelete(
        home.path(),
        &["config", "path"],
        &[("UNDELETE_CONFIG", "/etc/undelete.toml")],
    );
    assert_eq!(text(&out.stdout).trim_end(), "/etc/undelete.toml");
    let out = undelete(
        home.path(),
        &["config", "path", "--config", "/srv/u.toml"],
        &[("UNDELETE_CONFIG", "/etc/undelete.toml")],
    );
    assert_eq!(text(&out.stdout).trim_end(), "/srv/u.toml", "the flag wins");
}

#[test]
fn config_init_writes_a_commented_file_once_and_replaces_it_only_with_force() {
    let home = tempfile::tempdir().expect("home");
    let path = home.path().join(".config/undelete/config.toml");
    let out = undelete(home.path(), &["config", "init"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&*path.to_string_lossy()));
    let written = std::fs::read_to_string(&path).expect("written");
    assert!(written.contains("# tenant = "), "{written}");
    // As written it changes nothing: every key is commented out.
    let out = undelete(home.path(), &["config", "show"], &[]);
    // Where the journal and log live is said too, though no key of the file sets it.
    let data_dir = format!("# data dir: {} (", home.path().join("data").display());
    assert!(
        text(&out.stdout).contains(&data_dir),
        "{}",
        text(&out.stdout)
    );
    let show = shown(&out);
    assert!(!show.contains_key("tenant"), "{show:?}");
    assert_eq!(show["cloud"], "\"global\"");

    std::fs::write(&path, "tenant = \"mine.example\"\n").expect("edit");
    // Keeping the admin's file is the normal outcome: exit 0, and it says so.
    let out = undelete(home.path(), &["config", "init"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.contains("Kept") && err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "tenant = \"mine.example\"\n"
    );
    let out = undelete(home.path(), &["config", "init", "--force"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&path).expect("read"), written);
}

#[test]
fn flags_win_over_the_environment_over_the_file_over_the_defaults() {
    let home = tempfile::tempdir().expect("home");
    let file = home.path().join("settings.toml");
    std::fs::write(
        &file,
        "tenant = \"file.example\"\ncloud = \"china\"\nmail-from = \"file@contoso.com\"\n\
         client-id = \"file-client\"\nemail-to = \"helpdesk@contoso.com\"\n\
         include-password = false\ntheme = \"light\"\n",
    )
    .expect("write");
    let f = file.to_str().expect("utf-8");
    let env = [
        ("UNDELETE_CONFIG", f),
        ("UNDELETE_TENANT", "env.example"),
        ("UNDELETE_CLOUD", "usgov"),
    ];

    // The file alone, over the defaults.
    let s = shown(&undelete(home.path(), &["config", "show"], &env[..1]));
    assert_eq!(s["tenant"], "\"file.example\"");
    assert_eq!(s["cloud"], "\"china\"");
    assert_eq!(s["mail-from"], "\"file@contoso.com\"");
    assert_eq!(s["email-to"], "\"helpdesk@contoso.com\"");
    assert_eq!(s["include-password"], "false");
    assert_eq!(s["theme"], "\"light\"");
    assert!(!s.contains_key("graph-url"), "a default: {s:?}");

    // The environment over the file.
    let s = shown(&undelete(home.path(), &["config", "show"], &env));
    assert_eq!(s["tenant"], "\"env.example\"");
    assert_eq!(s["cloud"], "\"usgov\"");
    assert_eq!(
        s["client-id"], "\"file-client\"",
        "the file still fills the rest"
    );

    // Flags over the environment, before the command's name or after it; after it wins.
    let s = shown(&undelete(
        home.path(),
        &[
            "--tenant",
            "top.example",
            "config",
            "show",
            "--cloud",
            "global",
        ],
        &env,
    ));
    assert_eq!(s["tenant"], "\"top.example\"");
    assert_eq!(s["cloud"], "\"global\"");
    let s = shown(&undelete(
        home.path(),
        &[
            "--tenant",
            "top.example",
            "config",
            "show",
            "--tenant",
            "own.example",
        ],
        &env,
    ));
    assert_eq!(s["tenant"], "\"own.example\"");

    // No file (the platform's place is empty), no variables: the defaults.
    let s = shown(&undelete(home.path(), &["config", "show"], &[]));
    assert!(
        !s.contains_key("tenant") && !s.contains_key("email-to"),
        "{s:?}"
    );
    assert_eq!(s["cloud"], "\"global\"");
    assert_eq!(s["include-password"], "true");
}

#[test]
fn a_bad_settings_file_stops_a_run_naming_the_key_the_file_and_the_line() {
    let home = tempfile::tempdir().expect("home");
    let dir = home.path().join(".config/undelete");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("config.toml");
    std::fs::write(
        &file,
        "tenant = \"contoso.com\"\nmailfrom = \"x@contoso.com\"\n",
    )
    .expect("w");
    for args in [&["list"][..], &["config", "show"][..], &[][..]] {
        let out = undelete(home.path(), args, &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("undelete: unknown key `mailfrom`"), "{err}");
        assert!(
            err.contains(&format!("{}, line 2, column 1", file.display())),
            "{err}"
        );
    }
    // What never reads it still works, so the file can be found and replaced.
    let out = undelete(home.path(), &["config", "path"], &[]);
    assert!(out.status.success());
    let out = undelete(home.path(), &["completions", "bash"], &[]);
    assert!(out.status.success());

    std::fs::write(&file, "tenant = \"contoso.com\"\ncloud = global\n").expect("w");
    let err = text(&undelete(home.path(), &["config", "show"], &[]).stderr);
    assert!(err.contains("line 2, column 9"), "{err}");
    std::fs::write(&file, "theme = \"neon\"\n").expect("w");
    let err = text(&undelete(home.path(), &["config", "show"], &[]).stderr);
    assert!(err.contains("unknown theme \"neon\""), "{err}");

    // A file named on purpose must be there.
    let out = undelete(
        home.path(),
        &["--config", "/nonexistent/undelete.toml", "list"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/nonexistent/undelete.toml does not exist"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_takes_its_tenant_sender_and_recipients_from_the_file() {
    const SECRET: &str = "config-test-secret";
    let (_tmp, h) = common::start_sandbox_with(10, |c| c.client_secret(SECRET)).await;
    let token = common::app_token(&h).await;
    let all = common::all_deleted(&h, &token).await;
    let (upns, proxies) = common::active_names(&h, &token).await;
    let users: Vec<_> = common::restorable(&all, &upns, &proxies)
        .into_iter()
        .filter(|u| u["userType"] != "Guest" && u["onPremisesSyncEnabled"] != true)
        .collect();
    let user = users.first().expect("a plain member");
    let upn = common::original_upn(user);
    let home = tempfile::tempdir().expect("home");
    let base = h.base_url().as_str().trim_end_matches('/').to_string();
    let dir = home.path().join(".config/undelete");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "tenant = \"contoso.sandbox\"\ngraph-url = \"{base}\"\nlogin-url = \"{base}\"\n\
             client-id = \"11111111-2222-3333-4444-555555555555\"\n\
             mail-from = \"admin@contoso.sandbox\"\nemail-to = \"helpdesk@contoso.sandbox\"\n\
             include-password = false\n"
        ),
    )
    .expect("write");
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        undelete(
            &home_path,
            &["restore", &upn],
            &[("UNDELETE_CLIENT_SECRET", SECRET)],
        )
    })
    .await
    .expect("run");
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let outbox = h.inspect().outbox();
    assert_eq!(outbox.len(), 1, "one mail, to the file's recipients");
    assert_eq!(outbox[0].to, ["helpdesk@contoso.sandbox"]);
    assert_eq!(outbox[0].from, "admin@contoso.sandbox");
    assert!(
        outbox[0].body.contains("another way"),
        "include-password = false leaves it out:\n{}",
        outbox[0].body
    );

    // --password-in-email wins over the file for one run.
    let user2 = users.get(1).expect("another plain member");
    let upn2 = common::original_upn(user2);
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        undelete(
            &home_path,
            &["restore", &upn2, "--password-in-email"],
            &[("UNDELETE_CLIENT_SECRET", SECRET)],
        )
    })
    .await
    .expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let outbox = h.inspect().outbox();
    assert_eq!(outbox.len(), 2);
    assert!(
        !outbox[1].body.contains("another way"),
        "{}",
        outbox[1].body
    );
    h.shutdown().await;
}

/// `config show` names the data dir (a flag or `UNDELETE_DATA_DIR`, not a key of the file),
/// and a usage error's usage line is the command's own: an option set in the environment is
/// not shown there as if it were required.
#[test]
fn config_show_names_the_data_dir_and_usage_lines_leave_the_environment_out() {
    let home = tempfile::tempdir().expect("home");
    let out = undelete(home.path(), &["config", "show"], &[]);
    let data = home.path().join("data");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("# data dir: {}", data.display())),
        "{stdout}"
    );
    let other = home.path().join("elsewhere");
    let out = undelete(
        home.path(),
        &[
            "--data-dir",
            other.to_str().expect("utf-8"),
            "config",
            "show",
        ],
        &[],
    );
    assert!(
        text(&out.stdout).contains(&format!("# data dir: {}", other.display())),
        "{}",
        text(&out.stdout)
    );

    let out = undelete(
        home.path(),
        &["purge"],
        &[("UNDELETE_TENANT", "contoso.com")],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(err.contains("the following required arguments"), "{err}");
    assert!(
        err.contains("Usage: undelete purge [OPTIONS] <ID_OR_UPN>..."),
        "{err}"
    );
    assert!(
        !err.contains("--data-dir") && !err.contains("--tenant"),
        "{err}"
    );
    // A subcommand's subcommand keeps its own usage too.
    let out = undelete(home.path(), &["sandbox", "serve", "--users", "many"], &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        text(&out.stderr).contains("\"many\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn tenants_entries_show_with_their_own_settings_and_a_run_on_several_says_what_works() {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = home.path().join(".config/undelete");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("config.toml"),
        "email-to = \"all@msp.example\"\n\
         [[tenants]]\nname = \"Contoso\"\ntenant = \"contoso.onmicrosoft.com\"\n\
         [[tenants]]\nname = \"Fabrikam\"\ntenant = \"fabrikam.onmicrosoft.com\"\n\
         email-to = \"helpdesk@fabrikam.com\"\n",
    )
    .expect("write");
    let out = undelete(home.path(), &["config", "show", "--all-tenants"], &[]);
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("tenant = \"contoso.onmicrosoft.com\""),
        "{said}"
    );
    assert!(
        said.contains(
            "[[tenants]]\nname = \"Fabrikam\"\ntenant = \"fabrikam.onmicrosoft.com\"\n\
             email-to = \"helpdesk@fabrikam.com\"\n"
        ),
        "{said}"
    );

    // Two tenants and no choice: a usage error naming them, before any sign-in.
    let out = undelete(home.path(), &["list"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("names 2 tenants (Contoso, Fabrikam)"), "{err}");
    // Both, in a command: each tenant is tried on its own; neither was signed in to, and
    // each says so, naming itself (exit 1).
    let out = undelete(home.path(), &["list", "--all-tenants"], &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for tenant in ["Contoso", "Fabrikam"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("undelete: not signed in to ")
                    && l.contains(&format!("(tenant {tenant}: left out"))),
            "{err}"
        );
    }
    // Both, in the table, outside a terminal: neither signed in, and no sign-in screen can be
    // shown; each named with why, exit 1.
    let out = undelete(home.path(), &["--all-tenants"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("undelete: no tenant could be opened:"),
        "{err}"
    );
    for name in ["Contoso", "Fabrikam"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("  {name}: not signed in to "))),
            "{err}"
        );
    }
    // `logout` for both at once: a line for each, by its entry's name, nothing to forget.
    let out = undelete(home.path(), &["logout", "--all-tenants"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Contoso: nothing to forget\nFabrikam: nothing to forget\n"
    );
    // One of them: as a run on that tenant alone, with its entry's settings.
    let s = shown(&undelete(
        home.path(),
        &["config", "show", "--tenant", "fabrikam"],
        &[],
    ));
    assert_eq!(s["tenant"], "\"fabrikam.onmicrosoft.com\"");
    assert_eq!(s["email-to"], "\"helpdesk@fabrikam.com\"");
}
