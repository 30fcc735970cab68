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
