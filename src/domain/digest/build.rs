//! [`build`]: a period's facts into the digest, with the changes in words.

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use super::model::{
    status_words, ActionItem, Digest, DigestInput, DurationRow, FigureRow, IncidentLink, ItemView,
    PendingReport, PeriodText, PriorityRow, RecurrenceView, ReportView,
};
use super::{rfc3339, Period};
use crate::domain::incident::Priority;
use crate::domain::metrics::{
    count_change, duration_change, GroupSummary, IncidentMetrics, Metric,
};
use crate::domain::uptime::local_date;

/// The duration metrics the digest shows, in order.
pub const DIGEST_METRICS: [Metric; 4] = [
    Metric::TimeToNotify,
    Metric::TimeToOnSite,
    Metric::TimeToRestore,
    Metric::TimeToFirstExternalUpdate,
];

/// A duration for people: "45 s", "12 min", "1 h 05 min", "2 d 3 h 05 min".
pub fn human(d: Duration) -> String {
    let s = d.num_seconds().abs();
    if s < 60 {
        return format!("{s} s");
    }
    let minutes = (s + 30) / 60;
    let (days, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    if days > 0 {
        format!("{days} d {h} h {m:02} min")
    } else if h > 0 {
        format!("{h} h {m:02} min")
    } else {
        format!("{m} min")
    }
}

fn human_opt(d: Option<Duration>) -> String {
    d.map(human).unwrap_or_else(|| "—".into())
}

fn percent_words(percent: Option<f64>) -> String {
    percent
        .map(|p| format!(" ({p:+.0} %)").replace('-', "−"))
        .unwrap_or_default()
}

/// Less is better for everything the digest counts and times.
fn count_words(current: usize, previous: usize, noun: (&str, &str)) -> (String, &'static str) {
    let change = count_change(current, previous);
    let n = change.delta.unsigned_abs();
    let noun = if n == 1 { noun.0 } else { noun.1 };
    match change.delta {
        0 => ("no change".into(), "same"),
        d if d < 0 => (
            format!("better: {n} fewer {noun}{}", percent_words(change.percent)),
            "better",
        ),
        _ => (
            format!("worse: {n} more {noun}{}", percent_words(change.percent)),
            "worse",
        ),
    }
}

fn duration_words(
    current: Option<Duration>,
    previous: Option<Duration>,
    longer: &str,
    shorter: &str,
) -> (String, &'static str) {
    match duration_change(current, previous) {
        None => ("no figure to compare".into(), "none"),
        Some(c) if c.delta.num_seconds() == 0 => ("no change".into(), "same"),
        Some(c) if c.delta < Duration::zero() => (
            format!(
                "better: {} {shorter}{}",
                human(c.delta),
                percent_words(c.percent)
            ),
            "better",
        ),
        Some(c) => (
            format!(
                "worse: {} {longer}{}",
                human(c.delta),
                percent_words(c.percent)
            ),
            "worse",
        ),
    }
}

/// A duration in whole minutes, to the nearest (half a minute rounds up).
fn whole_minutes(d: Duration) -> usize {
    usize::try_from((d.num_seconds() + 30) / 60).unwrap_or(0)
}

/// The change of a figure shown in whole minutes, in the same unit and from
/// the same rounded values as the figures themselves ("1 min" against
/// "0 min" is "1 min more", never "38 s more"). Less is better.
fn minutes_words(current: usize, previous: usize) -> (String, &'static str) {
    let change = count_change(current, previous);
    let n = change.delta.unsigned_abs();
    match change.delta {
        0 => ("no change".into(), "same"),
        d if d < 0 => (
            format!("better: {n} min less{}", percent_words(change.percent)),
            "better",
        ),
        _ => (
            format!("worse: {n} min more{}", percent_words(change.percent)),
            "worse",
        ),
    }
}

fn period_text(period: Period, zone: Tz) -> PeriodText {
    let label = |at: NaiveDateTime| {
        zone.from_utc_datetime(&at)
            .format("%a %-d %b %Y %H:%M %Z")
            .to_string()
    };
    PeriodText {
        from: rfc3339(period.from),
        to: rfc3339(period.to),
        from_label: label(period.from),
        to_label: label(period.to),
    }
}

fn total_impact(metrics: &[IncidentMetrics]) -> Duration {
    metrics
        .iter()
        .fold(Duration::zero(), |sum, m| sum + m.client_impact.wall_clock)
}

/// Builds the digest of `input.period`.
pub fn build(input: &DigestInput) -> Digest {
    let zone = input.zone;
    let end_day = local_date(input.period.to, zone);
    let open: Vec<ItemView> = input
        .open_items
        .iter()
        .filter(|i| i.is_open())
        .map(|i| item_view(input, end_day, i))
        .collect();
    let (overdue_items, open_items): (Vec<ItemView>, Vec<ItemView>) =
        open.into_iter().partition(|i| i.overdue);
    let range = format!(
        "from={}&to={}",
        rfc3339(input.period.from).replace(':', "%3A"),
        rfc3339(input.period.to).replace(':', "%3A")
    );
    Digest {
        page_name: input.page_name.to_string(),
        period: period_text(input.period, zone),
        previous_period: period_text(input.previous, zone),
        incidents: input.current.len(),
        summary: summary_rows(input),
        durations: duration_rows(input),
        by_priority: priority_rows(input),
        recurrences: recurrence_views(input, end_day),
        open_count: overdue_items.len() + open_items.len(),
        overdue_count: overdue_items.len(),
        overdue_items,
        open_items,
        awaiting_review: report_views(input, "submitted"),
        awaiting_approval: report_views(input, "reviewed"),
        metrics_url: format!(
            "{}/admin/metrics?from={}&to={}",
            input.base_url,
            local_date(input.period.from, zone),
            local_date(input.period.to - Duration::seconds(1), zone)
        ),
        digest_url: format!("{}/admin/digest?{range}", input.base_url),
        incidents_url: format!("{}/admin/incidents", input.base_url),
    }
}

/// A link to an incident in the console, named as the facts name it.
fn link(input: &DigestInput, id: i64) -> IncidentLink {
    IncidentLink {
        id,
        name: input
            .incident_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("Incident {id}")),
        url: format!("{}/admin/incidents/{id}", input.base_url),
    }
}

