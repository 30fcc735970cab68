//! The sandbox as a stand-in for Microsoft Graph that third-party clients (Kiota SDKs,
//! msgraph-core, CLI for Microsoft 365) can use: each test sends what such a client sends and
//! checks Graph's documented answer, over real HTTP.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const LIST: &str = "directory/deletedItems/microsoft.graph.user";

/// Links follow the host and scheme the client called, as Graph's do: a client that reached
/// the sandbox as graph.microsoft.com must be able to follow them
/// (https://learn.microsoft.com/graph/paging: "the entire URL in the @odata.nextLink").
#[tokio::test]
async fn links_follow_the_host_the_client_called() {
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    let resp = client()
        .get(graph(&h, &format!("{LIST}?$top=10")))
        .bearer_auth(&token)
        .header("Host", "graph.microsoft.com")
        .send()
        .await
        .expect("GET");
    let (status, _, body) = split(resp).await;
    assert_eq!(status, 200, "{body}");
    let next = body["@odata.nextLink"].as_str().expect("nextLink");
    assert!(
        next.starts_with(&format!("http://graph.microsoft.com/v1.0/{LIST}?")),
        "{next}"
    );
    assert_eq!(
        body["@odata.context"],
        format!("http://graph.microsoft.com/v1.0/$metadata#{LIST}")
    );

    // A Host that is not a plain host[:port] never reaches a link: the listening address does.
    for hostile in ["evil.example/path", "user@evil.example", "evil.example?x=1"] {
        let resp = client()
            .get(graph(&h, &format!("{LIST}?$top=10")))
            .bearer_auth(&token)
            .header("Host", hostile)
            .send()
            .await
            .expect("GET");
        let (status, _, body) = split(resp).await;
        assert_eq!(status, 200, "{body}");
        let next = body["@odata.nextLink"].as_str().expect("nextLink");
        assert!(next.starts_with(h.base_url().as_str()), "{hostile}: {next}");
    }
}

