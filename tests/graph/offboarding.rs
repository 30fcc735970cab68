//! What offboarding took, read by the app's client from the sandbox's audit log over real
//! HTTP: the replay, the groups as they are now (one deleted since), a user without
//! records, and a token without the audit log's permission.

use crate::common::*;

use chrono::Utc;
use undelete::directory::{ErrorKind, all_deleted};
use undelete::offboarding::read::{Deleted, GroupNow, read};

#[tokio::test]
async fn what_offboarding_took_is_read_back_from_the_audit_log() {
    let (_dir, h) = start_sandbox(60).await;
    let dir = sandbox_directory(&h, "offboarding");
    let users: Vec<Deleted> = all_deleted(dir.as_ref())
        .await
        .expect("deleted users")
        .into_iter()
        .map(|u| Deleted {
            id: u.id,
            deleted_at: u.deleted_at,
        })
        .collect();
    let found = read(dir.as_ref(), &users, Utc::now()).await;
    assert_eq!(found.len(), users.len());
    let found: Vec<_> = found.into_iter().map(|f| f.expect("read")).collect();
    let offboarded: Vec<_> = found.iter().filter(|f| f.taken.sign_in.is_some()).collect();
    assert!(offboarded.len() >= 5, "{}", offboarded.len());
    let untouched = found.iter().filter(|f| f.taken.is_empty()).count();
    assert!(untouched > 0, "most deletions took nothing first");
    for f in &offboarded {
        assert!(
            f.taken
                .actors()
                .iter()
                .any(|a| a == "app HR Offboarding Automation")
        );
        // The log keeps 30 days: the window starts no earlier, and ends at the deletion.
        assert!(f.from >= Utc::now() - chrono::Duration::days(31));
        assert!(
            f.days_covered() >= 2,
            "the offboarding two days before is inside"
        );
        assert!(f.taken.first_at().is_some_and(|t| t < f.to));
        for g in &f.taken.groups {
            assert_eq!(
                f.groups.get(&g.id),
                Some(&GroupNow::Named(g.name.clone().unwrap()))
            );
        }
    }
    let with_roles = offboarded
        .iter()
        .filter(|f| !f.taken.roles.is_empty())
        .count();
    assert!(with_roles >= 1);

    // A group that no longer exists is Graph's 404: gone, not an error.
    let f = offboarded
        .iter()
        .find(|f| !f.taken.groups.is_empty())
        .expect("a group taken");
    let missing = "00000000-0000-4000-8000-00000000dead".to_string();
    let now = dir
        .groups_as_now(vec![f.taken.groups[0].id.clone(), missing])
        .await;
    assert!(
        matches!(&now[0], Ok(Some(name)) if !name.is_empty()),
        "{now:?}"
    );
    assert!(matches!(&now[1], Ok(None)), "{now:?}");

    // A licence needs a usage location: read for each user a licence was taken from, as
    // the store has it (the seed leaves some users without one).
    let licensed: Vec<_> = found
        .iter()
        .filter(|f| !f.taken.licences.is_empty())
        .collect();
    assert!(!licensed.is_empty());
    for f in &licensed {
        assert_eq!(
            f.usage_location,
            Some(h.inspect().usage_location(&f.user_id)),
            "{}",
            f.user_id
        );
    }
    assert!(
        found
            .iter()
            .filter(|f| f.taken.licences.is_empty())
            .all(|f| f.usage_location.is_none())
    );
}

#[tokio::test]
async fn without_the_audit_log_s_permission_each_read_fails_saying_so() {
    let (_dir, h) = start_sandbox_with(30, |c| c.deny("AuditLog.Read.All")).await;
    let dir = sandbox_directory(&h, "offboarding");
    let users: Vec<Deleted> = all_deleted(dir.as_ref())
        .await
        .expect("deleted users")
        .into_iter()
        .take(3)
        .map(|u| Deleted {
            id: u.id,
            deleted_at: u.deleted_at,
        })
        .collect();
    for r in read(dir.as_ref(), &users, Utc::now()).await {
        let e = r.expect_err("refused");
        assert_eq!(e.kind, ErrorKind::Forbidden, "{e}");
    }
}

#[tokio::test]
async fn what_was_taken_is_given_back_once_and_a_seat_shortage_is_said() {
    let (_dir, h) = start_sandbox(120).await;
    let dir = sandbox_directory(&h, "offboarding");
    let users: Vec<Deleted> = all_deleted(dir.as_ref())
        .await
        .expect("deleted users")
        .into_iter()
        .map(|u| Deleted {
            id: u.id,
            deleted_at: u.deleted_at,
        })
        .collect();
    let found: Vec<_> = read(dir.as_ref(), &users, Utc::now())
        .await
        .into_iter()
        .map(|f| f.expect("read"))
        .filter(|f| f.taken.sign_in.is_some() && !f.taken.groups.is_empty())
        .collect();
    let token = app_token(&h).await;
    let (mut back, mut no_seat) = (0, 0);
    for f in &found {
        let (st, _, body) = send(
            reqwest::Method::POST,
            &graph(&h, &format!("directory/deletedItems/{}/restore", f.user_id)),
            &token,
            Some(serde_json::json!({"autoReconcileProxyConflict": true})),
        )
        .await;
        if st == 400 && body.to_string().contains("userPrincipalName") {
            continue; // Its name is taken since: not what this test is about.
        }
        assert_eq!(st, 200, "{body}");
        let offers = f.offers();
        let items: Vec<_> = offers
            .iter()
            .map(|o| (f.user_id.clone(), o.item.clone()))
            .collect();
        let first = dir.bring_back(items.clone()).await;
        for (offer, first) in offers.iter().zip(&first) {
            match (&offer.item, first) {
                (_, Ok(())) => back += 1,
                (undelete::directory::bring_back::BringBack::Licence { .. }, Err(e)) => {
                    assert_eq!(e.kind, ErrorKind::BadRequest, "{e}");
                    assert!(
                        e.message.contains("available licenses")
                            || e.message.contains("usage location"),
                        "{e}"
                    );
                    assert!(e.message.starts_with("licence "), "the item first: {e}");
                    no_seat += 1;
                }
                (item, Err(e)) => panic!("{}: {e}", item.describe()),
            }
        }
        // Twice is no error (one batch, sent again).
        let again = dir.bring_back(items).await;
        for ((offer, first), again) in offers.iter().zip(&first).zip(again) {
            if first.is_ok() {
                again.unwrap_or_else(|e| panic!("{} again: {e}", offer.item.describe()));
            }
        }
        // Back in its groups and signing in again.
        let (_, _, user) = get(
            &graph(&h, &format!("users/{}?$select=accountEnabled", f.user_id)),
            &token,
        )
        .await;
        assert_eq!(user["accountEnabled"], true);
        let (_, _, groups) =
            get(&graph(&h, &format!("users/{}/memberOf", f.user_id)), &token).await;
        for g in &f.taken.groups {
            assert!(
                groups["value"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["id"] == g.id.as_str()),
                "{} back in {groups}",
                g.id
            );
        }
    }
    assert!(back > 5, "{back}");
    assert!(
        no_seat >= 1,
        "SPE_E5 has no free seat in the seed, or a user no usage location"
    );
}
