//! OData query options of the listing routes: `$top`, `$select`, `$filter`, `$orderby`,
//! `$count`, `$skiptoken`. `$filter` becomes SQL with bound parameters, never spliced text.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};

pub mod filter;

pub const DEFAULT_TOP: usize = 100;
pub const MAX_TOP: usize = 999;

/// Deepest nesting of parentheses and `not` in a `$filter`. The parser recurses once per
/// level, so this bounds its stack; 100 is far beyond any real query.
pub const MAX_FILTER_DEPTH: usize = 100;
/// Longest `$filter`, decoded. Besides bounding the work, it keeps the SQL it becomes under
/// SQLite's expression-depth limit (1000), which would otherwise surface as a 500.
pub const MAX_FILTER_LEN: usize = 4096;

/// OData system query options, by name without `$`: each may be given once.
const SYSTEM_OPTIONS: &[&str] = &[
    "top",
    "skip",
    "select",
    "filter",
    "orderby",
    "count",
    "skiptoken",
    "search",
    "expand",
    "format",
    "apply",
    "compute",
    "deltatoken",
    "levels",
    "index",
    "schemaversion",
];

/// Properties of `microsoft.graph.user` the sandbox knows, by their canonical names.
pub const USER_PROPS: &[&str] = &[
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "mailNickname",
    "givenName",
    "surname",
    "jobTitle",
    "userType",
    "accountEnabled",
    "businessPhones",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "deletedDateTime",
    "department",
    "proxyAddresses",
    "onPremisesSyncEnabled",
    "createdDateTime",
    "usageLocation",
    "assignedLicenses",
];

/// Returned when `$select` is absent. `deletedDateTime`, `department`, `proxyAddresses` and
/// `onPremisesSyncEnabled` are deliberately not here: Graph only returns them when selected.
pub const DEFAULT_PROPS: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
    "userType",
    "accountEnabled",
];

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub top: usize,
    pub select: Option<Vec<&'static str>>,
    pub filter_sql: String,
    pub filter_params: Vec<SqlValue>,
    pub order_col: &'static str,
    pub desc: bool,
    pub count: bool,
    pub after: Option<(String, String)>,
    /// The query pairs to carry into `@odata.nextLink` (everything but `$skiptoken`).
    pub carry: Vec<(String, String)>,
}

#[derive(Serialize, Deserialize)]
struct SkipToken {
    /// Sort column, so a token cannot be replayed under another order.
    c: String,
    d: bool,
    v: String,
    i: String,
}

pub fn encode_skiptoken(col: &str, desc: bool, value: String, id: String) -> String {
    let t = SkipToken {
        c: col.into(),
        d: desc,
        v: value,
        i: id,
    };
    format!(
        "X'{}'",
        B64.encode(serde_json::to_vec(&t).unwrap_or_default())
    )
}

/// `$top`: a page size from 1 to `max`, refused with Graph's words otherwise.
pub fn parse_top(value: &str, max: usize) -> ApiResult<usize> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(
            "Request_BadRequest",
            format!(
                "Invalid page size specified: '{value}'. Must be between 1 and {max} inclusive."
            ),
        )),
    }
}

/// A `$skiptoken` (or `$deltatoken`) that cannot be read, or belongs to another query.
pub fn expired_token() -> ApiError {
    ApiError::bad_request(
        "Directory_ExpiredPageToken",
        "The specified page token value has expired and can no longer be included in your request.",
    )
}

fn decode_skiptoken(raw: &str, col: &str, desc: bool) -> Result<(String, String), ApiError> {
    let inner = raw
        .strip_prefix("X'")
        .and_then(|s| s.strip_suffix('\''))
        .ok_or_else(expired_token)?;
    let bytes = B64.decode(inner).map_err(|_| expired_token())?;
    let t: SkipToken = serde_json::from_slice(&bytes).map_err(|_| expired_token())?;
    if t.c != col || t.d != desc {
        return Err(expired_token());
    }
    Ok((t.v, t.i))
}

