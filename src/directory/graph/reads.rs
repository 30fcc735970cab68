//! Many reads (and writes that are safe to send twice) through `$batch`: 20 requests per batch, a few batches in flight, each read resent
//! after a passing fault (a batch lost or refused, an inner 5xx, an inner 429 after its
//! `Retry-After`) until the run's deadline; a read that keeps failing fails on its own. The
//! lookups of deleted users by id and pre-flight's holder lookups both come through here, so
//! every bulk read rides out faults one way.

use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use reqwest::Method;
use serde_json::{Map, Value};
use url::Url;

use super::GraphDirectory;
use super::transport::{Call, Outcome};
use super::urls::odata_string;
use crate::directory::batch::{self, InnerRequest};
use crate::directory::holders::parse_holder_value;
use crate::directory::retry::{Op, human, wait_too_long};
use crate::directory::wait::WaitReason;
use crate::directory::wire::{self, DELETED_SELECT};
use crate::directory::{DeletedUser, DirResult, DirectoryError, ErrorKind, Holder, HolderQuery};

/// Times a whole batch of reads is sent again after it failed past `send`'s own retries (under
/// 40% faults one such failure is about 1 in 100; three in a row, 1 in 10^6).
const LOST_BATCHES: u32 = 2;

/// One request to send inside a `$batch`: a GET, or a write that is safe to send twice (its
/// caller takes Graph's "already there" for done), so a round may resend it like a read.
pub(super) struct Read {
    method: &'static str,
    /// A write's JSON body.
    body: Option<Value>,
    /// Path and query under `/v1.0`, as an inner request names it (`/users?$filter=…`).
    url: String,
    /// Sent with `ConsistencyLevel: eventual` (an advanced query).
    eventual: bool,
    /// What the read asks, for errors ("GET $batch /groups (proxy address smtp:a@b.c)").
    label: String,
}

/// A read on its way through the rounds of one batch.
struct Pending {
    /// Its place in the caller's list.
    index: usize,
    read: Read,
    failures: u32,
    last: Option<DirectoryError>,
}

impl Pending {
    fn at(&self, e: DirectoryError) -> DirectoryError {
        e.at(self.read.method, &format!("$batch {}", self.read.label))
    }
}

/// The inner request of a read (request ids are its place in the batch).
fn inner_request(n: usize, read: &Read) -> InnerRequest {
    let mut h = Map::new();
    if read.eventual {
        h.insert("ConsistencyLevel".into(), Value::String("eventual".into()));
    }
    if read.body.is_some() {
        h.insert(
            "Content-Type".into(),
            Value::String("application/json".into()),
        );
    }
    InnerRequest {
        id: n.to_string(),
        method: read.method,
        url: read.url.clone(),
        headers: (!h.is_empty()).then_some(h),
        body: read.body.clone(),
        depends_on: None,
    }
}

impl GraphDirectory {
    /// The part of a URL built by `url` that an inner request of `$batch` names (the same
    /// encoding as a GET of its own).
    fn batch_url(&self, url: &Url) -> String {
        let root = self.inner.v1.as_str().trim_end_matches('/');
        match url.as_str().strip_prefix(root) {
            Some(rest) => rest.to_string(),
            None => url.path().to_string(),
        }
    }

    pub(super) fn read(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        eventual: bool,
    ) -> DirResult<Read> {
        let url = self.url(segments, query)?;
        Ok(Read {
            method: "GET",
            body: None,
            url: self.batch_url(&url),
            eventual,
            label: format!("/{}", segments.join("/")),
        })
    }

    /// A write to send in a `$batch` with reads' rounds: only for a write whose second
    /// sending changes nothing (its caller reads Graph's "already there" as done).
    pub(super) fn repeatable_write(
        &self,
        method: &'static str,
        segments: &[&str],
        body: Value,
    ) -> DirResult<Read> {
        let url = self.url(segments, &[])?;
        Ok(Read {
            method,
            body: Some(body),
            url: self.batch_url(&url),
            eventual: false,
            label: format!("/{}", segments.join("/")),
        })
    }

