//! What offboarding took from each user, as the checklist of what comes back right after the
//! restore: a heading per user (how long before the deletion, and by whom), a line per thing.

use ratatui::text::{Line, Span};

use super::Sections;
use crate::app::modal::restore::READ_TAKEN_UP_TO;
use crate::app::sessions::{OffboardingRead, SeatsRead};
use crate::offboarding::checklist::Pick;
use crate::offboarding::read::Found;
use crate::ui::restore_dialog::*;

pub(super) fn taken(b: &mut Sections) {
    let (form, theme, w) = (b.form, b.theme, b.w);
    if form.targets.len() > READ_TAKEN_UP_TO {
        let msg = format!(
            "ⓘ What offboarding took is not read for more than {READ_TAKEN_UP_TO} users: \
             restore --bring-back gives it back from the command line."
        );
        push_wrapped(b, &msg, theme.dim());
        return;
    }
    let session = b.state.session();
    let many = form.targets.len() > 1;
    let shared = form.shared_names();
    for (i, t) in form.targets.iter().enumerate() {
        let who = if many {
            format!("{}: what", RestoreForm::name_of(t, &shared))
        } else {
            "What".to_string()
        };
        match (session.offboarding.get(&t.user.id), &t.picks) {
            (Some(OffboardingRead::Found(found)), Some(picks)) if !picks.is_empty() => {
                let head = format!("{who} offboarding took ({})", provenance(found));
                b.lines.push(Line::from(""));
                for chunk in wrap(&head, w) {
                    b.lines.push(Line::from(Span::styled(chunk, theme.title())));
                }
                for (j, p) in picks.iter().enumerate() {
                    item(b, (i, j), p);
                }
                gone_groups(b, found);
            }
            (Some(OffboardingRead::Found(found)), _) => {
                // Nothing to give back: said in one line, and only for a user the log shows
                // taking something (a gone group) or when the dialog is about one user.
                let gone = found.taken.groups.iter().any(|g| found.group_gone(&g.id));
                if gone || !many {
                    let msg = if found.taken.is_empty() {
                        format!("ⓘ {who} offboarding took: {}.", found.nothing_taken())
                    } else {
                        format!("ⓘ {who} offboarding took: nothing that can come back.")
                    };
                    push_wrapped(b, &msg, theme.dim());
                    gone_groups(b, found);
                }
            }
            // Said once for all the users below.
            (Some(OffboardingRead::Reading | OffboardingRead::Failed(_)), _) | (None, _) => {}
        }
    }
    // Users still being read, and those whose log could not be read (one line a reason):
    // many users must not push the buttons away with a line each.
    let reading: Vec<&str> = form
        .targets
        .iter()
        .filter(|t| {
            matches!(
                session.offboarding.get(&t.user.id),
                Some(OffboardingRead::Reading)
            )
        })
        .map(|t| t.user.display_name.as_str())
        .collect();
    if !reading.is_empty() {
        let msg = if many {
            format!(
                "What offboarding took: reading the audit log of {}…",
                who_of(&reading)
            )
        } else {
            "What offboarding took: reading the audit log…".to_string()
        };
        b.lines
            .push(Line::from(Span::styled(fit(&msg, w), theme.dim())));
    }
    let mut failed: Vec<(&str, Vec<&str>)> = Vec::new();
    for t in &form.targets {
        if let Some(OffboardingRead::Failed(why)) = session.offboarding.get(&t.user.id) {
            match failed.iter_mut().find(|(w, _)| *w == why.as_str()) {
                Some((_, names)) => names.push(&t.user.display_name),
                None => failed.push((why, vec![&t.user.display_name])),
            }
        }
    }
    for (why, names) in failed {
        let whom = if many {
            format!(" for {}", who_of(&names))
        } else {
            String::new()
        };
        let msg = format!(
            "ⓘ What offboarding took is unknown{whom}: {why}. The restore works as without it."
        );
        push_wrapped(b, &msg, theme.dim());
    }
    if let Some(SeatsRead::Failed(why)) = &session.seats
        && form.targets.iter().any(|t| has_licence(t.picks.as_deref()))
    {
        let msg = format!("ⓘ Free seats unknown ({why}): a licence without one is refused.");
        push_wrapped(b, &msg, theme.dim());
    }
}

