//! `GraphDirectory` against the sandbox over real HTTP on 127.0.0.1: paging, conflicts,
//! password policy, retries under faults (with nothing done twice), `$batch`, token refresh.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedReceiver;
use undelete::auth::client_credentials::ClientCredentials;
use undelete::auth::{AccessToken, AuthError, TokenSource};
use undelete::config::Endpoints;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::directory::{
    DeletedUser, Directory, DirectoryError, ErrorKind, HolderKind, HolderQuery, JobEvent,
    PasswordChange, RequestRecord, RestoreJob, RestoreRequest, Sent, Stage,
};
use undelete_sandbox::{SandboxHandle, TokenSpec};

const GOOD_PASSWORD: &str = "Kiwi-Harbour-42";

fn fast_options() -> GraphOptions {
    GraphOptions {
        backoff_base: Duration::from_millis(20),
        ..GraphOptions::default()
    }
}

fn credentials(h: &SandboxHandle) -> Arc<ClientCredentials> {
    ClientCredentials::new(
        &Endpoints::sandbox(h.base_url()),
        "graph-client-tests",
        SecretString::from(h.client_secret().to_string()),
    )
    .expect("client credentials")
}

fn directory_with(
    h: &SandboxHandle,
    tokens: Arc<dyn TokenSource>,
    opts: GraphOptions,
) -> GraphDirectory {
    GraphDirectory::new(Endpoints::sandbox(h.base_url()), tokens, opts).expect("directory")
}

fn directory(h: &SandboxHandle, opts: GraphOptions) -> GraphDirectory {
    directory_with(h, credentials(h), opts)
}

/// A directory whose request log the test reads.
fn logged(
    h: &SandboxHandle,
    opts: GraphOptions,
) -> (GraphDirectory, UnboundedReceiver<RequestRecord>) {
    let dir = directory(h, opts);
    let rx = undelete::logging::requests(dir.log_source());
    (dir, rx)
}

fn drain(rx: &mut UnboundedReceiver<RequestRecord>) -> Vec<RequestRecord> {
    let mut out = Vec::new();
    while let Ok(r) = rx.try_recv() {
        out.push(r);
    }
    out
}

fn password(p: &str) -> PasswordChange {
    PasswordChange {
        password: SecretString::from(p.to_string()),
        force_change_next_sign_in: true,
        force_change_with_mfa: false,
    }
}

async fn all_deleted(dir: &GraphDirectory) -> Vec<DeletedUser> {
    undelete::directory::all_deleted(dir)
        .await
        .expect("listing")
}

/// Deleted users split by what a restore would meet: (no conflict, UPN conflict, proxy conflict
/// with the conflicting address).
async fn classify(
    h: &SandboxHandle,
    dir: &GraphDirectory,
) -> (
    Vec<DeletedUser>,
    Vec<DeletedUser>,
    Vec<(DeletedUser, String)>,
) {
    let token = common::app_token(h).await;
    let (upns, proxies) = common::active_names(h, &token).await;
    let (mut clean, mut upn, mut proxy) = (Vec::new(), Vec::new(), Vec::new());
    for u in all_deleted(dir).await {
        if upns.contains(&u.original_upn.to_lowercase()) {
            upn.push(u);
        } else if let Some(p) = u
            .proxy_addresses
            .iter()
            .find(|p| proxies.contains(&p.to_lowercase()))
            .cloned()
        {
            proxy.push((u, p));
        } else {
            clean.push(u);
        }
    }
    (clean, upn, proxy)
}

/// Restore options that meet no conflict: a UPN nobody holds, conflicting proxies dropped.
fn free_names(h: &SandboxHandle, u: &DeletedUser) -> RestoreRequest {
    RestoreRequest {
        new_user_principal_name: Some(format!("r-{}@{}", u.id.replace('-', ""), h.domain())),
        auto_reconcile_proxy_conflict: true,
    }
}

#[tokio::test]
async fn full_listing_pages_with_consistency_level_and_count() {
    let (_dir, h) = common::start_sandbox(2500).await;
    let (dir, mut log) = logged(&h, fast_options());
    let mut pages = Vec::new();
    let mut stream = dir.list_deleted();
    while let Some(page) = stream.next().await {
        pages.push(page.expect("page"));
    }
    assert_eq!(pages.len(), 3, "2,500 users in pages of 999");
    assert_eq!(pages[0].total, Some(2500), "@odata.count on the first page");
    assert!(pages[1..].iter().all(|p| p.total.is_none()));
    assert_eq!(
        pages.iter().map(|p| p.users.len()).collect::<Vec<_>>(),
        vec![999, 999, 502]
    );
    let ids: HashSet<&str> = pages
        .iter()
        .flat_map(|p| p.users.iter().map(|u| u.id.as_str()))
        .collect();
    assert_eq!(ids.len(), 2500, "no user twice");
    for u in pages.iter().flat_map(|p| &p.users) {
        let compact = u.id.replace('-', "");
        assert!(
            u.deleted_upn.to_lowercase().starts_with(&compact),
            "{}",
            u.deleted_upn
        );
        assert!(
            !u.original_upn.to_lowercase().starts_with(&compact),
            "{}",
            u.original_upn
        );
        assert!(u.deleted_at.is_some(), "deletedDateTime was selected");
        assert!(
            !u.display_name.chars().any(char::is_control),
            "{:?}",
            u.display_name
        );
    }
    let records = drain(&mut log);
    assert_eq!(records.len(), 3);
    assert!(records[0].path.contains("$top=999") && records[0].path.contains("$count=true"));
    assert!(
        records[0]
            .path
            .contains("$select=id,displayName,userPrincipalName")
    );
    assert!(
        records
            .iter()
            .all(|r| r.status == Some(200) && r.request_id.is_some())
    );
    // Later pages carry `$count=true` too, which the service refuses without the header: the
    // listing above only got through because the header went out on every page.
    let token = common::app_token(&h).await;
    let (_, _, first) = common::get_eventual(
        &common::graph(
            &h,
            "directory/deletedItems/microsoft.graph.user?$top=999&$count=true",
        ),
        &token,
    )
    .await;
    let next = first["@odata.nextLink"].as_str().expect("nextLink");
    let (status, _, _) = common::get(next, &token).await;
    assert_eq!(status, 400, "page 2 without ConsistencyLevel is refused");
}

/// A one-shot HTTP server on 127.0.0.1 that answers every request with `body`.
async fn canned_server(body: String) -> (url::Url, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = sock.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    (
        url::Url::parse(&format!("http://{addr}/")).expect("url"),
        hits,
    )
}

