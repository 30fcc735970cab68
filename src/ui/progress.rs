//! Progress of a restore: a gauge and one line per user. Input stays live; Esc asks first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph};

use super::theme::Theme;
use super::{centered, clear};
use crate::app::modal::progress::{JobStatus, ProgressState};
use crate::app::state::State;
use crate::text::{count, fit, pad};

pub fn status_text(s: &JobStatus) -> String {
    match s {
        JobStatus::Queued => "queued".into(),
        JobStatus::Restoring => "restoring…".into(),
        JobStatus::Restored => "restored, setting password…".into(),
        JobStatus::PasswordSet => "✓ restored, password set".into(),
        JobStatus::TapIssued => "✓ restored, Temporary Access Pass issued".into(),
        JobStatus::Failed(why) => format!("✗ failed: {why}"),
        JobStatus::Stopped => "stopped".into(),
    }
}

pub fn draw(state: &State, p: &ProgressState, theme: &Theme, frame: &mut Frame, area: Rect) {
    let want_h = (p.lines.len() as u16).saturating_add(7).min(30);
    let area = clear(frame, centered(area, 84, want_h));
    let total = p.lines.len();
    let done = p.done();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus())
        .title(Span::styled(
            format!(
                " Restoring {}{} ",
                count(total, "user", "users"),
                super::restore_dialog::tenant_words(state)
            ),
            theme.title(),
        ));
    let inner = block.inner(area);
    // Ctrl-C's question takes two lines under the list.
    let question = crate::app::quit::unsent(state)
        .filter(|_| state.quit_question)
        .map(|u| crate::app::quit::question(&u));
    let [gauge, list, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(if question.is_some() { 2 } else { 1 }),
    ])
    .areas(inner);
    // Users scrolled out of view, above and below, on the border.
    let block = super::more_marks(block, p.scroll, usize::from(list.height), total, theme);
    frame.render_widget(block, area);
    let ratio = if total == 0 {
        1.0
    } else {
        done as f64 / total as f64
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.ok())
            .ratio(ratio.clamp(0.0, 1.0))
            .label(format!("{done}/{total}")),
        gauge,
    );
    let w = usize::from(list.width);
    let name_w = (w / 3).max(8);
    let lines: Vec<Line> = p
        .lines
        .iter()
        .skip(p.scroll)
        .take(usize::from(list.height))
        .map(|l| {
            let style = match l.status {
                JobStatus::PasswordSet | JobStatus::TapIssued => theme.ok(),
                JobStatus::Failed(_) => theme.danger(),
                JobStatus::Queued | JobStatus::Stopped => theme.dim(),
                _ => theme.base(),
            };
            Line::from(vec![
                Span::raw(pad(&l.name, name_w)),
                Span::raw(" "),
                Span::styled(
                    fit(&status_text(&l.status), w.saturating_sub(name_w + 1)),
                    style,
                ),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
    let waiting = p
        .waiting
        .as_ref()
        .filter(|(_, until)| *until > state.now)
        .map(|(text, until)| {
            let left = (*until - state.now).num_seconds().max(0);
            format!("⏳ {text} · {left} s left")
        });
    if let Some(lines) = question {
        let w = usize::from(foot.width);
        let lines: Vec<Line> = lines
            .iter()
            .map(|l| Line::from(Span::styled(fit(l, w), theme.warn())))
            .collect();
        frame.render_widget(Paragraph::new(lines), foot);
        return;
    }
    let foot_text = if p.confirm_leave {
        let text = format!(
            "Leave now? {} in flight {} unfinished: F finishes once the directory answers · y leaves · n waits",
            crate::text::count(p.in_flight(), "user", "users"),
            crate::text::plural(p.in_flight(), "stays", "stay"),
        );
        Span::styled(fit(&text, usize::from(foot.width)), theme.warn())
    } else if p.confirm_stop {
        Span::styled(
            "Stop the users not started yet? y stops · n goes on",
            theme.warn(),
        )
    } else if p.stopping {
        let text = match &waiting {
            // The users in flight may still be waiting out a throttle: say so.
            Some(w) => format!("Stopping after the users in flight… {w} · Esc leaves them to F"),
            None => "Stopping after the users in flight… · Esc leaves them to F".to_string(),
        };
        Span::styled(fit(&text, usize::from(foot.width)), theme.warn())
    } else if let Some(w) = waiting {
        Span::styled(
            fit(
                &format!("{w} · Esc stops the rest"),
                usize::from(foot.width),
            ),
            theme.warn(),
        )
    } else {
        Span::styled("Esc stops the remaining users (asks first)", theme.dim())
    };
    frame.render_widget(Paragraph::new(foot_text), foot);
}
