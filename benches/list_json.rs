//! `undelete list --format json` of 10,000 deleted users against a running sandbox
//! (`undelete sandbox serve --users 10000`), wall time of the whole process: start, sign-in,
//! eleven pages over HTTP, sort, JSON out. Target (issue 3): under 0.5 s.
//!
//! Run: `cargo bench --bench list_json`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

const USERS: usize = 10_000;
const EXE: &str = env!("CARGO_BIN_EXE_undelete");

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

fn serve() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(EXE)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["sandbox", "serve", "--users", &USERS.to_string()])
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

fn list(server: &Server, client_dir: &std::path::Path) -> Vec<u8> {
    let out = Command::new(EXE)
        .arg("--data-dir")
        .arg(client_dir)
        .args(["--graph-url", &server.url, "--login-url", &server.url])
        .args([
            "--tenant",
            "contoso.sandbox",
            "--client-id",
            "list-json-bench",
        ])
        .args(["list", "--format", "json"])
        .env("UNDELETE_CLIENT_SECRET", "sandbox")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("list runs");
    assert!(out.status.success(), "list failed: {:?}", out.status);
    out.stdout
}

fn bench(c: &mut Criterion) {
    let server = serve();
    let client_dir = tempfile::tempdir().expect("temp dir");
    // Warm-up and a check that the whole directory comes back.
    let first = list(&server, client_dir.path());
    let users: Vec<serde_json::Value> = serde_json::from_slice(&first).expect("a JSON array");
    assert_eq!(users.len(), USERS);

    let mut worst = Duration::ZERO;
    let mut group = c.benchmark_group("list_json");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("10k users, whole process", |b| {
        b.iter(|| {
            let start = Instant::now();
            let out = list(&server, client_dir.path());
            worst = worst.max(start.elapsed());
            out.len()
        })
    });
    group.finish();
    eprintln!("list_json: slowest single run {worst:?} (target < 500 ms)");
}

criterion_group!(benches, bench);
criterion_main!(benches);
