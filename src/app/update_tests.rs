//! `update` driven key by key, on every screen. No I/O: assertions are on state and effects.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use secrecy::{ExposeSecret, SecretString};

use super::action::Action;
use super::effect::Effect;
use super::fixtures;
use super::keymap::Scope;
use super::modal::Modal;
use super::modal::help::HelpView;
use super::modal::progress::JobStatus;
use super::modal::restore::{DialogField, NameCheck, Preflight};
use super::modal::result::ResultButton;
use super::msg::{Msg, SessionMsg};
use super::sessions::Blocked;
use super::state::{NoticeKind, State};
use super::update::update;
use super::users::SortKey;
use crate::directory::{DeletedPage, DirectoryError, ErrorKind, Stage};
use crate::restore::{Failure, UserOutcome};

fn st(n: usize) -> State {
    fixtures::state(n, (120, 40))
}

fn press_mod(s: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    update(
        s,
        Msg::Key(KeyEvent::new_with_kind(code, mods, KeyEventKind::Press)),
    )
}

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    press_mod(s, code, KeyModifiers::NONE)
}

fn ch(s: &mut State, c: char) -> Vec<Effect> {
    press(s, KeyCode::Char(c))
}

fn typ(s: &mut State, text: &str) {
    for c in text.chars() {
        ch(s, c);
    }
}

fn selected_id(s: &State) -> String {
    s.session()
        .users
        .current()
        .map(|u| u.id.clone())
        .unwrap_or_default()
}

fn form(s: &State) -> &super::modal::restore::RestoreForm {
    match &s.modal {
        Some(Modal::Restore(f)) => f,
        _ => panic!("restore dialog not open"),
    }
}

fn outcome(i: usize, ok: bool) -> UserOutcome {
    let u = fixtures::user(i, fixtures::now());
    UserOutcome {
        run: "run-1".into(),
        id: u.id.clone(),
        display_name: u.display_name.clone(),
        original_upn: u.original_upn.clone(),
        upn: ok.then(|| u.original_upn.clone()),
        password: ok.then(|| SecretString::from(format!("Pw-{i}-Xy7#kLm2Qr"))),
        tap: None,
        failure: (!ok).then(|| Failure {
            at: fixtures::now(),
            stage: Stage::Restore,
            error: DirectoryError::new(
                ErrorKind::UpnConflict,
                "Another object with the same value for property userPrincipalName already exists.",
            ),
        }),
        force_change: true,
        wants_password: true,
        synced: false,
        guest: false,
        account_disabled: false,
        planned: Some(crate::restore::PlannedUser::as_is(u)),
        password_kept: false,
    }
}

/// The result screen of a run whose dialog chose `to`, the password included.
fn result_state(s: &mut State, outcomes: Vec<UserOutcome>, to: &[&str]) {
    s.session_mut().last_mail = Some((to.iter().map(|t| t.to_string()).collect(), true));
    fixtures::send(
        s,
        SessionMsg::RestoreFinished {
            outcomes,
            mail: None,
        },
    );
}

// ---- the table ---------------------------------------------------------------------------

#[test]
fn first_frame_state_is_loading_and_pages_fill_rows() {
    let mut s = State::new(
        fixtures::settings(),
        fixtures::facts(),
        fixtures::now(),
        (120, 40),
    );
    assert!(s.session().users.loading());
    let now = fixtures::now();
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation: 0,
            result: Ok(DeletedPage {
                users: fixtures::users(5, now),
                total: Some(8),
            }),
        },
    );
    assert_eq!(s.session().users.rows().len(), 5);
    assert_eq!(s.session().users.expected_total(), Some(8));
    assert!(s.session().users.loading());
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation: 0,
            result: Ok(DeletedPage {
                users: (5..8).map(|i| fixtures::user(i, now)).collect(),
                total: None,
            }),
        },
    );
    fixtures::send(&mut s, SessionMsg::LoadFinished { generation: 0 });
    assert_eq!(s.session().users.shown().len(), 8);
    assert!(!s.session().users.loading());
}

#[test]
fn a_notice_opening_the_status_line_keeps_the_selected_row_on_screen() {
    let mut s = st(100);
    s.session_mut().facts.read_only = true;
    ch(&mut s, 'G');
    let rows_before = crate::app::layout::table_rows(&s);
    // Read-only: Enter only says so, and the notice takes a row from the table.
    press(&mut s, KeyCode::Enter);
    assert!(s.notice.is_some());
    let rows = crate::app::layout::table_rows(&s);
    assert!(rows < rows_before, "the notice takes a row");
    let u = &s.session().users;
    assert!(u.selected() >= u.offset() && u.selected() < u.offset() + rows);
}

#[test]
fn the_announced_count_sizes_the_table_once_and_a_wild_one_is_capped() {
    let now = fixtures::now();
    let page = |total| SessionMsg::Page {
        generation: 0,
        result: Ok(DeletedPage {
            users: fixtures::users(5, now),
            total: Some(total),
        }),
    };
    let mut s = State::new(fixtures::settings(), fixtures::facts(), now, (120, 40));
    fixtures::send(&mut s, page(50_000));
    assert!(s.session().users.capacities().0 >= 50_000);
    assert!(s.session().users.capacities().2 >= 50_000);
    // Room for every key at the first page's average length.
    assert!(s.session().users.capacities().1 >= 50_000 * (s.session().users.keys_len() / 5));

    let mut s = State::new(fixtures::settings(), fixtures::facts(), now, (120, 40));
    fixtures::send(&mut s, page(u64::MAX));
    assert_eq!(s.session().users.rows().len(), 5);
    assert!(s.session().users.capacities().0 <= 1_000_000 + 5);
}

#[test]
fn stale_pages_from_an_old_load_are_dropped() {
    let mut s = st(10);
    let fx = ch(&mut s, 'R');
    assert!(matches!(
        fx.as_slice(),
        [Effect::LoadDeleted { generation: 1 }]
    ));
    assert_eq!(
        s.session().users.rows().len(),
        10,
        "the rows stay while reloading"
    );
    let now = fixtures::now();
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation: 0,
            result: Ok(DeletedPage {
                users: fixtures::users(3, now),
                total: None,
            }),
        },
    );
    assert_eq!(
        s.session().reload.as_ref().map(Vec::len),
        Some(0),
        "page of generation 0 ignored"
    );
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation: 1,
            result: Ok(DeletedPage {
                users: fixtures::users(3, now),
                total: None,
            }),
        },
    );
    assert_eq!(
        s.session().users.rows().len(),
        10,
        "not swapped before the listing is whole"
    );
    fixtures::send(&mut s, SessionMsg::LoadFinished { generation: 1 });
    assert_eq!(s.session().users.rows().len(), 3);
    assert!(s.session().reload.is_none() && !s.session().users.loading());
}

#[test]
fn a_failed_refresh_keeps_the_rows_marks_them_stale_and_says_why_first() {
    let mut s = st(10);
    fixtures::send(&mut s, SessionMsg::LoadFinished { generation: 0 });
    ch(&mut s, 'R');
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation: 1,
            result: Err(DirectoryError::network(
                "cannot connect to 127.0.0.1:5123: connection refused",
            )),
        },
    );
    assert_eq!(s.session().users.rows().len(), 10);
    assert!(s.session().stale_since.is_some());
    assert!(!s.session().users.loading());
    let (kind, text) = s.notice.clone().expect("notice");
    assert_eq!(kind, NoticeKind::Error);
    assert!(
        text.starts_with("Refresh failed: cannot connect to 127.0.0.1:5123: connection refused"),
        "{text}"
    );
    assert!(text.contains("R retries"), "{text}");
}

#[test]
fn refresh_keeps_marks_and_f5_refreshes_too() {
    let mut s = st(10);
    ch(&mut s, ' ');
    let marked = s.session().users.targets()[0].id.clone();
    let fx = press(&mut s, KeyCode::F(5));
    assert!(matches!(fx.as_slice(), [Effect::LoadDeleted { .. }]));
    let g = s.session().users.generation();
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation: g,
            result: Ok(DeletedPage {
                users: fixtures::users(10, fixtures::now()),
                total: None,
            }),
        },
    );
    fixtures::send(&mut s, SessionMsg::LoadFinished { generation: g });
    assert_eq!(s.session().users.marked_count(), 1);
    assert_eq!(s.session().users.targets()[0].id, marked);
}

#[test]
fn load_error_is_shown_with_advice() {
    let mut s = State::new(
        fixtures::settings(),
        fixtures::facts(),
        fixtures::now(),
        (120, 40),
    );
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation: 0,
            result: Err(DirectoryError::network("connection refused")),
        },
    );
    assert!(!s.session().users.loading());
    let (kind, text) = s.notice.clone().expect("notice");
    assert_eq!(kind, NoticeKind::Error);
    assert!(text.contains("connection refused") && text.contains("R retries"));
}

#[test]
fn default_sort_is_days_left_soonest_first() {
    let s = st(50);
    let now = s.now;
    let left: Vec<i64> = s
        .session()
        .users
        .shown()
        .iter()
        .map(|i| {
            s.session().users.rows()[*i as usize]
                .days_left(now)
                .unwrap_or(99)
        })
        .collect();
    let mut sorted = left.clone();
    sorted.sort();
    assert_eq!(left, sorted);
    assert_eq!(s.session().users.sort(), SortKey::DaysLeft);
}

