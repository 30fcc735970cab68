//! The journal: one JSON line per step per user, so a run that died half-way (after a restore,
//! before the password was set or the sign-in info sent) is found and finished by the next run.
//! It never holds a password.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::directory::{DirectoryError, ErrorKind, Stage};

pub const FILE_NAME: &str = "journal.jsonl";

/// One step of one user's restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// About to be restored; what was asked is recorded with it.
    Planned,
    Restored,
    PasswordSet,
    MailSent,
    /// The admin chose not to send the sign-in info (or got the password another way).
    MailSkipped,
    Failed,
    /// Nothing more to do: finished by a later run, or found never restored.
    Closed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    /// Which run wrote it (a UUID per `start`).
    pub run: String,
    /// Object id of the user.
    pub id: String,
    pub step: Step,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    /// The planned (original or new) user name, or the one it got when restored.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub upn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// On `Planned`: who gets the sign-in info.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mail_to: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub include_password: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_change: bool,
    /// On a `Failed` restore: the request may have been carried out all the same (its reply
    /// was lost, or checking afterwards failed), so the user is not closed but left for a
    /// later run to ask the directory about.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uncertain: bool,
}

impl Entry {
    pub fn new(run: &str, id: &str, step: Step) -> Self {
        Self {
            at: Utc::now(),
            run: run.to_string(),
            id: id.to_string(),
            step,
            display_name: String::new(),
            upn: String::new(),
            stage: None,
            detail: None,
            mail_to: Vec::new(),
            include_password: false,
            force_change: false,
            uncertain: false,
        }
    }

    /// A `Failed` step at `stage`, marked `uncertain` when the error leaves open whether a
    /// restore went through.
    pub fn failed(run: &str, id: &str, stage: Stage, error: &DirectoryError) -> Self {
        let mut e = Self::new(run, id, Step::Failed)
            .stage(stage)
            .detail(error.to_string());
        e.uncertain = stage == Stage::Restore && may_have_happened(error);
        e
    }

    pub fn upn(mut self, upn: &str) -> Self {
        self.upn = upn.to_string();
        self
    }

    pub fn display_name(mut self, name: &str) -> Self {
        self.display_name = name.to_string();
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn stage(mut self, stage: Stage) -> Self {
        self.stage = Some(stage);
        self
    }
}

/// Whether a call that ended in `error` may have taken effect anyway: no (complete) reply, a
/// 5xx that a gateway may have sent after the work was done, a reply we could not read, or a
/// 503. A 429 or any 4xx is a refusal: nothing happened.
pub fn may_have_happened(error: &DirectoryError) -> bool {
    match error.kind {
        ErrorKind::Network | ErrorKind::Server | ErrorKind::Malformed => true,
        ErrorKind::Throttled => error.status != Some(429),
        _ => false,
    }
}

/// Whether the restore itself is known to have happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreState {
    /// The journal says so.
    Restored,
    /// Planned, but the run died before the answer came: ask the directory.
    Unknown,
}

/// A user whose restore a run started but did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub run: String,
    pub id: String,
    pub display_name: String,
    /// The user name it was restored under (or planned to be).
    pub upn: String,
    pub restore: RestoreState,
    pub password_set: bool,
    pub mail_done: bool,
    pub mail_to: Vec<String>,
    pub include_password: bool,
    pub force_change: bool,
    pub since: DateTime<Utc>,
}

struct Inner {
    path: PathBuf,
    file: Mutex<File>,
}

/// Append-only, shared by the tasks of a run; clones write to the same file.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

impl Journal {
    /// Opens (creating, mode 0600 on unix) `<data_dir>/journal.jsonl`.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let path = data_dir.join(FILE_NAME);
        let file = open_private_append(&path)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                file: Mutex::new(file),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Appends one entry as a single write, so a crash leaves whole lines behind.
    pub fn record(&self, entry: &Entry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut file = self
            .inner
            .file
            .lock()
            .map_err(|_| io::Error::other("journal lock poisoned"))?;
        // Unbuffered: once `write_all` returns the line is in the kernel and survives the
        // process dying. No fsync per step: it would cost more than the restore on bulk runs,
        // and a power cut is not the failure this journal is for.
        file.write_all(&line)
    }

    /// Every entry, oldest first. A torn or foreign line is skipped, not fatal: the rest of
    /// the journal is still worth reading.
    pub fn entries(&self) -> io::Result<Vec<Entry>> {
        read_json_lines(&self.inner.path)
    }

    /// Users a run restored (or may have restored) without setting the password or settling
    /// the sign-in mail, oldest first.
    pub fn unfinished(&self) -> io::Result<Vec<Unfinished>> {
        Ok(unfinished_of(&self.entries()?))
    }
}

