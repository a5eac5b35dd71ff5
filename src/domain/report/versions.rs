//! Approved versions: the frozen content, its text, the line diff between two.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ItemPriority, ItemStatus, Sections, TEXT_SECTIONS};
use crate::domain::milestone::Milestone;

/// One row of the Time Summary as approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimeRow {
    pub milestone: Milestone,
    pub label: String,
    /// UTC; absent when nobody recorded it.
    #[schema(value_type = Option<String>)]
    pub at: Option<NaiveDateTime>,
}

/// An action item as it was when a version was approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemSnapshot {
    pub id: i64,
    pub action: String,
    pub responsibility: String,
    pub priority: ItemPriority,
    #[schema(value_type = Option<String>)]
    pub due_on: Option<NaiveDate>,
    pub status: ItemStatus,
}

/// The whole report as approved: stored as JSON in `incident_report_versions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportContent {
    pub version: i32,
    pub incident_id: i64,
    pub incident_name: String,
    pub sections: Sections,
    pub time_summary: Vec<TimeRow>,
    /// Minutes during which at least one affected component was degraded or down.
    pub client_impact_minutes: i64,
    pub action_items: Vec<ItemSnapshot>,
    pub submitted_by: Option<String>,
    pub reviewed_by: Option<String>,
    pub approved_by: String,
    #[schema(value_type = String)]
    pub approved_at: NaiveDateTime,
}

/// A duration in minutes as people say it: "2 h 05 min", "45 min".
pub fn minutes_label(minutes: i64) -> String {
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    }
}

impl ReportContent {
    /// The report as plain text, section by section, for the line diff.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut section = |heading: &str, body: &str| {
            out.push_str("## ");
            out.push_str(heading);
            out.push('\n');
            if body.trim().is_empty() {
                out.push_str("(empty)\n");
            } else {
                out.push_str(body.trim_end());
                out.push('\n');
            }
            out.push('\n');
        };
        section("Incident Description", &self.sections.description);
        section(
            "Links",
            &self
                .sections
                .links
                .iter()
                .map(|l| format!("{}: {}", l.label, l.url))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        section(
            "Time Summary",
            &self
                .time_summary
                .iter()
                .map(|r| {
                    format!(
                        "{}: {}",
                        r.label,
                        r.at.map_or("—".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        );
        section(
            "Client Impact",
            &format!(
                "Impact duration: {}\n{}",
                minutes_label(self.client_impact_minutes),
                self.sections.client_impact
            ),
        );
        for (field, heading, _) in &TEXT_SECTIONS[2..] {
            section(heading, self.sections.text(field));
        }
        section(
            "Post incident action items",
            &self
                .action_items
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    format!(
                        "{}. {} — {} — {} priority — due {} — {}",
                        i + 1,
                        a.action,
                        if a.responsibility.is_empty() {
                            "unassigned"
                        } else {
                            &a.responsibility
                        },
                        a.priority.label(),
                        a.due_on.map_or("—".into(), |d| d.to_string()),
                        a.status.label()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        );
        out
    }
}

/// One line of a diff: what happened to it, in words and in a sign, so the
/// change is not told by colour alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DiffLine {
    /// `added`, `removed`, `same`, or `gap` (unchanged lines left out).
    pub kind: &'static str,
    /// `+`, `−`, a space, or `…`.
    pub sign: &'static str,
    /// "Added", "Removed" or empty: read out by screen readers.
    pub label: &'static str,
    pub text: String,
    /// Line numbers in the old and the new text.
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
}

/// The line diff from `old` to `new`, with three lines of context around each
/// change; unchanged stretches are replaced by one `gap` line.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            lines.push(DiffLine {
                kind: "gap",
                sign: "…",
                label: "Unchanged lines left out",
                text: String::new(),
                old_line: None,
                new_line: None,
            });
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let (kind, sign, label) = match change.tag() {
                    ChangeTag::Insert => ("added", "+", "Added"),
                    ChangeTag::Delete => ("removed", "−", "Removed"),
                    ChangeTag::Equal => ("same", " ", ""),
                };
                lines.push(DiffLine {
                    kind,
                    sign,
                    label,
                    text: change.value().trim_end_matches(['\n', '\r']).to_string(),
                    old_line: change.old_index().map(|n| n + 1),
                    new_line: change.new_index().map(|n| n + 1),
                });
            }
        }
    }
    lines
}
