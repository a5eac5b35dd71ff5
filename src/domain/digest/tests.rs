//! The digest's rules on a hand-computed fixture.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use super::*;
use crate::domain::incident::Priority;
use crate::domain::metrics::{Elapsed, IncidentMetrics, PromiseAdherence};

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn minutes(m: i64) -> Elapsed {
    Elapsed {
        wall_clock: Duration::minutes(m),
        support_hours: Duration::minutes(m),
    }
}

fn incident(
    id: i64,
    priority: Priority,
    notify: i64,
    restore: Option<i64>,
    impact: i64,
) -> IncidentMetrics {
    IncidentMetrics {
        id,
        priority,
        component_ids: vec![1],
        time_to_notify: Some(minutes(notify)),
        time_to_on_site: None,
        time_to_second_level: None,
        time_to_restore: restore.map(minutes),
        time_to_first_external_update: Some(minutes(notify + 5)),
        longest_update_gap: None,
        client_impact: minutes(impact),
        promises: PromiseAdherence::default(),
    }
}

fn item(id: i64, incident_id: i64, status: &str, due: Option<&str>) -> ActionItem {
    ActionItem {
        id,
        incident_id,
        incident_name: format!("Incident {incident_id}"),
        action: format!("Action {id}"),
        responsibility: if id == 2 { String::new() } else { "Ops".into() },
        priority: "high".into(),
        due_on: due.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
        status: status.into(),
    }
}

#[test]
fn five_fields_are_refused_with_the_six_field_form_to_write() {
    let err = DigestSchedule::parse("0 8 * * Mon").unwrap_err();
    assert!(err.contains("has 5 fields"), "{err}");
    assert!(err.contains("0 0 8 * * Mon"), "{err}");
    let err = DigestSchedule::parse("0 0 25 * * Mon").unwrap_err();
    assert!(err.contains("not a cron expression"), "{err}");
    assert!(DigestSchedule::parse("0 0 8 * * Mon").is_ok());
}

#[test]
fn the_due_period_ends_at_the_last_fire_time_in_the_page_zone() {
    let schedule = DigestSchedule::parse("0 0 8 * * Mon").unwrap();
    let zone: Tz = "Europe/Paris".parse().unwrap();
    // Monday 23 Nov 2026 08:00 in Paris is 07:00 UTC.
    let (period, previous) = schedule.due_period(at("2026-11-23 07:00"), zone).unwrap();
    assert_eq!(period.from, at("2026-11-16 07:00"));
    assert_eq!(period.to, at("2026-11-23 07:00"));
    assert_eq!(previous.from, at("2026-11-09 07:00"));
    assert_eq!(previous.to, at("2026-11-16 07:00"));
    assert_eq!(period.key(), "2026-11-16T07:00:00Z/2026-11-23T07:00:00Z");
    // A second earlier, the period is the week before.
    let (earlier, _) = schedule
        .due_period(at("2026-11-23 07:00") - Duration::seconds(1), zone)
        .unwrap();
    assert_eq!(earlier.to, at("2026-11-16 07:00"));
    // After a long downtime, only the latest period is due.
    let (late, _) = schedule.due_period(at("2026-12-09 12:00"), zone).unwrap();
    assert_eq!(late.to, at("2026-12-07 07:00"));
    assert_eq!(
        schedule.next_fire_after(at("2026-11-23 07:00"), zone),
        Some(at("2026-11-30 07:00"))
    );
}

/// Hand-computed fixture: this period P1 (notify 10, restore 60, impact 30)
/// and P2 (notify 30, restore none, impact 15); previous period P1
/// (notify 40, restore 90, impact 90).
#[test]
fn the_digest_of_a_hand_computed_fixture() {
    let digest = fixture_digest();
    assert_eq!(digest.incidents, 2);
    assert_eq!(digest.summary[0].current, "2");
    assert_eq!(digest.summary[0].change, "worse: 1 more incident (+100 %)");
    assert_eq!(digest.summary[1].change, "better: 2 fewer breaches (−67 %)");
    assert_eq!(digest.summary[2].current, "45 min");
    assert_eq!(digest.summary[2].previous, "90 min");
    assert_eq!(digest.summary[2].change, "better: 45 min less (−50 %)");
    let notify = &digest.durations[0];
    assert_eq!(notify.label, "Time to notify");
    // Nearest rank: median of (10, 30) is 10, p90 is 30, mean 20.
    assert_eq!(
        (
            notify.median.as_str(),
            notify.p90.as_str(),
            notify.mean.as_str()
        ),
        ("10 min", "30 min", "20 min")
    );
    assert_eq!(notify.change, "better: 30 min faster (−75 %)");
    assert_eq!(notify.direction, "better");
    let restore = &digest.durations[2];
    assert_eq!(restore.count, 1);
    assert_eq!(restore.change, "better: 30 min faster (−33 %)");
    let on_site = &digest.durations[1];
    assert_eq!(on_site.change, "no figure to compare");
    assert_eq!(digest.by_priority.len(), 2);
    assert_eq!(digest.by_priority[0].priority, "P1");
    assert_eq!(digest.by_priority[0].change, "no change");
    assert_eq!(digest.by_priority[0].breaches, 1);
    assert_eq!(digest.by_priority[1].change, "worse: 1 more incident");
    let r = &digest.recurrences[0];
    assert_eq!(r.earlier.name, "Checkout down before");
    assert_eq!(r.later.url, "https://status.example.com/admin/incidents/1");
    assert_eq!(
        r.items_summary,
        "1 of 2 action items of the earlier incident done"
    );
    assert_eq!(r.items[0].done_words, "done");
    assert_eq!(r.items[1].done_words, "not done");
    assert_eq!(digest.overdue_count, 1);
    assert_eq!(digest.overdue_items[0].action, "Action 2");
    assert_eq!(digest.overdue_items[0].responsibility, "nobody named");
    assert_eq!(digest.open_count, 2, "won't do is not open");
    assert_eq!(digest.open_items[0].status, "in progress");
    assert_eq!(digest.awaiting_review[0].incident.name, "Checkout down");
    assert_eq!(digest.awaiting_review[0].by, "ann@example.com");
    assert_eq!(digest.awaiting_approval[0].incident.name, "Search slow");
    assert_eq!(
        digest.metrics_url,
        "https://status.example.com/admin/metrics?from=2026-11-16&to=2026-11-23"
    );
    assert_eq!(digest.period.from_label, "Mon 16 Nov 2026 08:00 UTC");
}

