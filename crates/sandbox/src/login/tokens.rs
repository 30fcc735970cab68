//! Issuing tokens: access tokens as Entra ID shapes them (also minted directly for tests) and
//! the delegated token response with its rotating refresh token.

use aws_lc_rs::digest::{SHA256, digest};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::Rng;
use serde_json::json;

use super::apps;
use super::reply::aad_error;
use super::scopes::{OwnRoots, graph_scopes};
use crate::routes::GLOBAL_ADMINISTRATOR;
use crate::state::AppState;
use crate::token::{Claims, GRAPH_AUDIENCE};

/// App roles of a client-credentials token.
pub const APP_ROLES: &[&str] = &[
    "User.ReadWrite.All",
    "User.DeleteRestore.All",
    "Mail.Send",
    "User-PasswordProfile.ReadWrite.All",
    // The conflict sweep and the deletion log.
    "GroupMember.Read.All",
    "OrgContact.Read.All",
    "AuditLog.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "Policy.Read.AuthenticationMethod",
    "LicenseAssignment.Read.All",
    // The after-care's mailbox read, and bringing back what an offboarding took.
    "MailboxSettings.Read",
    "GroupMember.ReadWrite.All",
    // Graph lets only these add an owner back ("Add owners").
    "Group.ReadWrite.All",
    "LicenseAssignment.ReadWrite.All",
    "User.EnableDisableAccount.All",
    "RoleManagement.ReadWrite.Directory",
    // What other tools read first (`az ad sp list`, `/organization`, `/domains`), and the
    // application permission the permissions reference names for a user's memberships.
    "Application.Read.All",
    "Organization.Read.All",
    "Domain.Read.All",
    "GroupMember.ReadBasic.All",
];

/// Refresh tokens live this long (Entra: 90 days).
pub(super) const REFRESH_LIFETIME: i64 = 90 * 86_400;

/// How a client proved who it is, as the `appidacr` claim says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// A public client (device code): `0`.
    Public,
    /// A client secret: `1`.
    #[default]
    Secret,
    /// A certificate (a signed client assertion) or a managed identity: `2`.
    Certificate,
}

impl ClientAuth {
    fn appidacr(self) -> &'static str {
        match self {
            Self::Public => "0",
            Self::Secret => "1",
            Self::Certificate => "2",
        }
    }
}

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
    pub client_auth: ClientAuth,
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
            client_auth: ClientAuth::Secret,
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
            client_auth: ClientAuth::Public,
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

/// The signed-in user as tokens name them: object id and names from the directory (a user the
/// directory does not hold gets a fresh id and its UPN as name).
struct Subject {
    oid: String,
    name: String,
    given_name: Option<String>,
    family_name: Option<String>,
}

fn subject(state: &AppState, upn: &str) -> Subject {
    match state.db().active(upn).ok().flatten() {
        Some(u) => Subject {
            oid: u.id,
            name: u.display_name,
            given_name: u.given_name,
            family_name: u.surname,
        },
        None => Subject {
            oid: uuid::Uuid::new_v4().to_string(),
            name: upn.to_string(),
            given_name: None,
            family_name: None,
        },
    }
}

/// The `sub` of a delegated token: pairwise, one value per user and app (Entra's rule).
fn pairwise_sub(state: &AppState, oid: &str, client_id: &str) -> String {
    let d = digest(
        &SHA256,
        format!("{}|{oid}|{}", state.tenant_id, client_id.to_lowercase()).as_bytes(),
    );
    B64.encode(d.as_ref())
}

/// The issuer of v1.0 tokens (every Graph access token, and v1 ID tokens).
pub(super) fn v1_issuer(tenant_id: &str) -> String {
    format!("https://sts.windows.net/{tenant_id}/")
}

pub fn mint(state: &AppState, spec: &TokenSpec) -> String {
    mint_as(state, spec, None)
}

