//! Addresses held by groups and org contacts, over real HTTP: found by the filters a pre-flight
//! sends (alone and inside `$batch`), and a restore that would duplicate one refused exactly
//! as for an address a user holds, unless `autoReconcileProxyConflict` drops it.

use crate::common;

use std::collections::HashSet;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Each group or contact holding a deleted user's address, with that user: (collection, the
/// object, the address, the deleted user). Only users whose name no active user holds.
async fn held_by(
    h: &undelete_sandbox::SandboxHandle,
    token: &str,
) -> Vec<(String, Value, String, Value)> {
    let all = all_deleted(h, token).await;
    let (upns, _) = active_names(h, token).await;
    let mut out = Vec::new();
    for coll in ["groups", "contacts"] {
        let (status, _, body) = get(
            &graph(
                h,
                &format!("{coll}?$top=999&$select=id,displayName,proxyAddresses"),
            ),
            token,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        for o in body["value"].as_array().into_iter().flatten() {
            for p in o["proxyAddresses"].as_array().into_iter().flatten() {
                let p = p.as_str().unwrap_or("").to_lowercase();
                let owner = all.iter().find(|u| {
                    !upns.contains(&original_upn(u).to_lowercase())
                        && u["proxyAddresses"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|a| a.as_str().unwrap_or("").to_lowercase() == p)
                });
                if let Some(u) = owner {
                    out.push((coll.to_string(), o.clone(), p.clone(), u.clone()));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn group_and_contact_addresses_refuse_a_restore_as_a_users_would() {
    let (_dir, h) = start_sandbox(60).await;
    let token = app_token(&h).await;
    let held = held_by(&h, &token).await;
    let kinds: HashSet<&str> = held.iter().map(|(c, ..)| c.as_str()).collect();
    assert_eq!(
        kinds,
        HashSet::from(["groups", "contacts"]),
        "the seed has both"
    );
    let mut seen = HashSet::new();
    for (coll, object, address, user) in &held {
        if !seen.insert(coll.clone()) {
            continue;
        }
        let id = user["id"].as_str().expect("id");
        let url = graph(&h, &format!("directory/deletedItems/{id}/restore"));
        let (status, _, body) = send(Method::POST, &url, &token, None).await;
        assert_eq!(status, 400, "{coll}: {body}");
        assert_graph_error(&body, "Request_BadRequest");
        assert_eq!(
            body["error"]["message"],
            "Another object with the same value for property proxyAddresses already exists."
        );
        assert_eq!(body["error"]["details"][0]["code"], "ObjectConflict");
        assert_eq!(body["error"]["details"][0]["target"], "proxyAddresses");
        assert!(h.inspect().is_deleted(id), "{coll}: nothing changed");

        let (status, _, body) = send(
            Method::POST,
            &url,
            &token,
            Some(json!({"autoReconcileProxyConflict": true})),
        )
        .await;
        assert_eq!(status, 200, "{coll}: {body}");
        assert!(h.inspect().is_active(id));
        let now = h.inspect().proxy_addresses(id);
        assert!(
            !now.iter().any(|p| p.eq_ignore_ascii_case(address)),
            "{coll}: {address} dropped from the restored user: {now:?}"
        );
        // The holder keeps it.
        let (status, _, body) = get(
            &graph(&h, &format!("{coll}/{}", object["id"].as_str().unwrap())),
            &token,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body["proxyAddresses"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p.as_str().unwrap_or("").eq_ignore_ascii_case(address))
        );
    }
}

#[tokio::test]
async fn groups_and_contacts_answer_the_filters_pre_flight_sends() {
    let (_dir, h) = start_sandbox(60).await;
    let token = app_token(&h).await;
    let held = held_by(&h, &token).await;
    let (coll, object, address, _) = held.iter().find(|(c, ..)| c == "contacts").expect("held");
    let filter = format!("proxyAddresses/any(x:x eq '{}')", address.to_uppercase());
    let path = |extra: &str| {
        format!(
            "{coll}?$filter={}&$select=id,displayName,mail,proxyAddresses{extra}",
            urlencoding(&filter)
        )
    };
    // Found whatever the case; without the advanced headers `$count` is ignored, as by Graph.
    let (status, _, body) = get(&graph(&h, &path("&$count=true")), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["value"][0]["id"], object["id"]);
    assert!(body.get("@odata.count").is_none(), "{body}");
    let resp = client()
        .get(graph(&h, &path("&$count=true")))
        .bearer_auth(&token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .expect("GET");
    let (status, _, body) = split(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["@odata.count"], 1);
    // Nobody holds this one.
    let nobody = format!(
        "groups?$filter={}",
        urlencoding("proxyAddresses/any(x:x eq 'smtp:nobody@contoso.sandbox')")
    );
    let (status, _, body) = get(&graph(&h, &nobody), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"], Value::Array(vec![]));
    // What a group has no property for is refused in Graph's words.
    let bad = format!(
        "groups?$filter={}",
        urlencoding("userPrincipalName eq 'a@b.c'")
    );
    let (status, _, body) = get(&graph(&h, &bad), &token).await;
    assert_eq!(status, 400, "{body}");
    assert_graph_error(&body, "Request_UnsupportedQuery");

    // The same questions inside one `$batch`, the contact's with its advanced headers.
    let batch = json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("/{}", path("&$count=true")),
         "headers": {"ConsistencyLevel": "eventual"}},
        {"id": "2", "method": "GET", "url": format!("/{nobody}")},
        {"id": "3", "method": "GET",
         "url": format!("/users?$filter={}", urlencoding(&filter))},
    ]});
    let (status, _, body) = send(Method::POST, &graph(&h, "$batch"), &token, Some(batch)).await;
    assert_eq!(status, 200, "{body}");
    let by_id = |id: &str| {
        body["responses"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(by_id("1")["body"]["value"][0]["id"], object["id"]);
    assert_eq!(by_id("1")["body"]["@odata.count"], 1);
    assert_eq!(by_id("2")["body"]["value"], Value::Array(vec![]));
    assert_eq!(
        by_id("3")["body"]["value"],
        Value::Array(vec![]),
        "no user holds it"
    );
}

/// Percent-encodes a query value the way a client would.
fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
