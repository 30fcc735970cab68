//! One call to Graph: the request, its attempts and the retry state machine around them
//! (`send`), reading a reply's body under a cap and a timeout, and a transport failure told in
//! words. Each HTTP exchange is one tracing event (`REQUEST_TARGET`), which the log file and the
//! TUI's request pane both read; a retry is one more event, saying why.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::Method;
use secrecy::ExposeSecret;
use url::Url;

use super::GraphDirectory;
use super::urls::log_path;
use crate::auth::AccessToken;
use crate::directory::retry::{Failure, Op, human, parse_retry_after};
use crate::directory::wire;
use crate::directory::{ActiveUser, DirResult, DirectoryError, Sent};

/// Target of the one event per HTTP exchange. Its fields: `source` (which client), `method`,
/// `path` (`log_path`: no skiptokens in full), `status` and `request_id` when a reply came,
/// `duration_ms`, `attempt` (1 for the first try of a call) and `error` when none came. Never a
/// header or a body: the bearer token, passwords and mail text stay out of every log.
pub const REQUEST_TARGET: &str = "undelete::directory::graph::request";

/// One logical call; `send` may make several attempts of it.
pub(super) struct Call {
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) body: Option<Vec<u8>>,
    /// Adds `ConsistencyLevel: eventual` (needed by `$count`, `$orderby` on deleted items).
    pub(super) eventual: bool,
    pub(super) op: Op,
    /// Directory writes it costs (taken from the write budget before each attempt).
    pub(super) writes: u32,
    /// For a restore: the user to look up when a reply was lost.
    pub(super) restore_id: Option<String>,
    /// Largest decompressed body accepted.
    pub(super) max_body: usize,
    /// Retries stop (and waits are refused) past this point.
    pub(super) deadline: Option<Instant>,
}

pub(super) struct Reply {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) status: u16,
    pub(super) request_id: Option<String>,
    pub(super) retry_after: Option<Duration>,
    pub(super) body: Vec<u8>,
    /// How far the call got over all its attempts, this one included (`send` sets it): a 4xx
    /// after an attempt whose reply was lost still leaves open whether the call happened.
    pub(super) sent: Sent,
}

impl Reply {
    pub(super) fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(super) fn error(&self) -> DirectoryError {
        let mut e = wire::error_from_reply(self.status, self.request_id.as_deref(), &self.body);
        e.retry_after = self.retry_after;
        e.sent = e.sent.max(self.sent);
        e.at(self.method.as_str(), &self.path)
    }

    /// A reply the call cannot use (a body that is not what Graph sends, say): the request
    /// was answered, so whatever it asked for may well have been done.
    pub(super) fn unusable(&self, e: DirectoryError) -> DirectoryError {
        e.sent(Sent::Maybe).at(self.method.as_str(), &self.path)
    }
}

/// How a call ended successfully.
pub(super) enum Outcome {
    Reply(Reply),
    /// A restore whose reply was lost: the user turned out to be active already.
    AlreadyRestored(ActiveUser),
    /// A purge whose reply was lost, then answered 404: the first attempt did it.
    AlreadyDone,
}

impl GraphDirectory {
    pub(super) async fn get(&self, url: Url, eventual: bool) -> DirResult<Reply> {
        self.get_capped(url, eventual, self.inner.max_body).await
    }

    pub(super) async fn get_capped(
        &self,
        url: Url,
        eventual: bool,
        max_body: usize,
    ) -> DirResult<Reply> {
        let call = Call {
            method: Method::GET,
            url,
            body: None,
            eventual,
            op: Op::Read,
            writes: 0,
            restore_id: None,
            max_body,
            deadline: None,
        };
        match self.send(call).await? {
            Outcome::Reply(r) if r.ok() => Ok(r),
            Outcome::Reply(r) => Err(r.error()),
            // Only restores and purges end this way.
            Outcome::AlreadyRestored(_) | Outcome::AlreadyDone => {
                Err(DirectoryError::malformed("unexpected outcome of a read"))
            }
        }
    }

