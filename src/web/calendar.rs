//! `GET /maintenance.ics`: the maintenance calendar customers subscribe to.
//!
//! Rendered per request from the database (calendar apps poll it every few
//! hours, and a CDN may keep it for a minute); its ETag only changes when a
//! maintenance does, so unchanged polls get `304`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::state::AppState;
use crate::db::models::maintenances;
use crate::error::AppError;
use crate::render::maintenance::calendar;

pub async fn maintenance_ics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let list = state.db.run(maintenances::list).await?;
    let body = calendar(&list, &state.settings);
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..32]
    );
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header(("Access-Control-Allow-Origin", "*"));
    if fresh {
        return Ok(response.finish());
    }
    Ok(response
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"maintenance.ics\"",
        ))
        .body(body))
}
