//! Incidents as each audience sees them: HTML views and Statuspage JSON.
//! Customers only ever get external text; staff get both streams, labelled.

use serde::Serialize;
use serde_json::{json, Value};

use super::statuspage::{timestamp, ComponentJson};
use super::time::local;
use crate::config::Settings;
use crate::db::models::components::Component;
use crate::db::models::incidents::{IncidentUpdate, IncidentWithUpdates};
use crate::domain::incident::Phase;
use crate::domain::status::Audience;

/// One update on a page.
#[derive(Debug, Serialize)]
pub struct UpdateView {
    pub id: i64,
    pub status: &'static str,
    pub phase_label: &'static str,
    /// Sanitised HTML (safe to insert unescaped).
    pub external_html: Option<String>,
    pub internal_html: Option<String>,
    pub display_at: String,
    pub display_at_iso: String,
    pub regression: bool,
    pub silent: bool,
    pub author: Option<String>,
    pub affected: Vec<String>,
}

/// One incident on a page.
#[derive(Debug, Serialize)]
pub struct IncidentView {
    pub id: i64,
    pub name: String,
    pub impact: &'static str,
    pub impact_label: &'static str,
    pub priority: Option<&'static str>,
    pub status: &'static str,
    pub phase_label: &'static str,
    pub resolved: bool,
    pub started_at: String,
    pub started_at_iso: String,
    pub resolved_at: Option<String>,
    pub components: Vec<String>,
    pub latest: Option<UpdateView>,
    pub updates: Vec<UpdateView>,
    pub url: String,
}

fn update_view(u: &IncidentUpdate, audience: Audience, settings: &Settings) -> Option<UpdateView> {
    let internal = audience == Audience::Internal;
    if !internal && u.external_html.is_none() {
        return None;
    }
    Some(UpdateView {
        id: u.id,
        status: u.status.as_str(),
        phase_label: u.status.label(),
        external_html: u.external_html.clone(),
        internal_html: if internal {
            u.internal_html.clone()
        } else {
            None
        },
        display_at: local(u.display_at, settings.time_zone),
        display_at_iso: timestamp(u.display_at),
        regression: u.regression,
        silent: internal && !u.notify,
        author: internal.then(|| u.author.clone()),
        affected: u
            .affected_components
            .iter()
            .map(|a| {
                format!(
                    "{}: {} → {}",
                    a.name,
                    a.old_status.label(),
                    a.new_status.label()
                )
            })
            .collect(),
    })
}

/// The view of one incident for an audience.
pub fn incident_view(
    i: &IncidentWithUpdates,
    audience: Audience,
    settings: &Settings,
    components: &[Component],
) -> IncidentView {
    let internal = audience == Audience::Internal;
    let updates: Vec<UpdateView> = i
        .updates
        .iter()
        .filter_map(|u| update_view(u, audience, settings))
        .collect();
    let latest = i
        .updates
        .iter()
        .find_map(|u| update_view(u, audience, settings));
    let root = if internal { "/internal" } else { "" };
    IncidentView {
        id: i.incident.id,
        name: i.incident.name.clone(),
        impact: i.incident.impact.as_str(),
        impact_label: i.incident.impact.label(),
        priority: internal.then(|| i.incident.priority.as_str()),
        status: i.incident.status.as_str(),
        phase_label: i.incident.status.label(),
        resolved: i.incident.status == Phase::Resolved,
        started_at: local(i.incident.started_at, settings.time_zone),
        started_at_iso: timestamp(i.incident.started_at),
        resolved_at: i
            .incident
            .resolved_at
            .map(|at| local(at, settings.time_zone)),
        components: components
            .iter()
            .filter(|c| i.incident.component_ids.contains(&c.id) && c.audience.visible_to(audience))
            .map(|c| c.name.clone())
            .collect(),
        latest,
        updates,
        url: format!("{root}/incidents/{}", i.incident.id),
    }
}

/// Statuspage's incident object. External JSON carries external text only;
/// internal JSON puts the internal text in `internal_body` beside it.
pub fn incident_json(
    i: &IncidentWithUpdates,
    audience: Audience,
    settings: &Settings,
    components: &[Component],
) -> Value {
    let internal = audience == Audience::Internal;
    let inc = &i.incident;
    let updates: Vec<Value> = i
        .updates
        .iter()
        .filter(|u| internal || u.external_body.is_some())
        .map(|u| {
            let mut update = json!({
                "id": u.id.to_string(),
                "status": u.status,
                "body": u.external_body.clone().or_else(|| u.internal_body.clone()).unwrap_or_default(),
                "incident_id": inc.id.to_string(),
                "created_at": timestamp(u.created_at),
                "updated_at": timestamp(u.created_at),
                "display_at": timestamp(u.display_at),
                "affected_components": u.affected_components.iter()
                    .filter(|a| internal || components.iter().any(|c| c.id.to_string() == a.code && c.audience == Audience::External))
                    .map(|a| json!({"code": a.code, "name": a.name, "old_status": a.old_status, "new_status": a.new_status}))
                    .collect::<Vec<_>>(),
                "deliver_notifications": u.notify,
                "custom_tweet": null,
                "tweet_id": null,
            });
            if internal {
                update["internal_body"] = json!(u.internal_body);
                update["external_body"] = json!(u.external_body);
            }
            update
        })
        .collect();
    let mut value = json!({
        "id": inc.id.to_string(),
        "name": inc.name,
        "status": inc.status,
        "created_at": timestamp(inc.created_at),
        "updated_at": timestamp(inc.updated_at),
        "monitoring_at": inc.monitoring_at.map(timestamp),
        "resolved_at": inc.resolved_at.map(timestamp),
        "impact": inc.impact,
        "shortlink": settings.url(&format!("/incidents/{}", inc.id)),
        "started_at": timestamp(inc.started_at),
        "page_id": settings.page_id,
        "incident_updates": updates,
        "components": components
            .iter()
            .filter(|c| inc.component_ids.contains(&c.id) && c.audience.visible_to(audience))
            .map(|c| ComponentJson::component(c, &settings.page_id))
            .collect::<Vec<_>>(),
    });
    if internal {
        value["priority"] = json!(inc.priority);
        value["urgency"] = json!(inc.urgency);
        value["business_critical"] = json!(inc.business_critical);
        value["client_impact"] = json!(inc.client_impact);
        value["next_update_by"] = json!(inc.next_update_by.map(timestamp));
    }
    value
}
