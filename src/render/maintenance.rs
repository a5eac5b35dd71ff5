//! Maintenance as others read it: Statuspage's scheduled-maintenance JSON,
//! the iCalendar feed (`/maintenance.ics`), and the view the status page
//! template shows.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use icalendar::{Calendar, Component, Event, EventLike};
use serde::Serialize;
use serde_json::{json, Value};

use super::statuspage::{timestamp, ComponentJson};
use super::time::local;
use crate::config::Settings;
use crate::db::models::maintenances::MaintenanceWithDetails;
use crate::domain::maintenance::MaintenanceStatus;
use crate::domain::status::Audience;

/// Whether `audience` sees this maintenance: staff see all; customers see
/// those with no components or at least one external component.
pub fn visible_to(m: &MaintenanceWithDetails, audience: Audience) -> bool {
    m.components.is_empty() || m.components.iter().any(|c| c.audience.visible_to(audience))
}

/// Statuspage's scheduled-maintenance object for customers (internal
/// components left out).
pub fn statuspage_json(m: &MaintenanceWithDetails, page_id: &str, settings: &Settings) -> Value {
    statuspage_json_for(m, page_id, settings, Audience::External)
}

/// Statuspage's scheduled-maintenance object for one audience.
pub fn statuspage_json_for(
    m: &MaintenanceWithDetails,
    page_id: &str,
    settings: &Settings,
    audience: Audience,
) -> Value {
    let mm = &m.maintenance;
    let id = mm.id.to_string();
    let updates: Vec<Value> = m
        .updates
        .iter()
        .map(|u| {
            json!({
                "id": u.id.to_string(),
                "status": u.status,
                "body": u.body,
                "incident_id": id,
                "created_at": timestamp(u.created_at),
                "updated_at": timestamp(u.created_at),
                "display_at": timestamp(u.created_at),
                "affected_components": Value::Null,
            })
        })
        .collect();
    let components: Vec<ComponentJson> = m
        .components
        .iter()
        .filter(|c| c.audience.visible_to(audience))
        .map(|c| ComponentJson::component(c, page_id))
        .collect();
    json!({
        "id": id,
        "name": mm.name,
        "status": mm.status,
        "created_at": timestamp(mm.created_at),
        "updated_at": timestamp(mm.updated_at),
        "monitoring_at": Value::Null,
        "resolved_at": mm.completed_at.map(timestamp),
        "impact": "maintenance",
        "shortlink": settings.url(&format!("/#maintenance-{}", mm.id)),
        "started_at": timestamp(mm.started_at.unwrap_or(mm.created_at)),
        "page_id": page_id,
        "incident_updates": updates,
        "components": components,
        "scheduled_for": timestamp(mm.scheduled_for),
        "scheduled_until": timestamp(mm.scheduled_until),
    })
}

/// The text of a markdown body without its markup, for calendar descriptions.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event as Md, Parser, TagEnd};
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Md::Text(t) | Md::Code(t) => text.push_str(&t),
            Md::SoftBreak => text.push(' '),
            Md::HardBreak => text.push('\n'),
            Md::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => text.push('\n'),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// The iCalendar feed: one `VEVENT` per maintenance customers see. A
