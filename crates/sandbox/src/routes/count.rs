//! The `/$count` segment of a collection: the number of items, as `text/plain`
//! (https://learn.microsoft.com/graph/api/directory-deleteditems-list?view=graph-rest-1.0,
//! "Get only a count of deleted user objects"). On directory objects it is an advanced query:
//! without `ConsistencyLevel: eventual` Graph refuses it
//! (https://learn.microsoft.com/graph/aad-advanced-queries). `$filter` narrows what is counted.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{eventual, require_route};
use crate::error::{ApiError, ApiResult};
use crate::odata;
use crate::permissions::Route;
use crate::state::AppState;
use crate::store::UserQuery;
use crate::token::Caller;

pub async fn deleted_users(
    State(state): State<AppState>,
    Caller(claims): Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    require_route(&claims, Route::CountDeletedUsers)?;
    count_users(&state, raw.as_deref(), &headers, true)
}

pub async fn users(
    State(state): State<AppState>,
    Caller(claims): Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    require_route(&claims, Route::CountUsers)?;
    count_users(&state, raw.as_deref(), &headers, false)
}

fn count_users(
    state: &AppState,
    raw: Option<&str>,
    headers: &HeaderMap,
    deleted: bool,
) -> ApiResult<Response> {
    if !eventual(headers) {
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            "Count is not currently supported without the ConsistencyLevel: eventual header.",
        ));
    }
    let q = odata::parse_list(raw, true, deleted)?;
    let uq = UserQuery {
        deleted,
        filter_sql: &q.filter_sql,
        filter_params: &q.filter_params,
        order_col: q.order_col,
        desc: q.desc,
        after: None,
        limit: 0,
    };
    let n = if deleted {
        state.db_swept()?.count_users(&uq)?
    } else {
        state.db().count_users(&uq)?
    };
    let mut resp = n.to_string().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(resp)
}
