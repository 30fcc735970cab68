//! Picks the directory a run talks to: the in-process sandbox when no tenant is configured,
//! otherwise Microsoft Graph with the credentials the sign-in module resolves. Either way the
//! result is a `GraphDirectory` speaking real HTTP; only the base URL and the token differ.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use color_eyre::eyre::{WrapErr, eyre};
use secrecy::SecretString;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::auth::TokenSource;
use crate::auth::client_credentials::ClientCredentials;
use crate::auth::signin::{AuthContext, SignedIn};
use crate::config::{Endpoints, Settings};
use crate::data_dir::DirectoryId;
use crate::directory::graph::{GraphDirectory, GraphOptions};
use crate::directory::{Directory, RequestRecord};
use crate::restore::{Books, LockSlot};
use undelete_sandbox::{SandboxConfig, SandboxHandle};

mod tenants;
pub use tenants::{OPEN_AT_ONCE, TenantOpen, open_tenants};

/// The sandbox accepts any client id with its secret; this one names us in its logs.
const SANDBOX_CLIENT_ID: &str = "undelete-sandbox-client";

/// A directory to work on and who we are in it, shared as one `Arc<Session>` by the TUI, its
/// effect runner and the commands. Dropping the last handle stops an in-process sandbox.
pub struct Session {
    /// The settings of the run this session was opened for.
    pub settings: Settings,
    pub directory: Arc<dyn Directory>,
    /// "SANDBOX contoso.sandbox", or cloud · tenant for a real directory.
    pub label: String,
    pub is_sandbox: bool,
    /// Which directory this is, for its books: the built-in sandbox, or Graph root + tenant id.
    pub directory_id: DirectoryId,
    /// The signed-in admin (delegated) or the app (app-only).
    pub account: String,
    /// The mailbox app-only mail is sent from; `None` sends as the signed-in admin.
    pub mail_sender: Option<String>,
    pub data_dir: PathBuf,
    /// One record per HTTP exchange, when asked for (the TUI's `@` pane); taken once by
    /// whoever shows them (`take_requests`), since a receiver has one reader.
    requests: Mutex<Option<UnboundedReceiver<RequestRecord>>>,
    /// Permission problems found in the token, worded for the header.
    pub warnings: Vec<String>,
    /// The optional things the token does not allow, each with the permission to grant
    /// (the restore dialog greys what cannot be given back). Empty when unknown.
    pub lacks: Vec<(crate::auth::claims::Action, &'static str)>,
    /// Keeps the in-process sandbox serving for as long as the session lives (shared by the
    /// sessions on its tenants when it serves several).
    pub sandbox: Option<Arc<SandboxHandle>>,
    /// The directory's lock once this session takes it (`lock`): its journal and audit log
    /// check it before each change they record.
    lock: LockSlot,
}

impl Session {
    /// This directory's books (nothing is created until they are written).
    pub fn books(&self) -> Books {
        Books::new(&self.data_dir, &self.directory_id, &self.label)
    }

    /// The journal of this session's directory.
    pub fn journal(&self) -> std::io::Result<crate::restore::Journal> {
        self.books().journal(&self.lock)
    }

    /// The audit log of this session's directory, its lines naming this directory and admin.
    pub fn audit(&self) -> std::io::Result<crate::restore::Audit> {
        self.books().audit(&self.account, &self.lock)
    }

    /// Where this session keeps the directory's lock when it holds it.
    pub fn lock_slot(&self) -> &LockSlot {
        &self.lock
    }

    /// This session on another directory than `new` gave it (tests and tools that serve
    /// more than one).
    pub fn on_directory(mut self, directory_id: DirectoryId) -> Self {
        self.directory_id = directory_id;
        self
    }

    /// A session from its parts: a directory the caller built (tests, tools), without an
    /// in-process sandbox, warnings or a request log. `is_sandbox` puts it on the built-in
    /// sandbox's books; otherwise it is a directory named by its label until `on_directory`
    /// says which.
    pub fn new(
        settings: Settings,
        directory: Arc<dyn Directory>,
        label: String,
        is_sandbox: bool,
        account: String,
        mail_sender: Option<String>,
        data_dir: PathBuf,
    ) -> Self {
        let directory_id = if is_sandbox {
            DirectoryId::BuiltInSandbox
        } else {
            DirectoryId::Graph {
                root: String::new(),
                tenant: label.to_ascii_lowercase(),
            }
        };
        Self {
            settings,
            directory,
            label,
            is_sandbox,
            directory_id,
            account,
            mail_sender,
            data_dir,
            requests: Mutex::new(None),
            warnings: Vec::new(),
            lacks: Vec::new(),
            sandbox: None,
            lock: LockSlot::default(),
        }
    }

