//! The TUI on a real terminal: the one event loop, drawing, and the terminal's setup and
//! teardown. It joins `app` (what happens) and `ui` (what is drawn), which know nothing of
//! each other's insides.
//!
//! One `tokio::select!` waits on terminal input, results of background work (the request log
//! and the sign-in's reports among them) and a tick. Each turn drains what is queued, runs
//! `update` on every message, hands the effects to the runner, and draws only when something
//! changed. Every screen is drawn here, the device-code sign-in included: the terminal is set
//! up once and restored once.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::app::msg::Msg;
use crate::app::quit::Leave;
use crate::app::runner::{ClipboardSink, Runner};
use crate::app::state::{ExitReport, State};
use crate::app::{
    Start, channel, event_to_msg, initial_state, repaint_key, sign_in_state, start_effects, step,
    tenants_state,
};

/// Test hook: with this set to a character, pressing that key in the TUI panics, so a test
/// can check that a crash leaves the terminal usable and the report readable. Only in builds
/// with the `test-hooks` feature (the tests turn it on; release builds carry no hooks).
#[cfg(feature = "test-hooks")]
pub const PANIC_HOOK_ENV: &str = "UNDELETE_TEST_PANIC_ON_KEY";

/// The tick: drives spinners and the clock. Slow enough to cost nothing when idle, since a
/// tick only redraws when something animates.
pub const TICK: Duration = Duration::from_millis(125);

/// Most messages handled before drawing again, so a burst (a fast page load) cannot starve
/// the screen.
const BATCH: usize = 512;

/// The event loop, generic over the terminal backend and the input stream so tests can drive
/// it with a `TestBackend` and scripted events.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    mut events: S,
    state: &mut State,
    runner: &mut Runner,
    mut rx: UnboundedReceiver<Msg>,
) -> color_eyre::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    // The first frame goes out before any network work is even started.
    let mut last_glyphs = draw(terminal, state)?;
    state.dirty = false;
    // The sign-in attempt, or the table's loads.
    for effect in start_effects(state) {
        runner.run(effect);
    }
    let mut terminate = Terminate::new();
    let mut last_screen = repaint_key(state);
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => match event_to_msg(ev) {
                    Some(m) => m,
                    None => continue,
                },
                Some(Err(e)) => return Err(e.into()),
                // The terminal went away: nothing more can be asked or shown.
                None => return Ok(()),
            },
            Some(m) = rx.recv() => m,
            _ = tick.tick() => Msg::Tick(Utc::now()),
            // Raw mode turns Ctrl-C into a key; this catches the signal sent from outside.
            // Neither can be asked about: `update` leaves at once, saying what stays unsent.
            _ = tokio::signal::ctrl_c() => Msg::Leave(Leave::Interrupt),
            // `kill` or a closing session: leave through the same door, so the terminal is
            // restored.
            _ = terminate.recv() => Msg::Leave(Leave::Terminate),
        };
        if step(state, runner, msg) {
            return Ok(());
        }
        let mut handled = 1;
        while handled < BATCH {
            let Ok(m) = rx.try_recv() else { break };
            if step(state, runner, m) {
                return Ok(());
            }
            handled += 1;
        }
        if state.dirty {
            // Terminals and unicode-width disagree on the width of a few scripts (Devanagari
            // and Thai marks, among others): a cell ratatui believes blank can still show a
            // glyph, and its diff never writes that cell again. Repaint everything whenever
            // other text takes the place of what was there, so no glyph outlives its row.
            let screen = repaint_key(state);
            let forced = screen != last_screen;
            if forced {
                force_full_redraw(terminal)?;
                last_screen = screen;
            }
            let glyphs = draw(terminal, state)?;
            // The rows are the same, but such a glyph moved all the same (a dialog that grew
            // over the table, a name typed in a field): repaint once more, from a clean screen.
            if glyphs != last_glyphs && !forced {
                force_full_redraw(terminal)?;
                draw(terminal, state)?;
            }
            last_glyphs = glyphs;
            state.dirty = false;
        }
    }
}

/// Draws a frame; returns where the graphemes terminals may measure differently now are.
fn draw<B>(terminal: &mut Terminal<B>, state: &State) -> Result<u64, B::Error>
where
    B: Backend,
{
    let frame = terminal.draw(|f| crate::ui::draw(state, f))?;
    Ok(crate::ui::backend::fingerprint(frame.buffer))
}

