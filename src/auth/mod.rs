//! Where access tokens come from. The Graph client only sees `TokenSource`, so sign-in flows
//! (client credentials now; device code, certificates and the cache later) plug in here.

pub mod certificate;
pub mod claims;
pub mod delegated;
pub mod device_code;
pub mod login;
pub mod oauth;
pub mod signin;
pub mod token_cache;

pub mod client_credentials;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;

use crate::directory::DirectoryError;

/// A bearer token and when it stops working. No `Debug`: it is a secret.
#[derive(Clone)]
pub struct AccessToken {
    pub secret: SecretString,
    pub expires_at: DateTime<Utc>,
}

pub trait TokenSource: Send + Sync {
    /// A token valid for at least a minute more; refreshed ahead of expiry when needed.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, DirectoryError>>;
    /// The server rejected `rejected` (401): drop it so the next `token()` fetches a new one.
    fn invalidate(&self, rejected: &AccessToken);
}
