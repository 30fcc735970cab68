//! The retry loop around `transport`'s one attempt: which failures are tried again and after
//! how long (`retry.rs` decides), a 401 answered once with a fresh token, a lost restore or
//! purge reply read as done when it turns out done, and how far the call got (`Sent`) over
//! all its attempts.

use std::time::{Duration, Instant};

use super::GraphDirectory;
use super::transport::{Call, Outcome, Reply};
use super::urls::log_path;
use crate::auth::AccessToken;
use crate::directory::retry::{Decision, Failure, Op, human, wait_too_long};
use crate::directory::wait::WaitReason;
use crate::directory::{ActiveUser, DirResult, DirectoryError, ErrorKind, Sent};

/// Where a call's attempts stand.
#[derive(Default)]
struct Attempts {
    /// Retries decided by the policy.
    retries: u32,
    /// Attempts sent, refreshed-token resends included (the `attempt` of the events).
    sent: u32,
    /// A 401 was answered with a fresh token already.
    refreshed: bool,
    /// An earlier attempt may have been processed (reply lost, or 5xx).
    maybe_done: bool,
}

/// What one attempt's result means for the call.
enum Judged {
    Done(Outcome),
    /// Send again at once (with a fresh token).
    Again,
    /// A failure, with what the policy decided about it.
    Failed(Failure, DirectoryError, Decision),
}

impl GraphDirectory {
    /// Sends `call`, retrying as `retry.rs` allows. A non-2xx reply that is not retried is
    /// returned as `Outcome::Reply` for the caller to turn into an error. Every error names
    /// the request after its cause.
    ///
    /// Every error, and every reply that is not a success, says how far the call got over all
    /// its attempts (`Sent`): an attempt that was never written adds nothing, one whose reply
    /// was lost (or a 5xx) makes the whole call a "may have happened".
    pub(super) async fn send(&self, call: Call) -> DirResult<Outcome> {
        let (method, path) = (call.method.clone(), log_path(&call.url));
        let mut sent = Sent::No;
        match self.send_inner(call, &mut sent).await {
            Ok(Outcome::Reply(mut reply)) => {
                reply.sent = reply.sent.max(sent);
                Ok(Outcome::Reply(reply))
            }
            Ok(other) => Ok(other),
            Err(mut e) => {
                e.sent = e.sent.max(sent);
                Err(e.at(method.as_str(), &path))
            }
        }
    }

    /// `send`'s loop; `sent` gathers how far each attempt got.
    async fn send_inner(&self, call: Call, sent: &mut Sent) -> DirResult<Outcome> {
        let deadline = call.deadline.unwrap_or_else(|| self.call_deadline());
        let mut at = Attempts::default();
        loop {
            let Some(token) = self.token_or_wait(&call, deadline, &mut at).await? else {
                continue;
            };
            if let Some(budget) = &self.inner.budget {
                budget
                    .acquire_noting(call.writes, |wait| {
                        self.notify_wait(WaitReason::Pacing, wait, "client write budget")
                    })
                    .await;
            }
            at.sent += 1;
            let result = self.attempt(&call, &token, at.sent).await;
            *sent = (*sent).max(match &result {
                Ok(reply) if reply.status >= 500 => Sent::Maybe,
                Ok(reply) if reply.ok() => Sent::Maybe,
                Ok(_) => Sent::Refused,
                Err((_, err)) => err.sent,
            });
            let (failure, err, decision) = match self.judge(&call, &token, result, &mut at).await? {
                Judged::Done(outcome) => return Ok(outcome),
                Judged::Again => continue,
                Judged::Failed(failure, err, decision) => (failure, err, decision),
            };
            match decision {
                Decision::GiveUp => return Err(gave_up(&call, failure, err, at.retries)),
                Decision::WaitTooLong(wait) => {
                    return Err(self.waits_too_long(&call, err, wait));
                }
                Decision::Retry {
                    after,
                    verify_first,
                } => {
                    at.retries += 1;
                    at.maybe_done |= matches!(failure, Failure::Lost)
                        || matches!(failure, Failure::Status { status, .. } if status >= 500);
                    let (reason, detail) = wait_reason(failure, at.retries);
                    self.wait_before_retry(&call, after, deadline, reason, detail, &err)
                        .await?;
                    if verify_first
                        && let Some(id) = &call.restore_id
                        && let Some(user) = self.restored_meanwhile(id, err).await?
                    {
                        return Ok(Outcome::AlreadyRestored(user));
                    }
                }
            }
        }
    }

