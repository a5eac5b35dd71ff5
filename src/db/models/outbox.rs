//! The outbox tables: `notifications` (one per thing to announce) and
//! `deliveries` (one per recipient of it), and the queries senders use on
//! them: enqueue, claim with a lease, mark sent, mark failed with backoff.
//!
//! Every function takes the caller's connection, so a notification can be
//! written inside the same write transaction as the change it announces
//! (`write_transaction` nests as a savepoint).
//!
//! Two ways in:
//! - [`enqueue`]: a notification with its (few) recipients, fanned out at
//!   once (confirmation and test emails);
//! - [`create_fan_out`]: a notification for the subscribers of an audience,
//!   written with its component filter only; the worker's fan-out step
//!   ([`crate::db::models::subscribers::fan_out_batch`]) adds its deliveries
//!   later, a batch of subscribers per transaction, with a cursor kept on
//!   the notification, and finally sets `fanned_out_at`.
//!
//! Why nothing is lost: the notification commits with the change; each
//! fan-out batch commits its deliveries together with the cursor (a crash
//! redoes at most one batch, and the `UNIQUE(notification_id, recipient)`
//! rule makes redoing it harmless); a claimed delivery that was sent but not
//! yet marked sent when the sender died is claimed again once its lease runs
//! out and resent with the Message-ID fixed when the delivery was written.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{deliveries, notifications};
use crate::db::{now, DbConn, StoreError};
use crate::domain::email::EmailAddress;
use crate::domain::status::Audience;
use crate::domain::Invalid;
use crate::on_backend;

/// Deliveries are inserted this many rows per statement.
pub const INSERT_BATCH: usize = 500;
/// The first retry waits this long by default (`retry_backoff_seconds`);
/// each further one twice as long as the last.
pub const FIRST_BACKOFF_SECONDS: i64 = 30;
/// Retries never wait longer than this.
pub const MAX_BACKOFF_SECONDS: i64 = 3600;
/// After this many failed attempts a transient failure is given up as failed.
pub const MAX_ATTEMPTS: i32 = 15;

/// What a notification is about; each kind has its email templates in
/// `templates/email/<kind>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// `sitrep mail test`: proves the path from the outbox to a mailbox.
    Test,
    /// Double opt-in: the link a new subscriber must follow.
    Confirmation,
    /// A notifying incident update, to the subscribers of one audience.
    IncidentUpdate,
    /// A maintenance was scheduled (subscribers of one audience).
    MaintenanceScheduled,
    /// A scheduled maintenance window starts soon (`maintenance_reminder` before).
    MaintenanceReminder,
    /// A maintenance started.
    MaintenanceStarted,
    /// A maintenance (or one window of a recurring one) completed.
    MaintenanceCompleted,
    /// The continuous-improvement digest of a period, to its recipients.
    Digest,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Test => "test",
            NotificationKind::Confirmation => "confirmation",
            NotificationKind::IncidentUpdate => "incident_update",
            NotificationKind::MaintenanceScheduled => "maintenance_scheduled",
            NotificationKind::MaintenanceReminder => "maintenance_reminder",
            NotificationKind::MaintenanceStarted => "maintenance_started",
            NotificationKind::MaintenanceCompleted => "maintenance_completed",
            NotificationKind::Digest => "digest",
        }
    }

    /// Sent to subscribers as a bulletin: personal links, `List-Unsubscribe`
    /// headers, and only while the subscriber is still active.
    pub fn is_bulletin(self) -> bool {
        matches!(
            self,
            NotificationKind::IncidentUpdate
                | NotificationKind::MaintenanceScheduled
                | NotificationKind::MaintenanceReminder
                | NotificationKind::MaintenanceStarted
                | NotificationKind::MaintenanceCompleted
        )
    }

    /// Sent to a subscriber, with their links (confirm, manage,
    /// unsubscribe): the confirmation and every bulletin.
    pub fn to_subscribers(self) -> bool {
        self == NotificationKind::Confirmation || self.is_bulletin()
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        match value {
            "test" => Ok(NotificationKind::Test),
            "confirmation" => Ok(NotificationKind::Confirmation),
            "incident_update" => Ok(NotificationKind::IncidentUpdate),
            "maintenance_scheduled" => Ok(NotificationKind::MaintenanceScheduled),
            "maintenance_reminder" => Ok(NotificationKind::MaintenanceReminder),
            "maintenance_started" => Ok(NotificationKind::MaintenanceStarted),
            "maintenance_completed" => Ok(NotificationKind::MaintenanceCompleted),
            "digest" => Ok(NotificationKind::Digest),
            other => Err(Invalid::new(format!(
                "Unknown notification kind {other:?}: this version knows test, confirmation, incident_update, maintenance_scheduled, maintenance_reminder, maintenance_started, maintenance_completed and digest."
            ))),
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (or in flight while a sender holds its lease).
    Pending,
    /// Accepted by the relay (or written to its `.eml` file).
    Sent,
    /// Refused for good (a 5xx answer), or given up after [`MAX_ATTEMPTS`].
    Failed,
    /// Skipped because the address bounces permanently (set by subscriber bookkeeping).
    Quarantined,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Quarantined => "quarantined",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        match value {
            "pending" => Ok(DeliveryStatus::Pending),
            "sent" => Ok(DeliveryStatus::Sent),
            "failed" => Ok(DeliveryStatus::Failed),
            "quarantined" => Ok(DeliveryStatus::Quarantined),
            other => Err(Invalid::new(format!("Unknown delivery status {other:?}."))),
        }
    }
}

