//! A client-side token bucket for directory writes, so bulk work runs at the service's write
//! quota (DESIGN.md 4.2: 3,000 writes per 150 s per app and tenant) instead of running into it
//! and paying for 429s and their `Retry-After` waits.
//!
//! It is the same shape as the service's limit: `writes` tokens, refilled evenly over `per`.
//! A token is taken before a write is *sent*; the server counts it when it *arrives*, a little
//! later, when its own bucket has refilled at least as much, so a full client bucket never
//! outruns the server's.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// The bucket's arithmetic, kept free of clocks and locks so it can be tested exactly.
#[derive(Debug, Clone)]
pub struct Bucket {
    capacity: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket of `writes` tokens that refills completely over `per`.
    pub fn new(writes: u32, per: Duration, now: Instant) -> Self {
        let capacity = f64::from(writes.max(1));
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
        if self.tokens + 1e-9 >= n {
            self.tokens = (self.tokens - n).max(0.0);
            Ok(())
        } else {
            Err(Duration::from_secs_f64((n - self.tokens) / self.per_sec))
        }
    }
}

/// A shared write budget. Callers queue on a fair lock, so writes are granted in the order they
/// were asked for and a big batch is not starved by single writes.
pub struct WriteBudget {
    bucket: Mutex<Bucket>,
}

impl WriteBudget {
    pub fn new(writes: u32, per: Duration) -> Self {
        Self {
            bucket: Mutex::new(Bucket::new(writes, per, Instant::now())),
        }
    }

    pub async fn capacity(&self) -> u32 {
        self.bucket.lock().await.capacity()
    }

    /// Waits until `n` writes may be sent, and takes them.
    pub async fn acquire(&self, n: u32) {
        self.acquire_noting(n, |_| {}).await;
    }

    /// `acquire`, telling `noting` each wait it is about to sleep (for the wait notices).
    pub async fn acquire_noting(&self, n: u32, noting: impl Fn(Duration)) {
        if n == 0 {
            return;
        }
        // The lock is held while sleeping on purpose: whoever asked first is served first.
        let mut bucket = self.bucket.lock().await;
        loop {
            match bucket.try_take(n, Instant::now()) {
                Ok(()) => return,
                Err(wait) => {
                    noting(wait);
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_starts_full_and_refills_evenly() {
        let t0 = Instant::now();
        let mut b = Bucket::new(300, Duration::from_secs(30), t0);
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
        let mut b = Bucket::new(5, Duration::from_secs(5), t0);
        assert_eq!(b.try_take(20, t0), Ok(()));
        let wait = b.try_take(20, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 5.0).abs() < 1e-6);
    }

    #[tokio::test]
    async fn acquire_paces_writes_at_the_quota() {
        let budget = WriteBudget::new(20, Duration::from_secs(1));
        let start = Instant::now();
        // 30 writes in batches of 5: the first 20 at once, the other 10 at 20 per second.
        for _ in 0..6 {
            budget.acquire(5).await;
        }
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(490), "{took:?}");
        assert!(took < Duration::from_millis(900), "{took:?}");
    }
}
