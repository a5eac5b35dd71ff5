//! Email subscribers: subscribing from the public forms (double opt-in),
//! confirming, unsubscribing (the page's button and RFC 8058 one-click),
//! changing the component filter, and the console's CSV import and removal.
//!
//! A subscriber's writes change nothing the pages show: no revision bump,
//! no snapshot rebuild ([`super::Tx::pages_unchanged`]).

use serde::Serialize;

use super::{events, Actor, Context};
use crate::config::Settings;
use crate::db::models::components;
use crate::db::models::outbox::{NewNotification, NotificationKind};
use crate::db::models::subscriber_admin::{self, ImportReport};
use crate::db::models::subscribers::{self, Subscriber};
use crate::db::{DbConn, StoreError};
use crate::domain::email::EmailAddress;
use crate::domain::role::Permission;
use crate::domain::status::Audience;
use crate::error::AppError;
use crate::notify::links;

/// What [`subscribe`] did; the visitor sees the same page either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// A new (or unconfirmed, or unsubscribed) address: a confirmation email is queued.
    ConfirmationSent,
    /// Already confirmed and active: nothing is sent.
    AlreadySubscribed,
}

/// Subscribes `email` to `audience` with the components picked (only those
/// the audience can see count; none: everything) and, in the same
/// transaction, queues the confirmation email. An address that is already
/// confirmed is left alone and gets no email (so the form cannot be used to
/// spam a subscriber, and the answer page is the same). Anyone may
/// subscribe to the external stream; the internal one is for signed-in staff.
pub async fn subscribe(
    ctx: &Context,
    actor: &Actor,
    audience: Audience,
    email: EmailAddress,
    picked: Vec<i64>,
) -> Result<SubscribeOutcome, AppError> {
    if audience == Audience::Internal && actor.staff().is_none() {
        return Err(AppError::Unauthorized);
    }
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let allowed = visible_components(tx.conn, audience, &picked)?;
        let secret_key = tx.settings.secret_key.clone();
        let Some(id) =
            subscribers::subscribe(tx.conn, secret_key.as_deref(), &email, audience, &allowed)?
        else {
            return Ok(SubscribeOutcome::AlreadySubscribed);
        };
        let confirmation = NewNotification {
            kind: NotificationKind::Confirmation,
            audience,
            subject: Some(format!("subscriber:{id}")),
            payload: serde_json::json!({ "subscriber_id": id }),
        };
        events::mail_to(tx, &confirmation, std::slice::from_ref(&email))?;
        Ok(SubscribeOutcome::ConfirmationSent)
    })
    .await
}

/// Confirms the subscriber whose confirm token this is; `None` when the
/// token is unknown (already used, replaced, or made up).
pub async fn confirm(ctx: &Context, token: String) -> Result<Option<Subscriber>, AppError> {
    ctx.write(&Actor::Public, move |tx| {
        tx.pages_unchanged();
        Ok(subscribers::confirm(tx.conn, &token)?)
    })
    .await
}

/// Unsubscribes the subscriber an unsubscribe link names; 404 when the
/// link is not valid. Returns the subscriber as they were.
pub async fn unsubscribe(ctx: &Context, token: String) -> Result<Subscriber, AppError> {
    ctx.write(&Actor::Public, move |tx| {
        tx.pages_unchanged();
        let s = by_link_token(tx.conn, tx.settings, links::UNSUBSCRIBE, &token)?;
        subscribers::unsubscribe(tx.conn, s.id)?;
        Ok(s)
    })
    .await
}

/// Replaces the component choices of the subscriber a manage link names
/// (only components their audience can see count; none: everything).
pub async fn manage(ctx: &Context, token: String, picked: Vec<i64>) -> Result<(), AppError> {
    ctx.write(&Actor::Public, move |tx| {
        tx.pages_unchanged();
        let s = by_link_token(tx.conn, tx.settings, links::MANAGE, &token)?;
        let audience = Audience::parse(&s.audience)?;
        let allowed = visible_components(tx.conn, audience, &picked)?;
        subscribers::set_components(tx.conn, s.id, &allowed)?;
        Ok(())
    })
    .await
}

/// The subscriber a manage / unsubscribe token names; 404 when its MAC is
/// wrong or the subscriber is gone.
pub fn by_link_token(
    conn: &mut DbConn,
    settings: &Settings,
    purpose: &str,
    token: &str,
) -> Result<Subscriber, AppError> {
    subscribers::by_link_token(conn, settings.secret_key.as_deref(), purpose, token)?.ok_or_else(
        || AppError::NotFound("This link is not valid: check that it was copied whole.".into()),
    )
}

/// The ids in `picked` of components `audience` can see.
fn visible_components(
    conn: &mut DbConn,
    audience: Audience,
    picked: &[i64],
) -> Result<Vec<i64>, StoreError> {
    Ok(components::list(conn)?
        .into_iter()
        .filter(|c| c.audience.visible_to(audience) && picked.contains(&c.id))
        .map(|c| c.id)
        .collect())
}

#[derive(Serialize)]
struct Audited<'a> {
    email: &'a str,
    audience: &'a str,
    status: &'a str,
    bounce_count: i32,
}

/// Deletes a subscriber (and their component choices), audited; their
/// pending deliveries are marked quarantined so nothing more is sent.
pub async fn remove(ctx: &Context, actor: &Actor, id: i64) -> Result<Subscriber, AppError> {
    actor.require(Permission::ManageComponents)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let sub = subscriber_admin::remove(tx.conn, id)?;
        tx.audit::<_, ()>(
            "subscriber.remove",
            ("subscriber", Some(id)),
            Some(&Audited {
                email: &sub.email,
                audience: &sub.audience,
                status: subscriber_admin::status_of(&sub),
                bounce_count: sub.bounce_count,
            }),
            None,
        )?;
        Ok(sub)
    })
    .await
}

/// Imports `email,audience,components` CSV lines as confirmed subscribers,
/// with no confirmation email, in one transaction; one audit row per
/// subscriber added. The report names the lines skipped and not understood.
pub async fn import(ctx: &Context, actor: &Actor, csv: String) -> Result<ImportReport, AppError> {
    actor.require(Permission::ManageComponents)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let (report, added) = subscriber_admin::import(tx.conn, &csv)?;
        for imported in added {
            tx.audit::<(), _>(
                "subscriber.import",
                ("subscriber", Some(imported.id)),
                None,
                Some(&serde_json::json!({
                    "email": imported.email.as_str(),
                    "audience": imported.audience.as_str(),
                    "component_ids": imported.component_ids,
                    "line": imported.line,
                })),
            )?;
        }
        Ok(report)
    })
    .await
}
