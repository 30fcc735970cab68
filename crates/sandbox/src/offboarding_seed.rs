//! The offboarding before some seeded deletions, written to the audit log as Entra writes it:
//! two days before the deletion an HR app removes the user from its groups, takes its licences
//! and blocks its sign-in; now and then an admin removes a directory role a day before that, or
//! puts a group back by hand after the app took it. The seed leaves out of the user's licences
//! and memberships exactly what these records say was taken, so the audit log and the
//! directory agree.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::audit::{Actor, UserRecord};
use super::objects::AuditRow;

/// The app that offboards, as the seeded deletions name it too.
pub const HR_APP: &str = "HR Offboarding Automation";

/// A directory role an offboarding may take: (template id, display name, this tenant's
/// object id of the activated role).
pub type Role = (&'static str, &'static str, &'static str);

pub const EXCHANGE_ADMINISTRATOR: Role = (
    "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "Exchange Administrator",
    "b5c1e7a2-4d3f-4a6b-9c8d-7e6f5a4b3c21",
);
pub const HELPDESK_ADMINISTRATOR: Role = (
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "Helpdesk Administrator",
    "c6d2f8b3-5e4a-4b7c-8d9e-8f7a6b5c4d32",
);

/// The user an offboarding was about.
pub struct Offboarded<'a> {
    pub id: &'a str,
    pub upn: &'a str,
    pub deleted_at: DateTime<Utc>,
}

/// What the offboarding took.
#[derive(Default)]
pub struct Taken<'a> {
    /// (group id, name)
    pub groups: Vec<(&'a str, &'a str)>,
    /// (sku id, part number)
    pub licences: Vec<(&'a str, &'a str)>,
    pub sign_in: bool,
    pub role: Option<Role>,
    /// A group the app took and an admin put back before the deletion (it stays a member).
    pub put_back: Option<(&'a str, &'a str)>,
}

fn prop(name: &str, old: Option<String>, new: Option<String>) -> Value {
    json!({ "displayName": name, "oldValue": old, "newValue": new })
}

/// A JSON-encoded string, as Entra writes a modified property's single value.
fn quoted(s: &str) -> Option<String> {
    Some(Value::String(s.to_string()).to_string())
}

/// `AssignedLicense`'s value: a JSON-encoded array of `[SkuName=…, SkuId=…, …]` strings.
fn licence_list(user_id: &str, skus: &[(&str, &str)]) -> Option<String> {
    let items: Vec<String> = skus
        .iter()
        .map(|(id, part)| {
            format!("[SkuName={part}, AccountId={user_id}, SkuId={id}, DisabledPlans=[]]")
        })
        .collect();
    Some(Value::from(items).to_string())
}

struct Writer<'a> {
    user: &'a Offboarded<'a>,
    out: Vec<AuditRow>,
}

impl Writer<'_> {
    fn target(&self, props: Vec<Value>) -> Value {
        json!({
            "id": self.user.id,
            "displayName": null,
            "type": "User",
            "userPrincipalName": self.user.upn,
            "modifiedProperties": props,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        activity: &str,
        category: &str,
        operation_type: &str,
        at: DateTime<Utc>,
        actor: &Actor,
        props: Vec<Value>,
        others: Vec<Value>,
    ) {
        let n = self.out.len();
        let record_id = format!("offb_{}_{n}", self.user.id);
        let correlation_id = format!("offb_{}", self.user.id);
        let user = self.target(props);
        self.out.push(
            UserRecord {
                record_id: &record_id,
                correlation_id: &correlation_id,
                activity,
                category,
                operation_type,
                at,
                actor,
                user_id: self.user.id,
                user,
                others,
            }
            .row(),
        );
    }

    fn group(&mut self, activity: &str, at: DateTime<Utc>, actor: &Actor, group: (&str, &str)) {
        let (id, name) = group;
        let removed = activity.starts_with("Remove");
        let (old, new) = if removed {
            (quoted(id), None)
        } else {
            (None, quoted(id))
        };
        let (old_name, new_name) = if removed {
            (quoted(name), None)
        } else {
            (None, quoted(name))
        };
        self.push(
            activity,
            "GroupManagement",
            if removed { "Unassign" } else { "Assign" },
            at,
            actor,
            vec![
                prop("Group.ObjectID", old, new),
                prop("Group.DisplayName", old_name, new_name),
            ],
            vec![json!({"id": id, "displayName": name, "type": "Group", "modifiedProperties": []})],
        );
    }
}

/// The audit records of `taken`, oldest first, before `user`'s deletion.
pub fn records(
    user: &Offboarded<'_>,
    taken: &Taken<'_>,
    hr: &Actor,
    admin: &Actor,
) -> Vec<AuditRow> {
    let mut w = Writer {
        user,
        out: Vec::new(),
    };
    let start = user.deleted_at - Duration::days(2);
    if let Some((template, name, object)) = taken.role {
        w.push(
            "Remove member from role",
            "RoleManagement",
            "Unassign",
            start - Duration::days(1),
            admin,
            vec![
                prop("Role.ObjectID", quoted(object), None),
                prop("Role.DisplayName", quoted(name), None),
                prop("Role.TemplateId", quoted(template), None),
                prop("Role.WellKnownObjectName", quoted(&name.replace(' ', "")), None),
            ],
            vec![json!({"id": object, "displayName": name, "type": "Role", "modifiedProperties": []})],
        );
    }
    let mut at = start;
    for g in taken.groups.iter().chain(taken.put_back.iter()) {
        w.group("Remove member from group", at, hr, *g);
        at += Duration::seconds(20);
    }
    if !taken.licences.is_empty() {
        w.push(
            "Change user license",
            "UserManagement",
            "Update",
            at,
            hr,
            Vec::new(),
            Vec::new(),
        );
        w.push(
            "Update user",
            "UserManagement",
            "Update",
            at,
            hr,
            vec![prop(
                "AssignedLicense",
                licence_list(user.id, &taken.licences),
                licence_list(user.id, &[]),
            )],
            Vec::new(),
        );
        at += Duration::seconds(20);
    }
    if taken.sign_in {
        w.push(
            "Disable account",
            "UserManagement",
            "Update",
            at,
            hr,
            Vec::new(),
            Vec::new(),
        );
        w.push(
            "Update user",
            "UserManagement",
            "Update",
            at,
            hr,
            vec![prop(
                "AccountEnabled",
                Some("[true]".into()),
                Some("[false]".into()),
            )],
            Vec::new(),
        );
    }
    if let Some(g) = taken.put_back {
        // Taken by mistake and put back by an admin an hour later: the replay cancels it.
        w.group("Add member to group", start + Duration::hours(1), admin, g);
    }
    w.out
}
