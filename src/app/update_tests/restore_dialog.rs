//! The restore dialog: opening it, Tab and Space, pre-flight, the password, recipients, conflicts.

use super::*;

// ---- restore dialog ------------------------------------------------------------------------

#[test]
fn enter_opens_the_dialog_for_the_selected_user_with_preflight() {
    let mut s = st(10);
    let id = selected_id(&s);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(fx.as_slice(), [Effect::Preflight { users }, Effect::LoadTapAvailability, Effect::ReadOffboarding { .. }, Effect::ReadSeats] if users.len() == 1 && users[0].id == id)
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
    s.session_mut().facts.email_to = Some("helpdesk@contoso.com; hr@contoso.com".into());
    s.session_mut().facts.include_password = false;
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
        matches!(fx.as_slice(), [Effect::Preflight { users }, Effect::LoadTapAvailability, Effect::ReadOffboarding { users: read }, Effect::ReadSeats] if users.len() == 2 && read.len() == 2)
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

// ---- what offboarding took ---------------------------------------------------------------

/// The dialog open on one user, its audit log read (a group, SPE_E5 with no free seat, SPE_E3
/// with 17, sign-in, Global Administrator), pre-flight clear.
fn dialog_with_taken(lacks: Vec<(crate::auth::claims::Action, &'static str)>) -> State {
    use crate::offboarding::checklist::fixtures::{found, sku};
    let mut s = st(3);
    s.sessions.current_mut().facts.lacks = lacks;
    let id = selected_id(&s);
    let fx = ch(&mut s, 'r');
    assert!(
        matches!(fx.as_slice(), [Effect::Preflight { .. }, Effect::LoadTapAvailability, Effect::ReadOffboarding { users }, Effect::ReadSeats] if users.len() == 1 && users[0].id == id),
        "{fx:?}"
    );
    clear_preflight(&mut s);
    assert!(form(&s).targets[0].picks.is_none(), "nothing read yet");
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
    s
}

#[test]
fn the_checklist_offers_what_offboarding_took_and_space_picks_what_comes_back() {
    use crate::directory::bring_back::BringBack;
    let mut s = dialog_with_taken(Vec::new());
    let ticks = |s: &State| -> Vec<bool> {
        form(s).targets[0]
            .picks
            .as_ref()
            .expect("picks")
            .iter()
            .map(|p| p.ticked)
            .collect()
    };
    // Group, SPE_E5 (no seat), SPE_E3, sign-in, the privileged role.
    assert_eq!(ticks(&s), [true, false, true, true, false]);
    assert!(form(&s).targets[0].signs_in_again());
    // Tab reaches each line after the per-user fixes, before the buttons.
    while form(&s).focus != DialogField::Item(0, 4) {
        press(&mut s, KeyCode::Tab);
    }
    press(&mut s, KeyCode::Tab);
    assert_eq!(form(&s).focus, DialogField::Restore);
    press(&mut s, KeyCode::BackTab);
    ch(&mut s, ' ');
    press(&mut s, KeyCode::BackTab);
    ch(&mut s, ' ');
    assert_eq!(ticks(&s), [true, false, true, false, true]);
    assert!(!form(&s).targets[0].signs_in_again());
    // What is ticked is what the run is asked to give back.
    while form(&s).focus != DialogField::Restore {
        press(&mut s, KeyCode::Tab);
    }
    let fx = press(&mut s, KeyCode::Enter);
    let [Effect::Restore(plan)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let items: Vec<String> = plan.users[0]
        .bring_back
        .iter()
        .map(BringBack::describe)
        .collect();
    assert_eq!(
        items,
        ["group Sales", "licence SPE_E3", "role Global Administrator"]
    );
}

#[test]
fn an_item_the_sign_in_cannot_give_back_is_greyed_skipped_by_tab_and_not_asked_for() {
    use crate::auth::claims::Action;
    let mut s = dialog_with_taken(vec![(Action::BringBackGroups, "GroupMember.ReadWrite.All")]);
    let picks = form(&s).targets[0].picks.clone().expect("picks");
    assert!(!picks[0].ticked);
    assert!(
        picks[0]
            .blocked
            .as_deref()
            .unwrap()
            .contains("GroupMember.ReadWrite.All")
    );
    assert!(!form(&s).fields().contains(&DialogField::Item(0, 0)));
    assert!(form(&s).fields().contains(&DialogField::Item(0, 1)));
    while form(&s).focus != DialogField::Restore {
        press(&mut s, KeyCode::Tab);
    }
    let fx = press(&mut s, KeyCode::Enter);
    let [Effect::Restore(plan)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert!(
        plan.users[0]
            .bring_back
            .iter()
            .all(|b| b.kind() != crate::directory::bring_back::Kind::Groups)
    );
}

#[test]
fn an_unreadable_audit_log_leaves_the_restore_as_it_was_and_a_big_restore_reads_none() {
    let mut s = st(3);
    let id = selected_id(&s);
    ch(&mut s, 'r');
    clear_preflight(&mut s);
    fixtures::send(
        &mut s,
        SessionMsg::Offboarding {
            id,
            result: Err("the sign-in lacks AuditLog.Read.All".into()),
        },
    );
    assert!(form(&s).targets[0].picks.is_none());
    assert!(
        !form(&s)
            .fields()
            .iter()
            .any(|f| matches!(f, DialogField::Item(..)))
    );
    while form(&s).focus != DialogField::Restore {
        press(&mut s, KeyCode::Tab);
    }
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(fx.as_slice(), [Effect::Restore(plan)] if plan.users[0].bring_back.is_empty())
    );

    // Past the read's bound, no audit log is read at all.
    let mut s = st(40);
    ch(&mut s, 'a');
    let fx = ch(&mut s, 'r');
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::ReadOffboarding { .. } | Effect::ReadSeats)),
        "{fx:?}"
    );
}

#[test]
fn users_with_the_same_name_are_told_apart_by_their_user_names() {
    let mut s = st(4);
    ch(&mut s, 'a');
    ch(&mut s, 'r');
    let Some(Modal::Restore(form)) = &mut s.modal else {
        panic!("the dialog")
    };
    for t in form.targets.iter_mut().take(3) {
        t.user.display_name = "Ngozi Okafor".into();
    }
    let form = &**form;
    let shared = form.shared_names();
    let names: Vec<String> = form
        .targets
        .iter()
        .map(|t| crate::app::modal::restore::RestoreForm::name_of(t, &shared).into_owned())
        .collect();
    for (t, name) in form.targets.iter().zip(&names).take(3) {
        assert_eq!(*name, format!("Ngozi Okafor ({})", t.user.original_upn));
    }
    assert_eq!(
        names[3], form.targets[3].user.display_name,
        "a unique name alone"
    );
}

#[test]
fn a_finished_run_forgets_the_free_seats_so_the_next_dialog_reads_them_again() {
    let mut s = dialog_with_taken(Vec::new());
    assert!(s.session().seats.is_some());
    press(&mut s, KeyCode::Esc);
    fixtures::send(
        &mut s,
        SessionMsg::RestoreFinished {
            outcomes: vec![outcome(0, true)],
            mail: None,
        },
    );
    assert!(s.session().seats.is_none());
    s.modal = None;
    let fx = ch(&mut s, 'r');
    assert!(fx.iter().any(|e| matches!(e, Effect::ReadSeats)), "{fx:?}");
}
