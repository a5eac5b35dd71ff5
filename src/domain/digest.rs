//! The continuous-improvement digest: what a period looked like against the
//! one before, which incidents recurred (and whether the earlier incident's
//! action items were done), which action items are open or overdue and which
//! reports wait for review or approval. Pure: the runner loads the facts,
//! [`build`] turns them into a [`Digest`], which is the email's payload.
//!
//! The schedule is a six-field cron expression (seconds first, the `cron`
//! crate's syntax) evaluated in the page's time zone. A digest sent at fire
//! time `T` covers `[previous fire time, T)`; the period before that is the
//! one it is compared with.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::incident::Priority;
use super::metrics::{count_change, duration_change, GroupSummary, IncidentMetrics, Metric};

/// The digest's schedule: a parsed cron expression.
#[derive(Debug, Clone)]
pub struct DigestSchedule {
    schedule: cron::Schedule,
    source: String,
}

/// The example every schedule error shows.
pub const CRON_EXAMPLE: &str = "`0 0 8 * * Mon` (Mondays at 08:00)";

impl DigestSchedule {
    /// Parses six (or seven, with a year) fields, seconds first. The error
    /// says what was wrong and what to write instead.
    pub fn parse(expression: &str) -> Result<DigestSchedule, String> {
        let expression = expression.trim();
        let fields = expression.split_whitespace().count();
        if !expression.starts_with('@') && !(6..=7).contains(&fields) {
            let hint = if fields == 5 {
                " (a classic crontab line has five; add the seconds in front)"
            } else {
                ""
            };
            return Err(format!(
                "`{expression}` has {fields} field{}{hint}; write six, seconds first: seconds minutes hours day-of-month month day-of-week, e.g. {CRON_EXAMPLE}",
                if fields == 1 { "" } else { "s" }
            ));
        }
        let schedule = cron::Schedule::from_str(expression).map_err(|e| {
            format!(
                "`{expression}` is not a cron expression ({e}); write six fields, seconds first, e.g. {CRON_EXAMPLE}"
            )
        })?;
        if schedule.after(&Utc::now()).next().is_none() {
            return Err(format!(
                "`{expression}` never fires again; write a recurring schedule, e.g. {CRON_EXAMPLE}"
            ));
        }
        Ok(DigestSchedule {
            schedule,
            source: expression.to_string(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    fn local(at: NaiveDateTime, zone: Tz) -> DateTime<Tz> {
        zone.from_utc_datetime(&at)
    }

    /// The last fire time at or before `now` (UTC in, UTC out).
    pub fn last_fire_at_or_before(&self, now: NaiveDateTime, zone: Tz) -> Option<NaiveDateTime> {
        // Fire times fall on whole seconds; one past `now` makes `now` itself count.
        let start = Self::local(now + Duration::nanoseconds(1), zone);
        self.schedule
            .after(&start)
            .next_back()
            .map(|t| t.naive_utc())
    }

    /// The fire time before `at` (strictly).
    pub fn fire_before(&self, at: NaiveDateTime, zone: Tz) -> Option<NaiveDateTime> {
        self.schedule
            .after(&Self::local(at, zone))
            .next_back()
            .map(|t| t.naive_utc())
    }

    /// The first fire time after `now` (strictly).
    pub fn next_fire_after(&self, now: NaiveDateTime, zone: Tz) -> Option<NaiveDateTime> {
        self.schedule
            .after(&Self::local(now, zone))
            .next()
            .map(|t| t.naive_utc())
    }

    /// The most recent period due at `now`: `[fire before T, T)` where `T`
    /// is the last fire time at or before `now`, and the period before it.
    pub fn due_period(&self, now: NaiveDateTime, zone: Tz) -> Option<(Period, Period)> {
        let to = self.last_fire_at_or_before(now, zone)?;
        let from = self.fire_before(to, zone)?;
        let previous_from = self.fire_before(from, zone).unwrap_or(from - (to - from));
        Some((
            Period { from, to },
            Period {
                from: previous_from,
                to: from,
            },
        ))
    }
}

/// `[from, to)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

impl Period {
    /// The same length, ending where this one starts.
    pub fn before(&self) -> Period {
        Period {
            from: self.from - (self.to - self.from),
            to: self.from,
        }
    }

    /// `2026-11-16T08:00:00Z/2026-11-23T08:00:00Z`: the key of a scheduled digest.
    pub fn key(&self) -> String {
        format!("{}/{}", rfc3339(self.from), rfc3339(self.to))
    }
}

/// RFC 3339 in UTC with whole seconds.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An action item as the digest needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItem {
    pub id: i64,
    pub incident_id: i64,
    pub incident_name: String,
    pub action: String,
    pub responsibility: String,
    /// high, medium or low.
    pub priority: String,
    pub due_on: Option<NaiveDate>,
    /// open, in_progress, done or wont_do.
    pub status: String,
}

impl ActionItem {
    pub fn is_done(&self) -> bool {
        self.status == "done"
    }

    /// Still to do: neither done nor dropped.
    pub fn is_open(&self) -> bool {
        !matches!(self.status.as_str(), "done" | "wont_do")
    }

    /// Open with a due date before `day` (the local day the period ends on).
    pub fn is_overdue_on(&self, day: NaiveDate) -> bool {
        self.is_open() && self.due_on.is_some_and(|due| due < day)
    }
}

/// How people read an action item's status.
pub fn status_words(status: &str) -> &str {
    match status {
        "open" => "open",
        "in_progress" => "in progress",
        "done" => "done",
        "wont_do" => "won't do",
        other => other,
    }
}

/// A report waiting for someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReport {
    pub incident_id: i64,
    pub incident_name: String,
    /// submitted (awaits review) or reviewed (awaits approval).
    pub status: String,
    /// When it reached that status.
    pub since: Option<NaiveDateTime>,
    pub by: Option<String>,
}

/// One incident recurring after another on the same component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurrenceFact {
    pub earlier_id: i64,
    pub later_id: i64,
    pub component: String,
}

/// Everything [`build`] needs.
pub struct DigestInput<'a> {
    pub page_name: &'a str,
    /// The site's base URL without a trailing slash (links into the console).
    pub base_url: &'a str,
    pub zone: Tz,
    pub period: Period,
    pub previous: Period,
    pub current: &'a [IncidentMetrics],
    pub previous_metrics: &'a [IncidentMetrics],
    /// SLA breaches per priority, this period and the previous one.
    pub breaches: &'a BTreeMap<Priority, usize>,
    pub previous_breaches: &'a BTreeMap<Priority, usize>,
    pub incident_names: &'a BTreeMap<i64, String>,
    pub recurrences: &'a [RecurrenceFact],
    /// Action items of the earlier incident of each recurrence, by incident.
    pub recurrence_items: &'a BTreeMap<i64, Vec<ActionItem>>,
    /// Every action item not done (and not dropped), oldest due first.
    pub open_items: &'a [ActionItem],
    pub reports: &'a [PendingReport],
}

