//! The command-line contract's own checks: durations, roots, usage errors.

use std::time::Duration;

use clap::Parser;

use crate::cli::*;

#[test]
fn durations_in_the_usual_units() {
    assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
    assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
    for bad in ["", "m", "10x", "0s", "5m3", "-1s"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}

#[test]
fn roots_with_a_version_or_a_tenant_are_refused_saying_why() {
    assert!(graph_root("https://graph.microsoft.com").is_ok());
    assert!(graph_root("https://proxy.example/graph/").is_ok());
    let e = graph_root("https://graph.microsoft.com/v1.0").unwrap_err();
    assert_eq!(
        e,
        "--graph-url must be the root, e.g. https://graph.microsoft.com, without /v1.0"
    );
    assert!(graph_root("https://graph.microsoft.com/beta/").is_err());
    assert!(login_root("https://login.microsoftonline.com/").is_ok());
    assert!(login_root("http://127.0.0.1:5123").is_ok());
    for bad in [
        "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        "https://login.microsoftonline.com/common",
        "https://login.microsoftonline.com/0b8f4a4e-6f2c-4a43-9d58-2f4a1c0e7a11",
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
    ] {
        let e = login_root(bad).unwrap_err();
        assert!(e.starts_with("--login-url must be the root"), "{e}");
    }
    assert!(target(" ").is_err());
    assert!(target("adele@contoso.com").is_ok());
}

#[test]
fn usage_errors_exit_2() {
    for argv in [
        &[
            "undelete",
            "--graph-url",
            "https://graph.microsoft.com/v1.0",
            "list",
        ][..],
        &["undelete", "restore", ""][..],
        &["undelete", "purge", "  ", "--yes"][..],
        &["undelete", "--deadline", "soon", "list"][..],
    ] {
        let e = Cli::try_parse_from(argv).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{argv:?}: {e}");
    }
    let ok = Cli::try_parse_from(["undelete", "--deadline", "90s", "list"]).unwrap();
    assert_eq!(ok.run.deadline, Some(Duration::from_secs(90)));
}

fn settings(argv: &[&str]) -> undelete::config::Settings {
    let (cli, m) = parse_from(argv).expect("parses");
    cli.flag_settings(&m)
}

#[test]
fn directory_options_count_before_a_command_and_win_after_it() {
    let s = settings(&["undelete", "--tenant", "top.example", "--read-only", "list"]);
    assert_eq!(s.tenant.as_deref(), Some("top.example"));
    assert!(s.read_only);
    let s = settings(&[
        "undelete",
        "--tenant",
        "top.example",
        "--cloud",
        "china",
        "list",
        "--tenant",
        "own.example",
        "--lock-wait",
        "5",
    ]);
    assert_eq!(s.tenant.as_deref(), Some("own.example"));
    assert_eq!(s.cloud, undelete_common::cloud::Cloud::China);
    assert_eq!(s.lock_wait, Duration::from_secs(5));
    let s = settings(&["undelete", "--no-mouse"]);
    assert!(s.no_mouse && s.tenant.is_none());
    assert_eq!(s.lock_wait, undelete::config::DEFAULT_LOCK_WAIT);
    // The TUI's own option is not a command's.
    assert!(parse_from(["undelete", "list", "--no-mouse"]).is_err());
}

#[test]
fn the_password_in_email_flags_are_a_layer_and_no_wins() {
    let include = |argv: &[&str]| settings(argv).include_password;
    assert!(include(&["undelete", "restore", "x"]), "the default");
    assert!(!include(&[
        "undelete",
        "restore",
        "x",
        "--no-password-in-email"
    ]));
    assert!(include(&["undelete", "finish", "--password-in-email"]));
    assert!(!include(&[
        "undelete",
        "restore",
        "x",
        "--password-in-email",
        "--no-password-in-email"
    ]));
    let (cli, m) = parse_from(["undelete", "restore", "x", "--no-password-in-email"]).expect("ok");
    let s = cli.flag_settings(&m);
    match cli.command.and_then(|c| c.scripting(&s)) {
        Some(undelete::commands::args::Command::Restore(a)) => assert!(a.no_password_in_email),
        _ => panic!("a restore"),
    }
}

#[test]
fn tenant_repeats_and_all_tenants_opens_the_settings_file_s_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "[[tenants]]\nname = \"Contoso\"\ntenant = \"contoso.onmicrosoft.com\"\n\
         [[tenants]]\nname = \"Fabrikam\"\ntenant = \"fabrikam.onmicrosoft.com\"\n\
         mail-from = \"helpdesk@fabrikam.com\"\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    let resolved = |argv: &[&str]| {
        let (cli, m) = parse_from(argv).expect("parses");
        cli.settings(&m)
    };
    let s = resolved(&["undelete", "--config", path, "--all-tenants", "list"]).expect("ok");
    let labels: Vec<String> = s.tenants().iter().map(|t| t.tenant_label()).collect();
    assert_eq!(labels, ["Contoso", "Fabrikam"]);
    assert_eq!(
        s.more_tenants[0].mail_from.as_deref(),
        Some("helpdesk@fabrikam.com")
    );
    // Repeated (or comma-separated) --tenant: entries by name, other tenants as they are.
    let s = resolved(&[
        "undelete",
        "--config",
        path,
        "list",
        "--tenant",
        "fabrikam",
        "--tenant",
        "woodgrove.example,contoso",
    ])
    .expect("ok");
    let tenants: Vec<Option<String>> = s.tenants().iter().map(|t| t.tenant.clone()).collect();
    assert_eq!(
        tenants,
        [
            Some("fabrikam.onmicrosoft.com".to_string()),
            Some("woodgrove.example".to_string()),
            Some("contoso.onmicrosoft.com".to_string())
        ]
    );
    // Two entries and no choice: said, naming them.
    let e = resolved(&["undelete", "--config", path, "list"]).unwrap_err();
    assert!(e.contains("names 2 tenants (Contoso, Fabrikam)"), "{e}");
}