#[test]
fn movement_keys() {
    let mut s = st(200);
    let rows = crate::app::layout::table_rows(&s);
    ch(&mut s, 'j');
    assert_eq!(s.session().users.selected(), 1);
    press(&mut s, KeyCode::Down);
    assert_eq!(s.session().users.selected(), 2);
    ch(&mut s, 'k');
    press(&mut s, KeyCode::Up);
    assert_eq!(s.session().users.selected(), 0);
    press(&mut s, KeyCode::Up);
    assert_eq!(s.session().users.selected(), 0, "clamped at the top");
    press(&mut s, KeyCode::PageDown);
    assert_eq!(s.session().users.selected(), rows);
    press(&mut s, KeyCode::PageUp);
    assert_eq!(s.session().users.selected(), 0);
    press_mod(&mut s, KeyCode::Char('d'), KeyModifiers::CONTROL);
    assert_eq!(s.session().users.selected(), rows / 2);
    press_mod(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(s.session().users.selected(), 0);
    press_mod(&mut s, KeyCode::Char('f'), KeyModifiers::CONTROL);
    assert_eq!(s.session().users.selected(), rows);
    press_mod(&mut s, KeyCode::Char('b'), KeyModifiers::CONTROL);
    assert_eq!(s.session().users.selected(), 0);
    press_mod(&mut s, KeyCode::Char('G'), KeyModifiers::SHIFT);
    assert_eq!(s.session().users.selected(), 199);
    assert!(
        s.session().users.offset() + rows > 199 && s.session().users.offset() <= 199,
        "selection visible"
    );
    ch(&mut s, 'g');
    assert_eq!(
        (s.session().users.selected(), s.session().users.offset()),
        (0, 0)
    );
    press(&mut s, KeyCode::End);
    assert_eq!(s.session().users.selected(), 199);
    press(&mut s, KeyCode::Home);
    assert_eq!(s.session().users.selected(), 0);
}

#[test]
fn key_releases_are_ignored() {
    let mut s = st(10);
    update(
        &mut s,
        Msg::Key(KeyEvent::new_with_kind(
            KeyCode::Char('j'),
            KeyModifiers::NONE,
            KeyEventKind::Release,
        )),
    );
    assert_eq!(s.session().users.selected(), 0);
}

#[test]
fn filter_as_you_type_and_esc_clears() {
    let mut s = st(64);
    ch(&mut s, '/');
    assert!(s.session().users.filtering());
    typ(&mut s, "ADELE");
    assert!(!s.session().users.shown().is_empty());
    assert!(s.session().users.shown().iter().all(|i| {
        s.session().users.rows()[*i as usize]
            .display_name()
            .contains("Adele")
    }));
    // Letters are text while filtering, not commands.
    typ(&mut s, "q");
    assert!(!s.quit);
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Enter);
    assert!(!s.session().users.filtering());
    assert_eq!(s.session().users.filter().value(), "ADELE");
    // Esc in the table clears a kept filter.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.session().users.shown().len(), 64);
    ch(&mut s, '/');
    typ(&mut s, "山田");
    assert!(!s.session().users.shown().is_empty());
    press(&mut s, KeyCode::Esc);
    assert!(!s.session().users.filtering());
    assert_eq!(s.session().users.shown().len(), 64);
}

#[test]
fn filter_matches_upn_department_and_mail_case_insensitively() {
    let mut s = st(64);
    ch(&mut s, '/');
    typ(&mut s, "研究");
    let n = s.session().users.shown().len();
    assert!(n > 0 && n < 64);
    press(&mut s, KeyCode::Esc);
    ch(&mut s, '/');
    typ(&mut s, "Contoso.SANDBOX");
    assert_eq!(s.session().users.shown().len(), 64);
    press(&mut s, KeyCode::Down);
    assert_eq!(
        s.session().users.selected(),
        1,
        "arrows move while filtering"
    );
}

#[test]
fn sort_cycles_and_reverses() {
    let mut s = st(30);
    ch(&mut s, 's');
    assert_eq!(s.session().users.sort(), SortKey::Name);
    let names: Vec<String> = s
        .session()
        .users
        .shown()
        .iter()
        .map(|i| s.session().users.key(*i).to_string())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    press_mod(&mut s, KeyCode::Char('S'), KeyModifiers::SHIFT);
    assert!(s.session().users.reverse());
    let rev: Vec<String> = s
        .session()
        .users
        .shown()
        .iter()
        .map(|i| s.session().users.key(*i).to_string())
        .collect();
    sorted.reverse();
    assert_eq!(rev, sorted);
    for expected in [
        SortKey::UserName,
        SortKey::Deleted,
        SortKey::Department,
        SortKey::DaysLeft,
    ] {
        ch(&mut s, 's');
        assert_eq!(s.session().users.sort(), expected);
        assert!(!s.session().users.reverse());
    }
}

#[test]
fn sort_keeps_the_selected_user() {
    let mut s = st(30);
    ch(&mut s, 'j');
    ch(&mut s, 'j');
    let id = selected_id(&s);
    ch(&mut s, 's');
    assert_eq!(selected_id(&s), id);
}

#[test]
fn marks() {
    let mut s = st(20);
    ch(&mut s, ' ');
    assert_eq!(s.session().users.marked_count(), 1);
    assert_eq!(s.session().users.selected(), 1, "space moves on");
    ch(&mut s, 'k');
    ch(&mut s, ' ');
    assert_eq!(s.session().users.marked_count(), 0, "space again unmarks");
    ch(&mut s, '/');
    typ(&mut s, "adele");
    press(&mut s, KeyCode::Enter);
    let shown = s.session().users.shown().len();
    ch(&mut s, 'a');
    assert_eq!(
        s.session().users.marked_count(),
        shown,
        "a marks only what is shown"
    );
    press_mod(&mut s, KeyCode::Char('A'), KeyModifiers::SHIFT);
    assert_eq!(s.session().users.marked_count(), 0);
}

#[test]
fn details_log_help_toggle() {
    let mut s = st(5);
    ch(&mut s, 'i');
    assert!(s.details);
    press(&mut s, KeyCode::Tab);
    assert!(!s.details);
    ch(&mut s, '@');
    assert!(s.log_open);
    ch(&mut s, '@');
    assert!(!s.log_open);
    ch(&mut s, '?');
    assert!(matches!(s.help, Some(HelpView { scroll: 0, .. })));
    ch(&mut s, 'j');
    assert!(matches!(s.help, Some(HelpView { scroll: 1, .. })));
    ch(&mut s, 'k');
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Up);
    assert!(matches!(s.help, Some(HelpView { scroll: 0, .. })));
    ch(&mut s, 'q');
    assert!(
        s.help.is_none() && s.modal.is_none(),
        "q closes help, not the app"
    );
    assert!(!s.quit);
    ch(&mut s, '?');
    press(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none());
    ch(&mut s, '?');
    ch(&mut s, '?');
    assert!(s.modal.is_none());
}

#[test]
fn quit_keys() {
    let mut s = st(5);
    let fx = ch(&mut s, 'q');
    assert!(fx.is_empty() && s.quit);
    let mut s = st(5);
    ch(&mut s, 'r');
    ch(&mut s, '\t');
    let fx = press_mod(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(fx.is_empty() && s.quit, "Ctrl-C quits from a dialog");
    assert!(s.quit);
}

#[test]
fn request_log_records_are_capped() {
    let mut s = st(1);
    for i in 0..(super::state::LOG_CAPACITY + 10) {
        fixtures::send(
            &mut s,
            SessionMsg::Request(crate::directory::RequestRecord {
                at: fixtures::now(),
                method: "GET".into(),
                path: format!("/v1.0/x/{i}"),
                status: Some(200),
                request_id: None,
                duration_ms: 1,
            }),
        );
    }
    assert_eq!(s.log.len(), super::state::LOG_CAPACITY);
    assert!(s.log.back().is_some_and(|r| {
        r.path
            .ends_with(&format!("/{}", super::state::LOG_CAPACITY + 9))
    }));
}

#[test]
fn ticks_redraw_only_when_something_moves() {
    let mut s = st(5);
    s.dirty = false;
    update(
        &mut s,
        Msg::Tick(fixtures::now() + chrono::Duration::seconds(1)),
    );
    assert!(!s.dirty, "idle tick within the same minute");
    update(
        &mut s,
        Msg::Tick(fixtures::now() + chrono::Duration::seconds(61)),
    );
    assert!(s.dirty, "the clock in the header changed");
}

#[test]
fn mouse_wheel_and_click() {
    let mut s = st(100);
    let wheel = |kind| {
        Msg::Mouse(MouseEvent {
            kind,
            column: 10,
            row: 10,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut s, wheel(MouseEventKind::ScrollDown));
    assert_eq!(s.session().users.selected(), 3);
    update(&mut s, wheel(MouseEventKind::ScrollUp));
    assert_eq!(s.session().users.selected(), 0);
    let areas =
        crate::app::layout::layout(&s, ratatui::layout::Rect::new(0, 0, 120, 40)).expect("layout");
    let click = Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: areas.rows.x + 10,
        row: areas.rows.y + 4,
        modifiers: KeyModifiers::NONE,
    });
    update(&mut s, click);
    assert_eq!(s.session().users.selected(), 4);
    // A click on the mark box marks.
    update(
        &mut s,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: areas.rows.x + 1,
            row: areas.rows.y + 2,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(s.session().users.selected(), 2);
    assert_eq!(s.session().users.marked_count(), 1);
}

#[test]
fn resize_keeps_the_selection_visible() {
    let mut s = st(100);
    ch(&mut s, 'G');
    update(&mut s, Msg::Resize(60, 12));
    let rows = crate::app::layout::table_rows(&s);
    assert!(
        s.session().users.selected() >= s.session().users.offset()
            && s.session().users.selected() < s.session().users.offset() + rows
    );
    update(&mut s, Msg::Resize(20, 5));
    assert!(!s.quit);
    let fx = ch(&mut s, 'q');
    assert!(fx.is_empty() && s.quit, "q still quits on a tiny terminal");
}

#[test]
fn paste_goes_into_the_filter() {
    let mut s = st(30);
    ch(&mut s, '/');
    update(&mut s, Msg::Paste("alex\nwilber".into()));
    assert_eq!(s.session().users.filter().value(), "alexwilber");
}

// ---- read-only -----------------------------------------------------------------------------

#[test]
fn read_only_disables_every_write_and_says_so() {
    let mut s = st(5);
    s.session_mut().facts.read_only = true;
    for key in ['r', 'D'] {
        let fx = ch(&mut s, key);
        assert!(fx.is_empty());
        assert!(s.modal.is_none());
        let (kind, text) = s.notice.clone().expect("notice");
        assert_eq!(kind, NoticeKind::Error);
        assert!(text.contains("Read-only"), "{text}");
    }
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    s.session_mut().unfinished = vec![unfinished()];
    assert!(ch(&mut s, 'F').is_empty());
}

fn unfinished() -> crate::restore::Unfinished {
    crate::restore::Unfinished {
        run: "r".into(),
        id: "id-1".into(),
        display_name: "Adele Vance".into(),
        upn: "adele.vance@contoso.sandbox".into(),
        restore: crate::restore::RestoreState::Restored,
        password_set: false,
        wants_password: true,
        mail_done: false,
        mail_to: vec![],
        include_password: true,
        force_change: true,
        since: fixtures::now(),
        tap: None,
        account_disabled: false,
    }
}

#[test]
fn finish_unfinished_key() {
    let mut s = st(5);
    ch(&mut s, 'F');
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|(_, t)| t.contains("No interrupted"))
    );
    fixtures::send(&mut s, SessionMsg::Unfinished(vec![unfinished()]));
    let fx = ch(&mut s, 'F');
    assert!(matches!(fx.as_slice(), [Effect::FinishUnfinished]));
}

