//! What was restored in one directory: the journal folded per user into where each restore
//! stands now (password, sign-in mail, still there), with who did it from the audit log. The
//! TUI's Restored view reads this; what is missing is finished by the journal's own
//! unfinished-work rules (`pending_of`), so this never decides that a second way.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::audit::{self, AuditEntry};
use super::journal::{self, Entry, Step, pending_of, read_json_lines};
use crate::directory::Stage;

/// The password part of a restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordState {
    Set,
    /// A Temporary Access Pass was issued instead, working until `until` (unknown for a
    /// journal line that did not say it).
    Tap {
        until: Option<DateTime<Utc>>,
    },
    /// The user needs one and has none yet (its step failed or never ran).
    Missing,
    /// Planned without one (a guest signs in with its home account).
    NotNeeded,
}

/// The sign-in mail part of a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailState {
    Sent {
        to: Vec<String>,
    },
    /// The admin closed without it (or handed the password over another way).
    Skipped,
    /// The restore named nobody to mail: the password was shown (or printed) instead, once.
    NoRecipients,
    /// Being sent when the journal ends, or its reply was lost: it may be in an inbox.
    MaybeSent {
        to: Vec<String>,
    },
    NotSent,
}

/// One user restored in this directory, as its latest restore stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredUser {
    pub id: String,
    pub display_name: String,
    /// The user name it was restored under (a new one when the restore renamed it).
    pub upn: String,
    /// The user name planned when it differs from the one it got (the directory chose).
    pub planned_upn: Option<String>,
    pub restored_at: DateTime<Utc>,
    /// The admin (or app) of the audit log's restore line, when there is one.
    pub by: Option<String>,
    pub password: PasswordState,
    pub mail: MailState,
    /// A later step found no active user any more (deleted again, or purged).
    pub gone: bool,
    /// The journal still lists it as unfinished: `F` (or `p` for a password) finishes it.
    pub unfinished: bool,
    /// What the run planned for its sign-in mail, for finishing it.
    pub mail_to: Vec<String>,
    pub include_password: bool,
    pub force_change: bool,
    pub run: String,
    /// Listed as disabled when it was restored: sign-in is blocked until it is enabled.
    pub account_disabled: bool,
}

impl RestoredUser {
    /// Whether `p` applies: restored, in place, and the password it needs is not set.
    pub fn needs_password(&self) -> bool {
        self.password == PasswordState::Missing && !self.gone
    }

    /// Whether `p` may give it a password: restored, in place, and not a guest (a guest signs
    /// in with its home account). One that has a password gets a new one: after "Close
    /// without email" nobody may know the first.
    pub fn can_get_password(&self) -> bool {
        !self.gone && self.password != PasswordState::NotNeeded
    }
}

