//! Audit log records in full (`GET /v1.0/auditLogs/directoryAudits`, resource
//! `directoryAudit`): every target with its modified properties, for reading what an
//! offboarding took from a user before its deletion.
//!
//! Everything here came from the server. Names pass `sanitize::clean`; a modified property's
//! values are kept as sent (Graph writes them as JSON-encoded strings) and cleaned when they are
//! decoded (`ModifiedProperty::old_values`). A record without a time is skipped, not an error.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::audits::{Initiator, WireInitiator, initiator};
use super::{DirResult, DirectoryError};
use undelete_common::sanitize::clean;

/// One record of the directory audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: String,
    /// `activityDisplayName`, e.g. `Remove member from group`.
    pub activity: String,
    pub at: DateTime<Utc>,
    /// `result` is `success` (a failed or timed-out step took nothing).
    pub succeeded: bool,
    pub initiated_by: Initiator,
    pub targets: Vec<AuditTarget>,
}

impl AuditEvent {
    /// Whether the activity is `name`, compared as Entra's portal and scripts do: case and
    /// surrounding spaces aside.
    pub fn is(&self, name: &str) -> bool {
        self.activity.trim().eq_ignore_ascii_case(name.trim())
    }

    /// The target with this object id.
    pub fn target(&self, id: &str) -> Option<&AuditTarget> {
        self.targets
            .iter()
            .find(|t| t.id.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(id)))
    }

    /// The first target of a kind (`Group`, `Role`), other than the one with `but_id`.
    pub fn other_target(&self, kind: &str, but_id: &str) -> Option<&AuditTarget> {
        self.targets.iter().find(|t| {
            t.kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case(kind))
                && !t
                    .id
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(but_id))
        })
    }
}

/// One of a record's `targetResources`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditTarget {
    pub id: Option<String>,
    /// `type`: `User`, `Group`, `Role`, `Device`, ...
    pub kind: Option<String>,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub modified: Vec<ModifiedProperty>,
}

impl AuditTarget {
    /// The modified property called `name` (case aside).
    pub fn property(&self, name: &str) -> Option<&ModifiedProperty> {
        self.modified
            .iter()
            .find(|p| p.name.trim().eq_ignore_ascii_case(name))
    }
}

/// One of a target's `modifiedProperties`, its values as the server sent them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModifiedProperty {
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl ModifiedProperty {
    pub fn old_values(&self) -> Vec<String> {
        decode(self.old.as_deref())
    }

    pub fn new_values(&self) -> Vec<String> {
        decode(self.new.as_deref())
    }
}

/// A modified property's value, leniently: Entra writes a JSON-encoded string (`"\"Sales\""`)
/// or a JSON-encoded array (`"[\"a\",\"b\"]"`, `"[true]"`); older records and other writers
/// send the bare text. Each value comes back cleaned; empty ones are dropped.
pub fn decode(raw: Option<&str>) -> Vec<String> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Vec::new();
    };
    let values = match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Array(items)) => items.into_iter().map(scalar).collect(),
        Ok(serde_json::Value::Null) => Vec::new(),
        Ok(v) => vec![scalar(v)],
        // Not JSON (a raw control character inside the quotes is enough): the text itself,
        // without the quotes it was meant to have.
        Err(_) => vec![
            raw.strip_prefix('"')
                .and_then(|r| r.strip_suffix('"'))
                .unwrap_or(raw)
                .to_string(),
        ],
    };
    values
        .iter()
        .map(|v| clean(v.trim()))
        .filter(|v| !v.is_empty())
        .collect()
}

