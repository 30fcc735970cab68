//! A session's news (`Msg::Session`), one function per family: the listing's pages, the
//! books (unfinished work, the lock), and the results that belong to a screen, which go to
//! its component. `update` drops the news of a session that is no longer open before any of
//! this runs.

use std::collections::HashSet;

use super::effect::Effect;
use super::modal::Modal;
use super::msg::SessionMsg;
use super::sessions::{Blocked, OffboardingRead, SeatsRead};
use super::state::{NoticeKind, State};
use super::update::{capital, clock, last};

/// The news of the session on screen.
pub(super) fn on_news(state: &mut State, msg: SessionMsg) -> Vec<Effect> {
    use SessionMsg as M;
    match msg {
        M::Page { generation, result } => on_page(state, generation, result),
        M::LoadFinished { generation } => on_load_finished(state, generation),
        M::Unfinished(list) => on_unfinished(state, list),
        M::Earlier(list) => {
            state.session_mut().earlier = list;
            Vec::new()
        }
        M::Holder(holder) => on_holder(state, holder),
        M::UnfinishedFailed(e) => {
            state.session_mut().finishing = false;
            state.notice = Some((NoticeKind::Error, e));
            Vec::new()
        }
        M::Tenant(tenant) => {
            state.session_mut().tenant = tenant;
            Vec::new()
        }
        M::Warning(text) => {
            state.notice = Some((NoticeKind::Error, text));
            Vec::new()
        }
        M::Info(text) => {
            state.notice = Some((NoticeKind::Info, text));
            Vec::new()
        }
        M::Swept(sweep) => super::sweep::on_swept(state.session_mut(), *sweep),
        M::SweepChanges(changes) => super::sweep::on_changes(state, *changes),
        M::Deletions(deletions) => super::sweep::on_deletions(state.session_mut(), *deletions),
        M::Recalled(recalled) => super::sweep::on_recalled(state, *recalled),
        M::Offboarding { id, result } => {
            let read = match result {
                Ok(found) => OffboardingRead::Found(found),
                Err(why) => OffboardingRead::Failed(why),
            };
            state.session_mut().offboarding.insert(id, read);
            super::modal::restore::sync_picks(state);
            Vec::new()
        }
        M::Seats(result) => {
            state.session_mut().seats = Some(match result {
                Ok(skus) => SeatsRead::Known(skus),
                Err(why) => SeatsRead::Failed(why),
            });
            super::modal::restore::sync_picks(state);
            Vec::new()
        }
        M::Restored(result) => super::restored::on_read(state, result),
        M::PurgeDone { purged, failures } => on_purge_done(state, purged, failures),
        M::Waiting { text, seconds } => on_waiting(state, text, seconds),
        // `update` keeps the request log; it never comes here.
        M::Request(_) => Vec::new(),
        other => super::modal::on_news(state, other),
    }
}

/// Whether news can land in a session not on screen: what fills its table, books and sweep,
/// not what answers a dialog (only the session on screen has one open).
pub(super) fn lands_unseen(msg: &SessionMsg) -> bool {
    use SessionMsg as M;
    matches!(
        msg,
        M::Page { .. }
            | M::LoadFinished { .. }
            | M::Unfinished(_)
            | M::Earlier(_)
            | M::Holder(_)
            | M::UnfinishedFailed(_)
            | M::Tenant(_)
            | M::Warning(_)
            | M::Info(_)
            | M::Swept(_)
            | M::SweepChanges(_)
            | M::Deletions(_)
            | M::Recalled(_)
            | M::Restored(_)
    )
}

fn on_page(
    state: &mut State,
    generation: u64,
    result: Result<crate::directory::DeletedPage, crate::directory::DirectoryError>,
) -> Vec<Effect> {
    let now = state.now;
    let s = state.session_mut();
    if generation != s.users.generation() {
        return Vec::new();
    }
    if let Some(staged) = &mut s.reload {
        // A reload keeps the rows on screen until its listing is whole.
        match result {
            Ok(page) => staged.extend(page.users),
            Err(e) => {
                s.reload = None;
                s.users.finish_load();
                s.stale_since = s.loaded_at.or(Some(now));
                let notice = format!(
                    "Refresh failed: {}. Showing the list loaded at {}. R retries.{}",
                    e.message,
                    clock(s.stale_since),
                    last(&e)
                );
                state.notice = Some((NoticeKind::Error, notice));
            }
        }
        return Vec::new();
    }
    match result {
        Ok(page) => {
            if let Some(total) = page.total {
                s.users.expect_total(total, &page.users);
            }
            let start = s.users.len();
            s.users.push_page(page.users);
            if !s.pending_marks.is_empty() {
                s.users.mark_ids_from(start, &mut s.pending_marks);
            }
        }
        Err(e) => {
            s.users.fail_load(e.to_string());
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

fn on_load_finished(state: &mut State, generation: u64) -> Vec<Effect> {
    let now = state.now;
    let s = state.session_mut();
    if generation != s.users.generation() {
        return Vec::new();
    }
    if let Some(staged) = s.reload.take() {
        let selected = s.users.current_id().map(str::to_string);
        let mut marks = s.users.clear_for_reload();
        s.users.continue_load(generation);
        s.users.push_page(staged);
        s.users.mark_ids_from(0, &mut marks);
        if let Some(id) = selected {
            s.users.select_id(&id);
        }
    }
    s.users.finish_load();
    super::restored::find_deleted_again(s);
    s.pending_marks.clear();
    s.loaded_at = Some(now);
    s.stale_since = None;
    super::sweep::on_loaded(s, now)
}

fn on_unfinished(state: &mut State, list: Vec<crate::restore::Unfinished>) -> Vec<Effect> {
    let s = state.session_mut();
    // `F` found nothing left to finish.
    s.finishing &= !list.is_empty();
    s.unfinished = list;
    super::restored::journal_changed(state)
}

fn on_holder(state: &mut State, holder: Option<Blocked>) -> Vec<Effect> {
    let s = state.session_mut();
    let free = match (&holder, &s.holder) {
        (Some(_), _) | (None, None) => None,
        (None, Some(Blocked::Held(_))) => Some("The other undelete has let go of this directory"),
        (None, Some(Blocked::Broken(_))) => Some("This directory's books can be locked now"),
    };
    s.holder = holder;
    if let Some(free) = free {
        state.notice = Some((
            NoticeKind::Info,
            format!("{free}: restore, F and purge are available."),
        ));
    }
    Vec::new()
}

fn on_purge_done(state: &mut State, purged: Vec<String>, failures: Vec<String>) -> Vec<Effect> {
    let ids: HashSet<String> = purged.iter().cloned().collect();
    state.session_mut().users.remove_ids(&ids);
    if matches!(state.modal, Some(Modal::Purge(_))) {
        state.modal = None;
    }
    state.notice = Some(if failures.is_empty() {
        (
            NoticeKind::Info,
            format!(
                "✓ Purged {} for good.",
                crate::text::count(purged.len(), "user", "users")
            ),
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

/// The client waits before its next try: the screen at work says so, or the status line.
fn on_waiting(state: &mut State, text: String, seconds: u64) -> Vec<Effect> {
    let until = state.now + chrono::Duration::seconds(seconds as i64);
    match &mut state.modal {
        Some(Modal::Progress(p)) => p.waiting = Some((text, until)),
        Some(Modal::Result(r)) => r.message = Some(text),
        _ => state.notice = Some((NoticeKind::Info, text)),
    }
    Vec::new()
}
