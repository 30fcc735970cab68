//! How deleted users are printed: an aligned table for people, JSON and CSV for scripts.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::args::SortKey;
use crate::directory::DeletedUser;
use crate::text::{ago, fit};

const MAX_NAME: usize = 40;
const MAX_UPN: usize = 48;
const MAX_OTHER: usize = 24;

/// Keeps the users a filter on `text` finds: `query::Filter`, the table's rule.
pub fn filter(users: &mut Vec<DeletedUser>, text: Option<&str>) {
    if let Some(filter) = text.and_then(crate::query::Filter::new) {
        filter.retain(users);
    }
}

/// Sorts in place, in the order the table shows for the same key (`query::sort`).
pub fn sort(users: &mut Vec<DeletedUser>, key: SortKey) {
    crate::query::sort(users, key);
}

/// "12d", "36h", "overdue", as the TUI's Left column says it.
pub fn left(user: &DeletedUser, now: DateTime<Utc>) -> String {
    crate::directory::time_left::short(user.time_left(now))
}

fn pad(out: &mut String, s: &str, width: usize) {
    out.push_str(s);
    for _ in s.width()..width {
        out.push(' ');
    }
}

/// What a listing knows of a user beyond the listing itself (`--with`): whether its names
/// are held elsewhere and by what, and whether directory sync deleted it.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub conflict: bool,
    pub by_sync: bool,
    /// What holds its user name or addresses, in words, one line each.
    pub clashes: Vec<String>,
}

/// An aligned table (by display width, so wide and combining characters line up).
pub fn write_table(
    out: &mut dyn Write,
    users: &[DeletedUser],
    now: DateTime<Utc>,
    color: bool,
) -> io::Result<()> {
    write_table_with(out, users, now, color, &|_| Known::default())
}

/// `write_table` with what `known` says of each user: the TUI's badges beside the name
/// (`[CONFLICT]`, `[BY SYNC]`, as `crate::badges` words them), and under a conflicted user
/// a `↳` line per holder.
pub fn write_table_with(
    out: &mut dyn Write,
    users: &[DeletedUser],
    now: DateTime<Utc>,
    color: bool,
    known: &dyn Fn(&DeletedUser) -> Known,
) -> io::Result<()> {
    let extra: Vec<Known> = users.iter().map(known).collect();
    write_table_rows(out, users, &extra, None, now, color)
}

/// The table of `write_table_with`, what is known of each user given in `extra`, and with
/// `tenants` (one per user) a TENANT column first: a listing across tenants.
pub fn write_table_rows(
    out: &mut dyn Write,
    users: &[DeletedUser],
    extra: &[Known],
    tenants: Option<&[&str]>,
    now: DateTime<Utc>,
    color: bool,
) -> io::Result<()> {
    let header = [
        "NAME",
        "USER NAME",
        "DELETED",
        "LEFT",
        "DEPARTMENT",
        "JOB TITLE",
        "ID",
    ];
    let rows: Vec<[String; 7]> = users
        .iter()
        .zip(extra)
        .map(|(u, k)| {
            let flags = crate::badges::Flags {
                conflict: k.conflict,
                by_sync: k.by_sync,
                synced: u.on_premises_sync_enabled,
                guest: u.is_guest(),
            };
            // The expiry is the LEFT column's (red on a terminal), not a badge here; a long
            // name gives way to its badges as in the TUI's table.
            let (name, tags) = crate::badges::name_cell(
                &u.display_name,
                MAX_NAME,
                None,
                flags,
                crate::badges::BadgeSize::Full,
            );
            [
                if tags.is_empty() {
                    name
                } else {
                    format!("{name}  {tags}")
                },
                fit(&u.original_upn, MAX_UPN),
                ago(u.deleted_at, now),
                left(u, now),
                fit(u.department.as_deref().unwrap_or("—"), MAX_OTHER),
                fit(u.job_title.as_deref().unwrap_or("—"), MAX_OTHER),
                u.id.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.width());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let tenant_cells: Option<Vec<String>> =
        tenants.map(|t| t.iter().map(|t| fit(t, MAX_OTHER)).collect());
    let tenant_width = tenant_cells.as_ref().map(|cells| {
        cells
            .iter()
            .map(|c| c.width())
            .fold("TENANT".width(), usize::max)
    });
    let mut line = String::new();
    if let Some(w) = tenant_width {
        pad(&mut line, "TENANT", w);
        line.push_str("  ");
    }
    for (i, h) in header.iter().enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        pad(
            &mut line,
            h,
            if i + 1 == header.len() { 0 } else { widths[i] },
        );
    }
    writeln!(out, "{line}")?;
    for (n, ((row, user), k)) in rows.iter().zip(users).zip(extra).enumerate() {
        line.clear();
        if let (Some(cells), Some(w)) = (&tenant_cells, tenant_width) {
            pad(&mut line, cells.get(n).map_or("", String::as_str), w);
            line.push_str("  ");
        }
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            pad(
                &mut line,
                cell,
                if i + 1 == row.len() { 0 } else { widths[i] },
            );
        }
        let urgent = user.time_left(now).is_some_and(|t| t.is_expiring());
        if color && urgent {
            writeln!(out, "\x1b[31m{line}\x1b[0m")?;
        } else {
            writeln!(out, "{line}")?;
        }
        for clash in &k.clashes {
            writeln!(out, "  ↳ {clash}")?;
        }
    }
    Ok(())
}

