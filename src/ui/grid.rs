//! Rows of cells drawn into the buffer exactly as ratatui's `Table` draws them (the same
//! cells, styles and places: the snapshots compare them), without its layers per cell. The
//! widget wraps every cell in a `Text` and a `Line`, passes a style over each one's area
//! three times and segments plain ASCII into graphemes; at 200x60 with 100,000 users that was
//! most of a frame.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// One row: the style over all of it and a line per column.
pub struct GridRow {
    pub style: Style,
    pub cells: Vec<Line<'static>>,
}

/// A header row, then the rows, each column as wide as `widths` says and one column apart,
/// after a selection column as wide as `symbol`, which the selected row shows.
pub struct Grid<'a> {
    pub widths: &'a [u16],
    pub header: GridRow,
    pub rows: Vec<GridRow>,
    pub selected: Option<usize>,
    pub symbol: &'static str,
}

impl Widget for &Grid<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let selection = u16::try_from(Span::raw(self.symbol).width()).unwrap_or(u16::MAX);
        let columns = column_areas(area.width, selection, self.widths);
        let header = Rect { height: 1, ..area };
        draw_row(&self.header, header, &columns, buf);
        let below = (area.y + 1..area.bottom()).zip(&self.rows).enumerate();
        for (i, (y, row)) in below {
            let row_area = Rect {
                y,
                height: 1,
                ..area
            };
            if self.selected == Some(i) {
                // The widget styles the rows first; the symbol then goes in the selection
                // column, in the row's style.
                set_style(buf, row_area, row.style);
                let symbol = Rect {
                    width: selection,
                    ..row_area
                };
                set_style(buf, symbol, row.style);
                draw_line(&Line::raw(self.symbol), symbol, buf);
                draw_cells(row, row_area, &columns, buf);
            } else {
                draw_row(row, row_area, &columns, buf);
            }
        }
    }
}

/// Where each column starts (from the area's left) and how wide it is: what the widget's
/// layout gives for columns of fixed widths.
fn column_areas(width: u16, selection: u16, widths: &[u16]) -> Vec<Rect> {
    let [_, columns] = Layout::horizontal([Constraint::Length(selection), Constraint::Fill(0)])
        .areas(Rect::new(0, 0, width, 1));
    Layout::horizontal(widths.iter().map(|w| Constraint::Length(*w)))
        .flex(Flex::Start)
        .spacing(1)
        .split(columns)
        .to_vec()
}

fn draw_row(row: &GridRow, area: Rect, columns: &[Rect], buf: &mut Buffer) {
    set_style(buf, area, row.style);
    draw_cells(row, area, columns, buf);
}

/// `Buffer::set_style` over one line, without finding each cell again from its x and y.
fn set_style(buf: &mut Buffer, area: Rect, style: Style) {
    for cell in line_cells(buf, area) {
        cell.set_style(style);
    }
}

/// The cells of the first line of `area` that are in the buffer.
fn line_cells(buf: &mut Buffer, area: Rect) -> &mut [ratatui::buffer::Cell] {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return &mut [];
    }
    let start = buf.index_of(area.x, area.y);
    let end = start + usize::from(area.width);
    buf.content.get_mut(start..end).unwrap_or_default()
}

fn draw_cells(row: &GridRow, area: Rect, columns: &[Rect], buf: &mut Buffer) {
    for (column, line) in columns.iter().zip(&row.cells) {
        let cell = Rect::new(area.x + column.x, area.y, column.width, 1);
        draw_line(line, cell, buf);
    }
}

/// A left-aligned line in `area`, as `Line` draws itself: nothing when it is 0 wide, else each
/// span where the ones before it end (by their width, not by what they drew), cut at the
/// area's right edge.
fn draw_line(line: &Line<'_>, area: Rect, buf: &mut Buffer) {
    let mut area = area.intersection(buf.area);
    if area.is_empty() || line.spans.iter().map(span_width).sum::<usize>() == 0 {
        return;
    }
    if line.style != Style::default() {
        set_style(buf, area, line.style);
    }
    for span in &line.spans {
        if area.is_empty() {
            break;
        }
        draw_span(span, area, buf);
        // `Rect::indent_x`, which ratatui keeps to itself.
        let by = u16::try_from(span_width(span)).unwrap_or(u16::MAX);
        area = Rect {
            x: area.x.saturating_add(by),
            width: area.width.saturating_sub(by),
            ..area
        };
    }
}

