//! Extra certificate authorities the HTTP clients (Graph and login) trust besides the system's:
//! `--ca-file PEM` / `UNDELETE_CA_FILE`, e.g. the `tls/ca.pem` of `undelete sandbox serve
//! --tls`. They are added to the platform's roots, never put in their place, so a tenant stays
//! reachable in the same run.
//!
//! One setting for the whole process, made once by the binary before any client is built:
//! the clients are built deep inside sign-in and the directory, which all share it.

use std::path::Path;
use std::sync::{Mutex, OnceLock};

static EXTRA: OnceLock<Vec<reqwest::Certificate>> = OnceLock::new();

/// Reads the PEM certificates of `path` and trusts them for every client built afterwards.
/// Returns how many there were; a file without a certificate is an error.
pub fn trust_ca_file(path: &Path) -> Result<usize, String> {
    let pem = undelete_common::files::read(path, undelete_common::files::CERTIFICATE)
        .map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        format!(
            "--ca-file {}: not a PEM certificate file: {e}",
            path.display()
        )
    })?;
    if certs.is_empty() {
        return Err(format!(
            "--ca-file {}: no certificate in the file (expected -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    let n = certs.len();
    EXTRA
        .set(certs)
        .map_err(|_| "--ca-file was already read in this process".to_string())?;
    Ok(n)
}

/// `builder` trusting the extra authorities too, if any were given.
pub fn with_extra_roots(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    match EXTRA.get() {
        Some(certs) => builder.tls_certs_merge(certs.iter().cloned()),
        None => builder,
    }
}

/// Clients built so far, by the settings they were built with.
static BUILT: Mutex<Vec<(String, reqwest::Client)>> = Mutex::new(Vec::new());

/// The client `build` makes (trusting the extra authorities too), built once per process for
/// each `settings` (every other setting of `build`, in words) and shared after: building one
/// loads and parses the platform's roots, tens of milliseconds of CPU, which a run across 50
/// tenants paid three times per tenant (measured: most of its time at no latency). Sharing
/// shares the connection pool, nothing else: each request carries its own token.
pub fn shared_client(
    settings: &str,
    build: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
) -> reqwest::Result<reqwest::Client> {
    // A panic while holding the lock leaves the list as it was: nothing half-written.
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, client)) = built.iter().find(|(s, _)| s == settings) {
        return Ok(client.clone());
    }
    let client = build(with_extra_roots(reqwest::Client::builder())).build()?;
    built.push((settings.to_string(), client.clone()));
    Ok(client)
}
