//! The continuous-improvement digest: compose it from the store
//! ([`compose`]), claim its period and queue it in the email outbox in one
//! write transaction. The scheduler's timer calls [`run_due`]; the console
//! calls [`send_now`] and `sitrep digest send` ([`command`]) sends a period
//! by hand, each with a manual key.
//!
//! Once per period: a scheduled digest's key is its period
//! (`<from>/<to>`, RFC 3339), unique in `digests`; the runner that inserts it
//! also queues the notification, any other finds the key taken and does
//! nothing. After downtime only the most recent due period is sent, not a
//! backlog of every missed one.

pub mod command;
mod compose;

pub use command::{parse_instant, run_command, DigestCommand};
pub use compose::compose;

use chrono::NaiveDateTime;

use super::{events, Actor, Context};
use crate::db::models::digest as store;
use crate::db::models::outbox::{NewNotification, NotificationKind};
use crate::domain::digest::{rfc3339, Digest, Period};
use crate::domain::role::Permission;
use crate::domain::status::Audience;
use crate::error::AppError;

/// The outbox notification that carries a digest.
pub fn notification(digest: &Digest, key: &str) -> NewNotification {
    NewNotification {
        kind: NotificationKind::Digest,
        audience: Audience::Internal,
        subject: Some(format!("digest:{key}")),
        payload: serde_json::to_value(digest).unwrap_or_default(),
    }
}

/// Why a digest cannot be sent when nobody is configured to receive it.
pub const NO_RECIPIENTS: &str = "no digest recipients: set digest_recipients in the configuration file or SITREP_DIGEST_RECIPIENTS=ops@example.com,lead@example.com";

/// Sends the digest of `period` to the configured recipients now (the
/// console's "Send now"), keyed so it can be repeated and is never in the
/// way of the scheduled digest. Returns the notification id (`None` in the
/// unlikely case that the random key was taken).
pub async fn send_now(
    ctx: &Context,
    actor: &Actor,
    period: Period,
) -> Result<Option<i64>, AppError> {
    actor.require(Permission::ManageComponents)?;
    let key = manual_key(period, ctx.clock.now());
    queue(ctx, actor, period, period.before(), key).await
}

/// Composes the digest of `period`, claims `key` and queues it to the
/// configured recipients, in one write transaction, as `actor` (the
/// digest's row and its audit entry). `Ok(None)` when the key was taken already.
async fn queue(
    ctx: &Context,
    actor: &Actor,
    period: Period,
    previous: Period,
    key: String,
) -> Result<Option<i64>, AppError> {
    let recipients = ctx.settings.digest_recipients.clone();
    if recipients.is_empty() {
        return Err(AppError::Invalid(NO_RECIPIENTS.into()));
    }
    let digest = compose(ctx, period, previous).await?;
    let new = notification(&digest, &key);
    let sent = ctx
        .write(actor, move |tx| {
            tx.pages_unchanged();
            if !store::claim(tx.conn, &key, period.from, period.to, tx.actor)? {
                return Ok(None);
            }
            let notification_id = events::mail_to(tx, &new, &recipients)?;
            let digest_id = store::set_notification(tx.conn, &key, notification_id)?;
            tx.audit(
                "digest.send",
                ("digest", Some(digest_id)),
                None::<&()>,
                Some(&serde_json::json!({
                    "period_key": key,
                    "notification_id": notification_id,
                    "recipients": recipients.len(),
                })),
            )?;
            Ok(Some(notification_id))
        })
        .await?;
    match sent {
        Some(id) => tracing::info!(
            notification = id,
            from = %rfc3339(period.from),
            to = %rfc3339(period.to),
            "digest queued"
        ),
        None => tracing::debug!("digest period already sent by another runner"),
    }
    Ok(sent)
}

/// The key of a hand-sent digest: never the same twice, so it can be repeated.
pub fn manual_key(period: Period, now: NaiveDateTime) -> String {
    format!(
        "manual:{}:{}-{}",
        period.key(),
        now.and_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ"),
        &crate::domain::token::random_secret("")[..6]
    )
}

/// Sends the most recent period due at `now` unless it was sent already.
/// Returns the notification id when this call queued it. Running it again
/// in the same period, here or on another instance, does nothing.
#[tracing::instrument(skip_all, fields(now = %now))]
pub async fn run_due(ctx: &Context, now: NaiveDateTime) -> Result<Option<i64>, AppError> {
    let settings = &ctx.settings;
    let Some(schedule) = settings.digest_schedule.as_ref() else {
        return Ok(None);
    };
    if settings.digest_recipients.is_empty() {
        return Ok(None);
    }
    let Some((period, previous)) = schedule.due_period(now, settings.time_zone) else {
        return Ok(None);
    };
    let key = period.key();
    let probe = key.clone();
    if ctx.db.run(move |conn| store::exists(conn, &probe)).await? {
        return Ok(None);
    }
    queue(ctx, &Actor::Scheduler, period, previous, key).await
}
