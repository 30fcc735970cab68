//! `undelete list` and `undelete check --expiring DAYS`.
//!
//! `list --format json` and `csv` in the default order (soonest purge first) or newest first
//! ask the directory for that order and print each page as it arrives (`in_order`), holding a
//! page, not the listing. The table, and the orders the directory cannot sort by (name, user
//! name, department), need every user first: column widths, a sort of the whole.

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::task::JoinHandle;

use super::args::{CheckArgs, ListArgs, OutputFormat, SortKey};
use super::format;
use super::in_order::InOrder;
use super::known;
use super::{EXIT_EXPIRING, EXIT_FAILED, EXIT_OK, Io};
use crate::conflicts::kept;
use crate::directory::{
    DeletedPage, DeletedUser, DirResult, Directory, DirectoryError, ListOrder, ListingOptions,
};

pub use known::{KeptSweep, Known};

/// Loads every page, telling a terminal on stderr how far it got. For JSON, the users keep
/// their strings as stored (JSON escapes them; table and CSV print the cleaned ones).
pub async fn load(
    dir: &dyn Directory,
    format: OutputFormat,
    io: &mut Io<'_>,
) -> DirResult<Vec<DeletedUser>> {
    let mut pages = dir.list_deleted_as(ListingOptions {
        order: None,
        stored: format == OutputFormat::Json,
    });
    let mut users = Vec::new();
    let mut progress = Progress::default();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                io.end_progress();
                return Err(e);
            }
        };
        progress.page(&page, io);
        users.extend(page.users);
    }
    io.end_progress();
    Ok(users)
}

/// "loading deleted users… 4995 of 100000" on a terminal's stderr.
#[derive(Default)]
struct Progress {
    total: Option<u64>,
    loaded: usize,
}

impl Progress {
    fn page(&mut self, page: &DeletedPage, io: &mut Io<'_>) {
        self.total = self.total.or(page.total);
        self.loaded += page.users.len();
        if io.term.stderr {
            let of = self.total.map(|t| format!(" of {t}")).unwrap_or_default();
            let _ = write!(io.err, "\rloading deleted users… {}{of}", self.loaded);
            let _ = io.err.flush();
        }
    }
}

fn print(
    io: &mut Io<'_>,
    users: &[DeletedUser],
    format: OutputFormat,
    now: DateTime<Utc>,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Table => format::write_table(io.out, users, now, io.term.color_out()),
        OutputFormat::Json => format::write_json(io.out, users, now),
        OutputFormat::Csv => format::write_csv(io.out, users, now),
    }?;
    io.out.flush()
}

/// The order to ask the directory for, when `list` can print as pages arrive: JSON and CSV
/// in an order by deletion time. `None`: every user is loaded first.
fn streamed_order(args: &ListArgs) -> Option<ListOrder> {
    if args.format == OutputFormat::Table {
        return None;
    }
    match args.sort {
        SortKey::DaysLeft => Some(ListOrder::OldestDeletedFirst),
        SortKey::Deleted => Some(ListOrder::NewestDeletedFirst),
        SortKey::Name | SortKey::UserName | SortKey::Department => None,
    }
}

pub async fn list(
    dir: &dyn Directory,
    args: &ListArgs,
    kept: &KeptSweep<'_>,
    now: DateTime<Utc>,
    io: &mut Io<'_>,
) -> color_eyre::Result<i32> {
    if !kept.cache
        && let Err(e) = kept::forget(kept.books)
    {
        let _ = writeln!(io.err, "the kept conflict sweep cannot be removed: {e}");
    }
    match streamed_order(args) {
        Some(order) => list_streamed(dir, args, order, kept, now, io).await,
        None => list_whole(dir, args, kept, now, io).await,
    }
}

/// Whether enrichments were asked for (`--with`, `--conflicts`).
fn enriched(args: &ListArgs) -> (bool, bool) {
    (args.with.conflicts || args.conflicts, args.with.deleted_by)
}

