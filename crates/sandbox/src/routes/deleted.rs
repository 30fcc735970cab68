//! `/v1.0/directory/deletedItems`: list, get, restore, purge.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::shape::Shape;
use super::user_json::Props;
use super::{RESTORE_ROLES, eventual, require_role, require_route};
use crate::error::{ApiError, ApiResult};
use crate::odata::{self, canonical_prop};
use crate::permissions::Route;
use crate::state::AppState;
use crate::store::UserQuery;
use crate::token::Caller;

pub async fn list_uncast(Caller(claims): Caller) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::ListDeletedItems)?;
    Err(ApiError::bad_request(
        "Request_BadRequest",
        "Searches against this resource are not supported. Add a type cast segment such as /microsoft.graph.user.",
    ))
}

pub async fn list(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    require_route(&claims, Route::ListDeletedUsers)?;
    list_users(&state, &shape, raw.as_deref(), &headers, true)
}

/// A listing of deleted (or active) users, one page, as Graph shapes it. Each user is written
/// into the body as its row is read from the store; nothing of a row is copied but the last
/// one's sort value and id, for the next link.
pub fn list_users(
    state: &AppState,
    shape: &Shape,
    raw: Option<&str>,
    headers: &HeaderMap,
    deleted: bool,
) -> ApiResult<Response> {
    let q = odata::parse_list(raw, eventual(headers), deleted)?;
    let uq = UserQuery {
        deleted,
        filter_sql: &q.filter_sql,
        filter_params: &q.filter_params,
        order_col: q.order_col,
        desc: q.desc,
        after: q.after.clone(),
        limit: q.top,
    };
    let props = Props::new(q.select.as_deref(), shape.metadata);
    let mut users = b"[".to_vec();
    let (after, count) = {
        let db = if deleted {
            state.db_swept()?
        } else {
            state.db()
        };
        let after = db.each_user(&uq, |u| {
            if users.len() > 1 {
                users.push(b',');
            }
            serde_json::to_writer(&mut users, &props.of(u))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            Ok::<(), ApiError>(())
        })?;
        let count = if q.count && q.after.is_none() {
            Some(db.count_users(&uq)?)
        } else {
            None
        };
        (after, count)
    };
    users.push(b']');
    // The collection's path is also its `@odata.context` name.
    let path = if deleted {
        "directory/deletedItems/microsoft.graph.user"
    } else {
        "users"
    };
    let next = after.map(|(value, id)| {
        let token = odata::encode_skiptoken(q.order_col, q.desc, value, id);
        format!(
            "{}{path}?{}",
            shape.root.graph(),
            odata::next_query(&q.carry, &token)
        )
    });
    let page = super::page::Page {
        context: shape.context(path, q.select.as_deref()),
        count,
        next,
        value: users,
    };
    Ok(page.into_response())
}

/// `$select` of a single-entity GET.
pub fn select_of(raw: Option<&str>) -> ApiResult<Option<Vec<&'static str>>> {
    for (k, v) in odata::query_pairs(raw)? {
        if k.eq_ignore_ascii_case("$select") {
            let mut props = Vec::new();
            for name in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                props.push(canonical_prop(name).ok_or_else(|| {
                    ApiError::bad_request(
                        "BadRequest",
                        format!("Could not find a property named '{name}' on type 'microsoft.graph.user'."),
                    )
                })?);
            }
            return Ok(Some(props));
        }
    }
    Ok(None)
}

pub async fn get_one(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::GetDeletedItem)?;
    let select = select_of(raw.as_deref())?;
    let user = state
        .db_swept()?
        .user(&id.to_lowercase())?
        .filter(|u| u.deleted)
        .ok_or_else(|| ApiError::not_found(&id))?;
    let mut v = shape.user(&user, select.as_deref());
    // A deleted user keeps its usage location and licence list, as Graph's does.
    super::licences::decorate(&state, &user.id, select.as_deref(), &mut v);
    shape.annotate(&mut v, "directory/deletedItems/$entity", None);
    Ok(Json(v))
}

/// The restore action's parameters, by their lower-cased names.
#[derive(Deserialize, Default)]
struct RestoreBody {
    #[serde(default)]
    autoreconcileproxyconflict: bool,
    #[serde(default)]
    newuserprincipalname: Option<String>,
}

