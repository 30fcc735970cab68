//! `GET /v1.0/users/delta`, `/groups/delta`, `/contacts/delta` with Graph's shapes: a first
//! round lists every object (paged by `@odata.nextLink` with `$skiptoken`) and ends with an
//! `@odata.deltaLink` holding a `$deltatoken`; a round from a token lists each object changed
//! since, once, as it is now, or as `{"id", "@removed": {"reason"}}` when it left the
//! collection (`changed`: a user soft-deleted, still restorable; `deleted`: gone for good).
//! `$deltatoken=latest` answers no objects, only the link from now on.
//!
//! A delta token lasts 7 days, as Graph's for directory objects do; an older one, one of an
//! earlier sync-state generation (`SandboxHandle::expire_delta_tokens`) or one that cannot be
//! read is answered as Graph answers an expired one: 400 `syncStateNotFound`, "The sync state
//! generation is not found. The delta token is expired and data must be synchronized again."
//!
//! Changes come from the store's change log, which triggers fill on every write.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::objects::{Coll, decode_token, encode_token, object_json};
use super::require_route;
use super::shape::Shape;
use crate::error::{ApiError, ApiResult};
use crate::odata;
use crate::permissions::Route;
use crate::state::AppState;
use crate::store::UserQuery;
use crate::token::Caller;

/// Objects per delta page (Graph's are about this size; `$top` is not supported on delta).
pub const DELTA_PAGE: usize = 200;

/// How long a delta token may be used (Graph's lifetime for identity resources since 2020).
pub const DELTA_TOKEN_DAYS: i64 = 7;

#[derive(Serialize, Deserialize)]
struct DeltaToken {
    k: String,
    s: i64,
    /// When it was handed out (Unix seconds).
    #[serde(default)]
    t: i64,
    /// The sync-state generation it belongs to.
    #[serde(default)]
    g: u64,
}

/// Where a round stands between pages. `f < 0`: a first round (`a` is the last id sent);
/// otherwise changes after `f` up to `u` (`a` is the last change position sent).
#[derive(Serialize, Deserialize)]
struct Position {
    k: String,
    f: i64,
    u: i64,
    a: String,
}

/// Graph's answer to a delta token it no longer knows.
fn expired_delta() -> ApiError {
    ApiError::bad_request(
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
    )
}

fn bad_token() -> ApiError {
    ApiError::bad_request(
        "Request_BadRequest",
        "The delta token or skip token is not valid for this resource; start a new round without one.",
    )
}

pub async fn users(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::UsersDelta)?;
    round(&state, &shape, Coll::Users, raw.as_deref())
}

pub async fn groups(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::GroupsDelta)?;
    round(&state, &shape, Coll::Groups, raw.as_deref())
}

pub async fn contacts(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::ContactsDelta)?;
    round(&state, &shape, Coll::Contacts, raw.as_deref())
}

fn round(state: &AppState, shape: &Shape, coll: Coll, raw: Option<&str>) -> ApiResult<Json<Value>> {
    let mut select: Option<Vec<&'static str>> = None;
    let mut select_raw = None;
    let mut delta = None;
    let mut skip = None;
    for (key, value) in odata::query_pairs(raw)? {
        let k = key.to_ascii_lowercase();
        match k.strip_prefix('$').unwrap_or(&k) {
            "select" => {
                select = Some(coll.select(&value)?);
                select_raw = Some(value);
            }
            "deltatoken" => delta = Some(value),
            "skiptoken" => skip = Some(value),
            "filter" | "orderby" | "top" | "search" | "expand" | "count" => {
                return Err(ApiError::bad_request(
                    "Request_UnsupportedQuery",
                    format!(
                        "Query option '{key}' on /{}/delta is not supported by this sandbox.",
                        coll.path()
                    ),
                ));
            }
            _ => {}
        }
    }
    let kind = coll.kind().to_string();
    let last = state.db().last_change(&kind)?;
    let position = match (delta.as_deref(), skip.as_deref()) {
        (Some("latest"), _) => {
            return Ok(Json(page(
                state,
                shape,
                coll,
                &select_raw,
                select.as_deref(),
                Vec::new(),
                Next::Delta(last),
            )));
        }
        (Some(t), _) => {
            let t: DeltaToken = decode_token(t).ok_or_else(expired_delta)?;
            let age = chrono::Utc::now().timestamp() - t.t;
            let generation = state.delta_generation.load(Ordering::Relaxed);
            if t.k != kind || t.s > last {
                return Err(bad_token());
            }
            if t.g != generation || age > DELTA_TOKEN_DAYS * 24 * 3600 {
                return Err(expired_delta());
            }
            Position {
                k: kind,
                f: t.s,
                u: last,
                a: String::new(),
            }
        }
        (None, Some(s)) => {
            let p: Position = decode_token(s).ok_or_else(bad_token)?;
            if p.k != kind {
                return Err(bad_token());
            }
            p
        }
        (None, None) => Position {
            k: kind,
            f: -1,
            u: last,
            a: String::new(),
        },
    };
    let (items, next) = if position.f < 0 {
        first_round(state, shape, coll, &position, select.as_deref())?
    } else {
        changes(state, shape, coll, &position, select.as_deref())?
    };
    Ok(Json(page(
        state,
        shape,
        coll,
        &select_raw,
        select.as_deref(),
        items,
        next,
    )))
}

