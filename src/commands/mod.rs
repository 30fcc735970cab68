//! The scripting commands of DESIGN.md section 3: `list`, `restore`, `purge`, `check`.
//!
//! Each command is a function over a `Context` (the directory and where the journal and audit
//! log live) and an `Io` (the three standard streams and what is a terminal), so tests drive
//! them with buffers. Output to a pipe has no colors and no progress; progress goes to stderr
//! on a terminal.

pub mod args;
mod deliver;
pub mod finish;
pub mod format;
mod in_order;
mod known;
mod lines;
pub mod list;
mod password;
pub mod prompt;
pub mod purge;
pub mod resolve;
pub mod restore;
pub mod tenants;

use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::config::Settings;
use crate::directory::{Directory, DirectoryError};
use crate::restore::Held;
use crate::session::Session;
pub use args::Command;

pub const EXIT_OK: i32 = 0;
/// Some operation failed.
pub const EXIT_FAILED: i32 = 1;
/// The command line or the input was wrong; nothing was changed.
pub const EXIT_USAGE: i32 = 2;
/// `check --expiring`: some users will be purged soon.
pub const EXIT_EXPIRING: i32 = 3;

/// A read command (`list`, `check`) ends by then whatever the server does, unless `--deadline`
/// says otherwise: a cron job must not hang on a directory that stopped answering.
pub const READ_DEADLINE: std::time::Duration = std::time::Duration::from_secs(180);

/// What the commands work on: the session (the directory, who we are in it, the data dir
/// with the journal and the audit log, and the run's settings), the same `Arc<Session>` the
/// TUI works in.
pub struct Context {
    pub session: Arc<Session>,
    /// How long `list` and `check` may take (`--deadline`, or `READ_DEADLINE`).
    pub read_deadline: Duration,
    /// When the command started: `--deadline` counts from here, sign-in and pre-flight
    /// included, not from when the restores begin.
    pub started: Instant,
}

impl Context {
    /// A context for a command starting now.
    pub fn new(session: Arc<Session>) -> Self {
        Self::started_at(session, Instant::now())
    }

    pub fn started_at(session: Arc<Session>, started: Instant) -> Self {
        Self {
            read_deadline: session.settings.deadline.unwrap_or(READ_DEADLINE),
            session,
            started,
        }
    }

    /// The session's directory on this command's clock: every call of the command, its
    /// retries and bulk restores included, ends by the one deadline.
    pub fn directory(&self) -> Arc<dyn Directory> {
        self.session.directory.on_clock(self.started)
    }
}

/// Which standard streams are terminals, and whether colors are wanted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    /// `NO_COLOR` is set (https://no-color.org).
    pub no_color: bool,
}

impl Terminal {
    pub fn detect() -> Self {
        Self {
            stdin: io::stdin().is_terminal(),
            stdout: io::stdout().is_terminal(),
            stderr: io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }

    /// Colors on stdout only when it is a terminal and NO_COLOR is unset.
    pub fn color_out(&self) -> bool {
        self.stdout && !self.no_color
    }
}

/// The standard streams of a command.
/// The process's standard streams, locked for a command's run (stdout buffered).
pub struct StdStreams {
    out: io::BufWriter<io::StdoutLock<'static>>,
    err: io::Stderr,
    input: io::StdinLock<'static>,
}

impl StdStreams {
    pub fn lock() -> Self {
        Self {
            out: io::BufWriter::new(io::stdout().lock()),
            err: io::stderr(),
            input: io::stdin().lock(),
        }
    }

    /// The command's view of them.
    pub fn io(&mut self) -> Io<'_> {
        Io {
            out: &mut self.out,
            err: &mut self.err,
            input: &mut self.input,
            term: Terminal::detect(),
        }
    }
}

pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub input: &'a mut dyn BufRead,
    pub term: Terminal,
}

impl Io<'_> {
    /// Clears a progress line left on a terminal's stderr.
    fn end_progress(&mut self) {
        if self.term.stderr {
            let _ = write!(self.err, "\r\x1b[K");
            let _ = self.err.flush();
        }
    }
}

/// Runs a scripting command against the directory the settings name, on the real standard
/// streams. Returns the exit code.
pub async fn run(cmd: Command, settings: &Settings) -> color_eyre::Result<i32> {
    let started = Instant::now();
    let ctx = Context::started_at(crate::session::open(settings).await?, started);
    let mut std = StdStreams::lock();
    let mut io = std.io();
    let waits = ctx
        .session
        .directory
        .wait_notices()
        .map(|rx| tokio::spawn(print_waits(rx, io.term.stderr)));
    let code = run_with(cmd, &ctx, &mut io).await;
    if let Some(task) = waits {
        task.abort();
    }
    // The session (and an in-process sandbox) lives until the command is done.
    drop(ctx);
    code
}

