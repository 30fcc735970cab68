//! Client assertions (RFC 7523 JWTs signed with an app's certificate) checked the way Entra ID
//! checks them: the certificate named by the header must be registered, the RSA signature must
//! verify, and the claims must name this client, this token endpoint and a current time window
//! (learn.microsoft.com/entra/identity-platform/certificate-credentials: "Microsoft Entra ID
//! doesn't place restrictions on the exp time currently", so a long one is taken too).
//! Replayed `jti`s are refused by the caller, which keeps the set of spent ones.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

/// How far the client's clock may be from ours, either way, on `nbf`, `iat` and `exp`: RFC 7519
/// (4.1.4, 4.1.5) lets a verifier allow "a few minutes" of leeway, and Entra does. msal-node
/// rounds `nbf` to the nearest second, so a fresh assertion can start half a second ahead.
pub const CLOCK_SKEW_SECS: i64 = 300;

const DOCS: &str = "Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .";

/// A certificate registered for app sign-in: its thumbprints and its public key.
#[derive(Clone)]
pub struct TrustedCert {
    /// SHA-256 of the DER, base64url (the `x5t#S256` header).
    pub x5t_s256: String,
    /// SHA-1 of the DER, base64url (the legacy `x5t` header older clients send).
    pub x5t_sha1: String,
    /// Upper-case hex SHA-1, the form Entra's error messages quote.
    pub thumbprint_hex: String,
    spki: Vec<u8>,
}

impl std::fmt::Debug for TrustedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedCert")
            .field("x5t_s256", &self.x5t_s256)
            .finish_non_exhaustive()
    }
}

impl TrustedCert {
    /// From one certificate's DER: fails unless it holds an RSA key usable for PS256.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let spki = subject_public_key_info(der)?;
        // Refused now rather than at the first sign-in: an EC or tiny key could never verify.
        let key = aws_lc_rs::rsa::PublicEncryptingKey::from_der(&spki).map_err(|_| {
            "the certificate's key is not an RSA key; client assertions need RSA (PS256)"
                .to_string()
        })?;
        if key.key_size_bits() < 2048 {
            return Err(format!(
                "the certificate's RSA key has {} bits; at least 2048 are needed",
                key.key_size_bits()
            ));
        }
        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der);
        let sha256 = digest::digest(&digest::SHA256, der);
        Ok(Self {
            x5t_s256: B64.encode(sha256.as_ref()),
            x5t_sha1: B64.encode(sha1.as_ref()),
            thumbprint_hex: hex::encode_upper(sha1.as_ref()),
            spki,
        })
    }

    /// Every certificate in a PEM text (keys in the same file are ignored, never kept).
    pub fn from_pem(pem: &str) -> Result<Vec<Self>, String> {
        let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .map(|cert| {
                let cert = cert.map_err(|e| format!("not a valid PEM file: {e}"))?;
                Self::from_der(&cert)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if certs.is_empty() {
            return Err("no certificate found (expected a 'BEGIN CERTIFICATE' block)".into());
        }
        Ok(certs)
    }
}

/// The `subjectPublicKeyInfo` element of an X.509 certificate (RFC 5280 4.1), whole.
fn subject_public_key_info(cert: &[u8]) -> Result<Vec<u8>, String> {
    let cert = Certificate::from_der(cert).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| format!("cannot read the certificate's public key: {e}"))
}

/// Why an assertion was refused: the AADSTS code and Entra's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: u32,
    pub message: String,
}

fn reject(code: u32, message: impl Into<String>) -> Rejection {
    Rejection {
        code,
        message: message.into(),
    }
}

/// What the token endpoint knows when it checks an assertion.
pub struct Expected<'a> {
    pub client_id: &'a str,
    /// The token endpoint's URLs this request may name as `aud` (compared without case).
    pub audiences: &'a [String],
    pub trusted: &'a [TrustedCert],
    pub now: i64,
}

/// An assertion that passed every check; the caller refuses its `jti` if already spent.
#[derive(Debug)]
pub struct Accepted {
    pub jti: String,
    /// Until when the assertion could still be taken (`exp` plus the clock skew): its `jti`
    /// stays spent that long.
    pub exp: i64,
}

