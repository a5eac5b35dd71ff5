//! The `digests` table (one row per digest sent, its period's key unique) and
//! the read-only queries the digest makes on action items and incident
//! reports.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{action_items, digests, incident_reports, incidents};
use crate::db::{now, DbConn, StoreError};
use crate::domain::digest::{ActionItem, PendingReport};
use crate::on_backend;

/// A digest that was sent (queued into the outbox).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = digests)]
pub struct DigestRow {
    pub id: i64,
    pub period_key: String,
    pub period_from: NaiveDateTime,
    pub period_to: NaiveDateTime,
    pub notification_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Insertable)]
#[diesel(table_name = digests)]
struct NewDigestRow<'a> {
    period_key: &'a str,
    period_from: NaiveDateTime,
    period_to: NaiveDateTime,
    created_at: NaiveDateTime,
    created_by: &'a str,
}

/// Claims a period's key for a digest about to be queued: inserts its row
/// unless the key exists. `false` when the key was claimed already (another
/// runner sent this period): nothing is written then. Runs in the caller's
/// transaction.
pub fn claim(
    conn: &mut DbConn,
    period_key: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
    created_by: &str,
) -> Result<bool, StoreError> {
    let row = NewDigestRow {
        period_key,
        period_from: from,
        period_to: to,
        created_at: now(),
        created_by,
    };
    // ON CONFLICT DO NOTHING rather than catching the unique violation:
    // on PostgreSQL a failed statement would abort the whole transaction.
    let inserted = on_backend!(conn, |c| diesel::insert_into(digests::table)
        .values(&row)
        .on_conflict(digests::period_key)
        .do_nothing()
        .execute(c))?;
    Ok(inserted > 0)
}

/// Records the notification that carries the digest of `period_key`;
/// returns the digest's id.
pub fn set_notification(
    conn: &mut DbConn,
    period_key: &str,
    notification_id: i64,
) -> Result<i64, StoreError> {
    Ok(on_backend!(conn, |c| diesel::update(
        digests::table.filter(digests::period_key.eq(period_key))
    )
    .set(digests::notification_id.eq(Some(notification_id)))
    .returning(digests::id)
    .get_result(c))?)
}

/// The latest digests, newest first.
pub fn recent(conn: &mut DbConn, limit: i64) -> Result<Vec<DigestRow>, StoreError> {
    Ok(on_backend!(conn, |c| digests::table
        .select(DigestRow::as_select())
        .order((digests::created_at.desc(), digests::id.desc()))
        .limit(limit)
        .load(c))?)
}

/// Whether a digest with this key exists.
pub fn exists(conn: &mut DbConn, period_key: &str) -> Result<bool, StoreError> {
    let n: i64 = on_backend!(conn, |c| digests::table
        .filter(digests::period_key.eq(period_key))
        .count()
        .get_result(c))?;
    Ok(n > 0)
}

type ItemTuple = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<NaiveDate>,
    String,
);

fn item(
    (id, incident_id, name, action, responsibility, priority, due_on, status): ItemTuple,
) -> ActionItem {
    ActionItem {
        id,
        incident_id,
        incident_name: name,
        action,
        responsibility,
        priority,
        due_on,
        status,
    }
}

macro_rules! item_columns {
    () => {
        (
            action_items::id,
            action_items::incident_id,
            incidents::name,
            action_items::action,
            action_items::responsibility,
            action_items::priority,
            action_items::due_on,
            action_items::status,
        )
    };
}

/// The action items of these incidents, by incident then id.
pub fn action_items_of(
    conn: &mut DbConn,
    incident_ids: &[i64],
) -> Result<Vec<ActionItem>, StoreError> {
    if incident_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ItemTuple> = on_backend!(conn, |c| action_items::table
        .inner_join(incidents::table)
        .filter(action_items::incident_id.eq_any(incident_ids))
        .order((action_items::incident_id, action_items::id))
        .select(item_columns!())
        .load(c))?;
    Ok(rows.into_iter().map(item).collect())
}

/// Every action item still to do (open or in progress): those with a due
/// date first, soonest first, then the rest by id.
pub fn open_action_items(conn: &mut DbConn) -> Result<Vec<ActionItem>, StoreError> {
    let rows: Vec<ItemTuple> = on_backend!(conn, |c| action_items::table
        .inner_join(incidents::table)
        .filter(action_items::status.eq_any(["open", "in_progress"]))
        .order((
            action_items::due_on.is_null(),
            action_items::due_on,
            action_items::id
        ))
        .select(item_columns!())
        .limit(1000)
        .load(c))?;
    Ok(rows.into_iter().map(item).collect())
}

/// Reports submitted (awaiting review) or reviewed (awaiting approval), oldest first.
pub fn pending_reports(conn: &mut DbConn) -> Result<Vec<PendingReport>, StoreError> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        String,
        String,
        Option<NaiveDateTime>,
        Option<String>,
        Option<NaiveDateTime>,
        Option<String>,
    )> = on_backend!(conn, |c| incident_reports::table
        .inner_join(incidents::table)
        .filter(incident_reports::status.eq_any(["submitted", "reviewed"]))
        .order(incident_reports::updated_at.asc())
        .select((
            incident_reports::incident_id,
            incidents::name,
            incident_reports::status,
            incident_reports::submitted_at,
            incident_reports::submitted_by,
            incident_reports::reviewed_at,
            incident_reports::reviewed_by,
        ))
        .limit(1000)
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(
            |(incident_id, name, status, submitted_at, submitted_by, reviewed_at, reviewed_by)| {
                let (since, by) = if status == "reviewed" {
                    (reviewed_at, reviewed_by)
                } else {
                    (submitted_at, submitted_by)
                };
                PendingReport {
                    incident_id,
                    incident_name: name,
                    status,
                    since,
                    by,
                }
            },
        )
        .collect())
}
