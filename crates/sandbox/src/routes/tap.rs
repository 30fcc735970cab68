//! Temporary Access Passes: the tenant's policy
//! (`/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass`)
//! and a user's passes (`/users/{id}/authentication/temporaryAccessPassMethods`), with Graph's
//! shapes and refusals. A pass is stored as a salted hash; its value is in the create reply only.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rand::Rng;
use serde_json::{Value, json};

use super::{GLOBAL_ADMINISTRATOR, require_role, require_route};
use crate::aftercare_store::TapRow;
use crate::error::{ApiError, ApiResult};
use crate::permissions::Route;
use crate::policy;
use crate::state::AppState;
use crate::token::Caller;

/// Graph's bounds of `lifetimeInMinutes`, whatever the policy says (10 minutes to 30 days).
pub const LIFETIME_BOUNDS: (i64, i64) = (10, 43_200);

/// The tenant's Temporary Access Pass policy, with Entra's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapPolicy {
    pub enabled: bool,
    pub default_lifetime: i64,
    pub min_lifetime: i64,
    pub max_lifetime: i64,
    pub default_length: usize,
    pub usable_once: bool,
}

impl TapPolicy {
    pub fn entra_default(enabled: bool) -> Self {
        Self {
            enabled,
            default_lifetime: 60,
            min_lifetime: 60,
            max_lifetime: 480,
            default_length: 8,
            usable_once: false,
        }
    }
}

/// Roles that may manage other users' authentication methods (delegated callers only).
const AUTH_METHOD_ROLES: &[&str] = &[
    GLOBAL_ADMINISTRATOR,
    "c4e39bd9-1100-46d3-8c65-fb160da0071f", // Authentication Administrator
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", // Privileged Authentication Administrator
];

/// Letters and digits without look-alikes, and a few symbols, as Entra's passes have.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789@#$%&*+=?";

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub async fn policy(
    State(state): State<AppState>,
    shape: super::shape::Shape,
    Caller(claims): Caller,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::GetTapPolicy)?;
    let p = &state.tap_policy;
    let mut v = json!({
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
        "id": "TemporaryAccessPass",
        "state": if p.enabled { "enabled" } else { "disabled" },
        "defaultLifetimeInMinutes": p.default_lifetime,
        "defaultLength": p.default_length,
        "minimumLifetimeInMinutes": p.min_lifetime,
        "maximumLifetimeInMinutes": p.max_lifetime,
        "isUsableOnce": p.usable_once,
        "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": false}],
        "excludeTargets": [],
    });
    shape.annotate(
        &mut v,
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
        None,
    );
    Ok(Json(v))
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("badRequest", message)
}

fn method_json(state: &AppState, t: &TapRow, pass: Option<&str>) -> Value {
    let start = DateTime::parse_from_rfc3339(&t.start_at)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let end = start + Duration::minutes(t.lifetime_minutes);
    let now = Utc::now();
    let (usable, reason) = if !state.tap_policy.enabled {
        (false, "DisabledByPolicy")
    } else if now < start {
        (false, "NotYetValid")
    } else if now >= end {
        (false, "Expired")
    } else {
        (true, "EnabledByPolicy")
    };
    json!({
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": t.id,
        "temporaryAccessPass": pass,
        "createdDateTime": t.created_at,
        "startDateTime": t.start_at,
        "lifetimeInMinutes": t.lifetime_minutes,
        "isUsableOnce": t.usable_once,
        "isUsable": usable,
        "methodUsabilityReason": reason,
    })
}

/// The active user a pass is for, after the caller's rights are checked.
fn target(
    state: &AppState,
    claims: &crate::token::Claims,
    id: &str,
    route: Route,
) -> ApiResult<String> {
    require_route(claims, route)?;
    require_role(claims, AUTH_METHOD_ROLES, false)?;
    let user = state
        .db()
        .active(&id.to_lowercase())?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok(user.id)
}

pub async fn list(
    State(state): State<AppState>,
    shape: super::shape::Shape,
    Caller(claims): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let user = target(&state, &claims, &id, Route::ListTaps)?;
    let taps = state.db().taps(&user)?;
    let value: Vec<Value> = taps.iter().map(|t| method_json(&state, t, None)).collect();
    let mut v = json!({"value": value});
    shape.annotate(
        &mut v,
        &format!("users('{user}')/authentication/temporaryAccessPassMethods"),
        None,
    );
    Ok(Json(v))
}

pub async fn create(
    State(state): State<AppState>,
    shape: super::shape::Shape,
    Caller(claims): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let user = target(&state, &claims, &id, Route::CreateTap)?;
    let p = state.tap_policy.clone();
    if !p.enabled {
        return Err(bad(
            "Temporary Access Pass is disabled for the tenant by the authentication methods \
             policy.",
        ));
    }
    let v: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| bad(format!("Unable to read JSON request payload: {e}")))?
    };
    let Value::Object(fields) = v else {
        return Err(bad("The request payload must be a JSON object."));
    };
    let mut lifetime = p.default_lifetime;
    let mut once = p.usable_once;
    let now = Utc::now();
    let mut start = now;
    for (k, v) in &fields {
        match k.as_str() {
            "lifetimeInMinutes" => {
                lifetime = v
                    .as_i64()
                    .ok_or_else(|| bad("lifetimeInMinutes must be a whole number."))?;
            }
            "isUsableOnce" => {
                once = v
                    .as_bool()
                    .ok_or_else(|| bad("isUsableOnce must be a boolean."))?;
            }
            "startDateTime" => {
                let s = v
                    .as_str()
                    .ok_or_else(|| bad("startDateTime must be a date and time."))?;
                start = DateTime::parse_from_rfc3339(s)
                    .map_err(|_| bad(format!("startDateTime '{s}' is not a valid date and time.")))?
                    .with_timezone(&Utc);
            }
            "@odata.type" => {}
            other => {
                return Err(bad(format!(
                    "Property '{other}' does not exist on type \
                     'microsoft.graph.temporaryAccessPassAuthenticationMethod'."
                )));
            }
        }
    }
    let (lo, hi) = LIFETIME_BOUNDS;
    if !(lo..=hi).contains(&lifetime) {
        return Err(bad(format!(
            "lifetimeInMinutes must be between {lo} and {hi}."
        )));
    }
    if lifetime < p.min_lifetime || lifetime > p.max_lifetime {
        return Err(bad(format!(
            "The lifetime of {lifetime} minutes is outside the tenant's Temporary Access Pass \
             policy ({} to {} minutes).",
            p.min_lifetime, p.max_lifetime
        )));
    }
    state.take_write()?;
    let mut rng = rand::rng();
    let pass: String = (0..p.default_length)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let salt = hex::encode(rng.random::<[u8; 16]>());
    let row = TapRow {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user,
        hash: policy::hash(&salt, &pass),
        salt,
        created_at: ts(now),
        start_at: ts(start),
        lifetime_minutes: lifetime,
        usable_once: once,
    };
    state.db().put_tap(&row)?;
    let mut v = method_json(&state, &row, Some(&pass));
    shape.annotate(
        &mut v,
        &format!(
            "users('{}')/authentication/temporaryAccessPassMethods/$entity",
            row.user_id
        ),
        None,
    );
    Ok((StatusCode::CREATED, Json(v)))
}

pub async fn delete(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path((id, method)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let user = target(&state, &claims, &id, Route::DeleteTap)?;
    if state.db().delete_tap(&user, &method)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(&method))
    }
}
