//! Support hours: when the support organisation is staffed, as a weekly
//! calendar of local wall-clock windows in one time zone, minus holidays.
//!
//! SLA targets may be agreed "in support hours": the clock only runs while
//! support is open. The rule is the one a person reading a wall clock in that
//! zone would apply: an instant counts when the local clock then shows a time
//! inside one of that weekday's windows, on a local date that is not a
//! holiday. So a window on a clock-change day is as long as the clock says:
//! in Europe/Paris 09:00–17:00 is 8 hours every day of the year, while
//! 01:00–04:00 is 2 hours on the spring-forward day (the clock skips 02:00–03:00)
//! and 4 hours on the fall-back day (it shows 02:00–03:00 twice).

use std::collections::BTreeSet;

use chrono::{
    Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Invalid;

/// One local wall-clock window `[start, end)` of a day. An `end` of 00:00
/// means midnight at the end of the day, written `24:00` in configuration.
pub type Window = (NaiveTime, NaiveTime);

const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A checked support calendar: windows sorted, non-overlapping, at least one
/// in the week (so that a support-time deadline always exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportHours {
    zone: Tz,
    /// Monday first, as `Weekday::num_days_from_monday`.
    weekly: [Vec<Window>; 7],
    /// Local dates with no support at all.
    holidays: BTreeSet<NaiveDate>,
}

impl Default for SupportHours {
    /// Monday to Friday, 09:00–17:00 UTC, no holidays.
    fn default() -> Self {
        let day = vec![(clock(9, 0), clock(17, 0))];
        SupportHours {
            zone: Tz::UTC,
            weekly: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                Vec::new(),
                Vec::new(),
            ],
            holidays: BTreeSet::new(),
        }
    }
}

/// Support hours as written in the configuration file:
///
/// ```toml
/// time_zone = "Europe/Paris"
/// monday = ["09:00-12:30", "13:30-18:00"]
/// saturday = ["10:00-24:00"]
/// holidays = ["2026-12-25"]
/// ```
///
/// A day left out has no support. Read it with [`SupportHours::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportHoursConfig {
    /// An IANA time zone name; UTC when left out.
    #[serde(default = "utc_name")]
    pub time_zone: String,
    #[serde(default)]
    pub monday: Vec<String>,
    #[serde(default)]
    pub tuesday: Vec<String>,
    #[serde(default)]
    pub wednesday: Vec<String>,
    #[serde(default)]
    pub thursday: Vec<String>,
    #[serde(default)]
    pub friday: Vec<String>,
    #[serde(default)]
    pub saturday: Vec<String>,
    #[serde(default)]
    pub sunday: Vec<String>,
    /// Local dates, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
}

fn utc_name() -> String {
    "UTC".to_string()
}

impl Default for SupportHoursConfig {
    /// The same calendar as [`SupportHours::default`].
    fn default() -> Self {
        SupportHours::default().to_config()
    }
}

impl SupportHoursConfig {
    fn days(&self) -> [&Vec<String>; 7] {
        [
            &self.monday,
            &self.tuesday,
            &self.wednesday,
            &self.thursday,
            &self.friday,
            &self.saturday,
            &self.sunday,
        ]
    }
}

impl SupportHours {
    /// Checks a calendar built in code: in each day no window ends before it
    /// starts or overlaps another, and the week has at least one window.
    pub fn new(
        zone: Tz,
        weekly: [Vec<Window>; 7],
        holidays: BTreeSet<NaiveDate>,
    ) -> Result<Self, Invalid> {
        let mut weekly = weekly;
        for (name, windows) in DAY_NAMES.iter().zip(weekly.iter_mut()) {
            for window in windows.iter() {
                if end_minute(window.1) <= minute(window.0) {
                    return Err(Invalid::new(format!(
                        "{name}: the window {} ends before it starts; write midnight at the end of the day as 24:00, and split a window across midnight into two days (e.g. 22:00-24:00 and 00:00-06:00)",
                        show(*window)
                    )));
                }
            }
            windows.sort();
            for pair in windows.windows(2) {
                if end_minute(pair[0].1) > minute(pair[1].0) {
                    return Err(Invalid::new(format!(
                        "{name}: the windows {} and {} overlap; merge them into one or make the first end before the second starts",
                        show(pair[0]),
                        show(pair[1])
                    )));
                }
            }
        }
        if weekly.iter().all(Vec::is_empty) {
            return Err(Invalid::new(
                "support hours need at least one window in the week, e.g. monday = [\"09:00-17:00\"]",
            ));
        }
        Ok(SupportHours {
            zone,
            weekly,
            holidays,
        })
    }

