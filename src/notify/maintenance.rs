//! Maintenance emails: which event each one announces, the payload one
//! audience's notification carries, and the times the worker adds in the
//! page's time zone when it renders `templates/email/maintenance_<event>/`.
//!
//! The payload holds times in UTC (RFC 3339); they are shown in the zone the
//! page has when the email is sent.

use chrono::{DateTime, NaiveDateTime};
use chrono_tz::Tz;
use serde_json::{json, Map, Value};

use crate::db::models::outbox::NotificationKind;
use crate::domain::maintenance::{rfc3339, Window};

/// What a maintenance email announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaintenanceEvent {
    /// It was scheduled (created with notifications on).
    Scheduled,
    /// Its window starts in `maintenance_reminder`.
    Reminder,
    /// It started (by the scheduler or by hand).
    Started,
    /// It (or one window of a recurring one) completed.
    Completed,
}

impl MaintenanceEvent {
    pub fn kind(self) -> NotificationKind {
        match self {
            MaintenanceEvent::Scheduled => NotificationKind::MaintenanceScheduled,
            MaintenanceEvent::Reminder => NotificationKind::MaintenanceReminder,
            MaintenanceEvent::Started => NotificationKind::MaintenanceStarted,
            MaintenanceEvent::Completed => NotificationKind::MaintenanceCompleted,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceEvent::Scheduled => "scheduled",
            MaintenanceEvent::Reminder => "reminder",
            MaintenanceEvent::Started => "started",
            MaintenanceEvent::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MaintenanceEvent::Scheduled => "Scheduled",
            MaintenanceEvent::Reminder => "Starting soon",
            MaintenanceEvent::Started => "In progress",
            MaintenanceEvent::Completed => "Completed",
        }
    }
}

/// What one audience's notification of a maintenance event carries.
#[derive(Debug, Clone)]
pub struct MaintenanceMail<'a> {
    pub id: i64,
    pub name: &'a str,
    pub event: MaintenanceEvent,
    /// The window the email is about (for a completed recurring one, the
    /// window that just ended).
    pub window: Window,
    /// For a recurring maintenance that completed a window: the next one.
    pub next: Option<Window>,
    pub recurring: bool,
    /// Markdown, and its sanitised HTML.
    pub text: &'a str,
    pub html: &'a str,
    /// Names of the affected components this audience sees.
    pub components: Vec<String>,
}

impl MaintenanceMail<'_> {
    /// The JSON the templates render (with [`times`] added by the worker).
    pub fn payload(&self) -> Value {
        json!({
            "maintenance_id": self.id,
            "maintenance_name": self.name,
            "event": self.event.as_str(),
            "event_label": self.event.label(),
            "starts_at": rfc3339(self.window.starts_at),
            "ends_at": rfc3339(self.window.ends_at),
            "next_starts_at": self.next.map(|w| rfc3339(w.starts_at)),
            "next_ends_at": self.next.map(|w| rfc3339(w.ends_at)),
            "recurring": self.recurring,
            "text": self.text,
            "html": self.html,
            "components": self.components,
            "components_list": self.components.join(", "),
        })
    }

    /// What the notification is about: kind, maintenance and window, so the
    /// same event of another window is told apart.
    pub fn subject(&self) -> String {
        format!(
            "{}:{}:{}",
            self.event.kind().as_str(),
            self.id,
            rfc3339(self.window.starts_at)
        )
    }
}

fn parse(value: Option<&Value>) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(value?.as_str()?)
        .ok()
        .map(|t| t.naive_utc())
}

/// "Tue 24 Nov 22:00 CET": short enough for a subject.
pub fn short(at: NaiveDateTime, zone: Tz) -> String {
    at.and_utc()
        .with_timezone(&zone)
        .format("%a %-d %b %H:%M %Z")
        .to_string()
}

/// "Tue 24 Nov 2026, 22:00–23:00 CET", or both ends in full when the window
/// spans days.
pub fn window_text(window: Window, zone: Tz) -> String {
    let starts = window.starts_at.and_utc().with_timezone(&zone);
    let ends = window.ends_at.and_utc().with_timezone(&zone);
    if starts.date_naive() == ends.date_naive() && starts.offset() == ends.offset() {
        format!(
            "{}–{}",
            starts.format("%a %-d %b %Y, %H:%M"),
            ends.format("%H:%M %Z")
        )
    } else {
        format!(
            "{} – {}",
            starts.format("%a %-d %b %Y, %H:%M %Z"),
            ends.format("%a %-d %b %Y, %H:%M %Z")
        )
    }
}

