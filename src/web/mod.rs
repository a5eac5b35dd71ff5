//! The actix-web application: routes, middleware, start-up and the revision
//! poller that keeps several instances' snapshots in step.

pub mod admin;
pub mod api;
pub mod auth;
pub mod body;
pub mod calendar;
pub mod compose;
pub mod history;
pub mod html;
pub mod pages;
pub mod sla;
pub mod state;
pub mod subscribe;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_cors::Cors;
use actix_governor::{Governor, GovernorConfigBuilder};
use actix_web::dev::Server;
use actix_web::http::Method;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::{MailTransport, Settings};
use crate::db::models::users;
use crate::db::Db;
use crate::domain::token::{random_secret, secret_hash};
use crate::render::snapshot::Pages;
use crate::render::Templates;
use state::AppState;

/// A built, listening application; `run_until_stopped` serves it.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    setup_link: Option<String>,
}

impl Application {
    /// Connects and migrates the database, builds the first snapshots, binds
    /// the listener and starts the revision poller.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let settings = Arc::new(settings);
        crate::notify::links::configure(&settings);
        crate::notify::webhook::configure(&settings);
        let db_settings = settings.clone();
        let db = tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
            let db = Db::connect(&db_settings.database, db_settings.db_pool_size)?;
            let applied = db.migrate()?;
            let defaults = crate::render::default_phase_texts()
                .into_iter()
                .map(
                    |(phase, audience, body)| crate::db::models::phase_templates::PhaseText {
                        phase,
                        audience,
                        body,
                    },
                )
                .collect();
            db.run_now(|conn| crate::db::models::phase_templates::ensure_default(conn, defaults))
                .map_err(|e| anyhow::anyhow!("installing the default phase templates: {e}"))?;
            if !applied.is_empty() {
                tracing::info!(migrations = ?applied, "database migrated");
            }
            Ok(db)
        })
        .await
        .context("database start-up task failed")??;
        let templates = Arc::new(Templates::load(settings.templates_dir.as_deref())?);
        let state = AppState {
            settings: settings.clone(),
            db: db.clone(),
            templates,
            pages: Arc::new(Pages::default()),
            history: Arc::new(history::HistoryCache::default()),
            setup_token_hash: Arc::new(Mutex::new(None)),
        };
        state
            .refresh_pages()
            .await
            .map_err(|e| anyhow::anyhow!("building the first page snapshot: {e:?}"))?;

        let listener = TcpListener::bind(settings.listen)
            .with_context(|| format!("cannot listen on {} (SITREP_LISTEN)", settings.listen))?;
        let port = listener.local_addr()?.port();

        let setup_link = if db.run(users::count).await? == 0 {
            let secret = random_secret("");
            if let Ok(mut guard) = state.setup_token_hash.lock() {
                *guard = Some(secret_hash(&secret));
            }
            let base = if settings.listen.port() == 0 {
                format!("http://{}:{port}", settings.listen.ip())
            } else {
                settings.url("")
            };
            Some(format!("{base}/setup/{secret}"))
        } else {
            None
        };

        let login_limit = GovernorConfigBuilder::default()
            .period(std::time::Duration::from_millis(
                60_000 / u64::from(settings.login_per_minute),
            ))
            .burst_size(settings.login_burst)
            .methods(vec![Method::POST])
            .finish()
            .context("building the sign-in rate limit")?;

        // Subscribing sends email: limited per client address like sign-in.
        let subscribe_limit = GovernorConfigBuilder::default()
            .period(std::time::Duration::from_millis(
                60_000 / u64::from(settings.login_per_minute),
            ))
            .burst_size(settings.login_burst)
            .methods(vec![Method::POST])
            .finish()
            .context("building the subscribe rate limit")?;
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let data = web::Data::new(app_state.clone());
            App::new()
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "same-origin"))
                        .add(("X-Frame-Options", "DENY"))
                        .add((
                            "Content-Security-Policy",
                            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
                        )),
                )
                .app_data(data)
                .app_data(web::PathConfig::default().error_handler(|_, req| {
                    crate::error::AppError::NotFound(format!("There is nothing at {}: check the id.", req.path())).into()
                }))
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    crate::error::AppError::BadRequest(format!("The query string is not valid: {err}.")).into()
                }))
                .route("/", web::get().to(pages::external_page))
                .route("/incidents/{id}", web::get().to(pages::external_incident))
                .route("/history", web::get().to(history::external_history))
                .route("/history.rss", web::get().to(history::rss))
                .route("/history.atom", web::get().to(history::atom))
                .service(
                    web::scope("/api/v2")
                        .wrap(Cors::default().allow_any_origin().send_wildcard().allowed_methods(vec!["GET"]).max_age(86_400))
                        .route("/{document:.+}", web::get().to(pages::external_json)),
                )
                // Public snapshot reads above skip the per-request tracing span:
                // they are the hot path, and access logs of a public page belong
                // to the proxy or CDN in front. Everything below is logged.
                .service(
                    web::scope("")
                        .wrap(TracingLogger::default())
                .route("/healthz", web::get().to(pages::healthz))
                .route("/static/console.js", web::get().to(pages::console_script))
                .route("/readyz", web::get().to(pages::readyz))
                .route("/maintenance.ics", web::get().to(calendar::maintenance_ics))
                .route("/internal", web::get().to(pages::internal_page))
                .route("/internal/incidents/{id}", web::get().to(pages::internal_incident))
                .route("/internal/history", web::get().to(history::internal_history))
                .route("/internal/api/v2/{document:.+}", web::get().to(pages::internal_json))
                .service(
                    web::scope("/api/v1")
                        .route("/openapi.json", web::get().to(api::openapi))
                        .route("/components", web::get().to(api::components::list))
                        .route("/components", web::post().to(api::components::create))
                        .route("/components/{id}", web::get().to(api::components::show))
                        .route("/components/{id}", web::patch().to(api::components::update))
                        .route("/components/{id}", web::delete().to(api::components::delete))
                        .route("/incidents", web::get().to(api::incidents::list))
                        .route("/incidents", web::post().to(api::incidents::create))
                        .route("/incidents/{id}", web::get().to(api::incidents::show))
                        .route("/incidents/{id}", web::patch().to(api::incidents::update))
                        .route("/incidents/{id}/updates", web::post().to(api::incidents::post_update))
                        .route("/incidents/{id}/roles", web::get().to(api::roster::incident_roles))
                        .route("/incidents/{id}/roles", web::post().to(api::roster::assign))
                        .route("/roster", web::get().to(api::roster::list))
                        .route("/roster/{role}", web::put().to(api::roster::update))
                        .route("/incidents/{id}/report", web::get().to(api::reports::show))
                        .route("/incidents/{id}/report", web::patch().to(api::reports::update))
                        .route("/incidents/{id}/report/versions", web::get().to(api::reports::versions))
                        .route("/incidents/{id}/report/versions/{n}", web::get().to(api::reports::version))
                        .route("/incidents/{id}/report/{action}", web::post().to(api::reports::step))
                        .route("/incidents/{id}/action-items", web::get().to(api::reports::list_items))
                        .route("/incidents/{id}/action-items", web::post().to(api::reports::create_item))
                        .route("/action-items/{id}", web::patch().to(api::reports::update_item))
                        .route("/action-items/{id}", web::delete().to(api::reports::delete_item))
                        .route("/metrics", web::get().to(api::metrics::summary))
                        .route("/metrics.csv", web::get().to(api::metrics::export_csv))
                        .route("/templates", web::get().to(api::templates::list))
                        .route("/templates", web::post().to(api::templates::create))
                        .route("/templates/{id}", web::get().to(api::templates::show))
                        .route("/templates/{id}", web::put().to(api::templates::replace))
                        .route("/component-groups", web::get().to(api::groups::list))
                        .route("/component-groups", web::post().to(api::groups::create))
                        .route("/component-groups/{id}", web::get().to(api::groups::show))
                        .route("/component-groups/{id}", web::patch().to(api::groups::update))
                        .route("/component-groups/{id}", web::delete().to(api::groups::delete))
                        .route("/maintenances", web::get().to(api::maintenances::list))
                        .route("/maintenances", web::post().to(api::maintenances::create))
                        .route("/maintenances/{id}", web::get().to(api::maintenances::show))
                        .route("/maintenances/{id}", web::patch().to(api::maintenances::update))
                        .route("/maintenances/{id}", web::delete().to(api::maintenances::delete))
                        .route("/maintenances/{id}/updates", web::post().to(api::maintenances::post_update))
                        .route("/webhooks", web::get().to(api::webhooks::list))
                        .route("/webhooks", web::post().to(api::webhooks::create))
                        .route("/webhooks/{id}", web::delete().to(api::webhooks::delete)),
                )
                .service(
                    web::resource("/admin/login")
                        .wrap(Governor::new(&login_limit))
                        .route(web::get().to(admin::session::login_form))
                        .route(web::post().to(admin::session::login)),
                )
                .service(
                    web::resource("/setup/{token}")
                        .wrap(Governor::new(&login_limit))
                        .route(web::get().to(admin::session::setup_form))
                        .route(web::post().to(admin::session::setup)),
                )
                .service(
                    web::resource("/subscribe")
                        .wrap(Governor::new(&subscribe_limit))
                        .route(web::get().to(subscribe::external_form))
                        .route(web::post().to(subscribe::external_subscribe)),
                )
                .service(
                    web::resource("/internal/subscribe")
                        .wrap(Governor::new(&subscribe_limit))
                        .route(web::get().to(subscribe::internal_form))
                        .route(web::post().to(subscribe::internal_subscribe)),
                )
                .route("/subscribe/confirm/{token}", web::get().to(subscribe::confirm))
                .route("/subscribe/manage/{token}", web::get().to(subscribe::manage_form))
                .route("/subscribe/manage/{token}", web::post().to(subscribe::manage))
                .route("/unsubscribe/{token}", web::get().to(subscribe::unsubscribe_page))
                .route("/unsubscribe/{token}", web::post().to(subscribe::unsubscribe))
                .route("/admin/logout", web::post().to(admin::session::logout))
                .route("/admin", web::get().to(admin::dashboard))
                .route("/admin/components/new", web::get().to(admin::components::new_form))
                .route("/admin/components", web::post().to(admin::components::create))
                .route("/admin/components/{id}/edit", web::get().to(admin::components::edit_form))
                .route("/admin/components/{id}", web::post().to(admin::components::update))
                .route("/admin/components/{id}/status", web::post().to(admin::components::change_status))
                .route("/admin/components/{id}/delete", web::post().to(admin::components::delete))
                .route("/admin/incidents", web::get().to(admin::incidents::list))
                .route("/admin/incidents", web::post().to(admin::incidents::create))
                .route("/admin/incidents/new", web::get().to(admin::incidents::new_form))
                .route("/admin/incidents/{id}", web::get().to(admin::incidents::show))
                .route("/admin/incidents/{id}/updates", web::post().to(admin::incidents::post_update))
                .route("/admin/incidents/{id}/edit", web::post().to(admin::incidents::edit))
                .route("/admin/incidents/{id}/milestones", web::post().to(admin::incidents::set_milestones))
                .route("/admin/incidents/{id}/roles", web::post().to(admin::incidents::assign_role))
                .route("/admin/roster", web::get().to(admin::roster::show))
                .route("/admin/roster/{role}", web::post().to(admin::roster::save))
                .route("/admin/audit", web::get().to(admin::audit::list))
                .route("/admin/incidents/{id}/report", web::get().to(admin::reports::show))
                .route("/admin/incidents/{id}/report", web::post().to(admin::reports::save))
                .route("/admin/incidents/{id}/report/versions/{n}", web::get().to(admin::reports::version))
                .route("/admin/incidents/{id}/report/{action}", web::post().to(admin::reports::step))
                .route("/admin/incidents/{id}/action-items", web::post().to(admin::reports::create_item))
                .route("/admin/action-items/{id}", web::post().to(admin::reports::update_item))
                .route("/admin/action-items/{id}/delete", web::post().to(admin::reports::delete_item))
                .route("/admin/metrics", web::get().to(admin::metrics::show))
                .route("/admin/digest", web::get().to(admin::digest::show))
                .route("/admin/digest/send", web::post().to(admin::digest::send))
                .route("/admin/subscribers", web::get().to(admin::subscribers::list))
                .route("/admin/subscribers/import", web::post().to(admin::subscribers::import))
                .route("/admin/subscribers/{id}/delete", web::post().to(admin::subscribers::remove))
                .route("/admin/notifications", web::get().to(admin::subscribers::notifications))
                .route("/admin/templates", web::get().to(admin::templates::list))
                .route("/admin/templates", web::post().to(admin::templates::create))
                .route("/admin/templates/new", web::get().to(admin::templates::new_form))
                .route("/admin/templates/{id}", web::get().to(admin::templates::edit_form))
                .route("/admin/templates/{id}", web::post().to(admin::templates::update))
                .route("/admin/groups/new", web::get().to(admin::groups::new_form))
                .route("/admin/groups", web::post().to(admin::groups::create))
                .route("/admin/groups/{id}/edit", web::get().to(admin::groups::edit_form))
                .route("/admin/groups/{id}", web::post().to(admin::groups::update))
                .route("/admin/groups/{id}/delete", web::post().to(admin::groups::delete))
                .route("/admin/maintenances", web::get().to(admin::maintenances::list))
                .route("/admin/maintenances/new", web::get().to(admin::maintenances::new_form))
                .route("/admin/maintenances", web::post().to(admin::maintenances::create))
                .route("/admin/maintenances/{id}/edit", web::get().to(admin::maintenances::edit_form))
                .route("/admin/maintenances/{id}", web::post().to(admin::maintenances::update))
                .route("/admin/maintenances/{id}/updates", web::post().to(admin::maintenances::post_update))
                .route("/admin/maintenances/{id}/delete", web::post().to(admin::maintenances::delete))
                .route("/admin/webhooks", web::get().to(admin::webhooks::list))
                .route("/admin/webhooks", web::post().to(admin::webhooks::create))
                .route("/admin/webhooks/{id}", web::get().to(admin::webhooks::show))
                .route("/admin/webhooks/{id}/disable", web::post().to(admin::webhooks::disable))
                .route("/admin/webhooks/{id}/enable", web::post().to(admin::webhooks::enable))
                .route("/admin/webhooks/{id}/delete", web::post().to(admin::webhooks::delete))
                .route("/admin/webhooks/{id}/test", web::post().to(admin::webhooks::test))
                .default_service(web::to(pages::not_found)),
                )
        })
        .listen(listener)?
        .shutdown_timeout(5)
        .run();

        spawn_revision_poller(state.clone());
        crate::scheduler::spawn(state.clone());
        crate::notify::worker::spawn(&settings, db.clone())?;
        crate::notify::webhook::spawn(&settings, db.clone())?;

        Ok(Application {
            port,
            server,
            state,
            setup_link,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The one-time link to create the first administrator, when no account exists.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    /// Logs where things are, then serves until the process is told to stop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let settings = &self.state.settings;
        tracing::info!(
            listen = %settings.listen,
            port = self.port,
            base_url = %settings.base_url,
            database = %settings.database.redacted(),
            "Sitrep is serving"
        );
        match &settings.mail {
            MailTransport::Files(dir) => tracing::warn!(
                folder = %dir.display(),
                "SITREP_SMTP_URL is not set: email is written as .eml files to this folder, not sent"
            ),
            MailTransport::Smtp(url) => {
                tracing::info!(relay = %url.host_str().unwrap_or("?"), "email goes to the SMTP relay")
            }
        }
        if let Some(link) = &self.setup_link {
            tracing::warn!(
                "no account exists yet: open the one-time link to create the first administrator"
            );
            eprintln!("\n  Create the first administrator: {link}\n  (or run: sitrep user add --email you@example.com --role admin --password-stdin)\n");
        }
        self.server.await
    }
}

/// Notices writes made by other instances (or CLI commands) and rebuilds the
/// snapshots within one poll interval.
fn spawn_revision_poller(state: AppState) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(state.settings.revision_poll);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(err) = state.refresh_if_stale().await {
                tracing::warn!(error = %err, "could not check the site revision");
            }
            // A new local day rolls the uptime bars even when nobody writes.
            let today =
                crate::domain::uptime::local_date(crate::db::now(), state.settings.time_zone);
            if state.pages.built_on() < today {
                if let Err(err) = state.refresh_pages().await {
                    tracing::warn!(error = %err, "could not rebuild the pages for a new day");
                }
            }
        }
    });
}
