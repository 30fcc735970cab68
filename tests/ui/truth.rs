//! The screens say what is true, at 80x24 and 120x40, driven by keys: Ctrl-C's question where
//! unsent passwords would be lost, the scroll marks of every list that can hide rows, a failed
//! mail whole, a pass's expiry, a disabled account and "no recipients" in the Restored view.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use secrecy::SecretString;
use undelete::app::fixtures;
use undelete::app::modal::Modal;
use undelete::app::modal::progress::JobStatus;
use undelete::app::msg::{Msg, SessionMsg};
use undelete::app::state::State;
use undelete::app::update::update;
use undelete::restore::{MailState, PasswordState, PlannedUser, RestoredUser, UserOutcome};

use crate::snapshots::{home, key, render, typ};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snap(name: &str, build: impl Fn((u16, u16)) -> State) -> Vec<String> {
    SIZES
        .iter()
        .map(|&(w, h)| {
            let out = render(&build((w, h)), w, h);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), out);
            out
        })
        .collect()
}

fn ctrl_c(s: &mut State) {
    update(
        s,
        Msg::Key(KeyEvent::new_with_kind(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
            KeyEventKind::Press,
        )),
    );
}

/// User `i` restored with a generated password.
fn restored(i: usize) -> UserOutcome {
    let u = fixtures::user(i, fixtures::now());
    let mut o = UserOutcome::new("run", &PlannedUser::as_is(u), true);
    o.upn = Some(o.original_upn.clone());
    o.password = Some(SecretString::from("Kx7#mPq2Rt9!vWz4".to_string()));
    o
}

/// The first `n` members among the fixture users (guests get no password).
fn members(n: usize) -> Vec<UserOutcome> {
    (0..)
        .filter(|&i| !fixtures::user(i, fixtures::now()).is_guest())
        .take(n)
        .map(restored)
        .collect()
}

fn result_of(size: (u16, u16), outcomes: Vec<UserOutcome>, to: &[&str]) -> State {
    let mut s = home(size);
    // What `F` brings back: one mail for everyone, as the finishing rule groups it.
    let group = undelete::restore::MailGroup {
        to: to.iter().map(|t| t.to_string()).collect(),
        include_password: true,
        force_change: outcomes.iter().any(|o| o.force_change),
        ids: outcomes.iter().map(|o| o.id.clone()).collect(),
        fallback: false,
    };
    fixtures::send(
        &mut s,
        SessionMsg::RestoreFinished {
            outcomes,
            mail: Some(vec![group]),
        },
    );
    s
}

#[test]
fn the_result_list_marks_the_users_it_hides() {
    let screens = snap("result_many", |size| {
        let mut s = result_of(size, members(14), &["admin@contoso.sandbox"]);
        // The pointer on the 8th user: some above it are out of view, some below.
        for _ in 0..7 {
            key(&mut s, KeyCode::Char('j'));
        }
        s
    });
    // At 80x24, 14 users (28 lines) do not fit: the border says how many are hidden.
    let small = &screens[0];
    assert!(small.contains("▼ ") && small.contains(" more "), "{small}");
    let mut s = result_of((80, 24), members(14), &["admin@contoso.sandbox"]);
    let first = render(&s, 80, 24);
    assert!(
        first.contains("▼ 7 more"),
        "the 8th user and on are hidden (the header and the footer stay in view):\n{first}"
    );
    assert!(!first.contains("▲"), "nothing above the first:\n{first}");
    for _ in 0..13 {
        key(&mut s, KeyCode::Char('j'));
    }
    let last = render(&s, 80, 24);
    assert!(last.contains("▲ ") && !last.contains("▼"), "{last}");
}

#[test]
fn ctrl_c_on_the_result_asks_before_the_passwords_are_lost() {
    let screens = snap("result_quit_question", |size| {
        let mut s = result_of(size, members(3), &["admin@contoso.sandbox"]);
        ctrl_c(&mut s);
        s
    });
    for screen in &screens {
        assert!(
            screen.contains("Quit now? The passwords on this screen were not sent"),
            "{screen}"
        );
        assert!(
            screen.contains("y or Ctrl-C quits · n goes back"),
            "{screen}"
        );
    }
}

#[test]
fn ctrl_c_on_the_progress_asks_before_the_run_is_cut() {
    let screens = snap("progress_quit_question", |size| {
        let mut s = home(size);
        typ(&mut s, "a");
        let users = s.session().users.targets();
        let mut p = undelete::app::modal::progress::ProgressState::new(&users);
        for (n, line) in p.lines.iter_mut().enumerate().take(9) {
            line.status = if n % 3 == 2 {
                JobStatus::Restoring
            } else {
                JobStatus::PasswordSet
            };
        }
        s.modal = Some(Modal::Progress(p));
        ctrl_c(&mut s);
        s
    });
    for screen in &screens {
        assert!(screen.contains("Quit mid-run?"), "{screen}");
        assert!(screen.contains("▼ "), "the list hides users: {screen}");
    }
}