/// Canonical property name, matched case-insensitively as Graph does.
pub fn canonical_prop(name: &str) -> Option<&'static str> {
    USER_PROPS
        .iter()
        .copied()
        .find(|p| p.eq_ignore_ascii_case(name))
}

pub fn unsupported(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("Request_UnsupportedQuery", message)
}

/// The decoded query pairs, refusing a system query option given twice as Graph does
/// (400 `BadRequest`, "Query option '$top' was specified more than once, but it must be
/// specified at most once.").
pub fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut seen: Vec<String> = Vec::new();
    for (key, _) in &pairs {
        let name = key.strip_prefix('$').unwrap_or(key).to_ascii_lowercase();
        if !(key.starts_with('$') || SYSTEM_OPTIONS.contains(&name.as_str())) {
            continue;
        }
        if seen.contains(&name) {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!(
                    "Query option '{key}' was specified more than once, but it must be specified at most once."
                ),
            ));
        }
        seen.push(name);
    }
    Ok(pairs)
}

/// Parses the query options of a user listing (`deleted` picks the deleted-items rules).
pub fn parse_list(raw: Option<&str>, eventual: bool, deleted: bool) -> Result<ListQuery, ApiError> {
    let pairs = query_pairs(raw)?;
    let mut q = ListQuery {
        top: DEFAULT_TOP,
        select: None,
        filter_sql: "1".into(),
        filter_params: Vec::new(),
        order_col: "id",
        desc: false,
        count: false,
        after: None,
        carry: Vec::new(),
    };
    let mut skiptoken = None;
    let mut orderby = None;
    let mut filtered = false;
    for (key, value) in &pairs {
        let k = key.to_ascii_lowercase();
        let k = k.strip_prefix('$').unwrap_or(&k).to_string();
        match k.as_str() {
            "top" => q.top = parse_top(value, MAX_TOP)?,
            "select" => {
                let mut props = Vec::new();
                for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let p = canonical_prop(name).ok_or_else(|| {
                        ApiError::bad_request(
                            "BadRequest",
                            format!(
                                "Could not find a property named '{name}' on type 'microsoft.graph.user'."
                            ),
                        )
                    })?;
                    if !props.contains(&p) {
                        props.push(p);
                    }
                }
                q.select = Some(props);
            }
            "filter" => {
                let (sql, params) = filter::parse_filter(value)?;
                q.filter_sql = sql;
                q.filter_params = params;
                filtered = true;
            }
            "orderby" => orderby = Some(value.clone()),
            "count" => match value.as_str() {
                "true" => q.count = true,
                "false" => q.count = false,
                _ => {
                    return Err(ApiError::bad_request(
                        "BadRequest",
                        format!("Invalid value '{value}' for $count."),
                    ));
                }
            },
            "skiptoken" => {
                skiptoken = Some(value.clone());
                continue;
            }
            "search" | "expand" | "skip" | "format" | "apply" => {
                return Err(unsupported(format!(
                    "Query option '${k}' is not supported by this sandbox."
                )));
            }
            _ if key.starts_with('$') => {
                return Err(ApiError::bad_request(
                    "BadRequest",
                    format!(
                        "The query specified in the URI is not valid. Unknown query option '{key}'."
                    ),
                ));
            }
            _ => {}
        }
        q.carry.push((key.clone(), value.clone()));
    }
    if let Some(value) = &orderby {
        // Graph's advanced query: the header and `$count=true` together.
        let advanced = eventual && q.count;
        let order = parse_orderby(value, deleted, advanced)?;
        if filtered && !advanced {
            return Err(unsupported("Sorting not supported for current query."));
        }
        q.order_col = order.col;
        q.desc = order.desc;
    }
    if q.count && !eventual {
        return Err(ApiError::bad_request(
            "Request_BadRequest",
            "$count is not currently supported without the ConsistencyLevel: eventual header.",
        ));
    }
    if let Some(raw) = skiptoken {
        q.after = Some(decode_skiptoken(&raw, q.order_col, q.desc)?);
    }
    Ok(q)
}

