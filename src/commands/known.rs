//! What `list --with` adds to each user: the conflict sweep (what holds its names now) and the
//! deletion log (who deleted it), each read side by side with the listing, or taken as kept by
//! an earlier run when it is young enough (`--max-age`).

use chrono::{DateTime, Utc};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::format;
use crate::conflicts::{self, Conflict, DeletedBy, DeletionsState, Sweep, kept};
use crate::directory::{DeletedUser, Directory};
use crate::restore::Books;

/// What the sweep and the audit log say, for `list --conflicts` and `--with`.
#[derive(Default)]
pub struct Known {
    pub sweep: Option<Sweep>,
    pub deletions: Option<DeletionsState>,
    /// Said on stderr after the listing: reads that failed, a refused delta token.
    pub notes: Vec<String>,
}

impl Known {
    pub fn conflicts_json(sweep: &Sweep, u: &DeletedUser) -> ConflictsJson {
        let found = sweep.index.conflicts_for(u);
        // With a read missing, "no conflict" is not known: null, not [].
        if found.is_empty() && !sweep.is_complete() {
            return ConflictsJson(None);
        }
        ConflictsJson(Some(found))
    }

    pub fn deleted_by_json(d: &DeletionsState, u: &DeletedUser) -> DeletedByJson {
        match d.log.lookup(u) {
            DeletedBy::Record(r) => DeletedByJson(Some(DeletedByRecord {
                at: r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                by: r.who.to_string(),
                by_sync: r.by_sync,
                result: r.result.to_string(),
            })),
            DeletedBy::BeyondRetention | DeletedBy::NotFound => DeletedByJson(None),
        }
    }

    /// Completes `u`'s JSON record with what was asked for; a field not asked for stays
    /// absent.
    pub fn annotate(&self, u: &DeletedUser, r: &mut format::UserRecord<'_>) {
        if let Some(sweep) = &self.sweep {
            r.conflicts = Some(Self::conflicts_json(sweep, u));
        }
        if let Some(d) = &self.deletions {
            r.deleted_by = Some(Self::deleted_by_json(d, u));
        }
    }

    /// Whether someone else holds `u`'s user name or an address (`list --conflicts`).
    pub fn conflicted(&self, u: &DeletedUser) -> bool {
        self.sweep.as_ref().is_some_and(|s| s.index.has_conflict(u))
    }

    /// What the table says of `u` beside and under its row.
    pub fn of(&self, u: &DeletedUser) -> format::Known {
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
    pub fn notes(&self) -> Vec<String> {
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

/// A user's conflicts as `list --format json` writes them: `[{"address", "holderId",
/// "holderName", "kind", "property"}]` (keys by name, the order they have always had), or
/// null when a read of the sweep failed and none was found. Written straight from the
/// conflicts, without a JSON tree per user.
pub struct ConflictsJson(Option<Vec<Conflict>>);

impl Serialize for ConflictsJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(list) = &self.0 else {
            return s.serialize_none();
        };
        let mut seq = s.serialize_seq(Some(list.len()))?;
        for c in list {
            seq.serialize_element(&ConflictJson(c))?;
        }
        seq.end()
    }
}

struct ConflictJson<'a>(&'a Conflict);

/// Who deleted a user, as `list --format json` writes it: `{"at", "by", "bySync", "result"}`,
/// or null when the audit log does not say.
#[derive(serde::Serialize)]
pub struct DeletedByJson(Option<DeletedByRecord>);

/// Its fields in the order they have always come out in (by name).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DeletedByRecord {
    at: String,
    by: String,
    by_sync: bool,
    result: String,
}

impl Serialize for ConflictJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("address", &c.address)?;
        m.serialize_entry("holderId", &c.holder.id)?;
        m.serialize_entry("holderName", &c.holder.name)?;
        m.serialize_entry("kind", &c.holder.kind)?;
        m.serialize_entry("property", &c.kind)?;
        m.end()
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

/// Reads what `conflicts` and `deleted_by` ask for, side by side (nothing when neither is).
pub async fn read(
    dir: &dyn Directory,
    conflicts: bool,
    deleted_by: bool,
    kept: &KeptSweep<'_>,
    max_age: std::time::Duration,
    now: DateTime<Utc>,
) -> Known {
    let mut sweep_notes = Vec::new();
    let mut log_notes = Vec::new();
    let sweep = async {
        if conflicts {
            Some(conflict_index(dir, kept, max_age, now, &mut sweep_notes).await)
        } else {
            None
        }
    };
    let deletions = async {
        if deleted_by {
            Some(deletion_log(dir, kept, max_age, now, &mut log_notes).await)
        } else {
            None
        }
    };
    let (sweep, deletions) = futures::join!(sweep, deletions);
    sweep_notes.extend(log_notes);
    Known {
        sweep,
        deletions,
        notes: sweep_notes,
    }
}
