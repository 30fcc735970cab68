//! The audit log: one JSON line per change made to a directory (restore, password, mail, purge),
//! with who did it, to what, how it ended and Graph's request id. Never a password.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::directory::DirectoryError;

use super::books::WriteFailed;
use super::journal::{open_private_append, read_json_lines};
use super::lock::{LockSlot, NotHeld};

pub const FILE_NAME: &str = "audit.jsonl";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: DateTime<Utc>,
    /// Which directory: "SANDBOX contoso.sandbox" or the tenant.
    pub directory: String,
    /// The signed-in admin (or the app, for app-only sign-in).
    pub actor: String,
    /// `restore`, `set_password`, `send_mail`, `purge`.
    pub action: String,
    /// Object id, user name or recipients, as fits the action.
    pub target: String,
    /// `ok`, or `failed: <message>`.
    pub outcome: String,
    #[serde(rename = "request-id", default)]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

struct Inner {
    path: PathBuf,
    directory: String,
    actor: String,
    file: Mutex<File>,
}

/// Append-only audit log; clones write to the same file.
#[derive(Clone)]
pub struct Audit {
    inner: Arc<Inner>,
    /// As the journal's: the lock a change must be made under (`None` on its own).
    guard: Option<LockSlot>,
}

impl Audit {
    /// Opens (creating, mode 0600 on unix, never through a symbolic link)
    /// `<folder>/audit.jsonl` for changes made to `directory` by `actor`, where `folder` is a
    /// directory's books folder.
    pub fn open(folder: &Path, directory: &str, actor: &str) -> io::Result<Self> {
        let path = folder.join(FILE_NAME);
        let file = open_private_append(&path)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                directory: directory.to_string(),
                actor: actor.to_string(),
                file: Mutex::new(file),
            }),
            guard: None,
        })
    }

    /// This audit log, guarded by the directory's lock as the journal is (`Journal::guarded_by`).
    pub fn guarded_by(mut self, slot: LockSlot) -> Self {
        self.guard = Some(slot);
        self
    }

    /// The check before a change that only the audit log records (a purge): see
    /// `Journal::ensure_held`.
    pub fn ensure_held(&self) -> Result<(), NotHeld> {
        match &self.guard {
            None => Ok(()),
            Some(slot) => slot.ensure_held().map(|_| ()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Records one change and how it ended (a failure with its request-id).
    pub fn record(
        &self,
        action: &str,
        target: &str,
        result: Result<(), &DirectoryError>,
        detail: Option<String>,
    ) -> Result<(), WriteFailed> {
        self.record_with_id(action, target, result.map(|()| None), detail)
    }

    /// `record`, where a change that went through comes with Graph's request-id.
    pub fn record_with_id(
        &self,
        action: &str,
        target: &str,
        result: Result<Option<&str>, &DirectoryError>,
        detail: Option<String>,
    ) -> Result<(), WriteFailed> {
        let (outcome, request_id) = match result {
            Ok(id) => ("ok".to_string(), id.map(str::to_string)),
            Err(e) => (format!("failed: {}", e.message), e.request_id.clone()),
        };
        let entry = AuditEntry {
            time: Utc::now(),
            directory: self.inner.directory.clone(),
            actor: self.inner.actor.clone(),
            action: action.to_string(),
            target: target.to_string(),
            outcome,
            request_id,
            detail,
        };
        self.append(&entry)
            .map_err(|e| WriteFailed::new("audit log", self.path(), e))
    }

    fn append(&self, entry: &AuditEntry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut file = self
            .inner
            .file
            .lock()
            .map_err(|_| io::Error::other("audit lock poisoned"))?;
        file.write_all(&line)
    }

    /// Every entry, oldest first (torn lines skipped).
    pub fn entries(&self) -> io::Result<Vec<AuditEntry>> {
        read_json_lines(&self.inner.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::ErrorKind;

    #[test]
    fn records_success_and_failure_with_request_id() {
        let dir = tempfile::tempdir().unwrap();
        let audit = Audit::open(dir.path(), "SANDBOX contoso.sandbox", "admin@contoso").unwrap();
        audit.record("restore", "id-1", Ok(()), None).unwrap();
        audit
            .record_with_id("set_password", "id-1", Ok(Some("req-1")), None)
            .unwrap();
        let mut err = DirectoryError::new(ErrorKind::NotFound, "gone");
        err.request_id = Some("req-9".into());
        audit.record("purge", "id-2", Err(&err), None).unwrap();
        let entries = audit.entries().unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].outcome, "ok");
        assert_eq!(entries[0].actor, "admin@contoso");
        assert_eq!(entries[1].outcome, "ok");
        assert_eq!(entries[1].request_id.as_deref(), Some("req-1"));
        assert_eq!(entries[2].outcome, "failed: gone");
        assert_eq!(entries[2].request_id.as_deref(), Some("req-9"));
        let raw = std::fs::read_to_string(audit.path()).unwrap();
        assert!(raw.contains("\"request-id\":\"req-9\""));
    }
}