/// A token of `state`'s tenant; `home`: the tenant a delegated token's user belongs to when it
/// is another (a GDAP partner's user at a customer), named in `idp` as Entra names a guest's.
fn mint_as(state: &AppState, spec: &TokenSpec, home: Option<&AppState>) -> String {
    let now = chrono::Utc::now().timestamp();
    let iss = v1_issuer(&state.tenant_id);
    let mut claims = Claims {
        aud: spec.audience.clone(),
        iss: iss.clone(),
        idp: None,
        iat: now,
        nbf: now.min(now + spec.lifetime_secs),
        exp: now + spec.lifetime_secs,
        acr: None,
        amr: None,
        app_displayname: Some(apps::display_name(&spec.client_id)),
        appid: spec.client_id.clone(),
        appidacr: Some(spec.client_auth.appidacr().into()),
        family_name: None,
        given_name: None,
        name: None,
        oid: None,
        scp: None,
        roles: None,
        sub: None,
        tid: state.tenant_id.clone(),
        unique_name: None,
        upn: None,
        wids: spec.wids.clone(),
        idtyp: "app".into(),
        ver: "1.0".into(),
        uti: random_token(16),
    };
    match &spec.upn {
        Some(upn) => {
            let who = subject(home.unwrap_or(state), upn);
            claims.idp = home.map(|h| v1_issuer(&h.tenant_id));
            claims.acr = Some("1".into());
            claims.amr = Some(vec!["pwd".into()]);
            claims.sub = Some(pairwise_sub(state, &who.oid, &spec.client_id));
            claims.oid = Some(who.oid);
            claims.name = Some(who.name);
            claims.given_name = who.given_name;
            claims.family_name = who.family_name;
            claims.scp = Some(spec.scopes.join(" "));
            claims.unique_name = Some(upn.clone());
            claims.upn = Some(upn.clone());
            claims.idtyp = "user".into();
        }
        None => {
            // App-only: the app's service principal is the subject, and the identity
            // provider is the tenant itself.
            let sp = apps::service_principal_id(&state.tenant_id, &spec.client_id);
            claims.oid = Some(sp.clone());
            claims.sub = Some(sp);
            claims.idp = Some(iss);
            claims.roles = Some(spec.roles.clone());
        }
    }
    state.key.sign(&claims)
}

/// Which token endpoint answers: the v2.0 one, or v1 (`/oauth2/token`, `resource=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    V1,
    V2,
}

/// The ID token of a delegated sign-in, in the endpoint's version (v2.0: `preferred_username`,
/// issuer `login.microsoftonline.com/{tid}/v2.0`; v1: `upn`, `unique_name`, issuer
/// `sts.windows.net`), per learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference.
fn id_token(
    state: &AppState,
    client_id: &str,
    upn: &str,
    endpoint: Endpoint,
    home: Option<&AppState>,
) -> String {
    let who = subject(home.unwrap_or(state), upn);
    let now = chrono::Utc::now().timestamp();
    let lifetime = 3600;
    let sub = pairwise_sub(state, &who.oid, client_id);
    let claims = match endpoint {
        Endpoint::V2 => json!({
            "aud": client_id,
            "iss": super::discovery::v2_issuer(&state.tenant_id),
            "iat": now, "nbf": now, "exp": now + lifetime,
            "name": who.name,
            "oid": who.oid,
            "preferred_username": upn,
            "sub": sub,
            "tid": state.tenant_id,
            "uti": random_token(16),
            "ver": "2.0",
        }),
        Endpoint::V1 => json!({
            "aud": client_id,
            "iss": v1_issuer(&state.tenant_id),
            "iat": now, "nbf": now, "exp": now + lifetime,
            "amr": ["pwd"],
            "family_name": who.family_name,
            "given_name": who.given_name,
            "name": who.name,
            "oid": who.oid,
            "sub": sub,
            "tid": state.tenant_id,
            "unique_name": upn,
            "upn": upn,
            "ver": "1.0",
        }),
    };
    let mut claims = claims;
    if let Some(h) = home {
        claims["idp"] = json!(v1_issuer(&h.tenant_id));
    }
    state.key.sign(&claims)
}

