//! A restore (or purge) of users marked in several tenants: asked once ("Restore 12 users in
//! 3 tenants?"), then done tenant by tenant, each in its own session with its own dialog,
//! password rules, recipients, write quota and result, since no tenant's token may touch
//! another's users. The choices made in one tenant's dialog are offered in the next; the end
//! says what each tenant came to.

use super::effect::Effect;
use super::modal::Modal;
use super::sessions::SessionId;
use super::state::{NoticeKind, State};

/// What is done in each tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Restore,
    Purge,
}

impl Work {
    fn verb(self) -> &'static str {
        match self {
            Work::Restore => "Restore",
            Work::Purge => "Purge",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Work::Restore => "restored",
            Work::Purge => "purged",
        }
    }
}

/// One tenant of the run: its session, its name and how many of its users are marked.
#[derive(Debug, Clone)]
pub struct Part {
    pub id: SessionId,
    pub tenant: String,
    pub users: usize,
}

/// The restore dialog's choices the next tenant's dialog starts from (never a typed
/// password: each tenant has its own rules, and a password typed is not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choices {
    pub auto_password: bool,
    pub force_change: bool,
    pub force_change_mfa: bool,
    pub include_password: bool,
    pub tap: bool,
}

/// The run across tenants, from the question to the last tenant's result.
#[derive(Debug, Clone)]
pub struct TenantRuns {
    pub work: Work,
    pub parts: Vec<Part>,
    /// The part being done; `None` while the question is asked.
    pub at: Option<usize>,
    /// The part's dialog started its work (the progress, the result or the purge running).
    started: bool,
    /// What the part's work came to, in words, once known ("5 of 5 restored").
    came_to: Option<String>,
    /// What each part done came to: "Contoso: 5 of 5 restored".
    pub done: Vec<String>,
    pub choices: Option<Choices>,
}

impl TenantRuns {
    pub fn users(&self) -> usize {
        self.parts.iter().map(|p| p.users).sum()
    }

    /// "Restore 12 users in 3 tenants?"
    pub fn question(&self) -> String {
        format!(
            "{} {} in {} tenants?",
            self.work.verb(),
            crate::text::count(self.users(), "user", "users"),
            self.parts.len()
        )
    }

    /// "tenant 2 of 3", for the dialog's title.
    pub fn place(&self) -> Option<String> {
        self.at
            .map(|i| format!("tenant {} of {}", i + 1, self.parts.len()))
    }
}

/// The tenants with marked users, in the run's order, when there are several: the table across
/// tenants marks in many at once.
pub fn marked_parts(state: &State) -> Vec<Part> {
    state
        .sessions
        .iter()
        .filter(|s| s.users.marked_count() > 0)
        .map(|s| Part {
            id: s.id(),
            tenant: s.facts.tenant().to_string(),
            users: s.users.marked_count(),
        })
        .collect()
}

/// Restore (or purge) with the table across tenants on screen: marks in several tenants ask
/// the question; marks in one tenant are that tenant's work, whichever row the cursor is on.
/// `None` when the tenant on screen does it alone, as with one tenant.
pub fn begin(state: &mut State, work: Work) -> Option<Vec<Effect>> {
    if !super::all_tenants::on(state) {
        return None;
    }
    let parts = marked_parts(state);
    match parts.as_slice() {
        [] => None,
        [one] => {
            state.sessions.show(one.id);
            None
        }
        _ => {
            state.notice = None;
            state.tenant_runs = Some(TenantRuns {
                work,
                parts,
                at: None,
                started: false,
                came_to: None,
                done: Vec::new(),
                choices: None,
            });
            state.modal = Some(Modal::TenantRuns);
            Some(Vec::new())
        }
    }
}

/// The question's answer: yes starts with the first tenant; no leaves every mark as it was.
pub fn answer(state: &mut State, yes: bool) -> Vec<Effect> {
    state.modal = None;
    if !yes {
        state.tenant_runs = None;
        return Vec::new();
    }
    next(state)
}

