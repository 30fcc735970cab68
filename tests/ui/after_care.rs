//! The after-care lines on the result screen, driven by keys against the sandbox over HTTP:
//! each flag appears for the user it applies to (an exhausted SKU, a disabled account, no
//! usage location, a renamed user name), and `e` shows the details.

use crate::common;

use crossterm::event::KeyCode;
use undelete::app::modal::Modal;
use undelete::app::modal::restore::Preflight;
use undelete::restore::aftercare::Flag;

use super::flow::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_care_flags_what_needs_the_admin_and_e_shows_the_details() {
    let (_tmp, h) = common::start_sandbox(120).await;
    let inspect = h.inspect();
    let mut t = Harness::new(&h, false);
    t.settle("all pages", |s| !s.session().users.loading())
        .await;

    let members: Vec<String> = t
        .state
        .session()
        .users
        .rows()
        .iter()
        .map(|r| r.to_user())
        .filter(|u| !u.is_guest())
        .map(|u| u.id)
        .collect();
    let pick = |want: &dyn Fn(&str) -> bool| -> String {
        members
            .iter()
            .find(|id| want(id))
            .cloned()
            .expect("the seed has such a user")
    };
    let exhausted = pick(&|id| inspect.licence_parts(id).contains(&"SPE_E5".to_string()));
    assert!(
        inspect.free_seats("SPE_E5").unwrap() <= 0,
        "SPE_E5 is exhausted"
    );
    let disabled = pick(&|id| inspect.account_enabled(id) == Some(false) && id != exhausted);
    let no_location = pick(&|id| {
        inspect.usage_location(id).is_none()
            && !inspect.licence_parts(id).is_empty()
            && id != exhausted
            && id != disabled
    });
    let mut renamed = None;
    for row in t.state.session().users.rows() {
        let u = row.to_user();
        let pf = undelete::restore::preflight(t.dir.as_ref(), &u)
            .await
            .expect("preflight");
        if pf.upn_holder.is_some() && ![&exhausted, &disabled, &no_location].contains(&&u.id) {
            renamed = Some(u.id);
            break;
        }
    }
    let renamed = renamed.expect("the seed has a user-name conflict");
    let chosen = [
        exhausted.clone(),
        disabled.clone(),
        no_location.clone(),
        renamed.clone(),
    ];
    for id in &chosen {
        t.select(id);
        t.key(KeyCode::Char(' '));
    }
    t.key(KeyCode::Char('r'));
    t.settle("pre-flight", |s| {
        matches!(&s.modal, Some(Modal::Restore(f)) if f.targets.iter().all(|x| x.preflight != Preflight::Checking))
    })
    .await;
    t.key(KeyCode::Enter);
    t.settle(
        "the after-care report",
        |s| matches!(&s.modal, Some(Modal::Result(r)) if r.after_care.is_some()),
    )
    .await;
    let Some(Modal::Result(r)) = &t.state.modal else {
        unreachable!()
    };
    assert_eq!(r.restored(), 4, "every user restored");
    let flags_of = |id: &str| -> Vec<Flag> {
        r.after_care
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.flags.clone())
            .unwrap_or_default()
    };
    assert!(
        flags_of(&exhausted)
            .iter()
            .any(|f| matches!(f, Flag::NoSeat { part_number, .. } if part_number == "SPE_E5")),
        "{:?}",
        flags_of(&exhausted)
    );
    assert!(flags_of(&disabled).contains(&Flag::Disabled));
    assert!(flags_of(&no_location).contains(&Flag::NoUsageLocation));
    assert!(
        flags_of(&renamed)
            .iter()
            .any(|f| matches!(f, Flag::Renamed { .. })),
        "{:?}",
        flags_of(&renamed)
    );
    // Only where it applies: a user with a usage location is not told it has none.
    for id in &chosen {
        if inspect.usage_location(id).is_some() {
            assert!(!flags_of(id).contains(&Flag::NoUsageLocation), "{id}");
        }
    }
    let screen = t.screen();
    assert!(screen.contains("↳ ⚠"), "{screen}");
    assert!(screen.contains("SPE_E5: over-allocated"), "{screen}");
    assert!(screen.contains("account disabled"), "{screen}");

    // `e` on the disabled user shows what to do.
    let pos = r.outcomes.iter().position(|o| o.id == disabled).unwrap();
    t.key(KeyCode::Home);
    for _ in 0..pos {
        t.key(KeyCode::Char('j'));
    }
    t.key(KeyCode::Char('e'));
    let screen = t.screen();
    assert!(
        screen.contains("After-care (read after the restore)"),
        "{screen}"
    );
    assert!(screen.contains("Account: disabled"), "{screen}");
    assert!(screen.contains("enable the account"), "{screen}");
}
