//! Where each part of the screen goes. `update` needs it (how many rows a page is, where a
//! click landed, how far a pane scrolls) and `ui` draws into it, so it lives on the app side
//! and the view depends on it, not the other way round.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

use super::state::State;

/// Below this the layout cannot work; a one-line notice is drawn instead.
pub const MIN_WIDTH: u16 = 44;
pub const MIN_HEIGHT: u16 = 10;

/// Where each part of the home screen goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Areas {
    pub header: Rect,
    pub banner: Option<Rect>,
    /// The table's block, borders included.
    pub table: Rect,
    /// The data rows inside it (below the column header).
    pub rows: Rect,
    pub details: Option<Rect>,
    /// The Restored view's lines about the selected user, under its rows.
    pub summary: Option<Rect>,
    pub log: Option<Rect>,
    /// Filter line or notice.
    pub status: Option<Rect>,
    pub footer: Rect,
}

/// Rows the Restored view's summary of the selected user takes (a rule and three lines).
pub const SUMMARY_ROWS: u16 = 4;

impl Areas {
    /// Where dialogs and overlays go: between the header and the footer, which stay in view
    /// (where you are, and which keys work in the dialog), and above the request log.
    pub fn overlay(&self) -> Rect {
        let top = self.header.bottom();
        let bottom = self.log.map_or(self.footer.y, |log| log.y);
        Rect {
            y: top,
            height: bottom.saturating_sub(top),
            ..self.header
        }
    }
}

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// The home layout for `area`, or `None` when the terminal is too small for it.
pub fn layout(state: &State, area: Rect) -> Option<Areas> {
    if too_small(area) {
        return None;
    }
    // One line each: who else holds the directory, its unfinished restores, and an earlier
    // version's (directory unknown).
    let banner_h = if super::all_tenants::on(state) {
        // Across tenants, the same lines wherever the cursor is.
        super::all_tenants::banner_lines(state)
    } else {
        u16::from(state.session().holder.is_some())
            + u16::from(!state.session().unfinished.is_empty())
            + u16::from(!state.session().earlier.is_empty())
    };
    let status_h = u16::from(
        state.session().users.filtering()
            || !state.session().users.filter().value().is_empty()
            || state.notice.is_some(),
    );
    let log_h = if state.log_open {
        (area.height / 3).clamp(4, 14)
    } else {
        0
    };
    let [header, banner, main, log, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_h),
        Constraint::Min(4),
        Constraint::Length(log_h),
        Constraint::Length(status_h),
        Constraint::Length(1),
    ])
    .areas(area);
    // The details pane is the deleted users'; the Restored view's columns say it all.
    let (table, details) = if state.details && state.view == super::restored::View::Deleted {
        if main.width >= 100 {
            let [t, d] =
                Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
                    .areas(main);
            (t, Some(d))
        } else {
            let [t, d] = Layout::new(
                Direction::Vertical,
                [Constraint::Percentage(50), Constraint::Percentage(50)],
            )
            .areas(main);
            (t, Some(d))
        }
    } else {
        (main, None)
    };
    let inner = Rect {
        x: table.x + 1,
        y: table.y + 1,
        width: table.width.saturating_sub(2),
        height: table.height.saturating_sub(2),
    };
    let mut rows = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };
    // The Restored view keeps its last rows for the selected user whole (when, by whom, ids):
    // its columns drop from the right on narrow terminals, this never does.
    let summary = (state.view == super::restored::View::Restored && rows.height >= 4).then(|| {
        rows.height -= SUMMARY_ROWS;
        Rect {
            y: rows.bottom(),
            height: SUMMARY_ROWS,
            ..rows
        }
    });
    Some(Areas {
        header,
        banner: (banner_h > 0).then_some(banner),
        table,
        rows,
        details,
        summary,
        log: (log_h > 0).then_some(log),
        status: (status_h > 0).then_some(status),
        footer,
    })
}

/// How many data rows the table shows at the current terminal size.
pub fn table_rows(state: &State) -> usize {
    let area = Rect::new(0, 0, state.size.0, state.size.1);
    layout(state, area).map_or(1, |a| usize::from(a.rows.height).max(1))
}

/// A `w`×`h` rectangle centred in `area`, shrunk to fit.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The inside of a bordered block drawn over `area` (a one-cell border on every side).
pub fn inside_border(area: Rect) -> Rect {
    Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}
