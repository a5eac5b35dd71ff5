//! The webhook outbox (`webhook_deliveries`): one row per event per
//! webhook, written in the transaction of the change it announces, claimed
//! and retried through the shared [`queue`] exactly like the email outbox:
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, `UPDATE … RETURNING` under
//! `BEGIN IMMEDIATE` on SQLite. Only deliveries of webhooks that are turned
//! on are claimed.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::webhooks::Webhook;
use crate::db::queue::{self, DeliveryStatus, FailedAttempt};
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{now, DbConn, StoreError};
use crate::domain::webhook::Event;
use crate::on_backend;

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

impl queue::Queued for WebhookDelivery {
    const QUEUE: &'static queue::Queue = &queue::WEBHOOKS;
    fn id(&self) -> i64 {
        self.id
    }
}

/// Writes one pending delivery of `body` per webhook in `targets`.
pub fn insert(
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

/// The latest deliveries of a webhook, newest first.
pub fn of_webhook(
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
    queue::claim(conn, owner, now, batch, lease)
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
/// it `pending` with its next attempt pushed back by the queue's
/// [`queue::backoff`], or `failed` after [`queue::MAX_WEBHOOK_ATTEMPTS`].
/// Also notes the receiver's answer on the delivery and the outcome on the
/// webhook. Returns the new status.
pub fn record_attempt(
    conn: &mut DbConn,
    attempt: &Attempt,
    at: NaiveDateTime,
) -> Result<DeliveryStatus, StoreError> {
    use webhook_deliveries::dsl as d;
    let code = attempt.status_code.map(i32::from);
    conn.write_transaction(|conn| {
        // The answer first, while the delivery is still pending.
        on_backend!(conn, |c| diesel::update(
            d::webhook_deliveries
                .filter(d::id.eq(attempt.delivery_id))
                .filter(d::status.eq(DeliveryStatus::Pending.as_str()))
        )
        .set(d::last_status_code.eq(code))
        .execute(c))?;
        let webhook = webhooks::table.find(attempt.webhook_id);
        match &attempt.error {
            None => {
                queue::mark_sent(conn, &queue::WEBHOOKS, &[attempt.delivery_id], at)?;
                on_backend!(conn, |c| diesel::update(webhook)
                    .set(webhooks::last_success_at.eq(Some(at)))
                    .execute(c))?;
                Ok(DeliveryStatus::Sent)
            }
            Some(error) => {
                let failure = FailedAttempt {
                    delivery_id: attempt.delivery_id,
                    attempts_before: attempt.attempts_before,
                    error: error.clone(),
                    permanent: false,
                };
                let status = queue::mark_failed(
                    conn,
                    &queue::WEBHOOKS,
                    &failure,
                    at,
                    queue::FIRST_BACKOFF_SECONDS,
                )?;
                let error = queue::truncate_error(error);
                on_backend!(conn, |c| diesel::update(webhook)
                    .set((
                        webhooks::last_failure_at.eq(Some(at)),
                        webhooks::last_failure.eq(Some(&error)),
                    ))
                    .execute(c))?;
                Ok(status)
            }
        }
    })
}
