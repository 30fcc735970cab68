//! The table: loading, moving, filtering, sorting, marks, mouse, read-only mode, unfinished work.

use super::*;

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
    for i in 0..(crate::app::state::LOG_CAPACITY + 10) {
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
    assert_eq!(s.log.len(), crate::app::state::LOG_CAPACITY);
    assert!(s.log.back().is_some_and(|r| {
        r.path
            .ends_with(&format!("/{}", crate::app::state::LOG_CAPACITY + 9))
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
