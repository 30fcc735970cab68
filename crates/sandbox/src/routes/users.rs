//! `/v1.0/users` and `/v1.0/me`: lookups, password changes, soft delete.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use rand::Rng;
use serde_json::{Value, json};

use super::deleted::{list_users, select_of};
use super::shape::Shape;
use super::{PASSWORD_ROLES, RESTORE_ROLES, require, require_role, require_route};
use crate::error::{ApiError, ApiResult};
use crate::permissions::{Route, UPDATE_ACCOUNT_ENABLED, UPDATE_PASSWORD};
use crate::policy;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    crate::token::Caller(claims): crate::token::Caller,
    shape: Shape,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<axum::response::Response> {
    require_route(&claims, Route::ListUsers)?;
    list_users(&state, &shape, raw.as_deref(), &headers, false)
}

pub async fn get_one(
    State(state): State<AppState>,
    crate::token::Caller(claims): crate::token::Caller,
    shape: Shape,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::GetUser)?;
    let select = select_of(raw.as_deref())?;
    let user = state
        .db()
        .active(&id)?
        .ok_or_else(|| ApiError::not_found(&id))?;
    let mut v = shape.user(&user, select.as_deref());
    super::licences::decorate(&state, &user.id, select.as_deref(), &mut v);
    shape.annotate(&mut v, "users/$entity", select.as_deref());
    Ok(Json(v))
}

pub async fn me(
    State(state): State<AppState>,
    crate::token::Caller(claims): crate::token::Caller,
    shape: Shape,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let Some(upn) = claims.upn.clone() else {
        return Err(ApiError::bad_request(
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        ));
    };
    require_route(&claims, Route::GetMe)?;
    let select = select_of(raw.as_deref())?;
    let user = state
        .db()
        .active(&upn)?
        .ok_or_else(|| ApiError::not_found(&upn))?;
    let mut v = shape.user(&user, select.as_deref());
    shape.annotate(&mut v, "users/$entity", select.as_deref());
    Ok(Json(v))
}

fn body_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadRequest", message)
}

