//! Maintenance emails to subscribers, end to end against a real SMTP server
//! (postfix's `smtp-sink`, see tests/mail.rs): scheduled, the reminder before
//! the window, started and completed, each once even with schedulers racing;
//! silent maintenance; audiences; component filters; hostile text.

use chrono::NaiveDateTime;
use reqwest::Method;
use serde_json::{json, Value};
use sitrep::app::scheduler::run_due;
use sitrep::domain::role::Role;
use tempfile::TempDir;

use crate::helpers::*;
use crate::mail::{decoded, header, link, mails, part, wait_for, wait_until_outbox_idle, Sink};

struct Setup {
    app: TestApp,
    sink: Sink,
    token: String,
    _dir: TempDir,
}

/// An app in Paris time with its scheduler off (tests drive the clock), a
/// one-hour reminder and its mail going to a fresh sink.
async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(dir.path(), &[]);
    let url = sink.url();
    let app = spawn_app_with(|raw| {
        raw.smtp_url = Some(url);
        raw.scheduler = false;
        raw.time_zone = "Europe/Paris".into();
        raw.maintenance_reminder = "1h".into();
    })
    .await;
    let token = app.admin_token().await;
    Setup {
        app,
        sink,
        token,
        _dir: dir,
    }
}

fn at(rfc3339: &str) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .naive_utc()
}

/// The path (and fragment) of the first absolute link containing `marker`
/// (links name the configured base URL; tests reach the app on its port).
fn app_link(text: &str, marker: &str) -> String {
    let full = text
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .find(|word| word.starts_with("http") && word.contains(marker))
        .unwrap_or_else(|| panic!("no link with {marker} in {text}"));
    let after_scheme = &full[full.find("://").unwrap() + 3..];
    after_scheme[after_scheme.find('/').unwrap()..].to_string()
}

/// Subscribes and follows the confirmation link from the email.
async fn subscribe_confirmed(s: &Setup, path: &str, email: &str, components: &[&Value]) {
    let ids: Vec<String> = components.iter().map(|c| c.to_string()).collect();
    let mut fields = vec![("email", email)];
    fields.extend(ids.iter().map(|id| ("components", id.as_str())));
    let (status, _, body) = s.app.post_form(path, &fields).await;
    assert_eq!(status, 200, "{body}");
    let mail = wait_for(&s.sink, email, "Confirm your subscription", 1).await;
    let text = part(&mail[0], "text/plain").expect("text part");
    let confirm = link(&text, "/subscribe/confirm/");
    assert_eq!(s.app.confirm_by_link(&confirm).await.0, 200);
}

