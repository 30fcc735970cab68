//! Certificate sign-in against a sandbox that verifies client assertions for real, over HTTP on
//! 127.0.0.1: the production `CertificateCredentials` gets a token from a sandbox trusting its
//! certificate, and assertions Entra would refuse (untrusted certificate, forged signature,
//! wrong audience, expired, too long-lived, someone else's client id, replayed `jti`, wrong
//! algorithm) are refused with Entra's codes.

use crate::common;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaEncoding, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use undelete::auth::TokenSource;
use undelete::auth::certificate::{ASSERTION_TYPE, Certificate, CertificateCredentials};
use undelete::auth::oauth::{self, AuthError};
use undelete::config::Endpoints;
use undelete_sandbox::{SandboxHandle, TrustedCert};

const APP_PEM: &str = include_str!("../../src/auth/testdata/test-app.pem");
const OTHER_PEM: &str = include_str!("../../src/auth/testdata/other-app.pem");
const CLIENT: &str = "cert-app-1";

fn endpoints(h: &SandboxHandle) -> Endpoints {
    Endpoints {
        graph: h.base_url().clone(),
        login: h.base_url().clone(),
        tenant: "contoso.sandbox".into(),
    }
}

fn credentials(h: &SandboxHandle, pem: &str) -> CertificateCredentials {
    let cert = Certificate::from_pem(pem).unwrap_or_else(|e| panic!("{e}"));
    let http = oauth::http_client().expect("http client");
    CertificateCredentials::new(http, &endpoints(h), CLIENT, cert)
}

/// The private key of a PEM file (PKCS#8 block).
fn key_of(pem: &str) -> RsaKeyPair {
    let body: String = pem
        .split("-----BEGIN PRIVATE KEY-----")
        .nth(1)
        .and_then(|rest| rest.split("-----END PRIVATE KEY-----").next())
        .expect("a PKCS#8 block")
        .lines()
        .map(str::trim)
        .collect();
    let der = STANDARD.decode(body).expect("base64");
    RsaKeyPair::from_pkcs8(&der).expect("an RSA key")
}

fn x5t_s256(pem: &str) -> String {
    TrustedCert::from_pem(pem).expect("certificate")[0]
        .x5t_s256
        .clone()
}

/// A JWT with exactly this header and these claims, signed with `pem`'s key.
fn sign(pem: &str, header: &Value, claims: &Value, encoding: &'static dyn RsaEncoding) -> String {
    let key = key_of(pem);
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(encoding, &SystemRandom::new(), input.as_bytes(), &mut sig)
        .expect("sign");
    format!("{input}.{}", B64.encode(sig))
}

fn claims(h: &SandboxHandle, now: i64) -> Value {
    json!({
        "aud": common::token_url(h),
        "iss": CLIENT,
        "sub": CLIENT,
        "jti": uuid::Uuid::new_v4().to_string(),
        "nbf": now,
        "iat": now,
        "exp": now + 300,
    })
}

fn ps256_header(pem: &str) -> Value {
    json!({"alg": "PS256", "typ": "JWT", "x5t#S256": x5t_s256(pem)})
}

