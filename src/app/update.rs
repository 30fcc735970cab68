//! `update(&mut State, Msg) -> Vec<Effect>`: the only place the state changes. Pure: no I/O, no
//! clock (time arrives in `Msg::Tick`), so every key on every screen is unit-tested below.

use std::collections::HashSet;

use crossterm::event::{Event, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use tui_input::backend::crossterm::EventHandler;
use tui_input::{Input, InputRequest};

use super::action::Action;
use super::effect::{Effect, MailCommand};
use super::keymap::{self, Scope};
use super::layout;
use super::msg::Msg;
use super::state::{
    CONFIRM_OVER, Field, LOG_CAPACITY, Modal, NoticeKind, PasswordPrompt, Preflight, ProgressState,
    PurgeState, RestoreForm, ResultButton, ResultState, State, Verdict, retryable,
};
use crate::directory::{DeletedUser, ErrorKind};
use crate::restore::{self, PasswordChoice, PasswordStep};

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
            // The request log is a pane of the table: a dialog opening over it takes its place,
            // rather than being drawn into it.
            if state.modal.is_some() {
                state.log_open = false;
            }
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
            if let Some(staged) = &mut state.reload {
                // A reload keeps the rows on screen until its listing is whole.
                match result {
                    Ok(page) => staged.extend(page.users),
                    Err(e) => {
                        state.reload = None;
                        state.users.loading = false;
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
            if generation == state.users.generation {
                if let Some(staged) = state.reload.take() {
                    let selected = state.users.current_id().map(str::to_string);
                    let marks = state.users.clear_for_reload();
                    state.users.generation = generation;
                    state.users.push_page(staged);
                    for i in 0..state.users.rows.len() {
                        if marks.contains(state.users.rows[i].id()) {
                            state.users.set_mark(i as u32, true);
                        }
                    }
                    if let Some(id) = selected
                        && let Some(pos) = state
                            .users
                            .shown
                            .iter()
                            .position(|&i| state.users.rows[i as usize].id() == id)
                    {
                        state.users.selected = pos;
                    }
                }
                state.users.loading = false;
                state.pending_marks.clear();
                state.loaded_at = Some(state.now);
                state.stale_since = None;
            }
            Vec::new()
        }
        Msg::Preflight { id, result } => {
            on_preflight(state, &id, result);
            Vec::new()
        }
        Msg::Tenant(tenant) => {
            state.tenant = tenant;
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
            // Finishing interrupted restores generates, and asks for a change at sign-in.
            let step = state.last_step.take().unwrap_or(PasswordStep {
                choice: PasswordChoice::Auto,
                force_change: true,
                force_change_with_mfa: false,
                why: "tried again on the result screen".into(),
            });
            // What the table said before belongs to the table: this screen has its own lines.
            state.notice = None;
            state.modal = Some(Modal::Result(Box::new(ResultState::new(
                outcomes,
                recipients,
                include_password,
                step,
            ))));
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
    let height = layout::table_rows(state);
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
    let typing = match (&state.modal, scope) {
        (Some(Modal::Restore(f)), Scope::RestoreDialog) => f.focus.is_text(),
        (Some(Modal::Result(r)), Scope::ResultPassword) => {
            r.prompt.as_ref().is_some_and(|p| !p.auto)
        }
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
    if layout::too_small(Rect::new(0, 0, state.size.0, state.size.1)) {
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
        Scope::ResultPassword => prompt_key(state, action, key),
        Scope::ErrorPane => error_pane_key(state, action),
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
        Action::Filter => {
            state.users.filtering = true;
        }
        Action::Cancel => {
            if state.log_open {
                // The log's title says @ closes it; Esc does too, as in every other pane.
                state.log_open = false;
            } else if !state.users.filter.value().is_empty() {
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
            // The rows stay until the new listing is whole; a failed one leaves them, marked
            // stale.
            state.users.generation += 1;
            state.users.loading = true;
            state.reload = Some(Vec::new());
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
    let effects = vec![Effect::Preflight {
        users: targets.clone(),
    }];
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
    state.notice = None;
    state.modal = Some(Modal::Restore(Box::new(RestoreForm::new(targets, &mail))));
    effects
}

fn on_preflight(state: &mut State, id: &str, result: Result<restore::Preflight, String>) {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return;
    };
    let Some(target) = form.targets.iter_mut().find(|t| t.user.id == id) else {
        return;
    };
    target.preflight = match &result {
        Err(e) => Preflight::Failed(e.clone()),
        Ok(found) if !found.has_conflict() => Preflight::Clear,
        Ok(found) => {
            state.users.conflicts.insert(id.to_string());
            if found.upn_holder.is_some() {
                target.new_upn = Input::new(found.suggested_upn.clone().unwrap_or_default());
            }
            Preflight::Conflict {
                upn_holder: found
                    .upn_holder
                    .as_ref()
                    .map(|h| format!("\"{}\" ({})", h.display_name, h.user_principal_name)),
                proxy_conflicts: found.proxy_holders.iter().map(|(a, _)| a.clone()).collect(),
            }
        }
    };
    target.found = result.ok();
}

/// A time of day for a status line, in UTC like the header.
fn clock(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(
        || "start".to_string(),
        |t| t.format("%H:%M UTC").to_string(),
    )
}

/// The request's details, for the end of a line: the cause is said first.
fn last(e: &crate::directory::DirectoryError) -> String {
    e.details().map(|d| format!(" ({d})")).unwrap_or_default()
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
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
                let changed = input
                    .handle_event(&Event::Key(key))
                    .is_some_and(|c| c.value);
                form.error = None;
                if changed && form.focus == Field::Password {
                    return ask_about_password(state);
                }
            }
        }
    }
    Vec::new()
}

/// After the typed password changed: ask the directory about it (the runner waits for typing
/// to pause), unless it already said it cannot be asked.
fn ask_about_password(state: &mut State) -> Vec<Effect> {
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Vec::new();
    };
    if matches!(form.verdict, Verdict::Unavailable(_)) {
        return Vec::new();
    }
    if form.password.value().is_empty() {
        form.verdict = Verdict::None;
        return Vec::new();
    }
    state.verdict_seq += 1;
    let seq = state.verdict_seq;
    form.verdict = Verdict::Asking { seq };
    vec![Effect::CheckPassword {
        seq,
        password: secrecy::SecretString::from(form.password.value()),
    }]
}

fn submit_restore(state: &mut State) -> Vec<Effect> {
    if read_only_refusal(state, "restore") {
        return Vec::new();
    }
    let Some(Modal::Restore(form)) = &mut state.modal else {
        return Vec::new();
    };
    let checking = form.checking();
    if checking > 0 {
        form.error = Some(format!(
            "Still checking {checking} of {} user(s) for conflicts; try again in a moment.",
            form.targets.len()
        ));
        return Vec::new();
    }
    let request = form.request();
    // Every rule lives in the plan; the form only points at the field a problem is about.
    if let Some(problem) = restore::validate(&request, &state.tenant)
        .into_iter()
        .next()
    {
        form.focus = match problem.field {
            restore::Field::Password => Field::Password,
            restore::Field::Recipients => Field::Recipients,
            restore::Field::NewUpn(i) => Field::NewUpn(i),
            restore::Field::User(i) if form.fields().contains(&Field::Reconcile(i)) => {
                Field::Reconcile(i)
            }
            restore::Field::User(_) => form.focus,
        };
        form.error = Some(problem.message);
        return Vec::new();
    }
    if form.targets.len() > CONFIRM_OVER && !form.confirm_many {
        form.confirm_many = true;
        return Vec::new();
    }
    let users: Vec<DeletedUser> = form.targets.iter().map(|t| t.user.clone()).collect();
    let include_password = form.include_password;
    let step = PasswordStep {
        choice: request.password.clone(),
        force_change: request.force_change,
        force_change_with_mfa: request.force_change_with_mfa,
        why: "tried again on the result screen".into(),
    };
    let plan = match restore::into_plan(request, &HashSet::new()) {
        Ok(plan) => plan,
        Err(e) => {
            form.error = Some(e);
            return Vec::new();
        }
    };
    // The typed password now lives in the plan (a secret); the editor is emptied, yank
    // buffer included, which `reset()` would keep.
    form.password = Input::default();
    state.last_mail = Some((plan.mail_to.clone(), include_password));
    state.last_step = Some(step);
    state.modal = Some(Modal::Progress(ProgressState::new(&users)));
    vec![Effect::Restore(plan)]
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
        Some(Modal::Restore(form)) => match action {
            Some(Action::Yes) => return submit_restore(state),
            Some(Action::No) => form.confirm_many = false,
            _ => {}
        },
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
                let missing = r.missing_passwords();
                let outcomes = std::mem::take(&mut r.outcomes);
                state.modal = None;
                state.notice = Some((
                    NoticeKind::Info,
                    if missing > 0 {
                        format!(
                            "Closed without email; {restored} user(s) restored, {missing} without \
                             a password: F finishes them."
                        )
                    } else {
                        format!("Closed without email; {restored} user(s) restored.")
                    },
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
        Some(Action::NextField) if r.can_send() => {
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
                r.message = Some(format!(
                    "Copied {}'s password to the clipboard (OSC 52).",
                    o.display_name
                ));
                return vec![Effect::Copy(pw.clone())];
            }
            r.message = Some("This line has no password to copy.".into());
        }
        Some(Action::ShowError) => match r.outcomes.get(r.selected) {
            Some(o) if o.failure.is_some() => r.error_pane = Some(0),
            _ => r.message = Some("This line has no error to show.".into()),
        },
        Some(Action::SetPassword) => {
            if r.busy {
                r.message = Some("Still working on the last request…".into());
            } else if r
                .outcomes
                .get(r.selected)
                .is_some_and(|o| o.needs_password())
            {
                r.prompt = Some(PasswordPrompt {
                    index: r.selected,
                    auto: true,
                    input: Input::default(),
                    reveal: false,
                    error: None,
                });
            } else {
                r.message = Some("p sets a password for a restored user that has none.".into());
            }
        }
        Some(Action::Retry) => return retry_failed(r),
        Some(Action::Submit) => {
            if r.sending || r.busy {
                return Vec::new();
            }
            if !r.can_send() {
                // Passwords nobody has been sent: closing loses them, so ask as "Close
                // without email" does.
                if r.holds_passwords() {
                    r.confirm_close = true;
                    return Vec::new();
                }
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
            if r.sending || r.busy {
                return Vec::new();
            }
            if r.complete() > 0 || r.missing_passwords() > 0 {
                r.confirm_close = true;
            } else {
                state.modal = None;
            }
        }
        _ => {}
    }
    Vec::new()
}

/// `r`: every failed user again with the run's choices: a failed restore is planned again,
/// a missing password is set.
fn retry_failed(r: &mut ResultState) -> Vec<Effect> {
    if r.busy || r.sending {
        r.message = Some("Still working on the last request…".into());
        return Vec::new();
    }
    let failed: Vec<&restore::UserOutcome> = r.outcomes.iter().filter(|o| retryable(o)).collect();
    if failed.is_empty() {
        r.message = Some("Nothing to retry.".into());
        return Vec::new();
    }
    let passwords: Vec<restore::UserOutcome> = failed
        .iter()
        .filter(|o| o.needs_password())
        .map(|o| (*o).clone())
        .collect();
    let planned: Vec<restore::PlannedUser> = failed
        .iter()
        .filter(|o| !o.restored())
        .filter_map(|o| o.planned.clone())
        .collect();
    let plan = (!planned.is_empty()).then(|| {
        let mut plan = restore::RestorePlan::new(planned);
        plan.password = r.step.choice.clone();
        plan.force_change = r.step.force_change;
        plan.force_change_with_mfa = r.step.force_change_with_mfa;
        plan.mail_to = r.recipients.clone();
        plan.include_password = r.include_password;
        plan
    });
    r.busy = true;
    r.message = Some(format!("Retrying {} user(s)…", failed.len()));
    vec![Effect::Retry {
        restore: plan,
        passwords,
        step: r.step.clone(),
    }]
}

/// Keys of the `p` prompt: Tab switches generate / type, F2 shows, Enter sets, Esc cancels.
fn prompt_key(state: &mut State, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
    let Some(Modal::Result(r)) = &mut state.modal else {
        return Vec::new();
    };
    let Some(p) = &mut r.prompt else {
        return Vec::new();
    };
    match action {
        Some(Action::Cancel) => r.prompt = None,
        Some(Action::NextField) | Some(Action::PrevField) => {
            p.auto = !p.auto;
            p.error = None;
        }
        Some(Action::Reveal) => p.reveal = !p.reveal,
        Some(Action::Submit) => {
            let Some(o) = r.outcomes.get(p.index) else {
                r.prompt = None;
                return Vec::new();
            };
            let choice = if p.auto {
                PasswordChoice::Auto
            } else {
                let typed = p.input.value();
                let names = [(o.display_name.as_str(), o.original_upn.as_str())];
                let check = restore::check_password_for(typed, &state.tenant, &names);
                if let Some(why) = check.first_failure() {
                    p.error = Some(format!("Password refused: {why}"));
                    return Vec::new();
                }
                PasswordChoice::Given(secrecy::SecretString::from(typed))
            };
            let outcome = o.clone();
            let step = PasswordStep {
                choice,
                force_change: r.step.force_change,
                force_change_with_mfa: r.step.force_change_with_mfa,
                why: "set with p on the result screen".into(),
            };
            r.prompt = None;
            r.busy = true;
            r.message = Some(format!("Setting {}'s password…", outcome.display_name));
            return vec![Effect::Retry {
                restore: None,
                passwords: vec![outcome],
                step,
            }];
        }
        _ => {
            if !p.auto {
                p.input.handle_event(&Event::Key(key));
                p.error = None;
            }
        }
    }
    Vec::new()
}

/// Keys of the `e` pane: it scrolls, and `e`/Esc close it.
fn error_pane_key(state: &mut State, action: Option<Action>) -> Vec<Effect> {
    let Some(Modal::Result(r)) = &mut state.modal else {
        return Vec::new();
    };
    let Some(top) = &mut r.error_pane else {
        return Vec::new();
    };
    match action {
        Some(Action::Down) => *top += 1,
        Some(Action::Up) => *top = top.saturating_sub(1),
        Some(Action::PageDown) => *top += 10,
        Some(Action::PageUp) => *top = top.saturating_sub(10),
        Some(Action::Cancel) | Some(Action::ShowError) => r.error_pane = None,
        _ => {}
    }
    Vec::new()
}

/// Outcomes a retry or `p` changed replace theirs on the result screen.
fn on_outcomes_updated(state: &mut State, changed: Vec<restore::UserOutcome>) {
    let restored: HashSet<String> = changed
        .iter()
        .filter(|o| o.restored())
        .map(|o| o.id.clone())
        .collect();
    state.users.remove_ids(&restored);
    let Some(Modal::Result(r)) = &mut state.modal else {
        return;
    };
    r.busy = false;
    let changed_ids: HashSet<String> = changed.iter().map(|o| o.id.clone()).collect();
    let (mut fixed, mut still) = (0, 0);
    for new in changed {
        if new.failure.is_none() {
            fixed += 1;
        } else {
            still += 1;
        }
        match r.outcomes.iter_mut().find(|o| o.id == new.id) {
            Some(old) => *old = new,
            None => r.outcomes.push(new),
        }
    }
    let first_error = r
        .outcomes
        .iter()
        .filter(|o| changed_ids.contains(&o.id))
        .find_map(|o| {
            o.failure
                .as_ref()
                .map(|f| (o.display_name.clone(), f.error.message.clone()))
        });
    r.message = Some(match (fixed, still, first_error) {
        (_, 0, _) => format!("✓ {fixed} user(s) done."),
        (0, 1, Some((name, why))) => format!("✗ {name}: {why} (e shows it whole)"),
        (0, _, _) => format!("✗ Still failing: {still} user(s). e shows why."),
        _ => format!("✓ {fixed} done, ✗ {still} still failing (e shows why)."),
    });
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
    let max = super::help::lines().len().saturating_sub(1);
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
