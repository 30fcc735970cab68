//! The sandbox against Microsoft's own description of Graph, not only against the clients we
//! happen to try: `fixtures/graph-facts.json` holds facts `scripts/graph-facts` derives from
//! Graph's v1.0 schema (CSDL, microsoftgraph/msgraph-metadata) and its permissions reference
//! (microsoftgraph/microsoft-graph-devx-content), each at the commit the fixture names.
//!
//! - Every route that returns something is sent, and every property of what comes back must be
//!   one its type declares, with the declared type and nullability (nested complex values,
//!   collections, enums and derived types such as `memberOf`'s groups included).
//! - Every route the reference lists accepts exactly the published permissions: a token
//!   carrying one permission, delegated or application, is tried for each permission the
//!   reference names anywhere for these routes (and each role the sandbox's app tokens carry),
//!   and is let through if and only if the reference lists it for that route and scheme.

use std::collections::BTreeSet;

use crate::common;

use common::*;
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use undelete_sandbox::{SandboxHandle, TokenSpec};

const FACTS: &str = include_str!("fixtures/graph-facts.json");

fn facts() -> Value {
    serde_json::from_str(FACTS).expect("the fixture is JSON")
}

/// Checks `v` against the declared type `ty` (`Edm.String`, `Collection(graph type)`, a type
/// name); every problem goes into `errors`, named by `at`.
fn check_value(f: &Value, at: &str, ty: &str, nullable: bool, v: &Value, errors: &mut Vec<String>) {
    if let Some(inner) = ty
        .strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
    {
        match v.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_value(f, &format!("{at}[{i}]"), inner, false, item, errors);
                }
            }
            None => errors.push(format!("{at}: {v} is not an array ({ty})")),
        }
        return;
    }
    if v.is_null() {
        if !nullable {
            errors.push(format!("{at}: null, but {ty} is not nullable"));
        }
        return;
    }
    let ok = match ty {
        "Edm.String" | "Edm.Duration" | "Edm.TimeOfDay" => v.is_string(),
        "Edm.Boolean" => v.is_boolean(),
        "Edm.Int16" | "Edm.Int32" | "Edm.Int64" | "Edm.Byte" => v.is_i64() || v.is_u64(),
        "Edm.Double" | "Edm.Single" | "Edm.Decimal" => v.is_number(),
        "Edm.DateTimeOffset" => v
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        "Edm.Date" => v
            .as_str()
            .is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()),
        "Edm.Guid" => v.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()),
        "Edm.Binary" => v.is_string(),
        "Edm.Stream" => true,
        name => {
            if let Some(members) = f["enums"][name].as_array() {
                // Flags enums join members with commas.
                v.as_str().is_some_and(|s| {
                    s.split(',')
                        .all(|m| members.iter().any(|x| x.as_str() == Some(m.trim())))
                })
            } else if f["types"][name].is_object() {
                check_object(f, at, name, v, errors);
                true
            } else {
                errors.push(format!("{at}: the fixture has no type {name}"));
                true
            }
        }
    };
    if !ok {
        errors.push(format!("{at}: {v} is not a {ty}"));
    }
}

/// Checks an object against `ty`, or against the derived type its `@odata.type` names.
fn check_object(f: &Value, at: &str, ty: &str, v: &Value, errors: &mut Vec<String>) {
    let Some(obj) = v.as_object() else {
        errors.push(format!("{at}: {v} is not an object ({ty})"));
        return;
    };
    let mut ty = ty.to_string();
    if let Some(cast) = obj.get("@odata.type").and_then(Value::as_str) {
        let name = cast
            .trim_start_matches('#')
            .trim_start_matches("microsoft.graph.");
        let derived = f["types"][&ty]["derived"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x.as_str() == Some(name)));
        if name != ty && !derived {
            errors.push(format!(
                "{at}: @odata.type {cast} is not {ty} or a type derived from it"
            ));
            return;
        }
        ty = name.to_string();
    }
    let props = &f["types"][&ty]["properties"];
    if !props.is_object() {
        errors.push(format!("{at}: the fixture has no properties of {ty}"));
        return;
    }
    for (k, value) in obj {
        if k.starts_with('@') || k.contains("@odata.") {
            continue;
        }
        let declared = &props[k];
        let Some(pty) = declared["type"].as_str() else {
            errors.push(format!("{at}.{k}: {ty} declares no property '{k}'"));
            continue;
        };
        let nullable = declared["nullable"].as_bool().unwrap_or(true);
        check_value(f, &format!("{at}.{k}"), pty, nullable, value, errors);
    }
}

