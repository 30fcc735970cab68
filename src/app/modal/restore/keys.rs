//! What a key does in the restore dialog: moving the focus, choosing, typing (and asking the
//! directory about what was typed).

use crossterm::event::{Event, KeyEvent};
use tui_input::backend::crossterm::EventHandler;

use super::submit::submit_restore;
use super::{DialogField, NameCheck, RestoreForm, Verdict};
use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::modal::{Modal, Outcome};
use crate::app::state::State;
use crate::restore;

/// After a new user name was typed: ask the directory whether it is free (the runner waits
/// for typing to pause), unless there is nothing to ask.
fn ask_about_new_name(state: &mut State, i: usize) -> Vec<Effect> {
    let tenant = state.session_mut().tenant.clone();
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Vec::new();
    };
    let Some(t) = form.targets.get_mut(i) else {
        return Vec::new();
    };
    let typed = t.new_upn.value().trim().to_string();
    let known = t
        .found
        .as_ref()
        .and_then(|f| f.new_upn.as_ref())
        .is_some_and(|c| c.is_of(&typed));
    // A name of the wrong form is refused by the plan's rules without asking anyone.
    if typed.is_empty() || known || restore::check_upn(&typed, &tenant).is_err() {
        t.name_check = NameCheck::Idle;
        return Vec::new();
    }
    state.sessions.current_mut().name_seq += 1;
    let seq = state.sessions.current_mut().name_seq;
    t.name_check = NameCheck::Asking { seq };
    vec![Effect::CheckNewUpn {
        seq,
        id: t.user.id.clone(),
        upn: typed,
    }]
}

/// A key for the open restore dialog, and what it came to: still open (asking the directory
/// about what was typed), closed, or handed over to the progress once the restore starts.
pub(in crate::app) fn on_key(state: &mut State, action: Option<Action>, key: KeyEvent) -> Outcome {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Outcome::Open(Vec::new());
    };
    let armed = form.confirm_off.take();
    // Turning a security option off takes the key twice on it; turning it on, once.
    let weaken = |form: &mut RestoreForm, field: DialogField, on: bool| -> bool {
        if !on || armed == Some(field) {
            return true;
        }
        form.confirm_off = Some(field);
        false
    };
    match action {
        Some(Action::NextField) | Some(Action::PrevField) => {
            let fields = form.fields();
            let pos = fields.iter().position(|f| *f == form.focus).unwrap_or(0);
            let n = fields.len();
            let next = if action == Some(Action::NextField) {
                (pos + 1) % n
            } else {
                (pos + n - 1) % n
            };
            form.focus = fields[next];
        }
        Some(Action::Toggle) => match form.focus {
            DialogField::AutoPassword => {
                form.auto_password = true;
                form.tap = false;
            }
            DialogField::ManualPassword => {
                form.auto_password = false;
                form.tap = false;
            }
            DialogField::TapPass => choose_tap(form),
            DialogField::TapOnce if form.tap_once && form.passes_one_time() => {
                form.error =
                    Some("The tenant's policy makes every Temporary Access Pass one-time.".into());
            }
            DialogField::TapOnce => form.tap_once = !form.tap_once,
            DialogField::ForceChange => {
                if weaken(form, DialogField::ForceChange, form.force_change) {
                    form.force_change = !form.force_change;
                    if !form.force_change {
                        form.force_change_mfa = false;
                    }
                }
            }
            DialogField::ForceChangeMfa => {
                if weaken(form, DialogField::ForceChangeMfa, form.force_change_mfa) {
                    form.force_change_mfa = !form.force_change_mfa;
                }
            }
            DialogField::IncludePassword => form.include_password = !form.include_password,
            DialogField::Reconcile(i) => {
                if let Some(t) = form.targets.get_mut(i) {
                    t.reconcile = !t.reconcile;
                }
            }
            DialogField::Item(i, j) => {
                let pick = form
                    .targets
                    .get_mut(i)
                    .and_then(|t| t.picks.as_mut())
                    .and_then(|p| p.get_mut(j));
                if let Some(p) = pick
                    && let Err(why) = crate::offboarding::checklist::toggle(p)
                {
                    form.error = Some(why);
                }
            }
            DialogField::Restore => return submit_restore(state),
            DialogField::Cancel => return Outcome::Closed(Vec::new()),
            DialogField::Password
            | DialogField::Recipients
            | DialogField::NewUpn(_)
            | DialogField::TapLifetime => {}
        },
        Some(Action::Reveal) => form.reveal = !form.reveal,
        Some(Action::Cancel) => return Outcome::Closed(Vec::new()),
        Some(Action::Submit) => match form.focus {
            DialogField::Cancel => return Outcome::Closed(Vec::new()),
            DialogField::ManualPassword if form.auto_password || form.tap => {
                // Enter on "let me create" picks it and goes to the field, as a user expects.
                form.auto_password = false;
                form.tap = false;
                form.focus = DialogField::Password;
            }
            DialogField::TapPass if !form.tap => {
                choose_tap(form);
                if form.tap {
                    form.focus = DialogField::TapLifetime;
                }
            }
            _ => return submit_restore(state),
        },
        _ => {
            if let Some(input) = form.focused_input() {
                let changed = input
                    .handle_event(&Event::Key(key))
                    .is_some_and(|c| c.value);
                form.error = None;
                match form.focus {
                    DialogField::Password if changed => {
                        return Outcome::Open(ask_about_password(state));
                    }
                    DialogField::NewUpn(i) if changed => {
                        return Outcome::Open(ask_about_new_name(state, i));
                    }
                    _ => {}
                }
            }
        }
    }
    Outcome::Open(Vec::new())
}

/// Picks the pass, or says why it cannot be picked (the choice stays greyed).
fn choose_tap(form: &mut RestoreForm) {
    match form.tap_refusal() {
        None => {
            form.tap = true;
            form.error = None;
        }
        Some(why) => form.error = Some(format!("Temporary Access Pass unavailable: {why}")),
    }
}

/// After the typed password changed: ask the directory about it (the runner waits for typing
/// to pause), unless it already said it cannot be asked.
pub(in crate::app) fn ask_about_password(state: &mut State) -> Vec<Effect> {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Vec::new();
    };
    if matches!(form.verdict, Verdict::Unavailable(_)) {
        return Vec::new();
    }
    if form.password.value().is_empty() {
        form.verdict = Verdict::None;
        return Vec::new();
    }
    state.sessions.current_mut().verdict_seq += 1;
    let seq = state.sessions.current_mut().verdict_seq;
    form.verdict = Verdict::Asking { seq };
    vec![Effect::CheckPassword {
        seq,
        password: secrecy::SecretString::from(form.password.value()),
    }]
}
