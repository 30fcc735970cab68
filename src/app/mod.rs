//! The TUI: state, messages, the pure `update`, effects, and the one event loop.
//!
//! One `tokio::select!` waits on terminal input, results of background work, the request log
//! and a tick. Each turn drains what is queued, runs `update` on every message, hands the
//! effects to the runner, and draws only when something changed.

pub mod action;
pub mod effect;
pub mod fixtures;
pub mod keymap;
pub mod msg;
pub mod runner;
pub mod sign_in;
pub mod state;
pub mod update;
#[cfg(test)]
mod update_tests;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, MouseEventKind};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::directory::{Directory, RequestRecord};
use effect::Effect;
use msg::Msg;
use runner::Runner;
use state::State;

/// Test hook: with this set to a character, pressing that key in the TUI panics, so a test
/// can check that a crash leaves the terminal usable and the report readable. Only in builds
/// with the `test-hooks` feature (the tests turn it on; release builds carry no hooks).
#[cfg(feature = "test-hooks")]
pub const PANIC_HOOK_ENV: &str = "UNDELETE_TEST_PANIC_ON_KEY";

/// How the TUI was asked to run (from the command line and the environment).
#[derive(Debug, Clone, Copy, Default)]
pub struct TuiOptions {
    pub read_only: bool,
    pub no_mouse: bool,
    /// Also on when the `NO_COLOR` environment variable is set and not empty.
    pub no_color: bool,
    /// Picks the sign-in link the mail gives.
    pub cloud: Option<crate::cli::Cloud>,
}

/// The tick: drives spinners and the clock. Slow enough to cost nothing when idle, since a
/// tick only redraws when something animates.
pub const TICK: Duration = Duration::from_millis(125);

/// Most messages handled before drawing again, so a burst (a fast page load) cannot starve
/// the screen.
const BATCH: usize = 512;

/// Turns a terminal event into a message; mouse moves are dropped (we never use hover).
pub fn event_to_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Moved | MouseEventKind::Drag(_) => None,
            _ => Some(Msg::Mouse(m)),
        },
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Paste(p) => Some(Msg::Paste(p)),
        Event::FocusGained | Event::FocusLost => None,
    }
}

/// Applies one message and runs its effects; `true` when the app should quit.
pub fn step(state: &mut State, runner: &mut Runner, msg: Msg) -> bool {
    // Only a page of the current load frees a slot: a cancelled load's leftovers must not
    // let the new one run further ahead.
    let page =
        matches!(&msg, Msg::Page { generation, .. } if *generation == state.users.generation);
    let effects = update::update(state, msg);
    if page {
        runner.page_taken();
    }
    for effect in effects {
        if matches!(effect, Effect::Quit) {
            return true;
        }
        runner.run(effect);
    }
    state.quit
}

/// The event loop, generic over the terminal backend and the input stream so tests can drive
/// it with a `TestBackend` and scripted events.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    mut events: S,
    state: &mut State,
    runner: &mut Runner,
    mut rx: UnboundedReceiver<Msg>,
    mut requests: Option<UnboundedReceiver<RequestRecord>>,
) -> color_eyre::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    // The first frame goes out before any network work is even started.
    let mut last_glyphs = draw(terminal, state)?;
    state.dirty = false;
    runner.run(Effect::LoadDeleted {
        generation: state.users.generation,
    });
    runner.run(Effect::LoadTenant);
    runner.load_unfinished();
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
            Some(r) = async {
                match requests.as_mut() {
                    Some(rq) => rq.recv().await,
                    None => std::future::pending().await,
                }
            } => Msg::Request(r),
            _ = tick.tick() => Msg::Tick(Utc::now()),
            // Raw mode turns Ctrl-C into a key; this catches the signal when it is not.
            _ = tokio::signal::ctrl_c() => return Ok(()),
            // `kill` or a closing session: leave through the same door, so the terminal is
            // restored.
            _ = terminate.recv() => return Ok(()),
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

/// A digest of which text sits where: the layout, and which users occupy the table's rows and
/// the details pane. Two states with the same key differ only in styles and in text that
/// replaces text of the same row (a mark, the clock), never in which name is in a row; when
/// the key changes, the run loop repaints the whole screen.
pub fn repaint_key(state: &State) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    // Where things are is what the drawing itself computes, so the key cannot drift from it.
    let (w, h_) = state.size;
    let areas = crate::ui::layout(state, ratatui::layout::Rect::new(0, 0, w, h_));
    (state.size, areas).hash(&mut h);
    state
        .modal
        .as_ref()
        .map(std::mem::discriminant)
        .hash(&mut h);
    let u = &state.users;
    u.generation.hash(&mut h);
    let rows = areas.map_or(1, |a| usize::from(a.rows.height).max(1));
    let end = u.offset.saturating_add(rows).min(u.shown.len());
    u.shown.get(u.offset..end).unwrap_or_default().hash(&mut h);
    if state.details {
        u.current_index().hash(&mut h);
        state.details_top().hash(&mut h);
    }
    // Modal lists of names scroll too; the Result list scrolls with its selection.
    match &state.modal {
        Some(state::Modal::Progress(p)) => p.scroll.hash(&mut h),
        Some(state::Modal::Result(r)) => (r.selected, r.confirm_close).hash(&mut h),
        _ => {}
    }
    h.finish()
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

/// A fresh channel for background results.
pub fn channel() -> (
    tokio::sync::mpsc::UnboundedSender<Msg>,
    UnboundedReceiver<Msg>,
) {
    unbounded_channel()
}

