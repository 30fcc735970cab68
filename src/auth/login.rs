//! `undelete login` and `undelete logout` (on several tenants: `login_tenants`).
//!
//! login: a device-code sign-in on the terminal (the code is copied with OSC 52 when stderr is a
//! terminal), then the refresh token goes to the cache and the permission self-check runs. With
//! app credentials configured there is nothing to log in to: the credentials are tried instead,
//! so a wrong secret or a missing permission shows up now rather than mid-restore.

use std::future::Future;
use std::io::{IsTerminal, Write};

use super::claims::Warning;
use super::oauth::AuthError;
use super::signin::{AuthContext, Method, SignedIn};
use crate::config::Settings;

pub async fn login(settings: &Settings) -> color_eyre::Result<u8> {
    let tty = std::io::stderr().is_terminal();
    if !settings.more_tenants.is_empty() {
        return Ok(super::login_tenants::run_login(
            settings,
            &mut std::io::stdout(),
            &mut std::io::stderr(),
            tty,
            ctrl_c(),
        )
        .await);
    }
    let ctx = match AuthContext::from_settings(settings) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("undelete: {e}");
            return Ok(2);
        }
    };
    let code = run_login(
        &ctx,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
        tty,
        ctrl_c(),
    )
    .await;
    Ok(code)
}

pub async fn logout(settings: &Settings) -> color_eyre::Result<u8> {
    if !settings.more_tenants.is_empty() {
        return Ok(super::login_tenants::run_logout(
            settings,
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        ));
    }
    let ctx = match AuthContext::from_settings(settings) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("undelete: {e}");
            return Ok(2);
        }
    };
    Ok(run_logout(
        &ctx,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    ))
}

/// Resolves on Ctrl-C; never, if the signal cannot be watched (rather than cancelling at once).
pub(super) async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The body of `undelete login`, with its streams and cancel signal passed in for tests.
/// Results go to `out`; prompts, progress and warnings to `err`. Returns the exit code.
pub async fn run_login<C: Future<Output = ()>>(
    ctx: &AuthContext,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    tty: bool,
    cancel: C,
) -> u8 {
    let result = match ctx.method() {
        Method::Delegated => device_code_login(ctx, err, tty, cancel).await,
        Method::ClientSecret | Method::Certificate(_) => app_only_check(ctx, err).await,
    };
    match result {
        Ok(signed_in) => {
            let _ = writeln!(out, "Signed in: {}", signed_in.identity.header());
            if signed_in.identity.mode == super::claims::Mode::Delegated {
                let _ = writeln!(
                    err,
                    "The sign-in is saved in {} (readable only by you); `undelete logout` forgets it.",
                    ctx.cache.path().display()
                );
            }
            report_warnings(err, &signed_in.warnings);
            if let Some(w) = &signed_in.tap_warning {
                let _ = writeln!(
                    err,
                    "Optional: the Temporary Access Pass hand-off is unavailable: {w}"
                );
            }
            for w in &signed_in.optional_warnings {
                let _ = writeln!(err, "Optional: {w}");
            }
            0
        }
        Err(AuthError::Cancelled) => {
            let _ = writeln!(err, "undelete: sign-in cancelled; nothing was saved");
            1
        }
        Err(e) => {
            let _ = writeln!(err, "undelete: sign-in failed: {e}");
            1
        }
    }
}

pub(super) async fn device_code_login<C: Future<Output = ()>>(
    ctx: &AuthContext,
    err: &mut (dyn Write + Send),
    tty: bool,
    cancel: C,
) -> Result<SignedIn, AuthError> {
    let flow = ctx.start_device_code().await?;
    let prompt = flow.prompt().clone();
    let _ = writeln!(err, "{}", prompt.message);
    if tty {
        // The code is not a secret: it is useless without the admin's own browser sign-in.
        let _ = crate::clipboard::copy(err, prompt.user_code.as_bytes());
        let _ = writeln!(
            err,
            "Code {} copied to the clipboard (if your terminal allows it).",
            prompt.user_code
        );
    } else {
        let _ = writeln!(err, "Code: {}", prompt.user_code);
    }
    let seconds = (prompt.expires_at - chrono::Utc::now())
        .num_seconds()
        .max(60);
    let minutes = (seconds + 59) / 60;
    let _ = writeln!(
        err,
        "Waiting for the sign-in (the code is valid for {minutes} min; Ctrl-C cancels)..."
    );
    let _ = err.flush();
    let tokens = flow.wait_or_cancel(cancel).await?;
    ctx.finish_sign_in(tokens)
}

pub(super) async fn app_only_check(
    ctx: &AuthContext,
    err: &mut (dyn Write + Send),
) -> Result<SignedIn, AuthError> {
    let how = match ctx.method() {
        Method::Certificate(path) => format!("certificate {}", path.display()),
        _ => format!("{} secret", super::signin::SECRET_ENV),
    };
    let _ = writeln!(
        err,
        "App-only credentials are configured ({how}); they need no login and nothing is cached. \
         Checking that they work..."
    );
    ctx.resolve()
        .await?
        .ok_or_else(|| AuthError::Config("app credentials gave no token".into()))
}

fn report_warnings(err: &mut (dyn Write + Send), warnings: &[Warning]) {
    if warnings.is_empty() {
        let _ = writeln!(err, "Permissions: everything undelete needs is granted.");
        return;
    }
    let _ = writeln!(
        err,
        "Permission check: {} found before you try:",
        crate::text::count(warnings.len(), "problem", "problems")
    );
    for w in warnings {
        let _ = writeln!(err, "  ! {w}");
    }
}

/// The body of `undelete logout`. Returns the exit code.
pub fn run_logout(
    ctx: &AuthContext,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> u8 {
    match ctx.logout() {
        Ok(0) => {
            let _ = writeln!(
                out,
                "Nothing to forget: no saved sign-in for tenant {} with client {}.",
                ctx.tenant(),
                ctx.client_id
            );
            0
        }
        Ok(n) => {
            let _ = writeln!(
                out,
                "Forgot {} for tenant {} with client {}.",
                crate::text::count(n, "saved sign-in", "saved sign-ins"),
                ctx.tenant(),
                ctx.client_id
            );
            let _ = writeln!(
                err,
                "To also end the session on Microsoft's side, revoke the sessions of the account \
                 (Entra admin center > Users > Revoke sessions)."
            );
            0
        }
        Err(e) => {
            let _ = writeln!(err, "undelete: logout failed: {e}");
            1
        }
    }
}
