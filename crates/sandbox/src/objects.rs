//! The sandbox store's side of the conflict sweep: groups and org contacts (`objects`), the
//! change log that delta queries read (`changes`, filled by triggers, so every write path of
//! every route is recorded without each having to remember), and the directory audit log
//! (`audits`).

use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};

use super::store::Store;

// layout: SQL, indented for reading; SQLite ignores the whitespace.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    display_name TEXT NOT NULL,
    mail TEXT,
    proxy_addresses TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_kind ON objects (kind, id);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_kind ON changes (kind, seq);
CREATE TABLE IF NOT EXISTS audits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    activity TEXT NOT NULL,
    at TEXT NOT NULL,
    category TEXT NOT NULL,
    result TEXT NOT NULL,
    service TEXT NOT NULL,
    target_id TEXT,
    initiator_upn TEXT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audits_at ON audits (at, seq);
-- What delta queries report: a change to what an active user shows (becoming active or not
-- included), an object added or removed. Seeding is not a change: users are seeded before
-- `seeded_at` is set, objects before `objects_seeded`.
CREATE TRIGGER IF NOT EXISTS users_changed AFTER UPDATE ON users
  WHEN OLD.deleted IS NOT NEW.deleted OR OLD.upn IS NOT NEW.upn
    OR OLD.proxy_addresses IS NOT NEW.proxy_addresses OR OLD.display_name IS NOT NEW.display_name
    OR OLD.mail IS NOT NEW.mail
  BEGIN INSERT INTO changes (kind, id) VALUES ('user', NEW.id); END;
CREATE TRIGGER IF NOT EXISTS users_added AFTER INSERT ON users
  WHEN NEW.deleted = 0 AND EXISTS (SELECT 1 FROM meta WHERE key = 'seeded_at')
  BEGIN INSERT INTO changes (kind, id) VALUES ('user', NEW.id); END;
CREATE TRIGGER IF NOT EXISTS users_removed AFTER DELETE ON users WHEN OLD.deleted = 0
  BEGIN INSERT INTO changes (kind, id) VALUES ('user', OLD.id); END;
CREATE TRIGGER IF NOT EXISTS objects_added AFTER INSERT ON objects
  WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'objects_seeded')
  BEGIN INSERT INTO changes (kind, id) VALUES (NEW.kind, NEW.id); END;
CREATE TRIGGER IF NOT EXISTS objects_changed AFTER UPDATE ON objects
  BEGIN INSERT INTO changes (kind, id) VALUES (NEW.kind, NEW.id); END;
CREATE TRIGGER IF NOT EXISTS objects_removed AFTER DELETE ON objects
  BEGIN INSERT INTO changes (kind, id) VALUES (OLD.kind, OLD.id); END;
";

/// A group or an org contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRow {
    pub id: String,
    /// `group` or `contact`.
    pub kind: String,
    pub display_name: String,
    pub mail: Option<String>,
    pub proxy_addresses: Vec<String>,
    pub created_at: String,
}

impl ObjectRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        let proxies: String = r.get(4)?;
        Ok(Self {
            id: r.get(0)?,
            kind: r.get(1)?,
            display_name: r.get(2)?,
            mail: r.get(3)?,
            proxy_addresses: serde_json::from_str(&proxies).unwrap_or_default(),
            created_at: r.get(5)?,
        })
    }
}

const OBJECT_COLS: &str = "id, kind, display_name, mail, proxy_addresses, created_at";

/// A `$filter` over `objects` as SQL and its bound parameters; the default lets all through.
#[derive(Debug, Clone, Default)]
pub struct ObjectFilter {
    pub sql: Option<String>,
    pub params: Vec<SqlValue>,
}

impl ObjectFilter {
    fn sql(&self) -> &str {
        self.sql.as_deref().unwrap_or("1")
    }
}

/// One directory audit record: the columns `$filter` and the order use, and the whole
/// `directoryAudit` JSON as Graph shapes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub id: String,
    pub activity: String,
    /// RFC 3339 in seconds with `Z`: text order is time order.
    pub at: String,
    pub category: String,
    pub result: String,
    pub service: String,
    pub target_id: Option<String>,
    pub initiator_upn: Option<String>,
    pub body: serde_json::Value,
}