/// A UPN the directory would accept: `local@domain` with one of the tenant's verified domains.
pub fn check_upn(upn: &str, verified: impl Fn(&str) -> bool) -> ApiResult<()> {
    let (local, dom) = upn.rsplit_once('@').unwrap_or(("", ""));
    let local_ok = !local.is_empty()
        && local.len() <= 113
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "'.-_!#^~".contains(c));
    if !local_ok {
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
        )
        .with_detail(json!({"code": "InvalidValue", "target": "userPrincipalName"})));
    }
    if !verified(dom) {
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
        )
        .with_detail(json!({"code": "InvalidValue", "target": "userPrincipalName"})));
    }
    Ok(())
}

pub async fn restore(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::RestoreDeletedItem)?;
    require_role(&claims, RESTORE_ROLES, false)?;
    let opts: RestoreBody = if body.iter().all(u8::is_ascii_whitespace) {
        RestoreBody::default()
    } else {
        let unreadable = |e: serde_json::Error| {
            ApiError::bad_request(
                "BadRequest",
                format!("Unable to read JSON request payload: {e}"),
            )
        };
        let v: Value = serde_json::from_slice(&body).map_err(unreadable)?;
        // Action parameters bind in any case (see `params`).
        let lowered = super::params::lowered(&v).ok_or_else(|| {
            ApiError::bad_request("BadRequest", "The request payload must be a JSON object.")
        })?;
        serde_json::from_value(Value::Object(lowered)).map_err(unreadable)?
    };
    if let Some(upn) = &opts.newuserprincipalname {
        check_upn(upn, |d| state.is_verified_domain(d))?;
    }
    state.take_write()?;
    let id = id.to_lowercase();
    let mut db = state.db_swept()?;
    let user = db
        .user(&id)?
        .filter(|u| u.deleted)
        .ok_or_else(|| ApiError::not_found(&id))?;
    let target = opts
        .newuserprincipalname
        .clone()
        .unwrap_or_else(|| user.original_upn.clone());
    if db.active(&target)?.is_some() {
        return Err(ApiError::conflict("userPrincipalName"));
    }
    // Proxy addresses are unique across users, groups and org contacts: any of them holding
    // one refuses the restore alike.
    let mut held = db.proxy_holders(&user.proxy_addresses, &id)?;
    for a in db.object_proxy_holders(&user.proxy_addresses)? {
        if !held.contains(&a) {
            held.push(a);
        }
    }
    let proxies: Vec<String> = if held.is_empty() {
        user.proxy_addresses.clone()
    } else if opts.autoreconcileproxyconflict {
        user.proxy_addresses
            .iter()
            .filter(|p| !held.contains(p))
            .cloned()
            .collect()
    } else {
        return Err(ApiError::conflict("proxyAddresses"));
    };
    db.reactivate(&id, &target, &proxies)?;
    let user = db.user(&id)?.ok_or_else(|| ApiError::not_found(&id))?;
    drop(db);
    let mut v = shape.user(&user, None);
    shape.annotate(&mut v, "directoryObjects/$entity", None);
    Ok(Json(v))
}

pub async fn purge(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require_route(&claims, Route::PurgeDeletedItem)?;
    require_role(&claims, RESTORE_ROLES, false)?;
    state.take_write()?;
    if state.db_swept()?.purge(&id.to_lowercase())? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::check_upn;
    use crate::routes::tenant_domains;

    fn verified(d: &str) -> bool {
        tenant_domains("contoso.sandbox")
            .iter()
            .any(|v| v.is_verified && v.id.eq_ignore_ascii_case(d))
    }

    #[test]
    fn upn_rules() {
        assert!(check_upn("ana.garcia@contoso.sandbox", verified).is_ok());
        assert!(check_upn("Ana.Garcia@CONTOSO.SANDBOX", verified).is_ok());
        assert!(check_upn("x_fabrikam.com#EXT#@contoso.sandbox", verified).is_ok());
        assert!(check_upn("ana@contoso.onmicrosoft.com", verified).is_ok());
        for bad in [
            "",
            "@contoso.sandbox",
            "a b@contoso.sandbox",
            ".a@contoso.sandbox",
            "a@fabrikam.com",
            "a@contoso-new.example",
            "nodomain",
        ] {
            assert!(check_upn(bad, verified).is_err(), "{bad}");
        }
    }
}
