//! The deleted-users table (only the rows on screen are built) and the details pane.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::fit_line;
use super::text::{fit, pad, width};
use super::theme::Theme;
use crate::app::state::{Row, SortColumn, State};

/// Days left at or under which a user is flagged `[EXPIRES]` and drawn in red.
pub const EXPIRING_DAYS: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    UserName,
    Deleted,
    Left,
    Department,
    JobTitle,
}

impl Column {
    pub fn title(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::UserName => "User name",
            Column::Deleted => "Deleted",
            Column::Left => "Left",
            Column::Department => "Department",
            Column::JobTitle => "Job title",
        }
    }
}

/// Width of the pointer + mark prefix ("▶■ ").
pub const PREFIX: usize = 3;

/// Column widths for an inner width: name and user name share what the fixed columns leave;
/// fixed columns drop from the right when the terminal is narrow.
pub fn columns(inner: usize) -> Vec<(Column, usize)> {
    let fixed = [
        (Column::Deleted, 9),
        (Column::Left, 7),
        (Column::Department, 14),
        (Column::JobTitle, 16),
    ];
    // Dropped from the right, except that "Left" outlives "Deleted": how long is left before
    // the purge matters more than when the user was deleted.
    let drop_order = [
        Column::JobTitle,
        Column::Department,
        Column::Deleted,
        Column::Left,
    ];
    let min_flex = 44;
    let mut kept: Vec<(Column, usize)> = fixed.to_vec();
    let used = |k: &[(Column, usize)]| k.iter().map(|(_, w)| w + 1).sum::<usize>();
    for col in drop_order {
        if PREFIX + min_flex + 1 + used(&kept) <= inner {
            break;
        }
        kept.retain(|(c, _)| *c != col);
    }
    let flex = inner.saturating_sub(PREFIX + used(&kept) + 1);
    let name = flex * 9 / 20;
    let upn = flex - name;
    let mut cols = vec![(Column::Name, name), (Column::UserName, upn)];
    cols.extend(kept);
    cols
}

/// "3d ago", "5h ago", "just now".
pub fn relative(then: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(then) = then else {
        return "—".into();
    };
    let secs = (now - then).num_seconds();
    if secs < 60 {
        "just now".into()
    } else if secs < 3600 {
        format!("{}m ago", secs / 60)
    } else if secs < 86_400 {
        format!("{}h ago", secs / 3600)
    } else {
        format!("{}d ago", secs / 86_400)
    }
}

pub fn days_left_text(days_left: Option<i64>) -> String {
    match days_left {
        None => "—".into(),
        Some(d) if d < 0 => "overdue".into(),
        Some(0) => "<1d".into(),
        Some(d) => format!("{d}d"),
    }
}

/// The badges of a user, in text so they survive NO_COLOR and screen readers.
pub fn badges(days_left: Option<i64>, conflict: bool, synced: bool, guest: bool) -> Vec<String> {
    let mut b = Vec::new();
    if let Some(d) = days_left
        && d <= EXPIRING_DAYS
    {
        b.push(if d <= 0 {
            "[EXPIRES today]".into()
        } else {
            format!("[EXPIRES {d}d]")
        });
    }
    if conflict {
        b.push("[CONFLICT]".into());
    }
    if synced {
        b.push("[SYNCED]".into());
    }
    if guest {
        b.push("[GUEST]".into());
    }
    b
}

fn sort_arrow(state: &State) -> &'static str {
    // Ascending means "first things first" for every column; for days left that is soonest.
    if state.users.reverse { "▼" } else { "▲" }
}

fn title(state: &State) -> String {
    let u = &state.users;
    let filter = if u.filter.value().is_empty() {
        "none".to_string()
    } else {
        format!("\"{}\"", fit(u.filter.value(), 24))
    };
    let sort = match u.sort {
        SortColumn::Deleted => "deleted (newest)",
        other => other.label(),
    };
    format!(
        " Deleted users ─ {} · shown {} · marked {} · sort: {} {} · filter: {} ",
        u.rows.len(),
        u.shown.len(),
        u.marked_count,
        sort,
        sort_arrow(state),
        filter
    )
}

