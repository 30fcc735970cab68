//! Where tracing events go: the log file in the data dir (`file.rs`), the TUI's request pane
//! (`feed.rs`), and for `sandbox serve` also stderr. The TUI never prints a log line to the
//! terminal.
//!
//! What is logged is chosen where the event is made: method, path, status, request-id, timing
//! and reasons. Bodies, headers, tokens, passwords and client secrets are never fields of an
//! event, so no filter setting can let them through.

pub mod feed;
pub mod file;

use std::path::Path;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::Registry;

pub use feed::requests;

/// The environment variable holding `RUST_LOG`-style filter directives.
pub const ENV: &str = "UNDELETE_LOG";

/// Lines queued for the log writer before a logging call waits for it. The appender's default
/// (128,000) allocates and touches its whole queue up front, several megabytes of resident
/// memory for a log that writes a line per request; a few thousand absorb any burst we make.
const BUFFERED_LINES: usize = 4096;

/// How a run logs.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// `-v` given once (debug) or twice (trace); 0 leaves the level to `UNDELETE_LOG` (info).
    pub verbosity: u8,
    /// `UNDELETE_LOG`, if set.
    pub filter: Option<String>,
    /// Also write to stderr (`sandbox serve`, whose requests an admin watches).
    pub stderr: bool,
}

impl LogOptions {
    /// The options with `UNDELETE_LOG` read from the environment.
    pub fn from_env(verbosity: u8, stderr: bool) -> Self {
        Self {
            verbosity,
            filter: std::env::var(ENV).ok().filter(|f| !f.trim().is_empty()),
            stderr,
        }
    }
}

/// Keeps the log file written to; drop it last (it flushes what is still queued).
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// What went wrong setting logging up; the run goes on without what failed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("no log file in {dir}: {source}")]
    File {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("logging was already set up in this process")]
    AlreadySet,
}

/// Directives for a verbosity: `-v`/`-vv` raise undelete's own events (and the sandbox's
/// request traces), not every library's: a dependency's trace output is noise, and only our
/// events are built to leave secrets out.
pub fn directives(verbosity: u8, filter: Option<&str>) -> String {
    match (verbosity, filter) {
        (0, Some(f)) => f.to_string(),
        (0, None) => "warn,undelete=info".to_string(),
        (1, _) => "warn,undelete=debug,tower_http=debug".to_string(),
        _ => "warn,undelete=trace,tower_http=trace".to_string(),
    }
}

/// `directives` as a filter; directives that do not parse fall back to the default, and say
/// so in the log.
fn env_filter(options: &LogOptions) -> (EnvFilter, Option<String>) {
    let wanted = directives(options.verbosity, options.filter.as_deref());
    match EnvFilter::try_new(&wanted) {
        Ok(f) => (f, None),
        Err(e) => (
            EnvFilter::new(directives(0, None)),
            Some(format!(
                "{ENV}={wanted:?} is not understood ({e}); logging at info"
            )),
        ),
    }
}

/// Installs the process's subscriber: the log file under `data_dir`, the request feed, and
/// stderr when asked. Without a usable data dir the feed (and stderr) still work; the error
/// says why there is no file.
pub fn init(data_dir: &Path, options: &LogOptions) -> (LogGuard, Option<LogError>) {
    let mut problem = None;
    let (file_layer, writer_guard) = match file::PrivateRollingFile::open(data_dir) {
        Ok(file) => {
            // Lossless: a request line must not vanish because the disk was slow for a moment.
            let (writer, guard) = NonBlockingBuilder::default()
                .lossy(false)
                .buffered_lines_limit(BUFFERED_LINES)
                .finish(file);
            let (filter, note) = env_filter(options);
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(filter);
            (Some((layer, note)), Some(guard))
        }
        Err(source) => {
            problem = Some(LogError::File {
                dir: data_dir.join(file::DIR).display().to_string(),
                source,
            });
            (None, None)
        }
    };
    let (file_layer, note) = match file_layer {
        Some((layer, note)) => (Some(layer), note),
        None => (None, None),
    };
    let stderr_layer = options.stderr.then(|| {
        // The terminal gets info lines (each request) only when asked with `-v` or
        // `UNDELETE_LOG`; otherwise warnings alone: a plain start prints nothing but its URL.
        let filter = if options.verbosity == 0 && options.filter.is_none() {
            EnvFilter::new("warn")
        } else {
            env_filter(options).0
        };
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_filter(filter)
    });
    let subscriber = Registry::default()
        .with(file_layer)
        .with(stderr_layer)
        .with(feed::layer());
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        return (
            LogGuard {
                _writer: writer_guard,
            },
            Some(LogError::AlreadySet),
        );
    }
    feed::mark_installed();
    if let Some(note) = note {
        tracing::warn!("{note}");
    }
    (
        LogGuard {
            _writer: writer_guard,
        },
        problem,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_wins_over_the_environment_and_stays_on_our_targets() {
        assert_eq!(directives(0, None), "warn,undelete=info");
        assert_eq!(directives(0, Some("undelete=warn")), "undelete=warn");
        assert!(directives(1, Some("error")).contains("undelete=debug"));
        assert!(directives(2, None).contains("undelete=trace"));
        assert!(directives(3, None).starts_with("warn,"));
    }

    #[test]
    fn a_filter_that_does_not_parse_falls_back_to_info() {
        let options = LogOptions {
            filter: Some("undelete=loud".into()),
            ..LogOptions::default()
        };
        let (_, note) = env_filter(&options);
        assert!(note.is_some_and(|n| n.contains(ENV)));
        let (_, note) = env_filter(&LogOptions::default());
        assert!(note.is_none());
    }
}
