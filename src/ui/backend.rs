//! A backend wrapper that keeps the terminal's cursor where ratatui thinks it is.
//!
//! ratatui's crossterm backend moves the cursor only when the next cell it writes is not the
//! one right after the last: it trusts the terminal to advance exactly as many columns as
//! `unicode-width` says. Terminals disagree with it on some scripts (Devanagari and Thai
//! vowel signs, Arabic ligatures, emoji sequences), so after such a name the rest of the row
//! would land one or two columns off, and stay off until something rewrote it. Here every
//! cell that follows one of those graphemes starts a new draw call, which positions the
//! cursor explicitly; the cost is a few bytes per such name.

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// Wraps a backend; see the module comment.
#[derive(Debug)]
pub struct Resync<B> {
    inner: B,
}

impl<B> Resync<B> {
    pub fn new(inner: B) -> Self {
        Self { inner }
    }
}

/// A grapheme whose width a terminal may measure differently from `unicode-width`: anything
/// with a combining mark, or outside the scripts every terminal agrees on (ASCII, Latin,
/// Greek, Cyrillic, CJK, Hangul, and the symbols and box drawing the UI itself uses).
pub fn may_disagree(symbol: &str) -> bool {
    let mut chars = symbol.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if chars.next().is_some() {
        return true;
    }
    let c = u32::from(first);
    !matches!(c,
        0x20..=0x7e
        | 0xa0..=0x24f // Latin-1 and Latin Extended
        | 0x370..=0x3ff // Greek
        | 0x400..=0x4ff // Cyrillic
        | 0x1e00..=0x1eff // Latin Extended Additional (Vietnamese)
        | 0x2000..=0x2bff // punctuation, arrows, box drawing, shapes, braille (the spinner)
        | 0x3000..=0x9fff // CJK
        | 0xac00..=0xd7a3 // Hangul syllables
        | 0xff01..=0xff60 // full-width forms
    )
}

/// A digest of every cell holding a grapheme that `may_disagree`, with its position: when it
/// changes, such a glyph appeared, moved or went, and the terminal may show a piece of it
/// where ratatui believes the cell blank. Equal digests mean those cells did not change.
pub fn fingerprint(buf: &ratatui::buffer::Buffer) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let width = usize::from(buf.area.width).max(1);
    for (i, cell) in buf.content.iter().enumerate() {
        let sym = cell.symbol();
        // Most cells are ASCII: one byte compare before the full check.
        if sym.len() == 1 && sym.as_bytes()[0].is_ascii() {
            continue;
        }
        if may_disagree(sym) {
            (i % width, i / width, sym).hash(&mut h);
        }
    }
    buf.area.hash(&mut h);
    h.finish()
}

impl<B: Backend> Backend for Resync<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let cells: Vec<(u16, u16, &'a Cell)> = content.collect();
        let mut start = 0;
        for (i, (_, _, cell)) in cells.iter().enumerate() {
            if may_disagree(cell.symbol()) {
                self.inner.draw(cells[start..=i].iter().copied())?;
                start = i + 1;
            }
        }
        if start < cells.len() {
            self.inner.draw(cells[start..].iter().copied())?;
        }
        Ok(())
    }

    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::CrosstermBackend;
    use ratatui::widgets::Paragraph;

    /// What the terminal would receive, shared with the test after the backend takes it.
    #[derive(Clone, Default)]
    struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn output(text: &str) -> String {
        let sink = Sink::default();
        let backend = Resync::new(CrosstermBackend::new(sink.clone()));
        let mut terminal = Terminal::with_options(
            backend,
            ratatui::TerminalOptions {
                viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 30, 1)),
            },
        )
        .expect("terminal");
        terminal
            .draw(|f| f.render_widget(Paragraph::new(text.to_string()), f.area()))
            .expect("draw");
        String::from_utf8_lossy(&sink.0.borrow()).into_owned()
    }

    #[test]
    fn the_cell_after_a_thai_or_devanagari_grapheme_is_positioned_explicitly() {
        // "ศรี" is two cells for unicode-width; the cell after "รี" (x = 2) is moved to.
        let out = output("ศรี|x");
        assert!(out.contains("รี\u{1b}"), "{out:?}");
        assert!(
            out.contains("\u{1b}[1;3H"),
            "cursor moved to column 3: {out:?}"
        );
        let out = output("सिंह|x");
        assert!(out.matches("\u{1b}[1;").count() >= 3, "{out:?}");
    }

    #[test]
    fn plain_text_is_one_run() {
        // No blanks and no wide characters, which make ratatui move the cursor on its own.
        let out = output("AdeleVance│Ødegård▶■ΩЖễ");
        // One move to the start of the line, none after.
        assert_eq!(out.matches("H").count(), 1, "{out:?}");
    }

    #[test]
    fn the_fingerprint_follows_such_glyphs_only() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        let area = Rect::new(0, 0, 20, 3);
        let mut a = Buffer::empty(area);
        a.set_string(0, 0, "Adele Vance", ratatui::style::Style::default());
        let mut b = a.clone();
        b.set_string(0, 1, "Ødegård 山田", ratatui::style::Style::default());
        assert_eq!(fingerprint(&a), fingerprint(&b), "safe text does not count");
        a.set_string(2, 2, "राहुल", ratatui::style::Style::default());
        let mut moved = b.clone();
        b.set_string(2, 2, "राहुल", ratatui::style::Style::default());
        assert_eq!(fingerprint(&a), fingerprint(&b));
        moved.set_string(3, 2, "राहुल", ratatui::style::Style::default());
        assert_ne!(fingerprint(&a), fingerprint(&moved), "moved a column");
    }

    #[test]
    fn what_may_disagree() {
        for s in ["a", "Ø", "Ω", "Ж", "ễ", "─", "▶", "⠋", "山", "김", "…"] {
            assert!(!may_disagree(s), "{s}");
        }
        for s in ["रा", "ि", "ศ", "รี", "ع", "👩\u{200d}💻", "e\u{301}", "ა"] {
            assert!(may_disagree(s), "{s}");
        }
    }
}
