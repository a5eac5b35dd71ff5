//! `GET /metrics` (Prometheus text format) and the middleware that counts
//! every request by method, matched route pattern and status class.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use subtle::ConstantTimeEq;

use super::state::AppState;
use crate::config::MetricsAccess;
use crate::db::models::outbox_backlog;
use crate::error::AppError;

/// Counts every request the application answers. Wrapped outside the HEAD
/// middleware, so a HEAD counts as HEAD; the route is the pattern that
/// matched (`/incidents/{id}`), or `unmatched`, so the label set stays small.
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let result = next.call(req).await;
    if let Some(state) = state {
        // A middleware's error (a rate limit's 429) has no request left to
        // tell the route.
        let (route, status) = match &result {
            Ok(res) => (res.request().match_pattern(), res.status()),
            Err(err) => (None, err.as_response_error().status_code()),
        };
        let route = match (&result, route) {
            (_, Some(route)) => route,
            (Ok(_), None) => "unmatched".to_string(),
            (Err(_), None) => "unknown".to_string(),
        };
        state.metrics.observe_request(
            &method,
            &route,
            status.as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    result
}

/// Why a scrape is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `metrics = "off"`: there is nothing here.
    Off,
    /// Not a local client, or no (or a wrong) token.
    Forbidden,
    /// `metrics = "token"` and no `Authorization: Bearer` header.
    NoToken,
}

/// Whether a scrape from `peer` may read the metrics. `forwarded`: the
/// request came through a proxy (it carries `Forwarded`, `X-Forwarded-For`
/// or `X-Real-IP`), so a loopback peer says nothing about the client.
pub fn check_access(
    access: &MetricsAccess,
    listen: SocketAddr,
    peer: Option<IpAddr>,
    forwarded: bool,
    bearer: Option<&str>,
) -> Result<(), Refusal> {
    match access {
        MetricsAccess::Off => Err(Refusal::Off),
        MetricsAccess::Public => Ok(()),
        MetricsAccess::Local => {
            let local = peer.is_some_and(|ip| ip.is_loopback() || ip == listen.ip());
            if local && !forwarded {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        MetricsAccess::Token(token) => match bearer {
            None => Err(Refusal::NoToken),
            Some(given) if bool::from(given.as_bytes().ct_eq(token.as_bytes())) => Ok(()),
            Some(_) => Err(Refusal::Forbidden),
        },
    }
}

/// `GET /metrics` — the Prometheus metrics, to whom the `metrics` setting allows.
pub async fn scrape(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let headers = req.headers();
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|name| headers.contains_key(*name));
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let peer = req.peer_addr().map(|addr| addr.ip());
    let settings = &state.settings;
    match check_access(&settings.metrics, settings.listen, peer, forwarded, bearer) {
        Ok(()) => {}
        Err(Refusal::Off) => return super::pages::not_found(state, req).await,
        Err(Refusal::NoToken) => {
            let mut response = actix_web::ResponseError::error_response(&AppError::Unauthorized);
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return response;
        }
        Err(Refusal::Forbidden) => {
            return actix_web::ResponseError::error_response(&AppError::Forbidden(
                "The metrics are not served to this client: see the metrics setting.".into(),
            ))
        }
    }
    match state.db.run(outbox_backlog::pending).await {
        Ok(backlog) => state
            .metrics
            .set_outbox_pending(backlog.emails, backlog.webhooks),
        // The other families are still worth a scrape; the backlog keeps
        // its last value.
        Err(err) => tracing::warn!(error = %err, "could not read the outbox backlog for /metrics"),
    }
    HttpResponse::Ok()
        .content_type(crate::telemetry::metrics::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_means_loopback_or_the_listening_address_and_not_forwarded() {
        let listen: SocketAddr = "10.0.0.7:8080".parse().unwrap();
        let check = |peer: &str, forwarded| {
            check_access(
                &MetricsAccess::Local,
                listen,
                peer.parse().ok(),
                forwarded,
                None,
            )
        };
        assert_eq!(check("127.0.0.1", false), Ok(()));
        assert_eq!(check("::1", false), Ok(()));
        assert_eq!(check("10.0.0.7", false), Ok(()));
        assert_eq!(check("10.0.0.8", false), Err(Refusal::Forbidden));
        assert_eq!(check("127.0.0.1", true), Err(Refusal::Forbidden));
    }

    #[test]
    fn token_mode_wants_the_exact_bearer_token() {
        let access = MetricsAccess::Token("s3cret-s3cret-s3cret".into());
        let listen: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let peer = "203.0.113.5".parse().ok();
        let check = |bearer| check_access(&access, listen, peer, true, bearer);
        assert_eq!(check(Some("s3cret-s3cret-s3cret")), Ok(()));
        assert_eq!(check(Some("s3cret")), Err(Refusal::Forbidden));
        assert_eq!(check(None), Err(Refusal::NoToken));
        assert_eq!(
            check_access(&MetricsAccess::Off, listen, peer, false, None),
            Err(Refusal::Off)
        );
        assert_eq!(
            check_access(&MetricsAccess::Public, listen, peer, true, None),
            Ok(())
        );
    }
}
