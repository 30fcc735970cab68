//! `update(&mut State, Msg) -> Vec<Effect>`: the only place the state changes. Pure: no I/O, no
//! clock (time arrives in `Msg::Tick`), so every key on every screen is unit-tested
//! (`update_tests.rs`). A key goes to the screen that has the keyboard (`keymap::scope`): the
//! home screen's keys are in `home`, each modal's beside its state in `modal/`; a session's
//! news goes to `news`, once `update` has checked that its session is still the one shown.

use crossterm::event::{KeyEvent, KeyEventKind};
use ratatui::layout::Rect;

use super::action::Action;
use super::effect::Effect;
use super::keymap::{self, Scope};
use super::layout;
use super::modal::{confirm_action, help::open_help};
use super::msg::{Msg, SessionMsg};
use super::sessions::SessionId;
use super::state::{LOG_CAPACITY, NoticeKind, State};

/// How often the directory's lock is checked: a lock file deleted under this session is made
/// again, and a directory another run held becomes writable, within this long.
pub const BOOKS_CHECK: chrono::Duration = chrono::Duration::seconds(3);

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let (owner, mut effects) = match msg {
        Msg::Tick(now) => {
            let effects = on_tick(state, now);
            (state.session().id(), effects)
        }
        Msg::Session { id, msg } => (id, on_session(state, id, msg)),
        other => {
            state.dirty = true;
            let effects = handle(state, other);
            settle(state);
            (state.session().id(), effects)
        }
    };
    // A run's end held while another dialog was open, once none is.
    if state.modal.is_none() && !state.held.is_empty() {
        let (id, msg) = state.held.remove(0);
        let theirs = on_session(state, id, msg);
        effects.extend(theirs.into_iter().map(|e| Effect::In(id, Box::new(e))));
    }
    // A run across tenants goes on to its next tenant once one is done.
    effects.extend(super::tenant_runs::settle(state));
    // Whatever changed in any tenant's table shows in the table across them.
    super::all_tenants::settle(state);
    // What was asked for above is the work of the session it was asked in, even when the run
    // across tenants or the table across them has since put another on screen (a result
    // closed without mail is recorded in its own tenant's journal, not the next one's).
    if state.session().id() != owner {
        effects = effects
            .into_iter()
            .map(|e| match e {
                Effect::In(..) => e,
                other => Effect::In(owner, Box::new(other)),
            })
            .collect();
    }
    effects
}

/// After any change: the quit question goes once nothing would be lost, and whatever changed
/// (a key, a page, a notice opening the status line and taking a row from the table), the
/// selected row stays on screen: one rule, in one place.
fn settle(state: &mut State) {
    super::quit::settle(state);
    ensure_visible(state);
}

/// News of a session: dropped once its session is gone (a session replaced by a new sign-in
/// may still have news on its way). The news of an open session not on screen (another
/// tenant of the run) lands in that session as if it were shown, except what belongs to a
/// dialog, which only the session on screen can have open.
fn on_session(state: &mut State, id: SessionId, msg: SessionMsg) -> Vec<Effect> {
    if state.sessions.get(id).is_none() {
        tracing::debug!(session = %id, "news of a session no longer open, dropped");
        return Vec::new();
    }
    if let SessionMsg::Request(record) = msg {
        if state.log.len() >= LOG_CAPACITY {
            state.log.pop_front();
        }
        state.log.push_back(record);
        // Drawn only when the pane shows it.
        state.dirty |= state.log_open;
        return Vec::new();
    }
    state.dirty = true;
    let shown = state.session().id();
    // The end of a run whose tenant is no longer on screen (the admin left it, then moved
    // to another tenant's row) may carry passwords: its result opens on its own tenant as
    // soon as no other dialog is open, never dropped.
    if id != shown && matches!(msg, SessionMsg::RestoreFinished { .. }) {
        if state.modal.is_some() {
            state.held.push((id, msg));
            return Vec::new();
        }
        state.sessions.show(id);
    }
    if id == state.session().id() {
        let effects = super::news::on_news(state, msg);
        settle(state);
        return effects;
    }
    if !super::news::lands_unseen(&msg) {
        tracing::debug!(session = %id, "a dialog's news of a session not on screen, dropped");
        return Vec::new();
    }
    // The news is applied with its session on screen for the moment, so one set of rules
    // serves every tenant; a notice it leaves names its tenant.
    let before = state.notice.clone();
    state.sessions.show(id);
    let effects = super::news::on_news(state, msg);
    let tenant = state.session().facts.tenant().to_string();
    state.sessions.show(shown);
    if state.notice != before
        && let Some((_, text)) = &mut state.notice
    {
        *text = format!("{tenant}: {text}");
    }
    effects
}

