//! The device authorization grant: a code to show, a page to "sign in" on, and the polls of
//! the token endpoint until the admin has (or a test script says otherwise).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use rand::Rng;
use serde_json::json;

use super::reply::{aad_error, form, missing, param};
use super::scopes::{OwnRoots, graph_scopes};
use super::tokens::{Delegated, Endpoint, delegated_tokens, random_token};
use crate::device::DevicePoll;
use crate::origin::{LoginRoot, Root};
use crate::state::{AppState, DeviceCode};

pub(super) const DEVICE_CODE_LIFETIME: i64 = 900;
pub(super) const DEVICE_POLL_INTERVAL: u64 = 1;

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub async fn device_code(
    State(state): State<AppState>,
    Path(_tenant): Path<String>,
    root: Root,
    login: LoginRoot,
    body: Bytes,
) -> Response {
    let f = form(&body);
    let Some(scope) = param(&f, "scope") else {
        return missing("scope");
    };
    issue(&state, (&root, &login), &f, scope.to_string(), Endpoint::V2)
}

/// `POST /{tenant}/oauth2/devicecode`: v1 names a `resource`, and its answer says
/// `verification_url` where v2.0 says `verification_uri`.
pub async fn device_code_v1(
    State(state): State<AppState>,
    Path(_tenant): Path<String>,
    root: Root,
    login: LoginRoot,
    body: Bytes,
) -> Response {
    let f = form(&body);
    let Some(resource) = param(&f, "resource") else {
        return missing("resource");
    };
    // v1 sign-ins always bring an ID token and a refresh token.
    let scope = format!(
        "{}/.default openid offline_access",
        resource.trim_end_matches('/')
    );
    issue(&state, (&root, &login), &f, scope, Endpoint::V1)
}

/// `roots`: Graph's (a scope may name it as its resource) and the login host's (the page the
/// user is sent to is on it).
fn issue(
    state: &AppState,
    (root, login): (&Root, &LoginRoot),
    f: &[(String, String)],
    scope: String,
    endpoint: Endpoint,
) -> Response {
    let Some(client_id) = param(f, "client_id") else {
        return missing("client_id");
    };
    // Entra refuses unknown resources and mixed resources here, before any code is issued.
    if let Err(refused) = graph_scopes(&scope, &super::own_roots(state, root)) {
        return refused.respond();
    }
    let device = random_token(32);
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let user_code: String = (0..9)
        .map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char)
        .collect();
    let uri = format!("{}/devicelogin", login.trimmed());
    let now = chrono::Utc::now().timestamp();
    let mut devices = state.devices.lock().unwrap_or_else(|p| p.into_inner());
    // Codes nobody polls any more would otherwise pile up for the life of the server.
    devices.retain(|_, d| d.expires_at > now);
    devices.insert(
        device.clone(),
        DeviceCode {
            client_id: client_id.into(),
            scope,
            polls: 0,
            expires_at: now + DEVICE_CODE_LIFETIME,
        },
    );
    drop(devices);
    let uri_name = match endpoint {
        Endpoint::V2 => "verification_uri",
        Endpoint::V1 => "verification_url",
    };
    let mut body = json!({
        "user_code": user_code,
        "device_code": device,
        "expires_in": DEVICE_CODE_LIFETIME,
        "interval": DEVICE_POLL_INTERVAL,
        "message": format!(
            "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate. (Sandbox: no browser needed, the sandbox answers for the admin.)"
        ),
    });
    body[uri_name] = json!(uri);
    Json(body).into_response()
}

pub(super) fn device_poll(
    state: &AppState,
    f: &[(String, String)],
    client_id: &str,
    own: &OwnRoots,
    endpoint: Endpoint,
) -> Response {
    // v1 clients (ADAL) send the device code as `code`.
    let Some(code) = param(f, "device_code").or_else(|| param(f, "code")) else {
        return missing("device_code");
    };
    let scope = {
        let mut devices = state.devices.lock().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = devices.get_mut(code) else {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                70000,
                "Provided grant is invalid or malformed.",
            );
        };
        if entry.client_id != client_id {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                70000,
                "The device code was issued to another client.",
            );
        }
        if entry.expires_at <= chrono::Utc::now().timestamp() {
            devices.remove(code);
            return aad_error(
                StatusCode::BAD_REQUEST,
                "expired_token",
                70020,
                "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
            );
        }
        entry.polls += 1;
        let answer = state.device_script.answer(entry.polls);
        if answer.is_final() {
            let scope = entry.scope.clone();
            devices.remove(code);
            match answer {
                DevicePoll::Declined => {
                    return aad_error(
                        StatusCode::BAD_REQUEST,
                        "authorization_declined",
                        70000,
                        "The user declined the sign-in request on the device code page.",
                    );
                }
                DevicePoll::Expired => {
                    return aad_error(
                        StatusCode::BAD_REQUEST,
                        "expired_token",
                        70020,
                        "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
                    );
                }
                _ => scope,
            }
        } else if answer == DevicePoll::SlowDown {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "slow_down",
                70016,
                "OAuth 2.0 device flow error. Polling too often: slow down, wait at least 5 seconds more between polls.",
            );
        } else {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            );
        }
    };
    let admin = state.admin_upn();
    delegated_tokens(
        state,
        &Delegated {
            client_id,
            upn: &admin,
            scope: &scope,
            own,
            endpoint,
            client_info: param(f, "client_info") == Some("1"),
            across: None,
        },
    )
}

pub async fn device_login_page() -> Html<&'static str> {
    Html(
        "<!doctype html><title>undelete sandbox sign-in</title>\
         <p>This is the undelete sandbox. It answers device codes for its admin by itself: \
         go back to the app.</p>",
    )
}
