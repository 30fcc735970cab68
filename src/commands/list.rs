//! `undelete list` and `undelete check --expiring DAYS`.

use chrono::{DateTime, Utc};
use futures::StreamExt;

use serde_json::{Value, json};

use super::args::{CheckArgs, ListArgs, OutputFormat, SortKey};
use super::format;
use super::{EXIT_EXPIRING, EXIT_OK, Io};
use crate::conflicts::{self, DeletedBy, DeletionsState, Sweep, kept};
use crate::directory::{DeletedUser, DirResult, Directory};
use crate::restore::Books;

/// Loads every page, telling a terminal on stderr how far it got. For JSON, the users keep
/// their strings as stored (JSON escapes them; table and CSV print the cleaned ones).
async fn load(
    dir: &dyn Directory,
    format: OutputFormat,
    io: &mut Io<'_>,
) -> DirResult<Vec<DeletedUser>> {
    let mut pages = if format == OutputFormat::Json {
        dir.list_deleted_stored()
    } else {
        dir.list_deleted()
    };
    let mut users = Vec::new();
    let mut total = None;
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                io.end_progress();
                return Err(e);
            }
        };
        total = total.or(page.total);
        users.extend(page.users);
        if io.term.stderr {
            let of = total.map(|t| format!(" of {t}")).unwrap_or_default();
            let _ = write!(io.err, "\rloading deleted users… {}{of}", users.len());
            let _ = io.err.flush();
        }
    }
    io.end_progress();
    Ok(users)
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

/// What the sweep and the audit log say, for `list --conflicts` and `--with`.
struct Known {
    sweep: Option<Sweep>,
    deletions: Option<DeletionsState>,
    /// Said on stderr after the listing: reads that failed, a refused delta token.
    notes: Vec<String>,
}

impl Known {
    fn conflicts_json(sweep: &Sweep, u: &DeletedUser) -> Value {
        let found = sweep.index.conflicts_for(u);
        // With a read missing, "no conflict" is not known: null, not [].
        if found.is_empty() && !sweep.is_complete() {
            return Value::Null;
        }
        Value::Array(
            found
                .iter()
                .map(|c| {
                    json!({
                        "kind": c.holder.kind,
                        "holderId": c.holder.id,
                        "holderName": c.holder.name,
                        "address": c.address,
                        "property": c.kind,
                    })
                })
                .collect(),
        )
    }

    fn deleted_by_json(d: &DeletionsState, u: &DeletedUser) -> Value {
        match d.log.lookup(u) {
            DeletedBy::Record(r) => json!({
                "by": r.who,
                "at": r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "result": r.result,
                "bySync": r.by_sync,
            }),
            DeletedBy::BeyondRetention | DeletedBy::NotFound => Value::Null,
        }
    }

    /// What the table says of `u` beside and under its row.
    fn of(&self, u: &DeletedUser) -> format::Known {
        let clashes: Vec<String> = self
            .sweep
            .as_ref()
            .map(|s| {
                s.index
                    .conflicts_for(u)
                    .iter()
                    .map(|c| c.describe())
                    .collect()
            })
            .unwrap_or_default();
        let by_sync = self
            .deletions
            .as_ref()
            .is_some_and(|d| matches!(d.log.lookup(u), DeletedBy::Record(r) if r.by_sync));
        format::Known {
            conflict: !clashes.is_empty(),
            by_sync,
            clashes,
        }
    }

    /// What could not be read, one line each, for stderr.
    fn notes(&self) -> Vec<String> {
        let mut out = self.notes.clone();
        if let Some(sweep) = &self.sweep {
            out.extend(
                sweep
                    .problems()
                    .into_iter()
                    .map(|p| format!("conflicts may be missing: {p}")),
            );
        }
        if let Some(d) = &self.deletions
            && !d.status.is_complete()
        {
            out.push(format!(
                "who deleted each user is not known: {}",
                d.status.describe("audit log")
            ));
        }
        out
    }
}

/// Where `list` may find what an earlier run kept of the sweep (`conflicts::kept`).
pub struct KeptSweep<'a> {
    pub books: &'a Books,
    /// False: nothing is read or kept, and what was kept is removed (`--no-cache`).
    pub cache: bool,
}

