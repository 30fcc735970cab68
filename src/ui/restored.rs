//! The Restored view: the users restored in this directory and where each restore stands
//! (ratatui's `Table` over only the rows on screen).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, HighlightSpacing, Paragraph, Row as TableRow, Table, TableState,
};

use super::fit_line;
use super::theme::Theme;
use crate::app::restored::{Presence, presence};
use crate::app::state::State;
use crate::restore::{MailState, PasswordState, RestoredUser};
use crate::text::{ago, fit, width};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    UserName,
    Restored,
    Password,
    Mail,
    State,
    By,
}

impl Column {
    pub fn title(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::UserName => "User name (now)",
            Column::Restored => "Restored",
            Column::Password => "Password",
            Column::Mail => "Sign-in mail",
            Column::State => "State",
            Column::By => "By",
        }
    }
}

/// Width of the pointer prefix ("▶ ").
const PREFIX: usize = 2;

/// Column widths for an inner width: name and user name share what the fixed columns leave;
/// the fixed ones drop, least needed first, when the terminal is narrow. What is missing
/// (password, mail) outlives when and by whom.
pub fn columns(inner: usize) -> Vec<(Column, usize)> {
    columns_for(inner, Widths::default())
}

/// How wide the password and state columns must be for the rows listed: wider only when a
/// pass ("TAP, 14h left") or a blocked account ("active, sign-in blocked") is among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Widths {
    pub password: usize,
    pub state: usize,
}

impl Default for Widths {
    fn default() -> Self {
        Self {
            password: 12,
            state: 13,
        }
    }
}

impl Widths {
    pub fn of(state: &State) -> Self {
        let mut w = Self::default();
        for r in &state.session().restored.rows {
            w.password = w.password.max(width(&password_text(r.password, state.now)));
            w.state = w.state.max(width(&state_text(
                presence(&state.session().restored, r),
                r,
            )));
        }
        w
    }
}

/// `columns` for rows that need `widths`.
pub fn columns_for(inner: usize, widths: Widths) -> Vec<(Column, usize)> {
    let fixed = [
        (Column::Restored, 9),
        (Column::Password, widths.password),
        (Column::Mail, 22),
        (Column::State, widths.state),
        (Column::By, 22),
    ];
    let drop_order = [
        Column::By,
        Column::Restored,
        Column::Mail,
        Column::State,
        Column::Password,
    ];
    // 34 columns of names at least: at 80 columns a blocked account's state still fits.
    let (kept, flex) = super::table::keep_columns(inner, PREFIX, &fixed, &drop_order, 34);
    let name = flex / 2;
    let mut cols = vec![(Column::Name, name), (Column::UserName, flex - name)];
    cols.extend(kept);
    cols
}

/// The password cell: a pass says how long it still works ("TAP, 14h left"). A time of day
/// here would need its date and zone to be read right (a pass may run for days), and would
/// crowd the State column out at 80 columns; the line under the rows says the moment whole.
pub fn password_text(p: PasswordState, now: DateTime<Utc>) -> String {
    match p {
        PasswordState::Set => "set".into(),
        PasswordState::Missing => "NOT SET".into(),
        PasswordState::NotNeeded => "none (guest)".into(),
        PasswordState::Tap { until: Some(t) } if t > now => {
            format!("TAP, {} left", crate::directory::TimeLeft::until(t, now))
        }
        PasswordState::Tap { until: Some(_) } => "TAP expired".into(),
        PasswordState::Tap { until: None } => "TAP issued".into(),
    }
}

/// The hand-off whole, for the lines under the rows: "TAP until 2026-12-07 14:05 UTC", as the
/// sign-in mail says it.
pub fn password_long(p: PasswordState, now: DateTime<Utc>) -> String {
    match p {
        PasswordState::Tap { until: Some(t) } => format!(
            "TAP {} {}",
            if t > now { "until" } else { "expired" },
            crate::text::utc_moment(t)
        ),
        PasswordState::Tap { until: None } => {
            "TAP issued (its expiry is not in the journal)".into()
        }
        PasswordState::Set => "password set".into(),
        PasswordState::Missing => "none yet".into(),
        PasswordState::NotNeeded => "none (a guest signs in with its home account)".into(),
    }
}

