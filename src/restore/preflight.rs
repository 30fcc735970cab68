//! Pre-flight: what stands in the way of restoring a user as it was (a user name or proxy
//! address now held by someone else), and a free user name to offer instead.

use futures::StreamExt;

use crate::directory::{ActiveUser, DeletedUser, DirResult, Directory};

/// How many lookups a pre-flight runs at once: users of a bulk pre-flight, and the proxy
/// addresses of one user.
const PREFLIGHT_CONCURRENCY: usize = 8;
/// How far `suggest_upn` counts (alex.wilber2 .. alex.wilber99).
const SUGGESTION_TRIES: u32 = 99;

/// What stands in the way of restoring a user as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preflight {
    /// The active user now holding the original user name.
    pub upn_holder: Option<ActiveUser>,
    /// Each proxy address of the deleted user that an active user now holds.
    pub proxy_holders: Vec<(String, ActiveUser)>,
    /// A free user name to offer when the original is taken (checked against the directory).
    pub suggested_upn: Option<String>,
    /// Synced from on-premises AD: a restore here may be undone by the next sync.
    pub synced: bool,
}

impl Preflight {
    pub fn has_conflict(&self) -> bool {
        self.upn_holder.is_some() || !self.proxy_holders.is_empty()
    }

    /// Would a restore with these choices go through?
    pub fn resolved_by(&self, new_upn: Option<&str>, reconcile_proxies: bool) -> bool {
        (self.upn_holder.is_none() || new_upn.is_some())
            && (self.proxy_holders.is_empty() || reconcile_proxies)
    }

    /// The conflicts in words, with what to do about them.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(h) = &self.upn_holder {
            let hint = new_upn_advice(self.suggested_upn.as_deref());
            out.push(format!(
                "user name {} is now used by \"{}\" ({}): {hint}",
                h.user_principal_name, h.display_name, h.id
            ));
        }
        for (address, h) in &self.proxy_holders {
            out.push(format!(
                "proxy address {address} is now held by \"{}\" ({}): {PROXY_ADVICE}",
                h.display_name, h.id
            ));
        }
        out
    }
}

/// What the restore dialog offers for a taken user name: a new one, prefilled with a free
/// suggestion when there is one. The pre-flight and the conflict sweep both say it this way.
pub fn new_upn_advice(suggested: Option<&str>) -> String {
    match suggested {
        Some(s) => format!("choose a new user name, e.g. {s}"),
        None => "choose a new user name".to_string(),
    }
}

/// What the restore dialog offers for proxy addresses held elsewhere (its "remove conflicting
/// proxy addresses" choice, Graph's `autoReconcileProxyConflict`).
pub const PROXY_ADVICE: &str = "remove conflicting proxy addresses";

/// The name `suggest_upn` would offer, judged against names already known to be taken (the
/// conflict sweep's index) instead of asking the directory one name at a time.
pub fn first_free_upn(upn: &str, taken: impl Fn(&str) -> bool) -> Option<String> {
    upn_candidates(upn).find(|c| !taken(c))
}

/// Checks whether the user's name and proxy addresses are free, and suggests a free name.
pub async fn preflight(dir: &dyn Directory, user: &DeletedUser) -> DirResult<Preflight> {
    let upn_lookup = dir.find_active_by_upn(&user.original_upn);
    // The server says how many proxy addresses there are: look them up a few at a time.
    // (Collected first: a stream over a borrowing closure would not be `Send` for spawners.)
    let lookups: Vec<_> = user
        .proxy_addresses
        .iter()
        .map(|a| dir.find_active_by_proxy(a))
        .collect();
    let proxy_lookups = futures::stream::iter(lookups)
        .buffered(PREFLIGHT_CONCURRENCY)
        .collect::<Vec<_>>();
    let (upn_holder, proxies) = futures::join!(upn_lookup, proxy_lookups);
    let upn_holder = upn_holder?;
    let mut proxy_holders = Vec::new();
    for (address, holder) in user.proxy_addresses.iter().zip(proxies) {
        if let Some(h) = holder? {
            proxy_holders.push((address.clone(), h));
        }
    }
    let suggested_upn = if upn_holder.is_some() {
        suggest_upn(dir, &user.original_upn).await?
    } else {
        None
    };
    Ok(Preflight {
        upn_holder,
        proxy_holders,
        suggested_upn,
        synced: user.on_premises_sync_enabled,
    })
}

/// Pre-flight of many users, a few lookups at a time, in the order given.
pub async fn preflight_all(
    dir: &dyn Directory,
    users: &[DeletedUser],
) -> Vec<DirResult<Preflight>> {
    futures::stream::iter(users.iter().map(|u| preflight(dir, u)))
        .buffered(PREFLIGHT_CONCURRENCY)
        .collect()
        .await
}

/// Pre-flight of many users, a few at a time, each result as soon as it is known (in any
/// order), tagged with the user's id.
pub fn preflight_each(
    dir: &dyn Directory,
    users: Vec<DeletedUser>,
) -> futures::stream::BoxStream<'_, (String, DirResult<Preflight>)> {
    futures::stream::iter(users)
        .map(move |u| async move {
            let result = preflight(dir, &u).await;
            (u.id, result)
        })
        .buffer_unordered(PREFLIGHT_CONCURRENCY)
        .boxed()
}

/// The first free name of the form `local2@domain`, `local3@domain`, ... (a trailing number on
/// the original is counted up from instead of appended to).
pub async fn suggest_upn(dir: &dyn Directory, upn: &str) -> DirResult<Option<String>> {
    for candidate in upn_candidates(upn) {
        if dir.find_active_by_upn(&candidate).await?.is_none() {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

/// The names `suggest_upn` tries, in order. The number is counted in `u64` from what the
/// original ends with, so a name ending in a huge number (it comes from the server) cannot
/// overflow; one too long even for that starts again at 2.
fn upn_candidates(upn: &str) -> impl Iterator<Item = String> + '_ {
    let (local, domain) = upn.rsplit_once('@').unwrap_or_default();
    let base = local.trim_end_matches(|c: char| c.is_ascii_digit());
    let base = if base.is_empty() { local } else { base };
    let start = local
        .get(base.len()..)
        .and_then(|digits| digits.parse::<u64>().ok())
        .map_or(2, |n| n.saturating_add(1).max(2));
    let tries = if local.is_empty() || domain.is_empty() {
        0
    } else {
        u64::from(SUGGESTION_TRIES)
    };
    (0..tries)
        .map_while(move |i| start.checked_add(i))
        .map(move |n| format!("{base}{n}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn upn_suggestions_count_up_without_overflowing() {
        let first = |upn: &str| upn_candidates(upn).take(2).collect::<Vec<_>>();
        assert_eq!(
            first("alex.wilber@contoso.com"),
            ["alex.wilber2@contoso.com", "alex.wilber3@contoso.com"]
        );
        assert_eq!(
            first("alex7@contoso.com"),
            ["alex8@contoso.com", "alex9@contoso.com"]
        );
        assert_eq!(
            first("42@contoso.com"),
            ["422@contoso.com", "423@contoso.com"]
        );
        assert_eq!(
            first("a4294967295@c.com"),
            ["a4294967296@c.com", "a4294967297@c.com"]
        );
        assert_eq!(
            upn_candidates("a18446744073709551614@c.com").collect::<Vec<_>>(),
            ["a18446744073709551615@c.com"]
        );
        assert_eq!(upn_candidates("x@c.com").count(), SUGGESTION_TRIES as usize);
        assert_eq!(upn_candidates("no-at-sign").count(), 0);
    }
}
