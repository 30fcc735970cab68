//! The deleted-users listing and the `/users` lookups over real HTTP.

use crate::common;

use std::collections::HashSet;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const LIST: &str = "directory/deletedItems/microsoft.graph.user";

#[tokio::test]
async fn default_paging_walks_every_user_once() {
    let (_dir, h) = start_sandbox(250).await;
    let token = app_token(&h).await;
    let mut url = graph(&h, LIST);
    let mut pages = Vec::new();
    let mut ids = HashSet::new();
    loop {
        let (status, headers, body) = get(&url, &token).await;
        assert_eq!(status, 200, "{body}");
        assert!(headers.contains_key("request-id"));
        assert!(headers.contains_key("client-request-id"));
        assert_eq!(
            body["@odata.context"],
            format!(
                "{}v1.0/$metadata#directory/deletedItems/microsoft.graph.user",
                h.base_url()
            )
        );
        assert!(body.get("@odata.count").is_none());
        let page = body["value"].as_array().expect("value").clone();
        pages.push(page.len());
        for u in &page {
            assert!(
                ids.insert(u["id"].as_str().expect("id").to_string()),
                "no repeats"
            );
        }
        match body["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(
                    next.starts_with(h.base_url().as_str()),
                    "absolute nextLink: {next}"
                );
                assert!(next.contains("$skiptoken="), "{next}");
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, vec![100, 100, 50]);
    assert_eq!(ids.len(), 250);
}

#[tokio::test]
async fn top_999_pages_and_keeps_options_in_next_link() {
    let (_dir, h) = start_sandbox(250).await;
    let token = app_token(&h).await;
    let (status, _, body) = get(
        &graph(&h, &format!("{LIST}?$top=120&$select=id,displayName")),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_array().map(Vec::len), Some(120));
    let next = body["@odata.nextLink"].as_str().expect("next").to_string();
    assert!(
        next.contains("$top=120") && next.contains("$select=id%2CdisplayName"),
        "{next}"
    );
    let (_, _, page2) = get(&next, &token).await;
    assert_eq!(page2["value"].as_array().map(Vec::len), Some(120));
    let (_, _, page3) = get(page2["@odata.nextLink"].as_str().expect("next"), &token).await;
    assert_eq!(page3["value"].as_array().map(Vec::len), Some(10));
    assert!(page3.get("@odata.nextLink").is_none());

    let (status, _, body) = get(&graph(&h, &format!("{LIST}?$top=999")), &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_array().map(Vec::len), Some(250));
    assert!(body.get("@odata.nextLink").is_none());

    for bad in ["1000", "0", "-1", "ten"] {
        let (status, _, body) = get(&graph(&h, &format!("{LIST}?$top={bad}")), &token).await;
        assert_eq!(status, 400, "$top={bad}");
        assert_graph_error(&body, "Request_BadRequest");
    }
}

#[tokio::test]
async fn select_decides_which_properties_come_back() {
    let (_dir, h) = start_sandbox(20).await;
    let token = app_token(&h).await;
    let (_, _, body) = get(&graph(&h, LIST), &token).await;
    let u = &body["value"][0];
    assert_eq!(u["@odata.type"], "#microsoft.graph.user");
    for present in [
        "id",
        "displayName",
        "userPrincipalName",
        "mail",
        "givenName",
        "surname",
        "jobTitle",
        "userType",
        "accountEnabled",
    ] {
        assert!(u.get(present).is_some(), "{present} in {u}");
    }
    for absent in [
        "deletedDateTime",
        "department",
        "proxyAddresses",
        "onPremisesSyncEnabled",
    ] {
        assert!(u.get(absent).is_none(), "{absent} not in {u}");
    }
    let id = u["id"].as_str().expect("id");
    let upn = u["userPrincipalName"].as_str().expect("upn");
    assert!(
        upn.starts_with(&id.replace('-', "")),
        "deleted UPN carries the id: {upn}"
    );

    let (_, _, body) = get(
        &graph(
            &h,
            &format!("{LIST}?$select=id,deletedDateTime,department,proxyAddresses"),
        ),
        &token,
    )
    .await;
    assert!(
        body["@odata.context"]
            .as_str()
            .is_some_and(|c| c.ends_with("(id,deletedDateTime,department,proxyAddresses)"))
    );
    for u in body["value"].as_array().expect("value") {
        let keys: HashSet<&str> = u
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            HashSet::from([
                "@odata.type",
                "id",
                "deletedDateTime",
                "department",
                "proxyAddresses"
            ])
        );
        let d = u["deletedDateTime"].as_str().expect("date");
        assert!(
            d.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(d).is_ok(),
            "{d}"
        );
    }
    let (status, _, body) = get(&graph(&h, &format!("{LIST}?$select=id,shoeSize")), &token).await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "BadRequest");
}

