//! What the binary gives the shell and `man`: completion scripts (`undelete completions`)
//! and the man page (`undelete man`), both generated from the clap definitions in `cli`, so
//! they cannot drift from the real options.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Writes the completion script for `shell` to stdout; returns the exit code.
pub fn completions(shell: Shell) -> i32 {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "undelete", &mut out);
    write_stdout(&out)
}

/// Writes the man page (roff) of `undelete` to stdout; returns the exit code.
pub fn man() -> i32 {
    match man_page() {
        Ok(out) => write_stdout(&out),
        Err(e) => {
            eprintln!("undelete: cannot render the man page: {e}");
            1
        }
    }
}

/// What the exit codes mean, for the man page's EXIT STATUS.
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "done"),
    (
        "1",
        "some operation failed, or the sign-in was cancelled or failed: the command did not do \
         its job",
    ),
    (
        "2",
        "usage error: a bad flag, a bad settings file, options that cannot work together",
    ),
    (
        "3",
        "check: deleted users will be purged within the days asked",
    ),
    (
        "130",
        "the TUI: Ctrl-C left passwords or passes unsent (143 after SIGTERM)",
    ),
];

/// One page for the whole program: its own sections, then every command's synopsis,
/// description and options (`restore --email-to`, `--hand-off`, …) under a heading of its
/// own, since only this page is installed, then the exit codes.
fn man_page() -> std::io::Result<Vec<u8>> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    // Depth first, in the order clap lists them: a stack popped from its end.
    let reversed = |c: &clap::Command| {
        let mut subs: Vec<clap::Command> = c.get_subcommands().cloned().collect();
        subs.reverse();
        subs
    };
    let mut stack = reversed(&cmd);
    while let Some(sub) = stack.pop() {
        if sub.get_name() == "help" || sub.is_hide_set() {
            continue;
        }
        let page = clap_mangen::Man::new(sub.clone());
        let title = sub.get_bin_name().unwrap_or(sub.get_name()).to_uppercase();
        writeln!(out, ".SH \"{}\"", roff_text(&title))?;
        let mut own = Vec::new();
        page.render_synopsis_section(&mut own)?;
        page.render_description_section(&mut own)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            page.render_options_section(&mut own)?;
        }
        // Its sections become subsections of the command's heading.
        for line in String::from_utf8_lossy(&own).lines() {
            match line.strip_prefix(".SH ") {
                Some(heading) => writeln!(out, ".SS {heading}")?,
                None => writeln!(out, "{line}")?,
            }
        }
        stack.extend(reversed(&sub));
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in EXIT_STATUS {
        writeln!(out, ".TP\n\\fB{code}\\fR\n{}", roff_text(meaning))?;
    }
    Ok(out)
}

/// `s` safe as roff text: a leading dot or quote would be read as a request, a backslash as
/// an escape, and a hyphen as a hyphen rather than a minus.
fn roff_text(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

fn write_stdout(bytes: &[u8]) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => 0,
        // `undelete man | head` closing the pipe early is not a failure worth a word.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("undelete: cannot write to stdout: {e}");
            1
        }
    }
}
