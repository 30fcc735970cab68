//! The "Send email and close" confirmation: who was restored (passwords masked until `v`), who
//! failed and what to do, and the two buttons.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use secrecy::ExposeSecret;

use super::theme::Theme;
use super::{centered, clear, fit_line, hidden_marks, more_marks};
use crate::app::modal::result::{PasswordPrompt, ResultButton, ResultState};
use crate::app::state::State;
use crate::directory::Stage;
use crate::text::{fit, pad};

pub const MASK: &str = "••••••••••••";

pub fn draw(state: &State, r: &ResultState, theme: &Theme, frame: &mut Frame, area: Rect) {
    let (area, err_h, extra) = place(state, r, theme, frame, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus())
        .title(Span::styled(title(state, r), theme.title()));
    let inner = block.inner(area);
    if let Some(top) = r.error_pane() {
        draw_error(r, top, block, theme, frame, area);
        return;
    }
    let [list, _, info, err, prompt, _, buttons] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(err_h),
        Constraint::Length(extra),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    draw_list(r, theme, frame, (block, area), list);
    let w = usize::from(list.width);
    let info_lines: Vec<Line> = super::text::wrap(&info_text(r), w)
        .into_iter()
        .take(2)
        .map(Line::from)
        .collect();
    frame.render_widget(Paragraph::new(info_lines), info);
    frame.render_widget(Paragraph::new(status_lines(r, theme, w)), err);
    if let Some(p) = r.prompt() {
        let lines = prompt_lines(state, r, p, theme, usize::from(prompt.width));
        frame.render_widget(Paragraph::new(lines), prompt);
    }
    draw_bottom(state, r, theme, frame, err, buttons);
}

/// Clears and returns the result's box, centred, with the height of its message line
/// (two for a failed mail) and of the password prompt (when open).
fn place(
    state: &State,
    r: &ResultState,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) -> (Rect, u16, u16) {
    // The whole error wants room of its own, whatever the number of users.
    // A restored user has a second line: its after-care; one with a pass, a third; and a
    // line for what offboarding took that came back, and one for each item that did not.
    let rows = r.outcomes.len()
        + r.outcomes.iter().filter(|o| o.restored()).count()
        + r.outcomes.iter().filter_map(pass_terms).count()
        + r.outcomes
            .iter()
            .filter(|o| o.restored())
            .map(taken_rows)
            .sum::<usize>();
    let body_h = if r.error_pane().is_some() {
        rows.clamp(12, 20) as u16
    } else {
        rows.min(20) as u16
    };
    // A failed mail gets two lines, so its cause is never what is cut.
    let err_h = if r.send_error.is_some() && !r.sending {
        2
    } else {
        1
    };
    // The width the terminal has: nothing here is cut that a wider screen would show.
    // Small terminals get all of it; large ones a margin to show what is behind.
    let width = if area.width <= 100 {
        area.width
    } else {
        area.width - 4
    };
    // The prompt as tall as its wrapped checklist and verdict.
    let extra = r.prompt().map_or(0, |p| {
        let inner = usize::from(width.saturating_sub(2));
        prompt_lines(state, r, p, theme, inner).len() as u16
    });
    let area = clear(frame, centered(area, width, body_h + 9 + err_h + extra));
    (
        clear(frame, centered(area, width, body_h + 9 + err_h + extra)),
        err_h,
        extra,
    )
}

/// "Restored 3 of 4 · 1 has no password yet"; in a run on several tenants, whose: "Restored 3
/// of 4 in Fabrikam (tenant 2 of 3)".
fn title(state: &State, r: &ResultState) -> String {
    let missing = r.missing_passwords();
    let mut title = format!(
        " Restored {} of {}{} ",
        r.restored(),
        r.outcomes.len(),
        super::restore_dialog::tenant_words(state)
    );
    if missing > 0 && r.replacing {
        title = format!(
            "{}· {missing} {} a new password ",
            title,
            crate::text::plural(missing, "gets", "get")
        );
    } else if missing > 0 {
        title = format!(
            "{}· {missing} {} no password yet ",
            title,
            crate::text::plural(missing, "has", "have")
        );
    }
    title
}

