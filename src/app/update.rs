//! `update(&mut State, Msg) -> Vec<Effect>`: the only place the state changes. Pure: no I/O, no
//! clock (time arrives in `Msg::Tick`), so every key on every screen is unit-tested
//! (`update_tests.rs`). The table's and the filter's keys are here; each modal's keys sit beside
//! its state in `modal/`.

use std::collections::HashSet;

use crossterm::event::{Event, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use tui_input::backend::crossterm::EventHandler;
use tui_input::{Input, InputRequest};

use super::action::Action;
use super::effect::Effect;
use super::keymap::{self, Scope};
use super::layout;
use super::modal::restore::{on_new_name_checked, on_preflight, open_restore, restore_key};
use super::modal::result::{error_pane_key, on_outcomes_updated, prompt_key, result_action};
use super::modal::{
    confirm_action,
    help::{help_action, open_help},
    progress::progress_action,
    purge::purge_key,
};
use super::msg::Msg;
use super::state::{
    Blocked, LOG_CAPACITY, Modal, NoticeKind, Preflight, PurgeState, ResultState, State, Verdict,
    View,
};
use crate::directory::ErrorKind;
use crate::restore::{PasswordChoice, PasswordStep};

/// How often the directory's lock is checked: a lock file deleted under this session is made
/// again, and a directory another run held becomes writable, within this long.
pub const BOOKS_CHECK: chrono::Duration = chrono::Duration::seconds(3);

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) if state.sign_in.is_some() => {
            super::sign_in::on_tick(state, now);
            Vec::new()
        }
        Msg::Tick(now) => {
            let minute_changed = now.timestamp() / 60 != state.now.timestamp() / 60;
            state.now = now;
            state.spinner = state.spinner.wrapping_add(1);
            if state.sweep.phase == super::sweep::Phase::Joining {
                super::sweep::join_some(state, super::sweep::JOIN_CHUNK);
                state.dirty = true;
            }
            let animating = state.users.loading()
                || state.sweep.busy()
                || matches!(state.modal, Some(Modal::Progress(_)))
                || matches!(&state.modal, Some(Modal::Result(r)) if r.sending)
                || matches!(&state.modal, Some(Modal::Restore(f)) if f.targets.iter().any(|t| t.preflight == Preflight::Checking));
            if minute_changed || animating {
                state.dirty = true;
            }
            let due = state
                .books_checked
                .is_none_or(|at| now - at >= BOOKS_CHECK || now < at);
            if due && !state.settings.read_only {
                state.books_checked = Some(now);
                return vec![Effect::CheckBooks];
            }
            Vec::new()
        }
        Msg::Request(record) => {
            if state.log.len() >= LOG_CAPACITY {
                state.log.pop_front();
            }
            state.log.push_back(record);
            if state.log_open {
                state.dirty = true;
            }
            Vec::new()
        }
        other => {
            state.dirty = true;
            let effects = handle(state, other);
            super::quit::settle(state);
            // Whatever changed (a key, a page, a notice opening the status line and taking a
            // row from the table), the selected row stays on screen: one rule, in one place.
            ensure_visible(state);
            effects
        }
    }
}