/// The times of a maintenance payload as people read them in `zone`:
/// `starts`, `ends` (short), `window`, and `next_window` (or null).
pub fn times(payload: &Value, zone: Tz) -> Map<String, Value> {
    let mut out = Map::new();
    let starts = parse(payload.get("starts_at"));
    let ends = parse(payload.get("ends_at"));
    if let (Some(starts), Some(ends)) = (starts, ends) {
        out.insert("starts".into(), short(starts, zone).into());
        out.insert("ends".into(), short(ends, zone).into());
        out.insert(
            "window".into(),
            window_text(
                Window {
                    starts_at: starts,
                    ends_at: ends,
                },
                zone,
            )
            .into(),
        );
    }
    let next = match (
        parse(payload.get("next_starts_at")),
        parse(payload.get("next_ends_at")),
    ) {
        (Some(starts_at), Some(ends_at)) => {
            Value::String(window_text(Window { starts_at, ends_at }, zone))
        }
        _ => Value::Null,
    };
    out.insert("next_window".into(), next);
    out.insert("time_zone".into(), zone.name().into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(value: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn times_are_shown_in_the_page_zone() {
        let paris = chrono_tz::Europe::Paris;
        let w = Window::new(at("2026-11-24 21:00"), at("2026-11-24 22:00")).unwrap();
        assert_eq!(short(w.starts_at, paris), "Tue 24 Nov 22:00 CET");
        assert_eq!(window_text(w, paris), "Tue 24 Nov 2026, 22:00–23:00 CET");
        let long = Window::new(at("2026-11-24 22:00"), at("2026-11-25 02:00")).unwrap();
        assert_eq!(
            window_text(long, paris),
            "Tue 24 Nov 2026, 23:00 CET – Wed 25 Nov 2026, 03:00 CET"
        );
    }

    #[test]
    fn the_payload_reads_back_as_times_and_names_its_window() {
        let w = Window::new(at("2026-11-24 21:00"), at("2026-11-24 22:00")).unwrap();
        let mail = MaintenanceMail {
            id: 7,
            name: "Database upgrade",
            event: MaintenanceEvent::Completed,
            window: w,
            next: Some(w.moved_to(at("2026-12-01 21:00"))),
            recurring: true,
            text: "Done.",
            html: "<p>Done.</p>",
            components: vec!["API".into(), "Web".into()],
        };
        assert_eq!(
            mail.subject(),
            "maintenance_completed:7:2026-11-24T21:00:00Z"
        );
        let payload = mail.payload();
        assert_eq!(payload["components_list"], "API, Web");
        let times = times(&payload, chrono_tz::UTC);
        assert_eq!(times["starts"], "Tue 24 Nov 21:00 UTC");
        assert_eq!(times["next_window"], "Tue 1 Dec 2026, 21:00–22:00 UTC");
        let once = MaintenanceMail { next: None, ..mail };
        assert_eq!(times_of(&once)["next_window"], Value::Null);
    }

    #[test]
    fn every_maintenance_email_renders_escaped_html_and_plain_text() {
        let templates = crate::notify::email::EmailTemplates::load(None).unwrap();
        let name = "<script>alert(\"x\")</script> Zürich — 東京 ☃";
        let w = Window::new(at("2026-11-24 21:00"), at("2026-11-24 22:00")).unwrap();
        for event in [
            MaintenanceEvent::Scheduled,
            MaintenanceEvent::Reminder,
            MaintenanceEvent::Started,
            MaintenanceEvent::Completed,
        ] {
            let mail = MaintenanceMail {
                id: 3,
                name,
                event,
                window: w,
                next: None,
                recurring: false,
                text: "We **upgrade** <b>it</b>.",
                html: "<p>We <strong>upgrade</strong> &lt;b&gt;it&lt;/b&gt;.</p>",
                components: vec!["API & \"Web\"".into()],
            };
            let mut data = match mail.payload() {
                Value::Object(map) => map,
                _ => unreachable!(),
            };
            data.extend(times(
                &Value::Object(data.clone()),
                chrono_tz::Europe::Paris,
            ));
            for (key, value) in [
                ("recipient", "a@example.com"),
                ("page_name", "Acme"),
                ("page_url", "https://status.example.com/"),
                (
                    "maintenance_url",
                    "https://status.example.com/#maintenance-3",
                ),
                (
                    "manage_url",
                    "https://status.example.com/subscribe/manage/1-aa",
                ),
                (
                    "unsubscribe_url",
                    "https://status.example.com/unsubscribe/1-bb",
                ),
            ] {
                data.insert(key.into(), value.into());
            }
            let email = templates
                .render(event.kind(), &Value::Object(data))
                .unwrap_or_else(|e| panic!("{event:?}: {e:#}"));
            assert!(
                email.subject.starts_with("[Maintenance] <script>"),
                "{}",
                email.subject
            );
            assert!(email.subject.contains("Zürich — 東京 ☃"));
            assert!(email.text.contains(name), "{}", email.text);
            assert!(email.text.contains("Tue 24 Nov 2026, 22:00–23:00 CET"));
            assert!(email.text.contains("Affected: API & \"Web\""));
            assert!(email.text.contains("We **upgrade** <b>it</b>."));
            assert!(email.text.contains("/subscribe/manage/1-aa"));
            assert!(!email.html.contains("<script>"), "{}", email.html);
            assert!(email.html.contains("&lt;script&gt;"));
            assert!(email.html.contains("<strong>upgrade</strong>"));
            assert!(email
                .html
                .contains("href=\"https://status.example.com/#maintenance-3\""));
        }
    }

    fn times_of(mail: &MaintenanceMail<'_>) -> Map<String, Value> {
        times(&mail.payload(), chrono_tz::UTC)
    }
}