/// The users' lines, the selected one in view, and on the border how many are out of view.
fn draw_list(
    r: &ResultState,
    theme: &Theme,
    frame: &mut Frame,
    (block, area): (Block, Rect),
    list: Rect,
) {
    let w = usize::from(list.width);
    let h = usize::from(list.height);
    let all = list_lines(r, theme, w);
    // The selected user's lines stay in view.
    let last_of_selected = all.iter().rposition(|(i, _)| *i == r.selected).unwrap_or(0);
    let first = (last_of_selected + 1).saturating_sub(h);
    // The border says how many users are out of view, above and below (one cut by the edge
    // counts on its side: part of it is not shown).
    let users_in = |part: &[(usize, Line)]| {
        let mut ids: Vec<usize> = part.iter().map(|(i, _)| *i).collect();
        ids.dedup();
        ids.len()
    };
    let end = (first + h).min(all.len());
    let (above, below) = (users_in(&all[..first]), users_in(&all[end..]));
    frame.render_widget(hidden_marks(block, above, below, theme), area);
    let lines: Vec<Line> = all
        .into_iter()
        .skip(first)
        .take(h)
        .map(|(_, l)| l)
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
}

/// What the mail will do, or why there is none; a pass hand-off says "passes".
fn info_text(r: &ResultState) -> String {
    let secrets = secrets(r);
    let mails = r.mails();
    let untold = r
        .outcomes
        .iter()
        .filter(|o| o.complete() && !r.mailed.contains(&o.id))
        .filter(|o| !mails.iter().any(|g| g.ids.contains(&o.id)))
        .count();
    if r.confirm_arrived().is_some() {
        "Found this user's sign-in mail in the inbox? y closes it as mailed: that mail's \
         password stays, none is set."
            .to_string()
    } else if r.complete() == 0 {
        "Nobody is ready for sign-in info; nothing to send.".to_string()
    } else if mails.is_empty() {
        if r.holds_passwords() {
            format!(
                "No recipients: nothing is mailed, and the {secrets} are shown only here (v \
                 shows, c copies). Closing asks first."
            )
        } else if !r.mailed.is_empty() {
            "Sign-in info sent. ↳ lines: what came back with each user (e: details).".to_string()
        } else {
            "No recipients were given: nothing will be mailed.".to_string()
        }
    } else {
        let mut text = mail_words(&mails, r.groups.is_some());
        if untold > 0 {
            text.push_str(&format!(
                " {} nobody to tell: v shows, c copies.",
                untold_words(untold)
            ));
        }
        text.push_str(" ↳ lines: what came back with each user (e: details).");
        text
    }
}

/// What the screen hands out: passes on a pass hand-off, else passwords.
fn secrets(r: &ResultState) -> &'static str {
    if r.step.choice.tap().is_some() {
        "passes"
    } else {
        "passwords"
    }
}

/// The message line: sending, the failed mail's cause, or what the last key did.
fn status_lines(r: &ResultState, theme: &Theme, w: usize) -> Vec<Line<'static>> {
    if r.sending {
        vec![Line::from(Span::styled("Sending…", theme.warn()))]
    } else if let Some(e) = &r.send_error {
        failure_lines(&e.why, w)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, theme.danger())))
            .collect()
    } else if let Some(c) = &r.message {
        let style = if c.starts_with('✗') {
            theme.danger()
        } else if r.busy {
            theme.warn()
        } else {
            theme.ok()
        };
        vec![Line::from(Span::styled(fit(c, w), style))]
    } else {
        Vec::new()
    }
}

/// The bottom line: Ctrl-C's question (over the message line too), the question asked, or
/// the buttons.
fn draw_bottom(
    state: &State,
    r: &ResultState,
    theme: &Theme,
    frame: &mut Frame,
    err: Rect,
    buttons: Rect,
) {
    let w = usize::from(buttons.width);
    let secrets = secrets(r);
    // Ctrl-C's question takes the message line and the buttons' line.
    if let Some(u) = crate::app::quit::unsent(state).filter(|_| state.quit_question) {
        let [what, how] = crate::app::quit::question(&u);
        // Over whatever these lines held (a failed mail takes two).
        frame.render_widget(ratatui::widgets::Clear, err);
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&what, w), theme.warn())),
            err,
        );
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&how, w), theme.warn())),
            buttons,
        );
        return;
    }

    if let Some(o) = r.confirm_arrived().and_then(|i| r.outcomes.get(i)) {
        // What the keys do first: a long name is what gets cut.
        let q = format!("y closes as mailed · n goes back · {}", o.display_name);
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&q, w), theme.warn())),
            buttons,
        );
        return;
    }
    if r.confirm_close() {
        let q = if r.missing_passwords() > 0 && !r.holds_passwords() {
            "Close? Users without a password stay unfinished (F finishes them). y closes · n goes back"
                .to_string()
        } else if !r.holds_passwords() {
            // Guests only: there is no password to lose, only the mail that tells them.
            "Close without email? Nobody is told of these restores. y closes · n goes back"
                .to_string()
        } else {
            format!("Close without email? The {secrets} are not shown again. y closes · n back")
        };
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&q, w), theme.warn())),
            buttons,
        );
        return;
    }
    let button = |label: &str, focused: bool| {
        Span::styled(
            super::restore_dialog::button_label(label, focused),
            if focused {
                theme.focused()
            } else {
                theme.button()
            },
        )
    };
    let spans = if r.can_send() {
        vec![
            button(
                "Send email and close",
                r.focus == ResultButton::SendAndClose,
            ),
            Span::raw("    "),
            button(
                "Close without email",
                r.focus == ResultButton::CloseWithoutMail,
            ),
        ]
    } else {
        vec![button("Close", true)]
    };
    let total: usize = spans.iter().map(|s| super::text::width(&s.content)).sum();
    let mut centred = vec![Span::raw(" ".repeat(w.saturating_sub(total) / 2))];
    centred.extend(spans);
    frame.render_widget(Paragraph::new(fit_line(centred, w)), buttons);
}

