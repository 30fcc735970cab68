//! One owner per directory: a run that may change a directory (`restore`, `finish`, `purge`,
//! the TUI for its whole session) holds an advisory lock on `journal.lock` in that
//! directory's books folder (see `books::Books`).
//!
//! Without it two runs took each other's users for interrupted ones: a second `finish` reset
//! the passwords a live run had just set and was about to mail. The lock is the OS's (`flock`
//! on unix, `LockFileEx` on Windows), so it goes away with the process however it ends; the
//! file itself says who holds it (pid, start time, and what it is doing: open, or restoring N
//! users), for the one that has to wait. A file that still names an owner when the lock is
//! free was left by a run that died: the next run takes over, says so, and notes it in the
//! journal.
//!
//! An advisory lock is only as good as the path that names it: a lock file deleted (or
//! replaced) under a holder lets the next run lock a new file at the same path. So a holder
//! checks that the path still names the file it locked (device and inode) after locking,
//! before each write step and, in the TUI, every few seconds (`LockSlot::ensure_held`); a
//! missing file is made again and locked, and if another run got the new one first, the holder
//! stops writing and says so.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};

use super::journal::Journal;
use crate::data_dir::open_nofollow;

pub const FILE_NAME: &str = "journal.lock";

/// How often a waiting run tries again. Short enough that a queued run starts soon after the
/// other ends; a try is one system call.
const POLL: Duration = Duration::from_millis(100);

/// The owner line is written padded to this length in one write, so a reader never sees half
/// of a new line glued to the end of an old one.
const LINE_LEN: usize = 480;

/// Tries at taking a lock whose file keeps being replaced under us, before giving up.
const TRIES: usize = 5;

/// What the holder is doing, as its lock file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Doing {
    /// The TUI is open and idle: nothing is being written.
    Open,
    Restoring,
    /// Finishing interrupted restores (`finish`, `F`).
    Finishing,
    /// Sending sign-in mail (the result screen).
    Mailing,
    Purging,
}

/// Who holds (or held) the lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub pid: u32,
    pub since: DateTime<Utc>,
    /// `restore`, `finish`, `purge`, `tui`.
    #[serde(default)]
    pub command: String,
    /// `None` in a file written by an earlier version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doing: Option<Doing>,
    /// How many users the current work is for, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<usize>,
}

impl Owner {
    /// "pid 4242, since 2026-11-25 14:03:07": what the admin needs to find the other run.
    pub fn describe(&self) -> String {
        format!(
            "pid {}, since {}",
            self.pid,
            self.since.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S")
        )
    }

    /// What it is doing, as a verb phrase: "is open, not restoring", "is restoring 3 users".
    pub fn activity(&self) -> String {
        let users = |n: Option<usize>| match n {
            Some(1) => " 1 user".to_string(),
            Some(n) => format!(" {n} users"),
            None => String::new(),
        };
        match self.doing {
            Some(Doing::Open) => "is open, not restoring".to_string(),
            Some(Doing::Restoring) => format!("is restoring{}", users(self.users)),
            Some(Doing::Finishing) => "is finishing interrupted restores".to_string(),
            Some(Doing::Mailing) => "is sending sign-in mail".to_string(),
            Some(Doing::Purging) => format!("is purging{}", users(self.users)),
            None if !self.command.is_empty() && self.command != "tui" => {
                format!("is running `undelete {}`", self.command)
            }
            None => "is running".to_string(),
        }
    }

    /// What a command that starts holding the lock is doing.
    fn doing_for(command: &str) -> Option<Doing> {
        match command {
            "tui" => Some(Doing::Open),
            "restore" => Some(Doing::Restoring),
            "finish" => Some(Doing::Finishing),
            "purge" => Some(Doing::Purging),
            _ => None,
        }
    }
}

/// The lock is held by someone else. `owner` is `None` when the file does not say who (its
/// owner is still writing it, or the platform does not let a locked file be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub owner: Option<Owner>,
    pub path: PathBuf,
}

impl Busy {
    /// For the commands' stderr: "a run is in progress (pid N, since T; it is restoring 6
    /// users)", or "an undelete app is open on this directory (pid N, since T)".
    pub fn in_progress(&self) -> String {
        match &self.owner {
            Some(o) if o.doing == Some(Doing::Open) => format!(
                "an undelete app is open on this directory ({}), not restoring, and holds it \
                 until it is closed",
                o.describe()
            ),
            Some(o) => format!(
                "a run is in progress ({}; it {})",
                o.describe(),
                o.activity()
            ),
            None => format!(
                "a run is in progress (another undelete holds the books in {})",
                self.path.parent().unwrap_or(&self.path).display()
            ),
        }
    }

