//! Drawing only: `draw(&State, &mut Frame)` reads the state and paints it. The layout function
//! is shared with `update`, which needs to know how many rows fit and where a click landed.

pub mod backend;
mod border;
mod grid;
pub mod help;
pub mod log;
pub mod password_check;
pub mod progress;
pub mod purge;
pub mod restore_dialog;
pub mod restored;
pub mod result;
pub mod sign_in;
pub mod table;
pub mod tenant_runs;
pub mod tenants;
pub mod theme;
pub mod welcome;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub use crate::app::keymap::scope;
pub use crate::app::layout::{
    Areas, MIN_HEIGHT, MIN_WIDTH, centered, layout, table_rows, too_small,
};

use crate::app::action::Action;
use crate::app::keymap;
use crate::app::modal::Modal;
use crate::app::restored::View;
use crate::app::sessions::Blocked;
use crate::app::state::{NoticeKind, State};
use crate::text;
use theme::Theme;

pub fn draw(state: &State, frame: &mut Frame) {
    let theme = Theme::new(state.settings.theme, state.settings.no_color);
    // Until signed in there is no table: the sign-in screen, at any size.
    if let Some(sign_in) = &state.sign_in {
        sign_in::draw(&sign_in.view, &theme, frame);
        return;
    }
    let area = frame.area();
    let Some(areas) = layout(state, area) else {
        let msg = format!(
            "Too small ({}x{}): need {MIN_WIDTH}x{MIN_HEIGHT}. q quits",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(text::fit(&msg, usize::from(area.width))),
            Rect {
                height: area.height.min(1),
                ..area
            },
        );
        return;
    };
    draw_header(state, &theme, frame, areas.header);
    if let Some(banner) = areas.banner {
        draw_banner(state, &theme, frame, banner);
    }
    if state.view == View::Restored {
        restored::draw(state, &theme, frame, areas.table, areas.rows);
        if let Some(summary) = areas.summary {
            restored::draw_summary(state, &theme, frame, summary);
        }
    } else {
        table::draw_table(state, &theme, frame, areas.table, areas.rows);
    }
    if let Some(d) = areas.details {
        table::draw_details(state, &theme, frame, d);
    }
    if let Some(l) = areas.log {
        log::draw(state, &theme, frame, l);
    }
    if let Some(s) = areas.status {
        draw_status(state, &theme, frame, s);
    }
    draw_footer(state, &theme, frame, areas.footer);

    let over = areas.overlay();
    match &state.modal {
        None => {}
        Some(Modal::Restore(form)) => restore_dialog::draw(state, form, &theme, frame, over),
        Some(Modal::Progress(p)) => progress::draw(state, p, &theme, frame, over),
        Some(Modal::Result(r)) => result::draw(state, r, &theme, frame, over),
        Some(Modal::Purge(p)) => purge::draw(state, p, &theme, frame, over),
        Some(Modal::Tenants(p)) => tenants::draw(state, p, &theme, frame, over),
        Some(Modal::TenantRuns) => {
            if let Some(runs) = &state.tenant_runs {
                tenant_runs::draw(state, runs, &theme, frame, over);
            }
        }
    }
    if state.welcome {
        welcome::draw(&theme, frame, over);
    }
    if let Some(view) = &state.help {
        help::draw(state, view, &theme, frame, over);
    }
}

/// Marks on a scrolled block's borders: "▲ 3 more" above when lines are hidden above, "▼ 5
/// more" below when lines are hidden below, so a dialog cut by a small terminal says so.
pub fn more_marks<'a>(
    block: Block<'a>,
    top: usize,
    shown: usize,
    total: usize,
    theme: &Theme,
) -> Block<'a> {
    hidden_marks(block, top, total.saturating_sub(top + shown), theme)
}

/// `more_marks` for a list that counts what it hides in its own units (users, not lines).
pub fn hidden_marks<'a>(block: Block<'a>, above: usize, below: usize, theme: &Theme) -> Block<'a> {
    let mut block = block;
    if above > 0 {
        block = block.title(
            Line::from(Span::styled(format!(" ▲ {above} more "), theme.key())).right_aligned(),
        );
    }
    if below > 0 {
        block = block.title_bottom(
            Line::from(Span::styled(format!(" ▼ {below} more "), theme.key())).right_aligned(),
        );
    }
    block
}