/// What the routes need: a user to look at, its ids, and tokens that may read everything.
struct Subjects {
    user: String,
    deleted: String,
    app: String,
    delegated: String,
}

async fn subjects(h: &SandboxHandle) -> Subjects {
    let admin = h.admin_upn();
    let inspect = h.inspect();
    let user = inspect
        .active_ids()
        .into_iter()
        .find(|id| {
            inspect
                .upn(id)
                .is_some_and(|u| !u.eq_ignore_ascii_case(&admin))
                && !inspect.licence_parts(id).is_empty()
        })
        .expect("an active user with a licence");
    Subjects {
        user,
        deleted: inspect.deleted_ids()[0].clone(),
        app: app_token(h).await,
        delegated: inspect.issue_token(&TokenSpec::delegated(
            &admin,
            &["Directory.Read.All", "User.Read"],
        )),
    }
}

/// The property lists to `$select` on top of the default ones, so every property the sandbox
/// knows is checked, not only the default set.
const USER_SELECT: &str = "id,displayName,userPrincipalName,mail,mailNickname,givenName,surname,\
     jobTitle,userType,accountEnabled,businessPhones,mobilePhone,officeLocation,preferredLanguage,\
     deletedDateTime,department,proxyAddresses,onPremisesSyncEnabled,createdDateTime,\
     usageLocation,assignedLicenses";
const GROUP_SELECT: &str = "id,displayName,mail,mailEnabled,mailNickname,securityEnabled,\
     groupTypes,proxyAddresses,description,visibility,createdDateTime";

