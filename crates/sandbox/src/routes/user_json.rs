//! A user as Graph renders it: the selected properties (or Graph's default set), one
//! `Serialize` for a single user (made a `Value`, which callers decorate) and for a listing's
//! page (written straight into the body as its rows are read).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::odata::DEFAULT_PROPS;
use crate::store::{Proxies, UserRow, UserView};

/// What a request renders of each user: its properties, in the order a JSON object holds its
/// keys here (by name: a `serde_json` map's order, which every user rendered has had), and
/// whether `@odata.type` comes first.
pub struct Props {
    names: Vec<(&'static str, Prop)>,
    typed: bool,
}

/// The properties a user renders, told apart once per request rather than by name per user.
#[derive(Clone, Copy)]
enum Prop {
    Id,
    DisplayName,
    UserPrincipalName,
    Mail,
    MailNickname,
    GivenName,
    Surname,
    JobTitle,
    UserType,
    AccountEnabled,
    BusinessPhones,
    /// Properties the sandbox keeps no value of: `null`.
    Null,
    DeletedDateTime,
    Department,
    ProxyAddresses,
    OnPremisesSyncEnabled,
    CreatedDateTime,
}

impl Prop {
    /// `None`: rendered by its own routes (`licences::decorate`), or not a property.
    fn of(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "displayName" => Self::DisplayName,
            "userPrincipalName" => Self::UserPrincipalName,
            "mail" => Self::Mail,
            "mailNickname" => Self::MailNickname,
            "givenName" => Self::GivenName,
            "surname" => Self::Surname,
            "jobTitle" => Self::JobTitle,
            "userType" => Self::UserType,
            "accountEnabled" => Self::AccountEnabled,
            "businessPhones" => Self::BusinessPhones,
            "mobilePhone" | "officeLocation" | "preferredLanguage" => Self::Null,
            "deletedDateTime" => Self::DeletedDateTime,
            "department" => Self::Department,
            "proxyAddresses" => Self::ProxyAddresses,
            "onPremisesSyncEnabled" => Self::OnPremisesSyncEnabled,
            "createdDateTime" => Self::CreatedDateTime,
            _ => return None,
        })
    }
}

impl Props {
    /// `select`, or Graph's default set; `typed`: with `@odata.type` (left out for
    /// `odata.metadata=none`).
    pub fn new(select: Option<&[&'static str]>, typed: bool) -> Self {
        let mut names: Vec<(&'static str, Prop)> = select
            .unwrap_or(DEFAULT_PROPS)
            .iter()
            .filter_map(|&name| Prop::of(name).map(|p| (name, p)))
            .collect();
        names.sort_unstable_by_key(|(name, _)| *name);
        names.dedup_by_key(|(name, _)| *name);
        Self { names, typed }
    }

    /// `user` as these properties render it.
    pub fn of<'a>(&'a self, user: &'a UserView<'a>) -> UserJson<'a> {
        UserJson { user, props: self }
    }
}

pub struct UserJson<'a> {
    user: &'a UserView<'a>,
    props: &'a Props,
}

