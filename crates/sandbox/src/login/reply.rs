//! The token endpoint's replies: its form parameters in, Entra ID's `AADSTS` error bodies out.

use axum::Json;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An Entra ID token-endpoint error.
pub(super) fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    (status, Json(aad_body(error, code, description))).into_response()
}

/// The body of an Entra ID token-endpoint error.
fn aad_body(error: &str, code: u32, description: &str) -> Value {
    let trace = uuid::Uuid::new_v4().to_string();
    let correlation = uuid::Uuid::new_v4().to_string();
    let now = chrono::Utc::now();
    json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {}",
            now.format("%Y-%m-%d %H:%M:%SZ")
        ),
        "error_codes": [code],
        "timestamp": now.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        "trace_id": trace,
        "correlation_id": correlation,
    })
}

/// A login path naming no tenant served here: Entra's AADSTS90002, `invalid_tenant` for a
/// discovery document (a GET), `invalid_request` at the token and device-code endpoints.
pub fn unknown_tenant(tenant: &str, method: &Method) -> Response {
    let error = if method == Method::GET {
        "invalid_tenant"
    } else {
        "invalid_request"
    };
    aad_error(
        StatusCode::BAD_REQUEST,
        error,
        90002,
        &format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
        ),
    )
}

/// A tenant whose Conditional Access blocks the sign-in (`--refuse-tenant`): AADSTS53003 with
/// the `suberror` MSAL reads as "show the message, nothing to do interactively".
pub(super) fn blocked_by_conditional_access() -> Response {
    let mut body = aad_body(
        "invalid_grant",
        53003,
        "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
    );
    body["error_uri"] = json!("https://login.microsoftonline.com/error?code=53003");
    body["suberror"] = json!("message_only");
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// A user of another tenant, with no way into this one (no GDAP relationship, not a guest):
/// AADSTS50020, naming the user's identity provider (its home tenant's issuer).
pub(super) fn not_in_tenant(
    upn: &str,
    home_issuer: &str,
    tenant_name: &str,
    client_id: &str,
) -> Response {
    aad_error(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        50020,
        &format!(
            "User account '{upn}' from identity provider '{home_issuer}' does not exist in tenant '{tenant_name}' and cannot access the application '{client_id}'({}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.",
            super::apps::display_name(client_id)
        ),
    )
}

/// An app-only request at an authority naming no tenant (`/common`) when several are served.
pub(super) fn no_tenant_named() -> Response {
    aad_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        50059,
        "No tenant-identifying information found in either the request or implied by any provided credentials.",
    )
}

pub(super) fn missing(param: &str) -> Response {
    aad_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{param}'."),
    )
}

pub(super) fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(super) fn param<'a>(f: &'a [(String, String)], name: &str) -> Option<&'a str> {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// A token-endpoint error not yet rendered (a `Response` is too big to pass around in `Err`).
pub(super) struct Refusal {
    pub(super) status: StatusCode,
    pub(super) error: &'static str,
    pub(super) code: u32,
    pub(super) description: String,
}

impl Refusal {
    pub(super) fn respond(self) -> Response {
        aad_error(self.status, self.error, self.code, &self.description)
    }
}
