//! Every style in one place, for each of the three themes (`--theme`). With NO_COLOR (or
//! `no_color`), only bold, reverse and underline are used, so nothing depends on color to be
//! understood (badges are text anyway).

use ratatui::style::{Color, Modifier, Style};

use crate::config::Theme as Kind;

/// The styles of one theme. The selection bar has its own badge and danger styles: a red or
/// magenta word on the bar's background is hard to read, so on the bar they take colours
/// chosen against it.
#[derive(Debug, Clone, Copy)]
struct Palette {
    header: Style,
    sandbox: Style,
    border: Style,
    border_focus: Style,
    column_header: Style,
    selected: Style,
    bar_badge: Style,
    bar_danger: Style,
    marked: Style,
    danger: Style,
    warn: Style,
    ok: Style,
    dim: Style,
    key: Style,
    badge: Style,
    field: Style,
    focused: Style,
}

const fn fg(c: Color) -> Style {
    Style::new().fg(c)
}

const fn on(f: Color, b: Color) -> Style {
    Style::new().fg(f).bg(b)
}

const BOLD: Modifier = Modifier::BOLD;

/// Light text for a dark terminal: the colours the app always had, with bar badges readable.
const DARK: Palette = Palette {
    header: on(Color::Black, Color::Cyan),
    sandbox: on(Color::Black, Color::Yellow).add_modifier(BOLD),
    border: fg(Color::DarkGray),
    border_focus: fg(Color::Cyan),
    column_header: fg(Color::Cyan).add_modifier(BOLD),
    selected: on(Color::White, Color::Blue),
    // Yellow and white hold up on blue where red and magenta sink into it.
    bar_badge: fg(Color::White).add_modifier(BOLD),
    bar_danger: fg(Color::LightYellow).add_modifier(BOLD),
    marked: fg(Color::Yellow),
    danger: fg(Color::Red).add_modifier(BOLD),
    warn: fg(Color::Yellow),
    ok: fg(Color::Green),
    dim: fg(Color::DarkGray),
    key: fg(Color::Cyan).add_modifier(BOLD),
    badge: fg(Color::Magenta),
    field: Style::new().bg(Color::Rgb(40, 40, 40)),
    focused: on(Color::Black, Color::Cyan),
};

/// Dark text for a light terminal: no yellow or light grey text, which vanish on white; the
/// 256-colour indexes are the same on every xterm-compatible terminal.
const LIGHT: Palette = Palette {
    header: on(Color::White, Color::Blue),
    sandbox: on(Color::Black, Color::Indexed(221)).add_modifier(BOLD),
    border: fg(Color::Indexed(245)),
    border_focus: fg(Color::Blue),
    column_header: fg(Color::Blue).add_modifier(BOLD),
    selected: on(Color::Black, Color::Indexed(153)),
    bar_badge: fg(Color::Indexed(90)).add_modifier(BOLD),
    bar_danger: fg(Color::Indexed(124)).add_modifier(BOLD),
    marked: fg(Color::Indexed(130)).add_modifier(BOLD),
    danger: fg(Color::Indexed(160)).add_modifier(BOLD),
    warn: fg(Color::Indexed(130)),
    ok: fg(Color::Indexed(28)),
    dim: fg(Color::Indexed(242)),
    key: fg(Color::Blue).add_modifier(BOLD),
    badge: fg(Color::Indexed(90)),
    field: Style::new().bg(Color::Indexed(254)),
    focused: on(Color::White, Color::Blue),
};

/// Black and white with a few saturated colours, bold wherever a colour carries meaning; no
/// dim text and no grey.
const HIGH_CONTRAST: Palette = Palette {
    header: on(Color::Black, Color::White).add_modifier(BOLD),
    sandbox: on(Color::Black, Color::LightYellow).add_modifier(BOLD),
    border: fg(Color::White),
    border_focus: fg(Color::LightYellow).add_modifier(BOLD),
    column_header: fg(Color::White).add_modifier(BOLD.union(Modifier::UNDERLINED)),
    selected: on(Color::Black, Color::LightYellow).add_modifier(BOLD),
    bar_badge: fg(Color::Black).add_modifier(BOLD),
    bar_danger: fg(Color::Black).add_modifier(BOLD.union(Modifier::UNDERLINED)),
    marked: fg(Color::LightCyan).add_modifier(BOLD),
    danger: fg(Color::LightRed).add_modifier(BOLD),
    warn: fg(Color::LightYellow).add_modifier(BOLD),
    ok: fg(Color::LightGreen).add_modifier(BOLD),
    dim: fg(Color::White),
    key: fg(Color::LightYellow).add_modifier(BOLD),
    badge: fg(Color::LightCyan).add_modifier(BOLD),
    field: Style::new().add_modifier(Modifier::UNDERLINED),
    focused: on(Color::Black, Color::LightYellow).add_modifier(BOLD),
};

