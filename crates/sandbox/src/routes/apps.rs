//! `GET /servicePrincipals` and `/applications` (and one of each by object id), read-only: the
//! apps the tenant knows. That is the sandbox's own app registration ("undelete"), every app
//! the audit log names as having acted (the seeded "HR Offboarding Automation", and any app
//! that deleted a user here), and the calling app itself, whose service principal must exist
//! in the tenant for it to have a token at all. Shapes:
//! learn.microsoft.com/graph/api/resources/serviceprincipal and
//! learn.microsoft.com/graph/api/resources/application; `$filter` as Azure CLI sends it
//! (`appId eq`, `displayName eq`, `startswith(displayName, ...)`,
//! `servicePrincipalNames/any(c:c eq ...)`), `$select`, `$top`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Map, Value, json};

use super::require_route;
use super::shape::Shape;
use crate::error::{ApiError, ApiResult};
use crate::login::{app_display_name, derived_id, service_principal_id};
use crate::odata;
use crate::permissions::Route;
use crate::state::AppState;
use crate::token::Caller;

/// The sandbox's own app registration: what an admin registers to run undelete.
const OWN_APP_NAME: &str = "undelete";

/// One app of the tenant: its registration and its service principal.
#[derive(Debug, Clone)]
struct App {
    app_id: String,
    display_name: String,
    sp_id: String,
    object_id: String,
}

