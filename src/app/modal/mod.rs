//! The dialogs over the table: one module per modal, each holding the modal's state beside
//! its key handling. `update` routes a key here when the modal is open.

pub mod help;
pub mod progress;
pub mod purge;
pub mod restore;
pub mod result;

use crossterm::event::KeyEvent;

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::keymap::Scope;
use crate::app::msg::SessionMsg;
use crate::app::state::{NoticeKind, State};
use progress::ProgressState;
use purge::PurgeState;
use restore::{RestoreForm, submit_restore};
use result::{ResultMode, ResultState};

/// What a dialog's key came to, for `update` to carry out: the dialog changes only its own
/// state, and says whether it stays open; closing it is done in one place (`on_key`).
pub enum Outcome {
    /// Still open; these effects run.
    Open(Vec<Effect>),
    /// Closed: the screen under it has the keyboard again; these effects run.
    Closed(Vec<Effect>),
}

/// A key for the open dialog, in the `scope` it has, given to the dialog that owns it; its
/// outcome closes it here. `None` when the dialog of that scope is not the one open.
pub(in crate::app) fn on_key(
    state: &mut State,
    scope: Scope,
    action: Option<Action>,
    key: KeyEvent,
) -> Option<Vec<Effect>> {
    let outcome = match (&mut state.modal, scope) {
        (Some(Modal::Purge(p)), Scope::Purge) => p.on_key(action, key),
        (Some(Modal::Progress(p)), Scope::Progress) => p.on_action(action),
        (Some(Modal::Result(r)), Scope::ErrorPane) => r.on_error_pane_key(action),
        _ => return None,
    };
    Some(match outcome {
        Outcome::Open(effects) => effects,
        Outcome::Closed(effects) => {
            state.modal = None;
            effects
        }
    })
}

/// The one dialog open over the table, if any; each variant owns its state.
pub enum Modal {
    Restore(Box<RestoreForm>),
    Progress(ProgressState),
    Result(Box<ResultState>),
    Purge(PurgeState),
}

impl Modal {
    /// Something on it moves while nothing else happens (a spinner, the gauge).
    pub fn animates(&self) -> bool {
        match self {
            Modal::Progress(_) => true,
            Modal::Result(r) => r.sending,
            Modal::Restore(f) => f.checking() > 0,
            Modal::Purge(_) => false,
        }
    }
}

/// The session's news that belongs to a dialog: what its work found or did.
pub(in crate::app) fn on_news(state: &mut State, msg: SessionMsg) -> Vec<Effect> {
    use SessionMsg as M;
    match msg {
        M::Preflight { id, result } => restore::on_preflight(state, &id, result),
        M::NewUpnChecked { id, seq, result } => {
            restore::on_new_name_checked(state, &id, seq, result)
        }
        M::PasswordVerdict { seq, result } => restore::on_verdict(state, seq, result),
        M::TapAvailability(a) => {
            state.session_mut().tap = Some(a.clone());
            if let Some(Modal::Restore(form)) = &mut state.modal {
                form.set_tap_status(Some(a));
            }
        }
        M::Job { id, status } => {
            if let Some(Modal::Progress(p)) = &mut state.modal
                && let Some(i) = p.index.get(&id).copied()
            {
                // The wait shows until it ends: a user's news may arrive after the client
                // announced its next wait.
                p.lines[i].status = status;
            }
        }
        M::RestoreFinished { outcomes, mail } => {
            return result::news::on_restore_finished(state, outcomes, mail);
        }
        M::AfterCare(reports) => result::news::on_after_care(state, reports),
        M::OutcomesUpdated(changed) => result::news::on_outcomes_updated(state, changed),
        M::MailSent(sent) => return result::news::on_mail_sent(state, sent),
        M::MailArrived(arrived) => result::news::on_mail_arrived(state, arrived),
        // The screen-wide news is `news`'s.
        _ => {}
    }
    Vec::new()
}

/// A yes/no question a modal asked (restore many, stop the run, close without mail).
pub(in crate::app) fn confirm_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    // Ctrl-C's question is over whatever the modal asks.
    if state.quit_question {
        return match action {
            Some(Action::Yes) => crate::app::quit::answer(state, true),
            Some(Action::No) => crate::app::quit::answer(state, false),
            _ => Vec::new(),
        };
    }
    match &mut state.modal {
        Some(Modal::Restore(form)) => match action {
            Some(Action::Yes) => return submit_restore(state),
            Some(Action::No) => form.confirm_many = false,
            _ => {}
        },
        Some(Modal::Progress(p)) => match action {
            Some(Action::Yes) => {
                p.confirm_stop = false;
                p.stopping = true;
                return vec![Effect::StopRestore];
            }
            Some(Action::No) => p.confirm_stop = false,
            _ => {}
        },
        Some(Modal::Result(r)) if r.confirm_arrived().is_some() => match action {
            Some(Action::Yes) => {
                let i = r.confirm_arrived().unwrap_or_default();
                r.mode = ResultMode::List;
                if let Some(o) = r.outcomes.get(i) {
                    r.busy = true;
                    r.message = Some(format!("Closing {} as mailed…", o.display_name));
                    return vec![Effect::MailArrived {
                        ids: vec![o.id.clone()],
                    }];
                }
            }
            Some(Action::No) => r.mode = ResultMode::List,
            _ => {}
        },
        Some(Modal::Result(r)) => match action {
            Some(Action::Yes) => {
                let restored = r.restored();
                let missing = r.missing_passwords();
                let outcomes = r.unmailed();
                state.modal = None;
                state.notice = Some((
                    NoticeKind::Info,
                    if missing > 0 {
                        format!(
                            "Closed without email; {} restored, {missing} without a password: F \
                             finishes {}.",
                            crate::text::count(restored, "user", "users"),
                            if missing == 1 { "it" } else { "them" }
                        )
                    } else {
                        format!(
                            "Closed without email; {} restored.",
                            crate::text::count(restored, "user", "users")
                        )
                    },
                ));
                return vec![Effect::MailSkipped { outcomes }];
            }
            Some(Action::No) => r.mode = ResultMode::List,
            _ => {}
        },
        _ => {}
    }
    Vec::new()
}
