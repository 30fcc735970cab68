//! Purge, help, details, the log, and the keys on every screen.

use super::*;

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
    // The lines as drawn at 80 columns, explanations wrapped.
    let drawn = crate::app::help::wrapped(Scope::Table, true, 80);
    let total = drawn.len();
    // 24 rows less the header and the footer, the help's margin and its borders.
    let page = 24 - 2 - 2 - 2;
    ch(&mut s, 'G');
    let Some(HelpView { scroll, .. }) = s.help else {
        panic!("help open");
    };
    assert_eq!(scroll, total - page, "the last page, whole");
    // The badge legend is on it.
    let last = &drawn[scroll..];
    assert!(
        last.contains(&crate::app::help::HelpLine::Heading("Badges".into())),
        "{last:?}"
    );
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
        assert_eq!(
            crate::app::keymap::scope(s),
            *scope,
            "the screen was reached"
        );
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
        let typing = crate::app::keymap::is_typing(&s, scope);
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
        assert_eq!(crate::app::keymap::scope(&s), Scope::Help);
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
        assert_eq!(crate::app::keymap::scope(&s), scope, "{scope:?}");
        assert!(!s.quit);
    }
}

#[test]
fn at_sign_toggles_the_log_on_every_screen_but_is_text_while_typing() {
    for (scope, mut s) in on_every_screen() {
        let before = modal_kind(&s);
        let typing = crate::app::keymap::is_typing(&s, scope);
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
            && pos < s.session().users.offset() + crate::app::layout::table_rows(&s)
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
