//! Phase template sets: for each phase and audience, the text a manager
//! starts from. The shipped "Default" set is copied into the database on
//! first start, so it can be edited like any other set.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::lower;
use crate::db::schema::{phase_template_sets, phase_templates};
use crate::db::{now, DbConn, StoreError};
use crate::domain::incident::Phase;
use crate::domain::status::Audience;
use crate::on_backend;

pub const DEFAULT_SET: &str = "Default";

#[derive(Debug, Clone, Serialize)]
pub struct TemplateSet {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub texts: Vec<PhaseText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseText {
    pub phase: Phase,
    pub audience: Audience,
    pub body: String,
}

impl TemplateSet {
    /// The text for a phase and audience ("" when the set has none).
    pub fn text(&self, phase: Phase, audience: Audience) -> &str {
        self.texts
            .iter()
            .find(|t| t.phase == phase && t.audience == audience)
            .map_or("", |t| t.body.as_str())
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = phase_template_sets)]
struct SetRow {
    id: i64,
    name: String,
    description: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn texts(conn: &mut DbConn, set: i64) -> Result<Vec<PhaseText>, StoreError> {
    let rows = on_backend!(conn, |c| phase_templates::table
        .select((
            phase_templates::phase,
            phase_templates::audience,
            phase_templates::body
        ))
        .filter(phase_templates::set_id.eq(set))
        .load::<(String, String, String)>(c))?;
    rows.into_iter()
        .map(|(phase, audience, body)| {
            Ok(PhaseText {
                phase: Phase::parse(&phase)?,
                audience: Audience::parse(&audience)?,
                body,
            })
        })
        .collect()
}

fn with_texts(conn: &mut DbConn, row: SetRow) -> Result<TemplateSet, StoreError> {
    let texts = texts(conn, row.id)?;
    Ok(TemplateSet {
        id: row.id,
        name: row.name,
        description: row.description,
        created_at: row.created_at,
        updated_at: row.updated_at,
        texts,
    })
}

pub fn list(conn: &mut DbConn) -> Result<Vec<TemplateSet>, StoreError> {
    let rows = on_backend!(conn, |c| phase_template_sets::table
        .select(SetRow::as_select())
        .order(phase_template_sets::name.asc())
        .load(c))?;
    rows.into_iter().map(|r| with_texts(conn, r)).collect()
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<TemplateSet, StoreError> {
    let row = on_backend!(conn, |c| phase_template_sets::table
        .select(SetRow::as_select())
        .find(id)
        .first(c)
        .optional())?
    .ok_or_else(|| StoreError::not_found(format!("There is no template set with id {id}.")))?;
    with_texts(conn, row)
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> Result<TemplateSet, StoreError> {
    let wanted = name.trim().to_lowercase();
    let row = on_backend!(conn, |c| phase_template_sets::table
        .select(SetRow::as_select())
        .filter(lower(phase_template_sets::name).eq(&wanted))
        .first(c)
        .optional())?
    .ok_or_else(|| {
        StoreError::Invalid(crate::domain::Invalid::new(format!(
            "There is no template set named {name:?}: pick one from the list."
        )))
    })?;
    with_texts(conn, row)
}

fn replace_texts(conn: &mut DbConn, set: i64, texts: &[PhaseText]) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::delete(
        phase_templates::table.filter(phase_templates::set_id.eq(set))
    )
    .execute(c))?;
    for t in texts.iter().filter(|t| !t.body.trim().is_empty()) {
        on_backend!(conn, |c| diesel::insert_into(phase_templates::table)
            .values((
                phase_templates::set_id.eq(set),
                phase_templates::phase.eq(t.phase.as_str()),
                phase_templates::audience.eq(t.audience.as_str()),
                phase_templates::body.eq(t.body.trim()),
            ))
            .execute(c))?;
    }
    Ok(())
}

fn ensure_name_free(conn: &mut DbConn, name: &str, except: Option<i64>) -> Result<(), StoreError> {
    let wanted = name.trim().to_lowercase();
    let taken = on_backend!(conn, |c| phase_template_sets::table
        .select(phase_template_sets::id)
        .filter(lower(phase_template_sets::name).eq(&wanted))
        .filter(phase_template_sets::id.ne(except.unwrap_or(-1)))
        .first::<i64>(c)
        .optional())?;
    match taken {
        Some(_) => Err(StoreError::Conflict(format!(
            "A template set named {:?} already exists: choose another name.",
            name.trim()
        ))),
        None => Ok(()),
    }
}

/// Creates a set; texts must already be checked to parse.
pub fn create(
    conn: &mut DbConn,
    name: &str,
    description: &str,
    texts: Vec<PhaseText>,
) -> Result<TemplateSet, StoreError> {
    ensure_name_free(conn, name, None)?;
    let at = now();
    let id = on_backend!(conn, |c| diesel::insert_into(phase_template_sets::table)
        .values((
            phase_template_sets::name.eq(name.trim()),
            phase_template_sets::description.eq(description.trim()),
            phase_template_sets::created_at.eq(at),
            phase_template_sets::updated_at.eq(at),
        ))
        .returning(phase_template_sets::id)
        .get_result::<i64>(c))
    .map_err(StoreError::on_unique(format!(
        "A template set named {:?} already exists: choose another name.",
        name.trim()
    )))?;
    replace_texts(conn, id, &texts)?;
    get(conn, id)
}

/// Replaces a set's name, description and texts; returns the set before and after.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    name: &str,
    description: &str,
    texts: Vec<PhaseText>,
) -> Result<(TemplateSet, TemplateSet), StoreError> {
    let before = get(conn, id)?;
    on_backend!(conn, |c| diesel::update(
        phase_template_sets::table.find(id)
    )
    .set((
        phase_template_sets::name.eq(name.trim()),
        phase_template_sets::description.eq(description.trim()),
        phase_template_sets::updated_at.eq(now()),
    ))
    .execute(c))
    .map_err(StoreError::on_unique(format!(
        "A template set named {:?} already exists: choose another name.",
        name.trim()
    )))?;
    replace_texts(conn, id, &texts)?;
    let after = get(conn, id)?;
    Ok((before, after))
}

/// How many sets exist (none before the defaults are installed).
pub fn count(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(on_backend!(conn, |c| phase_template_sets::table
        .count()
        .get_result::<i64>(c))?)
}
