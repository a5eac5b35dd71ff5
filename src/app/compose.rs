//! Writing an update, shared by the console and the API: fill phase
//! templates with the incident's facts, check who may write which stream,
//! render markdown to safe HTML.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use super::{Actor, Context};
use crate::db::models::incidents::{NewUpdate, UpdateText};
use crate::db::models::phase_templates;
use crate::domain::incident::{Impact, Phase, Priority};
use crate::domain::role::Permission;
use crate::domain::status::{Audience, ComponentStatus};
use crate::domain::Invalid;
use crate::error::AppError;
use crate::render::markdown::to_safe_html;
use crate::render::phase::{fill, PhaseVariables};
use crate::render::time::local;

/// The longest body accepted per stream.
pub const MAX_BODY_CHARS: usize = 10_000;

/// What the manager asked for, before templates are filled.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub phase: Option<Phase>,
    pub external: Option<String>,
    pub internal: Option<String>,
    /// A template set name: fills the streams left empty that the author may write.
    pub template: Option<String>,
    pub variables: BTreeMap<String, String>,
    pub notify: bool,
    pub display_at: Option<NaiveDateTime>,
    pub next_update_by: Option<NaiveDateTime>,
    pub components: Vec<(i64, ComponentStatus)>,
}

/// The facts a template can quote.
#[derive(Debug, Clone)]
pub struct Facts {
    pub name: String,
    pub impact: Impact,
    pub priority: Priority,
    pub started_at: NaiveDateTime,
    /// Ids of components the incident already affects.
    pub component_ids: Vec<i64>,
}

/// The texts that will be published, per stream, after templates.
#[derive(Debug, Clone, Default)]
pub struct Filled {
    pub external: Option<String>,
    pub internal: Option<String>,
}

fn non_empty(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Fills templates and checks permissions; returns the texts to publish.
pub async fn fill_texts(
    state: &Context,
    staff: &Actor,
    draft: &Draft,
    facts: &Facts,
) -> Result<Filled, AppError> {
    let phase = draft.phase.unwrap_or(Phase::Investigating);
    let mut filled = Filled {
        external: non_empty(&draft.external),
        internal: non_empty(&draft.internal),
    };
    if let Some(set_name) = draft
        .template
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let name = set_name.to_string();
        let set = state
            .db
            .run(move |conn| phase_templates::find_by_name(conn, &name))
            .await?;
        let mut ids: Vec<i64> = facts.component_ids.clone();
        ids.extend(draft.components.iter().map(|(id, _)| *id));
        ids.sort_unstable();
        ids.dedup();
        let names = state
            .db
            .run(move |conn| crate::db::models::incidents::component_names(conn, &ids))
            .await?;
        let components = match names.len() {
            0 => "our services".to_string(),
            1 => names[0].1.clone(),
            n => format!(
                "{} and {}",
                names[..n - 1]
                    .iter()
                    .map(|(_, name)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                names[n - 1].1
            ),
        };
        let variables = PhaseVariables {
            name: facts.name.clone(),
            components,
            impact: facts.impact.as_str().into(),
            priority: facts.priority.as_str().into(),
            phase: phase.as_str().into(),
            started_at: local(facts.started_at, state.settings.time_zone),
            next_update_by: draft
                .next_update_by
                .map(|at| local(at, state.settings.time_zone)),
            custom: draft.variables.clone(),
        };
        if filled.external.is_none() && staff.can(Permission::PostExternalUpdate) {
            let body = set.text(phase, Audience::External);
            if !body.is_empty() {
                filled.external = Some(
                    fill(body, &variables)
                        .map_err(|e| AppError::Invalid(format!("External text: {}", e.0)))?,
                );
            }
        }
        if filled.internal.is_none() && staff.can(Permission::PostInternalUpdate) {
            let body = set.text(phase, Audience::Internal);
            if !body.is_empty() {
                filled.internal = Some(
                    fill(body, &variables)
                        .map_err(|e| AppError::Invalid(format!("Internal text: {}", e.0)))?,
                );
            }
        }
    }
    Ok(filled)
}

/// Checks who may publish what, and renders the update to store.
pub fn to_update(
    staff: &Actor,
    draft: &Draft,
    filled: Filled,
    template: Option<String>,
) -> Result<NewUpdate, AppError> {
    if filled.external.is_some() && !staff.can(Permission::PostExternalUpdate) {
        return Err(AppError::Forbidden(format!(
            "Your role ({}) may not publish customer-facing text: leave the external text empty.",
            role_label(staff)
        )));
    }
    if filled.internal.is_some() && !staff.can(Permission::PostInternalUpdate) {
        return Err(AppError::Forbidden(format!(
            "Your role ({}) may not publish staff-only text: leave the internal text empty.",
            role_label(staff)
        )));
    }
    if filled.external.is_none() && filled.internal.is_none() {
        return Err(Invalid::new("Write the external text, the internal text, or both (or pick a template set to start from).").into());
    }
    for (label, text) in [
        ("external", &filled.external),
        ("internal", &filled.internal),
    ] {
        if let Some(text) = text {
            let length = text.chars().count();
            if length > MAX_BODY_CHARS {
                return Err(Invalid::new(format!(
                    "The {label} text is {length} characters long; keep it to {MAX_BODY_CHARS} or fewer."
                ))
                .into());
            }
        }
    }
    let render = |t: String| UpdateText {
        html: to_safe_html(&t),
        markdown: t,
    };
    Ok(NewUpdate {
        status: draft.phase.unwrap_or(Phase::Investigating),
        external: filled.external.map(render),
        internal: filled.internal.map(render),
        template_set: template,
        notify: draft.notify,
        display_at: draft.display_at,
        next_update_by: draft.next_update_by,
        components: draft.components.clone(),
    })
}

/// A promise of the next update must lie ahead of the update it comes
/// with: after `now` for a live update; for a backdated one (history entered
/// afterwards, whose promise may have passed since, kept or not) after its
/// published time.
pub fn check_next_update_by(draft: &Draft, now: NaiveDateTime, zone: Tz) -> Result<(), Invalid> {
    let Some(next) = draft.next_update_by else {
        return Ok(());
    };
    match draft.display_at {
        None if next < now => Err(Invalid::new(format!(
            "Next update by is in the past ({}, and it is now {}): give a time after now, or leave it empty.",
            local(next, zone),
            local(now, zone)
        ))),
        Some(published) if next < published => Err(Invalid::new(format!(
            "Next update by ({}) is before the update's published time ({}): give a time after it, or leave it empty.",
            local(next, zone),
            local(published, zone)
        ))),
        _ => Ok(()),
    }
}

fn role_label(actor: &Actor) -> &'static str {
    actor.staff().map_or("none", |s| s.role.label())
}

/// An incident name: trimmed, 1 to 200 characters, no control characters.
pub fn incident_name(value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(
            "Give the incident a title customers will understand, like “Checkout errors”.",
        ));
    }
    let length = value.chars().count();
    if length > 200 {
        return Err(Invalid::new(format!(
            "The title is {length} characters long; keep it to 200 or fewer."
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(
            "The title contains control characters (such as a line break); remove them.",
        ));
    }
    Ok(value.to_string())
}
