//! Hand-computed fixtures. 2026-01-05 is a Monday. Europe/Paris springs
//! forward on Sunday 2026-03-29 (02:00 CET → 03:00 CEST, at 01:00 UTC) and
//! falls back on Sunday 2026-10-25 (03:00 CEST → 02:00 CET, at 01:00 UTC).

use figment::providers::{Format, Toml};
use figment::Figment;

use super::*;

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn hours(h: i64) -> Duration {
    Duration::hours(h)
}

fn minutes(m: i64) -> Duration {
    Duration::minutes(m)
}

fn config(toml: &str) -> SupportHoursConfig {
    Figment::from(Toml::string(toml)).extract().unwrap()
}

fn calendar(toml: &str) -> SupportHours {
    SupportHours::parse(&config(toml)).unwrap()
}

fn error(toml: &str) -> String {
    SupportHours::parse(&config(toml)).unwrap_err().0
}

/// Paris office hours, plus two Sunday windows that straddle the clock change.
fn paris_with_night_shift() -> SupportHours {
    calendar(
        r#"
        time_zone = "Europe/Paris"
        monday = ["09:00-17:00"]
        tuesday = ["09:00-17:00"]
        wednesday = ["09:00-17:00"]
        thursday = ["09:00-17:00"]
        friday = ["09:00-17:00"]
        sunday = ["01:00-04:00", "09:00-17:00"]
        "#,
    )
}

fn paris_office() -> SupportHours {
    calendar(
        r#"
        time_zone = "Europe/Paris"
        monday = ["09:00-17:00"]
        tuesday = ["09:00-17:00"]
        wednesday = ["09:00-17:00"]
        thursday = ["09:00-17:00"]
        friday = ["09:00-17:00"]
        holidays = ["2026-12-25"]
        "#,
    )
}

#[test]
fn a_span_inside_one_window_counts_in_full() {
    let hours_ = SupportHours::default();
    let within = hours_.duration_within(at("2026-01-05 10:00"), at("2026-01-05 12:30"));
    assert_eq!(within, minutes(150));
}

#[test]
fn a_span_across_a_night_counts_the_evening_and_the_next_morning() {
    let within =
        SupportHours::default().duration_within(at("2026-01-06 16:00"), at("2026-01-07 10:00"));
    assert_eq!(within, hours(2));
}

#[test]
fn a_span_across_a_weekend_counts_only_friday_evening_and_monday_morning() {
    let within =
        SupportHours::default().duration_within(at("2026-01-09 16:00"), at("2026-01-12 10:00"));
    assert_eq!(within, hours(2));
}

#[test]
fn a_whole_week_counts_five_working_days() {
    let within =
        SupportHours::default().duration_within(at("2026-01-10 00:00"), at("2026-01-17 00:00"));
    assert_eq!(within, hours(40));
}

#[test]
fn an_empty_or_backwards_span_has_no_support_time() {
    let hours_ = SupportHours::default();
    let noon = at("2026-01-05 12:00");
    assert_eq!(hours_.duration_within(noon, noon), Duration::zero());
    assert_eq!(
        hours_.duration_within(noon, at("2026-01-05 11:00")),
        Duration::zero()
    );
}

#[test]
fn a_holiday_has_no_support_hours() {
    let hours_ = calendar(
        r#"
        monday = ["09:00-17:00"]
        tuesday = ["09:00-17:00"]
        wednesday = ["09:00-17:00"]
        thursday = ["09:00-17:00"]
        holidays = ["2026-01-07"]
        "#,
    );
    let within = hours_.duration_within(at("2026-01-06 16:00"), at("2026-01-08 10:00"));
    assert_eq!(within, hours(2));
}

#[test]
fn holidays_and_windows_are_local_dates_in_the_calendar_zone() {
    // Paris is UTC+1 in December: 15:00 UTC on Thursday is 16:00 local.
    let hours_ = paris_office();
    let within = hours_.duration_within(at("2026-12-24 15:00"), at("2026-12-28 09:00"));
    // Thursday 16:00–17:00 local, Friday the 25th is a holiday, Monday 09:00–10:00 local.
    assert_eq!(within, hours(2));
    assert_eq!(
        hours_.duration_within(at("2026-12-24 07:00"), at("2026-12-24 08:00")),
        Duration::zero()
    );
}

