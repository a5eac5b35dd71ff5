//! The parts of [`super::Settings::validate`] that check one setting or a few
//! related ones.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use url::Url;

use super::{redact_url, MailTransport, MetricsAccess, RawSettings};

/// The page's public address: `base_url` when set, else `http://<listen>`.
pub(super) fn base_url(value: Option<&str>, listen: SocketAddr) -> anyhow::Result<Url> {
    let base_url = match value.filter(|s| !s.is_empty()) {
        Some(value) => {
            let url = Url::parse(value).with_context(|| {
                format!("SITREP_BASE_URL {value:?} is not a URL: write https://status.example.com")
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                bail!("SITREP_BASE_URL {value:?} must be an http:// or https:// URL with a host");
            }
            url
        }
        None => Url::parse(&format!("http://{listen}")).context("building the default base URL")?,
    };
    Ok(base_url)
}

/// Mail goes to the SMTP relay of `smtp_url` when set, else to files.
pub(super) fn mail_transport(raw: &RawSettings) -> anyhow::Result<MailTransport> {
    Ok(match raw.smtp_url.as_deref().filter(|s| !s.is_empty()) {
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
    })
}

/// The page's names and the numeric limits, in the order they are reported.
pub(super) fn check_page_and_limits(raw: &RawSettings) -> anyhow::Result<()> {
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
    Ok(())
}

/// The digest's schedule (none when `digest_cron` is empty) and recipients.
pub(super) type Digest = (
    Option<crate::domain::digest::DigestSchedule>,
    Vec<crate::domain::email::EmailAddress>,
);

pub(super) fn digest(raw: &RawSettings) -> anyhow::Result<Digest> {
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
    Ok((digest_schedule, digest_recipients))
}

/// Who may read `GET /metrics`; a token only with `metrics = "token"`.
pub(super) fn metrics_access(raw: &RawSettings) -> anyhow::Result<MetricsAccess> {
    let token = raw
        .metrics_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let access = match raw.metrics.trim() {
        "off" => MetricsAccess::Off,
        "local" => MetricsAccess::Local,
        "public" => MetricsAccess::Public,
        "token" => match token {
            Some(token) if token.len() >= 16 => MetricsAccess::Token(token.to_string()),
            Some(_) => bail!("SITREP_METRICS_TOKEN must be at least 16 characters: generate one with `openssl rand -hex 32`"),
            None => bail!("SITREP_METRICS is token but SITREP_METRICS_TOKEN is not set: set it to a long random string (openssl rand -hex 32), or choose local, public or off"),
        },
        other => bail!("SITREP_METRICS must be off, local, public or token (got {other:?})"),
    };
    if token.is_some() && !matches!(access, MetricsAccess::Token(_)) {
        bail!(
            "SITREP_METRICS_TOKEN is set but SITREP_METRICS is {:?}: write SITREP_METRICS=token to require it, or remove the token",
            raw.metrics.trim()
        );
    }
    Ok(access)
}
