//! The rest of a seeded directory, drawn from its own random stream so the deleted users of a
//! seed stay what they were: more active users (`--active N`), groups and org contacts (some
//! holding deleted users' addresses, so the conflict sweep has holders of every kind to find),
//! and a `Delete user` audit record for every seeded deletion, by a mix of admins, an app and
//! the directory sync account.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::audit::{self, Actor, SYNC_DISPLAY_NAME, Target};
use super::objects::{AuditRow, ObjectRow};
use super::seed::{DEPARTMENTS, GUEST_DOMAINS, cultures, ts, uuid};
use super::store::UserRow;

/// What `generate` adds to the users of `seed::generate`.
pub struct Extra {
    pub active: Vec<UserRow>,
    pub objects: Vec<ObjectRow>,
    pub audits: Vec<AuditRow>,
}

/// The primary SMTP address of a user, else its UPN.
fn primary(u: &UserRow) -> String {
    u.proxy_addresses
        .iter()
        .find_map(|p| p.strip_prefix("SMTP:"))
        .map(str::to_string)
        .unwrap_or_else(|| u.original_upn.clone())
}

fn slug(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

pub fn generate(
    seed: u64,
    users: &[UserRow],
    active: Option<usize>,
    domain: &str,
    now: DateTime<Utc>,
) -> Extra {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x00B1_EC75);
    let deleted: Vec<&UserRow> = users.iter().filter(|u| u.deleted).collect();
    let have = users.len() - deleted.len();
    let extra = active.map_or(0, |n| n.saturating_sub(have));
    let active = extra_active(&mut rng, extra, domain, now);

    // Deleted members whose addresses a group or a contact may now hold.
    let mut members: Vec<&UserRow> = deleted
        .iter()
        .copied()
        .filter(|u| u.user_type == "Member")
        .collect();
    let mut take = |rng: &mut StdRng| -> Option<&UserRow> {
        if members.is_empty() {
            return None;
        }
        let n = rng.random_range(0..members.len());
        Some(members.swap_remove(n))
    };
    let mut objects = Vec::new();
    let n_groups = (deleted.len() / 25).max(4) + extra / 500;
    for k in 0..n_groups {
        let dept = DEPARTMENTS.choose(&mut rng).copied().unwrap_or("Team");
        let mail = format!("{}{}@{domain}", slug(dept), k + 1);
        let mut proxies = vec![format!("SMTP:{mail}")];
        // Every other group took over a departed colleague's address (a shared inbox).
        if k % 2 == 0
            && let Some(u) = take(&mut rng)
        {
            proxies.push(format!("smtp:{}", primary(u)));
        }
        objects.push(ObjectRow {
            id: uuid(&mut rng),
            kind: "group".into(),
            display_name: format!("{dept} Team {}", k + 1),
            mail: Some(mail),
            proxy_addresses: proxies,
            created_at: ts(now - Duration::days(rng.random_range(1..1500))),
        });
    }
    let cultures = cultures();
    let n_contacts = (deleted.len() / 25).max(4) + extra / 500;
    for k in 0..n_contacts {
        // Every other contact forwards a departed employee's address to their new mailbox.
        let forwarded = if k % 2 == 0 { take(&mut rng) } else { None };
        let (name, mail) = match forwarded {
            Some(u) => (format!("{} (forwarding)", u.display_name), primary(u)),
            None => {
                let Some(c) = cultures.choose(&mut rng) else {
                    break;
                };
                let (g, gr) = c.given.choose(&mut rng).cloned().unwrap_or_default();
                let (s, sr) = c.surname.choose(&mut rng).cloned().unwrap_or_default();
                let gd = GUEST_DOMAINS
                    .choose(&mut rng)
                    .copied()
                    .unwrap_or("fabrikam.com");
                (
                    format!("{g} {s} (external)"),
                    format!("{gr}.{sr}@{gd}").to_lowercase(),
                )
            }
        };
        objects.push(ObjectRow {
            id: uuid(&mut rng),
            kind: "contact".into(),
            display_name: name,
            proxy_addresses: vec![format!("SMTP:{mail}")],
            mail: Some(mail),
            created_at: ts(now - Duration::days(rng.random_range(1..1500))),
        });
    }

    let audits = deletion_records(&mut rng, users, &deleted, domain);
    Extra {
        active,
        objects,
        audits,
    }
}

fn extra_active(rng: &mut StdRng, n: usize, domain: &str, now: DateTime<Utc>) -> Vec<UserRow> {
    let cultures = cultures();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let Some(c) = cultures.choose(rng) else {
            break;
        };
        let (given, gr) = c.given.choose(rng).cloned().unwrap_or_default();
        let (sur, sr) = c.surname.choose(rng).cloned().unwrap_or_default();
        // The number keeps every name unique; the seed's own names never end in `.N`.
        let upn = format!("{gr}.{sr}.{}@{domain}", i + 1);
        let mut proxies = vec![format!("SMTP:{upn}")];
        if rng.random_range(0..3) == 0 {
            proxies.push(format!(
                "smtp:{}{sr}{}@{domain}",
                gr.chars().next().unwrap_or('x'),
                i + 1
            ));
        }
        out.push(UserRow {
            id: uuid(rng),
            deleted: false,
            display_name: if c.eastern {
                format!("{sur}{given}")
            } else {
                format!("{given} {sur}")
            },
            given_name: Some(given),
            surname: Some(sur),
            upn: upn.clone(),
            original_upn: upn.clone(),
            mail: Some(upn),
            job_title: None,
            department: DEPARTMENTS.choose(rng).map(|s| s.to_string()),
            user_type: "Member".into(),
            account_enabled: true,
            proxy_addresses: proxies,
            on_prem_sync: false,
            deleted_at: None,
            created_at: ts(now - Duration::days(rng.random_range(1..2000))),
        });
    }
    out
}

