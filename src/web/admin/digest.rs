//! `/admin/digest`: a preview of the continuous-improvement digest (the HTML
//! email in a sandboxed frame, and its text), the schedule, the recipients
//! and the digests sent lately. Any signed-in staff member may look
//! (ViewInternal, like the metrics page).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime, TimeZone};
use serde::Serialize;

use super::metrics::{days, midnight, MetricsQuery};
use crate::app;
use crate::config::Settings;
use crate::db::models::digest as store;
use crate::db::models::outbox::NotificationKind;
use crate::domain::digest::{rfc3339, DigestSchedule, Period};
use crate::domain::role::Permission;
use crate::error::AppError;
use crate::notify::email::EmailTemplates;
use crate::web::auth::SignedIn;
use crate::web::html;
use crate::web::state::AppState;

#[derive(Serialize)]
struct SentRow {
    from: String,
    to: String,
    created_at: String,
    created_by: String,
    manual: bool,
}

#[derive(Serialize)]
struct Preview {
    /// The exact period, RFC 3339, for the "Send now" form.
    from: String,
    to: String,
    period: String,
    subject: String,
    html: String,
    text: String,
}

#[derive(Serialize)]
struct DigestPage {
    title: &'static str,
    /// Shown after "Send now" redirected back.
    notice: Option<&'static str>,
    /// Admins may send the previewed period by hand (when recipients exist).
    can_send: bool,
    from: String,
    to: String,
    zone: String,
    error: Option<String>,
    schedule: Option<String>,
    next_fire: Option<String>,
    recipients: Vec<String>,
    recipient_count: usize,
    preview: Option<Preview>,
    sent: Vec<SentRow>,
}

fn label(at: NaiveDateTime, zone: chrono_tz::Tz) -> String {
    zone.from_utc_datetime(&at)
        .format("%a %-d %b %Y %H:%M %Z")
        .to_string()
}

/// With no dates: the period the next scheduled digest will cover, so far
/// (last fire time to now); without a schedule, the last 7 days.
fn default_period(
    schedule: Option<&DigestSchedule>,
    now: NaiveDateTime,
    zone: chrono_tz::Tz,
) -> (Period, Period) {
    if let Some(schedule) = schedule {
        if let Some(from) = schedule.last_fire_at_or_before(now, zone) {
            let period = Period {
                from,
                to: now.max(from + Duration::seconds(1)),
            };
            let previous = schedule
                .fire_before(from, zone)
                .map(|p| Period { from: p, to: from })
                .unwrap_or_else(|| period.before());
            return (period, previous);
        }
    }
    let period = Period {
        from: now - Duration::days(7),
        to: now,
    };
    (period, period.before())
}

/// The email's body, cleaned for showing inside the console page: only
/// ammonia's safe tags, plus the inline styles and table attributes the
/// email uses (the console's CSP allows inline styles, never scripts).
fn sanitise(email_html: &str) -> String {
    let body = email_html
        .split_once("<body")
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(_, rest)| rest.split("</body>").next().unwrap_or(rest))
        .unwrap_or(email_html);
    let clean = ammonia::Builder::default()
        .add_generic_attributes(["style", "align", "width"])
        .add_tag_attributes("table", ["cellpadding", "cellspacing", "border", "role"])
        .add_tag_attributes("th", ["scope"])
        .clean(body)
        .to_string();
    // The email's headings sit under the page's "As HTML" (h3): h1–h3 → h4–h6.
    [("h3", "h6"), ("h2", "h5"), ("h1", "h4")]
        .into_iter()
        .fold(clean, |html, (from, to)| {
            html.replace(&format!("<{from}"), &format!("<{to}"))
                .replace(&format!("</{from}>"), &format!("</{to}>"))
        })
}

