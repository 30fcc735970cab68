//! The login endpoints: client credentials, device code and refresh tokens, answering with
//! Entra ID's shapes (including its `AADSTS` error bodies).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::state::{AppState, DeviceCode};
use super::token::{self, Claims, GRAPH_AUDIENCE};

/// App roles of a client-credentials token.
pub const APP_ROLES: &[&str] = &[
    "User.ReadWrite.All",
    "User.DeleteRestore.All",
    "Mail.Send",
    "User-PasswordProfile.ReadWrite.All",
];

/// Refresh tokens live this long (Entra: 90 days).
const REFRESH_LIFETIME: i64 = 90 * 86_400;
const DEVICE_CODE_LIFETIME: i64 = 900;
const DEVICE_POLL_INTERVAL: u64 = 1;

/// What a test-issued token should carry. `upn: Some` makes a delegated token.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub client_id: String,
    pub upn: Option<String>,
    pub scopes: Vec<String>,
    pub roles: Vec<String>,
    /// Seconds until expiry; zero or negative gives an already expired token.
    pub lifetime_secs: i64,
}

impl Default for TokenSpec {
    /// An app-only token with the default roles, valid for an hour.
    fn default() -> Self {
        Self::app(APP_ROLES)
    }
}

impl TokenSpec {
    pub fn app(roles: &[&str]) -> Self {
        Self {
            client_id: "sandbox-tests".into(),
            upn: None,
            scopes: Vec::new(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            lifetime_secs: 3600,
        }
    }

    pub fn delegated(upn: &str, scopes: &[&str]) -> Self {
        Self {
            client_id: "sandbox-tests".into(),
            upn: Some(upn.into()),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            roles: Vec::new(),
            lifetime_secs: 3600,
        }
    }

    pub fn lifetime_secs(mut self, secs: i64) -> Self {
        self.lifetime_secs = secs;
        self
    }
}

pub fn mint(state: &AppState, spec: &TokenSpec) -> String {
    let now = chrono::Utc::now().timestamp();
    let oid = spec.upn.as_ref().map(|upn| {
        state
            .db()
            .active(upn)
            .ok()
            .flatten()
            .map(|u| u.id)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
    });
    let claims = Claims {
        aud: GRAPH_AUDIENCE.into(),
        iss: format!("https://sts.windows.net/{}/", state.tenant_id),
        tid: state.tenant_id.clone(),
        iat: now,
        nbf: now.min(now + spec.lifetime_secs),
        exp: now + spec.lifetime_secs,
        appid: spec.client_id.clone(),
        scp: spec.upn.as_ref().map(|_| spec.scopes.join(" ")),
        roles: spec.upn.is_none().then(|| spec.roles.clone()),
        upn: spec.upn.clone(),
        oid,
        idtyp: if spec.upn.is_some() { "user" } else { "app" }.into(),
        ver: "1.0".into(),
    };
    token::sign(&state.key, &claims)
}

/// An Entra ID token-endpoint error.
fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace = uuid::Uuid::new_v4().to_string();
    let correlation = uuid::Uuid::new_v4().to_string();
    let now = chrono::Utc::now();
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {}",
            now.format("%Y-%m-%d %H:%M:%SZ")
        ),
        "error_codes": [code],
        "timestamp": now.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        "trace_id": trace,
        "correlation_id": correlation,
    });
    (status, Json(body)).into_response()
}

fn missing(param: &str) -> Response {
    aad_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{param}'."),
    )
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(f: &'a [(String, String)], name: &str) -> Option<&'a str> {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    B64.encode(buf)
}

fn refresh_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Graph scopes without the resource prefix, and whether `offline_access` was asked for.
fn graph_scopes(scope: &str) -> (Vec<String>, bool) {
    let mut offline = false;
    let mut out = Vec::new();
    for s in scope.split_whitespace() {
        let s = s.strip_prefix("https://graph.microsoft.com/").unwrap_or(s);
        match s {
            "offline_access" => offline = true,
            "openid" | "profile" | "email" => {}
            other => out.push(other.to_string()),
        }
    }
    (out, offline)
}

/// The token response for a delegated sign-in of `upn`, with a new refresh token if wanted.
fn delegated_tokens(state: &AppState, client_id: &str, upn: &str, scope: &str) -> Response {
    let (scopes, offline) = graph_scopes(scope);
    let lifetime = state.token_lifetime.as_secs() as i64;
    let spec = TokenSpec {
        client_id: client_id.into(),
        upn: Some(upn.into()),
        scopes: scopes.clone(),
        roles: Vec::new(),
        lifetime_secs: lifetime,
    };
    let access = mint(state, &spec);
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scopes.join(" "),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
    });
    if offline {
        let refresh = random_token(48);
        let expires = chrono::Utc::now().timestamp() + REFRESH_LIFETIME;
        if let Err(e) =
            state
                .db()
                .add_refresh(&refresh_hash(&refresh), upn, client_id, scope, expires)
        {
            return aad_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                50000,
                &format!("There was an error issuing a token: {e}"),
            );
        }
        body["refresh_token"] = json!(refresh);
        body["scope"] = json!(format!("{} offline_access", scopes.join(" ")));
    }
    (StatusCode::OK, Json(body)).into_response()
}

