//! The deleted-users table (ratatui's `Table` over only the rows on screen) and the details
//! pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::grid::{Grid, GridRow};
use super::theme::Theme;
use crate::app::all_tenants::{self, AllTenants};
use crate::app::details::{self, DetailLine};
use crate::app::sessions::SessionState;
use crate::app::state::State;
use crate::app::users::ContentWidths;
use crate::app::users::{Row, SortKey, UsersView};
use crate::directory::TimeLeft;
use crate::text::{fit, width};

pub use crate::directory::time_left::EXPIRING_DAYS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The row's tenant, in the table across tenants.
    Tenant,
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
            Column::Tenant => "Tenant",
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

/// The fixed columns (`(column, width)`) that fit in `inner` beside `min_flex` columns of
/// names, dropping them in `drop_order` until they do, and the width left for the names.
/// Each column takes its width and one space; `prefix` is the selection marks' width. Shared
/// by the deleted users' table and the Restored view.
pub fn keep_columns<C: Copy + PartialEq>(
    inner: usize,
    prefix: usize,
    fixed: &[(C, usize)],
    drop_order: &[C],
    min_flex: usize,
) -> (Vec<(C, usize)>, usize) {
    let mut kept = fixed.to_vec();
    let used = |k: &[(C, usize)]| k.iter().map(|(_, w)| w + 1).sum::<usize>();
    for col in drop_order {
        if prefix + min_flex + 1 + used(&kept) <= inner {
            break;
        }
        kept.retain(|(c, _)| c != col);
    }
    let flex = inner.saturating_sub(prefix + used(&kept) + 1);
    (kept, flex)
}

/// Column widths for an inner width: the fixed columns (Deleted, Left) keep theirs; name, user
/// name, department and job title share the rest by content: each grows towards its widest
/// text (`content`): the names keep their even share of the room up to their content, what
/// they do not need goes to the columns still cut (names twice as fast as the others), and
/// room left once all are whole goes to the last. Columns drop from the right when the
/// terminal is narrow.
pub fn columns(inner: usize, content: &ContentWidths) -> Vec<(Column, usize)> {
    columns_for(inner, content, None)
}

/// `columns`, with a Tenant column first `tenant` wide when the table is across tenants: it
/// outlives Deleted, since whose user this is matters more than when it went.
pub fn columns_for(
    inner: usize,
    content: &ContentWidths,
    tenant: Option<usize>,
) -> Vec<(Column, usize)> {
    // Under 140 columns the name is what the admin reads first: department and job title
    // start from a little less room (they are whole in the details pane).
    let (dept_w, job_w) = if inner < 140 { (12, 12) } else { (14, 16) };
    let mut fixed = vec![
        (Column::Deleted, 9),
        (Column::Left, 7),
        (Column::Department, dept_w),
        (Column::JobTitle, job_w),
    ];
    if let Some(w) = tenant {
        // Narrower before it goes: beside the names and Left, a cut tenant name still says
        // whose user this is, which matters more than when it was deleted.
        let beside = PREFIX + NAMES_MIN + 1 + 8 + 1;
        let w = w.min(inner.saturating_sub(beside)).max(TENANT_MIN);
        fixed.push((Column::Tenant, w));
    }
    // Dropped from the right, except that "Left" outlives "Deleted": how long is left before
    // the purge matters more than when the user was deleted.
    let drop_order = [
        Column::JobTitle,
        Column::Department,
        Column::Deleted,
        Column::Tenant,
        Column::Left,
    ];
    let (kept, flex) = keep_columns(inner, PREFIX, &fixed, &drop_order, NAMES_MIN);
    let name = flex / 2;
    let mut cols: Vec<(Column, usize)> = kept
        .iter()
        .copied()
        .filter(|(c, _)| *c == Column::Tenant)
        .collect();
    cols.extend([(Column::Name, name), (Column::UserName, flex - name)]);
    cols.extend(kept.into_iter().filter(|(c, _)| *c != Column::Tenant));
    share_by_content(&mut cols, content);
    cols
}

/// The share of rows whose text a column is sized to show whole.
pub const CONTENT_SHARE: f64 = 0.97;

