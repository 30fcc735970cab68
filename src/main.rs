//! The binary: reads the command line (`cli`, the only place clap is used), turns it into the
//! library's settings once, and picks what to run.

mod cli;
#[cfg(test)]
mod cli_tests;
mod shell;

use std::process::ExitCode;

use cli::sandbox::SandboxCommand;
use cli::{Cli, Command, ConfigCommand};
use color_eyre::eyre::eyre;
use undelete::app::Start;
use undelete::auth::AuthError;
use undelete::auth::signin::AuthContext;
use undelete::config::Settings;
use undelete::logging::{LogGuard, LogOptions};
use undelete::session;

fn main() -> ExitCode {
    let (cli, matches) = cli::parse_from(std::env::args_os()).unwrap_or_else(|e| e.exit());
    if let Err(e) = color_eyre::install() {
        eprintln!("undelete: {e}");
    }
    // Nothing runs on settings that are not what the admin wrote: a bad settings file is a
    // usage error, like a bad flag.
    let settings = match cli.settings(&matches) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("undelete: {e}");
            return ExitCode::from(2);
        }
    };
    // A data dir others may write to could be turned against its owner (a link planted where
    // the journal goes): refused before anything, the log included, is written there.
    if uses_data_dir(&cli)
        && let Ok(dir) = settings.data_dir()
        && let Err(e) = undelete::data_dir::prepare(&dir)
    {
        eprintln!("undelete: the data dir cannot be used: {e}");
        return ExitCode::from(2);
    }
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
            ExitCode::from(
                e.downcast_ref::<AuthError>()
                    .map_or(1, AuthError::exit_code),
            )
        }
    }
}

async fn run(cli: Cli, settings: Settings) -> color_eyre::Result<u8> {
    if let Some(path) = &settings.ca_file
        && let Err(e) = undelete::trust::trust_ca_file(path)
    {
        eprintln!("undelete: {e}");
        return Ok(2);
    }
    match cli.command {
        None => run_tui(&settings).await,
        Some(Command::Login(_)) => undelete::auth::login::login(&settings).await,
        Some(Command::Logout(_)) => undelete::auth::login::logout(&settings).await,
        Some(Command::Config { command }) => config_command(command, &settings),
        Some(Command::Completions { shell }) => exit_code(shell::completions(shell)),
        Some(Command::Man) => exit_code(shell::man()),
        Some(Command::Sandbox { command }) => {
            let data_dir = settings.data_dir().map_err(|e| eyre!(e))?;
            // The top-level `--graph-url` (or its variable) names where clients reach Graph: serve
            // takes it as its public URL.
            let options = match command.options(cli.run.graph_url.as_deref()) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("undelete: {e}");
                    return Ok(2);
                }
            };
            exit_code(undelete_sandbox::run_command(options, &data_dir).await?)
        }
        // A tenant of the sandbox serving several, even alone, is opened with the others'
        // machinery (one in-process sandbox serving them); one tenant's output is as ever.
        Some(cmd) if !settings.more_tenants.is_empty() || settings.sandbox_tenant.is_some() => {
            match cmd.scripting_per_tenant(&settings) {
                Some(cmds) => exit_code(undelete::commands::tenants::run(cmds, &settings).await?),
                None => Err(eyre!("not a scripting command")),
            }
        }
        Some(cmd) => match cmd.scripting(&settings) {
            Some(cmd) => exit_code(undelete::commands::run(cmd, &settings).await?),
            None => Err(eyre!("not a scripting command")),
        },
    }
}