struct StaticToken;

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(async {
            Ok(AccessToken {
                secret: SecretString::from("static".to_string()),
                expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
            })
        })
    }
    fn invalidate(&self, _: &AccessToken) {}
}

#[tokio::test]
async fn next_link_to_another_host_is_refused() {
    for foreign in [
        "https://graph.evil.example/v1.0/directory/deletedItems/microsoft.graph.user?$skiptoken=x",
        // Same host, other port: another origin, another server.
        "http://127.0.0.1:9/v1.0/directory/deletedItems/microsoft.graph.user?$skiptoken=x",
    ] {
        let page = format!(
            r#"{{"value":[{{"id":"6e1f3b52-9d0c-4a7e-8f21-3c5d7b9a0e14","displayName":"A","userPrincipalName":"a@x"}}],"@odata.nextLink":"{foreign}"}}"#
        );
        let (base, hits) = canned_server(page).await;
        let dir = GraphDirectory::new(
            Endpoints::sandbox(&base),
            Arc::new(StaticToken),
            fast_options(),
        )
        .expect("directory");
        let results: Vec<_> = dir.list_deleted().collect().await;
        assert_eq!(results.len(), 2, "the good page, then the refusal");
        assert_eq!(results[0].as_ref().expect("first page").users.len(), 1);
        let err = results[1].as_ref().expect_err("foreign nextLink");
        assert_eq!(err.kind, ErrorKind::Malformed);
        assert!(err.message.contains("refusing to follow"), "{err}");
        assert_eq!(hits.load(Ordering::SeqCst), 1, "nothing else was fetched");
    }
}

#[tokio::test]
async fn upn_conflict_then_new_upn_restores() {
    let (_dir, h) = common::start_sandbox(250).await;
    let dir = directory(&h, fast_options());
    let (_, upn_conflicts, _) = classify(&h, &dir).await;
    let user = upn_conflicts.first().expect("the seed has UPN conflicts");
    let holder = dir
        .find_holders(vec![HolderQuery::UserName(user.original_upn.clone())])
        .await
        .remove(0)
        .expect("lookup");
    assert!(holder.is_some(), "the UPN is held by an active user");

    let err = dir
        .restore(&user.id, &RestoreRequest::default())
        .await
        .expect_err("conflict");
    assert_eq!(err.kind, ErrorKind::UpnConflict, "{err}");
    assert_eq!(err.status, Some(400));
    assert!(err.request_id.is_some());
    assert!(h.inspect().is_deleted(&user.id));

    let new_upn = format!("restored.{}@{}", &user.id[..8], h.domain());
    let restored = dir
        .restore(
            &user.id,
            &RestoreRequest {
                new_user_principal_name: Some(new_upn.clone()),
                auto_reconcile_proxy_conflict: true,
            },
        )
        .await
        .expect("restore with a new UPN");
    assert_eq!(restored.user_principal_name, new_upn);
    assert!(h.inspect().is_active(&user.id));
    let found = dir
        .get_active(&new_upn)
        .await
        .expect("lookup")
        .expect("active");
    assert_eq!(found.id, user.id);
}

#[tokio::test]
async fn proxy_conflict_then_reconcile_restores() {
    let (_dir, h) = common::start_sandbox(250).await;
    let dir = directory(&h, fast_options());
    let (_, _, proxy_conflicts) = classify(&h, &dir).await;
    let (user, address) = proxy_conflicts
        .first()
        .expect("the seed has proxy conflicts");
    let found = dir
        .find_holders(
            HolderKind::ALL
                .iter()
                .map(|k| HolderQuery::ProxyAddress(*k, address.clone()))
                .collect(),
        )
        .await;
    let holder = found
        .into_iter()
        .find_map(|r| r.expect("lookup"))
        .expect("holder");
    assert_ne!(holder.id, user.id);

    let err = dir
        .restore(&user.id, &RestoreRequest::default())
        .await
        .expect_err("conflict");
    assert_eq!(err.kind, ErrorKind::ProxyConflict, "{err}");

    let restored = dir
        .restore(
            &user.id,
            &RestoreRequest {
                new_user_principal_name: None,
                auto_reconcile_proxy_conflict: true,
            },
        )
        .await
        .expect("restore with reconcile");
    assert_eq!(restored.user_principal_name, user.original_upn);
    assert!(
        !restored
            .proxy_addresses
            .iter()
            .any(|p| p.eq_ignore_ascii_case(address)),
        "the conflicting address was dropped: {:?}",
        restored.proxy_addresses
    );
    assert!(h.inspect().is_active(&user.id));
}

#[tokio::test]
async fn weak_password_is_rejected_naming_the_rule() {
    let (_dir, h) = common::start_sandbox(120).await;
    let dir = directory(&h, fast_options());
    let (clean, _, _) = classify(&h, &dir).await;
    let user = &clean[0];
    dir.restore(&user.id, &RestoreRequest::default())
        .await
        .expect("restore");

    let err = dir
        .set_password(&user.id, &password("abcdefghij"))
        .await
        .expect_err("weak");
    assert_eq!(err.kind, ErrorKind::WeakPassword, "{err}");
    assert!(
        err.message.contains("at least 3 of"),
        "names the rule: {err}"
    );
    let err = dir
        .set_password(&user.id, &password("Abc1!"))
        .await
        .expect_err("short");
    assert!(err.message.contains("8 to 256"), "{err}");
    let err = dir
        .set_password(&user.id, &password("P@ssw0rd2024"))
        .await
        .expect_err("banned");
    assert_eq!(err.kind, ErrorKind::WeakPassword, "{err}");

    dir.set_password(&user.id, &password(GOOD_PASSWORD))
        .await
        .expect("strong password");
    assert!(h.inspect().password_matches(&user.id, GOOD_PASSWORD));
}

