//! The TUI's performance targets (DESIGN.md 6): drawing a frame with 100,000 users loaded
//! under 1 ms, and one filter keystroke over 100,000 users under 10 ms; a sort switch should
//! feel the same as a keystroke.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use undelete::app::fixtures;
use undelete::app::msg::{Msg, SessionMsg};
use undelete::app::state::State;
use undelete::app::update::update;
use undelete::directory::DeletedPage;

const USERS: usize = 100_000;

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new_with_kind(
        KeyCode::Char(c),
        KeyModifiers::NONE,
        KeyEventKind::Press,
    ))
}

fn shift(c: char) -> Msg {
    Msg::Key(KeyEvent::new_with_kind(
        KeyCode::Char(c),
        KeyModifiers::SHIFT,
        KeyEventKind::Press,
    ))
}

fn bench(c: &mut Criterion) {
    let mut state = fixtures::state(USERS, (120, 40));
    assert_eq!(state.session().users.shown().len(), USERS);
    // Somewhere in the middle, with the details pane: the worst ordinary frame.
    for _ in 0..500 {
        update(&mut state, key('j'));
    }
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    c.bench_function("draw frame, 100k users, 120x40", |b| {
        b.iter(|| {
            state.dirty = true;
            terminal
                .draw(|f| undelete::ui::draw(&state, f))
                .expect("draw");
        })
    });
    update(&mut state, key('i'));
    c.bench_function("draw frame with details, 100k users, 120x40", |b| {
        b.iter(|| {
            terminal
                .draw(|f| undelete::ui::draw(&state, f))
                .expect("draw");
        })
    });
    update(&mut state, key('i'));

    // The stale-glyph guard: the key computed after every batch of messages, and the frame
    // it forces when other users take the rows (a cleared backend, every cell drawn again).
    c.bench_function("repaint key, 100k users, 120x40", |b| {
        b.iter(|| undelete::app::repaint_key(&state))
    });
    let mut big = fixtures::state(USERS, (200, 60));
    for _ in 0..500 {
        update(&mut big, key('j'));
    }
    let mut wide = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("draw frame, 100k users, 200x60", |b| {
        b.iter(|| {
            wide.draw(|f| undelete::ui::draw(&big, f)).expect("draw");
        })
    });
    // The users table alone (ratatui's `Table` over the visible window), without the rest of
    // the frame.
    let theme = undelete::ui::theme::Theme::new(big.settings.theme, big.settings.no_color);
    let whole = ratatui::layout::Rect::new(0, 0, 200, 60);
    let rows = ratatui::layout::Rect::new(1, 2, 198, 57);
    c.bench_function("table window, 100k users, 200x60", |b| {
        b.iter(|| {
            wide.draw(|f| undelete::ui::table::draw_table(&big, &theme, f, whole, rows))
                .expect("draw");
        })
    });
    c.bench_function("full repaint (clear + draw), 100k users, 200x60", |b| {
        b.iter(|| {
            ratatui::backend::Backend::clear(wide.backend_mut()).expect("clear");
            wide.swap_buffers();
            wide.draw(|f| undelete::ui::draw(&big, f)).expect("draw");
        })
    });
    let frame = wide
        .draw(|f| undelete::ui::draw(&big, f))
        .expect("draw")
        .buffer
        .clone();
    c.bench_function("glyph fingerprint of a frame, 200x60", |b| {
        b.iter(|| undelete::ui::backend::fingerprint(&frame))
    });
    drop(big);

    // The table across 50 tenants of 1,000 (issue 22: the single table's frame and filter
    // budgets hold with 50 tenants open), and one tenant of them shown alone.
    let mut across = fixtures::many_tenants(50, 1000, (200, 60));
    assert_eq!(across.all.as_ref().map(|a| a.len()), Some(50_000));
    for _ in 0..500 {
        update(&mut across, key('j'));
    }
    c.bench_function("draw frame, 50 tenants x 1k across, 200x60", |b| {
        b.iter(|| {
            wide.draw(|f| undelete::ui::draw(&across, f)).expect("draw");
        })
    });
    c.bench_function("cursor down, 50 tenants x 1k across", |b| {
        b.iter(|| update(&mut across, key('j')))
    });
    update(&mut across, key('/'));
    update(&mut across, key('a'));
    update(&mut across, key('d'));
    c.bench_function(
        "filter: 2 keystrokes (type + erase), 50 tenants x 1k across",
        |b| {
            b.iter(|| {
                update(&mut across, key('e'));
                update(
                    &mut across,
                    Msg::Key(KeyEvent::new_with_kind(
                        KeyCode::Backspace,
                        KeyModifiers::NONE,
                        KeyEventKind::Press,
                    )),
                );
            })
        },
    );
    // One tenant of the fifty on screen alone (the tenants pane's Enter).
    across.all = None;
    c.bench_function("draw frame, one of 50 tenants open, 200x60", |b| {
        b.iter(|| {
            wide.draw(|f| undelete::ui::draw(&across, f)).expect("draw");
        })
    });
    drop(across);

    // One keystroke that narrows the filter: "ad" -> "ade" (a pass over 100k search keys).
    update(&mut state, key('/'));
    update(&mut state, key('a'));
    update(&mut state, key('d'));
    // Two keystrokes per iteration (type, then erase): halve the time for one.
    c.bench_function("filter: 2 keystrokes (type + erase), 100k users", |b| {
        b.iter_batched(
            || (),
            |()| {
                update(&mut state, key('e'));
                update(
                    &mut state,
                    Msg::Key(KeyEvent::new_with_kind(
                        KeyCode::Backspace,
                        KeyModifiers::NONE,
                        KeyEventKind::Press,
                    )),
                );
            },
            BatchSize::SmallInput,
        )
    });
    update(
        &mut state,
        Msg::Key(KeyEvent::new_with_kind(
            KeyCode::Esc,
            KeyModifiers::NONE,
            KeyEventKind::Press,
        )),
    );
    // The first switch after the load: the column's order waits as one sorted run per page
    // (only the shown column is merged as pages arrive), merged now.
    let loaded = state.session().users.clone();
    c.bench_function("first sort change (s) after the load, 100k users", |b| {
        b.iter_batched(
            || loaded.clone(),
            |mut users| {
                users.sort_next();
                users
            },
            BatchSize::LargeInput,
        )
    });
    drop(loaded);
    // `s` and `S` (DESIGN.md 1): the orders are kept from the load, so a switch is one pass
    // over the shown rows. Five `s` presses visit every column and come back.
    c.bench_function("sort change (s), 100k users", |b| {
        b.iter(|| update(&mut state, key('s')))
    });
    c.bench_function("sort reverse (S), 100k users", |b| {
        b.iter(|| update(&mut state, shift('S')))
    });
    // Under a filter matching a sixth of the users: the matches are not searched again.
    update(&mut state, key('/'));
    for c in "legal".chars() {
        update(&mut state, key(c));
    }
    update(
        &mut state,
        Msg::Key(KeyEvent::new_with_kind(
            KeyCode::Enter,
            KeyModifiers::NONE,
            KeyEventKind::Press,
        )),
    );
    assert!(
        state.session().users.shown().len() < USERS && !state.session().users.shown().is_empty()
    );
    c.bench_function("sort change (s) under a filter, 100k users", |b| {
        b.iter(|| update(&mut state, key('s')))
    });
    drop(state);

    // What keeping every column's order costs the load: 100 pages of 1,000 users.
    let now = fixtures::now();
    let pages: Vec<Vec<_>> = (0..100)
        .map(|p| {
            (p * 1000..(p + 1) * 1000)
                .map(|i| fixtures::user(i, now))
                .collect()
        })
        .collect();
    c.bench_function("load 100 pages of 1,000 users into the table", |b| {
        b.iter_batched(
            || pages.clone(),
            |pages| {
                let mut s = State::new(fixtures::settings(), fixtures::facts(), now, (120, 40));
                for users in pages {
                    fixtures::send(
                        &mut s,
                        SessionMsg::Page {
                            generation: 0,
                            result: Ok(DeletedPage { users, total: None }),
                        },
                    );
                }
                s
            },
            BatchSize::LargeInput,
        )
    });

    // The conflict sweep's join runs a slice of rows per tick while the sweep lands: what a
    // key pressed meanwhile may wait behind. (The audit log's deletions only: the index comes
    // from a directory, and its lookups are the engine's `sweep` bench.)
    let mut state = fixtures::state(USERS, (120, 40));
    let log = undelete::conflicts::DeletionLog::build((0..1_000).map(|i| {
        undelete::directory::DeletionRecord {
            id: format!("audit-{i}"),
            target_id: state.session().users.rows()[i * 97].id().to_string(),
            target_upn: None,
            at: now,
            result: "success".into(),
            result_reason: None,
            initiated_by: undelete::directory::Initiator::Unknown,
        }
    }));
    fixtures::send(
        &mut state,
        SessionMsg::Deletions(Box::new(undelete::conflicts::DeletionsState {
            log,
            status: undelete::conflicts::SourceStatus::Read { count: 1_000 },
            as_of: now,
        })),
    );
    c.bench_function("sweep join: one tick's slice of 100k users", |b| {
        b.iter(|| {
            state.session_mut().sweep.phase = undelete::app::sweep::Phase::Joining;
            state.session_mut().sweep.joined = 0;
            update(&mut state, Msg::Tick(now));
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
