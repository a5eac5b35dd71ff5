//! Waking this process's outbox workers after a write that queued mail.

/// Wakes this process's fan-out and email sender as soon as a committed
/// write queued mail, rather than at their next poll (up to
/// [`super::worker::POLL_INTERVAL`] later). Other instances still find the
/// work at their next poll. One per process, held by the application
/// context and handed to the worker at start.
#[derive(Clone, Default)]
pub struct Wake {
    fan_out: std::sync::Arc<tokio::sync::Notify>,
    sender: std::sync::Arc<tokio::sync::Notify>,
}

impl Wake {
    /// A write that queued a notification committed: fan it out and send it.
    pub fn mail_queued(&self) {
        self.fan_out.notify_one();
        self.sender.notify_one();
    }

    /// The fan-out added deliveries: send them.
    pub fn deliveries_added(&self) {
        self.sender.notify_one();
    }

    /// Waits until mail is queued or `poll` has passed.
    pub async fn fan_out(&self, poll: std::time::Duration) {
        let _ = tokio::time::timeout(poll, self.fan_out.notified()).await;
    }

    /// Waits until deliveries are added or `poll` has passed.
    pub async fn sender(&self, poll: std::time::Duration) {
        let _ = tokio::time::timeout(poll, self.sender.notified()).await;
    }
}
