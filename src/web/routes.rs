//! The routes, by area: public snapshot reads, other public pages and
//! feeds, the sign-in and subscribe forms (rate limited), the management
//! API and the console.

use actix_cors::Cors;
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{Governor, GovernorConfig, PeerIpKeyExtractor};
use actix_web::middleware::from_fn;
use actix_web::web;
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

/// The management API under `/api/v1`.
pub fn api_v1(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(api::openapi))
        .route("/components", web::get().to(api::components::list))
        .route("/components", web::post().to(api::components::create))
        .route("/components/{id}", web::get().to(api::components::show))
        .route("/components/{id}", web::patch().to(api::components::update))
        .route(
            "/components/{id}",
            web::delete().to(api::components::delete),
        )
        .route("/incidents", web::get().to(api::incidents::list))
        .route("/incidents", web::post().to(api::incidents::create))
        .route("/incidents/{id}", web::get().to(api::incidents::show))
        .route("/incidents/{id}", web::patch().to(api::incidents::update))
        .route(
            "/incidents/{id}/updates",
            web::post().to(api::incidents::post_update),
        )
        .route(
            "/incidents/{id}/roles",
            web::get().to(api::roster::incident_roles),
        )
        .route("/incidents/{id}/roles", web::post().to(api::roster::assign))
        .route("/roster", web::get().to(api::roster::list))
        .route("/roster/{role}", web::put().to(api::roster::update))
        .route("/incidents/{id}/report", web::get().to(api::reports::show))
        .route(
            "/incidents/{id}/report",
            web::patch().to(api::reports::update),
        )
        .route(
            "/incidents/{id}/report/versions",
            web::get().to(api::reports::versions),
        )
        .route(
            "/incidents/{id}/report/versions/{n}",
            web::get().to(api::reports::version),
        )
        .route(
            "/incidents/{id}/report/{action}",
            web::post().to(api::reports::step),
        )
        .route(
            "/incidents/{id}/action-items",
            web::get().to(api::reports::list_items),
        )
        .route(
            "/incidents/{id}/action-items",
            web::post().to(api::reports::create_item),
        )
        .route(
            "/action-items/{id}",
            web::patch().to(api::reports::update_item),
        )
        .route(
            "/action-items/{id}",
            web::delete().to(api::reports::delete_item),
        )
        .route("/metrics", web::get().to(api::metrics::summary))
        .route("/metrics.csv", web::get().to(api::metrics::export_csv))
        .route("/templates", web::get().to(api::templates::list))
        .route("/templates", web::post().to(api::templates::create))
        .route("/templates/{id}", web::get().to(api::templates::show))
        .route("/templates/{id}", web::put().to(api::templates::replace))
        .route("/component-groups", web::get().to(api::groups::list))
        .route("/component-groups", web::post().to(api::groups::create))
        .route("/component-groups/{id}", web::get().to(api::groups::show))
        .route(
            "/component-groups/{id}",
            web::patch().to(api::groups::update),
        )
        .route(
            "/component-groups/{id}",
            web::delete().to(api::groups::delete),
        )
        .route("/maintenances", web::get().to(api::maintenances::list))
        .route("/maintenances", web::post().to(api::maintenances::create))
        .route("/maintenances/{id}", web::get().to(api::maintenances::show))
        .route(
            "/maintenances/{id}",
            web::patch().to(api::maintenances::update),
        )
        .route(
            "/maintenances/{id}",
            web::delete().to(api::maintenances::delete),
        )
        .route(
            "/maintenances/{id}/updates",
            web::post().to(api::maintenances::post_update),
        )
        .route("/webhooks", web::get().to(api::webhooks::list))
        .route("/webhooks", web::post().to(api::webhooks::create))
        .route("/webhooks/{id}", web::delete().to(api::webhooks::delete));
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
