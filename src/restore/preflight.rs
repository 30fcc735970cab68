//! Pre-flight: what stands in the way of restoring a user as it was (a user name held by an
//! active user, a proxy address held by a user, a group or an org contact), whether a new user
//! name chosen instead is free, and a free name to offer.
//!
//! Every question goes to the directory as one `HolderQuery`, all of a run's together
//! (`Directory::find_holders` batches them and rides out faults until the run's deadline), so
//! checking 500 users costs a few hundred batched lookups, not thousands of GETs.

use std::collections::HashMap;

use futures::StreamExt;

use super::plan::UserRequest;
use crate::directory::{
    DeletedUser, DirResult, Directory, DirectoryError, ErrorKind, Holder, HolderKind, HolderQuery,
};

/// How far suggestions count (alex.wilber2 .. alex.wilber99).
const SUGGESTION_TRIES: u32 = 99;
/// Suggestions asked about at once per taken name: the first is free nearly always, and a few
/// more cost nothing in a batch.
const SUGGESTIONS_PER_ROUND: usize = 4;
/// Users `preflight_each` checks together before it reports them: a dialog for hundreds of
/// users fills in chunk by chunk instead of all at the end.
const EACH_CHUNK: usize = 25;

/// A new user name chosen for a restore, and who holds it now (`None`: it is free).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameCheck {
    pub upn: String,
    pub holder: Option<Holder>,
}

impl NameCheck {
    /// The check is of this name (names compare without case, as the directory's do).
    pub fn is_of(&self, upn: &str) -> bool {
        self.upn.eq_ignore_ascii_case(upn.trim())
    }
}

/// What stands in the way of restoring a user as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preflight {
    /// The active user now holding the original user name.
    pub upn_holder: Option<Holder>,
    /// Each proxy address of the deleted user that a user, group or org contact now holds.
    pub proxy_holders: Vec<(String, Holder)>,
    /// A free user name to offer when the original is taken (checked against the directory).
    pub suggested_upn: Option<String>,
    /// Synced from on-premises AD: a restore here may be undone by the next sync.
    pub synced: bool,
    /// The new user name chosen (or suggested) and who holds it, when one was checked.
    pub new_upn: Option<NameCheck>,
    /// Kinds of holder whose addresses could not be checked (the sign-in may not read them),
    /// and why: the restore itself still refuses an address one of them holds.
    pub unchecked: Vec<(HolderKind, String)>,
}

impl Preflight {
    /// The original user name or a proxy address is held by someone else.
    pub fn has_conflict(&self) -> bool {
        self.upn_holder.is_some() || !self.proxy_holders.is_empty()
    }

    /// Who holds `upn`, when that name was checked and found taken. A name not checked (typed
    /// after pre-flight ran) is not known to be taken.
    pub fn new_upn_holder(&self, upn: &str) -> Option<&Holder> {
        self.new_upn
            .as_ref()
            .filter(|c| c.is_of(upn))
            .and_then(|c| c.holder.as_ref())
    }

    /// Whether `upn` is known free: checked, and nobody holds it.
    pub fn new_upn_free(&self, upn: &str) -> bool {
        self.new_upn
            .as_ref()
            .is_some_and(|c| c.is_of(upn) && c.holder.is_none())
    }

    /// The conflicts in words, with what to do about them.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(h) = &self.upn_holder {
            let hint = new_upn_advice(self.suggested_upn.as_deref());
            out.push(format!(
                "user name {} is now used by {}: {hint}",
                h.user_principal_name.as_deref().unwrap_or_default(),
                holder_words(h)
            ));
        }
        for (address, h) in &self.proxy_holders {
            out.push(format!(
                "proxy address {address} is now held by {}: {PROXY_ADVICE}",
                holder_words(h)
            ));
        }
        if let Some(NameCheck {
            upn,
            holder: Some(h),
        }) = &self.new_upn
        {
            out.push(format!(
                "new user name {upn} is already used by {}: choose another",
                holder_words(h)
            ));
        }
        for (kind, why) in &self.unchecked {
            out.push(format!(
                "proxy addresses were not checked against {}: {why}",
                kind.plural()
            ));
        }
        out
    }
}