    /// A token for the next attempt. When sign-in fails on the way (nothing reached Graph,
    /// so any call may be retried), waits as the policy says and returns `None`: try again.
    async fn token_or_wait(
        &self,
        call: &Call,
        deadline: Instant,
        at: &mut Attempts,
    ) -> DirResult<Option<AccessToken>> {
        let e = match self
            .inner
            .tokens
            .token()
            .await
            .map_err(DirectoryError::from)
        {
            Ok(t) => return Ok(Some(t)),
            Err(e) if matches!(e.kind, ErrorKind::Network | ErrorKind::Server) => e,
            Err(e) => return Err(e),
        };
        match self
            .inner
            .policy
            .decide(call.op, Failure::NotSent, at.retries, rand::random())
        {
            Decision::Retry { after, .. } => {
                at.retries += 1;
                let detail = format!("sign-in failed, attempt {}", at.retries);
                self.wait_before_retry(call, after, deadline, WaitReason::Retrying, detail, &e)
                    .await?;
                Ok(None)
            }
            Decision::GiveUp | Decision::WaitTooLong(_) => Err(e),
        }
    }

    /// What one attempt's result means: a success, a 401 to answer with a fresh token once,
    /// a 404 after a lost reply (the purge or restore may be done), or a failure and what the
    /// policy decides about it. `Err` for a failure no retry can mend.
    async fn judge(
        &self,
        call: &Call,
        token: &AccessToken,
        result: Result<Reply, (Failure, DirectoryError)>,
        at: &mut Attempts,
    ) -> DirResult<Judged> {
        let (failure, err) = match result {
            Ok(reply) if reply.ok() => return Ok(Judged::Done(Outcome::Reply(reply))),
            Ok(reply) if reply.status == 401 && !at.refreshed => {
                tracing::info!(
                    method = call.method.as_str(),
                    path = log_path(&call.url),
                    reason = "HTTP 401",
                    "retrying with a fresh token"
                );
                self.inner.tokens.invalidate(token);
                at.refreshed = true;
                return Ok(Judged::Again);
            }
            Ok(reply) if reply.status == 404 && at.maybe_done => {
                return Ok(Judged::Done(self.lost_reply_404(call, reply).await));
            }
            Ok(reply) => {
                let failure = Failure::Status {
                    status: reply.status,
                    retry_after: reply.retry_after,
                };
                let decision =
                    self.inner
                        .policy
                        .decide(call.op, failure, at.retries, rand::random());
                if decision == Decision::GiveUp {
                    return Ok(Judged::Done(Outcome::Reply(reply)));
                }
                return Ok(Judged::Failed(failure, reply.error(), decision));
            }
            // A reply too large, or a body that never ends, would be the same next time.
            Err((_, err)) if err.permanent => return Err(err),
            Err((failure, err)) => (failure, err),
        };
        let decision = self
            .inner
            .policy
            .decide(call.op, failure, at.retries, rand::random());
        Ok(Judged::Failed(failure, err, decision))
    }

    /// A 404 to a purge or restore sent again after a lost reply: the first may have worked.
    async fn lost_reply_404(&self, call: &Call, reply: Reply) -> Outcome {
        match call.op {
            Op::Purge => Outcome::AlreadyDone,
            // The lookup may be served by a lagging replica: a user not found active is left
            // to the 404.
            Op::Restore => match &call.restore_id {
                Some(id) => match self.fetch_active_boxed(id.clone()).await {
                    Ok(Some(user)) => Outcome::AlreadyRestored(user),
                    _ => Outcome::Reply(reply),
                },
                None => Outcome::Reply(reply),
            },
            _ => Outcome::Reply(reply),
        }
    }