    /// One HTTP exchange. `Err` is a transport failure, classified for the retry rules.
    pub(super) async fn attempt(
        &self,
        call: &Call,
        token: &AccessToken,
        attempt: u32,
    ) -> Result<Reply, (Failure, DirectoryError)> {
        let started = Instant::now();
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .bearer_auth(token.secret.expose_secret())
            .header("client-request-id", uuid::Uuid::new_v4().to_string())
            .header(reqwest::header::ACCEPT, "application/json");
        if call.eventual {
            req = req.header("ConsistencyLevel", "eventual");
        }
        if let Some(body) = &call.body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let resp = match tokio::time::timeout(self.inner.timeout, req.send()).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                return Err(self.transport_failure(call, attempt, None, None, &e, started));
            }
            Err(_) => {
                let err = DirectoryError::network(format!(
                    "the server took too long to answer (no reply within {})",
                    human(self.inner.timeout)
                ));
                self.log(call, attempt, None, None, started, Some(&err.message));
                return Err((Failure::Lost, err));
            }
        };
        let status = resp.status().as_u16();
        let request_id = header(&resp, "request-id");
        let retry_after =
            header(&resp, "retry-after").and_then(|v| parse_retry_after(&v, Utc::now()));
        // The status is known even if the body is then cut off.
        let body = match read_body(resp, call.max_body, self.inner.body_timeout).await {
            Ok(b) => b,
            Err(BodyError::Transport(e)) => {
                return Err(self.transport_failure(
                    call,
                    attempt,
                    Some(status),
                    request_id,
                    &e,
                    started,
                ));
            }
            Err(other) => {
                let mut err = match other {
                    BodyError::TooLarge(cap) => DirectoryError::malformed(format!(
                        "the server's reply is larger than {}, the most this client reads \
                         for one reply",
                        megabytes(cap)
                    )),
                    _ => DirectoryError::network(format!(
                        "the server's reply did not finish within {}",
                        human(self.inner.body_timeout)
                    )),
                };
                self.log(
                    call,
                    attempt,
                    Some(status),
                    request_id.clone(),
                    started,
                    Some(&err.message),
                );
                err.status = Some(status);
                err.request_id = request_id;
                err.permanent = true;
                return Err((Failure::Lost, err));
            }
        };
        self.log(
            call,
            attempt,
            Some(status),
            request_id.clone(),
            started,
            None,
        );
        Ok(Reply {
            method: call.method.clone(),
            path: log_path(&call.url),
            status,
            request_id,
            retry_after,
            body,
            sent: Sent::No,
        })
    }

    fn transport_failure(
        &self,
        call: &Call,
        attempt: u32,
        status: Option<u16>,
        request_id: Option<String>,
        e: &reqwest::Error,
        started: Instant,
    ) -> (Failure, DirectoryError) {
        let cause = transport_cause(e, &call.url, status.is_some());
        self.log(
            call,
            attempt,
            status,
            request_id.clone(),
            started,
            Some(&cause.words),
        );
        let (failure, sent) = if cause.not_sent {
            (Failure::NotSent, Sent::No)
        } else {
            (Failure::Lost, Sent::Maybe)
        };
        let mut err = DirectoryError::network(cause.words).sent(sent);
        err.status = status;
        err.request_id = request_id;
        (failure, err)
    }

    /// The exchange's one event; `logging` turns it into a line of the log file and a record of
    /// the request pane.
    fn log(
        &self,
        call: &Call,
        attempt: u32,
        status: Option<u16>,
        request_id: Option<String>,
        started: Instant,
        error: Option<&str>,
    ) {
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(
            target: REQUEST_TARGET,
            source = self.inner.source,
            method = call.method.as_str(),
            path = log_path(&call.url),
            status,
            request_id,
            duration_ms,
            attempt,
            error,
            "graph request"
        );
    }

    /// A write that expects a 2xx and no particular body.
    pub(super) async fn write(&self, call: Call) -> DirResult<Outcome> {
        match self.send(call).await? {
            Outcome::Reply(r) if !r.ok() => Err(r.error()),
            other => Ok(other),
        }
    }
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(undelete_common::sanitize::clean)
}

/// Why a body could not be read whole.
enum BodyError {
    /// Past the cap (decompressed bytes), which is carried.
    TooLarge(usize),
    /// Still coming when the body timeout ran out.
    Stalled,
    Transport(reqwest::Error),
}

