//! Bulk work through `$batch`: a restore of many users (restore, then password, 20 requests
//! per batch, a few batches in flight, resent and verified after faults, ended by a deadline).
//! Bulk reads are in `reads.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use reqwest::Method;
use tokio::sync::mpsc::UnboundedSender;

use super::GraphDirectory;
use super::calls::explain_weak_password;
use super::transport::{Call, Outcome};
use crate::directory::batch::{self, JobState, Step};
use crate::directory::retry::{Op, human};
use crate::directory::wait::WaitReason;
use crate::directory::{DirectoryError, ErrorKind, JobEvent, RestoreJob, Sent, Stage};

impl GraphDirectory {
    /// Runs a bulk restore; events go to `tx` as batches come back. The run ends by its
    /// deadline (the run's clock, see `Directory::on_clock`): jobs still waiting then fail
    /// with their last error.
    pub(super) async fn run_bulk(self, jobs: Vec<RestoreJob>, tx: UnboundedSender<JobEvent>) {
        let deadline = self.call_deadline();
        let mut pending: VecDeque<JobState> = VecDeque::new();
        for job in jobs {
            match batch::check_job_id(&job.id) {
                Ok(()) => pending.push_back(JobState::new(job)),
                Err(e) => {
                    let _ = tx.send(batch::failed(&job.id, Stage::Restore, e));
                }
            }
        }
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < self.inner.concurrency && !pending.is_empty() {
                let chunk = next_chunk(&mut pending);
                in_flight.push(self.clone().run_chunk(chunk, deadline, tx.clone()));
            }
            match in_flight.next().await {
                Some(leftover) => {
                    // The consumer went away (e.g. the admin stopped the run): start no more.
                    if tx.is_closed() {
                        pending.clear();
                    }
                    pending.extend(leftover);
                }
                None => break,
            }
        }
    }

    /// Resends after failures one job may take in a bulk run. Against 40% of requests failing,
    /// 24 failures in a row happen to one job in 10^9 runs; a service that is down for good
    /// is left after a few minutes of growing backoff (each wait announced), and the deadline
    /// bounds the run whatever happens.
    fn bulk_limits(&self) -> batch::Limits {
        batch::Limits {
            max_resends: (self.inner.policy.max_retries * 2 + 2).max(24),
            max_retry_after: self.inner.policy.max_retry_after,
        }
    }

    /// Fails every job of `chunk` because the run's deadline has come (or would pass during the
    /// wait it needs), with what held each job back.
    fn fail_at_deadline(&self, chunk: &mut [JobState], emit: &dyn Fn(JobEvent)) {
        for s in chunk.iter_mut() {
            let why = format!(
                "the run's deadline of {} passed before this user's {} went through",
                human(self.inner.deadline),
                match s.step {
                    Step::Password => "password change",
                    _ => "restore",
                }
            );
            let error = match s.last_error.take() {
                Some(last) => DirectoryError {
                    message: format!("{why}; last: {}", last.message),
                    permanent: true,
                    ..last
                },
                // Never sent (the deadline had passed before its turn, in pre-flight say):
                // surely nothing changed, which a later run must not have to check.
                None if s.sent == Sent::No => DirectoryError {
                    permanent: true,
                    ..DirectoryError::invalid(format!(
                        "{why}; it was not sent, so nothing changed for this user"
                    ))
                },
                // Nothing went wrong with its requests, but they were all answered with a
                // "later": as far as they got is `s.sent`.
                None => DirectoryError {
                    permanent: true,
                    ..DirectoryError::network(why).sent(s.sent)
                },
            };
            emit(s.failure(stage_of(s), error));
            s.step = Step::Done;
        }
    }

    /// Sends one batch for `chunk` and returns the jobs that still have work.
    async fn run_chunk(
        self,
        mut chunk: Vec<JobState>,
        deadline: Instant,
        tx: UnboundedSender<JobEvent>,
    ) -> Vec<JobState> {
        let emit = |e: JobEvent| {
            let _ = tx.send(e);
        };
        if tx.is_closed() {
            return Vec::new();
        }
        let limits = self.bulk_limits();
        // Wait out the longest Retry-After (or backoff) among them.
        let wait = chunk.iter().map(|j| j.wait).max().unwrap_or_default();
        if Instant::now() + wait > deadline {
            self.fail_at_deadline(&mut chunk, &emit);
            return Vec::new();
        }
        if !wait.is_zero() {
            self.wait_for(&chunk, wait).await;
        }
        self.verify_lost_restores(&mut chunk, limits, &emit).await;
        chunk.retain(|s| s.step != Step::Done);
        // Those still to be checked go round again, after their wait.
        let (mut ready, later): (Vec<JobState>, Vec<JobState>) = chunk
            .into_iter()
            .partition(|s| s.step != (Step::Restore { verify: true }));
        if ready.is_empty() {
            return later;
        }
        let call = match self.batch_call(&ready, deadline) {
            Ok(call) => call,
            Err(e) => {
                for s in &ready {
                    emit(s.failure(stage_of(s), e.clone()));
                }
                return later;
            }
        };
        let reply = match self.write(call).await {
            Ok(Outcome::Reply(r)) => batch::parse_reply(&r.body, r.request_id.as_deref())
                .map_err(|e| e.at("POST", &r.path)),
            Ok(_) => Err(DirectoryError::malformed("unexpected outcome of a $batch")),
            Err(e) => Err(e),
        };
        match reply {
            Ok(responses) => {
                let mut refs: Vec<&mut JobState> = ready.iter_mut().collect();
                let events = batch::apply(&mut refs, &responses, limits, &|e, job| match &job
                    .password
                {
                    Some(change) => explain_weak_password(e, change),
                    None => e,
                });
                for e in events {
                    emit(e);
                }
            }
            Err(e) => self.batch_failed(&mut ready, &e, limits, &emit),
        }
        ready.retain(|s| s.step != Step::Done);
        ready.extend(later);
        ready
    }

    /// Announces the wait a chunk needs before it is sent again (throttled, or why its
    /// requests failed: a dead server must be named, not only waited on), and waits.
    async fn wait_for(&self, chunk: &[JobState], wait: Duration) {
        let (reason, detail) = if chunk.iter().any(|j| j.throttled) {
            (WaitReason::Throttled, "Retry-After".to_string())
        } else {
            let why = chunk
                .iter()
                .find_map(|j| j.last_error.as_ref())
                .map_or_else(
                    || "failed requests of a bulk restore".to_string(),
                    |e| format!("last: {}", e.message),
                );
            (WaitReason::Retrying, why)
        };
        tracing::info!(
            users = chunk.len(),
            wait_ms = millis(wait),
            reason = %detail,
            "retrying a $batch"
        );
        self.notify_wait(reason, wait, detail);
        tokio::time::sleep(wait).await;
    }

    /// Restores whose reply was lost: finds out whether they happened before they are resent.
    /// The checks go out together: one by one, each meeting its own faults, they would hold
    /// the whole chunk for the sum of their retries.
    async fn verify_lost_restores(
        &self,
        chunk: &mut [JobState],
        limits: batch::Limits,
        emit: &(dyn Fn(JobEvent) + Sync),
    ) {
        let checks = futures::future::join_all(
            chunk
                .iter()
                .filter(|s| s.step == (Step::Restore { verify: true }))
                .map(|s| self.fetch_active(s.job.id.clone())),
        )
        .await;
        let mut checks = checks.into_iter();
        for state in chunk.iter_mut() {
            if state.step != (Step::Restore { verify: true }) {
                continue;
            }
            let Some(check) = checks.next() else { break };
            match check {
                Ok(Some(user)) => emit(batch::verified(state, user)),
                // Not active: the earlier attempt did not restore it, so it is as unsent.
                Ok(None) => {
                    state.step = Step::Restore { verify: false };
                    state.sent = Sent::No;
                }
                // The check itself met a passing fault (its own retries spent): check again
                // later rather than give the user up.
                Err(e) if transient(&e) && state.resends < limits.max_resends => {
                    state.resends += 1;
                    state.wait = self.inner.policy.backoff(state.resends, rand::random());
                    state.throttled = e.kind == ErrorKind::Throttled;
                    state.last_error = Some(batch::unverified(e));
                }
                Err(e) => {
                    emit(state.failure(Stage::Restore, batch::unverified(e)));
                    state.step = Step::Done;
                }
            }
        }
    }

    /// The `$batch` request for `ready`; `Err` when it cannot even be written (nothing sent).
    fn batch_call(&self, ready: &[JobState], deadline: Instant) -> Result<Call, DirectoryError> {
        let refs: Vec<&JobState> = ready.iter().collect();
        let body = serde_json::to_vec(&batch::build(&refs))
            .map_err(|e| DirectoryError::invalid(format!("cannot encode the $batch: {e}")))?;
        Ok(Call {
            method: Method::POST,
            url: self.url(&["$batch"], &[])?,
            body: Some(body),
            eventual: false,
            op: Op::Batch,
            writes: ready.iter().map(JobState::writes).sum(),
            restore_id: None,
            max_body: self.inner.max_body,
            deadline: Some(deadline),
        })
    }

    /// The whole `$batch` failed: each inner request inherits its fate, and what the outer
    /// request's error says of whether it was processed is said of each of them.
    fn batch_failed(
        &self,
        ready: &mut [JobState],
        e: &DirectoryError,
        limits: batch::Limits,
        emit: &dyn Fn(JobEvent),
    ) {
        let resend = batch::worth_resending(e) && !e.permanent;
        for s in ready.iter_mut() {
            if !resend || s.resends >= limits.max_resends {
                emit(s.failure(stage_of(s), e.clone()));
                s.step = Step::Done;
                continue;
            }
            // It may have run: restores get verified, PATCHes simply resent. One that surely
            // never left (or was refused) is resent as it is.
            s.resends += 1;
            s.throttled = e.kind == ErrorKind::Throttled;
            s.wait = e
                .retry_after
                .unwrap_or(self.inner.policy.backoff(s.resends, rand::random()));
            s.sent = s.sent.max(e.sent);
            s.last_error = Some(e.clone());
            if let Step::Restore { .. } = s.step {
                s.step = Step::Restore {
                    verify: s.sent == Sent::Maybe,
                };
            }
        }
    }
}