/// `--public-url` wins over whatever Host the request carried.
#[tokio::test]
async fn public_url_sets_every_link() {
    let (_dir, h) = start_sandbox_with(30, |c| c.public_url("https://graph.microsoft.com")).await;
    let token = app_token(&h).await;
    let (status, _, body) = get(&graph(&h, &format!("{LIST}?$top=10")), &token).await;
    assert_eq!(status, 200, "{body}");
    let next = body["@odata.nextLink"].as_str().expect("nextLink");
    assert!(
        next.starts_with(&format!("https://graph.microsoft.com/v1.0/{LIST}?")),
        "{next}"
    );
    let id = &h.inspect().deleted_ids()[0];
    let (_, _, one) = get(&graph(&h, &format!("directory/deletedItems/{id}")), &token).await;
    assert_eq!(
        one["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#directory/deletedItems/$entity"
    );

    let dir = tempfile::tempdir().expect("dir");
    let bad = undelete_sandbox::spawn(
        undelete_sandbox::SandboxConfig::new(dir.path())
            .public_url("https://graph.microsoft.com/v1.0"),
    )
    .await;
    let err = bad
        .expect_err("a versioned public URL is refused")
        .to_string();
    assert!(err.contains("without /v1.0"), "{err}");
}

/// Kiota SDKs join a base URL ending in `/` with `{+baseurl}/users`, so Python SDK requests
/// start `/v1.0//`; Graph answers them as if the empty segment were not there.
#[tokio::test]
async fn empty_path_segments_are_skipped() {
    let (_dir, h) = start_sandbox(20).await;
    let token = app_token(&h).await;
    let base = h.base_url();
    let (status, _, body) = get(&format!("{base}v1.0//users?$top=2"), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"].as_array().map(Vec::len), Some(2));
    let (status, _, body) = get(&format!("{base}v1.0//{LIST}?$top=3"), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"].as_array().map(Vec::len), Some(3));
    // Several empty segments, and a trailing one.
    let (status, _, body) = get(&format!("{base}v1.0///domains/"), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"][0]["id"], "contoso.sandbox");
}

/// `graph` is the alias Graph's CSDL gives `microsoft.graph`
/// (https://graph.microsoft.com/v1.0/$metadata: `<Schema Namespace="microsoft.graph"
/// Alias="graph">`); Kiota SDKs cast with it: `/directory/deletedItems/graph.user`.
#[tokio::test]
async fn the_graph_alias_casts_like_the_namespace() {
    let (_dir, h) = start_sandbox(20).await;
    let token = app_token(&h).await;
    let (s1, _, full) = get(&graph(&h, &format!("{LIST}?$top=999")), &token).await;
    let (s2, _, alias) = get(
        &graph(&h, "directory/deletedItems/graph.user?$top=999"),
        &token,
    )
    .await;
    assert_eq!((s1, s2), (200, 200), "{alias}");
    assert_eq!(full["value"], alias["value"]);
    assert_eq!(alias["value"].as_array().map(Vec::len), Some(20));
    // A user principal name that happens to start with "graph." is not a cast.
    let (status, _, body) = get(&graph(&h, "users/graph.nobody@contoso.sandbox"), &token).await;
    assert_eq!(status, 404, "{body}");
    assert_graph_error(&body, "Request_ResourceNotFound");
}

/// Kiota SDKs send `"@odata.type": "#microsoft.graph.user"` with every update, and annotate
/// nested values too; Graph takes the update
/// (https://learn.microsoft.com/graph/api/user-update?view=graph-rest-1.0).
#[tokio::test]
async fn updates_may_carry_odata_annotations() {
    let (_dir, h) = start_sandbox(20).await;
    let token = app_token(&h).await;
    let id = h.inspect().active_ids()[1].clone();
    let body = json!({
        "@odata.type": "#microsoft.graph.user",
        "passwordProfile": {
            "@odata.type": "#microsoft.graph.passwordProfile",
            "password": "Quiet-Harbor-4821-Lantern",
            "forceChangePasswordNextSignIn": true
        },
        "passwordProfile@odata.type": "#microsoft.graph.passwordProfile"
    });
    let (status, _, reply) = send(
        Method::PATCH,
        &graph(&h, &format!("users/{id}")),
        &token,
        Some(body),
    )
    .await;
    assert_eq!(status, 204, "{reply}");
    assert!(
        h.inspect()
            .password_matches(&id, "Quiet-Harbor-4821-Lantern")
    );
    // A property the sandbox cannot update is still refused: only annotations are skipped.
    let (status, _, reply) = send(
        Method::PATCH,
        &graph(&h, &format!("users/{id}")),
        &token,
        Some(json!({"@odata.type": "#microsoft.graph.user", "aboutMe": "x"})),
    )
    .await;
    assert_eq!(status, 400, "{reply}");
}

/// Action parameters bind in any case: Kiota's sendMail body spells them as the CSDL does
/// (`Message`, `SaveToSentItems`), the documentation as `message`, `saveToSentItems`
/// (https://learn.microsoft.com/graph/api/user-sendmail?view=graph-rest-1.0).
#[tokio::test]
async fn action_parameters_bind_in_any_case() {
    let (_dir, h) = start_sandbox(20).await;
    let token = app_token(&h).await;
    let mail = json!({
        "Message": {
            "@odata.type": "#microsoft.graph.message",
            "subject": "Parameters in CSDL case",
            "body": {"contentType": "text", "content": "hi"},
            "toRecipients": [{"emailAddress": {"address": "someone@fabrikam.com"}}]
        },
        "SaveToSentItems": false
    });
    let (status, _, reply) = send(
        Method::POST,
        &graph(&h, "users/admin@contoso.sandbox/sendMail"),
        &token,
        Some(mail),
    )
    .await;
    assert_eq!(status, 202, "{reply}");
    let sent = h.inspect().outbox();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "Parameters in CSDL case");
    assert!(!sent[0].save_to_sent_items);

    // The restore action's parameters too
    // (https://learn.microsoft.com/graph/api/directory-deleteditems-restore?view=graph-rest-1.0).
    let all = all_deleted(&h, &token).await;
    let (upns, proxies) = active_names(&h, &token).await;
    let user = restorable(&all, &upns, &proxies)[0];
    let id = user["id"].as_str().expect("id");
    let new_upn = "restored.in.any.case@contoso.sandbox";
    let (status, _, reply) = send(
        Method::POST,
        &graph(&h, &format!("directory/deletedItems/{id}/restore")),
        &token,
        Some(json!({"NewUserPrincipalName": new_upn, "AutoReconcileProxyConflict": true})),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["userPrincipalName"], new_upn);
    assert_eq!(h.inspect().upn(id).as_deref(), Some(new_upn));
}

/// msgraph-core puts absolute URLs in `$batch` (`https://graph.microsoft.com/v1.0/...`) and
/// Graph runs them; fields of an inner request it does not use are ignored
/// (https://learn.microsoft.com/graph/json-batching).
#[tokio::test]
async fn batch_takes_absolute_urls_and_ignores_unknown_fields() {
    let (_dir, h) = start_sandbox(20).await;
    let token = app_token(&h).await;
    let batch = json!({"requests": [
        {"id": "1", "method": "GET",
         "url": "https://graph.microsoft.com/v1.0/directory/deletedItems/graph.user?$top=2",
         "headers": {"Accept": "application/json"}, "atomicityGroup": "g1", "extra": {"x": 1}},
        {"id": "2", "method": "GET", "url": "/users?$top=1"},
        {"id": "3", "method": "GET", "url": "//users?$top=1", "dependsOn": ["2"]}
    ]});
    let resp = client()
        .post(graph(&h, "$batch"))
        .bearer_auth(&token)
        .header("Host", "graph.microsoft.com")
        .json(&batch)
        .send()
        .await
        .expect("batch");
    let (status, _, reply) = split(resp).await;
    assert_eq!(status, 200, "{reply}");
    let by_id = |id: &str| {
        reply["responses"]
            .as_array()
            .expect("responses")
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .expect("response")
    };
    let first = by_id("1");
    assert_eq!(first["status"], 200, "{first}");
    assert_eq!(first["body"]["value"].as_array().map(Vec::len), Some(2));
    // Inner links are written for the host the batch came by.
    let next = first["body"]["@odata.nextLink"].as_str().expect("nextLink");
    assert!(
        next.starts_with("http://graph.microsoft.com/v1.0/"),
        "{next}"
    );
    assert_eq!(by_id("2")["status"], 200);
    assert_eq!(by_id("3")["status"], 200, "{reply}");

    // An absolute URL under another version is refused, saying so.
    let bad = json!({"requests": [
        {"id": "1", "method": "GET", "url": "https://graph.microsoft.com/beta/users"}
    ]});
    let (status, _, reply) = send(Method::POST, &graph(&h, "$batch"), &token, Some(bad)).await;
    assert_eq!(status, 400, "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("/v1.0/")),
        "{reply}"
    );
}

/// The `/$count` segment answers a bare number as text/plain and needs
/// `ConsistencyLevel: eventual` (https://learn.microsoft.com/graph/api/directory-deleteditems-list?view=graph-rest-1.0,
/// "Get only a count of deleted user objects"; https://learn.microsoft.com/graph/aad-advanced-queries).
#[tokio::test]
async fn count_segment_is_plain_text_with_eventual_consistency() {
    let (_dir, h) = start_sandbox(37).await;
    let token = app_token(&h).await;
    let count = |path: String, eventual: bool| {
        let token = token.clone();
        async move {
            let mut req = client().get(path).bearer_auth(&token);
            if eventual {
                req = req.header("ConsistencyLevel", "eventual");
            }
            let resp = req.send().await.expect("GET");
            let status = resp.status().as_u16();
            let ctype = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            (status, ctype, resp.text().await.expect("body"))
        }
    };
    let (status, ctype, text) = count(graph(&h, &format!("{LIST}/$count")), true).await;
    assert_eq!(status, 200, "{text}");
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    assert_eq!(text, "37");
    // The alias, an empty segment, and a filter that narrows what is counted.
    let plain = all_deleted(&h, &token)
        .await
        .into_iter()
        .filter_map(|u| u["displayName"].as_str().map(str::to_string))
        .find(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == ' '))
        .expect("a user with a plain ASCII name");
    let url = format!(
        "{}v1.0//directory/deletedItems/graph.user/$count?$filter=displayName%20eq%20'{}'",
        h.base_url(),
        plain.replace(' ', "%20")
    );
    let (status, _, text) = count(url, true).await;
    assert_eq!(status, 200, "{text}");
    let n: u64 = text.parse().expect("a number");
    assert!((1..37).contains(&n), "{n}");
    let active = h.inspect().active_ids().len();
    let (status, _, text) = count(graph(&h, "users/$count"), true).await;
    assert_eq!((status, text), (200, active.to_string()));

    let (status, _, text) = count(graph(&h, &format!("{LIST}/$count")), false).await;
    assert_eq!(status, 400, "{text}");
    let body: Value = serde_json::from_str(&text).expect("JSON error");
    assert_graph_error(&body, "Request_BadRequest");
}

/// `odata.metadata=none` leaves out every control field but `@odata.nextLink` and
/// `@odata.count` (OData JSON Format 4.01, 3.1.3; Graph honours it).
#[tokio::test]
async fn metadata_none_drops_context_and_types() {
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    let resp = client()
        .get(graph(&h, &format!("{LIST}?$top=10&$count=true")))
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .header("Accept", "application/json;odata.metadata=none")
        .send()
        .await
        .expect("GET");
    let (status, _, body) = split(resp).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("@odata.context").is_none(), "{body}");
    assert_eq!(body["@odata.count"], 30);
    assert!(body["@odata.nextLink"].is_string());
    for u in body["value"].as_array().expect("value") {
        assert!(u.get("@odata.type").is_none(), "{u}");
        assert!(u["id"].is_string());
    }
    let resp = client()
        .get(graph(&h, "users?$top=1"))
        .bearer_auth(&token)
        .header("Accept", "application/json;odata.metadata=minimal")
        .send()
        .await
        .expect("GET");
    let (_, _, body) = split(resp).await;
    assert!(body["@odata.context"].is_string(), "{body}");
    assert_eq!(body["value"][0]["@odata.type"], "#microsoft.graph.user");
}

/// `GET /v1.0/$metadata` is the CSDL document, public as Graph's is
/// (https://learn.microsoft.com/graph/traverse-the-graph, "Microsoft Graph API metadata").
#[tokio::test]
async fn metadata_document_is_csdl_with_the_graph_alias() {
    let (_dir, h) = start_sandbox(5).await;
    let resp = client()
        .get(graph(&h, "$metadata"))
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.status(), 200);
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(ctype.starts_with("application/xml"), "{ctype}");
    let xml = resp.text().await.expect("body");
    assert!(xml.contains("<edmx:Edmx Version=\"4.0\""));
    assert!(xml.contains("Namespace=\"microsoft.graph\" Alias=\"graph\""));
    for needle in [
        "<EntityType Name=\"user\"",
        "<NavigationProperty Name=\"deletedItems\"",
        "<Action Name=\"restore\"",
        "<Parameter Name=\"Message\"",
        "<EntitySet Name=\"users\"",
    ] {
        assert!(xml.contains(needle), "{needle}");
    }
}