/// "Adele Vance", "Adele Vance and Zoë Ødegård", "5 users".
fn who_of(names: &[&str]) -> String {
    match names {
        [one] => (*one).to_string(),
        [a, b] => format!("{a} and {b}"),
        _ => crate::text::count(names.len(), "user", "users"),
    }
}

/// "audit log, 3 days before the deletion, by HR Offboarding Automation".
fn provenance(found: &Found) -> String {
    let t = &found.taken;
    let before = t
        .first_at()
        .map(|at| format!(", {} before the deletion", crate::text::span(found.to - at)))
        .unwrap_or_default();
    let by = t.actors();
    let by = if by.is_empty() {
        String::new()
    } else {
        format!(", by {}", by.join(", "))
    };
    format!("audit log{before}{by}")
}

/// One line of the checklist: the box, the thing, and its note; a line the sign-in cannot
/// give back is greyed, with why.
fn item(b: &mut Sections, at: (usize, usize), p: &Pick) {
    let (theme, w) = (b.theme, b.w);
    let focused = b.form.focus == DialogField::Item(at.0, at.1);
    if focused {
        b.focus_line = b.lines.len();
    }
    let what = match &p.offer.item {
        crate::directory::bring_back::BringBack::SignIn => "allow sign-in again".to_string(),
        other => other.describe(),
    };
    // Ticked by hand, a privileged role says only what it is.
    let note = match (&p.offer.item, p.ticked) {
        (crate::directory::bring_back::BringBack::Role { .. }, true) if p.offer.privileged => {
            Some("privileged".to_string())
        }
        _ => p.note.clone(),
    };
    let label = match (&p.blocked, &note) {
        (Some(why), _) => format!("{what} (cannot: {why})"),
        (None, Some(note)) => format!("{what} ({note})"),
        (None, None) => what,
    };
    // Wrapped under the box, not cut: the note is what the admin decides by.
    let mut chunks = crate::text::wrap_words(&label, w.saturating_sub(INDENT + 4).max(8));
    let first = if chunks.is_empty() {
        String::new()
    } else {
        chunks.remove(0)
    };
    let line = if p.blocked.is_some() {
        Line::from(vec![
            Span::raw(" ".repeat(INDENT)),
            Span::styled(format!("[-] {first}"), theme.dim()),
        ])
    } else {
        checkbox(INDENT, &first, p.ticked, focused, theme)
    };
    b.lines.push(fit_line(line.spans, w));
    let style = if p.blocked.is_some() {
        theme.dim()
    } else {
        theme.base()
    };
    for chunk in chunks {
        b.lines.push(Line::from(vec![
            Span::raw(" ".repeat(INDENT + 4)),
            Span::styled(chunk, style),
        ]));
    }
}

/// Groups the log names that are gone since: said, not offered.
fn gone_groups(b: &mut Sections, found: &Found) {
    let gone: Vec<String> = found
        .taken
        .groups
        .iter()
        .filter(|g| found.group_gone(&g.id))
        .map(|g| g.name.clone().unwrap_or_else(|| g.id.clone()))
        .collect();
    if !gone.is_empty() {
        let msg = format!(
            "{}deleted since, not offered: {}",
            " ".repeat(INDENT),
            gone.join(", ")
        );
        push_wrapped(b, &msg, b.theme.dim());
    }
}

fn has_licence(picks: Option<&[Pick]>) -> bool {
    picks.into_iter().flatten().any(|p| {
        matches!(
            p.offer.item,
            crate::directory::bring_back::BringBack::Licence { .. }
        )
    })
}

fn push_wrapped(b: &mut Sections, text: &str, style: ratatui::style::Style) {
    for chunk in wrap(text, b.w) {
        b.lines.push(Line::from(Span::styled(chunk, style)));
    }
}
