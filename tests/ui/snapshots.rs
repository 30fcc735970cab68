//! Every screen drawn into a `TestBackend` at 120x40 and 60x20, with the sandbox's hostile
//! names (after `sanitize`) in view and a fixed clock. Review changes with `cargo insta review`.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use undelete::app::fixtures;
use undelete::app::modal::progress::JobStatus;
use undelete::app::msg::{Msg, SessionMsg};
use undelete::app::state::State;
use undelete::app::update::update;
use undelete::directory::{DirectoryError, ErrorKind, RequestRecord, Stage};
use undelete::restore::{Failure, RestoreState, Unfinished, UserOutcome};

const SIZES: [(u16, u16); 2] = [(120, 40), (60, 20)];

pub(crate) fn render(state: &State, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal
        .draw(|f| undelete::ui::draw(state, f))
        .expect("draw");
    terminal.backend().to_string()
}

pub(crate) fn key(s: &mut State, code: KeyCode) {
    update(
        s,
        Msg::Key(KeyEvent::new_with_kind(
            code,
            KeyModifiers::NONE,
            KeyEventKind::Press,
        )),
    );
}

pub(crate) fn typ(s: &mut State, text: &str) {
    for c in text.chars() {
        key(s, KeyCode::Char(c));
    }
}

/// Builds the state at each size (layout depends on it) and snapshots both.
fn snap(name: &str, build: impl Fn((u16, u16)) -> State) {
    for (w, h) in SIZES {
        let state = build((w, h));
        let out = render(&state, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), out);
    }
}

pub(crate) fn home(size: (u16, u16)) -> State {
    let mut s = fixtures::state(48, size);
    // Two marked users, the pointer on the third row.
    typ(&mut s, "  ");
    s
}

fn outcome(i: usize, ok: bool) -> UserOutcome {
    let u = fixtures::user(i, fixtures::now());
    UserOutcome {
        brought_back: Vec::new(),
        run: "run".into(),
        id: u.id.clone(),
        display_name: u.display_name.clone(),
        original_upn: u.original_upn.clone(),
        upn: ok.then(|| u.original_upn.clone()),
        password: ok.then(|| SecretString::from("Kx7#mPq2Rt9!vWz4".to_string())),
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
        planned: Some(undelete::restore::PlannedUser::as_is(u)),
        password_kept: false,
    }
}

fn holder(name: &str, upn: &str) -> undelete::directory::Holder {
    undelete::directory::Holder {
        kind: undelete::directory::HolderKind::User,
        id: "holder-id".into(),
        display_name: name.into(),
        user_principal_name: Some(upn.into()),
        mail: None,
        proxy_addresses: vec![],
    }
}

#[test]
fn loading() {
    snap("loading", |size| fixtures::blank(fixtures::now(), size));
}

#[test]
fn table() {
    snap("table", home);
}

#[test]
fn table_with_details() {
    snap("details", |size| {
        let mut s = home(size);
        typ(&mut s, "i");
        s
    });
}

#[test]
fn table_filtered() {
    snap("filter", |size| {
        let mut s = home(size);
        typ(&mut s, "/sales");
        s
    });
}

#[test]
fn table_no_match() {
    snap("no_match", |size| {
        let mut s = home(size);
        typ(&mut s, "/zzzz");
        key(&mut s, KeyCode::Enter);
        s
    });
}

#[test]
fn request_log() {
    snap("log", |size| {
        let mut s = home(size);
        for (i, (m, p, st)) in [
            (
                "GET",
                "/v1.0/directory/deletedItems/microsoft.graph.user?$top=999",
                Some(200),
            ),
            (
                "POST",
                "/v1.0/directory/deletedItems/0000/restore",
                Some(400),
            ),
            ("PATCH", "/v1.0/users/0000", Some(429)),
            ("POST", "/v1.0/me/sendMail", None),
        ]
        .into_iter()
        .enumerate()
        {
            fixtures::send(
                &mut s,
                SessionMsg::Request(RequestRecord {
                    at: fixtures::now(),
                    method: m.into(),
                    path: p.into(),
                    status: st,
                    request_id: Some(format!("5f0c1a2b-0000-4000-8000-00000000000{i}")),
                    duration_ms: 12 * (i as u64 + 1),
                }),
            );
        }
        typ(&mut s, "@");
        s
    });
}

