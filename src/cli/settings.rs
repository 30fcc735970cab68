//! From what clap parsed to the library's plain values, once: the run's `Settings` (flags
//! over the settings file over the defaults, the command's own flags over those before its
//! name) and the scripting commands' arguments.

use clap::ArgMatches;
use clap::parser::ValueSource;
use undelete::commands::args as plain;
use undelete::config::file::ConfigPath;
use undelete::config::{self, FileSettings, Settings};

use std::time::Duration;

use super::{
    Cli, Cloud, Command, ConfigCommand, ConfigFileArg, HandOff, OutputFormat, PasswordSource,
    RunArgs, SortKey, With,
};

/// The matches of the command that runs: the innermost subcommand's, or the top level's.
fn leaf(matches: &ArgMatches) -> &ArgMatches {
    match matches.subcommand() {
        Some((_, sub)) => leaf(sub),
        None => matches,
    }
}

fn given(matches: &ArgMatches, id: &str) -> Option<ValueSource> {
    matches
        .try_get_raw(id)
        .ok()
        .flatten()
        .and(matches.value_source(id))
        .filter(|s| *s != ValueSource::DefaultValue)
}

impl Cli {
    /// The directory and sign-in options of this run: the command's own (after its name) win
    /// over those before it, which win over the environment. `None` for commands that talk to
    /// no directory.
    pub fn run_args(&self, matches: &ArgMatches) -> Option<RunArgs> {
        let Some(sub) = self.command.as_ref() else {
            return Some(self.run.clone());
        };
        let own = sub.run_args()?;
        let m = leaf(matches);
        let top = &self.run;
        let flag = |id: &str| given(m, id) == Some(ValueSource::CommandLine);
        macro_rules! pick {
            ($f:ident) => {
                if flag(stringify!($f)) {
                    own.$f.clone()
                } else {
                    top.$f.clone().or(own.$f.clone())
                }
            };
        }
        macro_rules! either {
            ($f:ident) => {
                if flag(stringify!($f)) {
                    own.$f
                } else {
                    top.$f || own.$f
                }
            };
        }
        Some(RunArgs {
            sandbox: either!(sandbox),
            tenant: if flag("tenant") || top.tenant.is_empty() {
                own.tenant.clone()
            } else {
                top.tenant.clone()
            },
            all_tenants: either!(all_tenants),
            client_id: pick!(client_id),
            certificate: pick!(certificate),
            cloud: pick!(cloud),
            graph_url: pick!(graph_url),
            login_url: pick!(login_url),
            deadline: pick!(deadline),
            mail_from: pick!(mail_from),
            ca_file: pick!(ca_file),
            read_only: either!(read_only),
            lock_wait: pick!(lock_wait),
            no_cache: either!(no_cache),
            config: ConfigFileArg {
                path: if flag("path") {
                    own.config.path.clone()
                } else {
                    top.config.path.clone().or(own.config.path.clone())
                },
            },
        })
    }

    /// The settings from flags and environment alone, without any settings file (tests, and
    /// the commands that need none).
    pub fn flag_settings(&self, matches: &ArgMatches) -> Settings {
        let run = self.run_args(matches).unwrap_or_default();
        let layer = self.flag_layer(&run, matches);
        self.base_settings(&run).with_layers(layer)
    }

    /// The run's settings: flags over environment over the settings file over defaults. The
    /// file is read only by commands that use what it holds, so a broken one never stands in
    /// the way of `config init --force`, `completions` or the sandbox.
    pub fn settings(&self, matches: &ArgMatches) -> Result<Settings, String> {
        let Some(run) = self.run_args(matches) else {
            return Ok(self.flag_settings(matches));
        };
        let file = ConfigPath::locate(run.config.path.clone())?.load()?;
        let asked = config::tenants::Asked {
            tenants: run.tenant.clone(),
            all: run.all_tenants,
            sandbox: run.sandbox,
        };
        config::tenants::resolve(
            self.base_settings(&run),
            self.flag_layer(&run, matches),
            file,
            &asked,
        )
    }

