//! When a failed Graph call may be sent again, and after how long.
//!
//! The rule is "only safe retries": reads and idempotent writes (the password PATCH) are resent
//! freely; a restore whose reply was lost may have happened, so the caller must check first
//! (`Retry { verify_first: true }`); a call that cannot be checked or repeated safely (sending
//! mail) is not resent once it may have reached the server.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How a call behaves when repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// GET: no effect, repeat at will.
    Read,
    /// PATCH of the password profile: the same request twice has the effect of once.
    Idempotent,
    /// POST restore: done twice, the second fails (404) and hides that the first worked, so
    /// check whether the user is active before resending after a lost reply.
    Restore,
    /// DELETE: repeatable, and a 404 after a lost reply means the first one did it.
    Purge,
    /// POST sendMail: resend only when the request surely never arrived (or was refused with
    /// a 429, or a 503 that says when to come back).
    NoResend,
    /// POST `$batch`: resent only when surely not processed (never sent, or a 429). A 503 or
    /// any other failure goes back to the batch driver, which checks the restores it held
    /// before sending anything again: resent blindly, a restore that did happen would come
    /// back 404 and be reported as never done.
    Batch,
}

/// What went wrong with one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with this status.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The request never left: connection refused, DNS, TLS handshake.
    NotSent,
    /// The request may have been processed but no (complete) reply came back: connection reset
    /// or closed after sending, timeout, truncated body.
    Lost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Retry {
        after: Duration,
        /// The previous attempt may have taken effect: check before resending (restores).
        verify_first: bool,
    },
    GiveUp,
    /// The server asks for a wait longer than `max_retry_after`: fail now, saying so, rather
    /// than hold the run for hours.
    WaitTooLong(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` tries in all).
    pub max_retries: u32,
    /// First backoff step; doubled on every retry.
    pub base: Duration,
    /// Longest backoff step.
    pub cap: Duration,
    /// Longest `Retry-After` honoured; a server asking for more fails the call at once.
    pub max_retry_after: Duration,
}

/// Longest `Retry-After` honoured by default. Graph's own waits are seconds to a minute or two
/// (its write window is 150 s, refilled evenly); a server asking for hours is not going to
/// serve this run, and the admin should hear that now, not after the wait.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base: Duration::from_millis(400),
            cap: Duration::from_secs(20),
            max_retry_after: MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with "equal jitter": half the step fixed, half random, so clients
    /// that failed together do not come back together. `jitter` is a draw in [0, 1).
    pub fn backoff(&self, retries_done: u32, jitter: f64) -> Duration {
        let step = self
            .base
            .saturating_mul(2u32.saturating_pow(retries_done.min(16)))
            .min(self.cap);
        step.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }

    /// Whether (and when) to try again after `retries_done` retries ended in `failure`.
    ///
    /// A 429 that says when to come back is not counted against `max_retries`: the service is
    /// pacing us, not failing, and the caller's deadline bounds the whole call instead.
    pub fn decide(&self, op: Op, failure: Failure, retries_done: u32, jitter: f64) -> Decision {
        if let Failure::Status {
            status: 429 | 503,
            retry_after: Some(wait),
        } = failure
            && wait > self.max_retry_after
        {
            return Decision::WaitTooLong(wait);
        }
        let paced = matches!(
            failure,
            Failure::Status {
                status: 429,
                retry_after: Some(_)
            }
        );
        if retries_done >= self.max_retries && !paced {
            return Decision::GiveUp;
        }
        let backoff = self.backoff(retries_done, jitter);
        match failure {
            Failure::NotSent => Decision::Retry {
                after: backoff,
                verify_first: false,
            },
            Failure::Lost => match op {
                Op::NoResend | Op::Batch => Decision::GiveUp,
                _ => Decision::Retry {
                    after: backoff,
                    verify_first: op == Op::Restore,
                },
            },
            // Throttled: the request was refused, not processed, so any op may be resent.
            Failure::Status {
                status: 429,
                retry_after,
            } => Decision::Retry {
                after: retry_after.unwrap_or(backoff),
                verify_first: false,
            },
            Failure::Status {
                status: 503,
                retry_after,
            } => {
                if op == Op::Batch || (op == Op::NoResend && retry_after.is_none()) {
                    return Decision::GiveUp;
                }
                Decision::Retry {
                    after: retry_after.unwrap_or(backoff),
                    verify_first: op == Op::Restore,
                }
            }
            // A 500/502/504 may come after the work was done (a gateway timing out), so it is
            // treated like a lost reply.
            Failure::Status { status, .. } if status >= 500 => match op {
                Op::NoResend | Op::Batch => Decision::GiveUp,
                _ => Decision::Retry {
                    after: backoff,
                    verify_first: op == Op::Restore,
                },
            },
            Failure::Status { .. } => Decision::GiveUp,
        }
    }
}

/// A wait in the words an admin reads: "45 s", "12 min", "27 h", "3 days".
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{} s", s.max(u64::from(d.subsec_nanos() > 0 && s == 0))),
        120..7_200 => format!("{} min", s / 60),
        7_200..172_800 => format!("{} h", s / 3_600),
        _ => format!("{} days", s / 86_400),
    }
}

/// The error for a `Retry-After` longer than the client waits.
pub fn wait_too_long(wait: Duration, cap: Duration) -> String {
    format!(
        "throttled: the directory asks to wait {} before retrying, longer than the {} this \
         client waits; try again later",
        human(wait),
        human(cap)
    )
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110: IMF-fixdate, or the obsolete RFC 850
/// and asctime forms). A date in the past means "now". Garbage gives `None`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings saturate instead of failing.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = DateTime::<Utc>::from(httpdate::parse_http_date(value).ok()?);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16, ra: Option<u64>) -> Failure {
        Failure::Status {
            status: s,
            retry_after: ra.map(Duration::from_secs),
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:28:05 2015", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert!(parse_retry_after("99999999999999999999999", now).is_some());
    }

    #[test]
    fn waits_read_as_words() {
        assert_eq!(human(Duration::from_secs(42)), "42 s");
        assert_eq!(human(Duration::from_millis(300)), "1 s");
        assert_eq!(human(Duration::from_secs(600)), "10 min");
        assert_eq!(human(Duration::from_secs(99_999)), "27 h");
        assert_eq!(human(Duration::from_secs(400_000)), "4 days");
        let m = wait_too_long(Duration::from_secs(99_999), MAX_RETRY_AFTER);
        assert!(
            m.starts_with("throttled: the directory asks to wait 27 h"),
            "{m}"
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0, 1.0), Duration::from_millis(400));
        assert_eq!(p.backoff(0, 0.0), Duration::from_millis(200));
        assert_eq!(p.backoff(2, 1.0), Duration::from_millis(1600));
        assert_eq!(p.backoff(30, 1.0), Duration::from_secs(20));
        assert!(p.backoff(3, 0.3) < p.backoff(3, 0.9));
    }

    #[test]
    fn throttling_honours_retry_after_for_every_op() {
        let p = RetryPolicy::default();
        for op in [
            Op::Read,
            Op::Idempotent,
            Op::Restore,
            Op::Purge,
            Op::NoResend,
            Op::Batch,
        ] {
            assert_eq!(
                p.decide(op, status(429, Some(3)), 0, 0.5),
                Decision::Retry {
                    after: Duration::from_secs(3),
                    verify_first: false
                }
            );
        }
        assert_eq!(
            p.decide(Op::Read, status(429, Some(99_999)), 0, 0.5),
            Decision::WaitTooLong(Duration::from_secs(99_999))
        );
        assert_eq!(
            p.decide(Op::Batch, status(503, Some(121)), 0, 0.5),
            Decision::WaitTooLong(Duration::from_secs(121))
        );
        assert!(matches!(
            p.decide(Op::Read, status(429, Some(120)), 0, 0.5),
            Decision::Retry { .. }
        ));
        assert_eq!(
            p.decide(Op::Read, status(503, Some(2)), 1, 0.5),
            Decision::Retry {
                after: Duration::from_secs(2),
                verify_first: false
            }
        );
    }

    #[test]
    fn lost_replies_are_resent_only_when_safe() {
        let p = RetryPolicy::default();
        assert!(matches!(
            p.decide(Op::Read, Failure::Lost, 0, 0.5),
            Decision::Retry {
                verify_first: false,
                ..
            }
        ));
        assert!(matches!(
            p.decide(Op::Idempotent, Failure::Lost, 0, 0.5),
            Decision::Retry {
                verify_first: false,
                ..
            }
        ));
        assert!(matches!(
            p.decide(Op::Restore, Failure::Lost, 0, 0.5),
            Decision::Retry {
                verify_first: true,
                ..
            }
        ));
        assert!(matches!(
            p.decide(Op::Restore, status(500, None), 0, 0.5),
            Decision::Retry {
                verify_first: true,
                ..
            }
        ));
        assert_eq!(
            p.decide(Op::NoResend, Failure::Lost, 0, 0.5),
            Decision::GiveUp
        );
        assert_eq!(
            p.decide(Op::NoResend, status(500, None), 0, 0.5),
            Decision::GiveUp
        );
        // Never sent: safe for everything, even mail.
        assert!(matches!(
            p.decide(Op::NoResend, Failure::NotSent, 0, 0.5),
            Decision::Retry {
                verify_first: false,
                ..
            }
        ));
        // A $batch that may have run goes back to its driver, which verifies its restores.
        for failure in [Failure::Lost, status(503, Some(2)), status(500, None)] {
            assert_eq!(p.decide(Op::Batch, failure, 0, 0.5), Decision::GiveUp);
        }
        assert!(matches!(
            p.decide(Op::Batch, Failure::NotSent, 0, 0.5),
            Decision::Retry { .. }
        ));
    }

    #[test]
    fn client_errors_and_exhausted_retries_give_up() {
        let p = RetryPolicy::default();
        for s in [400, 403, 404, 409, 424] {
            assert_eq!(
                p.decide(Op::Read, status(s, None), 0, 0.5),
                Decision::GiveUp
            );
        }
        // Paced by the service (429 + Retry-After): no retry cap; the caller's deadline rules.
        assert!(matches!(
            p.decide(Op::Read, status(429, Some(1)), 400, 0.5),
            Decision::Retry { .. }
        ));
        assert_eq!(
            p.decide(Op::Read, status(429, None), 4, 0.5),
            Decision::GiveUp
        );
        assert_eq!(
            p.decide(Op::Read, status(503, Some(1)), 4, 0.5),
            Decision::GiveUp
        );
        assert_eq!(
            p.decide(Op::Read, Failure::NotSent, 4, 0.5),
            Decision::GiveUp
        );
    }
}
