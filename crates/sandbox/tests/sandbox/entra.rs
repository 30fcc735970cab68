//! The login endpoints as other Graph clients (MSAL, CLI for Microsoft 365, azure-identity)
//! need them, each checked against Entra ID's documented behaviour over real HTTP: the page
//! that documents it is named above each test.

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use undelete_sandbox::SandboxHandle;

const CLIENT: &str = "5b1f9c1e-6a44-4c55-9a43-1f2d3c4b5a69";
const LIST: &str = "directory/deletedItems/microsoft.graph.user";

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

fn aadsts(body: &Value) -> u64 {
    body["error_codes"][0].as_u64().unwrap_or(0)
}

/// A device-code sign-in polled to the end with `grant`, asking for `scope`.
async fn device_sign_in(h: &SandboxHandle, scope: &str, grant: &str) -> Value {
    let (status, dc) = post_form(
        &login(h, "oauth2/v2.0/devicecode"),
        &[("client_id", CLIENT), ("scope", scope)],
    )
    .await;
    assert_eq!(status, 200, "{dc}");
    let code = dc["device_code"].as_str().expect("device_code").to_string();
    for _ in 0..5 {
        let (status, body) = post_form(
            &login(h, "oauth2/v2.0/token"),
            &[
                ("grant_type", grant),
                ("client_id", CLIENT),
                ("device_code", &code),
                ("client_info", "1"),
            ],
        )
        .await;
        if status == 200 {
            return body;
        }
        assert_eq!(body["error"], "authorization_pending", "{body}");
    }
    panic!("the device code was never approved");
}

