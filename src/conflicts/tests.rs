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
        DeletedBy::Record(r) => assert!(r.by_sync && r.at.format("%d").to_string() == "11"),
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

/// The index against a plain model (every holder's keys in a list) over random holders and
/// delta pages: GUID and other ids, shared keys, changes, removals, and enough churn that the
/// arena is compacted.
#[test]
fn the_compact_index_finds_what_a_plain_list_finds() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(21);
    let domains = ["c.com", "Fabrikam.COM", "x.org"];
    let id = |n: u32| {
        if n.is_multiple_of(3) {
            format!("h{n}")
        } else {
            format!("00000000-0000-4000-8000-{n:012x}")
        }
    };
    let addr = |rng: &mut rand::rngs::StdRng| {
        format!(
            "u{}@{}",
            rng.random_range(0..400),
            domains[rng.random_range(0..domains.len())]
        )
    };
    let holder = |rng: &mut rand::rngs::StdRng, n: u32| {
        let kind = HolderKind::ALL[rng.random_range(0..3)];
        let upn = (kind == HolderKind::User).then(|| addr(rng));
        let proxies: Vec<String> = (0..rng.random_range(0..3))
            .map(|i| format!("{}:{}", if i == 0 { "SMTP" } else { "smtp" }, addr(rng)))
            .collect();
        Holder {
            kind,
            id: id(n),
            display_name: format!("Holder {n} ünï"),
            user_principal_name: upn,
            mail: rng.random_bool(0.5).then(|| addr(rng)),
            proxy_addresses: proxies,
        }
    };
    let mut model: Vec<Holder> = (0..3000).map(|n| holder(&mut rng, n)).collect();
    let mut index = ConflictIndex::build(&model);
    for round in 0..20 {
        let mut changes = Vec::new();
        for _ in 0..200 {
            let n = rng.random_range(0..3500);
            if rng.random_bool(0.3) {
                changes.push(HolderChange::Removed {
                    kind: HolderKind::User,
                    id: id(n),
                });
                model.retain(|h| h.id != id(n));
            } else {
                let h = holder(&mut rng, n);
                model.retain(|m| m.id != h.id);
                model.push(h.clone());
                changes.push(HolderChange::Upsert(h));
            }
        }
        index.apply(&changes);
        assert_eq!(index.len(), model.len(), "round {round}");
        for _ in 0..50 {
            let upn = addr(&mut rng);
            let d = deleted(
                "00000000-0000-4000-8000-0000000000aa",
                &upn,
                &[&format!("SMTP:{}", addr(&mut rng)), "SIP:x@c.com"],
            );
            let mut got: Vec<(String, String)> = index
                .conflicts_for(&d)
                .into_iter()
                .map(|c| (c.address, c.holder.id))
                .collect();
            let fold = |s: &str| s.to_lowercase();
            let mut want: Vec<(String, String)> = Vec::new();
            for h in &model {
                if h.user_principal_name
                    .as_deref()
                    .is_some_and(|u| fold(u) == fold(&d.original_upn))
                {
                    want.push((d.original_upn.clone(), h.id.clone()));
                }
            }
            for p in &d.proxy_addresses {
                let Some(a) = smtp_address(p) else { continue };
                for h in &model {
                    let holds = h
                        .proxy_addresses
                        .iter()
                        .filter_map(|x| smtp_address(x))
                        .chain(h.mail.as_deref())
                        .any(|x| fold(x) == fold(a));
                    if holds {
                        want.push((p.clone(), h.id.clone()));
                    }
                }
            }
            got.sort();
            want.sort();
            assert_eq!(got, want, "round {round}, {upn}");
            assert_eq!(index.has_conflict(&d), !want.is_empty());
        }
    }
    // Names and ids come back as they were given.
    let h = &model[0];
    let d = deleted(
        "00000000-0000-4000-8000-0000000000bb",
        h.user_principal_name
            .as_deref()
            .or(h.mail.as_deref())
            .unwrap_or("none@c.com"),
        &h.proxy_addresses
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    if let Some(c) = index.conflicts_for(&d).iter().find(|c| c.holder.id == h.id) {
        assert_eq!(c.holder.name, h.display_name);
        assert_eq!(c.holder.kind, h.kind);
    }
}