/// A holder as the admin reads it: its kind, name and id (`group "Sales" (6f1…)`).
pub fn holder_words(h: &Holder) -> String {
    format!("{} \"{}\" ({})", h.kind.noun(), h.display_name, h.id)
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

/// Pre-flight of one user, restored as it was.
pub async fn preflight(dir: &dyn Directory, user: &DeletedUser) -> DirResult<Preflight> {
    let mut all = preflight_all(dir, std::slice::from_ref(user)).await;
    all.pop()
        .unwrap_or_else(|| Err(DirectoryError::malformed("the pre-flight was lost")))
}

/// Pre-flight of many users restored as they were, in the order given.
pub async fn preflight_all(
    dir: &dyn Directory,
    users: &[DeletedUser],
) -> Vec<DirResult<Preflight>> {
    let asked: Vec<Asked<'_>> = users
        .iter()
        .map(|user| Asked {
            user,
            new_upn: None,
        })
        .collect();
    run(dir, &asked).await
}

/// Pre-flight of users as the admin chose to restore them: each new user name chosen is
/// checked as well (it must be free), in the order given.
pub async fn preflight_requests(
    dir: &dyn Directory,
    requests: &[UserRequest],
) -> Vec<DirResult<Preflight>> {
    let asked: Vec<Asked<'_>> = requests
        .iter()
        .map(|r| Asked {
            user: &r.user,
            new_upn: r.chosen_upn(),
        })
        .collect();
    run(dir, &asked).await
}

/// Pre-flight of many users, a chunk at a time, each result as soon as its chunk is done,
/// tagged with the user's id.
pub fn preflight_each(
    dir: &dyn Directory,
    users: Vec<DeletedUser>,
) -> futures::stream::BoxStream<'_, (String, DirResult<Preflight>)> {
    let chunks: Vec<Vec<DeletedUser>> = users.chunks(EACH_CHUNK).map(<[_]>::to_vec).collect();
    futures::stream::iter(chunks)
        .then(move |chunk| async move {
            let results = preflight_all(dir, &chunk).await;
            futures::stream::iter(chunk.into_iter().map(|u| u.id).zip(results))
        })
        .flatten()
        .boxed()
}

/// Whether a new user name is free: the check the restore dialog runs on a name typed into
/// it, once typing pauses, so a taken name is said before Restore.
pub async fn check_new_upn(dir: &dyn Directory, upn: &str) -> DirResult<NameCheck> {
    let upn = upn.trim().to_string();
    let mut found = dir
        .find_holders(vec![HolderQuery::UserName(upn.clone())])
        .await;
    let holder = found
        .pop()
        .unwrap_or_else(|| Err(DirectoryError::malformed("the lookup was lost")))?;
    Ok(NameCheck { upn, holder })
}

/// One user as pre-flight is asked about it.
struct Asked<'a> {
    user: &'a DeletedUser,
    /// A new user name chosen instead of the original.
    new_upn: Option<&'a str>,
}

/// The lookups of one pre-flight, each asked once however many users need its answer.
#[derive(Default)]
struct Lookups {
    queries: Vec<HolderQuery>,
    by_key: HashMap<(HolderKind, bool, String), usize>,
}

impl Lookups {
    /// The place of `q` in the list, added if new (names and addresses compare without case).
    fn ask(&mut self, q: HolderQuery) -> usize {
        let key = (
            q.kind(),
            matches!(q, HolderQuery::UserName(_)),
            q.value().to_lowercase(),
        );
        *self.by_key.entry(key).or_insert_with(|| {
            self.queries.push(q);
            self.queries.len() - 1
        })
    }
}

/// Where one user's answers are in the lookups.
struct Plan {
    upn: usize,
    new_upn: Option<(String, usize)>,
    /// (address, kind, lookup)
    proxies: Vec<(String, HolderKind, usize)>,
}

