//! Component groups: headings that gather components on the page.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::lower;
use crate::db::schema::{component_groups, components};
use crate::db::{now, DbConn, StoreError};
use crate::domain::text::{Description, Name};
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = component_groups)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub position: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: Name,
    pub description: Description,
    /// `None` puts it last.
    pub position: Option<i32>,
}

#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    pub name: Option<Name>,
    pub description: Option<Description>,
    pub position: Option<i32>,
}

#[derive(AsChangeset)]
#[diesel(table_name = component_groups)]
struct Changeset {
    name: Option<String>,
    description: Option<String>,
    position: Option<i32>,
    updated_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConn) -> Result<Vec<Group>, StoreError> {
    Ok(on_backend!(conn, |c| component_groups::table
        .select(Group::as_select())
        .order((component_groups::position.asc(), component_groups::id.asc()))
        .load(c))?)
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Group, StoreError> {
    on_backend!(conn, |c| component_groups::table
        .select(Group::as_select())
        .find(id)
        .first(c)
        .optional())?
    .ok_or_else(|| StoreError::not_found(format!("There is no component group with id {id}.")))
}

fn ensure_name_free(conn: &mut DbConn, name: &Name, except: Option<i64>) -> Result<(), StoreError> {
    let wanted = name.as_str().to_lowercase();
    let taken = on_backend!(conn, |c| component_groups::table
        .select(component_groups::id)
        .filter(lower(component_groups::name).eq(&wanted))
        .filter(component_groups::id.ne(except.unwrap_or(-1)))
        .first::<i64>(c)
        .optional())?;
    match taken {
        Some(_) => Err(duplicate(name.as_str())),
        None => Ok(()),
    }
}

fn duplicate(name: &str) -> StoreError {
    StoreError::Conflict(format!(
        "A component group named {name:?} already exists: choose another name."
    ))
}

/// Inserts a group (its name must be free).
pub fn create(conn: &mut DbConn, new: NewGroup) -> Result<Group, StoreError> {
    ensure_name_free(conn, &new.name, None)?;
    let position = match new.position {
        Some(p) => p,
        None => {
            let max = on_backend!(conn, |c| component_groups::table
                .select(diesel::dsl::max(component_groups::position))
                .first::<Option<i32>>(c))?;
            max.map_or(0, |m| m + 1)
        }
    };
    let at = now();
    let id = on_backend!(conn, |c| diesel::insert_into(component_groups::table)
        .values((
            component_groups::name.eq(new.name.as_str()),
            component_groups::description.eq(new.description.clone().into_string()),
            component_groups::position.eq(position),
            component_groups::created_at.eq(at),
            component_groups::updated_at.eq(at),
        ))
        .returning(component_groups::id)
        .get_result::<i64>(c))
    .map_err(StoreError::on_unique(
        duplicate(new.name.as_str()).to_string(),
    ))?;
    get(conn, id)
}

/// Writes a group's changes; returns it before and after.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    changes: GroupChanges,
) -> Result<(Group, Group), StoreError> {
    let before = get(conn, id)?;
    if let Some(name) = &changes.name {
        ensure_name_free(conn, name, Some(id))?;
    }
    let set = Changeset {
        name: changes.name.map(Name::into_string),
        description: changes.description.map(Description::into_string),
        position: changes.position,
        updated_at: now(),
    };
    on_backend!(conn, |c| diesel::update(component_groups::table.find(id))
        .set(&set)
        .execute(c))
    .map_err(StoreError::on_unique(
        "A component group with that name already exists: choose another name.",
    ))?;
    let after = get(conn, id)?;
    Ok((before, after))
}

/// Deletes a group; its components stay, ungrouped.
pub fn delete(conn: &mut DbConn, id: i64) -> Result<Group, StoreError> {
    let before = get(conn, id)?;
    on_backend!(conn, |c| {
        diesel::update(components::table.filter(components::group_id.eq(id)))
            .set(components::group_id.eq(None::<i64>))
            .execute(c)?;
        diesel::delete(component_groups::table.find(id)).execute(c)
    })?;
    Ok(before)
}