/// Clears the screen and forgets what is on it, so the next draw paints every cell.
/// (`Terminal::clear` would do it too, but it asks the terminal for the cursor position,
/// and the reply would race the event stream for stdin.)
fn force_full_redraw<B>(terminal: &mut Terminal<B>) -> Result<(), B::Error>
where
    B: Backend,
{
    terminal.backend_mut().clear()?;
    // After a draw the "previous" buffer holds what is on screen; one swap resets it, and the
    // buffer drawn into next was already reset by the draw.
    terminal.swap_buffers();
    Ok(())
}

/// SIGTERM, where there is such a thing; never fires elsewhere.
struct Terminate {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Terminate {
    fn new() -> Self {
        Self {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(s) = self.signal.as_mut() {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    }
}

/// Runs the TUI: in the session opened already, or on the sign-in screen first. A session
/// (and an in-process sandbox with it) lives until the terminal has been restored. Returns how
/// the run ends when it is not a plain quit (the sign-in was left without a session).
pub async fn run_tui(start: Start) -> color_eyre::Result<Option<ExitReport>> {
    use crossterm::event::{
        DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
        EventStream,
    };
    use crossterm::execute;

    // Held to the end, so the sandbox outlives the screen whatever the runner does.
    let session: Vec<Arc<crate::session::Session>> = match &start {
        Start::Session(session) => vec![Arc::clone(session)],
        Start::Tenants { open, .. } => open.clone(),
        Start::SignIn { .. } => Vec::new(),
    };
    let config = match (&start, session.first()) {
        (Start::SignIn { settings, .. }, _) => settings,
        (_, Some(first)) => &first.settings,
        (_, None) => return Err(color_eyre::eyre::eyre!("no tenant opened")),
    };
    let mouse = !config.no_mouse;
    // `ratatui::init` installs a panic hook that leaves raw mode and the alternate screen and
    // then calls the hook installed before it (color-eyre's report).
    // `init` is kept for what it sets up (raw mode, alternate screen, the hook); the terminal
    // drawn on goes through `Resync`, so rows with complex scripts stay in their columns.
    drop(ratatui::init());
    let mut terminal = match ratatui::Terminal::new(crate::ui::backend::Resync::new(
        ratatui::backend::CrosstermBackend::new(io::stdout()),
    )) {
        Ok(t) => t,
        Err(e) => {
            ratatui::restore();
            return Err(e.into());
        }
    };
    // The in-process sandbox answers a panicking request with a 500 and goes on: the screen
    // must stay as it is, not be torn down for a panic that was caught.
    // The tenants of one run share its in-process sandbox, if it has one.
    let caught: fn() -> bool = session
        .iter()
        .find(|s| s.sandbox.is_some())
        .map_or(|| false, |s| s.caught_panic());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if caught() {
            return;
        }
        let _ = execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
        previous(info);
    }));
    let _ = execute!(io::stdout(), EnableBracketedPaste);
    if mouse {
        let _ = execute!(io::stdout(), EnableMouseCapture);
    }
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    let (tx, rx) = channel();
    let clipboard: ClipboardSink = Box::new(io::stdout());
    let (mut state, mut runner) = match start {
        Start::Session(session) => {
            let state = initial_state(&session, Utc::now(), size);
            let id = state.session().id();
            (state, Runner::for_session(id, session, tx, Some(clipboard)))
        }
        Start::Tenants { open, unopened } => {
            let (state, ids) = tenants_state(&open, unopened, Utc::now(), size);
            (state, Runner::for_sessions(ids, tx, Some(clipboard)))
        }
        Start::SignIn { auth, settings } => (
            sign_in_state(
                &settings,
                auth.tenant().to_string(),
                auth.describe(),
                Utc::now(),
                size,
            ),
            Runner::for_sign_in(auth, settings, tx, Some(clipboard)),
        ),
    };
    // Test hook (see PANIC_HOOK_ENV): a key that panics, to prove a crash restores the terminal.
    let events = EventStream::new();
    #[cfg(feature = "test-hooks")]
    let panic_key = std::env::var(PANIC_HOOK_ENV)
        .ok()
        .and_then(|v| v.chars().next());
    #[cfg(feature = "test-hooks")]
    let events = events.inspect(move |ev| {
        if let (Some(k), Ok(Event::Key(key))) = (panic_key, ev)
            && key.code == crossterm::event::KeyCode::Char(k)
        {
            panic!("{PANIC_HOOK_ENV}: panicking on purpose at key {k:?}");
        }
    });
    let result = run_loop(&mut terminal, events, &mut state, &mut runner, rx).await;
    if mouse {
        let _ = execute!(io::stdout(), DisableMouseCapture);
    }
    let _ = execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    // The terminal is back: now the session (and the runner's share of it) may go.
    drop(runner);
    drop(session);
    result.map(|()| state.exit.take())
}
