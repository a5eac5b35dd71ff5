//! Webhooks: the Statuspage-shaped bodies written to `webhook_deliveries`
//! (see [`crate::db::models::webhook_deliveries`]) and the sender that POSTs them,
//! signed, and retries what a receiver did not take.
//!
//! Bodies follow Atlassian Statuspage's webhooks:
//! `{"meta": {…}, "page": {"id", "status_indicator", "status_description"},
//! "incident": {…}}` for incidents and maintenance (the `/api/v2` objects),
//! `{"meta", "page", "component_update": {…}, "component": {…}}` for a
//! component's change of status.
//!
//! Request headers: `Content-Type: application/json`,
//! `User-Agent: Sitrep-Webhook/<version>`, `X-Sitrep-Event: <event>`,
//! `X-Sitrep-Delivery: <delivery id>` (the same on every retry: receivers
//! de-duplicate on it), `X-Sitrep-Timestamp: <Unix seconds>` and
//! `X-Sitrep-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
//! ([`crate::domain::webhook::signature`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::NaiveDateTime;
use serde_json::{json, Value};

use crate::config::Settings;
use crate::db::models::components::Component;
use crate::db::models::incidents::IncidentWithUpdates;
use crate::db::models::maintenances::MaintenanceWithDetails;
use crate::db::models::webhook_deliveries::{self as deliveries, Attempt, WebhookDelivery};
use crate::db::queue::DeliveryStatus;
use crate::db::{Db, StoreError};
use crate::domain::page_status::PageStatus;
use crate::domain::status::{Audience, ComponentStatus};
use crate::domain::token::random_secret;
use crate::domain::webhook::{signature, Event};
use crate::render::statuspage::{timestamp, ComponentJson};
use crate::telemetry::metrics::Metrics;

/// How long a receiver has to answer one request.
pub const TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// How often an idle sender looks for due deliveries.
pub const POLL_INTERVAL: StdDuration = StdDuration::from_secs(1);
/// How long a claim holds its deliveries (longer than a batch can take).
pub use crate::db::queue::LEASE_SECONDS;
/// Deliveries claimed (and sent concurrently) per batch.
pub const BATCH: i64 = 20;
/// The most of a receiver's answer kept for the console.
const ANSWER_CHARS: usize = 300;

fn envelope(
    event: Event,
    banner: &PageStatus,
    settings: &Settings,
) -> serde_json::Map<String, Value> {
    let mut body = serde_json::Map::new();
    body.insert(
        "meta".into(),
        json!({
            "unsubscribe": settings.url("/admin/webhooks"),
            "documentation": settings.url("/api/v1/openapi.json"),
            "generated_at": timestamp(crate::db::now()),
            "event": event.as_str(),
        }),
    );
    body.insert(
        "page".into(),
        json!({
            "id": settings.page_id,
            "status_indicator": banner.indicator.as_str(),
            "status_description": banner.description,
        }),
    );
    body
}

/// An incident event: the customers' `/api/v2` incident object with its
/// customer-facing updates under `incident`.
pub fn incident_payload(
    settings: &Settings,
    event: Event,
    banner: &PageStatus,
    incident: &IncidentWithUpdates,
    components: &[Component],
) -> Value {
    let mut body = envelope(event, banner, settings);
    body.insert(
        "incident".into(),
        crate::render::incidents::incident_json(incident, Audience::External, settings, components),
    );
    Value::Object(body)
}

/// A component's change of status.
pub fn component_payload(
    settings: &Settings,
    banner: &PageStatus,
    change_id: i64,
    old_status: ComponentStatus,
    component: &Component,
) -> Value {
    let mut body = envelope(Event::ComponentUpdated, banner, settings);
    body.insert(
        "component_update".into(),
        json!({
            "created_at": timestamp(component.updated_at),
            "new_status": component.status,
            "old_status": old_status,
            "id": change_id.to_string(),
            "component_id": component.id.to_string(),
        }),
    );
    body.insert(
        "component".into(),
        serde_json::to_value(ComponentJson::component(component, &settings.page_id))
            .unwrap_or(Value::Null),
    );
    Value::Object(body)
}

/// A maintenance event: the `/api/v2` scheduled-maintenance object under
/// `incident`, as Statuspage sends it.
pub fn maintenance_payload_for(
    settings: &Settings,
    event: Event,
    banner: &PageStatus,
    m: &MaintenanceWithDetails,
) -> Value {
    let mut body = envelope(event, banner, settings);
    body.insert(
        "incident".into(),
        crate::render::maintenance::statuspage_json(m, &settings.page_id, settings),
    );
    Value::Object(body)
}

/// The body of "send a test event".
pub fn test_payload(settings: &Settings, banner: &PageStatus, actor: &str) -> Value {
    let mut body = envelope(Event::Test, banner, settings);
    body.insert(
        "test".into(),
        json!({
            "message": format!("A test event from {}, sent by {actor}.", settings.page_name),
        }),
    );
    Value::Object(body)
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub claimed: usize,
    pub sent: usize,
    /// Failed; pending again with a later next attempt.
    pub retrying: usize,
    /// Given up after the last allowed attempt.
    pub failed: usize,
}

/// Claims due webhook deliveries and POSTs them.
pub struct Sender {
    db: Db,
    client: reqwest::Client,
    owner: String,
    batch: i64,
    lease: chrono::Duration,
    /// Where sent and failed deliveries are counted (`GET /metrics`).
    metrics: Arc<Metrics>,
}

