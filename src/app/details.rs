//! The details pane's content as data: what it says about the selected user, line by line,
//! fitted to the pane's width. `ui` styles these lines; `update` counts them to bound the
//! scroll, so both see the same lines.

use ratatui::layout::Rect;

use super::effect::Effect;
use super::layout;
use super::sessions::OffboardingRead;
use super::state::State;
use crate::conflicts::{DeletedBy, SourceStatus};
use crate::directory::DeletedUser;
use crate::text::{ago, pad, wrap_at_breaks, wrap_words};

/// One screen row of the details pane; the variant says how it is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailLine {
    /// The user's name.
    Title(String),
    Warning(String),
    /// A label, padded to the label column, with its value beside it.
    Field {
        label: String,
        value: String,
    },
    /// A label whose value was too wide and follows below it.
    Label(String),
    Plain(String),
}

/// How far the details pane can scroll at the current terminal size: its lines beyond the
/// pane's height (0 when closed or when everything fits).
pub fn max_scroll(state: &State) -> usize {
    let area = Rect::new(0, 0, state.size.0, state.size.1);
    let Some(details) = layout::layout(state, area).and_then(|a| a.details) else {
        return 0;
    };
    let inner = layout::inside_border(details);
    lines(state, inner.width)
        .len()
        .saturating_sub(usize::from(inner.height))
}

/// The pane's lines for a pane `cols` columns wide, each already fitted to it, so the count
/// of lines is the count of screen rows (what scrolling is measured in).
pub fn lines(state: &State, cols: u16) -> Vec<DetailLine> {
    let Some(user) = state.session().users.current() else {
        return vec![DetailLine::Plain("No user selected.".into())];
    };
    let now = state.now;
    let w = usize::from(cols);
    let label_w = 14.min(w / 2);
    let value_w = w.saturating_sub(label_w).max(1);
    let mut all: Vec<DetailLine> = wrap_words(&user.display_name, w.max(1))
        .into_iter()
        .map(DetailLine::Title)
        .collect();
    all.extend(warnings(state, &user, w.max(1)));
    // Every value starts in the value column, and one too long for it wraps there, after a
    // dot, `@` or space where it can: ids and user names are never cut in the one place meant
    // to show them whole, and proxy addresses line up however long each is. A pane too
    // narrow for a value column puts each value below its label instead.
    let beside = value_w >= 16;
    let mut field = |label: &str, value: String| {
        if beside {
            for (i, chunk) in wrap_at_breaks(&value, value_w).into_iter().enumerate() {
                all.push(DetailLine::Field {
                    label: pad(if i == 0 { label } else { "" }, label_w),
                    value: chunk,
                });
            }
        } else {
            if !label.is_empty() {
                all.push(DetailLine::Label(label.to_string()));
            }
            for chunk in wrap_at_breaks(&value, w.saturating_sub(2).max(1)) {
                all.push(DetailLine::Plain(format!("  {chunk}")));
            }
        }
    };
    // Which tenant a restore or purge of this user acts in, where several are open (the
    // table's Tenant column gives way on a narrow screen).
    if state.sessions.several() {
        field("Tenant", state.session().facts.tenant().to_string());
    }
    // What decides the restore first (the pane is short on small terminals), ids last.
    field("User name", user.original_upn.clone());
    for (label, value) in purge_fields(state, &user) {
        field(label, value);
    }
    field(
        "Deleted",
        match user.deleted_at {
            Some(d) => format!("{} ({})", d.format("%Y-%m-%d %H:%M UTC"), ago(Some(d), now)),
            None => "—".into(),
        },
    );
    for (label, value) in deleted_by(state, &user) {
        field(label, value);
    }
    field("Conflicts", conflicts_summary(state, &user));
    let (label, values) = offboarding(state, &user.id);
    for (i, value) in values.into_iter().enumerate() {
        field(if i == 0 { label } else { "" }, value);
    }
    // Only when the listing said so: most accounts are enabled, and a line each would push
    // the rest down.
    if user.account_disabled {
        field(
            "Account",
            "disabled: a restore keeps it so, and sign-in fails until it is enabled".into(),
        );
    }
    for problem in state.session().sweep.problems() {
        field("", format!("not checked: {problem}"));
    }
    for (label, value) in identity_fields(&user) {
        field(label, value);
    }
    all
}