fn handle(state: &mut State, msg: Msg) -> Vec<Effect> {
    use super::sign_in;
    match msg {
        // The sign-in screen has nothing to click or paste into.
        Msg::Mouse(_) | Msg::Paste(_) if state.sign_in.is_some() => Vec::new(),
        Msg::SignInPrompt(prompt) => {
            sign_in::on_prompt(state, prompt);
            Vec::new()
        }
        Msg::SignInFailed(why) => {
            sign_in::on_failed(state, why);
            Vec::new()
        }
        Msg::SignInCancelled => sign_in::on_cancelled(state),
        Msg::SignedIn(session) => sign_in::on_signed_in(state, &session),
        Msg::Leave(how) => super::quit::leave(state, how),
        Msg::Key(key) => on_key(state, key),
        Msg::Mouse(m) => on_mouse(state, m),
        Msg::Paste(text) => on_paste(state, &text),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            Vec::new()
        }
        Msg::Page { generation, result } => {
            if generation != state.users.generation() {
                return Vec::new();
            }
            if let Some(staged) = &mut state.reload {
                // A reload keeps the rows on screen until its listing is whole.
                match result {
                    Ok(page) => staged.extend(page.users),
                    Err(e) => {
                        state.reload = None;
                        state.users.finish_load();
                        state.stale_since = state.loaded_at.or(Some(state.now));
                        state.notice = Some((
                            NoticeKind::Error,
                            format!(
                                "Refresh failed: {}. Showing the list loaded at {}. R retries.{}",
                                e.message,
                                clock(state.stale_since),
                                last(&e)
                            ),
                        ));
                    }
                }
                return Vec::new();
            }
            match result {
                Ok(page) => {
                    if let Some(total) = page.total {
                        state.users.expect_total(total, &page.users);
                    }
                    let start = state.users.len();
                    state.users.push_page(page.users);
                    if !state.pending_marks.is_empty() {
                        state.users.mark_ids_from(start, &mut state.pending_marks);
                    }
                }
                Err(e) => {
                    state.users.fail_load(e.to_string());
                    state.notice = Some((
                        NoticeKind::Error,
                        format!(
                            "Loading stopped: {}. {}; R retries.{}",
                            e.message,
                            capital(e.advice()),
                            last(&e)
                        ),
                    ));
                }
            }
            Vec::new()
        }
        Msg::LoadFinished { generation } => {
            if generation == state.users.generation() {
                if let Some(staged) = state.reload.take() {
                    let selected = state.users.current_id().map(str::to_string);
                    let mut marks = state.users.clear_for_reload();
                    state.users.continue_load(generation);
                    state.users.push_page(staged);
                    state.users.mark_ids_from(0, &mut marks);
                    if let Some(id) = selected {
                        state.users.select_id(&id);
                    }
                }
                state.users.finish_load();
                super::restored::find_deleted_again(state);
                state.pending_marks.clear();
                state.loaded_at = Some(state.now);
                state.stale_since = None;
                return super::sweep::on_loaded(state);
            }
            Vec::new()
        }
        Msg::Preflight { id, result } => {
            on_preflight(state, &id, result);
            Vec::new()
        }
        Msg::NewUpnChecked { id, seq, result } => {
            on_new_name_checked(state, &id, seq, result);
            Vec::new()
        }
        Msg::Tenant(tenant) => {
            state.tenant = tenant;
            Vec::new()
        }
        Msg::TapAvailability(a) => {
            state.tap = Some(a.clone());
            if let Some(Modal::Restore(form)) = &mut state.modal {
                form.set_tap_status(Some(a));
            }
            Vec::new()
        }
        Msg::PasswordVerdict { seq, result } => {
            if let Some(Modal::Restore(form)) = &mut state.modal
                && form.verdict == (Verdict::Asking { seq })
            {
                form.verdict = match result {
                    Ok(v) if v.valid => Verdict::Valid,
                    Ok(v) => Verdict::Refused(v.messages),
                    Err(e) => Verdict::Unavailable(match e.kind {
                        ErrorKind::Forbidden | ErrorKind::Unauthorized => {
                            "only a delegated sign-in with User.ReadWrite may ask".to_string()
                        }
                        ErrorKind::NotFound | ErrorKind::BadRequest => {
                            "the check exists only in the global cloud".to_string()
                        }
                        _ => e.message.clone(),
                    }),
                };
            }
            Vec::new()
        }
        Msg::Waiting { text, seconds } => {
            let until = state.now + chrono::Duration::seconds(seconds as i64);
            match &mut state.modal {
                Some(Modal::Progress(p)) => p.waiting = Some((text, until)),
                Some(Modal::Result(r)) => r.message = Some(text),
                _ => state.notice = Some((NoticeKind::Info, text)),
            }
            Vec::new()
        }
        Msg::OutcomesUpdated(changed) => {
            on_outcomes_updated(state, changed);
            Vec::new()
        }
        Msg::Job { id, status } => {
            if let Some(Modal::Progress(p)) = &mut state.modal
                && let Some(i) = p.index.get(&id).copied()
            {
                // The wait shows until it ends: a user's news may arrive after the client
                // announced its next wait.
                p.lines[i].status = status;
            }
            Vec::new()
        }
        Msg::RestoreFinished { outcomes, mail } => {
            state.finishing = false;
            let restored: HashSet<String> = outcomes
                .iter()
                .filter(|o| o.restored())
                .map(|o| o.id.clone())
                .collect();
            for o in &outcomes {
                if let Some(f) = &o.failure
                    && matches!(
                        f.error.kind,
                        ErrorKind::UpnConflict | ErrorKind::ProxyConflict
                    )
                {
                    state.users.mark_conflict(o.id.clone());
                }
            }
            state.users.remove_ids(&restored);
            // Finishing brings each user's mail (the finishing rule); a run, the dialog's.
            let (recipients, include_password) = match &mail {
                Some(_) => (Vec::new(), false),
                None => state.last_mail.take().unwrap_or((Vec::new(), true)),
            };
            // Finishing interrupted restores generates, and asks for a change at sign-in.
            let step = state.last_step.take().unwrap_or(PasswordStep {
                choice: PasswordChoice::Auto,
                force_change: true,
                force_change_with_mfa: false,
                why: "tried again on the result screen".into(),
            });
            // What the table said before belongs to the table: this screen has its own lines.
            state.notice = None;
            // After-care reads what came back with the restored users, now that the
            // restores are done; their passwords stay here.
            let care: Vec<crate::restore::UserOutcome> = outcomes
                .iter()
                .filter(|o| o.restored())
                .map(|o| {
                    let mut o = o.clone();
                    o.password = None;
                    o
                })
                .collect();
            let mut result = ResultState::new(outcomes, recipients, include_password, step);
            result.groups = mail;
            if care.is_empty() {
                result.after_care = Some(Vec::new());
            }
            state.modal = Some(Modal::Result(Box::new(result)));
            if care.is_empty() {
                Vec::new()
            } else {
                vec![Effect::AfterCare { outcomes: care }]
            }
        }
        Msg::AfterCare(reports) => {
            if let Some(Modal::Result(r)) = &mut state.modal {
                // Read after the restore, it is fresher than the listing: the mail follows it.
                for o in &mut r.outcomes {
                    if let Some(disabled) = reports
                        .iter()
                        .find(|c| c.id == o.id)
                        .and_then(|c| c.disabled())
                    {
                        o.account_disabled = disabled;
                    }
                }
                r.after_care = Some(reports);
            }
            Vec::new()
        }
        Msg::Warning(text) => {
            state.notice = Some((NoticeKind::Error, text));
            Vec::new()
        }
        Msg::Info(text) => {
            state.notice = Some((NoticeKind::Info, text));
            Vec::new()
        }
        Msg::MailSent(result) => {
            if let Some(Modal::Result(r)) = &mut state.modal {
                r.sending = false;
                match result {
                    Ok(()) => return super::modal::result::on_mail_sent(state),
                    Err(e) => r.send_error = Some(e),
                }
            }
            Vec::new()
        }
        Msg::MailArrived(result) => {
            super::modal::result::on_mail_arrived(state, result);
            Vec::new()
        }
        Msg::PurgeDone { purged, failures } => {
            let ids: HashSet<String> = purged.iter().cloned().collect();
            state.users.remove_ids(&ids);
            if matches!(state.modal, Some(Modal::Purge(_))) {
                state.modal = None;
            }
            state.notice = Some(if failures.is_empty() {
                (
                    NoticeKind::Info,
                    format!("✓ Purged {} user(s) for good.", purged.len()),
                )
            } else {
                (
                    NoticeKind::Error,
                    format!(
                        "Purged {}, {} failed: {}",
                        purged.len(),
                        failures.len(),
                        failures.join("; ")
                    ),
                )
            });
            Vec::new()
        }
        Msg::Unfinished(list) => {
            // `F` found nothing left to finish.
            state.finishing &= !list.is_empty();
            state.unfinished = list;
            super::restored::journal_changed(state)
        }
        Msg::Swept(sweep) => {
            super::sweep::on_swept(state, *sweep);
            Vec::new()
        }
        Msg::SweepChanges(changes) => {
            super::sweep::on_changes(state, *changes);
            Vec::new()
        }
        Msg::Deletions(deletions) => {
            super::sweep::on_deletions(state, *deletions);
            Vec::new()
        }
        Msg::Restored(result) => super::restored::on_read(state, result),
        Msg::Earlier(list) => {
            state.earlier = list;
            Vec::new()
        }
        Msg::Holder(holder) => {
            if holder.is_none() {
                let free = match &state.holder {
                    Some(Blocked::Held(_)) => {
                        Some("The other undelete has let go of this directory")
                    }
                    Some(Blocked::Broken(_)) => Some("This directory's books can be locked now"),
                    None => None,
                };
                if let Some(free) = free {
                    state.notice = Some((
                        NoticeKind::Info,
                        format!("{free}: restore, F and purge are available."),
                    ));
                }
            }
            state.holder = holder;
            Vec::new()
        }
        Msg::UnfinishedFailed(e) => {
            state.finishing = false;
            state.notice = Some((NoticeKind::Error, e));
            Vec::new()
        }
        Msg::Tick(_) | Msg::Request(_) => Vec::new(),
    }
}

