//! The after-care report: what came back with each restored user, read after the restores
//! (never delaying them), and what needs the admin. A read that fails shows as "unknown
//! (why)"; it is never a failure of the restore.

use serde_json::{Value, json};

use super::run::UserOutcome;
use crate::directory::Directory;
use crate::directory::aftercare::{AfterCareReads, MailboxRead, Sku, UserReads};

/// A fact the report could read, or why it could not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known<T> {
    Yes(T),
    Unknown(String),
}

impl<T> Known<T> {
    fn from_result(r: &crate::directory::DirResult<T>) -> Self
    where
        T: Clone,
    {
        match r {
            Ok(v) => Known::Yes(v.clone()),
            Err(e) => Known::Unknown(e.message.clone()),
        }
    }
}

/// One licence the user holds, and the seats of its SKU (`None`: the tenant's SKUs unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub part_number: String,
    pub free: Option<i64>,
}

/// How a disabled account is enabled, said the same way everywhere. undelete never does it
/// for the admin: the account may have been disabled on purpose before it was deleted.
macro_rules! enable_how {
    () => {
        "Entra admin center > Users > the user > Edit properties > Account enabled, or \
         Microsoft Graph: PATCH /users/{id} with {\"accountEnabled\": true}"
    };
}
pub const ENABLE_HOW: &str = enable_how!();

/// What a disabled account means for the person, in the result screen's words.
pub const DISABLED_BLOCKS: &str = "account disabled: sign-in fails until it is enabled";

impl AfterCare {
    /// Whether the account is disabled, as read after the restore (`None`: not read).
    pub fn disabled(&self) -> Option<bool> {
        match self.enabled {
            Known::Yes(Some(enabled)) => Some(!enabled),
            _ => None,
        }
    }
}

/// Whether the restored user has its mailbox again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mailbox {
    /// Exchange serves it: mail and its history are back.
    Back,
    /// None, and none is expected: no licence with Exchange Online.
    NoExchangeLicence,
    /// None yet, though a licence includes Exchange: Exchange reconnects a restored user's
    /// mailbox a few minutes after the restore.
    NotYet,
    /// None, and the licences could not be read to say why.
    NotFound,
}

impl Mailbox {
    fn words(self) -> &'static str {
        match self {
            Mailbox::Back => "mailbox back",
            Mailbox::NoExchangeLicence => "no mailbox (no Exchange licence)",
            Mailbox::NotYet => "mailbox not reconnected yet",
            Mailbox::NotFound => "no mailbox found",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Mailbox::Back => "Mailbox: back",
            Mailbox::NoExchangeLicence => {
                "Mailbox: none (no licence with Exchange Online; assign one and Exchange reconnects the mailbox it kept)"
            }
            Mailbox::NotYet => {
                "Mailbox: not reconnected yet (Exchange takes a few minutes after a restore; look again later)"
            }
            Mailbox::NotFound => "Mailbox: none found (the licences could not be read to say why)",
        }
    }

    fn json(self) -> &'static str {
        match self {
            Mailbox::Back => "back",
            Mailbox::NoExchangeLicence => "noExchangeLicence",
            Mailbox::NotYet => "notReconnectedYet",
            Mailbox::NotFound => "notFound",
        }
    }
}

/// What needs the admin after a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    /// The account is disabled: it was so when deleted, and a restore keeps it.
    Disabled,
    /// A licence whose SKU has no free seat: the tenant is over-allocated, or the licence
    /// did not come back.
    NoSeat { part_number: String, free: i64 },
    /// Licences assigned but no usage location: Entra cannot apply them.
    NoUsageLocation,
    /// The restore gave the user another name (a conflict).
    Renamed { old: String, new: String },
    /// Proxy addresses the restore dropped (another object held them).
    ProxiesDropped(Vec<String>),
}

impl Flag {
    pub fn describe(&self) -> String {
        match self {
            Flag::Disabled => "account disabled".into(),
            Flag::NoSeat { part_number, free } if *free < 0 => {
                format!("{part_number}: over-allocated by {}", -free)
            }
            Flag::NoSeat { part_number, .. } => format!("{part_number}: no free seat"),
            Flag::NoUsageLocation => "no usage location".into(),
            Flag::Renamed { old, new } => format!("user name {old} → {new}"),
            Flag::ProxiesDropped(p) => format!("proxy addresses dropped: {}", p.join(", ")),
        }
    }

