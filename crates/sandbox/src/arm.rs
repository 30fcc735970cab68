//! Azure Resource Manager, only as far as signing in with Azure CLI reads it: `az login` asks
//! for a token for ARM, then lists the tenants it may reach and each tenant's subscriptions at
//! `https://management.azure.com`. The sandbox answers with the token's tenant and no
//! subscriptions, so `az login --allow-no-subscriptions` ends with a tenant-level account and
//! `az ad ...` / `az rest` go on to Graph. Nothing else of ARM is served.
//!
//! Shapes: learn.microsoft.com/rest/api/resources/tenants/list and
//! learn.microsoft.com/rest/api/resources/subscriptions/list (api-version 2022-12-01); errors
//! in ARM's `{"error": {"code", "message"}}`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::AppState;
use super::token::{ARM_AUDIENCES, INVALID_AUDIENCE, OTHER_TENANT, bearer, verify};

/// Resource Manager's hosts in the global and national clouds: the TLS leaf covers them.
pub const HOSTS: &[&str] = &[
    "management.azure.com",
    "management.usgovcloudapi.net",
    "management.chinacloudapi.cn",
];

/// An ARM error response.
fn arm_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut resp = (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static(
                "Bearer authorization_uri=\"https://login.windows.net/\", error=\"invalid_token\", error_description=\"The authentication failed because of missing 'Authorization' header.\"",
            ),
        );
    }
    resp
}

/// A caller of Resource Manager: a valid token whose `aud` is one of ARM's resource ids. What
/// it may see is not the token's business (Azure RBAC decides in ARM), so no claim is kept.
pub struct ArmCaller;

impl FromRequestParts<AppState> for ArmCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = bearer(&parts.headers);
        if token.is_empty() {
            return Err(arm_error(
                StatusCode::UNAUTHORIZED,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            ));
        }
        let now = chrono::Utc::now().timestamp();
        match verify(&state.key, token, now, ARM_AUDIENCES) {
            Ok(c) if c.tid.eq_ignore_ascii_case(&state.tenant_id) => Ok(ArmCaller),
            Ok(_) => Err(arm_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                &format!("The access token is invalid. {OTHER_TENANT}"),
            )),
            Err(INVALID_AUDIENCE) => Err(arm_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationTokenAudience",
                &format!(
                    "The access token has been obtained for wrong audience or resource. It should exactly match with one of the allowed audiences {}.",
                    ARM_AUDIENCES
                        .iter()
                        .map(|a| format!("'{a}'"))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            )),
            Err(why) => Err(arm_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                &format!("The access token is invalid. {why}"),
            )),
        }
    }
}

/// Every ARM call names its `api-version`; any version the tenant and subscription lists have
/// had is taken, since their shapes are the same in each.
fn without_api_version(q: &HashMap<String, String>) -> Option<Response> {
    q.get("api-version")
        .filter(|v| !v.is_empty())
        .is_none()
        .then(|| {
            arm_error(
                StatusCode::BAD_REQUEST,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        })
}

/// `GET /tenants?api-version=...`: the token's tenant, as ARM lists a home tenant.
pub async fn tenants(
    State(state): State<AppState>,
    _caller: ArmCaller,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = without_api_version(&q) {
        return refused;
    }
    let domains: Vec<&str> = state
        .domains
        .iter()
        .filter(|d| d.is_verified)
        .map(|d| d.id.as_str())
        .collect();
    let tenant: Value = json!({
        "id": format!("/tenants/{}", state.tenant_id),
        "tenantId": state.tenant_id,
        "countryCode": super::COUNTRY,
        "displayName": state.name,
        "domains": domains,
        "tenantCategory": "Home",
        "defaultDomain": state.domain,
        "tenantType": "AAD",
    });
    Json(json!({"value": [tenant]})).into_response()
}

/// `GET /subscriptions?api-version=...`: none. The sandbox has no Azure subscriptions, so
/// Azure CLI needs `--allow-no-subscriptions`, as with any tenant that has none.
pub async fn subscriptions(
    _caller: ArmCaller,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = without_api_version(&q) {
        return refused;
    }
    Json(json!({"count": {"type": "Total", "value": 0}, "value": []})).into_response()
}
