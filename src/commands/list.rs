//! `undelete list` and `undelete check --expiring DAYS`.

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::args::{CheckArgs, ListArgs, OutputFormat, SortKey};
use super::format;
use super::{EXIT_EXPIRING, EXIT_OK, Io};
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

pub async fn list(
    dir: &dyn Directory,
    args: &ListArgs,
    now: DateTime<Utc>,
    io: &mut Io<'_>,
) -> color_eyre::Result<i32> {
    let mut users = load(dir, args.format, io).await?;
    let loaded = users.len();
    format::filter(&mut users, args.filter.as_deref());
    format::sort(&mut users, args.sort);
    print(io, &users, args.format, now)?;
    if io.term.stderr && args.format == OutputFormat::Table {
        let shown = if users.len() == loaded {
            format!("{loaded} deleted users")
        } else {
            format!("{} of {loaded} deleted users", users.len())
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
