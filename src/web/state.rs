//! What every handler can reach: settings, the database, templates and the
//! live page snapshots.

use std::sync::{Arc, Mutex};

use crate::config::Settings;
use crate::db::models::page_state;
use crate::db::Db;
use crate::error::AppError;
use crate::render::snapshot::Pages;
use crate::render::Templates;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub templates: Arc<Templates>,
    pub pages: Arc<Pages>,
    /// History pages and feeds rendered for the current revision.
    pub history: Arc<super::history::HistoryCache>,
    /// Hash of the one-time first-admin link, while no account exists.
    pub setup_token_hash: Arc<Mutex<Option<String>>>,
}

impl AppState {
    /// Rebuilds the page snapshots from the database if it moved on; called
    /// after every committed write and by the revision poller.
    pub async fn refresh_pages(&self) -> Result<(), AppError> {
        let state = self.db.run(page_state::load).await?;
        let state_for_render = self.clone();
        tokio::task::spawn_blocking(move || {
            state_for_render.pages.install(
                &state,
                &state_for_render.settings,
                &state_for_render.templates,
            )
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Internal)?;
        Ok(())
    }

    /// Rebuilds when another instance (or a CLI command) wrote to the database.
    pub async fn refresh_if_stale(&self) -> Result<(), AppError> {
        let revision = self.db.run(crate::db::models::revision::current).await?;
        if revision != self.pages.revision() {
            self.refresh_pages().await?;
        }
        Ok(())
    }
}
