//! `update(&mut State, Msg) -> Vec<Effect>`: the only place the state changes. Pure: no I/O, no
//! clock (time arrives in `Msg::Tick`), so every key on every screen is unit-tested below.

use std::collections::HashSet;

use crossterm::event::{Event, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use secrecy::SecretString;
use tui_input::backend::crossterm::EventHandler;
use tui_input::{Input, InputRequest};

use super::action::Action;
use super::effect::{Effect, MailCommand, PlannedTarget, RestoreCommand};
use super::keymap::{self, Scope};
use super::msg::{Msg, PreflightFound};
use super::state::{
    Field, LOG_CAPACITY, Modal, NoticeKind, Preflight, ProgressState, PurgeState, RestoreForm,
    ResultButton, ResultState, State,
};
use crate::directory::ErrorKind;
use crate::ui;

/// Pre-flight checks run for at most this many users at once (each costs a few GETs).
pub const PREFLIGHT_LIMIT: usize = 20;

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => {
            let minute_changed = now.timestamp() / 60 != state.now.timestamp() / 60;
            state.now = now;
            state.spinner = state.spinner.wrapping_add(1);
            let animating = state.users.loading
                || matches!(state.modal, Some(Modal::Progress(_)))
                || matches!(&state.modal, Some(Modal::Result(r)) if r.sending)
                || matches!(&state.modal, Some(Modal::Restore(f)) if f.targets.iter().any(|t| t.preflight == Preflight::Checking));
            if minute_changed || animating {
                state.dirty = true;
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
            // Whatever changed (a key, a page, a notice opening the status line and taking a
            // row from the table), the selected row stays on screen: one rule, in one place.
            ensure_visible(state);
            effects
        }
    }
}

fn handle(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Mouse(m) => on_mouse(state, m),
        Msg::Paste(text) => on_paste(state, &text),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            Vec::new()
        }
        Msg::Page { generation, result } => {
            if generation != state.users.generation {
                return Vec::new();
            }
            match result {
                Ok(page) => {
                    if let Some(total) = page.total {
                        state.users.expected_total = Some(total);
                        state.users.reserve_for(total, &page.users);
                    }
                    let start = state.users.rows.len();
                    state.users.push_page(page.users);
                    if !state.pending_marks.is_empty() {
                        for i in start..state.users.rows.len() {
                            if state.pending_marks.remove(state.users.rows[i].id()) {
                                state.users.set_mark(i as u32, true);
                            }
                        }
                    }
                }
                Err(e) => {
                    state.users.loading = false;
                    state.users.load_error = Some(e.to_string());
                    state.notice = Some((
                        NoticeKind::Error,
                        format!("Loading stopped: {e} ({}). R retries.", e.advice()),
                    ));
                }
            }
            Vec::new()
        }
        Msg::LoadFinished { generation } => {
            if generation == state.users.generation {
                state.users.loading = false;
                state.pending_marks.clear();
            }
            Vec::new()
        }
        Msg::Preflight { id, result } => {
            on_preflight(state, &id, result);
            Vec::new()
        }
        Msg::Job { id, status } => {
            if let Some(Modal::Progress(p)) = &mut state.modal
                && let Some(i) = p.index.get(&id).copied()
            {
                p.lines[i].status = status;
            }
            Vec::new()
        }
        Msg::RestoreFinished { outcomes, mail } => {
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
                    state.users.conflicts.insert(o.id.clone());
                }
            }
            state.users.remove_ids(&restored);
            let (recipients, include_password) = mail
                .or_else(|| state.last_mail.take())
                .unwrap_or((Vec::new(), true));
            state.modal = Some(Modal::Result(Box::new(ResultState {
                outcomes,
                recipients,
                include_password,
                focus: ResultButton::SendAndClose,
                selected: 0,
                reveal: false,
                confirm_close: false,
                sending: false,
                send_error: None,
                copied: None,
            })));
            Vec::new()
        }
        Msg::Warning(text) => {
            state.notice = Some((NoticeKind::Error, text));
            Vec::new()
        }
        Msg::MailSent(result) => {
            if let Some(Modal::Result(r)) = &mut state.modal {
                r.sending = false;
                match result {
                    Ok(()) => {
                        let to = r.recipients.join(", ");
                        state.modal = None;
                        state.notice =
                            Some((NoticeKind::Info, format!("✓ Sign-in info sent to {to}.")));
                    }
                    Err(e) => r.send_error = Some(e),
                }
            }
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
            state.unfinished = list;
            Vec::new()
        }
        Msg::UnfinishedFailed(e) => {
            state.notice = Some((NoticeKind::Error, e));
            Vec::new()
        }
        Msg::Tick(_) | Msg::Request(_) => Vec::new(),
    }
}

