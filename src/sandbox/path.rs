//! Request paths as Graph reads them, before routing.
//!
//! - Empty segments are skipped: Kiota SDKs join a base URL ending in `/` with `{+baseurl}/…`
//!   templates, so every Python SDK request starts `/v1.0//`, and Graph answers it.
//! - `graph.` is the alias Graph's CSDL declares for the `microsoft.graph` namespace
//!   (`<Schema Namespace="microsoft.graph" Alias="graph">`), and Kiota-generated SDKs cast with
//!   it (`/directory/deletedItems/graph.user`); OData lets an alias stand wherever the namespace
//!   does.

use axum::http::Uri;
use axum::http::uri::PathAndQuery;

/// The path Graph would route `uri` to, or `None` when it is already in the router's spelling.
pub fn normalize(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let rest = path.trim_start_matches('/');
    let graph = rest.starts_with("v1.0/") || rest.starts_with("beta/");
    let aliased = graph && path.contains("/graph.");
    if !aliased && !path.contains("//") {
        return None;
    }
    let mut out = String::with_capacity(path.len() + 16);
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if graph && is_alias_cast(seg) {
            out.push_str("microsoft.");
        }
        out.push_str(seg);
    }
    if out.is_empty() {
        out.push('/');
    }
    if let Some(q) = uri.query() {
        out.push('?');
        out.push_str(q);
    }
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(out).ok()?);
    Uri::from_parts(parts).ok()
}

/// `graph.user`, `graph.restore`: the alias and one identifier. An object id is a GUID and a
/// user principal name holds an `@`, so neither is mistaken for a cast.
fn is_alias_cast(seg: &str) -> bool {
    seg.strip_prefix("graph.").is_some_and(|name| {
        name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        let uri: Uri = s.parse().unwrap();
        normalize(&uri).map_or_else(|| s.to_string(), |u| u.to_string())
    }

    #[test]
    fn empty_segments_and_alias() {
        assert_eq!(n("/v1.0//users?$top=5"), "/v1.0/users?$top=5");
        assert_eq!(n("/v1.0///me/"), "/v1.0/me");
        assert_eq!(
            n("/v1.0//directory/deletedItems/graph.user/$count"),
            "/v1.0/directory/deletedItems/microsoft.graph.user/$count"
        );
        assert_eq!(
            n("/v1.0/directory/deletedItems/microsoft.graph.user"),
            "/v1.0/directory/deletedItems/microsoft.graph.user"
        );
        // Not casts: a UPN, a dotted name with more segments, paths outside Graph.
        assert_eq!(
            n("/v1.0/users/graph.bot@contoso.sandbox"),
            "/v1.0/users/graph.bot@contoso.sandbox"
        );
        assert_eq!(n("/v1.0/users/graph.a.b"), "/v1.0/users/graph.a.b");
        assert_eq!(n("/sandbox/graph.user"), "/sandbox/graph.user");
        assert_eq!(n("//"), "/");
    }
}
