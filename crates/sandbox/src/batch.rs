//! `POST /v1.0/$batch`: up to 20 inner requests, run through the same router (so each inner
//! write meets the write quota on its own), honouring `dependsOn`.
//!
//! As Graph does (https://learn.microsoft.com/graph/json-batching), an inner `url` may be
//! relative to the version (`/users`) or absolute (`https://graph.microsoft.com/v1.0/users`,
//! which msgraph-core sends), and fields of an inner request the sandbox does not know are
//! ignored. A batch sent to `/beta/$batch` runs its relative urls on beta; an absolute url
//! names its own version.
//!
//! An inner request `body` is JSON when the inner `Content-Type` is JSON, and otherwise a
//! base64 string of the raw bytes (the page's "body ... can be a JSON object or a base64
//! URL-encoded value, for example, when the body is an image"); a request with a body must name
//! its `Content-Type`, or Graph refuses the whole batch ("Write request id : {id} does not
//! contain Content-Type header or body."). An inner reply that is not JSON (the `text/plain`
//! of `/$count`) is carried the same way, as a JSON string of its bytes in base64, as Graph
//! carries it (seen by others, e.g. Microsoft Q&A 1352007; the batching page shows only JSON
//! bodies).

use std::collections::{HashMap, HashSet};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use futures::future::join_all;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::error::{ApiError, ApiResult, ReqIds};
use super::origin::Conn;
use super::path::{self, Version};
use super::state::AppState;