#[tokio::test]
async fn missing_user_and_lookups() {
    let (_dir, h) = common::start_sandbox(50).await;
    let dir = directory(
        &h,
        GraphOptions {
            mail_sender: Some(h.admin_upn()),
            ..fast_options()
        },
    );
    let err = dir
        .restore(
            "00000000-0000-0000-0000-000000000000",
            &RestoreRequest::default(),
        )
        .await
        .expect_err("unknown id");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert_eq!(
        dir.get_active("nobody@contoso.sandbox")
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(
        dir.find_holders(vec![HolderQuery::UserName(
            "o'brien@contoso.sandbox".into()
        )])
        .await
        .remove(0)
        .expect("quote"),
        None
    );
    let me = dir.whoami().await.expect("whoami via the sender");
    assert_eq!(me.user_principal_name, h.admin_upn());
    let some = all_deleted(&dir).await.remove(0);
    let again = dir.get_deleted(&some.id).await.expect("get_deleted");
    assert_eq!(again, some);
}

#[tokio::test]
async fn faults_are_retried_and_nothing_is_done_twice() {
    let (_dir, h) = common::start_sandbox_with(80, |c| {
        c.fail_rate(0.15).drop_rate(0.2).fault_seed(
            std::env::var("FSEED")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(11),
        )
    })
    .await;
    let opts = GraphOptions {
        max_retries: 10,
        ..fast_options()
    };
    let (dir, mut log) = logged(&h, opts);
    let inspect = h.inspect();
    // The listing itself runs under the faults; conflicts are avoided by choosing free names.
    let clean = all_deleted(&dir).await;
    assert_eq!(clean.len(), 80);

    // Restores only first, so the write count is exactly the restores that happened.
    let before = inspect.write_count();
    for u in &clean[..20] {
        let restored = dir
            .restore(&u.id, &free_names(&h, u))
            .await
            .expect("restore");
        assert_eq!(restored.id, u.id);
        assert!(inspect.is_active(&u.id));
    }
    assert_eq!(
        inspect.write_count() - before,
        20,
        "each user restored exactly once"
    );
    let records = drain(&mut log);
    let restores: Vec<&RequestRecord> = records
        .iter()
        .filter(|r| r.path.ends_with("/restore"))
        .collect();
    assert!(
        restores.iter().any(|r| r.status.is_none()),
        "some restore replies were lost"
    );
    assert!(
        records.iter().any(|r| r.status.is_some_and(|s| s >= 500)),
        "some requests met 5xx"
    );

    for u in &clean[..20] {
        dir.set_password(&u.id, &password(GOOD_PASSWORD))
            .await
            .expect("password");
        assert!(inspect.password_matches(&u.id, GOOD_PASSWORD));
    }
    for u in &clean[20..26] {
        dir.purge(&u.id).await.expect("purge");
        assert!(!inspect.exists(&u.id));
    }
}

#[tokio::test]
async fn throttled_writes_wait_for_retry_after() {
    let (_dir, h) =
        common::start_sandbox_with(60, |c| c.write_quota(4, Duration::from_secs(4))).await;
    let opts = GraphOptions {
        write_budget: None,
        ..fast_options()
    };
    let dir = directory(&h, opts);
    let (clean, _, _) = classify(&h, &dir).await;
    let inspect = h.inspect();
    let started = std::time::Instant::now();
    for u in &clean[..6] {
        dir.restore(&u.id, &RestoreRequest::default())
            .await
            .expect("restore");
    }
    assert!(inspect.throttled_count() >= 1, "the quota answered 429");
    assert_eq!(inspect.write_count(), 6);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
}

#[tokio::test]
async fn client_write_budget_keeps_under_the_quota() {
    let (_dir, h) =
        common::start_sandbox_with(60, |c| c.write_quota(6, Duration::from_secs(3))).await;
    let opts = GraphOptions {
        write_budget: Some((6, Duration::from_secs(3))),
        ..fast_options()
    };
    let dir = directory(&h, opts);
    let (clean, _, _) = classify(&h, &dir).await;
    for u in &clean[..9] {
        dir.restore(&u.id, &RestoreRequest::default())
            .await
            .expect("restore");
    }
    assert_eq!(h.inspect().throttled_count(), 0, "paced, never refused");
    assert_eq!(h.inspect().write_count(), 9);
}

fn job(id: &str, pw: Option<&str>, request: RestoreRequest) -> RestoreJob {
    RestoreJob {
        id: id.to_string(),
        request,
        password: pw.map(password),
    }
}

/// Per job id: the events it got, in order.
async fn run_jobs(dir: &GraphDirectory, jobs: Vec<RestoreJob>) -> HashMap<String, Vec<JobEvent>> {
    let mut by_id: HashMap<String, Vec<JobEvent>> = HashMap::new();
    let mut events = dir.restore_many(jobs);
    while let Some(e) = events.next().await {
        let id = match &e {
            JobEvent::Restored { id, .. }
            | JobEvent::PasswordSet { id, .. }
            | JobEvent::Failed { id, .. } => id.clone(),
        };
        by_id.entry(id).or_default().push(e);
    }
    by_id
}

fn assert_done(events: &[JobEvent]) {
    assert!(
        matches!(
            events,
            [JobEvent::Restored { .. }, JobEvent::PasswordSet { .. }]
        ),
        "{events:?}"
    );
}

#[tokio::test]
async fn batch_of_twenty_with_mixed_inner_results() {
    let (_dir, h) = common::start_sandbox(250).await;
    let (dir, mut log) = logged(&h, fast_options());
    let (clean, upn_conflicts, proxy_conflicts) = classify(&h, &dir).await;
    let missing = "00000000-0000-0000-0000-0000000000aa";
    let mut jobs = vec![
        job(
            &upn_conflicts[0].id,
            Some(GOOD_PASSWORD),
            RestoreRequest::default(),
        ),
        job(
            &proxy_conflicts[0].0.id,
            Some(GOOD_PASSWORD),
            RestoreRequest::default(),
        ),
        job(
            &proxy_conflicts[1].0.id,
            Some(GOOD_PASSWORD),
            RestoreRequest {
                new_user_principal_name: None,
                auto_reconcile_proxy_conflict: true,
            },
        ),
        job(missing, Some(GOOD_PASSWORD), RestoreRequest::default()),
        job(
            &clean[0].id,
            Some("alllowercase"),
            RestoreRequest::default(),
        ),
    ];
    for u in &clean[1..6] {
        jobs.push(job(&u.id, Some(GOOD_PASSWORD), RestoreRequest::default()));
    }
    assert_eq!(jobs.len(), 10, "10 users, 20 inner requests");
    drain(&mut log);
    let by_id = run_jobs(&dir, jobs).await;
    let records = drain(&mut log);
    let batches: Vec<_> = records
        .iter()
        .filter(|r| r.path.ends_with("/$batch"))
        .collect();
    assert_eq!(batches.len(), 1, "one $batch: {records:?}");

    let fail_kind = |id: &str| match by_id[id].as_slice() {
        [JobEvent::Failed { stage, error, .. }] => (*stage, error.kind),
        other => panic!("{id}: {other:?}"),
    };
    assert_eq!(
        fail_kind(&upn_conflicts[0].id),
        (Stage::Restore, ErrorKind::UpnConflict)
    );
    assert_eq!(
        fail_kind(&proxy_conflicts[0].0.id),
        (Stage::Restore, ErrorKind::ProxyConflict)
    );
    assert_eq!(fail_kind(missing), (Stage::Restore, ErrorKind::NotFound));
    assert_done(&by_id[&proxy_conflicts[1].0.id]);
    match by_id[&clean[0].id].as_slice() {
        [
            JobEvent::Restored { .. },
            JobEvent::Failed {
                stage: Stage::Password,
                error,
                ..
            },
        ] => {
            assert_eq!(error.kind, ErrorKind::WeakPassword);
            assert!(error.message.contains("at least 3 of"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    let inspect = h.inspect();
    for u in &clean[1..6] {
        assert_done(&by_id[&u.id]);
        assert!(inspect.is_active(&u.id));
        assert!(inspect.password_matches(&u.id, GOOD_PASSWORD));
    }
    assert!(inspect.is_deleted(&upn_conflicts[0].id));
}

#[tokio::test]
async fn inner_429s_are_resent_after_retry_after() {
    // 20 writes against a quota of 12 per 6 s: some inner requests are refused with 429.
    let (_dir, h) =
        common::start_sandbox_with(80, |c| c.write_quota(12, Duration::from_secs(6))).await;
    let dir = directory(
        &h,
        GraphOptions {
            write_budget: None,
            ..fast_options()
        },
    );
    let (clean, _, _) = classify(&h, &dir).await;
    let inspect = h.inspect();
    let jobs: Vec<RestoreJob> = clean[..10]
        .iter()
        .map(|u| job(&u.id, Some(GOOD_PASSWORD), RestoreRequest::default()))
        .collect();
    let by_id = run_jobs(&dir, jobs).await;
    assert!(
        inspect.throttled_count() > 0,
        "the quota refused some inner requests"
    );
    for u in &clean[..10] {
        assert_done(&by_id[&u.id]);
        assert!(inspect.password_matches(&u.id, GOOD_PASSWORD));
    }
    assert_eq!(
        inspect.write_count(),
        20,
        "each restore and each PATCH admitted once"
    );
}

#[tokio::test]
async fn bulk_restore_under_dropped_connections_does_nothing_twice() {
    let (_dir, h) = common::start_sandbox_with(200, |c| c.drop_rate(0.3).fault_seed(5)).await;
    let (dir, mut log) = logged(
        &h,
        GraphOptions {
            max_retries: 10,
            concurrency: 3,
            ..fast_options()
        },
    );
    let all = all_deleted(&dir).await;
    let users = &all[..40];
    drain(&mut log);
    let jobs: Vec<RestoreJob> = users
        .iter()
        .map(|u| job(&u.id, Some(GOOD_PASSWORD), free_names(&h, u)))
        .collect();
    let by_id = run_jobs(&dir, jobs).await;
    let inspect = h.inspect();
    for u in users {
        assert_done(&by_id[&u.id]);
        assert!(inspect.is_active(&u.id));
        assert!(inspect.password_matches(&u.id, GOOD_PASSWORD));
    }
    let records = drain(&mut log);
    assert!(
        records
            .iter()
            .any(|r| r.path.ends_with("/$batch") && r.status.is_none()),
        "some batch replies were lost"
    );
}

/// Hands out an expired token first; counts invalidations.
struct ExpiredFirst {
    expired: String,
    fresh: Arc<ClientCredentials>,
    handed_expired: std::sync::atomic::AtomicBool,
    invalidated: AtomicUsize,
}

impl TokenSource for ExpiredFirst {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            if !self.handed_expired.swap(true, Ordering::SeqCst) {
                return Ok(AccessToken {
                    secret: SecretString::from(self.expired.clone()),
                    expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
                });
            }
            self.fresh.token().await
        })
    }
    fn invalidate(&self, _: &AccessToken) {
        self.invalidated.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn expired_token_is_refreshed_once() {
    let (_dir, h) = common::start_sandbox(30).await;
    let tokens = Arc::new(ExpiredFirst {
        expired: h
            .inspect()
            .issue_token(&TokenSpec::default().lifetime_secs(-60)),
        fresh: credentials(&h),
        handed_expired: Default::default(),
        invalidated: AtomicUsize::new(0),
    });
    let dir = directory_with(&h, tokens.clone(), fast_options());
    let users = all_deleted(&dir).await;
    assert_eq!(users.len(), 30);
    assert_eq!(tokens.invalidated.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn short_lived_tokens_are_renewed_by_client_credentials() {
    let (_dir, h) =
        common::start_sandbox_with(20, |c| c.token_lifetime(Duration::from_secs(2))).await;
    let dir = directory(&h, fast_options());
    assert_eq!(all_deleted(&dir).await.len(), 20);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(
        all_deleted(&dir).await.len(),
        20,
        "a new token after the old one expired"
    );
}

#[tokio::test]
async fn wrong_client_secret_is_a_clear_unauthorized_error() {
    let (_dir, h) = common::start_sandbox(10).await;
    let tokens = ClientCredentials::new(
        &Endpoints::sandbox(h.base_url()),
        "graph-client-tests",
        SecretString::from("not-the-secret".to_string()),
    )
    .expect("client credentials");
    let dir = directory_with(&h, tokens, fast_options());
    let err = dir.whoami().await.expect_err("bad secret");
    assert_eq!(err.kind, ErrorKind::Unauthorized, "{err}");
    assert!(err.message.contains("AADSTS7000215"), "{err}");
    assert_eq!(err.code.as_deref(), Some("invalid_client"));
}

#[tokio::test]
async fn mail_goes_out_as_the_configured_sender() {
    let (_dir, h) = common::start_sandbox(10).await;
    let dir = directory(
        &h,
        GraphOptions {
            mail_sender: Some(h.admin_upn()),
            ..fast_options()
        },
    );
    let message = undelete::directory::MailMessage {
        sender: None,
        to: vec![
            "helpdesk@contoso.sandbox".into(),
            "boss@fabrikam.example".into(),
        ],
        subject: "Your account is back".into(),
        body: "Sign in at https://myapps.microsoft.com".into(),
        html: false,
        save_to_sent_items: true,
    };
    dir.send_mail(&message).await.expect("send");
    let outbox = h.inspect().outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].from.to_lowercase(), h.admin_upn());
    assert_eq!(outbox[0].to, message.to);
    assert_eq!(outbox[0].subject, message.subject);
    assert_eq!(outbox[0].body, message.body);
}

#[tokio::test]
async fn a_sender_that_is_no_mailbox_is_named_as_the_settings_to_fix() {
    let (_dir, h) = common::start_sandbox(10).await;
    let dir = directory(
        &h,
        GraphOptions {
            mail_sender: Some("it@contoso.sandbox".into()),
            ..fast_options()
        },
    );
    let e = dir
        .send_mail(&sign_in_mail("from nobody"))
        .await
        .expect_err("no such mailbox");
    assert!(
        e.message.starts_with(
            "the mail sender it@contoso.sandbox is not a mailbox in this tenant: check mail-from"
        ),
        "{e}"
    );
    assert_ne!(
        e.kind,
        ErrorKind::NotFound,
        "not the table's \"refresh\" advice"
    );
    assert!(h.inspect().outbox().is_empty());
}

fn sign_in_mail(subject: &str) -> undelete::directory::MailMessage {
    undelete::directory::MailMessage {
        sender: None,
        to: vec!["helpdesk@contoso.sandbox".into()],
        subject: subject.into(),
        body: "Sign in at https://myapps.microsoft.com".into(),
        html: false,
        save_to_sent_items: false,
    }
}

#[tokio::test]
async fn a_mail_to_a_server_that_is_gone_surely_never_left() {
    // A server that answers one request on a kept-alive connection, then closes it and stops
    // listening: the next call finds its pooled connection closed and nobody to connect to.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base =
        url::Url::parse(&format!("http://{}/", listener.local_addr().expect("addr"))).expect("url");
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = sock.read(&mut buf).await.expect("read");
            assert!(n > 0, "the request came");
            head.extend_from_slice(&buf[..n]);
        }
        let body = r#"{"id":"1","displayName":"Admin","userPrincipalName":"admin@contoso.test"}"#;
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(reply.as_bytes()).await.expect("reply");
        // Both go: the connection and the listener.
    });
    let dir = hostile_directory(
        &base,
        GraphOptions {
            mail_sender: Some("admin@contoso.test".into()),
            max_retries: 2,
            ..fast_options()
        },
    );
    dir.whoami().await.expect("the first call is answered");
    server.await.expect("server");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let e = dir
        .send_mail(&sign_in_mail("gone"))
        .await
        .expect_err("nobody listens");
    assert!(e.message.starts_with("cannot connect to 127.0.0.1:"), "{e}");
    assert_eq!(e.sent, Sent::No, "{e:?}");
    assert!(!e.may_have_happened());
    // A port nobody ever listened on, the same.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let dead = url::Url::parse(&format!("http://127.0.0.1:{port}/")).expect("url");
    let dir = hostile_directory(
        &dead,
        GraphOptions {
            mail_sender: Some("admin@contoso.test".into()),
            max_retries: 1,
            ..fast_options()
        },
    );
    let e = dir
        .send_mail(&sign_in_mail("dead port"))
        .await
        .expect_err("refused");
    assert!(e.message.contains("connection refused"), "{e}");
    assert_eq!(e.sent, Sent::No, "{e:?}");
}

#[tokio::test]
async fn a_mail_whose_connection_drops_after_it_was_written_may_have_gone_out() {
    // Every request is read whole and then its connection dropped (before or after the
    // sandbox acted on it): from the client's side, both may have happened.
    let (_dir, h) = common::start_sandbox_with(3, |c| c.drop_rate(1.0).fault_seed(1)).await;
    let dir = directory(
        &h,
        GraphOptions {
            mail_sender: Some(h.admin_upn()),
            ..fast_options()
        },
    );
    let e = dir
        .send_mail(&sign_in_mail("dropped"))
        .await
        .expect_err("no reply");
    assert_eq!(e.sent, Sent::Maybe, "{e:?}");
    assert!(e.message.contains("not sent again"), "{e}");
    // A refusal is written and answered: nothing was done.
    let (_dir, h) = common::start_sandbox(3).await;
    let dir = directory(
        &h,
        GraphOptions {
            mail_sender: Some("nobody@contoso.sandbox".into()),
            ..fast_options()
        },
    );
    let e = dir
        .send_mail(&sign_in_mail("refused"))
        .await
        .expect_err("no such sender");
    assert!(e.status.is_some_and(|s| (400..500).contains(&s)), "{e:?}");
    assert_eq!(e.sent, Sent::Refused, "{e:?}");
}

#[tokio::test]
async fn purge_removes_for_good_and_unknown_ids_are_not_found() {
    let (_dir, h) = common::start_sandbox(10).await;
    let dir = directory(&h, fast_options());
    let user = all_deleted(&dir).await.remove(0);
    dir.purge(&user.id).await.expect("purge");
    assert!(!h.inspect().exists(&user.id));
    let err = dir.purge(&user.id).await.expect_err("already gone");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert_eq!(all_deleted(&dir).await.len(), 9);
}

#[tokio::test]
async fn retries_are_bounded_when_the_service_keeps_failing() {
    let (_dir, h) = common::start_sandbox_with(10, |c| c.fail_rate(1.0).fault_seed(3)).await;
    let (dir, mut log) = logged(
        &h,
        GraphOptions {
            max_retries: 2,
            ..fast_options()
        },
    );
    let started = std::time::Instant::now();
    let results: Vec<_> = dir.list_deleted().collect().await;
    assert_eq!(results.len(), 1);
    let err = results[0].as_ref().expect_err("every attempt fails");
    assert!(
        matches!(err.kind, ErrorKind::Server | ErrorKind::Throttled),
        "{err}"
    );
    assert!(err.status.is_some_and(|s| s >= 500), "{err}");
    assert_eq!(drain(&mut log).len(), 3, "one try and two retries");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn mail_whose_reply_is_lost_is_never_sent_twice() {
    let (_dir, h) = common::start_sandbox_with(5, |c| c.drop_rate(0.4).fault_seed(3)).await;
    let dir = directory(
        &h,
        GraphOptions {
            mail_sender: Some(h.admin_upn()),
            max_retries: 10,
            ..fast_options()
        },
    );
    let (mut sent, mut unsure) = (0, 0);
    for i in 0..30 {
        let message = undelete::directory::MailMessage {
            sender: None,
            to: vec!["helpdesk@contoso.sandbox".into()],
            subject: format!("mail {i}"),
            body: "Sign in at https://myapps.microsoft.com".into(),
            html: false,
            save_to_sent_items: false,
        };
        match dir.send_mail(&message).await {
            Ok(()) => sent += 1,
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::Network, "{e}");
                assert!(e.message.contains("not sent again"), "{e}");
                unsure += 1;
            }
        }
    }
    let outbox = h.inspect().outbox();
    for i in 0..30 {
        let copies = outbox
            .iter()
            .filter(|m| m.subject == format!("mail {i}"))
            .count();
        assert!(copies <= 1, "mail {i} went out {copies} times");
    }
    assert!(unsure > 0, "some replies were lost");
    // Every mail that said "sent" is in the outbox; a lost reply may or may not be.
    assert!(outbox.len() >= sent && outbox.len() <= sent + unsure);
}

