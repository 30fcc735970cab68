//! App-only sign-in with a certificate: the client proves itself with a JWT it signs (PS256)
//! instead of a shared secret. The PEM file holds the RSA private key (PKCS#8 or PKCS#1) and the
//! certificate uploaded to the app registration; the JWT names that certificate by its SHA-256
//! thumbprint (`x5t#S256`).

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rustls_pki_types::pem::{self, PemObject, SectionKind};
use secrecy::SecretString;
use serde::Serialize;
use std::path::Path;
use zeroize::Zeroizing;

use super::app_only::{AppOnly, Proof};
use super::oauth::AuthError;
use super::{AccessToken, TokenSource};
use crate::config::Endpoints;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: short, as it only has to reach the token endpoint.
pub const ASSERTION_LIFETIME: Duration = Duration::minutes(5);

/// A private key and the certificate it belongs to. No `Debug`: it holds the key.
pub struct Certificate {
    key: EncodingKey,
    /// The RSAPublicKey DER of the key.
    public_key: Vec<u8>,
    x5t_s256: String,
}

/// The claims of a client assertion (RFC 7523 section 3, as Entra ID wants them).
#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    iat: i64,
    nbf: i64,
    exp: i64,
}

impl Certificate {
    /// Reads `--certificate`: one PEM file with the private key and the certificate.
    pub fn load(path: &Path) -> Result<Self, AuthError> {
        let text = undelete_common::files::read_text(path, undelete_common::files::CERTIFICATE)
            .map_err(|e| {
                AuthError::Config(format!(
                    "cannot read the certificate file {}: {e}",
                    path.display()
                ))
            })?;
        Self::from_pem(&text).map_err(|e| AuthError::Config(format!("{}: {e}", path.display())))
    }

    /// Parses the key and the first certificate, and checks that they belong together.
    pub fn from_pem(text: &str) -> Result<Self, String> {
        // The PEM reader skips blocks it does not know (an encrypted PKCS#8 key) and cannot
        // decode legacy encrypted ones: both are recognised here, to say what to do.
        if is_encrypted(text) {
            return Err(encrypted_key_error());
        }
        // (the key for checking and its public half, the PKCS#1 DER for signing)
        let mut key: Option<(RsaKeyPair, Zeroizing<Vec<u8>>)> = None;
        let mut cert_der = None;
        for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(text.as_bytes()) {
            let (kind, der) = section.map_err(pem_error)?;
            let der = Zeroizing::new(der);
            match kind {
                SectionKind::PrivateKey if key.is_none() => {
                    let pair = RsaKeyPair::from_pkcs8(&der).map_err(|e| {
                        format!("the private key is not a usable RSA key (PS256 needs RSA, 2048 bits or more): {e}")
                    })?;
                    key = Some((pair, pkcs1_of(&der)?));
                }
                SectionKind::RsaPrivateKey if key.is_none() => {
                    let pair = RsaKeyPair::from_der(&der).map_err(|e| {
                        format!("the RSA private key is not usable (2048 bits or more): {e}")
                    })?;
                    key = Some((pair, der));
                }
                SectionKind::EcPrivateKey => {
                    return Err(
                        "the private key is an EC key; PS256 client assertions need an RSA key"
                            .into(),
                    );
                }
                SectionKind::Certificate if cert_der.is_none() => cert_der = Some(der),
                _ => {}
            }
        }
        if key.is_none() && cert_der.is_none() && !text.contains("-----BEGIN ") {
            return Err("not a PEM file (no '-----BEGIN ...-----' block)".into());
        }
        let (pair, pkcs1) = key.ok_or("no private key found (expected a 'BEGIN PRIVATE KEY' or 'BEGIN RSA PRIVATE KEY' block next to the certificate)")?;
        let cert_der = cert_der.ok_or(
            "no certificate found (expected a 'BEGIN CERTIFICATE' block next to the private key)",
        )?;
        // The certificate's SubjectPublicKeyInfo embeds the key's RSAPublicKey DER verbatim, so
        // finding it there proves the pair matches without an X.509 parser.
        let public = pair.public_key().as_ref();
        if public.is_empty() || !cert_der.windows(public.len()).any(|w| w == public) {
            return Err(
                "the certificate does not belong to the private key in the same file".into(),
            );
        }
        Ok(Self {
            key: EncodingKey::from_rsa_der(&pkcs1),
            public_key: public.to_vec(),
            x5t_s256: URL_SAFE_NO_PAD.encode(digest(&SHA256, &cert_der)),
        })
    }

    /// The certificate's SHA-256 thumbprint, base64url (the `x5t#S256` header).
    pub fn x5t_s256(&self) -> &str {
        &self.x5t_s256
    }

    /// A signed client assertion for `client_id` at `token_url`, valid from `now`.
    pub fn assertion(
        &self,
        client_id: &str,
        token_url: &str,
        now: DateTime<Utc>,
    ) -> Result<SecretString, AuthError> {
        let mut header = Header::new(Algorithm::PS256);
        header.x5t_s256 = Some(self.x5t_s256.clone());
        let claims = AssertionClaims {
            aud: token_url,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + ASSERTION_LIFETIME).timestamp(),
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(SecretString::from)
            .map_err(|_| AuthError::Config("signing the client assertion failed".into()))
    }

    /// The RSAPublicKey DER, for verifying assertions in tests.
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_key
    }
}

/// The RSAPrivateKey (PKCS#1) inside a PKCS#8 PrivateKeyInfo: the form the JWT signer takes.
fn pkcs1_of(pkcs8_der: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
    pkcs8::PrivateKeyInfoRef::try_from(pkcs8_der)
        .map(|info| Zeroizing::new(info.private_key.as_bytes().to_vec()))
        .map_err(|e| format!("the private key is not a PKCS#8 key: {e}"))
}

