//! The login endpoints: client credentials, device code and refresh tokens, answering with
//! Entra ID's shapes (including its `AADSTS` error bodies).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::assertion::{self, Expected};
use super::device::DevicePoll;
use super::routes::GLOBAL_ADMINISTRATOR;
use super::state::{AppState, DeviceCode};
use super::token::{self, Claims, GRAPH_AUDIENCE, GRAPH_AUDIENCES};

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
    /// Directory role template ids (`wids`); `None` leaves the claim out, and with it the
    /// sandbox's role checks.
    pub wids: Option<Vec<String>>,
    /// `aud`: Graph's root in the cloud the token is for.
    pub audience: String,
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
            wids: None,
            audience: GRAPH_AUDIENCE.into(),
        }
    }

    pub fn delegated(upn: &str, scopes: &[&str]) -> Self {
        Self {
            client_id: "sandbox-tests".into(),
            upn: Some(upn.into()),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            roles: Vec::new(),
            lifetime_secs: 3600,
            wids: None,
            audience: GRAPH_AUDIENCE.into(),
        }
    }

    pub fn lifetime_secs(mut self, secs: i64) -> Self {
        self.lifetime_secs = secs;
        self
    }

    /// The caller's directory roles (template ids), e.g. `[USER_ADMINISTRATOR]`.
    pub fn wids(mut self, wids: &[&str]) -> Self {
        self.wids = Some(wids.iter().map(|s| s.to_string()).collect());
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
        aud: spec.audience.clone(),
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
        wids: spec.wids.clone(),
        idtyp: if spec.upn.is_some() { "user" } else { "app" }.into(),
        ver: "1.0".into(),
        uti: random_token(16),
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

/// Graph's application id: `00000003-0000-0000-c000-000000000000/.default` names Graph too.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Which Graph a resource names, as the token's `aud`: one of the cloud roots, Graph's app id
/// (global), or a loopback URL (this sandbox, or a proxy in front of it: global). `None` for a
/// resource the sandbox does not serve.
fn graph_resource(resource: &str) -> Option<&'static str> {
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
fn split_scope(scope: &str) -> (Option<&str>, &str) {
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
fn graph_scopes(scope: &str) -> Result<(Vec<String>, bool, &'static str), Refusal> {
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

fn invalid_resource(resource: &str) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        error: "invalid_resource",
        code: 500011,
        description: format!(
            "The resource principal named {resource} was not found in the tenant named sandbox. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
        ),
    }
}

/// A token-endpoint error not yet rendered (a `Response` is too big to pass around in `Err`).
struct Refusal {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
}

impl Refusal {
    fn respond(self) -> Response {
        aad_error(self.status, self.error, self.code, &self.description)
    }
}

/// The token response for a delegated sign-in of `upn`, with a new refresh token if wanted.
fn delegated_tokens(state: &AppState, client_id: &str, upn: &str, scope: &str) -> Response {
    let (scopes, offline, audience) = match graph_scopes(scope) {
        Ok(parsed) => parsed,
        Err(refused) => return refused.respond(),
    };
    let lifetime = state.token_lifetime.as_secs() as i64;
    let spec = TokenSpec {
        client_id: client_id.into(),
        upn: Some(upn.into()),
        scopes: scopes.clone(),
        roles: Vec::new(),
        lifetime_secs: lifetime,
        // The sandbox admin is its Global Administrator, and Entra lists a user's directory
        // roles in delegated tokens too.
        wids: Some(if upn.eq_ignore_ascii_case(&state.admin_upn()) {
            vec![GLOBAL_ADMINISTRATOR.to_string()]
        } else {
            Vec::new()
        }),
        audience: audience.into(),
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
            let audiences = token_audiences(&state, &tenant, &headers);
            client_credentials(&state, &f, client_id, &audiences)
        }
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

/// The URLs a client assertion may name as `aud`: this token endpoint, v2.0 or v1, under the
/// tenant of the request, the tenant id or the domain, at the address the client used.
fn token_audiences(state: &AppState, tenant: &str, headers: &HeaderMap) -> Vec<String> {
    let own = state.base_url.as_str().trim_end_matches('/').to_string();
    let mut roots = vec![own];
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

fn client_credentials(
    state: &AppState,
    f: &[(String, String)],
    client_id: &str,
    audiences: &[String],
) -> Response {
    let Some(scope) = param(f, "scope") else {
        return missing("scope");
    };
    let scope = scope.trim();
    let Some(resource) = scope
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
    let Some(audience) = graph_resource(resource) else {
        return invalid_resource(resource).respond();
    };
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
        roles: state.app_roles.clone(),
        lifetime_secs: lifetime,
        wids: Some(state.directory_roles.clone()),
        audience: audience.into(),
    };
    let body = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": mint(state, &spec),
    });
    (StatusCode::OK, Json(body)).into_response()
}

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Verifies a client assertion against the trusted certificates and spends its `jti`.
fn accept_assertion(
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
    // Entra refuses unknown resources and mixed resources here, before any code is issued.
    if let Err(refused) = graph_scopes(scope) {
        return refused.respond();
    }
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
            "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate. (Sandbox: no browser needed, the sandbox answers for the admin.)"
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
    delegated_tokens(state, client_id, &admin, &scope)
}

pub async fn device_login_page() -> Html<&'static str> {
    Html(
        "<!doctype html><title>undelete sandbox sign-in</title>\
         <p>This is the undelete sandbox. It answers device codes for its admin by itself: \
         go back to the app.</p>",
    )
}
