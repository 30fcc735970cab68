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
