//! Opening every tenant of a run at once: a session per tenant, a few in flight at a time, a
//! tenant that cannot be opened kept apart with its reason while the others go on. On the
//! built-in sandbox asked for several tenants, one in-process sandbox serves them all and each
//! tenant is signed in app-only at its own authority.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use color_eyre::eyre::WrapErr;
use futures::StreamExt;
use secrecy::SecretString;

use super::{SANDBOX_CLIENT_ID, Session, data_dir, open_with, request_feed, run_deadline};
use crate::auth::TokenSource;
use crate::auth::client_credentials::ClientCredentials;
use crate::config::tenants::SANDBOX_TENANTS;
use crate::config::{Endpoints, Settings};
use crate::data_dir::DirectoryId;
use crate::directory::graph::{GraphDirectory, GraphOptions};
use crate::restore::LockSlot;
use undelete_sandbox::{SandboxConfig, SandboxHandle};

pub use crate::config::tenants::OPEN_AT_ONCE;

/// One tenant of a run, opened or not.
pub struct TenantOpen {
    /// How the table names it (`Settings::tenant_label`).
    pub label: String,
    /// Its own settings (the flags over its `[[tenants]]` entry over the file's top level).
    pub settings: Settings,
    /// Its session, or why there is none, cause first, in words.
    pub session: Result<Arc<Session>, String>,
    /// It was not opened for want of a sign-in (no saved one reaches it): a device code
    /// would open it.
    pub needs_sign_in: bool,
}

/// Opens every tenant of the run (`settings.tenants()`, in that order), `OPEN_AT_ONCE` at a
/// time. A tenant that cannot be signed in to is kept with its reason and the others go on;
/// `Err` only for what stops every tenant (the data dir, the in-process sandbox not starting).
/// Each session is on its own directory, with its own books.
pub async fn open_tenants(
    settings: &Settings,
    request_log: bool,
) -> color_eyre::Result<Vec<TenantOpen>> {
    let tenants = settings.tenants();
    let sandbox = if tenants.iter().any(|t| t.sandbox_tenant.is_some()) {
        Some(Arc::new(start_sandbox(settings).await?))
    } else {
        None
    };
    // Each tenant's settings owned by its future: a borrowed one would tie the stream to a
    // lifetime a spawned task (the sign-in screen's) cannot name.
    let owned: Vec<Settings> = tenants.into_iter().cloned().collect();
    let opened = futures::stream::iter(owned.into_iter().map(|t| {
        let sandbox = sandbox.clone();
        async move {
            let session = match (&t.sandbox_tenant, sandbox) {
                (Some(domain), Some(handle)) => {
                    open_sandbox_tenant(&t, domain, handle, request_log).await
                }
                _ => open_with(&t, request_log).await,
            };
            if let Err(e) = &session {
                tracing::warn!(tenant = %t.tenant_key(), "a tenant could not be opened: {e:#}");
            }
            let needs_sign_in = session
                .as_ref()
                .err()
                .is_some_and(|e| e.downcast_ref::<super::NotSignedIn>().is_some());
            TenantOpen {
                label: t.tenant_label(),
                settings: t,
                session: session.map_err(|e| format!("{e:#}")),
                needs_sign_in,
            }
        }
    }))
    .buffered(OPEN_AT_ONCE)
    .collect()
    .await;
    Ok(opened)
}

/// The in-process sandbox serving `SANDBOX_TENANTS` tenants, on the data dir's stores: the
/// first is the one-tenant sandbox's own store.
pub(super) async fn start_sandbox(settings: &Settings) -> color_eyre::Result<SandboxHandle> {
    let data_dir = data_dir(settings)?;
    undelete_sandbox::spawn(SandboxConfig::new(&data_dir).tenants(SANDBOX_TENANTS))
        .await
        .wrap_err("cannot start the built-in sandbox")
}

