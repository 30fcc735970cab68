//! The progress screen of a restore run: one line per user.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Outcome;
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::directory::DeletedUser;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Restoring,
    Restored,
    PasswordSet,
    TapIssued,
    Failed(String),
    Stopped,
}

impl JobStatus {
    /// Known to be restored (its password or pass may still be on its way).
    pub fn restored(&self) -> bool {
        matches!(
            self,
            JobStatus::Restored | JobStatus::PasswordSet | JobStatus::TapIssued
        )
    }
}

#[derive(Debug, Clone)]
pub struct ProgressLine {
    pub id: String,
    pub name: String,
    pub status: JobStatus,
}

#[derive(Debug, Clone)]
pub struct ProgressState {
    pub lines: Vec<ProgressLine>,
    /// The client's current wait (throttled, server busy) and when it ends.
    pub waiting: Option<(String, DateTime<Utc>)>,
    pub index: HashMap<String, usize>,
    pub scroll: usize,
    pub confirm_stop: bool,
    pub stopping: bool,
    /// Stopping, Esc asked whether to leave the users in flight to `F` (their requests may
    /// be waiting out a dead server until the run's deadline).
    pub confirm_leave: bool,
}

impl ProgressState {
    pub fn new(users: &[DeletedUser]) -> Self {
        let lines: Vec<ProgressLine> = users
            .iter()
            .map(|u| ProgressLine {
                id: u.id.clone(),
                name: u.display_name.clone(),
                status: JobStatus::Queued,
            })
            .collect();
        let index = lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i))
            .collect();
        Self {
            lines,
            waiting: None,
            index,
            scroll: 0,
            confirm_stop: false,
            stopping: false,
            confirm_leave: false,
        }
    }

    pub fn done(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| {
                matches!(
                    l.status,
                    JobStatus::PasswordSet
                        | JobStatus::TapIssued
                        | JobStatus::Failed(_)
                        | JobStatus::Stopped
                )
            })
            .count()
    }
}

impl ProgressState {
    /// Its keys: the list scrolls, Esc asks whether to stop the rest. It closes only when
    /// the run is over (the result takes its place).
    pub(in crate::app) fn on_action(&mut self, action: Option<Action>) -> Outcome {
        match action {
            Some(Action::Down) => {
                self.scroll = (self.scroll + 1).min(self.lines.len().saturating_sub(1))
            }
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::Cancel) if !self.stopping => self.confirm_stop = true,
            Some(Action::Cancel) => self.confirm_leave = true,
            _ => {}
        }
        Outcome::Open(Vec::new())
    }

    /// Users whose restore was sent and has not ended: what leaving puts in `F`'s hands.
    pub fn in_flight(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l.status, JobStatus::Restoring | JobStatus::Restored))
            .count()
    }

    /// The answer to "stop the run?": yes stops what has not started yet; to "leave the
    /// users in flight?": yes ends the run where it is, as a crash would (the journal has
    /// every step so far), and the screen closes; the banner and `F` take it from there.
    pub(in crate::app) fn on_confirm(&mut self, action: Option<Action>) -> Outcome {
        if self.confirm_leave {
            return match action {
                Some(Action::Yes) => Outcome::Closed(vec![Effect::LeaveRestore]),
                Some(Action::No) => {
                    self.confirm_leave = false;
                    Outcome::Open(Vec::new())
                }
                _ => Outcome::Open(Vec::new()),
            };
        }
        match action {
            Some(Action::Yes) => {
                self.confirm_stop = false;
                self.stopping = true;
                return Outcome::Open(vec![Effect::StopRestore]);
            }
            Some(Action::No) => self.confirm_stop = false,
            _ => {}
        }
        Outcome::Open(Vec::new())
    }
}
