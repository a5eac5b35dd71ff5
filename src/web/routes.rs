//! The routes, by area: public snapshot reads, other public pages and
//! feeds, the sign-in and subscribe forms (rate limited), the management
//! API and the console.

use actix_cors::Cors;
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{Governor, GovernorConfig, PeerIpKeyExtractor};
use actix_web::guard;
use actix_web::http::{header, Method};
use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use tracing_actix_web::TracingLogger;

use crate::error::AppError;

use super::{admin, api, calendar, history, html, pages, prometheus, subscribe};

/// Every route, with the extractors' error messages.
pub fn all(cfg: &mut web::ServiceConfig, login: &Limit, subscribe_limit: &Limit) {
    cfg.app_data(web::PathConfig::default().error_handler(|_, req| {
        AppError::NotFound(format!("There is nothing at {}: check the id.", req.path())).into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        AppError::BadRequest(format!("The query string is not valid: {err}.")).into()
    }))
    .configure(snapshots)
    // Prometheus scrapes: not logged, access per the `metrics` setting.
    .route("/metrics", web::get().to(prometheus::scrape))
    .service(
        web::scope("/api/v2")
            .wrap(
                Cors::default()
                    .allow_any_origin()
                    .send_wildcard()
                    .allowed_methods(vec!["GET"])
                    .max_age(86_400),
            )
            .route("/{document:.+}", web::get().to(pages::external_json)),
    )
    // Everything below is logged.
    .service(
        web::scope("")
            .wrap(TracingLogger::default())
            .configure(public)
            .service(web::scope("/api/v1").configure(api_v1))
            .configure(|cfg| limited_forms(cfg, login, subscribe_limit))
            .configure(console)
            .default_service(web::to(pages::not_found)),
    );
}

/// The hot path: pages and JSON served from the in-memory snapshots (no
/// per-request tracing span; access logs belong to the proxy in front).
pub fn snapshots(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::external_page))
        .route("/incidents/{id}", web::get().to(pages::external_incident))
        .route("/history", web::get().to(history::external_history))
        .route("/history.rss", web::get().to(history::rss))
        .route("/history.atom", web::get().to(history::atom));
}

/// Public pages, feeds and health checks that are logged.
pub fn public(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(pages::healthz))
        .route("/static/console.js", web::get().to(pages::console_script))
        .route("/readyz", web::get().to(pages::readyz))
        .route("/maintenance.ics", web::get().to(calendar::maintenance_ics))
        .route("/internal", web::get().to(pages::internal_page))
        .route(
            "/internal/incidents/{id}",
            web::get().to(pages::internal_incident),
        )
        .route(
            "/internal/history",
            web::get().to(history::internal_history),
        )
        .route(
            "/internal/api/v2/{document:.+}",
            web::get().to(pages::internal_json),
        )
        .route(
            "/subscribe/confirm/{token}",
            web::get().to(subscribe::confirm_page),
        )
        .route(
            "/subscribe/confirm/{token}",
            web::post().to(subscribe::confirm),
        )
        .route(
            "/subscribe/manage/{token}",
            web::get().to(subscribe::manage_form),
        )
        .route(
            "/subscribe/manage/{token}",
            web::post().to(subscribe::manage),
        )
        .route(
            "/unsubscribe/{token}",
            web::get().to(subscribe::unsubscribe_page),
        )
        .route(
            "/unsubscribe/{token}",
            web::post().to(subscribe::unsubscribe),
        );
}

/// The rate limit of the public forms that write (sign-in, first-admin
/// set-up, subscribing).
pub type Limit = GovernorConfig<PeerIpKeyExtractor, NoOpMiddleware>;

/// Sign-in, the first-admin link and the subscribe forms, each rate limited.
pub fn limited_forms(cfg: &mut web::ServiceConfig, login: &Limit, subscribe_limit: &Limit) {
    cfg.service(
        web::resource("/admin/login")
            .wrap(Governor::new(login))
            .route(web::get().to(admin::session::login_form))
            .route(web::post().to(admin::session::login)),
    )
    .service(
        web::resource("/setup/{token}")
            .wrap(Governor::new(login))
            .route(web::get().to(admin::session::setup_form))
            .route(web::post().to(admin::session::setup)),
    )
    .service(
        web::resource("/subscribe")
            .wrap(Governor::new(subscribe_limit))
            .route(web::get().to(subscribe::external_form))
            .route(web::post().to(subscribe::external_subscribe)),
    )
    .service(
        web::resource("/internal/subscribe")
            .wrap(Governor::new(subscribe_limit))
            .route(web::get().to(subscribe::internal_form))
            .route(web::post().to(subscribe::internal_subscribe)),
    );
}