    /// "another undelete (pid N, since T)": for sentences of the TUI.
    pub fn other(&self) -> String {
        match &self.owner {
            Some(o) => format!("another undelete ({})", o.describe()),
            None => "another undelete".to_string(),
        }
    }

    /// The TUI's line about the holder, what it does first (a narrow screen cuts the end):
    /// "another undelete (pid N) is restoring 3 users on this directory, since T".
    pub fn holder_line(&self) -> String {
        match &self.owner {
            Some(o) => {
                let doing = match o.doing {
                    Some(Doing::Open) => "is open on this directory, not restoring".to_string(),
                    _ => format!("{} on this directory", o.activity()),
                };
                format!(
                    "another undelete (pid {}) {doing}, since {}",
                    o.pid,
                    o.since.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S")
                )
            }
            None => format!("{} holds this directory", self.other()),
        }
    }
}

/// How a check of a held lock came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// The path still names the locked file.
    Held,
    /// The file was gone or replaced, nobody held the new one, and now this run does.
    Relocked,
}

/// The held lock; released when dropped (or when the process ends, however).
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
    path: PathBuf,
    owner: Owner,
    took_over: Option<Owner>,
    /// The books' folder itself, locked too (unix): deleting the lock file then does not let a
    /// second run in, not even before the holder's next check; only removing the whole folder,
    /// journal and all, would. `None` where the folder cannot be locked (some network file
    /// systems): the lock file alone guards it there.
    _folder: Option<File>,
}

