//! Who is calling: browser sessions (cookie), API tokens (bearer), and CSRF
//! protection for every console form.
//!
//! - A session cookie holds a random secret; the database holds its SHA-256.
//!   The cookie is `HttpOnly`, `SameSite=Lax`, and `Secure` when the page is
//!   served over https.
//! - Forms carry a CSRF token that must equal the `sitrep_csrf` cookie
//!   (`SameSite=Strict`, double-submit); [`CsrfForm`] refuses a form without it,
//!   so no console POST can skip the check.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::state::AppState;
use crate::db::models::users;
use crate::domain::role::{Permission, Staff};
use crate::domain::token::{secret_hash, secrets_match};
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "sitrep_session";
pub const CSRF_COOKIE: &str = "sitrep_csrf";

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))
}

/// The staff member whose session cookie came with the request, if any.
pub async fn session_staff(req: &HttpRequest) -> Result<Option<Staff>, AppError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = secret_hash(cookie.value());
    let state = state(req)?;
    Ok(state
        .db
        .run(move |conn| users::session_user(conn, &hash))
        .await?)
}

/// The staff member behind `Authorization: Bearer <token>`, if any.
async fn bearer_staff(req: &HttpRequest) -> Result<Option<Staff>, AppError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("OAuth "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::BadRequest("The Authorization header must be `Bearer <token>`.".into())
        })?;
    let hash = secret_hash(token);
    let state = state(req)?;
    let found = state
        .db
        .run(move |conn| users::token_user(conn, &hash))
        .await?;
    match found {
        Some((staff, _name)) => Ok(Some(staff)),
        None => Err(AppError::Unauthorized),
    }
}

/// A signed-in person on an HTML page. Anonymous visitors are redirected to
/// the sign-in page, which brings them back afterwards.
pub struct SignedIn(pub Staff);

impl SignedIn {
    pub fn require(&self, permission: Permission) -> Result<&Staff, AppError> {
        require(&self.0, permission)
    }

    /// The signed-in person as the application layer's caller.
    pub fn as_actor(&self) -> crate::app::Actor {
        crate::app::Actor::Staff(self.0.clone())
    }
}

pub use crate::app::require;

/// The redirect to the sign-in page, carrying where to come back to.
#[derive(Debug, thiserror::Error)]
#[error("not signed in: redirected to {location}")]
pub struct SignInFirst {
    location: String,
}

impl actix_web::ResponseError for SignInFirst {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::SEE_OTHER
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, self.location.clone()))
            .finish()
    }
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match session_staff(&req).await? {
                Some(staff) => {
                    // For the console's error pages (see `html::console_errors`).
                    req.extensions_mut().insert(staff.clone());
                    Ok(SignedIn(staff))
                }
                None => {
                    let next = req
                        .uri()
                        .path_and_query()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_else(|| "/admin".into());
                    let location = format!("/admin/login?next={}", urlencode(&next));
                    let response = HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, location))
                        .finish();
                    Err(
                        actix_web::error::InternalError::from_response("sign in first", response)
                            .into(),
                    )
                }
            }
        })
    }
}

/// A caller of a JSON API: a bearer token, or else a session cookie.
/// Anonymous calls get 401 with a JSON message. A write (POST, PUT, PATCH,
/// DELETE) made with the session cookie must also come from this site (its
/// `Origin`, when sent, is ours) and carry the CSRF token in `X-CSRF-Token`,
/// or it is refused with 403: a browser attaches the cookie to a forged
/// cross-site request too, never this header. Every write with a body must
/// send it as `application/json` (415 otherwise).
pub struct ApiCaller(pub Staff);

