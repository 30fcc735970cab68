//! The TUI without a terminal: key-driven flows, the page loader, memory, and insta snapshots
//! of every screen (in `snapshots/`, named `ui__snapshots__<screen>.snap`). One test binary
//! (links once).

#[path = "../common/mod.rs"]
mod common;

mod after_care;
mod bring_back;
mod busy;
mod docs;
mod filter;
mod first_day;
mod flow;
mod hand_off;
mod loader;
mod look;
mod memory;
mod pictures;
mod probe;
mod restored;
mod sign_in;
mod snapshots;
mod sweep;
mod tenants;
mod tenants_flow;
mod truth;

/// Set in the child process `alone_in_process` starts.
const ALONE_ENV: &str = "UNDELETE_UI_TEST_ALONE";

/// For a test that measures its own process (resident memory): the other tests of this binary
/// run on other threads of the same process and would move the figures. In the test process,
/// runs `test` (its full name, e.g. `memory::name`) in a child process of this test binary,
/// alone, passes its stderr on, asserts that it ran and passed, and returns false; in that
/// child, returns true: measure there.
fn alone_in_process(test: &str) -> bool {
    if std::env::var_os(ALONE_ENV).is_some() {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ALONE_ENV, "1")
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{test} alone: {stdout}");
    assert!(stdout.contains("1 passed"), "{test} ran alone: {stdout}");
    false
}
