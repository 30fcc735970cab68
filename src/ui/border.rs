//! A bordered box drawn on its border cells only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Widget};

/// Draws what `block.borders(Borders::ALL).title(title)` draws over `area`, as four strips:
/// ratatui's `Block` styles every cell of its area before its borders (12,000 at 200x60, a
/// seventh of a frame's instructions), which a pane drawn cell by cell over its inside then
/// overwrites. `block` holds the border's look and no titles. Boxes too small to split are
/// drawn whole.
pub fn render_border<'a>(block: &Block<'a>, title: Line<'a>, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    let block = |borders| block.clone().borders(borders);
    if area.height < 3 || area.width < 2 {
        block(Borders::ALL).title(title).render(area, buf);
        return;
    }
    let sides = Borders::LEFT | Borders::RIGHT;
    block(Borders::TOP | sides)
        .title(title)
        .render(Rect { height: 1, ..area }, buf);
    let middle = Rect {
        y: area.y + 1,
        height: area.height - 2,
        width: 1,
        ..area
    };
    block(Borders::LEFT).render(middle, buf);
    block(Borders::RIGHT).render(
        Rect {
            x: area.right() - 1,
            ..middle
        },
        buf,
    );
    block(Borders::BOTTOM | sides).render(
        Rect {
            y: area.bottom() - 1,
            height: 1,
            ..area
        },
        buf,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier, Style};
    use ratatui::text::Span;

    fn title() -> Line<'static> {
        Span::styled(
            " Deleted users ─ 12 · sort: name ",
            Style::new().fg(Color::Yellow),
        )
        .into()
    }

    #[test]
    fn the_strips_draw_what_the_whole_block_draws() {
        for (w, h) in [
            (40, 10),
            (12, 3),
            (2, 3),
            (5, 4),
            (40, 2),
            (1, 5),
            (60, 1),
            (0, 4),
        ] {
            let screen = Rect::new(0, 0, 64, 12);
            let area = Rect::new(2, 1, w, h);
            // Over a screen already drawn on, as a frame is when the box is drawn.
            let mut whole = Buffer::empty(screen);
            for y in 0..12 {
                whole.set_string(0, y, "x".repeat(64), Style::new().fg(Color::Red));
            }
            let mut strips = whole.clone();
            let look = Block::default()
                .border_style(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD));
            look.clone()
                .borders(Borders::ALL)
                .title(title())
                .render(area, &mut whole);
            render_border(&look, title(), area, &mut strips);
            assert_eq!(strips, whole, "{w}x{h}");
        }
    }
}
