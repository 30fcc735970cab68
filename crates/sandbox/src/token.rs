//! JWT access tokens (RS256 with the store's key, see `signing`) and the bearer-token
//! extractor that every Graph route uses.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::signing::SigningKey;
use super::state::AppState;

/// Audience of tokens for Microsoft Graph (global cloud).
pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";

/// Graph's roots in the global and national clouds (DESIGN.md 4.5): the sandbox answers for all
/// of them, so a token for any is accepted.
pub const GRAPH_AUDIENCES: &[&str] = &[
    GRAPH_AUDIENCE,
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
];

/// Azure Resource Manager's resource ids in the global and national clouds, as Entra writes
/// them in `aud` (each is an identifier URI of ARM's service principal): `az login` asks for
/// `https://management.core.windows.net//.default`, SDKs for `https://management.azure.com`.
pub const ARM_AUDIENCES: &[&str] = &[
    "https://management.core.windows.net/",
    "https://management.azure.com/",
    "https://management.core.usgovcloudapi.net/",
    "https://management.usgovcloudapi.net/",
    "https://management.core.chinacloudapi.cn/",
    "https://management.chinacloudapi.cn/",
];

/// An access token for Graph, as Entra ID issues it: always a v1.0 token, because Graph's
/// registration accepts v1.0 tokens whichever endpoint (v1 or v2.0) issued them. The claims are
/// those of the access token claims reference
/// (learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference); the
/// opaque ones no client reads (`aio`, `rh`, `xms_*`) are left out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    /// The identity provider: in app-only tokens the issuer again (the app's own tenant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// Delegated only: `1` (the user signed in with a password), and how (`amr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_displayname: Option<String>,
    pub appid: String,
    /// How the client proved itself: `0` public client, `1` secret, `2` certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appidacr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Object id of the user, or of the app's service principal in app-only tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The subject, unique per app: the service principal's id in app-only tokens, a pairwise
    /// id of user and app in delegated ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub tid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// Directory role template ids of the caller; `None` (tokens minted by tests without
    /// them) skips the role checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wids: Option<Vec<String>>,
    pub idtyp: String,
    pub ver: String,
    /// A random id per token, as Entra's `uti`: two tokens minted in the same second differ.
    #[serde(default)]
    pub uti: String,
}

impl Claims {
    /// Drops `denied` permissions from the scopes and roles (the sandbox's `--deny-scope`).
    pub fn take_away(&mut self, denied: &[String]) {
        if denied.is_empty() {
            return;
        }
        let kept = |p: &str| !denied.iter().any(|d| d.eq_ignore_ascii_case(p));
        if let Some(scp) = &mut self.scp {
            *scp = scp
                .split_whitespace()
                .filter(|p| kept(p))
                .collect::<Vec<_>>()
                .join(" ");
        }
        if let Some(roles) = &mut self.roles {
            roles.retain(|r| kept(r));
        }
    }

    /// True when the token carries any of `perms`, as a delegated scope or an app role.
    pub fn has_any(&self, perms: &[&str]) -> bool {
        let granted: Vec<&str> = match (&self.scp, &self.roles) {
            (Some(scp), _) => scp.split_whitespace().collect(),
            (None, Some(roles)) => roles.iter().map(String::as_str).collect(),
            (None, None) => Vec::new(),
        };
        perms
            .iter()
            .any(|p| granted.iter().any(|g| g.eq_ignore_ascii_case(p)))
    }
}

/// The refusal of a token for another API (`verify`).
pub const INVALID_AUDIENCE: &str = "Access token validation failure. Invalid audience.";