mod kept_files {
    use super::*;
    use crate::conflicts::kept;
    use crate::data_dir::DirectoryId;
    use crate::restore::Books;

    fn books(data: &std::path::Path, port: u16) -> Books {
        let id = DirectoryId::graph(
            &url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
            "5f1e2d3c-0000-4000-8000-000000000001",
        );
        Books::new(data, &id, "test")
    }

    fn swept() -> Sweep {
        let index = ConflictIndex::build(&[
            user(
                "5f1e2d3c-0000-4000-8000-00000000000a",
                "New Hire",
                "Alex.Wilber@Contoso.com",
                &["SMTP:alex.wilber@contoso.com", "smtp:aw@contoso.com"],
            ),
            other(HolderKind::Group, "g1", "Sales", Some("sales@c.com"), &[]),
        ]);
        Sweep::for_tests(index, Utc.with_ymd_and_hms(2026, 12, 7, 9, 12, 0).unwrap())
    }

    #[test]
    fn what_is_kept_reads_back_the_same_for_its_directory_only() {
        let data = tempfile::tempdir().unwrap();
        let mine = books(data.path(), 8080);
        assert!(
            kept::load_sweep(&mine).unwrap().is_none(),
            "nothing kept yet"
        );
        let sweep = swept();
        kept::save_sweep(&mine, &sweep).unwrap();
        let back = kept::load_sweep(&mine).unwrap().expect("kept");
        assert_eq!(back.as_of, sweep.as_of);
        assert_eq!(back.delta_links(), sweep.delta_links());
        assert_eq!(back.sources, sweep.sources);
        let d = deleted(
            "d1",
            "alex.wilber@contoso.com",
            &["smtp:AW@contoso.com", "smtp:sales@c.com"],
        );
        assert_eq!(back.index.conflicts_for(&d), sweep.index.conflicts_for(&d));
        assert_eq!(back.index.conflicts_for(&d).len(), 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in kept::files(&mine).iter().take(1) {
                let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", f.display());
            }
        }
        // Another directory has nothing kept, and a file moved over from one is not believed.
        let theirs = books(data.path(), 9090);
        assert!(kept::load_sweep(&theirs).unwrap().is_none());
        std::fs::create_dir_all(theirs.folder()).unwrap();
        std::fs::copy(&kept::files(&mine)[0], &kept::files(&theirs)[0]).unwrap();
        let e = kept::load_sweep(&theirs).unwrap_err();
        assert!(e.contains("was kept for another directory"), "{e}");
        // Forgetting is per directory.
        assert!(kept::forget(&theirs).unwrap());
        assert!(kept::load_sweep(&mine).unwrap().is_some());
    }

    #[test]
    fn a_damaged_file_is_refused_not_half_believed() {
        let data = tempfile::tempdir().unwrap();
        let mine = books(data.path(), 8080);
        kept::save_sweep(&mine, &swept()).unwrap();
        let path = &kept::files(&mine)[0];
        let whole = std::fs::read(path).unwrap();
        // Cut anywhere in the body, or a byte flipped in the arena: never a panic, never a
        // half index.
        for cut in (whole.len() - 120..whole.len()).step_by(7) {
            std::fs::write(path, &whole[..cut]).unwrap();
            let e = kept::load_sweep(&mine).unwrap_err();
            assert!(e.contains("damaged or from another version"), "{e}");
        }
        std::fs::write(path, b"undelete kept 0\n{}\n").unwrap();
        assert!(kept::load_sweep(&mine).is_err());
        #[cfg(unix)]
        {
            std::fs::remove_file(path).unwrap();
            let target = data.path().join("elsewhere");
            std::fs::write(&target, &whole).unwrap();
            std::os::unix::fs::symlink(&target, path).unwrap();
            let e = kept::load_sweep(&mine).unwrap_err();
            assert!(e.contains("symbolic link"), "{e}");
        }
    }