#[test]
fn the_spring_forward_day_shortens_a_window_that_spans_the_skipped_hour() {
    let hours_ = paris_with_night_shift();
    // 01:00 CET is 00:00 UTC; 04:00 CEST is 02:00 UTC.
    assert_eq!(
        hours_.duration_within(at("2026-03-29 00:00"), at("2026-03-29 02:00")),
        hours(2)
    );
    // 09:00–17:00 CEST is 07:00–15:00 UTC and is still eight hours.
    assert_eq!(
        hours_.duration_within(at("2026-03-29 06:00"), at("2026-03-29 16:00")),
        hours(8)
    );
    // The whole local Sunday (23 hours of wall clock) holds 2 h + 8 h.
    assert_eq!(
        hours_.duration_within(at("2026-03-28 23:00"), at("2026-03-29 22:00")),
        hours(10)
    );
}

#[test]
fn a_span_across_the_skipped_hour_counts_only_the_time_the_clock_showed() {
    // 00:30 UTC is 01:30 CET; 01:30 UTC is 03:30 CEST: half an hour either side of the jump.
    let within =
        paris_with_night_shift().duration_within(at("2026-03-29 00:30"), at("2026-03-29 01:30"));
    assert_eq!(within, hours(1));
}

#[test]
fn the_fall_back_day_lengthens_a_window_that_spans_the_repeated_hour() {
    let hours_ = paris_with_night_shift();
    // 01:00 CEST is 23:00 UTC the day before; 04:00 CET is 03:00 UTC.
    assert_eq!(
        hours_.duration_within(at("2026-10-24 23:00"), at("2026-10-25 03:00")),
        hours(4)
    );
    // The whole local Sunday (25 hours of wall clock) holds 4 h + 8 h.
    assert_eq!(
        hours_.duration_within(at("2026-10-24 22:00"), at("2026-10-25 23:00")),
        hours(12)
    );
}

#[test]
fn a_window_inside_the_changing_hour_lasts_as_long_as_the_clock_shows_it() {
    let hours_ = calendar(
        r#"
        time_zone = "Europe/Paris"
        sunday = ["02:30-03:30"]
        "#,
    );
    let sunday = |date: &str, next: &str| {
        hours_.duration_within(at(&format!("{date} 00:00")), at(&format!("{next} 00:00")))
    };
    assert_eq!(sunday("2026-03-22", "2026-03-23"), minutes(60));
    // Spring forward: the clock never shows 02:30–03:00.
    assert_eq!(sunday("2026-03-29", "2026-03-30"), minutes(30));
    // Fall back: 02:30–03:00 CEST, then 02:30–03:30 CET.
    assert_eq!(sunday("2026-10-25", "2026-10-26"), minutes(90));
}

#[test]
fn a_whole_day_window_lasts_as_long_as_the_local_day() {
    let hours_ = calendar(
        r#"
        time_zone = "Europe/Paris"
        sunday = ["00:00-24:00"]
        "#,
    );
    let week = |from: &str, to: &str| hours_.duration_within(at(from), at(to));
    assert_eq!(week("2026-03-23 00:00", "2026-03-30 00:00"), hours(23));
    assert_eq!(week("2026-10-19 00:00", "2026-10-26 00:00"), hours(25));
    assert_eq!(week("2026-06-01 00:00", "2026-06-08 00:00"), hours(24));
}

#[test]
fn office_hours_keep_eight_hours_a_day_across_the_clock_change() {
    let hours_ = paris_office();
    // Two working weeks around the spring-forward weekend.
    assert_eq!(
        hours_.duration_within(at("2026-03-22 00:00"), at("2026-04-05 00:00")),
        hours(80)
    );
    // 08:00 UTC opens on Friday (09:00 CET) but is already an hour in on Monday (10:00 CEST).
    assert_eq!(
        hours_.duration_within(at("2026-03-27 07:00"), at("2026-03-27 08:00")),
        Duration::zero()
    );
    assert_eq!(
        hours_.duration_within(at("2026-03-30 07:00"), at("2026-03-30 08:00")),
        hours(1)
    );
}