/// Why a token was refused; the message is what Graph says in the 401. `audiences`: the API's
/// own (`GRAPH_AUDIENCES` or `ARM_AUDIENCES`): a token for one is no good at the other.
pub fn verify(
    key: &SigningKey,
    token: &str,
    now: i64,
    audiences: &[&str],
) -> Result<Claims, &'static str> {
    const BAD_SIGNATURE: &str = "Access token validation failure. Invalid signature.";
    // Lifetime and audience are checked below, against `now` and Graph's wording.
    let mut rules = Validation::new(Algorithm::RS256);
    rules.required_spec_claims.clear();
    rules.validate_exp = false;
    rules.validate_aud = false;
    let claims = match jsonwebtoken::decode::<Claims>(token, key.decoding(), &rules) {
        Ok(data) => data.claims,
        Err(e) => {
            return Err(match e.kind() {
                ErrorKind::InvalidToken => {
                    "IDX14100: JWT is not well formed, there are no dots (.)."
                }
                // The signature held: what it signed is not our claims.
                ErrorKind::Json(_) | ErrorKind::Utf8(_) => "Access token validation failure.",
                _ => BAD_SIGNATURE,
            });
        }
    };
    if !audiences.contains(&claims.aud.as_str()) {
        return Err(INVALID_AUDIENCE);
    }
    if claims.exp <= now {
        return Err("Lifetime validation failed, the token is expired.");
    }
    if claims.nbf > now + 300 {
        return Err("Lifetime validation failed, the token is not yet valid.");
    }
    Ok(claims)
}

/// The token of an `Authorization: Bearer` header; empty when there is none.
pub fn bearer(headers: &axum::http::HeaderMap) -> &str {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .unwrap_or("")
}

/// The `tid` a token says it is for, read without checking its signature: only to pick the
/// tenant whose extractor then verifies it (see `tenancy::Tenancy::pick`).
pub fn unverified_tid(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Tid {
        tid: String,
    }
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice::<Tid>(&json).ok().map(|t| t.tid)
}

/// The refusal of a token signed here for a tenant this server does not hold (a data dir now
/// served with fewer tenants than when the token was issued).
pub const OTHER_TENANT: &str =
    "Access token validation failure. The token's tenant (tid) is not served here.";

/// The authenticated caller of a Graph route.
pub struct Caller(pub Claims);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers);
        if token.is_empty() {
            return Err(ApiError::unauthorized("Access token is empty."));
        }
        let now = chrono::Utc::now().timestamp();
        let mut claims =
            verify(&state.key, token, now, GRAPH_AUDIENCES).map_err(ApiError::unauthorized)?;
        // Every tenant's tokens are signed with one key: the tenant is the token's `tid`.
        if !claims.tid.eq_ignore_ascii_case(&state.tenant_id) {
            return Err(ApiError::unauthorized(OTHER_TENANT));
        }
        claims.take_away(&state.denied);
        Ok(Caller(claims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn claims(exp: i64) -> Claims {
        Claims {
            aud: GRAPH_AUDIENCE.into(),
            iss: "x".into(),
            idp: None,
            iat: 0,
            nbf: 0,
            exp,
            acr: None,
            amr: None,
            app_displayname: None,
            appid: "a".into(),
            appidacr: None,
            family_name: None,
            given_name: None,
            name: None,
            oid: None,
            scp: Some("Mail.Send User.Read.All".into()),
            roles: None,
            sub: None,
            tid: "t".into(),
            unique_name: None,
            upn: Some("admin@contoso.sandbox".into()),
            wids: None,
            idtyp: "user".into(),
            ver: "1.0".into(),
            uti: "u".into(),
        }
    }

    fn key() -> SigningKey {
        SigningKey::from_pkcs8(&SigningKey::generate().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn tokens_round_trip_and_reject_tampering_and_expiry() {
        let (key, other) = (key(), key());
        let t = key.sign(&claims(100));
        assert!(verify(&key, &t, 50, GRAPH_AUDIENCES).is_ok());
        assert!(verify(&other, &t, 50, GRAPH_AUDIENCES).is_err());
        assert_eq!(
            verify(&key, &t, 100, GRAPH_AUDIENCES).err(),
            Some("Lifetime validation failed, the token is expired.")
        );
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(10_000)).unwrap_or_default());
        parts[1] = &forged;
        assert!(verify(&key, &parts.join("."), 50, GRAPH_AUDIENCES).is_err());
        assert!(verify(&key, "garbage", 50, GRAPH_AUDIENCES).is_err());
        // A Graph token is no good at Resource Manager.
        assert_eq!(
            verify(&key, &t, 50, ARM_AUDIENCES).err(),
            Some(INVALID_AUDIENCE)
        );
    }

    #[test]
    fn scopes_are_matched_case_insensitively() {
        let c = claims(1);
        assert!(c.has_any(&["mail.send"]));
        assert!(!c.has_any(&["User.ReadWrite.All"]));
    }
}
