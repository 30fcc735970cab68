//! The sign-in screen for real tenants: what it is signing in to while it does, the device
//! code, where to enter it and the time left, and a failure with what to do about it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::Theme;
use super::{centered, clear};
pub use crate::app::sign_in::SignInView;
use crate::text::{fit, wrap_words};

const WIDTH: u16 = 76;
/// The height of the box while waiting (the device code's steps fit in it); a long failure
/// makes it taller, up to the screen.
const MIN_HEIGHT: u16 = 16;

pub fn draw(view: &SignInView, theme: &Theme, frame: &mut Frame) {
    let inner_w = usize::from(WIDTH.min(frame.area().width).saturating_sub(2)).max(1);
    let mut body = Body::new(inner_w);
    body.push(
        fit(&format!("Directory: {}", view.target), inner_w),
        Style::default(),
    );
    body.blank();
    let spin = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'][view.spinner % 10];
    let hint = match (&view.prompt, &view.error) {
        (_, Some(err)) => {
            body.wrap(&format!("✗ Sign-in failed: {}", err.cause), theme.danger());
            for tenant in &err.tenants {
                body.wrap_indented(&format!("· {tenant}"), theme.danger());
            }
            if let Some(advice) = &err.advice {
                body.blank();
                body.wrap(&format!("What to do: {advice}"), Style::default());
            }
            if let Some(id) = &err.correlation_id {
                body.blank();
                body.wrap(
                    &format!("correlation-id {id} (for Microsoft support)"),
                    theme.dim(),
                );
            }
            "r tries again · Enter or Esc quits".to_string()
        }
        (None, None) => {
            body.wrap(
                &format!("{spin} Signing in to {}…", view.target),
                Style::default(),
            );
            body.wrap_indented(&view.how, theme.dim());
            "Esc cancels".to_string()
        }
        (Some(p), None) => {
            body.push(
                "1. Open this page in a browser (any device):".into(),
                Style::default(),
            );
            body.push(format!("   {}", p.verification_uri), theme.key());
            body.push("2. Enter this code:".into(), Style::default());
            body.push(format!("   {}", p.user_code), theme.sandbox());
            body.blank();
            let left = (p.expires_at - view.now).num_seconds().max(0);
            body.wrap(
                &format!(
                    "{spin} Waiting for the sign-in… the code expires in {}:{:02}",
                    left / 60,
                    left % 60
                ),
                Style::default(),
            );
            let copy = if view.copied {
                "code copied · "
            } else {
                "c copies the code · "
            };
            format!("{copy}Esc cancels")
        }
    };
    // The body, a blank line and the hint, inside the border.
    let needed = u16::try_from(body.lines.len() + 4).unwrap_or(u16::MAX);
    let area = clear(frame, centered(frame.area(), WIDTH, needed.max(MIN_HEIGHT)));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus())
        .title(Span::styled(" Sign in ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    // The hint keeps the last row whatever the body needs: it is the way out.
    let hint_row = Rect {
        y: inner.y + inner.height - 1,
        height: 1,
        ..inner
    };
    let body_area = Rect {
        height: inner.height - 1,
        ..inner
    };
    frame.render_widget(Paragraph::new(body.lines), body_area);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(fit(&hint, inner_w), theme.dim()))),
        hint_row,
    );
}

/// The screen's lines, wrapped to the box by words (ratatui's wrap would not tell how many
/// rows the text takes, and the box grows to fit it).
struct Body {
    width: usize,
    lines: Vec<Line<'static>>,
}

impl Body {
    fn new(width: usize) -> Self {
        Self {
            width,
            lines: Vec::new(),
        }
    }

    fn push(&mut self, text: String, style: Style) {
        self.lines.push(Line::from(Span::styled(text, style)));
    }

    fn blank(&mut self) {
        self.lines.push(Line::from(""));
    }

    fn wrap(&mut self, text: &str, style: Style) {
        for piece in wrap_words(text, self.width) {
            self.push(piece, style);
        }
    }

    /// Under the line above, two columns in.
    fn wrap_indented(&mut self, text: &str, style: Style) {
        for piece in wrap_words(text, self.width.saturating_sub(2).max(1)) {
            self.push(format!("  {piece}"), style);
        }
    }
}
