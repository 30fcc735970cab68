//! Which resource a scope names, and the delegated permissions it asks for.

use axum::http::StatusCode;

use super::reply::Refusal;
use crate::sandbox::token::{GRAPH_AUDIENCE, GRAPH_AUDIENCES};

/// Graph's application id: `00000003-0000-0000-c000-000000000000/.default` names Graph too.
pub(super) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The delegated Graph permissions the sandbox's admin has consented to for every app: what a
/// `/.default` request gets, as Entra gives it the app's consented permissions
/// (learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc#the-default-scope).
pub(super) const CONSENTED: &[&str] = &[
    "Directory.Read.All",
    "Mail.Send",
    "User.DeleteRestore.All",
    "User.Read",
    "User.Read.All",
    "User.ReadWrite.All",
    "User-PasswordProfile.ReadWrite.All",
];

/// The sandbox's own public roots (e.g. `https://graph.microsoft.com` with `--public-url`, or
/// `http://127.0.0.1:PORT`), without a trailing slash: a client pointed at the sandbox by URL
/// asks for a token for this resource, and gets one for Graph.
pub(super) struct OwnRoots(pub(super) Vec<String>);

impl OwnRoots {
    fn contains(&self, resource: &str) -> bool {
        self.0
            .iter()
            .any(|r| r.trim_end_matches('/').eq_ignore_ascii_case(resource))
    }
}

/// Which Graph a resource names, as the token's `aud`: one of the cloud roots, Graph's app id
/// (global), or the sandbox's own root (global). `None` for any other resource: Entra answers
/// those with AADSTS500011.
pub(super) fn graph_resource(resource: &str, own: &OwnRoots) -> Option<&'static str> {
    let r = resource.trim_end_matches('/');
    if let Some(aud) = GRAPH_AUDIENCES.iter().find(|a| a.eq_ignore_ascii_case(r)) {
        return Some(aud);
    }
    if r.eq_ignore_ascii_case(GRAPH_APP_ID) || own.contains(r) {
        return Some(GRAPH_AUDIENCE);
    }
    None
}

/// A scope split into its resource (when it has a URL or Graph's app id in front) and its
/// permission.
pub(super) fn split_scope(scope: &str) -> (Option<&str>, &str) {
    if (scope.contains("://") || scope.starts_with(GRAPH_APP_ID))
        && let Some((resource, perm)) = scope.rsplit_once('/')
    {
        return (Some(resource), perm);
    }
    (None, scope)
}

/// What a delegated scope parameter asks for.
pub(super) struct Requested {
    /// Graph permissions without the resource prefix (global or national, as Entra strips it).
    pub(super) scopes: Vec<String>,
    /// `offline_access` was asked for: a refresh token comes back.
    pub(super) offline: bool,
    /// `openid` was asked for: an ID token comes back.
    pub(super) openid: bool,
    /// The `aud` of the access token.
    pub(super) audience: &'static str,
}

/// Parses delegated scopes. Scopes for two different resources are refused, as Entra does
/// (AADSTS28000), and so is `/.default` beside a named permission (AADSTS70011).
pub(super) fn graph_scopes(scope: &str, own: &OwnRoots) -> Result<Requested, Refusal> {
    let mut offline = false;
    let mut openid = false;
    let mut default = false;
    let mut out: Vec<String> = Vec::new();
    let mut audience: Option<&'static str> = None;
    for s in scope.split_whitespace() {
        let (resource, perm) = split_scope(s);
        let perm = match resource {
            Some(r) => {
                let Some(aud) = graph_resource(r, own) else {
                    return Err(invalid_resource(r));
                };
                if audience.is_some_and(|a| a != aud) {
                    return Err(Refusal {
                        status: StatusCode::BAD_REQUEST,
                        error: "invalid_scope",
                        code: 28000,
                        description: "Provided value for the input parameter scope is not valid because it contains more than one resource.".into(),
                    });
                }
                audience = Some(aud);
                perm
            }
            None => s,
        };
        match perm {
            "offline_access" => offline = true,
            "openid" => openid = true,
            "profile" | "email" | "" => {}
            ".default" => default = true,
            other => {
                if !out.iter().any(|p| p.eq_ignore_ascii_case(other)) {
                    out.push(other.to_string());
                }
            }
        }
    }
    if default {
        if !out.is_empty() {
            return Err(Refusal {
                status: StatusCode::BAD_REQUEST,
                error: "invalid_scope",
                code: 70011,
                description: "The provided value for the input parameter 'scope' is not valid. The scope .default cannot be combined with resource-specific scopes.".into(),
            });
        }
        out = CONSENTED.iter().map(|p| p.to_string()).collect();
    }
    Ok(Requested {
        scopes: out,
        offline,
        openid,
        audience: audience.unwrap_or(GRAPH_AUDIENCE),
    })
}

pub(super) fn invalid_resource(resource: &str) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        error: "invalid_resource",
        code: 500011,
        description: format!(
            "The resource principal named {resource} was not found in the tenant named sandbox. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> OwnRoots {
        OwnRoots(vec!["http://127.0.0.1:4100".into()])
    }

    #[test]
    fn only_graph_and_the_sandboxs_own_root_are_resources() {
        for ok in [
            "https://graph.microsoft.com",
            "https://graph.microsoft.us/",
            GRAPH_APP_ID,
            "http://127.0.0.1:4100",
            "http://127.0.0.1:4100/",
        ] {
            assert!(graph_resource(ok, &own()).is_some(), "{ok}");
        }
        for refused in [
            "http://127.0.0.1:4101",
            "http://localhost:4100",
            "https://127.0.0.1:4100",
            "https://management.azure.com",
            "http://127.0.0.1:4100/v1.0",
        ] {
            assert!(graph_resource(refused, &own()).is_none(), "{refused}");
        }
    }

    #[test]
    fn default_gets_the_consented_permissions_and_cannot_be_mixed() {
        let r = graph_scopes(
            "https://graph.microsoft.com/.default offline_access openid profile",
            &own(),
        )
        .unwrap_or_else(|e| panic!("{}", e.description));
        assert_eq!(r.scopes, CONSENTED);
        assert!(r.offline && r.openid);
        let mixed = graph_scopes("https://graph.microsoft.com/.default User.Read.All", &own());
        assert_eq!(mixed.err().map(|e| e.code), Some(70011));
    }
}
