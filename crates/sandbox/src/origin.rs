//! The public root of the sandbox: the URL every absolute URL it writes starts with
//! (`@odata.nextLink`, `@odata.context`, device-code `verification_uri`, discovery documents).
//!
//! Graph writes its links for the host the client called; a client behind a TLS front or a
//! hosts mapping (graph.microsoft.com → 127.0.0.1) must get links it can follow, and
//! `undelete` itself refuses a nextLink to another origin.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use url::Url;

use super::path::Version;
use super::state::{AppState, Shared};

/// How the request arrived; the accept loop puts it in every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conn {
    pub tls: bool,
}

/// The root URL (ending in `/`) for a request: `--public-url` when set; else the request's
/// scheme and `Host` header; else the address the sandbox listens on. A `Host` that is not a
/// plain `host[:port]` is not used: it would end up inside URLs a client follows.
pub fn public_root(state: &Shared, headers: &HeaderMap, tls: bool) -> Url {
    if let Some(url) = &state.public_url {
        return url.clone();
    }
    let scheme = if tls { "https" } else { "http" };
    headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|host| root_for_host(scheme, host))
        .unwrap_or_else(|| state.base_url.clone())
}

/// The login root (ending in `/`) for a request: `--public-login-url` when set; else the same
/// root as Graph's (`public_root`). Discovery documents and device codes name it: behind
/// `--public-url https://graph.microsoft.com` a client must still be sent to the login host.
pub fn login_root(state: &Shared, headers: &HeaderMap, tls: bool) -> Url {
    match &state.public_login_url {
        Some(url) => url.clone(),
        None => public_root(state, headers, tls),
    }
}

/// `scheme://host[:port]/` when `host` is exactly an authority without user info.
fn root_for_host(scheme: &str, host: &str) -> Option<Url> {
    let authority: axum::http::uri::Authority = host.parse().ok()?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return None;
    }
    let url = Url::parse(&format!("{scheme}://{authority}/")).ok()?;
    // The URL parser normalises (case, default port); anything else it changed means the
    // header was not a plain authority.
    (url.path() == "/" && url.query().is_none() && url.host_str().is_some()).then_some(url)
}

/// Checks a `--public-url`: an absolute http(s) URL without query or fragment; returns it
/// ending in `/`, so `v1.0/` and `{tenant}/oauth2/` join under it.
pub fn parse_public_url(raw: &str) -> Result<Url, String> {
    parse_root("--public-url", raw)
}

/// Checks a `--public-login-url` as `parse_public_url` checks a `--public-url`.
pub fn parse_public_login_url(raw: &str) -> Result<Url, String> {
    parse_root("--public-login-url", raw)
}

fn parse_root(option: &str, raw: &str) -> Result<Url, String> {
    let mut url = Url::parse(raw).map_err(|e| format!("{option} {raw:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{option} {raw:?} must be an http:// or https:// URL with a host"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "{option} {raw:?} must not carry a query, a fragment or user info"
        ));
    }
    let path = url.path().trim_end_matches('/').to_string();
    for version in ["v1.0", "beta"] {
        if path.ends_with(&format!("/{version}")) {
            return Err(format!(
                "{option} {raw:?} must be the root the sandbox is reached at, without /{version}"
            ));
        }
    }
    url.set_path(&format!("{path}/"));
    Ok(url)
}

/// The request's public root, for handlers: `Root(root, version)` in their arguments.
#[derive(Debug, Clone)]
pub struct Root(pub Url, pub Version);

impl Root {
    /// `{root}v1.0/` (`{root}beta/` for a beta request): `https://graph.microsoft.com/v1.0/`'s
    /// counterpart here, where links and `@odata.context` start.
    pub fn graph(&self) -> String {
        format!("{}{}/", self.0, self.1.segment())
    }
}

impl FromRequestParts<AppState> for Root {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A request that did not come through the accept loop (a test's `oneshot`) is taken to
        // have arrived the way the sandbox listens.
        let tls = parts
            .extensions
            .get::<Conn>()
            .map_or(state.base_url.scheme() == "https", |c| c.tls);
        let version = parts
            .extensions
            .get::<Version>()
            .copied()
            .unwrap_or_default();
        Ok(Root(public_root(state, &parts.headers, tls), version))
    }
}

/// The request's login root, for the login handlers: `LoginRoot(root)` in their arguments.
#[derive(Debug, Clone)]
pub struct LoginRoot(pub Url);

impl LoginRoot {
    /// Without the trailing slash, as login answers join paths to it.
    pub fn trimmed(&self) -> String {
        self.0.as_str().trim_end_matches('/').to_string()
    }
}

impl FromRequestParts<AppState> for LoginRoot {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let tls = parts
            .extensions
            .get::<Conn>()
            .map_or(state.base_url.scheme() == "https", |c| c.tls);
        Ok(LoginRoot(login_root(state, &parts.headers, tls)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_headers() {
        let ok = |h: &str| root_for_host("https", h).map(|u| u.to_string());
        assert_eq!(
            ok("graph.microsoft.com").as_deref(),
            Some("https://graph.microsoft.com/")
        );
        assert_eq!(
            ok("127.0.0.1:8443").as_deref(),
            Some("https://127.0.0.1:8443/")
        );
        assert_eq!(ok("[::1]:8443").as_deref(), Some("https://[::1]:8443/"));
        assert_eq!(
            ok("Graph.Microsoft.com:443").as_deref(),
            Some("https://graph.microsoft.com/")
        );
        for bad in [
            "",
            "evil.com/path",
            "user@evil.com",
            "a b",
            "evil.com?x",
            "evil.com#f",
            "/x",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn public_urls() {
        assert_eq!(
            parse_public_url("https://graph.microsoft.com")
                .unwrap()
                .as_str(),
            "https://graph.microsoft.com/"
        );
        assert_eq!(
            parse_public_url("https://proxy.example/sandbox")
                .unwrap()
                .as_str(),
            "https://proxy.example/sandbox/"
        );
        for bad in [
            "graph.microsoft.com",
            "ftp://x",
            "https://x/?a=1",
            "https://x/#f",
            "https://u@x/",
            "https://graph.microsoft.com/v1.0",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }
}
