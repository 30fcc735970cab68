//! The tenants one running sandbox serves, and who may sign in where: which tenant a request
//! is for (the authority in a login path, the `tid` of a Graph call's token), the partner's
//! GDAP relationships with its customers, and the tenants that refuse every sign-in.
//!
//! Each tenant is a `Shared` of its own (its store, ids, domains, device codes, write quota)
//! with a router of its own, so every Graph handler answers from one tenant's store and never
//! sees another's. One tenant behaves as the sandbox always has: any authority names it.

use std::collections::HashMap;
use std::sync::{OnceLock, Weak};

use axum::http::HeaderMap;

use super::routes::USER_ADMINISTRATOR;
use super::state::{AppState, Shared};

/// Privileged Authentication Administrator (template id): resets any user's password and
/// manages authentication methods (Temporary Access Passes).
pub const PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: &str = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13";

/// The directory roles a GDAP relationship grants the partner's users in a customer tenant
/// (`wids` of their tokens there): enough to restore, purge and reset passwords of any user and
/// to issue Temporary Access Passes, and nothing of Global Administrator's.
pub const GDAP_ROLES: &[&str] = &[USER_ADMINISTRATOR, PRIVILEGED_AUTHENTICATION_ADMINISTRATOR];

/// The authorities that name no tenant: Entra signs a user in at its home tenant there.
pub fn is_multi_tenant_alias(authority: &str) -> bool {
    ["common", "organizations", "consumers"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(authority))
}

/// Which GDAP part a tenant plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gdap {
    /// No relationship: only its own users sign in to it.
    None,
    /// The partner's own tenant: its users' refresh tokens are redeemed at its customers.
    PartnerHome,
    /// A customer of the partner: the partner's users get tokens for it.
    Customer,
}

/// One tenant as a client of the sandbox (or an app embedding it) needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInfo {
    /// The tenant id (a GUID): `tid` of its tokens.
    pub id: String,
    /// Its default verified domain, e.g. `fabrikam.sandbox`; an authority too.
    pub domain: String,
    /// Its display name, e.g. "Fabrikam (sandbox)", as `/organization` says it.
    pub name: String,
    /// The Global Administrator device codes sign in: `admin@<domain>`.
    pub admin_upn: String,
    /// Every token request at its authority is refused with AADSTS53003 (`--refuse-tenant`).
    pub refuses_sign_in: bool,
    pub gdap: Gdap,
}

/// The partner and its customers, by tenant index.
#[derive(Debug, Clone)]
pub struct Partnership {
    pub home: usize,
    pub customers: Vec<usize>,
}

/// Every tenant of a running sandbox, in seeding order (the first is Contoso).
pub struct Tenancy {
    infos: Vec<TenantInfo>,
    /// Tenant ids and verified domains, lower-cased, to the tenant's index.
    names: HashMap<String, usize>,
    /// Each tenant's state, set once they all exist (weak: each state holds this tenancy).
    members: OnceLock<Vec<Weak<Shared>>>,
    partner: Option<Partnership>,
}

/// What a request's path and token say about its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    Tenant(usize),
    /// A login path naming a tenant this sandbox does not serve.
    UnknownAuthority(String),
}

impl Tenancy {
    /// `verified`: each tenant's verified domains, in the order of `infos`.
    pub fn new(
        infos: Vec<TenantInfo>,
        verified: &[Vec<String>],
        partner: Option<Partnership>,
    ) -> Self {
        let mut names = HashMap::new();
        for (i, info) in infos.iter().enumerate() {
            names.insert(info.id.to_ascii_lowercase(), i);
            for d in verified.get(i).into_iter().flatten() {
                names.insert(d.to_ascii_lowercase(), i);
            }
        }
        let mut infos = infos;
        if let Some(p) = &partner {
            for (i, info) in infos.iter_mut().enumerate() {
                info.gdap = if i == p.home {
                    Gdap::PartnerHome
                } else if p.customers.contains(&i) {
                    Gdap::Customer
                } else {
                    Gdap::None
                };
            }
        }
        Self {
            infos,
            names,
            members: OnceLock::new(),
            partner,
        }
    }

