//! Scheduled maintenances: their windows, components and updates, and the
//! status moves that put components under maintenance and give them back.
//! Storage only: the use cases in `app::maintenance` open the transaction,
//! render the text, and record the audit rows, emails and webhooks.
//!
//! Every move is a compare-and-set on (status, window), so two schedulers
//! (or a person and a scheduler) racing on several instances apply it once:
//! the loser's update matches no row.

mod moves;
mod queries;
mod writes;

pub use moves::{apply_move, restore_component, start_component, Moved};
pub use queries::{
    component_ids, due, due_reminders, get, list, load, load_for_page, others_under_way,
};
pub use writes::{add_update, claim_reminder, delete, insert, set_components, set_facts, Facts};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::components::Component;
use crate::db::schema::{maintenance_updates, maintenances};
use crate::db::StoreError;
use crate::domain::maintenance::{Body, MaintenanceStatus, Recurrence, Schedule, Window};
use crate::domain::text::Name;

/// How long a completed maintenance stays on the page.
pub(crate) const RECENT_DAYS: i64 = 7;

/// A maintenance as stored. For a recurring one, `scheduled_for` and
/// `scheduled_until` are the current (or next) occurrence and
/// `recurrence_start` the first one, where the rule counts from.
#[derive(Debug, Clone, Serialize)]
pub struct Maintenance {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub body_html: String,
    pub status: MaintenanceStatus,
    pub scheduled_for: NaiveDateTime,
    pub scheduled_until: NaiveDateTime,
    pub rrule: Option<String>,
    pub recurrence_start: Option<NaiveDateTime>,
    pub auto_start: bool,
    pub auto_end: bool,
    pub started_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Whether subscribers get emails about it (scheduled, reminder, started, completed).
    pub notify: bool,
    /// The window start the reminder was sent (or skipped) for.
    pub reminded_for: Option<NaiveDateTime>,
}

impl Maintenance {
    /// The current (or next) window.
    pub fn window(&self) -> Window {
        Window {
            starts_at: self.scheduled_for,
            ends_at: self.scheduled_until,
        }
    }

    /// The first window of the series (the window itself when it does not repeat).
    pub fn first_window(&self) -> Window {
        self.window()
            .moved_to(self.recurrence_start.unwrap_or(self.scheduled_for))
    }

    pub fn recurrence(&self) -> Option<Recurrence> {
        self.rrule.as_deref().map(Recurrence::from_stored)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = maintenances)]
pub(super) struct Row {
    id: i64,
    name: String,
    body: String,
    body_html: String,
    status: String,
    scheduled_for: NaiveDateTime,
    scheduled_until: NaiveDateTime,
    rrule: Option<String>,
    recurrence_start: Option<NaiveDateTime>,
    auto_start: bool,
    auto_end: bool,
    started_at: Option<NaiveDateTime>,
    completed_at: Option<NaiveDateTime>,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    notify: bool,
    reminded_for: Option<NaiveDateTime>,
}

impl TryFrom<Row> for Maintenance {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Maintenance {
            id: r.id,
            name: r.name,
            body: r.body,
            body_html: r.body_html,
            status: MaintenanceStatus::parse(&r.status)?,
            scheduled_for: r.scheduled_for,
            scheduled_until: r.scheduled_until,
            rrule: r.rrule,
            recurrence_start: r.recurrence_start,
            auto_start: r.auto_start,
            auto_end: r.auto_end,
            started_at: r.started_at,
            completed_at: r.completed_at,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            notify: r.notify,
            reminded_for: r.reminded_for,
        })
    }
}

/// One update posted on a maintenance (by a person or the scheduler).
#[derive(Debug, Clone, Serialize)]
pub struct MaintenanceUpdate {
    pub id: i64,
    pub maintenance_id: i64,
    pub status: MaintenanceStatus,
    pub body: String,
    pub body_html: String,
    pub author: String,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = maintenance_updates)]
pub(super) struct UpdateRow {
    id: i64,
    maintenance_id: i64,
    status: String,
    body: String,
    body_html: String,
    author: String,
    created_at: NaiveDateTime,
}

impl TryFrom<UpdateRow> for MaintenanceUpdate {
    type Error = StoreError;
    fn try_from(r: UpdateRow) -> Result<Self, StoreError> {
        Ok(MaintenanceUpdate {
            id: r.id,
            maintenance_id: r.maintenance_id,
            status: MaintenanceStatus::parse(&r.status)?,
            body: r.body,
            body_html: r.body_html,
            author: r.author,
            created_at: r.created_at,
        })
    }
}

/// A maintenance with its components (page order) and updates (newest first).
#[derive(Debug, Clone, Serialize)]
pub struct MaintenanceWithDetails {
    pub maintenance: Maintenance,
    pub components: Vec<Component>,
    pub updates: Vec<MaintenanceUpdate>,
}

/// What a new maintenance needs; every field already validated.
#[derive(Debug, Clone)]
pub struct NewMaintenance {
    pub name: Name,
    pub body: Body,
    pub schedule: Schedule,
    pub components: Vec<i64>,
    pub auto_start: bool,
    pub auto_end: bool,
    /// Email subscribers about it.
    pub notify: bool,
}

/// Changes to a maintenance; `None` leaves a field as it is. The window and
/// rule are checked against the stored ones inside the write.
#[derive(Debug, Clone, Default)]
pub struct MaintenanceChanges {
    pub name: Option<Name>,
    pub body: Option<Body>,
    pub scheduled_for: Option<NaiveDateTime>,
    pub scheduled_until: Option<NaiveDateTime>,
    /// `Some(None)` (or an empty rule) makes it one-off.
    pub rrule: Option<Option<String>>,
    pub components: Option<Vec<i64>>,
    pub auto_start: Option<bool>,
    pub auto_end: Option<bool>,
    pub notify: Option<bool>,
}

/// An update a person posts: a note, a change of status, or both.
#[derive(Debug, Clone)]
pub struct NewUpdate {
    /// `None` keeps the current status (a note only).
    pub status: Option<MaintenanceStatus>,
    /// Empty: the standard text for the new status is used.
    pub body: Body,
    /// Whether a start or completion this update makes is emailed;
    /// `None` follows the maintenance's `notify`.
    pub notify: Option<bool>,
}
