//! One thing an offboarding took, to be given back to a restored user: a group membership or
//! ownership, a licence (with the plans that were off), sign-in, a directory role.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum BringBack {
    /// `POST /groups/{id}/members/$ref` (or `/owners/$ref`).
    #[serde(rename_all = "camelCase")]
    Group {
        id: String,
        name: Option<String>,
        owner: bool,
    },
    /// `POST /users/{id}/assignLicense`, the disabled plans as they were.
    #[serde(rename_all = "camelCase")]
    Licence {
        sku_id: String,
        sku_name: Option<String>,
        disabled_plans: Vec<String>,
    },
    /// `PATCH /users/{id}` with `accountEnabled: true`.
    SignIn,
    /// `POST /roleManagement/directory/roleAssignments` at the tenant's scope.
    #[serde(rename_all = "camelCase")]
    Role {
        template_id: String,
        name: Option<String>,
    },
}

impl BringBack {
    /// The item in a few words: `group Sales Team`, `owner of Planning`, `licence SPE_E5`,
    /// `sign-in`, `role Exchange Administrator`.
    pub fn describe(&self) -> String {
        match self {
            BringBack::Group { id, name, owner } => {
                let name = name.as_deref().unwrap_or(id);
                if *owner {
                    format!("owner of {name}")
                } else {
                    format!("group {name}")
                }
            }
            BringBack::Licence {
                sku_id, sku_name, ..
            } => format!("licence {}", sku_name.as_deref().unwrap_or(sku_id)),
            BringBack::SignIn => "sign-in".into(),
            BringBack::Role { template_id, name } => {
                format!("role {}", name.as_deref().unwrap_or(template_id))
            }
        }
    }
}

/// The kinds of things a restore may be asked to bring back (`--bring-back`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Groups,
    Licences,
    SignIn,
    Roles,
}

impl BringBack {
    pub fn kind(&self) -> Kind {
        match self {
            BringBack::Group { .. } => Kind::Groups,
            BringBack::Licence { .. } => Kind::Licences,
            BringBack::SignIn => Kind::SignIn,
            BringBack::Role { .. } => Kind::Roles,
        }
    }

    /// The item as a JSON line names it: its kind, and what identifies it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            BringBack::Group { id, name, owner } => {
                json!({ "kind": if *owner { "owner" } else { "group" }, "id": id, "name": name })
            }
            BringBack::Licence {
                sku_id,
                sku_name,
                disabled_plans,
            } => json!({
                "kind": "licence", "skuId": sku_id, "skuName": sku_name,
                "disabledPlans": disabled_plans,
            }),
            BringBack::SignIn => json!({ "kind": "signIn" }),
            BringBack::Role { template_id, name } => {
                json!({ "kind": "role", "templateId": template_id, "name": name })
            }
        }
    }
}

/// The kinds named on the command line: `groups,licences,sign-in`, `all` (everything but
/// roles, which are brought back only when named: an admin role is never given by default).
pub fn parse_kinds(text: &str) -> Result<Vec<Kind>, String> {
    let mut kinds: Vec<Kind> = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let more: &[Kind] = match word.to_ascii_lowercase().as_str() {
            "all" => &[Kind::Groups, Kind::Licences, Kind::SignIn],
            "groups" | "group" => &[Kind::Groups],
            "licences" | "licence" | "licenses" | "license" => &[Kind::Licences],
            "sign-in" | "signin" => &[Kind::SignIn],
            "roles" | "role" => &[Kind::Roles],
            _ => {
                return Err(format!(
                    "unknown kind {word:?}: name groups, licences, sign-in, roles or all"
                ));
            }
        };
        for k in more {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
    }
    if kinds.is_empty() {
        return Err("name what to bring back: groups, licences, sign-in, roles or all".into());
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_everything_but_roles_and_roles_come_only_when_named() {
        assert_eq!(
            parse_kinds("all").unwrap(),
            vec![Kind::Groups, Kind::Licences, Kind::SignIn]
        );
        assert_eq!(
            parse_kinds("all,roles").unwrap(),
            vec![Kind::Groups, Kind::Licences, Kind::SignIn, Kind::Roles]
        );
        assert_eq!(
            parse_kinds(" Licenses , sign-in,groups,groups").unwrap(),
            vec![Kind::Licences, Kind::SignIn, Kind::Groups]
        );
        assert!(parse_kinds("mailbox").unwrap_err().contains("\"mailbox\""));
        assert!(parse_kinds(" , ").is_err());
    }
}
