//! Where access tokens come from. The Graph client only sees `TokenSource`; behind it:
//! - `signin`: from the command line to credentials (`AuthContext::resolve`), the interactive
//!   device-code sign-in for the TUI (`sign_in_interactive`) and who we are (`Identity`);
//! - `device_code`: the device authorization grant, step by step or as one cancellable future;
//! - `delegated`: the signed-in admin's tokens, refreshed ahead of expiry and after a 401;
//! - `token_cache`: refresh tokens on disk (0600), rotated on every use;
//! - `app_only`: the client credentials grant and its token, for `client_credentials`
//!   (a secret) and `certificate` (a PS256 client assertion);
//! - `claims`: the permission self-check on our own token;
//! - `login`: the `undelete login` / `logout` commands; `login_tenants`: the same on several
//!   tenants (one sign-in at the partner's home, a token per tenant).

mod app_only;
pub mod certificate;
pub mod claims;
pub mod delegated;
pub mod device_code;
pub mod login;
pub mod login_tenants;
pub mod oauth;
pub mod signin;
pub mod token_cache;

pub mod client_credentials;

pub use claims::{Mode, Warning};
pub use signin::{AuthContext, Identity, SignedIn};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;

pub use oauth::AuthError;

/// A bearer token and when it stops working. No `Debug`: it is a secret.
#[derive(Clone)]
pub struct AccessToken {
    pub secret: SecretString,
    pub expires_at: DateTime<Utc>,
}

pub trait TokenSource: Send + Sync {
    /// A token valid for at least a minute more; refreshed ahead of expiry when needed.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>>;
    /// The server rejected `rejected` (401): drop it so the next `token()` fetches a new one.
    fn invalidate(&self, rejected: &AccessToken);
}