/// One plain line on stderr per wait over a few seconds (DESIGN.md 6: no wait is silent), on
/// a pipe too, so a log of the run says where its time went. On a terminal the line first
/// clears a progress line it would otherwise be glued to.
async fn print_waits(
    mut rx: tokio::sync::broadcast::Receiver<crate::directory::WaitNotice>,
    terminal: bool,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match rx.recv().await {
            Ok(notice) => {
                let clear = if terminal { "\r\x1b[K" } else { "" };
                let mut err = io::stderr().lock();
                let _ = writeln!(err, "{clear}undelete: {notice}");
                let _ = err.flush();
            }
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        }
    }
}

/// Runs `cmd` with the given context and streams. A directory error is reported on stderr with
/// what to do about it, and gives exit code 1.
pub async fn run_with(cmd: Command, ctx: &Context, io: &mut Io<'_>) -> color_eyre::Result<i32> {
    let clocked = ctx.directory();
    let dir = clocked.as_ref();
    if matches!(cmd, Command::List(_) | Command::Check(_)) {
        note_unfinished(ctx, io, &[], false)?;
    }
    let result = match &cmd {
        Command::List(args) => {
            let books = ctx.session.books();
            let kept = list::KeptSweep {
                books: &books,
                cache: ctx.session.settings.cache,
            };
            within(
                ctx.read_deadline,
                list::list(dir, args, &kept, Utc::now(), io),
            )
            .await
        }
        Command::Check(args) => {
            within(ctx.read_deadline, list::check(dir, args, Utc::now(), io)).await
        }
        Command::Restore(args) => restore::restore(ctx, args, io).await,
        Command::Finish(args) => finish::finish(ctx, args, io).await,
        Command::Purge(args) => {
            if ctx.session.settings.read_only {
                writeln!(
                    io.err,
                    "undelete purge: read-only mode: nothing may be changed"
                )?;
                return Ok(EXIT_USAGE);
            }
            // A purge of a user another run is restoring would leave that run's journal
            // pointing at nothing; one owner at a time.
            let _lock = match lock_data_dir(ctx, io, "purge").await? {
                Ok(lock) => lock,
                Err(code) => return Ok(code),
            };
            ctx.session
                .lock_slot()
                .set_doing(crate::restore::Doing::Purging, Some(args.targets.len()));
            note_unfinished(ctx, io, &[], true)?;
            let audit = ctx.session.audit()?;
            purge::purge(dir, args, &audit, io).await
        }
    };
    match result {
        Err(report) => {
            if let Some(e) = report.downcast_ref::<DirectoryError>() {
                writeln!(io.err, "error: {e}")?;
                writeln!(io.err, "what to do: {}", e.advice())?;
                return Ok(EXIT_FAILED);
            }
            // `undelete list | head` closes the pipe early on purpose: not an error to report.
            if report
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return Ok(EXIT_OK);
            }
            Err(report)
        }
        ok => ok,
    }
}

/// Runs a read command, ending it with a directory error when it outlasts `deadline`. Reads
/// change nothing, so stopping one midway loses nothing.
async fn within<T>(
    deadline: std::time::Duration,
    read: impl std::future::Future<Output = color_eyre::Result<T>>,
) -> color_eyre::Result<T> {
    match tokio::time::timeout(deadline, read).await {
        Ok(result) => result,
        Err(_) => Err(DirectoryError::network(format!(
            "the directory did not finish answering within {} (--deadline)",
            crate::directory::retry::human(deadline)
        ))
        .into()),
    }
}

/// Takes the directory for a command that changes it, waiting up to
/// `ctx.session.settings.lock_wait` for another run to end (and saying so at once). The lock
/// stays in the session (its journal and audit log check it before each change) until the
/// returned `Held` is dropped. `Err(exit code)` when it is still held then: the command
/// changes nothing. A lock taken over from a run that died is said on stderr (and noted in the
/// journal by the lock).
pub(crate) async fn lock_data_dir(
    ctx: &Context,
    io: &mut Io<'_>,
    command: &str,
) -> color_eyre::Result<Result<Held, i32>> {
    let secs = ctx.session.settings.lock_wait.as_secs_f64();
    let err = &mut *io.err;
    let acquired = ctx
        .session
        .books()
        .lock(command, ctx.session.settings.lock_wait, |busy| {
            let _ = writeln!(
                err,
                "undelete {command}: {}; waiting up to {secs:.0} s for it to end…",
                busy.in_progress()
            );
            let _ = err.flush();
        })
        .await?;
    match acquired {
        Ok(lock) => {
            if let Some(m) = lock.took_over_message() {
                writeln!(io.err, "note: {m}")?;
            }
            Ok(Ok(ctx.session.lock_slot().hold(lock)))
        }
        Err(busy) => {
            let waited = if ctx.session.settings.lock_wait.is_zero() {
                "not waiting (--lock-wait 0)".to_string()
            } else {
                format!("still there after {secs:.0} s")
            };
            writeln!(
                io.err,
                "undelete {command}: {}; {waited}: nothing was changed. Run it again when that run has ended (--lock-wait sets how long to wait)",
                busy.in_progress()
            )?;
            Ok(Err(EXIT_FAILED))
        }
    }
}

/// How many names a note lists before it says "…".
const NOTE_NAMES: usize = 5;

