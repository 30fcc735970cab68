//! What the directory says about a user after its restore, read for the after-care report:
//! the user's own state, its licences, its group count, and the tenant's seats. Each read
//! succeeds or fails on its own. Strings from the server are sanitized before they get here.

use super::DirResult;

/// The user as re-read after the restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    pub upn: String,
    pub proxy_addresses: Vec<String>,
    pub account_enabled: Option<bool>,
    pub usage_location: Option<String>,
    /// `assignedLicenses[].skuId`.
    pub assigned_skus: Vec<String>,
}

/// One of the user's licences (`licenseDetails`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licence {
    pub sku_id: String,
    pub part_number: String,
    /// One of its service plans is Exchange Online's (`EXCHANGE_S_…`) and not disabled: the
    /// user is meant to have a mailbox.
    pub exchange: bool,
}

/// What `GET /users/{id}/mailboxSettings` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxRead {
    /// 200: Exchange serves the user's mailbox.
    Found,
    /// 404 `MailboxNotEnabledForRESTAPI`: no mailbox, or not reconnected yet.
    NotEnabled,
}

/// One of the tenant's products (`subscribedSkus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sku {
    pub sku_id: String,
    pub part_number: String,
    /// `prepaidUnits.enabled`.
    pub enabled: i64,
    pub consumed: i64,
}

impl Sku {
    /// Seats left; zero or less: none (negative: the tenant is over-allocated).
    pub fn free(&self) -> i64 {
        self.enabled - self.consumed
    }
}

/// The reads about one user.
#[derive(Debug, Clone)]
pub struct UserReads {
    pub id: String,
    pub user: DirResult<UserState>,
    pub licences: DirResult<Vec<Licence>>,
    pub groups: DirResult<u64>,
    pub mailbox: DirResult<MailboxRead>,
}

/// Everything the after-care report is built from.
#[derive(Debug, Clone)]
pub struct AfterCareReads {
    pub skus: DirResult<Vec<Sku>>,
    pub users: Vec<UserReads>,
}
