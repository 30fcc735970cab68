//! Resident memory of the table with 100,000 users loaded (DESIGN.md 6: the whole app under
//! 80 MB). Measures what the TUI's state adds, page by page as the client hands them over.

use undelete::app::fixtures;

fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Set in the child process the test runs itself in (see below).
const ALONE_ENV: &str = "UI_MEMORY_TEST_ALONE";

#[test]
fn state_of_100k_users_stays_small() {
    // The other tests of this binary run on other threads of the same process and would move
    // its resident size, so the measurement runs in a process of its own: this test binary
    // again, with only this test.
    if std::env::var_os(ALONE_ENV).is_none() {
        let module = module_path!().split_once("::").map_or("", |(_, m)| m);
        let name = format!("{module}::state_of_100k_users_stays_small");
        let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env(ALONE_ENV, "1")
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{stdout}");
        assert!(stdout.contains("1 passed"), "the measurement ran: {stdout}");
        return;
    }
    let Some(before) = rss_kb() else {
        eprintln!("no /proc: nothing to measure here");
        return;
    };
    let state = fixtures::state(100_000, (120, 40));
    let after = rss_kb().unwrap_or(before);
    let grown_mb = (after.saturating_sub(before)) as f64 / 1024.0;
    eprintln!(
        "state of {} users: +{grown_mb:.1} MB resident",
        state.users.rows.len()
    );
    assert!(
        grown_mb < 60.0,
        "the table of 100k users takes {grown_mb:.1} MB"
    );
}
