//! Public reads served from the page snapshots (no query per view), the
//! internal page for staff, and the health endpoints.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::{session_staff, ApiCaller, SignedIn};
use super::state::AppState;
use crate::domain::role::Permission;
use crate::domain::status::Audience;
use crate::error::AppError;
use crate::render::snapshot::Resource;

/// A CDN may keep public documents for a few seconds.
pub(crate) const PUBLIC_CACHE: &str = "public, max-age=5, stale-while-revalidate=10";
/// Internal documents are per person and never cached by others.
pub(crate) const PRIVATE_CACHE: &str = "private, no-cache";

/// Sends a snapshot resource: 304 on a matching `If-None-Match`, the gzip body
/// when the client accepts it.
pub(crate) fn send(
    req: &HttpRequest,
    resource: &Resource,
    cache_control: &'static str,
) -> HttpResponse {
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == resource.etag || tag.trim() == "*")
        });
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, resource.etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Accept-Encoding"));
    if matches {
        return response.finish();
    }
    response.content_type(resource.content_type);
    let gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(accepts_gzip);
    if gzip {
        response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(resource.gzip.clone())
    } else {
        response.body(resource.body.clone())
    }
}

/// Whether an `Accept-Encoding` value prefers gzip to the plain body: gzip
/// (or `*`) with a q-value above 0 (`gzip;q=0` refuses it), and not below the
/// q-value the client gives `identity` (explicitly or through `*`).
fn accepts_gzip(accept_encoding: &str) -> bool {
    let (mut gzip, mut identity, mut any) = (None, None, None);
    for entry in accept_encoding.split(',') {
        let mut parts = entry.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = Some(1.0_f32);
        for param in parts {
            if let Some((name, value)) = param.split_once('=') {
                if name.trim().eq_ignore_ascii_case("q") {
                    q = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q));
                }
            }
        }
        // An entry whose q-value cannot be read says nothing.
        let Some(q) = q else { continue };
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(q),
            "identity" => identity = Some(q),
            "*" => any = Some(q),
            _ => {}
        }
    }
    let gzip = gzip.or(any).unwrap_or(0.0);
    let identity = identity.or(any).unwrap_or(0.0);
    gzip > 0.0 && gzip >= identity
}

fn unknown_document(path: &str) -> AppError {
    AppError::NotFound(format!(
        "There is no document at /api/v2/{path}: try summary.json, status.json, components.json, incidents.json or scheduled-maintenances.json."
    ))
}

/// `GET /` — the external status page.
pub async fn external_page(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let snapshot = state.pages.current(Audience::External);
    let resource = snapshot
        .get("")
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no snapshot yet")))?;
    Ok(send(&req, resource, PUBLIC_CACHE))
}

/// `GET /api/v2/{document}` — Statuspage-compatible JSON for customers.
pub async fn external_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = format!("api/v2/{}", path.as_str());
    let snapshot = state.pages.current(Audience::External);
    let resource = snapshot.get(&key).ok_or_else(|| unknown_document(&path))?;
    Ok(send(&req, resource, PUBLIC_CACHE))
}

/// `GET /internal` — the internal page; anonymous visitors are sent to sign in.
pub async fn internal_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
) -> HttpResponse {
    let snapshot = state.pages.current(Audience::Internal);
    let result = staff
        .require(Permission::ViewInternal)
        .map(|_| ())
        .and_then(|_| {
            snapshot
                .get("")
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("no snapshot yet")))
        })
        .map(|resource| send(&req, resource, PRIVATE_CACHE));
    super::html::page(&state, &req, Some(&staff.0), result)
}

/// `GET /internal/api/v2/{document}` — the same JSON with internal components; 401 for anonymous calls.
pub async fn internal_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let key = format!("api/v2/{}", path.as_str());
    let snapshot = state.pages.current(Audience::Internal);
    let resource = snapshot.get(&key).ok_or_else(|| unknown_document(&path))?;
    Ok(send(&req, resource, PRIVATE_CACHE))
}