#[test]
fn journal_banner_and_read_only() {
    snap("banner_read_only", |size| {
        let mut s = home(size);
        s.session_mut().facts.read_only = true;
        fixtures::send(
            &mut s,
            SessionMsg::Unfinished(vec![Unfinished {
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
            }]),
        );
        typ(&mut s, "r");
        s
    });
}

pub(crate) fn dialog(size: (u16, u16)) -> State {
    let mut s = home(size);
    typ(&mut s, "r");
    // Pre-flight: the first user's name is taken and a proxy address too.
    let ids: Vec<String> = s
        .session()
        .users
        .targets()
        .iter()
        .map(|u| u.id.clone())
        .collect();
    fixtures::send(
        &mut s,
        SessionMsg::Preflight {
            id: ids[0].clone(),
            result: Ok(undelete::restore::Preflight {
                upn_holder: Some(holder(
                    "Adele Vance (new hire)",
                    "adele.vance0@contoso.sandbox",
                )),
                proxy_holders: vec![(
                    "smtp:adele.vance0@contoso.sandbox".into(),
                    holder("Adele Vance (new hire)", "adele.vance0@contoso.sandbox"),
                )],
                suggested_upn: Some("adele.vance2@contoso.sandbox".into()),
                synced: false,
                new_upn: Some(undelete::restore::NameCheck {
                    upn: "adele.vance2@contoso.sandbox".into(),
                    holder: None,
                }),
                unchecked: vec![],
            }),
        },
    );
    // The second user's old address is a group's now (a shared inbox).
    fixtures::send(
        &mut s,
        SessionMsg::Preflight {
            id: ids[1].clone(),
            result: Ok(undelete::restore::Preflight {
                proxy_holders: vec![(
                    "smtp:zoe@contoso.sandbox".into(),
                    undelete::directory::Holder {
                        kind: undelete::directory::HolderKind::Group,
                        id: "group-id".into(),
                        display_name: "Sales Team".into(),
                        user_principal_name: None,
                        mail: Some("sales@contoso.sandbox".into()),
                        proxy_addresses: vec!["smtp:zoe@contoso.sandbox".into()],
                    },
                )],
                ..Default::default()
            }),
        },
    );
    for id in &ids[2..] {
        fixtures::send(
            &mut s,
            SessionMsg::Preflight {
                id: id.clone(),
                result: Ok(undelete::restore::Preflight::default()),
            },
        );
    }
    s
}

#[test]
fn restore_dialog() {
    snap("restore_dialog", dialog);
}

#[test]
fn restore_dialog_weak_password() {
    snap("restore_dialog_password", |size| {
        let mut s = dialog(size);
        key(&mut s, KeyCode::Tab);
        key(&mut s, KeyCode::Enter);
        typ(&mut s, "password");
        key(&mut s, KeyCode::Enter);
        s
    });
}

/// The dialog on one user whose offboarding took a group, two licences (one with no free
/// seat), sign-in and a privileged role: the checklist, the focus on its first line.
#[test]
fn restore_dialog_what_offboarding_took() {
    use undelete::offboarding::checklist::fixtures::{found, sku};
    snap("restore_dialog_taken", |size| {
        let mut s = fixtures::state(48, size);
        let id = s.session().users.current().expect("a user").id.clone();
        typ(&mut s, "r");
        fixtures::send(
            &mut s,
            SessionMsg::Preflight {
                id: id.clone(),
                result: Ok(undelete::restore::Preflight::default()),
            },
        );
        let mut f = found();
        f.user_id = id.clone();
        fixtures::send(
            &mut s,
            SessionMsg::Offboarding {
                id,
                result: Ok(Box::new(f)),
            },
        );
        fixtures::send(
            &mut s,
            SessionMsg::Seats(Ok(vec![sku("e5", 20, 20), sku("e3", 20, 3)])),
        );
        // Past the password, safeguards and mail: the checklist's first line.
        for _ in 0..7 {
            key(&mut s, KeyCode::Tab);
        }
        s
    });
}

#[test]
fn restore_dialog_synced_user() {
    snap("restore_dialog_synced", |size| {
        let mut s = fixtures::state(48, size);
        // Fixture user 2 is synced from on-premises.
        let pos = s
            .session()
            .users
            .shown()
            .iter()
            .position(|i| s.session().users.rows()[*i as usize].synced())
            .expect("a synced user");
        s.session_mut().users.select(pos);
        typ(&mut s, "r");
        s
    });
}

