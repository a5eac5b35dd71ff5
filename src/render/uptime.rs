//! The 90-day uptime bars on the status pages: one bar per local day, its
//! colour from the worst status of that day, a tooltip with the figure and the
//! time spent in each status, and the same in words for screen readers.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use super::view::Section;
use crate::config::Settings;
use crate::db::models::components::{Component, StatusChange};
use crate::db::models::page_state::PageState;
use crate::domain::status::ComponentStatus;
use crate::domain::uptime::{
    daily_uptime, overall_uptime, DayUptime, StatusChangeAt, StatusTimeline, Window,
};

/// How many days the bars cover.
pub const UPTIME_DAYS: u32 = 90;
/// Width of one bar and of the gap after it, in SVG user units.
const BAR_WIDTH: u32 = 3;
const BAR_PITCH: u32 = 4;

/// One day's bar.
#[derive(Debug, Serialize)]
pub struct DayBar {
    /// Left edge in the SVG's user units.
    pub x: u32,
    /// `operational`, a worse status, or `no_data`: the colour class.
    pub level: &'static str,
    /// "23 Nov 2026: 99.2% (partial outage 11 min)".
    pub title: String,
}

/// A component's bars and their summary in words.
#[derive(Debug, Serialize)]
pub struct UptimeBars {
    pub component_id: i64,
    pub days: Vec<DayBar>,
    /// Width of the SVG's view box, and of one bar in it.
    pub width: u32,
    pub bar_width: u32,
    /// "99.95%" over the days with data.
    pub percent: String,
    /// The figure in a sentence, for screen readers and the visible caption.
    pub summary: String,
    /// The days below 100 %, in the words of their tooltips.
    pub notes: Vec<String>,
}

