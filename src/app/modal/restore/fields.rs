//! The dialog's order, said once: its parts top to bottom, and the focusable widgets each
//! holds. Tab walks it, the drawing lays its sections out in it, and a refused Restore points
//! at the widget a plan problem is about through it.

use super::{Preflight, RestoreForm};
use crate::restore;

/// The restore dialog's focusable widgets, in Tab order (some only appear when relevant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogField {
    AutoPassword,
    ManualPassword,
    /// "Temporary Access Pass" instead of a password.
    TapPass,
    Password,
    TapLifetime,
    TapOnce,
    ForceChange,
    ForceChangeMfa,
    Recipients,
    IncludePassword,
    NewUpn(usize),
    Reconcile(usize),
    /// A line of a user's checklist of what offboarding took: (user, line).
    Item(usize, usize),
    Restore,
    Cancel,
}

impl DialogField {
    pub fn is_text(self) -> bool {
        matches!(
            self,
            DialogField::Password
                | DialogField::Recipients
                | DialogField::NewUpn(_)
                | DialogField::TapLifetime
        )
    }
}

/// A part of the dialog, top to bottom; some hold no focusable widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Who is restored, and the soonest purge.
    Who,
    /// Why the last Restore was refused.
    Refusal,
    /// Auto-generate or type the password.
    PasswordChoice,
    /// The typed password and its checklist.
    PasswordField,
    /// A Temporary Access Pass instead, with its terms.
    Tap,
    /// The first sign-in's safeguards.
    Safeguards,
    /// Who is mailed, and whether the password goes in the mail.
    Mail,
    /// What applies across the users.
    Warnings,
    /// Each user's conflict and its fix.
    PerUser,
    /// What offboarding took from each user, as a checklist of what comes back.
    Taken,
    /// Restore and Cancel.
    Buttons,
}

/// The dialog's parts in the order they are drawn and tabbed through.
pub const PARTS: [Part; 11] = [
    Part::Who,
    Part::Refusal,
    Part::PasswordChoice,
    Part::PasswordField,
    Part::Tap,
    Part::Safeguards,
    Part::Mail,
    Part::Warnings,
    Part::PerUser,
    Part::Taken,
    Part::Buttons,
];

impl Part {
    /// The focusable widgets this part shows for `form` now, top to bottom.
    pub fn fields(self, form: &RestoreForm) -> Vec<DialogField> {
        use DialogField as F;
        match self {
            Part::Who | Part::Refusal | Part::Warnings => Vec::new(),
            // Guests get no password or pass: nothing to choose, the mail says how they sign in.
            Part::PasswordChoice | Part::PasswordField | Part::Tap | Part::Safeguards
                if form.all_guests() =>
            {
                Vec::new()
            }
            Part::Mail if form.all_guests() => vec![F::Recipients],
            Part::PasswordChoice => vec![F::AutoPassword, F::ManualPassword],
            Part::PasswordField if !form.auto_password && !form.tap => vec![F::Password],
            Part::PasswordField => Vec::new(),
            Part::Tap if form.tap => vec![F::TapPass, F::TapLifetime, F::TapOnce],
            Part::Tap => vec![F::TapPass],
            Part::Safeguards if form.tap => Vec::new(),
            Part::Safeguards if form.force_change => vec![F::ForceChange, F::ForceChangeMfa],
            Part::Safeguards => vec![F::ForceChange],
            Part::Mail => vec![F::Recipients, F::IncludePassword],
            Part::PerUser => per_user_fields(form),
            Part::Taken => taken_fields(form),
            Part::Buttons => vec![F::Restore, F::Cancel],
        }
    }
}

/// Each user's fixes: a new user name when the old one is taken, reconciling when proxy
/// addresses are held elsewhere.
fn per_user_fields(form: &RestoreForm) -> Vec<DialogField> {
    let mut f = Vec::new();
    for (i, t) in form.targets.iter().enumerate() {
        if let Preflight::Conflict {
            upn_holder,
            proxy_conflicts,
        } = &t.preflight
        {
            if upn_holder.is_some() {
                f.push(DialogField::NewUpn(i));
            }
            if !proxy_conflicts.is_empty() {
                f.push(DialogField::Reconcile(i));
            }
        }
    }
    f
}

/// Each checklist line that can be ticked (a line the sign-in cannot give back is greyed,
/// not focused).
fn taken_fields(form: &RestoreForm) -> Vec<DialogField> {
    let mut f = Vec::new();
    for (i, t) in form.targets.iter().enumerate() {
        for (j, p) in t.picks.iter().flatten().enumerate() {
            if p.blocked.is_none() {
                f.push(DialogField::Item(i, j));
            }
        }
    }
    f
}

