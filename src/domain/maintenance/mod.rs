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
mod tests;
