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
