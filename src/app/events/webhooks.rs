//! The webhook channel: one delivery per enabled webhook that chose the
//! event's category, with its body rendered there and then (so the page
//! status in it is the banner right after the change, and every retry sends
//! the same bytes). Customers' view only: internal-only incidents and
//! updates, internal text and internal components never go out.

use crate::db::models::components::{self, Component};
use crate::db::models::incidents::{self, Incident, IncidentUpdate, IncidentWithUpdates};
use crate::db::models::maintenances;
use crate::db::models::webhooks::{self as store, Webhook};
use crate::db::StoreError;
use crate::domain::maintenance::MaintenanceStatus;
use crate::domain::status::Audience;
use crate::domain::webhook::{Event as WebhookEvent, EventCategory};
use crate::notify::webhook as payload;

use super::{Event, Tx};

pub(super) fn on(tx: &mut Tx<'_>, event: &Event<'_>) -> Result<(), StoreError> {
    match *event {
        Event::IncidentUpdatePosted { update, .. } => incident_posted(tx, update),
        Event::IncidentEdited { before, after } => incident_edited(tx, before, after),
        Event::ComponentChanged { before, after } => component_changed(tx, before, after),
        Event::MaintenanceCreated { id } => maintenance(tx, id, WebhookEvent::MaintenanceCreated),
        Event::MaintenanceEdited { id } => maintenance(tx, id, WebhookEvent::MaintenanceUpdated),
        Event::MaintenanceMoved { id, from, to } => {
            let event = match to {
                MaintenanceStatus::InProgress if from != to => WebhookEvent::MaintenanceStarted,
                MaintenanceStatus::Completed if from != to => WebhookEvent::MaintenanceCompleted,
                _ => WebhookEvent::MaintenanceUpdated,
            };
            maintenance(tx, id, event)
        }
        Event::MaintenanceAnnounced { .. } => Ok(()),
    }
}

/// Customers hear of an update when it has external text — as
/// `incident.created` when it is the incident's first customer-facing update.
fn incident_posted(tx: &mut Tx<'_>, update: &IncidentUpdate) -> Result<(), StoreError> {
    if update.external_body.is_none() {
        return Ok(());
    }
    let targets = store::subscribed(tx.conn, EventCategory::Incident)?;
    if targets.is_empty() {
        return Ok(());
    }
    let incident = incidents::with_updates(tx.conn, update.incident_id)?;
    let external = incident
        .updates
        .iter()
        .filter(|u| u.external_body.is_some())
        .count();
    let event = if external == 1 {
        WebhookEvent::IncidentCreated
    } else {
        WebhookEvent::IncidentUpdated
    };
    send_incident(tx, &targets, event, &incident)
}

/// Sent when customers see the incident and something they see changed
/// (name, impact, start), not for staff-only facts such as urgency or
/// client impact.
fn incident_edited(tx: &mut Tx<'_>, before: &Incident, after: &Incident) -> Result<(), StoreError> {
    if (&before.name, before.impact, before.started_at)
        == (&after.name, after.impact, after.started_at)
    {
        return Ok(());
    }
    let targets = store::subscribed(tx.conn, EventCategory::Incident)?;
    if targets.is_empty() {
        return Ok(());
    }
    let incident = incidents::with_updates(tx.conn, after.id)?;
    if !incident.updates.iter().any(|u| u.external_body.is_some()) {
        return Ok(());
    }
    send_incident(tx, &targets, WebhookEvent::IncidentEdited, &incident)
}

fn send_incident(
    tx: &mut Tx<'_>,
    targets: &[Webhook],
    event: WebhookEvent,
    incident: &IncidentWithUpdates,
) -> Result<(), StoreError> {
    let all_components = components::list(tx.conn)?;
    let banner = store::page_banner(tx.conn)?;
    let body = payload::incident_payload(tx.settings, event, &banner, incident, &all_components);
    store::insert_deliveries(tx.conn, targets, event, &body)?;
    Ok(())
}

/// A change of status of a component customers see goes out as a
/// `component_update`.
fn component_changed(
    tx: &mut Tx<'_>,
    before: &Component,
    after: &Component,
) -> Result<(), StoreError> {
    if before.status == after.status
        || before.audience != Audience::External
        || after.audience != Audience::External
    {
        return Ok(());
    }
    let targets = store::subscribed(tx.conn, EventCategory::Component)?;
    if targets.is_empty() {
        return Ok(());
    }
    let change_id = components::latest_change_id(tx.conn, after.id)?;
    let banner = store::page_banner(tx.conn)?;
    let body = payload::component_payload(
        tx.settings,
        &banner,
        change_id.unwrap_or(0),
        before.status,
        after,
    );
    store::insert_deliveries(tx.conn, &targets, WebhookEvent::ComponentUpdated, &body)?;
    Ok(())
}

/// A maintenance customers see.
fn maintenance(tx: &mut Tx<'_>, id: i64, event: WebhookEvent) -> Result<(), StoreError> {
    let targets = store::subscribed(tx.conn, EventCategory::Maintenance)?;
    if targets.is_empty() {
        return Ok(());
    }
    let m = maintenances::get(tx.conn, id)?;
    if !crate::render::maintenance::visible_to(&m, Audience::External) {
        return Ok(());
    }
    let banner = store::page_banner(tx.conn)?;
    let body = payload::maintenance_payload_for(tx.settings, event, &banner, &m);
    store::insert_deliveries(tx.conn, &targets, event, &body)?;
    Ok(())
}