/// Printable ASCII: one column a character, each a grapheme of its own.
fn plain(text: &str) -> bool {
    text.bytes().all(|b| (b' '..=b'~').contains(&b))
}

/// `Span::width`, without measuring printable ASCII.
fn span_width(span: &Span<'_>) -> usize {
    if plain(&span.content) {
        span.content.len()
    } else {
        span.width()
    }
}

/// A span as `Span` draws itself. Printable ASCII goes cell by cell without segmenting;
/// anything else is left to the span.
fn draw_span(span: &Span<'_>, area: Rect, buf: &mut Buffer) {
    let text = span.content.as_ref();
    if !plain(text) {
        span.render(area, buf);
        return;
    }
    for (cell, at) in line_cells(buf, area).iter_mut().zip(0..text.len()) {
        cell.set_symbol(&text[at..at + 1]).set_style(span.style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};
    use ratatui::widgets::{Cell, HighlightSpacing, Row, StatefulWidget, Table, TableState};

    fn line(parts: &[(&str, Style)]) -> Line<'static> {
        Line::from(
            parts
                .iter()
                .map(|(t, s)| Span::styled(t.to_string(), *s))
                .collect::<Vec<_>>(),
        )
    }

    /// What ratatui's `Table` draws for the same rows, into a buffer already holding text.
    fn as_table(grid: &Grid<'_>, area: Rect, buf: &mut Buffer) {
        let row = |r: &GridRow| Row::new(r.cells.iter().cloned().map(Cell::from)).style(r.style);
        let table = Table::new(
            grid.rows.iter().map(row),
            grid.widths.iter().map(|w| Constraint::Length(*w)),
        )
        .header(row(&grid.header))
        .column_spacing(1)
        .highlight_spacing(HighlightSpacing::Always)
        .highlight_symbol(grid.symbol);
        StatefulWidget::render(
            &table,
            area,
            buf,
            &mut TableState::default().with_selected(grid.selected),
        );
    }

    #[test]
    fn the_grid_draws_what_the_table_widget_draws() {
        let red = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
        let bar = Style::new().bg(Color::Blue).remove_modifier(Modifier::DIM);
        let texts: [&[(&str, Style)]; 12] = [
            &[("Adele Vance", Style::new())],
            &[
                ("Zoë Ødegård", Style::new()),
                ("  ", Style::new()),
                ("[EXP 2d]", red),
            ],
            &[("山田 太郎 and a name too long for its column", Style::new())],
            &[("e\u{301}\u{301} combining", red)],
            &[("\u{301}starts with a mark", Style::new())],
            &[("👩\u{200d}💻 Priya", Style::new()), ("[C]", red)],
            &[
                ("محمد الأحمد", Style::new()),
                ("  ", Style::new()),
                ("[S]", red),
            ],
            &[("", Style::new())],
            &[("\u{200b}", Style::new())],
            &[("■", bar)],
            &[("tab\there", Style::new())],
            &[("wide at the edge 山", Style::new())],
        ];
        for width in [30u16, 47, 80] {
            for selected in [None, Some(0), Some(3)] {
                let rows = (0..6)
                    .map(|r| GridRow {
                        style: if r % 2 == 0 { bar } else { Style::new() },
                        cells: (0..4)
                            .map(|c| line(texts[(r * 4 + c) % texts.len()]))
                            .collect(),
                    })
                    .collect();
                let grid = Grid {
                    widths: &[1, 12, 9, 20],
                    header: GridRow {
                        style: red,
                        cells: vec![
                            Line::default(),
                            line(texts[0]),
                            line(texts[2]),
                            line(texts[4]),
                        ],
                    },
                    rows,
                    selected,
                    symbol: "▶",
                };
                let area = Rect::new(2, 1, width, 6);
                let mut ours =
                    Buffer::filled(Rect::new(0, 0, 90, 9), ratatui::buffer::Cell::new("x"));
                let mut theirs = ours.clone();
                (&grid).render(area, &mut ours);
                as_table(&grid, area, &mut theirs);
                assert_eq!(ours, theirs, "width {width}, selected {selected:?}");
            }
        }
    }
}
