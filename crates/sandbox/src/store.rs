//! The sandbox's SQLite store: users (active and deleted), the outbox, refresh tokens and a few
//! settings. One connection behind the server's mutex; every write is one transaction.

use std::path::Path;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::Serialize;

mod row;

pub use row::{Proxies, USER_COLS, UserRow, UserView};

pub const FILE_NAME: &str = "sandbox.sqlite3";

/// What every store file's name ends in (after a dot).
pub const FILE_EXTENSION: &str = "sqlite3";

/// Days a deleted user stays restorable before Entra purges it.
pub const RETENTION_DAYS: i64 = 30;

// layout: SQL, indented for reading; SQLite ignores the whitespace.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    deleted INTEGER NOT NULL,
    display_name TEXT NOT NULL,
    dn_lc TEXT NOT NULL,
    given_name TEXT,
    surname TEXT,
    upn TEXT NOT NULL,
    upn_lc TEXT NOT NULL,
    original_upn TEXT NOT NULL,
    mail TEXT,
    mail_lc TEXT,
    job_title TEXT,
    department TEXT,
    user_type TEXT NOT NULL,
    account_enabled INTEGER NOT NULL,
    proxy_addresses TEXT NOT NULL,
    on_prem_sync INTEGER NOT NULL,
    deleted_at TEXT,
    created_at TEXT NOT NULL,
    password_salt TEXT,
    password_hash TEXT,
    force_change INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sent_at TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body TEXT NOT NULL,
    save_to_sent INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    hash TEXT PRIMARY KEY,
    upn TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
";

/// What a password sign-in checks: the stored salt and hash (none until a password is set)
/// and whether a change is due at the next sign-in.
pub struct SignIn {
    pub password: Option<(String, String)>,
    pub change_due: bool,
}

/// The UPN a deleted user carries: its id without hyphens glued in front (DESIGN.md 4.3).
pub fn deleted_upn(id: &str, original: &str) -> String {
    format!("{}{}", id.replace('-', ""), original)
}

/// A mail the sandbox "sent".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentMail {
    pub seq: i64,
    pub sent_at: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub content_type: String,
    pub body: String,
    pub save_to_sent_items: bool,
}

/// What a refresh token was issued for.
pub struct RefreshGrant {
    pub upn: String,
    pub client_id: String,
    pub scope: String,
    pub expires_at: i64,
    /// Already redeemed once: refresh tokens rotate, so it must be refused.
    pub was_used: bool,
}

