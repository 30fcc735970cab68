//! The TUI's table across tenants (issue 22's budget), against `undelete sandbox serve
//! --tenants 50 --users 1000` in its own process at 100 ms of latency per request: the app's
//! own state and runner (`app::step`, the same as the event loop, without drawing) take in
//! every tenant's listing, 8 tenants at a time (`runner::TENANTS_AT_ONCE`).
//!
//! 1. One tenant alone: launch to its table complete (token, pages).
//! 2. All 50: launch to every tenant's table complete. Budget: within 1.5 times what 8 in
//!    flight allow at best, ceil(50 / 8) rounds of the one tenant's time.
//! 3. Resident memory per row, each case in a process of its own once every table is loaded
//!    and every tenant's conflict sweep has landed: 50 tenants of 1,000 against one tenant of
//!    50,000 (the same rows; the issue: under 1 KB per row above the one tenant's figure).
//!
//! Run: `cargo bench --bench tenants`. `TENANTS` (50), `TENANT_USERS` (1,000),
//! `TENANTS_LATENCY_MS` (100) and `TENANTS_RUNS` (3) change the figures.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use undelete::app::{self, runner::Runner, runner::TENANTS_AT_ONCE};
use undelete::auth::client_credentials::ClientCredentials;
use undelete::config::{Endpoints, Settings};
use undelete::data_dir::DirectoryId;
use undelete::directory::graph::{GraphDirectory, GraphOptions};
use undelete::session::Session;

const EXE: &str = env!("CARGO_BIN_EXE_undelete");

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The standalone sandbox and its tenants (domain, id); killed when dropped.
struct Server {
    child: Child,
    url: url::Url,
    tenants: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(tenants: usize, users: usize, latency_ms: usize) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(EXE)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["sandbox", "serve"])
        .args(["--tenants", &tenants.to_string()])
        .args(["--users", &users.to_string()])
        .args(["--latency-ms", &latency_ms.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sandbox serve starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("the first line is the base URL");
    // `serve` names each tenant of several on stderr ("  domain id admin …"), and one alone
    // in its first line ("sandbox: domain (store …"), where its domain serves as its id.
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut found = Vec::new();
    let mut line = String::new();
    while found.len() < tenants && err.read_line(&mut line).is_ok_and(|n| n > 0) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with("  ") && words.len() > 1 {
            found.push((words[0].to_string(), words[1].to_string()));
        } else if tenants == 1 && line.starts_with("sandbox: ") && words.len() > 1 {
            found.push((words[1].to_string(), words[1].to_string()));
        }
        line.clear();
    }
    assert_eq!(found.len(), tenants, "serve named every tenant");
    Server {
        child,
        url: url::Url::parse(first.trim()).expect("base URL"),
        tenants: found,
        _dir: dir,
    }
}

fn session(server: &Server, domain: &str, id: &str, data: &std::path::Path) -> Arc<Session> {
    let endpoints = Endpoints {
        tenant: domain.to_string(),
        ..Endpoints::sandbox(&server.url)
    };
    let tokens = ClientCredentials::new(
        &endpoints,
        "tenants-bench",
        SecretString::from("sandbox".to_string()),
    )
    .expect("client credentials");
    let admin = format!("admin@{domain}");
    let options = GraphOptions {
        mail_sender: Some(admin.clone()),
        ..GraphOptions::default()
    };
    let dir = Arc::new(GraphDirectory::new(endpoints, tokens, options).expect("client"));
    let settings = Settings {
        tenant: Some(domain.to_string()),
        ..Settings::default()
    };
    Arc::new(
        Session::new(
            settings,
            dir,
            domain.to_string(),
            false,
            admin.clone(),
            Some(admin),
            data.to_path_buf(),
        )
        .on_directory(DirectoryId::graph(&server.url, id)),
    )
}

