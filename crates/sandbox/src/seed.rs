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
    let mut seeder = Seeder {
        rng,
        domain,
        now,
        taken: HashSet::new(),
        hostile: 0,
    };
    let mut users = Vec::with_capacity(deleted + deleted / 4 + 2);
    users.push(seeder.admin());

    let mut active_extra: Vec<UserRow> = Vec::new();
    for i in 0..deleted {
        let role = seeder.role(i, deleted);
        let Some(culture) = cultures.choose(&mut seeder.rng) else {
            break;
        };
        let (user, holder) = seeder.deleted_user(culture, role);
        active_extra.extend(holder);
        users.push(user);
    }

    // Ordinary active colleagues, so the active side of the directory looks lived in.
    let plain_active = (deleted / 4).saturating_sub(active_extra.len()).max(3);
    for _ in 0..plain_active {
        let Some(culture) = cultures.choose(&mut seeder.rng) else {
            break;
        };
        users.push(seeder.colleague(culture));
    }
    users.extend(active_extra);
    Seeded { users, tenant_id }
}

/// A seeding under way. Every choice is drawn from one random stream, in a fixed order: the
/// same seed must give the same directory, so a draw is never added, dropped or moved.
struct Seeder<'a> {
    rng: StdRng,
    domain: &'a str,
    now: DateTime<Utc>,
    /// Every user name given so far.
    taken: HashSet<String>,
    /// Hostile names given so far (they are taken in turn from `HOSTILE`).
    hostile: usize,
}

/// A person's name: as their culture writes it, and romanised for their user name.
struct Name {
    given: String,
    given_roman: String,
    surname: String,
    surname_roman: String,
    display: String,
}

/// What a deleted user answers to: its user name, mail, user type and proxy addresses.
struct Addresses {
    upn: String,
    mail: String,
    user_type: &'static str,
    proxies: Vec<String>,
}

