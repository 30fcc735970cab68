//! Azure Resource Manager, as little as `az login` reads (issue 24, item 3): tokens for its
//! resource ids, and its tenant and subscription lists. Azure CLI's login asks for
//! `https://management.core.windows.net//.default`, lists tenants
//! (learn.microsoft.com/rest/api/resources/tenants/list) and each tenant's subscriptions
//! (learn.microsoft.com/rest/api/resources/subscriptions/list), then reaches Graph with the same
//! refresh token (Entra's refresh tokens are good for any resource the app was consented to:
//! learn.microsoft.com/entra/identity-platform/refresh-tokens).

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::*;
use serde_json::Value;
use undelete_sandbox::SandboxHandle;

const CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const ARM_SCOPE: &str = "https://management.core.windows.net//.default";

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT has a payload");
    serde_json::from_slice(&B64.decode(payload).expect("base64url")).expect("JSON claims")
}

async fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = client().post(url).form(form).send().await.expect("POST");
    let (status, _, body) = split(resp).await;
    (status, body)
}

fn login(h: &SandboxHandle, path: &str) -> String {
    format!("{}{}/{path}", h.base_url(), h.domain())
}

fn arm(h: &SandboxHandle, path: &str) -> String {
    format!("{}{path}", h.base_url())
}

async fn arm_app_token(h: &SandboxHandle) -> String {
    let (status, body) = post_form(
        &login(h, "oauth2/v2.0/token"),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", h.client_secret()),
            ("scope", ARM_SCOPE),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn an_arm_token_lists_the_tenant_and_no_subscriptions() {
    let (_dir, h) = start_sandbox(5).await;
    let token = arm_app_token(&h).await;
    let c = claims(&token);
    assert_eq!(c["aud"], "https://management.core.windows.net/");
    assert!(
        c.get("roles")
            .is_none_or(|r| r.as_array().is_some_and(|a| a.is_empty())),
        "{c}"
    );
    let tid = c["tid"].as_str().expect("tid").to_string();

    let (status, _, tenants) = get(&arm(&h, "tenants?api-version=2022-12-01"), &token).await;
    assert_eq!(status, 200, "{tenants}");
    let list = tenants["value"].as_array().expect("value");
    assert_eq!(list.len(), 1, "{tenants}");
    assert_eq!(list[0]["tenantId"], tid.as_str());
    assert_eq!(list[0]["id"], format!("/tenants/{tid}").as_str());
    assert_eq!(list[0]["defaultDomain"], h.domain());
    assert!(
        list[0]["domains"].to_string().contains(h.domain()),
        "{tenants}"
    );

    let (status, _, subs) = get(&arm(&h, "subscriptions?api-version=2022-12-01"), &token).await;
    assert_eq!(status, 200, "{subs}");
    assert_eq!(subs["value"], serde_json::json!([]));
    assert_eq!(subs["count"]["value"], 0);

    let (status, _, missing) = get(&arm(&h, "tenants"), &token).await;
    assert_eq!(status, 400, "{missing}");
    assert_eq!(missing["error"]["code"], "MissingApiVersionParameter");
}

#[tokio::test]
async fn tokens_are_good_only_at_their_own_api() {
    let (_dir, h) = start_sandbox(5).await;
    let arm_token = arm_app_token(&h).await;
    let graph_token = app_token(&h).await;
    let (status, _, body) = get(&graph(&h, "users?$top=1"), &arm_token).await;
    assert_eq!(status, 401, "an ARM token at Graph: {body}");
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    let (status, _, body) = get(&arm(&h, "tenants?api-version=2022-12-01"), &graph_token).await;
    assert_eq!(status, 401, "a Graph token at ARM: {body}");
    assert_eq!(body["error"]["code"], "InvalidAuthenticationTokenAudience");
    let (status, _, body) = get(&arm(&h, "subscriptions?api-version=2022-12-01"), "").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "AuthenticationFailed");
}

#[tokio::test]
async fn azure_clis_device_code_login_then_graph_with_the_same_refresh_token() {
    let (_dir, h) = start_sandbox(5).await;
    let (status, dc) = post_form(
        &login(&h, "oauth2/v2.0/devicecode"),
        &[
            ("client_id", CLIENT),
            (
                "scope",
                &format!("{ARM_SCOPE} offline_access openid profile"),
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{dc}");
    let code = dc["device_code"].as_str().expect("device_code").to_string();
    let mut tokens = Value::Null;
    for _ in 0..5 {
        let (status, body) = post_form(
            &login(&h, "oauth2/v2.0/token"),
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", CLIENT),
                ("device_code", &code),
            ],
        )
        .await;
        if status == 200 {
            tokens = body;
            break;
        }
        assert_eq!(body["error"], "authorization_pending", "{body}");
    }
    let access = tokens["access_token"].as_str().expect("an ARM token");
    let c = claims(access);
    assert_eq!(c["aud"], "https://management.core.windows.net/");
    assert_eq!(c["scp"], "user_impersonation");
    assert_eq!(c["upn"], h.admin_upn().as_str());
    let (status, _, tenants) = get(&arm(&h, "tenants?api-version=2022-12-01"), access).await;
    assert_eq!(status, 200, "{tenants}");

    // `az ad user list` next: the same refresh token, Graph's scope.
    let rt = tokens["refresh_token"].as_str().expect("refresh token");
    let (status, body) = post_form(
        &login(&h, "oauth2/v2.0/token"),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", rt),
            (
                "scope",
                "https://graph.microsoft.com//.default offline_access openid profile",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let graph_token = body["access_token"].as_str().expect("a Graph token");
    assert_eq!(claims(graph_token)["aud"], "https://graph.microsoft.com");
    let (status, _, users) = get(&graph(&h, "users?$top=2"), graph_token).await;
    assert_eq!(status, 200, "{users}");
}

// learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference:
// `az login --identity` in App Service asks the identity endpoint for ARM's resource.
#[tokio::test]
async fn a_managed_identity_gets_an_arm_token() {
    let (_dir, h) = start_sandbox(5).await;
    let resp = client()
        .get(format!(
            "{}msi/token?resource=https://management.core.windows.net/&api-version=2019-08-01",
            h.base_url()
        ))
        .header("X-IDENTITY-HEADER", h.client_secret())
        .send()
        .await
        .expect("GET");
    let (status, _, body) = split(resp).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().expect("token");
    assert_eq!(claims(token)["aud"], "https://management.core.windows.net/");
    let (status, _, _) = get(&arm(&h, "tenants?api-version=2020-01-01"), token).await;
    assert_eq!(status, 200);
}
