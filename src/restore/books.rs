//! A directory's books (journal, audit log, lock) and where they live; and what a failed
//! write to them becomes.
//!
//! What a failed write to the journal or the audit log becomes: an error that names the file
//! and the cause, logged once where it happens, and handed back so the caller can say it to
//! the admin (status line, warning, stderr). Never dropped: a journal line that is missing
//! means an interrupted run is not found later, an audit line that is missing means a change
//! nobody can account for.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::audit::Audit;
use super::journal::{Journal, Pending};
use super::lock::{Busy, DataDirLock, LockSlot};
use super::restored::RestoredUser;
use crate::data_dir::{DirectoryId, open_nofollow};

/// A journal or audit-log write that did not happen.
#[derive(Debug, thiserror::Error)]
#[error("the {book} ({path}) could not be written: {source}")]
pub struct WriteFailed {
    pub book: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl WriteFailed {
    pub(crate) fn new(book: &'static str, path: &Path, source: io::Error) -> Self {
        let e = Self {
            book,
            path: path.to_path_buf(),
            source,
        };
        tracing::error!(target: "undelete::books", "{e}");
        e
    }
}

impl From<WriteFailed> for io::Error {
    fn from(e: WriteFailed) -> Self {
        io::Error::new(e.source.kind(), e.to_string())
    }
}

/// The books of one directory: its folder under the data dir
/// (`<data dir>/directories/<slug>/`) with `journal.jsonl`, `audit.jsonl`, `journal.lock` and
/// `directory.json`, which says which directory the folder is for. Everything that reads or
/// writes a directory's books goes through here, so a run sees only the directory it is on.
#[derive(Debug, Clone)]
pub struct Books {
    directory: DirectoryId,
    folder: PathBuf,
    /// How the directory was labelled when first seen, for `directory.json`.
    label: String,
}

/// The file in each books folder that says which directory the folder is for.
pub const DESCRIPTION: &str = "directory.json";

/// `directory.json`: what a person (or a later run) needs to tell the folders apart.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Description {
    /// `DirectoryId::key`: the folder is for this directory and no other.
    directory: String,
    /// "the built-in sandbox", or "tenant … at https://…".
    describe: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    root: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant_id: Option<String>,
    label: String,
    first_seen: DateTime<Utc>,
}

