//! `/v1.0/groups` and `/v1.0/contacts` (org contacts): listings with `$select`, `$filter`,
//! `$count`, `$top` and `$skiptoken` paging, and one object by id; plus what the delta routes share with them
//! (permissions, `$select`, JSON shapes, opaque tokens).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::eventual;
use super::require_route;
use super::shape::Shape;
use crate::error::{ApiError, ApiResult};
use crate::objects::{ObjectFilter, ObjectRow};
use crate::odata::filter::FilterOn;
use crate::odata::{self, DEFAULT_TOP, MAX_TOP};
use crate::permissions::Route;
use crate::state::AppState;
use crate::token::Caller;

/// Which collection a route serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coll {
    Users,
    Groups,
    Contacts,
}

impl Coll {
    /// The `kind` column of `objects` and `changes`.
    pub fn kind(self) -> &'static str {
        match self {
            Coll::Users => "user",
            Coll::Groups => "group",
            Coll::Contacts => "contact",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Coll::Users => "users",
            Coll::Groups => "groups",
            Coll::Contacts => "contacts",
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Coll::Users => "microsoft.graph.user",
            Coll::Groups => "microsoft.graph.group",
            Coll::Contacts => "microsoft.graph.orgContact",
        }
    }

    /// Properties the sandbox knows of this type (users: see `odata::USER_PROPS`).
    fn props(self) -> &'static [&'static str] {
        match self {
            Coll::Users => odata::USER_PROPS,
            Coll::Groups => &[
                "id",
                "displayName",
                "mail",
                "mailEnabled",
                "mailNickname",
                "securityEnabled",
                "groupTypes",
                "proxyAddresses",
                "description",
                "visibility",
                "createdDateTime",
            ],
            Coll::Contacts => &[
                "id",
                "displayName",
                "mail",
                "mailNickname",
                "givenName",
                "surname",
                "companyName",
                "jobTitle",
                "department",
                "proxyAddresses",
            ],
        }
    }

    /// What Graph returns without `$select`.
    fn default_props(self) -> &'static [&'static str] {
        match self {
            Coll::Users => odata::DEFAULT_PROPS,
            Coll::Groups | Coll::Contacts => self.props(),
        }
    }

    /// `$select` as canonical names, refusing unknown properties as Graph does.
    pub fn select(self, value: &str) -> ApiResult<Vec<&'static str>> {
        let mut props = Vec::new();
        for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let p = self
                .props()
                .iter()
                .copied()
                .find(|p| p.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "BadRequest",
                        format!(
                            "Could not find a property named '{name}' on type '{}'.",
                            self.type_name()
                        ),
                    )
                })?;
            if !props.contains(&p) {
                props.push(p);
            }
        }
        Ok(props)
    }
}