/// Makes the store private to its owner, whatever the umask: the database and its `-wal` and
/// `-shm` files 0600 (the outbox holds mailed passwords), created so when missing, and the
/// directory holding them 0700. Files of an older, laxer store are fixed too. A directory
/// that is not ours, or is sticky like `/tmp`, is shared on purpose and left alone.
#[cfg(unix)]
pub fn make_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};

    fn set_mode(p: &Path, mode: u32) -> std::io::Result<()> {
        let meta = std::fs::metadata(p)?;
        if meta.permissions().mode() & 0o7777 != mode {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))?;
        }
        Ok(())
    }

    let files = |suffix: &str| std::path::PathBuf::from(format!("{}{suffix}", path.display()));
    // Opened here or by SQLite, a FIFO among them would hang the sandbox, and a device be
    // taken for a database: refused in words first.
    for suffix in ["", "-wal", "-shm"] {
        let p = files(suffix);
        undelete_common::files::refuse_special(&p).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{}: {e}", p.display()),
            )
        })?;
    }
    // An empty file is an empty database to SQLite; creating it here gives it 0600 from the
    // first moment, and SQLite gives its -wal and -shm the database's mode.
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    for suffix in ["", "-wal", "-shm"] {
        let p = files(suffix);
        match set_mode(&p, 0o600) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let ours = std::fs::metadata(path)?.uid();
        let meta = std::fs::metadata(dir)?;
        if meta.uid() == ours && meta.mode() & 0o1000 == 0 {
            set_mode(dir, 0o700)?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn make_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

pub struct Store {
    conn: Connection,
}

/// One page of a listing query.
pub struct Page {
    pub rows: Vec<UserRow>,
    pub more: bool,
}

/// Everything `query_users` needs; the filter is SQL built by `odata` with bound parameters.
pub struct UserQuery<'a> {
    pub deleted: bool,
    pub filter_sql: &'a str,
    pub filter_params: &'a [SqlValue],
    /// Column to sort on (one of `dn_lc`, `upn_lc`, `deleted_at`, `id`). Used bare, not
    /// wrapped in `COALESCE`, so SQLite can walk an index instead of sorting every row:
    /// `deleted_at` is only sortable in the deleted-items listing, where it is never NULL.
    pub order_col: &'static str,
    pub desc: bool,
    /// Keyset position: the (sort value, id) of the last row already sent.
    pub after: Option<(String, String)>,
    pub limit: usize,
}

/// The users' listing indexes, apart so a seeding can build them once after its rows.
// layout: SQL, indented for reading; SQLite ignores the whitespace.
const USER_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS users_id ON users (deleted, id);
CREATE INDEX IF NOT EXISTS users_dn ON users (deleted, dn_lc, id);
CREATE INDEX IF NOT EXISTS users_upn ON users (deleted, upn_lc, id);
CREATE INDEX IF NOT EXISTS users_del ON users (deleted, deleted_at, id);
CREATE INDEX IF NOT EXISTS users_mail ON users (mail_lc);
";

/// Their names, as `USER_INDEXES` creates them.
const USER_INDEX_NAMES: [&str; 5] = [
    "users_id",
    "users_dn",
    "users_upn",
    "users_del",
    "users_mail",
];

impl Store {
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(USER_INDEXES)?;
        conn.execute_batch(super::objects::SCHEMA)?;
        Ok(Self { conn })
    }

    /// The connection, for the store's other tables (`objects.rs`, `aftercare_store`).
    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(super) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Lets go of the memory the connection can (its page cache, mostly).
    pub fn shrink_memory(&self) -> rusqlite::Result<()> {
        self.conn.execute_batch("PRAGMA shrink_memory")
    }

    pub fn meta(&self, key: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
    }

    /// Sets `key` unless it is set already (by another process meanwhile, say), and returns
    /// the value the store keeps.
    pub fn meta_or_insert(&self, key: &str, value: &str) -> rusqlite::Result<String> {
        self.conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value],
        )?;
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
    }

    /// Seeds an empty store: the users and the settings in one transaction, which takes the
    /// write lock first, so two processes opening a fresh data dir cannot both seed it.
    /// Returns false (and changes nothing) when the store was already seeded.
    pub fn seed_if_empty(
        &mut self,
        users: &[UserRow],
        meta: &[(&str, String)],
    ) -> rusqlite::Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let seeded: bool = tx
            .prepare("SELECT 1 FROM meta WHERE key = 'seeded_at'")?
            .exists([])?;
        if seeded {
            return Ok(false);
        }
        // A million rows went in at random places of six B-trees, each insert reading and
        // writing pages the small cache had let go: minutes, mostly in the kernel. Now the
        // rows go in by id (the primary key only grows at its end) and the other indexes are
        // built once after them, by sorting: seconds.
        for name in USER_INDEX_NAMES {
            tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
        }
        let mut by_id: Vec<&UserRow> = users.iter().collect();
        by_id.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        {
            let mut stmt = tx.prepare(
                "INSERT INTO users (id, deleted, display_name, dn_lc, given_name, surname, upn, \
                 upn_lc, original_upn, mail, mail_lc, job_title, department, user_type, \
                 account_enabled, proxy_addresses, on_prem_sync, deleted_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
                 ?17, ?18, ?19)",
            )?;
            for u in by_id {
                stmt.execute(params![
                    u.id,
                    u.deleted,
                    u.display_name,
                    u.display_name.to_lowercase(),
                    u.given_name,
                    u.surname,
                    u.upn,
                    u.upn.to_lowercase(),
                    u.original_upn,
                    u.mail,
                    u.mail.as_deref().map(str::to_lowercase),
                    u.job_title,
                    u.department,
                    u.user_type,
                    u.account_enabled,
                    serde_json::to_string(&u.proxy_addresses).unwrap_or_else(|_| "[]".into()),
                    u.on_prem_sync,
                    u.deleted_at,
                    u.created_at,
                ])?;
            }
            let mut meta_stmt =
                tx.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?;
            for (k, v) in meta {
                meta_stmt.execute(params![k, v])?;
            }
        }
        tx.execute_batch(USER_INDEXES)?;
        tx.commit()?;
        Ok(true)
    }

    pub fn user(&self, id: &str) -> rusqlite::Result<Option<UserRow>> {
        self.conn
            .prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))?
            .query_row([id], UserRow::from_row)
            .optional()
    }

    /// An active user by object id or UPN (case-insensitive).
    pub fn active(&self, id_or_upn: &str) -> rusqlite::Result<Option<UserRow>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {USER_COLS} FROM users WHERE deleted = 0 AND (id = ?1 OR upn_lc = ?2)"
            ))?
            .query_row(
                params![id_or_upn, id_or_upn.to_lowercase()],
                UserRow::from_row,
            )
            .optional()
    }

    pub fn count_users(&self, q: &UserQuery<'_>) -> rusqlite::Result<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM users WHERE deleted = ? AND ({})",
            q.filter_sql
        );
        let mut p: Vec<SqlValue> = vec![SqlValue::Integer(i64::from(q.deleted))];
        p.extend(q.filter_params.iter().cloned());
        self.conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(p), |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
    }

    pub fn query_users(&self, q: &UserQuery<'_>) -> rusqlite::Result<Page> {
        let mut rows = Vec::new();
        let next = self.each_user(q, |u| {
            rows.push(UserRow::from(*u));
            Ok::<(), rusqlite::Error>(())
        })?;
        Ok(Page {
            rows,
            more: next.is_some(),
        })
    }

    /// The page `q` asks for, each user handed to `each` as its row is read (borrowed, not
    /// copied). Returns the keyset of the next page (`UserQuery::after`) when more users
    /// follow: the last row's sort value and id.
    pub fn each_user<E: From<rusqlite::Error>>(
        &self,
        q: &UserQuery<'_>,
        mut each: impl FnMut(&UserView<'_>) -> Result<(), E>,
    ) -> Result<Option<(String, String)>, E> {
        let (cmp, dir) = if q.desc { ("<", "DESC") } else { (">", "ASC") };
        let col = q.order_col;
        let mut p: Vec<SqlValue> = vec![SqlValue::Integer(i64::from(q.deleted))];
        p.extend(q.filter_params.iter().cloned());
        let keyset = match &q.after {
            Some((value, id)) => {
                p.push(SqlValue::Text(value.clone()));
                p.push(SqlValue::Text(id.clone()));
                // A row value, so SQLite seeks the index instead of scanning to the position.
                format!(" AND ({col}, id) {cmp} (?, ?)")
            }
            None => String::new(),
        };
        p.push(SqlValue::Integer(
            i64::try_from(q.limit)
                .unwrap_or(i64::MAX / 2)
                .saturating_add(1),
        ));
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE deleted = ? AND ({}){keyset} \
             ORDER BY {col} {dir}, id {dir} LIMIT ?",
            q.filter_sql
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(p))?;
        let mut read = 0;
        let mut last = None;
        while let Some(row) = rows.next()? {
            // The one row past the page only says that there is more.
            if read == q.limit {
                return Ok(last);
            }
            let user = UserView::of_row(row)?;
            each(&user)?;
            read += 1;
            if read == q.limit {
                last = Some((user.sort_value(col), user.id.to_string()));
            }
        }
        Ok(None)
    }

    /// Active users (other than `except`) holding any of these proxy addresses.
    pub fn proxy_holders(
        &self,
        addresses: &[String],
        except: &str,
    ) -> rusqlite::Result<Vec<String>> {
        let mut held = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT 1 FROM users u, json_each(u.proxy_addresses) p \
             WHERE u.deleted = 0 AND u.id <> ?1 AND lower(p.value) = ?2 LIMIT 1",
        )?;
        for a in addresses {
            if stmt.exists(params![except, a.to_lowercase()])? {
                held.push(a.clone());
            }
        }
        Ok(held)
    }

    /// Moves a deleted user back to the active users, under `upn`, keeping `proxies`.
    pub fn reactivate(&mut self, id: &str, upn: &str, proxies: &[String]) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE users SET deleted = 0, deleted_at = NULL, upn = ?2, upn_lc = ?3, \
             original_upn = ?2, proxy_addresses = ?4 WHERE id = ?1 AND deleted = 1",
            params![
                id,
                upn,
                upn.to_lowercase(),
                serde_json::to_string(proxies).unwrap_or_else(|_| "[]".into())
            ],
        )?;
        tx.commit()
    }

    pub fn soft_delete(&mut self, id: &str, now: &str) -> rusqlite::Result<bool> {
        let tx = self.conn.transaction()?;
        let original: Option<String> = tx
            .query_row(
                "SELECT upn FROM users WHERE id = ?1 AND deleted = 0",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(original) = original else {
            return Ok(false);
        };
        let upn = deleted_upn(id, &original);
        tx.execute(
            "UPDATE users SET deleted = 1, deleted_at = ?2, upn = ?3, upn_lc = ?4, \
             original_upn = ?5 WHERE id = ?1",
            params![id, now, upn, upn.to_lowercase(), original],
        )?;
        tx.commit()?;
        Ok(true)
    }

    pub fn purge(&mut self, id: &str) -> rusqlite::Result<bool> {
        let n = self
            .conn
            .execute("DELETE FROM users WHERE id = ?1 AND deleted = 1", [id])?;
        Ok(n > 0)
    }

    /// Entra purges a deleted user for good 30 days after deletion; this does the same for
    /// every deleted user older than that at `now`. Cheap when there is none: one index seek.
    pub fn purge_expired(&mut self, now: chrono::DateTime<chrono::Utc>) -> rusqlite::Result<usize> {
        let cutoff = (now - chrono::Duration::days(RETENTION_DAYS))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        // Deletion times are all written in this one RFC 3339 form (seconds, `Z`), so text order
        // is time order and the `users_del` index answers this.
        let any = self
            .conn
            .prepare_cached("SELECT 1 FROM users WHERE deleted = 1 AND deleted_at < ?1 LIMIT 1")?
            .exists([&cutoff])?;
        if !any {
            return Ok(0);
        }
        self.conn
            .prepare_cached("DELETE FROM users WHERE deleted = 1 AND deleted_at < ?1")?
            .execute([&cutoff])
    }

    /// Moves a deleted user's deletion time (tests: "this user was deleted 31 days ago").
    pub fn set_deleted_at(
        &mut self,
        id: &str,
        when: chrono::DateTime<chrono::Utc>,
    ) -> rusqlite::Result<bool> {
        let n = self.conn.execute(
            "UPDATE users SET deleted_at = ?2 WHERE id = ?1 AND deleted = 1",
            params![id, when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)],
        )?;
        Ok(n > 0)
    }

    pub fn set_password(
        &mut self,
        id: &str,
        salt: &str,
        hash: &str,
        force_change: bool,
    ) -> rusqlite::Result<bool> {
        let n = self.conn.execute(
            "UPDATE users SET password_salt = ?2, password_hash = ?3, force_change = ?4 \
             WHERE id = ?1 AND deleted = 0",
            params![id, salt, hash, force_change],
        )?;
        Ok(n > 0)
    }

    pub fn set_account_enabled(&mut self, id: &str, enabled: bool) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE users SET account_enabled = ?2 WHERE id = ?1 AND deleted = 0",
            params![id, enabled],
        )?;
        Ok(())
    }

    pub fn password(&self, id: &str) -> rusqlite::Result<Option<(String, String)>> {
        self.conn
            .query_row(
                "SELECT password_salt, password_hash FROM users WHERE id = ?1 \
                 AND password_hash IS NOT NULL",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
    }

    /// What a password sign-in checks of an active user; `None` for anyone else.
    pub fn sign_in(&self, id: &str) -> rusqlite::Result<Option<SignIn>> {
        self.conn
            .query_row(
                "SELECT password_salt, password_hash, force_change FROM users \
                 WHERE id = ?1 AND deleted = 0",
                [id],
                |r| {
                    let salt: Option<String> = r.get(0)?;
                    let hash: Option<String> = r.get(1)?;
                    let change: Option<bool> = r.get(2)?;
                    Ok(SignIn {
                        password: salt.zip(hash),
                        change_due: change.unwrap_or(false),
                    })
                },
            )
            .optional()
    }

    pub fn add_mail(&self, m: &SentMail) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO outbox (sent_at, sender, recipients, subject, content_type, body, \
             save_to_sent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                m.sent_at,
                m.from,
                serde_json::to_string(&m.to).unwrap_or_else(|_| "[]".into()),
                m.subject,
                m.content_type,
                m.body,
                m.save_to_sent_items
            ],
        )?;
        Ok(())
    }

    pub fn outbox(&self) -> rusqlite::Result<Vec<SentMail>> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, sent_at, sender, recipients, subject, content_type, body, save_to_sent \
             FROM outbox ORDER BY seq",
        )?;
        stmt.query_map([], |r| {
            let to: String = r.get(3)?;
            Ok(SentMail {
                seq: r.get(0)?,
                sent_at: r.get(1)?,
                from: r.get(2)?,
                to: serde_json::from_str(&to).unwrap_or_default(),
                subject: r.get(4)?,
                content_type: r.get(5)?,
                body: r.get(6)?,
                save_to_sent_items: r.get(7)?,
            })
        })?
        .collect()
    }

    pub fn add_refresh(
        &self,
        hash: &str,
        upn: &str,
        client_id: &str,
        scope: &str,
        expires_at: i64,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO refresh_tokens (hash, upn, client_id, scope, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash, upn, client_id, scope, expires_at],
        )?;
        Ok(())
    }

    /// Redeems a refresh token: it is marked used, whatever it was before.
    pub fn redeem_refresh(&mut self, hash: &str) -> rusqlite::Result<Option<RefreshGrant>> {
        let tx = self.conn.transaction()?;
        let row = refresh_grant(&tx, hash)?;
        tx.execute("UPDATE refresh_tokens SET used = 1 WHERE hash = ?1", [hash])?;
        tx.commit()?;
        Ok(row)
    }

    /// What a refresh token was issued for, leaving it as it is (`None`: not one of this
    /// store's).
    pub fn refresh_grant(&self, hash: &str) -> rusqlite::Result<Option<RefreshGrant>> {
        refresh_grant(&self.conn, hash)
    }
}

fn refresh_grant(conn: &Connection, hash: &str) -> rusqlite::Result<Option<RefreshGrant>> {
    conn.prepare_cached(
        "SELECT upn, client_id, scope, expires_at, used FROM refresh_tokens WHERE hash = ?1",
    )?
    .query_row([hash], |r| {
        Ok(RefreshGrant {
            upn: r.get(0)?,
            client_id: r.get(1)?,
            scope: r.get(2)?,
            expires_at: r.get(3)?,
            was_used: r.get(4)?,
        })
    })
    .optional()
}
