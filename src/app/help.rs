//! The `?` overlay's content, generated from the key tables so it always says what the keys
//! do. `update` bounds its scroll by the count; `ui::help` draws it.

use super::keymap::{self, HELP_SCOPES, Scope};
use crate::text::{fit, wrap_words};

/// The overlay's outer width on a terminal `cols` wide: all of it but a column each side, up
/// to 120, past which lines get too long to read.
pub fn overlay_width(cols: u16) -> u16 {
    cols.saturating_sub(2).min(120)
}

/// The keys' column inside an overlay `inner` columns wide.
pub fn key_width(inner: usize) -> usize {
    24.min(inner / 3)
}

/// One drawn line of the overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A section's title.
    Heading(String),
    /// Keys and the first line of what they do.
    Keys { keys: String, text: String },
    /// What the keys above do, continued under its first line.
    More(String),
}

/// The overlay's lines for a terminal `cols` wide, each explanation wrapped to what is left
/// beside the keys, never cut; `update` scrolls over as many as `ui::help` draws.
pub fn wrapped(first: Scope, sandbox: bool, cols: u16) -> Vec<HelpLine> {
    let inner = usize::from(overlay_width(cols).saturating_sub(2));
    let key_w = key_width(inner);
    let text_w = inner.saturating_sub(key_w + 1).max(1);
    let mut out = Vec::new();
    for (heading, keys, help) in lines(first, sandbox) {
        if let Some(h) = heading {
            out.extend(
                wrap_words(&h, inner.max(1))
                    .into_iter()
                    .map(HelpLine::Heading),
            );
            continue;
        }
        let mut text = wrap_words(&help, text_w).into_iter();
        out.push(HelpLine::Keys {
            keys: fit(&keys, key_w),
            text: text.next().unwrap_or_default(),
        });
        out.extend(text.map(HelpLine::More));
    }
    out
}

/// The legend of the badges, for the help overlay.
pub const BADGE_LEGEND: &[(&str, &str)] = &[
    (
        "[EXPIRES 2d] [EXP 36h]",
        "purged for good in 2 days, in 36 hours (Left is red too)",
    ),
    (
        "[EXPIRES today]",
        "purged for good later today (local time)",
    ),
    (
        "[OVERDUE]",
        "past its purge date: Entra may remove it any moment; then only its mailbox may come \
         back, through Exchange (i: how)",
    ),
    (
        "[CONFLICT] [C]",
        "its user name or an address is held by a user, group or contact (c: only these)",
    ),
    (
        "[BY SYNC] [BS]",
        "deleted by directory sync: restore it on-premises too, or it is deleted again",
    ),
    (
        "[SYNCED] [S]",
        "synced: on-premises AD is the source of truth",
    ),
    ("[GUEST] [G]", "a guest (B2B) account"),
];

/// Every line of the help opened on the screen `first`: a section title, or keys and what they
/// do. That screen's keys come first, then (on the sandbox) what the sandbox is, then the keys
/// of every other screen and the badge legend.
pub fn lines(first: Scope, sandbox: bool) -> Vec<(Option<String>, String, String)> {
    let mut out = Vec::new();
    let section = |out: &mut Vec<_>, scope: Scope, title: String| {
        out.push((Some(title), String::new(), String::new()));
        for (keys, help) in keymap::help_lines(scope) {
            out.push((None, keys, help.to_string()));
        }
    };
    let shown_first = HELP_SCOPES.contains(&first) && first != Scope::Help;
    if shown_first {
        section(&mut out, first, format!("This screen: {}", first.title()));
    }
    if sandbox {
        out.push((
            Some("The sandbox (demo data)".to_string()),
            String::new(),
            String::new(),
        ));
        for (label, text) in super::welcome::help_lines() {
            out.push((None, label, text));
        }
    }
    for scope in HELP_SCOPES {
        if shown_first && *scope == first {
            continue;
        }
        section(&mut out, *scope, scope.title().to_string());
    }
    // Narrow tables shorten the badges, so their legend lives here.
    out.push((Some("Badges".to_string()), String::new(), String::new()));
    for (badge, meaning) in BADGE_LEGEND {
        out.push((None, badge.to_string(), meaning.to_string()));
    }
    out
}
