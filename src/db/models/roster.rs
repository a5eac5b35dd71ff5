//! The roster (a main and a backup contact per incident role) and who held
//! each role of an incident, with every handover.
//!
//! A handover is one write (the application layer's transaction): the
//! current holding of the role is closed (ended at the handover time, by
//! whoever handed over) and the new one opened. A partial unique index keeps at most one open holding per
//! incident and role, so two people handing a role over at once cannot both
//! win: the loser gets a conflict and tries again.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::incidents;
use crate::db::schema::{incident_role_holdings, roster_entries};
use crate::db::{now, DbConn, StoreError};
use crate::domain::roster::{check_handover, Contact, CurrentHolder, IncidentRole};
use crate::on_backend;

/// The roster's line for one role.
#[derive(Debug, Clone, Serialize)]
pub struct RosterEntry {
    pub role: IncidentRole,
    pub main: Contact,
    pub backup: Option<Contact>,
    pub updated_by: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = roster_entries)]
struct EntryRow {
    role: String,
    main_name: String,
    main_email: Option<String>,
    main_phone: Option<String>,
    backup_name: Option<String>,
    backup_email: Option<String>,
    backup_phone: Option<String>,
    updated_by: String,
    updated_at: NaiveDateTime,
}

impl TryFrom<EntryRow> for RosterEntry {
    type Error = StoreError;
    fn try_from(r: EntryRow) -> Result<Self, StoreError> {
        Ok(RosterEntry {
            role: IncidentRole::parse(&r.role)?,
            main: Contact {
                name: r.main_name,
                email: r.main_email,
                phone: r.main_phone,
            },
            backup: r.backup_name.map(|name| Contact {
                name,
                email: r.backup_email,
                phone: r.backup_phone,
            }),
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        })
    }
}

/// The roster as filled in, in the order of [`IncidentRole::ALL`]; roles
/// nobody filled in yet are left out.
pub fn list(conn: &mut DbConn) -> Result<Vec<RosterEntry>, StoreError> {
    let rows: Vec<EntryRow> = on_backend!(conn, |c| roster_entries::table
        .select(EntryRow::as_select())
        .load(c))?;
    let mut entries = rows
        .into_iter()
        .map(RosterEntry::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.role);
    Ok(entries)
}

/// The roster's line for one role, if filled in.
pub fn get(conn: &mut DbConn, role: IncidentRole) -> Result<Option<RosterEntry>, StoreError> {
    on_backend!(conn, |c| roster_entries::table
        .select(EntryRow::as_select())
        .filter(roster_entries::role.eq(role.as_str()))
        .first(c)
        .optional())?
    .map(RosterEntry::try_from)
    .transpose()
}

/// A roster line before and after a write (`before` is `None` for a role
/// nobody had filled in).
#[derive(Debug, Clone)]
pub struct EntryChange {
    pub before: Option<RosterEntry>,
    pub after: RosterEntry,
}

/// Sets the main and backup contact of a role (replacing what was there).
pub fn set(
    conn: &mut DbConn,
    actor: &str,
    role: IncidentRole,
    main: Contact,
    backup: Option<Contact>,
) -> Result<EntryChange, StoreError> {
    let before = get(conn, role)?;
    let at = now();
    let backup_ref = backup.as_ref();
    let values = (
        roster_entries::main_name.eq(&main.name),
        roster_entries::main_email.eq(&main.email),
        roster_entries::main_phone.eq(&main.phone),
        roster_entries::backup_name.eq(backup_ref.map(|b| &b.name)),
        roster_entries::backup_email.eq(backup_ref.and_then(|b| b.email.as_ref())),
        roster_entries::backup_phone.eq(backup_ref.and_then(|b| b.phone.as_ref())),
        roster_entries::updated_by.eq(actor),
        roster_entries::updated_at.eq(at),
    );
    if before.is_some() {
        on_backend!(conn, |c| diesel::update(
            roster_entries::table.filter(roster_entries::role.eq(role.as_str()))
        )
        .set(values)
        .execute(c))?;
    } else {
        on_backend!(conn, |c| diesel::insert_into(roster_entries::table)
            .values((roster_entries::role.eq(role.as_str()), values))
            .execute(c))
        .map_err(StoreError::on_unique(format!(
            "Someone else filled in the role {} at the same moment: reload and try again.",
            role.label()
        )))?;
    }
    let after = get(conn, role)?.ok_or_else(|| {
        StoreError::Task(format!("the roster line for {} vanished", role.as_str()))
    })?;
    Ok(EntryChange { before, after })
}

/// One person holding one role of an incident for a while.
#[derive(Debug, Clone, Serialize)]
pub struct RoleHolding {
    pub id: i64,
    pub incident_id: i64,
    pub role: IncidentRole,
    pub holder: Contact,
    pub started_at: NaiveDateTime,
    /// `None` while they still hold it.
    pub ended_at: Option<NaiveDateTime>,
    pub assigned_by: String,
    /// Who handed the role on to the next holder.
    pub ended_by: Option<String>,
    /// The note given when this person took the role.
    pub note: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = incident_role_holdings)]