/// Moves width between the sharing columns of `cols` (whose total it keeps) so that none is
/// wider than its content while another is cut. Two rounds: first each towards the width of
/// 97% of its values; with room to spare, towards its widest value (the name with room for
/// an expiry badge too); what is left after that goes to the last column.
fn share_by_content(cols: &mut [(Column, usize)], content: &ContentWidths) {
    // (index in cols, weight, most of the values, all of them)
    let mut share: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut widths: Vec<usize> = Vec::new();
    let mut total = 0;
    for (i, (col, w)) in cols.iter().enumerate() {
        let (counts, weight, short_room, badge_room) = match col {
            Column::Name => (&content.name, 2, SHORT_BADGE_ROOM, EXPIRY_BADGE_ROOM),
            Column::UserName => (&content.user_name, 2, 0, 0),
            Column::Department => (&content.department, 1, 0, 0),
            Column::JobTitle => (&content.job_title, 1, 0, 0),
            Column::Deleted | Column::Left | Column::Tenant => continue,
        };
        // Room for the title and the sort arrow, whatever the content.
        let title = col.title().len() + 2;
        // A name counts with room for a short badge: most rows the admin acts on carry one.
        let most = (counts.fitting(CONTENT_SHARE) + short_room).max(title);
        let all = (counts.fitting(1.0) + badge_room).max(most);
        // The names keep their even share up to their content (what the admin reads first
        // stays as wide as it was); only what they do not need goes to the others.
        let least = match col {
            Column::Name | Column::UserName => (*w).min(most),
            _ => *w,
        };
        total += *w;
        widths.push(least);
        share.push((i, weight, most.max(least), all.max(least)));
    }
    let Some(last) = widths.len().checked_sub(1) else {
        return;
    };
    let mut spare = total - widths.iter().sum::<usize>();
    let most: Vec<usize> = share.iter().map(|s| s.2).collect();
    let all: Vec<usize> = share.iter().map(|s| s.3).collect();
    let weights: Vec<usize> = share.iter().map(|s| s.1).collect();
    spare = fill(&mut widths, &most, &weights, spare);
    spare = fill(&mut widths, &all, &weights, spare);
    widths[last] += spare;
    for (k, (i, ..)) in share.iter().enumerate() {
        cols[*i].1 = widths[k];
    }
}

/// Room the name column keeps, once everything else is whole, for "  [EXPIRES today]".
const EXPIRY_BADGE_ROOM: usize = 17;

/// Room the name column asks for as soon as it can, for "  [EXP 28h]".
const SHORT_BADGE_ROOM: usize = 11;

/// Water-filling: every column still short of its `want` takes its weight's part of `spare`,
/// up to its want, until nothing is left or all have theirs. Returns what is left.
fn fill(widths: &mut [usize], want: &[usize], weights: &[usize], mut spare: usize) -> usize {
    while spare > 0 {
        let short: Vec<usize> = (0..widths.len()).filter(|&k| widths[k] < want[k]).collect();
        if short.is_empty() {
            break;
        }
        let total_weight: usize = short.iter().map(|&k| weights[k]).sum();
        let before = spare;
        for &k in &short {
            let part = (before * weights[k] / total_weight).max(1).min(spare);
            let take = part.min(want[k] - widths[k]);
            widths[k] += take;
            spare -= take;
            if spare == 0 {
                break;
            }
        }
    }
    spare
}

/// The column a sort orders by.
pub fn sort_column(sort: SortKey) -> Column {
    match sort {
        SortKey::DaysLeft => Column::Left,
        SortKey::Name => Column::Name,
        SortKey::UserName => Column::UserName,
        SortKey::Deleted => Column::Deleted,
        SortKey::Department => Column::Department,
    }
}

/// The order in words: what comes first.
pub fn sort_words(sort: SortKey, reverse: bool) -> &'static str {
    match (sort, reverse) {
        (SortKey::DaysLeft, false) => "soonest purge first",
        (SortKey::DaysLeft, true) => "latest purge first",
        (SortKey::Deleted, false) => "newest first",
        (SortKey::Deleted, true) => "oldest first",
        (SortKey::Name | SortKey::UserName | SortKey::Department, false) => "A to Z",
        (SortKey::Name | SortKey::UserName | SortKey::Department, true) => "Z to A",
    }
}

/// The Left column: "36h", "5d", "overdue", or "—" without a deletion time.
pub fn time_left_text(left: Option<TimeLeft>) -> String {
    crate::directory::time_left::short(left)
}

/// Whether a user is flagged and drawn in red.
pub fn is_expiring(left: Option<TimeLeft>) -> bool {
    left.is_some_and(|t| t.is_expiring())
}

pub use crate::badges::{BadgeSize, Expiry, Flags, NAME_FLOOR, badges, name_cell};

/// The badges' form shrinks before a name goes under this many columns (or its whole width
/// when shorter) for its expiry badge: a long name gives a little room, not most of itself.
pub const NAME_KEEP: usize = 20;