async fn redeem(h: &SandboxHandle, assertion: &str) -> (u16, Value) {
    let resp = common::client()
        .post(common::token_url(h))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("scope", "https://graph.microsoft.com/.default"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .expect("token request");
    let (status, _, body) = common::split(resp).await;
    (status, body)
}

fn assert_refused(status: u16, body: &Value, code: u64) {
    assert!(status == 400 || status == 401, "{status} {body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(description.starts_with(&format!("AADSTS{code}:")), "{body}");
}

#[tokio::test]
async fn certificate_credentials_get_a_token_from_a_sandbox_trusting_the_certificate() {
    let (_dir, h) = common::start_sandbox_with(5, |c| c.trust_certificate(APP_PEM)).await;
    let creds = credentials(&h, APP_PEM);
    let token = creds.get().await.expect("a token");
    let (status, _, body) = common::get(
        &common::graph(&h, "users?$top=1"),
        token.secret.expose_secret(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Through the trait too, and a second token needs a new assertion (new jti), which the
    // sandbox accepts.
    let again = CertificateCredentials::token(&creds).await.expect("cached");
    assert_eq!(
        again.secret.expose_secret(),
        token.secret.expose_secret(),
        "kept until it nears expiry"
    );
    creds.invalidate(&again);
    let fresh = creds.get().await.expect("a second assertion is accepted");
    assert_ne!(fresh.secret.expose_secret(), token.secret.expose_secret());
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_with_700027() {
    // Nothing trusted at all, then only the other app's certificate.
    for trust in [None, Some(OTHER_PEM)] {
        let (_dir, h) = common::start_sandbox_with(5, |c| match trust {
            Some(pem) => c.trust_certificate(pem),
            None => c,
        })
        .await;
        let err = credentials(&h, APP_PEM).get().await.err().expect("refused");
        let AuthError::Rejected(e) = &err else {
            panic!("expected a token-endpoint refusal, got {err}");
        };
        assert_eq!(e.error, "invalid_client");
        assert_eq!(e.codes, vec![700027]);
        assert!(e.description.contains("key was not found"), "{e}");
    }
}

#[tokio::test]
async fn a_signature_by_another_key_is_refused() {
    let (_dir, h) = common::start_sandbox_with(5, |c| {
        c.trust_certificate(APP_PEM).trust_certificate(OTHER_PEM)
    })
    .await;
    let now = chrono::Utc::now().timestamp();
    // Names the trusted app certificate but is signed with the other app's key.
    let forged = sign(
        OTHER_PEM,
        &ps256_header(APP_PEM),
        &claims(&h, now),
        &RSA_PSS_SHA256,
    );
    let (status, body) = redeem(&h, &forged).await;
    assert_eq!(status, 401, "{body}");
    assert_refused(status, &body, 700027);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("did not match"),
        "{body}"
    );
    // A payload changed after signing fails the same way.
    let good = sign(
        APP_PEM,
        &ps256_header(APP_PEM),
        &claims(&h, now),
        &RSA_PSS_SHA256,
    );
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let mut c = claims(&h, now);
    c["sub"] = json!("someone-else");
    parts[1] = B64.encode(c.to_string());
    let (status, body) = redeem(&h, &parts.join(".")).await;
    assert_refused(status, &body, 700027);
    // Both certificates are trusted: the other app signing for itself is fine.
    let own = sign(
        OTHER_PEM,
        &ps256_header(OTHER_PEM),
        &claims(&h, now),
        &RSA_PSS_SHA256,
    );
    let (status, body) = redeem(&h, &own).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn claims_are_checked_as_entra_does() {
    let (_dir, h) = common::start_sandbox_with(5, |c| c.trust_certificate(APP_PEM)).await;
    let now = chrono::Utc::now().timestamp();
    let header = ps256_header(APP_PEM);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut c = claims(&h, now);
        edit(&mut c);
        sign(APP_PEM, &header, &c, &RSA_PSS_SHA256)
    };
    let cases: Vec<(&str, String, u64)> = vec![
        (
            "wrong aud",
            with(&|c| {
                c["aud"] =
                    json!("https://login.microsoftonline.com/contoso.sandbox/oauth2/v2.0/token")
            }),
            700023,
        ),
        (
            "expired",
            with(&|c| {
                // Past the five minutes of clock skew Entra allows.
                c["nbf"] = json!(now - 700);
                c["exp"] = json!(now - 400);
            }),
            700024,
        ),
        (
            "not yet valid",
            with(&|c| {
                c["nbf"] = json!(now + 400);
                c["exp"] = json!(now + 700);
            }),
            700024,
        ),
        (
            "iss is another app",
            with(&|c| c["iss"] = json!("another-app")),
            700021,
        ),
        (
            "sub is another app",
            with(&|c| c["sub"] = json!("another-app")),
            700021,
        ),
        (
            "no jti",
            with(&|c| {
                c.as_object_mut().map(|o| o.remove("jti"));
            }),
            50027,
        ),
        ("not a JWT", "not-a-jwt".to_string(), 50027),
        (
            "unsigned (alg none)",
            format!(
                "{}.{}.",
                B64.encode(r#"{"alg":"none","x5t#S256":"x"}"#),
                B64.encode(claims(&h, now).to_string())
            ),
            5002738,
        ),
    ];
    for (what, assertion, code) in cases {
        let (status, body) = redeem(&h, &assertion).await;
        assert!(body.get("access_token").is_none(), "{what}: {body}");
        assert_eq!(body["error_codes"][0], code, "{what}: {body}");
        assert_refused(status, &body, code);
    }
    // Thirty minutes (azure-identity's lifetime: Entra places no limit on `exp`), and the v1
    // token URL as audience, are fine.
    let ok = with(&|c| {
        c["exp"] = json!(now + 1800);
        c["aud"] = json!(format!("{}contoso.sandbox/oauth2/token", h.base_url()));
    });
    let (status, body) = redeem(&h, &ok).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_replayed_jti_is_refused_even_with_a_new_signature() {
    let (_dir, h) = common::start_sandbox_with(5, |c| c.trust_certificate(APP_PEM)).await;
    let now = chrono::Utc::now().timestamp();
    let c = claims(&h, now);
    let first = sign(APP_PEM, &ps256_header(APP_PEM), &c, &RSA_PSS_SHA256);
    let (status, body) = redeem(&h, &first).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = redeem(&h, &first).await;
    assert_refused(status, &body, 50027);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("already used"),
        "{body}"
    );
    // PSS signatures are randomized: a fresh signature over the same claims is still a replay.
    let resigned = sign(APP_PEM, &ps256_header(APP_PEM), &c, &RSA_PSS_SHA256);
    assert_ne!(resigned, first);
    let (status, body) = redeem(&h, &resigned).await;
    assert_refused(status, &body, 50027);
}

#[tokio::test]
async fn older_clients_rs256_with_a_sha1_x5t_are_accepted() {
    let (_dir, h) = common::start_sandbox_with(5, |c| c.trust_certificate(APP_PEM)).await;
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(APP_PEM.as_bytes()).expect("der");
    let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
    let header = json!({"alg": "RS256", "typ": "JWT", "x5t": B64.encode(sha1.as_ref())});
    let now = chrono::Utc::now().timestamp();
    let jwt = sign(APP_PEM, &header, &claims(&h, now), &RSA_PKCS1_SHA256);
    let (status, body) = redeem(&h, &jwt).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_unreadable_trusted_certificate_stops_the_sandbox_from_starting() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = undelete_sandbox::SandboxConfig::new(dir.path())
        .users(3)
        .trust_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----");
    let err = undelete_sandbox::spawn(cfg).await.expect_err("refused");
    assert!(err.to_string().contains("certificate"), "{err}");
}

// Issue 24, fixes 1 and 2. learn.microsoft.com/entra/identity-platform/certificate-credentials
// ("Assertion format"): the header's `x5t` is the base64url SHA-1 thumbprint (an earlier
// version of that page printed it with its `=` padding, `hOBcHZi846VCHSJbFAs26Go9VTQ=`, and
// MSAL for Python and azure-identity still send it so); `exp` is the one time claim the format
// requires. RFC 7519 4.1.4 and 4.1.5: a NumericDate may be non-integer, and a verifier may
// allow "a few minutes" of leeway for clock skew, which Entra does (five minutes).
#[tokio::test]
async fn python_style_assertions_with_padding_fractions_and_skew_are_taken() {
    let (_dir, h) = common::start_sandbox_with(5, |c| c.trust_certificate(APP_PEM)).await;
    let now = chrono::Utc::now().timestamp();
    let cert = &TrustedCert::from_pem(APP_PEM).expect("certificate")[0];
    // The thumbprints again, base64url with padding.
    let padded = |unpadded: &str| {
        let raw = B64.decode(unpadded).expect("base64url");
        base64::engine::general_purpose::URL_SAFE.encode(raw)
    };
    let (sha1, sha256) = (padded(&cert.x5t_sha1), padded(&cert.x5t_s256));
    assert!(sha1.ends_with('='), "SHA-1 in base64 pads");
    let headers = [
        // MSAL for Python 1.x: RS256, `x5t` with padding.
        json!({"alg": "RS256", "typ": "JWT", "x5t": sha1}),
        // Newer MSAL for Python: PS256, `x5t#S256` with padding.
        json!({"alg": "PS256", "typ": "JWT", "x5t#S256": sha256}),
    ];
    let mut n = 0;
    for header in &headers {
        let encoding: &'static dyn RsaEncoding = if header["alg"] == "RS256" {
            &RSA_PKCS1_SHA256
        } else {
            &RSA_PSS_SHA256
        };
        let variants = [
            // No `nbf`, fractional `iat` and `exp` (MSAL for Python).
            json!({"iat": now as f64 + 0.25, "exp": now as f64 + 600.75}),
            // `nbf` rounded half a second ahead (msal-node): within the skew.
            json!({"nbf": now + 1, "iat": now + 1, "exp": now + 301}),
            // A client clock four minutes ahead, and one four minutes behind.
            json!({"nbf": now + 240, "exp": now + 540}),
            json!({"nbf": now - 540, "exp": now - 240}),
        ];
        for times in variants {
            let mut c = json!({
                "aud": common::token_url(&h),
                "iss": CLIENT,
                "sub": CLIENT,
                "jti": uuid::Uuid::new_v4().to_string(),
            });
            for (k, v) in times.as_object().expect("times") {
                c[k] = v.clone();
            }
            let (status, body) = redeem(&h, &sign(APP_PEM, header, &c, encoding)).await;
            assert_eq!(status, 200, "{header} {c}: {body}");
            n += 1;
        }
    }
    assert_eq!(n, 8);
    // Without `exp` an assertion is still malformed.
    let c =
        json!({"aud": common::token_url(&h), "iss": CLIENT, "sub": CLIENT, "jti": "j", "nbf": now});
    let (status, body) = redeem(&h, &sign(APP_PEM, &headers[1], &c, &RSA_PSS_SHA256)).await;
    assert_refused(status, &body, 50027);
}

// Issue 24, fix 1. azure-identity's `CertificateCredential` (azure/identity/_internal/
// aad_client_base.py) writes every segment with Python's `urlsafe_b64encode`, `=` padding and
// all, and a 30-minute lifetime; Entra takes it ("Microsoft Entra ID doesn't place restrictions
// on the exp time currently", learn.microsoft.com/entra/identity-platform/certificate-credentials).
// The signature covers the segments as sent, padding included.
#[tokio::test]
async fn azure_identity_assertions_with_padded_segments_are_taken() {
    let (_dir, h) = common::start_sandbox_with(5, |c| c.trust_certificate(APP_PEM)).await;
    let now = chrono::Utc::now().timestamp();
    let cert = &TrustedCert::from_pem(APP_PEM).expect("certificate")[0];
    let padded = |raw: &[u8]| base64::engine::general_purpose::URL_SAFE.encode(raw);
    let x5t = padded(&B64.decode(&cert.x5t_s256).expect("thumbprint"));
    let header = json!({"typ": "JWT", "alg": "PS256", "x5t#S256": x5t});
    let mut c = claims(&h, now);
    c["exp"] = json!(now + 1800);
    let input = format!(
        "{}.{}",
        padded(header.to_string().as_bytes()),
        padded(c.to_string().as_bytes())
    );
    assert!(input.contains('='), "the segments are padded: {input}");
    let key = key_of(APP_PEM);
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(
        &RSA_PSS_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .expect("sign");
    let assertion = format!("{input}.{}", padded(&sig));
    let (status, body) = redeem(&h, &assertion).await;
    assert_eq!(status, 200, "{body}");
    // The signature is over the segments as sent: the same claims re-encoded without padding
    // do not verify with it.
    let mut c2 = claims(&h, now);
    c2["exp"] = json!(now + 1800);
    let unpadded_input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(c2.to_string())
    );
    let forged = format!("{unpadded_input}.{}", padded(&sig));
    let (status, body) = redeem(&h, &forged).await;
    assert_refused(status, &body, 700027);
}
