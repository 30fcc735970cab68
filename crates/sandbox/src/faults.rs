//! Switchable faults: latency, 5xx, dropped connections (all drawn from one seeded RNG, so a
//! sequence of requests meets the same faults every run) and the directory write quota.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use undelete_common::token_bucket::TokenBucket;

#[derive(Debug, Clone, Default)]
pub struct FaultConfig {
    pub latency: Duration,
    pub fail_rate: f64,
    pub drop_rate: f64,
    /// (writes, per): a token bucket holding `writes` that refills fully over `per`.
    pub write_quota: Option<(u32, Duration)>,
    pub seed: u64,
}

/// How a password set (`PATCH /users/{id}` with a `passwordProfile`, alone or in `$batch`)
/// fails while a password fault is switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordFault {
    /// 400 `Request_BadRequest`: the password does not comply with the complexity
    /// requirements, as Entra refuses a banned word (the user stays without the new password).
    Refuse,
    /// 500 `generalException`, as a transient server failure.
    #[default]
    ServerError,
}

impl PasswordFault {
    pub fn error(self) -> super::error::ApiError {
        match self {
            Self::Refuse => super::error::ApiError::password_refused(),
            Self::ServerError => super::error::ApiError::internal(
                "An internal server error occurred while setting the password. Please retry.",
            ),
        }
    }
}

/// What happens to one HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// 503 with `Retry-After`.
    Unavailable,
    /// 500.
    Internal,
    /// Close the connection without processing the request.
    DropBefore,
    /// Process the request, then close the connection instead of answering.
    DropAfter,
}

pub struct Faults {
    pub cfg: FaultConfig,
    rng: Mutex<StdRng>,
    bucket: Option<Mutex<TokenBucket>>,
}

impl Faults {
    pub fn new(cfg: FaultConfig) -> Self {
        let bucket = cfg
            .write_quota
            .map(|(writes, per)| Mutex::new(TokenBucket::new(writes, per, Instant::now())));
        Self {
            rng: Mutex::new(StdRng::seed_from_u64(cfg.seed)),
            bucket,
            cfg,
        }
    }

    /// Draws the fault for the next request. Always two draws, so the sequence of faults only
    /// depends on the seed and the number of requests, not on which faults are switched on.
    pub fn draw(&self) -> Fault {
        if self.cfg.fail_rate <= 0.0 && self.cfg.drop_rate <= 0.0 {
            return Fault::None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let roll: f64 = rng.random();
        let coin: bool = rng.random();
        if roll < self.cfg.drop_rate {
            if coin {
                Fault::DropAfter
            } else {
                Fault::DropBefore
            }
        } else if roll < self.cfg.drop_rate + self.cfg.fail_rate {
            if coin {
                Fault::Unavailable
            } else {
                Fault::Internal
            }
        } else {
            Fault::None
        }
    }

    /// Takes one write from the quota; `Err(seconds)` says when one will be available.
    pub fn take_write(&self) -> Result<(), u64> {
        let Some(bucket) = &self.bucket else {
            return Ok(());
        };
        let mut b = bucket.lock().unwrap_or_else(|p| p.into_inner());
        // Retry-After is in whole seconds, at least one.
        b.try_take(1, Instant::now())
            .map_err(|wait| wait.as_secs_f64().ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_faults() {
        let cfg = FaultConfig {
            fail_rate: 0.3,
            drop_rate: 0.2,
            seed: 7,
            ..Default::default()
        };
        let a: Vec<Fault> = (0..50)
            .map({
                let f = Faults::new(cfg.clone());
                move |_| f.draw()
            })
            .collect();
        let f = Faults::new(cfg);
        let b: Vec<Fault> = (0..50).map(|_| f.draw()).collect();
        assert_eq!(a, b);
        assert!(a.contains(&Fault::None) && a.contains(&Fault::DropAfter));
    }

    #[test]
    fn quota_refuses_then_names_a_wait() {
        let f = Faults::new(FaultConfig {
            write_quota: Some((3, Duration::from_secs(30))),
            ..Default::default()
        });
        assert!(f.take_write().is_ok());
        assert!(f.take_write().is_ok());
        assert!(f.take_write().is_ok());
        let wait = f.take_write().err();
        assert!(matches!(wait, Some(s) if (1..=10).contains(&s)), "{wait:?}");
    }
}
