//! Resident memory of the table with 100,000 users loaded (DESIGN.md 6: the whole app under
//! 80 MB). Measures what the TUI's state adds, page by page as the client hands them over.

use undelete::app::fixtures;

fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn state_of_100k_users_stays_small() {
    if !crate::alone_in_process("memory::state_of_100k_users_stays_small") {
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
        state.session().users.rows().len()
    );
    assert!(
        grown_mb < 60.0,
        "the table of 100k users takes {grown_mb:.1} MB"
    );
}
