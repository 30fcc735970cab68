use std::process::ExitCode;

use clap::Parser;
use undelete::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = color_eyre::install() {
        eprintln!("undelete: {e}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("undelete: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("undelete: {e:?}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> color_eyre::Result<u8> {
    match cli.command {
        None => not_built("the TUI", 4),
        Some(Command::Login | Command::Logout) => not_built("sign-in to real tenants", 5),
        Some(Command::Sandbox { .. }) => not_built("the sandbox", 2),
        Some(Command::List(_) | Command::Restore(_) | Command::Purge(_) | Command::Check(_)) => {
            not_built("the scripting commands", 3)
        }
    }
}

/// Said plainly, so nobody mistakes a missing feature for a silent success.
fn not_built(what: &str, issue: u32) -> color_eyre::Result<u8> {
    eprintln!("undelete: {what} is not built yet (issue {issue})");
    Ok(1)
}