pub const MAX_REQUESTS: usize = 20;
/// Inner response bodies larger than this are not buffered (none of ours come close).
const MAX_INNER_BODY: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct BatchBody {
    requests: Vec<Inner>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Inner {
    id: String,
    method: String,
    url: String,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    depends_on: Vec<String>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadRequest", message)
}

/// The router's path (and query) for an inner request's `url`, and the version it runs on
/// (`outer`, the batch's own: an absolute url must name it too), or why there is none.
fn inner_path(url: &str, outer: Version) -> Result<(String, Version), String> {
    let url = url.trim();
    let strip = |rest: &str| -> (String, Option<Version>) {
        let rest = rest.trim_start_matches('/');
        for version in [Version::V1, Version::Beta] {
            if let Some(r) = rest.strip_prefix(&format!("{}/", version.segment())) {
                return (r.to_string(), Some(version));
            }
        }
        (rest.to_string(), None)
    };
    let (rest, version) = match url::Url::parse(url) {
        Ok(abs) if matches!(abs.scheme(), "http" | "https") => {
            let (rest, version) = strip(abs.path());
            let version = version.filter(|v| *v == outer).ok_or_else(|| {
                format!(
                    "an absolute url must address /{}/ of Microsoft Graph, the batch's own version",
                    outer.segment()
                )
            })?;
            match abs.query() {
                Some(q) => (format!("{rest}?{q}"), version),
                None => (rest, version),
            }
        }
        Ok(_) => return Err("the url must be relative to the version, e.g. /users".into()),
        Err(_) => {
            let (rest, version) = strip(url);
            (rest, version.unwrap_or(outer))
        }
    };
    let rest = rest.trim_start_matches('/');
    if rest.starts_with("$batch") {
        return Err("a batch cannot hold another $batch".into());
    }
    let path = format!("/{}/{rest}", version.segment());
    let uri: axum::http::Uri = path
        .parse()
        .map_err(|e| format!("the url is not a valid URL: {e}"))?;
    Ok((
        path::normalize(&uri).map_or(path, |u| u.to_string()),
        version,
    ))
}

/// The inner request's `Content-Type` header, if it names one.
fn content_type(r: &Inner) -> Option<&str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .and_then(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// `application/json`, `application/json; charset=utf-8`, `application/merge-patch+json`...
fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.to_ascii_lowercase().ends_with("+json")
}

/// The bytes an inner body stands for: JSON as it is for a JSON media type; otherwise the
/// string decoded from base64 (URL-safe or standard, padded or not).
fn body_bytes(r: &Inner, body: &Value) -> Result<Vec<u8>, String> {
    use base64::Engine;
    use base64::engine::DecodePaddingMode;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    let media = content_type(r).unwrap_or("application/json");
    match body {
        Value::String(text) if !is_json(media) => {
            let lenient = GeneralPurposeConfig::new()
                .with_decode_padding_mode(DecodePaddingMode::Indifferent);
            let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            GeneralPurpose::new(&base64::alphabet::URL_SAFE, lenient)
                .decode(&cleaned)
                .or_else(|_| {
                    GeneralPurpose::new(&base64::alphabet::STANDARD, lenient).decode(&cleaned)
                })
                .map_err(|_| {
                    format!(
                        "the body of request '{}' is not base64, as a '{media}' body must be",
                        r.id
                    )
                })
        }
        other => serde_json::to_vec(other).map_err(|e| e.to_string()),
    }
}

/// Graph refuses the whole batch, before running any of it, for one bad request in it: a
/// repeated id, an unknown method or path, a write without a body or a body without its
/// type, or a `dependsOn` naming no other request.
fn refuse_bad_batch(reqs: &[Inner], outer: Version) -> ApiResult<()> {
    let mut seen = HashSet::new();
    for r in reqs {
        if !seen.insert(r.id.as_str()) {
            return Err(bad(format!("Batch request id '{}' is duplicated.", r.id)));
        }
        if r.method.parse::<Method>().is_err() {
            return Err(bad(format!(
                "Invalid method '{}' in request '{}'.",
                r.method, r.id
            )));
        }
        if let Err(why) = inner_path(&r.url, outer) {
            return Err(bad(format!("Request '{}': {why}.", r.id)));
        }
        let body = r.body.as_ref().filter(|b| !b.is_null());
        // Graph refuses a write that carries no body, or a body without its type, for the
        // whole batch (its message, seen by SDK users: msgraph-sdk-dotnet issue 2628), even
        // where the call outside a batch takes no body (`restore`, `message: send`).
        let write = matches!(
            r.method.to_ascii_uppercase().as_str(),
            "POST" | "PATCH" | "PUT"
        );
        if (write && body.is_none()) || (body.is_some() && content_type(r).is_none()) {
            return Err(bad(format!(
                "Write request id : {} does not contain Content-Type header or body.",
                r.id
            )));
        }
        if let Some(body) = body
            && let Err(why) = body_bytes(r, body)
        {
            return Err(bad(format!("Request '{}': {why}.", r.id)));
        }
    }
    for r in reqs {
        for d in &r.depends_on {
            if !seen.contains(d.as_str()) || d == &r.id {
                return Err(bad(format!(
                    "Request '{}' depends on unknown request '{d}'.",
                    r.id
                )));
            }
        }
    }
    Ok(())
}

pub async fn handle(
    State(state): State<AppState>,
    Extension(ids): Extension<ReqIds>,
    conn: Option<Extension<Conn>>,
    version: Option<Extension<Version>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let outer = version.map(|Extension(v)| v).unwrap_or_default();
    let batch: BatchBody = serde_json::from_slice(&body)
        .map_err(|e| bad(format!("Invalid batch payload format: {e}")))?;
    let reqs = batch.requests;
    if reqs.is_empty() {
        return Err(bad("Batch request must contain at least one request."));
    }
    if reqs.len() > MAX_REQUESTS {
        return Err(bad(format!(
            "Number of batch requests exceeds the limit of {MAX_REQUESTS}."
        )));
    }
    refuse_bad_batch(&reqs, outer)?;
    let Some(router) = state.router.get().cloned() else {
        return Err(ApiError::internal("The batch router is not ready."));
    };
    let auth = headers.get(axum::http::header::AUTHORIZATION).cloned();
    // Inner replies write their links for the host and scheme the batch came by.
    let host = headers.get(axum::http::header::HOST).cloned();
    let conn = conn.map(|Extension(c)| c);

    let mut status: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::with_capacity(reqs.len());
    let mut pending: Vec<Inner> = reqs;
    while !pending.is_empty() {
        let (ready, waiting): (Vec<Inner>, Vec<Inner>) = pending
            .into_iter()
            .partition(|r| r.depends_on.iter().all(|d| status.contains_key(d)));
        if ready.is_empty() {
            return Err(bad("The dependsOn graph of the batch has a cycle."));
        }
        pending = waiting;
        let runs = ready.into_iter().map(|r| {
            let failed = r
                .depends_on
                .iter()
                .any(|d| status.get(d).is_some_and(|s| *s >= 400));
            let router = router.clone();
            let auth = auth.clone();
            let host = host.clone();
            let ids = ids.clone();
            async move {
                if failed {
                    let e = ApiError::new(
                        StatusCode::FAILED_DEPENDENCY,
                        "FailedDependency",
                        "The request cannot be run because a request it depends on failed.",
                    );
                    let body = e.body(&ids);
                    return (
                        r.id,
                        424,
                        json!({"content-type": "application/json"}),
                        Some(body),
                    );
                }
                run_inner(
                    router,
                    Outer {
                        auth,
                        host,
                        conn,
                        version: outer,
                    },
                    &ids,
                    r,
                )
                .await
            }
        });
        for (id, st, hdrs, body) in join_all(runs).await {
            status.insert(id.clone(), st);
            let mut v = json!({"id": id, "status": st, "headers": hdrs});
            if let Some(b) = body {
                v["body"] = b;
            }
            responses.push(v);
        }
    }
    Ok(Json(json!({ "responses": responses })))
}

/// What inner requests take from the batch itself.
struct Outer {
    auth: Option<HeaderValue>,
    host: Option<HeaderValue>,
    conn: Option<Conn>,
    version: Version,
}

async fn run_inner(
    router: axum::Router,
    outer: Outer,
    // The batch's own ids: an inner request that never reaches the router has none of its own.
    ids: &ReqIds,
    r: Inner,
) -> (String, u16, Value, Option<Value>) {
    // Checked by `handle` before any inner request runs.
    let (path, version) = inner_path(&r.url, outer.version).unwrap_or_default();
    let method = r.method.parse::<Method>().unwrap_or(Method::GET);
    let mut builder = Request::builder()
        .method(method)
        .uri(&path)
        .extension(version);
    if let Some(a) = outer.auth {
        builder = builder.header(axum::http::header::AUTHORIZATION, a);
    }
    if let Some(h) = outer.host {
        builder = builder.header(axum::http::header::HOST, h);
    }
    if let Some(c) = outer.conn {
        builder = builder.extension(c);
    }
    for (k, v) in &r.headers {
        if let Some(v) = v.as_str() {
            builder = builder.header(k.as_str(), v);
        }
    }
    // The headers above carry the body's `Content-Type` (checked by `handle`).
    let body = match r.body.as_ref().filter(|b| !b.is_null()) {
        Some(b) => Body::from(body_bytes(&r, b).unwrap_or_default()),
        None => Body::empty(),
    };
    let req = match builder.body(body) {
        Ok(req) => req,
        Err(e) => {
            let body = bad(format!("Invalid request: {e}")).body(ids);
            return (r.id, 400, json!({}), Some(body));
        }
    };
    let resp = match router.oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    let st = resp.status().as_u16();
    let json_reply = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(is_json);
    let mut hdrs = Map::new();
    for (k, v) in resp.headers() {
        if let Ok(v) = v.to_str() {
            hdrs.insert(k.as_str().to_string(), json!(v));
        }
    }
    let bytes = axum::body::to_bytes(resp.into_body(), MAX_INNER_BODY)
        .await
        .unwrap_or_default();
    let body = if bytes.is_empty() {
        None
    } else if json_reply {
        Some(
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes).into_owned())),
        )
    } else {
        Some(json!(B64.encode(&bytes)))
    };
    (r.id, st, Value::Object(hdrs), body)
}