/// recurring one carries its `RRULE` from its first window; in a page time
/// zone other than UTC its times name that zone (`TZID`), so calendars
/// repeat it at the same local time, as the scheduler does.
pub fn calendar(list: &[MaintenanceWithDetails], settings: &Settings) -> String {
    let host = settings.base_url.host_str().unwrap_or("localhost");
    let zone = settings.time_zone;
    let utc = zone.name() == "UTC" || zone.name() == "Etc/UTC";
    let mut cal = Calendar::empty();
    cal.append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//Sitrep//Scheduled maintenance//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .name(&format!("{} maintenance", settings.page_name));
    for m in list.iter().filter(|m| visible_to(m, Audience::External)) {
        let mm = &m.maintenance;
        let mut event = Event::new();
        event
            .uid(&format!("maintenance-{}@{host}", mm.id))
            .timestamp(mm.updated_at.and_utc())
            .summary(&mm.name)
            .url(&settings.url(&format!("/#maintenance-{}", mm.id)));
        let description = plain_text(&mm.body);
        if !description.is_empty() {
            event.description(&description);
        }
        match mm.recurrence() {
            Some(rule) => {
                let first = mm.first_window();
                if utc {
                    event
                        .starts(first.starts_at.and_utc())
                        .ends(first.ends_at.and_utc());
                } else {
                    event
                        .starts((local_naive(first.starts_at, zone), zone))
                        .ends((local_naive(first.ends_at, zone), zone));
                }
                event.add_property("RRULE", rule.as_str());
            }
            None => {
                event
                    .starts(mm.scheduled_for.and_utc())
                    .ends(mm.scheduled_until.and_utc());
            }
        }
        cal.push(event.done());
    }
    cal.done().to_string()
}

fn local_naive(at: NaiveDateTime, zone: Tz) -> NaiveDateTime {
    at.and_utc().with_timezone(&zone).naive_local()
}

/// One maintenance on the status page.
#[derive(Debug, Clone, Serialize)]
pub struct PageMaintenance {
    pub id: i64,
    pub name: String,
    pub status: &'static str,
    pub status_label: &'static str,
    /// "28 Nov 2026, 02:00 UTC"
    pub starts: String,
    pub ends: String,
    pub recurring: bool,
    /// Sanitised HTML of the body.
    pub body_html: String,
    /// Names of the components this audience sees.
    pub components: Vec<String>,
    /// Newest first.
    pub updates: Vec<PageMaintenanceUpdate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageMaintenanceUpdate {
    pub status_label: &'static str,
    pub body_html: String,
    pub at: String,
}

/// The maintenance section of one audience's page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PageMaintenances {
    /// Under way (in progress or verifying).
    pub active: Vec<PageMaintenance>,
    /// Scheduled, earliest first.
    pub upcoming: Vec<PageMaintenance>,
    /// Completed recently, latest first.
    pub completed: Vec<PageMaintenance>,
}

impl PageMaintenances {
    pub fn is_empty(&self) -> bool {
        self.active.is_empty() && self.upcoming.is_empty() && self.completed.is_empty()
    }
}

/// Splits what [`crate::db::models::maintenances::load_for_page`] returned
/// into the page's sections for `audience`, times in the page's zone.
pub fn page_sections(
    list: &[MaintenanceWithDetails],
    audience: Audience,
    zone: Tz,
) -> PageMaintenances {
    let mut sections = PageMaintenances::default();
    for m in list.iter().filter(|m| visible_to(m, audience)) {
        let mm = &m.maintenance;
        let view = PageMaintenance {
            id: mm.id,
            name: mm.name.clone(),
            status: mm.status.as_str(),
            status_label: mm.status.label(),
            starts: local(mm.scheduled_for, zone),
            ends: local(mm.scheduled_until, zone),
            recurring: mm.rrule.is_some(),
            body_html: mm.body_html.clone(),
            components: m
                .components
                .iter()
                .filter(|c| c.audience.visible_to(audience))
                .map(|c| c.name.clone())
                .collect(),
            updates: m
                .updates
                .iter()
                .map(|u| PageMaintenanceUpdate {
                    status_label: u.status.label(),
                    body_html: u.body_html.clone(),
                    at: local(u.created_at, zone),
                })
                .collect(),
        };
        match mm.status {
            MaintenanceStatus::Scheduled => sections.upcoming.push(view),
            MaintenanceStatus::InProgress | MaintenanceStatus::Verifying => {
                sections.active.push(view)
            }
            MaintenanceStatus::Completed => sections.completed.push(view),
        }
    }
    sections.completed.reverse();
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_the_markup() {
        assert_eq!(
            plain_text("We **upgrade** the [database](https://example.com).\n\n- one\n- two"),
            "We upgrade the database.\none\ntwo"
        );
    }
}
