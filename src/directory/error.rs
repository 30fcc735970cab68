//! One error type for everything a directory call can go wrong with. It keeps what Graph said
//! (`code`, `message`, `request-id`, HTTP status) and a `kind` the UI can act on.

use std::fmt;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Another object already holds the user principal name.
    UpnConflict,
    /// Another object already holds one of the proxy addresses.
    ProxyConflict,
    NotFound,
    /// The password breaks the complexity policy or is banned.
    WeakPassword,
    /// The signed-in identity lacks a permission or role.
    Forbidden,
    /// 429 / 503 that outlasted the retries.
    Throttled,
    /// Missing, expired or rejected token.
    Unauthorized,
    /// Connection refused, reset, dropped, timed out.
    Network,
    /// A reply that is not what Graph sends (bad JSON, missing fields, truncated body).
    Malformed,
    /// Any other 4xx.
    BadRequest,
    /// 5xx that outlasted the retries.
    Server,
    /// Refused locally before anything was sent (bad URL, read-only mode, invalid input).
    Invalid,
    /// An earlier run planned this restore but it never happened: the user is still (or no
    /// longer) in the deleted users.
    NotRestored,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryError {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    /// Graph's `error.code`, e.g. `Request_BadRequest`.
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    /// For throttling: how long the server asked us to wait.
    pub retry_after: Option<Duration>,
}

impl DirectoryError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            code: None,
            message: message.into(),
            request_id: None,
            retry_after: None,
        }
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Network, message)
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Malformed, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    /// What an admin should do about it, in a few words.
    pub fn advice(&self) -> &'static str {
        match self.kind {
            ErrorKind::UpnConflict => "choose a new user name",
            ErrorKind::ProxyConflict => "remove the conflicting proxy addresses",
            ErrorKind::NotFound => "refresh: the user may have been purged or restored",
            ErrorKind::WeakPassword => "choose a stronger password",
            ErrorKind::Forbidden => "grant the missing permission or role",
            ErrorKind::Throttled => "wait a moment and retry",
            ErrorKind::Unauthorized => "sign in again",
            ErrorKind::Network => "check the connection and retry",
            ErrorKind::Malformed => "retry; report it if it persists",
            ErrorKind::BadRequest => "check the input",
            ErrorKind::Server => "retry later",
            ErrorKind::Invalid => "check the input",
            ErrorKind::NotRestored => "restore it again from the deleted users",
        }
    }
}

impl fmt::Display for DirectoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match (&self.code, self.status) {
            (Some(code), Some(status)) => write!(f, " ({code}, HTTP {status})")?,
            (Some(code), None) => write!(f, " ({code})")?,
            (None, Some(status)) => write!(f, " (HTTP {status})")?,
            (None, None) => {}
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request-id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for DirectoryError {}
