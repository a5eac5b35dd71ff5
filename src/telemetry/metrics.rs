//! The Prometheus metrics of one running instance, served at `GET /metrics`
//! in the Prometheus text exposition format (0.0.4).
//!
//! One [`Metrics`] lives in the application context (`app::Context::metrics`,
//! made in `Context::open`), not in a process-wide global: every test app and
//! every instance has its own. The web layer counts requests, the email and
//! webhook senders count what they send, the snapshot rebuild sets the open
//! incidents, and the scrape handler sets the outbox backlog it reads from
//! the database. This module imports nothing of the crate, so every layer
//! that reports something (`notify`, `app`, `web`) may use it.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The `Content-Type` of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds of the request duration buckets, in seconds.
const DURATION_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The matched route pattern (`/incidents/{id}`), never the raw path.
    route: String,
    /// `2xx`, `3xx`, `4xx` or `5xx`.
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabels {
    channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PriorityLabels {
    priority: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The registry and a handle on each family.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily,
    outbox_pending: Family<ChannelLabels, Gauge>,
    emails_sent: Counter,
    emails_failed: Counter,
    webhooks_sent: Counter,
    webhooks_failed: Counter,
    open_incidents: Family<PriorityLabels, Gauge>,
    snapshot_rebuilds: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(env!("CARGO_PKG_VERSION"))
    }
}

impl Metrics {
    /// A registry with every family, for a build of `version`.
    pub fn new(version: &str) -> Metrics {
        let mut registry = Registry::with_prefix("sitrep");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route pattern and status class",
            requests.clone(),
        );
        let durations: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by method and matched route pattern",
            Unit::Seconds,
            durations.clone(),
        );
        let outbox_pending = Family::<ChannelLabels, Gauge>::default();
        registry.register(
            "outbox_pending_deliveries",
            "Deliveries waiting in the outbox (read from the database at scrape time), by channel",
            outbox_pending.clone(),
        );
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        let emails_sent = counter(
            &mut registry,
            "emails_sent",
            "Emails accepted by the relay (or written to files) by this instance's sender",
        );
        let emails_failed = counter(
            &mut registry,
            "emails_failed",
            "Email attempts that failed on this instance's sender (retried later or given up)",
        );
        let webhooks_sent = counter(
            &mut registry,
            "webhook_deliveries_sent",
            "Webhook deliveries a receiver accepted (2xx) from this instance's sender",
        );
        let webhooks_failed = counter(
            &mut registry,
            "webhook_deliveries_failed",
            "Webhook attempts that failed on this instance's sender (retried later or given up)",
        );
        let open_incidents = Family::<PriorityLabels, Gauge>::default();
        registry.register(
            "open_incidents",
            "Unresolved incidents, by priority, as of the last page snapshot",
            open_incidents.clone(),
        );
        let snapshot_rebuilds = counter(
            &mut registry,
            "page_snapshot_rebuilds",
            "Times this instance rebuilt its in-memory page snapshots",
        );
        let build_info = Family::<VersionLabels, Gauge>::default();
        registry.register(
            "build_info",
            "The running version of Sitrep (always 1)",
            build_info.clone(),
        );
        build_info
            .get_or_create(&VersionLabels {
                version: version.to_string(),
            })
            .set(1);
        Metrics {
            registry,
            requests,
            durations,
            outbox_pending,
            emails_sent,
            emails_failed,
            webhooks_sent,
            webhooks_failed,
            open_incidents,
            snapshot_rebuilds,
        }
    }

    /// Counts one answered request; `route` is the matched pattern.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let class = match status {
            100..=599 => format!("{}xx", status / 100),
            _ => "other".to_string(),
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: class,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// The outbox backlog, read from the database just before a scrape.
    pub fn set_outbox_pending(&self, emails: i64, webhooks: i64) {
        for (channel, value) in [("email", emails), ("webhook", webhooks)] {
            self.outbox_pending
                .get_or_create(&ChannelLabels {
                    channel: channel.to_string(),
                })
                .set(value);
        }
    }

    /// What one email batch did: accepted, and failed attempts.
    pub fn emails_done(&self, sent: usize, failed: usize) {
        self.emails_sent.inc_by(sent as u64);
        self.emails_failed.inc_by(failed as u64);
    }

    /// What one webhook batch did: accepted, and failed attempts.
    pub fn webhooks_done(&self, sent: usize, failed: usize) {
        self.webhooks_sent.inc_by(sent as u64);
        self.webhooks_failed.inc_by(failed as u64);
    }

    /// A snapshot rebuild, with its unresolved incidents per priority (every
    /// priority is listed, 0 included, so a series never goes stale).
    pub fn snapshot_rebuilt<'a>(&self, open: impl IntoIterator<Item = (&'a str, i64)>) {
        self.snapshot_rebuilds.inc();
        for (priority, count) in open {
            self.open_incidents
                .get_or_create(&PriorityLabels {
                    priority: priority.to_string(),
                })
                .set(count);
        }
    }

    /// Every family in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_named_with_the_prefix_units_and_total() {
        let metrics = Metrics::new("1.2.3");
        metrics.observe_request("GET", "/incidents/{id}", 200, 0.003);
        metrics.set_outbox_pending(4, 1);
        metrics.emails_done(2, 1);
        metrics.webhooks_done(1, 0);
        metrics.snapshot_rebuilt([("P1", 1), ("P2", 0)]);
        let text = metrics.encode();
        for line in [
            "sitrep_http_requests_total{method=\"GET\",route=\"/incidents/{id}\",status=\"2xx\"} 1",
            "sitrep_http_request_duration_seconds_count{method=\"GET\",route=\"/incidents/{id}\"} 1",
            "sitrep_outbox_pending_deliveries{channel=\"email\"} 4",
            "sitrep_outbox_pending_deliveries{channel=\"webhook\"} 1",
            "sitrep_emails_sent_total 2",
            "sitrep_emails_failed_total 1",
            "sitrep_webhook_deliveries_sent_total 1",
            "sitrep_webhook_deliveries_failed_total 0",
            "sitrep_open_incidents{priority=\"P1\"} 1",
            "sitrep_open_incidents{priority=\"P2\"} 0",
            "sitrep_page_snapshot_rebuilds_total 1",
            "sitrep_build_info{version=\"1.2.3\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in:\n{text}");
        }
        assert!(!text.contains("# EOF"), "Prometheus text, not OpenMetrics");
    }
}
