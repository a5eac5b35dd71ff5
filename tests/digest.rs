//! The continuous-improvement digest: sent by the schedule once per period
//! into a real SMTP server (postfix's smtp-sink), never twice when runners
//! race, by hand from the CLI, previewed in the console; configuration
//! mistakes stop start-up with a clear message.
//!
//! The seed is tests/metrics.rs's (A and B on Checkout API in the week of
//! 2 Nov 2026, C on Search the week before, resolved here), with action
//! items on A and B's report submitted for review. The schedule
//! `0 0 0 * * Mon` (UTC) fires on Mon 9 Nov 00:00, so that digest covers
//! [2 Nov, 9 Nov) against [26 Oct, 2 Nov). Hand-computed:
//! - incidents 2 against 1: "worse: 1 more incident (+100 %)";
//! - time to notify 5 and 15 min → median 5 min, p90 15 min, mean 10 min;
//!   C's 10 min before → "better: 5 min faster (−50 %)";
//! - SLA breaches: B's on-site (60 min against 15) now; C never had anyone
//!   on site (P3, 4 support hours) before → 1 against 1, "no change";
//! - B recurred A on Checkout API; A has two action items, one done;
//!   the open one was due 5 Nov, before the period's end: overdue.

use std::process::{Command, Output};
use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::json;
use sitrep::domain::role::Role;

use crate::helpers::*;
use crate::mail::{header, part, poll, Sink};
use crate::metrics::{seed, update};

const CRON: &str = "0 0 0 * * Mon";

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

async fn wait_for(sink: &Sink, count: usize) -> Vec<String> {
    poll(
        Duration::from_secs(30),
        count,
        || sink.messages(),
        || format!("expected {count} messages, got {}", sink.messages().len()),
    )
    .await
}