/// base64url as clients write it in JWTs: without padding (RFC 7515), or with it, as
/// azure-identity's `CertificateCredential` writes every segment (Entra takes both).
fn b64url(segment: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT.decode(segment).ok()
}

fn unsupported_alg(alg: &str) -> Rejection {
    reject(
        5002738,
        format!("Invalid JWT token. '{alg}' is not a supported signature algorithm."),
    )
}

fn malformed(why: &str) -> Rejection {
    reject(50027, format!("JWT token is invalid or malformed: {why}."))
}

fn timestamp(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%m/%d/%Y %H:%M:%S").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// Checks signature first (so claims of a forged token are never judged), then the claims.
pub fn check(assertion: &str, want: &Expected<'_>) -> Result<Accepted, Rejection> {
    let body = verify_signature(assertion, want)?;
    let claims: Value = b64url(body)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| malformed("the payload is not base64url JSON"))?;
    if !claims.is_object() {
        return Err(malformed("the payload is not a JSON object"));
    }
    check_claims(&claims, want)
}

/// Who signed it: a registered certificate, named by its thumbprint, whose key verifies the
/// signature over the first two segments exactly as sent. Returns the payload segment.
fn verify_signature<'a>(assertion: &'a str, want: &Expected<'_>) -> Result<&'a str, Rejection> {
    let parts: Vec<&str> = assertion.split('.').collect();
    let [head, body, sig] = parts[..] else {
        return Err(malformed("it does not have three dot-separated parts"));
    };
    let header: Value = b64url(head)
        .and_then(|h| serde_json::from_slice(&h).ok())
        .filter(Value::is_object)
        .ok_or_else(|| malformed("the header is not base64url JSON"))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let algorithm: &'static signature::RsaParameters = match alg {
        "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
        "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
        "" => return Err(malformed("the header names no algorithm ('alg')")),
        other => return Err(unsupported_alg(other)),
    };
    // MSAL for Python and azure-identity send the thumbprints base64url *with* `=` padding,
    // as an older version of Entra's own page printed them; Entra takes both.
    let thumbprint = |k: &str| header.get(k).and_then(Value::as_str).map(unpadded);
    let (named, cert) = if let Some(t) = thumbprint("x5t#S256") {
        let cert = want.trusted.iter().find(|c| c.x5t_s256 == t);
        (t, cert)
    } else if let Some(t) = thumbprint("x5t") {
        let cert = want.trusted.iter().find(|c| c.x5t_sha1 == t);
        (t, cert)
    } else {
        return Err(malformed(
            "the header names no certificate ('x5t#S256' or 'x5t')",
        ));
    };
    let Some(cert) = cert else {
        return Err(reject(
            700027,
            format!(
                "Client assertion failed signature validation. [Reason - The key was not found., \
                 Thumbprint of key used by client: '{}'. Please visit the Azure Portal, Graph \
                 Explorer or directly use MS Graph to see configured keys for app Id '{}'.] {DOCS}",
                thumbprint_for_message(&named),
                want.client_id
            ),
        ));
    };
    let signature = b64url(sig).ok_or_else(|| malformed("the signature is not base64url"))?;
    let signed = &assertion.as_bytes()[..head.len() + 1 + body.len()];
    if UnparsedPublicKey::new(algorithm, &cert.spki)
        .verify(signed, &signature)
        .is_err()
    {
        return Err(reject(
            700027,
            format!(
                "Client assertion failed signature validation. [Reason - The provided \
                 signature value did not match the expected signature value., Thumbprint of \
                 key used by client: '{}', Found key 'Start=..., End=...'] {DOCS}",
                cert.thumbprint_hex
            ),
        ));
    }
    Ok(body)
}