impl Seeder<'_> {
    fn admin(&mut self) -> UserRow {
        let admin_upn = format!("admin@{}", self.domain);
        self.taken.insert(admin_upn.clone());
        UserRow {
            id: uuid(&mut self.rng),
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
            created_at: ts(self.now - Duration::days(900)),
        }
    }

    /// `base` as a local part no one has yet in the domain (a number added when taken).
    fn unique(&mut self, base: &str) -> String {
        let domain = self.domain;
        let mut local = base.to_string();
        while self.taken.contains(&format!("{local}@{domain}")) {
            local = format!("{base}{}", self.rng.random_range(2..1000));
        }
        self.taken.insert(format!("{local}@{domain}"));
        local
    }

    /// The `i`th deleted user's role: forced for the first ones of a directory big enough for
    /// them all, drawn otherwise.
    fn role(&mut self, i: usize, deleted: usize) -> Role {
        if let Some(&role) = FORCED.get(i).filter(|_| deleted >= FORCED.len()) {
            return role;
        }
        match self.rng.random_range(0..1000) {
            0..40 => Role::UpnConflict,
            40..70 => Role::ProxyConflict,
            70..150 => Role::Synced,
            150..210 => Role::Guest,
            210..230 => Role::LongName,
            230..235 => Role::Hostile,
            235..315 => Role::Expiring,
            _ => Role::Plain,
        }
    }

    /// A name from `culture`, written in its order.
    fn name(&mut self, culture: &Culture) -> Name {
        let (given, given_roman) = culture
            .given
            .choose(&mut self.rng)
            .cloned()
            .unwrap_or_default();
        let (surname, surname_roman) = culture
            .surname
            .choose(&mut self.rng)
            .cloned()
            .unwrap_or_default();
        let display = if culture.eastern {
            format!("{surname}{given}")
        } else {
            format!("{given} {surname}")
        };
        Name {
            given,
            given_roman,
            surname,
            surname_roman,
            display,
        }
    }

    /// A deleted user of `role`, and the active user that holds its name or address when the
    /// role is a conflict.
    fn deleted_user(&mut self, culture: &Culture, role: Role) -> (UserRow, Option<UserRow>) {
        let mut name = self.name(culture);
        let mut base = format!("{}.{}", name.given_roman, name.surname_roman);
        match role {
            Role::LongName => name.display = self.long_name(culture, &name),
            Role::Hostile => {
                name.display = HOSTILE[self.hostile % HOSTILE.len()].to_string();
                base = format!("hostile.name{}", self.hostile + 1);
                self.hostile += 1;
            }
            _ => {}
        }
        let local = self.unique(&base);
        let id = uuid(&mut self.rng);
        let department = (self.rng.random_range(0..10) > 0)
            .then(|| DEPARTMENTS.choose(&mut self.rng).map(|d| d.to_string()))
            .flatten();
        let mut job_title = (self.rng.random_range(0..8) > 0)
            .then(|| JOB_TITLES.choose(&mut self.rng).map(|d| d.to_string()))
            .flatten();
        if role == Role::Hostile {
            // Other free-text fields reach the screen too; no extra RNG draw, so the rest of
            // the directory stays the same.
            job_title = Some("\u{1b}[5mBlinking\u{1b}[0m \u{200f}Manager\u{9}Tab".to_string());
        }
        let age = if role == Role::Expiring {
            Duration::minutes(self.rng.random_range(27 * 1440..30 * 1440 - 60))
        } else {
            Duration::minutes(self.rng.random_range(5..30 * 1440 - 60))
        };
        let deleted_at = self.now - age;
        let created_at = deleted_at - Duration::days(self.rng.random_range(30..2000));
        let addresses = self.addresses(role, &local, &name);
        let mut user = UserRow {
            deleted: true,
            display_name: name.display,
            given_name: Some(name.given),
            surname: Some(name.surname),
            upn: deleted_upn(&id, &addresses.upn),
            original_upn: addresses.upn,
            mail: Some(addresses.mail),
            job_title,
            department,
            user_type: addresses.user_type.into(),
            account_enabled: true,
            proxy_addresses: addresses.proxies,
            // Drawn below, after the holder's draws.
            on_prem_sync: false,
            deleted_at: Some(ts(deleted_at)),
            created_at: ts(created_at),
            id,
        };
        let holder = self.holder(role, &user, &name.surname_roman, deleted_at);
        user.on_prem_sync =
            role == Role::Synced || (role == Role::Plain && self.rng.random_range(0..20) == 0);
        (user, holder)
    }

    /// A display name long enough to wrap anywhere it is shown.
    fn long_name(&mut self, culture: &Culture, name: &Name) -> String {
        let extra: Vec<String> = (0..4)
            .filter_map(|_| culture.given.choose(&mut self.rng).map(|g| g.0.clone()))
            .collect();
        let extra_s: Vec<String> = (0..3)
            .filter_map(|_| culture.surname.choose(&mut self.rng).map(|s| s.0.clone()))
            .collect();
        format!(
            "{} {} {}-{} (Interim Acting Deputy Assistant to the Regional Director of Strategic Partnerships)",
            name.given,
            extra.join(" "),
            name.surname,
            extra_s.join("-")
        )
    }

    /// A guest answers to its home address under an `#EXT#` user name; a member to its user
    /// name, sometimes with an alias (always when its alias is what conflicts).
    fn addresses(&mut self, role: Role, local: &str, name: &Name) -> Addresses {
        let domain = self.domain;
        let mut addresses = if role == Role::Guest {
            let gd = GUEST_DOMAINS
                .choose(&mut self.rng)
                .copied()
                .unwrap_or("fabrikam.com");
            let addr = format!("{local}@{gd}");
            Addresses {
                upn: format!("{local}_{gd}#EXT#@{domain}"),
                mail: addr.clone(),
                user_type: "Guest",
                proxies: vec![format!("SMTP:{addr}")],
            }
        } else {
            let upn = format!("{local}@{domain}");
            Addresses {
                upn: upn.clone(),
                mail: upn.clone(),
                user_type: "Member",
                proxies: vec![format!("SMTP:{upn}")],
            }
        };
        if role != Role::Guest && self.rng.random_range(0..3) == 0 || role == Role::ProxyConflict {
            let alias = format!(
                "smtp:{}{}@{domain}",
                name.given_roman.chars().next().unwrap_or('x'),
                name.surname_roman
            );
            if !addresses
                .proxies
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&alias))
            {
                addresses.proxies.push(alias);
            }
        }
        addresses
    }

    /// The active user a conflict role needs: a new hire with the deleted user's user name, or
    /// a shared mailbox holding its alias; made after its deletion.
    fn holder(
        &mut self,
        role: Role,
        user: &UserRow,
        surname_roman: &str,
        deleted_at: DateTime<Utc>,
    ) -> Option<UserRow> {
        match role {
            Role::UpnConflict => {
                let upn = user.original_upn.clone();
                Some(UserRow {
                    id: uuid(&mut self.rng),
                    deleted: false,
                    display_name: format!("{} (new hire)", user.display_name),
                    given_name: user.given_name.clone(),
                    surname: user.surname.clone(),
                    upn: upn.clone(),
                    original_upn: upn.clone(),
                    mail: user.mail.clone(),
                    job_title: user.job_title.clone(),
                    department: user.department.clone(),
                    user_type: "Member".into(),
                    account_enabled: true,
                    proxy_addresses: vec![format!("SMTP:{upn}")],
                    on_prem_sync: false,
                    deleted_at: None,
                    created_at: ts(deleted_at + Duration::hours(self.rng.random_range(1..48))),
                })
            }
            Role::ProxyConflict => {
                let alias = user.proxy_addresses.last().cloned().unwrap_or_default();
                let holder_local = self.unique(&format!("shared.{surname_roman}"));
                let holder = format!("{holder_local}@{}", self.domain);
                Some(UserRow {
                    id: uuid(&mut self.rng),
                    deleted: false,
                    display_name: format!(
                        "Shared mailbox {}",
                        user.surname.as_deref().unwrap_or_default()
                    ),
                    given_name: None,
                    surname: None,
                    upn: holder.clone(),
                    original_upn: holder.clone(),
                    mail: Some(holder.clone()),
                    job_title: None,
                    department: user.department.clone(),
                    user_type: "Member".into(),
                    account_enabled: true,
                    proxy_addresses: vec![format!("SMTP:{holder}"), alias],
                    on_prem_sync: false,
                    deleted_at: None,
                    created_at: ts(deleted_at + Duration::hours(self.rng.random_range(1..48))),
                })
            }
            _ => None,
        }
    }

    /// An ordinary active user from `culture`.
    fn colleague(&mut self, culture: &Culture) -> UserRow {
        let name = self.name(culture);
        let local = self.unique(&format!("{}.{}", name.given_roman, name.surname_roman));
        let upn = format!("{local}@{}", self.domain);
        UserRow {
            id: uuid(&mut self.rng),
            deleted: false,
            display_name: name.display,
            given_name: Some(name.given),
            surname: Some(name.surname),
            upn: upn.clone(),
            original_upn: upn.clone(),
            mail: Some(upn.clone()),
            job_title: JOB_TITLES.choose(&mut self.rng).map(|s| s.to_string()),
            department: DEPARTMENTS.choose(&mut self.rng).map(|s| s.to_string()),
            user_type: "Member".into(),
            account_enabled: true,
            proxy_addresses: vec![format!("SMTP:{upn}")],
            on_prem_sync: self.rng.random_range(0..10) == 0,
            deleted_at: None,
            created_at: ts(self.now - Duration::days(self.rng.random_range(1..2000))),
        }
    }
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
