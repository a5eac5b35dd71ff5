//! The outbox tables: `notifications` (one per thing to announce) and
//! `deliveries` (one per recipient of it), and the queries senders use on
//! them: enqueue, fan out, and (through the shared [`queue`]) claim with a
//! lease, mark sent, mark failed with backoff.
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

use crate::db::queue;
use crate::db::schema::{deliveries, notifications};
use crate::db::{now, DbConn, StoreError};
use crate::domain::email::EmailAddress;
use crate::domain::status::Audience;
use crate::domain::Invalid;
use crate::on_backend;

pub use crate::db::queue::{DeliveryStatus, FailedAttempt};

/// Deliveries are inserted this many rows per statement.
pub const INSERT_BATCH: usize = 500;
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

/// Takes up to `batch` deliveries that are due at `now` and leases them to
/// `owner` until `now + lease` (the shared [`queue::claim`]).
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    now: NaiveDateTime,
    batch: i64,
    lease: Duration,
) -> Result<Vec<Delivery>, StoreError> {
    queue::claim(conn, owner, now, batch, lease)
}

/// Marks deliveries as accepted by the relay, a few hundred per statement.
pub fn mark_sent(conn: &mut DbConn, ids: &[i64], at: NaiveDateTime) -> Result<usize, StoreError> {
    queue::mark_sent(conn, &queue::EMAIL, ids, at)
}

/// Records a failed attempt: a permanent failure (or the last allowed
/// attempt) makes the delivery `failed`; otherwise it stays `pending` with
/// its next attempt pushed back, the first time by `first_backoff_seconds`
/// (`retry_backoff_seconds`). Returns the new status.
pub fn mark_failed(
    conn: &mut DbConn,
    failure: &FailedAttempt,
    at: NaiveDateTime,
    first_backoff_seconds: i64,
) -> Result<DeliveryStatus, StoreError> {
    queue::mark_failed(conn, &queue::EMAIL, failure, at, first_backoff_seconds)
}

/// Gives claimed deliveries back without counting an attempt (a sender that
/// stops before trying them).
pub fn release(conn: &mut DbConn, owner: &str, ids: &[i64]) -> Result<usize, StoreError> {
    queue::release(conn, &queue::EMAIL, owner, ids)
}

impl queue::Queued for Delivery {
    const QUEUE: &'static queue::Queue = &queue::EMAIL;
    fn id(&self) -> i64 {
        self.id
    }
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
    fn kinds_read_back_what_they_write() {
        assert_eq!(
            NotificationKind::parse(NotificationKind::Test.as_str()).unwrap(),
            NotificationKind::Test
        );
    }
}
