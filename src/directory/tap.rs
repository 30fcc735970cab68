//! Temporary Access Passes: the tenant's policy, the request for a pass, and an issued pass.
//! Strings from the server pass through `sanitize` before they get here.

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;

/// Graph's bounds of `lifetimeInMinutes` (10 minutes to 30 days); a tenant's policy narrows them.
pub const LIFETIME_RANGE: (u32, u32) = (10, 43_200);

/// The tenant's Temporary Access Pass policy
/// (`temporaryAccessPassAuthenticationMethodConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapPolicy {
    pub enabled: bool,
    pub default_lifetime: u32,
    pub min_lifetime: u32,
    pub max_lifetime: u32,
    /// Passes are one-time by default.
    pub usable_once: bool,
}

impl TapPolicy {
    /// `Err` with the rule, in words, when `minutes` is outside what Graph and this policy allow.
    pub fn check_lifetime(&self, minutes: u32) -> Result<(), String> {
        let (lo, hi) = (
            self.min_lifetime.max(LIFETIME_RANGE.0),
            self.max_lifetime.min(LIFETIME_RANGE.1),
        );
        if (lo..=hi).contains(&minutes) {
            Ok(())
        } else {
            Err(format!(
                "the pass's lifetime must be {lo} to {hi} minutes (the tenant's policy); \
                 {minutes} is outside it"
            ))
        }
    }
}

/// Whether passes can be issued here, and if not, why (shown beside the greyed choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapAvailability {
    Available(TapPolicy),
    Unavailable(String),
}

/// What to ask for: `POST /users/{id}/authentication/temporaryAccessPassMethods`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapRequest {
    pub lifetime_minutes: u32,
    pub usable_once: bool,
}

/// A pass the directory issued. No `Debug`: it holds the pass.
#[derive(Clone)]
pub struct IssuedTap {
    pub pass: SecretString,
    pub method_id: String,
    pub starts: DateTime<Utc>,
    pub lifetime_minutes: u32,
    pub usable_once: bool,
}

impl IssuedTap {
    pub fn expires(&self) -> DateTime<Utc> {
        self.starts + Duration::minutes(i64::from(self.lifetime_minutes))
    }

    /// What is known of the pass without the pass itself, for outcomes and mail.
    pub fn terms(&self) -> TapTerms {
        TapTerms {
            expires: self.expires(),
            usable_once: self.usable_once,
        }
    }
}

/// When a pass stops working and whether it works once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TapTerms {
    pub expires: DateTime<Utc>,
    pub usable_once: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_is_checked_against_graph_and_the_policy() {
        let p = TapPolicy {
            enabled: true,
            default_lifetime: 60,
            min_lifetime: 60,
            max_lifetime: 480,
            usable_once: false,
        };
        assert!(p.check_lifetime(60).is_ok());
        assert!(p.check_lifetime(480).is_ok());
        let e = p.check_lifetime(30).unwrap_err();
        assert!(e.contains("60 to 480"), "{e}");
        let wide = TapPolicy {
            min_lifetime: 1,
            max_lifetime: 100_000,
            ..p
        };
        assert!(wide.check_lifetime(5).is_err());
        assert!(wide.check_lifetime(43_201).is_err());
        assert!(wide.check_lifetime(43_200).is_ok());
    }
}
