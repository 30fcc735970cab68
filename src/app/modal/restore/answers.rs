//! The directory's answers while the dialog is open: pre-flight's findings, its verdict on
//! the typed password, and whether a typed new user name is free.

use tui_input::Input;

use super::{HeldAddress, NameCheck, Preflight, Verdict};
use crate::app::modal::Modal;
use crate::app::state::State;
use crate::directory::ErrorKind;
use crate::restore;

pub(in crate::app) fn on_preflight(
    state: &mut State,
    id: &str,
    result: Result<restore::Preflight, String>,
) {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return;
    };
    let Some(target) = form.targets.iter_mut().find(|t| t.user.id == id) else {
        return;
    };
    target.preflight = match &result {
        Err(e) => Preflight::Failed(e.clone()),
        Ok(found) if !found.has_conflict() => Preflight::Clear,
        Ok(found) => {
            state
                .sessions
                .current_mut()
                .users
                .mark_conflict(id.to_string());
            if found.upn_holder.is_some() {
                target.new_upn = Input::new(found.suggested_upn.clone().unwrap_or_default());
                target.name_check = NameCheck::Idle;
            }
            Preflight::Conflict {
                upn_holder: found.upn_holder.as_ref().map(|h| {
                    format!(
                        "\"{}\" ({})",
                        h.display_name,
                        h.user_principal_name.as_deref().unwrap_or(&h.id)
                    )
                }),
                proxy_conflicts: found
                    .proxy_holders
                    .iter()
                    .map(|(address, h)| HeldAddress {
                        address: address.clone(),
                        holder: format!("{} \"{}\"", h.kind.noun(), h.display_name),
                    })
                    .collect(),
            }
        }
    };
    target.found = result.ok();
}

/// The directory's verdict on the typed password (for the check numbered `seq`).
pub(in crate::app) fn on_verdict(
    state: &mut State,
    seq: u64,
    result: Result<crate::directory::PasswordVerdict, crate::directory::DirectoryError>,
) {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return;
    };
    if form.verdict != (Verdict::Asking { seq }) {
        return;
    }
    form.verdict = verdict_of(result);
}

/// The directory's answer about a typed password, as the dialog and the result screen's `p`
/// prompt show it.
pub(in crate::app) fn verdict_of(
    result: Result<crate::directory::PasswordVerdict, crate::directory::DirectoryError>,
) -> Verdict {
    match result {
        Ok(v) if v.valid => Verdict::Valid,
        Ok(v) => Verdict::Refused(v.messages),
        Err(e) => Verdict::Unavailable(match e.kind {
            ErrorKind::Forbidden | ErrorKind::Unauthorized => {
                "only a delegated sign-in with User.ReadWrite may ask".to_string()
            }
            ErrorKind::NotFound | ErrorKind::BadRequest => {
                "the check exists only in the global cloud".to_string()
            }
            _ => e.message.clone(),
        }),
    }
}

/// The directory's answer about a typed new user name (for the check numbered `seq`).
pub(in crate::app) fn on_new_name_checked(
    state: &mut State,
    id: &str,
    seq: u64,
    result: Result<restore::NameCheck, String>,
) {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return;
    };
    let Some(t) = form
        .targets
        .iter_mut()
        .find(|t| t.user.id == id && t.name_check == (NameCheck::Asking { seq }))
    else {
        return;
    };
    t.name_check = match result {
        Ok(check) => {
            if let Some(found) = &mut t.found {
                found.new_upn = Some(check);
            }
            NameCheck::Idle
        }
        Err(e) => NameCheck::Failed(e),
    };
}
