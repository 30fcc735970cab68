//! Giving a restored user back what an offboarding took, one call per item, each safe to send
//! twice: Graph refuses a membership or role assignment that exists with a 400, which here
//! means the item is back.

use reqwest::Method;
use serde_json::json;

use super::GraphDirectory;
use super::transport::Call;
use crate::directory::bring_back::BringBack;
use crate::directory::retry::Op;
use crate::directory::{DirResult, DirectoryError, ErrorKind, batch};

/// Graph's words for a membership or assignment that is already there.
fn already_there(e: &DirectoryError) -> bool {
    e.status == Some(400) && {
        let m = e.message.to_ascii_lowercase();
        m.contains("already exist") || m.contains("conflicting object")
    }
}

impl GraphDirectory {
    pub(super) async fn bring_back_one(&self, user_id: String, item: BringBack) -> DirResult<()> {
        batch::check_job_id(&user_id)?;
        let (method, url, body) = match &item {
            BringBack::Group { id, owner, .. } => {
                batch::check_job_id(id)?;
                let list = if *owner { "owners" } else { "members" };
                let reference = self.url(&["directoryObjects", &user_id], &[])?;
                (
                    Method::POST,
                    self.url(&["groups", id, list, "$ref"], &[])?,
                    json!({ "@odata.id": reference.as_str() }),
                )
            }
            BringBack::Licence {
                sku_id,
                disabled_plans,
                ..
            } => (
                Method::POST,
                self.url(&["users", &user_id, "assignLicense"], &[])?,
                json!({
                    "addLicenses": [{ "skuId": sku_id, "disabledPlans": disabled_plans }],
                    "removeLicenses": [],
                }),
            ),
            BringBack::SignIn => (
                Method::PATCH,
                self.url(&["users", &user_id], &[])?,
                json!({ "accountEnabled": true }),
            ),
            BringBack::Role { template_id, .. } => (
                Method::POST,
                self.url(&["roleManagement", "directory", "roleAssignments"], &[])?,
                json!({
                    "principalId": user_id,
                    "roleDefinitionId": template_id,
                    "directoryScopeId": "/",
                }),
            ),
        };
        let call = Call {
            method,
            url,
            body: Some(body.to_string().into_bytes()),
            eventual: false,
            op: Op::Idempotent,
            writes: 1,
            restore_id: None,
            max_body: self.inner.max_body,
            deadline: None,
        };
        match self.write(call).await {
            Ok(_) => Ok(()),
            Err(e) if already_there(&e) => Ok(()),
            Err(mut e) => {
                if e.kind == ErrorKind::BadRequest {
                    e.message = format!("{}: {}", item.describe(), e.message);
                }
                Err(e)
            }
        }
    }
}
