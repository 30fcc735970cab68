//! "Restore 12 users in 3 tenants?": the tenants and their marked users, and how the run goes
//! on (tenant by tenant, each with its own dialog and result).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::Theme;
use super::{centered, clear};
use crate::app::state::State;
use crate::app::tenant_runs::{TenantRuns, Work};
use crate::text::{count, fit};

pub fn draw(state: &State, runs: &TenantRuns, theme: &Theme, frame: &mut Frame, area: Rect) {
    let explain = match runs.work {
        Work::Restore => {
            "Each tenant is restored on its own, one after the other: its own dialog, \
             password rules, recipients and result. The choices made for one are offered \
             for the next; Esc in a tenant's dialog stops there."
        }
        Work::Purge => {
            "Each tenant is purged on its own, one after the other: you type each tenant's \
             count. Esc in a tenant's dialog stops there."
        }
    };
    // The list gives way on a short terminal ("… and N more"), never the question.
    let room = usize::from(area.height.saturating_sub(12)).max(1);
    let listed = runs.parts.len().min(room);
    let h = (10 + listed + usize::from(listed < runs.parts.len())) as u16;
    let area = clear(frame, centered(area, 64, h));
    let style = match runs.work {
        Work::Restore => theme.border_focus(),
        Work::Purge => theme.danger(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(
            format!(" {} ", runs.question()),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let name_w = runs
        .parts
        .iter()
        .map(|p| crate::text::width(&p.tenant))
        .max()
        .unwrap_or(0)
        .min(w / 2);
    let mut lines: Vec<Line> = runs
        .parts
        .iter()
        .take(listed)
        .map(|p| {
            let name = fit(&p.tenant, name_w);
            let pad = " ".repeat(name_w.saturating_sub(crate::text::width(&name)));
            let line = format!(" {name}{pad}  {}", count(p.users, "user", "users"));
            // A tenant that cannot change now is passed over when its turn comes: said here
            // first, so the answer is made knowing it.
            match state.sessions.get(p.id).filter(|s| !s.writable()) {
                Some(s) => {
                    let why = match &s.holder {
                        Some(h) => h.line().to_string(),
                        None => "read-only".to_string(),
                    };
                    Line::from(Span::styled(
                        fit(&format!("{line}: passed over now ({why})"), w),
                        theme.warn(),
                    ))
                }
                None => Line::from(fit(&line, w)),
            }
        })
        .collect();
    if listed < runs.parts.len() {
        lines.push(Line::from(format!(
            " … and {} more tenants",
            runs.parts.len() - listed
        )));
    }
    lines.push(Line::default());
    let first = runs.parts.first().map_or("", |p| p.tenant.as_str());
    let mut text = Paragraph::new(
        lines
            .into_iter()
            .chain([
                Line::from(explain),
                Line::default(),
                Line::from(Span::styled(
                    fit(&format!("y start with {first} · n cancel"), w),
                    theme.dim(),
                )),
            ])
            .collect::<Vec<_>>(),
    );
    text = text.wrap(Wrap { trim: false });
    frame.render_widget(text, inner);
}
