//! One deleted user as the table holds it (its text packed in one string).

use chrono::{DateTime, Utc};

use crate::directory::DeletedUser;

/// One table row, packed: every string of the user in one allocation. With 100,000 users a
/// `DeletedUser` per row (nine separately allocated strings) costs about twice the memory;
/// the full user is rebuilt on demand (`to_user`) for the one row that needs it.
#[derive(Debug, Clone)]
pub struct Row {
    /// id, name, original UPN, deleted UPN, mail, department, job title, user type, then the
    /// proxy addresses joined by U+0001.
    text: Box<str>,
    /// End offset of each field in `text` but the last.
    ends: [u32; 8],
    pub deleted_at: Option<DateTime<Utc>>,
    flags: u8,
    pub(super) key_start: u32,
    pub(super) key_end: u32,
}

const HAS_MAIL: u8 = 1;
const HAS_DEPT: u8 = 2;
const HAS_JOB: u8 = 4;
const HAS_TYPE: u8 = 8;
const SYNCED: u8 = 16;
/// The deleted UPN is the id's 32 hex digits glued to the original UPN, so it is not stored.
const DERIVED_UPN: u8 = 32;
const DISABLED: u8 = 64;
/// The mail is the original UPN (most users'), so it is not stored twice.
const MAIL_IS_UPN: u8 = 128;
const PROXY_SEP: char = '\u{1}';

/// Whether `deleted` is the id's hex digits glued to `original` (without building it: this
/// runs for every row loaded).
fn is_derived_upn(deleted: &str, id: &str, original: &str) -> bool {
    deleted
        .strip_suffix(original)
        .is_some_and(|hex| hex.bytes().eq(id.bytes().filter(|b| *b != b'-')))
}

fn derived_deleted_upn(id: &str, original: &str) -> String {
    let mut out: String = id.chars().filter(|c| *c != '-').collect();
    out.push_str(original);
    out
}

impl Row {
    pub(super) fn new(user: &DeletedUser, key_start: u32, key_end: u32) -> Self {
        let derived = is_derived_upn(&user.deleted_upn, &user.id, &user.original_upn);
        let mut flags = 0;
        let mut set = |on: bool, bit: u8| {
            if on {
                flags |= bit;
            }
        };
        set(user.mail.is_some(), HAS_MAIL);
        set(user.department.is_some(), HAS_DEPT);
        set(user.job_title.is_some(), HAS_JOB);
        set(user.user_type.is_some(), HAS_TYPE);
        set(user.on_premises_sync_enabled, SYNCED);
        set(derived, DERIVED_UPN);
        set(user.account_disabled, DISABLED);
        let mail_is_upn = user.mail.as_deref() == Some(user.original_upn.as_str());
        set(mail_is_upn, MAIL_IS_UPN);
        let parts: [&str; 8] = [
            &user.id,
            &user.display_name,
            &user.original_upn,
            if derived { "" } else { &user.deleted_upn },
            if mail_is_upn {
                ""
            } else {
                user.mail.as_deref().unwrap_or("")
            },
            user.department.as_deref().unwrap_or(""),
            user.job_title.as_deref().unwrap_or(""),
            user.user_type.as_deref().unwrap_or(""),
        ];
        let mut text = String::with_capacity(
            parts.iter().map(|p| p.len()).sum::<usize>()
                + user
                    .proxy_addresses
                    .iter()
                    .map(|p| p.len() + 1)
                    .sum::<usize>(),
        );
        let mut ends = [0u32; 8];
        for (i, part) in parts.iter().enumerate() {
            text.push_str(part);
            ends[i] = text.len() as u32;
        }
        for (i, p) in user.proxy_addresses.iter().enumerate() {
            if i > 0 {
                text.push(PROXY_SEP);
            }
            text.push_str(p);
        }
        Self {
            text: text.into_boxed_str(),
            ends,
            deleted_at: user.deleted_at,
            flags,
            key_start,
            key_end,
        }
    }

    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = if i < 8 {
            self.ends[i] as usize
        } else {
            self.text.len()
        };
        self.text.get(start..end).unwrap_or("")
    }

    fn opt(&self, i: usize, bit: u8) -> Option<&str> {
        (self.flags & bit != 0).then(|| self.field(i))
    }

    pub fn id(&self) -> &str {
        self.field(0)
    }

    pub fn display_name(&self) -> &str {
        self.field(1)
    }

    pub fn original_upn(&self) -> &str {
        self.field(2)
    }

    pub fn mail(&self) -> Option<&str> {
        if self.flags & MAIL_IS_UPN != 0 {
            Some(self.original_upn())
        } else {
            self.opt(4, HAS_MAIL)
        }
    }

    pub fn department(&self) -> Option<&str> {
        self.opt(5, HAS_DEPT)
    }

    pub fn job_title(&self) -> Option<&str> {
        self.opt(6, HAS_JOB)
    }

    pub fn synced(&self) -> bool {
        self.flags & SYNCED != 0
    }

    pub fn is_guest(&self) -> bool {
        self.opt(7, HAS_TYPE)
            .is_some_and(|t| t.eq_ignore_ascii_case("guest"))
    }

    /// The proxy addresses, as the directory listed them.
    pub fn proxy_addresses(&self) -> impl Iterator<Item = &str> {
        let all = self.field(8);
        all.split(PROXY_SEP).filter(move |_| !all.is_empty())
    }

    /// Whole days left before the purge, as `DeletedUser::days_left` counts them.
    pub fn days_left(&self, now: DateTime<Utc>) -> Option<i64> {
        self.deleted_at
            .map(|d| crate::directory::TimeLeft::after_deletion(d, now).days())
    }

    /// The directory said `accountEnabled: false`.
    pub fn account_disabled(&self) -> bool {
        self.flags & DISABLED != 0
    }

    /// The full user, rebuilt.
    pub fn to_user(&self) -> DeletedUser {
        let proxies = self.field(8);
        DeletedUser {
            id: self.id().to_string(),
            display_name: self.display_name().to_string(),
            deleted_upn: if self.flags & DERIVED_UPN != 0 {
                derived_deleted_upn(self.id(), self.original_upn())
            } else {
                self.field(3).to_string()
            },
            original_upn: self.original_upn().to_string(),
            mail: self.mail().map(str::to_string),
            proxy_addresses: if proxies.is_empty() {
                Vec::new()
            } else {
                proxies.split(PROXY_SEP).map(str::to_string).collect()
            },
            department: self.department().map(str::to_string),
            job_title: self.job_title().map(str::to_string),
            deleted_at: self.deleted_at,
            on_premises_sync_enabled: self.synced(),
            user_type: self.opt(7, HAS_TYPE).map(str::to_string),
            account_disabled: self.account_disabled(),
            // The table keeps only the cleaned strings.
            stored: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_gives_back_the_user_it_was_made_from() {
        let now = crate::app::fixtures::now();
        let derived = crate::app::fixtures::user(7, now);
        let mut kept = derived.clone();
        // The id's digits with a dash left in, or another id's: stored as given.
        kept.deleted_upn = format!("{}{}", &kept.id[..9], kept.original_upn);
        let mut other = derived.clone();
        other.deleted_upn = format!("ffff{}", &other.deleted_upn[4..]);
        let mut bare = derived.clone();
        bare.deleted_upn = String::new();
        bare.mail = None;
        let mut own_mail = derived.clone();
        own_mail.mail = Some(own_mail.original_upn.to_uppercase());
        for user in [derived, kept, other, bare, own_mail] {
            let row = Row::new(&user, 0, 0);
            assert_eq!(row.to_user(), user);
        }
    }
}