/// One directory's users for a listing that holds them all: loaded with the enrichments
/// asked for, filtered (and only those with a conflict for `--conflicts`), the enrichments'
/// notes said on `io.err`. Also how many were loaded before the filter.
pub async fn gather(
    dir: &dyn Directory,
    args: &ListArgs,
    kept: &KeptSweep<'_>,
    now: DateTime<Utc>,
    io: &mut Io<'_>,
) -> color_eyre::Result<(Vec<DeletedUser>, Option<Known>, usize)> {
    let (with_conflicts, with_deleted_by) = enriched(args);
    // Only what was asked for is read, side by side with the listing: a script that counts
    // deleted users reads nothing else.
    let (mut users, known) = if with_conflicts || with_deleted_by {
        let reads = known::read(
            dir,
            with_conflicts,
            with_deleted_by,
            kept,
            args.max_age,
            now,
        );
        let (users, known) = futures::join!(load(dir, args.format, io), reads);
        (users?, Some(known))
    } else {
        (load(dir, args.format, io).await?, None)
    };
    let loaded = users.len();
    format::filter(&mut users, args.filter.as_deref());
    if args.conflicts
        && let Some(k) = &known
    {
        users.retain(|u| k.conflicted(u));
    }
    if let Some(k) = &known {
        for note in k.notes() {
            let _ = writeln!(io.err, "{note}");
        }
    }
    Ok((users, known, loaded))
}

/// `list` holding every user, for the table and the orders the directory cannot sort by.
async fn list_whole(
    dir: &dyn Directory,
    args: &ListArgs,
    kept: &KeptSweep<'_>,
    now: DateTime<Utc>,
    io: &mut Io<'_>,
) -> color_eyre::Result<i32> {
    let (mut users, known, loaded) = gather(dir, args, kept, now, io).await?;
    format::sort(&mut users, args.sort);
    match (&known, args.format) {
        (Some(k), OutputFormat::Json) => {
            format::write_json_with(io.out, &users, now, &|u, r| k.annotate(u, r))?;
            io.out.flush()?;
        }
        (Some(k), OutputFormat::Table) => {
            format::write_table_with(io.out, &users, now, io.term.color_out(), &|u| k.of(u))?;
            io.out.flush()?;
        }
        _ => print(io, &users, args.format, now)?,
    }
    if io.term.stderr && args.format == OutputFormat::Table {
        let what = if args.conflicts {
            "deleted users with conflicts"
        } else {
            "deleted users"
        };
        let shown = if users.len() == loaded {
            format!("{loaded} {what}")
        } else {
            format!("{} of {loaded} {what}", users.len())
        };
        let _ = writeln!(io.err, "{shown}");
    }
    Ok(EXIT_OK)
}

/// Users held at most while the enrichments are still being read; past it the listing waits for
/// them (its fetching stops a page or two later), so memory stays bounded however slow they
/// are, and the directory serves the reads that are behind.
const HOLD_AT_MOST: usize = 20_000;

/// Pages being written on the blocking pool at most at once: writing a page with its
/// enrichments costs more than reading it, so two threads write while the listing goes on.
const WRITING_AT_MOST: usize = 2;

/// Where a streamed listing's users go: filtered, held while the enrichments are still being
/// read (a user is printed with them or not at all), then written, a page at a time on the
/// blocking pool, and put out in order.
struct Printer<'a> {
    args: &'a ListArgs,
    now: DateTime<Utc>,
    filter: Option<crate::query::Filter>,
    /// The enrichments, once read (at once, when none were asked for).
    known: Option<Arc<Known>>,
    /// Users in order, waiting for the enrichments.
    waiting: Vec<DeletedUser>,
    /// Pages being written, oldest first.
    writing: VecDeque<JoinHandle<std::io::Result<Vec<u8>>>>,
    /// The JSON array, as far as it is out.
    array: format::JsonArray,
}

