//! Uptime per day, computed from a component's status history.
//!
//! A day is a calendar day in the page's time zone, so it lasts 23, 24 or 25
//! hours around clock changes. Each day gets the time the component spent in
//! each status and an uptime percentage: every status counts with a weight
//! between 0 (down) and 1 (up), by default Statuspage's rule (a major outage
//! is downtime, a partial outage counts 30 % of its time as downtime, degraded
//! performance and maintenance are not downtime). Time before the component
//! existed, and time still to come today, is "no data", never uptime.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::status::ComponentStatus;
use super::Invalid;

/// How much of its time in each status counts as uptime (1.0 = all of it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UptimeWeights {
    pub operational: f64,
    pub under_maintenance: f64,
    pub degraded_performance: f64,
    pub partial_outage: f64,
    pub major_outage: f64,
}

impl Default for UptimeWeights {
    /// Statuspage's rule: only outages are downtime, a partial one at 30 %.
    fn default() -> Self {
        UptimeWeights {
            operational: 1.0,
            under_maintenance: 1.0,
            degraded_performance: 1.0,
            partial_outage: 0.7,
            major_outage: 0.0,
        }
    }
}

impl UptimeWeights {
    pub fn weight(&self, status: ComponentStatus) -> f64 {
        match status {
            ComponentStatus::Operational => self.operational,
            ComponentStatus::UnderMaintenance => self.under_maintenance,
            ComponentStatus::DegradedPerformance => self.degraded_performance,
            ComponentStatus::PartialOutage => self.partial_outage,
            ComponentStatus::MajorOutage => self.major_outage,
        }
    }

    /// Every weight must lie between 0 and 1.
    pub fn validate(&self) -> Result<(), Invalid> {
        for status in ComponentStatus::ALL {
            let weight = self.weight(status);
            if !(0.0..=1.0).contains(&weight) {
                return Err(Invalid::new(format!(
                    "uptime_weights.{} must be between 0.0 (counts as downtime) and 1.0 (counts as uptime), got {weight}",
                    status.as_str()
                )));
            }
        }
        Ok(())
    }
}

/// One recorded change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChangeAt {
    /// When it happened, in UTC.
    pub at: NaiveDateTime,
    pub from: ComponentStatus,
    pub to: ComponentStatus,
}

/// What is known of one component's statuses over time.
#[derive(Debug, Clone)]
pub struct StatusTimeline {
    /// When the component was created (UTC): before it there is no data.
    pub since: NaiveDateTime,
    /// Its status now; the status throughout when no change is known.
    pub current: ComponentStatus,
    /// Changes in any order. The history may start late: before the first
    /// known change the component was in that change's `from` status.
    pub changes: Vec<StatusChangeAt>,
}

/// The days to compute: `first..=last` in `zone`, observed up to `now` (UTC).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub zone: Tz,
    pub now: NaiveDateTime,
}

impl Window {
    /// The `days` local days that end today (today included).
    pub fn last_days(days: u32, zone: Tz, now: NaiveDateTime) -> Window {
        let today = local_date(now, zone);
        let back = i64::from(days.max(1)) - 1;
        Window {
            first: today - Duration::days(back),
            last: today,
            zone,
            now,
        }
    }
}

/// The calendar date in `zone` at the UTC instant `at`.
pub fn local_date(at: NaiveDateTime, zone: Tz) -> NaiveDate {
    at.and_utc().with_timezone(&zone).date_naive()
}

/// The UTC instant a local day starts: midnight, or the first local time
/// that exists when a clock change skips midnight.
pub fn day_start(date: NaiveDate, zone: Tz) -> NaiveDateTime {
    let mut local = date.and_time(NaiveTime::MIN);
    for _ in 0..96 {
        if let Some(start) = zone.from_local_datetime(&local).earliest() {
            return start.naive_utc();
        }
        local += Duration::minutes(15);
    }
    date.and_time(NaiveTime::MIN)
}

/// Time spent in each status during one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusDurations([Duration; 5]);

impl StatusDurations {
    fn slot(status: ComponentStatus) -> usize {
        match status {
            ComponentStatus::Operational => 0,
            ComponentStatus::UnderMaintenance => 1,
            ComponentStatus::DegradedPerformance => 2,
            ComponentStatus::PartialOutage => 3,
            ComponentStatus::MajorOutage => 4,
        }
    }

    fn add(&mut self, status: ComponentStatus, time: Duration) {
        self.0[Self::slot(status)] += time;
    }

    pub fn get(&self, status: ComponentStatus) -> Duration {
        self.0[Self::slot(status)]
    }

