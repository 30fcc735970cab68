//! What the sandbox's tokens carry and what Graph does with it, over real HTTP: a random `uti`
//! per token, chosen app roles and directory roles (`wids`) for client credentials with the
//! role checks they drive, and national-cloud scope prefixes.

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use undelete_sandbox::{
    APP_ROLES, GLOBAL_ADMINISTRATOR, SandboxHandle, TokenSpec, USER_ADMINISTRATOR,
};

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT has a payload");
    serde_json::from_slice(&B64.decode(payload).expect("base64url")).expect("JSON claims")
}

async fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = client().post(url).form(form).send().await.expect("POST");
    let (status, _, body) = split(resp).await;
    (status, body)
}

async fn app_token_for(h: &SandboxHandle, scope: &str) -> (u16, Value) {
    post_form(
        &token_url(h),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "app-1"),
            ("client_secret", h.client_secret()),
            ("scope", scope),
        ],
    )
    .await
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

const STRONG: &str = "Corr3ct-Horse-Battery!";

#[tokio::test]
async fn tokens_minted_in_the_same_second_differ() {
    let (_dir, h) = start_sandbox(3).await;
    let mut seen = std::collections::HashSet::new();
    let mut utis = std::collections::HashSet::new();
    for _ in 0..5 {
        let t = app_token(&h).await;
        let c = claims(&t);
        let uti = c["uti"].as_str().expect("uti").to_string();
        assert!(uti.len() >= 16, "{uti}");
        utis.insert(uti);
        seen.insert(t);
    }
    assert_eq!(seen.len(), 5, "every token is different");
    assert_eq!(utis.len(), 5);
    // Tokens minted directly by tests carry one too.
    let a = h.inspect().issue_token(&TokenSpec::default());
    let b = h.inspect().issue_token(&TokenSpec::default());
    assert_ne!(a, b);
    assert_ne!(claims(&a)["uti"], claims(&b)["uti"]);
}

