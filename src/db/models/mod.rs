//! Queries, one module per subject. Routes never build SQL: they call these.

pub mod audit;
pub mod components;
pub mod digest;
pub mod groups;
pub mod history;
pub mod incidents;
pub mod maintenances;
pub mod metrics;
pub mod outbox;
pub mod outbox_backlog;
pub mod page_state;
pub mod phase_templates;
pub mod reports;
pub mod revision;
pub mod roster;
pub mod subscriber_admin;
pub mod subscribers;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}