impl Printer<'_> {
    /// Prints `users` (in order) now, or keeps them until the enrichments are known.
    async fn users(
        &mut self,
        users: &mut Vec<DeletedUser>,
        io: &mut Io<'_>,
    ) -> std::io::Result<()> {
        if let Some(f) = &self.filter {
            f.retain(users);
        }
        let Some(known) = &self.known else {
            self.waiting.append(users);
            return Ok(());
        };
        if users.is_empty() {
            return Ok(());
        }
        let (known, users) = (Arc::clone(known), std::mem::take(users));
        let (format, now, conflicts) = (self.args.format, self.now, self.args.conflicts);
        self.writing.push_back(tokio::task::spawn_blocking(move || {
            render(format, &users, &known, conflicts, now)
        }));
        while self.writing.len() > WRITING_AT_MOST {
            self.put_out(io).await?;
        }
        Ok(())
    }

    /// The enrichments have been read: the users held for them are printed.
    async fn known(&mut self, known: Known, io: &mut Io<'_>) -> std::io::Result<()> {
        self.known = Some(Arc::new(known));
        let mut waiting = std::mem::take(&mut self.waiting);
        self.users(&mut waiting, io).await
    }

    /// Puts the oldest page being written out.
    async fn put_out(&mut self, io: &mut Io<'_>) -> std::io::Result<()> {
        let Some(page) = self.writing.pop_front() else {
            return Ok(());
        };
        let bytes = page.await.map_err(std::io::Error::other)??;
        match self.args.format {
            OutputFormat::Csv => io.out.write_all(&bytes)?,
            _ => self.array.records(io.out, &bytes)?,
        }
        io.out.flush()
    }

    /// Every page out, and the JSON array closed.
    async fn end(mut self, io: &mut Io<'_>) -> std::io::Result<Option<Arc<Known>>> {
        while !self.writing.is_empty() {
            self.put_out(io).await?;
        }
        if self.args.format != OutputFormat::Csv {
            self.array.end(io.out)?;
        }
        io.out.flush()?;
        Ok(self.known)
    }
}

/// Users' records in `format` (JSON, completed by `known`, or CSV rows), those without a
/// conflict left out when `conflicts_only`.
fn render(
    format: OutputFormat,
    users: &[DeletedUser],
    known: &Known,
    conflicts_only: bool,
    now: DateTime<Utc>,
) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let users = users
        .iter()
        .filter(|u| !conflicts_only || known.conflicted(u));
    match format {
        OutputFormat::Csv => {
            let mut rows = format::CsvRows::default();
            for u in users {
                rows.row(&mut out, u, now)?;
            }
        }
        _ => format::json_records(&mut out, users, now, &|u, r| known.annotate(u, r))?,
    }
    Ok(out)
}

/// A directory that will not sort deleted users (Graph's refusal of a query it does not
/// support), said on the first page.
fn refuses_order(e: &DirectoryError) -> bool {
    e.status == Some(400) && e.code.as_deref() == Some("Request_UnsupportedQuery")
}

/// The listing in the directory's own order.
fn unsorted(dir: &dyn Directory, stored: bool) -> BoxStream<'static, DirResult<DeletedPage>> {
    dir.list_deleted_as(ListingOptions {
        order: None,
        stored,
    })
}