async fn post_update(s: &Setup, id: &Value, body: Value) -> Value {
    let (status, json) = s
        .app
        .send_json(
            &s.token,
            Method::POST,
            &format!("/api/v1/maintenances/{id}/updates"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{json}");
    json
}

/// Checks what every maintenance email has: both parts, a Message-ID, the
/// one-click unsubscribe headers and the subscriber's links.
fn assert_well_formed(m: &str) -> (String, String) {
    let text = part(m, "text/plain").expect("text part");
    let html = part(m, "text/html").expect("html part");
    assert!(
        header(m, "Message-ID").is_some_and(|id| id.starts_with("<delivery-")),
        "{m}"
    );
    let unsubscribe = header(m, "List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        unsubscribe.starts_with("<http") && unsubscribe.contains("/unsubscribe/"),
        "{unsubscribe}"
    );
    assert_eq!(
        header(m, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    for body in [&text, &html] {
        assert!(body.contains("/subscribe/manage/"), "{body}");
        assert!(body.contains("/unsubscribe/"), "{body}");
        assert!(body.contains("#maintenance-"), "{body}");
    }
    (text, html)
}

#[tokio::test]
async fn scheduled_reminder_started_and_completed_each_arrive_once_with_working_links() {
    let s = setup().await;
    let other = spawn_app_on(s.app.database.clone(), |raw| {
        raw.scheduler = false;
        raw.worker = false;
        raw.time_zone = "Europe/Paris".into();
        raw.maintenance_reminder = "1h".into();
    })
    .await;
    let api = s
        .app
        .create_component(&s.token, json!({"name": "API"}))
        .await;
    subscribe_confirmed(&s, "/subscribe", "reader@example.com", &[]).await;

    let created = s
        .app
        .create_maintenance(
            &s.token,
            json!({
                "name": "Database upgrade",
                "body": "We upgrade the **database**.",
                "scheduled_for": "2031-03-01T02:00:00Z",
                "scheduled_until": "2031-03-01T04:00:00Z",
                "components": [api["id"]],
            }),
        )
        .await;
    assert_eq!(created["notify"], true, "notifications are on by default");
    let id = created["id"].clone();

    // Scheduled: times in the page's zone (02:00 UTC is 03:00 CET).
    let subject = "[Maintenance] Database upgrade — starts Sat 1 Mar 03:00 CET";
    let scheduled = wait_for(&s.sink, "reader@example.com", subject, 1).await;
    assert_eq!(decoded(&scheduled[0], "Subject").as_deref(), Some(subject));
    let (text, html) = assert_well_formed(&scheduled[0]);
    assert!(text.contains("Sat 1 Mar 2031, 03:00–05:00 CET"), "{text}");
    assert!(text.contains("Affected: API"), "{text}");
    assert!(text.contains("We upgrade the **database**."), "{text}");
    assert!(html.contains("<strong>database</strong>"), "{html}");

    // The maintenance link opens the page that shows it.
    let page = app_link(&text, &format!("#maintenance-{id}"));
    let (status, body) = s.app.get_page(page.split('#').next().unwrap()).await;
    assert_eq!(status, 200);
    assert!(body.contains(&format!("id=\"maintenance-{id}\"")), "{body}");
    // The manage link opens the subscriber's component choices.
    let manage = app_link(&text, "/subscribe/manage/");
    let (status, body) = s.app.get_page(&manage).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("reader@example.com"));

    // Nothing is due yet; then the reminder, once, whoever runs the scheduler how often.
    run_due(&s.app.app_state, at("2031-03-01T00:59:00Z"))
        .await
        .unwrap();
    let when = at("2031-03-01T01:00:00Z");
    let (a, b, c) = tokio::join!(
        run_due(&s.app.app_state, when),
        run_due(&other.app_state, when),
        run_due(&s.app.app_state, when)
    );
    a.unwrap();
    b.unwrap();
    c.unwrap();
    for minute in ["01:10", "01:30", "01:59"] {
        run_due(&other.app_state, at(&format!("2031-03-01T{minute}:00Z")))
            .await
            .unwrap();
    }
    let reminder = wait_for(&s.sink, "reader@example.com", "reminder: starts", 1).await;
    assert_eq!(
        decoded(&reminder[0], "Subject").as_deref(),
        Some("[Maintenance] Database upgrade — reminder: starts Sat 1 Mar 03:00 CET")
    );
    assert_well_formed(&reminder[0]);

    // Started and completed by two schedulers racing: one email each.
    let start = at("2031-03-01T02:00:00Z");
    let (a, b) = tokio::join!(
        run_due(&s.app.app_state, start),
        run_due(&other.app_state, start)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let started = wait_for(&s.sink, "reader@example.com", "— started", 1).await;
    assert_eq!(
        decoded(&started[0], "Subject").as_deref(),
        Some("[Maintenance] Database upgrade — started, until Sat 1 Mar 05:00 CET")
    );
    let (text, _) = assert_well_formed(&started[0]);
    assert!(
        text.contains("Scheduled maintenance is currently in progress"),
        "{text}"
    );

    let end = at("2031-03-01T04:00:00Z");
    let (a, b) = tokio::join!(
        run_due(&s.app.app_state, end),
        run_due(&other.app_state, end)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let completed = wait_for(&s.sink, "reader@example.com", "— completed", 1).await;
    assert_eq!(
        decoded(&completed[0], "Subject").as_deref(),
        Some("[Maintenance] Database upgrade — completed (Sat 1 Mar 03:00 CET)")
    );
    let (text, _) = assert_well_formed(&completed[0]);
    assert!(text.contains("has been completed"), "{text}");

    // Running the scheduler again sends nothing more.
    run_due(&other.app_state, end).await.unwrap();
    run_due(&s.app.app_state, at("2031-03-02T00:00:00Z"))
        .await
        .unwrap();
    wait_until_outbox_idle(&s.app).await;
    for (what, count) in [
        ("— starts", 1),
        ("reminder", 1),
        ("— started", 1),
        ("— completed", 1),
        ("[Maintenance]", 4),
    ] {
        assert_eq!(
            mails(&s.sink, "reader@example.com", what).len(),
            count,
            "{what}"
        );
    }
    let ids: std::collections::HashSet<_> = mails(&s.sink, "reader@example.com", "[Maintenance]")
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "every email has its own Message-ID");

    // One-click unsubscribe from the header: later maintenance is not mailed.
    let unsubscribe = header(&completed[0], "List-Unsubscribe").unwrap();
    let path = app_link(&unsubscribe, "/unsubscribe/");
    let response = reqwest::Client::new()
        .post(s.app.url(&path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    s.app
        .create_maintenance(
            &s.token,
            json!({
                "name": "After unsubscribing",
                "scheduled_for": "2031-04-01T02:00:00Z",
                "scheduled_until": "2031-04-01T04:00:00Z",
            }),
        )
        .await;
    wait_until_outbox_idle(&s.app).await;
    assert!(mails(&s.sink, "reader@example.com", "After unsubscribing").is_empty());
}

#[tokio::test]
async fn silent_maintenance_sends_nothing_audiences_and_component_filters_are_respected() {
    let s = setup().await;
    let api = s
        .app
        .create_component(&s.token, json!({"name": "API"}))
        .await;
    let web = s
        .app
        .create_component(&s.token, json!({"name": "Web"}))
        .await;
    let db = s
        .app
        .create_component(
            &s.token,
            json!({"name": "Primary DB", "audience": "internal"}),
        )
        .await;
    assert_eq!(db["audience"], "internal", "{db}");
    subscribe_confirmed(&s, "/subscribe", "all@example.com", &[]).await;
    subscribe_confirmed(&s, "/subscribe", "web-fan@example.com", &[&web["id"]]).await;
    s.app.sign_in_as("staff@example.com", Role::Admin).await;
    subscribe_confirmed(&s, "/internal/subscribe", "staff-list@example.com", &[]).await;

    let window = |day: u32| {
        (
            format!("2031-03-{day:02}T02:00:00Z"),
            format!("2031-03-{day:02}T04:00:00Z"),
        )
    };
    let create = |name: &str, day: u32, components: Value, notify: bool| {
        let (from, until) = window(day);
        json!({"name": name, "scheduled_for": from, "scheduled_until": until,
               "components": components, "notify": notify})
    };
    // Silent: scheduled, reminded, started and completed without a word.
    let silent = s
        .app
        .create_maintenance(
            &s.token,
            create("Silent work", 1, json!([api["id"]]), false),
        )
        .await;
    assert_eq!(silent["notify"], false);
    // Internal only: staff hear of it, customers do not.
    s.app
        .create_maintenance(
            &s.token,
            create("Database failover drill", 2, json!([db["id"]]), true),
        )
        .await;
    // On the API: everyone without a filter, not the Web fan.
    let api_work = s
        .app
        .create_maintenance(&s.token, create("API deploy", 3, json!([api["id"]]), true))
        .await;
    for time in [
        "2031-03-01T01:30:00Z",
        "2031-03-01T02:00:00Z",
        "2031-03-01T04:00:00Z",
    ] {
        run_due(&s.app.app_state, at(time)).await.unwrap();
    }
    // Started by hand without notifications, then completed by hand with them.
    post_update(
        &s,
        &api_work["id"],
        json!({"status": "in_progress", "body": "Quietly early.", "deliver_notifications": false}),
    )
    .await;
    post_update(
        &s,
        &api_work["id"],
        json!({"status": "completed", "body": "Deployed <b>early</b>."}),
    )
    .await;
    // On the Web (and the API): everyone, the last thing sent.
    s.app
        .create_maintenance(
            &s.token,
            create("Web and API move", 4, json!([web["id"], api["id"]]), true),
        )
        .await;
    for who in [
        "all@example.com",
        "web-fan@example.com",
        "staff-list@example.com",
    ] {
        let got = wait_for(&s.sink, who, "Web and API move", 1).await;
        let text = part(&got[0], "text/plain").unwrap();
        if who == "staff-list@example.com" {
            assert!(text.contains("/internal#maintenance-"), "{text}");
        } else {
            assert!(!text.contains("/internal"), "{text}");
            assert!(text.contains("Affected: Web, API") || text.contains("Affected: API, Web"));
        }
    }
    wait_until_outbox_idle(&s.app).await;

    for who in [
        "all@example.com",
        "web-fan@example.com",
        "staff-list@example.com",
    ] {
        assert!(mails(&s.sink, who, "Silent work").is_empty(), "{who}");
    }
    assert!(mails(&s.sink, "all@example.com", "Database failover drill").is_empty());
    assert!(mails(&s.sink, "web-fan@example.com", "Database failover drill").is_empty());
    let drill = mails(&s.sink, "staff-list@example.com", "Database failover drill");
    assert_eq!(
        drill.len(),
        1,
        "scheduled only: no auto start in that test window"
    );
    let drill_text = part(&drill[0], "text/plain").unwrap();
    assert!(drill_text.contains("Affected: Primary DB"), "{drill_text}");

    assert!(mails(&s.sink, "web-fan@example.com", "API deploy").is_empty());
    let api_mails = mails(&s.sink, "all@example.com", "API deploy");
    let subjects: Vec<String> = api_mails
        .iter()
        .map(|m| decoded(m, "Subject").unwrap())
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(
        subjects.iter().any(|s| s.contains("— starts")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("— completed")),
        "{subjects:?}"
    );
    let done = api_mails
        .iter()
        .find(|m| decoded(m, "Subject").unwrap().contains("completed"))
        .unwrap();
    assert!(part(done, "text/plain")
        .unwrap()
        .contains("Deployed <b>early</b>."));
    assert!(part(done, "text/html")
        .unwrap()
        .contains("Deployed <b>early</b>."));
    assert_eq!(
        mails(&s.sink, "staff-list@example.com", "API deploy").len(),
        2,
        "internal subscribers hear of external maintenance too"
    );

    // The notify switch can be changed later, through the API.
    let (status, patched) = s
        .app
        .send_json(
            &s.token,
            Method::PATCH,
            &format!("/api/v1/maintenances/{}", silent["id"]),
            Some(json!({"notify": true})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["notify"], true);
}

#[tokio::test]
async fn hostile_names_are_escaped_in_html_readable_in_text_and_the_subject_decodes() {
    let s = setup().await;
    subscribe_confirmed(&s, "/subscribe", "reader@example.com", &[]).await;

    // Too long a name is refused with what to fix, and nothing is sent.
    let (status, answer) = s
        .app
        .send_json(
            &s.token,
            Method::POST,
            "/api/v1/maintenances",
            Some(
                json!({"name": "x".repeat(2000), "scheduled_for": "2031-03-01T02:00:00Z",
                        "scheduled_until": "2031-03-01T04:00:00Z"}),
            ),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2000 characters long; keep it to 100 or fewer"),
        "{answer}"
    );

    let name = "<script>alert(\"x\")</script> O'Brien \"Zürich — 東京 ☃\"";
    let body = "**bold** Zürich — 東京 ☃\n\n<script>evil()</script> <img src=x onerror=alert(1)>";
    let created = s
        .app
        .create_maintenance(
            &s.token,
            json!({"name": name, "body": body,
                   "scheduled_for": "2031-03-01T02:00:00Z", "scheduled_until": "2031-03-01T04:00:00Z"}),
        )
        .await;
    let subject = format!("[Maintenance] {name} — starts Sat 1 Mar 03:00 CET");
    let mail = wait_for(&s.sink, "reader@example.com", "[Maintenance]", 1).await;
    assert_eq!(
        decoded(&mail[0], "Subject").as_deref(),
        Some(subject.as_str())
    );
    let (text, html) = assert_well_formed(&mail[0]);
    assert!(text.contains(name), "{text}");
    assert!(text.contains(body), "{text}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("onerror"), "{html}");
    assert!(html.contains("&lt;script&gt;alert"), "{html}");
    assert!(html.contains("Zürich — 東京 ☃"), "{html}");
    assert!(html.contains("<strong>bold</strong>"), "{html}");

    // A name as long as allowed, all non-ASCII, still decodes exactly.
    let long: String = "Zürich—東京☃".chars().cycle().take(100).collect();
    post_update(&s, &created["id"], json!({"status": "in_progress"})).await;
    let (status, _) = s
        .app
        .send_json(
            &s.token,
            Method::PATCH,
            &format!("/api/v1/maintenances/{}", created["id"]),
            Some(json!({"name": long})),
        )
        .await;
    assert_eq!(status, 200);
    post_update(&s, &created["id"], json!({"status": "completed"})).await;
    let done = wait_for(&s.sink, "reader@example.com", "— completed", 1).await;
    assert_eq!(
        decoded(&done[0], "Subject"),
        Some(format!(
            "[Maintenance] {long} — completed (Sat 1 Mar 03:00 CET)"
        ))
    );
    assert!(part(&done[0], "text/plain").unwrap().contains(&long));
    let started = wait_for(&s.sink, "reader@example.com", "— started", 1).await;
    assert!(decoded(&started[0], "Subject").unwrap().contains(name));
}

#[tokio::test]
async fn a_recurring_maintenance_is_reminded_once_per_window_and_the_console_can_silence_one() {
    let s = setup().await;
    subscribe_confirmed(&s, "/subscribe", "reader@example.com", &[]).await;
    s.app
        .create_maintenance(
            &s.token,
            json!({
                "name": "Weekly patching",
                "scheduled_for": "2031-03-01T02:00:00Z",
                "scheduled_until": "2031-03-01T03:00:00Z",
                "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=2",
            }),
        )
        .await;
    let state = &s.app.app_state;
    for time in [
        "2031-03-01T01:00:00Z",
        "2031-03-01T01:30:00Z",
        "2031-03-01T02:00:00Z",
        "2031-03-01T03:00:00Z",
        "2031-03-01T03:00:00Z",
        "2031-03-08T00:30:00Z",
        "2031-03-08T01:00:00Z",
        "2031-03-08T01:45:00Z",
    ] {
        run_due(state, at(time)).await.unwrap();
    }
    let reminders = wait_for(&s.sink, "reader@example.com", "reminder", 2).await;
    let mut subjects: Vec<String> = reminders
        .iter()
        .map(|m| decoded(m, "Subject").unwrap())
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        vec![
            "[Maintenance] Weekly patching — reminder: starts Sat 1 Mar 03:00 CET",
            "[Maintenance] Weekly patching — reminder: starts Sat 8 Mar 03:00 CET",
        ]
    );
    let completed = wait_for(&s.sink, "reader@example.com", "— completed", 1).await;
    let text = part(&completed[0], "text/plain").unwrap();
    assert!(
        text.contains("Next window: Sat 8 Mar 2031, 03:00–04:00 CET"),
        "{text}"
    );

    // The console's switch: on by default, off leaves a maintenance silent.
    s.app
        .sign_in_as("comms@example.com", Role::CommsExternal)
        .await;
    let (status, page) = s.app.get_page("/admin/maintenances/new").await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"notify\" checked"), "{page}");
    let fields = [
        ("name", "Console silent"),
        ("scheduled_for", "2031-04-01T03:00"),
        ("scheduled_until", "2031-04-01T05:00"),
        ("auto_start", "on"),
        ("auto_end", "on"),
    ];
    let (status, _, page) = s.app.post_form("/admin/maintenances", &fields).await;
    assert_eq!(status, 303, "{page}");
    let mut loud = fields.to_vec();
    loud[0] = ("name", "Console loud");
    loud.push(("notify", "on"));
    let (status, _, page) = s.app.post_form("/admin/maintenances", &loud).await;
    assert_eq!(status, 303, "{page}");
    wait_for(&s.sink, "reader@example.com", "Console loud", 1).await;
    wait_until_outbox_idle(&s.app).await;
    assert!(mails(&s.sink, "reader@example.com", "Console silent").is_empty());
    let (_, list) = s
        .app
        .send_json(&s.token, Method::GET, "/api/v1/maintenances", None)
        .await;
    let silent = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Console silent")
        .unwrap();
    assert_eq!(silent["notify"], false);
    let (_, edit) = s
        .app
        .get_page(&format!("/admin/maintenances/{}/edit", silent["id"]))
        .await;
    assert!(edit.contains("name=\"notify\">"), "unticked: {edit}");
    assert_eq!(
        mails(&s.sink, "reader@example.com", "reminder").len(),
        2,
        "no third reminder"
    );
}
