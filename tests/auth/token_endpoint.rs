//! The token endpoint's answers the sandbox does not give (5xx, odd or hostile bodies, unknown
//! errors) and the exact forms the client sends, from a scripted login server on 127.0.0.1 over
//! real HTTP, against the production flow code. `slow_down`, declined and expired device codes
//! run against the sandbox's scripted outcomes in `auth_device_code.rs`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use undelete::auth::TokenSource;
use undelete::auth::delegated::{DelegatedConfig, DelegatedTokens};
use undelete::auth::device_code::{DeviceCodeFlow, Poll, SLOW_DOWN_STEP};
use undelete::auth::oauth::{self, AuthError};
use undelete::auth::token_cache::{CacheKey, TokenCache};
use undelete::config::Endpoints;
use url::Url;

/// One request's form fields, in order.
type Form = Vec<(String, String)>;

#[derive(Clone, Default)]
struct Script {
    device: Arc<Mutex<Value>>,
    replies: Arc<Mutex<VecDeque<(u16, Value)>>>,
    /// Every form the token endpoint received.
    seen: Arc<Mutex<Vec<Form>>>,
}

impl Script {
    fn reply(&self, status: u16, body: Value) -> &Self {
        self.replies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back((status, body));
        self
    }

    fn seen(&self) -> Vec<Form> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn aad(error: &str, code: u64) -> Value {
    json!({
        "error": error,
        "error_description": format!("AADSTS{code}: scripted {error}.\r\nTrace ID: t"),
        "error_codes": [code],
        "trace_id": "trace-1",
        "correlation_id": "corr-1"
    })
}

fn good_token(n: u32) -> Value {
    json!({"token_type": "Bearer", "access_token": format!("access-{n}"), "expires_in": 3600,
           "refresh_token": format!("refresh-{n}"), "scope": "Mail.Send"})
}

async fn start(script: Script) -> Endpoints {
    async fn device(State(s): State<Script>) -> (StatusCode, axum::Json<Value>) {
        let body = s.device.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (StatusCode::OK, axum::Json(body))
    }
    async fn token(
        State(s): State<Script>,
        axum::extract::Path(tenant): axum::extract::Path<String>,
        body: axum::body::Bytes,
    ) -> (StatusCode, axum::Json<Value>) {
        let mut form: Form = url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        // Which authority it was asked at, as a field no client sends.
        form.push(("(authority)".into(), tenant));
        s.seen.lock().unwrap_or_else(|p| p.into_inner()).push(form);
        let next = s
            .replies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front();
        let (status, body) = next.unwrap_or((400, aad("authorization_pending", 70016)));
        (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            axum::Json(body),
        )
    }
    let app = Router::new()
        .route("/{tenant}/oauth2/v2.0/devicecode", post(device))
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .with_state(script);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let base = Url::parse(&format!("http://{addr}/")).expect("url");
    Endpoints {
        graph: base.clone(),
        login: base,
        tenant: "contoso.com".into(),
    }
}

fn device_reply(interval: u64, expires_in: u64) -> Value {
    json!({"device_code": "dev-secret", "user_code": "ABCD-1234",
           "verification_uri": "https://microsoft.com/devicelogin",
           "expires_in": expires_in, "interval": interval,
           "message": "To sign in, open https://microsoft.com/devicelogin and enter ABCD-1234."})
}

async fn flow(script: &Script, interval: u64, expires_in: u64) -> DeviceCodeFlow {
    *script.device.lock().unwrap_or_else(|p| p.into_inner()) = device_reply(interval, expires_in);
    let endpoints = start(script.clone()).await;
    let http = oauth::http_client().expect("http client");
    DeviceCodeFlow::start(&http, &endpoints, "client-1", "Mail.Send offline_access")
        .await
        .expect("device code starts")
}

fn pending(p: Poll) -> Duration {
    match p {
        Poll::Pending { next_in } => next_in,
        Poll::Complete(_) => panic!("expected Pending"),
    }
}

#[tokio::test]
async fn pending_then_slow_down_adds_five_seconds_then_success() {
    let script = Script::default();
    script
        .reply(400, aad("authorization_pending", 70016))
        .reply(400, aad("slow_down", 70016))
        .reply(400, aad("authorization_pending", 70016))
        .reply(200, good_token(1));
    let mut f = flow(&script, 2, 900).await;
    assert_eq!(f.prompt().user_code, "ABCD-1234");
    assert_eq!(f.prompt().interval, Duration::from_secs(2));
    assert_eq!(
        pending(f.poll().await.expect("poll 1")),
        Duration::from_secs(2)
    );
    let slowed = pending(f.poll().await.expect("poll 2"));
    assert_eq!(slowed, Duration::from_secs(2) + SLOW_DOWN_STEP);
    // The slower pace sticks for the rest of the flow.
    assert_eq!(pending(f.poll().await.expect("poll 3")), slowed);
    let Poll::Complete(tokens) = f.poll().await.expect("poll 4") else {
        panic!("expected the tokens");
    };
    assert_eq!(tokens.access_token.expose_secret(), "access-1");
    let seen = script.seen();
    assert_eq!(seen.len(), 4);
    let form = &seen[0];
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(
        get("grant_type"),
        Some("urn:ietf:params:oauth:grant-type:device_code")
    );
    assert_eq!(get("client_id"), Some("client-1"));
    assert_eq!(get("device_code"), Some("dev-secret"));
}

#[tokio::test]
async fn other_token_errors_keep_the_aad_details_and_advice() {
    let script = Script::default();
    script.reply(400, aad("invalid_request", 7000218));
    let mut f = flow(&script, 1, 900).await;
    let Err(AuthError::Rejected(e)) = f.poll().await else {
        panic!("expected Rejected");
    };
    assert_eq!(e.codes, vec![7000218]);
    assert_eq!(e.correlation_id.as_deref(), Some("corr-1"));
    assert!(e.to_string().contains("Allow public client flows"), "{e}");
}

#[tokio::test]
async fn wait_rides_out_a_server_error_and_polls_at_the_interval() {
    let script = Script::default();
    script
        .reply(400, aad("authorization_pending", 70016))
        .reply(503, json!({"error": "temporarily_unavailable"}))
        .reply(200, good_token(2));
    let f = flow(&script, 1, 900).await;
    let started = std::time::Instant::now();
    let tokens = tokio::time::timeout(Duration::from_secs(20), f.wait())
        .await
        .expect("finishes")
        .expect("signed in");
    assert_eq!(tokens.access_token.expose_secret(), "access-2");
    // Three polls, one interval (1 s) before each.
    assert!(
        started.elapsed() >= Duration::from_millis(2900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(script.seen().len(), 3);
}

#[tokio::test]
async fn cancel_stops_waiting_at_once() {
    let script = Script::default();
    let f = flow(&script, 1, 900).await;
    let started = std::time::Instant::now();
    let result = f
        .wait_or_cancel(tokio::time::sleep(Duration::from_millis(150)))
        .await;
    assert!(matches!(result, Err(AuthError::Cancelled)));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_code_that_expires_locally_ends_the_wait() {
    let script = Script::default();
    let f = flow(&script, 5, 1).await;
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(10), f.wait())
        .await
        .expect("ends");
    assert!(matches!(result, Err(AuthError::Expired)));
    // It stopped at the expiry (1 s), not after the 5 s interval.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn malformed_device_code_replies_are_errors() {
    for body in [
        json!({"user_code": "X", "verification_uri": "u", "expires_in": 5}),
        json!({"device_code": "d", "verification_uri": "u", "expires_in": 5}),
        json!({"device_code": "d", "user_code": "X", "expires_in": 5}),
        json!({"device_code": "d", "user_code": "X", "verification_uri": "u"}),
        json!(["not", "an", "object"]),
    ] {
        let script = Script::default();
        *script.device.lock().unwrap_or_else(|p| p.into_inner()) = body.clone();
        let endpoints = start(script).await;
        let http = oauth::http_client().expect("http client");
        let r = DeviceCodeFlow::start(&http, &endpoints, "c", "s").await;
        assert!(matches!(r, Err(AuthError::Malformed(_))), "{body}");
    }
}

#[tokio::test]
async fn hostile_prompt_strings_are_sanitized() {
    let script = Script::default();
    *script.device.lock().unwrap_or_else(|p| p.into_inner()) = json!({
        "device_code": "d", "user_code": "AB\u{1b}[2JCD", "verification_uri": "https://x\u{202e}y",
        "expires_in": 60, "message": "open \u{1b}]0;owned\u{7} now"
    });
    let endpoints = start(script).await;
    let http = oauth::http_client().expect("http client");
    let f = DeviceCodeFlow::start(&http, &endpoints, "c", "s")
        .await
        .expect("starts");
    let p = f.prompt();
    for s in [&p.user_code, &p.verification_uri, &p.message] {
        assert!(
            !s.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{s:?}"
        );
    }
}

fn delegated(endpoints: &Endpoints, cache: Option<TokenCache>) -> DelegatedTokens {
    DelegatedTokens::new(
        DelegatedConfig {
            http: oauth::http_client().expect("http client"),
            token_url: endpoints.token_url(),
            client_id: "client-1".into(),
            scopes: "Mail.Send offline_access".into(),
            cache,
            key: CacheKey::new("global", "contoso.com", "client-1", "a@contoso.com"),
            tenant_id: None,
            borrowed: false,
        },
        SecretString::from("refresh-0".to_string()),
    )
}

#[tokio::test]
async fn refresh_retries_a_5xx_and_rotates_the_cached_token() {
    let script = Script::default();
    script
        .reply(503, aad("temporarily_unavailable", 90033))
        .reply(200, good_token(7));
    let endpoints = start(script.clone()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = TokenCache::new(dir.path());
    let source = delegated(&endpoints, Some(cache.clone()));
    let token = source.token().await.expect("refreshed after a retry");
    assert_eq!(token.secret.expose_secret(), "access-7");
    let saved = cache
        .find("global", "contoso.com", "client-1", None)
        .expect("cache readable")
        .expect("entry saved");
    assert_eq!(saved.refresh_token.expose_secret(), "refresh-7");
    let forms = script.seen();
    assert_eq!(forms.len(), 2);
    assert!(forms[1].contains(&("grant_type".into(), "refresh_token".into())));
    assert!(forms[1].contains(&("refresh_token".into(), "refresh-0".into())));
    let text = std::fs::read_to_string(cache.path()).expect("cache file");
    assert!(!text.contains("access-7"), "access tokens never touch disk");
}

#[tokio::test]
async fn a_revoked_refresh_token_is_dropped_from_the_cache() {
    let script = Script::default();
    script.reply(400, aad("invalid_grant", 700082));
    let endpoints = start(script).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = TokenCache::new(dir.path());
    cache
        .store(&undelete::auth::token_cache::CachedLogin {
            key: CacheKey::new("global", "contoso.com", "client-1", "a@contoso.com"),
            refresh_token: SecretString::from("refresh-0".to_string()),
            tenant_id: None,
            scopes: String::new(),
            saved_at: chrono::Utc::now(),
        })
        .expect("stored");
    let source = delegated(&endpoints, Some(cache.clone()));
    // As the Graph client sees it.
    let err = undelete::directory::DirectoryError::from(
        source.token().await.err().expect("refresh refused"),
    );
    assert_eq!(err.kind, undelete::directory::ErrorKind::Unauthorized);
    assert!(err.message.contains("sign in again"), "{}", err.message);
    assert!(
        cache
            .find("global", "contoso.com", "client-1", None)
            .expect("cache readable")
            .is_none()
    );
}

/// A run on a customer tenant with no sign-in of its own, the partner's home signed in.
fn partner_run(
    endpoints: &Endpoints,
    data: &std::path::Path,
) -> undelete::auth::signin::AuthContext {
    let settings = undelete::config::Settings {
        tenant: Some("fabrikam.com".into()),
        partner_tenant: Some("contoso.com".into()),
        client_id: Some("client-1".into()),
        login_url: Some(endpoints.login.to_string()),
        graph_url: Some(endpoints.graph.to_string()),
        data_dir: Some(data.to_path_buf()),
        ..undelete::config::Settings::default()
    };
    undelete::auth::signin::AuthContext::build(&settings, None).expect("settings")
}

fn home_login(
    ctx: &undelete::auth::signin::AuthContext,
) -> undelete::auth::token_cache::CachedLogin {
    undelete::auth::token_cache::CachedLogin {
        key: CacheKey::new(
            &ctx.cloud_key,
            "contoso.com",
            "client-1",
            "admin@contoso.com",
        ),
        refresh_token: SecretString::from("home-refresh".to_string()),
        tenant_id: Some("home-tid".into()),
        scopes: String::new(),
        saved_at: chrono::Utc::now(),
    }
}

#[tokio::test]
async fn a_customer_tenant_without_its_own_sign_in_redeems_the_partner_s_at_its_authority() {
    let script = Script::default();
    script.reply(200, good_token(3));
    let endpoints = start(script.clone()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let ctx = partner_run(&endpoints, dir.path());
    ctx.cache.store(&home_login(&ctx)).expect("stored");

    let signed_in = ctx.resolve().await.expect("no error").expect("signed in");
    assert_eq!(
        signed_in
            .tokens
            .token()
            .await
            .expect("token")
            .secret
            .expose_secret(),
        "access-3"
    );
    assert_eq!(signed_in.identity.tenant, "fabrikam.com");
    assert_eq!(
        signed_in.identity.tenant_id, None,
        "the home's tid is not the customer's"
    );
    let forms = script.seen();
    assert_eq!(forms.len(), 1);
    assert!(forms[0].contains(&("(authority)".into(), "fabrikam.com".into())));
    assert!(forms[0].contains(&("refresh_token".into(), "home-refresh".into())));
    // The rotated refresh token is the home's again; the customer keeps no entry of its own.
    let home = ctx
        .cache
        .find(&ctx.cloud_key, "contoso.com", "client-1", None)
        .expect("readable")
        .expect("the home sign-in");
    assert_eq!(home.refresh_token.expose_secret(), "refresh-3");
    assert_eq!(home.tenant_id.as_deref(), Some("home-tid"));
    assert!(
        ctx.cache
            .find(&ctx.cloud_key, "fabrikam.com", "client-1", None)
            .expect("readable")
            .is_none()
    );
}

#[tokio::test]
async fn a_customer_tenant_that_refuses_the_partner_says_why_and_keeps_the_home_sign_in() {
    let script = Script::default();
    script.reply(400, aad("invalid_grant", 50020));
    let endpoints = start(script.clone()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let ctx = partner_run(&endpoints, dir.path());
    ctx.cache.store(&home_login(&ctx)).expect("stored");

    let e = ctx.resolve().await.err().expect("refused");
    let said = e.to_string();
    assert!(
        said.starts_with(
            "fabrikam.com refused the sign-in of the partner tenant contoso.com: AADSTS50020"
        ),
        "{said}"
    );
    assert!(
        said.contains("GDAP") && said.contains("[correlation-id corr-1]"),
        "{said}"
    );
    assert!(
        e.cause().starts_with("fabrikam.com refused"),
        "{}",
        e.cause()
    );
    assert!(
        ctx.cache
            .find(&ctx.cloud_key, "contoso.com", "client-1", None)
            .expect("readable")
            .is_some(),
        "a customer's refusal does not sign the partner out"
    );

    // Without a partner, nothing to borrow: an interactive sign-in is needed.
    let mut alone = partner_run(&endpoints, dir.path());
    alone.partner = None;
    assert!(alone.resolve().await.expect("no error").is_none());
}