enum Next {
    Page(Position),
    Delta(i64),
}

fn first_round(
    state: &AppState,
    shape: &Shape,
    coll: Coll,
    p: &Position,
    select: Option<&[&'static str]>,
) -> ApiResult<(Vec<Value>, Next)> {
    let db = state.db();
    let (items, last_id, more) = if coll == Coll::Users {
        let q = UserQuery {
            deleted: false,
            filter_sql: "1",
            filter_params: &[],
            order_col: "id",
            desc: false,
            after: (!p.a.is_empty()).then(|| (p.a.clone(), p.a.clone())),
            limit: DELTA_PAGE,
        };
        let page = db.query_users(&q)?;
        let last = page.rows.last().map(|u| u.id.clone());
        let items = page.rows.iter().map(|u| shape.user(u, select)).collect();
        (items, last, page.more)
    } else {
        let after = (!p.a.is_empty()).then_some(p.a.as_str());
        let (rows, more) = db.objects_page(coll.kind(), after, DELTA_PAGE)?;
        let last = rows.last().map(|o| o.id.clone());
        let items = rows.iter().map(|o| object_json(coll, o, select)).collect();
        (items, last, more)
    };
    let next = match last_id {
        Some(a) if more => Next::Page(Position {
            k: p.k.clone(),
            f: p.f,
            u: p.u,
            a,
        }),
        _ => Next::Delta(p.u),
    };
    Ok((items, next))
}

fn changes(
    state: &AppState,
    shape: &Shape,
    coll: Coll,
    p: &Position,
    select: Option<&[&'static str]>,
) -> ApiResult<(Vec<Value>, Next)> {
    let after: i64 = if p.a.is_empty() {
        0
    } else {
        p.a.parse().map_err(|_| bad_token())?
    };
    let db = state.db();
    let (rows, more) = db.changes_page(coll.kind(), p.f, p.u, after, DELTA_PAGE)?;
    let mut items = Vec::with_capacity(rows.len());
    for (_, id) in &rows {
        let item = if coll == Coll::Users {
            match db.user(id)? {
                Some(u) if !u.deleted => Some(shape.user(&u, select)),
                // Soft-deleted: still restorable, so "changed" rather than "deleted".
                Some(_) => {
                    items.push(json!({"id": id, "@removed": {"reason": "changed"}}));
                    continue;
                }
                None => None,
            }
        } else {
            db.object(coll.kind(), id)?
                .map(|o| object_json(coll, &o, select))
        };
        items.push(item.unwrap_or_else(|| json!({"id": id, "@removed": {"reason": "deleted"}})));
    }
    let next = match rows.last() {
        Some((seq, _)) if more => Next::Page(Position {
            k: p.k.clone(),
            f: p.f,
            u: p.u,
            a: seq.to_string(),
        }),
        _ => Next::Delta(p.u),
    };
    Ok((items, next))
}

fn page(
    state: &AppState,
    shape: &Shape,
    coll: Coll,
    select_raw: &Option<String>,
    select: Option<&[&'static str]>,
    items: Vec<Value>,
    next: Next,
) -> Value {
    let mut carry = Vec::new();
    if let Some(s) = select_raw {
        carry.push(("$select".to_string(), s.clone()));
    }
    let base = format!("{}{}/delta", shape.root.graph(), coll.path());
    let mut body = Map::new();
    if let Some(ctx) = shape.context(coll.path(), select) {
        body.insert("@odata.context".into(), json!(ctx));
    }
    match next {
        Next::Page(p) => {
            body.insert(
                "@odata.nextLink".into(),
                json!(format!(
                    "{base}?{}",
                    odata::next_query(&carry, &encode_token(&p))
                )),
            );
        }
        Next::Delta(s) => {
            // `next_query` names its token `$skiptoken`; a delta link's is `$deltatoken`.
            let token = encode_token(&DeltaToken {
                k: coll.kind().into(),
                s,
                t: chrono::Utc::now().timestamp(),
                g: state.delta_generation.load(Ordering::Relaxed),
            });
            let mut q: Vec<String> = carry
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                    )
                })
                .collect();
            q.push(format!("$deltatoken={token}"));
            body.insert(
                "@odata.deltaLink".into(),
                json!(format!("{base}?{}", q.join("&"))),
            );
        }
    }
    body.insert("value".into(), Value::Array(items));
    Value::Object(body)
}