/// The digest of the fixture described on the test.
fn fixture_digest() -> Digest {
    let current = [
        incident(1, Priority::P1, 10, Some(60), 30),
        incident(2, Priority::P2, 30, None, 15),
    ];
    let previous = [incident(3, Priority::P1, 40, Some(90), 90)];
    let breaches = BTreeMap::from([(Priority::P1, 1)]);
    let previous_breaches = BTreeMap::from([(Priority::P1, 3)]);
    let names = BTreeMap::from([
        (1, "Checkout down".to_string()),
        (2, "Search slow".to_string()),
        (9, "Checkout down before".to_string()),
    ]);
    let recurrences = [RecurrenceFact {
        earlier_id: 9,
        later_id: 1,
        component: "Checkout".into(),
    }];
    let recurrence_items = BTreeMap::from([(
        9,
        vec![
            item(1, 9, "done", None),
            item(2, 9, "open", Some("2026-11-01")),
        ],
    )]);
    let open = [
        item(2, 9, "open", Some("2026-11-01")),
        item(3, 1, "in_progress", Some("2026-12-31")),
        item(4, 1, "wont_do", Some("2026-11-01")),
    ];
    let reports = [
        PendingReport {
            incident_id: 1,
            incident_name: "Checkout down".into(),
            status: "submitted".into(),
            since: Some(at("2026-11-20 10:00")),
            by: Some("ann@example.com".into()),
        },
        PendingReport {
            incident_id: 2,
            incident_name: "Search slow".into(),
            status: "reviewed".into(),
            since: None,
            by: None,
        },
    ];
    build(&DigestInput {
        page_name: "Acme",
        base_url: "https://status.example.com",
        zone: Tz::UTC,
        period: Period {
            from: at("2026-11-16 08:00"),
            to: at("2026-11-23 08:00"),
        },
        previous: Period {
            from: at("2026-11-09 08:00"),
            to: at("2026-11-16 08:00"),
        },
        current: &current,
        previous_metrics: &previous,
        breaches: &breaches,
        previous_breaches: &previous_breaches,
        incident_names: &names,
        recurrences: &recurrences,
        recurrence_items: &recurrence_items,
        open_items: &open,
        reports: &reports,
    })
}

/// The client-impact figures and their change share one unit and one
/// rounding: 38 s of impact against none shows "1 min" and "1 min more",
/// never "1 min (… 38 s more)" (issue 13, defect 12).
#[test]
fn client_impact_minutes_and_their_change_use_the_same_unit_and_rounding() {
    let summary = |current: &[i64], previous: &[i64]| {
        let with_impact = |id: i64, seconds: i64| IncidentMetrics {
            client_impact: Elapsed {
                wall_clock: Duration::seconds(seconds),
                support_hours: Duration::seconds(seconds),
            },
            ..incident(id, Priority::P1, 10, None, 0)
        };
        let current: Vec<_> = current.iter().map(|s| with_impact(1, *s)).collect();
        let previous: Vec<_> = previous.iter().map(|s| with_impact(2, *s)).collect();
        let none = BTreeMap::new();
        let digest = build(&DigestInput {
            page_name: "Acme",
            base_url: "https://status.example.com",
            zone: Tz::UTC,
            period: Period {
                from: at("2026-11-16 08:00"),
                to: at("2026-11-23 08:00"),
            },
            previous: Period {
                from: at("2026-11-09 08:00"),
                to: at("2026-11-16 08:00"),
            },
            current: &current,
            previous_metrics: &previous,
            breaches: &none,
            previous_breaches: &none,
            incident_names: &BTreeMap::new(),
            recurrences: &[],
            recurrence_items: &BTreeMap::new(),
            open_items: &[],
            reports: &[],
        });
        let row = digest.summary[2].clone();
        assert_eq!(row.label, "Client-impact minutes");
        (row.current, row.previous, row.change, row.direction)
    };
    assert_eq!(
        summary(&[38], &[]),
        (
            "1 min".to_string(),
            "0 min".to_string(),
            "worse: 1 min more".to_string(),
            "worse"
        )
    );
    // 61 min 10 s against 59 min 50 s: 61 and 60 minutes, one more.
    assert_eq!(
        summary(&[3670], &[3590]),
        (
            "61 min".to_string(),
            "60 min".to_string(),
            "worse: 1 min more (+2 %)".to_string(),
            "worse"
        )
    );
    // 20 s less, but the same whole minutes: no change, as the figures say.
    assert_eq!(
        summary(&[600], &[620]),
        (
            "10 min".to_string(),
            "10 min".to_string(),
            "no change".to_string(),
            "same"
        )
    );
    assert_eq!(
        summary(&[20, 1200], &[3600]).2,
        "better: 40 min less (−67 %)"
    );
}
