//! The inspector of a running sandbox (`SandboxHandle::inspect`, with the `test-hooks`
//! feature): tests read the store and set up cases through it without HTTP.

use std::sync::atomic::Ordering;

use crate::state::AppState;
use crate::store;
use crate::{PasswordFault, SentMail, TokenSpec, login, objects, policy};

/// Direct, HTTP-free access to a running sandbox, for tests' assertions.
#[derive(Clone)]
pub struct Inspector {
    pub(crate) state: AppState,
}

impl Inspector {
    /// True when `id` is an active (not deleted) user.
    pub fn is_active(&self, id: &str) -> bool {
        matches!(self.state.db().user(id), Ok(Some(u)) if !u.deleted)
    }

    /// True when `id` is in the deleted items (false once restored or purged).
    pub fn is_deleted(&self, id: &str) -> bool {
        matches!(self.state.db().user(id), Ok(Some(u)) if u.deleted)
    }

    /// True when the user exists at all (false after a purge).
    pub fn exists(&self, id: &str) -> bool {
        matches!(self.state.db().user(id), Ok(Some(_)))
    }

    /// The user's current UPN (id-prefixed while deleted).
    pub fn upn(&self, id: &str) -> Option<String> {
        self.state.db().user(id).ok().flatten().map(|u| u.upn)
    }

    pub fn proxy_addresses(&self, id: &str) -> Vec<String> {
        self.state
            .db()
            .user(id)
            .ok()
            .flatten()
            .map(|u| u.proxy_addresses)
            .unwrap_or_default()
    }

    pub fn password_matches(&self, id: &str, password: &str) -> bool {
        matches!(self.state.db().password(id), Ok(Some((salt, hash))) if policy::hash(&salt, password) == hash)
    }

    pub fn outbox(&self) -> Vec<SentMail> {
        self.state.db().outbox().unwrap_or_default()
    }

    /// True when `pass` is the user's Temporary Access Pass (the store holds only its hash).
    pub fn tap_matches(&self, id: &str, pass: &str) -> bool {
        self.state
            .db()
            .taps(id)
            .unwrap_or_default()
            .iter()
            .any(|t| policy::hash(&t.salt, pass) == t.hash)
    }

    /// How many Temporary Access Passes the user holds, and the lifetime and one-time use of
    /// the newest.
    pub fn taps(&self, id: &str) -> (usize, Option<(i64, bool)>) {
        let taps = self.state.db().taps(id).unwrap_or_default();
        let last = taps.last().map(|t| (t.lifetime_minutes, t.usable_once));
        (taps.len(), last)
    }

    /// The SKUs the user holds, by part number (`ENTERPRISEPACK`, ...).
    pub fn licence_parts(&self, id: &str) -> Vec<String> {
        self.state
            .db()
            .licences(id)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, part)| part)
            .collect()
    }

    /// The names of the groups the user is a direct member of.
    pub fn group_names(&self, id: &str) -> Vec<String> {
        self.state
            .db()
            .groups_of(id)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, name)| name)
            .collect()
    }

    pub fn usage_location(&self, id: &str) -> Option<String> {
        self.state.db().usage_location(id).ok().flatten()
    }

    pub fn account_enabled(&self, id: &str) -> Option<bool> {
        self.state
            .db()
            .user(id)
            .ok()
            .flatten()
            .map(|u| u.account_enabled)
    }

    /// Free seats of a SKU by part number: enabled minus consumed (negative: over-allocated).
    pub fn free_seats(&self, part: &str) -> Option<i64> {
        self.state
            .db()
            .skus()
            .ok()?
            .into_iter()
            .find(|s| s.part_number == part)
            .map(|s| s.enabled - s.consumed)
    }

    /// See `SandboxHandle::fail_next_password_sets`.
    pub fn fail_next_password_sets(&self, n: u32, fault: PasswordFault) {
        *self
            .state
            .password_faults
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = (n, fault);
    }

    /// Password sets still to be failed by `fail_next_password_sets`.
    pub fn password_faults_left(&self) -> u32 {
        self.state
            .password_faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
    }

    /// Writes admitted by the write quota (restores, password changes, purges, deletes).
    pub fn write_count(&self) -> u64 {
        self.state.metrics.writes.load(Ordering::Relaxed)
    }

    /// Writes refused with 429 by the write quota.
    pub fn throttled_count(&self) -> u64 {
        self.state.metrics.throttled.load(Ordering::Relaxed)
    }

    /// HTTP requests received (a `$batch` counts once).
    pub fn request_count(&self) -> u64 {
        self.state.metrics.requests.load(Ordering::Relaxed)
    }

    /// A valid access token with exactly the claims of `spec`, signed by this sandbox.
    pub fn issue_token(&self, spec: &TokenSpec) -> String {
        login::mint(&self.state, spec)
    }

    /// Test hook: pretends user `id` was deleted at `when` (e.g. 31 days ago, to see Entra's
    /// 30-day purge). False when `id` is not a deleted user.
    pub fn set_deleted_at(&self, id: &str, when: chrono::DateTime<chrono::Utc>) -> bool {
        matches!(self.state.db().set_deleted_at(id, when), Ok(true))
    }

    /// Test hook: adds (or replaces) a group or an org contact (`kind`: `group`, `contact`), as
    /// an admin would in the portal; the next delta round of its kind reports it.
    pub fn put_object(
        &self,
        kind: &str,
        id: &str,
        display_name: &str,
        mail: Option<&str>,
        proxy_addresses: &[&str],
    ) -> bool {
        let row = objects::ObjectRow {
            id: id.to_string(),
            kind: kind.to_string(),
            display_name: display_name.to_string(),
            mail: mail.map(str::to_string),
            proxy_addresses: proxy_addresses.iter().map(|p| p.to_string()).collect(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        self.state.db().put_object(&row).is_ok()
    }

    /// Test hook: deletes a group or an org contact; false when there was none.
    pub fn remove_object(&self, id: &str) -> bool {
        matches!(self.state.db().remove_object(id), Ok(true))
    }

    /// Ids of the seeded groups or contacts (`kind`), in id order.
    pub fn object_ids(&self, kind: &str) -> Vec<String> {
        self.state
            .db()
            .objects_page(kind, None, usize::MAX / 4)
            .map(|(rows, _)| rows.into_iter().map(|o| o.id).collect())
            .unwrap_or_default()
    }

    /// Ids of deleted users, in id order (handy for picking test subjects).
    pub fn deleted_ids(&self) -> Vec<String> {
        self.ids(true)
    }

    pub fn active_ids(&self) -> Vec<String> {
        self.ids(false)
    }

    fn ids(&self, deleted: bool) -> Vec<String> {
        let q = store::UserQuery {
            deleted,
            filter_sql: "1",
            filter_params: &[],
            order_col: "id",
            desc: false,
            after: None,
            limit: 1_000_000_000,
        };
        self.state
            .db()
            .query_users(&q)
            .map(|p| p.rows.into_iter().map(|u| u.id).collect())
            .unwrap_or_default()
    }
}
