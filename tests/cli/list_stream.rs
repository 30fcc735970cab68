//! `list` printed page by page in the directory's order (issue 21): the same order as sorting
//! the whole list, ties across pages included; and what it does with a directory that will
//! not sort, one that does not sort as asked, and a page that fails half-way.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use undelete::auth::{AccessToken, AuthError, TokenSource};
use undelete::commands::Context;
use undelete::config::{Endpoints, Settings};
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::directory::{DeletedUser, Directory};
use undelete::query::SortKey;
use undelete::session::Session;

use super::commands::{Ran, context, pipe, run};

fn ids_of_json(out: &str) -> Vec<String> {
    let users: Vec<Value> = serde_json::from_str(out).expect("one JSON array");
    users
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_string())
        .collect()
}

fn ids_of_csv(out: &str) -> Vec<String> {
    out.lines()
        .skip(1)
        .map(|l| l.split(',').next().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn list_prints_in_the_sorts_order_with_ties_across_pages() {
    let (_tmp, sandbox) = common::start_sandbox(2_500).await;
    let dir = common::sandbox_directory(&sandbox, "list-stream-tests");
    let users = undelete::directory::all_deleted(dir.as_ref())
        .await
        .expect("listing");
    // 1,500 users deleted in one second: a run of equal times over two page boundaries (999 a
    // page), which the directory orders its way (by id) and `list` its own (by name).
    let when = Utc::now() - chrono::Duration::days(20);
    for u in users.iter().step_by(2).take(1_500) {
        assert!(sandbox.inspect().set_deleted_at(&u.id, when));
    }
    let mut expected: Vec<DeletedUser> = undelete::directory::all_deleted(dir.as_ref())
        .await
        .expect("listing");
    let data = tempfile::tempdir().expect("data dir");
    let ctx = context(&sandbox, data.path());
    for (sort, key) in [
        ("expires", SortKey::DaysLeft),
        ("deleted", SortKey::Deleted),
    ] {
        undelete::query::sort(&mut expected, key);
        let want: Vec<String> = expected.iter().map(|u| u.id.clone()).collect();
        let json = run(
            &ctx,
            &["list", "--format", "json", "--sort", sort],
            "",
            pipe(),
        )
        .await;
        assert_eq!(json.code, 0, "{}", json.err);
        assert!(json.err.is_empty(), "{}", json.err);
        assert_eq!(ids_of_json(&json.out), want, "json --sort {sort}");
        let csv = run(
            &ctx,
            &["list", "--format", "csv", "--sort", sort],
            "",
            pipe(),
        )
        .await;
        assert_eq!(csv.code, 0, "{}", csv.err);
        assert_eq!(ids_of_csv(&csv.out), want, "csv --sort {sort}");
    }
    // A filter keeps the order and drops the rest.
    let ran = run(
        &ctx,
        &["list", "--format", "json", "--filter", "sales"],
        "",
        pipe(),
    )
    .await;
    let filtered = ids_of_json(&ran.out);
    assert!(
        !filtered.is_empty() && filtered.len() < expected.len(),
        "{} of {}",
        filtered.len(),
        expected.len()
    );
    undelete::query::sort(&mut expected, SortKey::DaysLeft);
    let in_order: Vec<&String> = expected
        .iter()
        .map(|u| &u.id)
        .filter(|id| filtered.contains(id))
        .collect();
    assert_eq!(
        in_order.iter().copied().cloned().collect::<Vec<_>>(),
        filtered
    );
}

// ---------------------------------------------------------------------------------------------
// A small Graph stand-in on 127.0.0.1 that answers the listing as each test needs.

/// What the stand-in does with the request for page `n` (0-based), told whether the request
/// asked for `$orderby`.
type Answer = fn(page: usize, ordered: bool) -> Reply;

enum Reply {
    /// Users deleted at these seconds past `base_time`, and a link to page n + 1 unless last.
    Users(Vec<i64>, bool),
    /// A Graph error with this status and code.
    Error(u16, &'static str),
}

fn base_time() -> DateTime<Utc> {
    Utc::now() - chrono::Duration::days(10)
}

/// A user of page `page`, number `i`, deleted `secs` after `base_time`.
fn wire_user(page: usize, i: usize, secs: i64) -> Value {
    let id = format!("00000000-0000-4000-8000-{:06}{:06}", page, i);
    let upn = format!("user{page}x{i}@contoso.test");
    json!({
        "id": id,
        "displayName": format!("User {page}-{i}"),
        "userPrincipalName": format!("{}{upn}", id.replace('-', "")),
        "mail": upn,
        "deletedDateTime": (base_time() + chrono::Duration::seconds(secs))
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        "proxyAddresses": [],
    })
}

async fn stand_in(answer: Answer) -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base =
        url::Url::parse(&format!("http://{}/", listener.local_addr().expect("addr"))).expect("url");
    let root = base.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let root = root.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let page: usize = target
                    .split_once("page=")
                    .and_then(|(_, r)| r.split('&').next())
                    .and_then(|d| d.parse().ok())
                    .unwrap_or(0);
                let ordered = target.contains("orderby");
                let (status, body) = match answer(page, ordered) {
                    Reply::Users(times, more) => {
                        let users: Vec<Value> = times
                            .iter()
                            .enumerate()
                            .map(|(i, s)| wire_user(page, i, *s))
                            .collect();
                        let mut body = json!({ "value": users });
                        if page == 0 {
                            body["@odata.count"] = json!(1000);
                        }
                        if more {
                            // The same query, the next page: the listing's own link back.
                            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                            let query: Vec<&str> = query
                                .split('&')
                                .filter(|p| !p.starts_with("page="))
                                .collect();
                            body["@odata.nextLink"] = json!(format!(
                                "{}{}?{}&page={}",
                                root.as_str().trim_end_matches('/'),
                                path,
                                query.join("&"),
                                page + 1
                            ));
                        }
                        (200, body.to_string())
                    }
                    Reply::Error(status, code) => (
                        status,
                        json!({"error": {"code": code, "message": format!("{code} (stand-in)")}})
                            .to_string(),
                    ),
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    base
}

struct StaticToken;

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(async {
            Ok(AccessToken {
                secret: SecretString::from("static".to_string()),
                expires_at: Utc::now() + chrono::Duration::hours(1),
            })
        })
    }
    fn invalidate(&self, _: &AccessToken) {}
}

/// A command context whose directory is the stand-in.
fn stand_in_context(base: &url::Url, data_dir: &std::path::Path) -> Context {
    let options = GraphOptions {
        backoff_base: Duration::from_millis(10),
        ..GraphOptions::default()
    };
    let dir: Arc<dyn Directory> = Arc::new(
        GraphDirectory::new(Endpoints::sandbox(base), Arc::new(StaticToken), options)
            .expect("directory"),
    );
    Context::new(Arc::new(Session::new(
        Settings::default(),
        dir,
        "stand-in".into(),
        true,
        "admin@contoso.test".into(),
        None,
        data_dir.to_path_buf(),
    )))
}

async fn list_json(answer: Answer) -> Ran {
    let base = stand_in(answer).await;
    let data = tempfile::tempdir().expect("data dir");
    let ctx = stand_in_context(&base, data.path());
    run(&ctx, &["list", "--format", "json"], "", pipe()).await
}

#[tokio::test]
async fn a_page_that_fails_half_way_leaves_the_array_open_says_why_and_exits_1() {
    let ran = list_json(|page, _| match page {
        0 => Reply::Users((0..300).collect(), true),
        1 => Reply::Users((300..600).collect(), true),
        _ => Reply::Error(403, "Authorization_RequestDenied"),
    })
    .await;
    assert_eq!(ran.code, 1, "{}", ran.err);
    // What had arrived was printed as it came, and the array is left open: a script's parser
    // fails rather than taking part of the list for the whole.
    assert!(
        ran.out.starts_with("[{"),
        "{}",
        &ran.out[..ran.out.len().min(200)]
    );
    assert!(ran.out.contains("00000000-0000-4000-8000-000001000298"));
    // The last time read waits for the page that would have said whether more share it.
    assert!(!ran.out.contains("00000000-0000-4000-8000-000001000299"));
    assert!(!ran.out.trim_end().ends_with(']'));
    assert!(serde_json::from_str::<Value>(&ran.out).is_err());
    assert!(ran.err.contains("error: "), "{}", ran.err);
    assert!(
        ran.err.contains("Authorization_RequestDenied"),
        "{}",
        ran.err
    );
    assert!(ran.err.contains("what to do: "), "{}", ran.err);
}

#[tokio::test]
async fn a_directory_that_will_not_sort_is_listed_as_it_comes_and_sorted_here() {
    let ran = list_json(|page, ordered| match (page, ordered) {
        (_, true) => Reply::Error(400, "Request_UnsupportedQuery"),
        (0, false) => Reply::Users(vec![50, 10, 30], true),
        (_, false) => Reply::Users(vec![20, 40], false),
    })
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(
        ran.err
            .contains("would not sort deleted users by deletion time"),
        "{}",
        ran.err
    );
    let users: Vec<Value> = serde_json::from_str(&ran.out).expect("one JSON array");
    let names: Vec<&str> = users
        .iter()
        .map(|u| u["displayName"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        ["User 0-1", "User 1-0", "User 0-2", "User 1-1", "User 0-0"]
    );
}

#[tokio::test]
async fn a_first_page_out_of_order_means_sorting_here_a_later_one_fails_the_command() {
    // A directory that ignores `$orderby`: the first page says so, nothing is printed early.
    let ran = list_json(|page, _| match page {
        0 => Reply::Users(vec![50, 10], true),
        _ => Reply::Users(vec![30], false),
    })
    .await;
    assert_eq!(ran.code, 0, "{}", ran.err);
    assert!(ran.err.contains("first page was not sorted"), "{}", ran.err);
    let names: Vec<String> = serde_json::from_str::<Vec<Value>>(&ran.out)
        .expect("one JSON array")
        .iter()
        .map(|u| u["displayName"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(names, ["User 0-1", "User 1-0", "User 0-0"]);

    // Out of order after printing began: every user is listed, the command says so and fails.
    let ran = list_json(|page, _| match page {
        0 => Reply::Users(vec![10, 20, 30], true),
        _ => Reply::Users(vec![15, 40], false),
    })
    .await;
    assert_eq!(ran.code, 1, "{}", ran.err);
    assert_eq!(ids_of_json(&ran.out).len(), 5);
    assert!(
        ran.err
            .contains("sent 1 deleted user out of the order asked for"),
        "{}",
        ran.err
    );
}
