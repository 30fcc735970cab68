//! `undelete login` and `logout` on several tenants (`--tenant A --tenant B`, `--all-tenants`).
//!
//! login: one device-code sign-in at the partner's home (`config::tenants::home`), then each
//! tenant's token at the tenant's own authority, as a run on it signs in: its own saved
//! sign-in (kept apart in the cache, keyed by its tenant), else the home's redeemed there;
//! app-only tenants have their credentials tried at their authority. One line per tenant on
//! stdout; a tenant that refuses is named with Entra's reason and the others go on. logout
//! forgets the asked tenants' saved sign-ins and nothing else.

use std::future::Future;
use std::io::Write;

use futures::StreamExt;

use super::login::{app_only_check, device_code_login};
use super::oauth::AuthError;
use super::signin::{AuthContext, Method, SignedIn};
use crate::config::Settings;
use crate::config::tenants::OPEN_AT_ONCE;
use crate::config::tenants::home;

/// One tenant of the run: how it is named, and its sign-in context (or why it has none).
struct Tenant {
    label: String,
    ctx: Result<AuthContext, AuthError>,
}

fn tenants(settings: &Settings) -> Vec<Tenant> {
    settings
        .tenants()
        .into_iter()
        .map(|t| Tenant {
            label: t.tenant_label(),
            ctx: AuthContext::from_settings(t),
        })
        .collect()
}

/// The first usage error among the tenants' settings: the run stops before anything.
fn usage_error(tenants: &[Tenant], err: &mut (dyn Write + Send)) -> Option<u8> {
    let (label, e) = tenants.iter().find_map(|t| match &t.ctx {
        Err(e @ AuthError::Config(_)) => Some((&t.label, e)),
        _ => None,
    })?;
    let _ = writeln!(err, "undelete: {label}: {e}");
    Some(2)
}

/// The body of `undelete login` on several tenants, streams and cancel passed in for tests.
/// Exit code: 0 when every tenant is signed in, 1 when any is not (each named), 2 for a
/// usage error.
pub async fn run_login<C: Future<Output = ()>>(
    settings: &Settings,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    tty: bool,
    cancel: C,
) -> u8 {
    let tenants = tenants(settings);
    if let Some(code) = usage_error(&tenants, err) {
        return code;
    }
    let delegated = tenants.iter().any(|t| {
        t.ctx
            .as_ref()
            .is_ok_and(|c| *c.method() == Method::Delegated)
    });
    // The one interactive sign-in, at the partner's home, when any tenant signs in as the
    // admin; every delegated tenant's token then comes from it.
    let home = match (delegated, home(settings)) {
        (false, _) => None,
        (true, None) => {
            let _ = writeln!(
                err,
                "undelete: no partner home to sign in at: set partner-tenant in the settings file"
            );
            return 2;
        }
        (true, Some(home)) => {
            let ctx = match AuthContext::from_settings(&home) {
                Ok(ctx) => ctx,
                Err(e) => {
                    let _ = writeln!(err, "undelete: the partner's home: {e}");
                    return e.exit_code();
                }
            };
            let _ = writeln!(
                err,
                "Signing in once at the partner's home tenant {}, for {}.",
                ctx.tenant(),
                crate::text::count(tenants.len(), "tenant", "tenants")
            );
            match device_code_login(&ctx, err, tty, cancel).await {
                Ok(signed_in) => Some((ctx, signed_in)),
                Err(AuthError::Cancelled) => {
                    let _ = writeln!(err, "undelete: sign-in cancelled; nothing was saved");
                    return 1;
                }
                Err(e) => {
                    let _ = writeln!(
                        err,
                        "undelete: sign-in failed at the partner's home {}: {e}",
                        ctx.tenant()
                    );
                    return 1;
                }
            }
        }
    };
    let home_tenant = home.as_ref().map(|(ctx, _)| ctx.tenant().to_string());
    let mut home_signed_in = home.map(|(_, s)| s);
    // Each tenant at its own authority, a few at a time, reported in the run's order.
    let results: Vec<(String, Result<SignedIn, AuthError>)> =
        futures::stream::iter(tenants.into_iter().map(|t| {
            let is_home = t.ctx.as_ref().is_ok_and(|c| {
                *c.method() == Method::Delegated
                    && home_tenant
                        .as_deref()
                        .is_some_and(|h| h.eq_ignore_ascii_case(c.tenant()))
            });
            let signed_in_home = if is_home { home_signed_in.take() } else { None };
            async move {
                let result = match (t.ctx, signed_in_home) {
                    (_, Some(home)) => Ok(home),
                    (Err(e), None) => Err(e),
                    (Ok(ctx), None) => sign_in_one(&ctx).await,
                };
                (t.label, result)
            }
        }))
        .buffered(OPEN_AT_ONCE)
        .collect()
        .await;
    report(&results, out, err)
}

