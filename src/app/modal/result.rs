//! The result screen: what each user's restore came to, the mail to send, and the fixes
//! (a password prompt, retries, the error pane).

use std::collections::HashSet;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

pub(in crate::app) mod news;

use super::restore::Verdict;
use super::{Modal, Outcome};
use crate::app::action::Action;
use crate::app::effect::{Effect, MailCommand};
use crate::app::msg::MailFailed;
use crate::app::sessions::SessionState;
use crate::app::state::{NoticeKind, State};
use crate::directory::{ErrorKind, Stage};
use crate::restore::{self, MailGroup, PasswordChoice, PasswordStep, UserOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultButton {
    SendAndClose,
    CloseWithoutMail,
}

/// The "Send email and close" screen. No `Debug`: it holds passwords.
pub struct ResultState {
    /// One per user, in plan order; restored ones carry their password.
    pub outcomes: Vec<UserOutcome>,
    /// The run's sign-in mail (the dialog's choice), for every user: unless `groups` says.
    pub recipients: Vec<String>,
    pub include_password: bool,
    /// Finishing (`F`, `p` in the Restored view): each user's mail as the finishing rule
    /// (`restore::mail_groups`) has it, instead of `recipients` for all.
    pub groups: Option<Vec<MailGroup>>,
    /// Users whose sign-in mail went out from this screen (a mail per group, one at a time).
    pub mailed: HashSet<String>,
    /// The mail being sent now.
    pub in_flight: Option<MailGroup>,
    /// Opened by `p` in the Restored view: its user has a password nobody was told (closed
    /// without email), so the words are "a new password", not "no password yet".
    pub replacing: bool,
    /// Who the mails sent from here went to, for the closing notice.
    pub sent_to: Vec<String>,
    /// How passwords are set when a failed user is tried again (`r`): the run's choices.
    pub step: restore::PasswordStep,
    pub focus: ResultButton,
    pub selected: usize,
    pub reveal: bool,
    /// What has the keyboard besides the list: a question, the prompt or the error pane.
    pub mode: ResultMode,
    /// A sign-in mail is on its way. Not a `mode`: the mail goes on while the error pane or
    /// the password prompt is open over the list.
    pub sending: bool,
    /// Why the last sign-in mail failed, and whether it may have gone out all the same.
    pub send_error: Option<MailFailed>,
    /// What the last key did ("Copied …", "Retrying 2 users…").
    pub message: Option<String>,
    /// A retry or a password (`p`) is on its way.
    pub busy: bool,
    /// What came back with the restored users (`None`: still being read).
    pub after_care: Option<Vec<restore::aftercare::AfterCare>>,
}

/// What the result screen shows over its list, one at a time, each with its own keys
/// (`keymap::scope`).
pub enum ResultMode {
    /// The list and its buttons.
    List,
    /// Closing would leave users unmailed or without a password: asked first.
    ConfirmClose,
    /// `m`: whether the sign-in mail of this user (an index into the outcomes), which may
    /// have gone out, arrived.
    ConfirmArrived(usize),
    /// `p`: the password prompt for one user.
    Prompt(PasswordPrompt),
    /// `e`: the selected user's whole error, scrolled this far.
    ErrorPane(usize),
}

/// The password prompt for one restored user without a password. No `Debug`: it holds one.
pub struct PasswordPrompt {
    /// Index into the result's outcomes.
    pub index: usize,
    pub auto: bool,
    pub input: Input,
    pub reveal: bool,
    pub error: Option<String>,
    /// The directory's verdict on what is typed, as the restore dialog asks for it.
    pub verdict: Verdict,
}

impl PasswordPrompt {
    /// The prompt for outcome `index`, "generate one" chosen.
    pub fn new(index: usize) -> Self {
        Self {
            index,
            auto: true,
            input: Input::default(),
            reveal: false,
            error: None,
            verdict: Verdict::None,
        }
    }
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
            groups: None,
            mailed: HashSet::new(),
            in_flight: None,
            replacing: false,
            sent_to: Vec::new(),
            step,
            focus: ResultButton::SendAndClose,
            selected: 0,
            reveal: false,
            mode: ResultMode::List,
            sending: false,
            send_error: None,
            message: None,
            busy: false,
            after_care: None,
        }
    }

    /// Whether closing is being asked about.
    pub fn confirm_close(&self) -> bool {
        matches!(self.mode, ResultMode::ConfirmClose)
    }

    /// The user whose mail's arrival is being asked about.
    pub fn confirm_arrived(&self) -> Option<usize> {
        match self.mode {
            ResultMode::ConfirmArrived(i) => Some(i),
            _ => None,
        }
    }

    /// The open password prompt.
    pub fn prompt(&self) -> Option<&PasswordPrompt> {
        match &self.mode {
            ResultMode::Prompt(p) => Some(p),
            _ => None,
        }
    }

    /// How far the open error pane is scrolled.
    pub fn error_pane(&self) -> Option<usize> {
        match self.mode {
            ResultMode::ErrorPane(top) => Some(top),
            _ => None,
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

    /// Whether the user at `i` was in the sign-in mail that failed here and may have gone out
    /// all the same (its request was written, the reply lost): the password in it may be in
    /// that inbox, so `m` closes it once the admin finds it there.
    pub fn in_maybe_sent_mail(&self, i: usize) -> bool {
        let (Some(e), Some(o)) = (&self.send_error, self.outcomes.get(i)) else {
            return false;
        };
        e.may_have_gone
            && o.complete()
            && !self.mailed.contains(&o.id)
            && self
                .in_flight
                .as_ref()
                .is_none_or(|g| g.ids.contains(&o.id))
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
            .any(|o| o.complete() && o.password.is_some() && !self.mailed.contains(&o.id))
    }

    pub fn restored(&self) -> usize {
        self.outcomes.iter().filter(|o| o.restored()).count()
    }

    /// Restored with a password set: the users the sign-in mail is about.
    pub fn complete(&self) -> usize {
        self.outcomes.iter().filter(|o| o.complete()).count()
    }

    /// The sign-in mails still to send: the finishing rule's groups, or the run's one mail,
    /// each about its users that are ready (restored, password set) and not mailed yet. A
    /// mail with nobody to tell is not among them.
    pub fn mails(&self) -> Vec<MailGroup> {
        let ready = |id: &String| {
            !self.mailed.contains(id) && self.outcomes.iter().any(|o| &o.id == id && o.complete())
        };
        let all = match &self.groups {
            Some(groups) => groups.clone(),
            None => vec![MailGroup {
                to: self.recipients.clone(),
                include_password: self.include_password,
                force_change: self.outcomes.iter().any(|o| o.force_change),
                ids: self.outcomes.iter().map(|o| o.id.clone()).collect(),
                fallback: false,
            }],
        };
        all.into_iter()
            .filter(|g| !g.to.is_empty())
            .map(|mut g| {
                g.ids.retain(ready);
                g
            })
            .filter(|g| !g.ids.is_empty())
            .collect()
    }

    /// Mail can be sent: someone is ready and there is someone to tell.
    pub fn can_send(&self) -> bool {
        !self.mails().is_empty()
    }

    /// The next sign-in mail, marked as on its way; `None` when none is left.
    pub fn send_next(&mut self) -> Option<Effect> {
        let g = self.mails().into_iter().next()?;
        let outcomes: Vec<UserOutcome> = self
            .outcomes
            .iter()
            .filter(|o| g.ids.contains(&o.id))
            .cloned()
            .collect();
        self.sending = true;
        self.send_error = None;
        self.in_flight = Some(g.clone());
        Some(Effect::SendMail(MailCommand {
            force_change: outcomes.iter().any(|o| o.force_change),
            outcomes,
            recipients: g.to,
            include_password: g.include_password,
        }))
    }

    /// The outcomes no mail went out for from here: what closing records as "not mailed".
    pub fn unmailed(&self) -> Vec<UserOutcome> {
        self.outcomes
            .iter()
            .filter(|o| !self.mailed.contains(&o.id))
            .cloned()
            .collect()
    }
}

/// A failed user that `r` can try again.
pub fn retryable(o: &UserOutcome) -> bool {
    // A password whose mail may have gone out is not reset by a retry: only `p`, on purpose
    // (and it is not "needed": the user has one, just not shown here).
    o.needs_password()
        || (o.restored() && o.items_failed().next().is_some())
        || (!o.restored()
            && o.planned.is_some()
            && o.failure
                .as_ref()
                .is_some_and(|f| matches!(f.stage, Stage::Restore | Stage::Preflight)))
}

/// Keys of the result's list and its buttons; it closes when nothing would be lost.
pub(in crate::app) fn on_list_key(r: &mut ResultState, action: Option<Action>) -> Outcome {
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
                return Outcome::Open(vec![Effect::Copy(pw.clone())]);
            }
            r.message = Some("This line has no password to copy.".into());
        }
        Some(Action::ShowError) => match r.outcomes.get(r.selected) {
            Some(_) if r.has_error_to_show(r.selected) => r.mode = ResultMode::ErrorPane(0),
            _ => r.message = Some("This line has no error or after-care to show.".into()),
        },
        Some(Action::SetPassword) => return Outcome::Open(set_password(r)),
        Some(Action::Retry) => return Outcome::Open(retry_failed(r)),
        Some(Action::MailArrived) => ask_arrived(r),
        Some(Action::Submit) => {
            if r.sending || r.busy {
                return Outcome::Open(Vec::new());
            }
            if !r.can_send() {
                // Passwords nobody has been sent: closing loses them, so ask as "Close
                // without email" does.
                if r.holds_passwords() {
                    r.mode = ResultMode::ConfirmClose;
                    return Outcome::Open(Vec::new());
                }
                let outcomes = r.unmailed();
                return Outcome::Closed(if outcomes.iter().any(|o| o.complete()) {
                    vec![Effect::MailSkipped { outcomes }]
                } else {
                    Vec::new()
                });
            }
            match r.focus {
                ResultButton::SendAndClose => {
                    return Outcome::Open(r.send_next().into_iter().collect());
                }
                ResultButton::CloseWithoutMail => r.mode = ResultMode::ConfirmClose,
            }
        }
        Some(Action::Cancel) => {
            if r.sending || r.busy {
                return Outcome::Open(Vec::new());
            }
            let unmailed = r
                .outcomes
                .iter()
                .any(|o| o.complete() && !r.mailed.contains(&o.id));
            if unmailed || r.missing_passwords() > 0 {
                r.mode = ResultMode::ConfirmClose;
            } else {
                return Outcome::Closed(Vec::new());
            }
        }
        _ => {}
    }
    Outcome::Open(Vec::new())
}