/// How long the user has, and when it is purged: local time first (what the admin plans
/// by), then UTC (what Graph and tickets say).
fn purge_fields(
    state: &State,
    user: &crate::directory::DeletedUser,
) -> Vec<(&'static str, String)> {
    let Some(t) = user.time_left(state.now) else {
        return vec![("Purged on", "—".into())];
    };
    let mut out = vec![(
        "Time left",
        if t.is_overdue() {
            "overdue: Entra may purge it any moment".into()
        } else {
            t.to_string()
        },
    )];
    if t.is_overdue() {
        // Once the account is gone for good, only Exchange can bring the mail back.
        out.push(("", MAILBOX_AFTER_PURGE.into()));
    }
    let local = t.purge_at().with_timezone(&state.settings.local_offset);
    out.push((
        "Purged on",
        format!("≈ {} local", local.format("%Y-%m-%d %H:%M")),
    ));
    out.push((
        "",
        format!("≈ {}", t.purge_at().format("%Y-%m-%d %H:%M UTC")),
    ));
    out
}

/// Who the user is, as the listing says: where it lives, its kind, its addresses, its ids.
fn identity_fields(user: &crate::directory::DeletedUser) -> Vec<(&'static str, String)> {
    let opt = |v: &Option<String>| {
        v.clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "—".into())
    };
    let mut out = vec![
        (
            "On-premises",
            if user.on_premises_sync_enabled {
                "synced from on-premises AD".into()
            } else {
                "cloud only".into()
            },
        ),
        (
            "Type",
            if user.is_guest() {
                "Guest".into()
            } else {
                opt(&user.user_type).replace('—', "Member")
            },
        ),
        ("Mail", opt(&user.mail)),
        ("Department", opt(&user.department)),
        ("Job title", opt(&user.job_title)),
    ];
    match user.proxy_addresses.split_first() {
        None => out.push(("Proxy addr.", "—".into())),
        Some((first, rest)) => {
            out.push(("Proxy addr.", first.clone()));
            out.extend(rest.iter().map(|p| ("", p.clone())));
        }
    }
    out.push(("Object id", user.id.clone()));
    out.push(("Deleted UPN", user.deleted_upn.clone()));
    out
}

/// What is left once an account is purged: its mailbox, where Exchange kept it.
pub const MAILBOX_AFTER_PURGE: &str = "once purged, only the mailbox may come back: an inactive \
     mailbox (kept by a hold or retention policy) can be recovered or restored into another \
     from Exchange Online (Get-Mailbox -InactiveMailboxOnly, New-MailboxRestoreRequest; \
     \"Delete or restore user mailboxes in Exchange Online\")";

/// With the pane open on a user whose offboarding is not read yet: the read, once.
pub(super) fn read_offboarding(state: &mut State) -> Option<Effect> {
    if !state.details {
        return None;
    }
    let user = state.session().users.current()?;
    if state.session().offboarding.contains_key(&user.id) {
        return None;
    }
    state
        .session_mut()
        .offboarding
        .insert(user.id.clone(), OffboardingRead::Reading);
    Some(Effect::ReadOffboarding {
        users: vec![crate::offboarding::read::Deleted {
            id: user.id.clone(),
            deleted_at: user.deleted_at,
        }],
    })
}

/// What an offboarding took from the user, a value a line: who and how long before the
/// deletion first, then each thing (a group gone since is said so; roles are marked).
fn offboarding(state: &State, id: &str) -> (&'static str, Vec<String>) {
    const LABEL: &str = "Offboarding";
    let found = match state.session().offboarding.get(id) {
        None => return (LABEL, vec!["i shows what it took (audit log)".into()]),
        Some(OffboardingRead::Reading) => {
            return (LABEL, vec!["reading the audit log…".into()]);
        }
        Some(OffboardingRead::Failed(why)) => return (LABEL, vec![format!("unknown: {why}")]),
        Some(OffboardingRead::Found(f)) => f,
    };
    let t = &found.taken;
    if t.is_empty() {
        return (LABEL, vec![found.nothing_taken()]);
    }
    let before = t
        .first_at()
        .map(|at| crate::text::span(found.to - at))
        .unwrap_or_default();
    let mut out = vec![format!(
        "took, {before} before the deletion, by {}:",
        t.actors().join(", ")
    )];
    for g in &t.groups {
        let name = found.group_name(&g.id).unwrap_or_else(|| g.id.clone());
        let what = if g.owner { "owner of" } else { "group" };
        out.push(if found.group_gone(&g.id) {
            format!("{what} {name} (deleted since)")
        } else {
            format!("{what} {name}")
        });
    }
    for l in &t.licences {
        out.push(format!(
            "licence {}",
            l.licence.sku_name.as_deref().unwrap_or(&l.licence.sku_id)
        ));
    }
    if let Some(step) = &t.sign_in {
        out.push(format!(
            "sign-in: blocked {} by {}",
            step.at.format("%Y-%m-%d"),
            step.by
        ));
    }
    for r in &t.roles {
        let name = r
            .name
            .clone()
            .or_else(|| r.template_id.clone())
            .unwrap_or_default();
        let privileged = r
            .template_id
            .as_deref()
            .is_some_and(crate::offboarding::roles::is_privileged);
        out.push(if privileged {
            format!("role {name} (privileged)")
        } else {
            format!("role {name}")
        });
    }
    (LABEL, out)
}

