//! Webhook subscriptions (`webhooks`): register, list, turn off and on,
//! delete; and what the webhook channel reads inside a write (the enabled
//! webhooks of a category, the customers' banner). Their outbox is
//! [`super::webhook_deliveries`].
//!
//! The webhook channel of the application layer (`app::events`) decides
//! what to send and writes the deliveries inside the change's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::components;
use super::incidents;
use crate::db::queue::DeliveryStatus;
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{now, DbConn, StoreError};
use crate::domain::page_status::{page_status_with_incidents, PageStatus};
use crate::domain::status::{Audience, ComponentStatus};
use crate::domain::webhook::{EventCategory, WebhookSecret, WebhookUrl};
use crate::on_backend;

pub use super::webhook_deliveries::{insert as insert_deliveries, WebhookDelivery};

/// A registered webhook. The secret is left out of what is serialised (the
/// audit log, the API): it is shown once, when it is created.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub description: String,
    pub incident_events: bool,
    pub component_events: bool,
    pub maintenance_events: bool,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_failure_at: Option<NaiveDateTime>,
    pub last_failure: Option<String>,
}

impl Webhook {
    pub fn wants(&self, category: EventCategory) -> bool {
        match category {
            EventCategory::Incident => self.incident_events,
            EventCategory::Component => self.component_events,
            EventCategory::Maintenance => self.maintenance_events,
        }
    }

    /// The categories chosen, for lists.
    pub fn categories(&self) -> Vec<EventCategory> {
        [
            EventCategory::Incident,
            EventCategory::Component,
            EventCategory::Maintenance,
        ]
        .into_iter()
        .filter(|c| self.wants(*c))
        .collect()
    }
}

/// A new webhook; every field validated.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: WebhookUrl,
    pub secret: WebhookSecret,
    pub description: String,
    pub incident_events: bool,
    pub component_events: bool,
    pub maintenance_events: bool,
}

/// A webhook with how its deliveries went, for the console and the API.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookSummary {
    pub webhook: Webhook,
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    /// The latest finished attempt of any of its deliveries.
    pub last_delivery: Option<WebhookDelivery>,
}

fn missing(id: i64) -> StoreError {
    StoreError::not_found(format!("There is no webhook with id {id}."))
}

/// Registers a webhook, created by `actor`.
pub fn create(conn: &mut DbConn, actor: &str, new: &NewWebhook) -> Result<Webhook, StoreError> {
    let id = on_backend!(conn, |c| diesel::insert_into(webhooks::table)
        .values((
            webhooks::url.eq(new.url.as_str()),
            webhooks::secret.eq(new.secret.as_str()),
            webhooks::description.eq(&new.description),
            webhooks::incident_events.eq(new.incident_events),
            webhooks::component_events.eq(new.component_events),
            webhooks::maintenance_events.eq(new.maintenance_events),
            webhooks::created_by.eq(actor),
            webhooks::created_at.eq(now()),
        ))
        .returning(webhooks::id)
        .get_result::<i64>(c))?;
    get(conn, id)
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Webhook, StoreError> {
    on_backend!(conn, |c| webhooks::table
        .find(id)
        .select(Webhook::as_select())
        .first(c)
        .optional())?
    .ok_or_else(|| missing(id))
}

/// Every webhook, oldest first.
pub fn list(conn: &mut DbConn) -> Result<Vec<Webhook>, StoreError> {
    Ok(on_backend!(conn, |c| webhooks::table
        .select(Webhook::as_select())
        .order(webhooks::id.asc())
        .load(c))?)
}

/// Every webhook with its delivery counts and latest finished attempt.
pub fn summaries(conn: &mut DbConn) -> Result<Vec<WebhookSummary>, StoreError> {
    let all = list(conn)?;
    let counts: Vec<(i64, String, i64)> = on_backend!(conn, |c| webhook_deliveries::table
        .group_by((webhook_deliveries::webhook_id, webhook_deliveries::status))
        .select((
            webhook_deliveries::webhook_id,
            webhook_deliveries::status,
            diesel::dsl::count_star(),
        ))
        .load(c))?;
    let mut out = Vec::with_capacity(all.len());
    for webhook in all {
        let count = |status: DeliveryStatus| {
            counts
                .iter()
                .filter(|(w, s, _)| *w == webhook.id && s == status.as_str())
                .map(|(_, _, n)| *n)
                .sum()
        };
        let id = webhook.id;
        let last_delivery = on_backend!(conn, |c| webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .filter(webhook_deliveries::attempts.gt(0))
            .order(webhook_deliveries::id.desc())
            .select(WebhookDelivery::as_select())
            .first(c)
            .optional())?;
        out.push(WebhookSummary {
            pending: count(DeliveryStatus::Pending),
            sent: count(DeliveryStatus::Sent),
            failed: count(DeliveryStatus::Failed),
            last_delivery,
            webhook,
        });
    }
    Ok(out)
}

/// Turns a webhook off (it gets no new events and its pending ones wait)
/// or back on; returns it before and after.
pub fn set_enabled(
    conn: &mut DbConn,
    id: i64,
    enabled: bool,
) -> Result<(Webhook, Webhook), StoreError> {
    let before = get(conn, id)?;
    let disabled_at = if enabled {
        None
    } else {
        Some(before.disabled_at.unwrap_or_else(now))
    };
    on_backend!(conn, |c| diesel::update(webhooks::table.find(id))
        .set(webhooks::disabled_at.eq(disabled_at))
        .execute(c))?;
    let after = get(conn, id)?;
    Ok((before, after))
}

/// Deletes a webhook with its deliveries; returns it as it was.
pub fn delete(conn: &mut DbConn, id: i64) -> Result<Webhook, StoreError> {
    let before = get(conn, id)?;
    on_backend!(conn, |c| {
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
            .execute(c)?;
        diesel::delete(webhooks::table.find(id)).execute(c)
    })?;
    Ok(before)
}

// ---- hooks called inside the writes that change what customers see ----

/// Enabled webhooks that chose `category`.
pub fn subscribed(conn: &mut DbConn, category: EventCategory) -> Result<Vec<Webhook>, StoreError> {
    let all: Vec<Webhook> = on_backend!(conn, |c| webhooks::table
        .filter(webhooks::disabled_at.is_null())
        .select(Webhook::as_select())
        .order(webhooks::id.asc())
        .load(c))?;
    Ok(all.into_iter().filter(|w| w.wants(category)).collect())
}

/// The customers' banner as it stands inside the current transaction: the
/// external components' statuses raised by unresolved incidents that have
/// customer-facing text (as the public page computes it).
pub fn page_banner(conn: &mut DbConn) -> Result<PageStatus, StoreError> {
    let statuses: Vec<ComponentStatus> = components::list(conn)?
        .into_iter()
        .filter(|c| c.audience.visible_to(Audience::External))
        .map(|c| c.status)
        .collect();
    let mut impacts = Vec::new();
    for incident in incidents::unresolved(conn)? {
        if incidents::updates(conn, incident.id)?
            .iter()
            .any(|u| u.external_body.is_some())
        {
            impacts.push(incident.impact);
        }
    }
    Ok(page_status_with_incidents(&statuses, &impacts))
}
