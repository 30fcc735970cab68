//! Every sign-in path against the sandbox over real HTTP on 127.0.0.1: device code, the cache
//! and its rotation, refresh on expiry and after a 401, logout, client secret, certificate, the
//! permission self-check, and the `login` / `logout` command bodies.

use crate::common;

use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use undelete::auth::claims::{Action, Mode, Warning};
use undelete::auth::device_code::Poll;
use undelete::auth::login::{run_login, run_logout};
use undelete::auth::oauth::AuthError;
use undelete::auth::signin::{AuthContext, SignedIn};
use undelete::auth::token_cache::TokenCache;
use undelete_sandbox::SandboxHandle;

const TENANT: &str = "contoso.sandbox";

fn ctx_with(
    h: &SandboxHandle,
    data_dir: &Path,
    extra: &[&str],
    secret: Option<&str>,
) -> Result<AuthContext, AuthError> {
    let base = h.base_url().as_str();
    let dir = data_dir.to_string_lossy();
    let mut argv = vec![
        "undelete",
        "--tenant",
        TENANT,
        "--login-url",
        base,
        "--graph-url",
        base,
        "--data-dir",
        &dir,
    ];
    argv.extend_from_slice(extra);
    let (cli, matches) = common::cli::parse_from(argv).expect("arguments parse");
    let settings = cli.flag_settings(&matches);
    AuthContext::build(&settings, secret.map(|s| SecretString::from(s.to_string())))
}

fn ctx(h: &SandboxHandle, data_dir: &Path) -> AuthContext {
    ctx_with(h, data_dir, &[], None).expect("context")
}

async fn sign_in(ctx: &AuthContext) -> SignedIn {
    let flow = ctx.start_device_code().await.expect("device code");
    let tokens = tokio::time::timeout(Duration::from_secs(20), flow.wait())
        .await
        .expect("sign-in finishes")
        .expect("sign-in succeeds");
    ctx.finish_sign_in(tokens).expect("sign-in saved")
}

async fn me(h: &SandboxHandle, token: &str) -> (u16, Value) {
    let (status, _, body) = common::get(&common::graph(h, "me"), token).await;
    (status, body)
}

fn cached_refresh(ctx: &AuthContext) -> Option<String> {
    ctx.cache
        .find(&ctx.cloud_key, TENANT, &ctx.client_id, None)
        .expect("cache readable")
        .map(|l| l.refresh_token.expose_secret().to_string())
}

/// Redeems a refresh token directly, as another client would.
async fn redeem(h: &SandboxHandle, ctx: &AuthContext, refresh: &str) -> (u16, Value) {
    let resp = common::client()
        .post(ctx.endpoints.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", ctx.client_id.as_str()),
            ("refresh_token", refresh),
            ("scope", ctx.scopes.as_str()),
        ])
        .send()
        .await
        .expect("token request");
    let _ = h;
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON"))
}

