use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::eyre;
use undelete::cli::{Cli, Command};

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
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> color_eyre::Result<u8> {
    let global = cli.global;
    match cli.command {
        None => {
            let session = undelete::session::open_with(&global, true).await?;
            let ctx = undelete::app::TuiContext {
                directory: session.directory.clone(),
                label: session.label.clone(),
                is_sandbox: session.is_sandbox,
                account: session.account.clone(),
                mail_sender: session.mail_sender.clone(),
                data_dir: session.data_dir.clone(),
                requests: session.requests,
            };
            let opts = undelete::app::TuiOptions {
                read_only: global.read_only,
                no_mouse: global.no_mouse,
                no_color: false,
                cloud: Some(global.cloud),
            };
            undelete::app::run_tui_context(ctx, opts).await?;
            // The sandbox (if any) stops only after the terminal is restored.
            drop(session.sandbox);
            Ok(0)
        }
        Some(Command::Login) => undelete::auth::login::login(&global).await,
        Some(Command::Logout) => undelete::auth::login::logout(&global).await,
        Some(Command::Sandbox { command }) => {
            let data_dir = undelete::config::data_dir(&global).map_err(|e| eyre!(e))?;
            exit_code(undelete::sandbox::run_command(command, &data_dir).await?)
        }
        Some(cmd) => exit_code(undelete::commands::run(cmd, &global).await?),
    }
}

fn exit_code(code: i32) -> color_eyre::Result<u8> {
    Ok(u8::try_from(code).unwrap_or(1))
}