/// A notification as the caller describes it.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub kind: NotificationKind,
    pub audience: Audience,
    /// What it is about, e.g. an incident update id, for finding it again.
    pub subject: Option<String>,
    /// Everything its templates need, as JSON.
    pub payload: serde_json::Value,
}

/// A stored notification.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub audience: String,
    pub subject: Option<String>,
    pub payload_json: String,
    pub created_at: NaiveDateTime,
    /// Set once every delivery exists; `None` while a fan-out is under way.
    pub fanned_out_at: Option<NaiveDateTime>,
    /// For a subscriber fan-out, the component ids (JSON array) a
    /// subscriber's filter must meet (an empty filter always does); `None`
    /// for a notification enqueued with its recipients.
    pub fan_out_components: Option<String>,
    /// The id of the last subscriber the fan-out has done.
    pub fan_out_cursor: i64,
}

impl Notification {
    /// Whether deliveries are still being added to it.
    pub fn fanning_out(&self) -> bool {
        self.fanned_out_at.is_none()
    }
}

/// One message to one recipient.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: i64,
    pub notification_id: i64,
    pub recipient: String,
    pub status: String,
    /// Attempts made so far (sent or failed).
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    /// `<delivery-{id}.{notification_id}@{site host}>`: written with the
    /// row, so every attempt (and a resend after a crash) carries the same one.
    pub message_id: String,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = notifications)]
struct NotificationRow<'a> {
    kind: &'a str,
    audience: &'a str,
    subject: Option<&'a str>,
    payload_json: String,
    created_at: NaiveDateTime,
    fanned_out_at: Option<NaiveDateTime>,
    fan_out_components: Option<String>,
}

/// Writes a notification that is not fanned out yet (a fan-out step adds its
/// deliveries later with [`add_deliveries`] and [`mark_fanned_out`]).
#[tracing::instrument(skip_all, fields(kind = new.kind.as_str()))]
pub fn create_notification(conn: &mut DbConn, new: &NewNotification) -> Result<i64, StoreError> {
    insert_notification(conn, new, None)
}

/// Writes a notification for the active subscribers of its audience whose
/// component filter is empty or meets `component_ids`, and nothing else:
/// the fan-out step adds the deliveries later, in batches. Cheap whatever
/// the number of subscribers, so it belongs inside the caller's transaction.
#[tracing::instrument(skip_all, fields(kind = new.kind.as_str()))]
pub fn create_fan_out(
    conn: &mut DbConn,
    new: &NewNotification,
    component_ids: &[i64],
) -> Result<i64, StoreError> {
    let mut ids = component_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    insert_notification(conn, new, Some(serde_json::json!(ids).to_string()))
}

fn insert_notification(
    conn: &mut DbConn,
    new: &NewNotification,
    fan_out_components: Option<String>,
) -> Result<i64, StoreError> {
    let row = NotificationRow {
        kind: new.kind.as_str(),
        audience: new.audience.as_str(),
        subject: new.subject.as_deref(),
        payload_json: new.payload.to_string(),
        created_at: now(),
        fanned_out_at: None,
        fan_out_components,
    };
    Ok(on_backend!(conn, |c| diesel::insert_into(
        notifications::table
    )
    .values(&row)
    .returning(notifications::id)
    .get_result::<i64>(c))?)
}

