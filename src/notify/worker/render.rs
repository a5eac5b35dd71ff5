//! Rendering a claimed batch: each notification's shared data and stencil,
//! each subscriber's personal links, and every recipient's email.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use super::{Prepared, Worker};
use crate::db::models::outbox::{self, Delivery, NotificationKind};
use crate::db::StoreError;
use crate::notify::links::{self, Links};
use crate::notify::sender::{Content, OutgoingEmail, SendError};
use crate::notify::stencil::{self, Stencil};

/// The claimed batch's notifications by id: kind (or why it is unknown),
/// payload and audience.
type Notifications = HashMap<i64, (Result<NotificationKind, String>, Value, String)>;
/// Subscribers' links by notification and recipient (or why there are none).
type Personal = HashMap<(i64, String), Result<Links, String>>;

/// What every recipient of one notification in a batch shares.
pub(super) struct Shared {
    kind: NotificationKind,
    /// The payload, with the subscriber page's links for subscriber emails.
    data: Map<String, Value>,
    stencil: Option<Arc<Stencil>>,
    /// The stencil has been checked against a full rendering.
    checked: bool,
}

impl Worker {
    /// Renders the emails of claimed deliveries; a delivery that cannot be
    /// rendered is kept with its failure.
    pub(super) async fn render(
        &self,
        started: Instant,
        claimed: Vec<Delivery>,
    ) -> Result<Prepared, StoreError> {
        let notifications = self.notifications_of(&claimed).await?;
        let personal = self.personal_links(&claimed, &notifications).await?;
        let mut shared: HashMap<i64, Shared> = HashMap::new();
        let mut emails = Vec::with_capacity(claimed.len());
        let mut failures = Vec::new();
        for (so_far, delivery) in claimed.iter().enumerate() {
            // The batch on the wire shares this thread: let its connections
            // answer the relay between a few emails (a full rendering takes
            // a while) rather than after the whole batch.
            if so_far % 8 == 7 {
                tokio::task::yield_now().await;
            }
            let id = delivery.notification_id;
            let prepared = match notifications.get(&id) {
                Some((Ok(kind), Value::Object(payload), audience)) => {
                    let shared = shared
                        .entry(id)
                        .or_insert_with(|| self.shared(*kind, payload, audience));
                    let links = match personal.get(&(id, delivery.recipient.clone())) {
                        Some(Err(reason)) => Err(SendError::Permanent(reason.clone())),
                        found => Ok(found.and_then(|links| links.as_ref().ok()).cloned()),
                    };
                    links.and_then(|links| self.content(shared, &delivery.recipient, links))
                }
                Some((Err(unknown), _, _)) => Err(SendError::Transient(unknown.clone())),
                _ => Err(SendError::Permanent(format!(
                    "notification {id} has no payload to render"
                ))),
            };
            match prepared {
                Ok(content) => emails.push(OutgoingEmail {
                    delivery_id: delivery.id,
                    message_id: delivery.message_id.clone(),
                    to: delivery.recipient.clone(),
                    content,
                }),
                Err(error) => {
                    tracing::error!(delivery = delivery.id, %error, "cannot render an email");
                    failures.push((delivery.id, error));
                }
            }
        }
        Ok(Prepared {
            started,
            claimed,
            emails,
            failures,
        })
    }

    /// The notifications of claimed deliveries.
    async fn notifications_of(&self, claimed: &[Delivery]) -> Result<Notifications, StoreError> {
        let mut notification_ids: Vec<i64> = claimed.iter().map(|d| d.notification_id).collect();
        notification_ids.sort_unstable();
        notification_ids.dedup();
        Ok(self
            .db
            .run(move |conn| outbox::notifications_by_id(conn, &notification_ids))
            .await?
            .into_iter()
            .map(|n| {
                let kind = NotificationKind::parse(&n.kind).map_err(|e| e.to_string());
                let payload = serde_json::from_str(&n.payload_json).unwrap_or(Value::Null);
                (n.id, (kind, payload, n.audience))
            })
            .collect())
    }

