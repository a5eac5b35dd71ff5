//! Scheduled maintenances: their windows, components and updates, and the
//! status moves that put components under maintenance and give them back.
//!
//! Every move is a compare-and-set on (status, window) inside one write
//! transaction, so two schedulers (or a person and a scheduler) racing on
//! several instances apply it once: the loser's update matches no row.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Serialize;

use super::components::{self, Component};
use super::{audit, revision, subscribers};
use crate::db::schema::{maintenance_components, maintenance_updates, maintenances};
use crate::db::{now, DbConn, StoreError};
use crate::domain::maintenance::{
    due_move, standard_update_text, Body, ComponentEffect, MaintenanceStatus, Recurrence, Schedule,
    Window,
};
use crate::domain::status::Audience;
use crate::domain::status::ComponentStatus;
use crate::domain::text::Name;
use crate::domain::Invalid;
use crate::notify::maintenance::{MaintenanceEvent, MaintenanceMail};
use crate::on_backend;
use crate::render::markdown::to_safe_html;

/// How long a completed maintenance stays on the page.
const RECENT_DAYS: i64 = 7;

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
struct Row {
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
struct UpdateRow {
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

fn load(conn: &mut DbConn, id: i64) -> Result<Maintenance, StoreError> {
    let row = on_backend!(conn, |c| maintenances::table
        .select(Row::as_select())
        .find(id)
        .first(c)
        .optional())?;
    row.ok_or_else(|| StoreError::not_found(format!("There is no maintenance with id {id}.")))?
        .try_into()
}

/// Attaches components and updates to each maintenance, in two queries.
fn with_details(
    conn: &mut DbConn,
    list: Vec<Maintenance>,
) -> Result<Vec<MaintenanceWithDetails>, StoreError> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = list.iter().map(|m| m.id).collect();
    let links: Vec<(i64, i64)> = on_backend!(conn, |c| maintenance_components::table
        .select((
            maintenance_components::maintenance_id,
            maintenance_components::component_id,
        ))
        .filter(maintenance_components::maintenance_id.eq_any(&ids))
        .load(c))?;
    let all_components = components::list(conn)?;
    let rows: Vec<UpdateRow> = on_backend!(conn, |c| maintenance_updates::table
        .select(UpdateRow::as_select())
        .filter(maintenance_updates::maintenance_id.eq_any(&ids))
        .order((
            maintenance_updates::created_at.desc(),
            maintenance_updates::id.desc(),
        ))
        .load(c))?;
    let updates = rows
        .into_iter()
        .map(MaintenanceUpdate::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(list
        .into_iter()
        .map(|m| MaintenanceWithDetails {
            components: all_components
                .iter()
                .filter(|c| links.contains(&(m.id, c.id)))
                .cloned()
                .collect(),
            updates: updates
                .iter()
                .filter(|u| u.maintenance_id == m.id)
                .cloned()
                .collect(),
            maintenance: m,
        })
        .collect())
}

fn load_all(
    conn: &mut DbConn,
    recent_since: Option<NaiveDateTime>,
) -> Result<Vec<Maintenance>, StoreError> {
    let rows: Vec<Row> = on_backend!(conn, |c| {
        let query = maintenances::table
            .select(Row::as_select())
            .order((maintenances::scheduled_for.asc(), maintenances::id.asc()))
            .into_boxed();
        let query = match recent_since {
            Some(since) => query.filter(
                maintenances::status
                    .ne(MaintenanceStatus::Completed.as_str())
                    .or(maintenances::completed_at.ge(since)),
            ),
            None => query,
        };
        query.load(c)
    })?;
    rows.into_iter().map(Maintenance::try_from).collect()
}

/// Every maintenance with its details, earliest window first.
pub fn list(conn: &mut DbConn) -> Result<Vec<MaintenanceWithDetails>, StoreError> {
    let all = load_all(conn, None)?;
    with_details(conn, all)
}

/// What the public page shows: every maintenance not completed, and those
/// completed in the last seven days. Opens no transaction, so it can be
/// called inside the page-state read.
pub fn load_for_page(conn: &mut DbConn) -> Result<Vec<MaintenanceWithDetails>, StoreError> {
    let since = now() - chrono::Duration::days(RECENT_DAYS);
    let recent = load_all(conn, Some(since))?;
    with_details(conn, recent)
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<MaintenanceWithDetails, StoreError> {
    let m = load(conn, id)?;
    with_details(conn, vec![m])?
        .pop()
        .ok_or_else(|| StoreError::not_found(format!("There is no maintenance with id {id}.")))
}

fn unknown_component(id: i64) -> StoreError {
    StoreError::Invalid(Invalid::new(format!(
        "There is no component with id {id}: choose components that exist (GET /api/v1/components lists them)."
    )))
}

fn check_components(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
    let mut unique = Vec::with_capacity(ids.len());
    for &id in ids {
        components::get(conn, id).map_err(|_| unknown_component(id))?;
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    Ok(unique)
}

fn insert_update(
    conn: &mut DbConn,
    maintenance: i64,
    status: MaintenanceStatus,
    body: &str,
    author: &str,
) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(maintenance_updates::table)
        .values((
            maintenance_updates::maintenance_id.eq(maintenance),
            maintenance_updates::status.eq(status.as_str()),
            maintenance_updates::body.eq(body),
            maintenance_updates::body_html.eq(to_safe_html(body)),
            maintenance_updates::author.eq(author),
            maintenance_updates::created_at.eq(now()),
        ))
        .execute(c))?;
    Ok(())
}

fn link_components(conn: &mut DbConn, maintenance: i64, ids: &[i64]) -> Result<(), StoreError> {
    for &component in ids {
        on_backend!(conn, |c| diesel::insert_into(maintenance_components::table)
            .values((
                maintenance_components::maintenance_id.eq(maintenance),
                maintenance_components::component_id.eq(component),
            ))
            .execute(c))?;
    }
    Ok(())
}

/// Schedules a maintenance, with a first update carrying its body.
pub fn create(
    conn: &mut DbConn,
    actor: &str,
    new: NewMaintenance,
) -> Result<MaintenanceWithDetails, StoreError> {
    conn.write_transaction(|conn| {
        let linked = check_components(conn, &new.components)?;
        let at = now();
        let window = new.schedule.window;
        let rule = new
            .schedule
            .recurrence
            .as_ref()
            .map(|r| r.as_str().to_string());
        let id = on_backend!(conn, |c| diesel::insert_into(maintenances::table)
            .values((
                maintenances::name.eq(new.name.as_str()),
                maintenances::body.eq(new.body.as_str()),
                maintenances::body_html.eq(to_safe_html(new.body.as_str())),
                maintenances::status.eq(MaintenanceStatus::Scheduled.as_str()),
                maintenances::scheduled_for.eq(window.starts_at),
                maintenances::scheduled_until.eq(window.ends_at),
                maintenances::rrule.eq(&rule),
                maintenances::recurrence_start.eq(rule.as_ref().map(|_| window.starts_at)),
                maintenances::auto_start.eq(new.auto_start),
                maintenances::auto_end.eq(new.auto_end),
                maintenances::notify.eq(new.notify),
                maintenances::created_by.eq(actor),
                maintenances::created_at.eq(at),
                maintenances::updated_at.eq(at),
            ))
            .returning(maintenances::id)
            .get_result::<i64>(c))?;
        link_components(conn, id, &linked)?;
        let first = match new.body.as_str() {
            "" => standard_update_text(MaintenanceStatus::Scheduled, window),
            body => body.to_string(),
        };
        insert_update(conn, id, MaintenanceStatus::Scheduled, &first, actor)?;
        let created = get(conn, id)?;
        announce(
            conn,
            &created.maintenance,
            &created.components,
            MaintenanceEvent::Scheduled,
            window,
            None,
            &first,
        )?;
        super::webhooks::maintenance_created(conn, id)?;
        audit::record::<(), _>(
            conn,
            actor,
            "maintenance.create",
            ("maintenance", Some(id)),
            None,
            Some(&created.maintenance),
        )?;
        revision::bump(conn)?;
        Ok(created)
    })
}

fn started(status: MaintenanceStatus) -> Invalid {
    Invalid::new(format!(
        "This maintenance is {}: its start, rule and components can only change while it is scheduled; its end, name and text can still change.",
        status.label().to_lowercase()
    ))
}

/// Edits a maintenance. Components added while it is under way go under
/// maintenance at once; components removed get their status back.
pub fn update(
    conn: &mut DbConn,
    actor: &str,
    id: i64,
    changes: MaintenanceChanges,
    zone: Tz,
) -> Result<MaintenanceWithDetails, StoreError> {
    conn.write_transaction(|conn| {
        let before = get(conn, id)?;
        let m = &before.maintenance;
        let completed = m.status == MaintenanceStatus::Completed;
        let reschedules = changes.scheduled_for.is_some() || changes.rrule.is_some();
        if (reschedules && m.status != MaintenanceStatus::Scheduled)
            || (completed && (changes.scheduled_until.is_some() || changes.components.is_some()))
        {
            return Err(started(m.status).into());
        }
        let ends_at = changes.scheduled_until.unwrap_or(m.scheduled_until);
        let (window, rule, recurrence_start) = if reschedules {
            let starts_at = changes.scheduled_for.unwrap_or(m.scheduled_for);
            let rule = changes.rrule.clone().unwrap_or_else(|| m.rrule.clone());
            let schedule = Schedule::new(starts_at, ends_at, rule.as_deref(), zone)?;
            let rule = schedule.recurrence.map(|r| r.as_str().to_string());
            let anchor = rule.as_ref().map(|_| starts_at);
            (schedule.window, rule, anchor)
        } else {
            let window = Window::new(m.scheduled_for, ends_at)?;
            if let Some(rule) = &m.rrule {
                // A new length must still fit between occurrences.
                let anchor = m.first_window().starts_at;
                Schedule::new(anchor, anchor + window.duration(), Some(rule), zone)?;
            }
            (window, m.rrule.clone(), m.recurrence_start)
        };
        let body = changes.body.as_ref().map(|b| b.as_str().to_string());
        let body_html = body.as_deref().map(to_safe_html);
        on_backend!(conn, |c| diesel::update(maintenances::table.find(id))
            .set((
                maintenances::name.eq(changes
                    .name
                    .as_ref()
                    .map_or(m.name.as_str(), |n| n.as_str())),
                maintenances::body.eq(body.as_deref().unwrap_or(&m.body)),
                maintenances::body_html.eq(body_html.as_deref().unwrap_or(&m.body_html)),
                maintenances::scheduled_for.eq(window.starts_at),
                maintenances::scheduled_until.eq(window.ends_at),
                maintenances::rrule.eq(&rule),
                maintenances::recurrence_start.eq(recurrence_start),
                maintenances::auto_start.eq(changes.auto_start.unwrap_or(m.auto_start)),
                maintenances::auto_end.eq(changes.auto_end.unwrap_or(m.auto_end)),
                maintenances::notify.eq(changes.notify.unwrap_or(m.notify)),
                maintenances::updated_at.eq(now()),
            ))
            .execute(c))?;
        if let Some(wanted) = &changes.components {
            let wanted = check_components(conn, wanted)?;
            let current: Vec<i64> = before.components.iter().map(|c| c.id).collect();
            for &removed in current.iter().filter(|c| !wanted.contains(c)) {
                if m.status.is_active() {
                    restore_component(conn, actor, id, removed)?;
                }
                on_backend!(conn, |c| diesel::delete(
                    maintenance_components::table.find((id, removed))
                )
                .execute(c))?;
            }
            let added: Vec<i64> = wanted
                .into_iter()
                .filter(|c| !current.contains(c))
                .collect();
            link_components(conn, id, &added)?;
            if m.status.is_active() {
                for &component in &added {
                    start_component(conn, actor, id, component)?;
                }
            }
        }
        let after = get(conn, id)?;
        super::webhooks::maintenance_edited(conn, id)?;
        audit::record(
            conn,
            actor,
            "maintenance.update",
            ("maintenance", Some(id)),
            Some(&before.maintenance),
            Some(&after.maintenance),
        )?;
        revision::bump(conn)?;
        Ok(after)
    })
}

/// Deletes a maintenance with its updates; components under way get their status back.
pub fn delete(conn: &mut DbConn, actor: &str, id: i64) -> Result<Maintenance, StoreError> {
    conn.write_transaction(|conn| {
        let before = get(conn, id)?;
        if before.maintenance.status.is_active() {
            for component in &before.components {
                restore_component(conn, actor, id, component.id)?;
            }
        }
        on_backend!(conn, |c| {
            diesel::delete(
                maintenance_updates::table.filter(maintenance_updates::maintenance_id.eq(id)),
            )
            .execute(c)?;
            diesel::delete(
                maintenance_components::table.filter(maintenance_components::maintenance_id.eq(id)),
            )
            .execute(c)?;
            diesel::delete(maintenances::table.find(id)).execute(c)
        })?;
        audit::record::<_, ()>(
            conn,
            actor,
            "maintenance.delete",
            ("maintenance", Some(id)),
            Some(&before.maintenance),
            None,
        )?;
        revision::bump(conn)?;
        Ok(before.maintenance)
    })
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

/// Posts an update and moves the maintenance to its status (components follow).
pub fn post_update(
    conn: &mut DbConn,
    actor: &str,
    id: i64,
    update: NewUpdate,
    zone: Tz,
) -> Result<MaintenanceWithDetails, StoreError> {
    conn.write_transaction(|conn| {
        let before = load(conn, id)?;
        let status = update.status.unwrap_or(before.status);
        if status == before.status && update.body.as_str().is_empty() {
            return Err(Invalid::new(
                "Write what changed, or choose another status: an update needs one or the other.",
            )
            .into());
        }
        let at = now();
        let text = match update.body.as_str() {
            "" => standard_update_text(status, before.window()),
            body => body.to_string(),
        };
        let moved = if status == before.status {
            Moved::Stayed
        } else {
            let moved = apply_move(conn, actor, &before, status, zone, at)?;
            if moved == Moved::Lost {
                return Err(StoreError::Conflict(
                    "This maintenance changed while you were writing (the scheduler may have started or ended it): reload it and try again.".into(),
                ));
            }
            moved
        };
        insert_update(conn, id, status, &text, actor)?;
        if let Moved::Rescheduled(next) = moved {
            insert_update(
                conn,
                id,
                MaintenanceStatus::Scheduled,
                &standard_update_text(MaintenanceStatus::Scheduled, next),
                actor,
            )?;
        }
        let after = get(conn, id)?;
        if let Some(event) = event_of(before.status, status, moved) {
            let mut announced = before.clone();
            announced.notify = update.notify.unwrap_or(before.notify);
            announce(
                conn,
                &announced,
                &after.components,
                event,
                before.window(),
                rescheduled_to(moved),
                &text,
            )?;
        }
        super::webhooks::maintenance_moved(conn, id, before.status, status)?;
        audit::record(
            conn,
            actor,
            "maintenance.post_update",
            ("maintenance", Some(id)),
            Some(&before),
            Some(&after.maintenance),
        )?;
        revision::bump(conn)?;
        Ok(after)
    })
}

/// Ids of maintenances the scheduler has something to do with at `now`.
pub fn due(conn: &mut DbConn, now: NaiveDateTime) -> Result<Vec<i64>, StoreError> {
    let scheduled = MaintenanceStatus::Scheduled.as_str();
    let active = [
        MaintenanceStatus::InProgress.as_str(),
        MaintenanceStatus::Verifying.as_str(),
    ];
    Ok(on_backend!(conn, |c| maintenances::table
        .select(maintenances::id)
        .filter(
            maintenances::status
                .eq(scheduled)
                .and(
                    maintenances::auto_start
                        .eq(true)
                        .and(maintenances::scheduled_for.le(now))
                        .or(maintenances::auto_end
                            .eq(true)
                            .and(maintenances::scheduled_until.le(now))),
                )
                .or(maintenances::status
                    .eq_any(active)
                    .and(maintenances::auto_end.eq(true))
                    .and(maintenances::scheduled_until.le(now))),
        )
        .order(maintenances::id.asc())
        .load::<i64>(c))?)
}

/// Makes every move due at `now` for one maintenance, in one write
/// transaction; returns how many moves it made (0 when another scheduler
/// got there first). A recurring one may complete, move to its next window
/// and start again in one call.
pub fn advance(
    conn: &mut DbConn,
    actor: &str,
    id: i64,
    now: NaiveDateTime,
    zone: Tz,
) -> Result<usize, StoreError> {
    conn.write_transaction(|conn| {
        let mut moves = 0;
        for _ in 0..4 {
            let m = match load(conn, id) {
                Ok(m) => m,
                Err(StoreError::NotFound(_)) => break,
                Err(other) => return Err(other),
            };
            let Some(next) = due_move(m.status, m.window(), m.auto_start, m.auto_end, now) else {
                break;
            };
            let moved = apply_move(conn, actor, &m, next, zone, now)?;
            if moved == Moved::Lost {
                break;
            }
            let text = standard_update_text(next, m.window());
            insert_update(conn, id, next, &text, actor)?;
            if let Some(event) = event_of(m.status, next, moved) {
                let linked = get(conn, id)?.components;
                announce(
                    conn,
                    &m,
                    &linked,
                    event,
                    m.window(),
                    rescheduled_to(moved),
                    &text,
                )?;
            }
            if let Moved::Rescheduled(window) = moved {
                insert_update(
                    conn,
                    id,
                    MaintenanceStatus::Scheduled,
                    &standard_update_text(MaintenanceStatus::Scheduled, window),
                    actor,
                )?;
            }
            let after = load(conn, id)?;
            super::webhooks::maintenance_moved(conn, id, m.status, next)?;
            audit::record(
                conn,
                actor,
                "maintenance.status",
                ("maintenance", Some(id)),
                Some(&m),
                Some(&after),
            )?;
            moves += 1;
        }
        if moves > 0 {
            revision::bump(conn)?;
        }
        Ok(moves)
    })
}

/// The outcome of a compare-and-set move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moved {
    /// The status stayed (a note only).
    Stayed,
    /// Moved to the status asked for.
    Done,
    /// Completed, and a recurring maintenance went on to this next window.
    Rescheduled(Window),
    /// Someone else moved it first: nothing was written.
    Lost,
}

/// Moves `m` (as read) to `next` if it is still as read, then applies what
/// the move does to its components.
fn apply_move(
    conn: &mut DbConn,
    actor: &str,
    m: &Maintenance,
    next: MaintenanceStatus,
    zone: Tz,
    at: NaiveDateTime,
) -> Result<Moved, StoreError> {
    let effect = m.status.move_to(next)?;
    let following = match (next, m.recurrence()) {
        (MaintenanceStatus::Completed, Some(rule)) => {
            rule.next_after(m.first_window(), zone, m.scheduled_for, at)
        }
        _ => None,
    };
    let (status, window, started_at, completed_at) = match following {
        Some(w) => (MaintenanceStatus::Scheduled, w, None, None),
        None => (
            next,
            m.window(),
            match next {
                MaintenanceStatus::InProgress => m.started_at.or(Some(at)),
                MaintenanceStatus::Scheduled => None,
                _ => m.started_at,
            },
            (next == MaintenanceStatus::Completed).then_some(at),
        ),
    };
    let changed = on_backend!(conn, |c| diesel::update(
        maintenances::table
            .filter(maintenances::id.eq(m.id))
            .filter(maintenances::status.eq(m.status.as_str()))
            .filter(maintenances::scheduled_for.eq(m.scheduled_for))
    )
    .set((
        maintenances::status.eq(status.as_str()),
        maintenances::scheduled_for.eq(window.starts_at),
        maintenances::scheduled_until.eq(window.ends_at),
        maintenances::started_at.eq(started_at),
        maintenances::completed_at.eq(completed_at),
        maintenances::updated_at.eq(now()),
    ))
    .execute(c))?;
    if changed == 0 {
        return Ok(Moved::Lost);
    }
    let ids = component_ids(conn, m.id)?;
    match effect {
        ComponentEffect::PutUnderMaintenance => {
            for component in ids {
                start_component(conn, actor, m.id, component)?;
            }
        }
        ComponentEffect::Restore => {
            for component in ids {
                restore_component(conn, actor, m.id, component)?;
            }
        }
        ComponentEffect::Keep => {}
    }
    Ok(match following {
        Some(w) => Moved::Rescheduled(w),
        None => Moved::Done,
    })
}

fn component_ids(conn: &mut DbConn, maintenance: i64) -> Result<Vec<i64>, StoreError> {
    Ok(on_backend!(conn, |c| maintenance_components::table
        .select(maintenance_components::component_id)
        .filter(maintenance_components::maintenance_id.eq(maintenance))
        .order(maintenance_components::component_id.asc())
        .load::<i64>(c))?)
}

/// Other maintenances under way on `component`, with the status each will restore.
fn others_under_way(
    conn: &mut DbConn,
    maintenance: i64,
    component: i64,
) -> Result<Vec<(i64, Option<String>)>, StoreError> {
    let active = [
        MaintenanceStatus::InProgress.as_str(),
        MaintenanceStatus::Verifying.as_str(),
    ];
    Ok(on_backend!(conn, |c| maintenance_components::table
        .inner_join(maintenances::table)
        .select((
            maintenance_components::maintenance_id,
            maintenance_components::previous_status,
        ))
        .filter(maintenance_components::component_id.eq(component))
        .filter(maintenance_components::maintenance_id.ne(maintenance))
        .filter(maintenances::status.eq_any(active))
        .load(c))?)
}

fn set_previous(
    conn: &mut DbConn,
    maintenance: i64,
    component: i64,
    previous: Option<&str>,
) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::update(
        maintenance_components::table.find((maintenance, component))
    )
    .set(maintenance_components::previous_status.eq(previous))
    .execute(c))?;
    Ok(())
}