// ---- restore dialog ------------------------------------------------------------------------

#[test]
fn enter_opens_the_dialog_for_the_selected_user_with_preflight() {
    let mut s = st(10);
    let id = selected_id(&s);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(fx.as_slice(), [Effect::Preflight { users }, Effect::LoadTapAvailability] if users.len() == 1 && users[0].id == id)
    );
    let f = form(&s);
    assert_eq!(f.targets.len(), 1);
    assert!(f.auto_password && f.force_change && !f.force_change_mfa && f.include_password);
    assert_eq!(f.recipients.value(), "admin@contoso.sandbox");
    assert_eq!(f.focus, DialogField::AutoPassword);
}

#[test]
fn the_settings_file_picks_the_dialogs_recipients_and_password_choice() {
    let mut s = st(10);
    s.settings.default_recipients = Some("helpdesk@contoso.com; hr@contoso.com".into());
    s.settings.include_password = false;
    press(&mut s, KeyCode::Enter);
    let f = form(&s);
    assert_eq!(f.recipients.value(), "helpdesk@contoso.com; hr@contoso.com");
    assert!(!f.include_password);
}

#[test]
fn r_opens_the_dialog_for_marked_users() {
    let mut s = st(10);
    ch(&mut s, ' ');
    ch(&mut s, ' ');
    let fx = ch(&mut s, 'r');
    assert!(
        matches!(fx.as_slice(), [Effect::Preflight { users }, Effect::LoadTapAvailability] if users.len() == 2)
    );
    assert_eq!(form(&s).targets.len(), 2);
}

#[test]
fn many_marked_users_are_all_checked_and_asked_about() {
    let mut s = st(40);
    ch(&mut s, 'a');
    let fx = ch(&mut s, 'r');
    assert!(
        matches!(fx.as_slice(), [Effect::Preflight { users }, Effect::LoadTapAvailability] if users.len() == 40)
    );
    assert!(
        form(&s)
            .targets
            .iter()
            .all(|t| t.preflight == Preflight::Checking)
    );
    // Restore while checking is refused, with how many are left.
    press(&mut s, KeyCode::Enter);
    assert!(form(&s).error.as_deref().unwrap_or("").contains("40 of 40"));
    clear_preflight(&mut s);
    // More than 20 users: asked once more; n goes back, y restores.
    while form(&s).focus != DialogField::Restore {
        press(&mut s, KeyCode::Tab);
    }
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert!(form(&s).confirm_many);
    ch(&mut s, 'n');
    assert!(!form(&s).confirm_many);
    press(&mut s, KeyCode::Enter);
    let fx = ch(&mut s, 'y');
    assert!(matches!(fx.as_slice(), [Effect::Restore(plan)] if plan.users.len() == 40));
}

fn holder(name: &str, upn: &str) -> crate::directory::Holder {
    crate::directory::Holder {
        kind: crate::directory::HolderKind::User,
        id: "holder-id".into(),
        display_name: name.into(),
        user_principal_name: Some(upn.into()),
        mail: None,
        proxy_addresses: vec![],
    }
}

fn clear_preflight(s: &mut State) {
    let ids: Vec<String> = form(s).targets.iter().map(|t| t.user.id.clone()).collect();
    for id in ids {
        fixtures::send(
            s,
            SessionMsg::Preflight {
                id,
                result: Ok(crate::restore::Preflight::default()),
            },
        );
    }
}

#[test]
fn tab_order_space_toggles_and_esc_cancels() {
    let mut s = st(3);
    ch(&mut s, 'r');
    clear_preflight(&mut s);
    let order = [
        DialogField::ManualPassword,
        DialogField::TapPass,
        DialogField::ForceChange,
        DialogField::ForceChangeMfa,
        DialogField::Recipients,
        DialogField::IncludePassword,
        DialogField::Restore,
        DialogField::Cancel,
        DialogField::AutoPassword,
    ];
    for f in order {
        press(&mut s, KeyCode::Tab);
        assert_eq!(form(&s).focus, f);
    }
    press(&mut s, KeyCode::BackTab);
    assert_eq!(form(&s).focus, DialogField::Cancel);
    press(&mut s, KeyCode::Up);
    assert_eq!(form(&s).focus, DialogField::Restore);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    assert_eq!(form(&s).focus, DialogField::AutoPassword);
    // Manual password: the field appears in the order.
    press(&mut s, KeyCode::Tab);
    ch(&mut s, ' ');
    assert!(!form(&s).auto_password);
    press(&mut s, KeyCode::Tab);
    assert_eq!(form(&s).focus, DialogField::Password);
    press(&mut s, KeyCode::BackTab);
    press(&mut s, KeyCode::BackTab);
    ch(&mut s, 'x');
    assert!(form(&s).auto_password);
    // Force change off hides and clears the MFA toggle.
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    assert_eq!(form(&s).focus, DialogField::ForceChangeMfa);
    ch(&mut s, ' ');
    assert!(form(&s).force_change_mfa);
    press(&mut s, KeyCode::BackTab);
    // Turning a safeguard off takes the key twice.
    ch(&mut s, ' ');
    assert!(form(&s).force_change && form(&s).confirm_off == Some(DialogField::ForceChange));
    ch(&mut s, ' ');
    assert!(!form(&s).force_change && !form(&s).force_change_mfa);
    assert!(!form(&s).fields().contains(&DialogField::ForceChangeMfa));
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    assert_eq!(form(&s).focus, DialogField::IncludePassword);
    ch(&mut s, ' ');
    assert!(!form(&s).include_password);
    press(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none());
}

#[test]
fn enter_on_cancel_cancels_and_space_on_cancel_too() {
    let mut s = st(3);
    ch(&mut s, 'r');
    press(&mut s, KeyCode::BackTab);
    assert_eq!(form(&s).focus, DialogField::Cancel);
    press(&mut s, KeyCode::Enter);
    assert!(s.modal.is_none());
    ch(&mut s, 'r');
    press(&mut s, KeyCode::BackTab);
    ch(&mut s, ' ');
    assert!(s.modal.is_none());
}

#[test]
fn submit_waits_for_preflight() {
    let mut s = st(3);
    ch(&mut s, 'r');
    let fx = press(&mut s, KeyCode::Enter);
    assert!(fx.is_empty());
    assert!(
        form(&s)
            .error
            .as_deref()
            .is_some_and(|e| e.contains("checking"))
    );
}

#[test]
fn weak_password_is_refused_with_the_rule_then_a_good_one_is_moved_into_a_secret() {
    let mut s = st(3);
    ch(&mut s, 'r');
    clear_preflight(&mut s);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter); // Enter on "let me create" picks it and focuses the field
    assert_eq!(form(&s).focus, DialogField::Password);
    typ(&mut s, "short");
    // Letters are text in the password field: 'x', 'q', ' ' do not toggle or quit.
    typ(&mut s, "x q");
    assert_eq!(form(&s).password.value(), "shortx q");
    assert!(!s.quit);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(fx.is_empty());
    assert!(
        form(&s)
            .error
            .as_deref()
            .is_some_and(|e| e.contains("Password refused"))
    );
    press(&mut s, KeyCode::F(2));
    assert!(form(&s).reveal);
    press(&mut s, KeyCode::F(2));
    for _ in 0..8 {
        press(&mut s, KeyCode::Backspace);
    }
    typ(&mut s, "Restored-Today-42!");
    let fx = press(&mut s, KeyCode::Enter);
    match fx.as_slice() {
        [Effect::Restore(plan)] => {
            let typed = match &plan.password {
                crate::restore::PasswordChoice::Given(p) => Some(p.expose_secret().to_string()),
                crate::restore::PasswordChoice::Auto | crate::restore::PasswordChoice::Tap(_) => {
                    None
                }
            };
            assert_eq!(typed.as_deref(), Some("Restored-Today-42!"));
            assert!(plan.force_change);
            assert_eq!(plan.mail_to, vec!["admin@contoso.sandbox".to_string()]);
        }
        other => panic!("expected a restore, got {other:?}"),
    }
    assert!(matches!(s.modal, Some(Modal::Progress(_))));
}

