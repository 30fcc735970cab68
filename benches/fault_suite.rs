//! Fault suite (issues 9 and 19): 500 users through the restore workflow the CLI runs
//! (pre-flight of users, groups and contacts, the plan's rules, then restore and password through
//! `restore_many`) against the sandbox at 30% 5xx + 10% dropped connections + 20 ms latency per
//! request, in one run on one clock, with the client's default options. Every user must pass
//! pre-flight and end restored exactly once (one `Restored` event, no failure) with the very
//! password it was given (checked against the sandbox's stored hash).
//!
//! Run: `benches/fault_suite.sh` (or `cargo bench --bench fault_suite`). `FAULT_USERS` changes
//! the 500, `FAULT_SEEDS` (e.g. `1,2,3`) runs several fault sequences.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use undelete::auth::client_credentials::ClientCredentials;
use undelete::config::Endpoints;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::directory::{DeletedUser, Directory};
use undelete::restore::{self, Audit, Journal, PlanRequest, Progress, Tenant, UserRequest};
use undelete_sandbox::{SandboxConfig, SandboxHandle, spawn};

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
    preflight_failures: Vec<String>,
    restored_once: usize,
    restored_twice: usize,
    passwords_verified: usize,
    failures: Vec<String>,
    preflight: Duration,
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
    let books = tmp.path().join("books");
    std::fs::create_dir_all(&books).map_err(|e| e.to_string())?;
    let journal = Journal::open(&books).map_err(|e| e.to_string())?;
    let audit = Audit::open(&books, "fault suite", "admin").map_err(|e| e.to_string())?;

    let requests_before = h.inspect().request_count();
    let started = Instant::now();
    // One clock for the whole run, pre-flight included, as a command has.
    let run_dir = dir.on_clock(started);
    // A user name nobody holds and conflicting proxies dropped: every user can pass the plan's
    // rules, so any failure is the client's.
    let mut asked: Vec<UserRequest> = users
        .iter()
        .map(|u| UserRequest {
            user: u.clone(),
            new_upn: Some(format!("r-{}@{}", u.id.replace('-', ""), h.domain())),
            reconcile_proxies: true,
            preflight: None,
            bring_back: Vec::new(),
        })
        .collect();
    let checks = restore::preflight_requests(run_dir.as_ref(), &asked).await;
    let preflight = started.elapsed();
    let mut preflight_failures = Vec::new();
    let mut skip = HashSet::new();
    for (i, (request, check)) in asked.iter_mut().zip(checks).enumerate() {
        match check {
            Ok(pf) => request.preflight = Some(pf),
            Err(e) => {
                preflight_failures.push(format!("{}: {e}", request.user.id));
                skip.insert(i);
            }
        }
    }
    let mut request = PlanRequest::new(asked);
    // Guests too, so every user's password can be checked.
    request.guest_passwords = true;
    for p in restore::validate(&request, &Tenant::default()) {
        preflight_failures.push(p.message);
        if let Some(i) = p.field.user() {
            skip.insert(i);
        }
    }
    let plan = restore::into_plan(request, &skip)?;
    let mut run = restore::start(run_dir, plan, journal, audit);
    let mut restored: HashMap<String, usize> = HashMap::new();
    let mut failures = Vec::new();
    let mut outcomes = Vec::new();
    while let Some(p) = run.progress.recv().await {
        match p {
            Progress::Restored { id, .. } => *restored.entry(id).or_default() += 1,
            Progress::Failed { id, stage, error } => {
                failures.push(format!("{id} {stage:?}: {error}"))
            }
            Progress::Finished(o) => {
                outcomes = o;
                break;
            }
            _ => {}
        }
    }
    let elapsed = started.elapsed();
    let inspect = h.inspect();
    // Each generated password is checked against the hash of the user it was meant for.
    let passwords_verified = outcomes
        .iter()
        .filter(|o| {
            inspect.is_active(&o.id)
                && o.password
                    .as_ref()
                    .is_some_and(|p| inspect.password_matches(&o.id, p.expose_secret()))
        })
        .count();
    let figures = Figures {
        preflight_failures,
        restored_once: restored.values().filter(|&&c| c == 1).count(),
        restored_twice: restored.values().filter(|&&c| c > 1).count(),
        passwords_verified,
        failures,
        preflight,
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
    println!(
        "== fault suite: {n} users, pre-flight then restore, 30% 5xx + 10% dropped connections \
         + 20 ms latency =="
    );
    let mut all_ok = true;
    for seed in seeds {
        match rt.block_on(run(n, seed)) {
            Ok(f) => {
                let ok = f.preflight_failures.is_empty()
                    && f.restored_once == n
                    && f.restored_twice == 0
                    && f.passwords_verified == n
                    && f.failures.is_empty();
                all_ok &= ok;
                println!(
                    "seed {seed:>3}: pre-flight failures {}   restored exactly once {:>4}/{n}   \
                     passwords verified {:>4}/{n}   failures {}   pre-flight {:.2} s   \
                     all {:.2} s   {} HTTP requests   {}",
                    f.preflight_failures.len(),
                    f.restored_once,
                    f.passwords_verified,
                    f.failures.len(),
                    f.preflight.as_secs_f64(),
                    f.elapsed.as_secs_f64(),
                    f.requests,
                    if ok { "ok" } else { "MISSED" }
                );
                for line in f.preflight_failures.iter().chain(&f.failures).take(5) {
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
        println!(
            "fault_suite: every user passed pre-flight and was restored exactly once with a \
             verified password"
        );
    } else {
        println!("fault_suite: a user was lost (see above)");
        std::process::exit(1);
    }
}
