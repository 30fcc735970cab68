//! The restore dialog's sections, top to bottom: each adds its lines to `Sections` and says
//! where the focused widget is when it holds it.

use ratatui::text::{Line, Span};

use super::*;
use crate::app::modal::restore::{PARTS, Part};

mod password;
mod taken;
mod users;

use password::{password_choice, password_field, safeguards, tap};
use taken::taken;
use users::{per_user, warnings, who};

pub(super) fn build(state: &State, form: &RestoreForm, theme: &Theme, w: usize) -> Built {
    let mut b = Sections {
        state,
        form,
        theme,
        w,
        field_w: w.saturating_sub(INDENT + 4 + 9).clamp(8, 48),
        lines: Vec::new(),
        cursor: None,
        focus_line: 0,
    };
    for part in PARTS {
        section(part)(&mut b);
    }
    Built {
        lines: b.lines,
        cursor: b.cursor,
        focus_line: b.focus_line,
    }
}

/// The section that draws `part`; the order is the dialog's own (`PARTS`), which Tab and a
/// refused Restore follow too.
fn section(part: Part) -> fn(&mut Sections) {
    match part {
        Part::Who => who,
        Part::Refusal => refusal,
        Part::PasswordChoice => password_choice,
        Part::PasswordField => password_field,
        Part::Tap => tap,
        Part::Safeguards => safeguards,
        Part::Mail => mail,
        Part::Warnings => warnings,
        Part::PerUser => per_user,
        Part::Taken => taken,
        Part::Buttons => buttons,
    }
}

/// The dialog as it is built: what every section reads, and the lines so far.
struct Sections<'a> {
    state: &'a State,
    form: &'a RestoreForm,
    theme: &'a Theme,
    w: usize,
    /// The width of a text field.
    field_w: usize,
    lines: Vec<Line<'static>>,
    cursor: Option<(usize, usize)>,
    focus_line: usize,
}

/// Why the last Enter was refused, at the top where a scrolled dialog still shows it.
fn refusal(b: &mut Sections) {
    let (form, theme, w) = (b.form, b.theme, b.w);
    // The refusal goes at the top, where it shows even when a small terminal scrolls the dialog.
    match &form.error {
        Some(e) => {
            for chunk in wrap(&format!("✗ {e}"), w) {
                b.lines
                    .push(Line::from(Span::styled(chunk, theme.danger())));
            }
        }
        None => b.lines.push(Line::from("")),
    }
}

/// Who the sign-in info is mailed to, and whether the password goes in the mail.
fn mail(b: &mut Sections) {
    let (form, theme, w, f) = (b.form, b.theme, b.w, b.form.focus);

    b.lines.push(Line::from(Span::styled(
        "Email the sign-in info to",
        theme.title(),
    )));
    let (line, col) = input_line(
        &" ".repeat(INDENT),
        &form.recipients,
        false,
        b.field_w,
        f == DialogField::Recipients,
        "",
        theme,
    );
    if f == DialogField::Recipients {
        b.focus_line = b.lines.len();
        b.cursor = Some((b.lines.len(), col));
    }
    b.lines.push(line);
    if form.recipients.value().trim().is_empty() {
        b.lines.push(Line::from(Span::styled(
            fit(
                "     (empty: no email; the result screen shows the passwords)",
                w,
            ),
            theme.dim(),
        )));
    } else if let Err(e) = crate::address::parse_recipients(form.recipients.value()) {
        b.lines.push(Line::from(Span::styled(
            fit(&format!("     ✗ {e}"), w),
            theme.danger(),
        )));
    }
    if f == DialogField::IncludePassword {
        b.focus_line = b.lines.len();
    }
    if form.all_guests() {
        // No password or pass goes to a guest: nothing to include.
        return;
    }
    let include_label = match (form.tap, form.targets.len() == 1) {
        (true, true) => "Include the pass in the email",
        (true, false) => "Include the passes in the email",
        (false, true) => "Include the password in the email",
        (false, false) => "Include the passwords in the email",
    };
    b.lines.push(checkbox(
        1,
        include_label,
        form.include_password,
        f == DialogField::IncludePassword,
        theme,
    ));
}

