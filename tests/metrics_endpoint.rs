//! `GET /metrics`: Prometheus families after some traffic, counters that
//! move, and the access modes of the `metrics` setting.

use serde_json::json;
use sitrep::notify::webhook::Sender;
use sitrep::notify::worker::Worker;

use crate::helpers::*;

/// The value of the series written exactly as `series` (name and labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == series).then(|| value.parse().unwrap())
        })
}

async fn scrape(app: &TestApp) -> String {
    let response = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

/// `promtool check metrics` on the scrape, when promtool is installed.
fn promtool_check(text: &str) {
    use std::io::Write;
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("note: promtool is not installed; the exposition format was not checked by it");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics:\n{}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn families_are_present_after_traffic_and_counters_move() {
    // The senders are run by hand below, with the app's metrics.
    let app = spawn_app_with(|raw| raw.worker = false).await;
    let token = app.admin_token().await;
    let version = env!("CARGO_PKG_VERSION");

    let first = scrape(&app).await;
    assert_eq!(
        value(
            &first,
            &format!("sitrep_build_info{{version=\"{version}\"}}")
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&first, "sitrep_open_incidents{priority=\"P1\"}"),
        Some(0.0)
    );
    assert_eq!(
        value(
            &first,
            "sitrep_outbox_pending_deliveries{channel=\"email\"}"
        ),
        Some(0.0)
    );
    let rebuilds = value(&first, "sitrep_page_snapshot_rebuilds_total").unwrap();
    assert!(rebuilds >= 1.0);
    for family in [
        "sitrep_emails_sent_total",
        "sitrep_emails_failed_total",
        "sitrep_webhook_deliveries_sent_total",
        "sitrep_webhook_deliveries_failed_total",
    ] {
        assert_eq!(value(&first, family), Some(0.0), "{family}");
    }

    // Traffic: a component, a webhook nobody listens to, a P1 incident, a subscriber.
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!(
        "http://127.0.0.1:{}/hook",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let (status, _) = app
        .send_json(
            &token,
            reqwest::Method::POST,
            "/api/v1/webhooks",
            Some(json!({"url": closed_url})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, incident) = app
        .send_json(
            &token,
            reqwest::Method::POST,
            "/api/v1/incidents",
            Some(json!({
                "name": "Checkout errors",
                "impact": "major",
                "urgency": "high",
                "components": {api["id"].to_string(): "partial_outage"},
                "update": {"status": "investigating", "external_body": "Looking into it."}
            })),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    assert_eq!(incident["priority"], "P1");
    let (status, _, body) = app
        .post_form("/subscribe", &[("email", "reader@example.com")])
        .await;
    assert_eq!(status, 200, "{body}");
    let page = reqwest::get(app.url(&format!("/incidents/{}", incident["id"])))
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let head = reqwest::Client::new()
        .head(app.url("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);

    let after = scrape(&app).await;
    assert_eq!(
        value(&after, "sitrep_open_incidents{priority=\"P1\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(&after, "sitrep_open_incidents{priority=\"P4\"}"),
        Some(0.0)
    );
    assert!(value(&after, "sitrep_page_snapshot_rebuilds_total").unwrap() > rebuilds);
    assert_eq!(
        value(
            &after,
            "sitrep_http_requests_total{method=\"POST\",route=\"/api/v1/incidents\",status=\"2xx\"}"
        ),
        Some(1.0)
    );
    // The route is the pattern, not the path.
    assert_eq!(
        value(
            &after,
            "sitrep_http_requests_total{method=\"GET\",route=\"/incidents/{id}\",status=\"2xx\"}"
        ),
        Some(1.0)
    );
    assert!(!after.contains(&format!("route=\"/incidents/{}\"", incident["id"])));
    assert_eq!(
        value(
            &after,
            "sitrep_http_requests_total{method=\"HEAD\",route=\"/\",status=\"2xx\"}"
        ),
        Some(1.0)
    );
    assert!(
        value(
            &after,
            "sitrep_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/incidents\"}"
        ) == Some(1.0),
        "{after}"
    );
    let emails = value(
        &after,
        "sitrep_outbox_pending_deliveries{channel=\"email\"}",
    )
    .unwrap();
    let hooks = value(
        &after,
        "sitrep_outbox_pending_deliveries{channel=\"webhook\"}",
    )
    .unwrap();
    assert!(emails >= 1.0, "the confirmation email waits: {after}");
    assert!(hooks >= 1.0, "the webhook deliveries wait: {after}");

    // The senders count what they do in the app's metrics.
    let metrics = app.app_state.metrics.clone();
    let settings = &app.app_state.settings;
    let db = app.app_state.db.clone();
    let worker = Worker::new(settings, db.clone())
        .unwrap()
        .with_metrics(metrics.clone());
    let mail = worker.run_once(sitrep::db::now()).await.unwrap();
    assert!(mail.sent >= 1, "{mail:?}");
    let sender = Sender::new(db).unwrap().with_metrics(metrics);
    let hooks_report = sender.run_once(sitrep::db::now()).await.unwrap();
    let hooks_failed = hooks_report.retrying + hooks_report.failed;
    assert!(hooks_failed >= 1, "{hooks_report:?}");

    let last = scrape(&app).await;
    assert_eq!(
        value(&last, "sitrep_emails_sent_total"),
        Some(mail.sent as f64)
    );
    assert_eq!(value(&last, "sitrep_emails_failed_total"), Some(0.0));
    assert_eq!(
        value(&last, "sitrep_webhook_deliveries_failed_total"),
        Some(hooks_failed as f64)
    );
    assert_eq!(
        value(&last, "sitrep_webhook_deliveries_sent_total"),
        Some(0.0)
    );
    assert!(
        value(&last, "sitrep_outbox_pending_deliveries{channel=\"email\"}").unwrap() < emails,
        "the backlog is read at each scrape"
    );
    promtool_check(&last);
}

#[tokio::test]
async fn the_metrics_setting_decides_who_may_scrape() {
    let status = |app: &TestApp, headers: &[(&str, &str)]| {
        let mut request = reqwest::Client::new().get(app.url("/metrics"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };

    let off = spawn_app_with(|raw| raw.metrics = "off".into()).await;
    assert_eq!(status(&off, &[]).await, 404);

    let local = spawn_app().await;
    assert_eq!(
        status(&local, &[]).await,
        200,
        "loopback clients may scrape"
    );
    assert_eq!(
        status(&local, &[("X-Forwarded-For", "203.0.113.9")]).await,
        403,
        "a request forwarded by a proxy is not local"
    );

    let public = spawn_app_with(|raw| raw.metrics = "public".into()).await;
    assert_eq!(
        status(&public, &[("X-Forwarded-For", "203.0.113.9")]).await,
        200
    );

    let secret = "metrics-token-0123456789";
    let token = spawn_app_with(|raw| {
        raw.metrics = "token".into();
        raw.metrics_token = Some(secret.into());
    })
    .await;
    assert_eq!(status(&token, &[]).await, 401);
    assert_eq!(
        status(&token, &[("Authorization", "Bearer not-the-token")]).await,
        403
    );
    let bearer = format!("Bearer {secret}");
    assert_eq!(status(&token, &[("Authorization", &bearer)]).await, 200);
}