impl DataDirLock {
    /// Takes the lock of the books in `folder` if it is free; never waits. A leftover owner in
    /// the file is taken over (see `took_over`) and noted in the journal of `folder`.
    pub fn try_acquire(folder: &Path, command: &str) -> io::Result<Result<Self, Busy>> {
        let path = folder.join(FILE_NAME);
        let folder_lock = match lock_folder(folder) {
            Ok(lock) => lock,
            Err(()) => return Ok(Err(busy_at(&path))),
        };
        let mut file = match lock_path(&path)? {
            Ok(file) => file,
            Err(busy) => return Ok(Err(busy)),
        };
        // The OS lock was free: whoever the file still names is gone, since a live owner would
        // hold the lock and one that ended normally empties the file.
        let took_over = read_owner(&mut file);
        let owner = Owner {
            pid: std::process::id(),
            since: Utc::now(),
            command: command.to_string(),
            doing: Owner::doing_for(command),
            users: None,
        };
        write_owner(&mut file, &owner)?;
        if let Some(old) = &took_over {
            // A note line, not an `Entry`: the fold skips it, a reader of the file sees it.
            Journal::open(folder)?.note(
                "lock_taken_over",
                &format!(
                    "{command} (pid {}) took over the directory from pid {} ({}, since {}), \
                     which is no longer running",
                    owner.pid,
                    old.pid,
                    if old.command.is_empty() {
                        "undelete"
                    } else {
                        &old.command
                    },
                    old.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            )?;
        }
        Ok(Ok(Self {
            file,
            path,
            owner,
            took_over,
            _folder: folder_lock,
        }))
    }

    /// Takes the lock, waiting up to `wait` for another run to end; `on_wait` is called once,
    /// when the first try finds it busy (to say so before the silence). `Err(Busy)` when it is
    /// still held after `wait` (at once for a zero `wait`).
    pub async fn acquire(
        folder: &Path,
        command: &str,
        wait: Duration,
        mut on_wait: impl FnMut(&Busy),
    ) -> io::Result<Result<Self, Busy>> {
        let deadline = Instant::now() + wait;
        let mut told = false;
        loop {
            let busy = match Self::try_acquire(folder, command)? {
                Ok(lock) => return Ok(Ok(lock)),
                Err(busy) => busy,
            };
            let now = Instant::now();
            if now >= deadline {
                return Ok(Err(busy));
            }
            if !told {
                told = true;
                on_wait(&busy);
            }
            tokio::time::sleep(POLL.min(deadline - now)).await;
        }
    }

    /// Whether another process holds the lock of the books in `folder` right now, without
    /// taking it for longer than the probe (and without taking over a stale one: that is for a
    /// run to do). `None` when it is free or there is no lock file.
    pub fn holder(folder: &Path) -> Option<Busy> {
        let path = folder.join(FILE_NAME);
        if folder_held(folder) {
            return Some(busy_at(&path));
        }
        let mut file = open_nofollow(&path, OpenOptions::new().read(true)).ok()?;
        match fs4::FileExt::try_lock_shared(&file) {
            Ok(()) => {
                let _ = fs4::FileExt::unlock(&file);
                None
            }
            Err(fs4::TryLockError::WouldBlock) => Some(Busy {
                owner: read_owner(&mut file),
                path,
            }),
            Err(fs4::TryLockError::Error(_)) => None,
        }
    }

    /// Checks that the path still names the locked file. A file deleted or replaced is made
    /// again and locked (`Relocked`); `Err(Busy)` when another run locked the new one first:
    /// this lock then guards nothing, and its holder must stop writing.
    pub fn verify(&mut self) -> io::Result<Result<Verified, Busy>> {
        if same_file(&self.file, &self.path)? {
            return Ok(Ok(Verified::Held));
        }
        let mut file = match lock_path(&self.path)? {
            Ok(file) => file,
            Err(busy) => return Ok(Err(busy)),
        };
        write_owner(&mut file, &self.owner)?;
        // The old file (unlinked, or renamed away) is closed, and its lock with it.
        self.file = file;
        tracing::warn!(
            target: "undelete::books",
            path = %self.path.display(),
            "the lock file was deleted or replaced while held; made again and locked"
        );
        Ok(Ok(Verified::Relocked))
    }

    /// Says in the lock file what this holder is doing now (a TUI starting or ending a run).
    pub fn set_doing(&mut self, doing: Doing, users: Option<usize>) -> io::Result<()> {
        self.owner.doing = Some(doing);
        self.owner.users = users;
        write_owner(&mut self.file, &self.owner)
    }

    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    /// The owner that died holding the directory, when this lock took it over.
    pub fn took_over(&self) -> Option<&Owner> {
        self.took_over.as_ref()
    }

    /// "took over from pid N, which is no longer running", when it did.
    pub fn took_over_message(&self) -> Option<String> {
        self.took_over.as_ref().map(|o| {
            format!(
                "took over the directory from pid {} (since {}), which is no longer running",
                o.pid,
                o.since.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S")
            )
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        // Emptied before it is unlocked: a file that still names an owner then always means
        // one that died, never one that ended well.
        let _ = self.file.set_len(0);
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

/// The lock a session holds, shared by everything that writes for it (its journal and audit
/// log carry a clone): empty until the session takes the lock, and again once it lost it.
#[derive(Clone, Debug, Default)]
pub struct LockSlot(Arc<Mutex<Option<DataDirLock>>>);

/// Why a run may not write (any more): its lock was never taken, or was taken from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotHeld(pub String);

impl LockSlot {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<DataDirLock>> {
        // A panic while holding it cannot leave the option half-written.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Puts a taken lock in the slot; it stays there until the returned `Held` is dropped.
    pub fn hold(&self, lock: DataDirLock) -> Held {
        *self.slot() = Some(lock);
        Held { slot: self.clone() }
    }

    pub fn is_held(&self) -> bool {
        self.slot().is_some()
    }

    /// The check before a write step: the lock is held and its path still names it (made
    /// again when it was deleted). When another run took it, the lock is let go and the reason
    /// comes back in words.
    pub fn ensure_held(&self) -> Result<Option<Verified>, NotHeld> {
        let mut slot = self.slot();
        let Some(lock) = slot.as_mut() else {
            return Err(NotHeld(
                "this run does not hold the directory's lock, so it writes nothing".into(),
            ));
        };
        match lock.verify() {
            Ok(Ok(v)) => Ok(Some(v)),
            Ok(Err(busy)) => {
                let path = lock.path().display().to_string();
                *slot = None;
                Err(NotHeld(format!(
                    "the lock file {path} was deleted or replaced while this run held it, and \
                     {} took the directory since: this run stops writing so two runs never \
                     work on the same users",
                    busy.other()
                )))
            }
            Err(e) => {
                let why = format!(
                    "the lock file {} cannot be checked ({e}): this run stops writing",
                    lock.path().display()
                );
                // Not knowing, it writes nothing more: the lock goes with it, so the next
                // check (or another run) starts from a clean state.
                *slot = None;
                Err(NotHeld(why))
            }
        }
    }

    /// Says in the lock file what the holder is doing; nothing when it holds no lock.
    pub fn set_doing(&self, doing: Doing, users: Option<usize>) {
        if let Some(lock) = self.slot().as_mut()
            && let Err(e) = lock.set_doing(doing, users)
        {
            tracing::warn!(target: "undelete::books", error = %e, "could not update the lock file");
        }
    }

    /// `took_over_message` of the lock held.
    pub fn took_over_message(&self) -> Option<String> {
        self.slot()
            .as_ref()
            .and_then(DataDirLock::took_over_message)
    }
}

/// A lock in its slot; dropping it releases the lock.
#[derive(Debug)]
pub struct Held {
    slot: LockSlot,
}

impl Held {
    pub fn slot(&self) -> &LockSlot {
        &self.slot
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.slot.slot().take();
    }
}

/// Locks the books' folder (an exclusive `flock` on the directory): `Ok(None)` where the file
/// system cannot lock a directory, `Err(())` when another run holds it.
#[cfg(unix)]
fn lock_folder(folder: &Path) -> Result<Option<File>, ()> {
    let Ok(dir) = File::open(folder) else {
        return Ok(None);
    };
    match fs4::FileExt::try_lock(&dir) {
        Ok(()) => Ok(Some(dir)),
        Err(fs4::TryLockError::WouldBlock) => Err(()),
        Err(fs4::TryLockError::Error(e)) => {
            tracing::debug!(target: "undelete::books", error = %e, "the books' folder cannot be locked; the lock file alone guards it");
            Ok(None)
        }
    }
}

#[cfg(not(unix))]
fn lock_folder(_: &Path) -> Result<Option<File>, ()> {
    Ok(None)
}

/// Whether another run holds the books' folder (a probe that takes nothing).
#[cfg(unix)]
fn folder_held(folder: &Path) -> bool {
    let Ok(dir) = File::open(folder) else {
        return false;
    };
    match fs4::FileExt::try_lock_shared(&dir) {
        Ok(()) => {
            let _ = fs4::FileExt::unlock(&dir);
            false
        }
        Err(fs4::TryLockError::WouldBlock) => true,
        Err(fs4::TryLockError::Error(_)) => false,
    }
}

#[cfg(not(unix))]
fn folder_held(_: &Path) -> bool {
    false
}

/// The run that holds the folder, as far as the lock file (read without locking it) says; the
/// file may be gone (deleted under its holder), and then it says nobody.
fn busy_at(path: &Path) -> Busy {
    let owner = open_nofollow(path, OpenOptions::new().read(true))
        .ok()
        .and_then(|mut f| read_owner(&mut f));
    Busy {
        owner,
        path: path.to_path_buf(),
    }
}

/// Opens and locks the file at `path`, making sure the path still names the locked file (it
/// may have been deleted or replaced between the open and the lock).
fn lock_path(path: &Path) -> io::Result<Result<File, Busy>> {
    for _ in 0..TRIES {
        let mut file = open_lock_file(path)?;
        // Fully qualified: since Rust 1.89 `File` has an inherent `try_lock` that would win
        // method lookup, and the crate promises 1.88.
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Ok(Err(Busy {
                    owner: read_owner(&mut file),
                    path: path.to_path_buf(),
                }));
            }
            Err(fs4::TryLockError::Error(e)) => return Err(e),
        }
        if same_file(&file, path)? {
            return Ok(Ok(file));
        }
    }
    Err(io::Error::other(format!(
        "the lock file {} keeps being replaced: something else is working in this folder",
        path.display()
    )))
}

/// Whether `path` names `file` (same device and inode), without following a link.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file.metadata()?;
    match std::fs::symlink_metadata(path) {
        Ok(named) => Ok(held.dev() == named.dev() && held.ino() == named.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Windows does not let a file that is open be deleted or replaced: the path is the file.
#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> io::Result<bool> {
    Ok(path.exists())
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    open_nofollow(
        path,
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
}

/// Writes the owner line over the file's start in one write, padded to a fixed length.
fn write_owner(file: &mut File, owner: &Owner) -> io::Result<()> {
    let mut line = serde_json::to_vec(owner).map_err(io::Error::other)?;
    if line.len() < LINE_LEN {
        line.resize(LINE_LEN, b' ');
    }
    line.push(b'\n');
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&line)?;
    file.set_len(line.len() as u64)
}

fn read_owner(file: &mut File) -> Option<Owner> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    // Bounded: the file is ours, but a stray large file must not be read whole.
    file.take(4096).read_to_string(&mut text).ok()?;
    serde_json::from_str(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_owner_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::try_acquire(dir.path(), "restore")
            .unwrap()
            .expect("free");
        assert!(first.took_over().is_none());
        // A second open file description conflicts with the first, within one process too.
        let busy = DataDirLock::try_acquire(dir.path(), "finish")
            .unwrap()
            .expect_err("held");
        let owner = busy.owner.clone().expect("the file names the owner");
        assert_eq!(owner.pid, std::process::id());
        assert_eq!(owner.command, "restore");
        assert!(busy.in_progress().starts_with("a run is in progress (pid "));
        assert_eq!(DataDirLock::holder(dir.path()), Some(busy));

        let mut told = 0;
        let start = Instant::now();
        let waited = DataDirLock::acquire(dir.path(), "finish", Duration::from_millis(250), |_| {
            told += 1
        })
        .await
        .unwrap();
        assert!(waited.is_err());
        assert!(start.elapsed() >= Duration::from_millis(250));
        assert_eq!(told, 1, "said once, not on every try");

        drop(first);
        assert!(DataDirLock::holder(dir.path()).is_none());
        let second = DataDirLock::try_acquire(dir.path(), "finish")
            .unwrap()
            .expect("free again");
        assert!(
            second.took_over().is_none(),
            "a run that ended well is not taken over"
        );
    }

    #[tokio::test]
    async fn a_waiting_run_gets_the_lock_when_the_other_ends() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::try_acquire(dir.path(), "restore")
            .unwrap()
            .unwrap();
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            drop(first);
        });
        let got = DataDirLock::acquire(dir.path(), "finish", Duration::from_secs(10), |_| {})
            .await
            .unwrap();
        assert!(got.is_ok());
        release.await.unwrap();
    }

    #[test]
    fn a_dead_owner_is_taken_over_and_journaled() {
        let dir = tempfile::tempdir().unwrap();
        let dead = Owner {
            pid: 999_999_999,
            since: "2026-11-25T01:00:00Z".parse().unwrap(),
            command: "restore".into(),
            doing: None,
            users: None,
        };
        std::fs::write(
            dir.path().join(FILE_NAME),
            serde_json::to_string(&dead).unwrap(),
        )
        .unwrap();
        assert!(
            DataDirLock::holder(dir.path()).is_none(),
            "a leftover file is not a holder"
        );
        let lock = DataDirLock::try_acquire(dir.path(), "finish")
            .unwrap()
            .unwrap();
        assert_eq!(lock.took_over(), Some(&dead));
        assert!(
            lock.took_over_message()
                .unwrap()
                .contains("from pid 999999999")
        );
        let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
        assert!(journal.contains("lock_taken_over"), "{journal}");
        assert!(journal.contains("pid 999999999"), "{journal}");
        // The file now names this process.
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        let now: Owner = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(now.pid, std::process::id());
        drop(lock);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap(),
            ""
        );
    }

