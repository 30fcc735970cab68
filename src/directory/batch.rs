//! `$batch` for bulk restores: assembling requests and reading inner responses (pure), so the
//! rules can be tested without a server. The driver that sends batches lives in `graph/bulk.rs`.
//!
//! Per user: a restore and, when a password is to be set, a password PATCH that `dependsOn` the
//! restore; so 10 users fill a batch of Graph's maximum 20 requests. Each inner response is
//! checked on its own; only inner 429s are resent, after their `Retry-After`. A PATCH answered
//! 424 (failed dependency) is the echo of its restore's failure, which is what gets reported.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::retry::{parse_retry_after, wait_too_long};
use super::wire::{self, error_from_value, parse_active_value, password_body, restore_body};
use super::{ActiveUser, DirectoryError, ErrorKind, JobEvent, RestoreJob, Sent, Stage};

/// Graph's limit on requests in one `$batch`.
pub const MAX_REQUESTS: usize = 20;
/// Two requests per user (restore + password).
pub const USERS_PER_BATCH: usize = MAX_REQUESTS / 2;

/// Where one user's work stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Not restored yet. `verify` is set when an earlier attempt may have restored it without
    /// us hearing back: the driver then checks whether the user is active before resending.
    Restore {
        verify: bool,
    },
    /// Restored; the password is still to be set (the PATCH is idempotent: resend at will).
    Password,
    Done,
}

/// A job and its progress through the batches.
pub struct JobState {
    pub job: RestoreJob,
    pub step: Step,
    /// Resends so far after failures (lost replies, 5xx, answers left out). Resends after a
    /// 429 that says when to come back are not counted: those are paced, not failing.
    pub resends: u32,
    /// Not to be sent before this long has passed since it was last answered (its Retry-After).
    pub wait: Duration,
    /// The wait comes from a 429 (the notice says "throttled", not "retrying").
    pub throttled: bool,
    /// What went wrong last, reported if the run's deadline ends the job.
    pub last_error: Option<DirectoryError>,
    /// How far this step's requests got over every batch that carried them (`Sent`): a
    /// failure reported for the job says at least this much, so a restore whose earlier
    /// reply was lost is never reported as surely not done.
    pub sent: Sent,
}

/// How far `apply` goes before giving a job up.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Resends after failures (not after paced 429s) before the job fails.
    pub max_resends: u32,
    /// A longer inner `Retry-After` fails the job at once.
    pub max_retry_after: Duration,
}

impl JobState {
    pub fn new(job: RestoreJob) -> Self {
        Self {
            job,
            step: Step::Restore { verify: false },
            resends: 0,
            wait: Duration::ZERO,
            throttled: false,
            last_error: None,
            sent: Sent::No,
        }
    }

    /// The failure event of this job at `stage`, saying at least as much of whether it
    /// happened as its earlier attempts did.
    pub fn failure(&self, stage: Stage, mut error: DirectoryError) -> JobEvent {
        error.sent = error.sent.max(self.sent);
        failed(&self.job.id, stage, error)
    }

    /// The job moves on to `step`: what its earlier requests left open was about the last one.
    fn advance(&mut self, step: Step) {
        self.step = step;
        self.sent = Sent::No;
    }

    /// Writes the next batch will spend on this job.
    pub fn writes(&self) -> u32 {
        match self.step {
            Step::Restore { .. } => 1 + u32::from(self.job.password.is_some()),
            Step::Password => 1,
            Step::Done => 0,
        }
    }
}

#[derive(Serialize)]
pub struct BatchBody {
    pub requests: Vec<InnerRequest>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InnerRequest {
    pub id: String,
    pub method: &'static str,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct BatchReply {
    responses: Vec<InnerResponse>,
}

#[derive(Deserialize)]
pub struct InnerResponse {
    pub id: String,
    pub status: u16,
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// The body as the batch carried it; `content` is what the call itself answered.
    pub body: Option<Value>,
}

impl InnerResponse {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    }