/// A period as people read it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodText {
    pub from: String,
    pub to: String,
    /// "Mon 16 Nov 2026 08:00 CET"
    pub from_label: String,
    pub to_label: String,
}

/// One figure this period, the previous one, and the change in words.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FigureRow {
    pub label: String,
    pub current: String,
    pub previous: String,
    /// "better: 5 min faster (−50 %)", "worse: …", "no change", "no figure to compare".
    pub change: String,
    /// better, worse, same or none: for the HTML's marker, never alone.
    pub direction: &'static str,
}

/// One duration metric: median, p90 and mean this period, the median's change.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DurationRow {
    pub label: String,
    pub definition: String,
    pub count: usize,
    pub median: String,
    pub p90: String,
    pub mean: String,
    pub previous_median: String,
    pub change: String,
    pub direction: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PriorityRow {
    pub priority: String,
    pub count: usize,
    pub previous_count: usize,
    pub change: String,
    pub median_restore: String,
    pub breaches: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemView {
    pub action: String,
    pub responsibility: String,
    pub priority: String,
    pub due_on: String,
    pub status: String,
    pub done: bool,
    /// "done" or "not done"
    pub done_words: &'static str,
    pub overdue: bool,
    pub incident_name: String,
    pub incident_url: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IncidentLink {
    pub id: i64,
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecurrenceView {
    pub component: String,
    pub earlier: IncidentLink,
    pub later: IncidentLink,
    pub items: Vec<ItemView>,
    /// "2 of 3 action items done", "no action items were recorded".
    pub items_summary: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReportView {
    pub incident: IncidentLink,
    pub since: String,
    pub by: String,
}

/// The digest email's content (its notification payload).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Digest {
    pub page_name: String,
    pub period: PeriodText,
    pub previous_period: PeriodText,
    pub incidents: usize,
    pub summary: Vec<FigureRow>,
    pub durations: Vec<DurationRow>,
    pub by_priority: Vec<PriorityRow>,
    pub recurrences: Vec<RecurrenceView>,
    pub overdue_items: Vec<ItemView>,
    pub open_items: Vec<ItemView>,
    pub open_count: usize,
    pub overdue_count: usize,
    pub awaiting_review: Vec<ReportView>,
    pub awaiting_approval: Vec<ReportView>,
    pub metrics_url: String,
    pub digest_url: String,
    pub incidents_url: String,
}

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
    let link = |id: i64| IncidentLink {
        id,
        name: input
            .incident_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("Incident {id}")),
        url: format!("{}/admin/incidents/{id}", input.base_url),
    };
    let end_day = super::uptime::local_date(input.period.to, zone);
    let item_view = |item: &ActionItem| ItemView {
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
    };

    let current = GroupSummary::of(input.current);
    let previous = GroupSummary::of(input.previous_metrics);
    let breaches: usize = input.breaches.values().sum();
    let previous_breaches: usize = input.previous_breaches.values().sum();
    let impact = total_impact(input.current);
    let previous_impact = total_impact(input.previous_metrics);
    let minutes = |d: Duration| format!("{} min", (d.num_seconds() + 30) / 60);

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
    let (change, direction) = duration_words(Some(impact), Some(previous_impact), "more", "less");
    summary.push(FigureRow {
        label: "Client-impact minutes".into(),
        current: minutes(impact),
        previous: minutes(previous_impact),
        change,
        direction,
    });

    let durations = DIGEST_METRICS
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
        .collect();

    let by_priority = Priority::ALL
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
        .collect();

    let recurrences = input
        .recurrences
        .iter()
        .map(|r| {
            let items: Vec<ItemView> = input
                .recurrence_items
                .get(&r.earlier_id)
                .map(|items| items.iter().map(item_view).collect())
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
                earlier: link(r.earlier_id),
                later: link(r.later_id),
                items,
                items_summary,
            }
        })
        .collect();

    let open: Vec<ItemView> = input
        .open_items
        .iter()
        .filter(|i| i.is_open())
        .map(item_view)
        .collect();
    let (overdue_items, open_items): (Vec<ItemView>, Vec<ItemView>) =
        open.into_iter().partition(|i| i.overdue);

    let report = |r: &PendingReport| ReportView {
        incident: IncidentLink {
            name: r.incident_name.clone(),
            ..link(r.incident_id)
        },
        since: r
            .since
            .map(|t| {
                zone.from_utc_datetime(&t)
                    .format("%a %-d %b %Y %H:%M %Z")
                    .to_string()
            })
            .unwrap_or_else(|| "unknown".into()),
        by: r.by.clone().unwrap_or_else(|| "unknown".into()),
    };
    let reports_with = |status: &str| -> Vec<ReportView> {
        input
            .reports
            .iter()
            .filter(|r| r.status == status)
            .map(report)
            .collect()
    };

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
        summary,
        durations,
        by_priority,
        recurrences,
        open_count: overdue_items.len() + open_items.len(),
        overdue_count: overdue_items.len(),
        overdue_items,
        open_items,
        awaiting_review: reports_with("submitted"),
        awaiting_approval: reports_with("reviewed"),
        metrics_url: format!(
            "{}/admin/metrics?from={}&to={}",
            input.base_url,
            super::uptime::local_date(input.period.from, zone),
            super::uptime::local_date(input.period.to - Duration::seconds(1), zone)
        ),
        digest_url: format!("{}/admin/digest?{range}", input.base_url),
        incidents_url: format!("{}/admin/incidents", input.base_url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::metrics::{Elapsed, PromiseAdherence};

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
            breaches: &breaches,
            previous_breaches: &previous_breaches,
            incident_names: &names,
            recurrences: &recurrences,
            recurrence_items: &recurrence_items,
            open_items: &open,
            reports: &reports,
        });
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
}
