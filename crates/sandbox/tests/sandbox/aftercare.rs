//! The sandbox's Temporary Access Passes, pass policy, licences, group memberships and usage
//! locations, over HTTP with Graph's shapes and refusals.

use crate::common::{self, get, get_eventual, graph, send};

use reqwest::Method;
use serde_json::json;
use undelete_sandbox::{APP_ROLES, SandboxHandle, TokenSpec};

/// Restores a user, dropping any address a user, group or contact took meanwhile: these tests
/// are about what comes after the restore.
async fn restore(h: &SandboxHandle, token: &str, id: &str) {
    let (st, _, body) = send(
        Method::POST,
        &graph(h, &format!("directory/deletedItems/{id}/restore")),
        token,
        Some(json!({"autoReconcileProxyConflict": true})),
    )
    .await;
    assert_eq!(st, 200, "{body}");
}

/// Deleted users that are not guests, by id.
fn members(h: &SandboxHandle) -> Vec<String> {
    let inspect = h.inspect();
    inspect
        .deleted_ids()
        .into_iter()
        .filter(|id| !inspect.upn(id).unwrap_or_default().contains("#EXT#"))
        .collect()
}

#[tokio::test]
async fn passes_are_issued_hashed_one_per_user_and_refused_outside_the_policy() {
    let (tmp, h) = common::start_sandbox(30).await;
    let token = common::app_token(&h).await;
    let (st, _, policy) = get(
        &graph(
            &h,
            "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
        ),
        &token,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(policy["state"], "enabled");
    assert_eq!(policy["defaultLifetimeInMinutes"], 60);
    assert_eq!(policy["minimumLifetimeInMinutes"], 60);
    assert_eq!(policy["maximumLifetimeInMinutes"], 480);

    let ids = members(&h);
    let (id, still_deleted) = (&ids[0], &ids[1]);
    restore(&h, &token, id).await;
    let url = graph(
        &h,
        &format!("users/{id}/authentication/temporaryAccessPassMethods"),
    );
    let body = json!({"lifetimeInMinutes": 120, "isUsableOnce": true});
    let (st, _, first) = send(Method::POST, &url, &token, Some(body.clone())).await;
    assert_eq!(st, 201, "{first}");
    let pass = first["temporaryAccessPass"]
        .as_str()
        .expect("the pass")
        .to_string();
    assert_eq!(first["lifetimeInMinutes"], 120);
    assert_eq!(first["isUsableOnce"], true);
    assert_eq!(first["isUsable"], true);
    let inspect = h.inspect();
    assert!(inspect.tap_matches(id, &pass));
    // Stored hashed: the pass is in no file of the store.
    for entry in std::fs::read_dir(tmp.path()).expect("data dir") {
        let bytes = std::fs::read(entry.expect("entry").path()).unwrap_or_default();
        assert!(
            !bytes.windows(pass.len()).any(|w| w == pass.as_bytes()),
            "the pass is stored in clear"
        );
    }
    // The list never carries the pass.
    let (st, _, list) = get(&url, &token).await;
    assert_eq!(st, 200);
    assert_eq!(list["value"].as_array().map(Vec::len), Some(1));
    assert!(list["value"][0]["temporaryAccessPass"].is_null());

    // A second pass replaces the first.
    let (st, _, second) = send(Method::POST, &url, &token, Some(body)).await;
    assert_eq!(st, 201);
    let pass2 = second["temporaryAccessPass"].as_str().unwrap().to_string();
    assert!(inspect.tap_matches(id, &pass2));
    assert!(pass == pass2 || !inspect.tap_matches(id, &pass));
    assert_eq!(inspect.taps(id).0, 1);

    // Lifetimes outside Graph's bounds, then outside the policy's.
    let (st, _, e) = send(
        Method::POST,
        &url,
        &token,
        Some(json!({"lifetimeInMinutes": 5})),
    )
    .await;
    assert_eq!(st, 400);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("10 and 43200"),
        "{e}"
    );
    let (st, _, e) = send(
        Method::POST,
        &url,
        &token,
        Some(json!({"lifetimeInMinutes": 600})),
    )
    .await;
    assert_eq!(st, 400);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("60 to 480"),
        "{e}"
    );

    // Delete it.
    let method = second["id"].as_str().unwrap();
    let (st, _, _) = send(Method::DELETE, &format!("{url}/{method}"), &token, None).await;
    assert_eq!(st, 204);
    assert_eq!(inspect.taps(id).0, 0);

    // Not for a deleted user; not without the permission.
    let gone = graph(
        &h,
        &format!("users/{still_deleted}/authentication/temporaryAccessPassMethods"),
    );
    let (st, _, _) = send(Method::POST, &gone, &token, Some(json!({}))).await;
    assert_eq!(st, 404);
    let roles: Vec<&str> = APP_ROLES
        .iter()
        .copied()
        .filter(|r| *r != "UserAuthenticationMethod.ReadWrite.All")
        .collect();
    let weak = inspect.issue_token(&TokenSpec::app(&roles));
    let (st, _, e) = send(Method::POST, &url, &weak, Some(json!({}))).await;
    assert_eq!(st, 403, "{e}");
}