/// One path of the API: a route per method it has, and for a method no
/// path of the API has (TRACE, OPTIONS, CONNECT…) a 405 with an `Allow`
/// header naming the ones it has. A verb the API uses elsewhere (a PATCH
/// without an id) still falls through to the 404 as before.
macro_rules! resource {
    ($path:expr, $($method:ident => $handler:expr),+ $(,)?) => {
        |cfg: &mut web::ServiceConfig| {
            cfg$(.route($path, web::$method().to($handler)))+
                .service(other_methods($path, &[$(stringify!($method)),+]));
        }
    };
}

/// The management API under `/api/v1`.
pub fn api_v1(cfg: &mut web::ServiceConfig) {
    use api::{components, groups, incidents, maintenances, metrics, reports, roster};
    use api::{templates, webhooks};
    cfg.configure(resource!("/openapi.json", get => api::openapi))
        .configure(resource!("/components", get => components::list, post => components::create))
        .configure(resource!("/components/{id}",
            get => components::show, patch => components::update, delete => components::delete))
        .configure(resource!("/incidents", get => incidents::list, post => incidents::create))
        .configure(resource!("/incidents/{id}", get => incidents::show, patch => incidents::update))
        .configure(resource!("/incidents/{id}/updates", post => incidents::post_update))
        .configure(resource!("/incidents/{id}/roles",
            get => roster::incident_roles, post => roster::assign))
        .configure(resource!("/roster", get => roster::list))
        .configure(resource!("/roster/{role}", put => roster::update))
        .configure(resource!("/incidents/{id}/report", get => reports::show, patch => reports::update))
        .configure(resource!("/incidents/{id}/report/versions", get => reports::versions))
        .configure(resource!("/incidents/{id}/report/versions/{n}", get => reports::version))
        .configure(resource!("/incidents/{id}/report/{action}", post => reports::step))
        .configure(resource!("/incidents/{id}/action-items",
            get => reports::list_items, post => reports::create_item))
        .configure(resource!("/action-items/{id}",
            patch => reports::update_item, delete => reports::delete_item))
        .configure(resource!("/metrics", get => metrics::summary))
        .configure(resource!("/metrics.csv", get => metrics::export_csv))
        .configure(resource!("/templates", get => templates::list, post => templates::create))
        .configure(resource!("/templates/{id}", get => templates::show, put => templates::replace))
        .configure(resource!("/component-groups", get => groups::list, post => groups::create))
        .configure(resource!("/component-groups/{id}",
            get => groups::show, patch => groups::update, delete => groups::delete))
        .configure(resource!("/maintenances", get => maintenances::list, post => maintenances::create))
        .configure(resource!("/maintenances/{id}",
            get => maintenances::show, patch => maintenances::update, delete => maintenances::delete))
        .configure(resource!("/maintenances/{id}/updates", post => maintenances::post_update))
        .configure(resource!("/webhooks", get => webhooks::list, post => webhooks::create))
        .configure(resource!("/webhooks/{id}", delete => webhooks::delete));
}

/// The methods of the API's routes (and HEAD): any other is answered 405.
const API_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// `path` for a method no route of the API has: 405, the methods `path` has
/// in `Allow`, and the API's JSON error body.
fn other_methods(path: &str, methods: &[&str]) -> actix_web::Resource {
    let allow = methods
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(", ");
    web::resource(path)
        .guard(guard::fn_guard(|ctx| {
            !API_METHODS.contains(&ctx.head().method)
        }))
        .to(move |req: HttpRequest| {
            let message = format!(
                "{} is not supported here: {} allows {allow}.",
                req.method(),
                req.path()
            );
            let response = HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, allow.clone()))
                .json(json!({"error": {"status": 405, "message": message}}));
            async move { response }
        })
}

/// The console under `/admin`: its handlers' errors become HTML error pages.
pub fn console(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(from_fn(html::console_errors))
            .configure(console_routes),
    );
}

fn console_routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(console_components)
        .configure(console_incidents)
        .configure(console_communication);
}