// ---------------------------------------------------------------------------------------------
// Bounded time and memory, pacing, per-user lookups (issue 9), against the sandbox or a small
// hostile server.

/// A server on 127.0.0.1 that runs `answer` on each connection (after reading the request
/// head) and counts connections.
async fn hostile_server<F, Fut>(answer: F) -> (url::Url, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream, String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                // Read until the end of the head; bodies (of a POST) are not needed here.
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                answer(sock, String::from_utf8_lossy(&head).into_owned()).await;
            });
        }
    });
    (
        url::Url::parse(&format!("http://{addr}/")).expect("url"),
        hits,
    )
}

fn hostile_directory(base: &url::Url, opts: GraphOptions) -> GraphDirectory {
    GraphDirectory::new(Endpoints::sandbox(base), Arc::new(StaticToken), opts).expect("directory")
}

#[tokio::test]
async fn an_absurd_retry_after_fails_at_once_saying_how_long() {
    let (base, hits) = hostile_server(|mut sock, _| async move {
        let body = r#"{"error":{"code":"TooManyRequests","message":"Too many requests"}}"#;
        let reply = format!(
            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 99999\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = sock.write_all(reply.as_bytes()).await;
    })
    .await;
    let dir = hostile_directory(&base, fast_options());
    let started = std::time::Instant::now();
    let results: Vec<_> = dir.list_deleted().collect().await;
    let err = results[0].as_ref().expect_err("throttled for 27 h");
    assert!(started.elapsed() < Duration::from_secs(2), "no waiting");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "not sent again");
    assert_eq!(err.kind, ErrorKind::Throttled);
    assert!(
        err.to_string()
            .starts_with("throttled: the directory asks to wait 27 h"),
        "{err}"
    );
    assert!(err.to_string().contains("HTTP 429"), "{err}");

    // The same inside a $batch: that user fails at once, with the words.
    let (base, _) = hostile_server(|mut sock, _| async move {
        let body = r#"{"responses":[{"id":"0r","status":429,"headers":{"Retry-After":"99999"},"body":{"error":{"code":"TooManyRequests","message":"slow down"}}}]}"#;
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = sock.write_all(reply.as_bytes()).await;
    })
    .await;
    let dir = hostile_directory(&base, fast_options());
    let started = std::time::Instant::now();
    let events: Vec<JobEvent> = dir
        .restore_many(vec![job(
            "6e1f3b52-9d0c-4a7e-8f21-3c5d7b9a0e14",
            None,
            RestoreRequest::default(),
        )])
        .collect()
        .await;
    assert!(started.elapsed() < Duration::from_secs(2), "no waiting");
    let [JobEvent::Failed { error, .. }] = &events[..] else {
        panic!("one failure expected: {events:?}");
    };
    assert!(error.message.contains("asks to wait 27 h"), "{error}");
}

