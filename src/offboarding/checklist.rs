//! What the restore dialog offers back for one user, as a checklist: each thing offboarding
//! took, ticked or not before the admin says anything, with the few words that say why. The
//! rule reads what the tenant has (free seats, from `subscribedSkus`) and what the sign-in may
//! do (the permission it lacks); the dialog only draws it and flips ticks.

use super::read::{Found, Offer};
use crate::directory::aftercare::Sku;
use crate::directory::bring_back::BringBack;

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub offer: Offer,
    pub ticked: bool,
    /// Why it cannot be ticked at all (the sign-in lacks the permission), in words.
    pub blocked: Option<String>,
    /// What the admin should know before ticking it: seats free, a privileged role, when
    /// sign-in was blocked and by whom.
    pub note: Option<String>,
    /// The admin flipped it: a later read (seats) does not undo the choice.
    pub touched: bool,
}

/// The checklist for `found`: `seats` is the tenant's products once read (a licence with no
/// free seat is said and not ticked), `lacks` names the permission the sign-in lacks for a
/// line, if any.
pub fn checklist(
    found: &Found,
    seats: Option<&[Sku]>,
    lacks: &dyn Fn(&BringBack) -> Option<&'static str>,
) -> Vec<Pick> {
    found
        .offers()
        .into_iter()
        .map(|offer| pick(found, offer, seats, lacks))
        .collect()
}

fn pick(
    found: &Found,
    offer: Offer,
    seats: Option<&[Sku]>,
    lacks: &dyn Fn(&BringBack) -> Option<&'static str>,
) -> Pick {
    let blocked = lacks(&offer.item).map(|p| format!("the sign-in lacks {p}"));
    let mut ticked = offer.ticked && blocked.is_none();
    let note = match &offer.item {
        // Without a usage location the directory refuses any licence: said before, not after.
        BringBack::Licence { .. } if found.usage_location == Some(None) => {
            ticked = false;
            Some("the user has no usage location: set one first".into())
        }
        BringBack::Licence { sku_id, .. } => match seats {
            None => None,
            Some(skus) => match skus.iter().find(|s| s.sku_id.eq_ignore_ascii_case(sku_id)) {
                None => {
                    ticked = false;
                    Some("the tenant no longer has this product".into())
                }
                Some(s) if s.free() <= 0 => {
                    ticked = false;
                    Some("no free seat: free one first".into())
                }
                Some(s) => Some(crate::text::count(
                    s.free() as usize,
                    "seat free",
                    "seats free",
                )),
            },
        },
        BringBack::SignIn => found
            .taken
            .sign_in
            .as_ref()
            .map(|s| format!("blocked on {} by {}", s.at.format("%Y-%m-%d"), s.by)),
        BringBack::Role { .. } if offer.privileged => {
            Some("privileged: never ticked for you".into())
        }
        BringBack::Role { .. } => Some("ticked by hand only".into()),
        BringBack::Group { .. } => None,
    };
    Pick {
        offer,
        ticked,
        blocked,
        note,
        touched: false,
    }
}

/// The free seats shared out across several users' checklists, in their order: once a
/// product's seats are all spoken for by the users above, a later user's line for it is
/// unticked and says so (a line the admin ticked stays: theirs to decide).
pub fn share_seats(lists: &mut [&mut Vec<Pick>], seats: &[Sku]) {
    let mut left: Vec<(String, i64)> = seats
        .iter()
        .map(|s| (s.sku_id.to_ascii_lowercase(), s.free()))
        .collect();
    for picks in lists.iter_mut() {
        for p in picks.iter_mut() {
            let BringBack::Licence { sku_id, .. } = &p.offer.item else {
                continue;
            };
            let Some((_, free)) = left
                .iter_mut()
                .find(|(id, _)| id.eq_ignore_ascii_case(sku_id))
            else {
                continue;
            };
            if !p.ticked {
                continue;
            }
            if *free <= 0 && !p.touched {
                p.ticked = false;
                p.note = Some("no seat left: the users above take the last ones".into());
            }
            *free -= 1;
        }
    }
}