/// One tenant after the home's sign-in, as a run on it would sign in (`AuthContext::resolve`):
/// its app-only credentials tried, or its own saved sign-in, else the home's redeemed at its
/// authority (the refresh token that comes back stays the home's: one sign-in for all).
async fn sign_in_one(ctx: &AuthContext) -> Result<SignedIn, AuthError> {
    if *ctx.method() != Method::Delegated {
        return app_only_check(ctx, &mut std::io::sink()).await;
    }
    ctx.resolve().await?.ok_or_else(|| {
        AuthError::Config(format!(
            "no saved sign-in reaches {}: the partner's home sign-in was not kept",
            ctx.tenant()
        ))
    })
}

/// One line per tenant on `out`, the warnings on `err` (each once, naming the tenants it is
/// about: fifty tenants of one partner mostly share them), and the exit code.
fn report(
    results: &[(String, Result<SignedIn, AuthError>)],
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> u8 {
    let mut refused = Vec::new();
    let mut signed_in = 0;
    // Each warning's words, and the tenants it is said of, in the order first met.
    let mut warnings: Vec<(String, Vec<&str>)> = Vec::new();
    for (label, result) in results {
        match result {
            Ok(s) => {
                signed_in += 1;
                let _ = writeln!(out, "{label}: signed in: {}", s.identity.header());
                let said = s.warnings.iter().map(|w| format!("! {w}")).chain(
                    s.tap_warning
                        .iter()
                        .chain(&s.optional_warnings)
                        .map(|w| format!("Optional: {w}")),
                );
                for words in said {
                    match warnings.iter_mut().find(|(w, _)| *w == words) {
                        Some((_, tenants)) => tenants.push(label),
                        None => warnings.push((words, vec![label.as_str()])),
                    }
                }
            }
            Err(e) => {
                let _ = writeln!(out, "{label}: not signed in: {e}");
                refused.push(label.as_str());
            }
        }
    }
    for (words, tenants) in &warnings {
        let whom = if tenants.len() == signed_in && signed_in > 1 {
            "every tenant signed in".to_string()
        } else {
            tenants.join(", ")
        };
        let _ = writeln!(err, "{whom}: {words}");
    }
    if refused.is_empty() {
        return 0;
    }
    let _ = writeln!(
        err,
        "undelete: {} of {} not signed in: {}",
        refused.len(),
        crate::text::count(results.len(), "tenant", "tenants"),
        refused.join(", ")
    );
    1
}

/// The body of `undelete logout` on several tenants: each asked tenant's saved sign-ins
/// forgotten, one line each; the partner's home's only when it is one of them (a home not
/// asked is kept, and said, since its sign-in still reaches the others through GDAP).
pub fn run_logout(
    settings: &Settings,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
) -> u8 {
    let tenants = tenants(settings);
    if let Some(code) = usage_error(&tenants, err) {
        return code;
    }
    let mut failed = false;
    let mut forgot = 0;
    for t in &tenants {
        let Ok(ctx) = &t.ctx else { continue };
        match ctx.logout() {
            Ok(0) => {
                let _ = writeln!(out, "{}: nothing to forget", t.label);
            }
            Ok(n) => {
                forgot += n;
                let _ = writeln!(
                    out,
                    "{}: forgot {}",
                    t.label,
                    crate::text::count(n, "saved sign-in", "saved sign-ins")
                );
            }
            Err(e) => {
                failed = true;
                let _ = writeln!(out, "{}: logout failed: {e}", t.label);
            }
        }
    }
    let asked = |tenant: &str| {
        tenants.iter().any(|t| {
            t.ctx
                .as_ref()
                .is_ok_and(|c| c.tenant().eq_ignore_ascii_case(tenant))
        })
    };
    if let Some(home) = home(settings)
        && let Ok(ctx) = AuthContext::from_settings(&home)
        && !asked(ctx.tenant())
        && ctx
            .cache
            .find(&ctx.cloud_key, ctx.tenant(), &ctx.client_id, None)
            .is_ok_and(|f| f.is_some())
    {
        let _ = writeln!(
            err,
            "The partner's home {h} keeps its saved sign-in (not asked), which still reaches \
             these tenants through GDAP: `undelete logout --tenant {h}` forgets it.",
            h = ctx.tenant()
        );
    }
    if forgot > 0 {
        let _ = writeln!(
            err,
            "To also end the session on Microsoft's side, revoke the sessions of the account \
             (Entra admin center > Users > Revoke sessions)."
        );
    }
    u8::from(failed)
}
