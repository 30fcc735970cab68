//! The conflict sweep as the TUI holds it: what the background reads brought (the index of
//! active users, groups and contacts; the audit log's deletions), and the join of the loaded
//! deleted users against them, done a slice per tick so no keystroke waits for 100,000 rows.
//! The per-user pre-flight right before a restore stays the authority; this is what the table
//! shows up front.

use std::collections::{HashMap, HashSet};

use super::effect::Effect;
use super::sessions::SessionState;
use crate::conflicts::{Changes, Conflict, DeletionsState, Sweep};
use crate::directory::DeletedUser;

/// Rows joined per tick, eight times a second: about 0.4 ms of work in release (`cargo bench
/// --bench ui -- "sweep join"`; 2,000 took 0.86 ms), so a filter keystroke that lands behind a
/// slice still answers within its 2 ms budget. 10,000 users are joined in about 1.3 s.
pub const JOIN_CHUNK: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Not started: the deleted users are still loading.
    #[default]
    Idle,
    /// The first full read is under way.
    Reading,
    /// A delta round is under way (`R`); the last results stay on screen meanwhile.
    Refreshing,
    /// The reads are in; the join walks the rows (`joined` of them done).
    Joining,
    Done,
}

/// Everything the sweep knows, and how far the join has got.
#[derive(Debug, Default)]
pub struct SweepView {
    pub phase: Phase,
    /// The index and how each read went; `None` until the first read lands.
    pub sweep: Option<Sweep>,
    /// The audit log's deletions; `None` while it is being read.
    pub deletions: Option<DeletionsState>,
    /// Conflicts by deleted user id, as far as the join has got.
    pub conflicts: HashMap<String, Vec<Conflict>>,
    /// Deleted users the directory sync service deleted.
    pub by_sync: HashSet<String>,
    /// Rows joined so far (positions in the table's load order).
    pub joined: usize,
    /// Of how many rows.
    pub total: usize,
    /// A read is out (`Reading` or `Refreshing`): nothing more is asked until it lands, and
    /// the phase goes back to it when a join in between ends.
    pending: Option<Phase>,
    /// Ids of the last join, swapped in whole when a new join is done, so a refresh never
    /// shows fewer badges half-way.
    next_conflicts: HashMap<String, Vec<Conflict>>,
    next_by_sync: HashSet<String>,
}

impl SweepView {
    pub fn is_conflict(&self, id: &str) -> bool {
        self.conflicts.contains_key(id)
    }

    pub fn is_by_sync(&self, id: &str) -> bool {
        self.by_sync.contains(id)
    }

    pub fn conflicts_of(&self, id: &str) -> &[Conflict] {
        self.conflicts.get(id).map_or(&[], Vec::as_slice)
    }

    /// Working in the background or joining: the header says so, the spinner turns.
    pub fn busy(&self) -> bool {
        matches!(
            self.phase,
            Phase::Reading | Phase::Refreshing | Phase::Joining
        )
    }

    /// The header's words while it works ("checking conflicts…", "… 12k/50k"); `None` once done.
    pub fn status(&self) -> Option<String> {
        match self.phase {
            Phase::Idle | Phase::Done => None,
            Phase::Reading => Some("checking conflicts…".into()),
            Phase::Refreshing => Some("refreshing conflicts…".into()),
            Phase::Joining => Some(format!(
                "checking conflicts {}/{}",
                thousands(self.joined),
                thousands(self.total)
            )),
        }
    }

    /// One line per read that did not complete (a missing permission, a failure), for the
    /// details pane: a missing conflict may hide there.
    pub fn problems(&self) -> Vec<String> {
        self.sweep.as_ref().map_or_else(Vec::new, Sweep::problems)
    }

    fn restart_join(&mut self, total: usize) {
        self.phase = Phase::Joining;
        self.joined = 0;
        self.total = total;
        self.next_conflicts.clear();
        self.next_by_sync.clear();
    }
}

/// "12k" past ten thousand, the number itself below.
fn thousands(n: usize) -> String {
    if n >= 10_000 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// The deleted users are loaded (or reloaded): the first time, the whole sweep starts in the
/// background; afterwards `R` reads only what changed since (delta rounds). Nothing starts
/// while a read is still under way.
pub(super) fn on_loaded(
    state: &mut SessionState,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Effect> {
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
            },
        ),
    };
    s.pending = Some(phase);
    s.phase = phase;
    vec![effect]
}

/// The first read landed: the join starts.
pub(super) fn on_swept(state: &mut SessionState, sweep: Sweep) {
    state.sweep.sweep = Some(sweep);
    state.sweep.pending = None;
    rejoin(state);
}

/// A refresh read what changed: applied to the index, then joined again.
pub(super) fn on_changes(state: &mut SessionState, changes: Changes) {
    if let Some(sweep) = &mut state.sweep.sweep {
        sweep.apply(changes);
    }
    state.sweep.pending = None;
    rejoin(state);
}

/// The audit log's deletions landed: `[BY SYNC]` needs the rows joined again.
pub(super) fn on_deletions(state: &mut SessionState, deletions: DeletionsState) {
    state.sweep.deletions = Some(deletions);
    // Without the index yet, this join marks only [BY SYNC]; the conflicts follow with it.
    rejoin(state);
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
        let user: DeletedUser = row.to_user();
        if let Some(sweep) = &s.sweep {
            let found = sweep.index.conflicts_for(&user);
            if !found.is_empty() {
                s.next_conflicts.insert(user.id.clone(), found);
            }
        }
        if let Some(d) = &s.deletions
            && d.log.by_sync(&user)
        {
            s.next_by_sync.insert(user.id.clone());
        }
    }
    s.joined = end;
    if s.joined >= s.total {
        s.conflicts = std::mem::take(&mut s.next_conflicts);
        s.by_sync = std::mem::take(&mut s.next_by_sync);
        // A read still out (the deletions came first, or `R` during the join): say so.
        s.phase = s.pending.unwrap_or(Phase::Done);
        let conflicted: HashSet<String> = s.conflicts.keys().cloned().collect();
        state.users.set_swept_conflicts(conflicted);
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
            })),
        );
        assert_eq!(s.session().sweep.phase, Phase::Reading);
        assert!(on_loaded(s.sessions.current_mut(), s.now).is_empty());
    }
}
