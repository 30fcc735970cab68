//! The conflict sweep as the TUI holds it: what the background reads brought (the index of
//! active users, groups and contacts; the audit log's deletions), and the join of the loaded
//! deleted users against them, done a slice per tick so no keystroke waits for 100,000 rows.
//! The per-user pre-flight right before a restore stays the authority; this is what the table
//! shows up front.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};

use super::effect::Effect;
use super::sessions::SessionState;
use super::state::{NoticeKind, State};
use crate::conflicts::{Changes, Conflict, DeletionsState, SourceStatus, Sweep};
use crate::directory::{DeletedUser, HolderKind};

/// Rows joined per tick, eight times a second (`cargo bench --bench ui -- "sweep join"`): the
/// join reads each row's name and addresses where the table keeps them, so a slice costs
/// well under the 2 ms a filter keystroke may wait behind it, and 100,000 users are joined
/// in about a second.
pub const JOIN_CHUNK: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Not started: the deleted users are still loading.
    #[default]
    Idle,
    /// What the last run kept for this directory is being read from the data dir.
    Recalling,
    /// The first full read is under way.
    Reading,
    /// A delta round is under way (`R`); the last results stay on screen meanwhile.
    Refreshing,
    /// The reads are in; the join walks the rows (`joined` of them done).
    Joining,
    Done,
}

/// What the last run kept for this directory, read back at launch (`Effect::RecallSweep`).
#[derive(Debug, Default)]
pub struct Recalled {
    pub sweep: Option<Sweep>,
    pub deletions: Option<DeletionsState>,
    /// Why something that was kept could not be used (damaged, another directory's), once.
    pub problem: Option<String>,
}

/// Everything the sweep knows, and how far the join has got.
#[derive(Debug, Default)]
pub struct SweepView {
    pub phase: Phase,
    /// The index and how each read went; `None` until the first read (or what was kept)
    /// lands. Shared with the runner while it keeps a copy on disk.
    pub sweep: Option<Arc<Sweep>>,
    /// The audit log's deletions; `None` while it is being read.
    pub deletions: Option<Arc<DeletionsState>>,
    /// Deleted users the directory sync service deleted.
    pub by_sync: HashSet<String>,
    /// Rows joined so far (positions in the table's load order).
    pub joined: usize,
    /// Of how many rows.
    pub total: usize,
    /// While the badges are what the last run kept and not yet refreshed: when that was, in
    /// the admin's words ("09:12", "6 Dec 09:12").
    pub kept_as_of: Option<String>,
    /// A read is out (`Recalling`, `Reading` or `Refreshing`): nothing more is asked until it
    /// lands, and the phase goes back to it when a join in between ends.
    pending: Option<Phase>,
    /// Ids of the last join, swapped in whole when a new join is done, so a refresh never
    /// shows fewer badges half-way. Only the conflicted users' ids are kept (the table holds
    /// them): each one's conflicts are found again, for the one user the details pane shows,
    /// so 100,000 users with 385,000 conflicts between them cost a set of ids, not a copy of
    /// every address and holder.
    next_conflicted: HashSet<String>,
    next_by_sync: HashSet<String>,
}

impl SweepView {
    pub fn is_by_sync(&self, id: &str) -> bool {
        self.by_sync.contains(id)
    }

    /// What of the user's is held by another object, as the index has it now (read by the
    /// details pane for the one user it shows; the badge is the last join's word).
    pub fn conflicts_of(&self, user: &DeletedUser) -> Vec<Conflict> {
        self.sweep.as_deref().map_or_else(Vec::new, |s| {
            s.index.conflicts_of(
                &user.id,
                &user.original_upn,
                user.proxy_addresses.iter().map(String::as_str),
            )
        })
    }

    /// Working in the background or joining: the header says so, the spinner turns.
    pub fn busy(&self) -> bool {
        matches!(
            self.phase,
            Phase::Recalling | Phase::Reading | Phase::Refreshing | Phase::Joining
        )
    }

    /// The header's words while it works ("checking conflicts…", "… 12k/50k"), and while the
    /// badges are the last run's ("conflicts as of 09:12 · refreshing…"); `None` once done.
    pub fn status(&self) -> Option<String> {
        let working = match self.phase {
            Phase::Idle | Phase::Done => None,
            Phase::Recalling => Some("recalling conflicts…".into()),
            Phase::Reading => Some("checking conflicts…".into()),
            Phase::Refreshing => Some("refreshing conflicts…".into()),
            Phase::Joining => Some(format!(
                "checking conflicts {}/{}",
                thousands(self.joined),
                thousands(self.total)
            )),
        };
        match (&self.kept_as_of, working) {
            (Some(at), Some(w)) => Some(format!(
                "conflicts as of {at} · {}",
                w.trim_start_matches("checking conflicts ")
            )),
            (Some(at), None) => Some(format!("conflicts as of {at}")),
            (None, w) => w,
        }
    }

