//! A password (or a pass) set for a restored user outside a run: on the result screen (`p`),
//! for a retry, or when finishing an interrupted run; journaled and audited as a run's step.

use super::Audit;
use super::journal::{self, Journal, Step};
use super::plan::PasswordChoice;
use super::run::{Failure, UserOutcome, tap_detail, tap_entry, tap_failure};
use crate::directory::tap::TapRequest;
use crate::directory::{Directory, DirectoryError, PasswordChange, Stage};
use crate::password;

/// How a password is set outside a run: for one user on the result screen (`p`), for a retry,
/// or when finishing an interrupted run.
#[derive(Clone)]
pub struct PasswordStep {
    pub choice: PasswordChoice,
    pub force_change: bool,
    pub force_change_with_mfa: bool,
    /// Why, for the audit log ("set on the result screen", "finishing an interrupted run").
    pub why: String,
}

/// Sets a restored user's password, journaled and audited as a run's step is; the outcome
/// gets the password (and loses its failure), or the new failure. A typed password is
/// checked against the policy before anything is sent.
pub async fn set_password(
    dir: &dyn Directory,
    o: &mut UserOutcome,
    step: &PasswordStep,
    journal: &Journal,
    audit: &Audit,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Err(why) = journal.ensure_held() {
        o.failure = Some(Failure {
            at: chrono::Utc::now(),
            stage: Stage::Password,
            error: DirectoryError::invalid(format!("not set, nothing was sent: {why}")),
        });
        return warnings;
    }
    if let PasswordChoice::Tap(req) = &step.choice {
        issue_tap(dir, o, req, &step.why, journal, audit, &mut warnings).await;
        return warnings;
    }
    let secret = match &step.choice {
        PasswordChoice::Auto | PasswordChoice::Tap(_) => password::generate(),
        PasswordChoice::Given(p) => {
            if let Some(rule) =
                password::check(secrecy::ExposeSecret::expose_secret(p)).first_failure()
            {
                o.failure = Some(Failure {
                    at: chrono::Utc::now(),
                    stage: Stage::Password,
                    error: DirectoryError::new(
                        crate::directory::ErrorKind::WeakPassword,
                        format!("Password rejected: {rule}"),
                    )
                    .sent(crate::directory::Sent::No),
                });
                return warnings;
            }
            p.clone()
        }
    };
    let change = PasswordChange {
        password: secret.clone(),
        force_change_next_sign_in: step.force_change,
        force_change_with_mfa: step.force_change && step.force_change_with_mfa,
    };
    let target = format!("{} ({})", o.upn.as_deref().unwrap_or(&o.original_upn), o.id);
    let result = dir.set_password(&o.id, &change).await;
    if let Err(e) = audit.record(
        "set_password",
        &target,
        result.as_ref().map(|_| ()),
        Some(step.why.clone()),
    ) {
        warnings.push(e.to_string());
    }
    let done = result
        .as_ref()
        .map(|()| journal::Entry::new(&o.run, &o.id, Step::PasswordSet));
    record_step(journal, o, done, "set a password on", &mut warnings);
    match result {
        Ok(()) => {
            o.password = Some(secret);
            o.tap = None;
            o.force_change = step.force_change;
            o.failure = None;
            // The password an earlier mail may have carried is replaced.
            o.password_kept = false;
        }
        Err(error) => {
            o.failure = Some(Failure {
                at: chrono::Utc::now(),
                stage: Stage::Password,
                error,
            });
        }
    }
    warnings
}

/// Issues a pass to a restored user outside a run (`p`, a retry, finishing), journaled and
/// audited as a run's pass is.
async fn issue_tap(
    dir: &dyn Directory,
    o: &mut UserOutcome,
    req: &TapRequest,
    why: &str,
    journal: &Journal,
    audit: &Audit,
    warnings: &mut Vec<String>,
) {
    let target = format!("{} ({})", o.upn.as_deref().unwrap_or(&o.original_upn), o.id);
    let result = dir.create_tap(&o.id, req).await;
    let detail = match &result {
        Ok(issued) => format!("{}; {why}", tap_detail(&issued.terms())),
        Err(_) => why.to_string(),
    };
    if let Err(e) = audit.record(
        "issue_tap",
        &target,
        result.as_ref().map(|_| ()),
        Some(detail),
    ) {
        warnings.push(e.to_string());
    }
    let done = result
        .as_ref()
        .map(|issued| tap_entry(&o.run, &o.id, &issued.terms()));
    record_step(journal, o, done, "issue a pass to", warnings);
    match result {
        Ok(issued) => {
            o.tap = Some(issued.terms());
            o.password = Some(issued.pass);
            o.failure = None;
            o.password_kept = false;
        }
        Err(error) => {
            o.failure = Some(Failure {
                at: chrono::Utc::now(),
                stage: Stage::Password,
                error: tap_failure(error),
            });
        }
    }
}

/// Journals a password step: `done`'s line when it went through, a failure otherwise. A user
/// that is no longer active (deleted again or purged since) is closed instead: there is
/// nothing left to finish, and keeping it open would list it as unfinished on every run from
/// now on.
fn record_step(
    journal: &Journal,
    o: &UserOutcome,
    done: Result<journal::Entry, &DirectoryError>,
    what: &str,
    warnings: &mut Vec<String>,
) {
    let entry = match done {
        Ok(entry) => entry,
        Err(error) if error.kind == crate::directory::ErrorKind::NotFound => {
            journal::Entry::new(&o.run, &o.id, Step::Closed)
                .detail(format!("no active user to {what} any more: {error}"))
        }
        Err(error) => journal::Entry::failed(&o.run, &o.id, Stage::Password, error),
    };
    if let Err(e) = journal.record(&entry) {
        warnings.push(e.to_string());
    }
}
