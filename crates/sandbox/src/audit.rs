//! Directory audit records as Entra writes them (`directoryAudit`): the seeded deletions and
//! every `DELETE /users/{id}` the sandbox serves.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::objects::AuditRow;

/// The activity of a user deletion.
pub const DELETE_USER: &str = "Delete user";

/// Entra Connect's account, as its deletions name their actor.
pub const SYNC_DISPLAY_NAME: &str = "On-Premises Directory Synchronization Service Account";

/// Who did it.
#[derive(Debug, Clone)]
pub enum Actor {
    User {
        id: String,
        upn: String,
        display_name: Option<String>,
        ip: Option<String>,
    },
    App {
        app_id: String,
        display_name: String,
        service_principal_id: String,
    },
}

impl Actor {
    fn json(&self) -> Value {
        match self {
            Actor::User {
                id,
                upn,
                display_name,
                ip,
            } => json!({
                "app": null,
                "user": {
                    "id": id,
                    "displayName": display_name,
                    "userPrincipalName": upn,
                    "ipAddress": ip,
                },
            }),
            Actor::App {
                app_id,
                display_name,
                service_principal_id,
            } => json!({
                "app": {
                    "appId": app_id,
                    "displayName": display_name,
                    "servicePrincipalId": service_principal_id,
                    "servicePrincipalName": null,
                },
                "user": null,
            }),
        }
    }

    fn upn(&self) -> Option<String> {
        match self {
            Actor::User { upn, .. } => Some(upn.to_lowercase()),
            Actor::App { .. } => None,
        }
    }
}

/// The user a deletion was about.
pub struct Target<'a> {
    pub id: &'a str,
    /// The UPN it had when it was deleted.
    pub upn: &'a str,
    pub user_type: &'a str,
}

/// A `Delete user` record. `record_id` and `correlation_id` are random in the server and
/// seeded in the seed, so the same seed gives the same log.
pub fn delete_user(
    record_id: &str,
    correlation_id: &str,
    target: &Target<'_>,
    at: DateTime<Utc>,
    actor: &Actor,
    succeeded: bool,
) -> AuditRow {
    let at_secs = at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let result = if succeeded { "success" } else { "failure" };
    let id = format!("Directory_{record_id}");
    let body = json!({
        "id": id,
        "category": "UserManagement",
        "correlationId": correlation_id,
        "result": result,
        "resultReason": if succeeded { "" } else { "Insufficient privileges to complete the operation." },
        "activityDisplayName": DELETE_USER,
        "activityDateTime": at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        "loggedByService": "Core Directory",
        "operationType": "Delete",
        "initiatedBy": actor.json(),
        "targetResources": [{
            "id": target.id,
            "displayName": null,
            "type": "User",
            "userPrincipalName": target.upn,
            "groupType": null,
            "modifiedProperties": [],
        }],
        "additionalDetails": [{"key": "UserType", "value": target.user_type}],
    });
    AuditRow {
        id,
        activity: DELETE_USER.into(),
        at: at_secs,
        category: "UserManagement".into(),
        result: result.into(),
        service: "Core Directory".into(),
        target_id: Some(target.id.to_lowercase()),
        initiator_upn: actor.upn(),
        body,
    }
}

/// A record about a user (`user`: its whole target, modified properties and all) and any
/// other objects it names (`others`: a group, a role), by `actor`. `category` is Entra's:
/// `UserManagement`, `GroupManagement`, `RoleManagement`.
pub struct UserRecord<'a> {
    pub record_id: &'a str,
    pub correlation_id: &'a str,
    pub activity: &'a str,
    pub category: &'a str,
    pub operation_type: &'a str,
    pub at: DateTime<Utc>,
    pub actor: &'a Actor,
    pub user_id: &'a str,
    pub user: Value,
    pub others: Vec<Value>,
}

impl UserRecord<'_> {
    pub fn row(self) -> AuditRow {
        let id = format!("Directory_{}", self.record_id);
        let mut targets = vec![self.user];
        targets.extend(self.others);
        let body = json!({
            "id": id,
            "category": self.category,
            "correlationId": self.correlation_id,
            "result": "success",
            "resultReason": "",
            "activityDisplayName": self.activity,
            "activityDateTime": self.at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "loggedByService": "Core Directory",
            "operationType": self.operation_type,
            "initiatedBy": self.actor.json(),
            "targetResources": targets,
            "additionalDetails": [],
        });
        AuditRow {
            id,
            activity: self.activity.into(),
            at: self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            category: self.category.into(),
            result: "success".into(),
            service: "Core Directory".into(),
            target_id: Some(self.user_id.to_lowercase()),
            initiator_upn: self.actor.upn(),
            body,
        }
    }
}