/// "1 user has", "3 users have": the restored users no mail will tell.
fn untold_words(untold: usize) -> String {
    format!(
        "{} {}",
        crate::text::count(untold, "user", "users"),
        crate::text::plural(untold, "has", "have")
    )
}

/// Who the sign-in mails go to, in one sentence: the run's one mail, or the finishing rule's
/// mails with the users each covers, and a fallback to the admin said as such.
fn mail_words(mails: &[crate::restore::MailGroup], finishing: bool) -> String {
    let part = |g: &crate::restore::MailGroup| {
        let n = g.ids.len();
        let users = crate::text::count(n, "user", "users");
        let mut p = if g.fallback {
            format!("you, {} ({users}: nobody recorded)", g.to.join(", "))
        } else {
            format!("{} ({users})", g.to.join(", "))
        };
        if !g.include_password {
            p.push_str(" without the password");
        }
        p
    };
    match mails {
        [one] if !finishing && !one.include_password => format!(
            "Sign-in info goes to {} (without the passwords).",
            one.to.join(", ")
        ),
        [one] if !finishing => format!("Sign-in info goes to {}.", one.to.join(", ")),
        [one] => format!("Sign-in info goes to {}.", part(one)),
        many => format!(
            "Sign-in info, {} mails: {}.",
            many.len(),
            many.iter().map(part).collect::<Vec<_>>().join("; ")
        ),
    }
}