    /// The read that answers one holder query.
    fn holder_read(&self, q: &HolderQuery) -> DirResult<Read> {
        let kind = q.kind();
        let (filter, what) = match q {
            HolderQuery::UserName(upn) => (
                format!("userPrincipalName eq {}", odata_string(upn)),
                format!("user name {upn}"),
            ),
            HolderQuery::ProxyAddress(_, address) => (
                format!("proxyAddresses/any(x:x eq {})", odata_string(address)),
                format!("proxy address {address}"),
            ),
        };
        let mut query = vec![("$filter", filter.as_str()), ("$select", kind.select())];
        if q.advanced() {
            query.push(("$count", "true"));
        }
        let mut read = self.read(&[kind.collection()], &query, q.advanced())?;
        read.label = format!("{} ({what})", read.label);
        Ok(read)
    }

    /// `Directory::find_holders`: one read per query, batched. An object the server returns
    /// that does not hold the name or address asked about (a server that ignored the filter)
    /// is not taken for its holder.
    pub(super) async fn find_holders_now(
        &self,
        queries: Vec<HolderQuery>,
    ) -> Vec<DirResult<Option<Holder>>> {
        let reads = queries.iter().map(|q| self.holder_read(q)).collect();
        let answers = self.read_each(reads).await;
        queries
            .iter()
            .zip(answers)
            .map(|(q, answer)| {
                answer.and_then(|body| {
                    let found = parse_holder_value(body, q.kind())?;
                    Ok(found.into_iter().find(|h| holds(h, q)))
                })
            })
            .collect()
    }

    /// Deleted users by id, batched. Each id ends on its own: a lookup that keeps failing
    /// fails that id only.
    pub(super) async fn lookup_deleted_many(
        &self,
        ids: Vec<String>,
    ) -> Vec<DirResult<DeletedUser>> {
        let reads = ids
            .iter()
            .map(|id| {
                batch::check_job_id(id).and_then(|()| {
                    self.read(
                        &["directory", "deletedItems", id],
                        &[("$select", DELETED_SELECT)],
                        false,
                    )
                })
            })
            .collect();
        self.read_each(reads)
            .await
            .into_iter()
            .map(|answer| answer.and_then(wire::parse_deleted_value))
            .collect()
    }