#[test]
fn a_failed_mail_is_said_whole_and_e_shows_its_error_first() {
    let why = "cannot connect to 127.0.0.1:45617: connection refused → check that the server \
               is running and reachable, then retry (POST /v1.0/users/admin@contoso.sandbox/\
               sendMail, attempt 1)";
    let screens = snap("result_mail_failed", |size| {
        let mut s = result_of(size, members(2), &["admin@contoso.sandbox"]);
        key(&mut s, KeyCode::Enter);
        fixtures::send(&mut s, SessionMsg::MailSent(Err(why.into())));
        s
    });
    for screen in &screens {
        assert!(
            screen.contains("✗ Sending failed: cannot connect to 127.0.0.1:45617: connection"),
            "{screen}"
        );
        assert!(screen.contains("e: all of it"), "{screen}");
    }
    // Ctrl-C over the failed mail: the question replaces both of its lines, nothing shows through.
    let asked = snap("result_mail_failed_quit", |size| {
        let mut s = result_of(size, members(2), &["admin@contoso.sandbox"]);
        key(&mut s, KeyCode::Enter);
        fixtures::send(&mut s, SessionMsg::MailSent(Err(why.into())));
        ctrl_c(&mut s);
        s
    });
    for screen in &asked {
        assert!(
            screen.contains("were not sent and will be lost.  "),
            "nothing after the question: {screen}"
        );
        assert!(!screen.contains("Sending failed"), "{screen}");
    }
    let panes = snap("result_mail_failed_e", |size| {
        let mut s = result_of(size, members(2), &["admin@contoso.sandbox"]);
        key(&mut s, KeyCode::Enter);
        fixtures::send(&mut s, SessionMsg::MailSent(Err(why.into())));
        key(&mut s, KeyCode::Char('e'));
        s
    });
    for pane in &panes {
        assert!(pane.contains("Sign-in mail: not sent"), "{pane}");
        assert!(
            pane.contains("attempt 1)"),
            "the error whole, to its end: {pane}"
        );
    }
}

#[test]
fn a_disabled_account_says_sign_in_is_blocked_on_the_result() {
    let screens = snap("result_disabled", |size| {
        let mut outcomes = members(2);
        outcomes[0].account_disabled = true;
        result_of(size, outcomes, &["admin@contoso.sandbox"])
    });
    for screen in &screens {
        assert!(
            screen.contains("⚠ account disabled: sign-in fails"),
            "{screen}"
        );
    }
}

