//! Components: create, edit, change status, delete.

use super::events::Event;
use super::{Actor, Context, Tx};
use crate::db::models::components::{self, Change, Component, ComponentChanges, NewComponent};
use crate::db::StoreError;
use crate::domain::role::Permission;
use crate::domain::status::ComponentStatus;
use crate::error::AppError;

/// Creates a component.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    new: NewComponent,
) -> Result<Component, AppError> {
    actor.require(Permission::ManageComponents)?;
    ctx.write(actor, move |tx| {
        let created = components::create(tx.conn, new)?;
        tx.audit::<(), _>(
            "component.create",
            ("component", Some(created.id)),
            None,
            Some(&created),
        )?;
        Ok(created)
    })
    .await
}

/// Edits a component. Changing only its status is allowed to incident
/// staff; anything else needs someone who manages components.
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    changes: ComponentChanges,
) -> Result<Component, AppError> {
    actor.require(Permission::ChangeComponentStatus)?;
    if !only_status(&changes) {
        actor.require(Permission::ManageComponents)?;
    }
    write_change(ctx, actor, id, changes).await
}

fn only_status(changes: &ComponentChanges) -> bool {
    let ComponentChanges {
        name,
        description,
        group_id,
        position,
        status: _,
        audience,
        showcase,
        only_show_if_degraded,
        start_date,
    } = changes;
    name.is_none()
        && description.is_none()
        && group_id.is_none()
        && position.is_none()
        && audience.is_none()
        && showcase.is_none()
        && only_show_if_degraded.is_none()
        && start_date.is_none()
}

/// Changes a component's status only (the dashboard's quick change).
pub async fn change_status(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    status: ComponentStatus,
) -> Result<Component, AppError> {
    actor.require(Permission::ChangeComponentStatus)?;
    let changes = ComponentChanges {
        status: Some(status),
        ..ComponentChanges::default()
    };
    write_change(ctx, actor, id, changes).await
}

async fn write_change(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    changes: ComponentChanges,
) -> Result<Component, AppError> {
    ctx.write(actor, move |tx| {
        let change = components::update(tx.conn, tx.actor, id, changes, None)?;
        record_changes(tx, std::slice::from_ref(&change))?;
        Ok(change.after)
    })
    .await
}

/// Deletes a component; returns it as it was.
pub async fn delete(ctx: &Context, actor: &Actor, id: i64) -> Result<Component, AppError> {
    actor.require(Permission::ManageComponents)?;
    ctx.write(actor, move |tx| {
        let before = components::delete(tx.conn, id)?;
        tx.audit::<_, ()>(
            "component.delete",
            ("component", Some(id)),
            Some(&before),
            None,
        )?;
        Ok(before)
    })
    .await
}

/// Records the effects of component writes made by any use case (an
/// incident update, a maintenance starting): the audit row and the event.
pub fn record_changes(tx: &mut Tx<'_>, changes: &[Change]) -> Result<(), StoreError> {
    for change in changes {
        tx.record(Event::ComponentChanged {
            before: &change.before,
            after: &change.after,
        })?;
        tx.audit(
            "component.update",
            ("component", Some(change.after.id)),
            Some(&change.before),
            Some(&change.after),
        )?;
    }
    Ok(())
}
