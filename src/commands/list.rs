//! `undelete list` and `undelete check --expiring DAYS`.

use chrono::{DateTime, Utc};
use futures::StreamExt;

use serde_json::{Value, json};

use super::args::{CheckArgs, ListArgs, OutputFormat, SortKey};
use super::format;
use super::{EXIT_EXPIRING, EXIT_OK, Io};
use crate::conflicts::{self, DeletedBy, DeletionsState, Sweep};
use crate::directory::{DeletedUser, DirResult, Directory};

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

/// What the sweep and the audit log say, for `list --conflicts` and `list --format json`.
struct Known {
    sweep: Sweep,
    deletions: Option<DeletionsState>,
}

impl Known {
    fn conflicts_json(&self, u: &DeletedUser) -> Value {
        let found = self.sweep.index.conflicts_for(u);
        // With a read missing, "no conflict" is not known: null, not [].
        if found.is_empty() && !self.sweep.is_complete() {
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

    fn deleted_by_json(&self, u: &DeletedUser) -> Value {
        let Some(d) = &self.deletions else {
            return Value::Null;
        };
        match d.log.lookup(u) {
            DeletedBy::Record(r) => json!({
                "by": r.initiated_by.who(),
                "at": r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "result": r.result,
                "bySync": r.by_sync(),
            }),
            DeletedBy::BeyondRetention | DeletedBy::NotFound => Value::Null,
        }
    }

    /// What could not be read, one line each, for stderr.
    fn notes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .sweep
            .problems()
            .into_iter()
            .map(|p| format!("conflicts may be missing: {p}"))
            .collect();
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

pub async fn list(
    dir: &dyn Directory,
    args: &ListArgs,
    now: DateTime<Utc>,
    io: &mut Io<'_>,
) -> color_eyre::Result<i32> {
    let json = args.format == OutputFormat::Json;
    let (mut users, known) = if args.conflicts || json {
        // The deleted users, the sweep and the audit log, side by side.
        let deletions = async {
            if json {
                Some(conflicts::read_deletions(dir, now).await)
            } else {
                None
            }
        };
        let (users, sweep, deletions) = futures::join!(
            load(dir, args.format, io),
            conflicts::sweep_once(dir),
            deletions
        );
        (users?, Some(Known { sweep, deletions }))
    } else {
        (load(dir, args.format, io).await?, None)
    };
    let loaded = users.len();
    format::filter(&mut users, args.filter.as_deref());
    if args.conflicts
        && let Some(k) = &known
    {
        users.retain(|u| !k.sweep.index.conflicts_for(u).is_empty());
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
                r.conflicts = Some(k.conflicts_json(u));
                r.deleted_by = Some(k.deleted_by_json(u));
            })?;
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
                "no deleted user will be purged within {} days",
                args.expiring
            );
        }
        return Ok(EXIT_OK);
    }
    print(io, &users, args.format, now)?;
    if io.term.stderr {
        let _ = writeln!(
            io.err,
            "{} deleted user(s) will be purged within {} days",
            users.len(),
            args.expiring
        );
    }
    Ok(EXIT_EXPIRING)
}
