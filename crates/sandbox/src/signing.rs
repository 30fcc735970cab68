//! The sandbox's token-signing key: RSA, as Entra ID signs its tokens (RS256 with a `kid`), so
//! the public half can be published at the discovery document's `jwks_uri` and any client can
//! check a sandbox token the way it checks Entra's.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::DecodingKey;
use serde_json::{Value, json};

/// The private key (PKCS#8), its key id and the public half in the forms callers need. No
/// `Debug`: it holds the private key.
pub struct SigningKey {
    pair: KeyPair,
    /// `kid` (and `x5t`) of every token header and of the published key.
    kid: String,
    /// Modulus and exponent, base64url, as a JWK carries them.
    n: String,
    e: String,
    decoding: DecodingKey,
}

impl SigningKey {
    /// A new random 2048-bit key (Entra's size), as PKCS#8 DER to store.
    pub fn generate() -> Result<Vec<u8>, String> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| "generating the RSA signing key failed".to_string())?;
        let der = pair
            .as_der()
            .map_err(|_| "encoding the RSA signing key failed".to_string())?;
        Ok(der.as_ref().to_vec())
    }

    /// The key stored as PKCS#8 DER.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, String> {
        let pair = KeyPair::from_pkcs8(der)
            .map_err(|e| format!("the stored signing key is not an RSA key: {e}"))?;
        let public = pair.public_key();
        let n = B64.encode(public.modulus().big_endian_without_leading_zero());
        let e = B64.encode(public.exponent().big_endian_without_leading_zero());
        // Entra's `kid` is its certificate's thumbprint; this key has no certificate, so the
        // thumbprint of the public key stands in (stable for the life of the store).
        let kid = B64.encode(&digest(&SHA256, public.as_ref()).as_ref()[..20]);
        let decoding = DecodingKey::from_rsa_components(&n, &e)
            .map_err(|e| format!("the stored signing key's public half is unusable: {e}"))?;
        Ok(Self {
            pair,
            kid,
            n,
            e,
            decoding,
        })
    }

    pub fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }

    /// A JWT of `claims`, signed RS256, with Entra's header (`typ`, `alg`, `x5t`, `kid`).
    pub fn sign(&self, claims: &impl serde::Serialize) -> String {
        let header = json!({"typ": "JWT", "alg": "RS256", "x5t": self.kid, "kid": self.kid});
        // Claims are strings, numbers and lists: serialising them cannot fail; if it ever did,
        // the empty token is refused at once like a missing one.
        let Ok(payload) = serde_json::to_vec(claims) else {
            return String::new();
        };
        let signing_input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(payload));
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        if self
            .pair
            .sign(&RSA_PKCS1_SHA256, &rng, signing_input.as_bytes(), &mut sig)
            .is_err()
        {
            return String::new();
        }
        format!("{signing_input}.{}", B64.encode(sig))
    }

    /// The public key as a JSON Web Key, in the shape of Entra's `discovery/v2.0/keys`.
    pub fn jwk(&self, issuer: &str) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "x5t": self.kid,
            "n": self.n,
            "e": self.e,
            "issuer": issuer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, Validation};

    #[test]
    fn a_token_signed_with_the_key_verifies_with_its_published_half_only() {
        let key = SigningKey::from_pkcs8(&SigningKey::generate().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        let token = key.sign(&json!({"sub": "x", "exp": 4_000_000_000i64}));
        let header = jsonwebtoken::decode_header(&token).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        let jwk = key.jwk("iss");
        let published = DecodingKey::from_rsa_components(
            jwk["n"].as_str().unwrap_or(""),
            jwk["e"].as_str().unwrap_or(""),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut rules = Validation::new(Algorithm::RS256);
        rules.required_spec_claims.clear();
        assert!(jsonwebtoken::decode::<Value>(&token, &published, &rules).is_ok());
        let other = SigningKey::from_pkcs8(&SigningKey::generate().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(jsonwebtoken::decode::<Value>(&token, other.decoding(), &rules).is_err());
    }
}
