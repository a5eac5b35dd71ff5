//! Delivery: the templates that render each kind of email, the mail sender
//! (SMTP or `.eml` files), the worker that claims due deliveries, sends them
//! and records the outcome, and the webhook sender.
//!
//! The flow (see ARCHITECTURE.md, "Effects: events, the outbox, channels"):
//! 1. a change writes a `notifications` row in its own transaction (the
//!    application layer's `app::events`, through `db::models::outbox`), or
//!    the fan-out adds deliveries to one;
//! 2. one `deliveries` row per recipient, idempotent on (notification, recipient);
//! 3. the [`worker`] claims due deliveries with a lease, renders them
//!    ([`email`]), sends them ([`sender::Mailer`]) and marks them sent or failed;
//!    transient failures back off exponentially and expired leases are
//!    reclaimed, so a crash loses nothing and a resend keeps its Message-ID.

pub mod email;
pub mod links;
pub mod maintenance;
pub mod sender;
pub mod smtp;
pub mod stencil;
pub mod wake;
pub mod webhook;
pub mod worker;

pub use wake::Wake;
