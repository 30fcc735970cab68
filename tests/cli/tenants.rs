//! The scripting commands across several tenants, as the real binary runs them against a
//! sandbox serving three (each signed in app-only at its own authority): every JSON line
//! names its tenant, nothing of one tenant is listed, restored or finished in another, a
//! tenant that refuses sign-in is left out while the others go on, a user name goes to the
//! tenant of its domain and an ambiguous target is a usage error.

use std::collections::HashSet;
use std::path::Path;
use std::process::Output;

use serde_json::Value;
use undelete::restore::{self, Journal};
use undelete_sandbox::{SandboxConfig, SandboxHandle, TenantInfo};

use super::directories::{run, text};

const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";

/// A sandbox serving contoso, fabrikam and northwind with 20 deleted users each; `refuse`:
/// tenants that refuse every sign-in.
async fn three(store: &Path, refuse: &[&str]) -> SandboxHandle {
    let mut cfg = SandboxConfig::new(store).users(20).tenants(3);
    for t in refuse {
        cfg = cfg.refuse_sign_in(*t);
    }
    undelete_sandbox::spawn(cfg).await.expect("sandbox")
}

/// The arguments of a run on `tenants` of `h` (app-only), then `rest`.
fn on(
    h: &SandboxHandle,
    tenants: &[&str],
    rest: &[&str],
) -> (Vec<String>, Vec<(&'static str, String)>) {
    let base = h.base_url().as_str().trim_end_matches('/').to_string();
    let mut args = Vec::new();
    for t in tenants {
        args.push("--tenant".to_string());
        args.push(t.to_string());
    }
    for a in [
        "--graph-url",
        &base,
        "--login-url",
        &base,
        "--client-id",
        CLIENT_ID,
    ] {
        args.push(a.to_string());
    }
    args.extend(rest.iter().map(|s| s.to_string()));
    (
        args,
        vec![("UNDELETE_CLIENT_SECRET", h.client_secret().to_string())],
    )
}

async fn undelete(data: &Path, h: &SandboxHandle, tenants: &[&str], rest: &[&str]) -> Output {
    let (args, env) = on(h, tenants, rest);
    run(data, args, env).await
}

fn info(h: &SandboxHandle, domain: &str) -> TenantInfo {
    h.tenants()
        .into_iter()
        .find(|t| t.domain == domain)
        .expect("served")
}

/// The JSON array `list --format json` printed.
fn records(out: &Output) -> Vec<Value> {
    serde_json::from_slice::<Vec<Value>>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

/// A deleted user of `tenant`: its id and original user name.
struct Plain {
    id: String,
    original_upn: String,
}

/// A deleted user of `tenant` that restores without a conflict (a dry run says "ready"),
/// other than `not`.
async fn plain_user(h: &SandboxHandle, data: &Path, tenant: &str, not: &[&str]) -> Plain {
    let out = undelete(data, h, &[tenant], &["list", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let candidates: Vec<(String, String)> = records(&out)
        .iter()
        .filter(|r| r["onPremisesSyncEnabled"] == false && r["userType"] != "Guest")
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_string(),
                r["userPrincipalName"].as_str().expect("upn").to_string(),
            )
        })
        .filter(|(id, _)| !not.contains(&id.as_str()))
        .collect();
    for (id, upn) in candidates {
        let out = undelete(data, h, &[tenant], &["restore", &id, "--dry-run"]).await;
        let line: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if out.status.code() == Some(0) && line["status"] == "ready" {
            return Plain {
                id,
                original_upn: upn,
            };
        }
    }
    panic!("no plain user in {tenant}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_across_tenants_names_each_users_tenant_and_keeps_them_apart() {
    let data = tempfile::tempdir().expect("data");
    let store = tempfile::tempdir().expect("store");
    let h = three(store.path(), &[]).await;
    let both = ["contoso.sandbox", "fabrikam.sandbox"];

    let out = undelete(data.path(), &h, &both, &["list", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let all = records(&out);
    let of = |tenant: &str| -> HashSet<String> {
        all.iter()
            .filter(|r| r["tenant"] == tenant)
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        all.iter()
            .all(|r| both.contains(&r["tenant"].as_str().unwrap_or("")))
    );
    let (contoso, fabrikam) = (of("contoso.sandbox"), of("fabrikam.sandbox"));
    assert_eq!(contoso.len() + fabrikam.len(), all.len());
    assert!(!contoso.is_empty() && !fabrikam.is_empty());
    // Soonest purge first, whichever tenant holds it.
    let times: Vec<&str> = all
        .iter()
        .map(|r| r["deletedDateTime"].as_str().unwrap_or("~"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    // Each tenant alone lists exactly its part, with no "tenant" (one tenant is as ever).
    for (tenant, ids) in [
        ("contoso.sandbox", &contoso),
        ("fabrikam.sandbox", &fabrikam),
    ] {
        let out = undelete(data.path(), &h, &[tenant], &["list", "--format", "json"]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let alone = records(&out);
        assert!(alone.iter().all(|r| r.get("tenant").is_none()));
        let alone: HashSet<String> = alone
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(&alone, ids, "{tenant}");
        let inspect = h.inspect_tenant(tenant).expect("tenant");
        assert!(ids.iter().all(|id| inspect.is_deleted(id)));
    }
    assert!(contoso.is_disjoint(&fabrikam));

    // Text and CSV name the tenant only when there are several.
    let out = undelete(data.path(), &h, &both, &["list", "--format", "csv"]).await;
    let csv = text(&out.stdout);
    assert!(
        csv.lines().next().unwrap().ends_with(",hoursLeft,tenant"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.ends_with(",contoso.sandbox") || l.ends_with(",fabrikam.sandbox"))
    );
    let out = undelete(data.path(), &h, &both, &["list"]).await;
    let table = text(&out.stdout);
    assert!(table.starts_with("TENANT "), "{table}");
    let out = undelete(data.path(), &h, &["fabrikam.sandbox"], &["list"]).await;
    assert!(text(&out.stdout).starts_with("NAME "));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_refuses_sign_in_is_left_out_and_the_others_are_listed() {
    let data = tempfile::tempdir().expect("data");
    let store = tempfile::tempdir().expect("store");
    let h = three(store.path(), &["fabrikam.sandbox"]).await;
    let out = undelete(
        data.path(),
        &h,
        &["contoso.sandbox", "fabrikam.sandbox", "northwind.sandbox"],
        &["list", "--format", "json"],
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("fabrikam.sandbox"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.starts_with("undelete: ") && line.contains("AADSTS53003"),
        "{line}"
    );
    assert!(line.contains("the other tenants go on"), "{line}");
    let tenants: HashSet<String> = records(&out)
        .iter()
        .map(|r| r["tenant"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        tenants,
        HashSet::from([
            "contoso.sandbox".to_string(),
            "northwind.sandbox".to_string()
        ])
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_go_to_their_own_tenant_and_an_ambiguous_one_is_a_usage_error() {
    let data = tempfile::tempdir().expect("data");
    let store = tempfile::tempdir().expect("store");
    let h = three(store.path(), &[]).await;
    let both = ["contoso.sandbox", "fabrikam.sandbox"];
    let fab = plain_user(&h, data.path(), "fabrikam.sandbox", &[]).await;
    let con = plain_user(&h, data.path(), "contoso.sandbox", &[]).await;

    // An id of fabrikam, given with contoso only: not found, nothing restored anywhere.
    let out = undelete(data.path(), &h, &["contoso.sandbox"], &["restore", &fab.id]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("no deleted user has the id"));
    assert!(
        h.inspect_tenant("fabrikam.sandbox")
            .unwrap()
            .is_deleted(&fab.id)
    );

    // An id of northwind, given with contoso and fabrikam: in neither, said naming them.
    let north = plain_user(&h, data.path(), "northwind.sandbox", &[]).await;
    let out = undelete(data.path(), &h, &both, &["restore", &north.id]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["status"], "failed", "{line}");
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|e| e.contains("2 tenants: contoso.sandbox, fabrikam.sandbox")),
        "{line}"
    );
    assert!(
        h.inspect_tenant("northwind.sandbox")
            .unwrap()
            .is_deleted(&north.id)
    );

    // Across both: the id is found in fabrikam, the user name goes to contoso by its domain.
    let out = undelete(
        data.path(),
        &h,
        &both,
        &["restore", &fab.id, &con.original_upn],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", text(&out.stdout));
    let tenant_of = |id: &str| {
        lines
            .iter()
            .find(|l| l["id"] == id)
            .map(|l| l["tenant"].clone())
            .unwrap_or_else(|| panic!("{lines:?}"))
    };
    assert_eq!(tenant_of(&fab.id), "fabrikam.sandbox");
    assert_eq!(tenant_of(&con.id), "contoso.sandbox");
    assert!(lines.iter().all(|l| l["status"] == "restored"), "{lines:?}");
    assert!(
        h.inspect_tenant("fabrikam.sandbox")
            .unwrap()
            .is_active(&fab.id)
    );
    assert!(
        h.inspect_tenant("contoso.sandbox")
            .unwrap()
            .is_active(&con.id)
    );
    assert!(!h.inspect_tenant("contoso.sandbox").unwrap().exists(&fab.id));

    // --new-upn names one user, however the targets split between tenants.
    let out = undelete(
        data.path(),
        &h,
        &both,
        &[
            "restore",
            &fab.id,
            &con.id,
            "--new-upn",
            "x@contoso.sandbox",
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--new-upn works with a single user only"));

    // One tenant named twice (by domain and by id): a user name of it is in both, a usage
    // error naming them, and nothing is purged.
    let victim = plain_user(&h, data.path(), "contoso.sandbox", &[&con.id]).await;
    let id = info(&h, "contoso.sandbox").id;
    let out = undelete(
        data.path(),
        &h,
        &["contoso.sandbox", &id],
        &["purge", "--yes", &victim.original_upn],
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is in 2 tenants (contoso.sandbox, ") && err.contains(&id),
        "{err}"
    );
    assert!(
        h.inspect_tenant("contoso.sandbox")
            .unwrap()
            .is_deleted(&victim.id)
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_restore_is_finished_only_in_its_own_tenant() {
    let data = tempfile::tempdir().expect("data");
    let store = tempfile::tempdir().expect("store");
    let h = three(store.path(), &[]).await;
    let both = ["contoso.sandbox", "fabrikam.sandbox"];
    let user = plain_user(&h, data.path(), "contoso.sandbox", &[]).await;

    // A restore across both tenants dies in contoso after the restore, before the password.
    let (args, mut env) = on(&h, &both, &["restore", &user.id]);
    env.push((restore::CRASH_HOOK_ENV, "restore".into()));
    let out = run(data.path(), args, env).await;
    assert_eq!(
        out.status.code(),
        Some(restore::CRASH_EXIT_CODE),
        "{}",
        text(&out.stderr)
    );
    assert!(
        h.inspect_tenant("contoso.sandbox")
            .unwrap()
            .is_active(&user.id)
    );

    // `finish` for fabrikam: not its user.
    let out = undelete(data.path(), &h, &["fabrikam.sandbox"], &["finish"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("nothing to finish"));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));

    // Across both: finished in contoso, its line naming it.
    let out = undelete(data.path(), &h, &both, &["finish"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["tenant"], "contoso.sandbox", "{line}");
    assert_eq!(line["status"], "finished", "{line}");
    let folders = std::fs::read_dir(data.path().join(undelete::data_dir::DIRECTORIES))
        .expect("books")
        .flatten()
        .map(|e| e.path())
        .collect::<Vec<_>>();
    for f in folders {
        assert!(Journal::open(&f).unwrap().unfinished().unwrap().is_empty());
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_across_tenants_exits_3_naming_the_tenants_with_expiring_users() {
    let data = tempfile::tempdir().expect("data");
    let store = tempfile::tempdir().expect("store");
    let h = three(store.path(), &[]).await;
    let out = undelete(
        data.path(),
        &h,
        &["contoso.sandbox", "fabrikam.sandbox"],
        &["check", "--expiring", "30", "--format", "json"],
    )
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("in 2 tenants: contoso.sandbox (") && err.contains("fabrikam.sandbox ("),
        "{err}"
    );
    let users = records(&out);
    assert!(users.iter().any(|u| u["tenant"] == "fabrikam.sandbox"));
    let left: Vec<i64> = users
        .iter()
        .map(|u| u["hoursLeft"].as_i64().unwrap())
        .collect();
    assert!(left.windows(2).all(|w| w[0] <= w[1]), "{left:?}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_tenants_on_the_built_in_sandbox_lists_its_three_tenants() {
    let data = tempfile::tempdir().expect("data");
    let args = vec![
        "--all-tenants".into(),
        "list".into(),
        "--format".into(),
        "json".into(),
    ];
    let out = run(data.path(), args, Vec::new()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let tenants: HashSet<String> = records(&out)
        .iter()
        .map(|r| r["tenant"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        tenants,
        HashSet::from([
            "contoso.sandbox".to_string(),
            "fabrikam.sandbox".to_string(),
            "northwind.sandbox".to_string()
        ])
    );
}

/// A settings file naming the sandbox's three tenants (the first, Contoso, the partner's home
/// by default), and the flags that point a delegated run at `h` with it: no client secret,
/// so only the device code signs in.
fn delegated(h: &SandboxHandle, data: &Path, rest: &[&str]) -> Vec<String> {
    let file = data.join("msp.toml");
    std::fs::write(
        &file,
        "[[tenants]]\ntenant = \"contoso.sandbox\"\n\
         [[tenants]]\ntenant = \"fabrikam.sandbox\"\n\
         [[tenants]]\ntenant = \"northwind.sandbox\"\n",
    )
    .expect("settings file");
    let base = h.base_url().as_str().trim_end_matches('/').to_string();
    let mut args: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    for a in [
        "--config",
        &file.display().to_string(),
        "--graph-url",
        &base,
        "--login-url",
        &base,
    ] {
        args.push(a.to_string());
    }
    args
}

/// The tenants `tokens.json` holds a sign-in for, and each one's refresh token.
fn cached(data: &Path) -> Vec<(String, String)> {
    let Ok(bytes) = std::fs::read(data.join("tokens.json")) else {
        return Vec::new();
    };
    let file: Value = serde_json::from_slice(&bytes).expect("json");
    let mut entries: Vec<(String, String)> = file["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["tenant"].as_str().expect("tenant").to_string(),
                e["refresh_token"].as_str().expect("token").to_string(),
            )
        })
        .collect();
    entries.sort();
    entries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_across_tenants_signs_in_once_and_logout_forgets_only_the_asked_tenants() {
    let data = tempfile::tempdir().expect("data");
    let store = tempfile::tempdir().expect("store");
    // Contoso is the partner's home; Fabrikam its only customer: Northwind refuses it.
    let h = undelete_sandbox::spawn(
        SandboxConfig::new(store.path())
            .users(10)
            .tenants(3)
            .partner_tenant("contoso.sandbox")
            .customers(&["fabrikam.sandbox"]),
    )
    .await
    .expect("sandbox");
    let out = run(
        data.path(),
        delegated(&h, data.path(), &["login", "--all-tenants"]),
        Vec::new(),
    )
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("Code: ")).count(),
        1,
        "one device code: {stderr}"
    );
    assert!(
        stderr.contains(
            "Signing in once at the partner's home tenant contoso.sandbox, for 3 tenants"
        ),
        "{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "one line per tenant:\n{stdout}");
    let fabrikam_id = info(&h, "fabrikam.sandbox").id;
    assert!(
        lines[0].starts_with("contoso.sandbox: signed in: ")
            && lines[0].ends_with("admin@contoso.sandbox (delegated)"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("fabrikam.sandbox: signed in: ")
            && lines[1].contains(&fabrikam_id)
            && lines[1].ends_with("admin@contoso.sandbox (delegated)"),
        "the home's admin, in Fabrikam: {}",
        lines[1]
    );
    assert!(
        lines[2].starts_with(
            "northwind.sandbox: not signed in: northwind.sandbox refused the sign-in of the \
             partner tenant contoso.sandbox: AADSTS50020"
        ),
        "cause first: {}",
        lines[2]
    );
    assert!(
        stderr.contains("undelete: 1 of 3 tenants not signed in: northwind.sandbox"),
        "{stderr}"
    );
    // One sign-in, the home's: the customers' tokens come from it, the refusing one has none.
    let tenants =
        |data: &Path| -> Vec<String> { cached(data).into_iter().map(|(t, _)| t).collect() };
    assert_eq!(tenants(data.path()), ["contoso.sandbox"]);

    // Northwind signed in to on its own (an admin of its own there): a sign-in of its own,
    // apart from the home's, and every tenant is listed.
    let out = run(
        data.path(),
        delegated(&h, data.path(), &["login", "--tenant", "northwind.sandbox"]),
        Vec::new(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("admin@northwind.sandbox"));
    let entries = cached(data.path());
    assert_eq!(
        entries.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["contoso.sandbox", "northwind.sandbox"]
    );
    assert_ne!(entries[0].1, entries[1].1, "two sign-ins, not one shared");
    let listed = |out: &Output| -> HashSet<String> {
        records(out)
            .iter()
            .map(|r| r["tenant"].as_str().expect("tenant").to_string())
            .collect()
    };
    let out = run(
        data.path(),
        delegated(
            &h,
            data.path(),
            &["list", "--all-tenants", "--format", "json"],
        ),
        Vec::new(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(listed(&out).len(), 3);

    // Logout of two tenants: Northwind's own sign-in goes, Fabrikam has none of its own, and
    // the home (not asked) keeps its, said to still reach them.
    let out = run(
        data.path(),
        delegated(
            &h,
            data.path(),
            &[
                "logout",
                "--tenant",
                "fabrikam.sandbox",
                "--tenant",
                "northwind.sandbox",
            ],
        ),
        Vec::new(),
    )
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "fabrikam.sandbox: nothing to forget",
            "northwind.sandbox: forgot 1 saved sign-in"
        ]
    );
    assert!(
        stderr.contains("The partner's home contoso.sandbox keeps its saved sign-in (not asked)"),
        "{stderr}"
    );
    assert_eq!(tenants(data.path()), ["contoso.sandbox"]);
    // The home's sign-in still works, where the partner may go.
    let out = run(
        data.path(),
        delegated(
            &h,
            data.path(),
            &[
                "list",
                "--tenant",
                "contoso.sandbox",
                "--tenant",
                "fabrikam.sandbox",
                "--format",
                "json",
            ],
        ),
        Vec::new(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        listed(&out),
        HashSet::from([
            "contoso.sandbox".to_string(),
            "fabrikam.sandbox".to_string()
        ])
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_only_login_across_tenants_tries_each_tenants_credentials_at_its_authority() {
    let data = tempfile::tempdir().expect("data");
    let store = tempfile::tempdir().expect("store");
    let h = three(store.path(), &["fabrikam.sandbox"]).await;
    let out = undelete(
        data.path(),
        &h,
        &["contoso.sandbox", "fabrikam.sandbox", "northwind.sandbox"],
        &["login"],
    )
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(!stderr.contains("Code: "), "no device code: {stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for (line, tenant) in [
        (lines[0], "contoso.sandbox"),
        (lines[2], "northwind.sandbox"),
    ] {
        assert!(
            line.starts_with(&format!("{tenant}: signed in: "))
                && line.contains(&info(&h, tenant).id)
                && line.ends_with("(app-only)"),
            "{line}"
        );
    }
    assert!(
        lines[1].starts_with("fabrikam.sandbox: not signed in: AADSTS53003"),
        "cause first: {}",
        lines[1]
    );
    assert!(
        stderr.contains("undelete: 1 of 3 tenants not signed in: fabrikam.sandbox"),
        "{stderr}"
    );
    assert!(cached(data.path()).is_empty(), "app-only keeps nothing");
    h.shutdown().await;
}
