//! What bringing back an offboarding writes, with Graph's refusals: `POST
//! /groups/{id}/members/$ref` and `/owners/$ref` (400 when already there), `POST
//! /users/{id}/assignLicense` (400 without a free seat or a usage location), and `POST
//! /roleManagement/directory/roleAssignments` (400 when the assignment exists).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::require_route;
use crate::error::{ApiError, ApiResult};
use crate::permissions::Route;
use crate::state::AppState;
use crate::token::Caller;

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "@odata.id")]
    odata_id: Option<String>,
}

fn bad_body(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "BadRequest",
        format!("Unable to read the request body: {e}"),
    )
}

/// The object id at the end of `…/directoryObjects/{id}` (or `…/users/{id}`).
fn referenced_id(r: &Reference) -> ApiResult<String> {
    r.odata_id
        .as_deref()
        .and_then(|u| u.trim_end_matches('/').rsplit('/').next())
        .map(|id| {
            id.trim_matches(|c| c == '\'' || c == '(' || c == ')')
                .to_lowercase()
        })
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "Request_BadRequest",
                "Invalid object identifier in the @odata.id of the reference.",
            )
        })
}

async fn add_reference(
    state: AppState,
    claims: &crate::token::Claims,
    group: &str,
    body: &[u8],
    owner: bool,
) -> ApiResult<StatusCode> {
    require_route(
        claims,
        if owner {
            Route::AddGroupOwner
        } else {
            Route::AddGroupMember
        },
    )?;
    let r: Reference = serde_json::from_slice(body).map_err(bad_body)?;
    let user = referenced_id(&r)?;
    state.take_write()?;
    let db = state.db();
    let group = group.to_lowercase();
    if db.object("group", &group)?.is_none() {
        return Err(ApiError::not_found(&group));
    }
    if db.active(&user)?.is_none() {
        return Err(ApiError::not_found(&user));
    }
    if !db.add_to_group(&group, &user, owner)? {
        let what = if owner { "owners" } else { "members" };
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            format!(
                "One or more added object references already exist for the following modified properties: '{what}'."
            ),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

pub async fn add_member(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(group): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    add_reference(state, &claims, &group, &body, false).await
}

pub async fn add_owner(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(group): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    add_reference(state, &claims, &group, &body, true).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssignLicense {
    #[serde(default)]
    add_licenses: Vec<AddLicense>,
    #[serde(default)]
    remove_licenses: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddLicense {
    sku_id: String,
}

pub async fn assign_license(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::AssignLicense)?;
    let req: AssignLicense = serde_json::from_slice(&body).map_err(bad_body)?;
    if !req.remove_licenses.is_empty() {
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            "The sandbox does not remove licences.",
        ));
    }
    state.take_write()?;
    let db = state.db();
    let user = db
        .active(&id.to_lowercase())?
        .ok_or_else(|| ApiError::not_found(&id))?;
    if db.usage_location(&user.id)?.is_none() {
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            "License assignment cannot be done for user with invalid usage location.",
        ));
    }
    let skus = db.skus()?;
    let held: Vec<String> = db.licences(&user.id)?.into_iter().map(|(s, _)| s).collect();
    for add in &req.add_licenses {
        let sku = add.sku_id.to_lowercase();
        let Some(row) = skus.iter().find(|s| s.sku_id.eq_ignore_ascii_case(&sku)) else {
            return Err(ApiError::bad_request(
                "Request_BadRequest",
                format!("License {sku} does not correspond to a valid company License."),
            ));
        };
        if !held.iter().any(|h| h.eq_ignore_ascii_case(&sku)) && row.consumed >= row.enabled {
            return Err(ApiError::bad_request(
                "Request_BadRequest",
                format!("Subscription with SKU {sku} does not have any available licenses."),
            ));
        }
    }
    for add in &req.add_licenses {
        db.add_licence(&user.id, &add.sku_id.to_lowercase())?;
    }
    Ok(Json(json!({
        "id": user.id,
        "displayName": user.display_name,
        "userPrincipalName": user.upn,
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleAssignment {
    principal_id: String,
    role_definition_id: String,
    #[serde(default)]
    directory_scope_id: Option<String>,
}

pub async fn create_role_assignment(
    State(state): State<AppState>,
    Caller(claims): Caller,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_route(&claims, Route::CreateRoleAssignment)?;
    let req: RoleAssignment = serde_json::from_slice(&body).map_err(bad_body)?;
    state.take_write()?;
    let db = state.db();
    let principal = req.principal_id.to_lowercase();
    if db.active(&principal)?.is_none() {
        return Err(ApiError::not_found(&principal));
    }
    let scope = req.directory_scope_id.unwrap_or_else(|| "/".into());
    let id = uuid::Uuid::new_v4().to_string();
    if !db.add_role_assignment(&id, &principal, &req.role_definition_id, &scope)? {
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            "A conflicting object with one or more of the specified property values is present in the directory.",
        ));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": id,
            "principalId": principal,
            "roleDefinitionId": req.role_definition_id.to_lowercase(),
            "directoryScopeId": scope,
        })),
    ))
}
