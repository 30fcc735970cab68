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
    names: Vec<&'static str>,
    typed: bool,
}

impl Props {
    /// `select`, or Graph's default set; `typed`: with `@odata.type` (left out for
    /// `odata.metadata=none`).
    pub fn new(select: Option<&[&'static str]>, typed: bool) -> Self {
        let mut names = select.unwrap_or(DEFAULT_PROPS).to_vec();
        names.sort_unstable();
        names.dedup();
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
        for &p in &self.props.names {
            match p {
                "id" => m.serialize_entry(p, u.id)?,
                "displayName" => m.serialize_entry(p, u.display_name)?,
                "userPrincipalName" => m.serialize_entry(p, u.upn)?,
                "mail" => m.serialize_entry(p, &u.mail)?,
                "mailNickname" => {
                    m.serialize_entry(p, u.original_upn.split('@').next().unwrap_or(""))?;
                }
                "givenName" => m.serialize_entry(p, &u.given_name)?,
                "surname" => m.serialize_entry(p, &u.surname)?,
                "jobTitle" => m.serialize_entry(p, &u.job_title)?,
                "userType" => m.serialize_entry(p, u.user_type)?,
                "accountEnabled" => m.serialize_entry(p, &u.account_enabled)?,
                "businessPhones" => m.serialize_entry(p, &[] as &[&str])?,
                "mobilePhone" | "officeLocation" | "preferredLanguage" => {
                    m.serialize_entry(p, &())?;
                }
                "deletedDateTime" => m.serialize_entry(p, &u.deleted_at)?,
                "department" => m.serialize_entry(p, &u.department)?,
                "proxyAddresses" => match u.proxy_addresses {
                    // The store wrote it with serde_json: it goes out as it lies, once checked.
                    Proxies::Json(text) => match serde_json::from_str::<&RawValue>(text) {
                        Ok(raw) if raw.get().starts_with('[') => m.serialize_entry(p, raw)?,
                        _ => m.serialize_entry(p, &[] as &[&str])?,
                    },
                    Proxies::List(list) => m.serialize_entry(p, list)?,
                },
                // Graph leaves it null rather than false for a cloud user.
                "onPremisesSyncEnabled" => m.serialize_entry(p, &u.on_prem_sync.then_some(true))?,
                "createdDateTime" => m.serialize_entry(p, u.created_at)?,
                // Rendered by their own routes (`licences::decorate`).
                _ => {}
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
            (Some(&crate::odata::USER_PROPS[..]), false),
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
