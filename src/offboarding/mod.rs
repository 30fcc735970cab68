//! What an offboarding took from a user before its deletion, read from the directory audit log:
//! group memberships and ownerships, licences, sign-in, directory roles.
//!
//! The records are replayed oldest first up to the deletion, so a thing taken and then given
//! back before the deletion cancels out, and a thing taken twice is said once (its last taking).
//! Recognition is lenient (Entra has written these records in more than one shape over the
//! years): a group is found in the user target's `Group.ObjectID` / `Group.DisplayName` or as a
//! second target of type `Group`; licences in any record's `AssignedLicense` property; sign-in
//! from `Disable account` or an `AccountEnabled` change; roles likewise to groups.

pub mod checklist;
pub mod licence;
pub mod read;
pub mod roles;

use chrono::{DateTime, Utc};

use crate::directory::audit_events::{AuditEvent, AuditTarget};
use licence::LicenceEntry;

/// Who took a thing, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: DateTime<Utc>,
    /// The actor in a few words (`Initiator::who`).
    pub by: String,
}

/// A group the user was removed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTaken {
    /// Lowercase object id.
    pub id: String,
    /// The name the audit record gave it (it may have been renamed since).
    pub name: Option<String>,
    /// Removed as an owner, not as a member.
    pub owner: bool,
    pub step: Step,
}

/// A licence taken from the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceTaken {
    pub licence: LicenceEntry,
    pub step: Step,
}

/// A directory role the user was removed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleTaken {
    /// `Role.TemplateId`: the same in every tenant; what a role assignment names.
    pub template_id: Option<String>,
    /// `Role.ObjectID`: the activated role in this tenant.
    pub role_id: Option<String>,
    pub name: Option<String>,
    pub step: Step,
}

impl RoleTaken {
    fn key(&self) -> String {
        self.template_id
            .clone()
            .or_else(|| self.role_id.clone())
            .or_else(|| self.name.clone())
            .unwrap_or_default()
            .to_ascii_lowercase()
    }
}

/// Everything an offboarding took and had not given back by the deletion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Taken {
    pub groups: Vec<GroupTaken>,
    pub licences: Vec<LicenceTaken>,
    /// Sign-in was blocked.
    pub sign_in: Option<Step>,
    pub roles: Vec<RoleTaken>,
}

impl Taken {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
            && self.licences.is_empty()
            && self.sign_in.is_none()
            && self.roles.is_empty()
    }

    /// Every step, in no order.
    fn steps(&self) -> impl Iterator<Item = &Step> {
        self.groups
            .iter()
            .map(|g| &g.step)
            .chain(self.licences.iter().map(|l| &l.step))
            .chain(self.sign_in.iter())
            .chain(self.roles.iter().map(|r| &r.step))
    }

    /// When the first of these things was taken.
    pub fn first_at(&self) -> Option<DateTime<Utc>> {
        self.steps().map(|s| s.at).min()
    }

    /// Who took them, the most frequent first (ties: who came first).
    pub fn actors(&self) -> Vec<String> {
        let mut steps: Vec<&Step> = self.steps().collect();
        steps.sort_by_key(|s| s.at);
        let mut counted: Vec<(String, usize)> = Vec::new();
        for s in steps {
            match counted.iter_mut().find(|(who, _)| *who == s.by) {
                Some((_, n)) => *n += 1,
                None => counted.push((s.by.clone(), 1)),
            }
        }
        counted.sort_by_key(|c| std::cmp::Reverse(c.1));
        counted.into_iter().map(|(who, _)| who).collect()
    }
}

/// What to do about an item that did not come back, in a few words (after the cause).
pub fn advice(
    item: &crate::directory::bring_back::BringBack,
    e: &crate::directory::DirectoryError,
) -> String {
    use crate::directory::ErrorKind;
    use crate::directory::bring_back::BringBack;
    let m = e.message.to_ascii_lowercase();
    match item {
        BringBack::Licence {
            sku_id, sku_name, ..
        } if m.contains("available licen") => format!(
            "free a seat of {} (or buy one), then try again",
            sku_name.as_deref().unwrap_or(sku_id)
        ),
        BringBack::Licence { .. } if m.contains("usage location") => {
            "set the user's usage location, then try again".into()
        }
        BringBack::Group { .. } if e.kind == ErrorKind::NotFound => {
            "the group is gone: nothing to bring back".into()
        }
        _ if e.kind == ErrorKind::Forbidden => format!("grant {}", permission(item)),
        _ => e.advice().to_string(),
    }
}

/// The Graph permission that brings an item back.
pub fn permission(item: &crate::directory::bring_back::BringBack) -> &'static str {
    action(item).permissions()[0]
}

/// What the self-check calls giving back this item (its permissions are the token's
/// business, so the mapping lives here, above `auth`).
pub fn action(item: &crate::directory::bring_back::BringBack) -> crate::auth::claims::Action {
    use crate::auth::claims::Action;
    use crate::directory::bring_back::BringBack;
    match item {
        BringBack::Group { owner: false, .. } => Action::BringBackGroups,
        BringBack::Group { owner: true, .. } => Action::BringBackOwners,
        BringBack::Licence { .. } => Action::BringBackLicences,
        BringBack::SignIn => Action::BringBackSignIn,
        BringBack::Role { .. } => Action::BringBackRoles,
    }
}

