//! Who deleted a user: the `Delete user` records of the directory audit log
//! (`GET /v1.0/auditLogs/directoryAudits`, resource `directoryAudit`), as domain types.
//!
//! Everything here came from the server: every string passes `sanitize::clean`, and a record
//! without a target id or a time is skipped (it cannot be joined to a user), not an error.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{DirResult, DirectoryError};
use undelete_common::sanitize::clean;

/// The activity the sweep reads.
pub const DELETE_USER: &str = "Delete user";

/// The least-privileged permission of `List directoryAudits` (the docs pair it with
/// `Directory.Read.All`; delegated callers also need a role such as Reports Reader).
pub const AUDIT_PERMISSION: &str = crate::auth::claims::Action::ReadDeletions.permissions()[0];

/// How the directory sync service shows up as an actor. Entra Connect signs in as the
/// `Sync_<server>_<hex>@<tenant>.onmicrosoft.com` account whose display name is this; cloud
/// sync as `ADToAADSyncServiceAccount@...`.
pub const SYNC_ACCOUNT_NAME: &str = "On-Premises Directory Synchronization Service Account";

/// Who started an audited activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Initiator {
    User {
        id: Option<String>,
        user_principal_name: Option<String>,
        display_name: Option<String>,
    },
    App {
        app_id: Option<String>,
        display_name: Option<String>,
        service_principal_id: Option<String>,
    },
    /// Neither a user nor an app was named.
    Unknown,
}

impl Initiator {
    /// The actor in a few words: a user's UPN (or name), an app's display name (or id).
    pub fn who(&self) -> String {
        match self {
            Initiator::User {
                id,
                user_principal_name,
                display_name,
            } => user_principal_name
                .clone()
                .or_else(|| display_name.clone())
                .or_else(|| id.clone())
                .unwrap_or_else(|| "an unnamed user".into()),
            Initiator::App {
                app_id,
                display_name,
                service_principal_id,
            } => match (
                display_name,
                app_id.as_ref().or(service_principal_id.as_ref()),
            ) {
                (Some(n), _) => format!("app {n}"),
                (None, Some(id)) => format!("app {id}"),
                (None, None) => "an unnamed app".into(),
            },
            Initiator::Unknown => "unknown".into(),
        }
    }

    /// True when the actor is the directory sync service (Entra Connect or cloud sync):
    /// a restore in the cloud alone will be undone by the next sync.
    pub fn is_sync(&self) -> bool {
        let sync_name = |n: &Option<String>| {
            n.as_deref().is_some_and(|n| {
                n.eq_ignore_ascii_case(SYNC_ACCOUNT_NAME)
                    || n.to_ascii_lowercase().contains("directory synchronization")
            })
        };
        match self {
            Initiator::User {
                user_principal_name,
                display_name,
                ..
            } => {
                sync_name(display_name)
                    || user_principal_name.as_deref().is_some_and(|u| {
                        let local = u.split('@').next().unwrap_or("").to_ascii_lowercase();
                        local.starts_with("sync_") || local.starts_with("adtoaadsyncserviceaccount")
                    })
            }
            Initiator::App { display_name, .. } => {
                sync_name(display_name)
                    || display_name.as_deref().is_some_and(|n| {
                        let n = n.to_ascii_lowercase();
                        [
                            "entra connect",
                            "azure ad connect",
                            "aad connect",
                            "cloud sync",
                        ]
                        .iter()
                        .any(|s| n.contains(s))
                    })
            }
            Initiator::Unknown => false,
        }
    }
}

/// One `Delete user` record of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionRecord {
    /// The audit record's id.
    pub id: String,
    /// The deleted user's object id (`targetResources[0].id`): the join key.
    pub target_id: String,
    pub target_upn: Option<String>,
    pub at: DateTime<Utc>,
    /// `success`, `failure`, `timeout` (Graph's `operationResult`).
    pub result: String,
    pub result_reason: Option<String>,
    pub initiated_by: Initiator,
}

impl DeletionRecord {
    pub fn succeeded(&self) -> bool {
        self.result.eq_ignore_ascii_case("success")
    }