#[cfg(test)]
mod tests {
    use super::{Version, inner_path, is_json};

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json(
            "application/json;odata.metadata=minimal;charset=utf-8"
        ));
        assert!(is_json("Application/Problem+JSON"));
        assert!(!is_json("text/plain; charset=utf-8"));
        assert!(!is_json("application/octet-stream"));
    }

    #[test]
    fn inner_urls() {
        let ok = |u: &str| inner_path(u, Version::V1).unwrap().0;
        assert_eq!(ok("/users?$top=1"), "/v1.0/users?$top=1");
        assert_eq!(ok("users/x"), "/v1.0/users/x");
        assert_eq!(ok("/v1.0/me"), "/v1.0/me");
        assert_eq!(
            ok("https://graph.microsoft.com/v1.0/directory/deletedItems/graph.user?$top=2"),
            "/v1.0/directory/deletedItems/microsoft.graph.user?$top=2"
        );
        assert_eq!(ok("//users"), "/v1.0/users");
        let v1 = |u: &str| inner_path(u, Version::V1);
        assert_eq!(
            inner_path(
                "https://graph.microsoft.com/beta/users/delta()",
                Version::Beta
            )
            .unwrap(),
            ("/v1.0/users/delta".to_string(), Version::Beta)
        );
        assert!(v1("https://graph.microsoft.com/beta/users").is_err());
        assert_eq!(
            inner_path("/users", Version::Beta).unwrap(),
            ("/v1.0/users".to_string(), Version::Beta)
        );
        assert!(v1("https://graph.microsoft.com/users").is_err());
        assert!(v1("/$batch").is_err());
        assert!(v1("https://graph.microsoft.com/v1.0/$batch").is_err());
        assert!(v1("mailto:x@y.z").is_err());
    }
}