fn restored_user(i: usize, password: PasswordState, mail: MailState) -> RestoredUser {
    let u = fixtures::user(i, fixtures::now());
    RestoredUser {
        id: u.id.clone(),
        display_name: u.display_name.clone(),
        upn: u.original_upn.clone(),
        planned_upn: None,
        restored_at: fixtures::now() - chrono::Duration::hours(i as i64 - 99),
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

#[test]
fn the_restored_view_says_a_pass_s_expiry_a_blocked_sign_in_and_no_recipients() {
    let until = fixtures::now() + chrono::Duration::minutes(125);
    let screens = snap("restored_truth", |size| {
        let mut s = fixtures::state(48, size);
        typ(&mut s, "2");
        let sent = MailState::Sent {
            to: vec!["helpdesk@contoso.sandbox".into()],
        };
        let mut blocked = restored_user(101, PasswordState::Set, sent.clone());
        blocked.account_disabled = true;
        let mut rows = vec![
            restored_user(100, PasswordState::Tap { until: Some(until) }, sent.clone()),
            blocked,
            restored_user(102, PasswordState::Set, MailState::NoRecipients),
        ];
        // Enough rows that a small terminal hides some.
        rows.extend((103..125).map(|i| restored_user(i, PasswordState::Set, sent.clone())));
        fixtures::send(&mut s, SessionMsg::Restored(Ok(rows)));
        s
    });
    // The time left in the row; under it the moment with its date and zone, as the sign-in
    // mail says it.
    let tap = "TAP, 2h left";
    let long = format!("TAP until {}", until.format("%Y-%m-%d %H:%M UTC"));
    for screen in &screens {
        assert!(screen.contains(tap), "{screen}");
        assert!(screen.contains(&long), "the selected pass whole: {screen}");
        assert!(screen.contains("active, sign-in blocked"), "{screen}");
        assert!(!screen.contains("not sent (closed)"), "{screen}");
    }
    // The small one hides rows and says so; the wide one has room for the mail column.
    assert!(screens[0].contains("▼ "), "{}", screens[0]);
    assert!(screens[1].contains("no recipients"), "{}", screens[1]);
    // On the blocked user, the lines under the rows say it and how to enable it.
    let mut s = fixtures::state(48, (120, 40));
    typ(&mut s, "2");
    let mut blocked = restored_user(101, PasswordState::Set, MailState::Skipped);
    blocked.account_disabled = true;
    fixtures::send(&mut s, SessionMsg::Restored(Ok(vec![blocked])));
    let screen = render(&s, 120, 40);
    assert!(
        screen.contains("state: active, sign-in blocked (the account is disabled: enable it"),
        "{screen}"
    );
}

#[test]
fn the_dialog_s_count_of_users_it_does_not_name_is_never_cut() {
    for (w, h) in SIZES {
        let mut s = fixtures::state(48, (w, h));
        // Eight users, among them the fixtures' longest names: six named, one line each.
        typ(&mut s, "        r");
        let screen = render(&s, w, h);
        assert!(screen.contains("and 2 more"), "{w}x{h}:\n{screen}");
    }
}

/// An unfinished restore an earlier version journaled (no directory), for the banner.
fn earlier(i: usize) -> undelete::restore::Unfinished {
    let u = fixtures::user(i, fixtures::now());
    undelete::restore::Unfinished {
        bring_back: Vec::new(),
        run: "old-run".into(),
        id: u.id.clone(),
        display_name: u.display_name.clone(),
        upn: u.original_upn.clone(),
        restore: undelete::restore::RestoreState::Restored,
        password_set: false,
        wants_password: true,
        mail_done: false,
        mail_to: Vec::new(),
        include_password: true,
        force_change: true,
        since: fixtures::now(),
        tap: None,
        account_disabled: false,
    }
}

#[test]
fn the_earlier_versions_banner_names_the_command_for_this_data_dir_before_its_users() {
    // The command is what the admin needs and the end of the line is what a terminal cuts:
    // at 160 columns it is whole, and it reaches this run's data dir, not the default one.
    let mut s = home((160, 30));
    fixtures::send(&mut s, SessionMsg::Earlier((0..3).map(earlier).collect()));
    let screen = render(&s, 160, 30);
    let command = format!("`{} --adopt-earlier`", s.session().facts.finish_command);
    assert!(command.contains("--data-dir"), "{command}");
    let banner = screen
        .lines()
        .find(|l| l.contains("from an earlier version"))
        .unwrap_or_else(|| panic!("a banner line: {screen}"));
    assert!(banner.contains(&command), "{banner}");
    // F says the same command, whole.
    key(&mut s, KeyCode::Char('F'));
    let (_, notice) = s.notice.clone().expect("F says where they go");
    assert!(notice.contains(&command), "{notice}");
}

#[test]
fn a_mail_whose_reply_was_lost_is_said_so_and_m_closes_its_users() {
    let failed = || {
        SessionMsg::MailSent(Err(undelete::app::msg::MailFailed {
            why: "the connection was lost before a reply (connection closed before message \
                  completed); it may or may not have been carried out, so it was not sent \
                  again → check the connection and retry (POST \
                  /v1.0/users/admin@contoso.sandbox/sendMail)"
                .into(),
            may_have_gone: true,
        }))
    };
    let panes = snap("result_mail_maybe_e", |size| {
        let mut s = result_of(size, members(2), &["admin@contoso.sandbox"]);
        key(&mut s, KeyCode::Enter);
        fixtures::send(&mut s, failed());
        key(&mut s, KeyCode::Char('e'));
        s
    });
    for pane in &panes {
        assert!(
            pane.contains("Sign-in mail: may have gone out (its reply was lost)"),
            "{pane}"
        );
        assert!(!pane.contains("Sign-in mail: not sent"), "{pane}");
    }
    // Ctrl-C does not say the passwords were not sent.
    let mut s = result_of((80, 24), members(2), &["admin@contoso.sandbox"]);
    key(&mut s, KeyCode::Enter);
    fixtures::send(&mut s, failed());
    ctrl_c(&mut s);
    let asked = render(&s, 80, 24);
    assert!(
        asked.contains("Quit now? The mail may have gone out;") && !asked.contains("not sent"),
        "{asked}"
    );
    key(&mut s, KeyCode::Char('n'));
    // m on each user of that mail: asked, then closed as mailed in the journal (the runner's
    // `confirm_mail_arrived`, as `finish --mark-sent`); then nothing is held any more.
    let ids: Vec<String> = match &s.modal {
        Some(Modal::Result(r)) => r.outcomes.iter().map(|o| o.id.clone()).collect(),
        _ => panic!("on the result"),
    };
    for id in &ids {
        key(&mut s, KeyCode::Char('m'));
        let effects = update(
            &mut s,
            Msg::Key(KeyEvent::new_with_kind(
                KeyCode::Char('y'),
                KeyModifiers::NONE,
                KeyEventKind::Press,
            )),
        );
        assert!(
            matches!(effects.as_slice(),
                [undelete::app::effect::Effect::MailArrived { ids }] if ids.as_slice() == std::slice::from_ref(id)),
            "m then y closes {id}"
        );
        fixtures::send(&mut s, SessionMsg::MailArrived(Ok(vec![id.clone()])));
        key(&mut s, KeyCode::Char('j'));
    }
    let done = render(&s, 80, 24);
    assert!(
        done.contains("closed as mailed") && !done.contains("Sending failed"),
        "the settled mail gives way to what was done: {done}"
    );
    ctrl_c(&mut s);
    assert!(s.quit && s.exit.is_none(), "nothing left to lose: exit 0");
}
