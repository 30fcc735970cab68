//! Issuing tokens: access tokens as Entra ID shapes them (also minted directly for tests) and
//! the delegated token response with its rotating refresh token.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::reply::aad_error;
use super::scopes::graph_scopes;
use crate::sandbox::routes::GLOBAL_ADMINISTRATOR;
use crate::sandbox::state::AppState;
use crate::sandbox::token::{self, Claims, GRAPH_AUDIENCE};

/// App roles of a client-credentials token.
pub const APP_ROLES: &[&str] = &[
    "User.ReadWrite.All",
    "User.DeleteRestore.All",
    "Mail.Send",
    "User-PasswordProfile.ReadWrite.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "Policy.Read.AuthenticationMethod",
    "LicenseAssignment.Read.All",
];

/// Refresh tokens live this long (Entra: 90 days).
pub(super) const REFRESH_LIFETIME: i64 = 90 * 86_400;

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

pub(super) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    B64.encode(buf)
}

pub(super) fn refresh_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The token response for a delegated sign-in of `upn`, with a new refresh token if wanted.
pub(super) fn delegated_tokens(
    state: &AppState,
    client_id: &str,
    upn: &str,
    scope: &str,
) -> Response {
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
