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
    let rule = Recurrence::parse("FREQ=WEEKLY;BYDAY=SA;COUNT=4", first, chrono_tz::UTC).unwrap();
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
    let rule = Recurrence::parse("FREQ=WEEKLY;BYDAY=SA;COUNT=3", first, chrono_tz::UTC).unwrap();
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
