//! The audit log: who changed what, when, with the record before and after.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::audit_log;
use crate::db::{now, DbConn, StoreError};
use crate::on_backend;

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    actor: &'a str,
    action: &'a str,
    subject_type: &'a str,
    subject_id: Option<i64>,
    before_json: Option<String>,
    after_json: Option<String>,
    created_at: chrono::NaiveDateTime,
}

/// Records one write; call it inside the write transaction.
pub fn record<B: Serialize, A: Serialize>(
    conn: &mut DbConn,
    actor: &str,
    action: &str,
    subject: (&str, Option<i64>),
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), StoreError> {
    let entry = NewEntry {
        actor,
        action,
        subject_type: subject.0,
        subject_id: subject.1,
        before_json: before.map(to_json).transpose()?,
        after_json: after.map(to_json).transpose()?,
        created_at: now(),
    };
    on_backend!(conn, |c| diesel::insert_into(audit_log::table)
        .values(&entry)
        .execute(c))?;
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Task(format!("serialising an audit record: {e}")))
}

/// One row of the log, for the console and tests.
#[derive(Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<i64>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

/// The latest entries, newest first.
pub fn latest(conn: &mut DbConn, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(on_backend!(conn, |c| audit_log::table
        .select(AuditEntry::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .load(c))?)
}

/// Filters for reading the log; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// Matches actions starting with this (`incident.` finds every incident action).
    pub action: Option<String>,
    pub subject_type: Option<String>,
    pub subject_id: Option<i64>,
}

/// Entries matching `filter`, newest first, one page at a time.
pub fn search(
    conn: &mut DbConn,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(on_backend!(conn, |c| {
        let mut query = audit_log::table
            .select(AuditEntry::as_select())
            .into_boxed();
        if let Some(actor) = &filter.actor {
            query = query.filter(audit_log::actor.eq(actor.trim().to_lowercase()));
        }
        if let Some(action) = &filter.action {
            query = query
                .filter(audit_log::action.like(format!("{}%", action.trim().replace('%', ""))));
        }
        if let Some(subject_type) = &filter.subject_type {
            query = query.filter(audit_log::subject_type.eq(subject_type.trim()));
        }
        if let Some(subject_id) = filter.subject_id {
            query = query.filter(audit_log::subject_id.eq(subject_id));
        }
        query
            .order(audit_log::id.desc())
            .limit(limit)
            .offset(offset)
            .load(c)
    })?)
}
