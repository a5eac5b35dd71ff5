//! Components: the services customers and staff see with a status.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::{groups, lower};
use crate::db::schema::{component_status_changes, components};
use crate::db::{now, DbConn, StoreError};
use crate::domain::status::{Audience, ComponentStatus};
use crate::domain::text::{Description, Name};
use crate::on_backend;

/// A component as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    pub id: i64,
    pub group_id: Option<i64>,
    pub name: String,
    pub description: String,
    pub position: i32,
    pub status: ComponentStatus,
    pub audience: Audience,
    pub showcase: bool,
    pub only_show_if_degraded: bool,
    pub start_date: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = components)]
struct Row {
    id: i64,
    group_id: Option<i64>,
    name: String,
    description: String,
    position: i32,
    status: String,
    audience: String,
    showcase: bool,
    only_show_if_degraded: bool,
    start_date: Option<NaiveDate>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl TryFrom<Row> for Component {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Component {
            id: r.id,
            group_id: r.group_id,
            name: r.name,
            description: r.description,
            position: r.position,
            status: ComponentStatus::parse(&r.status)?,
            audience: Audience::parse(&r.audience)?,
            showcase: r.showcase,
            only_show_if_degraded: r.only_show_if_degraded,
            start_date: r.start_date,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// What a new component needs; every field already validated.
#[derive(Debug, Clone)]
pub struct NewComponent {
    pub name: Name,
    pub description: Description,
    pub group_id: Option<i64>,
    /// `None` puts it last among its siblings.
    pub position: Option<i32>,
    pub status: ComponentStatus,
    pub audience: Audience,
    pub showcase: bool,
    pub only_show_if_degraded: bool,
    pub start_date: Option<NaiveDate>,
}

/// Changes to a component; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ComponentChanges {
    pub name: Option<Name>,
    pub description: Option<Description>,
    pub group_id: Option<Option<i64>>,
    pub position: Option<i32>,
    pub status: Option<ComponentStatus>,
    pub audience: Option<Audience>,
    pub showcase: Option<bool>,
    pub only_show_if_degraded: Option<bool>,
    pub start_date: Option<Option<NaiveDate>>,
}

#[derive(AsChangeset)]
#[diesel(table_name = components)]
struct Changeset {
    name: Option<String>,
    description: Option<String>,
    group_id: Option<Option<i64>>,
    position: Option<i32>,
    status: Option<String>,
    audience: Option<String>,
    showcase: Option<bool>,
    only_show_if_degraded: Option<bool>,
    start_date: Option<Option<NaiveDate>>,
    updated_at: NaiveDateTime,
}

/// All components, in page order.
pub fn list(conn: &mut DbConn) -> Result<Vec<Component>, StoreError> {
    let rows = on_backend!(conn, |c| components::table
        .select(Row::as_select())
        .order((components::position.asc(), components::id.asc()))
        .load(c))?;
    rows.into_iter().map(Component::try_from).collect()
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Component, StoreError> {
    let row = on_backend!(conn, |c| components::table
        .select(Row::as_select())
        .find(id)
        .first(c)
        .optional())?;
    row.ok_or_else(|| StoreError::not_found(format!("There is no component with id {id}.")))?
        .try_into()
}

fn ensure_name_free(conn: &mut DbConn, name: &Name, except: Option<i64>) -> Result<(), StoreError> {
    let wanted = name.as_str().to_lowercase();
    let taken = on_backend!(conn, |c| components::table
        .select(components::id)
        .filter(lower(components::name).eq(&wanted))
        .filter(components::id.ne(except.unwrap_or(-1)))
        .first::<i64>(c)
        .optional())?;
    match taken {
        Some(_) => Err(StoreError::Conflict(format!(
            "A component named {:?} already exists: choose another name.",
            name.as_str()
        ))),
        None => Ok(()),
    }
}

fn next_position(conn: &mut DbConn, group: Option<i64>) -> Result<i32, StoreError> {
    let max = on_backend!(conn, |c| {
        let query = components::table
            .select(diesel::dsl::max(components::position))
            .into_boxed();
        let query = match group {
            Some(g) => query.filter(components::group_id.eq(g)),
            None => query.filter(components::group_id.is_null()),
        };
        query.first::<Option<i32>>(c)
    })?;
    Ok(max.map_or(0, |m| m + 1))
}

/// Inserts a component (its group must exist, its name be free).
pub fn create(conn: &mut DbConn, new: NewComponent) -> Result<Component, StoreError> {
    if let Some(group) = new.group_id {
        groups::get(conn, group).map_err(|_| missing_group(group))?;
    }
    ensure_name_free(conn, &new.name, None)?;
    let position = match new.position {
        Some(p) => p,
        None => next_position(conn, new.group_id)?,
    };
    let at = now();
    let name = new.name.as_str().to_string();
    let id = on_backend!(conn, |c| diesel::insert_into(components::table)
        .values((
            components::group_id.eq(new.group_id),
            components::name.eq(&name),
            components::description.eq(new.description.clone().into_string()),
            components::position.eq(position),
            components::status.eq(new.status.as_str()),
            components::audience.eq(new.audience.as_str()),
            components::showcase.eq(new.showcase),
            components::only_show_if_degraded.eq(new.only_show_if_degraded),
            components::start_date.eq(new.start_date),
            components::created_at.eq(at),
            components::updated_at.eq(at),
        ))
        .returning(components::id)
        .get_result::<i64>(c))
    .map_err(StoreError::on_unique(format!(
        "A component named {name:?} already exists: choose another name."
    )))?;
    get(conn, id)
}

fn missing_group(group: i64) -> StoreError {
    StoreError::Invalid(crate::domain::Invalid::new(format!(
        "There is no component group with id {group}: create it first or leave the group empty."
    )))
}

/// A component before and after a write.
#[derive(Debug, Clone)]
pub struct Change {
    pub before: Component,
    pub after: Component,
}

/// When a write happens, and when the status change it records happened:
/// the same instant for a live change, an earlier one for history entered
/// afterwards (a backdated incident update).
#[derive(Debug, Clone, Copy)]
pub struct When {
    pub written: NaiveDateTime,
    pub changed: NaiveDateTime,
}

/// Applies changes; a status change is also written to the status history
/// (as `actor`'s, for `incident_id` when an incident update made it).
pub fn update(
    conn: &mut DbConn,
    actor: &str,
    id: i64,
    changes: ComponentChanges,
    incident_id: Option<i64>,
) -> Result<Change, StoreError> {
    let at = now();
    update_at(
        conn,
        actor,
        id,
        changes,
        incident_id,
        When {
            written: at,
            changed: at,
        },
    )
}

/// [`update`] at given instants: the row is updated at `when.written`, a
/// status change is recorded in the history at `when.changed`.
pub fn update_at(
    conn: &mut DbConn,
    actor: &str,
    id: i64,
    changes: ComponentChanges,
    incident_id: Option<i64>,
    when: When,
) -> Result<Change, StoreError> {
    let before = get(conn, id)?;
    if let Some(Some(group)) = changes.group_id {
        groups::get(conn, group).map_err(|_| missing_group(group))?;
    }
    if let Some(name) = &changes.name {
        ensure_name_free(conn, name, Some(id))?;
    }
    let set = Changeset {
        name: changes.name.map(Name::into_string),
        description: changes.description.map(Description::into_string),
        group_id: changes.group_id,
        position: changes.position,
        status: changes.status.map(|s| s.as_str().to_string()),
        audience: changes.audience.map(|a| a.as_str().to_string()),
        showcase: changes.showcase,
        only_show_if_degraded: changes.only_show_if_degraded,
        start_date: changes.start_date,
        updated_at: when.written,
    };
    on_backend!(conn, |c| diesel::update(components::table.find(id))
        .set(&set)
        .execute(c))
    .map_err(StoreError::on_unique(
        "A component with that name already exists: choose another name.",
    ))?;
    if let Some(status) = changes.status.filter(|s| *s != before.status) {
        on_backend!(conn, |c| diesel::insert_into(
            component_status_changes::table
        )
        .values((
            component_status_changes::component_id.eq(id),
            component_status_changes::from_status.eq(before.status.as_str()),
            component_status_changes::to_status.eq(status.as_str()),
            component_status_changes::changed_at.eq(when.changed),
            component_status_changes::incident_id.eq(incident_id),
            component_status_changes::actor.eq(actor),
        ))
        .execute(c))?;
    }
    let after = get(conn, id)?;
    Ok(Change { before, after })
}

/// Deletes a component; returns it as it was.
pub fn delete(conn: &mut DbConn, id: i64) -> Result<Component, StoreError> {
    let before = get(conn, id)?;
    on_backend!(conn, |c| diesel::delete(components::table.find(id))
        .execute(c))?;
    Ok(before)
}

/// One recorded status change of a component.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = component_status_changes)]
pub struct StatusChange {
    pub id: i64,
    pub component_id: i64,
    pub from_status: String,
    pub to_status: String,
    pub changed_at: NaiveDateTime,
    pub incident_id: Option<i64>,
    pub actor: String,
}

/// The status history of a component, oldest first.
pub fn status_changes(conn: &mut DbConn, component: i64) -> Result<Vec<StatusChange>, StoreError> {
    Ok(on_backend!(conn, |c| component_status_changes::table
        .select(StatusChange::as_select())
        .filter(component_status_changes::component_id.eq(component))
        .order(component_status_changes::id.asc())
        .load(c))?)
}

/// Every component's status changes at or after `since`, oldest first (uptime bars).
pub fn status_changes_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
) -> Result<Vec<StatusChange>, StoreError> {
    Ok(on_backend!(conn, |c| component_status_changes::table
        .select(StatusChange::as_select())
        .filter(component_status_changes::changed_at.ge(since))
        .order((
            component_status_changes::changed_at.asc(),
            component_status_changes::id.asc()
        ))
        .load(c))?)
}

/// Sets a component's status as part of a larger write (a maintenance
/// starting or ending), with the same status history as [`update`]; the
/// caller records the change's effects. `None` when the status already is
/// `status`.
pub fn set_status_in_tx(
    conn: &mut DbConn,
    actor: &str,
    id: i64,
    status: ComponentStatus,
    incident_id: Option<i64>,
) -> Result<Option<Change>, StoreError> {
    let before = get(conn, id)?;
    if before.status == status {
        return Ok(None);
    }
    update(
        conn,
        actor,
        id,
        ComponentChanges {
            status: Some(status),
            ..ComponentChanges::default()
        },
        incident_id,
    )
    .map(Some)
}

/// The id of the latest recorded status change of a component, if any.
pub fn latest_change_id(conn: &mut DbConn, component_id: i64) -> Result<Option<i64>, StoreError> {
    Ok(on_backend!(conn, |c| component_status_changes::table
        .filter(component_status_changes::component_id.eq(component_id))
        .select(diesel::dsl::max(component_status_changes::id))
        .first(c))?)
}