    /// Each read's answer in the order given; a read that could not be made (a bad id, a bad
    /// URL) keeps its error and is not sent.
    pub(super) async fn read_each(&self, reads: Vec<DirResult<Read>>) -> Vec<DirResult<Value>> {
        let mut out: Vec<Option<DirResult<Value>>> = Vec::with_capacity(reads.len());
        let mut to_send = Vec::new();
        for (i, read) in reads.into_iter().enumerate() {
            match read {
                Ok(r) => {
                    out.push(None);
                    to_send.push((i, r));
                }
                Err(e) => out.push(Some(Err(e))),
            }
        }
        let (places, to_send): (Vec<usize>, Vec<Read>) = to_send.into_iter().unzip();
        for (i, answer) in places.into_iter().zip(self.read_many(to_send).await) {
            out[i] = Some(answer);
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(DirectoryError::malformed("the lookup was lost"))))
            .collect()
    }

    /// The body of each read's 2xx reply, or why there is none, in the order given.
    async fn read_many(&self, reads: Vec<Read>) -> Vec<DirResult<Value>> {
        let deadline = self.call_deadline();
        let n = reads.len();
        let mut chunks: Vec<Vec<Pending>> = Vec::new();
        for (index, read) in reads.into_iter().enumerate() {
            if chunks
                .last()
                .is_none_or(|c: &Vec<Pending>| c.len() == batch::MAX_REQUESTS)
            {
                chunks.push(Vec::with_capacity(batch::MAX_REQUESTS));
            }
            if let Some(c) = chunks.last_mut() {
                c.push(Pending {
                    index,
                    read,
                    failures: 0,
                    last: None,
                });
            }
        }
        let mut results: Vec<Option<DirResult<Value>>> = vec![None; n];
        let mut done = stream::iter(chunks)
            .map(|chunk| self.read_round(chunk, deadline))
            .buffer_unordered(self.inner.concurrency);
        while let Some(answers) = done.next().await {
            for (i, r) in answers {
                results[i] = Some(r);
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(DirectoryError::malformed("the lookup was lost"))))
            .collect()
    }

    /// The reads of one batch, resent round after round for those that met a 429 (after its
    /// `Retry-After`) or a passing fault (a bounded number of times), until the deadline.
    async fn read_round(
        &self,
        mut todo: Vec<Pending>,
        deadline: Instant,
    ) -> Vec<(usize, DirResult<Value>)> {
        let limit = self.inner.policy.max_retries;
        // Whole batches that failed after `send`'s own retries: each already stands for a few
        // attempts, so a server that is down is said within a minute, not after many.
        let mut lost_batches = 0;
        let mut out = Vec::with_capacity(todo.len());
        let mut round = Round::default();
        while !todo.is_empty() {
            if Instant::now() + round.wait >= deadline {
                for p in todo.drain(..) {
                    let e = self.past_deadline(&p);
                    out.push((p.index, Err(e)));
                }
                break;
            }
            if !round.wait.is_zero() {
                self.wait_for_reads(&todo, &round).await;
            }
            let reply = self.send_reads(&todo, deadline).await;
            round = Round::default();
            let mut again = Vec::new();
            match reply {
                Ok(mut responses) => {
                    for (n, p) in todo.drain(..).enumerate() {
                        let r = responses.remove(&n.to_string());
                        match self.answer(p, r, &mut round) {
                            Answer::Done(index, result) => out.push((index, result)),
                            Answer::Again(p) => again.push(p),
                        }
                    }
                }
                Err(e) if passing(&e) && lost_batches < LOST_BATCHES => {
                    lost_batches += 1;
                    for mut p in todo.drain(..) {
                        p.failures += 1;
                        p.last = Some(e.clone());
                        again.push(p);
                    }
                }
                Err(e) => {
                    for p in todo.drain(..) {
                        out.push((p.index, Err(e.clone())));
                    }
                }
            }
            for p in again {
                if p.failures > limit {
                    let e = p
                        .last
                        .unwrap_or_else(|| DirectoryError::network("the lookup kept failing"));
                    out.push((p.index, Err(e)));
                } else {
                    todo.push(p);
                }
            }
            if !todo.is_empty() && round.wait.is_zero() {
                let worst = todo.iter().map(|p| p.failures).max().unwrap_or(0);
                round.wait = self.inner.policy.backoff(worst, rand::random());
            }
        }
        out
    }

    /// Announces the wait before a round of reads is sent again, and waits.
    async fn wait_for_reads(&self, todo: &[Pending], round: &Round) {
        let last = todo.iter().find_map(|p| p.last.as_ref());
        tracing::info!(
            lookups = todo.len(),
            wait_ms = u64::try_from(round.wait.as_millis()).unwrap_or(u64::MAX),
            reason = if round.throttled {
                "Retry-After"
            } else {
                "failed lookups"
            },
            error = last.map(|e| e.message.as_str()),
            "retrying lookups"
        );
        let (reason, detail) = if round.throttled {
            (WaitReason::Throttled, "Retry-After of lookups".to_string())
        } else {
            (
                WaitReason::Retrying,
                last.map_or_else(
                    || "failed lookups".to_string(),
                    |e| format!("lookups, last: {}", e.message),
                ),
            )
        };
        self.notify_wait(reason, round.wait, detail);
        tokio::time::sleep(round.wait).await;
    }

    /// One read's answer in a batch reply (`None`: the reply left it out): its result, or the
    /// read again in the next round, whose wait it may lengthen.
    fn answer(&self, mut p: Pending, r: Option<batch::InnerResponse>, round: &mut Round) -> Answer {
        let Some(r) = r else {
            p.failures += 1;
            p.last = Some(p.at(DirectoryError::network(
                "the $batch reply left this lookup out",
            )));
            return Answer::Again(p);
        };
        match r.status {
            200..=299 if r.body.is_none() && p.read.method != "GET" => {
                // 204 No Content: a write's usual answer.
                Answer::Done(p.index, Ok(Value::Null))
            }
            200..=299 => {
                let body = r.body.ok_or_else(|| {
                    p.at(DirectoryError::malformed(
                        "the reply to a lookup has no body",
                    ))
                });
                Answer::Done(p.index, body)
            }
            429 => {
                let mut e = p.at(r.error());
                match e.retry_after {
                    Some(ra) if ra > self.inner.policy.max_retry_after => {
                        e.message = wait_too_long(ra, self.inner.policy.max_retry_after);
                        e.permanent = true;
                        Answer::Done(p.index, Err(e))
                    }
                    Some(ra) => {
                        round.wait = round.wait.max(ra);
                        round.throttled = true;
                        p.last = Some(e);
                        Answer::Again(p)
                    }
                    None => {
                        p.failures += 1;
                        round.wait = round.wait.max(Duration::from_secs(1));
                        p.last = Some(e);
                        Answer::Again(p)
                    }
                }
            }
            500..=599 => {
                p.failures += 1;
                let e = p.at(r.error());
                round.wait = round.wait.max(e.retry_after.unwrap_or(Duration::ZERO));
                p.last = Some(e);
                Answer::Again(p)
            }
            _ => Answer::Done(p.index, Err(p.at(r.error()))),
        }
    }

    /// One `$batch` of the reads; the outer call is resent by `send` as any GET is (it holds
    /// only reads).
    async fn send_reads(
        &self,
        todo: &[Pending],
        deadline: Instant,
    ) -> DirResult<std::collections::HashMap<String, batch::InnerResponse>> {
        let requests: Vec<InnerRequest> = todo
            .iter()
            .enumerate()
            .map(|(n, p)| inner_request(n, &p.read))
            .collect();
        let writes = todo.iter().filter(|p| p.read.method != "GET").count();
        self.send_read_batch(&requests, Some(deadline), writes)
            .await
    }

    /// Sends one `$batch` that holds only reads and `writes` repeatable writes (so the outer
    /// call is as safe to resend as a GET, or as a PATCH) and returns its inner replies by id;
    /// `deadline` bounds it (`None`: the call's own).
    pub(super) async fn send_read_batch(
        &self,
        requests: &[InnerRequest],
        deadline: Option<Instant>,
        writes: usize,
    ) -> DirResult<std::collections::HashMap<String, batch::InnerResponse>> {
        let body = serde_json::to_vec(&serde_json::json!({ "requests": requests }))
            .map_err(|e| DirectoryError::invalid(format!("cannot encode the $batch: {e}")))?;
        let call = Call {
            method: Method::POST,
            url: self.url(&["$batch"], &[])?,
            body: Some(body),
            eventual: false,
            op: if writes == 0 {
                Op::Read
            } else {
                Op::Idempotent
            },
            writes: u32::try_from(writes).unwrap_or(u32::MAX),
            restore_id: None,
            max_body: self.inner.max_body,
            deadline,
        };
        match self.send(call).await? {
            Outcome::Reply(r) if r.ok() => batch::parse_reply(&r.body, r.request_id.as_deref()),
            Outcome::Reply(r) => Err(r.error()),
            Outcome::AlreadyRestored(_) | Outcome::AlreadyDone => {
                Err(DirectoryError::malformed("unexpected outcome of a $batch"))
            }
        }
    }

    /// A read the run's deadline ended, with what held it back.
    fn past_deadline(&self, p: &Pending) -> DirectoryError {
        let why = format!(
            "the run's deadline of {} passed before this lookup went through",
            human(self.inner.deadline)
        );
        let mut e = match &p.last {
            Some(last) => DirectoryError {
                message: format!("{why}; last: {}", last.message),
                ..last.clone()
            },
            None => p.at(DirectoryError::network(why)),
        };
        e.permanent = true;
        e
    }
}