/// What a `$orderby` asks for: the store column and the direction.
struct OrderBy {
    col: &'static str,
    desc: bool,
}

/// `$orderby` on users as Graph's directory takes it: one property, then `asc` (the default) or
/// `desc`. `displayName` and `userPrincipalName` sort in any query; `deletedDateTime` (deleted
/// items only) only in an advanced one (`advanced`: `ConsistencyLevel: eventual` and
/// `$count=true`). Ties go by id, in the same direction, so paging is stable. What Graph
/// refuses is refused in its words: "Unsupported sort property 'x' for 'User'." outside an
/// advanced query, "An unsupported property was specified." inside one. Two properties and
/// words after the direction are refused in the sandbox's own words: Graph documents one.
fn parse_orderby(value: &str, deleted: bool, advanced: bool) -> ApiResult<OrderBy> {
    let mut keys = value.split(',').map(str::trim);
    let key = keys.next().unwrap_or("");
    if keys.next().is_some() {
        return Err(unsupported(
            "Sorting by more than one property is not supported.",
        ));
    }
    let mut words = key.split_whitespace();
    let prop = words.next().unwrap_or("");
    let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("Invalid sort direction '{other}'."),
            ));
        }
    };
    if let Some(extra) = words.next() {
        return Err(ApiError::bad_request(
            "BadRequest",
            format!("Syntax error: '{extra}' after the sort direction in $orderby."),
        ));
    }
    let col = match canonical_prop(prop) {
        Some("displayName") => "dn_lc",
        Some("userPrincipalName") => "upn_lc",
        Some("deletedDateTime") if deleted && advanced => "deleted_at",
        _ if advanced => return Err(unsupported("An unsupported property was specified.")),
        _ => {
            return Err(unsupported(format!(
                "Unsupported sort property '{prop}' for 'User'."
            )));
        }
    };
    Ok(OrderBy { col, desc })
}