pub fn mail_text(m: &MailState) -> String {
    let to = |to: &[String]| match to {
        [] => String::new(),
        [one] => format!(" to {one}"),
        [one, rest @ ..] => format!(" to {one} +{}", rest.len()),
    };
    match m {
        MailState::Sent { to: t } => format!("sent{}", to(t)),
        MailState::Skipped => "not sent (closed)".into(),
        MailState::NoRecipients => "no recipients".into(),
        MailState::MaybeSent { to: t } => format!("may have gone{}", to(t)),
        MailState::NotSent => "NOT SENT".into(),
    }
}

pub fn presence_text(p: Presence) -> &'static str {
    match p {
        Presence::Active => "active",
        Presence::DeletedAgain => "deleted again",
        Presence::Gone => "gone",
    }
}

/// The state cell: a disabled account is back, but nobody can sign in to it yet.
pub fn state_text(p: Presence, r: &RestoredUser) -> String {
    match p {
        Presence::Active if r.account_disabled => "active, sign-in blocked".into(),
        p => presence_text(p).into(),
    }
}

fn title(state: &State) -> String {
    let v = &state.session().restored;
    let unfinished = v.unfinished();
    let mut t = format!(
        " Restored ─ {} in this directory · newest first",
        v.rows.len()
    );
    if unfinished > 0 {
        t.push_str(&format!(" · {unfinished} unfinished (F finishes)"));
    }
    if v.loading {
        t.push_str(" · reading the journal…");
    }
    t.push(' ');
    t
}

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, block_area: Rect, rows: Rect) {
    let v = &state.session().restored;
    // The title gives way to the mark of users scrolled off above.
    let above = if v.offset > 0 {
        width(&format!(" ▲ {} more ", v.offset)) + 1
    } else {
        0
    };
    let title_w = usize::from(block_area.width.saturating_sub(2)).saturating_sub(above);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if state.modal.is_none() {
            theme.border_focus()
        } else {
            theme.border()
        })
        .title(Span::styled(fit(&title(state), title_w), theme.title()));
    // Users scrolled out of view, above and below, on the border.
    let block = super::more_marks(
        block,
        v.offset,
        usize::from(rows.height),
        v.rows.len(),
        theme,
    );
    frame.render_widget(block, block_area);
    let cols = columns_for(usize::from(rows.width), Widths::of(state));
    let header = TableRow::new(cols.iter().map(|(col, w)| Cell::from(fit(col.title(), *w))))
        .style(theme.column_header());
    // Only the rows on screen go to the widget: its offset stays 0, its selection is the
    // pointer's place in the window.
    let body: Vec<TableRow<'static>> = v
        .rows
        .iter()
        .enumerate()
        .skip(v.offset)
        .take(usize::from(rows.height))
        .map(|(pos, r)| body_row(state, theme, r, &cols, pos == v.selected))
        .collect();
    let selected = v
        .selected
        .checked_sub(v.offset)
        .filter(|&at| at < body.len());
    let widths = cols.iter().map(|(_, w)| Constraint::Length(*w as u16));
    let table = Table::new(body, widths)
        .header(header)
        .column_spacing(1)
        .highlight_spacing(HighlightSpacing::Always)
        .highlight_symbol("▶ ");
    // The header sits on the line above the rows.
    let area = Rect {
        y: rows.y.saturating_sub(1),
        height: rows.height + 1,
        ..rows
    };
    frame.render_stateful_widget(
        table,
        area,
        &mut TableState::default().with_selected(selected),
    );
    if v.rows.is_empty() {
        let (msg, style) = if let Some(e) = &v.error {
            (
                format!("Could not read the journal: {e} (R retries)"),
                theme.danger(),
            )
        } else if v.loading {
            ("Reading the journal…".to_string(), theme.dim())
        } else {
            (
                "Nothing restored in this directory yet.".to_string(),
                theme.dim(),
            )
        };
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&msg, usize::from(rows.width)), style)),
            Rect {
                height: rows.height.min(1),
                ..rows
            },
        );
    }
}

