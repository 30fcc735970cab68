//! `$filter` as SQL with bound parameters, never spliced text: the tokens, the recursive
//! parser (its depth bounded), and the column each property is compared through.

use rusqlite::types::Value as SqlValue;

use super::{MAX_FILTER_DEPTH, MAX_FILTER_LEN, canonical_prop, unsupported};
use crate::error::ApiError;

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

    proptest::proptest! {
        #[test]
        fn any_filter_text_parses_or_is_a_400(s in "\\PC{0,60}") {
            if let Err(e) = parse_filter(&s) {
                proptest::prop_assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
            }
        }
    }
}
