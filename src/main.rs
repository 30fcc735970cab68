//! The binary: reads the command line (`cli`, the only place clap is used), turns it into the
//! library's settings once, and picks what to run.

mod cli;
#[cfg(test)]
mod cli_tests;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command, SandboxCommand};
use color_eyre::eyre::eyre;
use undelete::app::Start;
use undelete::auth::AuthError;
use undelete::auth::signin::AuthContext;
use undelete::config::Settings;
use undelete::logging::{LogGuard, LogOptions};
use undelete::session;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = color_eyre::install() {
        eprintln!("undelete: {e}");
    }
    let settings = cli.global.settings();
    // Declared before the runtime so it is dropped after it: every queued line is written.
    let _log = start_logging(&cli, &settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("undelete: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli, settings)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // An error is something the admin can act on: its chain of causes on one line, not
            // a debug report (panics still get color-eyre's full report).
            eprintln!("undelete: {e:#}");
            // Options that cannot work together (a secret and a certificate, plain http to a
            // remote host) are usage errors: exit 2, as the contract says, on every command.
            let usage = matches!(e.downcast_ref::<AuthError>(), Some(AuthError::Config(_)));
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

async fn run(cli: Cli, settings: Settings) -> color_eyre::Result<u8> {
    if let Some(path) = &cli.global.ca_file
        && let Err(e) = undelete::trust::trust_ca_file(path)
    {
        eprintln!("undelete: {e}");
        return Ok(2);
    }
    match cli.command {
        None => run_tui(&settings).await,
        Some(Command::Login) => undelete::auth::login::login(&settings).await,
        Some(Command::Logout) => undelete::auth::login::logout(&settings).await,
        Some(Command::Sandbox { command }) => {
            let data_dir = settings.data_dir().map_err(|e| eyre!(e))?;
            let options = match command.options(settings.graph_url.as_deref()) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("undelete: {e}");
                    return Ok(2);
                }
            };
            exit_code(undelete::sandbox::run_command(options, &data_dir).await?)
        }
        Some(cmd) => match cmd.scripting() {
            Some(cmd) => exit_code(undelete::commands::run(cmd, &settings).await?),
            None => Err(eyre!("not a scripting command")),
        },
    }
}

/// The TUI: on the sandbox, or on a tenant, starting on the device-code sign-in screen when no
/// cached sign-in works.
async fn run_tui(settings: &Settings) -> color_eyre::Result<u8> {
    let start = if settings.uses_sandbox() {
        Start::Session(session::open_with(settings, true).await?)
    } else {
        let auth = AuthContext::from_settings(settings)?;
        match auth.resolve().await? {
            Some(signed_in) => Start::Session(session::signed_in_session(
                settings, &auth, signed_in, true,
            )?),
            None => Start::SignIn {
                auth,
                settings: settings.clone(),
            },
        }
    };
    // Giving up on the sign-in screen is not an error: nothing was changed.
    undelete::tui::run_tui(start).await?;
    Ok(0)
}

/// The log file, and stderr too for `sandbox serve` (whose requests an admin watches). A run
/// whose data dir cannot be found still runs: the command says why when it needs the dir.
fn start_logging(cli: &Cli, settings: &Settings) -> Option<LogGuard> {
    let serve = matches!(
        &cli.command,
        Some(Command::Sandbox {
            command: SandboxCommand::Serve(_)
        })
    );
    let data_dir = settings.data_dir().ok()?;
    let options = LogOptions::from_env(cli.global.verbose, serve);
    let (guard, problem) = undelete::logging::init(&data_dir, &options);
    if let Some(problem) = problem {
        eprintln!("undelete: {problem}");
    }
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "undelete started");
    Some(guard)
}

fn exit_code(code: i32) -> color_eyre::Result<u8> {
    Ok(u8::try_from(code).unwrap_or(1))
}
