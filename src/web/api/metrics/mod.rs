//! `/api/v1/metrics` and `/api/v1/metrics.csv`: the incident metrics of a
//! period (durations in seconds, wall clock and support hours), SLA breaches,
//! recurrences and the change against the previous period.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, NaiveDateTime};

use super::ErrorBody;
use crate::db::models::metrics::{self as store, PeriodFacts};
use crate::domain::metrics::{
    by_component, by_priority, check_sla, count_change, recurrences, share_change, Clock,
    GroupSummary, IncidentMetrics, Metric, SlaCheck, SlaKind,
};
use crate::domain::role::Permission;
use crate::error::AppError;
use crate::render::statuspage::timestamp;
use crate::web::auth::ApiCaller;
use crate::web::state::AppState;

/// How long the period is when `from` is left out.
const DEFAULT_DAYS: i64 = 30;

mod views;
pub use views::*;

/// Parses `from`/`to` (RFC 3339); the last 30 days by default.
fn period(
    query: &BTreeMap<String, String>,
    now: NaiveDateTime,
) -> Result<(NaiveDateTime, NaiveDateTime), AppError> {
    let parse = |name: &str| -> Result<Option<NaiveDateTime>, AppError> {
        match query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(value) => DateTime::parse_from_rfc3339(value)
                .map(|t| Some(t.naive_utc()))
                .map_err(|_| {
                    AppError::Invalid(format!(
                        "`{name}` is not an RFC 3339 date-time: write e.g. 2026-11-01T00:00:00Z (got {value:?})"
                    ))
                }),
        }
    };
    let to = parse("to")?.unwrap_or(now);
    let from = parse("from")?.unwrap_or(to - Duration::days(DEFAULT_DAYS));
    if from >= to {
        return Err(AppError::Invalid(format!(
            "`from` ({}) must be before `to` ({})",
            timestamp(from),
            timestamp(to)
        )));
    }
    Ok((from, to))
}

/// Everything computed for one period.
struct Computed {
    from: NaiveDateTime,
    to: NaiveDateTime,
    facts: PeriodFacts,
    metrics: Vec<IncidentMetrics>,
    checks: Vec<SlaCheck>,
    recurrences: Vec<crate::domain::metrics::Recurrence>,
    previous: Vec<IncidentMetrics>,
    /// Action items of the earlier incident of each recurrence, by incident.
    earlier_items: BTreeMap<i64, Vec<ActionItemView>>,
    uptime: Vec<ComponentUptimeView>,
}