async fn sql(app: &TestApp, statements: Vec<String>) {
    app.app_state
        .db
        .run(move |conn| {
            for statement in &statements {
                sitrep::on_backend!(&mut *conn, |c| {
                    use diesel::RunQueryDsl;
                    diesel::sql_query(statement.as_str()).execute(c)
                })?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// Seeds the incidents, resolves C, adds A's action items and B's report.
async fn seed_digest(app: &TestApp) -> (i64, i64) {
    let token = app
        .token_for("mim@example.com", Role::IncidentManager)
        .await;
    let (a, b, c, _) = seed(app, &token).await;
    update(
        app,
        &token,
        &c["id"],
        json!({"status": "resolved", "external_body": "Fixed.",
               "display_at": "2026-10-28T12:00:00Z"}),
    )
    .await;
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let now = "'2026-11-04 09:00:00'";
    sql(
        app,
        vec![
            format!("INSERT INTO action_items (incident_id, action, responsibility, priority, due_on, status, done_at, created_at, updated_at) \
                     VALUES ({a}, 'Add a circuit breaker', 'Platform team', 'high', '2026-11-03', 'done', {now}, {now}, {now})"),
            format!("INSERT INTO action_items (incident_id, action, responsibility, priority, due_on, status, created_at, updated_at) \
                     VALUES ({a}, 'Alert on checkout <errors> & timeouts', 'Ops team', 'medium', '2026-11-05', 'open', {now}, {now})"),
            format!("INSERT INTO incident_reports (incident_id, status, submitted_by, submitted_at, created_at, updated_at) \
                     VALUES ({b}, 'submitted', 'mim@example.com', '2026-11-06 10:00:00', {now}, {now})"),
        ],
    )
    .await;
    (a, b)
}

fn digest_settings(raw: &mut sitrep::config::RawSettings, smtp: Option<String>) {
    raw.smtp_url = smtp;
    raw.digest_cron = Some(CRON.into());
    raw.digest_recipients = vec!["lead@example.com".into(), "ops@example.com".into()];
    // Tests drive the schedule with chosen times.
    raw.scheduler = false;
}

async fn digests_count(app: &TestApp) -> i64 {
    app.app_state
        .db
        .run(|conn| {
            sitrep::on_backend!(conn, |c| {
                use diesel::prelude::*;
                use sitrep::db::schema::notifications;
                notifications::table
                    .filter(notifications::kind.eq("digest"))
                    .count()
                    .get_result::<i64>(c)
            })
            .map_err(Into::into)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_scheduled_digest_is_sent_once_per_period_with_the_hand_computed_figures() {
    let database = std::sync::Arc::new(fresh_database());
    let sink = Sink::start(database.dir.path(), &[]);
    let url = sink.url();
    let app = spawn_app_on(database, |raw| digest_settings(raw, Some(url))).await;
    seed_digest(&app).await;
    let state = &app.app_state;

    // A second before the fire time the due period is the week before (empty).
    let first = sitrep::app::digest::run_due(state, at("2026-11-08 23:59"))
        .await
        .unwrap();
    assert!(first.is_some(), "the previous week is due then");
    wait_for(&sink, 2).await;

    let sent = sitrep::app::digest::run_due(state, at("2026-11-09 00:00"))
        .await
        .unwrap();
    assert!(sent.is_some(), "sent at the fire time");
    for later in ["2026-11-09 00:00", "2026-11-09 07:30", "2026-11-15 23:59"] {
        let again = sitrep::app::digest::run_due(state, at(later))
            .await
            .unwrap();
        assert_eq!(again, None, "the period of 9 Nov is sent once ({later})");
    }
    let messages = wait_for(&sink, 4).await;
    assert_eq!(messages.len(), 4);
    let ours: Vec<&String> = messages
        .iter()
        .filter(|m| {
            header(m, "Subject")
                .is_some_and(|s| s.contains("Mon 2 Nov 2026 00:00 UTC to Mon 9 Nov"))
        })
        .collect();
    assert_eq!(ours.len(), 2, "one per recipient");
    let mut recipients: Vec<String> = ours.iter().map(|m| header(m, "To").unwrap()).collect();
    recipients.sort();
    assert_eq!(recipients, ["lead@example.com", "ops@example.com"]);
    let message = ours[0];
    assert_eq!(
        header(message, "Subject").as_deref(),
        Some("Acme digest: 2 incidents, 1 overdue action item (Mon 2 Nov 2026 00:00 UTC to Mon 9 Nov 2026 00:00 UTC)")
    );
    let text = part(message, "text/plain").expect("a text part");
    println!("--- digest as received (text part) ---\n{text}\n---");
    for expected in [
        "Period: Mon 2 Nov 2026 00:00 UTC to Mon 9 Nov 2026 00:00 UTC",
        "Compared with: Mon 26 Oct 2026 00:00 UTC to Mon 2 Nov 2026 00:00 UTC",
        "- Incidents: 2 (previous period: 1; worse: 1 more incident (+100 %))",
        "- SLA breaches: 1 (previous period: 1; no change)",
        "- Time to notify (2 incidents with a value): median 5 min, p90 15 min, mean 10 min; previous median 10 min; better: 5 min faster (−50 %)",
        "- Time to restore (2 incidents with a value): median 1 h 00 min, p90 2 h 00 min, mean 1 h 30 min",
        "- P1: 2 incidents (previous 0; worse: 2 more incidents), median time to restore 1 h 00 min, SLA breaches 1",
        "- Checkout slow recurred on Checkout API after Checkout \"errors\", EU: 1 of 2 action items of the earlier incident done.",
        "  [x] Add a circuit breaker — done, Platform team",
        "  [ ] Alert on checkout <errors> & timeouts — not done (open), Ops team",
        "ACTION ITEMS: 1 open, 1 overdue",
        "- Alert on checkout <errors> & timeouts — Ops team, due Thu 5 Nov 2026, open (Checkout \"errors\", EU)",
        "Awaiting review:\n- Checkout slow (submitted Fri 6 Nov 2026 10:00 UTC by mim@example.com)",
        "Awaiting approval:\n- none",
        "/admin/metrics?from=2026-11-02&to=2026-11-08",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let html = part(message, "text/html").expect("an HTML part");
    for expected in [
        "<th scope=\"row\" align=\"left\" style=\"border-bottom:1px solid #eaeef2\">Incidents</th><td style=\"border-bottom:1px solid #eaeef2\">2</td>",
        "worse: 1 more incident (+100 %)",
        "better: 5 min faster (−50 %)",
        "Checkout &quot;errors&quot;, EU",
        "Alert on checkout &lt;errors&gt; &amp; timeouts",
        "<strong>not done</strong>",
        "<strong>Overdue:</strong>",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in:\n{html}");
    }
    assert!(!html.contains("<errors>"), "values are escaped in HTML");

    // The next period is sent at its own fire time.
    let next = sitrep::app::digest::run_due(state, at("2026-11-16 00:00"))
        .await
        .unwrap();
    assert!(next.is_some());
    wait_for(&sink, 6).await;
    assert_eq!(digests_count(&app).await, 3);
    // After a long downtime only the latest period goes out, not a backlog.
    let late = sitrep::app::digest::run_due(state, at("2026-12-09 12:00"))
        .await
        .unwrap();
    assert!(late.is_some());
    assert_eq!(digests_count(&app).await, 4);
}

#[tokio::test]
async fn two_runners_racing_for_a_period_send_one_digest() {
    let database = std::sync::Arc::new(fresh_database());
    let tweak = |raw: &mut sitrep::config::RawSettings| {
        digest_settings(raw, None);
        raw.worker = false;
    };
    let one = spawn_app_on(database.clone(), tweak).await;
    let two = spawn_app_on(database, tweak).await;
    seed_digest(&one).await;
    let now = at("2026-11-09 00:00");
    let (s1, s2) = (one.app_state.clone(), two.app_state.clone());
    let runs = (0..4).map(|i| {
        let state = if i % 2 == 0 { s1.clone() } else { s2.clone() };
        tokio::spawn(async move { sitrep::app::digest::run_due(&state, now).await.unwrap() })
    });
    let results: Vec<Option<i64>> = futures_join(runs).await;
    assert_eq!(
        results.iter().filter(|r| r.is_some()).count(),
        1,
        "{results:?}"
    );
    assert_eq!(digests_count(&one).await, 1);
    let id = results.iter().flatten().next().copied().unwrap();
    let deliveries = one
        .app_state
        .db
        .run(move |conn| sitrep::db::models::outbox::deliveries_of(conn, id))
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 2, "one delivery per recipient");
}

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.unwrap());
    }
    out
}

fn sitrep(db_url: &str, dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    command
        .args(args)
        .env("SITREP_DATABASE_URL", db_url)
        .env("SITREP_MAIL_DIR", dir.join("mail"))
        .env("SITREP_PAGE_NAME", "Acme")
        .env("RUST_LOG", "warn")
        .env_remove("SITREP_CONFIG")
        .env_remove("SITREP_SMTP_URL")
        .env_remove("SITREP_DIGEST_CRON")
        .env_remove("SITREP_DIGEST_RECIPIENTS");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("sitrep runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

#[tokio::test]
async fn digest_send_on_the_command_line_delivers_and_can_be_repeated() {
    let database = std::sync::Arc::new(fresh_database());
    let sink = Sink::start(database.dir.path(), &[]);
    let app = spawn_app_on(database.clone(), |raw| raw.worker = false).await;
    seed_digest(&app).await;
    let env = [
        ("SITREP_SMTP_URL", sink.url()),
        (
            "SITREP_DIGEST_RECIPIENTS",
            "lead@example.com, ops@example.com".to_string(),
        ),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let args = [
        "digest",
        "send",
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-09T00:00:00Z",
    ];
    for round in 1..=2 {
        let out = sitrep(&database.url, database.dir.path(), &env, &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains("Sent 2 of 2"), "{stdout}");
        let messages = wait_for(&sink, 2 * round).await;
        let plain = part(&messages[0], "text/plain").unwrap();
        assert!(
            plain.contains("- Incidents: 2 (previous period: 1;"),
            "{plain}"
        );
    }
    assert_eq!(
        digests_count(&app).await,
        2,
        "a manual send can be repeated"
    );

    let out = sitrep(
        &database.url,
        database.dir.path(),
        &env,
        &["digest", "send", "--from", "2 Nov", "--to", "2026-11-09"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--from \"2 Nov\" is neither a date nor an RFC 3339 time"),
        "{}",
        text(&out.stderr)
    );
    let out = sitrep(
        &database.url,
        database.dir.path(),
        &env,
        &[
            "digest",
            "send",
            "--from",
            "2026-11-09",
            "--to",
            "2026-11-02",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("must be before --to"),
        "{}",
        text(&out.stderr)
    );
    let out = sitrep(&database.url, database.dir.path(), &[], &args);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no digest recipients"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn digest_configuration_mistakes_stop_start_up_with_a_clear_message() {
    let database = fresh_database();
    let run = |env: &[(&str, &str)]| {
        let out = sitrep(&database.url, database.dir.path(), env, &["migrate"]);
        (out.status.success(), text(&out.stderr))
    };
    let (ok, err) = run(&[
        ("SITREP_DIGEST_CRON", "0 8 * * Mon"),
        ("SITREP_DIGEST_RECIPIENTS", "ops@example.com"),
    ]);
    assert!(!ok);
    assert!(
        err.contains("digest_cron (SITREP_DIGEST_CRON): `0 8 * * Mon` has 5 fields"),
        "{err}"
    );
    assert!(err.contains("e.g. `0 0 8 * * Mon`"), "{err}");
    let (ok, err) = run(&[
        ("SITREP_DIGEST_CRON", "0 0 8 * * Funday"),
        ("SITREP_DIGEST_RECIPIENTS", "ops@example.com"),
    ]);
    assert!(!ok);
    assert!(err.contains("is not a cron expression"), "{err}");
    let (ok, err) = run(&[("SITREP_DIGEST_CRON", "0 0 8 * * Mon")]);
    assert!(!ok);
    assert!(err.contains("digest_recipients is empty"), "{err}");
    let (ok, err) = run(&[
        ("SITREP_DIGEST_CRON", "0 0 8 * * Mon"),
        (
            "SITREP_DIGEST_RECIPIENTS",
            "ops@example.com, not-an-address",
        ),
    ]);
    assert!(!ok);
    assert!(
        err.contains("digest_recipients (SITREP_DIGEST_RECIPIENTS): \"not-an-address\""),
        "{err}"
    );
    let (ok, err) = run(&[
        ("SITREP_DIGEST_CRON", "0 0 8 * * Mon"),
        (
            "SITREP_DIGEST_RECIPIENTS",
            "ops@example.com,lead@example.com",
        ),
    ]);
    assert!(ok, "{err}");
}

#[tokio::test]
async fn the_console_previews_the_digest_to_staff_only() {
    let app = spawn_app_with(|raw| digest_settings(raw, None)).await;
    let response = app
        .browser
        .get(app.url("/admin/digest"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        303,
        "anonymous visitors sign in"
    );
    assert_eq!(
        response.headers()["location"],
        "/admin/login?next=%2Fadmin%2Fdigest"
    );
    seed_digest(&app).await;
    app.sign_in_as("viewer@example.com", Role::Viewer).await;
    let (status, html) = app
        .get_page("/admin/digest?from=2026-11-02&to=2026-11-08")
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<code>0 0 0 * * Mon</code>"), "{html}");
    assert!(html.contains("lead@example.com, ops@example.com"));
    assert!(html.contains("Preview: Mon 2 Nov 2026 00:00 UTC to Mon 9 Nov 2026 00:00 UTC"));
    // The HTML email is shown sanitised (its body only, headings moved under
    // the page's, values still escaped); the text version in a <pre>.
    assert!(
        html.contains("<div class=\"digest-preview\" role=\"region\""),
        "{html}"
    );
    assert!(
        html.contains("<h5 style=\"font-size:17px;margin:24px 0 8px\">Recurrences</h5>"),
        "{html}"
    );
    assert!(!html.contains("<title>Acme digest</title>"), "{html}");
    assert!(!html.contains("<errors>"), "{html}");
    assert!(html.contains("- Incidents: 2 (previous period: 1; worse: 1 more incident (+100 %))"));
    assert!(html.contains("Alert on checkout &lt;errors&gt; &amp; timeouts"));
    // The default period is the one the next digest will cover, so far.
    let (status, html) = app.get_page("/admin/digest").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("No digest sent yet."));
    let (status, html) = app.get_page("/admin/digest?from=2026-13-01").await;
    assert_eq!(status, 422);
    assert!(html.contains("YYYY-MM-DD"), "{html}");
}

#[tokio::test]
async fn the_console_link_of_the_email_previews_its_exact_period() {
    let app = spawn_app_with(|raw| digest_settings(raw, None)).await;
    app.sign_in_as("viewer@example.com", Role::Viewer).await;
    let (status, html) = app
        .get_page("/admin/digest?from=2026-11-02T08%3A00%3A00Z&to=2026-11-09T08%3A00%3A00Z")
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Preview: Mon 2 Nov 2026 08:00 UTC to Mon 9 Nov 2026 08:00 UTC"),
        "{html}"
    );
}

/// Recurrences in the metrics carry the earlier incident's action items;
/// uptime per component over the period. "Uptime probe" exists from 1 Nov
/// and was in a major outage 10:00–12:00 then a partial one 12:00–22:00 on
/// 2 Nov: over [2 Nov, 6 Nov 04:00) (100 h) downtime is 2 h + 30 % of 10 h
/// = 5 h → 95 %; over the console's days 2–5 Nov (96 h) → 94.79 %.
#[tokio::test]
async fn metrics_show_the_earlier_action_items_and_uptime_per_component() {
    let app = spawn_app().await;
    let (a, _) = seed_digest(&app).await;
    let admin = app.token_for("admin-two@example.com", Role::Admin).await;
    let probe = app
        .create_component(&admin, json!({"name": "Uptime probe"}))
        .await;
    let id = probe["id"].as_i64().unwrap();
    let change = |from: &str, to: &str, when: &str| {
        format!("INSERT INTO component_status_changes (component_id, from_status, to_status, changed_at, actor) \
                 VALUES ({id}, '{from}', '{to}', '{when}', 'test')")
    };
    sql(
        &app,
        vec![
            format!("DELETE FROM component_status_changes WHERE component_id = {id}"),
            format!("UPDATE components SET created_at = '2026-11-01 00:00:00' WHERE id = {id}"),
            change("operational", "major_outage", "2026-11-02 10:00:00"),
            change("major_outage", "partial_outage", "2026-11-02 12:00:00"),
            change("partial_outage", "operational", "2026-11-02 22:00:00"),
        ],
    )
    .await;
    let token = app.token_for("viewer-bot@example.com", Role::Viewer).await;
    let response = app
        .api(&token)
        .get(app.url("/api/v1/metrics?from=2026-11-02T00:00:00Z&to=2026-11-06T04:00:00Z"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let m: serde_json::Value = response.json().await.unwrap();
    let recurrence = &m["recurrences"][0];
    assert_eq!(recurrence["earlier_id"], a);
    let items = recurrence["earlier_action_items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{recurrence}");
    assert_eq!(
        (&items[0]["action"], &items[0]["status"], &items[0]["done"]),
        (
            &json!("Add a circuit breaker"),
            &json!("done"),
            &json!(true)
        )
    );
    assert_eq!(
        (&items[1]["status"], &items[1]["done"], &items[1]["due_on"]),
        (&json!("open"), &json!(false), &json!("2026-11-05"))
    );
    let uptime = m["uptime"].as_array().unwrap();
    let probe = uptime
        .iter()
        .find(|u| u["name"] == "Uptime probe")
        .expect("the probe has an uptime");
    assert!(
        (probe["uptime_percent"].as_f64().unwrap() - 95.0).abs() < 1e-9,
        "{probe}"
    );
    assert_eq!(probe["seconds"]["major_outage"], 7200);
    assert_eq!(probe["seconds"]["partial_outage"], 36000);
    let checkout = uptime.iter().find(|u| u["name"] == "Checkout API").unwrap();
    assert!(
        checkout["uptime_percent"].is_null(),
        "created today: no data in November's first week"
    );

    let csv = app
        .api(&token)
        .get(app.url("/api/v1/metrics.csv?from=2026-11-02T00:00:00Z&to=2026-11-09T00:00:00Z"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains(&format!(
            "true,incident {a}: Add a circuit breaker (done); Alert on checkout <errors> & timeouts (open)\r\n"
        )),
        "{csv}"
    );

    app.sign_in_as("viewer@example.com", Role::Viewer).await;
    let (status, html) = app
        .get_page("/admin/metrics?from=2026-11-02&to=2026-11-05")
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<li>Add a circuit breaker — done, <strong>done</strong></li>"),
        "{html}"
    );
    assert!(html.contains(
        "<li>Alert on checkout &lt;errors&gt; &amp; timeouts — open, <strong>not done</strong></li>"
    ));
    assert!(
        html.contains("<tr><th scope=\"row\">Uptime probe</th><td>94.79%</td><td>2 h 00 min</td><td>10 h 00 min</td>"),
        "{html}"
    );
}

#[tokio::test]
async fn an_administrator_sends_the_previewed_digest_from_the_console() {
    let app = spawn_app_with(|raw| {
        digest_settings(raw, None);
        raw.worker = false;
    })
    .await;
    seed_digest(&app).await;
    app.sign_in_as("viewer@example.com", Role::Viewer).await;
    let (_, html) = app
        .get_page("/admin/digest?from=2026-11-02&to=2026-11-08")
        .await;
    assert!(
        !html.contains("action=\"/admin/digest/send\""),
        "viewers only look"
    );
    let (status, _, _) = app
        .post_form(
            "/admin/digest/send",
            &[
                ("from", "2026-11-02T00:00:00Z"),
                ("to", "2026-11-09T00:00:00Z"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(digests_count(&app).await, 0);

    let admin = TestApp {
        browser: browser(),
        ..clone_app(&app)
    };
    admin.sign_in_as("boss@example.com", Role::Admin).await;
    let (_, html) = admin
        .get_page("/admin/digest?from=2026-11-02&to=2026-11-08")
        .await;
    assert!(html.contains("action=\"/admin/digest/send\""), "{html}");
    assert!(html.contains("Send this digest now to 2 recipient(s)"));
    let (status, location, body) = admin
        .post_form(
            "/admin/digest/send",
            &[
                ("from", "2026-11-02T00:00:00Z"),
                ("to", "2026-11-09T00:00:00Z"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/admin/digest?sent=1"));
    assert_eq!(digests_count(&app).await, 1);
    let (_, html) = admin.get_page("/admin/digest?sent=1").await;
    assert!(html.contains("The digest was queued"), "{html}");
    assert!(
        html.contains("boss@example.com"),
        "the sender is listed: {html}"
    );
    let (status, _, body) = admin
        .post_form(
            "/admin/digest/send",
            &[("from", "yesterday"), ("to", "2026-11-09T00:00:00Z")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("RFC 3339"), "{body}");
}

fn clone_app(app: &TestApp) -> TestApp {
    TestApp {
        address: app.address.clone(),
        app_state: app.app_state.clone(),
        setup_link: None,
        browser: browser(),
        database: app.database.clone(),
    }
}
