//! DESIGN.md 6 / issue 2: a full listing of 10,000 deleted users (11 pages of 999) from the
//! sandbox over loopback HTTP, and (issue 11) over HTTPS from `SandboxConfig::tls`, the client
//! trusting the sandbox's CA. Target: under 100 ms in release, TLS included.

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use undelete_sandbox::{SandboxConfig, TokenSpec, spawn};

const SELECT: &str = "id,displayName,userPrincipalName,mail,givenName,surname,jobTitle,userType,\
                      accountEnabled,deletedDateTime,department,proxyAddresses,onPremisesSyncEnabled";

async fn list_all(client: &reqwest::Client, first: &str, token: &str) -> usize {
    let mut url = first.to_string();
    let mut n = 0;
    let mut pages = 0;
    loop {
        let body: Value = client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("page")
            .json()
            .await
            .expect("JSON page");
        n += body["value"].as_array().map_or(0, Vec::len);
        pages += 1;
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 11);
    n
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let handle = rt
        .block_on(spawn(SandboxConfig::new(dir.path()).users(10_000)))
        .expect("sandbox");
    let token = handle.inspect().issue_token(&TokenSpec::default());
    let first = format!(
        "{}v1.0/directory/deletedItems/microsoft.graph.user?$top=999&$select={SELECT}",
        handle.base_url()
    );
    let client = reqwest::Client::new();
    assert_eq!(rt.block_on(list_all(&client, &first, &token)), 10_000);

    // The same directory over TLS: a second sandbox on the same data dir (the store is shared,
    // the CA made once in it).
    let tls = rt
        .block_on(spawn(
            SandboxConfig::new(dir.path()).users(10_000).tls(true),
        ))
        .expect("TLS sandbox");
    let ca = std::fs::read(tls.ca_path().expect("CA")).expect("CA file");
    let tls_client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).expect("CA PEM")])
        .build()
        .expect("TLS client");
    let tls_first = format!(
        "{}v1.0/directory/deletedItems/microsoft.graph.user?$top=999&$select={SELECT}",
        tls.base_url()
    );
    assert_eq!(
        rt.block_on(list_all(&tls_client, &tls_first, &token)),
        10_000
    );

    let mut group = c.benchmark_group("sandbox");
    group.sample_size(20);
    group.bench_function("list_10000_deleted_users_11_pages", |b| {
        b.to_async(&rt).iter(|| list_all(&client, &first, &token));
    });
    group.bench_function("list_10000_deleted_users_11_pages_tls", |b| {
        b.to_async(&rt)
            .iter(|| list_all(&tls_client, &tls_first, &token));
    });
    group.finish();
    drop(tls);
    drop(handle);
}

criterion_group!(benches, bench);
criterion_main!(benches);
