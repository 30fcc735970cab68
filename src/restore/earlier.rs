//! The journal of an earlier version: `<data dir>/journal.jsonl`, written before each
//! directory had books of its own, so its entries carry no directory. Its unfinished users are
//! never acted on without the admin's choice: every command that mentions unfinished work and
//! the TUI's banner show them apart ("from an earlier version, directory unknown"), and only
//! `undelete finish --adopt-earlier` moves them into the journal of the directory it runs on,
//! where they are finished like any other. The old file is then renamed, so they are not shown
//! again; the old `audit.jsonl` is left where it is, as the record of what that version did.

use std::io;
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::journal::{self, Entry, Journal, Pending, Step, pending_of, read_json_lines};
use super::lock::DataDirLock;

/// The earlier version's unfinished restores, without creating anything.
pub fn earlier_pending(data_dir: &Path) -> io::Result<Vec<Pending>> {
    journal::pending_in(data_dir)
}

/// What an adoption did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    /// The users moved into this directory's journal, by user name.
    pub users: Vec<String>,
    /// Where the earlier journal went (`None` when there was nothing to adopt).
    pub renamed_to: Option<PathBuf>,
}

/// Moves the earlier journal's unfinished users into `journal` (this directory's), each with
/// its steps from its last `Planned` on, so the fold finds them exactly as they stood; then
/// renames the earlier journal. Takes the earlier version's lock first: a run of that version
/// still going must not have its users taken from under it.
pub fn adopt_earlier(data_dir: &Path, journal: &Journal) -> io::Result<Adopted> {
    let path = data_dir.join(journal::FILE_NAME);
    let _legacy = match DataDirLock::try_acquire(data_dir, "finish")? {
        Ok(lock) => lock,
        Err(busy) => {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "{} holds the earlier version's journal ({}): adopt its users once it has \
                     ended",
                    busy.other(),
                    path.display()
                ),
            ));
        }
    };
    let entries: Vec<Entry> = match read_json_lines(&path) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    let pending = pending_of(&entries);
    if pending.is_empty() {
        return Ok(Adopted {
            users: Vec::new(),
            renamed_to: None,
        });
    }
    for p in &pending {
        let id = p.unfinished.id.as_str();
        let start = entries
            .iter()
            .rposition(|e| e.id == id && e.step == Step::Planned)
            .unwrap_or(0);
        for e in entries[start..].iter().filter(|e| e.id == id) {
            journal.record(e).map_err(io::Error::from)?;
        }
    }
    let users: Vec<String> = pending.iter().map(|p| p.unfinished.upn.clone()).collect();
    let renamed_to = data_dir.join(format!(
        "{}.adopted-{}",
        journal::FILE_NAME,
        Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    std::fs::rename(&path, &renamed_to)?;
    journal
        .note(
            "adopted_earlier",
            &format!(
                "{} adopted from an earlier version's journal (directory unknown), now {}: {}",
                crate::text::count(users.len(), "unfinished restore", "unfinished restores"),
                renamed_to.display(),
                users.join(", ")
            ),
        )
        .map_err(io::Error::from)?;
    Ok(Adopted {
        users,
        renamed_to: Some(renamed_to),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_dir::DirectoryId;
    use crate::restore::{Books, LockSlot};

    fn planned(id: &str) -> Entry {
        Entry::new("old", id, Step::Planned).upn(&format!("{id}@contoso.com"))
    }

    #[test]
    fn earlier_users_are_adopted_only_when_asked_and_then_not_shown_again() {
        let data = tempfile::tempdir().unwrap();
        let old = Journal::open(data.path()).unwrap();
        for e in [
            planned("a"),
            Entry::new("old", "a", Step::Restored),
            planned("b"),
            Entry::new("old", "b", Step::Restored),
            Entry::new("old", "b", Step::PasswordSet),
            Entry::new("old", "b", Step::MailSkipped),
            planned("c"),
            Entry::new("old", "c", Step::Restored),
            Entry::new("old", "c", Step::PasswordSet),
            {
                let mut e = Entry::new("old", "c", Step::MailSending);
                e.mail_to = vec!["x@contoso.com".into()];
                e
            },
        ] {
            old.record(&e).unwrap();
        }
        let earlier = earlier_pending(data.path()).unwrap();
        assert_eq!(earlier.len(), 2, "a and c; b was finished");
        let books = Books::new(data.path(), &DirectoryId::BuiltInSandbox, "SANDBOX");
        assert!(books.pending().unwrap().is_empty(), "not this directory's");

        let here = books.journal(&LockSlot::default()).unwrap();
        let adopted = adopt_earlier(data.path(), &here).unwrap();
        assert_eq!(adopted.users, ["a@contoso.com", "c@contoso.com"]);
        let now = books.pending().unwrap();
        assert_eq!(now.len(), 2);
        assert!(
            now[1].mail_sending.is_some(),
            "c's mail may have gone out: still known"
        );
        assert!(
            earlier_pending(data.path()).unwrap().is_empty(),
            "not shown again"
        );
        let renamed = adopted.renamed_to.unwrap();
        assert!(renamed.exists() && !data.path().join(journal::FILE_NAME).exists());
        // Nothing left to adopt.
        assert_eq!(adopt_earlier(data.path(), &here).unwrap().users.len(), 0);
    }

    #[test]
    fn a_live_run_of_the_earlier_version_keeps_its_users() {
        let data = tempfile::tempdir().unwrap();
        Journal::open(data.path())
            .unwrap()
            .record(&planned("a"))
            .unwrap();
        let _old_run = DataDirLock::try_acquire(data.path(), "restore")
            .unwrap()
            .unwrap();
        let books = Books::new(data.path(), &DirectoryId::BuiltInSandbox, "SANDBOX");
        let here = books.journal(&LockSlot::default()).unwrap();
        let e = adopt_earlier(data.path(), &here).unwrap_err().to_string();
        assert!(e.contains("holds the earlier version's journal"), "{e}");
        assert!(books.pending().unwrap().is_empty());
        assert_eq!(earlier_pending(data.path()).unwrap().len(), 1);
    }
}