    /// The body as the call would have answered it outside a batch. Graph carries an inner body
    /// that is not JSON (the `text/plain` of `/$count`, a MIME message) as a JSON string of
    /// its bytes in base64 (seen by others, e.g. Microsoft Q&A 1352007; the JSON batching page
    /// shows only JSON bodies): such a string is decoded when the inner `Content-Type` is not
    /// JSON and the bytes are UTF-8 text. Anything else is kept as it came, so a server that
    /// sends the text or a number as it is works too.
    pub fn content(&self) -> Option<Value> {
        let body = self.body.as_ref()?;
        let not_json = self
            .header("content-type")
            .is_some_and(|t| !is_json_media_type(&t));
        match body {
            Value::String(s) if not_json => {
                Some(decode_text(s).map_or_else(|| body.clone(), Value::String))
            }
            _ => Some(body.clone()),
        }
    }

    fn request_id(&self) -> Option<String> {
        self.header("request-id")
            .map(|r| undelete_common::sanitize::clean(&r))
    }

    /// The inner `Retry-After`.
    fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|v| parse_retry_after(&v, chrono::Utc::now()))
    }

    pub fn error(&self) -> DirectoryError {
        let mut e = error_from_value(
            self.status,
            self.header("request-id").as_deref(),
            self.content().filter(Value::is_object),
        );
        e.retry_after = self.retry_after();
        e
    }
}

/// `application/json`, with or without parameters, or any `+json` type (`application/problem+json`).
fn is_json_media_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || media.ends_with("+json")
}

/// The UTF-8 text a base64 string holds (line breaks and padding optional, either alphabet),
/// or `None` when it is not base64 of text.
fn decode_text(s: &str) -> Option<String> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return None;
    }
    let bytes = STANDARD
        .decode(&compact)
        .or_else(|_| URL_SAFE.decode(&compact))
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Request ids inside a batch: `{index}r` restores job `index`, `{index}p` sets its password.
fn restore_id(i: usize) -> String {
    format!("{i}r")
}

fn password_id(i: usize) -> String {
    format!("{i}p")
}

fn json_headers() -> Option<Map<String, Value>> {
    let mut h = Map::new();
    h.insert(
        "Content-Type".into(),
        Value::String("application/json".into()),
    );
    Some(h)
}

/// An id goes into a URL inside the batch body as text, so it must be a plain object id.
pub fn check_job_id(id: &str) -> Result<(), DirectoryError> {
    wire::checked_id(Some(id))
        .map(|_| ())
        .map_err(|_| DirectoryError::invalid(format!("{id:?} is not a directory object id")))
}

/// The batch for `jobs` (at most `USERS_PER_BATCH` of them, none `Done`, none awaiting
/// verification). Job `i` of the slice gets request ids `{i}r` / `{i}p`.
pub fn build(jobs: &[&JobState]) -> BatchBody {
    let mut requests = Vec::with_capacity(jobs.len() * 2);
    for (i, state) in jobs.iter().enumerate() {
        let id = &state.job.id;
        let restoring = matches!(state.step, Step::Restore { .. });
        if restoring {
            requests.push(InnerRequest {
                id: restore_id(i),
                method: "POST",
                url: format!("/directory/deletedItems/{id}/restore"),
                headers: json_headers(),
                body: Some(restore_body(&state.job.request)),
                depends_on: None,
            });
        }
        if let (Some(change), Step::Restore { .. } | Step::Password) =
            (&state.job.password, state.step)
        {
            requests.push(InnerRequest {
                id: password_id(i),
                method: "PATCH",
                url: format!("/users/{id}"),
                headers: json_headers(),
                body: Some(password_body(change)),
                depends_on: restoring.then(|| vec![restore_id(i)]),
            });
        }
    }
    BatchBody { requests }
}

/// The inner responses of a `$batch` reply, by request id. An inner response without a
/// `request-id` of its own gets the whole reply's (`outer_request_id`), so what it did can
/// still be traced.
pub fn parse_reply(
    body: &[u8],
    outer_request_id: Option<&str>,
) -> Result<HashMap<String, InnerResponse>, DirectoryError> {
    let reply: BatchReply = serde_json::from_slice(body).map_err(|e| {
        DirectoryError::malformed(format!(
            "the reply to a $batch is not what Microsoft Graph sends: {e}"
        ))
    })?;
    Ok(reply
        .responses
        .into_iter()
        .map(|mut r| {
            if let Some(outer) = outer_request_id
                && r.header("request-id").is_none()
            {
                r.headers
                    .insert("request-id".into(), Value::String(outer.to_string()));
            }
            (r.id.clone(), r)
        })
        .collect())
}

