//! The restore dialog's sections, top to bottom: each adds its lines to `Sections` and says
//! where the focused widget is when it holds it.

use ratatui::text::{Line, Span};

use super::*;

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
    for section in SECTIONS {
        section(&mut b);
    }
    Built {
        lines: b.lines,
        cursor: b.cursor,
        focus_line: b.focus_line,
    }
}

/// The dialog's sections, top to bottom; each adds its lines and, when it holds the focused
/// widget, says where it is.
const SECTIONS: [fn(&mut Sections); 10] = [
    who,
    refusal,
    password_choice,
    password_field,
    tap,
    safeguards,
    mail,
    warnings,
    per_user,
    buttons,
];

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

/// Who is restored, and the soonest purge among them: the names give way before the count
/// of the rest.
fn who(b: &mut Sections) {
    let (form, w) = (b.form, b.w);
    // Who, and how urgent.
    let names: Vec<&str> = form
        .targets
        .iter()
        .take(4)
        .map(|t| t.user.display_name.as_str())
        .collect();
    // The count of users not named is what must not be cut: the names give way first.
    let mut more = String::new();
    if form.targets.len() > 4 {
        more.push_str(&format!(" and {} more", form.targets.len() - 4));
    }
    let soonest = form
        .targets
        .iter()
        .filter_map(|t| t.user.time_left(b.state.now))
        .min();
    let mut purge = match soonest {
        Some(t) if t.is_overdue() => " · past its purge date".to_string(),
        Some(t) => format!(" · soonest purge in {}", t.long()),
        None => String::new(),
    };
    let names = if more.is_empty() {
        // All named: what is cut is the end of the line.
        names.join(", ")
    } else {
        // The count of the rest is kept whole; the soonest purge gives way before the names
        // get too short to read.
        if w.saturating_sub(width(&more) + width(&purge)) < 16 {
            purge.clear();
        }
        fit(
            &names.join(", "),
            w.saturating_sub(width(&more) + width(&purge)).max(8),
        )
    };
    b.lines
        .push(Line::from(fit(&format!("{names}{more}{purge}"), w)));
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

/// The password's heading and its two choices.
fn password_choice(b: &mut Sections) {
    let (form, theme, f) = (b.form, b.theme, b.form.focus);
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
fn password_field(b: &mut Sections) {
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
        let report = check.policy;
        let no_names = check.contains_name.is_none();
        let mut row: Vec<Span<'static>> = vec![Span::raw(" ".repeat(INDENT))];
        let mut used = INDENT;
        let rules = password::rules()
            .into_iter()
            .map(|(label, ok)| (label, ok(&report)))
            .chain(std::iter::once(("no tenant or user name", no_names)));
        for (label, met) in rules {
            let item = format!("{} {label}   ", if met { "✓" } else { "✗" });
            let iw = width(&item);
            if used + iw > w && used > INDENT {
                b.lines.push(Line::from(std::mem::take(&mut row)));
                row.push(Span::raw(" ".repeat(INDENT)));
                used = INDENT;
            }
            used += iw;
            row.push(Span::styled(
                item,
                if met { theme.ok() } else { theme.danger() },
            ));
        }
        b.lines.push(Line::from(row));
        use crate::app::modal::restore::Verdict;
        let verdict = match &form.verdict {
            Verdict::None => None,
            Verdict::Asking { .. } => Some(("… asking the directory".to_string(), theme.dim())),
            Verdict::Valid => Some(("✓ the directory accepts it".to_string(), theme.ok())),
            Verdict::Refused(why) => Some((
                format!("✗ the directory refuses it: {}", why.join("; ")),
                theme.danger(),
            )),
            Verdict::Unavailable(why) => Some((
                format!("ⓘ The tenant could not be asked: {why}. The rules above decide."),
                theme.dim(),
            )),
        };
        if let Some((text, style)) = verdict {
            for chunk in wrap(&format!("{}{text}", " ".repeat(INDENT)), w) {
                b.lines.push(Line::from(Span::styled(chunk, style)));
            }
        }
    }
}

/// The Temporary Access Pass choice.
fn tap(b: &mut Sections) {
    let (form, theme, w) = (b.form, b.theme, b.w);
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
fn safeguards(b: &mut Sections) {
    let (form, theme, w, f) = (b.form, b.theme, b.w, b.form.focus);
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

/// What applies across the users: synced, unchecked kinds of holder, disabled, still
/// checking, guests.
fn warnings(b: &mut Sections) {
    let (form, theme, w) = (b.form, b.theme, b.w);
    let synced: Vec<&str> = form
        .targets
        .iter()
        .filter(|t| t.user.on_premises_sync_enabled)
        .map(|t| t.user.display_name.as_str())
        .collect();
    let checking = form
        .targets
        .iter()
        .filter(|t| t.preflight == Preflight::Checking)
        .count();
    let guests = form.targets.iter().filter(|t| t.user.is_guest()).count();
    let disabled: Vec<&str> = form
        .targets
        .iter()
        .filter(|t| t.user.account_disabled)
        .map(|t| t.user.display_name.as_str())
        .collect();
    let has_conflicts = form.targets.iter().any(|t| {
        matches!(
            t.preflight,
            Preflight::Conflict { .. } | Preflight::Failed(_)
        )
    });
    // Kinds of holder pre-flight could not ask about, once each across the users.
    let mut unchecked: Vec<(crate::directory::HolderKind, &str)> = Vec::new();
    for (kind, why) in form
        .targets
        .iter()
        .filter_map(|t| t.found.as_ref())
        .flat_map(|f| f.unchecked.iter())
    {
        if !unchecked.iter().any(|(k, _)| k == kind) {
            unchecked.push((*kind, why.as_str()));
        }
    }
    if !synced.is_empty()
        || !disabled.is_empty()
        || checking > 0
        || guests > 0
        || has_conflicts
        || !unchecked.is_empty()
    {
        b.lines.push(Line::from(""));
    }
    for (kind, why) in &unchecked {
        let msg = format!(
            "ⓘ Proxy addresses not checked against {}: {why}",
            kind.plural()
        );
        for chunk in wrap(&msg, w) {
            b.lines.push(Line::from(Span::styled(chunk, theme.dim())));
        }
    }
    if !synced.is_empty() {
        let who = if synced.len() <= 2 {
            synced.join(", ")
        } else {
            format!("{} synced users", synced.len())
        };
        let msg = format!(
            "⚠ {who}: synced from on-premises AD, which is the source of truth. Restore there too, or the next sync may delete again."
        );
        for chunk in wrap(&msg, w) {
            b.lines.push(Line::from(Span::styled(chunk, theme.warn())));
        }
    }
    if !disabled.is_empty() {
        let who = if disabled.len() <= 2 {
            disabled.join(", ")
        } else {
            format!("{} users", disabled.len())
        };
        let msg = format!(
            "⚠ {who}: account disabled; a restore keeps it so, and sign-in fails until it is \
             enabled (the mail says so)."
        );
        for chunk in wrap(&msg, w) {
            b.lines.push(Line::from(Span::styled(chunk, theme.warn())));
        }
    }
    if checking > 0 {
        let spin = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'][b.state.spinner % 10];
        b.lines.push(Line::from(Span::styled(
            format!("{spin} Checking {checking} user name(s) for conflicts…"),
            theme.dim(),
        )));
    }
    if guests > 0 {
        let msg = format!(
            "ⓘ {}: no password is set; guests sign in with their home account, and the email \
             tells them how.",
            crate::text::count(guests, "guest", "guests")
        );
        for chunk in wrap(&msg, w) {
            b.lines.push(Line::from(Span::styled(chunk, theme.dim())));
        }
    }
}

/// Each user's conflict and its fix (a new user name, reconciled proxy addresses).
fn per_user(b: &mut Sections) {
    let (form, theme, w, f) = (b.form, b.theme, b.w, b.form.focus);
    for (i, t) in form.targets.iter().enumerate() {
        match &t.preflight {
            Preflight::Conflict {
                upn_holder,
                proxy_conflicts,
            } => {
                if let Some(holder) = upn_holder {
                    let msg = format!("⚠ {}: user name now used by {holder}", t.user.display_name);
                    b.lines
                        .push(Line::from(Span::styled(fit(&msg, w), theme.warn())));
                    let verdict = name_verdict(t);
                    let (line, col) = input_line(
                        "     New user name ",
                        &t.new_upn,
                        false,
                        // The verdict goes in the room to the right; the field gives way
                        // only when there is none.
                        b.field_w
                            .saturating_sub(14)
                            .min(w.saturating_sub(23 + width(verdict)))
                            .max(12),
                        f == DialogField::NewUpn(i),
                        verdict,
                        theme,
                    );
                    if f == DialogField::NewUpn(i) {
                        b.focus_line = b.lines.len();
                        b.cursor = Some((b.lines.len(), col));
                    }
                    b.lines.push(line);
                    if let Some(h) = t.new_upn_holder() {
                        let msg = format!(
                            "       ✗ already used by {} \"{}\"",
                            h.kind.noun(),
                            h.display_name
                        );
                        b.lines
                            .push(Line::from(Span::styled(fit(&msg, w), theme.warn())));
                    }
                }
                if let Some(first) = proxy_conflicts.first() {
                    if upn_holder.is_none() {
                        let more = match proxy_conflicts.len() {
                            1 => String::new(),
                            n => format!(" (and {} more)", n - 1),
                        };
                        // Wrapped, not cut: who holds it is what the admin needs to read.
                        let msg = format!(
                            "⚠ {}: {} is held by {}{more}",
                            t.user.display_name, first.address, first.holder
                        );
                        for chunk in wrap(&msg, w) {
                            b.lines.push(Line::from(Span::styled(chunk, theme.warn())));
                        }
                    }
                    if f == DialogField::Reconcile(i) {
                        b.focus_line = b.lines.len();
                    }
                    // An address two objects hold (the directory should not allow it, but a
                    // sync can) is removed once.
                    let mut addresses: Vec<&str> = Vec::new();
                    for c in proxy_conflicts {
                        if !addresses.iter().any(|a| a.eq_ignore_ascii_case(&c.address)) {
                            addresses.push(&c.address);
                        }
                    }
                    let label = format!(
                        "Remove conflicting proxy addresses ({})",
                        addresses.join(", ")
                    );
                    let line = checkbox(
                        5,
                        &label,
                        t.reconcile,
                        f == DialogField::Reconcile(i),
                        theme,
                    );
                    b.lines.push(fit_line(line.spans, w));
                }
            }
            Preflight::Failed(e) => {
                let msg = format!(
                    "⚠ {}: could not check for conflicts: {e}",
                    t.user.display_name
                );
                b.lines
                    .push(Line::from(Span::styled(fit(&msg, w), theme.warn())));
            }
            _ => {}
        }
    }
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
        let mut q = format!("Restore {} users?", form.targets.len());
        if renamed > 0 {
            q.push_str(&format!(" {renamed} get a new user name."));
        }
        if reconciled > 0 {
            q.push_str(&format!(" {reconciled} lose conflicting proxy addresses."));
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
