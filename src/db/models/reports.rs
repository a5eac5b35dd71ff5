//! Incident reports: the sections, the review workflow, the frozen versions
//! and the post-incident action items. The rules (who may do what from which
//! state) are in [`crate::domain::report`]; this module applies them inside
//! the write transaction, records who and when, audits every write and bumps
//! the site revision so the public postmortem follows.
//!
//! `incident_reports.status` is the status of the version being worked on
//! (`draft`, `submitted`, `reviewed`, `approved`); `action_items.status` is
//! `open`, `in_progress`, `done` or `wont_do`, `done_at` set while done.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::incidents::{self, Incident};
use super::{audit, revision};
use crate::db::models::components::StatusChange;
use crate::db::schema::{
    action_items, component_status_changes, incident_report_versions, incident_reports,
};
use crate::db::{now, DbConn, StoreError};
use crate::domain::milestone::Milestone;
use crate::domain::report::{
    self, decide, ActionItemInput, ItemPriority, ItemSnapshot, ItemStatus, Link, Refusal,
    ReportAction, ReportContent, ReportState, ReportStatus, Sections, TimeRow,
};
use crate::domain::role::Staff;
use crate::domain::Invalid;
use crate::on_backend;

/// A refused or failed report write: 403 when the role may not, otherwise
/// the storage error (404, 409 for "not in this state", 422).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ReportError {
    fn from(err: diesel::result::Error) -> Self {
        ReportError::Store(err.into())
    }
}

impl From<Invalid> for ReportError {
    fn from(err: Invalid) -> Self {
        ReportError::Store(err.into())
    }
}

impl From<Refusal> for ReportError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Forbidden(m) => ReportError::Forbidden(m),
            Refusal::Conflict(m) => ReportError::Store(StoreError::Conflict(m)),
        }
    }
}

/// The report of an incident as it stands (an empty draft before anyone wrote).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `None` until the first write.
    pub id: Option<i64>,
    pub incident_id: i64,
    pub status: ReportStatus,
    pub version: i32,
    pub sections: Sections,
    pub published: bool,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub returned_by: Option<String>,
    pub returned_at: Option<NaiveDateTime>,
    pub return_comment: Option<String>,
    /// The latest approved version, if any.
    pub latest_approved: Option<i32>,
    pub updated_at: Option<NaiveDateTime>,
}

