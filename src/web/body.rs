//! Request bodies: size-limited reading and JSON parsing whose errors name the
//! field to fix.

use actix_web::web;
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
