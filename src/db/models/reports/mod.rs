//! Incident reports: the sections, the review workflow, the frozen versions
//! and the post-incident action items, as stored. The rules (who may do what
//! from which state) are in [`crate::domain::report`] and are applied by the
//! application layer, which also audits every write; this module only reads
//! and writes the rows, inside the caller's transaction.
//!
//! `incident_reports.status` is the status of the version being worked on
//! (`draft`, `submitted`, `reviewed`, `approved`); `action_items.status` is
//! `open`, `in_progress`, `done` or `wont_do`, `done_at` set while done.

mod items;
mod summary;

pub use items::{create_item, delete_item, item, items, update_item, ActionItem};
pub use summary::{client_impact_minutes, time_summary};

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::incidents;
use crate::db::schema::{incident_report_versions, incident_reports};
use crate::db::{now, DbConn, StoreError};
use crate::domain::report::{
    Link, Outcome, ReportAction, ReportContent, ReportState, ReportStatus, Sections,
};
use crate::on_backend;

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
pub fn lock(conn: &mut DbConn, incident_id: i64) -> Result<(i64, Report), StoreError> {
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

/// Stores the sections of the report row `report_id` (already checked).
pub fn save_sections(
    conn: &mut DbConn,
    incident_id: i64,
    report_id: i64,
    sections: &Sections,
) -> Result<Report, StoreError> {
    let links_json =
        serde_json::to_string(&sections.links).map_err(|e| StoreError::Task(e.to_string()))?;
    on_backend!(conn, |c| diesel::update(
        incident_reports::table.find(report_id)
    )
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
    get(conn, incident_id)
}

/// Records one workflow step the rules allowed (`outcome`), taken by `who`:
/// the new status and sign-offs, and on approval the frozen version.
/// `comment` is the (checked) comment of a return. Returns the report after.
pub fn record_step(
    conn: &mut DbConn,
    (id, before): (i64, &Report),
    action: ReportAction,
    outcome: Outcome,
    who: &str,
    comment: Option<&str>,
) -> Result<Report, StoreError> {
    let at = now();
    let signer = Some(who);
    let base = diesel::update(incident_reports::table.find(id));
    let status = outcome.status.as_str();
    on_backend!(conn, |c| match action {
        ReportAction::Submit => base
            .clone()
            .set((
                incident_reports::status.eq(status),
                incident_reports::submitted_by.eq(signer),
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
                incident_reports::reviewed_by.eq(signer),
                incident_reports::reviewed_at.eq(Some(at)),
                incident_reports::updated_at.eq(at),
            ))
            .execute(c),
        ReportAction::Approve => base
            .clone()
            .set((
                incident_reports::status.eq(status),
                incident_reports::approved_by.eq(signer),
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
                incident_reports::returned_by.eq(signer),
                incident_reports::returned_at.eq(Some(at)),
                incident_reports::return_comment.eq(comment),
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
        freeze(conn, id, before, who, at)?;
    }
    get(conn, before.incident_id)
}

/// Stores the approved version of `report` (its number taken once only).
fn freeze(
    conn: &mut DbConn,
    id: i64,
    report: &Report,
    approver: &str,
    at: NaiveDateTime,
) -> Result<(), StoreError> {
    let content = summary::snapshot(conn, report.incident_id, report, approver, at)?;
    let json = serde_json::to_string(&content).map_err(|e| StoreError::Task(e.to_string()))?;
    on_backend!(conn, |c| diesel::insert_into(
        incident_report_versions::table
    )
    .values((
        incident_report_versions::report_id.eq(id),
        incident_report_versions::version.eq(report.version),
        incident_report_versions::content_json.eq(&json),
        incident_report_versions::approved_by.eq(approver),
        incident_report_versions::approved_at.eq(at),
    ))
    .execute(c))
    .map_err(StoreError::on_unique(format!(
        "Version {} was approved already: reload the report.",
        report.version
    )))?;
    Ok(())
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
