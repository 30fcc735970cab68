//! Fault modes, persistence and concurrency over real HTTP.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use undelete_sandbox::{SandboxConfig, spawn};

const LIST: &str = "directory/deletedItems/microsoft.graph.user?$top=1";

#[tokio::test]
async fn latency_is_added_once_per_request() {
    let (_dir, h) = start_sandbox_with(5, |c| c.latency(Duration::from_millis(150))).await;
    let token = app_token(&h).await;
    let start = Instant::now();
    let (status, _, _) = get(&graph(&h, LIST), &token).await;
    assert_eq!(status, 200);
    assert!(start.elapsed() >= Duration::from_millis(150));
    // A batch of five is one request: one delay, not five.
    let requests: Vec<serde_json::Value> = (1..=5)
        .map(|i| serde_json::json!({"id": i.to_string(), "method": "GET", "url": "/users?$top=1"}))
        .collect();
    let start = Instant::now();
    let (status, _, _) = send(
        Method::POST,
        &graph(&h, "$batch"),
        &token,
        Some(serde_json::json!({"requests": requests})),
    )
    .await;
    assert_eq!(status, 200);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(150) && took < Duration::from_millis(700),
        "{took:?}"
    );
}

/// Status codes of `n` sequential list requests against a fresh sandbox with these faults.
async fn statuses(fault_seed: u64, n: usize) -> Vec<u16> {
    let (_dir, h) = start_sandbox_with(5, |c| c.fail_rate(0.5).fault_seed(fault_seed)).await;
    let token = app_token(&h).await;
    let mut out = Vec::new();
    for _ in 0..n {
        let (status, headers, body) = get(&graph(&h, LIST), &token).await;
        match status {
            200 => {}
            503 => {
                assert_graph_error(&body, "serviceNotAvailable");
                let ra: u64 = headers["retry-after"]
                    .to_str()
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .expect("Retry-After");
                assert!(ra >= 1);
            }
            500 => assert_graph_error(&body, "generalException"),
            other => panic!("unexpected status {other}: {body}"),
        }
        out.push(status);
    }
    out
}

#[tokio::test]
async fn server_errors_are_deterministic_under_a_seed() {
    let a = statuses(42, 30).await;
    let b = statuses(42, 30).await;
    assert_eq!(a, b);
    assert!(
        a.contains(&200) && a.contains(&500) && a.contains(&503),
        "{a:?}"
    );
    let c = statuses(43, 30).await;
    assert_ne!(a, c);
}

/// Restores `n` users one by one with every connection dropped; returns which got restored.
async fn restores_with_drops(fault_seed: u64, n: usize) -> Vec<bool> {
    let (_dir, h) = start_sandbox_with(20, |c| c.drop_rate(1.0).fault_seed(fault_seed)).await;
    // Login is not subject to faults, so signing in still works.
    let token = app_token(&h).await;
    let ids = h.inspect().deleted_ids();
    let mut done = Vec::new();
    for id in ids.iter().take(n) {
        let result = client()
            .post(graph(&h, &format!("directory/deletedItems/{id}/restore")))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"autoReconcileProxyConflict": true, "newUserPrincipalName": null}"#)
            .send()
            .await;
        assert!(
            result.is_err(),
            "no HTTP response when the connection is dropped"
        );
        done.push(h.inspect().is_active(id));
    }
    done
}

#[tokio::test]
async fn dropped_connections_half_after_processing_deterministically() {
    let a = restores_with_drops(7, 12).await;
    let b = restores_with_drops(7, 12).await;
    assert_eq!(a, b);
    let restored = a.iter().filter(|r| **r).count();
    // Some users hit a UPN conflict and stay deleted even when processed, so only bounds.
    assert!(restored > 0, "some drops happen after the restore: {a:?}");
    assert!(restored < a.len(), "some drops happen before it: {a:?}");
}

#[tokio::test]
async fn write_quota_answers_429_with_retry_after() {
    let (_dir, h) = start_sandbox_with(10, |c| c.write_quota(2, Duration::from_secs(4))).await;
    let token = app_token(&h).await;
    let ids = h.inspect().deleted_ids();
    let purge = |id: String| {
        let url = graph(&h, &format!("directory/deletedItems/{id}"));
        let token = token.clone();
        async move { send(Method::DELETE, &url, &token, None).await }
    };
    assert_eq!(purge(ids[0].clone()).await.0, 204);
    assert_eq!(purge(ids[1].clone()).await.0, 204);
    let (status, headers, body) = purge(ids[2].clone()).await;
    assert_eq!(status, 429);
    assert_graph_error(&body, "TooManyRequests");
    let ra: u64 = headers["retry-after"]
        .to_str()
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("integer Retry-After");
    assert!((1..=4).contains(&ra), "{ra}");
    assert!(
        h.inspect().exists(&ids[2]),
        "a throttled write does nothing"
    );
    // Reads are never throttled.
    let (status, _, _) = get(&graph(&h, LIST), &token).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_secs(ra)).await;
    assert_eq!(purge(ids[2].clone()).await.0, 204);
    assert_eq!(h.inspect().write_count(), 3);
    assert_eq!(h.inspect().throttled_count(), 1);
}

