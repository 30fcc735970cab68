//! The dialogs over the table: one module per modal, each holding the modal's state beside
//! its key handling. `update` routes a key here when the modal is open.

pub mod help;
pub mod progress;
pub mod purge;
pub mod restore;
pub mod result;

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::state::{NoticeKind, State};
use restore::submit_restore;

pub use help::HelpView;
pub use progress::{JobStatus, ProgressLine, ProgressState};
pub use purge::PurgeState;
pub use restore::{
    CONFIRM_OVER, Field, HeldAddress, NameCheck, Preflight, RestoreForm, Target, Verdict,
};
pub use result::{PasswordPrompt, ResultButton, ResultState, retryable};

/// The one dialog open over the table, if any; each variant owns its state.
pub enum Modal {
    Restore(Box<RestoreForm>),
    Progress(ProgressState),
    Result(Box<ResultState>),
    Purge(PurgeState),
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
        Some(Modal::Result(r)) if r.confirm_arrived.is_some() => match action {
            Some(Action::Yes) => {
                let i = r.confirm_arrived.take().unwrap_or_default();
                if let Some(o) = r.outcomes.get(i) {
                    r.busy = true;
                    r.message = Some(format!("Closing {} as mailed…", o.display_name));
                    return vec![Effect::MailArrived {
                        ids: vec![o.id.clone()],
                    }];
                }
            }
            Some(Action::No) => r.confirm_arrived = None,
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
            Some(Action::No) => r.confirm_close = false,
            _ => {}
        },
        _ => {}
    }
    Vec::new()
}