    pub fn total(&self) -> Duration {
        self.0.iter().fold(Duration::zero(), |sum, d| sum + *d)
    }
}

/// One day of a component's uptime.
#[derive(Debug, Clone, PartialEq)]
pub struct DayUptime {
    pub date: NaiveDate,
    /// How long the local day is (23, 24 or 25 hours).
    pub length: Duration,
    /// Time observed in each status; their sum is the observed part of the day.
    pub durations: StatusDurations,
    /// Weighted uptime of the observed part, 0–100; `None` without data.
    pub uptime_percent: Option<f64>,
}

impl DayUptime {
    /// The part of the day the component existed and that has passed.
    pub fn observed(&self) -> Duration {
        self.durations.total()
    }

    pub fn has_data(&self) -> bool {
        self.observed() > Duration::zero()
    }

    /// Share of the observed part of the day spent in `status` (0 without data).
    pub fn fraction(&self, status: ComponentStatus) -> f64 {
        let observed = self.observed().num_milliseconds();
        if observed == 0 {
            return 0.0;
        }
        self.durations.get(status).num_milliseconds() as f64 / observed as f64
    }

    /// The worst status the component was in that day, if any data.
    pub fn worst(&self) -> Option<ComponentStatus> {
        ComponentStatus::ALL
            .into_iter()
            .filter(|s| self.durations.get(*s) > Duration::zero())
            .max()
    }
}

/// Spans of constant status, `[start, end)` in UTC, from `since` to `now`.
fn spans(
    timeline: &StatusTimeline,
    now: NaiveDateTime,
) -> Vec<(NaiveDateTime, NaiveDateTime, ComponentStatus)> {
    let mut changes = timeline.changes.clone();
    changes.sort_by_key(|c| c.at);
    let mut status = changes.first().map_or(timeline.current, |c| c.from);
    let mut start = timeline.since;
    let mut out = Vec::with_capacity(changes.len() + 1);
    for change in &changes {
        let at = change.at.clamp(timeline.since, now.max(timeline.since));
        if at > start {
            out.push((start, at, status));
        }
        start = start.max(at);
        status = change.to;
    }
    if now > start {
        out.push((start, now, status));
    }
    out
}

/// Per day of `window`, the time in each status and the weighted uptime.
pub fn daily_uptime(
    timeline: &StatusTimeline,
    window: &Window,
    weights: &UptimeWeights,
) -> Vec<DayUptime> {
    let spans = spans(timeline, window.now);
    let mut days = Vec::new();
    let mut date = window.first;
    while date <= window.last {
        let start = day_start(date, window.zone);
        let end = day_start(date + Duration::days(1), window.zone);
        let mut durations = StatusDurations::default();
        for (from, to, status) in &spans {
            let overlap_start = (*from).max(start);
            let overlap_end = (*to).min(end);
            if overlap_end > overlap_start {
                durations.add(*status, overlap_end - overlap_start);
            }
        }
        let uptime_percent = weighted_percent(&durations, weights);
        days.push(DayUptime {
            date,
            length: end - start,
            durations,
            uptime_percent,
        });
        date += Duration::days(1);
    }
    days
}

fn weighted_percent(durations: &StatusDurations, weights: &UptimeWeights) -> Option<f64> {
    let observed = durations.total().num_milliseconds();
    if observed == 0 {
        return None;
    }
    let up: f64 = ComponentStatus::ALL
        .into_iter()
        .map(|s| durations.get(s).num_milliseconds() as f64 * weights.weight(s))
        .sum();
    Some(100.0 * up / observed as f64)
}

/// Time in each status and the weighted uptime over `[from, to)` (UTC),
/// observed up to `now`: the same rule as the daily bars, for any period
/// (the metrics' uptime per component). `None` without data.
pub fn uptime_between(
    timeline: &StatusTimeline,
    from: NaiveDateTime,
    to: NaiveDateTime,
    now: NaiveDateTime,
    weights: &UptimeWeights,
) -> (StatusDurations, Option<f64>) {
    let mut durations = StatusDurations::default();
    for (start, end, status) in spans(timeline, now.min(to)) {
        let (start, end) = (start.max(from), end.min(to));
        if end > start {
            durations.add(status, end - start);
        }
    }
    let percent = weighted_percent(&durations, weights);
    (durations, percent)
}