/// Keeps the selected row inside the visible window.
pub fn ensure_visible(state: &mut State) {
    let height = layout::table_rows(state);
    state.users.scroll_into_view(height);
    state.restored.scroll_into_view(height);
}

pub(super) fn move_selection(state: &mut State, delta: isize) {
    state.users.move_selection(delta);
}

/// Scrolls the open details pane by `delta` lines, within what its user's details need.
pub(super) fn scroll_details(state: &mut State, delta: isize) {
    if !state.details {
        return;
    }
    let Some(id) = state.users.current_id().map(str::to_string) else {
        return;
    };
    let max = super::details::max_scroll(state);
    // Clamped first: a resize may have made the pane taller since the last scroll.
    let top = state.details_top().min(max) as isize;
    let top = (top + delta).clamp(0, max as isize) as usize;
    state.details_scroll = Some((id, top));
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind != KeyEventKind::Press {
        return Vec::new();
    }
    let scope = keymap::scope(state);
    let typing = keymap::is_typing(state, scope);
    let action = keymap::lookup(scope, &key, typing);
    if action == Some(Action::ForceQuit) && scope == Scope::SignIn {
        return super::sign_in::leave(state);
    }
    if action == Some(Action::ForceQuit) {
        return super::quit::on_ctrl_c(state);
    }
    // The first-launch panel takes the first key, whatever it is, so no key acts unseen.
    if state.welcome {
        state.welcome = false;
        return vec![Effect::RememberWelcome];
    }
    // The sign-in screen is drawn at any size, so its keys work at any size.
    if scope == Scope::SignIn {
        return super::sign_in::sign_in_action(state, action);
    }
    // A too-small terminal shows only a notice: keys must not act on what cannot be seen,
    // except q (from the table) to leave.
    if layout::too_small(Rect::new(0, 0, state.size.0, state.size.1)) {
        if scope == Scope::Table && action == Some(Action::Quit) {
            state.quit = true;
            return vec![Effect::Quit];
        }
        return Vec::new();
    }
    // Help and the log work on every screen; the help's own `?` closes it (its scope binds
    // `?` itself, so `Help` never comes from there).
    match action {
        Some(Action::Help) if scope != Scope::Help => {
            open_help(state, scope);
            return Vec::new();
        }
        Some(Action::RequestLog) => {
            state.log_open = !state.log_open;
            return Vec::new();
        }
        _ => {}
    }
    match scope {
        Scope::Table => table_action(state, action),
        Scope::Restored => super::restored::restored_action(state, action),
        Scope::Filter => filter_key(state, action, key),
        Scope::RestoreDialog => restore_key(state, action, key),
        Scope::Progress => progress_action(state, action),
        Scope::Result => result_action(state, action),
        Scope::ResultPassword => prompt_key(state, action, key),
        Scope::ErrorPane => error_pane_key(state, action),
        Scope::Confirm => confirm_action(state, action),
        Scope::Purge => purge_key(state, action, key),
        Scope::Help => help_action(state, action),
        // Handled above, before the size check.
        Scope::Global | Scope::SignIn => Vec::new(),
    }
}