/// The form for a Name column `w` wide: the widest that leaves a name `NAME_KEEP` columns
/// beside its expiry badge at its widest, in full words with one more badge beside it
/// (`[EXPIRES today] [CONFLICT]`: full words are 7 to 10 columns a badge), short alone (`[EXP
/// today]`: a name gives the few columns of `[C]` or `[S]` way); else the narrowest. The
/// width alone decides, never the rows a filter or the scroll shows: whether a user's purge is
/// flagged must not hang on another row's long name. The expiry badge goes only where
/// `left_shown` (the Left column says it, in red); the other badges are never dropped, only
/// shortened, then cut (see `name_cell`).
pub fn badge_size(w: usize, left_shown: bool) -> BadgeSize {
    let forms: &[BadgeSize] = if left_shown {
        &[BadgeSize::Full, BadgeSize::Short, BadgeSize::NoExpiry]
    } else {
        &[BadgeSize::Full, BadgeSize::Short]
    };
    let fits = |size: BadgeSize| {
        let flags = Flags {
            conflict: size == BadgeSize::Full,
            ..Flags::default()
        };
        let widest = badges(Some(Expiry::Today), flags, size).join(" ");
        NAME_KEEP + 2 + width(&widest) <= w
    };
    let narrowest = forms[forms.len() - 1];
    forms
        .iter()
        .copied()
        .find(|s| fits(*s))
        .unwrap_or(narrowest)
}

/// What the table draws: the rows of the tenant on screen, or every tenant's (the table
/// across tenants, where one filter and one sort hold for all, so the lead's are theirs).
struct Listing<'a> {
    state: &'a State,
    /// Every open tenant, in the order the table across tenants numbers them.
    sessions: Vec<&'a SessionState>,
    all: Option<&'a AllTenants>,
}

impl<'a> Listing<'a> {
    fn of(state: &'a State) -> Self {
        let all = state.all.as_ref().filter(|_| all_tenants::on(state));
        Self {
            state,
            sessions: if all.is_some() {
                state.sessions.iter().collect()
            } else {
                Vec::new()
            },
            all,
        }
    }

    /// The table whose filter, sort and narrowing the listing shows.
    fn lead(&self) -> &'a UsersView {
        &self.state.session().users
    }

    fn selected(&self) -> usize {
        self.all
            .map_or(self.lead().selected(), AllTenants::selected)
    }

    fn offset(&self) -> usize {
        self.all.map_or(self.lead().offset(), AllTenants::offset)
    }

    /// The rows from the top of the window, each with its tenant.
    fn window(&self, count: usize) -> Vec<(&'a SessionState, u32)> {
        match self.all {
            Some(all) => all
                .visible(all.offset(), count)
                .iter()
                .filter_map(|e| {
                    let s = *self.sessions.get(usize::from(e.tenant))?;
                    Some((s, *s.users.shown().get(e.pos as usize)?))
                })
                .collect(),
            None => {
                let s = self.state.session();
                s.users
                    .visible(s.users.offset(), count)
                    .iter()
                    .map(|&i| (s, i))
                    .collect()
            }
        }
    }

    fn sum(&self, of: impl Fn(&UsersView) -> usize) -> usize {
        match self.all {
            Some(_) => self.sessions.iter().map(|s| of(&s.users)).sum(),
            None => of(self.lead()),
        }
    }

    fn loaded(&self) -> usize {
        self.sum(|u| u.rows().len())
    }

    fn shown(&self) -> usize {
        self.sum(|u| u.shown().len())
    }

    fn marked(&self) -> usize {
        self.sum(UsersView::marked_count)
    }

    fn loading(&self) -> bool {
        match self.all {
            Some(_) => self.sessions.iter().any(|s| s.users.loading()),
            None => self.lead().loading(),
        }
    }

    /// The load's failure when nothing else is shown: the lead's, or the first tenant's.
    fn load_error(&self) -> Option<&'a str> {
        match self.all {
            Some(_) => self.sessions.iter().find_map(|s| s.users.load_error()),
            None => self.lead().load_error(),
        }
    }

    fn sweeping(&self) -> bool {
        match self.all {
            Some(_) => self.sessions.iter().any(|s| s.sweep.busy()),
            None => self.state.session().sweep.busy(),
        }
    }

    fn content_widths(&self) -> std::borrow::Cow<'a, ContentWidths> {
        match self.all {
            Some(_) => {
                let mut sum = ContentWidths::default();
                for s in &self.sessions {
                    sum.add(s.users.content_widths());
                }
                std::borrow::Cow::Owned(sum)
            }
            None => std::borrow::Cow::Borrowed(self.lead().content_widths()),
        }
    }

    /// The Tenant column's width: its longest name, within reason.
    fn tenant_width(&self) -> Option<usize> {
        self.all?;
        let longest = self
            .sessions
            .iter()
            .map(|s| width(s.facts.tenant()))
            .max()
            .unwrap_or(0);
        Some(longest.clamp(Column::Tenant.title().len(), TENANT_MAX))
    }

    /// " Deleted users ─ 1200" or, across tenants, " Deleted users in 3 tenants ─ 1200".
    fn what(&self) -> String {
        match self.all {
            Some(_) => format!(" Deleted users in {} tenants", self.sessions.len()),
            None => " Deleted users".to_string(),
        }
    }
}

