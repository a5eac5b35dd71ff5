//! Integration tests: the real application on a free port, a fresh database
//! per test (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set), driven
//! through HTTP like a user or a script would.

// A scenario reads top to bottom, however long; helpers and tests unwrap
// (a panic is the failure report).
#![allow(clippy::too_many_lines, clippy::unwrap_used)]

mod helpers;

mod admin;
mod api_v1;
mod cli;
mod console_incidents;
mod digest;
mod head;
mod history;
mod incidents;
mod layers;
mod mail;
mod maintenance;
mod maintenance_mail;
mod metrics;
mod metrics_console;
mod metrics_endpoint;
mod milestones;
mod outbox_crash;
mod pages;
mod reports;
mod roster;
mod scale_out;
mod subscriber_admin;
mod subscribers;
mod webhooks;