impl Report {
    pub fn state(&self) -> ReportState {
        ReportState {
            status: self.status,
            version: self.version,
            has_approved_version: self.latest_approved.is_some(),
            published: self.published,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = incident_reports)]
struct Row {
    id: i64,
    incident_id: i64,
    status: String,
    version: i32,
    description: String,
    links_json: String,
    client_impact: String,
    resolution: String,
    worked_well: String,
    did_not_work: String,
    recommendations: String,
    published: bool,
    submitted_by: Option<String>,
    submitted_at: Option<NaiveDateTime>,
    reviewed_by: Option<String>,
    reviewed_at: Option<NaiveDateTime>,
    approved_by: Option<String>,
    approved_at: Option<NaiveDateTime>,
    returned_by: Option<String>,
    returned_at: Option<NaiveDateTime>,
    return_comment: Option<String>,
    updated_at: NaiveDateTime,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Task(format!("stored {what} cannot be read: {e}"))
}

fn empty(incident_id: i64) -> Report {
    Report {
        id: None,
        incident_id,
        status: ReportStatus::Draft,
        version: 1,
        sections: Sections::default(),
        published: false,
        submitted_by: None,
        submitted_at: None,
        reviewed_by: None,
        reviewed_at: None,
        approved_by: None,
        approved_at: None,
        returned_by: None,
        returned_at: None,
        return_comment: None,
        latest_approved: None,
        updated_at: None,
    }
}

fn latest_version(conn: &mut DbConn, report_id: i64) -> Result<Option<i32>, StoreError> {
    Ok(on_backend!(conn, |c| incident_report_versions::table
        .select(diesel::dsl::max(incident_report_versions::version))
        .filter(incident_report_versions::report_id.eq(report_id))
        .first::<Option<i32>>(c))?)
}

fn from_row(conn: &mut DbConn, r: Row) -> Result<Report, StoreError> {
    let links: Vec<Link> =
        serde_json::from_str(&r.links_json).map_err(|e| corrupt("report links", e))?;
    Ok(Report {
        id: Some(r.id),
        incident_id: r.incident_id,
        status: ReportStatus::parse(&r.status)?,
        version: r.version,
        sections: Sections {
            description: r.description,
            links,
            client_impact: r.client_impact,
            resolution: r.resolution,
            worked_well: r.worked_well,
            did_not_work: r.did_not_work,
            recommendations: r.recommendations,
        },
        published: r.published,
        submitted_by: r.submitted_by,
        submitted_at: r.submitted_at,
        reviewed_by: r.reviewed_by,
        reviewed_at: r.reviewed_at,
        approved_by: r.approved_by,
        approved_at: r.approved_at,
        returned_by: r.returned_by,
        returned_at: r.returned_at,
        return_comment: r.return_comment,
        latest_approved: latest_version(conn, r.id)?,
        updated_at: Some(r.updated_at),
    })
}

/// The report of an incident (404 when the incident does not exist; an empty
/// draft when nobody wrote one yet). Reading never writes.
pub fn get(conn: &mut DbConn, incident_id: i64) -> Result<Report, StoreError> {
    incidents::get(conn, incident_id)?;
    let row = on_backend!(conn, |c| incident_reports::table
        .select(Row::as_select())
        .filter(incident_reports::incident_id.eq(incident_id))
        .first(c)
        .optional())?;
    match row {
        Some(row) => from_row(conn, row),
        None => Ok(empty(incident_id)),
    }
}

/// The report's id, creating the (empty draft) row when missing. Inside a transaction.
fn ensure(conn: &mut DbConn, incident_id: i64) -> Result<i64, StoreError> {
    if let Some(id) = on_backend!(conn, |c| incident_reports::table
        .select(incident_reports::id)
        .filter(incident_reports::incident_id.eq(incident_id))
        .first::<i64>(c)
        .optional())?
    {
        return Ok(id);
    }
    let at = now();
    on_backend!(conn, |c| diesel::insert_into(incident_reports::table)
        .values((
            incident_reports::incident_id.eq(incident_id),
            incident_reports::created_at.eq(at),
            incident_reports::updated_at.eq(at),
        ))
        .returning(incident_reports::id)
        .get_result::<i64>(c))
    .map_err(StoreError::on_unique(
        "Someone else started this report at the same moment: reload and try again.",
    ))
}

/// The report row of `incident_id`, created when missing and locked for the
/// rest of the transaction, then read: two people acting at once are served
/// one after the other, each seeing the other's outcome (on SQLite the write
/// transaction is already exclusive).
fn lock(conn: &mut DbConn, incident_id: i64) -> Result<(i64, Report), StoreError> {
    incidents::get(conn, incident_id)?;
    let id = ensure(conn, incident_id)?;
    if let DbConn::Postgres(c) = conn {
        incident_reports::table
            .find(id)
            .select(incident_reports::id)
            .for_update()
            .first::<i64>(c)?;
    }
    Ok((id, get(conn, incident_id)?))
}

/// Changes to the sections; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct SectionsPatch {
    pub description: Option<String>,
    pub links: Option<Vec<Link>>,
    pub client_impact: Option<String>,
    pub resolution: Option<String>,
    pub worked_well: Option<String>,
    pub did_not_work: Option<String>,
    pub recommendations: Option<String>,
}

/// Edits the sections of the draft (409 once submitted or approved).
pub fn update_sections(
    conn: &mut DbConn,
    staff: &Staff,
    incident_id: i64,
    patch: SectionsPatch,
) -> Result<Report, ReportError> {
    conn.write_transaction(|conn| {
        let (id, before) = lock(conn, incident_id)?;
        decide(staff.role, ReportAction::Edit, before.state())?;
        let mut sections = before.sections.clone();
        let texts = [
            ("description", patch.description),
            ("client_impact", patch.client_impact),
            ("resolution", patch.resolution),
            ("worked_well", patch.worked_well),
            ("did_not_work", patch.did_not_work),
            ("recommendations", patch.recommendations),
        ];
        for (field, value) in texts {
            if let Some(value) = value {
                sections.set_text(field, value);
            }
        }
        if let Some(links) = patch.links {
            sections.links = links;
        }
        let sections = sections.validated()?;
        let links_json =
            serde_json::to_string(&sections.links).map_err(|e| StoreError::Task(e.to_string()))?;
        on_backend!(conn, |c| diesel::update(incident_reports::table.find(id))
            .set((
                incident_reports::description.eq(&sections.description),
                incident_reports::links_json.eq(&links_json),
                incident_reports::client_impact.eq(&sections.client_impact),
                incident_reports::resolution.eq(&sections.resolution),
                incident_reports::worked_well.eq(&sections.worked_well),
                incident_reports::did_not_work.eq(&sections.did_not_work),
                incident_reports::recommendations.eq(&sections.recommendations),
                incident_reports::updated_at.eq(now()),
            ))
            .execute(c))?;
        let after = get(conn, incident_id)?;
        audit::record(
            conn,
            &staff.email,
            "report.edit",
            ("incident_report", Some(id)),
            Some(&before),
            Some(&after),
        )?;
        revision::bump(conn)?;
        Ok(after)
    })
}

