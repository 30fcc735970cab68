//! `GraphDirectory`: the one `Directory` implementation, Microsoft Graph v1.0 over reqwest.
//!
//! Every call goes through `send` (`transport.rs`), which owns the rules that keep the app
//! honest with the service: a fresh `client-request-id` per request, `ConsistencyLevel:
//! eventual` where OData needs it, one token refresh on 401, and retries only where repeating
//! cannot do harm (see `retry.rs`). Bulk restores go through `$batch` (`bulk.rs`) under a write
//! budget. URLs are built and checked in `urls.rs`; the `Directory` methods are in `calls.rs`.

mod aftercare;
mod bring_back;
mod bulk;
mod calls;
mod listing;
mod offboarding;
mod reads;
mod resend;
mod sweep;
mod transport;
mod urls;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use url::Url;

use super::DirectoryError;
use super::budget::WriteBudget;
use super::retry::{MAX_RETRY_AFTER, RetryPolicy};
use super::wait::{NOTICE_AFTER, WaitNotice, WaitReason};
use crate::auth::TokenSource;
use crate::config::{Endpoints, parse_root};

pub use transport::REQUEST_TARGET;
pub use urls::log_path;

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

/// The `source` of the next client built: unique in the process.
static NEXT_SOURCE: AtomicU64 = AtomicU64::new(1);

#[derive(Clone)]
pub struct GraphDirectory {
    inner: Arc<Inner>,
    /// When the run this handle belongs to must end (`Directory::on_clock`); `None`: each
    /// call gets the whole deadline from when it starts.
    ends: Option<Instant>,
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
    /// Names this client in its request events, so a request feed can pick its own out of
    /// every client's in the process (see `crate::logging::requests`).
    source: u64,
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
        let settings = format!(
            "graph|{}|{:?}|{:?}",
            options.user_agent, options.timeout, options.body_timeout
        );
        let http = crate::trust::shared_client(&settings, |builder| {
            builder
                .user_agent(options.user_agent.clone())
                // `attempt` times the headers and the body apart (so it can say which was
                // slow); this is only a backstop for a hang neither of them covers.
                .timeout(options.timeout + options.body_timeout + Duration::from_secs(5))
                .connect_timeout(options.timeout.min(Duration::from_secs(10)))
                // Graph does not redirect API calls; following one could hand the bearer token
                // to whatever host a proxy or a hostile reply names.
                .redirect(reqwest::redirect::Policy::none())
                .pool_idle_timeout(Duration::from_secs(90))
                .tcp_nodelay(true)
        })
        .map_err(|e| DirectoryError::invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            ends: None,
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
                source: NEXT_SOURCE.fetch_add(1, Ordering::Relaxed),
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

    /// The `source` field of this client's request events (one per HTTP exchange).
    pub fn log_source(&self) -> u64 {
        self.inner.source
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
        tracing::info!("{notice}");
        if let Some(f) = &self.inner.on_wait {
            f(&notice);
        }
        // No receiver is fine: nobody is showing waits.
        let _ = self.inner.waits.send(notice);
    }

    /// The point a call started now must end by: the run's end when the handle is on a run's
    /// clock, else the whole deadline from now.
    fn call_deadline(&self) -> Instant {
        self.ends
            .unwrap_or_else(|| Instant::now() + self.inner.deadline)
    }

    /// The same client on the clock of a run that started at `started` (see
    /// `Directory::on_clock`): connections, tokens, the write budget and wait notices are
    /// shared with every other handle.
    pub fn clocked(&self, started: Instant) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            ends: Some(started + self.inner.deadline),
        }
    }
}

#[cfg(test)]
pub(super) mod test_support {
    use std::sync::Arc;

    use futures::future::BoxFuture;
    use url::Url;

    use super::{GraphDirectory, GraphOptions};
    use crate::auth::{AccessToken, TokenSource};
    use crate::config::Endpoints;
    use crate::directory::{DirResult, DirectoryError};

    struct NoToken;

    impl TokenSource for NoToken {
        fn token(&self) -> BoxFuture<'_, Result<AccessToken, crate::auth::AuthError>> {
            Box::pin(async { Err(crate::auth::AuthError::Declined) })
        }
        fn invalidate(&self, _: &AccessToken) {}
    }

    /// A client of `graph` that never gets a token: enough for everything but sending.
    pub fn dir(graph: &str) -> DirResult<GraphDirectory> {
        let url = Url::parse(graph).map_err(|e| DirectoryError::invalid(e.to_string()))?;
        let endpoints = Endpoints {
            graph: url.clone(),
            login: url,
            tenant: "t".into(),
        };
        GraphDirectory::new(endpoints, Arc::new(NoToken), GraphOptions::default())
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::dir;
    use crate::directory::ErrorKind;

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        assert!(dir("http://127.0.0.1:8080/").is_ok());
        let err = dir("http://graph.microsoft.com/").err().map(|e| e.kind);
        assert_eq!(err, Some(ErrorKind::Invalid));
        assert!(dir("https://graph.microsoft.com").is_ok());
    }

    #[test]
    fn each_client_has_its_own_log_source() {
        let a = dir("http://127.0.0.1:8080/").unwrap();
        let b = dir("http://127.0.0.1:8080/").unwrap();
        assert_ne!(a.log_source(), b.log_source());
        assert_eq!(a.clone().log_source(), a.log_source());
    }
}
