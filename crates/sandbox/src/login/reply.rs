//! The token endpoint's replies: its form parameters in, Entra ID's `AADSTS` error bodies out.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An Entra ID token-endpoint error.
pub(super) fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace = uuid::Uuid::new_v4().to_string();
    let correlation = uuid::Uuid::new_v4().to_string();
    let now = chrono::Utc::now();
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {}",
            now.format("%Y-%m-%d %H:%M:%SZ")
        ),
        "error_codes": [code],
        "timestamp": now.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        "trace_id": trace,
        "correlation_id": correlation,
    });
    (status, Json(body)).into_response()
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
