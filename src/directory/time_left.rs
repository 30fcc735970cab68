//! How long a deleted user has before the purge, computed once for the CLI and the TUI so the
//! two never disagree (the CLI once said `0d` where the TUI said `<1d`).

use std::fmt;

use chrono::{DateTime, Duration, FixedOffset, Utc};

use super::RETENTION_DAYS;

/// Under this many hours to the purge, hours are shown instead of days: "1d" would hide
/// whether the user has 25 hours or 47.
pub const HOURS_UNDER: i64 = 48;

/// Days left at or under which a user is expiring: flagged `[EXPIRES]` and drawn in red in
/// the table, red in `list` (DESIGN.md 1).
pub const EXPIRING_DAYS: i64 = 3;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// The time left before a purge, as of one moment. Ordered by how soon the purge comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeLeft {
    /// Seconds from the moment of asking to the purge; negative once it has passed. First,
    /// so the derived order is "soonest first".
    secs: i64,
    purge_at: DateTime<Utc>,
}

/// What the short text shows: the unit is part of the meaning, so tests and callers can match
/// on it instead of parsing "36h".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remaining {
    /// The purge moment has passed; Entra may take a little longer, so the user may still be
    /// listed (and restorable) for a while.
    Overdue,
    /// Under 48 hours: whole hours left, 0 in the last hour.
    Hours(i64),
    /// 48 hours or more: whole days left.
    Days(i64),
}

impl TimeLeft {
    /// The time from `now` to a purge at `purge_at`.
    pub fn until(purge_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            secs: (purge_at - now).num_seconds(),
            purge_at,
        }
    }

    /// The time left for a user deleted at `deleted_at` (the purge comes `RETENTION_DAYS`
    /// later). For callers that keep only the deletion time, such as the TUI's compact rows.
    pub fn after_deletion(deleted_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self::until(deleted_at + Duration::days(RETENTION_DAYS), now)
    }

    /// When the purge is due (approximate: Entra may take a little longer).
    pub fn purge_at(&self) -> DateTime<Utc> {
        self.purge_at
    }

    /// Whole days left: 0 on the last day, negative when overdue (`daysLeft` in the CLI's
    /// JSON, and the unit of `check --expiring` and of the "red at 3 or fewer" rule).
    pub fn days(&self) -> i64 {
        self.secs.div_euclid(DAY)
    }

    /// Whole hours left: 0 in the last hour, negative when overdue.
    pub fn hours(&self) -> i64 {
        self.secs.div_euclid(HOUR)
    }

    pub fn is_overdue(&self) -> bool {
        self.secs <= 0
    }

    /// `EXPIRING_DAYS` whole days left or fewer (overdue included): the red rows.
    pub fn is_expiring(&self) -> bool {
        self.days() <= EXPIRING_DAYS
    }

    /// Whether the purge comes within `days` days from now, or has passed (`check
    /// --expiring`: with 0, only the overdue).
    pub fn within_days(&self, days: u32) -> bool {
        self.secs <= i64::from(days) * DAY
    }

    pub fn remaining(&self) -> Remaining {
        if self.is_overdue() {
            Remaining::Overdue
        } else if self.secs < HOURS_UNDER * HOUR {
            Remaining::Hours(self.hours())
        } else {
            Remaining::Days(self.days())
        }
    }

    /// Whether the purge falls on today's date in the time zone at `offset` (the admin's
    /// local time: "today" means their today, not UTC's). False once overdue.
    pub fn purges_today(&self, offset: FixedOffset) -> bool {
        if self.is_overdue() {
            return false;
        }
        let now = self.purge_at - Duration::seconds(self.secs);
        self.purge_at.with_timezone(&offset).date_naive() == now.with_timezone(&offset).date_naive()
    }

    /// For sentences: "36 hours", "1 day", "5 days", "less than an hour", "overdue".
    pub fn long(&self) -> String {
        match self.remaining() {
            Remaining::Overdue => "overdue".into(),
            Remaining::Hours(0) => "less than an hour".into(),
            Remaining::Hours(1) => "1 hour".into(),
            Remaining::Hours(h) => format!("{h} hours"),
            Remaining::Days(1) => "1 day".into(),
            Remaining::Days(d) => format!("{d} days"),
        }
    }
}

/// The Left column of every table: the short form, or "—" without a deletion time.
pub fn short(left: Option<TimeLeft>) -> String {
    match left {
        None => "—".into(),
        Some(t) => t.to_string(),
    }
}

