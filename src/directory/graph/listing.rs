//! The deleted-users listing: pages followed by their next links, under limits on pages, rows
//! and memory, so a server that keeps inventing pages cannot take the machine down.

use std::collections::HashSet;

use futures::FutureExt;
use futures::future::RemoteHandle;
use futures::stream::{self, BoxStream, StreamExt};
use url::Url;

use super::GraphDirectory;
use super::transport::megabytes;
use super::urls::log_path;
use crate::directory::wire;
use crate::directory::{DeletedPage, DeletedUser, DirResult, DirectoryError, ListingOptions};

impl GraphDirectory {
    /// Every page of the deleted users as `options` ask, following next links under the
    /// listing's limits. The next page is fetched and parsed while the caller handles this
    /// one (its link is in this page's body, so never more than one ahead): printing page by
    /// page then overlaps the directory's serving of the next.
    pub(super) fn deleted_pages(
        &self,
        options: ListingOptions,
    ) -> BoxStream<'static, DirResult<DeletedPage>> {
        let this = self.clone();
        let state = Listing {
            next: Some(self.deleted_list_url(options.order)),
            ahead: None,
            fetched: HashSet::new(),
            announced: None,
            rows: 0,
            bytes: 0,
        };
        stream::unfold(state, move |mut state| {
            let this = this.clone();
            async move {
                let fetching = match state.ahead.take() {
                    Some(ahead) => ahead,
                    None => match state.next.take()? {
                        Ok(url) => this.fetch_ahead(url, options.stored),
                        Err(e) => return Some((Err(e), state)),
                    },
                };
                let (url, page, next_link) = match fetching.await {
                    Ok(fetched) => fetched,
                    Err(e) => return Some((Err(e), state)),
                };
                state.fetched.insert(url);
                if let Err(e) = this.admit_page(&mut state, &page) {
                    return Some((Err(e), state));
                }
                match next_link.map(|l| this.check_next_link(&l, &state.fetched)) {
                    Some(Ok(url)) => state.ahead = Some(this.fetch_ahead(url, options.stored)),
                    other => state.next = other,
                }
                Some((Ok(page), state))
            }
        })
        .boxed()
    }

    /// Starts fetching and parsing one page on its own task; dropping what it returns (the
    /// listing given up) cancels it.
    fn fetch_ahead(&self, url: Url, stored: bool) -> RemoteHandle<DirResult<Fetched>> {
        let this = self.clone();
        let (fetch, handle) = async move { this.fetch_page(url, stored).await }.remote_handle();
        tokio::spawn(fetch);
        handle
    }

    /// Fetches and parses one page: its URL, its users, and its next link, not yet checked.
    async fn fetch_page(&self, url: Url, stored: bool) -> DirResult<Fetched> {
        let reply = self
            .get_capped(url.clone(), true, self.inner.max_page_body)
            .await?;
        let parsed = if stored {
            wire::parse_deleted_page_stored(&reply.body)
        } else {
            wire::parse_deleted_page(&reply.body)
        }
        .map_err(|e| e.at("GET", &log_path(&url)))?;
        Ok((url, parsed.page, parsed.next_link))
    }
}

/// A fetched page: its URL, its users, and its next link as the server wrote it.
type Fetched = (Url, DeletedPage, Option<String>);

/// Where a listing stands, for the limits on what it may cost.
struct Listing {
    /// The page to fetch next, when none is being fetched ahead.
    next: Option<DirResult<Url>>,
    /// The next page, being fetched while the caller handles this one.
    ahead: Option<RemoteHandle<DirResult<Fetched>>>,
    fetched: HashSet<Url>,
    /// `@odata.count` from the first page.
    announced: Option<u64>,
    rows: u64,
    /// Memory the rows handed out so far take (an estimate: strings and the struct).
    bytes: usize,
}

/// Memory one deleted user takes in the app: the struct and its strings.
fn row_bytes(u: &DeletedUser) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let stored = u.stored.as_deref().map_or(0, |s| {
        std::mem::size_of::<crate::directory::StoredStrings>()
            + s.display_name.len()
            + s.deleted_upn.len()
            + s.original_upn.len()
            + opt(&s.mail)
            + opt(&s.department)
            + opt(&s.job_title)
            + opt(&s.user_type)
            + s.proxy_addresses
                .iter()
                .map(|p| p.len() + std::mem::size_of::<String>())
                .sum::<usize>()
    });
    stored
        + std::mem::size_of::<DeletedUser>()
        + u.id.len()
        + u.display_name.len()
        + u.deleted_upn.len()
        + u.original_upn.len()
        + opt(&u.mail)
        + opt(&u.department)
        + opt(&u.job_title)
        + opt(&u.user_type)
        + u.proxy_addresses
            .iter()
            .map(|p| p.len() + std::mem::size_of::<String>())
            .sum::<usize>()
}

impl GraphDirectory {
    /// Counts a page against the listing's limits: far more rows than the server announced,
    /// or more memory for rows than allowed, ends the listing with an error.
    fn admit_page(&self, state: &mut Listing, page: &DeletedPage) -> DirResult<()> {
        if state.announced.is_none() {
            state.announced = page.total;
        }
        state.rows += page.users.len() as u64;
        state.bytes += page.users.iter().map(row_bytes).sum::<usize>();
        if let Some(announced) = state.announced
            && state.rows > announced.saturating_mul(2).saturating_add(1000)
        {
            return Err(DirectoryError::malformed(format!(
                "the listing was stopped: the server announced {announced} deleted users but has \
                 sent {} so far",
                state.rows
            )));
        }
        if state.bytes > self.inner.max_listing_bytes {
            return Err(DirectoryError::malformed(format!(
                "the listing was stopped: its {} users take more than {} of memory",
                state.rows,
                megabytes(self.inner.max_listing_bytes)
            )));
        }
        Ok(())
    }
}