async fn run(dir: &dyn Directory, asked: &[Asked<'_>]) -> Vec<DirResult<Preflight>> {
    let mut lookups = Lookups::default();
    let plans: Vec<Plan> = asked
        .iter()
        .map(|a| plan_lookups(&mut lookups, a))
        .collect();
    let answers = dir.find_holders(lookups.queries).await;
    let mut results: Vec<DirResult<Preflight>> = asked
        .iter()
        .zip(&plans)
        .map(|(a, p)| read_answers(a.user, p, &answers))
        .collect();
    suggest(dir, asked, &mut results).await;
    results
}

fn plan_lookups(lookups: &mut Lookups, a: &Asked<'_>) -> Plan {
    let upn = lookups.ask(HolderQuery::UserName(a.user.original_upn.clone()));
    let new_upn = a.new_upn.map(|n| {
        (
            n.to_string(),
            lookups.ask(HolderQuery::UserName(n.to_string())),
        )
    });
    let mut proxies = Vec::new();
    for address in &a.user.proxy_addresses {
        if proxies
            .iter()
            .any(|(seen, _, _): &(String, HolderKind, usize)| seen.eq_ignore_ascii_case(address))
        {
            continue;
        }
        for kind in HolderKind::ALL {
            let i = lookups.ask(HolderQuery::ProxyAddress(kind, address.clone()));
            proxies.push((address.clone(), kind, i));
        }
    }
    Plan {
        upn,
        new_upn,
        proxies,
    }
}

/// A lookup that failed because the sign-in may not read that kind of object: the check is
/// skipped (and said), not the whole pre-flight failed. Users are always readable by whoever
/// can restore, so their lookups fail for real.
fn unreadable(kind: HolderKind, e: &DirectoryError) -> Option<String> {
    (kind != HolderKind::User && e.kind == ErrorKind::Forbidden).then(|| {
        format!(
            "the sign-in may not read them (needs {}): {}",
            kind.permission(),
            e.message
        )
    })
}

fn read_answers(
    user: &DeletedUser,
    plan: &Plan,
    answers: &[DirResult<Option<Holder>>],
) -> DirResult<Preflight> {
    let answer = |i: usize| -> DirResult<Option<Holder>> {
        answers
            .get(i)
            .cloned()
            .unwrap_or_else(|| Err(DirectoryError::malformed("the lookup was lost")))
    };
    let upn_holder = answer(plan.upn)?;
    let new_upn = match &plan.new_upn {
        Some((upn, i)) => Some(NameCheck {
            upn: upn.clone(),
            holder: answer(*i)?,
        }),
        None => None,
    };
    let mut proxy_holders: Vec<(String, Holder)> = Vec::new();
    let mut unchecked: Vec<(HolderKind, String)> = Vec::new();
    for (address, kind, i) in &plan.proxies {
        match answer(*i) {
            // The same object can only hold an address once; the user itself is deleted, so
            // no active lookup finds it.
            Ok(Some(h)) if h.id != user.id => proxy_holders.push((address.clone(), h)),
            Ok(_) => {}
            Err(e) => match unreadable(*kind, &e) {
                Some(why) if !unchecked.iter().any(|(k, _)| k == kind) => {
                    unchecked.push((*kind, why));
                }
                Some(_) => {}
                None => return Err(e),
            },
        }
    }
    Ok(Preflight {
        upn_holder,
        proxy_holders,
        suggested_upn: None,
        synced: user.on_premises_sync_enabled,
        new_upn,
        unchecked,
    })
}

/// Finds a free name for every user whose original is taken: a few candidates per user per
/// round, all users' together. A suggestion that is found free counts as a checked new name
/// when none was chosen, so the dialog that prefills it need not ask again.
async fn suggest(dir: &dyn Directory, asked: &[Asked<'_>], results: &mut [DirResult<Preflight>]) {
    // (user, its remaining candidates)
    let mut wanted: Vec<(usize, Vec<String>)> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Ok(pf) if pf.upn_holder.is_some()))
        .map(|(i, _)| (i, upn_candidates(&asked[i].user.original_upn).collect()))
        .collect();
    while !wanted.is_empty() {
        let mut lookups = Lookups::default();
        let mut rounds: Vec<(usize, Vec<(String, usize)>)> = Vec::new();
        for (i, candidates) in &mut wanted {
            let take = candidates.len().min(SUGGESTIONS_PER_ROUND);
            let round: Vec<(String, usize)> = candidates
                .drain(..take)
                .map(|c| {
                    let at = lookups.ask(HolderQuery::UserName(c.clone()));
                    (c, at)
                })
                .collect();
            rounds.push((*i, round));
        }
        let answers = dir.find_holders(lookups.queries).await;
        let mut still = Vec::new();
        for ((i, round), (_, left)) in rounds.into_iter().zip(wanted) {
            let mut outcome = None;
            for (candidate, at) in round {
                match answers.get(at).cloned() {
                    Some(Ok(None)) => {
                        outcome = Some(Ok(candidate));
                        break;
                    }
                    Some(Ok(Some(_))) => {}
                    Some(Err(e)) => {
                        outcome = Some(Err(e));
                        break;
                    }
                    None => {
                        outcome = Some(Err(DirectoryError::malformed("the lookup was lost")));
                        break;
                    }
                }
            }
            match outcome {
                Some(Ok(free)) => {
                    if let Ok(pf) = &mut results[i] {
                        if pf.new_upn.is_none() {
                            pf.new_upn = Some(NameCheck {
                                upn: free.clone(),
                                holder: None,
                            });
                        }
                        pf.suggested_upn = Some(free);
                    }
                }
                Some(Err(e)) => results[i] = Err(e),
                None if !left.is_empty() => still.push((i, left)),
                None => {}
            }
        }
        wanted = still;
    }
}