impl Serialize for UserJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let u = self.user;
        let mut m = s.serialize_map(None)?;
        if self.props.typed {
            m.serialize_entry("@odata.type", "#microsoft.graph.user")?;
        }
        for &(p, prop) in &self.props.names {
            match prop {
                Prop::Id => m.serialize_entry(p, u.id)?,
                Prop::DisplayName => m.serialize_entry(p, u.display_name)?,
                Prop::UserPrincipalName => m.serialize_entry(p, u.upn)?,
                Prop::Mail => m.serialize_entry(p, &u.mail)?,
                Prop::MailNickname => {
                    m.serialize_entry(p, u.original_upn.split('@').next().unwrap_or(""))?;
                }
                Prop::GivenName => m.serialize_entry(p, &u.given_name)?,
                Prop::Surname => m.serialize_entry(p, &u.surname)?,
                Prop::JobTitle => m.serialize_entry(p, &u.job_title)?,
                Prop::UserType => m.serialize_entry(p, u.user_type)?,
                Prop::AccountEnabled => m.serialize_entry(p, &u.account_enabled)?,
                Prop::BusinessPhones => m.serialize_entry(p, &[] as &[&str])?,
                Prop::Null => m.serialize_entry(p, &())?,
                Prop::DeletedDateTime => m.serialize_entry(p, &u.deleted_at)?,
                Prop::Department => m.serialize_entry(p, &u.department)?,
                Prop::ProxyAddresses => match u.proxy_addresses {
                    // The store wrote it with serde_json: it goes out as it lies, once checked.
                    Proxies::Json(text) => match serde_json::from_str::<&RawValue>(text) {
                        Ok(raw) if raw.get().starts_with('[') => m.serialize_entry(p, raw)?,
                        _ => m.serialize_entry(p, &[] as &[&str])?,
                    },
                    Proxies::List(list) => m.serialize_entry(p, list)?,
                },
                // Graph leaves it null rather than false for a cloud user.
                Prop::OnPremisesSyncEnabled => {
                    m.serialize_entry(p, &u.on_prem_sync.then_some(true))?;
                }
                Prop::CreatedDateTime => m.serialize_entry(p, u.created_at)?,
            }
        }
        m.end()
    }
}

/// One user as Graph renders it, as a `Value` for callers that add to it.
pub fn user_json(u: &UserRow, select: Option<&[&'static str]>, typed: bool) -> Value {
    let props = Props::new(select, typed);
    serde_json::to_value(props.of(&u.view())).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> UserRow {
        UserRow {
            id: "1b2c".into(),
            deleted: true,
            display_name: "Zoë \u{1b}[31m".into(),
            given_name: None,
            surname: Some("Ødegård".into()),
            upn: "1b2czoe@contoso.sandbox".into(),
            original_upn: "zoe@contoso.sandbox".into(),
            mail: None,
            job_title: Some("Analyst".into()),
            department: None,
            user_type: "Member".into(),
            account_enabled: false,
            proxy_addresses: vec!["SMTP:zoe@contoso.sandbox".into(), "smtp:\"z\"@x".into()],
            on_prem_sync: false,
            deleted_at: Some("2026-11-30T10:00:00Z".into()),
            created_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn a_row_read_from_the_store_renders_as_the_same_row_owned() {
        let row = row();
        let stored = serde_json::to_string(&row.proxy_addresses).unwrap();
        let borrowed = UserView {
            proxy_addresses: Proxies::Json(&stored),
            ..row.view()
        };
        for (select, typed) in [
            (None, true),
            (Some(crate::odata::USER_PROPS), false),
            (Some(&["proxyAddresses", "id", "deletedDateTime"][..]), true),
        ] {
            let props = Props::new(select, typed);
            let owned = serde_json::to_string(&props.of(&row.view())).unwrap();
            assert_eq!(serde_json::to_string(&props.of(&borrowed)).unwrap(), owned);
            // Keys by name, `@odata.type` first: as a `serde_json` map holds them.
            let value: Value = serde_json::from_str(&owned).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), owned);
        }
        let all = user_json(&row, Some(crate::odata::USER_PROPS), true);
        assert_eq!(all["proxyAddresses"][1], "smtp:\"z\"@x");
        assert_eq!(all["onPremisesSyncEnabled"], Value::Null);
        assert_eq!(all["mailNickname"], "zoe");
        assert_eq!(all["businessPhones"], serde_json::json!([]));
        assert!(all.get("usageLocation").is_none());
    }

    #[test]
    fn stored_addresses_that_are_not_a_list_read_as_none() {
        let row = row();
        for text in ["", "{\"a\":1}", "not json", "[\"a\""] {
            let view = UserView {
                proxy_addresses: Proxies::Json(text),
                ..row.view()
            };
            let props = Props::new(Some(&["proxyAddresses"]), false);
            assert_eq!(
                serde_json::to_string(&props.of(&view)).unwrap(),
                r#"{"proxyAddresses":[]}"#,
                "{text:?}"
            );
        }
    }
}
