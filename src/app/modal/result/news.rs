//! The result screen's news: a run that ended, its after-care, retries and passwords set
//! from here, and the sign-in mails sent or closed as arrived.

use super::*;
use crate::text::count;

/// A run (or `F`) is over: the result screen takes the progress screen's place, and the
/// after-care of the restored users is read.
pub(in crate::app) fn on_restore_finished(
    state: &mut State,
    outcomes: Vec<UserOutcome>,
    mail: Option<Vec<MailGroup>>,
) -> Vec<Effect> {
    let session = state.sessions.current_mut();
    session.finishing = false;
    // A run may have taken seats: the next dialog reads them afresh.
    session.seats = None;
    let restored: HashSet<String> = outcomes
        .iter()
        .filter(|o| o.restored())
        .map(|o| o.id.clone())
        .collect();
    for o in &outcomes {
        if let Some(f) = &o.failure
            && matches!(
                f.error.kind,
                ErrorKind::UpnConflict | ErrorKind::ProxyConflict
            )
        {
            session.users.mark_conflict(o.id.clone());
        }
    }
    session.users.remove_ids(&restored);
    // A run the admin left whose end still came (it was on its way): its users in flight
    // are F's, and only a password or pass it made is still shown, since that is never lost.
    if std::mem::take(&mut session.left_run)
        && outcomes
            .iter()
            .all(|o| o.password.is_none() && o.tap.is_none())
    {
        return vec![Effect::LoadUnfinished];
    }
    // Finishing brings each user's mail (the finishing rule); a run, the dialog's.
    let (recipients, include_password) = match &mail {
        Some(_) => (Vec::new(), false),
        None => session.last_mail.take().unwrap_or((Vec::new(), true)),
    };
    // Finishing interrupted restores generates, and asks for a change at sign-in.
    let step = session.last_step.take().unwrap_or(PasswordStep {
        choice: PasswordChoice::Auto,
        force_change: true,
        force_change_with_mfa: false,
        why: "tried again on the result screen".into(),
    });
    // What the table said before belongs to the table: this screen has its own lines.
    state.notice = None;
    // After-care reads what came back with the restored users, now that the restores are
    // done; their passwords stay here.
    let care = to_read_again(&outcomes);
    let mut result = ResultState::new(outcomes, recipients, include_password, step);
    result.groups = mail;
    if care.is_empty() {
        result.after_care = Some(Vec::new());
    }
    state.modal = Some(Modal::Result(Box::new(result)));
    if care.is_empty() {
        Vec::new()
    } else {
        vec![Effect::AfterCare { outcomes: care }]
    }
}

/// The restored users among `outcomes`, for the after-care's reads: without their passwords,
/// which stay on this screen.
fn to_read_again(outcomes: &[UserOutcome]) -> Vec<UserOutcome> {
    outcomes
        .iter()
        .filter(|o| o.restored())
        .map(|o| UserOutcome {
            password: None,
            ..o.clone()
        })
        .collect()
}

/// What came back with the restored users.
pub(in crate::app) fn on_after_care(
    state: &mut State,
    reports: Vec<restore::aftercare::AfterCare>,
) {
    if let Some(Modal::Result(r)) = &mut state.modal {
        // Read after the restore, it is fresher than the listing: the mail follows it.
        for o in &mut r.outcomes {
            if let Some(disabled) = reports
                .iter()
                .find(|c| c.id == o.id)
                .and_then(|c| c.disabled())
            {
                o.account_disabled = disabled;
            }
        }
        // A later read (after a retry) replaces only its own users' reports.
        match &mut r.after_care {
            Some(known) => {
                known.retain(|c| !reports.iter().any(|n| n.id == c.id));
                known.extend(reports);
            }
            None => r.after_care = Some(reports),
        }
    }
}