/// A new reading of the same checklist (the seats arrived): the admin's own ticks stay.
pub fn refresh(old: &[Pick], new: Vec<Pick>) -> Vec<Pick> {
    new.into_iter()
        .map(|mut p| {
            if let Some(o) = old
                .iter()
                .find(|o| o.offer.item == p.offer.item && o.touched)
            {
                p.ticked = o.ticked && p.blocked.is_none();
                p.touched = true;
            }
            p
        })
        .collect()
}

/// Flips a tick; `Err` says why it cannot be ticked.
pub fn toggle(p: &mut Pick) -> Result<(), String> {
    if let Some(why) = &p.blocked {
        return Err(format!(
            "{} cannot come back: {why}",
            p.offer.item.describe()
        ));
    }
    p.ticked = !p.ticked;
    p.touched = true;
    Ok(())
}

/// What the ticked lines give back.
pub fn ticked(picks: &[Pick]) -> Vec<BringBack> {
    picks
        .iter()
        .filter(|p| p.ticked)
        .map(|p| p.offer.item.clone())
        .collect()
}

/// What the checklist's tests (here, the dialog's and the snapshots) start from.
#[doc(hidden)]
pub mod fixtures {
    use std::collections::HashMap;

    use chrono::{TimeZone, Utc};

    use crate::offboarding::licence::LicenceEntry;
    use crate::offboarding::read::Found;
    use crate::offboarding::{GroupTaken, LicenceTaken, RoleTaken, Step, Taken};

    pub fn step() -> Step {
        Step {
            at: Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap(),
            by: "HR Offboarding Automation".into(),
        }
    }

    /// A user an offboarding took a group, two licences (e5, e3), sign-in and Global
    /// Administrator from, three days before its deletion.
    pub fn found() -> Found {
        let licence = |id: &str, name: &str| LicenceTaken {
            licence: LicenceEntry {
                sku_id: id.into(),
                sku_name: Some(name.into()),
                disabled_plans: vec![],
            },
            step: step(),
        };
        Found {
            user_id: "u1".into(),
            taken: Taken {
                groups: vec![GroupTaken {
                    id: "g1".into(),
                    name: Some("Sales".into()),
                    owner: false,
                    step: step(),
                }],
                licences: vec![licence("e5", "SPE_E5"), licence("e3", "SPE_E3")],
                sign_in: Some(step()),
                roles: vec![RoleTaken {
                    // Global Administrator: privileged.
                    template_id: Some("62e90394-69f5-4237-9190-012177145e10".into()),
                    role_id: None,
                    name: Some("Global Administrator".into()),
                    step: step(),
                }],
            },
            from: step().at - chrono::Duration::days(30),
            to: step().at + chrono::Duration::days(3),
            groups: HashMap::new(),
            usage_location: Some(Some("GB".into())),
        }
    }

