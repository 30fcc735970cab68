//! Reading what offboarding took for a few deleted users: their audit records in the window
//! before each deletion, replayed (`what_was_taken`), and the groups named there as they are
//! now. Each user's read fails on its own; a group lookup that fails leaves that group unknown.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{Taken, what_was_taken};
use crate::directory::audit_events::AuditQuery;
use crate::directory::{DirResult, Directory};

/// How long the directory keeps audit records: 30 days with Entra ID P1 or P2, 7 without (a
/// run cannot tell which; a shorter log simply returns fewer records).
pub const AUDIT_RETENTION_DAYS: i64 = 30;

/// How far before a deletion an offboarding is looked for.
pub const LOOK_BACK_DAYS: i64 = 30;

/// A group named in the audit log, as the directory has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupNow {
    /// It exists, under this name (it may have been renamed since).
    Named(String),
    /// It was deleted since: nothing to bring back.
    Gone,
    /// The lookup failed (why, in words): offered under the audit log's name.
    Unknown(String),
}

/// What offboarding took from one user, and the window it was read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub user_id: String,
    pub taken: Taken,
    /// The window read: from `from` to the deletion (`to`). It starts `LOOK_BACK_DAYS` before
    /// the deletion, or where the audit log's retention ends if that is later: what was taken
    /// before `from` is not known.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Each group in `taken`, by id.
    pub groups: HashMap<String, GroupNow>,
    /// The user's usage location, read when a licence was taken (`Some(None)`: it has none,
    /// so the directory refuses the licence; `None`: not read, or the read failed).
    pub usage_location: Option<Option<String>>,
}

impl Found {
    /// How many whole days before the deletion the audit log still covers.
    pub fn days_covered(&self) -> i64 {
        (self.to - self.from).num_days().max(0)
    }

    /// The group's name to show: its name now, else the audit log's.
    pub fn group_name(&self, id: &str) -> Option<String> {
        match self.groups.get(id) {
            Some(GroupNow::Named(n)) => Some(n.clone()),
            _ => self
                .taken
                .groups
                .iter()
                .find(|g| g.id == id)
                .and_then(|g| g.name.clone()),
        }
    }

    /// What an empty finding means, in words: nothing taken in the days the log covers, or
    /// unknown when the log keeps less than a day before the deletion (its retention ended).
    pub fn nothing_taken(&self) -> String {
        if self.days_covered() >= 1 {
            format!(
                "nothing taken in the {} before the deletion (audit log)",
                crate::text::count(self.days_covered() as usize, "day", "days")
            )
        } else {
            format!(
                "unknown: the audit log keeps {AUDIT_RETENTION_DAYS} days, and only {} before \
                 the deletion are left",
                crate::text::span(self.to - self.from)
            )
        }
    }

    pub fn group_gone(&self, id: &str) -> bool {
        self.groups.get(id) == Some(&GroupNow::Gone)
    }
}

/// A user to read for: its id and when it was deleted (unknown: now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub id: String,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Reads what offboarding took from each user, in the order given.
pub async fn read(
    dir: &dyn Directory,
    users: &[Deleted],
    now: DateTime<Utc>,
) -> Vec<DirResult<Found>> {
    let kept_since = now - Duration::days(AUDIT_RETENTION_DAYS);
    let windows: Vec<(DateTime<Utc>, DateTime<Utc>)> = users
        .iter()
        .map(|u| {
            let to = u.deleted_at.unwrap_or(now).min(now);
            let from = (to - Duration::days(LOOK_BACK_DAYS))
                .max(kept_since)
                .min(to);
            (from, to)
        })
        .collect();
    let queries = users
        .iter()
        .zip(&windows)
        .map(|(u, (from, _))| AuditQuery {
            user_id: u.id.clone(),
            since: *from,
        })
        .collect();
    let records = dir.user_audits(queries).await;
    let mut found: Vec<DirResult<Found>> = users
        .iter()
        .zip(windows)
        .zip(records)
        .map(|((u, (from, to)), events)| {
            events.map(|events| Found {
                user_id: u.id.clone(),
                taken: what_was_taken(&u.id, to, &events),
                from,
                to,
                groups: HashMap::new(),
                usage_location: None,
            })
        })
        .collect();
    look_up_groups(dir, &mut found).await;
    look_up_locations(dir, &mut found).await;
    found
}

/// The usage location of each user a licence was taken from (a licence needs one), in one
/// batch; a read that fails leaves it unknown.
async fn look_up_locations(dir: &dyn Directory, found: &mut [DirResult<Found>]) {
    let wanted: Vec<usize> = found
        .iter()
        .enumerate()
        .filter(|(_, f)| f.as_ref().is_ok_and(|f| !f.taken.licences.is_empty()))
        .map(|(i, _)| i)
        .collect();
    if wanted.is_empty() {
        return;
    }
    let ids = wanted
        .iter()
        .filter_map(|&i| found[i].as_ref().ok().map(|f| f.user_id.clone()))
        .collect();
    let answers = dir.usage_locations(ids).await;
    for (i, answer) in wanted.into_iter().zip(answers) {
        if let (Ok(f), Ok(location)) = (&mut found[i], answer) {
            f.usage_location = Some(location);
        }
    }
}

