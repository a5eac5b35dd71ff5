//! The one queue mechanism behind every outbox: email `deliveries` and
//! `webhook_deliveries`. A queued row is `pending` until it is sent or
//! given up; a sender claims due rows with a lease, tries them, and records
//! each outcome: sent, or failed with its next attempt pushed back
//! exponentially ([`backoff_from`]), or failed for good after the queue's
//! last allowed attempt.
//!
//! Claims: on PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`,
//! so senders on several instances never wait for, nor get, each other's
//! rows; on SQLite the `BEGIN IMMEDIATE` write transaction makes claimers
//! take turns (`UPDATE … RETURNING`). A lease that ran out (its sender
//! crashed) is taken over.
//!
//! Each queue is a [`Queue`] (its table and rules); its row type says which
//! queue it lives in ([`Queued`]). The statements are written out (one per
//! backend) and shaped for the email queue's partial index of pending rows.

use chrono::{Duration, NaiveDateTime};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamp};
use diesel::sqlite::Sqlite;
use serde::Serialize;

use crate::db::{DbConn, StoreError};
use crate::domain::Invalid;

/// How long a claim holds its rows by default (longer than sending a batch
/// takes); a sender that crashed gives them back when it runs out. The email
/// setting `delivery_lease_seconds` overrides it for email.
pub const LEASE_SECONDS: i64 = 120;
/// The first retry waits this long by default (`retry_backoff_seconds` for
/// email); each further one twice as long as the last.
pub const FIRST_BACKOFF_SECONDS: i64 = 30;
/// Retries never wait longer than this.
pub const MAX_BACKOFF_SECONDS: i64 = 3600;
/// After this many failed attempts a transient email failure is given up as failed.
pub const MAX_EMAIL_ATTEMPTS: i32 = 15;
/// After this many failed attempts a webhook delivery is given up as failed
/// (with the backoff of 30 s, 1 min, 2 min, … capped at 1 h, the last
/// attempt is about three hours after the first).
pub const MAX_WEBHOOK_ATTEMPTS: i32 = 10;
/// The most of an error kept on a row.
const ERROR_CHARS: usize = 2000;
/// Rows marked sent per statement.
const MARK_BATCH: usize = 500;

/// One queue table: rows with `id`, `status`, `attempts`,
/// `next_attempt_at`, `lease_owner`, `lease_until`, `last_error` and
/// `sent_at`.
#[derive(Debug)]
pub struct Queue {
    pub table: &'static str,
    /// More conditions a due row must meet to be claimed (SQL starting
    /// with ` AND`, without parameters), or nothing.
    pub also_due: &'static str,
    /// Failed attempts after which a row is given up.
    pub max_attempts: i32,
    /// PostgreSQL: read the queue in the order of its partial index of
    /// pending rows, whatever the statistics say (see [`claim`]).
    pub index_order: bool,
    /// Claims commit without waiting for the disk (PostgreSQL): a claim
    /// lost in a crash only leaves rows to be claimed again.
    pub relaxed_claims: bool,
}

/// The email outbox (`deliveries`).
pub const EMAIL: Queue = Queue {
    table: "deliveries",
    also_due: "",
    max_attempts: MAX_EMAIL_ATTEMPTS,
    index_order: true,
    relaxed_claims: true,
};

/// The webhook outbox (`webhook_deliveries`): only deliveries of webhooks
/// that are turned on are claimed; the others wait.
pub const WEBHOOKS: Queue = Queue {
    table: "webhook_deliveries",
    also_due: " AND webhook_id IN (SELECT id FROM webhooks WHERE disabled_at IS NULL)",
    max_attempts: MAX_WEBHOOK_ATTEMPTS,
    index_order: false,
    relaxed_claims: false,
};

/// A row type stored in a queue.
pub trait Queued: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static {
    /// The queue its rows live in.
    const QUEUE: &'static Queue;
    fn id(&self) -> i64;
}

/// Where a queued row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (or in flight while a sender holds its lease).
    Pending,
    /// Accepted by the relay or the receiver (or written to its `.eml` file).
    Sent,
    /// Refused for good, or given up after the queue's last allowed attempt.
    Failed,
    /// Skipped because the address bounces permanently (email only; set by
    /// subscriber bookkeeping).
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

/// A failed attempt to send one queued row.
#[derive(Debug, Clone)]
pub struct FailedAttempt {
    pub delivery_id: i64,
    /// Attempts made before this one (from the claimed row).
    pub attempts_before: i32,
    pub error: String,
    /// Refused for good (a relay's 5xx): no retry.
    pub permanent: bool,
}

