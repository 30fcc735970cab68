//! The reads behind "what offboarding took": each user's audit records before its deletion
//! (one `$batch`ed read per user, then that user's further pages), and the groups they name as
//! they are now (renamed, or gone since).

use std::collections::HashSet;

use chrono::SecondsFormat;
use futures::StreamExt;
use serde::Deserialize;

use super::GraphDirectory;
use super::urls::odata_string;
use crate::directory::audit_events::{AuditEvent, AuditQuery, parse_event_page, parse_event_value};
use crate::directory::{DirResult, DirectoryError, ErrorKind, batch};
use undelete_common::sanitize::clean;

/// Records per page: Graph's largest for `directoryAudits`.
const AUDIT_PAGE: &str = "999";

/// `targetResources/any(t:t/id eq '<id>') and activityDateTime ge <since>`.
pub(super) fn user_audit_filter(q: &AuditQuery) -> String {
    format!(
        "targetResources/any(t:t/id eq {}) and activityDateTime ge {}",
        odata_string(&q.user_id),
        q.since.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireGroup {
    display_name: Option<String>,
}

impl GraphDirectory {
    /// `Directory::user_audits`: every record naming each user since its query's time, all
    /// pages; each user's read fails on its own.
    pub(super) async fn read_user_audits(
        &self,
        queries: Vec<AuditQuery>,
    ) -> Vec<DirResult<Vec<AuditEvent>>> {
        let reads = queries
            .iter()
            .map(|q| {
                let filter = user_audit_filter(q);
                batch::check_job_id(&q.user_id).and_then(|()| {
                    self.read(
                        &["auditLogs", "directoryAudits"],
                        &[("$filter", &filter), ("$top", AUDIT_PAGE)],
                        false,
                    )
                })
            })
            .collect();
        let mut out = Vec::with_capacity(queries.len());
        for answer in self.read_each(reads).await {
            out.push(match answer.and_then(parse_event_value) {
                Ok(first) => self.rest_of(first.events, first.next_link).await,
                Err(e) => Err(e),
            });
        }
        out
    }

    /// A user's further pages of audit records, after the first one came through `$batch`.
    async fn rest_of(
        &self,
        mut events: Vec<AuditEvent>,
        next: Option<String>,
    ) -> DirResult<Vec<AuditEvent>> {
        let Some(link) = next else {
            return Ok(events);
        };
        let first = self.check_next_link(&link, &HashSet::new());
        let mut pages = self.follow(first, "audit log", |body| {
            let p = parse_event_page(body)?;
            Ok((p.events, p.next_link, None))
        });
        while let Some(page) = pages.next().await {
            events.extend(page?.0);
        }
        Ok(events)
    }

    /// `Directory::groups_as_now`: each group's current name, `None` when it is gone (404).
    pub(super) async fn read_groups(&self, ids: Vec<String>) -> Vec<DirResult<Option<String>>> {
        let reads = ids
            .iter()
            .map(|id| {
                batch::check_job_id(id).and_then(|()| {
                    self.read(&["groups", id], &[("$select", "id,displayName")], false)
                })
            })
            .collect();
        self.read_each(reads)
            .await
            .into_iter()
            .map(|answer| match answer {
                Ok(body) => serde_json::from_value::<WireGroup>(body)
                    .map(|g| Some(g.display_name.map(|n| clean(&n)).unwrap_or_default()))
                    .map_err(|e| {
                        DirectoryError::malformed(format!(
                            "the reply to a group lookup is not what Microsoft Graph sends: {e}"
                        ))
                    }),
                Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            })
            .collect()
    }
}

impl GraphDirectory {
    /// `Directory::usage_locations`: each deleted user's `usageLocation`, read by id.
    pub(super) async fn read_usage_locations(
        &self,
        ids: Vec<String>,
    ) -> Vec<DirResult<Option<String>>> {
        let reads = ids
            .iter()
            .map(|id| {
                batch::check_job_id(id).and_then(|()| {
                    self.read(
                        &["directory", "deletedItems", id],
                        &[("$select", "id,usageLocation")],
                        false,
                    )
                })
            })
            .collect();
        self.read_each(reads)
            .await
            .into_iter()
            .map(|answer| {
                answer.map(|body| {
                    body.get("usageLocation")
                        .and_then(serde_json::Value::as_str)
                        .map(clean)
                        .filter(|l| !l.is_empty())
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_filter_names_the_user_and_the_window_as_graph_documents_it() {
        let q = AuditQuery {
            user_id: "5e2b1c4d-0000-4000-8000-000000000001".into(),
            since: chrono::Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap(),
        };
        assert_eq!(
            user_audit_filter(&q),
            "targetResources/any(t:t/id eq '5e2b1c4d-0000-4000-8000-000000000001') and \
             activityDateTime ge 2026-11-01T08:00:00Z"
        );
    }
}
