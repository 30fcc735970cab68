use chrono::TimeZone;
use serde_json::{Value, json};

use super::*;
use crate::directory::audit_events::parse_event_page;

const USER: &str = "5e2b1c4d-0000-4000-8000-000000000001";
const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";
const EXCHANGE_ADMIN: &str = "29232cdf-9323-42fd-ade2-1d097af3e4de";

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn hr() -> Value {
    json!({"app":{"appId":"a1","displayName":"HR Offboarding Automation"},"user":null})
}

fn admin() -> Value {
    json!({"user":{"id":"adm","userPrincipalName":"admin@contoso.com"},"app":null})
}

fn prop(name: &str, old: Option<&str>, new: Option<&str>) -> Value {
    json!({"displayName": name, "oldValue": old, "newValue": new})
}

fn record(activity: &str, when: DateTime<Utc>, by: Value, targets: Value) -> Value {
    json!({"id": format!("Directory_{activity}_{when}"), "activityDisplayName": activity,
        "activityDateTime": when.to_rfc3339(), "result": "success", "initiatedBy": by,
        "targetResources": targets})
}

fn user(props: Vec<Value>) -> Value {
    json!({"id": USER.to_uppercase(), "type": "User", "userPrincipalName": "ana@contoso.com",
        "modifiedProperties": props})
}

/// Entra's shape: the group in the user target's properties, JSON-quoted, and as a second
/// target.
fn group_removal(activity: &str, when: DateTime<Utc>, id: &str, name: &str) -> Value {
    record(
        activity,
        when,
        hr(),
        json!([
            user(vec![
                prop("Group.ObjectID", Some(&format!("\"{id}\"")), None),
                prop("Group.DisplayName", Some(&format!("\"{name}\"")), None),
            ]),
            {"id": id, "type": "Group", "displayName": name}
        ]),
    )
}

fn licence_change(when: DateTime<Utc>, old: &[&str], new: &[&str]) -> Value {
    let list = |skus: &[&str]| {
        let items: Vec<String> = skus
            .iter()
            .map(|s| {
                format!(
                    "[SkuName=SKU_{}, AccountId=acc, SkuId={s}, DisabledPlans=[p-1]]",
                    &s[..4]
                )
            })
            .collect();
        serde_json::to_string(&items).unwrap()
    };
    record(
        UPDATE_USER,
        when,
        admin(),
        json!([user(vec![prop(
            "AssignedLicense",
            Some(&list(old)),
            Some(&list(new))
        )])]),
    )
}

fn taken_from(records: Vec<Value>, deleted: DateTime<Utc>) -> Taken {
    let body = serde_json::to_vec(&json!({ "value": records })).unwrap();
    let events = parse_event_page(&body).unwrap().events;
    what_was_taken(USER, deleted, &events)
}

#[test]
fn a_whole_offboarding_is_read_back() {
    let t = taken_from(
        vec![
            group_removal(REMOVE_MEMBER, at(28, 9), "G-SALES", "Sales Team"),
            group_removal(REMOVE_OWNER, at(28, 9), "g-plan", "Planning"),
            licence_change(at(28, 10), &[E5, EMS], &[EMS]),
            record(DISABLE_ACCOUNT, at(28, 11), hr(), json!([user(vec![])])),
            record(
                REMOVE_ROLE_MEMBER,
                at(28, 12),
                admin(),
                json!([user(vec![
                    prop("Role.DisplayName", Some("\"Exchange Administrator\""), None),
                    prop(
                        "Role.TemplateId",
                        Some(&format!("\"{EXCHANGE_ADMIN}\"")),
                        None
                    ),
                    prop("Role.ObjectID", Some("\"role-obj-1\""), None),
                ])]),
            ),
        ],
        at(30, 8),
    );
    assert_eq!(t.groups.len(), 2);
    assert_eq!(t.groups[0].id, "g-sales", "ids are lowercased");
    assert_eq!(t.groups[0].name.as_deref(), Some("Sales Team"));
    assert!(!t.groups[0].owner && t.groups[1].owner);
    assert_eq!(t.licences.len(), 1);
    assert_eq!(t.licences[0].licence.sku_id, E5);
    assert_eq!(t.licences[0].licence.disabled_plans, ["p-1"]);
    assert_eq!(t.sign_in.as_ref().map(|s| s.at), Some(at(28, 11)));
    assert_eq!(t.roles.len(), 1);
    assert_eq!(t.roles[0].template_id.as_deref(), Some(EXCHANGE_ADMIN));
    assert_eq!(t.roles[0].name.as_deref(), Some("Exchange Administrator"));
    assert_eq!(t.first_at(), Some(at(28, 9)));
    assert_eq!(
        t.actors(),
        ["app HR Offboarding Automation", "admin@contoso.com"],
        "the most frequent first"
    );
}

