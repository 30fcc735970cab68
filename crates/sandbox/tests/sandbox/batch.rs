//! `$batch` over real HTTP: limits, dependsOn, per-inner throttling.

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn by_id(body: &Value) -> HashMap<String, Value> {
    body["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| (r["id"].as_str().expect("id").to_string(), r.clone()))
        .collect()
}

#[tokio::test]
async fn reads_and_writes_in_one_batch() {
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    let ids = h.inspect().deleted_ids();
    let (upns, proxies) = active_names(&h, &token).await;
    let all = all_deleted(&h, &token).await;
    let free: Vec<&str> = restorable(&all, &upns, &proxies)
        .into_iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    let restored = free[0];
    let body = json!({"requests": [
        {"id": "1", "method": "POST", "url": format!("/directory/deletedItems/{restored}/restore"), "headers": {"Content-Type": "application/json"}, "body": {}},
        {"id": "2", "method": "PATCH", "url": format!("/users/{restored}"), "dependsOn": ["1"], "headers": {"Content-Type": "application/json"},
         "body": {"passwordProfile": {"password": "Vq7#mKp2xLw9!zRt", "forceChangePasswordNextSignIn": true}}},
        {"id": "3", "method": "GET", "url": "/directory/deletedItems/microsoft.graph.user?$top=5&$select=id"},
        {"id": "4", "method": "GET", "url": "directory/deletedItems/00000000-0000-0000-0000-000000000000"},
        {"id": "5", "method": "GET", "url": "/me"},
    ]});
    let (status, headers, resp) =
        send(Method::POST, &graph(&h, "$batch"), &token, Some(body)).await;
    assert_eq!(status, 200, "{resp}");
    assert!(headers.contains_key("request-id"));
    let r = by_id(&resp);
    assert_eq!(r.len(), 5);
    assert_eq!(r["1"]["status"], 200, "{}", r["1"]);
    assert_eq!(r["1"]["body"]["id"], restored);
    assert_eq!(r["2"]["status"], 204, "{}", r["2"]);
    assert!(r["2"].get("body").is_none());
    assert_eq!(r["3"]["status"], 200);
    assert_eq!(r["3"]["body"]["value"].as_array().map(Vec::len), Some(5));
    assert!(
        r["3"]["headers"]["content-type"]
            .as_str()
            .unwrap_or("")
            .starts_with("application/json")
    );
    assert_eq!(r["4"]["status"], 404);
    assert_graph_error(&r["4"]["body"], "Request_ResourceNotFound");
    assert_eq!(r["5"]["status"], 400, "app-only /me inside a batch");
    assert!(h.inspect().is_active(restored));
    assert!(h.inspect().password_matches(restored, "Vq7#mKp2xLw9!zRt"));
    assert_eq!(h.inspect().write_count(), 2);
    assert!(ids.len() > 1);
}

#[tokio::test]
async fn failed_dependency_gives_424() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let body = json!({"requests": [
        {"id": "a", "method": "POST", "url": "/directory/deletedItems/99999999-9999-9999-9999-999999999999/restore",
         "body": {}, "headers": {"content-type": "application/json"}},
        {"id": "b", "method": "PATCH", "url": "/users/99999999-9999-9999-9999-999999999999", "dependsOn": ["a"],
         "body": {"passwordProfile": {"password": "Vq7#mKp2xLw9!zRt"}}, "headers": {"content-type": "application/json"}},
        {"id": "c", "method": "GET", "url": "/users?$top=1", "dependsOn": ["b"]},
    ]});
    let (status, _, resp) = send(Method::POST, &graph(&h, "$batch"), &token, Some(body)).await;
    assert_eq!(status, 200);
    let r = by_id(&resp);
    assert_eq!(r["a"]["status"], 404);
    assert_eq!(r["b"]["status"], 424);
    assert_eq!(r["c"]["status"], 424, "failure propagates down the chain");
    assert!(r["b"]["body"]["error"]["code"].as_str().is_some());
}