/// Takes one workflow step (submit, review, return, approve, revise,
/// publish, unpublish). `comment` is required to return a report.
pub fn step(
    conn: &mut DbConn,
    staff: &Staff,
    incident_id: i64,
    action: ReportAction,
    comment: Option<&str>,
) -> Result<Report, ReportError> {
    conn.write_transaction(|conn| {
        let (id, before) = lock(conn, incident_id)?;
        let outcome = decide(staff.role, action, before.state())?;
        let comment = if action == ReportAction::Return {
            Some(report::return_comment(comment.unwrap_or(""))?)
        } else {
            None
        };
        let at = now();
        let who = Some(staff.email.as_str());
        let base = diesel::update(incident_reports::table.find(id));
        let status = outcome.status.as_str();
        on_backend!(conn, |c| match action {
            ReportAction::Submit => base
                .clone()
                .set((
                    incident_reports::status.eq(status),
                    incident_reports::submitted_by.eq(who),
                    incident_reports::submitted_at.eq(Some(at)),
                    incident_reports::returned_by.eq(None::<String>),
                    incident_reports::returned_at.eq(None::<NaiveDateTime>),
                    incident_reports::return_comment.eq(None::<String>),
                    incident_reports::updated_at.eq(at),
                ))
                .execute(c),
            ReportAction::Review => base
                .clone()
                .set((
                    incident_reports::status.eq(status),
                    incident_reports::reviewed_by.eq(who),
                    incident_reports::reviewed_at.eq(Some(at)),
                    incident_reports::updated_at.eq(at),
                ))
                .execute(c),
            ReportAction::Approve => base
                .clone()
                .set((
                    incident_reports::status.eq(status),
                    incident_reports::approved_by.eq(who),
                    incident_reports::approved_at.eq(Some(at)),
                    incident_reports::updated_at.eq(at),
                ))
                .execute(c),
            ReportAction::Return => base
                .clone()
                .set((
                    incident_reports::status.eq(status),
                    incident_reports::submitted_by.eq(None::<String>),
                    incident_reports::submitted_at.eq(None::<NaiveDateTime>),
                    incident_reports::reviewed_by.eq(None::<String>),
                    incident_reports::reviewed_at.eq(None::<NaiveDateTime>),
                    incident_reports::returned_by.eq(who),
                    incident_reports::returned_at.eq(Some(at)),
                    incident_reports::return_comment.eq(comment.as_deref()),
                    incident_reports::updated_at.eq(at),
                ))
                .execute(c),
            ReportAction::Revise => base
                .clone()
                .set((
                    incident_reports::status.eq(status),
                    incident_reports::version.eq(outcome.version),
                    incident_reports::submitted_by.eq(None::<String>),
                    incident_reports::submitted_at.eq(None::<NaiveDateTime>),
                    incident_reports::reviewed_by.eq(None::<String>),
                    incident_reports::reviewed_at.eq(None::<NaiveDateTime>),
                    incident_reports::approved_by.eq(None::<String>),
                    incident_reports::approved_at.eq(None::<NaiveDateTime>),
                    incident_reports::returned_by.eq(None::<String>),
                    incident_reports::returned_at.eq(None::<NaiveDateTime>),
                    incident_reports::return_comment.eq(None::<String>),
                    incident_reports::updated_at.eq(at),
                ))
                .execute(c),
            ReportAction::Publish | ReportAction::Unpublish => base
                .clone()
                .set((
                    incident_reports::published.eq(outcome.published),
                    incident_reports::updated_at.eq(at),
                ))
                .execute(c),
            ReportAction::Edit | ReportAction::ManageActionItems => Ok(0),
        })?;
        if action == ReportAction::Approve {
            let content = snapshot(conn, incident_id, &before, &staff.email, at)?;
            let json =
                serde_json::to_string(&content).map_err(|e| StoreError::Task(e.to_string()))?;
            on_backend!(conn, |c| diesel::insert_into(
                incident_report_versions::table
            )
            .values((
                incident_report_versions::report_id.eq(id),
                incident_report_versions::version.eq(before.version),
                incident_report_versions::content_json.eq(&json),
                incident_report_versions::approved_by.eq(&staff.email),
                incident_report_versions::approved_at.eq(at),
            ))
            .execute(c))
            .map_err(StoreError::on_unique(format!(
                "Version {} was approved already: reload the report.",
                before.version
            )))?;
        }
        let after = get(conn, incident_id)?;
        audit::record(
            conn,
            &staff.email,
            &format!("report.{}", action.as_str()),
            ("incident_report", Some(id)),
            Some(&before),
            Some(&serde_json::json!({"report": &after, "comment": comment})),
        )?;
        revision::bump(conn)?;
        Ok(after)
    })
}