// Issue 24, fix 4. learn.microsoft.com/graph/api/user-delta and group-delta: the request is
// `GET /users/delta` and the OData function-call spelling `GET /users/delta()`, which every
// Kiota SDK puts in its paths; Graph answers both alike.
#[tokio::test]
async fn delta_answers_the_function_call_spelling_too() {
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    for coll in ["users", "groups"] {
        let (status, _, plain) = get(&graph(&h, &format!("{coll}/delta?$select=id")), &token).await;
        assert_eq!(status, 200, "{plain}");
        let (status, _, called) =
            get(&graph(&h, &format!("{coll}/delta()?$select=id")), &token).await;
        assert_eq!(status, 200, "{coll}/delta(): {called}");
        assert_eq!(called["value"], plain["value"], "{coll}");
        assert!(
            called["@odata.nextLink"].is_string() || called["@odata.deltaLink"].is_string(),
            "{called}"
        );
    }
}

// Issue 24, fix 5. learn.microsoft.com/graph/versioning-and-support: beta is the same service
// under `/beta`; its `@odata.context` and links name `/beta`
// (`https://graph.microsoft.com/beta/$metadata#users`), so a beta client stays on beta.
#[tokio::test]
async fn beta_serves_every_v1_path_with_betas_context_and_links() {
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    let beta = |path: &str| format!("{}beta/{path}", h.base_url());
    let (status, _, page) = get(&beta("users?$top=2"), &token).await;
    assert_eq!(status, 200, "{page}");
    let root = h.base_url().as_str();
    assert_eq!(
        page["@odata.context"],
        format!("{root}beta/$metadata#users").as_str()
    );
    let next = page["@odata.nextLink"].as_str().expect("nextLink");
    assert!(next.starts_with(&format!("{root}beta/users")), "{next}");
    let (status, _, second) = get(next, &token).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["value"].as_array().map(Vec::len), Some(2));

    let (status, _, deleted) = get(&beta(&format!("{LIST}?$top=1")), &token).await;
    assert_eq!(status, 200, "{deleted}");
    let (status, _, delta) = get(&beta("groups/delta()"), &token).await;
    assert_eq!(status, 200, "{delta}");
    let (status, _, body) = get(&beta("nothing/here"), &token).await;
    assert_eq!(status, 400, "{body}");

    // A batch sent to beta runs its relative urls on beta.
    let (status, _, reply) = send(
        Method::POST,
        &beta("$batch"),
        &token,
        Some(json!({"requests": [{"id": "1", "method": "GET", "url": "/users?$top=1"}]})),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let inner = &reply["responses"][0]["body"];
    assert!(
        inner["@odata.context"]
            .as_str()
            .is_some_and(|c| c.contains("/beta/$metadata#users")),
        "{reply}"
    );
}