/// The short form every table shows: "36h", "5d", "<1h", "overdue" (at most 7 columns).
impl fmt::Display for TimeLeft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.remaining() {
            Remaining::Overdue => f.write_str("overdue"),
            Remaining::Hours(0) => f.write_str("<1h"),
            Remaining::Hours(h) => write!(f, "{h}h"),
            Remaining::Days(d) => write!(f, "{d}d"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 4, 0).unwrap()
    }

    fn left(secs: i64) -> TimeLeft {
        TimeLeft::until(now() + Duration::seconds(secs), now())
    }

    #[test]
    fn hours_under_48_days_from_48() {
        let t = left(47 * HOUR + 59 * 60);
        assert_eq!(t.remaining(), Remaining::Hours(47));
        assert_eq!(t.to_string(), "47h");
        assert_eq!(t.long(), "47 hours");
        assert_eq!(t.days(), 1, "daysLeft keeps counting whole days");
        let t = left(48 * HOUR);
        assert_eq!(t.remaining(), Remaining::Days(2));
        assert_eq!(t.to_string(), "2d");
        assert_eq!(t.long(), "2 days");
        assert_eq!(left(29 * DAY + 23 * HOUR).to_string(), "29d");
    }

    #[test]
    fn the_last_hours() {
        let t = left(HOUR + 1);
        assert_eq!((t.to_string(), t.long()), ("1h".into(), "1 hour".into()));
        assert_eq!(t.hours(), 1);
        let t = left(59 * 60);
        assert_eq!(t.remaining(), Remaining::Hours(0));
        assert_eq!(t.to_string(), "<1h");
        assert_eq!(t.long(), "less than an hour");
        assert_eq!(t.days(), 0);
    }

    #[test]
    fn overdue_counts_negative() {
        let t = left(-90 * 60);
        assert!(t.is_overdue());
        assert_eq!(t.remaining(), Remaining::Overdue);
        assert_eq!(t.to_string(), "overdue");
        assert_eq!(t.hours(), -2, "whole hours, rounded down like the days");
        assert_eq!(t.days(), -1);
        // The very moment of the purge is overdue: nothing is left.
        assert!(left(0).is_overdue());
    }

    #[test]
    fn after_deletion_is_thirty_days_on() {
        let t = TimeLeft::after_deletion(now() - Duration::hours(718), now());
        assert_eq!(t.purge_at(), now() + Duration::hours(2));
        assert_eq!(t.to_string(), "2h");
    }

    #[test]
    fn today_is_the_local_today() {
        // 22:30 in UTC+2 is 20:30 UTC: a purge at 23:50 local is today, one at 00:10 local
        // (22:10 UTC, still the same UTC date) is tomorrow.
        let plus2 = FixedOffset::east_opt(2 * HOUR as i32).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 20, 30, 0).unwrap();
        let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap();
        assert!(TimeLeft::until(at(21, 50), now).purges_today(plus2));
        assert!(!TimeLeft::until(at(22, 10), now).purges_today(plus2));
        assert!(
            TimeLeft::until(at(22, 10), now).purges_today(FixedOffset::east_opt(0).unwrap()),
            "in UTC the same purge is today"
        );
        // West of UTC, a purge the next UTC day can still be today.
        let minus5 = FixedOffset::west_opt(5 * HOUR as i32).unwrap();
        let next_utc_day = Utc.with_ymd_and_hms(2026, 11, 26, 4, 0, 0).unwrap();
        assert!(TimeLeft::until(next_utc_day, now).purges_today(minus5));
        // Past the purge it is overdue, not "today".
        assert!(!TimeLeft::until(at(20, 0), now).purges_today(plus2));
    }

    #[test]
    fn expiring_and_within() {
        assert!(
            left(3 * DAY + 23 * HOUR).is_expiring(),
            "3d still shows red"
        );
        assert!(!left(4 * DAY).is_expiring());
        assert!(left(-HOUR).is_expiring());
        assert!(left(3 * DAY).within_days(3));
        assert!(!left(3 * DAY + 1).within_days(3));
        assert!(left(0).within_days(0) && !left(1).within_days(0));
        assert_eq!(short(None), "—");
        assert_eq!(short(Some(left(36 * HOUR))), "36h");
    }

    #[test]
    fn soonest_first() {
        assert!(left(HOUR) < left(2 * HOUR));
        assert!(left(-HOUR) < left(0));
        assert_eq!(
            [left(5 * DAY), left(HOUR)].into_iter().min(),
            Some(left(HOUR))
        );
    }
}