/// Every line of the list, each with the index of the user it belongs to: the user's line, and
/// under a restored one its after-care.
fn list_lines(r: &ResultState, theme: &Theme, w: usize) -> Vec<(usize, Line<'static>)> {
    let name_w = (w / 4).max(8);
    let upn_w = (w * 2 / 5).max(10);
    let mut all: Vec<(usize, Line)> = Vec::new();
    for (i, line) in r.outcomes.iter().enumerate().map(|(i, o)| {
        let mut spans = vec![Span::raw(if i == r.selected { "▶" } else { " " })];
        let upn = o.upn.as_deref().unwrap_or(&o.original_upn);
        match &o.failure {
            None if o.needs_password() => {
                spans.push(Span::styled("! ", theme.warn()));
                spans.push(Span::raw(pad(&o.display_name, name_w)));
                spans.push(Span::raw(" "));
                spans.push(Span::raw(pad(upn, upn_w)));
                let todo = match (r.step.choice.tap().is_some(), r.replacing) {
                    (true, _) => " no pass yet: p issues one",
                    (false, true) => " has a password (not shown here): p sets a new one",
                    (false, false) => " no password yet: p sets one",
                };
                spans.push(Span::styled(todo, theme.warn()));
            }
            None => {
                spans.push(Span::styled("✓ ", theme.ok()));
                spans.push(Span::raw(pad(&o.display_name, name_w)));
                spans.push(Span::raw(" "));
                spans.push(Span::raw(pad(upn, upn_w)));
                spans.push(Span::raw(" "));
                let pw = match &o.password {
                    Some(p) if r.reveal => p.expose_secret().to_string(),
                    Some(_) => MASK.to_string(),
                    None if o.guest => "(guest: signs in with their home account)".to_string(),
                    None if o.mail_confirmed() => {
                        "(mail arrived: the password in it stays)".to_string()
                    }
                    None => "(password unchanged)".to_string(),
                };
                spans.push(Span::styled(pw, theme.key()));
            }
            Some(f) => {
                let (mark, style) = if o.restored() {
                    ("! ", theme.warn())
                } else {
                    ("✗ ", theme.danger())
                };
                spans.push(Span::styled(mark, style));
                spans.push(Span::raw(pad(&o.display_name, name_w)));
                spans.push(Span::raw(" "));
                let mail_maybe_sent = o.mail_maybe_sent();
                let what = match (f.stage, o.restored()) {
                    _ if mail_maybe_sent => "mail may have gone out".to_string(),
                    _ if f.error.kind == crate::directory::ErrorKind::NotRestored => {
                        "not restored".to_string()
                    }
                    (Stage::Password, true) if r.step.choice.tap().is_some() => {
                        "restored, no pass issued".to_string()
                    }
                    (Stage::Password, true) => "restored, password not set".to_string(),
                    (stage, _) => format!("{} failed", stage_word(stage)),
                };
                // What to do comes before Graph's message, which is long and gets cut:
                // `e` shows it whole.
                let todo = if mail_maybe_sent {
                    "m it arrived · p new password"
                } else if o.needs_password() && r.step.choice.tap().is_some() {
                    "p issues one, r retries"
                } else if o.needs_password() {
                    "p sets one, r retries"
                } else {
                    f.error.advice()
                };
                spans.push(Span::styled(
                    format!("{what} → {todo} (e: why): {}", f.error.message),
                    style,
                ));
            }
        }
        let line = fit_line(spans, w);
        let line = if i == r.selected {
            line.style(theme.selected())
        } else {
            line
        };
        (i, line)
    }) {
        all.push((i, line));
        let Some(o) = r.outcomes.get(i) else {
            continue;
        };
        if let Some(tap) = pass_terms(o) {
            // As the mail says it (date and zone), so the two can be compared; on a line of
            // its own, since after the user name and the pass it would be what is cut.
            let terms = format!(
                "TAP until {}{}",
                crate::text::utc_moment(tap.expires),
                if tap.usable_once {
                    ", one use only"
                } else {
                    ""
                }
            );
            let spans = vec![Span::raw("    ↳ "), Span::styled(terms, theme.dim())];
            all.push((i, fit_line(spans, w)));
        }
        if o.restored() {
            all.push((i, care_line(r, i, o, theme, w)));
            all.extend(taken_lines(o, theme, w).into_iter().map(|l| (i, l)));
        }
    }
    all
}

/// The terms of the pass a user was issued, for the line under it; none after a failure,
/// whose line says what went wrong instead.
fn pass_terms(o: &crate::restore::UserOutcome) -> Option<&crate::directory::tap::TapTerms> {
    o.tap.as_ref().filter(|_| o.failure.is_none())
}

/// A failed mail in two lines of `w` columns: its cause whole on the first (and on into the
/// second), the keys at the end of the second; what gives way is the request's details.
fn failure_lines(error: &str, w: usize) -> Vec<String> {
    let keys = " · Enter retries · e: all of it";
    let head = format!("✗ Sending failed: {error}");
    let chunks = crate::text::wrap_words(&head, w);
    match chunks.as_slice() {
        [one] if crate::text::width(one) + crate::text::width(keys) <= w => {
            vec![format!("{one}{keys}")]
        }
        [first, rest @ ..] => {
            let room = w.saturating_sub(crate::text::width(keys));
            let rest = fit(&rest.join(" "), room);
            let second = if rest.is_empty() {
                keys.trim_start_matches(" · ").to_string()
            } else {
                format!("{rest}{keys}")
            };
            vec![first.clone(), second]
        }
        [] => vec![fit(keys.trim_start_matches(" · "), w)],
    }
}

fn stage_word(stage: Stage) -> &'static str {
    match stage {
        Stage::Preflight => "check",
        Stage::Restore => "restore",
        Stage::Password => "password",
        Stage::Mail => "mail",
        Stage::Purge => "purge",
    }
}