#[tokio::test]
async fn batch_limits_and_malformed_payloads() {
    let (_dir, h) = start_sandbox(5).await;
    let token = app_token(&h).await;
    let req = |i: usize| json!({"id": i.to_string(), "method": "GET", "url": "/users?$top=1"});
    let twenty: Vec<Value> = (1..=20).map(req).collect();
    let (status, _, resp) = send(
        Method::POST,
        &graph(&h, "$batch"),
        &token,
        Some(json!({"requests": twenty})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(resp["responses"].as_array().map(Vec::len), Some(20));
    let twenty_one: Vec<Value> = (1..=21).map(req).collect();
    let (status, _, resp) = send(
        Method::POST,
        &graph(&h, "$batch"),
        &token,
        Some(json!({"requests": twenty_one})),
    )
    .await;
    assert_eq!(status, 400);
    assert_graph_error(&resp, "BadRequest");
    for bad in [
        json!({}),
        json!({"requests": []}),
        json!({"requests": [req(1), req(1)]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["7"]}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"]}, {"id": "2", "method": "GET", "url": "/users", "dependsOn": ["1"]}]}),
        // Absolute URLs are taken (see `compat`), but only under the batch's own version.
        json!({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/beta/users"}]}),
        // A write without a body fails the whole batch in Graph, even one whose call takes no
        // body outside a batch ("Write request id : 1 does not contain Content-Type header or
        // body.", msgraph-sdk-dotnet issue 2628).
        json!({"requests": [{"id": "1", "method": "POST", "url": "/directory/deletedItems/x/restore"}]}),
    ] {
        let (status, _, resp) = send(
            Method::POST,
            &graph(&h, "$batch"),
            &token,
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, 400, "{bad}");
        assert_graph_error(&resp, "BadRequest");
    }
    let (_, _, resp) = send(
        Method::POST,
        &graph(&h, "$batch"),
        &token,
        Some(json!({"requests": [{"id": "7", "method": "POST", "url": "/directory/deletedItems/x/restore"}]})),
    )
    .await;
    assert_eq!(
        resp["error"]["message"],
        "Write request id : 7 does not contain Content-Type header or body.",
        "{resp}"
    );
    // An inner request that cannot even be built (a header name with a space) is answered
    // inside the batch, with the same Graph error shape as every other error.
    let (status, _, resp) = send(
        Method::POST,
        &graph(&h, "$batch"),
        &token,
        Some(json!({"requests": [
            {"id": "1", "method": "GET", "url": "/users?$top=1", "headers": {"Bad Header": "x"}},
        ]})),
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["responses"][0]["status"], 400, "{resp}");
    assert_graph_error(&resp["responses"][0]["body"], "BadRequest");
    // Inner requests carry the outer token: without it, each inner answer is a 401.
    let resp = client()
        .post(graph(&h, "$batch"))
        .json(&json!({"requests": [req(1)]}))
        .send()
        .await
        .expect("POST");
    let (status, _, resp) = split(resp).await;
    assert_eq!(status, 200);
    assert_eq!(resp["responses"][0]["status"], 401);
}

#[tokio::test]
async fn each_inner_write_is_throttled_on_its_own() {
    let (_dir, h) = start_sandbox_with(40, |c| c.write_quota(5, Duration::from_secs(60))).await;
    let token = app_token(&h).await;
    let ids = h.inspect().deleted_ids();
    let requests: Vec<Value> = ids
        .iter()
        .take(8)
        .enumerate()
        .map(|(i, id)| json!({"id": i.to_string(), "method": "DELETE", "url": format!("/directory/deletedItems/{id}")}))
        .chain(std::iter::once(json!({"id": "read", "method": "GET", "url": "/users?$top=1"})))
        .collect();
    let (status, _, resp) = send(
        Method::POST,
        &graph(&h, "$batch"),
        &token,
        Some(json!({"requests": requests})),
    )
    .await;
    assert_eq!(status, 200);
    let r = by_id(&resp);
    let ok = r.values().filter(|v| v["status"] == 204).count();
    let throttled: Vec<&Value> = r.values().filter(|v| v["status"] == 429).collect();
    assert_eq!(ok, 5);
    assert_eq!(throttled.len(), 3);
    assert_eq!(r["read"]["status"], 200, "reads are not writes");
    for t in throttled {
        let ra: u64 = t["headers"]["retry-after"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("Retry-After");
        assert!(ra >= 1);
        assert_graph_error(&t["body"], "TooManyRequests");
    }
    assert_eq!(h.inspect().write_count(), 5);
    assert_eq!(h.inspect().throttled_count(), 3);
    assert_eq!(
        ids.iter()
            .take(8)
            .filter(|id| !h.inspect().exists(id))
            .count(),
        5
    );
    assert_eq!(
        h.inspect().request_count(),
        2,
        "the token request and one batch"
    );
}

/// An active user who belongs to at least one group, and how many.
async fn member_of_some_group(h: &undelete_sandbox::SandboxHandle, token: &str) -> (String, u64) {
    for id in h.inspect().active_ids() {
        let url = graph(h, &format!("users/{id}/memberOf/$count"));
        let (st, _, n) = get_eventual(&url, token).await;
        assert_eq!(st, 200, "{n}");
        if let Some(n) = n.as_u64().filter(|n| *n > 0) {
            return (id, n);
        }
    }
    panic!("the seed puts some active users in groups");
}

#[tokio::test]
async fn a_count_inside_a_batch_comes_in_base64_as_graph_sends_it() {
    use base64::Engine;
    let (_dir, h) = start_sandbox(60).await;
    let token = app_token(&h).await;
    let (id, groups) = member_of_some_group(&h, &token).await;
    let (st, _, users) = get_eventual(&graph(&h, "users/$count"), &token).await;
    assert_eq!(st, 200);
    let body = json!({"requests": [
        {"id": "g", "method": "GET", "url": format!("/users/{id}/memberOf/$count"),
         "headers": {"ConsistencyLevel": "eventual"}},
        {"id": "n", "method": "GET", "url": "/users/$count", "headers": {"ConsistencyLevel": "eventual"}},
        {"id": "u", "method": "GET", "url": format!("/users/{id}?$select=id")},
        {"id": "x", "method": "GET", "url": "/users/$count"},
    ]});
    let (status, _, resp) = send(Method::POST, &graph(&h, "$batch"), &token, Some(body)).await;
    assert_eq!(status, 200, "{resp}");
    let r = by_id(&resp);
    let decoded = |inner: &Value| -> String {
        assert_eq!(inner["status"], 200, "{inner}");
        assert!(
            inner["headers"]["content-type"]
                .as_str()
                .unwrap_or("")
                .starts_with("text/plain"),
            "{inner}"
        );
        let b64 = inner["body"].as_str().expect("a JSON string body");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        String::from_utf8(bytes).expect("text")
    };
    assert_eq!(decoded(&r["g"]), groups.to_string());
    assert_eq!(
        Some(decoded(&r["n"]).parse::<u64>().unwrap()),
        users.as_u64()
    );
    // A JSON reply stays JSON, and an error is Graph's JSON error, not base64.
    assert_eq!(r["u"]["body"]["id"], id.as_str());
    assert_eq!(r["x"]["status"], 400);
    assert_graph_error(&r["x"]["body"], "Request_BadRequest");
}
