//! What comes back with a user: the tenant's `subscribedSkus`, a user's `licenseDetails`,
//! `memberOf` and its `$count`, and the `usageLocation` / `assignedLicenses` properties.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{eventual, require_route};
use crate::error::{ApiError, ApiResult};
use crate::permissions::Route;
use crate::state::AppState;
use crate::token::Caller;

pub async fn subscribed_skus(
    State(state): State<AppState>,
    shape: super::shape::Shape,
    Caller(claims): Caller,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::ListSubscribedSkus)?;
    let tenant = state.tenant_id.clone();
    let value: Vec<Value> = state
        .db()
        .skus()?
        .into_iter()
        .map(|s| {
            json!({
                "accountId": tenant,
                "accountName": state.account_name,
                "appliesTo": "User",
                "capabilityStatus": "Enabled",
                "consumedUnits": s.consumed,
                "id": format!("{tenant}_{}", s.sku_id),
                "skuId": s.sku_id,
                "skuPartNumber": s.part_number,
                "subscriptionIds": [],
                "prepaidUnits": {"enabled": s.enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
                "servicePlans": [],
            })
        })
        .collect();
    let mut v = json!({"value": value});
    shape.annotate(&mut v, "subscribedSkus", None);
    Ok(Json(v))
}

/// The active user's id, 404 for anyone else (deleted users have no licence details here).
fn active_id(state: &AppState, id: &str) -> ApiResult<String> {
    state
        .db()
        .active(&id.to_lowercase())?
        .map(|u| u.id)
        .ok_or_else(|| ApiError::not_found(id))
}

pub async fn license_details(
    State(state): State<AppState>,
    shape: super::shape::Shape,
    Caller(claims): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::ListLicenseDetails)?;
    let user = active_id(&state, &id)?;
    let value: Vec<Value> = state
        .db()
        .licences(&user)?
        .into_iter()
        .map(|(sku, part)| {
            json!({
                "id": format!("{sku}_{user}"),
                "skuId": sku,
                "skuPartNumber": part,
                "servicePlans": service_plans(&part),
            })
        })
        .collect();
    let mut v = json!({"value": value});
    shape.annotate(&mut v, &format!("users('{user}')/licenseDetails"), None);
    Ok(Json(v))
}

/// Exchange Online (Plan 2), as Graph names the service plan.
const EXCHANGE_PLAN: (&str, &str) = (
    "efb87545-963c-4e0d-99df-69c6916d9eb0",
    "EXCHANGE_S_ENTERPRISE",
);

/// Whether a product of the seed includes Exchange Online: Office 365 E3 and Microsoft 365
/// E5 do; EMS and Power BI Pro do not.
pub(crate) fn has_exchange(part_number: &str) -> bool {
    matches!(part_number, "ENTERPRISEPACK" | "SPE_E5")
}

/// The service plans of a licence the seed knows; only Exchange's is modelled.
fn service_plans(part_number: &str) -> Value {
    if has_exchange(part_number) {
        json!([{
            "servicePlanId": EXCHANGE_PLAN.0,
            "servicePlanName": EXCHANGE_PLAN.1,
            "provisioningStatus": "Success",
            "appliesTo": "User",
        }])
    } else {
        json!([])
    }
}

/// `GET /users/{id}/mailboxSettings`: a user holding a licence with Exchange Online has a
/// mailbox; any other is Exchange's 404 `MailboxNotEnabledForRESTAPI`, as Graph answers.
pub async fn mailbox_settings(
    State(state): State<AppState>,
    shape: super::shape::Shape,
    Caller(claims): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::GetMailboxSettings)?;
    let user = active_id(&state, &id)?;
    let licences = state.db().licences(&user)?;
    if !licences.iter().any(|(_, part)| has_exchange(part)) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        ));
    }
    let mut v = json!({
        "archiveFolder": null,
        "timeZone": "UTC",
        "language": { "locale": "en-US", "displayName": "English (United States)" },
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "userPurpose": "user",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "automaticRepliesSetting": { "status": "disabled", "externalAudience": "all" },
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": { "name": "UTC" },
        },
    });
    shape.annotate(&mut v, &format!("users('{user}')/mailboxSettings"), None);
    Ok(Json(v))
}

pub async fn member_of(
    State(state): State<AppState>,
    shape: super::shape::Shape,
    Caller(claims): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::ListMemberOf)?;
    let user = active_id(&state, &id)?;
    let value: Vec<Value> = state
        .db()
        .groups_of(&user)?
        .into_iter()
        .map(|(gid, name)| {
            json!({"@odata.type": "#microsoft.graph.group", "id": gid, "displayName": name})
        })
        .collect();
    let mut v = json!({"value": value});
    shape.annotate(&mut v, "directoryObjects", None);
    Ok(Json(v))
}

/// `$count` is an advanced query: Graph refuses it without `ConsistencyLevel: eventual`, and
/// answers with the bare number as text.
pub async fn member_of_count(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    require_route(&claims, Route::CountMemberOf)?;
    if !eventual(&headers) {
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            "Count is not currently supported without the ConsistencyLevel:eventual header.",
        ));
    }
    let user = active_id(&state, &id)?;
    let n = state.db().groups_of(&user)?.len();
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain")],
        n.to_string(),
    )
        .into_response())
}

/// Adds `usageLocation` and `assignedLicenses` to a user's JSON when they were selected.
pub fn decorate(state: &AppState, id: &str, select: Option<&[&'static str]>, v: &mut Value) {
    let Some(select) = select else {
        return;
    };
    let db = state.db();
    if select.contains(&"usageLocation") {
        v["usageLocation"] = json!(db.usage_location(id).ok().flatten());
    }
    if select.contains(&"assignedLicenses") {
        let licences: Vec<Value> = db
            .licences(id)
            .unwrap_or_default()
            .into_iter()
            .map(|(sku, _)| json!({"disabledPlans": [], "skuId": sku}))
            .collect();
        v["assignedLicenses"] = json!(licences);
    }
}