pub fn draw_table(state: &State, theme: &Theme, frame: &mut Frame, block_area: Rect, rows: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if state.modal.is_none() {
            theme.border_focus()
        } else {
            theme.border()
        })
        .title(Span::styled(
            fit(
                &title(state),
                usize::from(block_area.width.saturating_sub(2)),
            ),
            theme.title(),
        ));
    frame.render_widget(block, block_area);
    let inner_w = usize::from(rows.width);
    let cols = columns(inner_w);
    // Column header.
    let mut head = vec![Span::raw(" ".repeat(PREFIX))];
    for (i, (col, w)) in cols.iter().enumerate() {
        if i > 0 {
            head.push(Span::raw(" "));
        }
        head.push(Span::styled(pad(col.title(), *w), theme.column_header()));
    }
    let head_area = Rect {
        y: rows.y.saturating_sub(1),
        height: 1,
        ..rows
    };
    frame.render_widget(Paragraph::new(fit_line(head, inner_w)), head_area);

    let u = &state.users;
    if u.shown.is_empty() {
        let msg = if u.loading {
            "Loading deleted users…".to_string()
        } else if let Some(err) = &u.load_error {
            format!("Could not load: {err} (R retries)")
        } else if u.rows.is_empty() {
            "No deleted users: nothing to restore.".to_string()
        } else {
            "No user matches the filter (Esc clears it).".to_string()
        };
        let style = if u.load_error.is_some() {
            theme.danger()
        } else {
            theme.dim()
        };
        frame.render_widget(
            Paragraph::new(Span::styled(fit(&msg, inner_w), style)),
            Rect {
                height: rows.height.min(1),
                ..rows
            },
        );
        return;
    }
    let height = usize::from(rows.height);
    let end = (u.offset + height).min(u.shown.len());
    let mut lines: Vec<Line> = Vec::with_capacity(height);
    for pos in u.offset..end {
        let idx = u.shown[pos];
        let user = &u.rows[idx as usize];
        let selected = pos == u.selected;
        let marked = u.is_marked(idx);
        lines.push(row_line(
            state, theme, user, &cols, selected, marked, inner_w,
        ));
    }
    frame.render_widget(Paragraph::new(lines), rows);
}

fn row_line(
    state: &State,
    theme: &Theme,
    user: &Row,
    cols: &[(Column, usize)],
    selected: bool,
    marked: bool,
    inner_w: usize,
) -> Line<'static> {
    let now = state.now;
    let conflict = state.users.conflicts.contains(user.id());
    let days = user.days_left(now);
    let mut spans = Vec::with_capacity(cols.len() * 2 + 2);
    spans.push(Span::raw(if selected { "▶" } else { " " }));
    spans.push(Span::styled(
        if marked { "■ " } else { "□ " },
        if marked { theme.marked() } else { theme.dim() },
    ));
    let expiring = days.is_some_and(|d| d <= EXPIRING_DAYS);
    for (i, (col, w)) in cols.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let w = *w;
        match col {
            Column::Name => {
                let tags = badges(days, conflict, user.synced(), user.is_guest()).join(" ");
                if tags.is_empty() {
                    spans.push(Span::raw(pad(user.display_name(), w)));
                } else {
                    let tw = width(&tags);
                    // The name keeps at least a few columns; badges give way (cut with …).
                    let name_min = width(user.display_name()).min(10);
                    if name_min + 4 < w {
                        let name = fit(user.display_name(), w.saturating_sub(tw + 2).max(name_min));
                        let nw = width(&name);
                        spans.push(Span::raw(name));
                        spans.push(Span::raw("  "));
                        spans.push(Span::styled(
                            pad(&tags, w.saturating_sub(nw + 2)),
                            if expiring {
                                theme.danger()
                            } else {
                                theme.badge()
                            },
                        ));
                    } else {
                        spans.push(Span::styled(pad(&tags, w), theme.badge()));
                    }
                }
            }
            Column::UserName => spans.push(Span::raw(pad(user.original_upn(), w))),
            Column::Deleted => spans.push(Span::raw(pad(&relative(user.deleted_at, now), w))),
            Column::Left => {
                let style = if expiring {
                    theme.danger()
                } else {
                    theme.base()
                };
                spans.push(Span::styled(pad(&days_left_text(days), w), style));
            }
            Column::Department => spans.push(Span::raw(pad(
                user.department().filter(|s| !s.is_empty()).unwrap_or("—"),
                w,
            ))),
            Column::JobTitle => spans.push(Span::raw(pad(
                user.job_title().filter(|s| !s.is_empty()).unwrap_or("—"),
                w,
            ))),
        }
    }
    let line = fit_line(spans, inner_w);
    if selected {
        line.style(theme.selected())
    } else if marked {
        line.style(theme.marked())
    } else {
        line
    }
}