#[tokio::test]
async fn filters() {
    let (_dir, h) = start_sandbox(250).await;
    let token = app_token(&h).await;
    let all = all_deleted(&h, &token).await;

    // startswith on displayName, case-insensitive, non-ASCII included.
    let name = all
        .iter()
        .map(|u| u["displayName"].as_str().unwrap_or(""))
        .find(|n| !n.is_ascii() && n.chars().count() > 2)
        .expect("a non-ASCII name");
    let prefix: String = name.chars().take(2).collect();
    let expected = all
        .iter()
        .filter(|u| {
            u["displayName"]
                .as_str()
                .is_some_and(|n| n.to_lowercase().starts_with(&prefix.to_lowercase()))
        })
        .count();
    let q = format!(
        "{LIST}?$top=999&$filter=startswith(displayName,'{}')",
        prefix.replace('\'', "''")
    );
    let (status, _, body) = get(&graph(&h, &q), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"].as_array().map(Vec::len), Some(expected));

    // startswith on the (id-prefixed) userPrincipalName.
    let first = &all[0];
    let upn_prefix = &first["userPrincipalName"].as_str().expect("upn")[..12];
    let (_, _, body) = get(
        &graph(
            &h,
            &format!("{LIST}?$filter=startswith(userPrincipalName,'{upn_prefix}')"),
        ),
        &token,
    )
    .await;
    assert_eq!(body["value"][0]["id"], first["id"]);

    // eq on id and mail.
    let (_, _, body) = get(
        &graph(
            &h,
            &format!(
                "{LIST}?$filter=id eq '{}'",
                first["id"].as_str().unwrap_or("")
            ),
        ),
        &token,
    )
    .await;
    assert_eq!(body["value"].as_array().map(Vec::len), Some(1));
    let mail = first["mail"].as_str().expect("mail").to_uppercase();
    let (_, _, body) = get(
        &graph(&h, &format!("{LIST}?$filter=mail eq '{mail}'")),
        &token,
    )
    .await;
    assert_eq!(body["value"][0]["id"], first["id"]);

    // deletedDateTime ranges partition the set.
    let cutoff = (chrono::Utc::now() - chrono::Duration::days(27))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, _, old) = get(
        &graph(
            &h,
            &format!("{LIST}?$top=999&$filter=deletedDateTime le {cutoff}"),
        ),
        &token,
    )
    .await;
    let (_, _, new) = get(
        &graph(
            &h,
            &format!("{LIST}?$top=999&$filter=deletedDateTime gt {cutoff}"),
        ),
        &token,
    )
    .await;
    let n_old = old["value"].as_array().map(Vec::len).unwrap_or(0);
    let n_new = new["value"].as_array().map(Vec::len).unwrap_or(0);
    assert!(n_old >= 5, "several users close to their purge: {n_old}");
    assert_eq!(n_old + n_new, 250);
    let (status, _, both) = get(
        &graph(&h, &format!("{LIST}?$top=999&$filter=deletedDateTime ge {cutoff} and startswith(displayName,'{}')", prefix.replace('\'', "''"))),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{both}");
    let has_prefix = |u: &&serde_json::Value| {
        u["displayName"]
            .as_str()
            .is_some_and(|n| n.to_lowercase().starts_with(&prefix.to_lowercase()))
    };
    let both: Vec<&serde_json::Value> = both["value"].as_array().expect("value").iter().collect();
    assert!(both.len() <= expected);
    assert!(both.iter().all(has_prefix), "only the prefix: {both:?}");
    // `ge` holds every user `gt` holds: the newer users with the prefix are all there.
    let ids: std::collections::HashSet<&str> =
        both.iter().filter_map(|u| u["id"].as_str()).collect();
    for u in new["value"]
        .as_array()
        .expect("value")
        .iter()
        .filter(has_prefix)
    {
        assert!(ids.contains(u["id"].as_str().expect("id")), "missing {u}");
    }

    for bad in [
        "startswith(displayName,'x'",
        "displayName zz 'x'",
        "shoeSize eq 'x'",
        "deletedDateTime ge yesterday",
    ] {
        let (status, _, body) = get(
            &graph(&h, &format!("{LIST}?$filter={}", urlenc(bad))),
            &token,
        )
        .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["code"].as_str().is_some());
    }
}

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn orderby_and_consistency_level_rules() {
    let (_dir, h) = start_sandbox(250).await;
    let token = app_token(&h).await;

    let (status, _, body) = get(
        &graph(&h, &format!("{LIST}?$orderby=displayName&$top=999")),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    let names: Vec<String> = body["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|u| u["displayName"].as_str().unwrap_or("").to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    let (status, _, body) = get(
        &graph(
            &h,
            &format!("{LIST}?$orderby=userPrincipalName desc&$top=50"),
        ),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    let upns: Vec<String> = body["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap_or("").to_lowercase())
        .collect();
    assert!(upns.windows(2).all(|w| w[0] >= w[1]));

    // deletedDateTime needs both the header and $count=true.
    for (q, eventual) in [
        ("$orderby=deletedDateTime", false),
        ("$orderby=deletedDateTime", true),
        ("$orderby=deletedDateTime&$count=true", false),
    ] {
        let url = graph(&h, &format!("{LIST}?{q}"));
        let (status, _, body) = if eventual {
            get_eventual(&url, &token).await
        } else {
            get(&url, &token).await
        };
        assert_eq!(status, 400, "{q} eventual={eventual}");
        assert_graph_error(&body, "Request_UnsupportedQuery");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("Unsupported sort property")
        );
    }
    let (status, _, body) = get(&graph(&h, &format!("{LIST}?$orderby=jobTitle")), &token).await;
    assert_eq!(status, 400, "{body}");

    // $count without the header is refused.
    let (status, _, _) = get(&graph(&h, &format!("{LIST}?$count=true")), &token).await;
    assert_eq!(status, 400);

    // With both: sorted by deletion time, count on page 1 only, header needed on every page.
    let url = graph(
        &h,
        &format!(
            "{LIST}?$orderby=deletedDateTime desc&$count=true&$top=100&$select=id,deletedDateTime"
        ),
    );
    let (status, _, page1) = get_eventual(&url, &token).await;
    assert_eq!(status, 200, "{page1}");
    assert_eq!(page1["@odata.count"], 250);
    let next = page1["@odata.nextLink"].as_str().expect("next").to_string();
    let (status, _, _) = get(&next, &token).await;
    assert_eq!(status, 400, "the header must be sent again on every page");
    let mut dates: Vec<String> = page1["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|u| u["deletedDateTime"].as_str().unwrap_or("").to_string())
        .collect();
    let mut url = next;
    loop {
        let (status, _, page) = get_eventual(&url, &token).await;
        assert_eq!(status, 200);
        assert!(
            page.get("@odata.count").is_none(),
            "count on the first page only"
        );
        dates.extend(
            page["value"]
                .as_array()
                .expect("value")
                .iter()
                .map(|u| u["deletedDateTime"].as_str().unwrap_or("").to_string()),
        );
        match page["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    assert_eq!(dates.len(), 250);
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // A skiptoken from one order is refused under another; garbage is refused.
    let (status, _, body) = get(&graph(&h, &format!("{LIST}?$skiptoken=garbage")), &token).await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "Directory_ExpiredPageToken");
}

/// `$orderby` is refused where Graph refuses it, in its words where it has documented them.
#[tokio::test]
async fn orderby_refusals_follow_graph() {
    let (_dir, h) = start_sandbox(20).await;
    let token = app_token(&h).await;
    let cases = [
        // $filter with $orderby is an advanced query.
        (
            "$filter=userType eq 'Member'&$orderby=displayName",
            false,
            "Sorting not supported for current query.",
        ),
        // Inside an advanced query Graph does not name the property.
        (
            "$orderby=jobTitle&$count=true",
            true,
            "An unsupported property was specified.",
        ),
        (
            "$orderby=jobTitle",
            false,
            "Unsupported sort property 'jobTitle' for 'User'.",
        ),
        (
            "$orderby=deletedDateTime,displayName&$count=true",
            true,
            "Sorting by more than one property is not supported.",
        ),
    ];
    for (query, eventual, message) in cases {
        let url = graph(&h, &format!("{LIST}?{query}"));
        let (status, _, body) = if eventual {
            get_eventual(&url, &token).await
        } else {
            get(&url, &token).await
        };
        assert_eq!(status, 400, "{query}: {body}");
        assert_graph_error(&body, "Request_UnsupportedQuery");
        assert_eq!(body["error"]["message"], message, "{query}");
    }
    // The same filter with the advanced query parameters sorts.
    let url = graph(
        &h,
        &format!("{LIST}?$filter=userType eq 'Member'&$orderby=displayName&$count=true"),
    );
    let (status, _, body) = get_eventual(&url, &token).await;
    assert_eq!(status, 200, "{body}");
    // Active users have no deletion time to sort by.
    let url = graph(&h, "users?$orderby=deletedDateTime&$count=true");
    let (status, _, body) = get_eventual(&url, &token).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["message"],
        "An unsupported property was specified."
    );
}

/// Users deleted in the same second come in one order across pages (by id, the way the
/// sort goes), every user once: a page boundary inside a run of equal times loses nobody.
#[tokio::test]
async fn equal_deletion_times_page_by_id_in_the_sorts_direction() {
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    let ids: Vec<String> = all_deleted(&h, &token)
        .await
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_string())
        .collect();
    let when = chrono::Utc::now() - chrono::Duration::days(3);
    for id in ids.iter().take(20) {
        assert!(h.inspect().set_deleted_at(id, when));
    }
    for desc in [false, true] {
        let dir = if desc { "desc" } else { "asc" };
        let mut url = graph(
            &h,
            &format!(
                "{LIST}?$orderby=deletedDateTime {dir}&$count=true&$top=7&$select=id,deletedDateTime"
            ),
        );
        let mut seen: Vec<(String, String)> = Vec::new();
        loop {
            let (status, _, page) = get_eventual(&url, &token).await;
            assert_eq!(status, 200, "{page}");
            for u in page["value"].as_array().expect("value") {
                seen.push((
                    u["deletedDateTime"].as_str().expect("time").to_string(),
                    u["id"].as_str().expect("id").to_string(),
                ));
            }
            match page["@odata.nextLink"].as_str() {
                Some(next) => url = next.to_string(),
                None => break,
            }
        }
        assert_eq!(seen.len(), 30, "{dir}");
        let mut sorted = seen.clone();
        sorted.sort();
        if desc {
            sorted.reverse();
        }
        assert_eq!(seen, sorted, "{dir}: by time, then id, both {dir}");
        let at = when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(seen.iter().filter(|(t, _)| *t == at).count(), 20);
    }
}

#[tokio::test]
async fn uncast_listing_and_unknown_segments_answer_like_graph() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let (status, _, body) = get(&graph(&h, "directory/deletedItems"), &token).await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "Request_BadRequest");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("Searches against this resource are not supported")
    );
    let (status, _, body) = get(&graph(&h, "groupz"), &token).await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "BadRequest");
}

