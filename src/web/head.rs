//! `HEAD` on every `GET` route, once for the whole application.
//!
//! Actix routes declared with `web::get()` do not match `HEAD`, so this
//! middleware, wrapped around the whole app, routes a `HEAD` request as the
//! `GET` it stands for and answers with the `GET` response's status and
//! headers (ETag, Cache-Control, Content-Type, a conditional request's
//! 304…) but no body. `Content-Length` stays the length of the `GET` body,
//! as RFC 9110 §9.3.2 allows, so a client can learn a document's size
//! without downloading it.

use actix_web::body::{BodySize, BodyStream, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, CONTENT_LENGTH};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::Bytes;

/// Routes `HEAD` as `GET`, then drops the body and keeps its length.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() != Method::HEAD {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    req.head_mut().method = Method::GET;
    let res = next.call(req).await?.map_into_boxed_body();
    Ok(res.map_body(|head, body| {
        let BodySize::Sized(len) = body.size() else {
            // No body (or one of unknown length): the HTTP layer sends no
            // body for HEAD and writes the same framing headers as for GET.
            return body;
        };
        if len == 0 {
            return body;
        }
        // An empty body that does not announce its own length, with the
        // GET body's length written as the header instead (without
        // `no_chunking` actix would announce a chunked body).
        head.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(len));
        head.no_chunking(true);
        BoxBody::new(BodyStream::new(futures_util::stream::empty::<
            Result<Bytes, std::convert::Infallible>,
        >()))
    }))
}