    /// Hands over every tenant's state, in the order of `infos`.
    pub fn set_members(&self, members: &[AppState]) {
        let _ = self
            .members
            .set(members.iter().map(std::sync::Arc::downgrade).collect());
    }

    pub fn infos(&self) -> &[TenantInfo] {
        &self.infos
    }

    /// The tenant with this id or verified domain (any case).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.names.get(&name.to_ascii_lowercase()).copied()
    }

    /// One tenant answers for every name, as the sandbox did before it had several.
    pub fn is_single(&self) -> bool {
        self.infos.len() == 1
    }

    /// The tenant of requests that name none (`/common`, Graph without a token): the partner's
    /// home in partner mode, else the first.
    pub fn home(&self) -> usize {
        self.partner.as_ref().map_or(0, |p| p.home)
    }

    /// The tenant an authority (`/{authority}/oauth2/...`) names; `None`: no such tenant.
    pub fn authority(&self, authority: &str) -> Option<usize> {
        if self.is_single() {
            return Some(0);
        }
        if is_multi_tenant_alias(authority) {
            return Some(self.home());
        }
        self.find(authority)
    }

    /// The running state of tenant `i`.
    pub fn member(&self, i: usize) -> Option<AppState> {
        self.members.get()?.get(i)?.upgrade()
    }

    pub fn refuses(&self, i: usize) -> bool {
        self.infos.get(i).is_some_and(|t| t.refuses_sign_in)
    }

    /// The directory roles a user of tenant `home` holds in tenant `target` through GDAP;
    /// `None`: no relationship, so such a user cannot sign in there.
    pub fn gdap_roles(&self, home: usize, target: usize) -> Option<Vec<String>> {
        let p = self.partner.as_ref()?;
        (p.home == home && p.customers.contains(&target))
            .then(|| GDAP_ROLES.iter().map(|r| r.to_string()).collect())
    }

    /// The tenant a request is for: a login path's authority, else the `tid` of its bearer
    /// token (read unverified: the tenant's own extractor verifies it and refuses a token whose
    /// `tid` is not its own), else the home tenant.
    pub fn pick(&self, path: &str, headers: &HeaderMap) -> Pick {
        if self.is_single() {
            return Pick::Tenant(0);
        }
        if let Some(authority) = login_authority(path) {
            return match self.authority(authority) {
                Some(i) => Pick::Tenant(i),
                None => Pick::UnknownAuthority(authority.to_string()),
            };
        }
        let tid = super::token::unverified_tid(super::token::bearer(headers));
        Pick::Tenant(tid.and_then(|t| self.find(&t)).unwrap_or(self.home()))
    }
}

