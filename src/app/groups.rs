//! Component groups: create, edit, delete (their components stay, ungrouped).

use super::{Actor, Context};
use crate::db::models::groups::{self, Group, GroupChanges, NewGroup};
use crate::domain::role::Permission;
use crate::error::AppError;

/// Creates a group.
pub async fn create(ctx: &Context, actor: &Actor, new: NewGroup) -> Result<Group, AppError> {
    actor.require(Permission::ManageComponents)?;
    ctx.write(actor, move |tx| {
        let created = groups::create(tx.conn, new)?;
        tx.audit::<(), _>(
            "group.create",
            ("component_group", Some(created.id)),
            None,
            Some(&created),
        )?;
        Ok(created)
    })
    .await
}

/// Edits a group.
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    changes: GroupChanges,
) -> Result<Group, AppError> {
    actor.require(Permission::ManageComponents)?;
    ctx.write(actor, move |tx| {
        let (before, after) = groups::update(tx.conn, id, changes)?;
        tx.audit(
            "group.update",
            ("component_group", Some(id)),
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
    .await
}

/// Deletes a group; returns it as it was.
pub async fn delete(ctx: &Context, actor: &Actor, id: i64) -> Result<Group, AppError> {
    actor.require(Permission::ManageComponents)?;
    ctx.write(actor, move |tx| {
        let before = groups::delete(tx.conn, id)?;
        tx.audit::<_, ()>(
            "group.delete",
            ("component_group", Some(id)),
            Some(&before),
            None,
        )?;
        Ok(before)
    })
    .await
}
