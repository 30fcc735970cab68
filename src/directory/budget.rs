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

use undelete_common::token_bucket::TokenBucket;

/// A shared write budget. Callers queue on a fair lock, so writes are granted in the order they
/// were asked for and a big batch is not starved by single writes.
pub struct WriteBudget {
    bucket: Mutex<TokenBucket>,
}

impl WriteBudget {
    pub fn new(writes: u32, per: Duration) -> Self {
        Self {
            bucket: Mutex::new(TokenBucket::new(writes, per, Instant::now())),
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
