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