/// Writes a notification and one delivery per recipient, all or nothing.
/// Usable inside a caller's write transaction. `message_domain` is the
/// site's stable host name (the host of `base_url`), used in Message-IDs.
/// Returns the notification's id.
#[tracing::instrument(skip_all, fields(kind = new.kind.as_str(), recipients = recipients.len()))]
pub fn enqueue(
    conn: &mut DbConn,
    message_domain: &str,
    new: &NewNotification,
    recipients: &[EmailAddress],
) -> Result<i64, StoreError> {
    conn.write_transaction(|conn| {
        let id = create_notification(conn, new)?;
        add_deliveries(conn, message_domain, id, recipients)?;
        mark_fanned_out(conn, id)?;
        Ok(id)
    })
}

/// Adds one pending delivery per recipient to a notification, in batches of
/// [`INSERT_BATCH`]. A recipient that already has a delivery of this
/// notification is skipped, so a fan-out that is run again after a crash adds
/// only what is missing. Returns how many deliveries were added.
#[tracing::instrument(skip_all, fields(notification = notification_id, recipients = recipients.len()))]
pub fn add_deliveries(
    conn: &mut DbConn,
    message_domain: &str,
    notification_id: i64,
    recipients: &[EmailAddress],
) -> Result<usize, StoreError> {
    add_deliveries_due(conn, message_domain, notification_id, recipients, now())
}

/// [`add_deliveries`] with the first attempt due at `due` (a fan-out makes
/// its deliveries due when their notification was written).
pub fn add_deliveries_due(
    conn: &mut DbConn,
    message_domain: &str,
    notification_id: i64,
    recipients: &[EmailAddress],
    due: NaiveDateTime,
) -> Result<usize, StoreError> {
    let suffix = format!(".{notification_id}@{message_domain}>");
    conn.write_transaction(|conn| {
        let created_at = now();
        let mut added = 0;
        match conn {
            // The Message-ID is written with the row: the id comes from the
            // sequence in the same statement.
            DbConn::Postgres(c) => {
                use diesel::sql_types::{Array, BigInt, Text, Timestamp};
                for chunk in recipients.chunks(INSERT_BATCH) {
                    let addresses: Vec<&str> = chunk.iter().map(EmailAddress::as_str).collect();
                    added += diesel::sql_query(
                        "INSERT INTO deliveries (id, notification_id, recipient, status, attempts, \
                         next_attempt_at, message_id, created_at) \
                         SELECT id, $1, recipient, 'pending', 0, $2, '<delivery-' || id || $3, $4 \
                         FROM (SELECT nextval('deliveries_id_seq') AS id, recipient \
                               FROM unnest($5::text[]) AS recipient) AS new \
                         ON CONFLICT (notification_id, recipient) DO NOTHING",
                    )
                    .bind::<BigInt, _>(notification_id)
                    .bind::<Timestamp, _>(due)
                    .bind::<Text, _>(&suffix)
                    .bind::<Timestamp, _>(created_at)
                    .bind::<Array<Text>, _>(addresses)
                    .execute(c)?;
                }
            }
            // SQLite has one writer, so this transaction may number its rows
            // itself, past every id AUTOINCREMENT has handed out (a skipped
            // duplicate leaves a gap). diesel's SQLite batch insert does not
            // combine with ON CONFLICT, so the statement is written out.
            DbConn::Sqlite(c) => {
                use diesel::sql_types::{BigInt, Text, Timestamp};
                #[derive(QueryableByName)]
                struct Last {
                    #[diesel(sql_type = BigInt)]
                    id: i64,
                }
                let mut next = diesel::sql_query(
                    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'deliveries'), 0), \
                     coalesce((SELECT max(id) FROM deliveries), 0)) AS id",
                )
                .get_result::<Last>(c)?
                .id;
                for chunk in recipients.chunks(INSERT_BATCH) {
                    let sql = format!(
                        "INSERT INTO deliveries (id, notification_id, recipient, status, attempts, \
                         next_attempt_at, message_id, created_at) VALUES {} \
                         ON CONFLICT (notification_id, recipient) DO NOTHING",
                        vec!["(?, ?, ?, 'pending', 0, ?, ?, ?)"; chunk.len()].join(", ")
                    );
                    let mut query = diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>();
                    for recipient in chunk {
                        next += 1;
                        query = query
                            .bind::<BigInt, _>(next)
                            .bind::<BigInt, _>(notification_id)
                            .bind::<Text, _>(recipient.as_str())
                            .bind::<Timestamp, _>(due)
                            .bind::<Text, _>(format!("<delivery-{next}{suffix}"))
                            .bind::<Timestamp, _>(created_at);
                    }
                    added += query.execute(c)?;
                }
            }
        }
        Ok(added)
    })
}

