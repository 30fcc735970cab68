//! The page loader stays at most two pages ahead of the loop (the memory bound that keeps
//! 100,000 users under budget on a busy machine), and takes the next page as soon as the loop
//! has taken one in.

use crate::common;

use std::time::Duration;

use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;
use undelete::app::effect::Effect;
use undelete::app::msg::{Msg, SessionMsg};

use undelete::app::runner::Runner;
use undelete::app::sessions::SessionId;
use undelete::app::{self};
use undelete::config::Settings;
use undelete::session::Session;

/// Pages that reach the channel within `wait`, without anything taking them in.
async fn pages_arrived(rx: &mut UnboundedReceiver<Msg>, wait: Duration) -> usize {
    let mut pages = 0;
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if let Msg::Session {
            msg: SessionMsg::Page { result, .. },
            ..
        } = msg
        {
            assert!(result.is_ok(), "page failed: {:?}", result.err());
            pages += 1;
        }
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loader_waits_for_the_loop_to_take_pages() {
    // 5,000 users: six pages of 999.
    let (_tmp, h) = common::start_sandbox(5_000).await;
    let data = tempfile::tempdir().expect("data dir");
    let session = Arc::new(Session::new(
        Settings::default(),
        common::sandbox_directory(&h, "ui-loader-tests"),
        format!("SANDBOX {}", h.domain()),
        true,
        h.admin_upn(),
        Some(h.admin_upn()),
        data.path().to_path_buf(),
    ));
    let (tx, mut rx) = app::channel();
    let mut runner = Runner::for_session(SessionId::FIRST, session, tx, None);
    runner.run(Effect::LoadDeleted { generation: 0 });

    let settle = Duration::from_millis(800);
    assert_eq!(
        pages_arrived(&mut rx, settle).await,
        2,
        "two pages ahead, no more"
    );
    runner.page_taken(SessionId::FIRST);
    assert_eq!(
        pages_arrived(&mut rx, settle).await,
        1,
        "one taken in, one more fetched"
    );
    for _ in 0..3 {
        runner.page_taken(SessionId::FIRST);
    }
    assert_eq!(
        pages_arrived(&mut rx, settle).await,
        3,
        "the rest, as slots free up"
    );
}