/// Whether `what` (a change to the directory) may not start here: read-only mode, or another
/// run holds the directory. Says why on the status line, before any dialog opens.
pub(in crate::app) fn read_only_refusal(state: &mut State, what: &str) -> bool {
    if state.settings.read_only {
        state.notice = Some((
            NoticeKind::Error,
            format!("Read-only mode (--read-only): {what} is disabled."),
        ));
        true
    } else if let Some(holder) = &state.holder {
        state.notice = Some((
            NoticeKind::Error,
            format!(
                "{} is unavailable: {}. It becomes available by itself {}.",
                capital(what),
                holder.line(),
                holder.until()
            ),
        ));
        true
    } else {
        false
    }
}

pub(super) fn table_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(action) = action else {
        return Vec::new();
    };
    let page = layout::table_rows(state) as isize;
    match action {
        Action::Down => move_selection(state, 1),
        Action::Up => move_selection(state, -1),
        Action::PageDown => move_selection(state, page),
        Action::PageUp => move_selection(state, -page),
        Action::HalfPageDown => move_selection(state, (page / 2).max(1)),
        Action::HalfPageUp => move_selection(state, -(page / 2).max(1)),
        Action::Top => move_selection(state, isize::MIN / 2),
        Action::Bottom => move_selection(state, isize::MAX / 2),
        Action::Filter => state.users.start_filter(),
        Action::Cancel => {
            if state.log_open {
                // The log's title says @ closes it; Esc does too, as in every other pane.
                state.log_open = false;
            } else if !state.users.filter().value().is_empty() {
                state.users.clear_filter(false);
            } else if state.users.only_conflicts() {
                state.users.toggle_only_conflicts();
            } else {
                state.notice = None;
            }
        }
        Action::SortNext => state.users.sort_next(),
        Action::SortReverse => state.users.toggle_reverse(),
        Action::ToggleMark => {
            // Space moves on, so held down it marks a run of users.
            let toggled = state.users.toggle_mark_current();
            if toggled {
                move_selection(state, 1);
            }
        }
        Action::MarkAllShown => state.users.mark_shown(),
        Action::ClearMarks => state.users.clear_marks(),
        Action::Restore => return open_restore(state),
        Action::Details => {
            state.details = !state.details;
            state.details_scroll = None;
        }
        Action::DetailsDown => scroll_details(state, 1),
        Action::DetailsUp => scroll_details(state, -1),
        Action::Purge => {
            if read_only_refusal(state, "purge") {
                return Vec::new();
            }
            let users = state.users.targets();
            if users.is_empty() {
                state.notice = Some((NoticeKind::Error, "No user selected to purge.".into()));
            } else {
                state.modal = Some(Modal::Purge(PurgeState {
                    users,
                    typed: Input::default(),
                    error: None,
                    running: false,
                }));
            }
        }
        Action::Refresh => {
            // The rows stay until the new listing is whole; a failed one leaves them, marked
            // stale.
            let generation = state.users.begin_load();
            state.reload = Some(Vec::new());
            state.notice = None;
            return vec![Effect::LoadDeleted { generation }];
        }
        Action::FinishUnfinished => {
            if state.unfinished.is_empty() && !state.earlier.is_empty() {
                state.notice = Some((
                    NoticeKind::Info,
                    format!(
                        "Nothing to finish in this directory. If the {} of an earlier version \
                         (directory unknown) were made here, `{} --adopt-earlier` takes them in.",
                        match state.earlier.len() {
                            1 => "1 restore".to_string(),
                            n => format!("{n} restores"),
                        },
                        state.settings.finish_command
                    ),
                ));
            } else if state.unfinished.is_empty() {
                state.notice = Some((
                    NoticeKind::Info,
                    "No interrupted restores to finish.".into(),
                ));
            } else if !read_only_refusal(state, "finishing interrupted restores") {
                state.notice = Some((
                    NoticeKind::Info,
                    format!(
                        "Finishing {}…",
                        crate::text::count(
                            state.unfinished.len(),
                            "interrupted restore",
                            "interrupted restores"
                        )
                    ),
                ));
                state.finishing = true;
                return vec![Effect::FinishUnfinished];
            }
        }
        Action::ViewRestored => return super::restored::show(state, View::Restored),
        Action::OnlyConflicts => {
            state.users.toggle_only_conflicts();
            state.notice = Some((
                NoticeKind::Info,
                match (state.users.only_conflicts(), state.sweep.phase) {
                    (false, _) => "Showing every user again.".to_string(),
                    (true, super::sweep::Phase::Done) => format!(
                        "Only users in conflict: {} (c or Esc shows everyone).",
                        state.users.shown().len()
                    ),
                    (true, _) => "Only users in conflict; the sweep is still checking, more may \
                                  follow (c or Esc shows everyone)."
                        .to_string(),
                },
            ));
        }
        Action::ViewDeleted => return super::restored::show(state, View::Deleted),
        Action::CopyUpn | Action::CopyId => {
            let Some(row) = state.users.current_row() else {
                state.notice = Some((NoticeKind::Error, "No user selected to copy.".into()));
                return Vec::new();
            };
            let (name, id, upn) = (
                row.display_name().to_string(),
                row.id().to_string(),
                row.original_upn().to_string(),
            );
            return if action == Action::CopyUpn {
                super::restored::copy(state, &name, "user name", &upn)
            } else {
                super::restored::copy(state, &name, "object id", &id)
            };
        }
        Action::Quit | Action::ForceQuit => {
            state.quit = true;
            return vec![Effect::Quit];
        }
        _ => {}
    }
    Vec::new()
}