/// Every group named in `found`, looked up once, its state put back on each user.
async fn look_up_groups(dir: &dyn Directory, found: &mut [DirResult<Found>]) {
    let mut ids: Vec<String> = found
        .iter()
        .flatten()
        .flat_map(|f| f.taken.groups.iter().map(|g| g.id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return;
    }
    let answers = dir.groups_as_now(ids.clone()).await;
    let states: HashMap<String, GroupNow> = ids
        .into_iter()
        .zip(answers)
        .map(|(id, a)| {
            let state = match a {
                Ok(Some(name)) => GroupNow::Named(name),
                Ok(None) => GroupNow::Gone,
                Err(e) => GroupNow::Unknown(e.message),
            };
            (id, state)
        })
        .collect();
    for f in found.iter_mut().flatten() {
        for g in &f.taken.groups {
            if let Some(s) = states.get(&g.id) {
                f.groups.insert(g.id.clone(), s.clone());
            }
        }
    }
}

impl Found {
    /// What `restore --dry-run` says: every thing taken, with who took it and when, the
    /// groups' names now (gone ones marked), the privileged roles marked.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let step = |s: &super::Step| json!({ "at": s.at, "by": s.by });
        let t = &self.taken;
        json!({
            "window": { "from": self.from, "to": self.to, "daysCovered": self.days_covered() },
            "by": t.actors(),
            "groups": t.groups.iter().map(|g| json!({
                "id": g.id,
                "name": self.group_name(&g.id),
                "owner": g.owner,
                "gone": self.group_gone(&g.id),
                "taken": step(&g.step),
            })).collect::<Vec<_>>(),
            "licences": t.licences.iter().map(|l| json!({
                "skuId": l.licence.sku_id,
                "skuName": l.licence.sku_name,
                "disabledPlans": l.licence.disabled_plans,
                "taken": step(&l.step),
            })).collect::<Vec<_>>(),
            "signIn": t.sign_in.as_ref().map(|s| json!({ "blocked": step(s) })),
            "roles": t.roles.iter().map(|r| json!({
                "templateId": r.template_id,
                "roleId": r.role_id,
                "name": r.name,
                "privileged": r.template_id.as_deref().is_some_and(super::roles::is_privileged),
                "taken": step(&r.step),
            })).collect::<Vec<_>>(),
        })
    }
}

/// One thing to offer back, and whether it is ticked before the admin says anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub item: crate::directory::bring_back::BringBack,
    /// Groups, licences and sign-in are; a role never is (it is ticked by hand).
    pub ticked: bool,
    /// Entra labels the role privileged.
    pub privileged: bool,
}

impl Found {
    /// What can be brought back, in the order a checklist shows it: groups (those still
    /// there, under their names now), licences, sign-in, roles.
    pub fn offers(&self) -> Vec<Offer> {
        use crate::directory::bring_back::BringBack;
        let t = &self.taken;
        let groups = t
            .groups
            .iter()
            .filter(|g| !self.group_gone(&g.id))
            .map(|g| Offer {
                item: BringBack::Group {
                    id: g.id.clone(),
                    name: self.group_name(&g.id),
                    owner: g.owner,
                },
                ticked: true,
                privileged: false,
            });
        let licences = t.licences.iter().map(|l| Offer {
            item: BringBack::Licence {
                sku_id: l.licence.sku_id.clone(),
                sku_name: l.licence.sku_name.clone(),
                disabled_plans: l.licence.disabled_plans.clone(),
            },
            ticked: true,
            privileged: false,
        });
        let sign_in = t.sign_in.iter().map(|_| Offer {
            item: BringBack::SignIn,
            ticked: true,
            privileged: false,
        });
        let roles = t.roles.iter().filter_map(|r| {
            let template_id = r.template_id.clone()?;
            Some(Offer {
                privileged: super::roles::is_privileged(&template_id),
                item: BringBack::Role {
                    template_id,
                    name: r.name.clone(),
                },
                ticked: false,
            })
        });
        groups.chain(licences).chain(sign_in).chain(roles).collect()
    }
}

impl Found {
    /// What `--bring-back` gives back for these kinds: every offer of a kind named that is
    /// ticked by default, and every role when roles are named (naming them is the admin's
    /// tick).
    pub fn chosen(&self, kinds: &[crate::directory::bring_back::Kind]) -> Vec<Offer> {
        use crate::directory::bring_back::Kind;
        self.offers()
            .into_iter()
            .filter(|o| {
                let kind = o.item.kind();
                kinds.contains(&kind) && (o.ticked || kind == Kind::Roles)
            })
            .collect()
    }
}
