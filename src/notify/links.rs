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
use std::sync::OnceLock;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::db::models::subscribers::{self, Subscriber};
use crate::db::{DbConn, StoreError};
use crate::domain::token::secrets_match;

pub const MANAGE: &str = "manage";
pub const UNSUBSCRIBE: &str = "unsubscribe";

static MESSAGE_DOMAIN: OnceLock<String> = OnceLock::new();

/// Remembers the site's host for Message-IDs of notifications written by
/// model code that has no settings at hand (incident updates).
pub fn configure(settings: &Settings) {
    let _ = MESSAGE_DOMAIN.set(super::sender::message_domain(settings));
}

pub fn message_domain() -> String {
    MESSAGE_DOMAIN
        .get()
        .cloned()
        .unwrap_or_else(|| "localhost".to_string())
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

pub fn confirm_token(secret: &[u8], link_key: &str) -> String {
    hex::encode(hmac_sha256(
        secret,
        format!("confirm:{link_key}").as_bytes(),
    ))
}

pub fn link_token(secret: &[u8], purpose: &str, id: i64, link_key: &str) -> String {
    let mac = hmac_sha256(secret, format!("{purpose}:{id}:{link_key}").as_bytes());
    format!("{id}-{}", hex::encode(mac))
}

/// The subscriber id a manage / unsubscribe token names (not yet verified).
pub fn token_id(token: &str) -> Option<i64> {
    token.split_once('-')?.0.parse().ok()
}

pub fn verify_link_token(
    secret: &[u8],
    purpose: &str,
    id: i64,
    link_key: &str,
    token: &str,
) -> bool {
    secrets_match(&link_token(secret, purpose, id, link_key), token)
}

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
    kind: super::outbox::NotificationKind,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn link_tokens_verify_only_with_the_same_key_and_purpose() {
        let t = link_token(b"s", UNSUBSCRIBE, 7, "k");
        assert_eq!(token_id(&t), Some(7));
        assert!(verify_link_token(b"s", UNSUBSCRIBE, 7, "k", &t));
        assert!(!verify_link_token(b"s", MANAGE, 7, "k", &t));
        assert!(!verify_link_token(b"s", UNSUBSCRIBE, 7, "k2", &t));
        assert!(!verify_link_token(b"t", UNSUBSCRIBE, 7, "k", &t));
    }
}