#[test]
fn adding_support_time_skips_the_night() {
    let deadline = SupportHours::default().add_support_time(at("2026-01-06 16:00"), hours(2));
    assert_eq!(deadline, at("2026-01-07 10:00"));
}

#[test]
fn adding_support_time_skips_the_weekend_and_a_holiday() {
    let hours_ = calendar(
        r#"
        monday = ["09:00-17:00"]
        tuesday = ["09:00-17:00"]
        friday = ["09:00-17:00"]
        holidays = ["2026-01-12"]
        "#,
    );
    let deadline = hours_.add_support_time(at("2026-01-09 16:00"), hours(2));
    assert_eq!(deadline, at("2026-01-13 10:00"));
}

#[test]
fn a_deadline_that_uses_up_a_window_falls_at_its_closing_time() {
    let deadline = SupportHours::default().add_support_time(at("2026-01-05 09:00"), hours(8));
    assert_eq!(deadline, at("2026-01-05 17:00"));
}

#[test]
fn a_clock_started_outside_hours_waits_for_the_next_window() {
    let deadline = SupportHours::default().add_support_time(at("2026-01-10 12:00"), minutes(30));
    assert_eq!(deadline, at("2026-01-12 09:30"));
}

#[test]
fn adding_no_support_time_is_the_start_itself() {
    let start = at("2026-01-10 12:00");
    let hours_ = SupportHours::default();
    assert_eq!(hours_.add_support_time(start, Duration::zero()), start);
    assert_eq!(hours_.add_support_time(start, -hours(3)), start);
}

#[test]
fn adding_support_time_follows_the_clock_changes() {
    let hours_ = paris_with_night_shift();
    // 01:30 CET + 1 h of clock-shown time = 03:30 CEST = 01:30 UTC.
    assert_eq!(
        hours_.add_support_time(at("2026-03-29 00:30"), hours(1)),
        at("2026-03-29 01:30")
    );
    // 2 h in the night window, then one hour from 09:00 CEST: 10:00 CEST = 08:00 UTC.
    assert_eq!(
        hours_.add_support_time(at("2026-03-28 22:00"), hours(3)),
        at("2026-03-29 08:00")
    );
    // 01:00–03:00 CEST, then 02:00–03:00 CET: 03:00 CET = 02:00 UTC.
    assert_eq!(
        hours_.add_support_time(at("2026-10-24 23:00"), hours(3)),
        at("2026-10-25 02:00")
    );
}

#[test]
fn support_time_added_is_the_support_time_measured_back() {
    let hours_ = paris_with_night_shift();
    for start in [
        "2026-03-27 15:00",
        "2026-03-28 23:45",
        "2026-10-24 12:00",
        "2026-12-24 16:59",
    ] {
        for added in [minutes(1), hours(1), hours(3), hours(30), hours(100)] {
            let end = hours_.add_support_time(at(start), added);
            assert_eq!(
                hours_.duration_within(at(start), end),
                added,
                "{start} + {added}"
            );
        }
    }
}