/// A deleted user as scripts see it: Graph's field names, plus the computed purge date.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord<'a> {
    /// The tenant the user is in, as configured, in a listing across several (absent for one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<&'a str>,
    pub id: &'a str,
    pub display_name: &'a str,
    pub user_principal_name: &'a str,
    pub deleted_user_principal_name: &'a str,
    pub mail: Option<&'a str>,
    pub department: Option<&'a str>,
    pub job_title: Option<&'a str>,
    pub deleted_date_time: Option<String>,
    pub purge_date_time: Option<String>,
    pub days_left: Option<i64>,
    /// Whole hours to the purge, negative once past: for scripts that alert under a day.
    pub hours_left: Option<i64>,
    pub on_premises_sync_enabled: bool,
    pub user_type: Option<&'a str>,
    pub proxy_addresses: &'a [String],
    /// `list --format json`: what holds this user's values now (`[]`: nothing; `null`: not
    /// known, a read of the sweep was refused or failed). Absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicts: Option<super::known::ConflictsJson>,
    /// `list --format json`: who deleted it, from the audit log (`null`: not known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<super::known::DeletedByJson>,
}

fn timestamp(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

impl<'a> UserRecord<'a> {
    /// The user's strings as stored when the listing kept them (JSON escapes whatever they
    /// hold, so a script sees the real value), else the cleaned ones.
    pub fn stored(u: &'a DeletedUser, now: DateTime<Utc>) -> Self {
        let record = Self::new(u, now);
        match u.stored.as_deref() {
            Some(s) => Self {
                display_name: &s.display_name,
                user_principal_name: &s.original_upn,
                deleted_user_principal_name: &s.deleted_upn,
                mail: s.mail.as_deref(),
                department: s.department.as_deref(),
                job_title: s.job_title.as_deref(),
                user_type: s.user_type.as_deref(),
                proxy_addresses: &s.proxy_addresses,
                ..record
            },
            None => record,
        }
    }

    /// The cleaned strings, for a table or a CSV cell a terminal or spreadsheet may show.
    pub fn new(u: &'a DeletedUser, now: DateTime<Utc>) -> Self {
        let left = u.time_left(now);
        Self {
            tenant: None,
            id: &u.id,
            display_name: &u.display_name,
            user_principal_name: &u.original_upn,
            deleted_user_principal_name: &u.deleted_upn,
            mail: u.mail.as_deref(),
            department: u.department.as_deref(),
            job_title: u.job_title.as_deref(),
            deleted_date_time: timestamp(u.deleted_at),
            purge_date_time: timestamp(u.purge_at()),
            days_left: left.map(|t| t.days()),
            hours_left: left.map(|t| t.hours()),
            on_premises_sync_enabled: u.on_premises_sync_enabled,
            user_type: u.user_type.as_deref(),
            proxy_addresses: &u.proxy_addresses,
            conflicts: None,
            deleted_by: None,
        }
    }
}

/// One JSON array of users, with their strings as stored where the listing kept them: JSON
/// escapes control characters (`\u001b`), so nothing reaches a terminal raw.
pub fn write_json(
    out: &mut dyn Write,
    users: &[DeletedUser],
    now: DateTime<Utc>,
) -> io::Result<()> {
    write_json_with(out, users, now, &|_, _| {})
}

/// One JSON array of users, each record completed by `annotate` (conflicts, deleted by).
pub fn write_json_with(
    out: &mut dyn Write,
    users: &[DeletedUser],
    now: DateTime<Utc>,
    annotate: &dyn Fn(&DeletedUser, &mut UserRecord<'_>),
) -> io::Result<()> {
    let mut array = JsonArray::default();
    for u in users {
        array.record(out, u, now, annotate)?;
    }
    array.end(out)
}

/// A compact JSON array written one record at a time, so neither the users nor their records
/// (and enrichments) need to be held at once. Until `end`, what was written is not valid JSON:
/// a listing cut short leaves it so, and a script's parser fails rather than taking part of
/// the list for the whole.
#[derive(Default)]
pub struct JsonArray {
    started: bool,
}

impl JsonArray {
    /// Writes one user, completed by `annotate`.
    pub fn record<W: Write + ?Sized>(
        &mut self,
        out: &mut W,
        u: &DeletedUser,
        now: DateTime<Utc>,
        annotate: &dyn Fn(&DeletedUser, &mut UserRecord<'_>),
    ) -> io::Result<()> {
        self.record_in(out, u, None, now, annotate)
    }

    /// Writes one user of `tenant` (a listing across tenants), completed by `annotate`.
    pub fn record_in<W: Write + ?Sized>(
        &mut self,
        out: &mut W,
        u: &DeletedUser,
        tenant: Option<&str>,
        now: DateTime<Utc>,
        annotate: &dyn Fn(&DeletedUser, &mut UserRecord<'_>),
    ) -> io::Result<()> {
        out.write_all(if self.started { b"," } else { b"[" })?;
        self.started = true;
        json_record(out, u, tenant, now, annotate)
    }

    /// Writes records `json_records` already wrote (none: nothing is written).
    pub fn records<W: Write + ?Sized>(&mut self, out: &mut W, records: &[u8]) -> io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        out.write_all(if self.started { b"," } else { b"[" })?;
        self.started = true;
        out.write_all(records)
    }

    /// Closes the array (an empty one too) and ends the line.
    pub fn end<W: Write + ?Sized>(self, out: &mut W) -> io::Result<()> {
        if !self.started {
            out.write_all(b"[")?;
        }
        out.write_all(b"]\n")
    }
}

/// One user's JSON record, completed by `annotate`.
fn json_record<W: Write + ?Sized>(
    out: &mut W,
    u: &DeletedUser,
    tenant: Option<&str>,
    now: DateTime<Utc>,
    annotate: &dyn Fn(&DeletedUser, &mut UserRecord<'_>),
) -> io::Result<()> {
    let mut r = UserRecord::stored(u, now);
    r.tenant = tenant;
    annotate(u, &mut r);
    undelete_common::safe_json::to_writer(&mut *out, &r)
}

/// Users' JSON records separated by commas, for `JsonArray::records`: a part of an array
/// written apart from it (on another thread).
pub fn json_records<'a>(
    out: &mut Vec<u8>,
    users: impl IntoIterator<Item = &'a DeletedUser>,
    now: DateTime<Utc>,
    annotate: &dyn Fn(&DeletedUser, &mut UserRecord<'_>),
) -> io::Result<()> {
    for u in users {
        if !out.is_empty() {
            out.push(b',');
        }
        json_record(out, u, None, now, annotate)?;
    }
    Ok(())
}

/// RFC 4180 CSV with a header row, `\n` after each record.
pub fn write_csv(out: &mut dyn Write, users: &[DeletedUser], now: DateTime<Utc>) -> io::Result<()> {
    let mut csv = CsvRows::start(out)?;
    for u in users {
        csv.row(out, u, now)?;
    }
    Ok(())
}

/// CSV rows written one user at a time, after the header row (`default`: rows of a CSV whose
/// header is written elsewhere).
pub struct CsvRows {
    cells: CsvCells,
}

impl Default for CsvRows {
    fn default() -> Self {
        Self {
            cells: CsvCells::new(),
        }
    }
}

impl CsvRows {
    /// Writes the header row.
    pub fn start<W: Write + ?Sized>(out: &mut W) -> io::Result<Self> {
        Self::header(out)?;
        Ok(Self::default())
    }

    pub fn header<W: Write + ?Sized>(out: &mut W) -> io::Result<()> {
        Self::header_of(out, false)
    }

    /// The header row, with a last `tenant` column for a listing across tenants (last, so a
    /// script reading columns by position reads the same ones for one tenant or many).
    pub fn header_of<W: Write + ?Sized>(out: &mut W, tenants: bool) -> io::Result<()> {
        writeln!(
            out,
            "id,displayName,userPrincipalName,mail,department,jobTitle,deletedDateTime,\
             purgeDateTime,daysLeft,onPremisesSyncEnabled,userType,hoursLeft{}",
            if tenants { ",tenant" } else { "" }
        )
    }

    pub fn row<W: Write + ?Sized>(
        &mut self,
        out: &mut W,
        u: &DeletedUser,
        now: DateTime<Utc>,
    ) -> io::Result<()> {
        self.row_in(out, u, None, now)
    }

    /// A row, ending with the user's tenant when given (see `header_of`).
    pub fn row_in<W: Write + ?Sized>(
        &mut self,
        out: &mut W,
        u: &DeletedUser,
        tenant: Option<&str>,
        now: DateTime<Utc>,
    ) -> io::Result<()> {
        let r = UserRecord::new(u, now);
        let days = r.days_left.map(|d| d.to_string());
        // Last, so scripts that read columns by position keep working.
        let hours = r.hours_left.map(|h| h.to_string());
        let row = [
            Some(r.id),
            Some(r.display_name),
            Some(r.user_principal_name),
            r.mail,
            r.department,
            r.job_title,
            r.deleted_date_time.as_deref(),
            r.purge_date_time.as_deref(),
            days.as_deref(),
            Some(if r.on_premises_sync_enabled {
                "true"
            } else {
                "false"
            }),
            r.user_type,
            hours.as_deref(),
        ];
        let cells = row.iter().map(|c| c.unwrap_or("")).chain(tenant);
        out.write_all(self.cells.record(cells))
    }
}

/// CSV records built by `csv-core` (the `csv` crate's writer), which quotes and escapes. The
/// `csv` crate itself picks quoting per writer, not per cell, and a defused formula has to be
/// quoted whatever it holds, so each cell goes through one of two writers.
struct CsvCells {
    /// Quotes when the cell needs it (a comma, a quote, a line break).
    plain: csv_core::Writer,
    /// Always quotes: for a formula defused with a leading `'`.
    quoted: csv_core::Writer,
    line: Vec<u8>,
}

impl CsvCells {
    fn new() -> Self {
        Self {
            plain: csv_core::Writer::new(),
            quoted: csv_core::WriterBuilder::new()
                .quote_style(csv_core::QuoteStyle::Always)
                .build(),
            line: Vec::new(),
        }
    }

    /// One record, ended by `\n`. A cell a spreadsheet would run as a formula (`=`, `+`, `-`,
    /// `@` first, also after blanks, which some importers trim) gets a leading `'` inside
    /// quotes: display names are chosen by whoever created the user.
    fn record<'a>(&mut self, cells: impl Iterator<Item = &'a str>) -> &[u8] {
        self.line.clear();
        for value in cells {
            let formula = value.starts_with(['\t', '\r'])
                || value
                    .trim_start_matches([' ', '\t', '\r', '\n'])
                    .starts_with(['=', '+', '-', '@']);
            let (writer, prefix): (&mut csv_core::Writer, &[u8]) = if formula {
                (&mut self.quoted, b"'")
            } else {
                (&mut self.plain, b"")
            };
            // The most a cell can take: its bytes (and the prefix) all doubled quotes, the two
            // quotes around it and the delimiter. With that room every call writes everything,
            // so the results need no checking.
            let start = self.line.len();
            self.line
                .resize(start + 2 * (prefix.len() + value.len()) + 3, 0);
            let buf = &mut self.line[start..];
            // `Necessary` quoting is decided on a field's first piece: the plain writer must
            // see the whole cell at once, so an empty prefix is not written.
            let a = if prefix.is_empty() {
                0
            } else {
                writer.field(prefix, buf).2
            };
            let (_, _, b) = writer.field(value.as_bytes(), &mut buf[a..]);
            // Closes the quote, writes the comma and leaves the writer ready for a new cell.
            let (_, c) = writer.delimiter(&mut buf[a + b..]);
            self.line.truncate(start + a + b + c);
        }
        // The last cell's comma becomes the end of the record.
        self.line.pop();
        self.line.push(b'\n');
        &self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn user(id: &str, name: &str, days_ago: i64) -> DeletedUser {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        DeletedUser {
            id: id.into(),
            display_name: name.into(),
            deleted_upn: format!("{id}{name}@contoso.com"),
            original_upn: format!("{}@contoso.com", name.to_lowercase().replace(' ', ".")),
            mail: None,
            proxy_addresses: vec![],
            department: Some("Sales".into()),
            job_title: None,
            deleted_at: Some(now - Duration::days(days_ago)),
            on_premises_sync_enabled: false,
            user_type: None,
            account_disabled: false,
            stored: None,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    #[test]
    fn default_sort_is_soonest_purge_first() {
        let mut users = vec![
            user("a", "Bea", 3),
            user("b", "Ann", 28),
            user("c", "Cy", 10),
        ];
        sort(&mut users, SortKey::DaysLeft);
        let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["b", "c", "a"]);
        sort(&mut users, SortKey::Deleted);
        let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "b"]);
        sort(&mut users, SortKey::Name);
        let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
    }

    #[test]
    fn filter_matches_name_upn_department() {
        let mut users = vec![user("a", "Bea Smith", 3), user("b", "Ann Jones", 28)];
        filter(&mut users, Some("JONES"));
        assert_eq!(users.len(), 1);
        let mut users = vec![user("a", "Bea Smith", 3)];
        filter(&mut users, Some("sales"));
        assert_eq!(users.len(), 1);
        filter(&mut users, Some("legal"));
        assert!(users.is_empty());
    }

    #[test]
    fn table_columns_align_by_display_width() {
        let users = vec![user("a", "Zoë Ødegård", 3), user("b", "山田 太郎", 28)];
        let mut out = Vec::new();
        write_table(&mut out, &users, now(), false).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        // The USER NAME column starts at the same display column on every line.
        let col = |l: &str, needle: &str| l[..l.find(needle).unwrap()].width();
        assert_eq!(col(lines[0], "USER NAME"), col(lines[1], "zoë"));
        assert_eq!(col(lines[0], "USER NAME"), col(lines[2], "山田."));
        let last = |l: &str, needle: &str| l[..l.rfind(needle).unwrap()].width();
        assert_eq!(last(lines[0], "ID"), last(lines[2], " b") + 1);
        assert!(lines[1].contains("3d ago") && lines[1].contains("27d"));
    }

    #[test]
    fn urgent_rows_are_red_only_with_color() {
        let users = vec![user("a", "Ann", 28)];
        let mut out = Vec::new();
        write_table(&mut out, &users, now(), true).unwrap();
        assert!(String::from_utf8_lossy(&out).contains("\x1b[31m"));
        let mut out = Vec::new();
        write_table(&mut out, &users, now(), false).unwrap();
        assert!(!String::from_utf8_lossy(&out).contains('\x1b'));
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut u = user("a", "Ann", 1);
        u.display_name = "=HYPERLINK(\"x\")".into();
        u.department = Some("R&D, Lab".into());
        u.job_title = Some("  =1+cmd|' /C calc'!A0".into());
        let mut out = Vec::new();
        write_csv(&mut out, &[u], now()).unwrap();
        let text = String::from_utf8(out).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert!(row.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{row}");
        assert!(row.contains("\"R&D, Lab\""), "{row}");
        assert!(row.contains("\"'  =1+cmd|' /C calc'!A0\""), "{row}");
    }

    #[test]
    fn csv_cells_are_byte_for_byte_what_they_were() {
        // The hand-written quoting this replaced, for comparison.
        fn old_cell(line: &mut String, value: &str) {
            let formula = value.starts_with(['\t', '\r'])
                || value
                    .trim_start_matches([' ', '\t', '\r', '\n'])
                    .starts_with(['=', '+', '-', '@']);
            let quote = formula || value.contains([',', '"', '\n', '\r']);
            if quote {
                line.push('"');
            }
            if formula {
                line.push('\'');
            }
            for c in value.chars() {
                if c == '"' {
                    line.push('"');
                }
                line.push(c);
            }
            if quote {
                line.push('"');
            }
        }
        let cells = [
            "",
            "plain",
            "O'Brien",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "cr\rhere",
            "=1+1",
            "+x",
            "-3",
            "@SUM(A1)",
            "  =lead",
            "\tTab",
            "\rcr",
            "\n=nl",
            "=\"q\",x",
            "\"",
            ",",
            "山田, 太郎",
            "#hash",
            " space ",
            "trailing,",
        ];
        let mut csv = CsvCells::new();
        for n in 1..=3 {
            for window in cells.windows(n) {
                let mut expected = String::new();
                for (i, c) in window.iter().enumerate() {
                    if i > 0 {
                        expected.push(',');
                    }
                    old_cell(&mut expected, c);
                }
                expected.push('\n');
                let got = csv.record(window.iter().copied());
                assert_eq!(String::from_utf8_lossy(got), expected, "{window:?}");
            }
        }
    }

    #[test]
    fn json_uses_graph_names() {
        let mut out = Vec::new();
        write_json(&mut out, &[user("a", "Ann", 1)], now()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["userPrincipalName"], "ann@contoso.com");
        assert_eq!(v[0]["daysLeft"], 29);
        assert_eq!(v[0]["hoursLeft"], 29 * 24);
        assert_eq!(v[0]["deletedDateTime"], "2026-11-24T12:00:00Z");
        assert_eq!(v[0]["purgeDateTime"], "2026-12-24T12:00:00Z");
    }

    #[test]
    fn json_keeps_the_stored_strings_escaped_and_csv_and_table_clean_them() {
        let hostile = "Eve\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[31m Red\u{202e}moc";
        let mut u = user("a", "Eve Red", 1);
        u.display_name = undelete_common::sanitize::clean(hostile);
        u.stored = Some(Box::new(crate::directory::StoredStrings {
            display_name: hostile.into(),
            original_upn: "eve@contoso.com".into(),
            department: Some("R&D\tLab".into()),
            ..Default::default()
        }));
        let mut out = Vec::new();
        write_json(&mut out, std::slice::from_ref(&u), now()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(
            text.contains("\\u001b]52;c;ZXZpbA==\\u0007\\u001b[31m"),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v[0]["displayName"], hostile,
            "the stored value, byte for byte"
        );
        assert_eq!(v[0]["department"], "R&D\tLab");
        for out in [
            {
                let mut o = Vec::new();
                write_csv(&mut o, std::slice::from_ref(&u), now()).unwrap();
                o
            },
            {
                let mut o = Vec::new();
                write_table(&mut o, std::slice::from_ref(&u), now(), false).unwrap();
                o
            },
        ] {
            let text = String::from_utf8(out).unwrap();
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{text:?}"
            );
            assert!(
                !text.contains("52;c") && !text.contains('\u{202e}'),
                "{text:?}"
            );
        }
    }

    #[test]
    fn under_two_days_shows_hours_as_the_tui_does() {
        let mut u = user("a", "Ann", 0);
        // Purge 36 h 30 min from now: the old CLI said "1d", the TUI "1d"; both now say "36h".
        u.deleted_at = Some(now() - Duration::days(30) + Duration::minutes(36 * 60 + 30));
        assert_eq!(left(&u, now()), "36h");
        u.deleted_at = Some(now() - Duration::days(30) + Duration::minutes(30));
        assert_eq!(
            left(&u, now()),
            "<1h",
            "the last day was \"0d\" here and \"<1d\" in the TUI"
        );
        u.deleted_at = Some(now() - Duration::days(31));
        assert_eq!(left(&u, now()), "overdue");
        let mut out = Vec::new();
        write_json(&mut out, &[u.clone()], now()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["daysLeft"], -1);
        assert_eq!(v[0]["hoursLeft"], -24);
    }

    #[test]
    fn csv_ends_with_hours_left() {
        let mut out = Vec::new();
        write_csv(&mut out, &[user("a", "Ann", 28)], now()).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        // The columns scripts already read stay where they were.
        assert_eq!(header[8], "daysLeft");
        assert_eq!(row[8], "2");
        assert_eq!(header.last(), Some(&"hoursLeft"));
        assert_eq!(row.last(), Some(&"48"));
    }

    #[test]
    fn fit_cuts_by_width() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("山田太郎", 5), "山田…");
        assert_eq!(fit("abc", 3), "abc");
    }
}