    /// What the badges cannot say for want of a read (a permission the sign-in lacks, a
    /// failure), for the header, each part long and short: ("conflicts: users, contacts
    /// only — needs GroupMember.Read.All", "conflicts: users, contacts only") and ("[BS]
    /// unknown — needs AuditLog.Read.All", "[BS] unknown"). Empty when nothing is missing.
    pub fn limits(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(sweep) = self.sweep.as_deref() {
            let (read, missed): (Vec<HolderKind>, Vec<HolderKind>) = HolderKind::ALL
                .iter()
                .partition(|k| sweep.status(**k).is_complete());
            if !missed.is_empty() {
                let head = if read.is_empty() {
                    "conflicts: not checked".to_string()
                } else {
                    let names: Vec<&str> = read.iter().map(|k| short_kind(*k)).collect();
                    format!("conflicts: {} only", names.join(", "))
                };
                let why: Vec<String> = missed
                    .iter()
                    .map(|k| why_not(sweep.status(*k), *k))
                    .collect();
                out.push((format!("{head} — {}", dedup(why).join(", ")), head));
            }
        }
        if let Some(d) = self.deletions.as_deref()
            && !d.status.is_complete()
        {
            let why = match &d.status {
                SourceStatus::NotPermitted { needs } => format!("needs {needs}"),
                _ => "audit log not read (i: why)".to_string(),
            };
            out.push((format!("[BS] unknown — {why}"), "[BS] unknown".to_string()));
        }
        out
    }

    /// One line per read that did not complete (a missing permission, a failure), for the
    /// details pane: a missing conflict may hide there.
    pub fn problems(&self) -> Vec<String> {
        self.sweep.as_deref().map_or_else(Vec::new, Sweep::problems)
    }

    fn restart_join(&mut self, total: usize) {
        self.phase = Phase::Joining;
        self.joined = 0;
        self.total = total;
        self.next_conflicted.clear();
        self.next_by_sync.clear();
    }
}

/// Why a read is missing, in the header's few words: the permission it needs, or that it
/// failed (the details pane says how).
fn why_not(status: &SourceStatus, kind: HolderKind) -> String {
    match status {
        SourceStatus::NotPermitted { needs } => format!("needs {needs}"),
        _ => format!("{} not read (i: why)", short_kind(kind)),
    }
}

/// A kind of holder in the header's few words.
fn short_kind(kind: HolderKind) -> &'static str {
    match kind {
        HolderKind::User => "users",
        HolderKind::Group => "groups",
        HolderKind::Contact => "contacts",
    }
}

