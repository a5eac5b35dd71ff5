//! The subscriber console's queries: counts, search, removal, CSV import
//! (confirmed without a confirmation email), notification progress, and the
//! bounce bookkeeping that quarantines addresses refused permanently.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::audit;
use super::subscribers::{self, Subscriber};
use crate::db::models::outbox::{self, DeliveryStatus, Notification, NotificationKind, Progress};
use crate::db::schema::{deliveries, notifications, subscriber_components, subscribers as s};
use crate::db::{now, DbConn, StoreError};
use crate::domain::email::EmailAddress;
use crate::domain::status::Audience;
use crate::domain::token::random_secret;
use crate::on_backend;

/// Permanent bounces after which an address is quarantined.
pub const QUARANTINE_AFTER_BOUNCES: i32 = 3;

/// Where a subscriber stands, for the console.
pub fn status_of(sub: &Subscriber) -> &'static str {
    if sub.quarantined_at.is_some() {
        "quarantined"
    } else if sub.unsubscribed_at.is_some() {
        "unsubscribed"
    } else if sub.confirmed_at.is_some() {
        "confirmed"
    } else {
        "unconfirmed"
    }
}

/// Counts of one audience by status.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct AudienceCounts {
    pub audience: String,
    pub confirmed: i64,
    pub unconfirmed: i64,
    pub unsubscribed: i64,
    pub quarantined: i64,
}

/// Subscribers per audience, and per component (component name → count).
pub fn counts(
    conn: &mut DbConn,
) -> Result<(Vec<AudienceCounts>, BTreeMap<String, i64>), StoreError> {
    let rows: Vec<Subscriber> =
        on_backend!(conn, |c| s::table.select(Subscriber::as_select()).load(c))?;
    let mut by: BTreeMap<String, AudienceCounts> = BTreeMap::new();
    for a in [Audience::External, Audience::Internal] {
        by.insert(
            a.as_str().into(),
            AudienceCounts {
                audience: a.as_str().into(),
                ..Default::default()
            },
        );
    }
    for sub in &rows {
        let entry = by.entry(sub.audience.clone()).or_default();
        entry.audience = sub.audience.clone();
        match status_of(sub) {
            "quarantined" => entry.quarantined += 1,
            "unsubscribed" => entry.unsubscribed += 1,
            "confirmed" => entry.confirmed += 1,
            _ => entry.unconfirmed += 1,
        }
    }
    let chosen: Vec<i64> = on_backend!(conn, |c| subscriber_components::table
        .select(subscriber_components::component_id)
        .load(c))?;
    let names: HashMap<i64, String> = super::components::list(conn)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut per_component = BTreeMap::new();
    for id in chosen {
        let name = names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
        *per_component.entry(name).or_insert(0) += 1;
    }
    Ok((by.into_values().collect(), per_component))
}