/// An action item as shown; overdue when due before `end_day`.
fn item_view(input: &DigestInput, end_day: NaiveDate, item: &ActionItem) -> ItemView {
    ItemView {
        action: item.action.clone(),
        responsibility: if item.responsibility.trim().is_empty() {
            "nobody named".into()
        } else {
            item.responsibility.clone()
        },
        priority: item.priority.clone(),
        due_on: item
            .due_on
            .map(|d| d.format("%a %-d %b %Y").to_string())
            .unwrap_or_else(|| "no due date".into()),
        status: status_words(&item.status).to_string(),
        done: item.is_done(),
        done_words: if item.is_done() { "done" } else { "not done" },
        overdue: item.is_overdue_on(end_day),
        incident_name: item.incident_name.clone(),
        incident_url: format!("{}/admin/incidents/{}", input.base_url, item.incident_id),
    }
}

/// Incidents, SLA breaches and client-impact minutes against the previous period.
fn summary_rows(input: &DigestInput) -> Vec<FigureRow> {
    let breaches: usize = input.breaches.values().sum();
    let previous_breaches: usize = input.previous_breaches.values().sum();
    let impact = total_impact(input.current);
    let previous_impact = total_impact(input.previous_metrics);

    let mut summary = Vec::new();
    let (change, direction) = count_words(
        input.current.len(),
        input.previous_metrics.len(),
        ("incident", "incidents"),
    );
    summary.push(FigureRow {
        label: "Incidents".into(),
        current: input.current.len().to_string(),
        previous: input.previous_metrics.len().to_string(),
        change,
        direction,
    });
    let (change, direction) = count_words(breaches, previous_breaches, ("breach", "breaches"));
    summary.push(FigureRow {
        label: "SLA breaches".into(),
        current: breaches.to_string(),
        previous: previous_breaches.to_string(),
        change,
        direction,
    });
    let (impact, previous_impact) = (whole_minutes(impact), whole_minutes(previous_impact));
    let (change, direction) = minutes_words(impact, previous_impact);
    summary.push(FigureRow {
        label: "Client-impact minutes".into(),
        current: format!("{impact} min"),
        previous: format!("{previous_impact} min"),
        change,
        direction,
    });
    summary
}

