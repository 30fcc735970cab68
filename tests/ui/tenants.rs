//! A run on several tenants: the header's count, the tenants pane and switching the table
//! between tenants, driven by keys; drawn at 120x40 and 80x24.

use crossterm::event::KeyCode;
use undelete::app::fixtures;
use undelete::app::modal::Modal;

use crate::snapshots::{key, render};

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

#[test]
fn the_header_counts_the_tenants_and_the_pane_lists_each_with_its_state() {
    for (w, h) in SIZES {
        let (mut s, _) = fixtures::tenants(12, 30, (w, h));
        let home = render(&s, w, h);
        assert!(home.contains("3 tenants · 1 sign-in failed"), "{home}");
        insta::assert_snapshot!(format!("tenants_header_{w}x{h}"), home);
        key(&mut s, KeyCode::Char('t'));
        assert!(matches!(s.modal, Some(Modal::Tenants(_))));
        let pane = render(&s, w, h);
        assert!(pane.contains("Fabrikam"), "{pane}");
        assert!(
            pane.contains("AADSTS50020"),
            "the refusal in Entra's words: {pane}"
        );
        insta::assert_snapshot!(format!("tenants_pane_{w}x{h}"), pane);
    }
}

#[test]
fn a_wide_header_names_whose_users_purge_first_across_tenants() {
    let (s, _) = fixtures::tenants(12, 30, (160, 40));
    let home = render(&s, 160, 40);
    assert!(
        home.contains("3 tenants · 1 sign-in failed · 1 loading · next purge 2h in Contoso"),
        "{home}"
    );
}

#[test]
fn enter_shows_another_tenant_whose_rows_are_its_own() {
    let (w, h) = (120, 40);
    let (mut s, fabrikam) = fixtures::tenants(12, 30, (w, h));
    let first = s.session().users.current_id().map(str::to_string);
    key(&mut s, KeyCode::Char('t'));
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.session().id(), fabrikam);
    assert!(
        s.session()
            .users
            .rows()
            .iter()
            .all(|r| r.id().starts_with("fab-")),
        "only Fabrikam's users"
    );
    let screen = render(&s, w, h);
    assert!(screen.contains("fabrikam.sandbox"), "{screen}");
    insta::assert_snapshot!("tenants_switched_120x40", screen);
    // The restore dialog names the tenant whose directory it changes.
    key(&mut s, KeyCode::Char('r'));
    let dialog = render(&s, w, h);
    assert!(dialog.contains(" in Fabrikam "), "{dialog}");
    key(&mut s, KeyCode::Esc);
    // Back to the first: its selection is where it was left.
    key(&mut s, KeyCode::Char('t'));
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.session().users.current_id().map(str::to_string), first);
}

#[test]
fn a_small_pane_keeps_every_tenant_and_cuts_the_reasons() {
    let (mut s, _) = fixtures::tenants(12, 30, (60, 20));
    // Entra's reasons run long: a trace id, a correlation id, a timestamp.
    s.sessions.unopened[0].why = "AADSTS53003: Access has been blocked by Conditional Access \
        policies. The access policy does not allow token issuance. Trace ID: \
        f9000d79-d617-4eea-a785-53e1b078c9e5 Correlation ID: cfafb213-62d1-41f7-aa54-f03d19a58879 \
        Timestamp: 2026-12-07 19:14:19Z (invalid_grant, HTTP 400): Conditional Access blocked \
        the sign-in; ask who manages your tenant's policies"
        .into();
    s.sessions.get_mut(s.session().id()).expect("open").holder =
        Some(undelete::app::sessions::Blocked::Held(
            "another undelete (pid 4242) is restoring 3 users on this directory, since \
             19:02 UTC, and will let go when it is done"
                .into(),
        ));
    key(&mut s, KeyCode::Char('t'));
    let pane = render(&s, 60, 20);
    for name in ["Contoso", "Fabrikam", "Northwind"] {
        assert!(pane.contains(name), "{name}: {pane}");
        assert!(pane.contains(" …"), "the reasons cut: {pane}");
    }
}
