//! Fault suite (issue 9): 500 users restored with passwords through `restore_many` against the
//! sandbox at 30% 5xx + 10% dropped connections + 20 ms latency per request, in one run, with
//! the client's default options (what the CLI uses). Every user must end restored exactly once
//! (one `Restored` event, no failure) with the very password it was given (checked against the
//! sandbox's stored hash).
//!
//! Run: `benches/fault_suite.sh` (or `cargo bench --bench fault_suite`). `FAULT_USERS` changes
//! the 500, `FAULT_SEEDS` (e.g. `1,2,3`) runs several fault sequences.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use secrecy::SecretString;
use undelete::auth::client_credentials::ClientCredentials;
use undelete::config::Endpoints;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::directory::{
    DeletedUser, Directory, JobEvent, PasswordChange, RestoreJob, RestoreRequest,
};
use undelete::sandbox::{SandboxConfig, SandboxHandle, spawn};

/// A different password per user, so a password landing on the wrong user would show.
fn password_for(id: &str) -> String {
    format!("Kiwi-{}-Moon7", &id[..8])
}

fn directory(h: &SandboxHandle, options: GraphOptions) -> Result<GraphDirectory, String> {
    let endpoints = Endpoints::sandbox(h.base_url());
    let tokens = ClientCredentials::new(
        &endpoints,
        "fault-suite",
        SecretString::from(h.client_secret().to_string()),
    )
    .map_err(|e| e.to_string())?;
    GraphDirectory::new(endpoints, tokens, options).map_err(|e| e.to_string())
}

/// The users to restore; the listing runs under the same faults, so it is tried again whole
/// if it meets more of them in a row than a call rides out.
async fn users(dir: &GraphDirectory, n: usize) -> Result<Vec<DeletedUser>, String> {
    let mut last = String::new();
    for _ in 0..5 {
        match undelete::directory::all_deleted(dir).await {
            Ok(mut all) if all.len() >= n => {
                all.truncate(n);
                return Ok(all);
            }
            Ok(all) => return Err(format!("the sandbox has only {} deleted users", all.len())),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("listing failed five times: {last}"))
}

struct Figures {
    restored_once: usize,
    restored_twice: usize,
    passwords_verified: usize,
    failures: Vec<String>,
    elapsed: Duration,
    requests: u64,
}

async fn run(n: usize, seed: u64) -> Result<Figures, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cfg = SandboxConfig::new(tmp.path())
        .users(n + 50)
        .latency(Duration::from_millis(20))
        .fail_rate(0.3)
        .drop_rate(0.1)
        .fault_seed(seed);
    let h = spawn(cfg).await.map_err(|e| e.to_string())?;
    let dir = directory(&h, GraphOptions::default())?;
    let users = users(&dir, n).await?;
    let jobs: Vec<RestoreJob> = users
        .iter()
        .map(|u| RestoreJob {
            id: u.id.clone(),
            // A user name nobody holds and conflicting proxies dropped: every job can succeed,
            // so any failure is the client's.
            request: RestoreRequest {
                new_user_principal_name: Some(format!(
                    "r-{}@{}",
                    u.id.replace('-', ""),
                    h.domain()
                )),
                auto_reconcile_proxy_conflict: true,
            },
            password: Some(PasswordChange {
                password: SecretString::from(password_for(&u.id)),
                force_change_next_sign_in: true,
                force_change_with_mfa: false,
            }),
        })
        .collect();
    let requests_before = h.inspect().request_count();
    let started = Instant::now();
    let mut events = dir.restore_many(jobs);
    let mut restored: HashMap<String, usize> = HashMap::new();
    let mut failures = Vec::new();
    while let Some(e) = events.next().await {
        match e {
            JobEvent::Restored { id, .. } => *restored.entry(id).or_default() += 1,
            JobEvent::PasswordSet { .. } => {}
            JobEvent::Failed { id, stage, error } => {
                failures.push(format!("{id} {stage:?}: {error}"))
            }
        }
    }
    let elapsed = started.elapsed();
    let inspect = h.inspect();
    let passwords_verified = users
        .iter()
        .filter(|u| {
            inspect.is_active(&u.id) && inspect.password_matches(&u.id, &password_for(&u.id))
        })
        .count();
    let figures = Figures {
        restored_once: restored.values().filter(|&&c| c == 1).count(),
        restored_twice: restored.values().filter(|&&c| c > 1).count(),
        passwords_verified,
        failures,
        elapsed,
        requests: inspect.request_count() - requests_before,
    };
    h.shutdown().await;
    Ok(figures)
}

fn main() {
    let n: usize = std::env::var("FAULT_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let seeds: Vec<u64> = std::env::var("FAULT_SEEDS")
        .unwrap_or_else(|_| "1".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            std::process::exit(1);
        }
    };
    println!("== fault suite: {n} users, 30% 5xx + 10% dropped connections + 20 ms latency ==");
    let mut all_ok = true;
    for seed in seeds {
        match rt.block_on(run(n, seed)) {
            Ok(f) => {
                let ok = f.restored_once == n
                    && f.restored_twice == 0
                    && f.passwords_verified == n
                    && f.failures.is_empty();
                all_ok &= ok;
                println!(
                    "seed {seed:>3}: restored exactly once {:>4}/{n}   passwords verified {:>4}/{n}   \
                     failures {}   {:.2} s   {} HTTP requests   {}",
                    f.restored_once,
                    f.passwords_verified,
                    f.failures.len(),
                    f.elapsed.as_secs_f64(),
                    f.requests,
                    if ok { "ok" } else { "MISSED" }
                );
                for line in f.failures.iter().take(5) {
                    println!("    {line}");
                }
            }
            Err(e) => {
                all_ok = false;
                println!("seed {seed:>3}: {e}");
            }
        }
    }
    if all_ok {
        println!("fault_suite: every user restored exactly once with a verified password");
    } else {
        println!("fault_suite: a user was lost (see above)");
        std::process::exit(1);
    }
}
