//! What every handler can reach: the application context (settings, the
//! database, templates, the live page snapshots) plus what only HTTP needs.

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use crate::app::Context;

#[derive(Clone)]
pub struct AppState {
    /// The application context the use cases take.
    pub app: Context,
    /// History pages and feeds rendered for the current revision.
    pub history: Arc<super::history::HistoryCache>,
    /// Hash of the one-time first-admin link, while no account exists.
    pub setup_token_hash: Arc<Mutex<Option<String>>>,
}

/// Handlers read settings, the database and the snapshots through the context.
impl Deref for AppState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.app
    }
}
