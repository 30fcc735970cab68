//! The result screen: what each user's restore came to, the mail to send, and the fixes
//! (a password prompt, retries, the error pane).

use tui_input::Input;

use crate::directory::Stage;
use crate::restore::{self, UserOutcome};

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
        }
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