fn progress(size: (u16, u16)) -> State {
    let mut s = home(size);
    typ(&mut s, "a");
    typ(&mut s, "r");
    let ids: Vec<String> = s
        .session()
        .users
        .targets()
        .iter()
        .map(|u| u.id.clone())
        .collect();
    // Every user is checked first; then 48 users ask once more.
    for id in &ids {
        fixtures::send(
            &mut s,
            SessionMsg::Preflight {
                id: id.clone(),
                result: Ok(undelete::restore::Preflight::default()),
            },
        );
    }
    key(&mut s, KeyCode::Enter);
    typ(&mut s, "y");
    for (n, id) in ids.iter().enumerate().take(12) {
        let status = match n % 4 {
            0 => JobStatus::PasswordSet,
            1 => JobStatus::Restored,
            2 => JobStatus::Restoring,
            _ => JobStatus::Failed("user name taken → choose a new user name".into()),
        };
        fixtures::send(
            &mut s,
            SessionMsg::Job {
                id: id.clone(),
                status,
            },
        );
    }
    s
}

#[test]
fn progress_screen() {
    snap("progress", progress);
}

#[test]
fn progress_confirm_stop() {
    snap("progress_stop", |size| {
        let mut s = progress(size);
        key(&mut s, KeyCode::Esc);
        s
    });
}

fn result(size: (u16, u16)) -> State {
    let mut s = home(size);
    s.session_mut().last_mail = Some((vec!["admin@contoso.sandbox".into()], true));
    fixtures::send(
        &mut s,
        SessionMsg::RestoreFinished {
            outcomes: vec![outcome(0, true), outcome(6, true), outcome(7, false)],
            mail: None,
        },
    );
    s
}

#[test]
fn result_screen() {
    snap("result", result);
}

/// A user given back a group and sign-in, its licence refused for want of a seat.
#[test]
fn result_with_what_came_back() {
    use undelete::directory::bring_back::BringBack;
    use undelete::restore::ItemOutcome;
    snap("result_brought_back", |size| {
        let mut s = home(size);
        s.session_mut().last_mail = Some((vec!["admin@contoso.sandbox".into()], true));
        let mut o = outcome(0, true);
        o.brought_back = vec![
            ItemOutcome {
                item: BringBack::Group {
                    id: "g1".into(),
                    name: Some("Sales Team".into()),
                    owner: false,
                },
                result: Ok(()),
            },
            ItemOutcome {
                item: BringBack::Licence {
                    sku_id: "e5".into(),
                    sku_name: Some("SPE_E5".into()),
                    disabled_plans: vec![],
                },
                result: Err(DirectoryError::new(
                    ErrorKind::BadRequest,
                    "License assignment failed because there are no available licenses.",
                )),
            },
            ItemOutcome {
                item: BringBack::SignIn,
                result: Ok(()),
            },
        ];
        fixtures::send(
            &mut s,
            SessionMsg::RestoreFinished {
                outcomes: vec![o, outcome(6, true)],
                mail: None,
            },
        );
        s
    });
}

#[test]
fn result_revealed_and_send_failed() {
    snap("result_failed_send", |size| {
        let mut s = result(size);
        typ(&mut s, "v");
        key(&mut s, KeyCode::Enter);
        fixtures::send(
            &mut s,
            SessionMsg::MailSent(Err("The mailbox is not enabled for REST API (MailboxNotEnabledForRESTAPI, HTTP 404) → check the input".into())),
        );
        s
    });
}

#[test]
fn result_confirm_close() {
    snap("result_confirm_close", |size| {
        let mut s = result(size);
        key(&mut s, KeyCode::Esc);
        s
    });
}