/// Records that every delivery of the notification exists.
pub fn mark_fanned_out(conn: &mut DbConn, notification_id: i64) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::update(
        notifications::table.filter(notifications::id.eq(notification_id))
    )
    .set(notifications::fanned_out_at.eq(Some(now())))
    .execute(c))?;
    Ok(())
}

/// The oldest subscriber notification still fanning out, locked for the
/// rest of the caller's write transaction. On PostgreSQL it is taken with
/// `FOR UPDATE SKIP LOCKED`, so fan-out steps on several instances each work
/// on a different notification (or find nothing) instead of waiting; on
/// SQLite the `BEGIN IMMEDIATE` transaction makes them take turns. Call it
/// inside `write_transaction`.
pub fn lock_next_fan_out(conn: &mut DbConn) -> Result<Option<Notification>, StoreError> {
    use notifications::dsl as n;
    Ok(match conn {
        DbConn::Postgres(c) => n::notifications
            .select(Notification::as_select())
            .filter(n::fanned_out_at.is_null())
            .filter(n::fan_out_components.is_not_null())
            .order(n::id)
            .limit(1)
            .for_update()
            .skip_locked()
            .first(c)
            .optional()?,
        DbConn::Sqlite(c) => n::notifications
            .select(Notification::as_select())
            .filter(n::fanned_out_at.is_null())
            .filter(n::fan_out_components.is_not_null())
            .order(n::id)
            .first(c)
            .optional()?,
    })
}

/// Moves a fan-out's cursor to `cursor` (the last subscriber id done) and,
/// when `done`, records that every delivery exists.
pub fn advance_fan_out(
    conn: &mut DbConn,
    notification_id: i64,
    cursor: i64,
    done: bool,
) -> Result<(), StoreError> {
    use notifications::dsl as n;
    let fanned_out_at = done.then(now);
    on_backend!(conn, |c| diesel::update(
        n::notifications.find(notification_id)
    )
    .set((
        n::fan_out_cursor.eq(cursor),
        n::fanned_out_at.eq(fanned_out_at),
    ))
    .execute(c))?;
    Ok(())
}

/// Takes up to `batch` deliveries that are due at `now` (pending, next
/// attempt reached, no live lease) and leases them to `owner` until
/// `now + lease`. A lease that ran out (its sender crashed) is taken over.
///
/// On PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so
/// senders on several instances never wait for, nor get, each other's rows;
/// on SQLite the `BEGIN IMMEDIATE` write transaction makes claimers take turns.
#[tracing::instrument(skip_all, fields(owner, batch))]
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    now: NaiveDateTime,
    batch: i64,
    lease: Duration,
) -> Result<Vec<Delivery>, StoreError> {
    let until = now + lease;
    let mut claimed = conn.write_transaction(|conn| -> Result<_, StoreError> {
        conn.commit_without_waiting_for_disk()?;
        // The status is written out, not bound: a prepared statement's
        // generic plan could not otherwise use the partial index of pending
        // deliveries.
        use diesel::sql_types::{BigInt, Text, Timestamp};
        Ok(match conn {
            DbConn::Postgres(c) => {
                // Read the queue in index order, whatever the statistics say.
                // They lag behind a large fan-out (a table of sent deliveries,
                // or a new one, looks as if few were pending), and the planner
                // then collects and sorts every pending delivery at each claim
                // (36 ms for 68,000) instead of reading the first few.
                diesel::connection::SimpleConnection::batch_execute(
                    c,
                    "SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off",
                )?;
                diesel::sql_query(
                    "UPDATE deliveries SET lease_owner = $1, lease_until = $2 \
                 WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' \
                 AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
                 ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING *",
                )
                .bind::<Text, _>(owner)
                .bind::<Timestamp, _>(until)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(batch)
                .load::<Delivery>(c)?
            }
            DbConn::Sqlite(c) => diesel::sql_query(
                "UPDATE deliveries SET lease_owner = ?, lease_until = ? \
                 WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' \
                 AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) \
                 ORDER BY next_attempt_at, id LIMIT ?) RETURNING *",
            )
            .bind::<Text, _>(owner)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(batch)
            .load::<Delivery>(c)?,
        })
    })?;
    claimed.sort_by_key(|delivery| delivery.id);
    Ok(claimed)
}

