//! Finishing what an earlier run (or an earlier step of this one) left unfinished: the new
//! passwords (`finish_unfinished`), who gets the sign-in info of finished users and whether it
//! carries the password (`mail_groups`, the one rule of `F`, `p` in the Restored view,
//! `undelete finish` and `undelete restore`), and closing a user whose mail the admin found
//! in the inbox (`confirm_mail_arrived`).

use std::collections::HashMap;

use super::Audit;
use super::journal::{self, Journal, MailAttempt, Pending, RestoreState, Step, Unfinished};
use super::plan::PasswordChoice;
use super::run::{Failure, LOST_REPLY_FOUND_RESTORED, UserOutcome, give_back};
use super::set_password::{PasswordStep, set_password};
use crate::directory::bring_back::BringBack;
use crate::directory::{Directory, DirectoryError, ErrorKind, Stage};

/// `DirectoryError::code` of the outcome of a user whose sign-in mail may have gone out: its
/// password was left as it is (see `finish_unfinished`).
pub const MAIL_UNCERTAIN_CODE: &str = "MailMayHaveBeenSent";

/// What the admin chose for the sign-in info of the users being finished; the rest comes
/// from what each restore recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailChoice {
    /// Send everyone's to these instead of the recipients each restore recorded
    /// (`--email-to`).
    pub email_to: Option<Vec<String>>,
    /// Leave every password out, even where the restore meant to mail it
    /// (`--no-password-in-email`, or the settings file).
    pub no_password: bool,
    /// Who gets the sign-in info of a user whose restore recorded nobody: the signed-in admin,
    /// when it has an address (`None`: nobody, so nothing is mailed for it).
    pub fallback: Option<String>,
}

impl MailChoice {
    /// The fallback for a session signed in as `account`: the admin, when it is an address
    /// (an app signed in app-only has none).
    pub fn fallback_to(mut self, account: &str) -> Self {
        self.fallback = account.contains('@').then(|| account.to_string());
        self
    }
}

/// One sign-in mail of the users being finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailGroup {
    pub to: Vec<String>,
    pub include_password: bool,
    /// Any of its users must change the password at sign-in (the mail says so).
    pub force_change: bool,
    /// The users it is about (object ids), in journal order.
    pub ids: Vec<String>,
    /// Their restores recorded nobody: `to` is `MailChoice::fallback`, and the front end says
    /// so.
    pub fallback: bool,
}

/// What a restore recorded for one user's sign-in mail (the journal's `Planned` step).
#[derive(Debug, Clone, Copy)]
pub struct Recorded<'a> {
    pub id: &'a str,
    pub mail_to: &'a [String],
    pub include_password: bool,
    pub force_change: bool,
}

impl<'a> From<&'a Unfinished> for Recorded<'a> {
    fn from(u: &'a Unfinished) -> Self {
        Self {
            id: &u.id,
            mail_to: &u.mail_to,
            include_password: u.include_password,
            force_change: u.force_change,
        }
    }
}

/// The sign-in mails of users being finished, the one rule of every front end: each user's
/// info goes to the recipients its restore recorded (or `email_to` for everyone), and to the
/// fallback only when its restore recorded nobody; it carries the password only if that
/// user's restore planned it and the admin did not say no. Users with the same recipients
/// and the same password choice share one mail. A user with nobody to tell is in no group.
pub fn mail_groups<'a>(
    users: impl IntoIterator<Item = Recorded<'a>>,
    choice: &MailChoice,
) -> Vec<MailGroup> {
    let mut groups: Vec<MailGroup> = Vec::new();
    for u in users {
        let (to, fallback) = match (&choice.email_to, &choice.fallback) {
            (Some(to), _) => (to.clone(), false),
            (None, _) if !u.mail_to.is_empty() => (u.mail_to.to_vec(), false),
            (None, Some(admin)) => (vec![admin.clone()], true),
            (None, None) => continue,
        };
        if to.is_empty() {
            continue;
        }
        let include_password = u.include_password && !choice.no_password;
        let same = |g: &MailGroup| {
            g.include_password == include_password
                && g.fallback == fallback
                && g.to.len() == to.len()
                && g.to.iter().zip(&to).all(|(a, b)| a.eq_ignore_ascii_case(b))
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(g) => {
                g.ids.push(u.id.to_string());
                g.force_change |= u.force_change;
            }
            None => groups.push(MailGroup {
                to,
                include_password,
                force_change: u.force_change,
                ids: vec![u.id.to_string()],
                fallback,
            }),
        }
    }
    groups
}

