//! Giving restored users back what an offboarding took: one request per item, sent in `$batch`
//! and resent after a passing fault as reads are, since each is safe to send twice: Graph
//! refuses a membership or role assignment that exists with a 400, which here means the item
//! is back.

use serde_json::{Value, json};

use super::GraphDirectory;
use super::reads::Read;
use crate::directory::bring_back::BringBack;
use crate::directory::{DirResult, DirectoryError, ErrorKind, batch};

/// Graph's words for a membership or assignment that is already there.
fn already_there(e: &DirectoryError) -> bool {
    e.status == Some(400) && {
        let m = e.message.to_ascii_lowercase();
        m.contains("already exist") || m.contains("conflicting object")
    }
}

impl GraphDirectory {
    /// The request that brings `item` back to the user.
    fn bring_back_request(&self, user_id: &str, item: &BringBack) -> DirResult<Read> {
        batch::check_job_id(user_id)?;
        match item {
            BringBack::Group { id, owner, .. } => {
                batch::check_job_id(id)?;
                let list = if *owner { "owners" } else { "members" };
                let reference = self.url(&["directoryObjects", user_id], &[])?;
                self.repeatable_write(
                    "POST",
                    &["groups", id, list, "$ref"],
                    json!({ "@odata.id": reference.as_str() }),
                )
            }
            BringBack::Licence {
                sku_id,
                disabled_plans,
                ..
            } => self.repeatable_write(
                "POST",
                &["users", user_id, "assignLicense"],
                json!({
                    "addLicenses": [{ "skuId": sku_id, "disabledPlans": disabled_plans }],
                    "removeLicenses": [],
                }),
            ),
            BringBack::SignIn => self.repeatable_write(
                "PATCH",
                &["users", user_id],
                json!({ "accountEnabled": true }),
            ),
            BringBack::Role { template_id, .. } => self.repeatable_write(
                "POST",
                &["roleManagement", "directory", "roleAssignments"],
                json!({
                    "principalId": user_id,
                    "roleDefinitionId": template_id,
                    "directoryScopeId": "/",
                }),
            ),
        }
    }

    /// `Directory::bring_back`: every item, batched, each ending on its own.
    pub(super) async fn bring_back_all(
        &self,
        items: Vec<(String, BringBack)>,
    ) -> Vec<DirResult<()>> {
        let requests = items
            .iter()
            .map(|(user, item)| self.bring_back_request(user, item))
            .collect();
        let answers: Vec<DirResult<Value>> = self.read_each(requests).await;
        items
            .iter()
            .zip(answers)
            .map(|((_, item), answer)| match answer {
                Ok(_) => Ok(()),
                Err(e) if already_there(&e) => Ok(()),
                Err(mut e) => {
                    if e.kind == ErrorKind::BadRequest {
                        e.message = format!("{}: {}", item.describe(), e.message);
                    }
                    Err(e)
                }
            })
            .collect()
    }
}
