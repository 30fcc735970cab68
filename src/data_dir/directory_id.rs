//! Which directory a session is on, as a name for its books: the built-in sandbox, or a Graph
//! root and the tenant's id there.

use aws_lc_rs::digest::{SHA256, digest};

/// The directory a session works on. Everything written for one directory (journal, audit
/// log, lock) is kept apart from every other's, in the folder `slug()` names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DirectoryId {
    /// The sandbox undelete starts in-process on this data dir's own store, on a port that
    /// changes every run: one directory, whatever the port.
    BuiltInSandbox,
    /// Another tenant of the built-in sandbox when it serves several (`--all-tenants` with
    /// nothing configured), by its domain (`fabrikam.sandbox`): each has a store of its own in
    /// the data dir, whatever the port. Its first tenant, Contoso, is `BuiltInSandbox`: the
    /// same store, so the same directory, as the one-tenant sandbox.
    SandboxTenant { domain: String },
    /// A directory reached over Graph (a tenant, or a `sandbox serve`): the root requests go
    /// to and the tenant's id there. The id is the one in the token (`tid`), not the name the
    /// admin typed, so `contoso.onmicrosoft.com` and its GUID are one directory.
    Graph { root: String, tenant: String },
}

impl DirectoryId {
    /// A Graph directory, its root normalized to `scheme://host[:port][/path]` (lower-case
    /// host, no default port, no trailing slash) and the tenant id lower-cased.
    pub fn graph(root: &url::Url, tenant: &str) -> Self {
        let mut root_text = format!("{}://", root.scheme());
        if let Some(host) = root.host_str() {
            root_text.push_str(&host.to_ascii_lowercase());
        }
        if let Some(port) = root.port() {
            root_text.push_str(&format!(":{port}"));
        }
        root_text.push_str(root.path().trim_end_matches('/'));
        Self::Graph {
            root: root_text,
            tenant: tenant.trim().to_ascii_lowercase(),
        }
    }

    /// The whole identity in one string: what the slug's hash is of, and what
    /// `directory.json` records so a folder is never taken for another directory's.
    pub fn key(&self) -> String {
        match self {
            Self::BuiltInSandbox => "builtin-sandbox".to_string(),
            Self::SandboxTenant { domain } => format!("builtin-sandbox|{domain}"),
            Self::Graph { root, tenant } => format!("{root}|{tenant}"),
        }
    }

    /// The folder name of its books: readable, safe on every file system, and distinct for
    /// distinct directories (the readable part is shortened; a hash of the whole key follows).
    pub fn slug(&self) -> String {
        match self {
            Self::BuiltInSandbox => "builtin-sandbox".to_string(),
            Self::SandboxTenant { domain } => {
                let hash = hex::encode(&digest(&SHA256, self.key().as_bytes()).as_ref()[..6]);
                format!("builtin-sandbox-{}-{hash}", readable(domain, 40))
            }
            Self::Graph { root, tenant } => {
                let host = root.split_once("://").map_or(root.as_str(), |(_, h)| h);
                let host = host.split('/').next().unwrap_or(host);
                let hash = hex::encode(&digest(&SHA256, self.key().as_bytes()).as_ref()[..6]);
                format!("{}-{}-{hash}", readable(host, 40), readable(tenant, 8))
            }
        }
    }

    /// In words, for messages and `directory.json`: "the built-in sandbox", or
    /// "tenant 0b5e… at https://graph.microsoft.com".
    pub fn describe(&self) -> String {
        match self {
            Self::BuiltInSandbox => "the built-in sandbox".to_string(),
            Self::SandboxTenant { domain } => format!("the built-in sandbox's tenant {domain}"),
            Self::Graph { root, tenant } => format!("tenant {tenant} at {root}"),
        }
    }

    /// A tenant of the built-in sandbox serving several, by its domain (the first one,
    /// Contoso, is the one-tenant sandbox's directory).
    pub fn sandbox_tenant(domain: &str, first: bool) -> Self {
        if first {
            Self::BuiltInSandbox
        } else {
            Self::SandboxTenant {
                domain: domain.trim().to_ascii_lowercase(),
            }
        }
    }

