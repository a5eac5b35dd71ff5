//! The site revision: a counter bumped by every committed write, so each
//! instance can tell that its page snapshots are stale.

use diesel::prelude::*;

use crate::db::schema::site_revision::dsl::*;
use crate::db::{now, DbConn, StoreError};
use crate::on_backend;

/// Bumps the revision; call it inside the write transaction.
pub fn bump(conn: &mut DbConn) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::update(site_revision.filter(id.eq(1)))
        .set((revision.eq(revision + 1i64), updated_at.eq(now())))
        .execute(c))?;
    Ok(())
}

/// The current revision.
pub fn current(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(on_backend!(conn, |c| site_revision
        .select(revision)
        .filter(id.eq(1))
        .first::<i64>(c))?)
}

/// The current revision and when it was last bumped.
pub fn current_with_time(conn: &mut DbConn) -> Result<(i64, chrono::NaiveDateTime), StoreError> {
    Ok(on_backend!(conn, |c| site_revision
        .select((revision, updated_at))
        .filter(id.eq(1))
        .first::<(i64, chrono::NaiveDateTime)>(c))?)
}