    /// Before a restore is resent: whether the earlier one happened after all. `Err` when
    /// that cannot be told: sending again blind could restore twice.
    async fn restored_meanwhile(
        &self,
        id: &str,
        err: DirectoryError,
    ) -> DirResult<Option<ActiveUser>> {
        match self.fetch_active_boxed(id.to_string()).await {
            Ok(found) => Ok(found),
            Err(check) => Err(DirectoryError {
                message: format!(
                    "{}; checking whether the restore happened anyway failed too ({}): refresh \
                     before trying again",
                    err.message, check.message
                ),
                ..err
            }),
        }
    }

    /// A wait the policy will not sit through: a permanent "throttled" that names it.
    fn waits_too_long(
        &self,
        call: &Call,
        mut err: DirectoryError,
        wait: Duration,
    ) -> DirectoryError {
        err.kind = ErrorKind::Throttled;
        err.message = wait_too_long(wait, self.inner.policy.max_retry_after);
        err.retry_after = Some(wait);
        err.permanent = true;
        tracing::warn!(
            method = call.method.as_str(),
            path = log_path(&call.url),
            error = %err.message,
            "giving up"
        );
        err
    }

    /// Sleeps `wait` before the next attempt, announcing it when long, unless that would run
    /// past `deadline`: then the call fails with `cause` and says why.
    async fn wait_before_retry(
        &self,
        call: &Call,
        wait: Duration,
        deadline: Instant,
        reason: WaitReason,
        detail: String,
        cause: &DirectoryError,
    ) -> DirResult<()> {
        if Instant::now() + wait > deadline {
            let mut err = cause.clone();
            err.message = format!(
                "{}; not retrying: waiting {} more would pass the deadline of {}",
                err.message,
                human(wait),
                human(self.inner.deadline)
            );
            err.permanent = true;
            tracing::warn!(
                method = call.method.as_str(),
                path = log_path(&call.url),
                reason = %detail,
                error = %cause.message,
                "giving up: the retry would pass the deadline"
            );
            return Err(err);
        }
        tracing::info!(
            method = call.method.as_str(),
            path = log_path(&call.url),
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            reason = %detail,
            error = %cause.message,
            "retrying"
        );
        self.notify_wait(reason, wait, detail);
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

/// The error of a call the policy gives up on; a lost reply to a call that is never resent
/// says that it may or may not have been carried out.
fn gave_up(call: &Call, failure: Failure, mut err: DirectoryError, retries: u32) -> DirectoryError {
    if failure == Failure::Lost && call.op == Op::NoResend {
        err.message
            .push_str("; it may or may not have been carried out, so it was not sent again");
    }
    tracing::warn!(
        method = call.method.as_str(),
        path = log_path(&call.url),
        retries,
        error = %err.message,
        "giving up"
    );
    err
}

/// What a retry is waiting for, for its notice.
fn wait_reason(failure: Failure, attempt: u32) -> (WaitReason, String) {
    match failure {
        Failure::Status {
            status: 429,
            retry_after: Some(_),
        } => (WaitReason::Throttled, "Retry-After".into()),
        Failure::Status { status: 429, .. } => (
            WaitReason::Throttled,
            format!("HTTP 429, attempt {attempt}"),
        ),
        Failure::Status { status: 503, .. } => (
            WaitReason::ServerBusy,
            format!("HTTP 503, attempt {attempt}"),
        ),
        Failure::Status { status, .. } => (
            WaitReason::Retrying,
            format!("HTTP {status}, attempt {attempt}"),
        ),
        Failure::NotSent => (
            WaitReason::Retrying,
            format!("could not connect, attempt {attempt}"),
        ),
        Failure::Lost => (
            WaitReason::Retrying,
            format!("connection lost, attempt {attempt}"),
        ),
    }
}