    /// What the flags and the environment say about the settings a file may hold too.
    fn flag_layer(&self, run: &RunArgs, matches: &ArgMatches) -> FileSettings {
        FileSettings {
            // Several tenants are laid on one at a time (`config::tenants`).
            tenant: run.tenant.first().cloned(),
            client_id: run.client_id.clone(),
            certificate: run.certificate.clone(),
            cloud: run.cloud.map(Into::into),
            graph_url: run.graph_url.clone(),
            login_url: run.login_url.clone(),
            mail_from: run.mail_from.clone(),
            email_to: match &self.command {
                Some(Command::Restore(a)) => a.email_to.clone(),
                _ => None,
            },
            include_password: self.include_password(leaf(matches)),
            theme: self
                .tui
                .theme
                .map(|t| config::Theme::from(t).name().to_string()),
            cache: run.no_cache.then_some(false),
            // Only the settings file lists tenants and the partner's home.
            partner_tenant: None,
            tenants: Vec::new(),
        }
    }

    /// `--no-password-in-email` / `--password-in-email` (or their variables) of `restore`
    /// and `finish`; a flag wins over a variable, and "no" over "yes".
    fn include_password(&self, m: &ArgMatches) -> Option<bool> {
        let (no, yes) = match &self.command {
            Some(Command::Restore(a)) => (a.no_password_in_email, a.password_in_email),
            Some(Command::Finish(a)) => (a.no_password_in_email, a.password_in_email),
            _ => return None,
        };
        let no_src = given(m, "no_password_in_email");
        let yes_src = given(m, "password_in_email");
        for source in [ValueSource::CommandLine, ValueSource::EnvVariable] {
            if no_src == Some(source) {
                return Some(!no);
            }
            if yes_src == Some(source) {
                return Some(yes);
            }
        }
        None
    }

    fn base_settings(&self, run: &RunArgs) -> Settings {
        Settings {
            sandbox: run.sandbox,
            deadline: run.deadline,
            data_dir: self.global.data_dir.clone(),
            read_only: run.read_only,
            ca_file: run.ca_file.clone(),
            lock_wait: run
                .lock_wait
                .map_or(config::DEFAULT_LOCK_WAIT, Duration::from_secs),
            no_mouse: self.tui.no_mouse,
            ..Settings::default()
        }
    }
}

impl From<Cloud> for undelete_common::cloud::Cloud {
    fn from(c: Cloud) -> Self {
        match c {
            Cloud::Global => Self::Global,
            Cloud::Usgov => Self::Usgov,
            Cloud::UsgovDod => Self::UsgovDod,
            Cloud::China => Self::China,
        }
    }
}

impl Command {
    /// This command's directory and sign-in options; `None` for those that use none.
    pub fn run_args(&self) -> Option<&RunArgs> {
        Some(match self {
            Command::List(a) => &a.run,
            Command::Restore(a) => &a.run,
            Command::Finish(a) => &a.run,
            Command::Purge(a) => &a.run,
            Command::Check(a) => &a.run,
            Command::Login(a) | Command::Logout(a) => &a.run,
            Command::Config {
                command: ConfigCommand::Show(a),
            } => &a.run,
            Command::Config {
                command: ConfigCommand::Path(_) | ConfigCommand::Init { .. },
            }
            | Command::Sandbox { .. }
            | Command::Completions { .. }
            | Command::Man => return None,
        })
    }

