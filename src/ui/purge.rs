//! The purge confirmation: the admin types the number of users to delete for good.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::Theme;
use super::{centered, clear};
use crate::app::modal::purge::PurgeState;
use crate::app::state::State;
use crate::text::fit;

pub fn draw(state: &State, p: &PurgeState, theme: &Theme, frame: &mut Frame, area: Rect) {
    let n = p.users.len();
    // On a short terminal the list of names gives way (its "… and N more" says so), never
    // the question or the field.
    let shown = n.min(5).min(usize::from(area.height.saturating_sub(8)));
    let h = (9 + shown) as u16;
    let area = clear(frame, centered(area, 64, h));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.danger())
        .title(Span::styled(
            // In a run on several tenants, whose users: this cannot be undone.
            format!(
                " Purge {} for good{} ",
                crate::text::count(n, "user", "users"),
                super::restore_dialog::tenant_words(state)
            ),
            theme.danger(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let mut lines = vec![Line::from(Span::styled(
        fit("This cannot be undone: they can never be restored.", w),
        theme.danger(),
    ))];
    for u in p.users.iter().take(shown) {
        lines.push(Line::from(fit(
            &format!("  • {}  {}", u.display_name, u.original_upn),
            w,
        )));
    }
    if n > shown {
        lines.push(Line::from(format!("  … and {} more", n - shown)));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(format!(
        "Type {n} and press Enter to purge, Esc cancels:"
    )));
    let typed = fit(p.typed.value(), w.saturating_sub(4));
    lines.push(Line::from(vec![
        Span::raw("  [ "),
        Span::styled(format!("{typed:<8}"), theme.field()),
        Span::raw(" ]"),
    ]));
    if p.running {
        lines.push(Line::from(Span::styled("Purging…", theme.warn())));
    } else if let Some(err) = &p.error {
        lines.push(Line::from(Span::styled(fit(err, w), theme.danger())));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    if !p.running {
        let x = inner.x + 4 + p.typed.visual_cursor().min(w.saturating_sub(5)) as u16;
        let y = inner.y + (3 + shown + usize::from(n > shown)) as u16;
        if y < inner.bottom() {
            frame.set_cursor_position((x, y));
        }
    }
}
