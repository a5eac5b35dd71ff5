//! Scheduled maintenance: its statuses (Statuspage's values), which moves
//! between them are allowed and what each does to the components, the
//! window, and the occurrences of a recurring window (an RFC 5545 `RRULE`,
//! evaluated in the page's time zone so "every Saturday 02:00" stays 02:00
//! local time across clock changes).

use chrono::{Duration, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Invalid;

/// Where a maintenance stands, with Statuspage's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceStatus {
    Scheduled,
    InProgress,
    Verifying,
    Completed,
}

/// What a change of status does to the maintenance's components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentEffect {
    /// Nothing changes.
    Keep,
    /// Components go under maintenance; their status before is remembered.
    PutUnderMaintenance,
    /// Components get back the status they had before.
    Restore,
}

impl MaintenanceStatus {
    pub const ALL: [MaintenanceStatus; 4] = [
        MaintenanceStatus::Scheduled,
        MaintenanceStatus::InProgress,
        MaintenanceStatus::Verifying,
        MaintenanceStatus::Completed,
    ];

    /// The wire value (`in_progress`), also what the database stores.
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceStatus::Scheduled => "scheduled",
            MaintenanceStatus::InProgress => "in_progress",
            MaintenanceStatus::Verifying => "verifying",
            MaintenanceStatus::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MaintenanceStatus::Scheduled => "Scheduled",
            MaintenanceStatus::InProgress => "In progress",
            MaintenanceStatus::Verifying => "Verifying",
            MaintenanceStatus::Completed => "Completed",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "Unknown maintenance status {value:?}: use one of scheduled, in_progress, verifying, completed."
                ))
            })
    }

    /// Under way: its components are under maintenance.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            MaintenanceStatus::InProgress | MaintenanceStatus::Verifying
        )
    }

    /// Whether a maintenance may move from `self` to `next`, and what that does
    /// to its components. Staying in the same status is allowed (an update
    /// that only adds a note).
    ///
    /// scheduled → in_progress → verifying ⇄ in_progress → completed; a
    /// scheduled one may be completed without starting (called off), nothing
    /// goes back to scheduled, and nothing leaves completed.
    pub fn move_to(self, next: MaintenanceStatus) -> Result<ComponentEffect, Invalid> {
        use MaintenanceStatus::*;
        match (self, next) {
            (a, b) if a == b => Ok(ComponentEffect::Keep),
            (Scheduled, InProgress) => Ok(ComponentEffect::PutUnderMaintenance),
            (Scheduled, Completed) => Ok(ComponentEffect::Keep),
            (InProgress, Verifying) | (Verifying, InProgress) => Ok(ComponentEffect::Keep),
            (InProgress | Verifying, Completed) => Ok(ComponentEffect::Restore),
            (Scheduled, Verifying) => Err(Invalid::new(
                "This maintenance has not started: move it to in_progress before verifying.",
            )),
            (Completed, _) => Err(Invalid::new(
                "This maintenance is completed: schedule a new one instead of reopening it.",
            )),
            (_, Scheduled) => Err(Invalid::new(
                "A maintenance that has started cannot go back to scheduled: complete it, then schedule a new one.",
            )),
            (from, to) => Err(Invalid::new(format!(
                "A maintenance cannot move from {} to {}.",
                from.as_str(),
                to.as_str()
            ))),
        }
    }
}

/// A time in messages and feeds: RFC 3339 in UTC, to the second.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// When a maintenance (or one occurrence of it) starts and ends, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
}

impl Window {
    /// A window that ends after it starts.
    pub fn new(starts_at: NaiveDateTime, ends_at: NaiveDateTime) -> Result<Window, Invalid> {
        if ends_at <= starts_at {
            return Err(Invalid::new(format!(
                "The maintenance must end after it starts: scheduled_until {} is not after scheduled_for {}.",
                rfc3339(ends_at),
                rfc3339(starts_at)
            )));
        }
        Ok(Window { starts_at, ends_at })
    }

    pub fn duration(&self) -> Duration {
        self.ends_at - self.starts_at
    }

    /// The same length of window starting at `starts_at`.
    pub fn moved_to(&self, starts_at: NaiveDateTime) -> Window {
        Window {
            starts_at,
            ends_at: starts_at + self.duration(),
        }
    }
}

/// The markdown body of a maintenance or of one of its updates: at most 10,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Body(String);

