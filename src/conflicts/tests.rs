use chrono::{TimeZone, Utc};

use super::*;
use crate::directory::{DeletionRecord, Holder, HolderChange, Initiator};

fn user(id: &str, name: &str, upn: &str, proxies: &[&str]) -> Holder {
    Holder {
        kind: HolderKind::User,
        id: id.into(),
        display_name: name.into(),
        user_principal_name: Some(upn.into()),
        mail: Some(upn.into()),
        proxy_addresses: proxies.iter().map(|p| p.to_string()).collect(),
    }
}

fn other(kind: HolderKind, id: &str, name: &str, mail: Option<&str>, proxies: &[&str]) -> Holder {
    Holder {
        kind,
        id: id.into(),
        display_name: name.into(),
        user_principal_name: None,
        mail: mail.map(str::to_string),
        proxy_addresses: proxies.iter().map(|p| p.to_string()).collect(),
    }
}

fn deleted(id: &str, upn: &str, proxies: &[&str]) -> DeletedUser {
    let mut u = DeletedUser::sample(id, "Deleted", upn);
    u.proxy_addresses = proxies.iter().map(|p| p.to_string()).collect();
    u
}

#[test]
fn a_taken_upn_is_found_whatever_its_case() {
    let index = ConflictIndex::build(&[user("h1", "New Hire", "Alex.Wilber@Contoso.com", &[])]);
    let c = index.conflicts_for(&deleted("d1", "alex.wilber@contoso.com", &[]));
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].kind, ConflictKind::Upn);
    assert_eq!(c[0].address, "alex.wilber@contoso.com");
    assert_eq!(
        c[0].holder,
        HolderRef {
            kind: HolderKind::User,
            id: "h1".into(),
            name: "New Hire".into()
        }
    );
    assert!(
        index
            .conflicts_for(&deleted("d2", "alex.wilber2@contoso.com", &[]))
            .is_empty()
    );
}

#[test]
fn smtp_prefixes_and_case_do_not_matter_but_other_address_types_do() {
    let index = ConflictIndex::build(&[user(
        "h1",
        "Shared",
        "shared@c.com",
        &["SMTP:shared@c.com", "smtp:AW@C.com", "SIP:sip@c.com"],
    )]);
    // Primary held as an alias, alias held as a primary: both collide.
    let d = deleted("d1", "alex@c.com", &["SMTP:aw@c.com", "smtp:Shared@C.COM"]);
    let c = index.conflicts_for(&d);
    let addresses: Vec<&str> = c.iter().map(|c| c.address.as_str()).collect();
    assert_eq!(addresses, ["SMTP:aw@c.com", "smtp:Shared@C.COM"]);
    assert!(c.iter().all(|c| c.kind == ConflictKind::Proxy));
    // A SIP address is not an SMTP address: no conflict on it, either way round.
    let d = deleted("d2", "x@c.com", &["SIP:sip@c.com", "smtp:sip@c.com"]);
    assert!(index.conflicts_for(&d).is_empty());
    // The same address twice on the deleted user is one conflict.
    let d = deleted("d3", "y@c.com", &["SMTP:aw@c.com", "smtp:AW@c.com"]);
    assert_eq!(index.conflicts_for(&d).len(), 1);
}

#[test]
fn groups_and_contacts_hold_addresses_too() {
    let index = ConflictIndex::build(&[
        other(
            HolderKind::Group,
            "g1",
            "Sales",
            Some("sales@c.com"),
            &["SMTP:sales@c.com"],
        ),
        other(
            HolderKind::Contact,
            "k1",
            "Alex (external)",
            Some("alex@c.com"),
            &[],
        ),
    ]);
    let d = deleted("d1", "alex@c.com", &["SMTP:alex@c.com", "smtp:sales@c.com"]);
    let c = index.conflicts_for(&d);
    // A contact's mail is not a user name: only proxy conflicts.
    assert!(c.iter().all(|c| c.kind == ConflictKind::Proxy));
    let kinds: Vec<HolderKind> = c.iter().map(|c| c.holder.kind).collect();
    assert_eq!(kinds, [HolderKind::Contact, HolderKind::Group]);
    assert_eq!(
        c[1].describe(),
        "proxy address smtp:sales@c.com is held by group \"Sales\" (g1)"
    );
    assert_eq!(c[1].offer(&index), "remove conflicting proxy addresses");
    assert_eq!(index.count(HolderKind::Group), 1);
    assert_eq!(index.count(HolderKind::Contact), 1);
}

#[test]
fn a_user_is_never_its_own_conflict_after_a_rename() {
    // Restored under a new name and still in the deleted list (stale), or renamed while the
    // index holds it: its own id is not a holder of its own values.
    let index = ConflictIndex::build(&[user(
        "d1",
        "Alex",
        "alex@c.com",
        &["SMTP:alex2@c.com", "smtp:alex@c.com"],
    )]);
    let d = deleted("D1", "alex@c.com", &["SMTP:alex@c.com"]);
    assert!(index.conflicts_for(&d).is_empty());
}

#[test]
fn the_offer_for_a_taken_name_is_the_first_free_one() {
    let index = ConflictIndex::build(&[
        user("h1", "A", "alex@c.com", &[]),
        user("h2", "B", "ALEX2@c.com", &[]),
    ]);
    let c = index.conflicts_for(&deleted("d1", "alex@c.com", &[]));
    assert_eq!(
        c[0].offer(&index),
        "choose a new user name, e.g. alex3@c.com"
    );
}