/// "100%", "99.95%", "99.2%": at most two decimals, never rounded up to 100.
pub fn format_percent(value: f64) -> String {
    if value >= 100.0 {
        return "100%".to_string();
    }
    let floored = (value.max(0.0) * 100.0).floor() / 100.0;
    let text = format!("{floored:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// "11 min", "2 h", "3 h 20 min", "under 1 min".
pub fn format_duration(time: Duration) -> String {
    let minutes = (time.num_seconds() + 30) / 60;
    if minutes == 0 {
        return "under 1 min".to_string();
    }
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn lowercase_label(status: ComponentStatus) -> String {
    status.label().to_lowercase()
}

fn day_title(day: &DayUptime, today: bool) -> String {
    let date = day.date.format("%d %b %Y");
    let when = if today {
        format!("{date} (today so far)")
    } else {
        date.to_string()
    };
    let Some(percent) = day.uptime_percent else {
        return format!("{when}: no data");
    };
    let troubles: Vec<String> = ComponentStatus::ALL
        .into_iter()
        .filter(|s| *s != ComponentStatus::Operational)
        .filter(|s| day.durations.get(*s) > Duration::zero())
        .map(|s| {
            format!(
                "{} {}",
                lowercase_label(s),
                format_duration(day.durations.get(s))
            )
        })
        .collect();
    if troubles.is_empty() {
        format!("{when}: {}", format_percent(percent))
    } else {
        format!(
            "{when}: {} ({})",
            format_percent(percent),
            troubles.join(", ")
        )
    }
}

/// The bars of one component, from its status changes (any order).
pub fn uptime_bars(
    component: &Component,
    changes: Vec<StatusChangeAt>,
    settings: &Settings,
    now: NaiveDateTime,
) -> UptimeBars {
    let timeline = StatusTimeline {
        since: component.created_at,
        current: component.status,
        changes,
    };
    let window = Window::last_days(UPTIME_DAYS, settings.time_zone, now);
    let days = daily_uptime(&timeline, &window, &settings.uptime_weights);
    let overall = overall_uptime(&days, &settings.uptime_weights);
    let percent = overall.map(format_percent).unwrap_or_default();
    let summary = match overall {
        Some(_) => format!("{percent} uptime over the last {UPTIME_DAYS} days"),
        None => format!("No uptime data for the last {UPTIME_DAYS} days yet"),
    };
    let mut notes = Vec::new();
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let title = day_title(day, day.date == window.last);
            if day.uptime_percent.is_some_and(|p| p < 100.0)
                || day
                    .worst()
                    .is_some_and(|s| s != ComponentStatus::Operational)
            {
                notes.push(title.clone());
            }
            DayBar {
                x: i as u32 * BAR_PITCH,
                level: day.worst().map_or("no_data", ComponentStatus::as_str),
                title,
            }
        })
        .collect::<Vec<_>>();
    UptimeBars {
        component_id: component.id,
        width: (bars.len() as u32 * BAR_PITCH).saturating_sub(BAR_PITCH - BAR_WIDTH),
        bar_width: BAR_WIDTH,
        days: bars,
        percent,
        summary,
        notes,
    }
}

fn change_at(change: &StatusChange) -> anyhow::Result<StatusChangeAt> {
    let parse = |value: &str| {
        ComponentStatus::parse(value)
            .with_context(|| format!("status change {} cannot be read", change.id))
    };
    Ok(StatusChangeAt {
        at: change.changed_at,
        from: parse(&change.from_status)?,
        to: parse(&change.to_status)?,
    })
}

/// Gives every showcased component row of `sections` its uptime bars
/// (Statuspage's `showcase` flag is what turns the bars on).
pub fn attach(
    sections: &mut [Section],
    state: &PageState,
    settings: &Settings,
) -> anyhow::Result<()> {
    let mut by_component: HashMap<i64, Vec<StatusChangeAt>> = HashMap::new();
    for change in &state.status_changes {
        by_component
            .entry(change.component_id)
            .or_default()
            .push(change_at(change)?);
    }
    let components: HashMap<i64, &Component> = state.components.iter().map(|c| (c.id, c)).collect();
    for row in sections.iter_mut().flat_map(|s| s.components.iter_mut()) {
        let Some(component) = components.get(&row.id).filter(|c| c.showcase) else {
            continue;
        };
        let changes = by_component.remove(&row.id).unwrap_or_default();
        row.uptime = Some(uptime_bars(component, changes, settings, state.read_at));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_keep_two_decimals_and_never_round_up_to_100() {
        assert_eq!(format_percent(100.0), "100%");
        assert_eq!(format_percent(99.9999), "99.99%");
        assert_eq!(format_percent(99.2), "99.2%");
        assert_eq!(format_percent(99.95), "99.95%");
        assert_eq!(format_percent(50.0), "50%");
        assert_eq!(format_percent(0.0), "0%");
    }

    #[test]
    fn durations_read_in_hours_and_minutes() {
        assert_eq!(format_duration(Duration::minutes(11)), "11 min");
        assert_eq!(format_duration(Duration::hours(2)), "2 h");
        assert_eq!(format_duration(Duration::minutes(200)), "3 h 20 min");
        assert_eq!(format_duration(Duration::seconds(20)), "under 1 min");
    }

    #[test]
    fn a_day_title_names_each_trouble_and_its_length() {
        use crate::domain::uptime::{daily_uptime, UptimeWeights};
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let timeline = StatusTimeline {
            since: at("2026-01-01 00:00"),
            current: ComponentStatus::Operational,
            changes: vec![
                StatusChangeAt {
                    at: at("2026-11-23 10:00"),
                    from: ComponentStatus::Operational,
                    to: ComponentStatus::PartialOutage,
                },
                StatusChangeAt {
                    at: at("2026-11-23 10:11"),
                    from: ComponentStatus::PartialOutage,
                    to: ComponentStatus::Operational,
                },
            ],
        };
        let window = Window::last_days(2, chrono_tz::UTC, at("2026-11-24 12:00"));
        let days = daily_uptime(&timeline, &window, &UptimeWeights::default());
        assert_eq!(
            day_title(&days[0], false),
            "23 Nov 2026: 99.77% (partial outage 11 min)"
        );
        assert_eq!(
            day_title(&days[1], true),
            "24 Nov 2026 (today so far): 100%"
        );
    }
}