    #[test]
    fn the_file_says_what_the_holder_is_doing() {
        let dir = tempfile::tempdir().unwrap();
        let mut tui = DataDirLock::try_acquire(dir.path(), "tui")
            .unwrap()
            .unwrap();
        let busy = DataDirLock::holder(dir.path()).expect("held");
        assert!(
            busy.holder_line()
                .contains(") is open on this directory, not restoring, since "),
            "{}",
            busy.holder_line()
        );
        assert!(
            busy.in_progress()
                .starts_with("an undelete app is open on this directory (pid "),
            "{}",
            busy.in_progress()
        );
        tui.set_doing(Doing::Restoring, Some(3)).unwrap();
        let busy = DataDirLock::holder(dir.path()).expect("held");
        assert!(
            busy.holder_line()
                .contains(") is restoring 3 users on this directory, since "),
            "{}",
            busy.holder_line()
        );
        assert!(busy.in_progress().ends_with("; it is restoring 3 users)"));
        // A shorter line replaces a longer one whole.
        tui.set_doing(Doing::Open, None).unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        let owner: Owner = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(owner.doing, Some(Doing::Open));
        assert_eq!(owner.users, None);
        // A file of an earlier version says no more than it knows.
        let old: Owner =
            serde_json::from_str(r#"{"pid":7,"since":"2026-11-25T01:00:00Z","command":"finish"}"#)
                .unwrap();
        assert_eq!(old.activity(), "is running `undelete finish`");
    }

    #[test]
    fn a_deleted_lock_file_is_made_again_and_keeps_a_second_run_out() {
        let dir = tempfile::tempdir().unwrap();
        let slot = LockSlot::default();
        let held = slot.hold(
            DataDirLock::try_acquire(dir.path(), "restore")
                .unwrap()
                .unwrap(),
        );
        std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        // The holder's next check makes it again before anyone else comes.
        assert_eq!(slot.ensure_held(), Ok(Some(Verified::Relocked)));
        assert_eq!(slot.ensure_held(), Ok(Some(Verified::Held)));
        let busy = DataDirLock::try_acquire(dir.path(), "finish")
            .unwrap()
            .expect_err("the new file is held");
        assert_eq!(busy.owner.unwrap().command, "restore");
        drop(held);
        assert!(!slot.is_held());
        assert!(
            DataDirLock::try_acquire(dir.path(), "finish")
                .unwrap()
                .is_ok()
        );
    }

    #[test]
    fn a_holder_whose_file_another_run_took_stops_writing() {
        let dir = tempfile::tempdir().unwrap();
        let slot = LockSlot::default();
        let _held = slot.hold(
            DataDirLock::try_acquire(dir.path(), "tui")
                .unwrap()
                .unwrap(),
        );
        // Deleted, and before the holder checked, something that locks only the file (an
        // earlier version, a hand) made and locked a new one. A run of this version is kept out
        // by the folder's lock (the test below); this is what is left.
        let path = dir.path().join(FILE_NAME);
        std::fs::remove_file(&path).unwrap();
        let mut second = open_lock_file(&path).unwrap();
        fs4::FileExt::try_lock(&second).unwrap();
        let other = Owner {
            pid: 4242,
            since: Utc::now(),
            command: "finish".into(),
            doing: None,
            users: None,
        };
        write_owner(&mut second, &other).unwrap();
        let e = slot.ensure_held().unwrap_err().to_string();
        assert!(
            e.contains("was deleted or replaced while this run held it"),
            "{e}"
        );
        assert!(e.contains("stops writing"), "{e}");
        assert!(!slot.is_held(), "let go: it guards nothing any more");
        assert!(slot.ensure_held().unwrap_err().0.contains("does not hold"));
        // The second run's file is untouched by the one that lost.
        assert_eq!(
            DataDirLock::holder(dir.path())
                .unwrap()
                .owner
                .unwrap()
                .command,
            "finish"
        );
        drop(second);
    }

    #[cfg(unix)]
    #[test]
    fn a_run_is_kept_out_even_before_the_holder_notices_its_file_was_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let held = DataDirLock::try_acquire(dir.path(), "tui")
            .unwrap()
            .unwrap();
        std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        // The holder is idle and has not checked: the folder's lock still says it is held.
        let busy = DataDirLock::try_acquire(dir.path(), "finish")
            .unwrap()
            .expect_err("the folder is held");
        assert!(busy.owner.is_none(), "the file that named it is gone");
        assert!(
            busy.in_progress().contains("another undelete"),
            "{}",
            busy.in_progress()
        );
        assert!(DataDirLock::holder(dir.path()).is_some());
        drop(held);
        assert!(DataDirLock::holder(dir.path()).is_none());
        assert!(
            DataDirLock::try_acquire(dir.path(), "finish")
                .unwrap()
                .is_ok()
        );
    }

    #[test]
    fn a_replaced_lock_file_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let mut lock = DataDirLock::try_acquire(dir.path(), "restore")
            .unwrap()
            .unwrap();
        let path = dir.path().join(FILE_NAME);
        let other = dir.path().join("other");
        std::fs::write(&other, "").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(lock.verify().unwrap(), Ok(Verified::Relocked));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"command\":\"restore\""), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_lock_file_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep me").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(FILE_NAME)).unwrap();
        let e = DataDirLock::try_acquire(dir.path(), "restore").unwrap_err();
        assert!(e.to_string().contains("is a symbolic link"), "{e}");
        assert!(DataDirLock::holder(dir.path()).is_none());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    }
}
