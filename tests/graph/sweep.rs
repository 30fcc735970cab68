//! The conflict sweep's reads over real HTTP: groups and org contacts, the delta rounds of
//! users, groups and contacts, the directory audit log, and the app's sweep and deletion log
//! on top of them, with a permission taken away.

use crate::common;

use std::collections::HashSet;

use chrono::Utc;
use common::*;
use reqwest::Method;
use serde_json::Value;
use undelete::conflicts::{self, ConflictKind, DeletedBy, SourceStatus};
use undelete::directory::{HolderKind, all_deleted};
use undelete_sandbox::TokenSpec;

/// Every page of a listing from `url`; returns the items and the last page's body.
async fn walk(url: &str, token: &str) -> (Vec<Value>, Value, usize) {
    let mut url = url.to_string();
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let (status, _, body) = get(&url, token).await;
        assert_eq!(status, 200, "{url}: {body}");
        pages += 1;
        items.extend(body["value"].as_array().cloned().unwrap_or_default());
        match body["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with("http://127.0.0.1"), "{next}");
                assert!(next.contains("$skiptoken="), "{next}");
                url = next.to_string();
            }
            None => return (items, body, pages),
        }
    }
}

#[tokio::test]
async fn groups_and_contacts_page_with_select_and_need_their_permission() {
    let (_dir, h) = start_sandbox(250).await;
    let token = app_token(&h).await;
    for (path, kind) in [("groups", "group"), ("contacts", "contact")] {
        let url = graph(
            &h,
            &format!("{path}?$select=id,displayName,mail,proxyAddresses&$top=3"),
        );
        let (items, last, pages) = walk(&url, &token).await;
        let ids: HashSet<&str> = items.iter().filter_map(|o| o["id"].as_str()).collect();
        let seeded = h.inspect().object_ids(kind);
        assert_eq!(ids.len(), seeded.len(), "{path}: every object once");
        assert!(seeded.len() >= 10, "{path}: {}", seeded.len());
        assert_eq!(pages, seeded.len().div_ceil(3));
        for o in &items {
            let keys: HashSet<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                HashSet::from(["id", "displayName", "mail", "proxyAddresses"]),
                "{o}"
            );
        }
        assert!(
            last["@odata.context"].as_str().is_some_and(
                |c| c.ends_with(&format!("#{path}(id,displayName,mail,proxyAddresses)"))
            )
        );
        let (status, _, body) = get(&graph(&h, &format!("{path}?$select=nope")), &token).await;
        assert_eq!(status, 400);
        assert_graph_error(&body, "BadRequest");
        let one = &seeded[0];
        let (status, _, body) = get(&graph(&h, &format!("{path}/{one}")), &token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["id"], one.as_str());
    }
    // A token without group or contact permissions is refused, as Graph does.
    let users_only = h.inspect().issue_token(&TokenSpec::app(&["User.Read.All"]));
    for path in ["groups", "contacts", "groups/delta", "contacts/delta"] {
        let (status, _, body) = get(&graph(&h, path), &users_only).await;
        assert_eq!(status, 403, "{path}");
        assert_graph_error(&body, "Authorization_RequestDenied");
    }
}

