//! The result screen: what each user's restore came to, the mail to send, and the fixes
//! (a password prompt, retries, the error pane).

use std::collections::HashSet;

use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::Modal;
use crate::app::action::Action;
use crate::app::effect::{Effect, MailCommand};
use crate::app::state::State;
use crate::directory::Stage;
use crate::restore::{self, PasswordChoice, PasswordStep, UserOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultButton {
    SendAndClose,
    CloseWithoutMail,
}

/// The "Send email and close" screen. No `Debug`: it holds passwords.
pub struct ResultState {
    /// One per user, in plan order; restored ones carry their password.
    pub outcomes: Vec<UserOutcome>,
    pub recipients: Vec<String>,
    pub include_password: bool,
    /// How passwords are set when a failed user is tried again (`r`): the run's choices.
    pub step: restore::PasswordStep,
    pub focus: ResultButton,
    pub selected: usize,
    pub reveal: bool,
    pub confirm_close: bool,
    pub sending: bool,
    pub send_error: Option<String>,
    /// What the last key did ("Copied …", "Retrying 2 users…").
    pub message: Option<String>,
    /// A retry or a password (`p`) is on its way.
    pub busy: bool,
    /// `p`: the password prompt for one user.
    pub prompt: Option<PasswordPrompt>,
    /// `e`: the selected user's whole error, scrolled this far.
    pub error_pane: Option<usize>,
    /// What came back with the restored users (`None`: still being read).
    pub after_care: Option<Vec<restore::aftercare::AfterCare>>,
}

/// The password prompt for one restored user without a password. No `Debug`: it holds one.
pub struct PasswordPrompt {
    /// Index into the result's outcomes.
    pub index: usize,
    pub auto: bool,
    pub input: Input,
    pub reveal: bool,
    pub error: Option<String>,
}

impl ResultState {
    pub fn new(
        outcomes: Vec<UserOutcome>,
        recipients: Vec<String>,
        include_password: bool,
        step: restore::PasswordStep,
    ) -> Self {
        Self {
            outcomes,
            recipients,
            include_password,
            step,
            focus: ResultButton::SendAndClose,
            selected: 0,
            reveal: false,
            confirm_close: false,
            sending: false,
            send_error: None,
            message: None,
            busy: false,
            prompt: None,
            error_pane: None,
            after_care: None,
        }
    }

    /// The after-care report of the outcome at `i`, when it has been read.
    pub fn care_of(&self, i: usize) -> Option<&restore::aftercare::AfterCare> {
        let id = &self.outcomes.get(i)?.id;
        self.after_care.as_ref()?.iter().find(|c| &c.id == id)
    }

    /// Whether `e` has something to show for the line at `i`: its own error, the error of the
    /// sign-in mail it was in, or its after-care.
    pub fn has_error_to_show(&self, i: usize) -> bool {
        self.outcomes.get(i).is_some_and(|o| {
            o.failure.is_some()
                || (self.send_error.is_some() && o.complete())
                || self.care_of(i).is_some()
        })
    }

    /// Restored, but without the password they need.
    pub fn missing_passwords(&self) -> usize {
        self.outcomes.iter().filter(|o| o.needs_password()).count()
    }

    /// Users a retry (`r`) would try again: a failed restore with its plan, or a missing
    /// password.
    pub fn retryable(&self) -> usize {
        self.outcomes.iter().filter(|o| retryable(o)).count()
    }

    /// Passwords on this screen that nobody else has seen yet: closing loses them.
    pub fn holds_passwords(&self) -> bool {
        self.outcomes
            .iter()
            .any(|o| o.complete() && o.password.is_some())
    }

    pub fn restored(&self) -> usize {
        self.outcomes.iter().filter(|o| o.restored()).count()
    }

    /// Restored with a password set: the users the sign-in mail is about.
    pub fn complete(&self) -> usize {
        self.outcomes.iter().filter(|o| o.complete()).count()
    }

    /// Mail can be sent: someone was restored and there is someone to tell.
    pub fn can_send(&self) -> bool {
        self.complete() > 0 && !self.recipients.is_empty()
    }
}

/// A failed user that `r` can try again.
pub fn retryable(o: &UserOutcome) -> bool {
    // A password whose mail may have gone out is not reset by a retry: only `p`, on purpose.
    let mail_maybe_sent = o
        .failure
        .as_ref()
        .is_some_and(|f| f.error.code.as_deref() == Some(restore::MAIL_UNCERTAIN_CODE));
    (o.needs_password() && !mail_maybe_sent)
        || (!o.restored()
            && o.planned.is_some()
            && o.failure
                .as_ref()
                .is_some_and(|f| matches!(f.stage, Stage::Restore | Stage::Preflight)))
}

pub(in crate::app) fn result_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(Modal::Result(r)) = &mut state.modal else {
        return Vec::new();
    };
    match action {
        Some(Action::Down) => r.selected = (r.selected + 1).min(r.outcomes.len().saturating_sub(1)),
        Some(Action::Up) => r.selected = r.selected.saturating_sub(1),
        Some(Action::NextField) if r.can_send() => {
            r.focus = match r.focus {
                ResultButton::SendAndClose => ResultButton::CloseWithoutMail,
                ResultButton::CloseWithoutMail => ResultButton::SendAndClose,
            }
        }
        Some(Action::Reveal) => r.reveal = !r.reveal,
        Some(Action::Copy) => {
            if let Some(o) = r.outcomes.get(r.selected)
                && let Some(pw) = &o.password
            {
                r.message = Some(format!(
                    "Copied {}'s password to the clipboard (OSC 52).",
                    o.display_name
                ));
                return vec![Effect::Copy(pw.clone())];
            }
            r.message = Some("This line has no password to copy.".into());
        }
        Some(Action::ShowError) => match r.outcomes.get(r.selected) {
            Some(_) if r.has_error_to_show(r.selected) => r.error_pane = Some(0),
            _ => r.message = Some("This line has no error or after-care to show.".into()),
        },
        Some(Action::SetPassword) => {
            if r.busy {
                r.message = Some("Still working on the last request…".into());
            } else if let (Some(o), PasswordChoice::Tap(_)) =
                (r.outcomes.get(r.selected), &r.step.choice)
                && o.needs_password()
            {
                // A pass hand-off: `p` issues a new pass, there is nothing to type.
                let outcome = o.clone();
                let mut step = r.step.clone();
                step.why = "issued with p on the result screen".into();
                r.busy = true;
                r.message = Some(format!(
                    "Issuing a Temporary Access Pass to {}…",
                    outcome.display_name
                ));
                return vec![Effect::Retry {
                    restore: None,
                    passwords: vec![outcome],
                    step,
                }];
            } else if r
                .outcomes
                .get(r.selected)
                .is_some_and(|o| o.needs_password())
            {
                r.prompt = Some(PasswordPrompt {
                    index: r.selected,
                    auto: true,
                    input: Input::default(),
                    reveal: false,
                    error: None,
                });
            } else {
                r.message = Some("p sets a password for a restored user that has none.".into());
            }
        }
        Some(Action::Retry) => return retry_failed(r),
        Some(Action::Submit) => {
            if r.sending || r.busy {
                return Vec::new();
            }
            if !r.can_send() {
                // Passwords nobody has been sent: closing loses them, so ask as "Close
                // without email" does.
                if r.holds_passwords() {
                    r.confirm_close = true;
                    return Vec::new();
                }
                let outcomes = std::mem::take(&mut r.outcomes);
                state.modal = None;
                return if outcomes.iter().any(|o| o.complete()) {
                    vec![Effect::MailSkipped { outcomes }]
                } else {
                    Vec::new()
                };
            }
            match r.focus {
                ResultButton::SendAndClose => {
                    r.sending = true;
                    r.send_error = None;
                    return vec![Effect::SendMail(MailCommand {
                        outcomes: r
                            .outcomes
                            .iter()
                            .filter(|o| o.complete())
                            .cloned()
                            .collect(),
                        recipients: r.recipients.clone(),
                        include_password: r.include_password,
                        force_change: r.outcomes.iter().any(|o| o.force_change),
                    })];
                }
                ResultButton::CloseWithoutMail => r.confirm_close = true,
            }
        }
        Some(Action::Cancel) => {
            if r.sending || r.busy {
                return Vec::new();
            }
            if r.complete() > 0 || r.missing_passwords() > 0 {
                r.confirm_close = true;
            } else {
                state.modal = None;
            }
        }
        _ => {}
    }
    Vec::new()
}