/// One restored user's row, each cell cut to its width with an ellipsis (and sanitized)
/// here, since the widget would only clip.
fn body_row(
    state: &State,
    theme: &Theme,
    r: &RestoredUser,
    cols: &[(Column, usize)],
    selected: bool,
) -> TableRow<'static> {
    // On the selection bar, red is the table's readable red (as `table::body_row` does); the
    // bar is the row's style, not the widget's highlight, which would paint over it.
    let danger = if selected {
        theme.bar_danger()
    } else {
        theme.danger()
    };
    let styled = |text: String, w: usize, style| Cell::from(Span::styled(fit(&text, w), style));
    let cells = cols.iter().map(|&(col, w)| match col {
        Column::Name => {
            // The badge goes before the name is cut under 12 columns.
            let badge = "[UNFINISHED]";
            let name_w = width(&r.display_name);
            if r.unfinished && name_w.min(12) + 2 + width(badge) <= w {
                let name = fit(&r.display_name, w - 2 - width(badge));
                let mut spans = super::table::placed_spans(name);
                spans.extend([Span::raw("  "), Span::styled(badge, danger)]);
                Cell::from(Line::from(spans))
            } else {
                Cell::from(fit(&r.display_name, w))
            }
        }
        Column::UserName => Cell::from(fit(&r.upn, w)),
        Column::Restored => Cell::from(fit(&ago(Some(r.restored_at), state.now), w)),
        Column::Password => styled(
            password_text(r.password, state.now),
            w,
            if r.needs_password() {
                danger
            } else {
                theme.base()
            },
        ),
        Column::Mail => styled(
            mail_text(&r.mail),
            w,
            match r.mail {
                MailState::NotSent if !r.gone => danger,
                MailState::MaybeSent { .. } => theme.warn(),
                _ => theme.base(),
            },
        ),
        Column::State => {
            let p = presence(&state.session().restored, r);
            let style = if p == Presence::Active && !r.account_disabled {
                theme.ok()
            } else {
                theme.warn()
            };
            styled(state_text(p, r), w, style)
        }
        Column::By => Cell::from(fit(r.by.as_deref().unwrap_or("—"), w)),
    });
    let row = TableRow::new(cells);
    if selected {
        row.style(theme.selected())
    } else {
        row
    }
}

