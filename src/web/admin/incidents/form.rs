//! The update form shared by "open an incident" and "post an update":
//! its fields, the draft they make and the preview.

use actix_web::http::StatusCode;
use actix_web::ResponseError;
use chrono::NaiveDateTime;
use serde::Serialize;

use super::super::Choice;
use crate::app;
use crate::app::compose::{fill_texts, Draft, Facts};
use crate::db::models::page_state::PageState;
use crate::db::models::phase_templates::{self, DEFAULT_SET};
use crate::domain::incident::Phase;
use crate::domain::role::{Permission, Staff};
use crate::domain::status::{Audience, ComponentStatus};
use crate::error::AppError;
use crate::render::markdown::to_safe_html;
use crate::render::phase::parse_custom;
use crate::render::time::{input_value, parse_input};
use crate::web::state::AppState;

/// A submitted form with dynamic field names (`component_3`, `check_1`).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub(super) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    pub(super) fn time(
        &self,
        name: &str,
        zone: chrono_tz::Tz,
        label: &str,
    ) -> Result<Option<NaiveDateTime>, AppError> {
        match self.get(name).trim() {
            "" => Ok(None),
            value => parse_input(value, zone)
                .map(Some)
                .map_err(|e| AppError::Invalid(format!("{label}: {}", e.0))),
        }
    }
}

pub(super) fn choices<T: Copy + PartialEq>(
    all: &[T],
    current: Option<T>,
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|&item| Choice {
            value: value(item).into(),
            label: label(item).into(),
            selected: Some(item) == current,
        })
        .collect()
}

#[derive(Serialize)]
pub(super) struct ComponentField {
    pub id: i64,
    pub name: String,
    pub field: String,
    pub internal: bool,
    pub current: &'static str,
    pub choices: Vec<Choice>,
}

/// The fields of an update (shared by "open" and "post update").
#[derive(Serialize, Default)]
pub(super) struct UpdateFields {
    pub phases: Vec<Choice>,
    pub templates: Vec<Choice>,
    pub components: Vec<ComponentField>,
    pub variables: String,
    pub next_update_by: String,
    pub display_at: String,
    pub notify: bool,
    pub external_body: String,
    pub internal_body: String,
    pub can_external: bool,
    pub can_internal: bool,
    pub preview_external: Option<String>,
    pub preview_internal: Option<String>,
    pub time_zone: String,
}

/// `promised`: the incident's current next-update time; kept as the default
/// while it is still ahead, so posting does not quietly move the promise.
pub(super) async fn update_fields(
    state: &AppState,
    staff: &Staff,
    page: &PageState,
    fields: Option<&Fields>,
    phase: Phase,
    promised: Option<NaiveDateTime>,
) -> Result<UpdateFields, AppError> {
    let sets = state.db.run(phase_templates::list).await?;
    let chosen_set = fields.map_or(DEFAULT_SET.to_string(), |f| f.get("template").to_string());
    let mut templates = vec![Choice {
        value: String::new(),
        label: "No template: I write the text".into(),
        selected: chosen_set.is_empty(),
    }];
    templates.extend(sets.iter().map(|s| Choice {
        value: s.name.clone(),
        label: s.name.clone(),
        selected: s.name == chosen_set,
    }));
    let components = page
        .components
        .iter()
        .map(|c| {
            let field = format!("component_{}", c.id);
            let wanted = fields.map_or("", |f| f.get(&field));
            let mut list = vec![Choice {
                value: String::new(),
                label: format!("Unchanged ({})", c.status.label()),
                selected: wanted.is_empty(),
            }];
            list.extend(ComponentStatus::ALL.iter().map(|s| Choice {
                value: s.as_str().into(),
                label: s.label().into(),
                selected: wanted == s.as_str(),
            }));
            ComponentField {
                id: c.id,
                name: c.name.clone(),
                field,
                internal: c.audience == Audience::Internal,
                current: c.status.as_str(),
                choices: list,
            }
        })
        .collect();
    let zone = state.settings.time_zone;
    let now = crate::db::now();
    let default_next = input_value(
        promised
            .filter(|p| *p > now)
            .unwrap_or(now + chrono::Duration::minutes(30)),
        zone,
    );
    Ok(UpdateFields {
        phases: choices(&Phase::ALL, Some(phase), Phase::as_str, Phase::label),
        templates,
        components,
        variables: fields.map_or(String::new(), |f| f.get("variables").to_string()),
        next_update_by: fields.map_or(default_next, |f| f.get("next_update_by").to_string()),
        display_at: fields.map_or(String::new(), |f| f.get("display_at").to_string()),
        notify: fields.is_none_or(|f| f.has("notify")),
        external_body: fields.map_or(String::new(), |f| f.get("external_body").to_string()),
        internal_body: fields.map_or(String::new(), |f| f.get("internal_body").to_string()),
        can_external: staff.can(Permission::PostExternalUpdate),
        can_internal: staff.can(Permission::PostInternalUpdate),
        preview_external: None,
        preview_internal: None,
        time_zone: zone.name().to_string(),
    })
}

pub(super) fn draft_from(
    fields: &Fields,
    zone: chrono_tz::Tz,
    phase: Phase,
) -> Result<Draft, AppError> {
    let mut components = Vec::new();
    for (key, value) in &fields.0 {
        if let Some(id) = key.strip_prefix("component_") {
            if value.trim().is_empty() {
                continue;
            }
            let id = id
                .parse::<i64>()
                .map_err(|_| AppError::BadRequest(format!("Unknown field {key}.")))?;
            components.push((id, ComponentStatus::parse(value)?));
        }
    }
    Ok(Draft {
        phase: Some(phase),
        external: Some(fields.get("external_body").to_string()),
        internal: Some(fields.get("internal_body").to_string()),
        template: Some(fields.get("template").to_string()),
        variables: parse_custom(fields.get("variables"))?,
        notify: fields.has("notify"),
        display_at: fields.time("display_at", zone, "Published at")?,
        next_update_by: fields.time("next_update_by", zone, "Next update by")?,
        components,
    })
}

/// Fills the empty streams from the template, and shows what will be published.
pub(super) async fn preview(
    state: &AppState,
    staff: &Staff,
    draft: &Draft,
    facts: &Facts,
    out: &mut UpdateFields,
) -> Result<(), AppError> {
    let filled = fill_texts(state, &app::Actor::Staff(staff.clone()), draft, facts).await?;
    if let Some(text) = filled.external {
        out.preview_external = Some(to_safe_html(&text));
        out.external_body = text;
    }
    if let Some(text) = filled.internal {
        out.preview_internal = Some(to_safe_html(&text));
        out.internal_body = text;
    }
    Ok(())
}

/// A refused or invalid form is shown again with the error's message and
/// status; other errors become error pages.
pub(super) fn shown_with_the_form(err: AppError) -> Result<(StatusCode, String), AppError> {
    match err {
        AppError::Invalid(_) | AppError::Forbidden(_) => Ok((err.status_code(), err.message())),
        other => Err(other),
    }
}