/// The user's conflicts (each holder, and what the restore dialog will offer for it), and a
/// deletion by the sync service, as warnings `w` columns wide.
fn warnings(state: &State, user: &DeletedUser, w: usize) -> Vec<DetailLine> {
    let id = user.id.as_str();
    let mut all = Vec::new();
    let swept = state.session().sweep.conflicts_of(user);
    if !swept.is_empty() {
        // Each holder by kind, name and id, and what the restore dialog will offer for it
        // (pre-flight checks again right before the restore: the sweep may be minutes old).
        for c in &swept {
            all.extend(
                wrap_words(&format!("⚠ {}", c.describe()), w)
                    .into_iter()
                    .map(DetailLine::Warning),
            );
            if let Some(sweep) = &state.session().sweep.sweep {
                all.extend(
                    wrap_words(&format!("  → {}", c.offer(&sweep.index)), w)
                        .into_iter()
                        .map(DetailLine::Plain),
                );
            }
        }
    } else if state.session().users.is_conflict(id) {
        all.extend(
            wrap_words(
                "⚠ Its user name or a proxy address is held by an active user.",
                w,
            )
            .into_iter()
            .map(DetailLine::Warning),
        );
    }
    if state.session().sweep.is_by_sync(id) {
        all.extend(
            wrap_words(
                "⚠ The directory sync service deleted it: restore it in on-premises AD (or its \
                 sync scope) too, or the next sync deletes it again.",
                w,
            )
            .into_iter()
            .map(DetailLine::Warning),
        );
    }
    all
}

/// Who deleted the user, as the audit log says: (label, value) lines for the pane; or why it
/// cannot say (still reading, a permission missing, older than the log keeps).
fn deleted_by(state: &State, user: &DeletedUser) -> Vec<(&'static str, String)> {
    const LABEL: &str = "Deleted by";
    let Some(d) = &state.session().sweep.deletions else {
        let value = if state.session().sweep.busy() {
            "checking the audit log…"
        } else {
            "not checked yet"
        };
        return vec![(LABEL, value.into())];
    };
    match &d.status {
        SourceStatus::NotPermitted { needs } => {
            return vec![(LABEL, format!("unknown — needs {needs}"))];
        }
        SourceStatus::Failed { message } => {
            return vec![(
                LABEL,
                format!("unknown — the audit log could not be read: {message}"),
            )];
        }
        SourceStatus::Read { .. } => {}
    }
    match d.log.lookup(user) {
        DeletedBy::Record(r) => vec![
            (LABEL, r.who.to_string()),
            (
                "",
                format!("{} · {}", r.at.format("%Y-%m-%d %H:%M UTC"), r.result),
            ),
        ],
        DeletedBy::BeyondRetention => vec![(
            LABEL,
            match d.log.oldest() {
                Some(o) => format!(
                    "unknown — the tenant's audit log reaches back only to {}",
                    o.format("%Y-%m-%d")
                ),
                None => "unknown — older than the tenant's audit log keeps".into(),
            },
        )],
        DeletedBy::NotFound => vec![(LABEL, "unknown — not in the audit log".into())],
    }
}

