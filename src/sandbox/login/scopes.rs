//! Which Graph a scope names, and the delegated permissions it asks for.

use axum::http::StatusCode;

use super::reply::Refusal;
use crate::sandbox::token::{GRAPH_AUDIENCE, GRAPH_AUDIENCES};

/// Graph's application id: `00000003-0000-0000-c000-000000000000/.default` names Graph too.
pub(super) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Which Graph a resource names, as the token's `aud`: one of the cloud roots, Graph's app id
/// (global), or a loopback URL (this sandbox, or a proxy in front of it: global). `None` for a
/// resource the sandbox does not serve.
pub(super) fn graph_resource(resource: &str) -> Option<&'static str> {
    let r = resource.trim_end_matches('/');
    if let Some(aud) = GRAPH_AUDIENCES.iter().find(|a| a.eq_ignore_ascii_case(r)) {
        return Some(aud);
    }
    if r.eq_ignore_ascii_case(GRAPH_APP_ID) {
        return Some(GRAPH_AUDIENCE);
    }
    let url = url::Url::parse(r).ok()?;
    let loopback = match url.host()? {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    (loopback && matches!(url.path(), "" | "/")).then_some(GRAPH_AUDIENCE)
}

/// A scope split into its resource (when it has a URL in front) and its permission.
pub(super) fn split_scope(scope: &str) -> (Option<&str>, &str) {
    if scope.contains("://")
        && let Some((resource, perm)) = scope.rsplit_once('/')
    {
        return (Some(resource), perm);
    }
    (None, scope)
}

/// Delegated scopes: Graph permissions without the resource prefix (global or national, as
/// Entra strips it), whether `offline_access` was asked for, and the `aud` they are for.
/// Scopes for two different resources are refused, as Entra does (AADSTS28000).
pub(super) fn graph_scopes(scope: &str) -> Result<(Vec<String>, bool, &'static str), Refusal> {
    let mut offline = false;
    let mut out = Vec::new();
    let mut audience: Option<&'static str> = None;
    for s in scope.split_whitespace() {
        let (resource, perm) = split_scope(s);
        let perm = match resource {
            Some(r) => {
                let Some(aud) = graph_resource(r) else {
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
            "openid" | "profile" | "email" => {}
            "" => {}
            other => out.push(other.to_string()),
        }
    }
    Ok((out, offline, audience.unwrap_or(GRAPH_AUDIENCE)))
}

pub(super) fn invalid_resource(resource: &str) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        error: "invalid_resource",
        code: 500011,
        description: format!(
            "The resource principal named {resource} was not found in the tenant named sandbox. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
        ),
    }
}