/// `F`'s result: a user mailed to the helpdesk, one whose restore recorded nobody (to the
/// admin, said), and one whose mail may have gone out (`m` or `p` on its line).
fn finish_result(size: (u16, u16)) -> State {
    let mut s = home(size);
    let (a, b) = (outcome(0, true), outcome(6, true));
    let mut c = outcome(7, true);
    c.password = None;
    c.password_kept = true;
    c.failure = Some(Failure {
        at: fixtures::now(),
        stage: Stage::Mail,
        error: DirectoryError {
            code: Some(undelete::restore::MAIL_UNCERTAIN_CODE.into()),
            ..DirectoryError::new(
                ErrorKind::Invalid,
                "mail may have been sent at 2026-12-07 10:00:00 to helpdesk@contoso.sandbox; \
                 check the recipient's inbox; its password was left as it is (a resend sets a \
                 new one and mails it)",
            )
        },
    });
    let group = |to: &str, ids: Vec<String>, fallback: bool| undelete::restore::MailGroup {
        to: vec![to.to_string()],
        include_password: true,
        force_change: true,
        ids,
        fallback,
    };
    let groups = vec![
        group(
            "helpdesk@contoso.sandbox",
            vec![a.id.clone(), c.id.clone()],
            false,
        ),
        group("admin@contoso.sandbox", vec![b.id.clone()], true),
    ];
    fixtures::send(
        &mut s,
        SessionMsg::RestoreFinished {
            outcomes: vec![a, b, c],
            mail: Some(groups),
        },
    );
    s
}

#[test]
fn finish_result_with_a_mail_that_may_have_gone_out() {
    snap("finish_result", finish_result);
}

#[test]
fn finish_result_asks_before_closing_a_maybe_mailed_user() {
    snap("finish_result_mail_arrived", |size| {
        let mut s = finish_result(size);
        typ(&mut s, "jjm");
        s
    });
}

#[test]
fn purge_confirmation() {
    snap("purge", |size| {
        let mut s = home(size);
        typ(&mut s, "D1");
        key(&mut s, KeyCode::Enter);
        s
    });
}

#[test]
fn help_overlay() {
    snap("help", |size| {
        let mut s = home(size);
        typ(&mut s, "?");
        s
    });
}

#[test]
fn too_small() {
    let s = fixtures::state(5, (40, 8));
    insta::assert_snapshot!("too_small_40x8", render(&s, 40, 8));
}

#[test]
fn hostile_strings_never_reach_the_screen() {
    for (w, h) in SIZES {
        let s = fixtures::state(64, (w, h));
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal.draw(|f| undelete::ui::draw(&s, f)).expect("draw");
        let buf = terminal.backend().buffer();
        for y in 0..h {
            for x in 0..w {
                let sym = buf[(x, y)].symbol();
                assert!(
                    !sym.chars()
                        .any(|c| c.is_control() || undelete_common::sanitize::is_bidi_control(c)),
                    "{sym:?} reached the screen at ({x},{y}) in {w}x{h}"
                );
            }
        }
        // No row spilled over the table's right border.
        for y in 2..h - 2 {
            assert_eq!(buf[(w - 1, y)].symbol(), "│", "row {y} at {w}x{h}");
        }
    }
}

fn sign_in_view(error: Option<undelete::auth::AuthError>) -> undelete::ui::sign_in::SignInView {
    undelete::ui::sign_in::SignInView {
        target: "contoso.onmicrosoft.com".into(),
        how: "with your saved sign-in, or a code to enter in a browser".into(),
        prompt: Some(undelete::auth::device_code::DeviceCodePrompt {
            user_code: "GX7K-P2QM".into(),
            verification_uri: "https://microsoft.com/devicelogin".into(),
            message: "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code GX7K-P2QM to authenticate.".into(),
            expires_at: fixtures::now() + chrono::Duration::seconds(754),
            interval: std::time::Duration::from_secs(5),
        }),
        error: error
            .as_ref()
            .map(undelete::app::sign_in::SignInFailure::from_auth),
        copied: false,
        now: fixtures::now(),
        spinner: 0,
        no_color: true,
    }
}