#[tokio::test]
async fn a_page_that_never_ends_fails_within_the_body_timeout() {
    // Headers, then a body that trickles forever: a byte every 100 ms.
    let (base, hits) = hostile_server(|mut sock, _| async move {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        if sock.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let _ = sock.write_all(b"b\r\n{\"value\":[ \r\n").await;
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if sock.write_all(b"1\r\n \r\n").await.is_err() {
                return;
            }
        }
    })
    .await;
    // The real body timeout is 45 s (a page fails in under 60 s); 1 s keeps the test short.
    assert_eq!(
        GraphOptions::default().body_timeout,
        Duration::from_secs(45)
    );
    let dir = hostile_directory(
        &base,
        GraphOptions {
            body_timeout: Duration::from_secs(1),
            ..fast_options()
        },
    );
    let started = std::time::Instant::now();
    let results: Vec<_> = dir.list_deleted().collect().await;
    let err = results[0].as_ref().expect_err("endless body");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "a stalled body is not retried"
    );
    assert!(
        err.to_string().starts_with(
            "the server's reply did not finish within 1 s (GET /v1.0/directory/deletedItems"
        ),
        "{err}"
    );
}

/// Deflate bits, least significant first (RFC 1951 3.1.1).
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, len: u32) {
        self.acc |= value << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code goes in most significant bit first.
    fn code(&mut self, code: u64, len: u32) {
        let reversed = (0..len).fold(0, |r, i| (r << 1) | ((code >> i) & 1));
        self.put(reversed, len);
    }
}