impl RestoreForm {
    /// Focus order for Tab, given what is visible now: the parts' widgets in `PARTS` order.
    pub fn fields(&self) -> Vec<DialogField> {
        PARTS.iter().flat_map(|p| p.fields(self)).collect()
    }

    /// The widget shown now that a plan problem about `field` points at, if any: the first
    /// of its candidates that `fields()` holds.
    pub fn field_of(&self, field: restore::Field) -> Option<DialogField> {
        let candidates: &[DialogField] = match field {
            restore::Field::Password => &[DialogField::Password, DialogField::TapLifetime],
            restore::Field::Recipients => &[DialogField::Recipients],
            restore::Field::NewUpn(i) => &[DialogField::NewUpn(i)],
            restore::Field::User(i) => &[DialogField::Reconcile(i)],
        };
        let shown = self.fields();
        candidates.iter().copied().find(|c| shown.contains(c))
    }
}

#[cfg(test)]
mod tests {
    use tui_input::Input;

    use super::*;
    use crate::app::fixtures;
    use crate::app::modal::restore::HeldAddress;
    use crate::directory::{Holder, HolderKind};

    fn holder(name: &str, upn: &str) -> Holder {
        Holder {
            kind: HolderKind::User,
            id: "holder-id".into(),
            display_name: name.into(),
            user_principal_name: Some(upn.into()),
            mail: None,
            proxy_addresses: vec![],
        }
    }

    /// A dialog where every part shows its widgets, and every kind of plan problem is found:
    /// a weak password, bad recipients, a taken user name with none chosen, a held address.
    fn troubled() -> RestoreForm {
        let users = fixtures::users(3, fixtures::now());
        let mut form = RestoreForm::new(users, "not an address", true);
        form.auto_password = false;
        form.password = Input::new("short".into());
        for (i, t) in form.targets.iter_mut().enumerate() {
            let taken = holder("Alex Wilber (new hire)", &t.user.original_upn);
            let upn_holder = (i != 1).then(|| taken.clone());
            t.found = Some(restore::Preflight {
                upn_holder: upn_holder.clone(),
                proxy_holders: vec![("smtp:held@contoso.sandbox".into(), taken)],
                suggested_upn: None,
                synced: false,
                new_upn: None,
                unchecked: vec![],
            });
            t.preflight = Preflight::Conflict {
                upn_holder: upn_holder.map(|h| h.display_name),
                proxy_conflicts: vec![HeldAddress {
                    address: "smtp:held@contoso.sandbox".into(),
                    holder: "user \"Alex Wilber (new hire)\"".into(),
                }],
            };
        }
        form
    }

    #[test]
    fn tab_order_is_the_parts_in_order() {
        let mut form = troubled();
        for (auto, tap, force) in [
            (true, false, true),
            (false, false, false),
            (false, true, true),
        ] {
            (form.auto_password, form.tap, form.force_change) = (auto, tap, force);
            let fields = form.fields();
            let mut at = 0;
            for part in PARTS {
                let own = part.fields(&form);
                assert_eq!(&fields[at..at + own.len()], own.as_slice(), "{part:?}");
                at += own.len();
            }
            assert_eq!(at, fields.len());
            assert_eq!(fields.first(), Some(&DialogField::AutoPassword));
            assert_eq!(fields.last(), Some(&DialogField::Cancel));
        }
    }

    #[test]
    fn every_plan_problem_points_at_a_shown_field_in_dialog_order() {
        let form = troubled();
        let problems = restore::validate(&form.request(), &restore::Tenant::default());
        let fields = form.fields();
        let kinds: Vec<restore::Field> = problems.iter().map(|p| p.field).collect();
        assert!(kinds.contains(&restore::Field::Password), "{kinds:?}");
        assert!(kinds.contains(&restore::Field::Recipients), "{kinds:?}");
        assert!(kinds.contains(&restore::Field::NewUpn(2)), "{kinds:?}");
        let at: Vec<usize> = problems
            .iter()
            .map(|p| {
                let shown = form.field_of(p.field);
                let shown = shown.unwrap_or_else(|| panic!("{:?} points nowhere", p.field));
                fields
                    .iter()
                    .position(|f| *f == shown)
                    .unwrap_or(usize::MAX)
            })
            .collect();
        // The first problem the plan names is the topmost in the dialog.
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{kinds:?} at {at:?}");
    }

    #[test]
    fn a_users_problem_without_its_widget_points_nowhere() {
        let mut form = troubled();
        form.targets[0].preflight = Preflight::Clear;
        assert_eq!(form.field_of(restore::Field::User(0)), None);
        assert_eq!(form.field_of(restore::Field::NewUpn(0)), None);
        assert_eq!(
            form.field_of(restore::Field::User(1)),
            Some(DialogField::Reconcile(1))
        );
    }
}