/// Reads a reply's body as it streams in (decompressed by reqwest), counting: a body over `cap`
/// is dropped as soon as it passes it, so a small gzip bomb costs `cap`, not what it expands to.
async fn read_body(
    mut resp: reqwest::Response,
    cap: usize,
    timeout: Duration,
) -> Result<Vec<u8>, BodyError> {
    // A length announced is a length to refuse early or to allocate once (compressed replies
    // announce none: reqwest drops it when it decompresses).
    let announced = resp.content_length().map(|n| n as usize);
    if announced.is_some_and(|n| n > cap) {
        return Err(BodyError::TooLarge(cap));
    }
    let read = async move {
        let mut body = Vec::with_capacity(announced.unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
            if body.len() + chunk.len() > cap {
                return Err(BodyError::TooLarge(cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyError::Stalled))
}

pub(super) fn megabytes(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MB", bytes / (1024 * 1024))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// A transport failure in words, cause first, and whether the request surely never left.
struct TransportCause {
    words: String,
    not_sent: bool,
}

/// Whether a failed exchange surely never wrote its request, from the error's types alone:
/// a failure to connect (refused, DNS, TLS handshake, a connect timeout: reqwest's
/// `is_connect`, `is_dns`), or hyper's "canceled", which it reports only for a request it
/// hands back unwritten (a pooled connection found closed, or not ready, before the request
/// went on it; hyper-util resends those itself on a reused connection, so what reaches us is
/// the one it could not). Anything else (a reset, an early end of the reply, a timeout) may
/// have come after the server read the request.
fn never_written(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_dns() || chain_never_written(std::error::Error::source(e))
}

/// `never_written` over an error's sources: a refused connection, or hyper's "canceled".
fn chain_never_written(mut source: Option<&(dyn std::error::Error + 'static)>) -> bool {
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>()
            && h.is_canceled()
        {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// Walks the error's sources for what actually happened (an `io::Error` kind, a DNS or TLS
/// failure) instead of reqwest's "error sending request for url (...)". The words are chosen
/// from the text; whether the request left is not (`never_written`).
fn transport_cause(e: &reqwest::Error, url: &Url, had_status: bool) -> TransportCause {
    use std::io::ErrorKind as Io;
    let host = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "the server".to_string(),
    };
    let mut io_kind = None;
    let mut texts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        texts.push(s.to_string());
        source = s.source();
    }
    let detail = texts.last().cloned().unwrap_or_else(|| e.without_url_ref());
    let all = texts.join(": ").to_lowercase();
    // A reply whose status came cannot have been unwritten, whatever its error says.
    let not_sent = !had_status && never_written(e);
    let words = |w: String| TransportCause { words: w, not_sent };
    if io_kind == Some(Io::ConnectionRefused) {
        return words(format!("cannot connect to {host}: connection refused"));
    }
    if e.is_dns() || all.contains("dns error") || all.contains("failed to lookup address") {
        return words(format!("cannot find {host} (DNS): {detail}"));
    }
    if e.is_connect()
        && (all.contains("certificate") || all.contains("tls") || all.contains("handshake"))
    {
        return words(format!("TLS handshake with {host} failed: {detail}"));
    }
    if e.is_timeout() || io_kind == Some(Io::TimedOut) {
        return words(if e.is_connect() {
            format!("cannot connect to {host}: timed out")
        } else {
            "the server took too long to answer".to_string()
        });
    }
    if e.is_connect() {
        return words(format!("cannot connect to {host}: {detail}"));
    }
    if had_status {
        return words(format!("the reply was cut off: {detail}"));
    }
    if not_sent {
        return words(format!(
            "the connection to {host} closed before the request was sent ({detail})"
        ));
    }
    let reset = matches!(
        io_kind,
        Some(Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof)
    );
    let what = if reset {
        "the connection was closed before a reply"
    } else {
        "the connection was lost before a reply"
    };
    words(format!("{what} ({detail})"))
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let s = self.to_string();
        match self.url() {
            Some(u) => s
                .replace(&format!(" ({u})"), "")
                .replace(u.as_str(), "<url>"),
            None => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::chain_never_written;
    use tokio::io::AsyncReadExt;

    fn request() -> hyper::Request<String> {
        hyper::Request::builder()
            .method("POST")
            .uri("/v1.0/me/sendMail")
            .header("host", "graph.test")
            .body("{}".to_string())
            .expect("request")
    }

    #[tokio::test]
    async fn a_request_hyper_hands_back_unwritten_was_never_sent() {
        let (ours, _theirs) = tokio::io::duplex(1024);
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(ours))
                .await
                .expect("handshake");
        // The connection is gone before the request goes on it, as a pooled one found closed.
        drop(conn);
        let e = sender
            .send_request(request())
            .await
            .expect_err("no connection");
        assert!(e.is_canceled(), "{e:?}");
        assert!(chain_never_written(Some(&e)));
    }

    #[tokio::test]
    async fn a_request_written_then_dropped_may_have_been_read() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(ours))
                .await
                .expect("handshake");
        tokio::spawn(conn);
        // The server reads the whole request, then closes without a word.
        let server = tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut buf = [0u8; 256];
            while !seen.ends_with(b"{}") {
                let n = theirs.read(&mut buf).await.expect("read");
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            seen
        });
        let e = sender.send_request(request()).await.expect_err("no reply");
        let seen = server.await.expect("server");
        assert!(
            seen.starts_with(b"POST /v1.0/me/sendMail"),
            "the request was written"
        );
        assert!(!e.is_canceled(), "{e:?}");
        assert!(!chain_never_written(Some(&e)), "{e:?}");
        // A refused connection is never written, wherever it sits in the chain.
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(chain_never_written(Some(&refused)));
    }
}
