//! The reads of the conflict sweep and the deletion log: active users, groups and org contacts
//! (full listings and delta rounds) and the `Delete user` audit records. Each is a chain of
//! pages followed by their next links under the same limits as the deleted-users listing (the
//! Graph origin only, no loops, a page cap and a memory cap), so a hostile server cannot make
//! a sweep run forever or take the machine's memory.

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use url::Url;

use super::transport::megabytes;
use super::urls::{log_path, odata_string};
use super::{GraphDirectory, PAGE_SIZE};
use crate::directory::audits::{DELETE_USER, parse_audit_page};
use crate::directory::holders::{parse_delta_page, parse_holder_page};
use crate::directory::{DeletionRecord, DeltaPage, DirResult, DirectoryError, Holder, HolderKind};

/// What one page parser hands back: the page's items, its next link, its delta link.
type Parsed<T> = (T, Option<String>, Option<String>);

struct Chain {
    next: Option<DirResult<Url>>,
    fetched: HashSet<Url>,
    bytes: usize,
}

impl GraphDirectory {
    /// Follows a chain of pages from `first`; each item is a page's content and, on the last
    /// page of a delta round, its delta link (checked like a next link).
    pub(super) fn follow<T, F>(
        &self,
        first: DirResult<Url>,
        what: &'static str,
        parse: F,
    ) -> BoxStream<'static, DirResult<(T, Option<Url>)>>
    where
        T: Send + 'static,
        F: Fn(&[u8]) -> DirResult<Parsed<T>> + Send + Sync + Copy + 'static,
    {
        let this = self.clone();
        let state = Chain {
            next: Some(first),
            fetched: HashSet::new(),
            bytes: 0,
        };
        stream::unfold(state, move |mut state| {
            let this = this.clone();
            async move {
                let url = match state.next.take()? {
                    Ok(url) => url,
                    Err(e) => return Some((Err(e), state)),
                };
                let step = this.fetch_chain_page(url, what, parse, &mut state).await;
                Some((step, state))
            }
        })
        .boxed()
    }

    async fn fetch_chain_page<T, F>(
        &self,
        url: Url,
        what: &str,
        parse: F,
        state: &mut Chain,
    ) -> DirResult<(T, Option<Url>)>
    where
        F: Fn(&[u8]) -> DirResult<Parsed<T>>,
    {
        let reply = self
            .get_capped(url.clone(), false, self.inner.max_page_body)
            .await?;
        // The parsed rows take less than their JSON: counting bodies bounds memory from above.
        state.bytes = state.bytes.saturating_add(reply.body.len());
        if state.bytes > self.inner.max_listing_bytes {
            return Err(DirectoryError::malformed(format!(
                "the {what} listing was stopped: its pages take more than {}",
                megabytes(self.inner.max_listing_bytes)
            )));
        }
        let (items, next, delta) = parse(&reply.body).map_err(|e| e.at("GET", &log_path(&url)))?;
        state.fetched.insert(url);
        state.next = next.map(|l| self.check_next_link(&l, &state.fetched));
        let delta = delta
            .map(|l| self.check_next_link(&l, &HashSet::new()))
            .transpose()?;
        Ok((items, delta))
    }