/// The duration metrics: median, p90 and mean, and the median's change.
fn duration_rows(input: &DigestInput) -> Vec<DurationRow> {
    let current = GroupSummary::of(input.current);
    let previous = GroupSummary::of(input.previous_metrics);
    DIGEST_METRICS
        .into_iter()
        .map(|metric| {
            let now = current.get(metric).map(|s| s.wall_clock);
            let before = previous.get(metric).map(|s| s.wall_clock);
            let (change, direction) = duration_words(
                now.and_then(|s| s.median),
                before.and_then(|s| s.median),
                "slower",
                "faster",
            );
            DurationRow {
                label: metric.label().into(),
                definition: metric.definition().into(),
                count: now.map_or(0, |s| s.count),
                median: human_opt(now.and_then(|s| s.median)),
                p90: human_opt(now.and_then(|s| s.p90)),
                mean: human_opt(now.and_then(|s| s.mean)),
                previous_median: human_opt(before.and_then(|s| s.median)),
                change,
                direction,
            }
        })
        .collect()
}

/// One row per priority seen in either period.
fn priority_rows(input: &DigestInput) -> Vec<PriorityRow> {
    Priority::ALL
        .into_iter()
        .filter_map(|priority| {
            let now: Vec<&IncidentMetrics> = input
                .current
                .iter()
                .filter(|m| m.priority == priority)
                .collect();
            let before = input
                .previous_metrics
                .iter()
                .filter(|m| m.priority == priority)
                .count();
            if now.is_empty() && before == 0 {
                return None;
            }
            let group = GroupSummary::of(now.iter().copied());
            let (change, _) = count_words(now.len(), before, ("incident", "incidents"));
            Some(PriorityRow {
                priority: priority.as_str().into(),
                count: now.len(),
                previous_count: before,
                change,
                median_restore: human_opt(
                    group
                        .get(Metric::TimeToRestore)
                        .and_then(|s| s.wall_clock.median),
                ),
                breaches: input.breaches.get(&priority).copied().unwrap_or(0),
            })
        })
        .collect()
}

/// Each recurrence with the earlier incident's action items.
fn recurrence_views(input: &DigestInput, end_day: NaiveDate) -> Vec<RecurrenceView> {
    input
        .recurrences
        .iter()
        .map(|r| {
            let items: Vec<ItemView> = input
                .recurrence_items
                .get(&r.earlier_id)
                .map(|items| items.iter().map(|i| item_view(input, end_day, i)).collect())
                .unwrap_or_default();
            let done = items.iter().filter(|i| i.done).count();
            let items_summary = if items.is_empty() {
                "no action items were recorded for the earlier incident".into()
            } else {
                format!(
                    "{done} of {} action item{} of the earlier incident done",
                    items.len(),
                    if items.len() == 1 { "" } else { "s" }
                )
            };
            RecurrenceView {
                component: r.component.clone(),
                earlier: link(input, r.earlier_id),
                later: link(input, r.later_id),
                items,
                items_summary,
            }
        })
        .collect()
}

/// The reports in `status` (submitted or reviewed), as shown.
fn report_views(input: &DigestInput, status: &str) -> Vec<ReportView> {
    let report = |r: &PendingReport| ReportView {
        incident: IncidentLink {
            name: r.incident_name.clone(),
            ..link(input, r.incident_id)
        },
        since: r
            .since
            .map(|t| {
                input
                    .zone
                    .from_utc_datetime(&t)
                    .format("%a %-d %b %Y %H:%M %Z")
                    .to_string()
            })
            .unwrap_or_else(|| "unknown".into()),
        by: r.by.clone().unwrap_or_else(|| "unknown".into()),
    };
    input
        .reports
        .iter()
        .filter(|r| r.status == status)
        .map(report)
        .collect()
}
