//! What keeps a request from hurting the server: size limits answered in Graph's 400 shape
//! before any handler runs, and panics answered with a 500 instead of killing the connection
//! (or, in the TUI, where the sandbox runs in-process, the whole app).

use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::{FutureExt, StreamExt};

use super::error::ApiError;
use super::state::AppState;

/// Longest query string (as sent, percent-encoded) the sandbox reads.
pub const MAX_QUERY_LEN: usize = 8 * 1024;
/// Longest request body, except `$batch`'s.
pub const MAX_BODY: usize = 1024 * 1024;
/// Longest `$batch` body: 20 requests with bodies of their own.
pub const MAX_BATCH_BODY: usize = 4 * 1024 * 1024;
/// How much of an oversized body is read and thrown away before answering, so a client still
/// sending gets the 400 instead of a reset connection. Beyond this, the connection is closed.
const MAX_DRAIN: usize = 64 * 1024 * 1024;

thread_local! {
    static IN_SANDBOX: Cell<bool> = const { Cell::new(false) };
}

/// True while this thread is running a sandbox request. A process-wide panic hook (the TUI's,
/// which restores the terminal) can ask it: a panic caught here must not tear the app down.
pub fn in_sandbox_request() -> bool {
    IN_SANDBOX.with(Cell::get)
}

/// Runs `fut` with `in_sandbox_request()` true on whichever thread polls it.
pub async fn marked<F: Future>(fut: F) -> F::Output {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            IN_SANDBOX.with(|c| c.set(self.0));
        }
    }
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(move |cx| {
        // Restored on drop, so also while unwinding from a panic.
        let _reset = Reset(IN_SANDBOX.with(|c| c.replace(true)));
        fut.as_mut().poll(cx)
    })
    .await
}

fn too_large(what: &str, limit: usize) -> ApiError {
    ApiError::bad_request(
        "BadRequest",
        format!("The {what} is too large: the sandbox accepts at most {limit} bytes."),
    )
}

/// Refuses an oversized query string or body with a 400 in Graph's shape, and hands the
/// handler a body already read within its cap.
pub async fn limits(req: Request, next: Next) -> Response {
    if let Some(q) = req.uri().query()
        && q.len() > MAX_QUERY_LEN
    {
        return too_large("query string", MAX_QUERY_LEN).into_response();
    }
    let limit = if req.uri().path().trim_end_matches('/').ends_with("/$batch") {
        MAX_BATCH_BODY
    } else {
        MAX_BODY
    };
    let announced = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut seen = 0usize;
    let too_big = announced.is_some_and(|n| n > limit as u64);
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return ApiError::bad_request("BadRequest", "The request body could not be read.")
                .into_response();
        };
        seen = seen.saturating_add(chunk.len());
        if seen > MAX_DRAIN {
            break;
        }
        if !too_big && seen <= limit {
            buf.extend_from_slice(&chunk);
        }
    }
    if too_big || seen > limit {
        let what = if limit == MAX_BATCH_BODY {
            "batch request body"
        } else {
            "request body"
        };
        let mut resp = too_large(what, limit).into_response();
        if seen > MAX_DRAIN {
            // The rest is left unread: tell hyper not to keep the connection.
            resp.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        return resp;
    }
    next.run(Request::from_parts(parts, Body::from(buf))).await
}

/// Answers a panicking handler with a 500 `generalException` (rendered by `ids_layer`).
pub async fn catch_panic(req: Request, next: Next) -> Response {
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(resp) => resp,
        Err(_) => {
            ApiError::internal("The sandbox failed while handling this request.").into_response()
        }
    }
}

/// The panic switch of `SandboxHandle::panic_next_requests`: Graph requests only, so a test
/// can still sign in while it is on.
pub async fn injected_panic(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if (path.starts_with("/v1.0/") || path.starts_with("/beta/")) && state.take_panic() {
        panic!("sandbox: panic injected by panic_next_requests");
    }
    next.run(req).await
}
