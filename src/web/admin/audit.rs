//! The audit log in the console: who did what, when, before and after.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::db::models::audit::{self, AuditFilter};
use crate::domain::role::Permission;
use crate::error::AppError;
use crate::render::time::local;
use crate::web::auth::SignedIn;
use crate::web::html;
use crate::web::state::AppState;

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    subject_type: Option<String>,
    subject_id: Option<i64>,
    page: Option<i64>,
}

#[derive(Serialize)]
struct Row {
    at: String,
    actor: String,
    action: String,
    subject: String,
    before: Option<String>,
    after: Option<String>,
}

#[derive(Serialize)]
struct AuditPage {
    title: &'static str,
    actor: String,
    action: String,
    subject_type: String,
    rows: Vec<Row>,
    next_page: Option<String>,
    previous_page: Option<String>,
}

fn pretty(json: Option<String>) -> Option<String> {
    json.map(|j| {
        serde_json::from_str::<serde_json::Value>(&j)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or(j)
    })
}

/// `GET /admin/audit`
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ReadAuditLog)?;
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let filter = AuditFilter {
        actor: clean(&query.actor),
        action: clean(&query.action),
        subject_type: clean(&query.subject_type),
        subject_id: query.subject_id,
    };
    let page = query.page.unwrap_or(0).max(0);
    let f = filter.clone();
    let entries = state
        .db
        .run(move |conn| audit::search(conn, &f, PAGE_SIZE + 1, page * PAGE_SIZE))
        .await?;
    let more = entries.len() as i64 > PAGE_SIZE;
    let link = |p: i64| {
        let mut url = format!("/admin/audit?page={p}");
        for (k, v) in [
            ("actor", &filter.actor),
            ("action", &filter.action),
            ("subject_type", &filter.subject_type),
        ] {
            if let Some(v) = v {
                url.push_str(&format!("&{k}={}", crate::web::auth::urlencode(v)));
            }
        }
        url
    };
    let rows = entries
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|e| Row {
            at: local(e.created_at, state.settings.time_zone),
            actor: e.actor,
            action: e.action,
            subject: match e.subject_id {
                Some(id) => format!("{} {id}", e.subject_type),
                None => e.subject_type,
            },
            before: pretty(e.before_json),
            after: pretty(e.after_json),
        })
        .collect();
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/audit",
        AuditPage {
            title: "Audit log",
            actor: filter.actor.clone().unwrap_or_default(),
            action: filter.action.clone().unwrap_or_default(),
            subject_type: filter.subject_type.clone().unwrap_or_default(),
            rows,
            next_page: more.then(|| link(page + 1)),
            previous_page: (page > 0).then(|| link(page - 1)),
        },
    ))
}