/// Whether an error may pass if the same request is sent again later.
fn transient(e: &DirectoryError) -> bool {
    !e.permanent
        && matches!(
            e.kind,
            ErrorKind::Network | ErrorKind::Server | ErrorKind::Throttled | ErrorKind::Malformed
        )
}

/// A wait in whole milliseconds, for the log.
fn millis(wait: Duration) -> u64 {
    u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)
}

/// As many jobs from the front as fit in one `$batch` (10 with passwords, 20 without).
fn next_chunk(pending: &mut VecDeque<JobState>) -> Vec<JobState> {
    let mut chunk = Vec::new();
    let mut requests = 0;
    while let Some(front) = pending.front() {
        let needs = front.writes().max(1) as usize;
        if !chunk.is_empty() && requests + needs > batch::MAX_REQUESTS {
            break;
        }
        requests += needs;
        chunk.extend(pending.pop_front());
    }
    chunk
}

fn stage_of(s: &JobState) -> Stage {
    match s.step {
        Step::Password => Stage::Password,
        _ => Stage::Restore,
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::directory::{PasswordChange, RestoreRequest};

    #[test]
    fn chunks_fill_twenty_requests() {
        let job = |id: &str, pw: bool| {
            JobState::new(RestoreJob {
                id: id.into(),
                request: RestoreRequest::default(),
                password: pw.then(|| PasswordChange {
                    password: SecretString::from("Kiwi-Moon-77".to_string()),
                    force_change_next_sign_in: true,
                    force_change_with_mfa: false,
                }),
            })
        };
        let mut q: VecDeque<JobState> = (0..25).map(|i| job(&format!("a{i}"), true)).collect();
        assert_eq!(next_chunk(&mut q).len(), 10);
        let mut q: VecDeque<JobState> = (0..25).map(|i| job(&format!("a{i}"), false)).collect();
        assert_eq!(next_chunk(&mut q).len(), 20);
        let mut q: VecDeque<JobState> = [job("a", false), job("b", true)].into_iter().collect();
        assert_eq!(next_chunk(&mut q).len(), 2);
        assert!(q.is_empty());
    }
}
