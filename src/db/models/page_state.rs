//! Everything a page snapshot is built from, read in one transaction.

use super::{components, groups, incidents, maintenances, reports, revision};
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
    /// Every component's status changes of the last [`UPTIME_HISTORY_DAYS`], oldest first.
    pub status_changes: Vec<components::StatusChange>,
    /// Maintenance not completed yet, plus the recently completed.
    pub maintenances: Vec<maintenances::MaintenanceWithDetails>,
    /// When this state was read (UTC): "now" for the uptime bars.
    pub read_at: chrono::NaiveDateTime,
    /// The published postmortem (latest approved report version) of these incidents, by id.
    pub postmortems: std::collections::BTreeMap<i64, crate::domain::report::ReportContent>,
}

/// Days of status history loaded for the 90-day uptime bars (two more, so a
/// day that starts earlier in UTC than in the page's zone is still covered).
pub const UPTIME_HISTORY_DAYS: i64 = 92;

/// How many recent incidents the snapshot carries (Statuspage's incidents.json shows 50).
pub const RECENT_INCIDENTS: i64 = 50;

pub fn load(conn: &mut DbConn) -> Result<PageState, StoreError> {
    conn.read_transaction(|conn| {
        let (revision, updated_at) = revision::current_with_time(conn)?;
        let read_at = crate::db::now();
        let incidents = incidents::for_page(conn, RECENT_INCIDENTS)?;
        let ids: Vec<i64> = incidents.iter().map(|i| i.incident.id).collect();
        let postmortems = reports::published_postmortems(conn, Some(&ids))?;
        Ok(PageState {
            revision,
            updated_at,
            groups: groups::list(conn)?,
            components: components::list(conn)?,
            incidents,
            maintenances: maintenances::load_for_page(conn)?,
            status_changes: components::status_changes_since(
                conn,
                read_at - chrono::Duration::days(UPTIME_HISTORY_DAYS),
            )?,
            read_at,
            postmortems,
        })
    })
}
