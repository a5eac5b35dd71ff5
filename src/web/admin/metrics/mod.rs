//! The metrics page in the console: the figures of `/api/v1/metrics` (the
//! same computation, [`period_metrics`]) as tables, server-rendered SVG charts
//! and lists, for any period of whole days in the page's time zone.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::metrics::{Clock, Metric, SlaKind};
use crate::domain::role::Permission;
use crate::error::AppError;
use crate::web::api::metrics::{
    period_metrics, ChangeView, MetricsView, PeriodMetrics, SummaryView,
};
use crate::web::auth::{urlencode, SignedIn};
use crate::web::html;
use crate::web::state::AppState;
use rows::{uptime_rows, weekly_columns};

/// Days shown when `from` is left out (today included).
const DEFAULT_DAYS: i64 = 30;

#[derive(Deserialize)]
pub struct MetricsQuery {
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
}

#[derive(Serialize)]
struct ClockRow {
    clock: &'static str,
    count: usize,
    median: String,
    p90: String,
    mean: String,
    change: String,
}

#[derive(Serialize)]
struct MetricTable {
    key: &'static str,
    label: &'static str,
    definition: &'static str,
    rows: Vec<ClockRow>,
}

#[derive(Serialize)]
struct BreachRow {
    incident_id: i64,
    incident: String,
    priority: String,
    kind: &'static str,
    target: String,
    elapsed: String,
    clock: &'static str,
}

#[derive(Serialize)]
struct RecurrenceRow {
    earlier_id: i64,
    earlier: String,
    later_id: i64,
    later: String,
    component: String,
    /// The earlier incident's action items: "Add a breaker — done".
    items: Vec<ItemRow>,
}

#[derive(Serialize)]
struct ItemRow {
    action: String,
    status: String,
    done: bool,
}

#[derive(Serialize)]
struct UptimeRow {
    name: String,
    percent: String,
    major: String,
    partial: String,
    degraded: String,
    maintenance: String,
}

#[derive(Serialize)]
struct Figures {
    count: usize,
    count_change: String,
    promises: String,
    tables: Vec<MetricTable>,
    /// Each chart with its title, shown above it as the figure's caption.
    charts: Vec<Chart>,
    breaches: Vec<BreachRow>,
    recurrences: Vec<RecurrenceRow>,
    uptime: Vec<UptimeRow>,
    csv_url: String,
    json_url: String,
}

#[derive(Serialize)]
struct MetricsPage {
    title: &'static str,
    from: String,
    to: String,
    zone: String,
    error: Option<String>,
    figures: Option<Figures>,
}

/// A duration for people: "45 s", "12 min", "1 h 05 min", "2 d 3 h 05 min".
pub fn human(seconds: i64) -> String {
    let s = seconds.abs();
    if s < 60 {
        return format!("{s} s");
    }
    let minutes = (s + 30) / 60;
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    if d > 0 {
        format!("{d} d {h} h {m:02} min")
    } else if h > 0 {
        format!("{h} h {m:02} min")
    } else {
        format!("{m} min")
    }
}

fn human_opt(seconds: Option<i64>) -> String {
    seconds.map(human).unwrap_or_else(|| "—".into())
}

fn percent(p: Option<f64>) -> String {
    // `ChangeView::percent` is in percent already (+50.0 is half as much again).
    p.map(|p| format!(" ({p:+.0} %)")).unwrap_or_default()
}

/// "↑ 12 min slower than the previous period" and the like.
pub fn duration_change_words(change: Option<&ChangeView>, longer: &str, shorter: &str) -> String {
    match change {
        None => "no figure to compare with".into(),
        Some(c) => {
            let delta = c.delta.round() as i64;
            if delta == 0 {
                "same as the previous period".into()
            } else if delta > 0 {
                format!(
                    "↑ {} {longer} than the previous period{}",
                    human(delta),
                    percent(c.percent)
                )
            } else {
                format!(
                    "↓ {} {shorter} than the previous period{}",
                    human(delta),
                    percent(c.percent)
                )
            }
        }
    }
}

fn count_change_words(c: &ChangeView) -> String {
    let delta = c.delta.round() as i64;
    let noun = |n: i64| {
        if n.abs() == 1 {
            "incident"
        } else {
            "incidents"
        }
    };
    match delta {
        0 => "same number as the previous period".into(),
        d if d > 0 => format!(
            "↑ {d} more {} than the previous period{}",
            noun(d),
            percent(c.percent)
        ),
        d => format!(
            "↓ {} fewer {} than the previous period{}",
            -d,
            noun(d),
            percent(c.percent)
        ),
    }
}

/// Escapes text for HTML and SVG.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A chart and its title.
#[derive(Serialize)]
struct Chart {
    title: &'static str,
    svg: String,
}

impl Chart {
    fn new(id: &str, title: &'static str, draw: impl FnOnce(&str, &str) -> String) -> Chart {
        Chart {
            title,
            svg: draw(id, title),
        }
    }
}

