//! The device-code sign-in against the sandbox's scripted outcomes, over real HTTP on
//! 127.0.0.1: `slow_down`, declined, expired, approval after several polls, through the
//! production flow (`DeviceCodeFlow`, `AuthContext`, `undelete login`'s body). The stub-server
//! tests in `auth_token_endpoint.rs` keep what the sandbox cannot do (5xx, odd bodies).

use crate::common;

use std::path::Path;
use std::time::Duration;

use secrecy::ExposeSecret;
use undelete::auth::claims::Mode;
use undelete::auth::device_code::{DeviceCodeFlow, Poll, SLOW_DOWN_STEP};
use undelete::auth::login::run_login;
use undelete::auth::oauth::{self, AuthError};
use undelete::auth::signin::AuthContext;
use undelete::config::Endpoints;
use undelete_sandbox::{DeviceCodeScript, DevicePoll, SandboxHandle};

const SCOPES: &str = "User.Read.All User.DeleteRestore.All User-PasswordProfile.ReadWrite.All Mail.Send offline_access";

async fn flow(h: &SandboxHandle) -> DeviceCodeFlow {
    let endpoints = Endpoints {
        graph: h.base_url().clone(),
        login: h.base_url().clone(),
        tenant: "contoso.sandbox".into(),
    };
    let http = oauth::http_client().expect("http client");
    DeviceCodeFlow::start(&http, &endpoints, "client-1", SCOPES)
        .await
        .expect("device code starts")
}

fn next_in(p: Poll) -> Duration {
    match p {
        Poll::Pending { next_in } => next_in,
        Poll::Complete(_) => panic!("expected Pending"),
    }
}

fn ctx(h: &SandboxHandle, data_dir: &Path, extra: &[&str]) -> AuthContext {
    let base = h.base_url().as_str();
    let dir = data_dir.to_string_lossy();
    let mut argv = vec![
        "undelete",
        "--tenant",
        "contoso.sandbox",
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
    AuthContext::build(&settings, None).expect("context")
}

#[tokio::test]
async fn slow_down_adds_five_seconds_for_the_rest_of_the_flow() {
    let (_dir, h) = common::start_sandbox_with(3, |c| {
        c.device_code_script(DeviceCodeScript::slow_down_then_approve())
    })
    .await;
    let mut f = flow(&h).await;
    let interval = f.prompt().interval;
    assert_eq!(interval, Duration::from_secs(1), "the sandbox's interval");
    let slowed = next_in(f.poll().await.expect("poll 1: slow_down"));
    assert_eq!(slowed, interval + SLOW_DOWN_STEP);
    assert_eq!(next_in(f.poll().await.expect("poll 2: pending")), slowed);
    let Poll::Complete(tokens) = f.poll().await.expect("poll 3") else {
        panic!("expected the tokens");
    };
    let (status, _, body) = common::get(
        &common::graph(&h, "me"),
        tokens.access_token.expose_secret(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access was asked for"
    );
    // The code is spent: polling again is an error, not a second set of tokens.
    let again = f.poll().await.err().expect("spent");
    assert_eq!(again.oauth_code(), Some("invalid_grant"), "{again}");
}

#[tokio::test]
async fn declined_and_expired_end_the_flow_with_their_own_errors() {
    for (script, want) in [
        (DeviceCodeScript::decline_after(1), AuthError::Declined),
        (DeviceCodeScript::expire_after(1), AuthError::Expired),
        (DeviceCodeScript::decline_after(0), AuthError::Declined),
    ] {
        let (_dir, h) =
            common::start_sandbox_with(3, |c| c.device_code_script(script.clone())).await;
        let mut f = flow(&h).await;
        let first = script.answer(1);
        if first == DevicePoll::Pending {
            next_in(f.poll().await.expect("pending first"));
        }
        assert_eq!(f.poll().await.err(), Some(want.clone()), "{script:?}");
        // Nothing was signed in, and the code cannot be used afterwards either.
        assert!(f.poll().await.is_err());
    }
}

#[tokio::test]
async fn wait_keeps_polling_until_the_admin_approves() {
    let (dir, h) = common::start_sandbox_with(3, |c| {
        c.device_code_script(DeviceCodeScript::approve_after(3))
    })
    .await;
    let ctx = ctx(&h, dir.path(), &[]);
    let started = std::time::Instant::now();
    let signed = tokio::time::timeout(
        Duration::from_secs(30),
        ctx.sign_in_interactive(|_| {}, std::future::pending::<()>()),
    )
    .await
    .expect("finishes")
    .expect("signed in");
    // Three pending polls and the approving one, one interval (1 s) before each.
    assert!(
        started.elapsed() >= Duration::from_millis(3900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(signed.identity.account, h.admin_upn());
    assert_eq!(signed.identity.mode, Mode::Delegated);
}

#[tokio::test]
async fn a_declined_sign_in_is_reported_and_nothing_is_cached() {
    let (dir, h) = common::start_sandbox_with(3, |c| {
        c.device_code_script(DeviceCodeScript::decline_after(1))
    })
    .await;
    let ctx = ctx(&h, dir.path(), &[]);
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        ctx.sign_in_interactive(|_| {}, std::future::pending::<()>()),
    )
    .await
    .expect("finishes")
    .err()
    .expect("declined");
    assert_eq!(err, AuthError::Declined);
    assert!(
        ctx.resolve().await.expect("resolve").is_none(),
        "nothing cached"
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
    assert!(errs.contains("declined"), "{errs}");
}

#[tokio::test]
async fn a_national_cloud_sign_in_works_end_to_end() {
    let (dir, h) = common::start_sandbox(3).await;
    for cloud in ["usgov", "usgov-dod", "china"] {
        let ctx = ctx(&h, dir.path(), &["--cloud", cloud]);
        assert!(
            ctx.scopes.contains("https://"),
            "national scopes carry Graph's resource: {}",
            ctx.scopes
        );
        let signed = tokio::time::timeout(
            Duration::from_secs(20),
            ctx.sign_in_interactive(|_| {}, std::future::pending::<()>()),
        )
        .await
        .expect("finishes")
        .expect("signed in");
        // The prefixed scopes were granted as the bare permissions the self-check looks for.
        assert!(signed.warnings.is_empty(), "{cloud}: {:?}", signed.warnings);
        let token = signed.tokens.token().await.expect("token");
        let (status, _, body) =
            common::get(&common::graph(&h, "me"), token.secret.expose_secret()).await;
        assert_eq!(status, 200, "{cloud}: {body}");
    }
}