    /// Reads the configuration shape, with a message naming the day or field to fix.
    pub fn parse(config: &SupportHoursConfig) -> Result<Self, Invalid> {
        let zone: Tz = config.time_zone.trim().parse().map_err(|_| {
            Invalid::new(format!(
                "time_zone: unknown time zone {:?}; use an IANA name such as Europe/Paris, America/New_York or UTC",
                config.time_zone
            ))
        })?;
        let mut weekly: [Vec<Window>; 7] = Default::default();
        for ((name, texts), windows) in DAY_NAMES.iter().zip(config.days()).zip(weekly.iter_mut()) {
            for text in texts {
                let window = parse_window(text).ok_or_else(|| {
                    Invalid::new(format!(
                        "{name}: {text:?} is not a window; write it as HH:MM-HH:MM on a 24-hour clock, e.g. \"09:00-17:00\""
                    ))
                })?;
                windows.push(window);
            }
        }
        let mut holidays = BTreeSet::new();
        for text in &config.holidays {
            let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
                Invalid::new(format!(
                    "holidays: {text:?} is not a date; write it as YYYY-MM-DD, e.g. \"2026-12-25\""
                ))
            })?;
            holidays.insert(date);
        }
        SupportHours::new(zone, weekly, holidays)
    }

    /// The configuration shape that parses back into this calendar.
    pub fn to_config(&self) -> SupportHoursConfig {
        let day = |i: usize| self.weekly[i].iter().map(|w| show(*w)).collect();
        SupportHoursConfig {
            time_zone: self.zone.name().to_string(),
            monday: day(0),
            tuesday: day(1),
            wednesday: day(2),
            thursday: day(3),
            friday: day(4),
            saturday: day(5),
            sunday: day(6),
            holidays: self
                .holidays
                .iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect(),
        }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The windows of one weekday, sorted.
    pub fn windows(&self, day: Weekday) -> &[Window] {
        &self.weekly[day.num_days_from_monday() as usize]
    }

    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    /// Whether support is open at the UTC instant `at`.
    pub fn is_open_at(&self, at: NaiveDateTime) -> bool {
        let local = at + self.offset_at(at);
        let date = local.date();
        !self.holidays.contains(&date)
            && self.windows(date.weekday()).iter().any(|w| {
                let now = local.time();
                now >= w.0 && (w.1 == NaiveTime::MIN || now < w.1)
            })
    }

    /// How much of `[from, to)` (UTC) falls inside support hours; zero when
    /// `to` is not after `from`.
    pub fn duration_within(&self, from: NaiveDateTime, to: NaiveDateTime) -> Duration {
        let mut total = Duration::zero();
        let mut cursor = from;
        while cursor < to {
            let end = self.same_offset_until(cursor, to.min(next_day(cursor)));
            let offset = self.offset_at(cursor);
            for (start, stop) in self.open_local(cursor + offset, end + offset) {
                total += stop - start;
            }
            cursor = end;
        }
        total
    }

    /// The earliest UTC instant by which `d` of support time has passed since
    /// `from`: an SLA deadline "in support hours". `from` itself when `d` is
    /// not positive; `NaiveDateTime::MAX` if the calendar would run past the
    /// end of time.
    pub fn add_support_time(&self, from: NaiveDateTime, d: Duration) -> NaiveDateTime {
        let mut remaining = d;
        if remaining <= Duration::zero() {
            return from;
        }
        let mut cursor = from;
        loop {
            let Some(limit) = cursor.checked_add_signed(Duration::days(1)) else {
                return NaiveDateTime::MAX;
            };
            let end = self.same_offset_until(cursor, limit);
            let offset = self.offset_at(cursor);
            for (start, stop) in self.open_local(cursor + offset, end + offset) {
                let open = stop - start;
                if open >= remaining {
                    return start + remaining - offset;
                }
                remaining -= open;
            }
            cursor = end;
        }
    }

    /// The zone's offset from UTC at the UTC instant `at`.
    fn offset_at(&self, at: NaiveDateTime) -> Duration {
        let seconds = self
            .zone
            .offset_from_utc_datetime(&at)
            .fix()
            .local_minus_utc();
        Duration::seconds(i64::from(seconds))
    }

    /// The end of the stretch that starts at `from` and keeps its UTC offset,
    /// at most `limit` (which is at most a day later: clock changes are months
    /// apart, so a day holds at most one).
    fn same_offset_until(&self, from: NaiveDateTime, limit: NaiveDateTime) -> NaiveDateTime {
        let offset = self.offset_at(from);
        if self.offset_at(limit) == offset {
            return limit;
        }
        // Clock changes fall on whole seconds: search them second by second.
        let at = |second: i64| {
            chrono::DateTime::from_timestamp(second, 0)
                .map(|t| t.naive_utc())
                .unwrap_or(limit)
        };
        let mut before = from.and_utc().timestamp();
        let mut after = limit.and_utc().timestamp() + i64::from(limit.nanosecond() > 0);
        while after - before > 1 {
            let middle = before + (after - before) / 2;
            if self.offset_at(at(middle)) == offset {
                before = middle;
            } else {
                after = middle;
            }
        }
        at(after).min(limit)
    }

    /// The open parts of the local wall-clock interval `[from, to)`, in order.
    fn open_local(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Vec<(NaiveDateTime, NaiveDateTime)> {
        let mut open = Vec::new();
        let mut date = from.date();
        while date <= to.date() {
            let next = date.succ_opt();
            if !self.holidays.contains(&date) {
                for window in self.windows(date.weekday()) {
                    let start = date.and_time(window.0).max(from);
                    let end = if window.1 == NaiveTime::MIN {
                        next.map_or(NaiveDateTime::MAX, |n| n.and_time(NaiveTime::MIN))
                    } else {
                        date.and_time(window.1)
                    }
                    .min(to);
                    if start < end {
                        open.push((start, end));
                    }
                }
            }
            match next {
                Some(n) => date = n,
                None => break,
            }
        }
        open
    }
}

fn next_day(at: NaiveDateTime) -> NaiveDateTime {
    at.checked_add_signed(Duration::days(1))
        .unwrap_or(NaiveDateTime::MAX)
}

fn clock(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

fn minute(time: NaiveTime) -> i64 {
    i64::from(time.num_seconds_from_midnight()) / 60
}

/// Minutes since midnight of a window's end, 24:00 being 1440.
fn end_minute(time: NaiveTime) -> i64 {
    if time == NaiveTime::MIN {
        24 * 60
    } else {
        minute(time)
    }
}

/// `09:00-17:00`, with `24:00` for an end at midnight.
fn show(window: Window) -> String {
    let end = if window.1 == NaiveTime::MIN {
        "24:00".to_string()
    } else {
        window.1.format("%H:%M").to_string()
    };
    format!("{}-{end}", window.0.format("%H:%M"))
}

/// `HH:MM-HH:MM` on a 24-hour clock; `24:00` only as an end.
fn parse_window(text: &str) -> Option<Window> {
    let (start, end) = text.split_once('-')?;
    let (start_hour, start_minute) = parse_clock(start)?;
    let (end_hour, end_minute) = parse_clock(end)?;
    if start_hour == 24 {
        return None;
    }
    Some((
        clock(start_hour, start_minute),
        clock(end_hour % 24, end_minute),
    ))
}

/// `HH:MM` as (hour, minute), allowing `24:00`.
fn parse_clock(text: &str) -> Option<(u32, u32)> {
    let (hour, minute) = text.trim().split_once(':')?;
    let digits = |s: &str, most: usize| {
        !s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(hour, 2) || minute.len() != 2 || !digits(minute, 2) {
        return None;
    }
    let (hour, minute): (u32, u32) = (hour.parse().ok()?, minute.parse().ok()?);
    let valid = (hour < 24 && minute < 60) || (hour == 24 && minute == 0);
    valid.then_some((hour, minute))
}

#[cfg(test)]
mod tests;
