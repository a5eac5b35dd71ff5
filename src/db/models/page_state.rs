//! Everything a page snapshot is built from, read in one transaction.

use super::{components, groups, incidents, revision};
use crate::db::{DbConn, StoreError};

/// The published state of the page at one revision.
#[derive(Debug, Clone)]
pub struct PageState {
    pub revision: i64,
    /// When the last write happened: the page's `updated_at`.
    pub updated_at: chrono::NaiveDateTime,
    pub groups: Vec<groups::Group>,
    pub components: Vec<components::Component>,
    /// Unresolved incidents and the most recent ones, newest first, with updates.
    pub incidents: Vec<incidents::IncidentWithUpdates>,
}

/// How many recent incidents the snapshot carries (Statuspage's incidents.json shows 50).
pub const RECENT_INCIDENTS: i64 = 50;

pub fn load(conn: &mut DbConn) -> Result<PageState, StoreError> {
    conn.read_transaction(|conn| {
        let (revision, updated_at) = revision::current_with_time(conn)?;
        Ok(PageState {
            revision,
            updated_at,
            groups: groups::list(conn)?,
            components: components::list(conn)?,
            incidents: incidents::for_page(conn, RECENT_INCIDENTS)?,
        })
    })
}
