//! What can hold a deleted user's name or address while it is gone: active users, groups and
//! organizational contacts (proxy addresses are unique across all three), as the conflict
//! sweep reads them: full listings, then delta rounds (`/users/delta`, `/groups/delta`,
//! `/contacts/delta`) that say what changed.
//!
//! Everything here came from the server: ids are checked before they can reach a URL, and
//! every string passes `sanitize::clean` before it reaches a domain type.

use serde::Deserialize;
use serde_json::Value;

use super::wire::checked_id;
use super::{DirResult, DirectoryError};
use undelete_common::sanitize::clean;

/// The kinds of directory object that can hold an address a deleted user needs back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HolderKind {
    User,
    Group,
    Contact,
}

impl HolderKind {
    pub const ALL: [HolderKind; 3] = [HolderKind::User, HolderKind::Group, HolderKind::Contact];

    /// One word, as the details pane and `list --format json` name it.
    pub fn noun(self) -> &'static str {
        match self {
            HolderKind::User => "user",
            HolderKind::Group => "group",
            HolderKind::Contact => "contact",
        }
    }

    /// The collection's path segment under `/v1.0/`.
    pub fn collection(self) -> &'static str {
        match self {
            HolderKind::User => "users",
            HolderKind::Group => "groups",
            HolderKind::Contact => "contacts",
        }
    }

    /// What the sweep selects: exactly what a conflict check needs.
    pub fn select(self) -> &'static str {
        match self {
            HolderKind::User => "id,displayName,userPrincipalName,mail,proxyAddresses",
            HolderKind::Group | HolderKind::Contact => "id,displayName,mail,proxyAddresses",
        }
    }

    /// The least-privileged permission that lets an app or admin read this kind with its
    /// proxy addresses (learn.microsoft.com: "List users", "List groups", "List orgContacts",
    /// and their delta functions).
    pub fn permission(self) -> &'static str {
        self.accepted()[0]
    }

    /// Every permission that allows the read, the least privileged first.
    pub fn accepted(self) -> &'static [&'static str] {
        use crate::auth::claims::Action;
        match self {
            HolderKind::User => Action::SweepUsers,
            HolderKind::Group => Action::SweepGroups,
            HolderKind::Contact => Action::SweepContacts,
        }
        .permissions()
    }

    /// Its place in per-kind arrays (`HolderKind::ALL` order).
    pub fn index(self) -> usize {
        match self {
            HolderKind::User => 0,
            HolderKind::Group => 1,
            HolderKind::Contact => 2,
        }
    }

    /// Plural noun for status lines ("active users", "groups", "contacts").
    pub fn plural(self) -> &'static str {
        match self {
            HolderKind::User => "active users",
            HolderKind::Group => "groups",
            HolderKind::Contact => "org contacts",
        }
    }
}

impl std::fmt::Display for HolderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.noun())
    }
}

/// An active directory object that may hold a deleted user's UPN or proxy address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub kind: HolderKind,
    pub id: String,
    pub display_name: String,
    /// Users only.
    pub user_principal_name: Option<String>,
    pub mail: Option<String>,
    pub proxy_addresses: Vec<String>,
}

/// One question pre-flight asks the directory right before a restore: who holds this user
/// name, or this proxy address, now. Proxy addresses are unique across users, groups and org
/// contacts, so an address is asked of each kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HolderQuery {
    /// The active user whose `userPrincipalName` this is.
    UserName(String),
    /// The object of this kind whose `proxyAddresses` hold this address (`smtp:a@b.com`).
    ProxyAddress(HolderKind, String),
}

impl HolderQuery {
    /// The collection it is asked of.
    pub fn kind(&self) -> HolderKind {
        match self {
            HolderQuery::UserName(_) => HolderKind::User,
            HolderQuery::ProxyAddress(kind, _) => *kind,
        }
    }

    /// The name or address asked about.
    pub fn value(&self) -> &str {
        match self {
            HolderQuery::UserName(v) | HolderQuery::ProxyAddress(_, v) => v,
        }
    }

    /// Org contacts answer a `$filter` on `proxyAddresses` only as an advanced query
    /// (`ConsistencyLevel: eventual` and `$count=true`; learn.microsoft.com "orgContact resource
    /// type", Properties). Users and groups answer it by default, and by default the answer is
    /// not eventually consistent, which is what a check right before a restore wants.
    pub fn advanced(&self) -> bool {
        self.kind() == HolderKind::Contact
    }
}

/// One entry of a delta round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolderChange {
    /// Added, or changed: the object as it is now (the selected properties).
    Upsert(Holder),
    /// Deleted (soft or for good) or otherwise gone from the collection (`@removed`).
    Removed { kind: HolderKind, id: String },
}

impl HolderChange {
    pub fn id(&self) -> &str {
        match self {
            HolderChange::Upsert(h) => &h.id,
            HolderChange::Removed { id, .. } => id,
        }
    }
}

/// One page of a delta round. The last page carries the link of the next round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeltaPage {
    pub changes: Vec<HolderChange>,
    /// `@odata.deltaLink` (whole URL, `$deltatoken` inside): present on the last page only.
    pub delta_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireHolder {
    id: Option<String>,
    display_name: Option<String>,
    user_principal_name: Option<String>,
    mail: Option<String>,
    proxy_addresses: Option<Vec<Option<String>>>,
    #[serde(rename = "@removed")]
    removed: Option<Value>,
}

#[derive(Deserialize)]
struct WireHolderPage {
    value: Vec<WireHolder>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    delta_link: Option<String>,
}

