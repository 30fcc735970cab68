//! The sign-in screen's attempts, each on a background task: the credentials that need no
//! admin (app-only, or a saved sign-in) first, then a device-code sign-in that reports its
//! prompt; then either the opened session (the opened tenants, on a run on several) or why
//! it ended.

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

use crate::app::msg::Msg;
use crate::app::sessions::Unopened;
use crate::app::sign_in::SignInFailure;
use crate::auth::{AuthContext, AuthError, SignedIn};
use crate::config::Settings;

pub(super) struct SignInAttempts {
    auth: AuthContext,
    /// The run's settings, for the session a sign-in opens.
    settings: Settings,
    /// Set to end the attempt in flight (Esc). Replacing or dropping it ends that attempt
    /// silently: a newer one (or none, when the app ends) is all that is reported.
    cancel: Option<watch::Sender<bool>>,
}

impl SignInAttempts {
    pub(super) fn new(auth: AuthContext, settings: Settings) -> Self {
        Self {
            auth,
            settings,
            cancel: None,
        }
    }

    /// Starts an attempt off the UI thread.
    pub(super) fn start(&mut self, tx: &UnboundedSender<Msg>) {
        let (cancel, mut cancelled) = watch::channel(false);
        self.cancel = Some(cancel);
        let auth = self.auth.clone();
        let settings = self.settings.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let prompt_tx = tx.clone();
            let attempt = async {
                // App-only credentials, or a saved sign-in: no code to show.
                if let Some(signed_in) = auth.resolve().await? {
                    return Ok(signed_in);
                }
                auth.sign_in_interactive(
                    move |prompt| {
                        // The loop ended: nothing is left to show the code on.
                        let _ = prompt_tx.send(Msg::SignInPrompt(prompt));
                    },
                    // Cancelling is the select below, so it also stops the request for a code.
                    std::future::pending(),
                )
                .await
            };
            let result = tokio::select! {
                r = attempt => r,
                asked = cancelled.wait_for(|c| *c) => match asked {
                    Ok(_) => Err(AuthError::Cancelled),
                    // Superseded or the app is ending: nobody waits for this attempt.
                    Err(_) => return,
                },
            };
            let msg = match result {
                Ok(signed_in) => hand_over(&settings, &auth, signed_in).await,
                Err(AuthError::Cancelled) => Msg::SignInCancelled,
                Err(e) => {
                    tracing::warn!(error = %e, "sign-in failed");
                    Msg::SignInFailed(SignInFailure::from_auth(&e))
                }
            };
            let _ = tx.send(msg);
        });
    }

    /// Stops the attempt waiting for the browser; it then reports `SignInCancelled`.
    pub(super) fn cancel(&self) {
        if let Some(cancel) = &self.cancel {
            // The attempt may have ended meanwhile; then there is nothing to cancel.
            let _ = cancel.send(true);
        }
    }
}

/// Signed in: the session on the tenant signed in to; on a run on several tenants (signed in
/// at the partner's home), every tenant opened with that sign-in, saved now, as a run on
/// them would open them (`session::open_tenants`, a few at a time).
async fn hand_over(settings: &Settings, auth: &AuthContext, signed_in: SignedIn) -> Msg {
    if settings.more_tenants.is_empty() {
        return match crate::session::signed_in_session(settings, auth, signed_in, true) {
            Ok(session) => Msg::SignedIn(session),
            Err(e) => Msg::SignInFailed(SignInFailure::other(format!("{e:#}"))),
        };
    }
    drop(signed_in);
    match crate::session::open_tenants(settings, true).await {
        Ok(tenants) => {
            let (open, unopened) = Unopened::split(tenants);
            if open.is_empty() {
                tracing::warn!("signed in, and no tenant could be opened");
                Msg::SignInFailed(SignInFailure::no_tenant(auth.tenant(), &unopened))
            } else {
                Msg::SignedInTenants { open, unopened }
            }
        }
        Err(e) => Msg::SignInFailed(SignInFailure::other(format!("{e:#}"))),
    }
}
