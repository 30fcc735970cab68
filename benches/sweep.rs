//! The conflict sweep's figures (a plain main: it prints them), against `undelete sandbox
//! serve` in its own process, seeded with 10,000 deleted and 50,000 active users, at 100 ms of
//! latency per request:
//!
//! 1. the sweep's wall time (active users, groups and contacts side by side, with the delta
//!    starting points) against the longest page chain alone (the active users' listing):
//!    budget, within 10%;
//! 2. the conflict join of the 10,000 deleted users: budget, under 50 ms;
//! 3. the resident memory the sweep adds to this process (the index it keeps, and whatever
//!    the reads left behind): budget, under 25 MB.
//!
//! Run: `cargo bench --bench sweep`. `SWEEP_DELETED`, `SWEEP_ACTIVE`, `SWEEP_LATENCY_MS` change
//! the 10,000, the 50,000 and the 100; `SWEEP_RUNS` the 3 sweeps and chains timed (the 1,000,000
//! active users of issue 21: `SWEEP_ACTIVE=1000000 SWEEP_LATENCY_MS=0 SWEEP_RUNS=1`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use secrecy::SecretString;
use undelete::auth::client_credentials::ClientCredentials;
use undelete::config::Endpoints;
use undelete::conflicts;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::directory::{Directory, HolderKind, all_deleted};

const EXE: &str = env!("CARGO_BIN_EXE_undelete");

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The standalone sandbox; killed when dropped.
struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(deleted: usize, active: usize, latency_ms: usize) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(EXE)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["sandbox", "serve"])
        .args(["--users", &deleted.to_string()])
        .args(["--active", &active.to_string()])
        .args(["--latency-ms", &latency_ms.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sandbox serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the first line is the base URL");
    Server {
        child,
        url: first.trim().to_string(),
        _dir: dir,
    }
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?.to_string();
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn chain_alone(dir: &dyn Directory, kind: HolderKind) -> (Duration, usize) {
    let started = Instant::now();
    let mut n = 0;
    let mut pages = dir.list_holders(kind);
    while let Some(page) = pages.next().await {
        n += page.expect("a page").len();
    }
    (started.elapsed(), n)
}

#[tokio::main]
async fn main() {
    let deleted = env_or("SWEEP_DELETED", 10_000);
    let active = env_or("SWEEP_ACTIVE", 50_000);
    let latency = env_or("SWEEP_LATENCY_MS", 100);
    let runs = env_or("SWEEP_RUNS", 3).max(1);
    println!(
        "== conflict sweep: {deleted} deleted, {active} active users, {latency} ms per request =="
    );
    let seeding = Instant::now();
    let server = serve(deleted, active, latency);
    println!(
        "sandbox seeded and serving in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let root = url::Url::parse(&server.url).expect("base URL");
    let endpoints = Endpoints::sandbox(&root);
    let tokens = ClientCredentials::new(
        &endpoints,
        "sweep-bench",
        SecretString::from("sandbox".to_string()),
    )
    .expect("client credentials");
    let dir = GraphDirectory::new(endpoints, tokens, GraphOptions::default()).expect("client");

    let users = all_deleted(&dir).await.expect("deleted users");
    assert_eq!(users.len(), deleted);

    // 3. Memory first, in a process that has read no holder yet.
    let before = rss_mb();
    let started = Instant::now();
    let sweep = conflicts::sweep(&dir, chrono::Utc::now()).await;
    let first_sweep = started.elapsed();
    let after = rss_mb();
    assert!(sweep.is_complete(), "{:?}", sweep.problems());

    // 2. The join.
    let mut joins = Vec::new();
    let mut conflicted = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let joined = conflicts::join(&sweep.index, &users);
        joins.push(t.elapsed());
        conflicted = joined.len();
    }
    let join = median(joins);

    // 1. The sweep against its longest chain alone.
    let mut sweeps = vec![first_sweep];
    for _ in 1..runs {
        let t = Instant::now();
        let s = conflicts::sweep(&dir, chrono::Utc::now()).await;
        sweeps.push(t.elapsed());
        assert!(s.is_complete());
    }
    let mut chains = Vec::new();
    let mut others = Vec::new();
    for _ in 0..runs {
        chains.push(chain_alone(&dir, HolderKind::User).await.0);
        let (g, _) = chain_alone(&dir, HolderKind::Group).await;
        let (c, _) = chain_alone(&dir, HolderKind::Contact).await;
        others.push((g, c));
    }
    let sweep_t = median(sweeps.clone());
    let chain_t = median(chains.clone());

    println!(
        "index: {} users, {} groups, {} contacts; {conflicted} of {deleted} deleted users conflicted",
        sweep.index.count(HolderKind::User),
        sweep.index.count(HolderKind::Group),
        sweep.index.count(HolderKind::Contact)
    );
    println!(
        "sweep (3 streams side by side + delta starting points): median {:.0} ms of {:?}",
        ms(sweep_t),
        sweeps.iter().map(|d| ms(*d).round()).collect::<Vec<_>>()
    );
    println!(
        "longest chain alone (active users, {} pages): median {:.0} ms of {:?}",
        active.div_ceil(999),
        ms(chain_t),
        chains.iter().map(|d| ms(*d).round()).collect::<Vec<_>>()
    );
    println!(
        "other chains alone (groups, contacts): {:?} ms",
        others
            .iter()
            .map(|(g, c)| (ms(*g).round(), ms(*c).round()))
            .collect::<Vec<_>>()
    );
    let ratio = sweep_t.as_secs_f64() / chain_t.as_secs_f64();
    println!(
        "    sweep / longest chain: {:.3} (budget: within 10%: {})",
        ratio,
        if ratio <= 1.10 { "met" } else { "MISSED" }
    );
    println!(
        "join of {deleted} deleted users: median {:.1} ms of 10 (budget: under 50 ms: {})",
        ms(join),
        if join < Duration::from_millis(50) {
            "met"
        } else {
            "MISSED"
        }
    );
    let added = after - before;
    println!(
        "resident memory: {before:.1} MB before the sweep, {after:.1} MB after; added {added:.1} MB \
         (budget: under 25 MB: {})",
        if added < 25.0 { "met" } else { "MISSED" }
    );
    drop(sweep);
    drop(server);
}