/// The clock: what animates moves on, the sweep's join takes its slice, and every few
/// seconds the directory's lock is checked.
fn on_tick(state: &mut State, now: chrono::DateTime<chrono::Utc>) -> Vec<Effect> {
    if state.sign_in.is_some() {
        super::sign_in::on_tick(state, now);
        return Vec::new();
    }
    let minute_changed = now.timestamp() / 60 != state.now.timestamp() / 60;
    state.now = now;
    state.spinner = state.spinner.wrapping_add(1);
    // Every tenant's sweep joins its own rows, shown or not; a loaded table merges the
    // orders of the columns it does not show, one a tick, before anyone switches to them.
    for s in state.sessions.iter_mut() {
        if s.sweep.phase == super::sweep::Phase::Joining {
            super::sweep::join_some(s, super::sweep::JOIN_CHUNK);
            state.dirty = true;
        }
        s.users.merge_idle_order();
    }
    let s = state.session();
    // The header counts the other tenants' loads and sweeps too.
    let busy = |s: &super::sessions::SessionState| s.users.loading() || s.sweep.busy();
    let animating = busy(s)
        || (state.sessions.several() && state.sessions.iter().any(busy))
        || state.modal.as_ref().is_some_and(|m| m.animates());
    if minute_changed || animating {
        state.dirty = true;
    }
    let s = state.session_mut();
    let due = s
        .books_checked
        .is_none_or(|at| now - at >= BOOKS_CHECK || now < at);
    if due && !s.facts.read_only {
        s.books_checked = Some(now);
        return vec![Effect::CheckBooks];
    }
    Vec::new()
}

/// Input, the sign-in's reports and the signals.
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
        Msg::SignedInTenants { open, unopened } => {
            sign_in::on_signed_in_tenants(state, &open, unopened)
        }
        Msg::Leave(how) => super::quit::leave(state, how),
        Msg::Key(key) => on_key(state, key),
        Msg::Mouse(m) => super::home::on_mouse(state, m),
        Msg::Paste(text) => super::home::on_paste(state, &text),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            Vec::new()
        }
        Msg::Tick(_) | Msg::Session { .. } => Vec::new(),
    }
}

/// Keeps the selected row inside the visible window.
pub fn ensure_visible(state: &mut State) {
    let height = layout::table_rows(state);
    let s = state.session_mut();
    s.users.scroll_into_view(height);
    s.restored.scroll_into_view(height);
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
            return Vec::new();
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
        Scope::Table => super::home::table_action(state, action),
        Scope::Restored => super::restored::restored_action(state, action),
        Scope::Filter => super::home::filter_key(state, action, key),
        Scope::RestoreDialog
        | Scope::Progress
        | Scope::Purge
        | Scope::Result
        | Scope::ResultPassword
        | Scope::ErrorPane
        | Scope::Help => super::modal::on_key(state, scope, action, key).unwrap_or_default(),
        Scope::Confirm => confirm_action(state, action),
        Scope::Tenants => super::tenants::on_key(state, action),
        // Handled above, before the size check.
        Scope::Global | Scope::SignIn => Vec::new(),
    }
}

/// Whether `what` (a change to the directory) may not start here: read-only mode, or another
/// run holds the directory. Says why on the status line, before any dialog opens.
pub(in crate::app) fn read_only_refusal(state: &mut State, what: &str) -> bool {
    if state.session_mut().facts.read_only {
        state.notice = Some((
            NoticeKind::Error,
            format!("Read-only mode (--read-only): {what} is disabled."),
        ));
        true
    } else if let Some(holder) = &state.session_mut().holder {
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
