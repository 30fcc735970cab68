//! The "Send email and close" confirmation: who was restored (passwords masked until `v`), who
//! failed and what to do, and the two buttons.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use secrecy::ExposeSecret;

use super::text::{fit, pad};
use super::theme::Theme;
use super::{centered, clear, fit_line};
use crate::app::state::{ResultButton, ResultState, State};
use crate::directory::Stage;

pub const MASK: &str = "••••••••••••";

pub fn draw(_state: &State, r: &ResultState, theme: &Theme, frame: &mut Frame, area: Rect) {
    let body_h = r.outcomes.len().min(20) as u16;
    let area = clear(frame, centered(area, 100, body_h + 9));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus())
        .title(Span::styled(
            format!(" Restored {} of {} ", r.restored(), r.outcomes.len()),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [list, _, info, err, _, buttons] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let w = usize::from(list.width);
    let h = usize::from(list.height);
    let first = r.selected.saturating_sub(h.saturating_sub(1));
    let name_w = (w / 4).max(8);
    let upn_w = (w * 2 / 5).max(10);
    let lines: Vec<Line> = r
        .outcomes
        .iter()
        .enumerate()
        .skip(first)
        .take(h)
        .map(|(i, o)| {
            let mut spans = vec![Span::raw(if i == r.selected { "▶" } else { " " })];
            let upn = o.upn.as_deref().unwrap_or(&o.original_upn);
            match &o.failure {
                None => {
                    spans.push(Span::styled("✓ ", theme.ok()));
                    spans.push(Span::raw(pad(&o.display_name, name_w)));
                    spans.push(Span::raw(" "));
                    spans.push(Span::raw(pad(upn, upn_w)));
                    spans.push(Span::raw(" "));
                    let pw = match &o.password {
                        Some(p) if r.reveal => p.expose_secret().to_string(),
                        Some(_) => MASK.to_string(),
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
                    let stage = match f.stage {
                        Stage::Preflight => "check",
                        Stage::Restore => "restore",
                        Stage::Password => "password",
                        Stage::Mail => "mail",
                        Stage::Purge => "purge",
                    };
                    // What to do comes before Graph's message, which is long and gets cut.
                    spans.push(Span::styled(
                        format!("{stage} failed → {}: {}", f.error.advice(), f.error.message),
                        style,
                    ));
                }
            }
            let line = fit_line(spans, w);
            if i == r.selected {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);

    let info_text = if r.complete() == 0 {
        "Nobody is ready for sign-in info; nothing to send. Enter closes.".to_string()
    } else if r.recipients.is_empty() {
        "No recipients were given: nothing will be mailed. v show · c copy".to_string()
    } else {
        format!(
            "Sign-in info goes to {}{}. v show · c copy · licenses come back with the user",
            r.recipients.join(", "),
            if r.include_password {
                ""
            } else {
                " (without the passwords)"
            }
        )
    };
    frame.render_widget(Paragraph::new(fit(&info_text, w)), info);
    let err_line = if r.sending {
        Span::styled("Sending…", theme.warn())
    } else if let Some(e) = &r.send_error {
        Span::styled(
            fit(&format!("✗ Sending failed: {e}. Enter retries."), w),
            theme.danger(),
        )
    } else if let Some(c) = &r.copied {
        Span::styled(fit(c, w), theme.ok())
    } else {
        Span::raw("")
    };
    frame.render_widget(Paragraph::new(err_line), err);

    if r.confirm_close {
        let q =
            "Close without email? The passwords will not be shown again. y closes · n goes back";
        frame.render_widget(
            Paragraph::new(Span::styled(fit(q, w), theme.warn())),
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