/// A time of day for a status line, in UTC like the header.
pub(super) fn clock(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(
        || "start".to_string(),
        |t| t.format("%H:%M UTC").to_string(),
    )
}

/// The request's details, for the end of a line: the cause is said first.
pub(super) fn last(e: &crate::directory::DirectoryError) -> String {
    e.details().map(|d| format!(" ({d})")).unwrap_or_default()
}

pub(super) fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub(super) fn filter_key(state: &mut State, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
    match action {
        Some(Action::Submit) => state.users.stop_filter(),
        Some(Action::Cancel) => state.users.clear_filter(false),
        Some(Action::Down) => move_selection(state, 1),
        Some(Action::Up) => move_selection(state, -1),
        _ => {
            if state
                .users
                .filter_input()
                .handle_event(&Event::Key(key))
                .is_some_and(|c| c.value)
            {
                state.users.apply_filter();
            }
        }
    }
    Vec::new()
}

fn on_mouse(state: &mut State, m: MouseEvent) -> Vec<Effect> {
    let step = 3;
    if state.help.is_some() {
        let action = match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            _ => None,
        };
        return help_action(state, action);
    }
    if state.modal.is_none() && state.view == View::Restored {
        super::restored::on_mouse(state, m, step as isize);
        return Vec::new();
    }
    match (&mut state.modal, m.kind) {
        (Some(Modal::Progress(p)), MouseEventKind::ScrollDown) => {
            p.scroll = (p.scroll + step).min(p.lines.len().saturating_sub(1))
        }
        (Some(Modal::Progress(p)), MouseEventKind::ScrollUp) => {
            p.scroll = p.scroll.saturating_sub(step)
        }
        (Some(Modal::Result(r)), MouseEventKind::ScrollDown) => {
            r.selected = (r.selected + 1).min(r.outcomes.len().saturating_sub(1))
        }
        (Some(Modal::Result(r)), MouseEventKind::ScrollUp) => {
            r.selected = r.selected.saturating_sub(1)
        }
        (Some(_), _) => {}
        (None, MouseEventKind::ScrollDown | MouseEventKind::ScrollUp) => {
            let delta = if m.kind == MouseEventKind::ScrollDown {
                step as isize
            } else {
                -(step as isize)
            };
            // The wheel scrolls what is under the pointer.
            let area = Rect::new(0, 0, state.size.0, state.size.1);
            let over_details = layout::layout(state, area)
                .and_then(|a| a.details)
                .is_some_and(|d| d.contains(ratatui::layout::Position::new(m.column, m.row)));
            if over_details {
                scroll_details(state, delta);
            } else {
                move_selection(state, delta);
            }
        }
        (None, MouseEventKind::Down(MouseButton::Left)) => {
            let area = Rect::new(0, 0, state.size.0, state.size.1);
            if let Some(areas) = layout::layout(state, area) {
                let r = areas.rows;
                if m.column >= r.x
                    && m.column < r.right()
                    && m.row >= r.y
                    && m.row < r.bottom()
                    && let Some(pos) = state.users.at_screen_row(usize::from(m.row - r.y))
                {
                    state.users.select(pos);
                    // A click on the mark box toggles the mark.
                    if m.column < r.x + 2 {
                        state.users.toggle_mark_current();
                    }
                }
            }
        }
        _ => {}
    }
    Vec::new()
}

fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    // Pasted line breaks would submit nothing useful: keep one line.
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    let input: Option<&mut Input> = match &mut state.modal {
        Some(Modal::Restore(f)) => f.focused_input(),
        Some(Modal::Purge(p)) => Some(&mut p.typed),
        None if state.users.filtering() => Some(state.users.filter_input()),
        _ => None,
    };
    if let Some(input) = input {
        for c in text.chars() {
            input.handle(InputRequest::InsertChar(c));
        }
    }
    if state.modal.is_none() && state.users.filtering() {
        state.users.apply_filter();
    }
    Vec::new()
}