/// A group or contact as Graph renders it.
pub fn object_json(coll: Coll, o: &ObjectRow, select: Option<&[&'static str]>) -> Value {
    let props = select.unwrap_or(coll.default_props());
    let nickname = o
        .mail
        .as_deref()
        .and_then(|m| m.split('@').next())
        .unwrap_or("");
    let mut m = Map::with_capacity(props.len());
    for &p in props {
        let v = match p {
            "id" => json!(o.id),
            "displayName" => json!(o.display_name),
            "mail" => json!(o.mail),
            "mailEnabled" => json!(o.mail.is_some()),
            "mailNickname" => json!(nickname),
            "securityEnabled" => json!(false),
            "groupTypes" => json!(["Unified"]),
            "proxyAddresses" => json!(o.proxy_addresses),
            "visibility" => json!("Private"),
            "createdDateTime" => json!(o.created_at),
            "description" | "givenName" | "surname" | "companyName" | "jobTitle" | "department" => {
                Value::Null
            }
            _ => continue,
        };
        m.insert(p.to_string(), v);
    }
    Value::Object(m)
}

/// An opaque token as the sandbox writes `$skiptoken` and `$deltatoken`.
pub fn encode_token<T: Serialize>(t: &T) -> String {
    B64.encode(serde_json::to_vec(t).unwrap_or_default())
}

pub fn decode_token<T: DeserializeOwned>(raw: &str) -> Option<T> {
    serde_json::from_slice(&B64.decode(raw.trim()).ok()?).ok()
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Skip {
    k: String,
    a: String,
}

/// `GET /v1.0/groups` and `GET /v1.0/contacts`: `$filter` on `id`, `displayName`, `mail` and
/// `proxyAddresses/any(x:x eq '…')` (what a pre-flight asks), and `$count=true`, which, as
/// Graph does, counts only with `ConsistencyLevel: eventual` and is ignored without it.
async fn list(
    state: &AppState,
    shape: &Shape,
    coll: Coll,
    raw: Option<&str>,
    headers: &HeaderMap,
) -> ApiResult<Json<Value>> {
    let mut top = DEFAULT_TOP;
    let mut select = None;
    let mut after = None;
    let mut filter = ObjectFilter::default();
    let mut count = false;
    let mut carry = Vec::new();
    for (key, value) in odata::query_pairs(raw)? {
        let k = key.to_ascii_lowercase();
        match k.strip_prefix('$').unwrap_or(&k) {
            "top" => top = odata::parse_top(&value, MAX_TOP)?,
            "select" => select = Some(coll.select(&value)?),
            "skiptoken" => {
                let s: Skip = decode_token(&value).ok_or_else(odata::expired_token)?;
                if s.k != coll.kind() {
                    return Err(odata::expired_token());
                }
                after = Some(s.a);
                continue;
            }
            "filter" => {
                let on = match coll {
                    Coll::Groups => FilterOn::Groups,
                    Coll::Contacts => FilterOn::Contacts,
                    Coll::Users => FilterOn::Users,
                };
                let (sql, params) = odata::filter::parse_filter_on(&value, on)?;
                filter = ObjectFilter {
                    sql: Some(sql),
                    params,
                };
            }
            "count" => {
                count = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ApiError::bad_request(
                            "BadRequest",
                            format!("Invalid value '{value}' for $count."),
                        ));
                    }
                };
            }
            "orderby" | "search" | "expand" | "skip" => {
                return Err(ApiError::bad_request(
                    "Request_UnsupportedQuery",
                    format!(
                        "Query option '{key}' on /{} is not supported by this sandbox.",
                        coll.path()
                    ),
                ));
            }
            _ => {}
        }
        carry.push((key, value));
    }
    let counted = count && eventual(headers) && after.is_none();
    let (rows, more, total) = {
        let db = state.db();
        let (rows, more) = db.objects_where(coll.kind(), &filter, after.as_deref(), top)?;
        let total = if counted {
            Some(db.count_objects(coll.kind(), &filter)?)
        } else {
            None
        };
        (rows, more, total)
    };
    let mut body = Map::new();
    if let Some(ctx) = shape.context(coll.path(), select.as_deref()) {
        body.insert("@odata.context".into(), json!(ctx));
    }
    if let Some(n) = total {
        body.insert("@odata.count".into(), json!(n));
    }
    if more && let Some(last) = rows.last() {
        let token = encode_token(&Skip {
            k: coll.kind().into(),
            a: last.id.clone(),
        });
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}{}?{}",
                shape.root.graph(),
                coll.path(),
                odata::next_query(&carry, &token)
            )),
        );
    }
    body.insert(
        "value".into(),
        Value::Array(
            rows.iter()
                .map(|o| object_json(coll, o, select.as_deref()))
                .collect(),
        ),
    );
    Ok(Json(Value::Object(body)))
}

async fn get(
    state: &AppState,
    shape: &Shape,
    coll: Coll,
    id: &str,
    raw: Option<&str>,
) -> ApiResult<Json<Value>> {
    let mut select = None;
    for (key, value) in odata::query_pairs(raw)? {
        if key.eq_ignore_ascii_case("$select") {
            select = Some(coll.select(&value)?);
        }
    }
    let o = state
        .db()
        .object(coll.kind(), id)?
        .ok_or_else(|| ApiError::not_found(id))?;
    let mut v = object_json(coll, &o, select.as_deref());
    shape.annotate(
        &mut v,
        &format!("{}/$entity", coll.path()),
        select.as_deref(),
    );
    Ok(Json(v))
}

pub async fn list_groups(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::ListGroups)?;
    list(&state, &shape, Coll::Groups, raw.as_deref(), &headers).await
}

pub async fn list_contacts(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::ListContacts)?;
    list(&state, &shape, Coll::Contacts, raw.as_deref(), &headers).await
}

pub async fn get_group(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::GetGroup)?;
    get(&state, &shape, Coll::Groups, &id, raw.as_deref()).await
}

pub async fn get_contact(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    require_route(&claims, Route::GetContact)?;
    get(&state, &shape, Coll::Contacts, &id, raw.as_deref()).await
}