/// Puts one component under maintenance, remembering the status to give back.
/// If another maintenance already holds it, that one's remembered status is
/// the one to give back.
fn start_component(
    conn: &mut DbConn,
    actor: &str,
    maintenance: i64,
    component: i64,
) -> Result<(), StoreError> {
    let current = components::get(conn, component)?;
    let previous = if current.status == ComponentStatus::UnderMaintenance {
        others_under_way(conn, maintenance, component)?
            .into_iter()
            .find_map(|(_, p)| p)
            .unwrap_or_else(|| current.status.as_str().to_string())
    } else {
        current.status.as_str().to_string()
    };
    set_previous(conn, maintenance, component, Some(&previous))?;
    components::set_status_in_tx(
        conn,
        actor,
        component,
        ComponentStatus::UnderMaintenance,
        None,
    )?;
    Ok(())
}

/// Gives one component back the status it had before the maintenance —
/// unless another maintenance still holds it (which then inherits the status
/// to give back), or someone changed it by hand during the window.
fn restore_component(
    conn: &mut DbConn,
    actor: &str,
    maintenance: i64,
    component: i64,
) -> Result<(), StoreError> {
    let previous: Option<String> = on_backend!(conn, |c| maintenance_components::table
        .select(maintenance_components::previous_status)
        .find((maintenance, component))
        .first::<Option<String>>(c)
        .optional())?
    .flatten();
    set_previous(conn, maintenance, component, None)?;
    let others = others_under_way(conn, maintenance, component)?;
    if !others.is_empty() {
        for (other, theirs) in others {
            let unknown = theirs
                .as_deref()
                .is_none_or(|s| s == ComponentStatus::UnderMaintenance.as_str());
            if unknown && previous.is_some() {
                set_previous(conn, other, component, previous.as_deref())?;
            }
        }
        return Ok(());
    }
    let current = components::get(conn, component)?;
    if current.status != ComponentStatus::UnderMaintenance {
        return Ok(());
    }
    let back = previous
        .as_deref()
        .map(ComponentStatus::parse)
        .transpose()?
        .unwrap_or(ComponentStatus::Operational);
    components::set_status_in_tx(conn, actor, component, back, None)?;
    Ok(())
}