impl Books {
    /// The books of `directory` in `data_dir` (nothing is created until something is written).
    pub fn new(data_dir: &Path, directory: &DirectoryId, label: &str) -> Self {
        Self {
            folder: data_dir
                .join(crate::data_dir::DIRECTORIES)
                .join(directory.slug()),
            directory: directory.clone(),
            label: label.to_string(),
        }
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    pub fn directory(&self) -> &DirectoryId {
        &self.directory
    }

    /// Creates the folder (and `directories/`) owner-only and says in `directory.json` what it
    /// is for; refuses a folder others may write to, a link, or one another directory's
    /// `directory.json` claims.
    pub fn prepare(&self) -> io::Result<()> {
        if let Some(parent) = self.folder.parent() {
            crate::data_dir::create_private(parent, false)?;
        }
        crate::data_dir::create_private(&self.folder, false)?;
        let path = self.folder.join(DESCRIPTION);
        match read_capped(&path) {
            Ok(text) => {
                let found: Description = serde_json::from_slice(&text).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{} cannot be read ({e}): it says which directory the folder is \
                             for; move the folder away if it is not one of undelete's",
                            path.display()
                        ),
                    )
                })?;
                if found.directory != self.directory.key() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "the folder {} is for {} ({}), not for {}: its books are not this \
                             directory's",
                            self.folder.display(),
                            found.describe,
                            found.directory,
                            self.directory.describe()
                        ),
                    ));
                }
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => self.describe_folder(&path),
            Err(e) => Err(e),
        }
    }

    fn describe_folder(&self, path: &Path) -> io::Result<()> {
        let (root, tenant_id) = match &self.directory {
            DirectoryId::BuiltInSandbox => (None, None),
            DirectoryId::SandboxTenant { domain } => (None, Some(domain.clone())),
            DirectoryId::Graph { root, tenant } => (Some(root.clone()), Some(tenant.clone())),
        };
        let description = Description {
            directory: self.directory.key(),
            describe: self.directory.describe(),
            root,
            tenant_id,
            label: undelete_common::sanitize::clean(&self.label),
            first_seen: Utc::now(),
        };
        let mut text = serde_json::to_vec_pretty(&description).map_err(io::Error::other)?;
        text.push(b'\n');
        // Written whole under another name, then renamed: a reader never sees half of it.
        let tmp = self
            .folder
            .join(format!(".{DESCRIPTION}.{}.tmp", std::process::id()));
        let written = open_nofollow(&tmp, OpenOptions::new().write(true).create_new(true))
            .and_then(|mut f| f.write_all(&text))
            .and_then(|()| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    /// The journal, created if missing; its writers check `slot` before each change.
    pub fn journal(&self, slot: &LockSlot) -> io::Result<Journal> {
        self.prepare()?;
        Ok(Journal::open(&self.folder)?.guarded_by(slot.clone()))
    }

    /// The audit log, created if missing, its lines naming `label` and `actor`.
    pub fn audit(&self, actor: &str, slot: &LockSlot) -> io::Result<Audit> {
        self.prepare()?;
        Ok(Audit::open(&self.folder, &self.label, actor)?.guarded_by(slot.clone()))
    }

    /// Takes the directory's lock, waiting up to `wait` (see `DataDirLock::acquire`).
    pub async fn lock(
        &self,
        command: &str,
        wait: Duration,
        on_wait: impl FnMut(&Busy),
    ) -> io::Result<Result<DataDirLock, Busy>> {
        self.prepare()?;
        DataDirLock::acquire(&self.folder, command, wait, on_wait).await
    }

    /// Takes the directory's lock if it is free, at once.
    pub fn try_lock(&self, command: &str) -> io::Result<Result<DataDirLock, Busy>> {
        self.prepare()?;
        DataDirLock::try_acquire(&self.folder, command)
    }

    /// Who holds the directory's lock, if anyone else does.
    pub fn holder(&self) -> Option<Busy> {
        DataDirLock::holder(&self.folder)
    }

    /// The directory's unfinished restores, without creating anything.
    pub fn pending(&self) -> io::Result<Vec<Pending>> {
        super::journal::pending_in(&self.folder)
    }

    /// The directory's restored users, without creating anything.
    pub fn restored(&self) -> io::Result<Vec<RestoredUser>> {
        super::restored::restored_in(&self.folder)
    }
}

/// A small file read whole, never through a link; one past the cap is refused.
fn read_capped(path: &Path) -> io::Result<Vec<u8>> {
    const CAP: u64 = 64 * 1024;
    let mut text = Vec::new();
    open_nofollow(path, OpenOptions::new().read(true))?
        .take(CAP + 1)
        .read_to_end(&mut text)?;
    if text.len() as u64 > CAP {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is larger than {CAP} bytes", path.display()),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(port: u16) -> DirectoryId {
        DirectoryId::graph(
            &url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
            "5f1e2d3c-0000-4000-8000-000000000001",
        )
    }

    #[test]
    fn each_directory_keeps_its_own_books_and_says_what_it_is() {
        let data = tempfile::tempdir().unwrap();
        let sandbox = Books::new(data.path(), &DirectoryId::BuiltInSandbox, "SANDBOX contoso");
        let served = Books::new(data.path(), &graph(8080), "global · contoso");
        let slot = LockSlot::default();
        let j = sandbox.journal(&slot).unwrap();
        j.record(&super::super::journal::Entry::new(
            "r1",
            "a",
            super::super::journal::Step::Planned,
        ))
        .unwrap();
        assert_eq!(sandbox.pending().unwrap().len(), 1);
        assert!(
            served.pending().unwrap().is_empty(),
            "the other directory's books"
        );
        assert!(!served.folder().exists(), "reading creates nothing");
        served.prepare().unwrap();
        let text = std::fs::read_to_string(served.folder().join(DESCRIPTION)).unwrap();
        assert!(
            text.contains("\"directory\": \"http://127.0.0.1:8080|5f1e2d3c"),
            "{text}"
        );
        assert!(text.contains("\"firstSeen\""), "{text}");
        // The locks are apart too: one directory busy does not hold up another.
        let _held = sandbox.try_lock("tui").unwrap().unwrap();
        assert!(served.try_lock("restore").unwrap().is_ok());
        assert!(sandbox.holder().is_some() && served.holder().is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(served.folder()), 0o700);
            assert_eq!(mode(&data.path().join(crate::data_dir::DIRECTORIES)), 0o700);
        }
    }

    #[test]
    fn a_folder_another_directory_claims_is_refused() {
        let data = tempfile::tempdir().unwrap();
        let a = Books::new(data.path(), &graph(8080), "a");
        a.prepare().unwrap();
        // As if two keys met in one slug: the description tells them apart.
        let impostor = Books {
            directory: graph(9090),
            folder: a.folder().to_path_buf(),
            label: "b".into(),
        };
        let e = impostor.prepare().unwrap_err().to_string();
        assert!(e.contains("is for tenant 5f1e2d3c"), "{e}");
        assert!(e.contains("not for tenant"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_journal_is_refused_and_its_target_untouched() {
        let data = tempfile::tempdir().unwrap();
        let books = Books::new(data.path(), &DirectoryId::BuiltInSandbox, "SANDBOX");
        books.prepare().unwrap();
        let target = data.path().join("precious");
        std::fs::write(&target, "keep me").unwrap();
        std::os::unix::fs::symlink(
            &target,
            books.folder().join(super::super::journal::FILE_NAME),
        )
        .unwrap();
        let e = books
            .journal(&LockSlot::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("is a symbolic link"), "{e}");
        let e = books.pending().unwrap_err().to_string();
        assert!(e.contains("is a symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    }
}