    pub fn sku(id: &str, enabled: i64, consumed: i64) -> crate::directory::aftercare::Sku {
        crate::directory::aftercare::Sku {
            sku_id: id.into(),
            part_number: id.to_uppercase(),
            enabled,
            consumed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{found, sku};
    use super::*;
    use crate::directory::bring_back::Kind;

    #[test]
    fn seats_and_permissions_decide_the_ticks_and_say_why() {
        let skus = [sku("e5", 20, 20), sku("e3", 20, 3)];
        let picks = checklist(&found(), Some(&skus), &|k| {
            (k.kind() == Kind::SignIn).then_some("User.EnableDisableAccount.All")
        });
        let line = |p: &Pick| (p.offer.item.describe(), p.ticked, p.note.clone());
        assert_eq!(
            picks.iter().map(line).collect::<Vec<_>>(),
            vec![
                ("group Sales".into(), true, None),
                (
                    "licence SPE_E5".into(),
                    false,
                    Some("no free seat: free one first".into())
                ),
                ("licence SPE_E3".into(), true, Some("17 seats free".into())),
                (
                    "sign-in".into(),
                    false,
                    Some("blocked on 2026-11-28 by HR Offboarding Automation".into())
                ),
                (
                    "role Global Administrator".into(),
                    false,
                    Some("privileged: never ticked for you".into())
                ),
            ]
        );
        assert!(
            picks[3]
                .blocked
                .as_deref()
                .unwrap()
                .contains("EnableDisable")
        );
        assert_eq!(ticked(&picks).len(), 2);
    }

    #[test]
    fn a_user_without_a_usage_location_gets_no_licence_ticked_and_is_told_why() {
        let mut f = found();
        f.usage_location = Some(None);
        let skus = [sku("e5", 20, 3), sku("e3", 20, 3)];
        let picks = checklist(&f, Some(&skus), &|_| None);
        for p in picks
            .iter()
            .filter(|p| p.offer.item.kind() == Kind::Licences)
        {
            assert!(!p.ticked, "{p:?}");
            assert!(
                p.note.as_deref().unwrap().contains("no usage location"),
                "{p:?}"
            );
        }
        assert!(picks[0].ticked, "the group still comes back");
        // Unknown (not read): offered as usual.
        f.usage_location = None;
        assert!(checklist(&f, Some(&skus), &|_| None)[1].ticked);
    }

    #[test]
    fn the_last_seats_go_to_the_first_users_and_the_next_one_is_told() {
        let skus = [sku("e5", 20, 20), sku("e3", 20, 18)];
        let lacks_nothing = |_: &BringBack| None;
        let mut lists: Vec<Vec<Pick>> = (0..3)
            .map(|_| checklist(&found(), Some(&skus), &lacks_nothing))
            .collect();
        // The third user's SPE_E3 was ticked by the admin: kept (and refused, said, if so).
        lists[2][2].touched = true;
        let mut refs: Vec<&mut Vec<Pick>> = lists.iter_mut().collect();
        share_seats(&mut refs, &skus);
        let e3: Vec<bool> = lists.iter().map(|l| l[2].ticked).collect();
        assert_eq!(e3, [true, true, true]);
        lists[2][2].touched = false;
        let mut refs: Vec<&mut Vec<Pick>> = lists.iter_mut().collect();
        share_seats(&mut refs, &skus);
        let e3: Vec<bool> = lists.iter().map(|l| l[2].ticked).collect();
        assert_eq!(e3, [true, true, false], "two seats free, three users");
        assert!(
            lists[2][2]
                .note
                .as_deref()
                .unwrap()
                .contains("no seat left")
        );
    }

    #[test]
    fn the_admins_ticks_outlive_a_later_read_and_a_blocked_item_stays_off() {
        let lacks_nothing = |_: &BringBack| None;
        let mut picks = checklist(&found(), None, &lacks_nothing);
        // Seats unknown yet: every licence is ticked.
        assert!(picks[1].ticked && picks[2].ticked);
        toggle(&mut picks[2]).unwrap();
        toggle(&mut picks[4]).unwrap();
        let skus = [sku("e5", 20, 20), sku("e3", 20, 3)];
        let picks = refresh(&picks, checklist(&found(), Some(&skus), &lacks_nothing));
        assert!(!picks[1].ticked, "no seat: unticked by the read");
        assert!(!picks[2].ticked, "unticked by the admin: stays so");
        assert!(picks[4].ticked, "a role ticked by hand stays ticked");

        let mut blocked = checklist(&found(), None, &|_| Some("GroupMember.ReadWrite.All"));
        assert!(blocked.iter().all(|p| !p.ticked));
        let err = toggle(&mut blocked[0]).unwrap_err();
        assert!(err.contains("GroupMember.ReadWrite.All"), "{err}");
        assert!(!blocked[0].ticked);
    }
}