/// The page around the preview: the schedule, the recipients, the digests
/// sent lately.
fn base_page(
    settings: &Settings,
    staff: &SignedIn,
    query: &MetricsQuery,
    notice: bool,
    sent: Vec<SentRow>,
    now: NaiveDateTime,
) -> DigestPage {
    let zone = settings.time_zone;
    DigestPage {
        title: "Digest",
        notice: notice
            .then_some("The digest was queued; the email sender delivers it in a moment."),
        can_send: staff.0.can(Permission::ManageComponents)
            && !settings.digest_recipients.is_empty(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        zone: zone.to_string(),
        error: None,
        schedule: settings
            .digest_schedule
            .as_ref()
            .map(|s| s.source().to_string()),
        next_fire: settings
            .digest_schedule
            .as_ref()
            .and_then(|s| s.next_fire_after(now, zone))
            .map(|t| label(t, zone)),
        recipients: settings
            .digest_recipients
            .iter()
            .map(|a| a.as_str().to_string())
            .collect(),
        recipient_count: settings.digest_recipients.len(),
        preview: None,
        sent,
    }
}

/// The period asked for (exact instants from the digest email's link, or
/// days), else the default; the days chosen are written back into the form.
fn chosen_periods(
    settings: &Settings,
    query: &MetricsQuery,
    page: &mut DigestPage,
    now: NaiveDateTime,
) -> Result<(Period, Period), String> {
    let zone = settings.time_zone;
    let today = zone.from_utc_datetime(&now).date_naive();
    let chosen = query.from.as_deref().is_some_and(|v| !v.trim().is_empty())
        || query.to.as_deref().is_some_and(|v| !v.trim().is_empty());
    let exact = |v: &Option<String>| {
        v.as_deref()
            .and_then(|v| chrono::DateTime::parse_from_rfc3339(v.trim()).ok())
            .map(|t| t.naive_utc())
    };
    if let (Some(from), Some(to)) = (exact(&query.from), exact(&query.to)) {
        // Exact instants (the digest email's link): `to` excluded.
        if from < to {
            let period = Period { from, to };
            Ok((period, period.before()))
        } else {
            Err("The start is not before the end: pick a start before the end.".to_string())
        }
    } else if chosen {
        days(query, today).map(|(from_day, to_day)| {
            page.from = from_day.to_string();
            page.to = to_day.to_string();
            let period = Period {
                from: midnight(from_day, zone),
                to: midnight(to_day + Duration::days(1), zone),
            };
            (period, period.before())
        })
    } else {
        Ok(default_period(settings.digest_schedule.as_ref(), now, zone))
    }
}

/// The digest of `period` as its email, for the page.
async fn preview(state: &AppState, period: Period, previous: Period) -> Result<Preview, AppError> {
    let settings = &state.settings;
    let zone = settings.time_zone;
    let digest = app::digest::compose(state, period, previous).await?;
    let data = serde_json::to_value(&digest).unwrap_or_default();
    let templates =
        EmailTemplates::load(settings.templates_dir.as_deref()).map_err(AppError::internal)?;
    let email = templates
        .render(NotificationKind::Digest, &data)
        .map_err(AppError::internal)?;
    Ok(Preview {
        from: rfc3339(period.from),
        to: rfc3339(period.to),
        period: format!("{} to {}", label(period.from, zone), label(period.to, zone)),
        subject: email.subject,
        html: sanitise(&email.html),
        text: email.text,
    })
}

/// `GET /admin/digest?from=YYYY-MM-DD&to=YYYY-MM-DD`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    query: web::Query<MetricsQuery>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ViewInternal)?;
    let settings = state.settings.clone();
    let zone = settings.time_zone;
    let now = crate::db::now();
    let sent = state
        .db
        .run(|conn| store::recent(conn, 20))
        .await?
        .into_iter()
        .map(|d| SentRow {
            from: label(d.period_from, zone),
            to: label(d.period_to, zone),
            created_at: label(d.created_at, zone),
            manual: d.period_key.starts_with("manual:"),
            created_by: d.created_by,
        })
        .collect();
    let notice = req.query_string().contains("sent=1");
    let mut page = base_page(&settings, &staff, &query, notice, sent, now);
    let status = match chosen_periods(&settings, &query, &mut page, now) {
        Err(message) => {
            page.error = Some(message);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Ok((period, previous)) => {
            page.preview = Some(preview(&state, period, previous).await?);
            StatusCode::OK
        }
    };
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        status,
        "admin/digest",
        page,
    ))
}

#[derive(serde::Deserialize)]
pub struct SendForm {
    from: String,
    to: String,
}

/// `POST /admin/digest/send`: an administrator sends the digest of `[from,
/// to)` (RFC 3339) to the configured recipients now, keyed like a CLI send
/// (repeatable, never in the way of the scheduled digest).
pub async fn send(
    state: web::Data<AppState>,
    staff: SignedIn,
    form: crate::web::auth::CsrfForm<SendForm>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    let parse = |name: &str, value: &str| {
        chrono::DateTime::parse_from_rfc3339(value.trim())
            .map(|t| t.naive_utc())
            .map_err(|_| {
                AppError::Invalid(format!(
                    "`{name}` is not an RFC 3339 time: write e.g. 2026-11-16T08:00:00Z"
                ))
            })
    };
    let from = parse("from", &form.0.from)?;
    let to = parse("to", &form.0.to)?;
    if from >= to {
        return Err(AppError::Invalid(
            "The start is not before the end: pick a start before the end.".into(),
        ));
    }
    app::digest::send_now(&state, &staff.as_actor(), Period { from, to }).await?;
    Ok(html::see_other("/admin/digest?sent=1"))
}
