//! The subscriber console (admins): counts per audience and component, a
//! search, removal, a CSV import without confirmation emails, and the
//! delivery progress of the latest notifications.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app;
use crate::db::models::subscriber_admin::{self, AudienceCounts, ImportReport};
use crate::domain::role::Permission;
use crate::error::AppError;
use crate::render::time::local;
use crate::web::auth::{CsrfForm, NoFields, SignedIn};
use crate::web::html::{self, see_other};
use crate::web::state::AppState;

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize)]
pub struct SubscriberQuery {
    q: Option<String>,
    page: Option<i64>,
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
}

#[derive(Serialize)]
struct Row {
    id: i64,
    email: String,
    audience: String,
    status: &'static str,
    bounce_count: i32,
    created_at: String,
}

#[derive(Serialize)]
struct ComponentCount {
    name: String,
    count: i64,
}

#[derive(Serialize)]
struct InvalidLine {
    line: usize,
    reason: String,
}

#[derive(Serialize)]
struct ImportView {
    added: usize,
    skipped: usize,
    skipped_lines: String,
    invalid_count: usize,
    invalid: Vec<InvalidLine>,
}

#[derive(Serialize)]
struct SubscribersPage {
    title: &'static str,
    q: String,
    audiences: Vec<AudienceCounts>,
    components: Vec<ComponentCount>,
    rows: Vec<Row>,
    next_page: Option<String>,
    previous_page: Option<String>,
    notice: Option<String>,
    import: Option<ImportView>,
    csv: String,
}

async fn subscribers_page(
    state: &AppState,
    req: &HttpRequest,
    staff: &SignedIn,
    q: String,
    page: i64,
    notice: Option<String>,
    import: Option<(ImportReport, String)>,
) -> Result<HttpResponse, AppError> {
    let query = q.clone();
    let (counts, found) = state
        .db
        .run(move |conn| {
            let counts = subscriber_admin::counts(conn)?;
            let found = subscriber_admin::search(conn, &query, PAGE_SIZE + 1, page * PAGE_SIZE)?;
            Ok::<_, crate::db::StoreError>((counts, found))
        })
        .await?;
    let more = found.len() as i64 > PAGE_SIZE;
    let link = |p: i64| {
        format!(
            "/admin/subscribers?page={p}&q={}",
            crate::web::auth::urlencode(&q)
        )
    };
    let rows = found
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|s| Row {
            id: s.id,
            status: subscriber_admin::status_of(&s),
            email: s.email,
            audience: s.audience,
            bounce_count: s.bounce_count,
            created_at: local(s.created_at, state.settings.time_zone),
        })
        .collect();
    let (audiences, per_component) = counts;
    let (import, csv) = match import {
        Some((report, csv)) => (
            Some(ImportView {
                added: report.added,
                skipped: report.skipped.len(),
                skipped_lines: report
                    .skipped
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                invalid_count: report.invalid.len(),
                invalid: report
                    .invalid
                    .into_iter()
                    .map(|(line, reason)| InvalidLine { line, reason })
                    .collect(),
            }),
            csv,
        ),
        None => (None, String::new()),
    };
    Ok(html::render(
        state,
        req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/subscribers",
        SubscribersPage {
            title: "Subscribers",
            q: q.clone(),
            audiences,
            components: per_component
                .into_iter()
                .map(|(name, count)| ComponentCount { name, count })
                .collect(),
            rows,
            next_page: more.then(|| link(page + 1)),
            previous_page: (page > 0).then(|| link(page - 1)),
            notice,
            import,
            csv,
        },
    ))
}

/// `GET /admin/subscribers`
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    query: web::Query<SubscriberQuery>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    let q = query.q.clone().unwrap_or_default().trim().to_string();
    let notice = match query.done.as_deref() {
        Some("removed") => Some("The subscriber was removed.".to_string()),
        _ => None,
    };
    subscribers_page(
        &state,
        &req,
        &staff,
        q,
        query.page.unwrap_or(0).max(0),
        notice,
        None,
    )
    .await
}

/// `POST /admin/subscribers/{id}/delete`
pub async fn remove(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    app::subscribers::remove(&state, &staff.as_actor(), id.into_inner()).await?;
    Ok(see_other("/admin/subscribers?done=removed"))
}

/// `POST /admin/subscribers/import`
pub async fn import(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    form: CsrfForm<ImportForm>,
) -> Result<HttpResponse, AppError> {
    let csv = form.0.csv;
    let report = app::subscribers::import(&state, &staff.as_actor(), csv.clone()).await?;
    // Keep the bad lines in the box so they can be fixed and sent again.
    let bad: std::collections::HashSet<usize> = report.invalid.iter().map(|(n, _)| *n).collect();
    let again: String = csv
        .lines()
        .enumerate()
        .filter(|(i, _)| bad.contains(&(i + 1)))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    subscribers_page(
        &state,
        &req,
        &staff,
        String::new(),
        0,
        None,
        Some((report, again)),
    )
    .await
}

#[derive(Serialize)]
struct NotificationRow {
    id: i64,
    kind: String,
    audience: String,
    subject: String,
    created_at: String,
    pending: i64,
    sent: i64,
    failed: i64,
    quarantined: i64,
    total: i64,
    /// Deliveries are still being added (the fan-out is under way).
    fanning_out: bool,
}

#[derive(Serialize)]
struct NotificationsPage {
    title: &'static str,
    auto_refresh: bool,
    rows: Vec<NotificationRow>,
}

/// `GET /admin/notifications`: refreshes itself every 5 s while anything is
/// pending or a fan-out is under way ("fanning out: N recipients so far").
pub async fn notifications(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    let latest = state
        .db
        .run(move |conn| subscriber_admin::latest_notifications(conn, 50))
        .await?;
    let rows: Vec<NotificationRow> = latest
        .into_iter()
        .map(|(n, p)| NotificationRow {
            id: n.id,
            subject: notification_title(&n),
            kind: n.kind,
            audience: n.audience,
            created_at: local(n.created_at, state.settings.time_zone),
            total: p.total(),
            pending: p.pending,
            sent: p.sent,
            failed: p.failed,
            quarantined: p.quarantined,
            fanning_out: n.fanned_out_at.is_none(),
        })
        .collect();
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/notifications",
        NotificationsPage {
            title: "Notifications",
            auto_refresh: rows.iter().any(|r| r.pending > 0 || r.fanning_out),
            rows,
        },
    ))
}

/// A readable name: the incident and phase for an update, else the subject.
fn notification_title(n: &crate::db::models::outbox::Notification) -> String {
    let payload: serde_json::Value = serde_json::from_str(&n.payload_json).unwrap_or_default();
    match (
        payload["incident_name"].as_str(),
        payload["phase_label"].as_str(),
    ) {
        (Some(name), Some(phase)) => format!("{name} — {phase}"),
        _ => n.subject.clone().unwrap_or_default(),
    }
}