#[tokio::test]
async fn every_returned_property_is_declared_with_its_type_and_nullability() {
    let f = facts();
    let (_dir, h) = start_sandbox(40).await;
    let s = subjects(&h).await;
    let (user, deleted) = (s.user.as_str(), s.deleted.as_str());
    let groups = h.inspect().object_ids("group");
    let contacts = h.inspect().object_ids("contact");
    let (status, _, sps) = get(&graph(&h, "servicePrincipals"), &s.app).await;
    assert_eq!(status, 200, "{sps}");
    let sp = sps["value"][0]["id"]
        .as_str()
        .expect("a service principal")
        .to_string();
    let (_, _, apps) = get(&graph(&h, "applications"), &s.app).await;
    let app = apps["value"][0]["id"]
        .as_str()
        .expect("an application")
        .to_string();
    // A user with a mailbox (a licence with Exchange Online) and a usage location, for the
    // mailbox settings and a licence assignment.
    let inspect = h.inspect();
    let admin = h.admin_upn();
    let mailbox = inspect
        .active_ids()
        .into_iter()
        .find(|id| {
            inspect
                .upn(id)
                .is_some_and(|u| !u.eq_ignore_ascii_case(&admin))
                && inspect.usage_location(id).is_some()
                && inspect
                    .licence_parts(id)
                    .iter()
                    .any(|p| p == "ENTERPRISEPACK" || p == "SPE_E5")
        })
        .expect("an active user with a mailbox and a usage location");

    // (route key in the fixture, path to send, with the delegated token)
    let mut calls: Vec<(&str, String, bool)> = vec![
        ("GET /directory/deleteditems/microsoft.graph.user", "directory/deletedItems/microsoft.graph.user?$top=50".into(), false),
        ("GET /directory/deleteditems/microsoft.graph.user", format!("directory/deletedItems/microsoft.graph.user?$top=50&$select={USER_SELECT}"), false),
        ("GET /directory/deleteditems/{id}", format!("directory/deletedItems/{deleted}"), false),
        ("GET /users", "users?$top=50".into(), false),
        ("GET /users", format!("users?$top=50&$select={USER_SELECT}"), false),
        ("GET /users/{id}", format!("users/{user}"), false),
        ("GET /users/{id}", format!("users/{user}?$select={USER_SELECT}"), false),
        ("GET /users/delta", "users/delta()".into(), false),
        ("GET /groups", format!("groups?$select={GROUP_SELECT}"), false),
        ("GET /groups", "groups".into(), false),
        ("GET /groups/delta", "groups/delta".into(), false),
        ("GET /groups/{id}", format!("groups/{}", groups[0]), false),
        ("GET /contacts", "contacts".into(), false),
        ("GET /contacts/delta", "contacts/delta".into(), false),
        ("GET /contacts/{id}", format!("contacts/{}", contacts[0]), false),
        ("GET /auditlogs/directoryaudits", "auditLogs/directoryAudits?$top=50".into(), false),
        ("GET /users/{id}/authentication/temporaryaccesspassmethods", format!("users/{user}/authentication/temporaryAccessPassMethods"), false),
        ("GET /policies/authenticationmethodspolicy/authenticationmethodconfigurations/temporaryaccesspass", "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass".into(), false),
        ("GET /subscribedskus", "subscribedSkus".into(), false),
        ("GET /users/{id}/licensedetails", format!("users/{user}/licenseDetails"), false),
        ("GET /users/{id}/memberof", format!("users/{user}/memberOf"), false),
        ("GET /users/{id}/mailboxsettings", format!("users/{mailbox}/mailboxSettings"), false),
        ("GET /me", "me".into(), true),
        ("GET /me", format!("me?$select={USER_SELECT}"), true),
        ("GET /domains", "domains".into(), false),
        ("GET /domains/{id}", format!("domains/{}", h.domain()), false),
        ("GET /organization", "organization".into(), false),
        ("GET /serviceprincipals", "servicePrincipals".into(), false),
        ("GET /serviceprincipals/{id}", format!("servicePrincipals/{sp}"), false),
        ("GET /applications", "applications".into(), false),
        ("GET /applications/{id}", format!("applications/{app}"), false),
    ];
    // The same reads on beta answer with the same shapes.
    calls.push(("GET /users", "../beta/users?$top=5".into(), false));

    let mut errors = Vec::new();
    let mut checked = BTreeSet::new();
    let mut values = 0;
    // A pass first, so the user's list of them has one to check.
    let (status, _, tap) = send(
        Method::POST,
        &graph(
            &h,
            &format!("users/{user}/authentication/temporaryAccessPassMethods"),
        ),
        &s.app,
        Some(json!({"lifetimeInMinutes": 60, "isUsableOnce": true})),
    )
    .await;
    assert_eq!(status, 201, "{tap}");
    check_object(
        &f,
        "tap",
        "temporaryAccessPassAuthenticationMethod",
        &tap,
        &mut errors,
    );
    checked.insert("POST /users/{id}/authentication/temporaryaccesspassmethods");
    for (key, path, delegated) in &calls {
        let route = &f["routes"][*key];
        let ty = route["returns"]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: no type"));
        let token = if *delegated { &s.delegated } else { &s.app };
        let (status, _, body) = get(&graph(&h, path), token).await;
        assert_eq!(status, 200, "{path}: {body}");
        let items: Vec<Value> = if route["collection"].as_bool() == Some(true) {
            body["value"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| panic!("{path}: no value"))
        } else {
            vec![body]
        };
        assert!(!items.is_empty(), "{path}: nothing came back to check");
        for (i, item) in items.iter().enumerate() {
            check_object(&f, &format!("{path}[{i}]"), ty, item, &mut errors);
        }
        values += items.len();
        checked.insert(*key);
    }

    // The writes that answer with an entity: a restore, a licence assignment, a role assignment
    // (a new Temporary Access Pass is above).
    let (status, _, restored) = send(
        Method::POST,
        &graph(&h, &format!("directory/deletedItems/{deleted}/restore")),
        &s.app,
        None,
    )
    .await;
    if status == 200 {
        check_object(&f, "restore", "user", &restored, &mut errors);
        checked.insert("POST /directory/deleteditems/{id}/restore");
    } else {
        // The first deleted user may be in conflict: the next one that restores is checked.
        let next = h
            .inspect()
            .deleted_ids()
            .into_iter()
            .find(|id| id != deleted);
        let (status, _, restored) = send(
            Method::POST,
            &graph(
                &h,
                &format!("directory/deletedItems/{}/restore", next.expect("another")),
            ),
            &s.app,
            Some(json!({"autoReconcileProxyConflict": true})),
        )
        .await;
        assert_eq!(status, 200, "{restored}");
        check_object(&f, "restore", "user", &restored, &mut errors);
        checked.insert("POST /directory/deleteditems/{id}/restore");
    }

    // A licence the user holds, assigned again (no seat taken): the user comes back.
    let (status, _, held) = get(
        &graph(&h, &format!("users/{mailbox}/licenseDetails")),
        &s.app,
    )
    .await;
    assert_eq!(status, 200, "{held}");
    let sku = held["value"][0]["skuId"].as_str().expect("a licence");
    let (status, _, assigned) = send(
        Method::POST,
        &graph(&h, &format!("users/{mailbox}/assignLicense")),
        &s.app,
        Some(json!({"addLicenses": [{"skuId": sku, "disabledPlans": []}], "removeLicenses": []})),
    )
    .await;
    assert_eq!(status, 200, "{assigned}");
    check_object(&f, "assignLicense", "user", &assigned, &mut errors);
    checked.insert("POST /users/{id}/assignlicense");

    // A directory role (User Administrator) at the tenant's scope.
    let (status, _, assignment) = send(
        Method::POST,
        &graph(&h, "roleManagement/directory/roleAssignments"),
        &s.app,
        Some(json!({
            "principalId": user,
            "roleDefinitionId": "fe930be7-5e62-47db-91af-98c3a49a38b1",
            "directoryScopeId": "/",
        })),
    )
    .await;
    assert_eq!(status, 201, "{assignment}");
    check_object(
        &f,
        "roleAssignment",
        "unifiedRoleAssignment",
        &assignment,
        &mut errors,
    );
    checked.insert("POST /rolemanagement/directory/roleassignments");

    assert!(
        errors.is_empty(),
        "{} problems:\n{}",
        errors.len(),
        errors.join("\n")
    );
    // Every route of the fixture that returns something was sent.
    let returning: BTreeSet<&str> = f["routes"]
        .as_object()
        .expect("routes")
        .iter()
        .filter(|(_, r)| r["returns"].is_string())
        .map(|(k, _)| k.as_str())
        .collect();
    let missed: Vec<_> = returning.difference(&checked).collect();
    assert!(missed.is_empty(), "routes never sent: {missed:?}");
    assert!(values > 200, "only {values} values checked");
}

