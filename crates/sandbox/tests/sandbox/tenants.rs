//! Several tenants in one sandbox, over HTTP: tokens per authority, Graph answering from the
//! token's tenant only (an id of another tenant is a 404, both ways), GDAP redemption of a
//! partner's refresh token at its customers (and Entra's refusals elsewhere), a tenant that
//! refuses every sign-in, deterministic seeds, per-tenant quotas and a store per tenant.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::Method;
use serde_json::{Value, json};
use undelete_sandbox::{
    GDAP_ROLES, Gdap, SandboxConfig, SandboxHandle, SeedOptions, TenantInfo, spawn,
};

use crate::common::{assert_graph_error, client, get, graph, send, split};

const CLIENT: &str = "5b1f9c1e-6a44-4c55-9a43-1f2d3c4b5a69";
const DELETED: &str = "directory/deletedItems/microsoft.graph.user?$top=999";

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT has a payload");
    serde_json::from_slice(&B64.decode(payload).expect("base64url")).expect("JSON claims")
}

async fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = client().post(url).form(form).send().await.expect("POST");
    let (status, _, body) = split(resp).await;
    (status, body)
}

fn login(h: &SandboxHandle, authority: &str, path: &str) -> String {
    format!("{}{authority}/{path}", h.base_url())
}

fn aadsts(body: &Value) -> u64 {
    body["error_codes"][0].as_u64().unwrap_or(0)
}

async fn start(
    dir: &std::path::Path,
    adjust: impl FnOnce(SandboxConfig) -> SandboxConfig,
) -> SandboxHandle {
    spawn(adjust(SandboxConfig::new(dir).users(16).tenants(3)))
        .await
        .expect("sandbox starts")
}

fn tenant<'a>(h: &'a [TenantInfo], domain: &str) -> &'a TenantInfo {
    h.iter()
        .find(|t| t.domain == domain)
        .unwrap_or_else(|| panic!("{domain} is served"))
}

