//! Email subscribers as stored: double opt-in, component filters,
//! unsubscribing, and the fan-out of a subscriber notification to the
//! matching subscribers (written by the use case that announces something,
//! turned into deliveries in batches afterwards: [`fan_out_batch`]).
//! Storage only: the use cases in `app::subscribers` own the transactions
//! and queue the emails.
//!
//! Links in emails carry tokens derived with HMAC-SHA256 from the site secret
//! and the subscriber's random `link_key` (see [`crate::domain::token`]):
//! the confirm token's SHA-256 is stored (`confirm_token_hash`) so it can be
//! looked up; manage / unsubscribe tokens are `{id}-{mac}` and verified by
//! recomputing the MAC. Nothing in the database (or the outbox payloads) is a
//! usable token by itself when the secret is configured.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::outbox;
use crate::db::schema::{site_secrets, subscriber_components, subscribers};
use crate::db::{now, DbConn, StoreError};
use crate::domain::email::EmailAddress;
use crate::domain::status::Audience;
use crate::domain::token as links;
use crate::domain::token::{random_secret, secret_hash};
use crate::on_backend;

/// A subscriber as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subscribers)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub audience: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub unsubscribed_at: Option<NaiveDateTime>,
    pub quarantined_at: Option<NaiveDateTime>,
    pub bounce_count: i32,
    pub confirm_token_hash: Option<String>,
    pub link_key: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Subscriber {
    /// Confirmed, not unsubscribed, not quarantined.
    pub fn is_active(&self) -> bool {
        self.confirmed_at.is_some()
            && self.unsubscribed_at.is_none()
            && self.quarantined_at.is_none()
    }
}

/// The HMAC key: `secret_key` from the settings when set, otherwise a random
/// one generated once and kept in `site_secrets`.
pub fn site_secret(conn: &mut DbConn, configured: Option<&str>) -> Result<Vec<u8>, StoreError> {
    if let Some(key) = configured.filter(|k| !k.is_empty()) {
        return Ok(key.as_bytes().to_vec());
    }
    let found: Option<String> = on_backend!(conn, |c| site_secrets::table
        .select(site_secrets::value)
        .find("link_hmac")
        .first(c)
        .optional())?;
    if let Some(value) = found {
        return Ok(value.into_bytes());
    }
    let fresh = random_secret("");
    on_backend!(conn, |c| diesel::insert_into(site_secrets::table)
        .values((
            site_secrets::name.eq("link_hmac"),
            site_secrets::value.eq(&fresh),
            site_secrets::created_at.eq(now()),
        ))
        .on_conflict(site_secrets::name)
        .do_nothing()
        .execute(c))?;
    // Another instance may have won the race: read back what is stored.
    let value: String = on_backend!(conn, |c| site_secrets::table
        .select(site_secrets::value)
        .find("link_hmac")
        .first(c))?;
    Ok(value.into_bytes())
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Subscriber>, StoreError> {
    Ok(on_backend!(conn, |c| subscribers::table
        .select(Subscriber::as_select())
        .find(id)
        .first(c)
        .optional())?)
}

pub fn find_by_email(
    conn: &mut DbConn,
    email: &str,
    audience: Audience,
) -> Result<Option<Subscriber>, StoreError> {
    Ok(on_backend!(conn, |c| subscribers::table
        .select(Subscriber::as_select())
        .filter(subscribers::email.eq(email))
        .filter(subscribers::audience.eq(audience.as_str()))
        .first(c)
        .optional())?)
}

/// The subscribers of `audience` with these addresses (for rendering links).
pub fn by_emails(
    conn: &mut DbConn,
    audience: &str,
    emails: &[String],
) -> Result<Vec<Subscriber>, StoreError> {
    Ok(on_backend!(conn, |c| subscribers::table
        .select(Subscriber::as_select())
        .filter(subscribers::audience.eq(audience))
        .filter(subscribers::email.eq_any(emails))
        .load(c))?)
}

pub fn component_ids(conn: &mut DbConn, subscriber_id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(on_backend!(conn, |c| subscriber_components::table
        .select(subscriber_components::component_id)
        .filter(subscriber_components::subscriber_id.eq(subscriber_id))
        .order(subscriber_components::component_id)
        .load(c))?)
}

/// Replaces a subscriber's component choices (empty: everything). Runs in
/// the caller's transaction.
pub fn set_components(
    conn: &mut DbConn,
    subscriber_id: i64,
    component_ids: &[i64],
) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::delete(
        subscriber_components::table.filter(subscriber_components::subscriber_id.eq(subscriber_id))
    )
    .execute(c))?;
    let mut ids = component_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for component_id in ids {
        on_backend!(conn, |c| diesel::insert_into(subscriber_components::table)
            .values((
                subscriber_components::subscriber_id.eq(subscriber_id),
                subscriber_components::component_id.eq(component_id),
            ))
            .execute(c))?;
    }
    on_backend!(conn, |c| diesel::update(
        subscribers::table.find(subscriber_id)
    )
    .set(subscribers::updated_at.eq(now()))
    .execute(c))?;
    Ok(())
}

