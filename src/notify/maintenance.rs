//! Maintenance emails: the times the worker adds, in the page's time zone,
//! when it renders `templates/email/maintenance_<event>/` (the payload itself
//! is built by the subscriber-mail channel, `app::events::maintenance_mail`).
//!
//! The payload holds times in UTC (RFC 3339); they are shown in the zone the
//! page has when the email is sent.

use chrono::{DateTime, NaiveDateTime};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::domain::maintenance::Window;

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
    use crate::domain::maintenance::Window;

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
}
