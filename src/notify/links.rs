//! Subscriber links: tokens derived with HMAC-SHA256 from the site secret
//! and each subscriber's random `link_key`, and the per-recipient data
//! (links, `List-Unsubscribe` headers) the worker adds to subscriber emails.
//!
//! - confirm: `hex(HMAC(secret, "confirm:" + link_key))`; its SHA-256 is
//!   stored so the link can be looked up, and it is cleared once used.
//! - manage / unsubscribe: `{id}-{hex(HMAC(secret, purpose + ":" + id + ":" + link_key))}`,
//!   checked by recomputing the MAC. A new `link_key` (re-subscribing)
//!   invalidates every old link.

use std::collections::HashMap;

use serde_json::Value;

use crate::config::Settings;
use crate::db::models::subscribers::{self, Subscriber};
use crate::db::{DbConn, StoreError};
use crate::domain::token::{confirm_token, link_token};

pub use crate::domain::token::{MANAGE, UNSUBSCRIBE};

/// One subscriber's links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    pub confirm_url: String,
    pub manage_url: String,
    pub unsubscribe_url: String,
}

impl Links {
    /// As template data.
    pub fn data(&self) -> serde_json::Map<String, Value> {
        let mut data = serde_json::Map::new();
        data.insert("confirm_url".into(), self.confirm_url.clone().into());
        data.insert("manage_url".into(), self.manage_url.clone().into());
        data.insert(
            "unsubscribe_url".into(),
            self.unsubscribe_url.clone().into(),
        );
        data
    }

    /// The one-click unsubscribe headers (RFC 8058) of a bulletin.
    pub fn list_unsubscribe_headers(&self) -> Vec<(String, String)> {
        vec![
            (
                "List-Unsubscribe".to_string(),
                format!("<{}>", self.unsubscribe_url),
            ),
            (
                "List-Unsubscribe-Post".to_string(),
                "List-Unsubscribe=One-Click".to_string(),
            ),
        ]
    }
}

/// What every subscriber of one notification's audience shares on top of
/// its payload: the page's name and URL, the incident or maintenance link,
/// and a maintenance's times in the page's zone.
pub fn shared_data(
    settings: &LinkSettings,
    audience: &str,
    payload: &Value,
) -> serde_json::Map<String, Value> {
    let internal = audience == "internal";
    let root = if internal { "/internal" } else { "" };
    let url = |path: String| format!("{}{path}", settings.base);
    let mut data = serde_json::Map::new();
    data.insert("page_name".into(), settings.page_name.clone().into());
    data.insert("page_url".into(), url(format!("{root}/")).into());
    data.insert("internal".into(), internal.into());
    if let Some(id) = payload.get("incident_id").and_then(Value::as_i64) {
        data.insert(
            "incident_url".into(),
            url(format!("{root}/incidents/{id}")).into(),
        );
    }
    if let Some(id) = payload.get("maintenance_id").and_then(Value::as_i64) {
        data.insert(
            "maintenance_url".into(),
            url(format!(
                "{}#maintenance-{id}",
                if internal { "/internal" } else { "/" }
            ))
            .into(),
        );
        data.extend(super::maintenance::times(payload, settings.time_zone));
    }
    data
}

/// Each recipient's links for subscriber emails (`confirmation`, bulletins);
/// `Err` with a reason when the delivery must not be sent (the subscriber is
/// gone, or unsubscribed since the fan-out).
pub fn personalise(
    conn: &mut DbConn,
    settings: &LinkSettings,
    kind: crate::db::models::outbox::NotificationKind,
    audience: &str,
    recipients: &[String],
) -> Result<HashMap<String, Result<Links, String>>, StoreError> {
    let secret = subscribers::site_secret(conn, settings.secret_key.as_deref())?;
    let found: HashMap<String, Subscriber> = subscribers::by_emails(conn, audience, recipients)?
        .into_iter()
        .map(|s| (s.email.clone(), s))
        .collect();
    let bulletin = kind.is_bulletin();
    let mut out = HashMap::new();
    for recipient in recipients {
        let result = match found.get(recipient) {
            None => Err(format!("{recipient} is no longer a subscriber")),
            Some(s) if bulletin && !s.is_active() => {
                Err(format!("{recipient} unsubscribed or is quarantined"))
            }
            Some(s) => Ok(Links {
                confirm_url: format!(
                    "{}/subscribe/confirm/{}",
                    settings.base,
                    confirm_token(&secret, &s.link_key)
                ),
                manage_url: format!(
                    "{}/subscribe/manage/{}",
                    settings.base,
                    link_token(&secret, MANAGE, s.id, &s.link_key)
                ),
                unsubscribe_url: format!(
                    "{}/unsubscribe/{}",
                    settings.base,
                    link_token(&secret, UNSUBSCRIBE, s.id, &s.link_key)
                ),
            }),
        };
        out.insert(recipient.clone(), result);
    }
    Ok(out)
}

/// What link building needs from the settings.
#[derive(Clone, Debug)]
pub struct LinkSettings {
    pub base: String,
    pub page_name: String,
    pub secret_key: Option<String>,
    /// The page's zone, for times in maintenance emails.
    pub time_zone: chrono_tz::Tz,
}

impl LinkSettings {
    pub fn from(settings: &Settings) -> LinkSettings {
        LinkSettings {
            base: settings.base_url.as_str().trim_end_matches('/').to_string(),
            page_name: settings.page_name.clone(),
            secret_key: settings.secret_key.clone(),
            time_zone: settings.time_zone,
        }
    }
}