/// A request for `key` that reaches the permission check and, past it, changes nothing that
/// matters (unknown ids where a write would act).
fn request_for(key: &str, user: &str) -> (Method, String, Option<Value>) {
    let (method, path) = key.split_once(' ').expect("METHOD /path");
    let missing = "00000000-0000-0000-0000-00000000beef";
    let path = match path {
        "/directory/deleteditems/{id}/restore" => {
            format!("directory/deletedItems/{missing}/restore")
        }
        "/users/{id}" if method == "DELETE" => format!("users/{missing}"),
        "/users/{id}/authentication/temporaryaccesspassmethods" if method == "POST" => {
            format!("users/{missing}/authentication/temporaryAccessPassMethods")
        }
        "/users/{id}/authentication/temporaryaccesspassmethods/{id}" => {
            format!("users/{missing}/authentication/temporaryAccessPassMethods/{missing}")
        }
        // No `message`: refused as a bad request once the permission is checked.
        "/users/{id}/sendmail" => format!("users/{missing}/sendMail"),
        // A reference to nobody, in no group: refused as not found past the permission.
        "/groups/{id}/members/$ref" => format!("groups/{missing}/members/$ref"),
        // The reference spells `POST /groups/{id}/owners/$ref` without `$ref`.
        "/groups/{id}/owners" if method == "POST" => format!("groups/{missing}/owners/$ref"),
        "/users/{id}/assignlicense" => format!("users/{missing}/assignLicense"),
        "/rolemanagement/directory/roleassignments" => {
            "roleManagement/directory/roleAssignments".into()
        }
        p => p
            .trim_start_matches('/')
            .replace("{id}", user)
            .replace("deleteditems", "deletedItems")
            .replace("serviceprincipals", "servicePrincipals")
            .replace("directoryaudits", "directoryAudits")
            .replace("auditlogs", "auditLogs")
            .replace("subscribedskus", "subscribedSkus")
            .replace("licensedetails", "licenseDetails")
            .replace("memberof", "memberOf")
            .replace("temporaryaccesspassmethods", "temporaryAccessPassMethods")
            .replace("authenticationmethodspolicy", "authenticationMethodsPolicy")
            .replace(
                "authenticationmethodconfigurations",
                "authenticationMethodConfigurations",
            )
            .replace("temporaryaccesspass", "TemporaryAccessPass")
            .replace("sendmail", "sendMail")
            .replace("mailboxsettings", "mailboxSettings"),
    };
    let body = match path.as_str() {
        p if p.ends_with("/$ref") => Some(
            json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{missing}")}),
        ),
        p if p.ends_with("/assignLicense") => Some(json!({
            "addLicenses": [{"skuId": missing, "disabledPlans": []}],
            "removeLicenses": [],
        })),
        // An unknown principal: not found once the permission is checked.
        "roleManagement/directory/roleAssignments" => Some(json!({
            "principalId": missing,
            "roleDefinitionId": "fe930be7-5e62-47db-91af-98c3a49a38b1",
            "directoryScopeId": "/",
        })),
        _ => (method != "GET" && method != "DELETE").then(|| json!({})),
    };
    (method.parse().expect("method"), path, body)
}