#[test]
fn what_was_given_back_before_the_deletion_cancels_out() {
    let t = taken_from(
        vec![
            group_removal(REMOVE_MEMBER, at(27, 9), "g-1", "Sales"),
            record(
                ADD_MEMBER,
                at(27, 10),
                admin(),
                json!([user(vec![prop("Group.ObjectID", None, Some("\"G-1\""))])]),
            ),
            licence_change(at(27, 11), &[E5], &[]),
            licence_change(at(27, 12), &[], &[E5]),
            record(DISABLE_ACCOUNT, at(27, 13), hr(), json!([user(vec![])])),
            record(
                UPDATE_USER,
                at(27, 14),
                admin(),
                json!([user(vec![prop(
                    "AccountEnabled",
                    Some("[false]"),
                    Some("[true]")
                )])]),
            ),
            record(
                REMOVE_ROLE_MEMBER,
                at(27, 15),
                admin(),
                json!([user(vec![prop(
                    "Role.TemplateId",
                    Some(EXCHANGE_ADMIN),
                    None
                )])]),
            ),
            record(
                ADD_ROLE_MEMBER,
                at(27, 16),
                admin(),
                json!([user(vec![prop(
                    "Role.TemplateId",
                    None,
                    Some(EXCHANGE_ADMIN)
                )])]),
            ),
        ],
        at(30, 8),
    );
    assert!(t.is_empty(), "{t:?}");
}

#[test]
fn only_the_user_s_own_successful_records_before_its_deletion_count() {
    let mut failed = group_removal(REMOVE_MEMBER, at(28, 9), "g-1", "Sales");
    failed["result"] = json!("failure");
    let mut someone_else = group_removal(REMOVE_MEMBER, at(28, 9), "g-2", "Ops");
    someone_else["targetResources"][0]["id"] = json!("another-user");
    let t = taken_from(
        vec![
            failed,
            someone_else,
            // After the deletion (a later restore's clean-up): not the offboarding's.
            group_removal(REMOVE_MEMBER, at(30, 9), "g-3", "Late"),
            group_removal(REMOVE_MEMBER, at(30, 8), "g-4", "At the deletion"),
        ],
        at(30, 8),
    );
    assert_eq!(t.groups.len(), 1);
    assert_eq!(t.groups[0].id, "g-4");
}

#[test]
fn the_group_is_found_from_the_second_target_alone_and_values_may_be_bare() {
    let t = taken_from(
        vec![
            record(
                REMOVE_MEMBER,
                at(28, 9),
                hr(),
                json!([user(vec![]), {"id": "g-1", "type": "Group", "displayName": "Old Name"}]),
            ),
            record(
                REMOVE_MEMBER,
                at(28, 10),
                hr(),
                json!([user(vec![
                    prop("Group.ObjectID", Some("g-2"), None),
                    prop("Group.DisplayName", Some("Unquoted"), None),
                ])]),
            ),
            // No group named anywhere: nothing to bring back.
            record(REMOVE_MEMBER, at(28, 11), hr(), json!([user(vec![])])),
        ],
        at(30, 8),
    );
    let names: Vec<_> = t
        .groups
        .iter()
        .map(|g| (g.id.as_str(), g.name.as_deref()))
        .collect();
    assert_eq!(
        names,
        [("g-1", Some("Old Name")), ("g-2", Some("Unquoted"))]
    );
}

#[test]
fn sign_in_from_an_update_user_and_a_licence_change_in_two_steps() {
    let t = taken_from(
        vec![
            record(
                UPDATE_USER,
                at(28, 9),
                hr(),
                json!([user(vec![prop(
                    "AccountEnabled",
                    Some("[true]"),
                    Some("[false]")
                )])]),
            ),
            // Entra's companion record of the same change: the first step is kept.
            record(DISABLE_ACCOUNT, at(28, 10), hr(), json!([user(vec![])])),
            licence_change(at(28, 11), &[E5, EMS], &[E5]),
            licence_change(at(28, 12), &[E5], &[]),
            // A licence taken twice is said once, with its last taking.
            licence_change(at(28, 13), &[], &[EMS]),
            licence_change(at(28, 14), &[EMS], &[]),
        ],
        at(30, 8),
    );
    assert_eq!(t.sign_in.as_ref().map(|s| s.at), Some(at(28, 9)));
    let skus: Vec<_> = t
        .licences
        .iter()
        .map(|l| (l.licence.sku_id.as_str(), l.step.at))
        .collect();
    assert_eq!(skus, [(E5, at(28, 12)), (EMS, at(28, 14))]);
}

#[test]
fn a_role_is_one_role_whether_named_by_template_or_object() {
    let t = taken_from(
        vec![
            record(
                REMOVE_ROLE_MEMBER,
                at(28, 9),
                admin(),
                json!([user(vec![]), {"id": "ROLE-OBJ", "type": "Role", "displayName": "Helpdesk Administrator"}]),
            ),
            record(
                REMOVE_ROLE_MEMBER,
                at(28, 10),
                admin(),
                json!([user(vec![
                    prop("Role.ObjectID", Some("\"role-obj\""), None),
                    prop("Role.DisplayName", Some("\"Helpdesk Administrator\""), None),
                ])]),
            ),
        ],
        at(30, 8),
    );
    assert_eq!(t.roles.len(), 1, "{:?}", t.roles);
    assert_eq!(t.roles[0].step.at, at(28, 10));
}