/// A session on one tenant of the in-process sandbox: app-only with the sandbox's client
/// credentials at the tenant's own authority, mail from its admin unless `mail-from` says.
pub(super) async fn open_sandbox_tenant(
    settings: &Settings,
    domain: &str,
    handle: Arc<SandboxHandle>,
    request_log: bool,
) -> color_eyre::Result<Arc<Session>> {
    let data_dir: PathBuf = data_dir(settings)?;
    let info = handle
        .tenants()
        .into_iter()
        .find(|t| t.domain.eq_ignore_ascii_case(domain))
        .ok_or_else(|| color_eyre::eyre::eyre!("the built-in sandbox serves no tenant {domain}"))?;
    let endpoints = Endpoints {
        tenant: info.domain.clone(),
        ..Endpoints::sandbox(handle.base_url())
    };
    let tokens = ClientCredentials::new(
        &endpoints,
        SANDBOX_CLIENT_ID,
        SecretString::from(handle.client_secret().to_string()),
    )?;
    // Signed in now, as a real tenant's app-only sign-in is: a tenant that refuses says so
    // here, apart from the others, not at its first read.
    tokens
        .token()
        .await
        .wrap_err_with(|| format!("signing in to {}", info.domain))?;
    let sender = settings
        .mail_from
        .clone()
        .unwrap_or_else(|| info.admin_upn.clone());
    let options = GraphOptions {
        mail_sender: Some(sender.clone()),
        deadline: run_deadline(settings),
        ..GraphOptions::default()
    };
    let directory = GraphDirectory::new(endpoints, tokens, options)?;
    let requests = request_feed(request_log, &directory);
    let first = info.domain.eq_ignore_ascii_case(handle.domain());
    tracing::info!(tenant = %info.domain, "session on a tenant of the built-in sandbox, signed in app-only");
    Ok(Arc::new(Session {
        settings: settings.clone(),
        directory: Arc::new(directory),
        label: format!("SANDBOX {}", info.domain),
        is_sandbox: true,
        directory_id: DirectoryId::sandbox_tenant(&info.domain, first),
        lock: LockSlot::default(),
        account: info.admin_upn.clone(),
        mail_sender: Some(sender),
        data_dir,
        requests: Mutex::new(requests),
        warnings: Vec::new(),
        lacks: Vec::new(),
        sandbox: Some(handle),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sandbox_tenants_open_each_on_its_own_directory_and_users() {
        let dir = tempfile::tempdir().expect("tempdir");
        let asked = crate::config::tenants::Asked {
            all: true,
            ..Default::default()
        };
        let base = Settings {
            data_dir: Some(dir.path().to_path_buf()),
            ..Settings::default()
        };
        let settings =
            crate::config::tenants::resolve(base, Default::default(), Default::default(), &asked)
                .expect("resolves");
        let opened = open_tenants(&settings, false).await.expect("opens");
        let labels: Vec<&str> = opened.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(
            labels,
            ["contoso.sandbox", "fabrikam.sandbox", "northwind.sandbox"]
        );
        let sessions: Vec<Arc<Session>> = opened
            .into_iter()
            .map(|t| t.session.expect("signed in"))
            .collect();
        assert_eq!(sessions[0].directory_id, DirectoryId::BuiltInSandbox);
        assert_ne!(sessions[1].directory_id, sessions[2].directory_id);
        assert_ne!(sessions[1].books().folder(), sessions[0].books().folder());
        assert!(sessions[1].account.ends_with("@fabrikam.sandbox"));
        // Each lists its own tenant's users only.
        for (s, domain) in sessions.iter().zip(["contoso", "fabrikam", "northwind"]) {
            let mut pages = s.directory.list_deleted();
            let page = pages.next().await.expect("a page").expect("page ok");
            assert!(!page.users.is_empty());
            assert!(
                page.users
                    .iter()
                    .all(|u| u.original_upn.contains(&format!("@{domain}.sandbox"))
                        || !u.original_upn.contains(".sandbox")),
                "{domain}: {:?}",
                page.users
                    .iter()
                    .map(|u| &u.original_upn)
                    .collect::<Vec<_>>()
            );
        }
        // One sandbox serves them all.
        assert!(Arc::ptr_eq(
            sessions[0].sandbox.as_ref().expect("sandbox"),
            sessions[2].sandbox.as_ref().expect("sandbox")
        ));
    }
}
