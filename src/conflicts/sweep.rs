//! The sweep: the reads behind the conflict join and the deletion log, through the
//! `Directory` trait. Active users, groups and contacts are read side by side (one listing
//! each, pages inserted into the index as they arrive), and with them the starting point of
//! each delta round (`$deltatoken=latest`), so a refresh reads only what changed since.
//!
//! A read that is refused (403: a permission is missing) or fails leaves its kind out and says
//! so in its `SourceStatus`; it never fails the sweep, the others, or the table.

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use futures::stream::{self, BoxStream};

use super::deletions::{DeletionLog, INITIAL_RETENTION_DAYS};
use super::index::ConflictIndex;
use crate::directory::audits::AUDIT_PERMISSION;
use crate::directory::{
    DirResult, Directory, DirectoryError, ErrorKind, Holder, HolderChange, HolderKind,
};

/// How one read of the sweep went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceStatus {
    /// Read in full: this many objects.
    Read { count: usize },
    /// Refused by the directory: the signed-in identity lacks this permission.
    NotPermitted { needs: &'static str },
    /// Failed otherwise (the cause, in words).
    Failed { message: String },
}

impl SourceStatus {
    fn from_error(e: &DirectoryError, needs: &'static str) -> Self {
        if e.kind == ErrorKind::Forbidden {
            SourceStatus::NotPermitted { needs }
        } else {
            SourceStatus::Failed {
                message: e.to_string(),
            }
        }
    }

    pub fn is_complete(&self) -> bool {
        matches!(self, SourceStatus::Read { .. })
    }

    /// One line for the details pane, the self-check and `list`'s notes, e.g. "groups: not
    /// permitted: needs GroupMember.Read.All".
    pub fn describe(&self, what: &str) -> String {
        match self {
            SourceStatus::Read { count } => format!("{what}: {count} read"),
            SourceStatus::NotPermitted { needs } => {
                format!("{what}: not permitted: needs {needs}")
            }
            SourceStatus::Failed { message } => format!("{what}: not read: {message}"),
        }
    }
}

/// What the sweep knows: the index, how each read went, and where each delta round resumes.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub index: ConflictIndex,
    /// By `HolderKind::ALL` order: users, groups, contacts.
    pub sources: [SourceStatus; 3],
    pub(super) delta_links: [Option<String>; 3],
    /// When the reads it holds began: what it says was true then ("conflicts as of 09:12").
    pub as_of: DateTime<Utc>,
}

impl Sweep {
    /// A sweep of `index` as if every read had completed (unit tests of what holds it).
    #[cfg(test)]
    pub(crate) fn for_tests(index: ConflictIndex, as_of: DateTime<Utc>) -> Self {
        let sources = HolderKind::ALL.map(|k| SourceStatus::Read {
            count: index.count(k),
        });
        Self {
            index,
            sources,
            delta_links: [
                Some("https://graph.microsoft.com/v1.0/users/delta?$deltatoken=u".into()),
                None,
                Some("https://graph.microsoft.com/v1.0/contacts/delta?$deltatoken=c".into()),
            ],
            as_of,
        }
    }

    pub fn status(&self, kind: HolderKind) -> &SourceStatus {
        &self.sources[kind.index()]
    }

    /// True when every read completed: no conflict can be missing for want of data.
    pub fn is_complete(&self) -> bool {
        self.sources.iter().all(SourceStatus::is_complete)
    }

    /// The delta links a refresh resumes from (`read_changes`).
    pub fn delta_links(&self) -> [Option<String>; 3] {
        self.delta_links.clone()
    }

    /// One line per read that did not complete (empty when all did).
    pub fn problems(&self) -> Vec<String> {
        HolderKind::ALL
            .iter()
            .filter(|k| !self.status(**k).is_complete())
            .map(|k| self.status(*k).describe(k.plural()))
            .collect()
    }

    /// Applies what a refresh read: the index, the statuses and the links move forward.
    pub fn apply(&mut self, changes: Changes) {
        self.as_of = changes.started;
        for (kind, change) in changes.kinds {
            let n = kind.index();
            match change {
                KindChanges::Delta { changes, link } => {
                    for page in changes.chunks(1000) {
                        self.index.apply(page);
                    }
                    self.sources[n] = SourceStatus::Read {
                        count: self.index.count(kind),
                    };
                    self.delta_links[n] = Some(link);
                }
                KindChanges::Reread { holders, link } => {
                    self.index.replace_kind(kind, holders);
                    self.sources[n] = SourceStatus::Read {
                        count: self.index.count(kind),
                    };
                    self.delta_links[n] = link;
                }
                KindChanges::Failed(status) => self.sources[n] = status,
            }
        }
    }

    /// Reads the changes since the last round and applies them (the TUI splits the two: the
    /// read runs off the UI thread, `apply` in its update).
    pub async fn refresh(&mut self, dir: &dyn Directory, now: DateTime<Utc>) -> Vec<HolderKind> {
        let changes = read_changes(dir, self.delta_links(), now).await;
        let refused = changes.refused.clone();
        self.apply(changes);
        refused
    }
}

