//! The sign-in screen for real tenants: the device code, where to enter it, time left, and
//! clear errors.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::Theme;
use super::{centered, clear};
pub use crate::app::sign_in::SignInView;
use crate::text::fit;

pub fn draw(view: &SignInView, theme: &Theme, frame: &mut Frame) {
    let area = clear(frame, centered(frame.area(), 76, 16));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus())
        .title(Span::styled(" Sign in ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let mut lines = vec![
        Line::from(fit(&format!("Directory: {}", view.target), w)),
        Line::from(""),
    ];
    let spin = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'][view.spinner % 10];
    match (&view.prompt, &view.error) {
        (_, Some(err)) => {
            lines.push(Line::from(Span::styled(format!("✗ {err}"), theme.danger())));
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "r tries again · q quits",
                theme.dim(),
            )));
        }
        (None, None) => {
            lines.push(Line::from(format!("{spin} Asking for a sign-in code…")));
        }
        (Some(p), None) => {
            lines.push(Line::from("1. Open this page in a browser (any device):"));
            lines.push(Line::from(Span::styled(
                format!("   {}", p.verification_uri),
                theme.key(),
            )));
            lines.push(Line::from("2. Enter this code:"));
            lines.push(Line::from(Span::styled(
                format!("   {}", p.user_code),
                theme.sandbox(),
            )));
            lines.push(Line::from(""));
            let left = (p.expires_at - view.now).num_seconds().max(0);
            lines.push(Line::from(format!(
                "{spin} Waiting for the sign-in… the code expires in {}:{:02}",
                left / 60,
                left % 60
            )));
            lines.push(Line::from(""));
            let copy = if view.copied {
                "code copied · "
            } else {
                "c copies the code · "
            };
            lines.push(Line::from(Span::styled(
                format!("{copy}Esc cancels"),
                theme.dim(),
            )));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