/// Finishes what earlier runs left: for a user whose restore is unknown, asks the directory;
/// for each restored user, sets a new password (the old one is gone with the run: generated,
/// or the one given). The outcomes then go to `send_sign_in_mail` (to `Unfinished::mail_to` or
/// other recipients) or to `record_mail_skipped`, exactly as after a normal run.
///
/// A user whose sign-in mail may already have gone out (the journal's last mail step for it
/// is `MailSending`) keeps its password unless `resend` is set: a new one would make the mail
/// in the recipient's inbox wrong. Its outcome is restored, without a password, failed at
/// `Stage::Mail` with code `MAIL_UNCERTAIN_CODE` and "mail may have been sent at T; check the
/// recipient's inbox". The journal is read here, not taken from `items`, so a list read
/// before that mail went out cannot cause a reset.
///
/// The caller must hold the data dir's lock (`DataDirLock`): the journal's unfinished users
/// are otherwise possibly another live run's.
pub async fn finish_unfinished(
    dir: &dyn Directory,
    items: &[Unfinished],
    password: &PasswordChoice,
    resend: bool,
    journal: &Journal,
    audit: &Audit,
) -> (Vec<UserOutcome>, Vec<String>) {
    let run = uuid::Uuid::new_v4().to_string();
    let mut out = Vec::with_capacity(items.len());
    let mut warnings = Vec::new();
    let mail_window: HashMap<String, MailAttempt> = match journal.pending() {
        Ok(pending) => pending
            .into_iter()
            .filter_map(|p| p.mail_sending.map(|m| (p.unfinished.id, m)))
            .collect(),
        Err(e) if !resend => {
            // Not knowing whether a mail went out, no password is replaced.
            warnings.push(format!(
                "the journal ({}) could not be read: {e}; nothing was finished",
                journal.path().display()
            ));
            return (out, warnings);
        }
        Err(_) => HashMap::new(),
    };
    for item in items {
        let mut o = outcome_of(&run, item);
        if let (Some(mail), false) = (mail_window.get(&item.id), resend) {
            // Nothing is sent and nothing journaled: the next run finds it the same way, until
            // the admin says the mail arrived or chooses to resend.
            mail_may_have_gone(&mut o, &item.upn, mail);
            out.push(o);
            continue;
        }
        let books = (journal, audit);
        if !found_restored(dir, item, &run, books, &mut o, &mut warnings).await {
            out.push(o);
            continue;
        }
        // A user whose password was set but whose mail never went out gets a new one too:
        // the old one went with the run that set it.
        // A user planned with a pass gets a new pass, unless a password was asked for.
        let choice = match (item.tap, password) {
            (Some(tap), PasswordChoice::Auto) => PasswordChoice::Tap(tap),
            _ => password.clone(),
        };
        let step = PasswordStep {
            choice,
            force_change: item.force_change,
            force_change_with_mfa: false,
            why: "finishing an interrupted restore".into(),
        };
        if item.wants_password {
            warnings.extend(set_password(dir, &mut o, &step, journal, audit).await);
        }
        out.push(o);
    }
    bring_back_left(dir, items, &mut out, journal, audit, &mut warnings).await;
    (out, warnings)
}

/// What the interrupted runs still had to give back (never tried, or failed in a way that
/// may pass), for the users found restored: one batch, each item journaled and audited.
async fn bring_back_left(
    dir: &dyn Directory,
    items: &[Unfinished],
    out: &mut [UserOutcome],
    journal: &Journal,
    audit: &Audit,
    warnings: &mut Vec<String>,
) {
    let mut asked: Vec<(usize, BringBack)> = Vec::new();
    for (i, o) in out.iter().enumerate() {
        if !o.restored() || o.mail_maybe_sent() {
            continue;
        }
        if let Some(u) = items.iter().find(|u| u.id == o.id) {
            asked.extend(u.bring_back.iter().map(|b| (i, b.clone())));
        }
    }
    warnings.extend(give_back(dir, asked, out, journal, audit).await);
}

/// `r` on the result screen: each item the directory refused before (a seat freed since, a
/// permission granted), asked again for the restored users in `out`; each journaled and
/// audited like the first try. The warnings are the books' own failures.
pub async fn bring_back_again(
    dir: &dyn Directory,
    out: &mut [UserOutcome],
    journal: &Journal,
    audit: &Audit,
) -> Vec<String> {
    let asked: Vec<(usize, BringBack)> = out
        .iter()
        .enumerate()
        .filter(|(_, o)| o.restored())
        .flat_map(|(i, o)| o.items_failed().map(move |f| (i, f.item.clone())))
        .collect();
    give_back(dir, asked, out, journal, audit).await
}

