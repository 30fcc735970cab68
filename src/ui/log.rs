//! The `@` request log pane: method, path, status, request-id, duration. Records never hold
//! headers or bodies, so there is nothing secret to redact here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::fit_line;
use super::theme::Theme;
use crate::app::state::State;
use crate::text::pad;

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(" Requests ({}) · @ closes ", state.log.len()),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let h = usize::from(inner.height);
    if state.log.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("No requests yet.", theme.dim())),
            inner,
        );
        return;
    }
    // The request id matters for support tickets, the path for the admin: on a narrow pane
    // the id goes first.
    let show_id = w >= 100;
    let id_w = if show_id { 37 } else { 0 };
    let path_w = w.saturating_sub(9 + 7 + 1 + 4 + 9 + id_w).max(10);
    let lines: Vec<Line> = state
        .log
        .iter()
        .rev()
        .take(h)
        .map(|r| {
            let status = r.status.map_or("---".to_string(), |s| s.to_string());
            let status_style = match r.status {
                Some(s) if s < 400 => theme.ok(),
                Some(429) => theme.warn(),
                _ => theme.danger(),
            };
            fit_line(
                vec![
                    Span::styled(r.at.format("%H:%M:%S ").to_string(), theme.dim()),
                    Span::raw(pad(&r.method, 7)),
                    Span::raw(pad(&r.path, path_w)),
                    Span::raw(" "),
                    Span::styled(pad(&status, 4), status_style),
                    Span::raw(format!("{:>6}ms ", r.duration_ms)),
                    Span::styled(
                        if show_id {
                            r.request_id.clone().unwrap_or_default()
                        } else {
                            String::new()
                        },
                        theme.dim(),
                    ),
                ],
                w,
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
