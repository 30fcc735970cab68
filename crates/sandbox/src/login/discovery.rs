//! The documents a client reads before it signs in: OpenID Connect discovery (v2.0 and v1),
//! the signing keys at its `jwks_uri`, and MSAL's instance discovery. Shapes as Entra serves
//! them (learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc); every endpoint
//! in them is at the sandbox's login root (`--public-login-url`, else its public root), so a
//! client that follows them stays here, on the login host.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

use super::tokens::v1_issuer;
use crate::origin::LoginRoot;
use crate::state::AppState;

/// Tenants that name no tenant: their documents carry `{tenantid}` where the id would be.
fn is_multi_tenant(tenant: &str) -> bool {
    ["common", "organizations", "consumers"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(tenant))
}

/// The tenant id a document names for `tenant` (an id, a domain, or a multi-tenant alias).
fn tenant_id_for(state: &AppState, tenant: &str) -> String {
    if is_multi_tenant(tenant) {
        "{tenantid}".into()
    } else {
        state.tenant_id.clone()
    }
}

/// The v2.0 issuer, as Entra writes it for the global cloud.
pub(super) fn v2_issuer(tenant_id: &str) -> String {
    format!("https://login.microsoftonline.com/{tenant_id}/v2.0")
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub async fn openid_configuration(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    root: LoginRoot,
) -> Response {
    let root = root.trimmed();
    let tid = tenant_id_for(&state, &tenant);
    Json(json!({
        "token_endpoint": format!("{root}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{root}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": v2_issuer(&tid),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": format!("{root}/{tenant}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{root}/{tenant}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{root}/{tenant}/oauth2/v2.0/logout"),
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce",
            "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"
        ],
        "kerberos_endpoint": format!("{root}/{tenant}/kerberos"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }))
    .into_response()
}

/// `GET /{tenant}/.well-known/openid-configuration`: the v1 document.
pub async fn openid_configuration_v1(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    root: LoginRoot,
) -> Response {
    let root = root.trimmed();
    let tid = tenant_id_for(&state, &tenant);
    Json(json!({
        "token_endpoint": format!("{root}/{tenant}/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{root}/{tenant}/discovery/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
        "scopes_supported": ["openid"],
        "issuer": v1_issuer(&tid),
        "microsoft_multi_refresh_token": true,
        "authorization_endpoint": format!("{root}/{tenant}/oauth2/authorize"),
        "device_authorization_endpoint": format!("{root}/{tenant}/oauth2/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{root}/{tenant}/oauth2/logout"),
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email",
            "given_name", "family_name", "nickname"
        ],
        "check_session_iframe": format!("{root}/{tenant}/oauth2/checksession"),
        "userinfo_endpoint": format!("{root}/{tenant}/openid/userinfo"),
        "kerberos_endpoint": format!("{root}/{tenant}/kerberos"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys` (and v1's `/{tenant}/discovery/keys`): the public half
/// of the key every sandbox token is signed with.
pub async fn keys(State(state): State<AppState>, Path(tenant): Path<String>) -> Response {
    let issuer = v2_issuer(&tenant_id_for(&state, &tenant));
    Json(json!({"keys": [state.key.jwk(&issuer)]})).into_response()
}

/// The login hosts of each cloud, as instance discovery lists them: the preferred one first.
const CLOUDS: &[&[&str]] = &[
    &[
        "login.microsoftonline.com",
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
    ],
    &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
    &["login.microsoftonline.us", "login.usgovcloudapi.net"],
];

/// `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...`: MSAL's
/// instance discovery. The clouds' aliases, plus the host the client named if it is none of
/// them (this sandbox reached at its own address), so MSAL trusts it as an authority.
pub async fn instance_discovery(
    root: LoginRoot,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let root = root.trimmed();
    let named = q
        .get("authorization_endpoint")
        .and_then(|e| url::Url::parse(e).ok());
    let host = named
        .as_ref()
        .and_then(|u| {
            let h = u.host_str()?;
            Some(match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| root.split("://").nth(1).unwrap_or("").to_string());
    let tenant = named
        .as_ref()
        .and_then(|u| u.path_segments()?.next().map(str::to_string))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "common".into());
    let mut metadata: Vec<Value> = CLOUDS
        .iter()
        .map(|aliases| {
            json!({
                "preferred_network": aliases[0],
                "preferred_cache": aliases.get(1).unwrap_or(&aliases[0]),
                "aliases": aliases,
            })
        })
        .collect();
    if !CLOUDS
        .iter()
        .any(|c| c.iter().any(|a| a.eq_ignore_ascii_case(&host)))
    {
        metadata.push(json!({
            "preferred_network": host,
            "preferred_cache": host,
            "aliases": [host],
        }));
    }
    let scheme = named.as_ref().map(|u| u.scheme()).unwrap_or("https");
    Json(json!({
        "tenant_discovery_endpoint": format!("{scheme}://{host}/{tenant}/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": metadata,
    }))
    .into_response()
}
