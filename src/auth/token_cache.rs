//! `<data_dir>/tokens.json`: refresh tokens of delegated sign-ins, keyed by cloud + tenant +
//! client id + account. Access tokens never come here. The file is created with mode 0600 and
//! replaced atomically (write a new 0600 file, then rename), so it is never readable by others,
//! not even for a moment, and a crash never leaves half a file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;
use zeroize::Zeroizing;

use super::oauth::AuthError;
use undelete_common::cloud::Cloud;
use undelete_common::cloud::cloud_hosts;

pub const FILE_NAME: &str = "tokens.json";

/// Serializes read-modify-write cycles within this process (the TUI may refresh while a command
/// helper logs out).
static FILE_LOCK: Mutex<()> = Mutex::new(());

/// Which sign-in an entry belongs to. All parts are compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    pub cloud: String,
    pub tenant: String,
    pub client_id: String,
    pub account: String,
}

impl CacheKey {
    pub fn new(cloud: &str, tenant: &str, client_id: &str, account: &str) -> Self {
        Self {
            cloud: cloud.to_ascii_lowercase(),
            tenant: tenant.trim().to_ascii_lowercase(),
            client_id: client_id.trim().to_ascii_lowercase(),
            account: account.trim().to_ascii_lowercase(),
        }
    }

    fn same_login(&self, cloud: &str, tenant: &str, client_id: &str) -> bool {
        self.cloud.eq_ignore_ascii_case(cloud)
            && self.tenant.eq_ignore_ascii_case(tenant.trim())
            && self.client_id.eq_ignore_ascii_case(client_id.trim())
    }
}

/// The cloud part of a key: the cloud's name, plus the login origin when `--login-url` moved it
/// (a sandbox on another port, a proxy), so tokens of one login host never go to another.
pub fn cloud_key(cloud: Cloud, login: &Url) -> String {
    let name = cloud.name();
    let origin = login.origin().ascii_serialization();
    let default = cloud_hosts(cloud).0;
    if origin.eq_ignore_ascii_case(default) {
        name.to_string()
    } else {
        format!("{name}@{origin}")
    }
}

/// One cached sign-in. No `Debug`: it holds the refresh token.
#[derive(Clone)]
pub struct CachedLogin {
    pub key: CacheKey,
    pub refresh_token: SecretString,
    /// The tenant's id (`tid`), for the header when `--tenant` was a domain.
    pub tenant_id: Option<String>,
    pub scopes: String,
    pub saved_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize, Default)]
struct FileData {
    version: u32,
    #[serde(default)]
    entries: Vec<Entry>,
}

/// On-disk form; lives only while the file is read or written.
#[derive(Serialize, Deserialize)]
struct Entry {
    cloud: String,
    tenant: String,
    client_id: String,
    account: String,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    scopes: String,
    refresh_token: String,
    saved_at: DateTime<Utc>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.refresh_token);
    }
}

impl Entry {
    fn to_login(&self) -> CachedLogin {
        CachedLogin {
            key: CacheKey::new(&self.cloud, &self.tenant, &self.client_id, &self.account),
            refresh_token: SecretString::from(self.refresh_token.clone()),
            tenant_id: self.tenant_id.clone(),
            scopes: self.scopes.clone(),
            saved_at: self.saved_at,
        }
    }

    fn from_login(l: &CachedLogin) -> Self {
        Self {
            cloud: l.key.cloud.clone(),
            tenant: l.key.tenant.clone(),
            client_id: l.key.client_id.clone(),
            account: l.key.account.clone(),
            tenant_id: l.tenant_id.clone(),
            scopes: l.scopes.clone(),
            refresh_token: l.refresh_token.expose_secret().to_string(),
            saved_at: l.saved_at,
        }
    }

    fn key(&self) -> CacheKey {
        CacheKey::new(&self.cloud, &self.tenant, &self.client_id, &self.account)
    }
}

#[derive(Debug, Clone)]
pub struct TokenCache {
    path: PathBuf,
}

impl TokenCache {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The most recently saved sign-in for this cloud, tenant and client (of `account`, if given).
    pub fn find(
        &self,
        cloud: &str,
        tenant: &str,
        client_id: &str,
        account: Option<&str>,
    ) -> Result<Option<CachedLogin>, AuthError> {
        let _guard = lock();
        let data = self.read()?;
        Ok(data
            .entries
            .iter()
            .filter(|e| e.key().same_login(cloud, tenant, client_id))
            .filter(|e| account.is_none_or(|a| e.account.eq_ignore_ascii_case(a.trim())))
            .max_by_key(|e| e.saved_at)
            .map(Entry::to_login))
    }

    /// Saves a sign-in, replacing the entry with the same key: after a rotation only the newest
    /// refresh token is kept.
    pub fn store(&self, login: &CachedLogin) -> Result<(), AuthError> {
        let _guard = lock();
        let mut data = self.read()?;
        data.entries.retain(|e| e.key() != login.key);
        data.entries.push(Entry::from_login(login));
        self.write(&data)
    }