// Issue 24, fix 6. learn.microsoft.com/graph/json-batching ("Creating a batch request"): an
// inner `body` "can be a JSON object or a base64 URL-encoded value", and "when a body is
// included with the request, the headers object must contain a value for Content-Type"; Graph
// refuses the whole batch otherwise ("Write request id : 1 does not contain Content-Type
// header or body.", as seen in microsoftgraph/msgraph-sdk-dotnet#2628).
#[tokio::test]
async fn batch_bodies_may_be_base64_and_must_name_their_content_type() {
    use base64::Engine;
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    let user = h
        .inspect()
        .active_ids()
        .into_iter()
        .find(|id| {
            h.inspect()
                .upn(id)
                .is_some_and(|u| !u.eq_ignore_ascii_case(&h.admin_upn()))
        })
        .expect("an active user");
    assert_eq!(h.inspect().account_enabled(&user), Some(true));
    let raw = br#"{"accountEnabled": false}"#;
    let batch = |body: Value, headers: Value| {
        json!({"requests": [{
            "id": "1", "method": "PATCH", "url": format!("/users/{user}"),
            "headers": headers, "body": body,
        }]})
    };
    // A non-JSON media type: the body is the base64 of the bytes.
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let (status, _, reply) = send(
        Method::POST,
        &graph(&h, "$batch"),
        &token,
        Some(batch(
            json!(encoded),
            json!({"Content-Type": "text/plain; charset=utf-8"}),
        )),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["responses"][0]["status"], 204, "{reply}");
    assert_eq!(h.inspect().account_enabled(&user), Some(false));

    // A JSON media type: the body is the JSON itself (padded standard base64 is taken too).
    let (status, _, reply) = send(
        Method::POST,
        &graph(&h, "$batch"),
        &token,
        Some(batch(
            json!({"accountEnabled": true}),
            json!({"content-type": "application/json"}),
        )),
    )
    .await;
    assert_eq!(
        (status, reply["responses"][0]["status"].as_u64()),
        (200, Some(204)),
        "{reply}"
    );
    assert_eq!(h.inspect().account_enabled(&user), Some(true));

    for (body, headers, says) in [
        (
            json!({"accountEnabled": false}),
            json!({}),
            "does not contain Content-Type header or body",
        ),
        (
            json!("%%%not base64%%%"),
            json!({"Content-Type": "application/octet-stream"}),
            "base64",
        ),
    ] {
        let (status, _, reply) = send(
            Method::POST,
            &graph(&h, "$batch"),
            &token,
            Some(batch(body, headers)),
        )
        .await;
        assert_eq!(status, 400, "{reply}");
        assert_graph_error(&reply, "BadRequest");
        let message = reply["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(says), "{message}");
    }
    assert_eq!(
        h.inspect().account_enabled(&user),
        Some(true),
        "refused batches change nothing"
    );
}