/// The outcome of an unfinished user before anything is done for it.
fn outcome_of(run: &str, item: &Unfinished) -> UserOutcome {
    UserOutcome {
        run: run.to_string(),
        id: item.id.clone(),
        display_name: item.display_name.clone(),
        original_upn: item.upn.clone(),
        upn: None,
        password: None,
        tap: None,
        failure: None,
        force_change: item.force_change,
        wants_password: item.wants_password,
        synced: false,
        guest: false,
        account_disabled: item.account_disabled,
        planned: None,
        password_kept: false,
        brought_back: Vec::new(),
    }
}

/// A user whose sign-in mail may have gone out: restored, its password kept, failed at
/// `Stage::Mail` with `MAIL_UNCERTAIN_CODE`.
fn mail_may_have_gone(o: &mut UserOutcome, upn: &str, mail: &MailAttempt) {
    o.upn = Some(upn.to_string());
    o.password_kept = true;
    let mut error = DirectoryError::new(
        ErrorKind::Invalid,
        format!(
            "{}; its password was left as it is (a resend sets a new one and mails it)",
            mail.describe()
        ),
    )
    .sent(crate::directory::Sent::Maybe);
    error.code = Some(MAIL_UNCERTAIN_CODE.to_string());
    o.failure = Some(Failure {
        at: mail.at,
        stage: Stage::Mail,
        error,
    });
}

/// Whether the user is restored: as the journal says, or, when its restore's reply was lost,
/// as the directory says (journaled and audited then). `false` with the outcome's failure
/// set when it is not (never restored, closed in the journal) or cannot be told.
async fn found_restored(
    dir: &dyn Directory,
    item: &Unfinished,
    run: &str,
    (journal, audit): (&Journal, &Audit),
    o: &mut UserOutcome,
    warnings: &mut Vec<String>,
) -> bool {
    if item.restore == RestoreState::Restored {
        o.upn = Some(item.upn.clone());
        return true;
    }
    let (stage, error) = match dir.get_active(&item.id).await {
        Ok(Some(user)) => {
            record(
                journal,
                &journal::Entry::new(run, &item.id, Step::Restored)
                    .upn(&user.user_principal_name)
                    .detail("found active by a later run"),
                warnings,
            );
            // The run that sent it never audited it: its reply was lost with it.
            if let Err(e) = audit.record(
                "restore",
                &format!("{} ({})", user.user_principal_name, item.id),
                Ok(()),
                Some(LOST_REPLY_FOUND_RESTORED.to_string()),
            ) {
                warnings.push(e.to_string());
            }
            o.upn = Some(user.user_principal_name);
            return true;
        }
        Ok(None) => {
            let error = never_restored(dir, &item.id).await;
            record(
                journal,
                &journal::Entry::new(run, &item.id, Step::Closed).detail(error.message.clone()),
                warnings,
            );
            (Stage::Restore, error)
        }
        Err(error) => (Stage::Preflight, error),
    };
    o.failure = Some(Failure {
        at: chrono::Utc::now(),
        stage,
        error,
    });
    false
}

/// Why a user planned but not active was not restored, in words: still in the deleted users
/// (restore it again), or gone from there too (purged, most likely).
async fn never_restored(dir: &dyn Directory, id: &str) -> DirectoryError {
    let message = match dir.get_deleted(id).await {
        Ok(_) => "not restored: the earlier run never restored it; it is still in deleted users",
        Err(e) if e.kind == ErrorKind::NotFound => {
            "not restored, and no longer in deleted users either (purged, or restored by someone \
             else under another name)"
        }
        Err(_) => "not restored: it is not active (the earlier run never restored it)",
    };
    DirectoryError::new(ErrorKind::NotRestored, message)
}

fn record(journal: &Journal, entry: &journal::Entry, warnings: &mut Vec<String>) {
    if let Err(e) = journal.record(entry) {
        warnings.push(e.to_string());
    }
}

/// A user whose sign-in mail the admin found in the inbox, now closed (`confirm_mail_arrived`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub id: String,
    pub display_name: String,
    pub upn: String,
    /// The mail that arrived: when it was sent, and to whom.
    pub mail: MailAttempt,
}