fn deletion_records(
    rng: &mut StdRng,
    users: &[UserRow],
    deleted: &[&UserRow],
    domain: &str,
) -> Vec<AuditRow> {
    let tenant = domain.split('.').next().unwrap_or("contoso");
    let admin_upn = format!("admin@{domain}");
    let admin = Actor::User {
        id: users
            .iter()
            .find(|u| u.upn == admin_upn)
            .map(|u| u.id.clone())
            .unwrap_or_default(),
        upn: admin_upn,
        display_name: None,
        ip: Some("203.0.113.10".into()),
    };
    let helpdesk = Actor::User {
        id: uuid(rng),
        upn: format!("helpdesk.lead@{domain}"),
        display_name: None,
        ip: Some("198.51.100.23".into()),
    };
    let app = Actor::App {
        app_id: uuid(rng),
        display_name: "HR Offboarding Automation".into(),
        service_principal_id: uuid(rng),
    };
    let sync = Actor::User {
        id: uuid(rng),
        upn: format!(
            "Sync_SANDBOX-DC01_{}@{tenant}.onmicrosoft.com",
            &uuid(rng)[..12]
        ),
        display_name: Some(SYNC_DISPLAY_NAME.into()),
        ip: None,
    };
    let mut out = Vec::with_capacity(deleted.len() + deleted.len() / 10);
    for u in deleted {
        let Some(at) = u
            .deleted_at
            .as_deref()
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&Utc))
        else {
            continue;
        };
        let actor = if u.on_prem_sync {
            &sync
        } else {
            match rng.random_range(0..10) {
                0..6 => &admin,
                6..8 => &helpdesk,
                _ => &app,
            }
        };
        let target = Target {
            id: &u.id,
            upn: &u.original_upn,
            user_type: &u.user_type,
        };
        // Now and then a first attempt failed (a helpdesk account without the role).
        if rng.random_range(0..15) == 0 {
            let (rid, cid) = (uuid(rng), uuid(rng));
            out.push(audit::delete_user(
                &rid,
                &cid,
                &target,
                at - Duration::minutes(10),
                &helpdesk,
                false,
            ));
        }
        let (rid, cid) = (uuid(rng), uuid(rng));
        out.push(audit::delete_user(&rid, &cid, &target, at, actor, true));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::seed;

    #[test]
    fn extras_are_deterministic_and_hold_deleted_addresses() {
        let now = Utc::now();
        let s = seed::generate(1, 250, "contoso.sandbox", now);
        let a = generate(1, &s.users, Some(500), "contoso.sandbox", now);
        let b = generate(1, &s.users, Some(500), "contoso.sandbox", now);
        assert_eq!(a.objects, b.objects);
        assert_eq!(a.active, b.active);
        let have = s.users.iter().filter(|u| !u.deleted).count();
        assert_eq!(a.active.len() + have, 500);
        let upns: HashSet<String> = s
            .users
            .iter()
            .chain(&a.active)
            .filter(|u| !u.deleted)
            .map(|u| u.upn.to_lowercase())
            .collect();
        assert_eq!(upns.len(), 500, "active UPNs stay unique");
        let deleted_addresses: HashSet<String> = s
            .users
            .iter()
            .filter(|u| u.deleted)
            .flat_map(|u| u.proxy_addresses.iter().map(|p| p[5..].to_lowercase()))
            .collect();
        for kind in ["group", "contact"] {
            let holding = a
                .objects
                .iter()
                .filter(|o| o.kind == kind)
                .filter(|o| {
                    o.proxy_addresses
                        .iter()
                        .any(|p| deleted_addresses.contains(&p[5..].to_lowercase()))
                })
                .count();
            assert!(holding >= 4, "{kind}: {holding}");
        }
        // One successful record per deletion, some failed attempts, the sync account for
        // synced users.
        let deleted = s.users.iter().filter(|u| u.deleted).count();
        let ok = a.audits.iter().filter(|r| r.result == "success").count();
        assert_eq!(ok, deleted);
        assert!(a.audits.iter().any(|r| r.result == "failure"));
        assert!(
            a.audits
                .iter()
                .any(|r| { r.body["initiatedBy"]["user"]["displayName"] == SYNC_DISPLAY_NAME })
        );
        assert!(
            a.audits
                .iter()
                .any(|r| r.body["initiatedBy"]["app"].is_object())
        );
    }

    #[test]
    fn without_active_no_user_is_added() {
        let now = Utc::now();
        let s = seed::generate(2, 40, "contoso.sandbox", now);
        assert!(
            generate(2, &s.users, None, "contoso.sandbox", now)
                .active
                .is_empty()
        );
        assert!(
            generate(2, &s.users, Some(3), "contoso.sandbox", now)
                .active
                .is_empty()
        );
    }
}
