//! The end of `restore` and `finish`: the sign-in info sent (one email per set of recipients
//! and password choice), what was not mailed recorded, and one JSON line per user printed.

use serde_json::{Value, json};

use super::lines::{FINISH_COMMAND, mail_maybe_advice_json, mark_sent_command, outcome_line};
use super::{Context, EXIT_FAILED, EXIT_OK, Io};
use crate::directory::{Directory, DirectoryError};
use crate::mail::SignInMail;
use crate::restore::{self, Audit, Journal, MailGroup, UserOutcome};

/// What a command prints at its end: a JSON line per user, and whether any of them failed.
#[derive(Default)]
pub(super) struct Report {
    pub lines: Vec<Value>,
    pub failed: bool,
}

impl Report {
    /// A line for a user that failed.
    pub fn fail(&mut self, line: Value) {
        self.failed = true;
        self.lines.push(line);
    }

    /// Prints the lines; the exit code.
    pub fn print(self, io: &mut Io<'_>) -> color_eyre::Result<i32> {
        for line in &self.lines {
            undelete_common::safe_json::write_line(io.out, line)?;
        }
        io.out.flush()?;
        Ok(if self.failed { EXIT_FAILED } else { EXIT_OK })
    }
}

/// One user's result on its way out: who gets its sign-in info, and with what.
pub(super) struct ToDeliver {
    pub outcome: UserOutcome,
    pub to: Vec<String>,
    pub include_password: bool,
    /// `"restored"` or `"finished"`.
    pub status: &'static str,
    /// Asked to bring back what offboarding took, but its audit log could not be read: why.
    pub unread: Option<String>,
}

impl ToDeliver {
    /// A finished user, mailed as the finishing rule's `groups` say (nobody, when it is in
    /// none).
    pub(super) fn finished(outcome: UserOutcome, groups: &[MailGroup]) -> Self {
        let group = groups.iter().find(|g| g.ids.contains(&outcome.id));
        Self {
            to: group.map(|g| g.to.clone()).unwrap_or_default(),
            include_password: group.is_some_and(|g| g.include_password),
            status: "finished",
            unread: None,
            outcome,
        }
    }

    /// Whether its password was generated here (finishing always generates) rather than
    /// typed by the admin, and so may be shown.
    fn generated(&self, typed_password: bool) -> bool {
        self.status == "finished" || !typed_password
    }
}

/// What the books are written with: the run's journal and audit log.
pub(super) struct Books<'a> {
    pub journal: &'a Journal,
    pub audit: &'a Audit,
}

/// Sends the sign-in info, records what was not mailed, and prints one line per user after
/// the lines `report` holds already. A password the admin typed is not echoed back; a
/// generated one is shown unless the email carried it.
pub(super) async fn deliver(
    ctx: &Context,
    io: &mut Io<'_>,
    results: Vec<ToDeliver>,
    options: &SignInMail,
    typed_password: bool,
    books: Books<'_>,
    mut report: Report,
) -> color_eyre::Result<i32> {
    let dir = ctx.directory();
    let mailed = send_all(dir.as_ref(), io, &results, options, typed_password, &books).await?;
    report.failed |= mailed.error.iter().any(Option::is_some);
    // What came back with the restored users, read once the restores and mail are done.
    let outcomes: Vec<UserOutcome> = results.iter().map(|r| r.outcome.clone()).collect();
    let care = restore::aftercare::report(dir.as_ref(), &outcomes).await;
    for (i, r) in results.iter().enumerate() {
        let o = &r.outcome;
        let show_password = r.generated(typed_password) && (!mailed.sent[i] || !r.include_password);
        if o.complete() && !mailed.sent[i] && mailed.error[i].is_none() {
            let why = if show_password {
                "no email: password printed on standard output"
            } else {
                "no email: the admin chose the password"
            };
            for warning in restore::record_mail_skipped(std::slice::from_ref(o), books.journal, why)
            {
                writeln!(io.err, "undelete: warning: {warning}")?;
            }
        }
        // An item that did not come back fails the run (the user itself may be fine).
        report.failed |= o.failure.is_some() || o.items_failed().next().is_some();
        report.failed |= r.unread.is_some();
        let mut line = outcome_line(o, r.status, mailed.sent[i], show_password);
        if let Some(why) = &r.unread {
            line["bringBack"] =
                json!({ "error": format!("what offboarding took could not be read: {why}") });
        }
        if let Some(e) = &mailed.error[i] {
            mail_error_fields(&mut line, e, &o.id);
        }
        if let Some(c) = care.iter().find(|c| c.id == o.id) {
            line["afterCare"] = c.to_json();
        }
        report.lines.push(line);
    }
    report.print(io)
}

