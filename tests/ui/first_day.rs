//! The first day, polished (issue 25): what got in a new admin's way, walked with keys at 80x24
//! and 120x40. Badges that never vanish, a help that wraps, words for what keys do, dialogs
//! that leave the header and footer in view, real plurals, passes with a date and zone, the
//! `p` prompt's checklist and verdict, a guest's hand-off, who a dialog restores.

use std::collections::HashSet;

use crossterm::event::KeyCode;
use undelete::app::fixtures;
use undelete::app::modal::Modal;
use undelete::app::msg::SessionMsg;
use undelete::app::state::State;
use undelete::restore::{MailState, PasswordState, RestoreState, RestoredUser, Unfinished};

use crate::snapshots::{key, render, typ};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The screens `build` makes at 80x24 and 120x40, snapshotted as `first_day_<name>_WxH`.
fn snap(name: &str, build: impl Fn((u16, u16)) -> State) -> Vec<String> {
    SIZES
        .iter()
        .map(|&(w, h)| {
            let out = render(&build((w, h)), w, h);
            insta::assert_snapshot!(format!("first_day_{name}_{w}x{h}"), out);
            out
        })
        .collect()
}

/// The rows of a rendered screen (the test backend's quoted lines, unquoted).
fn rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .map(|l| {
            let l = l.trim_start_matches('"');
            l[..l.rfind('"').unwrap_or(l.len())].to_string()
        })
        .collect()
}

/// Every user in conflict, as the sweep would say: badges on every row.
fn all_in_conflict(s: &mut State) {
    let ids: HashSet<String> = s
        .session()
        .users
        .rows()
        .iter()
        .map(|r| r.id().to_string())
        .collect();
    s.session_mut().users.set_swept_conflicts(ids);
}

#[test]
fn every_row_with_a_state_shows_its_badge_in_one_form() {
    let screens = snap("badges_conflicts_only", |size| {
        let mut s = fixtures::state(48, size);
        all_in_conflict(&mut s);
        typ(&mut s, "c");
        s
    });
    for screen in &screens {
        let body: Vec<String> = rows(screen)
            .into_iter()
            .filter(|r| r.contains('□') || r.contains('■'))
            .collect();
        assert!(!body.is_empty(), "{screen}");
        for row in &body {
            assert!(
                row.contains("[C]") || row.contains("[CONFLICT]"),
                "a conflicted row without its badge: {row}\n{screen}"
            );
        }
        // One form per column: never the full and the short word on one screen.
        let full = screen.contains("[EXPIRES") || screen.contains("[CONFLICT]");
        let short = screen.contains("[EXP ") || screen.contains("[C]");
        assert!(!(full && short), "two forms in one column:\n{screen}");
    }
}

#[test]
fn the_help_uses_the_width_and_wraps_every_explanation() {
    let screens = snap("help", |size| {
        let mut s = fixtures::state(48, size);
        typ(&mut s, "?");
        s
    });
    for (screen, (w, _)) in screens.iter().zip(SIZES) {
        let rows = rows(screen);
        // As wide as the terminal allows, up to 120 columns.
        let top = rows
            .iter()
            .find(|r| r.contains("Keys · ↑↓ scroll"))
            .expect("the help's border");
        let drawn = top.trim().chars().count();
        assert_eq!(drawn, usize::from(w.saturating_sub(2).min(120)), "{screen}");
        // Inside the box nothing is cut (the header behind it may be).
        let inside = rows.iter().filter(|r| r.trim_start().starts_with('│'));
        for row in inside {
            assert!(!row.contains('…'), "cut: {row}\n{screen}");
        }
    }
    // Scrolled to its end, the sandbox's facts and the badge legend are whole.
    let mut s = fixtures::state(48, (80, 24));
    typ(&mut s, "?");
    // The text inside the box, page after page, its borders left out.
    let mut seen = String::new();
    for _ in 0..10 {
        for row in rows(&render(&s, 80, 24)) {
            if let Some(inner) = row
                .trim()
                .strip_prefix('│')
                .and_then(|r| r.strip_suffix('│'))
            {
                seen.push_str(inner);
                seen.push(' ');
            }
        }
        key(&mut s, KeyCode::PageDown);
    }
    let joined: String = seen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(joined.contains("change nothing real"), "{joined}");
    assert!(joined.contains("(i: how)"), "the legend's end: {joined}");
}

