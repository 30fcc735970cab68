//! `sandbox serve --tls`: a local certificate authority made once per data dir
//! (`tls/ca.pem`, `tls/ca.key`), and a leaf certificate it signs at every start for loopback
//! and the Microsoft Graph and login hosts of every cloud, so a client that maps those names to
//! 127.0.0.1 and trusts the CA talks to the sandbox as it would to Microsoft.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use super::SandboxError;
use undelete_common::cloud::{Cloud, cloud_hosts};
use undelete_common::files::{self, FileError};

/// Sub-directory of the data dir holding the CA.
pub const DIR: &str = "tls";
pub const CA_CERT: &str = "ca.pem";
pub const CA_KEY: &str = "ca.key";

/// The CA's subject. The issuer of each leaf is rebuilt from it and the stored key, so it
/// must never change, or leaves would name an issuer no client has.
const CA_NAME: &str = "undelete sandbox local CA";
const ORG: &str = "undelete sandbox";

/// What a TLS-fronted sandbox serves with, and where its CA lives for clients to trust.
#[derive(Clone)]
pub struct TlsSetup {
    pub ca_path: PathBuf,
    pub acceptor: TlsAcceptor,
}

/// The names the leaf covers: loopback, and the login, Graph and Resource Manager hosts of every
/// national cloud (DESIGN.md 4.5), whatever `--public-url` says.
pub fn leaf_names() -> Vec<String> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    for cloud in [Cloud::Global, Cloud::Usgov, Cloud::UsgovDod, Cloud::China] {
        let (login, graph) = cloud_hosts(cloud);
        for root in [login, graph] {
            let host = root.trim_start_matches("https://").to_string();
            if !names.contains(&host) {
                names.push(host);
            }
        }
    }
    names.extend(super::arm::HOSTS.iter().map(|h| h.to_string()));
    names
}

fn dir_err(path: &Path) -> impl FnOnce(std::io::Error) -> SandboxError + '_ {
    move |source| SandboxError::DataDir {
        path: path.to_path_buf(),
        source,
    }
}

/// A CA file that cannot be read: what to do about it is to make a new CA.
fn file_err<'a>(path: &'a Path, dir: &'a Path) -> impl FnOnce(FileError) -> SandboxError + 'a {
    move |e| match e {
        FileError::Io(source) => SandboxError::DataDir {
            path: path.to_path_buf(),
            source,
        },
        e => SandboxError::Config(format!(
            "{}: {e}; delete {} to make a new CA",
            path.display(),
            dir.display()
        )),
    }
}

fn cert_err(what: &str) -> impl FnOnce(rcgen::Error) -> SandboxError + '_ {
    move |e| SandboxError::Config(format!("cannot make the sandbox's {what}: {e}"))
}

fn ca_params() -> Result<CertificateParams, SandboxError> {
    let mut p = CertificateParams::new(Vec::<String>::new()).map_err(cert_err("CA"))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    dn.push(DnType::OrganizationName, ORG);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(p)
}

/// The CA of `data_dir`, made on first use: returns its key and certificate (PEM).
fn load_or_make_ca(data_dir: &Path) -> Result<(KeyPair, String, PathBuf), SandboxError> {
    let dir = data_dir.join(DIR);
    std::fs::create_dir_all(&dir).map_err(dir_err(&dir))?;
    restrict(&dir, 0o700).map_err(dir_err(&dir))?;
    let cert_path = dir.join(CA_CERT);
    let key_path = dir.join(CA_KEY);
    if key_path.exists() && cert_path.exists() {
        restrict(&key_path, 0o600).map_err(dir_err(&key_path))?;
        let key_pem = files::read_text(&key_path, files::KEY).map_err(file_err(&key_path, &dir))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| {
            SandboxError::Config(format!(
                "{} is not a private key rcgen can read ({e}); delete {} to make a new CA",
                key_path.display(),
                dir.display()
            ))
        })?;
        let cert_pem = files::read_text(&cert_path, files::CERTIFICATE)
            .map_err(file_err(&cert_path, &dir))?
            .to_string();
        // A CA file that does not hold this key's public half would make every client fail
        // verification with a puzzling error: refuse to start instead, saying why.
        let der = rustls_pki_types::pem::PemObject::from_pem_slice(cert_pem.as_bytes())
            .map(|d: CertificateDer<'static>| d.to_vec())
            .unwrap_or_default();
        let public = key.public_key_raw();
        if der.windows(public.len()).all(|w| w != public) {
            return Err(SandboxError::Config(format!(
                "{} does not belong to the key in {}; delete {} to make a new CA",
                cert_path.display(),
                key_path.display(),
                dir.display()
            )));
        }
        return Ok((key, cert_pem, cert_path));
    }
    let key = KeyPair::generate().map_err(cert_err("CA key"))?;
    let mut params = ca_params()?;
    let now = chrono::Utc::now();
    params.not_before = date_time_ymd(chrono::Datelike::year(&now) - 1, 1, 1);
    params.not_after = date_time_ymd(chrono::Datelike::year(&now) + 20, 1, 1);
    let cert = params.self_signed(&key).map_err(cert_err("CA"))?;
    let cert_pem = cert.pem();
    write_private(&key_path, key.serialize_pem().as_bytes()).map_err(dir_err(&key_path))?;
    // Written last: a CA file without its key is never left behind by a crash.
    std::fs::write(&cert_path, &cert_pem).map_err(dir_err(&cert_path))?;
    Ok((key, cert_pem, cert_path))
}

