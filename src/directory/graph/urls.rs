//! Graph URLs: built from segments and OData query options, `@odata.nextLink`s checked before
//! they are followed, and the short form of a URL that logs show (`log_path`).

use std::collections::HashSet;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use super::{GraphDirectory, MAX_PAGES, PAGE_SIZE};
use crate::directory::wire::DELETED_SELECT;
use crate::directory::{DirResult, DirectoryError, ListOrder};

impl GraphDirectory {
    /// `{graph}/v1.0/{segments...}?{query}`. Segments are percent-encoded one by one, so an id
    /// or UPN (`#EXT#`, `/`) can never change the path.
    pub(super) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> DirResult<Url> {
        let mut url = self.inner.v1.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|()| DirectoryError::invalid("the Graph URL cannot have a path"))?;
            path.pop_if_empty();
            for s in segments {
                path.push(s);
            }
        }
        if !query.is_empty() {
            let q: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
                .collect();
            url.set_query(Some(&q.join("&")));
        }
        Ok(url)
    }

    /// The first page of the deleted users. `$count=true` (with the `ConsistencyLevel:
    /// eventual` header every page of it is sent with) makes it an advanced query, the only
    /// kind in which Graph sorts them by `deletedDateTime`.
    pub(super) fn deleted_list_url(&self, order: Option<ListOrder>) -> DirResult<Url> {
        let top = PAGE_SIZE.to_string();
        let mut query = vec![("$top", top.as_str()), ("$count", "true")];
        match order {
            Some(ListOrder::OldestDeletedFirst) => query.push(("$orderby", "deletedDateTime asc")),
            Some(ListOrder::NewestDeletedFirst) => {
                query.push(("$orderby", "deletedDateTime desc"));
            }
            None => {}
        }
        query.push(("$select", DELETED_SELECT));
        self.url(
            &["directory", "deletedItems", "microsoft.graph.user"],
            &query,
        )
    }

    /// A `@odata.nextLink` is followed as given, but only to the configured Graph origin: a
    /// reply must not be able to send our bearer token to another host. A link back to a page
    /// already fetched (a loop), or past `MAX_PAGES`, ends the listing with an error instead of
    /// running forever.
    pub(super) fn check_next_link(&self, link: &str, fetched: &HashSet<Url>) -> DirResult<Url> {
        let url = Url::parse(link).map_err(|e| {
            DirectoryError::malformed(format!(
                "the server's @odata.nextLink {:?} is not a URL: {e}",
                undelete_common::sanitize::clean(link)
            ))
        })?;
        if url.origin() != self.inner.graph_root.origin() {
            return Err(DirectoryError::malformed(format!(
                "refusing to follow @odata.nextLink to {}: it is not the configured Graph URL {}",
                url.origin().ascii_serialization(),
                self.inner.graph_root.origin().ascii_serialization()
            )));
        }
        if fetched.contains(&url) {
            return Err(DirectoryError::malformed(
                "the server's @odata.nextLink points back to a page already fetched",
            ));
        }
        if fetched.len() >= MAX_PAGES {
            return Err(DirectoryError::malformed(format!(
                "the listing did not end after {MAX_PAGES} pages"
            )));
        }
        Ok(url)
    }
}

/// Path and query for the request log, with long `$skiptoken` values shortened: they are
/// opaque, long, and say nothing to a reader.
pub fn log_path(url: &Url) -> String {
    let mut out = url.path().to_string();
    if let Some(q) = url.query() {
        out.push('?');
        let parts: Vec<String> = q
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v))
                    if (k.eq_ignore_ascii_case("$skiptoken")
                        || k.eq_ignore_ascii_case("%24skiptoken"))
                        && v.chars().count() > 16 =>
                {
                    let head: String = v.chars().take(8).collect();
                    format!("{k}={head}…")
                }
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&parts.join("&"));
    }
    out
}

/// What an OData query value keeps unencoded: the characters that make `$filter` readable in
/// logs and that every server decodes the same way. Everything else is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b',')
    .remove(b':')
    .remove(b'@')
    .remove(b'/')
    .remove(b'*')
    .remove(b'$');

/// Percent-encodes an OData query value (UTF-8, upper-case hex).
fn encode_query_value(v: &str) -> String {
    utf8_percent_encode(v, QUERY_VALUE).to_string()
}

