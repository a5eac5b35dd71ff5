//! Typed settings: an optional TOML file under `SITREP_*` environment
//! variables, validated once at start-up so a mistake is reported before the
//! service takes traffic.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use url::Url;

use checks::{base_url, check_page_and_limits, digest, mail_transport, metrics_access};

/// Settings as written by the operator, before validation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub database_url: String,
    pub listen: String,
    pub base_url: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_dir: String,
    pub mail_from: String,
    pub page_name: String,
    pub page_id: String,
    pub time_zone: String,
    pub templates_dir: Option<String>,
    pub db_pool_size: u32,
    pub revision_poll_ms: u64,
    /// How often the maintenance scheduler looks for windows to start or end.
    pub scheduler_interval_ms: u64,
    /// Whether this instance runs the maintenance scheduler (scale-out
    /// deployments may run it on one instance only; moves apply once either way).
    pub scheduler: bool,
    /// Whether this instance runs the email sender (the outbox worker).
    pub worker: bool,
    /// How many SMTP connections the sender keeps open at once.
    pub smtp_connections: u32,
    /// Permanent (5xx) bounces after which a subscriber is quarantined.
    pub quarantine_after_bounces: u32,
    /// How long a sender holds the deliveries it claimed; if it dies, they
    /// are claimed again (and resent with the same Message-ID) after this.
    pub delivery_lease_seconds: u32,
    /// The wait before the first retry of a transiently failed delivery;
    /// each further retry waits twice as long, up to an hour.
    pub retry_backoff_seconds: u32,
    /// Subscribers turned into deliveries per fan-out transaction.
    pub fan_out_batch_size: u32,
    pub session_hours: u32,
    pub login_burst: u32,
    pub login_per_minute: u32,
    /// Signs subscriber links (SITREP_SECRET_KEY); generated and stored in the database when unset.
    pub secret_key: Option<String>,
    pub log_format: String,
    /// The "is this an incident?" questions asked when opening an incident.
    pub incident_checklist: Vec<String>,
    /// Impact × urgency → P1–P4.
    pub priority_matrix: crate::domain::incident::PriorityMatrix,
    /// How much of the time in each status counts as uptime (`[uptime_weights]`).
    pub uptime_weights: crate::domain::uptime::UptimeWeights,
    /// The support calendar (`[support_hours]`, see `SupportHoursConfig`);
    /// Monday–Friday 09:00–17:00 in the page's time zone when left out, and
    /// the page's time zone when the table has no `time_zone`.
    pub support_hours: Option<serde_json::Value>,
    /// SLA targets per priority (`[sla_targets.P1]` …).
    pub sla_targets: std::collections::BTreeMap<String, crate::domain::metrics::SlaTargetConfig>,
    /// Incidents on the same component this many days apart are recurrences.
    pub recurrence_window_days: u32,
    /// How long before a maintenance window subscribers get a reminder
    /// ("1h", "30m", "1d"); "0" or empty sends none.
    #[serde(deserialize_with = "text_or_number")]
    pub maintenance_reminder: String,
    /// When the digest is sent: six cron fields, seconds first, in the page's
    /// time zone (`0 0 8 * * Mon`); no digest is scheduled when unset.
    pub digest_cron: Option<String>,
    /// Who gets the digest: a list in the file, comma-separated in
    /// `SITREP_DIGEST_RECIPIENTS`.
    #[serde(deserialize_with = "comma_list")]
    pub digest_recipients: Vec<String>,
    /// Who may read `GET /metrics`: off, local (default), public or token.
    pub metrics: String,
    /// The bearer token `GET /metrics` requires when `metrics = "token"`.
    pub metrics_token: Option<String>,
}

/// Reads a value written as text or, from an environment variable such as
/// `SITREP_MAINTENANCE_REMINDER=0`, as a number.
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(u64),
    }
    Ok(match TextOrNumber::deserialize(d)? {
        TextOrNumber::Text(text) => text,
        TextOrNumber::Number(n) => n.to_string(),
    })
}