/// The authority of a login path: `/{authority}/oauth2/...`, `/{authority}/v2.0/...`,
/// `/{authority}/.well-known/...`, `/{authority}/discovery/...` (MSAL's
/// `/common/discovery/instance` names no tenant).
fn login_authority(path: &str) -> Option<&str> {
    let mut segments = path.trim_start_matches('/').split('/');
    let authority = segments.next().filter(|s| !s.is_empty())?;
    let next = segments.next()?;
    if next == "discovery" && segments.next() == Some("instance") {
        return None;
    }
    ["oauth2", "v2.0", ".well-known", "discovery"]
        .contains(&next)
        .then_some(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str, domain: &str) -> TenantInfo {
        TenantInfo {
            id: id.into(),
            domain: domain.into(),
            name: domain.into(),
            admin_upn: format!("admin@{domain}"),
            refuses_sign_in: false,
            gdap: Gdap::None,
        }
    }

    fn three(partner: Option<Partnership>) -> Tenancy {
        let infos = vec![
            info("aaaa", "contoso.sandbox"),
            info("bbbb", "fabrikam.sandbox"),
            info("cccc", "northwind.sandbox"),
        ];
        let verified: Vec<Vec<String>> = infos
            .iter()
            .map(|t| {
                let name = t.domain.split('.').next().unwrap_or("");
                vec![t.domain.clone(), format!("{name}.onmicrosoft.com")]
            })
            .collect();
        Tenancy::new(infos, &verified, partner)
    }

    fn bearer_for(tid: &str) -> HeaderMap {
        use base64::Engine;
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::json!({ "tid": tid }).to_string());
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::AUTHORIZATION,
            format!("Bearer e30.{claims}.sig").parse().expect("header"),
        );
        h
    }

    #[test]
    fn authorities_name_tenants_by_id_or_verified_domain() {
        let t = three(None);
        assert_eq!(t.authority("FABRIKAM.sandbox"), Some(1));
        assert_eq!(t.authority("northwind.onmicrosoft.com"), Some(2));
        assert_eq!(t.authority("bbbb"), Some(1));
        assert_eq!(t.authority("common"), Some(0));
        assert_eq!(t.authority("organizations"), Some(0));
        assert_eq!(t.authority("fabrikam"), None);
        assert_eq!(t.authority("sandbox"), None);
        // Partner mode: an authority naming no tenant is the partner's home.
        let p = three(Some(Partnership {
            home: 2,
            customers: vec![1],
        }));
        assert_eq!(p.authority("common"), Some(2));
        assert_eq!(p.infos()[2].gdap, Gdap::PartnerHome);
        assert_eq!(p.infos()[1].gdap, Gdap::Customer);
        assert_eq!(p.infos()[0].gdap, Gdap::None);
        assert_eq!(p.gdap_roles(2, 1).map(|r| r.len()), Some(GDAP_ROLES.len()));
        assert_eq!(p.gdap_roles(2, 0), None);
        assert_eq!(p.gdap_roles(1, 2), None);
    }

    #[test]
    fn one_tenant_answers_for_every_name() {
        let one = Tenancy::new(
            vec![info("aaaa", "contoso.sandbox")],
            &[vec!["contoso.sandbox".into()]],
            None,
        );
        assert_eq!(one.authority("anything"), Some(0));
        assert_eq!(
            one.pick("/sandbox/oauth2/v2.0/token", &HeaderMap::new()),
            Pick::Tenant(0)
        );
    }

    #[test]
    fn requests_are_picked_by_authority_then_token_then_home() {
        let t = three(None);
        let none = HeaderMap::new();
        assert_eq!(
            t.pick("/fabrikam.sandbox/oauth2/v2.0/token", &none),
            Pick::Tenant(1)
        );
        assert_eq!(
            t.pick("/cccc/v2.0/.well-known/openid-configuration", &none),
            Pick::Tenant(2)
        );
        assert_eq!(t.pick("/bbbb/discovery/keys", &none), Pick::Tenant(1));
        assert_eq!(
            t.pick("/nowhere.example/oauth2/token", &none),
            Pick::UnknownAuthority("nowhere.example".into())
        );
        assert_eq!(t.pick("/common/discovery/instance", &none), Pick::Tenant(0));
        assert_eq!(t.pick("/v1.0/users", &bearer_for("cccc")), Pick::Tenant(2));
        assert_eq!(t.pick("/tenants", &bearer_for("bbbb")), Pick::Tenant(1));
        // No token, a token of no tenant here, or no token at all: the home tenant, whose
        // extractor answers 401.
        assert_eq!(t.pick("/v1.0/users", &none), Pick::Tenant(0));
        assert_eq!(t.pick("/v1.0/users", &bearer_for("zzzz")), Pick::Tenant(0));
        assert_eq!(t.pick("/msi/token", &none), Pick::Tenant(0));
    }
}