/// Writes or refreshes the subscriber of `email` in `audience` with a fresh
/// link key and confirm token, unconfirmed, with these component choices.
/// Returns their id, or `None` when the address is already confirmed and
/// active (then nothing is written). Runs in the caller's transaction; the
/// caller queues the confirmation email.
pub fn subscribe(
    conn: &mut DbConn,
    secret_key: Option<&str>,
    email: &EmailAddress,
    audience: Audience,
    component_ids: &[i64],
) -> Result<Option<i64>, StoreError> {
    let secret = site_secret(conn, secret_key)?;
    let at = now();
    let existing = find_by_email(conn, email.as_str(), audience)?;
    if existing.as_ref().is_some_and(Subscriber::is_active) {
        return Ok(None);
    }
    let link_key = random_secret("");
    let confirm_hash = secret_hash(&links::confirm_token(&secret, &link_key));
    let id = match existing {
        Some(s) => {
            on_backend!(conn, |c| diesel::update(subscribers::table.find(s.id))
                .set((
                    subscribers::confirmed_at.eq(None::<NaiveDateTime>),
                    subscribers::unsubscribed_at.eq(None::<NaiveDateTime>),
                    subscribers::confirm_token_hash.eq(Some(&confirm_hash)),
                    subscribers::link_key.eq(&link_key),
                    subscribers::updated_at.eq(at),
                ))
                .execute(c))?;
            s.id
        }
        None => on_backend!(conn, |c| diesel::insert_into(subscribers::table)
            .values((
                subscribers::email.eq(email.as_str()),
                subscribers::audience.eq(audience.as_str()),
                subscribers::bounce_count.eq(0),
                subscribers::confirm_token_hash.eq(Some(&confirm_hash)),
                subscribers::link_key.eq(&link_key),
                subscribers::created_at.eq(at),
                subscribers::updated_at.eq(at),
            ))
            .returning(subscribers::id)
            .get_result::<i64>(c))?,
    };
    set_components(conn, id, component_ids)?;
    Ok(Some(id))
}

/// The subscriber a confirm token is waiting for, if any (read only).
pub fn by_confirm_token(conn: &mut DbConn, token: &str) -> Result<Option<Subscriber>, StoreError> {
    let hash = secret_hash(token);
    Ok(on_backend!(conn, |c| subscribers::table
        .select(Subscriber::as_select())
        .filter(subscribers::confirm_token_hash.eq(&hash))
        .first(c)
        .optional())?)
}

