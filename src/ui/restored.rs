//! The Restored view: the users restored from this data dir and where each restore stands
//! (only the rows on screen are built).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::fit_line;
use super::theme::Theme;
use crate::app::restored::{Presence, presence};
use crate::app::state::State;
use crate::restore::{MailState, PasswordState, RestoredUser};
use crate::text::{ago, fit, pad, width};

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
    let fixed = [
        (Column::Restored, 9),
        (Column::Password, 12),
        (Column::Mail, 22),
        (Column::State, 13),
        (Column::By, 22),
    ];
    let drop_order = [
        Column::By,
        Column::Restored,
        Column::Mail,
        Column::State,
        Column::Password,
    ];
    let (kept, flex) = super::table::keep_columns(inner, PREFIX, &fixed, &drop_order, 40);
    let name = flex / 2;
    let mut cols = vec![(Column::Name, name), (Column::UserName, flex - name)];
    cols.extend(kept);
    cols
}

pub fn password_text(p: PasswordState) -> &'static str {
    match p {
        PasswordState::Set => "set",
        PasswordState::Missing => "NOT SET",
        PasswordState::NotNeeded => "none (guest)",
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

fn title(state: &State) -> String {
    let v = &state.restored;
    let unfinished = v.unfinished();
    let mut t = format!(
        " Restored ─ {} from this data dir · newest first",
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
    let v = &state.restored;
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
    let inner_w = usize::from(rows.width);
    let cols = columns(inner_w);
    let mut head = vec![Span::raw(" ".repeat(PREFIX))];
    for (i, (col, w)) in cols.iter().enumerate() {
        if i > 0 {
            head.push(Span::raw(" "));
        }
        head.push(Span::styled(pad(col.title(), *w), theme.column_header()));
    }
    let head_area = Rect {
        y: rows.y.saturating_sub(1),
        height: 1,
        ..rows
    };
    frame.render_widget(Paragraph::new(fit_line(head, inner_w)), head_area);

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
                "Nothing restored from this data dir yet.".to_string(),
                theme.dim(),
            )
        };
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&msg, inner_w), style)),
            Rect {
                height: rows.height.min(1),
                ..rows
            },
        );
        return;
    }
    let buf = frame.buffer_mut();
    let window = v
        .rows
        .iter()
        .enumerate()
        .skip(v.offset)
        .take(usize::from(rows.height));
    for (y, (pos, r)) in (rows.y..).zip(window) {
        let selected = pos == v.selected;
        let line = row_line(state, theme, r, &cols, selected, inner_w);
        buf.set_style(
            Rect {
                y,
                height: 1,
                ..rows
            },
            line.style,
        );
        buf.set_line(rows.x, y, &line, rows.width);
    }
}

fn row_line(
    state: &State,
    theme: &Theme,
    r: &RestoredUser,
    cols: &[(Column, usize)],
    selected: bool,
    inner_w: usize,
) -> Line<'static> {
    let mut spans = Vec::with_capacity(cols.len() * 2 + 1);
    spans.push(Span::raw(if selected { "▶ " } else { "  " }));
    // On the selection bar, red is the table's readable red (as `table::row_line` does).
    let danger = if selected {
        theme.bar_danger()
    } else {
        theme.danger()
    };
    for (i, (col, w)) in cols.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let w = *w;
        match col {
            Column::Name => {
                // The badge goes before the name is cut under 12 columns.
                let badge = "[UNFINISHED]";
                let name_w = width(&r.display_name);
                if r.unfinished && name_w.min(12) + 2 + width(badge) <= w {
                    let name = fit(&r.display_name, w - 2 - width(badge));
                    let nw = width(&name);
                    spans.push(Span::raw(name));
                    spans.push(Span::raw("  "));
                    spans.push(Span::styled(pad(badge, w - nw - 2), danger));
                } else {
                    spans.push(Span::raw(pad(&r.display_name, w)));
                }
            }
            Column::UserName => spans.push(Span::raw(pad(&r.upn, w))),
            Column::Restored => spans.push(Span::raw(pad(&ago(Some(r.restored_at), state.now), w))),
            Column::Password => spans.push(Span::styled(
                pad(password_text(r.password), w),
                if r.needs_password() {
                    danger
                } else {
                    theme.base()
                },
            )),
            Column::Mail => spans.push(Span::styled(
                pad(&mail_text(&r.mail), w),
                match r.mail {
                    MailState::NotSent if !r.gone => danger,
                    MailState::MaybeSent { .. } => theme.warn(),
                    _ => theme.base(),
                },
            )),
            Column::State => {
                let p = presence(&state.restored, r);
                spans.push(Span::styled(
                    pad(presence_text(p), w),
                    if p == Presence::Active {
                        theme.ok()
                    } else {
                        theme.warn()
                    },
                ))
            }
            Column::By => spans.push(Span::raw(pad(r.by.as_deref().unwrap_or("—"), w))),
        }
    }
    let line = fit_line(spans, inner_w);
    if selected {
        line.style(theme.selected())
    } else {
        line
    }
}

/// The selected user whole, under the rows: a rule, then who and where, then when, by whom
/// and what is left to do.
pub fn draw_summary(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = usize::from(area.width);
    let Some(r) = state.restored.current() else {
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
            " · no password yet: p sets one"
        } else if r.unfinished {
            " · sign-in info not sent: F finishes it"
        } else {
            ""
        };
        lines.push(fit_line(
            vec![
                Span::raw(what),
                Span::styled(todo.to_string(), theme.danger()),
            ],
            w,
        ));
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
    fn the_mail_cell_names_the_first_recipient() {
        let two = MailState::Sent {
            to: vec!["a@x.com".into(), "b@x.com".into()],
        };
        assert_eq!(mail_text(&two), "sent to a@x.com +1");
        assert_eq!(mail_text(&MailState::NotSent), "NOT SENT");
        assert_eq!(
            mail_text(&MailState::MaybeSent { to: vec![] }),
            "may have gone"
        );
    }
}
