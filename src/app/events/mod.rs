//! Effects, declared in one place: what happened → the outbox rows of every
//! channel, written in the transaction of the change itself (so an effect
//! exists if and only if the change does).
//!
//! A use case says what happened with [`super::Tx::record`]; each channel is
//! one consumer below that decides whether and what it sends:
//! - [`subscriber_mail`]: emails to subscribers (the `notifications` outbox);
//! - [`webhooks`]: Statuspage-shaped webhook bodies (the `webhook_deliveries` outbox).
//!
//! Adding a channel (chat, escalation nudges) means adding one consumer
//! module and one line in [`record`]; no storage code changes.

pub mod maintenance_mail;
pub mod subscriber_mail;
pub mod webhooks;

use crate::db::models::components::Component;
use crate::db::models::incidents::{Incident, IncidentUpdate};
use crate::db::models::maintenances::Maintenance;
use crate::db::models::outbox::{self, NewNotification};
use crate::db::StoreError;
use crate::domain::email::EmailAddress;
use crate::domain::maintenance::{MaintenanceStatus, Window};
use maintenance_mail::MaintenanceEvent;

use super::Tx;

/// Something that happened that a channel may announce.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// An update was posted on an incident (also its first one, when it opened).
    IncidentUpdatePosted {
        incident: &'a Incident,
        update: &'a IncidentUpdate,
    },
    /// An incident's facts were edited.
    IncidentEdited {
        before: &'a Incident,
        after: &'a Incident,
    },
    /// A component was changed (its status, audience, name…).
    ComponentChanged {
        before: &'a Component,
        after: &'a Component,
    },
    /// A maintenance was scheduled.
    MaintenanceCreated { id: i64 },
    /// A maintenance's facts were edited.
    MaintenanceEdited { id: i64 },
    /// An update was posted on a maintenance, by a person or the scheduler:
    /// it moved from `from` to `to` (a completed recurring one may already
    /// be scheduled again for its next window).
    MaintenanceMoved {
        id: i64,
        from: MaintenanceStatus,
        to: MaintenanceStatus,
    },
    /// Subscribers are to hear of a maintenance (scheduled, a reminder,
    /// started, completed), unless it is silent (`maintenance.notify`).
    MaintenanceAnnounced {
        maintenance: &'a Maintenance,
        /// Its components, each audience hears of those it sees.
        components: &'a [Component],
        mail: MaintenanceEvent,
        /// The window the email is about (for a completed recurring one,
        /// the window that just ended).
        window: Window,
        /// For a recurring one that completed a window: the next one.
        next: Option<Window>,
        /// The update's Markdown.
        text: &'a str,
    },
}

/// Queues an email to named people rather than to subscribers (a
/// subscription's confirmation, the digest to its recipients), fanned out at
/// once; the sender is woken after the commit. Every outbox row is written
/// by this module: the channels' consumers below, and this.
pub fn mail_to(
    tx: &mut Tx<'_>,
    notification: &NewNotification,
    recipients: &[EmailAddress],
) -> Result<i64, StoreError> {
    let domain = crate::notify::sender::message_domain(tx.settings);
    let id = outbox::enqueue(tx.conn, &domain, notification, recipients)?;
    tx.queued_mail();
    Ok(id)
}

/// Hands `event` to every channel, inside the caller's transaction.
pub(super) fn record(tx: &mut Tx<'_>, event: &Event<'_>) -> Result<(), StoreError> {
    subscriber_mail::on(tx, event)?;
    webhooks::on(tx, event)?;
    Ok(())
}
