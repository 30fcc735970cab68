//! A user as the store keeps it: `UserView` borrows a row's text where it lies (a listing
//! renders a page without copying a string), `UserRow` owns the same fields.

use rusqlite::Row;

/// Columns read into a `UserView`, in order.
pub const USER_COLS: &str = "id, deleted, display_name, given_name, surname, upn, original_upn, \
    mail, job_title, department, user_type, account_enabled, proxy_addresses, on_prem_sync, \
    deleted_at, created_at";

#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub id: String,
    pub deleted: bool,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    /// The UPN as the directory holds it now (id-prefixed while deleted).
    pub upn: String,
    /// The UPN the user had while active.
    pub original_upn: String,
    pub mail: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub user_type: String,
    pub account_enabled: bool,
    pub proxy_addresses: Vec<String>,
    pub on_prem_sync: bool,
    pub deleted_at: Option<String>,
    pub created_at: String,
}

/// A user's fields, borrowed from a row of the store or from a `UserRow`.
#[derive(Debug, Clone, Copy)]
pub struct UserView<'a> {
    pub id: &'a str,
    pub deleted: bool,
    pub display_name: &'a str,
    pub given_name: Option<&'a str>,
    pub surname: Option<&'a str>,
    pub upn: &'a str,
    pub original_upn: &'a str,
    pub mail: Option<&'a str>,
    pub job_title: Option<&'a str>,
    pub department: Option<&'a str>,
    pub user_type: &'a str,
    pub account_enabled: bool,
    pub proxy_addresses: Proxies<'a>,
    pub on_prem_sync: bool,
    pub deleted_at: Option<&'a str>,
    pub created_at: &'a str,
}

/// Proxy addresses as the store keeps them (a JSON array, as written by `serde_json`) or as a
/// list.
#[derive(Debug, Clone, Copy)]
pub enum Proxies<'a> {
    Json(&'a str),
    List(&'a [String]),
}

impl<'a> UserView<'a> {
    /// The columns of `USER_COLS`, borrowed from the row.
    pub fn of_row(r: &'a Row<'_>) -> rusqlite::Result<Self> {
        let text = |i: usize| r.get_ref(i)?.as_str().map_err(rusqlite::Error::from);
        let opt = |i: usize| {
            r.get_ref(i)?
                .as_str_or_null()
                .map_err(rusqlite::Error::from)
        };
        Ok(Self {
            id: text(0)?,
            deleted: r.get(1)?,
            display_name: text(2)?,
            given_name: opt(3)?,
            surname: opt(4)?,
            upn: text(5)?,
            original_upn: text(6)?,
            mail: opt(7)?,
            job_title: opt(8)?,
            department: opt(9)?,
            user_type: text(10)?,
            account_enabled: r.get(11)?,
            proxy_addresses: Proxies::Json(text(12)?),
            on_prem_sync: r.get(13)?,
            deleted_at: opt(14)?,
            created_at: text(15)?,
        })
    }

    /// The value of the sort column `col` (as `UserQuery::order_col` names it), for the keyset
    /// of the next page.
    pub fn sort_value(&self, col: &str) -> String {
        match col {
            "dn_lc" => self.display_name.to_lowercase(),
            "upn_lc" => self.upn.to_lowercase(),
            "deleted_at" => self.deleted_at.unwrap_or_default().to_string(),
            _ => self.id.to_string(),
        }
    }
}

impl Proxies<'_> {
    /// The addresses; stored text that is not a JSON array of strings reads as none.
    pub fn to_vec(self) -> Vec<String> {
        match self {
            Self::Json(text) => serde_json::from_str(text).unwrap_or_default(),
            Self::List(list) => list.to_vec(),
        }
    }
}

impl UserRow {
    pub fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self::from(UserView::of_row(r)?))
    }

    pub fn view(&self) -> UserView<'_> {
        UserView {
            id: &self.id,
            deleted: self.deleted,
            display_name: &self.display_name,
            given_name: self.given_name.as_deref(),
            surname: self.surname.as_deref(),
            upn: &self.upn,
            original_upn: &self.original_upn,
            mail: self.mail.as_deref(),
            job_title: self.job_title.as_deref(),
            department: self.department.as_deref(),
            user_type: &self.user_type,
            account_enabled: self.account_enabled,
            proxy_addresses: Proxies::List(&self.proxy_addresses),
            on_prem_sync: self.on_prem_sync,
            deleted_at: self.deleted_at.as_deref(),
            created_at: &self.created_at,
        }
    }
}

impl From<UserView<'_>> for UserRow {
    fn from(v: UserView<'_>) -> Self {
        Self {
            id: v.id.to_string(),
            deleted: v.deleted,
            display_name: v.display_name.to_string(),
            given_name: v.given_name.map(str::to_string),
            surname: v.surname.map(str::to_string),
            upn: v.upn.to_string(),
            original_upn: v.original_upn.to_string(),
            mail: v.mail.map(str::to_string),
            job_title: v.job_title.map(str::to_string),
            department: v.department.map(str::to_string),
            user_type: v.user_type.to_string(),
            account_enabled: v.account_enabled,
            proxy_addresses: v.proxy_addresses.to_vec(),
            on_prem_sync: v.on_prem_sync,
            deleted_at: v.deleted_at.map(str::to_string),
            created_at: v.created_at.to_string(),
        }
    }
}