/// `list` printing each page as it arrives, in `order`, which the directory sorts by. The
/// enrichments are read side by side; users that arrive before them are held (up to
/// `HOLD_AT_MOST`), the rest printed at once. A page that fails ends the command with the error (exit 1) and the JSON
/// array unclosed.
async fn list_streamed(
    dir: &dyn Directory,
    args: &ListArgs,
    order: ListOrder,
    kept: &KeptSweep<'_>,
    now: DateTime<Utc>,
    io: &mut Io<'_>,
) -> color_eyre::Result<i32> {
    let (with_conflicts, with_deleted_by) = enriched(args);
    let wanted = with_conflicts || with_deleted_by;
    let stored = args.format == OutputFormat::Json;
    let mut reads = pin!(known::read(
        dir,
        with_conflicts,
        with_deleted_by,
        kept,
        args.max_age,
        now,
    ));
    if args.format == OutputFormat::Csv {
        format::CsvRows::header(io.out)?;
    }
    let mut printer = Printer {
        args,
        now,
        filter: args.filter.as_deref().and_then(crate::query::Filter::new),
        known: (!wanted).then(|| Arc::new(Known::default())),
        waiting: Vec::new(),
        writing: VecDeque::new(),
        array: format::JsonArray::default(),
    };
    let mut pages = dir.list_deleted_as(ListingOptions {
        order: Some(order),
        stored,
    });
    let mut in_order = InOrder::new(args.sort);
    let mut first = true;
    let mut refused = false;
    // Progress would tangle with the records on a terminal's screen.
    let mut progress = (!io.term.stdout).then(Progress::default);
    let mut ready = Vec::new();
    loop {
        let page = tokio::select! {
            known = &mut reads, if printer.known.is_none() => {
                printer.known(known, io).await?;
                continue;
            }
            page = pages.next(), if printer.waiting.len() < HOLD_AT_MOST => page,
        };
        let page = match page {
            None => break,
            Some(Ok(page)) => page,
            Some(Err(e)) if first && refuses_order(&e) => {
                // A directory that will not sort: every user is held and sorted here.
                let _ = writeln!(
                    io.err,
                    "the directory would not sort deleted users by deletion time ({}); \
                     sorting here, once the last page has arrived",
                    e.message
                );
                pages = unsorted(dir, stored);
                in_order = InOrder::holding(args.sort);
                first = false;
                refused = true;
                continue;
            }
            Some(Err(e)) => {
                io.end_progress();
                // What was written goes out; the JSON array stays open.
                while !printer.writing.is_empty() {
                    printer.put_out(io).await?;
                }
                return Err(e.into());
            }
        };
        first = false;
        if let Some(p) = &mut progress {
            p.page(&page, io);
        }
        in_order.page(page.users, &mut ready);
        printer.users(&mut ready, io).await?;
    }
    io.end_progress();
    in_order.finish(&mut ready);
    if printer.known.is_none() {
        let known = reads.await;
        printer.known(known, io).await?;
    }
    printer.users(&mut ready, io).await?;
    let known = printer.end(io).await?;
    for note in known.iter().flat_map(|k| k.notes()) {
        let _ = writeln!(io.err, "{note}");
    }
    if in_order.sorted_here() && !refused {
        let _ = writeln!(
            io.err,
            "the directory's first page was not sorted by deletion time as asked: every user \
             was held and sorted here"
        );
    }
    if in_order.late() > 0 {
        let _ = writeln!(
            io.err,
            "error: the directory sent {} out of the order asked for (deletedDateTime {}): \
             every user is listed, but not all in order",
            crate::text::count(in_order.late(), "deleted user", "deleted users"),
            match order {
                ListOrder::OldestDeletedFirst => "asc",
                ListOrder::NewestDeletedFirst => "desc",
            }
        );
        return Ok(EXIT_FAILED);
    }
    Ok(EXIT_OK)
}

/// Users whose purge date falls within `days` from now (or is already past).
pub fn expiring(users: Vec<DeletedUser>, days: u32, now: DateTime<Utc>) -> Vec<DeletedUser> {
    // 0 asks about the day ahead, not only users already past their purge date: a user purged
    // in two hours is what a cron job at `--expiring 0` is there to catch.
    let days = days.max(1);
    let mut users: Vec<DeletedUser> = users
        .into_iter()
        .filter(|u| u.time_left(now).is_some_and(|t| t.within_days(days)))
        .collect();
    format::sort(&mut users, SortKey::DaysLeft);
    users
}

/// Exit code 3 when any user is expiring, so cron can alert; nothing on stdout otherwise.
pub async fn check(
    dir: &dyn Directory,
    args: &CheckArgs,
    now: DateTime<Utc>,
    io: &mut Io<'_>,
) -> color_eyre::Result<i32> {
    let users = expiring(load(dir, args.format, io).await?, args.expiring, now);
    if users.is_empty() {
        if io.term.stderr {
            let _ = writeln!(
                io.err,
                "no deleted user will be purged within {}",
                within_words(args.expiring)
            );
        }
        return Ok(EXIT_OK);
    }
    print(io, &users, args.format, now)?;
    if io.term.stderr {
        let _ = writeln!(
            io.err,
            "{} will be purged within {}",
            crate::text::count(users.len(), "deleted user", "deleted users"),
            within_words(args.expiring)
        );
    }
    Ok(EXIT_EXPIRING)
}

/// "3 days", "1 day"; 0 days is the next 24 hours.
pub fn within_words(days: u32) -> String {
    match days {
        0 => "the next 24 hours".to_string(),
        n => crate::text::count(n as usize, "day", "days"),
    }
}