/// Every user the journal says was restored, newest restore first, joined with the audit
/// log's `restore` lines (by the object id at the end of their target) for who did it.
pub fn restored_of(entries: &[Entry], audit: &[AuditEntry]) -> Vec<RestoredUser> {
    let mut cycles: HashMap<&str, Cycle<'_>> = HashMap::new();
    for e in entries {
        if e.step == Step::Planned {
            cycles.insert(&e.id, Cycle::new(Some(e)));
        } else {
            // A later run found an earlier one's user restored: its `Restored` may come
            // without a `Planned` of its own run.
            cycles.entry(&e.id).or_insert(Cycle::new(None)).step(e);
        }
    }
    let unfinished: HashSet<String> = pending_of(entries)
        .into_iter()
        .map(|p| p.unfinished.id)
        .collect();
    let by = restorers(audit);
    let mut out: Vec<RestoredUser> = cycles
        .into_iter()
        .filter_map(|(id, c)| {
            let mut user = c.into_user(id)?;
            user.by = by.get(id).cloned();
            user.unfinished = unfinished.contains(id);
            Some(user)
        })
        .collect();
    out.sort_by(|a, b| {
        b.restored_at
            .cmp(&a.restored_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// One user's journal lines since its last `Planned`, as far as `restored_of` reads them.
struct Cycle<'a> {
    planned: Option<&'a Entry>,
    restored: Option<&'a Entry>,
    password_set: bool,
    /// The last password step was a pass (until when, when it said).
    tap: Option<Option<DateTime<Utc>>>,
    mail: MailState,
    gone: bool,
    /// Sign-in was given back after the restore (what offboarding took): the account is no
    /// longer disabled, whatever the listing said.
    signs_in: bool,
}

impl<'a> Cycle<'a> {
    fn new(planned: Option<&'a Entry>) -> Self {
        Self {
            planned,
            restored: None,
            password_set: false,
            tap: None,
            mail: MailState::NotSent,
            gone: false,
            signs_in: false,
        }
    }

    /// The next line of the cycle (any but `Planned`, which starts a new one).
    fn step(&mut self, e: &'a Entry) {
        match e.step {
            Step::Planned => {}
            Step::Restored => self.restored = Some(e),
            Step::PasswordSet => {
                self.password_set = true;
                self.tap = None;
            }
            // A pass stands in for the password: the user can sign in, until it expires.
            Step::TapIssued => {
                self.password_set = true;
                self.tap = Some(e.tap_expires.or_else(|| tap_expiry_in(e.detail.as_deref())));
            }
            Step::MailSending => {
                self.mail = MailState::MaybeSent {
                    to: e.mail_to.clone(),
                }
            }
            // Confirmed by the admin who saw it in the inbox: as sent as a reply would say.
            Step::MailSent | Step::MailConfirmed => {
                let to = match &self.mail {
                    MailState::MaybeSent { to } => to.clone(),
                    _ => Vec::new(),
                };
                self.mail = MailState::Sent { to };
            }
            Step::MailSkipped => {
                self.mail = if self.planned.is_some_and(|p| p.mail_to.is_empty()) {
                    MailState::NoRecipients
                } else {
                    MailState::Skipped
                }
            }
            Step::Failed if e.stage == Some(Stage::Mail) && !e.uncertain => {
                if matches!(self.mail, MailState::MaybeSent { .. }) {
                    self.mail = MailState::NotSent;
                }
            }
            Step::BroughtBack
                if e.item == Some(crate::directory::bring_back::BringBack::SignIn) =>
            {
                self.signs_in = true;
            }
            // Said on the result screen and in the after-care; the view keeps to the account.
            Step::Failed | Step::BroughtBack | Step::BringBackFailed => {}
            Step::Closed => self.gone = self.restored.is_some(),
        }
    }

    /// The restored user, `None` when the cycle never restored it; who restored it and
    /// whether it is unfinished are the caller's to fill in.
    fn into_user(self, id: &str) -> Option<RestoredUser> {
        let r = self.restored?;
        let planned = self.planned;
        let wants_password = planned.is_none_or(|p| !p.no_password);
        let planned_upn = planned
            .map(|p| p.upn.clone())
            .filter(|p| !p.is_empty() && !r.upn.is_empty() && !p.eq_ignore_ascii_case(&r.upn));
        Some(RestoredUser {
            id: id.to_string(),
            display_name: planned.map(|p| p.display_name.clone()).unwrap_or_default(),
            upn: if r.upn.is_empty() {
                planned.map(|p| p.upn.clone()).unwrap_or_default()
            } else {
                r.upn.clone()
            },
            planned_upn,
            restored_at: r.at,
            by: None,
            password: if let Some(until) = self.tap {
                PasswordState::Tap { until }
            } else if self.password_set {
                PasswordState::Set
            } else if wants_password {
                PasswordState::Missing
            } else {
                PasswordState::NotNeeded
            },
            mail: self.mail,
            gone: self.gone,
            unfinished: false,
            mail_to: planned.map(|p| p.mail_to.clone()).unwrap_or_default(),
            include_password: planned.is_some_and(|p| p.include_password),
            force_change: planned.is_none_or(|p| p.force_change),
            run: r.run.clone(),
            account_disabled: planned.is_some_and(|p| p.account_disabled) && !self.signs_in,
        })
    }
}

/// When a pass stops working, from the words of a `TapIssued` line written before the journal
/// carried it on its own ("… valid until 2026-12-07 14:05 UTC …").
fn tap_expiry_in(detail: Option<&str>) -> Option<DateTime<Utc>> {
    let (_, rest) = detail?.split_once("valid until ")?;
    let stamp = rest.get(..16)?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M")
        .ok()
        .map(|t| t.and_utc())
}

/// Who restored each user (by object id): the last successful `restore` line of the audit
/// log, whose target is "user name (id)".
fn restorers(audit: &[AuditEntry]) -> HashMap<&str, String> {
    let mut by = HashMap::new();
    for a in audit {
        if a.action != "restore" || a.outcome != "ok" {
            continue;
        }
        if let Some(id) = a
            .target
            .strip_suffix(')')
            .and_then(|t| t.rsplit_once(" ("))
            .map(|(_, id)| id)
        {
            by.insert(id, a.actor.clone());
        }
    }
    by
}

/// The restored users of the data dir, from its journal and audit log, without creating
/// either (a data dir that never restored anything has neither).
pub fn restored_in(data_dir: &Path) -> io::Result<Vec<RestoredUser>> {
    let entries = match read_json_lines::<Entry>(&data_dir.join(journal::FILE_NAME)) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    // Without the audit log only "by whom" is unknown: the journal alone says the rest.
    let audit = read_json_lines::<AuditEntry>(&data_dir.join(audit::FILE_NAME)).unwrap_or_default();
    // The files are the admin's to edit: what they hold is cleaned like a server's string.
    let clean = undelete_common::sanitize::clean;
    Ok(restored_of(&entries, &audit)
        .into_iter()
        .map(|mut r| {
            r.display_name = clean(&r.display_name);
            r.upn = clean(&r.upn);
            r.planned_upn = r.planned_upn.as_deref().map(clean);
            r.by = r.by.as_deref().map(clean);
            r.mail_to = r.mail_to.iter().map(|a| clean(a)).collect();
            if let MailState::Sent { to } | MailState::MaybeSent { to } = &mut r.mail {
                *to = to.iter().map(|a| clean(a)).collect();
            }
            r
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(e: Entry, minute: u32) -> Entry {
        let mut e = e;
        e.at = format!("2026-11-25T10:{minute:02}:00Z").parse().unwrap();
        e
    }

    fn planned(id: &str, minute: u32) -> Entry {
        let mut e = Entry::new("r1", id, Step::Planned)
            .upn(&format!("{id}@contoso.com"))
            .display_name(&format!("User {id}"));
        e.mail_to = vec!["helpdesk@contoso.com".into()];
        e.include_password = true;
        e.force_change = true;
        at(e, minute)
    }

    fn step(id: &str, step: Step, minute: u32) -> Entry {
        at(Entry::new("r1", id, step), minute)
    }

    fn audit_line(actor: &str, target: &str, outcome: &str) -> AuditEntry {
        AuditEntry {
            time: Utc::now(),
            directory: "SANDBOX".into(),
            actor: actor.into(),
            action: "restore".into(),
            target: target.into(),
            outcome: outcome.into(),
            request_id: None,
            detail: None,
        }
    }

    #[test]
    fn each_restore_says_where_it_stands_newest_first() {
        let mut sending = step("a", Step::MailSending, 3);
        sending.mail_to = vec!["helpdesk@contoso.com".into()];
        let mut guest = planned("g", 5);
        guest.no_password = true;
        let entries = vec![
            planned("a", 0),
            at(
                Entry::new("r1", "a", Step::Restored).upn("a2@contoso.com"),
                1,
            ),
            step("a", Step::PasswordSet, 2),
            sending,
            step("a", Step::MailSent, 4),
            guest,
            step("g", Step::Restored, 6),
            planned("b", 7),
            step("b", Step::Restored, 8),
            // c was never restored: not listed.
            planned("c", 9),
            at(
                Entry::new("r1", "c", Step::Failed).stage(Stage::Restore),
                10,
            ),
        ];
        let audit = [
            audit_line("admin@contoso.com", "a2@contoso.com (a)", "ok"),
            audit_line("other@contoso.com", "b@contoso.com (b)", "failed: no"),
        ];
        let r = restored_of(&entries, &audit);
        let ids: Vec<&str> = r.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["b", "g", "a"]);
        let (b, g, a) = (&r[0], &r[1], &r[2]);
        assert_eq!(a.upn, "a2@contoso.com");
        assert_eq!(a.planned_upn.as_deref(), Some("a@contoso.com"));
        assert_eq!(a.by.as_deref(), Some("admin@contoso.com"));
        assert_eq!(a.password, PasswordState::Set);
        assert_eq!(
            a.mail,
            MailState::Sent {
                to: vec!["helpdesk@contoso.com".into()]
            }
        );
        assert!(!a.unfinished && !a.needs_password());
        // A failed audit line is not who restored it.
        assert_eq!(b.by, None);
        assert_eq!(
            b.upn, "b@contoso.com",
            "the planned name when none was journaled"
        );
        assert!(b.needs_password() && b.unfinished);
        assert_eq!(b.mail, MailState::NotSent);
        assert_eq!(g.password, PasswordState::NotNeeded);
        assert!(
            !g.needs_password() && g.unfinished,
            "its mail is still owed"
        );
    }

    #[test]
    fn a_lost_mail_reply_may_have_sent_it_and_a_refusal_did_not() {
        let lost = crate::directory::DirectoryError::network("reset");
        let refused =
            crate::directory::DirectoryError::new(crate::directory::ErrorKind::Forbidden, "no")
                .sent(crate::directory::Sent::Refused);
        let mut entries = Vec::new();
        for (id, err) in [("x", &lost), ("y", &refused)] {
            entries.push(planned(id, 0));
            entries.push(step(id, Step::Restored, 1));
            entries.push(step(id, Step::PasswordSet, 2));
            let mut s = step(id, Step::MailSending, 3);
            s.mail_to = vec!["t@contoso.com".into()];
            entries.push(s);
            entries.push(Entry::failed("r1", id, Stage::Mail, err));
        }
        let r = restored_of(&entries, &[]);
        let mail = |id: &str| r.iter().find(|u| u.id == id).unwrap().mail.clone();
        assert_eq!(
            mail("x"),
            MailState::MaybeSent {
                to: vec!["t@contoso.com".into()]
            }
        );
        assert_eq!(mail("y"), MailState::NotSent);
    }

    #[test]
    fn a_pass_hand_off_says_until_when_and_a_disabled_account_is_carried() {
        let until = "2026-12-07T14:05:00Z".parse::<DateTime<Utc>>().unwrap();
        let mut p = planned("t", 0);
        p.account_disabled = true;
        let mut issued = step("t", Step::TapIssued, 2);
        issued.tap_expires = Some(until);
        // Written before the journal carried the expiry on its own: read from its words.
        let mut old = step("o", Step::TapIssued, 5);
        old.detail =
            Some("Temporary Access Pass issued, valid until 2026-12-07 14:05 UTC, one-time".into());
        let entries = vec![
            p,
            step("t", Step::Restored, 1),
            issued,
            planned("o", 3),
            step("o", Step::Restored, 4),
            old,
            // A password set later replaces the pass.
            planned("w", 6),
            step("w", Step::Restored, 7),
            step("w", Step::TapIssued, 8),
            step("w", Step::PasswordSet, 9),
        ];
        let r = restored_of(&entries, &[]);
        let get = |id: &str| r.iter().find(|u| u.id == id).unwrap().clone();
        assert_eq!(get("t").password, PasswordState::Tap { until: Some(until) });
        assert!(get("t").account_disabled && !get("o").account_disabled);
        assert_eq!(get("o").password, PasswordState::Tap { until: Some(until) });
        assert_eq!(get("w").password, PasswordState::Set);
        assert!(!get("t").needs_password());
    }

    #[test]
    fn sign_in_given_back_after_the_restore_is_no_longer_blocked() {
        use crate::directory::bring_back::BringBack;
        let mut p = planned("s", 0);
        p.account_disabled = true;
        let mut back = step("s", Step::BroughtBack, 3);
        back.item = Some(BringBack::SignIn);
        let mut refused = planned("r", 4);
        refused.account_disabled = true;
        let mut failed = step("r", Step::BringBackFailed, 7);
        failed.item = Some(BringBack::SignIn);
        let entries = vec![
            p,
            step("s", Step::Restored, 1),
            step("s", Step::PasswordSet, 2),
            back,
            refused,
            step("r", Step::Restored, 5),
            step("r", Step::PasswordSet, 6),
            failed,
        ];
        let r = restored_of(&entries, &[]);
        let get = |id: &str| r.iter().find(|u| u.id == id).unwrap().clone();
        assert!(!get("s").account_disabled, "sign-in came back");
        assert!(get("r").account_disabled, "its sign-in was refused");
    }

    #[test]
    fn closing_without_recipients_is_told_apart_from_closing_without_mail() {
        let mut nobody = planned("n", 0);
        nobody.mail_to.clear();
        let entries = vec![
            nobody,
            step("n", Step::Restored, 1),
            step("n", Step::PasswordSet, 2),
            step("n", Step::MailSkipped, 3),
            planned("s", 4),
            step("s", Step::Restored, 5),
            step("s", Step::PasswordSet, 6),
            step("s", Step::MailSkipped, 7),
        ];
        let r = restored_of(&entries, &[]);
        let mail = |id: &str| r.iter().find(|u| u.id == id).unwrap().mail.clone();
        assert_eq!(mail("n"), MailState::NoRecipients);
        assert_eq!(mail("s"), MailState::Skipped);
    }

    #[test]
    fn a_user_gone_since_and_one_restored_again_show_their_latest_state() {
        let entries = vec![
            planned("a", 0),
            step("a", Step::Restored, 1),
            // Its password step found no active user any more.
            step("a", Step::Closed, 2),
            planned("b", 3),
            step("b", Step::Restored, 4),
            step("b", Step::PasswordSet, 5),
            step("b", Step::MailSkipped, 6),
            // Deleted again, and restored again later: the new restore is what counts.
            planned("b", 7),
            step("b", Step::Restored, 8),
        ];
        let r = restored_of(&entries, &[]);
        let a = r.iter().find(|u| u.id == "a").unwrap();
        assert!(a.gone && !a.needs_password());
        let b = r.iter().find(|u| u.id == "b").unwrap();
        assert_eq!(b.password, PasswordState::Missing);
        assert_eq!(b.mail, MailState::NotSent);
        assert_eq!(b.restored_at.format("%M").to_string(), "08");
    }

    #[test]
    fn a_data_dir_without_books_has_restored_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(restored_in(dir.path()).unwrap().is_empty());
        assert!(!dir.path().join(journal::FILE_NAME).exists());
    }
}
