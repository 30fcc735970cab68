//! OData query options of the listing routes: `$top`, `$select`, `$filter`, `$orderby`,
//! `$count`, `$skiptoken`. `$filter` becomes SQL with bound parameters, never spliced text.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};

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
    let mut orderby_deleted = false;
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
                let (sql, params) = parse_filter(value)?;
                q.filter_sql = sql;
                q.filter_params = params;
            }
            "orderby" => {
                let mut words = value.split_whitespace();
                let prop = words.next().unwrap_or("");
                q.desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
                    None | Some("asc") => false,
                    Some("desc") => true,
                    Some(other) => {
                        return Err(ApiError::bad_request(
                            "BadRequest",
                            format!("Invalid sort direction '{other}'."),
                        ));
                    }
                };
                q.order_col = match canonical_prop(prop) {
                    Some("displayName") => "dn_lc",
                    Some("userPrincipalName") => "upn_lc",
                    Some("deletedDateTime") if deleted => {
                        orderby_deleted = true;
                        "deleted_at"
                    }
                    _ => {
                        return Err(unsupported(format!(
                            "Unsupported sort property '{prop}' for 'User'."
                        )));
                    }
                };
            }
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
    if orderby_deleted && !(eventual && q.count) {
        return Err(unsupported(
            "Unsupported sort property 'deletedDateTime' for 'User'.",
        ));
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

// ---- $filter ----

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Comma,
    Str(String),
    Word(String),
}

fn invalid_filter(detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("BadRequest", format!("Invalid filter clause: {detail}"))
}

fn tokenize(s: &str) -> Result<Vec<Tok>, ApiError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            ',' => {
                chars.next();
                out.push(Tok::Comma);
            }
            '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        Some('\'') => break,
                        Some(ch) => text.push(ch),
                        None => return Err(invalid_filter("unterminated string literal")),
                    }
                }
                out.push(Tok::Str(text));
            }
            _ => {
                let mut word = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || matches!(ch, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    word.push(ch);
                    chars.next();
                }
                out.push(Tok::Word(word));
            }
        }
    }
    Ok(out)
}

struct Parser {
    on: FilterOn,
    toks: Vec<Tok>,
    pos: usize,
    params: Vec<SqlValue>,
    /// Current nesting of parentheses and `not`: checked on the way down, so no input can
    /// recurse deeper than `MAX_FILTER_DEPTH` levels.
    depth: usize,
}

/// How a property is compared in SQL.
enum Col {
    /// Case-insensitive text, through a lower-cased column.
    Folded(&'static str),
    /// Text compared as is (ids, RFC 3339 timestamps).
    Exact(&'static str),
    Bool(&'static str),
}

/// What a `$filter` is over: the table its SQL reads, and the type errors name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOn {
    Users,
    Groups,
    Contacts,
}

impl FilterOn {
    /// The table whose columns the SQL names.
    fn table(self) -> &'static str {
        match self {
            FilterOn::Users => "users",
            FilterOn::Groups | FilterOn::Contacts => "objects",
        }
    }

    /// The resource as Graph's errors name it.
    fn resource(self) -> &'static str {
        match self {
            FilterOn::Users => "User",
            FilterOn::Groups => "Group",
            FilterOn::Contacts => "OrgContact",
        }
    }

    fn column(self, prop: &str) -> Result<Col, ApiError> {
        if self == FilterOn::Users {
            return column(prop);
        }
        // Groups and contacts: what the sweep and pre-flight need, and their names.
        Ok(match prop.to_ascii_lowercase().as_str() {
            "id" => Col::Exact("id"),
            "displayname" => Col::Folded("lower(display_name)"),
            "mail" => Col::Folded("lower(mail)"),
            _ => {
                return Err(unsupported(format!(
                    "Unsupported or invalid query filter clause specified for property '{prop}' \
                     of resource '{}'.",
                    self.resource()
                )));
            }
        })
    }
}