impl ApiCaller {
    pub fn require(&self, permission: Permission) -> Result<&Staff, AppError> {
        require(&self.0, permission)
    }

    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        self.0.email.clone()
    }

    /// The caller as the application layer's caller.
    pub fn as_actor(&self) -> crate::app::Actor {
        crate::app::Actor::Staff(self.0.clone())
    }
}

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let write = !req.method().is_safe();
            let staff = match bearer_staff(&req).await? {
                Some(staff) => staff,
                None => {
                    let staff = session_staff(&req).await?.ok_or(AppError::Unauthorized)?;
                    if write {
                        check_cookie_write(&req)?;
                    }
                    staff
                }
            };
            if write {
                super::body::require_json(&req)?;
            }
            Ok(ApiCaller(staff))
        })
    }
}

/// The header a script on our pages sends the CSRF token in.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// A write authenticated by the session cookie: from our own origin (when
/// the browser names one) and with the CSRF token in [`CSRF_HEADER`].
fn check_cookie_write(req: &HttpRequest) -> Result<(), AppError> {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        if !is_own_url(req, origin) {
            return Err(AppError::Forbidden(format!(
                "This request came from {origin}, not from this site: calls signed in with the console's cookie are accepted from this site's pages only. Scripts use an API token."
            )));
        }
    }
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let ok = match (sent, req.cookie(CSRF_COOKIE)) {
        (Some(sent), Some(cookie)) => !sent.is_empty() && secrets_match(sent, cookie.value()),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "A change made with the console's cookie must send the page's CSRF token in the {CSRF_HEADER} header (reload the page for a fresh one), or use an API token as `Authorization: Bearer <token>`."
        )))
    }
}

/// Whether `url` (an `Origin` or a `Referer`) is on this site: the origin of
/// the configured base URL, or the host the request was sent to.
pub fn is_own_url(req: &HttpRequest, url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    let origin = url.origin();
    if !origin.is_tuple() {
        return false;
    }
    let state = state(req).ok();
    if state.is_some_and(|s| s.settings.base_url.origin() == origin) {
        return true;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .filter(|h| !h.is_empty() && !h.contains(['/', '@', '?', '#', '\\']));
    host.and_then(|host| url::Url::parse(&format!("{}://{host}", url.scheme())).ok())
        .is_some_and(|own| own.origin() == origin)
}

/// Percent-encodes a value for a query string.
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A local path to return to after sign-in; anything else (another host,
/// `//evil.example`) falls back to the console.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/admin".to_string(),
    }
}

/// The CSRF token for a form on this response, and the cookie to set if the
/// browser has none yet.
pub fn csrf_token(req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(existing) = req.cookie(CSRF_COOKIE) {
        let value = existing.value();
        if value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit()) {
            return (value.to_string(), None);
        }
    }
    let token = crate::domain::token::random_secret("");
    let cookie = Cookie::build(CSRF_COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    (token, Some(cookie))
}

#[derive(Deserialize)]
struct CsrfField {
    csrf_token: Option<String>,
}

/// A console form whose CSRF token matched. Reading the form through this
/// type is what makes the check impossible to forget.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = web::Payload::from_request(&req, payload).into_inner();
        Box::pin(async move {
            let payload = payload.map_err(|e| AppError::BadRequest(e.to_string()))?;
            let body = super::body::read(payload).await?;
            let field: CsrfField = serde_urlencoded::from_bytes(&body)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))?;
            let cookie = req.cookie(CSRF_COOKIE);
            let ok = match (field.csrf_token, cookie) {
                (Some(sent), Some(cookie)) => secrets_match(&sent, cookie.value()),
                _ => false,
            };
            if !ok {
                return Err(AppError::Forbidden(
                    "This form has expired or did not come from this site. Go back, reload the page and submit it again."
                        .into(),
                ));
            }
            let form = serde_urlencoded::from_bytes(&body)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))?;
            Ok(CsrfForm(form))
        })
    }
}

/// The session cookie for a new session.
pub fn session_cookie(secret: String, secure: bool, max_age: chrono::Duration) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, secret)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            max_age.num_seconds(),
        ))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn expired_session_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    cookie.make_removal();
    cookie
}

/// A form with nothing but its CSRF token (delete buttons, sign-out).
#[derive(Deserialize)]
pub struct NoFields {}
