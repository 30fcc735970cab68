//! `GraphDirectory`: the one `Directory` implementation, Microsoft Graph v1.0 over reqwest.
//!
//! Every call goes through `send`, which owns the rules that keep the app honest with the
//! service: a fresh `client-request-id` per request, `ConsistencyLevel: eventual` where OData
//! needs it, one token refresh on 401, and retries only where repeating cannot do harm (see
//! `retry.rs`). Bulk restores go through `$batch` (see `batch.rs`) under a write budget.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, FuturesUnordered, StreamExt};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::broadcast;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use url::Url;

use super::batch::{self, JobState, Step};
use super::budget::WriteBudget;
use super::retry::{
    Decision, Failure, MAX_RETRY_AFTER, Op, RetryPolicy, human, parse_retry_after, wait_too_long,
};
use super::wait::{NOTICE_AFTER, WaitNotice, WaitReason};
use super::wire::{self, ACTIVE_SELECT, DELETED_SELECT, ME_SELECT};
use super::{
    ActiveUser, DeletedPage, DeletedUser, DirResult, Directory, DirectoryError, Domain, ErrorKind,
    JobEvent, MailMessage, Me, PasswordChange, PasswordVerdict, RequestRecord, RestoreJob,
    RestoreRequest, Stage,
};
use crate::auth::{AccessToken, TokenSource};
use crate::config::{Endpoints, parse_root};

/// Graph's largest page for directory objects.
pub const PAGE_SIZE: u32 = 999;

/// Pages a listing follows at most (about ten million users at full pages): a server that
/// keeps handing out new links must not grow memory without end.
pub const MAX_PAGES: usize = 10_000;

/// DESIGN.md 4.2: directory writes per app and tenant.
pub const DEFAULT_WRITE_BUDGET: (u32, Duration) = (3000, Duration::from_secs(150));

/// Largest decompressed body of one listing page: 999 users with every field selected are a
/// few MB; a page can hold long proxy-address lists, so the cap is generous.
pub const MAX_PAGE_BODY: usize = 64 * 1024 * 1024;

/// Largest decompressed body of any other reply (a user, an error, a `$batch` of 20).
pub const MAX_BODY: usize = 1024 * 1024;

/// Memory the rows of one listing may take (about two million users); past it, a server that
/// keeps inventing pages is stopped before it takes the machine's memory.
pub const MAX_LISTING_BYTES: usize = 1024 * 1024 * 1024;

/// How long a run may go on, waits included (the CLI's `--deadline` default).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30 * 60);

/// Reaction to each wait the client is about to sit through (see `WaitNotice`).
pub type WaitObserver = Arc<dyn Fn(&WaitNotice) + Send + Sync>;

/// How a `GraphDirectory` behaves. `Default` gives what the app uses against a real tenant.
#[derive(Clone)]
pub struct GraphOptions {
    /// App-only sign-in has no `/me`: whoami and send_mail use `/users/{sender}` instead.
    pub mail_sender: Option<String>,
    /// Retries after the first attempt of one call (429s that say when to come back excepted:
    /// those are waited out until the deadline).
    pub max_retries: u32,
    /// `$batch` requests in flight at once during a bulk restore.
    pub concurrency: usize,
    /// Client-side write budget (writes, per period); `None` sends writes unpaced.
    pub write_budget: Option<(u32, Duration)>,
    /// Receives one record per HTTP exchange (never headers or bodies).
    pub request_log: Option<UnboundedSender<RequestRecord>>,
    /// Per attempt: how long to wait for the reply's status and headers.
    pub timeout: Duration,
    /// Per attempt: how long the whole body may take once the headers are in. A body still
    /// coming after that is given up, not retried: the server is answering, but not finishing.
    pub body_timeout: Duration,
    /// Largest decompressed body of a listing page.
    pub max_page_body: usize,
    /// Largest decompressed body of any other reply.
    pub max_body: usize,
    /// Memory the rows of one listing may take.
    pub max_listing_bytes: usize,
    /// Longest `Retry-After` honoured; asked for more, a call fails at once saying so.
    pub max_retry_after: Duration,
    /// A bulk run, and the retries of any one call, end by this long after they start.
    pub deadline: Duration,
    /// Called for every wait longer than `NOTICE_AFTER`, besides the broadcast.
    pub on_wait: Option<WaitObserver>,
    pub user_agent: String,
    /// First exponential-backoff step (doubled per retry, jittered).
    pub backoff_base: Duration,
}

impl std::fmt::Debug for GraphOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphOptions")
            .field("mail_sender", &self.mail_sender)
            .field("max_retries", &self.max_retries)
            .field("concurrency", &self.concurrency)
            .field("write_budget", &self.write_budget)
            .field("timeout", &self.timeout)
            .field("body_timeout", &self.body_timeout)
            .field("max_page_body", &self.max_page_body)
            .field("max_body", &self.max_body)
            .field("max_retry_after", &self.max_retry_after)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Default for GraphOptions {
    fn default() -> Self {
        Self {
            mail_sender: None,
            max_retries: 4,
            concurrency: 8,
            write_budget: Some(DEFAULT_WRITE_BUDGET),
            request_log: None,
            timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(45),
            max_page_body: MAX_PAGE_BODY,
            max_body: MAX_BODY,
            max_listing_bytes: MAX_LISTING_BYTES,
            max_retry_after: MAX_RETRY_AFTER,
            deadline: DEFAULT_DEADLINE,
            on_wait: None,
            user_agent: format!("undelete/{}", env!("CARGO_PKG_VERSION")),
            backoff_base: Duration::from_millis(400),
        }
    }
}

#[derive(Clone)]
pub struct GraphDirectory {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    graph_root: Url,
    /// `{graph}/v1.0/`
    v1: Url,
    tokens: Arc<dyn TokenSource>,
    policy: RetryPolicy,
    mail_sender: Option<String>,
    concurrency: usize,
    budget: Option<WriteBudget>,
    /// Exchange Online serves at most 4 concurrent sends per mailbox (DESIGN.md 4.2).
    mail_slots: tokio::sync::Semaphore,
    log: Option<UnboundedSender<RequestRecord>>,
    timeout: Duration,
    body_timeout: Duration,
    max_page_body: usize,
    max_body: usize,
    max_listing_bytes: usize,
    deadline: Duration,
    waits: broadcast::Sender<WaitNotice>,
    on_wait: Option<WaitObserver>,
    /// When the latest announced wait ends: concurrent batches waiting out the same
    /// `Retry-After` make one notice, not eight.
    announced_until: std::sync::Mutex<Option<Instant>>,
}

/// Concurrent `sendMail` calls allowed per mailbox.
pub const MAIL_CONCURRENCY: usize = 4;

/// One logical call; `send` may make several attempts of it.
struct Call {
    method: Method,
    url: Url,
    body: Option<Vec<u8>>,
    /// Adds `ConsistencyLevel: eventual` (needed by `$count`, `$orderby` on deleted items).
    eventual: bool,
    op: Op,
    /// Directory writes it costs (taken from the write budget before each attempt).
    writes: u32,
    /// For a restore: the user to look up when a reply was lost.
    restore_id: Option<String>,
    /// Largest decompressed body accepted.
    max_body: usize,
    /// Retries stop (and waits are refused) past this point.
    deadline: Option<Instant>,
}