/// The email a move announces: a start (from scheduled) or a completion.
fn event_of(
    from: MaintenanceStatus,
    to: MaintenanceStatus,
    moved: Moved,
) -> Option<MaintenanceEvent> {
    match (moved, from, to) {
        (Moved::Stayed | Moved::Lost, _, _) => None,
        (_, MaintenanceStatus::Scheduled, MaintenanceStatus::InProgress) => {
            Some(MaintenanceEvent::Started)
        }
        (_, from, MaintenanceStatus::Completed) if from != MaintenanceStatus::Completed => {
            Some(MaintenanceEvent::Completed)
        }
        _ => None,
    }
}

fn rescheduled_to(moved: Moved) -> Option<Window> {
    match moved {
        Moved::Rescheduled(next) => Some(next),
        _ => None,
    }
}

/// Queues the emails of one maintenance event, inside the caller's write
/// transaction, unless the maintenance is silent: internal subscribers hear
/// of every maintenance; external ones of those customers see (no
/// components, or at least one external one), with only the external
/// components named. Component filters apply through
/// [`subscribers::queue_for_subscribers`].
fn announce(
    conn: &mut DbConn,
    m: &Maintenance,
    linked: &[Component],
    event: MaintenanceEvent,
    window: Window,
    next: Option<Window>,
    text: &str,
) -> Result<(), StoreError> {
    if !m.notify {
        return Ok(());
    }
    let html = to_safe_html(text);
    for audience in [Audience::External, Audience::Internal] {
        let seen: Vec<&Component> = linked
            .iter()
            .filter(|c| c.audience.visible_to(audience))
            .collect();
        if !linked.is_empty() && seen.is_empty() {
            continue;
        }
        let mail = MaintenanceMail {
            id: m.id,
            name: &m.name,
            event,
            window,
            next,
            recurring: m.rrule.is_some(),
            text,
            html: &html,
            components: seen.iter().map(|c| c.name.clone()).collect(),
        };
        let ids: Vec<i64> = seen.iter().map(|c| c.id).collect();
        subscribers::queue_for_subscribers(
            conn,
            event.kind(),
            audience,
            &ids,
            mail.subject(),
            mail.payload(),
        )?;
    }
    Ok(())
}