/// `r`: every failed user again with the run's choices: a failed restore is planned again,
/// a missing password is set.
pub(in crate::app) fn retry_failed(r: &mut ResultState) -> Vec<Effect> {
    if r.busy || r.sending {
        r.message = Some("Still working on the last request…".into());
        return Vec::new();
    }
    let failed: Vec<&restore::UserOutcome> = r.outcomes.iter().filter(|o| retryable(o)).collect();
    if failed.is_empty() {
        r.message = Some("Nothing to retry.".into());
        return Vec::new();
    }
    let passwords: Vec<restore::UserOutcome> = failed
        .iter()
        .filter(|o| o.needs_password())
        .map(|o| (*o).clone())
        .collect();
    let planned: Vec<restore::PlannedUser> = failed
        .iter()
        .filter(|o| !o.restored())
        .filter_map(|o| o.planned.clone())
        .collect();
    let plan = (!planned.is_empty()).then(|| {
        let mut plan = restore::RestorePlan::new(planned);
        plan.password = r.step.choice.clone();
        plan.force_change = r.step.force_change;
        plan.force_change_with_mfa = r.step.force_change_with_mfa;
        plan.mail_to = r.recipients.clone();
        plan.include_password = r.include_password;
        plan
    });
    r.busy = true;
    r.message = Some(format!("Retrying {} user(s)…", failed.len()));
    vec![Effect::Retry {
        restore: plan,
        passwords,
        step: r.step.clone(),
    }]
}

