//! The resource owner password credentials grant (ROPC, `grant_type=password`): a user's name
//! and password straight to the token endpoint. Entra still takes it for cloud accounts
//! without MFA, deprecated (learn.microsoft.com/entra/identity-platform/v2-oauth-ropc), and
//! scripts and older tools use it. Here a user signs in with the password last set on them
//! (a restored user with the password undelete gave it), and the admin, who has none until
//! one is set, with the sandbox's client secret.

use axum::http::StatusCode;
use axum::response::Response;

use super::reply::{aad_error, missing, param};
use super::scopes::OwnRoots;
use super::tokens::{Delegated, Endpoint, delegated_tokens};
use crate::policy;
use crate::state::AppState;

fn bad_credentials() -> Response {
    aad_error(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        50126,
        "Error validating credentials due to invalid username or password.",
    )
}

pub(super) fn password(
    state: &AppState,
    f: &[(String, String)],
    client_id: &str,
    own: &OwnRoots,
    endpoint: Endpoint,
) -> Response {
    let Some(username) = param(f, "username") else {
        return missing("username");
    };
    let Some(password) = param(f, "password") else {
        return missing("password");
    };
    // A confidential client proves itself too; a public one (no secret) need not.
    if let Some(secret) = param(f, "client_secret")
        && secret != state.client_secret
    {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    let scope = param(f, "scope").unwrap_or("openid profile offline_access");
    let (user, facts) = {
        let db = state.db();
        let user = match db.active(username) {
            Ok(Some(u)) => u,
            Ok(None) => return unknown_user(),
            Err(e) => return server_error(&e.to_string()),
        };
        match db.sign_in(&user.id) {
            Ok(Some(facts)) => (user, facts),
            Ok(None) => return bad_credentials(),
            Err(e) => return server_error(&e.to_string()),
        }
    };
    let matches = match &facts.password {
        Some((salt, hash)) => policy::hash(salt, password) == *hash,
        None => {
            user.upn.eq_ignore_ascii_case(&state.admin_upn()) && password == state.client_secret
        }
    };
    if !matches {
        return bad_credentials();
    }
    if !user.account_enabled {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50057,
            "The user account is disabled.",
        );
    }
    // A password that must be changed first cannot be changed through ROPC: Entra refuses
    // the sign-in, and the user signs in interactively once.
    if facts.change_due {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50055,
            "The password is expired. The user must change it at an interactive sign-in first.",
        );
    }
    delegated_tokens(
        state,
        &Delegated {
            client_id,
            upn: &user.upn,
            scope,
            own,
            endpoint,
            client_info: param(f, "client_info") == Some("1"),
            across: None,
        },
    )
}

/// The user a password sign-in names is none of the directory's.
pub(super) fn unknown_user() -> Response {
    aad_error(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        50034,
        "The user account does not exist in the directory. To sign into this application, the account must be added to the directory.",
    )
}

/// The tenant a password sign-in at `/common` goes to: the one whose verified domain the
/// user name carries (Entra's home realm discovery); `None`: no tenant here has it. Without a
/// user name, the tenant asked (which says the parameter is missing).
pub(super) fn home_of(state: &AppState, f: &[(String, String)]) -> Option<AppState> {
    let Some(username) = param(f, "username") else {
        return Some(state.clone());
    };
    let domain = username.rsplit_once('@')?.1;
    let i = state.tenancy.find(domain)?;
    state.tenancy.member(i)
}

fn server_error(why: &str) -> Response {
    aad_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        50000,
        &format!("There was an error issuing a token: {why}"),
    )
}