    /// What to do about it, in words.
    pub fn advice(&self) -> &'static str {
        match self {
            Flag::Disabled => concat!(
                "sign-in fails until it is enabled: enable the account if the person should \
                 sign in (",
                enable_how!(),
                ")"
            ),
            Flag::NoSeat { .. } => {
                "buy seats or free some (Billing > Licenses), or remove this licence from the \
                 user; until then the user may stay unlicensed"
            }
            Flag::NoUsageLocation => {
                "set the user's usage location (Properties > Settings), or its licences are not \
                 applied"
            }
            Flag::Renamed { .. } => {
                "tell the person and update anything that used the old name (mail, apps)"
            }
            Flag::ProxiesDropped(_) => {
                "mail to those addresses now reaches the object that holds them; re-add them \
                 once freed if they should come back"
            }
        }
    }
}

/// The report for one restored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterCare {
    pub id: String,
    pub display_name: String,
    pub enabled: Known<Option<bool>>,
    pub usage_location: Known<Option<String>>,
    pub licences: Known<Vec<Seat>>,
    pub groups: Known<u64>,
    pub mailbox: Known<Mailbox>,
    pub flags: Vec<Flag>,
}

impl AfterCare {
    /// One line: the flags first, then what is fine.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self
            .flags
            .iter()
            .map(|f| match f {
                // On the result screen the consequence is what the admin must read.
                Flag::Disabled => format!("⚠ {DISABLED_BLOCKS}"),
                f => format!("⚠ {}", f.describe()),
            })
            .collect();
        if !self.flags.contains(&Flag::Disabled)
            && let Known::Yes(Some(true)) = self.enabled
        {
            parts.push("enabled".into());
        }
        match &self.licences {
            Known::Yes(l) if l.is_empty() => parts.push("no licence".into()),
            Known::Yes(l) => parts.push(format!(
                "licences {}",
                l.iter()
                    .map(|s| s.part_number.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            )),
            Known::Unknown(_) => parts.push("licences unknown (e: why)".into()),
        }
        match &self.groups {
            Known::Yes(n) => parts.push(crate::text::count(*n as usize, "group", "groups")),
            Known::Unknown(_) => parts.push("groups unknown (e: why)".into()),
        }
        match &self.mailbox {
            Known::Yes(m) => parts.push(m.words().into()),
            Known::Unknown(_) => parts.push("mailbox unknown (e: why)".into()),
        }
        if let Known::Yes(Some(loc)) = &self.usage_location {
            parts.push(format!("location {loc}"));
        }
        parts.join(" · ")
    }

    /// Every fact and flag with what to do, for `e`.
    pub fn details(&self) -> Vec<String> {
        let mut out = vec!["After-care (read after the restore):".to_string()];
        out.push(match &self.enabled {
            Known::Yes(Some(true)) => "Account: enabled".into(),
            Known::Yes(Some(false)) => "Account: disabled".into(),
            Known::Yes(None) => "Account: not said by the directory".into(),
            Known::Unknown(why) => format!("Account: unknown ({why})"),
        });
        out.push(match &self.usage_location {
            Known::Yes(Some(l)) => format!("Usage location: {l}"),
            Known::Yes(None) => "Usage location: none".into(),
            Known::Unknown(why) => format!("Usage location: unknown ({why})"),
        });
        match &self.licences {
            Known::Yes(l) if l.is_empty() => out.push("Licences: none".into()),
            Known::Yes(l) => {
                for s in l {
                    out.push(match s.free {
                        Some(f) if f < 0 => format!(
                            "Licence: {} (over-allocated by {})",
                            s.part_number,
                            crate::text::count(f.unsigned_abs() as usize, "seat", "seats")
                        ),
                        Some(0) => format!("Licence: {} (no free seat)", s.part_number),
                        Some(f) => format!(
                            "Licence: {} ({})",
                            s.part_number,
                            crate::text::count(f as usize, "free seat", "free seats")
                        ),
                        None => format!("Licence: {} (seats unknown)", s.part_number),
                    });
                }
            }
            Known::Unknown(why) => out.push(format!("Licences: unknown ({why})")),
        }
        out.push(match &self.groups {
            Known::Yes(n) => format!("Groups: member of {n}"),
            Known::Unknown(why) => format!("Groups: unknown ({why})"),
        });
        out.push(match &self.mailbox {
            Known::Yes(m) => m.detail().into(),
            Known::Unknown(why) => format!("Mailbox: unknown ({why})"),
        });
        for f in &self.flags {
            out.push(format!("⚠ {}: {}", f.describe(), f.advice()));
        }
        out
    }