fn column(prop: &str) -> Result<Col, ApiError> {
    Ok(match canonical_prop(prop) {
        Some("id") => Col::Exact("id"),
        Some("displayName") => Col::Folded("dn_lc"),
        Some("userPrincipalName") => Col::Folded("upn_lc"),
        Some("mail") => Col::Folded("mail_lc"),
        Some("givenName") => Col::Folded("lower(given_name)"),
        Some("surname") => Col::Folded("lower(surname)"),
        Some("jobTitle") => Col::Folded("lower(job_title)"),
        Some("department") => Col::Folded("lower(department)"),
        Some("userType") => Col::Folded("lower(user_type)"),
        Some("deletedDateTime") => Col::Exact("deleted_at"),
        Some("createdDateTime") => Col::Exact("created_at"),
        Some("accountEnabled") => Col::Bool("account_enabled"),
        Some("onPremisesSyncEnabled") => Col::Bool("on_prem_sync"),
        Some(p) => {
            return Err(unsupported(format!(
                "Unsupported or invalid query filter clause specified for property '{p}' of resource 'User'."
            )));
        }
        None => {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!("Could not find a property named '{prop}' on type 'microsoft.graph.user'."),
            ));
        }
    })
}

/// Normalises an OData datetime literal to the store's `YYYY-MM-DDTHH:MM:SSZ`.
fn datetime(lit: &str) -> Result<String, ApiError> {
    chrono::DateTime::parse_from_rfc3339(lit)
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
        .map_err(|_| invalid_filter(format!("'{lit}' is not a valid DateTimeOffset")))
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, t: Tok) -> Result<(), ApiError> {
        match self.next() {
            Some(got) if got == t => Ok(()),
            other => Err(invalid_filter(format!("expected {t:?}, found {other:?}"))),
        }
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn or_expr(&mut self) -> Result<String, ApiError> {
        let mut sql = self.and_expr()?;
        while self.keyword("or") {
            self.pos += 1;
            sql = format!("({sql} OR {})", self.and_expr()?);
        }
        Ok(sql)
    }

    fn and_expr(&mut self) -> Result<String, ApiError> {
        let mut sql = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            sql = format!("({sql} AND {})", self.unary()?);
        }
        Ok(sql)
    }

    fn descend(&mut self) -> Result<(), ApiError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(ApiError::bad_request(
                "BadRequest",
                format!(
                    "Invalid filter clause: the filter is nested more than {MAX_FILTER_DEPTH} levels deep."
                ),
            ));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<String, ApiError> {
        if self.keyword("not") {
            self.pos += 1;
            self.descend()?;
            let sql = format!("(NOT {})", self.unary()?);
            self.depth -= 1;
            return Ok(sql);
        }
        if self.peek() == Some(&Tok::Open) {
            self.pos += 1;
            self.descend()?;
            let inner = self.or_expr()?;
            self.expect(Tok::Close)?;
            self.depth -= 1;
            return Ok(inner);
        }
        self.comparison()
    }

    fn string(&mut self) -> Result<String, ApiError> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(s),
            other => Err(invalid_filter(format!(
                "expected a string literal, found {other:?}"
            ))),
        }
    }

    fn comparison(&mut self) -> Result<String, ApiError> {
        let Some(Tok::Word(word)) = self.next() else {
            return Err(invalid_filter("expected a property or a function"));
        };
        let lower = word.to_ascii_lowercase();
        if lower == "startswith" {
            self.expect(Tok::Open)?;
            let Some(Tok::Word(prop)) = self.next() else {
                return Err(invalid_filter("startswith needs a property"));
            };
            self.expect(Tok::Comma)?;
            let value = self.string()?;
            self.expect(Tok::Close)?;
            let Col::Folded(col) = self.on.column(&prop)? else {
                return Err(unsupported(format!(
                    "startswith is not supported on '{prop}'."
                )));
            };
            let value = value.to_lowercase();
            self.params
                .push(SqlValue::Integer(value.chars().count() as i64));
            self.params.push(SqlValue::Text(value));
            return Ok(format!("substr(COALESCE({col}, ''), 1, ?) = ?"));
        }
        if lower == "proxyaddresses/any" {
            // proxyAddresses/any(p:p eq 'smtp:x@y')
            self.expect(Tok::Open)?;
            let Some(Tok::Word(lambda)) = self.next() else {
                return Err(invalid_filter("any() needs a lambda"));
            };
            let var = lambda.split(':').next().unwrap_or("");
            if lambda != format!("{var}:{var}") || var.is_empty() {
                return Err(invalid_filter(format!("unsupported lambda '{lambda}'")));
            }
            if !self.keyword("eq") {
                return Err(unsupported(
                    "Only 'eq' is supported inside proxyAddresses/any.",
                ));
            }
            self.pos += 1;
            let value = self.string()?;
            self.expect(Tok::Close)?;
            self.params.push(SqlValue::Text(value.to_lowercase()));
            return Ok(format!(
                "EXISTS (SELECT 1 FROM json_each({}.proxy_addresses) j WHERE lower(j.value) = ?)",
                self.on.table()
            ));
        }
        if matches!(self.peek(), Some(Tok::Open)) {
            return Err(unsupported(format!("Unsupported function '{word}'.")));
        }
        let col = self.on.column(&word)?;
        let op = match self.next() {
            Some(Tok::Word(op)) => op.to_ascii_lowercase(),
            _ => return Err(invalid_filter("expected an operator")),
        };
        let sql_op = match op.as_str() {
            "eq" => "=",
            "ne" => "<>",
            "ge" => ">=",
            "le" => "<=",
            "gt" => ">",
            "lt" => "<",
            other => return Err(invalid_filter(format!("unknown operator '{other}'"))),
        };
        let lit = self
            .next()
            .ok_or_else(|| invalid_filter("expected a value"))?;
        match (col, lit) {
            (Col::Folded(c), Tok::Str(s)) => {
                if !matches!(sql_op, "=" | "<>") {
                    return Err(unsupported(format!(
                        "Operator '{op}' is not supported on '{word}'."
                    )));
                }
                self.params.push(SqlValue::Text(s.to_lowercase()));
                Ok(format!("COALESCE({c}, '') {sql_op} ?"))
            }
            (Col::Exact(c), lit) => {
                let value = match lit {
                    Tok::Str(s) if c == "id" => s.to_lowercase(),
                    Tok::Word(w) if c != "id" => datetime(&w)?,
                    Tok::Str(s) if c != "id" => datetime(&s)?,
                    other => return Err(invalid_filter(format!("unexpected value {other:?}"))),
                };
                self.params.push(SqlValue::Text(value));
                Ok(format!("{c} {sql_op} ?"))
            }
            (Col::Bool(c), Tok::Word(w)) if matches!(sql_op, "=" | "<>") => {
                let b = match w.as_str() {
                    "true" => 1,
                    "false" => 0,
                    _ => return Err(invalid_filter(format!("'{w}' is not a boolean"))),
                };
                self.params.push(SqlValue::Integer(b));
                Ok(format!("{c} {sql_op} ?"))
            }
            (_, other) => Err(invalid_filter(format!("unexpected value {other:?}"))),
        }
    }
}

