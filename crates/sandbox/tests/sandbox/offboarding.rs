//! What an offboarding took, as the sandbox's audit log records it before some seeded
//! deletions, and the directory agreeing with it; the groups it names and the mailbox, over
//! HTTP.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, get, graph, send};

/// Every audit record naming `id` as a target, oldest first.
async fn records_of(h: &undelete_sandbox::SandboxHandle, token: &str, id: &str) -> Vec<Value> {
    let filter = format!(
        "targetResources/any(t:t/id eq '{id}') and activityDateTime ge 2000-01-01T00:00:00Z"
    );
    let url = format!(
        "{}?$filter={}&$orderby=activityDateTime%20asc&$top=999",
        graph(h, "auditLogs/directoryAudits"),
        url_escape(&filter)
    );
    let (st, _, body) = get(&url, token).await;
    assert_eq!(st, 200, "{body}");
    body["value"].as_array().cloned().unwrap_or_default()
}

fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn activity(r: &Value) -> &str {
    r["activityDisplayName"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn offboarding_is_recorded_before_some_deletions_and_the_directory_agrees() {
    let (_tmp, h) = common::start_sandbox(60).await;
    let token = common::app_token(&h).await;
    let inspect = h.inspect();
    let mut offboarded = Vec::new();
    for id in inspect.deleted_ids() {
        let records = records_of(&h, &token, &id).await;
        if records.iter().any(|r| activity(r) == "Disable account") {
            offboarded.push((id, records));
        }
    }
    assert!(
        offboarded.len() >= 5,
        "only {} offboarded",
        offboarded.len()
    );
    let mut roles = 0;
    let mut put_back = 0;
    for (id, records) in &offboarded {
        // Oldest first, and all before the deletion, which is last.
        let times: Vec<&str> = records
            .iter()
            .map(|r| r["activityDateTime"].as_str().unwrap())
            .collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted);
        assert_eq!(activity(records.last().unwrap()), "Delete user", "{id}");
        let by_hr = records
            .iter()
            .filter(|r| r["initiatedBy"]["app"]["displayName"] == "HR Offboarding Automation")
            .count();
        assert!(by_hr >= 2, "{id}: {by_hr}");
        for r in records
            .iter()
            .filter(|r| activity(r) == "Remove member from group")
        {
            let user = &r["targetResources"][0];
            assert_eq!(
                user["id"].as_str().unwrap().to_lowercase(),
                id.to_lowercase()
            );
            let props = user["modifiedProperties"].as_array().unwrap();
            let old: String = serde_json::from_str(
                props
                    .iter()
                    .find(|p| p["displayName"] == "Group.ObjectID")
                    .unwrap()["oldValue"]
                    .as_str()
                    .unwrap(),
            )
            .expect("a JSON-encoded string, as Entra writes it");
            assert_eq!(r["targetResources"][1]["type"], "Group");
            assert_eq!(r["targetResources"][1]["id"], old.as_str());
            // The group is there to look up, by the id the record names.
            let (st, _, g) = get(&graph(&h, &format!("groups/{old}")), &token).await;
            assert_eq!(st, 200, "{g}");
        }
        roles += records
            .iter()
            .filter(|r| activity(r) == "Remove member from role")
            .count();
        put_back += records
            .iter()
            .filter(|r| activity(r) == "Add member to group")
            .count();
        // What was taken is gone from the user: sign-in blocked.
        let (st, _, u) = get(
            &graph(
                &h,
                &format!("directory/deletedItems/{id}?$select=id,accountEnabled"),
            ),
            &token,
        )
        .await;
        assert_eq!(st, 200, "{u}");
        assert_eq!(u["accountEnabled"], false, "{id}");
    }
    assert!(
        roles >= 1,
        "a role removal among {} users",
        offboarded.len()
    );
    assert!(
        put_back >= 1,
        "a group put back among {} users",
        offboarded.len()
    );

    // Restored, the user holds none of the licences the records say were taken.
    let (id, records) = &offboarded[0];
    let (st, _, body) = send(
        Method::POST,
        &graph(&h, &format!("directory/deletedItems/{id}/restore")),
        &token,
        Some(json!({"autoReconcileProxyConflict": true})),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let (st, _, held) = get(&graph(&h, &format!("users/{id}/licenseDetails")), &token).await;
    assert_eq!(st, 200);
    let held: HashSet<String> = held["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["skuId"].as_str().unwrap().to_string())
        .collect();
    for r in records.iter().filter(|r| activity(r) == "Update user") {
        for p in r["targetResources"][0]["modifiedProperties"]
            .as_array()
            .unwrap()
        {
            if p["displayName"] == "AssignedLicense" {
                let old: Vec<String> =
                    serde_json::from_str(p["oldValue"].as_str().unwrap()).unwrap();
                for l in old {
                    let sku = l.split("SkuId=").nth(1).unwrap().split(',').next().unwrap();
                    assert!(!held.contains(sku), "{sku} was taken");
                }
            }
        }
    }
}

#[tokio::test]
async fn a_mailbox_is_there_for_a_user_with_exchange_and_graph_s_404_otherwise() {
    // Enough active users that some hold no licence with Exchange.
    let (_tmp, h) = common::start_sandbox(200).await;
    let token = common::app_token(&h).await;
    let inspect = h.inspect();
    let admin = h.admin_upn();
    let (mut with, mut without) = (0, 0);
    for id in inspect.active_ids() {
        if inspect
            .upn(&id)
            .is_some_and(|u| u.eq_ignore_ascii_case(&admin))
        {
            continue;
        }
        let (_, _, licences) = get(&graph(&h, &format!("users/{id}/licenseDetails")), &token).await;
        let exchange = licences["value"].as_array().unwrap().iter().any(|l| {
            l["servicePlans"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["servicePlanName"] == "EXCHANGE_S_ENTERPRISE")
        });
        let (st, _, body) = get(&graph(&h, &format!("users/{id}/mailboxSettings")), &token).await;
        if exchange {
            assert_eq!(st, 200, "{body}");
            assert!(body["timeZone"].is_string());
            with += 1;
        } else {
            assert_eq!(st, 404, "{body}");
            common::assert_graph_error(&body, "MailboxNotEnabledForRESTAPI");
            without += 1;
        }
    }
    assert!(with > 0 && without > 0, "{with} with, {without} without");
    // Without MailboxSettings.Read: refused, as Graph does.
    let weak = inspect.issue_token(&undelete_sandbox::TokenSpec::app(&["User.Read.All"]));
    let id = inspect.active_ids()[0].clone();
    let (st, _, _) = get(&graph(&h, &format!("users/{id}/mailboxSettings")), &weak).await;
    assert_eq!(st, 403);
}
