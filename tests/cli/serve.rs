//! `undelete sandbox serve | outbox | reset` as a real process.

use crate::common;

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_undelete");

async fn run(args: &[&str], data_dir: &std::path::Path) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("UNDELETE_TENANT")
        .output()
        .await
        .expect("run undelete");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn serve_prints_its_url_first_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = Command::new(BIN)
        .args([
            "sandbox", "serve", "--port", "0", "--users", "12", "--seed", "3",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("URL within 30 s")
        .expect("read")
        .expect("a first line");
    let base = url::Url::parse(&first).expect("the first line is a URL");
    assert_eq!(base.scheme(), "http");
    assert_eq!(base.host_str(), Some("127.0.0.1"));
    assert_ne!(base.port(), Some(0));
    assert_eq!(base.path(), "/");

    let http = common::client();
    let token = app_token_at(&http, &base).await;
    let token = token.as_str();
    let list: Value = http
        .get(format!(
            "{base}v1.0/directory/deletedItems/microsoft.graph.user?$top=999"
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("list JSON");
    assert_eq!(list["value"].as_array().map(Vec::len), Some(12));

    let mail = json!({"message": {"subject": "Hello from serve", "body": {"contentType": "Text", "content": "hi"},
        "toRecipients": [{"emailAddress": {"address": "someone@fabrikam.com"}}]}});
    let status = http
        .post(format!("{base}v1.0/users/admin@contoso.sandbox/sendMail"))
        .bearer_auth(token)
        .json(&mail)
        .send()
        .await
        .expect("sendMail")
        .status();
    assert_eq!(status, 202);

    // The outbox is readable while the server runs.
    let (code, out) = run(&["sandbox", "outbox", "--json"], dir.path()).await;
    assert_eq!(code, 0);
    let outbox: Value = serde_json::from_str(&out).expect("outbox JSON");
    assert_eq!(outbox[0]["subject"], "Hello from serve");
    assert_eq!(outbox[0]["to"][0], "someone@fabrikam.com");
    let (code, out) = run(&["sandbox", "outbox"], dir.path()).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("Hello from serve") && out.contains("someone@fabrikam.com"),
        "{out}"
    );

    // Ctrl-C (SIGINT to the process we started) stops it cleanly.
    let pid = child.id().expect("pid").to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .expect("kill");
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits after Ctrl-C")
        .expect("wait");
    assert_eq!(status.code(), Some(0));
    // Without -v the log stays in its file: no log line on the terminal, at start or after.
    let mut said = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut said)
        .await
        .expect("stderr");
    assert!(
        !said.contains(" INFO ") && !said.contains("undelete started"),
        "{said}"
    );

    // Reset re-seeds: a fresh directory and an empty outbox.
    let (code, out) = run(&["sandbox", "reset", "--users", "4"], dir.path()).await;
    assert_eq!(code, 0, "{out}");
    let (_, out) = run(&["sandbox", "outbox", "--json"], dir.path()).await;
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("JSON"),
        json!([])
    );
    let h = undelete_sandbox::spawn(undelete_sandbox::SandboxConfig::new(dir.path()))
        .await
        .expect("reopen");
    assert_eq!(h.inspect().deleted_ids().len(), 4);
}

#[tokio::test]
async fn serve_rejects_bad_fault_settings() {
    let dir = tempfile::tempdir().expect("dir");
    // `--flag=value`: as two words, `-1` would be refused by the argument parser as an unknown
    // flag and never reach the sandbox's own range check.
    for bad in ["--write-quota=lots", "--fail-rate=1.5", "--drop-rate=-1"] {
        let args = ["sandbox", "serve", bad];
        // A setting that were wrongly accepted would serve forever: bound the wait.
        let (code, _) = tokio::time::timeout(Duration::from_secs(30), run(&args, dir.path()))
            .await
            .expect("refused promptly");
        assert_ne!(code, 0, "{bad:?}");
    }
}

