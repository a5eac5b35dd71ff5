//! Incidents: open one, post an update, edit its facts and Time Summary.

use chrono::NaiveDateTime;

use super::compose::{check_next_update_by, fill_texts, incident_name, to_update, Draft, Facts};
use super::events::Event;
use super::{components, Actor, Context};
use crate::db::models::incidents::{self, Incident, IncidentChanges, IncidentUpdate, NewIncident};
use crate::domain::incident::{ChecklistAnswer, Impact, Urgency};
use crate::domain::milestone::Milestone;
use crate::domain::role::Permission;
use crate::error::AppError;

/// An incident as a person opens it: its facts and its first update.
#[derive(Debug, Clone)]
pub struct OpenIncident {
    /// The title as typed (checked here).
    pub name: String,
    pub impact: Impact,
    pub urgency: Urgency,
    pub business_critical: bool,
    pub client_impact: String,
    pub checklist: Vec<ChecklistAnswer>,
    /// When the failure started, if not when the first update says.
    pub started_at: Option<NaiveDateTime>,
    pub first_update: Draft,
}

/// Opens an incident with its first update: priority from the matrix,
/// texts from the phase templates, component statuses, milestones, and the
/// emails and webhooks the update announces, all in one transaction.
pub async fn open(ctx: &Context, actor: &Actor, new: OpenIncident) -> Result<Incident, AppError> {
    actor.require(Permission::OpenIncident)?;
    let name = incident_name(&new.name)?;
    check_next_update_by(&new.first_update, ctx.clock.now(), ctx.settings.time_zone)?;
    let priority = ctx
        .settings
        .priority_matrix
        .priority(new.impact, new.urgency);
    let draft = new.first_update;
    let facts = Facts {
        name: name.clone(),
        impact: new.impact,
        priority,
        started_at: new
            .started_at
            .or(draft.display_at)
            .unwrap_or_else(|| ctx.clock.now()),
        component_ids: vec![],
    };
    let filled = fill_texts(ctx, actor, &draft, &facts).await?;
    let first_update = to_update(actor, &draft, filled, template_of(&draft))?;
    let record = NewIncident {
        name,
        impact: new.impact,
        urgency: new.urgency,
        priority,
        business_critical: new.business_critical,
        client_impact: new.client_impact.trim().to_string(),
        checklist: new.checklist,
        started_at: new.started_at,
        first_update,
    };
    ctx.write(actor, move |tx| {
        let posted = incidents::create(tx.conn, tx.actor, record, tx.at)?;
        components::record_changes(tx, &posted.component_changes)?;
        tx.record(Event::IncidentUpdatePosted {
            incident: &posted.incident,
            update: &posted.update,
        })?;
        tx.audit::<(), _>(
            "incident.create",
            ("incident", Some(posted.incident.id)),
            None,
            Some(&posted.incident),
        )?;
        Ok(posted.incident)
    })
    .await
}

/// Posts an update on an incident: a phase (the current one when left
/// out), text for either or both audiences (typed or from a template set),
/// component statuses, the promise of the next update.
pub async fn post_update(
    ctx: &Context,
    actor: &Actor,
    incident_id: i64,
    mut draft: Draft,
) -> Result<IncidentUpdate, AppError> {
    if !actor.can(Permission::PostExternalUpdate) && !actor.can(Permission::PostInternalUpdate) {
        actor.require(Permission::PostExternalUpdate)?;
    }
    check_next_update_by(&draft, ctx.clock.now(), ctx.settings.time_zone)?;
    let incident = ctx
        .db
        .run(move |conn| incidents::get(conn, incident_id))
        .await?;
    draft.phase = Some(draft.phase.unwrap_or(incident.status));
    let facts = Facts {
        name: incident.name.clone(),
        impact: incident.impact,
        priority: incident.priority,
        started_at: incident.started_at,
        component_ids: incident.component_ids.clone(),
    };
    let filled = fill_texts(ctx, actor, &draft, &facts).await?;
    let update = to_update(actor, &draft, filled, template_of(&draft))?;
    ctx.write(actor, move |tx| {
        let before = incidents::get(tx.conn, incident_id)?;
        let posted = incidents::post_update(tx.conn, tx.actor, incident_id, update, tx.at)?;
        components::record_changes(tx, &posted.component_changes)?;
        tx.record(Event::IncidentUpdatePosted {
            incident: &posted.incident,
            update: &posted.update,
        })?;
        tx.audit(
            "incident.update_posted",
            ("incident", Some(incident_id)),
            Some(&before),
            Some(&posted.update),
        )?;
        Ok(posted.update)
    })
    .await
}

/// Changes to an incident's facts as a person asks for them; `None` leaves
/// a fact as it is. The priority follows impact and urgency.
#[derive(Debug, Clone, Default)]
pub struct FactChanges {
    /// The title as typed (checked here).
    pub name: Option<String>,
    pub impact: Option<Impact>,
    pub urgency: Option<Urgency>,
    pub business_critical: Option<bool>,
    pub client_impact: Option<String>,
    pub started_at: Option<NaiveDateTime>,
}

impl FactChanges {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.impact.is_none()
            && self.urgency.is_none()
            && self.business_critical.is_none()
            && self.client_impact.is_none()
            && self.started_at.is_none()
    }
}

/// Edits an incident's facts and/or its Time Summary milestones, in one
/// transaction; out-of-order milestones are refused with a message naming
/// the two that conflict.
pub async fn edit(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    facts: FactChanges,
    milestones: Vec<(Milestone, Option<NaiveDateTime>)>,
) -> Result<Incident, AppError> {
    actor.require(Permission::EditIncident)?;
    let name = facts.name.as_deref().map(incident_name).transpose()?;
    ctx.write(actor, move |tx| {
        if !facts.is_empty() {
            let before = incidents::get(tx.conn, id)?;
            let impact = facts.impact.unwrap_or(before.impact);
            let urgency = facts.urgency.unwrap_or(before.urgency);
            let changes = IncidentChanges {
                name,
                impact: facts.impact,
                urgency: facts.urgency,
                priority: Some(tx.settings.priority_matrix.priority(impact, urgency)),
                business_critical: facts.business_critical,
                client_impact: facts.client_impact.map(|c| c.trim().to_string()),
                started_at: facts.started_at,
            };
            let after = incidents::update(tx.conn, id, changes, tx.at)?;
            tx.record(Event::IncidentEdited {
                before: &before,
                after: &after,
            })?;
            tx.audit(
                "incident.edit",
                ("incident", Some(id)),
                Some(&before),
                Some(&after),
            )?;
        }
        if !milestones.is_empty() {
            let before = incidents::get(tx.conn, id)?;
            let after = incidents::set_milestones(tx.conn, tx.actor, &before, milestones, tx.at)?;
            tx.audit(
                "incident.milestones",
                ("incident", Some(id)),
                Some(&before.milestones()),
                Some(&after.milestones()),
            )?;
        }
        Ok(incidents::get(tx.conn, id)?)
    })
    .await
}

/// The template set a draft names, if any.
fn template_of(draft: &Draft) -> Option<String> {
    draft.template.clone().filter(|t| !t.trim().is_empty())
}