/// Parses the maintenance reminder lead time: `None` when reminders are off.
pub fn maintenance_reminder(value: &str) -> anyhow::Result<Option<chrono::Duration>> {
    let value = value.trim();
    if value.is_empty() || value == "0" {
        return Ok(None);
    }
    let lead = humantime::parse_duration(value).map_err(|e| {
        anyhow::anyhow!(
            "SITREP_MAINTENANCE_REMINDER {value:?} is not a length of time ({e}): write 1h, 30m or 1d, or 0 to send no reminders"
        )
    })?;
    if lead.is_zero() {
        return Ok(None);
    }
    if lead < Duration::from_secs(60) || lead > Duration::from_secs(30 * 86_400) {
        bail!("SITREP_MAINTENANCE_REMINDER {value:?} must be between 1 minute and 30 days (or 0 to send no reminders)");
    }
    Ok(Some(chrono::Duration::from_std(lead)?))
}

/// A list, or one string of comma-separated items (how an environment variable writes it).
fn comma_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        One(String),
    }
    Ok(match ListOrString::deserialize(d)? {
        ListOrString::List(items) => items,
        ListOrString::One(text) => text.split(',').map(str::to_string).collect(),
    }
    .into_iter()
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
    .collect())
}

/// The SLA targets used when the configuration names none.
pub fn default_sla_targets(
) -> std::collections::BTreeMap<String, crate::domain::metrics::SlaTargetConfig> {
    use crate::domain::metrics::SlaTargetConfig;
    let target = |on_site_minutes, restore_minutes, support_hours| SlaTargetConfig {
        on_site_minutes,
        restore_minutes,
        support_hours,
    };
    [
        ("P1", target(15, 4 * 60, false)),
        ("P2", target(30, 8 * 60, false)),
        ("P3", target(4 * 60, 3 * 24 * 60, true)),
        ("P4", target(24 * 60, 10 * 24 * 60, true)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Reads `[support_hours]`, filling in the page's zone where it has none.
fn support_hours(
    raw: Option<&serde_json::Value>,
    page_zone: &str,
) -> anyhow::Result<crate::domain::support_hours::SupportHours> {
    use crate::domain::support_hours::{SupportHours, SupportHoursConfig};
    let config = match raw {
        None => SupportHoursConfig {
            time_zone: page_zone.to_string(),
            ..SupportHoursConfig::default()
        },
        Some(value) => {
            let mut value = value.clone();
            let Some(table) = value.as_object_mut() else {
                bail!("support_hours must be a table: [support_hours] with time_zone, monday = [\"09:00-17:00\"], …, holidays");
            };
            table
                .entry("time_zone")
                .or_insert_with(|| serde_json::Value::String(page_zone.to_string()));
            serde_json::from_value::<SupportHoursConfig>(value)
                .map_err(|e| anyhow::anyhow!("support_hours: {e}"))?
        }
    };
    SupportHours::parse(&config).map_err(|e| anyhow::anyhow!("support_hours: {}", e.0))
}

impl Default for RawSettings {
    fn default() -> Self {
        RawSettings {
            database_url: "sqlite://sitrep.db".into(),
            listen: "127.0.0.1:8080".into(),
            base_url: None,
            smtp_url: None,
            mail_dir: "./mail".into(),
            mail_from: "Sitrep <status@localhost>".into(),
            page_name: "Sitrep".into(),
            page_id: "sitrep".into(),
            time_zone: "Etc/UTC".into(),
            templates_dir: None,
            db_pool_size: 8,
            revision_poll_ms: 500,
            scheduler_interval_ms: 5000,
            scheduler: true,
            worker: true,
            smtp_connections: 4,
            quarantine_after_bounces: 3,
            delivery_lease_seconds: 120,
            retry_backoff_seconds: 30,
            fan_out_batch_size: 2000,
            session_hours: 12,
            login_burst: 10,
            login_per_minute: 10,
            secret_key: None,
            log_format: "text".into(),
            incident_checklist: crate::domain::incident::default_checklist(),
            priority_matrix: crate::domain::incident::PriorityMatrix::default(),
            uptime_weights: crate::domain::uptime::UptimeWeights::default(),
            support_hours: None,
            sla_targets: default_sla_targets(),
            recurrence_window_days: 30,
            maintenance_reminder: "1h".into(),
            digest_cron: None,
            digest_recipients: Vec::new(),
            metrics: "local".into(),
            metrics_token: None,
        }
    }
}

/// Where the data lives, decided by the URL scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://path/to/file.db` (relative to the working directory) or `sqlite:///abs/path.db`.
    Sqlite(PathBuf),
    /// `postgres://user:pass@host/db` or `postgresql://…`.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(value: &str) -> anyhow::Result<Self> {
        if let Some(path) = value.strip_prefix("sqlite://") {
            if path.is_empty() {
                bail!("SITREP_DATABASE_URL {value:?} has no file path: write sqlite://sitrep.db");
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Url::parse(value).with_context(|| {
                "SITREP_DATABASE_URL is not a valid PostgreSQL URL: write postgres://user:password@host:5432/database"
            })?;
            return Ok(DatabaseUrl::Postgres(value.to_string()));
        }
        bail!(
            "SITREP_DATABASE_URL must start with sqlite:// or postgres:// (got {:?})",
            value.split("://").next().unwrap_or(value)
        )
    }

    /// The URL with any password masked, for logs.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact_url(url),
        }
    }
}