#[tokio::test]
async fn device_code_sign_in_caches_only_the_refresh_token_and_rotates_it() {
    let (dir, h) = common::start_sandbox(5).await;
    let ctx = ctx(&h, dir.path());
    assert!(
        ctx.resolve().await.expect("resolve").is_none(),
        "nothing cached yet"
    );

    let mut flow = ctx.start_device_code().await.expect("device code");
    let prompt = flow.prompt().clone();
    assert!(!prompt.user_code.is_empty());
    assert!(prompt.verification_uri.starts_with(h.base_url().as_str()));
    assert!(prompt.message.contains(&prompt.user_code));
    // The sandbox approves between the first and second poll.
    assert!(matches!(
        flow.poll().await.expect("poll"),
        Poll::Pending { .. }
    ));
    let tokens = flow.wait().await.expect("approved");
    let signed = ctx.finish_sign_in(tokens).expect("saved");
    assert_eq!(signed.identity.account, h.admin_upn());
    assert_eq!(signed.identity.mode, Mode::Delegated);
    assert!(signed.identity.tenant_id.is_some());
    assert!(signed.warnings.is_empty(), "{:?}", signed.warnings);
    assert_eq!(
        signed.mail_sender(),
        Ok(None),
        "delegated mail goes out as the admin"
    );

    let token = signed.tokens.token().await.expect("token");
    let (status, body) = me(&h, token.secret.expose_secret()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userPrincipalName"], h.admin_upn().as_str());

    let file = std::fs::read_to_string(ctx.cache.path()).expect("cache file");
    let first = cached_refresh(&ctx).expect("refresh token cached");
    assert!(file.contains(&first));
    assert!(
        !file.contains(token.secret.expose_secret()),
        "no access token on disk"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ctx.cache.path())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A new run finds the sign-in, redeems it, and keeps only the rotated token.
    let again = ctx
        .resolve()
        .await
        .expect("resolve")
        .expect("cached sign-in");
    assert_eq!(again.identity.account, h.admin_upn());
    let second = cached_refresh(&ctx).expect("still cached");
    assert_ne!(first, second, "refresh token rotated");
    let file = std::fs::read_to_string(ctx.cache.path()).expect("cache file");
    assert!(!file.contains(&first) && file.contains(&second));
    let (status, body) = redeem(&h, &ctx, &first).await;
    assert_eq!(status, 400, "the old refresh token is spent: {body}");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn short_lived_tokens_are_refreshed_before_expiry_and_after_a_401() {
    let (dir, h) =
        common::start_sandbox_with(5, |c| c.token_lifetime(Duration::from_secs(4))).await;
    let ctx = ctx(&h, dir.path());
    let signed = sign_in(&ctx).await;
    let t1 = signed.tokens.token().await.expect("token");
    let t1_again = signed.tokens.token().await.expect("token");
    assert_eq!(
        t1.secret.expose_secret(),
        t1_again.secret.expose_secret(),
        "reused while fresh"
    );

    // Half the lifetime later it is refreshed, before Graph would refuse it.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let t2 = signed.tokens.token().await.expect("refreshed");
    assert_ne!(t1.secret.expose_secret(), t2.secret.expose_secret());
    assert!(t2.expires_at > t1.expires_at);
    assert_eq!(me(&h, t2.secret.expose_secret()).await.0, 200);

    // Graph said 401: the rejected token is dropped and a new one fetched. (The sandbox mints
    // byte-identical tokens within one second, so the rotated refresh token is the witness.)
    let before = cached_refresh(&ctx);
    signed.tokens.invalidate(&t2);
    let t3 = signed.tokens.token().await.expect("after 401");
    let after = cached_refresh(&ctx);
    assert!(after.is_some() && after != before, "a 401 forces a refresh");
    assert_eq!(me(&h, t3.secret.expose_secret()).await.0, 200);
    // A stale rejection (of a token already replaced) does not throw away the current one.
    signed.tokens.invalidate(&t1);
    let t4 = signed.tokens.token().await.expect("token");
    assert_eq!(t3.secret.expose_secret(), t4.secret.expose_secret());
    assert_eq!(
        cached_refresh(&ctx),
        after,
        "no refresh for a stale rejection"
    );

    // Every rotation reached the cache: the cached token is the live one.
    let live = cached_refresh(&ctx).expect("cached");
    let (status, _) = redeem(&h, &ctx, &live).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_spent_refresh_token_asks_for_a_new_sign_in_and_is_forgotten() {
    let (dir, h) = common::start_sandbox(5).await;
    let ctx = ctx(&h, dir.path());
    sign_in(&ctx).await;
    let cached = cached_refresh(&ctx).expect("cached");
    // Someone else redeems it first (or an admin revoked it).
    assert_eq!(redeem(&h, &ctx, &cached).await.0, 200);
    assert!(ctx.resolve().await.expect("resolve").is_none());
    assert!(cached_refresh(&ctx).is_none(), "the dead entry is removed");
}

#[tokio::test]
async fn logout_forgets_the_sign_in() {
    let (dir, h) = common::start_sandbox(5).await;
    let ctx = ctx(&h, dir.path());
    sign_in(&ctx).await;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(run_logout(&ctx, &mut out, &mut err), 0);
    let out = String::from_utf8_lossy(&out);
    assert!(out.contains("Forgot 1 saved sign-in"), "{out}");
    assert!(!ctx.cache.path().exists());
    assert!(ctx.resolve().await.expect("resolve").is_none());
    let mut out = Vec::new();
    assert_eq!(run_logout(&ctx, &mut out, &mut err), 0);
    assert!(String::from_utf8_lossy(&out).contains("Nothing to forget"));
}

#[tokio::test]
async fn the_cache_is_keyed_by_login_host_tenant_and_client() {
    let (dir, h) = common::start_sandbox(5).await;
    let ctx = ctx(&h, dir.path());
    sign_in(&ctx).await;
    let other_client =
        ctx_with(&h, dir.path(), &["--client-id", "other-client"], None).expect("ctx");
    assert!(other_client.resolve().await.expect("resolve").is_none());
    let other_cloud = ctx_with(&h, dir.path(), &["--cloud", "usgov"], None).expect("ctx");
    assert!(other_cloud.resolve().await.expect("resolve").is_none());
    assert!(ctx.resolve().await.expect("resolve").is_some());
}

#[tokio::test]
async fn missing_scopes_are_reported_before_graph_refuses() {
    let (dir, h) = common::start_sandbox(5).await;
    let mut ctx = ctx(&h, dir.path());
    // The sandbox grants exactly what is asked for: leave out restore and password.
    ctx.scopes = "User.Read.All Mail.Send offline_access".into();
    let signed = sign_in(&ctx).await;
    let actions: Vec<Action> = signed.warnings.iter().map(Warning::action).collect();
    assert_eq!(
        actions,
        vec![Action::Restore, Action::SetPassword, Action::Purge]
    );
    let text = signed.warnings[0].to_string();
    assert!(text.contains("Restoring users will fail"), "{text}");
    assert!(text.contains("User.DeleteRestore.All"), "{text}");

    // And Graph indeed refuses the restore the warning predicted.
    let token = signed.tokens.token().await.expect("token");
    let id = h
        .inspect()
        .deleted_ids()
        .first()
        .cloned()
        .expect("a deleted user");
    let (status, _, body) = common::send(
        reqwest::Method::POST,
        &common::graph(&h, &format!("directory/deletedItems/{id}/restore")),
        token.secret.expose_secret(),
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(h.inspect().is_deleted(&id));
}

#[tokio::test]
async fn client_secret_gives_an_app_only_sign_in() {
    let (dir, h) = common::start_sandbox(5).await;
    let ctx = ctx_with(
        &h,
        dir.path(),
        &["--client-id", "app-1"],
        Some(h.client_secret()),
    )
    .expect("ctx");
    let signed = ctx.resolve().await.expect("resolve").expect("app-only");
    assert_eq!(signed.identity.mode, Mode::AppOnly);
    // Named as Entra names an app-only caller: its app registration's display name.
    assert_eq!(signed.identity.account, "Sandbox app app-1");
    // All permissions are there; only the mail sender is missing.
    assert_eq!(signed.warnings, vec![Warning::NoMailSender]);
    let e = signed.mail_sender().err().unwrap_or_default();
    assert!(e.contains("--mail-from"), "{e}");
    let token = signed.tokens.token().await.expect("token");
    let (status, _, body) = common::get(
        &common::graph(&h, "users?$top=1"),
        token.secret.expose_secret(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !TokenCache::new(dir.path()).path().exists(),
        "app-only caches nothing"
    );

    let with_sender = ctx_with(
        &h,
        dir.path(),
        &[
            "--client-id",
            "app-1",
            "--mail-from",
            "helpdesk@contoso.sandbox",
        ],
        Some(h.client_secret()),
    )
    .expect("ctx");
    let signed = with_sender
        .resolve()
        .await
        .expect("resolve")
        .expect("app-only");
    assert!(signed.warnings.is_empty(), "{:?}", signed.warnings);
    assert_eq!(
        signed.mail_sender(),
        Ok(Some("helpdesk@contoso.sandbox".into()))
    );
}

#[tokio::test]
async fn an_app_lacking_a_role_or_permission_is_warned_before_graph_refuses() {
    // The app's service principal has no directory role, and Mail.Send was never granted.
    let (dir, h) = common::start_sandbox_with(5, |c| {
        c.directory_roles(&[]).app_roles(&[
            "User.Read.All",
            "User.DeleteRestore.All",
            "User-PasswordProfile.ReadWrite.All",
        ])
    })
    .await;
    let ctx = ctx_with(
        &h,
        dir.path(),
        &[
            "--client-id",
            "app-3",
            "--mail-from",
            "helpdesk@contoso.sandbox",
        ],
        Some(h.client_secret()),
    )
    .expect("ctx");
    let signed = ctx.resolve().await.expect("resolve").expect("app-only");
    assert_eq!(
        signed.warnings,
        vec![
            Warning::MissingRole {
                action: Action::SetPassword,
                mode: Mode::AppOnly,
                assign: "User Administrator",
            },
            Warning::MissingPermission {
                action: Action::SendMail,
                mode: Mode::AppOnly,
                grant: "Mail.Send",
            },
        ]
    );
    // Graph agrees: the restore goes through, the password and the mail are refused.
    let token = signed.tokens.token().await.expect("token");
    let token = token.secret.expose_secret();
    let id = h.inspect().deleted_ids()[0].clone();
    let restore = common::graph(&h, &format!("directory/deletedItems/{id}/restore"));
    let body = serde_json::json!({"autoReconcileProxyConflict": true,
        "newUserPrincipalName": format!("w{}@contoso.sandbox", &id[..8])});
    let (status, _, reply) = common::send(reqwest::Method::POST, &restore, token, Some(body)).await;
    assert_eq!(status, 200, "{reply}");
    let password = serde_json::json!({"passwordProfile": {"password": "Corr3ct-Horse-Battery!"}});
    let (status, _, reply) = common::send(
        reqwest::Method::PATCH,
        &common::graph(&h, &format!("users/{id}")),
        token,
        Some(password),
    )
    .await;
    assert_eq!(status, 403, "{reply}");
    common::assert_graph_error(&reply, "Authorization_RequestDenied");
    let mail = serde_json::json!({"message": {"subject": "s", "body": {"contentType": "Text", "content": "c"},
        "toRecipients": [{"emailAddress": {"address": "a@fabrikam.com"}}]}});
    let (status, _, reply) = common::send(
        reqwest::Method::POST,
        &common::graph(&h, "users/helpdesk@contoso.sandbox/sendMail"),
        token,
        Some(mail),
    )
    .await;
    assert_eq!(status, 403, "{reply}");
}

#[tokio::test]
async fn a_wrong_client_secret_says_what_to_check() {
    let (dir, h) = common::start_sandbox(5).await;
    let ctx = ctx_with(&h, dir.path(), &["--client-id", "app-1"], Some("wrong")).expect("ctx");
    let err = ctx.resolve().await.err().expect("refused");
    assert_eq!(err.oauth_code(), Some("invalid_client"));
    let text = err.to_string();
    assert!(text.contains("AADSTS7000215"), "{text}");
    // The advice for 7000215 (the secret's Value, not its ID), not a generic hint beside it.
    assert_eq!(
        text.matches("UNDELETE_CLIENT_SECRET").count(),
        1,
        "the advice names the variable exactly once: {text}"
    );
    assert!(text.contains("not its ID"), "{text}");
    assert!(
        !text.contains("wrong"),
        "the secret is never echoed: {text}"
    );

    let (mut out, mut errs) = (Vec::new(), Vec::new());
    let code = run_login(
        &ctx,
        &mut out,
        &mut errs,
        false,
        std::future::pending::<()>(),
    )
    .await;
    assert_eq!(code, 1);
    let errs = String::from_utf8_lossy(&errs);
    assert!(errs.contains("sign-in failed"), "{errs}");
    // The preface line names the variable too; the error line itself carries the advice once.
    let failure = errs
        .lines()
        .find(|l| l.contains("sign-in failed"))
        .unwrap_or_default();
    assert_eq!(
        failure.matches("UNDELETE_CLIENT_SECRET").count(),
        1,
        "{errs}"
    );
}

#[tokio::test]
async fn certificate_gives_an_app_only_sign_in() {
    let pem = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/auth/testdata/test-app.pem"
    );
    // The app's certificate is registered, as uploading it to the app registration would.
    let (dir, h) = common::start_sandbox_with(5, |c| {
        c.trust_certificate(include_str!("../../src/auth/testdata/test-app.pem"))
    })
    .await;
    let ctx = ctx_with(
        &h,
        dir.path(),
        &[
            "--client-id",
            "app-2",
            "--certificate",
            pem,
            "--mail-from",
            "helpdesk@contoso.sandbox",
        ],
        None,
    )
    .expect("ctx");
    let signed = ctx.resolve().await.expect("resolve").expect("app-only");
    assert_eq!(signed.identity.mode, Mode::AppOnly);
    assert!(signed.warnings.is_empty(), "{:?}", signed.warnings);
    let token = signed.tokens.token().await.expect("token");
    let (status, _, _) = common::get(
        &common::graph(&h, "users?$top=1"),
        token.secret.expose_secret(),
    )
    .await;
    assert_eq!(status, 200);

    // A key and certificate that do not match fail before anything is sent.
    let bad = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/auth/testdata/mismatched.pem"
    );
    let before = h.inspect().request_count();
    let ctx = ctx_with(
        &h,
        dir.path(),
        &["--client-id", "app-2", "--certificate", bad],
        None,
    )
    .expect("ctx");
    let err = ctx.resolve().await.err().expect("refused");
    assert!(
        matches!(&err, AuthError::Config(m) if m.contains("does not belong")),
        "{err}"
    );
    assert_eq!(h.inspect().request_count(), before);
}

#[tokio::test]
async fn login_command_shows_the_code_and_saves_the_sign_in() {
    let (dir, h) = common::start_sandbox(5).await;
    let ctx = ctx(&h, dir.path());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_login(&ctx, &mut out, &mut err, true, std::future::pending::<()>()).await;
    let (out, err) = (String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("To sign in"), "{err}");
    assert!(
        err.contains("\x1b]52;c;"),
        "the code is offered to the clipboard: {err:?}"
    );
    assert!(
        err.contains("everything undelete needs is granted"),
        "{err}"
    );
    assert!(
        out.contains("Signed in:") && out.contains(&h.admin_upn()),
        "{out}"
    );
    assert!(out.contains("(delegated)"), "{out}");
    assert!(cached_refresh(&ctx).is_some());
}

#[tokio::test]
async fn login_command_cancelled_saves_nothing() {
    let (dir, h) = common::start_sandbox(5).await;
    let ctx = ctx(&h, dir.path());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_login(&ctx, &mut out, &mut err, false, async {}).await;
    let err = String::from_utf8_lossy(&err);
    assert_eq!(code, 1);
    assert!(err.contains("cancelled"), "{err}");
    assert!(
        !err.contains("\x1b]52"),
        "no escape sequences when not a terminal"
    );
    assert!(!ctx.cache.path().exists());
}

#[tokio::test]
async fn interactive_sign_in_reports_the_prompt_then_signs_in() {
    let (dir, h) = common::start_sandbox(5).await;
    let ctx = ctx(&h, dir.path());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let signed = ctx
        .sign_in_interactive(
            move |p| {
                let _ = tx.send(p);
            },
            std::future::pending::<()>(),
        )
        .await
        .expect("signed in");
    let prompt = rx.recv().await.expect("prompt shown first");
    assert!(!prompt.user_code.is_empty());
    assert_eq!(signed.identity.account, h.admin_upn());
    assert!(
        ctx.resolve().await.expect("resolve").is_some(),
        "saved for the next run"
    );

    // Esc: the cancel future completes; nothing new is saved.
    let other = ctx_with(&h, dir.path(), &["--client-id", "another"], None).expect("ctx");
    let r = other.sign_in_interactive(|_| {}, async {}).await;
    assert!(matches!(r, Err(AuthError::Cancelled)));
    assert!(other.resolve().await.expect("resolve").is_none());
}

#[tokio::test]
async fn two_processes_sharing_the_cache_do_not_sign_each_other_out() {
    let (dir, h) =
        common::start_sandbox_with(5, |c| c.token_lifetime(Duration::from_secs(2))).await;
    let ctx = ctx(&h, dir.path());
    sign_in(&ctx).await;
    // Two runs (the TUI and a cron job) pick up the same cached sign-in.
    let a = ctx.resolve().await.expect("resolve").expect("run a");
    let b = ctx.resolve().await.expect("resolve").expect("run b");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // Both refresh; b redeems a token a already rotated and takes a's successor from the cache.
    a.tokens.token().await.expect("a refreshes");
    let t = b.tokens.token().await.expect("b refreshes too");
    assert_eq!(me(&h, t.secret.expose_secret()).await.0, 200);
    assert!(cached_refresh(&ctx).is_some(), "the sign-in survives");
}

/// A run on `tenant` of a sandbox serving several, with `contoso.sandbox` as the partner's home.
fn partner_ctx(h: &SandboxHandle, data_dir: &Path, tenant: &str) -> AuthContext {
    let base = h.base_url().as_str();
    let dir = data_dir.to_string_lossy();
    let argv = [
        "undelete",
        "--tenant",
        tenant,
        "--login-url",
        base,
        "--graph-url",
        base,
        "--data-dir",
        &dir,
    ];
    let (cli, matches) = common::cli::parse_from(argv).expect("arguments parse");
    let mut settings = cli.flag_settings(&matches);
    settings.partner_tenant = Some(TENANT.into());
    AuthContext::build(&settings, None).expect("context")
}

#[tokio::test]
async fn a_partner_signs_in_once_and_works_in_its_customers_never_in_another_tenant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let h = undelete_sandbox::spawn(
        undelete_sandbox::SandboxConfig::new(dir.path())
            .users(16)
            .tenants(3)
            .partner_tenant(TENANT)
            .customers(&["fabrikam.sandbox"]),
    )
    .await
    .expect("sandbox starts");
    let tenants = h.tenants();
    let id_of = |d: &str| {
        tenants
            .iter()
            .find(|t| t.domain == d)
            .map(|t| t.id.clone())
            .expect("served")
    };

    // Signed in once, at home.
    let home = partner_ctx(&h, data.path(), TENANT);
    sign_in(&home).await;

    // A customer: no device code, a token of that tenant, its own users only.
    let fabrikam = partner_ctx(&h, data.path(), "fabrikam.sandbox");
    let signed_in = fabrikam
        .resolve()
        .await
        .expect("no error")
        .expect("signed in through the partner");
    assert_eq!(
        signed_in.identity.tenant_id.as_deref(),
        Some(id_of("fabrikam.sandbox").as_str())
    );
    let token = signed_in.tokens.token().await.expect("token");
    let (status, _, org) = common::get(
        &common::graph(&h, "organization"),
        token.secret.expose_secret(),
    )
    .await;
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["value"][0]["id"], id_of("fabrikam.sandbox").as_str());
    assert!(
        fabrikam
            .cache
            .find(
                &fabrikam.cloud_key,
                "fabrikam.sandbox",
                &fabrikam.client_id,
                None
            )
            .expect("readable")
            .is_none(),
        "the customer keeps no sign-in of its own"
    );

    // A tenant the partner has no relationship with: refused with Entra's reason, and the
    // home sign-in still works.
    let northwind = partner_ctx(&h, data.path(), "northwind.sandbox");
    let e = northwind.resolve().await.err().expect("refused");
    let said = e.to_string();
    assert!(
        said.starts_with(
            "northwind.sandbox refused the sign-in of the partner tenant contoso.sandbox: AADSTS50020"
        ),
        "{said}"
    );
    assert!(
        home.resolve().await.expect("no error").is_some(),
        "home kept"
    );
    assert!(fabrikam.resolve().await.expect("no error").is_some());
}
