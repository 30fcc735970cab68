//! Restore, purge, password, soft delete and mail over real HTTP.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use undelete_sandbox::TokenSpec;

#[tokio::test]
async fn restore_brings_the_user_back_under_the_original_upn() {
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    let all = all_deleted(&h, &token).await;
    let (upns, proxies) = active_names(&h, &token).await;
    let u = *restorable(&all, &upns, &proxies)
        .first()
        .expect("a user without conflicts");
    let id = u["id"].as_str().expect("id");
    let url = graph(&h, &format!("directory/deletedItems/{id}/restore"));
    // No body at all is allowed.
    let resp = client()
        .post(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("POST");
    let (status, headers, body) = split(resp).await;
    assert_eq!(status, 200, "{body}");
    assert!(headers.contains_key("request-id"));
    assert_eq!(body["id"], id);
    assert_eq!(body["userPrincipalName"], original_upn(u).as_str());
    assert_eq!(body["@odata.type"], "#microsoft.graph.user");
    assert!(h.inspect().is_active(id));
    assert!(!h.inspect().is_deleted(id));
    assert_eq!(h.inspect().write_count(), 1);
    // It is now found among the active users, and no longer in the deleted items.
    let (status, _, _) = get(&graph(&h, &format!("users/{}", original_upn(u))), &token).await;
    assert_eq!(status, 200);
    let (status, _, body) = send(Method::POST, &url, &token, Some(json!({}))).await;
    assert_eq!(status, 404);
    assert_graph_error(&body, "Request_ResourceNotFound");
    let (status, _, body) = send(
        Method::POST,
        &graph(
            &h,
            "directory/deletedItems/11111111-1111-1111-1111-111111111111/restore",
        ),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_graph_error(&body, "Request_ResourceNotFound");
}

#[tokio::test]
async fn upn_conflict_then_new_upn_and_proxy_reconcile() {
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    let all = all_deleted(&h, &token).await;
    let (upns, _) = active_names(&h, &token).await;
    let u = all
        .iter()
        .find(|u| upns.contains(&original_upn(u).to_lowercase()))
        .expect("a user whose UPN is taken");
    let id = u["id"].as_str().expect("id");
    let url = graph(&h, &format!("directory/deletedItems/{id}/restore"));
    let (status, _, body) = send(Method::POST, &url, &token, None).await;
    assert_eq!(status, 400, "{body}");
    assert_graph_error(&body, "Request_BadRequest");
    assert_eq!(
        body["error"]["message"],
        "Another object with the same value for property userPrincipalName already exists."
    );
    assert_eq!(body["error"]["details"][0]["code"], "ObjectConflict");
    assert_eq!(body["error"]["details"][0]["target"], "userPrincipalName");
    assert!(h.inspect().is_deleted(id));

    // A foreign domain is refused.
    let (status, _, body) = send(
        Method::POST,
        &url,
        &token,
        Some(json!({"newUserPrincipalName": "x@elsewhere.com"})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("domain portion")
    );

    // The new hire also holds the old primary SMTP address: a proxy conflict, unless reconciled.
    let new_upn = format!("restored.{}@contoso.sandbox", &id[..8]);
    let (status, _, body) = send(
        Method::POST,
        &url,
        &token,
        Some(json!({"newUserPrincipalName": new_upn})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"][0]["target"], "proxyAddresses");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("proxyAddresses")
    );
    let before = h.inspect().proxy_addresses(id);
    let (status, _, body) = send(
        Method::POST,
        &url,
        &token,
        Some(json!({"newUserPrincipalName": new_upn, "autoReconcileProxyConflict": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userPrincipalName"], new_upn.as_str());
    assert!(h.inspect().is_active(id));
    let after = h.inspect().proxy_addresses(id);
    assert!(
        after.len() < before.len(),
        "conflicting addresses dropped: {before:?} -> {after:?}"
    );
    assert!(
        after
            .iter()
            .all(|p| !p.eq_ignore_ascii_case(&format!("smtp:{}", original_upn(u))))
    );
}

#[tokio::test]
async fn proxy_conflict_without_upn_conflict() {
    let (_dir, h) = start_sandbox(30).await;
    let token = app_token(&h).await;
    let all = all_deleted(&h, &token).await;
    let (upns, proxies) = active_names(&h, &token).await;
    let u = all
        .iter()
        .find(|u| {
            !upns.contains(&original_upn(u).to_lowercase())
                && u["proxyAddresses"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| proxies.contains(&p.as_str().unwrap_or("").to_lowercase()))
        })
        .expect("a proxy conflict");
    let id = u["id"].as_str().expect("id");
    let url = graph(&h, &format!("directory/deletedItems/{id}/restore"));
    let (status, _, body) = send(
        Method::POST,
        &url,
        &token,
        Some(json!({"autoReconcileProxyConflict": false})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "Request_BadRequest");
    assert_eq!(body["error"]["details"][0]["code"], "ObjectConflict");
    assert_eq!(body["error"]["details"][0]["target"], "proxyAddresses");
    let (status, _, body) = send(
        Method::POST,
        &url,
        &token,
        Some(json!({"autoReconcileProxyConflict": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userPrincipalName"], original_upn(u).as_str());
}

#[tokio::test]
async fn purge_removes_for_good() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let id = h.inspect().deleted_ids()[3].clone();
    let url = graph(&h, &format!("directory/deletedItems/{id}"));
    let (status, _, body) = send(Method::DELETE, &url, &token, None).await;
    assert_eq!(status, 204);
    assert_eq!(body, Value::Null);
    assert!(!h.inspect().exists(&id));
    let (status, _, body) = send(Method::DELETE, &url, &token, None).await;
    assert_eq!(status, 404);
    assert_graph_error(&body, "Request_ResourceNotFound");
    let (status, _, _) = send(Method::POST, &format!("{url}/restore"), &token, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn password_profile_patch() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let id = h.inspect().active_ids()[0].clone();
    let url = graph(&h, &format!("users/{id}"));
    let good = "Vq7#mKp2xLw9!zRt";
    let body = json!({"passwordProfile": {"password": good, "forceChangePasswordNextSignIn": true, "forceChangePasswordNextSignInWithMfa": false}});
    let (status, _, resp) = send(Method::PATCH, &url, &token, Some(body)).await;
    assert_eq!(status, 204, "{resp}");
    assert_eq!(resp, Value::Null, "the password is never echoed");
    assert!(h.inspect().password_matches(&id, good));
    assert!(!h.inspect().password_matches(&id, "something else"));

    for weak in [
        "short1A",
        "alllowercaseletters",
        "Password123!",
        "Contoso#2026",
        "Ünïcode#123abc",
    ] {
        let body =
            json!({"passwordProfile": {"password": weak, "forceChangePasswordNextSignIn": true}});
        let (status, _, resp) = send(Method::PATCH, &url, &token, Some(body)).await;
        assert_eq!(status, 400, "{weak}");
        assert_graph_error(&resp, "Request_BadRequest");
        assert!(
            resp["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("password complexity"),
            "{resp}"
        );
    }
    assert!(
        h.inspect().password_matches(&id, good),
        "a refused change changes nothing"
    );

    let (status, _, resp) = send(
        Method::PATCH,
        &graph(&h, "users/22222222-2222-2222-2222-222222222222"),
        &token,
        Some(json!({"passwordProfile": {"password": good}})),
    )
    .await;
    assert_eq!(status, 404);
    assert_graph_error(&resp, "Request_ResourceNotFound");
    // A deleted user cannot have its password set before it is restored.
    let deleted = h.inspect().deleted_ids()[0].clone();
    let (status, _, _) = send(
        Method::PATCH,
        &graph(&h, &format!("users/{deleted}")),
        &token,
        Some(json!({"passwordProfile": {"password": good}})),
    )
    .await;
    assert_eq!(status, 404);
    let resp = client()
        .patch(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("PATCH");
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn soft_delete_moves_a_user_to_deleted_items() {
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let (_, _, body) = get(&graph(&h, "users?$top=999"), &token).await;
    let victim = body["value"]
        .as_array()
        .expect("value")
        .iter()
        .find(|u| u["userPrincipalName"] != h.admin_upn().as_str())
        .cloned()
        .expect("a non-admin user");
    let id = victim["id"].as_str().expect("id");
    let upn = victim["userPrincipalName"].as_str().expect("upn");
    let (status, _, _) = send(
        Method::DELETE,
        &graph(&h, &format!("users/{id}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(h.inspect().is_deleted(id));
    let (status, _, body) = get(
        &graph(
            &h,
            &format!("directory/deletedItems/{id}?$select=id,userPrincipalName,deletedDateTime"),
        ),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["userPrincipalName"],
        format!("{}{upn}", id.replace('-', "")).as_str()
    );
    let deleted_at =
        chrono::DateTime::parse_from_rfc3339(body["deletedDateTime"].as_str().expect("date"))
            .expect("RFC 3339");
    assert!(
        (chrono::Utc::now() - deleted_at.with_timezone(&chrono::Utc))
            .num_seconds()
            .abs()
            < 60
    );
    let (status, _, _) = send(
        Method::DELETE,
        &graph(&h, &format!("users/{id}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 404);
    // And it comes back.
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, &format!("directory/deletedItems/{id}/restore")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userPrincipalName"], upn);
}

#[tokio::test]
async fn send_mail_as_app_and_as_me() {
    let (_dir, h) = start_sandbox(10).await;
    let app = app_token(&h).await;
    let message = |to: Value| {
        json!({
            "message": {
                "subject": "Your account is back",
                "body": {"contentType": "Text", "content": "Hello.\nPassword: Vq7#mKp2"},
                "toRecipients": to,
            },
            "saveToSentItems": false
        })
    };
    let url = graph(&h, &format!("users/{}/sendMail", h.admin_upn()));
    let (status, _, body) = send(Method::POST, &url, &app, Some(message(json!([{"emailAddress": {"address": "helpdesk@contoso.sandbox"}}, {"emailAddress": {"address": "a.b@fabrikam.com"}}])))).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body, Value::Null);
    let outbox = h.inspect().outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].from, h.admin_upn());
    assert_eq!(
        outbox[0].to,
        vec!["helpdesk@contoso.sandbox", "a.b@fabrikam.com"]
    );
    assert_eq!(outbox[0].subject, "Your account is back");
    assert_eq!(outbox[0].content_type, "Text");
    assert!(!outbox[0].save_to_sent_items);

    let (status, _, body) = send(Method::POST, &url, &app, Some(message(json!([])))).await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "ErrorInvalidRecipients");
    let (status, _, body) = send(
        Method::POST,
        &url,
        &app,
        Some(message(
            json!([{"emailAddress": {"address": "not an address"}}]),
        )),
    )
    .await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "ErrorInvalidRecipients");
    let (status, _, _) = send(
        Method::POST,
        &url,
        &app,
        Some(json!({"saveToSentItems": true})),
    )
    .await;
    assert_eq!(status, 400);
    let mut html = message(json!([{"emailAddress": {"address": "x@y.com"}}]));
    html["message"]["body"]["contentType"] = json!("Markdown");
    let (status, _, _) = send(Method::POST, &url, &app, Some(html)).await;
    assert_eq!(status, 400);
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, "users/ghost@contoso.sandbox/sendMail"),
        &app,
        Some(message(json!([{"emailAddress": {"address": "x@y.com"}}]))),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    // /me/sendMail is for delegated tokens only.
    let (status, _, _) = send(
        Method::POST,
        &graph(&h, "me/sendMail"),
        &app,
        Some(message(json!([{"emailAddress": {"address": "x@y.com"}}]))),
    )
    .await;
    assert_eq!(status, 400);

    let me = h.inspect().issue_token(&TokenSpec::delegated(
        &h.admin_upn(),
        &["Mail.Send", "User.Read"],
    ));
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, "me/sendMail"),
        &me,
        Some(message(json!([{"emailAddress": {"address": "x@y.com"}}]))),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(h.inspect().outbox().len(), 2);
    assert_eq!(h.inspect().outbox()[1].from, h.admin_upn());
    // Reads and mail are not directory writes.
    assert_eq!(h.inspect().write_count(), 0);
}

#[tokio::test]
async fn permissions_are_enforced() {
    let (_dir, h) = start_sandbox(10).await;
    let id = h.inspect().deleted_ids()[0].clone();
    let read_only = h.inspect().issue_token(&TokenSpec::app(&["User.Read.All"]));
    let (status, _, _) = get(
        &graph(&h, "directory/deletedItems/microsoft.graph.user"),
        &read_only,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, &format!("directory/deletedItems/{id}/restore")),
        &read_only,
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert_graph_error(&body, "Authorization_RequestDenied");
    let (status, _, _) = send(
        Method::PATCH,
        &graph(&h, &format!("users/{}", h.admin_upn())),
        &read_only,
        Some(json!({"passwordProfile": {"password": "Vq7#mKp2xLw9!zRt"}})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = send(
        Method::POST,
        &graph(&h, &format!("users/{}/sendMail", h.admin_upn())),
        &read_only,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 403);
    assert!(h.inspect().is_deleted(&id));
    // A delegated caller may only send as itself.
    let me = h
        .inspect()
        .issue_token(&TokenSpec::delegated(&h.admin_upn(), &["Mail.Send"]));
    let other = h
        .inspect()
        .active_ids()
        .into_iter()
        .find(|a| h.inspect().upn(a) != Some(h.admin_upn()))
        .expect("another user");
    let msg = json!({"message": {"subject": "s", "body": {"contentType": "Text", "content": "c"}, "toRecipients": [{"emailAddress": {"address": "x@y.com"}}]}});
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, &format!("users/{other}/sendMail")),
        &me,
        Some(msg),
    )
    .await;
    assert_eq!(status, 403, "{body}");
}

fn password_body(pw: &str) -> Value {
    json!({"passwordProfile": {"password": pw, "forceChangePasswordNextSignIn": true}})
}

/// A test can make password steps fail while a client runs, then stop it, without a restart.
#[tokio::test]
async fn password_sets_fail_while_switched_on_then_succeed() {
    use undelete_sandbox::PasswordFault;
    let (_dir, h) = start_sandbox(10).await;
    let token = app_token(&h).await;
    let ids = h.inspect().active_ids();
    let (a, b) = (ids[1].clone(), ids[2].clone());
    let url = graph(&h, &format!("users/{a}"));
    let (first, second) = ("Vq7#mKp2xLw9!zRt", "Hb4$tNw8qZe2^sLm");

    h.fail_next_password_sets(2, PasswordFault::ServerError);
    for left in [1, 0] {
        let (status, _, resp) = send(Method::PATCH, &url, &token, Some(password_body(first))).await;
        assert_eq!(status, 500, "{resp}");
        assert_graph_error(&resp, "generalException");
        assert_eq!(h.inspect().password_faults_left(), left);
    }
    assert!(!h.inspect().password_matches(&a, first), "nothing changed");
    // A PATCH without a password is not a password set: it neither fails nor uses one up.
    h.fail_next_password_sets(1, PasswordFault::Refuse);
    let (status, _, resp) = send(
        Method::PATCH,
        &url,
        &token,
        Some(json!({"accountEnabled": true})),
    )
    .await;
    assert_eq!(status, 204, "{resp}");
    assert_eq!(h.inspect().password_faults_left(), 1);
    // Refuse: the 400 Entra gives a password it will not take, for a password it would.
    let (status, _, resp) = send(Method::PATCH, &url, &token, Some(password_body(first))).await;
    assert_eq!(status, 400, "{resp}");
    assert_graph_error(&resp, "Request_BadRequest");
    assert!(
        resp["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("does not comply with password complexity requirements")),
        "{resp}"
    );
    assert!(!h.inspect().password_matches(&a, first));
    // Exhausted: the next one goes through.
    let (status, _, resp) = send(Method::PATCH, &url, &token, Some(password_body(first))).await;
    assert_eq!(status, 204, "{resp}");
    assert!(h.inspect().password_matches(&a, first));

    // On until stopped with n = 0.
    h.fail_next_password_sets(u32::MAX, PasswordFault::ServerError);
    let (status, _, _) = send(Method::PATCH, &url, &token, Some(password_body(second))).await;
    assert_eq!(status, 500);
    h.fail_next_password_sets(0, PasswordFault::ServerError);
    let (status, _, resp) = send(Method::PATCH, &url, &token, Some(password_body(second))).await;
    assert_eq!(status, 204, "{resp}");
    assert!(h.inspect().password_matches(&a, second));

    // Inside $batch each inner password set meets the switch on its own.
    h.fail_next_password_sets(1, PasswordFault::ServerError);
    let batch = json!({"requests": [
        {"id": "a", "method": "PATCH", "url": format!("/users/{a}"), "body": password_body(first),
         "headers": {"Content-Type": "application/json"}},
        {"id": "b", "method": "PATCH", "url": format!("/users/{b}"), "body": password_body(first),
         "headers": {"Content-Type": "application/json"}},
    ]});
    let (status, _, resp) = send(Method::POST, &graph(&h, "$batch"), &token, Some(batch)).await;
    assert_eq!(status, 200, "{resp}");
    let mut statuses: Vec<u64> = resp["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|r| r["status"].as_u64().unwrap_or(0))
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 500], "{resp}");
    let failed = resp["responses"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["status"] == 500)
        .expect("one failed");
    assert_graph_error(&failed["body"], "generalException");
    let set = [&a, &b]
        .iter()
        .filter(|id| h.inspect().password_matches(id, first))
        .count();
    assert_eq!(
        set, 1,
        "exactly the one that succeeded has the new password"
    );
    assert_eq!(h.inspect().password_faults_left(), 0);
}

/// The tenant's name (the first label of its verified domains) is banned, as Entra's banned
/// password list does for a tenant, and judged alike by PATCH and validatePassword.
#[tokio::test]
async fn the_tenant_name_is_banned_and_validate_password_agrees_with_patch() {
    let (_dir, h) = start_sandbox(10).await;
    let app = app_token(&h).await;
    let tenant = h.domain().split('.').next().expect("label").to_string();
    let delegated = h
        .inspect()
        .issue_token(&TokenSpec::delegated(&h.admin_upn(), &["User.ReadWrite"]));
    let id = h.inspect().active_ids()[1].clone();
    let capitalised = format!("{}{}", tenant[..1].to_uppercase(), &tenant[1..]);
    for (pw, ok) in [
        (format!("{capitalised}#2026x"), false),
        (format!("My{}Pass#9", tenant.to_uppercase()), false),
        (tenant.replace('o', "0") + "#A2026", false),
        ("Fabr1kam-Blue#42".to_string(), true),
        ("short1A".to_string(), false),
        ("Password123!".to_string(), false),
        ("Vq7#mKp2xLw9!zRt".to_string(), true),
    ] {
        let (status, _, resp) = send(
            Method::POST,
            &format!("{}beta/users/validatePassword", h.base_url()),
            &delegated,
            Some(json!({"password": pw})),
        )
        .await;
        assert_eq!(status, 200, "{pw}: {resp}");
        assert_eq!(resp["isValid"], ok, "{pw}: {resp}");
        let (status, _, resp) = send(
            Method::PATCH,
            &graph(&h, &format!("users/{id}")),
            &app,
            Some(password_body(&pw)),
        )
        .await;
        assert_eq!(status, if ok { 204 } else { 400 }, "{pw}: {resp}");
    }
}

/// `POST /beta/users/validatePassword`
/// (https://learn.microsoft.com/graph/api/user-validatepassword?view=graph-rest-beta): 200 with
/// a passwordValidationInformation; delegated only (User.ReadWrite, User.ReadWrite.All).
#[tokio::test]
async fn validate_password_answers_like_graph_beta() {
    let (_dir, h) = start_sandbox(10).await;
    let url = format!("{}beta/users/validatePassword", h.base_url());
    let delegated = |scopes: &[&str]| {
        h.inspect()
            .issue_token(&TokenSpec::delegated(&h.admin_upn(), scopes))
    };
    let token = delegated(&["User.ReadWrite"]);
    let (status, _, body) = send(
        Method::POST,
        &url,
        &token,
        Some(json!({"password": "Vq7#mKp2xLw9!zRt"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["@odata.context"],
        format!(
            "{}beta/$metadata#microsoft.graph.passwordValidationInformation",
            h.base_url()
        )
        .as_str()
    );
    assert_eq!(body["isValid"], true);
    let results = body["validationResults"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        assert!(r["ruleName"].as_str().is_some_and(|n| !n.is_empty()), "{r}");
        assert_eq!(r["validationPassed"], true, "{r}");
        assert!(r["message"].as_str().is_some(), "{r}");
    }

    // The documented example: "1234567890" fails complexity.
    let (status, _, body) = send(
        Method::POST,
        &url,
        &delegated(&["User.ReadWrite.All"]),
        Some(json!({"password": "1234567890"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["isValid"], false);
    let complexity = body["validationResults"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["ruleName"] == "password_not_meet_complexity")
        .expect("complexity rule");
    assert_eq!(complexity["validationPassed"], false);
    assert_eq!(
        complexity["message"],
        "Password does not meet complexity requirements."
    );

    // Application permissions are "Not supported": an app-only token gets 403.
    let app = app_token(&h).await;
    let (status, _, body) = send(Method::POST, &url, &app, Some(json!({"password": "x"}))).await;
    assert_eq!(status, 403, "{body}");
    assert_graph_error(&body, "Authorization_RequestDenied");
    // Delegated without User.ReadWrite(.All): 403; no token: 401; no password: 400.
    let (status, _, body) = send(
        Method::POST,
        &url,
        &delegated(&["User.Read.All", "User-PasswordProfile.ReadWrite.All"]),
        Some(json!({"password": "x"})),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = send(Method::POST, &url, "", Some(json!({"password": "x"}))).await;
    assert_eq!(status, 401, "{body}");
    assert_graph_error(&body, "InvalidAuthenticationToken");
    let (status, _, body) = send(Method::POST, &url, &token, Some(json!({"pass": "x"}))).await;
    assert_eq!(status, 400, "{body}");
    assert_graph_error(&body, "BadRequest");
    // Everything else under /beta/ answers as under /v1.0/ (here: the token may not list users).
    let (beta, _, body) = get(&format!("{}beta/users", h.base_url()), &token).await;
    let (v1, _, _) = get(&graph(&h, "users"), &token).await;
    assert_eq!(beta, v1, "{body}");
    assert!(
        body["error"]["code"].is_string() || body["value"].is_array(),
        "{body}"
    );
}

/// A new UPN may use any verified domain of the tenant (`GET /domains`), not an unverified one.
#[tokio::test]
async fn a_new_upn_must_be_in_a_verified_domain() {
    let (_dir, h) = start_sandbox(20).await;
    let token = app_token(&h).await;
    let (_, _, domains) = get(&graph(&h, "domains"), &token).await;
    let domains = domains["value"].as_array().expect("domains").clone();
    let find = |pred: &dyn Fn(&Value) -> bool| {
        domains
            .iter()
            .find(|d| pred(d))
            .and_then(|d| d["id"].as_str())
            .expect("domain")
            .to_string()
    };
    let initial = find(&|d| d["isInitial"] == true);
    let unverified = find(&|d| d["isVerified"] == false);
    let id = h.inspect().deleted_ids()[0].clone();
    let restore = graph(&h, &format!("directory/deletedItems/{id}/restore"));
    let (status, _, body) = send(
        Method::POST,
        &restore,
        &token,
        Some(
            json!({"newUserPrincipalName": format!("moved.user@{unverified}"),
                    "autoReconcileProxyConflict": true}),
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_graph_error(&body, "Request_BadRequest");
    assert!(h.inspect().is_deleted(&id));
    let upn = format!("moved.user@{initial}");
    let (status, _, body) = send(
        Method::POST,
        &restore,
        &token,
        Some(json!({"newUserPrincipalName": upn, "autoReconcileProxyConflict": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.inspect().upn(&id).as_deref(), Some(upn.as_str()));
}
