//! The incident history pages and feeds: rendered on the first request after
//! each write and kept in memory per (audience, document) until the page
//! snapshots move to another revision, so a view costs no query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::SignedIn;
use super::pages::{send, PRIVATE_CACHE, PUBLIC_CACHE};
use super::state::AppState;
use crate::db::models::history;
use crate::domain::role::Permission;
use crate::domain::status::Audience;
use crate::error::AppError;
use crate::render::feeds::{self, FEED_INCIDENTS};
use crate::render::history::{history_page, months, page_count, page_months, Month};
use crate::render::snapshot::Resource;

/// What is cached for one revision of the page.
#[derive(Default)]
struct Generation {
    revision: i64,
    months: HashMap<Audience, Arc<Vec<Month>>>,
    documents: HashMap<(Audience, String), Arc<Resource>>,
}

/// Rendered history documents of the current revision. Entries of an older
/// revision are dropped as soon as a newer one is asked for.
#[derive(Default)]
pub struct HistoryCache {
    current: Mutex<Generation>,
}

impl HistoryCache {
    /// Runs `f` on the cache of `revision`; `None` when the cache already
    /// holds a newer revision (the caller's view is stale: do not cache it).
    fn at<T>(&self, revision: i64, f: impl FnOnce(&mut Generation) -> T) -> Option<T> {
        let mut generation = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if generation.revision < revision {
            *generation = Generation {
                revision,
                ..Generation::default()
            };
        }
        (generation.revision == revision).then(|| f(&mut generation))
    }

    fn document(&self, revision: i64, audience: Audience, key: &str) -> Option<Arc<Resource>> {
        self.at(revision, |g| {
            g.documents.get(&(audience, key.to_string())).cloned()
        })
        .flatten()
    }

    fn keep_document(&self, revision: i64, audience: Audience, key: &str, doc: Arc<Resource>) {
        self.at(revision, |g| {
            g.documents.insert((audience, key.to_string()), doc);
        });
    }

    fn months(&self, revision: i64, audience: Audience) -> Option<Arc<Vec<Month>>> {
        self.at(revision, |g| g.months.get(&audience).cloned())
            .flatten()
    }

    fn keep_months(&self, revision: i64, audience: Audience, months: Arc<Vec<Month>>) {
        self.at(revision, |g| {
            g.months.insert(audience, months);
        });
    }
}

/// The query string of a history page.
#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
}

fn requested_page(req: &HttpRequest) -> Result<usize, AppError> {
    let query: PageQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| AppError::BadRequest(format!("The query string is not valid: {e}.")))?;
    match query.page.as_deref().map(str::trim) {
        None | Some("") => Ok(1),
        Some(value) => value
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "?page={value} is not a page number: write ?page=2 for the second page."
                ))
            }),
    }
}

/// The months with incidents `audience` may see, newest first.
async fn month_index(
    state: &AppState,
    revision: i64,
    audience: Audience,
) -> Result<Arc<Vec<Month>>, AppError> {
    if let Some(found) = state.history.months(revision, audience) {
        return Ok(found);
    }
    let visible = state
        .db
        .run(move |conn| history::visible(conn, audience))
        .await?;
    let found = Arc::new(months(
        visible.into_iter().map(|(_, started)| started),
        state.settings.time_zone,
    ));
    state.history.keep_months(revision, audience, found.clone());
    Ok(found)
}

/// History page `page` for `audience`, from the cache or rendered now.
async fn history_document(
    state: &AppState,
    audience: Audience,
    page: usize,
) -> Result<Arc<Resource>, AppError> {
    let revision = state.pages.revision();
    let key = format!("history?page={page}");
    if let Some(found) = state.history.document(revision, audience, &key) {
        return Ok(found);
    }
    let index = month_index(state, revision, audience).await?;
    let pages = page_count(&index);
    let shown = page_months(&index, page).ok_or_else(|| {
        AppError::NotFound(format!(
            "The history has {pages} page{}: there is no page {page}.",
            if pages == 1 { "" } else { "s" }
        ))
    })?;
    let zone = state.settings.time_zone;
    let incidents = match (shown.first(), shown.last()) {
        (Some(newest), Some(oldest)) => {
            let (after, before) = (oldest.start(zone), newest.next().start(zone));
            state
                .db
                .run(move |conn| history::started_between(conn, audience, after, before))
                .await?
        }
        _ => Vec::new(),
    };
    let html = history_page(
        &state.templates,
        &state.settings,
        audience,
        page,
        pages,
        shown,
        &incidents,
    )
    .map_err(AppError::Internal)?;
    let resource = Arc::new(
        Resource::new(html.into_bytes(), "text/html; charset=utf-8").map_err(AppError::Internal)?,
    );
    state
        .history
        .keep_document(revision, audience, &key, resource.clone());
    Ok(resource)
}

/// `GET /history` — past incidents by month, for customers.
pub async fn external_history(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let result = async {
        let page = requested_page(&req)?;
        let resource = history_document(&state, Audience::External, page).await?;
        Ok(send(&req, &resource, PUBLIC_CACHE))
    }
    .await;
    super::html::page(&state, &req, None, result)
}

/// `GET /internal/history` — the same with internal incidents and text, for staff.
pub async fn internal_history(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
) -> HttpResponse {
    let result = async {
        staff.require(Permission::ViewInternal)?;
        let page = requested_page(&req)?;
        let resource = history_document(&state, Audience::Internal, page).await?;
        Ok(send(&req, &resource, PRIVATE_CACHE))
    }
    .await;
    super::html::page(&state, &req, Some(&staff.0), result)
}

#[derive(Clone, Copy)]
enum Feed {
    Rss,
    Atom,
}

impl Feed {
    fn key(self) -> &'static str {
        match self {
            Feed::Rss => "history.rss",
            Feed::Atom => "history.atom",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Feed::Rss => "application/rss+xml; charset=utf-8",
            Feed::Atom => "application/atom+xml; charset=utf-8",
        }
    }
}

async fn feed_document(state: &AppState, feed: Feed) -> Result<Arc<Resource>, AppError> {
    let revision = state.pages.revision();
    if let Some(found) = state
        .history
        .document(revision, Audience::External, feed.key())
    {
        return Ok(found);
    }
    let incidents = state
        .db
        .run(|conn| history::latest(conn, Audience::External, FEED_INCIDENTS))
        .await?;
    let built_at = crate::db::now();
    let body = match feed {
        Feed::Rss => feeds::rss(&incidents, &state.settings, built_at),
        Feed::Atom => feeds::atom(&incidents, &state.settings, built_at),
    }
    .map_err(AppError::Internal)?;
    let resource = Arc::new(Resource::new(body, feed.content_type()).map_err(AppError::Internal)?);
    state
        .history
        .keep_document(revision, Audience::External, feed.key(), resource.clone());
    Ok(resource)
}

/// `GET /history.rss` — the latest incidents as RSS 2.0.
pub async fn rss(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let resource = feed_document(&state, Feed::Rss).await?;
    Ok(send(&req, &resource, PUBLIC_CACHE))
}

/// `GET /history.atom` — the latest incidents as Atom 1.0.
pub async fn atom(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let resource = feed_document(&state, Feed::Atom).await?;
    Ok(send(&req, &resource, PUBLIC_CACHE))
}