/// Clears `area` and returns it, for drawing a modal over the screen. A column each side is
/// cleared too: some terminals draw an Indic or Thai cluster of the row beneath wider than
/// its cells, and its glyph would then spill over the dialog's border; it spills into a
/// blank column instead.
pub fn clear(frame: &mut Frame, area: Rect) -> Rect {
    let screen = frame.area();
    let left = area.x.saturating_sub(1).max(screen.x);
    let right = area.right().saturating_add(1).min(screen.right());
    frame.render_widget(
        Clear,
        Rect {
            x: left,
            width: right - left,
            ..area
        },
    );
    area
}

fn draw_header(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let s = &state.session().facts;
    let loaded = state.session().users.rows().len();
    let across = crate::app::all_tenants::on(state);
    let progress = if across {
        // The table across tenants: every open tenant's rows (the tenants' count says how
        // many still load).
        let loaded: usize = state.sessions.iter().map(|s| s.users.rows().len()).sum();
        if state.sessions.iter().any(|s| s.users.loading()) {
            let spin = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'][state.spinner % 10];
            format!("{spin} loading {loaded}")
        } else {
            format!("loaded {loaded}")
        }
    } else if let Some(staged) = state
        .session()
        .reload
        .as_ref()
        .filter(|_| state.session().users.loading())
    {
        // A reload keeps the old rows on screen: say it is under way, and how far.
        let spin = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'][state.spinner % 10];
        // A count only once rows came in: a bare 0 reads as "no users".
        match staged.len() {
            0 => format!("{spin} reloading…"),
            n => format!("{spin} reloading… {}", text::count(n, "row", "rows")),
        }
    } else if state.session().users.loading() {
        let spin = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'][state.spinner % 10];
        match state.session().users.expected_total() {
            Some(t) => format!("{spin} loading {loaded}/{t}"),
            None => format!("{spin} loading {loaded}"),
        }
    } else if let Some(at) = state.session().stale_since {
        // A failed refresh left these rows: say how old they are.
        format!("{loaded} rows · stale since {}", at.format("%H:%M UTC"))
    } else {
        format!("loaded {loaded}")
    };
    // The conflict sweep while it works ("checking conflicts 12k/50k"), then nothing.
    let progress = match state.session().sweep.status() {
        Some(sweep) if !across && !state.session().users.loading() => {
            format!("{progress} · {sweep}")
        }
        _ => progress,
    };
    // A run on several tenants counts them first ("3 tenants · 1 sign-in failed"); the
    // first purge across them needs a wide line (the pane says it at any width).
    // On a narrow line the count alone (the pane says the rest), so the load's progress is
    // never what gives way.
    let progress = match crate::app::tenants::summary(state, area.width >= 140) {
        Some(tenants)
            if text::width(&tenants) + text::width(&progress) + 26 <= usize::from(area.width) =>
        {
            format!("{tenants} │ {progress}")
        }
        Some(_) => format!("{} tenants │ {progress}", state.sessions.tenants()),
        None => progress,
    };
    // What the badges cannot say for want of a read (see `header_right`).
    let limits = if state.session().sweep.busy() {
        Vec::new()
    } else {
        state.session().sweep.limits()
    };
    const READ_ONLY: &str = " │ READ-ONLY: writes disabled";
    // A tenant's label already names the account and the sign-in kind ("global · contoso
    // (id) · admin@contoso (delegated)"); the sandbox's names neither.
    // Across tenants the row's tenant names its own directory: the header names none, so it
    // does not change as the cursor moves from one tenant's row to another's.
    let account = (!across && !s.label.contains(&s.account)).then(|| format!(" │ {}", s.account));
    let mut left = vec![Span::styled(" undelete ", theme.title()), Span::raw("│ ")];
    // First after the name: on a narrow terminal the mode must not be what gets cut.
    if s.read_only {
        left.push(Span::styled(
            READ_ONLY.trim_start_matches(" │ "),
            theme.danger(),
        ));
        left.push(Span::raw(" │ "));
    }
    // In a run on several tenants, which one the keys act on comes before anything that
    // can be cut: its name as the run gives it ("Fabrikam").
    let chip = state.sessions.several().then(|| match across {
        true => " All tenants ".to_string(),
        false => format!(" {} ", text::fit(s.tenant(), 24)),
    });
    if let Some(chip) = &chip {
        left.push(Span::styled(chip.clone(), theme.badge()));
        left.push(Span::raw(" "));
    }
    let fixed = 12
        + chip.as_deref().map_or(0, |c| text::width(c) + 1)
        + account.as_deref().map_or(0, text::width)
        + if s.read_only {
            text::width(READ_ONLY)
        } else {
            0
        };
    if s.is_sandbox {
        // In words, not only a colour: what SANDBOX means for what you do here.
        let domain = s.label.strip_prefix("SANDBOX").unwrap_or(&s.label).trim();
        left.push(Span::styled(" [SANDBOX] demo data ", theme.sandbox()));
        if !domain.is_empty() && !across {
            left.push(Span::raw(format!(" {domain}")));
        }
    } else if !across {
        // Wide terminals keep room for the whole right side, so the label does not change
        // width while the count grows; narrow ones keep only the count (the rest gives way).
        let total = usize::from(area.width);
        // The right side as it will be drawn, so no room is kept that stays blank. What the
        // sign-in cannot read outranks the label in its short form at least (`header_right`),
        // and the label outranks the clock and "? help".
        let short: String = limits.iter().map(|(_, s)| format!(" · {s}")).collect();
        let right_min = if total >= 120 && limits.is_empty() {
            text::width(&format!("{progress}{short} · 00:00 UTC │ ? help ")) + 1
        } else {
            text::width(&format!("{progress}{short}")) + 2
        };
        let room = total.saturating_sub(fixed + right_min);
        left.push(Span::raw(shorten_label(&s.label, room)));
    }
    if let Some(account) = account {
        left.push(Span::raw(account));
    }
    let total = usize::from(area.width);
    let left_full: usize = left.iter().map(|sp| text::width(&sp.content)).sum();
    let clock = state.now.format("%H:%M").to_string();
    let right = header_right(&progress, &limits, &clock, left_full, total);
    let right_w = text::width(&right);
    // The load progress and the clock stay; a long tenant label gives way (cut with …).
    let (mut spans, right_w) = if right_w + 20 <= total {
        (fit_line(left, total - right_w - 1).spans, right_w)
    } else {
        (left, 0)
    };
    let left_w: usize = spans.iter().map(|sp| text::width(&sp.content)).sum();
    if right_w > 0 {
        spans.push(Span::raw(
            " ".repeat(total.saturating_sub(left_w + right_w)),
        ));
        spans.push(Span::raw(right));
    }
    let line = fit_line(spans, total);
    frame.render_widget(Paragraph::new(line).style(theme.header()), area);
}