/// Horizontal bars, one per label; `None` values are written out in words.
pub fn bar_chart(id: &str, title: &str, rows: &[(String, Option<i64>)]) -> String {
    let (label_w, bar_w, row_h, top) = (70.0, 230.0, 40.0, 10.0);
    let height = top * 2.0 + row_h * rows.len().max(1) as f64;
    let max = rows.iter().filter_map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let desc: Vec<String> = rows
        .iter()
        .map(|(l, v)| {
            format!(
                "{l}: {}",
                v.map(human).unwrap_or_else(|| "none restored".into())
            )
        })
        .collect();
    let mut svg = format!(
        "<svg class=\"chart\" width=\"420\" viewBox=\"0 0 420 {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" preserveAspectRatio=\"xMinYMin meet\">\
<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        esc(title),
        esc(&if desc.is_empty() { "No incidents in the period.".into() } else { desc.join("; ") })
    );
    if rows.is_empty() {
        svg.push_str(
            "<text class=\"chart-text\" x=\"0\" y=\"35\">No incidents in the period.</text>",
        );
    }
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let mid = y + row_h / 2.0 + 5.0;
        svg.push_str(&format!(
            "<text class=\"chart-text\" x=\"0\" y=\"{mid}\">{}</text>",
            esc(label)
        ));
        match value {
            Some(v) => {
                let w = (*v as f64 / max * bar_w).max(2.0);
                svg.push_str(&format!(
                    "<rect class=\"chart-bar\" x=\"{label_w}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\"></rect>\
<text class=\"chart-text chart-value\" x=\"{:.1}\" y=\"{mid}\">{}</text>",
                    y + 8.0,
                    row_h - 16.0,
                    label_w + w + 8.0,
                    esc(&human(*v))
                ));
            }
            None => svg.push_str(&format!(
                "<text class=\"chart-text chart-muted\" x=\"{label_w}\" y=\"{mid}\">none restored</text>"
            )),
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Columns with their value above and their label below.
pub fn column_chart(id: &str, title: &str, columns: &[(String, usize)]) -> String {
    let (col_w, gap, chart_h, top, left) = (56.0, 16.0, 160.0, 24.0, 8.0);
    let width = (left * 2.0 + (col_w + gap) * columns.len() as f64).max(320.0);
    let height = top + chart_h + 36.0;
    let max = columns.iter().map(|c| c.1).max().unwrap_or(0).max(1) as f64;
    let desc: Vec<String> = columns.iter().map(|(l, n)| format!("{l}: {n}")).collect();
    let mut svg = format!(
        "<svg class=\"chart\" width=\"{width}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" preserveAspectRatio=\"xMinYMin meet\">\
<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        esc(title),
        esc(&desc.join("; "))
    );
    let base = top + chart_h;
    svg.push_str(&format!(
        "<line class=\"chart-axis\" x1=\"0\" x2=\"{width}\" y1=\"{base}\" y2=\"{base}\"></line>"
    ));
    for (i, (label, n)) in columns.iter().enumerate() {
        let x = left + (col_w + gap) * i as f64;
        let h = *n as f64 / max * chart_h;
        let centre = x + col_w / 2.0;
        svg.push_str(&format!(
            "<rect class=\"chart-bar\" x=\"{x}\" y=\"{:.1}\" width=\"{col_w}\" height=\"{h:.1}\"></rect>\
<text class=\"chart-text chart-value\" text-anchor=\"middle\" x=\"{centre}\" y=\"{:.1}\">{n}</text>\
<text class=\"chart-text\" text-anchor=\"middle\" x=\"{centre}\" y=\"{:.1}\">{}</text>",
            base - h,
            base - h - 6.0,
            base + 22.0,
            esc(label)
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn clock_words(c: Clock) -> &'static str {
    match c {
        Clock::WallClock => "wall clock",
        Clock::SupportHours => "support hours",
    }
}

/// Local midnight of `day` in UTC (the first instant of the day when a
/// clock change skips midnight).
pub(crate) fn midnight(day: NaiveDate, zone: Tz) -> NaiveDateTime {
    let naive = day.and_time(chrono::NaiveTime::MIN);
    (0..3)
        .find_map(|h| {
            zone.from_local_datetime(&(naive + Duration::hours(h)))
                .earliest()
        })
        .map(|t| t.naive_utc())
        .unwrap_or(naive)
}

/// Parses the query's dates (`YYYY-MM-DD`, both days included).
pub(crate) fn days(
    query: &MetricsQuery,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    let parse = |name: &str, value: &Option<String>| -> Result<Option<NaiveDate>, String> {
        match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| format!("“{v}” is not a date for “{name}”: write it as YYYY-MM-DD, e.g. 2026-11-02.")),
        }
    };
    let to = parse("to", &query.to)?.unwrap_or(today);
    let from = parse("from", &query.from)?.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
    if from > to {
        return Err(format!(
            "The start ({from}) is after the end ({to}): pick a start on or before the end."
        ));
    }
    Ok((from, to))
}

fn figures(m: &PeriodMetrics, from_day: NaiveDate, from: NaiveDateTime) -> Figures {
    let v = &m.view;
    let name = |id: i64| {
        m.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("Incident {id}"))
    };
    let tables = metric_tables(v);
    let restore: Vec<(String, Option<i64>)> = v
        .by_priority
        .iter()
        .map(|(p, g)| {
            (
                p.clone(),
                g.metrics
                    .get(Metric::TimeToRestore.as_str())
                    .and_then(|m| m.wall_clock.median),
            )
        })
        .collect();
    let columns = weekly_columns(m, from_day, from);
    let promises = match v.promises.share_kept {
        Some(share) => format!(
            "{:.0} % of promised next updates kept ({} kept, {} broken, {} still open).",
            share * 100.0,
            v.promises.kept,
            v.promises.broken,
            v.promises.open
        ),
        None => "No promised next update was due in the period.".into(),
    };
    let range = format!(
        "from={}&to={}",
        urlencode(&v.period.from),
        urlencode(&v.period.to)
    );
    Figures {
        count: v.count,
        count_change: count_change_words(&v.previous_period.count_change),
        promises,
        tables,
        charts: vec![
            Chart::new(
                "restore-chart",
                "Median time to restore by priority (wall clock)",
                |id, title| bar_chart(id, title, &restore),
            ),
            Chart::new(
                "weekly-chart",
                "Incidents started per week (weeks start on the first day of the period)",
                |id, title| column_chart(id, title, &columns),
            ),
        ],
        breaches: v
            .sla_breaches
            .iter()
            .map(|b| BreachRow {
                incident_id: b.incident_id,
                incident: name(b.incident_id),
                priority: b.priority.clone(),
                kind: match b.kind {
                    SlaKind::OnSite => "time to on-site",
                    SlaKind::Restore => "time to restore",
                },
                target: human(b.target),
                elapsed: human(b.elapsed),
                clock: clock_words(b.clock),
            })
            .collect(),
        recurrences: v
            .recurrences
            .iter()
            .map(|r| RecurrenceRow {
                earlier_id: r.earlier_id,
                earlier: name(r.earlier_id),
                later_id: r.later_id,
                later: name(r.later_id),
                component: r
                    .component_name
                    .clone()
                    .unwrap_or_else(|| format!("component {}", r.component_id)),
                items: r
                    .earlier_action_items
                    .iter()
                    .map(|i| ItemRow {
                        action: i.action.clone(),
                        status: crate::domain::digest::status_words(&i.status).to_string(),
                        done: i.done,
                    })
                    .collect(),
            })
            .collect(),
        uptime: uptime_rows(v),
        csv_url: format!("/api/v1/metrics.csv?{range}"),
        json_url: format!("/api/v1/metrics?{range}"),
    }
}

/// One table per metric: its median, 90th percentile and mean on each clock,
/// with the change from the previous period.
fn metric_tables(v: &MetricsView) -> Vec<MetricTable> {
    Metric::ALL
        .into_iter()
        .filter_map(|metric| {
            let mv = v.metrics.get(metric.as_str())?;
            let changes = v.previous_period.metrics.get(metric.as_str());
            let (longer, shorter) = match metric {
                Metric::LongestUpdateGap | Metric::ClientImpact => ("longer", "shorter"),
                _ => ("slower", "faster"),
            };
            let row = |clock: Clock, s: &SummaryView| {
                let change = changes.and_then(|c| match clock {
                    Clock::WallClock => c.wall_clock.median.as_ref(),
                    Clock::SupportHours => c.support_hours.median.as_ref(),
                });
                ClockRow {
                    clock: clock_words(clock),
                    count: s.count,
                    median: human_opt(s.median),
                    p90: human_opt(s.p90),
                    mean: human_opt(s.mean.map(|x| x.round() as i64)),
                    change: duration_change_words(change, longer, shorter),
                }
            };
            Some(MetricTable {
                key: metric.as_str(),
                label: mv.label,
                definition: mv.definition,
                rows: vec![
                    row(Clock::WallClock, &mv.wall_clock),
                    row(Clock::SupportHours, &mv.support_hours),
                ],
            })
        })
        .collect()
}

/// `GET /admin/metrics?from=YYYY-MM-DD&to=YYYY-MM-DD`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    query: web::Query<MetricsQuery>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ViewInternal)?;
    let zone = state.settings.time_zone;
    let today = zone.from_utc_datetime(&crate::db::now()).date_naive();
    let (status, page) = match days(&query, today) {
        Err(message) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            MetricsPage {
                title: "Metrics",
                from: query.from.clone().unwrap_or_default(),
                to: query.to.clone().unwrap_or_default(),
                zone: zone.to_string(),
                error: Some(message),
                figures: None,
            },
        ),
        Ok((from_day, to_day)) => {
            let from = midnight(from_day, zone);
            let to = midnight(to_day + Duration::days(1), zone);
            let metrics = period_metrics(&state, from, to).await?;
            (
                StatusCode::OK,
                MetricsPage {
                    title: "Metrics",
                    from: from_day.to_string(),
                    to: to_day.to_string(),
                    zone: zone.to_string(),
                    error: None,
                    figures: Some(figures(&metrics, from_day, from)),
                },
            )
        }
    };
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        status,
        "admin/metrics",
        page,
    ))
}

mod rows;
#[cfg(test)]
mod tests;
