//! The communication manager's console: open an incident from a phase
//! template, preview exactly what each audience will read, post updates,
//! watch the promised next-update time.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;

use super::Choice;
use crate::db::models::incidents::{self, IncidentWithUpdates};
use crate::db::models::page_state::{self, PageState};
use crate::db::models::phase_templates::{self, DEFAULT_SET};
use crate::domain::incident::{ChecklistAnswer, Impact, Phase, Urgency};
use crate::domain::milestone::Milestone;
use crate::domain::role::{Permission, Staff};
use crate::domain::status::{Audience, ComponentStatus};
use crate::error::AppError;
use crate::render::incidents::{incident_view, IncidentView};
use crate::render::markdown::to_safe_html;
use crate::render::phase::parse_custom;
use crate::render::time::{input_value, local, parse_input};
use crate::web::auth::{CsrfForm, SignedIn};
use crate::app;
use crate::app::compose::{fill_texts, Draft, Facts};
use crate::app::incidents::{FactChanges, OpenIncident};
use crate::web::html::{self, see_other};
use crate::web::state::AppState;

/// A submitted form with dynamic field names (`component_3`, `check_1`).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    fn time(
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

fn choices<T: Copy + PartialEq>(
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
struct ComponentField {
    id: i64,
    name: String,
    field: String,
    internal: bool,
    current: &'static str,
    choices: Vec<Choice>,
}

/// The fields of an update (shared by "open" and "post update").
#[derive(Serialize, Default)]
struct UpdateFields {
    phases: Vec<Choice>,
    templates: Vec<Choice>,
    components: Vec<ComponentField>,
    variables: String,
    next_update_by: String,
    display_at: String,
    notify: bool,
    external_body: String,
    internal_body: String,
    can_external: bool,
    can_internal: bool,
    preview_external: Option<String>,
    preview_internal: Option<String>,
    time_zone: String,
}

/// `promised`: the incident's current next-update time; kept as the default
/// while it is still ahead, so posting does not quietly move the promise.
async fn update_fields(
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

fn draft_from(fields: &Fields, zone: chrono_tz::Tz, phase: Phase) -> Result<Draft, AppError> {
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
async fn preview(
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

// ---------------------------------------------------------------- list

#[derive(Serialize)]
struct OpenIncidentRow {
    view: IncidentView,
    priority: &'static str,
    next_update: Option<String>,
    countdown: Option<String>,
    next_update_iso: Option<String>,
    overdue: bool,
    report: super::reports::ReportBadge,
}

#[derive(Serialize)]
struct ResolvedRow {
    #[serde(flatten)]
    view: IncidentView,
    report: super::reports::ReportBadge,
}

#[derive(Serialize)]
struct ListPage {
    title: &'static str,
    /// Loads the live countdown script.
    countdown_script: bool,
    open: Vec<OpenIncidentRow>,
    resolved: Vec<ResolvedRow>,
    can_open: bool,
}

/// The promised next update, as the console shows it.
struct Promise {
    at: Option<String>,
    at_iso: Option<String>,
    countdown: Option<String>,
    overdue: bool,
}

impl Promise {
    fn new(next: Option<NaiveDateTime>, now: NaiveDateTime, zone: chrono_tz::Tz) -> Promise {
        let (countdown, overdue) = match next.map(|n| countdown(n, now)) {
            Some((text, overdue)) => (Some(text), overdue),
            None => (None, false),
        };
        Promise {
            at: next.map(|n| local(n, zone)),
            at_iso: next.map(crate::render::statuspage::timestamp),
            countdown,
            overdue,
        }
    }
}

/// "Due in 12 min" or "overdue by 5 min".
pub fn countdown(next: NaiveDateTime, now: NaiveDateTime) -> (String, bool) {
    let minutes = (next - now).num_minutes();
    if next < now {
        (
            format!("overdue by {} min", (now - next).num_minutes().max(1)),
            true,
        )
    } else if minutes < 120 {
        (format!("due in {minutes} min"), false)
    } else {
        (
            format!("due in {} h {} min", minutes / 60, minutes % 60),
            false,
        )
    }
}

/// `GET /admin/incidents`
pub async fn list(state: web::Data<AppState>, req: HttpRequest, staff: SignedIn) -> HttpResponse {
    let result = async {
        let (page, report_statuses) = state
            .db
            .run(|conn| {
                let page = page_state::load(conn)?;
                let ids: Vec<i64> = page.incidents.iter().map(|i| i.incident.id).collect();
                let statuses = crate::db::models::reports::statuses(conn, &ids)?;
                Ok((page, statuses))
            })
            .await?;
        let now = crate::db::now();
        let mut open = Vec::new();
        let mut resolved = Vec::new();
        for i in &page.incidents {
            let view = incident_view(i, Audience::Internal, &state.settings, &page.components);
            let report = super::reports::badge(i.incident.id, report_statuses.get(&i.incident.id));
            if i.incident.status == Phase::Resolved {
                resolved.push(ResolvedRow { view, report });
            } else {
                let promise =
                    Promise::new(i.incident.next_update_by, now, state.settings.time_zone);
                open.push(OpenIncidentRow {
                    priority: i.incident.priority.as_str(),
                    view,
                    next_update: promise.at,
                    countdown: promise.countdown,
                    next_update_iso: promise.at_iso,
                    overdue: promise.overdue,
                    report,
                });
            }
        }
        open.sort_by(|a, b| a.priority.cmp(b.priority));
        Ok::<_, AppError>(html::render(
            &state,
            &req,
            Some(&staff.0),
            StatusCode::OK,
            "admin/incidents",
            ListPage {
                title: "Incidents",
                countdown_script: true,
                open,
                resolved,
                can_open: staff.0.can(Permission::OpenIncident),
            },
        ))
    }
    .await;
    html::page(&state, &req, Some(&staff.0), result)
}

// ---------------------------------------------------------------- open

#[derive(Serialize)]
struct CheckField {
    field: String,
    question: String,
    checked: bool,
}

#[derive(Serialize)]
struct NewPage {
    title: &'static str,
    name: String,
    impacts: Vec<Choice>,
    urgencies: Vec<Choice>,
    business_critical: bool,
    client_impact: String,
    checklist: Vec<CheckField>,
    priority_hint: String,
    update: UpdateFields,
    error: Option<String>,
    error_time: Option<String>,
}

async fn new_page(
    state: &AppState,
    staff: &Staff,
    fields: Option<&Fields>,
) -> Result<NewPage, AppError> {
    let page = state.db.run(page_state::load).await?;
    let impact = fields
        .and_then(|f| Impact::parse(f.get("impact")).ok())
        .unwrap_or(Impact::Minor);
    let urgency = fields
        .and_then(|f| Urgency::parse(f.get("urgency")).ok())
        .unwrap_or(Urgency::Medium);
    let phase = fields
        .and_then(|f| Phase::parse(f.get("phase")).ok())
        .unwrap_or(Phase::Investigating);
    let m = &state.settings.priority_matrix;
    Ok(NewPage {
        title: "Open an incident",
        name: fields.map_or(String::new(), |f| f.get("name").to_string()),
        impacts: choices(&Impact::ALL, Some(impact), Impact::as_str, Impact::label),
        urgencies: choices(&Urgency::ALL, Some(urgency), Urgency::as_str, Urgency::label),
        business_critical: fields.is_some_and(|f| f.has("business_critical")),
        client_impact: fields.map_or(String::new(), |f| f.get("client_impact").to_string()),
        checklist: state
            .settings
            .incident_checklist
            .iter()
            .enumerate()
            .map(|(n, q)| CheckField {
                field: format!("check_{n}"),
                question: q.clone(),
                checked: fields.is_some_and(|f| f.has(&format!("check_{n}"))),
            })
            .collect(),
        priority_hint: format!(
            "Priority follows impact × urgency: critical/high = {}, major/medium = {}, minor/medium = {}, none/low = {}.",
            m.priority(Impact::Critical, Urgency::High).as_str(),
            m.priority(Impact::Major, Urgency::Medium).as_str(),
            m.priority(Impact::Minor, Urgency::Medium).as_str(),
            m.priority(Impact::None, Urgency::Low).as_str()
        ),
        update: update_fields(state, staff, &page, fields, phase, None).await?,
        error: None,
        error_time: None,
    })
}

/// `GET /admin/incidents/new`
pub async fn new_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
) -> HttpResponse {
    let result = async {
        staff.require(Permission::OpenIncident)?;
        let page = new_page(&state, &staff.0, None).await?;
        Ok(html::render(
            &state,
            &req,
            Some(&staff.0),
            StatusCode::OK,
            "admin/incident_new",
            page,
        ))
    }
    .await;
    html::page(&state, &req, Some(&staff.0), result)
}

/// `POST /admin/incidents` — preview, or open the incident.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    form: CsrfForm<Vec<(String, String)>>,
) -> HttpResponse {
    let fields = Fields(form.0);
    let result = async {
        staff.require(Permission::OpenIncident)?;
        let mut page = new_page(&state, &staff.0, Some(&fields)).await?;
        let outcome = async {
            let zone = state.settings.time_zone;
            let impact = Impact::parse(fields.get("impact"))?;
            let urgency = Urgency::parse(fields.get("urgency"))?;
            let phase = Phase::parse(fields.get("phase"))?;
            let priority = state.settings.priority_matrix.priority(impact, urgency);
            let draft = draft_from(&fields, zone, phase)?;
            let started_at = fields.time("started_at", zone, "Failure started")?;
            let facts = Facts {
                name: fields.get("name").trim().to_string(),
                impact,
                priority,
                started_at: started_at
                    .or(draft.display_at)
                    .unwrap_or_else(crate::db::now),
                component_ids: vec![],
            };
            if fields.get("intent") == "preview" {
                preview(&state, &staff.0, &draft, &facts, &mut page.update).await?;
                return Ok(None);
            }
            let checklist = page
                .checklist
                .iter()
                .map(|c| ChecklistAnswer {
                    question: c.question.clone(),
                    answer: c.checked,
                })
                .collect();
            let new = OpenIncident {
                name: fields.get("name").to_string(),
                impact,
                urgency,
                business_critical: fields.has("business_critical"),
                client_impact: fields.get("client_impact").to_string(),
                checklist,
                started_at,
                first_update: draft,
            };
            let incident = app::incidents::open(&state, &staff.as_actor(), new).await?;
            Ok(Some(incident.id))
        }
        .await;
        match outcome {
            Ok(Some(id)) => Ok(see_other(&format!("/admin/incidents/{id}?done=opened"))),
            Ok(None) => Ok(html::render(
                &state,
                &req,
                Some(&staff.0),
                StatusCode::OK,
                "admin/incident_new",
                page,
            )),
            Err(AppError::Invalid(message)) => {
                page.error = Some(message);
                Ok(html::render(
                    &state,
                    &req,
                    Some(&staff.0),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "admin/incident_new",
                    page,
                ))
            }
            Err(AppError::Forbidden(message)) => {
                page.error = Some(message);
                Ok(html::render(
                    &state,
                    &req,
                    Some(&staff.0),
                    StatusCode::FORBIDDEN,
                    "admin/incident_new",
                    page,
                ))
            }
            Err(other) => Err(other),
        }
    }
    .await;
    html::page(&state, &req, Some(&staff.0), result)
}

// ---------------------------------------------------------------- one incident

/// One line of the Time Summary in the console.
#[derive(Serialize)]
struct MilestoneRow {
    field: String,
    label: &'static str,
    value: String,
    shown: Option<String>,
    set_by: Option<String>,
    live: Option<bool>,
    editable: bool,
}

#[derive(Serialize)]
struct ShowPage {
    title: String,
    report: super::reports::ReportBadge,
    time_summary: Vec<MilestoneRow>,
    countdown_script: bool,
    countdown: Option<String>,
    incident: IncidentView,
    notice: Option<&'static str>,
    next_update: Option<String>,
    overdue: bool,
    next_update_iso: Option<String>,
    client_impact: String,
    business_critical: bool,
    checklist: Vec<ChecklistAnswer>,
    urgency: &'static str,
    impacts: Vec<Choice>,
    urgencies: Vec<Choice>,
    can_edit: bool,
    can_post: bool,
    update: UpdateFields,
    error: Option<String>,
    error_time: Option<String>,
    // Roster: who holds each incident role; SLA: target against actual.
    roles: super::roster::RolesPanel,
    sla: super::roster::SlaPanel,
}

async fn show_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    fields: Option<&Fields>,
) -> Result<ShowPage, AppError> {
    let (incident, page, history, report_status) = state
        .db
        .run(move |conn| {
            Ok((
                incidents::with_updates(conn, id)?,
                page_state::load(conn)?,
                incidents::milestone_history(conn, id)?,
                crate::db::models::reports::statuses(conn, &[id])?.remove(&id),
            ))
        })
        .await?;
    let IncidentWithUpdates { incident: inc, .. } = &incident;
    let phase = fields
        .and_then(|f| Phase::parse(f.get("phase")).ok())
        .unwrap_or(match inc.status {
            Phase::Investigating => Phase::Identified,
            Phase::Identified => Phase::Monitoring,
            _ => Phase::Resolved,
        });
    let promise = Promise::new(
        inc.next_update_by,
        crate::db::now(),
        state.settings.time_zone,
    );
    let zone = state.settings.time_zone;
    // Roster and SLA panels.
    let roles = super::roster::roles_panel(state, staff, id, None).await?;
    let sla = super::roster::sla_panel(inc, &state.settings, crate::db::now());
    let time_summary = Milestone::ALL
        .into_iter()
        .map(|m| {
            let at = inc.milestone(m);
            let last = history.iter().rev().find(|r| r.milestone == m.as_str());
            MilestoneRow {
                field: m.field(),
                label: m.label(),
                value: at.map(|t| input_value(t, zone)).unwrap_or_default(),
                shown: at.map(|t| local(t, zone)),
                set_by: last.map(|r| r.set_by.clone()),
                live: last.map(|r| r.live),
                editable: Milestone::EDITABLE.contains(&m),
            }
        })
        .collect();
    Ok(ShowPage {
        report: super::reports::badge(inc.id, report_status.as_ref()),
        title: inc.name.clone(),
        time_summary,
        countdown_script: true,
        countdown: promise.countdown,
        notice: None,
        next_update: promise.at,
        overdue: promise.overdue,
        next_update_iso: promise.at_iso,
        client_impact: inc.client_impact.clone(),
        business_critical: inc.business_critical,
        checklist: inc.checklist.clone(),
        urgency: inc.urgency.label(),
        impacts: choices(
            &Impact::ALL,
            Some(inc.impact),
            Impact::as_str,
            Impact::label,
        ),
        urgencies: choices(
            &Urgency::ALL,
            Some(inc.urgency),
            Urgency::as_str,
            Urgency::label,
        ),
        can_edit: staff.can(Permission::EditIncident),
        can_post: staff.can(Permission::PostExternalUpdate)
            || staff.can(Permission::PostInternalUpdate),
        update: update_fields(state, staff, &page, fields, phase, inc.next_update_by).await?,
        incident: incident_view(
            &incident,
            Audience::Internal,
            &state.settings,
            &page.components,
        ),
        error: None,
        error_time: None,
        roles,
        sla,
    })
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

/// `GET /admin/incidents/{id}`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    query: web::Query<ShowQuery>,
) -> HttpResponse {
    let result = async {
        let mut page = show_page(&state, &staff.0, id.into_inner(), None).await?;
        page.notice = match query.done.as_deref() {
            Some("opened") => Some("Incident opened. The pages are updated."),
            Some("posted") => Some("Update posted. The pages are updated."),
            Some("edited") => Some("Incident saved."),
            Some("milestones") => Some("Time Summary saved."),
            Some("role") => Some("Role assigned. The handover is in the history."),
            _ => None,
        };
        Ok(html::render(
            &state,
            &req,
            Some(&staff.0),
            StatusCode::OK,
            "admin/incident",
            page,
        ))
    }
    .await;
    html::page(&state, &req, Some(&staff.0), result)
}

/// `POST /admin/incidents/{id}/updates` — preview, or post.
pub async fn post_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<Vec<(String, String)>>,
) -> HttpResponse {
    let id = id.into_inner();
    let fields = Fields(form.0);
    let result = async {
        if !staff.0.can(Permission::PostExternalUpdate)
            && !staff.0.can(Permission::PostInternalUpdate)
        {
            staff.require(Permission::PostExternalUpdate)?;
        }
        let mut page = show_page(&state, &staff.0, id, Some(&fields)).await?;
        let outcome = async {
            let incident = state.db.run(move |conn| incidents::get(conn, id)).await?;
            let phase = Phase::parse(fields.get("phase"))?;
            let draft = draft_from(&fields, state.settings.time_zone, phase)?;
            let facts = Facts {
                name: incident.name.clone(),
                impact: incident.impact,
                priority: incident.priority,
                started_at: incident.started_at,
                component_ids: incident.component_ids.clone(),
            };
            if fields.get("intent") == "preview" {
                preview(&state, &staff.0, &draft, &facts, &mut page.update).await?;
                return Ok(false);
            }
            app::incidents::post_update(&state, &staff.as_actor(), id, draft).await?;
            Ok(true)
        }
        .await;
        match outcome {
            Ok(true) => Ok(see_other(&format!("/admin/incidents/{id}?done=posted"))),
            Ok(false) => Ok(html::render(
                &state,
                &req,
                Some(&staff.0),
                StatusCode::OK,
                "admin/incident",
                page,
            )),
            Err(err @ (AppError::Invalid(_) | AppError::Forbidden(_))) => {
                let status = if matches!(err, AppError::Forbidden(_)) {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                page.error = Some(err.message());
                Ok(html::render(
                    &state,
                    &req,
                    Some(&staff.0),
                    status,
                    "admin/incident",
                    page,
                ))
            }
            Err(other) => Err(other),
        }
    }
    .await;
    html::page(&state, &req, Some(&staff.0), result)
}

/// `POST /admin/incidents/{id}/edit` — impact, urgency and the other facts.
pub async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<BTreeMap<String, String>>,
) -> HttpResponse {
    let id = id.into_inner();
    let result = async {
        staff.require(Permission::EditIncident)?;
        let f = form.0;
        let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
        let impact = Impact::parse(get("impact"))?;
        let urgency = Urgency::parse(get("urgency"))?;
        let facts = FactChanges {
            name: Some(get("name").to_string()),
            impact: Some(impact),
            urgency: Some(urgency),
            business_critical: Some(f.contains_key("business_critical")),
            client_impact: Some(get("client_impact").to_string()),
            started_at: None,
        };
        app::incidents::edit(&state, &staff.as_actor(), id, facts, vec![]).await?;
        Ok(see_other(&format!("/admin/incidents/{id}?done=edited")))
    }
    .await;
    html::page(&state, &req, Some(&staff.0), result)
}

