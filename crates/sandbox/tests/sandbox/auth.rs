//! Login endpoints and bearer-token validation over real HTTP.

use crate::common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::*;
use serde_json::Value;
use undelete_sandbox::TokenSpec;

const LIST: &str = "directory/deletedItems/microsoft.graph.user";
const SCOPES: &str = "https://graph.microsoft.com/User.Read.All User.DeleteRestore.All User-PasswordProfile.ReadWrite.All Mail.Send offline_access";

async fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = client().post(url).form(form).send().await.expect("POST");
    let (status, _, body) = split(resp).await;
    (status, body)
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT has a payload");
    serde_json::from_slice(&B64.decode(payload).expect("base64url")).expect("JSON claims")
}

fn assert_aad_error(body: &Value, error: &str, code: u64) {
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or("")
            .starts_with(&format!("AADSTS{code}:")),
        "{body}"
    );
    for k in ["timestamp", "trace_id", "correlation_id"] {
        assert!(body[k].as_str().is_some(), "{k} in {body}");
    }
}

#[tokio::test]
async fn client_credentials_gives_an_app_only_token() {
    let (_dir, h) = start_sandbox(5).await;
    let (status, body) = post_form(
        &token_url(&h),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "my-app"),
            ("client_secret", "sandbox"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().expect("token");
    assert_eq!(token.split('.').count(), 3);
    let c = claims(token);
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(c["appid"], "my-app");
    assert!(
        c["iss"]
            .as_str()
            .unwrap_or("")
            .contains(c["tid"].as_str().unwrap_or("?"))
    );
    assert!(c.get("scp").is_none() && c.get("upn").is_none());
    let roles: Vec<&str> = c["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for r in [
        "User.ReadWrite.All",
        "User.DeleteRestore.All",
        "Mail.Send",
        "User-PasswordProfile.ReadWrite.All",
    ] {
        assert!(roles.contains(&r), "{r}");
    }
    assert!(c["exp"].as_i64().unwrap_or(0) > c["iat"].as_i64().unwrap_or(i64::MAX));
    let (status, _, _) = get(&graph(&h, LIST), token).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn token_endpoint_errors_use_the_aad_shape() {
    let (_dir, h) = start_sandbox_with(5, |c| c.client_secret("s3cret")).await;
    let url = token_url(&h);
    let (status, body) = post_form(
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "a"),
            ("client_secret", "sandbox"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_aad_error(&body, "invalid_client", 7000215);
    let (status, body) = post_form(
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "a"),
            ("client_secret", "s3cret"),
            ("scope", "User.Read.All"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_aad_error(&body, "invalid_scope", 1002012);
    let (status, body) = post_form(
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_secret", "s3cret"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_aad_error(&body, "invalid_request", 900144);
    // The SAML bearer grant is one the sandbox does not serve (the password grant it does).
    let saml = "urn:ietf:params:oauth:grant-type:saml1_1-bearer";
    let (status, body) = post_form(&url, &[("grant_type", saml), ("client_id", "a")]).await;
    assert_eq!(status, 400);
    assert_aad_error(&body, "unsupported_grant_type", 70003);
    let (status, body) = post_form(
        &url,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "a"),
            ("refresh_token", "nope"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    let (status, _) = post_form(
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "a"),
            ("client_secret", "s3cret"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn graph_refuses_missing_expired_and_forged_tokens() {
    let (_dir, h) = start_sandbox(5).await;
    let url = graph(&h, LIST);
    let resp = client().get(&url).send().await.expect("GET");
    let (status, _, body) = split(resp).await;
    assert_eq!(status, 401);
    assert_graph_error(&body, "InvalidAuthenticationToken");

    let expired = h
        .inspect()
        .issue_token(&TokenSpec::default().lifetime_secs(-10));
    let (status, _, body) = get(&url, &expired).await;
    assert_eq!(status, 401);
    assert_graph_error(&body, "InvalidAuthenticationToken");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("expired")
    );

    let good = h.inspect().issue_token(&TokenSpec::default());
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let mut c = claims(&good);
    c["roles"] = serde_json::json!(["Directory.ReadWrite.All"]);
    parts[1] = B64.encode(serde_json::to_vec(&c).expect("JSON"));
    let (status, _, body) = get(&url, &parts.join(".")).await;
    assert_eq!(status, 401, "a re-signed payload is refused");
    assert_graph_error(&body, "InvalidAuthenticationToken");
    let (status, _, _) = get(&url, "not-a-jwt").await;
    assert_eq!(status, 401);

    // A token from another sandbox (another key) is refused too.
    let (_dir2, other) = start_sandbox(5).await;
    let foreign = app_token(&other).await;
    let (status, _, _) = get(&url, &foreign).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn short_token_lifetime_expires() {
    // Two seconds, not one: expiry is in whole seconds, so a one-second token minted late in a
    // second is already expired when a loaded machine uses it a few hundred ms later.
    let (_dir, h) = start_sandbox_with(5, |c| c.token_lifetime(Duration::from_secs(2))).await;
    let token = app_token(&h).await;
    let (status, _, _) = get(&graph(&h, LIST), &token).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let (status, _, body) = get(&graph(&h, LIST), &token).await;
    assert_eq!(status, 401);
    assert_graph_error(&body, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn device_code_pending_then_approved_then_refresh_rotates() {
    let (_dir, h) = start_sandbox(5).await;
    let dc_url = format!("{}organizations/oauth2/v2.0/devicecode", h.base_url());
    let (status, dc) = post_form(&dc_url, &[("client_id", "cli-app"), ("scope", SCOPES)]).await;
    assert_eq!(status, 200, "{dc}");
    for k in ["device_code", "user_code", "verification_uri", "message"] {
        assert!(dc[k].as_str().is_some_and(|s| !s.is_empty()), "{k}");
    }
    assert!(dc["expires_in"].as_u64().is_some_and(|n| n > 60));
    assert!(dc["interval"].as_u64().is_some_and(|n| n >= 1));
    let code = dc["device_code"].as_str().expect("code");
    let token_url = format!("{}organizations/oauth2/v2.0/token", h.base_url());
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", "cli-app"),
        ("device_code", code),
    ];
    let (status, body) = post_form(&token_url, &poll).await;
    assert_eq!(status, 400);
    assert_aad_error(&body, "authorization_pending", 70016);
    let (status, body) = post_form(&token_url, &poll).await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().expect("access").to_string();
    let refresh1 = body["refresh_token"].as_str().expect("refresh").to_string();
    let c = claims(&access);
    assert_eq!(c["upn"], h.admin_upn().as_str());
    assert!(c["oid"].as_str().is_some());
    let scp = c["scp"].as_str().expect("scp");
    assert!(
        scp.split(' ').any(|s| s == "User.Read.All") && scp.contains("Mail.Send"),
        "{scp}"
    );
    assert!(
        !scp.contains("offline_access") && !scp.contains("https://"),
        "{scp}"
    );
    let (status, _, me) = get(&graph(&h, "me"), &access).await;
    assert_eq!(status, 200);
    assert_eq!(me["userPrincipalName"], h.admin_upn().as_str());
    // The code is single-use.
    let (status, body) = post_form(&token_url, &poll).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");

    let refresh = |rt: String| {
        let url = token_url.clone();
        async move {
            post_form(
                &url,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", "cli-app"),
                    ("refresh_token", &rt),
                    ("scope", SCOPES),
                ],
            )
            .await
        }
    };
    let (status, body) = refresh(refresh1.clone()).await;
    assert_eq!(status, 200, "{body}");
    let refresh2 = body["refresh_token"].as_str().expect("rotated").to_string();
    assert_ne!(refresh1, refresh2);
    let (status, _, _) = get(
        &graph(&h, "me"),
        body["access_token"].as_str().expect("access"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = refresh(refresh1).await;
    assert_eq!(status, 400, "the old refresh token stops working");
    assert_eq!(body["error"], "invalid_grant");
    let (status, _) = refresh(refresh2).await;
    assert_eq!(status, 200);

    let (status, body) = post_form(
        &token_url,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", "cli-app"),
            ("device_code", "unknown"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    let (status, body) = post_form(&dc_url, &[("client_id", "cli-app")]).await;
    assert_eq!(status, 400);
    assert_aad_error(&body, "invalid_request", 900144);
}

#[tokio::test]
async fn tokens_survive_a_restart_of_the_same_store() {
    let dir = tempfile::tempdir().expect("dir");
    let h = undelete_sandbox::spawn(undelete_sandbox::SandboxConfig::new(dir.path()).users(5))
        .await
        .expect("start");
    let token = app_token(&h).await;
    h.shutdown().await;
    let h = undelete_sandbox::spawn(undelete_sandbox::SandboxConfig::new(dir.path()).users(5))
        .await
        .expect("restart");
    let (status, _, _) = get(&graph(&h, LIST), &token).await;
    assert_eq!(status, 200);
}
