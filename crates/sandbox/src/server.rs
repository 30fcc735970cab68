//! The accept loop. axum's own `serve` cannot drop a connection without answering, so the
//! sandbox runs hyper itself and injects latency, 5xx and dropped connections here, once per
//! HTTP request (a `$batch` is one request), after picking the tenant the request is for
//! (`tenancy`): its router answers, and its fault stream decides.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use futures::FutureExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::{Layer, ServiceExt};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use super::error::{ApiError, ids_for};
use super::faults::Fault;
use super::guard;
use super::login;
use super::origin::Conn;
use super::path;
use super::state::{AppState, Metrics};
use super::tenancy::{Pick, Tenancy};

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the sandbox's fault injection")
    }
}

impl std::error::Error for Dropped {}

/// How long a client may take over its TLS handshake before the connection is closed.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Every tenant's state and router, and how a request finds its tenant.
pub struct Served {
    pub tenancy: Arc<Tenancy>,
    /// By tenant index.
    pub members: Vec<(AppState, Router)>,
}

pub async fn serve(
    listener: TcpListener,
    served: Arc<Served>,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (served, shutdown) = (served.clone(), shutdown.clone());
                match tls.clone() {
                    None => conns.spawn(connection(stream, Conn { tls: false }, served, shutdown)),
                    Some(acceptor) => conns.spawn(async move {
                        // A failed or stalled handshake ends only this connection.
                        let Ok(Ok(stream)) =
                            tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                        else {
                            return;
                        };
                        connection(stream, Conn { tls: true }, served, shutdown).await;
                    }),
                };
            }
            _ = shutdown.changed() => break,
        }
        while conns.try_join_next().is_some() {}
    }
    // Let open connections finish their current request.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

async fn connection<S>(
    stream: S,
    conn_info: Conn,
    served: Arc<Served>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let traced = trace_layer().layer(tower::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(conn_info);
        guard::marked(handle(served.clone(), req))
    }));
    let svc = hyper::service::service_fn(move |req| traced.clone().oneshot(req));
    // The timer lets hyper enforce its header-read timeout, so a stalled client cannot hold
    // a connection task forever.
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
        }
    }
}

type RequestTrace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request<Incoming>) -> tracing::Span,
    (),
    DefaultOnResponse,
    (),
    (),
    DefaultOnFailure,
>;

/// One debug line per request a client sent, faults included (`sandbox serve -v` shows them on
/// stderr): method, path, then status and latency. Never a header or a body, and a query only on
/// Graph paths: the login endpoints may carry codes in theirs.
fn trace_layer() -> RequestTrace {
    let span: fn(&Request<Incoming>) -> tracing::Span = |req| {
        let uri = req.uri();
        let graph = uri.path().starts_with("/v1.0/") || uri.path().starts_with("/beta/");
        let shown = match uri.query() {
            Some(q) if graph => format!("{}?{q}", uri.path()),
            _ => uri.path().to_string(),
        };
        tracing::debug_span!("request", method = %req.method(), path = %shown)
    };
    TraceLayer::new_for_http()
        .make_span_with(span)
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::DEBUG))
        .on_body_chunk(())
        .on_eos(())
        .on_failure(DefaultOnFailure::new().level(Level::DEBUG))
}

async fn handle(
    served: Arc<Served>,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    // Graph's spellings the router does not know (`//`, the `graph.` alias, `delta()`, `/beta`)
    // become its own; the version asked for stays with the request.
    let version = path::version_of(req.uri().path());
    req.extensions_mut().insert(version);
    if let Some(uri) = path::normalize(req.uri()) {
        *req.uri_mut() = uri;
    }
    let picked = match served.tenancy.pick(req.uri().path(), req.headers()) {
        Pick::Tenant(i) => served.members.get(i).or(served.members.first()),
        Pick::UnknownAuthority(name) => {
            return Ok(login::unknown_tenant(&name, req.method()));
        }
    };
    let Some((state, router)) = picked.cloned() else {
        return Ok(
            ApiError::internal("The sandbox serves no tenant.").render(&ids_for(req.headers()))
        );
    };
    Metrics::bump(&state.metrics.requests);
    let latency = state.faults.cfg.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    // Faults hit Graph only: the login endpoints stay reliable so tests can always sign in.
    let path = req.uri().path();
    let fault = if path.starts_with("/v1.0/") || path.starts_with("/beta/") {
        state.faults.draw()
    } else {
        Fault::None
    };
    match fault {
        Fault::DropBefore => return Err(Dropped),
        Fault::Unavailable => {
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
            );
            e.retry_after = Some(1);
            return Ok(e.render(&ids_for(req.headers())));
        }
        Fault::Internal => {
            let e = ApiError::internal("An internal server error occurred. Please retry.");
            return Ok(e.render(&ids_for(req.headers())));
        }
        Fault::None | Fault::DropAfter => {}
    }
    let ids = ids_for(req.headers());
    // The router catches handler panics itself; this catches the rest (its outer layers), so
    // no panic ever leaves a connection without an answer.
    let routed = AssertUnwindSafe(router.oneshot(req.map(Body::new))).catch_unwind();
    let resp = match routed.await {
        Ok(Ok(resp)) => resp,
        Ok(Err(never)) => match never {},
        Err(_) => {
            ApiError::internal("The sandbox failed while handling this request.").render(&ids)
        }
    };
    if fault == Fault::DropAfter {
        // The handler has run to completion (a restore did happen); only the reply is lost.
        return Err(Dropped);
    }
    Ok(resp)
}
