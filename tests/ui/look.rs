//! Issue 14's look: the three themes (styles included), and each layout fix at 80x24 and
//! 200x60 (the dialog scroll at 46x12 and 50x15 too). Review with `cargo insta review`.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Style;
use undelete::app::fixtures;
use undelete::app::state::State;
use undelete::config::Theme;

use crate::snapshots::{dialog, home, key, render, typ};

const LAYOUT_SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];

fn snap_at(name: &str, sizes: &[(u16, u16)], build: impl Fn((u16, u16)) -> State) {
    for &(w, h) in sizes {
        let state = build((w, h));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&state, w, h));
    }
}

fn buffer(state: &State, w: u16, h: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal
        .draw(|f| undelete::ui::draw(state, f))
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// The first `rows` rows of `buf` with their styles: each run of cells of one style as
/// `«fg/bg/modifiers»text`, so a snapshot shows the colours a theme gives each part.
fn styled(buf: &Buffer, rows: u16) -> String {
    let mut out = String::new();
    for y in 0..rows.min(buf.area.height) {
        let mut last: Option<Style> = None;
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            let style = cell.style();
            if last != Some(style) {
                out.push_str(&format!(
                    "«{:?}/{:?}/{:?}»",
                    style.fg.unwrap_or_default(),
                    style.bg.unwrap_or_default(),
                    style.add_modifier
                ));
                last = Some(style);
            }
            out.push_str(cell.symbol());
        }
        out.push('\n');
    }
    out
}

/// The home table in `theme`, colours on, the selection on an expiring user with a badge.
fn themed(theme: Theme) -> State {
    let mut s = home((80, 24));
    s.settings.no_color = false;
    s.settings.theme = theme;
    s
}

#[test]
fn each_theme_styles_the_header_badges_and_selection_its_own_way() {
    let mut seen = Vec::new();
    for theme in Theme::ALL {
        let s = themed(theme);
        let buf = buffer(&s, 80, 24);
        let out = styled(&buf, 8);
        insta::assert_snapshot!(format!("theme_{}_80x24", theme.name()), out);
        assert!(!seen.contains(&out), "{theme:?} looks like another theme");
        seen.push(out);
        // The selected row's badges are drawn in the bar's own badge colours, never in a
        // colour that sinks into the bar.
        let sel = s.session().users.selected() - s.session().users.offset();
        let y = 3 + sel as u16;
        let bar_bg = buf[(4, y)].style().bg;
        for x in 2..78 {
            let st = buf[(x, y)].style();
            assert_eq!(st.bg, bar_bg, "{theme:?}: the bar spans the row");
            assert_ne!(
                st.fg, bar_bg,
                "{theme:?}: text on the bar is not its colour"
            );
        }
    }
    // NO_COLOR wins over the theme: the same screen, attributes only, in every theme.
    let plain: Vec<String> = Theme::ALL
        .into_iter()
        .map(|t| {
            let mut s = themed(t);
            s.settings.no_color = true;
            styled(&buffer(&s, 80, 24), 8)
        })
        .collect();
    assert!(plain.windows(2).all(|w| w[0] == w[1]));
    assert!(!plain[0].contains("Rgb") && !plain[0].contains("Indexed"));
}

#[test]
fn first_launch_panel() {
    snap_at("welcome", &[(80, 24), (200, 60), (46, 12)], |size| {
        let mut s = home(size);
        s.welcome = true;
        s
    });
}

#[test]
fn table_columns_by_content_and_sort_on_its_header() {
    snap_at("look_table", &LAYOUT_SIZES, home);
    snap_at(
        "look_table_sorted_by_name_reversed",
        &LAYOUT_SIZES,
        |size| {
            let mut s = home(size);
            typ(&mut s, "sS");
            s
        },
    );
}

#[test]
fn a_tenant_header_shortens_its_least_useful_part() {
    snap_at(
        "look_tenant_header",
        &[(80, 24), (120, 40), (200, 60)],
        |size| {
            let mut s = fixtures::state(12, size);
            s.session_mut().facts.is_sandbox = false;
            s.session_mut().facts.label = "global · contoso.onmicrosoft.com (61644a25-da5a-4317-94e2-3bc1eca8c766) · admin@contoso.onmicrosoft.com (delegated)".into();
            s.session_mut().facts.account = "admin@contoso.onmicrosoft.com".into();
            s
        },
    );
}

#[test]
fn details_align_their_values_and_wrap_at_word_breaks() {
    snap_at("look_details", &LAYOUT_SIZES, |size| {
        let mut s = home(size);
        typ(&mut s, "i");
        s
    });
}

#[test]
fn dialogs_that_do_not_fit_scroll_and_say_so() {
    snap_at(
        "look_dialog_scroll",
        &[(46, 12), (50, 15), (80, 24), (200, 60)],
        |size| {
            let mut s = dialog(size);
            // Down to the recipients: the top scrolls away.
            for _ in 0..4 {
                key(&mut s, KeyCode::Tab);
            }
            s
        },
    );
}

#[test]
fn help_and_log_over_a_dialog() {
    snap_at("look_help_over_dialog", &LAYOUT_SIZES, |size| {
        let mut s = dialog(size);
        typ(&mut s, "?");
        s
    });
    snap_at("look_log_under_dialog", &LAYOUT_SIZES, |size| {
        let mut s = dialog(size);
        typ(&mut s, "@");
        s
    });
}

#[test]
fn a_safeguard_asks_before_it_goes_off() {
    snap_at("look_safeguard", &[(80, 24)], |size| {
        let mut s = dialog(size);
        key(&mut s, KeyCode::Tab);
        key(&mut s, KeyCode::Tab);
        typ(&mut s, " ");
        s
    });
}