/// `client_info` as MSAL asks for it (`client_info=1`): the account's home ids, base64url JSON
/// (`state`: the user's home tenant).
fn client_info(state: &AppState, upn: &str) -> String {
    let who = subject(state, upn);
    B64.encode(json!({"uid": who.oid, "utid": state.tenant_id}).to_string())
}

pub(super) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    B64.encode(buf)
}

pub(super) fn refresh_hash(token: &str) -> String {
    hex::encode(digest(&SHA256, token.as_bytes()))
}

/// How a delegated token request came in: where, and what else the client asked for.
pub(super) struct Delegated<'a> {
    pub(super) client_id: &'a str,
    pub(super) upn: &'a str,
    /// The scope parameter as granted (for a refresh: as first granted, unless narrowed).
    pub(super) scope: &'a str,
    pub(super) own: &'a OwnRoots,
    pub(super) endpoint: Endpoint,
    /// MSAL's `client_info=1`: the response carries the account's home ids.
    pub(super) client_info: bool,
    /// Set when the user signs in at a tenant other than its home (see `Across`).
    pub(super) across: Option<Across<'a>>,
}

/// A user signing in at a tenant other than its own: a GDAP partner's user at a customer.
pub(super) struct Across<'a> {
    /// The user's home tenant: it holds the user and its refresh tokens.
    pub(super) home: &'a AppState,
    /// The directory roles the relationship grants it here (`wids`).
    pub(super) roles: Vec<String>,
}

/// The token response for a delegated sign-in, with a new refresh token if wanted and an ID
/// token when `openid` was asked for (MSAL always asks: without it, it has no account).
pub(super) fn delegated_tokens(state: &AppState, req: &Delegated<'_>) -> Response {
    let asked = match graph_scopes(req.scope, req.own) {
        Ok(parsed) => parsed,
        Err(refused) => return refused.respond(),
    };
    let lifetime = state.token_lifetime.as_secs() as i64;
    let upn = req.upn;
    let home = req.across.as_ref().map(|a| a.home);
    // The sandbox admin is its Global Administrator, and Entra lists a user's directory roles
    // in delegated tokens too; a partner's user holds what the relationship grants.
    let wids = match &req.across {
        Some(a) => a.roles.clone(),
        None if upn.eq_ignore_ascii_case(&state.admin_upn()) => {
            vec![GLOBAL_ADMINISTRATOR.to_string()]
        }
        None => Vec::new(),
    };
    let spec = TokenSpec {
        client_id: req.client_id.into(),
        upn: Some(upn.into()),
        scopes: asked.scopes.clone(),
        roles: Vec::new(),
        lifetime_secs: lifetime,
        wids: Some(wids),
        audience: asked.resource.audience.into(),
        client_auth: ClientAuth::Public,
    };
    let access = mint_as(state, &spec, home);
    let mut granted = asked.scopes.clone();
    if asked.openid {
        granted.extend(["openid", "profile", "email"].map(String::from));
    }
    if asked.offline {
        granted.push("offline_access".into());
    }
    let mut body = json!({
        "token_type": "Bearer",
        "scope": granted.join(" "),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
    });
    if asked.offline {
        let refresh = random_token(48);
        let expires = chrono::Utc::now().timestamp() + REFRESH_LIFETIME;
        // A refresh token is the user's: it lives with its home tenant, wherever it was issued.
        if let Err(e) = home.unwrap_or(state).db().add_refresh(
            &refresh_hash(&refresh),
            upn,
            req.client_id,
            req.scope,
            expires,
        ) {
            return aad_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                50000,
                &format!("There was an error issuing a token: {e}"),
            );
        }
        body["refresh_token"] = json!(refresh);
    }
    if asked.openid {
        body["id_token"] = json!(id_token(state, req.client_id, upn, req.endpoint, home));
    }
    if req.client_info {
        body["client_info"] = json!(client_info(home.unwrap_or(state), upn));
    }
    (StatusCode::OK, Json(body)).into_response()
}