impl Sender {
    pub fn new(db: Db) -> anyhow::Result<Sender> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            // A receiver that moved answers 3xx: that is a failed attempt to
            // look into, not a reason to send signed events elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(format!("Sitrep-Webhook/{}", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Sender {
            db,
            client,
            owner: format!(
                "webhooks-{}-{}",
                std::process::id(),
                &random_secret("")[..12]
            ),
            batch: BATCH,
            lease: chrono::Duration::seconds(LEASE_SECONDS),
            metrics: Arc::new(Metrics::default()),
        })
    }

    /// This sender, counting what it sends in `metrics` (the service's own,
    /// instead of a private set nobody reads).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Sender {
        self.metrics = metrics;
        self
    }

    /// Claims one batch of deliveries due at `now`, sends them concurrently
    /// and records every outcome. Tests pass a later `now` to reach retries.
    #[tracing::instrument(skip_all, fields(owner = %self.owner))]
    pub async fn run_once(&self, now: NaiveDateTime) -> Result<BatchReport, StoreError> {
        let (owner, batch, lease) = (self.owner.clone(), self.batch, self.lease);
        let claimed = self
            .db
            .run(move |conn| deliveries::claim(conn, &owner, now, batch, lease))
            .await?;
        if claimed.is_empty() {
            return Ok(BatchReport::default());
        }
        let mut hook_ids: Vec<i64> = claimed.iter().map(|d| d.webhook_id).collect();
        hook_ids.sort_unstable();
        hook_ids.dedup();
        let targets: HashMap<i64, (String, String)> = self
            .db
            .run(move |conn| deliveries::secrets(conn, &hook_ids))
            .await?
            .into_iter()
            .map(|(id, url, secret)| (id, (url, secret)))
            .collect();
        let mut tasks = Vec::with_capacity(claimed.len());
        for delivery in &claimed {
            let Some((url, secret)) = targets.get(&delivery.webhook_id).cloned() else {
                continue;
            };
            let client = self.client.clone();
            let delivery = delivery.clone();
            tasks.push(tokio::spawn(async move {
                let (status_code, error) = post(&client, &url, &secret, &delivery).await;
                Attempt {
                    delivery_id: delivery.id,
                    webhook_id: delivery.webhook_id,
                    attempts_before: delivery.attempts,
                    status_code,
                    error,
                }
            }));
        }
        let mut attempts = Vec::with_capacity(tasks.len());
        for task in tasks {
            match task.await {
                Ok(attempt) => attempts.push(attempt),
                Err(err) => tracing::error!(error = %err, "a webhook request task failed"),
            }
        }
        let at = now.max(crate::db::now());
        let mut report = BatchReport {
            claimed: claimed.len(),
            ..BatchReport::default()
        };
        let outcomes = self
            .db
            .run(move |conn| {
                attempts
                    .iter()
                    .map(|a| Ok((a.clone(), deliveries::record_attempt(conn, a, at)?)))
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .await?;
        for (attempt, status) in outcomes {
            match status {
                DeliveryStatus::Sent => report.sent += 1,
                DeliveryStatus::Failed => {
                    report.failed += 1;
                    tracing::warn!(delivery = attempt.delivery_id, webhook = attempt.webhook_id,
                        error = ?attempt.error, "a webhook delivery was given up");
                }
                _ => {
                    report.retrying += 1;
                    tracing::info!(delivery = attempt.delivery_id, webhook = attempt.webhook_id,
                        error = ?attempt.error, "a webhook delivery will be retried");
                }
            }
        }
        self.metrics
            .webhooks_done(report.sent, report.retrying + report.failed);
        Ok(report)
    }

    /// Runs batches for as long as the process lives.
    pub async fn run_forever(self) {
        loop {
            match self.run_once(crate::db::now()).await {
                Ok(report) if report.claimed as i64 >= self.batch => continue,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "the webhook sender could not run a batch")
                }
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}

/// One signed POST; returns the status code (if any) and the error (`None`: 2xx).
async fn post(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    delivery: &WebhookDelivery,
) -> (Option<u16>, Option<String>) {
    let body = delivery.payload_json.clone().into_bytes();
    let sent_at = chrono::Utc::now().timestamp();
    let request = client
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Sitrep-Event", &delivery.event_type)
        .header("X-Sitrep-Delivery", delivery.id.to_string())
        .header("X-Sitrep-Timestamp", sent_at.to_string())
        .header("X-Sitrep-Signature", signature(secret, sent_at, &body))
        .body(body);
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            if status.is_success() {
                (Some(status.as_u16()), None)
            } else {
                let text = response.text().await.unwrap_or_default();
                let text: String = text.trim().chars().take(ANSWER_CHARS).collect();
                let error = if text.is_empty() {
                    format!("the receiver answered {status}")
                } else {
                    format!("the receiver answered {status}: {text}")
                };
                (Some(status.as_u16()), Some(error))
            }
        }
        Err(err) if err.is_timeout() => (
            None,
            Some(format!("no answer within {} s", TIMEOUT.as_secs())),
        ),
        Err(err) => (None, Some(describe(&err))),
    }
}

/// A reqwest error with its causes ("error sending request: connection refused").
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Starts the background webhook sender, unless this instance's worker is
/// turned off (`SITREP_WORKER=false`, the same switch as the email sender).
pub fn spawn(settings: &Settings, db: Db, metrics: Arc<Metrics>) -> anyhow::Result<()> {
    if !settings.worker {
        tracing::info!("the webhook sender is off on this instance (SITREP_WORKER=false)");
        return Ok(());
    }
    let sender = Sender::new(db)?.with_metrics(metrics);
    tracing::info!(owner = %sender.owner, "the webhook sender is running");
    tokio::spawn(sender.run_forever());
    Ok(())
}
