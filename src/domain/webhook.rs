//! Webhook subscriptions: what a registered URL and secret must look like,
//! the events a webhook can choose, and how each request body is signed.
//!
//! Signature: `X-Sitrep-Signature: sha256=<hex>` where `<hex>` is
//! `HMAC-SHA256(secret, "<X-Sitrep-Timestamp>.<raw body>")`, the secret taken
//! as its UTF-8 bytes and the timestamp as the decimal Unix seconds sent in
//! `X-Sitrep-Timestamp`. A receiver recomputes it over the raw body it got,
//! compares in constant time, and rejects timestamps far from its clock.

use serde::Serialize;
use url::Url;

use super::Invalid;

/// The shortest secret accepted: long enough to resist guessing.
pub const MIN_SECRET_CHARS: usize = 16;
/// The longest secret accepted.
pub const MAX_SECRET_CHARS: usize = 200;
/// The longest URL accepted.
pub const MAX_URL_CHARS: usize = 2000;
/// The longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// Which kind of change an event announces; a webhook picks any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventCategory {
    Incident,
    Component,
    Maintenance,
}

/// The events sent, as named in `X-Sitrep-Event` and the body's `meta.event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Event {
    /// An incident got its first customer-facing update.
    IncidentCreated,
    /// A customer-facing update was posted on an incident.
    IncidentUpdated,
    /// An incident's name, impact or start was edited.
    IncidentEdited,
    /// A customer-facing component changed status.
    ComponentUpdated,
    MaintenanceCreated,
    /// A maintenance was edited, got a note, or moved to verifying.
    MaintenanceUpdated,
    MaintenanceStarted,
    MaintenanceCompleted,
    /// "Send a test event" in the console.
    Test,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::IncidentCreated => "incident.created",
            Event::IncidentUpdated => "incident.updated",
            Event::IncidentEdited => "incident.edited",
            Event::ComponentUpdated => "component.updated",
            Event::MaintenanceCreated => "maintenance.created",
            Event::MaintenanceUpdated => "maintenance.updated",
            Event::MaintenanceStarted => "maintenance.started",
            Event::MaintenanceCompleted => "maintenance.completed",
            Event::Test => "test",
        }
    }

    /// The category a webhook must have chosen to get this event (`None`: every webhook).
    pub fn category(self) -> Option<EventCategory> {
        match self {
            Event::IncidentCreated | Event::IncidentUpdated | Event::IncidentEdited => {
                Some(EventCategory::Incident)
            }
            Event::ComponentUpdated => Some(EventCategory::Component),
            Event::MaintenanceCreated
            | Event::MaintenanceUpdated
            | Event::MaintenanceStarted
            | Event::MaintenanceCompleted => Some(EventCategory::Maintenance),
            Event::Test => None,
        }
    }
}

/// An `http` or `https` URL with a host, as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let value = value.trim();
        if value.is_empty() {
            return Err(Invalid::new(
                "Enter the URL to send events to, like https://example.com/hooks/status.",
            ));
        }
        if value.chars().count() > MAX_URL_CHARS {
            return Err(Invalid::new(format!(
                "The URL is longer than {MAX_URL_CHARS} characters: shorten it."
            )));
        }
        let url = Url::parse(value).map_err(|e| {
            Invalid::new(format!(
                "{value:?} is not a URL ({e}): write it like https://example.com/hooks/status."
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Invalid::new(format!(
                "The URL must start with http:// or https://, not {}://.",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Invalid::new(
                "The URL has no host: write it like https://example.com/hooks/status.",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new(
                "Leave user names and passwords out of the URL: the secret signs every request instead.",
            ));
        }
        Ok(WebhookUrl(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A signing secret: 16 to 200 printable characters without spaces.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl WebhookSecret {
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let count = value.chars().count();
        if count < MIN_SECRET_CHARS {
            return Err(Invalid::new(format!(
                "The secret is {count} characters long: use at least {MIN_SECRET_CHARS}, or let Sitrep generate one."
            )));
        }
        if count > MAX_SECRET_CHARS {
            return Err(Invalid::new(format!(
                "The secret is longer than {MAX_SECRET_CHARS} characters: shorten it."
            )));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new(
                "The secret may not contain spaces or control characters.",
            ));
        }
        Ok(WebhookSecret(value.to_string()))
    }

    /// A new random secret: `whsec_` and 64 hex digits.
    pub fn generate() -> Self {
        WebhookSecret(super::token::random_secret("whsec_"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A free-text note on what the webhook is for.
pub fn parse_description(value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Invalid::new(format!(
            "The description is longer than {MAX_DESCRIPTION_CHARS} characters: shorten it."
        )));
    }
    Ok(value.to_string())
}

/// The `X-Sitrep-Signature` value for a body sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    format!(
        "sha256={}",
        hex::encode(crate::domain::token::hmac_sha256(
            secret.as_bytes(),
            &message
        ))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert_eq!(
            WebhookUrl::parse(" https://example.com/hook ")
                .unwrap()
                .as_str(),
            "https://example.com/hook"
        );
        assert!(WebhookUrl::parse("http://127.0.0.1:8080/x?y=1").is_ok());
        for (bad, says) in [
            ("", "Enter the URL"),
            ("ftp://example.com/", "http:// or https://"),
            ("example.com/hook", "is not a URL"),
            ("https://user:pw@example.com/", "passwords"),
            ("mailto:ops@example.com", "http:// or https://"),
        ] {
            let err = WebhookUrl::parse(bad).unwrap_err();
            assert!(err.0.contains(says), "{bad}: {}", err.0);
        }
    }

    #[test]
    fn secrets_are_long_enough_and_printable() {
        assert!(WebhookSecret::parse("0123456789abcdef").is_ok());
        assert!(WebhookSecret::parse("short")
            .unwrap_err()
            .0
            .contains("at least 16"));
        assert!(WebhookSecret::parse("0123456789 abcdef").is_err());
        let generated = WebhookSecret::generate();
        assert!(generated.as_str().starts_with("whsec_"));
        assert_eq!(generated.as_str().len(), 6 + 64);
        assert!(!format!("{generated:?}").contains("whsec_"));
    }

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Python: hmac.new(b"Jefe", b"1700000000.{}", "sha256").hexdigest()
        let sig = signature("Jefe", 1_700_000_000, b"{}");
        assert!(sig.starts_with("sha256="));
        assert_eq!(sig.len(), 7 + 64);
        assert_eq!(
            sig,
            "sha256=d3793e2b4103edfbd98cc19591832f5fad701d413db9fcae0ae7dab8184ed207"
        );
        assert_ne!(sig, signature("Jefe", 1_700_000_001, b"{}"));
        assert_ne!(sig, signature("Jefx", 1_700_000_000, b"{}"));
    }

    #[test]
    fn events_have_categories() {
        assert_eq!(
            Event::ComponentUpdated.category(),
            Some(EventCategory::Component)
        );
        assert_eq!(Event::MaintenanceStarted.as_str(), "maintenance.started");
        assert_eq!(Event::Test.category(), None);
    }
}