/// The selected user whole, under the rows: a rule, then who and where, then when, by whom
/// and what is left to do.
pub fn draw_summary(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = usize::from(area.width);
    let Some(r) = state.session().restored.current() else {
        return;
    };
    let mut lines = vec![Line::from(Span::styled("─".repeat(w), theme.border()))];
    {
        lines.push(fit_line(
            vec![
                Span::styled(r.display_name.clone(), theme.title()),
                Span::raw(format!("  {} · id {}", r.upn, r.id)),
            ],
            w,
        ));
        let mut what = format!(
            "restored {} ({}) by {}",
            r.restored_at.format("%Y-%m-%d %H:%M UTC"),
            ago(Some(r.restored_at), state.now),
            r.by.as_deref().unwrap_or("— (not in the audit log)")
        );
        if let Some(planned) = &r.planned_upn {
            what.push_str(&format!(" · planned as {planned}"));
        }
        let todo = if r.needs_password() {
            "no password yet: p sets one"
        } else if r.unfinished && matches!(r.mail, crate::restore::MailState::MaybeSent { .. }) {
            // `F` does not mail it again on its own: its line there offers both answers.
            "mail may have gone out: F, then m if it arrived or p for a new password"
        } else if r.unfinished {
            "sign-in info not sent: F finishes it"
        } else if matches!(r.mail, MailState::Skipped | MailState::NotSent) && r.can_get_password()
        {
            // Closed without email: nobody may know the password it was given.
            "not mailed: p sets a new password and mails it"
        } else {
            ""
        };
        // What to do first: a narrow terminal cuts the end of the line.
        let line = if todo.is_empty() {
            vec![Span::raw(what)]
        } else {
            vec![
                Span::styled(todo.to_string(), theme.danger()),
                Span::raw(format!(" · {what}")),
            ]
        };
        lines.push(fit_line(line, w));
        // Where the account stands, then the hand-off whole and the mail.
        let presence = presence(&state.session().restored, r);
        let blocked = presence == Presence::Active && r.account_disabled;
        let mut state_line = vec![Span::raw("state: ")];
        state_line.push(if blocked {
            Span::styled(
                "active, sign-in blocked (the account is disabled: enable it in the Entra admin \
                 center, or with Graph, accountEnabled true)",
                theme.warn(),
            )
        } else {
            Span::raw(presence_text(presence))
        });
        state_line.push(Span::raw(format!(
            " · hand-off: {} · sign-in mail: {}",
            password_long(r.password, state.now),
            mail_text(&r.mail)
        )));
        lines.push(fit_line(state_line, w));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_and_what_is_missing_stays_longest() {
        for inner in [40usize, 58, 80, 118, 160] {
            let cols = columns(inner);
            let total: usize = cols.iter().map(|(_, w)| w + 1).sum::<usize>() + PREFIX;
            assert!(total <= inner + 1, "{inner}: {cols:?}");
        }
        let narrow: Vec<Column> = columns(58).into_iter().map(|(c, _)| c).collect();
        assert!(narrow.contains(&Column::Password), "{narrow:?}");
        assert!(!narrow.contains(&Column::By));
        let wide: Vec<Column> = columns(118).into_iter().map(|(c, _)| c).collect();
        assert!(wide.contains(&Column::Mail) && wide.contains(&Column::State));
    }

    #[test]
    fn a_pass_says_until_when_in_utc_and_a_disabled_account_says_sign_in_is_blocked() {
        let now = "2026-12-07T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let until = "2026-12-07T14:05:00Z".parse::<DateTime<Utc>>().unwrap();
        let tap = PasswordState::Tap { until: Some(until) };
        assert_eq!(password_text(tap, now), "TAP, 2h left");
        assert_eq!(password_long(tap, now), "TAP until 2026-12-07 14:05 UTC");
        let later = until + chrono::Duration::minutes(1);
        assert_eq!(password_text(tap, later), "TAP expired");
        assert_eq!(
            password_long(tap, later),
            "TAP expired 2026-12-07 14:05 UTC"
        );
        assert_eq!(password_text(PasswordState::Set, now), "set");
        let mut r = RestoredUser {
            id: "a".into(),
            display_name: "A".into(),
            upn: "a@x.com".into(),
            planned_upn: None,
            restored_at: now,
            by: None,
            password: tap,
            mail: MailState::NotSent,
            gone: false,
            unfinished: false,
            mail_to: vec![],
            include_password: true,
            force_change: true,
            run: "r".into(),
            account_disabled: true,
        };
        assert_eq!(state_text(Presence::Active, &r), "active, sign-in blocked");
        // Gone is gone, enabled or not.
        assert_eq!(state_text(Presence::Gone, &r), "gone");
        r.account_disabled = false;
        assert_eq!(state_text(Presence::Active, &r), "active");
        // The columns grow for them, and still fit.
        let wide = Widths {
            password: 15,
            state: 23,
        };
        for inner in [40usize, 58, 78, 118, 160] {
            let cols = columns_for(inner, wide);
            let total: usize = cols.iter().map(|(_, w)| w + 1).sum::<usize>() + PREFIX;
            assert!(total <= inner + 1, "{inner}: {cols:?}");
        }
    }

    #[test]
    fn the_mail_cell_names_the_first_recipient() {
        let two = MailState::Sent {
            to: vec!["a@x.com".into(), "b@x.com".into()],
        };
        assert_eq!(mail_text(&two), "sent to a@x.com +1");
        assert_eq!(mail_text(&MailState::NotSent), "NOT SENT");
        assert_eq!(mail_text(&MailState::NoRecipients), "no recipients");
        assert_eq!(
            mail_text(&MailState::MaybeSent { to: vec![] }),
            "may have gone"
        );
    }
}