/// The data dir's CA (made if missing) and a fresh leaf for `leaf_names`, as a TLS acceptor
/// that speaks HTTP/1.1 only (the sandbox's server is HTTP/1.1).
pub fn setup(data_dir: &Path) -> Result<TlsSetup, SandboxError> {
    let (ca_key, ca_pem, ca_path) = load_or_make_ca(data_dir)?;
    let issuer = Issuer::new(ca_params()?, ca_key);

    let leaf_key = KeyPair::generate().map_err(cert_err("TLS key"))?;
    let mut params = CertificateParams::new(leaf_names()).map_err(cert_err("certificate"))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "undelete sandbox");
    dn.push(DnType::OrganizationName, ORG);
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // Python 3.13's default context (VERIFY_X509_STRICT) refuses a leaf without it.
    params.use_authority_key_identifier_extension = true;
    // A leaf lives as long as the process; 90 days keeps it under every client's cap.
    let now = chrono::Utc::now();
    let day = |d: chrono::DateTime<chrono::Utc>| {
        use chrono::Datelike;
        date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    params.not_before = day(now - chrono::Duration::days(1));
    params.not_after = day(now + chrono::Duration::days(90));
    let leaf = params
        .signed_by(&leaf_key, &issuer)
        .map_err(cert_err("certificate"))?;

    let ca_der: CertificateDer<'static> =
        rustls_pki_types::pem::PemObject::from_pem_slice(ca_pem.as_bytes())
            .map_err(|e| SandboxError::Config(format!("{}: {e}", ca_path.display())))?;
    let chain = vec![leaf.der().clone(), ca_der];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SandboxError::Config(format!("TLS versions: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| SandboxError::Config(format!("TLS certificate: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsSetup {
        ca_path,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Creates `path` readable by its owner only before any byte of the key is in it.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    restrict(path, 0o600)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_covers_loopback_and_every_cloud() {
        let names = leaf_names();
        for n in [
            "localhost",
            "127.0.0.1",
            "::1",
            "graph.microsoft.com",
            "login.microsoftonline.com",
            "graph.microsoft.us",
            "dod-graph.microsoft.us",
            "login.microsoftonline.us",
            "microsoftgraph.chinacloudapi.cn",
            "login.chinacloudapi.cn",
            "management.azure.com",
            "management.usgovcloudapi.net",
            "management.chinacloudapi.cn",
        ] {
            assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
        }
    }

    #[test]
    fn ca_is_made_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = setup(dir.path()).unwrap();
        let pem = std::fs::read_to_string(&first.ca_path).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.path().join(DIR)), 0o700);
            assert_eq!(mode(&dir.path().join(DIR).join(CA_KEY)), 0o600);
        }
        let second = setup(dir.path()).unwrap();
        assert_eq!(second.ca_path, first.ca_path);
        assert_eq!(std::fs::read_to_string(&second.ca_path).unwrap(), pem);
    }

    #[test]
    fn a_ca_file_of_another_key_is_refused() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        setup(a.path()).unwrap();
        setup(b.path()).unwrap();
        std::fs::copy(
            a.path().join(DIR).join(CA_CERT),
            b.path().join(DIR).join(CA_CERT),
        )
        .unwrap();
        let Err(err) = setup(b.path()) else {
            panic!("a CA file of another key was taken");
        };
        let err = err.to_string();
        assert!(err.contains("does not belong to the key"), "{err}");
    }
}
