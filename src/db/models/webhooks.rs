//! Webhook subscriptions and their outbox (`webhook_deliveries`).
//!
//! The hook functions ([`incident_posted`], [`incident_edited`],
//! [`component_changed`]) are called by the incident and component writes
//! inside their own write transaction: one delivery per
//! enabled webhook that chose the event's category is written if and only
//! if the change is, with its body rendered there and then (so the page
//! status in it is the banner right after the change, and every retry sends
//! the same bytes). Customers' view only: internal-only incidents and
//! updates, internal text and internal components never go out.
//!
//! The sender claims due deliveries with a lease exactly like the email
//! outbox ([`crate::db::models::outbox::claim`]): `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, `UPDATE … RETURNING` under `BEGIN IMMEDIATE` on SQLite.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::components;
use super::{audit, incidents};
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{now, DbConn, StoreError};
use crate::domain::page_status::{page_status_with_incidents, PageStatus};
use crate::domain::status::{Audience, ComponentStatus};
use crate::domain::webhook::{Event, EventCategory, WebhookSecret, WebhookUrl, MAX_ATTEMPTS};
use crate::db::models::outbox::{backoff, DeliveryStatus};
use crate::notify::webhook as payload;
use crate::on_backend;

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

/// One event to one webhook.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Serialize)]
#[diesel(table_name = webhook_deliveries)]
pub struct WebhookDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_type: String,
    pub payload_json: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
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

