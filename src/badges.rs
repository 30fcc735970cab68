//! The text badges beside a deleted user's name (`[EXPIRES 2d]`, `[CONFLICT]`, `[BY SYNC]`,
//! `[SYNCED]`, `[GUEST]`): one rule for the TUI's table and `undelete list`'s. Text, so they
//! survive NO_COLOR, pipes and screen readers.

use chrono::FixedOffset;

use crate::directory::TimeLeft;
use crate::text::{fit, width};

/// What the expiry badge says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// The purge falls on the admin's today (local time).
    Today,
    /// Later: the time left as the Left column shows it ("36h", "2d").
    In(TimeLeft),
    /// Past the purge moment; Entra has not got to it yet.
    Overdue,
}

impl Expiry {
    /// The badge for a user, if it is expiring (`EXPIRING_DAYS` or fewer); "today" is the day
    /// in the time zone at `offset`.
    pub fn of(left: Option<TimeLeft>, offset: FixedOffset) -> Option<Expiry> {
        let t = left.filter(TimeLeft::is_expiring)?;
        Some(if t.is_overdue() {
            Expiry::Overdue
        } else if t.purges_today(offset) {
            Expiry::Today
        } else {
            Expiry::In(t)
        })
    }
}

/// The form the badges take, from the widest to the narrowest. One form for the whole Name
/// column on screen, so the same state never reads two ways a few rows apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BadgeSize {
    /// `[EXPIRES 2d] [CONFLICT] [BY SYNC] [SYNCED] [GUEST]`
    Full,
    /// `[EXP 2d] [C] [BS] [S] [G]` (the help overlay has the legend)
    Short,
    /// `[C] [BS] [S] [G]`: only where the Left column shows the time left, in red.
    NoExpiry,
}

/// The badges of a user, in text so they survive NO_COLOR and screen readers.
pub fn badges(expiry: Option<Expiry>, flags: Flags, size: BadgeSize) -> Vec<String> {
    let Flags {
        conflict,
        by_sync,
        synced,
        guest,
    } = flags;
    let short = size != BadgeSize::Full;
    let mut b = Vec::new();
    if let Some(e) = expiry.filter(|_| size != BadgeSize::NoExpiry) {
        let word = if short { "EXP" } else { "EXPIRES" };
        b.push(match e {
            Expiry::Overdue => "[OVERDUE]".to_string(),
            Expiry::Today => format!("[{word} today]"),
            Expiry::In(t) => format!("[{word} {t}]"),
        });
    }
    for (on, long, abbr) in [
        (conflict, "[CONFLICT]", "[C]"),
        // Deleted by the sync service: a restore in the cloud alone will not stick.
        (by_sync, "[BY SYNC]", "[BS]"),
        (synced, "[SYNCED]", "[S]"),
        (guest, "[GUEST]", "[G]"),
    ] {
        if on {
            b.push(if short { abbr } else { long }.to_string());
        }
    }
    b
}

/// What the badges beside a name say, besides the expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    pub conflict: bool,
    pub by_sync: bool,
    pub synced: bool,
    pub guest: bool,
}

/// A name cut for its badges keeps at least this many columns (or its whole width when
/// shorter): enough to tell the row apart; past that the badges are cut instead.
pub const NAME_FLOOR: usize = 8;

/// The Name cell: the name, then its badges in `size`; `(name, badges)`, together at most `w`
/// columns. The name gives way to the badges down to `NAME_FLOOR`; only then are the badges
/// cut, so a row that has a state shows it whenever there is a column to show it in.
pub fn name_cell(
    name: &str,
    w: usize,
    expiry: Option<Expiry>,
    flags: Flags,
    size: BadgeSize,
) -> (String, String) {
    let tags = badges(expiry, flags, size).join(" ");
    if tags.is_empty() {
        return (fit(name, w), String::new());
    }
    let name_w = width(name);
    let name_room = w
        .saturating_sub(2 + width(&tags))
        .max(name_w.min(NAME_FLOOR));
    let name = fit(name, name_room.min(w));
    // Two spaces and at least a bracket's worth of badge, or the name alone.
    let rest = w.saturating_sub(width(&name));
    if rest < 2 + 3 {
        return (fit(&name, w), String::new());
    }
    (name, fit(&tags, rest - 2))
}