/// Client credentials at `authority`: (status, body).
async fn app_token_at(h: &SandboxHandle, authority: &str) -> (u16, Value) {
    post_form(
        &login(h, authority, "oauth2/v2.0/token"),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", h.client_secret()),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await
}

async fn app_token(h: &SandboxHandle, authority: &str) -> String {
    let (status, body) = app_token_at(h, authority).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("token").to_string()
}

/// A device-code sign-in at `authority`, polled to its end: (status, body) of the last poll.
async fn device_sign_in(h: &SandboxHandle, authority: &str) -> (u16, Value) {
    let (status, dc) = post_form(
        &login(h, authority, "oauth2/v2.0/devicecode"),
        &[
            ("client_id", CLIENT),
            (
                "scope",
                "https://graph.microsoft.com/.default openid offline_access",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{dc}");
    let code = dc["device_code"].as_str().expect("device_code").to_string();
    for _ in 0..5 {
        let (status, body) = post_form(
            &login(h, authority, "oauth2/v2.0/token"),
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", CLIENT),
                ("device_code", &code),
            ],
        )
        .await;
        if status == 200 || body["error"] != "authorization_pending" {
            return (status, body);
        }
    }
    panic!("the device code was never approved");
}

async fn refresh_at(h: &SandboxHandle, authority: &str, rt: &str) -> (u16, Value) {
    post_form(
        &login(h, authority, "oauth2/v2.0/token"),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", rt),
        ],
    )
    .await
}

fn ids(list: &Value) -> HashSet<String> {
    list["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["id"].as_str().map(str::to_string))
        .collect()
}

async fn deleted_ids(h: &SandboxHandle, token: &str) -> HashSet<String> {
    let (status, _, body) = get(&graph(h, DELETED), token).await;
    assert_eq!(status, 200, "{body}");
    ids(&body)
}

#[tokio::test]
async fn tokens_at_each_authority_carry_that_tenants_tid_and_issuer() {
    let dir = tempfile::tempdir().expect("dir");
    let h = start(dir.path(), |c| c).await;
    let tenants = h.tenants();
    let domains: Vec<&str> = tenants.iter().map(|t| t.domain.as_str()).collect();
    assert_eq!(
        domains,
        ["contoso.sandbox", "fabrikam.sandbox", "northwind.sandbox"]
    );
    for t in &tenants {
        let initial = t.domain.replace(".sandbox", ".onmicrosoft.com");
        for authority in [t.domain.as_str(), t.id.as_str(), initial.as_str()] {
            let c = claims(&app_token(&h, authority).await);
            assert_eq!(c["tid"], t.id.as_str(), "{authority}");
            assert_eq!(c["iss"], format!("https://sts.windows.net/{}/", t.id));
        }
    }
    let fabrikam = tenant(&tenants, "fabrikam.sandbox");
    assert_eq!(fabrikam.name, "Fabrikam (sandbox)");
    assert_eq!(fabrikam.admin_upn, "admin@fabrikam.sandbox");

    // A device code at Fabrikam's authority signs in Fabrikam's admin.
    let (status, body) = device_sign_in(&h, "fabrikam.sandbox").await;
    assert_eq!(status, 200, "{body}");
    let c = claims(body["access_token"].as_str().expect("token"));
    assert_eq!(c["tid"], fabrikam.id.as_str());
    assert_eq!(c["upn"], "admin@fabrikam.sandbox");
    assert!(
        c.get("idp").is_none(),
        "a member's token names no other idp"
    );
    let id_token = claims(body["id_token"].as_str().expect("id_token"));
    assert_eq!(
        id_token["iss"],
        format!("https://login.microsoftonline.com/{}/v2.0", fabrikam.id)
    );

    // Graph describes the token's tenant.
    let token = app_token(&h, "fabrikam.sandbox").await;
    let (status, _, org) = get(&graph(&h, "organization"), &token).await;
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["value"][0]["id"], fabrikam.id.as_str());
    assert_eq!(org["value"][0]["displayName"], "Fabrikam (sandbox)");
    let verified: HashSet<&str> = org["value"][0]["verifiedDomains"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(
        verified,
        HashSet::from(["fabrikam.sandbox", "fabrikam.onmicrosoft.com"])
    );
    let (_, _, domains) = get(&graph(&h, "domains"), &token).await;
    assert_eq!(
        ids(&domains),
        HashSet::from([
            "fabrikam.sandbox".to_string(),
            "fabrikam.onmicrosoft.com".to_string(),
            "fabrikam-new.example".to_string()
        ])
    );
    let (_, _, skus) = get(&graph(&h, "subscribedSkus"), &token).await;
    assert_eq!(skus["value"][0]["accountId"], fabrikam.id.as_str());
    assert_eq!(skus["value"][0]["accountName"], "Fabrikam Sandbox");
    // Another tenant's organization is not Fabrikam's to read.
    let contoso = tenant(&tenants, "contoso.sandbox");
    let (status, _, body) = get(&graph(&h, &format!("organization/{}", contoso.id)), &token).await;
    assert_eq!(status, 404, "{body}");

    // Discovery names the tenant's own issuer.
    let (status, _, doc) = get(
        &login(
            &h,
            "northwind.sandbox",
            "v2.0/.well-known/openid-configuration",
        ),
        "",
    )
    .await;
    assert_eq!(status, 200, "{doc}");
    let northwind = tenant(&tenants, "northwind.sandbox");
    assert_eq!(
        doc["issuer"],
        format!("https://login.microsoftonline.com/{}/v2.0", northwind.id)
    );

    // A tenant not served here, as Entra answers for a tenant that does not exist.
    let (status, body) = app_token_at(&h, "nowhere.example").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert_eq!(aadsts(&body), 90002, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.starts_with("AADSTS90002: Tenant 'nowhere.example' not found.")),
        "{body}"
    );
    let (status, _, body) = get(
        &login(
            &h,
            "nowhere.example",
            "v2.0/.well-known/openid-configuration",
        ),
        "",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_tenant"))
    );
    // An app names its tenant: `/common` is no tenant for client credentials.
    let (status, body) = app_token_at(&h, "common").await;
    assert_eq!((status, aadsts(&body)), (400, 50059), "{body}");
}

#[tokio::test]
async fn graph_answers_from_the_tokens_tenant_only_both_ways() {
    let dir = tempfile::tempdir().expect("dir");
    let h = start(dir.path(), |c| c).await;
    let a = app_token(&h, "contoso.sandbox").await;
    let b = app_token(&h, "fabrikam.sandbox").await;
    let (ia, ib) = (
        h.inspect_tenant("contoso.sandbox").expect("contoso"),
        h.inspect_tenant("fabrikam.sandbox").expect("fabrikam"),
    );

    // Lists show only the token's own tenant.
    let (da, db) = (deleted_ids(&h, &a).await, deleted_ids(&h, &b).await);
    assert_eq!(da, ia.deleted_ids().into_iter().collect());
    assert_eq!(db, ib.deleted_ids().into_iter().collect());
    assert!(da.is_disjoint(&db));
    for path in ["users?$top=999", "groups?$top=999", "contacts?$top=999"] {
        let (_, _, la) = get(&graph(&h, path), &a).await;
        let (_, _, lb) = get(&graph(&h, path), &b).await;
        assert!(!ids(&la).is_empty(), "{path}");
        assert!(ids(&la).is_disjoint(&ids(&lb)), "{path}");
    }
    let (_, _, audits) = get(&graph(&h, "auditLogs/directoryAudits?$top=999"), &b).await;
    let targets: HashSet<String> = audits["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["activityDisplayName"] == "Delete user")
        .filter_map(|r| r["targetResources"][0]["id"].as_str().map(str::to_string))
        .collect();
    assert!(
        !targets.is_empty() && targets.is_subset(&db),
        "Fabrikam's log is of its users"
    );

    // An id of the other tenant is a 404 for every verb, both ways, and changes nothing.
    for (token, other) in [(&a, &ib), (&b, &ia)] {
        let deleted = other.deleted_ids()[0].clone();
        let active = other
            .active_ids()
            .into_iter()
            .find(|id| other.account_enabled(id) == Some(true))
            .expect("an active user");
        let calls: [(Method, String, Option<Value>); 6] = [
            (
                Method::GET,
                format!("directory/deletedItems/{deleted}"),
                None,
            ),
            (
                Method::POST,
                format!("directory/deletedItems/{deleted}/restore"),
                Some(json!({})),
            ),
            (
                Method::DELETE,
                format!("directory/deletedItems/{deleted}"),
                None,
            ),
            (Method::GET, format!("users/{active}"), None),
            (
                Method::PATCH,
                format!("users/{active}"),
                Some(json!({"accountEnabled": false})),
            ),
            (Method::DELETE, format!("users/{active}"), None),
        ];
        for (method, path, body) in calls {
            let (status, _, reply) = send(method.clone(), &graph(&h, &path), token, body).await;
            assert_eq!(status, 404, "{method} {path}: {reply}");
            assert_graph_error(&reply, "Request_ResourceNotFound");
        }
        assert!(
            other.is_deleted(&deleted),
            "still deleted in its own tenant"
        );
        assert!(other.is_active(&active));
        assert_eq!(other.account_enabled(&active), Some(true));
    }

    // Within its own tenant the same calls work.
    let own = ib.deleted_ids()[0].clone();
    let (status, _, body) = send(
        Method::DELETE,
        &graph(&h, &format!("directory/deletedItems/{own}")),
        &b,
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert!(!ib.exists(&own));
}

#[tokio::test]
async fn a_partners_refresh_token_is_redeemed_at_its_customers_only() {
    let dir = tempfile::tempdir().expect("dir");
    let h = start(dir.path(), |c| {
        c.partner_tenant("contoso.sandbox")
            .customers(&["fabrikam.sandbox"])
    })
    .await;
    let tenants = h.tenants();
    let (contoso, fabrikam, northwind) = (
        tenant(&tenants, "contoso.sandbox"),
        tenant(&tenants, "fabrikam.sandbox"),
        tenant(&tenants, "northwind.sandbox"),
    );
    assert_eq!(
        [contoso.gdap, fabrikam.gdap, northwind.gdap],
        [Gdap::PartnerHome, Gdap::Customer, Gdap::None]
    );

    let (status, home) = device_sign_in(&h, "contoso.sandbox").await;
    assert_eq!(status, 200, "{home}");
    let rt = home["refresh_token"].as_str().expect("refresh token");

    // At the customer's authority: a token of the customer, for the partner's user.
    let (status, at_fabrikam) = refresh_at(&h, "fabrikam.sandbox", rt).await;
    assert_eq!(status, 200, "{at_fabrikam}");
    let token = at_fabrikam["access_token"].as_str().expect("token");
    let c = claims(token);
    assert_eq!(c["tid"], fabrikam.id.as_str());
    assert_eq!(
        c["iss"],
        format!("https://sts.windows.net/{}/", fabrikam.id)
    );
    assert_eq!(c["idp"], format!("https://sts.windows.net/{}/", contoso.id));
    assert_eq!(c["upn"], "admin@contoso.sandbox");
    assert_eq!(c["wids"], json!(GDAP_ROLES));
    let id_token = claims(at_fabrikam["id_token"].as_str().expect("id_token"));
    assert_eq!(id_token["tid"], fabrikam.id.as_str());

    // It reads and restores Fabrikam's users, and only theirs.
    let ifab = h.inspect_tenant("fabrikam.sandbox").expect("fabrikam");
    let listed = deleted_ids(&h, token).await;
    assert_eq!(listed, ifab.deleted_ids().into_iter().collect());
    let (status, _, body) = get(&graph(&h, "me"), token).await;
    assert_eq!(status, 404, "the partner's user is not Fabrikam's: {body}");
    let all = crate::common::all_deleted(&h, token).await;
    let (upns, proxies) = crate::common::active_names(&h, token).await;
    let id = crate::common::restorable(&all, &upns, &proxies)[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, _, body) = send(
        Method::POST,
        &graph(&h, &format!("directory/deletedItems/{id}/restore")),
        token,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(ifab.is_active(&id));

    // No relationship with Northwind: Entra's AADSTS50020, and the token is not spent.
    let rt = at_fabrikam["refresh_token"]
        .as_str()
        .expect("a new refresh token");
    let (status, refused) = refresh_at(&h, "northwind.sandbox", rt).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(aadsts(&refused), 50020, "{refused}");
    let expected = format!(
        "AADSTS50020: User account 'admin@contoso.sandbox' from identity provider 'https://sts.windows.net/{}/' does not exist in tenant 'Northwind Traders (sandbox)' and cannot access the application '{CLIENT}'",
        contoso.id
    );
    assert!(
        refused["error_description"]
            .as_str()
            .is_some_and(|d| d.starts_with(&expected)),
        "{refused}"
    );
    // `/common` is the user's home.
    let (status, again) = refresh_at(&h, "common", rt).await;
    assert_eq!(status, 200, "{again}");
    let c = claims(again["access_token"].as_str().expect("token"));
    assert_eq!(c["tid"], contoso.id.as_str());
    assert!(c.get("idp").is_none(), "{c}");
}

#[tokio::test]
async fn without_a_partnership_no_tenant_takes_another_tenants_refresh_token() {
    let dir = tempfile::tempdir().expect("dir");
    let h = start(dir.path(), |c| c.tenants(2)).await;
    let (status, home) = device_sign_in(&h, "contoso.sandbox").await;
    assert_eq!(status, 200, "{home}");
    let rt = home["refresh_token"].as_str().expect("refresh token");
    let (status, refused) = refresh_at(&h, "fabrikam.sandbox", rt).await;
    assert_eq!((status, aadsts(&refused)), (400, 50020), "{refused}");
    let (status, own) = refresh_at(&h, "contoso.sandbox", rt).await;
    assert_eq!(status, 200, "{own}");
}

#[tokio::test]
async fn a_refusing_tenant_refuses_every_sign_in_and_the_others_go_on() {
    let dir = tempfile::tempdir().expect("dir");
    let h = start(dir.path(), |c| {
        c.partner_tenant("contoso.sandbox")
            .refuse_sign_in("northwind.sandbox")
    })
    .await;
    let tenants = h.tenants();
    assert!(tenant(&tenants, "northwind.sandbox").refuses_sign_in);
    assert!(!tenant(&tenants, "fabrikam.sandbox").refuses_sign_in);
    // Every other tenant is a customer by default.
    assert_eq!(tenant(&tenants, "northwind.sandbox").gdap, Gdap::Customer);

    let blocked = |body: &Value| {
        assert_eq!(body["error"], "invalid_grant", "{body}");
        assert_eq!(aadsts(body), 53003, "{body}");
        assert_eq!(body["suberror"], "message_only", "{body}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| d.starts_with(
                    "AADSTS53003: Access has been blocked by Conditional Access policies."
                )),
            "{body}"
        );
    };
    let (status, body) = app_token_at(&h, "northwind.sandbox").await;
    assert_eq!(status, 400);
    blocked(&body);
    let (status, body) = device_sign_in(&h, "northwind.sandbox").await;
    assert_eq!(status, 400);
    blocked(&body);

    let (_, home) = device_sign_in(&h, "contoso.sandbox").await;
    let rt = home["refresh_token"].as_str().expect("refresh token");
    let (status, body) = refresh_at(&h, "northwind.sandbox", rt).await;
    assert_eq!(status, 400);
    blocked(&body);
    // The refusal did not spend it: the other customer goes on.
    let (status, body) = refresh_at(&h, "fabrikam.sandbox", rt).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app_token_at(&h, "fabrikam.sandbox").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn seeds_are_deterministic_and_distinct_per_tenant_and_the_first_is_the_one_tenant_sandbox() {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let seeded = |n: usize| move |c: SandboxConfig| c.seed(5).tenants(n);
    let a = start(dirs[0].path(), seeded(3)).await;
    let b = start(dirs[1].path(), seeded(3)).await;
    let one = start(dirs[2].path(), seeded(1)).await;
    assert_eq!(a.tenants(), b.tenants());
    let ids: HashSet<String> = a.tenants().into_iter().map(|t| t.id).collect();
    assert_eq!(ids.len(), 3, "each tenant has its own id");
    let mut seen = HashSet::new();
    for t in a.tenants() {
        let (ia, ib) = (
            a.inspect_tenant(&t.id).expect("a"),
            b.inspect_tenant(&t.id).expect("b"),
        );
        let mut users = ia.deleted_ids();
        users.extend(ia.active_ids());
        assert_eq!(ia.deleted_ids(), ib.deleted_ids(), "{}", t.domain);
        assert_eq!(ia.active_ids(), ib.active_ids(), "{}", t.domain);
        assert_eq!(
            ia.object_ids("group"),
            ib.object_ids("group"),
            "{}",
            t.domain
        );
        for id in users.into_iter().chain(ia.object_ids("group")) {
            assert!(seen.insert(id), "an object id in two tenants");
        }
    }
    // The first of several tenants is the one-tenant sandbox of the same seed.
    let first = &a.tenants()[0];
    assert_eq!(one.tenants().len(), 1);
    assert_eq!(one.tenants()[0].id, first.id);
    assert_eq!(
        one.inspect().deleted_ids(),
        a.inspect_tenant(&first.id).expect("first").deleted_ids()
    );
    assert_eq!(
        one.inspect().object_ids("group"),
        a.inspect().object_ids("group")
    );
}

#[tokio::test]
async fn each_tenant_has_its_own_write_quota() {
    let dir = tempfile::tempdir().expect("dir");
    let h = start(dir.path(), |c| {
        c.tenants(2).write_quota(1, Duration::from_secs(600))
    })
    .await;
    for (authority, second) in [("contoso.sandbox", true), ("fabrikam.sandbox", false)] {
        let token = app_token(&h, authority).await;
        let inspector = h.inspect_tenant(authority).expect("tenant");
        let ids = inspector.deleted_ids();
        let purge = |id: String| {
            let token = token.clone();
            let url = graph(&h, &format!("directory/deletedItems/{id}"));
            async move { send(Method::DELETE, &url, &token, None).await }
        };
        let (status, _, body) = purge(ids[0].clone()).await;
        assert_eq!(status, 204, "{authority}'s first write: {body}");
        if second {
            let (status, headers, _) = purge(ids[1].clone()).await;
            assert_eq!(status, 429, "{authority}'s second write is over its quota");
            assert!(headers.contains_key("retry-after"));
        }
    }
}

#[tokio::test]
async fn each_tenant_keeps_its_store_across_restarts_and_a_reset_reseeds_them_all() {
    let dir = tempfile::tempdir().expect("dir");
    let h = start(dir.path(), |c| c).await;
    let before = h.tenants();
    let fabrikam = app_token(&h, "fabrikam.sandbox").await;
    let purged = h
        .inspect_tenant("fabrikam.sandbox")
        .expect("f")
        .deleted_ids()[0]
        .clone();
    let (status, _, body) = send(
        Method::DELETE,
        &graph(&h, &format!("directory/deletedItems/{purged}")),
        &fabrikam,
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    h.shutdown().await;
    assert!(dir.path().join("sandbox.sqlite3").is_file());
    assert!(
        dir.path()
            .join("tenants/fabrikam.sandbox.sqlite3")
            .is_file()
    );

    let h = start(dir.path(), |c| c).await;
    assert_eq!(h.tenants(), before);
    let f = h.inspect_tenant("fabrikam.sandbox").expect("f");
    assert!(!f.exists(&purged), "the purge was kept");
    h.shutdown().await;

    // Served with one tenant, the data dir's others are not there: their tokens are refused.
    let h = start(dir.path(), |c| c.tenants(1)).await;
    let (status, _, body) = get(&graph(&h, DELETED), &fabrikam).await;
    assert_eq!(status, 401, "{body}");
    assert_graph_error(&body, "InvalidAuthenticationToken");
    h.shutdown().await;

    let reset = undelete_sandbox::SandboxCommand::Reset(SeedOptions {
        users: 16,
        active: None,
        seed: 1,
    });
    let code = undelete_sandbox::run_command(reset, dir.path())
        .await
        .expect("reset");
    assert_eq!(code, 0);
    let h = start(dir.path(), |c| c).await;
    assert_eq!(h.tenants(), before, "the same tenants, seeded afresh");
    assert!(
        h.inspect_tenant("fabrikam.sandbox")
            .expect("f")
            .is_deleted(&purged),
        "the reset seeded Fabrikam again"
    );
}

#[tokio::test]
async fn a_partner_or_customer_that_is_not_served_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    let err = spawn(
        SandboxConfig::new(dir.path())
            .users(4)
            .tenants(2)
            .partner_tenant("contoso.sandbox")
            .customers(&["northwind.sandbox"]),
    )
    .await
    .expect_err("northwind is not served");
    assert_eq!(
        err.to_string(),
        "invalid sandbox setting: the customer \"northwind.sandbox\" is none of the tenants served: contoso.sandbox, fabrikam.sandbox"
    );
    for cfg in [
        SandboxConfig::new(dir.path()).tenants(0),
        SandboxConfig::new(dir.path()).tenants(201),
        SandboxConfig::new(dir.path()).customers(&["fabrikam.sandbox"]),
        SandboxConfig::new(dir.path())
            .tenants(2)
            .partner_tenant("fabrikam.sandbox")
            .customers(&["fabrikam.sandbox"]),
        SandboxConfig::new(dir.path()).refuse_sign_in("nowhere.example"),
    ] {
        assert!(spawn(cfg).await.is_err());
    }
}
