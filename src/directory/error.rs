//! One error type for everything a directory call can go wrong with. It keeps what Graph said
//! (`code`, `message`, `request-id`, HTTP status) and a `kind` the UI can act on.

use std::fmt;
use std::time::Duration;

use crate::auth::AuthError;

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

/// How far the request an error belongs to got, over every attempt of it: what may be
/// concluded about whether the directory carried it out. Decided where the bytes are written
/// (the transport), never guessed from an error's kind or words.
///
/// Ordered: the combination of two attempts is the greater (`max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Sent {
    /// No attempt was written: it failed before connecting or while connecting (refused, DNS,
    /// TLS handshake), on a pooled connection found closed before the request went on it, or
    /// it was refused here before anything was sent. Nothing was done.
    No,
    /// Written, and the directory refused it (a 4xx, a 429) on every attempt it received: it
    /// said so, so nothing was done.
    Refused,
    /// Written, and at least one attempt got no verdict: its reply was lost or cut off, a 5xx
    /// (which a gateway may send after the work was done), or a reply that could not be read.
    /// It may have been carried out. The default: an error that does not know is one of these.
    #[default]
    Maybe,
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
    /// The request it happened to, method and path (`GET /v1.0/me`), shown after the cause.
    pub request: Option<String>,
    /// Sending the same request again cannot help: a reply over the size cap, a body that
    /// stalled past its timeout, a `Retry-After` longer than the client waits. The bulk driver
    /// fails such jobs instead of resending them until the deadline.
    pub permanent: bool,
    /// Whether the request may have been carried out (see `Sent`).
    pub sent: Sent,
}

impl DirectoryError {
    /// An error that does not know whether its request went out says it may have (`Sent`'s
    /// default); the transport and `invalid` say otherwise where they know.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            code: None,
            message: message.into(),
            request_id: None,
            retry_after: None,
            request: None,
            permanent: false,
            sent: Sent::default(),
        }
    }

    /// The same error, sent as far as `sent` says.
    pub fn sent(mut self, sent: Sent) -> Self {
        self.sent = sent;
        self
    }

    /// Whether the request may have been carried out all the same (its reply lost, a 5xx):
    /// only then is a restore left open, or a mail taken as maybe in an inbox.
    pub fn may_have_happened(&self) -> bool {
        self.sent == Sent::Maybe
    }

    /// Names the request it happened to, unless it already names one.
    pub fn at(mut self, method: &str, path: &str) -> Self {
        if self.request.is_none() {
            self.request = Some(format!("{method} {path}"));
        }
        self
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Network, message)
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Malformed, message)
    }

    /// Refused here, before anything was sent.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message).sent(Sent::No)
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

/// The cause comes first, in words, and the request details last: a line cut to the width of
/// a terminal keeps what went wrong and loses only the path and the ids.
impl DirectoryError {
    /// The request's details (method and path, status, code, request-id), for the end of a
    /// line whose cause and advice come first; `None` when there are none.
    pub fn details(&self) -> Option<String> {
        let mut details: Vec<String> = Vec::new();
        if let Some(request) = &self.request {
            details.push(request.clone());
        }
        if let Some(status) = self.status {
            details.push(format!("HTTP {status}"));
        }
        if let Some(code) = &self.code {
            details.push(code.clone());
        }
        if let Some(id) = &self.request_id {
            details.push(format!("request-id {id}"));
        }
        (!details.is_empty()).then(|| details.join(", "))
    }
}

impl fmt::Display for DirectoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(details) = self.details() {
            write!(f, " ({details})")?;
        }
        Ok(())
    }
}

impl std::error::Error for DirectoryError {}

/// A token that could not be had is a directory error like any other: the Graph client asks
/// `auth` for tokens, never the other way round.
impl From<AuthError> for DirectoryError {
    fn from(e: AuthError) -> Self {
        let kind = match &e {
            AuthError::Network(_) => ErrorKind::Network,
            AuthError::Malformed(_) => ErrorKind::Malformed,
            AuthError::Config(_) | AuthError::Cache(_) => ErrorKind::Invalid,
            AuthError::Declined
            | AuthError::Expired
            | AuthError::Cancelled
            | AuthError::Rejected(_)
            | AuthError::Partner { .. } => ErrorKind::Unauthorized,
        };
        // No token, no request: nothing reached the directory.
        let mut out = DirectoryError::new(kind, e.to_string()).sent(Sent::No);
        if let AuthError::Rejected(aad) | AuthError::Partner { refusal: aad, .. } = &e {
            out.status = Some(aad.status);
            out.code = Some(aad.error.clone());
            out.request_id = aad.trace_id.clone();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_the_cause_first_and_the_request_last() {
        let mut e = DirectoryError::network("cannot connect to 127.0.0.1:5123: connection refused")
            .at(
                "GET",
                "/v1.0/directory/deletedItems/microsoft.graph.user?$top=999",
            );
        assert_eq!(
            e.to_string(),
            "cannot connect to 127.0.0.1:5123: connection refused \
             (GET /v1.0/directory/deletedItems/microsoft.graph.user?$top=999)"
        );
        e.message = "throttled: the directory asks to wait 27 h".into();
        e.status = Some(429);
        e.code = Some("TooManyRequests".into());
        e.request_id = Some("7f3c".into());
        assert_eq!(
            e.to_string(),
            "throttled: the directory asks to wait 27 h \
             (GET /v1.0/directory/deletedItems/microsoft.graph.user?$top=999, HTTP 429, \
             TooManyRequests, request-id 7f3c)"
        );
        assert_eq!(DirectoryError::invalid("bad id").to_string(), "bad id");
    }

    #[test]
    fn at_keeps_the_first_request_named() {
        let e = DirectoryError::malformed("x")
            .at("POST", "/v1.0/$batch")
            .at("GET", "/v1.0/me");
        assert_eq!(e.request.as_deref(), Some("POST /v1.0/$batch"));
    }

    #[test]
    fn auth_errors_map_to_directory_kinds() {
        let d: DirectoryError = AuthError::Network("down".into()).into();
        assert_eq!(d.kind, ErrorKind::Network);
        let d: DirectoryError = AuthError::Declined.into();
        assert_eq!(d.kind, ErrorKind::Unauthorized);
        let d: DirectoryError =
            crate::auth::oauth::parse_error(400, br#"{"error":"invalid_grant"}"#).into();
        assert_eq!(d.code.as_deref(), Some("invalid_grant"));
        assert_eq!(d.status, Some(400));
    }
}