/// A legacy encrypted key (`Proc-Type: 4,ENCRYPTED`) or an encrypted PKCS#8 one.
fn is_encrypted(text: &str) -> bool {
    text.lines().map(str::trim).any(|line| {
        line == "-----BEGIN ENCRYPTED PRIVATE KEY-----"
            || (line.starts_with("Proc-Type:") && line.contains("ENCRYPTED"))
    })
}

fn encrypted_key_error() -> String {
    "the private key is encrypted; write an unencrypted copy readable only by you, e.g. \
     `openssl pkey -in key.pem -out plain.pem`, and pass that"
        .into()
}

/// The PEM reader's complaint in the words the admin sees.
fn pem_error(e: pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { end_marker } => format!(
            "'BEGIN {}' is never ended",
            String::from_utf8_lossy(&end_marker)
        ),
        pem::Error::Base64Decode(why) => format!("a PEM block is not valid base64: {why}"),
        other => format!("not a valid PEM file: {other}"),
    }
}

/// Client credentials with a certificate: the grant, its token cache and its one fetch at a
/// time are `app_only`'s, shared with the client secret.
pub struct CertificateCredentials(AppOnly);

impl CertificateCredentials {
    pub fn new(
        http: reqwest::Client,
        endpoints: &Endpoints,
        client_id: &str,
        certificate: Certificate,
    ) -> Self {
        Self(AppOnly::new(
            http,
            endpoints,
            client_id,
            Proof::Certificate(certificate),
        ))
    }

    pub async fn get(&self) -> Result<AccessToken, AuthError> {
        self.0.get().await
    }
}

impl TokenSource for CertificateCredentials {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        self.0.get().boxed()
    }

    fn invalidate(&self, rejected: &AccessToken) {
        self.0.invalidate(rejected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PSS_2048_8192_SHA256, UnparsedPublicKey};
    use secrecy::ExposeSecret;

    const PKCS8: &str = include_str!("testdata/test-app.pem");
    const PKCS1: &str = include_str!("testdata/test-app-pkcs1.pem");
    const MISMATCHED: &str = include_str!("testdata/mismatched.pem");
    const CERT_ONLY: &str = include_str!("testdata/test-app-cert-only.pem");
    /// `openssl x509 -outform der | openssl dgst -sha256 -binary | base64url`
    const THUMBPRINT: &str = "IpkIax1coKdjiMgcLqIss8gjzqEPJIYY8JsfZjAdlKw";

    fn cert(pem: &str) -> Certificate {
        Certificate::from_pem(pem).unwrap_or_else(|e| panic!("{e}"))
    }

    fn part(jwt: &str, i: usize) -> serde_json::Value {
        let p = jwt.split('.').nth(i).unwrap_or_default();
        let bytes = URL_SAFE_NO_PAD.decode(p).unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[test]
    fn both_key_formats_load_with_the_right_thumbprint() {
        assert_eq!(cert(PKCS8).x5t_s256(), THUMBPRINT);
        assert_eq!(cert(PKCS1).x5t_s256(), THUMBPRINT);
    }

    #[test]
    fn assertion_has_the_claims_and_a_valid_ps256_signature() {
        let c = cert(PKCS8);
        let now = Utc::now();
        let url = "https://login.microsoftonline.com/contoso/oauth2/v2.0/token";
        let jwt = c
            .assertion("client-1", url, now)
            .unwrap_or_else(|e| panic!("{e}"));
        let jwt = jwt.expose_secret();
        let header = part(jwt, 0);
        assert_eq!(header["alg"], "PS256");
        assert_eq!(header["x5t#S256"], THUMBPRINT);
        let claims = part(jwt, 1);
        assert_eq!(claims["aud"], url);
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["sub"], "client-1");
        assert_eq!(claims["nbf"], now.timestamp());
        let exp = claims["exp"].as_i64().unwrap_or_default();
        assert!(exp > now.timestamp() && exp - now.timestamp() <= 600);
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 32));
        let jti2 = part(
            c.assertion("client-1", url, now)
                .unwrap_or_else(|e| panic!("{e}"))
                .expose_secret(),
            1,
        )["jti"]
            .clone();
        assert_ne!(claims["jti"], jti2, "jti must be unique per assertion");

        let (input, sig) = jwt.rsplit_once('.').unwrap_or_default();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap_or_default();
        let pk = UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, c.public_key_der());
        assert!(pk.verify(input.as_bytes(), &sig).is_ok());
        assert!(pk.verify(b"tampered", &sig).is_err());
    }

    #[test]
    fn bad_files_give_clear_errors() {
        let err = |pem: &str| Certificate::from_pem(pem).err().unwrap_or_default();
        assert!(err(MISMATCHED).contains("does not belong"));
        assert!(err(CERT_ONLY).contains("no private key"));
        let key_only: String = PKCS8
            .split("-----BEGIN CERTIFICATE-----")
            .next()
            .unwrap_or_default()
            .into();
        assert!(err(&key_only).contains("no certificate"));
        assert!(err("hello").contains("not a PEM file"));
        assert!(
            err("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----")
                .contains("encrypted")
        );
        assert!(err("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES\n\nAAAA\n-----END RSA PRIVATE KEY-----").contains("encrypted"));
        assert!(
            err("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----").contains("base64")
        );
        assert!(err("-----BEGIN PRIVATE KEY-----\nAAAA\n").contains("never ended"));
        assert!(
            err("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").contains("RSA")
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = Certificate::load(Path::new("/nonexistent/app.pem")).err();
        assert!(matches!(e, Some(AuthError::Config(m)) if m.contains("/nonexistent/app.pem")));
    }
}