#[tokio::test]
async fn the_sweep_finds_dozens_of_conflicts_held_by_users_groups_and_contacts() {
    let (_dir, h) = start_sandbox(250).await;
    let dir = sandbox_directory(&h, "sweep-tests");
    let users = all_deleted(dir.as_ref()).await.expect("deleted users");
    let sweep = conflicts::sweep(dir.as_ref(), chrono::Utc::now()).await;
    assert!(sweep.is_complete(), "{:?}", sweep.problems());
    assert_eq!(
        sweep.index.count(HolderKind::User),
        h.inspect().active_ids().len()
    );
    let joined = conflicts::join(&sweep.index, &users);
    assert!(
        joined.len() >= 24,
        "dozens of conflicted users: {}",
        joined.len()
    );
    let all: Vec<&conflicts::Conflict> = joined.values().flatten().collect();
    for kind in HolderKind::ALL {
        assert!(
            all.iter().any(|c| c.holder.kind == kind),
            "some conflict is held by a {kind}"
        );
    }
    assert!(all.iter().any(|c| c.kind == ConflictKind::Upn));
    // Each conflict is real: the restore of its user without choices is refused.
    let upn_conflicted = users
        .iter()
        .find(|u| {
            joined
                .get(&u.id)
                .is_some_and(|c| c.iter().any(|c| c.kind == ConflictKind::Upn))
        })
        .expect("a UPN conflict");
    let token = app_token(&h).await;
    let (status, _, body) = send(
        Method::POST,
        &graph(
            &h,
            &format!("directory/deletedItems/{}/restore", upn_conflicted.id),
        ),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let offer = joined[&upn_conflicted.id]
        .iter()
        .find(|c| c.kind == ConflictKind::Upn)
        .map(|c| c.offer(&sweep.index))
        .unwrap_or_default();
    assert!(
        offer.starts_with("choose a new user name, e.g. "),
        "{offer}"
    );
}

#[tokio::test]
async fn a_first_delta_round_lists_everyone_then_links_the_next() {
    let (_dir, h) = start_sandbox(600).await;
    let token = app_token(&h).await;
    let url = graph(
        &h,
        "users/delta?$select=id,displayName,userPrincipalName,proxyAddresses",
    );
    let (items, last, pages) = walk(&url, &token).await;
    let active = h.inspect().active_ids();
    assert_eq!(items.len(), active.len());
    assert_eq!(pages, active.len().div_ceil(200));
    let link = last["@odata.deltaLink"].as_str().expect("deltaLink");
    assert!(
        link.contains("/v1.0/users/delta?") && link.contains("$deltatoken="),
        "{link}"
    );
    assert!(link.contains("$select="), "the link keeps $select: {link}");
    // Nothing changed since: an empty round with a link again.
    let (status, _, body) = get(link, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"], Value::Array(vec![]));
    assert!(body["@odata.deltaLink"].is_string());
    // A token that is not ours, or another collection's, is refused.
    let (status, _, _) = get(&graph(&h, "users/delta?$deltatoken=garbage"), &token).await;
    assert_eq!(status, 400);
    let groups_link = walk(&graph(&h, "groups/delta"), &token).await.1["@odata.deltaLink"]
        .as_str()
        .unwrap()
        .to_string();
    let stolen = groups_link.replace("/groups/delta", "/users/delta");
    let (status, _, _) = get(&stolen, &token).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn delta_rounds_report_restores_deletions_and_removed_objects() {
    let (_dir, h) = start_sandbox(60).await;
    let token = app_token(&h).await;
    let latest = |path: &str| graph(&h, &format!("{path}/delta?$deltatoken=latest"));
    let mut links = Vec::new();
    for path in ["users", "groups", "contacts"] {
        let (status, _, body) = get(&latest(path), &token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["value"], Value::Array(vec![]));
        links.push(body["@odata.deltaLink"].as_str().unwrap().to_string());
    }
    // Changes: a user restored, an active user deleted, a group added, a contact removed.
    let deleted = h.inspect().deleted_ids();
    let (upns, proxies) = active_names(&h, &token).await;
    let all = common::all_deleted(&h, &token).await;
    let restored = restorable(&all, &upns, &proxies)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(deleted.contains(&restored));
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, &format!("directory/deletedItems/{restored}/restore")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let admin = h.admin_upn();
    let victim = h
        .inspect()
        .active_ids()
        .into_iter()
        .find(|id| *id != restored && h.inspect().upn(id).as_deref() != Some(admin.as_str()))
        .unwrap();
    let (status, _, _) = send(
        Method::DELETE,
        &graph(&h, &format!("users/{victim}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(h.inspect().put_object(
        "group",
        "00000000-0000-0000-0000-00000000a11c",
        "New Group",
        Some("new.group@contoso.sandbox"),
        &["SMTP:new.group@contoso.sandbox"],
    ));
    let contact = h.inspect().object_ids("contact")[0].clone();
    assert!(h.inspect().remove_object(&contact));

    let (users, last, _) = walk(&links[0], &token).await;
    let by_id = |items: &[Value], id: &str| items.iter().find(|i| i["id"] == id).cloned();
    let r = by_id(&users, &restored).expect("the restored user is reported");
    assert!(r.get("@removed").is_none());
    assert!(r["userPrincipalName"].is_string());
    let v = by_id(&users, &victim).expect("the deleted user is reported");
    assert_eq!(v["@removed"]["reason"], "changed");
    assert_eq!(users.len(), 2, "{users:?}");
    let next_users = last["@odata.deltaLink"].as_str().unwrap().to_string();
    let (groups, _, _) = walk(&links[1], &token).await;
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["displayName"], "New Group");
    let (contacts, _, _) = walk(&links[2], &token).await;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["id"], contact.as_str());
    assert_eq!(contacts[0]["@removed"]["reason"], "deleted");
    // The next round starts after these.
    let (again, _, _) = walk(&next_users, &token).await;
    assert!(again.is_empty(), "{again:?}");
}

#[tokio::test]
async fn a_refresh_applies_only_what_changed() {
    let (_dir, h) = start_sandbox(250).await;
    let dir = sandbox_directory(&h, "sweep-tests");
    let users = all_deleted(dir.as_ref()).await.unwrap();
    let mut sweep = conflicts::sweep(dir.as_ref(), chrono::Utc::now()).await;
    let joined = conflicts::join(&sweep.index, &users);
    // Find a user whose conflicts are all one active user's (its UPN, and its address with
    // it), and delete that holder.
    let (user_id, holder) = joined
        .iter()
        .find_map(|(id, c)| {
            let first = &c[0].holder;
            let one_holder = c.iter().all(|c| c.holder == *first);
            let upn = c.iter().any(|c| c.kind == ConflictKind::Upn);
            (one_holder && upn).then(|| (id.clone(), first.id.clone()))
        })
        .expect("a conflict with one active user");
    let token = app_token(&h).await;
    let (status, _, _) = send(
        Method::DELETE,
        &graph(&h, &format!("users/{holder}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let before = h.inspect().request_count();
    let changes =
        conflicts::read_changes(dir.as_ref(), sweep.delta_links(), chrono::Utc::now()).await;
    // One delta request per kind: nothing is read again in full.
    assert_eq!(h.inspect().request_count() - before, 3);
    assert_eq!(changes.len(), 1);
    sweep.apply(changes);
    assert!(sweep.is_complete());
    let user = users.iter().find(|u| u.id == user_id).unwrap();
    assert!(sweep.index.conflicts_for(user).is_empty());
    // The deleted holder is itself a deleted user now, not a holder.
    assert!(!sweep.index.upn_taken(&user.original_upn));
}

#[tokio::test]
async fn the_audit_log_answers_with_graphs_shape_filter_and_paging() {
    let (_dir, h) = start_sandbox(250).await;
    let token = app_token(&h).await;
    let since = (Utc::now() - chrono::Duration::days(30)).format("%Y-%m-%dT%H:%M:%SZ");
    let url = graph(
        &h,
        &format!(
            "auditLogs/directoryAudits?$filter=activityDisplayName eq 'Delete user' and activityDateTime ge {since}&$top=100"
        ),
    );
    let (records, _, pages) = walk(&url, &token).await;
    assert!(pages >= 3);
    let ok: Vec<&Value> = records
        .iter()
        .filter(|r| r["result"] == "success")
        .collect();
    assert_eq!(ok.len(), 250, "one successful record per seeded deletion");
    assert!(records.iter().any(|r| r["result"] == "failure"));
    let r = ok[0];
    for field in [
        "id",
        "category",
        "correlationId",
        "result",
        "resultReason",
        "activityDisplayName",
        "activityDateTime",
        "loggedByService",
        "operationType",
        "initiatedBy",
        "targetResources",
        "additionalDetails",
    ] {
        assert!(r.get(field).is_some(), "{field}: {r}");
    }
    assert_eq!(r["targetResources"][0]["type"], "User");
    // Newest first.
    let times: Vec<&str> = records
        .iter()
        .filter_map(|r| r["activityDateTime"].as_str())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    assert!(
        records
            .iter()
            .any(|r| r["initiatedBy"]["app"]["displayName"].is_string())
    );
    assert!(records.iter().any(|r| {
        r["initiatedBy"]["user"]["displayName"]
            == "On-Premises Directory Synchronization Service Account"
    }));
    // A deletion served now is recorded, with the app as its actor.
    let victim = h
        .inspect()
        .active_ids()
        .into_iter()
        .find(|id| h.inspect().upn(id).as_deref() != Some(h.admin_upn().as_str()))
        .unwrap();
    let (status, _, _) = send(
        Method::DELETE,
        &graph(&h, &format!("users/{victim}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let url = graph(
        &h,
        &format!("auditLogs/directoryAudits?$filter=targetResources/any(t:t/id eq '{victim}')"),
    );
    let (status, _, body) = get(&url, &token).await;
    assert_eq!(status, 200, "{body}");
    let v = body["value"].as_array().unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["activityDisplayName"], "Delete user");
    assert_eq!(
        v[0]["initiatedBy"]["app"]["appId"],
        "11111111-2222-3333-4444-555555555555"
    );
    let (status, _, body) = get(
        &graph(
            &h,
            "auditLogs/directoryAudits?$filter=activityDisplayName ne 'x'",
        ),
        &token,
    )
    .await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "Request_UnsupportedQuery");
}

#[tokio::test]
async fn the_deletion_log_names_who_deleted_every_seeded_user() {
    let (_dir, h) = start_sandbox(250).await;
    let dir = sandbox_directory(&h, "sweep-tests");
    let users = all_deleted(dir.as_ref()).await.unwrap();
    let state = conflicts::read_deletions(dir.as_ref(), Utc::now()).await;
    assert!(state.status.is_complete(), "{:?}", state.status);
    let mut by_sync = 0;
    for u in &users {
        match state.log.lookup(u) {
            DeletedBy::Record(r) => {
                assert!(r.succeeded, "{r:?}");
                assert_eq!(r.by_sync, u.on_premises_sync_enabled, "{}", u.id);
                by_sync += usize::from(r.by_sync);
            }
            other => panic!("{}: {other:?}", u.id),
        }
    }
    assert!(by_sync > 5, "{by_sync}");
}

#[tokio::test]
async fn without_a_permission_its_read_says_so_and_the_others_go_on() {
    let (_dir, h) = start_sandbox_with(60, |c| {
        c.deny("AuditLog.Read.All").deny("OrgContact.Read.All")
    })
    .await;
    let token = app_token(&h).await;
    let (status, _, body) = get(&graph(&h, "auditLogs/directoryAudits"), &token).await;
    assert_eq!(status, 403);
    assert_graph_error(&body, "Authorization_RequestDenied");
    let dir = sandbox_directory(&h, "sweep-tests");
    let state = conflicts::read_deletions(dir.as_ref(), Utc::now()).await;
    assert_eq!(
        state.status,
        SourceStatus::NotPermitted {
            needs: "AuditLog.Read.All"
        }
    );
    let sweep = conflicts::sweep(dir.as_ref(), chrono::Utc::now()).await;
    assert!(sweep.status(HolderKind::User).is_complete());
    assert!(sweep.status(HolderKind::Group).is_complete());
    assert_eq!(
        sweep.problems(),
        ["org contacts: not permitted: needs OrgContact.Read.All"]
    );
    assert!(sweep.index.count(HolderKind::User) > 0);
    assert_eq!(sweep.index.count(HolderKind::Contact), 0);
    // A refresh tries the refused kind again, and still says why it cannot read it.
    let mut sweep = sweep;
    sweep.refresh(dir.as_ref(), chrono::Utc::now()).await;
    assert_eq!(sweep.problems().len(), 1);
}

#[tokio::test]
async fn an_expired_delta_token_is_refused_as_graph_does_and_that_kind_is_read_in_full() {
    let (_dir, h) = start_sandbox(250).await;
    let dir = sandbox_directory(&h, "sweep-tests");
    let users = all_deleted(dir.as_ref()).await.unwrap();
    let mut sweep = conflicts::sweep(dir.as_ref(), Utc::now()).await;
    let joined = conflicts::join(&sweep.index, &users);
    let (user_id, holder) = joined
        .iter()
        .find_map(|(id, c)| {
            let first = &c[0].holder;
            let one_holder = c.iter().all(|c| c.holder == *first);
            let upn = c.iter().any(|c| c.kind == ConflictKind::Upn);
            (one_holder && upn).then(|| (id.clone(), first.id.clone()))
        })
        .expect("a conflict with one active user");
    let token = app_token(&h).await;
    let (status, _, _) = send(
        Method::DELETE,
        &graph(&h, &format!("users/{holder}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    h.expire_delta_tokens();
    // Graph's answer to a token past its 7 days, word for word.
    let link = sweep.delta_links()[0].clone().expect("a users delta link");
    let (status, _, body) = get(&link, &token).await;
    assert_eq!(status, 400, "{body}");
    assert_graph_error(&body, "syncStateNotFound");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("The delta token is expired"),
        "{body}"
    );
    // The refresh reads every kind in full instead, says which, and still finds the change.
    let changes = conflicts::read_changes(dir.as_ref(), sweep.delta_links(), Utc::now()).await;
    assert_eq!(changes.refused(), &HolderKind::ALL[..]);
    let note = conflicts::refused_note(changes.refused()).expect("said");
    assert!(
        note.contains("active users, groups and org contacts"),
        "{note}"
    );
    sweep.apply(changes);
    assert!(sweep.is_complete(), "{:?}", sweep.problems());
    let user = users.iter().find(|u| u.id == user_id).unwrap();
    assert!(sweep.index.conflicts_for(user).is_empty());
    // The links that full read brought are of the new generation: the next round is one
    // delta request per kind, and nothing is refused.
    let before = h.inspect().request_count();
    let changes = conflicts::read_changes(dir.as_ref(), sweep.delta_links(), Utc::now()).await;
    assert!(changes.refused().is_empty());
    assert_eq!(changes.len(), 0);
    assert_eq!(h.inspect().request_count() - before, 3);
}

#[tokio::test]
async fn a_kept_sweep_is_brought_up_to_date_by_one_delta_round_in_the_next_run() {
    use undelete::conflicts::kept;
    use undelete::data_dir::DirectoryId;
    use undelete::restore::Books;

    let (_dir, h) = start_sandbox(250).await;
    let data = tempfile::tempdir().unwrap();
    let books = Books::new(
        data.path(),
        &DirectoryId::graph(h.base_url(), "sandbox"),
        "sweep-tests",
    );
    let dir = sandbox_directory(&h, "sweep-tests");
    let users = all_deleted(dir.as_ref()).await.unwrap();
    let first = conflicts::sweep(dir.as_ref(), Utc::now()).await;
    let conflicted = conflicts::join(&first.index, &users).len();
    kept::save_sweep(&books, &first).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&kept::files(&books)[0])
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    drop(first);
    // The next run: what was kept, then one delta request per kind.
    let mut again = kept::load_sweep(&books).unwrap().expect("kept");
    assert_eq!(conflicts::join(&again.index, &users).len(), conflicted);
    let before = h.inspect().request_count();
    let refused = again.refresh(dir.as_ref(), Utc::now()).await;
    assert!(refused.is_empty());
    assert_eq!(h.inspect().request_count() - before, 3);
    assert!(again.is_complete());
    assert_eq!(conflicts::join(&again.index, &users).len(), conflicted);
}
