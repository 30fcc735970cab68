//! The device-code sign-in screen on the terminal, for `undelete --tenant T` without a cached
//! sign-in: runs the sign-in, feeds its prompt, keys and ticks to `app::sign_in::update`, and
//! carries out what it asks. The terminal is restored before it returns, on every path.

use std::io;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};

use crate::app::sign_in::{SignIn, SignInEffect, SignInMsg, update};
use crate::app::{TuiOptions, no_color_env};
use crate::auth::oauth::AuthError;
use crate::auth::signin::{AuthContext, SignedIn};
use crate::ui::sign_in::draw;

enum Outcome {
    Done(Box<SignedIn>),
    Quit,
    Retry,
}

/// Runs the sign-in screen until the admin is signed in (`Some`), or gives up (`None`).
pub async fn sign_in_screen(
    auth: &AuthContext,
    target: &str,
    opts: &TuiOptions,
) -> color_eyre::Result<Option<SignedIn>> {
    let mut terminal = ratatui::init();
    let mut events = EventStream::new();
    let mut screen = SignIn::new(
        target.to_string(),
        opts.no_color || no_color_env(),
        Utc::now(),
    );
    let result = loop {
        match attempt(auth, &mut terminal, &mut events, &mut screen).await {
            Ok(Outcome::Done(s)) => break Ok(Some(*s)),
            Ok(Outcome::Quit) => break Ok(None),
            // `update` already reset the screen for the new attempt.
            Ok(Outcome::Retry) => {}
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
    screen: &mut SignIn,
) -> color_eyre::Result<Outcome> {
    let (prompt_tx, mut prompt_rx) = mpsc::unbounded_channel();
    let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
    let mut cancel_tx = Some(cancel_tx);
    let sign_in = auth.sign_in_interactive(
        move |p| {
            // The screen is gone only when this attempt is over: nothing left to show it on.
            let _ = prompt_tx.send(p);
        },
        async move {
            // A dropped sender means the attempt ended some other way; either way, stop.
            let _ = cancel_rx.await;
        },
    );
    tokio::pin!(sign_in);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut finished = false;
    loop {
        terminal.draw(|f| draw(&screen.view, f))?;
        let msg = tokio::select! {
            r = &mut sign_in, if !finished => {
                finished = true;
                match r {
                    Ok(s) => return Ok(Outcome::Done(Box::new(s))),
                    Err(AuthError::Cancelled) => return Ok(Outcome::Quit),
                    Err(e) => SignInMsg::Failed(e.to_string()),
                }
            }
            Some(p) = prompt_rx.recv() => SignInMsg::Prompt(p),
            _ = tick.tick() => SignInMsg::Tick(Utc::now()),
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => SignInMsg::Key(k),
                // The terminal went away: nobody is left to sign in.
                None => return Ok(Outcome::Quit),
                _ => continue,
            },
        };
        match update(screen, msg) {
            None => {}
            Some(SignInEffect::Quit) => return Ok(Outcome::Quit),
            Some(SignInEffect::Retry) => return Ok(Outcome::Retry),
            Some(SignInEffect::Cancel) => {
                if let Some(tx) = cancel_tx.take() {
                    // The attempt may have ended meanwhile; then there is nothing to cancel.
                    let _ = tx.send(());
                }
            }
            Some(SignInEffect::Copy(code)) => {
                // A terminal without OSC 52 ignores it; the code stays on screen either way.
                let _ = crate::clipboard::copy(&mut io::stdout(), code.as_bytes());
            }
        }
    }
}