#[test]
fn bad_recipients_are_refused() {
    let mut s = st(3);
    ch(&mut s, 'r');
    clear_preflight(&mut s);
    for _ in 0..5 {
        press(&mut s, KeyCode::Tab);
    }
    assert_eq!(form(&s).focus, DialogField::Recipients);
    typ(&mut s, "; not an address");
    press(&mut s, KeyCode::Enter);
    assert!(form(&s).error.is_some());
    assert_eq!(form(&s).focus, DialogField::Recipients);
    assert!(matches!(s.modal, Some(Modal::Restore(_))));
    // Clearing the field means no email at all.
    press_mod(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    press_mod(&mut s, KeyCode::Char('a'), KeyModifiers::CONTROL);
    press_mod(&mut s, KeyCode::Char('k'), KeyModifiers::CONTROL);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(matches!(fx.as_slice(), [Effect::Restore(plan)] if plan.mail_to.is_empty()));
}

#[test]
fn conflict_offers_a_new_upn_and_proxy_reconcile() {
    let mut s = st(3);
    ch(&mut s, 'r');
    let id = form(&s).targets[0].user.id.clone();
    fixtures::send(
        &mut s,
        SessionMsg::Preflight {
            id: id.clone(),
            result: Ok(crate::restore::Preflight {
                upn_holder: Some(holder("Alex Wilber (new hire)", "alex@contoso.sandbox")),
                proxy_holders: vec![(
                    "smtp:alex@contoso.sandbox".into(),
                    holder("Alex Wilber (new hire)", "alex@contoso.sandbox"),
                )],
                suggested_upn: Some("alex.wilber2@contoso.sandbox".into()),
                synced: false,
                new_upn: Some(crate::restore::NameCheck {
                    upn: "alex.wilber2@contoso.sandbox".into(),
                    holder: None,
                }),
                unchecked: vec![],
            }),
        },
    );
    assert!(
        s.session().users.is_conflict(&id),
        "[CONFLICT] badge from pre-flight"
    );
    let f = form(&s);
    assert_eq!(f.targets[0].new_upn.value(), "alex.wilber2@contoso.sandbox");
    assert!(f.fields().contains(&DialogField::NewUpn(0)));
    assert!(f.fields().contains(&DialogField::Reconcile(0)));
    // Go to the reconcile toggle and turn it off, then the new UPN field and empty it.
    while form(&s).focus != DialogField::Reconcile(0) {
        press(&mut s, KeyCode::Tab);
    }
    ch(&mut s, ' ');
    assert!(!form(&s).targets[0].reconcile);
    ch(&mut s, ' ');
    press(&mut s, KeyCode::BackTab);
    assert_eq!(form(&s).focus, DialogField::NewUpn(0));
    press_mod(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    press(&mut s, KeyCode::End);
    press_mod(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert!(
        press(&mut s, KeyCode::Enter).is_empty(),
        "an empty new UPN is refused"
    );
    typ(&mut s, "alex.w@contoso.sandbox");
    // The typed name is asked about once typing pauses; Restore waits for the answer.
    assert!(
        matches!(form(&s).targets[0].name_check, NameCheck::Asking { seq } if seq == s.session().name_seq)
    );
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert!(
        form(&s)
            .error
            .as_deref()
            .is_some_and(|e| e.contains("Still checking whether alex.w@contoso.sandbox is free")),
        "{:?}",
        form(&s).error
    );
    let seq = s.session().name_seq;
    fixtures::send(
        &mut s,
        SessionMsg::NewUpnChecked {
            id: id.clone(),
            seq,
            result: Ok(crate::restore::NameCheck {
                upn: "alex.w@contoso.sandbox".into(),
                holder: None,
            }),
        },
    );
    assert!(form(&s).targets[0].new_upn_free());
    let fx = press(&mut s, KeyCode::Enter);
    match fx.as_slice() {
        [Effect::Restore(plan)] => {
            assert_eq!(
                plan.users[0].new_upn.as_deref(),
                Some("alex.w@contoso.sandbox")
            );
            assert!(plan.users[0].reconcile_proxies);
            assert!(
                matches!(plan.password, crate::restore::PasswordChoice::Auto),
                "auto-generate by default"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_taken_new_user_name_is_said_before_restore() {
    let mut s = st(1);
    ch(&mut s, 'r');
    let id = form(&s).targets[0].user.id.clone();
    fixtures::send(
        &mut s,
        SessionMsg::Preflight {
            id: id.clone(),
            result: Ok(crate::restore::Preflight {
                upn_holder: Some(holder("Alex Wilber (new hire)", "alex@contoso.sandbox")),
                suggested_upn: Some("alex2@contoso.sandbox".into()),
                new_upn: Some(crate::restore::NameCheck {
                    upn: "alex2@contoso.sandbox".into(),
                    holder: None,
                }),
                ..Default::default()
            }),
        },
    );
    // The suggestion was checked by pre-flight: nothing to ask.
    assert_eq!(form(&s).targets[0].name_check, NameCheck::Idle);
    assert!(form(&s).targets[0].new_upn_free());
    while form(&s).focus != DialogField::NewUpn(0) {
        press(&mut s, KeyCode::Tab);
    }
    press_mod(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    // Typing asks the runner once per change; only a name of the right form is asked about.
    let mut asked = Vec::new();
    for c in "alex.w@contoso.sandbox".chars() {
        for fx in ch(&mut s, c) {
            if let Effect::CheckNewUpn { seq, id: who, upn } = fx {
                assert_eq!(who, id);
                asked.push((seq, upn));
            }
        }
    }
    let (seq, upn) = asked.last().cloned().expect("asked");
    assert_eq!(upn, "alex.w@contoso.sandbox");
    assert!(asked.iter().all(|(_, u)| u.contains('@')), "{asked:?}");
    // A late answer about an older value changes nothing.
    fixtures::send(
        &mut s,
        SessionMsg::NewUpnChecked {
            id: id.clone(),
            seq: seq - 1,
            result: Ok(crate::restore::NameCheck {
                upn: "alex.w@contoso.s".into(),
                holder: None,
            }),
        },
    );
    assert!(matches!(
        form(&s).targets[0].name_check,
        NameCheck::Asking { .. }
    ));
    fixtures::send(
        &mut s,
        SessionMsg::NewUpnChecked {
            id: id.clone(),
            seq,
            result: Ok(crate::restore::NameCheck {
                upn: upn.clone(),
                holder: Some(holder("Alex Wong", "alex.w@contoso.sandbox")),
            }),
        },
    );
    assert_eq!(
        form(&s).targets[0]
            .new_upn_holder()
            .map(|h| h.display_name.as_str()),
        Some("Alex Wong")
    );
    assert!(
        press(&mut s, KeyCode::Enter).is_empty(),
        "refused before Restore"
    );
    let f = form(&s);
    assert_eq!(f.focus, DialogField::NewUpn(0));
    let e = f.error.as_deref().unwrap_or_default();
    assert!(
        e.contains("alex.w@contoso.sandbox is already used by user \"Alex Wong\""),
        "{e}"
    );
}

#[test]
fn a_one_time_pass_policy_keeps_the_pass_one_time() {
    let mut s = st(1);
    ch(&mut s, 'r');
    fixtures::send(
        &mut s,
        SessionMsg::TapAvailability(crate::directory::tap::TapAvailability::Available(
            crate::directory::tap::TapPolicy {
                enabled: true,
                default_lifetime: 60,
                min_lifetime: 60,
                max_lifetime: 480,
                usable_once: true,
            },
        )),
    );
    while form(&s).focus != DialogField::TapPass {
        press(&mut s, KeyCode::Tab);
    }
    ch(&mut s, ' ');
    assert!(form(&s).tap && form(&s).tap_once);
    while form(&s).focus != DialogField::TapOnce {
        press(&mut s, KeyCode::Tab);
    }
    ch(&mut s, ' ');
    assert!(
        form(&s).tap_once,
        "the policy's one-time cannot be unticked"
    );
    assert!(
        form(&s)
            .error
            .as_deref()
            .is_some_and(|e| e.contains("one-time"))
    );
}

#[test]
fn preflight_failure_is_shown_and_does_not_block() {
    let mut s = st(3);
    ch(&mut s, 'r');
    let id = form(&s).targets[0].user.id.clone();
    fixtures::send(
        &mut s,
        SessionMsg::Preflight {
            id,
            result: Err("timed out".into()),
        },
    );
    assert!(matches!(
        form(&s).targets[0].preflight,
        Preflight::Failed(_)
    ));
    assert!(matches!(
        press(&mut s, KeyCode::Enter).as_slice(),
        [Effect::Restore(_)]
    ));
}

#[test]
fn paste_into_the_password_field() {
    let mut s = st(3);
    ch(&mut s, 'r');
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter);
    update(&mut s, Msg::Paste("Pasted-Pass-99".into()));
    assert_eq!(form(&s).password.value(), "Pasted-Pass-99");
}

// ---- progress ------------------------------------------------------------------------------

fn start_restore(s: &mut State) -> String {
    ch(s, 'r');
    clear_preflight(s);
    let id = form(s).targets[0].user.id.clone();
    assert!(matches!(
        press(s, KeyCode::Enter).as_slice(),
        [Effect::Restore(_)]
    ));
    id
}

#[test]
fn progress_lines_follow_jobs_and_esc_asks_before_stopping() {
    let mut s = st(5);
    let id = start_restore(&mut s);
    fixtures::send(
        &mut s,
        SessionMsg::Job {
            id: id.clone(),
            status: JobStatus::Restoring,
        },
    );
    let Some(Modal::Progress(p)) = &s.modal else {
        panic!()
    };
    assert_eq!(p.lines[0].status, JobStatus::Restoring);
    ch(&mut s, 'j');
    ch(&mut s, 'k');
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Up);
    press(&mut s, KeyCode::Esc);
    assert!(matches!(&s.modal, Some(Modal::Progress(p)) if p.confirm_stop));
    ch(&mut s, 'n');
    assert!(matches!(&s.modal, Some(Modal::Progress(p)) if !p.confirm_stop));
    press(&mut s, KeyCode::Esc);
    let fx = ch(&mut s, 'y');
    assert!(matches!(fx.as_slice(), [Effect::StopRestore]));
    assert!(matches!(&s.modal, Some(Modal::Progress(p)) if p.stopping));
    assert!(ch(&mut s, 'q').is_empty(), "q does not quit mid-run");
    assert!(!s.quit);
}

// ---- result ----------------------------------------------------------------------------------

#[test]
fn result_default_is_send_email_and_close() {
    let mut s = st(5);
    start_restore(&mut s);
    let restored_id = fixtures::user(0, s.now).id;
    fixtures::send(
        &mut s,
        SessionMsg::RestoreFinished {
            outcomes: vec![outcome(0, true), outcome(1, false)],
            mail: None,
        },
    );
    assert!(
        s.session()
            .users
            .current()
            .is_none_or(|u| u.id != restored_id)
    );
    assert!(
        !s.session()
            .users
            .rows()
            .iter()
            .any(|r| r.id() == restored_id),
        "restored user left the table"
    );
    let Some(Modal::Result(r)) = &s.modal else {
        panic!("result screen")
    };
    assert_eq!(r.focus, ResultButton::SendAndClose);
    assert_eq!(r.recipients, vec!["admin@contoso.sandbox".to_string()]);
    let fx = press(&mut s, KeyCode::Enter);
    match fx.as_slice() {
        [Effect::SendMail(m)] => {
            assert_eq!(m.outcomes.len(), 1, "only complete outcomes are mailed");
            assert!(m.include_password);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        press(&mut s, KeyCode::Enter).is_empty(),
        "no double send while sending"
    );
    fixtures::send(
        &mut s,
        SessionMsg::MailSent(Err("mailbox not found → check the input".into())),
    );
    let Some(Modal::Result(r)) = &s.modal else {
        panic!("stays on failure")
    };
    assert!(
        r.send_error
            .as_ref()
            .is_some_and(|e| e.why.contains("mailbox") && !e.may_have_gone)
    );
    assert!(
        matches!(
            press(&mut s, KeyCode::Enter).as_slice(),
            [Effect::SendMail(_)]
        ),
        "retry"
    );
    fixtures::send(&mut s, SessionMsg::MailSent(Ok(())));
    assert!(s.modal.is_none());
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|(_, t)| t.contains("sent to admin@contoso.sandbox"))
    );
}

#[test]
fn conflict_failures_get_the_badge() {
    let mut s = st(5);
    start_restore(&mut s);
    fixtures::send(
        &mut s,
        SessionMsg::RestoreFinished {
            outcomes: vec![outcome(1, false)],
            mail: None,
        },
    );
    assert!(s.session().users.is_conflict(&fixtures::user(1, s.now).id));
}

#[test]
fn close_without_email_asks_first() {
    let mut s = st(5);
    result_state(&mut s, vec![outcome(0, true)], &["admin@contoso.sandbox"]);
    press(&mut s, KeyCode::Tab);
    assert!(
        matches!(&s.modal, Some(Modal::Result(r)) if r.focus == ResultButton::CloseWithoutMail)
    );
    press(&mut s, KeyCode::Enter);
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.confirm_close()));
    ch(&mut s, 'n');
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if !r.confirm_close()));
    press(&mut s, KeyCode::Esc);
    assert!(
        matches!(&s.modal, Some(Modal::Result(r)) if r.confirm_close()),
        "Esc asks too"
    );
    let fx = ch(&mut s, 'y');
    assert!(matches!(fx.as_slice(), [Effect::MailSkipped { outcomes }] if outcomes.len() == 1));
    assert!(s.modal.is_none());
    // Right / Left / BackTab switch buttons too.
    result_state(&mut s, vec![outcome(0, true)], &["a@b.co"]);
    press(&mut s, KeyCode::Right);
    press(&mut s, KeyCode::Left);
    press(&mut s, KeyCode::BackTab);
    assert!(
        matches!(&s.modal, Some(Modal::Result(r)) if r.focus == ResultButton::CloseWithoutMail)
    );
}

#[test]
fn reveal_copy_and_row_moves() {
    let mut s = st(5);
    result_state(
        &mut s,
        vec![outcome(0, true), outcome(1, false), outcome(2, true)],
        &["a@b.co"],
    );
    ch(&mut s, 'v');
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.reveal));
    ch(&mut s, 'v');
    let fx = ch(&mut s, 'c');
    assert!(matches!(fx.as_slice(), [Effect::Copy(p)] if p.expose_secret() == "Pw-0-Xy7#kLm2Qr"));
    ch(&mut s, 'j');
    assert!(ch(&mut s, 'c').is_empty(), "a failed line has no password");
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.selected == 2));
    ch(&mut s, 'k');
    press(&mut s, KeyCode::Up);
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.selected == 0));
}

