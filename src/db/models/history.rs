//! Incident history as each audience may read it: which incidents exist
//! (for the month index and the feeds) and the incidents of a time range,
//! with their updates. Customers see an incident once it has at least one
//! update with external text, the same rule as the page snapshots.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::incidents::{self, IncidentWithUpdates};
use crate::db::schema::{incident_updates, incidents as incidents_table};
use crate::db::{DbConn, StoreError};
use crate::domain::status::Audience;
use crate::on_backend;

fn with_external_text(conn: &mut DbConn) -> Result<HashSet<i64>, StoreError> {
    let ids = on_backend!(conn, |c| incident_updates::table
        .select(incident_updates::incident_id)
        .filter(incident_updates::external_body.is_not_null())
        .distinct()
        .load::<i64>(c))?;
    Ok(ids.into_iter().collect())
}

/// Ids and start times of the incidents `audience` may see, newest first.
#[tracing::instrument(skip_all, fields(audience = audience.as_str()))]
pub fn visible(
    conn: &mut DbConn,
    audience: Audience,
) -> Result<Vec<(i64, NaiveDateTime)>, StoreError> {
    let all = on_backend!(conn, |c| incidents_table::table
        .select((incidents_table::id, incidents_table::started_at))
        .order((
            incidents_table::started_at.desc(),
            incidents_table::id.desc()
        ))
        .load::<(i64, NaiveDateTime)>(c))?;
    if audience == Audience::Internal {
        return Ok(all);
    }
    let external = with_external_text(conn)?;
    Ok(all
        .into_iter()
        .filter(|(id, _)| external.contains(id))
        .collect())
}

fn is_visible(incident: &IncidentWithUpdates, audience: Audience) -> bool {
    audience == Audience::Internal || incident.updates.iter().any(|u| u.external_body.is_some())
}

/// The incidents `audience` may see that started in `[after, before)`,
/// newest first, with their updates.
#[tracing::instrument(skip_all, fields(audience = audience.as_str()))]
pub fn started_between(
    conn: &mut DbConn,
    audience: Audience,
    after: NaiveDateTime,
    before: NaiveDateTime,
) -> Result<Vec<IncidentWithUpdates>, StoreError> {
    conn.read_transaction(|conn| {
        let mut out = Vec::new();
        for incident in incidents::list(conn, i64::MAX, Some(before), Some(after))? {
            let updates = incidents::updates(conn, incident.id)?;
            let full = IncidentWithUpdates { incident, updates };
            if is_visible(&full, audience) {
                out.push(full);
            }
        }
        Ok(out)
    })
}

/// The latest `limit` incidents `audience` may see, newest first, with their updates.
#[tracing::instrument(skip_all, fields(audience = audience.as_str()))]
pub fn latest(
    conn: &mut DbConn,
    audience: Audience,
    limit: usize,
) -> Result<Vec<IncidentWithUpdates>, StoreError> {
    conn.read_transaction(|conn| {
        visible(conn, audience)?
            .into_iter()
            .take(limit)
            .map(|(id, _)| incidents::with_updates(conn, id))
            .collect()
    })
}
