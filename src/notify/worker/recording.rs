//! What happened to a sent batch, written in one transaction: sent,
//! retrying or failed (a relay's refusal also counts as a bounce).

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDateTime;

use super::{BatchReport, Prepared};
use crate::db::models::outbox::{self, DeliveryStatus, FailedAttempt};
use crate::db::StoreError;
use crate::notify::sender::SendOutcome;

/// What happened to a sent batch, ready to be written.
pub(super) struct Recording {
    started: Instant,
    claimed: usize,
    sent: Vec<i64>,
    failed_attempts: Vec<FailedAttempt>,
    /// Refused for good by the relay (5xx): counts as a bounce.
    bounced: std::collections::HashSet<i64>,
    at: NaiveDateTime,
}

impl Recording {
    pub(super) fn of(batch: Prepared, outcomes: Vec<SendOutcome>, now: NaiveDateTime) -> Recording {
        let Prepared {
            started,
            claimed,
            mut failures,
            ..
        } = batch;
        let attempts: HashMap<i64, i32> = claimed.iter().map(|d| (d.id, d.attempts)).collect();
        let mut sent = Vec::new();
        let mut bounced = std::collections::HashSet::new();
        for outcome in outcomes {
            match outcome.result {
                Ok(()) => sent.push(outcome.delivery_id),
                Err(error) => {
                    if error.is_permanent() {
                        bounced.insert(outcome.delivery_id);
                    }
                    failures.push((outcome.delivery_id, error))
                }
            }
        }
        // In id order, so bounce bookkeeping is the same whatever order the
        // connections answered in.
        failures.sort_by_key(|(id, _)| *id);
        let failed_attempts: Vec<FailedAttempt> = failures
            .into_iter()
            .map(|(delivery_id, error)| FailedAttempt {
                delivery_id,
                attempts_before: attempts.get(&delivery_id).copied().unwrap_or(0),
                permanent: error.is_permanent(),
                error: error.to_string(),
            })
            .collect();
        for failure in &failed_attempts {
            tracing::warn!(
                delivery = failure.delivery_id,
                permanent = failure.permanent,
                error = %failure.error,
                "an email was not sent"
            );
        }
        Recording {
            started,
            claimed: claimed.len(),
            sent,
            failed_attempts,
            bounced,
            at: now.max(crate::db::now()),
        }
    }

    /// Writes it (inside the caller's transaction); returns how many
    /// deliveries will be retried and how many failed for good.
    pub(super) fn apply(
        &self,
        conn: &mut crate::db::DbConn,
        (first_backoff, threshold): (i64, i32),
    ) -> Result<(usize, usize), StoreError> {
        outbox::mark_sent(conn, &self.sent, self.at)?;
        let (mut retrying, mut failed) = (0, 0);
        for failure in &self.failed_attempts {
            match outbox::mark_failed(conn, failure, self.at, first_backoff)? {
                DeliveryStatus::Failed => {
                    failed += 1;
                    if self.bounced.contains(&failure.delivery_id) {
                        crate::db::models::subscriber_admin::record_bounce(
                            conn,
                            failure.delivery_id,
                            threshold,
                        )?;
                    }
                }
                _ => retrying += 1,
            }
        }
        Ok((retrying, failed))
    }

    /// The batch's report, logged.
    pub(super) fn report(&self, (retrying, failed): (usize, usize)) -> BatchReport {
        let report = BatchReport {
            claimed: self.claimed,
            sent: self.sent.len(),
            retrying,
            failed,
        };
        let elapsed = self.started.elapsed();
        tracing::info!(
            claimed = report.claimed,
            sent = report.sent,
            retrying = report.retrying,
            failed = report.failed,
            elapsed_ms = elapsed.as_millis() as u64,
            per_second = (report.sent as f64 / elapsed.as_secs_f64().max(1e-6)).round(),
            "email batch done"
        );
        report
    }
}