/// The conflict index for `list --with conflicts`: the kept one when it is younger than
/// `--max-age`; else the kept one brought up to date by one delta round (a refused token
/// means a full read, said once); else a full sweep. Whatever was read is kept again.
async fn conflict_index(
    dir: &dyn Directory,
    kept: &KeptSweep<'_>,
    max_age: std::time::Duration,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Sweep {
    if !kept.cache {
        return conflicts::sweep_once(dir, now).await;
    }
    let earlier = match kept::load_sweep(kept.books) {
        Ok(s) => s,
        Err(why) => {
            notes.push(format!("{why}; checking conflicts afresh"));
            None
        }
    };
    let sweep = match earlier {
        Some(s) if kept::fresh(s.as_of, now, max_age) => return s,
        Some(mut s) => {
            let refused = s.refresh(dir, now).await;
            notes.extend(conflicts::refused_note(&refused));
            s
        }
        None => conflicts::sweep(dir, now).await,
    };
    if let Err(e) = kept::save_sweep(kept.books, &sweep) {
        notes.push(format!(
            "the conflict index could not be kept for the next run: {e}"
        ));
    }
    sweep
}

/// The deletion log for `list --with deleted-by`, by the same rules as `conflict_index`.
async fn deletion_log(
    dir: &dyn Directory,
    kept: &KeptSweep<'_>,
    max_age: std::time::Duration,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> DeletionsState {
    if !kept.cache {
        return conflicts::read_deletions(dir, now).await;
    }
    let earlier = match kept::load_deletions(kept.books) {
        Ok(d) => d,
        Err(why) => {
            notes.push(format!("{why}; reading the audit log afresh"));
            None
        }
    };
    let log = match earlier {
        Some(d) if kept::fresh(d.as_of, now, max_age) && d.status.is_complete() => return d,
        Some(d) => conflicts::refresh_deletions(dir, d, now).await,
        None => conflicts::read_deletions(dir, now).await,
    };
    if let Err(e) = kept::save_deletions(kept.books, &log) {
        notes.push(format!(
            "the deletion log could not be kept for the next run: {e}"
        ));
    }
    log
}

pub async fn list(
    dir: &dyn Directory,
    args: &ListArgs,
    kept: &KeptSweep<'_>,
    now: DateTime<Utc>,
    io: &mut Io<'_>,
) -> color_eyre::Result<i32> {
    let with_conflicts = args.with.conflicts || args.conflicts;
    let with_deleted_by = args.with.deleted_by;
    if !kept.cache
        && let Err(e) = kept::forget(kept.books)
    {
        let _ = writeln!(io.err, "the kept conflict sweep cannot be removed: {e}");
    }
    // Only what was asked for is read, side by side with the listing: a script that counts
    // deleted users reads nothing else.
    let (mut users, known) = if with_conflicts || with_deleted_by {
        let mut sweep_notes = Vec::new();
        let mut log_notes = Vec::new();
        let sweep = async {
            if with_conflicts {
                Some(conflict_index(dir, kept, args.max_age, now, &mut sweep_notes).await)
            } else {
                None
            }
        };
        let deletions = async {
            if with_deleted_by {
                Some(deletion_log(dir, kept, args.max_age, now, &mut log_notes).await)
            } else {
                None
            }
        };
        let (users, sweep, deletions) =
            futures::join!(load(dir, args.format, io), sweep, deletions);
        sweep_notes.extend(log_notes);
        let known = Known {
            sweep,
            deletions,
            notes: sweep_notes,
        };
        (users?, Some(known))
    } else {
        (load(dir, args.format, io).await?, None)
    };
    let loaded = users.len();
    format::filter(&mut users, args.filter.as_deref());
    if args.conflicts
        && let Some(sweep) = known.as_ref().and_then(|k| k.sweep.as_ref())
    {
        users.retain(|u| sweep.index.has_conflict(u));
    }
    format::sort(&mut users, args.sort);
    if let Some(k) = &known {
        for note in k.notes() {
            let _ = writeln!(io.err, "{note}");
        }
    }
    match (&known, args.format) {
        (Some(k), OutputFormat::Json) => {
            format::write_json_with(io.out, &users, now, &|u, r| {
                if let Some(sweep) = &k.sweep {
                    r.conflicts = Some(Known::conflicts_json(sweep, u));
                }
                if let Some(d) = &k.deletions {
                    r.deleted_by = Some(Known::deleted_by_json(d, u));
                }
            })?;
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
fn within_words(days: u32) -> String {
    match days {
        0 => "the next 24 hours".to_string(),
        n => crate::text::count(n as usize, "day", "days"),
    }
}