/// The details pane: every field of the selected user.
pub fn draw_details(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(" Details ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(user) = state.users.current() else {
        frame.render_widget(Paragraph::new("No user selected."), inner);
        return;
    };
    let now = state.now;
    let w = usize::from(inner.width);
    let label_w = 14.min(w / 2);
    let value_w = w.saturating_sub(label_w).max(1);
    // A value that fits goes beside its label; a longer one goes below it, wrapped, so ids and
    // user names are never cut in the one place meant to show them whole.
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut field = |label: &str, value: String| {
        if width(&value) <= value_w {
            lines.push(Line::from(vec![
                Span::styled(pad(label, label_w), theme.dim()),
                Span::raw(value),
            ]));
        } else {
            lines.push(Line::from(Span::styled(label.to_string(), theme.dim())));
            for chunk in chunks(&value, w.saturating_sub(2).max(1)) {
                lines.push(Line::from(format!("  {chunk}")));
            }
        }
    };
    let opt = |v: &Option<String>| {
        v.clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "—".into())
    };
    field("User name", user.original_upn.clone());
    field("Deleted UPN", user.deleted_upn.clone());
    field("Object id", user.id.clone());
    field("Mail", opt(&user.mail));
    field(
        "Type",
        if user.is_guest() {
            "Guest".into()
        } else {
            opt(&user.user_type).replace('—', "Member")
        },
    );
    field("Job title", opt(&user.job_title));
    field("Department", opt(&user.department));
    field(
        "Deleted",
        match user.deleted_at {
            Some(d) => format!(
                "{} ({})",
                d.format("%Y-%m-%d %H:%M UTC"),
                relative(Some(d), now)
            ),
            None => "—".into(),
        },
    );
    field(
        "Purged on",
        match user.purge_at() {
            Some(p) => format!(
                "≈ {} ({} left)",
                p.format("%Y-%m-%d %H:%M UTC"),
                days_left_text(user.days_left(now))
            ),
            None => "—".into(),
        },
    );
    field(
        "On-premises",
        if user.on_premises_sync_enabled {
            "synced: on-premises AD is the source of truth".into()
        } else {
            "cloud only".into()
        },
    );
    match user.proxy_addresses.split_first() {
        None => field("Proxy addr.", "—".into()),
        Some((first, rest)) => {
            field("Proxy addr.", first.clone());
            for p in rest {
                field("", p.clone());
            }
        }
    }
    if state.users.conflicts.contains(&user.id) {
        lines.push(Line::from(Span::styled(
            "⚠ Its user name or a proxy address is held by an active user.",
            theme.warn(),
        )));
    }
    let mut all = vec![Line::from(Span::styled(
        user.display_name.clone(),
        theme.title(),
    ))];
    all.extend(lines);
    frame.render_widget(Paragraph::new(all).wrap(Wrap { trim: false }), inner);
}

/// Splits `s` into pieces of at most `w` display columns (hard wrap, for ids and addresses).
fn chunks(s: &str, w: usize) -> Vec<String> {
    use unicode_segmentation::UnicodeSegmentation;
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let gw = width(g);
        if used + gw > w && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            used = 0;
        }
        cur.push_str(g);
        used += gw;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
