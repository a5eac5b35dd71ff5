//! Rows of the metrics page computed from the period's incidents and uptime.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::{human, UptimeRow};
use crate::web::api::metrics::{MetricsView, PeriodMetrics};

/// Incidents started per week of the period, each week by its first day.
pub(super) fn weekly_columns(
    m: &PeriodMetrics,
    from_day: NaiveDate,
    from: NaiveDateTime,
) -> Vec<(String, usize)> {
    let v = &m.view;
    let period_days = {
        let to = chrono::DateTime::parse_from_rfc3339(&v.period.to)
            .map(|t| t.naive_utc())
            .unwrap_or(from);
        ((to - from).num_hours() as f64 / 24.0).round().max(1.0) as i64
    };
    let weeks = ((period_days + 6) / 7).max(1);
    let mut per_week = vec![0usize; weeks as usize];
    for i in &m.incidents {
        let week = ((i.started_at - from).num_seconds().max(0) / (7 * 86_400)) as usize;
        if let Some(n) = per_week.get_mut(week) {
            *n += 1;
        }
    }
    per_week
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let start = from_day + Duration::days(7 * i as i64);
            (start.format("%-d %b").to_string(), n)
        })
        .collect()
}

/// Uptime and time in each status, per component.
pub(super) fn uptime_rows(v: &MetricsView) -> Vec<UptimeRow> {
    v.uptime
        .iter()
        .map(|u| {
            let time = |key: &str| {
                let s = u.seconds.get(key).copied().unwrap_or(0);
                if s == 0 {
                    "—".to_string()
                } else {
                    human(s)
                }
            };
            UptimeRow {
                name: u.name.clone(),
                percent: u
                    .uptime_percent
                    .map(crate::render::uptime::format_percent)
                    .unwrap_or_else(|| "no data".into()),
                major: time("major_outage"),
                partial: time("partial_outage"),
                degraded: time("degraded_performance"),
                maintenance: time("under_maintenance"),
            }
        })
        .collect()
}
