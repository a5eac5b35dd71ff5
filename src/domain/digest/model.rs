//! The digest's input facts and its output (the email's payload).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::Serialize;

use super::Period;
use crate::domain::incident::Priority;
use crate::domain::metrics::IncidentMetrics;

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

/// Everything [`super::build`] needs.
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