/// Marks deliveries as accepted by the relay, in one statement.
#[tracing::instrument(skip_all, fields(count = ids.len()))]
pub fn mark_sent(conn: &mut DbConn, ids: &[i64], at: NaiveDateTime) -> Result<usize, StoreError> {
    use diesel::sql_types::{Array, BigInt, Timestamp};
    if ids.is_empty() {
        return Ok(0);
    }
    // The rows are found by id. The status test is written so that it does
    // not match the partial index of pending deliveries: the planner, its
    // statistics lagging behind a large fan-out, would otherwise read the
    // whole queue for a batch (`+` on SQLite, a concatenation on PostgreSQL).
    let mut marked = 0;
    for chunk in ids.chunks(INSERT_BATCH) {
        marked += match conn {
            DbConn::Postgres(c) => diesel::sql_query(
                "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = $1, \
                 lease_owner = NULL, lease_until = NULL, last_error = NULL \
                 WHERE id = ANY($2) AND status || '' = 'pending'",
            )
            .bind::<Timestamp, _>(at)
            .bind::<Array<BigInt>, _>(chunk)
            .execute(c)?,
            DbConn::Sqlite(c) => {
                let sql = format!(
                    "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?, \
                     lease_owner = NULL, lease_until = NULL, last_error = NULL \
                     WHERE id IN ({}) AND +status = 'pending'",
                    vec!["?"; chunk.len()].join(", ")
                );
                let mut query = diesel::sql_query(sql)
                    .into_boxed::<diesel::sqlite::Sqlite>()
                    .bind::<Timestamp, _>(at);
                for id in chunk {
                    query = query.bind::<BigInt, _>(*id);
                }
                query.execute(c)?
            }
        };
    }
    Ok(marked)
}

/// A failed attempt to send one delivery.
#[derive(Debug, Clone)]
pub struct FailedAttempt {
    pub delivery_id: i64,
    /// Attempts made before this one (from the claimed [`Delivery`]).
    pub attempts_before: i32,
    pub error: String,
    /// The relay refused for good (5xx): no retry.
    pub permanent: bool,
}

/// How long to wait before the next attempt after `failed_attempts` failures:
/// 30 s, 1 min, 2 min, … capped at 1 h.
pub fn backoff(failed_attempts: i32) -> Duration {
    backoff_from(FIRST_BACKOFF_SECONDS, failed_attempts)
}

/// [`backoff`] with the first wait `first_seconds` (`retry_backoff_seconds`):
/// doubling after each failure, capped at 1 h.
pub fn backoff_from(first_seconds: i64, failed_attempts: i32) -> Duration {
    let exponent = failed_attempts.saturating_sub(1).clamp(0, 20) as u32;
    let seconds = first_seconds.max(1).saturating_mul(1_i64 << exponent);
    Duration::seconds(seconds.min(MAX_BACKOFF_SECONDS))
}

/// Records a failed attempt: a permanent failure (or the last allowed
/// attempt) makes the delivery `failed`; otherwise it stays `pending` with
/// its next attempt pushed back by [`backoff`]. Returns the new status.
#[tracing::instrument(skip_all, fields(delivery = failure.delivery_id, permanent = failure.permanent))]
pub fn mark_failed(
    conn: &mut DbConn,
    failure: &FailedAttempt,
    at: NaiveDateTime,
) -> Result<DeliveryStatus, StoreError> {
    mark_failed_with(conn, failure, at, FIRST_BACKOFF_SECONDS)
}