#[test]
fn sign_in_screen() {
    for (w, h) in SIZES {
        let signing_in = undelete::ui::sign_in::SignInView {
            prompt: None,
            how: "app-only, with the certificate /home/admin/.config/undelete/app.pem".into(),
            spinner: 3,
            ..sign_in_view(None)
        };
        let refused =
            undelete::auth::AuthError::Rejected(Box::new(undelete::auth::oauth::AadError {
                status: 400,
                error: "invalid_request".into(),
                description: "AADSTS700016: Application with identifier 'f00' was not found in \
                              the directory 'contoso.onmicrosoft.com'."
                    .into(),
                codes: vec![700016],
                trace_id: None,
                correlation_id: Some("5b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0".into()),
            }));
        for (name, view) in [
            ("sign_in", sign_in_view(None)),
            ("sign_in_starting", signing_in),
            (
                "sign_in_declined",
                sign_in_view(Some(undelete::auth::AuthError::Declined)),
            ),
            ("sign_in_refused", sign_in_view(Some(refused))),
        ] {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
            terminal
                .draw(|f| {
                    let theme = undelete::ui::theme::Theme::new(Default::default(), view.no_color);
                    undelete::ui::sign_in::draw(&view, &theme, f)
                })
                .expect("draw");
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend().to_string());
        }
    }
}