#[test]
fn without_recipients_closing_asks_first_then_journals_the_skip() {
    let mut s = st(5);
    result_state(&mut s, vec![outcome(0, true)], &[]);
    // The password is only on this screen: Enter asks, as "Close without email" does.
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.confirm_close()));
    ch(&mut s, 'n');
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if !r.confirm_close()));
    press(&mut s, KeyCode::Enter);
    let fx = ch(&mut s, 'y');
    assert!(matches!(fx.as_slice(), [Effect::MailSkipped { .. }]));
    assert!(s.modal.is_none());
    result_state(&mut s, vec![outcome(1, false)], &["a@b.co"]);
    assert!(press(&mut s, KeyCode::Esc).is_empty());
    assert!(s.modal.is_none(), "nothing to lose: closes at once");
}

// ---- purge -------------------------------------------------------------------------------------

#[test]
fn purge_needs_the_typed_count() {
    let mut s = st(10);
    ch(&mut s, ' ');
    ch(&mut s, ' ');
    ch(&mut s, 'D');
    assert!(matches!(&s.modal, Some(Modal::Purge(p)) if p.users.len() == 2));
    ch(&mut s, '3');
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert!(matches!(&s.modal, Some(Modal::Purge(p)) if p.error.is_some()));
    press(&mut s, KeyCode::Backspace);
    ch(&mut s, '2');
    let fx = press(&mut s, KeyCode::Enter);
    assert!(matches!(fx.as_slice(), [Effect::Purge { users }] if users.len() == 2));
    let ids: Vec<String> = s
        .session()
        .users
        .targets()
        .iter()
        .map(|u| u.id.clone())
        .collect();
    fixtures::send(
        &mut s,
        SessionMsg::PurgeDone {
            purged: ids,
            failures: vec![],
        },
    );
    assert!(s.modal.is_none());
    assert_eq!(s.session().users.rows().len(), 8);
    assert_eq!(s.session().users.marked_count(), 0);
    ch(&mut s, 'D');
    press(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none());
}

#[test]
fn app_only_sign_in_prefills_the_sending_mailbox() {
    let mut s = st(3);
    s.session_mut().facts.account = "11111111-2222-3333-4444-555555555555".into();
    s.session_mut().facts.mail_sender = Some("helpdesk@contoso.sandbox".into());
    ch(&mut s, 'r');
    assert_eq!(form(&s).recipients.value(), "helpdesk@contoso.sandbox");
    press(&mut s, KeyCode::Esc);
    s.session_mut().facts.mail_sender = None;
    ch(&mut s, 'r');
    assert_eq!(form(&s).recipients.value(), "", "no address to offer");
}

#[test]
fn a_too_small_terminal_ignores_keys_but_q() {
    let mut s = st(10);
    update(&mut s, Msg::Resize(30, 6));
    assert!(ch(&mut s, 'r').is_empty());
    assert!(s.modal.is_none(), "no dialog opens where it cannot be seen");
    assert!(ch(&mut s, 'q').is_empty() && s.quit);
}

#[test]
fn every_sort_agrees_with_the_row_comparison_both_ways() {
    let mut s = st(300);
    // A user with no deletion time and no department exercises the "unknown" branches.
    let now = s.now;
    let mut odd = fixtures::user(1000, now);
    odd.deleted_at = None;
    odd.department = None;
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation: 0,
            result: Ok(DeletedPage {
                users: vec![odd],
                total: None,
            }),
        },
    );
    for _ in 0..5 {
        for reverse in [false, true] {
            if s.session().users.reverse() != reverse {
                press_mod(&mut s, KeyCode::Char('S'), KeyModifiers::SHIFT);
            }
            let order: Vec<u32> = s.session().users.sorted().collect();
            for w in order.windows(2) {
                assert_ne!(
                    s.session().users.compare(w[0], w[1]),
                    std::cmp::Ordering::Greater,
                    "{:?} reverse={reverse}",
                    s.session().users.sort()
                );
            }
        }
        ch(&mut s, 's');
    }
}

#[test]
fn newest_deleted_first_and_unknown_times_last() {
    let mut s = st(20);
    let now = s.now;
    let mut odd = fixtures::user(99, now);
    odd.deleted_at = None;
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation: 0,
            result: Ok(DeletedPage {
                users: vec![odd],
                total: None,
            }),
        },
    );
    while s.session().users.sort() != SortKey::Deleted {
        ch(&mut s, 's');
    }
    let times: Vec<_> = s
        .session()
        .users
        .shown()
        .iter()
        .map(|i| s.session().users.rows()[*i as usize].deleted_at)
        .collect();
    assert!(times.last().is_some_and(|t| t.is_none()), "unknown last");
    let known: Vec<_> = times.iter().flatten().collect();
    assert!(known.windows(2).all(|w| w[0] >= w[1]), "newest first");
}