/// The keyset position after a row of the audit listing.
pub type AuditPos = (String, i64);

impl Store {
    /// Seeds groups, contacts and audit records once, after the users; from then on objects
    /// added are changes a delta reports.
    pub fn seed_objects(
        &mut self,
        objects: &[ObjectRow],
        audits: &[AuditRow],
    ) -> rusqlite::Result<()> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let seeded = tx
            .prepare("SELECT 1 FROM meta WHERE key = 'objects_seeded'")?
            .exists([])?;
        if !seeded {
            for o in objects {
                insert_object(&tx, o)?;
            }
            for a in audits {
                insert_audit(&tx, a)?;
            }
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('objects_seeded', '1')",
                [],
            )?;
        }
        tx.commit()
    }

    pub fn put_object(&mut self, o: &ObjectRow) -> rusqlite::Result<()> {
        self.conn().execute(
            "DELETE FROM objects WHERE id = ?1 AND kind <> ?2",
            params![o.id, o.kind],
        )?;
        insert_object(self.conn(), o)
    }

    pub fn remove_object(&mut self, id: &str) -> rusqlite::Result<bool> {
        Ok(self
            .conn()
            .execute("DELETE FROM objects WHERE id = ?1", [id])?
            > 0)
    }

    pub fn object(&self, kind: &str, id: &str) -> rusqlite::Result<Option<ObjectRow>> {
        self.conn()
            .prepare_cached(&format!(
                "SELECT {OBJECT_COLS} FROM objects WHERE kind = ?1 AND id = ?2"
            ))?
            .query_row(params![kind, id], ObjectRow::from_row)
            .optional()
    }

    /// Objects of `kind` after id `after`, in id order, `limit` at most (and whether more
    /// follow).
    pub fn objects_page(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> rusqlite::Result<(Vec<ObjectRow>, bool)> {
        self.objects_where(kind, &ObjectFilter::default(), after, limit)
    }

    /// A page of the objects of `kind` that `filter` (SQL from `odata::filter::parse_filter_on`)
    /// lets through, in id order after `after`.
    pub fn objects_where(
        &self,
        kind: &str,
        filter: &ObjectFilter,
        after: Option<&str>,
        limit: usize,
    ) -> rusqlite::Result<(Vec<ObjectRow>, bool)> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX / 2);
        let mut p: Vec<SqlValue> = vec![
            SqlValue::Text(kind.to_string()),
            SqlValue::Text(after.unwrap_or("").to_string()),
        ];
        p.extend(filter.params.iter().cloned());
        p.push(SqlValue::Integer(limit.saturating_add(1)));
        let mut rows: Vec<ObjectRow> = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {OBJECT_COLS} FROM objects WHERE kind = ? AND id > ? AND ({}) \
                 ORDER BY id LIMIT ?",
                filter.sql()
            ))?
            .query_map(params_from_iter(p), ObjectRow::from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    /// How many objects of `kind` `filter` lets through (`@odata.count`).
    pub fn count_objects(&self, kind: &str, filter: &ObjectFilter) -> rusqlite::Result<u64> {
        let mut p: Vec<SqlValue> = vec![SqlValue::Text(kind.to_string())];
        p.extend(filter.params.iter().cloned());
        self.conn()
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM objects WHERE kind = ? AND ({})",
                filter.sql()
            ))?
            .query_row(params_from_iter(p), |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
    }

    /// Which of `addresses` an active group or org contact holds (compared without case).
    pub fn object_proxy_holders(&self, addresses: &[String]) -> rusqlite::Result<Vec<String>> {
        let mut held = Vec::new();
        let mut stmt = self.conn().prepare_cached(
            "SELECT 1 FROM objects o, json_each(o.proxy_addresses) p \
             WHERE lower(p.value) = ?1 LIMIT 1",
        )?;
        for a in addresses {
            if stmt.exists([a.to_lowercase()])? {
                held.push(a.clone());
            }
        }
        Ok(held)
    }

    /// The newest change of `kind` (0 when there is none): where a new delta round starts.
    pub fn last_change(&self, kind: &str) -> rusqlite::Result<i64> {
        self.conn()
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM changes WHERE kind = ?1")?
            .query_row([kind], |r| r.get(0))
    }

    /// Objects of `kind` changed after `from` up to `upto`, each once at the position of its
    /// latest change, in that order, after position `after`; `limit` at most.
    pub fn changes_page(
        &self,
        kind: &str,
        from: i64,
        upto: i64,
        after: i64,
        limit: usize,
    ) -> rusqlite::Result<(Vec<(i64, String)>, bool)> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX / 2);
        let mut rows: Vec<(i64, String)> = self
            .conn()
            .prepare_cached(
                "SELECT MAX(seq) AS s, id FROM changes WHERE kind = ?1 AND seq > ?2 AND seq <= ?3 \
                 GROUP BY id HAVING s > ?4 ORDER BY s LIMIT ?5",
            )?
            .query_map(
                params![kind, from, upto, after, limit.saturating_add(1)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    pub fn add_audit(&self, a: &AuditRow) -> rusqlite::Result<()> {
        insert_audit(self.conn(), a)
    }

    /// The apps the audit log names as initiators: app id, display name, service principal id,
    /// each once, by app id.
    pub fn audit_apps(&self) -> rusqlite::Result<Vec<(String, String, String)>> {
        self.conn()
            .prepare_cached(
                "SELECT json_extract(body, '$.initiatedBy.app.appId') AS app, \
                 MIN(json_extract(body, '$.initiatedBy.app.displayName')), \
                 MIN(json_extract(body, '$.initiatedBy.app.servicePrincipalId')) \
                 FROM audits WHERE app IS NOT NULL GROUP BY app ORDER BY app",
            )?
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                ))
            })?
            .collect()
    }

    /// Audit records matching `filter_sql` (columns of `audits`, bound parameters), newest
    /// first unless `ascending`, after keyset position `after`; `limit` at most. Each record is
    /// its JSON as stored.
    pub fn audits_page(
        &self,
        filter_sql: &str,
        filter_params: &[SqlValue],
        ascending: bool,
        after: Option<&AuditPos>,
        limit: usize,
    ) -> rusqlite::Result<(Vec<(AuditPos, String)>, bool)> {
        let (cmp, dir) = if ascending {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        let mut p: Vec<SqlValue> = filter_params.to_vec();
        let keyset = match after {
            Some((at, seq)) => {
                p.push(SqlValue::Text(at.clone()));
                p.push(SqlValue::Integer(*seq));
                format!(" AND (at, seq) {cmp} (?, ?)")
            }
            None => String::new(),
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX / 2);
        p.push(SqlValue::Integer(limit.saturating_add(1)));
        let sql = format!(
            "SELECT at, seq, body FROM audits WHERE ({filter_sql}){keyset} \
             ORDER BY at {dir}, seq {dir} LIMIT ?"
        );
        let mut rows: Vec<(AuditPos, String)> = self
            .conn()
            .prepare_cached(&sql)?
            .query_map(params_from_iter(p), |r| {
                Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }
}

pub(crate) fn insert_object(conn: &rusqlite::Connection, o: &ObjectRow) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO objects (id, kind, display_name, mail, proxy_addresses, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET \
         display_name = excluded.display_name, mail = excluded.mail, \
         proxy_addresses = excluded.proxy_addresses",
    )?
    .execute(params![
        o.id,
        o.kind,
        o.display_name,
        o.mail,
        serde_json::to_string(&o.proxy_addresses).unwrap_or_else(|_| "[]".into()),
        o.created_at
    ])?;
    Ok(())
}

pub(crate) fn insert_audit(conn: &rusqlite::Connection, a: &AuditRow) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audits (id, activity, at, category, result, service, target_id, \
         initiator_upn, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        a.id,
        a.activity,
        a.at,
        a.category,
        a.result,
        a.service,
        a.target_id,
        a.initiator_upn,
        a.body.to_string()
    ])?;
    Ok(())
}
