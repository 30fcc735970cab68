//! The `?` overlay, generated from the keymap table so it always says what the keys do. It
//! opens over any screen; that screen's keys come first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::Theme;
use super::{centered, clear, more_marks};
use crate::app::help::{HelpLine, key_width, overlay_width, wrapped};
use crate::app::modal::help::HelpView;
use crate::app::state::State;
use crate::text::pad;

pub fn draw(state: &State, view: &HelpView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let area = clear(
        frame,
        centered(
            area,
            overlay_width(state.size.0),
            area.height.saturating_sub(2),
        ),
    );
    let all = wrapped(view.scope, state.session().facts.is_sandbox, state.size.0);
    let height = usize::from(area.height.saturating_sub(2));
    let scroll = view.scroll.min(all.len().saturating_sub(1));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus())
        .title(Span::styled(
            " Keys · ↑↓ scroll · Esc closes ",
            theme.title(),
        ));
    let block = more_marks(block, scroll, height, all.len(), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let key_w = key_width(usize::from(inner.width));
    let lines: Vec<Line> = all
        .into_iter()
        .skip(scroll)
        .take(usize::from(inner.height))
        .map(|line| match line {
            HelpLine::Heading(h) => Line::from(Span::styled(h, theme.column_header())),
            HelpLine::Keys { keys, text } => Line::from(vec![
                Span::styled(pad(&keys, key_w), theme.key()),
                Span::raw(" "),
                Span::raw(text),
            ]),
            HelpLine::More(text) => {
                Line::from(vec![Span::raw(pad("", key_w + 1)), Span::raw(text)])
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