/// Applies one batch's inner responses to its jobs (the same slice `build` was given, in the
/// same order). `explain` turns a weak-password error into one that names the broken rule.
/// Jobs are moved to their next step; the events say what happened.
pub fn apply(
    jobs: &mut [&mut JobState],
    responses: &HashMap<String, InnerResponse>,
    limits: Limits,
    explain: &dyn Fn(DirectoryError, &RestoreJob) -> DirectoryError,
) -> Vec<JobEvent> {
    let mut events = Vec::new();
    for (i, state) in jobs.iter_mut().enumerate() {
        let id = state.job.id.clone();
        state.wait = Duration::ZERO;
        state.throttled = false;
        let restore_at = |e: DirectoryError| {
            e.at(
                "POST",
                &format!("$batch /directory/deletedItems/{id}/restore"),
            )
        };
        let patch_at = |e: DirectoryError| e.at("PATCH", &format!("$batch /users/{id}"));
        if matches!(state.step, Step::Restore { .. }) {
            match responses.get(&restore_id(i)) {
                // No answer at all: it may or may not have run; check before resending, but
                // not forever against a server that keeps leaving it out.
                None => {
                    let error = restore_at(unanswered(&id, "restore"));
                    if resend_or_fail(state, limits, Duration::ZERO, error, &mut events) {
                        state.step = Step::Restore { verify: true };
                    }
                }
                Some(r) if (200..300).contains(&r.status) => {
                    match r.content().map(parse_active_value) {
                        Some(Ok(user)) => {
                            events.push(JobEvent::Restored {
                                id: id.clone(),
                                user,
                                request_id: r.request_id(),
                            });
                            state.advance(next_after_restore(&state.job));
                        }
                        // Restored, but the reply does not say as whom: look the user up.
                        _ => {
                            state.sent = Sent::Maybe;
                            state.step = Step::Restore { verify: true };
                        }
                    }
                }
                Some(r) if r.status == 429 => throttled(state, r, limits, restore_at, &mut events),
                // A 5xx may come after the work was done: check, then resend.
                Some(r) if r.status >= 500 => {
                    let error = restore_at(r.error());
                    let wait = r.retry_after().unwrap_or(Duration::from_secs(1));
                    if resend_or_fail(state, limits, wait, error, &mut events) {
                        state.step = Step::Restore { verify: true };
                    }
                }
                Some(r) => {
                    events.push(state.failure(Stage::Restore, restore_at(r.error())));
                    state.step = Step::Done;
                }
            }
        }
        // A PATCH that depended on the restore counts only once the restore has succeeded.
        if state.step != Step::Password || state.job.password.is_none() {
            continue;
        }
        match responses.get(&password_id(i)) {
            // Idempotent: resending a PATCH whose answer went missing is harmless, a bounded
            // number of times.
            None => {
                let error = patch_at(unanswered(&id, "password change"));
                resend_or_fail(state, limits, Duration::ZERO, error, &mut events);
            }
            Some(r) if (200..300).contains(&r.status) => {
                events.push(JobEvent::PasswordSet {
                    id: id.clone(),
                    request_id: r.request_id(),
                });
                state.step = Step::Done;
            }
            Some(r) if r.status == 429 => throttled(state, r, limits, patch_at, &mut events),
            Some(r) if r.status >= 500 => {
                let wait = r.retry_after().unwrap_or(Duration::from_secs(1));
                resend_or_fail(state, limits, wait, patch_at(r.error()), &mut events);
            }
            Some(r) => {
                let mut err = r.error();
                if r.status == 424 {
                    // The restore succeeded in this same batch, yet Graph says the dependency
                    // failed: report it rather than guessing.
                    err.message = format!("the password was not set: {}", err.message);
                }
                let err = explain(patch_at(err), &state.job);
                events.push(state.failure(Stage::Password, err));
                state.step = Step::Done;
            }
        }
    }
    events
}