/// How long to wait before the next attempt after `failed_attempts` failures:
/// 30 s, 1 min, 2 min, … capped at 1 h.
pub fn backoff(failed_attempts: i32) -> Duration {
    backoff_from(FIRST_BACKOFF_SECONDS, failed_attempts)
}

/// [`backoff`] with the first wait `first_seconds`: doubling after each
/// failure, capped at 1 h.
pub fn backoff_from(first_seconds: i64, failed_attempts: i32) -> Duration {
    let exponent = failed_attempts.saturating_sub(1).clamp(0, 20) as u32;
    let seconds = first_seconds.max(1).saturating_mul(1_i64 << exponent);
    Duration::seconds(seconds.min(MAX_BACKOFF_SECONDS))
}

/// Takes up to `batch` rows of `R`'s queue that are due at `now` (pending,
/// next attempt reached, no live lease) and leases them to `owner` until
/// `now + lease`, oldest due first; returns them by id.
#[tracing::instrument(skip_all, fields(queue = R::QUEUE.table, owner, batch))]
pub fn claim<R: Queued>(
    conn: &mut DbConn,
    owner: &str,
    now: NaiveDateTime,
    batch: i64,
    lease: Duration,
) -> Result<Vec<R>, StoreError> {
    let queue = R::QUEUE;
    let until = now + lease;
    let table = queue.table;
    let also = queue.also_due;
    let mut claimed = conn.write_transaction(|conn| -> Result<_, StoreError> {
        if queue.relaxed_claims {
            conn.commit_without_waiting_for_disk()?;
        }
        // The status is written out, not bound: a prepared statement's
        // generic plan could not otherwise use the partial index of pending
        // rows.
        Ok(match conn {
            DbConn::Postgres(c) => {
                if queue.index_order {
                    // Read the queue in index order, whatever the statistics
                    // say. They lag behind a large fan-out (a table of sent
                    // deliveries, or a new one, looks as if few were
                    // pending), and the planner then collects and sorts
                    // every pending delivery at each claim (36 ms for
                    // 68,000) instead of reading the first few.
                    diesel::connection::SimpleConnection::batch_execute(
                        c,
                        "SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off",
                    )?;
                }
                diesel::sql_query(format!(
                    "UPDATE {table} SET lease_owner = $1, lease_until = $2 \
                     WHERE id IN (SELECT id FROM {table} WHERE status = 'pending' \
                     AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3){also} \
                     ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING *"
                ))
                .bind::<Text, _>(owner)
                .bind::<Timestamp, _>(until)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(batch)
                .load::<R>(c)?
            }
            DbConn::Sqlite(c) => diesel::sql_query(format!(
                "UPDATE {table} SET lease_owner = ?, lease_until = ? \
                 WHERE id IN (SELECT id FROM {table} WHERE status = 'pending' \
                 AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?){also} \
                 ORDER BY next_attempt_at, id LIMIT ?) RETURNING *"
            ))
            .bind::<Text, _>(owner)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(batch)
            .load::<R>(c)?,
        })
    })?;
    claimed.sort_by_key(R::id);
    Ok(claimed)
}