#[tokio::test]
async fn ids_are_echoed_in_headers_and_errors() {
    let (_dir, h) = start_sandbox(10).await;
    let resp = client()
        .get(graph(&h, LIST))
        .header("client-request-id", "my-correlation-42")
        .send()
        .await
        .expect("GET");
    let (status, headers, body) = split(resp).await;
    assert_eq!(status, 401);
    assert_eq!(headers["client-request-id"], "my-correlation-42");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .is_ok_and(|v| v.starts_with("Bearer"))
    );
    let rid = headers["request-id"].to_str().expect("ascii").to_string();
    assert_graph_error(&body, "InvalidAuthenticationToken");
    assert_eq!(
        body["error"]["innerError"]["client-request-id"],
        "my-correlation-42"
    );
    assert_eq!(body["error"]["innerError"]["request-id"], rid.as_str());
}

#[tokio::test]
async fn get_one_deleted_user() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let id = h.inspect().deleted_ids()[0].clone();
    let (status, _, body) = get(
        &graph(
            &h,
            &format!("directory/deletedItems/{id}?$select=id,deletedDateTime"),
        ),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], id.as_str());
    assert!(body["deletedDateTime"].is_string());
    let (status, _, body) = get(
        &graph(
            &h,
            "directory/deletedItems/00000000-0000-0000-0000-000000000000",
        ),
        &token,
    )
    .await;
    assert_eq!(status, 404);
    assert_graph_error(&body, "Request_ResourceNotFound");
    // An active user is not in the deleted items.
    let active = h.inspect().active_ids()[0].clone();
    let (status, _, _) = get(
        &graph(&h, &format!("directory/deletedItems/{active}")),
        &token,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn users_lookups_by_upn_proxy_and_id() {
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    let admin = h.admin_upn();
    let (status, _, body) = get(
        &graph(
            &h,
            &format!(
                "users?$filter=userPrincipalName eq '{}'",
                admin.to_uppercase()
            ),
        ),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let found = body["value"].as_array().expect("value");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["userPrincipalName"], admin.as_str());
    let admin_id = found[0]["id"].as_str().expect("id").to_string();

    let (_, _, body) = get(
        &graph(
            &h,
            "users?$filter=userPrincipalName eq 'nobody@contoso.sandbox'",
        ),
        &token,
    )
    .await;
    assert_eq!(body["value"], Value::Array(vec![]));

    let q = format!("users?$filter=proxyAddresses/any(p:p eq 'smtp:{admin}')");
    let (status, _, body) = get(&graph(&h, &q), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"][0]["id"], admin_id.as_str());

    let (status, _, body) = get(&graph(&h, &format!("users/{admin}")), &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], admin_id.as_str());
    let (status, _, body) = get(
        &graph(&h, &format!("users/{admin_id}?$select=displayName,mail")),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["mail"], admin.as_str());
    assert!(body.get("id").is_none());
    let (status, _, body) = get(&graph(&h, "users/ghost@contoso.sandbox"), &token).await;
    assert_eq!(status, 404);
    assert_graph_error(&body, "Request_ResourceNotFound");
    // Deleted users are not active users.
    let deleted = h.inspect().deleted_ids()[0].clone();
    let (status, _, _) = get(&graph(&h, &format!("users/{deleted}")), &token).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn me_needs_a_delegated_token() {
    let (_dir, h) = start_sandbox(10).await;
    let app = app_token(&h).await;
    let (status, _, body) = get(&graph(&h, "me"), &app).await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "BadRequest");
    assert_eq!(
        body["error"]["message"],
        "/me request is only valid with delegated authentication flow."
    );
    let delegated = h
        .inspect()
        .issue_token(&undelete_sandbox::TokenSpec::delegated(
            &h.admin_upn(),
            &["User.Read"],
        ));
    let (status, _, body) = get(&graph(&h, "me"), &delegated).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userPrincipalName"], h.admin_upn().as_str());
    assert_eq!(body["mail"], h.admin_upn().as_str());
}

fn message(body: &Value) -> String {
    body["error"]["message"].as_str().unwrap_or("").to_string()
}

/// Issue 9: 2,703 nested parentheses or 10,000 `not` used to overflow the filter parser's
/// stack and kill the process (and with it the TUI, which runs the sandbox in-process).
#[tokio::test]
async fn hostile_filters_are_400_and_the_server_keeps_answering() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let list = |filter: &str| graph(&h, &format!("{LIST}?$filter={}", urlenc(filter)));

    let parens = format!("{}id eq 'x'{}", "(".repeat(2703), ")".repeat(2703));
    let nots = format!("{}id eq 'x'", "not ".repeat(10_000));
    for hostile in [&parens, &nots] {
        let (status, _, body) = get(&list(hostile), &token).await;
        assert_eq!(status, 400, "{body}");
        assert_graph_error(&body, "BadRequest");
    }
    // Depth on its own, within the length limits: the parser's own counter refuses it.
    let deep = |n: usize| format!("{}id eq 'x'{}", "(".repeat(n), ")".repeat(n));
    let (status, _, body) = get(&list(&deep(101)), &token).await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("nested more than 100"), "{body}");
    let (status, _, body) = get(&list(&deep(100)), &token).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = get(&list(&"not ".repeat(101)), &token).await;
    assert_eq!(status, 400, "{body}");

    // The longest filter allowed is a 200, not a 500 from SQLite's expression-depth limit;
    // one character more is a 400.
    let mut long = String::from("id eq ''");
    while long.len() + " or id eq ''".len() <= undelete_sandbox::MAX_FILTER_LEN {
        long.push_str(" or id eq ''");
    }
    let (status, _, body) = get(&list(&long), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"].as_array().map(Vec::len), Some(0));
    while long.len() <= undelete_sandbox::MAX_FILTER_LEN {
        long.push(' ');
    }
    let (status, _, body) = get(&list(&long), &token).await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("longer than"), "{body}");

    // Still serving.
    let (status, _, body) = get(&graph(&h, &format!("{LIST}?$top=5")), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"].as_array().map(Vec::len), Some(5));
}

