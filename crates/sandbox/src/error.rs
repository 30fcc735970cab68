//! Graph-shaped error bodies. Handlers return an `ApiError`; the request-id middleware renders
//! it, because only the middleware knows the request's ids (they go into `innerError`).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

/// The ids of one request, echoed in the headers and in every error body.
#[derive(Debug, Clone)]
pub struct ReqIds {
    pub request_id: String,
    pub client_request_id: String,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub details: Vec<Value>,
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub fn throttled(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            format!("Too many requests. Retry after {retry_after} seconds."),
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            message,
        )
    }

    /// What Entra answers a password it will not take (DESIGN.md 4.1).
    pub fn password_refused() -> Self {
        Self::bad_request(
            "Request_BadRequest",
            "The specified password does not comply with password complexity requirements. Please provide a different password.",
        )
        .with_detail(json!({"code": "InvalidValue", "target": "passwordProfile.password"}))
    }

    /// `Another object with the same value for property X already exists.`, as Graph words it.
    pub fn conflict(property: &str) -> Self {
        let mut e = Self::bad_request(
            "Request_BadRequest",
            format!("Another object with the same value for property {property} already exists."),
        );
        e.details
            .push(json!({"code": "ObjectConflict", "target": property}));
        e
    }

    pub fn with_detail(mut self, detail: Value) -> Self {
        self.details.push(detail);
        self
    }

    /// The JSON body Graph sends for this error.
    pub fn body(&self, ids: &ReqIds) -> Value {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "innerError": {
                "date": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
                "request-id": ids.request_id,
                "client-request-id": ids.client_request_id,
            }
        });
        if !self.details.is_empty() {
            error["details"] = Value::Array(self.details.clone());
        }
        json!({ "error": error })
    }

    /// A complete response, for places that already know the ids (batch, fault injection).
    pub fn render(&self, ids: &ReqIds) -> Response {
        let mut resp = (self.status, axum::Json(self.body(ids))).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                "www-authenticate",
                HeaderValue::from_static(
                    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
                ),
            );
        }
        set_id_headers(resp.headers_mut(), ids);
        resp
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        Self::internal(format!("sandbox store error: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Rendered by `ids_layer`, which knows the request ids.
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = self.status;
        resp.extensions_mut().insert(self);
        resp
    }
}

fn set_id_headers(h: &mut HeaderMap, ids: &ReqIds) {
    if let Ok(v) = HeaderValue::from_str(&ids.request_id) {
        h.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&ids.client_request_id) {
        h.insert("client-request-id", v);
    }
}

/// Makes the ids of a request: `client-request-id` is echoed when the client sent a sane one.
pub fn ids_for(headers: &HeaderMap) -> ReqIds {
    let client = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 200)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    ReqIds {
        request_id: uuid::Uuid::new_v4().to_string(),
        client_request_id: client,
    }
}

/// Gives every request its ids, puts them on every response and renders `ApiError`s.
pub async fn ids_layer(mut req: Request, next: Next) -> Response {
    let ids = ids_for(req.headers());
    req.extensions_mut().insert(ids.clone());
    let mut resp = next.run(req).await;
    if let Some(err) = resp.extensions_mut().remove::<ApiError>() {
        return err.render(&ids);
    }
    set_id_headers(resp.headers_mut(), &ids);
    resp
}