/// `p`: generate or type a password for one user, under the list. The prompt's lines for `w` columns: whose password, the two choices, the live
/// checklist and the directory's verdict (as the restore dialog shows them), then its error
/// or its keys.
fn prompt_lines(
    state: &State,
    r: &ResultState,
    p: &PasswordPrompt,
    theme: &Theme,
    w: usize,
) -> Vec<Line<'static>> {
    let (name, upn) = r.outcomes.get(p.index).map_or(("", ""), |o| {
        (o.display_name.as_str(), o.original_upn.as_str())
    });
    let radio = |on: bool| if on { "(•)" } else { "( )" };
    let typed = if p.reveal {
        p.input.value().to_string()
    } else {
        "•".repeat(p.input.value().chars().count())
    };
    let mut lines = vec![
        Line::from(Span::styled(
            fit(&format!("Password for {name}"), w),
            theme.title(),
        )),
        Line::from(fit(
            &format!(
                // layout: a gap that sets the two choices apart.
                " {} generate one   {} type one: [ {typed} ]",
                radio(p.auto),
                radio(!p.auto)
            ),
            w,
        )),
    ];
    if !p.auto {
        let check = crate::restore::check_password_for(
            p.input.value(),
            &state.session().tenant,
            &[(name, upn)],
        );
        lines.extend(super::password_check::checklist(&check, 1, w, theme));
        lines.extend(super::password_check::verdict(&p.verdict, 1, w, theme));
    }
    match &p.error {
        Some(e) => {
            for chunk in super::text::wrap(&format!(" ✗ {e}"), w).into_iter().take(2) {
                lines.push(Line::from(Span::styled(chunk, theme.danger())));
            }
        }
        None => {
            let keys =
                " typing picks your own · tab generate/type · F2 show · enter set · esc cancel";
            for chunk in super::text::wrap(keys, w) {
                lines.push(Line::from(Span::styled(chunk, theme.dim())));
            }
        }
    }
    lines
}

/// `e`: the selected user's whole error, wrapped, scrolled to `top`.
/// The "↳" line under a restored user: its after-care, flags first.
fn care_line(
    r: &ResultState,
    i: usize,
    o: &crate::restore::UserOutcome,
    theme: &Theme,
    w: usize,
) -> Line<'static> {
    let listed_disabled = |then: &str| {
        format!(
            "⚠ {} (e: how) · {then}",
            crate::restore::aftercare::DISABLED_BLOCKS
        )
    };
    let (text, style) = match (&r.after_care, r.care_of(i)) {
        // Not read yet (or not readable): the listing said so.
        (None, _) if o.account_disabled => {
            (listed_disabled("reading what came back…"), theme.warn())
        }
        (Some(_), None) if o.account_disabled => (
            listed_disabled(&format!("nothing read for {}", o.display_name)),
            theme.warn(),
        ),
        (Some(_), Some(c)) if o.account_disabled && c.disabled().is_none() => {
            (listed_disabled(&c.summary()), theme.warn())
        }
        (None, _) => ("reading what came back…".to_string(), theme.dim()),
        (Some(_), Some(c)) if !c.flags.is_empty() => (c.summary(), theme.warn()),
        (Some(_), Some(c)) => (c.summary(), theme.dim()),
        (Some(_), None) => (format!("nothing read for {}", o.display_name), theme.dim()),
    };
    fit_line(vec![Span::raw("    ↳ "), Span::styled(text, style)], w)
}

/// The "↳" lines of what offboarding took and came back: one for what is back, one for
/// each item that is not, its fix first.
fn taken_lines(o: &crate::restore::UserOutcome, theme: &Theme, w: usize) -> Vec<Line<'static>> {
    let back: Vec<String> = o
        .brought_back
        .iter()
        .filter(|i| i.result.is_ok())
        .map(|i| back_words(&i.item))
        .collect();
    let mut out = Vec::new();
    if !back.is_empty() {
        out.push(fit_line(
            vec![
                Span::raw("    ↳ "),
                Span::styled(format!("✓ back: {}", back.join(", ")), theme.ok()),
            ],
            w,
        ));
    }
    for i in o.items_failed() {
        if let Err(e) = &i.result {
            let advice = crate::offboarding::advice(&i.item, e);
            out.push(fit_line(
                vec![
                    Span::raw("    ↳ "),
                    Span::styled(
                        format!("✗ {}: {advice} (r: again · e: why)", i.item.describe()),
                        theme.warn(),
                    ),
                ],
                w,
            ));
        }
    }
    out
}

/// How many lines `taken_lines` gives `o`.
fn taken_rows(o: &crate::restore::UserOutcome) -> usize {
    let back = o.brought_back.iter().any(|i| i.result.is_ok());
    usize::from(back) + o.items_failed().count()
}

