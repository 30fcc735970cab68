//! From the command line to a working `TokenSource`: which credentials apply (client secret,
//! certificate, or a delegated sign-in from the cache), the device-code sign-in for the TUI and
//! `undelete login`, who we are once signed in, and the permission self-check.

use std::path::PathBuf;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::certificate::{Certificate, CertificateCredentials};
use super::claims::{self, Mode, TokenClaims, Warning};
use super::client_credentials::ClientCredentials;
use super::delegated::{DelegatedConfig, DelegatedTokens};
use super::device_code::{DeviceCodeFlow, DeviceCodePrompt};
use super::oauth::{self, AuthError, TokenResponse};
use super::token_cache::{CacheKey, CachedLogin, TokenCache, cloud_key};
use super::{AccessToken, TokenSource};
use crate::config::{DEFAULT_CLIENT_ID, DELEGATED_SCOPES, Endpoints, Settings};
use undelete_common::cloud::{Cloud, cloud_hosts};

/// The only place the client secret is read from: never a flag, so it stays out of shell
/// history and `ps`.
pub const SECRET_ENV: &str = "UNDELETE_CLIENT_SECRET";

/// Delegated scopes for a cloud. Outside the global cloud Entra needs Graph's resource in front
/// of each permission (`https://graph.microsoft.us/User.Read.All`); `offline_access` stays bare.
pub fn delegated_scopes(cloud: Cloud) -> String {
    let resource = match cloud {
        Cloud::Global => return DELEGATED_SCOPES.to_string(),
        other => cloud_hosts(other).1,
    };
    DELEGATED_SCOPES
        .split_whitespace()
        .map(|s| match s {
            "offline_access" | "openid" | "profile" | "email" => s.to_string(),
            _ => format!("{resource}/{s}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How this run signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// Device code, then the cached refresh token.
    Delegated,
    /// App-only with the secret from `UNDELETE_CLIENT_SECRET`.
    ClientSecret,
    /// App-only with `--certificate`.
    Certificate(PathBuf),
}

/// Everything sign-in needs, from the settings. No `Debug`: it may hold the secret.
#[derive(Clone)]
pub struct AuthContext {
    pub http: reqwest::Client,
    pub endpoints: Endpoints,
    pub cloud: Cloud,
    /// Cache key part for the cloud (see `token_cache::cloud_key`).
    pub cloud_key: String,
    pub client_id: String,
    pub scopes: String,
    pub cache: TokenCache,
    pub mail_from: Option<String>,
    /// The partner's home tenant (GDAP), when it is not this one: without a sign-in of its
    /// own here, the home's saved sign-in is redeemed at this tenant's authority.
    pub partner: Option<String>,
    method: Method,
    secret: Option<SecretString>,
}

impl AuthContext {
    /// Reads the settings and `UNDELETE_CLIENT_SECRET`. Errors are usage errors (exit code 2).
    pub fn from_settings(settings: &Settings) -> Result<Self, AuthError> {
        let secret = std::env::var(SECRET_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(SecretString::from);
        Self::build(settings, secret)
    }

    /// `from_settings` with the secret given directly (tests: the environment is process-wide).
    pub fn build(settings: &Settings, secret: Option<SecretString>) -> Result<Self, AuthError> {
        let tenant = settings
            .tenant
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AuthError::Config(
                    "no tenant: pass --tenant (a tenant id or domain such as contoso.onmicrosoft.com); \
                     without one undelete uses the sandbox, which needs no sign-in"
                        .into(),
                )
            })?;
        if tenant.contains(['/', '?', '#', ' ']) {
            return Err(AuthError::Config(format!(
                "--tenant {tenant:?} is not a tenant id or domain"
            )));
        }
        let endpoints = Endpoints::from_settings(settings, tenant).map_err(AuthError::Config)?;
        let data_dir = settings.data_dir().map_err(AuthError::Config)?;
        let client_id = settings
            .client_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or(DEFAULT_CLIENT_ID)
            .to_string();
        let method = match (&secret, &settings.certificate) {
            (Some(_), Some(_)) => {
                return Err(AuthError::Config(format!(
                    "both {SECRET_ENV} and --certificate are set: choose one way for the app to sign in"
                )));
            }
            (Some(_), None) => Method::ClientSecret,
            (None, Some(path)) => Method::Certificate(path.clone()),
            (None, None) => Method::Delegated,
        };
        if method != Method::Delegated && client_id == DEFAULT_CLIENT_ID {
            return Err(AuthError::Config(
                "app-only sign-in needs --client-id: the application (client) id of your own app \
                 registration (the default Microsoft Graph Command Line Tools client has no secret \
                 or certificate of yours)"
                    .into(),
            ));
        }
        Ok(Self {
            http: oauth::http_client()?,
            cloud_key: cloud_key(settings.cloud, &endpoints.login),
            endpoints,
            cloud: settings.cloud,
            client_id,
            scopes: delegated_scopes(settings.cloud),
            cache: TokenCache::new(&data_dir),
            mail_from: settings
                .mail_from
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_string),
            partner: settings
                .partner_tenant
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty() && !p.eq_ignore_ascii_case(tenant))
                .map(str::to_string),
            method,
            secret,
        })
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    /// How this run signs in, in words, for the sign-in screen.
    pub fn describe(&self) -> String {
        match &self.method {
            Method::Delegated => {
                "with your saved sign-in, or a code to enter in a browser".to_string()
            }
            Method::ClientSecret => format!("app-only, with the client secret in {SECRET_ENV}"),
            Method::Certificate(path) => format!(
                "app-only, with the certificate {}",
                undelete_common::sanitize::clean(&path.display().to_string())
            ),
        }
    }

    pub fn tenant(&self) -> &str {
        &self.endpoints.tenant
    }

    /// Step one of an interactive sign-in. Drive the flow (`poll` or `wait_or_cancel`), then
    /// hand its tokens to `finish_sign_in`.
    pub async fn start_device_code(&self) -> Result<DeviceCodeFlow, AuthError> {
        if self.method != Method::Delegated {
            return Err(AuthError::Config(
                "app credentials are configured: app-only sign-in needs no device code".into(),
            ));
        }
        DeviceCodeFlow::start(&self.http, &self.endpoints, &self.client_id, &self.scopes).await
    }

    /// The whole interactive sign-in as one future, for a UI: `on_prompt` gets the code and URL
    /// to show as soon as they are known; `cancel` completing (Esc) ends it with `Cancelled`.
    pub async fn sign_in_interactive<C: std::future::Future<Output = ()>>(
        &self,
        on_prompt: impl FnOnce(DeviceCodePrompt),
        cancel: C,
    ) -> Result<SignedIn, AuthError> {
        let flow = self.start_device_code().await?;
        on_prompt(flow.prompt().clone());
        let tokens = flow.wait_or_cancel(cancel).await?;
        self.finish_sign_in(tokens)
    }

    /// Caches the new sign-in (replacing an older one of the same account) and returns it.
    pub fn finish_sign_in(&self, tokens: TokenResponse) -> Result<SignedIn, AuthError> {
        let claims = TokenClaims::decode(tokens.access_token.expose_secret()).unwrap_or_default();
        let account = claims
            .account
            .clone()
            .or_else(|| claims.object_id.clone())
            .unwrap_or_else(|| "default".into());
        let delegated = DelegatedTokens::after_sign_in(
            self.delegated_config(&account, claims.tenant_id.clone()),
            tokens,
        )?;
        Ok(self.signed_in(Arc::new(delegated), &claims, Mode::Delegated))
    }

    /// The credentials of this run, ready to use: app-only ones are tried at once (a wrong
    /// secret shows up here, not at the first Graph call); a cached delegated sign-in is
    /// refreshed. `Ok(None)` means an interactive sign-in is needed.
    pub async fn resolve(&self) -> Result<Option<SignedIn>, AuthError> {
        match &self.method {
            Method::ClientSecret => {
                let secret = self
                    .secret
                    .clone()
                    .ok_or_else(|| AuthError::Config(format!("{SECRET_ENV} is empty")))?;
                let source = ClientCredentials::new(&self.endpoints, &self.client_id, secret)
                    .map_err(|e| AuthError::Config(e.to_string()))?;
                let token = source.get().await?;
                Ok(Some(self.app_only(source, &token)))
            }
            Method::Certificate(path) => {
                let cert = Certificate::load(path)?;
                let source = Arc::new(CertificateCredentials::new(
                    self.http.clone(),
                    &self.endpoints,
                    &self.client_id,
                    cert,
                ));
                let token = source.get().await?;
                Ok(Some(self.app_only(source, &token)))
            }
            Method::Delegated => self.resolve_delegated().await,
        }
    }

    /// A saved sign-in of this tenant, refreshed; else the partner's home sign-in redeemed at
    /// this tenant's authority, as partner tools do (a refresh token is bound to the user and
    /// the client, not to a tenant); else `None`: an interactive sign-in is needed.
    async fn resolve_delegated(&self) -> Result<Option<SignedIn>, AuthError> {
        let own = self
            .cache
            .find(&self.cloud_key, self.tenant(), &self.client_id, None)?;
        if let Some(cached) = own {
            let config = self.delegated_config(&cached.key.account, cached.tenant_id.clone());
            return self.redeem(cached, config, false).await;
        }
        match self.home_sign_in()? {
            // Rotated refresh tokens go back to the home's entry, the one sign-in for all.
            Some(home) => {
                let config = DelegatedConfig {
                    key: home.key.clone(),
                    tenant_id: home.tenant_id.clone(),
                    borrowed: true,
                    ..self.delegated_config(&home.key.account, None)
                };
                self.redeem(home, config, true).await
            }
            None => Ok(None),
        }
    }

    /// The partner's home sign-in from the cache, when this tenant has a home apart.
    fn home_sign_in(&self) -> Result<Option<CachedLogin>, AuthError> {
        match &self.partner {
            Some(home) => self
                .cache
                .find(&self.cloud_key, home, &self.client_id, None),
            None => Ok(None),
        }
    }

    /// Redeems `cached` (this tenant's own sign-in, or the home's when `borrowed`) at this
    /// tenant's authority; a refusal of a borrowed one is the customer tenant's, in its words.
    async fn redeem(
        &self,
        cached: CachedLogin,
        config: DelegatedConfig,
        borrowed: bool,
    ) -> Result<Option<SignedIn>, AuthError> {
        let delegated = DelegatedTokens::new(config, cached.refresh_token);
        match delegated.get().await {
            Ok(token) => {
                let mut claims =
                    TokenClaims::decode(token.secret.expose_secret()).unwrap_or_default();
                claims
                    .account
                    .get_or_insert_with(|| cached.key.account.clone());
                if !borrowed {
                    claims.tenant_id = claims.tenant_id.or(cached.tenant_id);
                }
                Ok(Some(self.signed_in(
                    Arc::new(delegated),
                    &claims,
                    Mode::Delegated,
                )))
            }
            // The customer tenant refused the partner's sign-in (no GDAP relationship, no
            // role there, Conditional Access): its reason, and the home sign-in is kept.
            Err(AuthError::Rejected(e)) if borrowed => Err(AuthError::Partner {
                tenant: self.tenant().to_string(),
                home: cached.key.tenant.clone(),
                refusal: e,
            }),
            // Expired or revoked (the entry is gone now): sign in again.
            Err(e) if e.oauth_code() == Some("invalid_grant") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `undelete logout`: forgets every cached sign-in of this cloud, tenant and client.
    pub fn logout(&self) -> Result<usize, AuthError> {
        self.cache
            .remove(&self.cloud_key, self.tenant(), &self.client_id, None)
    }

    fn delegated_config(&self, account: &str, tenant_id: Option<String>) -> DelegatedConfig {
        DelegatedConfig {
            http: self.http.clone(),
            token_url: self.endpoints.token_url(),
            client_id: self.client_id.clone(),
            scopes: self.scopes.clone(),
            cache: Some(self.cache.clone()),
            key: CacheKey::new(&self.cloud_key, self.tenant(), &self.client_id, account),
            tenant_id,
            borrowed: false,
        }
    }

    fn app_only(&self, source: Arc<dyn TokenSource>, token: &AccessToken) -> SignedIn {
        let mut claims = TokenClaims::decode(token.secret.expose_secret()).unwrap_or_default();
        claims.app_id.get_or_insert_with(|| self.client_id.clone());
        self.signed_in(source, &claims, Mode::AppOnly)
    }

    fn signed_in(
        &self,
        tokens: Arc<dyn TokenSource>,
        claims: &TokenClaims,
        mode: Mode,
    ) -> SignedIn {
        let granted_known = !claims.granted().is_empty() || claims.identity_type.is_some();
        // An opaque token (not a JWT) says nothing: warn about nothing rather than everything.
        let warnings = if granted_known {
            claims::self_check(claims, self.mail_from.as_deref())
        } else {
            Vec::new()
        };
        let tap_warning = if granted_known {
            claims::tap_check(claims)
        } else {
            None
        };
        let optional_warnings = if granted_known {
            claims::optional_checks(claims)
        } else {
            Vec::new()
        };
        SignedIn {
            tap_warning,
            optional_warnings,
            tokens,
            identity: Identity {
                cloud: self.cloud,
                tenant: self.tenant().to_string(),
                tenant_id: claims.tenant_id.clone(),
                account: claims.principal(),
                mode,
            },
            warnings,
            mail_from: self.mail_from.clone(),
        }
    }
}

/// A working sign-in. No `Debug`: the token source holds secrets.
pub struct SignedIn {
    pub tokens: Arc<dyn TokenSource>,
    pub identity: Identity,
    /// The permission self-check, worded for the header (see `claims::Warning`).
    pub warnings: Vec<Warning>,
    /// Why Temporary Access Passes cannot be issued, if so: an optional hand-off, so it is
    /// listed apart from `warnings`.
    pub tap_warning: Option<Warning>,
    /// The conflict sweep's and the audit log's reads the token does not allow (optional).
    pub optional_warnings: Vec<Warning>,
    mail_from: Option<String>,
}

impl SignedIn {
    /// Who sends the sign-in email: `None` = the signed-in admin (`/me/sendMail`). App-only
    /// without `--mail-from` is an error that says what to pass; ask only when mail is wanted.
    pub fn mail_sender(&self) -> Result<Option<String>, String> {
        claims::mail_sender(self.identity.mode, self.mail_from.as_deref())
    }
}

/// What the header shows: cloud, tenant (name and id), account, delegated vs app-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub cloud: Cloud,
    /// The tenant as given (`--tenant`): a domain or an id.
    pub tenant: String,
    /// The tenant id from the token (`tid`).
    pub tenant_id: Option<String>,
    /// The admin's UPN (delegated), or the app's name or client id (app-only).
    pub account: String,
    pub mode: Mode,
}

impl Identity {
    pub fn cloud_label(&self) -> &'static str {
        match self.cloud {
            Cloud::Global => "global",
            Cloud::Usgov => "US Gov (GCC High)",
            Cloud::UsgovDod => "US Gov DoD",
            Cloud::China => "China (21Vianet)",
        }
    }

    /// `contoso.onmicrosoft.com (0b5e…-id)`, or just the id when that is what was given.
    pub fn tenant_label(&self) -> String {
        match &self.tenant_id {
            Some(id) if !id.eq_ignore_ascii_case(&self.tenant) => format!("{} ({id})", self.tenant),
            _ => self.tenant.clone(),
        }
    }

    /// One line for the header, e.g.
    /// `global · contoso.onmicrosoft.com (0b5e…) · admin@contoso.com (delegated)`.
    pub fn header(&self) -> String {
        format!(
            "{} · {} · {} ({})",
            self.cloud_label(),
            self.tenant_label(),
            self.account,
            self.mode.label()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings as the binary would read them from these options.
    fn args(extra: &[&str]) -> Settings {
        let mut s = Settings {
            data_dir: Some("/tmp/undelete-auth-unit".into()),
            ..Settings::default()
        };
        for pair in extra.chunks(2) {
            let value = pair[1].to_string();
            match pair[0] {
                "--tenant" => s.tenant = Some(value),
                "--client-id" => s.client_id = Some(value),
                "--certificate" => s.certificate = Some(value.into()),
                "--graph-url" => s.graph_url = Some(value),
                "--login-url" => s.login_url = Some(value),
                "--cloud" => {
                    s.cloud = Cloud::ALL
                        .into_iter()
                        .find(|c| c.name() == value)
                        .unwrap_or_else(|| panic!("no cloud {value}"));
                }
                other => panic!("no option {other} here"),
            }
        }
        s
    }

    #[test]
    fn national_cloud_scopes_carry_the_graph_resource() {
        assert_eq!(delegated_scopes(Cloud::Global), DELEGATED_SCOPES);
        let us = delegated_scopes(Cloud::Usgov);
        assert!(
            us.contains("https://graph.microsoft.us/User.DeleteRestore.All"),
            "{us}"
        );
        assert!(us.split(' ').any(|s| s == "offline_access"), "{us}");
        let dod = delegated_scopes(Cloud::UsgovDod);
        assert!(
            dod.starts_with("https://dod-graph.microsoft.us/User.Read.All"),
            "{dod}"
        );
        let cn = delegated_scopes(Cloud::China);
        assert!(
            cn.contains("https://microsoftgraph.chinacloudapi.cn/Mail.Send"),
            "{cn}"
        );
    }

    #[test]
    fn method_and_usage_errors() {
        let secret = || Some(SecretString::from("s".to_string()));
        let e = AuthContext::build(&args(&[]), None).err();
        assert!(matches!(e, Some(AuthError::Config(m)) if m.contains("--tenant")));
        let ctx = AuthContext::build(&args(&["--tenant", "contoso.com"]), None);
        assert!(
            ctx.is_ok_and(|c| *c.method() == Method::Delegated && c.client_id == DEFAULT_CLIENT_ID)
        );
        let e = AuthContext::build(&args(&["--tenant", "contoso.com"]), secret()).err();
        assert!(matches!(e, Some(AuthError::Config(m)) if m.contains("--client-id")));
        let ctx = AuthContext::build(&args(&["--tenant", "t", "--client-id", "c"]), secret());
        assert!(ctx.is_ok_and(|c| *c.method() == Method::ClientSecret));
        let both = args(&[
            "--tenant",
            "t",
            "--client-id",
            "c",
            "--certificate",
            "x.pem",
        ]);
        let e = AuthContext::build(&both, secret()).err();
        assert!(matches!(e, Some(AuthError::Config(m)) if m.contains("choose one")));
        let e = AuthContext::build(&args(&["--tenant", "a/b"]), None).err();
        assert!(matches!(e, Some(AuthError::Config(_))));
        let e = AuthContext::build(
            &args(&["--tenant", "t", "--login-url", "http://login.example"]),
            None,
        )
        .err();
        assert!(matches!(e, Some(AuthError::Config(m)) if m.contains("loopback")));
    }

    #[test]
    fn cloud_table_sets_both_hosts() {
        for (cloud, login, graph) in [
            (
                "global",
                "https://login.microsoftonline.com/",
                "https://graph.microsoft.com/",
            ),
            (
                "usgov",
                "https://login.microsoftonline.us/",
                "https://graph.microsoft.us/",
            ),
            (
                "usgov-dod",
                "https://login.microsoftonline.us/",
                "https://dod-graph.microsoft.us/",
            ),
            (
                "china",
                "https://login.chinacloudapi.cn/",
                "https://microsoftgraph.chinacloudapi.cn/",
            ),
        ] {
            let ctx = AuthContext::build(&args(&["--tenant", "t", "--cloud", cloud]), None)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(ctx.endpoints.login.as_str(), login, "{cloud}");
            assert_eq!(ctx.endpoints.graph.as_str(), graph, "{cloud}");
            assert_eq!(ctx.cloud_key, cloud);
            assert_eq!(
                ctx.endpoints.token_url(),
                format!("{login}t/oauth2/v2.0/token"),
                "{cloud}"
            );
        }
        // Overrides win over the cloud's hosts, and move the cache key.
        let ctx = AuthContext::build(
            &args(&[
                "--tenant",
                "t",
                "--cloud",
                "china",
                "--graph-url",
                "https://proxy.example/g",
                "--login-url",
                "http://127.0.0.1:9",
            ]),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ctx.endpoints.graph.as_str(), "https://proxy.example/g");
        assert_eq!(
            ctx.endpoints.device_code_url(),
            "http://127.0.0.1:9/t/oauth2/v2.0/devicecode"
        );
        assert_eq!(ctx.cloud_key, "china@http://127.0.0.1:9");
    }

    #[test]
    fn identity_labels() {
        let id = Identity {
            cloud: Cloud::Usgov,
            tenant: "contoso.onmicrosoft.us".into(),
            tenant_id: Some("tid-1".into()),
            account: "admin@contoso.us".into(),
            mode: Mode::Delegated,
        };
        assert_eq!(
            id.header(),
            "US Gov (GCC High) · contoso.onmicrosoft.us (tid-1) · admin@contoso.us (delegated)"
        );
        let id = Identity {
            tenant: "tid-1".into(),
            mode: Mode::AppOnly,
            ..id
        };
        assert_eq!(id.tenant_label(), "tid-1");
        assert!(id.header().ends_with("(app-only)"));
    }
}