/// What a refresh read, for `Sweep::apply`.
#[derive(Debug, Clone)]
pub struct Changes {
    kinds: Vec<(HolderKind, KindChanges)>,
    /// Kinds whose delta token the directory refused (expired, unknown): read in full again.
    refused: Vec<HolderKind>,
    /// When the reads began.
    started: DateTime<Utc>,
}

impl Changes {
    /// The kinds whose kept delta token the directory refused (`syncStateNotFound`, 410, any
    /// other 4xx on the link): they were read in full again. The TUI and `list` say it once.
    pub fn refused(&self) -> &[HolderKind] {
        &self.refused
    }

    /// Objects added, changed or removed in all (a full re-read counts its objects).
    pub fn len(&self) -> usize {
        self.kinds
            .iter()
            .map(|(_, c)| match c {
                KindChanges::Delta { changes, .. } => changes.len(),
                KindChanges::Reread { holders, .. } => holders.len(),
                KindChanges::Failed(_) => 0,
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone)]
enum KindChanges {
    Delta {
        changes: Vec<HolderChange>,
        link: String,
    },
    /// No delta round could run (no link yet, or it failed): everything, read again.
    Reread {
        holders: Vec<Holder>,
        link: Option<String>,
    },
    Failed(SourceStatus),
}

/// Runs one delta round to its end: every change and the next round's link.
async fn delta_round(
    dir: &dyn Directory,
    kind: HolderKind,
    from: Option<String>,
) -> DirResult<(Vec<HolderChange>, String)> {
    let mut pages = dir.holder_delta(kind, from);
    let mut changes = Vec::new();
    let mut link = None;
    while let Some(page) = pages.next().await {
        let page = page?;
        changes.extend(page.changes);
        link = page.delta_link.or(link);
    }
    link.map(|l| (changes, l)).ok_or_else(|| {
        DirectoryError::malformed(format!(
            "the {} delta round ended without an @odata.deltaLink",
            kind.noun()
        ))
    })
}

/// True when the directory refused a delta link itself, rather than failing to answer: Graph
/// answers an expired token with 400 `syncStateNotFound` ("The sync state generation is not
/// found. The delta token is expired and data must be synchronized again."; directory objects'
/// tokens last 7 days), other services with 410 `resyncRequired`. Only a full read helps then.
pub fn token_refused(e: &DirectoryError) -> bool {
    let code = |c: &str| e.code.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(c));
    e.status == Some(410)
        || code("syncStateNotFound")
        || code("resyncRequired")
        || matches!(e.kind, ErrorKind::BadRequest | ErrorKind::NotFound)
}

/// What a refresh says, once, when the directory refused kept delta tokens: which kinds were
/// read in full again instead. `None` when none was refused.
pub fn refused_note(kinds: &[HolderKind]) -> Option<String> {
    let words: Vec<&str> = kinds.iter().map(|k| k.plural()).collect();
    let list = match words.as_slice() {
        [] => return None,
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    Some(format!(
        "The directory refused the kept delta tokens of {list} (they expire after 7 days): \
         read in full again"
    ))
}

/// Where the next delta round of `kind` starts; `None` when the directory would not say (the
/// next refresh then reads that kind in full).
async fn latest_link(dir: &dyn Directory, kind: HolderKind) -> Option<String> {
    match delta_round(dir, kind, None).await {
        Ok((_, link)) => Some(link),
        Err(e) => {
            tracing::info!("no delta link for {}: {e}", kind.plural());
            None
        }
    }
}

/// The whole sweep: users, groups and contacts read side by side into one index, with the
/// starting point of each delta round for `Sweep::refresh`. `now` is when it starts.
pub async fn sweep(dir: &dyn Directory, now: DateTime<Utc>) -> Sweep {
    sweep_with(dir, true, now).await
}

/// The sweep of a run that will neither refresh nor keep it (`list --no-cache`): no delta
/// links are asked for.
pub async fn sweep_once(dir: &dyn Directory, now: DateTime<Utc>) -> Sweep {
    sweep_with(dir, false, now).await
}

async fn sweep_with(dir: &dyn Directory, delta: bool, now: DateTime<Utc>) -> Sweep {
    let lists: Vec<BoxStream<'static, (HolderKind, DirResult<Vec<Holder>>)>> = HolderKind::ALL
        .iter()
        .map(|&k| dir.list_holders(k).map(move |p| (k, p)).boxed())
        .collect();
    let mut pages = stream::select_all(lists);
    let read = async {
        let mut index = ConflictIndex::default();
        let mut failed: [Option<SourceStatus>; 3] = [None, None, None];
        while let Some((kind, page)) = pages.next().await {
            match page {
                Ok(holders) => index.extend(holders),
                Err(e) => {
                    failed[kind.index()] = Some(SourceStatus::from_error(&e, kind.permission()))
                }
            }
        }
        let sources = HolderKind::ALL.map(|k| {
            failed[k.index()].take().unwrap_or(SourceStatus::Read {
                count: index.count(k),
            })
        });
        (index, sources)
    };
    let links = futures::future::join_all(HolderKind::ALL.map(|k| async move {
        if delta {
            latest_link(dir, k).await
        } else {
            None
        }
    }));
    let ((index, sources), links) = futures::join!(read, links);
    let mut delta_links: [Option<String>; 3] = [None, None, None];
    for (n, link) in links.into_iter().enumerate() {
        // A kind that could not be read has nothing to resume from.
        if sources[n].is_complete() {
            delta_links[n] = link;
        }
    }
    Sweep {
        index,
        sources,
        delta_links,
        as_of: now,
    }
}

async fn reread(dir: &dyn Directory, kind: HolderKind) -> KindChanges {
    let link = latest_link(dir, kind);
    let list = async {
        let mut holders = Vec::new();
        let mut pages = dir.list_holders(kind);
        while let Some(page) = pages.next().await {
            holders.extend(page?);
        }
        Ok::<_, DirectoryError>(holders)
    };
    match futures::join!(list, link) {
        (Ok(holders), link) => KindChanges::Reread { holders, link },
        (Err(e), _) => KindChanges::Failed(SourceStatus::from_error(&e, kind.permission())),
    }
}

/// What changed since the links of an earlier sweep, all kinds side by side. A kind whose
/// round cannot run (no link, an expired token, any failure) is read again in full instead.
pub async fn read_changes(
    dir: &dyn Directory,
    links: [Option<String>; 3],
    now: DateTime<Utc>,
) -> Changes {
    let rounds = HolderKind::ALL
        .iter()
        .zip(links)
        .map(|(&kind, link)| async move {
            let Some(link) = link else {
                return (kind, reread(dir, kind).await, false);
            };
            match delta_round(dir, kind, Some(link)).await {
                Ok((changes, link)) => (kind, KindChanges::Delta { changes, link }, false),
                Err(e) => {
                    let refused = token_refused(&e);
                    tracing::info!(
                        "delta round of {} failed ({}), reading again: {e}",
                        kind.plural(),
                        if refused {
                            "its token was refused"
                        } else {
                            "no answer"
                        }
                    );
                    (kind, reread(dir, kind).await, refused)
                }
            }
        });
    let mut kinds = Vec::new();
    let mut refused = Vec::new();
    for (kind, change, was_refused) in futures::future::join_all(rounds).await {
        if was_refused {
            refused.push(kind);
        }
        kinds.push((kind, change));
    }
    Changes {
        kinds,
        refused,
        started: now,
    }
}

/// The deletion log and how reading it went.
#[derive(Debug, Clone)]
pub struct DeletionsState {
    pub log: DeletionLog,
    pub status: SourceStatus,
    /// When the last read of the audit log began.
    pub as_of: DateTime<Utc>,
}

/// A refresh asks the audit log again from this long before the last read began: Entra
/// files some records late, and a record read twice is not counted twice.
pub const AUDIT_OVERLAP_HOURS: i64 = 24;

/// Reads the audit log's `Delete user` records of the retention window before `now`.
pub async fn read_deletions(dir: &dyn Directory, now: DateTime<Utc>) -> DeletionsState {
    let since = now - Duration::days(INITIAL_RETENTION_DAYS);
    read_into(dir, DeletionLog::default(), since, now).await
}

/// The records since `kept` was read (with `AUDIT_OVERLAP_HOURS` of overlap), added to it;
/// deletions older than the retention window are forgotten. A log that was not read in full
/// last time is read in full.
pub async fn refresh_deletions(
    dir: &dyn Directory,
    kept: DeletionsState,
    now: DateTime<Utc>,
) -> DeletionsState {
    if !kept.status.is_complete() {
        return read_deletions(dir, now).await;
    }
    let window = now - Duration::days(INITIAL_RETENTION_DAYS);
    let since = (kept.as_of - Duration::hours(AUDIT_OVERLAP_HOURS)).max(window);
    let mut log = kept.log;
    log.forget_before(window);
    read_into(dir, log, since, now).await
}

async fn read_into(
    dir: &dyn Directory,
    mut log: DeletionLog,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DeletionsState {
    let mut pages = dir.deletion_audits(since);
    let mut status = None;
    while let Some(page) = pages.next().await {
        match page {
            // Each page is folded in as it arrives: the records themselves are not kept.
            Ok(r) => log.add(r),
            Err(e) => {
                status = Some(SourceStatus::from_error(&e, AUDIT_PERMISSION));
                break;
            }
        }
    }
    let status = status.unwrap_or(SourceStatus::Read {
        count: log.records(),
    });
    DeletionsState {
        log,
        status,
        as_of: now,
    }
}
