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

use super::books::WriteFailed;
use super::lock::{LockSlot, NotHeld, Verified};
use crate::data_dir::open_nofollow;
use crate::directory::bring_back::BringBack;
use crate::directory::tap::TapRequest;
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
    /// A Temporary Access Pass was issued instead of a password (its terms in `detail`, never
    /// the pass).
    TapIssued,
    /// About to send the sign-in info (with `mail_to`): written before the send, so a run that
    /// dies before `MailSent` is known to have maybe mailed the password it set.
    MailSending,
    MailSent,
    /// A mail that may have gone out (`MailSending` last) did arrive: the admin checked the
    /// recipient's inbox and said so (`finish --mark-sent`, or the result screen's key), so
    /// the password in it stays and the user is finished.
    MailConfirmed,
    /// The admin chose not to send the sign-in info (or got the password another way).
    MailSkipped,
    /// One thing offboarding took (`item`) is back.
    BroughtBack,
    /// Bringing `item` back failed (why in `detail`); `uncertain` when trying again may
    /// succeed, so a later run does.
    BringBackFailed,
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
    /// On `Planned`: who gets the sign-in info; on `MailSending`: who it is being sent to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mail_to: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub include_password: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_change: bool,
    /// On `Planned`: the user gets no password (a guest signs in with its home account), so a
    /// restore and its mail finish it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_password: bool,
    /// On `Planned`: the user gets a Temporary Access Pass (these terms) instead of a
    /// password, so finishing it issues another pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tap: Option<TapRequest>,
    /// On `TapIssued`: when the pass stops working (never the pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tap_expires: Option<DateTime<Utc>>,
    /// On `Planned`: the directory listed the account as disabled (`accountEnabled` false),
    /// and a restore keeps it so: its sign-in info must say sign-in fails until it is enabled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub account_disabled: bool,
    /// On a `Failed` restore: the request may have been carried out all the same (its reply
    /// was lost, or checking afterwards failed), so the user is not closed but left for a
    /// later run to ask the directory about. On a `Failed` mail: it may have gone out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uncertain: bool,
    /// On `Planned`: what offboarding took that the run gives back after the restore.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bring_back: Vec<BringBack>,
    /// On `BroughtBack` and `BringBackFailed`: which item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<BringBack>,
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
            no_password: false,
            tap: None,
            tap_expires: None,
            account_disabled: false,
            bring_back: Vec::new(),
            item: None,
        }
    }

    /// A `BroughtBack` step, or a `BringBackFailed` one with its error, `uncertain` when the
    /// failure may pass (the network, the server, throttling): trying again is safe, since
    /// every item is.
    pub fn brought_back(
        run: &str,
        id: &str,
        item: &BringBack,
        result: Result<(), &DirectoryError>,
    ) -> Self {
        let mut e = match result {
            Ok(()) => Self::new(run, id, Step::BroughtBack),
            Err(error) => {
                let mut e = Self::new(run, id, Step::BringBackFailed).detail(error.to_string());
                e.uncertain = may_pass(error);
                e
            }
        };
        e.item = Some(item.clone());
        e
    }

    /// A `Failed` step at `stage`, marked `uncertain` when the error leaves open whether a
    /// restore went through.
    pub fn failed(run: &str, id: &str, stage: Stage, error: &DirectoryError) -> Self {
        let mut e = Self::new(run, id, Step::Failed)
            .stage(stage)
            .detail(error.to_string());
        e.uncertain = matches!(stage, Stage::Restore | Stage::Mail) && may_have_happened(error);
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

/// Whether a failure may not happen again: what failed on the way, not a refusal.
pub fn may_pass(error: &DirectoryError) -> bool {
    !error.permanent
        && matches!(
            error.kind,
            ErrorKind::Network | ErrorKind::Server | ErrorKind::Throttled | ErrorKind::Malformed
        )
}

/// Whether a call that ended in `error` may have taken effect anyway, as the transport found
/// it (`DirectoryError::sent`): a request never written, or refused, did nothing; one whose
/// reply was lost, cut off or a 5xx may have.
pub fn may_have_happened(error: &DirectoryError) -> bool {
    error.may_have_happened()
}

/// Whether the restore itself is known to have happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreState {
    /// The journal says so.
    Restored,
    /// Planned, but the run died before the answer came: ask the directory.
    Unknown,
}

/// A sign-in mail that was being sent when the journal ends: it may have gone out, with the
/// password that was set before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttempt {
    pub at: DateTime<Utc>,
    pub to: Vec<String>,
}