    pub fn to_json(&self) -> Value {
        fn known<T: serde::Serialize>(k: &Known<T>) -> Value {
            match k {
                Known::Yes(v) => json!(v),
                Known::Unknown(why) => json!({ "unknown": why }),
            }
        }
        let licences = match &self.licences {
            Known::Yes(l) => json!(
                l.iter()
                    .map(|s| json!({"skuPartNumber": s.part_number, "freeSeats": s.free}))
                    .collect::<Vec<_>>()
            ),
            Known::Unknown(why) => json!({ "unknown": why }),
        };
        json!({
            "accountEnabled": known(&self.enabled),
            "usageLocation": known(&self.usage_location),
            "licences": licences,
            "groups": known(&self.groups),
            "mailbox": match &self.mailbox {
                Known::Yes(m) => json!(m.json()),
                Known::Unknown(why) => json!({ "unknown": why }),
            },
            "flags": self.flags.iter().map(|f| json!({
                "flag": f.describe(),
                "advice": f.advice(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// The report for one outcome from its reads and the tenant's SKUs.
pub fn build(
    o: &UserOutcome,
    reads: &UserReads,
    skus: &crate::directory::DirResult<Vec<Sku>>,
) -> AfterCare {
    let enabled = match &reads.user {
        Ok(u) => Known::Yes(u.account_enabled),
        Err(e) => Known::Unknown(e.message.clone()),
    };
    let usage_location = match &reads.user {
        Ok(u) => Known::Yes(u.usage_location.clone()),
        Err(e) => Known::Unknown(e.message.clone()),
    };
    let seats_of = |sku_id: &str| -> Option<i64> {
        skus.as_ref()
            .ok()
            .and_then(|s| s.iter().find(|k| k.sku_id.eq_ignore_ascii_case(sku_id)))
            .map(Sku::free)
    };
    // licenseDetails names the licences; the user's assignedLicenses stand in when it failed.
    let licences: Known<Vec<Seat>> = match (&reads.licences, &reads.user) {
        (Ok(l), _) => Known::Yes(
            l.iter()
                .map(|x| Seat {
                    part_number: x.part_number.clone(),
                    free: seats_of(&x.sku_id),
                })
                .collect(),
        ),
        (Err(_), Ok(u)) => Known::Yes(
            u.assigned_skus
                .iter()
                .map(|id| Seat {
                    part_number: skus
                        .as_ref()
                        .ok()
                        .and_then(|s| s.iter().find(|k| k.sku_id.eq_ignore_ascii_case(id)))
                        .map(|k| k.part_number.clone())
                        .unwrap_or_else(|| id.clone()),
                    free: seats_of(id),
                })
                .collect(),
        ),
        (Err(e), Err(_)) => Known::Unknown(e.message.clone()),
    };
    let mut flags = Vec::new();
    if enabled == Known::Yes(Some(false)) {
        flags.push(Flag::Disabled);
    }
    if let Known::Yes(l) = &licences {
        for s in l {
            if let Some(free) = s.free.filter(|f| *f <= 0) {
                flags.push(Flag::NoSeat {
                    part_number: s.part_number.clone(),
                    free,
                });
            }
        }
        if !l.is_empty() && usage_location == Known::Yes(None) {
            flags.push(Flag::NoUsageLocation);
        }
    }
    let new_upn = reads
        .user
        .as_ref()
        .ok()
        .map(|u| u.upn.clone())
        .or(o.upn.clone());
    if let Some(new) = new_upn
        && !new.eq_ignore_ascii_case(&o.original_upn)
        && !o.original_upn.is_empty()
    {
        flags.push(Flag::Renamed {
            old: o.original_upn.clone(),
            new,
        });
    }
    if let (Ok(u), Some(p)) = (&reads.user, &o.planned) {
        let dropped: Vec<String> = p
            .user
            .proxy_addresses
            .iter()
            .filter(|a| !u.proxy_addresses.iter().any(|b| b.eq_ignore_ascii_case(a)))
            .cloned()
            .collect();
        if !dropped.is_empty() {
            flags.push(Flag::ProxiesDropped(dropped));
        }
    }
    AfterCare {
        id: o.id.clone(),
        display_name: o.display_name.clone(),
        enabled,
        usage_location,
        licences,
        groups: Known::from_result(&reads.groups),
        mailbox: mailbox(&reads.mailbox, &reads.licences),
        flags,
    }
}

/// What the mailbox read means, told apart by the licences: no Exchange plan, no mailbox to
/// expect; an Exchange plan, one is on its way back.
fn mailbox(
    read: &crate::directory::DirResult<MailboxRead>,
    licences: &crate::directory::DirResult<Vec<crate::directory::aftercare::Licence>>,
) -> Known<Mailbox> {
    match (read, licences) {
        (Ok(MailboxRead::Found), _) => Known::Yes(Mailbox::Back),
        (Ok(MailboxRead::NotEnabled), Ok(l)) if l.iter().any(|l| l.exchange) => {
            Known::Yes(Mailbox::NotYet)
        }
        (Ok(MailboxRead::NotEnabled), Ok(_)) => Known::Yes(Mailbox::NoExchangeLicence),
        (Ok(MailboxRead::NotEnabled), Err(_)) => Known::Yes(Mailbox::NotFound),
        (Err(e), _) => Known::Unknown(e.message.clone()),
    }
}

/// Reads and builds the report for every restored outcome, in their order.
pub async fn report(dir: &dyn Directory, outcomes: &[UserOutcome]) -> Vec<AfterCare> {
    let restored: Vec<&UserOutcome> = outcomes.iter().filter(|o| o.restored()).collect();
    if restored.is_empty() {
        return Vec::new();
    }
    let ids: Vec<String> = restored.iter().map(|o| o.id.clone()).collect();
    let AfterCareReads { skus, users } = dir.after_care_reads(ids).await;
    restored
        .iter()
        .filter_map(|o| {
            users
                .iter()
                .find(|r| r.id == o.id)
                .map(|r| build(o, r, &skus))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::aftercare::{Licence, UserState};
    use crate::directory::{DeletedUser, DirectoryError};
    use crate::restore::plan::PlannedUser;

    fn outcome(upn_now: &str) -> UserOutcome {
        let mut u = DeletedUser::sample("1", "Adele Vance", "adele@contoso.com");
        u.proxy_addresses = vec![
            "SMTP:adele@contoso.com".into(),
            "smtp:av@contoso.com".into(),
        ];
        let mut o = UserOutcome::new("r", &PlannedUser::as_is(u), true);
        o.upn = Some(upn_now.into());
        o
    }

    fn sku(id: &str, part: &str, enabled: i64, consumed: i64) -> Sku {
        Sku {
            sku_id: id.into(),
            part_number: part.into(),
            enabled,
            consumed,
        }
    }

    #[test]
    fn each_flag_appears_only_when_it_applies() {
        let reads = UserReads {
            id: "1".into(),
            user: Ok(UserState {
                upn: "adele2@contoso.com".into(),
                proxy_addresses: vec!["SMTP:adele2@contoso.com".into()],
                account_enabled: Some(false),
                usage_location: None,
                assigned_skus: vec!["e5".into()],
            }),
            licences: Ok(vec![Licence {
                sku_id: "e5".into(),
                part_number: "SPE_E5".into(),
                exchange: true,
            }]),
            groups: Ok(3),
            mailbox: Ok(MailboxRead::NotEnabled),
        };
        let skus = Ok(vec![
            sku("e5", "SPE_E5", 10, 11),
            sku("e3", "ENTERPRISEPACK", 10, 2),
        ]);
        let care = build(&outcome("adele2@contoso.com"), &reads, &skus);
        assert!(care.flags.contains(&Flag::Disabled));
        assert!(care.flags.contains(&Flag::NoSeat {
            part_number: "SPE_E5".into(),
            free: -1
        }));
        assert!(care.flags.contains(&Flag::NoUsageLocation));
        assert!(
            care.flags
                .iter()
                .any(|f| matches!(f, Flag::Renamed { new, .. } if new == "adele2@contoso.com"))
        );
        assert!(
            care.flags
                .iter()
                .any(|f| matches!(f, Flag::ProxiesDropped(p) if p.len() == 2))
        );
        assert!(
            care.summary().starts_with("⚠ account disabled"),
            "{}",
            care.summary()
        );

        // A healthy user has no flag.
        let fine = UserReads {
            id: "1".into(),
            user: Ok(UserState {
                upn: "adele@contoso.com".into(),
                proxy_addresses: vec![
                    "SMTP:adele@contoso.com".into(),
                    "smtp:av@contoso.com".into(),
                ],
                account_enabled: Some(true),
                usage_location: Some("US".into()),
                assigned_skus: vec!["e3".into()],
            }),
            licences: Ok(vec![Licence {
                sku_id: "e3".into(),
                part_number: "ENTERPRISEPACK".into(),
                exchange: true,
            }]),
            groups: Ok(2),
            mailbox: Ok(MailboxRead::Found),
        };
        let care = build(&outcome("adele@contoso.com"), &fine, &skus);
        assert!(care.flags.is_empty(), "{:?}", care.flags);
        assert_eq!(
            care.summary(),
            "enabled · licences ENTERPRISEPACK · 2 groups · mailbox back · location US"
        );
    }

    #[test]
    fn the_mailbox_is_told_apart_by_the_licences() {
        let licence = |exchange| Licence {
            sku_id: "x".into(),
            part_number: "X".into(),
            exchange,
        };
        let not_enabled = Ok(MailboxRead::NotEnabled);
        assert_eq!(
            mailbox(&not_enabled, &Ok(vec![licence(true)])),
            Known::Yes(Mailbox::NotYet)
        );
        assert_eq!(
            mailbox(&not_enabled, &Ok(vec![licence(false)])),
            Known::Yes(Mailbox::NoExchangeLicence)
        );
        assert_eq!(
            mailbox(&not_enabled, &Ok(Vec::new())),
            Known::Yes(Mailbox::NoExchangeLicence)
        );
        assert_eq!(
            mailbox(&not_enabled, &Err(DirectoryError::network("x"))),
            Known::Yes(Mailbox::NotFound)
        );
        assert_eq!(
            mailbox(&Ok(MailboxRead::Found), &Ok(Vec::new())),
            Known::Yes(Mailbox::Back)
        );
        assert!(matches!(
            mailbox(&Err(DirectoryError::network("gone")), &Ok(Vec::new())),
            Known::Unknown(w) if w == "gone"
        ));
    }

    #[test]
    fn a_failed_read_is_unknown_with_its_reason_never_a_flag() {
        let forbidden = DirectoryError::new(
            crate::directory::ErrorKind::Forbidden,
            "Insufficient privileges to complete the operation.",
        );
        let reads = UserReads {
            id: "1".into(),
            user: Err(forbidden.clone()),
            licences: Err(forbidden.clone()),
            groups: Err(forbidden.clone()),
            mailbox: Err(forbidden),
        };
        let care = build(
            &outcome("adele@contoso.com"),
            &reads,
            &Err(DirectoryError::network("x")),
        );
        assert!(care.flags.is_empty());
        assert!(matches!(care.enabled, Known::Unknown(ref w) if w.contains("Insufficient")));
        assert!(
            care.summary().contains("licences unknown"),
            "{}",
            care.summary()
        );
        let details = care.details().join("\n");
        assert!(
            details.contains("Groups: unknown (Insufficient"),
            "{details}"
        );
    }
}
