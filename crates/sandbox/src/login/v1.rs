//! The v1 token endpoint (`/{tenant}/oauth2/token`): the same grants as v2.0, but a `resource`
//! instead of a `scope`, and v1's answer (numbers as strings, `expires_on`, `not_before`,
//! `resource`), as ADAL-era and managed-identity-style clients expect it.

use axum::body::{Bytes, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::reply::{form, missing, param};
use super::tokens::Endpoint;
use crate::origin::Root;
use crate::state::AppState;

/// Token replies are small; anything bigger is not one of ours.
const MAX_REPLY: usize = 64 * 1024;

/// `POST /{tenant}/oauth2/token`.
pub async fn token_v1(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    root: Root,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut f = form(&body);
    let resource = param(&f, "resource").map(|r| r.trim_end_matches('/').to_string());
    let grant = param(&f, "grant_type").unwrap_or("").to_string();
    // A refresh may leave the resource out: the first grant's scope is kept then.
    let resource = match resource {
        Some(r) => r,
        None if grant == "refresh_token" => String::new(),
        None => return missing("resource"),
    };
    f.retain(|(k, _)| k != "scope" && k != "resource");
    if !resource.is_empty() {
        let mut scope = format!("{resource}/.default");
        // v1 gives an ID token with every delegated sign-in, and a refresh token too.
        if grant != "client_credentials" {
            scope.push_str(" openid offline_access");
        }
        f.push(("scope".into(), scope));
    }
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(f.iter())
        .finish();
    let reply = super::grant(
        &state,
        &tenant,
        &root,
        &headers,
        encoded.as_bytes(),
        Endpoint::V1,
    );
    if reply.status() != StatusCode::OK {
        return reply;
    }
    let (parts, body) = reply.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_REPLY).await else {
        return (parts, Bytes::new()).into_response();
    };
    let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) else {
        return (parts, bytes).into_response();
    };
    let now = chrono::Utc::now().timestamp();
    let expires_in = v["expires_in"].as_i64().unwrap_or(0);
    for k in ["expires_in", "ext_expires_in"] {
        if let Some(n) = v[k].as_i64() {
            v[k] = json!(n.to_string());
        }
    }
    v["expires_on"] = json!((now + expires_in).to_string());
    v["not_before"] = json!(now.to_string());
    if !resource.is_empty() {
        v["resource"] = json!(resource);
    }
    (StatusCode::OK, axum::Json(v)).into_response()
}