/// An incident page: from the snapshot for recent incidents, rendered from
/// the database for older ones.
async fn incident_page(
    state: &AppState,
    req: &HttpRequest,
    id: i64,
    audience: Audience,
) -> Result<HttpResponse, AppError> {
    let snapshot = state.pages.current(audience);
    let cache = if audience == Audience::External {
        PUBLIC_CACHE
    } else {
        PRIVATE_CACHE
    };
    if let Some(resource) = snapshot.get(&format!("incidents/{id}")) {
        return Ok(send(req, resource, cache));
    }
    let (incident, components, postmortem) = state
        .db
        .run(move |conn| {
            Ok((
                crate::db::models::incidents::with_updates(conn, id)?,
                crate::db::models::components::list(conn)?,
                crate::db::models::reports::published_postmortems(conn, Some(&[id]))?.remove(&id),
            ))
        })
        .await?;
    if audience == Audience::External && !incident.updates.iter().any(|u| u.external_body.is_some())
    {
        return Err(AppError::NotFound(format!(
            "There is no incident with id {id}."
        )));
    }
    let html = crate::render::snapshot::incident_page(
        &incident,
        audience,
        &state.settings,
        &state.templates,
        &components,
        postmortem.as_ref(),
    )
    .map_err(AppError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, cache))
        .body(html))
}

/// `GET /incidents/{id}` — the external timeline of one incident.
pub async fn external_incident(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<i64>,
) -> HttpResponse {
    let result = incident_page(&state, &req, id.into_inner(), Audience::External).await;
    super::html::page(&state, &req, None, result)
}

/// `GET /internal/incidents/{id}` — both streams, for staff.
pub async fn internal_incident(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
) -> HttpResponse {
    let result = incident_page(&state, &req, id.into_inner(), Audience::Internal).await;
    super::html::page(&state, &req, Some(&staff.0), result)
}

/// `GET /static/console.js` — the console's small progressive enhancement.
pub async fn console_script() -> HttpResponse {
    match crate::render::static_asset("console.js") {
        Some(bytes) => HttpResponse::Ok()
            .content_type("application/javascript; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(bytes.into_owned()),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `GET /healthz` — the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

/// `GET /readyz` — the database answers; 503 otherwise.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok()
            .json(serde_json::json!({"status": "ready", "database": state.db.backend()})),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "unavailable", "database": state.db.backend(), "error": "the database does not answer"}))
        }
    }
}

/// Any other path: a JSON 404 under the APIs, an HTML page elsewhere.
pub async fn not_found(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let path = req.path().to_string();
    let err = AppError::NotFound(format!("There is no page at {path}."));
    if path.starts_with("/api/") || path.starts_with("/internal/api/") {
        return actix_web::ResponseError::error_response(&err);
    }
    let staff = match session_staff(&req).await {
        Ok(staff) => staff,
        Err(err) => {
            tracing::warn!(error = %err, "could not look up the session for a 404 page");
            None
        }
    };
    super::html::error_page(&state, &req, staff.as_ref(), err)
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;

    #[test]
    fn gzip_is_chosen_by_its_q_value() {
        for (value, gzip) in [
            ("gzip", true),
            ("gzip, deflate, br", true),
            ("x-gzip", true),
            ("GZIP;Q=0.5", true),
            ("*", true),
            ("deflate, *;q=0.3", true),
            ("gzip;q=0", false),
            ("gzip;q=0.000", false),
            ("gzip ; q=0 , deflate", false),
            ("*;q=0", false),
            ("deflate, *;q=0", false),
            ("*;q=0, gzip;q=0", false),
            ("identity", false),
            ("gzip;q=0.5, identity;q=0.8", false),
            ("gzip;q=1.0, identity;q=0.5", true),
            ("gzip;q=nonsense", false),
            ("", false),
        ] {
            assert_eq!(accepts_gzip(value), gzip, "{value:?}");
        }
    }
}