    /// Removes the entries of this cloud, tenant and client (only `account`'s, if given).
    /// Returns how many were removed; the file is deleted when it becomes empty.
    pub fn remove(
        &self,
        cloud: &str,
        tenant: &str,
        client_id: &str,
        account: Option<&str>,
    ) -> Result<usize, AuthError> {
        let _guard = lock();
        let mut data = self.read()?;
        let before = data.entries.len();
        data.entries.retain(|e| {
            !(e.key().same_login(cloud, tenant, client_id)
                && account.is_none_or(|a| e.account.eq_ignore_ascii_case(a.trim())))
        });
        let removed = before - data.entries.len();
        if removed == 0 {
            return Ok(0);
        }
        if data.entries.is_empty() {
            fs::remove_file(&self.path).map_err(|e| self.io_error("remove", &e))?;
        } else {
            self.write(&data)?;
        }
        Ok(removed)
    }

    /// Drops the entry only if it still holds `refresh_token` (another process may have rotated
    /// it meanwhile, and its newer token must survive).
    pub fn remove_if_current(
        &self,
        key: &CacheKey,
        refresh_token: &SecretString,
    ) -> Result<bool, AuthError> {
        let _guard = lock();
        let mut data = self.read()?;
        let before = data.entries.len();
        data.entries
            .retain(|e| !(e.key() == *key && e.refresh_token == refresh_token.expose_secret()));
        if data.entries.len() == before {
            return Ok(false);
        }
        if data.entries.is_empty() {
            fs::remove_file(&self.path).map_err(|e| self.io_error("remove", &e))?;
        } else {
            self.write(&data)?;
        }
        Ok(true)
    }