fn scalar(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEvent {
    id: Option<String>,
    activity_display_name: Option<String>,
    activity_date_time: Option<String>,
    result: Option<String>,
    initiated_by: Option<WireInitiator>,
    #[serde(default)]
    target_resources: Option<Vec<WireTarget>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTarget {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    display_name: Option<String>,
    user_principal_name: Option<String>,
    #[serde(default)]
    modified_properties: Option<Vec<WireProperty>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireProperty {
    display_name: Option<String>,
    old_value: Option<String>,
    new_value: Option<String>,
}

#[derive(Deserialize)]
struct WirePage {
    value: Vec<WireEvent>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// One page of audit records and the link to the next one (to be checked by the caller).
pub struct ParsedEvents {
    pub events: Vec<AuditEvent>,
    pub next_link: Option<String>,
}

fn text(s: Option<String>) -> Option<String> {
    s.map(|s| clean(&s)).filter(|s| !s.is_empty())
}

fn target(w: WireTarget) -> AuditTarget {
    AuditTarget {
        id: text(w.id),
        kind: text(w.kind),
        display_name: text(w.display_name),
        user_principal_name: text(w.user_principal_name),
        modified: w
            .modified_properties
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                Some(ModifiedProperty {
                    name: text(p.display_name)?,
                    old: p.old_value,
                    new: p.new_value,
                })
            })
            .collect(),
    }
}

fn event(w: WireEvent) -> Option<AuditEvent> {
    let at = DateTime::parse_from_rfc3339(w.activity_date_time.as_deref()?)
        .ok()?
        .with_timezone(&Utc);
    Some(AuditEvent {
        id: text(w.id).unwrap_or_default(),
        activity: text(w.activity_display_name).unwrap_or_default(),
        at,
        succeeded: w
            .result
            .as_deref()
            .is_some_and(|r| r.trim().eq_ignore_ascii_case("success")),
        initiated_by: initiator(w.initiated_by),
        targets: w
            .target_resources
            .unwrap_or_default()
            .into_iter()
            .map(target)
            .collect(),
    })
}

/// A page of `GET /auditLogs/directoryAudits`, every record in full.
pub fn parse_event_page(body: &[u8]) -> DirResult<ParsedEvents> {
    if body.is_empty() {
        return Err(DirectoryError::malformed(
            "the reply to the audit log listing is empty",
        ));
    }
    let value = serde_json::from_slice(body).map_err(|e| not_graph(&e))?;
    parse_event_value(value)
}

/// `parse_event_page` for a page already read as JSON (an answer inside a `$batch` reply).
pub fn parse_event_value(body: serde_json::Value) -> DirResult<ParsedEvents> {
    let page: WirePage = serde_json::from_value(body).map_err(|e| not_graph(&e))?;
    Ok(ParsedEvents {
        events: page.value.into_iter().filter_map(event).collect(),
        next_link: page.next_link,
    })
}

fn not_graph(e: &serde_json::Error) -> DirectoryError {
    DirectoryError::malformed(format!(
        "the reply to the audit log listing is not what Microsoft Graph sends: {e}"
    ))
}

/// The audit records to read for one user: those naming it as a target since `since`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub user_id: String,
    pub since: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_removal_parses_with_both_targets_and_its_encoded_values() {
        let body = br#"{"value":[{"id":"Directory_9","activityDisplayName":"Remove member from group",
          "activityDateTime":"2026-11-28T09:00:00Z","result":"success",
          "initiatedBy":{"app":{"appId":"a1","displayName":"HR Offboarding Automation",
            "servicePrincipalId":"sp1"},"user":null},
          "targetResources":[
            {"id":"U1","type":"User","userPrincipalName":"ana@contoso.com","modifiedProperties":[
              {"displayName":"Group.ObjectID","oldValue":"\"g-1\"","newValue":null},
              {"displayName":"Group.DisplayName","oldValue":"\"Sales \u001b[31mTeam\"","newValue":null}]},
            {"id":"g-1","type":"Group","displayName":"Sales Team","modifiedProperties":[]}]},
          {"id":"no-time","activityDisplayName":"Disable account"}],
          "@odata.nextLink":"https://graph.microsoft.com/v1.0/auditLogs/directoryAudits?$skiptoken=2"}"#;
        let page = parse_event_page(body).unwrap();
        assert_eq!(page.events.len(), 1, "a record without a time is skipped");
        let e = &page.events[0];
        assert!(e.is("remove member from group ") && e.succeeded);
        assert_eq!(e.initiated_by.who(), "app HR Offboarding Automation");
        let user = e.target("u1").expect("the user target, case aside");
        let group = user.property("group.objectid").unwrap();
        assert_eq!(group.old_values(), ["g-1"]);
        assert!(group.new_values().is_empty());
        assert_eq!(
            user.property("Group.DisplayName").unwrap().old_values(),
            ["Sales Team"],
            "decoded, then cleaned"
        );
        assert_eq!(
            e.other_target("group", "U1").unwrap().id.as_deref(),
            Some("g-1")
        );
        assert!(page.next_link.is_some());
    }

    #[test]
    fn values_decode_leniently() {
        assert_eq!(decode(Some(r#"["[true]"]"#)), ["[true]"]);
        assert_eq!(decode(Some("[true]")), ["true"]);
        assert_eq!(decode(Some(r#""x""#)), ["x"]);
        assert_eq!(decode(Some("bare text")), ["bare text"]);
        assert_eq!(decode(Some("\"raw \u{7} bell\"")), ["raw  bell"]);
        assert_eq!(decode(Some(r#"["a", "", "b"]"#)), ["a", "b"]);
        assert!(decode(Some("null")).is_empty());
        assert!(decode(Some("  ")).is_empty());
        assert!(decode(None).is_empty());
    }

    #[test]
    fn a_reply_that_is_not_graph_s_is_malformed() {
        assert!(parse_event_page(b"").is_err());
        assert!(parse_event_page(b"{\"value\":3}").is_err());
    }
}