/// `undelete … finish ARGS` with the options that picked this run's directory and data dir
/// spelled out: a hint copied from stderr must act where this run did, not on the built-in
/// sandbox or the default data dir.
pub(crate) fn finish_hint(ctx: &Context, args: &str) -> String {
    let subcommand = if args.is_empty() {
        "finish".to_string()
    } else {
        format!("finish {args}")
    };
    ctx.session.settings.command_line(&subcommand)
}

/// The one stderr line every command gives about restores the journal holds unfinished
/// (except `except`, which the command is finishing itself), with a second line when some of
/// them may already have been mailed. `held`: this command holds the data dir; otherwise
/// another process that does is named, since its live users are in the journal too and are
/// not for anyone else to finish.
pub(crate) fn note_unfinished(
    ctx: &Context,
    io: &mut Io<'_>,
    except: &[&str],
    held: bool,
) -> io::Result<()> {
    note_earlier(ctx, io)?;
    let books = ctx.session.books();
    let pending = match books.pending() {
        Ok(p) => p,
        Err(e) => {
            return writeln!(
                io.err,
                "note: the journal in {} could not be read ({e}): unfinished restores are not known",
                books.folder().display()
            );
        }
    };
    let pending: Vec<_> = pending
        .into_iter()
        .filter(|p| !except.contains(&p.unfinished.id.as_str()))
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    if !held && let Some(busy) = books.holder() {
        return writeln!(
            io.err,
            "note: {}; {} in this directory's journal {} not finished yet, perhaps its own",
            busy.in_progress(),
            crate::text::count(pending.len(), "restore", "restores"),
            if pending.len() == 1 { "is" } else { "are" }
        );
    }
    // A user whose mail may have gone out is not finished by a plain `finish`: named apart,
    // with the commands that do close it.
    let (mailed, open): (Vec<_>, Vec<_>) = pending.iter().partition(|p| p.mail_sending.is_some());
    let names = |list: &[&crate::restore::Pending]| {
        let mut names: Vec<&str> = list
            .iter()
            .take(NOTE_NAMES)
            .map(|p| p.unfinished.upn.as_str())
            .collect();
        if list.len() > NOTE_NAMES {
            names.push("…");
        }
        names.join(", ")
    };
    // Planned but never confirmed restores may not have happened at all: say so apart.
    let unknown = open
        .iter()
        .filter(|p| p.unfinished.restore == crate::restore::RestoreState::Unknown)
        .count();
    let finish = finish_hint(ctx, "");
    if !open.is_empty() {
        let names = names(&open);
        let restores = |n: usize| crate::text::count(n, "restore", "restores");
        let line = match (open.len() - unknown, unknown) {
            (done, 0) => format!(
                "{} {} unfinished (password or mail not done: {names}): `{finish}` finishes {}",
                restores(done),
                crate::text::plural(done, "is", "are"),
                crate::text::plural(done, "it", "them")
            ),
            (0, u) => format!(
                "{} {} planned but may never have happened ({names}): `{finish}` checks {}",
                restores(u),
                crate::text::plural(u, "was", "were"),
                crate::text::plural(u, "it", "them")
            ),
            (done, u) => format!(
                "{} {} unfinished (password or mail not done) and {u} more may never have \
                 happened ({names}): `{finish}` checks and finishes them",
                restores(done),
                crate::text::plural(done, "is", "are")
            ),
        };
        writeln!(io.err, "note: {line}")?;
    }
    if !mailed.is_empty() {
        writeln!(
            io.err,
            "note: the sign-in mail of {} may have gone out ({}): check the recipient's inbox; \
             `{}` closes those whose mail arrived, `{}` sets a new password and mails it again",
            crate::text::count(mailed.len(), "restore", "restores"),
            names(&mailed),
            finish_hint(ctx, "--mark-sent ID_OR_UPN..."),
            finish_hint(ctx, "--resend"),
        )?;
    }
    Ok(())
}

/// The one line about the earlier version's unfinished restores (its journal names no
/// directory), apart from this directory's, with the command that takes them in.
pub(super) fn note_earlier(ctx: &Context, io: &mut Io<'_>) -> io::Result<()> {
    let earlier = match crate::restore::earlier::earlier_pending(&ctx.session.data_dir) {
        Ok(e) => e,
        // Unreadable: its users are not this directory's to act on anyway; the file says why.
        Err(e) => {
            return writeln!(
                io.err,
                "note: the earlier version's journal in {} could not be read ({e})",
                ctx.session.data_dir.display()
            );
        }
    };
    if earlier.is_empty() {
        return Ok(());
    }
    let mut names: Vec<&str> = earlier
        .iter()
        .take(NOTE_NAMES)
        .map(|p| p.unfinished.upn.as_str())
        .collect();
    if earlier.len() > NOTE_NAMES {
        names.push("…");
    }
    writeln!(
        io.err,
        "note: {} from an earlier version, directory unknown ({}): nothing acts on them unasked; \
         if they were made in {}, `{}` takes them into its journal and finishes them",
        crate::text::count(earlier.len(), "unfinished restore", "unfinished restores"),
        names.join(", "),
        ctx.session.directory_id.describe(),
        finish_hint(ctx, "--adopt-earlier"),
    )
}