#[tokio::test]
async fn serve_trusts_the_certificates_it_is_given() {
    let dir = tempfile::tempdir().expect("dir");
    let pem = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/auth/testdata/test-app.pem"
    );
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "serve",
            "--users",
            "3",
            "--trust-certificate",
            pem,
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("URL within 30 s")
        .expect("read")
        .expect("a first line");
    let base = url::Url::parse(&first).expect("the first line is a URL");

    // The app's own certificate sign-in, as `undelete --certificate` does it.
    let endpoints = undelete::config::Endpoints {
        graph: base.clone(),
        login: base.clone(),
        tenant: "contoso.sandbox".into(),
    };
    let cert = undelete::auth::certificate::Certificate::from_pem(include_str!(
        "../../src/auth/testdata/test-app.pem"
    ))
    .expect("certificate");
    let http = undelete::auth::oauth::http_client().expect("http");
    let creds = undelete::auth::certificate::CertificateCredentials::new(
        http.clone(),
        &endpoints,
        "serve-cert-app",
        cert,
    );
    creds.get().await.expect("the trusted certificate signs in");

    // Another app's certificate was not given: refused.
    let other = undelete::auth::certificate::Certificate::from_pem(include_str!(
        "../../src/auth/testdata/other-app.pem"
    ))
    .expect("certificate");
    let creds = undelete::auth::certificate::CertificateCredentials::new(
        http,
        &endpoints,
        "serve-cert-app",
        other,
    );
    let err = creds.get().await.err().expect("refused");
    assert!(err.to_string().contains("700027"), "{err}");
    let _ = child.start_kill();
}

#[tokio::test]
async fn serve_refuses_an_unreadable_certificate() {
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("not-a-cert.pem");
    std::fs::write(&bad, "hello").expect("write");
    for path in [bad.clone(), dir.path().join("missing.pem")] {
        let path = path.to_string_lossy().to_string();
        let args = ["sandbox", "serve", "--trust-certificate", &path];
        let (code, _) = tokio::time::timeout(Duration::from_secs(30), run(&args, dir.path()))
            .await
            .expect("refused promptly");
        assert_ne!(code, 0, "{path}");
    }
}

/// `--fail-password-sets N --password-fault refuse`: the first N password sets are refused as
/// Entra refuses a weak password, then they succeed.
#[tokio::test]
async fn serve_fails_the_first_password_sets_when_asked() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "serve",
            "--users",
            "5",
            "--fail-password-sets",
            "1",
            "--password-fault",
            "refuse",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("URL within 30 s")
        .expect("read")
        .expect("a first line");
    let base = url::Url::parse(&first).expect("URL");
    let http = common::client();
    let token = app_token_at(&http, &base).await;
    let token = token.as_str();
    let url = format!("{base}v1.0/users/admin@contoso.sandbox");
    let body = json!({"passwordProfile": {"password": "Vq7#mKp2xLw9!zRt"}});
    let patch = || http.patch(&url).bearer_auth(token).json(&body).send();
    let (status, _, err) = common::split(patch().await.expect("PATCH")).await;
    assert_eq!(status, 400, "{err}");
    common::assert_graph_error(&err, "Request_BadRequest");
    let status = patch().await.expect("PATCH").status();
    assert_eq!(status, 204);
    let _ = child.start_kill();
}