/// The names suggestions try, in order: `local2@domain`, `local3@domain`, ... (a trailing
/// number on the original is counted up from instead of appended to). The number is counted
/// in `u64` from what the original ends with, so a name ending in a huge number (it comes from
/// the server) cannot overflow; one too long even for that starts again at 2.
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

    fn user(proxies: &[&str]) -> DeletedUser {
        let mut u = DeletedUser::sample("u1", "Alex Wilber", "alex@contoso.com");
        u.proxy_addresses = proxies.iter().map(|p| p.to_string()).collect();
        u
    }

    fn holder(kind: HolderKind, id: &str, name: &str) -> Holder {
        Holder {
            kind,
            id: id.into(),
            display_name: name.into(),
            user_principal_name: (kind == HolderKind::User).then(|| format!("{id}@contoso.com")),
            mail: None,
            proxy_addresses: vec![],
        }
    }

    #[test]
    fn every_address_is_asked_of_users_groups_and_contacts_once() {
        let a = user(&[
            "SMTP:alex@contoso.com",
            "smtp:a@contoso.com",
            "smtp:ALEX@contoso.com",
        ]);
        let b = user(&["smtp:a@contoso.com"]);
        let mut lookups = Lookups::default();
        let pa = plan_lookups(
            &mut lookups,
            &Asked {
                user: &a,
                new_upn: Some("alex2@contoso.com"),
            },
        );
        let pb = plan_lookups(
            &mut lookups,
            &Asked {
                user: &b,
                new_upn: None,
            },
        );
        // Two distinct addresses of `a`, each of three kinds; `b`'s address and user name are
        // asked already.
        assert_eq!(pa.proxies.len(), 6);
        let kinds: Vec<HolderKind> = pa.proxies.iter().map(|(_, k, _)| *k).collect();
        assert_eq!(&kinds[..3], &HolderKind::ALL);
        assert_eq!(lookups.queries.len(), 1 + 1 + 6);
        assert_eq!(pb.upn, pa.upn);
        assert!(
            pb.proxies
                .iter()
                .all(|(_, _, i)| pa.proxies.iter().any(|(_, _, j)| i == j))
        );
        assert!(matches!(&lookups.queries[pa.new_upn.as_ref().unwrap().1],
            HolderQuery::UserName(n) if n == "alex2@contoso.com"));
        // A user name and a proxy address with the same text are different questions.
        let upn_q = lookups.ask(HolderQuery::UserName("smtp:a@contoso.com".into()));
        assert_eq!(upn_q, lookups.queries.len() - 1);
    }

    #[test]
    fn holders_of_every_kind_are_kept_with_their_kind_name_and_id() {
        let u = user(&["smtp:a@contoso.com"]);
        let mut lookups = Lookups::default();
        let plan = plan_lookups(
            &mut lookups,
            &Asked {
                user: &u,
                new_upn: Some("alex2@contoso.com"),
            },
        );
        let mut answers: Vec<DirResult<Option<Holder>>> = vec![Ok(None); lookups.queries.len()];
        let group_at = plan.proxies[1].2;
        answers[group_at] = Ok(Some(holder(HolderKind::Group, "g1", "Sales Team")));
        answers[plan.new_upn.as_ref().unwrap().1] =
            Ok(Some(holder(HolderKind::User, "u9", "New Hire")));
        let pf = read_answers(&u, &plan, &answers).unwrap();
        assert!(pf.has_conflict());
        assert_eq!(pf.proxy_holders.len(), 1);
        let (address, h) = &pf.proxy_holders[0];
        assert_eq!(address, "smtp:a@contoso.com");
        assert_eq!((h.kind, h.id.as_str()), (HolderKind::Group, "g1"));
        assert_eq!(
            pf.new_upn_holder("ALEX2@contoso.com ")
                .map(|h| h.id.as_str()),
            Some("u9")
        );
        assert!(pf.new_upn_holder("alex3@contoso.com").is_none());
        assert!(
            !pf.new_upn_free("alex3@contoso.com"),
            "never checked is not free"
        );
        let words = pf.describe().join("\n");
        assert!(
            words.contains("held by group \"Sales Team\" (g1)"),
            "{words}"
        );
        assert!(
            words.contains("new user name alex2@contoso.com is already used by user"),
            "{words}"
        );
    }

    #[test]
    fn an_unreadable_kind_is_said_and_skipped_but_a_failing_user_lookup_fails() {
        let u = user(&["smtp:a@contoso.com", "smtp:b@contoso.com"]);
        let mut lookups = Lookups::default();
        let plan = plan_lookups(
            &mut lookups,
            &Asked {
                user: &u,
                new_upn: None,
            },
        );
        let forbidden = DirectoryError::new(ErrorKind::Forbidden, "Insufficient privileges");
        let mut answers: Vec<DirResult<Option<Holder>>> = vec![Ok(None); lookups.queries.len()];
        for (_, kind, i) in &plan.proxies {
            if *kind == HolderKind::Contact {
                answers[*i] = Err(forbidden.clone());
            }
        }
        let pf = read_answers(&u, &plan, &answers).unwrap();
        assert_eq!(pf.unchecked.len(), 1, "said once, not per address");
        assert_eq!(pf.unchecked[0].0, HolderKind::Contact);
        assert!(
            pf.unchecked[0].1.contains("OrgContact.Read.All"),
            "{:?}",
            pf.unchecked
        );
        assert!(!pf.has_conflict());
        answers[plan.proxies[0].2] = Err(forbidden);
        assert!(
            read_answers(&u, &plan, &answers).is_err(),
            "users must be readable"
        );
        let mut answers: Vec<DirResult<Option<Holder>>> = vec![Ok(None); lookups.queries.len()];
        answers[plan.proxies[1].2] = Err(DirectoryError::network("connection reset"));
        assert!(
            read_answers(&u, &plan, &answers).is_err(),
            "a fault is not a skip"
        );
    }

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