/// Keeps the selected row inside the visible window.
pub fn ensure_visible(state: &mut State) {
    let height = ui::table_rows(state);
    let u = &mut state.users;
    let len = u.shown.len();
    u.selected = u.selected.min(len.saturating_sub(1));
    if u.selected < u.offset {
        u.offset = u.selected;
    } else if u.selected >= u.offset + height {
        u.offset = u.selected + 1 - height;
    }
    u.offset = u.offset.min(len.saturating_sub(height));
}

fn move_selection(state: &mut State, delta: isize) {
    let len = state.users.shown.len();
    if len == 0 {
        return;
    }
    let cur = state.users.selected as isize;
    state.users.selected = (cur + delta).clamp(0, len as isize - 1) as usize;
}

/// Scrolls the open details pane by `delta` lines, within what its user's details need.
fn scroll_details(state: &mut State, delta: isize) {
    if !state.details {
        return;
    }
    let Some(id) = state.users.current_id().map(str::to_string) else {
        return;
    };
    let max = ui::table::details_max_scroll(state);
    // Clamped first: a resize may have made the pane taller since the last scroll.
    let top = state.details_top().min(max) as isize;
    let top = (top + delta).clamp(0, max as isize) as usize;
    state.details_scroll = Some((id, top));
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind != KeyEventKind::Press {
        return Vec::new();
    }
    let scope = ui::scope(state);
    let typing = match (&state.modal, scope) {
        (Some(Modal::Restore(f)), _) => f.focus.is_text(),
        (Some(Modal::Purge(_)), _) => true,
        (None, Scope::Filter) => true,
        _ => false,
    };
    let action = keymap::lookup(scope, &key, typing);
    if action == Some(Action::ForceQuit) {
        state.quit = true;
        return vec![Effect::Quit];
    }
    // A too-small terminal shows only a notice: keys must not act on what cannot be seen,
    // except q (from the table) to leave.
    if ui::too_small(Rect::new(0, 0, state.size.0, state.size.1)) {
        if scope == Scope::Table && action == Some(Action::Quit) {
            state.quit = true;
            return vec![Effect::Quit];
        }
        return Vec::new();
    }
    match scope {
        Scope::Table => table_action(state, action),
        Scope::Filter => filter_key(state, action, key),
        Scope::RestoreDialog => restore_key(state, action, key),
        Scope::Progress => progress_action(state, action),
        Scope::Result => result_action(state, action),
        Scope::Confirm => confirm_action(state, action),
        Scope::Purge => purge_key(state, action, key),
        Scope::Help => help_action(state, action),
        Scope::Global => Vec::new(),
    }
}

fn read_only_refusal(state: &mut State, what: &str) -> bool {
    if state.settings.read_only {
        state.notice = Some((
            NoticeKind::Error,
            format!("Read-only mode (--read-only): {what} is disabled."),
        ));
        true
    } else {
        false
    }
}