/// An OData string literal: quotes doubled, so a UPN cannot end the literal early.
pub(super) fn odata_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use url::Url;

    use super::super::test_support::dir;
    use super::*;
    use crate::directory::ErrorKind;

    #[test]
    fn urls_encode_each_segment() {
        let d = dir("https://graph.microsoft.com").unwrap();
        let u = d
            .url(&["users", "zoe_fabrikam.com#EXT#@contoso.com"], &[])
            .unwrap();
        assert_eq!(
            u.as_str(),
            "https://graph.microsoft.com/v1.0/users/zoe_fabrikam.com%23EXT%23@contoso.com"
        );
        let u = d.url(&["users", "../me"], &[]).unwrap();
        assert_eq!(u.path(), "/v1.0/users/..%2Fme");
        let filter = format!("userPrincipalName eq {}", odata_string("o'brien+x@c.com"));
        let u = d.url(&["users"], &[("$filter", &filter)]).unwrap();
        assert_eq!(
            u.query(),
            Some("$filter=userPrincipalName%20eq%20%27o%27%27brien%2Bx@c.com%27")
        );
        let list = d.deleted_list_url(None).unwrap();
        assert_eq!(
            list.path(),
            "/v1.0/directory/deletedItems/microsoft.graph.user"
        );
        assert!(
            list.query()
                .unwrap()
                .starts_with("$top=999&$count=true&$select=id,")
        );
        for (order, words) in [
            (ListOrder::OldestDeletedFirst, "deletedDateTime%20asc"),
            (ListOrder::NewestDeletedFirst, "deletedDateTime%20desc"),
        ] {
            let sorted = d.deleted_list_url(Some(order)).unwrap();
            assert!(
                sorted.query().unwrap().starts_with(&format!(
                    "$top=999&$count=true&$orderby={words}&$select=id,"
                )),
                "{sorted}"
            );
        }
    }

    #[test]
    fn graph_roots_with_a_path_keep_it() {
        let d = dir("https://proxy.example/graph").unwrap();
        assert_eq!(
            d.url(&["me"], &[]).unwrap().as_str(),
            "https://proxy.example/graph/v1.0/me"
        );
    }

    #[test]
    fn next_links_must_stay_on_the_graph_origin() {
        let d = dir("http://127.0.0.1:8080/").unwrap();
        let fetched: HashSet<Url> = [Url::parse("http://127.0.0.1:8080/v1.0/x?a=1").unwrap()]
            .into_iter()
            .collect();
        assert!(
            d.check_next_link("http://127.0.0.1:8080/v1.0/x?$skiptoken=2", &fetched)
                .is_ok()
        );
        for bad in [
            "http://127.0.0.1:8081/v1.0/x",
            "https://127.0.0.1:8080/v1.0/x",
            "http://localhost:8080/v1.0/x",
            "https://evil.example/v1.0/x",
            "/v1.0/relative",
            "http://127.0.0.1:8080/v1.0/x?a=1",
        ] {
            let err = d.check_next_link(bad, &fetched).err().map(|e| e.kind);
            assert_eq!(err, Some(ErrorKind::Malformed), "{bad}");
        }
    }

    #[test]
    fn next_links_may_not_loop_or_run_on_forever() {
        let d = dir("http://127.0.0.1:8080/").unwrap();
        let page = |n: usize| Url::parse(&format!("http://127.0.0.1:8080/v1.0/x?p={n}")).unwrap();
        // Page 1 links to page 2, which links back to page 1.
        let fetched: HashSet<Url> = [page(1), page(2)].into_iter().collect();
        let err = d.check_next_link(page(1).as_str(), &fetched).unwrap_err();
        assert!(err.message.contains("already fetched"), "{}", err.message);
        let fetched: HashSet<Url> = (0..MAX_PAGES).map(page).collect();
        let err = d
            .check_next_link(page(MAX_PAGES).as_str(), &fetched)
            .unwrap_err();
        assert!(err.message.contains("did not end"), "{}", err.message);
        let fetched: HashSet<Url> = (1..MAX_PAGES).map(page).collect();
        assert!(
            d.check_next_link(page(MAX_PAGES).as_str(), &fetched)
                .is_ok()
        );
    }

    #[test]
    fn log_paths_shorten_skiptokens() {
        let u = Url::parse(
            "http://h/v1.0/directory/deletedItems/microsoft.graph.user?$top=999&$skiptoken=abcdefghijklmnopqrstuvwxyz0123",
        )
        .unwrap();
        assert_eq!(
            log_path(&u),
            "/v1.0/directory/deletedItems/microsoft.graph.user?$top=999&$skiptoken=abcdefgh…"
        );
        let short = Url::parse("http://h/v1.0/x?%24skiptoken=abc").unwrap();
        assert_eq!(log_path(&short), "/v1.0/x?%24skiptoken=abc");
    }

    #[test]
    fn query_values_keep_the_odata_punctuation_and_encode_the_rest() {
        let kept = "-_.~'(),:@/*$";
        for b in 0u8..0x80 {
            let c = char::from(b);
            let encoded = encode_query_value(&c.to_string());
            if c.is_ascii_alphanumeric() || kept.contains(c) {
                assert_eq!(encoded, c.to_string());
            } else {
                assert_eq!(encoded, format!("%{b:02X}"));
            }
        }
        assert_eq!(encode_query_value("é ö+"), "%C3%A9%20%C3%B6%2B");
    }
}