/// Confirms the subscriber whose confirm token this is; `None` when the
/// token is unknown (already used, replaced, or made up). Runs in the
/// caller's transaction.
pub fn confirm(conn: &mut DbConn, token: &str) -> Result<Option<Subscriber>, StoreError> {
    let Some(s) = by_confirm_token(conn, token)? else {
        return Ok(None);
    };
    let at = now();
    on_backend!(conn, |c| diesel::update(subscribers::table.find(s.id))
        .set((
            subscribers::confirmed_at.eq(Some(at)),
            subscribers::confirm_token_hash.eq(None::<String>),
            subscribers::updated_at.eq(at),
        ))
        .execute(c))?;
    find(conn, s.id)
}

/// The subscriber a manage / unsubscribe token names, if its MAC is right.
pub fn by_link_token(
    conn: &mut DbConn,
    secret_key: Option<&str>,
    purpose: &str,
    token: &str,
) -> Result<Option<Subscriber>, StoreError> {
    let Some(id) = links::token_id(token) else {
        return Ok(None);
    };
    let Some(s) = find(conn, id)? else {
        return Ok(None);
    };
    let secret = site_secret(conn, secret_key)?;
    Ok(links::verify_link_token(&secret, purpose, s.id, &s.link_key, token).then_some(s))
}

pub fn unsubscribe(conn: &mut DbConn, subscriber_id: i64) -> Result<(), StoreError> {
    let at = now();
    on_backend!(conn, |c| diesel::update(
        subscribers::table
            .find(subscriber_id)
            .filter(subscribers::unsubscribed_at.is_null())
    )
    .set((
        subscribers::unsubscribed_at.eq(Some(at)),
        subscribers::updated_at.eq(at),
    ))
    .execute(c))?;
    Ok(())
}

/// Active subscribers of `audience` whose filter is empty or meets `components`.
pub fn recipients_for(
    conn: &mut DbConn,
    audience: Audience,
    components: &[i64],
) -> Result<Vec<EmailAddress>, StoreError> {
    let active: Vec<(i64, String)> = on_backend!(conn, |c| subscribers::table
        .select((subscribers::id, subscribers::email))
        .filter(subscribers::audience.eq(audience.as_str()))
        .filter(subscribers::confirmed_at.is_not_null())
        .filter(subscribers::unsubscribed_at.is_null())
        .filter(subscribers::quarantined_at.is_null())
        .order(subscribers::id)
        .load(c))?;
    let filters: Vec<(i64, i64)> = on_backend!(conn, |c| subscriber_components::table
        .inner_join(subscribers::table)
        .select((
            subscriber_components::subscriber_id,
            subscriber_components::component_id,
        ))
        .filter(subscribers::audience.eq(audience.as_str()))
        .load(c))?;
    let mut by_subscriber: std::collections::HashMap<i64, Vec<i64>> = Default::default();
    for (s, c) in filters {
        by_subscriber.entry(s).or_default().push(c);
    }
    Ok(active
        .into_iter()
        .filter(|(id, _)| match by_subscriber.get(id) {
            None => true,
            Some(chosen) => chosen.iter().any(|c| components.contains(c)),
        })
        .filter_map(|(_, email)| EmailAddress::parse(&email).ok())
        .collect())
}

/// Subscribers walked per fan-out transaction by default (the setting
/// `fan_out_batch_size`).
pub const FAN_OUT_BATCH: i64 = 2000;

/// What one fan-out batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanOutBatch {
    pub notification_id: i64,
    /// Matching subscribers walked in this batch.
    pub walked: usize,
    /// Deliveries added (fewer than walked when a batch is redone).
    pub added: usize,
    /// The notification has every delivery now.
    pub done: bool,
}