/// The Time Summary of an incident, in milestone order.
pub fn time_summary(incident: &Incident) -> Vec<TimeRow> {
    Milestone::ALL
        .into_iter()
        .map(|m| TimeRow {
            milestone: m,
            label: m.label().to_string(),
            at: incident.milestone(m),
        })
        .collect()
}

/// Minutes during which at least one of the incident's components was
/// degraded or down while it was open (up to `now` while it is open): the
/// same rule as the client-impact metric.
pub fn client_impact_minutes(
    conn: &mut DbConn,
    incident: &Incident,
    now: NaiveDateTime,
) -> Result<i64, StoreError> {
    let changes: Vec<StatusChange> = on_backend!(conn, |c| component_status_changes::table
        .select(StatusChange::as_select())
        .filter(component_status_changes::component_id.eq_any(&incident.component_ids))
        .order((
            component_status_changes::changed_at.asc(),
            component_status_changes::id.asc()
        ))
        .load(c))?;
    let end = incident.resolved_at.unwrap_or(now);
    let intervals: Vec<_> = incident
        .component_ids
        .iter()
        .flat_map(|id| {
            let mine: Vec<StatusChange> = changes
                .iter()
                .filter(|c| c.component_id == *id)
                .cloned()
                .collect();
            super::metrics::intervals(*id, &mine, incident.started_at, end, now)
        })
        .collect();
    let total = crate::domain::metrics::impact_intervals(&intervals)
        .into_iter()
        .fold(chrono::Duration::zero(), |sum, (from, to)| {
            sum + (to - from)
        });
    Ok(total.num_minutes())
}

/// The whole report as it is now, for a new version.
fn snapshot(
    conn: &mut DbConn,
    incident_id: i64,
    report: &Report,
    approver: &str,
    at: NaiveDateTime,
) -> Result<ReportContent, StoreError> {
    let incident = incidents::get(conn, incident_id)?;
    Ok(ReportContent {
        version: report.version,
        incident_id,
        incident_name: incident.name.clone(),
        sections: report.sections.clone(),
        time_summary: time_summary(&incident),
        client_impact_minutes: client_impact_minutes(conn, &incident, at)?,
        action_items: items(conn, incident_id)?
            .into_iter()
            .map(|i| ItemSnapshot {
                id: i.id,
                action: i.action,
                responsibility: i.responsibility,
                priority: i.priority,
                due_on: i.due_on,
                status: i.status,
            })
            .collect(),
        submitted_by: report.submitted_by.clone(),
        reviewed_by: report.reviewed_by.clone(),
        approved_by: approver.to_string(),
        approved_at: at,
    })
}