/// The dashboard, components, groups, the audit log, signing out.
fn console_components(cfg: &mut web::ServiceConfig) {
    cfg.route("/logout", web::post().to(admin::session::logout))
        .route("", web::get().to(admin::dashboard))
        .route(
            "/components/new",
            web::get().to(admin::components::new_form),
        )
        .route("/components", web::post().to(admin::components::create))
        .route(
            "/components/{id}/edit",
            web::get().to(admin::components::edit_form),
        )
        .route(
            "/components/{id}",
            web::post().to(admin::components::update),
        )
        .route(
            "/components/{id}/status",
            web::post().to(admin::components::change_status),
        )
        .route(
            "/components/{id}/delete",
            web::post().to(admin::components::delete),
        )
        .route("/audit", web::get().to(admin::audit::list))
        .route("/groups/new", web::get().to(admin::groups::new_form))
        .route("/groups", web::post().to(admin::groups::create))
        .route("/groups/{id}/edit", web::get().to(admin::groups::edit_form))
        .route("/groups/{id}", web::post().to(admin::groups::update))
        .route("/groups/{id}/delete", web::post().to(admin::groups::delete));
}

/// Incidents, their roles, reports and action items, the roster, metrics and the digest.
fn console_incidents(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents", web::get().to(admin::incidents::list))
        .route("/incidents", web::post().to(admin::incidents::create))
        .route("/incidents/new", web::get().to(admin::incidents::new_form))
        .route("/incidents/{id}", web::get().to(admin::incidents::show))
        .route(
            "/incidents/{id}/updates",
            web::post().to(admin::incidents::post_update),
        )
        .route(
            "/incidents/{id}/edit",
            web::post().to(admin::incidents::edit),
        )
        .route(
            "/incidents/{id}/milestones",
            web::post().to(admin::incidents::set_milestones),
        )
        .route(
            "/incidents/{id}/roles",
            web::post().to(admin::incidents::assign_role),
        )
        .route("/roster", web::get().to(admin::roster::show))
        .route("/roster/{role}", web::post().to(admin::roster::save))
        .route(
            "/incidents/{id}/report",
            web::get().to(admin::reports::show),
        )
        .route(
            "/incidents/{id}/report",
            web::post().to(admin::reports::save),
        )
        .route(
            "/incidents/{id}/report/versions/{n}",
            web::get().to(admin::reports::version),
        )
        .route(
            "/incidents/{id}/report/{action}",
            web::post().to(admin::reports::step),
        )
        .route(
            "/incidents/{id}/action-items",
            web::post().to(admin::reports::create_item),
        )
        .route(
            "/action-items/{id}",
            web::post().to(admin::reports::update_item),
        )
        .route(
            "/action-items/{id}/delete",
            web::post().to(admin::reports::delete_item),
        )
        .route("/metrics", web::get().to(admin::metrics::show))
        .route("/digest", web::get().to(admin::digest::show))
        .route("/digest/send", web::post().to(admin::digest::send));
}

/// Subscribers and their notifications, phase templates, maintenance, webhooks.
fn console_communication(cfg: &mut web::ServiceConfig) {
    cfg.route("/subscribers", web::get().to(admin::subscribers::list))
        .route(
            "/subscribers/import",
            web::post().to(admin::subscribers::import),
        )
        .route(
            "/subscribers/{id}/delete",
            web::post().to(admin::subscribers::remove),
        )
        .route(
            "/notifications",
            web::get().to(admin::subscribers::notifications),
        )
        .route("/templates", web::get().to(admin::templates::list))
        .route("/templates", web::post().to(admin::templates::create))
        .route("/templates/new", web::get().to(admin::templates::new_form))
        .route(
            "/templates/{id}",
            web::get().to(admin::templates::edit_form),
        )
        .route("/templates/{id}", web::post().to(admin::templates::update))
        .route("/maintenances", web::get().to(admin::maintenances::list))
        .route(
            "/maintenances/new",
            web::get().to(admin::maintenances::new_form),
        )
        .route("/maintenances", web::post().to(admin::maintenances::create))
        .route(
            "/maintenances/{id}/edit",
            web::get().to(admin::maintenances::edit_form),
        )
        .route(
            "/maintenances/{id}",
            web::post().to(admin::maintenances::update),
        )
        .route(
            "/maintenances/{id}/updates",
            web::post().to(admin::maintenances::post_update),
        )
        .route(
            "/maintenances/{id}/delete",
            web::post().to(admin::maintenances::delete),
        )
        .route("/webhooks", web::get().to(admin::webhooks::list))
        .route("/webhooks", web::post().to(admin::webhooks::create))
        .route("/webhooks/{id}", web::get().to(admin::webhooks::show))
        .route(
            "/webhooks/{id}/disable",
            web::post().to(admin::webhooks::disable),
        )
        .route(
            "/webhooks/{id}/enable",
            web::post().to(admin::webhooks::enable),
        )
        .route(
            "/webhooks/{id}/delete",
            web::post().to(admin::webhooks::delete),
        )
        .route("/webhooks/{id}/test", web::post().to(admin::webhooks::test));
}