fn table_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(action) = action else {
        return Vec::new();
    };
    let page = ui::table_rows(state) as isize;
    match action {
        Action::Down => move_selection(state, 1),
        Action::Up => move_selection(state, -1),
        Action::PageDown => move_selection(state, page),
        Action::PageUp => move_selection(state, -page),
        Action::HalfPageDown => move_selection(state, (page / 2).max(1)),
        Action::HalfPageUp => move_selection(state, -(page / 2).max(1)),
        Action::Top => move_selection(state, isize::MIN / 2),
        Action::Bottom => move_selection(state, isize::MAX / 2),
        Action::Filter => {
            state.users.filtering = true;
        }
        Action::Cancel => {
            if !state.users.filter.value().is_empty() {
                state.users.filter = Input::default();
                state.users.refilter_keep_selection();
            } else {
                state.notice = None;
            }
        }
        Action::SortNext => {
            state.users.sort = state.users.sort.next();
            state.users.reverse = false;
            state.users.resort();
        }
        Action::SortReverse => {
            state.users.reverse = !state.users.reverse;
            state.users.resort();
        }
        Action::ToggleMark => {
            if let Some(idx) = state.users.current_index() {
                let on = !state.users.is_marked(idx);
                state.users.set_mark(idx, on);
                move_selection(state, 1);
            }
        }
        Action::MarkAllShown => {
            let shown = state.users.shown.clone();
            for idx in shown {
                state.users.set_mark(idx, true);
            }
        }
        Action::ClearMarks => {
            let all: Vec<u32> = (0..state.users.rows.len() as u32).collect();
            for idx in all {
                state.users.set_mark(idx, false);
            }
        }
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
            state.pending_marks = state.users.clear_for_reload();
            state.notice = None;
            return vec![Effect::LoadDeleted {
                generation: state.users.generation,
            }];
        }
        Action::FinishUnfinished => {
            if state.unfinished.is_empty() {
                state.notice = Some((
                    NoticeKind::Info,
                    "No interrupted restores to finish.".into(),
                ));
            } else if !read_only_refusal(state, "finishing interrupted restores") {
                state.notice = Some((
                    NoticeKind::Info,
                    format!(
                        "Finishing {} interrupted restore(s)…",
                        state.unfinished.len()
                    ),
                ));
                return vec![Effect::FinishUnfinished];
            }
        }
        Action::RequestLog => {
            state.log_open = !state.log_open;
        }
        Action::Help => state.modal = Some(Modal::Help { scroll: 0 }),
        Action::Quit | Action::ForceQuit => {
            state.quit = true;
            return vec![Effect::Quit];
        }
        _ => {}
    }
    Vec::new()
}

fn open_restore(state: &mut State) -> Vec<Effect> {
    if read_only_refusal(state, "restore") {
        return Vec::new();
    }
    let targets = state.users.targets();
    if targets.is_empty() {
        state.notice = Some((
            NoticeKind::Error,
            if state.users.loading {
                "Still loading: no user to restore yet."
            } else {
                "No user selected to restore."
            }
            .into(),
        ));
        return Vec::new();
    }
    let effects = if targets.len() <= PREFLIGHT_LIMIT {
        targets
            .iter()
            .map(|u| Effect::Preflight { user: u.clone() })
            .collect()
    } else {
        Vec::new()
    };
    // The signed-in admin by default; app-only sign-in has no mailbox of its own, so the
    // sending mailbox stands in (or nobody, and the admin types one).
    let mail = [
        Some(&state.settings.account),
        state.settings.mail_sender.as_ref(),
    ]
    .into_iter()
    .flatten()
    .find(|a| crate::restore::parse_recipients(a).is_ok_and(|r| r.len() == 1))
    .cloned()
    .unwrap_or_default();
    state.modal = Some(Modal::Restore(Box::new(RestoreForm::new(
        targets,
        &mail,
        PREFLIGHT_LIMIT,
    ))));
    effects
}

fn on_preflight(state: &mut State, id: &str, result: Result<PreflightFound, String>) {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return;
    };
    let Some(target) = form.targets.iter_mut().find(|t| t.user.id == id) else {
        return;
    };
    target.preflight = match result {
        Err(e) => Preflight::Failed(e),
        Ok(found) if found.upn_holder.is_none() && found.proxy_conflicts.is_empty() => {
            Preflight::Clear
        }
        Ok(found) => {
            state.users.conflicts.insert(id.to_string());
            if found.upn_holder.is_some() {
                target.new_upn = Input::new(found.suggested_upn.clone().unwrap_or_default());
            }
            Preflight::Conflict {
                upn_holder: found.upn_holder,
                proxy_conflicts: found.proxy_conflicts,
            }
        }
    };
}