    #[test]
    fn the_deletion_log_keeps_who_when_and_the_flags() {
        let data = tempfile::tempdir().unwrap();
        let mine = books(data.path(), 8080);
        let sync = Initiator::User {
            id: None,
            user_principal_name: Some("Sync_DC01_abc@c.onmicrosoft.com".into()),
            display_name: None,
        };
        let log = DeletionLog::build([
            record("00000000-0000-4000-8000-0000000000d1", 11, "success", sync),
            record("d2", 12, "failure", Initiator::Unknown),
        ]);
        let state = DeletionsState {
            log,
            status: SourceStatus::Read { count: 2 },
            as_of: Utc.with_ymd_and_hms(2026, 12, 7, 9, 12, 0).unwrap(),
        };
        kept::save_deletions(&mine, &state).unwrap();
        let back = kept::load_deletions(&mine).unwrap().expect("kept");
        assert_eq!(back.as_of, state.as_of);
        assert_eq!(back.status, state.status);
        assert_eq!(back.log.records(), 2);
        for id in ["00000000-0000-4000-8000-0000000000D1", "D2"] {
            let u = DeletedUser::sample(id, "x", "x@c.com");
            assert_eq!(back.log.lookup(&u), state.log.lookup(&u), "{id}");
        }
        let u = DeletedUser::sample("00000000-0000-4000-8000-0000000000d1", "x", "x@c.com");
        assert!(back.log.by_sync(&u));

        // Many users, by GUID: the count check before reading them must fit what is written.
        let many = DeletionLog::build((0..1_000u32).map(|i| {
            let id = format!("00000000-0000-4000-8000-{i:012x}");
            record(&id, 1 + i % 28, "success", Initiator::Unknown)
        }));
        let state = DeletionsState {
            log: many,
            status: SourceStatus::Read { count: 1_000 },
            as_of: state.as_of,
        };
        kept::save_deletions(&mine, &state).unwrap();
        let back = kept::load_deletions(&mine).unwrap().expect("kept");
        assert_eq!(back.log.len(), 1_000);
    }

    #[test]
    fn fresh_means_younger_than_the_max_age() {
        let t = Utc.with_ymd_and_hms(2026, 12, 7, 9, 12, 0).unwrap();
        let min = std::time::Duration::from_secs(60);
        assert!(kept::fresh(t, t + chrono::Duration::minutes(14), 15 * min));
        assert!(!kept::fresh(t, t + chrono::Duration::minutes(16), 15 * min));
        assert!(
            !kept::fresh(t, t - chrono::Duration::minutes(1), 15 * min),
            "from the future"
        );
        assert!(!kept::fresh(
            t,
            t + chrono::Duration::seconds(1),
            std::time::Duration::ZERO
        ));
    }
}

#[test]
fn a_refused_token_is_said_once_in_words() {
    assert_eq!(refused_note(&[]), None);
    assert_eq!(
        refused_note(&[HolderKind::User, HolderKind::Group]).as_deref(),
        Some(
            "The directory refused the kept delta tokens of active users and groups (they \
             expire after 7 days): read in full again"
        )
    );
    let mut e = crate::directory::DirectoryError::new(ErrorKindForTest::BadRequest, "x");
    e.code = Some("syncStateNotFound".into());
    assert!(token_refused(&e));
    let mut gone = crate::directory::DirectoryError::new(ErrorKindForTest::Server, "x");
    gone.status = Some(410);
    assert!(token_refused(&gone));
    let net = crate::directory::DirectoryError::network("reset");
    assert!(!token_refused(&net), "no answer is not a refusal");
}

use crate::directory::ErrorKind as ErrorKindForTest;