    /// The scripting command once per tenant of the run (`settings.tenants()`, in order),
    /// each with that tenant's own defaults; `None` for the commands that have their own
    /// modules.
    pub fn scripting_per_tenant(self, settings: &Settings) -> Option<Vec<plain::Command>> {
        let again = |c: &Command| match c {
            Command::List(a) => Some(Command::List(a.clone())),
            Command::Restore(a) => Some(Command::Restore(a.clone())),
            Command::Finish(a) => Some(Command::Finish(a.clone())),
            Command::Purge(a) => Some(Command::Purge(a.clone())),
            Command::Check(a) => Some(Command::Check(a.clone())),
            _ => None,
        };
        settings
            .tenants()
            .into_iter()
            .map(|t| again(&self)?.scripting(t))
            .collect()
    }

    /// The scripting command this is, for `undelete::commands`, with the defaults `settings`
    /// hold (the sign-in info's recipients, whether it includes the password); `None` for the
    /// commands that have their own modules.
    pub fn scripting(self, settings: &Settings) -> Option<plain::Command> {
        Some(match self {
            Command::List(a) => plain::Command::List(plain::ListArgs {
                format: a.format.into(),
                filter: a.filter,
                sort: a.sort.into(),
                conflicts: a.conflicts,
                with: plain::Enrichments {
                    conflicts: a
                        .with
                        .iter()
                        .any(|w| matches!(w, With::Conflicts | With::All)),
                    deleted_by: a
                        .with
                        .iter()
                        .any(|w| matches!(w, With::DeletedBy | With::All)),
                },
                max_age: a.max_age,
            }),
            Command::Restore(a) => plain::Command::Restore(plain::RestoreArgs {
                targets: a.targets,
                password: a.password.into(),
                no_require_change: a.no_require_change,
                email_to: a.email_to.or_else(|| settings.email_to.clone()),
                no_password_in_email: !settings.include_password,
                new_upn: a.new_upn,
                reconcile_proxies: a.reconcile_proxies,
                dry_run: a.dry_run,
                resend: a.resend,
                tap: (a.hand_off == HandOff::Tap).then_some(plain::TapArgs {
                    lifetime: a.tap_lifetime,
                    once: a.tap_once,
                }),
                tap_terms_without_tap: a.hand_off != HandOff::Tap
                    && (a.tap_lifetime.is_some() || a.tap_once),
                bring_back: a
                    .bring_back
                    .as_deref()
                    .and_then(|k| undelete::directory::bring_back::parse_kinds(k).ok())
                    .unwrap_or_default(),
            }),
            Command::Finish(a) => plain::Command::Finish(plain::FinishArgs {
                password: a.password.into(),
                email_to: a.email_to,
                no_password_in_email: !settings.include_password,
                resend: a.resend,
                adopt_earlier: a.adopt_earlier,
                mark_sent: a.mark_sent,
            }),
            Command::Purge(a) => plain::Command::Purge(plain::PurgeArgs {
                targets: a.targets,
                yes: a.yes,
            }),
            Command::Check(a) => plain::Command::Check(plain::CheckArgs {
                expiring: a.expiring,
                format: a.format.into(),
            }),
            Command::Login(_)
            | Command::Logout(_)
            | Command::Sandbox { .. }
            | Command::Config { .. }
            | Command::Completions { .. }
            | Command::Man => return None,
        })
    }
}

impl From<OutputFormat> for plain::OutputFormat {
    fn from(f: OutputFormat) -> Self {
        match f {
            OutputFormat::Table => Self::Table,
            OutputFormat::Json => Self::Json,
            OutputFormat::Csv => Self::Csv,
        }
    }
}

impl From<SortKey> for plain::SortKey {
    fn from(k: SortKey) -> Self {
        match k {
            SortKey::Deleted => Self::Deleted,
            SortKey::Name => Self::Name,
            SortKey::Upn => Self::UserName,
            SortKey::Expires => Self::DaysLeft,
            SortKey::Department => Self::Department,
        }
    }
}

impl From<PasswordSource> for plain::PasswordSource {
    fn from(p: PasswordSource) -> Self {
        match p {
            PasswordSource::Auto => Self::Auto,
            PasswordSource::Prompt => Self::Prompt,
            PasswordSource::Stdin => Self::Stdin,
        }
    }
}