/// Outcomes a retry or `p` changed replace theirs on the result screen; what came back with
/// the users a retry restored, or gave items back to, is read again.
pub(in crate::app) fn on_outcomes_updated(
    state: &mut State,
    changed: Vec<restore::UserOutcome>,
) -> Vec<Effect> {
    let restored: HashSet<String> = changed
        .iter()
        .filter(|o| o.restored())
        .map(|o| o.id.clone())
        .collect();
    state.session_mut().users.remove_ids(&restored);
    state.session_mut().seats = None;
    let Some(Modal::Result(r)) = &mut state.modal else {
        return Vec::new();
    };
    r.busy = false;
    // A password set changes nothing the after-care reads: only a user restored now, or
    // given items back, is read again.
    let moved: Vec<UserOutcome> = changed
        .iter()
        .filter(|new| {
            r.outcomes
                .iter()
                .find(|o| o.id == new.id)
                .is_none_or(|old| {
                    !old.restored() || old.items_failed().count() != new.items_failed().count()
                })
        })
        .cloned()
        .collect();
    let care = to_read_again(&moved);
    let changed_ids: HashSet<String> = changed.iter().map(|o| o.id.clone()).collect();
    let (mut fixed, mut still) = (0, 0);
    for new in changed {
        if new.failure.is_none() && new.items_failed().next().is_none() {
            fixed += 1;
        } else {
            still += 1;
        }
        match r.outcomes.iter_mut().find(|o| o.id == new.id) {
            Some(old) => *old = new,
            None => r.outcomes.push(new),
        }
    }
    let first_error = r
        .outcomes
        .iter()
        .filter(|o| changed_ids.contains(&o.id))
        .find_map(|o| {
            o.failure
                .as_ref()
                .map(|f| (o.display_name.clone(), f.error.message.clone()))
        });
    r.message = Some(match (fixed, still, first_error) {
        (_, 0, _) => format!("✓ {} done.", count(fixed, "user", "users")),
        (0, 1, Some((name, why))) => format!("✗ {name}: {why} (e shows it whole)"),
        (0, _, _) => format!(
            "✗ Still failing: {}. e shows why.",
            count(still, "user", "users")
        ),
        _ => format!("✓ {fixed} done, ✗ {still} still failing (e shows why)."),
    });
    if care.is_empty() {
        Vec::new()
    } else {
        vec![Effect::AfterCare { outcomes: care }]
    }
}

/// A sign-in mail went out, or why it did not.
pub(in crate::app) fn on_mail_sent(state: &mut State, sent: Result<(), MailFailed>) -> Vec<Effect> {
    let Some(Modal::Result(r)) = &mut state.modal else {
        return Vec::new();
    };
    r.sending = false;
    match sent {
        Ok(()) => mail_went(state),
        Err(e) => {
            r.send_error = Some(e);
            Vec::new()
        }
    }
}

/// A sign-in mail went out: its users are mailed, and the next mail goes. Once none is left
/// the screen closes, unless a user nobody could be told about is still on it (its password
/// is only here).
fn mail_went(state: &mut State) -> Vec<Effect> {
    let Some(Modal::Result(r)) = &mut state.modal else {
        return Vec::new();
    };
    if let Some(g) = r.in_flight.take() {
        r.mailed.extend(g.ids);
        for a in g.to {
            if !r.sent_to.iter().any(|s| s.eq_ignore_ascii_case(&a)) {
                r.sent_to.push(a);
            }
        }
    }
    if let Some(next) = r.send_next() {
        return vec![next];
    }
    let to = r.sent_to.join(", ");
    let untold = r
        .outcomes
        .iter()
        .filter(|o| o.complete() && !r.mailed.contains(&o.id))
        .count();
    if untold > 0 {
        r.message = Some(format!(
            "✓ Sign-in info sent to {to}. {} {} nobody to tell: v shows, c copies; Esc \
             closes.",
            count(untold, "user", "users"),
            crate::text::plural(untold, "has", "have")
        ));
        return Vec::new();
    }
    state.modal = None;
    state.notice = Some((NoticeKind::Info, format!("✓ Sign-in info sent to {to}.")));
    Vec::new()
}

/// `m` was answered: the users the journal now has as mailed (the password that mail carried
/// stays), or why it could not say so.
pub(in crate::app) fn on_mail_arrived(state: &mut State, result: Result<Vec<String>, String>) {
    let Some(Modal::Result(r)) = &mut state.modal else {
        return;
    };
    r.busy = false;
    match result {
        Ok(ids) => {
            let mut names = Vec::new();
            for o in r.outcomes.iter_mut().filter(|o| ids.contains(&o.id)) {
                o.failure = None;
                names.push(o.display_name.clone());
                r.mailed.insert(o.id.clone());
            }
            r.message = Some(format!(
                "✓ {} closed as mailed: the password in that mail stays.",
                names.join(", ")
            ));
            // The mail whose reply was lost is settled once all its users are: its error
            // gives way to what was done (it is drawn over any message).
            if r.send_error.as_ref().is_some_and(|e| e.may_have_gone)
                && !(0..r.outcomes.len()).any(|i| r.in_maybe_sent_mail(i))
            {
                r.send_error = None;
            }
        }
        Err(why) => r.message = Some(format!("✗ {why}")),
    }
}
