//! Request paths as Graph reads them, before routing.
//!
//! - Empty segments are skipped: Kiota SDKs join a base URL ending in `/` with `{+baseurl}/…`
//!   templates, so every Python SDK request starts `/v1.0//`, and Graph answers it.
//! - `graph.` is the alias Graph's CSDL declares for the `microsoft.graph` namespace
//!   (`<Schema Namespace="microsoft.graph" Alias="graph">`), and Kiota-generated SDKs cast with
//!   it (`/directory/deletedItems/graph.user`); OData lets an alias stand wherever the namespace
//!   does.
//! - A function without parameters may be called with its parentheses (`/users/delta()`,
//!   which every Kiota SDK puts in its paths) or without (`/users/delta`); Graph answers both.
//! - `/beta` serves what `/v1.0` does here (the beta-only actions keep their beta path); the
//!   request is marked `Version::Beta` so its links and `@odata.context` stay on beta.

use axum::http::Uri;
use axum::http::uri::PathAndQuery;

/// Which Graph version a request addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    #[default]
    V1,
    Beta,
}

impl Version {
    /// The version's path segment, as in `https://graph.microsoft.com/beta/`.
    pub fn segment(self) -> &'static str {
        match self {
            Self::V1 => "v1.0",
            Self::Beta => "beta",
        }
    }
}

/// Paths only beta has (after `/beta/`, any case): they keep their beta path in the router.
const BETA_ONLY: &[&str] = &["users/validatePassword"];

/// The version a Graph path addresses (`V1` for paths outside Graph too).
pub fn version_of(path: &str) -> Version {
    if path.trim_start_matches('/').starts_with("beta/") {
        Version::Beta
    } else {
        Version::V1
    }
}

/// The path Graph would route `uri` to, or `None` when it is already in the router's spelling.
pub fn normalize(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let rest = path.trim_start_matches('/');
    let graph = rest.starts_with("v1.0/") || rest.starts_with("beta/");
    let beta = rest.strip_prefix("beta/").is_some_and(|r| {
        !BETA_ONLY
            .iter()
            .any(|b| r.trim_matches('/').eq_ignore_ascii_case(b))
    });
    let aliased = graph && path.contains("/graph.");
    let called = graph && path.contains("()");
    if !(aliased || beta || called || path.contains("//")) {
        return None;
    }
    let mut out = String::with_capacity(path.len() + 16);
    for (i, seg) in path.split('/').filter(|s| !s.is_empty()).enumerate() {
        out.push('/');
        if i == 0 && beta {
            out.push_str("v1.0");
            continue;
        }
        if graph && is_alias_cast(seg) {
            out.push_str("microsoft.");
        }
        match seg.strip_suffix("()") {
            Some(function) if graph && is_identifier(function) => out.push_str(function),
            _ => out.push_str(seg),
        }
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

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
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

    #[test]
    fn function_calls_and_beta() {
        assert_eq!(n("/v1.0/users/delta()"), "/v1.0/users/delta");
        assert_eq!(
            n("/v1.0/groups/delta()?$deltatoken=x"),
            "/v1.0/groups/delta?$deltatoken=x"
        );
        assert_eq!(n("/v1.0/users/delta"), "/v1.0/users/delta");
        // Not a call without parameters: left alone, for the router to refuse.
        assert_eq!(n("/v1.0/users/x(y)"), "/v1.0/users/x(y)");
        assert_eq!(n("/beta/users?$top=1"), "/v1.0/users?$top=1");
        assert_eq!(
            n("/beta//directory/deletedItems/graph.user"),
            "/v1.0/directory/deletedItems/microsoft.graph.user"
        );
        assert_eq!(n("/beta/users/delta()"), "/v1.0/users/delta");
        assert_eq!(
            n("/beta/users/validatePassword"),
            "/beta/users/validatePassword"
        );
        assert_eq!(version_of("/beta/users"), Version::Beta);
        assert_eq!(version_of("/v1.0/users"), Version::V1);
        assert_eq!(version_of("/contoso/oauth2/v2.0/token"), Version::V1);
    }
}