/// `undelete config path|init|show`.
fn config_command(command: ConfigCommand, settings: &Settings) -> color_eyre::Result<u8> {
    use undelete::config::file::{self, ConfigPath};
    let named = match &command {
        ConfigCommand::Path(f) | ConfigCommand::Init { file: f, .. } => f.path.clone(),
        ConfigCommand::Show(a) => a.run.config.path.clone(),
    };
    let path = match ConfigPath::locate(named) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("undelete: {e}");
            return Ok(2);
        }
    };
    match command {
        ConfigCommand::Path(_) => println!("{}", path.path().display()),
        ConfigCommand::Init { force, .. } => match file::init(path.path(), force) {
            Ok(true) => eprintln!(
                "Wrote {}: every key is commented out; edit it to set your defaults.",
                path.path().display()
            ),
            Ok(false) => eprintln!(
                "Kept {}: it already exists, and was left as it is (--force replaces it).",
                path.path().display()
            ),
            Err(e) => {
                eprintln!("undelete: {e}");
                return Ok(1);
            }
        },
        ConfigCommand::Show(_) => print!("{}", file::show(settings, &path)),
    }
    Ok(0)
}

/// The TUI: on the sandbox, or on a tenant, starting on the sign-in screen, which signs in
/// (app-only, a saved sign-in, or a device code) while it says so.
async fn run_tui(settings: &Settings) -> color_eyre::Result<u8> {
    let start = if !settings.more_tenants.is_empty() || settings.sandbox_tenant.is_some() {
        match tenants_start(settings).await? {
            Ok(start) => start,
            Err(code) => return Ok(code),
        }
    } else if settings.uses_sandbox() {
        Start::Session(session::open_with(settings, true).await?)
    } else {
        // Options that cannot work together are usage errors on the shell, before any screen.
        let auth = AuthContext::from_settings(settings)?;
        Start::SignIn {
            auth,
            settings: settings.clone(),
        }
    };
    match undelete::tui::run_tui(start).await? {
        // Left the sign-in without a session: the command did not do its job.
        Some(exit) => {
            eprintln!("{}", exit.message);
            Ok(exit.code)
        }
        None => Ok(0),
    }
}

/// The start of a run on several tenants (or on one tenant of the sandbox serving several):
/// every tenant opened, 8 at a time, before the screen; one that cannot be is shown with why
/// in the tenants pane. None opened for want of a delegated sign-in: the sign-in screen at the
/// partner's home, which opens them all once signed in. `Err(1)` when none could be
/// otherwise, each named with why on stderr.
async fn tenants_start(settings: &Settings) -> color_eyre::Result<Result<Start, u8>> {
    let tenants = session::open_tenants(settings, true).await?;
    // Nothing opened for want of a sign-in, and the admin signs in: the sign-in screen, at the
    // partner's home; the tenants open once it has signed in. Outside a terminal there is no
    // screen to show a code on: each tenant is named with why instead.
    if tenants.iter().all(|t| t.session.is_err())
        && tenants.iter().any(|t| t.needs_sign_in)
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
        && let Some(home) = undelete::config::tenants::home(settings)
    {
        let auth = AuthContext::from_settings(&home)?;
        if *auth.method() == undelete::auth::signin::Method::Delegated {
            return Ok(Ok(Start::SignIn {
                auth,
                settings: settings.clone(),
            }));
        }
    }
    let (open, unopened) = undelete::app::sessions::Unopened::split(tenants);
    if open.is_empty() {
        eprintln!("undelete: no tenant could be opened:");
        for u in &unopened {
            eprintln!("  {}: {}", u.label, u.why);
        }
        return Ok(Err(1));
    }
    Ok(Ok(Start::Tenants { open, unopened }))
}

/// Printing a script, a page or a path needs no data dir.
fn uses_data_dir(cli: &Cli) -> bool {
    !matches!(
        &cli.command,
        Some(Command::Completions { .. } | Command::Man | Command::Config { .. })
    )
}

/// The log file, and stderr too for `sandbox serve` (whose requests an admin watches). A run
/// whose data dir cannot be found still runs: the command says why when it needs the dir.
fn start_logging(cli: &Cli, settings: &Settings) -> Option<LogGuard> {
    // Printing a script, a page or a path is not a run worth a log (nor a data dir).
    if !uses_data_dir(cli) {
        return None;
    }
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