impl Body {
    pub const MAX: usize = 10_000;

    pub fn parse(value: &str) -> Result<Body, Invalid> {
        let value = value.trim();
        let length = value.chars().count();
        if length > Self::MAX {
            return Err(Invalid::new(format!(
                "The text is {length} characters long; keep it to {} or fewer.",
                Self::MAX
            )));
        }
        Ok(Body(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many occurrences are looked at, at most, when searching the next one.
const SEARCH_LIMIT: usize = 100_000;

/// An RFC 5545 recurrence rule (`FREQ=WEEKLY;BYDAY=SA;COUNT=4`) checked
/// against the first window of its series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    rule: String,
}

impl Recurrence {
    /// Parses a rule (with or without the `RRULE:` prefix) for a series whose
    /// first window is `first`, evaluated in `zone`. The first window must be
    /// an occurrence of the rule, and occurrences must not overlap.
    pub fn parse(value: &str, first: Window, zone: Tz) -> Result<Recurrence, Invalid> {
        let trimmed = value.trim();
        let rule = match trimmed.get(..6) {
            Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &trimmed[6..],
            _ => trimmed,
        }
        .trim()
        .to_ascii_uppercase();
        let invalid = |reason: String| {
            Invalid::new(format!(
                "The recurrence rule {rule:?} is not valid: {reason}. Write an RFC 5545 rule such as FREQ=WEEKLY;BYDAY=SA;COUNT=4."
            ))
        };
        if rule.is_empty() || rule.contains(['\r', '\n']) {
            return Err(invalid("write it on one line".into()));
        }
        let recurrence = Recurrence { rule: rule.clone() };
        let mut occurrences = recurrence
            .starts(first.starts_at, zone)
            .map_err(invalid)?
            .take(2);
        match occurrences.next() {
            None => {
                return Err(Invalid::new(format!(
                    "The recurrence rule {rule:?} gives no occurrence from {}: check COUNT and UNTIL.",
                    rfc3339(first.starts_at)
                )))
            }
            Some(start) if start != first.starts_at => {
                return Err(Invalid::new(format!(
                    "The window starts at {} but the first occurrence of {rule:?} is {}: start the window on an occurrence of the rule.",
                    rfc3339(first.starts_at),
                    rfc3339(start)
                )))
            }
            Some(_) => {}
        }
        if let Some(second) = occurrences.next() {
            if second < first.ends_at {
                return Err(Invalid::new(format!(
                    "Occurrences of {rule:?} overlap: the next one starts at {} before the first ends at {}; shorten the window or space the occurrences out.",
                    rfc3339(second),
                    rfc3339(first.ends_at)
                )));
            }
        }
        Ok(recurrence)
    }

    /// A rule as stored, already checked when it was saved.
    pub fn from_stored(rule: &str) -> Recurrence {
        Recurrence {
            rule: rule.to_string(),
        }
    }

    /// The rule without the `RRULE:` prefix, upper case.
    pub fn as_str(&self) -> &str {
        &self.rule
    }

    /// Start times (UTC) of the occurrences of the series that starts at
    /// `series_start`, in order; the library's message when the rule does not parse.
    fn starts(
        &self,
        series_start: NaiveDateTime,
        zone: Tz,
    ) -> Result<impl Iterator<Item = NaiveDateTime>, String> {
        let parsed: rrule::RRule<rrule::Unvalidated> = self
            .rule
            .parse()
            .map_err(|e: rrule::RRuleError| e.to_string())?;
        let dt_start = zone
            .from_utc_datetime(&series_start)
            .with_timezone(&rrule::Tz::Tz(zone));
        let set = parsed.build(dt_start).map_err(|e| e.to_string())?;
        Ok(set.into_iter().map(|at| at.naive_utc()))
    }

    /// The windows of the series whose first window is `first`, at most `limit`.
    pub fn occurrences(&self, first: Window, zone: Tz, limit: usize) -> Vec<Window> {
        match self.starts(first.starts_at, zone) {
            Ok(starts) => starts.take(limit).map(|s| first.moved_to(s)).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The window that follows the one starting at `current_start`, skipping
    /// any that already ended by `now` (missed while nothing was running);
    /// `None` when the rule is exhausted.
    pub fn next_after(
        &self,
        first: Window,
        zone: Tz,
        current_start: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Option<Window> {
        self.starts(first.starts_at, zone)
            .ok()?
            .take(SEARCH_LIMIT)
            .map(|s| first.moved_to(s))
            .find(|w| w.starts_at > current_start && w.ends_at > now)
    }
}

/// The window of a maintenance and, when it repeats, its rule: checked
/// together, since the rule is only valid for a window on one of its occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub window: Window,
    pub recurrence: Option<Recurrence>,
}

impl Schedule {
    /// `rule` empty or `None` means a one-off maintenance.
    pub fn new(
        starts_at: NaiveDateTime,
        ends_at: NaiveDateTime,
        rule: Option<&str>,
        zone: Tz,
    ) -> Result<Schedule, Invalid> {
        let window = Window::new(starts_at, ends_at)?;
        let recurrence = rule
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| Recurrence::parse(r, window, zone))
            .transpose()?;
        Ok(Schedule { window, recurrence })
    }
}

/// What a person reads in an update nobody wrote (the scheduler's, or a
/// status change posted without text); the wording is Statuspage's.
pub fn standard_update_text(status: MaintenanceStatus, window: Window) -> String {
    match status {
        MaintenanceStatus::Scheduled => format!(
            "Maintenance is scheduled from {} to {}.",
            rfc3339(window.starts_at),
            rfc3339(window.ends_at)
        ),
        MaintenanceStatus::InProgress => {
            "Scheduled maintenance is currently in progress. We will provide updates as necessary."
                .into()
        }
        MaintenanceStatus::Verifying => {
            "Verification is currently underway for the maintenance items.".into()
        }
        MaintenanceStatus::Completed => "The scheduled maintenance has been completed.".into(),
    }
}

/// The move the scheduler makes at `now`, if any: start when the window
/// opens (auto start), complete when it closes (auto end). A scheduled one
/// whose whole window passed unstarted is completed without touching its
/// components.
pub fn due_move(
    status: MaintenanceStatus,
    window: Window,
    auto_start: bool,
    auto_end: bool,
    now: NaiveDateTime,
) -> Option<MaintenanceStatus> {
    let ended = now >= window.ends_at;
    match status {
        MaintenanceStatus::Scheduled if auto_end && ended => Some(MaintenanceStatus::Completed),
        MaintenanceStatus::Scheduled if auto_start && now >= window.starts_at => {
            Some(MaintenanceStatus::InProgress)
        }
        s if s.is_active() && auto_end && ended => Some(MaintenanceStatus::Completed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(value: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M").unwrap()
    }

    fn window(from: &str, until: &str) -> Window {
        Window::new(at(from), at(until)).unwrap()
    }

    #[test]
    fn every_status_round_trips_through_its_wire_value() {
        for status in MaintenanceStatus::ALL {
            assert_eq!(MaintenanceStatus::parse(status.as_str()), Ok(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
        assert!(MaintenanceStatus::parse("done")
            .unwrap_err()
            .0
            .contains("in_progress"));
    }

    #[test]
    fn starting_puts_components_under_maintenance_and_completing_restores_them() {
        use MaintenanceStatus::*;
        assert_eq!(
            Scheduled.move_to(InProgress),
            Ok(ComponentEffect::PutUnderMaintenance)
        );
        assert_eq!(InProgress.move_to(Verifying), Ok(ComponentEffect::Keep));
        assert_eq!(Verifying.move_to(InProgress), Ok(ComponentEffect::Keep));
        assert_eq!(InProgress.move_to(Completed), Ok(ComponentEffect::Restore));
        assert_eq!(Verifying.move_to(Completed), Ok(ComponentEffect::Restore));
        assert_eq!(Scheduled.move_to(Completed), Ok(ComponentEffect::Keep));
        for status in MaintenanceStatus::ALL {
            assert_eq!(status.move_to(status), Ok(ComponentEffect::Keep));
        }
    }

    #[test]
    fn nothing_goes_back_to_scheduled_or_leaves_completed() {
        use MaintenanceStatus::*;
        assert!(InProgress
            .move_to(Scheduled)
            .unwrap_err()
            .0
            .contains("cannot go back"));
        assert!(Verifying.move_to(Scheduled).is_err());
        assert!(Completed
            .move_to(InProgress)
            .unwrap_err()
            .0
            .contains("completed"));
        assert!(Completed.move_to(Scheduled).is_err());
        assert!(Scheduled
            .move_to(Verifying)
            .unwrap_err()
            .0
            .contains("in_progress"));
    }

    #[test]
    fn a_window_must_end_after_it_starts() {
        let err = Window::new(at("2026-11-28 04:00"), at("2026-11-28 02:00")).unwrap_err();
        assert_eq!(
            err.0,
            "The maintenance must end after it starts: scheduled_until 2026-11-28T02:00:00Z is not after scheduled_for 2026-11-28T04:00:00Z."
        );
        assert!(Window::new(at("2026-11-28 02:00"), at("2026-11-28 02:00")).is_err());
    }

    #[test]
    fn weekly_saturday_rule_gives_four_saturdays() {
        // 28 Nov 2026 is a Saturday.
        let first = window("2026-11-28 02:00", "2026-11-28 04:00");
        let rule =
            Recurrence::parse("FREQ=WEEKLY;BYDAY=SA;COUNT=4", first, chrono_tz::UTC).unwrap();
        let got: Vec<_> = rule
            .occurrences(first, chrono_tz::UTC, 10)
            .into_iter()
            .map(|w| (rfc3339(w.starts_at), rfc3339(w.ends_at)))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-11-28T02:00:00Z".into(), "2026-11-28T04:00:00Z".into()),
                ("2026-12-05T02:00:00Z".into(), "2026-12-05T04:00:00Z".into()),
                ("2026-12-12T02:00:00Z".into(), "2026-12-12T04:00:00Z".into()),
                ("2026-12-19T02:00:00Z".into(), "2026-12-19T04:00:00Z".into()),
            ]
        );
    }

    #[test]
    fn monthly_rule_on_the_first_sunday() {
        // First Sundays: 6 Dec 2026, 3 Jan 2027, 7 Feb 2027.
        let first = window("2026-12-06 22:00", "2026-12-06 23:30");
        let rule = Recurrence::parse(
            "rrule:freq=monthly;byday=1SU;count=3",
            first,
            chrono_tz::UTC,
        )
        .unwrap();
        assert_eq!(rule.as_str(), "FREQ=MONTHLY;BYDAY=1SU;COUNT=3");
        let starts: Vec<_> = rule
            .occurrences(first, chrono_tz::UTC, 10)
            .into_iter()
            .map(|w| w.starts_at)
            .collect();
        assert_eq!(
            starts,
            vec![
                at("2026-12-06 22:00"),
                at("2027-01-03 22:00"),
                at("2027-02-07 22:00")
            ]
        );
    }

    #[test]
    fn a_local_weekly_window_keeps_its_local_time_across_the_clock_change() {
        // Saturdays 02:00 in Paris: CET (UTC+1) on 21 Mar 2026, CEST (UTC+2) from 29 Mar.
        let zone = chrono_tz::Europe::Paris;
        let first = window("2026-03-21 01:00", "2026-03-21 03:00");
        let rule = Recurrence::parse("FREQ=WEEKLY;BYDAY=SA;COUNT=2", first, zone).unwrap();
        let starts: Vec<_> = rule
            .occurrences(first, zone, 5)
            .into_iter()
            .map(|w| w.starts_at)
            .collect();
        assert_eq!(starts, vec![at("2026-03-21 01:00"), at("2026-03-28 01:00")]);
        let rule = Recurrence::parse("FREQ=WEEKLY;COUNT=3", first, zone).unwrap();
        let third = rule.occurrences(first, zone, 5)[2];
        assert_eq!(
            third.starts_at,
            at("2026-04-04 00:00"),
            "02:00 CEST is 00:00 UTC"
        );
    }

    #[test]
    fn the_next_window_follows_the_current_one_until_the_rule_is_exhausted() {
        let first = window("2026-11-28 02:00", "2026-11-28 04:00");
        let rule =
            Recurrence::parse("FREQ=WEEKLY;BYDAY=SA;COUNT=3", first, chrono_tz::UTC).unwrap();
        let next = rule
            .next_after(
                first,
                chrono_tz::UTC,
                first.starts_at,
                at("2026-11-28 04:00"),
            )
            .unwrap();
        assert_eq!(next, window("2026-12-05 02:00", "2026-12-05 04:00"));
        // Missed occurrences (nothing ran) are skipped.
        let next = rule
            .next_after(
                first,
                chrono_tz::UTC,
                first.starts_at,
                at("2026-12-08 00:00"),
            )
            .unwrap();
        assert_eq!(next, window("2026-12-12 02:00", "2026-12-12 04:00"));
        assert_eq!(
            rule.next_after(
                first,
                chrono_tz::UTC,
                at("2026-12-12 02:00"),
                at("2026-12-12 04:00")
            ),
            None
        );
    }

    #[test]
    fn a_bad_rule_is_refused_with_the_library_reason() {
        let first = window("2026-11-28 02:00", "2026-11-28 04:00");
        let err = Recurrence::parse("FREQ=SOMETIMES", first, chrono_tz::UTC).unwrap_err();
        assert!(
            err.0
                .starts_with("The recurrence rule \"FREQ=SOMETIMES\" is not valid: "),
            "{}",
            err.0
        );
        assert!(err.0.contains("SOMETIMES"), "{}", err.0);
        assert!(err.0.contains("FREQ=WEEKLY;BYDAY=SA;COUNT=4"), "{}", err.0);
        let err = Recurrence::parse("FREQ=WEEKLY;BYDAY=XX", first, chrono_tz::UTC).unwrap_err();
        assert!(err.0.contains("is not valid"), "{}", err.0);
    }

    #[test]
    fn the_first_window_must_be_an_occurrence_and_windows_must_not_overlap() {
        // 27 Nov 2026 is a Friday.
        let friday = window("2026-11-27 02:00", "2026-11-27 04:00");
        let err = Recurrence::parse("FREQ=WEEKLY;BYDAY=SA", friday, chrono_tz::UTC).unwrap_err();
        assert!(err.0.contains("first occurrence"), "{}", err.0);
        assert!(err.0.contains("2026-11-28T02:00:00Z"), "{}", err.0);
        let long = window("2026-11-28 02:00", "2026-11-29 04:00");
        let err = Recurrence::parse("FREQ=DAILY", long, chrono_tz::UTC).unwrap_err();
        assert!(err.0.contains("overlap"), "{}", err.0);
    }

    #[test]
    fn the_scheduler_starts_at_the_window_start_and_completes_at_its_end() {
        use MaintenanceStatus::*;
        let w = window("2026-11-28 02:00", "2026-11-28 04:00");
        assert_eq!(
            due_move(Scheduled, w, true, true, at("2026-11-28 01:59")),
            None
        );
        assert_eq!(
            due_move(Scheduled, w, true, true, at("2026-11-28 02:00")),
            Some(InProgress)
        );
        assert_eq!(
            due_move(Scheduled, w, false, true, at("2026-11-28 03:00")),
            None
        );
        assert_eq!(
            due_move(InProgress, w, true, true, at("2026-11-28 03:59")),
            None
        );
        assert_eq!(
            due_move(InProgress, w, true, true, at("2026-11-28 04:00")),
            Some(Completed)
        );
        assert_eq!(
            due_move(Verifying, w, true, true, at("2026-11-28 05:00")),
            Some(Completed)
        );
        assert_eq!(
            due_move(InProgress, w, true, false, at("2026-11-28 05:00")),
            None
        );
        assert_eq!(
            due_move(Scheduled, w, true, true, at("2026-11-28 05:00")),
            Some(Completed)
        );
        assert_eq!(
            due_move(Scheduled, w, true, false, at("2026-11-28 05:00")),
            Some(InProgress)
        );
        assert_eq!(
            due_move(Completed, w, true, true, at("2026-11-28 05:00")),
            None
        );
    }

    #[test]
    fn a_schedule_without_a_rule_is_one_off() {
        let s = Schedule::new(
            at("2026-11-28 02:00"),
            at("2026-11-28 04:00"),
            Some("  "),
            chrono_tz::UTC,
        )
        .unwrap();
        assert_eq!(s.recurrence, None);
        let s = Schedule::new(
            at("2026-11-28 02:00"),
            at("2026-11-28 04:00"),
            Some("FREQ=DAILY;COUNT=2"),
            chrono_tz::UTC,
        )
        .unwrap();
        assert_eq!(s.recurrence.unwrap().as_str(), "FREQ=DAILY;COUNT=2");
    }

    #[test]
    fn bodies_are_limited() {
        assert_eq!(Body::parse("  Upgrade  ").unwrap().as_str(), "Upgrade");
        assert!(Body::parse(&"x".repeat(10_001)).is_err());
    }
}