/// The sweep's word on this user's conflicts when it found none (or has not finished).
fn conflicts_summary(state: &State, user: &DeletedUser) -> String {
    use super::sweep::Phase;
    let n = state.session().sweep.conflicts_of(user).len();
    match state.session().sweep.phase {
        _ if n > 0 => format!("{n} (above)"),
        Phase::Idle | Phase::Recalling => "not checked yet".into(),
        Phase::Reading | Phase::Joining => "checking…".into(),
        Phase::Refreshing | Phase::Done => "none found by the sweep".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures;
    use crate::app::msg::{Msg, SessionMsg};
    use crate::app::update::update;
    use crate::offboarding::read::{Found, GroupNow};
    use crate::offboarding::{GroupTaken, RoleTaken, Step, Taken};
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

    fn press(s: &mut State, c: char) -> Vec<Effect> {
        let ev = KeyEvent::new_with_kind(KeyCode::Char(c), KeyModifiers::NONE, KeyEventKind::Press);
        update(s, Msg::Key(ev))
    }

    fn text(s: &State) -> String {
        lines(s, 200)
            .into_iter()
            .map(|l| format!("{l:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_user_past_its_purge_date_points_to_exchange_for_its_mailbox() {
        let now = fixtures::now();
        let mut s = fixtures::blank(now, (120, 40));
        let mut gone = fixtures::user(0, now);
        gone.deleted_at = Some(now - chrono::Duration::days(31));
        let mut fresh = fixtures::user(1, now);
        fresh.deleted_at = Some(now - chrono::Duration::days(2));
        let page = fixtures::news(
            &s,
            SessionMsg::Page {
                generation: 0,
                result: Ok(crate::directory::DeletedPage {
                    users: vec![gone, fresh],
                    total: Some(2),
                }),
            },
        );
        update(&mut s, page);
        let first = text(&s);
        let overdue_first = first.contains("InactiveMailboxOnly");
        press(&mut s, 'j');
        let overdue_second = text(&s).contains("InactiveMailboxOnly");
        assert!(
            overdue_first != overdue_second,
            "said for the overdue user only:\n{first}\n{}",
            text(&s)
        );
    }

    #[test]
    fn the_pane_reads_what_offboarding_took_once_per_user_and_says_it() {
        let mut s = fixtures::state(5, (120, 40));
        let id = s.session().users.current().unwrap().id;
        let effects = press(&mut s, 'i');
        assert!(
            matches!(&effects[..], [Effect::ReadOffboarding { users }] if users.len() == 1 && users[0].id == id),
            "{effects:?}"
        );
        assert!(text(&s).contains("reading the audit log…"));
        // Moving away and back asks for the other user once, and not again for this one.
        assert_eq!(press(&mut s, 'j').len(), 1);
        assert!(press(&mut s, 'k').is_empty());

        let to = fixtures::now();
        let step = Step {
            at: to - chrono::Duration::days(2),
            by: "app HR Offboarding Automation".into(),
        };
        let taken = Taken {
            groups: vec![
                GroupTaken {
                    id: "g1".into(),
                    name: Some("Sales (old name)".into()),
                    owner: false,
                    step: step.clone(),
                },
                GroupTaken {
                    id: "g2".into(),
                    name: Some("Gone Group".into()),
                    owner: true,
                    step: step.clone(),
                },
            ],
            licences: Vec::new(),
            sign_in: Some(step.clone()),
            roles: vec![RoleTaken {
                template_id: Some("62e90394-69f5-4237-9190-012177145e10".into()),
                role_id: None,
                name: Some("Global Administrator".into()),
                step,
            }],
        };
        let found = Found {
            user_id: id.clone(),
            taken,
            from: to - chrono::Duration::days(30),
            to,
            groups: [
                ("g1".to_string(), GroupNow::Named("Sales Team".into())),
                ("g2".to_string(), GroupNow::Gone),
            ]
            .into_iter()
            .collect(),
            usage_location: None,
        };
        fixtures::send(
            &mut s,
            SessionMsg::Offboarding {
                id: id.clone(),
                result: Ok(Box::new(found)),
            },
        );
        let shown = text(&s);
        for want in [
            "took, 2 days before the deletion, by app HR Offboarding Automation:",
            "group Sales Team",
            "owner of Gone Group (deleted since)",
            "sign-in: blocked",
            "role Global Administrator (privileged)",
        ] {
            assert!(shown.contains(want), "{want:?} in\n{shown}");
        }
        // A read that failed says why.
        let other = s.session().users.rows()[1].id().to_string();
        fixtures::send(
            &mut s,
            SessionMsg::Offboarding {
                id: other,
                result: Err("Insufficient privileges (needs AuditLog.Read.All)".into()),
            },
        );
        press(&mut s, 'j');
        assert!(text(&s).contains("unknown: Insufficient privileges"));
    }
}
