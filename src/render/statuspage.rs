//! Statuspage v2 JSON documents (`/api/v2/*.json`), with Statuspage's field
//! names and enum values so existing widgets and scripts read them unchanged.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::models::components::Component;
use crate::db::models::groups::Group;
use crate::domain::page_status::PageStatus;
use crate::domain::status::ComponentStatus;

/// Statuspage's timestamp format: RFC 3339 with milliseconds, in UTC.
pub fn timestamp(at: NaiveDateTime) -> String {
    at.and_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[derive(Debug, Clone, Serialize)]
pub struct PageJson {
    pub id: String,
    pub name: String,
    pub url: String,
    pub time_zone: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentJson {
    pub id: String,
    pub name: String,
    pub status: ComponentStatus,
    pub created_at: String,
    pub updated_at: String,
    pub position: i32,
    pub description: Option<String>,
    pub showcase: bool,
    pub start_date: Option<String>,
    pub group_id: Option<String>,
    pub page_id: String,
    pub group: bool,
    pub only_show_if_degraded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
}

impl ComponentJson {
    pub fn component(c: &Component, page_id: &str) -> Self {
        ComponentJson {
            id: c.id.to_string(),
            name: c.name.clone(),
            status: c.status,
            created_at: timestamp(c.created_at),
            updated_at: timestamp(c.updated_at),
            position: c.position,
            description: Some(c.description.clone()).filter(|d| !d.is_empty()),
            showcase: c.showcase,
            start_date: c.start_date.map(|d| d.format("%Y-%m-%d").to_string()),
            group_id: c.group_id.map(|g| g.to_string()),
            page_id: page_id.to_string(),
            group: false,
            only_show_if_degraded: c.only_show_if_degraded,
            components: None,
        }
    }

    /// A group, shown as Statuspage does: a component with `group: true`,
    /// the ids of its components, and the worst of their statuses.
    pub fn group(g: &Group, members: &[&Component], page_id: &str) -> Self {
        ComponentJson {
            id: g.id.to_string(),
            name: g.name.clone(),
            status: members
                .iter()
                .map(|c| c.status)
                .max()
                .unwrap_or(ComponentStatus::Operational),
            created_at: timestamp(g.created_at),
            updated_at: timestamp(g.updated_at),
            position: g.position,
            description: Some(g.description.clone()).filter(|d| !d.is_empty()),
            showcase: false,
            start_date: None,
            group_id: None,
            page_id: page_id.to_string(),
            group: true,
            only_show_if_degraded: false,
            components: Some(members.iter().map(|c| c.id.to_string()).collect()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusJson {
    pub indicator: &'static str,
    pub description: &'static str,
}

impl From<&PageStatus> for StatusJson {
    fn from(s: &PageStatus) -> Self {
        StatusJson {
            indicator: s.indicator.as_str(),
            description: s.description,
        }
    }
}

/// `summary.json`.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub page: &'a PageJson,
    pub components: &'a [ComponentJson],
    pub incidents: Vec<serde_json::Value>,
    pub scheduled_maintenances: Vec<serde_json::Value>,
    pub status: &'a StatusJson,
}

/// `status.json`.
#[derive(Debug, Serialize)]
pub struct StatusDocument<'a> {
    pub page: &'a PageJson,
    pub status: &'a StatusJson,
}

/// `components.json`.
#[derive(Debug, Serialize)]
pub struct ComponentsDocument<'a> {
    pub page: &'a PageJson,
    pub components: &'a [ComponentJson],
}

/// `incidents.json` and `incidents/unresolved.json`.
#[derive(Debug, Serialize)]
pub struct IncidentsDocument<'a> {
    pub page: &'a PageJson,
    pub incidents: Vec<serde_json::Value>,
}

/// `scheduled-maintenances.json` and its `upcoming` / `active` subsets.
#[derive(Debug, Serialize)]
pub struct MaintenancesDocument<'a> {
    pub page: &'a PageJson,
    pub scheduled_maintenances: Vec<serde_json::Value>,
}