/// The buttons, or the question before many users are restored; the focused widget is
/// pointed at.
fn buttons(b: &mut Sections) {
    let (form, theme, w, f) = (b.form, b.theme, b.w, b.form.focus);
    b.lines.push(Line::from(""));
    if matches!(f, DialogField::Restore | DialogField::Cancel) {
        b.focus_line = b.lines.len();
    } else if let Some(line) = b.lines.get_mut(b.focus_line) {
        point_at(line);
    }
    let label = if b.state.session().facts.read_only {
        "Restore (read-only)"
    } else {
        "Restore"
    };
    let restore = Span::styled(
        button_label(label, f == DialogField::Restore),
        if f == DialogField::Restore {
            theme.focused()
        } else {
            theme.button()
        },
    );
    let cancel = Span::styled(
        button_label("Cancel", f == DialogField::Cancel),
        if f == DialogField::Cancel {
            theme.focused()
        } else {
            theme.button()
        },
    );
    if form.confirm_many {
        // What the admin agrees to, beyond the count: renames and dropped addresses.
        let renamed = form
            .targets
            .iter()
            .filter(|t| {
                matches!(
                    &t.preflight,
                    Preflight::Conflict {
                        upn_holder: Some(_),
                        ..
                    }
                )
            })
            .count();
        let reconciled = form
            .targets
            .iter()
            .filter(|t| {
                t.reconcile
                    && matches!(&t.preflight, Preflight::Conflict { proxy_conflicts, .. } if !proxy_conflicts.is_empty())
            })
            .count();
        let mut q = format!(
            "Restore {} users{}?",
            form.targets.len(),
            super::tenant_words(b.state)
        );
        if renamed > 0 {
            q.push_str(&format!(
                " {renamed} {} a new user name.",
                crate::text::plural(renamed, "gets", "get")
            ));
        }
        if reconciled > 0 {
            q.push_str(&format!(
                " {reconciled} {} conflicting proxy addresses.",
                crate::text::plural(reconciled, "loses", "lose")
            ));
        }
        q.push_str(" y restores them all · n goes back");
        b.focus_line = b.lines.len();
        for chunk in wrap(&q, w) {
            b.lines.push(Line::from(Span::styled(chunk, theme.warn())));
        }
        return;
    }
    let bw = width(&restore.content) + 3 + width(&cancel.content);
    b.lines.push(Line::from(vec![
        Span::raw(" ".repeat(w.saturating_sub(bw) / 2)),
        restore,
        Span::raw("   "),
        cancel,
    ]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures;
    use crate::app::modal::restore::{DialogField, HeldAddress};

    /// The sections draw the widgets in the order Tab walks them: focusing each in turn moves
    /// the focused line down (the two buttons share theirs).
    #[test]
    fn sections_draw_the_fields_in_tab_order() {
        let state = fixtures::state(3, (120, 40));
        let mut form = RestoreForm::new(fixtures::users(3, fixtures::now()), "", false);
        form.targets[1].preflight = Preflight::Conflict {
            upn_holder: Some("\"Alex\" (alex@contoso.sandbox)".into()),
            proxy_conflicts: vec![HeldAddress {
                address: "smtp:alex@contoso.sandbox".into(),
                holder: "user \"Alex\"".into(),
            }],
        };
        let theme = Theme::new(state.settings.theme, true);
        for (auto, tap) in [(true, false), (false, false)] {
            (form.auto_password, form.tap) = (auto, tap);
            let fields = form.fields();
            let lines: Vec<usize> = fields
                .iter()
                .map(|f| {
                    form.focus = *f;
                    build(&state, &form, &theme, 76).focus_line
                })
                .collect();
            for (pair, at) in fields.windows(2).zip(lines.windows(2)) {
                if pair == [DialogField::Restore, DialogField::Cancel] {
                    assert_eq!(at[0], at[1]);
                } else {
                    assert!(at[0] < at[1], "{pair:?} drawn at lines {at:?}");
                }
            }
        }
    }
}