// Fix 4 and 5. learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc#the-default-scope:
// a delegated `/.default` request gets the permissions consented for the app, and `.default`
// cannot be combined with named permissions of the same resource (AADSTS70011).
// learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code: the token request's
// grant type; msal-node sends `device_code`, which Entra accepts beside the URN.
#[tokio::test]
async fn delegated_default_gets_the_consented_permissions_with_the_short_device_code_grant() {
    let (_dir, h) = start_sandbox(5).await;
    let body = device_sign_in(
        &h,
        "https://graph.microsoft.com/.default openid profile offline_access",
        "device_code",
    )
    .await;
    let access = body["access_token"].as_str().expect("access token");
    let scp = claims(access)["scp"].as_str().unwrap_or("").to_string();
    for p in ["User.Read.All", "User.DeleteRestore.All", "Mail.Send"] {
        assert!(
            scp.split(' ').any(|s| s == p),
            "{p} missing from scp '{scp}'"
        );
    }
    assert!(!scp.contains(".default"), "{scp}");
    let (status, _, _) = get(&graph(&h, LIST), access).await;
    assert_eq!(status, 200, "a delegated call with the .default token");

    let (status, refused) = post_form(
        &login(&h, "oauth2/v2.0/devicecode"),
        &[
            ("client_id", CLIENT),
            (
                "scope",
                "https://graph.microsoft.com/.default User.Read.All",
            ),
        ],
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(aadsts(&refused), 70011);
}

// Fix 10. learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference:
// Graph's tokens are v1.0 (`ver`, issuer `sts.windows.net`); app-only tokens name the app
// (`app_displayname`, `appid`, `appidacr` 1 for a secret), its service principal as `oid` and
// `sub`, and the tenant as `idp`; delegated tokens name the user (`oid`, `upn`,
// `unique_name`, `name`), a pairwise `sub` and `appidacr` 0 for a public client.
#[tokio::test]
async fn tokens_carry_entras_claims_for_app_only_and_delegated() {
    let (_dir, h) = start_sandbox(5).await;
    let (status, body) = post_form(
        &login(&h, "oauth2/v2.0/token"),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", h.client_secret()),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let app_token = body["access_token"].as_str().expect("token").to_string();
    let app = claims(&app_token);
    let tid = app["tid"].as_str().expect("tid").to_string();
    assert_eq!(
        app["iss"],
        format!("https://sts.windows.net/{tid}/").as_str()
    );
    assert_eq!(app["idp"], app["iss"]);
    assert_eq!(app["ver"], "1.0");
    assert_eq!(app["idtyp"], "app");
    assert_eq!(app["appid"], CLIENT);
    assert_eq!(app["appidacr"], "1");
    assert!(
        app["app_displayname"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    let oid = app["oid"].as_str().expect("oid");
    assert!(uuid::Uuid::parse_str(oid).is_ok(), "{oid}");
    assert_eq!(app["sub"], oid);
    assert!(app.get("upn").is_none() && app.get("scp").is_none());

    // The same app signs in the same service principal again.
    let again = claims(&app_token_for_client(&h, CLIENT).await);
    assert_eq!(again["oid"], oid);
    assert_ne!(
        claims(&app_token_for_client(&h, "other-app").await)["oid"],
        oid
    );

    let body = device_sign_in(&h, "https://graph.microsoft.com/User.Read.All", DEVICE_URN).await;
    let user = claims(body["access_token"].as_str().expect("token"));
    let (_, _, me) = get(
        &graph(&h, "me"),
        body["access_token"].as_str().unwrap_or(""),
    )
    .await;
    assert_eq!(user["oid"], me["id"]);
    assert_eq!(user["upn"], h.admin_upn().as_str());
    assert_eq!(user["unique_name"], h.admin_upn().as_str());
    assert_eq!(user["name"], me["displayName"]);
    assert_eq!(user["idtyp"], "user");
    assert_eq!(user["appidacr"], "0");
    assert!(user["sub"].as_str().is_some_and(|s| s != user["oid"]));
    assert!(user.get("idp").is_none() && user.get("roles").is_none());
}

const DEVICE_URN: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn app_token_for_client(h: &SandboxHandle, client_id: &str) -> String {
    let (status, body) = post_form(
        &login(h, "oauth2/v2.0/token"),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", h.client_secret()),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("token").to_string()
}

// Fix 11. learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
// (AADSTS500011, InvalidResourceServicePrincipalNotFound): a token for a resource the tenant
// does not know is refused. The sandbox knows Graph (every cloud), its own root, and Resource
// Manager (see `arm`).
#[tokio::test]
async fn only_graph_and_the_sandboxs_own_root_get_tokens() {
    let (_dir, h) = start_sandbox(5).await;
    let own = h.base_url().as_str().trim_end_matches('/').to_string();
    let port = h.base_url().port().unwrap_or(80);
    let other = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    for (resource, ok) in [
        (own.as_str(), true),
        ("https://graph.microsoft.us", true),
        (other.as_str(), false),
        ("https://vault.azure.net", false),
    ] {
        let scope = format!("{resource}/.default");
        let (status, body) = post_form(
            &login(&h, "oauth2/v2.0/token"),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_secret", h.client_secret()),
                ("scope", &scope),
            ],
        )
        .await;
        if ok {
            assert_eq!(status, 200, "{resource}: {body}");
        } else {
            assert_eq!(status, 400, "{resource}: {body}");
            assert_eq!(body["error"], "invalid_resource");
            assert_eq!(aadsts(&body), 500011, "{body}");
        }
    }
}

// Fix 12. learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc: the discovery
// document names the token endpoint and `jwks_uri`, whose keys verify the tokens (RS256, the
// token header's `kid`).
#[tokio::test]
async fn discovery_documents_lead_to_the_token_endpoint_and_keys_that_verify_tokens() {
    let (_dir, h) = start_sandbox(5).await;
    let (status, _, doc) = get(&login(&h, "v2.0/.well-known/openid-configuration"), "").await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(
        doc["token_endpoint"],
        login(&h, "oauth2/v2.0/token").as_str()
    );
    assert_eq!(
        doc["device_authorization_endpoint"],
        login(&h, "oauth2/v2.0/devicecode").as_str()
    );
    let methods = doc["token_endpoint_auth_methods_supported"].to_string();
    assert!(methods.contains("client_secret_basic"), "{methods}");
    let tid = claims(&app_token(&h).await)["tid"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(
        doc["issuer"],
        format!("https://login.microsoftonline.com/{tid}/v2.0").as_str()
    );
    let (_, _, common) = get(
        &format!(
            "{}common/v2.0/.well-known/openid-configuration",
            h.base_url()
        ),
        "",
    )
    .await;
    assert_eq!(
        common["issuer"],
        "https://login.microsoftonline.com/{tenantid}/v2.0"
    );
    let (status, _, v1) = get(&login(&h, ".well-known/openid-configuration"), "").await;
    assert_eq!(status, 200);
    assert_eq!(v1["token_endpoint"], login(&h, "oauth2/token").as_str());

    let (status, _, keys) = get(doc["jwks_uri"].as_str().expect("jwks_uri"), "").await;
    assert_eq!(status, 200, "{keys}");
    let token = app_token(&h).await;
    let header = jsonwebtoken::decode_header(&token).expect("token header");
    assert_eq!(header.alg, Algorithm::RS256);
    let jwk = keys["keys"]
        .as_array()
        .and_then(|ks| {
            ks.iter()
                .find(|k| k["kid"].as_str() == header.kid.as_deref())
        })
        .expect("the token's kid is published");
    let key = DecodingKey::from_rsa_components(
        jwk["n"].as_str().unwrap_or(""),
        jwk["e"].as_str().unwrap_or(""),
    )
    .expect("an RSA key");
    let mut rules = Validation::new(Algorithm::RS256);
    rules.set_audience(&["https://graph.microsoft.com"]);
    assert!(jsonwebtoken::decode::<Value>(&token, &key, &rules).is_ok());
}

// Fix 12. MSAL's instance discovery (msal-common `Authority`, the same endpoint Entra serves
// at login.microsoftonline.com/common/discovery/instance): the aliases of the named host and
// the discovery document to read next.
#[tokio::test]
async fn instance_discovery_names_the_aliases_and_the_tenant_document() {
    let (_dir, h) = start_sandbox(5).await;
    let url = format!(
        "{}common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        h.base_url()
    );
    let (status, _, body) = get(&url, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["tenant_discovery_endpoint"],
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
    );
    let global = body["metadata"]
        .as_array()
        .and_then(|m| {
            m.iter()
                .find(|e| e["preferred_network"] == "login.microsoftonline.com")
        })
        .expect("the global cloud's entry");
    assert!(global["aliases"].to_string().contains("login.windows.net"));
}

// Fix 12. learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code: with
// `openid` the token response carries an `id_token`, and MSAL's `client_info=1` brings
// `client_info` (base64url `{uid, utid}`): without them MSAL has no account.
// id-token-claims-reference: v2.0 ID tokens carry `preferred_username`, `oid`, `tid`, `aud` =
// the client id.
#[tokio::test]
async fn device_code_answers_carry_an_id_token_and_client_info() {
    let (_dir, h) = start_sandbox(5).await;
    let body = device_sign_in(
        &h,
        "https://graph.microsoft.com/User.Read.All openid profile offline_access",
        "device_code",
    )
    .await;
    let id = claims(body["id_token"].as_str().expect("id_token"));
    assert_eq!(id["aud"], CLIENT);
    assert_eq!(id["preferred_username"], h.admin_upn().as_str());
    assert_eq!(id["ver"], "2.0");
    let tid = id["tid"].as_str().expect("tid");
    assert_eq!(
        id["iss"],
        format!("https://login.microsoftonline.com/{tid}/v2.0").as_str()
    );
    let info: Value = serde_json::from_slice(
        &B64.decode(body["client_info"].as_str().expect("client_info"))
            .expect("base64url"),
    )
    .expect("JSON");
    assert_eq!(info["uid"], id["oid"]);
    assert_eq!(info["utid"], tid);
    assert!(
        body["scope"].as_str().is_some_and(|s| s.contains("openid")),
        "{body}"
    );
}

// Fix 12. learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant and
// RFC 6749 2.3.1: the secret may come as `client_secret_basic`. The v1 endpoint
// (`/oauth2/token`) takes a `resource` and answers with v1's fields (`expires_on`,
// `resource`, numbers as strings).
#[tokio::test]
async fn v1_endpoint_and_client_secret_basic() {
    let (_dir, h) = start_sandbox(5).await;
    let basic = |secret: &str| format!("Basic {}", STANDARD.encode(format!("{CLIENT}:{secret}")));
    let resp = client()
        .post(login(&h, "oauth2/v2.0/token"))
        .header("Authorization", basic(h.client_secret()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("POST");
    let (status, _, body) = split(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap_or(""))["appid"],
        CLIENT
    );
    let resp = client()
        .post(login(&h, "oauth2/v2.0/token"))
        .header("Authorization", basic("wrong"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("POST");
    let (status, _, body) = split(resp).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");

    let (status, body) = post_form(
        &login(&h, "oauth2/token"),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", h.client_secret()),
            ("resource", "https://graph.microsoft.com"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resource"], "https://graph.microsoft.com");
    assert!(body["expires_in"].is_string() && body["expires_on"].is_string());
    let token = body["access_token"].as_str().expect("token");
    let (status, _, _) = get(&graph(&h, LIST), token).await;
    assert_eq!(status, 200);
    let (status, body) = post_form(
        &login(&h, "oauth2/token"),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", h.client_secret()),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(aadsts(&body), 900144);
}

// Fix 12. learn.microsoft.com/en-us/azure/app-service/overview-managed-identity (REST endpoint
// reference): GET IDENTITY_ENDPOINT?resource=...&api-version=2019-08-01 with
// X-IDENTITY-HEADER; the answer has `access_token`, `expires_on` (epoch seconds, a string),
// `resource`, `token_type` and `client_id`.
#[tokio::test]
async fn managed_identity_endpoint_gives_an_app_only_graph_token() {
    let (_dir, h) = start_sandbox(5).await;
    let url = format!(
        "{}msi/token?resource=https://graph.microsoft.com&api-version=2019-08-01",
        h.base_url()
    );
    let call = |secret: Option<&str>| {
        let mut req = client().get(&url);
        if let Some(s) = secret {
            req = req.header("X-IDENTITY-HEADER", s);
        }
        async move { split(req.send().await.expect("GET")).await }
    };
    let (status, _, body) = call(Some(h.client_secret())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resource"], "https://graph.microsoft.com");
    assert_eq!(body["token_type"], "Bearer");
    let expires: i64 = body["expires_on"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("expires_on in epoch seconds");
    assert!(expires > chrono::Utc::now().timestamp());
    let token = body["access_token"].as_str().expect("token");
    let c = claims(token);
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["appid"], body["client_id"]);
    let (status, _, _) = get(&graph(&h, LIST), token).await;
    assert_eq!(status, 200);
    assert_eq!(call(None).await.0, 400);
    assert_eq!(call(Some("wrong")).await.0, 401);
}

// Fix 12, v1. learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference: a v1
// ID token is issued by `sts.windows.net/{tid}/` and names the user by `upn` and
// `unique_name`; the v1 device-code answer says `verification_url`, and ADAL polls
// `/oauth2/token` with the code as `code` and a `resource`.
#[tokio::test]
async fn v1_device_code_sign_in_gives_v1_answers() {
    let (_dir, h) = start_sandbox(5).await;
    let (status, dc) = post_form(
        &login(&h, "oauth2/devicecode"),
        &[
            ("client_id", CLIENT),
            ("resource", "https://graph.microsoft.com"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{dc}");
    assert!(dc["verification_url"].as_str().is_some(), "{dc}");
    let code = dc["device_code"].as_str().expect("device_code").to_string();
    let mut answer = Value::Null;
    for _ in 0..5 {
        let (status, body) = post_form(
            &login(&h, "oauth2/token"),
            &[
                ("grant_type", "device_code"),
                ("client_id", CLIENT),
                ("resource", "https://graph.microsoft.com"),
                ("code", &code),
            ],
        )
        .await;
        if status == 200 {
            answer = body;
            break;
        }
        assert_eq!(body["error"], "authorization_pending", "{body}");
    }
    assert_eq!(
        answer["resource"], "https://graph.microsoft.com",
        "{answer}"
    );
    assert!(answer["refresh_token"].is_string() && answer["expires_on"].is_string());
    let id = claims(answer["id_token"].as_str().expect("id_token"));
    let tid = id["tid"].as_str().expect("tid");
    assert_eq!(
        id["iss"],
        format!("https://sts.windows.net/{tid}/").as_str()
    );
    assert_eq!(id["ver"], "1.0");
    assert_eq!(id["upn"], h.admin_upn().as_str());
    assert_eq!(id["unique_name"], h.admin_upn().as_str());
    let access = answer["access_token"].as_str().expect("access token");
    assert!(
        claims(access)["scp"]
            .as_str()
            .is_some_and(|s| s.contains("User.Read.All"))
    );
    let (status, _, _) = get(&graph(&h, LIST), access).await;
    assert_eq!(status, 200);
}

// Issue 24, fix 7. learn.microsoft.com/entra/identity-platform/v2-oauth-ropc: the password
// grant (`grant_type=password`, `username`, `password`, `scope`; `client_secret` for a
// confidential client) gives a delegated token; a wrong password is `invalid_grant` AADSTS50126,
// an unknown user AADSTS50034. Deprecated, but still served for cloud accounts without MFA.
#[tokio::test]
async fn the_password_grant_signs_in_a_user_with_the_password_set_on_them() {
    let (_dir, h) = start_sandbox(5).await;
    let token = app_token(&h).await;
    let admin = h.admin_upn();
    let ropc = |user: String, password: String| {
        let url = login(&h, "oauth2/v2.0/token");
        async move {
            post_form(
                &url,
                &[
                    ("grant_type", "password"),
                    ("client_id", CLIENT),
                    ("username", &user),
                    ("password", &password),
                    (
                        "scope",
                        "https://graph.microsoft.com/.default offline_access openid",
                    ),
                ],
            )
            .await
        }
    };
    // The admin's password is the client secret until one is set.
    let (status, body) = ropc(admin.clone(), h.client_secret().to_string()).await;
    assert_eq!(status, 200, "{body}");
    let c = claims(body["access_token"].as_str().expect("token"));
    assert_eq!(c["upn"], admin.as_str());
    assert_eq!(c["idtyp"], "user");
    assert!(
        body["refresh_token"].is_string() && body["id_token"].is_string(),
        "{body}"
    );
    let (status, _, me) = get(
        &graph(&h, "me"),
        body["access_token"].as_str().unwrap_or(""),
    )
    .await;
    assert_eq!(
        (status, me["userPrincipalName"].as_str()),
        (200, Some(admin.as_str()))
    );

    // A user given a password (no change required) signs in with it, and not with another.
    let user = h
        .inspect()
        .active_ids()
        .into_iter()
        .find(|id| {
            h.inspect()
                .upn(id)
                .is_some_and(|u| !u.eq_ignore_ascii_case(&admin))
        })
        .expect("an active user");
    let upn = h.inspect().upn(&user).expect("upn");
    let password = "Ropc-Kettle-42!x";
    let (status, _, body) = send(
        reqwest::Method::PATCH,
        &graph(&h, &format!("users/{user}")),
        &token,
        Some(serde_json::json!({"passwordProfile": {"password": password, "forceChangePasswordNextSignIn": false}})),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = ropc(upn.clone(), password.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap_or(""))["upn"],
        upn.as_str()
    );
    let (status, body) = ropc(upn.clone(), "not-the-password".to_string()).await;
    assert_eq!((status, aadsts(&body)), (400, 50126), "{body}");
    assert_eq!(body["error"], "invalid_grant");
    let (status, body) = ropc("nobody@contoso.sandbox".to_string(), password.to_string()).await;
    assert_eq!((status, aadsts(&body)), (400, 50034), "{body}");

    // A password that must be changed at the next sign-in cannot be used here.
    let (status, _, _) = send(
        reqwest::Method::PATCH,
        &graph(&h, &format!("users/{user}")),
        &token,
        Some(serde_json::json!({"passwordProfile": {"password": password, "forceChangePasswordNextSignIn": true}})),
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = ropc(upn, password.to_string()).await;
    assert_eq!((status, aadsts(&body)), (400, 50055), "{body}");
}

// Issue 24, fix 8. learn.microsoft.com/entra/identity-platform/v2-protocols-oidc: the discovery
// document's endpoints, and a device code's `verification_uri`
// (learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code), are on the login host,
// whatever host serves Graph. With `--public-login-url` they name it; with neither root given
// they name the host the client called, as before.
#[tokio::test]
async fn discovery_and_device_codes_name_the_login_root() {
    let (_dir, h) = start_sandbox_with(5, |c| {
        c.public_url("https://graph.microsoft.com")
            .public_login_url("https://login.microsoftonline.com")
    })
    .await;
    let (status, _, doc) = get(&login(&h, "v2.0/.well-known/openid-configuration"), "").await;
    assert_eq!(status, 200, "{doc}");
    let want = "https://login.microsoftonline.com/contoso.sandbox";
    for (k, path) in [
        ("token_endpoint", "oauth2/v2.0/token"),
        ("device_authorization_endpoint", "oauth2/v2.0/devicecode"),
        ("jwks_uri", "discovery/v2.0/keys"),
        ("authorization_endpoint", "oauth2/v2.0/authorize"),
    ] {
        assert_eq!(doc[k], format!("{want}/{path}").as_str(), "{k}");
    }
    let (_, _, v1) = get(&login(&h, ".well-known/openid-configuration"), "").await;
    assert_eq!(
        v1["token_endpoint"],
        format!("{want}/oauth2/token").as_str()
    );
    let (status, dc) = post_form(
        &login(&h, "oauth2/v2.0/devicecode"),
        &[
            ("client_id", CLIENT),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{dc}");
    assert_eq!(
        dc["verification_uri"],
        "https://login.microsoftonline.com/devicelogin"
    );
    // Graph's links stay on Graph's root.
    let token = app_token(&h).await;
    let (_, _, page) = get(&graph(&h, "users?$top=1"), &token).await;
    let next = page["@odata.nextLink"].as_str().unwrap_or("");
    assert!(
        next.starts_with("https://graph.microsoft.com/v1.0/users"),
        "{next}"
    );

    // Only `--public-url`: the login endpoints stay on it, as they were.
    let (_dir2, one) = start_sandbox_with(5, |c| c.public_url("https://graph.microsoft.com")).await;
    let (_, _, doc) = get(&login(&one, "v2.0/.well-known/openid-configuration"), "").await;
    assert_eq!(
        doc["token_endpoint"],
        "https://graph.microsoft.com/contoso.sandbox/oauth2/v2.0/token"
    );
}