impl MailAttempt {
    /// "mail may have been sent at T to A, B; check the recipient's inbox".
    pub fn describe(&self) -> String {
        let at = self
            .at
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S");
        if self.to.is_empty() {
            format!("mail may have been sent at {at}; check the recipient's inbox")
        } else {
            format!(
                "mail may have been sent at {at} to {}; check the recipient's inbox",
                self.to.join(", ")
            )
        }
    }
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
    /// False for a user planned without a password (a guest): it needs none to be finished.
    pub wants_password: bool,
    pub mail_done: bool,
    pub mail_to: Vec<String>,
    pub include_password: bool,
    pub force_change: bool,
    pub since: DateTime<Utc>,
    /// Planned with a Temporary Access Pass: finishing issues a new pass, not a password.
    pub tap: Option<TapRequest>,
    /// Listed as disabled when planned: its sign-in info says so.
    pub account_disabled: bool,
    /// What offboarding took that was to be given back and is not yet: never tried (the run
    /// died first) or failed in a way that may pass. A refused item is not here: the run
    /// that was refused said so.
    pub bring_back: Vec<BringBack>,
}

struct Inner {
    path: PathBuf,
    file: Mutex<File>,
}

/// Append-only, shared by the tasks of a run; clones write to the same file.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
    /// The directory's lock this journal's run must hold to change the directory (see
    /// `ensure_held`); `None` for a journal opened on its own (tests, tools).
    guard: Option<LockSlot>,
}

