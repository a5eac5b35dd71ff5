//! The continuous-improvement digest: what a period looked like against the
//! one before, which incidents recurred (and whether the earlier incident's
//! action items were done), which action items are open or overdue and which
//! reports wait for review or approval. Pure: the runner loads the facts,
//! [`build`] turns them into a [`Digest`], which is the email's payload.
//!
//! The schedule is a six-field cron expression (seconds first, the `cron`
//! crate's syntax) evaluated in the page's time zone. A digest sent at fire
//! time `T` covers `[previous fire time, T)`; the period before that is the
//! one it is compared with.

mod build;
mod model;
mod schedule;
#[cfg(test)]
mod tests;

pub use build::{build, human, DIGEST_METRICS};
pub use model::{
    status_words, ActionItem, Digest, DigestInput, DurationRow, FigureRow, IncidentLink, ItemView,
    PendingReport, PeriodText, PriorityRow, RecurrenceFact, RecurrenceView, ReportView,
};
pub use schedule::{rfc3339, DigestSchedule, Period, CRON_EXAMPLE};
