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
    assert!(bad(|r| r.uptime_weights.major_outage = 2.0).contains("uptime_weights.major_outage"));
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

#[test]
fn metrics_access_is_local_by_default_and_a_token_needs_token_mode() {
    let with = |f: fn(&mut RawSettings)| {
        let mut raw = RawSettings::default();
        f(&mut raw);
        Settings::validate(raw).map(|s| s.metrics)
    };
    assert_eq!(with(|_| {}).unwrap(), MetricsAccess::Local);
    assert_eq!(
        with(|r| r.metrics = "off".into()).unwrap(),
        MetricsAccess::Off
    );
    assert_eq!(
        with(|r| r.metrics = "public".into()).unwrap(),
        MetricsAccess::Public
    );
    assert_eq!(
        with(|r| {
            r.metrics = "token".into();
            r.metrics_token = Some("0123456789abcdef0123".into());
        })
        .unwrap(),
        MetricsAccess::Token("0123456789abcdef0123".into())
    );
    let err = |f: fn(&mut RawSettings)| with(f).unwrap_err().to_string();
    assert!(err(|r| r.metrics = "token".into()).contains("SITREP_METRICS_TOKEN"));
    assert!(err(|r| {
        r.metrics = "token".into();
        r.metrics_token = Some("short".into());
    })
    .contains("at least 16"));
    assert!(
        err(|r| r.metrics_token = Some("0123456789abcdef0123".into()))
            .contains("SITREP_METRICS=token")
    );
    assert!(err(|r| r.metrics = "yes".into()).contains("off, local, public or token"));
}
