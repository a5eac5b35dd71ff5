//! How much the outbox holds: the pending rows of each channel, read when
//! `GET /metrics` is scraped (counts use the partial `pending` indexes).

use diesel::prelude::*;

use crate::db::queue::DeliveryStatus;
use crate::db::schema::{deliveries, webhook_deliveries};
use crate::db::{DbConn, StoreError};
use crate::on_backend;

/// Deliveries waiting for an attempt (or in flight under a lease).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    pub emails: i64,
    pub webhooks: i64,
}

pub fn pending(conn: &mut DbConn) -> Result<Backlog, StoreError> {
    let pending = DeliveryStatus::Pending.as_str();
    let emails: i64 = on_backend!(conn, |c| deliveries::table
        .filter(deliveries::status.eq(pending))
        .count()
        .get_result(c))?;
    let webhooks: i64 = on_backend!(conn, |c| webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(pending))
        .count()
        .get_result(c))?;
    Ok(Backlog { emails, webhooks })
}
