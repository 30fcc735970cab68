//! The sandbox's tables for what comes back with a user and how it is handed over: licences
//! (`subscribedSkus`, `licenseDetails`, `assignedLicenses`), `usageLocation`, group
//! memberships (`memberOf`) and Temporary Access Passes. Kept apart from the users table so the
//! users' seed and schema stay as they are; seeded once, deterministically from the user ids.

use rusqlite::{Connection, OptionalExtension, params};

use super::audit::Actor;
use super::offboarding_seed;
use super::store::Store;

// layout: SQL, indented for reading; SQLite ignores the whitespace.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS skus (
    sku_id TEXT PRIMARY KEY,
    part_number TEXT NOT NULL,
    enabled INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS user_licences (
    user_id TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    PRIMARY KEY (user_id, sku_id)
);
CREATE TABLE IF NOT EXISTS user_usage_location (
    user_id TEXT PRIMARY KEY,
    usage_location TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS member_groups (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS group_members (
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX IF NOT EXISTS group_members_user ON group_members (user_id);
CREATE TABLE IF NOT EXISTS group_owners (
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE TABLE IF NOT EXISTS role_assignments (
    id TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL,
    role_definition_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    UNIQUE (principal_id, role_definition_id, scope)
);
CREATE TABLE IF NOT EXISTS tap_methods (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    salt TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    start_at TEXT NOT NULL,
    lifetime_minutes INTEGER NOT NULL,
    usable_once INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tap_methods_user ON tap_methods (user_id);
";

/// A product the tenant has bought: `subscribedSkus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuRow {
    pub sku_id: String,
    pub part_number: String,
    /// `prepaidUnits.enabled`.
    pub enabled: i64,
    /// `consumedUnits`: active users holding it.
    pub consumed: i64,
}

/// A Temporary Access Pass as stored: its hash, never the pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapRow {
    pub id: String,
    pub user_id: String,
    pub salt: String,
    pub hash: String,
    pub created_at: String,
    pub start_at: String,
    pub lifetime_minutes: i64,
    pub usable_once: bool,
}

/// The products of the seed: (skuId, skuPartNumber, seats). `None` seats: exactly as many as
/// active users hold, so the SKU is exhausted and restoring one of its holders over-allocates it.
const SKUS: &[(&str, &str, Option<i64>)] = &[
    (
        "6fd2c87f-b296-42f0-b197-1e91e994b900",
        "ENTERPRISEPACK",
        Some(500),
    ),
    ("06ebc4ee-1bb5-47dd-8120-11324bc54e06", "SPE_E5", None),
    ("efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "EMS", Some(300)),
    (
        "f8a1db68-be16-40ed-86d5-cb42ce701560",
        "POWER_BI_PRO",
        Some(40),
    ),
];

/// The first tenant's groups (id, name); the other tenants' have the same names and ids of
/// their own (`groups`).
const GROUPS: &[(&str, &str)] = &[
    ("a0f1c7e2-3b4d-4e5f-8a9b-0c1d2e3f4a01", "All Staff"),
    ("a0f1c7e2-3b4d-4e5f-8a9b-0c1d2e3f4a02", "Sales Team"),
    ("a0f1c7e2-3b4d-4e5f-8a9b-0c1d2e3f4a03", "Engineering"),
    ("a0f1c7e2-3b4d-4e5f-8a9b-0c1d2e3f4a04", "VPN Users"),
    ("a0f1c7e2-3b4d-4e5f-8a9b-0c1d2e3f4a05", "Finance Approvers"),
];

const LOCATIONS: &[&str] = &["US", "GB", "DE", "FR", "JP", "IN", "BR"];

pub fn ensure_schema(store: &Store) -> rusqlite::Result<()> {
    store.conn().execute_batch(SCHEMA)
}

/// The seeded groups of a tenant, (id, name): the first tenant's own ids when `tenant_id` is
/// `None`, else ids derived from the tenant's id, so no object id is in two tenants.
fn groups(tenant_id: Option<&str>) -> Vec<(String, &'static str)> {
    GROUPS
        .iter()
        .map(|(id, name)| match tenant_id {
            None => (id.to_string(), *name),
            Some(t) => (crate::login::derived_id(&["seeded-group", t, name]), *name),
        })
        .collect()
}

/// Seeds licences, usage locations, groups and some disabled deleted accounts, once per store
/// (when no SKU is there yet). Which user gets what follows from its place in id order, so a
/// seed number gives the same tenant every time; the admin account is left as it is.
/// `groups_of`: the tenant whose group ids to derive (`None`: the first tenant's, see `groups`).
pub fn seed_if_empty(
    store: &mut Store,
    admin_upn: &str,
    groups_of: Option<&str>,
) -> rusqlite::Result<bool> {
    let tx = store
        .conn_mut()
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let seeded: bool = tx.prepare("SELECT 1 FROM skus")?.exists([])?;
    if seeded {
        return Ok(false);
    }
    let users = seed_users(&tx)?;
    let admin = admin_upn.to_lowercase();
    let actors = OffboardingActors::of(&tx, &users, &admin)?;
    let groups = groups(groups_of);
    for (i, u) in users.iter().enumerate() {
        if u.upn == admin || u.user_type.eq_ignore_ascii_case("guest") {
            continue;
        }
        seed_user(&tx, i, u, &actors, &groups)?;
    }
    seed_groups(&tx, &groups)?;
    seed_skus(&tx)?;
    tx.commit()?;
    Ok(true)
}

/// Every user, in id order.
fn seed_users(conn: &Connection) -> rusqlite::Result<Vec<SeedUser>> {
    let mut stmt = conn.prepare(
        "SELECT id, deleted, user_type, upn_lc, original_upn, deleted_at FROM users \
         ORDER BY id",
    )?;
    stmt.query_map([], |r| {
        Ok(SeedUser {
            id: r.get(0)?,
            deleted: r.get(1)?,
            user_type: r.get(2)?,
            upn: r.get(3)?,
            original_upn: r.get(4)?,
            deleted_at: r.get(5)?,
        })
    })?
    .collect()
}

/// The SKUs the `i`th user holds (before an offboarding took them).
fn licences_of(i: usize) -> Vec<&'static str> {
    let mut skus = Vec::new();
    match i % 7 {
        0 => skus.push(SKUS[1].0),
        6 => {}
        _ => skus.push(SKUS[0].0),
    }
    if i.is_multiple_of(3) {
        skus.push(SKUS[2].0);
    }
    if i % 11 == 5 {
        skus.push(SKUS[3].0);
    }
    skus
}

/// The `i`th user's licences, usage location, groups and account state; for one deleted
/// member in five, the offboarding that took them, as audit records.
fn seed_user(
    conn: &Connection,
    i: usize,
    u: &SeedUser,
    actors: &OffboardingActors,
    groups: &[(String, &'static str)],
) -> rusqlite::Result<()> {
    let id = &u.id;
    let mut skus = licences_of(i);
    let offboarded = offboarding_of(i, u);
    let mut taken = offboarding_seed::Taken::default();
    if offboarded.is_some() {
        taken.licences = skus
            .iter()
            .filter_map(|s| SKUS.iter().find(|k| k.0 == *s).map(|k| (k.0, k.1)))
            .collect();
        skus.clear();
    }
    for sku in &skus {
        conn.execute(
            "INSERT INTO user_licences (user_id, sku_id) VALUES (?1, ?2)",
            params![id, sku],
        )?;
    }
    // Some licensed users have no usage location: Entra cannot assign them a licence.
    if i % 8 != 3 {
        conn.execute(
            "INSERT INTO user_usage_location (user_id, usage_location) VALUES (?1, ?2)",
            params![id, LOCATIONS[i % LOCATIONS.len()]],
        )?;
    }
    seed_memberships(conn, i, id, offboarded.is_some(), groups, &mut taken)?;
    // Some users were disabled before they were deleted; a restore keeps them so.
    if (u.deleted && i % 9 == 4) || offboarded.is_some() {
        conn.execute("UPDATE users SET account_enabled = 0 WHERE id = ?1", [id])?;
    }
    if let Some(user) = offboarded {
        taken.sign_in = true;
        taken.role = match i % 10 {
            1 => Some(offboarding_seed::EXCHANGE_ADMINISTRATOR),
            6 => Some(offboarding_seed::HELPDESK_ADMINISTRATOR),
            _ => None,
        };
        for row in offboarding_seed::records(&user, &taken, &actors.hr, &actors.admin) {
            crate::objects::insert_audit(conn, &row)?;
        }
    }
    Ok(())
}

/// The `i`th user's groups: "All Staff" and every fourth of the others. An offboarding takes
/// all but "All Staff" into `taken`, and for some users an admin put one back.
fn seed_memberships<'a>(
    conn: &Connection,
    i: usize,
    id: &str,
    offboarded: bool,
    groups: &'a [(String, &'static str)],
    taken: &mut offboarding_seed::Taken<'a>,
) -> rusqlite::Result<()> {
    for (g, (group, name)) in groups.iter().enumerate() {
        if g == 0 || (i + g).is_multiple_of(4) {
            // "All Staff" is every member's: an offboarding does not take it.
            if offboarded && g > 0 {
                if i % 15 == 1 && taken.put_back.is_none() {
                    taken.put_back = Some((group.as_str(), *name));
                } else {
                    taken.groups.push((group.as_str(), *name));
                    continue;
                }
            }
            conn.execute(
                "INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2)",
                params![group, id],
            )?;
        }
    }
    Ok(())
}

/// The groups, in `member_groups` and as the directory objects `/groups` serves.
fn seed_groups(conn: &Connection, groups: &[(String, &'static str)]) -> rusqlite::Result<()> {
    for (id, name) in groups {
        conn.execute(
            "INSERT INTO member_groups (id, display_name) VALUES (?1, ?2)",
            params![id, name],
        )?;
        // The same groups as `/groups` and `/groups/{id}` serve them: an offboarding's audit
        // records name them, and a client looks them up there.
        crate::objects::insert_object(
            conn,
            &crate::objects::ObjectRow {
                id: id.clone(),
                kind: "group".into(),
                display_name: (*name).into(),
                mail: None,
                proxy_addresses: Vec::new(),
                created_at: "2024-01-15T09:00:00Z".into(),
            },
        )?;
    }
    Ok(())
}

/// The SKUs, once the users hold theirs (a SKU without a seat count gets as many as are held).
fn seed_skus(conn: &Connection) -> rusqlite::Result<()> {
    for (sku, part, seats) in SKUS {
        let enabled = match seats {
            Some(n) => *n,
            None => active_holders(conn, sku)?,
        };
        conn.execute(
            "INSERT INTO skus (sku_id, part_number, enabled) VALUES (?1, ?2, ?3)",
            params![sku, part, enabled],
        )?;
    }
    Ok(())
}

/// A user as the licence and membership seed reads it.
struct SeedUser {
    id: String,
    deleted: bool,
    user_type: String,
    upn: String,
    original_upn: String,
    deleted_at: Option<String>,
}

/// Whether the seed offboarded this deleted user before its deletion (one member in five).
fn offboarding_of(i: usize, u: &SeedUser) -> Option<offboarding_seed::Offboarded<'_>> {
    if !u.deleted || i % 5 != 1 {
        return None;
    }
    let deleted_at = chrono::DateTime::parse_from_rfc3339(u.deleted_at.as_deref()?)
        .ok()?
        .with_timezone(&chrono::Utc);
    Some(offboarding_seed::Offboarded {
        id: &u.id,
        upn: &u.original_upn,
        deleted_at,
    })
}

/// Who offboards: the HR app the seeded deletions name (the same app id), and the admin.
struct OffboardingActors {
    hr: Actor,
    admin: Actor,
}

impl OffboardingActors {
    fn of(conn: &Connection, users: &[SeedUser], admin_upn: &str) -> rusqlite::Result<Self> {
        let app: Option<(String, String)> = conn
            .query_row(
                "SELECT json_extract(body, '$.initiatedBy.app.appId'), \
                 json_extract(body, '$.initiatedBy.app.servicePrincipalId') FROM audits \
                 WHERE json_extract(body, '$.initiatedBy.app.displayName') = ?1 LIMIT 1",
                [offboarding_seed::HR_APP],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (app_id, sp) = app.unwrap_or_else(|| {
            (
                "7d3c1e5a-9b2f-4c6d-8e1a-3f5b7c9d1e2f".into(),
                "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d".into(),
            )
        });
        Ok(Self {
            hr: Actor::App {
                app_id,
                display_name: offboarding_seed::HR_APP.into(),
                service_principal_id: sp,
            },
            admin: Actor::User {
                id: users
                    .iter()
                    .find(|u| u.upn == admin_upn)
                    .map(|u| u.id.clone())
                    .unwrap_or_default(),
                upn: admin_upn.to_string(),
                display_name: None,
                ip: Some("203.0.113.10".into()),
            },
        })
    }
}

fn active_holders(conn: &Connection, sku: &str) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM user_licences l JOIN users u ON u.id = l.user_id \
         WHERE l.sku_id = ?1 AND u.deleted = 0",
        [sku],
        |r| r.get(0),
    )
}

impl Store {
    pub fn skus(&self) -> rusqlite::Result<Vec<SkuRow>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT sku_id, part_number, enabled FROM skus ORDER BY part_number")?;
        let rows: Vec<(String, String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(sku_id, part_number, enabled)| {
                let consumed = active_holders(self.conn(), &sku_id)?;
                Ok(SkuRow {
                    sku_id,
                    part_number,
                    enabled,
                    consumed,
                })
            })
            .collect()
    }

    /// Adds a member (`owner`: an owner) to a group; false when it already was one.
    pub fn add_to_group(
        &self,
        group_id: &str,
        user_id: &str,
        owner: bool,
    ) -> rusqlite::Result<bool> {
        let table = if owner {
            "group_owners"
        } else {
            "group_members"
        };
        let added = self.conn().execute(
            &format!("INSERT OR IGNORE INTO {table} (group_id, user_id) VALUES (?1, ?2)"),
            params![group_id, user_id],
        )?;
        Ok(added == 1)
    }

    /// Gives the user a licence; false when it already held it.
    pub fn add_licence(&self, user_id: &str, sku_id: &str) -> rusqlite::Result<bool> {
        let added = self.conn().execute(
            "INSERT OR IGNORE INTO user_licences (user_id, sku_id) VALUES (?1, ?2)",
            params![user_id, sku_id],
        )?;
        Ok(added == 1)
    }

    /// Assigns a directory role; `None` when that assignment already exists.
    pub fn add_role_assignment(
        &self,
        id: &str,
        principal_id: &str,
        role_definition_id: &str,
        scope: &str,
    ) -> rusqlite::Result<bool> {
        let added = self.conn().execute(
            "INSERT OR IGNORE INTO role_assignments (id, principal_id, role_definition_id, scope) \
             VALUES (?1, ?2, ?3, ?4)",
            params![id, principal_id, role_definition_id.to_lowercase(), scope],
        )?;
        Ok(added == 1)
    }

    /// The user's licences as (skuId, skuPartNumber).
    pub fn licences(&self, user_id: &str) -> rusqlite::Result<Vec<(String, String)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT l.sku_id, COALESCE(s.part_number, '') FROM user_licences l \
             LEFT JOIN skus s ON s.sku_id = l.sku_id WHERE l.user_id = ?1 ORDER BY l.sku_id",
        )?;
        stmt.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    }

    pub fn usage_location(&self, user_id: &str) -> rusqlite::Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT usage_location FROM user_usage_location WHERE user_id = ?1",
                [user_id],
                |r| r.get(0),
            )
            .optional()
    }

    /// The groups the user is a direct member of, as (id, displayName).
    pub fn groups_of(&self, user_id: &str) -> rusqlite::Result<Vec<(String, String)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT g.id, g.display_name FROM group_members m JOIN member_groups g \
             ON g.id = m.group_id WHERE m.user_id = ?1 ORDER BY g.display_name",
        )?;
        stmt.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    }

    /// Adds a pass, deleting any the user had: a user holds one Temporary Access Pass.
    /// Returns how many were replaced.
    pub fn put_tap(&mut self, tap: &TapRow) -> rusqlite::Result<usize> {
        let tx = self.conn_mut().transaction()?;
        let replaced = tx.execute("DELETE FROM tap_methods WHERE user_id = ?1", [&tap.user_id])?;
        tx.execute(
            "INSERT INTO tap_methods (id, user_id, salt, hash, created_at, start_at, \
             lifetime_minutes, usable_once) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                tap.id,
                tap.user_id,
                tap.salt,
                tap.hash,
                tap.created_at,
                tap.start_at,
                tap.lifetime_minutes,
                tap.usable_once
            ],
        )?;
        tx.commit()?;
        Ok(replaced)
    }

    pub fn taps(&self, user_id: &str) -> rusqlite::Result<Vec<TapRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, user_id, salt, hash, created_at, start_at, lifetime_minutes, \
             usable_once FROM tap_methods WHERE user_id = ?1 ORDER BY created_at",
        )?;
        stmt.query_map([user_id], |r| {
            Ok(TapRow {
                id: r.get(0)?,
                user_id: r.get(1)?,
                salt: r.get(2)?,
                hash: r.get(3)?,
                created_at: r.get(4)?,
                start_at: r.get(5)?,
                lifetime_minutes: r.get(6)?,
                usable_once: r.get(7)?,
            })
        })?
        .collect()
    }

    pub fn delete_tap(&mut self, user_id: &str, id: &str) -> rusqlite::Result<bool> {
        let n = self.conn().execute(
            "DELETE FROM tap_methods WHERE user_id = ?1 AND id = ?2",
            params![user_id, id],
        )?;
        Ok(n > 0)
    }
}