#[tokio::test]
async fn a_disabled_policy_refuses_passes() {
    let (_tmp, h) = common::start_sandbox_with(20, |c| c.tap_policy(false)).await;
    let token = common::app_token(&h).await;
    let (_, _, policy) = get(
        &graph(
            &h,
            "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
        ),
        &token,
    )
    .await;
    assert_eq!(policy["state"], "disabled");
    let id = &members(&h)[0];
    restore(&h, &token, id).await;
    let url = graph(
        &h,
        &format!("users/{id}/authentication/temporaryAccessPassMethods"),
    );
    let (st, _, e) = send(Method::POST, &url, &token, Some(json!({}))).await;
    assert_eq!(st, 400);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("disabled"),
        "{e}"
    );
}

#[tokio::test]
async fn licences_seats_groups_and_usage_locations_come_back_with_the_user() {
    let (_tmp, h) = common::start_sandbox(120).await;
    let token = common::app_token(&h).await;
    let inspect = h.inspect();
    let (st, _, skus) = get(&graph(&h, "subscribedSkus"), &token).await;
    assert_eq!(st, 200);
    let skus = skus["value"].as_array().expect("SKUs").clone();
    assert_eq!(skus.len(), 4);
    let e5 = skus
        .iter()
        .find(|s| s["skuPartNumber"] == "SPE_E5")
        .expect("E5");
    let free = |s: &serde_json::Value| {
        s["prepaidUnits"]["enabled"].as_i64().unwrap() - s["consumedUnits"].as_i64().unwrap()
    };
    assert!(free(e5) <= 0, "one SKU is exhausted");

    let ids = members(&h);
    assert!(
        ids.iter()
            .any(|id| inspect.account_enabled(id) == Some(false)),
        "some deleted users are disabled"
    );
    assert!(
        ids.iter()
            .any(|id| inspect.usage_location(id).is_none() && !inspect.licence_parts(id).is_empty()),
        "some licensed users have no usage location"
    );
    let holder = ids
        .iter()
        .find(|id| inspect.licence_parts(id).contains(&"SPE_E5".to_string()))
        .expect("a deleted E5 holder");
    // A deleted user has no licence details to read.
    let (st, _, _) = get(
        &graph(&h, &format!("users/{holder}/licenseDetails")),
        &token,
    )
    .await;
    assert_eq!(st, 404);
    restore(&h, &token, holder).await;
    let (st, _, details) = get(
        &graph(&h, &format!("users/{holder}/licenseDetails")),
        &token,
    )
    .await;
    assert_eq!(st, 200);
    assert!(
        details["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["skuPartNumber"] == "SPE_E5"),
        "{details}"
    );
    let (_, _, user) = get(
        &graph(
            &h,
            &format!("users/{holder}?$select=id,usageLocation,assignedLicenses,accountEnabled"),
        ),
        &token,
    )
    .await;
    assert!(
        user["assignedLicenses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["skuId"] == e5["skuId"])
    );
    assert!(user.get("usageLocation").is_some(), "{user}");
    let (_, _, skus) = get(&graph(&h, "subscribedSkus"), &token).await;
    let after = skus["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["skuPartNumber"] == "SPE_E5")
        .unwrap()
        .clone();
    assert_eq!(free(&after), free(e5) - 1, "the restore took a seat");

    let (st, _, groups) = get(&graph(&h, &format!("users/{holder}/memberOf")), &token).await;
    assert_eq!(st, 200);
    let n = groups["value"].as_array().unwrap().len();
    assert!(n >= 1);
    let count_url = graph(&h, &format!("users/{holder}/memberOf/$count"));
    let (st, _, e) = get(&count_url, &token).await;
    assert_eq!(st, 400, "$count needs ConsistencyLevel: {e}");
    let (st, headers, count) = get_eventual(&count_url, &token).await;
    assert_eq!(st, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(count.as_u64(), Some(n as u64));
}