/// A gzip stream that inflates to `expanded` bytes of `0`: one fixed-Huffman block of a
/// literal and then copies of 258 bytes at distance 1 (13 bits each), so 1 GiB is ~7 MB.
/// The trailer is left out: a client that reads it all has already lost.
fn gzip_bomb_chunks(expanded: u64) -> (Vec<u8>, Vec<u8>, u64) {
    let mut bits = Bits {
        out: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff],
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // last block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30 + 0x30, 8); // the literal '0'
    for _ in 0..32 {
        bits.code(0b1100_0101, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1
    }
    // After the header bits the stream repeats every 8 copies (104 bits, 13 bytes).
    let start = 12; // 10 bytes of gzip header + the 2 bytes holding the block's first bits
    let period = bits.out[start..start + 13].to_vec();
    assert_eq!(&bits.out[start + 13..start + 26], &period[..]);
    let head = bits.out[..start].to_vec();
    (head, period, expanded / (258 * 8))
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_at_the_cap_without_reading_it_all() {
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let (base, _) = hostile_server(move |mut sock, _| {
        let counter = counter.clone();
        async move {
            // 16 GiB inflated (the issue's 1 GiB sixteen times over, ~108 MB compressed), so
            // that what the loopback buffers absorb cannot pass for reading it all.
            let (head, period, repeats) = gzip_bomb_chunks(16 << 30);
            let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\nconnection: close\r\n\r\n";
            if sock.write_all(reply.as_bytes()).await.is_err()
                || sock.write_all(&head).await.is_err()
            {
                return;
            }
            let block: Vec<u8> = period.repeat(5000);
            let mut left = repeats;
            while left > 0 {
                let n = left.min(5000);
                if sock.write_all(&block[..(n as usize) * 13]).await.is_err() {
                    return;
                }
                counter.fetch_add((n as usize) * 13, Ordering::SeqCst);
                left -= n;
            }
        }
    })
    .await;
    // The real caps: 64 MB for a listing page, 1 MB for anything else. The page cap is made
    // 8 MB here so the test stays light.
    assert_eq!(GraphOptions::default().max_page_body, 64 * 1024 * 1024);
    assert_eq!(GraphOptions::default().max_body, 1024 * 1024);
    let dir = hostile_directory(
        &base,
        GraphOptions {
            max_page_body: 8 * 1024 * 1024,
            ..fast_options()
        },
    );
    let started = std::time::Instant::now();
    let results: Vec<_> = dir.list_deleted().collect().await;
    let err = results[0].as_ref().expect_err("bomb");
    assert_eq!(err.kind, ErrorKind::Malformed);
    assert!(
        err.to_string()
            .starts_with("the server's reply is larger than 8 MB, the most this client reads"),
        "{err}"
    );
    // Anything else is capped at 1 MB, the real cap.
    let err = dir.whoami().await.expect_err("bomb");
    assert!(err.message.contains("larger than 1 MB"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
    // The client stopped at the cap (loopback buffers take a few MB more than it read).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let compressed_total = (16u64 << 30) / (258 * 8) * 13;
    let written = sent.load(Ordering::SeqCst) as u64;
    assert!(
        written < 40 << 20,
        "the server could write {written} of {compressed_total} bytes: the client kept reading"
    );
}

/// A listing page of `n` users whose ids start at `first`, linking to page `page + 1`.
fn endless_page(base: &url::Url, page: usize, n: usize, count: Option<u64>) -> String {
    let users: Vec<String> = (0..n)
        .map(|i| {
            let k = page * n + i;
            format!(
                r#"{{"id":"{k:08x}-0000-4000-8000-000000000000","displayName":"U{k}","userPrincipalName":"{k:08x}000040008000000000000000u{k}@x"}}"#
            )
        })
        .collect();
    let count = count.map_or(String::new(), |c| format!(r#""@odata.count":{c},"#));
    format!(
        r#"{{{count}"value":[{}],"@odata.nextLink":"{base}v1.0/directory/deletedItems/microsoft.graph.user?$skiptoken={}"}}"#,
        users.join(","),
        page + 1
    )
}

/// A server handing out pages of 500 new users forever, announcing `count` on the first.
async fn endless_listing(count: Option<u64>) -> (url::Url, Arc<AtomicUsize>) {
    let base_cell: Arc<std::sync::OnceLock<url::Url>> = Arc::new(std::sync::OnceLock::new());
    let cell = base_cell.clone();
    let (base, hits) = hostile_server(move |mut sock, head| {
        let cell = cell.clone();
        async move {
            let page: usize = head
                .split_once("skiptoken=")
                .and_then(|(_, r)| r.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            let Some(base) = cell.get() else { return };
            let body = endless_page(base, page, 500, count.filter(|_| page == 0));
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    })
    .await;
    base_cell.set(base.clone()).expect("set once");
    (base, hits)
}

#[tokio::test]
async fn a_listing_far_past_its_announced_count_or_its_memory_is_stopped() {
    let (base, hits) = endless_listing(Some(10)).await;
    let dir = hostile_directory(&base, fast_options());
    let results: Vec<_> = dir.list_deleted().collect().await;
    // 10 announced: 2 x 10 + 1000 = 1020 rows at most, so the third page of 500 stops it.
    assert_eq!(results.len(), 3, "two pages, then the stop");
    assert!(results[..2].iter().all(Result::is_ok));
    let err = results[2].as_ref().expect_err("stopped");
    assert!(
        err.message
            .contains("the server announced 10 deleted users but has sent 1500"),
        "{err}"
    );
    // The next pages may have been asked for while the third was parsed (the listing reads a
    // page or two ahead), never more.
    let hits = hits.load(Ordering::SeqCst);
    assert!((3..=5).contains(&hits), "{hits} requests");

    // Without a count, memory for rows is the limit (1 GB for real; 1 MB here).
    assert_eq!(GraphOptions::default().max_listing_bytes, 1 << 30);
    let (base, _) = endless_listing(None).await;
    let dir = hostile_directory(
        &base,
        GraphOptions {
            max_listing_bytes: 1024 * 1024,
            ..fast_options()
        },
    );
    let results: Vec<_> = dir.list_deleted().collect().await;
    let err = results
        .last()
        .expect("some pages")
        .as_ref()
        .expect_err("stopped");
    assert!(
        err.message.contains("take more than 1 MB of memory"),
        "{err}"
    );
    assert!(results.len() > 2 && results.len() < 40, "{}", results.len());
}

#[tokio::test]
async fn connection_refused_is_said_first() {
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let base = url::Url::parse(&format!("http://127.0.0.1:{port}/")).expect("url");
    let dir = hostile_directory(
        &base,
        GraphOptions {
            max_retries: 1,
            ..fast_options()
        },
    );
    let err = dir.whoami().await.expect_err("refused");
    assert_eq!(err.kind, ErrorKind::Network);
    assert_eq!(
        err.to_string(),
        format!(
            "cannot connect to 127.0.0.1:{port}: connection refused (GET /v1.0/me?$select=id,displayName,userPrincipalName,mail)"
        )
    );
}

#[tokio::test]
async fn long_waits_are_announced_and_then_waited_out() {
    // The first request is throttled for 6 s, the next one answered.
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let (base, hits) = hostile_server(move |mut sock, _| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            let reply = if n == 0 {
                "HTTP/1.1 429 Too Many Requests\r\nretry-after: 6\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string()
            } else {
                let body = r#"{"id":"6e1f3b52-9d0c-4a7e-8f21-3c5d7b9a0e14","displayName":"Admin","userPrincipalName":"admin@x","mail":null}"#;
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    })
    .await;
    let called = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let calls = called.clone();
    let dir = hostile_directory(
        &base,
        GraphOptions {
            on_wait: Some(Arc::new(move |n: &undelete::directory::WaitNotice| {
                calls.lock().unwrap().push(n.to_string())
            })),
            ..fast_options()
        },
    );
    let mut notices = Directory::wait_notices(&dir).expect("a GraphDirectory announces waits");
    let started = std::time::Instant::now();
    let me = dir.whoami().await.expect("answered after the wait");
    assert_eq!(me.user_principal_name, "admin@x");
    assert!(
        started.elapsed() >= Duration::from_secs(6),
        "Retry-After honoured"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    let notice = notices.try_recv().expect("the wait was announced");
    assert_eq!(notice.to_string(), "throttled: waiting 6 s (Retry-After)");
    assert_eq!(notice.reason, undelete::directory::WaitReason::Throttled);
    assert_eq!(notice.seconds, 6);
    assert_eq!(
        *called.lock().unwrap(),
        vec!["throttled: waiting 6 s (Retry-After)".to_string()]
    );
}

#[tokio::test]
async fn a_tight_write_quota_is_paced_to_its_minimum_time_without_giving_up() {
    // Issue 9 asks 200 users at 100 writes / 30 s (90 s of quota time); the same shape scaled
    // down: 60 users with passwords (120 writes) at 20 writes / 6 s, so 100 writes beyond the
    // starting allowance at 20/6 per second: 30 s at the least.
    const USERS: usize = 60;
    let (writes, per) = (20u32, Duration::from_secs(6));
    let (_dir, h) = common::start_sandbox_with(USERS + 40, |c| c.write_quota(writes, per)).await;
    // The client does not know the quota (its budget is Graph's 3,000 / 150 s): it paces on
    // the service's 429s and their Retry-After alone.
    let dir = directory(&h, fast_options());
    let users: Vec<DeletedUser> = all_deleted(&dir).await.into_iter().take(USERS).collect();
    let jobs: Vec<RestoreJob> = users
        .iter()
        .map(|u| job(&u.id, Some(GOOD_PASSWORD), free_names(&h, u)))
        .collect();
    let started = std::time::Instant::now();
    let by_id = run_jobs(&dir, jobs).await;
    let took = started.elapsed().as_secs_f64();
    let inspect = h.inspect();
    for u in &users {
        assert_done(&by_id[&u.id]);
        assert!(inspect.password_matches(&u.id, GOOD_PASSWORD));
    }
    assert!(inspect.throttled_count() > 0, "the quota was met");
    let minimum =
        (USERS as f64 * 2.0 - f64::from(writes)) / (f64::from(writes) / per.as_secs_f64());
    eprintln!("paced run: {took:.2} s; quota-bound minimum {minimum:.2} s");
    assert!(
        took >= minimum * 0.95,
        "faster than the quota allows? {took:.1} s"
    );
    assert!(
        took <= minimum * 1.10,
        "took {took:.1} s, more than 10% over the quota-bound {minimum:.1} s"
    );
}

#[tokio::test]
async fn a_bulk_run_ends_at_its_deadline_with_what_held_it_back() {
    // One write per minute: everything after the first waits past a 2 s deadline.
    let (_dir, h) =
        common::start_sandbox_with(30, |c| c.write_quota(1, Duration::from_secs(60))).await;
    let dir = directory(
        &h,
        GraphOptions {
            deadline: Duration::from_secs(2),
            ..fast_options()
        },
    );
    let users: Vec<DeletedUser> = all_deleted(&dir).await.into_iter().take(3).collect();
    let jobs: Vec<RestoreJob> = users
        .iter()
        .map(|u| job(&u.id, None, free_names(&h, u)))
        .collect();
    let started = std::time::Instant::now();
    let by_id = run_jobs(&dir, jobs).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let failed: Vec<&DirectoryError> = by_id
        .values()
        .flatten()
        .filter_map(|e| match e {
            JobEvent::Failed { error, .. } => Some(error),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 2, "{by_id:?}");
    for e in failed {
        assert!(e.message.contains("deadline of 2 s"), "{e}");
        assert_eq!(e.status, Some(429), "{e}");
    }
}

#[tokio::test]
async fn id_lookups_ride_out_faults_and_fail_per_user() {
    let (_dir, h) =
        common::start_sandbox_with(60, |c| c.fail_rate(0.3).drop_rate(0.1).fault_seed(9)).await;
    let dir = directory(
        &h,
        GraphOptions {
            max_retries: 10,
            ..fast_options()
        },
    );
    let users = all_deleted(&dir).await;
    let mut targets: Vec<String> = users.iter().take(45).map(|u| u.id.clone()).collect();
    targets.push("00000000-0000-4000-8000-00000000dead".into());
    let resolved = undelete::commands::resolve::resolve(&dir, &targets)
        .await
        .expect("ids never fail the whole run");
    assert_eq!(resolved.len(), 46);
    for ((t, r), u) in resolved[..45].iter().zip(&users) {
        assert_eq!(&r.as_ref().expect("found").id, &u.id, "{t}");
    }
    assert_eq!(
        resolved[45].1.as_ref().expect_err("unknown"),
        "no deleted user has the id 00000000-0000-4000-8000-00000000dead"
    );

    // A server that always fails the lookup of one id: that target fails, with its reason.
    let bad = "6e1f3b52-9d0c-4a7e-8f21-3c5d7b9a0e14";
    let good = "0b8f4a4e-6f2c-4a43-9d58-2f4a1c0e7a11";
    let (base, _) = hostile_server(move |mut sock, _| async move {
        let user = format!(
            r#"{{"id":"{good}","displayName":"G","userPrincipalName":"{}g@x"}}"#,
            good.replace('-', "")
        );
        // Ids in a batch are 0, 1, ...; the bad one is always asked first.
        let body = format!(
            r#"{{"responses":[{{"id":"0","status":500,"body":{{"error":{{"code":"InternalServerError","message":"boom"}}}}}},{{"id":"1","status":200,"body":{user}}}]}}"#
        );
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = sock.write_all(reply.as_bytes()).await;
    })
    .await;
    let dir = hostile_directory(
        &base,
        GraphOptions {
            max_retries: 0,
            ..fast_options()
        },
    );
    let resolved = undelete::commands::resolve::resolve(&dir, &[bad.to_string(), good.to_string()])
        .await
        .expect("per-user results");
    let why = resolved[0].1.as_ref().expect_err("the bad one fails");
    assert!(
        why.starts_with(&format!("looking up {bad} failed: boom")),
        "{why}"
    );
    assert_eq!(resolved[1].1.as_ref().expect("the good one").id, good);
}

#[tokio::test]
async fn the_after_care_reads_a_group_count_sent_in_base64() {
    let (_dir, h) = common::start_sandbox(60).await;
    let token = common::app_token(&h).await;
    // The count as the sandbox answers it outside a batch, and someone it is not zero for.
    let mut member = None;
    for id in h.inspect().active_ids() {
        let url = common::graph(&h, &format!("users/{id}/memberOf/$count"));
        let (st, _, n) = common::get_eventual(&url, &token).await;
        assert_eq!(st, 200, "{n}");
        if let Some(n) = n.as_u64().filter(|n| *n > 0) {
            member = Some((id, n));
            break;
        }
    }
    let (id, groups) = member.expect("the seed puts some active users in groups");
    let dir = directory(&h, fast_options());
    let reads = dir.after_care_reads(vec![id.clone()]).await;
    let [user] = &reads.users[..] else {
        panic!("one user's reads expected");
    };
    assert_eq!(user.id, id);
    assert_eq!(
        user.groups.as_ref().ok(),
        Some(&groups),
        "{:?}",
        user.groups
    );
    assert!(user.user.is_ok(), "{:?}", user.user.as_ref().err());
    assert!(user.licences.is_ok(), "{:?}", user.licences.as_ref().err());
}