fn apps(state: &AppState, caller_app: &str) -> ApiResult<Vec<App>> {
    let tenant = &state.tenant_id;
    let own = derived_id(&["application", tenant, OWN_APP_NAME]);
    let mut out = vec![App {
        display_name: OWN_APP_NAME.to_string(),
        sp_id: service_principal_id(tenant, &own),
        object_id: derived_id(&["application-object", tenant, &own]),
        app_id: own,
    }];
    for (app_id, display_name, sp_id) in state.db().audit_apps()? {
        out.push(App {
            object_id: derived_id(&["application-object", tenant, &app_id.to_lowercase()]),
            display_name,
            sp_id,
            app_id,
        });
    }
    if !caller_app.is_empty() {
        out.push(App {
            display_name: app_display_name(caller_app),
            sp_id: service_principal_id(tenant, caller_app),
            object_id: derived_id(&["application-object", tenant, &caller_app.to_lowercase()]),
            app_id: caller_app.to_string(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|a| seen.insert(a.app_id.to_lowercase()));
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ServicePrincipal,
    Application,
}

impl Kind {
    fn set(self) -> &'static str {
        match self {
            Self::ServicePrincipal => "servicePrincipals",
            Self::Application => "applications",
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Self::ServicePrincipal => "servicePrincipal",
            Self::Application => "application",
        }
    }

    /// The properties the sandbox writes, in Graph's order; all are in the default set.
    fn props(self) -> &'static [&'static str] {
        match self {
            Self::ServicePrincipal => &[
                "id",
                "deletedDateTime",
                "accountEnabled",
                "alternativeNames",
                "appDisplayName",
                "appDescription",
                "appId",
                "appOwnerOrganizationId",
                "appRoleAssignmentRequired",
                "appRoles",
                "description",
                "displayName",
                "homepage",
                "keyCredentials",
                "notificationEmailAddresses",
                "oauth2PermissionScopes",
                "passwordCredentials",
                "replyUrls",
                "servicePrincipalNames",
                "servicePrincipalType",
                "signInAudience",
                "tags",
            ],
            Self::Application => &[
                "id",
                "deletedDateTime",
                "appId",
                "appRoles",
                "createdDateTime",
                "description",
                "displayName",
                "identifierUris",
                "isFallbackPublicClient",
                "keyCredentials",
                "passwordCredentials",
                "publisherDomain",
                "requiredResourceAccess",
                "signInAudience",
                "tags",
            ],
        }
    }

    fn route(self, one: bool) -> Route {
        match (self, one) {
            (Self::ServicePrincipal, false) => Route::ListServicePrincipals,
            (Self::ServicePrincipal, true) => Route::GetServicePrincipal,
            (Self::Application, false) => Route::ListApplications,
            (Self::Application, true) => Route::GetApplication,
        }
    }
}

fn prop(kind: Kind, a: &App, state: &AppState, p: &str) -> Option<Value> {
    let empty = || json!([]);
    Some(match (kind, p) {
        (Kind::ServicePrincipal, "id") => json!(a.sp_id),
        (Kind::Application, "id") => json!(a.object_id),
        (_, "deletedDateTime" | "description") => Value::Null,
        (_, "appId") => json!(a.app_id),
        (_, "displayName") => json!(a.display_name),
        (_, "signInAudience") => json!("AzureADMyOrg"),
        (
            _,
            "appRoles"
            | "keyCredentials"
            | "passwordCredentials"
            | "tags"
            | "alternativeNames"
            | "notificationEmailAddresses"
            | "oauth2PermissionScopes"
            | "replyUrls"
            | "identifierUris"
            | "requiredResourceAccess",
        ) => empty(),
        (Kind::ServicePrincipal, "accountEnabled") => json!(true),
        (Kind::ServicePrincipal, "appDisplayName") => json!(a.display_name),
        (Kind::ServicePrincipal, "appDescription" | "homepage") => Value::Null,
        (Kind::ServicePrincipal, "appOwnerOrganizationId") => json!(state.tenant_id),
        (Kind::ServicePrincipal, "appRoleAssignmentRequired") => json!(false),
        (Kind::ServicePrincipal, "servicePrincipalNames") => json!([a.app_id]),
        (Kind::ServicePrincipal, "servicePrincipalType") => json!("Application"),
        (Kind::Application, "createdDateTime") => Value::Null,
        (Kind::Application, "isFallbackPublicClient") => json!(false),
        (Kind::Application, "publisherDomain") => json!(state.domain),
        _ => return None,
    })
}

fn render(kind: Kind, a: &App, state: &AppState, select: &[&'static str]) -> Value {
    let mut m = Map::with_capacity(select.len());
    for &p in select {
        if let Some(v) = prop(kind, a, state, p) {
            m.insert(p.to_string(), v);
        }
    }
    Value::Object(m)
}

/// One clause of the `$filter`s Azure CLI and the SDKs send for apps.
#[derive(Debug, PartialEq)]
enum Clause {
    Eq(&'static str, String),
    StartsWith(&'static str, String),
    NameAny(String),
}

fn unsupported(kind: Kind, filter: &str) -> ApiError {
    odata::unsupported(format!(
        "The sandbox filters {} by appId, displayName (eq, startswith) and servicePrincipalNames/any(...) only, joined by 'and'; '{filter}' is not one of those.",
        kind.set()
    ))
}

/// A quoted OData string literal (`''` is a quote inside).
fn literal(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

fn clause(kind: Kind, text: &str) -> Option<Clause> {
    let t = text.trim();
    let field = |name: &str| match name.trim() {
        n if n.eq_ignore_ascii_case("appId") => Some("appId"),
        n if n.eq_ignore_ascii_case("displayName") => Some("displayName"),
        _ => None,
    };
    if let Some(args) = t
        .strip_prefix("startswith(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (name, value) = args.split_once(',')?;
        return Some(Clause::StartsWith(field(name)?, literal(value)?));
    }
    if kind == Kind::ServicePrincipal
        && let Some(rest) = t.strip_prefix("servicePrincipalNames/any(")
    {
        let body = rest.strip_suffix(')')?;
        let (var, cond) = body.split_once(':')?;
        let value = cond
            .trim()
            .strip_prefix(var.trim())?
            .trim()
            .strip_prefix("eq ")?;
        return Some(Clause::NameAny(literal(value)?));
    }
    let (name, value) = t.split_once(" eq ")?;
    Some(Clause::Eq(field(name)?, literal(value)?))
}

fn matches(kind: Kind, a: &App, c: &Clause) -> bool {
    let get = |f: &str| match f {
        "appId" => a.app_id.as_str(),
        _ => a.display_name.as_str(),
    };
    match c {
        Clause::Eq(f, v) => get(f).eq_ignore_ascii_case(v),
        Clause::StartsWith(f, v) => get(f).to_lowercase().starts_with(&v.to_lowercase()),
        Clause::NameAny(v) => kind == Kind::ServicePrincipal && a.app_id.eq_ignore_ascii_case(v),
    }
}

struct Query {
    select: Vec<&'static str>,
    filter: Vec<Clause>,
    top: usize,
    explicit_select: bool,
}

fn parse(kind: Kind, raw: Option<&str>) -> ApiResult<Query> {
    let mut q = Query {
        select: kind.props().to_vec(),
        filter: Vec::new(),
        top: odata::DEFAULT_TOP,
        explicit_select: false,
    };
    for (key, value) in odata::query_pairs(raw)? {
        match key.to_ascii_lowercase().trim_start_matches('$') {
            "select" => {
                let mut props = Vec::new();
                for n in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let p = kind
                        .props()
                        .iter()
                        .copied()
                        .find(|p| p.eq_ignore_ascii_case(n))
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                "Request_BadRequest",
                                format!(
                                    "Could not find a property named '{n}' on type 'microsoft.graph.{}'.",
                                    kind.type_name()
                                ),
                            )
                        })?;
                    if !props.contains(&p) {
                        props.push(p);
                    }
                }
                q.select = props;
                q.explicit_select = true;
            }
            "filter" => {
                for part in value.split(" and ") {
                    q.filter
                        .push(clause(kind, part).ok_or_else(|| unsupported(kind, &value))?);
                }
            }
            "top" => q.top = odata::parse_top(&value, odata::MAX_TOP)?,
            // The listing is a single short page: a count or an order changes nothing to it.
            "count" | "orderby" => {}
            other if key.starts_with('$') => {
                return Err(odata::unsupported(format!(
                    "Query option '${other}' is not supported on {} by this sandbox.",
                    kind.set()
                )));
            }
            _ => {}
        }
    }
    Ok(q)
}

async fn list(
    kind: Kind,
    state: AppState,
    claims: crate::token::Claims,
    shape: Shape,
    raw: Option<String>,
) -> ApiResult<Json<Value>> {
    require_route(&claims, kind.route(false))?;
    let q = parse(kind, raw.as_deref())?;
    let value: Vec<Value> = apps(&state, &claims.appid)?
        .iter()
        .filter(|a| q.filter.iter().all(|c| matches(kind, a, c)))
        .take(q.top)
        .map(|a| render(kind, a, &state, &q.select))
        .collect();
    let mut v = json!({ "value": value });
    let select = q.explicit_select.then_some(q.select.as_slice());
    shape.annotate(&mut v, kind.set(), select);
    Ok(Json(v))
}

async fn get_one(
    kind: Kind,
    state: AppState,
    claims: crate::token::Claims,
    shape: Shape,
    id: String,
    raw: Option<String>,
) -> ApiResult<Json<Value>> {
    require_route(&claims, kind.route(true))?;
    let q = parse(kind, raw.as_deref())?;
    let found = apps(&state, &claims.appid)?.into_iter().find(|a| {
        let own = match kind {
            Kind::ServicePrincipal => &a.sp_id,
            Kind::Application => &a.object_id,
        };
        own.eq_ignore_ascii_case(&id)
    });
    let a = found.ok_or_else(|| ApiError::not_found(&id))?;
    let mut v = render(kind, &a, &state, &q.select);
    let select = q.explicit_select.then_some(q.select.as_slice());
    shape.annotate(&mut v, &format!("{}/$entity", kind.set()), select);
    Ok(Json(v))
}

pub async fn list_service_principals(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    list(Kind::ServicePrincipal, state, claims, shape, raw).await
}

pub async fn list_applications(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    list(Kind::Application, state, claims, shape, raw).await
}

pub async fn get_service_principal(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    get_one(Kind::ServicePrincipal, state, claims, shape, id, raw).await
}

pub async fn get_application(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    get_one(Kind::Application, state, claims, shape, id, raw).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_clis_filters_parse() {
        let sp = Kind::ServicePrincipal;
        assert_eq!(
            clause(sp, "servicePrincipalNames/any(c:c eq 'abc')"),
            Some(Clause::NameAny("abc".into()))
        );
        assert_eq!(
            clause(sp, "startswith(displayName,'HR')"),
            Some(Clause::StartsWith("displayName", "HR".into()))
        );
        assert_eq!(
            clause(Kind::Application, "appId eq 'it''s'"),
            Some(Clause::Eq("appId", "it's".into()))
        );
        assert_eq!(
            clause(Kind::Application, "servicePrincipalNames/any(c:c eq 'x')"),
            None
        );
        assert_eq!(clause(sp, "mail eq 'x'"), None);
    }
}