/// Every approved version of an incident's report, oldest first.
pub fn versions(conn: &mut DbConn, incident_id: i64) -> Result<Vec<ReportContent>, StoreError> {
    let report = get(conn, incident_id)?;
    let Some(id) = report.id else {
        return Ok(Vec::new());
    };
    let rows = on_backend!(conn, |c| incident_report_versions::table
        .select(incident_report_versions::content_json)
        .filter(incident_report_versions::report_id.eq(id))
        .order(incident_report_versions::version.asc())
        .load::<String>(c))?;
    rows.iter()
        .map(|json| serde_json::from_str(json).map_err(|e| corrupt("report version", e)))
        .collect()
}

/// One approved version (404 when there is none with that number).
pub fn version(
    conn: &mut DbConn,
    incident_id: i64,
    number: i32,
) -> Result<ReportContent, StoreError> {
    versions(conn, incident_id)?
        .into_iter()
        .find(|v| v.version == number)
        .ok_or_else(|| {
            StoreError::not_found(format!(
                "Incident {incident_id} has no approved report version {number}."
            ))
        })
}

/// The latest approved version of every published report (of `incident_ids`
/// when given): what the incident pages show as the postmortem.
pub fn published_postmortems(
    conn: &mut DbConn,
    incident_ids: Option<&[i64]>,
) -> Result<BTreeMap<i64, ReportContent>, StoreError> {
    let rows: Vec<(i64, i64)> = on_backend!(conn, |c| {
        let mut query = incident_reports::table
            .select((incident_reports::id, incident_reports::incident_id))
            .filter(incident_reports::published.eq(true))
            .into_boxed();
        if let Some(ids) = incident_ids {
            query = query.filter(incident_reports::incident_id.eq_any(ids));
        }
        query.load(c)
    })?;
    let mut out = BTreeMap::new();
    for (report_id, incident_id) in rows {
        let json = on_backend!(conn, |c| incident_report_versions::table
            .select(incident_report_versions::content_json)
            .filter(incident_report_versions::report_id.eq(report_id))
            .order(incident_report_versions::version.desc())
            .first::<String>(c)
            .optional())?;
        if let Some(json) = json {
            out.insert(
                incident_id,
                serde_json::from_str(&json).map_err(|e| corrupt("report version", e))?,
            );
        }
    }
    Ok(out)
}

/// Report status, version and whether published, by incident (for lists).
pub fn statuses(
    conn: &mut DbConn,
    incident_ids: &[i64],
) -> Result<BTreeMap<i64, (ReportStatus, i32, bool)>, StoreError> {
    let rows: Vec<(i64, String, i32, bool)> = on_backend!(conn, |c| incident_reports::table
        .select((
            incident_reports::incident_id,
            incident_reports::status,
            incident_reports::version,
            incident_reports::published,
        ))
        .filter(incident_reports::incident_id.eq_any(incident_ids))
        .load(c))?;
    rows.into_iter()
        .map(|(id, status, version, published)| {
            Ok((id, (ReportStatus::parse(&status)?, version, published)))
        })
        .collect()
}

// -------------------------------------------------------------- action items

/// A post-incident action item.
#[derive(Debug, Clone, Serialize)]
pub struct ActionItem {
    pub id: i64,
    pub incident_id: i64,
    pub action: String,
    pub responsibility: String,
    pub priority: ItemPriority,
    pub due_on: Option<NaiveDate>,
    pub status: ItemStatus,
    pub done_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = action_items)]
