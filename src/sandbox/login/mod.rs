//! The login endpoints, answering with Entra ID's shapes (including its `AADSTS` error
//! bodies): one token endpoint that dispatches on the grant, and a module per grant.

mod client_credentials;
mod device_code;
mod refresh;
mod reply;
mod scopes;
mod tokens;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

pub use device_code::{device_code, device_login_page};
pub use tokens::{APP_ROLES, TokenSpec, mint};

use super::state::AppState;
use reply::{aad_error, form, missing, param};

pub async fn token(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = form(&body);
    let Some(grant) = param(&f, "grant_type") else {
        return missing("grant_type");
    };
    let Some(client_id) = param(&f, "client_id") else {
        return missing("client_id");
    };
    match grant {
        "client_credentials" => {
            let audiences = client_credentials::token_audiences(&state, &tenant, &headers);
            client_credentials::client_credentials(&state, &f, client_id, &audiences)
        }
        "refresh_token" => refresh::refresh(&state, &f, client_id),
        "urn:ietf:params:oauth:grant-type:device_code" => {
            device_code::device_poll(&state, &f, client_id)
        }
        other => aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}