#[test]
fn delta_pages_add_change_and_remove_holders() {
    let mut index = ConflictIndex::build(&[
        user("h1", "Holder", "alex@c.com", &["SMTP:alex@c.com"]),
        other(HolderKind::Group, "g1", "G", Some("g@c.com"), &[]),
    ]);
    let d = deleted(
        "d1",
        "alex@c.com",
        &["SMTP:alex@c.com", "smtp:g@c.com", "smtp:n@c.com"],
    );
    assert_eq!(index.conflicts_for(&d).len(), 3);
    index.apply(&[
        // h1 renamed: its old name and address are free now.
        HolderChange::Upsert(user("h1", "Holder", "holder@c.com", &["SMTP:holder@c.com"])),
        // g1 deleted.
        HolderChange::Removed {
            kind: HolderKind::Group,
            id: "g1".into(),
        },
        // A new contact takes an alias; added then changed in the same page: the last wins.
        HolderChange::Upsert(other(
            HolderKind::Contact,
            "k1",
            "K",
            Some("old@c.com"),
            &[],
        )),
        HolderChange::Upsert(other(HolderKind::Contact, "k1", "K", Some("n@c.com"), &[])),
    ]);
    let c = index.conflicts_for(&d);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].holder.id, "k1");
    assert_eq!(c[0].address, "smtp:n@c.com");
    assert_eq!(index.count(HolderKind::Group), 0);
    assert_eq!(index.count(HolderKind::User), 1);
    assert_eq!(index.count(HolderKind::Contact), 1);
    assert!(!index.upn_taken("alex@c.com") && index.upn_taken("HOLDER@c.com"));
    // A removal of something never seen changes nothing; removed slots are reused.
    index.apply(&[HolderChange::Removed {
        kind: HolderKind::User,
        id: "nobody".into(),
    }]);
    index.apply(&[HolderChange::Upsert(user("h9", "New", "alex@c.com", &[]))]);
    assert_eq!(index.len(), 3);
    assert_eq!(index.conflicts_for(&d)[0].holder.id, "h9");
}

#[test]
fn a_full_reread_replaces_one_kind_only() {
    let mut index = ConflictIndex::build(&[
        user("h1", "U", "u@c.com", &[]),
        other(HolderKind::Group, "g1", "G", Some("g@c.com"), &[]),
    ]);
    index.replace_kind(
        HolderKind::Group,
        vec![other(HolderKind::Group, "g2", "G2", Some("g2@c.com"), &[])],
    );
    assert!(index.upn_taken("u@c.com"));
    let d = deleted("d", "x@c.com", &["smtp:g@c.com", "smtp:g2@c.com"]);
    let c = index.conflicts_for(&d);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].holder.id, "g2");
}

#[test]
fn two_holders_of_one_address_are_both_named() {
    let index = ConflictIndex::build(&[
        other(HolderKind::Group, "g1", "G", None, &["smtp:x@c.com"]),
        other(HolderKind::Contact, "k1", "K", Some("X@c.com"), &[]),
    ]);
    let c = index.conflicts_for(&deleted("d", "d@c.com", &["SMTP:x@c.com"]));
    assert_eq!(c.len(), 2);
    let mut index = index;
    index.apply(&[HolderChange::Removed {
        kind: HolderKind::Group,
        id: "g1".into(),
    }]);
    let c = index.conflicts_for(&deleted("d", "d@c.com", &["SMTP:x@c.com"]));
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].holder.id, "k1");
}

#[test]
fn join_lists_only_conflicted_users() {
    let index = ConflictIndex::build(&[user("h1", "U", "a@c.com", &[])]);
    let users = vec![deleted("d1", "a@c.com", &[]), deleted("d2", "b@c.com", &[])];
    let m = join(&index, &users);
    assert_eq!(m.len(), 1);
    assert!(m.contains_key("d1"));
}

fn record(target: &str, day: u32, result: &str, by: Initiator) -> DeletionRecord {
    DeletionRecord {
        id: format!("a-{target}-{day}"),
        target_id: target.into(),
        target_upn: None,
        at: Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap(),
        result: result.into(),
        result_reason: None,
        initiated_by: by,
    }
}

#[test]
fn deletions_join_by_id_and_prefer_the_latest_success() {
    let admin = Initiator::User {
        id: None,
        user_principal_name: Some("admin@c.com".into()),
        display_name: None,
    };
    let sync = Initiator::User {
        id: None,
        user_principal_name: Some("Sync_DC01_abc@c.onmicrosoft.com".into()),
        display_name: Some(crate::directory::audits::SYNC_ACCOUNT_NAME.into()),
    };
    let log = DeletionLog::build([
        record("d1", 10, "success", admin.clone()),
        record("d1", 12, "failure", admin.clone()),
        record("d1", 11, "success", sync.clone()),
        record("d2", 20, "success", admin),
    ]);
    assert_eq!(log.records(), 4);
    let mut u = DeletedUser::sample("D1", "x", "x@c.com");
    match log.lookup(&u) {
        DeletedBy::Record(r) => assert!(r.by_sync() && r.at.format("%d").to_string() == "11"),
        other => panic!("{other:?}"),
    }
    assert!(log.by_sync(&u));
    u.id = "d3".into();
    u.deleted_at = Some(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
    assert_eq!(log.lookup(&u), DeletedBy::BeyondRetention);
    u.deleted_at = Some(Utc.with_ymd_and_hms(2026, 11, 15, 0, 0, 0).unwrap());
    assert_eq!(log.lookup(&u), DeletedBy::NotFound);
    assert!(!log.by_sync(&u));
}

#[test]
fn source_statuses_say_what_is_missing() {
    let s = SourceStatus::NotPermitted {
        needs: "AuditLog.Read.All",
    };
    assert_eq!(
        s.describe("audit log"),
        "audit log: not permitted: needs AuditLog.Read.All"
    );
    assert!(!s.is_complete());
    assert!(SourceStatus::Read { count: 3 }.is_complete());
}
