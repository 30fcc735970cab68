//! App-only sign-in with a client secret: the grant itself, its token cache and its one fetch
//! at a time are `app_only`'s, shared with the certificate.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use secrecy::SecretString;

use super::app_only::{AppOnly, Proof};
use super::oauth::{self, AuthError};
use super::{AccessToken, TokenSource};
use crate::config::Endpoints;

/// No `Debug`: it holds the secret and the token.
pub struct ClientCredentials(AppOnly);

impl ClientCredentials {
    pub fn new(
        endpoints: &Endpoints,
        client_id: impl Into<String>,
        secret: SecretString,
    ) -> Result<Arc<Self>, AuthError> {
        let http = oauth::http_client()?;
        let client_id = client_id.into();
        Ok(Arc::new(Self(AppOnly::new(
            http,
            endpoints,
            &client_id,
            Proof::Secret(secret),
        ))))
    }

    /// A token for Graph: the cached one while it is fresh, otherwise a new one. A refusal
    /// keeps AAD's codes, so the caller can show the advice for them.
    pub async fn get(&self) -> Result<AccessToken, AuthError> {
        self.0.get().await
    }
}

impl TokenSource for ClientCredentials {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        self.0.get().boxed()
    }

    fn invalidate(&self, rejected: &AccessToken) {
        self.0.invalidate(rejected);
    }
}