/// `p`: a new pass on a pass hand-off, else the password prompt for the selected user.
fn set_password(r: &mut ResultState) -> Vec<Effect> {
    if r.busy {
        r.message = Some("Still working on the last request…".into());
    } else if let (Some(o), PasswordChoice::Tap(_)) = (r.outcomes.get(r.selected), &r.step.choice)
        && (o.needs_password() || o.mail_maybe_sent())
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
            items: Vec::new(),
            step,
        }];
    } else if r
        .outcomes
        .get(r.selected)
        .is_some_and(|o| o.needs_password() || o.mail_maybe_sent())
    {
        r.mode = ResultMode::Prompt(PasswordPrompt::new(r.selected));
    } else {
        r.message = Some("p sets a password for a restored user that has none.".into());
    }
    Vec::new()
}

/// `m`: asks whether the selected user's sign-in mail, which may have gone out, arrived.
fn ask_arrived(r: &mut ResultState) {
    if r.busy || r.sending {
        r.message = Some("Still working on the last request…".into());
    } else if r
        .outcomes
        .get(r.selected)
        .is_some_and(UserOutcome::mail_maybe_sent)
        || r.in_maybe_sent_mail(r.selected)
    {
        r.mode = ResultMode::ConfirmArrived(r.selected);
    } else {
        r.message = Some(
            "m is for a user whose sign-in mail may have gone out: it closes it as mailed.".into(),
        );
    }
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
    // A user still without its password gets it first; its items wait for the next `r`.
    let items: Vec<restore::UserOutcome> = failed
        .iter()
        .filter(|o| o.restored() && !o.needs_password() && o.items_failed().next().is_some())
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
    r.message = Some(format!(
        "Retrying {}…",
        crate::text::count(failed.len(), "user", "users")
    ));
    vec![Effect::Retry {
        restore: plan,
        passwords,
        items,
        step: r.step.clone(),
    }]
}

