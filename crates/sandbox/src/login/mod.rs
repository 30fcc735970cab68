//! The login endpoints, answering with Entra ID's shapes (including its `AADSTS` error
//! bodies): the token endpoint (v2.0 and v1) that dispatches on the grant, a module per grant,
//! the discovery documents MSAL reads first, and a managed-identity endpoint.

mod apps;
mod client_credentials;
mod device_code;
mod discovery;
mod identity;
mod password;
mod refresh;
mod reply;
mod scopes;
mod tokens;
mod v1;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;

/// Who a client id is in the tenant, for the Graph routes that list apps.
pub(crate) use apps::{derived_id, display_name as app_display_name, service_principal_id};
pub use device_code::{device_code, device_code_v1, device_login_page};
pub use discovery::{instance_discovery, keys, openid_configuration, openid_configuration_v1};
pub use identity::managed_identity;
pub use reply::unknown_tenant;
#[cfg(feature = "test-hooks")]
pub use tokens::mint;
pub use tokens::{APP_ROLES, ClientAuth, TokenSpec};
pub use v1::token_v1;

use super::origin::Root;
use super::state::AppState;
use super::tenancy::is_multi_tenant_alias;
use reply::{
    Refusal, aad_error, blocked_by_conditional_access, form, missing, no_tenant_named, param,
};
use scopes::OwnRoots;
use tokens::Endpoint;

/// `POST /{tenant}/oauth2/v2.0/token`.
pub async fn token(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    root: Root,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    grant(&state, &tenant, &root, &headers, &body, Endpoint::V2)
}

/// One token request, at either endpoint; v1 requests arrive here with their `resource`
/// already turned into a `scope`.
fn grant(
    state: &AppState,
    tenant: &str,
    root: &Root,
    headers: &HeaderMap,
    body: &[u8],
    endpoint: Endpoint,
) -> Response {
    let mut f = form(body);
    if let Err(refused) = basic_client_auth(headers, &mut f) {
        return refused.respond();
    }
    let Some(grant) = param(&f, "grant_type").map(str::to_string) else {
        return missing("grant_type");
    };
    let Some(client_id) = param(&f, "client_id").map(str::to_string) else {
        return missing("client_id");
    };
    let own = own_roots(state, root);
    // With several tenants, `/common` and `/organizations` name none: a user is signed in at
    // its home tenant, and an app cannot be (Entra's rules). With one, they name it.
    let unnamed = is_multi_tenant_alias(tenant) && !state.tenancy.is_single();
    match grant.as_str() {
        "client_credentials" => {
            if unnamed {
                return no_tenant_named();
            }
            if state.tenancy.refuses(state.index) {
                return blocked_by_conditional_access();
            }
            let audiences = client_credentials::token_audiences(state, tenant, headers);
            client_credentials::client_credentials(state, &f, &client_id, &audiences, &own)
        }
        "refresh_token" => refresh::refresh(state, &f, &client_id, &own, endpoint, unnamed),
        "password" => {
            let home = match unnamed {
                true => password::home_of(state, &f),
                false => Some(state.clone()),
            };
            match home {
                Some(home) if home.tenancy.refuses(home.index) => blocked_by_conditional_access(),
                Some(home) => password::password(&home, &f, &client_id, &own, endpoint),
                None => password::unknown_user(),
            }
        }
        // RFC 8628 names the grant by its URN; msal-node sends the short `device_code`, which
        // Entra accepts too.
        "urn:ietf:params:oauth:grant-type:device_code" | "device_code" => {
            if state.tenancy.refuses(state.index) {
                return blocked_by_conditional_access();
            }
            device_code::device_poll(state, &f, &client_id, &own, endpoint)
        }
        other => aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

/// The roots a client pointed at this sandbox by URL asks tokens for: its public root (see
/// `origin`) and the address it listens on. A token for either is a token for Graph.
fn own_roots(state: &AppState, root: &Root) -> OwnRoots {
    OwnRoots(vec![
        public_root(root),
        state.base_url.as_str().trim_end_matches('/').to_string(),
    ])
}

/// The root every absolute URL in a login answer uses (device-code page, discovery
/// documents), without the trailing slash.
fn public_root(root: &Root) -> String {
    root.0.as_str().trim_end_matches('/').to_string()
}

/// `client_secret_basic` (RFC 6749 2.3.1): the client id and secret in an `Authorization:
/// Basic` header, each form-encoded. They join the form's parameters; a header that names
/// another client than the body is refused, as Entra refuses it.
fn basic_client_auth(headers: &HeaderMap, f: &mut Vec<(String, String)>) -> Result<(), Refusal> {
    let Some(value) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Ok(());
    };
    let bad = || {
        Refusal {
        status: StatusCode::UNAUTHORIZED,
        error: "invalid_client",
        code: 7000216,
        description: "The client credentials in the Authorization header are not valid: expected Basic with base64 of 'client_id:client_secret'.".into(),
    }
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (id, secret) = (unescape(id), unescape(secret));
    match param(f, "client_id") {
        Some(body_id) if body_id != id => {
            return Err(Refusal {
                status: StatusCode::UNAUTHORIZED,
                error: "invalid_client",
                code: 700016,
                description: "The client id in the Authorization header differs from the client_id in the request body.".into(),
            });
        }
        Some(_) => {}
        None => f.push(("client_id".into(), id)),
    }
    if param(f, "client_secret").is_none() {
        f.push(("client_secret".into(), secret));
    }
    Ok(())
}