fn redact_url(value: &str) -> String {
    match Url::parse(value) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        Err(_) => "<invalid url>".into(),
    }
}

/// Where outgoing mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// `smtp://host:port` (STARTTLS when offered) or `smtps://host:port` (TLS), credentials in the URL.
    Smtp(Url),
    /// No relay configured: each message is written as an `.eml` file in this folder.
    Files(PathBuf),
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub listen: SocketAddr,
    pub base_url: Url,
    pub mail: MailTransport,
    pub mail_from: String,
    pub page_name: String,
    pub page_id: String,
    pub time_zone: chrono_tz::Tz,
    pub templates_dir: Option<PathBuf>,
    pub db_pool_size: u32,
    pub revision_poll: Duration,
    pub scheduler_interval: Duration,
    pub scheduler: bool,
    pub worker: bool,
    pub smtp_connections: usize,
    /// See `RawSettings::quarantine_after_bounces` (at least 1).
    pub quarantine_after_bounces: i32,
    /// See `RawSettings::delivery_lease_seconds` (1 s – 1 day).
    pub delivery_lease: chrono::Duration,
    /// See `RawSettings::retry_backoff_seconds` (1 s – 1 h).
    pub retry_backoff_seconds: i64,
    /// See `RawSettings::fan_out_batch_size` (1 – 50000).
    pub fan_out_batch_size: i64,
    pub session_lifetime: chrono::Duration,
    pub login_burst: u32,
    pub login_per_minute: u32,
    /// See `RawSettings::secret_key`.
    pub secret_key: Option<String>,
    pub json_logs: bool,
    pub incident_checklist: Vec<String>,
    pub priority_matrix: crate::domain::incident::PriorityMatrix,
    pub uptime_weights: crate::domain::uptime::UptimeWeights,
    pub support_hours: crate::domain::support_hours::SupportHours,
    pub sla_targets: crate::domain::metrics::SlaTargets,
    pub recurrence_window: chrono::Duration,
    /// How long before a maintenance window subscribers are reminded; `None`: never.
    pub maintenance_reminder: Option<chrono::Duration>,
    /// When the digest is sent (`digest_cron`); `None`: never by itself.
    pub digest_schedule: Option<crate::domain::digest::DigestSchedule>,
    /// Who gets the digest (`digest_recipients`).
    pub digest_recipients: Vec<crate::domain::email::EmailAddress>,
    /// Who may read `GET /metrics`.
    pub metrics: MetricsAccess,
}

/// Who may read the Prometheus metrics (`metrics`, `metrics_token`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsAccess {
    /// `GET /metrics` answers 404.
    Off,
    /// Only clients on this machine: loopback, or the listening address
    /// itself, and not forwarded by a proxy.
    Local,
    /// Anyone who can reach the service.
    Public,
    /// Whoever sends `Authorization: Bearer <metrics_token>`.
    Token(String),
}