/// Uptime over several days: observed time weighted, days without data left out.
pub fn overall_uptime(days: &[DayUptime], weights: &UptimeWeights) -> Option<f64> {
    let mut total = StatusDurations::default();
    for day in days {
        for status in ComponentStatus::ALL {
            total.add(status, day.durations.get(status));
        }
    }
    weighted_percent(&total, weights)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComponentStatus::*;

    #[test]
    fn uptime_between_two_instants_weights_each_status() {
        // Created 1 Nov; a 2 h major outage and a 10 h partial outage inside
        // a 100 h period: downtime 2 h + 30 % of 10 h = 5 h → 95 %.
        let timeline = StatusTimeline {
            since: at("2026-11-01 00:00"),
            current: Operational,
            changes: vec![
                change("2026-11-02 10:00", Operational, MajorOutage),
                change("2026-11-02 12:00", MajorOutage, PartialOutage),
                change("2026-11-02 22:00", PartialOutage, Operational),
            ],
        };
        let (durations, percent) = uptime_between(
            &timeline,
            at("2026-11-02 00:00"),
            at("2026-11-06 04:00"),
            at("2026-11-23 00:00"),
            &UptimeWeights::default(),
        );
        assert_eq!(durations.get(MajorOutage), Duration::hours(2));
        assert_eq!(durations.get(PartialOutage), Duration::hours(10));
        assert_eq!(durations.total(), Duration::hours(100));
        assert!((percent.unwrap() - 95.0).abs() < 1e-9, "{percent:?}");
        // Before the component existed there is no data.
        let (_, none) = uptime_between(
            &timeline,
            at("2026-10-01 00:00"),
            at("2026-10-02 00:00"),
            at("2026-11-23 00:00"),
            &UptimeWeights::default(),
        );
        assert_eq!(none, None);
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn change(when: &str, from: ComponentStatus, to: ComponentStatus) -> StatusChangeAt {
        StatusChangeAt {
            at: at(when),
            from,
            to,
        }
    }

    fn window(first: &str, last: &str, zone: Tz, now: &str) -> Window {
        Window {
            first: date(first),
            last: date(last),
            zone,
            now: at(now),
        }
    }

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 1e-9
    }

    #[test]
    fn the_defaults_follow_statuspage_and_every_weight_is_checked() {
        let w = UptimeWeights::default();
        assert_eq!(w.weight(Operational), 1.0);
        assert_eq!(w.weight(UnderMaintenance), 1.0);
        assert_eq!(w.weight(DegradedPerformance), 1.0);
        assert_eq!(w.weight(PartialOutage), 0.7);
        assert_eq!(w.weight(MajorOutage), 0.0);
        assert!(w.validate().is_ok());
        let bad = UptimeWeights {
            partial_outage: 1.5,
            ..w
        };
        assert!(bad.validate().unwrap_err().0.contains("partial_outage"));
        let negative = UptimeWeights {
            major_outage: -0.1,
            ..w
        };
        assert!(negative.validate().is_err());
    }

    #[test]
    fn a_quiet_day_is_fully_up() {
        let timeline = StatusTimeline {
            since: at("2026-01-01 00:00"),
            current: Operational,
            changes: vec![],
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-11-20",
                "2026-11-21",
                chrono_tz::UTC,
                "2026-11-22 09:00",
            ),
            &UptimeWeights::default(),
        );
        assert_eq!(days.len(), 2);
        for day in &days {
            assert_eq!(day.length, Duration::hours(24));
            assert_eq!(day.observed(), Duration::hours(24));
            assert_eq!(day.fraction(Operational), 1.0);
            assert_eq!(day.uptime_percent, Some(100.0));
            assert_eq!(day.worst(), Some(Operational));
        }
    }

    #[test]
    fn a_major_outage_from_noon_halves_the_day_then_takes_the_next() {
        let timeline = StatusTimeline {
            since: at("2026-01-01 00:00"),
            current: MajorOutage,
            changes: vec![change("2026-11-20 12:00", Operational, MajorOutage)],
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-11-20",
                "2026-11-21",
                chrono_tz::UTC,
                "2026-11-22 00:00",
            ),
            &UptimeWeights::default(),
        );
        assert_eq!(days[0].durations.get(Operational), Duration::hours(12));
        assert_eq!(days[0].durations.get(MajorOutage), Duration::hours(12));
        assert_eq!(days[0].fraction(MajorOutage), 0.5);
        assert_eq!(days[0].uptime_percent, Some(50.0));
        assert_eq!(days[0].worst(), Some(MajorOutage));
        assert_eq!(days[1].uptime_percent, Some(0.0));
        assert_eq!(days[1].fraction(MajorOutage), 1.0);
    }

    #[test]
    fn several_changes_in_a_day_are_weighted_by_status() {
        // 10:00 partial, 10:30 major, 11:00 degraded, 12:00 operational again:
        // 22 h operational + 1 h degraded (up) + 0.5 h partial × 0.7 + 0.5 h major × 0
        // = 23.35 h of 24 h.
        let timeline = StatusTimeline {
            since: at("2026-01-01 00:00"),
            current: Operational,
            changes: vec![
                change("2026-11-23 11:00", MajorOutage, DegradedPerformance),
                change("2026-11-23 10:00", Operational, PartialOutage),
                change("2026-11-23 12:00", DegradedPerformance, Operational),
                change("2026-11-23 10:30", PartialOutage, MajorOutage),
            ],
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-11-23",
                "2026-11-23",
                chrono_tz::UTC,
                "2026-11-24 08:00",
            ),
            &UptimeWeights::default(),
        );
        let day = &days[0];
        assert_eq!(day.durations.get(Operational), Duration::hours(22));
        assert_eq!(day.durations.get(PartialOutage), Duration::minutes(30));
        assert_eq!(day.durations.get(MajorOutage), Duration::minutes(30));
        assert_eq!(day.durations.get(DegradedPerformance), Duration::hours(1));
        assert!(close(day.uptime_percent.unwrap(), 100.0 * 23.35 / 24.0));
        assert!(close(day.fraction(DegradedPerformance), 1.0 / 24.0));
        assert_eq!(day.worst(), Some(MajorOutage));
    }

    #[test]
    fn other_weights_change_the_figure_not_the_durations() {
        let timeline = StatusTimeline {
            since: at("2026-01-01 00:00"),
            current: Operational,
            changes: vec![
                change("2026-11-23 06:00", Operational, DegradedPerformance),
                change("2026-11-23 12:00", DegradedPerformance, Operational),
            ],
        };
        let strict = UptimeWeights {
            degraded_performance: 0.5,
            ..UptimeWeights::default()
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-11-23",
                "2026-11-23",
                chrono_tz::UTC,
                "2026-11-24 00:00",
            ),
            &strict,
        );
        // 18 h up + 6 h × 0.5 = 21 h of 24 h.
        assert!(close(days[0].uptime_percent.unwrap(), 87.5));
    }

    #[test]
    fn days_follow_the_page_zone_not_utc() {
        // 23:30 UTC on the 22nd is 00:30 on the 23rd in Paris (CET, UTC+1).
        let timeline = StatusTimeline {
            since: at("2026-01-01 00:00"),
            current: Operational,
            changes: vec![
                change("2026-11-22 23:30", Operational, MajorOutage),
                change("2026-11-23 00:30", MajorOutage, Operational),
            ],
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-11-22",
                "2026-11-23",
                chrono_tz::Europe::Paris,
                "2026-11-24 12:00",
            ),
            &UptimeWeights::default(),
        );
        assert_eq!(days[0].uptime_percent, Some(100.0));
        assert_eq!(days[1].durations.get(MajorOutage), Duration::hours(1));
        assert!(close(days[1].uptime_percent.unwrap(), 100.0 * 23.0 / 24.0));
    }

    #[test]
    fn the_spring_clock_change_makes_a_23_hour_day_in_paris() {
        // 29 Mar 2026 in Paris runs from 28 Mar 23:00 UTC to 29 Mar 22:00 UTC.
        let timeline = StatusTimeline {
            since: at("2026-01-01 00:00"),
            current: Operational,
            changes: vec![
                change("2026-03-29 10:00", Operational, MajorOutage),
                change("2026-03-29 11:30", MajorOutage, Operational),
            ],
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-03-28",
                "2026-03-30",
                chrono_tz::Europe::Paris,
                "2026-04-01 00:00",
            ),
            &UptimeWeights::default(),
        );
        assert_eq!(days[0].length, Duration::hours(24));
        assert_eq!(days[1].length, Duration::hours(23));
        assert_eq!(days[1].observed(), Duration::hours(23));
        assert_eq!(days[1].durations.get(MajorOutage), Duration::minutes(90));
        assert!(close(days[1].uptime_percent.unwrap(), 100.0 * 21.5 / 23.0));
        assert_eq!(days[2].uptime_percent, Some(100.0));
    }

    #[test]
    fn the_autumn_clock_change_makes_a_25_hour_day_in_paris() {
        // 25 Oct 2026 in Paris runs from 24 Oct 22:00 UTC to 25 Oct 23:00 UTC.
        let timeline = StatusTimeline {
            since: at("2026-01-01 00:00"),
            current: Operational,
            changes: vec![
                change("2026-10-24 22:00", Operational, MajorOutage),
                change("2026-10-24 23:00", MajorOutage, Operational),
            ],
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-10-24",
                "2026-10-25",
                chrono_tz::Europe::Paris,
                "2026-10-27 00:00",
            ),
            &UptimeWeights::default(),
        );
        assert_eq!(days[0].uptime_percent, Some(100.0));
        assert_eq!(days[1].length, Duration::hours(25));
        assert_eq!(days[1].durations.get(MajorOutage), Duration::hours(1));
        assert!(close(days[1].uptime_percent.unwrap(), 96.0));
    }

    #[test]
    fn days_before_the_component_existed_have_no_data() {
        let timeline = StatusTimeline {
            since: at("2026-11-20 18:00"),
            current: Operational,
            changes: vec![],
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-11-18",
                "2026-11-21",
                chrono_tz::UTC,
                "2026-11-22 00:00",
            ),
            &UptimeWeights::default(),
        );
        assert!(!days[0].has_data());
        assert_eq!(days[0].uptime_percent, None);
        assert_eq!(days[0].worst(), None);
        assert_eq!(days[0].fraction(Operational), 0.0);
        assert_eq!(days[1].uptime_percent, None);
        assert_eq!(days[2].observed(), Duration::hours(6));
        assert_eq!(days[2].fraction(Operational), 1.0);
        assert_eq!(days[2].uptime_percent, Some(100.0));
        assert_eq!(days[3].observed(), Duration::hours(24));
    }

    #[test]
    fn today_counts_only_the_hours_that_have_passed() {
        let timeline = StatusTimeline {
            since: at("2026-01-01 00:00"),
            current: MajorOutage,
            changes: vec![change("2026-11-23 03:00", Operational, MajorOutage)],
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-11-23",
                "2026-11-24",
                chrono_tz::UTC,
                "2026-11-23 06:00",
            ),
            &UptimeWeights::default(),
        );
        assert_eq!(days[0].observed(), Duration::hours(6));
        assert_eq!(days[0].uptime_percent, Some(50.0));
        assert!(!days[1].has_data(), "tomorrow has no data yet");
    }

    #[test]
    fn a_history_that_starts_late_uses_the_first_known_from_status() {
        // The component is older than the changes loaded: before the first
        // one it was in that change's `from` status.
        let timeline = StatusTimeline {
            since: at("2025-01-01 00:00"),
            current: Operational,
            changes: vec![change("2026-11-23 12:00", PartialOutage, Operational)],
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-11-22",
                "2026-11-23",
                chrono_tz::UTC,
                "2026-11-24 00:00",
            ),
            &UptimeWeights::default(),
        );
        assert_eq!(days[0].fraction(PartialOutage), 1.0);
        assert!(close(days[0].uptime_percent.unwrap(), 70.0));
        assert!(close(days[1].uptime_percent.unwrap(), 85.0));
    }

    #[test]
    fn the_last_days_window_ends_today_in_the_page_zone() {
        let w = Window::last_days(90, chrono_tz::Europe::Paris, at("2026-11-22 23:30"));
        assert_eq!(w.last, date("2026-11-23"));
        assert_eq!(w.first, date("2026-08-26"));
        let timeline = StatusTimeline {
            since: at("2026-01-01 00:00"),
            current: Operational,
            changes: vec![],
        };
        assert_eq!(
            daily_uptime(&timeline, &w, &UptimeWeights::default()).len(),
            90
        );
    }

    #[test]
    fn overall_uptime_weights_days_by_the_time_observed() {
        // Day 1: 6 h observed, all major outage. Day 2: 24 h operational.
        let timeline = StatusTimeline {
            since: at("2026-11-20 18:00"),
            current: Operational,
            changes: vec![change("2026-11-21 00:00", MajorOutage, Operational)],
        };
        let days = daily_uptime(
            &timeline,
            &window(
                "2026-11-19",
                "2026-11-21",
                chrono_tz::UTC,
                "2026-11-22 00:00",
            ),
            &UptimeWeights::default(),
        );
        assert_eq!(days[1].uptime_percent, Some(0.0));
        let overall = overall_uptime(&days, &UptimeWeights::default()).unwrap();
        assert!(close(overall, 100.0 * 24.0 / 30.0));
        assert_eq!(overall_uptime(&days[..1], &UptimeWeights::default()), None);
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_the_first_local_time() {
        // Santiago moved its clocks from 00:00 to 01:00 on 7 Sep 2025.
        let start = day_start(date("2025-09-07"), chrono_tz::America::Santiago);
        assert_eq!(start, at("2025-09-07 04:00"));
        assert_eq!(
            day_start(date("2026-11-23"), chrono_tz::Europe::Paris),
            at("2026-11-22 23:00")
        );
    }
}