/// Per user, whether its sign-in mail went out, and why not when sending failed. A user whose
/// mail failed stays unfinished (not "skipped"), so `undelete finish` can still mail it, or,
/// if it may have gone out, close it once it arrived.
struct Mailed {
    sent: Vec<bool>,
    error: Vec<Option<DirectoryError>>,
}

async fn send_all(
    dir: &dyn Directory,
    io: &mut Io<'_>,
    results: &[ToDeliver],
    options: &SignInMail,
    typed_password: bool,
    books: &Books<'_>,
) -> color_eyre::Result<Mailed> {
    let mut mailed = Mailed {
        sent: vec![false; results.len()],
        error: vec![None; results.len()],
    };
    let mut groups: Vec<(Vec<String>, bool)> = Vec::new();
    for r in results {
        let key = (r.to.clone(), r.include_password);
        if !r.to.is_empty() && !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (to, include_password) in &groups {
        let idx: Vec<usize> = (0..results.len())
            .filter(|&i| &results[i].to == to && results[i].include_password == *include_password)
            .collect();
        let group: Vec<UserOutcome> = idx.iter().map(|&i| results[i].outcome.clone()).collect();
        if !group.iter().any(|o| o.complete()) {
            continue;
        }
        let options = SignInMail {
            include_password: *include_password,
            force_change: group.iter().any(|o| o.complete() && o.force_change),
            ..options.clone()
        };
        let sent =
            restore::send_sign_in_mail(dir, &group, to, &options, books.journal, books.audit).await;
        match sent {
            Ok(delivered) => {
                for warning in &delivered.warnings {
                    writeln!(io.err, "undelete: warning: {warning}")?;
                }
                for &i in &idx {
                    mailed.sent[i] = results[i].outcome.complete();
                }
            }
            Err(e) => {
                let generated: Vec<bool> = idx
                    .iter()
                    .map(|&i| results[i].generated(typed_password))
                    .collect();
                say_not_sent(io, to, &e, &generated)?;
                for &i in &idx {
                    mailed.error[i] = Some(e.clone());
                }
            }
        }
    }
    Ok(mailed)
}

/// The line on stderr when a group's mail failed: why, whether it may have gone out, and
/// where the passwords are instead (`generated`: per user, whether its password is printed).
fn say_not_sent(
    io: &mut Io<'_>,
    to: &[String],
    e: &DirectoryError,
    generated: &[bool],
) -> std::io::Result<()> {
    let shown = generated.iter().any(|g| *g);
    let typed = generated.iter().any(|g| !*g);
    let instead = match (shown, typed) {
        (true, false) => "the passwords are printed instead",
        (false, _) => "give the users the password you chose another way",
        (true, true) => {
            "the generated passwords are printed instead; give the users the one you chose \
             another way"
        }
    };
    let maybe = if e.may_have_happened() {
        " (it may have gone out all the same: check the inbox before sending again)"
    } else {
        ""
    };
    writeln!(
        io.err,
        "the sign-in info could not be sent to {}: {e}{maybe}; {instead}",
        to.join(", ")
    )
}

/// A failed mail in a user's line, with the command that closes it.
fn mail_error_fields(line: &mut Value, e: &DirectoryError, id: &str) {
    line["mailError"] = json!(e.to_string());
    if e.may_have_happened() {
        // A plain `finish` leaves such a user alone: name what closes it.
        line["mailMayHaveBeenSent"] = json!(true);
        line["advice"] = json!(mail_maybe_advice_json());
        line["next"] = json!(mark_sent_command(id));
    } else {
        line["next"] = json!(FINISH_COMMAND);
    }
}