/// `undelete finish --mark-sent` and the result screen's `m`: users whose sign-in mail may
/// have gone out, closed without a new password once the admin found the mail in the inbox.
/// Each gets a `MailConfirmed` step (the password in that mail stays in force) and an audit
/// line saying the admin confirmed it.
///
/// `targets` are ids or user names. The journal is read here, not taken from a list the
/// caller holds. A target that is not such a user is refused in words (what it is instead,
/// and what finishes it); when any is refused nothing is marked. The caller must hold the
/// data dir's lock.
pub fn confirm_mail_arrived(
    targets: &[String],
    journal: &Journal,
    audit: &Audit,
) -> Result<(Vec<Confirmed>, Vec<String>), Vec<String>> {
    let pending = journal.pending().map_err(|e| {
        vec![format!(
            "the journal ({}) could not be read: {e}; nothing was marked",
            journal.path().display()
        )]
    })?;
    let mut found: Vec<&Pending> = Vec::new();
    let mut refused = Vec::new();
    for target in targets {
        let t = target.trim();
        let Some(p) = pending.iter().find(|p| {
            p.unfinished.id.eq_ignore_ascii_case(t) || p.unfinished.upn.eq_ignore_ascii_case(t)
        }) else {
            refused.push(format!(
                "{t}: no unfinished restore in the journal has this id or user name, so there is \
                 no mail to mark"
            ));
            continue;
        };
        let u = &p.unfinished;
        if p.mail_sending.is_none() {
            let why = if u.restore == RestoreState::Unknown {
                "may never have been restored; `undelete finish` checks it"
            } else if u.wants_password && !u.password_set {
                "has no password yet, so no sign-in mail went out; `undelete finish` sets one and \
                 mails it"
            } else {
                "has no sign-in mail that may have gone out (it was never sent, or surely failed); \
                 `undelete finish` sets a new password and mails it"
            };
            refused.push(format!("{} ({}) {why}", u.upn, u.id));
            continue;
        }
        if !found.iter().any(|f| f.unfinished.id == u.id) {
            found.push(p);
        }
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    let run = uuid::Uuid::new_v4().to_string();
    let mut warnings = Vec::new();
    let mut out = Vec::with_capacity(found.len());
    for p in found {
        let u = &p.unfinished;
        let Some(mail) = p.mail_sending.clone() else {
            continue;
        };
        let what = format!(
            "the admin confirmed the sign-in mail sent at {} to {} arrived; its password stays",
            mail.at.format("%Y-%m-%d %H:%M:%S UTC"),
            if mail.to.is_empty() {
                "its recipients".to_string()
            } else {
                mail.to.join(", ")
            }
        );
        let mut entry = journal::Entry::new(&run, &u.id, Step::MailConfirmed).detail(what.clone());
        entry.mail_to = mail.to.clone();
        if let Err(e) = journal.record(&entry) {
            // Not journaled: the user stays listed, which is what the admin sees next time.
            warnings.push(e.to_string());
            continue;
        }
        if let Err(e) = audit.record(
            "confirm_mail",
            &format!("{} ({})", u.upn, u.id),
            Ok(()),
            Some(what),
        ) {
            warnings.push(e.to_string());
        }
        out.push(Confirmed {
            id: u.id.clone(),
            display_name: u.display_name.clone(),
            upn: u.upn.clone(),
            mail,
        });
    }
    Ok((out, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded<'a>(id: &'a str, to: &'a [String], include: bool) -> Recorded<'a> {
        Recorded {
            id,
            mail_to: to,
            include_password: include,
            force_change: id != "c",
        }
    }

    fn addrs(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn each_user_keeps_its_recipients_and_its_password_choice() {
        let helpdesk = addrs(&["helpdesk@contoso.com"]);
        let helpdesk_upper = addrs(&["HelpDesk@contoso.com"]);
        let lead = addrs(&["lead@contoso.com", "it@contoso.com"]);
        let nobody: Vec<String> = Vec::new();
        let users = [
            recorded("a", &helpdesk, true),
            recorded("b", &lead, true),
            recorded("c", &helpdesk_upper, true),
            recorded("d", &helpdesk, false),
            recorded("e", &nobody, true),
        ];
        let choice = MailChoice::default().fallback_to("admin@contoso.com");
        let groups = mail_groups(users, &choice);
        let summary: Vec<(Vec<String>, bool, Vec<String>, bool)> = groups
            .iter()
            .map(|g| (g.to.clone(), g.include_password, g.ids.clone(), g.fallback))
            .collect();
        assert_eq!(
            summary,
            vec![
                // The same recipients, however spelled, share one mail.
                (helpdesk.clone(), true, addrs(&["a", "c"]), false),
                (lead.clone(), true, addrs(&["b"]), false),
                // The same recipients without the password: a mail of its own.
                (helpdesk.clone(), false, addrs(&["d"]), false),
                // Nobody recorded: the admin, said as a fallback.
                (addrs(&["admin@contoso.com"]), true, addrs(&["e"]), true),
            ]
        );
        assert!(groups[0].force_change, "a asks for a change, c does not");
        // An app signed in app-only has no address: nobody is told about e.
        let groups = mail_groups(users, &MailChoice::default().fallback_to("undelete app"));
        assert!(groups.iter().all(|g| !g.ids.contains(&"e".to_string())));
        // `--email-to` and `--no-password-in-email` decide for everyone.
        let choice = MailChoice {
            email_to: Some(addrs(&["sec@contoso.com"])),
            no_password: true,
            fallback: Some("admin@contoso.com".into()),
        };
        let groups = mail_groups(users, &choice);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].ids, addrs(&["a", "b", "c", "d", "e"]));
        assert!(!groups[0].include_password && !groups[0].fallback);
    }

    fn planned(j: &Journal, id: &str) {
        let mut e = journal::Entry::new("r1", id, Step::Planned)
            .upn(&format!("{id}@contoso.com"))
            .display_name(id);
        e.mail_to = vec!["helpdesk@contoso.com".into()];
        e.include_password = true;
        j.record(&e).unwrap();
        j.record(&journal::Entry::new("r1", id, Step::Restored))
            .unwrap();
    }

    #[test]
    fn only_a_mail_that_may_have_gone_out_can_be_marked_arrived() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        let audit = Audit::open(dir.path(), "SANDBOX contoso", "admin@contoso.com").unwrap();
        // maybe: its mail's reply was lost. gone: the server was gone when it was sent.
        // nopass: its password was never set.
        for id in ["maybe", "gone", "nopass"] {
            planned(&j, id);
        }
        for id in ["maybe", "gone"] {
            j.record(&journal::Entry::new("r1", id, Step::PasswordSet))
                .unwrap();
            let mut sending = journal::Entry::new("r1", id, Step::MailSending);
            sending.mail_to = vec!["helpdesk@contoso.com".into()];
            j.record(&sending).unwrap();
        }
        let lost = DirectoryError::network("the connection was lost before a reply")
            .sent(crate::directory::Sent::Maybe);
        let refused_connect = DirectoryError::network("cannot connect: connection refused")
            .sent(crate::directory::Sent::No);
        j.record(&journal::Entry::failed("r1", "maybe", Stage::Mail, &lost))
            .unwrap();
        j.record(&journal::Entry::failed(
            "r1",
            "gone",
            Stage::Mail,
            &refused_connect,
        ))
        .unwrap();

        let refused = confirm_mail_arrived(
            &addrs(&["maybe", "gone@contoso.com", "nopass", "nobody"]),
            &j,
            &audit,
        )
        .unwrap_err();
        assert_eq!(refused.len(), 3, "{refused:?}");
        assert!(
            refused[0].starts_with("gone@contoso.com (gone) has no sign-in mail")
                && refused[0].contains("`undelete finish` sets a new password and mails it"),
            "{}",
            refused[0]
        );
        assert!(refused[1].contains("has no password yet"), "{}", refused[1]);
        assert!(
            refused[2].starts_with("nobody: no unfinished restore"),
            "{}",
            refused[2]
        );
        assert_eq!(j.pending().unwrap().len(), 3, "nothing was marked");

        let (done, warnings) =
            confirm_mail_arrived(&addrs(&["MAYBE@contoso.com"]), &j, &audit).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].id, "maybe");
        assert_eq!(done[0].mail.to, addrs(&["helpdesk@contoso.com"]));
        let left: Vec<String> = j
            .pending()
            .unwrap()
            .into_iter()
            .map(|p| p.unfinished.id)
            .collect();
        assert_eq!(left, addrs(&["gone", "nopass"]));
        let last = j.entries().unwrap().pop().unwrap();
        assert_eq!(last.step, Step::MailConfirmed);
        assert!(
            last.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("the admin confirmed the sign-in mail sent at ")),
            "{last:?}"
        );
        let line = audit.entries().unwrap().pop().unwrap();
        assert_eq!(line.action, "confirm_mail");
        assert_eq!(line.actor, "admin@contoso.com");
        assert_eq!(line.target, "maybe@contoso.com (maybe)");
        assert_eq!(line.outcome, "ok");
        assert!(
            line.detail
                .as_deref()
                .is_some_and(|d| d.ends_with("arrived; its password stays")),
            "{line:?}"
        );
    }
}