pub async fn token(
    State(state): State<AppState>,
    Path(_tenant): Path<String>,
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
        "client_credentials" => client_credentials(&state, &f, client_id),
        "refresh_token" => refresh(&state, &f, client_id),
        "urn:ietf:params:oauth:grant-type:device_code" => device_poll(&state, &f, client_id),
        other => aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

fn client_credentials(state: &AppState, f: &[(String, String)], client_id: &str) -> Response {
    let Some(scope) = param(f, "scope") else {
        return missing("scope");
    };
    if !scope.trim().ends_with("/.default") {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    }
    if let Some(secret) = param(f, "client_secret") {
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
        if let Err(why) = check_assertion(assertion, client_id) {
            return aad_error(StatusCode::UNAUTHORIZED, "invalid_client", 700027, why);
        }
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
        lifetime_secs: lifetime,
        ..TokenSpec::app(APP_ROLES)
    };
    let body = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": mint(state, &spec),
    });
    (StatusCode::OK, Json(body)).into_response()
}

/// The sandbox holds no certificates, so it checks what it can: the assertion's shape, its
/// issuer and subject, and its lifetime.
fn check_assertion(assertion: &str, client_id: &str) -> Result<(), &'static str> {
    let mut parts = assertion.split('.');
    let (Some(_), Some(payload), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("Client assertion is not a valid JWT.");
    };
    if sig.is_empty() {
        return Err("Client assertion is not signed.");
    }
    let claims: Value = B64
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("Client assertion payload is not valid JSON.")?;
    let now = chrono::Utc::now().timestamp();
    if claims.get("iss").and_then(Value::as_str) != Some(client_id)
        || claims.get("sub").and_then(Value::as_str) != Some(client_id)
    {
        return Err("Client assertion iss and sub must be the client id.");
    }
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > now => Ok(()),
        _ => Err("Client assertion is expired."),
    }
}

fn refresh(state: &AppState, f: &[(String, String)], client_id: &str) -> Response {
    let Some(rt) = param(f, "refresh_token") else {
        return missing("refresh_token");
    };
    let redeemed = state.db().redeem_refresh(&refresh_hash(rt));
    match redeemed {
        Ok(Some(grant)) => {
            let super::store::RefreshGrant {
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
            delegated_tokens(state, client_id, &upn, &scope)
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

pub async fn device_code(
    State(state): State<AppState>,
    Path(_tenant): Path<String>,
    body: Bytes,
) -> Response {
    let f = form(&body);
    let Some(client_id) = param(&f, "client_id") else {
        return missing("client_id");
    };
    let Some(scope) = param(&f, "scope") else {
        return missing("scope");
    };
    let device = random_token(32);
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let user_code: String = (0..9)
        .map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char)
        .collect();
    let uri = format!("{}devicelogin", state.base_url);
    let now = chrono::Utc::now().timestamp();
    let mut devices = state.devices.lock().unwrap_or_else(|p| p.into_inner());
    // Codes nobody polls any more would otherwise pile up for the life of the server.
    devices.retain(|_, d| d.expires_at > now);
    devices.insert(
        device.clone(),
        DeviceCode {
            client_id: client_id.into(),
            scope: scope.into(),
            polls: 0,
            expires_at: now + DEVICE_CODE_LIFETIME,
        },
    );
    drop(devices);
    Json(json!({
        "user_code": user_code,
        "device_code": device,
        "verification_uri": uri,
        "expires_in": DEVICE_CODE_LIFETIME,
        "interval": DEVICE_POLL_INTERVAL,
        "message": format!(
            "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate. (Sandbox: approved automatically.)"
        ),
    }))
    .into_response()
}

fn device_poll(state: &AppState, f: &[(String, String)], client_id: &str) -> Response {
    let Some(code) = param(f, "device_code") else {
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
        if entry.polls == 1 {
            // The admin "approves" between the first and the second poll.
            return aad_error(
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            );
        }
        let scope = entry.scope.clone();
        devices.remove(code);
        scope
    };
    let admin = format!("admin@{}", state.domain);
    delegated_tokens(state, client_id, &admin, &scope)
}

pub async fn device_login_page() -> Html<&'static str> {
    Html(
        "<!doctype html><title>undelete sandbox sign-in</title>\
         <p>This is the undelete sandbox. Device codes are approved automatically: \
         go back to the app.</p>",
    )
}