pub async fn patch(
    State(state): State<AppState>,
    crate::token::Caller(claims): crate::token::Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| body_error(format!("Unable to read JSON request payload: {e}")))?;
    let Value::Object(fields) = v else {
        return Err(body_error("The request payload must be a JSON object."));
    };
    let mut password = None;
    let mut force_change = true;
    let mut enabled = None;
    for (k, v) in &fields {
        match k.as_str() {
            // Annotations, not properties: Kiota SDKs send `"@odata.type": "#microsoft.graph.user"`
            // with every update, and Graph takes it
            // (https://learn.microsoft.com/graph/api/user-update?view=graph-rest-1.0).
            k if k.contains('@') => {}
            "passwordProfile" => {
                let pw = v
                    .get("password")
                    .and_then(Value::as_str)
                    .ok_or_else(|| body_error("passwordProfile.password is required."))?;
                password = Some(pw.to_string());
                if let Some(b) = v.get("forceChangePasswordNextSignIn") {
                    force_change = b.as_bool().ok_or_else(|| {
                        body_error("forceChangePasswordNextSignIn must be a boolean.")
                    })?;
                }
                if let Some(b) = v.get("forceChangePasswordNextSignInWithMfa")
                    && !b.is_boolean()
                {
                    return Err(body_error(
                        "forceChangePasswordNextSignInWithMfa must be a boolean.",
                    ));
                }
            }
            "accountEnabled" => {
                enabled = Some(
                    v.as_bool()
                        .ok_or_else(|| body_error("accountEnabled must be a boolean."))?,
                );
            }
            other => {
                return Err(ApiError::bad_request(
                    "Request_BadRequest",
                    format!("Property '{other}' cannot be updated in the sandbox."),
                ));
            }
        }
    }
    // The path's permissions first, then the ones of what this update changes.
    require_route(&claims, Route::UpdateUser)?;
    if password.is_some() {
        require(&claims, UPDATE_PASSWORD)?;
        require_role(&claims, PASSWORD_ROLES, true)?;
        // A switched-on fault fails the call as if the directory had, before anything changes.
        if let Some(fault) = state.take_password_fault() {
            return Err(fault.error());
        }
    } else {
        require(&claims, UPDATE_ACCOUNT_ENABLED)?;
    }
    if let Some(pw) = &password
        && policy::check(pw, &state.tenant_words).is_err()
    {
        return Err(ApiError::password_refused());
    }
    state.take_write()?;
    let mut db = state.db();
    let user = db.active(&id)?.ok_or_else(|| ApiError::not_found(&id))?;
    if let Some(pw) = password {
        let salt = hex::encode(rand::rng().random::<[u8; 16]>());
        let hash = policy::hash(&salt, &pw);
        db.set_password(&user.id, &salt, &hash, force_change)?;
    }
    if let Some(e) = enabled {
        db.set_account_enabled(&user.id, e)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /beta/users/validatePassword`
/// (https://learn.microsoft.com/graph/api/user-validatepassword?view=graph-rest-beta):
/// delegated only (User.ReadWrite, User.ReadWrite.All); application permissions are "Not
/// supported", so an app-only caller gets 403. Judged by the same rules as a password set.
pub async fn validate_password(
    State(state): State<AppState>,
    crate::token::Caller(claims): crate::token::Caller,
    shape: Shape,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    if claims.idtyp == "app" || claims.upn.is_none() {
        return Err(ApiError::forbidden());
    }
    require(&claims, &["User.ReadWrite", "User.ReadWrite.All"])?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| body_error(format!("Unable to read JSON request payload: {e}")))?;
    let password = super::params::param(&v, "password")
        .and_then(Value::as_str)
        .ok_or_else(|| body_error("The parameter 'password' is required and must be a string."))?;
    let results = policy::validate(password, &state.tenant_words);
    let is_valid = results.iter().all(|r| r.passed);
    let results: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "ruleName": r.rule_name,
                "validationPassed": r.passed,
                "message": r.message,
            })
        })
        .collect();
    let mut v = json!({
        "isValid": is_valid,
        "validationResults": results,
    });
    if shape.metadata {
        v["@odata.context"] = json!(format!(
            "{}beta/$metadata#microsoft.graph.passwordValidationInformation",
            shape.root.0
        ));
    }
    Ok(Json(v))
}

pub async fn delete(
    State(state): State<AppState>,
    crate::token::Caller(claims): crate::token::Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require_route(&claims, Route::DeleteUser)?;
    require_role(&claims, RESTORE_ROLES, false)?;
    state.take_write()?;
    let mut db = state.db();
    let user = db.active(&id)?.ok_or_else(|| ApiError::not_found(&id))?;
    if user.upn.eq_ignore_ascii_case(&state.admin_upn()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "The sandbox admin cannot be deleted.",
        ));
    }
    let at = chrono::Utc::now();
    let now = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    db.soft_delete(&user.id, &now)?;
    db.add_audit(&deletion_record(&claims, &user, at))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit log's record of a deletion this server carried out, naming the caller as Entra
/// does: the signed-in user, or the app for an app-only token.
fn deletion_record(
    claims: &crate::token::Claims,
    user: &crate::store::UserRow,
    at: chrono::DateTime<chrono::Utc>,
) -> crate::objects::AuditRow {
    use crate::audit::{self, Actor, Target};
    let actor = match &claims.upn {
        Some(upn) => Actor::User {
            id: claims.oid.clone().unwrap_or_default(),
            upn: upn.clone(),
            display_name: None,
            ip: Some("127.0.0.1".into()),
        },
        None => Actor::App {
            app_id: claims.appid.clone(),
            display_name: claims.appid.clone(),
            service_principal_id: claims.oid.clone().unwrap_or_default(),
        },
    };
    let target = Target {
        id: &user.id,
        upn: &user.upn,
        user_type: &user.user_type,
    };
    let id = uuid::Uuid::new_v4().to_string();
    let correlation = uuid::Uuid::new_v4().to_string();
    audit::delete_user(&id, &correlation, &target, at, &actor, true)
}
