//! Webhooks: register (the secret is shown once, by the caller), turn off
//! and on, delete, send a test event. None of it changes what the pages
//! show.

use super::{Actor, Context};
use crate::db::models::webhook_deliveries;
use crate::db::models::webhooks::{self, NewWebhook, Webhook};
use crate::domain::role::Permission;
use crate::domain::webhook::Event;
use crate::domain::Invalid;
use crate::error::AppError;
use crate::notify::webhook::test_payload;

/// Registers a webhook; the returned one carries its secret.
pub async fn create(ctx: &Context, actor: &Actor, new: NewWebhook) -> Result<Webhook, AppError> {
    actor.require(Permission::ManageComponents)?;
    if !(new.incident_events || new.component_events || new.maintenance_events) {
        return Err(Invalid::new(
            "Choose at least one kind of event: incidents, components or maintenance.",
        )
        .into());
    }
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let created = webhooks::create(tx.conn, tx.actor, &new)?;
        tx.audit::<(), _>(
            "webhook.create",
            ("webhook", Some(created.id)),
            None,
            Some(&created),
        )?;
        Ok(created)
    })
    .await
}

/// Turns a webhook off (it gets no new events and its pending ones wait)
/// or back on.
pub async fn set_enabled(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    enabled: bool,
) -> Result<Webhook, AppError> {
    actor.require(Permission::ManageComponents)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let (before, after) = webhooks::set_enabled(tx.conn, id, enabled)?;
        let action = if enabled {
            "webhook.enable"
        } else {
            "webhook.disable"
        };
        tx.audit(action, ("webhook", Some(id)), Some(&before), Some(&after))?;
        Ok(after)
    })
    .await
}

/// Deletes a webhook with its deliveries; returns it as it was.
pub async fn delete(ctx: &Context, actor: &Actor, id: i64) -> Result<Webhook, AppError> {
    actor.require(Permission::ManageComponents)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let before = webhooks::delete(tx.conn, id)?;
        tx.audit::<_, ()>("webhook.delete", ("webhook", Some(id)), Some(&before), None)?;
        Ok(before)
    })
    .await
}

/// Queues a test event to one webhook, which must be turned on; returns
/// the delivery's id.
pub async fn send_test(ctx: &Context, actor: &Actor, id: i64) -> Result<i64, AppError> {
    actor.require(Permission::ManageComponents)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let webhook = webhooks::get(tx.conn, id)?;
        if webhook.disabled_at.is_some() {
            return Err(Invalid::new(
                "This webhook is turned off: turn it on to send it a test event.",
            )
            .into());
        }
        let banner = webhooks::page_banner(tx.conn)?;
        let body = test_payload(tx.settings, &banner, tx.actor);
        let ids = webhook_deliveries::insert(tx.conn, &[webhook], Event::Test, &body)?;
        let delivery_id = ids[0];
        tx.audit::<(), _>(
            "webhook.test",
            ("webhook", Some(id)),
            None,
            Some(&serde_json::json!({"event": Event::Test.as_str(), "delivery_id": delivery_id})),
        )?;
        Ok(delivery_id)
    })
    .await
}