/// Launch to every table complete, through the app's own step; with `settled`, on until
/// every tenant's conflict sweep has landed too. The rows held, and the runner and state
/// (kept alive until the caller has measured them).
async fn load(
    server: &Server,
    count: usize,
    settled: bool,
) -> (Duration, usize, app::state::State, Runner) {
    let data = tempfile::tempdir().expect("data dir");
    let open: Vec<Arc<Session>> = server.tenants[..count]
        .iter()
        .map(|(domain, id)| session(server, domain, id, data.path()))
        .collect();
    let started = Instant::now();
    let (mut state, ids) = app::tenants_state(&open, Vec::new(), chrono::Utc::now(), (200, 60));
    let (tx, mut rx) = app::channel();
    let mut runner = Runner::for_sessions(ids, tx, None);
    for effect in app::start_effects(&mut state) {
        runner.run(effect);
    }
    let loaded = |s: &app::state::State| {
        s.sessions
            .iter()
            .all(|t| !t.users.loading() && t.users.load_error().is_none() && !t.users.is_empty())
    };
    let swept = |s: &app::state::State| {
        s.sessions
            .iter()
            .all(|t| t.sweep.phase == app::sweep::Phase::Done && t.sweep.deletions.is_some())
    };
    let mut took = None;
    loop {
        if took.is_none() && loaded(&state) {
            took = Some(started.elapsed());
        }
        if took.is_some() && (!settled || swept(&state)) {
            break;
        }
        tokio::select! {
            msg = rx.recv() => {
                let msg = msg.expect("the runner lives");
                app::step(&mut state, &mut runner, msg);
            }
            // The sweep's join takes its slices on the clock, as in the event loop.
            _ = tokio::time::sleep(Duration::from_millis(125)) => {
                app::step(&mut state, &mut runner, app::msg::Msg::Tick(chrono::Utc::now()));
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "loaded and swept within ten minutes"
        );
    }
    let rows = state.sessions.iter().map(|s| s.users.len()).sum();
    (took.expect("loaded"), rows, state, runner)
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

/// One case in this process (`TENANTS_CHILD=tenants,users,latency`): serve, load, sweep,
/// then print the resident memory with everything held.
async fn child(spec: &str) {
    let n: Vec<usize> = spec.split(',').filter_map(|v| v.parse().ok()).collect();
    let (tenants, users, latency) = (n[0], n[1], n[2]);
    let server = serve(tenants, users, latency);
    let before = rss_mb();
    let (_, rows, state, runner) = load(&server, tenants, true).await;
    // Freed pages the allocator keeps are not what the app holds.
    let after = rss_mb();
    println!("{rows} {before:.1} {after:.1}");
    drop((state, runner));
}

/// The memory of one case, from a process of its own: rows, and the MB it added.
fn memory(tenants: usize, users: usize, latency: usize) -> (usize, f64) {
    let out = Command::new(std::env::current_exe().expect("this bench"))
        .env("TENANTS_CHILD", format!("{tenants},{users},{latency}"))
        .output()
        .expect("the child runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    let v: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(v.len(), 3, "the child said: {text}");
    (v[0] as usize, v[2] - v[1])
}

#[tokio::main]
async fn main() {
    if let Ok(spec) = std::env::var("TENANTS_CHILD") {
        child(&spec).await;
        return;
    }
    let tenants = env_or("TENANTS", 50).max(2);
    let users = env_or("TENANT_USERS", 1000);
    let latency = env_or("TENANTS_LATENCY_MS", 100);
    let runs = env_or("TENANTS_RUNS", 3).max(1);
    println!(
        "== the table across tenants: {tenants} tenants x {users} deleted users, {latency} ms per request, {TENANTS_AT_ONCE} at once =="
    );
    let seeding = Instant::now();
    let server = serve(tenants, users, latency);
    println!(
        "sandbox seeded and serving in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let rounds = tenants.div_ceil(TENANTS_AT_ONCE);
    for run in 1..=runs {
        let (one, one_rows, ..) = load(&server, 1, false).await;
        let (all, all_rows, ..) = load(&server, tenants, false).await;
        let budget = one.mul_f64(1.5 * rounds as f64);
        println!(
            "run {run}: one tenant {:.0} ms ({one_rows} rows); all {tenants} {:.0} ms ({all_rows} rows, {:.1}x the one); budget {:.0} ms (1.5 x {rounds} rounds of the one) {}",
            one.as_secs_f64() * 1000.0,
            all.as_secs_f64() * 1000.0,
            all.as_secs_f64() / one.as_secs_f64(),
            budget.as_secs_f64() * 1000.0,
            if all <= budget { "met" } else { "MISSED" },
        );
    }
    drop(server);
    let (rows_many, mb_many) = memory(tenants, users, latency);
    let (rows_one, mb_one) = memory(1, tenants * users, latency);
    let per_row = |mb: f64, rows: usize| mb * 1024.0 * 1024.0 / rows.max(1) as f64;
    let (many, one) = (per_row(mb_many, rows_many), per_row(mb_one, rows_one));
    println!(
        "memory, loaded and swept: {tenants} tenants +{mb_many:.1} MB ({many:.0} B per row); one tenant of {rows_one} +{mb_one:.1} MB ({one:.0} B per row); {:.0} B per row above it (budget 1024) {}",
        many - one,
        if many - one < 1024.0 { "met" } else { "MISSED" }
    );
}