/// The Tenant column is never wider than this: names past it are cut with `…`.
const TENANT_MAX: usize = 20;

/// Nor narrower than this: under it the column gives way (the details pane names the tenant).
const TENANT_MIN: usize = 8;

/// The room the two name columns keep before any other column does.
const NAMES_MIN: usize = 44;

/// The arrow on the sorted column's header: ▲ when what the column shows grows down the list
/// (A to Z, "2h" before "3d", "1d ago" before "5d ago"), ▼ when it shrinks. The title says the
/// order in words too.
fn sort_arrow(state: &State) -> &'static str {
    if state.session().users.reverse() {
        "▼"
    } else {
        "▲"
    }
}

/// The table's title for `max` columns: every count, sort and filter when it fits; otherwise
/// what is at its default (nothing filtered out, nothing marked), what the filter line
/// already shows and the sort its column header shows are left out before anything is cut.
fn title(list: &Listing, max: usize, sort_shown: bool) -> String {
    let full = full_title(list);
    if width(&full) <= max {
        return full;
    }
    let u = list.lead();
    let mut parts = vec![format!("{} ─ {}", list.what(), list.loaded())];
    if !u.filter().value().is_empty() || u.only_conflicts() || u.only_marked() {
        parts.push(format!("shown {}", list.shown()));
    }
    if u.only_conflicts() {
        parts.push("only conflicts".into());
    }
    if u.only_marked() {
        parts.push("only marked".into());
    }
    if list.marked() > 0 {
        parts.push(format!("marked {}", list.marked()));
    }
    if !sort_shown {
        // Its column gave way: the title is the only place left to say it.
        parts.push(format!(
            "by {} {}",
            u.sort().label(),
            sort_arrow(list.state)
        ));
    }
    format!("{} ", parts.join(" · "))
}

fn full_title(list: &Listing) -> String {
    let u = list.lead();
    let filter = if u.filter().value().is_empty() {
        "none".to_string()
    } else {
        format!("\"{}\"", fit(u.filter().value(), 24))
    };
    let filter = if u.only_conflicts() {
        format!("{filter} + only conflicts")
    } else {
        filter
    };
    let filter = if u.only_marked() {
        format!("{filter} + only marked")
    } else {
        filter
    };
    format!(
        "{} ─ {} · shown {} · marked {} · sort: {}, {} · filter: {} ",
        list.what(),
        list.loaded(),
        list.shown(),
        list.marked(),
        u.sort().label(),
        sort_words(u.sort(), u.reverse()),
        filter
    )
}

pub fn draw_table(state: &State, theme: &Theme, frame: &mut Frame, block_area: Rect, rows: Rect) {
    let list = Listing::of(state);
    let u = list.lead();
    let cols = columns_for(
        usize::from(rows.width),
        &list.content_widths(),
        list.tenant_width(),
    );
    let sort_shown = cols.iter().any(|(c, _)| *c == sort_column(u.sort()));
    let title_w = usize::from(block_area.width.saturating_sub(2));
    let border_style = if state.modal.is_none() {
        theme.border_focus()
    } else {
        theme.border()
    };
    let title = Span::styled(
        fit(&title(&list, title_w, sort_shown), title_w),
        theme.title(),
    );
    super::border::render_border(
        &Block::default().border_style(border_style),
        title.into(),
        block_area,
        frame.buffer_mut(),
    );
    // The engine in `app/users` (or `app/all_tenants`) chose the window: only its rows go to
    // the widget, so the widget's own offset stays 0 and its selection is the pointer's place
    // in the window.
    let window = list.window(usize::from(rows.height));
    let name_w = cols
        .iter()
        .find(|(c, _)| *c == Column::Name)
        .map_or(0, |(_, w)| *w);
    let size = badge_size(name_w, cols.iter().any(|(c, _)| *c == Column::Left));
    let body: Vec<GridRow> = (list.offset()..)
        .zip(&window)
        .map(|(pos, &(s, idx))| {
            let user = &s.users.rows()[idx as usize];
            let look = RowLook {
                selected: pos == list.selected(),
                marked: s.users.is_marked(idx),
                badges: size,
            };
            body_row(state, theme, (s, user), &cols, look)
        })
        .collect();
    let selected = list
        .selected()
        .checked_sub(list.offset())
        .filter(|&at| at < body.len());
    let widths: Vec<u16> = std::iter::once(1)
        .chain(cols.iter().map(|(_, w)| *w as u16))
        .collect();
    let table = Grid {
        widths: &widths,
        header: header(state, theme, &cols),
        rows: body,
        selected,
        // Always the pointer's column, so the rows do not shift when nothing is selected.
        symbol: "▶",
    };
    // The header sits on the line above the rows.
    let area = Rect {
        y: rows.y.saturating_sub(1),
        height: rows.height + 1,
        ..rows
    };
    frame.render_widget(&table, area);
    if list.shown() == 0 {
        draw_empty(&list, theme, frame, rows);
    }
}

