//! `GET /v1.0/auditLogs/directoryAudits`: the directory audit log, newest first, with `$top`,
//! `$skiptoken` paging, `$orderby=activityDateTime [asc|desc]` and the `$filter` clauses the
//! docs list for it, joined by `and`: `activityDisplayName` (eq, startswith),
//! `activityDateTime` (eq, ge, gt, le, lt), `category`, `result`, `loggedByService`, `id`,
//! `initiatedBy/user/userPrincipalName` (eq), and `targetResources/any(t:t/id eq '...')`.
//! The filter becomes SQL with bound parameters, never spliced text.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::objects::{decode_token, encode_token};
use super::page::Page;
use super::require_route;
use super::shape::Shape;
use crate::error::{ApiError, ApiResult};
use crate::odata::{self, MAX_FILTER_LEN};
use crate::permissions::Route;
use crate::state::AppState;
use crate::token::Caller;

const DEFAULT_AUDIT_TOP: usize = 100;
const MAX_AUDIT_TOP: usize = 1000;

#[derive(Serialize, Deserialize)]
struct Skip {
    at: String,
    seq: i64,
    asc: bool,
}

/// Splits on ` and ` outside string literals.
fn clauses(filter: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let chars: Vec<char> = filter.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            quoted = !quoted;
        }
        if !quoted && c == ' ' {
            let rest: String = chars[i..].iter().take(5).collect();
            if rest.eq_ignore_ascii_case(" and ") {
                out.push(std::mem::take(&mut cur));
                i += 5;
                continue;
            }
        }
        cur.push(c);
        i += 1;
    }
    out.push(cur);
    out.into_iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// A string literal `'...'` with `''` for a quote.