/// `$filter` as a SQL boolean expression over the `users` table, with its parameters.
pub fn parse_filter(s: &str) -> Result<(String, Vec<SqlValue>), ApiError> {
    parse_filter_on(s, FilterOn::Users)
}

/// `$filter` as a SQL boolean expression over what `on` names, with its parameters.
pub fn parse_filter_on(s: &str, on: FilterOn) -> Result<(String, Vec<SqlValue>), ApiError> {
    if s.len() > MAX_FILTER_LEN {
        return Err(ApiError::bad_request(
            "BadRequest",
            format!(
                "Invalid filter clause: the filter is longer than {MAX_FILTER_LEN} characters."
            ),
        ));
    }
    let mut p = Parser {
        on,
        toks: tokenize(s)?,
        pos: 0,
        params: Vec::new(),
        depth: 0,
    };
    if p.toks.is_empty() {
        return Err(invalid_filter("empty"));
    }
    let sql = p.or_expr()?;
    if p.pos != p.toks.len() {
        return Err(invalid_filter(format!(
            "unexpected {:?}",
            p.toks.get(p.pos)
        )));
    }
    Ok((sql, p.params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_parameterised_sql() {
        let (sql, params) = parse_filter(
            "startswith(displayName,'Zo''e') and deletedDateTime ge 2026-01-01T00:00:00Z",
        )
        .expect("parses");
        assert_eq!(
            sql,
            "(substr(COALESCE(dn_lc, ''), 1, ?) = ? AND deleted_at >= ?)"
        );
        assert_eq!(params.len(), 3);
        assert_eq!(params[1], SqlValue::Text("zo'e".into()));
        assert_eq!(params[2], SqlValue::Text("2026-01-01T00:00:00Z".into()));
        assert!(parse_filter("proxyAddresses/any(p:p eq 'smtp:a@b.c')").is_ok());
        assert!(parse_filter("mail eq 'x' or id eq 'Y'").is_ok());
    }

    #[test]
    fn groups_and_contacts_filter_their_own_table() {
        let (sql, params) = parse_filter_on(
            "proxyAddresses/any(x:x eq 'SMTP:A@b.c')",
            FilterOn::Contacts,
        )
        .expect("parses");
        assert!(sql.contains("json_each(objects.proxy_addresses)"), "{sql}");
        assert_eq!(params, vec![SqlValue::Text("smtp:a@b.c".into())]);
        assert!(parse_filter_on("mail eq 'a@b.c' or id eq 'X'", FilterOn::Groups).is_ok());
        let e = parse_filter_on("userPrincipalName eq 'a@b.c'", FilterOn::Groups)
            .expect_err("groups have no user name");
        assert!(e.message.contains("resource 'Group'"), "{}", e.message);
    }

    #[test]
    fn bad_filters_are_400() {
        for bad in [
            "",
            "displayName eq",
            "startswith(displayName,'x'",
            "foo eq 'x'",
            "'x'",
            "mail zz 'a'",
        ] {
            let e = parse_filter(bad).expect_err(bad);
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn nesting_is_bounded_while_parsing() {
        let nested = |n: usize| format!("{}id eq 'x'{}", "(".repeat(n), ")".repeat(n));
        assert!(parse_filter(&nested(MAX_FILTER_DEPTH)).is_ok());
        let e = parse_filter(&nested(MAX_FILTER_DEPTH + 1)).expect_err("too deep");
        assert!(e.message.contains("nested"), "{}", e.message);
        let nots = |n: usize| format!("{}id eq 'x'", "not ".repeat(n));
        assert!(parse_filter(&nots(MAX_FILTER_DEPTH)).is_ok());
        assert!(parse_filter(&nots(MAX_FILTER_DEPTH + 1)).is_err());
        // Depth is what is open at once, not how many groups there are.
        let siblings = vec!["(id eq 'x')"; 200].join(" or ");
        assert!(parse_filter(&siblings).is_ok());
        // Unbalanced input deep enough to overflow an unbounded parser is a 400, not a crash
        // (run on a small stack, so the check is what saves it).
        let deep = "(".repeat(MAX_FILTER_LEN);
        let e = std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || parse_filter(&deep).map(|_| ()))
            .expect("thread")
            .join()
            .expect("no overflow");
        assert!(e.is_err());
    }

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
        fn any_filter_text_parses_or_is_a_400(s in "\\PC{0,60}") {
            if let Err(e) = parse_filter(&s) {
                proptest::prop_assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
            }
        }

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