fn filter_key(state: &mut State, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
    match action {
        Some(Action::Submit) => state.users.filtering = false,
        Some(Action::Cancel) => {
            state.users.filtering = false;
            state.users.filter = Input::default();
            state.users.refilter_keep_selection();
        }
        Some(Action::Down) => move_selection(state, 1),
        Some(Action::Up) => move_selection(state, -1),
        _ => {
            if state
                .users
                .filter
                .handle_event(&Event::Key(key))
                .is_some_and(|c| c.value)
            {
                state.users.refilter();
                state.users.selected = 0;
                state.users.offset = 0;
            }
        }
    }
    Vec::new()
}

fn restore_key(state: &mut State, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Vec::new();
    };
    match action {
        Some(Action::NextField) | Some(Action::PrevField) => {
            let fields = form.fields();
            let pos = fields.iter().position(|f| *f == form.focus).unwrap_or(0);
            let n = fields.len();
            let next = if action == Some(Action::NextField) {
                (pos + 1) % n
            } else {
                (pos + n - 1) % n
            };
            form.focus = fields[next];
        }
        Some(Action::Toggle) => match form.focus {
            Field::AutoPassword => form.auto_password = true,
            Field::ManualPassword => form.auto_password = false,
            Field::ForceChange => {
                form.force_change = !form.force_change;
                if !form.force_change {
                    form.force_change_mfa = false;
                }
            }
            Field::ForceChangeMfa => form.force_change_mfa = !form.force_change_mfa,
            Field::IncludePassword => form.include_password = !form.include_password,
            Field::Reconcile(i) => {
                if let Some(t) = form.targets.get_mut(i) {
                    t.reconcile = !t.reconcile;
                }
            }
            Field::Restore => return submit_restore(state),
            Field::Cancel => state.modal = None,
            Field::Password | Field::Recipients | Field::NewUpn(_) => {}
        },
        Some(Action::Reveal) => form.reveal = !form.reveal,
        Some(Action::Cancel) => state.modal = None,
        Some(Action::Submit) => match form.focus {
            Field::Cancel => state.modal = None,
            Field::ManualPassword if form.auto_password => {
                // Enter on "let me create" picks it and goes to the field, as a user expects.
                form.auto_password = false;
                form.focus = Field::Password;
            }
            _ => return submit_restore(state),
        },
        _ => {
            if let Some(input) = form.focused_input() {
                input.handle_event(&Event::Key(key));
                form.error = None;
            }
        }
    }
    Vec::new()
}