/// `POST /admin/incidents/{id}/milestones` — the Time Summary.
pub async fn set_milestones(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<BTreeMap<String, String>>,
) -> HttpResponse {
    let id = id.into_inner();
    let result = async {
        staff.require(Permission::EditIncident)?;
        let zone = state.settings.time_zone;
        let mut changes = Vec::new();
        for m in Milestone::EDITABLE {
            if let Some(value) = form.0.get(&m.field()) {
                let at = match value.trim() {
                    "" => None,
                    v => Some(
                        parse_input(v, zone)
                            .map_err(|e| AppError::Invalid(format!("{}: {}", m.label(), e.0)))?,
                    ),
                };
                changes.push((m, at));
            }
        }
        app::incidents::edit(&state, &staff.as_actor(), id, FactChanges::default(), changes)
            .await?;
        Ok(see_other(&format!("/admin/incidents/{id}?done=milestones")))
    }
    .await;
    match result {
        Err(AppError::Invalid(message)) => {
            let page = show_page(&state, &staff.0, id, None).await.map(|mut page| {
                page.error_time = Some(message);
                html::render(
                    &state,
                    &req,
                    Some(&staff.0),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "admin/incident",
                    page,
                )
            });
            html::page(&state, &req, Some(&staff.0), page)
        }
        other => html::page(&state, &req, Some(&staff.0), other),
    }
}