/// Whether a failed batch of reads may go through if sent again later.
fn passing(e: &DirectoryError) -> bool {
    !e.permanent
        && matches!(
            e.kind,
            ErrorKind::Network | ErrorKind::Server | ErrorKind::Throttled | ErrorKind::Malformed
        )
}

/// The object really holds what the query asks about (names compare without case, as the
/// directory compares them).
fn holds(h: &Holder, q: &HolderQuery) -> bool {
    match q {
        HolderQuery::UserName(upn) => h
            .user_principal_name
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(upn)),
        HolderQuery::ProxyAddress(_, address) => h
            .proxy_addresses
            .iter()
            .any(|a| a.eq_ignore_ascii_case(address)),
    }
}

/// What a round of reads leaves for the next: how long to wait, and whether for a 429.
#[derive(Default)]
struct Round {
    wait: Duration,
    throttled: bool,
}

/// A read's answer: its result (by its index among the reads), or the read to send again.
enum Answer {
    Done(usize, DirResult<Value>),
    Again(Pending),
}

#[cfg(test)]
mod tests {
    use super::super::test_support::dir;
    use super::*;
    use crate::directory::HolderKind;

    #[test]
    fn holder_reads_filter_each_kind_and_ask_contacts_in_advanced_mode() {
        let d = dir("https://graph.microsoft.com/").unwrap();
        let upn = d
            .holder_read(&HolderQuery::UserName("o'brien@c.com".into()))
            .unwrap();
        assert!(
            upn.url.starts_with(
                "/users?$filter=userPrincipalName%20eq%20%27o%27%27brien@c.com%27&$select="
            ),
            "{}",
            upn.url
        );
        assert!(!upn.eventual);
        let group = d
            .holder_read(&HolderQuery::ProxyAddress(
                HolderKind::Group,
                "smtp:a@c.com".into(),
            ))
            .unwrap();
        assert!(
            group
                .url
                .starts_with("/groups?$filter=proxyAddresses/any(x:x%20eq%20%27smtp:a@c.com%27)"),
            "{}",
            group.url
        );
        assert!(!group.eventual && !group.url.contains("$count"));
        let contact = d
            .holder_read(&HolderQuery::ProxyAddress(
                HolderKind::Contact,
                "SMTP:a@c.com".into(),
            ))
            .unwrap();
        assert!(contact.url.starts_with("/contacts?"), "{}", contact.url);
        assert!(contact.eventual && contact.url.ends_with("&$count=true"));
        let inner = inner_request(3, &contact);
        assert_eq!(inner.id, "3");
        assert_eq!(
            inner
                .headers
                .and_then(|h| h.get("ConsistencyLevel").cloned()),
            Some(Value::String("eventual".into()))
        );
        assert!(
            contact
                .label
                .contains("/contacts (proxy address SMTP:a@c.com)")
        );
    }

    #[test]
    fn only_a_real_holder_is_taken() {
        let h = Holder {
            kind: HolderKind::Group,
            id: "g".into(),
            display_name: "Sales".into(),
            user_principal_name: None,
            mail: None,
            proxy_addresses: vec!["SMTP:Sales@c.com".into()],
        };
        assert!(holds(
            &h,
            &HolderQuery::ProxyAddress(HolderKind::Group, "smtp:sales@c.com".into())
        ));
        assert!(!holds(
            &h,
            &HolderQuery::ProxyAddress(HolderKind::Group, "smtp:other@c.com".into())
        ));
        assert!(!holds(&h, &HolderQuery::UserName("sales@c.com".into())));
    }
}