/// The column header; the sorted column carries the arrow.
fn header(state: &State, theme: &Theme, cols: &[(Column, usize)]) -> GridRow {
    let sorted = sort_column(state.session().users.sort());
    let titles = cols.iter().map(|(col, w)| {
        let title = if *col == sorted {
            format!("{} {}", col.title(), sort_arrow(state))
        } else {
            col.title().to_string()
        };
        Line::from(fit(&title, *w))
    });
    GridRow {
        style: theme.column_header(),
        cells: std::iter::once(Line::default()).chain(titles).collect(),
    }
}

/// Why there are no rows, where the first would be.
fn draw_empty(list: &Listing, theme: &Theme, frame: &mut Frame, rows: Rect) {
    let u = list.lead();
    let msg = if list.loading() {
        "Loading deleted users…".to_string()
    } else if let Some(err) = list.load_error() {
        format!("Could not load: {err} (R retries)")
    } else if list.loaded() == 0 {
        "No deleted users: nothing to restore.".to_string()
    } else if u.only_marked() && u.filter().value().is_empty() {
        "No marked user: Space marks one (m shows everyone).".to_string()
    } else if u.only_conflicts() && u.filter().value().is_empty() {
        if list.sweeping() {
            "No user in conflict so far: the sweep is still checking (c shows everyone)."
                .to_string()
        } else {
            "No user in conflict (c shows everyone).".to_string()
        }
    } else {
        "No user matches the filter (Esc clears it).".to_string()
    };
    let style = if list.load_error().is_some() {
        theme.danger()
    } else {
        theme.dim()
    };
    frame.render_widget(
        Paragraph::new(Span::styled(fit(&msg, usize::from(rows.width)), style)),
        Rect {
            height: rows.height.min(1),
            ..rows
        },
    );
}

/// One user's row (with its tenant's table, for its badges): the mark, then a cell per
/// column, each cut to its width with an ellipsis (and sanitized) here, since the widget
/// would only clip.
fn body_row(
    state: &State,
    theme: &Theme,
    (session, user): (&SessionState, &Row),
    cols: &[(Column, usize)],
    look: RowLook,
) -> GridRow {
    let RowLook {
        selected,
        marked,
        badges,
    } = look;
    let now = state.now;
    let left = user.deleted_at.map(|d| TimeLeft::after_deletion(d, now));
    // On the selection bar every cell takes the bar's colours (the row's style), except
    // badges and urgency, which take the bar's own readable ones. Not the widget's
    // highlight style: it would paint over them.
    let (row_style, mark_style, badge, danger) = if selected {
        (
            theme.selected(),
            theme.base(),
            theme.bar_badge(),
            theme.bar_danger(),
        )
    } else if marked {
        (
            theme.marked(),
            theme.marked(),
            theme.badge(),
            theme.danger(),
        )
    } else {
        (theme.base(), theme.dim(), theme.badge(), theme.danger())
    };
    let expiring = is_expiring(left);
    let text =
        |s: Option<&str>, w: usize| Line::from(fit(s.filter(|s| !s.is_empty()).unwrap_or("—"), w));
    let cells = cols.iter().map(|&(col, w)| match col {
        Column::Tenant => Line::from(fit(session.facts.tenant(), w)),
        Column::Name => {
            let (expiry, flags) = row_badges(state, session, user);
            let (name, tags) = name_cell(user.display_name(), w, expiry, flags, badges);
            if tags.is_empty() {
                Line::from(name)
            } else {
                let style = if expiring { danger } else { badge };
                let mut spans = placed_spans(name);
                spans.extend([Span::raw("  "), Span::styled(tags, style)]);
                Line::from(spans)
            }
        }
        Column::UserName => Line::from(fit(user.original_upn(), w)),
        Column::Deleted => Line::from(fit(&super::text::ago(user.deleted_at, now), w)),
        Column::Left => {
            let style = if expiring { danger } else { theme.base() };
            Line::from(Span::styled(fit(&time_left_text(left), w), style))
        }
        Column::Department => text(user.department(), w),
        Column::JobTitle => text(user.job_title(), w),
    });
    let mark = Line::from(Span::styled(if marked { "■" } else { "□" }, mark_style));
    GridRow {
        style: row_style,
        cells: std::iter::once(mark).chain(cells).collect(),
    }
}