fn literal(v: &str) -> Option<String> {
    let inner = v.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

/// A DateTimeOffset, bare as OData writes it (or quoted), in the store's text form.
fn datetime(v: &str) -> Option<String> {
    let v = v.trim();
    let v = literal(v).unwrap_or_else(|| v.to_string());
    let t = DateTime::parse_from_rfc3339(&v).ok()?.with_timezone(&Utc);
    Some(t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// `$filter` as SQL over the `audits` columns.
pub fn parse_filter(filter: &str) -> ApiResult<(String, Vec<SqlValue>)> {
    if filter.chars().count() > MAX_FILTER_LEN {
        return Err(odata::unsupported("The $filter is too long."));
    }
    let mut sql = Vec::new();
    let mut params = Vec::new();
    for clause in clauses(filter) {
        let lower = clause.to_ascii_lowercase();
        if let Some(inner) = lower
            .strip_prefix("startswith(activitydisplayname,")
            .and_then(|_| clause.get("startswith(activityDisplayName,".len()..))
            .and_then(|s| s.strip_suffix(')'))
        {
            let prefix = literal(inner).ok_or_else(|| odata::unsupported("Invalid startswith."))?;
            let escaped = prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            sql.push("activity LIKE ? ESCAPE '\\'".to_string());
            params.push(SqlValue::Text(format!("{escaped}%")));
            continue;
        }
        if lower.starts_with("targetresources/any(") && clause.ends_with(')') {
            // targetResources/any(t:t/id eq 'x')
            let inner = &clause["targetresources/any(".len()..clause.len() - 1];
            let (var, cond) = inner
                .split_once(':')
                .ok_or_else(|| odata::unsupported("Invalid lambda expression."))?;
            let cond = cond.trim();
            let prefix = format!("{}/id eq ", var.trim());
            let value = cond
                .get(..prefix.len())
                .filter(|p| p.eq_ignore_ascii_case(&prefix))
                .and_then(|_| literal(&cond[prefix.len()..]))
                .ok_or_else(|| {
                    odata::unsupported("Only targetResources/any(t:t/id eq '...') is supported.")
                })?;
            sql.push("target_id = ?".to_string());
            params.push(SqlValue::Text(value.to_lowercase()));
            continue;
        }
        let mut parts = clause.splitn(3, ' ');
        let (prop, op, value) = match (parts.next(), parts.next(), parts.next()) {
            (Some(p), Some(o), Some(v)) => (p, o.to_ascii_lowercase(), v),
            _ => {
                return Err(odata::unsupported(format!(
                    "Invalid filter clause '{clause}'."
                )));
            }
        };
        let sql_op = match op.as_str() {
            "eq" => "=",
            "ge" => ">=",
            "gt" => ">",
            "le" => "<=",
            "lt" => "<",
            _ => {
                return Err(odata::unsupported(format!(
                    "Unsupported operator '{op}' in the filter clause '{clause}'."
                )));
            }
        };
        let column = match prop.to_ascii_lowercase().as_str() {
            "activitydatetime" => {
                let t = datetime(value).ok_or_else(|| {
                    odata::unsupported(format!(
                        "Invalid DateTimeOffset '{value}' for activityDateTime."
                    ))
                })?;
                sql.push(format!("at {sql_op} ?"));
                params.push(SqlValue::Text(t));
                continue;
            }
            "activitydisplayname" => "activity",
            "category" => "category",
            "result" => "result",
            "loggedbyservice" => "service",
            "id" => "id",
            "initiatedby/user/userprincipalname" => "initiator_upn",
            _ => {
                return Err(odata::unsupported(format!(
                    "Unsupported or invalid query filter clause specified for property '{prop}' of resource 'directoryAudit'."
                )));
            }
        };
        if sql_op != "=" {
            return Err(odata::unsupported(format!(
                "Only eq is supported on '{prop}'."
            )));
        }
        let mut v = literal(value).ok_or_else(|| {
            odata::unsupported(format!("Expected a string literal for '{prop}'."))
        })?;
        if column == "initiator_upn" {
            v = v.to_lowercase();
        }
        sql.push(format!("{column} = ?"));
        params.push(SqlValue::Text(v));
    }
    if sql.is_empty() {
        return Ok(("1".into(), params));
    }
    Ok((sql.join(" AND "), params))
}

pub async fn list(
    State(state): State<AppState>,
    Caller(claims): Caller,
    shape: Shape,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    require_route(&claims, Route::ListDirectoryAudits)?;
    let mut top = DEFAULT_AUDIT_TOP;
    let mut filter = ("1".to_string(), Vec::new());
    let mut asc = false;
    let mut after = None;
    let mut carry = Vec::new();
    for (key, value) in odata::query_pairs(raw.as_deref())? {
        let k = key.to_ascii_lowercase();
        match k.strip_prefix('$').unwrap_or(&k) {
            "top" => top = odata::parse_top(&value, MAX_AUDIT_TOP)?,
            "filter" => filter = parse_filter(&value)?,
            "orderby" => {
                let mut w = value.split_whitespace();
                let prop = w.next().unwrap_or("");
                if !prop.eq_ignore_ascii_case("activityDateTime") {
                    return Err(odata::unsupported(format!(
                        "Unsupported sort property '{prop}' for 'directoryAudit'."
                    )));
                }
                asc = match w.next().map(str::to_ascii_lowercase).as_deref() {
                    Some("asc") => true,
                    None | Some("desc") => false,
                    Some(other) => {
                        return Err(ApiError::bad_request(
                            "BadRequest",
                            format!("Invalid sort direction '{other}'."),
                        ));
                    }
                };
            }
            "skiptoken" => {
                let s: Skip = decode_token(&value).ok_or_else(odata::expired_token)?;
                after = Some(s);
                continue;
            }
            _ => {}
        }
        carry.push((key, value));
    }
    if let Some(s) = &after
        && s.asc != asc
    {
        return Err(odata::expired_token());
    }
    let (rows, more) = state.db().audits_page(
        &filter.0,
        &filter.1,
        asc,
        after.map(|s| (s.at, s.seq)).as_ref(),
        top,
    )?;
    let next = match rows.last() {
        Some(((at, seq), _)) if more => {
            let token = encode_token(&Skip {
                at: at.clone(),
                seq: *seq,
                asc,
            });
            Some(format!(
                "{}auditLogs/directoryAudits?{}",
                shape.root.graph(),
                odata::next_query(&carry, &token)
            ))
        }
        _ => None,
    };
    // Each record goes out as stored (written by serde_json), once checked to be JSON.
    let mut value = b"[".to_vec();
    for (i, (_, record)) in rows.iter().enumerate() {
        if i > 0 {
            value.push(b',');
        }
        match serde_json::from_str::<&RawValue>(record) {
            Ok(raw) => value.extend_from_slice(raw.get().as_bytes()),
            Err(_) => value.extend_from_slice(b"null"),
        }
    }
    value.push(b']');
    Ok(Page {
        context: shape.context("auditLogs/directoryAudits", None),
        count: None,
        next,
        value,
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_bound_sql() {
        let (sql, params) = parse_filter(
            "activityDisplayName eq 'Delete user' and activityDateTime ge 2026-10-31T19:00:00Z",
        )
        .unwrap();
        assert_eq!(sql, "activity = ? AND at >= ?");
        assert_eq!(
            params,
            [
                SqlValue::Text("Delete user".into()),
                SqlValue::Text("2026-10-31T19:00:00Z".into())
            ]
        );
        let (sql, params) = parse_filter(
            "targetResources/any(t:t/id eq 'ABC') and startswith(activityDisplayName,'Del_')",
        )
        .unwrap();
        assert_eq!(sql, "target_id = ? AND activity LIKE ? ESCAPE '\\'");
        assert_eq!(
            params,
            [
                SqlValue::Text("abc".into()),
                SqlValue::Text("Del\\_%".into())
            ]
        );
        // A quote inside a literal, and ` and ` inside one, do not split or end it.
        let (_, params) = parse_filter("activityDisplayName eq 'O''Brien and co'").unwrap();
        assert_eq!(params, [SqlValue::Text("O'Brien and co".into())]);
        for bad in [
            "activityDisplayName ne 'x'",
            "unknownProp eq 'x'",
            "activityDateTime ge yesterday",
            "activityDisplayName eq x",
            "result ge 'success'",
            "targetResources/any(t:t/type eq 'User')",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }
}
