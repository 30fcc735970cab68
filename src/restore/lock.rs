//! One owner per data dir: a run that may change the directory (`restore`, `finish`, `purge`,
//! the TUI for its whole session) holds an advisory lock on `<data dir>/journal.lock`.
//!
//! Without it two runs took each other's users for interrupted ones: a second `finish` reset
//! the passwords a live run had just set and was about to mail. The lock is the OS's (`flock`
//! on unix, `LockFileEx` on Windows), so it goes away with the process however it ends; the
//! file itself says who holds it (pid and start time), for the one that has to wait. A file
//! that still names an owner when the lock is free was left by a run that died: the next run
//! takes over, says so, and notes it in the journal.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};

use super::journal::Journal;

pub const FILE_NAME: &str = "journal.lock";

/// How often a waiting run tries again. Short enough that a queued run starts soon after the
/// other ends; a try is one system call.
const POLL: Duration = Duration::from_millis(100);

/// Who holds (or held) the lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub pid: u32,
    pub since: DateTime<Utc>,
    /// `restore`, `finish`, `purge`, `tui`.
    #[serde(default)]
    pub command: String,
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
}

/// The lock is held by someone else. `owner` is `None` when the file does not say who (its
/// owner is still writing it, or the platform does not let a locked file be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub owner: Option<Owner>,
    pub path: PathBuf,
}

impl Busy {
    /// "a run is in progress (pid N, since T)".
    pub fn in_progress(&self) -> String {
        match &self.owner {
            Some(o) => format!("a run is in progress ({})", o.describe()),
            None => format!(
                "a run is in progress (another undelete holds {})",
                self.path.display()
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
}

/// The held lock; released when dropped (or when the process ends, however).
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
    path: PathBuf,
    owner: Owner,
    took_over: Option<Owner>,
}

impl DataDirLock {
    /// Takes the lock if it is free; never waits. A leftover owner in the file is taken over
    /// (see `took_over`) and noted in the journal of `data_dir`.
    pub fn try_acquire(data_dir: &Path, command: &str) -> io::Result<Result<Self, Busy>> {
        let path = data_dir.join(FILE_NAME);
        let mut file = open_lock_file(&path)?;
        // Fully qualified: since Rust 1.89 `File` has an inherent `try_lock` that would win
        // method lookup, and the crate promises 1.88.
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Ok(Err(Busy {
                    owner: read_owner(&mut file),
                    path,
                }));
            }
            Err(fs4::TryLockError::Error(e)) => return Err(e),
        }
        // The OS lock was free: whoever the file still names is gone, since a live owner would
        // hold the lock and one that ended normally empties the file.
        let took_over = read_owner(&mut file);
        let owner = Owner {
            pid: std::process::id(),
            since: Utc::now(),
            command: command.to_string(),
        };
        let mut line = serde_json::to_vec(&owner).map_err(io::Error::other)?;
        line.push(b'\n');
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&line)?;
        if let Some(old) = &took_over {
            // A note line, not an `Entry`: the fold skips it, a reader of the file sees it.
            Journal::open(data_dir)?.note(
                "lock_taken_over",
                &format!(
                    "{command} (pid {}) took over the data dir from pid {} ({}, since {}), \
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
        }))
    }

    /// Takes the lock, waiting up to `wait` for another run to end; `on_wait` is called once,
    /// when the first try finds it busy (to say so before the silence). `Err(Busy)` when it is
    /// still held after `wait` (at once for a zero `wait`).
    pub async fn acquire(
        data_dir: &Path,
        command: &str,
        wait: Duration,
        mut on_wait: impl FnMut(&Busy),
    ) -> io::Result<Result<Self, Busy>> {
        let deadline = Instant::now() + wait;
        let mut told = false;
        loop {
            let busy = match Self::try_acquire(data_dir, command)? {
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

    /// Whether another process holds the lock of `data_dir` right now, without taking it for
    /// longer than the probe (and without taking over a stale one: that is for a run to do).
    /// `None` when it is free or there is no lock file.
    pub fn holder(data_dir: &Path) -> Option<Busy> {
        let path = data_dir.join(FILE_NAME);
        let mut file = File::open(&path).ok()?;
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

    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    /// The owner that died holding the data dir, when this lock took it over.
    pub fn took_over(&self) -> Option<&Owner> {
        self.took_over.as_ref()
    }

    /// "took over from pid N, which is no longer running", when it did.
    pub fn took_over_message(&self) -> Option<String> {
        self.took_over.as_ref().map(|o| {
            format!(
                "took over the data dir from pid {} (since {}), which is no longer running",
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

fn open_lock_file(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
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
}