/// Keys of the `p` prompt: Tab switches generate / type, F2 shows, Enter sets, Esc cancels.
pub(in crate::app) fn prompt_key(
    state: &mut State,
    action: Option<Action>,
    key: KeyEvent,
) -> Vec<Effect> {
    let Some(Modal::Result(r)) = &mut state.modal else {
        return Vec::new();
    };
    let Some(p) = &mut r.prompt else {
        return Vec::new();
    };
    match action {
        Some(Action::Cancel) => r.prompt = None,
        Some(Action::NextField) | Some(Action::PrevField) => {
            p.auto = !p.auto;
            p.error = None;
        }
        Some(Action::Reveal) => p.reveal = !p.reveal,
        Some(Action::Submit) => {
            let Some(o) = r.outcomes.get(p.index) else {
                r.prompt = None;
                return Vec::new();
            };
            let choice = if p.auto {
                PasswordChoice::Auto
            } else {
                let typed = p.input.value();
                let names = [(o.display_name.as_str(), o.original_upn.as_str())];
                let check = restore::check_password_for(typed, &state.tenant, &names);
                if let Some(why) = check.first_failure() {
                    p.error = Some(format!("Password refused: {why}"));
                    return Vec::new();
                }
                PasswordChoice::Given(secrecy::SecretString::from(typed))
            };
            let outcome = o.clone();
            let step = PasswordStep {
                choice,
                force_change: r.step.force_change,
                force_change_with_mfa: r.step.force_change_with_mfa,
                why: "set with p on the result screen".into(),
            };
            r.prompt = None;
            r.busy = true;
            r.message = Some(format!("Setting {}'s password…", outcome.display_name));
            return vec![Effect::Retry {
                restore: None,
                passwords: vec![outcome],
                step,
            }];
        }
        _ => {
            if !p.auto {
                p.input.handle_event(&Event::Key(key));
                p.error = None;
            }
        }
    }
    Vec::new()
}

/// Keys of the `e` pane: it scrolls, and `e`/Esc close it.
pub(in crate::app) fn error_pane_key(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(Modal::Result(r)) = &mut state.modal else {
        return Vec::new();
    };
    let Some(top) = &mut r.error_pane else {
        return Vec::new();
    };
    match action {
        Some(Action::Down) => *top += 1,
        Some(Action::Up) => *top = top.saturating_sub(1),
        Some(Action::PageDown) => *top += 10,
        Some(Action::PageUp) => *top = top.saturating_sub(10),
        Some(Action::Cancel) | Some(Action::ShowError) => r.error_pane = None,
        _ => {}
    }
    Vec::new()
}

/// Outcomes a retry or `p` changed replace theirs on the result screen.
pub(in crate::app) fn on_outcomes_updated(state: &mut State, changed: Vec<restore::UserOutcome>) {
    let restored: HashSet<String> = changed
        .iter()
        .filter(|o| o.restored())
        .map(|o| o.id.clone())
        .collect();
    state.users.remove_ids(&restored);
    let Some(Modal::Result(r)) = &mut state.modal else {
        return;
    };
    r.busy = false;
    let changed_ids: HashSet<String> = changed.iter().map(|o| o.id.clone()).collect();
    let (mut fixed, mut still) = (0, 0);
    for new in changed {
        if new.failure.is_none() {
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
        (_, 0, _) => format!("✓ {fixed} user(s) done."),
        (0, 1, Some((name, why))) => format!("✗ {name}: {why} (e shows it whole)"),
        (0, _, _) => format!("✗ Still failing: {still} user(s). e shows why."),
        _ => format!("✓ {fixed} done, ✗ {still} still failing (e shows why)."),
    });
}