#[test]
fn help_pages_and_jumps_like_the_table() {
    let mut s = fixtures::state(5, (80, 24));
    ch(&mut s, '?');
    let total = crate::app::help::lines(Scope::Table, true).len();
    let page = 24 - 4;
    ch(&mut s, 'G');
    let Some(HelpView { scroll, .. }) = s.help else {
        panic!("help open");
    };
    assert_eq!(scroll, total - page, "the last page, whole");
    // The badge legend is on it.
    let last: Vec<String> = crate::app::help::lines(Scope::Table, true)
        .into_iter()
        .skip(scroll)
        .map(|(h, k, _)| h.unwrap_or(k))
        .collect();
    assert!(last.iter().any(|l| l == "Badges"), "{last:?}");
    ch(&mut s, 'g');
    assert!(matches!(s.help, Some(HelpView { scroll: 0, .. })));
    press(&mut s, KeyCode::PageDown);
    assert!(matches!(s.help, Some(HelpView { scroll, .. }) if scroll == page));
    press(&mut s, KeyCode::PageUp);
    assert!(matches!(s.help, Some(HelpView { scroll: 0, .. })));
}

/// At 80x24, with a user of 30 proxy addresses first in the table: its details cannot fit.
fn long_details() -> State {
    let mut s = fixtures::state(20, (80, 24));
    let now = s.now;
    let mut many = fixtures::user(900, now);
    many.proxy_addresses = (0..30)
        .map(|i| format!("smtp:alias{i:02}@contoso.sandbox"))
        .collect();
    many.deleted_at = Some(now - chrono::Duration::minutes(719 * 60 + 30));
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation: 0,
            result: Ok(DeletedPage {
                users: vec![many],
                total: None,
            }),
        },
    );
    assert_eq!(
        s.session().users.current().map(|u| u.proxy_addresses.len()),
        Some(30)
    );
    s
}

#[test]
fn the_details_pane_scrolls_with_j_k_and_shift_arrows() {
    let mut s = long_details();
    ch(&mut s, 'J');
    assert_eq!(
        s.details_top(),
        0,
        "nothing to scroll while the pane is closed"
    );
    assert_eq!(s.session().users.selected(), 0, "J is not j");
    ch(&mut s, 'i');
    let max = crate::app::details::max_scroll(&s);
    assert!(max > 20, "30 addresses overflow an 80x24 pane: {max}");
    ch(&mut s, 'J');
    assert_eq!(s.details_top(), 1);
    press_mod(&mut s, KeyCode::Down, KeyModifiers::SHIFT);
    assert_eq!(s.details_top(), 2);
    press_mod(&mut s, KeyCode::Char('K'), KeyModifiers::SHIFT);
    assert_eq!(s.details_top(), 1);
    press_mod(&mut s, KeyCode::Up, KeyModifiers::SHIFT);
    press_mod(&mut s, KeyCode::Up, KeyModifiers::SHIFT);
    assert_eq!(s.details_top(), 0, "never above the first line");
    assert_eq!(s.session().users.selected(), 0, "the table did not move");
    for _ in 0..100 {
        ch(&mut s, 'J');
    }
    assert_eq!(s.details_top(), max, "never past the last line");
    // The scroll is on screen: the run loop must repaint.
    let key = crate::app::repaint_key(&s);
    ch(&mut s, 'K');
    assert_ne!(crate::app::repaint_key(&s), key);
    // A taller terminal needs less scrolling: K starts from what is now the end.
    update(&mut s, Msg::Resize(80, 40));
    let taller = crate::app::details::max_scroll(&s);
    assert!(taller < max);
    ch(&mut s, 'K');
    assert_eq!(s.details_top(), taller - 1);
    // Another user's details start at the top; closing the pane forgets the scroll.
    ch(&mut s, 'j');
    assert_eq!(s.details_top(), 0);
    // Back on the long one, its scroll is still where it was left.
    ch(&mut s, 'k');
    assert_eq!(s.details_top(), taller - 1);
    ch(&mut s, 'i');
    ch(&mut s, 'i');
    assert_eq!(s.details_top(), 0);
}

#[test]
fn the_wheel_scrolls_the_pane_under_the_pointer() {
    let mut s = long_details();
    ch(&mut s, 'i');
    let area = ratatui::layout::Rect::new(0, 0, 80, 24);
    let areas = crate::app::layout::layout(&s, area).expect("layout");
    let details = areas.details.expect("details pane open");
    let wheel = |kind, column, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(
        &mut s,
        wheel(MouseEventKind::ScrollDown, details.x + 5, details.y + 2),
    );
    assert_eq!(s.details_top(), 3);
    assert_eq!(s.session().users.selected(), 0, "the table stays put");
    update(
        &mut s,
        wheel(MouseEventKind::ScrollUp, details.x + 5, details.y + 2),
    );
    assert_eq!(s.details_top(), 0);
    update(
        &mut s,
        wheel(MouseEventKind::ScrollDown, areas.rows.x + 5, areas.rows.y),
    );
    assert_eq!(
        s.session().users.selected(),
        3,
        "over the table the wheel moves the selection"
    );
}

#[test]
fn the_help_says_how_to_scroll_the_details() {
    let lines = crate::app::help::lines(Scope::Result, false);
    let scroll = lines
        .iter()
        .find(|(_, _, help)| help.contains("scroll details down"))
        .map(|(_, keys, _)| keys.clone());
    assert_eq!(scroll.as_deref(), Some("J Shift-↓"));
}

// ---- result screen: nothing lost ----------------------------------------------------------------

/// Restored, but its password step failed (as when the directory refuses the password).
fn restored_without_password(i: usize) -> UserOutcome {
    let mut o = outcome(i, true);
    o.password = None;
    o.failure = Some(Failure {
        at: fixtures::now(),
        stage: Stage::Password,
        error: DirectoryError::new(
            ErrorKind::WeakPassword,
            "The specified password does not comply with password complexity requirements.",
        ),
    });
    o
}

#[test]
fn a_missing_password_is_counted_and_p_sets_one_for_that_user() {
    let mut s = st(5);
    result_state(&mut s, vec![restored_without_password(0)], &["a@b.co"]);
    let Some(Modal::Result(r)) = &s.modal else {
        panic!("no result")
    };
    assert_eq!((r.restored(), r.missing_passwords()), (1, 1));
    assert!(!r.can_send(), "nothing to mail yet");
    ch(&mut s, 'p');
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.prompt().is_some()));
    // Typed, with the tenant's name in it: refused before anything is sent.
    s.session_mut().tenant = crate::restore::Tenant::from_domains([("contoso.sandbox", true)]);
    press(&mut s, KeyCode::Tab);
    typ(&mut s, "Contoso#2026xQ");
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert!(matches!(&s.modal, Some(Modal::Result(r))
        if r.prompt().and_then(|p| p.error.as_deref()).is_some_and(|e| e.contains("contoso"))));
    for _ in 0..14 {
        press(&mut s, KeyCode::Backspace);
    }
    typ(&mut s, "Kiwi-Moon-42#x");
    let fx = press(&mut s, KeyCode::Enter);
    match fx.as_slice() {
        [
            Effect::Retry {
                restore: None,
                passwords,
                step,
            },
        ] => {
            assert_eq!(passwords.len(), 1);
            assert!(matches!(
                step.choice,
                crate::restore::PasswordChoice::Given(_)
            ));
        }
        other => panic!("{other:?}"),
    }
    let mut fixed = restored_without_password(0);
    fixed.failure = None;
    fixed.password = Some(SecretString::from("Kiwi-Moon-42#x"));
    fixtures::send(&mut s, SessionMsg::OutcomesUpdated(vec![fixed]));
    let Some(Modal::Result(r)) = &s.modal else {
        panic!("no result")
    };
    assert_eq!((r.complete(), r.missing_passwords()), (1, 0));
    assert!(r.can_send() && !r.busy);
}

#[test]
fn r_retries_failed_restores_and_missing_passwords_with_the_same_choices() {
    let mut s = st(5);
    result_state(
        &mut s,
        vec![
            outcome(0, true),
            outcome(1, false),
            restored_without_password(2),
        ],
        &["a@b.co"],
    );
    let fx = ch(&mut s, 'r');
    match fx.as_slice() {
        [
            Effect::Retry {
                restore: Some(plan),
                passwords,
                ..
            },
        ] => {
            assert_eq!(plan.users.len(), 1);
            assert_eq!(plan.users[0].user.id, outcome(1, false).id);
            assert_eq!(plan.mail_to, vec!["a@b.co".to_string()]);
            assert_eq!(passwords.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(ch(&mut s, 'r').is_empty(), "one retry at a time");
}

#[test]
fn e_shows_the_whole_error_and_esc_goes_back() {
    let mut s = st(5);
    result_state(
        &mut s,
        vec![outcome(0, true), outcome(1, false)],
        &["a@b.co"],
    );
    ch(&mut s, 'e');
    assert!(
        matches!(&s.modal, Some(Modal::Result(r)) if r.error_pane().is_none() && r.message.is_some())
    );
    ch(&mut s, 'j');
    ch(&mut s, 'e');
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.error_pane() == Some(0)));
    ch(&mut s, 'j');
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.error_pane() == Some(1)));
    press(&mut s, KeyCode::Esc);
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.error_pane().is_none()));
}

#[test]
fn hints_offer_only_keys_that_work() {
    let mut s = st(5);
    assert!(s.offers(Action::Restore) && s.offers(Action::Purge));
    s.session_mut().facts.read_only = true;
    assert!(!s.offers(Action::Restore) && !s.offers(Action::Purge));
    assert!(!s.offers(Action::FinishUnfinished), "nothing unfinished");
    s.session_mut().facts.read_only = false;
    result_state(&mut s, vec![outcome(1, false)], &["a@b.co"]);
    assert!(
        !s.offers(Action::NextField),
        "one button: no 'other button'"
    );
    assert!(!s.offers(Action::Copy) && !s.offers(Action::SetPassword));
    assert!(s.offers(Action::Retry) && s.offers(Action::ShowError));
}

#[test]
fn a_stale_notice_does_not_follow_onto_the_result() {
    let mut s = st(5);
    s.notice = Some((NoticeKind::Error, "Loading stopped: old news".into()));
    result_state(&mut s, vec![outcome(0, true)], &["a@b.co"]);
    assert!(s.notice.is_none());
}

