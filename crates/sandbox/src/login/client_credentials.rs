//! The client credentials grant: a secret or a certificate's signed assertion, for an app-only
//! token with the app roles.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::reply::{Refusal, aad_error, missing, param};
use super::scopes::{Api, OwnRoots, invalid_resource, resource};
use super::tokens::{ClientAuth, TokenSpec, mint};
use crate::assertion::{self, Expected};
use crate::state::AppState;

/// The URLs a client assertion may name as `aud`: this token endpoint, v2.0 or v1, under the
/// tenant of the request, the tenant id or the domain, at the address the client used or at
/// the public roots.
pub(super) fn token_audiences(state: &AppState, tenant: &str, headers: &HeaderMap) -> Vec<String> {
    let own = state.base_url.as_str().trim_end_matches('/').to_string();
    let mut roots = vec![own];
    // The roots the sandbox says it is reached at.
    for url in [&state.public_login_url, &state.public_url]
        .into_iter()
        .flatten()
    {
        roots.push(url.as_str().trim_end_matches('/').to_string());
    }
    if let Some(host) = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
    {
        roots.push(format!("{}://{host}", state.base_url.scheme()));
    }
    let mut out = Vec::new();
    for root in &roots {
        for t in [tenant, state.tenant_id.as_str(), state.domain.as_str()] {
            for path in ["oauth2/v2.0/token", "oauth2/token"] {
                out.push(format!("{root}/{t}/{path}"));
            }
        }
    }
    out
}

pub(super) fn client_credentials(
    state: &AppState,
    f: &[(String, String)],
    client_id: &str,
    audiences: &[String],
    own: &OwnRoots,
) -> Response {
    let Some(scope) = param(f, "scope") else {
        return missing("scope");
    };
    let scope = scope.trim();
    let Some(named) = scope
        .strip_suffix("/.default")
        .filter(|_| !scope.contains(' '))
    else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    };
    let Some(target) = resource(named, own) else {
        return invalid_resource(named).respond();
    };
    let client_auth;
    if let Some(secret) = param(f, "client_secret") {
        client_auth = ClientAuth::Secret;
        if secret != state.client_secret {
            return aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            );
        }
    } else if let Some(assertion) = param(f, "client_assertion") {
        if param(f, "client_assertion_type") != Some(ASSERTION_TYPE) {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                &format!(
                    "The request body must contain the following parameter: 'client_assertion_type' with the value '{ASSERTION_TYPE}'."
                ),
            );
        }
        if let Err(refused) = accept_assertion(state, assertion, client_id, audiences) {
            return refused.respond();
        }
        client_auth = ClientAuth::Certificate;
    } else {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    let lifetime = state.token_lifetime.as_secs() as i64;
    let spec = TokenSpec {
        client_id: client_id.into(),
        upn: None,
        scopes: Vec::new(),
        roles: app_roles(state, target.api),
        lifetime_secs: lifetime,
        wids: Some(state.directory_roles.clone()),
        audience: target.audience.into(),
        client_auth,
    };
    let body = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": mint(state, &spec),
    });
    (StatusCode::OK, Json(body)).into_response()
}

/// The application permissions an app-only token for `api` carries: Graph's app roles; none
/// for Resource Manager, where access is Azure RBAC's, not the token's.
pub(super) fn app_roles(state: &AppState, api: Api) -> Vec<String> {
    match api {
        Api::Graph => state.app_roles.clone(),
        Api::Arm => Vec::new(),
    }
}

pub(super) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Verifies a client assertion against the trusted certificates and spends its `jti`.
pub(super) fn accept_assertion(
    state: &AppState,
    assertion: &str,
    client_id: &str,
    audiences: &[String],
) -> Result<(), Refusal> {
    let now = chrono::Utc::now().timestamp();
    let want = Expected {
        client_id,
        audiences,
        trusted: &state.trusted,
        now,
    };
    let refused = |r: assertion::Rejection| {
        let (status, error) = if r.code == 50027 {
            (StatusCode::BAD_REQUEST, "invalid_request")
        } else {
            (StatusCode::UNAUTHORIZED, "invalid_client")
        };
        Refusal {
            status,
            error,
            code: r.code,
            description: r.message,
        }
    };
    let accepted = assertion::check(assertion, &want).map_err(refused)?;
    let mut spent = state.spent_jtis.lock().unwrap_or_else(|p| p.into_inner());
    // Entries past their assertion's expiry can never match again (it would be refused as
    // expired first), so they are dropped rather than kept for the life of the server.
    spent.retain(|_, exp| *exp >= now);
    let key = (client_id.to_string(), accepted.jti);
    if spent.contains_key(&key) {
        return Err(refused(assertion::Rejection {
            code: 50027,
            message: format!(
                "JWT token is invalid: the client assertion with jti '{}' was already used. Sign a new assertion, with a new jti, for every token request.",
                key.1
            ),
        }));
    }
    spent.insert(key, accepted.exp);
    Ok(())
}