/// The header's right side for a left side `left_full` columns wide on a line `total` wide:
/// the load `progress`, then what the badges cannot say for want of a read (`limits`, each long
/// and short: without it a missing badge reads as "no conflict"), the clock and "? help". On a
/// narrow terminal "? help" (the footer says it too) and the clock give way first, then each
/// limit's permission name, then the left side (down to 24 columns, 20 for the short forms).
fn header_right(
    progress: &str,
    limits: &[(String, String)],
    clock: &str,
    left_full: usize,
    total: usize,
) -> String {
    let said = |long: usize| {
        let mut s = progress.to_string();
        for (i, (l, short)) in limits.iter().enumerate() {
            s.push_str(" · ");
            s.push_str(if i < long { l } else { short });
        }
        s
    };
    let mut candidates = Vec::new();
    for long in (0..=limits.len()).rev() {
        let r = said(long);
        candidates.push((format!("{r} · {clock} UTC │ ? help "), left_full));
        candidates.push((format!("{r} · {clock} UTC "), left_full));
        candidates.push((format!("{r} "), left_full));
    }
    for long in (0..=limits.len()).rev() {
        candidates.push((format!("{} ", said(long)), left_full.min(24)));
    }
    candidates.push((format!("{} ", said(0)), left_full.min(20)));
    candidates
        .into_iter()
        .find(|(r, left)| left + text::width(r) < total)
        .map_or_else(|| format!("{progress} "), |(r, _)| r)
}

