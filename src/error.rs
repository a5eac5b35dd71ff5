//! Error policy.
//!
//! - Domain parsing fails with [`crate::domain::Invalid`]: a message a person can act on.
//! - Storage fails with [`crate::db::StoreError`]: callers tell not-found,
//!   conflict and invalid references apart; everything else is a fault.
//! - Handlers return [`AppError`], which maps each case to one HTTP status:
//!   400 malformed input, 401 not signed in, 403 not allowed, 404 not found,
//!   409 conflict, 413 too large, 415 not JSON, 422 invalid value, 429 slow down,
//!   500 fault (logged with its cause chain, never shown to the client).
//! - `anyhow` is used only at the edges (CLI, start-up, background loops).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::StoreError;
use crate::domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("Sign in, or send an API token as `Authorization: Bearer <token>`.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Invalid(String),
    #[error("An unexpected error happened; it has been logged. Try again.")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(err.into())
    }

    /// The message shown to the person or script.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl From<Invalid> for AppError {
    fn from(err: Invalid) -> Self {
        AppError::Invalid(err.0)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        StoreError::from(err).into()
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(m) => AppError::NotFound(m),
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Invalid(i) => AppError::Invalid(i.0),
            other => AppError::Internal(other.into()),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    status: u16,
    message: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A JSON body `{"error": {"status": 422, "message": "…"}}`; HTML pages
    /// render their own error pages (see `web::html`).
    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = self {
            tracing::error!(error = ?cause, "request failed");
        }
        let message = self.message();
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, AppError::Unauthorized) {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"sitrep\""));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                status: self.status_code().as_u16(),
                message: &message,
            },
        })
    }
}
