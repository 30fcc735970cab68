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
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use url::Url;

use super::batch::{self, JobState, Step};
use super::budget::WriteBudget;
use super::retry::{Decision, Failure, Op, RetryPolicy, parse_retry_after};
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

/// How a `GraphDirectory` behaves. `Default` gives what the app uses against a real tenant.
#[derive(Debug, Clone)]
pub struct GraphOptions {
    /// App-only sign-in has no `/me`: whoami and send_mail use `/users/{sender}` instead.
    pub mail_sender: Option<String>,
    /// Retries after the first attempt of one call.
    pub max_retries: u32,
    /// `$batch` requests in flight at once during a bulk restore.
    pub concurrency: usize,
    /// Client-side write budget (writes, per period); `None` sends writes unpaced.
    pub write_budget: Option<(u32, Duration)>,
    /// Receives one record per HTTP exchange (never headers or bodies).
    pub request_log: Option<UnboundedSender<RequestRecord>>,
    /// Whole-request timeout, body included.
    pub timeout: Duration,
    pub user_agent: String,
    /// First exponential-backoff step (doubled per retry, jittered).
    pub backoff_base: Duration,
}

impl Default for GraphOptions {
    fn default() -> Self {
        Self {
            mail_sender: None,
            max_retries: 4,
            concurrency: 8,
            write_budget: Some(DEFAULT_WRITE_BUDGET),
            request_log: None,
            timeout: Duration::from_secs(60),
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
}

struct Reply {
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
        e
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
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(15)))
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
                    ..RetryPolicy::default()
                },
                mail_sender: options.mail_sender,
                concurrency: options.concurrency.max(1),
                budget: options
                    .write_budget
                    .map(|(writes, per)| WriteBudget::new(writes, per)),
                mail_slots: tokio::sync::Semaphore::new(MAIL_CONCURRENCY),
                log: options.request_log,
            }),
        })
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
        let reply = self.get(url.clone(), true).await?;
        let parsed = wire::parse_deleted_page(&reply.body)?;
        fetched.insert(url);
        let next = parsed.next_link.map(|l| self.check_next_link(&l, fetched));
        Ok((parsed.page, next))
    }

    async fn get(&self, url: Url, eventual: bool) -> DirResult<Reply> {
        let call = Call {
            method: Method::GET,
            url,
            body: None,
            eventual,
            op: Op::Read,
            writes: 0,
            restore_id: None,
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
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.transport_failure(call, None, None, &e, started)),
        };
        let status = resp.status().as_u16();
        let request_id = header(&resp, "request-id");
        let retry_after =
            header(&resp, "retry-after").and_then(|v| parse_retry_after(&v, Utc::now()));
        // The status is known even if the body is then cut off.
        let body = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => {
                return Err(self.transport_failure(call, Some(status), request_id, &e, started));
            }
        };
        self.log(call, Some(status), request_id.clone(), started);
        Ok(Reply {
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
        let failure = if e.is_connect() {
            Failure::NotSent
        } else {
            Failure::Lost
        };
        let what = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else if status.is_some() {
            "the reply was cut off"
        } else {
            "the connection was lost before a reply"
        };
        let mut err = DirectoryError::network(format!(
            "{} {}: {what} ({})",
            call.method,
            log_path(&call.url),
            error_chain(e)
        ));
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

    /// Sends `call`, retrying as `retry.rs` allows. A non-2xx reply that is not retried is
    /// returned as `Outcome::Reply` for the caller to turn into an error.
    async fn send(&self, call: Call) -> DirResult<Outcome> {
        let mut retries = 0;
        let mut refreshed = false;
        // An earlier attempt may have been processed (reply lost, or 5xx).
        let mut maybe_done = false;
        loop {
            let token = match self.inner.tokens.token().await {
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
                            tokio::time::sleep(after).await;
                            continue;
                        }
                        Decision::GiveUp => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            };
            if let Some(budget) = &self.inner.budget {
                budget.acquire(call.writes).await;
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
                Decision::Retry {
                    after,
                    verify_first,
                } => {
                    retries += 1;
                    maybe_done |= matches!(failure, Failure::Lost)
                        || matches!(failure, Failure::Status { status, .. } if status >= 500);
                    tokio::time::sleep(after).await;
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
        };
        self.write(call)
            .await
            .map(|_| ())
            .map_err(|e| explain_weak_password(e, &change))
    }

    /// Runs a bulk restore; events go to `tx` as batches come back.
    async fn run_bulk(self, jobs: Vec<RestoreJob>, tx: UnboundedSender<JobEvent>) {
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
                in_flight.push(self.clone().run_chunk(chunk, tx.clone()));
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

    /// Sends one batch for `chunk` and returns the jobs that still have work.
    async fn run_chunk(
        self,
        mut chunk: Vec<JobState>,
        tx: UnboundedSender<JobEvent>,
    ) -> Vec<JobState> {
        let emit = |e: JobEvent| {
            let _ = tx.send(e);
        };
        if tx.is_closed() {
            return Vec::new();
        }
        // Wait out the longest Retry-After among them (capped, as for single calls).
        let wait = chunk
            .iter()
            .map(|j| j.wait)
            .max()
            .unwrap_or_default()
            .min(self.inner.policy.max_retry_after);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        // Restores whose reply was lost: find out whether they happened before resending.
        for state in chunk.iter_mut() {
            if state.step != (Step::Restore { verify: true }) {
                continue;
            }
            match self.fetch_active(state.job.id.clone()).await {
                Ok(Some(user)) => emit(batch::verified(state, user)),
                Ok(None) => state.step = Step::Restore { verify: false },
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
        if chunk.is_empty() {
            return chunk;
        }
        let writes: u32 = chunk.iter().map(JobState::writes).sum();
        let body = {
            let refs: Vec<&JobState> = chunk.iter().collect();
            serde_json::to_vec(&batch::build(&refs))
        };
        let body = match body {
            Ok(b) => b,
            Err(e) => {
                for s in &chunk {
                    emit(batch::failed(
                        &s.job.id,
                        stage_of(s),
                        DirectoryError::invalid(format!("cannot encode the $batch: {e}")),
                    ));
                }
                return Vec::new();
            }
        };
        let url = match self.url(&["$batch"], &[]) {
            Ok(u) => u,
            Err(e) => {
                for s in &chunk {
                    emit(batch::failed(&s.job.id, stage_of(s), e.clone()));
                }
                return Vec::new();
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
        };
        let max_resends = self.inner.policy.max_retries * 2 + 2;
        let reply = match self.write(call).await {
            Ok(Outcome::Reply(r)) => batch::parse_reply(&r.body, r.request_id.as_deref()),
            Ok(_) => Err(DirectoryError::malformed("unexpected outcome of a $batch")),
            Err(e) => Err(e),
        };
        match reply {
            Ok(responses) => {
                let mut refs: Vec<&mut JobState> = chunk.iter_mut().collect();
                let events = batch::apply(&mut refs, &responses, max_resends, &|e, job| match &job
                    .password
                {
                    Some(change) => explain_weak_password(e, change),
                    None => e,
                });
                for e in events {
                    emit(e);
                }
            }
            Err(e) if batch::maybe_processed(&e) => {
                // Some of it may have run: restores get verified, PATCHes simply resent.
                for s in chunk.iter_mut() {
                    if s.resends >= max_resends {
                        emit(batch::failed(&s.job.id, stage_of(s), e.clone()));
                        s.step = Step::Done;
                        continue;
                    }
                    s.resends += 1;
                    s.wait = e
                        .retry_after
                        .unwrap_or(self.inner.policy.backoff(s.resends, rand::random()));
                    if let Step::Restore { .. } = s.step {
                        s.step = Step::Restore { verify: true };
                    }
                }
            }
            Err(e) => {
                for s in chunk.iter_mut() {
                    emit(batch::failed(&s.job.id, stage_of(s), e.clone()));
                    s.step = Step::Done;
                }
            }
        }
        chunk.retain(|s| s.step != Step::Done);
        chunk
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

/// The error and its causes, without the URL reqwest puts in its own message.
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    if parts.is_empty() {
        parts.push(e.without_url_ref());
    }
    parts.join(": ")
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
        stream::unfold((Some(first), HashSet::new()), move |(next, mut fetched)| {
            let this = this.clone();
            async move {
                match next? {
                    Err(e) => Some((Err(e), (None, fetched))),
                    Ok(url) => match this.fetch_page(url, &mut fetched).await {
                        Ok((page, next)) => Some((Ok(page), (next, fetched))),
                        Err(e) => Some((Err(e), (None, fetched))),
                    },
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
        fn token(&self) -> BoxFuture<'_, Result<AccessToken, DirectoryError>> {
            Box::pin(async { Err(DirectoryError::new(ErrorKind::Unauthorized, "no token")) })
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
