//! `undelete purge`: permanent delete from the deleted items. It asks on a terminal, and
//! without one it needs `--yes`.

use serde_json::json;

use super::args::PurgeArgs;
use super::resolve;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, Io};
use crate::directory::Directory;
use crate::restore::Audit;

pub async fn purge(
    dir: &dyn Directory,
    args: &PurgeArgs,
    audit: &Audit,
    io: &mut Io<'_>,
) -> color_eyre::Result<i32> {
    let can_ask = io.term.stdin && io.term.stderr;
    if !args.yes && !can_ask {
        writeln!(
            io.err,
            "undelete: refusing to purge without --yes: there is no terminal to ask for confirmation, and \
             a purge cannot be undone"
        )?;
        return Ok(EXIT_USAGE);
    }
    let resolved = resolve::resolve(dir, &args.targets).await?;
    let mut failed = false;
    let mut users = Vec::new();
    for (target, found) in resolved {
        match found {
            Ok(u) => users.push(u),
            Err(why) => {
                failed = true;
                let line = json!({"target": target, "status": "failed", "error": why});
                undelete_common::safe_json::write_line(io.out, &line)?;
            }
        }
    }
    if users.is_empty() {
        return Ok(EXIT_FAILED);
    }
    if !args.yes {
        writeln!(io.err, "About to purge for good (this cannot be undone):")?;
        for u in &users {
            writeln!(
                io.err,
                "  {}  {}  ({})",
                u.display_name, u.original_upn, u.id
            )?;
        }
        write!(
            io.err,
            "Type the number of users ({}) to confirm: ",
            users.len()
        )?;
        io.err.flush()?;
        let mut answer = String::new();
        io.input.read_line(&mut answer)?;
        if answer.trim() != users.len().to_string() {
            writeln!(io.err, "not confirmed: nothing was purged")?;
            return Ok(EXIT_FAILED);
        }
    }
    for u in &users {
        // A run that no longer holds the directory purges nothing more.
        if let Err(why) = audit.ensure_held() {
            writeln!(io.err, "undelete purge: {why}")?;
            return Ok(EXIT_FAILED);
        }
        let result = dir.purge(&u.id).await;
        let target = format!("{} ({})", u.original_upn, u.id);
        if let Err(e) = audit.record("purge", &target, result.as_ref().map(|_| ()), None) {
            writeln!(io.err, "undelete: warning: {e}")?;
        }
        let line = match &result {
            Ok(()) => json!({
                "id": u.id, "userPrincipalName": u.original_upn, "status": "purged",
            }),
            Err(e) => {
                failed = true;
                json!({
                    "id": u.id, "userPrincipalName": u.original_upn, "status": "failed",
                    "error": e.message, "code": e.code, "requestId": e.request_id,
                    "advice": e.advice(),
                })
            }
        };
        undelete_common::safe_json::write_line(io.out, &line)?;
    }
    io.out.flush()?;
    Ok(if failed { EXIT_FAILED } else { EXIT_OK })
}
