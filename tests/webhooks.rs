//! Webhook subscriptions: a real HTTP receiver on a loopback port records
//! what the sender POSTs; the background sender is off (`worker = false`) and
//! the tests drive it with `Sender::run_once` at chosen times.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::{Duration, NaiveDateTime};
use serde_json::{json, Value};
use sitrep::domain::role::Role;
use sitrep::notify::webhook::Sender;

use crate::helpers::*;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }

    fn event(&self) -> &str {
        self.header("x-sitrep-event")
    }
}

#[derive(Default)]
struct Log {
    requests: Vec<Received>,
    /// Status codes to answer with, in order; 200 once they run out.
    script: VecDeque<u16>,
    /// Answer this to everything (after the script), when set.
    always: Option<u16>,
}

/// A receiver on 127.0.0.1 that records requests and answers as scripted.
struct Receiver {
    url: String,
    log: Arc<Mutex<Log>>,
}

impl Receiver {
    fn start(script: &[u16], always: Option<u16>) -> Receiver {
        let log = Arc::new(Mutex::new(Log {
            script: script.iter().copied().collect(),
            always,
            ..Log::default()
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = log.clone();
        let server = HttpServer::new(move || {
            let shared = shared.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let shared = shared.clone();
                async move {
                    let mut log = shared.lock().unwrap();
                    log.requests.push(Received {
                        headers: req
                            .headers()
                            .iter()
                            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                            .collect(),
                        body: String::from_utf8_lossy(&body).to_string(),
                    });
                    let code = log.script.pop_front().or(log.always).unwrap_or(200);
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
                        .body(format!("answer {code}"))
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hooks/status"),
            log,
        }
    }

    /// What was received, in delivery order (a batch is sent concurrently).
    fn requests(&self) -> Vec<Received> {
        let mut all = self.log.lock().unwrap().requests.clone();
        all.sort_by_key(|r| r.header("x-sitrep-delivery").parse::<i64>().unwrap());
        all
    }
}

const SECRET: &str = "a-very-secret-signing-key";

async fn quiet_app() -> TestApp {
    spawn_app_with(|raw| raw.worker = false).await
}

async fn register(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.send_json(token, reqwest::Method::POST, "/api/v1/webhooks", Some(body))
        .await
}

fn sender(app: &TestApp) -> Sender {
    Sender::new(app.app_state.db.clone()).unwrap()
}

fn verify(request: &Received, secret: &str) {
    let timestamp = request.header("x-sitrep-timestamp");
    let unix: i64 = timestamp.parse().expect("timestamp is Unix seconds");
    assert!((chrono::Utc::now().timestamp() - unix).abs() < 60);
    let message = format!("{timestamp}.{}", request.body);
    let expected = format!(
        "sha256={}",
        hex::encode(sitrep::domain::token::hmac_sha256(
            secret.as_bytes(),
            message.as_bytes()
        ))
    );
    assert_eq!(request.header("x-sitrep-signature"), expected);
}

async fn post_update(app: &TestApp, token: &str, id: &Value, body: Value) {
    let (status, answer) = app
        .send_json(
            token,
            reqwest::Method::POST,
            &format!("/api/v1/incidents/{id}/updates"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
}

async fn open_incident(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, answer) = app
        .send_json(
            token,
            reqwest::Method::POST,
            "/api/v1/incidents",
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    answer
}

fn now() -> NaiveDateTime {
    sitrep::db::now()
}

#[tokio::test]
async fn events_are_signed_shaped_like_statuspage_and_never_carry_internal_things() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let receiver = Receiver::start(&[], None);
    let (status, created) = register(
        &app,
        &token,
        json!({"url": receiver.url, "secret": SECRET, "description": "ops bridge"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["secret"], SECRET);
    assert_eq!(
        created["events"],
        json!(["incident", "component", "maintenance"])
    );
    let (_, listed) = app
        .send_json(&token, reqwest::Method::GET, "/api/v1/webhooks", None)
        .await;
    assert_eq!(listed[0]["url"], receiver.url.as_str());
    assert!(
        !listed.to_string().contains(SECRET),
        "the list shows no secret"
    );

    let api = app.create_component(&token, json!({"name": "API"})).await;
    let db = app
        .create_component(&token, json!({"name": "Hidden DB", "audience": "internal"}))
        .await;
    // An internal component changing goes nowhere.
    app.set_status(&token, &db["id"], "major_outage").await;
    app.set_status(&token, &api["id"], "degraded_performance")
        .await;
    // An internal-only incident and its internal updates go nowhere.
    let quiet = open_incident(
        &app,
        &token,
        json!({"name": "SECRET staff-only", "impact": "minor", "urgency": "low",
               "update": {"status": "investigating", "internal_body": "SECRET internal only"}}),
    )
    .await;
    post_update(
        &app,
        &token,
        &quiet["id"],
        json!({"status": "identified", "internal_body": "SECRET still internal"}),
    )
    .await;
    // A public incident: its component change, creation, a further update and an edit.
    let incident = open_incident(
        &app,
        &token,
        json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
               "components": {api["id"].to_string(): "partial_outage", db["id"].to_string(): "partial_outage"},
               "update": {"status": "investigating", "external_body": "We are looking into errors.", "internal_body": "SECRET db primary is down"}}),
    )
    .await;
    post_update(&app, &token, &incident["id"], json!({"status": "identified", "external_body": "Found it.", "internal_body": "SECRET failover"})).await;
    post_update(
        &app,
        &token,
        &incident["id"],
        json!({"status": "identified", "internal_body": "SECRET internal note"}),
    )
    .await;
    let (status, _) = app
        .send_json(
            &token,
            reqwest::Method::PATCH,
            &format!("/api/v1/incidents/{}", incident["id"]),
            Some(json!({"name": "Checkout errors in EU"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .send_json(
            &token,
            reqwest::Method::PATCH,
            &format!("/api/v1/incidents/{}", incident["id"]),
            Some(json!({"client_impact": "SECRET staff-only impact", "business_critical": true})),
        )
        .await;
    assert_eq!(status, 200);
    // A maintenance on the API, started by the scheduler.
    let start = now() + Duration::hours(1);
    let maintenance = app
        .create_maintenance(
            &token,
            json!({"name": "Database upgrade",
                   "scheduled_for": start.and_utc().to_rfc3339(),
                   "scheduled_until": (start + Duration::hours(1)).and_utc().to_rfc3339(),
                   "components": [api["id"]]}),
        )
        .await;
    assert_eq!(
        sitrep::app::scheduler::run_due(&app.app_state, start + Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    // A maintenance of internal components only goes nowhere, even when it
    // starts and ends.
    app.create_maintenance(
        &token,
        json!({"name": "SECRET internal work",
               "scheduled_for": (start + Duration::minutes(10)).and_utc().to_rfc3339(),
               "scheduled_until": (start + Duration::minutes(20)).and_utc().to_rfc3339(),
               "components": [db["id"]]}),
    )
    .await;
    assert!(
        sitrep::app::scheduler::run_due(&app.app_state, start + Duration::minutes(30))
            .await
            .unwrap()
            >= 1
    );
    // The scheduler ends the public one: its component gets its status back.
    assert_eq!(
        sitrep::app::scheduler::run_due(&app.app_state, start + Duration::hours(2))
            .await
            .unwrap(),
        1
    );

    let report = sender(&app).run_once(now()).await.unwrap();
    assert_eq!(report.failed + report.retrying, 0, "{report:?}");
    let requests = receiver.requests();
    let events: Vec<&str> = requests.iter().map(Received::event).collect();
    assert_eq!(
        events,
        vec![
            "component.updated",
            "component.updated",
            "incident.created",
            "incident.updated",
            "incident.edited",
            "maintenance.created",
            "component.updated",
            "maintenance.started",
            "component.updated",
            "maintenance.completed",
        ],
        "{events:?}"
    );
    assert_eq!(report.sent, events.len());
    let mut ids = std::collections::HashSet::new();
    for request in &requests {
        verify(request, SECRET);
        assert_eq!(request.header("content-type"), "application/json");
        assert!(request.header("user-agent").starts_with("Sitrep-Webhook/"));
        assert!(ids.insert(request.header("x-sitrep-delivery").to_string()));
        assert!(
            !request.body.contains("SECRET"),
            "internal text leaked: {}",
            request.body
        );
        assert!(
            !request.body.contains("Hidden DB"),
            "internal component leaked: {}",
            request.body
        );
        let body = request.json();
        assert_eq!(body["meta"]["event"], request.event());
        for field in ["unsubscribe", "documentation", "generated_at"] {
            assert!(body["meta"][field].is_string(), "meta.{field}: {body}");
        }
        assert!(body["page"]["id"].is_string());
        assert!(body["page"]["status_indicator"].is_string());
        assert!(body["page"]["status_description"].is_string());
    }

    let first = requests[0].json();
    assert_eq!(first["component_update"]["old_status"], "operational");
    assert_eq!(
        first["component_update"]["new_status"],
        "degraded_performance"
    );
    assert_eq!(
        first["component_update"]["component_id"],
        api["id"].to_string()
    );
    assert!(first["component_update"]["created_at"].is_string());
    assert_eq!(first["component"]["name"], "API");
    assert_eq!(first["page"]["status_indicator"], "minor");
    assert_eq!(
        first["page"]["status_description"],
        "Degraded System Service"
    );

    let created = requests[2].json();
    let inc = &created["incident"];
    assert_eq!(inc["id"], incident["id"].to_string());
    assert_eq!(inc["name"], "Checkout errors");
    assert_eq!(inc["status"], "investigating");
    assert_eq!(inc["impact"], "major");
    assert_eq!(
        inc["incident_updates"][0]["body"],
        "We are looking into errors."
    );
    assert_eq!(inc["incident_updates"].as_array().unwrap().len(), 1);
    assert_eq!(inc["components"].as_array().unwrap().len(), 1, "{inc}");
    // The banner right after the change: a major incident is open.
    assert_eq!(created["page"]["status_indicator"], "major");

    let updated = requests[3].json();
    assert_eq!(updated["incident"]["status"], "identified");
    assert_eq!(
        updated["incident"]["incident_updates"][0]["body"],
        "Found it."
    );
    assert_eq!(
        updated["incident"]["incident_updates"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        requests[4].json()["incident"]["name"],
        "Checkout errors in EU"
    );

    let scheduled = requests[5].json();
    assert_eq!(scheduled["incident"]["id"], maintenance["id"].to_string());
    assert_eq!(scheduled["incident"]["impact"], "maintenance");
    assert_eq!(scheduled["incident"]["status"], "scheduled");
    assert!(scheduled["incident"]["scheduled_for"].is_string());
    let under = requests[6].json();
    assert_eq!(under["component_update"]["old_status"], "partial_outage");
    assert_eq!(under["component_update"]["new_status"], "under_maintenance");
    let started = requests[7].json();
    assert_eq!(started["incident"]["status"], "in_progress");
    assert_eq!(started["incident"]["components"][0]["name"], "API");
    let back = requests[8].json();
    assert_eq!(back["component_update"]["old_status"], "under_maintenance");
    assert_eq!(back["component_update"]["new_status"], "partial_outage");
    let completed = requests[9].json();
    assert_eq!(completed["incident"]["status"], "completed");
    assert!(completed["incident"]["resolved_at"].is_string());

    // Everything sent: the next run finds nothing.
    assert_eq!(sender(&app).run_once(now()).await.unwrap().claimed, 0);
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_event_again_until_it_answers_2xx() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let receiver = Receiver::start(&[500], None);
    let (status, _) = register(
        &app,
        &token,
        json!({"url": receiver.url, "secret": SECRET, "events": ["component"]}),
    )
    .await;
    assert_eq!(status, 201);
    let api = app.create_component(&token, json!({"name": "API"})).await;
    // A write that fails half-way leaves no event behind (the component
    // change it made first is rolled back with it).
    let (status, _) = app
        .send_json(
            &token,
            reqwest::Method::POST,
            "/api/v1/incidents",
            Some(json!({
            "name": "Half", "impact": "minor", "urgency": "low",
            "components": {api["id"].to_string(): "major_outage", "99999": "major_outage"},
            "update": {"status": "investigating", "external_body": "Looking."}})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(sender(&app).run_once(now()).await.unwrap().claimed, 0);
    app.set_status(&token, &api["id"], "major_outage").await;
    // A sender that claimed the event and crashed: its lease runs out and
    // another sender sends it.
    let crashed = app
        .app_state
        .db
        .run(|conn| {
            sitrep::db::models::webhook_deliveries::claim(
                conn,
                "crashed",
                now(),
                10,
                Duration::seconds(120),
            )
        })
        .await
        .unwrap();
    assert_eq!(crashed.len(), 1);
    assert_eq!(
        sender(&app).run_once(now()).await.unwrap().claimed,
        0,
        "leased"
    );
    // Not subscribed to incidents: an incident adds only its component change.
    open_incident(
        &app,
        &token,
        json!({"name": "Down", "impact": "critical", "urgency": "high",
        "update": {"status": "investigating", "external_body": "Looking."}}),
    )
    .await;

    let sender = sender(&app);
    let t0 = now() + Duration::seconds(121);
    let first = sender.run_once(t0).await.unwrap();
    assert_eq!((first.claimed, first.sent, first.retrying), (1, 0, 1));
    // Not due again before the backoff has passed.
    assert_eq!(
        sender
            .run_once(t0 + Duration::seconds(5))
            .await
            .unwrap()
            .claimed,
        0
    );
    let second = sender.run_once(t0 + Duration::seconds(40)).await.unwrap();
    assert_eq!((second.claimed, second.sent), (1, 1));

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].header("x-sitrep-delivery"),
        requests[1].header("x-sitrep-delivery")
    );
    assert_eq!(
        requests[0].body, requests[1].body,
        "the same event, byte for byte"
    );
    for request in &requests {
        verify(request, SECRET);
    }
    let (_, listed) = app
        .send_json(&token, reqwest::Method::GET, "/api/v1/webhooks", None)
        .await;
    assert_eq!(listed[0]["sent"], 1);
    assert_eq!(listed[0]["last_delivery"]["status"], "sent");
    assert_eq!(listed[0]["last_delivery"]["attempts"], 2);
    assert_eq!(listed[0]["last_delivery"]["status_code"], 200);
    assert!(listed[0]["last_failure"].as_str().unwrap().contains("500"));
}

#[tokio::test]
async fn deliveries_are_given_up_after_the_last_attempt_and_unreachable_urls_retry() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let receiver = Receiver::start(&[], Some(503));
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!(
        "http://127.0.0.1:{}/hook",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let (status, failing) =
        register(&app, &token, json!({"url": receiver.url, "secret": SECRET})).await;
    assert_eq!(status, 201);
    let (status, _) = register(&app, &token, json!({"url": closed_url})).await;
    assert_eq!(status, 201);
    let api = app.create_component(&token, json!({"name": "API"})).await;
    app.set_status(&token, &api["id"], "partial_outage").await;

    let sender = sender(&app);
    let mut at = now();
    let mut failed = 0;
    for _ in 0..sitrep::db::queue::MAX_WEBHOOK_ATTEMPTS {
        let report = sender.run_once(at).await.unwrap();
        failed += report.failed;
        at += Duration::hours(2);
    }
    assert_eq!(failed, 2, "both given up after the last attempt");
    assert_eq!(sender.run_once(at).await.unwrap().claimed, 0);
    assert_eq!(
        receiver.requests().len() as i32,
        sitrep::db::queue::MAX_WEBHOOK_ATTEMPTS
    );

    let (_, listed) = app
        .send_json(&token, reqwest::Method::GET, "/api/v1/webhooks", None)
        .await;
    let first = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == failing["id"])
        .unwrap();
    assert_eq!(first["failed"], 1);
    assert_eq!(first["last_delivery"]["status"], "failed");
    assert_eq!(first["last_delivery"]["status_code"], 503);
    let other = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] != failing["id"])
        .unwrap();
    assert_eq!(other["failed"], 1);
    assert!(other["last_delivery"]["status_code"].is_null());
    assert!(!other["last_delivery"]["error"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn registration_is_validated_and_only_for_admins() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    for (body, says) in [
        (
            json!({"url": "ftp://example.com/x", "secret": SECRET}),
            "http:// or https://",
        ),
        (
            json!({"url": "not a url", "secret": SECRET}),
            "is not a URL",
        ),
        (
            json!({"url": "https://example.com/x", "secret": "too-short"}),
            "at least 16",
        ),
        (
            json!({"url": "https://example.com/x", "secret": SECRET, "events": []}),
            "at least one kind",
        ),
        (
            json!({"url": "https://example.com/x", "secret": SECRET, "events": ["deploys"]}),
            "not an event kind",
        ),
    ] {
        let (status, answer) = register(&app, &token, body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }
    // A generated secret comes back once.
    let (status, created) =
        register(&app, &token, json!({"url": "https://example.com/hook"})).await;
    assert_eq!(status, 201);
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 16);

    let manager = app.token_for("im@example.com", Role::IncidentManager).await;
    let (status, _) = register(
        &app,
        &manager,
        json!({"url": "https://example.com/x", "secret": SECRET}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .send_json(&manager, reqwest::Method::GET, "/api/v1/webhooks", None)
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .send_json(
            &manager,
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/{}", created["id"]),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let anonymous = reqwest::get(app.url("/api/v1/webhooks")).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    let (status, _) = app
        .send_json(
            &token,
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/{}", created["id"]),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .send_json(
            &token,
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/{}", created["id"]),
            None,
        )
        .await;
    assert_eq!(status, 404);

    let doc = app.get_json("/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/webhooks"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/webhooks/{id}"]["delete"].is_object());
}

#[tokio::test]
async fn the_console_registers_tests_turns_off_and_deletes_webhooks() {
    let app = quiet_app().await;
    let receiver = Receiver::start(&[], None);
    app.sign_in_as("admin@example.com", Role::Admin).await;
    let (status, html) = app.get_page("/admin").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("href=\"/admin/webhooks\""),
        "the nav links to webhooks"
    );

    // Bad input is shown again with what to fix.
    let (status, _, html) = app
        .post_form(
            "/admin/webhooks",
            &[
                ("url", "gopher://x"),
                ("secret", SECRET),
                ("incident_events", "on"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("http:// or https://"), "{html}");
    assert!(html.contains("gopher://x"));
    let (status, _, html) = app
        .post_form(
            "/admin/webhooks",
            &[
                ("url", &receiver.url),
                ("secret", "short"),
                ("incident_events", "on"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("at least 16"));
    // Without the CSRF token nothing is written.
    let response = app
        .browser
        .post(app.url("/admin/webhooks"))
        .form(&[("url", receiver.url.as_str()), ("generate", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);

    // Generate a secret: shown once.
    let (status, _, html) = app
        .post_form(
            "/admin/webhooks",
            &[
                ("url", &receiver.url),
                ("generate", "on"),
                ("description", "Ops <bridge>"),
                ("incident_events", "on"),
                ("component_events", "on"),
                ("maintenance_events", "on"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{html}");
    let marker = "id=\"secret-once\" type=\"text\" readonly value=\"";
    let start = html.find(marker).expect("the secret is shown") + marker.len();
    let secret = html[start..start + 70].to_string();
    assert!(secret.starts_with("whsec_"));
    assert!(html.contains("Ops &lt;bridge&gt;"), "escaped");
    let (_, html) = app.get_page("/admin/webhooks").await;
    assert!(!html.contains(&secret), "the secret is not shown again");
    let id = {
        let marker = "data-webhook=\"";
        let start = html.find(marker).unwrap() + marker.len();
        html[start..].split('"').next().unwrap().to_string()
    };

    // A test event goes out signed with that secret.
    let (status, location, _) = app
        .post_form(&format!("/admin/webhooks/{id}/test"), &[])
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin/webhooks?done=test"))
    );
    let report = sender(&app).run_once(now()).await.unwrap();
    assert_eq!(report.sent, 1);
    let requests = receiver.requests();
    assert_eq!(requests[0].event(), "test");
    verify(&requests[0], &secret);
    let (_, html) = app.get_page("/admin/webhooks").await;
    assert!(html.contains("1 sent, 0 waiting, 0 failed"), "{html}");
    assert!(html.contains("test → 200"));
    let (status, html) = app.get_page(&format!("/admin/webhooks/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("HTTP 200"));

    // Turned off: no new events; on again: they flow.
    let (status, location, _) = app
        .post_form(&format!("/admin/webhooks/{id}/disable"), &[])
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin/webhooks?done=disabled"))
    );
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    app.set_status(&token, &api["id"], "major_outage").await;
    assert_eq!(sender(&app).run_once(now()).await.unwrap().claimed, 0);
    let (status, _, html) = app
        .post_form(&format!("/admin/webhooks/{id}/test"), &[])
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("turned off"), "{html}");
    let (status, _, _) = app
        .post_form(&format!("/admin/webhooks/{id}/enable"), &[])
        .await;
    assert_eq!(status, 303);
    app.set_status(&token, &api["id"], "operational").await;
    assert_eq!(sender(&app).run_once(now()).await.unwrap().sent, 1);
    assert_eq!(receiver.requests().len(), 2);

    // The audit log has every step.
    let (_, html) = app.get_page("/admin/audit").await;
    for action in [
        "webhook.create",
        "webhook.test",
        "webhook.disable",
        "webhook.enable",
    ] {
        assert!(html.contains(action), "{action} in the audit log");
    }
    let (status, location, _) = app
        .post_form(&format!("/admin/webhooks/{id}/delete"), &[])
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin/webhooks?done=deleted"))
    );
    let (_, html) = app.get_page("/admin/webhooks").await;
    assert!(html.contains("No webhooks yet."));

    // Other roles are refused.
    let other = spawn_app_on(app.database.clone(), |raw| raw.worker = false).await;
    other
        .sign_in_as("im@example.com", Role::IncidentManager)
        .await;
    let (status, _) = other.get_page("/admin/webhooks").await;
    assert_eq!(status, 403);
    let (status, _, _) = other
        .post_form(
            "/admin/webhooks",
            &[
                ("url", &receiver.url),
                ("generate", "on"),
                ("incident_events", "on"),
            ],
        )
        .await;
    assert_eq!(status, 403);
}
