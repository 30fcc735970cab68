//! The refresh token grant: a refresh token is spent on use and a new one comes back. A refresh
//! token is its user's, kept with the user's home tenant; redeemed at another tenant's
//! authority it gives a token of that tenant only where a GDAP relationship lets the user in
//! (AADSTS50020 elsewhere), and never at a tenant that refuses sign-in (AADSTS53003).

use axum::http::StatusCode;
use axum::response::Response;

use super::reply::{aad_error, blocked_by_conditional_access, missing, not_in_tenant, param};
use super::scopes::OwnRoots;
use super::tokens::{Across, Delegated, Endpoint, delegated_tokens, refresh_hash, v1_issuer};
use crate::state::AppState;
use crate::store::RefreshGrant;

/// `unnamed`: the authority names no tenant (`/common` with several tenants): the token is
/// for the user's home tenant, as Entra issues it there.
pub(super) fn refresh(
    state: &AppState,
    f: &[(String, String)],
    client_id: &str,
    own: &OwnRoots,
    endpoint: Endpoint,
    unnamed: bool,
) -> Response {
    let Some(rt) = param(f, "refresh_token") else {
        return missing("refresh_token");
    };
    let hash = refresh_hash(rt);
    let (home, peek) = match holder(state, &hash) {
        Ok(Some(found)) => found,
        Ok(None) => return unknown_token(),
        Err(e) => return server_error(&e),
    };
    let target = if unnamed { home.clone() } else { state.clone() };
    let now = chrono::Utc::now().timestamp();
    // A token that is good in itself meets the target tenant's rules before it is spent: a
    // refusal leaves it usable where the user may sign in.
    let good = !peek.was_used && peek.client_id == client_id && peek.expires_at > now;
    let mut across = None;
    if good {
        if target.tenancy.refuses(target.index) {
            return blocked_by_conditional_access();
        }
        if target.index != home.index {
            match target.tenancy.gdap_roles(home.index, target.index) {
                Some(roles) => across = Some(roles),
                None => {
                    return not_in_tenant(
                        &peek.upn,
                        &v1_issuer(&home.tenant_id),
                        &target.name,
                        client_id,
                    );
                }
            }
        }
    }
    let redeemed = home.db().redeem_refresh(&hash);
    match redeemed {
        Ok(Some(grant)) => {
            let RefreshGrant {
                upn,
                client_id: owner,
                scope,
                expires_at: expires,
                was_used,
            } = grant;
            if was_used {
                return aad_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                );
            }
            if owner != client_id {
                return aad_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    700005,
                    "Provided Authorization Code is intended to use against other tenant or client.",
                );
            }
            if expires <= now {
                return aad_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    700082,
                    "The refresh token has expired due to inactivity.",
                );
            }
            let scope = param(f, "scope").map(str::to_string).unwrap_or(scope);
            delegated_tokens(
                &target,
                &Delegated {
                    client_id,
                    upn: &upn,
                    scope: &scope,
                    own,
                    endpoint,
                    client_info: param(f, "client_info") == Some("1"),
                    across: across.map(|roles| Across { home: &home, roles }),
                },
            )
        }
        // Spent meanwhile by a purge of the store: as unknown.
        Ok(None) => unknown_token(),
        Err(e) => server_error(&e),
    }
}

/// The tenant holding a refresh token (its user's home), and what it was issued for: the
/// authority's own tenant is asked first, so one tenant asks only itself.
fn holder(state: &AppState, hash: &str) -> rusqlite::Result<Option<(AppState, RefreshGrant)>> {
    if let Some(grant) = state.db().refresh_grant(hash)? {
        return Ok(Some((state.clone(), grant)));
    }
    for i in (0..state.tenancy.infos().len()).filter(|&i| i != state.index) {
        let Some(member) = state.tenancy.member(i) else {
            continue;
        };
        let found = member.db().refresh_grant(hash)?;
        if let Some(grant) = found {
            return Ok(Some((member, grant)));
        }
    }
    Ok(None)
}

fn unknown_token() -> Response {
    aad_error(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        9002313,
        "Invalid request. Request is malformed or invalid.",
    )
}

fn server_error(e: &rusqlite::Error) -> Response {
    aad_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        50000,
        &format!("There was an error issuing a token: {e}"),
    )
}