/// Registers a webhook and records it in the audit log.
pub fn create(conn: &mut DbConn, actor: &str, new: &NewWebhook) -> Result<Webhook, StoreError> {
    if !(new.incident_events || new.component_events || new.maintenance_events) {
        return Err(crate::domain::Invalid::new(
            "Choose at least one kind of event: incidents, components or maintenance.",
        )
        .into());
    }
    conn.write_transaction(|conn| {
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
        let created = get(conn, id)?;
        audit::record::<(), _>(
            conn,
            actor,
            "webhook.create",
            ("webhook", Some(id)),
            None,
            Some(&created),
        )?;
        Ok(created)
    })
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

/// Turns a webhook off (it gets no new events and its pending ones wait) or back on.
pub fn set_enabled(
    conn: &mut DbConn,
    actor: &str,
    id: i64,
    enabled: bool,
) -> Result<Webhook, StoreError> {
    conn.write_transaction(|conn| {
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
        audit::record(
            conn,
            actor,
            if enabled {
                "webhook.enable"
            } else {
                "webhook.disable"
            },
            ("webhook", Some(id)),
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

/// Deletes a webhook with its deliveries.
pub fn delete(conn: &mut DbConn, actor: &str, id: i64) -> Result<Webhook, StoreError> {
    conn.write_transaction(|conn| {
        let before = get(conn, id)?;
        on_backend!(conn, |c| {
            diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
                .execute(c)?;
            diesel::delete(webhooks::table.find(id)).execute(c)
        })?;
        audit::record::<_, ()>(
            conn,
            actor,
            "webhook.delete",
            ("webhook", Some(id)),
            Some(&before),
            None,
        )?;
        Ok(before)
    })
}

/// The latest deliveries of a webhook, newest first.
pub fn deliveries_of(
    conn: &mut DbConn,
    webhook_id: i64,
    limit: i64,
) -> Result<Vec<WebhookDelivery>, StoreError> {
    Ok(on_backend!(conn, |c| webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(WebhookDelivery::as_select())
        .load(c))?)
}

/// Queues a test event to one webhook, which must be turned on.
pub fn enqueue_test(conn: &mut DbConn, actor: &str, id: i64) -> Result<i64, StoreError> {
    conn.write_transaction(|conn| {
        let webhook = get(conn, id)?;
        if webhook.disabled_at.is_some() {
            return Err(crate::domain::Invalid::new(
                "This webhook is turned off: turn it on to send it a test event.",
            )
            .into());
        }
        let banner = page_banner(conn)?;
        let body = payload::test_payload(&payload::site(), &banner, actor);
        let ids = insert_deliveries(conn, &[webhook], Event::Test, &body)?;
        audit::record::<(), _>(
            conn,
            actor,
            "webhook.test",
            ("webhook", Some(id)),
            None,
            Some(&serde_json::json!({"event": Event::Test.as_str(), "delivery_id": ids[0]})),
        )?;
        Ok(ids[0])
    })
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

/// Writes one pending delivery of `body` per webhook in `targets`.
pub fn insert_deliveries(
    conn: &mut DbConn,
    targets: &[Webhook],
    event: Event,
    body: &serde_json::Value,
) -> Result<Vec<i64>, StoreError> {
    let at = now();
    let json = body.to_string();
    let mut ids = Vec::with_capacity(targets.len());
    for webhook in targets {
        ids.push(on_backend!(conn, |c| diesel::insert_into(
            webhook_deliveries::table
        )
        .values((
            webhook_deliveries::webhook_id.eq(webhook.id),
            webhook_deliveries::event_type.eq(event.as_str()),
            webhook_deliveries::payload_json.eq(&json),
            webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(at),
            webhook_deliveries::created_at.eq(at),
        ))
        .returning(webhook_deliveries::id)
        .get_result::<i64>(c))?);
    }
    Ok(ids)
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

// ---- the sender's side ----

/// Takes up to `batch` deliveries due at `now` whose webhook is enabled and
/// leases them to `owner` until `now + lease`; an expired lease is taken over.
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    now: NaiveDateTime,
    batch: i64,
    lease: Duration,
) -> Result<Vec<WebhookDelivery>, StoreError> {
    use webhook_deliveries::dsl as d;
    let until = now + lease;
    let mut claimed = conn.write_transaction(|conn| -> Result<_, StoreError> {
        Ok(match conn {
            DbConn::Postgres(c) => {
                let enabled = webhooks::table
                    .filter(webhooks::disabled_at.is_null())
                    .select(webhooks::id);
                let ids: Vec<i64> = d::webhook_deliveries
                    .select(d::id)
                    .filter(d::status.eq(DeliveryStatus::Pending.as_str()))
                    .filter(d::next_attempt_at.le(now))
                    .filter(d::lease_until.is_null().or(d::lease_until.lt(now)))
                    .filter(d::webhook_id.eq_any(enabled))
                    .order((d::next_attempt_at, d::id))
                    .limit(batch)
                    .for_update()
                    .skip_locked()
                    .load(c)?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                diesel::update(d::webhook_deliveries.filter(d::id.eq_any(&ids)))
                    .set((d::lease_owner.eq(owner), d::lease_until.eq(until)))
                    .returning(WebhookDelivery::as_returning())
                    .get_results(c)?
            }
            DbConn::Sqlite(c) => {
                use diesel::sql_types::{BigInt, Text, Timestamp};
                diesel::sql_query(
                    "UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ? \
                     WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' \
                     AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) \
                     AND webhook_id IN (SELECT id FROM webhooks WHERE disabled_at IS NULL) \
                     ORDER BY next_attempt_at, id LIMIT ?) RETURNING *",
                )
                .bind::<Text, _>(owner)
                .bind::<Timestamp, _>(until)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(batch)
                .load::<WebhookDelivery>(c)?
            }
        })
    })?;
    claimed.sort_by_key(|delivery| delivery.id);
    Ok(claimed)
}

/// The secrets of these webhooks, for signing.
pub fn secrets(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, String, String)>, StoreError> {
    Ok(on_backend!(conn, |c| webhooks::table
        .filter(webhooks::id.eq_any(ids))
        .select((webhooks::id, webhooks::url, webhooks::secret))
        .load(c))?)
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery_id: i64,
    pub webhook_id: i64,
    /// Attempts made before this one.
    pub attempts_before: i32,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// `None`: a 2xx answer.
    pub error: Option<String>,
}

/// Records an attempt: a 2xx makes the delivery `sent`; anything else keeps
/// it `pending` with its next attempt pushed back by the outbox's
/// [`backoff`], or `failed` after [`MAX_ATTEMPTS`]. Also notes the outcome
/// on the webhook. Returns the new status.
pub fn record_attempt(
    conn: &mut DbConn,
    attempt: &Attempt,
    at: NaiveDateTime,
) -> Result<DeliveryStatus, StoreError> {
    use webhook_deliveries::dsl as d;
    let attempts = attempt.attempts_before.saturating_add(1);
    let code = attempt.status_code.map(i32::from);
    conn.write_transaction(|conn| {
        let target = d::webhook_deliveries
            .filter(d::id.eq(attempt.delivery_id))
            .filter(d::status.eq(DeliveryStatus::Pending.as_str()));
        let status = match &attempt.error {
            None => {
                on_backend!(conn, |c| diesel::update(target)
                    .set((
                        d::status.eq(DeliveryStatus::Sent.as_str()),
                        d::attempts.eq(attempts),
                        d::sent_at.eq(Some(at)),
                        d::lease_owner.eq(None::<String>),
                        d::lease_until.eq(None::<NaiveDateTime>),
                        d::last_status_code.eq(code),
                        d::last_error.eq(None::<String>),
                    ))
                    .execute(c))?;
                on_backend!(conn, |c| diesel::update(
                    webhooks::table.find(attempt.webhook_id)
                )
                .set(webhooks::last_success_at.eq(Some(at)))
                .execute(c))?;
                DeliveryStatus::Sent
            }
            Some(error) => {
                let status = if attempts >= MAX_ATTEMPTS {
                    DeliveryStatus::Failed
                } else {
                    DeliveryStatus::Pending
                };
                let error: String = error.chars().take(2000).collect();
                on_backend!(conn, |c| diesel::update(target)
                    .set((
                        d::status.eq(status.as_str()),
                        d::attempts.eq(attempts),
                        d::next_attempt_at.eq(at + backoff(attempts)),
                        d::lease_owner.eq(None::<String>),
                        d::lease_until.eq(None::<NaiveDateTime>),
                        d::last_status_code.eq(code),
                        d::last_error.eq(Some(&error)),
                    ))
                    .execute(c))?;
                on_backend!(conn, |c| diesel::update(
                    webhooks::table.find(attempt.webhook_id)
                )
                .set((
                    webhooks::last_failure_at.eq(Some(at)),
                    webhooks::last_failure.eq(Some(&error)),
                ))
                .execute(c))?;
                status
            }
        };
        Ok(status)
    })
}
