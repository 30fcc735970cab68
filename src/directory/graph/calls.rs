//! The `Directory` trait on Graph: one method per call of DESIGN.md 4.1, each a `Call` handed to
//! `send` with the retry rule that fits it (`Op`) and the writes it costs.

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::broadcast;
use tokio::sync::mpsc::unbounded_channel;

use super::GraphDirectory;
use super::transport::{Call, Outcome};
use crate::directory::batch;
use crate::directory::retry::Op;
use crate::directory::wait::WaitNotice;
use crate::directory::wire::{self, ACTIVE_SELECT, DELETED_SELECT, ME_SELECT};
use crate::directory::{
    ActiveUser, DeletedPage, DeletedUser, DeletionRecord, DeltaPage, DirResult, Directory,
    DirectoryError, Domain, ErrorKind, Holder, HolderKind, HolderQuery, JobEvent, ListingOptions,
    MailMessage, Me, PasswordChange, PasswordVerdict, RestoreJob, RestoreRequest, Sent, Stage,
};

impl GraphDirectory {
    /// The active user with this id or UPN, `None` on 404.
    pub(super) async fn fetch_active(&self, id_or_upn: String) -> DirResult<Option<ActiveUser>> {
        let url = self.url(&["users", &id_or_upn], &[("$select", ACTIVE_SELECT)])?;
        match self.get(url, false).await {
            Ok(reply) => wire::parse_active(&reply.body).map(Some),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Boxed so `send` (which verifies restores with it) and this can call each other.
    pub(super) fn fetch_active_boxed(
        &self,
        id: String,
    ) -> BoxFuture<'static, DirResult<Option<ActiveUser>>> {
        let this = self.clone();
        Box::pin(async move { this.fetch_active(id).await })
    }

    async fn restore_one(&self, id: String, request: RestoreRequest) -> DirResult<ActiveUser> {
        let url = self.url(&["directory", "deletedItems", &id, "restore"], &[])?;
        let call = Call {
            method: Method::POST,
            url,
            body: Some(wire::restore_body(&request).to_string().into_bytes()),
            eventual: false,
            op: Op::Restore,
            writes: 1,
            restore_id: Some(id.clone()),
            max_body: self.inner.max_body,
            deadline: None,
        };
        match self.write(call).await? {
            Outcome::Reply(r) => match wire::parse_active(&r.body) {
                Ok(user) => Ok(user),
                // Restored, but the reply does not say as whom: ask. Whatever the asking
                // meets, the restore was answered with a success, so it may well be done.
                Err(parse) => match self.fetch_active(id).await {
                    Ok(Some(user)) => Ok(user),
                    Ok(None) => Err(r.unusable(parse)),
                    Err(e) => Err(e.sent(Sent::Maybe)),
                },
            },
            Outcome::AlreadyRestored(user) => Ok(user),
            Outcome::AlreadyDone => {
                Err(DirectoryError::malformed("unexpected outcome of a restore"))
            }
        }
    }

    async fn set_password_one(&self, id: String, change: PasswordChange) -> DirResult<()> {
        let url = self.url(&["users", &id], &[])?;
        let call = Call {
            method: Method::PATCH,
            url,
            body: Some(wire::password_body(&change).to_string().into_bytes()),
            eventual: false,
            op: Op::Idempotent,
            writes: 1,
            restore_id: None,
            max_body: self.inner.max_body,
            deadline: None,
        };
        self.write(call)
            .await
            .map(|_| ())
            .map_err(|e| explain_weak_password(e, &change))
    }
}

/// Graph says only "does not comply with password complexity requirements"; name the rule.
pub(super) fn explain_weak_password(
    mut e: DirectoryError,
    change: &PasswordChange,
) -> DirectoryError {
    if e.kind != ErrorKind::WeakPassword {
        return e;
    }
    let why = crate::password::check(change.password.expose_secret())
        .first_failure()
        .unwrap_or_else(|| {
            "it meets the length and character rules, so the directory's banned-password list \
             or its own policy refused it"
                .to_string()
        });
    e.message = format!("{} — {why}", e.message.trim_end());
    e
}

impl Directory for GraphDirectory {
    fn list_deleted(&self) -> BoxStream<'static, DirResult<DeletedPage>> {
        self.deleted_pages(ListingOptions::default())
    }