    fn read(&self) -> Result<FileData, AuthError> {
        let meta = match fs::symlink_metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileData::default()),
            Err(e) => return Err(self.io_error("read", &e)),
        };
        if !meta.file_type().is_file() {
            return Err(AuthError::Cache(format!(
                "{} is not a regular file (a symlink or directory?); remove it",
                self.path.display()
            )));
        }
        tighten_permissions(&self.path, &meta)?;
        let bytes = undelete_common::files::read(&self.path, undelete_common::files::TOKEN_CACHE)
            .map_err(|e| {
            AuthError::Cache(format!(
                "cannot read {}: {e}; delete it and sign in again",
                self.path.display()
            ))
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(FileData::default());
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            AuthError::Cache(format!(
                "{} is damaged ({e}); delete it and sign in again",
                self.path.display()
            ))
        })
    }

    fn write(&self, data: &FileData) -> Result<(), AuthError> {
        let dir = self
            .path
            .parent()
            .ok_or_else(|| AuthError::Cache("the token cache path has no directory".into()))?;
        create_private_dir(dir).map_err(|e| self.io_error("create the directory of", &e))?;
        let data = FileData {
            version: 1,
            entries: data.entries.iter().map(clone_entry).collect(),
        };
        let json = Zeroizing::new(
            serde_json::to_vec_pretty(&data)
                .map_err(|e| AuthError::Cache(format!("cannot encode the token cache: {e}")))?,
        );
        let tmp = dir.join(format!(
            ".{FILE_NAME}.{}.{}.tmp",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let result = (|| {
            let mut f = create_private_file(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(self.io_error("write", &e));
        }
        Ok(())
    }

    fn io_error(&self, what: &str, e: &std::io::Error) -> AuthError {
        AuthError::Cache(format!("cannot {what} {}: {e}", self.path.display()))
    }
}

fn clone_entry(e: &Entry) -> Entry {
    Entry {
        cloud: e.cloud.clone(),
        tenant: e.tenant.clone(),
        client_id: e.client_id.clone(),
        account: e.account.clone(),
        tenant_id: e.tenant_id.clone(),
        scopes: e.scopes.clone(),
        refresh_token: e.refresh_token.clone(),
        saved_at: e.saved_at,
    }
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    // A panic while holding the lock leaves nothing half-done on disk (writes are atomic).
    FILE_LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// The data dir, made as every other path makes it: 0700, and refused when others may write
/// to it (a planted link could otherwise catch the refresh tokens).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    crate::data_dir::create_private(dir, true)
}

/// A cache file someone made readable by others is put back to 0600 before it is read.
#[cfg(unix)]
fn tighten_permissions(path: &Path, meta: &fs::Metadata) -> Result<(), AuthError> {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|e| {
            AuthError::Cache(format!(
                "{} is readable by other users and cannot be made private: {e}",
                path.display()
            ))
        })?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten_permissions(_: &Path, _: &fs::Metadata) -> Result<(), AuthError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(account: &str, token: &str, age_secs: i64) -> CachedLogin {
        CachedLogin {
            key: CacheKey::new("global", "Contoso.onmicrosoft.com", "client-1", account),
            refresh_token: SecretString::from(token.to_string()),
            tenant_id: Some("tid-1".into()),
            scopes: "Mail.Send offline_access".into(),
            saved_at: Utc::now() - chrono::Duration::seconds(age_secs),
        }
    }

    fn rt(l: &Option<CachedLogin>) -> Option<String> {
        l.as_ref()
            .map(|l| l.refresh_token.expose_secret().to_string())
    }

    #[test]
    fn store_find_rotate_remove() -> Result<(), AuthError> {
        let dir = tempfile::tempdir().map_err(|e| AuthError::Cache(e.to_string()))?;
        let cache = TokenCache::new(&dir.path().join("nested"));
        assert!(
            cache
                .find("global", "contoso.onmicrosoft.com", "client-1", None)?
                .is_none()
        );

        cache.store(&login("a@contoso.com", "rt-a1", 10))?;
        cache.store(&login("b@contoso.com", "rt-b1", 5))?;
        // Newest account wins when none is named; keys compare case-insensitively.
        let found = cache.find("GLOBAL", "contoso.onmicrosoft.com", "CLIENT-1", None)?;
        assert_eq!(rt(&found), Some("rt-b1".into()));
        let a = cache.find(
            "global",
            "contoso.onmicrosoft.com",
            "client-1",
            Some("A@contoso.com"),
        )?;
        assert_eq!(rt(&a), Some("rt-a1".into()));

        // Rotation: the new token replaces the old one, nothing else is kept.
        cache.store(&login("a@contoso.com", "rt-a2", 0))?;
        let text = fs::read_to_string(cache.path()).map_err(|e| AuthError::Cache(e.to_string()))?;
        assert!(!text.contains("rt-a1") && text.contains("rt-a2"), "{text}");
        assert_eq!(text.matches("refresh_token").count(), 2);

        // Another tenant or client does not match.
        assert!(
            cache
                .find("global", "fabrikam.com", "client-1", None)?
                .is_none()
        );
        assert!(
            cache
                .find("usgov", "contoso.onmicrosoft.com", "client-1", None)?
                .is_none()
        );
        assert!(
            cache
                .find("global", "contoso.onmicrosoft.com", "client-2", None)?
                .is_none()
        );

        // A stale token does not remove a rotated entry.
        let key = login("a@contoso.com", "", 0).key;
        assert!(!cache.remove_if_current(&key, &SecretString::from("rt-a1".to_string()))?);
        assert!(cache.remove_if_current(&key, &SecretString::from("rt-a2".to_string()))?);

        assert_eq!(
            cache.remove("global", "contoso.onmicrosoft.com", "client-1", None)?,
            1
        );
        assert!(!cache.path().exists(), "an empty cache leaves no file");
        assert_eq!(
            cache.remove("global", "contoso.onmicrosoft.com", "client-1", None)?,
            0
        );
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn file_is_private_and_widened_files_are_tightened() -> Result<(), AuthError> {
        use std::os::unix::fs::PermissionsExt;
        let err = |e: std::io::Error| AuthError::Cache(e.to_string());
        let dir = tempfile::tempdir().map_err(err)?;
        let cache = TokenCache::new(dir.path());
        cache.store(&login("a@contoso.com", "rt", 0))?;
        let mode = fs::metadata(cache.path())
            .map_err(err)?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        fs::set_permissions(cache.path(), fs::Permissions::from_mode(0o644)).map_err(err)?;
        assert!(
            cache
                .find("global", "contoso.onmicrosoft.com", "client-1", None)?
                .is_some()
        );
        let mode = fs::metadata(cache.path())
            .map_err(err)?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // No temp files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .map_err(err)?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);
        Ok(())
    }

    #[test]
    fn damaged_file_is_a_clear_error() -> Result<(), AuthError> {
        let dir = tempfile::tempdir().map_err(|e| AuthError::Cache(e.to_string()))?;
        let cache = TokenCache::new(dir.path());
        fs::write(cache.path(), "{not json").map_err(|e| AuthError::Cache(e.to_string()))?;
        let e = cache.find("global", "t", "c", None).err();
        assert!(matches!(e, Some(AuthError::Cache(m)) if m.contains("damaged")));
        Ok(())
    }

    #[test]
    fn an_oversized_file_is_refused_not_read() -> Result<(), AuthError> {
        let dir = tempfile::tempdir().map_err(|e| AuthError::Cache(e.to_string()))?;
        let cache = TokenCache::new(dir.path());
        let file = fs::File::create(cache.path()).map_err(|e| AuthError::Cache(e.to_string()))?;
        // Sparse: 9 MB long, nothing written.
        file.set_len(9 * 1024 * 1024)
            .map_err(|e| AuthError::Cache(e.to_string()))?;
        let e = cache.find("global", "t", "c", None).err();
        assert!(
            matches!(&e, Some(AuthError::Cache(m)) if m.contains("larger than 8 MB")),
            "{e:?}"
        );
        Ok(())
    }

    #[test]
    fn cloud_keys() {
        let u = |s: &str| Url::parse(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            cloud_key(Cloud::Global, &u("https://login.microsoftonline.com/")),
            "global"
        );
        assert_eq!(
            cloud_key(Cloud::UsgovDod, &u("https://login.microsoftonline.us")),
            "usgov-dod"
        );
        assert_eq!(
            cloud_key(Cloud::Global, &u("http://127.0.0.1:4000/")),
            "global@http://127.0.0.1:4000"
        );
    }
}