struct HoldingRow {
    id: i64,
    incident_id: i64,
    role: String,
    holder_name: String,
    holder_email: Option<String>,
    holder_phone: Option<String>,
    started_at: NaiveDateTime,
    ended_at: Option<NaiveDateTime>,
    assigned_by: String,
    ended_by: Option<String>,
    note: Option<String>,
}

impl TryFrom<HoldingRow> for RoleHolding {
    type Error = StoreError;
    fn try_from(r: HoldingRow) -> Result<Self, StoreError> {
        Ok(RoleHolding {
            id: r.id,
            incident_id: r.incident_id,
            role: IncidentRole::parse(&r.role)?,
            holder: Contact {
                name: r.holder_name,
                email: r.holder_email,
                phone: r.holder_phone,
            },
            started_at: r.started_at,
            ended_at: r.ended_at,
            assigned_by: r.assigned_by,
            ended_by: r.ended_by,
            note: r.note,
        })
    }
}

/// Every holding of every role of an incident, oldest first.
pub fn holdings(conn: &mut DbConn, incident_id: i64) -> Result<Vec<RoleHolding>, StoreError> {
    let rows: Vec<HoldingRow> = on_backend!(conn, |c| incident_role_holdings::table
        .select(HoldingRow::as_select())
        .filter(incident_role_holdings::incident_id.eq(incident_id))
        .order((
            incident_role_holdings::started_at.asc(),
            incident_role_holdings::id.asc(),
        ))
        .load(c))?;
    rows.into_iter().map(RoleHolding::try_from).collect()
}

fn open_holding(
    conn: &mut DbConn,
    incident_id: i64,
    role: IncidentRole,
) -> Result<Option<RoleHolding>, StoreError> {
    on_backend!(conn, |c| incident_role_holdings::table
        .select(HoldingRow::as_select())
        .filter(incident_role_holdings::incident_id.eq(incident_id))
        .filter(incident_role_holdings::role.eq(role.as_str()))
        .filter(incident_role_holdings::ended_at.is_null())
        .first(c)
        .optional())?
    .map(RoleHolding::try_from)
    .transpose()
}

/// A role changing hands: the holding that ended (`None` when nobody held
/// the role) and the new one.
#[derive(Debug, Clone)]
pub struct Handover {
    pub previous: Option<RoleHolding>,
    pub holding: RoleHolding,
}

/// Gives `role` of the incident to `holder` at `at` (now when `None`): the
/// first holder takes it, a later one takes it over from the current holder,
/// whose holding ends then.
pub fn assign(
    conn: &mut DbConn,
    actor: &str,
    incident_id: i64,
    role: IncidentRole,
    holder: Contact,
    at: Option<NaiveDateTime>,
    note: Option<String>,
) -> Result<Handover, StoreError> {
    incidents::get(conn, incident_id)?;
    let current_time = now();
    let at = at.unwrap_or(current_time);
    let previous = open_holding(conn, incident_id, role)?;
    check_handover(
        role,
        previous.as_ref().map(|p| CurrentHolder {
            holder: &p.holder,
            since: p.started_at,
        }),
        &holder,
        at,
        current_time,
    )?;
    if let Some(previous) = &previous {
        on_backend!(conn, |c| diesel::update(
            incident_role_holdings::table.find(previous.id)
        )
        .set((
            incident_role_holdings::ended_at.eq(at),
            incident_role_holdings::ended_by.eq(actor),
        ))
        .execute(c))?;
    }
    let conflict = StoreError::on_unique(format!(
        "Someone else changed who holds the role {} at the same moment: reload and try again.",
        role.label()
    ));
    let id = on_backend!(conn, |c| diesel::insert_into(incident_role_holdings::table)
        .values((
            incident_role_holdings::incident_id.eq(incident_id),
            incident_role_holdings::role.eq(role.as_str()),
            incident_role_holdings::holder_name.eq(&holder.name),
            incident_role_holdings::holder_email.eq(&holder.email),
            incident_role_holdings::holder_phone.eq(&holder.phone),
            incident_role_holdings::started_at.eq(at),
            incident_role_holdings::assigned_by.eq(actor),
            incident_role_holdings::note.eq(&note),
        ))
        .returning(incident_role_holdings::id)
        .get_result::<i64>(c))
    .map_err(conflict)?;
    let holding: RoleHolding = on_backend!(conn, |c| incident_role_holdings::table
        .select(HoldingRow::as_select())
        .find(id)
        .first(c))?
    .try_into()?;
    Ok(Handover { previous, holding })
}

/// The current holder of each role (`None` where nobody holds it), in the
/// order of [`IncidentRole::ALL`], from an incident's holdings.
pub fn current_holders(all: &[RoleHolding]) -> Vec<(IncidentRole, Option<&RoleHolding>)> {
    IncidentRole::ALL
        .into_iter()
        .map(|role| {
            (
                role,
                all.iter().find(|h| h.role == role && h.ended_at.is_none()),
            )
        })
        .collect()
}
