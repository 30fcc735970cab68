//! The text badges beside a deleted user's name (`[EXPIRES 2d]`, `[CONFLICT]`, `[BY SYNC]`,
//! `[SYNCED]`, `[GUEST]`): one rule for the TUI's table and `undelete list`'s. Text, so they
//! survive NO_COLOR, pipes and screen readers.

use chrono::FixedOffset;

use crate::directory::TimeLeft;

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

/// The form the badges take. One form for the whole Name column on screen, so the same state
/// never reads two ways a few rows apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BadgeSize {
    /// `[EXPIRES 2d] [CONFLICT] [BY SYNC] [SYNCED] [GUEST]`
    Full,
    /// `[EXP 2d] [C] [BS] [S] [G]` (the help overlay has the legend)
    Short,
}

/// The badges of a user, in text so they survive NO_COLOR and screen readers.
pub fn badges(expiry: Option<Expiry>, flags: Flags, size: BadgeSize) -> Vec<String> {
    let Flags {
        conflict,
        by_sync,
        synced,
        guest,
    } = flags;
    let short = size == BadgeSize::Short;
    let mut b = Vec::new();
    if let Some(e) = expiry {
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

