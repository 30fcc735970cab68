//! `sendMail`: validates the message like Exchange Online does and keeps it in the outbox.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::params::param;
use super::require_route;
use crate::error::{ApiError, ApiResult};
use crate::permissions::Route;
use crate::state::AppState;
use crate::store::SentMail;
use crate::token::{Caller, Claims};

pub async fn send_as_me(
    State(state): State<AppState>,
    Caller(claims): Caller,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let Some(upn) = claims.upn.clone() else {
        return Err(ApiError::bad_request(
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        ));
    };
    send(&state, &claims, Route::SendMailAsMe, &upn, &body)
}

pub async fn send_as_user(
    State(state): State<AppState>,
    Caller(claims): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    send(&state, &claims, Route::SendMailAsUser, &id, &body)
}

fn invalid(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, message)
}

/// Loose but honest address syntax: one `@`, something before, a dotted domain after.
pub fn valid_address(a: &str) -> bool {
    let Some((local, domain)) = a.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !a
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"".contains(c))
}

fn send(
    state: &AppState,
    claims: &Claims,
    route: Route,
    sender: &str,
    body: &[u8],
) -> ApiResult<StatusCode> {
    require_route(claims, route)?;
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        invalid(
            "RequestBodyRead",
            format!("Unable to read JSON request payload: {e}"),
        )
    })?;
    let msg = param(&v, "message")
        .filter(|m| m.is_object())
        .ok_or_else(|| {
            invalid(
                "ErrorInvalidParameter",
                "The message parameter is required.",
            )
        })?;
    let mut to = Vec::new();
    for r in msg
        .get("toRecipients")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let addr = r
            .pointer("/emailAddress/address")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        if !valid_address(&addr) {
            return Err(invalid(
                "ErrorInvalidRecipients",
                format!(
                    "At least one recipient is not valid., Recipient '{addr}' is not resolved. All recipients must be resolved before a message can be submitted."
                ),
            ));
        }
        to.push(addr);
    }
    if to.is_empty() {
        return Err(invalid(
            "ErrorInvalidRecipients",
            "At least one recipient is required, but none were found.",
        ));
    }
    let content_type = match msg.pointer("/body/contentType").and_then(Value::as_str) {
        None => "Text".to_string(),
        Some(t) if t.eq_ignore_ascii_case("text") => "Text".to_string(),
        Some(t) if t.eq_ignore_ascii_case("html") => "HTML".to_string(),
        Some(t) => {
            return Err(invalid(
                "RequestBodyRead",
                format!("Requested value '{t}' was not found."),
            ));
        }
    };
    let content = msg
        .pointer("/body/content")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let subject = msg
        .get("subject")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let save = match param(&v, "saveToSentItems") {
        None => true,
        Some(b) => b
            .as_bool()
            .ok_or_else(|| invalid("RequestBodyRead", "saveToSentItems must be a boolean."))?,
    };
    let db = state.db();
    let mailbox = db
        .active(sender)?
        .filter(|u| u.mail.is_some())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "ErrorInvalidUser",
                format!("The requested user '{sender}' is invalid."),
            )
        })?;
    // A delegated caller may only send as itself (Mail.Send.Shared is not modelled).
    if let Some(upn) = &claims.upn
        && !upn.eq_ignore_ascii_case(&mailbox.upn)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        ));
    }
    db.add_mail(&SentMail {
        seq: 0,
        sent_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        from: mailbox.mail.clone().unwrap_or(mailbox.upn.clone()),
        to,
        subject,
        content_type,
        body: content,
        save_to_sent_items: save,
    })?;
    Ok(StatusCode::ACCEPTED)
}

#[cfg(test)]
mod tests {
    use super::valid_address;

    #[test]
    fn address_syntax() {
        assert!(valid_address("a.b@fabrikam.com"));
        assert!(valid_address("zoë@例え.jp"));
        for bad in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a@.com",
            "a@b.com.",
            "a b@c.com",
            "a@b@c.com",
            "a;b@c.com",
        ] {
            assert!(!valid_address(bad), "{bad}");
        }
    }
}
