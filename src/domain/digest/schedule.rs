//! When digests are due: the cron schedule and the periods it cuts.

use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// The digest's schedule: a parsed cron expression.
#[derive(Debug, Clone)]
pub struct DigestSchedule {
    schedule: cron::Schedule,
    source: String,
}

/// The example every schedule error shows.
pub const CRON_EXAMPLE: &str = "`0 0 8 * * Mon` (Mondays at 08:00)";

impl DigestSchedule {
    /// Parses six (or seven, with a year) fields, seconds first. The error
    /// says what was wrong and what to write instead.
    pub fn parse(expression: &str) -> Result<DigestSchedule, String> {
        let expression = expression.trim();
        let fields = expression.split_whitespace().count();
        if !expression.starts_with('@') && !(6..=7).contains(&fields) {
            let hint = if fields == 5 {
                " (a classic crontab line has five; add the seconds in front)"
            } else {
                ""
            };
            return Err(format!(
                "`{expression}` has {fields} field{}{hint}; write six, seconds first: seconds minutes hours day-of-month month day-of-week, e.g. {CRON_EXAMPLE}",
                if fields == 1 { "" } else { "s" }
            ));
        }
        let schedule = cron::Schedule::from_str(expression).map_err(|e| {
            format!(
                "`{expression}` is not a cron expression ({e}); write six fields, seconds first, e.g. {CRON_EXAMPLE}"
            )
        })?;
        if schedule.after(&Utc::now()).next().is_none() {
            return Err(format!(
                "`{expression}` never fires again; write a recurring schedule, e.g. {CRON_EXAMPLE}"
            ));
        }
        Ok(DigestSchedule {
            schedule,
            source: expression.to_string(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    fn local(at: NaiveDateTime, zone: Tz) -> DateTime<Tz> {
        zone.from_utc_datetime(&at)
    }

    /// The last fire time at or before `now` (UTC in, UTC out).
    pub fn last_fire_at_or_before(&self, now: NaiveDateTime, zone: Tz) -> Option<NaiveDateTime> {
        // Fire times fall on whole seconds; one past `now` makes `now` itself count.
        let start = Self::local(now + Duration::nanoseconds(1), zone);
        self.schedule
            .after(&start)
            .next_back()
            .map(|t| t.naive_utc())
    }

    /// The fire time before `at` (strictly).
    pub fn fire_before(&self, at: NaiveDateTime, zone: Tz) -> Option<NaiveDateTime> {
        self.schedule
            .after(&Self::local(at, zone))
            .next_back()
            .map(|t| t.naive_utc())
    }

    /// The first fire time after `now` (strictly).
    pub fn next_fire_after(&self, now: NaiveDateTime, zone: Tz) -> Option<NaiveDateTime> {
        self.schedule
            .after(&Self::local(now, zone))
            .next()
            .map(|t| t.naive_utc())
    }

    /// The most recent period due at `now`: `[fire before T, T)` where `T`
    /// is the last fire time at or before `now`, and the period before it.
    pub fn due_period(&self, now: NaiveDateTime, zone: Tz) -> Option<(Period, Period)> {
        let to = self.last_fire_at_or_before(now, zone)?;
        let from = self.fire_before(to, zone)?;
        let previous_from = self.fire_before(from, zone).unwrap_or(from - (to - from));
        Some((
            Period { from, to },
            Period {
                from: previous_from,
                to: from,
            },
        ))
    }
}

/// `[from, to)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

impl Period {
    /// The same length, ending where this one starts.
    pub fn before(&self) -> Period {
        Period {
            from: self.from - (self.to - self.from),
            to: self.from,
        }
    }

    /// `2026-11-16T08:00:00Z/2026-11-23T08:00:00Z`: the key of a scheduled digest.
    pub fn key(&self) -> String {
        format!("{}/{}", rfc3339(self.from), rfc3339(self.to))
    }
}

/// RFC 3339 in UTC with whole seconds.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
