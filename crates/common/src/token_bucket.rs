//! A token bucket: `capacity` tokens, refilled evenly over a period. The client paces its
//! directory writes with one (`directory::budget`) and the sandbox enforces its write quota with
//! another (`sandbox::faults`), so both sides of a test count the same way.
//!
//! Only arithmetic: the caller passes the time, so it can be tested exactly and used behind any
//! lock, async or not.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `capacity` tokens that refills completely over `per`.
    pub fn new(capacity: u32, per: Duration, now: Instant) -> Self {
        let capacity = f64::from(capacity.max(1));
        Self {
            capacity,
            per_sec: capacity / per.as_secs_f64().max(0.001),
            tokens: capacity,
            last: now,
        }
    }

    pub fn capacity(&self) -> u32 {
        self.capacity as u32
    }

    /// Takes `n` tokens, or says how long until there are enough. More than the capacity is
    /// taken as the capacity: asking for the impossible must not wait forever.
    pub fn try_take(&mut self, n: u32, now: Instant) -> Result<(), Duration> {
        let n = f64::from(n).min(self.capacity);
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now.max(self.last);
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        // The epsilon absorbs float error in refills that land exactly on `n`.
        if self.tokens + 1e-9 >= n {
            self.tokens = (self.tokens - n).max(0.0);
            Ok(())
        } else {
            Err(Duration::from_secs_f64((n - self.tokens) / self.per_sec))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_starts_full_and_refills_evenly() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(300, Duration::from_secs(30), t0);
        assert_eq!(b.try_take(300, t0), Ok(()));
        let wait = b.try_take(20, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 2.0).abs() < 1e-6, "{wait:?}");
        assert!(b.try_take(20, t0 + Duration::from_millis(1990)).is_err());
        assert_eq!(b.try_take(20, t0 + Duration::from_secs(2)), Ok(()));
        // Never more than the capacity, however long it rests.
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(b.try_take(300, later), Ok(()));
        assert!(b.try_take(1, later).is_err());
    }

    #[test]
    fn over_capacity_requests_are_clamped() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(5, Duration::from_secs(5), t0);
        assert_eq!(b.try_take(20, t0), Ok(()));
        let wait = b.try_take(20, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 5.0).abs() < 1e-6);
    }

    #[test]
    fn a_clock_going_backwards_refills_nothing() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(1);
        let mut b = TokenBucket::new(2, Duration::from_secs(2), t1);
        assert_eq!(b.try_take(2, t1), Ok(()));
        assert!(b.try_take(1, t0).is_err());
    }
}
