//! `GET /v1.0/domains` and `/v1.0/domains/{id}`: the tenant's domains, so a client can check a
//! new UPN's domain against the verified ones (https://learn.microsoft.com/graph/api/domain-list,
//! resource: https://learn.microsoft.com/graph/api/resources/domain).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Map, Value, json};

use super::require_route;
use crate::error::{ApiError, ApiResult};
use crate::odata;
use crate::permissions::Route;
use crate::state::AppState;
use crate::token::Caller;

/// One domain of the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub id: String,
    pub is_default: bool,
    pub is_initial: bool,
    pub is_verified: bool,
}

/// The sandbox tenant's domains: `primary` (where its users live: verified, default), the
/// initial `<name>.onmicrosoft.com` (verified), and one added but never verified, so clients
/// can be tested to refuse it.
pub fn tenant_domains(primary: &str) -> Vec<Domain> {
    let name = primary.split('.').next().unwrap_or(primary);
    vec![
        Domain {
            id: primary.to_ascii_lowercase(),
            is_default: true,
            is_initial: false,
            is_verified: true,
        },
        Domain {
            id: format!("{name}.onmicrosoft.com").to_ascii_lowercase(),
            is_default: false,
            is_initial: true,
            is_verified: true,
        },
        Domain {
            id: format!("{name}-new.example").to_ascii_lowercase(),
            is_default: false,
            is_initial: false,
            is_verified: false,
        },
    ]
}

/// Properties of `microsoft.graph.domain`, in the order Graph writes them.
pub const PROPS: &[&str] = &[
    "authenticationType",
    "availabilityStatus",
    "id",
    "isAdminManaged",
    "isDefault",
    "isInitial",
    "isRoot",
    "isVerified",
    "passwordNotificationWindowInDays",
    "passwordValidityPeriodInDays",
    "supportedServices",
    "state",
];

fn domain_json(d: &Domain, select: Option<&[&'static str]>) -> Value {
    let props = select.unwrap_or(PROPS);
    let mut m = Map::with_capacity(props.len());
    for &p in props {
        let v = match p {
            "authenticationType" => json!("Managed"),
            "availabilityStatus" | "state" => Value::Null,
            "id" => json!(d.id),
            "isAdminManaged" => json!(true),
            "isDefault" => json!(d.is_default),
            "isInitial" => json!(d.is_initial),
            // "false if the domain is a subdomain or unverified".
            "isRoot" => json!(d.is_verified),
            "isVerified" => json!(d.is_verified),
            "passwordNotificationWindowInDays" => json!(14),
            "passwordValidityPeriodInDays" => json!(2_147_483_647),
            "supportedServices" => {
                if d.is_verified {
                    json!(["Email", "OfficeCommunicationsOnline"])
                } else {
                    json!([])
                }
            }
            _ => continue,
        };
        m.insert(p.to_string(), v);
    }
    Value::Object(m)
}

/// `$select` of a domain request; any other system query option is refused, as the sandbox
/// does not model it.
fn select(raw: Option<&str>) -> ApiResult<Option<Vec<&'static str>>> {
    let mut out = None;
    for (key, value) in odata::query_pairs(raw)? {
        let name = key.strip_prefix('$').unwrap_or(&key).to_ascii_lowercase();
        match name.as_str() {
            "select" => {
                let mut props = Vec::new();
                for n in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let p = PROPS
                        .iter()
                        .copied()
                        .find(|p| p.eq_ignore_ascii_case(n))
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                "BadRequest",
                                format!(
                                    "Could not find a property named '{n}' on type 'microsoft.graph.domain'."
                                ),
                            )
                        })?;
                    if !props.contains(&p) {
                        props.push(p);
                    }
                }
                out = Some(props);
            }
            _ if key.starts_with('$') => {
                return Err(ApiError::bad_request(
                    "Request_UnsupportedQuery",
                    format!("Query option '{key}' is not supported on domains by this sandbox."),
                ));
            }
            _ => {}
        }
    }
    Ok(out)
}

pub async fn list(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: super::shape::Shape,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::ListDomains)?;
    let select = select(raw.as_deref())?;
    let value: Vec<Value> = state
        .domains
        .iter()
        .map(|d| domain_json(d, select.as_deref()))
        .collect();
    let mut v = json!({ "value": value });
    shape.annotate(&mut v, "domains", select.as_deref());
    Ok(Json(v))
}

pub async fn get_one(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: super::shape::Shape,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::GetDomain)?;
    let select = select(raw.as_deref())?;
    let d = state
        .domains
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(&id))
        .ok_or_else(|| ApiError::not_found(&id))?;
    let mut v = domain_json(d, select.as_deref());
    shape.annotate(&mut v, "domains/$entity", select.as_deref());
    Ok(Json(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_has_a_default_an_initial_and_an_unverified_domain() {
        let d = tenant_domains("contoso.sandbox");
        let ids: Vec<&str> = d.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "contoso.sandbox",
                "contoso.onmicrosoft.com",
                "contoso-new.example"
            ]
        );
        assert_eq!(d.iter().filter(|d| d.is_default).count(), 1);
        assert_eq!(d.iter().filter(|d| d.is_initial).count(), 1);
        assert!(!d[2].is_verified && !d[2].is_default);
    }
}
