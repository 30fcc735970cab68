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
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut out) {
        eprintln!("undelete: cannot render the man page: {e}");
        return 1;
    }
    write_stdout(&out)
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