// ---------------------------------------------------------------- roles (roster)

/// `POST /admin/incidents/{id}/roles` — assign a role, or hand it over.
pub async fn assign_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<BTreeMap<String, String>>,
) -> HttpResponse {
    let id = id.into_inner();
    let form = form.0;
    let outcome = super::roster::assign_from_form(&state, &staff.0, id, &form).await;
    let role = crate::domain::roster::IncidentRole::parse(
        form.get("role").map(String::as_str).unwrap_or(""),
    );
    let result = match (outcome, role) {
        (Ok(()), _) => Ok(see_other(&format!(
            "/admin/incidents/{id}?done=role#roles-heading"
        ))),
        (Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))), Ok(role)) => {
            let status = if matches!(err, AppError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let again = super::roster::RoleFormAgain {
                role,
                form: form.clone(),
                error: err.message(),
            };
            async {
                let mut page = show_page(&state, &staff.0, id, None).await?;
                page.roles = super::roster::roles_panel(&state, &staff.0, id, Some(&again)).await?;
                Ok(html::render(
                    &state,
                    &req,
                    Some(&staff.0),
                    status,
                    "admin/incident",
                    page,
                ))
            }
            .await
        }
        (Err(err), _) => Err(err),
    };
    html::page(&state, &req, Some(&staff.0), result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_countdown_says_due_or_overdue() {
        let now = NaiveDateTime::parse_from_str("2026-11-23 10:00", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(
            countdown(now + chrono::Duration::minutes(12), now),
            ("due in 12 min".into(), false)
        );
        assert_eq!(
            countdown(now - chrono::Duration::minutes(5), now),
            ("overdue by 5 min".into(), true)
        );
        assert_eq!(
            countdown(now + chrono::Duration::minutes(150), now),
            ("due in 2 h 30 min".into(), false)
        );
    }
}