fn submit_restore(state: &mut State) -> Vec<Effect> {
    if read_only_refusal(state, "restore") {
        return Vec::new();
    }
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Vec::new();
    };
    if form
        .targets
        .iter()
        .any(|t| t.preflight == Preflight::Checking)
    {
        form.error = Some("Still checking for conflicts; try again in a moment.".into());
        return Vec::new();
    }
    if !form.auto_password {
        let report = crate::password::check(form.password.value());
        if let Some(why) = report.first_failure() {
            form.error = Some(format!("Password refused: {why}"));
            form.focus = Field::Password;
            return Vec::new();
        }
    }
    let recipients = if form.recipients.value().trim().is_empty() {
        Vec::new()
    } else {
        match crate::restore::parse_recipients(form.recipients.value()) {
            Ok(r) => r,
            Err(e) => {
                form.error = Some(e);
                form.focus = Field::Recipients;
                return Vec::new();
            }
        }
    };
    let mut planned = Vec::with_capacity(form.targets.len());
    for (i, t) in form.targets.iter().enumerate() {
        let (new_upn, reconcile) = match &t.preflight {
            Preflight::Conflict {
                upn_holder,
                proxy_conflicts,
            } => {
                let new_upn = if upn_holder.is_some() {
                    let v = t.new_upn.value().trim().to_string();
                    let valid = v.split('@').count() == 2
                        && !v.starts_with('@')
                        && !v.ends_with('@')
                        && !v.contains(char::is_whitespace);
                    if !valid {
                        form.error = Some(format!(
                            "{}: enter a new user name like name@domain.",
                            t.user.display_name
                        ));
                        form.focus = Field::NewUpn(i);
                        return Vec::new();
                    }
                    if v.eq_ignore_ascii_case(&t.user.original_upn) {
                        form.error = Some(format!(
                            "{}: {v} is taken; choose another user name.",
                            t.user.display_name
                        ));
                        form.focus = Field::NewUpn(i);
                        return Vec::new();
                    }
                    Some(v)
                } else {
                    None
                };
                (new_upn, !proxy_conflicts.is_empty() && t.reconcile)
            }
            _ => (None, false),
        };
        planned.push(PlannedTarget {
            user: t.user.clone(),
            new_upn,
            reconcile_proxies: reconcile,
        });
    }
    // Move the password out of the editor: a fresh Input also drops the yank buffer, which
    // `reset()` would keep.
    let password = if form.auto_password {
        None
    } else {
        let taken = std::mem::take(&mut form.password);
        Some(SecretString::from(String::from(taken)))
    };
    let users: Vec<_> = planned.iter().map(|p| p.user.clone()).collect();
    let command = RestoreCommand {
        targets: planned,
        recipients: recipients.clone(),
        include_password: form.include_password,
        password,
        force_change: form.force_change,
        force_change_mfa: form.force_change && form.force_change_mfa,
    };
    state.last_mail = Some((recipients, form.include_password));
    state.modal = Some(Modal::Progress(ProgressState::new(&users)));
    vec![Effect::Restore(command)]
}

fn progress_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(Modal::Progress(p)) = &mut state.modal else {
        return Vec::new();
    };
    match action {
        Some(Action::Down) => p.scroll = (p.scroll + 1).min(p.lines.len().saturating_sub(1)),
        Some(Action::Up) => p.scroll = p.scroll.saturating_sub(1),
        Some(Action::Cancel) if !p.stopping => p.confirm_stop = true,
        _ => {}
    }
    Vec::new()
}

fn confirm_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    match &mut state.modal {
        Some(Modal::Progress(p)) => match action {
            Some(Action::Yes) => {
                p.confirm_stop = false;
                p.stopping = true;
                return vec![Effect::StopRestore];
            }
            Some(Action::No) => p.confirm_stop = false,
            _ => {}
        },
        Some(Modal::Result(r)) => match action {
            Some(Action::Yes) => {
                let restored = r.restored();
                let outcomes = std::mem::take(&mut r.outcomes);
                state.modal = None;
                state.notice = Some((
                    NoticeKind::Info,
                    format!("Closed without email; {restored} user(s) restored."),
                ));
                return vec![Effect::MailSkipped { outcomes }];
            }
            Some(Action::No) => r.confirm_close = false,
            _ => {}
        },
        _ => {}
    }
    Vec::new()
}

fn result_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(Modal::Result(r)) = &mut state.modal else {
        return Vec::new();
    };
    match action {
        Some(Action::Down) => r.selected = (r.selected + 1).min(r.outcomes.len().saturating_sub(1)),
        Some(Action::Up) => r.selected = r.selected.saturating_sub(1),
        Some(Action::NextField) => {
            r.focus = match r.focus {
                ResultButton::SendAndClose => ResultButton::CloseWithoutMail,
                ResultButton::CloseWithoutMail => ResultButton::SendAndClose,
            }
        }
        Some(Action::Reveal) => r.reveal = !r.reveal,
        Some(Action::Copy) => {
            if let Some(o) = r.outcomes.get(r.selected)
                && let Some(pw) = &o.password
            {
                r.copied = Some(format!(
                    "Copied {}'s password to the clipboard (OSC 52).",
                    o.display_name
                ));
                return vec![Effect::Copy(pw.clone())];
            }
            r.copied = Some("This line has no password to copy.".into());
        }
        Some(Action::Submit) => {
            if r.sending {
                return Vec::new();
            }
            if !r.can_send() {
                let outcomes = std::mem::take(&mut r.outcomes);
                state.modal = None;
                return if outcomes.iter().any(|o| o.complete()) {
                    vec![Effect::MailSkipped { outcomes }]
                } else {
                    Vec::new()
                };
            }
            match r.focus {
                ResultButton::SendAndClose => {
                    r.sending = true;
                    r.send_error = None;
                    return vec![Effect::SendMail(MailCommand {
                        outcomes: r
                            .outcomes
                            .iter()
                            .filter(|o| o.complete())
                            .cloned()
                            .collect(),
                        recipients: r.recipients.clone(),
                        include_password: r.include_password,
                        force_change: r.outcomes.iter().any(|o| o.force_change),
                    })];
                }
                ResultButton::CloseWithoutMail => r.confirm_close = true,
            }
        }
        Some(Action::Cancel) => {
            if r.sending {
                return Vec::new();
            }
            if r.complete() > 0 {
                r.confirm_close = true;
            } else {
                state.modal = None;
            }
        }
        _ => {}
    }
    Vec::new()
}