/// An inner 429: resent after its `Retry-After` however often it comes (the run's deadline
/// bounds it), unless the wait asked for is longer than the client waits at all. Without a
/// `Retry-After` it counts as a failure (a second's wait, a bounded number of times).
fn throttled(
    state: &mut JobState,
    r: &InnerResponse,
    limits: Limits,
    at: impl Fn(DirectoryError) -> DirectoryError,
    events: &mut Vec<JobEvent>,
) {
    let error = at(r.error());
    match r.retry_after() {
        Some(wait) if wait > limits.max_retry_after => {
            let mut e = error;
            e.message = wait_too_long(wait, limits.max_retry_after);
            e.permanent = true;
            events.push(state.failure(stage_now(state), e));
            state.step = Step::Done;
        }
        Some(wait) => {
            state.wait = state.wait.max(wait);
            state.throttled = true;
            state.sent = state.sent.max(error.sent);
            state.last_error = Some(error);
        }
        None => {
            if resend_or_fail(state, limits, Duration::from_secs(1), error, events) {
                state.throttled = true;
            }
        }
    }
}

fn stage_now(state: &JobState) -> Stage {
    match state.step {
        Step::Password => Stage::Password,
        _ => Stage::Restore,
    }
}

/// Counts one more resend of the job's current step, not before `wait`; once
/// `limits.max_resends` are spent the job fails at that step with `error` instead. True when it
/// will be resent.
fn resend_or_fail(
    state: &mut JobState,
    limits: Limits,
    wait: Duration,
    error: DirectoryError,
    events: &mut Vec<JobEvent>,
) -> bool {
    if state.resends >= limits.max_resends {
        events.push(state.failure(stage_now(state), error));
        state.step = Step::Done;
        return false;
    }
    state.resends += 1;
    state.wait = state.wait.max(wait);
    state.sent = state.sent.max(error.sent);
    state.last_error = Some(error);
    true
}

/// A request the `$batch` reply kept leaving out. Whether a restore happened is unknown (the
/// journal keeps such a user for a later run to check).
fn unanswered(id: &str, what: &str) -> DirectoryError {
    DirectoryError::network(format!(
        "the $batch replies never answered the {what} of {id}; refresh to see whether it \
         happened"
    ))
    .sent(Sent::Maybe)
}

/// A restore whose reply was lost, and checking whether it happened failed with `check`. It
/// is reported as a network error that may have happened, whatever the check ran into (an
/// expired sign-in, say): the restore may well have happened, and the journal keeps only
/// such errors open.
pub fn unverified(check: DirectoryError) -> DirectoryError {
    DirectoryError {
        kind: ErrorKind::Network,
        message: format!(
            "the restore's reply was lost and checking whether it happened failed: {}; refresh \
             before trying again",
            check.message
        ),
        sent: Sent::Maybe,
        ..check
    }
}

pub fn next_after_restore(job: &RestoreJob) -> Step {
    if job.password.is_some() {
        Step::Password
    } else {
        Step::Done
    }
}

pub fn failed(id: &str, stage: Stage, error: DirectoryError) -> JobEvent {
    JobEvent::Failed {
        id: id.to_string(),
        stage,
        error,
    }
}

/// The event for a job whose restore was verified (the user is active) after a lost reply.
pub fn verified(state: &mut JobState, user: ActiveUser) -> JobEvent {
    state.advance(next_after_restore(&state.job));
    JobEvent::Restored {
        id: state.job.id.clone(),
        user,
        request_id: None,
    }
}