async fn compute(
    state: &web::Data<AppState>,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Computed, AppError> {
    let now = crate::db::now();
    let window = state.settings.recurrence_window;
    let length = to - from;
    let (facts, previous, components, changes) = state
        .db
        .run(move |conn| {
            let facts = store::load_period(conn, from, to, window, now)?;
            let previous = store::load_period(conn, from - length, from, Duration::zero(), now)?;
            let components = crate::db::models::components::list(conn)?;
            let changes = crate::db::models::components::status_changes_since(conn, from)?;
            Ok::<_, crate::db::StoreError>((facts, previous, components, changes))
        })
        .await?;
    let settings = &state.settings;
    let hours = &settings.support_hours;
    let metrics: Vec<IncidentMetrics> = facts
        .incidents
        .iter()
        .map(|(_, f)| f.metrics(hours, now))
        .collect();
    let checks = facts
        .incidents
        .iter()
        .flat_map(|(_, f)| check_sla(f, &settings.sla_targets, hours, now))
        .collect();
    let in_period: BTreeSet<i64> = facts.incidents.iter().map(|(i, _)| i.id).collect();
    let all: Vec<_> = facts
        .before
        .iter()
        .chain(facts.incidents.iter())
        .map(|(_, f)| f.clone())
        .collect();
    let recurrences: Vec<crate::domain::metrics::Recurrence> = recurrences(&all, window)
        .into_iter()
        .filter(|r| in_period.contains(&r.later_id))
        .collect();
    let previous = previous
        .incidents
        .iter()
        .map(|(_, f)| f.metrics(hours, now))
        .collect();
    let earlier: Vec<i64> = recurrences
        .iter()
        .map(|r: &crate::domain::metrics::Recurrence| r.earlier_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut earlier_items: BTreeMap<i64, Vec<ActionItemView>> = BTreeMap::new();
    for item in state
        .db
        .run(move |conn| crate::db::models::digest::action_items_of(conn, &earlier))
        .await?
    {
        earlier_items
            .entry(item.incident_id)
            .or_default()
            .push(ActionItemView {
                id: item.id,
                done: item.is_done(),
                action: item.action,
                responsibility: item.responsibility,
                status: item.status,
                due_on: item.due_on.map(|d| d.to_string()),
            });
    }
    let uptime = component_uptime(
        &components,
        &changes,
        from,
        to,
        now,
        &settings.uptime_weights,
    );
    Ok(Computed {
        from,
        to,
        facts,
        metrics,
        checks,
        recurrences,
        previous,
        earlier_items,
        uptime,
    })
}

/// Every component's uptime over `[from, to)`.
fn component_uptime(
    components: &[crate::db::models::components::Component],
    changes: &[crate::db::models::components::StatusChange],
    from: NaiveDateTime,
    to: NaiveDateTime,
    now: NaiveDateTime,
    weights: &crate::domain::uptime::UptimeWeights,
) -> Vec<ComponentUptimeView> {
    use crate::domain::status::ComponentStatus;
    use crate::domain::uptime::{uptime_between, StatusChangeAt, StatusTimeline};
    components
        .iter()
        .map(|component| {
            let timeline = StatusTimeline {
                since: component.created_at,
                current: component.status,
                changes: changes
                    .iter()
                    .filter(|c| c.component_id == component.id)
                    .filter_map(|c| {
                        Some(StatusChangeAt {
                            at: c.changed_at,
                            from: ComponentStatus::parse(&c.from_status).ok()?,
                            to: ComponentStatus::parse(&c.to_status).ok()?,
                        })
                    })
                    .collect(),
            };
            let (durations, percent) = uptime_between(&timeline, from, to, now, weights);
            ComponentUptimeView {
                component_id: component.id,
                name: component.name.clone(),
                uptime_percent: percent,
                seconds: ComponentStatus::ALL
                    .into_iter()
                    .map(|s| (s.as_str(), durations.get(s).num_seconds()))
                    .collect(),
            }
        })
        .collect()
}

fn view(c: &Computed) -> MetricsView {
    let overall = GroupSummary::of(&c.metrics);
    let previous = GroupSummary::of(&c.previous);
    let length = c.to - c.from;
    let count = count_change(c.metrics.len(), c.previous.len());
    let names = &c.facts.component_names;
    MetricsView {
        period: PeriodView {
            from: timestamp(c.from),
            to: timestamp(c.to),
        },
        count: c.metrics.len(),
        metrics: group_view(&overall).metrics,
        promises: overall.promises.into(),
        by_priority: by_priority(&c.metrics)
            .iter()
            .map(|(p, g)| (p.as_str().to_string(), group_view(g)))
            .collect(),
        by_component: by_component(&c.metrics)
            .iter()
            .map(|(id, g)| ComponentGroupView {
                component_id: *id,
                name: names.get(id).cloned().unwrap_or_default(),
                summary: group_view(g),
            })
            .collect(),
        sla_breaches: c.checks.iter().filter_map(breach_view).collect(),
        recurrences: c
            .recurrences
            .iter()
            .map(|r| RecurrenceView {
                earlier_id: r.earlier_id,
                later_id: r.later_id,
                component_id: r.component_id,
                component_name: names.get(&r.component_id).cloned(),
                earlier_action_items: c
                    .earlier_items
                    .get(&r.earlier_id)
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect(),
        uptime: c.uptime.clone(),
        previous_period: PreviousView {
            period: PeriodView {
                from: timestamp(c.from - length),
                to: timestamp(c.from),
            },
            count: c.previous.len(),
            count_change: ChangeView {
                delta: count.delta as f64,
                percent: count.percent,
            },
            metrics: Metric::ALL
                .into_iter()
                .filter_map(|m| {
                    let (now, before) = (overall.get(m)?, previous.get(m)?);
                    Some((
                        m.as_str(),
                        ClockChangeView {
                            wall_clock: summary_change(&now.wall_clock, &before.wall_clock),
                            support_hours: summary_change(
                                &now.support_hours,
                                &before.support_hours,
                            ),
                        },
                    ))
                })
                .collect(),
            promises_kept: share_change(
                overall.promises.share_kept(),
                previous.promises.share_kept(),
            )
            .map(|c| ChangeView {
                delta: c.delta,
                percent: c.percent,
            }),
        },
    }
}

/// One incident of the period, for lists and charts in the console.
#[derive(Debug, Clone)]
pub struct IncidentRef {
    pub id: i64,
    pub name: String,
    pub started_at: NaiveDateTime,
}

/// The figures of a period as the API returns them, plus the incidents they
/// were computed from (for the console's lists and charts).
pub struct PeriodMetrics {
    pub view: MetricsView,
    pub incidents: Vec<IncidentRef>,
    /// Names of incidents referred to by breaches and recurrences (including
    /// earlier incidents from before the period).
    pub names: BTreeMap<i64, String>,
}

/// The one computation behind `/api/v1/metrics` and the console page
/// `/admin/metrics`: the period `[from, to)` and the previous one.
pub async fn period_metrics(
    state: &web::Data<AppState>,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<PeriodMetrics, AppError> {
    let computed = compute(state, from, to).await?;
    let incidents = computed
        .facts
        .incidents
        .iter()
        .map(|(i, _)| IncidentRef {
            id: i.id,
            name: i.name.clone(),
            started_at: i.started_at,
        })
        .collect();
    let names = computed
        .facts
        .before
        .iter()
        .chain(computed.facts.incidents.iter())
        .map(|(i, _)| (i.id, i.name.clone()))
        .collect();
    Ok(PeriodMetrics {
        view: view(&computed),
        incidents,
        names,
    })
}

/// The incident metrics of a period (default: the last 30 days).
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics",
    params(
        ("from" = Option<String>, Query, description = "Start of the period, RFC 3339 (inclusive); default `to` minus 30 days"),
        ("to" = Option<String>, Query, description = "End of the period, RFC 3339 (exclusive); default now"),
    ),
    responses((status = 200, body = MetricsView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn summary(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let (from, to) = period(&query, crate::db::now())?;
    let metrics = period_metrics(&state, from, to).await?;
    Ok(HttpResponse::Ok().json(metrics.view))
}

/// One CSV field, quoted per RFC 4180 when it holds a comma, quote or line break.
pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

fn csv(c: &Computed) -> String {
    let mut header: Vec<String> = ["id", "name", "priority", "impact", "started_at"]
        .into_iter()
        .map(String::from)
        .collect();
    for m in Metric::ALL {
        header.push(format!("{}_wall_clock_s", m.as_str()));
        header.push(format!("{}_support_hours_s", m.as_str()));
    }
    header.extend(
        [
            "promises_kept",
            "promises_broken",
            "sla_breaches",
            "recurrence",
            "recurrence_earlier_action_items",
        ]
        .into_iter()
        .map(String::from),
    );
    let mut out = csv_line(&header);
    for ((incident, _), metrics) in c.facts.incidents.iter().zip(&c.metrics) {
        let mut row = vec![
            incident.id.to_string(),
            incident.name.clone(),
            incident.priority.as_str().to_string(),
            incident.impact.as_str().to_string(),
            timestamp(incident.started_at),
        ];
        for m in Metric::ALL {
            let value = metrics.get(m);
            for clock in [Clock::WallClock, Clock::SupportHours] {
                row.push(
                    value
                        .map(|e| seconds(e.in_clock(clock)).to_string())
                        .unwrap_or_default(),
                );
            }
        }
        row.push(metrics.promises.kept.to_string());
        row.push(metrics.promises.broken.to_string());
        let breaches: Vec<&str> = c
            .checks
            .iter()
            .filter(|k| k.incident_id == incident.id && k.is_breached())
            .map(|k| match k.kind {
                SlaKind::OnSite => "on_site",
                SlaKind::Restore => "restore",
            })
            .collect();
        row.push(breaches.join(";"));
        let recurs = c.recurrences.iter().any(|r| r.later_id == incident.id);
        row.push(recurs.to_string());
        // "incident 3: Add a breaker (done); Alert on errors (open)"
        let mut earlier: Vec<i64> = c
            .recurrences
            .iter()
            .filter(|r| r.later_id == incident.id)
            .map(|r| r.earlier_id)
            .collect();
        earlier.sort_unstable();
        earlier.dedup();
        let items: Vec<String> = earlier
            .iter()
            .map(|id| {
                let list: Vec<String> = c
                    .earlier_items
                    .get(id)
                    .map(|items| {
                        items
                            .iter()
                            .map(|i| format!("{} ({})", i.action, i.status))
                            .collect()
                    })
                    .unwrap_or_default();
                format!(
                    "incident {id}: {}",
                    if list.is_empty() {
                        "no action items".into()
                    } else {
                        list.join("; ")
                    }
                )
            })
            .collect();
        row.push(items.join(" | "));
        out.push_str(&csv_line(&row));
    }
    out
}

/// One row per incident of the period: its metrics in seconds (wall clock and
/// support hours), SLA breaches and whether it recurs.
#[utoipa::path(get, path = "/api/v1/metrics.csv", tag = "metrics",
    params(
        ("from" = Option<String>, Query, description = "Start of the period, RFC 3339"),
        ("to" = Option<String>, Query, description = "End of the period, RFC 3339"),
    ),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_csv(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let (from, to) = period(&query, crate::db::now())?;
    let computed = compute(&state, from, to).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"incident-metrics.csv\"",
        ))
        .body(csv(&computed)))
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn fields_are_quoted_per_rfc_4180() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