#[test]
fn support_is_open_only_inside_a_local_window_on_a_working_day() {
    let hours_ = paris_office();
    assert!(hours_.is_open_at(at("2026-03-30 07:30")));
    assert!(!hours_.is_open_at(at("2026-03-27 07:30")));
    assert!(!hours_.is_open_at(at("2026-12-25 10:00")));
    assert!(!hours_.is_open_at(at("2026-03-28 10:00")));
    let late = calendar(r#"saturday = ["10:00-24:00"]"#);
    assert!(late.is_open_at(at("2026-01-10 23:59")));
    assert!(!late.is_open_at(at("2026-01-11 00:00")));
}

#[test]
fn the_friendly_configuration_reads_into_a_sorted_calendar() {
    let hours_ = calendar(
        r#"
        time_zone = "Europe/Paris"
        monday = ["13:30-18:00", "09:00-12:30"]
        saturday = ["10:00-24:00"]
        holidays = ["2026-12-25", "2026-05-01"]
        "#,
    );
    assert_eq!(hours_.zone(), chrono_tz::Europe::Paris);
    assert_eq!(
        hours_.windows(Weekday::Mon),
        &[(clock(9, 0), clock(12, 30)), (clock(13, 30), clock(18, 0))]
    );
    assert_eq!(
        hours_.windows(Weekday::Sat),
        &[(clock(10, 0), NaiveTime::MIN)]
    );
    assert!(hours_.windows(Weekday::Sun).is_empty());
    let holidays: Vec<_> = hours_.holidays().iter().map(|d| d.to_string()).collect();
    assert_eq!(holidays, ["2026-05-01", "2026-12-25"]);
}

#[test]
fn the_default_configuration_is_office_hours_in_utc() {
    let parsed = SupportHours::parse(&SupportHoursConfig::default()).unwrap();
    assert_eq!(parsed, SupportHours::default());
    assert_eq!(parsed.zone(), chrono_tz::UTC);
    assert_eq!(parsed.windows(Weekday::Fri), &[(clock(9, 0), clock(17, 0))]);
    assert!(parsed.windows(Weekday::Sat).is_empty());
}

#[test]
fn a_calendar_round_trips_through_its_configuration() {
    let hours_ = calendar(
        r#"
        time_zone = "America/New_York"
        tuesday = ["08:00-12:00", "12:00-20:00"]
        sunday = ["00:00-24:00"]
        holidays = ["2026-07-03"]
        "#,
    );
    let written = hours_.to_config();
    assert_eq!(written.sunday, ["00:00-24:00"]);
    assert_eq!(SupportHours::parse(&written).unwrap(), hours_);
}

#[test]
fn overlapping_windows_are_refused_with_both_named() {
    let message = error(r#"monday = ["09:00-12:00", "11:00-17:00"]"#);
    assert!(message.starts_with("monday:"), "{message}");
    assert!(
        message.contains("09:00-12:00 and 11:00-17:00 overlap"),
        "{message}"
    );
}

#[test]
fn a_window_that_ends_before_it_starts_is_refused_with_a_way_out() {
    let message = error(r#"friday = ["22:00-06:00"]"#);
    assert!(message.starts_with("friday:"), "{message}");
    assert!(
        message.contains("22:00-06:00 ends before it starts"),
        "{message}"
    );
    assert!(message.contains("24:00"), "{message}");
    let empty = error(r#"friday = ["09:00-09:00"]"#);
    assert!(empty.contains("ends before it starts"), "{empty}");
}

#[test]
fn a_badly_written_time_is_refused_with_the_expected_shape() {
    for bad in [
        "9am-5pm",
        "25:00-26:00",
        "09:60-10:00",
        "24:00-24:00",
        "09:00",
        "0900-1700",
    ] {
        let message = error(&format!(r#"tuesday = ["{bad}"]"#));
        assert!(message.starts_with("tuesday:"), "{bad}: {message}");
        assert!(message.contains("HH:MM-HH:MM"), "{bad}: {message}");
    }
}

#[test]
fn an_unknown_time_zone_is_refused_with_examples() {
    let message = error(
        r#"
        time_zone = "Europe/Pariss"
        monday = ["09:00-17:00"]
        "#,
    );
    assert!(message.starts_with("time_zone:"), "{message}");
    assert!(message.contains("Europe/Pariss"), "{message}");
    assert!(message.contains("Europe/Paris"), "{message}");
}

#[test]
fn a_badly_written_holiday_is_refused() {
    let message = error(
        r#"
        monday = ["09:00-17:00"]
        holidays = ["25/12/2026"]
        "#,
    );
    assert!(message.starts_with("holidays:"), "{message}");
    assert!(message.contains("YYYY-MM-DD"), "{message}");
}

#[test]
fn a_week_without_any_window_is_refused() {
    let message = error(r#"time_zone = "UTC""#);
    assert!(message.contains("at least one window"), "{message}");
}

#[test]
fn touching_windows_are_accepted_and_count_once() {
    let hours_ = calendar(r#"monday = ["09:00-12:00", "12:00-17:00"]"#);
    assert_eq!(
        hours_.duration_within(at("2026-01-05 00:00"), at("2026-01-06 00:00")),
        hours(8)
    );
}