fn purge_key(state: &mut State, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
    let Some(Modal::Purge(p)) = &mut state.modal else {
        return Vec::new();
    };
    if p.running {
        return Vec::new();
    }
    match action {
        Some(Action::Cancel) => state.modal = None,
        Some(Action::Submit) => {
            let want = p.users.len().to_string();
            if p.typed.value().trim() == want {
                p.running = true;
                p.error = None;
                return vec![Effect::Purge {
                    users: p.users.clone(),
                }];
            }
            p.error = Some(format!(
                "Type {want} to confirm (you typed {:?}).",
                p.typed.value()
            ));
        }
        _ => {
            p.typed.handle_event(&Event::Key(key));
            p.error = None;
        }
    }
    Vec::new()
}

fn help_action(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(Modal::Help { scroll }) = &mut state.modal else {
        return Vec::new();
    };
    let max = ui::help::lines().len().saturating_sub(1);
    // The overlay is the screen's height less its margin and borders.
    let page = usize::from(state.size.1.saturating_sub(4)).max(1);
    match action {
        Some(Action::Down) => *scroll = (*scroll + 1).min(max),
        Some(Action::Up) => *scroll = scroll.saturating_sub(1),
        Some(Action::PageDown) => *scroll = (*scroll + page).min(max),
        Some(Action::PageUp) => *scroll = scroll.saturating_sub(page),
        Some(Action::Top) => *scroll = 0,
        // The last page, whole: the end of the list at the bottom of the overlay.
        Some(Action::Bottom) => *scroll = (max + 1).saturating_sub(page),
        Some(Action::Cancel) => state.modal = None,
        _ => {}
    }
    Vec::new()
}

fn on_mouse(state: &mut State, m: MouseEvent) -> Vec<Effect> {
    let step = 3;
    match (&mut state.modal, m.kind) {
        (Some(Modal::Help { scroll }), MouseEventKind::ScrollDown) => *scroll += 1,
        (Some(Modal::Help { scroll }), MouseEventKind::ScrollUp) => {
            *scroll = scroll.saturating_sub(1)
        }
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
            let over_details = ui::layout(state, area)
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
            if let Some(areas) = ui::layout(state, area) {
                let r = areas.rows;
                if m.column >= r.x && m.column < r.right() && m.row >= r.y && m.row < r.bottom() {
                    let pos = state.users.offset + usize::from(m.row - r.y);
                    if pos < state.users.shown.len() {
                        state.users.selected = pos;
                        // A click on the mark box toggles the mark.
                        if m.column < r.x + 2
                            && let Some(idx) = state.users.current_index()
                        {
                            let on = !state.users.is_marked(idx);
                            state.users.set_mark(idx, on);
                        }
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
        None if state.users.filtering => Some(&mut state.users.filter),
        _ => None,
    };
    if let Some(input) = input {
        for c in text.chars() {
            input.handle(InputRequest::InsertChar(c));
        }
    }
    if state.modal.is_none() && state.users.filtering {
        state.users.refilter();
        state.users.selected = 0;
        state.users.offset = 0;
    }
    Vec::new()
}
