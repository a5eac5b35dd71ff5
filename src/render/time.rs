//! Times as people read them: stored in UTC, shown in the page's time zone
//! with the zone named.

use chrono::NaiveDateTime;
use chrono_tz::Tz;

/// "23 Nov 2026, 14:05 CET".
pub fn local(at: NaiveDateTime, zone: Tz) -> String {
    at.and_utc()
        .with_timezone(&zone)
        .format("%d %b %Y, %H:%M %Z")
        .to_string()
}

/// The value of an `<input type="datetime-local">` in the page's zone.
pub fn input_value(at: NaiveDateTime, zone: Tz) -> String {
    at.and_utc()
        .with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Parses an `<input type="datetime-local">` value typed in the page's zone, or
/// an RFC 3339 time, into UTC.
pub fn parse_input(value: &str, zone: Tz) -> Result<NaiveDateTime, crate::domain::Invalid> {
    use chrono::TimeZone;
    let value = value.trim();
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(at.naive_utc());
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(value, format) {
            return zone
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.naive_utc())
                .ok_or_else(|| {
                    crate::domain::Invalid::new(format!(
                        "{value} does not exist in {zone} (a clock change skips it)."
                    ))
                });
        }
    }
    Err(crate::domain::Invalid::new(format!(
        "{value:?} is not a date and time: write 2026-11-23T14:05 (in {zone}) or an RFC 3339 time."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_page_zone_with_its_name() {
        let at = NaiveDateTime::parse_from_str("2026-11-23 13:05", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(
            local(at, chrono_tz::Europe::Paris),
            "23 Nov 2026, 14:05 CET"
        );
        assert_eq!(local(at, chrono_tz::UTC), "23 Nov 2026, 13:05 UTC");
    }

    #[test]
    fn typed_local_times_become_utc() {
        let at = parse_input("2026-07-01T10:00", chrono_tz::Europe::Paris).unwrap();
        assert_eq!(at.to_string(), "2026-07-01 08:00:00");
        let at = parse_input("2026-07-01T10:00:00Z", chrono_tz::Europe::Paris).unwrap();
        assert_eq!(at.to_string(), "2026-07-01 10:00:00");
        assert!(parse_input("tomorrow", chrono_tz::UTC)
            .unwrap_err()
            .0
            .contains("2026-11-23T14:05"));
    }
}
