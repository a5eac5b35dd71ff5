//! The incident history pages: incidents grouped by month in the page's time
//! zone, newest first, three months with incidents per page. Customers read
//! external text only; staff read the latest text of both streams.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::Serialize;

use super::statuspage::timestamp;
use super::time::local;
use super::Templates;
use crate::config::Settings;
use crate::db::models::incidents::IncidentWithUpdates;
use crate::domain::status::Audience;
use crate::domain::uptime::day_start;

/// Months with incidents shown on one history page.
pub const MONTHS_PER_PAGE: usize = 3;

/// A calendar month in the page's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// The month a UTC instant falls in, in `zone`.
    pub fn of(at: NaiveDateTime, zone: Tz) -> Month {
        let date = at.and_utc().with_timezone(&zone).date_naive();
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// When the month starts in `zone`, as a UTC instant.
    pub fn start(self, zone: Tz) -> NaiveDateTime {
        day_start(self.first_day(), zone)
    }

    /// "November 2026".
    pub fn label(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }

    /// "2026-11", for ids and anchors.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// The distinct months of `started` (any order), newest first.
pub fn months(started: impl IntoIterator<Item = NaiveDateTime>, zone: Tz) -> Vec<Month> {
    let mut months: Vec<Month> = started.into_iter().map(|at| Month::of(at, zone)).collect();
    months.sort_unstable_by(|a, b| b.cmp(a));
    months.dedup();
    months
}

/// How many history pages `months` make (at least one: the empty history).
pub fn page_count(months: &[Month]) -> usize {
    months.len().div_ceil(MONTHS_PER_PAGE).max(1)
}

/// The months on page `page` (1-based), or `None` past the last page.
pub fn page_months(months: &[Month], page: usize) -> Option<&[Month]> {
    if page == 0 || page > page_count(months) {
        return None;
    }
    let start = (page - 1) * MONTHS_PER_PAGE;
    Some(&months[start.min(months.len())..(start + MONTHS_PER_PAGE).min(months.len())])
}

/// One incident in the history.
#[derive(Debug, Serialize)]
pub struct HistoryEntry {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub impact: &'static str,
    pub impact_label: &'static str,
    pub status: &'static str,
    pub phase_label: &'static str,
    pub started_at: String,
    pub started_at_iso: String,
    pub resolved_at: Option<String>,
    pub resolved_at_iso: Option<String>,
    /// Sanitised HTML of the latest update with external text.
    pub external_html: Option<String>,
    /// Sanitised HTML of the latest update with internal text (staff only).
    pub internal_html: Option<String>,
}

impl HistoryEntry {
    pub fn new(i: &IncidentWithUpdates, audience: Audience, zone: Tz) -> HistoryEntry {
        let internal = audience == Audience::Internal;
        let inc = &i.incident;
        let root = if internal { "/internal" } else { "" };
        HistoryEntry {
            id: inc.id,
            name: inc.name.clone(),
            url: format!("{root}/incidents/{}", inc.id),
            impact: inc.impact.as_str(),
            impact_label: inc.impact.label(),
            status: inc.status.as_str(),
            phase_label: inc.status.label(),
            started_at: local(inc.started_at, zone),
            started_at_iso: timestamp(inc.started_at),
            resolved_at: inc.resolved_at.map(|at| local(at, zone)),
            resolved_at_iso: inc.resolved_at.map(timestamp),
            // Updates come newest first.
            external_html: i.updates.iter().find_map(|u| u.external_html.clone()),
            internal_html: if internal {
                i.updates.iter().find_map(|u| u.internal_html.clone())
            } else {
                None
            },
        }
    }
}

#[derive(Debug, Serialize)]
struct MonthView {
    key: String,
    label: String,
    incidents: Vec<HistoryEntry>,
}

#[derive(Serialize)]
struct HistoryPage<'a> {
    title: String,
    page_name: &'a str,
    internal: bool,
    root: &'static str,
    time_zone: &'a str,
    history: bool,
    months: Vec<MonthView>,
    page: usize,
    pages: usize,
    paged: bool,
    newer_url: Option<String>,
    older_url: Option<String>,
}

/// Renders history page `page` of `pages`, showing `months` (newest first)
/// with the `incidents` that started in them; incidents must be visible to `audience`.
pub fn history_page(
    templates: &Templates,
    settings: &Settings,
    audience: Audience,
    page: usize,
    pages: usize,
    months: &[Month],
    incidents: &[IncidentWithUpdates],
) -> anyhow::Result<String> {
    let internal = audience == Audience::Internal;
    let zone = settings.time_zone;
    let root = if internal { "/internal" } else { "" };
    let mut views: Vec<MonthView> = months
        .iter()
        .map(|m| MonthView {
            key: m.key(),
            label: m.label(),
            incidents: Vec::new(),
        })
        .collect();
    let mut sorted: Vec<&IncidentWithUpdates> = incidents.iter().collect();
    sorted.sort_by(|a, b| {
        b.incident
            .started_at
            .cmp(&a.incident.started_at)
            .then(b.incident.id.cmp(&a.incident.id))
    });
    for incident in sorted {
        let month = Month::of(incident.incident.started_at, zone);
        if let Some(index) = months.iter().position(|m| *m == month) {
            views[index]
                .incidents
                .push(HistoryEntry::new(incident, audience, zone));
        }
    }
    views.retain(|v| !v.incidents.is_empty());
    let page_url = |n: usize| {
        if n == 1 {
            format!("{root}/history")
        } else {
            format!("{root}/history?page={n}")
        }
    };
    templates.render(
        "pages/history",
        &HistoryPage {
            title: if internal {
                format!("Internal incident history — {}", settings.page_name)
            } else {
                format!("Incident history — {}", settings.page_name)
            },
            page_name: &settings.page_name,
            internal,
            root,
            time_zone: zone.name(),
            history: true,
            months: views,
            page,
            pages,
            paged: pages > 1,
            newer_url: (page > 1).then(|| page_url(page - 1)),
            older_url: (page < pages).then(|| page_url(page + 1)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn months_are_taken_in_the_page_zone_newest_first() {
        let paris = chrono_tz::Europe::Paris;
        // 31 Oct 23:30 UTC is already 1 Nov in Paris.
        let found = months(
            [
                at("2026-10-31 23:30"),
                at("2026-09-02 10:00"),
                at("2026-11-20 10:00"),
                at("2026-09-30 10:00"),
            ],
            paris,
        );
        assert_eq!(
            found.iter().map(|m| m.label()).collect::<Vec<_>>(),
            ["November 2026", "September 2026"]
        );
        assert_eq!(found[0].key(), "2026-11");
        assert_eq!(found[0].start(paris), at("2026-10-31 23:00"));
        assert_eq!(found[0].next().label(), "December 2026");
        assert_eq!(
            Month::of(at("2026-12-31 12:00"), paris).next().label(),
            "January 2027"
        );
    }

    #[test]
    fn pages_hold_three_months_each() {
        let all = months(
            (1..=7).map(|m| at(&format!("2026-{m:02}-10 10:00"))),
            chrono_tz::UTC,
        );
        assert_eq!(page_count(&all), 3);
        assert_eq!(page_months(&all, 1).unwrap().len(), 3);
        assert_eq!(page_months(&all, 1).unwrap()[0].label(), "July 2026");
        assert_eq!(page_months(&all, 3).unwrap()[0].label(), "January 2026");
        assert_eq!(page_months(&all, 4), None);
        assert_eq!(page_months(&all, 0), None);
        assert_eq!(page_count(&[]), 1);
        assert_eq!(page_months(&[], 1), Some(&[][..]));
    }
}
