//! The tenants pane (`t`): one line per tenant of the run (signed in as whom, how far its
//! table is, its conflict sweep), and under it what went wrong last, cause first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::Theme;
use super::{centered, clear};
use crate::app::state::State;
use crate::app::tenants::{TenantsPane, lines};
use crate::text::{fit, pad, wrap_words};

pub fn draw(state: &State, pane: &TenantsPane, theme: &Theme, frame: &mut Frame, area: Rect) {
    let tenants = lines(state, pane.by_purge);
    let w = area.width.saturating_sub(4).min(118);
    // What went wrong is said whole, wrapped under its tenant: Entra's reason is the point.
    let problems: Vec<Vec<String>> = tenants
        .iter()
        .map(|t| {
            t.problem.as_deref().map_or_else(Vec::new, |p| {
                wrap_words(p, usize::from(w).saturating_sub(8).max(10))
            })
        })
        .collect();
    // Every tenant keeps its line: when the whole reasons do not fit, each is cut to what the
    // room allows (3 lines, then 1), the end marked with "…".
    let room = usize::from(area.height.saturating_sub(7));
    let mut problems = problems;
    for cap in [3, 1] {
        if tenants.len() + problems.iter().map(Vec::len).sum::<usize>() <= room {
            break;
        }
        for p in problems.iter_mut().filter(|p| p.len() > cap) {
            p.truncate(cap);
            if let Some(last) = p.last_mut() {
                last.push_str(" …");
            }
        }
    }
    // Two lines of frame, the column names, a blank and the hint: the rest is tenants.
    let want = tenants.len() + problems.iter().map(Vec::len).sum::<usize>() + 3;
    let h = u16::try_from(want + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    let area = clear(frame, centered(area, w, h));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus())
        .title(Span::styled(
            format!(
                " Tenants ({}){} ",
                tenants.len(),
                if pane.by_purge {
                    " · by next purge"
                } else {
                    ""
                }
            ),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    // Name, account, table and sweep share the line: the name and the table's state are what
    // an admin scans for, so they keep their room first.
    let name_w = tenants
        .iter()
        .map(|t| crate::text::width(&t.name))
        .max()
        .unwrap_or(6)
        .clamp(6, 28);
    let loaded_w = 18;
    let purge_w = 18;
    let rest = width.saturating_sub(name_w + loaded_w + purge_w + 10);
    let account_w = (rest / 2).max(8);
    let sweep_w = rest.saturating_sub(account_w);
    let row = |mark: &str, cells: [&str; 5]| {
        let [name, account, loaded, purge, sweep] = cells;
        fit(
            &format!(
                "{mark} {}  {}  {}  {}  {}",
                pad(&fit(name, name_w), name_w),
                pad(&fit(account, account_w), account_w),
                pad(&fit(loaded, loaded_w), loaded_w),
                pad(&fit(purge, purge_w), purge_w),
                fit(sweep, sweep_w)
            ),
            width,
        )
    };
    let mut out = vec![Line::from(Span::styled(
        row(
            " ",
            [
                "Tenant",
                "Signed in as",
                "Deleted users",
                "Next purge",
                "Conflicts",
            ],
        ),
        theme.column_header(),
    ))];
    // The lines that fit, keeping the selected tenant in view.
    let room = usize::from(inner.height).saturating_sub(3);
    let per = |i: usize| 1 + problems[i].len();
    let mut first = 0;
    while first < pane.selected && (first..=pane.selected).map(per).sum::<usize>() > room {
        first += 1;
    }
    let mut used = 0;
    for (i, t) in tenants.iter().enumerate().skip(first) {
        if used + per(i) > room {
            break;
        }
        used += per(i);
        // ● for the tenant shown alone: not ▶, the tables' cursor, which the highlighted line
        // already is here.
        let mark = if t.shown { "●" } else { " " };
        let style = if i == pane.selected {
            theme.selected()
        } else if t.id.is_none() {
            theme.danger()
        } else {
            theme.base()
        };
        out.push(Line::from(Span::styled(
            pad(
                &row(
                    mark,
                    [&t.name, &t.account, &t.loaded, &t.next_purge, &t.sweep],
                ),
                width,
            ),
            style,
        )));
        for (n, part) in problems[i].iter().enumerate() {
            let lead = if n == 0 { "    ↳ " } else { "      " };
            out.push(Line::from(Span::styled(
                fit(&format!("{lead}{part}"), width),
                theme.danger(),
            )));
        }
    }
    out.push(Line::from(""));
    out.push(Line::from(vec![
        Span::styled("Enter", theme.key()),
        Span::raw(" show its deleted users alone · "),
        Span::styled("a", theme.key()),
        Span::raw(" all in one table · "),
        Span::styled("s", theme.key()),
        Span::raw(if pane.by_purge {
            " in the order asked for · "
        } else {
            " by next purge · "
        }),
        Span::styled("Esc", theme.key()),
        Span::raw(" close"),
    ]));
    frame.render_widget(Paragraph::new(out), inner);
}