    /// The request log's receiver, once: `None` when none was asked for or it was taken.
    pub fn take_requests(&self) -> Option<UnboundedReceiver<RequestRecord>> {
        // A panic while holding this lock cannot leave the option half-written.
        self.requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// Tells whether a panic on the current thread is one the in-process sandbox catches (it
    /// answers that request 500 and goes on), so whoever tears the screen down on a panic can
    /// leave it alone. With no sandbox here, no panic is caught.
    pub fn caught_panic(&self) -> fn() -> bool {
        if self.sandbox.is_some() {
            undelete_sandbox::in_sandbox_request
        } else {
            || false
        }
    }

    /// The link the sign-in mail gives, for this session's cloud.
    pub fn sign_in_url(&self) -> &'static str {
        crate::mail::sign_in_url(self.settings.cloud)
    }
}

/// True when this run should use the built-in sandbox.
pub fn wants_sandbox(settings: &Settings) -> bool {
    settings.uses_sandbox()
}

/// Opens a session without a request log (the scripting commands).
pub async fn open(settings: &Settings) -> color_eyre::Result<Arc<Session>> {
    open_with(settings, false).await
}

/// Opens a session; `request_log` keeps a record of every HTTP exchange for the caller.
pub async fn open_with(settings: &Settings, request_log: bool) -> color_eyre::Result<Arc<Session>> {
    if let Some(domain) = &settings.sandbox_tenant {
        // One tenant of the sandbox serving several: that sandbox, that tenant.
        let handle = Arc::new(tenants::start_sandbox(settings).await?);
        return tenants::open_sandbox_tenant(settings, domain, handle, request_log).await;
    }
    let data_dir = data_dir(settings)?;
    let session = if wants_sandbox(settings) {
        open_sandbox(settings, data_dir, request_log).await?
    } else {
        open_tenant(settings, data_dir, request_log).await?
    };
    Ok(Arc::new(session))
}

/// The directory's request events as records, when asked for (see `logging::feed`).
fn request_feed(on: bool, directory: &GraphDirectory) -> Option<UnboundedReceiver<RequestRecord>> {
    on.then(|| crate::logging::requests(directory.log_source()))
}

/// The data dir, created private if missing and refused when others may write to it: every
/// directory's books go there.
fn data_dir(settings: &Settings) -> color_eyre::Result<PathBuf> {
    let dir = settings.data_dir().map_err(|e| eyre!(e))?;
    crate::data_dir::prepare(&dir).wrap_err_with(|| format!("the data dir {}", dir.display()))?;
    Ok(dir)
}

async fn open_sandbox(
    settings: &Settings,
    data_dir: PathBuf,
    request_log: bool,
) -> color_eyre::Result<Session> {
    let handle = undelete_sandbox::spawn(SandboxConfig::new(&data_dir))
        .await
        .wrap_err("cannot start the built-in sandbox")?;
    let endpoints = Endpoints::sandbox(handle.base_url());
    let tokens: Arc<dyn TokenSource> = ClientCredentials::new(
        &endpoints,
        SANDBOX_CLIENT_ID,
        SecretString::from(handle.client_secret().to_string()),
    )?;
    let admin = handle.admin_upn();
    // The sandbox signs us in app-only, so mail goes out from the admin's mailbox explicitly,
    // unless the admin named another one.
    let sender = settings.mail_from.clone().unwrap_or_else(|| admin.clone());
    let options = GraphOptions {
        mail_sender: Some(sender.clone()),
        deadline: run_deadline(settings),
        ..GraphOptions::default()
    };
    let directory = GraphDirectory::new(endpoints, tokens, options)?;
    let requests = request_feed(request_log, &directory);
    tracing::info!(directory = %handle.base_url(), "session on the built-in sandbox, signed in app-only");
    Ok(Session {
        settings: settings.clone(),
        directory: Arc::new(directory),
        label: format!("SANDBOX {}", handle.domain()),
        is_sandbox: true,
        directory_id: DirectoryId::BuiltInSandbox,
        lock: LockSlot::default(),
        account: admin,
        mail_sender: Some(sender),
        data_dir,
        requests: Mutex::new(requests),
        warnings: Vec::new(),
        lacks: Vec::new(),
        sandbox: Some(Arc::new(handle)),
    })
}

async fn open_tenant(
    settings: &Settings,
    data_dir: PathBuf,
    request_log: bool,
) -> color_eyre::Result<Session> {
    let auth = AuthContext::from_settings(settings)?;
    let Some(signed_in) = auth.resolve().await? else {
        return Err(NotSignedIn(auth.tenant().to_string()).into());
    };
    tenant_session(settings, &auth, signed_in, data_dir, request_log)
}

/// A delegated run with no saved sign-in that reaches the tenant: a device code is needed
/// (the TUI offers one; a command says to run `undelete login`).
#[derive(Debug)]
pub struct NotSignedIn(pub String);

impl std::fmt::Display for NotSignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Sign-ins are cached per cloud, tenant and client: the login must use the same ones.
        write!(
            f,
            "not signed in to {}: run `undelete login` first, with the same --tenant, --cloud \
             and --client-id as this command",
            self.0
        )
    }
}

