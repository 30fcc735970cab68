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
            _ => {}
        }
        Outcome::Open(Vec::new())
    }

    /// The answer to "stop the run?": yes stops what has not started yet.
    pub(in crate::app) fn on_confirm(&mut self, action: Option<Action>) -> Outcome {
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