/// Graph refuses a system query option given twice: 400 `BadRequest`, "Query option '$top'
/// was specified more than once, but it must be specified at most once." (as reported from
/// Graph in https://github.com/n8n-io/n8n/issues/4203).
#[tokio::test]
async fn a_repeated_system_query_option_is_400() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let id = h.inspect().active_ids()[0].clone();
    for path in [
        format!("{LIST}?$top=5&$top=6"),
        "users?$top=5&$select=id&$top=5".to_string(),
        format!("users/{id}?$select=id&$select=mail"),
        format!("{LIST}?$filter=id eq 'a'&$FILTER=id eq 'b'"),
        "domains?$select=id&$select=isVerified".to_string(),
    ] {
        let (status, _, body) = get(&graph(&h, &path), &token).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_graph_error(&body, "BadRequest");
        assert!(
            message(&body)
                .contains("was specified more than once, but it must be specified at most once"),
            "{path}: {body}"
        );
    }
    let (status, _, body) = get(&graph(&h, &format!("{LIST}?$top=5")), &token).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn oversized_queries_and_bodies_are_400_in_graphs_shape() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let long_query = format!("{LIST}?x={}", "a".repeat(undelete_sandbox::MAX_QUERY_LEN));
    let (status, _, body) = get(&graph(&h, &long_query), &token).await;
    assert_eq!(status, 400, "{body}");
    assert_graph_error(&body, "BadRequest");

    // Bodies: over the cap is a Graph-shaped 400, never axum's plain-text 413.
    let id = h.inspect().active_ids()[0].clone();
    let pad = "x".repeat(undelete_sandbox::MAX_BODY + 1);
    let (status, _, body) = send(
        Method::PATCH,
        &graph(&h, &format!("users/{id}")),
        &token,
        Some(json!({"accountEnabled": true, "pad": pad})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_graph_error(&body, "BadRequest");
    assert!(
        message(&body).contains("request body is too large"),
        "{body}"
    );

    let pad = "x".repeat(undelete_sandbox::MAX_BATCH_BODY);
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, "$batch"),
        &token,
        Some(
            json!({"requests": [{"id": "1", "method": "GET", "url": "/users?$top=1"}], "pad": pad}),
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_graph_error(&body, "BadRequest");
    assert!(
        message(&body).contains("batch request body is too large"),
        "{body}"
    );

    // A batch may be bigger than a single request (axum's own 2 MB default would have
    // refused this one); its oversized inner request is refused on its own.
    let pad = "x".repeat(undelete_sandbox::MAX_BODY * 2);
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, "$batch"),
        &token,
        Some(json!({"requests": [
            {"id": "big", "method": "PATCH", "url": format!("/users/{id}"),
             "headers": {"Content-Type": "application/json"},
             "body": {"accountEnabled": true, "pad": pad}},
            {"id": "small", "method": "GET", "url": "/users?$top=1"},
        ]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for r in body["responses"].as_array().expect("responses") {
        match r["id"].as_str() {
            Some("big") => {
                assert_eq!(r["status"], 400, "{r}");
                assert_graph_error(&r["body"], "BadRequest");
            }
            _ => assert_eq!(r["status"], 200, "{r}"),
        }
    }
    let (status, _, _) = get(&graph(&h, &format!("{LIST}?$top=1")), &token).await;
    assert_eq!(status, 200);
}

/// A handler that panics is answered (500 `generalException` in Graph's shape) and the server
/// goes on: in the TUI, the sandbox shares the app's process.
#[tokio::test]
async fn a_panicking_handler_is_answered_and_the_server_goes_on() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    h.panic_next_requests(1);
    let (status, headers, body) = get(&graph(&h, &format!("{LIST}?$top=1")), &token).await;
    assert_eq!(status, 500, "{body}");
    assert_graph_error(&body, "generalException");
    assert_eq!(
        headers["request-id"].to_str().ok(),
        body["error"]["innerError"]["request-id"].as_str()
    );
    let (status, _, body) = get(&graph(&h, &format!("{LIST}?$top=1")), &token).await;
    assert_eq!(status, 200, "{body}");
    assert!(!undelete_sandbox::in_sandbox_request());
}

/// `GET /v1.0/domains` as https://learn.microsoft.com/graph/api/domain-list shows it, with
/// the sandbox's default, initial and unverified domains.
#[tokio::test]
async fn domains_list_the_tenants_verified_and_unverified_domains() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let (status, _, body) = get(&graph(&h, "domains"), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["@odata.context"],
        format!("{}v1.0/$metadata#domains", h.base_url()).as_str()
    );
    let domains = body["value"].as_array().expect("value");
    assert_eq!(domains.len(), 3, "{body}");
    let by_id = |id: &str| {
        domains
            .iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {body}"))
            .clone()
    };
    let default = by_id(h.domain());
    assert_eq!(default["isVerified"], true);
    assert_eq!(default["isDefault"], true);
    assert_eq!(default["isInitial"], false);
    assert_eq!(default["isRoot"], true);
    assert_eq!(default["authenticationType"], "Managed");
    assert!(
        default["supportedServices"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("Email")))
    );
    let initial: Vec<&Value> = domains.iter().filter(|d| d["isInitial"] == true).collect();
    assert_eq!(initial.len(), 1);
    assert!(
        initial[0]["id"]
            .as_str()
            .is_some_and(|d| d.ends_with(".onmicrosoft.com"))
    );
    assert_eq!(initial[0]["isVerified"], true);
    assert_eq!(initial[0]["isDefault"], false);
    let unverified: Vec<&Value> = domains
        .iter()
        .filter(|d| d["isVerified"] == false)
        .collect();
    assert_eq!(unverified.len(), 1);
    assert_eq!(unverified[0]["id"], "contoso-new.example");
    assert_eq!(unverified[0]["isDefault"], false);
    assert_eq!(domains.iter().filter(|d| d["isDefault"] == true).count(), 1);
    // Users live in the default domain.
    assert!(
        h.admin_upn()
            .ends_with(&format!("@{}", default["id"].as_str().unwrap_or("?")))
    );

    // $select, one domain, errors.
    let (status, _, body) = get(&graph(&h, "domains?$select=id,ISVERIFIED"), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["@odata.context"],
        format!("{}v1.0/$metadata#domains(id,isVerified)", h.base_url()).as_str()
    );
    for d in body["value"].as_array().expect("value") {
        let keys: Vec<&String> = d.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["id", "isVerified"], "{d}");
    }
    let (status, _, body) = get(&graph(&h, "domains?$select=nope"), &token).await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "BadRequest");
    let (status, _, body) = get(&graph(&h, "domains/Contoso-New.Example"), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["isVerified"], false);
    let (status, _, body) = get(&graph(&h, "domains/fabrikam.com"), &token).await;
    assert_eq!(status, 404);
    assert_graph_error(&body, "Request_ResourceNotFound");

    // Permissions, as the permissions reference lists them: Domain.Read.All,
    // Domain.ReadWrite.All, Directory.Read.All; a user-reading scope is not one; no token is a
    // 401.
    let spec = |scopes: &[&str]| {
        h.inspect()
            .issue_token(&undelete_sandbox::TokenSpec::delegated(
                &h.admin_upn(),
                scopes,
            ))
    };
    for scopes in [
        &["Domain.Read.All"][..],
        &["Directory.Read.All"],
        &["Domain.ReadWrite.All"],
    ] {
        let (status, _, body) = get(&graph(&h, "domains"), &spec(scopes)).await;
        assert_eq!(status, 200, "{scopes:?}: {body}");
    }
    for scopes in [&["Mail.Send"][..], &["User.Read.All"]] {
        let (status, _, body) = get(&graph(&h, "domains"), &spec(scopes)).await;
        assert_eq!(status, 403, "{scopes:?}");
        assert_graph_error(&body, "Authorization_RequestDenied");
    }
    let (status, _, body) = get(&graph(&h, "domains"), "").await;
    assert_eq!(status, 401);
    assert_graph_error(&body, "InvalidAuthenticationToken");
}