/// Builds the `@odata.nextLink` query: the original options plus the new `$skiptoken`.
pub fn next_query(carry: &[(String, String)], token: &str) -> String {
    let mut out = String::new();
    for (k, v) in carry
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(std::iter::once(("$skiptoken", token)))
    {
        if !out.is_empty() {
            out.push('&');
        }
        out.extend(
            url::form_urlencoded::byte_serialize(k.as_bytes()).map(|s| s.replace("%24", "$")),
        );
        out.push('=');
        out.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::filter::parse_filter;
    use super::*;

    #[test]
    fn long_filters_and_repeated_options_are_400() {
        let long = vec!["id eq 'x'"; 500].join(" or ");
        assert!(long.len() > MAX_FILTER_LEN);
        assert!(
            parse_filter(&long)
                .expect_err("long")
                .message
                .contains("longer")
        );
        for q in [
            "$top=5&$top=6",
            "$select=id&$SELECT=mail",
            "$filter=id eq 'a'&filter=id eq 'b'",
        ] {
            let e = parse_list(Some(q), true, true).expect_err(q);
            assert!(e.message.contains("more than once"), "{q}: {}", e.message);
        }
        // Ordinary parameters may repeat: only system options are counted.
        assert!(parse_list(Some("x=1&x=2"), true, true).is_ok());
    }

    #[test]
    fn orderby_deleted_needs_eventual_and_count() {
        let e = parse_list(Some("$orderby=deletedDateTime"), true, true).expect_err("no count");
        assert!(e.message.contains("Unsupported sort property"));
        assert!(
            parse_list(
                Some("$orderby=deletedDateTime desc&$count=true"),
                true,
                true
            )
            .is_ok()
        );
        assert!(parse_list(Some("$count=true"), false, true).is_err());
        assert!(parse_list(Some("$top=1000"), false, true).is_err());
        assert!(parse_list(Some("$top=999"), false, true).is_ok());
    }

    #[test]
    fn orderby_is_one_property_and_a_direction() {
        let ok = |q: &str, eventual: bool| {
            let q = parse_list(Some(q), eventual, true).unwrap_or_else(|e| panic!("{q}: {e:?}"));
            (q.order_col, q.desc)
        };
        assert_eq!(
            ok("$count=true&$orderby=deletedDateTime asc", true),
            ("deleted_at", false)
        );
        assert_eq!(
            ok("$orderby=DELETEDDATETIME DESC&$count=true", true),
            ("deleted_at", true)
        );
        assert_eq!(ok("$orderby=displayName", false), ("dn_lc", false));
        assert_eq!(
            ok("$orderby=userPrincipalName desc", false),
            ("upn_lc", true)
        );

        let refused = |q: &str, eventual: bool| {
            let e = parse_list(Some(q), eventual, true).expect_err(q);
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{q}");
            (e.code, e.message)
        };
        // Outside an advanced query Graph names the property; inside one it does not.
        let (code, msg) = refused("$orderby=jobTitle", false);
        assert_eq!(code, "Request_UnsupportedQuery");
        assert_eq!(msg, "Unsupported sort property 'jobTitle' for 'User'.");
        let (code, msg) = refused("$orderby=jobTitle&$count=true", true);
        assert_eq!(code, "Request_UnsupportedQuery");
        assert_eq!(msg, "An unsupported property was specified.");
        // deletedDateTime is the deleted items' own, and only in an advanced query.
        let e = parse_list(Some("$orderby=deletedDateTime&$count=true"), true, false)
            .expect_err("active users have no deletion time to sort by");
        assert_eq!(e.message, "An unsupported property was specified.");
        assert!(
            refused("$orderby=deletedDateTime&$count=true", false)
                .1
                .contains("Unsupported sort property")
        );
        // $filter with $orderby is an advanced query.
        let (code, msg) = refused("$filter=userType eq 'Guest'&$orderby=displayName", false);
        assert_eq!(code, "Request_UnsupportedQuery");
        assert_eq!(msg, "Sorting not supported for current query.");
        assert!(
            parse_list(
                Some("$filter=userType eq 'Guest'&$orderby=displayName&$count=true"),
                true,
                true
            )
            .is_ok()
        );
        // One property, one direction, nothing after.
        assert!(
            refused("$orderby=displayName,userPrincipalName", false)
                .1
                .contains("more than one")
        );
        assert!(
            refused(
                "$orderby=deletedDateTime asc, displayName&$count=true",
                true
            )
            .1
            .contains("more than one")
        );
        assert!(
            refused("$orderby=displayName up", false)
                .1
                .contains("direction")
        );
        assert!(
            refused("$orderby=displayName asc asc", false)
                .1
                .contains("after the sort direction")
        );
        assert!(
            refused("$orderby=", false)
                .1
                .contains("Unsupported sort property")
        );
    }

    #[test]
    fn skiptokens_round_trip_and_bind_to_their_order() {
        let t = encode_skiptoken("dn_lc", false, "zoë".into(), "id-1".into());
        let q = parse_list(
            Some(&format!("$orderby=displayName&$skiptoken={}", urlenc(&t))),
            false,
            true,
        )
        .expect("parses");
        assert_eq!(q.after, Some(("zoë".into(), "id-1".into())));
        assert!(parse_list(Some(&format!("$skiptoken={}", urlenc(&t))), false, true).is_err());
        assert!(parse_list(Some("$skiptoken=junk"), false, true).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_query_string_parses_or_is_a_400(s in "[$a-z=&'(), 0-9%]{0,80}") {
            if let Err(e) = parse_list(Some(&s), true, true) {
                proptest::prop_assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
            }
        }
    }

    fn urlenc(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }
}
