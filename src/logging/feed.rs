//! The request feed: a tracing layer that turns the Graph client's one event per HTTP exchange
//! (`REQUEST_TARGET`) into `RequestRecord`s for whoever asked for that client's requests (the
//! TUI's `@` pane). The log file reads the same events, so the pane and the file cannot tell
//! different stories.
//!
//! Sinks are kept process-wide and matched on the event's `source` (one per `GraphDirectory`),
//! not on a thread-local subscriber: the client's calls run on tokio worker threads, and a test
//! process runs many clients at once.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

use chrono::Utc;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::FilterFn;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::Registry;

use crate::directory::RequestRecord;
use crate::directory::graph::REQUEST_TARGET;

struct Sink {
    source: u64,
    tx: UnboundedSender<RequestRecord>,
}

static SINKS: Mutex<Vec<Sink>> = Mutex::new(Vec::new());

/// Set once the global subscriber carries the feed.
static INSTALLED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Every exchange of the client whose `log_source()` is `source`, from now on, as records.
///
/// Installs a feed-only global subscriber when none is set (tests, and any embedding that did
/// not call `logging::init`); a global subscriber set elsewhere without the feed leaves the
/// receiver silent, which is said in that subscriber's log.
pub fn requests(source: u64) -> UnboundedReceiver<RequestRecord> {
    if !INSTALLED.load(Ordering::Acquire) {
        INSTALL.call_once(|| {
            let feed_only = Registry::default().with(layer());
            if tracing::subscriber::set_global_default(feed_only).is_ok() {
                mark_installed();
            } else {
                tracing::warn!(
                    "the request pane stays empty: a subscriber without its feed is set"
                );
            }
        });
    }
    let (tx, rx) = unbounded_channel();
    lock().push(Sink { source, tx });
    rx
}

/// The feed, filtered to the request events only (whatever level the log file is at).
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let only_requests: fn(&Metadata<'_>) -> bool = |m| m.target() == REQUEST_TARGET;
    RequestFeed.with_filter(FilterFn::new(only_requests))
}

/// Says that the global subscriber now carries the feed (`logging::init` installed it).
pub(super) fn mark_installed() {
    INSTALLED.store(true, Ordering::Release);
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Sink>> {
    // A panic while holding the lock leaves the list intact: keep using it.
    SINKS.lock().unwrap_or_else(|p| p.into_inner())
}

/// The layer itself; build it with `layer()`.
pub struct RequestFeed;

impl<S: Subscriber> Layer<S> for RequestFeed {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let Some(source) = fields.source else { return };
        let record = RequestRecord {
            at: Utc::now(),
            method: fields.method,
            path: fields.path,
            status: fields.status,
            request_id: fields.request_id,
            duration_ms: fields.duration_ms,
        };
        let mut sinks = lock();
        // A receiver dropped (the pane's session ended) is forgotten here.
        sinks.retain(|s| !s.tx.is_closed());
        for sink in sinks.iter().filter(|s| s.source == source) {
            let _ = sink.tx.send(record.clone());
        }
    }
}

/// The fields of a request event that make a record.
#[derive(Default)]
struct Fields {
    source: Option<u64>,
    method: String,
    path: String,
    status: Option<u16>,
    request_id: Option<String>,
    duration_ms: u64,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "source" => self.source = Some(value),
            "status" => self.status = u16::try_from(value).ok(),
            "duration_ms" => self.duration_ms = value,
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(v) = u64::try_from(value) {
            self.record_u64(field, v);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "method" => self.method = value.to_string(),
            "path" => self.path = value.to_string(),
            "request_id" => self.request_id = Some(value.to_string()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Strings recorded by `Display`/`Debug` rather than as `&str`.
        let text = format!("{value:?}");
        self.record_str(field, text.trim_matches('"'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_reach_the_sinks_of_their_source_only() {
        let subscriber = Registry::default().with(layer());
        let mut mine = requests(9_000_001);
        let mut other = requests(9_000_002);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: REQUEST_TARGET,
                source = 9_000_001_u64,
                method = "GET",
                path = "/v1.0/me",
                status = Some(200_u16),
                request_id = Some("rid-1".to_string()),
                duration_ms = 12_u64,
                attempt = 1_u32,
                error = None::<&str>,
                "graph request"
            );
            tracing::info!(target: "undelete::other", source = 9_000_001_u64, "not a request");
        });
        let r = mine.try_recv().expect("a record");
        assert_eq!(
            (r.method.as_str(), r.path.as_str(), r.status, r.duration_ms),
            ("GET", "/v1.0/me", Some(200), 12)
        );
        assert_eq!(r.request_id.as_deref(), Some("rid-1"));
        assert!(mine.try_recv().is_err(), "one event, one record");
        assert!(other.try_recv().is_err());
    }
}