impl Journal {
    /// Opens (creating, mode 0600 on unix, never through a symbolic link)
    /// `<folder>/journal.jsonl`, where `folder` is a directory's books folder.
    pub fn open(folder: &Path) -> io::Result<Self> {
        let path = folder.join(FILE_NAME);
        let file = open_private_append(&path)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                file: Mutex::new(file),
            }),
            guard: None,
        })
    }

    /// This journal, whose writers check `slot` before each step that changes the directory.
    pub fn guarded_by(mut self, slot: LockSlot) -> Self {
        self.guard = Some(slot);
        self
    }

    /// The check before a step that changes the directory (a restore, a password, a mail, a
    /// purge): the run still holds the directory's lock (see `LockSlot::ensure_held`).
    pub fn ensure_held(&self) -> Result<(), NotHeld> {
        match &self.guard {
            None => Ok(()),
            Some(slot) => slot.ensure_held().map(|v| {
                if v == Some(Verified::Relocked) {
                    tracing::warn!(target: "undelete::books", "lock file made again before a write step");
                }
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Appends one entry as a single write, so a crash leaves whole lines behind.
    pub fn record(&self, entry: &Entry) -> Result<(), WriteFailed> {
        self.append(entry)
            .map_err(|e| WriteFailed::new("journal", self.path(), e))
    }

    /// One JSON line, written whole.
    fn append(&self, value: &impl Serialize) -> io::Result<()> {
        let mut line = serde_json::to_vec(value).map_err(io::Error::other)?;
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

    /// `unfinished`, with what is known of each user's sign-in mail.
    pub fn pending(&self) -> io::Result<Vec<Pending>> {
        Ok(pending_of(&self.entries()?))
    }

    /// Appends a line about the data dir rather than a user (a lock taken over from a dead
    /// run). It is not an `Entry` (no run, id or step), so the fold never sees it.
    pub fn note(&self, note: &str, detail: &str) -> Result<(), WriteFailed> {
        self.append(&serde_json::json!({"at": Utc::now(), "note": note, "detail": detail}))
            .map_err(|e| WriteFailed::new("journal", self.path(), e))
    }
}

/// The unfinished restores of the journal in `folder`, without creating it (for commands
/// that only read, on a directory that may have no journal yet).
pub fn pending_in(folder: &Path) -> io::Result<Vec<Pending>> {
    match read_json_lines::<Entry>(&folder.join(FILE_NAME)) {
        Ok(entries) => Ok(pending_of(&entries)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// An unfinished restore and what is known of its sign-in mail.
///
/// The mail state is kept beside `Unfinished` rather than in it so that code building
/// `Unfinished` values by hand (the TUI's tests) is unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub unfinished: Unfinished,
    /// The last mail step is `MailSending` (or a failure that may have sent it anyway): the
    /// password set may already be in someone's inbox, so a finishing run must not replace it
    /// unless asked to (`--resend`).
    pub mail_sending: Option<MailAttempt>,
}

/// Folds the entries per user: a `Planned` starts over, later steps fill in, `Closed` and a
/// failure before anything changed end it.
pub fn unfinished_of(entries: &[Entry]) -> Vec<Unfinished> {
    pending_of(entries)
        .into_iter()
        .map(|p| p.unfinished)
        .collect()
}

/// `unfinished_of`, with the mail state of each user.
pub fn pending_of(entries: &[Entry]) -> Vec<Pending> {
    let mut open: HashMap<&str, Pending> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for e in entries {
        match e.step {
            Step::Planned => {
                if !open.contains_key(e.id.as_str()) {
                    order.push(&e.id);
                }
                open.insert(
                    &e.id,
                    Pending {
                        mail_sending: None,
                        unfinished: Unfinished {
                            run: e.run.clone(),
                            id: e.id.clone(),
                            display_name: e.display_name.clone(),
                            upn: e.upn.clone(),
                            restore: RestoreState::Unknown,
                            password_set: false,
                            wants_password: !e.no_password,
                            mail_done: false,
                            mail_to: e.mail_to.clone(),
                            include_password: e.include_password,
                            force_change: e.force_change,
                            since: e.at,
                            tap: e.tap,
                            account_disabled: e.account_disabled,
                            bring_back: e.bring_back.clone(),
                        },
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
                let Some(p) = open.get_mut(e.id.as_str()) else {
                    continue;
                };
                let u = &mut p.unfinished;
                match step {
                    Step::Restored => {
                        u.restore = RestoreState::Restored;
                        if !e.upn.is_empty() {
                            u.upn = e.upn.clone();
                        }
                    }
                    Step::PasswordSet | Step::TapIssued => {
                        // A new password: a mail that may have carried the old one no longer
                        // decides anything.
                        u.password_set = true;
                        p.mail_sending = None;
                    }
                    Step::MailSending => {
                        p.mail_sending = Some(MailAttempt {
                            at: e.at,
                            to: e.mail_to.clone(),
                        });
                    }
                    Step::MailSent | Step::MailSkipped | Step::MailConfirmed => {
                        u.mail_done = true;
                        p.mail_sending = None;
                    }
                    Step::Failed if e.stage == Some(Stage::Mail) && !e.uncertain => {
                        // Refused: nothing went out.
                        p.mail_sending = None;
                    }
                    Step::BroughtBack | Step::BringBackFailed
                        if e.step == Step::BroughtBack || !e.uncertain =>
                    {
                        if let Some(item) = &e.item {
                            u.bring_back.retain(|b| b != item);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| open.remove(id))
        .filter(|p| {
            let u = &p.unfinished;
            let password_done = u.password_set || !u.wants_password;
            !(u.restore == RestoreState::Restored && password_done && u.mail_done)
        })
        .collect()
}

/// The JSON lines of a file that parse as `T`. Lines are split as bytes: a line torn by a crash
/// in the middle of a multi-byte character is not UTF-8, and must cost only itself.
pub(crate) fn read_json_lines<T: serde::de::DeserializeOwned>(path: &Path) -> io::Result<Vec<T>> {
    let mut bytes = Vec::new();
    open_nofollow(path, OpenOptions::new().read(true))?.read_to_end(&mut bytes)?;
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
        let mut reader = open_nofollow(path, OpenOptions::new().read(true))?;
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
        crate::data_dir::create_private(dir, true)?;
    }
    let file = open_nofollow(path, OpenOptions::new().create(true).append(true))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A file created earlier by something else may be wider open than it should be.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{ErrorKind, Sent};

    #[test]
    fn a_user_planned_without_a_password_is_finished_by_its_restore_and_mail() {
        let mut planned = Entry::new("r1", "guest", Step::Planned);
        planned.no_password = true;
        let entries = [
            planned,
            Entry::new("r1", "guest", Step::Restored),
            Entry::new("r1", "guest", Step::MailSent),
        ];
        assert!(pending_of(&entries).is_empty());
        // Until the mail is done it is still open, and finishing it needs no password.
        let open = pending_of(&entries[..2]);
        assert_eq!(open.len(), 1);
        assert!(!open[0].unfinished.wants_password);
    }

    #[test]
    fn a_failed_write_names_the_journal_and_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, b"").unwrap();
        // Opened read-only, so every append fails the way a full or revoked disk would.
        let journal = Journal {
            inner: Arc::new(Inner {
                path: path.clone(),
                file: Mutex::new(File::open(&path).unwrap()),
            }),
            guard: None,
        };
        let e = journal
            .record(&Entry::new("run-1", "id-1", Step::Planned))
            .unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("the journal ("), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("could not be written: "), "{text}");
        assert!(journal.note("lock_taken_over", "pid 1").is_err());
    }

    fn planned(id: &str) -> Entry {
        let mut e = Entry::new("r1", id, Step::Planned)
            .upn(&format!("{id}@contoso.com"))
            .display_name(id);
        e.mail_to = vec!["admin@contoso.com".into()];
        e.force_change = true;
        e
    }

    #[test]
    fn items_to_bring_back_are_left_until_back_or_refused() {
        use crate::directory::DirectoryError;
        let group = BringBack::Group {
            id: "g1".into(),
            name: Some("Sales".into()),
            owner: false,
        };
        let licence = BringBack::Licence {
            sku_id: "s1".into(),
            sku_name: Some("SPE_E5".into()),
            disabled_plans: vec![],
        };
        let mut p = planned("a");
        p.bring_back = vec![group.clone(), licence.clone(), BringBack::SignIn];
        let mut entries = vec![
            p,
            Entry::new("r1", "a", Step::Restored),
            Entry::new("r1", "a", Step::PasswordSet),
        ];
        // The run died here: everything is left, and the entry round-trips.
        let line = serde_json::to_string(&entries[0]).unwrap();
        let back: Entry = serde_json::from_str(&line).unwrap();
        assert_eq!(back.bring_back, entries[0].bring_back);
        assert_eq!(unfinished_of(&entries)[0].bring_back.len(), 3);

        entries.push(Entry::brought_back("r1", "a", &group, Ok(())));
        let no_seat = DirectoryError::new(ErrorKind::BadRequest, "no available licenses");
        entries.push(Entry::brought_back("r1", "a", &licence, Err(&no_seat)));
        entries.push(Entry::brought_back(
            "r1",
            "a",
            &BringBack::SignIn,
            Err(&DirectoryError::network("connection reset")),
        ));
        // Back, and refused (said by the run that was refused), are done; a failure that may
        // pass is tried again.
        assert_eq!(
            unfinished_of(&entries)[0].bring_back,
            vec![BringBack::SignIn]
        );
        // Items never keep a finished user open.
        entries.push(Entry::new("r1", "a", Step::MailSent));
        assert!(unfinished_of(&entries).is_empty());
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
        let lost =
            DirectoryError::network("the connection was lost before a reply").sent(Sent::Maybe);
        let conflict = DirectoryError::new(ErrorKind::UpnConflict, "taken").sent(Sent::Refused);
        let mut refused =
            DirectoryError::new(ErrorKind::Throttled, "slow down").sent(Sent::Refused);
        refused.status = Some(429);
        // The same kind as `lost`, but it never left: the fold reads how far it got, not
        // what kind of error it is.
        let never_left =
            DirectoryError::network("cannot connect to 127.0.0.1:9: connection refused")
                .sent(Sent::No);
        let entries = vec![
            planned("a"),
            planned("b"),
            planned("c"),
            planned("d"),
            Entry::failed("r1", "a", Stage::Restore, &lost),
            Entry::failed("r1", "b", Stage::Restore, &conflict),
            Entry::failed("r1", "c", Stage::Restore, &refused),
            Entry::failed("r1", "d", Stage::Restore, &never_left),
        ];
        let u = unfinished_of(&entries);
        let ids: Vec<&str> = u.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, vec!["a"], "only the lost reply is left to ask about");
        assert_eq!(u[0].restore, RestoreState::Unknown);
        // And the flag survives the file.
        let line = serde_json::to_string(&entries[4]).unwrap();
        let back: Entry = serde_json::from_str(&line).unwrap();
        assert!(back.uncertain);
        assert!(
            !serde_json::to_string(&entries[5])
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

    fn sending(id: &str, to: &str) -> Entry {
        let mut e = Entry::new("r1", id, Step::MailSending);
        e.mail_to = vec![to.into()];
        e
    }

    #[test]
    fn a_mail_being_sent_when_the_journal_ends_may_have_gone_out() {
        let sent_at: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
        let mut a_sending = sending("a", "helpdesk@contoso.com");
        a_sending.at = sent_at;
        let lost =
            DirectoryError::network("the connection was lost before a reply").sent(Sent::Maybe);
        let refused = DirectoryError::new(ErrorKind::Forbidden, "no Mail.Send").sent(Sent::Refused);
        let never_left =
            DirectoryError::network("cannot connect to 127.0.0.1:9: connection refused")
                .sent(Sent::No);
        let entries = vec![
            planned("a"),
            planned("b"),
            planned("c"),
            planned("d"),
            planned("e"),
            planned("f"),
            planned("g"),
            planned("h"),
        ]
        .into_iter()
        .chain(
            ["a", "b", "c", "d", "e", "f", "g", "h"]
                .iter()
                .flat_map(|id| {
                    [
                        Entry::new("r1", id, Step::Restored),
                        Entry::new("r1", id, Step::PasswordSet),
                    ]
                }),
        )
        .chain([
            // a: the run died between the send and its answer.
            a_sending,
            // b: sent and known.
            sending("b", "x@contoso.com"),
            Entry::new("r1", "b", Step::MailSent),
            // c: the reply was lost: it may have gone out.
            sending("c", "x@contoso.com"),
            Entry::failed("r1", "c", Stage::Mail, &lost),
            // d: refused: nothing went out, the mail is simply not done.
            sending("d", "x@contoso.com"),
            Entry::failed("r1", "d", Stage::Mail, &refused),
            // e: a later run resent it with a new password and died before sending again.
            sending("e", "x@contoso.com"),
            Entry::new("r2", "e", Step::PasswordSet),
            // f: a mail that may have gone out, then the admin printed the same password.
            sending("f", "x@contoso.com"),
            Entry::new("r1", "f", Step::MailSkipped),
            // g: the server was gone: the mail never left, so it is simply not done.
            sending("g", "x@contoso.com"),
            Entry::failed("r1", "g", Stage::Mail, &never_left),
            // h: it may have gone out, and the admin found it in the inbox.
            sending("h", "x@contoso.com"),
            Entry::failed("r1", "h", Stage::Mail, &lost),
            Entry::new("r2", "h", Step::MailConfirmed),
        ])
        .collect::<Vec<_>>();
        let u = pending_of(&entries);
        let ids: Vec<&str> = u.iter().map(|u| u.unfinished.id.as_str()).collect();
        assert_eq!(ids, vec!["a", "c", "d", "e", "g"]);
        let a = u[0].mail_sending.as_ref().expect("a may have been mailed");
        assert_eq!(a.at, sent_at);
        assert_eq!(a.to, vec!["helpdesk@contoso.com".to_string()]);
        assert!(a.describe().starts_with("mail may have been sent at "));
        assert!(
            a.describe()
                .contains("helpdesk@contoso.com; check the recipient's inbox")
        );
        assert!(!u[0].unfinished.mail_done);
        assert!(u[1].mail_sending.is_some(), "a lost reply may have sent it");
        assert!(u[2].mail_sending.is_none(), "a refusal sent nothing");
        assert!(
            u[3].mail_sending.is_none(),
            "the new password was never mailed"
        );
        assert!(u[3].unfinished.password_set && !u[3].unfinished.mail_done);
        assert!(
            u[4].mail_sending.is_none(),
            "a mail that never left sent nothing"
        );
        assert!(u[4].unfinished.password_set && !u[4].unfinished.mail_done);
        let line = serde_json::to_string(&Entry::new("r2", "h", Step::MailConfirmed)).unwrap();
        assert!(line.contains("\"step\":\"mail_confirmed\""), "{line}");
    }

    #[test]
    fn a_planned_restore_starts_the_mail_state_over() {
        let entries = vec![
            planned("a"),
            Entry::new("r1", "a", Step::Restored),
            Entry::new("r1", "a", Step::PasswordSet),
            sending("a", "x@contoso.com"),
            planned("a"),
        ];
        let u = pending_of(&entries);
        assert_eq!(u.len(), 1);
        assert!(u[0].mail_sending.is_none());
        assert_eq!(u[0].unfinished.restore, RestoreState::Unknown);
    }

    #[test]
    fn notes_are_skipped_by_the_fold_and_a_missing_journal_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(pending_in(dir.path()).unwrap().is_empty());
        assert!(
            !dir.path().join(FILE_NAME).exists(),
            "reading creates nothing"
        );
        let j = Journal::open(dir.path()).unwrap();
        j.record(&planned("a")).unwrap();
        j.note("lock_taken_over", "from pid 1").unwrap();
        j.record(&Entry::new("r1", "a", Step::Restored)).unwrap();
        assert_eq!(j.entries().unwrap().len(), 2);
        let raw = std::fs::read_to_string(j.path()).unwrap();
        assert!(raw.contains("\"note\":\"lock_taken_over\""));
        assert_eq!(pending_in(dir.path()).unwrap().len(), 1);
        // The step is spelled as the journal's readers expect.
        let line = serde_json::to_string(&sending("a", "x@contoso.com")).unwrap();
        assert!(line.contains("\"step\":\"mail_sending\""), "{line}");
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