/// An item that came back, in the fewest words: "in Sales Team", "owner of Planning",
/// "licence SPE_E5", "sign-in", "role Helpdesk Administrator".
fn back_words(item: &crate::directory::bring_back::BringBack) -> String {
    match item {
        crate::directory::bring_back::BringBack::Group {
            name,
            id,
            owner: false,
        } => format!("in {}", name.as_deref().unwrap_or(id)),
        other => other.describe(),
    }
}

/// What `e` shows for the selected line, whole: why the sign-in mail it was in failed, its
/// own error, then what came back with it.
fn error_text(r: &ResultState) -> Vec<String> {
    let Some(o) = r.outcomes.get(r.selected) else {
        return Vec::new();
    };
    let mut text: Vec<String> = vec![format!("{} ({})", o.display_name, o.id)];
    // The mail that failed is the one in flight (one at a time); before groups, the run's one.
    let failed_mail = r.in_flight.as_ref().map_or(Some(&r.recipients), |g| {
        g.ids.contains(&o.id).then_some(&g.to)
    });
    let failed = r
        .send_error
        .as_ref()
        .filter(|_| o.complete() && !r.mailed.contains(&o.id));
    if let (Some(failed), Some(to)) = (failed, failed_mail) {
        if failed.may_have_gone {
            // Its request was written and the reply lost: it may be in that inbox.
            text.push("Sign-in mail: may have gone out (its reply was lost)".into());
            text.push(format!("Why: {}", failed.why));
            text.push(format!("To: {}", to.join(", ")));
            text.push(
                "What to do: check that inbox. If it arrived, m closes this user as mailed (the \
                 password in it stays); if not, Enter sends it again with the same passwords."
                    .into(),
            );
        } else {
            text.push("Sign-in mail: not sent".into());
            text.push(format!("Why: {}", failed.why));
            text.push(format!("To: {}", to.join(", ")));
            text.push(
                "What to do: Enter on the result screen sends it again; the passwords stay here \
                 until it goes or you close."
                    .into(),
            );
        }
    }
    if let Some(f) = &o.failure {
        let e = &f.error;
        text.push(format!("Step: {}", stage_word(f.stage)));
        text.push(format!("Message: {}", e.message));
        text.push(format!("What to do: {}", e.advice()));
        if let Some(code) = &e.code {
            text.push(format!("Code: {code}"));
        }
        if let Some(status) = e.status {
            text.push(format!("HTTP status: {status}"));
        }
        if let Some(id) = &e.request_id {
            text.push(format!("Request-id: {id}"));
        }
        text.push(format!("Time: {}", f.at.format("%Y-%m-%d %H:%M:%S UTC")));
    }
    let care = r.care_of(r.selected);
    // The listing said disabled and the after-care could not say otherwise: say how anyway.
    if o.account_disabled && care.and_then(|c| c.disabled()).is_none() {
        text.push(format!(
            "⚠ {} (as listed before the restore): enable it in the {}",
            crate::restore::aftercare::DISABLED_BLOCKS,
            crate::restore::aftercare::ENABLE_HOW
        ));
    }
    if let Some(care) = care {
        text.extend(care.details());
    }
    for i in &o.brought_back {
        text.push(match &i.result {
            Ok(()) => format!("Back: {}", i.item.describe()),
            // The directory's message may name the item already (the client's licence
            // refusals do); a 403's does not.
            Err(e) => {
                let what = i.item.describe();
                let message = e
                    .message
                    .strip_prefix(&format!("{what}: "))
                    .unwrap_or(&e.message);
                format!(
                    "Not back: {what}: {message} → {}",
                    crate::offboarding::advice(&i.item, e)
                )
            }
        });
    }
    text
}

/// `e`: the selected line's whole error, wrapped (a long word is split, never cut), scrolled
/// to `top`, the border saying what is above and below.
fn draw_error(
    r: &ResultState,
    top: usize,
    block: Block<'_>,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let inner = block.inner(area);
    let w = usize::from(inner.width).max(10);
    let lines: Vec<Line> = error_text(r)
        .iter()
        .flat_map(|t| crate::text::wrap_words(t, w))
        .map(Line::from)
        .collect();
    let h = usize::from(inner.height.saturating_sub(1));
    let top = top.min(lines.len().saturating_sub(h));
    let total = lines.len();
    frame.render_widget(more_marks(block, top, h, total, theme), area);
    let shown: Vec<Line> = lines.into_iter().skip(top).take(h).collect();
    let [body, foot] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(Paragraph::new(shown), body);
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit("j/k scroll · e or esc back to the list", w),
            theme.dim(),
        )),
        foot,
    );
}
