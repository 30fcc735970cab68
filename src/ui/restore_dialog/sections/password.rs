//! The password's sections: the choice, the typed password with its checklist and the
//! directory's verdict, the Temporary Access Pass, and the first sign-in's safeguards.

use ratatui::text::{Line, Span};

use super::Sections;
use crate::ui::restore_dialog::*;

/// The Temporary Access Pass choice: greyed with the reason when passes cannot be issued here;
/// once chosen, its lifetime (the policy's bounds beside it) and one-time use.
fn tap_lines(
    form: &RestoreForm,
    theme: &Theme,
    w: usize,
    field_w: usize,
    lines: &mut Vec<Line<'static>>,
    cursor: &mut Option<(usize, usize)>,
    focus_line: &mut usize,
) {
    use crate::directory::tap::TapAvailability;
    let f = form.focus;
    if f == DialogField::TapPass {
        *focus_line = lines.len();
    }
    let label = if form.targets.len() == 1 {
        "Temporary Access Pass instead of a password"
    } else {
        "Temporary Access Pass for each user instead of a password"
    };
    match &form.tap_status {
        Some(TapAvailability::Available(_)) => {
            lines.push(radio(label, form.tap, f == DialogField::TapPass, theme));
        }
        other => {
            let mark = Line::from(vec![
                Span::raw(" "),
                Span::styled(
                    format!("( ) {label}"),
                    if f == DialogField::TapPass {
                        theme.focused()
                    } else {
                        theme.dim()
                    },
                ),
            ]);
            lines.push(mark);
            let why = match other {
                Some(TapAvailability::Unavailable(why)) => format!("unavailable: {why}"),
                _ => "… asking the directory whether passes can be issued".into(),
            };
            for chunk in wrap(&why, w.saturating_sub(INDENT).max(10)) {
                lines.push(Line::from(Span::styled(
                    format!("{}{chunk}", " ".repeat(INDENT)),
                    theme.dim(),
                )));
            }
        }
    }
    if !form.tap {
        return;
    }
    let bounds = match &form.tap_status {
        Some(TapAvailability::Available(p)) => {
            format!(" minutes (policy {}–{})", p.min_lifetime, p.max_lifetime)
        }
        _ => " minutes".into(),
    };
    let (line, col) = input_line(
        "     Lifetime ",
        &form.tap_lifetime,
        false,
        field_w.min(8),
        f == DialogField::TapLifetime,
        &bounds,
        theme,
    );
    if f == DialogField::TapLifetime {
        *focus_line = lines.len();
        *cursor = Some((lines.len(), col));
    }
    lines.push(line);
    if f == DialogField::TapOnce {
        *focus_line = lines.len();
    }
    lines.push(checkbox(
        INDENT,
        "One-time use",
        form.tap_once,
        f == DialogField::TapOnce,
        theme,
    ));
    for chunk in wrap(
        "ⓘ A user holds one pass: a new one replaces any pass it has.",
        w.saturating_sub(INDENT).max(10),
    ) {
        lines.push(Line::from(Span::styled(
            format!("{}{chunk}", " ".repeat(INDENT)),
            theme.dim(),
        )));
    }
}

/// For guests only: how they get back in, in place of the password's choices.
fn guest_hand_off(b: &mut Sections) {
    let (theme, w) = (b.theme, b.w);
    b.lines
        .push(Line::from(Span::styled("Hand-off", theme.title())));
    let who = crate::text::plural(b.form.targets.len(), "The guest signs", "The guests sign");
    let text = format!(
        "{who} in with their home account (their own organisation's, or a Microsoft account): \
         no password or pass is set here, and the email tells them where to sign in."
    );
    for chunk in wrap(&text, w.saturating_sub(1)) {
        b.lines.push(Line::from(format!(" {chunk}")));
    }
}