/// A tenant label ("cloud · tenant (id) · account (kind)") cut to `max` columns, the least
/// useful part first: the tenant's id in brackets (its domain names it for a person), then
/// the cloud, then an app's name (app-only), then the tenant's domain; a signed-in admin and
/// "delegated" / "app-only" stay as long as anything can. A cut never leaves a bracket open.
pub fn shorten_label(label: &str, max: usize) -> String {
    if text::width(label) <= max {
        return label.to_string();
    }
    let mut parts: Vec<String> = label.split(" · ").map(str::to_string).collect();
    let joined = |p: &[String]| p.join(" · ");
    let last = parts.len().saturating_sub(1);
    // 1. The bracketed id after a tenant's domain (not the account's sign-in kind).
    for (i, p) in parts.iter_mut().enumerate() {
        if i < last
            && p.ends_with(')')
            && let Some(open) = p.find(" (")
        {
            p.truncate(open);
        }
    }
    // 2. The cloud (the sign-in URL and the tenant say it too).
    if parts.len() > 2 && text::width(&joined(&parts)) > max {
        parts.remove(0);
    }
    // 3. An app's name (app-only): its id names it for Entra, the tenant is what the admin
    //    must not mistake, so the app gives way first.
    if parts.last().is_some_and(|a| a.ends_with("(app-only)")) {
        cut_account(&mut parts, max);
    }
    // 4. The tenant's domain, cut but kept recognisable.
    let over = text::width(&joined(&parts)).saturating_sub(max);
    if over > 0 && parts.len() > 1 {
        let keep = text::width(&parts[0]).saturating_sub(over).max(8);
        parts[0] = text::fit(&parts[0], keep);
    }
    // 5. A signed-in admin's name, keeping its sign-in kind whole.
    cut_account(&mut parts, max);
    balanced(&text::fit(&joined(&parts), max))
}

/// Cuts the account (the label's last part) by what the label is over `max`, keeping its
/// sign-in kind ("(delegated)", "(app-only)") whole and at least 8 columns of its name.
fn cut_account(parts: &mut [String], max: usize) {
    let over = text::width(&parts.join(" · ")).saturating_sub(max);
    if over > 0
        && let Some(account) = parts.last_mut()
        && account.ends_with(')')
        && let Some(open) = account.rfind(" (")
    {
        let kind = account[open..].to_string();
        let name = &account[..open];
        let keep = text::width(name).saturating_sub(over).max(8);
        *account = format!("{}{kind}", text::fit(name, keep));
    }
}

/// `s` without an unclosed bracket a cut left at its end ("contoso (6164…" → "contoso…").
fn balanced(s: &str) -> String {
    let open = s.matches('(').count();
    let close = s.matches(')').count();
    if open <= close {
        return s.to_string();
    }
    match s.rfind('(') {
        Some(at) => format!("{}…", s[..at].trim_end().trim_end_matches('…')),
        None => s.to_string(),
    }
}

