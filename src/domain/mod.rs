//! Pure types and rules of a status page: no IO, no framework.
//!
//! Everything a user types is parsed into one of these types at the edge, so
//! that a value which exists has already passed its checks.

pub mod digest;
pub mod email;
pub mod incident;
pub mod maintenance;
pub mod metrics;
pub mod milestone;
pub mod page_status;
pub mod report;
pub mod role;
pub mod roster;
pub mod status;
pub mod support_hours;
pub mod text;
pub mod token;
pub mod uptime;
pub mod webhook;

/// A value a person typed that cannot be accepted, with a message saying what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Invalid(message.into())
    }
}