/// Ids of scheduled maintenances with notifications on whose window starts
/// within `lead` of `now` and whose reminder for that window is not recorded.
pub fn due_reminders(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lead: chrono::Duration,
) -> Result<Vec<i64>, StoreError> {
    Ok(on_backend!(conn, |c| maintenances::table
        .select(maintenances::id)
        .filter(maintenances::status.eq(MaintenanceStatus::Scheduled.as_str()))
        .filter(maintenances::notify.eq(true))
        .filter(maintenances::scheduled_for.gt(now))
        .filter(maintenances::scheduled_for.le(now + lead))
        .filter(
            maintenances::reminded_for
                .is_null()
                .or(maintenances::reminded_for
                    .ne(maintenances::scheduled_for.nullable())
                    .assume_not_null()),
        )
        .order(maintenances::id.asc())
        .load::<i64>(c))?)
}

/// Sends the reminder of one maintenance's current window if it is due at
/// `now`, recording it with a compare-and-set on the window in the same write
/// transaction, so schedulers racing send it once. A maintenance scheduled
/// less than `lead` before its first window gets no reminder (its
/// "scheduled" email just went out); that is recorded too. Returns whether
/// a reminder was queued.
pub fn remind(
    conn: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
    lead: chrono::Duration,
) -> Result<bool, StoreError> {
    conn.write_transaction(|conn| {
        let d = match get(conn, id) {
            Ok(d) => d,
            Err(StoreError::NotFound(_)) => return Ok(false),
            Err(other) => return Err(other),
        };
        let m = &d.maintenance;
        let due = m.status == MaintenanceStatus::Scheduled
            && m.notify
            && m.scheduled_for > now
            && m.scheduled_for <= now + lead
            && m.reminded_for != Some(m.scheduled_for);
        if !due {
            return Ok(false);
        }
        let claimed = on_backend!(conn, |c| diesel::update(
            maintenances::table
                .filter(maintenances::id.eq(id))
                .filter(maintenances::status.eq(MaintenanceStatus::Scheduled.as_str()))
                .filter(maintenances::scheduled_for.eq(m.scheduled_for))
                .filter(
                    maintenances::reminded_for
                        .is_null()
                        .or(maintenances::reminded_for
                            .ne(m.scheduled_for)
                            .assume_not_null()),
                )
        )
        .set(maintenances::reminded_for.eq(Some(m.scheduled_for)))
        .execute(c))?;
        if claimed == 0 {
            return Ok(false);
        }
        let first = m.recurrence_start.unwrap_or(m.scheduled_for) == m.scheduled_for;
        if first && m.created_at + lead > m.scheduled_for {
            return Ok(false);
        }
        let text = match m.body.as_str() {
            "" => standard_update_text(MaintenanceStatus::Scheduled, m.window()),
            body => body.to_string(),
        };
        announce(
            conn,
            m,
            &d.components,
            MaintenanceEvent::Reminder,
            m.window(),
            None,
            &text,
        )?;
        Ok(true)
    })
}