/// Cuts a line of spans to `max` columns.
pub fn fit_line(spans: Vec<Span<'static>>, max: usize) -> Line<'static> {
    let mut used = 0;
    let mut out = Vec::with_capacity(spans.len());
    for sp in spans {
        let w = text::width(&sp.content);
        if used + w <= max {
            used += w;
            out.push(sp);
        } else {
            let room = max - used;
            if room > 0 {
                out.push(Span::styled(text::fit(&sp.content, room), sp.style));
            }
            break;
        }
    }
    Line::from(out)
}

/// The banner's lines, each cut to the width: another holder of the directory, this
/// directory's unfinished restores, an earlier version's.
fn draw_banner(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = usize::from(area.width);
    let mut lines: Vec<Line> = Vec::new();
    if crate::app::all_tenants::on(state) {
        let (held, unfinished) = crate::app::all_tenants::banner(state);
        for line in [held, unfinished].into_iter().flatten() {
            lines.push(Line::from(Span::styled(text::fit(&line, w), theme.warn())));
        }
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    if let Some(holder) = &state.session().holder {
        let wait = match holder {
            Blocked::Held(_) => "wait until it lets go",
            Blocked::Broken(_) => "wait until that is put right",
        };
        lines.push(Line::from(Span::styled(
            text::fit(
                &format!(" ⏸ {}: restore, F and purge {wait}", holder.line()),
                w,
            ),
            theme.warn(),
        )));
    }
    if !state.session().unfinished.is_empty() {
        lines.push(Line::from(Span::styled(
            text::fit(&unfinished_line(state), w),
            theme.warn(),
        )));
    }
    if !state.session().earlier.is_empty() {
        let n = state.session().earlier.len();
        let names: Vec<&str> = state
            .session()
            .earlier
            .iter()
            .take(3)
            .map(|u| u.upn.as_str())
            .collect();
        // The command before the names: it is what the admin needs, and the end is what a
        // narrow terminal cuts.
        let msg = format!(
            " ⚠ {} from an earlier version, directory unknown: not finished by F; `{} \
             --adopt-earlier` takes them into this directory ({})",
            text::count(n, "unfinished restore", "unfinished restores"),
            state.session().facts.finish_command,
            names.join(", ")
        );
        lines.push(Line::from(Span::styled(text::fit(&msg, w), theme.dim())));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn unfinished_line(state: &State) -> String {
    use crate::restore::RestoreState;
    let n = state.session().unfinished.len();
    // Planned but never confirmed: the run may have died before the restore was sent.
    let unknown = state
        .session()
        .unfinished
        .iter()
        .filter(|u| u.restore == RestoreState::Unknown)
        .count();
    let names: Vec<&str> = state
        .session()
        .unfinished
        .iter()
        .take(3)
        .map(|u| u.upn.as_str())
        .collect();
    let what = match (n - unknown, unknown) {
        (done, 0) => format!(
            "{} {} unfinished, password or mail not done",
            text::count(done, "restore", "restores"),
            text::plural(done, "is", "are")
        ),
        (0, u) => format!(
            "{} {} planned but may never have happened",
            text::count(u, "restore", "restores"),
            text::plural(u, "was", "were")
        ),
        (done, u) => format!(
            "{} {} unfinished (password or mail), {u} more may never have happened",
            text::count(done, "restore", "restores"),
            text::plural(done, "is", "are")
        ),
    };
    let todo = if state.session().facts.read_only {
        "run without --read-only to finish"
    } else if unknown > 0 {
        "F checks and finishes"
    } else {
        "F finishes"
    };
    // The key first: a narrow terminal cuts the end, and the names are in F's result.
    format!(" ⚠ {todo}: {what} ({})", names.join(", "))
}

fn draw_status(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = usize::from(area.width);
    if state.session().users.filtering() || !state.session().users.filter().value().is_empty() {
        let input = &state.session().users.filter();
        let prefix = " / ";
        let room = w.saturating_sub(prefix.len() + 1);
        let scroll = input.visual_scroll(room);
        let shown: String = skip_columns(input.value(), scroll);
        let mut spans = vec![
            Span::styled(prefix, theme.key()),
            Span::raw(text::fit(&shown, room)),
        ];
        if !state.session().users.filtering() {
            spans.push(Span::styled("  (/ to edit, Esc clears)", theme.dim()));
        }
        if let Some((kind, msg)) = &state.notice {
            spans.push(Span::raw("  "));
            spans.push(notice_span(*kind, msg, theme));
        }
        frame.render_widget(Paragraph::new(fit_line(spans, w)), area);
        if state.session().users.filtering() && state.modal.is_none() {
            let x = area.x + (prefix.len() + input.visual_cursor() - scroll) as u16;
            frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        }
    } else if let Some((kind, msg)) = &state.notice {
        let line = fit_line(vec![Span::raw(" "), notice_span(*kind, msg, theme)], w);
        frame.render_widget(Paragraph::new(line), area);
    }
}

/// A footer hint as drawn: the action it stands for (`None` for a help line), the key, the
/// word.
pub type FooterHint = (Option<Action>, String, String);

fn notice_span(kind: NoticeKind, msg: &str, theme: &Theme) -> Span<'static> {
    match kind {
        NoticeKind::Info => Span::styled(msg.to_string(), theme.ok()),
        NoticeKind::Error => Span::styled(format!("✗ {msg}"), theme.danger()),
    }
}

/// `s` without its first `cols` display columns (for scrolled input fields).
pub fn skip_columns(s: &str, cols: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    let mut skipped = 0;
    let mut out = String::new();
    for g in s.graphemes(true) {
        if skipped < cols {
            skipped += text::width(g);
            continue;
        }
        out.push_str(g);
    }
    out
}

/// The footer word for `action` where what it does depends on the focus or the question
/// asked ("enter send email and close", "y stop the rest"); `None` keeps the keymap's word.
pub fn footer_word(state: &State, action: Action) -> Option<&'static str> {
    use crate::app::modal::restore::DialogField;
    use crate::app::modal::result::ResultButton;
    match (&state.modal, action) {
        (Some(Modal::Result(r)), Action::Submit) if r.prompt().is_some() => {
            Some("set the password")
        }
        (Some(Modal::Result(r)), Action::Submit)
            if !r.confirm_close() && r.error_pane().is_none() =>
        {
            Some(if r.sending {
                "wait: sending"
            } else if !r.can_send() {
                "close"
            } else if r.focus == ResultButton::CloseWithoutMail {
                "close without email"
            } else if r.send_error.is_some() {
                "retry sending"
            } else {
                "send email and close"
            })
        }
        (Some(Modal::Result(r)), Action::Yes) if r.confirm_close() => Some("close without email"),
        (Some(Modal::Result(r)), Action::No) if r.confirm_close() => Some("back to the result"),
        (Some(Modal::Progress(p)), Action::Yes) if p.confirm_leave => Some("leave them to F"),
        (Some(Modal::Progress(p)), Action::No) if p.confirm_leave => Some("keep waiting"),
        (Some(Modal::Progress(p)), Action::Yes) if p.confirm_stop => {
            Some("stop the remaining users")
        }
        (Some(Modal::Progress(p)), Action::No) if p.confirm_stop => Some("keep going"),
        (Some(Modal::Restore(form)), Action::Submit) => Some(match form.focus {
            DialogField::Cancel => "cancel",
            DialogField::ManualPassword if form.auto_password => "type my own password",
            _ if state.session().facts.read_only => "restore (read-only: refused)",
            _ => "restore",
        }),
        _ => None,
    }
}

/// The footer hints that fit in `max` columns, as (action, key, word): whole hints drop from
/// the end rather than one being cut mid-word, and the help (which lists them all) stays
/// last while any fit.
pub fn fit_hints(mut pairs: Vec<FooterHint>, max: usize) -> Vec<FooterHint> {
    let width = |p: &[FooterHint]| -> usize {
        p.iter()
            .map(|(_, k, w)| text::width(k) + 1 + text::width(w))
            .sum::<usize>()
            + 3 * p.len().saturating_sub(1)
    };
    if width(&pairs) <= max {
        return pairs;
    }
    let help = pairs
        .iter()
        .position(|(a, _, _)| *a == Some(Action::Help))
        .map(|i| pairs.remove(i));
    let reserve = help
        .as_ref()
        .map_or(0, |(_, k, w)| text::width(k) + 1 + text::width(w) + 3);
    while !pairs.is_empty() && width(&pairs) + reserve > max {
        pairs.pop();
    }
    pairs.extend(help);
    pairs
}

fn draw_footer(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let scope = scope(state);
    let hint = keymap::footer_hint(scope, keymap::is_typing(state, scope), |a| state.offers(a));
    let mut spans: Vec<Span<'static>> = vec![Span::raw(" ")];
    let pairs: Vec<FooterHint> = if hint.is_empty() {
        keymap::help_lines(scope)
            .into_iter()
            .take(6)
            .map(|(k, h)| (None, k, h.to_string()))
            .collect()
    } else {
        hint.into_iter()
            .map(|h| {
                let word = footer_word(state, h.action).unwrap_or(h.word).to_string();
                (Some(h.action), h.key, word)
            })
            .collect()
    };
    let pairs = fit_hints(pairs, usize::from(area.width).saturating_sub(1));
    for (i, (_, k, word)) in pairs.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        spans.push(Span::styled(k, theme.key()));
        spans.push(Span::raw(format!(" {word}")));
    }
    let line = fit_line(spans, usize::from(area.width));
    frame.render_widget(Paragraph::new(line).style(Style::default()), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABEL: &str = "global · contoso.onmicrosoft.com (61644a25-da5a-4317-94e2-3bc1eca8c766) · admin@contoso.onmicrosoft.com (delegated)";

    #[test]
    fn footer_hints_drop_whole_and_keep_help() {
        let pairs: Vec<FooterHint> = [
            (Action::Restore, "enter", "restore"),
            (Action::ToggleMark, "space", "mark"),
            (Action::Filter, "/", "filter"),
            (Action::Refresh, "R", "refresh"),
            (Action::Help, "?", "help"),
            (Action::Quit, "q", "quit"),
        ]
        .iter()
        .map(|(a, k, w)| (Some(*a), k.to_string(), w.to_string()))
        .collect();
        assert_eq!(fit_hints(pairs.clone(), 200), pairs);
        let fitted = fit_hints(pairs.clone(), 46);
        let keys: Vec<&str> = fitted.iter().map(|(_, k, _)| k.as_str()).collect();
        assert_eq!(keys, ["enter", "space", "/", "?"]);
        let fitted = fit_hints(pairs, 45);
        let keys: Vec<&str> = fitted.iter().map(|(_, k, _)| k.as_str()).collect();
        assert_eq!(keys, ["enter", "space", "?"]);
    }

    #[test]
    fn an_app_only_label_cuts_the_app_before_the_tenant() {
        const APP: &str = "global · contoso.onmicrosoft.com (61644a25-da5a-4317-94e2-3bc1eca8c766) · \
                           Sandbox app 11111111-2222-3333-4444-555555555555 (app-only)";
        for max in [50, 60, 70] {
            let out = shorten_label(APP, max);
            assert!(text::width(&out) <= max, "{max}: {out}");
            assert!(out.contains("contoso.onmicrosoft.com"), "{max}: {out}");
            assert!(out.ends_with("(app-only)"), "{max}: {out}");
        }
    }

    #[test]
    fn a_long_tenant_label_keeps_the_account_and_the_sign_in_kind() {
        assert_eq!(shorten_label(LABEL, 200), LABEL);
        for max in [64, 80, 100] {
            let out = shorten_label(LABEL, max);
            assert!(text::width(&out) <= max, "{max}: {out}");
            assert!(
                out.ends_with("admin@contoso.onmicrosoft.com (delegated)"),
                "{max}: {out}"
            );
            assert!(out.contains("contoso"), "{max}: {out}");
            assert!(balanced(&out) == out, "{max}: no bracket left open: {out}");
        }
        // The id goes first, whole; then the cloud.
        assert_eq!(
            shorten_label(LABEL, 100),
            "global · contoso.onmicrosoft.com · admin@contoso.onmicrosoft.com (delegated)"
        );
        assert_eq!(
            shorten_label(LABEL, 70),
            "contoso.onmicrosoft.com · admin@contoso.onmicrosoft.com (delegated)"
        );
        for max in 1..LABEL.len() {
            let out = shorten_label(LABEL, max);
            assert!(text::width(&out) <= max, "{max}: {out}");
            assert_eq!(
                out.matches('(').count(),
                out.matches(')').count(),
                "{max}: {out}"
            );
        }
    }
}
