//! The progress and result screens, and finishing: mail, passwords, retries, nothing lost.

use super::*;

// ---- progress ------------------------------------------------------------------------------

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
    // Stopping waits for the users in flight; Esc asks to leave them to F instead.
    press(&mut s, KeyCode::Esc);
    assert!(matches!(&s.modal, Some(Modal::Progress(p)) if p.confirm_leave && p.in_flight() == 1));
    ch(&mut s, 'n');
    assert!(matches!(&s.modal, Some(Modal::Progress(p)) if !p.confirm_leave && p.stopping));
    press(&mut s, KeyCode::Esc);
    let fx = ch(&mut s, 'y');
    assert!(matches!(fx.as_slice(), [Effect::LeaveRestore]), "{fx:?}");
    assert!(s.modal.is_none());
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
                items,
                step,
            },
        ] => {
            assert_eq!(passwords.len(), 1);
            assert!(items.is_empty());
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
    assert_eq!(crate::app::keymap::scope(&s), Scope::Confirm);
    ch(&mut s, 'n');
    assert_eq!(crate::app::keymap::scope(&s), Scope::Result);
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

#[test]
fn r_asks_again_for_the_items_the_directory_refused_and_a_fixed_one_is_counted() {
    use crate::directory::bring_back::BringBack;
    use crate::restore::ItemOutcome;
    let mut s = st(5);
    let mut o = outcome(0, true);
    let licence = BringBack::Licence {
        sku_id: "e5".into(),
        sku_name: Some("SPE_E5".into()),
        disabled_plans: vec![],
    };
    o.brought_back = vec![ItemOutcome {
        item: licence.clone(),
        result: Err(DirectoryError::new(
            ErrorKind::BadRequest,
            "licence SPE_E5: there are no available licenses.",
        )),
    }];
    result_state(
        &mut s,
        vec![o, outcome(1, true)],
        &["admin@contoso.sandbox"],
    );
    let fx = ch(&mut s, 'r');
    let [
        Effect::Retry {
            restore: None,
            passwords,
            items,
            ..
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert!(passwords.is_empty());
    assert_eq!(items.len(), 1, "only the user with a refused item");
    let mut fixed = items[0].clone();
    fixed.take_item(licence, Ok(()));
    let fx = fixtures::send(&mut s, SessionMsg::OutcomesUpdated(vec![fixed]));
    // What came back is read again for that user, without its password.
    assert!(
        matches!(fx.as_slice(), [Effect::AfterCare { outcomes }] if outcomes.len() == 1 && outcomes[0].password.is_none()),
        "{fx:?}"
    );
    let Some(Modal::Result(r)) = &s.modal else {
        panic!("the result screen stays")
    };
    assert!(r.outcomes[0].items_failed().next().is_none());
    assert!(
        r.message.as_deref().unwrap_or("").contains('1'),
        "{:?}",
        r.message
    );
    assert_eq!(ch(&mut s, 'r').len(), 0, "nothing left to retry");
}