/// `items` without repeats, in their order.
fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// "12k" past ten thousand, the number itself below.
fn thousands(n: usize) -> String {
    if n >= 10_000 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// "09:12" today, "6 Dec 09:12" on another day (the admin's local time).
fn as_of_words(at: DateTime<Utc>, now: DateTime<Utc>, offset: FixedOffset) -> String {
    let (at, now) = (at.with_timezone(&offset), now.with_timezone(&offset));
    if at.date_naive() == now.date_naive() {
        at.format("%H:%M").to_string()
    } else {
        at.format("%-d %b %H:%M").to_string()
    }
}

/// At launch: what the last run kept for this directory is read back first, so its badges
/// show at once (with `--no-cache` the runner answers that nothing is kept, and the sweep
/// starts as the users load).
pub fn start(state: &mut SessionState) -> Effect {
    state.sweep.pending = Some(Phase::Recalling);
    state.sweep.phase = Phase::Recalling;
    Effect::RecallSweep
}

/// What was kept landed (or nothing was): its badges are joined with the rows at once, marked
/// as of when they were read, and refreshed (one delta round) once the users are loaded.
pub(super) fn on_recalled(state: &mut State, recalled: Recalled) -> Vec<Effect> {
    let (now, offset) = (state.now, state.settings.local_offset);
    let s = &mut state.session_mut().sweep;
    if s.pending == Some(Phase::Recalling) {
        s.pending = None;
        s.phase = Phase::Idle;
    }
    if let Some(problem) = recalled.problem {
        state.notice = Some((
            NoticeKind::Info,
            format!("{problem}; checking conflicts afresh"),
        ));
    }
    let session = state.session_mut();
    let s = &mut session.sweep;
    if s.sweep.is_none()
        && let Some(sweep) = recalled.sweep
    {
        s.kept_as_of = Some(as_of_words(sweep.as_of, now, offset));
        s.sweep = Some(Arc::new(sweep));
    }
    if s.deletions.is_none()
        && let Some(d) = recalled.deletions
    {
        s.deletions = Some(Arc::new(d));
    }
    if s.sweep.is_some() || s.deletions.is_some() {
        rejoin(session);
    }
    if session.users.loading() {
        Vec::new()
    } else {
        on_loaded(session, now)
    }
}

/// The deleted users are loaded (or reloaded): the first time, the whole sweep starts in the
/// background, unless the last run's is at hand; then (and on `R`) only what changed since is
/// read: delta rounds for the holders, the audit log since its last read. Nothing starts while
/// a read is still under way.
pub(super) fn on_loaded(state: &mut SessionState, now: DateTime<Utc>) -> Vec<Effect> {
    let s = &mut state.sweep;
    if s.pending.is_some() {
        return Vec::new();
    }
    let (phase, effect) = match &s.sweep {
        None => {
            s.deletions = None;
            (Phase::Reading, Effect::Sweep { now })
        }
        Some(sweep) => (
            Phase::Refreshing,
            Effect::SweepRefresh {
                links: sweep.delta_links(),
                deletions: s.deletions.clone(),
                now,
            },
        ),
    };
    s.pending = Some(phase);
    s.phase = phase;
    // The rows loaded since what was kept landed get its badges now, not when the refresh
    // lands (the join ends back in `Refreshing`).
    if s.sweep.is_some() || s.deletions.is_some() {
        rejoin(state);
    }
    vec![effect]
}

/// The first read landed: the join starts, and the runner keeps it for the next launch.
pub(super) fn on_swept(state: &mut SessionState, sweep: Sweep) -> Vec<Effect> {
    let sweep = Arc::new(sweep);
    state.sweep.sweep = Some(sweep.clone());
    state.sweep.kept_as_of = None;
    state.sweep.pending = None;
    rejoin(state);
    vec![Effect::KeepSweep(sweep)]
}

/// A refresh read what changed: applied to the index, joined again, kept. A delta token the
/// directory refused (the kept one expired) meant reading those kinds in full: said once.
pub(super) fn on_changes(state: &mut State, changes: Changes) -> Vec<Effect> {
    if let Some(note) = crate::conflicts::refused_note(changes.refused()) {
        state.notice = Some((NoticeKind::Info, note));
    }
    let state = state.session_mut();
    let mut effects = Vec::new();
    if let Some(sweep) = &mut state.sweep.sweep {
        // The runner's copy (a write in flight) is left as it was.
        Arc::make_mut(sweep).apply(changes);
        effects.push(Effect::KeepSweep(sweep.clone()));
    }
    state.sweep.kept_as_of = None;
    state.sweep.pending = None;
    rejoin(state);
    effects
}

/// The audit log's deletions landed: `[BY SYNC]` needs the rows joined again.
pub(super) fn on_deletions(state: &mut SessionState, deletions: DeletionsState) -> Vec<Effect> {
    let deletions = Arc::new(deletions);
    state.sweep.deletions = Some(deletions.clone());
    // Without the index yet, this join marks only [BY SYNC]; the conflicts follow with it.
    rejoin(state);
    vec![Effect::KeepDeletions(deletions)]
}

/// Starts the join over (the rows or what they are joined with changed).
pub(super) fn rejoin(state: &mut SessionState) {
    let total = state.users.rows().len();
    state.sweep.restart_join(total);
    join_some(state, JOIN_CHUNK);
}

/// Joins up to `n` more rows; the results are swapped in when the last row is done.
pub(super) fn join_some(state: &mut SessionState, n: usize) {
    let s = &mut state.sweep;
    if s.phase != Phase::Joining {
        return;
    }
    let rows = state.users.rows();
    if s.total != rows.len() {
        // The rows changed under the join (a restore took some away): start again.
        s.restart_join(rows.len());
    }
    let end = (s.joined + n).min(rows.len());
    for row in &rows[s.joined..end] {
        if let Some(sweep) = &s.sweep
            && sweep
                .index
                .has_conflict_of(row.id(), row.original_upn(), row.proxy_addresses())
        {
            s.next_conflicted.insert(row.id().to_string());
        }
        if let Some(d) = &s.deletions
            && d.log.by_sync_id(row.id())
        {
            s.next_by_sync.insert(row.id().to_string());
        }
    }
    s.joined = end;
    if s.joined >= s.total {
        s.by_sync = std::mem::take(&mut s.next_by_sync);
        // A read still out (the deletions came first, or `R` during the join): say so.
        s.phase = s.pending.unwrap_or(Phase::Done);
        state
            .users
            .set_swept_conflicts(std::mem::take(&mut s.next_conflicted));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures;
    use crate::app::msg::{Msg, SessionMsg};
    use crate::app::update::update;
    use crate::conflicts::{DeletionLog, SourceStatus};
    use crate::directory::{DeletionRecord, Initiator};

    fn record(id: &str, sync: bool) -> DeletionRecord {
        DeletionRecord {
            id: format!("audit-{id}"),
            target_id: id.to_string(),
            target_upn: None,
            at: fixtures::now(),
            result: "success".into(),
            result_reason: None,
            initiated_by: if sync {
                Initiator::User {
                    id: None,
                    user_principal_name: Some("Sync_DC01_1a2b@contoso.onmicrosoft.com".into()),
                    display_name: Some(
                        "On-Premises Directory Synchronization Service Account".into(),
                    ),
                }
            } else {
                Initiator::User {
                    id: None,
                    user_principal_name: Some("admin@contoso.sandbox".into()),
                    display_name: None,
                }
            },
        }
    }

    #[test]
    fn the_join_runs_a_slice_per_tick_and_its_verdict_lands_whole() {
        let n = JOIN_CHUNK * 2 + 10;
        let mut s = fixtures::state(n, (120, 40));
        let first = s.session().users.rows()[0].id().to_string();
        let last = s.session().users.rows()[n - 1].id().to_string();
        let other = s.session().users.rows()[1].id().to_string();
        // Loaded: the sweep is asked for, and the audit log's deletions land first.
        s.session_mut().sweep = SweepView::default();
        assert!(matches!(
            on_loaded(s.sessions.current_mut(), s.now)[..],
            [Effect::Sweep { .. }]
        ));
        let log = DeletionLog::build([
            record(&first, true),
            record(&last, true),
            record(&other, false),
        ]);
        fixtures::send(
            &mut s,
            SessionMsg::Deletions(Box::new(DeletionsState {
                log,
                status: SourceStatus::Read { count: 3 },
                as_of: fixtures::now(),
            })),
        );
        // One slice at once, the rest on the ticks; nothing shown half-way.
        assert_eq!(s.session().sweep.phase, Phase::Joining);
        assert_eq!(s.session().sweep.joined, JOIN_CHUNK);
        assert!(s.session().sweep.by_sync.is_empty());
        assert!(
            s.session()
                .sweep
                .status()
                .unwrap()
                .starts_with("checking conflicts")
        );
        update(&mut s, Msg::Tick(fixtures::now()));
        assert_eq!(s.session().sweep.joined, 2 * JOIN_CHUNK);
        update(&mut s, Msg::Tick(fixtures::now()));
        assert!(s.session().sweep.is_by_sync(&first) && s.session().sweep.is_by_sync(&last));
        assert!(!s.session().sweep.is_by_sync(&other), "an admin deleted it");
        // No index yet: still reading the directory, so the header still says so.
        assert_eq!(s.session().sweep.phase, Phase::Reading);
        assert_eq!(
            s.session().sweep.status().as_deref(),
            Some("checking conflicts…")
        );
    }

    #[test]
    fn a_reload_refreshes_rather_than_sweeping_twice() {
        let mut s = fixtures::state(10, (120, 40));
        // The fixture's load asked for nothing it could answer; start from "not started".
        s.session_mut().sweep = SweepView::default();
        let effects = on_loaded(s.sessions.current_mut(), s.now);
        assert!(matches!(effects[..], [Effect::Sweep { .. }]));
        assert_eq!(s.session().sweep.phase, Phase::Reading);
        // A reload while the first read runs starts nothing more, even once the deletions
        // landed and were joined.
        assert!(on_loaded(s.sessions.current_mut(), s.now).is_empty());
        fixtures::send(
            &mut s,
            SessionMsg::Deletions(Box::new(DeletionsState {
                log: DeletionLog::default(),
                status: SourceStatus::Read { count: 0 },
                as_of: fixtures::now(),
            })),
        );
        assert_eq!(s.session().sweep.phase, Phase::Reading);
        assert!(on_loaded(s.sessions.current_mut(), s.now).is_empty());
    }
}