/// How a row is drawn: on the selection bar, marked, and the column's badge form.
#[derive(Debug, Clone, Copy)]
struct RowLook {
    selected: bool,
    marked: bool,
    badges: BadgeSize,
}

/// A user's expiry and flags, as its badges say them: conflicts as its own tenant found them.
fn row_badges(state: &State, session: &SessionState, user: &Row) -> (Option<Expiry>, Flags) {
    let left = user
        .deleted_at
        .map(|d| TimeLeft::after_deletion(d, state.now));
    let flags = Flags {
        conflict: session.users.is_conflict(user.id()),
        by_sync: session.sweep.is_by_sync(user.id()),
        synced: user.synced(),
        guest: user.is_guest(),
    };
    (Expiry::of(left, state.settings.local_offset), flags)
}

/// `text` as spans that the next span on the line starts right after. ratatui places a line's
/// next span at the string's width, but draws the string grapheme by grapheme, and the two
/// differ for some scripts (unicode-width counts Arabic lam-alef as one column, the buffer
/// two): the badge after such a name would cover its last letter. Then each grapheme is its
/// own span, so both widths agree.
pub fn placed_spans(text: String) -> Vec<Span<'static>> {
    use unicode_segmentation::UnicodeSegmentation;
    if text.is_ascii() {
        return vec![Span::raw(text)];
    }
    let drawn: usize = text.graphemes(true).map(|g| Span::raw(g).width()).sum();
    if drawn == Span::raw(text.as_str()).width() {
        return vec![Span::raw(text)];
    }
    text.graphemes(true)
        .map(|g| Span::raw(g.to_string()))
        .collect()
}

/// The details pane: every field of the selected user, scrolled by J/K (Shift-↓/↑) or the
/// wheel when it is longer than the pane (a user with many proxy addresses).
pub fn draw_details(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(" Details ", theme.title()));
    let inner = block.inner(area);
    let lines = details_lines(state, theme, inner.width);
    let height = usize::from(inner.height);
    let total = lines.len();
    let top = state.details_top().min(total.saturating_sub(height));
    if total > height {
        // Where we are and how to see the rest, on the bottom border.
        let last = (top + height).min(total);
        let arrows = match (top > 0, last < total) {
            (true, true) => "↑↓",
            (true, false) => "↑",
            _ => "↓",
        };
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(" {arrows} {}-{last} of {total} · J/K ", top + 1),
                theme.dim(),
            ))
            .right_aligned(),
        );
    }
    frame.render_widget(block, area);
    let visible: Vec<Line<'static>> = lines.into_iter().skip(top).take(height).collect();
    frame.render_widget(Paragraph::new(visible), inner);
}