/// `?, ?, …` for `n` SQLite parameters.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Marks pending rows as sent (one more attempt, lease and error cleared),
/// a few hundred per statement; returns how many were marked.
#[tracing::instrument(skip_all, fields(queue = queue.table, count = ids.len()))]
pub fn mark_sent(
    conn: &mut DbConn,
    queue: &Queue,
    ids: &[i64],
    at: NaiveDateTime,
) -> Result<usize, StoreError> {
    let table = queue.table;
    // The rows are found by id. The status test is written so that it does
    // not match the partial index of pending deliveries: the planner, its
    // statistics lagging behind a large fan-out, would otherwise read the
    // whole queue for a batch (`+` on SQLite, a concatenation on PostgreSQL).
    let mut marked = 0;
    for chunk in ids.chunks(MARK_BATCH) {
        marked += match conn {
            DbConn::Postgres(c) => diesel::sql_query(format!(
                "UPDATE {table} SET status = 'sent', attempts = attempts + 1, sent_at = $1, \
                 lease_owner = NULL, lease_until = NULL, last_error = NULL \
                 WHERE id = ANY($2) AND status || '' = 'pending'"
            ))
            .bind::<Timestamp, _>(at)
            .bind::<Array<BigInt>, _>(chunk)
            .execute(c)?,
            DbConn::Sqlite(c) => {
                let sql = format!(
                    "UPDATE {table} SET status = 'sent', attempts = attempts + 1, sent_at = ?, \
                     lease_owner = NULL, lease_until = NULL, last_error = NULL \
                     WHERE id IN ({}) AND +status = 'pending'",
                    placeholders(chunk.len())
                );
                let mut query = diesel::sql_query(sql)
                    .into_boxed::<Sqlite>()
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

/// Records a failed attempt on a pending row: a permanent failure (or the
/// queue's last allowed attempt) makes it `failed`; otherwise it stays
/// `pending` with its next attempt pushed back by [`backoff_from`]
/// `first_backoff_seconds`. Returns the new status.
#[tracing::instrument(skip_all, fields(queue = queue.table, delivery = failure.delivery_id, permanent = failure.permanent))]
pub fn mark_failed(
    conn: &mut DbConn,
    queue: &Queue,
    failure: &FailedAttempt,
    at: NaiveDateTime,
    first_backoff_seconds: i64,
) -> Result<DeliveryStatus, StoreError> {
    let attempts = failure.attempts_before.saturating_add(1);
    let status = if failure.permanent || attempts >= queue.max_attempts {
        DeliveryStatus::Failed
    } else {
        DeliveryStatus::Pending
    };
    let error = truncate_error(&failure.error);
    let next = at + backoff_from(first_backoff_seconds, attempts);
    let sql = |p: [&str; 5]| {
        format!(
            "UPDATE {} SET status = {}, attempts = {}, next_attempt_at = {}, \
             lease_owner = NULL, lease_until = NULL, last_error = {} \
             WHERE id = {} AND status = 'pending'",
            queue.table, p[0], p[1], p[2], p[3], p[4]
        )
    };
    match conn {
        DbConn::Postgres(c) => diesel::sql_query(sql(["$1", "$2", "$3", "$4", "$5"]))
            .bind::<Text, _>(status.as_str())
            .bind::<Integer, _>(attempts)
            .bind::<Timestamp, _>(next)
            .bind::<Text, _>(&error)
            .bind::<BigInt, _>(failure.delivery_id)
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(sql(["?"; 5]))
            .bind::<Text, _>(status.as_str())
            .bind::<Integer, _>(attempts)
            .bind::<Timestamp, _>(next)
            .bind::<Text, _>(&error)
            .bind::<BigInt, _>(failure.delivery_id)
            .execute(c)?,
    };
    Ok(status)
}

/// An error as it is kept on a row (and on a webhook): its first 2,000 characters.
pub fn truncate_error(error: &str) -> String {
    error.chars().take(ERROR_CHARS).collect()
}

/// Gives claimed rows back without counting an attempt (a sender that
/// stops before trying them). Only `owner`'s leases are released.
pub fn release(
    conn: &mut DbConn,
    queue: &Queue,
    owner: &str,
    ids: &[i64],
) -> Result<usize, StoreError> {
    let table = queue.table;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(match conn {
        DbConn::Postgres(c) => diesel::sql_query(format!(
            "UPDATE {table} SET lease_owner = NULL, lease_until = NULL \
             WHERE id = ANY($1) AND lease_owner = $2"
        ))
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Text, _>(owner)
        .execute(c)?,
        DbConn::Sqlite(c) => {
            let sql = format!(
                "UPDATE {table} SET lease_owner = NULL, lease_until = NULL \
                 WHERE id IN ({}) AND lease_owner = ?",
                placeholders(ids.len())
            );
            let mut query = diesel::sql_query(sql).into_boxed::<Sqlite>();
            for id in ids {
                query = query.bind::<BigInt, _>(*id);
            }
            query.bind::<Text, _>(owner).execute(c)?
        }
    })
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
    fn statuses_read_back_what_they_write() {
        for status in [
            DeliveryStatus::Pending,
            DeliveryStatus::Sent,
            DeliveryStatus::Failed,
            DeliveryStatus::Quarantined,
        ] {
            assert_eq!(DeliveryStatus::parse(status.as_str()).unwrap(), status);
        }
    }

    #[test]
    fn queues_know_their_limits() {
        assert_eq!(EMAIL.max_attempts, 15);
        assert_eq!(WEBHOOKS.max_attempts, 10);
        assert!(WEBHOOKS.also_due.starts_with(" AND "));
    }
}
