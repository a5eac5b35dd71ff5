//! Request bodies: size-limited reading and JSON parsing whose errors name the
//! field to fix.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The largest body any endpoint accepts.
pub const MAX_BODY: usize = 64 * 1024;

/// Reads the whole body, refusing more than [`MAX_BODY`] bytes.
pub async fn read(mut payload: web::Payload) -> Result<web::Bytes, AppError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::BadRequest(format!("The request body could not be read: {e}"))
        })?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(AppError::TooLarge(format!(
                "The request body is larger than {} KiB; send less.",
                MAX_BODY / 1024
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Refuses a request whose body is not labelled `application/json`
/// (parameters such as `; charset=utf-8` allowed) with 415. A request with
/// no body passes. The API's writes check this before reading the body, so
/// a browser's cross-site `text/plain` or form post never reaches them.
pub fn require_json(req: &HttpRequest) -> Result<(), AppError> {
    let headers = req.headers();
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    if !has_body {
        return Ok(());
    }
    let sent = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let essence = sent
        .as_deref()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if essence.as_deref() == Some("application/json") {
        return Ok(());
    }
    Err(AppError::UnsupportedMediaType(match sent {
        Some(sent) => format!(
            "The request body is sent as {sent:?}: send JSON with the header `Content-Type: application/json`."
        ),
        None => "The request body has no Content-Type: send JSON with the header `Content-Type: application/json`.".into(),
    }))
}

/// Parses a JSON body into `T`. Accepts Statuspage's envelope too
/// (`{"component": {...}}` when `envelope` is `"component"`), so scripts
/// written for Statuspage's API work unchanged.
pub fn parse_json<T: DeserializeOwned>(body: &[u8], envelope: &str) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest(
            "The request body is empty: send a JSON object.".into(),
        ));
    }
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("The request body is not valid JSON: {e}.")))?;
    if let serde_json::Value::Object(map) = &mut value {
        if map.len() == 1 {
            if let Some(inner) = map.remove(envelope) {
                value = inner;
            }
        }
    }
    if !value.is_object() {
        return Err(AppError::BadRequest(
            "The request body must be a JSON object.".into(),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            AppError::Invalid(format!("{inner}."))
        } else {
            AppError::Invalid(format!("Field `{path}`: {inner}."))
        }
    })
}

/// Deserialises a field that may be absent (leave as is), `null` (clear) or a value.
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
