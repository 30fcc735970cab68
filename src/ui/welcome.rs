//! The sandbox's first-launch panel (its words live in `app::welcome`), centred over the
//! table as it loads. On a short terminal the last lines that do not fit give way, with a
//! "▼ N more" mark on the border, and the way out stays on the last line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::Theme;
use super::{centered, clear, more_marks};
use crate::app::welcome::{ABOUT, COMMAND, CONNECT, DISMISS, KEYS, TITLE};
use crate::text::{fit, pad, wrap_words};

pub fn draw(theme: &Theme, frame: &mut Frame, area: Rect) {
    let outer_w = area.width.min(72);
    let w = usize::from(outer_w.saturating_sub(4)).max(1);
    let mut body: Vec<Line<'static>> = Vec::new();
    for l in wrap_words(ABOUT, w) {
        body.push(Line::from(l));
    }
    body.push(Line::from(""));
    body.push(Line::from(Span::styled(
        fit("The job, in three keys:", w),
        theme.title(),
    )));
    for (key, what) in KEYS {
        body.push(Line::from(vec![
            Span::styled(pad(&format!("  {key}"), 9), theme.key()),
            Span::raw(fit(what, w.saturating_sub(9))),
        ]));
    }
    body.push(Line::from(""));
    for l in wrap_words(CONNECT, w) {
        body.push(Line::from(l));
    }
    for l in wrap_words(COMMAND, w.saturating_sub(2)) {
        body.push(Line::from(Span::styled(format!("  {l}"), theme.key())));
    }
    let want_h = (body.len() as u16).saturating_add(4);
    let panel = clear(frame, centered(area, outer_w, want_h));
    let inner_h = usize::from(panel.height.saturating_sub(2));
    // The last inner line is the way out; the body gets the rest.
    let room = inner_h.saturating_sub(2);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus())
        .title(Span::styled(
            fit(TITLE, usize::from(outer_w) - 2),
            theme.sandbox(),
        ));
    let block = more_marks(block, 0, room, body.len(), theme);
    let inner = block.inner(panel);
    frame.render_widget(block, panel);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let mut lines: Vec<Line<'static>> = body.into_iter().take(room).collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        fit(DISMISS, usize::from(inner.width)),
        theme.dim(),
    )));
    frame.render_widget(Paragraph::new(lines), inner);
}