struct Reply {
    method: Method,
    path: String,
    status: u16,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

impl Reply {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn error(&self) -> DirectoryError {
        let mut e = wire::error_from_reply(self.status, self.request_id.as_deref(), &self.body);
        e.retry_after = self.retry_after;
        e.at(self.method.as_str(), &self.path)
    }
}

/// How a call ended successfully.
enum Outcome {
    Reply(Reply),
    /// A restore whose reply was lost: the user turned out to be active already.
    AlreadyRestored(ActiveUser),
    /// A purge whose reply was lost, then answered 404: the first attempt did it.
    AlreadyDone,
}

impl GraphDirectory {
    pub fn new(
        endpoints: Endpoints,
        tokens: Arc<dyn TokenSource>,
        options: GraphOptions,
    ) -> Result<Self, DirectoryError> {
        // The same rule as the command line: https, or plain http to loopback only.
        let graph_root = parse_root(endpoints.graph.as_str(), "the Graph URL")
            .map_err(DirectoryError::invalid)?;
        let v1 = Url::parse(&endpoints.graph_v1(""))
            .map_err(|e| DirectoryError::invalid(format!("the Graph URL: {e}")))?;
        let http = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            // `attempt` times the headers and the body apart (so it can say which was slow);
            // this is only a backstop for a hang neither of them covers.
            .timeout(options.timeout + options.body_timeout + Duration::from_secs(5))
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            // Graph does not redirect API calls; following one could hand the bearer token to
            // whatever host a proxy or a hostile reply names.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| DirectoryError::invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                graph_root,
                v1,
                tokens,
                policy: RetryPolicy {
                    max_retries: options.max_retries,
                    base: options.backoff_base,
                    max_retry_after: options.max_retry_after,
                    ..RetryPolicy::default()
                },
                mail_sender: options.mail_sender,
                concurrency: options.concurrency.max(1),
                budget: options
                    .write_budget
                    .map(|(writes, per)| WriteBudget::new(writes, per)),
                mail_slots: tokio::sync::Semaphore::new(MAIL_CONCURRENCY),
                log: options.request_log,
                timeout: options.timeout,
                body_timeout: options.body_timeout,
                max_page_body: options.max_page_body,
                max_body: options.max_body,
                max_listing_bytes: options.max_listing_bytes,
                deadline: options.deadline,
                waits: broadcast::channel(64).0,
                on_wait: options.on_wait,
                announced_until: std::sync::Mutex::new(None),
            }),
        })
    }

    /// Every wait over `NOTICE_AFTER` from now on, as it starts (a receiver that falls behind
    /// skips the oldest notices). The TUI shows the latest on its progress line; the CLI prints
    /// each on stderr.
    pub fn subscribe_waits(&self) -> broadcast::Receiver<WaitNotice> {
        self.inner.waits.subscribe()
    }

    /// Announces a wait about to start, if it is long enough to be noticed and not already
    /// covered by one announced before (concurrent batches meeting the same `Retry-After`).
    fn notify_wait(&self, reason: WaitReason, wait: Duration, detail: impl Into<String>) {
        if wait <= NOTICE_AFTER {
            return;
        }
        let ends = Instant::now() + wait;
        {
            let mut until = self
                .inner
                .announced_until
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if until.is_some_and(|u| ends <= u + Duration::from_secs(1)) {
                return;
            }
            *until = Some(ends);
        }
        let notice = WaitNotice::new(reason, wait, detail);
        tracing::info!(target: "undelete::directory", "{notice}");
        if let Some(f) = &self.inner.on_wait {
            f(&notice);
        }
        // No receiver is fine: nobody is showing waits.
        let _ = self.inner.waits.send(notice);
    }

    /// The point a call started now must end by.
    fn call_deadline(&self) -> Instant {
        Instant::now() + self.inner.deadline
    }

    /// `{graph}/v1.0/{segments...}?{query}`. Segments are percent-encoded one by one, so an id
    /// or UPN (`#EXT#`, `/`) can never change the path.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> DirResult<Url> {
        let mut url = self.inner.v1.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|()| DirectoryError::invalid("the Graph URL cannot have a path"))?;
            path.pop_if_empty();
            for s in segments {
                path.push(s);
            }
        }
        if !query.is_empty() {
            let q: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
                .collect();
            url.set_query(Some(&q.join("&")));
        }
        Ok(url)
    }

    fn deleted_list_url(&self) -> DirResult<Url> {
        let top = PAGE_SIZE.to_string();
        self.url(
            &["directory", "deletedItems", "microsoft.graph.user"],
            &[
                ("$top", &top),
                ("$count", "true"),
                ("$select", DELETED_SELECT),
            ],
        )
    }

    /// A `@odata.nextLink` is followed as given, but only to the configured Graph origin: a
    /// reply must not be able to send our bearer token to another host. A link back to a page
    /// already fetched (a loop), or past `MAX_PAGES`, ends the listing with an error instead of
    /// running forever.
    fn check_next_link(&self, link: &str, fetched: &HashSet<Url>) -> DirResult<Url> {
        let url = Url::parse(link).map_err(|e| {
            DirectoryError::malformed(format!(
                "the server's @odata.nextLink {:?} is not a URL: {e}",
                crate::sanitize::clean(link)
            ))
        })?;
        if url.origin() != self.inner.graph_root.origin() {
            return Err(DirectoryError::malformed(format!(
                "refusing to follow @odata.nextLink to {}: it is not the configured Graph URL {}",
                url.origin().ascii_serialization(),
                self.inner.graph_root.origin().ascii_serialization()
            )));
        }
        if fetched.contains(&url) {
            return Err(DirectoryError::malformed(
                "the server's @odata.nextLink points back to a page already fetched",
            ));
        }
        if fetched.len() >= MAX_PAGES {
            return Err(DirectoryError::malformed(format!(
                "the listing did not end after {MAX_PAGES} pages"
            )));
        }
        Ok(url)
    }

    /// Fetches one page and records it in `fetched`; the next link comes back checked.
    async fn fetch_page(
        &self,
        url: Url,
        fetched: &mut HashSet<Url>,
    ) -> DirResult<(DeletedPage, Option<DirResult<Url>>)> {
        let reply = self
            .get_capped(url.clone(), true, self.inner.max_page_body)
            .await?;
        let parsed =
            wire::parse_deleted_page(&reply.body).map_err(|e| e.at("GET", &log_path(&url)))?;
        fetched.insert(url);
        let next = parsed.next_link.map(|l| self.check_next_link(&l, fetched));
        Ok((parsed.page, next))
    }

    async fn get(&self, url: Url, eventual: bool) -> DirResult<Reply> {
        self.get_capped(url, eventual, self.inner.max_body).await
    }

    async fn get_capped(&self, url: Url, eventual: bool, max_body: usize) -> DirResult<Reply> {
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

    /// The active user with this id or UPN, `None` on 404.
    async fn fetch_active(&self, id_or_upn: String) -> DirResult<Option<ActiveUser>> {
        let url = self.url(&["users", &id_or_upn], &[("$select", ACTIVE_SELECT)])?;
        match self.get(url, false).await {
            Ok(reply) => wire::parse_active(&reply.body).map(Some),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Boxed so `send` (which verifies restores with it) and this can call each other.
    fn fetch_active_boxed(&self, id: String) -> BoxFuture<'static, DirResult<Option<ActiveUser>>> {
        let this = self.clone();
        Box::pin(async move { this.fetch_active(id).await })
    }

    async fn find_one(&self, filter: String) -> DirResult<Option<ActiveUser>> {
        let url = self.url(
            &["users"],
            &[("$filter", &filter), ("$select", ACTIVE_SELECT)],
        )?;
        let reply = self.get(url, false).await?;
        wire::parse_active_list(&reply.body)
    }

    /// One HTTP exchange. `Err` is a transport failure, classified for the retry rules.
    async fn attempt(
        &self,
        call: &Call,
        token: &AccessToken,
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
            Ok(Err(e)) => return Err(self.transport_failure(call, None, None, &e, started)),
            Err(_) => {
                self.log(call, None, None, started);
                let err = DirectoryError::network(format!(
                    "the server took too long to answer (no reply within {})",
                    human(self.inner.timeout)
                ));
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
                return Err(self.transport_failure(call, Some(status), request_id, &e, started));
            }
            Err(other) => {
                self.log(call, Some(status), request_id.clone(), started);
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
                err.status = Some(status);
                err.request_id = request_id;
                err.permanent = true;
                return Err((Failure::Lost, err));
            }
        };
        self.log(call, Some(status), request_id.clone(), started);
        Ok(Reply {
            method: call.method.clone(),
            path: log_path(&call.url),
            status,
            request_id,
            retry_after,
            body,
        })
    }

    fn transport_failure(
        &self,
        call: &Call,
        status: Option<u16>,
        request_id: Option<String>,
        e: &reqwest::Error,
        started: Instant,
    ) -> (Failure, DirectoryError) {
        self.log(call, status, request_id.clone(), started);
        let cause = transport_cause(e, &call.url, status.is_some());
        let failure = if cause.not_sent {
            Failure::NotSent
        } else {
            Failure::Lost
        };
        let mut err = DirectoryError::network(cause.words);
        err.status = status;
        err.request_id = request_id;
        (failure, err)
    }

    fn log(&self, call: &Call, status: Option<u16>, request_id: Option<String>, started: Instant) {
        if let Some(log) = &self.inner.log {
            let duration_ms = started.elapsed().as_millis() as u64;
            // A closed log (the UI went away) is not an error for the call itself.
            let _ = log.send(RequestRecord {
                at: Utc::now(),
                method: call.method.to_string(),
                path: log_path(&call.url),
                status,
                request_id,
                duration_ms,
            });
        }
    }

    /// Sleeps `wait` before the next attempt, announcing it when long, unless that would run
    /// past `deadline`: then the call fails with `cause` and says why.
    async fn wait_before_retry(
        &self,
        wait: Duration,
        deadline: Instant,
        reason: WaitReason,
        detail: String,
        cause: &DirectoryError,
    ) -> DirResult<()> {
        if Instant::now() + wait > deadline {
            let mut err = cause.clone();
            err.message = format!(
                "{}; not retrying: waiting {} more would pass the deadline of {}",
                err.message,
                human(wait),
                human(self.inner.deadline)
            );
            err.permanent = true;
            return Err(err);
        }
        self.notify_wait(reason, wait, detail);
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// Sends `call`, retrying as `retry.rs` allows. A non-2xx reply that is not retried is
    /// returned as `Outcome::Reply` for the caller to turn into an error. Every error names
    /// the request after its cause.
    async fn send(&self, call: Call) -> DirResult<Outcome> {
        let (method, path) = (call.method.clone(), log_path(&call.url));
        self.send_inner(call)
            .await
            .map_err(|e| e.at(method.as_str(), &path))
    }

    async fn send_inner(&self, call: Call) -> DirResult<Outcome> {
        let deadline = call.deadline.unwrap_or_else(|| self.call_deadline());
        let mut retries = 0;
        let mut refreshed = false;
        // An earlier attempt may have been processed (reply lost, or 5xx).
        let mut maybe_done = false;
        loop {
            let token = self.inner.tokens.token().await;
            let token = match token.map_err(DirectoryError::from) {
                Ok(t) => t,
                Err(e) if matches!(e.kind, ErrorKind::Network | ErrorKind::Server) => {
                    // Nothing reached Graph: safe to retry whatever the call is.
                    match self.inner.policy.decide(
                        call.op,
                        Failure::NotSent,
                        retries,
                        rand::random(),
                    ) {
                        Decision::Retry { after, .. } => {
                            retries += 1;
                            let detail = format!("sign-in failed, attempt {retries}");
                            self.wait_before_retry(
                                after,
                                deadline,
                                WaitReason::Retrying,
                                detail,
                                &e,
                            )
                            .await?;
                            continue;
                        }
                        Decision::GiveUp | Decision::WaitTooLong(_) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            };
            if let Some(budget) = &self.inner.budget {
                budget
                    .acquire_noting(call.writes, |wait| {
                        self.notify_wait(WaitReason::Pacing, wait, "client write budget")
                    })
                    .await;
            }
            let (failure, err, decision) = match self.attempt(&call, &token).await {
                Ok(reply) if reply.ok() => return Ok(Outcome::Reply(reply)),
                Ok(reply) if reply.status == 401 && !refreshed => {
                    self.inner.tokens.invalidate(&token);
                    refreshed = true;
                    continue;
                }
                Ok(reply) if reply.status == 404 && maybe_done => match call.op {
                    Op::Purge => return Ok(Outcome::AlreadyDone),
                    Op::Restore => {
                        // 404 on a resent restore: the first one may have worked after all (and
                        // the lookup below may have been served by a lagging replica).
                        if let Some(id) = &call.restore_id
                            && let Ok(Some(user)) = self.fetch_active_boxed(id.clone()).await
                        {
                            return Ok(Outcome::AlreadyRestored(user));
                        }
                        return Ok(Outcome::Reply(reply));
                    }
                    _ => return Ok(Outcome::Reply(reply)),
                },
                Ok(reply) => {
                    let failure = Failure::Status {
                        status: reply.status,
                        retry_after: reply.retry_after,
                    };
                    let decision =
                        self.inner
                            .policy
                            .decide(call.op, failure, retries, rand::random());
                    if decision == Decision::GiveUp {
                        return Ok(Outcome::Reply(reply));
                    }
                    (failure, reply.error(), decision)
                }
                // A reply too large, or a body that never ends, would be the same next time.
                Err((_, err)) if err.permanent => return Err(err),
                Err((failure, err)) => {
                    let decision =
                        self.inner
                            .policy
                            .decide(call.op, failure, retries, rand::random());
                    (failure, err, decision)
                }
            };
            match decision {
                Decision::GiveUp => {
                    let mut err = err;
                    if failure == Failure::Lost && call.op == Op::NoResend {
                        err.message.push_str(
                            "; it may or may not have been carried out, so it was not sent again",
                        );
                    }
                    return Err(err);
                }
                Decision::WaitTooLong(wait) => {
                    let mut err = err;
                    err.kind = ErrorKind::Throttled;
                    err.message = wait_too_long(wait, self.inner.policy.max_retry_after);
                    err.retry_after = Some(wait);
                    err.permanent = true;
                    return Err(err);
                }
                Decision::Retry {
                    after,
                    verify_first,
                } => {
                    retries += 1;
                    maybe_done |= matches!(failure, Failure::Lost)
                        || matches!(failure, Failure::Status { status, .. } if status >= 500);
                    let (reason, detail) = wait_reason(failure, retries);
                    self.wait_before_retry(after, deadline, reason, detail, &err)
                        .await?;
                    if verify_first && let Some(id) = &call.restore_id {
                        match self.fetch_active_boxed(id.clone()).await {
                            Ok(Some(user)) => return Ok(Outcome::AlreadyRestored(user)),
                            Ok(None) => {}
                            Err(check) => {
                                return Err(DirectoryError {
                                    message: format!(
                                        "{}; checking whether the restore happened anyway failed \
                                         too ({}): refresh before trying again",
                                        err.message, check.message
                                    ),
                                    ..err
                                });
                            }
                        }
                    }
                }
            }
        }
    }

    /// A write that expects a 2xx and no particular body.
    async fn write(&self, call: Call) -> DirResult<Outcome> {
        match self.send(call).await? {
            Outcome::Reply(r) if !r.ok() => Err(r.error()),
            other => Ok(other),
        }
    }

    async fn restore_one(&self, id: String, request: RestoreRequest) -> DirResult<ActiveUser> {
        let url = self.url(&["directory", "deletedItems", &id, "restore"], &[])?;
        let call = Call {
            method: Method::POST,
            url,
            body: wire::restore_body(&request).map(|b| b.to_string().into_bytes()),
            eventual: false,
            op: Op::Restore,
            writes: 1,
            restore_id: Some(id.clone()),
            max_body: self.inner.max_body,
            deadline: None,
        };
        match self.write(call).await? {
            Outcome::Reply(r) => match wire::parse_active(&r.body) {
                Ok(user) => Ok(user),
                // Restored, but the reply does not say as whom: ask.
                Err(parse) => self.fetch_active(id).await?.ok_or(parse),
            },
            Outcome::AlreadyRestored(user) => Ok(user),
            Outcome::AlreadyDone => {
                Err(DirectoryError::malformed("unexpected outcome of a restore"))
            }
        }
    }

    async fn set_password_one(&self, id: String, change: PasswordChange) -> DirResult<()> {
        let url = self.url(&["users", &id], &[])?;
        let call = Call {
            method: Method::PATCH,
            url,
            body: Some(wire::password_body(&change).to_string().into_bytes()),
            eventual: false,
            op: Op::Idempotent,
            writes: 1,
            restore_id: None,
            max_body: self.inner.max_body,
            deadline: None,
        };
        self.write(call)
            .await
            .map(|_| ())
            .map_err(|e| explain_weak_password(e, &change))
    }

    /// Runs a bulk restore; events go to `tx` as batches come back. The run ends by
    /// `options.deadline`: jobs still waiting then fail with their last error.
    async fn run_bulk(self, jobs: Vec<RestoreJob>, tx: UnboundedSender<JobEvent>) {
        let deadline = self.call_deadline();
        let mut pending: VecDeque<JobState> = VecDeque::new();
        for job in jobs {
            match batch::check_job_id(&job.id) {
                Ok(()) => pending.push_back(JobState::new(job)),
                Err(e) => {
                    let _ = tx.send(batch::failed(&job.id, Stage::Restore, e));
                }
            }
        }
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < self.inner.concurrency && !pending.is_empty() {
                let chunk = next_chunk(&mut pending);
                in_flight.push(self.clone().run_chunk(chunk, deadline, tx.clone()));
            }
            match in_flight.next().await {
                Some(leftover) => {
                    // The consumer went away (e.g. the admin stopped the run): start no more.
                    if tx.is_closed() {
                        pending.clear();
                    }
                    pending.extend(leftover);
                }
                None => break,
            }
        }
    }

    /// Resends after failures one job may take in a bulk run. Against 40% of requests failing,
    /// 24 failures in a row happen to one job in 10^9 runs; a service that is down for good
    /// is left after a few minutes of growing backoff (each wait announced), and the deadline
    /// bounds the run whatever happens.
    fn bulk_limits(&self) -> batch::Limits {
        batch::Limits {
            max_resends: (self.inner.policy.max_retries * 2 + 2).max(24),
            max_retry_after: self.inner.policy.max_retry_after,
        }
    }

    /// Fails every job of `chunk` because the run's deadline has come (or would pass during the
    /// wait it needs), with what held each job back.
    fn fail_at_deadline(&self, chunk: &mut [JobState], emit: &dyn Fn(JobEvent)) {
        for s in chunk.iter_mut() {
            let why = format!(
                "the run's deadline of {} passed before this user's {} went through",
                human(self.inner.deadline),
                match s.step {
                    Step::Password => "password change",
                    _ => "restore",
                }
            );
            let error = match s.last_error.take() {
                Some(last) => DirectoryError {
                    message: format!("{why}; last: {}", last.message),
                    permanent: true,
                    ..last
                },
                // Never answered at all: whether a restore happened is unknown, so it is a
                // network error (the journal keeps such users for a later run to check).
                None => DirectoryError {
                    permanent: true,
                    ..DirectoryError::network(why)
                },
            };
            emit(batch::failed(&s.job.id, stage_of(s), error));
            s.step = Step::Done;
        }
    }

    /// Sends one batch for `chunk` and returns the jobs that still have work.
    async fn run_chunk(
        self,
        mut chunk: Vec<JobState>,
        deadline: Instant,
        tx: UnboundedSender<JobEvent>,
    ) -> Vec<JobState> {
        let emit = |e: JobEvent| {
            let _ = tx.send(e);
        };
        if tx.is_closed() {
            return Vec::new();
        }
        let limits = self.bulk_limits();
        // Wait out the longest Retry-After (or backoff) among them.
        let wait = chunk.iter().map(|j| j.wait).max().unwrap_or_default();
        if Instant::now() + wait > deadline {
            self.fail_at_deadline(&mut chunk, &emit);
            return Vec::new();
        }
        if !wait.is_zero() {
            let (reason, detail) = if chunk.iter().any(|j| j.throttled) {
                (WaitReason::Throttled, "Retry-After".to_string())
            } else {
                // Why the requests failed, in words: a dead server must be named, not only
                // waited on.
                let why = chunk
                    .iter()
                    .find_map(|j| j.last_error.as_ref())
                    .map_or_else(
                        || "failed requests of a bulk restore".to_string(),
                        |e| format!("last: {}", e.message),
                    );
                (WaitReason::Retrying, why)
            };
            self.notify_wait(reason, wait, detail);
            tokio::time::sleep(wait).await;
        }
        // Restores whose reply was lost: find out whether they happened before resending. The
        // checks go out together: one by one, each meeting its own faults, they would hold the
        // whole chunk for the sum of their retries.
        let checks = futures::future::join_all(
            chunk
                .iter()
                .filter(|s| s.step == (Step::Restore { verify: true }))
                .map(|s| self.fetch_active(s.job.id.clone())),
        )
        .await;
        let mut checks = checks.into_iter();
        for state in chunk.iter_mut() {
            if state.step != (Step::Restore { verify: true }) {
                continue;
            }
            let Some(check) = checks.next() else { break };
            match check {
                Ok(Some(user)) => emit(batch::verified(state, user)),
                Ok(None) => state.step = Step::Restore { verify: false },
                // The check itself met a passing fault (its own retries spent): check again
                // later rather than give the user up.
                Err(e) if transient(&e) && state.resends < limits.max_resends => {
                    state.resends += 1;
                    state.wait = self.inner.policy.backoff(state.resends, rand::random());
                    state.throttled = e.kind == ErrorKind::Throttled;
                    state.last_error = Some(batch::unverified(e));
                }
                Err(e) => {
                    emit(batch::failed(
                        &state.job.id,
                        Stage::Restore,
                        batch::unverified(e),
                    ));
                    state.step = Step::Done;
                }
            }
        }
        chunk.retain(|s| s.step != Step::Done);
        // Those still to be checked go round again, after their wait.
        let (mut ready, later): (Vec<JobState>, Vec<JobState>) = chunk
            .into_iter()
            .partition(|s| s.step != (Step::Restore { verify: true }));
        if ready.is_empty() {
            return later;
        }
        let writes: u32 = ready.iter().map(JobState::writes).sum();
        let body = {
            let refs: Vec<&JobState> = ready.iter().collect();
            serde_json::to_vec(&batch::build(&refs))
        };
        let body = match body {
            Ok(b) => b,
            Err(e) => {
                for s in &ready {
                    emit(batch::failed(
                        &s.job.id,
                        stage_of(s),
                        DirectoryError::invalid(format!("cannot encode the $batch: {e}")),
                    ));
                }
                return later;
            }
        };
        let url = match self.url(&["$batch"], &[]) {
            Ok(u) => u,
            Err(e) => {
                for s in &ready {
                    emit(batch::failed(&s.job.id, stage_of(s), e.clone()));
                }
                return later;
            }
        };
        let call = Call {
            method: Method::POST,
            url,
            body: Some(body),
            eventual: false,
            op: Op::Batch,
            writes,
            restore_id: None,
            max_body: self.inner.max_body,
            deadline: Some(deadline),
        };
        let reply = match self.write(call).await {
            Ok(Outcome::Reply(r)) => batch::parse_reply(&r.body, r.request_id.as_deref())
                .map_err(|e| e.at("POST", &r.path)),
            Ok(_) => Err(DirectoryError::malformed("unexpected outcome of a $batch")),
            Err(e) => Err(e),
        };
        match reply {
            Ok(responses) => {
                let mut refs: Vec<&mut JobState> = ready.iter_mut().collect();
                let events = batch::apply(&mut refs, &responses, limits, &|e, job| match &job
                    .password
                {
                    Some(change) => explain_weak_password(e, change),
                    None => e,
                });
                for e in events {
                    emit(e);
                }
            }
            Err(e) if batch::maybe_processed(&e) && !e.permanent => {
                // Some of it may have run: restores get verified, PATCHes simply resent.
                for s in ready.iter_mut() {
                    if s.resends >= limits.max_resends {
                        emit(batch::failed(&s.job.id, stage_of(s), e.clone()));
                        s.step = Step::Done;
                        continue;
                    }
                    s.resends += 1;
                    s.throttled = e.kind == ErrorKind::Throttled;
                    s.wait = e
                        .retry_after
                        .unwrap_or(self.inner.policy.backoff(s.resends, rand::random()));
                    s.last_error = Some(e.clone());
                    if let Step::Restore { .. } = s.step {
                        s.step = Step::Restore { verify: true };
                    }
                }
            }
            Err(e) => {
                for s in ready.iter_mut() {
                    emit(batch::failed(&s.job.id, stage_of(s), e.clone()));
                    s.step = Step::Done;
                }
            }
        }
        ready.retain(|s| s.step != Step::Done);
        ready.extend(later);
        ready
    }
}

/// Whether an error may pass if the same request is sent again later.
fn transient(e: &DirectoryError) -> bool {
    !e.permanent
        && matches!(
            e.kind,
            ErrorKind::Network | ErrorKind::Server | ErrorKind::Throttled | ErrorKind::Malformed
        )
}

/// Where a listing stands, for the limits on what it may cost.
struct Listing {
    next: Option<DirResult<Url>>,
    fetched: HashSet<Url>,
    /// `@odata.count` from the first page.
    announced: Option<u64>,
    rows: u64,
    /// Memory the rows handed out so far take (an estimate: strings and the struct).
    bytes: usize,
}

/// Memory one deleted user takes in the app: the struct and its strings.
fn row_bytes(u: &DeletedUser) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    std::mem::size_of::<DeletedUser>()
        + u.id.len()
        + u.display_name.len()
        + u.deleted_upn.len()
        + u.original_upn.len()
        + opt(&u.mail)
        + opt(&u.department)
        + opt(&u.job_title)
        + opt(&u.user_type)
        + u.proxy_addresses
            .iter()
            .map(|p| p.len() + std::mem::size_of::<String>())
            .sum::<usize>()
}

impl GraphDirectory {
    /// Counts a page against the listing's limits: far more rows than the server announced,
    /// or more memory for rows than allowed, ends the listing with an error.
    fn admit_page(&self, state: &mut Listing, page: &DeletedPage) -> DirResult<()> {
        if state.announced.is_none() {
            state.announced = page.total;
        }
        state.rows += page.users.len() as u64;
        state.bytes += page.users.iter().map(row_bytes).sum::<usize>();
        if let Some(announced) = state.announced
            && state.rows > announced.saturating_mul(2).saturating_add(1000)
        {
            return Err(DirectoryError::malformed(format!(
                "the listing was stopped: the server announced {announced} deleted users but has \
                 sent {} so far",
                state.rows
            )));
        }
        if state.bytes > self.inner.max_listing_bytes {
            return Err(DirectoryError::malformed(format!(
                "the listing was stopped: its {} users take more than {} of memory",
                state.rows,
                megabytes(self.inner.max_listing_bytes)
            )));
        }
        Ok(())
    }
}

impl GraphDirectory {
    /// Deleted users by id through `$batch` GETs, 20 per batch, some batches in flight at once.
    /// Each id ends on its own: a lookup that keeps failing fails that id only.
    async fn lookup_deleted_many(&self, ids: Vec<String>) -> Vec<DirResult<DeletedUser>> {
        let mut results: Vec<Option<DirResult<DeletedUser>>> = vec![None; ids.len()];
        let mut valid = Vec::new();
        for (i, id) in ids.into_iter().enumerate() {
            match batch::check_job_id(&id) {
                Ok(()) => valid.push((i, id)),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        let chunks: Vec<Vec<(usize, String)>> = valid
            .chunks(batch::MAX_REQUESTS)
            .map(<[(usize, String)]>::to_vec)
            .collect();
        let mut done = stream::iter(chunks)
            .map(|chunk| self.lookup_chunk(chunk))
            .buffer_unordered(self.inner.concurrency);
        while let Some(found) = done.next().await {
            for (i, r) in found {
                results[i] = Some(r);
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(DirectoryError::malformed("the lookup was lost"))))
            .collect()
    }

    /// One `$batch` of lookups, resent for the ids that met a 429 (after its `Retry-After`) or
    /// a passing fault (a bounded number of times), until the deadline.
    async fn lookup_chunk(
        &self,
        chunk: Vec<(usize, String)>,
    ) -> Vec<(usize, DirResult<DeletedUser>)> {
        struct Lookup {
            index: usize,
            id: String,
            failures: u32,
            last: Option<DirectoryError>,
        }
        let deadline = self.call_deadline();
        let limit = self.inner.policy.max_retries;
        let mut todo: Vec<Lookup> = chunk
            .into_iter()
            .map(|(index, id)| Lookup {
                index,
                id,
                failures: 0,
                last: None,
            })
            .collect();
        let mut out = Vec::with_capacity(todo.len());
        let mut wait = Duration::ZERO;
        let mut throttled = false;
        while !todo.is_empty() {
            if !wait.is_zero() {
                if Instant::now() + wait > deadline {
                    for l in todo.drain(..) {
                        let e = l.last.unwrap_or_else(|| {
                            DirectoryError::network("the lookup's deadline passed")
                        });
                        out.push((l.index, Err(e)));
                    }
                    break;
                }
                let reason = if throttled {
                    WaitReason::Throttled
                } else {
                    WaitReason::Retrying
                };
                self.notify_wait(reason, wait, "Retry-After of user lookups");
                tokio::time::sleep(wait).await;
            }
            let requests: Vec<batch::InnerRequest> = todo
                .iter()
                .enumerate()
                .map(|(n, l)| batch::InnerRequest {
                    id: n.to_string(),
                    method: "GET",
                    url: format!("/directory/deletedItems/{}?$select={DELETED_SELECT}", l.id),
                    headers: None,
                    body: None,
                    depends_on: None,
                })
                .collect();
            let reply = match (
                serde_json::to_vec(&batch::BatchBody { requests }),
                self.url(&["$batch"], &[]),
            ) {
                (Ok(body), Ok(url)) => {
                    let call = Call {
                        method: Method::POST,
                        url,
                        body: Some(body),
                        eventual: false,
                        // Only reads inside: as safe to resend as a GET.
                        op: Op::Read,
                        writes: 0,
                        restore_id: None,
                        max_body: self.inner.max_body,
                        deadline: Some(deadline),
                    };
                    match self.send(call).await {
                        Ok(Outcome::Reply(r)) if r.ok() => {
                            batch::parse_reply(&r.body, r.request_id.as_deref())
                        }
                        Ok(Outcome::Reply(r)) => Err(r.error()),
                        Ok(_) => Err(DirectoryError::malformed("unexpected outcome of a $batch")),
                        Err(e) => Err(e),
                    }
                }
                (Err(e), _) => Err(DirectoryError::invalid(format!(
                    "cannot encode the $batch: {e}"
                ))),
                (_, Err(e)) => Err(e),
            };
            wait = Duration::ZERO;
            throttled = false;
            let mut again = Vec::new();
            match reply {
                Ok(responses) => {
                    for (n, mut l) in todo.drain(..).enumerate() {
                        let at = |e: DirectoryError| {
                            e.at("GET", &format!("$batch /directory/deletedItems/{}", l.id))
                        };
                        let Some(r) = responses.get(&n.to_string()) else {
                            l.failures += 1;
                            l.last = Some(at(DirectoryError::network(
                                "the $batch reply left this lookup out",
                            )));
                            again.push(l);
                            continue;
                        };
                        match r.status {
                            200..=299 => {
                                let parsed = r
                                    .body
                                    .clone()
                                    .ok_or_else(|| DirectoryError::malformed("no body"))
                                    .and_then(wire::parse_deleted_value)
                                    .map_err(at);
                                out.push((l.index, parsed));
                            }
                            429 => {
                                let e = at(r.error());
                                match e.retry_after {
                                    Some(ra) if ra > self.inner.policy.max_retry_after => {
                                        let mut e = e;
                                        e.message =
                                            wait_too_long(ra, self.inner.policy.max_retry_after);
                                        e.permanent = true;
                                        out.push((l.index, Err(e)));
                                    }
                                    Some(ra) => {
                                        wait = wait.max(ra);
                                        throttled = true;
                                        l.last = Some(e);
                                        again.push(l);
                                    }
                                    None => {
                                        l.failures += 1;
                                        wait = wait.max(Duration::from_secs(1));
                                        l.last = Some(e);
                                        again.push(l);
                                    }
                                }
                            }
                            500..=599 => {
                                l.failures += 1;
                                let e = at(r.error());
                                wait = wait.max(e.retry_after.unwrap_or(Duration::ZERO));
                                l.last = Some(e);
                                again.push(l);
                            }
                            _ => out.push((l.index, Err(at(r.error())))),
                        }
                    }
                }
                Err(e) if transient(&e) => {
                    for mut l in todo.drain(..) {
                        l.failures += 1;
                        l.last = Some(e.clone());
                        again.push(l);
                    }
                }
                Err(e) => {
                    for l in todo.drain(..) {
                        out.push((l.index, Err(e.clone())));
                    }
                }
            }
            for l in again {
                if l.failures > limit {
                    let e = l
                        .last
                        .unwrap_or_else(|| DirectoryError::network("the lookup kept failing"));
                    out.push((l.index, Err(e)));
                } else {
                    todo.push(l);
                }
            }
            if !todo.is_empty() && wait.is_zero() {
                let worst = todo.iter().map(|l| l.failures).max().unwrap_or(0);
                wait = self.inner.policy.backoff(worst, rand::random());
            }
        }
        out
    }
}

/// As many jobs from the front as fit in one `$batch` (10 with passwords, 20 without).
fn next_chunk(pending: &mut VecDeque<JobState>) -> Vec<JobState> {
    let mut chunk = Vec::new();
    let mut requests = 0;
    while let Some(front) = pending.front() {
        let needs = front.writes().max(1) as usize;
        if !chunk.is_empty() && requests + needs > batch::MAX_REQUESTS {
            break;
        }
        requests += needs;
        chunk.extend(pending.pop_front());
    }
    chunk
}

fn stage_of(s: &JobState) -> Stage {
    match s.step {
        Step::Password => Stage::Password,
        _ => Stage::Restore,
    }
}

/// Graph says only "does not comply with password complexity requirements"; name the rule.
fn explain_weak_password(mut e: DirectoryError, change: &PasswordChange) -> DirectoryError {
    if e.kind != ErrorKind::WeakPassword {
        return e;
    }
    let why = crate::password::check(change.password.expose_secret())
        .first_failure()
        .unwrap_or_else(|| {
            "it meets the length and character rules, so the directory's banned-password list \
             or its own policy refused it"
                .to_string()
        });
    e.message = format!("{} — {why}", e.message.trim_end());
    e
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(crate::sanitize::clean)
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

fn megabytes(bytes: usize) -> String {
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

/// Walks the error's sources for what actually happened (an `io::Error` kind, a DNS or TLS
/// failure) instead of reqwest's "error sending request for url (...)".
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
    let words = |w: String, not_sent: bool| TransportCause { words: w, not_sent };
    if io_kind == Some(Io::ConnectionRefused) {
        return words(
            format!("cannot connect to {host}: connection refused"),
            true,
        );
    }
    if all.contains("dns error") || all.contains("failed to lookup address") {
        return words(format!("cannot find {host} (DNS): {detail}"), true);
    }
    if e.is_connect()
        && (all.contains("certificate") || all.contains("tls") || all.contains("handshake"))
    {
        return words(format!("TLS handshake with {host} failed: {detail}"), true);
    }
    if e.is_timeout() || io_kind == Some(Io::TimedOut) {
        let what = if e.is_connect() {
            format!("cannot connect to {host}: timed out")
        } else {
            "the server took too long to answer".to_string()
        };
        return words(what, e.is_connect());
    }
    if e.is_connect() {
        return words(format!("cannot connect to {host}: {detail}"), true);
    }
    if had_status {
        return words(format!("the reply was cut off: {detail}"), false);
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
    words(format!("{what} ({detail})"), false)
}

/// What a retry is waiting for, for its notice.
fn wait_reason(failure: Failure, attempt: u32) -> (WaitReason, String) {
    match failure {
        Failure::Status {
            status: 429,
            retry_after: Some(_),
        } => (WaitReason::Throttled, "Retry-After".into()),
        Failure::Status { status: 429, .. } => (
            WaitReason::Throttled,
            format!("HTTP 429, attempt {attempt}"),
        ),
        Failure::Status { status: 503, .. } => (
            WaitReason::ServerBusy,
            format!("HTTP 503, attempt {attempt}"),
        ),
        Failure::Status { status, .. } => (
            WaitReason::Retrying,
            format!("HTTP {status}, attempt {attempt}"),
        ),
        Failure::NotSent => (
            WaitReason::Retrying,
            format!("could not connect, attempt {attempt}"),
        ),
        Failure::Lost => (
            WaitReason::Retrying,
            format!("connection lost, attempt {attempt}"),
        ),
    }
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

/// Path and query for the request log, with long `$skiptoken` values shortened: they are
/// opaque, long, and say nothing to a reader.
pub fn log_path(url: &Url) -> String {
    let mut out = url.path().to_string();
    if let Some(q) = url.query() {
        out.push('?');
        let parts: Vec<String> = q
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v))
                    if (k.eq_ignore_ascii_case("$skiptoken")
                        || k.eq_ignore_ascii_case("%24skiptoken"))
                        && v.chars().count() > 16 =>
                {
                    let head: String = v.chars().take(8).collect();
                    format!("{k}={head}…")
                }
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&parts.join("&"));
    }
    out
}

/// Percent-encodes an OData query value, keeping the characters that make `$filter` readable
/// in logs and that every server decodes the same way.
fn encode_query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'\''
            | b'('
            | b')'
            | b','
            | b':'
            | b'@'
            | b'/'
            | b'*'
            | b'$' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An OData string literal: quotes doubled, so a UPN cannot end the literal early.
fn odata_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Directory for GraphDirectory {
    fn list_deleted(&self) -> BoxStream<'static, DirResult<DeletedPage>> {
        let this = self.clone();
        let first = self.deleted_list_url();
        let state = Listing {
            next: Some(first),
            fetched: HashSet::new(),
            announced: None,
            rows: 0,
            bytes: 0,
        };
        stream::unfold(state, move |mut state| {
            let this = this.clone();
            async move {
                let url = match state.next.take()? {
                    Ok(url) => url,
                    Err(e) => return Some((Err(e), state)),
                };
                match this.fetch_page(url, &mut state.fetched).await {
                    Ok((page, next)) => match this.admit_page(&mut state, &page) {
                        Ok(()) => {
                            state.next = next;
                            Some((Ok(page), state))
                        }
                        Err(e) => Some((Err(e), state)),
                    },
                    Err(e) => Some((Err(e), state)),
                }
            }
        })
        .boxed()
    }

    fn get_deleted(&self, id: &str) -> BoxFuture<'static, DirResult<DeletedUser>> {
        let this = self.clone();
        let id = id.to_string();
        Box::pin(async move {
            let url = this.url(
                &["directory", "deletedItems", &id],
                &[("$select", DELETED_SELECT)],
            )?;
            let reply = this.get(url, false).await?;
            wire::parse_deleted(&reply.body)
        })
    }

    fn get_deleted_many<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, Vec<DirResult<DeletedUser>>> {
        Box::pin(self.lookup_deleted_many(ids.to_vec()))
    }

    fn wait_notices(&self) -> Option<broadcast::Receiver<WaitNotice>> {
        Some(self.subscribe_waits())
    }

    fn get_active(&self, id_or_upn: &str) -> BoxFuture<'static, DirResult<Option<ActiveUser>>> {
        self.fetch_active_boxed(id_or_upn.to_string())
    }

    fn find_active_by_upn(&self, upn: &str) -> BoxFuture<'static, DirResult<Option<ActiveUser>>> {
        let this = self.clone();
        let filter = format!("userPrincipalName eq {}", odata_string(upn));
        Box::pin(async move { this.find_one(filter).await })
    }

    fn find_active_by_proxy(
        &self,
        address: &str,
    ) -> BoxFuture<'static, DirResult<Option<ActiveUser>>> {
        let this = self.clone();
        let filter = format!("proxyAddresses/any(p:p eq {})", odata_string(address));
        Box::pin(async move { this.find_one(filter).await })
    }

    fn restore(
        &self,
        id: &str,
        request: &RestoreRequest,
    ) -> BoxFuture<'static, DirResult<ActiveUser>> {
        let this = self.clone();
        let (id, request) = (id.to_string(), request.clone());
        Box::pin(async move { this.restore_one(id, request).await })
    }

    fn set_password(&self, id: &str, change: &PasswordChange) -> BoxFuture<'static, DirResult<()>> {
        let this = self.clone();
        let (id, change) = (id.to_string(), change.clone());
        Box::pin(async move { this.set_password_one(id, change).await })
    }

    fn restore_many(&self, jobs: Vec<RestoreJob>) -> BoxStream<'static, JobEvent> {
        let (tx, rx) = unbounded_channel();
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(self.clone().run_bulk(jobs, tx));
            }
            // Called outside a runtime: report it per job instead of panicking.
            Err(_) => {
                for job in jobs {
                    let _ = tx.send(batch::failed(
                        &job.id,
                        Stage::Restore,
                        DirectoryError::invalid("restore_many needs a tokio runtime"),
                    ));
                }
            }
        }
        stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) }).boxed()
    }

    fn send_mail(&self, message: &MailMessage) -> BoxFuture<'static, DirResult<()>> {
        let this = self.clone();
        let message = message.clone();
        Box::pin(async move {
            let sender = message
                .sender
                .clone()
                .or_else(|| this.inner.mail_sender.clone());
            let url = match &sender {
                Some(s) => this.url(&["users", s, "sendMail"], &[])?,
                None => this.url(&["me", "sendMail"], &[])?,
            };
            let call = Call {
                method: Method::POST,
                url,
                body: Some(wire::mail_body(&message).to_string().into_bytes()),
                eventual: false,
                op: Op::NoResend,
                writes: 0,
                restore_id: None,
                max_body: this.inner.max_body,
                deadline: None,
            };
            // The semaphore is never closed, so acquiring only fails if that changes.
            let _slot = this
                .inner
                .mail_slots
                .acquire()
                .await
                .map_err(|_| DirectoryError::invalid("the mail queue was closed"))?;
            this.write(call).await.map(|_| ())
        })
    }

    fn purge(&self, id: &str) -> BoxFuture<'static, DirResult<()>> {
        let this = self.clone();
        let id = id.to_string();
        Box::pin(async move {
            let url = this.url(&["directory", "deletedItems", &id], &[])?;
            let call = Call {
                method: Method::DELETE,
                url,
                body: None,
                eventual: false,
                op: Op::Purge,
                writes: 1,
                restore_id: None,
                max_body: this.inner.max_body,
                deadline: None,
            };
            this.write(call).await.map(|_| ())
        })
    }

    fn whoami(&self) -> BoxFuture<'static, DirResult<Me>> {
        let this = self.clone();
        Box::pin(async move {
            let url = match &this.inner.mail_sender {
                Some(s) => this.url(&["users", s], &[("$select", ME_SELECT)])?,
                None => this.url(&["me"], &[("$select", ME_SELECT)])?,
            };
            let reply = this.get(url, false).await?;
            wire::parse_me(&reply.body)
        })
    }

    fn domains(&self) -> BoxFuture<'static, DirResult<Vec<Domain>>> {
        let this = self.clone();
        Box::pin(async move {
            let url = this.url(&["domains"], &[("$select", "id,isVerified")])?;
            let reply = this.get(url, false).await?;
            wire::parse_domains(&reply.body)
        })
    }

    fn validate_password(
        &self,
        password: &SecretString,
    ) -> BoxFuture<'static, DirResult<PasswordVerdict>> {
        let this = self.clone();
        let body = serde_json::json!({ "password": password.expose_secret() })
            .to_string()
            .into_bytes();
        Box::pin(async move {
            // Only in beta, and only in the global cloud: the `v1.0` root's sibling.
            let mut url = this.inner.graph_root.clone();
            url.path_segments_mut()
                .map_err(|()| DirectoryError::invalid("the Graph URL cannot have a path"))?
                .pop_if_empty()
                .extend(["beta", "users", "validatePassword"]);
            let call = Call {
                method: Method::POST,
                url,
                body: Some(body),
                eventual: false,
                // A question, not a change: safe to ask again, costs no write.
                op: Op::Idempotent,
                writes: 0,
                restore_id: None,
                max_body: this.inner.max_body,
                deadline: None,
            };
            match this.send(call).await? {
                Outcome::Reply(r) if r.ok() => wire::parse_password_verdict(&r.body),
                Outcome::Reply(r) => Err(r.error()),
                Outcome::AlreadyRestored(_) | Outcome::AlreadyDone => Err(
                    DirectoryError::malformed("unexpected outcome of a password check"),
                ),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::future::BoxFuture;
    use secrecy::SecretString;

    struct NoToken;

    impl TokenSource for NoToken {
        fn token(&self) -> BoxFuture<'_, Result<AccessToken, crate::auth::AuthError>> {
            Box::pin(async { Err(crate::auth::AuthError::Declined) })
        }
        fn invalidate(&self, _: &AccessToken) {}
    }

    fn dir(graph: &str) -> DirResult<GraphDirectory> {
        let url = Url::parse(graph).map_err(|e| DirectoryError::invalid(e.to_string()))?;
        let endpoints = Endpoints {
            graph: url.clone(),
            login: url,
            tenant: "t".into(),
        };
        GraphDirectory::new(endpoints, Arc::new(NoToken), GraphOptions::default())
    }

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        assert!(dir("http://127.0.0.1:8080/").is_ok());
        let err = dir("http://graph.microsoft.com/").err().map(|e| e.kind);
        assert_eq!(err, Some(ErrorKind::Invalid));
        assert!(dir("https://graph.microsoft.com").is_ok());
    }

    #[test]
    fn urls_encode_each_segment() {
        let d = dir("https://graph.microsoft.com").unwrap();
        let u = d
            .url(&["users", "zoe_fabrikam.com#EXT#@contoso.com"], &[])
            .unwrap();
        assert_eq!(
            u.as_str(),
            "https://graph.microsoft.com/v1.0/users/zoe_fabrikam.com%23EXT%23@contoso.com"
        );
        let u = d.url(&["users", "../me"], &[]).unwrap();
        assert_eq!(u.path(), "/v1.0/users/..%2Fme");
        let filter = format!("userPrincipalName eq {}", odata_string("o'brien+x@c.com"));
        let u = d.url(&["users"], &[("$filter", &filter)]).unwrap();
        assert_eq!(
            u.query(),
            Some("$filter=userPrincipalName%20eq%20%27o%27%27brien%2Bx@c.com%27")
        );
        let list = d.deleted_list_url().unwrap();
        assert_eq!(
            list.path(),
            "/v1.0/directory/deletedItems/microsoft.graph.user"
        );
        assert!(
            list.query()
                .unwrap()
                .starts_with("$top=999&$count=true&$select=id,")
        );
    }

    #[test]
    fn graph_roots_with_a_path_keep_it() {
        let d = dir("https://proxy.example/graph").unwrap();
        assert_eq!(
            d.url(&["me"], &[]).unwrap().as_str(),
            "https://proxy.example/graph/v1.0/me"
        );
    }

    #[test]
    fn next_links_must_stay_on_the_graph_origin() {
        let d = dir("http://127.0.0.1:8080/").unwrap();
        let fetched: HashSet<Url> = [Url::parse("http://127.0.0.1:8080/v1.0/x?a=1").unwrap()]
            .into_iter()
            .collect();
        assert!(
            d.check_next_link("http://127.0.0.1:8080/v1.0/x?$skiptoken=2", &fetched)
                .is_ok()
        );
        for bad in [
            "http://127.0.0.1:8081/v1.0/x",
            "https://127.0.0.1:8080/v1.0/x",
            "http://localhost:8080/v1.0/x",
            "https://evil.example/v1.0/x",
            "/v1.0/relative",
            "http://127.0.0.1:8080/v1.0/x?a=1",
        ] {
            let err = d.check_next_link(bad, &fetched).err().map(|e| e.kind);
            assert_eq!(err, Some(ErrorKind::Malformed), "{bad}");
        }
    }

    #[test]
    fn next_links_may_not_loop_or_run_on_forever() {
        let d = dir("http://127.0.0.1:8080/").unwrap();
        let page = |n: usize| Url::parse(&format!("http://127.0.0.1:8080/v1.0/x?p={n}")).unwrap();
        // Page 1 links to page 2, which links back to page 1.
        let fetched: HashSet<Url> = [page(1), page(2)].into_iter().collect();
        let err = d.check_next_link(page(1).as_str(), &fetched).unwrap_err();
        assert!(err.message.contains("already fetched"), "{}", err.message);
        let fetched: HashSet<Url> = (0..MAX_PAGES).map(page).collect();
        let err = d
            .check_next_link(page(MAX_PAGES).as_str(), &fetched)
            .unwrap_err();
        assert!(err.message.contains("did not end"), "{}", err.message);
        let fetched: HashSet<Url> = (1..MAX_PAGES).map(page).collect();
        assert!(
            d.check_next_link(page(MAX_PAGES).as_str(), &fetched)
                .is_ok()
        );
    }

    #[test]
    fn log_paths_shorten_skiptokens() {
        let u = Url::parse(
            "http://h/v1.0/directory/deletedItems/microsoft.graph.user?$top=999&$skiptoken=abcdefghijklmnopqrstuvwxyz0123",
        )
        .unwrap();
        assert_eq!(
            log_path(&u),
            "/v1.0/directory/deletedItems/microsoft.graph.user?$top=999&$skiptoken=abcdefgh…"
        );
        let short = Url::parse("http://h/v1.0/x?%24skiptoken=abc").unwrap();
        assert_eq!(log_path(&short), "/v1.0/x?%24skiptoken=abc");
    }

    #[test]
    fn weak_password_errors_name_the_rule() {
        let change = |p: &str| PasswordChange {
            password: SecretString::from(p.to_string()),
            force_change_next_sign_in: true,
            force_change_with_mfa: false,
        };
        let weak = DirectoryError::new(ErrorKind::WeakPassword, "does not comply.");
        let e = explain_weak_password(weak.clone(), &change("abcdefghij"));
        assert!(
            e.message.starts_with("does not comply. — "),
            "{}",
            e.message
        );
        assert!(e.message.contains("at least 3 of"), "{}", e.message);
        let e = explain_weak_password(weak, &change("Kiwi-Harbour-42"));
        assert!(e.message.contains("banned-password list"), "{}", e.message);
        let other = DirectoryError::new(ErrorKind::NotFound, "gone");
        assert_eq!(explain_weak_password(other, &change("x")).message, "gone");
    }

    #[test]
    fn chunks_fill_twenty_requests() {
        let job = |id: &str, pw: bool| {
            JobState::new(RestoreJob {
                id: id.into(),
                request: RestoreRequest::default(),
                password: pw.then(|| PasswordChange {
                    password: SecretString::from("Kiwi-Moon-77".to_string()),
                    force_change_next_sign_in: true,
                    force_change_with_mfa: false,
                }),
            })
        };
        let mut q: VecDeque<JobState> = (0..25).map(|i| job(&format!("a{i}"), true)).collect();
        assert_eq!(next_chunk(&mut q).len(), 10);
        let mut q: VecDeque<JobState> = (0..25).map(|i| job(&format!("a{i}"), false)).collect();
        assert_eq!(next_chunk(&mut q).len(), 20);
        let mut q: VecDeque<JobState> = [job("a", false), job("b", true)].into_iter().collect();
        assert_eq!(next_chunk(&mut q).len(), 2);
        assert!(q.is_empty());
    }

    #[tokio::test]
    async fn restore_many_outside_a_runtime_reports_instead_of_panicking() {
        let d = dir("http://127.0.0.1:9/").unwrap();
        let events = std::thread::spawn(move || {
            let jobs = vec![RestoreJob {
                id: "a".into(),
                request: RestoreRequest::default(),
                password: None,
            }];
            futures::executor::block_on(d.restore_many(jobs).collect::<Vec<_>>())
        })
        .join()
        .unwrap();
        assert!(
            matches!(&events[..], [JobEvent::Failed { error, .. }] if error.kind == ErrorKind::Invalid)
        );
    }
}
