//! The restore dialog (the password prompt): password choice with a masked field and a live
//! policy checklist, the sign-in toggles, recipients, and per-user conflict fixes.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use tui_input::Input;

use super::theme::Theme;
use super::{centered, clear, fit_line, skip_columns};
use crate::app::modal::restore::{DialogField, NameCheck, Preflight, RestoreForm, Target};
use crate::app::state::State;
use crate::text::{fit, width, wrap};

mod sections;

use sections::build;

const INDENT: usize = 5;

/// The dialog as lines, with the line and column where the cursor goes (when a text field has
/// the focus) and the line of the focused widget (to scroll it into view).
struct Built {
    lines: Vec<Line<'static>>,
    cursor: Option<(usize, usize)>,
    focus_line: usize,
}

/// " Restore Adele Vance ", " Restore 3 users ": the one user's name stays on the border
/// when a small terminal scrolls the dialog past its first line; room is left for the
/// border's "▲ N more". In a run on several tenants the tenant is named too (" Restore 3
/// users in Fabrikam "): which customer's directory changes must never be a guess.
fn title(state: &State, form: &RestoreForm, width: u16) -> String {
    let tenant = tenant_words(state);
    let room = usize::from(width)
        .saturating_sub(24 + crate::text::width(&tenant))
        .max(8);
    match form.targets.as_slice() {
        [one] => format!(" Restore {}{tenant} ", fit(&one.user.display_name, room)),
        targets => format!(" Restore {} users{tenant} ", targets.len()),
    }
}

/// " in Fabrikam" in a run on several tenants, " in Fabrikam (tenant 2 of 3)" in a restore
/// across them; nothing with one tenant.
pub(super) fn tenant_words(state: &State) -> String {
    if !state.sessions.several() {
        return String::new();
    }
    let name = fit(state.session().facts.tenant(), 24);
    match state.tenant_runs.as_ref().and_then(|r| r.place()) {
        Some(place) => format!(" in {name} ({place})"),
        None => format!(" in {name}"),
    }
}

fn radio(label: &str, on: bool, focused: bool, theme: &Theme) -> Line<'static> {
    let mark = if on { "(•)" } else { "( )" };
    Line::from(vec![
        Span::raw(" "),
        Span::styled(
            format!("{mark} {label}"),
            if focused {
                theme.focused()
            } else {
                theme.base()
            },
        ),
    ])
}

fn checkbox(indent: usize, label: &str, on: bool, focused: bool, theme: &Theme) -> Line<'static> {
    let mark = if on { "[x]" } else { "[ ]" };
    Line::from(vec![
        Span::raw(" ".repeat(indent)),
        Span::styled(
            format!("{mark} {label}"),
            if focused {
                theme.focused()
            } else {
                theme.base()
            },
        ),
    ])
}

/// An input box `[ value ]` of `field_w` columns; returns the line and the cursor column.
fn input_line(
    prefix: &str,
    input: &Input,
    masked: bool,
    field_w: usize,
    focused: bool,
    suffix: &str,
    theme: &Theme,
) -> (Line<'static>, usize) {
    let inner_w = field_w.max(4);
    let (shown, cursor_col) = if masked {
        let n = input.value().chars().count();
        let cur = input.cursor();
        let scroll = cur.saturating_sub(inner_w.saturating_sub(1));
        (
            "•".repeat(n.saturating_sub(scroll).min(inner_w)),
            cur - scroll,
        )
    } else {
        // Unfocused fields show their start; the focused one scrolls to keep the cursor in view.
        let scroll = if focused {
            input.visual_scroll(inner_w.saturating_sub(1))
        } else {
            0
        };
        let rest = skip_columns(input.value(), scroll);
        (
            fit(&rest, inner_w),
            input.visual_cursor().saturating_sub(scroll),
        )
    };
    let pad = inner_w.saturating_sub(width(&shown));
    let prefix_w = width(prefix);
    let line = Line::from(vec![
        Span::raw(prefix.to_string()),
        Span::raw("[ "),
        Span::styled(
            format!("{shown}{}", " ".repeat(pad)),
            if focused {
                theme.focused()
            } else {
                theme.field()
            },
        ),
        Span::raw(" ]"),
        Span::styled(suffix.to_string(), theme.dim()),
    ]);
    (line, prefix_w + 2 + cursor_col.min(inner_w))
}

/// What the directory said of the new user name typed, beside its field.
fn name_verdict(t: &Target) -> &'static str {
    match &t.name_check {
        NameCheck::Asking { .. } => " …",
        NameCheck::Failed(_) => " ?",
        NameCheck::Idle if t.new_upn_holder().is_some() => " ✗ taken",
        NameCheck::Idle if t.new_upn_free() => " ✓ free",
        NameCheck::Idle => "",
    }
}

/// A button, pointed at when focused: reverse video alone is lost on terminals that show no
/// attributes, and the `▶` is what NO_COLOR users and screen readers go by.
pub fn button_label(label: &str, focused: bool) -> String {
    if focused {
        format!("▶[ {label} ]")
    } else {
        format!(" [ {label} ]")
    }
}

/// Puts `▶` in the first column of the focused line (every line of a field starts with a
/// space for it), for the same reason as `button_label`.
fn point_at(line: &mut Line<'static>) {
    if let Some(first) = line.spans.first_mut()
        && let Some(rest) = first.content.strip_prefix(' ')
    {
        first.content = format!("▶{rest}").into();
    }
}

pub fn draw(state: &State, form: &RestoreForm, theme: &Theme, frame: &mut Frame, area: Rect) {
    let outer_w = area.width.min(80);
    let w = usize::from(outer_w.saturating_sub(2));
    let built = build(state, form, theme, w);
    let want_h = (built.lines.len() as u16).saturating_add(2);
    let dialog = clear(frame, centered(area, outer_w, want_h));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus())
        .title(Span::styled(
            title(state, form, dialog.width),
            theme.title(),
        ));
    let inner = block.inner(dialog);
    let h = usize::from(inner.height);
    // When the dialog is taller than the terminal, scroll so the focused widget shows, and
    // say on the borders that there is more above or below.
    let scroll = built
        .focus_line
        .saturating_sub(h.saturating_sub(1))
        .min(built.lines.len().saturating_sub(h));
    let block = super::more_marks(block, scroll, h, built.lines.len(), theme);
    frame.render_widget(block, dialog);
    let visible: Vec<Line> = built.lines.into_iter().skip(scroll).take(h).collect();
    frame.render_widget(Paragraph::new(visible), inner);
    if let Some((line, col)) = built.cursor
        && line >= scroll
        && line - scroll < h
    {
        let pos = Position::new(
            inner.x + (col.min(w.saturating_sub(1))) as u16,
            inner.y + (line - scroll) as u16,
        );
        frame.set_cursor_position(pos);
    }
}