/// What the TUI needs from a session: the directory and who we are in it.
pub struct TuiContext {
    pub directory: Arc<dyn Directory>,
    /// "SANDBOX contoso.sandbox" or the tenant.
    pub label: String,
    pub is_sandbox: bool,
    /// The signed-in admin's UPN; also the default mail recipient.
    pub account: String,
    pub mail_sender: Option<String>,
    pub data_dir: PathBuf,
    pub requests: Option<UnboundedReceiver<RequestRecord>>,
}

/// `NO_COLOR` set to anything but the empty string turns colors off (no-color.org).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The initial state for a context, at time `now` and terminal size `size`.
pub fn initial_state(
    ctx: &TuiContext,
    opts: &TuiOptions,
    now: chrono::DateTime<Utc>,
    size: (u16, u16),
) -> State {
    State::new(
        state::Settings {
            label: ctx.label.clone(),
            is_sandbox: ctx.is_sandbox,
            account: ctx.account.clone(),
            read_only: opts.read_only,
            no_color: opts.no_color || no_color_env(),
            mouse: !opts.no_mouse,
            sign_in_url: crate::mail::sign_in_url(opts.cloud.unwrap_or(crate::cli::Cloud::Global))
                .to_string(),
            mail_sender: ctx.mail_sender.clone(),
            local_offset: *chrono::Local::now().offset(),
        },
        now,
        size,
    )
}

/// The runner for a context; OSC 52 writes go to `clipboard`.
pub fn runner_for(
    ctx: &TuiContext,
    state: &State,
    tx: tokio::sync::mpsc::UnboundedSender<Msg>,
    clipboard: Option<runner::ClipboardSink>,
) -> Runner {
    Runner::new(runner::RunnerConfig {
        dir: ctx.directory.clone(),
        tx,
        data_dir: ctx.data_dir.clone(),
        directory_label: ctx.label.clone(),
        admin: ctx.account.clone(),
        sign_in_url: state.settings.sign_in_url.clone(),
        mail_sender: ctx.mail_sender.clone(),
        clipboard,
        read_only: state.settings.read_only,
    })
}

/// Runs the TUI for a session. Its warnings (missing permissions) open as the first notice;
/// an in-process sandbox keeps serving until the terminal has been restored.
pub async fn run_tui(session: crate::session::Session, opts: TuiOptions) -> color_eyre::Result<()> {
    let ctx = TuiContext {
        directory: session.directory.clone(),
        label: session.label.clone(),
        is_sandbox: session.is_sandbox,
        account: session.account.clone(),
        mail_sender: session.mail_sender.clone(),
        data_dir: session.data_dir.clone(),
        requests: session.requests,
    };
    let result = run_terminal(ctx, opts, session.warnings).await;
    drop(session.sandbox);
    result
}

async fn run_terminal(
    mut ctx: TuiContext,
    opts: TuiOptions,
    warnings: Vec<String>,
) -> color_eyre::Result<()> {
    use crossterm::event::{
        DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
        EventStream,
    };
    use crossterm::execute;

    let mouse = !opts.no_mouse;
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
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // The in-process sandbox answers a panicking request with a 500 and goes on: the
        // screen must stay as it is, not be torn down for a panic that was caught.
        if crate::sandbox::in_sandbox_request() {
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
    let mut state = initial_state(&ctx, &opts, Utc::now(), size);
    if !warnings.is_empty() {
        state.notice = Some((state::NoticeKind::Error, warnings.join(" · ")));
    }
    let (tx, rx) = channel();
    let mut runner = runner_for(&ctx, &state, tx, Some(Box::new(io::stdout())));
    let requests = ctx.requests.take();
    let events = EventStream::new();
    // Test hook (see PANIC_HOOK_ENV): a key that panics, to prove a crash restores the terminal.
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
    let result = run_loop(&mut terminal, events, &mut state, &mut runner, rx, requests).await;
    if mouse {
        let _ = execute!(io::stdout(), DisableMouseCapture);
    }
    let _ = execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

    fn press(s: &mut State, code: KeyCode) {
        let ev = KeyEvent::new_with_kind(code, KeyModifiers::NONE, KeyEventKind::Press);
        update::update(s, Msg::Key(ev));
    }

    #[test]
    fn other_rows_in_view_force_a_full_repaint() {
        let mut s = fixtures::state(200, (120, 40));
        let start = repaint_key(&s);
        // Moving within the window restyles rows but puts no new text in them.
        press(&mut s, KeyCode::Char('j'));
        assert_eq!(repaint_key(&s), start, "selection move");
        press(&mut s, KeyCode::Char(' '));
        assert_eq!(repaint_key(&s), start, "a mark");
        // Filtering puts other users in the same rows: the stale-glyph case.
        press(&mut s, KeyCode::Char('/'));
        let filtering = repaint_key(&s);
        assert_ne!(filtering, start, "the filter line appears");
        for c in "diego".chars() {
            press(&mut s, KeyCode::Char(c));
        }
        assert!(s.users.shown.len() < 200);
        assert_ne!(repaint_key(&s), filtering, "filter narrowed the rows");
        press(&mut s, KeyCode::Esc);
        let cleared = repaint_key(&s);
        // Scrolling by one row past the bottom moves every name up a row.
        press(&mut s, KeyCode::Char('G'));
        assert_ne!(repaint_key(&s), cleared, "scrolled");
        let bottom = repaint_key(&s);
        press(&mut s, KeyCode::Char('s'));
        assert_ne!(repaint_key(&s), bottom, "sort changed the order");
    }

    #[test]
    fn the_details_pane_repaints_when_it_shows_another_user() {
        let mut s = fixtures::state(50, (120, 40));
        press(&mut s, KeyCode::Char('i'));
        let first = repaint_key(&s);
        press(&mut s, KeyCode::Char('j'));
        assert_ne!(repaint_key(&s), first);
    }
}
