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
use restore::RestoreForm;
use result::ResultState;

/// What a dialog's key came to, for `update` to carry out: the dialog changes only its own
/// state, and says whether it stays open; closing or replacing it is done in one place (`carry_out`).
pub enum Outcome {
    /// Still open; these effects run.
    Open(Vec<Effect>),
    /// Closed: the screen under it has the keyboard again; these effects run.
    Closed(Vec<Effect>),
    /// Done, and this dialog takes its place (the restore dialog hands over to the progress);
    /// these effects run.
    Next(Box<Modal>, Vec<Effect>),
}

/// Carries out what a dialog's key came to: closing or replacing the open dialog is done here
/// alone.
fn carry_out(state: &mut State, outcome: Outcome) -> Vec<Effect> {
    match outcome {
        Outcome::Open(effects) => effects,
        Outcome::Closed(effects) => {
            state.modal = None;
            effects
        }
        Outcome::Next(next, effects) => {
            state.modal = Some(*next);
            effects
        }
    }
}

/// A key for the open dialog, in the `scope` it has, given to the dialog that owns it; its
/// outcome closes it here. `None` when the dialog of that scope is not the one open.
pub(in crate::app) fn on_key(
    state: &mut State,
    scope: Scope,
    action: Option<Action>,
    key: KeyEvent,
) -> Option<Vec<Effect>> {
    // The help is over any screen, dialogs included; closing it leaves them as they were.
    if scope == Scope::Help {
        if let Outcome::Closed(effects) = help::on_key(state, action) {
            state.help = None;
            return Some(effects);
        }
        return Some(Vec::new());
    }
    let outcome = match (&mut state.modal, scope) {
        (Some(Modal::Restore(_)), Scope::RestoreDialog) => restore::on_key(state, action, key),
        (Some(Modal::Purge(p)), Scope::Purge) => p.on_key(action, key),
        (Some(Modal::Progress(p)), Scope::Progress) => p.on_action(action),
        (Some(Modal::Result(r)), Scope::ErrorPane) => r.on_error_pane_key(action),
        (Some(Modal::Result(r)), Scope::Result) => result::on_list_key(r, action),
        (Some(Modal::Result(r)), Scope::ResultPassword) => {
            result::on_prompt_key(r, action, key, state.sessions.current_mut())
        }
        _ => return None,
    };
    Some(carry_out(state, outcome))
}

/// The one dialog open over the table, if any; each variant owns its state.
pub enum Modal {
    Restore(Box<RestoreForm>),
    Progress(ProgressState),
    Result(Box<ResultState>),
    Purge(PurgeState),
    /// The tenants of a run on several (`app::tenants`).
    Tenants(crate::app::tenants::TenantsPane),
    /// "Restore 12 users in 3 tenants?" (`app::tenant_runs`, which holds the run).
    TenantRuns,
}

impl Modal {
    /// Something on it moves while nothing else happens (a spinner, the gauge).
    pub fn animates(&self) -> bool {
        match self {
            Modal::Progress(_) => true,
            Modal::Result(r) => r.sending,
            Modal::Restore(f) => f.checking() > 0,
            Modal::Purge(_) | Modal::Tenants(_) | Modal::TenantRuns => false,
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
        M::PasswordVerdict { seq, result } => match &mut state.modal {
            Some(Modal::Result(r)) => result::on_verdict(r, seq, result),
            _ => restore::on_verdict(state, seq, result),
        },
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
        M::OutcomesUpdated(changed) => return result::news::on_outcomes_updated(state, changed),
        M::MailSent(sent) => return result::news::on_mail_sent(state, sent),
        M::MailArrived(arrived) => result::news::on_mail_arrived(state, arrived),
        // The screen-wide news is `news`'s.
        _ => {}
    }
    Vec::new()
}

/// A yes/no question a modal asked (restore many, stop the run, close without mail); the
/// dialog that asked answers it, and its outcome is carried out as a key's is.
pub(in crate::app) fn confirm_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    // Ctrl-C's question is over whatever the modal asks.
    if state.quit_question {
        return match action {
            Some(Action::Yes) => crate::app::quit::answer(state, true),
            Some(Action::No) => crate::app::quit::answer(state, false),
            _ => Vec::new(),
        };
    }
    let outcome = match &mut state.modal {
        Some(Modal::TenantRuns) => {
            return match action {
                Some(Action::Yes) => crate::app::tenant_runs::answer(state, true),
                Some(Action::No) => crate::app::tenant_runs::answer(state, false),
                _ => Vec::new(),
            };
        }
        Some(Modal::Restore(form)) => match action {
            Some(Action::Yes) => restore::submit_restore(state),
            Some(Action::No) => {
                form.confirm_many = false;
                Outcome::Open(Vec::new())
            }
            _ => Outcome::Open(Vec::new()),
        },
        Some(Modal::Progress(p)) => p.on_confirm(action),
        Some(Modal::Result(r)) => match r.on_confirm(action) {
            // Closing without mail says what was left undone, on the screen below.
            Outcome::Closed(effects) => {
                state.notice = Some((NoticeKind::Info, r.closed_without_mail()));
                Outcome::Closed(effects)
            }
            other => other,
        },
        _ => Outcome::Open(Vec::new()),
    };
    let leaving = matches!(&outcome, Outcome::Closed(fx) if fx.iter().any(|e| matches!(e, Effect::LeaveRestore)));
    let effects = carry_out(state, outcome);
    if leaving {
        state.session_mut().left_run = true;
    }
    effects
}
