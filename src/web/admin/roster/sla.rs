//! The incident page's "SLA" panel: target against actual, on the wall
//! clock and in support hours.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::config::Settings;
use crate::db::models::incidents::Incident;
use crate::domain::metrics::{Clock, SlaKind};
use crate::render::time::local;
use crate::web::admin::metrics::human;
use crate::web::sla::{incident_sla, metric_of, SlaClockView, SlaState, SlaTargetView};

#[derive(Serialize)]
struct SlaClockLine {
    clock: &'static str,
    agreed: bool,
    state: &'static str,
    state_label: &'static str,
    icon: &'static str,
    class: &'static str,
    detail: String,
}

#[derive(Serialize)]
struct SlaLine {
    label: &'static str,
    definition: &'static str,
    target: String,
    agreed_clock: &'static str,
    state: &'static str,
    state_label: &'static str,
    icon: &'static str,
    class: &'static str,
    clocks: Vec<SlaClockLine>,
}

/// The "SLA" panel of the incident page.
#[derive(Serialize)]
pub struct SlaPanel {
    priority: &'static str,
    /// Why there is nothing to show, when there is not.
    none: Option<String>,
    lines: Vec<SlaLine>,
}

fn icon(state: SlaState) -> &'static str {
    match state {
        SlaState::Met => "✓",
        SlaState::Breached => "✗",
        SlaState::Running => "…",
        SlaState::NotMeasurable => "–",
    }
}

/// The existing console classes that colour the state (its word and icon
/// carry the meaning on their own).
fn state_class(state: SlaState) -> &'static str {
    match state {
        SlaState::Met => "phase phase-resolved",
        SlaState::Breached => "overdue",
        SlaState::Running => "phase phase-monitoring",
        SlaState::NotMeasurable => "muted",
    }
}

fn state_key(state: SlaState) -> &'static str {
    match state {
        SlaState::Met => "met",
        SlaState::Breached => "breached",
        SlaState::Running => "running",
        SlaState::NotMeasurable => "not_measurable",
    }
}

fn clock_detail(view: &SlaClockView, kind: SlaKind, ended: bool, zone: chrono_tz::Tz) -> String {
    let (start, not_yet) = match kind {
        SlaKind::OnSite => ("Operations Notified", "not on site yet"),
        SlaKind::Restore => ("Failure Occurred", "not restored yet"),
    };
    let deadline = view
        .deadline_at
        .map(|d| format!("deadline {}", local(d, zone)))
        .unwrap_or_default();
    let actual = view.actual_seconds.map(human).unwrap_or_default();
    match view.state {
        SlaState::Met => format!("took {actual} ({deadline})"),
        SlaState::Breached if ended => format!(
            "took {actual}, {} over ({deadline})",
            view.over_seconds.map(human).unwrap_or_default()
        ),
        SlaState::Breached => format!(
            "{not_yet}: {actual} so far, {} over ({deadline})",
            view.over_seconds.map(human).unwrap_or_default()
        ),
        SlaState::Running => format!(
            "{not_yet}: {actual} so far, {} left ({deadline})",
            view.remaining_seconds.map(human).unwrap_or_default()
        ),
        SlaState::NotMeasurable => {
            format!("{start} is not recorded, or the Time Summary is out of order")
        }
    }
}

fn clock_name(clock: Clock) -> &'static str {
    match clock {
        Clock::WallClock => "Wall clock",
        Clock::SupportHours => "Support hours",
    }
}

fn sla_line(kind: SlaKind, view: &SlaTargetView, zone: chrono_tz::Tz) -> SlaLine {
    let metric = metric_of(kind);
    let agreed_state = match view.agreed_clock {
        Clock::WallClock => view.wall_clock.state,
        Clock::SupportHours => view.support_hours.state,
    };
    let clocks = [
        (Clock::WallClock, &view.wall_clock),
        (Clock::SupportHours, &view.support_hours),
    ]
    .into_iter()
    .map(|(clock, c)| SlaClockLine {
        clock: clock_name(clock),
        agreed: clock == view.agreed_clock,
        state: state_key(c.state),
        state_label: c.state.label(),
        icon: icon(c.state),
        class: state_class(c.state),
        detail: clock_detail(c, kind, view.ended, zone),
    })
    .collect();
    SlaLine {
        label: metric.label(),
        definition: metric.definition(),
        target: human(view.target_seconds),
        agreed_clock: match view.agreed_clock {
            Clock::WallClock => "on the wall clock",
            Clock::SupportHours => "in support hours",
        },
        state: state_key(agreed_state),
        state_label: agreed_state.label(),
        icon: icon(agreed_state),
        class: state_class(agreed_state),
        clocks,
    }
}

/// Builds the panel for the incident as it is at `now`.
pub fn sla_panel(incident: &Incident, settings: &Settings, now: NaiveDateTime) -> SlaPanel {
    let zone = settings.time_zone;
    match incident_sla(incident, settings, now) {
        Some(sla) => SlaPanel {
            priority: incident.priority.as_str(),
            none: None,
            lines: vec![
                sla_line(SlaKind::OnSite, &sla.time_to_on_site, zone),
                sla_line(SlaKind::Restore, &sla.time_to_restore, zone),
            ],
        },
        None => SlaPanel {
            priority: incident.priority.as_str(),
            none: Some(format!(
                "No SLA targets are configured for {} (configuration key sla_targets).",
                incident.priority.as_str()
            )),
            lines: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_target_says_how_much_time_is_left() {
        let view = SlaClockView {
            state: SlaState::Running,
            met: None,
            actual_seconds: Some(12 * 60),
            deadline: None,
            remaining_seconds: Some(18 * 60),
            over_seconds: None,
            deadline_at: None,
        };
        let text = clock_detail(&view, SlaKind::Restore, false, chrono_tz::UTC);
        assert!(
            text.starts_with("not restored yet: 12 min so far, 18 min left"),
            "{text}"
        );
    }
}
