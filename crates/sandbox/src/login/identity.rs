//! A managed-identity endpoint in App Service's shape (`IDENTITY_ENDPOINT` +
//! `X-IDENTITY-HEADER`, `api-version=2019-08-01`), so tools that sign in "as the machine"
//! (`m365 login --authType identity`, azure-identity's `ManagedIdentityCredential`) can run
//! against the sandbox: point `IDENTITY_ENDPOINT` at `{root}/msi/token` and set
//! `IDENTITY_HEADER` to the sandbox's client secret. Reference:
//! learn.microsoft.com/en-us/azure/app-service/overview-managed-identity#rest-endpoint-reference

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::apps;
use super::client_credentials::app_roles;
use super::scopes::resource as named_resource;
use super::tokens::{ClientAuth, TokenSpec, mint};
use crate::origin::Root;
use crate::state::AppState;

/// The one API version App Service's endpoint speaks today.
const API_VERSION: &str = "2019-08-01";

fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"statusCode": status.as_u16(), "message": message})),
    )
        .into_response()
}

/// `GET /msi/token?resource=...&api-version=2019-08-01[&client_id=...]`.
pub async fn managed_identity(
    State(state): State<AppState>,
    root: Root,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let secret = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if secret.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "The X-IDENTITY-HEADER header is missing: set it to the value of IDENTITY_HEADER.",
        );
    }
    if secret != state.client_secret {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "The X-IDENTITY-HEADER header does not match this endpoint's secret (the sandbox's client secret).",
        );
    }
    if q.get("api-version").map(String::as_str) != Some(API_VERSION) {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!("The api-version parameter must be {API_VERSION}."),
        );
    }
    let Some(resource) = q.get("resource").filter(|r| !r.is_empty()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "The resource parameter is missing.",
        );
    };
    let own = super::own_roots(&state, &root);
    let Some(target) = named_resource(resource, &own) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            &super::scopes::invalid_resource(resource).description,
        );
    };
    // The system-assigned identity has one app id per tenant; a user-assigned one is named by
    // its client id.
    let client_id = q
        .get("client_id")
        .filter(|c| !c.is_empty())
        .cloned()
        .unwrap_or_else(|| apps::derived_id(&["managed-identity", &state.tenant_id]));
    let lifetime = state.token_lifetime.as_secs() as i64;
    let spec = TokenSpec {
        client_id: client_id.clone(),
        upn: None,
        scopes: Vec::new(),
        roles: app_roles(&state, target.api),
        lifetime_secs: lifetime,
        wids: Some(state.directory_roles.clone()),
        audience: target.audience.into(),
        client_auth: ClientAuth::Certificate,
    };
    let expires_on = chrono::Utc::now().timestamp() + lifetime;
    Json(json!({
        "access_token": mint(&state, &spec),
        "expires_on": expires_on.to_string(),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": client_id,
    }))
    .into_response()
}