/// Subscribers whose address contains `query`, by id, `limit` from `offset`.
pub fn search(
    conn: &mut DbConn,
    query: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Subscriber>, StoreError> {
    let pattern = format!(
        "%{}%",
        query
            .trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Ok(on_backend!(conn, |c| s::table
        .select(Subscriber::as_select())
        .filter(s::email.like(&pattern).escape('\\'))
        .order(s::id)
        .limit(limit)
        .offset(offset)
        .load(c))?)
}

/// Deletes a subscriber (and their component choices) and returns them as
/// they were. Their pending deliveries are marked quarantined so nothing
/// more is sent. Runs in the caller's transaction.
pub fn remove(conn: &mut DbConn, id: i64) -> Result<Subscriber, StoreError> {
    let sub = subscribers::find(conn, id)?
        .ok_or_else(|| StoreError::NotFound(format!("There is no subscriber {id}.")))?;
    skip_pending(conn, &sub.email, &sub.audience)?;
    on_backend!(conn, |c| diesel::delete(
        subscriber_components::table.filter(subscriber_components::subscriber_id.eq(id))
    )
    .execute(c))?;
    on_backend!(conn, |c| diesel::delete(s::table.find(id)).execute(c))?;
    Ok(sub)
}

/// Marks the pending deliveries to `email` in `audience` as quarantined.
fn skip_pending(conn: &mut DbConn, email: &str, audience: &str) -> Result<usize, StoreError> {
    let ids: Vec<i64> = on_backend!(conn, |c| notifications::table
        .select(notifications::id)
        .filter(notifications::audience.eq(audience))
        .filter(notifications::kind.ne(NotificationKind::Test.as_str()))
        .load(c))?;
    let mut marked = 0;
    for chunk in ids.chunks(outbox::INSERT_BATCH) {
        marked += on_backend!(conn, |c| diesel::update(
            deliveries::table
                .filter(deliveries::recipient.eq(email))
                .filter(deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                .filter(deliveries::notification_id.eq_any(chunk))
        )
        .set((
            deliveries::status.eq(DeliveryStatus::Quarantined.as_str()),
            deliveries::lease_owner.eq(None::<String>),
            deliveries::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(c))?;
    }
    Ok(marked)
}

/// Counts a permanent bounce of a subscriber email (the delivery failed for
/// good on a 5xx); at `threshold` bounces the subscriber is quarantined and
/// their other pending deliveries are marked quarantined. Returns whether
/// this bounce quarantined them. Deliveries that are not to a subscriber
/// (test emails) are ignored.
pub fn record_bounce(
    conn: &mut DbConn,
    delivery_id: i64,
    threshold: i32,
) -> Result<bool, StoreError> {
    // Only a delivery this failure made `failed` counts (not one that was
    // quarantined meanwhile by an earlier bounce in the same batch).
    let found: Option<(String, String, String)> = on_backend!(conn, |c| deliveries::table
        .inner_join(notifications::table)
        .filter(deliveries::id.eq(delivery_id))
        .filter(deliveries::status.eq(DeliveryStatus::Failed.as_str()))
        .select((
            deliveries::recipient,
            notifications::audience,
            notifications::kind
        ))
        .first(c)
        .optional())?;
    let Some((email, audience, kind)) = found else {
        return Ok(false);
    };
    if kind == NotificationKind::Test.as_str() {
        return Ok(false);
    }
    let Ok(audience_value) = Audience::parse(&audience) else {
        return Ok(false);
    };
    let Some(sub) = subscribers::find_by_email(conn, &email, audience_value)? else {
        return Ok(false);
    };
    let count = sub.bounce_count.saturating_add(1);
    let at = now();
    let quarantine = count >= threshold.max(1) && sub.quarantined_at.is_none();
    on_backend!(conn, |c| diesel::update(s::table.find(sub.id))
        .set((s::bounce_count.eq(count), s::updated_at.eq(at)))
        .execute(c))?;
    if quarantine {
        on_backend!(conn, |c| diesel::update(s::table.find(sub.id))
            .set(s::quarantined_at.eq(Some(at)))
            .execute(c))?;
        skip_pending(conn, &email, &audience)?;
        audit::record(
            conn,
            "system",
            "subscriber.quarantine",
            ("subscriber", Some(sub.id)),
            None::<&()>,
            Some(&serde_json::json!({ "email": email, "bounce_count": count })),
        )?;
        tracing::warn!(
            subscriber = sub.id,
            bounces = count,
            "a subscriber is quarantined after permanent bounces"
        );
    }
    Ok(quarantine)
}

/// What a CSV import did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    /// Lines naming an address already subscribed to that audience.
    pub skipped: Vec<usize>,
    /// Line number and reason for every line that was not understood.
    pub invalid: Vec<(usize, String)>,
}

/// One subscriber an import added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub id: i64,
    /// The CSV line it came from.
    pub line: usize,
    pub email: EmailAddress,
    pub audience: Audience,
    pub component_ids: Vec<i64>,
}

struct ImportLine {
    number: usize,
    email: EmailAddress,
    audience: Audience,
    components: Vec<i64>,
}

/// One CSV line's fields, checked: the reason when it is not understood.
fn parse_line(
    number: usize,
    fields: &[&str],
    names: &HashMap<String, i64>,
) -> Result<ImportLine, String> {
    if fields.len() > 3 {
        return Err("too many fields: use email,audience,components".into());
    }
    let email = EmailAddress::parse(fields[0]).map_err(|e| e.to_string())?;
    let audience = match fields.get(1).copied().filter(|a| !a.is_empty()) {
        None => Audience::External,
        Some(a) => Audience::parse(a).map_err(|e| e.to_string())?,
    };
    let mut components = Vec::new();
    let mut unknown = Vec::new();
    for name in fields
        .get(2)
        .copied()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match names.get(&name.to_lowercase()) {
            Some(id) => components.push(*id),
            None => unknown.push(name.to_string()),
        }
    }
    if !unknown.is_empty() {
        return Err(format!("unknown component(s): {}", unknown.join("; ")));
    }
    Ok(ImportLine {
        number,
        email,
        audience,
        components,
    })
}

/// Imports `email,audience,components` lines (components: names separated
/// by `;`, or empty for everything) as confirmed subscribers, with no
/// confirmation email. Every line is checked before anything is written;
/// the good lines are then written (in the caller's transaction), and each
/// bad line is reported with its number. Blank lines, `#` comments and a
/// header line starting with `email` are ignored. Returns the report and
/// the subscribers added.
pub fn import(conn: &mut DbConn, csv: &str) -> Result<(ImportReport, Vec<Imported>), StoreError> {
    let names: HashMap<String, i64> = super::components::list(conn)?
        .into_iter()
        .map(|c| (c.name.trim().to_lowercase(), c.id))
        .collect();
    let mut report = ImportReport::default();
    let mut lines = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, raw) in csv.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if number == 1 && fields[0].eq_ignore_ascii_case("email") {
            continue;
        }
        match parse_line(number, &fields, &names) {
            Err(reason) => report.invalid.push((number, reason)),
            Ok(line) if !seen.insert((line.email.as_str().to_string(), line.audience)) => {
                report.skipped.push(number);
            }
            Ok(line) => lines.push(line),
        }
    }
    let mut added = Vec::new();
    for line in lines {
        if subscribers::find_by_email(conn, line.email.as_str(), line.audience)?.is_some() {
            report.skipped.push(line.number);
            continue;
        }
        let at = now();
        let id: i64 = on_backend!(conn, |c| diesel::insert_into(s::table)
            .values((
                s::email.eq(line.email.as_str()),
                s::audience.eq(line.audience.as_str()),
                s::confirmed_at.eq(Some(at)),
                s::bounce_count.eq(0),
                s::confirm_token_hash.eq(None::<String>),
                s::link_key.eq(random_secret("")),
                s::created_at.eq(at),
                s::updated_at.eq(at),
            ))
            .returning(s::id)
            .get_result(c))?;
        subscribers::set_components(conn, id, &line.components)?;
        report.added += 1;
        added.push(Imported {
            id,
            line: line.number,
            email: line.email,
            audience: line.audience,
            component_ids: line.components,
        });
    }
    report.skipped.sort_unstable();
    Ok((report, added))
}

/// The latest `limit` notifications, newest first, with delivery progress.
pub fn latest_notifications(
    conn: &mut DbConn,
    limit: i64,
) -> Result<Vec<(Notification, Progress)>, StoreError> {
    let list: Vec<Notification> = on_backend!(conn, |c| notifications::table
        .select(Notification::as_select())
        .order(notifications::id.desc())
        .limit(limit)
        .load(c))?;
    let mut out = Vec::with_capacity(list.len());
    for n in list {
        let progress = outbox::progress(conn, n.id)?;
        out.push((n, progress));
    }
    Ok(out)
}
