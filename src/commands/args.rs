//! What each scripting command is asked to do, as plain values. The binary's command line
//! (`cli.rs`, clap) fills them in; tests build them directly.

/// The sort keys are the table's: one order for every front end.
pub use crate::query::SortKey;

/// The scripting commands (`login`, `logout` and `sandbox` are run by their own modules).
#[derive(Debug, Clone)]
pub enum Command {
    List(ListArgs),
    Restore(RestoreArgs),
    Finish(FinishArgs),
    Purge(PurgeArgs),
    Check(CheckArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Default)]
pub struct ListArgs {
    pub format: OutputFormat,
    /// Keep users whose name, user name, mail or department contains this (case-insensitive).
    pub filter: Option<String>,
    pub sort: SortKey,
    /// Keep only users whose name or an address is held by someone else (the conflict sweep);
    /// implies `with.conflicts`.
    pub conflicts: bool,
    /// What is read beside the deleted users (`--with`): nothing by default.
    pub with: Enrichments,
    /// How old a kept conflict index or deletion log may be and still be used without a read.
    pub max_age: std::time::Duration,
}

/// `list --with conflicts|deleted-by|all`: the reads that enrich each user, opt-in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Enrichments {
    /// What holds each user's name and addresses now (`conflicts` in JSON).
    pub conflicts: bool,
    /// Who deleted each user, from the audit log (`deletedBy` in JSON).
    pub deleted_by: bool,
}

/// `--max-age` of `list`: a kept sweep younger than this is used as it is.
pub const DEFAULT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Where the new passwords come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordSource {
    /// Generate a strong password per user.
    #[default]
    Auto,
    /// Ask on the terminal (hidden input).
    Prompt,
    /// Read one password from the first line of standard input.
    Stdin,
}

#[derive(Debug, Clone, Default)]
pub struct RestoreArgs {
    /// Object ids or user names (original or id-prefixed).
    pub targets: Vec<String>,
    pub password: PasswordSource,
    /// Do not require a password change at first sign-in.
    pub no_require_change: bool,
    /// Email the sign-in info to these addresses (separated by ',' or ';').
    pub email_to: Option<String>,
    /// Leave the password out of the email.
    pub no_password_in_email: bool,
    /// Restore under this user name (only with a single target).
    pub new_upn: Option<String>,
    /// Drop proxy addresses now held by another object.
    pub reconcile_proxies: bool,
    /// Check and report what would happen; change nothing.
    pub dry_run: bool,
    /// Also finish users whose sign-in mail may already have gone out.
    pub resend: bool,
    /// Hand over a Temporary Access Pass instead of a password.
    pub tap: Option<TapArgs>,
    /// `--tap-lifetime` or `--tap-once` given with a password hand-off: refused, not ignored.
    pub tap_terms_without_tap: bool,
    /// What offboarding took to give back after the restore (`--bring-back`); empty: nothing.
    pub bring_back: Vec<crate::directory::bring_back::Kind>,
}

/// `--hand-off tap`: the pass's terms, `None` for the tenant policy's defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct TapArgs {
    pub lifetime: Option<u32>,
    pub once: bool,
}

#[derive(Debug, Clone, Default)]
pub struct FinishArgs {
    pub password: PasswordSource,
    /// Email the sign-in info to these addresses instead of those the restore named.
    pub email_to: Option<String>,
    pub no_password_in_email: bool,
    /// Also finish users whose sign-in mail may already have gone out.
    pub resend: bool,
    /// Take the earlier version's unfinished restores into this directory's journal first.
    pub adopt_earlier: bool,
    /// Only close these users (ids or user names) as mailed: the admin found their sign-in
    /// mail in the inbox.
    pub mark_sent: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PurgeArgs {
    pub targets: Vec<String>,
    /// Do not ask for confirmation (required without a terminal).
    pub yes: bool,
}

#[derive(Debug, Clone, Default)]
pub struct CheckArgs {
    /// Report users that will be purged within this many days.
    pub expiring: u32,
    pub format: OutputFormat,
}
