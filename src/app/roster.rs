//! The roster (who to call for each incident role) and the roles of an
//! incident (assign, hand over). Neither shows on the pages, so these
//! writes leave the site revision alone.

use chrono::NaiveDateTime;

use super::{Actor, Context};
use crate::db::models::roster::{self, RoleHolding, RosterEntry};
use crate::domain::role::Permission;
use crate::domain::roster::{Contact, IncidentRole};
use crate::domain::Invalid;
use crate::error::AppError;

/// Sets the main and backup contact of a role (replacing what was there).
pub async fn set_contacts(
    ctx: &Context,
    actor: &Actor,
    role: IncidentRole,
    main: Contact,
    backup: Option<Contact>,
) -> Result<RosterEntry, AppError> {
    actor.require(Permission::EditIncident)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let change = roster::set(tx.conn, tx.actor, role, main, backup)?;
        tx.audit(
            "roster.update",
            ("roster", None),
            change.before.as_ref(),
            Some(&change.after),
        )?;
        Ok(change.after)
    })
    .await
}

/// Who takes a role.
#[derive(Debug, Clone)]
pub enum Holder {
    /// This person.
    Named(Contact),
    /// The roster's main (or backup) contact for the role; `if_missing` is
    /// the message when the roster has none.
    FromRoster { backup: bool, if_missing: String },
}

/// Gives `role` of the incident to `holder` at `at` (now when `None`),
/// handing it over from its current holder if any. Returns the new holding.
pub async fn assign(
    ctx: &Context,
    actor: &Actor,
    incident_id: i64,
    role: IncidentRole,
    holder: Holder,
    at: Option<NaiveDateTime>,
    note: Option<String>,
) -> Result<RoleHolding, AppError> {
    actor.require(Permission::EditIncident)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let holder = match holder {
            Holder::Named(contact) => contact,
            Holder::FromRoster { backup, if_missing } => {
                let entry = roster::get(tx.conn, role)?;
                let contact = match entry {
                    Some(e) if backup => e.backup,
                    Some(e) => Some(e.main),
                    None => None,
                };
                contact.ok_or_else(|| Invalid::new(if_missing))?
            }
        };
        let handover = roster::assign(tx.conn, tx.actor, incident_id, role, holder, at, note)?;
        tx.audit(
            if handover.previous.is_some() {
                "incident.role_handed_over"
            } else {
                "incident.role_assigned"
            },
            ("incident", Some(incident_id)),
            handover.previous.as_ref(),
            Some(&handover.holding),
        )?;
        Ok(handover.holding)
    })
    .await
}
