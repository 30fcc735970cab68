//! The JSON lines `restore` and `finish` print, one per user, and the words of their advice.

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::directory::{DeletedUser, Holder, Stage};
use crate::restore::{self, Field, UserOutcome};

/// What a script runs to finish restores whose password or mail step failed.
pub const FINISH_COMMAND: &str = "undelete finish";

/// One user's result line.
pub(super) fn outcome_line(
    o: &UserOutcome,
    status: &str,
    mail_sent: bool,
    show_password: bool,
) -> Value {
    let mut v = json!({
        "id": o.id,
        "displayName": o.display_name,
        "userPrincipalName": o.upn.as_deref().unwrap_or(&o.original_upn),
        "status": if o.failure.is_some() { "failed" } else { status },
        "restored": o.restored(),
        "passwordSet": o.password.is_some() && o.tap.is_none(),
        "mailSent": mail_sent,
    });
    if let Some(tap) = &o.tap {
        v["handOff"] = json!("tap");
        v["tapIssued"] = json!(o.password.is_some());
        v["tapExpires"] = json!(
            tap.expires
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        v["tapUsableOnce"] = json!(tap.usable_once);
    }
    if let Some(f) = &o.failure {
        v["stage"] = json!(f.stage);
        v["error"] = json!(f.error.message);
        v["code"] = json!(f.error.code);
        v["requestId"] = json!(f.error.request_id);
        v["advice"] = json!(f.error.advice());
    }
    if o.needs_password() {
        v["next"] = json!(FINISH_COMMAND);
    }
    if !o.brought_back.is_empty() {
        v["bringBack"] = json!(o.brought_back.iter().map(item_json).collect::<Vec<_>>());
    }
    match (show_password, &o.password, &o.tap) {
        (true, Some(p), Some(_)) => v["temporaryAccessPass"] = json!(p.expose_secret()),
        (true, Some(p), None) => {
            v["password"] = json!(p.expose_secret());
            v["forceChange"] = json!(o.force_change);
        }
        _ => {}
    }
    v
}

/// One thing offboarding took: `"status": "back"`, or `"failed"` with the error and advice.
fn item_json(i: &crate::restore::ItemOutcome) -> Value {
    let mut v = i.item.to_json();
    match &i.result {
        Ok(()) => v["status"] = json!("back"),
        Err(e) => {
            v["status"] = json!("failed");
            v["error"] = json!(e.message);
            v["code"] = json!(e.code);
            v["advice"] = json!(crate::offboarding::advice(&i.item, e));
        }
    }
    v
}

/// What to do about a user whose sign-in mail may have gone out, in words a script shows:
/// `mark_sent` closes it, `resend` replaces its password (the JSON names the subcommands, a
/// line on stderr the whole command, see `super::finish_hint`).
pub(super) fn mail_maybe_advice(mark_sent: &str, resend: &str) -> String {
    format!(
        "check the recipient's inbox: the password in that mail is the one in force; if it \
         arrived, `{mark_sent}` closes the user, otherwise `{resend}` sets a new password and \
         mails it"
    )
}

/// `mail_maybe_advice` as the JSON lines give it.
pub(super) fn mail_maybe_advice_json() -> String {
    mail_maybe_advice(
        &format!("{FINISH_COMMAND} --mark-sent ID"),
        &format!("{FINISH_COMMAND} --resend"),
    )
}

/// The command that closes a user whose mail may have gone out, once the admin saw it arrive.
pub(super) fn mark_sent_command(id: &str) -> String {
    format!("{FINISH_COMMAND} --mark-sent {id}")
}

/// The line of a user left alone because its sign-in mail may have gone out, or `None` for
/// any other outcome: `"status": "mail_uncertain"`, when the mail was being sent, and the
/// commands that close it (the mail arrived) or replace the password anyway.
pub(super) fn mail_uncertain_line(o: &UserOutcome) -> Option<Value> {
    if !o.mail_maybe_sent() {
        return None;
    }
    let f = o.failure.as_ref()?;
    Some(json!({
        "id": o.id,
        "displayName": o.display_name,
        "userPrincipalName": o.upn.as_deref().unwrap_or(&o.original_upn),
        "status": "mail_uncertain",
        "restored": true,
        // Set by the run that mailed it, and left in force.
        "passwordSet": true,
        "mailSent": Value::Null,
        "mailSendingAt": f.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "error": f.error.message,
        "advice": mail_maybe_advice_json(),
        "next": mark_sent_command(&o.id),
    }))
}

/// What pre-flight found held by someone else, for scripts: which name or address, and the
/// holder's kind, name and id.
pub(super) fn holders_json(pf: &restore::Preflight) -> Value {
    let entry = |field: &str, value: &str, h: &Holder| {
        json!({
            "field": field,
            "value": value,
            "kind": h.kind,
            "displayName": h.display_name,
            "id": h.id,
        })
    };
    let mut out = Vec::new();
    if let Some(h) = &pf.upn_holder {
        let upn = h.user_principal_name.as_deref().unwrap_or_default();
        out.push(entry("userPrincipalName", upn, h));
    }
    for (address, h) in &pf.proxy_holders {
        out.push(entry("proxyAddresses", address, h));
    }
    if let Some(restore::NameCheck {
        upn,
        holder: Some(h),
    }) = &pf.new_upn
    {
        out.push(entry("newUserPrincipalName", upn, h));
    }
    Value::Array(out)
}

pub(super) fn failed_line(
    target: &str,
    user: Option<&DeletedUser>,
    stage: Stage,
    error: &str,
) -> Value {
    let mut v = json!({
        "target": target,
        "status": "failed",
        "stage": stage,
        "error": error,
        "restored": false,
    });
    if let Some(u) = user {
        v["id"] = json!(u.id);
        v["displayName"] = json!(u.display_name);
        v["userPrincipalName"] = json!(u.original_upn);
    }
    v
}

/// A plan problem in the words of the command line: the flag that fixes it named.
pub(super) fn cli_words(p: &restore::Problem) -> String {
    let hint = match p.field {
        Field::NewUpn(_) => " (pass --new-upn)",
        Field::User(_) if p.message.contains("proxy") => " (pass --reconcile-proxies)",
        Field::Recipients => " (--email-to)",
        _ => "",
    };
    format!("{}{hint}", p.message)
}