#[tokio::test]
async fn each_route_accepts_exactly_the_published_permissions() {
    let f = facts();
    let (_dir, h) = start_sandbox(10).await;
    let inspect = h.inspect();
    let admin = h.admin_upn();
    let user = inspect
        .active_ids()
        .into_iter()
        .find(|id| {
            inspect
                .upn(id)
                .is_some_and(|u| !u.eq_ignore_ascii_case(&admin))
        })
        .expect("an active user");
    let routes = f["routes"].as_object().expect("routes");
    // Every permission the reference names for these routes, plus two it never does, plus the
    // roles the sandbox's own app tokens carry (`GroupMember.ReadWrite.All` is named by no
    // published route here, yet must be refused where the reference does not list it).
    let mut candidates: BTreeSet<String> = ["Calendars.Read", "Sites.Read.All"]
        .into_iter()
        .chain(undelete_sandbox::APP_ROLES.iter().copied())
        .map(String::from)
        .collect();
    for r in routes.values() {
        for scheme in ["delegated", "application"] {
            for p in r[scheme].as_array().into_iter().flatten() {
                candidates.insert(p.as_str().unwrap_or_default().to_string());
            }
        }
    }
    let list = |r: &Value, scheme: &str| -> BTreeSet<String> {
        r[scheme]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(String::from))
            .collect()
    };

    let mut problems = Vec::new();
    let mut tried = 0;
    for (key, r) in routes {
        // A PATCH's permission depends on the properties it changes: below.
        if key == "PATCH /users/{id}" {
            continue;
        }
        let (method, path, body) = request_for(key, &user);
        let url = graph(&h, &path);
        if r["published"] == false {
            // Not in the reference: the route must still be guarded.
            let token = inspect.issue_token(&TokenSpec::app(&["Calendars.Read"]));
            let (status, _, _) = send(method.clone(), &url, &token, body.clone()).await;
            if status != 403 {
                problems.push(format!(
                    "{key}: answered {status} to a token without permission"
                ));
            }
            continue;
        }
        // Graph refuses app tokens on /me whatever they carry ("/me request is only valid with
        // delegated authentication flow"), so only delegated tokens are tried there.
        let schemes: &[&str] = if path.starts_with("me") {
            &["delegated"]
        } else {
            &["delegated", "application"]
        };
        for &scheme in schemes {
            let published = list(r, scheme);
            let runs = candidates.iter().map(|perm| {
                let spec = if scheme == "delegated" {
                    TokenSpec::delegated(&admin, &[perm.as_str()])
                } else {
                    TokenSpec::app(&[perm.as_str()])
                };
                let token = inspect.issue_token(&spec);
                let (method, url, body) = (method.clone(), url.clone(), body.clone());
                async move {
                    let (status, _, reply) = send(method, &url, &token, body).await;
                    (perm.clone(), status, reply)
                }
            });
            for (perm, status, reply) in join_all(runs).await {
                tried += 1;
                let accepted = status != 403 && status != 401;
                if accepted != published.contains(&perm) {
                    problems.push(format!(
                        "{key} ({scheme}) with {perm}: {status}, but the reference {} it: {reply}",
                        if published.contains(&perm) {
                            "lists"
                        } else {
                            "does not list"
                        }
                    ));
                }
            }
        }
    }

    // PATCH /users/{id}: what a password change and an account switch accept are each part of
    // the reference's list for the path, and not empty.
    let patch = &routes["PATCH /users/{id}"];
    for (what, body) in [
        (
            "password",
            json!({"passwordProfile": {"password": "Conformance-Kettle-42!"}}),
        ),
        ("accountEnabled", json!({"accountEnabled": true})),
    ] {
        for scheme in ["delegated", "application"] {
            let published = list(patch, scheme);
            let mut accepted = BTreeSet::new();
            for perm in &candidates {
                let spec = if scheme == "delegated" {
                    TokenSpec::delegated(&admin, &[perm.as_str()])
                } else {
                    TokenSpec::app(&[perm.as_str()])
                };
                let token = inspect.issue_token(&spec);
                let url = graph(&h, "users/00000000-0000-0000-0000-00000000beef");
                let (status, _, _) = send(Method::PATCH, &url, &token, Some(body.clone())).await;
                tried += 1;
                if status != 403 {
                    accepted.insert(perm.clone());
                }
            }
            if accepted.is_empty() || !accepted.is_subset(&published) {
                problems.push(format!(
                    "PATCH /users/{{id}} {what} ({scheme}): accepts {accepted:?}, the reference lists {published:?}"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(tried > 1000, "only {tried} tokens tried");
}

#[test]
fn the_fixture_names_its_sources() {
    let f = facts();
    for source in ["schema", "permissions"] {
        let commit = f["sources"][source]["commit"].as_str().unwrap_or("");
        assert_eq!(commit.len(), 40, "{source}: {commit}");
        assert!(f["sources"][source]["repository"].is_string());
    }
}
