//! Sitrep: a self-hosted status page and incident-communication service.
//!
//! The crate's map, one line per module:

/// The application layer: one function per write use case, and the effects
/// (outbox rows for every channel) each records in its transaction.
pub mod app;
/// Command-line interface: `serve`, `migrate`, `user add`, `token create`.
pub mod cli;
/// Typed settings from the TOML file and `SITREP_*` variables, validated at load.
pub mod config;
/// Storage: the SQLite/PostgreSQL connection enum, pool, schema and queries.
pub mod db;
/// Pure types and rules: statuses, the page banner, roles, names, tokens.
pub mod domain;
/// The error policy and the one error type that maps to HTTP responses.
pub mod error;
/// The email outbox: notifications, deliveries, the mail sender and its worker.
pub mod notify;
/// Handlebars registries, Statuspage JSON views and the in-memory page snapshots.
pub mod render;
/// Logs (tracing) and the Prometheus metrics of an instance.
pub mod telemetry;
/// The actix-web application: public pages, console, APIs.
pub mod web;
