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

/// The deleted-at of each row of the table across tenants, in its order, with the row's tenant.
fn across_rows(
    s: &undelete::app::state::State,
) -> Vec<(String, Option<chrono::DateTime<chrono::Utc>>)> {
    let sessions: Vec<_> = s.sessions.iter().collect();
    s.all
        .as_ref()
        .expect("the table across tenants")
        .entries()
        .iter()
        .map(|e| {
            let t = sessions[usize::from(e.tenant)];
            let row = &t.users.rows()[t.users.shown()[e.pos as usize] as usize];
            (t.facts.tenant().to_string(), row.deleted_at)
        })
        .collect()
}

#[test]
fn a_shows_every_tenants_users_in_one_table_the_soonest_purge_on_top() {
    for (w, h) in SIZES {
        let (mut s, _) = fixtures::tenants(12, 30, (w, h));
        key(&mut s, KeyCode::Char('t'));
        key(&mut s, KeyCode::Char('a'));
        assert!(s.modal.is_none());
        let rows = across_rows(&s);
        assert_eq!(
            rows.len(),
            42,
            "every open tenant's users, none copied twice"
        );
        assert!(
            rows.windows(2).all(|p| p[0].1 <= p[1].1),
            "the soonest purge of any tenant first: {rows:?}"
        );
        let tenants: std::collections::HashSet<&str> =
            rows.iter().take(6).map(|r| r.0.as_str()).collect();
        assert_eq!(tenants.len(), 2, "the top rows mix the tenants: {rows:?}");
        let screen = render(&s, w, h);
        assert!(screen.contains("Tenant"), "the Tenant column: {screen}");
        assert!(
            screen.contains(" All tenan"),
            "the header says so: {screen}"
        );
        insta::assert_snapshot!(format!("tenants_all_{w}x{h}"), screen);
        // Reversed, the latest purge of any tenant is on top.
        key(&mut s, KeyCode::Char('S'));
        let rows = across_rows(&s);
        assert!(rows.windows(2).all(|p| p[0].1 >= p[1].1), "{rows:?}");
    }
}

#[test]
fn the_cursor_carries_its_tenant_and_one_filter_holds_for_every_tenant() {
    let (w, h) = (120, 40);
    let (mut s, fabrikam) = fixtures::tenants(12, 30, (w, h));
    key(&mut s, KeyCode::Char('t'));
    key(&mut s, KeyCode::Char('a'));
    // Down to the first of Fabrikam's rows: the session on screen is Fabrikam, its own cursor
    // on that row.
    let rows = across_rows(&s);
    let at = rows
        .iter()
        .position(|r| r.0 == "Fabrikam")
        .expect("a Fabrikam row");
    for _ in 0..at {
        key(&mut s, KeyCode::Char('j'));
    }
    assert_eq!(s.session().id(), fabrikam);
    let id = s
        .session()
        .users
        .current_id()
        .expect("selected")
        .to_string();
    assert!(id.starts_with("fab-"), "{id}");
    // Its details are Fabrikam's user's, and name the tenant.
    key(&mut s, KeyCode::Char('i'));
    let screen = render(&s, w, h);
    assert!(screen.contains("fabrikam"), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("Tenant") && l.contains("Fabrikam")),
        "{screen}"
    );
    assert!(
        screen.contains("│   Tenant "),
        "the Tenant column beside the details: {screen}"
    );
    key(&mut s, KeyCode::Char('i'));
    // A mark goes to the row's own tenant.
    key(&mut s, KeyCode::Char(' '));
    let fab = s.sessions.get(fabrikam).expect("open");
    assert_eq!(fab.users.marked_count(), 1);
    assert_eq!(
        s.sessions
            .iter()
            .map(|t| t.users.marked_count())
            .sum::<usize>(),
        1,
        "no other tenant's row is marked"
    );
    // A filter typed once holds for every tenant.
    key(&mut s, KeyCode::Char('/'));
    for c in "adele".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    for t in s.sessions.iter() {
        assert_eq!(t.users.filter().value(), "adele", "{}", t.facts.tenant());
    }
    let shown: usize = s.sessions.iter().map(|t| t.users.shown().len()).sum();
    assert_eq!(s.all.as_ref().expect("all").len(), shown);
    // Kept (Enter), the filter leaves the cursor on top, and the next keys move it.
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.all.as_ref().map(|a| a.selected()), Some(0));
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(
        s.all.as_ref().map(|a| a.selected()),
        Some(1),
        "the first move counts"
    );
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(s.all.as_ref().map(|a| a.selected()), Some(2));
    key(&mut s, KeyCode::Esc);
    assert!(
        s.sessions
            .iter()
            .all(|t| t.users.filter().value().is_empty())
    );
    // Enter on a tenant in the pane shows it alone again. Across tenants the pane marks none
    // as the one shown (every one is).
    key(&mut s, KeyCode::Char('t'));
    assert!(
        undelete::app::tenants::lines(&s, false)
            .iter()
            .all(|l| !l.shown)
    );
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Enter);
    assert!(s.all.is_none());
    let screen = render(&s, w, h);
    assert!(
        !screen.contains("Tenant "),
        "no Tenant column for one tenant: {screen}"
    );
}

#[test]
fn a_header_cut_at_any_width_ends_a_cut_in_one_ellipsis() {
    for w in 30..=160 {
        let (mut s, _) = fixtures::tenants(12, 30, (w, 24));
        // A tenant whose name and label are long enough to be cut at every width.
        let facts = &mut s.session_mut().facts;
        facts.name = Some("Contoso Pharmaceuticals International Holdings".into());
        facts.is_sandbox = false;
        facts.account = "admin@contoso-pharmaceuticals.onmicrosoft.com".into();
        facts.label = "global · contoso-pharmaceuticals.onmicrosoft.com \
            (61642d6f-0000-4000-8000-000000000001) · \
            admin@contoso-pharmaceuticals.onmicrosoft.com (delegated)"
            .into();
        let screen = render(&s, w, 24);
        let header = screen.lines().next().unwrap_or_default();
        assert!(!header.contains("……"), "{w} columns: {header}");
    }
}

#[test]
fn a_brings_the_filter_of_the_tenant_shown_alone_to_every_tenant() {
    let (mut s, _) = fixtures::tenants(12, 30, (120, 40));
    key(&mut s, KeyCode::Char('/'));
    for c in "adele".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Char('t'));
    key(&mut s, KeyCode::Char('a'));
    for t in s.sessions.iter() {
        assert_eq!(t.users.filter().value(), "adele", "{}", t.facts.tenant());
    }
    let shown: usize = s.sessions.iter().map(|t| t.users.shown().len()).sum();
    assert_eq!(s.all.as_ref().map(|a| a.len()), Some(shown));
}