    pub fn is_builtin_sandbox(&self) -> bool {
        matches!(self, Self::BuiltInSandbox)
    }
}

/// At most `max` characters of `s` as letters, digits, single dots between them and dashes
/// for anything else: never `..`, never a separator, never a leading dot.
fn readable(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let last = out.chars().last();
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c == '.' && last.is_some_and(|l| l.is_ascii_alphanumeric()) {
            out.push('.');
        } else if last.is_some_and(|l| l != '-') {
            out.push('-');
        }
        if out.len() >= max {
            break;
        }
    }
    out.trim_matches(['-', '.']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn a_root_is_normalized_and_the_tenant_id_decides() {
        let tid = "0B5E1C2D-1111-2222-3333-444455556666";
        let a = DirectoryId::graph(&url("https://Graph.Microsoft.com/"), tid);
        let b = DirectoryId::graph(&url("https://graph.microsoft.com:443"), &tid.to_lowercase());
        assert_eq!(
            a, b,
            "case, trailing slash and the default port do not matter"
        );
        assert_eq!(
            a.key(),
            "https://graph.microsoft.com|0b5e1c2d-1111-2222-3333-444455556666"
        );
        let other_tenant = DirectoryId::graph(
            &url("https://graph.microsoft.com"),
            "11111111-0000-0000-0000-0",
        );
        let other_cloud = DirectoryId::graph(&url("https://graph.microsoft.us"), tid);
        let serve_a = DirectoryId::graph(&url("http://127.0.0.1:8080"), tid);
        let serve_b = DirectoryId::graph(&url("http://127.0.0.1:8081"), tid);
        let all = [&a, &other_tenant, &other_cloud, &serve_a, &serve_b];
        let slugs: std::collections::HashSet<String> = all.iter().map(|d| d.slug()).collect();
        assert_eq!(slugs.len(), all.len(), "{slugs:?}");
        assert_ne!(
            DirectoryId::BuiltInSandbox.slug(),
            serve_a.slug(),
            "a sandbox served on a port is a directory of its own"
        );
    }

    #[test]
    fn the_sandbox_tenants_keep_apart_and_the_first_stays_where_it_always_was() {
        let first = DirectoryId::sandbox_tenant("contoso.sandbox", true);
        assert_eq!(
            first,
            DirectoryId::BuiltInSandbox,
            "the one-tenant books stay"
        );
        let fabrikam = DirectoryId::sandbox_tenant("Fabrikam.sandbox", false);
        let northwind = DirectoryId::sandbox_tenant("northwind.sandbox", false);
        assert_eq!(fabrikam.key(), "builtin-sandbox|fabrikam.sandbox");
        assert!(
            fabrikam
                .slug()
                .starts_with("builtin-sandbox-fabrikam.sandbox-"),
            "{}",
            fabrikam.slug()
        );
        let slugs: std::collections::HashSet<String> = [&first, &fabrikam, &northwind]
            .iter()
            .map(|d| d.slug())
            .collect();
        assert_eq!(slugs.len(), 3);
        assert!(!fabrikam.is_builtin_sandbox());
    }

    #[test]
    fn a_slug_is_readable_and_safe_whatever_the_root_holds() {
        let d = DirectoryId::graph(
            &url("https://proxy.example.com:8443/graph/../v/"),
            "contoso.onmicrosoft.com/../../etc",
        );
        let slug = d.slug();
        assert!(slug.starts_with("proxy.example.com-8443-"), "{slug}");
        assert!(
            slug.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
            "{slug}"
        );
        assert!(!slug.contains(".."), "{slug}");
        assert!(slug.len() <= 64, "{slug}");
        assert_eq!(
            DirectoryId::graph(&url("http://127.0.0.1:8080"), "5f1e2d3c-aaaa").slug()[..24],
            *"127.0.0.1-8080-5f1e2d3c-"
        );
    }
}
