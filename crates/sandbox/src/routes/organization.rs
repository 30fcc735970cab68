//! `GET /organization` (and `/organization/{id}`): the tenant as Graph describes it, its id,
//! name and verified domains, which many tools read first
//! (learn.microsoft.com/graph/api/organization-list, resource:
//! learn.microsoft.com/graph/api/resources/organization).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Map, Value, json};

use super::require_route;
use super::shape::Shape;
use crate::error::{ApiError, ApiResult};
use crate::odata;
use crate::permissions::Route;
use crate::state::AppState;
use crate::token::Caller;

/// The properties the sandbox writes, in Graph's order.
const PROPS: &[&str] = &[
    "id",
    "deletedDateTime",
    "businessPhones",
    "city",
    "country",
    "countryLetterCode",
    "createdDateTime",
    "defaultUsageLocation",
    "displayName",
    "marketingNotificationEmails",
    "onPremisesLastSyncDateTime",
    "onPremisesSyncEnabled",
    "postalCode",
    "preferredLanguage",
    "securityComplianceNotificationMails",
    "securityComplianceNotificationPhones",
    "state",
    "street",
    "technicalNotificationMails",
    "tenantType",
    "assignedPlans",
    "provisionedPlans",
    "verifiedDomains",
];

fn organization(state: &AppState, select: &[&'static str]) -> ApiResult<Value> {
    let seeded_at = state.db().meta("seeded_at")?;
    let admin = state.admin_upn();
    let mut m = Map::with_capacity(select.len());
    for &p in select {
        let v = match p {
            "id" => json!(state.tenant_id),
            "displayName" => json!(state.name),
            "countryLetterCode" | "defaultUsageLocation" => json!(crate::COUNTRY),
            "country" => json!("United States"),
            "createdDateTime" => json!(seeded_at),
            "preferredLanguage" => json!("en"),
            "tenantType" => json!("AAD"),
            // Some seeded users are synced from an on-premises directory.
            "onPremisesSyncEnabled" => json!(true),
            "technicalNotificationMails" => json!([admin]),
            "businessPhones"
            | "marketingNotificationEmails"
            | "securityComplianceNotificationMails"
            | "securityComplianceNotificationPhones"
            | "assignedPlans"
            | "provisionedPlans" => json!([]),
            "verifiedDomains" => Value::Array(
                state
                    .domains
                    .iter()
                    .filter(|d| d.is_verified)
                    .map(|d| {
                        json!({
                            "capabilities": if d.is_initial { "Email, OfficeCommunicationsOnline" } else { "Email" },
                            "isDefault": d.is_default,
                            "isInitial": d.is_initial,
                            "name": d.id,
                            "type": "Managed",
                        })
                    })
                    .collect(),
            ),
            _ => Value::Null,
        };
        m.insert(p.to_string(), v);
    }
    Ok(Value::Object(m))
}

fn select(raw: Option<&str>) -> ApiResult<(Vec<&'static str>, bool)> {
    let mut out = (PROPS.to_vec(), false);
    for (key, value) in odata::query_pairs(raw)? {
        match key.to_ascii_lowercase().trim_start_matches('$') {
            "select" => {
                let mut props = Vec::new();
                for n in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let p = PROPS
                        .iter()
                        .copied()
                        .find(|p| p.eq_ignore_ascii_case(n))
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                "Request_BadRequest",
                                format!(
                                    "Could not find a property named '{n}' on type 'microsoft.graph.organization'."
                                ),
                            )
                        })?;
                    if !props.contains(&p) {
                        props.push(p);
                    }
                }
                out = (props, true);
            }
            other if key.starts_with('$') => {
                return Err(odata::unsupported(format!(
                    "Query option '${other}' is not supported on organization by this sandbox."
                )));
            }
            _ => {}
        }
    }
    Ok(out)
}

pub async fn list(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::ListOrganization)?;
    let (props, explicit) = select(raw.as_deref())?;
    let mut v = json!({ "value": [organization(&state, &props)?] });
    shape.annotate(&mut v, "organization", explicit.then_some(props.as_slice()));
    Ok(Json(v))
}

pub async fn get_one(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::ListOrganization)?;
    if !id.eq_ignore_ascii_case(&state.tenant_id) {
        return Err(ApiError::not_found(&id));
    }
    let (props, explicit) = select(raw.as_deref())?;
    let mut v = organization(&state, &props)?;
    shape.annotate(
        &mut v,
        "organization/$entity",
        explicit.then_some(props.as_slice()),
    );
    Ok(Json(v))
}
