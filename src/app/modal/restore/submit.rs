//! Restore pressed: the checks still running, the plan's rules, the question before many
//! users, then the plan handed to the runner and the progress screen opened.

use std::collections::HashSet;

use tui_input::Input;

use super::{CONFIRM_OVER, DialogField};
use crate::app::effect::Effect;
use crate::app::modal::progress::ProgressState;
use crate::app::modal::{Modal, Outcome};
use crate::app::state::State;
use crate::app::update::read_only_refusal;
use crate::directory::DeletedUser;
use crate::restore::{self, PasswordStep};

/// Restore pressed (or "yes" to restoring many): refused with the reason while anything is
/// unsettled, else the plan goes to the runner and the progress takes the dialog's place.
pub(in crate::app) fn submit_restore(state: &mut State) -> Outcome {
    if read_only_refusal(state, "restore") {
        return Outcome::Open(Vec::new());
    }
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Outcome::Open(Vec::new());
    };
    let checking = form.checking();
    if checking > 0 {
        form.error = Some(format!(
            "Still checking {checking} of {} for conflicts; try again in a moment.",
            crate::text::count(form.targets.len(), "user", "users")
        ));
        return Outcome::Open(Vec::new());
    }
    if let Some(t) = form.checking_name() {
        form.error = Some(format!(
            "Still checking whether {} is free for {}; try again in a moment.",
            t.new_upn.value().trim(),
            t.user.display_name
        ));
        return Outcome::Open(Vec::new());
    }
    if form.tap
        && let Err(e) = form.tap_request()
    {
        form.focus = DialogField::TapLifetime;
        form.error = Some(e);
        return Outcome::Open(Vec::new());
    }
    let request = form.request();
    // Every rule lives in the plan; the form only points at the field a problem is about.
    if let Some(problem) = restore::validate(&request, &state.sessions.current_mut().tenant)
        .into_iter()
        .next()
    {
        form.focus = form.field_of(problem.field).unwrap_or(form.focus);
        form.error = Some(problem.message);
        return Outcome::Open(Vec::new());
    }
    if form.targets.len() > CONFIRM_OVER && !form.confirm_many {
        form.confirm_many = true;
        return Outcome::Open(Vec::new());
    }
    let users: Vec<DeletedUser> = form.targets.iter().map(|t| t.user.clone()).collect();
    let include_password = form.include_password;
    let step = PasswordStep {
        choice: request.password.clone(),
        force_change: request.force_change,
        force_change_with_mfa: request.force_change_with_mfa,
        why: "tried again on the result screen".into(),
    };
    let plan = match restore::into_plan(request, &HashSet::new()) {
        Ok(plan) => plan,
        Err(e) => {
            form.error = Some(e);
            return Outcome::Open(Vec::new());
        }
    };
    // The typed password now lives in the plan (a secret); the editor is emptied, yank
    // buffer included, which `reset()` would keep.
    form.password = Input::default();
    state.session_mut().last_mail = Some((plan.mail_to.clone(), include_password));
    state.session_mut().last_step = Some(step);
    Outcome::Next(
        Box::new(Modal::Progress(ProgressState::new(&users))),
        vec![Effect::Restore(plan)],
    )
}