#[test]
fn a_long_wait_shows_on_the_progress_screen_until_it_ends() {
    let mut s = st(3);
    ch(&mut s, 'r');
    clear_preflight(&mut s);
    press(&mut s, KeyCode::Enter);
    assert!(matches!(s.modal, Some(Modal::Progress(_))));
    fixtures::send(
        &mut s,
        SessionMsg::Waiting {
            text: "throttled: waiting 42 s (Retry-After)".into(),
            seconds: 42,
        },
    );
    let id = s.session().users.rows()[0].id().to_string();
    // News about a user that was already on its way does not hide the wait.
    fixtures::send(
        &mut s,
        SessionMsg::Job {
            id,
            status: JobStatus::Restored,
        },
    );
    let Some(Modal::Progress(p)) = &s.modal else {
        panic!("no progress")
    };
    let (text, until) = p.waiting.clone().expect("the wait");
    assert!(text.contains("42 s"));
    assert_eq!((until - s.now).num_seconds(), 42);
    // Elsewhere it is a notice.
    s.modal = None;
    fixtures::send(
        &mut s,
        SessionMsg::Waiting {
            text: "server busy: waiting 6 s (HTTP 503, attempt 2)".into(),
            seconds: 6,
        },
    );
    assert!(matches!(&s.notice, Some((NoticeKind::Info, t)) if t.contains("server busy")));
}

#[test]
fn the_request_log_closes_with_esc_on_the_table() {
    let mut s = st(5);
    ch(&mut s, '@');
    assert!(s.log_open);
    press(&mut s, KeyCode::Esc);
    assert!(!s.log_open);
}

// ---- issue 14: keys on every screen, the sandbox's panel, safeguards -------------------------

/// A state on each screen the keymap has a scope for (the sign-in screen aside), by keys.
fn on_every_screen() -> Vec<(Scope, State)> {
    let mut out = Vec::new();
    let s = st(20);
    out.push((Scope::Table, s));
    let mut s = st(20);
    ch(&mut s, '/');
    out.push((Scope::Filter, s));
    let mut s = st(20);
    press(&mut s, KeyCode::Enter);
    out.push((Scope::RestoreDialog, s));
    let mut s = st(20);
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    // The Temporary Access Pass choice comes before the security options.
    assert_eq!(form(&s).focus, DialogField::TapPass);
    press(&mut s, KeyCode::Tab);
    assert_eq!(form(&s).focus, DialogField::ForceChange);
    out.push((Scope::RestoreDialog, s));
    let mut s = st(20);
    ch(&mut s, 'D');
    out.push((Scope::Purge, s));
    let mut s = st(20);
    start_restore(&mut s);
    out.push((Scope::Progress, s));
    let mut s = st(20);
    result_state(
        &mut s,
        vec![outcome(0, true), outcome(1, false)],
        &["a@b.example"],
    );
    out.push((Scope::Result, s));
    let mut s = st(20);
    result_state(
        &mut s,
        vec![outcome(0, true), outcome(1, false)],
        &["a@b.example"],
    );
    ch(&mut s, 'j');
    ch(&mut s, 'e');
    out.push((Scope::ErrorPane, s));
    let mut s = st(20);
    result_state(&mut s, vec![outcome(0, true)], &["a@b.example"]);
    press(&mut s, KeyCode::Esc);
    out.push((Scope::Confirm, s));
    let mut s = st(20);
    let mut o = outcome(0, true);
    o.password = None;
    result_state(&mut s, vec![o], &["a@b.example"]);
    ch(&mut s, 'p');
    out.push((Scope::ResultPassword, s));
    for (scope, s) in &out {
        assert_eq!(super::keymap::scope(s), *scope, "the screen was reached");
    }
    out
}

/// The modal's kind, to check a key left it as it was.
fn modal_kind(s: &State) -> Option<std::mem::Discriminant<Modal>> {
    s.modal.as_ref().map(std::mem::discriminant)
}

#[test]
fn question_mark_or_f1_opens_the_help_of_every_screen_and_esc_returns_to_it() {
    for (scope, mut s) in on_every_screen() {
        let before = modal_kind(&s);
        let typing = super::keymap::is_typing(&s, scope);
        // `?` is text in a text field; F1 is the help there.
        if typing {
            press(&mut s, KeyCode::F(1));
        } else {
            ch(&mut s, '?');
        }
        assert_eq!(
            s.help.map(|h| h.scope),
            Some(scope),
            "{scope:?}: the help of this screen"
        );
        assert_eq!(super::keymap::scope(&s), Scope::Help);
        // Its keys are listed first.
        let first = crate::app::help::lines(scope, s.session().facts.is_sandbox)
            .into_iter()
            .next()
            .and_then(|(h, _, _)| h);
        assert_eq!(first, Some(format!("This screen: {}", scope.title())));
        press(&mut s, KeyCode::Esc);
        assert!(s.help.is_none(), "{scope:?}");
        assert_eq!(
            modal_kind(&s),
            before,
            "{scope:?}: the screen under it is kept"
        );
        assert_eq!(super::keymap::scope(&s), scope, "{scope:?}");
        assert!(!s.quit);
    }
}

#[test]
fn at_sign_toggles_the_log_on_every_screen_but_is_text_while_typing() {
    for (scope, mut s) in on_every_screen() {
        let before = modal_kind(&s);
        let typing = super::keymap::is_typing(&s, scope);
        ch(&mut s, '@');
        assert_eq!(s.log_open, !typing, "{scope:?}");
        assert_eq!(modal_kind(&s), before, "{scope:?}: the dialog stays open");
        if !typing {
            ch(&mut s, '@');
            assert!(!s.log_open, "{scope:?}: @ closes it again");
        }
    }
    // While typing, `@` went into the field.
    let mut s = st(20);
    ch(&mut s, '/');
    ch(&mut s, '@');
    assert_eq!(s.session().users.filter().value(), "@");
}

#[test]
fn the_log_stays_open_when_a_dialog_opens_over_the_table() {
    let mut s = st(20);
    ch(&mut s, '@');
    press(&mut s, KeyCode::Enter);
    assert!(matches!(s.modal, Some(Modal::Restore(_))));
    assert!(s.log_open);
}

#[test]
fn clearing_the_filter_keeps_the_user_it_found() {
    let mut s = st(40);
    let target = fixtures::user(7, fixtures::now());
    ch(&mut s, '/');
    typ(&mut s, &target.original_upn);
    assert_eq!(s.session().users.shown().len(), 1);
    assert_eq!(selected_id(&s), target.id);
    // Esc while typing clears it; the user stays selected, in view.
    press(&mut s, KeyCode::Esc);
    assert!(s.session().users.shown().len() > 1);
    assert_eq!(selected_id(&s), target.id);
    // Also when the filter was kept with Enter and cleared from the table.
    ch(&mut s, '/');
    typ(&mut s, &target.original_upn);
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.session().users.filter().value(), "");
    assert_eq!(selected_id(&s), target.id);
    let pos = s.session().users.selected();
    assert!(
        pos >= s.session().users.offset()
            && pos < s.session().users.offset() + super::layout::table_rows(&s)
    );
}

#[test]
fn refresh_says_reloading_until_the_listing_is_whole() {
    let mut s = st(10);
    let effects = ch(&mut s, 'R');
    let Some(Effect::LoadDeleted { generation }) = effects.into_iter().next() else {
        panic!("a load");
    };
    assert!(s.session().reload.is_some() && s.session().users.loading());
    fixtures::send(
        &mut s,
        SessionMsg::Page {
            generation,
            result: Ok(DeletedPage {
                users: fixtures::users(10, fixtures::now()),
                total: Some(10),
            }),
        },
    );
    assert!(s.session().users.loading(), "still reloading after a page");
    fixtures::send(&mut s, SessionMsg::LoadFinished { generation });
    assert!(s.session().reload.is_none() && !s.session().users.loading());
}

#[test]
fn the_welcome_panel_takes_the_first_key_and_is_remembered() {
    let mut s = st(10);
    s.welcome = true;
    let effects = press(&mut s, KeyCode::Enter);
    assert!(!s.welcome);
    assert!(
        s.modal.is_none(),
        "the key that dismissed it did nothing else"
    );
    assert!(matches!(effects.as_slice(), [Effect::RememberWelcome]));
    // `?` shows it again, on the sandbox, as part of the help.
    ch(&mut s, '?');
    let lines = crate::app::help::lines(Scope::Table, true);
    assert!(
        lines
            .iter()
            .any(|(h, _, _)| h.as_deref() == Some("The sandbox (demo data)"))
    );
    assert!(
        lines
            .iter()
            .any(|(_, _, t)| t.contains("undelete --tenant"))
    );
    assert!(
        !crate::app::help::lines(Scope::Table, false)
            .iter()
            .any(|(h, _, _)| h.as_deref() == Some("The sandbox (demo data)"))
    );
    // Ctrl-C still quits at once.
    let mut s = st(10);
    s.welcome = true;
    press_mod(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(s.quit);
}

#[test]
fn a_stray_space_cannot_turn_a_safeguard_off() {
    let mut s = st(10);
    press(&mut s, KeyCode::Enter);
    // Auto → manual, type a password, Tab out of the field, then a Space meant for it.
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Enter);
    assert_eq!(form(&s).focus, DialogField::Password);
    typ(&mut s, "Correct Horse 9!");
    press(&mut s, KeyCode::Tab);
    // Past the Temporary Access Pass choice (a Space there would pick it, not weaken anything).
    assert_eq!(form(&s).focus, DialogField::TapPass);
    press(&mut s, KeyCode::Tab);
    assert_eq!(form(&s).focus, DialogField::ForceChange);
    ch(&mut s, ' ');
    assert!(form(&s).force_change, "still on");
    assert_eq!(form(&s).confirm_off, Some(DialogField::ForceChange));
    // Any other key forgets the question.
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::BackTab);
    assert_eq!(form(&s).confirm_off, None);
    ch(&mut s, ' ');
    assert!(form(&s).force_change);
    ch(&mut s, 'x');
    assert!(!form(&s).force_change, "the second press, on purpose");
    // Turning it back on takes one.
    ch(&mut s, ' ');
    assert!(form(&s).force_change);
}

