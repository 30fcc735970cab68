use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::eyre;
use undelete::auth::oauth::AuthError;
use undelete::auth::signin::AuthContext;
use undelete::cli::{Cli, Command, GlobalArgs};
use undelete::session;
use undelete::tui::sign_in::sign_in_screen;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = color_eyre::install() {
        eprintln!("undelete: {e}");
    }
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
    match runtime.block_on(run(cli)) {
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

async fn run(cli: Cli) -> color_eyre::Result<u8> {
    let global = cli.global;
    match cli.command {
        None => run_tui(&global).await,
        Some(Command::Login) => undelete::auth::login::login(&global).await,
        Some(Command::Logout) => undelete::auth::login::logout(&global).await,
        Some(Command::Sandbox { command }) => {
            let data_dir = undelete::config::data_dir(&global).map_err(|e| eyre!(e))?;
            exit_code(undelete::sandbox::run_command(command, &data_dir).await?)
        }
        Some(cmd) => exit_code(undelete::commands::run(cmd, &global).await?),
    }
}

/// The TUI: on the sandbox, or on a tenant, signing in on the device-code screen when no
/// cached sign-in works.
async fn run_tui(global: &GlobalArgs) -> color_eyre::Result<u8> {
    let opts = undelete::app::TuiOptions {
        read_only: global.read_only,
        no_mouse: global.no_mouse,
        no_color: false,
        cloud: Some(global.cloud),
    };
    let session = if session::wants_sandbox(global) {
        session::open_with(global, true).await?
    } else {
        let auth = AuthContext::from_args(global)?;
        let signed_in = match auth.resolve().await? {
            Some(signed_in) => signed_in,
            None => match sign_in_screen(&auth, auth.tenant(), &opts).await? {
                Some(signed_in) => signed_in,
                // The admin gave up on signing in: nothing was changed.
                None => return Ok(0),
            },
        };
        session::signed_in_session(global, &auth, signed_in, true)?
    };
    undelete::tui::run_tui(session, opts).await?;
    Ok(0)
}

fn exit_code(code: i32) -> color_eyre::Result<u8> {
    Ok(u8::try_from(code).unwrap_or(1))
}