/// [`mark_failed`] with the first retry after `first_backoff_seconds`.
pub fn mark_failed_with(
    conn: &mut DbConn,
    failure: &FailedAttempt,
    at: NaiveDateTime,
    first_backoff_seconds: i64,
) -> Result<DeliveryStatus, StoreError> {
    use deliveries::dsl as d;
    let attempts = failure.attempts_before.saturating_add(1);
    let status = if failure.permanent || attempts >= MAX_ATTEMPTS {
        DeliveryStatus::Failed
    } else {
        DeliveryStatus::Pending
    };
    let error: String = failure.error.chars().take(2000).collect();
    on_backend!(conn, |c| diesel::update(
        d::deliveries
            .filter(d::id.eq(failure.delivery_id))
            .filter(d::status.eq(DeliveryStatus::Pending.as_str()))
    )
    .set((
        d::status.eq(status.as_str()),
        d::attempts.eq(attempts),
        d::next_attempt_at.eq(at + backoff_from(first_backoff_seconds, attempts)),
        d::lease_owner.eq(None::<String>),
        d::lease_until.eq(None::<NaiveDateTime>),
        d::last_error.eq(Some(&error)),
    ))
    .execute(c))?;
    Ok(status)
}

/// Gives claimed deliveries back without counting an attempt (a sender that
/// stops before trying them).
pub fn release(conn: &mut DbConn, owner: &str, ids: &[i64]) -> Result<usize, StoreError> {
    use deliveries::dsl as d;
    Ok(on_backend!(conn, |c| diesel::update(
        d::deliveries
            .filter(d::id.eq_any(ids))
            .filter(d::lease_owner.eq(owner))
    )
    .set((
        d::lease_owner.eq(None::<String>),
        d::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(c))?)
}

/// The notifications with these ids.
pub fn notifications_by_id(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<Vec<Notification>, StoreError> {
    Ok(on_backend!(conn, |c| notifications::table
        .filter(notifications::id.eq_any(ids))
        .select(Notification::as_select())
        .load(c))?)
}

/// The deliveries of a notification, by id.
pub fn deliveries_of(conn: &mut DbConn, notification_id: i64) -> Result<Vec<Delivery>, StoreError> {
    Ok(on_backend!(conn, |c| deliveries::table
        .filter(deliveries::notification_id.eq(notification_id))
        .order(deliveries::id)
        .select(Delivery::as_select())
        .load(c))?)
}

/// How far a notification's deliveries have got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub quarantined: i64,
}

impl Progress {
    pub fn total(&self) -> i64 {
        self.pending + self.sent + self.failed + self.quarantined
    }
}

/// Counts a notification's deliveries by status.
pub fn progress(conn: &mut DbConn, notification_id: i64) -> Result<Progress, StoreError> {
    let rows: Vec<(String, i64)> = on_backend!(conn, |c| deliveries::table
        .filter(deliveries::notification_id.eq(notification_id))
        .group_by(deliveries::status)
        .select((deliveries::status, diesel::dsl::count_star()))
        .load(c))?;
    let mut progress = Progress::default();
    for (status, count) in rows {
        match DeliveryStatus::parse(&status)? {
            DeliveryStatus::Pending => progress.pending += count,
            DeliveryStatus::Sent => progress.sent += count,
            DeliveryStatus::Failed => progress.failed += count,
            DeliveryStatus::Quarantined => progress.quarantined += count,
        }
    }
    Ok(progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(8), Duration::seconds(3600));
        assert_eq!(backoff(40), Duration::seconds(3600));
        assert_eq!(backoff_from(1, 1), Duration::seconds(1));
        assert_eq!(backoff_from(1, 4), Duration::seconds(8));
        assert_eq!(backoff_from(0, 1), Duration::seconds(1));
    }

    #[test]
    fn kinds_and_statuses_read_back_what_they_write() {
        assert_eq!(
            NotificationKind::parse(NotificationKind::Test.as_str()).unwrap(),
            NotificationKind::Test
        );
        for status in [
            DeliveryStatus::Pending,
            DeliveryStatus::Sent,
            DeliveryStatus::Failed,
            DeliveryStatus::Quarantined,
        ] {
            assert_eq!(DeliveryStatus::parse(status.as_str()).unwrap(), status);
        }
    }
}
