//! Post-incident action items, as stored.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::action_items;
use crate::db::{now, DbConn, StoreError};
use crate::domain::report::{ActionItemInput, ItemPriority, ItemStatus};
use crate::on_backend;

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

fn done_at(status: ItemStatus, before: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    (status == ItemStatus::Done).then(|| before.unwrap_or_else(now))
}

/// Adds an action item (already checked) to an incident.
pub fn create_item(
    conn: &mut DbConn,
    incident_id: i64,
    input: &ActionItemInput,
) -> Result<ActionItem, StoreError> {
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
    item(conn, id)
}

/// Replaces the fields of the action item `before` with `input` (already
/// checked); returns the item after.
pub fn update_item(
    conn: &mut DbConn,
    before: &ActionItem,
    input: &ActionItemInput,
) -> Result<ActionItem, StoreError> {
    let id = before.id;
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
    item(conn, id)
}

/// Deletes an action item.
pub fn delete_item(conn: &mut DbConn, id: i64) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::delete(action_items::table.find(id))
        .execute(c))?;
    Ok(())
}