/// A parsed page and its links, still to be checked by the caller before they are followed.
pub struct ParsedHolders<T> {
    pub items: T,
    pub next_link: Option<String>,
    pub delta_link: Option<String>,
}

fn parse_page(body: &[u8], kind: HolderKind) -> DirResult<WireHolderPage> {
    if body.is_empty() {
        return Err(DirectoryError::malformed(format!(
            "the reply to the {} listing is empty",
            kind.noun()
        )));
    }
    serde_json::from_slice(body).map_err(|e| {
        DirectoryError::malformed(format!(
            "the reply to the {} listing is not what Microsoft Graph sends: {e}",
            kind.noun()
        ))
    })
}

fn holder(kind: HolderKind, w: WireHolder) -> DirResult<Holder> {
    let id = checked_id(w.id.as_deref())?;
    let nonempty = |s: Option<String>| s.map(|s| clean(&s)).filter(|s| !s.is_empty());
    let upn = nonempty(w.user_principal_name);
    let mail = nonempty(w.mail);
    Ok(Holder {
        display_name: nonempty(w.display_name)
            .or_else(|| upn.clone())
            .or_else(|| mail.clone())
            .unwrap_or_else(|| id.clone()),
        user_principal_name: upn,
        mail,
        // Graph has been seen to send `null` inside the list; such an entry holds nothing.
        proxy_addresses: w
            .proxy_addresses
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .map(|p| clean(&p))
            .collect(),
        kind,
        id,
    })
}

/// A page of `GET /users`, `/groups` or `/contacts` with `$select`.
pub fn parse_holder_page(body: &[u8], kind: HolderKind) -> DirResult<ParsedHolders<Vec<Holder>>> {
    let page = parse_page(body, kind)?;
    let items = page
        .value
        .into_iter()
        .map(|w| holder(kind, w))
        .collect::<DirResult<Vec<_>>>()?;
    Ok(ParsedHolders {
        items,
        next_link: page.next_link,
        delta_link: page.delta_link,
    })
}

/// The `value` of a filtered listing that came back inside a `$batch` (already parsed JSON):
/// the objects of `kind` it names.
pub fn parse_holder_value(body: Value, kind: HolderKind) -> DirResult<Vec<Holder>> {
    let page: WireHolderPage = serde_json::from_value(body).map_err(|e| {
        DirectoryError::malformed(format!(
            "the reply to a {} lookup is not what Microsoft Graph sends: {e}",
            kind.noun()
        ))
    })?;
    page.value.into_iter().map(|w| holder(kind, w)).collect()
}

/// A page of a delta round: objects as they are now, or `{"id", "@removed": {...}}`.
pub fn parse_delta_page(
    body: &[u8],
    kind: HolderKind,
) -> DirResult<ParsedHolders<Vec<HolderChange>>> {
    let page = parse_page(body, kind)?;
    let items = page
        .value
        .into_iter()
        .map(|w| {
            if w.removed.is_some() {
                Ok(HolderChange::Removed {
                    kind,
                    id: checked_id(w.id.as_deref())?,
                })
            } else {
                holder(kind, w).map(HolderChange::Upsert)
            }
        })
        .collect::<DirResult<Vec<_>>>()?;
    Ok(ParsedHolders {
        items,
        next_link: page.next_link,
        delta_link: page.delta_link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_pages_are_parsed_and_cleaned() {
        let body = br#"{"value":[
            {"id":"g1","displayName":"Sales \u001b[31mTeam","mail":"sales@c.com",
             "proxyAddresses":["SMTP:sales@c.com",null,"smtp:s@c.com"]},
            {"id":"g2","displayName":"","mail":null}
        ],"@odata.nextLink":"https://graph.microsoft.com/v1.0/groups?$skiptoken=x"}"#;
        let p = parse_holder_page(body, HolderKind::Group).unwrap();
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.items[0].kind, HolderKind::Group);
        assert!(!p.items[0].display_name.contains('\u{1b}'));
        assert_eq!(
            p.items[0].proxy_addresses,
            ["SMTP:sales@c.com", "smtp:s@c.com"]
        );
        assert_eq!(
            p.items[1].display_name, "g2",
            "a nameless holder is named by its id"
        );
        assert!(p.next_link.is_some() && p.delta_link.is_none());
    }

    #[test]
    fn delta_pages_carry_removals_and_the_next_link() {
        let body = br#"{"value":[
            {"id":"u1","displayName":"A","userPrincipalName":"a@c.com","proxyAddresses":[]},
            {"id":"u2","@removed":{"reason":"changed"}}
        ],"@odata.deltaLink":"https://graph.microsoft.com/v1.0/users/delta?$deltatoken=abc"}"#;
        let p = parse_delta_page(body, HolderKind::User).unwrap();
        assert!(
            matches!(&p.items[0], HolderChange::Upsert(h) if h.user_principal_name.as_deref() == Some("a@c.com"))
        );
        assert_eq!(
            p.items[1],
            HolderChange::Removed {
                kind: HolderKind::User,
                id: "u2".into()
            }
        );
        assert!(p.delta_link.unwrap().contains("$deltatoken=abc"));
    }

    #[test]
    fn hostile_ids_and_bodies_are_refused() {
        let bad = br#"{"value":[{"id":"../me","displayName":"x"}]}"#;
        assert!(parse_holder_page(bad, HolderKind::User).is_err());
        assert!(parse_holder_page(b"", HolderKind::User).is_err());
        assert!(parse_holder_page(b"{\"value\":3}", HolderKind::Contact).is_err());
    }
}
