//! Waits the client is about to sit through, announced so that no wait over a few seconds is
//! silent (DESIGN.md 6). The CLI prints one line per notice on stderr; the TUI shows the latest
//! on its progress line.

use std::fmt;
use std::time::Duration;

use super::retry::human;

/// Waits at least this long are announced; shorter ones pass unnoticed, as they should.
pub const NOTICE_AFTER: Duration = Duration::from_secs(5);

/// Why the client is waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// 429: the service refused for now and said (or we guess) when to come back.
    Throttled,
    /// 503: the service is unavailable for now.
    ServerBusy,
    /// A failed attempt (lost connection, 5xx) being retried after a backoff.
    Retrying,
    /// The client's own write budget (DESIGN.md 4.2) holds writes back to stay under the quota.
    Pacing,
}

impl WaitReason {
    fn words(self) -> &'static str {
        match self {
            WaitReason::Throttled => "throttled",
            WaitReason::ServerBusy => "server busy",
            WaitReason::Retrying => "retrying",
            WaitReason::Pacing => "pacing",
        }
    }
}

/// One announced wait. `Display` is the line an admin reads:
/// `throttled: waiting 42 s (Retry-After)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitNotice {
    pub reason: WaitReason,
    /// Whole seconds, rounded up.
    pub seconds: u64,
    /// What the wait comes from, in a few words: `Retry-After`, `HTTP 503`, `connection lost`.
    pub detail: String,
}

impl WaitNotice {
    pub fn new(reason: WaitReason, wait: Duration, detail: impl Into<String>) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Self {
            reason,
            seconds,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for WaitNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: waiting {}",
            self.reason.words(),
            human(Duration::from_secs(self.seconds))
        )?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_read_as_one_plain_line() {
        let n = WaitNotice::new(
            WaitReason::Throttled,
            Duration::from_secs(42),
            "Retry-After",
        );
        assert_eq!(n.to_string(), "throttled: waiting 42 s (Retry-After)");
        let n = WaitNotice::new(
            WaitReason::ServerBusy,
            Duration::from_millis(5_200),
            "HTTP 503",
        );
        assert_eq!(n.seconds, 6);
        assert_eq!(n.to_string(), "server busy: waiting 6 s (HTTP 503)");
        let n = WaitNotice::new(WaitReason::Pacing, Duration::from_secs(300), "");
        assert_eq!(n.to_string(), "pacing: waiting 5 min");
    }
}