impl std::error::Error for NotSignedIn {}

/// `--deadline`, or the directory's default for a run (30 min).
fn run_deadline(settings: &Settings) -> std::time::Duration {
    settings
        .deadline
        .unwrap_or(crate::directory::graph::DEFAULT_DEADLINE)
}

/// A session on a real tenant, from a sign-in the caller obtained (from the cache, or from the
/// TUI's device-code screen).
pub fn signed_in_session(
    settings: &Settings,
    auth: &AuthContext,
    signed_in: SignedIn,
    request_log: bool,
) -> color_eyre::Result<Arc<Session>> {
    let data_dir = data_dir(settings)?;
    tenant_session(settings, auth, signed_in, data_dir, request_log).map(Arc::new)
}

fn tenant_session(
    settings: &Settings,
    auth: &AuthContext,
    signed_in: SignedIn,
    data_dir: PathBuf,
    request_log: bool,
) -> color_eyre::Result<Session> {
    // App-only without --mail-from can still list and restore; the self-check's warning says
    // what to pass, and a mail is refused when asked for.
    let mail_sender = signed_in.mail_sender().ok().flatten();
    let options = GraphOptions {
        mail_sender: mail_sender.clone(),
        deadline: run_deadline(settings),
        ..GraphOptions::default()
    };
    let directory = GraphDirectory::new(auth.endpoints.clone(), signed_in.tokens.clone(), options)?;
    let requests = request_feed(request_log, &directory);
    tracing::info!(
        directory = %auth.endpoints.graph,
        tenant = %signed_in.identity.tenant,
        sign_in = signed_in.identity.mode.label(),
        "session on a tenant"
    );
    Ok(Session {
        settings: settings.clone(),
        directory: Arc::new(directory),
        label: signed_in.identity.header(),
        is_sandbox: false,
        directory_id: directory_id(auth, &signed_in),
        lock: LockSlot::default(),
        account: signed_in.identity.account.clone(),
        mail_sender,
        data_dir,
        requests: Mutex::new(requests),
        warnings: signed_in.warnings.iter().map(ToString::to_string).collect(),
        lacks: signed_in
            .optional_warnings
            .iter()
            .filter_map(|w| match w {
                crate::auth::claims::Warning::MissingPermission { action, grant, .. } => {
                    Some((*action, *grant))
                }
                _ => None,
            })
            .collect(),
        sandbox: None,
    })
}

/// A tenant's directory: the Graph root this run talks to and the tenant id its token names
/// (`tid`), so the domain the admin typed and the tenant's GUID are one directory. A token that
/// names none (not a JWT) falls back to the tenant as typed.
fn directory_id(auth: &AuthContext, signed_in: &SignedIn) -> DirectoryId {
    let tenant = signed_in
        .identity
        .tenant_id
        .clone()
        .unwrap_or_else(|| signed_in.identity.tenant.clone());
    DirectoryId::graph(&auth.endpoints.graph, &tenant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_is_the_default_and_a_tenant_turns_it_off() {
        let tenant = || Some("contoso.com".to_string());
        assert!(wants_sandbox(&Settings::default()));
        assert!(!wants_sandbox(&Settings {
            tenant: tenant(),
            ..Settings::default()
        }));
        assert!(!wants_sandbox(&Settings {
            graph_url: Some("http://127.0.0.1:1".into()),
            ..Settings::default()
        }));
        assert!(wants_sandbox(&Settings {
            tenant: tenant(),
            sandbox: true,
            ..Settings::default()
        }));
    }

    #[tokio::test]
    async fn sandbox_session_lists_seeded_users_over_http() {
        use futures::StreamExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let g = Settings {
            data_dir: Some(dir.path().to_path_buf()),
            ..Settings::default()
        };
        let session = open_with(&g, true).await.expect("sandbox session");
        assert!(session.is_sandbox);
        assert!(session.label.starts_with("SANDBOX "));
        let mut pages = session.directory.list_deleted();
        let first = pages.next().await.expect("a page").expect("page ok");
        assert!(!first.users.is_empty());
        let mut log = session.take_requests().expect("request log");
        assert!(session.take_requests().is_none(), "taken once");
        let record = log.recv().await.expect("a request was logged");
        assert!(record.path.contains("deletedItems"), "{}", record.path);
    }
}