/// The last line of the screen: the footer hint.
fn footer(state: &State) -> String {
    let (w, h) = state.size;
    render(state, w, h)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn footers_say_what_enter_does_where_the_focus_is() {
    let mut s = result((120, 40));
    assert!(
        footer(&s).contains("enter send email and close"),
        "{}",
        footer(&s)
    );
    key(&mut s, KeyCode::Tab);
    assert!(
        footer(&s).contains("enter close without email"),
        "{}",
        footer(&s)
    );
    assert!(!footer(&s).contains("enter press"));

    let mut d = dialog((120, 40));
    assert!(footer(&d).contains("enter restore"), "{}", footer(&d));
    // Auto-generate -> let me create: Enter picks it.
    key(&mut d, KeyCode::Tab);
    assert!(
        footer(&d).contains("enter type my own password"),
        "{}",
        footer(&d)
    );
    key(&mut d, KeyCode::BackTab);
    key(&mut d, KeyCode::BackTab);
    assert!(footer(&d).contains("enter cancel"), "{}", footer(&d));
}

#[test]
fn focus_shows_without_color_or_attributes() {
    // The fixtures draw with NO_COLOR; the text alone must say where the focus is.
    let mut d = dialog((120, 40));
    let marked = |s: &State, what: &str| {
        render(s, 120, 40)
            .lines()
            .any(|l| l.contains(&format!("▶{what}")))
    };
    assert!(marked(&d, "(•) Auto-generate"));
    key(&mut d, KeyCode::Tab);
    assert!(marked(&d, "( ) Let me create"));
    assert!(!marked(&d, "(•) Auto-generate"));
    key(&mut d, KeyCode::BackTab);
    key(&mut d, KeyCode::BackTab);
    assert!(marked(&d, "[ Cancel ]"));
    assert!(!marked(&d, "[ Restore ]"));

    let mut r = result((120, 40));
    assert!(marked(&r, "[ Send email and close ]"));
    key(&mut r, KeyCode::Tab);
    assert!(marked(&r, "[ Close without email ]"));
    assert!(!marked(&r, "[ Send email and close ]"));
}

#[test]
fn the_selected_row_is_highlighted_across_the_whole_table() {
    for (w, h) in SIZES {
        let s = home((w, h));
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal.draw(|f| undelete::ui::draw(&s, f)).expect("draw");
        let buf = terminal.backend().buffer();
        let y = (0..h)
            .find(|y| buf[(1, *y)].symbol() == "▶")
            .expect("a selected row");
        // Inside the borders, every cell of that row is reversed (NO_COLOR's highlight).
        for x in 1..w - 1 {
            assert!(
                buf[(x, y)]
                    .modifier
                    .contains(ratatui::style::Modifier::REVERSED),
                "({x},{y}) at {w}x{h}"
            );
        }
        assert!(
            !buf[(1, y + 1)]
                .modifier
                .contains(ratatui::style::Modifier::REVERSED)
        );
    }
}

#[test]
fn a_tenant_header_always_names_the_account_and_the_sign_in_kind() {
    for (w, h) in [(80, 24), (100, 30), (120, 40), (200, 60)] {
        let mut s = fixtures::state(48, (w, h));
        s.session_mut().facts.is_sandbox = false;
        s.session_mut().facts.account = "admin@contoso.onmicrosoft.com".into();
        s.session_mut().facts.label = "global · contoso.onmicrosoft.com (61644a25-da5a-4317-94e2-3bc1eca8c766) · admin@contoso.onmicrosoft.com (delegated)".into();
        let screen = render(&s, w, h);
        let header = screen.lines().next().unwrap_or_default();
        assert!(
            header.contains("admin@contoso.onmicrosoft.com (delegated)"),
            "{w}x{h}: {header}"
        );
        assert!(header.contains("contoso"), "{w}x{h}: {header}");
        assert!(header.contains("loaded 48"), "{w}x{h}: {header}");
    }
}

/// A user whose 30 proxy addresses cannot fit the details pane, scrolled with J (and the
/// bottom border saying where we are).
#[test]
fn details_scrolled() {
    snap("details_scrolled", |size| {
        let mut s = fixtures::state(48, size);
        let now = fixtures::now();
        let mut many = fixtures::user(900, now);
        many.proxy_addresses = (0..30)
            .map(|i| format!("smtp:alias{i:02}@contoso.sandbox"))
            .collect();
        // Closest to the purge, so the untouched cursor lands on it.
        many.deleted_at = Some(now - chrono::Duration::minutes(719 * 60 + 30));
        fixtures::send(
            &mut s,
            SessionMsg::Page {
                generation: 0,
                result: Ok(undelete::directory::DeletedPage {
                    users: vec![many.clone()],
                    total: None,
                }),
            },
        );
        assert_eq!(s.session().users.current_id(), Some(many.id.as_str()));
        typ(&mut s, "iJJJJJJ");
        update(
            &mut s,
            Msg::Key(KeyEvent::new_with_kind(
                KeyCode::Down,
                KeyModifiers::SHIFT,
                KeyEventKind::Press,
            )),
        );
        assert_eq!(s.details_top(), 7);
        s
    });
}

fn restored_user(
    i: usize,
    password: undelete::restore::PasswordState,
    mail: undelete::restore::MailState,
    hours_ago: i64,
) -> undelete::restore::RestoredUser {
    let u = fixtures::user(i, fixtures::now());
    undelete::restore::RestoredUser {
        id: u.id.clone(),
        display_name: u.display_name.clone(),
        upn: u.original_upn.clone(),
        planned_upn: None,
        restored_at: fixtures::now() - chrono::Duration::hours(hours_ago),
        by: Some("admin@contoso.sandbox".into()),
        password,
        mail,
        gone: false,
        unfinished: password == undelete::restore::PasswordState::Missing,
        mail_to: vec!["helpdesk@contoso.sandbox".into()],
        include_password: true,
        force_change: true,
        run: "run".into(),
        account_disabled: false,
    }
}

#[test]
fn restored_view() {
    use undelete::restore::{MailState, PasswordState};
    snap("restored", |size| {
        // Users 100 and up are not in the deleted users; user 5 is there again.
        let mut s = fixtures::state(48, size);
        typ(&mut s, "2");
        let sent = MailState::Sent {
            to: vec!["helpdesk@contoso.sandbox".into()],
        };
        let mut renamed = restored_user(101, PasswordState::Set, sent.clone(), 3);
        renamed.planned_upn = Some(renamed.upn.clone());
        renamed.upn = renamed.upn.replace('@', "2@");
        let mut gone = restored_user(104, PasswordState::Set, MailState::Skipped, 50);
        gone.gone = true;
        let rows = vec![
            restored_user(100, PasswordState::Missing, MailState::NotSent, 0),
            renamed,
            restored_user(102, PasswordState::NotNeeded, sent.clone(), 5),
            restored_user(
                103,
                PasswordState::Set,
                MailState::MaybeSent {
                    to: vec!["helpdesk@contoso.sandbox".into()],
                },
                26,
            ),
            restored_user(5, PasswordState::Set, sent, 30),
            gone,
        ];
        fixtures::send(&mut s, SessionMsg::Restored(Ok(rows)));
        s
    });
}

#[test]
fn restored_view_empty() {
    snap("restored_empty", |size| {
        let mut s = fixtures::state(48, size);
        typ(&mut s, "2");
        fixtures::send(&mut s, SessionMsg::Restored(Ok(Vec::new())));
        s
    });
}

#[test]
fn table_while_the_sweep_checks() {
    snap("sweeping", |size| fixtures::sweeping(48, size));
}

fn tap_policy() -> undelete::directory::tap::TapAvailability {
    undelete::directory::tap::TapAvailability::Available(undelete::directory::tap::TapPolicy {
        enabled: true,
        default_lifetime: 60,
        min_lifetime: 60,
        max_lifetime: 480,
        usable_once: false,
    })
}

#[test]
fn restore_dialog_with_a_temporary_access_pass() {
    snap("restore_dialog_tap", |size| {
        let mut s = dialog(size);
        fixtures::send(&mut s, SessionMsg::TapAvailability(tap_policy()));
        // Tab to the pass, Enter picks it and moves to its lifetime.
        key(&mut s, KeyCode::Tab);
        key(&mut s, KeyCode::Tab);
        key(&mut s, KeyCode::Enter);
        s
    });
}

#[test]
fn restore_dialog_with_passes_disabled_by_policy() {
    snap("restore_dialog_tap_disabled", |size| {
        let mut s = dialog(size);
        fixtures::send(
            &mut s,
            SessionMsg::TapAvailability(undelete::directory::tap::TapAvailability::Unavailable(
                "Temporary Access Pass is disabled in the tenant's authentication methods policy"
                    .into(),
            )),
        );
        key(&mut s, KeyCode::Tab);
        key(&mut s, KeyCode::Tab);
        key(&mut s, KeyCode::Char(' '));
        s
    });
}

#[test]
fn result_with_a_temporary_access_pass() {
    snap("result_tap", |size| {
        let mut s = home(size);
        let mut o = outcome(0, true);
        o.tap = Some(undelete::directory::tap::TapTerms {
            expires: fixtures::now() + chrono::Duration::hours(2),
            usable_once: true,
        });
        s.session_mut().last_mail = Some((vec!["admin@contoso.sandbox".into()], true));
        fixtures::send(
            &mut s,
            SessionMsg::RestoreFinished {
                outcomes: vec![o, outcome(7, false)],
                mail: None,
            },
        );
        s
    });
}

#[test]
fn result_with_after_care() {
    use undelete::restore::aftercare::{AfterCare, Flag, Known, Mailbox, Seat};
    snap("result_after_care", |size| {
        let mut s = result(size);
        let ids: Vec<String> = match &s.modal {
            Some(undelete::app::modal::Modal::Result(r)) => {
                r.outcomes.iter().map(|o| o.id.clone()).collect()
            }
            _ => unreachable!(),
        };
        fixtures::send(
            &mut s,
            SessionMsg::AfterCare(vec![
                AfterCare {
                    id: ids[0].clone(),
                    display_name: "Adele Vance".into(),
                    enabled: Known::Yes(Some(false)),
                    usage_location: Known::Yes(None),
                    licences: Known::Yes(vec![Seat {
                        part_number: "SPE_E5".into(),
                        free: Some(-1),
                    }]),
                    groups: Known::Yes(3),
                    mailbox: Known::Yes(Mailbox::NotYet),
                    flags: vec![
                        Flag::Disabled,
                        Flag::NoSeat {
                            part_number: "SPE_E5".into(),
                            free: -1,
                        },
                        Flag::NoUsageLocation,
                    ],
                },
                AfterCare {
                    id: ids[1].clone(),
                    display_name: "Red Alert Operator".into(),
                    enabled: Known::Yes(Some(true)),
                    usage_location: Known::Yes(Some("US".into())),
                    licences: Known::Unknown("Insufficient privileges".into()),
                    groups: Known::Yes(2),
                    mailbox: Known::Yes(Mailbox::Back),
                    flags: vec![],
                },
            ]),
        );
        s
    });
}

/// Closing a result that holds no password (guests only) without mail says what is lost:
/// the telling, not a password.
#[test]
fn closing_a_guests_result_asks_about_the_mail_not_passwords() {
    let mut s = home((120, 40));
    let mut guest = outcome(0, true);
    guest.guest = true;
    guest.wants_password = false;
    guest.password = None;
    s.session_mut().last_mail = Some((vec!["admin@contoso.sandbox".into()], true));
    fixtures::send(
        &mut s,
        SessionMsg::RestoreFinished {
            outcomes: vec![guest],
            mail: None,
        },
    );
    key(&mut s, KeyCode::Esc);
    let screen = render(&s, 120, 40);
    assert!(
        screen.contains("Nobody is told of these restores"),
        "{screen}"
    );
    assert!(!screen.contains("not shown again"), "{screen}");
}