/// Whether a failed `$batch` exchange is worth sending again (a lost reply, a 5xx, a 429, a
/// reply we could not read). Whether it may have been processed is the error's `sent`.
pub fn worth_resending(err: &DirectoryError) -> bool {
    matches!(
        err.kind,
        ErrorKind::Network | ErrorKind::Server | ErrorKind::Malformed | ErrorKind::Throttled
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{PasswordChange, RestoreRequest};
    use secrecy::SecretString;
    use serde_json::json;

    fn job(id: &str, password: bool) -> JobState {
        JobState::new(RestoreJob {
            id: id.into(),
            request: RestoreRequest::default(),
            password: password.then(|| PasswordChange {
                password: SecretString::from("Kiwi-Moon-77"),
                force_change_next_sign_in: true,
                force_change_with_mfa: false,
            }),
        })
    }

    fn user(id: &str) -> Value {
        json!({"id": id, "displayName": "U", "userPrincipalName": format!("{id}@x")})
    }

    fn resp(
        id: &str,
        status: u16,
        body: Option<Value>,
        retry_after: Option<&str>,
    ) -> InnerResponse {
        let mut headers = Map::new();
        if let Some(ra) = retry_after {
            headers.insert("Retry-After".into(), Value::String(ra.into()));
        }
        InnerResponse {
            id: id.into(),
            status,
            headers,
            body,
        }
    }

    fn error_body(code: &str, message: &str) -> Option<Value> {
        Some(json!({"error": {"code": code, "message": message}}))
    }

    fn no_explain(e: DirectoryError, _: &RestoreJob) -> DirectoryError {
        e
    }

    fn limits(max_resends: u32) -> Limits {
        Limits {
            max_resends,
            max_retry_after: Duration::from_secs(120),
        }
    }

    #[test]
    fn ten_users_fill_a_batch_of_twenty_with_dependencies() {
        let jobs: Vec<JobState> = (0..10).map(|i| job(&format!("id{i}"), true)).collect();
        let refs: Vec<&JobState> = jobs.iter().collect();
        let body = build(&refs);
        assert_eq!(body.requests.len(), MAX_REQUESTS);
        let v = serde_json::to_value(&body).unwrap();
        let r = &v["requests"];
        assert_eq!(r[0]["id"], "0r");
        assert_eq!(r[0]["method"], "POST");
        assert_eq!(r[0]["url"], "/directory/deletedItems/id0/restore");
        // Graph refuses a write without a body in a batch, whole: `{}` and its type go along.
        assert_eq!(r[0]["body"], json!({}), "no options, an empty body");
        assert_eq!(r[0]["headers"]["Content-Type"], "application/json");
        assert_eq!(r[1]["id"], "0p");
        assert_eq!(r[1]["method"], "PATCH");
        assert_eq!(r[1]["url"], "/users/id0");
        assert_eq!(r[1]["dependsOn"], json!(["0r"]));
        assert_eq!(r[1]["headers"]["Content-Type"], "application/json");
        assert_eq!(r[1]["body"]["passwordProfile"]["password"], "Kiwi-Moon-77");
        assert_eq!(jobs.iter().map(JobState::writes).sum::<u32>(), 20);
    }

    #[test]
    fn a_password_only_resend_has_no_dependency() {
        let mut j = job("a", true);
        j.step = Step::Password;
        let body = build(&[&j]);
        assert_eq!(body.requests.len(), 1);
        assert!(body.requests[0].depends_on.is_none());
        assert_eq!(j.writes(), 1);
    }

    #[test]
    fn mixed_inner_results_are_each_handled() {
        let mut a = job("a", true); // restored, password set
        let mut b = job("b", true); // restore conflict -> 424 on the patch
        let mut c = job("c", true); // restore throttled
        let mut d = job("d", true); // restored, password throttled
        let mut e = job("e", true); // restored, weak password
        let mut f = job("f", false); // restored, no password asked
        let responses: HashMap<String, InnerResponse> = [
            resp("0r", 200, Some(user("a")), None),
            resp("0p", 204, None, None),
            resp(
                "1r",
                400,
                error_body(
                    "Request_BadRequest",
                    "Another object with the same value for property userPrincipalName already exists.",
                ),
                None,
            ),
            resp("1p", 424, error_body("Request_FailedDependency", "dependency failed"), None),
            resp("2r", 429, error_body("TooManyRequests", "slow down"), Some("3")),
            resp("2p", 424, None, None),
            resp("3r", 200, Some(user("d")), None),
            resp("3p", 429, None, Some("2")),
            resp("4r", 200, Some(user("e")), None),
            resp(
                "4p",
                400,
                error_body(
                    "Request_BadRequest",
                    "The specified password does not comply with password complexity requirements.",
                ),
                None,
            ),
            resp("5r", 200, Some(user("f")), None),
        ]
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
        let mut jobs = [&mut a, &mut b, &mut c, &mut d, &mut e, &mut f];
        let events = apply(&mut jobs, &responses, limits(5), &no_explain);
        let summary: Vec<String> = events
            .iter()
            .map(|e| match e {
                JobEvent::Restored { id, .. } => format!("{id}:restored"),
                JobEvent::PasswordSet { id, .. } => format!("{id}:password"),
                JobEvent::Failed { id, stage, error } => {
                    format!("{id}:failed:{stage:?}:{:?}", error.kind)
                }
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                "a:restored",
                "a:password",
                "b:failed:Restore:UpnConflict",
                "d:restored",
                "e:restored",
                "e:failed:Password:WeakPassword",
                "f:restored",
            ]
        );
        assert_eq!(a.step, Step::Done);
        assert_eq!(b.step, Step::Done);
        assert_eq!(c.step, Step::Restore { verify: false });
        assert_eq!(c.wait, Duration::from_secs(3));
        assert_eq!(c.resends, 0, "a paced 429 is not a failure");
        assert!(c.throttled);
        assert_eq!(d.step, Step::Password);
        assert_eq!(d.wait, Duration::from_secs(2));
        assert_eq!(e.step, Step::Done);
        assert_eq!(f.step, Step::Done);
    }

    #[test]
    fn missing_or_unreadable_restore_replies_ask_for_verification() {
        let mut a = job("a", true);
        let mut b = job("b", false);
        let responses: HashMap<String, InnerResponse> =
            [resp("1r", 200, Some(json!("base64junk")), None)]
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
        let events = apply(&mut [&mut a, &mut b], &responses, limits(5), &no_explain);
        assert!(events.is_empty());
        assert_eq!(a.step, Step::Restore { verify: true });
        assert_eq!(b.step, Step::Restore { verify: true });
    }

    #[test]
    fn inner_replies_left_out_are_resent_a_bounded_number_of_times() {
        let mut a = job("a", false); // its restore is never answered
        let mut b = job("b", true); // restored, its PATCH never answered
        let mut rounds = 0;
        while (a.step != Step::Done || b.step != Step::Done) && rounds < 50 {
            rounds += 1;
            // What the driver does between rounds: the restore is checked, found not done.
            if a.step == (Step::Restore { verify: true }) {
                a.step = Step::Restore { verify: false };
            }
            let responses: HashMap<String, InnerResponse> = if b.step == Step::Password {
                HashMap::new()
            } else {
                [resp("1r", 200, Some(user("b")), None)]
                    .into_iter()
                    .map(|r| (r.id.clone(), r))
                    .collect()
            };
            for e in apply(&mut [&mut a, &mut b], &responses, limits(3), &no_explain) {
                if let JobEvent::Failed { stage, error, .. } = e {
                    assert_eq!(error.kind, ErrorKind::Network);
                    assert!(matches!(stage, Stage::Restore | Stage::Password));
                }
            }
        }
        assert!(
            rounds <= 5,
            "gave up after the resends allowed, not {rounds} rounds"
        );
        assert_eq!((a.step, b.step), (Step::Done, Step::Done));
    }

    #[test]
    fn paced_throttling_is_resent_however_often_it_comes() {
        let mut a = job("a", false);
        a.resends = 2;
        let responses: HashMap<String, InnerResponse> = [resp("0r", 429, None, Some("1"))]
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        for _ in 0..50 {
            let events = apply(&mut [&mut a], &responses, limits(2), &no_explain);
            assert!(
                events.is_empty(),
                "a 429 with Retry-After never fails the job"
            );
        }
        assert_eq!(a.step, Step::Restore { verify: false });
        assert_eq!(a.wait, Duration::from_secs(1));
        assert!(a.throttled);
        assert_eq!(a.resends, 2, "paced resends are not counted");
        // Without a Retry-After it is a failure like any other, and bounded.
        let bare: HashMap<String, InnerResponse> = [resp("0r", 429, None, None)]
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let events = apply(&mut [&mut a], &bare, limits(2), &no_explain);
        assert!(matches!(
            &events[..],
            [JobEvent::Failed { stage: Stage::Restore, error, .. }] if error.kind == ErrorKind::Throttled
        ));
        assert_eq!(a.step, Step::Done);
    }

    #[test]
    fn an_absurd_inner_retry_after_fails_the_job_at_once_saying_so() {
        let mut a = job("a", false);
        let responses: HashMap<String, InnerResponse> = [resp("0r", 429, None, Some("99999"))]
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let events = apply(&mut [&mut a], &responses, limits(5), &no_explain);
        let [JobEvent::Failed { error, .. }] = &events[..] else {
            panic!("one failure expected, got {events:?}");
        };
        assert_eq!(error.kind, ErrorKind::Throttled);
        assert_eq!(error.status, Some(429));
        assert!(error.message.contains("asks to wait 27 h"), "{error}");
        assert!(
            !crate::restore::journal::may_have_happened(error),
            "a refused restore did not happen"
        );
        assert_eq!(a.step, Step::Done);
    }

    #[test]
    fn inner_5xx_are_checked_and_resent_not_failed() {
        let mut a = job("a", true);
        let mut b = job("b", true);
        b.step = Step::Password;
        let responses: HashMap<String, InnerResponse> = [
            resp("0r", 500, error_body("InternalServerError", "oops"), None),
            resp("0p", 424, None, None),
            resp("1p", 503, None, Some("2")),
        ]
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
        let events = apply(&mut [&mut a, &mut b], &responses, limits(5), &no_explain);
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(a.step, Step::Restore { verify: true });
        assert_eq!(b.step, Step::Password);
        assert_eq!(b.wait, Duration::from_secs(2));
    }

    #[test]
    fn a_job_failure_says_what_its_earlier_attempts_left_open() {
        let answered = |status: u16| -> HashMap<String, InnerResponse> {
            [resp(
                "0r",
                status,
                error_body("Request_BadRequest", "no"),
                None,
            )]
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect()
        };
        // Refused the first time it was sent: surely not done.
        let mut b = job("b", false);
        let events = apply(&mut [&mut b], &answered(400), limits(5), &no_explain);
        let [JobEvent::Failed { error, .. }] = &events[..] else {
            panic!("one failure expected, got {events:?}");
        };
        assert_eq!(error.sent, Sent::Refused);
        // A 5xx first (which may come after the work was done), then a refusal: the job's
        // failure still says it may have happened.
        let mut a = job("a", false);
        assert!(apply(&mut [&mut a], &answered(500), limits(5), &no_explain).is_empty());
        assert_eq!(a.sent, Sent::Maybe);
        a.step = Step::Restore { verify: false };
        let events = apply(&mut [&mut a], &answered(400), limits(5), &no_explain);
        let [JobEvent::Failed { error, .. }] = &events[..] else {
            panic!("one failure expected, got {events:?}");
        };
        assert_eq!(error.sent, Sent::Maybe, "{error:?}");
        assert!(crate::restore::journal::may_have_happened(error));
        // An answer left out may have run; a success moves the job on with a clean slate.
        let mut c = job("c", false);
        assert!(apply(&mut [&mut c], &HashMap::new(), limits(5), &no_explain).is_empty());
        assert_eq!(c.sent, Sent::Maybe);
        let restored: HashMap<String, InnerResponse> = [resp("0r", 200, Some(user("c")), None)]
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        c.step = Step::Restore { verify: false };
        let _ = apply(&mut [&mut c], &restored, limits(5), &no_explain);
        assert_eq!(c.step, Step::Done);
        assert_eq!(
            c.sent,
            Sent::No,
            "what was open was about the restore, now done"
        );
    }

    #[test]
    fn a_lost_restore_that_cannot_be_checked_stays_a_maybe() {
        let check =
            DirectoryError::new(ErrorKind::Unauthorized, "token expired").sent(Sent::Refused);
        let e = unverified(check);
        assert!(crate::restore::journal::may_have_happened(&e), "{e:?}");
        assert!(e.message.contains("token expired"), "{}", e.message);
    }

    fn typed(body: Value, content_type: Option<&str>) -> InnerResponse {
        let mut r = resp("0g", 200, Some(body), None);
        if let Some(t) = content_type {
            r.headers
                .insert("Content-Type".into(), Value::String(t.into()));
        }
        r
    }

    #[test]
    fn a_base64_body_that_is_not_json_is_decoded() {
        // "12" and "12\n", as Graph's $count would send them inside a $batch.
        let r = typed(json!("MTI="), Some("text/plain"));
        assert_eq!(r.content(), Some(json!("12")));
        let r = typed(json!("MTIK"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.content(), Some(json!("12\n")));
        // Padding left out, line breaks inside, the URL-safe alphabet: all read.
        let r = typed(json!("MT\r\nI"), Some("TEXT/PLAIN"));
        assert_eq!(r.content(), Some(json!("12")));
        let r = typed(json!("Pz8_"), Some("text/plain"));
        assert_eq!(r.content(), Some(json!("???")));
        // A JSON reply is never decoded, even when its body is a string that could be base64.
        for t in [
            Some("application/json"),
            Some("application/json;odata.metadata=minimal"),
            Some("application/problem+json"),
            None,
        ] {
            let r = typed(json!("MTI="), t);
            assert_eq!(r.content(), Some(json!("MTI=")), "{t:?}");
        }
        let r = typed(json!({"value": []}), Some("application/json"));
        assert_eq!(r.content(), Some(json!({"value": []})));
    }

    #[test]
    fn a_body_that_is_not_base64_of_text_is_kept_as_it_came() {
        // Text or a number sent as it is: a lenient reader takes it.
        assert_eq!(
            typed(json!(7), Some("text/plain")).content(),
            Some(json!(7))
        );
        assert_eq!(
            typed(json!("12"), Some("text/plain")).content(),
            Some(json!("12"))
        );
        assert_eq!(
            typed(json!("not base64!"), Some("text/plain")).content(),
            Some(json!("not base64!"))
        );
        // Base64 of bytes that are not UTF-8 (an image, say) stays base64.
        assert_eq!(
            typed(json!("/9j/4A=="), Some("image/jpeg")).content(),
            Some(json!("/9j/4A=="))
        );
        assert_eq!(
            typed(json!(""), Some("text/plain")).content(),
            Some(json!(""))
        );
        let mut none = typed(json!(1), Some("text/plain"));
        none.body = None;
        assert_eq!(none.content(), None);
    }

    #[test]
    fn an_inner_error_with_a_text_body_is_told_by_its_status() {
        let mut r = typed(json!("Tm90IEZvdW5k"), Some("text/plain"));
        r.status = 404;
        assert_eq!(r.content(), Some(json!("Not Found")));
        let e = r.error();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.code, None, "a text body is not taken for Graph's error");
    }

    #[test]
    fn batch_replies_are_parsed_or_malformed() {
        let ok = parse_reply(
            br#"{"responses":[{"id":"0r","status":204,"headers":{"Retry-After":5}},
                {"id":"0p","status":204,"headers":{"Request-Id":"inner"}}]}"#,
            Some("outer"),
        )
        .unwrap();
        assert_eq!(ok["0r"].retry_after(), Some(Duration::from_secs(5)));
        assert_eq!(ok["0r"].request_id().as_deref(), Some("outer"));
        assert_eq!(ok["0p"].request_id().as_deref(), Some("inner"));
        let err = parse_reply(br#"{"responses":[{"id":"0r"}]"#, None)
            .err()
            .unwrap();
        assert_eq!(err.kind, ErrorKind::Malformed);
        assert!(check_job_id("6e1f3b52-9d0c-4a7e").is_ok());
        assert_eq!(check_job_id("../me").unwrap_err().kind, ErrorKind::Invalid);
        assert_eq!(check_job_id("a/b?x").unwrap_err().kind, ErrorKind::Invalid);
    }
}