/// After any change: the part under way notes how far it got; once its dialog is closed the
/// next tenant's opens, or the run ends with what each tenant came to.
pub fn settle(state: &mut State) -> Vec<Effect> {
    let Some(runs) = &mut state.tenant_runs else {
        return Vec::new();
    };
    if runs.at.is_none() {
        return Vec::new();
    }
    match &state.modal {
        Some(Modal::Restore(form)) => {
            runs.choices = Some(Choices {
                auto_password: form.auto_password,
                force_change: form.force_change,
                force_change_mfa: form.force_change_mfa,
                include_password: form.include_password,
                tap: form.tap,
            });
            Vec::new()
        }
        Some(Modal::Progress(_)) => {
            runs.started = true;
            Vec::new()
        }
        Some(Modal::Result(r)) => {
            runs.started = true;
            // As it stands when it closes: a mail on its way closes it once sent; otherwise it
            // closes holding passwords nobody was given, or none.
            let unsent = r.holds_passwords() && !r.sending;
            runs.came_to = Some(format!(
                "{} of {}{}",
                r.restored(),
                r.outcomes.len(),
                if unsent {
                    " (sign-in info not sent)"
                } else {
                    ""
                }
            ));
            Vec::new()
        }
        Some(Modal::Purge(p)) => {
            runs.started |= p.running;
            Vec::new()
        }
        // Help over a dialog, the tenants pane: nothing moves.
        Some(_) => Vec::new(),
        None if runs.started => {
            let came_to = runs.came_to.take().or_else(|| {
                // A purge says what it came to on the status line.
                state.notice.as_ref().map(|(_, text)| {
                    text.trim_start_matches("✓ ")
                        .trim_end_matches('.')
                        .to_string()
                })
            });
            let at = runs.at.unwrap_or(0);
            let part = &runs.parts[at];
            runs.done.push(format!(
                "{}: {}",
                part.tenant,
                came_to.unwrap_or_else(|| runs.work.done().to_string())
            ));
            next(state)
        }
        None => {
            // The admin closed the tenant's dialog without starting: the run stops there, and
            // the tenants not done keep their marks.
            let runs = state.tenant_runs.take();
            if let Some(runs) = runs {
                let at = runs.at.unwrap_or(0);
                let left: Vec<&str> = runs.parts[at..].iter().map(|p| p.tenant.as_str()).collect();
                let mut words = format!(
                    "Stopped: nothing {} in {} (their marks are kept).",
                    runs.work.done(),
                    left.join(", ")
                );
                if !runs.done.is_empty() {
                    words.push_str(&format!(" Done: {}.", runs.done.join(" · ")));
                }
                state.notice = Some((NoticeKind::Info, words));
            }
            Vec::new()
        }
    }
}

/// Opens the next tenant's dialog over its marked users, or ends the run. A tenant that
/// cannot start (read-only, held by another run) is passed with why, and the next goes on.
fn next(state: &mut State) -> Vec<Effect> {
    loop {
        let Some(runs) = &mut state.tenant_runs else {
            return Vec::new();
        };
        let at = runs.at.map_or(0, |i| i + 1);
        runs.at = Some(at);
        runs.started = false;
        runs.came_to = None;
        let Some(part) = runs.parts.get(at).cloned() else {
            let runs = state.tenant_runs.take();
            if let Some(runs) = runs {
                let words = format!(
                    "{} across {} tenants done: {}.",
                    runs.work.verb(),
                    runs.parts.len(),
                    runs.done.join(" · ")
                );
                // The status line may cut it; the log keeps it whole.
                tracing::info!("{words}");
                state.notice = Some((NoticeKind::Info, words));
            }
            return Vec::new();
        };
        let (work, choices) = (runs.work, runs.choices);
        if !state.sessions.show(part.id) {
            skip(state, &part, "the tenant is no longer open".into());
            continue;
        }
        state.notice = None;
        let effects = match work {
            Work::Restore => super::modal::restore::open_restore(state),
            Work::Purge => super::home::open_purge(state),
        };
        if state.modal.is_none() {
            let why = state
                .notice
                .as_ref()
                .map_or_else(|| "nothing to do".to_string(), |(_, t)| t.clone());
            skip(state, &part, why);
            continue;
        }
        if let (Some(Modal::Restore(form)), Some(c)) = (&mut state.modal, choices) {
            form.auto_password = c.auto_password;
            form.force_change = c.force_change;
            form.force_change_mfa = c.force_change_mfa;
            form.include_password = c.include_password;
            // A pass stays chosen unless this tenant is known to issue none.
            form.tap = c.tap
                && form.tap_status.as_ref().is_none_or(|t| {
                    matches!(t, crate::directory::tap::TapAvailability::Available(_))
                });
        }
        // The tenant's own work, whatever session the message that got here came from.
        return effects
            .into_iter()
            .map(|e| Effect::In(part.id, Box::new(e)))
            .collect();
    }
}

fn skip(state: &mut State, part: &Part, why: String) {
    if let Some(runs) = &mut state.tenant_runs {
        runs.done
            .push(format!("{}: not {} ({why})", part.tenant, runs.work.done()));
    }
}