const fn modifier(m: Modifier) -> Style {
    Style::new().add_modifier(m)
}

/// Attributes only: what NO_COLOR leaves.
const PLAIN: Palette = Palette {
    header: modifier(Modifier::REVERSED),
    sandbox: modifier(BOLD),
    border: Style::new(),
    border_focus: Style::new(),
    column_header: modifier(BOLD.union(Modifier::UNDERLINED)),
    selected: modifier(Modifier::REVERSED),
    bar_badge: modifier(BOLD),
    bar_danger: modifier(BOLD),
    marked: modifier(BOLD),
    danger: modifier(BOLD),
    warn: Style::new(),
    ok: Style::new(),
    dim: modifier(Modifier::DIM),
    key: modifier(BOLD),
    badge: modifier(BOLD),
    field: modifier(Modifier::UNDERLINED),
    focused: modifier(Modifier::REVERSED),
};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    p: &'static Palette,
}

impl Theme {
    /// The styles of `kind`, or attributes only when `no_color` (NO_COLOR wins over a theme).
    pub fn new(kind: Kind, no_color: bool) -> Self {
        let p = match (no_color, kind) {
            (true, _) => &PLAIN,
            (false, Kind::Dark) => &DARK,
            (false, Kind::Light) => &LIGHT,
            (false, Kind::HighContrast) => &HIGH_CONTRAST,
        };
        Self { p }
    }

    pub fn base(&self) -> Style {
        Style::default()
    }

    pub fn header(&self) -> Style {
        self.p.header
    }

    pub fn sandbox(&self) -> Style {
        self.p.sandbox
    }

    pub fn border(&self) -> Style {
        self.p.border
    }

    pub fn border_focus(&self) -> Style {
        self.p.border_focus
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn column_header(&self) -> Style {
        self.p.column_header
    }

    pub fn selected(&self) -> Style {
        self.p.selected
    }

    /// A badge on the selection bar.
    pub fn bar_badge(&self) -> Style {
        self.p.bar_badge
    }

    /// Something urgent (an expiry) on the selection bar.
    pub fn bar_danger(&self) -> Style {
        self.p.bar_danger
    }

    pub fn marked(&self) -> Style {
        self.p.marked
    }

    pub fn danger(&self) -> Style {
        self.p.danger
    }

    pub fn warn(&self) -> Style {
        self.p.warn
    }

    pub fn ok(&self) -> Style {
        self.p.ok
    }

    pub fn dim(&self) -> Style {
        self.p.dim
    }

    pub fn key(&self) -> Style {
        self.p.key
    }

    pub fn badge(&self) -> Style {
        self.p.badge
    }

    pub fn field(&self) -> Style {
        self.p.field
    }

    pub fn focused(&self) -> Style {
        self.p.focused
    }

    pub fn button(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins_over_every_theme() {
        for kind in Kind::ALL {
            let t = Theme::new(kind, true);
            for s in [
                t.selected(),
                t.danger(),
                t.badge(),
                t.header(),
                t.bar_badge(),
            ] {
                assert_eq!((s.fg, s.bg), (None, None), "{kind:?}");
            }
        }
    }

    #[test]
    fn badges_on_the_selection_bar_differ_from_its_background() {
        for kind in Kind::ALL {
            let t = Theme::new(kind, false);
            let bar = t.selected().bg;
            for s in [t.bar_badge(), t.bar_danger()] {
                assert!(s.fg.is_some() && s.fg != bar, "{kind:?}");
                // Red and magenta on blue were the complaint.
                assert!(
                    !(bar == Some(Color::Blue)
                        && matches!(s.fg, Some(Color::Red | Color::Magenta))),
                    "{kind:?}"
                );
            }
        }
    }
}