    /// Subscriber emails get their recipient's links.
    async fn personal_links(
        &self,
        claimed: &[Delivery],
        notifications: &Notifications,
    ) -> Result<Personal, StoreError> {
        let mut wanted: HashMap<i64, (NotificationKind, String, Vec<String>)> = HashMap::new();
        for delivery in claimed {
            if let Some((Ok(kind), _, audience)) = notifications.get(&delivery.notification_id) {
                if kind.to_subscribers() {
                    wanted
                        .entry(delivery.notification_id)
                        .or_insert_with(|| (*kind, audience.clone(), Vec::new()))
                        .2
                        .push(delivery.recipient.clone());
                }
            }
        }
        let settings = self.links.clone();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        self.db
            .run(move |conn| {
                let mut out = HashMap::new();
                for (id, (kind, audience, recipients)) in wanted {
                    let links = links::personalise(conn, &settings, kind, &audience, &recipients)?;
                    out.extend(links.into_iter().map(|(to, links)| ((id, to), links)));
                }
                Ok::<_, StoreError>(out)
            })
            .await
    }

    /// What every recipient of one notification in a batch shares: its
    /// template data and, when it can be made, its stencil.
    fn shared(
        &self,
        kind: NotificationKind,
        payload: &Map<String, Value>,
        audience: &str,
    ) -> Shared {
        let mut data = payload.clone();
        if kind.to_subscribers() {
            data.extend(links::shared_data(
                &self.links,
                audience,
                &Value::Object(payload.clone()),
            ));
        }
        let stencil = Stencil::new(
            &self.templates,
            kind,
            data.clone(),
            kind.to_subscribers(),
            kind.is_bulletin(),
            self.mailer.from(),
        );
        let stencil = match stencil {
            Ok(stencil) => Some(Arc::new(stencil)),
            Err(error) => {
                tracing::info!(kind = kind.as_str(), error = %format!("{error:#}"), "rendering each email in full");
                None
            }
        };
        Shared {
            kind,
            data,
            stencil,
            checked: false,
        }
    }

    /// One recipient's email: the notification's stencil when it fits
    /// them, a rendering of its own otherwise. The first use of a stencil
    /// is checked against a full rendering (a template that transforms a
    /// personal value gives something else; the notification's emails are
    /// then rendered in full).
    fn content(
        &self,
        shared: &mut Shared,
        recipient: &str,
        links: Option<Links>,
    ) -> Result<Content, SendError> {
        let kind = shared.kind;
        let full = |data: &Map<String, Value>, links: &Option<Links>| {
            let mut data = data.clone();
            data.insert("recipient".into(), Value::String(recipient.to_string()));
            if let Some(links) = links {
                data.extend(links.data());
            }
            self.templates
                .render_value(kind, Value::Object(data))
                .map_err(|e| SendError::Transient(format!("{e:#}")))
        };
        let fits = links.is_some() == kind.to_subscribers() && stencil::fits(recipient);
        if let Some(stencil) = shared.stencil.clone().filter(|_| fits) {
            if !shared.checked {
                shared.checked = true;
                let values = stencil::Values {
                    recipient,
                    message_id: "",
                    links: links.as_ref(),
                };
                if full(&shared.data, &links)? != stencil.rendered_for(&values) {
                    tracing::info!(
                        kind = kind.as_str(),
                        "a template transforms a personal value: rendering each email in full"
                    );
                    shared.stencil = None;
                }
            }
            if shared.stencil.is_some() {
                return Ok(Content::Stencil { stencil, links });
            }
        }
        let email = full(&shared.data, &links)?;
        let headers = match &links {
            Some(links) if kind.is_bulletin() => links.list_unsubscribe_headers(),
            _ => Vec::new(),
        };
        Ok(Content::Rendered { email, headers })
    }
}
