//! Deterministic seed data: the same seed number gives the same directory (deletion times are
//! offsets from the moment of seeding, so "expires in 2 days" stays true for a fresh store).

use std::collections::HashSet;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::store::{UserRow, deleted_upn};

const NAMES: &str = include_str!("../assets/seed/names.txt");

/// The most deleted users, or active users, one seeding makes. Every row is made in memory
/// before it is stored, so a number past this only exhausts memory (a typo such as
/// 99999999999 made the process abort).
pub const MAX_SEEDED_USERS: usize = 10_000_000;

/// Refuses a count of `what` ("deleted users") past `MAX_SEEDED_USERS`, in words.
pub fn check_seed_count(what: &str, n: usize) -> Result<(), String> {
    if n > MAX_SEEDED_USERS {
        return Err(format!(
            "{n} {what} is more than the sandbox seeds: at most 10,000,000"
        ));
    }
    Ok(())
}

pub(super) const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Marketing",
    "Finance",
    "Legal",
    "Human Resources",
    "Engineering",
    "Research & Development",
    "Customer Support",
    "Operations",
    "IT",
    "Procurement",
    "Communications",
    "Executive Office",
    "Product Management",
];

const JOB_TITLES: &[&str] = &[
    "Analyst",
    "Account Manager",
    "Software Engineer",
    "Senior Software Engineer",
    "Director",
    "Vice President",
    "Accountant",
    "Paralegal",
    "Recruiter",
    "Support Specialist",
    "Operations Manager",
    "Product Manager",
    "Data Scientist",
    "Marketing Coordinator",
    "Executive Assistant",
    "Intern",
];

pub(super) const GUEST_DOMAINS: &[&str] = &[
    "fabrikam.com",
    "northwindtraders.com",
    "adatum.org",
    "tailspin.io",
];

/// Display names crafted to break terminals that print server strings unfiltered.
const HOSTILE: &[&str] = &[
    "\u{1b}[31mRed Alert\u{1b}[0m Operator",
    "\u{1b}]0;owned\u{7}Window Title",
    "\u{202e}reganaM tnuoccA\u{202c} Bidi",
    "Bell\u{7} Back\u{8}space Null\u{0}Byte",
    "C1\u{9b}31m Control\u{85}Next Line",
    "\u{1b}[2J\u{1b}[HClear Screen",
    "Zalgo Z\u{337}\u{322}a\u{335}l\u{336}g\u{338}o\u{335}",
];

pub(super) struct Culture {
    pub(super) eastern: bool,
    pub(super) given: Vec<(String, String)>,
    pub(super) surname: Vec<(String, String)>,
}

fn pairs(line: &str) -> Vec<(String, String)> {
    line.split(',')
        .filter_map(|p| {
            let (name, roman) = p.trim().split_once('|')?;
            Some((name.to_string(), roman.to_string()))
        })
        .collect()
}

pub(super) fn cultures() -> Vec<Culture> {
    let mut out: Vec<Culture> = Vec::new();
    for line in NAMES.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(head) = line.strip_prefix('[') {
            out.push(Culture {
                eastern: head.contains("eastern"),
                given: Vec::new(),
                surname: Vec::new(),
            });
        } else if let (Some(c), Some(rest)) = (out.last_mut(), line.strip_prefix("given:")) {
            c.given = pairs(rest);
        } else if let (Some(c), Some(rest)) = (out.last_mut(), line.strip_prefix("surname:")) {
            c.surname = pairs(rest);
        }
    }
    out.retain(|c| !c.given.is_empty() && !c.surname.is_empty());
    out
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Plain,
    UpnConflict,
    ProxyConflict,
    Synced,
    Guest,
    LongName,
    Hostile,
    Expiring,
}

/// For small directories the first users get one of each special case, so tests with a dozen
/// users still meet every quirk.
const FORCED: &[Role] = &[
    Role::UpnConflict,
    Role::ProxyConflict,
    Role::Synced,
    Role::Guest,
    Role::LongName,
    Role::Hostile,
    Role::Expiring,
    Role::Expiring,
    Role::UpnConflict,
    Role::Guest,
    Role::Hostile,
    Role::Expiring,
];