/// Keys of the `p` prompt: Tab switches generate / type, F2 shows, Enter sets, Esc cancels.
/// The prompt stays on the result screen: its outcome is always `Open`.
pub(in crate::app) fn on_prompt_key(
    r: &mut ResultState,
    action: Option<Action>,
    key: KeyEvent,
    session: &mut SessionState,
) -> Outcome {
    let tenant = &session.tenant;
    let ResultMode::Prompt(p) = &mut r.mode else {
        return Outcome::Open(Vec::new());
    };
    match action {
        Some(Action::Cancel) => r.mode = ResultMode::List,
        Some(Action::NextField) | Some(Action::PrevField) => {
            p.auto = !p.auto;
            p.error = None;
        }
        Some(Action::Reveal) => p.reveal = !p.reveal,
        Some(Action::Submit) => {
            let Some(o) = r.outcomes.get(p.index) else {
                r.mode = ResultMode::List;
                return Outcome::Open(Vec::new());
            };
            let choice = if p.auto {
                PasswordChoice::Auto
            } else {
                let typed = p.input.value();
                let names = [(o.display_name.as_str(), o.original_upn.as_str())];
                let check = restore::check_password_for(typed, tenant, &names);
                if let Some(why) = check.first_failure() {
                    p.error = Some(format!("Password refused: {why}"));
                    return Outcome::Open(Vec::new());
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
            r.mode = ResultMode::List;
            r.busy = true;
            r.message = Some(format!("Setting {}'s password…", outcome.display_name));
            return Outcome::Open(vec![Effect::Retry {
                restore: None,
                passwords: vec![outcome],
                items: Vec::new(),
                step,
            }]);
        }
        _ => {
            // Typing means "type one", whichever choice was on.
            let text = matches!(key.code, KeyCode::Char(_))
                && !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
            if p.auto && text {
                p.auto = false;
            }
            if !p.auto
                && p.input
                    .handle_event(&Event::Key(key))
                    .is_some_and(|c| c.value)
            {
                p.error = None;
                return Outcome::Open(ask_about(p, session));
            }
        }
    }
    Outcome::Open(Vec::new())
}

/// After the typed password changed: ask the directory about it, as the restore dialog does
/// (the runner waits for typing to pause), unless it said it cannot be asked.
fn ask_about(p: &mut PasswordPrompt, session: &mut SessionState) -> Vec<Effect> {
    if matches!(p.verdict, Verdict::Unavailable(_)) {
        return Vec::new();
    }
    if p.input.value().is_empty() {
        p.verdict = Verdict::None;
        return Vec::new();
    }
    session.verdict_seq += 1;
    let seq = session.verdict_seq;
    p.verdict = Verdict::Asking { seq };
    vec![Effect::CheckPassword {
        seq,
        password: secrecy::SecretString::from(p.input.value()),
    }]
}

/// The directory's verdict on the prompt's password (for the check numbered `seq`); a late
/// answer about an older value is dropped.
pub(in crate::app) fn on_verdict(
    r: &mut ResultState,
    seq: u64,
    result: Result<crate::directory::PasswordVerdict, crate::directory::DirectoryError>,
) {
    if let ResultMode::Prompt(p) = &mut r.mode
        && p.verdict == (Verdict::Asking { seq })
    {
        p.verdict = super::restore::verdict_of(result);
    }
}

impl ResultState {
    /// Keys of the `e` pane: it scrolls, and `e`/Esc close it (the result stays open).
    pub(in crate::app) fn on_error_pane_key(&mut self, action: Option<Action>) -> Outcome {
        let ResultMode::ErrorPane(top) = &mut self.mode else {
            return Outcome::Open(Vec::new());
        };
        match action {
            Some(Action::Down) => *top += 1,
            Some(Action::Up) => *top = top.saturating_sub(1),
            Some(Action::PageDown) => *top += 10,
            Some(Action::PageUp) => *top = top.saturating_sub(10),
            Some(Action::Cancel) | Some(Action::ShowError) => self.mode = ResultMode::List,
            _ => {}
        }
        Outcome::Open(Vec::new())
    }

    /// The answer to the question the result screen asked: "did the mail arrive?" for one
    /// user, else "close without email?".
    pub(in crate::app) fn on_confirm(&mut self, action: Option<Action>) -> Outcome {
        if let Some(i) = self.confirm_arrived() {
            match action {
                Some(Action::Yes) => {
                    self.mode = ResultMode::List;
                    if let Some(o) = self.outcomes.get(i) {
                        self.busy = true;
                        self.message = Some(format!("Closing {} as mailed…", o.display_name));
                        return Outcome::Open(vec![Effect::MailArrived {
                            ids: vec![o.id.clone()],
                        }]);
                    }
                }
                Some(Action::No) => self.mode = ResultMode::List,
                _ => {}
            }
            return Outcome::Open(Vec::new());
        }
        match action {
            Some(Action::Yes) => {
                return Outcome::Closed(vec![Effect::MailSkipped {
                    outcomes: self.unmailed(),
                }]);
            }
            Some(Action::No) => self.mode = ResultMode::List,
            _ => {}
        }
        Outcome::Open(Vec::new())
    }

    /// What closing without email left undone, for the status line.
    pub(in crate::app) fn closed_without_mail(&self) -> String {
        let restored = self.restored();
        let missing = self.missing_passwords();
        if missing > 0 {
            format!(
                "Closed without email; {} restored, {missing} without a password: F finishes {}.",
                crate::text::count(restored, "user", "users"),
                crate::text::plural(missing, "it", "them")
            )
        } else {
            format!(
                "Closed without email; {} restored.",
                crate::text::count(restored, "user", "users")
            )
        }
    }
}
