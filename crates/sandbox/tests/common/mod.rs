//! Shared helpers for the sandbox's integration tests (and, included by path, the app's): a
//! sandbox in a temp dir, tokens over HTTP, and raw Graph calls with reqwest.
#![allow(dead_code)]

use std::collections::HashSet;

use serde_json::Value;
use undelete_sandbox::{SandboxConfig, SandboxHandle, spawn};

/// A seeded sandbox with `users` deleted users, on 127.0.0.1, in a fresh temp dir.
pub async fn start_sandbox(users: usize) -> (tempfile::TempDir, SandboxHandle) {
    start_sandbox_with(users, |c| c).await
}

/// Like `start_sandbox`, with the config adjusted (faults, token lifetime, ...).
pub async fn start_sandbox_with(
    users: usize,
    adjust: impl FnOnce(SandboxConfig) -> SandboxConfig,
) -> (tempfile::TempDir, SandboxHandle) {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = adjust(SandboxConfig::new(dir.path()).users(users));
    let handle = spawn(cfg).await.expect("sandbox starts");
    (dir, handle)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("reqwest client")
}

/// `http://127.0.0.1:PORT/v1.0/{path}`.
pub fn graph(h: &SandboxHandle, path: &str) -> String {
    format!("{}v1.0/{}", h.base_url(), path.trim_start_matches('/'))
}

pub fn token_url(h: &SandboxHandle) -> String {
    format!("{}{}/oauth2/v2.0/token", h.base_url(), h.domain())
}

/// An app-only token from the client-credentials grant, over HTTP.
pub async fn app_token(h: &SandboxHandle) -> String {
    let resp = client()
        .post(token_url(h))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "11111111-2222-3333-4444-555555555555"),
            ("client_secret", h.client_secret()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), 200, "client credentials accepted");
    let v: Value = resp.json().await.expect("token JSON");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// GET with a bearer token; returns status, headers and JSON (Null when there is no body).
pub async fn get(url: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    split(resp).await
}

pub async fn get_eventual(url: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = client()
        .get(url)
        .bearer_auth(token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .expect("GET");
    split(resp).await
}

pub async fn send(
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    split(req.send().await.expect("request")).await
}

pub async fn split(resp: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    (status, headers, body)
}

/// Every deleted user (all pages), with the properties tests look at.
pub async fn all_deleted(h: &SandboxHandle, token: &str) -> Vec<Value> {
    let mut url = graph(
        h,
        "directory/deletedItems/microsoft.graph.user?$top=999&$select=id,displayName,userPrincipalName,mail,proxyAddresses,deletedDateTime,userType,onPremisesSyncEnabled,department",
    );
    let mut out = Vec::new();
    loop {
        let (status, _, body) = get(&url, token).await;
        assert_eq!(status, 200, "{body}");
        out.extend(body["value"].as_array().cloned().unwrap_or_default());
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => return out,
        }
    }
}

/// The UPN a deleted user had: its id (without hyphens) stripped from the front.
pub fn original_upn(user: &Value) -> String {
    let id = user["id"].as_str().unwrap_or("").replace('-', "");
    let upn = user["userPrincipalName"].as_str().unwrap_or("");
    upn.strip_prefix(&id).unwrap_or(upn).to_string()
}

/// (UPNs held by active users, proxy addresses held by active users, groups and org
/// contacts), lower-cased: proxy addresses are unique across all three.
pub async fn active_names(h: &SandboxHandle, token: &str) -> (HashSet<String>, HashSet<String>) {
    let (status, _, body) = get(
        &graph(
            h,
            "users?$top=999&$select=id,userPrincipalName,proxyAddresses",
        ),
        token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut upns = HashSet::new();
    let mut proxies = HashSet::new();
    for u in body["value"].as_array().into_iter().flatten() {
        upns.insert(u["userPrincipalName"].as_str().unwrap_or("").to_lowercase());
        for p in u["proxyAddresses"].as_array().into_iter().flatten() {
            proxies.insert(p.as_str().unwrap_or("").to_lowercase());
        }
    }
    for coll in ["groups", "contacts"] {
        let (status, _, body) = get(
            &graph(h, &format!("{coll}?$top=999&$select=id,proxyAddresses")),
            token,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        for o in body["value"].as_array().into_iter().flatten() {
            for p in o["proxyAddresses"].as_array().into_iter().flatten() {
                proxies.insert(p.as_str().unwrap_or("").to_lowercase());
            }
        }
    }
    (upns, proxies)
}

/// The deleted users in `all` that restore without conflicts: no active user (`active_names`)
/// holds their original UPN or any of their proxy addresses.
pub fn restorable<'a>(
    all: &'a [Value],
    upns: &HashSet<String>,
    proxies: &HashSet<String>,
) -> Vec<&'a Value> {
    all.iter()
        .filter(|u| {
            !upns.contains(&original_upn(u).to_lowercase())
                && u["proxyAddresses"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .all(|p| !proxies.contains(&p.as_str().unwrap_or("").to_lowercase()))
        })
        .collect()
}

/// Asserts a Graph error body: code, and the ids in `innerError`.
pub fn assert_graph_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let inner = &body["error"]["innerError"];
    assert!(
        inner["request-id"].as_str().is_some_and(|s| !s.is_empty()),
        "{body}"
    );
    assert!(inner["client-request-id"].as_str().is_some(), "{body}");
    assert!(
        inner["date"].as_str().is_some_and(|d| d.ends_with('Z')),
        "{body}"
    );
}