#[test]
fn a_directory_another_app_holds_is_said_before_any_dialog_and_frees_itself() {
    let mut s = st(5);
    let holder = "another undelete (pid 4242, since 2026-11-25 14:03:07) is restoring 3 users \
                  on this directory";
    fixtures::send(
        &mut s,
        SessionMsg::Holder(Some(Blocked::Held(holder.into()))),
    );
    s.session_mut().unfinished = vec![unfinished()];
    for key in ['r', 'D', 'F'] {
        s.notice = None;
        let effects = ch(&mut s, key);
        assert!(s.modal.is_none(), "{key}: no dialog that cannot work");
        assert!(effects.is_empty(), "{key}: {effects:?}");
        let (kind, text) = s.notice.clone().expect("says why");
        assert_eq!(kind, NoticeKind::Error);
        assert!(text.ends_with("once that one lets go."), "{key}: {text}");
        assert!(text.contains(holder), "{key}: {text}");
    }
    press(&mut s, KeyCode::Enter);
    assert!(s.modal.is_none(), "Enter is restore too");
    assert!(!s.offers(Action::Restore) && !s.offers(Action::FinishUnfinished));

    // The other app let go: the next check said so.
    fixtures::send(&mut s, SessionMsg::Holder(None));
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|(_, t)| t.contains("available"))
    );
    ch(&mut s, 'r');
    assert!(matches!(s.modal, Some(Modal::Restore(_))), "writable again");
}

#[test]
fn the_lock_is_checked_every_few_seconds_and_never_in_read_only_mode() {
    let mut s = st(3);
    let t0 = fixtures::now();
    let checks = |e: Vec<Effect>| e.iter().filter(|e| matches!(e, Effect::CheckBooks)).count();
    assert_eq!(checks(update(&mut s, Msg::Tick(t0))), 1, "at once");
    assert_eq!(
        checks(update(&mut s, Msg::Tick(t0 + chrono::Duration::seconds(1)))),
        0
    );
    assert_eq!(
        checks(update(&mut s, Msg::Tick(t0 + chrono::Duration::seconds(3)))),
        1
    );
    let mut ro = st(3);
    ro.session_mut().facts.read_only = true;
    assert_eq!(checks(update(&mut ro, Msg::Tick(t0))), 0);
}

#[test]
fn an_earlier_versions_restores_are_shown_apart_and_never_finished_by_f() {
    let mut s = st(3);
    fixtures::send(&mut s, SessionMsg::Earlier(vec![unfinished()]));
    assert_eq!(s.session().earlier.len(), 1);
    assert!(s.session().unfinished.is_empty());
    let effects = ch(&mut s, 'F');
    assert!(effects.is_empty(), "{effects:?}");
    let (_, text) = s.notice.clone().expect("says where they go");
    // The command reaches this directory and data dir, as the exit line's does.
    assert!(
        text.contains(&format!(
            "`{} --adopt-earlier`",
            s.session().facts.finish_command
        )),
        "{text}"
    );
}

// ---- finishing: one mail per recipient set, and a mail that may have gone out ---------------

/// What `F` brings back for a user whose sign-in mail may have gone out: restored, its
/// password kept (not shown), failed at the mail step.
fn mail_maybe_sent(i: usize) -> UserOutcome {
    let mut o = outcome(i, true);
    o.password = None;
    o.password_kept = true;
    o.failure = Some(Failure {
        at: fixtures::now(),
        stage: Stage::Mail,
        error: DirectoryError {
            code: Some(crate::restore::MAIL_UNCERTAIN_CODE.into()),
            ..DirectoryError::new(
                ErrorKind::Invalid,
                "mail may have been sent at 2026-12-07 10:00:00 to helpdesk@contoso.sandbox; \
                 check the recipient's inbox",
            )
        },
    });
    o
}

fn finished(s: &mut State, outcomes: Vec<UserOutcome>, groups: Vec<crate::restore::MailGroup>) {
    fixtures::send(
        s,
        SessionMsg::RestoreFinished {
            outcomes,
            mail: Some(groups),
        },
    );
}

fn group(to: &[&str], ids: &[&UserOutcome], fallback: bool) -> crate::restore::MailGroup {
    crate::restore::MailGroup {
        to: to.iter().map(|a| a.to_string()).collect(),
        include_password: true,
        force_change: true,
        ids: ids.iter().map(|o| o.id.clone()).collect(),
        fallback,
    }
}

#[test]
fn m_closes_a_user_whose_mail_may_have_gone_out_after_asking() {
    let mut s = st(5);
    let (a, b) = (outcome(0, true), mail_maybe_sent(1));
    finished(
        &mut s,
        vec![a.clone(), b.clone()],
        vec![group(&["helpdesk@contoso.sandbox"], &[&a, &b], false)],
    );
    let Some(Modal::Result(r)) = &s.modal else {
        panic!("the result screen")
    };
    assert_eq!(
        r.missing_passwords(),
        0,
        "its password is set, only not shown here"
    );
    assert!(
        !crate::app::modal::result::retryable(&r.outcomes[1]),
        "r never resets it"
    );
    // Only the ready user is mailed.
    assert_eq!(r.mails().len(), 1);
    assert_eq!(r.mails()[0].ids, vec![a.id.clone()]);
    // `m` on a line whose mail cannot have gone out says what it is for.
    assert!(ch(&mut s, 'm').is_empty());
    assert!(matches!(&s.modal, Some(Modal::Result(r))
        if r.confirm_arrived().is_none()
            && r.message.as_deref().is_some_and(|m| m.starts_with("m is for a user"))));
    // On the maybe line: a question first; `n` goes back.
    ch(&mut s, 'j');
    assert!(ch(&mut s, 'm').is_empty());
    assert_eq!(super::keymap::scope(&s), Scope::Confirm);
    ch(&mut s, 'n');
    assert_eq!(super::keymap::scope(&s), Scope::Result);
    ch(&mut s, 'm');
    let fx = ch(&mut s, 'y');
    match fx.as_slice() {
        [Effect::MailArrived { ids }] => assert_eq!(ids, &vec![b.id.clone()]),
        other => panic!("{other:?}"),
    }
    fixtures::send(&mut s, SessionMsg::MailArrived(Ok(vec![b.id.clone()])));
    let Some(Modal::Result(r)) = &s.modal else {
        panic!("still on the result screen")
    };
    assert!(r.outcomes[1].mail_confirmed() && !r.outcomes[1].mail_maybe_sent());
    assert!(
        r.message
            .as_deref()
            .is_some_and(|m| m.contains("closed as mailed")),
        "{:?}",
        r.message
    );
    assert!(!r.busy);
    // Closing records "not mailed" only for the users that were not.
    let fx = press(&mut s, KeyCode::Esc);
    assert!(fx.is_empty());
    let fx = ch(&mut s, 'y');
    match fx.as_slice() {
        [Effect::MailSkipped { outcomes }] => {
            let ids: Vec<&str> = outcomes.iter().map(|o| o.id.as_str()).collect();
            assert_eq!(ids, vec![a.id.as_str()]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn p_on_a_line_whose_mail_may_have_gone_out_sets_a_new_password() {
    let mut s = st(5);
    let b = mail_maybe_sent(1);
    finished(
        &mut s,
        vec![b.clone()],
        vec![group(&["x@contoso.sandbox"], &[&b], false)],
    );
    ch(&mut s, 'p');
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.prompt().is_some()));
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::Retry { restore: None, passwords, .. }] if passwords[0].id == b.id),
        "{fx:?}"
    );
}

#[test]
fn finishing_sends_one_mail_per_recipient_set_in_turn() {
    let mut s = st(5);
    let (a, b, c) = (outcome(0, true), outcome(2, true), outcome(3, true));
    finished(
        &mut s,
        vec![a.clone(), b.clone(), c.clone()],
        vec![
            group(&["helpdesk@contoso.sandbox"], &[&a, &c], false),
            group(&["admin@contoso.sandbox"], &[&b], true),
        ],
    );
    let first = press(&mut s, KeyCode::Enter);
    match first.as_slice() {
        [Effect::SendMail(m)] => {
            assert_eq!(m.recipients, vec!["helpdesk@contoso.sandbox".to_string()]);
            let ids: Vec<&str> = m.outcomes.iter().map(|o| o.id.as_str()).collect();
            assert_eq!(ids, vec![a.id.as_str(), c.id.as_str()]);
        }
        other => panic!("{other:?}"),
    }
    // The first went: the second goes at once.
    let second = fixtures::send(&mut s, SessionMsg::MailSent(Ok(())));
    match second.as_slice() {
        [Effect::SendMail(m)] => {
            assert_eq!(m.recipients, vec!["admin@contoso.sandbox".to_string()]);
            assert_eq!(m.outcomes.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    // It fails: the screen stays, and Enter tries that one again, not the first.
    fixtures::send(
        &mut s,
        SessionMsg::MailSent(Err("the server is gone".into())),
    );
    assert!(matches!(&s.modal, Some(Modal::Result(r)) if r.send_error.is_some()));
    match press(&mut s, KeyCode::Enter).as_slice() {
        [Effect::SendMail(m)] => {
            assert_eq!(m.recipients, vec!["admin@contoso.sandbox".to_string()])
        }
        other => panic!("{other:?}"),
    }
    assert!(fixtures::send(&mut s, SessionMsg::MailSent(Ok(()))).is_empty());
    assert!(s.modal.is_none());
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|(_, t)| t
                == "✓ Sign-in info sent to helpdesk@contoso.sandbox, admin@contoso.sandbox."),
        "{:?}",
        s.notice
    );
}
