//! The sections about the users: who is restored, what applies across them, and each one's
//! conflict and its fix.

use ratatui::text::{Line, Span};

use super::Sections;
use crate::ui::restore_dialog::*;

/// Most users the dialog names one per line; past that the count of the rest (`m` in the
/// table lists every marked user).
const NAMED: usize = 6;

/// Who is restored, and the soonest purge among them: one user on a line; several one per
/// line (name, user name, time left), the count of any not named last.
pub(super) fn who(b: &mut Sections) {
    let (form, w) = (b.form, b.w);
    let soonest = form
        .targets
        .iter()
        .filter_map(|t| t.user.time_left(b.state.now))
        .min();
    let purge = match soonest {
        Some(t) if t.is_overdue() => "past its purge date".to_string(),
        Some(t) if form.targets.len() == 1 => format!("purged in {}", t.long()),
        Some(t) => format!("soonest purge in {}", t.long()),
        None => String::new(),
    };
    if let [one] = form.targets.as_slice() {
        let name = &one.user.display_name;
        let line = if purge.is_empty() {
            name.clone()
        } else {
            format!("{name} · {purge}")
        };
        b.lines.push(Line::from(fit(&line, w)));
        return;
    }
    // Three columns: name, user name, time left (right-aligned), each as wide as its
    // longest entry allows.
    let named: Vec<&Target> = form.targets.iter().take(NAMED).collect();
    let lefts: Vec<String> = named
        .iter()
        .map(|t| crate::directory::time_left::short(t.user.time_left(b.state.now)))
        .collect();
    let left_w = lefts.iter().map(|l| width(l)).max().unwrap_or(0);
    let longest = |f: fn(&Target) -> &str| named.iter().map(|t| width(f(t))).max().unwrap_or(0);
    let name_w = longest(|t| &t.user.display_name).min((w / 2).clamp(8, 28));
    let upn_w = longest(|t| &t.user.original_upn).min(w.saturating_sub(3 + name_w + 2 + left_w));
    for (t, left) in named.iter().zip(&lefts) {
        let line = format!(
            " • {} {} {left:>left_w$}",
            crate::text::pad(&t.user.display_name, name_w),
            crate::text::pad(&t.user.original_upn, upn_w),
        );
        b.lines.push(Line::from(fit(&line, w)));
    }
    let rest = form.targets.len().saturating_sub(NAMED);
    let mut tail = Vec::new();
    if rest > 0 {
        tail.push(format!(
            "and {rest} more (m in the table lists every marked user)"
        ));
    }
    if !purge.is_empty() {
        tail.push(purge);
    }
    if !tail.is_empty() {
        for chunk in wrap(&format!(" {}", tail.join(" · ")), w) {
            b.lines.push(Line::from(chunk));
        }
    }
}

/// What applies across the users: synced, unchecked kinds of holder, disabled, still
/// checking, guests.
pub(super) fn warnings(b: &mut Sections) {
    let (form, theme, w) = (b.form, b.theme, b.w);
    let shared = form.shared_names();
    let synced: Vec<String> = form
        .targets
        .iter()
        .filter(|t| t.user.on_premises_sync_enabled)
        .map(|t| RestoreForm::name_of(t, &shared).into_owned())
        .collect();
    let checking = form
        .targets
        .iter()
        .filter(|t| t.preflight == Preflight::Checking)
        .count();
    let guests = form.targets.iter().filter(|t| t.user.is_guest()).count();
    let disabled: Vec<String> = form
        .targets
        .iter()
        // Sign-in ticked to come back is enabled right after the restore: no warning.
        .filter(|t| t.user.account_disabled && !t.signs_in_again())
        .map(|t| RestoreForm::name_of(t, &shared).into_owned())
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
            "⚠ {who}: synced from on-premises AD, which is the source of truth. Restore there too, or the next sync may delete it again."
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
            format!(
                "{spin} Checking {} for conflicts…",
                crate::text::count(checking, "user name", "user names")
            ),
            theme.dim(),
        )));
    }
    // With only guests the hand-off section above says it already.
    if guests > 0 && !form.all_guests() {
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
pub(super) fn per_user(b: &mut Sections) {
    let (form, theme, w, f) = (b.form, b.theme, b.w, b.form.focus);
    let shared = form.shared_names();
    for (i, t) in form.targets.iter().enumerate() {
        match &t.preflight {
            Preflight::Conflict {
                upn_holder,
                proxy_conflicts,
            } => {
                if let Some(holder) = upn_holder {
                    let msg = format!(
                        "⚠ {}: user name now used by {holder}",
                        RestoreForm::name_of(t, &shared)
                    );
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
                            RestoreForm::name_of(t, &shared),
                            first.address,
                            first.holder
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
                    RestoreForm::name_of(t, &shared)
                );
                b.lines
                    .push(Line::from(Span::styled(fit(&msg, w), theme.warn())));
            }
            _ => {}
        }
    }
}
