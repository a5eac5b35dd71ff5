//! Phase template sets: create, replace, and the shipped "Default" set
//! installed on first start. The pages show no template, so these writes
//! leave the site revision alone.

use super::{Actor, Context};
use crate::db::models::phase_templates::{self, PhaseText, TemplateSet, DEFAULT_SET};
use crate::db::models::{audit, revision};
use crate::db::{DbConn, StoreError};
use crate::domain::role::Permission;
use crate::error::AppError;

/// A set as checked: name, description and the texts (each known to parse).
#[derive(Debug, Clone)]
pub struct SetInput {
    pub name: String,
    pub description: String,
    pub texts: Vec<PhaseText>,
}

/// Creates a set.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    input: SetInput,
) -> Result<TemplateSet, AppError> {
    actor.require(Permission::ManageTemplates)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let created =
            phase_templates::create(tx.conn, &input.name, &input.description, input.texts)?;
        tx.audit::<(), _>(
            "templates.create",
            ("template_set", Some(created.id)),
            None,
            Some(&created),
        )?;
        Ok(created)
    })
    .await
}

/// Replaces a set's name, description and texts.
pub async fn replace(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    input: SetInput,
) -> Result<TemplateSet, AppError> {
    actor.require(Permission::ManageTemplates)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let (before, after) =
            phase_templates::update(tx.conn, id, &input.name, &input.description, input.texts)?;
        tx.audit(
            "templates.update",
            ("template_set", Some(id)),
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
    .await
}

/// Copies the shipped default texts into the database when no set exists
/// yet (at start-up, before there is a [`Context`]), audited as "sitrep".
pub fn ensure_default(conn: &mut DbConn, texts: Vec<PhaseText>) -> Result<(), StoreError> {
    conn.write_transaction(|conn| {
        if phase_templates::count(conn)? == 0 {
            let created = phase_templates::create(
                conn,
                DEFAULT_SET,
                "Shipped with Sitrep: plain, calm wording for each phase.",
                texts,
            )?;
            audit::record::<(), _>(
                conn,
                "sitrep",
                "templates.create",
                ("template_set", Some(created.id)),
                None,
                Some(&created),
            )?;
            revision::bump(conn)?;
        }
        Ok(())
    })
}