/// The password's heading and its two choices.
pub(super) fn password_choice(b: &mut Sections) {
    let (form, theme, f) = (b.form, b.theme, b.form.focus);
    if form.all_guests() {
        guest_hand_off(b);
        return;
    }
    b.lines
        .push(Line::from(Span::styled("Password", theme.title())));
    if f == DialogField::AutoPassword {
        b.focus_line = b.lines.len();
    }
    let auto_label = if form.targets.len() == 1 {
        "Auto-generate a password"
    } else {
        "Auto-generate a password for each user"
    };
    b.lines.push(radio(
        auto_label,
        form.auto_password && !form.tap,
        f == DialogField::AutoPassword,
        theme,
    ));
    if f == DialogField::ManualPassword {
        b.focus_line = b.lines.len();
    }
    let manual_label = if form.targets.len() == 1 {
        "Let me create the password"
    } else {
        "Let me create the password (the same for all)"
    };
    b.lines.push(radio(
        manual_label,
        !form.auto_password && !form.tap,
        f == DialogField::ManualPassword,
        theme,
    ));
}

/// The typed password, its live checklist (the policy, the names Entra bans) and the
/// directory's verdict on it.
pub(super) fn password_field(b: &mut Sections) {
    let (form, theme, w, f) = (b.form, b.theme, b.w, b.form.focus);
    if !form.auto_password && !form.tap {
        let suffix = if form.reveal {
            "  F2 hide"
        } else {
            "  F2 show"
        };
        let (line, col) = input_line(
            &" ".repeat(INDENT),
            &form.password,
            !form.reveal,
            b.field_w,
            f == DialogField::Password,
            suffix,
            theme,
        );
        if f == DialogField::Password {
            b.focus_line = b.lines.len();
            b.cursor = Some((b.lines.len(), col));
        }
        b.lines.push(line);
        // The live checklist, wrapped to the dialog's width: the policy, the names Entra bans
        // (the plan's one check), then the directory's own verdict when it could be asked.
        let users: Vec<&crate::directory::DeletedUser> = form
            .targets
            .iter()
            .filter(|t| !t.user.is_guest())
            .map(|t| &t.user)
            .collect();
        let check = crate::restore::check_password(
            form.password.value(),
            &b.state.session().tenant,
            &users,
        );
        b.lines.extend(crate::ui::password_check::checklist(
            &check, INDENT, w, theme,
        ));
        b.lines.extend(crate::ui::password_check::verdict(
            &form.verdict,
            INDENT,
            w,
            theme,
        ));
    }
}

/// The Temporary Access Pass choice.
pub(super) fn tap(b: &mut Sections) {
    let (form, theme, w) = (b.form, b.theme, b.w);
    if form.all_guests() {
        return;
    }
    tap_lines(
        form,
        theme,
        w,
        b.field_w,
        &mut b.lines,
        &mut b.cursor,
        &mut b.focus_line,
    );
}

/// The first sign-in's safeguards (a password change, after MFA), and the warning before
/// one is turned off.
pub(super) fn safeguards(b: &mut Sections) {
    let (form, theme, w, f) = (b.form, b.theme, b.w, b.form.focus);
    // A guest gets no password, so nothing to change at its first sign-in.
    if form.all_guests() {
        b.lines.push(Line::from(""));
        return;
    }
    if !form.tap {
        if f == DialogField::ForceChange {
            b.focus_line = b.lines.len();
        }
        b.lines.push(checkbox(
            1,
            "Require a password change at first sign-in",
            form.force_change,
            f == DialogField::ForceChange,
            theme,
        ));
    }
    let confirm_off = |lines: &mut Vec<Line<'static>>, field: DialogField| {
        if form.confirm_off == Some(field) {
            for chunk in wrap(
                "      ⚠ Space again turns this safeguard off; any other key keeps it on",
                w,
            ) {
                lines.push(Line::from(Span::styled(chunk, theme.warn())));
            }
        }
    };
    if !form.tap {
        confirm_off(&mut b.lines, DialogField::ForceChange);
    }
    if form.force_change && !form.tap {
        if f == DialogField::ForceChangeMfa {
            b.focus_line = b.lines.len();
        }
        b.lines.push(checkbox(
            1,
            "  …after completing MFA",
            form.force_change_mfa,
            f == DialogField::ForceChangeMfa,
            theme,
        ));
        confirm_off(&mut b.lines, DialogField::ForceChangeMfa);
    }
    b.lines.push(Line::from(""));
}