struct ItemRow {
    id: i64,
    incident_id: i64,
    action: String,
    responsibility: String,
    priority: String,
    due_on: Option<NaiveDate>,
    status: String,
    done_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl TryFrom<ItemRow> for ActionItem {
    type Error = StoreError;
    fn try_from(r: ItemRow) -> Result<Self, StoreError> {
        Ok(ActionItem {
            id: r.id,
            incident_id: r.incident_id,
            action: r.action,
            responsibility: r.responsibility,
            priority: ItemPriority::parse(&r.priority)?,
            due_on: r.due_on,
            status: ItemStatus::parse(&r.status)?,
            done_at: r.done_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The action items of an incident, in the order they were added.
pub fn items(conn: &mut DbConn, incident_id: i64) -> Result<Vec<ActionItem>, StoreError> {
    let rows = on_backend!(conn, |c| action_items::table
        .select(ItemRow::as_select())
        .filter(action_items::incident_id.eq(incident_id))
        .order(action_items::id.asc())
        .load(c))?;
    rows.into_iter().map(ActionItem::try_from).collect()
}

pub fn item(conn: &mut DbConn, id: i64) -> Result<ActionItem, StoreError> {
    on_backend!(conn, |c| action_items::table
        .select(ItemRow::as_select())
        .find(id)
        .first(c)
        .optional())?
    .ok_or_else(|| StoreError::not_found(format!("There is no action item with id {id}.")))?
    .try_into()
}

fn may_manage_items(conn: &mut DbConn, staff: &Staff, incident_id: i64) -> Result<(), ReportError> {
    let report = get(conn, incident_id)?;
    decide(staff.role, ReportAction::ManageActionItems, report.state())?;
    Ok(())
}

fn done_at(status: ItemStatus, before: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    (status == ItemStatus::Done).then(|| before.unwrap_or_else(now))
}

/// Adds an action item to an incident.
pub fn create_item(
    conn: &mut DbConn,
    staff: &Staff,
    incident_id: i64,
    input: ActionItemInput,
) -> Result<ActionItem, ReportError> {
    conn.write_transaction(|conn| {
        may_manage_items(conn, staff, incident_id)?;
        let at = now();
        let id = on_backend!(conn, |c| diesel::insert_into(action_items::table)
            .values((
                action_items::incident_id.eq(incident_id),
                action_items::action.eq(&input.action),
                action_items::responsibility.eq(&input.responsibility),
                action_items::priority.eq(input.priority.as_str()),
                action_items::due_on.eq(input.due_on),
                action_items::status.eq(input.status.as_str()),
                action_items::done_at.eq(done_at(input.status, None)),
                action_items::created_at.eq(at),
                action_items::updated_at.eq(at),
            ))
            .returning(action_items::id)
            .get_result::<i64>(c))?;
        let created = item(conn, id)?;
        audit::record::<(), _>(
            conn,
            &staff.email,
            "action_item.create",
            ("action_item", Some(id)),
            None,
            Some(&created),
        )?;
        revision::bump(conn)?;
        Ok(created)
    })
}

/// Changes to an action item; `None` leaves a field as it is
/// (`due_on: Some(None)` clears the due date).
#[derive(Debug, Clone, Default)]
pub struct ItemPatch {
    pub action: Option<String>,
    pub responsibility: Option<String>,
    pub priority: Option<ItemPriority>,
    pub due_on: Option<Option<NaiveDate>>,
    pub status: Option<ItemStatus>,
}

pub fn update_item(
    conn: &mut DbConn,
    staff: &Staff,
    id: i64,
    patch: ItemPatch,
) -> Result<ActionItem, ReportError> {
    conn.write_transaction(|conn| {
        let before = item(conn, id)?;
        may_manage_items(conn, staff, before.incident_id)?;
        let input = report::action_item(
            patch.action.as_deref().unwrap_or(&before.action),
            patch
                .responsibility
                .as_deref()
                .unwrap_or(&before.responsibility),
            patch.priority.unwrap_or(before.priority),
            patch.due_on.unwrap_or(before.due_on),
            patch.status.unwrap_or(before.status),
        )?;
        on_backend!(conn, |c| diesel::update(action_items::table.find(id))
            .set((
                action_items::action.eq(&input.action),
                action_items::responsibility.eq(&input.responsibility),
                action_items::priority.eq(input.priority.as_str()),
                action_items::due_on.eq(input.due_on),
                action_items::status.eq(input.status.as_str()),
                action_items::done_at.eq(done_at(input.status, before.done_at)),
                action_items::updated_at.eq(now()),
            ))
            .execute(c))?;
        let after = item(conn, id)?;
        audit::record(
            conn,
            &staff.email,
            "action_item.update",
            ("action_item", Some(id)),
            Some(&before),
            Some(&after),
        )?;
        revision::bump(conn)?;
        Ok(after)
    })
}

pub fn delete_item(conn: &mut DbConn, staff: &Staff, id: i64) -> Result<ActionItem, ReportError> {
    conn.write_transaction(|conn| {
        let before = item(conn, id)?;
        may_manage_items(conn, staff, before.incident_id)?;
        on_backend!(conn, |c| diesel::delete(action_items::table.find(id))
            .execute(c))?;
        audit::record::<_, ()>(
            conn,
            &staff.email,
            "action_item.delete",
            ("action_item", Some(id)),
            Some(&before),
            None,
        )?;
        revision::bump(conn)?;
        Ok(before)
    })
}