#[tokio::test]
async fn client_credentials_tokens_carry_the_configured_roles_and_wids() {
    let (_dir, h) = start_sandbox(3).await;
    let (status, body) = app_token_for(&h, "https://graph.microsoft.com/.default").await;
    assert_eq!(status, 200, "{body}");
    let c = claims(body["access_token"].as_str().expect("token"));
    assert_eq!(strings(&c["roles"]), APP_ROLES.to_vec());
    assert_eq!(strings(&c["wids"]), vec![USER_ADMINISTRATOR.to_string()]);

    let (_dir2, h2) = start_sandbox_with(3, |c| {
        c.app_roles(&["User.Read.All"])
            .directory_roles(&[GLOBAL_ADMINISTRATOR, USER_ADMINISTRATOR])
    })
    .await;
    let (status, body) = app_token_for(&h2, "https://graph.microsoft.com/.default").await;
    assert_eq!(status, 200, "{body}");
    let c = claims(body["access_token"].as_str().expect("token"));
    assert_eq!(strings(&c["roles"]), vec!["User.Read.All".to_string()]);
    assert_eq!(
        strings(&c["wids"]),
        vec![
            GLOBAL_ADMINISTRATOR.to_string(),
            USER_ADMINISTRATOR.to_string()
        ]
    );
    // Reading works; restoring needs a permission the token lacks.
    let token = body["access_token"].as_str().expect("token");
    let (status, _, body) = get(&graph(&h2, "users?$top=1"), token).await;
    assert_eq!(status, 200, "{body}");
    let id = h2.inspect().deleted_ids()[0].clone();
    let (status, _, body) = send(
        Method::POST,
        &graph(&h2, &format!("directory/deletedItems/{id}/restore")),
        token,
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_graph_error(&body, "Authorization_RequestDenied");
}

#[tokio::test]
async fn an_app_without_a_directory_role_restores_but_cannot_set_passwords() {
    let (_dir, h) = start_sandbox_with(5, |c| c.directory_roles(&[])).await;
    let token = app_token(&h).await;
    assert_eq!(claims(&token)["wids"], json!([]));
    let id = h.inspect().deleted_ids()[0].clone();
    let before = h.inspect().write_count();
    // The restore needs the app permission only...
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, &format!("directory/deletedItems/{id}/restore")),
        &token,
        Some(json!({"autoReconcileProxyConflict": true, "newUserPrincipalName": format!("r{}@contoso.sandbox", &id[..8])})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // ...the password reset also needs a role (User Administrator or another that may).
    let (status, _, body) = send(
        Method::PATCH,
        &graph(&h, &format!("users/{id}")),
        &token,
        Some(
            json!({"passwordProfile": {"password": STRONG, "forceChangePasswordNextSignIn": true}}),
        ),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_graph_error(&body, "Authorization_RequestDenied");
    assert!(!h.inspect().password_matches(&id, STRONG));
    assert_eq!(
        h.inspect().write_count(),
        before + 1,
        "a refused call costs no write"
    );

    // With the role, the same call works.
    let admin = h
        .inspect()
        .issue_token(&TokenSpec::default().wids(&[USER_ADMINISTRATOR]));
    let (status, _, body) = send(
        Method::PATCH,
        &graph(&h, &format!("users/{id}")),
        &admin,
        Some(json!({"passwordProfile": {"password": STRONG}})),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert!(h.inspect().password_matches(&id, STRONG));
}

#[tokio::test]
async fn a_delegated_caller_without_an_admin_role_cannot_restore_or_purge() {
    let (_dir, h) = start_sandbox(5).await;
    let scopes = [
        "User.Read.All",
        "User.DeleteRestore.All",
        "User-PasswordProfile.ReadWrite.All",
    ];
    let helpdesk = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
    let token = h
        .inspect()
        .issue_token(&TokenSpec::delegated(&h.admin_upn(), &scopes).wids(&[helpdesk]));
    let ids = h.inspect().deleted_ids();
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, &format!("directory/deletedItems/{}/restore", ids[0])),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = send(
        Method::DELETE,
        &graph(&h, &format!("directory/deletedItems/{}", ids[1])),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(h.inspect().is_deleted(&ids[0]) && h.inspect().is_deleted(&ids[1]));
    // A helpdesk administrator may reset passwords, though.
    let active = h
        .inspect()
        .active_ids()
        .into_iter()
        .find(|id| h.inspect().upn(id).as_deref() != Some(h.admin_upn().as_str()))
        .expect("an active user");
    let (status, _, body) = send(
        Method::PATCH,
        &graph(&h, &format!("users/{active}")),
        &token,
        Some(json!({"passwordProfile": {"password": STRONG}})),
    )
    .await;
    assert_eq!(status, 204, "{body}");
}

#[tokio::test]
async fn national_cloud_graph_resources_are_accepted_for_client_credentials() {
    let (_dir, h) = start_sandbox(3).await;
    for (scope, aud) in [
        (
            "https://graph.microsoft.us/.default",
            "https://graph.microsoft.us",
        ),
        (
            "https://dod-graph.microsoft.us/.default",
            "https://dod-graph.microsoft.us",
        ),
        (
            "https://microsoftgraph.chinacloudapi.cn/.default",
            "https://microsoftgraph.chinacloudapi.cn",
        ),
        (
            "https://graph.microsoft.com//.default",
            "https://graph.microsoft.com",
        ),
        (
            "00000003-0000-0000-c000-000000000000/.default",
            "https://graph.microsoft.com",
        ),
    ] {
        let (status, body) = app_token_for(&h, scope).await;
        assert_eq!(status, 200, "{scope}: {body}");
        let token = body["access_token"].as_str().expect("token");
        assert_eq!(claims(token)["aud"], aud, "{scope}");
        let (status, _, body) = get(&graph(&h, "users?$top=1"), token).await;
        assert_eq!(status, 200, "{scope}: {body}");
    }
    // The sandbox's own address (what `--graph-url` makes the app ask for) is Graph too.
    let own = format!("{}.default", h.base_url());
    let (status, body) = app_token_for(&h, &own).await;
    assert_eq!(status, 200, "{body}");
    // A resource the sandbox does not serve is unknown, as in Entra.
    let (status, body) = app_token_for(&h, "https://outlook.office365.com/.default").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_resource");
    assert_eq!(body["error_codes"][0], 500011);
}

async fn device_sign_in(h: &SandboxHandle, scope: &str) -> (u16, Value) {
    let dc_url = format!("{}contoso.sandbox/oauth2/v2.0/devicecode", h.base_url());
    let (status, dc) = post_form(&dc_url, &[("client_id", "cli"), ("scope", scope)]).await;
    if status != 200 {
        return (status, dc);
    }
    let code = dc["device_code"].as_str().expect("device code").to_string();
    let mut last = (0, Value::Null);
    for _ in 0..2 {
        last = post_form(
            &token_url(h),
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", "cli"),
                ("device_code", &code),
            ],
        )
        .await;
    }
    last
}

#[tokio::test]
async fn national_cloud_delegated_scopes_are_stripped_like_global_ones() {
    let (_dir, h) = start_sandbox(3).await;
    for prefix in [
        "https://graph.microsoft.us/",
        "https://dod-graph.microsoft.us/",
        "https://microsoftgraph.chinacloudapi.cn/",
        "https://graph.microsoft.com/",
    ] {
        let scope = format!(
            "{prefix}User.Read.All {prefix}User.DeleteRestore.All {prefix}Mail.Send offline_access"
        );
        let (status, body) = device_sign_in(&h, &scope).await;
        assert_eq!(status, 200, "{prefix}: {body}");
        assert_eq!(
            body["scope"], "User.Read.All User.DeleteRestore.All Mail.Send offline_access",
            "{prefix}"
        );
        let token = body["access_token"].as_str().expect("token");
        let c = claims(token);
        assert_eq!(c["scp"], "User.Read.All User.DeleteRestore.All Mail.Send");
        // The admin's directory role travels in delegated tokens too.
        assert_eq!(strings(&c["wids"]), vec![GLOBAL_ADMINISTRATOR.to_string()]);
        assert_eq!(c["aud"], prefix.trim_end_matches('/'));
        let (status, _, body) = get(&graph(&h, "me"), token).await;
        assert_eq!(status, 200, "{prefix}: {body}");
        assert_eq!(body["userPrincipalName"], h.admin_upn());
    }
    // Two clouds in one request are two resources: Entra refuses that up front.
    let (status, body) = device_sign_in(
        &h,
        "https://graph.microsoft.us/User.Read.All https://graph.microsoft.com/Mail.Send",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_scope");
    assert_eq!(body["error_codes"][0], 28000);
}
