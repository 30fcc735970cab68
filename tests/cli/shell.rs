//! What the binary gives the shell: completion scripts for every shell, the man page, and
//! help that offers each command only the options it takes.

use std::process::{Command as Process, Output, Stdio};

fn undelete(args: &[&str]) -> Output {
    Process::new(env!("CARGO_BIN_EXE_undelete"))
        .args(args)
        .env_remove("UNDELETE_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

const SUBCOMMANDS: [&str; 11] = [
    "list",
    "restore",
    "finish",
    "purge",
    "check",
    "login",
    "logout",
    "sandbox",
    "config",
    "completions",
    "man",
];

/// `word` stands alone in `text`: not inside a longer name such as `login-url` or `command`.
fn has_word(text: &str, word: &str) -> bool {
    let part = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

#[test]
fn completions_generate_for_every_shell_and_know_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&undelete(&["completions", shell]));
        for sub in SUBCOMMANDS {
            assert!(has_word(&script, sub), "{shell}: no {sub}");
        }
        for option in ["--tenant", "--email-to", "--port"] {
            // fish names a long option `-l tenant`; the others spell it out.
            let fish = format!("-l {}", option.trim_start_matches('-'));
            assert!(
                script.contains(option) || script.contains(&fish),
                "{shell}: no {option}"
            );
        }
    }
    // The bash script is bash: it parses.
    let script = stdout(&undelete(&["completions", "bash"]));
    if let Ok(check) = Process::new("bash")
        .args(["-n", "-c", &script])
        .stdin(Stdio::null())
        .output()
    {
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    let out = undelete(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_man_page_is_roff_and_covers_the_commands() {
    let page = stdout(&undelete(&["man"]));
    assert!(
        page.starts_with(".ie") || page.contains(".TH undelete 1"),
        "{page}"
    );
    assert!(
        page.contains(".SH NAME") && page.contains(".SH SYNOPSIS"),
        "{page}"
    );
    for sub in ["list", "restore", "sandbox", "config"] {
        // Its SUBCOMMANDS section names each as a page of its own.
        assert!(page.contains(&format!("undelete\\-{sub}(1)")), "no {sub}");
    }
    // Only this page is installed: every command's own options are in it, under its name.
    for heading in [".SH \"UNDELETE RESTORE\"", ".SH \"UNDELETE SANDBOX SERVE\""] {
        assert!(page.contains(heading), "no {heading}");
    }
    for option in [
        "\\-\\-email\\-to",
        "\\-\\-password",
        "\\-\\-hand\\-off",
        "\\-\\-new\\-upn",
        "\\-\\-expiring",
        "\\-\\-write\\-quota",
    ] {
        assert!(page.contains(option), "no {option}");
    }
    assert!(page.contains(".SH \"EXIT STATUS\""), "exit codes");
    assert!(page.contains("\\fB3\\fR"), "check's exit 3");
}

#[test]
fn sandbox_serve_offers_only_what_a_server_takes() {
    let help = stdout(&undelete(&["sandbox", "serve", "--help"]));
    for own in [
        "--port",
        "--users",
        "--fail-rate",
        "--data-dir",
        "--verbose",
    ] {
        assert!(help.contains(own), "{own} missing:\n{help}");
    }
    for foreign in [
        "--read-only",
        "--no-mouse",
        "--mail-from",
        "--tenant",
        "--client-id",
        "--graph-url",
        "--lock-wait",
        "--config",
    ] {
        // As a whole word: serve's own `--tenants` and `--refuse-tenant` are not `--tenant`.
        let offered = help
            .split(|c: char| c.is_whitespace() || c == ',')
            .any(|w| w == foreign);
        assert!(!offered, "{foreign} offered:\n{help}");
    }
    // And refused if given anyway.
    let out = undelete(&["sandbox", "serve", "--read-only"]);
    assert_eq!(out.status.code(), Some(2));

    // A command that talks to a directory takes them, under their own heading.
    let help = stdout(&undelete(&["list", "--help"]));
    assert!(help.contains("Directory and sign-in"), "{help}");
    for option in ["--tenant", "--mail-from", "--read-only", "--config"] {
        assert!(help.contains(option), "{option} missing:\n{help}");
    }
    assert!(!help.contains("--no-mouse"), "a TUI option:\n{help}");
    let help = stdout(&undelete(&["--help"]));
    assert!(
        help.contains("--no-mouse") && help.contains("--tenant"),
        "{help}"
    );
}
