//! A Temporary Access Pass's terms as the admin asked for them, checked against the tenant's
//! policy: the one rule the restore dialog and `restore --hand-off tap` both use. Each front
//! end only says which of its fields a problem is about.

use crate::directory::tap::{TapAvailability, TapRequest};

/// The pass's lifetime as the admin gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime<'a> {
    /// Not given: the policy's default.
    PolicyDefault,
    Minutes(u32),
    /// As typed into a field.
    Typed(&'a str),
}

/// Why the pass asked for cannot be issued, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassProblem {
    /// No pass can be issued here at all (the policy, the sign-in's permissions, the cloud),
    /// or it is not known yet.
    Unavailable(String),
    /// The lifetime is not a number of minutes, or outside what Graph and the policy allow.
    Lifetime(String),
}

/// The pass to ask for: the lifetime within the policy's bounds, one-time when asked or when
/// the policy makes every pass one-time (Entra then issues nothing else).
pub fn pass_terms(
    availability: Option<&TapAvailability>,
    lifetime: Lifetime<'_>,
    once: bool,
) -> Result<TapRequest, PassProblem> {
    let policy = match availability {
        None => {
            return Err(PassProblem::Unavailable(
                "still asking the directory whether passes can be issued".into(),
            ));
        }
        Some(TapAvailability::Unavailable(why)) => {
            return Err(PassProblem::Unavailable(why.clone()));
        }
        Some(TapAvailability::Available(p)) => p,
    };
    let minutes = match lifetime {
        Lifetime::PolicyDefault => policy.default_lifetime,
        Lifetime::Minutes(m) => m,
        Lifetime::Typed(text) => {
            let text = text.trim();
            text.parse().map_err(|_| {
                PassProblem::Lifetime(format!("{text:?} is not a whole number of minutes"))
            })?
        }
    };
    policy
        .check_lifetime(minutes)
        .map_err(PassProblem::Lifetime)?;
    Ok(TapRequest {
        lifetime_minutes: minutes,
        usable_once: once || policy.usable_once,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::tap::TapPolicy;

    fn available(usable_once: bool) -> TapAvailability {
        TapAvailability::Available(TapPolicy {
            enabled: true,
            default_lifetime: 60,
            min_lifetime: 60,
            max_lifetime: 480,
            usable_once,
        })
    }

    #[test]
    fn the_lifetime_comes_from_the_admin_or_the_policy_and_stays_within_it() {
        let a = available(false);
        let t = pass_terms(Some(&a), Lifetime::PolicyDefault, false).unwrap();
        assert_eq!((t.lifetime_minutes, t.usable_once), (60, false));
        let t = pass_terms(Some(&a), Lifetime::Typed(" 120 "), true).unwrap();
        assert_eq!((t.lifetime_minutes, t.usable_once), (120, true));
        assert!(matches!(
            pass_terms(Some(&a), Lifetime::Minutes(30), false),
            Err(PassProblem::Lifetime(e)) if e.contains("60 to 480")
        ));
        assert!(matches!(
            pass_terms(Some(&a), Lifetime::Typed("2h"), false),
            Err(PassProblem::Lifetime(e)) if e.contains("\"2h\" is not a whole number")
        ));
    }

    #[test]
    fn a_one_time_policy_makes_every_pass_one_time() {
        let t = pass_terms(Some(&available(true)), Lifetime::Minutes(60), false).unwrap();
        assert!(t.usable_once);
    }

    #[test]
    fn no_pass_without_a_policy_that_allows_one() {
        assert!(matches!(
            pass_terms(None, Lifetime::PolicyDefault, false),
            Err(PassProblem::Unavailable(e)) if e.contains("still asking")
        ));
        let off = TapAvailability::Unavailable("the tenant's policy is off".into());
        assert_eq!(
            pass_terms(Some(&off), Lifetime::Minutes(60), false),
            Err(PassProblem::Unavailable(
                "the tenant's policy is off".into()
            ))
        );
    }
}
