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
}

impl Settings {
    /// Reads `config_file` (if given, it must exist; otherwise `sitrep.toml` is
    /// used when present) and the `SITREP_*` environment variables.
    pub fn load(config_file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        match config_file {
            Some(path) => {
                if !path.exists() {
                    bail!("configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("sitrep.toml")),
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
        let base_url = match raw.base_url.as_deref().filter(|s| !s.is_empty()) {
            Some(value) => {
                let url = Url::parse(value).with_context(|| {
                    format!(
                        "SITREP_BASE_URL {value:?} is not a URL: write https://status.example.com"
                    )
                })?;
                if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                    bail!(
                        "SITREP_BASE_URL {value:?} must be an http:// or https:// URL with a host"
                    );
                }
                url
            }
            None => {
                Url::parse(&format!("http://{listen}")).context("building the default base URL")?
            }
        };
        let mail = match raw.smtp_url.as_deref().filter(|s| !s.is_empty()) {
            Some(value) => {
                let url = Url::parse(value).with_context(|| {
                    format!("SITREP_SMTP_URL is not a URL: write smtp://user:password@relay.example.com:587 (got {})", redact_url(value))
                })?;
                if !matches!(url.scheme(), "smtp" | "smtps") || url.host().is_none() {
                    bail!(
                        "SITREP_SMTP_URL must be smtp://host:port or smtps://host:port (got {})",
                        redact_url(value)
                    );
                }
                MailTransport::Smtp(url)
            }
            None => MailTransport::Files(PathBuf::from(&raw.mail_dir)),
        };
        let time_zone: chrono_tz::Tz = raw.time_zone.parse().map_err(|_| {
            anyhow::anyhow!(
                "SITREP_TIME_ZONE {:?} is not an IANA time zone: write Etc/UTC or Europe/Paris",
                raw.time_zone
            )
        })?;
        if raw.page_name.trim().is_empty() {
            bail!("SITREP_PAGE_NAME must not be empty");
        }
        if raw.page_id.is_empty()
            || !raw
                .page_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bail!(
                "SITREP_PAGE_ID must be letters, digits, - or _ (got {:?})",
                raw.page_id
            );
        }
        if raw.db_pool_size == 0 || raw.db_pool_size > 200 {
            bail!(
                "SITREP_DB_POOL_SIZE must be between 1 and 200 (got {})",
                raw.db_pool_size
            );
        }
        if raw.revision_poll_ms < 50 {
            bail!(
                "SITREP_REVISION_POLL_MS must be at least 50 (got {})",
                raw.revision_poll_ms
            );
        }
        if raw.scheduler_interval_ms < 100 {
            bail!(
                "SITREP_SCHEDULER_INTERVAL_MS must be at least 100 (got {})",
                raw.scheduler_interval_ms
            );
        }
        if raw.smtp_connections == 0 || raw.smtp_connections > 64 {
            bail!(
                "SITREP_SMTP_CONNECTIONS must be between 1 and 64 (got {})",
                raw.smtp_connections
            );
        }
        if raw.delivery_lease_seconds == 0 || raw.delivery_lease_seconds > 86_400 {
            bail!(
                "SITREP_DELIVERY_LEASE_SECONDS must be between 1 and 86400 (got {}); sending two batches must fit in it, 120 suits most relays",
                raw.delivery_lease_seconds
            );
        }
        if raw.retry_backoff_seconds == 0 || raw.retry_backoff_seconds > 3600 {
            bail!(
                "SITREP_RETRY_BACKOFF_SECONDS must be between 1 and 3600 (got {})",
                raw.retry_backoff_seconds
            );
        }
        if raw.fan_out_batch_size == 0 || raw.fan_out_batch_size > 50_000 {
            bail!(
                "SITREP_FAN_OUT_BATCH_SIZE must be between 1 and 50000 (got {})",
                raw.fan_out_batch_size
            );
        }
        if raw.session_hours == 0 {
            bail!("SITREP_SESSION_HOURS must be at least 1");
        }
        if raw.login_burst == 0 || raw.login_per_minute == 0 {
            bail!("SITREP_LOGIN_BURST and SITREP_LOGIN_PER_MINUTE must be at least 1");
        }
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
        let digest_schedule = match raw.digest_cron.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(expression) => Some(
                crate::domain::digest::DigestSchedule::parse(expression)
                    .map_err(|e| anyhow::anyhow!("digest_cron (SITREP_DIGEST_CRON): {e}"))?,
            ),
        };
        let digest_recipients = raw
            .digest_recipients
            .iter()
            .map(|a| {
                crate::domain::email::EmailAddress::parse(a).map_err(|e| {
                    anyhow::anyhow!("digest_recipients (SITREP_DIGEST_RECIPIENTS): {a:?}: {e}")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if digest_schedule.is_some() && digest_recipients.is_empty() {
            bail!("digest_cron is set but digest_recipients is empty: name who gets the digest, e.g. SITREP_DIGEST_RECIPIENTS=ops@example.com,lead@example.com");
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_a_working_first_run() {
        let s = Settings::validate(RawSettings::default()).unwrap();
        assert_eq!(s.database, DatabaseUrl::Sqlite("sitrep.db".into()));
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(s.mail, MailTransport::Files("./mail".into()));
        assert!(!s.secure_cookies());
    }

    #[test]
    fn the_database_scheme_picks_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@localhost/sitrep").unwrap(),
            DatabaseUrl::Postgres("postgres://u:p@localhost/sitrep".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/sitrep.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/sitrep.db".into())
        );
        let err = DatabaseUrl::parse("mysql://x").unwrap_err().to_string();
        assert!(err.contains("sqlite:// or postgres://"), "{err}");
    }

    #[test]
    fn passwords_never_reach_the_logs() {
        let db = DatabaseUrl::parse("postgres://u:secret@localhost/sitrep").unwrap();
        assert!(!db.redacted().contains("secret"));
    }

    #[test]
    fn mistakes_are_reported_with_what_to_write() {
        let bad = |f: fn(&mut RawSettings)| {
            let mut raw = RawSettings::default();
            f(&mut raw);
            Settings::validate(raw).unwrap_err().to_string()
        };
        assert!(bad(|r| r.listen = "localhost".into()).contains("127.0.0.1:8080"));
        assert!(bad(|r| r.smtp_url = Some("http://relay".into())).contains("smtp://"));
        assert!(bad(|r| r.time_zone = "Mars/Olympus".into()).contains("IANA"));
        assert!(bad(|r| r.base_url = Some("ftp://x".into())).contains("http"));
        assert!(bad(|r| r.scheduler_interval_ms = 5).contains("SITREP_SCHEDULER_INTERVAL_MS"));
        assert!(
            bad(|r| r.uptime_weights.major_outage = 2.0).contains("uptime_weights.major_outage")
        );
        assert!(bad(|r| r.recurrence_window_days = 0).contains("RECURRENCE_WINDOW"));
        assert!(bad(|r| r.delivery_lease_seconds = 0).contains("SITREP_DELIVERY_LEASE_SECONDS"));
        assert!(bad(|r| r.retry_backoff_seconds = 0).contains("SITREP_RETRY_BACKOFF_SECONDS"));
        assert!(bad(|r| r.retry_backoff_seconds = 7200).contains("between 1 and 3600"));
        assert!(bad(|r| r.fan_out_batch_size = 0).contains("SITREP_FAN_OUT_BATCH_SIZE"));
        assert!(
            bad(|r| r.support_hours = Some(serde_json::json!({"monday": ["17:00-09:00"]})))
                .contains("support_hours")
        );
        assert!(bad(|r| {
            r.sla_targets.insert(
                "P9".into(),
                crate::domain::metrics::SlaTargetConfig {
                    on_site_minutes: 1,
                    restore_minutes: 1,
                    support_hours: false,
                },
            );
        })
        .contains("SLA targets"));
    }

    #[test]
    fn metrics_settings_come_from_the_file_with_sensible_defaults() {
        let read = |toml: &str| -> anyhow::Result<Settings> {
            let raw: RawSettings = Figment::from(Serialized::defaults(RawSettings::default()))
                .merge(Toml::string(toml))
                .extract()?;
            Settings::validate(raw)
        };
        let s = read("time_zone = \"Europe/Paris\"").unwrap();
        assert_eq!(
            s.support_hours.zone(),
            chrono_tz::Europe::Paris,
            "the page's zone"
        );
        assert_eq!(s.recurrence_window, chrono::Duration::days(30));
        let p3 = s
            .sla_targets
            .get(crate::domain::incident::Priority::P3)
            .unwrap();
        assert_eq!(p3.restore, chrono::Duration::days(3));
        assert!(p3.support_hours);

        let s = read(
            "time_zone = \"Europe/Paris\"\nrecurrence_window_days = 7\n\
             [support_hours]\nmonday = [\"08:00-12:00\"]\n\
             [sla_targets.P1]\non_site_minutes = 5\nrestore_minutes = 60\n",
        )
        .unwrap();
        assert_eq!(s.support_hours.zone(), chrono_tz::Europe::Paris);
        assert_eq!(s.support_hours.windows(chrono::Weekday::Tue), &[]);
        assert_eq!(s.recurrence_window, chrono::Duration::days(7));
        let p1 = s
            .sla_targets
            .get(crate::domain::incident::Priority::P1)
            .unwrap();
        assert_eq!(p1.on_site, chrono::Duration::minutes(5));
        assert!(
            s.sla_targets
                .get(crate::domain::incident::Priority::P4)
                .is_some(),
            "other priorities keep their defaults"
        );

        let err = read("[support_hours]\ntime_zone = \"Mars/Base\"\nmonday = [\"09:00-17:00\"]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("support_hours"), "{err}");
        let err = read("[sla_targets.P1]\non_site_minutes = 0\nrestore_minutes = 60")
            .unwrap_err()
            .to_string();
        assert!(err.contains("on_site_minutes"), "{err}");
    }

    #[test]
    fn the_digest_schedule_and_recipients_are_checked_at_start_up() {
        let read = |toml: &str| -> anyhow::Result<Settings> {
            let raw: RawSettings = Figment::from(Serialized::defaults(RawSettings::default()))
                .merge(Toml::string(toml))
                .extract()?;
            Settings::validate(raw)
        };
        let err = read("digest_cron = \"0 8 * * Mon\"\ndigest_recipients = [\"a@example.com\"]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("digest_cron"), "{err}");
        assert!(err.contains("has 5 fields"), "{err}");
        assert!(err.contains("0 0 8 * * Mon"), "{err}");
        let err = read("digest_cron = \"0 0 8 * * Mon\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("digest_recipients is empty"), "{err}");
        let err = read("digest_recipients = [\"not an address\"]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("digest_recipients"), "{err}");
        let s = read(
            "digest_cron = \"0 0 8 * * Mon\"\ndigest_recipients = \"a@example.com, b@example.com\"",
        )
        .unwrap();
        assert_eq!(s.digest_recipients.len(), 2);
        assert_eq!(s.digest_schedule.unwrap().source(), "0 0 8 * * Mon");
    }

    #[test]
    fn an_smtp_url_switches_mail_to_the_relay() {
        let raw = RawSettings {
            smtp_url: Some("smtp://user:pw@127.0.0.1:2525".into()),
            ..RawSettings::default()
        };
        let s = Settings::validate(raw).unwrap();
        assert!(matches!(s.mail, MailTransport::Smtp(_)));
    }

    #[test]
    fn the_maintenance_reminder_reads_lengths_of_time_and_zero_turns_it_off() {
        let read = |toml: &str| -> anyhow::Result<Settings> {
            let raw: RawSettings = Figment::from(Serialized::defaults(RawSettings::default()))
                .merge(Toml::string(toml))
                .extract()?;
            Settings::validate(raw)
        };
        assert_eq!(
            read("").unwrap().maintenance_reminder,
            Some(chrono::Duration::hours(1))
        );
        assert_eq!(
            read("maintenance_reminder = \"90m\"")
                .unwrap()
                .maintenance_reminder,
            Some(chrono::Duration::minutes(90))
        );
        assert_eq!(
            read("maintenance_reminder = 0")
                .unwrap()
                .maintenance_reminder,
            None
        );
        assert_eq!(
            read("maintenance_reminder = \"\"")
                .unwrap()
                .maintenance_reminder,
            None
        );
        assert_eq!(
            read("maintenance_reminder = \"0\"")
                .unwrap()
                .maintenance_reminder,
            None
        );
        let err = read("maintenance_reminder = \"soon\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SITREP_MAINTENANCE_REMINDER \"soon\""),
            "{err}"
        );
        assert!(err.contains("1h"), "{err}");
        let err = read("maintenance_reminder = \"5s\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("between 1 minute and 30 days"), "{err}");
    }
}