    pub(super) fn holder_pages(
        &self,
        kind: HolderKind,
    ) -> BoxStream<'static, DirResult<Vec<Holder>>> {
        let top = PAGE_SIZE.to_string();
        let first = self.url(
            &[kind.collection()],
            &[("$select", kind.select()), ("$top", &top)],
        );
        let parse = match kind {
            HolderKind::User => parse_users,
            HolderKind::Group => parse_groups,
            HolderKind::Contact => parse_contacts,
        };
        self.follow(first, kind.plural(), parse)
            .map(|r| r.map(|(items, _)| items))
            .boxed()
    }

    pub(super) fn holder_delta_pages(
        &self,
        kind: HolderKind,
        from: Option<String>,
    ) -> BoxStream<'static, DirResult<DeltaPage>> {
        let first = match from {
            // A link from an earlier round: to our Graph only, like any next link.
            Some(link) => self.check_next_link(&link, &HashSet::new()),
            None => self.url(
                &[kind.collection(), "delta"],
                &[("$select", kind.select()), ("$deltatoken", "latest")],
            ),
        };
        let parse = match kind {
            HolderKind::User => parse_user_delta,
            HolderKind::Group => parse_group_delta,
            HolderKind::Contact => parse_contact_delta,
        };
        self.follow(first, kind.plural(), parse)
            .map(|r| {
                r.map(|(changes, delta)| DeltaPage {
                    changes,
                    delta_link: delta.map(String::from),
                })
            })
            .boxed()
    }

    pub(super) fn audit_pages(
        &self,
        since: DateTime<Utc>,
    ) -> BoxStream<'static, DirResult<Vec<DeletionRecord>>> {
        let top = PAGE_SIZE.to_string();
        let filter = audit_filter(since);
        let first = self.url(
            &["auditLogs", "directoryAudits"],
            &[("$filter", &filter), ("$top", &top)],
        );
        self.follow(first, "audit log", |body| {
            let p = parse_audit_page(body)?;
            Ok((p.records, p.next_link, None))
        })
        .map(|r| r.map(|(records, _)| records))
        .boxed()
    }
}

/// `activityDisplayName eq 'Delete user' and activityDateTime ge <since>` (a DateTimeOffset
/// literal is written bare in OData).
pub(super) fn audit_filter(since: DateTime<Utc>) -> String {
    format!(
        "activityDisplayName eq {} and activityDateTime ge {}",
        odata_string(DELETE_USER),
        since.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

// Plain functions (not closures over `kind`), so each chain's parser is `Copy`.
fn holders_of(body: &[u8], kind: HolderKind) -> DirResult<Parsed<Vec<Holder>>> {
    let p = parse_holder_page(body, kind)?;
    Ok((p.items, p.next_link, p.delta_link))
}
fn parse_users(body: &[u8]) -> DirResult<Parsed<Vec<Holder>>> {
    holders_of(body, HolderKind::User)
}
fn parse_groups(body: &[u8]) -> DirResult<Parsed<Vec<Holder>>> {
    holders_of(body, HolderKind::Group)
}
fn parse_contacts(body: &[u8]) -> DirResult<Parsed<Vec<Holder>>> {
    holders_of(body, HolderKind::Contact)
}

type DeltaItems = Vec<crate::directory::HolderChange>;
fn delta_of(body: &[u8], kind: HolderKind) -> DirResult<Parsed<DeltaItems>> {
    let p = parse_delta_page(body, kind)?;
    Ok((p.items, p.next_link, p.delta_link))
}
fn parse_user_delta(body: &[u8]) -> DirResult<Parsed<DeltaItems>> {
    delta_of(body, HolderKind::User)
}
fn parse_group_delta(body: &[u8]) -> DirResult<Parsed<DeltaItems>> {
    delta_of(body, HolderKind::Group)
}
fn parse_contact_delta(body: &[u8]) -> DirResult<Parsed<DeltaItems>> {
    delta_of(body, HolderKind::Contact)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::test_support::dir;
    use super::*;

    #[test]
    fn the_audit_filter_is_graphs() {
        let since = Utc.with_ymd_and_hms(2026, 10, 31, 19, 0, 0).unwrap();
        assert_eq!(
            audit_filter(since),
            "activityDisplayName eq 'Delete user' and activityDateTime ge 2026-10-31T19:00:00Z"
        );
    }

    #[tokio::test]
    async fn a_delta_link_to_another_host_is_refused_before_any_request() {
        use crate::directory::ErrorKind;
        let d = dir("https://graph.microsoft.com").unwrap();
        let mut pages = d.holder_delta_pages(
            HolderKind::User,
            Some("https://evil.example/v1.0/users/delta?$deltatoken=x".into()),
        );
        let first = pages.next().await.unwrap();
        assert_eq!(first.err().map(|e| e.kind), Some(ErrorKind::Malformed));
        assert!(pages.next().await.is_none());
    }
}
