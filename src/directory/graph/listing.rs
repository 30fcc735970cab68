//! The deleted-users listing: pages followed by their next links, under limits on pages, rows
//! and memory, so a server that keeps inventing pages cannot take the machine down.

use std::collections::HashSet;

use futures::FutureExt;
use futures::future::RemoteHandle;
use futures::stream::{self, BoxStream, StreamExt};
use tokio::sync::mpsc;
use url::Url;

use super::GraphDirectory;
use super::transport::megabytes;
use super::urls::log_path;
use crate::directory::wire;
use crate::directory::{DeletedPage, DeletedUser, DirResult, DirectoryError, ListingOptions};

impl GraphDirectory {
    /// Every page of the deleted users as `options` ask, following next links under the
    /// listing's limits. Three stages run side by side, a page or two apart: one task fetches
    /// the pages in turn (one request at a time, the next sent as soon as this one's link is
    /// read), one parses them, and the caller handles them; so the directory serves a page
    /// while the one before is parsed and the one before that printed. Channels of one page
    /// bound what waits between them; dropping the stream stops both tasks.
    pub(super) fn deleted_pages(
        &self,
        options: ListingOptions,
    ) -> BoxStream<'static, DirResult<DeletedPage>> {
        let (bodies_tx, bodies) = mpsc::channel(1);
        let (pages_tx, pages) = mpsc::channel(1);
        let first = self.deleted_list_url(options.order);
        let (fetching, fetcher) = self.clone().fetch_bodies(first, bodies_tx).remote_handle();
        let (parsing, parser) = parse_bodies(bodies, pages_tx, options.stored).remote_handle();
        tokio::spawn(fetching);
        tokio::spawn(parsing);
        let this = self.clone();
        let state = Listing {
            pages,
            _stages: (fetcher, parser),
            ended: false,
            announced: None,
            rows: 0,
            bytes: 0,
        };
        stream::unfold(state, move |mut state| {
            let this = this.clone();
            async move {
                if state.ended {
                    return None;
                }
                let page = state
                    .pages
                    .recv()
                    .await?
                    .and_then(|page| this.admit_page(&mut state, &page).map(|()| page));
                state.ended = page.is_err();
                Some((page, state))
            }
        })
        .boxed()
    }

    /// Fetches the pages in turn, each sent on as soon as its next link has been read from
    /// it: the next request goes out while this page is still being parsed. An error is sent
    /// on and ends the fetching; so does a caller that went away.
    async fn fetch_bodies(self, first: DirResult<Url>, bodies: mpsc::Sender<DirResult<Body>>) {
        let mut fetched = HashSet::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            let body = match url {
                Ok(url) => self.fetch_body(url, &mut fetched, &mut next).await,
                Err(e) => Err(e),
            };
            let failed = body.is_err();
            if bodies.send(body).await.is_err() || failed {
                return;
            }
        }
    }

    /// One page's body; its next link, checked, goes to `next`.
    async fn fetch_body(
        &self,
        url: Url,
        fetched: &mut HashSet<Url>,
        next: &mut Option<DirResult<Url>>,
    ) -> DirResult<Body> {
        let reply = self
            .get_capped(url.clone(), true, self.inner.max_page_body)
            .await?;
        let link = wire::next_link_of(&reply.body).map_err(|e| e.at("GET", &log_path(&url)))?;
        fetched.insert(url.clone());
        *next = link.clone().map(|l| self.check_next_link(&l, fetched));
        Ok((url, reply.body, link))
    }
}

/// A page as fetched: its URL, its body, and the next link found in it.
type Body = (Url, Vec<u8>, Option<String>);

/// Parses the pages the fetcher sends, in order, and hands them on.
async fn parse_bodies(
    mut bodies: mpsc::Receiver<DirResult<Body>>,
    pages: mpsc::Sender<DirResult<DeletedPage>>,
    stored: bool,
) {
    while let Some(body) = bodies.recv().await {
        let page = body.and_then(|(url, body, link)| {
            let parsed = if stored {
                wire::parse_deleted_page_stored(&body)
            } else {
                wire::parse_deleted_page(&body)
            };
            let parsed = parsed.map_err(|e| e.at("GET", &log_path(&url)))?;
            // The link already followed must be the page's own.
            if parsed.next_link != link {
                return Err(DirectoryError::malformed(
                    "the reply to the deleted-users listing names its @odata.nextLink twice",
                )
                .at("GET", &log_path(&url)));
            }
            Ok(parsed.page)
        });
        let failed = page.is_err();
        if pages.send(page).await.is_err() || failed {
            return;
        }
    }
}

/// Where a listing stands, for the limits on what it may cost.
struct Listing {
    pages: mpsc::Receiver<DirResult<DeletedPage>>,
    /// The fetching and parsing tasks: dropped with the listing, they stop.
    _stages: (RemoteHandle<()>, RemoteHandle<()>),
    /// An error was handed out: nothing follows it.
    ended: bool,
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
