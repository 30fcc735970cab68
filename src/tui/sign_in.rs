//! The device-code sign-in as a screen of its own, for `undelete --tenant T` without a cached
//! sign-in: shows the code and the URL, waits, and says clearly what went wrong.

use std::io::{self, Write};
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};

use crate::app::{TuiOptions, no_color_env};
use crate::auth::device_code::osc52;
use crate::auth::oauth::AuthError;
use crate::auth::signin::{AuthContext, SignedIn};
use crate::ui::sign_in::{SignInView, draw};

enum Outcome {
    Done(Box<SignedIn>),
    Quit,
    Retry,
}

/// Runs the sign-in screen until the admin is signed in (`Some`), or gives up (`None`). The
/// terminal is restored before it returns, on every path.
pub async fn sign_in_screen(
    auth: &AuthContext,
    target: &str,
    opts: &TuiOptions,
) -> color_eyre::Result<Option<SignedIn>> {
    let mut terminal = ratatui::init();
    let mut events = EventStream::new();
    let mut view = SignInView {
        target: target.to_string(),
        prompt: None,
        error: None,
        copied: false,
        now: Utc::now(),
        spinner: 0,
        no_color: opts.no_color || no_color_env(),
    };
    let result = loop {
        match attempt(auth, &mut terminal, &mut events, &mut view).await {
            Ok(Outcome::Done(s)) => break Ok(Some(*s)),
            Ok(Outcome::Quit) => break Ok(None),
            Ok(Outcome::Retry) => {
                view.prompt = None;
                view.error = None;
                view.copied = false;
            }
            Err(e) => break Err(e),
        }
    };
    ratatui::restore();
    result
}

async fn attempt(
    auth: &AuthContext,
    terminal: &mut ratatui::DefaultTerminal,
    events: &mut EventStream,
    view: &mut SignInView,
) -> color_eyre::Result<Outcome> {
    let (prompt_tx, mut prompt_rx) = mpsc::unbounded_channel();
    let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
    let mut cancel_tx = Some(cancel_tx);
    let sign_in = auth.sign_in_interactive(
        move |p| {
            let _ = prompt_tx.send(p);
        },
        async move {
            let _ = cancel_rx.await;
        },
    );
    tokio::pin!(sign_in);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut finished = false;
    loop {
        terminal.draw(|f| draw(view, f))?;
        tokio::select! {
            r = &mut sign_in, if !finished => {
                finished = true;
                match r {
                    Ok(s) => return Ok(Outcome::Done(Box::new(s))),
                    Err(AuthError::Cancelled) => return Ok(Outcome::Quit),
                    Err(e) => view.error = Some(e.to_string()),
                }
            }
            Some(p) = prompt_rx.recv() => view.prompt = Some(p),
            _ = tick.tick() => {
                view.now = Utc::now();
                view.spinner = view.spinner.wrapping_add(1);
            }
            ev = events.next() => {
                let Some(Ok(Event::Key(k))) = ev else {
                    if ev.is_none() {
                        return Ok(Outcome::Quit);
                    }
                    continue;
                };
                if k.kind != KeyEventKind::Press {
                    continue;
                }
                let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                match k.code {
                    _ if ctrl_c => return Ok(Outcome::Quit),
                    KeyCode::Esc | KeyCode::Char('q') => {
                        if finished {
                            return Ok(Outcome::Quit);
                        }
                        if let Some(tx) = cancel_tx.take() {
                            let _ = tx.send(());
                        }
                    }
                    KeyCode::Char('r') if finished => return Ok(Outcome::Retry),
                    KeyCode::Char('c') => {
                        if let Some(p) = &view.prompt {
                            // The user code is not a secret: it is useless without the admin's
                            // own sign-in in the browser.
                            let mut out = io::stdout();
                            let _ = out.write_all(osc52(&p.user_code).as_bytes());
                            let _ = out.flush();
                            view.copied = true;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