/// One step of the fan-out, in one write transaction: takes the oldest
/// notification still fanning out (on PostgreSQL, one no other instance is
/// working on), walks up to `batch` matching subscribers after its cursor in
/// id order, adds their deliveries (skipping any that exist), and moves the
/// cursor, setting `fanned_out_at` when the walk is complete. `None` when
/// there is nothing to fan out. A crash loses at most this batch, which the
/// next step redoes.
#[tracing::instrument(skip_all)]
pub fn fan_out_batch(
    conn: &mut DbConn,
    message_domain: &str,
    batch: i64,
) -> Result<Option<FanOutBatch>, StoreError> {
    let batch = batch.max(1);
    conn.write_transaction(|conn| {
        conn.commit_without_waiting_for_disk()?;
        let Some(notification) = outbox::lock_next_fan_out(conn)? else {
            return Ok(None);
        };
        let components: Vec<i64> = notification
            .fan_out_components
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default();
        let page = matching_after(
            conn,
            &notification.audience,
            &components,
            notification.fan_out_cursor,
            batch,
        )?;
        let done = (page.len() as i64) < batch;
        let cursor = page
            .last()
            .map(|(id, _)| *id)
            .unwrap_or(notification.fan_out_cursor);
        let recipients: Vec<EmailAddress> = page
            .iter()
            .filter_map(|(_, email)| EmailAddress::parse(email).ok())
            .collect();
        let added = outbox::add_deliveries_due(
            conn,
            message_domain,
            notification.id,
            &recipients,
            notification.created_at,
        )?;
        outbox::advance_fan_out(conn, notification.id, cursor, done)?;
        tracing::debug!(
            notification = notification.id,
            walked = page.len(),
            added,
            cursor,
            done,
            "fan-out batch"
        );
        Ok(Some(FanOutBatch {
            notification_id: notification.id,
            walked: page.len(),
            added,
            done,
        }))
    })
}

/// Up to `limit` active subscribers of `audience` with an id above `after`,
/// in id order, whose filter is empty or meets `components`: id and address.
pub fn matching_after(
    conn: &mut DbConn,
    audience: &str,
    components: &[i64],
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    use diesel::dsl::{exists, not};
    use subscriber_components as sc;
    if let DbConn::Sqlite(c) = conn {
        // Written out for SQLite: without table statistics it would pick the
        // (audience, confirmed_at, …) index and sort every active subscriber
        // at each batch; the unary `+` keeps it walking the primary key from
        // the cursor, stopping after `limit` matches.
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
            #[diesel(sql_type = diesel::sql_types::Text)]
            email: String,
        }
        let chosen: Vec<String> = components.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT id, email FROM subscribers WHERE +audience = ? AND id > ? \
             AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL AND quarantined_at IS NULL \
             AND (NOT EXISTS (SELECT 1 FROM subscriber_components sc WHERE sc.subscriber_id = subscribers.id) \
             OR EXISTS (SELECT 1 FROM subscriber_components sc WHERE sc.subscriber_id = subscribers.id \
             AND sc.component_id IN ({}))) ORDER BY id LIMIT ?",
            chosen.join(", ")
        );
        let rows: Vec<Row> = diesel::sql_query(sql)
            .bind::<diesel::sql_types::Text, _>(audience)
            .bind::<diesel::sql_types::BigInt, _>(after)
            .bind::<diesel::sql_types::BigInt, _>(limit)
            .load(c)?;
        return Ok(rows.into_iter().map(|r| (r.id, r.email)).collect());
    }
    Ok(on_backend!(conn, |c| {
        let chosen = sc::table.filter(sc::subscriber_id.eq(subscribers::id));
        subscribers::table
            .select((subscribers::id, subscribers::email))
            .filter(subscribers::audience.eq(audience))
            .filter(subscribers::id.gt(after))
            .filter(subscribers::confirmed_at.is_not_null())
            .filter(subscribers::unsubscribed_at.is_null())
            .filter(subscribers::quarantined_at.is_null())
            .filter(
                not(exists(chosen.select(sc::component_id))).or(exists(
                    chosen
                        .select(sc::component_id)
                        .filter(sc::component_id.eq_any(components)),
                )),
            )
            .order(subscribers::id)
            .limit(limit)
            .load(c)
    })?)
}
