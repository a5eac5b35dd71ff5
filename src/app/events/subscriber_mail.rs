//! The subscriber email channel: which events become emails, to whom.
//!
//! A notifying incident update becomes one `incident_update` notification
//! per audience that has text; only the notification and its fan-out spec
//! (audience, component filter) are written here, whatever the number of
//! subscribers: the worker's fan-out step adds one delivery per matching
//! subscriber afterwards (see `notify::worker`).

use crate::db::models::components::Component;
use crate::db::models::outbox::{self, NewNotification, NotificationKind};
use crate::db::StoreError;
use crate::domain::status::Audience;
use crate::render::markdown::to_safe_html;

use super::maintenance_mail::MaintenanceMail;
use super::{Event, Tx};

pub(super) fn on(tx: &mut Tx<'_>, event: &Event<'_>) -> Result<(), StoreError> {
    if let Event::MaintenanceAnnounced {
        maintenance,
        components,
        mail,
        window,
        next,
        text,
    } = *event
    {
        if !maintenance.notify {
            return Ok(());
        }
        let html = to_safe_html(text);
        let announced = MaintenanceMail {
            id: maintenance.id,
            name: &maintenance.name,
            event: mail,
            window,
            next,
            recurring: maintenance.rrule.is_some(),
            text,
            html: &html,
            components: Vec::new(),
        };
        return maintenance_announced(tx, announced, components);
    }
    if let Event::IncidentUpdatePosted { incident, update } = event {
        if !update.notify {
            return Ok(());
        }
        let streams = [
            (
                Audience::External,
                &update.external_body,
                &update.external_html,
            ),
            (
                Audience::Internal,
                &update.internal_body,
                &update.internal_html,
            ),
        ];
        for (audience, markdown, html) in streams {
            let (Some(markdown), Some(html)) = (markdown, html) else {
                continue;
            };
            let payload = serde_json::json!({
                "incident_id": incident.id,
                "incident_name": incident.name,
                "impact": incident.impact.as_str(),
                "impact_label": incident.impact.label(),
                "phase": update.status.as_str(),
                "phase_label": update.status.label(),
                "text": markdown,
                "html": html,
                "update_id": update.id,
            });
            queue(
                tx,
                NotificationKind::IncidentUpdate,
                audience,
                &incident.component_ids,
                format!("incident_update:{}", update.id),
                payload,
            )?;
        }
    }
    Ok(())
}

/// One notification per audience: internal subscribers hear of every
/// maintenance; external ones of those customers see (no components, or at
/// least one external one), with only the external components named.
fn maintenance_announced(
    tx: &mut Tx<'_>,
    mail: MaintenanceMail<'_>,
    linked: &[Component],
) -> Result<(), StoreError> {
    for audience in [Audience::External, Audience::Internal] {
        let seen: Vec<&Component> = linked
            .iter()
            .filter(|c| c.audience.visible_to(audience))
            .collect();
        if !linked.is_empty() && seen.is_empty() {
            continue;
        }
        let mail = MaintenanceMail {
            components: seen.iter().map(|c| c.name.clone()).collect(),
            ..mail.clone()
        };
        let ids: Vec<i64> = seen.iter().map(|c| c.id).collect();
        queue(
            tx,
            mail.event.kind(),
            audience,
            &ids,
            mail.subject(),
            mail.payload(),
        )?;
    }
    Ok(())
}

/// Queues one notification of `kind` for the confirmed subscribers of
/// `audience` whose component filter is empty or meets `component_ids`.
/// `subject` names what it is about (e.g. `maintenance_started:12`); the
/// payload is what `templates/email/<kind>/` renders, to which the worker
/// adds each recipient's links. Who gets it is decided by the fan-out, after
/// the commit (a subscriber who unsubscribed in between gets nothing).
pub fn queue(
    tx: &mut Tx<'_>,
    kind: NotificationKind,
    audience: Audience,
    component_ids: &[i64],
    subject: String,
    payload: serde_json::Value,
) -> Result<i64, StoreError> {
    let id = outbox::create_fan_out(
        tx.conn,
        &NewNotification {
            kind,
            audience,
            subject: Some(subject),
            payload,
        },
        component_ids,
    )?;
    tx.queued_mail();
    Ok(id)
}