#[tokio::test]
async fn restores_survive_a_restart_and_the_store_is_reused_as_is() {
    let dir = tempfile::tempdir().expect("dir");
    let h = spawn(SandboxConfig::new(dir.path()).users(15))
        .await
        .expect("start");
    assert!(dir.path().join("sandbox.sqlite3").exists());
    let token = app_token(&h).await;
    let before = all_deleted(&h, &token).await;
    let victim = h.inspect().deleted_ids()[0].clone();
    let (status, _, _) = send(
        Method::DELETE,
        &graph(&h, &format!("directory/deletedItems/{victim}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    h.shutdown().await;

    // Different seed parameters do not re-seed an existing store.
    let h = spawn(SandboxConfig::new(dir.path()).users(99).seed(5))
        .await
        .expect("restart");
    let token = app_token(&h).await;
    let after = all_deleted(&h, &token).await;
    assert_eq!(after.len(), before.len() - 1);
    assert!(!h.inspect().exists(&victim));
    drop(h);

    // `sandbox reset` re-seeds with the new parameters.
    let code = undelete_sandbox::run_command(
        undelete_sandbox::SandboxCommand::Reset(undelete_sandbox::SeedOptions {
            users: 7,
            active: None,
            seed: 2,
        }),
        dir.path(),
    )
    .await
    .expect("reset");
    assert_eq!(code, 0);
    let h = spawn(SandboxConfig::new(dir.path()))
        .await
        .expect("after reset");
    assert_eq!(h.inspect().deleted_ids().len(), 7);
}

#[tokio::test]
async fn same_seed_gives_the_same_directory_over_http() {
    let (_a, ha) = start_sandbox(40).await;
    let (_b, hb) = start_sandbox(40).await;
    let ta = app_token(&ha).await;
    let tb = app_token(&hb).await;
    let strip = |mut v: Vec<serde_json::Value>| {
        for u in &mut v {
            // Deletion times are relative to the moment of seeding.
            if let Some(o) = u.as_object_mut() {
                o.remove("deletedDateTime");
            }
        }
        v
    };
    assert_eq!(
        strip(all_deleted(&ha, &ta).await),
        strip(all_deleted(&hb, &tb).await)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_do_not_corrupt_the_store() {
    let (_dir, h) = start_sandbox(60).await;
    let token = app_token(&h).await;
    let ids = h.inspect().deleted_ids();
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids.iter().take(40).cloned() {
        let url = graph(&h, &format!("directory/deletedItems/{id}/restore"));
        let list = graph(&h, "directory/deletedItems/microsoft.graph.user?$top=999");
        let token = token.clone();
        tasks.spawn(async move {
            let (status, _, _) = send(
                Method::POST,
                &url,
                &token,
                Some(serde_json::json!({"autoReconcileProxyConflict": true})),
            )
            .await;
            let (list_status, _, _) = get(&list, &token).await;
            (id, status, list_status)
        });
    }
    let mut restored = 0;
    while let Some(res) = tasks.join_next().await {
        let (id, status, list_status) = res.expect("task");
        assert_eq!(list_status, 200);
        assert!(status == 200 || status == 400, "{status}");
        if status == 200 {
            restored += 1;
            assert!(h.inspect().is_active(&id));
        } else {
            assert!(h.inspect().is_deleted(&id));
        }
    }
    assert!(restored >= 30, "{restored}");
    assert_eq!(h.inspect().write_count(), 40);
    let remaining = all_deleted(&h, &token).await;
    assert_eq!(remaining.len(), 60 - restored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_fresh_data_dir_seed_it_once() {
    let dir = tempfile::tempdir().expect("dir");
    let (a, b) = tokio::join!(
        spawn(SandboxConfig::new(dir.path()).users(300)),
        spawn(SandboxConfig::new(dir.path()).users(300)),
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a.inspect().deleted_ids().len(), 300);
    assert_eq!(b.inspect().deleted_ids(), a.inspect().deleted_ids());
    // Both sign tokens with the one key of the store.
    let token = app_token(&a).await;
    let (status, _, _) = get(&graph(&b, LIST), &token).await;
    assert_eq!(status, 200);
}

/// Issue 8: the store may hold mailed passwords (the outbox), so it is its owner's alone —
/// whatever the umask, and also when an older, laxer store is reopened.
#[cfg(unix)]
#[tokio::test]
async fn the_store_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o7777
    };
    let files = |dir: &std::path::Path| {
        ["", "-wal", "-shm"].map(|s| dir.join(format!("sandbox.sqlite3{s}")))
    };
    let root = tempfile::tempdir().expect("dir");
    // A data dir the sandbox creates itself.
    let dir = root.path().join("fresh").join("data");
    let h = spawn(SandboxConfig::new(&dir).users(5))
        .await
        .expect("start");
    let token = app_token(&h).await;
    // A write, so the WAL is in use.
    let id = h.inspect().deleted_ids()[0].clone();
    let (status, _, _) = send(
        Method::DELETE,
        &graph(&h, &format!("directory/deletedItems/{id}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(mode(&dir), 0o700);
    for f in files(&dir) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    h.shutdown().await;

    // An existing store left readable by everyone is fixed when opened again.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for f in files(&dir).iter().filter(|f| f.exists()) {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let h = spawn(SandboxConfig::new(&dir)).await.expect("reopen");
    assert_eq!(mode(&dir), 0o700);
    for f in files(&dir).iter().filter(|f| f.exists()) {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    assert!(!h.inspect().exists(&id), "the same store, reused");
}
