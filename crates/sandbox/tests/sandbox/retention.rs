//! Entra purges deleted users 30 days after deletion; the sandbox does too, lazily, so a store
//! reused weeks later answers as Entra would. Over real HTTP on 127.0.0.1.

use crate::common;

use chrono::{Duration, Utc};
use common::*;
use reqwest::Method;
use undelete_sandbox::{SandboxConfig, spawn};

const LIST: &str =
    "directory/deletedItems/microsoft.graph.user?$top=999&$select=id,deletedDateTime";

fn ids(users: &[serde_json::Value]) -> Vec<String> {
    users
        .iter()
        .filter_map(|u| u["id"].as_str())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn users_deleted_more_than_30_days_ago_are_gone_for_good() {
    let (_dir, h) = start_sandbox(20).await;
    let token = app_token(&h).await;
    let deleted = h.inspect().deleted_ids();
    let (old, edge, recent) = (&deleted[0], &deleted[1], &deleted[2]);
    let now = Utc::now();
    assert!(
        h.inspect()
            .set_deleted_at(old, now - Duration::days(30) - Duration::minutes(5))
    );
    // Just inside the window: still restorable.
    assert!(
        h.inspect()
            .set_deleted_at(edge, now - Duration::days(30) + Duration::minutes(5))
    );
    assert!(h.inspect().set_deleted_at(recent, now - Duration::days(2)));
    assert!(!h.inspect().set_deleted_at("not-a-user", now));

    let (status, _, body) = get(&graph(&h, LIST), &token).await;
    assert_eq!(status, 200, "{body}");
    let listed = ids(body["value"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default());
    assert!(!listed.contains(old), "purged after 30 days");
    assert!(listed.contains(edge) && listed.contains(recent));
    assert_eq!(listed.len(), deleted.len() - 1);
    assert!(
        !h.inspect().exists(old),
        "gone from the store, not just hidden"
    );

    // Every way of reaching it says it does not exist.
    let (status, _, body) = get(&graph(&h, &format!("directory/deletedItems/{old}")), &token).await;
    assert_eq!(status, 404, "{body}");
    assert_graph_error(&body, "Request_ResourceNotFound");
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, &format!("directory/deletedItems/{old}/restore")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn a_user_crossing_the_line_disappears_at_the_next_lookup() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let id = h.inspect().deleted_ids()[3].clone();
    let url = graph(&h, &format!("directory/deletedItems/{id}"));
    let (status, _, _) = get(&url, &token).await;
    assert_eq!(status, 200);
    assert!(
        h.inspect()
            .set_deleted_at(&id, Utc::now() - Duration::days(31))
    );
    // No listing in between: the single lookup sweeps too.
    let (status, _, body) = get(&url, &token).await;
    assert_eq!(status, 404, "{body}");
    assert!(!h.inspect().exists(&id));
    // A purge of it is a 404 as well (it is already gone), and costs no other user.
    let before = h.inspect().deleted_ids().len();
    let (status, _, _) = send(Method::DELETE, &url, &token, None).await;
    assert_eq!(status, 404);
    assert_eq!(h.inspect().deleted_ids().len(), before);
}

#[tokio::test]
async fn a_store_reopened_weeks_later_has_lost_its_old_deletions() {
    let dir = tempfile::tempdir().expect("dir");
    let first = spawn(SandboxConfig::new(dir.path()).users(15))
        .await
        .expect("first run");
    let deleted = first.inspect().deleted_ids();
    // As if the store had sat unused for a while: some deletions are now past 30 days.
    let now = Utc::now();
    for id in &deleted[..4] {
        assert!(first.inspect().set_deleted_at(id, now - Duration::days(40)));
    }
    first.shutdown().await;

    let second = spawn(SandboxConfig::new(dir.path()).users(15))
        .await
        .expect("second run");
    let token = app_token(&second).await;
    let listed = ids(&all_deleted(&second, &token).await);
    assert_eq!(listed.len(), deleted.len() - 4);
    for id in &deleted[..4] {
        assert!(!listed.contains(id));
    }
    for id in &deleted[4..] {
        assert!(listed.contains(id));
    }
    // The count Graph reports agrees.
    let (status, _, body) = get_eventual(
        &graph(
            &second,
            "directory/deletedItems/microsoft.graph.user?$count=true&$top=1",
        ),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["@odata.count"], deleted.len() as u64 - 4);
}
