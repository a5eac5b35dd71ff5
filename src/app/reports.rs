//! Incident reports: edit the draft, take a workflow step (submit, review,
//! return, approve, revise, publish, unpublish), manage the action items.
//!
//! Who may do what from which state is [`crate::domain::report::decide`];
//! it is applied here, on the report as locked in the write transaction, so
//! two people acting at once are served one after the other. Only what the
//! pages show (the published postmortem: approving, publishing,
//! unpublishing) bumps the revision; drafts and action items do not.

use chrono::NaiveDate;

use super::{Actor, Context, Tx};
use crate::db::models::reports::{self, ActionItem, Report};
use crate::domain::report::{
    self as rules, decide, ActionItemInput, ItemPriority, ItemStatus, Link, Refusal, ReportAction,
};
use crate::domain::role::{Permission, Role};
use crate::error::AppError;

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Forbidden(m) => AppError::Forbidden(m),
            Refusal::Conflict(m) => AppError::Conflict(m),
        }
    }
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

/// The role the report rules judge the caller by.
fn role_of(actor: &Actor) -> Result<Role, AppError> {
    actor.require(Permission::ViewInternal)?;
    actor
        .staff()
        .map(|staff| staff.role)
        .ok_or_else(|| AppError::Forbidden("Only people work on incident reports.".into()))
}

/// Edits the sections of the draft (409 once submitted or approved).
pub async fn edit(
    ctx: &Context,
    actor: &Actor,
    incident_id: i64,
    patch: SectionsPatch,
) -> Result<Report, AppError> {
    let role = role_of(actor)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let (id, before) = reports::lock(tx.conn, incident_id)?;
        decide(role, ReportAction::Edit, before.state())?;
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
        let after = reports::save_sections(tx.conn, incident_id, id, &sections)?;
        tx.audit(
            "report.edit",
            ("incident_report", Some(id)),
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
    .await
}

/// Takes one workflow step. `comment` is required to return a report.
pub async fn step(
    ctx: &Context,
    actor: &Actor,
    incident_id: i64,
    action: ReportAction,
    comment: Option<String>,
) -> Result<Report, AppError> {
    let role = role_of(actor)?;
    ctx.write(actor, move |tx| {
        if !shows_on_pages(action) {
            tx.pages_unchanged();
        }
        let (id, before) = reports::lock(tx.conn, incident_id)?;
        let outcome = decide(role, action, before.state())?;
        let comment = if action == ReportAction::Return {
            Some(rules::return_comment(comment.as_deref().unwrap_or(""))?)
        } else {
            None
        };
        let who = tx.actor.to_string();
        let after = reports::record_step(
            tx.conn,
            (id, &before),
            action,
            outcome,
            &who,
            comment.as_deref(),
        )?;
        tx.audit(
            &format!("report.{}", action.as_str()),
            ("incident_report", Some(id)),
            Some(&before),
            Some(&serde_json::json!({"report": &after, "comment": comment})),
        )?;
        Ok(after)
    })
    .await
}

/// Whether a step changes what the pages show: the published postmortem is
/// the latest approved version of a published report.
fn shows_on_pages(action: ReportAction) -> bool {
    matches!(
        action,
        ReportAction::Approve | ReportAction::Publish | ReportAction::Unpublish
    )
}

/// Refuses with 403 unless the caller's role may keep action items at all:
/// handlers call it before they read the form, so a refused role is told
/// so rather than what to fix in its input.
pub fn require_items(actor: &Actor) -> Result<(), AppError> {
    rules::require_role(role_of(actor)?, ReportAction::ManageActionItems)?;
    Ok(())
}

/// Refuses unless the caller may manage the incident's action items now.
fn may_manage_items(tx: &mut Tx<'_>, role: Role, incident_id: i64) -> Result<(), AppError> {
    let report = reports::get(tx.conn, incident_id)?;
    decide(role, ReportAction::ManageActionItems, report.state())?;
    Ok(())
}

/// Adds an action item to an incident.
pub async fn create_item(
    ctx: &Context,
    actor: &Actor,
    incident_id: i64,
    input: ActionItemInput,
) -> Result<ActionItem, AppError> {
    let role = role_of(actor)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        may_manage_items(tx, role, incident_id)?;
        let created = reports::create_item(tx.conn, incident_id, &input)?;
        tx.audit::<(), _>(
            "action_item.create",
            ("action_item", Some(created.id)),
            None,
            Some(&created),
        )?;
        Ok(created)
    })
    .await
}

/// Changes an action item (its status moves on after approval too).
pub async fn update_item(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    patch: ItemPatch,
) -> Result<ActionItem, AppError> {
    let role = role_of(actor)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let before = reports::item(tx.conn, id)?;
        may_manage_items(tx, role, before.incident_id)?;
        let input = rules::action_item(
            patch.action.as_deref().unwrap_or(&before.action),
            patch
                .responsibility
                .as_deref()
                .unwrap_or(&before.responsibility),
            patch.priority.unwrap_or(before.priority),
            patch.due_on.unwrap_or(before.due_on),
            patch.status.unwrap_or(before.status),
        )?;
        let after = reports::update_item(tx.conn, &before, &input)?;
        tx.audit(
            "action_item.update",
            ("action_item", Some(id)),
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
    .await
}

/// Deletes an action item; returns it as it was.
pub async fn delete_item(ctx: &Context, actor: &Actor, id: i64) -> Result<ActionItem, AppError> {
    let role = role_of(actor)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let before = reports::item(tx.conn, id)?;
        may_manage_items(tx, role, before.incident_id)?;
        reports::delete_item(tx.conn, id)?;
        tx.audit::<_, ()>(
            "action_item.delete",
            ("action_item", Some(id)),
            Some(&before),
            None,
        )?;
        Ok(before)
    })
    .await
}
