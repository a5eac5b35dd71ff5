//! The actix-web application: routes, middleware, start-up and the revision
//! poller that keeps several instances' snapshots in step.

pub mod admin;
pub mod api;
pub mod auth;
pub mod body;
pub mod calendar;
pub mod head;
pub mod history;
pub mod html;
pub mod pages;
pub mod prometheus;
pub mod routes;
pub mod sla;
pub mod state;
pub mod subscribe;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_governor::GovernorConfigBuilder;
use actix_web::dev::Server;
use actix_web::http::Method;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::config::{MailTransport, Settings};
use crate::db::models::users;
use crate::domain::token::{random_secret, secret_hash};
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
        let app = crate::app::Context::open(settings.clone()).await?;
        let db = app.db.clone();
        let state = AppState {
            app,
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

        let setup_link = first_admin_link(&state, port).await?;
        let login_limit = rate_limit(&settings, "the sign-in rate limit")?;
        // Subscribing sends email: limited per client address like sign-in.
        let subscribe_limit = rate_limit(&settings, "the subscribe rate limit")?;
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(security_headers())
                // HEAD is routed as GET before anything else sees it…
                .wrap(from_fn(head::head_as_get))
                // …and counted as HEAD by the outermost layer.
                .wrap(from_fn(prometheus::count_requests))
                .app_data(web::Data::new(app_state.clone()))
                .configure(|cfg| routes::all(cfg, &login_limit, &subscribe_limit))
        })
        .listen(listener)?
        .shutdown_timeout(5)
        .run();

        spawn_revision_poller(state.clone());
        crate::app::scheduler::spawn(state.app.clone());
        let metrics = state.metrics.clone();
        crate::notify::worker::spawn(&settings, db.clone(), state.wake.clone(), metrics.clone())?;
        crate::notify::webhook::spawn(&settings, db.clone(), metrics)?;

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

/// The one-time link to create the first administrator, while no account
/// exists; only its hash is kept.
async fn first_admin_link(state: &AppState, port: u16) -> anyhow::Result<Option<String>> {
    if state.db.run(users::count).await? != 0 {
        return Ok(None);
    }
    let secret = random_secret("");
    if let Ok(mut guard) = state.setup_token_hash.lock() {
        *guard = Some(secret_hash(&secret));
    }
    let settings = &state.settings;
    let base = if settings.listen.port() == 0 {
        format!("http://{}:{port}", settings.listen.ip())
    } else {
        settings.url("")
    };
    Ok(Some(format!("{base}/setup/{secret}")))
}

/// A per-client-address limit on POSTs, from the sign-in rate settings.
fn rate_limit(settings: &Settings, what: &str) -> anyhow::Result<routes::Limit> {
    GovernorConfigBuilder::default()
        .period(std::time::Duration::from_millis(
            60_000 / u64::from(settings.login_per_minute),
        ))
        .burst_size(settings.login_burst)
        .methods(vec![Method::POST])
        .finish()
        .with_context(|| format!("building {what}"))
}

/// The headers every response carries: no sniffing, no framing, a strict
/// content security policy.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ))
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
