//! Which resource a scope names, and the delegated permissions it asks for.

use axum::http::StatusCode;

use super::reply::Refusal;
use crate::token::{ARM_AUDIENCES, GRAPH_AUDIENCE, GRAPH_AUDIENCES};

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

/// Azure Resource Manager's application id, which names it as a resource too.
const ARM_APP_ID: &str = "797f4846-ba00-4fd7-ba43-dac1f8f63013";

/// The APIs the sandbox issues tokens for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Api {
    Graph,
    /// Azure Resource Manager, as far as `az login` reads it (tenants, subscriptions).
    Arm,
}

/// A resource a token may be asked for: which API, and the token's `aud` for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Resource {
    pub(super) api: Api,
    pub(super) audience: &'static str,
}

impl Resource {
    /// What a delegated `/.default` gets: the permissions consented for every app.
    fn consented(self) -> &'static [&'static str] {
        match self.api {
            Api::Graph => CONSENTED,
            // ARM's one delegated permission; access itself is Azure RBAC's business.
            Api::Arm => &["user_impersonation"],
        }
    }
}

/// Which API a resource names, with the token's `aud`: Graph by one of the cloud roots, its app
/// id (global) or the sandbox's own root (global); Resource Manager by one of its resource ids
/// or its app id. `None` for any other resource: Entra answers those with AADSTS500011.
pub(super) fn resource(resource: &str, own: &OwnRoots) -> Option<Resource> {
    let r = resource.trim_end_matches('/');
    let graph = |audience| Resource {
        api: Api::Graph,
        audience,
    };
    if let Some(aud) = GRAPH_AUDIENCES.iter().find(|a| a.eq_ignore_ascii_case(r)) {
        return Some(graph(aud));
    }
    if r.eq_ignore_ascii_case(GRAPH_APP_ID) || own.contains(r) {
        return Some(graph(GRAPH_AUDIENCE));
    }
    // Entra writes `aud` as the identifier the client named, trailing slash and all.
    if let Some(aud) = ARM_AUDIENCES
        .iter()
        .find(|a| a.trim_end_matches('/').eq_ignore_ascii_case(r))
    {
        return Some(Resource {
            api: Api::Arm,
            audience: aud,
        });
    }
    if r.eq_ignore_ascii_case(ARM_APP_ID) {
        return Some(Resource {
            api: Api::Arm,
            audience: ARM_AUDIENCES[0],
        });
    }
    None
}

/// A scope split into its resource (when it has a URL or Graph's app id in front) and its
/// permission.
pub(super) fn split_scope(scope: &str) -> (Option<&str>, &str) {
    if (scope.contains("://") || scope.starts_with(GRAPH_APP_ID) || scope.starts_with(ARM_APP_ID))
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
    /// The resource, and so the `aud` of the access token.
    pub(super) resource: Resource,
}

/// Parses delegated scopes. Scopes for two different resources are refused, as Entra does
/// (AADSTS28000), and so is `/.default` beside a named permission (AADSTS70011).
pub(super) fn graph_scopes(scope: &str, own: &OwnRoots) -> Result<Requested, Refusal> {
    let mut offline = false;
    let mut openid = false;
    let mut default = false;
    let mut out: Vec<String> = Vec::new();
    let mut audience: Option<Resource> = None;
    for s in scope.split_whitespace() {
        let (named, perm) = split_scope(s);
        let perm = match named {
            Some(r) => {
                let Some(aud) = resource(r, own) else {
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
    if default && !out.is_empty() {
        return Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_scope",
            code: 70011,
            description: "The provided value for the input parameter 'scope' is not valid. The scope .default cannot be combined with resource-specific scopes.".into(),
        });
    }
    let resource = audience.unwrap_or(Resource {
        api: Api::Graph,
        audience: GRAPH_AUDIENCE,
    });
    if default {
        out = resource.consented().iter().map(|p| p.to_string()).collect();
    }
    Ok(Requested {
        scopes: out,
        offline,
        openid,
        resource,
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
            assert_eq!(
                resource(ok, &own()).map(|r| r.api),
                Some(Api::Graph),
                "{ok}"
            );
        }
        for refused in [
            "http://127.0.0.1:4101",
            "http://localhost:4100",
            "https://127.0.0.1:4100",
            "https://management.azure.com/v1.0",
            "http://127.0.0.1:4100/v1.0",
        ] {
            assert!(resource(refused, &own()).is_none(), "{refused}");
        }
        for arm in [
            "https://management.core.windows.net/",
            "https://management.azure.com",
            "https://management.usgovcloudapi.net/",
            ARM_APP_ID,
        ] {
            assert_eq!(
                resource(arm, &own()).map(|r| r.api),
                Some(Api::Arm),
                "{arm}"
            );
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
        // Azure CLI's login scope: ARM's resource id ends in `/`, so the scope holds `//`.
        let arm = graph_scopes(
            "https://management.core.windows.net//.default offline_access openid profile",
            &own(),
        )
        .unwrap_or_else(|e| panic!("{}", e.description));
        assert_eq!(
            arm.resource.audience,
            "https://management.core.windows.net/"
        );
        assert_eq!(arm.scopes, ["user_impersonation"]);
        let both = graph_scopes(
            "https://management.azure.com/.default https://graph.microsoft.com/User.Read",
            &own(),
        );
        assert_eq!(both.err().map(|e| e.code), Some(28000));
    }
}