pub const REMOVE_MEMBER: &str = "Remove member from group";
pub const ADD_MEMBER: &str = "Add member to group";
pub const REMOVE_OWNER: &str = "Remove owner from group";
pub const ADD_OWNER: &str = "Add owner to group";
pub const DISABLE_ACCOUNT: &str = "Disable account";
pub const ENABLE_ACCOUNT: &str = "Enable account";
pub const REMOVE_ROLE_MEMBER: &str = "Remove member from role";
pub const ADD_ROLE_MEMBER: &str = "Add member to role";
pub const CHANGE_LICENSE: &str = "Change user license";
pub const UPDATE_USER: &str = "Update user";

/// What the audit records of `user_id` say an offboarding took before `deleted_at`.
pub fn what_was_taken(user_id: &str, deleted_at: DateTime<Utc>, events: &[AuditEvent]) -> Taken {
    let mut ordered: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| e.succeeded && e.at <= deleted_at)
        .collect();
    ordered.sort_by_key(|e| e.at);
    let mut taken = Taken::default();
    for e in ordered {
        let Some(user) = e.target(user_id) else {
            continue;
        };
        let step = Step {
            at: e.at,
            by: e.initiated_by.who(),
        };
        replay_group(&mut taken, e, user, &step);
        replay_licences(&mut taken, user, &step);
        replay_sign_in(&mut taken, e, user, &step);
        replay_role(&mut taken, e, user, &step);
    }
    taken
}

/// The first non-empty value of a property of the user target, old values first (a removal
/// names the thing in its old value, an addition in its new one).
fn named(user: &AuditTarget, property: &str) -> Option<String> {
    let p = user.property(property)?;
    p.old_values().into_iter().chain(p.new_values()).next()
}

fn replay_group(taken: &mut Taken, e: &AuditEvent, user: &AuditTarget, step: &Step) {
    let (owner, removed) = if e.is(REMOVE_MEMBER) {
        (false, true)
    } else if e.is(ADD_MEMBER) {
        (false, false)
    } else if e.is(REMOVE_OWNER) {
        (true, true)
    } else if e.is(ADD_OWNER) {
        (true, false)
    } else {
        return;
    };
    let other = e.other_target("Group", user.id.as_deref().unwrap_or_default());
    let Some(id) = named(user, "Group.ObjectID")
        .or_else(|| other.and_then(|g| g.id.clone()))
        .map(|id| id.to_ascii_lowercase())
    else {
        return;
    };
    let name =
        named(user, "Group.DisplayName").or_else(|| other.and_then(|g| g.display_name.clone()));
    taken.groups.retain(|g| !(g.id == id && g.owner == owner));
    if removed {
        taken.groups.push(GroupTaken {
            id,
            name,
            owner,
            step: step.clone(),
        });
    }
}

fn replay_licences(taken: &mut Taken, user: &AuditTarget, step: &Step) {
    let Some(p) = user.property("AssignedLicense") else {
        return;
    };
    let old = licence::entries(&p.old_values());
    let new = licence::entries(&p.new_values());
    // Given (back): no longer taken.
    taken
        .licences
        .retain(|t| !new.iter().any(|n| n.sku_id == t.licence.sku_id));
    for gone in licence::taken(&old, &new) {
        taken.licences.retain(|t| t.licence.sku_id != gone.sku_id);
        taken.licences.push(LicenceTaken {
            licence: gone,
            step: step.clone(),
        });
    }
}

fn replay_sign_in(taken: &mut Taken, e: &AuditEvent, user: &AuditTarget, step: &Step) {
    let changed = user.property("AccountEnabled").map(|p| {
        let is_true = |v: Vec<String>| v.first().is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let is_false = |v: Vec<String>| v.first().is_some_and(|v| v.eq_ignore_ascii_case("false"));
        (
            is_true(p.old_values()) && is_false(p.new_values()),
            is_false(p.old_values()) && is_true(p.new_values()),
        )
    });
    let (blocked, allowed) = changed.unwrap_or_default();
    if e.is(DISABLE_ACCOUNT) || blocked {
        // Entra writes both a `Disable account` and an `Update user` for one change: the
        // earlier step is kept.
        taken.sign_in.get_or_insert_with(|| step.clone());
    } else if e.is(ENABLE_ACCOUNT) || allowed {
        taken.sign_in = None;
    }
}

fn replay_role(taken: &mut Taken, e: &AuditEvent, user: &AuditTarget, step: &Step) {
    let removed = if e.is(REMOVE_ROLE_MEMBER) {
        true
    } else if e.is(ADD_ROLE_MEMBER) {
        false
    } else {
        return;
    };
    let other = e.other_target("Role", user.id.as_deref().unwrap_or_default());
    let role = RoleTaken {
        template_id: named(user, "Role.TemplateId").map(|t| t.to_ascii_lowercase()),
        role_id: named(user, "Role.ObjectID")
            .or_else(|| other.and_then(|r| r.id.clone()))
            .map(|t| t.to_ascii_lowercase()),
        name: named(user, "Role.DisplayName")
            .or_else(|| other.and_then(|r| r.display_name.clone())),
        step: step.clone(),
    };
    let key = role.key();
    if key.is_empty() {
        return;
    }
    // A record may name a role by template in one place and by object id in another: any
    // shared name is the same role.
    taken.roles.retain(|r| {
        r.key() != key
            && !(r.role_id.is_some() && r.role_id == role.role_id)
            && !(r.name.is_some() && r.name == role.name)
    });
    if removed {
        taken.roles.push(role);
    }
}

#[cfg(test)]
mod tests;