/// The details pane's lines (from `app::details`, which also counts them for scrolling),
/// styled.
pub fn details_lines(state: &State, theme: &Theme, cols: u16) -> Vec<Line<'static>> {
    details::lines(state, cols)
        .into_iter()
        .map(|l| match l {
            DetailLine::Title(t) => Line::from(Span::styled(t, theme.title())),
            DetailLine::Warning(t) => Line::from(Span::styled(t, theme.warn())),
            DetailLine::Field { label, value } => {
                Line::from(vec![Span::styled(label, theme.dim()), Span::raw(value)])
            }
            DetailLine::Label(t) => Line::from(Span::styled(t, theme.dim())),
            DetailLine::Plain(t) => Line::from(t),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::{DateTime, Duration, TimeZone, Utc};

    const GREEK: &str = "Γιώργος Γεωργίου";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 4, 0).unwrap()
    }

    fn in_hours(h: i64) -> TimeLeft {
        TimeLeft::until(now() + Duration::hours(h), now())
    }

    fn plus1() -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt(3600).unwrap()
    }

    fn three_days() -> Option<Expiry> {
        Expiry::of(Some(in_hours(72)), plus1())
    }

    #[test]
    fn one_form_per_column_width_the_widest_that_leaves_a_name_its_room() {
        let synced = Flags {
            synced: true,
            ..Flags::default()
        };
        // "[EXPIRES today] [CONFLICT]" beside a 20-column name, then "[EXP today]".
        assert_eq!(badge_size(48, true), BadgeSize::Full);
        assert_eq!(badge_size(47, true), BadgeSize::Short);
        assert_eq!(badge_size(33, true), BadgeSize::Short);
        // Narrower still: the expiry goes where the Left column says it, and only there.
        assert_eq!(badge_size(32, true), BadgeSize::NoExpiry);
        assert_eq!(badge_size(32, false), BadgeSize::Short);
        assert_eq!(badge_size(0, false), BadgeSize::Short);
        let (n, t) = name_cell(GREEK, 40, three_days(), synced, BadgeSize::Full);
        assert_eq!((n.as_str(), t.as_str()), (GREEK, "[EXPIRES 3d] [SYNCED]"));
        let (n, t) = name_cell(GREEK, 30, three_days(), synced, BadgeSize::Short);
        assert_eq!((n.as_str(), t.as_str()), (GREEK, "[EXP 3d] [S]"));
    }

    #[test]
    fn the_name_gives_way_before_a_badge_is_dropped() {
        let conflict = Flags {
            conflict: true,
            ..Flags::default()
        };
        // "Μαρία Οικονόμου" in a 16-column Name column: the name is cut, [C] stays.
        let maria = "Μαρία Οικονόμου";
        let (n, t) = name_cell(maria, 16, None, conflict, BadgeSize::Short);
        assert_eq!(t, "[C]");
        assert_eq!(width(&n), 16 - 2 - 3);
        assert!(n.ends_with('…'));
        // Without the expiry (the Left column says it), the flags stay.
        let (n, t) = name_cell(GREEK, 21, three_days(), conflict, BadgeSize::NoExpiry);
        assert_eq!((n.as_str(), t.as_str()), (GREEK, "[C]"));
        // At the name's floor, the badges are cut rather than dropped.
        let long = "Priya Raghunathan-Srinivasan";
        let (n, t) = name_cell(long, 14, Some(Expiry::Today), conflict, BadgeSize::Short);
        assert_eq!(width(&n), NAME_FLOOR);
        assert_eq!(t, "[EX…");
        // Never wider than the column, whatever the mix.
        for w in 0..40 {
            let all = Flags {
                conflict: true,
                by_sync: true,
                synced: true,
                guest: true,
            };
            for size in [BadgeSize::Full, BadgeSize::Short, BadgeSize::NoExpiry] {
                let (n, t) = name_cell(long, w, three_days(), all, size);
                let used = width(&n) + if t.is_empty() { 0 } else { 2 + width(&t) };
                assert!(used <= w, "{w}: {n:?} {t:?}");
                if w >= NAME_FLOOR + 5 {
                    assert!(t.starts_with('['), "{w}: a badge shows: {n:?} {t:?}");
                }
            }
        }
    }

    #[test]
    fn the_expiry_badge_says_today_hours_or_days() {
        let badge = |left: Option<TimeLeft>, size| {
            badges(Expiry::of(left, plus1()), Flags::default(), size).join(" ")
        };
        // 12:04 UTC is 13:04 at UTC+1: 2 hours on is 15:04 local, today.
        assert_eq!(badge(Some(in_hours(2)), BadgeSize::Full), "[EXPIRES today]");
        assert_eq!(badge(Some(in_hours(2)), BadgeSize::Short), "[EXP today]");
        // 11 hours on is 00:04 local tomorrow, though still today in UTC.
        assert_eq!(badge(Some(in_hours(11)), BadgeSize::Full), "[EXPIRES 11h]");
        assert_eq!(badge(Some(in_hours(36)), BadgeSize::Short), "[EXP 36h]");
        assert_eq!(badge(Some(in_hours(50)), BadgeSize::Full), "[EXPIRES 2d]");
        assert_eq!(badge(Some(in_hours(-1)), BadgeSize::Short), "[OVERDUE]");
        // Four days or more: no badge; no deletion time: none either.
        assert_eq!(badge(Some(in_hours(96)), BadgeSize::Full), "");
        assert_eq!(badge(None, BadgeSize::Full), "");
        assert_eq!(badge(Some(in_hours(2)), BadgeSize::NoExpiry), "");
    }

    #[test]
    fn the_left_column_shows_hours_under_two_days() {
        assert_eq!(time_left_text(Some(in_hours(36))), "36h");
        assert_eq!(time_left_text(Some(in_hours(48))), "2d");
        assert_eq!(time_left_text(None), "—");
        assert!(is_expiring(Some(in_hours(3 * 24 + 23))));
        assert!(!is_expiring(Some(in_hours(4 * 24))));
    }

    /// Content of these widths, one row each.
    fn content(
        name: usize,
        user_name: usize,
        department: usize,
        job_title: usize,
    ) -> ContentWidths {
        let mut c = ContentWidths::default();
        c.name.add_for_test(name);
        c.user_name.add_for_test(user_name);
        c.department.add_for_test(department);
        c.job_title.add_for_test(job_title);
        c
    }

    #[test]
    fn name_gets_more_room_than_department_and_job_at_100_columns() {
        let wide = content(60, 60, 30, 30);
        let cols = columns(98, &wide);
        let w = |c: Column| cols.iter().find(|(x, _)| *x == c).map(|(_, w)| *w);
        assert!(w(Column::Name) >= Some(24), "{cols:?}");
        assert!(w(Column::Name) > w(Column::Department));
        assert!(w(Column::Name) > w(Column::JobTitle));
        let total: usize = cols.iter().map(|(_, w)| w + 1).sum::<usize>() + PREFIX;
        assert!(total <= 98 + 1, "{cols:?}");
    }

    #[test]
    fn wide_tables_size_columns_by_content() {
        let content = content(30, 36, 22, 25);
        for inner in [78, 118, 198] {
            let cols = columns(inner, &content);
            let w = |c: Column| cols.iter().find(|(x, _)| *x == c).map_or(0, |(_, w)| *w);
            let total: usize = cols.iter().map(|(_, w)| *w).sum::<usize>() + cols.len() - 1;
            assert_eq!(
                total + PREFIX,
                inner,
                "{inner}: the row spans the table: {cols:?}"
            );
            // No sharing column is wider than its content while another is cut.
            let cut = w(Column::Name) < 30 + SHORT_BADGE_ROOM
                || w(Column::UserName) < 36
                || (w(Column::Department) > 0 && w(Column::Department) < 22)
                || (w(Column::JobTitle) > 0 && w(Column::JobTitle) < 25);
            if cut {
                assert!(
                    w(Column::Name) <= 30 + SHORT_BADGE_ROOM && w(Column::UserName) <= 36,
                    "{inner}: {cols:?}"
                );
            }
        }
        // At 200 columns everything is whole, and names take only what they need (and room
        // for an expiry badge); the rest is the last column's.
        let cols = columns(198, &content);
        let w = |c: Column| cols.iter().find(|(x, _)| *x == c).map_or(0, |(_, w)| *w);
        assert_eq!(
            (w(Column::Name), w(Column::UserName)),
            (30 + EXPIRY_BADGE_ROOM, 36),
            "{cols:?}"
        );
        assert_eq!(w(Column::Department), 22);
        assert!(w(Column::JobTitle) >= 25);
    }

    #[test]
    fn one_very_long_name_does_not_widen_the_column_for_all() {
        let mut c = content(20, 30, 10, 10);
        for _ in 0..98 {
            c.name.add_for_test(20);
        }
        c.name.add_for_test(90);
        assert_eq!(c.name.fitting(CONTENT_SHARE), 20);
        // Where room is short, the long one is cut, not the column widened for it.
        let cols = columns(98, &c);
        assert!(cols[0].1 <= 20 + SHORT_BADGE_ROOM, "{cols:?}");
        // With room to spare, it gets it.
        let cols = columns(198, &c);
        assert!(cols[0].1 >= 90, "{cols:?}");
    }

    #[test]
    fn the_tenant_column_narrows_before_it_goes() {
        let content = ContentWidths::default();
        let tenant = |inner| {
            columns_for(inner, &content, Some(17))
                .into_iter()
                .find(|(c, _)| *c == Column::Tenant)
                .map(|(_, w)| w)
        };
        // Wide: whole. Beside the details pane (70 columns): cut, Deleted gone first.
        assert_eq!(tenant(116), Some(17));
        assert_eq!(tenant(70), Some(13));
        let narrow: Vec<Column> = columns_for(70, &content, Some(17))
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(
            narrow,
            [Column::Tenant, Column::Name, Column::UserName, Column::Left]
        );
        // Too narrow for 8 columns of it: it goes, Left stays.
        assert_eq!(tenant(62), None);
    }

    #[test]
    fn the_sort_reads_the_same_in_words_and_arrow() {
        assert_eq!(sort_words(SortKey::Deleted, false), "newest first");
        assert_eq!(sort_words(SortKey::DaysLeft, false), "soonest purge first");
        assert_eq!(sort_words(SortKey::Name, true), "Z to A");
        for sort in SortKey::ALL {
            assert!(width(&format!("{} ▲", sort_column(sort).title())) <= 12);
        }
    }
}