impl Settings {
    /// Reads `config_file` (if given, it must exist; otherwise `sitrep.toml` in
    /// the working directory is used when present, never one in a parent
    /// folder) and the `SITREP_*` environment variables.
    pub fn load(config_file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        match config_file {
            Some(path) => {
                if !path.exists() {
                    bail!("configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            // Only `./sitrep.toml` itself: `Toml::file` would also search
            // every parent folder and pick up someone else's settings.
            None if Path::new("sitrep.toml").is_file() => {
                figment = figment.merge(Toml::file_exact("sitrep.toml"));
            }
            None => {}
        }
        let figment = figment.merge(Env::prefixed("SITREP_").ignore(&["config"]));
        let raw: RawSettings = figment
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        Settings::validate(raw)
    }

    pub fn validate(raw: RawSettings) -> anyhow::Result<Settings> {
        let database = DatabaseUrl::parse(&raw.database_url)?;
        let listen: SocketAddr = raw.listen.parse().with_context(|| {
            format!(
                "SITREP_LISTEN {:?} is not an address: write 127.0.0.1:8080 or 0.0.0.0:8080",
                raw.listen
            )
        })?;
        let base_url = base_url(raw.base_url.as_deref(), listen)?;
        let mail = mail_transport(&raw)?;
        let time_zone: chrono_tz::Tz = raw.time_zone.parse().map_err(|_| {
            anyhow::anyhow!(
                "SITREP_TIME_ZONE {:?} is not an IANA time zone: write Etc/UTC or Europe/Paris",
                raw.time_zone
            )
        })?;
        check_page_and_limits(&raw)?;
        raw.uptime_weights
            .validate()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let support_hours = support_hours(raw.support_hours.as_ref(), &raw.time_zone)?;
        let sla_targets = crate::domain::metrics::SlaTargets::parse(&raw.sla_targets)
            .map_err(|e| anyhow::anyhow!("sla_targets: {}", e.0))?;
        if raw.recurrence_window_days == 0 || raw.recurrence_window_days > 3660 {
            bail!(
                "SITREP_RECURRENCE_WINDOW_DAYS must be between 1 and 3660 (got {})",
                raw.recurrence_window_days
            );
        }
        let maintenance_reminder = maintenance_reminder(&raw.maintenance_reminder)?;
        let (digest_schedule, digest_recipients) = digest(&raw)?;
        let metrics = metrics_access(&raw)?;
        let json_logs = match raw.log_format.as_str() {
            "text" => false,
            "json" => true,
            other => bail!("SITREP_LOG_FORMAT must be text or json (got {other:?})"),
        };
        Ok(Settings {
            database,
            listen,
            base_url,
            mail,
            mail_from: raw.mail_from,
            page_name: raw.page_name.trim().to_string(),
            page_id: raw.page_id,
            time_zone,
            templates_dir: raw
                .templates_dir
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            db_pool_size: raw.db_pool_size,
            revision_poll: Duration::from_millis(raw.revision_poll_ms),
            scheduler_interval: Duration::from_millis(raw.scheduler_interval_ms),
            scheduler: raw.scheduler,
            worker: raw.worker,
            smtp_connections: raw.smtp_connections as usize,
            quarantine_after_bounces: raw.quarantine_after_bounces.clamp(1, 1_000_000) as i32,
            delivery_lease: chrono::Duration::seconds(i64::from(raw.delivery_lease_seconds)),
            retry_backoff_seconds: i64::from(raw.retry_backoff_seconds),
            fan_out_batch_size: i64::from(raw.fan_out_batch_size),
            session_lifetime: chrono::Duration::hours(i64::from(raw.session_hours)),
            login_burst: raw.login_burst,
            login_per_minute: raw.login_per_minute,
            secret_key: raw.secret_key.filter(|k| !k.is_empty()),
            json_logs,
            incident_checklist: raw.incident_checklist,
            priority_matrix: raw.priority_matrix,
            uptime_weights: raw.uptime_weights,
            support_hours,
            sla_targets,
            recurrence_window: chrono::Duration::days(i64::from(raw.recurrence_window_days)),
            maintenance_reminder,
            digest_schedule,
            digest_recipients,
            metrics,
        })
    }

    /// Whether cookies must carry `Secure` (the page is served over https).
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// An absolute URL on this page, e.g. `url("/incidents/3")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }
}

mod checks;
#[cfg(test)]
mod tests;
