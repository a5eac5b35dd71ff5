//! The console's incident pages: the list, "open an incident" and one incident.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::super::Choice;
use super::form::{choices, update_fields, Fields, UpdateFields};
use crate::db::models::incidents::{self, IncidentWithUpdates};
use crate::db::models::page_state;
use crate::domain::incident::{ChecklistAnswer, Impact, Phase, Urgency};
use crate::domain::milestone::Milestone;
use crate::domain::role::{Permission, Staff};
use crate::domain::status::Audience;
use crate::error::AppError;
use crate::render::incidents::{incident_view, IncidentView};
use crate::render::time::{input_value, local};
use crate::web::state::AppState;
// ---------------------------------------------------------------- list

#[derive(Serialize)]
pub(super) struct OpenIncidentRow {
    pub view: IncidentView,
    pub priority: &'static str,
    pub next_update: Option<String>,
    pub countdown: Option<String>,
    pub next_update_iso: Option<String>,
    pub overdue: bool,
    pub report: super::super::reports::ReportBadge,
}

#[derive(Serialize)]
pub(super) struct ResolvedRow {
    #[serde(flatten)]
    pub view: IncidentView,
    pub report: super::super::reports::ReportBadge,
}

#[derive(Serialize)]
pub(super) struct ListPage {
    pub title: &'static str,
    /// Loads the live countdown script.
    pub countdown_script: bool,
    pub open: Vec<OpenIncidentRow>,
    pub resolved: Vec<ResolvedRow>,
    pub can_open: bool,
}

/// The promised next update, as the console shows it.
pub(super) struct Promise {
    pub at: Option<String>,
    pub at_iso: Option<String>,
    pub countdown: Option<String>,
    pub overdue: bool,
}

impl Promise {
    pub(super) fn new(
        next: Option<NaiveDateTime>,
        now: NaiveDateTime,
        zone: chrono_tz::Tz,
    ) -> Promise {
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
// ---------------------------------------------------------------- open

#[derive(Serialize)]
pub(super) struct CheckField {
    pub field: String,
    pub question: String,
    pub checked: bool,
}

#[derive(Serialize)]
pub(super) struct NewPage {
    pub title: &'static str,
    pub name: String,
    pub impacts: Vec<Choice>,
    pub urgencies: Vec<Choice>,
    pub business_critical: bool,
    pub client_impact: String,
    pub checklist: Vec<CheckField>,
    pub priority_hint: String,
    pub update: UpdateFields,
    pub error: Option<String>,
    pub error_time: Option<String>,
}

pub(super) async fn new_page(
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

// ---------------------------------------------------------------- one incident

/// One line of the Time Summary in the console.
#[derive(Serialize)]
pub(super) struct MilestoneRow {
    pub field: String,
    pub label: &'static str,
    pub value: String,
    pub shown: Option<String>,
    pub set_by: Option<String>,
    pub live: Option<bool>,
    pub editable: bool,
}

#[derive(Serialize)]
pub(super) struct ShowPage {
    pub title: String,
    pub report: super::super::reports::ReportBadge,
    pub time_summary: Vec<MilestoneRow>,
    pub countdown_script: bool,
    pub countdown: Option<String>,
    pub incident: IncidentView,
    pub notice: Option<&'static str>,
    pub next_update: Option<String>,
    pub overdue: bool,
    pub next_update_iso: Option<String>,
    pub client_impact: String,
    pub business_critical: bool,
    pub checklist: Vec<ChecklistAnswer>,
    pub urgency: &'static str,
    pub impacts: Vec<Choice>,
    pub urgencies: Vec<Choice>,
    pub can_edit: bool,
    pub can_post: bool,
    pub update: UpdateFields,
    pub error: Option<String>,
    pub error_time: Option<String>,
    // Roster: who holds each incident role; SLA: target against actual.
    pub roles: super::super::roster::RolesPanel,
    pub sla: super::super::roster::SlaPanel,
}

pub(super) async fn show_page(
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
    let roles = super::super::roster::roles_panel(state, staff, id, None).await?;
    let sla = super::super::roster::sla_panel(inc, &state.settings, crate::db::now());
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
        report: super::super::reports::badge(inc.id, report_status.as_ref()),
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