    pub fn by_sync(&self) -> bool {
        self.initiated_by.is_sync()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAudit {
    id: Option<String>,
    activity_date_time: Option<String>,
    result: Option<String>,
    result_reason: Option<String>,
    initiated_by: Option<WireInitiator>,
    #[serde(default)]
    target_resources: Option<Vec<WireTarget>>,
}

#[derive(Deserialize)]
pub(super) struct WireInitiator {
    user: Option<WireUserIdentity>,
    app: Option<WireAppIdentity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireUserIdentity {
    id: Option<String>,
    display_name: Option<String>,
    user_principal_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAppIdentity {
    app_id: Option<String>,
    display_name: Option<String>,
    service_principal_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTarget {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    user_principal_name: Option<String>,
}

#[derive(Deserialize)]
struct WireAuditPage {
    value: Vec<WireAudit>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// One page of deletion records and the link to the next one (to be checked by the caller).
pub struct ParsedAudits {
    pub records: Vec<DeletionRecord>,
    pub next_link: Option<String>,
}

fn text(s: Option<String>) -> Option<String> {
    s.map(|s| clean(&s)).filter(|s| !s.is_empty())
}

pub(super) fn initiator(w: Option<WireInitiator>) -> Initiator {
    let Some(w) = w else {
        return Initiator::Unknown;
    };
    if let Some(u) = w.user {
        let (id, upn, name) = (
            text(u.id),
            text(u.user_principal_name),
            text(u.display_name),
        );
        if id.is_some() || upn.is_some() || name.is_some() {
            return Initiator::User {
                id,
                user_principal_name: upn,
                display_name: name,
            };
        }
    }
    if let Some(a) = w.app {
        let (app_id, name, sp) = (
            text(a.app_id),
            text(a.display_name),
            text(a.service_principal_id),
        );
        if app_id.is_some() || name.is_some() || sp.is_some() {
            return Initiator::App {
                app_id,
                display_name: name,
                service_principal_id: sp,
            };
        }
    }
    Initiator::Unknown
}

fn record(w: WireAudit) -> Option<DeletionRecord> {
    let at = DateTime::parse_from_rfc3339(w.activity_date_time.as_deref()?)
        .ok()?
        .with_timezone(&Utc);
    let targets = w.target_resources.unwrap_or_default();
    // The user target; a record may name other objects too (e.g. a device).
    let target = targets
        .iter()
        .find(|t| {
            t.kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("user"))
        })
        .or_else(|| targets.first())?;
    // Joined to users by id only, so an odd id cannot do harm; still kept tidy.
    let target_id = text(target.id.clone())?.to_ascii_lowercase();
    Some(DeletionRecord {
        id: text(w.id).unwrap_or_default(),
        target_upn: text(target.user_principal_name.clone()),
        target_id,
        at,
        result: text(w.result).unwrap_or_else(|| "unknown".into()),
        result_reason: text(w.result_reason),
        initiated_by: initiator(w.initiated_by),
    })
}

/// A page of `GET /auditLogs/directoryAudits`.
pub fn parse_audit_page(body: &[u8]) -> DirResult<ParsedAudits> {
    if body.is_empty() {
        return Err(DirectoryError::malformed(
            "the reply to the audit log listing is empty",
        ));
    }
    let page: WireAuditPage = serde_json::from_slice(body).map_err(|e| {
        DirectoryError::malformed(format!(
            "the reply to the audit log listing is not what Microsoft Graph sends: {e}"
        ))
    })?;
    Ok(ParsedAudits {
        records: page.value.into_iter().filter_map(record).collect(),
        next_link: page.next_link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_shaped_records_parse() {
        let body = br#"{"value":[
          {"id":"Directory_1","category":"UserManagement","correlationId":"c","result":"success",
           "resultReason":"","activityDisplayName":"Delete user",
           "activityDateTime":"2026-11-20T10:00:00.1234567Z","loggedByService":"Core Directory",
           "operationType":"Delete",
           "initiatedBy":{"app":null,"user":{"id":"u","displayName":null,
             "userPrincipalName":"admin@contoso.com","ipAddress":"10.0.0.1"}},
           "targetResources":[{"id":"ABC-1","displayName":null,"type":"User",
             "userPrincipalName":"abc1x@contoso.com","modifiedProperties":[]}],
           "additionalDetails":[]},
          {"id":"Directory_2","result":"success","activityDateTime":"2026-11-21T10:00:00Z",
           "initiatedBy":{"user":null,"app":{"appId":"a","displayName":"HR \u001b[2JSync",
             "servicePrincipalId":"sp","servicePrincipalName":null}},
           "targetResources":[{"id":"def","type":"User"}]},
          {"id":"no-target","activityDateTime":"2026-11-21T10:00:00Z","targetResources":[]},
          {"id":"no-time","targetResources":[{"id":"x","type":"User"}]}
        ],"@odata.nextLink":"https://graph.microsoft.com/v1.0/auditLogs/directoryAudits?$skiptoken=1"}"#;
        let p = parse_audit_page(body).unwrap();
        assert_eq!(
            p.records.len(),
            2,
            "records that cannot be joined are skipped"
        );
        let a = &p.records[0];
        assert_eq!(a.target_id, "abc-1");
        assert_eq!(a.initiated_by.who(), "admin@contoso.com");
        assert!(a.succeeded() && !a.by_sync());
        let b = &p.records[1];
        assert!(b.initiated_by.who().starts_with("app HR"));
        assert!(!b.initiated_by.who().contains('\u{1b}'));
        assert!(p.next_link.is_some());
    }

    #[test]
    fn the_sync_service_is_recognised() {
        let user = |upn: &str, name: Option<&str>| Initiator::User {
            id: None,
            user_principal_name: Some(upn.into()),
            display_name: name.map(str::to_string),
        };
        assert!(user("Sync_DC01_1a2b3c4d5e6f@contoso.onmicrosoft.com", None).is_sync());
        assert!(user("x@contoso.com", Some(SYNC_ACCOUNT_NAME)).is_sync());
        assert!(user("ADToAADSyncServiceAccount@contoso.onmicrosoft.com", None).is_sync());
        assert!(!user("admin@contoso.com", Some("Sync Admin")).is_sync());
        assert!(!user("syncer@contoso.com", None).is_sync());
        let app = |n: &str| Initiator::App {
            app_id: None,
            display_name: Some(n.into()),
            service_principal_id: None,
        };
        assert!(app("Microsoft Entra Connect").is_sync());
        assert!(!app("HR Offboarding").is_sync());
        assert!(!Initiator::Unknown.is_sync());
    }
}