    fn list_deleted_as(
        &self,
        options: ListingOptions,
    ) -> BoxStream<'static, DirResult<DeletedPage>> {
        self.deleted_pages(options)
    }

    fn get_deleted(&self, id: &str) -> BoxFuture<'static, DirResult<DeletedUser>> {
        let this = self.clone();
        let id = id.to_string();
        Box::pin(async move {
            let url = this.url(
                &["directory", "deletedItems", &id],
                &[("$select", DELETED_SELECT)],
            )?;
            let reply = this.get(url, false).await?;
            wire::parse_deleted(&reply.body)
        })
    }

    fn get_deleted_many<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, Vec<DirResult<DeletedUser>>> {
        Box::pin(self.lookup_deleted_many(ids.to_vec()))
    }

    fn wait_notices(&self) -> Option<broadcast::Receiver<WaitNotice>> {
        Some(self.subscribe_waits())
    }

    fn get_active(&self, id_or_upn: &str) -> BoxFuture<'static, DirResult<Option<ActiveUser>>> {
        self.fetch_active_boxed(id_or_upn.to_string())
    }

    fn find_holders(
        &self,
        queries: Vec<HolderQuery>,
    ) -> BoxFuture<'static, Vec<DirResult<Option<Holder>>>> {
        let this = self.clone();
        Box::pin(async move { this.find_holders_now(queries).await })
    }

    fn on_clock(&self, started: std::time::Instant) -> std::sync::Arc<dyn Directory> {
        std::sync::Arc::new(self.clocked(started))
    }

    fn restore(
        &self,
        id: &str,
        request: &RestoreRequest,
    ) -> BoxFuture<'static, DirResult<ActiveUser>> {
        let this = self.clone();
        let (id, request) = (id.to_string(), request.clone());
        Box::pin(async move { this.restore_one(id, request).await })
    }

    fn set_password(&self, id: &str, change: &PasswordChange) -> BoxFuture<'static, DirResult<()>> {
        let this = self.clone();
        let (id, change) = (id.to_string(), change.clone());
        Box::pin(async move { this.set_password_one(id, change).await })
    }

    fn restore_many(&self, jobs: Vec<RestoreJob>) -> BoxStream<'static, JobEvent> {
        let (tx, rx) = unbounded_channel();
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(self.clone().run_bulk(jobs, tx));
            }
            // Called outside a runtime: report it per job instead of panicking.
            Err(_) => {
                for job in jobs {
                    let _ = tx.send(batch::failed(
                        &job.id,
                        Stage::Restore,
                        DirectoryError::invalid("restore_many needs a tokio runtime"),
                    ));
                }
            }
        }
        stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) }).boxed()
    }

    fn send_mail(&self, message: &MailMessage) -> BoxFuture<'static, DirResult<()>> {
        let this = self.clone();
        let message = message.clone();
        Box::pin(async move {
            let sender = message
                .sender
                .clone()
                .or_else(|| this.inner.mail_sender.clone());
            let url = match &sender {
                Some(s) => this.url(&["users", s, "sendMail"], &[])?,
                None => this.url(&["me", "sendMail"], &[])?,
            };
            let call = Call {
                method: Method::POST,
                url,
                body: Some(wire::mail_body(&message).to_string().into_bytes()),
                eventual: false,
                op: Op::NoResend,
                writes: 0,
                restore_id: None,
                max_body: this.inner.max_body,
                deadline: None,
            };
            // The semaphore is never closed, so acquiring only fails if that changes.
            let _slot = this
                .inner
                .mail_slots
                .acquire()
                .await
                .map_err(|_| DirectoryError::invalid("the mail queue was closed"))?;
            this.write(call)
                .await
                .map(|_| ())
                .map_err(|e| match &sender {
                    // Graph says only "the requested user is invalid": the user it means is the
                    // sender, which the settings name, not a user the table could refresh.
                    Some(s) if e.kind == ErrorKind::NotFound => DirectoryError {
                        kind: ErrorKind::BadRequest,
                        message: format!(
                            "the mail sender {s} is not a mailbox in this tenant: check mail-from \
                         (--mail-from, or the tenant's entry in the settings file). {}",
                            e.message
                        ),
                        ..e
                    },
                    _ => e,
                })
        })
    }

    fn purge(&self, id: &str) -> BoxFuture<'static, DirResult<()>> {
        let this = self.clone();
        let id = id.to_string();
        Box::pin(async move {
            let url = this.url(&["directory", "deletedItems", &id], &[])?;
            let call = Call {
                method: Method::DELETE,
                url,
                body: None,
                eventual: false,
                op: Op::Purge,
                writes: 1,
                restore_id: None,
                max_body: this.inner.max_body,
                deadline: None,
            };
            this.write(call).await.map(|_| ())
        })
    }

    fn whoami(&self) -> BoxFuture<'static, DirResult<Me>> {
        let this = self.clone();
        Box::pin(async move {
            let url = match &this.inner.mail_sender {
                Some(s) => this.url(&["users", s], &[("$select", ME_SELECT)])?,
                None => this.url(&["me"], &[("$select", ME_SELECT)])?,
            };
            let reply = this.get(url, false).await?;
            wire::parse_me(&reply.body)
        })
    }

    fn domains(&self) -> BoxFuture<'static, DirResult<Vec<Domain>>> {
        let this = self.clone();
        Box::pin(async move {
            let url = this.url(&["domains"], &[("$select", "id,isVerified")])?;
            let reply = this.get(url, false).await?;
            wire::parse_domains(&reply.body)
        })
    }

    fn validate_password(
        &self,
        password: &SecretString,
    ) -> BoxFuture<'static, DirResult<PasswordVerdict>> {
        let this = self.clone();
        let body = serde_json::json!({ "password": password.expose_secret() })
            .to_string()
            .into_bytes();
        Box::pin(async move {
            // Only in beta, and only in the global cloud: the `v1.0` root's sibling.
            let mut url = this.inner.graph_root.clone();
            url.path_segments_mut()
                .map_err(|()| DirectoryError::invalid("the Graph URL cannot have a path"))?
                .pop_if_empty()
                .extend(["beta", "users", "validatePassword"]);
            let call = Call {
                method: Method::POST,
                url,
                body: Some(body),
                eventual: false,
                // A question, not a change: safe to ask again, costs no write.
                op: Op::Idempotent,
                writes: 0,
                restore_id: None,
                max_body: this.inner.max_body,
                deadline: None,
            };
            match this.send(call).await? {
                Outcome::Reply(r) if r.ok() => wire::parse_password_verdict(&r.body),
                Outcome::Reply(r) => Err(r.error()),
                Outcome::AlreadyRestored(_) | Outcome::AlreadyDone => Err(
                    DirectoryError::malformed("unexpected outcome of a password check"),
                ),
            }
        })
    }

    fn list_holders(&self, kind: HolderKind) -> BoxStream<'static, DirResult<Vec<Holder>>> {
        self.holder_pages(kind)
    }

    fn holder_delta(
        &self,
        kind: HolderKind,
        from: Option<String>,
    ) -> BoxStream<'static, DirResult<DeltaPage>> {
        self.holder_delta_pages(kind, from)
    }

    fn deletion_audits(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> BoxStream<'static, DirResult<Vec<DeletionRecord>>> {
        self.audit_pages(since)
    }

    fn tap_availability(&self) -> BoxFuture<'static, crate::directory::tap::TapAvailability> {
        let this = self.clone();
        Box::pin(async move { this.tap_availability_now().await })
    }

    fn create_tap(
        &self,
        id: &str,
        request: &crate::directory::tap::TapRequest,
    ) -> BoxFuture<'static, DirResult<crate::directory::tap::IssuedTap>> {
        let this = self.clone();
        let (id, request) = (id.to_string(), *request);
        Box::pin(async move { this.create_tap_now(id, request).await })
    }

    fn after_care_reads(
        &self,
        ids: Vec<String>,
    ) -> BoxFuture<'static, crate::directory::aftercare::AfterCareReads> {
        let this = self.clone();
        Box::pin(async move { this.after_care_now(ids).await })
    }

    fn user_audits(
        &self,
        queries: Vec<crate::directory::audit_events::AuditQuery>,
    ) -> BoxFuture<'static, Vec<DirResult<Vec<crate::directory::audit_events::AuditEvent>>>> {
        let this = self.clone();
        Box::pin(async move { this.read_user_audits(queries).await })
    }

    fn bring_back(
        &self,
        items: Vec<(String, crate::directory::bring_back::BringBack)>,
    ) -> BoxFuture<'static, Vec<DirResult<()>>> {
        let this = self.clone();
        Box::pin(async move { this.bring_back_all(items).await })
    }

    fn groups_as_now(
        &self,
        ids: Vec<String>,
    ) -> BoxFuture<'static, Vec<DirResult<Option<String>>>> {
        let this = self.clone();
        Box::pin(async move { this.read_groups(ids).await })
    }

    fn usage_locations(
        &self,
        ids: Vec<String>,
    ) -> BoxFuture<'static, Vec<DirResult<Option<String>>>> {
        let this = self.clone();
        Box::pin(async move { this.read_usage_locations(ids).await })
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::super::test_support::dir;
    use super::*;

    #[test]
    fn weak_password_errors_name_the_rule() {
        let change = |p: &str| PasswordChange {
            password: SecretString::from(p.to_string()),
            force_change_next_sign_in: true,
            force_change_with_mfa: false,
        };
        let weak = DirectoryError::new(ErrorKind::WeakPassword, "does not comply.");
        let e = explain_weak_password(weak.clone(), &change("abcdefghij"));
        assert!(
            e.message.starts_with("does not comply. — "),
            "{}",
            e.message
        );
        assert!(e.message.contains("at least 3 of"), "{}", e.message);
        let e = explain_weak_password(weak, &change("Kiwi-Harbour-42"));
        assert!(e.message.contains("banned-password list"), "{}", e.message);
        let other = DirectoryError::new(ErrorKind::NotFound, "gone");
        assert_eq!(explain_weak_password(other, &change("x")).message, "gone");
    }

    #[tokio::test]
    async fn restore_many_outside_a_runtime_reports_instead_of_panicking() {
        let d = dir("http://127.0.0.1:9/").unwrap();
        let events = std::thread::spawn(move || {
            let jobs = vec![RestoreJob {
                id: "a".into(),
                request: RestoreRequest::default(),
                password: None,
            }];
            futures::executor::block_on(d.restore_many(jobs).collect::<Vec<_>>())
        })
        .join()
        .unwrap();
        assert!(
            matches!(&events[..], [JobEvent::Failed { error, .. }] if error.kind == ErrorKind::Invalid)
        );
    }
}
