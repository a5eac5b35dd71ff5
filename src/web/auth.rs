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
/// Anonymous calls get 401 with a JSON message.
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
            if let Some(staff) = bearer_staff(&req).await? {
                return Ok(ApiCaller(staff));
            }
            match session_staff(&req).await? {
                Some(staff) => Ok(ApiCaller(staff)),
                None => Err(AppError::Unauthorized),
            }
        })
    }
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