/// What it claims: this client, this token endpoint, a current time window and a `jti`.
fn check_claims(claims: &Value, want: &Expected<'_>) -> Result<Accepted, Rejection> {
    let text = |k: &str| claims.get(k).and_then(Value::as_str);
    if text("iss") != Some(want.client_id) || text("sub") != Some(want.client_id) {
        return Err(reject(
            700021,
            format!(
                "Client assertion application identifier doesn't match 'client_id' parameter. {DOCS}"
            ),
        ));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => audience_matches(a, want.audiences),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audience_matches(a, want.audiences)),
        _ => false,
    };
    if !aud_ok {
        return Err(reject(
            700023,
            format!("Client assertion audience claim does not match Realm issuer. {DOCS}"),
        ));
    }
    // RFC 7519 NumericDates may carry fractions (MSAL for Python writes `time.time()`), and
    // `nbf` and `iat` are optional: only `exp` is required by Entra's assertion format.
    let date = |k: &str| -> Result<Option<i64>, Rejection> {
        match claims.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|f| f.is_finite())
                .map(|f| Some(f.floor() as i64))
                .ok_or_else(|| malformed(&format!("the '{k}' claim must be a number of seconds"))),
        }
    };
    let (nbf, iat) = (date("nbf")?, date("iat")?);
    let Some(exp) = date("exp")? else {
        return Err(malformed("the 'exp' claim is required"));
    };
    let start = nbf.or(iat);
    let early = start.is_some_and(|s| want.now + CLOCK_SKEW_SECS < s);
    if early || want.now - CLOCK_SKEW_SECS > exp {
        let from = start.map_or_else(|| "any time".to_string(), timestamp);
        return Err(reject(
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {}, \
                 assertion valid from {from}, expiry time of assertion {}. {DOCS}",
                timestamp(want.now),
                timestamp(exp)
            ),
        ));
    }
    let jti = text("jti")
        .filter(|j| !j.is_empty())
        .ok_or_else(|| malformed("the 'jti' claim is required"))?;
    Ok(Accepted {
        jti: jti.to_string(),
        exp: exp + CLOCK_SKEW_SECS,
    })
}

/// A thumbprint as the certificate list holds it: base64url without padding (a standard
/// base64 spelling is taken too).
fn unpadded(b64: &str) -> String {
    b64.trim()
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

/// Entra quotes thumbprints as upper-case hex; the header carries base64url.
fn thumbprint_for_message(b64: &str) -> String {
    B64.decode(b64)
        .map(hex::encode_upper)
        .unwrap_or_else(|_| b64.chars().filter(char::is_ascii_alphanumeric).collect())
}

fn audience_matches(aud: &str, accepted: &[String]) -> bool {
    let aud = aud.trim_end_matches('/');
    accepted
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(aud))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::KeyPair;
    use rustls_pki_types::PrivateKeyDer;

    const PEM: &str = include_str!("../testdata/test-app.pem");
    /// `openssl x509 -outform der | openssl dgst -sha256 -binary | base64url`
    const THUMBPRINT: &str = "IpkIax1coKdjiMgcLqIss8gjzqEPJIYY8JsfZjAdlKw";

    #[test]
    fn the_certificate_yields_its_thumbprint_and_rsa_key() {
        let certs = TrustedCert::from_pem(PEM).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].x5t_s256, THUMBPRINT);
        assert_eq!(certs[0].thumbprint_hex.len(), 40);
        // The key that signs is the one found in the certificate.
        let key = PrivateKeyDer::from_pem_slice(PEM.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let signer = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(key.secret_der())
            .unwrap_or_else(|e| panic!("{e}"));
        let public = signer.public_key().as_ref();
        let spki_holds_key = certs[0].spki.windows(public.len()).any(|w| w == public);
        assert!(spki_holds_key);
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        assert!(TrustedCert::from_der(&[]).is_err());
        assert!(TrustedCert::from_der(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(TrustedCert::from_der(&[0x30, 0x03, 0x30, 0x01, 0x00]).is_err());
        assert!(TrustedCert::from_pem("hello").is_err());
        let key_only = PEM
            .split("-----BEGIN CERTIFICATE-----")
            .next()
            .unwrap_or("");
        assert!(TrustedCert::from_pem(key_only).is_err());
    }

    #[test]
    fn malformed_assertions_are_50027() {
        let certs = TrustedCert::from_pem(PEM).unwrap_or_default();
        let want = Expected {
            client_id: "c",
            audiences: &[],
            trusted: &certs,
            now: 0,
        };
        for bad in ["", "a.b", "a.b.c.d", "!.!.!", "e30.e30.AAAA"] {
            let e = check(bad, &want).err().map(|r| r.code);
            assert!(matches!(e, Some(50027 | 5002738)), "{bad}: {e:?}");
        }
    }
}