/// An app-only token from a sandbox served by another process, at `base`.
async fn app_token_at(http: &reqwest::Client, base: &url::Url) -> String {
    let token: Value = http
        .post(format!("{base}contoso.sandbox/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cli"),
            ("client_secret", "sandbox"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    token["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

#[tokio::test]
async fn serve_tenants_announces_each_tenant_and_a_reset_reseeds_them_all() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "serve",
            "--users",
            "5",
            "--tenants",
            "3",
            "--partner-tenant",
            "contoso.sandbox",
            "--customers",
            "fabrikam.sandbox",
            "--refuse-tenant",
            "northwind.sandbox",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("URL within 60 s")
        .expect("read")
        .expect("a first line");
    let base = url::Url::parse(&first).expect("the first line is a URL");
    // Each tenant on a line of its own, with its part.
    let mut said = BufReader::new(stderr).lines();
    let mut announced = Vec::new();
    while announced.len() < 4 {
        let line = tokio::time::timeout(Duration::from_secs(10), said.next_line())
            .await
            .expect("the announcement")
            .expect("read")
            .expect("a line");
        announced.push(line);
    }
    assert!(
        announced[0].starts_with("sandbox: 3 tenants"),
        "{announced:?}"
    );
    assert!(
        announced[1].contains("contoso.sandbox") && announced[1].contains("(partner's home)"),
        "{announced:?}"
    );
    assert!(announced[2].contains("fabrikam.sandbox") && announced[2].contains("(GDAP customer)"));
    assert!(
        announced[3].contains("northwind.sandbox") && announced[3].contains("(refuses sign-in)"),
        "{announced:?}"
    );

    let http = common::client();
    let token = |authority: &'static str| {
        http.post(format!("{base}{authority}/oauth2/v2.0/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "cli"),
                ("client_secret", "sandbox"),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
    };
    let refused: Value = token("northwind.sandbox")
        .await
        .expect("token")
        .json()
        .await
        .expect("JSON");
    assert_eq!(refused["error_codes"][0], 53003, "{refused}");
    let fabrikam: Value = token("fabrikam.sandbox")
        .await
        .expect("token")
        .json()
        .await
        .expect("JSON");
    let fabrikam = fabrikam["access_token"].as_str().expect("token");
    let mail = json!({"message": {"subject": "From Fabrikam", "body": {"contentType": "Text", "content": "hi"},
        "toRecipients": [{"emailAddress": {"address": "someone@example.com"}}]}});
    let status = http
        .post(format!("{base}v1.0/users/admin@fabrikam.sandbox/sendMail"))
        .bearer_auth(fabrikam)
        .json(&mail)
        .send()
        .await
        .expect("sendMail")
        .status();
    assert_eq!(status, 202);
    let (code, out) = run(&["sandbox", "outbox", "--json"], dir.path()).await;
    assert_eq!(code, 0);
    let outbox: Value = serde_json::from_str(&out).expect("outbox JSON");
    assert_eq!(outbox[0]["subject"], "From Fabrikam");
    assert_eq!(outbox[0]["tenant"], "fabrikam.sandbox");
    let _ = child.start_kill();
    let _ = child.wait().await;

    // A reset throws every tenant's store away and seeds them all again.
    let (code, out) = run(&["sandbox", "reset", "--users", "4"], dir.path()).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 tenants"), "{out}");
    let (_, out) = run(&["sandbox", "outbox", "--json"], dir.path()).await;
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("JSON"),
        json!([])
    );
    let h = undelete_sandbox::spawn(undelete_sandbox::SandboxConfig::new(dir.path()).tenants(3))
        .await
        .expect("reopen");
    let fabrikam = h.inspect_tenant("fabrikam.sandbox").expect("fabrikam");
    assert_eq!(fabrikam.deleted_ids().len(), 4);
}

#[tokio::test]
async fn serve_refuses_tenant_settings_it_cannot_serve() {
    let dir = tempfile::tempdir().expect("dir");
    for bad in [
        &["--tenants", "0"][..],
        &["--tenants", "201"],
        &["--customers", "fabrikam.sandbox"],
        &["--tenants", "2", "--partner-tenant", "nowhere.example"],
        &["--refuse-tenant", "fabrikam.sandbox"],
    ] {
        let mut args = vec!["sandbox", "serve", "--users", "2"];
        args.extend_from_slice(bad);
        let (code, _) = tokio::time::timeout(Duration::from_secs(30), run(&args, dir.path()))
            .await
            .expect("refused promptly");
        assert_eq!(code, 2, "{bad:?}");
    }
}