/// Folds the entries per user: a `Planned` starts over, later steps fill in, `Closed` and a
/// failure before anything changed end it.
pub fn unfinished_of(entries: &[Entry]) -> Vec<Unfinished> {
    let mut open: HashMap<&str, Unfinished> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for e in entries {
        match e.step {
            Step::Planned => {
                if !open.contains_key(e.id.as_str()) {
                    order.push(&e.id);
                }
                open.insert(
                    &e.id,
                    Unfinished {
                        run: e.run.clone(),
                        id: e.id.clone(),
                        display_name: e.display_name.clone(),
                        upn: e.upn.clone(),
                        restore: RestoreState::Unknown,
                        password_set: false,
                        mail_done: false,
                        mail_to: e.mail_to.clone(),
                        include_password: e.include_password,
                        force_change: e.force_change,
                        since: e.at,
                    },
                );
            }
            Step::Closed => {
                open.remove(e.id.as_str());
            }
            Step::Failed
                if matches!(e.stage, Some(Stage::Preflight | Stage::Restore)) && !e.uncertain =>
            {
                // Nothing changed in the directory: nothing to finish.
                open.remove(e.id.as_str());
            }
            step => {
                let Some(u) = open.get_mut(e.id.as_str()) else {
                    continue;
                };
                match step {
                    Step::Restored => {
                        u.restore = RestoreState::Restored;
                        if !e.upn.is_empty() {
                            u.upn = e.upn.clone();
                        }
                    }
                    Step::PasswordSet => u.password_set = true,
                    Step::MailSent | Step::MailSkipped => u.mail_done = true,
                    _ => {}
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| open.remove(id))
        .filter(|u| !(u.restore == RestoreState::Restored && u.password_set && u.mail_done))
        .collect()
}

/// The JSON lines of a file that parse as `T`. Lines are split as bytes: a line torn by a crash
/// in the middle of a multi-byte character is not UTF-8, and must cost only itself.
pub(crate) fn read_json_lines<T: serde::de::DeserializeOwned>(path: &Path) -> io::Result<Vec<T>> {
    let mut bytes = Vec::new();
    File::open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect())
}

/// Opens for appending, creating the file (and its directory) private to the user. A file left
/// by a crash in mid-line gets its line ended first, so the next entry is not glued to it.
pub(crate) fn open_private_append(path: &Path) -> io::Result<File> {
    let mut file = open_private(path)?;
    let len = file.metadata()?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        let mut reader = File::open(path)?;
        reader.seek(SeekFrom::Start(len - 1))?;
        reader.read_exact(&mut last)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
        }
    }
    Ok(file)
}

fn open_private(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        // A file created earlier by something else may be wider open than it should be.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        options.open(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(id: &str) -> Entry {
        let mut e = Entry::new("r1", id, Step::Planned)
            .upn(&format!("{id}@contoso.com"))
            .display_name(id);
        e.mail_to = vec!["admin@contoso.com".into()];
        e.force_change = true;
        e
    }

    #[test]
    fn a_complete_run_leaves_nothing() {
        let entries = vec![
            planned("a"),
            Entry::new("r1", "a", Step::Restored).upn("a@contoso.com"),
            Entry::new("r1", "a", Step::PasswordSet),
            Entry::new("r1", "a", Step::MailSent),
        ];
        assert!(unfinished_of(&entries).is_empty());
    }

    #[test]
    fn each_missing_step_is_found() {
        let entries = vec![
            planned("a"),
            planned("b"),
            planned("c"),
            planned("d"),
            Entry::new("r1", "a", Step::Restored).upn("a2@contoso.com"),
            Entry::new("r1", "b", Step::Restored),
            Entry::new("r1", "b", Step::PasswordSet),
            Entry::new("r1", "c", Step::Failed).stage(Stage::Restore),
        ];
        let u = unfinished_of(&entries);
        let ids: Vec<&str> = u.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b", "d"]);
        assert_eq!(u[0].restore, RestoreState::Restored);
        assert_eq!(u[0].upn, "a2@contoso.com");
        assert!(!u[0].password_set);
        assert!(u[1].password_set && !u[1].mail_done);
        assert_eq!(u[2].restore, RestoreState::Unknown);
        assert_eq!(u[2].mail_to, vec!["admin@contoso.com".to_string()]);
        assert!(u[2].force_change);
    }

    #[test]
    fn a_restore_that_may_have_happened_stays_open() {
        let lost = DirectoryError::network("the connection was lost before a reply");
        let conflict = DirectoryError::new(ErrorKind::UpnConflict, "taken");
        let mut refused = DirectoryError::new(ErrorKind::Throttled, "slow down");
        refused.status = Some(429);
        let entries = vec![
            planned("a"),
            planned("b"),
            planned("c"),
            Entry::failed("r1", "a", Stage::Restore, &lost),
            Entry::failed("r1", "b", Stage::Restore, &conflict),
            Entry::failed("r1", "c", Stage::Restore, &refused),
        ];
        let u = unfinished_of(&entries);
        let ids: Vec<&str> = u.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, vec!["a"], "only the lost reply is left to ask about");
        assert_eq!(u[0].restore, RestoreState::Unknown);
        // And the flag survives the file.
        let line = serde_json::to_string(&entries[3]).unwrap();
        let back: Entry = serde_json::from_str(&line).unwrap();
        assert!(back.uncertain);
        assert!(
            !serde_json::to_string(&entries[4])
                .unwrap()
                .contains("uncertain")
        );
    }

    #[test]
    fn closed_and_skipped_end_it() {
        let entries = vec![
            planned("a"),
            Entry::new("r1", "a", Step::Restored),
            Entry::new("r2", "a", Step::Closed),
            planned("b"),
            Entry::new("r1", "b", Step::Restored),
            Entry::new("r1", "b", Step::PasswordSet),
            Entry::new("r1", "b", Step::MailSkipped),
        ];
        assert!(unfinished_of(&entries).is_empty());
    }

    #[test]
    fn file_round_trip_skips_torn_lines() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        j.record(&planned("a")).unwrap();
        {
            // A crash mid-write leaves half a line, cut inside a character ("Zoë").
            let mut f = open_private_append(j.path()).unwrap();
            f.write_all(b"{\"at\":\"2026-11-25T01:00:00Z\",\"display_name\":\"Zo\xc3")
                .unwrap();
        }
        // The next run opens the journal and writes on.
        let j = Journal::open(dir.path()).unwrap();
        j.record(&Entry::new("r1", "a", Step::Restored)).unwrap();
        assert_eq!(j.entries().unwrap().len(), 2);
        let u = j.unfinished().unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].restore, RestoreState::Restored);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(j.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
