//! The refresh token grant: a refresh token is spent on use and a new one comes back.

use axum::http::StatusCode;
use axum::response::Response;

use super::reply::{aad_error, missing, param};
use super::scopes::OwnRoots;
use super::tokens::{Delegated, Endpoint, delegated_tokens, refresh_hash};
use crate::state::AppState;

pub(super) fn refresh(
    state: &AppState,
    f: &[(String, String)],
    client_id: &str,
    own: &OwnRoots,
    endpoint: Endpoint,
) -> Response {
    let Some(rt) = param(f, "refresh_token") else {
        return missing("refresh_token");
    };
    let redeemed = state.db().redeem_refresh(&refresh_hash(rt));
    match redeemed {
        Ok(Some(grant)) => {
            let crate::store::RefreshGrant {
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
            if expires <= chrono::Utc::now().timestamp() {
                return aad_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    700082,
                    "The refresh token has expired due to inactivity.",
                );
            }
            let scope = param(f, "scope").map(str::to_string).unwrap_or(scope);
            delegated_tokens(
                state,
                &Delegated {
                    client_id,
                    upn: &upn,
                    scope: &scope,
                    own,
                    endpoint,
                    client_info: param(f, "client_info") == Some("1"),
                },
            )
        }
        Ok(None) => aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        ),
        Err(e) => aad_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            50000,
            &format!("There was an error issuing a token: {e}"),
        ),
    }
}