pub(super) fn uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub struct Seeded {
    pub users: Vec<UserRow>,
    pub tenant_id: String,
}

/// The directory for `seed`: `deleted` deleted users, about a quarter as many active ones
/// (including the admin and the holders of conflicting names and addresses).
pub fn generate(seed: u64, deleted: usize, domain: &str, now: DateTime<Utc>) -> Seeded {
    let mut rng = StdRng::seed_from_u64(seed);
    let cultures = cultures();
    let tenant_id = uuid(&mut rng);
    let mut users = Vec::with_capacity(deleted + deleted / 4 + 2);
    let mut taken: HashSet<String> = HashSet::new();
    let admin_upn = format!("admin@{domain}");
    taken.insert(admin_upn.clone());
    let created = ts(now - Duration::days(900));
    users.push(UserRow {
        id: uuid(&mut rng),
        deleted: false,
        display_name: "Sandbox Admin".into(),
        given_name: Some("Sandbox".into()),
        surname: Some("Admin".into()),
        upn: admin_upn.clone(),
        original_upn: admin_upn.clone(),
        mail: Some(admin_upn.clone()),
        job_title: Some("Global Administrator".into()),
        department: Some("IT".into()),
        user_type: "Member".into(),
        account_enabled: true,
        proxy_addresses: vec![format!("SMTP:{admin_upn}")],
        on_prem_sync: false,
        deleted_at: None,
        created_at: created,
    });

    let unique = |base: &str, rng: &mut StdRng, taken: &mut HashSet<String>| -> String {
        let mut local = base.to_string();
        while taken.contains(&format!("{local}@{domain}")) {
            local = format!("{base}{}", rng.random_range(2..1000));
        }
        taken.insert(format!("{local}@{domain}"));
        local
    };

    let mut hostile_n = 0usize;
    let mut active_extra: Vec<UserRow> = Vec::new();
    for i in 0..deleted {
        let forced = FORCED.get(i).filter(|_| deleted >= FORCED.len());
        let role = if let Some(&role) = forced {
            role
        } else {
            match rng.random_range(0..1000) {
                0..40 => Role::UpnConflict,
                40..70 => Role::ProxyConflict,
                70..150 => Role::Synced,
                150..210 => Role::Guest,
                210..230 => Role::LongName,
                230..235 => Role::Hostile,
                235..315 => Role::Expiring,
                _ => Role::Plain,
            }
        };
        let Some(culture) = cultures.choose(&mut rng) else {
            break;
        };
        let (given, given_r) = culture.given.choose(&mut rng).cloned().unwrap_or_default();
        let (sur, sur_r) = culture
            .surname
            .choose(&mut rng)
            .cloned()
            .unwrap_or_default();
        let mut display = if culture.eastern {
            format!("{sur}{given}")
        } else {
            format!("{given} {sur}")
        };
        let mut base = format!("{given_r}.{sur_r}");
        match role {
            Role::LongName => {
                let extra: Vec<String> = (0..4)
                    .filter_map(|_| culture.given.choose(&mut rng).map(|g| g.0.clone()))
                    .collect();
                let extra_s: Vec<String> = (0..3)
                    .filter_map(|_| culture.surname.choose(&mut rng).map(|s| s.0.clone()))
                    .collect();
                display = format!(
                    "{given} {} {sur}-{} (Interim Acting Deputy Assistant to the Regional Director of Strategic Partnerships)",
                    extra.join(" "),
                    extra_s.join("-")
                );
            }
            Role::Hostile => {
                display = HOSTILE[hostile_n % HOSTILE.len()].to_string();
                base = format!("hostile.name{}", hostile_n + 1);
                hostile_n += 1;
            }
            _ => {}
        }
        let local = unique(&base, &mut rng, &mut taken);
        let id = uuid(&mut rng);
        let department = (rng.random_range(0..10) > 0)
            .then(|| DEPARTMENTS.choose(&mut rng).map(|d| d.to_string()))
            .flatten();
        let mut job_title = (rng.random_range(0..8) > 0)
            .then(|| JOB_TITLES.choose(&mut rng).map(|d| d.to_string()))
            .flatten();
        if role == Role::Hostile {
            // Other free-text fields reach the screen too; no extra RNG draw, so the rest of
            // the directory stays the same.
            job_title = Some("\u{1b}[5mBlinking\u{1b}[0m \u{200f}Manager\u{9}Tab".to_string());
        }
        let age = if role == Role::Expiring {
            Duration::minutes(rng.random_range(27 * 1440..30 * 1440 - 60))
        } else {
            Duration::minutes(rng.random_range(5..30 * 1440 - 60))
        };
        let deleted_at = now - age;
        let created_at = deleted_at - Duration::days(rng.random_range(30..2000));
        let (upn, mail, user_type, mut proxies) = if role == Role::Guest {
            let gd = GUEST_DOMAINS
                .choose(&mut rng)
                .copied()
                .unwrap_or("fabrikam.com");
            let addr = format!("{local}@{gd}");
            (
                format!("{local}_{gd}#EXT#@{domain}"),
                addr.clone(),
                "Guest",
                vec![format!("SMTP:{addr}")],
            )
        } else {
            let upn = format!("{local}@{domain}");
            (
                upn.clone(),
                upn.clone(),
                "Member",
                vec![format!("SMTP:{upn}")],
            )
        };
        if role != Role::Guest && rng.random_range(0..3) == 0 || role == Role::ProxyConflict {
            let alias = format!(
                "smtp:{}{}@{domain}",
                given_r.chars().next().unwrap_or('x'),
                sur_r
            );
            if !proxies.iter().any(|p| p.eq_ignore_ascii_case(&alias)) {
                proxies.push(alias);
            }
        }
        match role {
            Role::UpnConflict => active_extra.push(UserRow {
                id: uuid(&mut rng),
                deleted: false,
                display_name: format!("{display} (new hire)"),
                given_name: Some(given.clone()),
                surname: Some(sur.clone()),
                upn: upn.clone(),
                original_upn: upn.clone(),
                mail: Some(mail.clone()),
                job_title: job_title.clone(),
                department: department.clone(),
                user_type: "Member".into(),
                account_enabled: true,
                proxy_addresses: vec![format!("SMTP:{upn}")],
                on_prem_sync: false,
                deleted_at: None,
                created_at: ts(deleted_at + Duration::hours(rng.random_range(1..48))),
            }),
            Role::ProxyConflict => {
                let alias = proxies.last().cloned().unwrap_or_default();
                let holder_local = unique(&format!("shared.{sur_r}"), &mut rng, &mut taken);
                let holder = format!("{holder_local}@{domain}");
                active_extra.push(UserRow {
                    id: uuid(&mut rng),
                    deleted: false,
                    display_name: format!("Shared mailbox {sur}"),
                    given_name: None,
                    surname: None,
                    upn: holder.clone(),
                    original_upn: holder.clone(),
                    mail: Some(holder.clone()),
                    job_title: None,
                    department: department.clone(),
                    user_type: "Member".into(),
                    account_enabled: true,
                    proxy_addresses: vec![format!("SMTP:{holder}"), alias],
                    on_prem_sync: false,
                    deleted_at: None,
                    created_at: ts(deleted_at + Duration::hours(rng.random_range(1..48))),
                });
            }
            _ => {}
        }
        users.push(UserRow {
            deleted: true,
            display_name: display,
            given_name: Some(given),
            surname: Some(sur),
            upn: deleted_upn(&id, &upn),
            original_upn: upn,
            mail: Some(mail),
            job_title,
            department,
            user_type: user_type.into(),
            account_enabled: true,
            proxy_addresses: proxies,
            on_prem_sync: role == Role::Synced
                || (role == Role::Plain && rng.random_range(0..20) == 0),
            deleted_at: Some(ts(deleted_at)),
            created_at: ts(created_at),
            id,
        });
    }

    // Ordinary active colleagues, so the active side of the directory looks lived in.
    let plain_active = (deleted / 4).saturating_sub(active_extra.len()).max(3);
    for _ in 0..plain_active {
        let Some(culture) = cultures.choose(&mut rng) else {
            break;
        };
        let (given, given_r) = culture.given.choose(&mut rng).cloned().unwrap_or_default();
        let (sur, sur_r) = culture
            .surname
            .choose(&mut rng)
            .cloned()
            .unwrap_or_default();
        let local = unique(&format!("{given_r}.{sur_r}"), &mut rng, &mut taken);
        let upn = format!("{local}@{domain}");
        users.push(UserRow {
            id: uuid(&mut rng),
            deleted: false,
            display_name: if culture.eastern {
                format!("{sur}{given}")
            } else {
                format!("{given} {sur}")
            },
            given_name: Some(given),
            surname: Some(sur),
            upn: upn.clone(),
            original_upn: upn.clone(),
            mail: Some(upn.clone()),
            job_title: JOB_TITLES.choose(&mut rng).map(|s| s.to_string()),
            department: DEPARTMENTS.choose(&mut rng).map(|s| s.to_string()),
            user_type: "Member".into(),
            account_enabled: true,
            proxy_addresses: vec![format!("SMTP:{upn}")],
            on_prem_sync: rng.random_range(0..10) == 0,
            deleted_at: None,
            created_at: ts(now - Duration::days(rng.random_range(1..2000))),
        });
    }
    users.extend(active_extra);
    Seeded { users, tenant_id }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_directory() {
        let now = Utc::now();
        let a = generate(3, 300, "contoso.sandbox", now);
        let b = generate(3, 300, "contoso.sandbox", now);
        assert_eq!(a.users, b.users);
        let c = generate(4, 300, "contoso.sandbox", now);
        assert_ne!(a.users, c.users);
    }

    #[test]
    fn seed_has_every_quirk() {
        let now = Utc::now();
        let s = generate(1, 250, "contoso.sandbox", now);
        let deleted: Vec<&UserRow> = s.users.iter().filter(|u| u.deleted).collect();
        let active: Vec<&UserRow> = s.users.iter().filter(|u| !u.deleted).collect();
        assert_eq!(deleted.len(), 250);
        assert!((40..=90).contains(&active.len()), "{}", active.len());
        let ids: HashSet<&str> = s.users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids.len(), s.users.len(), "ids are unique");
        let upns: HashSet<String> = active.iter().map(|u| u.upn.to_lowercase()).collect();
        assert_eq!(upns.len(), active.len(), "active UPNs are unique");
        assert!(
            deleted
                .iter()
                .any(|u| upns.contains(&u.original_upn.to_lowercase()))
        );
        assert!(deleted.iter().any(|u| u.on_prem_sync));
        assert!(
            deleted
                .iter()
                .any(|u| u.user_type == "Guest" && u.original_upn.contains("#EXT#"))
        );
        assert!(deleted.iter().any(|u| u.display_name.chars().count() > 100));
        assert!(deleted.iter().any(|u| u.display_name.contains('\u{1b}')));
        assert!(deleted.iter().any(|u| u.display_name.contains('\u{202e}')));
        assert!(
            deleted
                .iter()
                .any(|u| u.job_title.as_deref().is_some_and(|t| t.contains('\u{1b}')))
        );
        assert!(deleted.iter().any(|u| {
            u.display_name
                .chars()
                .any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
        }));
        assert!(deleted.iter().any(|u| {
            u.display_name
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        }));
        let expiring = deleted
            .iter()
            .filter(|u| {
                let d = u
                    .deleted_at
                    .as_deref()
                    .and_then(|d| DateTime::parse_from_rfc3339(d).ok());
                d.is_some_and(|d| now - d.with_timezone(&Utc) > Duration::days(27))
            })
            .count();
        assert!(expiring >= 5, "{expiring}");
        for u in &deleted {
            assert!(u.upn.starts_with(&u.id.replace('-', "")));
            let d = u
                .deleted_at
                .as_deref()
                .and_then(|d| DateTime::parse_from_rfc3339(d).ok());
            assert!(d.is_some_and(|d| now - d.with_timezone(&Utc) < Duration::days(30)));
        }
        // Some deleted user has an alias that an active user now holds.
        let held: HashSet<String> = active
            .iter()
            .flat_map(|u| u.proxy_addresses.iter().map(|p| p.to_lowercase()))
            .collect();
        assert!(deleted.iter().any(|u| {
            !upns.contains(&u.original_upn.to_lowercase())
                && u.proxy_addresses
                    .iter()
                    .any(|p| held.contains(&p.to_lowercase()))
        }));
    }
}