#[test]
fn space_marks_and_moves_on_and_the_keys_say_so() {
    let mut s = fixtures::state(48, (120, 40));
    // Rows 1 and 6 (one-based): Space, then four moves, then Space.
    typ(&mut s, " jjjj ");
    let marked: Vec<usize> = s
        .session()
        .users
        .shown()
        .iter()
        .enumerate()
        .filter(|(_, i)| s.session().users.is_marked(**i))
        .map(|(pos, _)| pos + 1)
        .collect();
    assert_eq!(marked, [1, 6], "Space moved down after marking row 1");
    let screen = render(&s, 120, 40);
    assert!(screen.contains("space mark ↓"), "{screen}");
    typ(&mut s, "?");
    let help = render(&s, 120, 40);
    assert!(help.contains("then move to the next"), "{help}");
}

fn unfinished() -> Unfinished {
    Unfinished {
        bring_back: Vec::new(),
        run: "r".into(),
        id: "id".into(),
        display_name: "Adele Vance".into(),
        upn: "adele.vance0@contoso.sandbox".into(),
        restore: RestoreState::Restored,
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
fn the_unfinished_banner_starts_with_its_key_and_the_footer_offers_it() {
    let screens = snap("unfinished", |size| {
        let mut s = fixtures::state(48, size);
        fixtures::send(&mut s, SessionMsg::Unfinished(vec![unfinished()]));
        s
    });
    for screen in &screens {
        let rows = rows(screen);
        assert!(
            rows[1].starts_with(" ⚠ F finishes: 1 restore is unfinished"),
            "{screen}"
        );
        let footer = rows.last().expect("footer");
        assert!(footer.contains("F finish"), "{footer}");
    }
}

#[test]
fn dialogs_leave_the_header_and_the_footer_in_view() {
    let screens = snap("dialog", |size| {
        let mut s = fixtures::state(48, size);
        typ(&mut s, "  ");
        key(&mut s, KeyCode::Enter);
        s
    });
    for screen in &screens {
        let rows = rows(screen);
        assert!(rows[0].starts_with(" undelete │"), "{screen}");
        let footer = rows.last().expect("footer");
        assert!(footer.contains("enter restore"), "{footer}");
    }
    // At 80x24 the dialog takes every row between the two.
    assert!(
        rows(&screens[0])[1].starts_with("┌ Restore 2 users"),
        "{}",
        screens[0]
    );
}

#[test]
fn counts_are_worded_with_real_singulars() {
    let mut s = fixtures::state(48, (80, 24));
    typ(&mut s, "D");
    let screen = render(&s, 80, 24);
    assert!(screen.contains("Purge 1 user for good"), "{screen}");
    assert!(!screen.contains("(s)"), "{screen}");
}

fn restored_user(i: usize, password: PasswordState, mail: MailState) -> RestoredUser {
    // Past the 48 deleted users the state lists: restored and not deleted again.
    let u = fixtures::user(60 + i, fixtures::now());
    RestoredUser {
        id: u.id.clone(),
        display_name: u.display_name.clone(),
        upn: u.original_upn.clone(),
        planned_upn: None,
        restored_at: fixtures::now() - chrono::Duration::hours(i as i64),
        by: Some("admin@contoso.sandbox".into()),
        password,
        mail,
        gone: false,
        unfinished: false,
        mail_to: vec!["helpdesk@contoso.sandbox".into()],
        include_password: true,
        force_change: true,
        run: "run".into(),
        account_disabled: false,
    }
}

/// The Restored view over three users, the newest restored an hour ago and closed without
/// email.
fn restored_view(size: (u16, u16)) -> State {
    let mut s = fixtures::state(48, size);
    typ(&mut s, "2");
    let rows = vec![
        restored_user(1, PasswordState::Set, MailState::Skipped),
        restored_user(2, PasswordState::Set, MailState::NoRecipients),
        restored_user(3, PasswordState::Missing, MailState::NotSent),
    ];
    fixtures::send(&mut s, SessionMsg::Restored(Ok(rows)));
    s
}

#[test]
fn the_restored_view_opens_on_the_newest_and_says_its_back_key_in_words() {
    let screens = snap("restored", restored_view);
    for screen in &screens {
        let footer = rows(screen).last().cloned().unwrap_or_default();
        assert!(footer.contains("deleted users"), "{footer}");
        assert!(!footer.contains("1 deleted ·"), "{footer}");
    }
    let mut s = restored_view((120, 40));
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Char('1'));
    typ(&mut s, "2");
    // Read again on opening: the newest is selected, not the one picked before.
    let rows = s.session().restored.rows.clone();
    fixtures::send(&mut s, SessionMsg::Restored(Ok(rows)));
    assert_eq!(s.session().restored.selected, 0);
}

#[test]
fn p_gives_a_user_closed_without_email_a_new_password() {
    let mut s = restored_view((80, 24));
    // The newest: its password was set, but closed without email.
    let screen = render(&s, 80, 24);
    assert!(screen.contains("p sets a new password"), "{screen}");
    typ(&mut s, "p");
    assert!(
        matches!(&s.modal, Some(Modal::Result(r)) if r.prompt().is_some()),
        "{}",
        render(&s, 80, 24)
    );
    // It has a password (nobody was told it), not "no password yet".
    let screen = render(&s, 80, 24);
    assert!(screen.contains("1 gets a new password"), "{screen}");
    assert!(!screen.contains("no password yet"), "{screen}");
    // Enter sets a generated one, which the result screen then mails.
    let effects = undelete::app::update::update(
        &mut s,
        undelete::app::msg::Msg::Key(crossterm::event::KeyEvent::new_with_kind(
            KeyCode::Enter,
            crossterm::event::KeyModifiers::NONE,
            crossterm::event::KeyEventKind::Press,
        )),
    );
    assert!(
        matches!(&effects[..], [undelete::app::effect::Effect::Retry { passwords, .. }] if passwords.len() == 1),
        "{}",
        render(&s, 80, 24)
    );
    // A guest has none to get: `p` says why instead.
    let mut s = restored_view((80, 24));
    typ(&mut s, "jj");
    s.session_mut().restored.rows[2].password = PasswordState::NotNeeded;
    typ(&mut s, "p");
    assert!(s.modal.is_none());
    let screen = render(&s, 80, 24);
    assert!(screen.contains("is a guest"), "{screen}");
}

#[test]
fn c_and_back_keeps_the_selected_user() {
    let mut s = fixtures::state(48, (120, 40));
    all_in_conflict(&mut s);
    typ(&mut s, "jjjjj");
    let picked = s.session().users.current_index();
    typ(&mut s, "c");
    typ(&mut s, "c");
    assert_eq!(s.session().users.current_index(), picked);
}

#[test]
fn m_shows_only_the_marked_users() {
    let screens = snap("only_marked", |size| {
        let mut s = fixtures::state(48, size);
        typ(&mut s, " jj jj ");
        typ(&mut s, "m");
        s
    });
    for screen in &screens {
        let body = rows(screen)
            .into_iter()
            .filter(|r| r.contains('□') || r.contains('■'))
            .count();
        assert_eq!(body, 3, "{screen}");
        assert!(screen.contains("only marked"), "{screen}");
    }
}

#[test]
fn the_multi_user_dialog_names_who_it_restores() {
    let screens = snap("dialog_names", |size| {
        let mut s = fixtures::state(48, size);
        typ(&mut s, "        ");
        key(&mut s, KeyCode::Enter);
        s
    });
    for screen in &screens {
        assert!(screen.contains(" • "), "one line per user: {screen}");
        assert!(screen.contains("and 2 more"), "{screen}");
    }
}

#[test]
fn a_lone_guest_gets_its_hand_off_not_a_password_section() {
    // Fixture user 3 is a guest.
    let screens = snap("guest_dialog", |size| {
        let mut s = fixtures::state(48, size);
        let at = s
            .session()
            .users
            .shown()
            .iter()
            .position(|i| s.session().users.rows()[*i as usize].is_guest())
            .expect("a guest");
        for _ in 0..at {
            key(&mut s, KeyCode::Down);
        }
        key(&mut s, KeyCode::Enter);
        s
    });
    for screen in &screens {
        assert!(screen.contains("Hand-off"), "{screen}");
        assert!(screen.contains("home account"), "{screen}");
        assert!(!screen.contains("Auto-generate"), "{screen}");
        assert!(
            !screen.contains("no password is set;"),
            "said once: {screen}"
        );
    }
}

/// The result screen after a run whose password step failed for one member.
fn result_needing_a_password(size: (u16, u16)) -> State {
    use undelete::restore::{PlannedUser, UserOutcome};
    let mut s = fixtures::state(48, size);
    let u = fixtures::user(0, fixtures::now());
    let mut o = UserOutcome::new("run", &PlannedUser::as_is(u), true);
    o.upn = Some(o.original_upn.clone());
    fixtures::send(
        &mut s,
        SessionMsg::RestoreFinished {
            outcomes: vec![o],
            mail: None,
        },
    );
    s
}

#[test]
fn typing_in_the_p_prompt_chooses_type_one_and_asks_the_directory() {
    use undelete::app::effect::Effect;
    use undelete::app::msg::Msg;
    use undelete::directory::{DirectoryError, ErrorKind};
    let screens = snap("prompt", |size| {
        let mut s = result_needing_a_password(size);
        typ(&mut s, "p");
        // "generate one" is chosen; typing picks "type one" and keeps the letters.
        let mut asked = None;
        for c in "Kx7#".chars() {
            let msg = Msg::Key(crossterm::event::KeyEvent::new_with_kind(
                KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
                crossterm::event::KeyEventKind::Press,
            ));
            for e in undelete::app::update::update(&mut s, msg) {
                if let Effect::CheckPassword { seq, .. } = e {
                    asked = Some(seq);
                }
            }
        }
        let seq = asked.expect("the directory is asked about the typed password");
        fixtures::send(
            &mut s,
            SessionMsg::PasswordVerdict {
                seq,
                result: Err(DirectoryError::new(ErrorKind::Forbidden, "forbidden")),
            },
        );
        s
    });
    for screen in &screens {
        assert!(screen.contains("(•) type one: [ •••• ]"), "{screen}");
        assert!(screen.contains("The tenant could not be asked"), "{screen}");
        // The checklist is wrapped, never cut.
        let joined: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(joined.contains("no tenant or user name"), "{screen}");
    }
}

#[test]
fn a_pass_on_the_result_screen_says_its_date_and_zone_as_the_mail_does() {
    use undelete::directory::tap::TapTerms;
    use undelete::restore::{PlannedUser, UserOutcome};
    let expires = fixtures::now() + chrono::Duration::hours(14);
    let screens = snap("tap_result", |size| {
        let mut s = fixtures::state(48, size);
        let u = fixtures::user(0, fixtures::now());
        let mut o = UserOutcome::new("run", &PlannedUser::as_is(u), true);
        o.upn = Some(o.original_upn.clone());
        o.password = Some(secrecy::SecretString::from("TAP-1234".to_string()));
        o.tap = Some(TapTerms {
            expires,
            usable_once: true,
        });
        fixtures::send(
            &mut s,
            SessionMsg::RestoreFinished {
                outcomes: vec![o],
                mail: None,
            },
        );
        s
    });
    let moment = undelete::text::utc_moment(expires);
    assert_eq!(moment, "2026-11-26 02:04 UTC");
    for screen in &screens {
        assert!(screen.contains(&format!("TAP until {moment}")), "{screen}");
    }
}

#[test]
fn a_reload_before_any_row_says_no_bare_zero() {
    let mut s = fixtures::state(48, (120, 40));
    s.session_mut().reload = Some(Vec::new());
    typ(&mut s, "R");
    let top = rows(&render(&s, 120, 40)).remove(0);
    assert!(top.contains("reloading…"), "{top}");
    assert!(!top.contains("reloading… 0"), "{top}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_says_what_the_badges_cannot_for_want_of_a_permission() {
    use undelete::app::sweep::Phase;
    let (_tmp, h) = crate::common::start_sandbox_with(60, |c| {
        // Group.ReadWrite.All (for giving an ownership back) would read groups too.
        c.deny("GroupMember.Read.All")
            .deny("Group.ReadWrite.All")
            .deny("AuditLog.Read.All")
    })
    .await;
    let mut t = crate::flow::Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;
    t.settle("the sweep and the audit log", |s| {
        s.session().sweep.phase == Phase::Done && s.session().sweep.deletions.is_some()
    })
    .await;
    let wide = rows(&render(&t.state, 120, 40)).remove(0);
    assert!(
        wide.contains("conflicts: users, contacts only — needs GroupMember.Read.All"),
        "{wide}"
    );
    assert!(wide.contains("[BS] unknown"), "{wide}");
    // Narrow: the short forms stay, the label gives way first.
    let narrow = rows(&render(&t.state, 80, 24)).remove(0);
    assert!(
        narrow.contains("conflicts: users, contacts only · [BS] unknown"),
        "{narrow}"
    );
    // Wider still, the audit log's permission is named too.
    let widest = rows(&render(&t.state, 200, 60)).remove(0);
    assert!(
        widest.contains("[BS] unknown — needs AuditLog.Read.All"),
        "{widest}"
    );
    h.shutdown().await;
}
