//! The subscriber console: counts, search, CSV import, removal, the
//! notifications page with delivery progress, and quarantine after
//! permanent bounces — against a real `smtp-sink`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sitrep::db::models::{subscriber_admin, subscribers};
use sitrep::domain::role::Role;
use sitrep::domain::status::Audience;
use sitrep::notify::worker::Worker;
use tempfile::TempDir;

use crate::helpers::*;
use crate::mail::{header, wait_until_outbox_idle, Sink};

struct Setup {
    app: TestApp,
    sink: Sink,
    token: String,
    _dir: TempDir,
}

async fn setup(faults: &[&str], worker: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(dir.path(), faults);
    let url = sink.url();
    let app = spawn_app_with(|raw| {
        raw.smtp_url = Some(url);
        raw.worker = worker;
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

/// The text of `<td class="{class}">` in the first row containing `row`.
fn cell(html: &str, row: &str, class: &str) -> String {
    let start = html
        .find(row)
        .unwrap_or_else(|| panic!("no {row} in {html}"));
    let rest = &html[start..];
    let rest = &rest[..rest.find("</tr>").unwrap()];
    let marker = format!("class=\"{class}\">");
    let at = rest
        .find(&marker)
        .unwrap_or_else(|| panic!("no {class} in {rest}"))
        + marker.len();
    rest[at..at + rest[at..].find('<').unwrap()].to_string()
}

async fn import(app: &TestApp, csv: &str) -> String {
    let (status, _, body) = app
        .post_form("/admin/subscribers/import", &[("csv", csv)])
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn notifying_update(s: &Setup, name: &str) -> Value {
    let (status, json) = s
        .app
        .send_json(
            &s.token,
            reqwest::Method::POST,
            "/api/v1/incidents",
            Some(json!({
                "name": name,
                "impact": "minor",
                "urgency": "low",
                "update": {"status": "investigating", "external_body": "Looking into it."}
            })),
        )
        .await;
    assert_eq!(status, 201, "{json}");
    json
}

async fn subscriber(
    app: &TestApp,
    email: &str,
    audience: Audience,
) -> Option<subscribers::Subscriber> {
    let email = email.to_string();
    app.app_state
        .db
        .run(move |c| subscribers::find_by_email(c, &email, audience))
        .await
        .unwrap()
}

#[tokio::test]
async fn admins_import_search_count_and_remove_subscribers_without_sending_mail() {
    let s = setup(&[], true).await;
    s.app
        .create_component(&s.token, json!({"name": "API"}))
        .await;

    s.app.sign_in_as("viewer@example.com", Role::Viewer).await;
    assert_eq!(s.app.get_page("/admin/subscribers").await.0, 403);
    assert_eq!(s.app.get_page("/admin/notifications").await.0, 403);
    let (status, _, _) = s
        .app
        .post_form(
            "/admin/subscribers/import",
            &[("csv", "x@example.com,external,")],
        )
        .await;
    assert_eq!(status, 403);
    assert!(subscriber(&s.app, "x@example.com", Audience::External)
        .await
        .is_none());

    s.app.sign_in_as("boss@example.com", Role::Admin).await;
    let body = import(
        &s.app,
        "email,audience,components\n\
         one@example.com,external,\n\
         two@example.com,external,API\n\
         staff@example.com,internal\n\
         not-an-email,external,\n\
         three@example.com,nowhere,\n\
         four@example.com,external,API;Nope\n\
         One@Example.com,external,\n",
    )
    .await;
    assert!(body.contains("<strong>3</strong> added"), "{body}");
    assert!(body.contains("<strong>1</strong> skipped"), "{body}");
    assert!(body.contains("line(s) 8"), "{body}");
    assert!(body.contains("<strong>3</strong> invalid"), "{body}");
    for line in ["Line 5:", "Line 6:", "Line 7:"] {
        assert!(body.contains(line), "{line} in {body}");
    }
    assert!(body.contains("Nope"), "{body}");
    assert!(subscriber(&s.app, "four@example.com", Audience::External)
        .await
        .is_none());
    assert!(subscriber(&s.app, "three@example.com", Audience::External)
        .await
        .is_none());
    let two = subscriber(&s.app, "two@example.com", Audience::External)
        .await
        .unwrap();
    assert!(two.is_active(), "imported subscribers are confirmed");

    // Importing again adds nothing.
    let again = import(&s.app, "one@example.com,external,\n").await;
    assert!(again.contains("<strong>0</strong> added"), "{again}");

    // No confirmation email: the outbox and the sink stay empty.
    wait_until_outbox_idle(&s.app).await;
    let notifications = s
        .app
        .app_state
        .db
        .run(|c| subscriber_admin::latest_notifications(c, 10))
        .await
        .unwrap();
    assert!(notifications.is_empty(), "{notifications:?}");
    assert!(s.sink.messages().is_empty());

    let (status, page) = s.app.get_page("/admin/subscribers").await;
    assert_eq!(status, 200);
    assert_eq!(cell(&page, "data-audience=\"external\"", "confirmed"), "2");
    assert_eq!(cell(&page, "data-audience=\"internal\"", "confirmed"), "1");
    assert_eq!(
        cell(&page, "data-audience=\"external\"", "quarantined"),
        "0"
    );
    assert!(
        page.contains("<th scope=\"row\">API</th><td>1</td>"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/admin/subscribers\""),
        "nav link for admins"
    );

    let (_, found) = s.app.get_page("/admin/subscribers?q=TWO").await;
    assert!(found.contains("two@example.com"), "{found}");
    assert!(!found.contains("one@example.com"), "{found}");

    // Removing needs the CSRF token.
    let response = s
        .app
        .browser
        .post(s.app.url(&format!("/admin/subscribers/{}/delete", two.id)))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let (status, location, _) = s
        .app
        .post_form(&format!("/admin/subscribers/{}/delete", two.id), &[])
        .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/admin/subscribers?done=removed"));
    assert!(subscriber(&s.app, "two@example.com", Audience::External)
        .await
        .is_none());
    let (_, page) = s.app.get_page("/admin/subscribers").await;
    assert_eq!(cell(&page, "data-audience=\"external\"", "confirmed"), "1");

    let (_, audit) = s.app.get_page("/admin/audit?action=subscriber.").await;
    assert!(audit.contains("subscriber.remove"), "{audit}");
    assert!(audit.contains("subscriber.import"), "{audit}");
}

#[tokio::test]
async fn the_notifications_page_shows_delivery_progress_and_refreshes_while_pending() {
    let s = setup(&[], false).await;
    s.app.sign_in_as("boss@example.com", Role::Admin).await;
    import(&s.app, "a@example.com,external,\nb@example.com,external,\n").await;
    notifying_update(&s, "Slow checkout").await;

    // Written with the update; its deliveries come with the fan-out step.
    let (status, page) = s.app.get_page("/admin/notifications").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<meta http-equiv=\"refresh\" content=\"5\">"),
        "{page}"
    );
    assert!(page.contains("Slow checkout — Investigating"), "{page}");
    assert!(
        cell(&page, "Slow checkout", "total").contains("fanning out: 0 recipients so far"),
        "{page}"
    );

    let worker = Worker::new(&s.app.app_state.settings, s.app.app_state.db.clone()).unwrap();
    assert_eq!(worker.fan_out_pending().await.unwrap(), 2);
    let (_, page) = s.app.get_page("/admin/notifications").await;
    assert!(page.contains("http-equiv=\"refresh\""), "{page}");
    assert_eq!(cell(&page, "Slow checkout", "pending"), "2");
    assert_eq!(cell(&page, "Slow checkout", "sent"), "0");
    assert_eq!(cell(&page, "Slow checkout", "total"), "2");

    let report = worker.run_once(sitrep::db::now()).await.unwrap();
    assert_eq!(report.sent, 2);
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.sink.messages().len() < 2 {
        assert!(Instant::now() < deadline, "the sink did not get 2 messages");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recipients: Vec<_> = s
        .sink
        .messages()
        .iter()
        .filter_map(|m| header(m, "To"))
        .collect();
    assert!(
        recipients.iter().any(|t| t.contains("a@example.com")),
        "{recipients:?}"
    );

    let (_, page) = s.app.get_page("/admin/notifications").await;
    assert!(!page.contains("http-equiv=\"refresh\""), "{page}");
    assert_eq!(cell(&page, "Slow checkout", "pending"), "0");
    assert_eq!(cell(&page, "Slow checkout", "sent"), "2");
    assert_eq!(cell(&page, "Slow checkout", "total"), "2");
}

#[tokio::test]
async fn three_permanent_bounces_quarantine_a_subscriber_who_is_then_skipped() {
    let s = setup(&["-f", "RCPT"], false).await;
    s.app.sign_in_as("boss@example.com", Role::Admin).await;
    import(&s.app, "bouncy@example.com,external,\n").await;
    let worker = Worker::new(&s.app.app_state.settings, s.app.app_state.db.clone()).unwrap();

    for n in 1..=2 {
        notifying_update(&s, &format!("Outage {n}")).await;
        let report = worker.run_once(sitrep::db::now()).await.unwrap();
        assert_eq!(report.failed, 1);
        let sub = subscriber(&s.app, "bouncy@example.com", Audience::External)
            .await
            .unwrap();
        assert_eq!(sub.bounce_count, n);
        assert!(sub.quarantined_at.is_none());
    }
    // Two more queued: the first bounce (the third) quarantines the address
    // and the other pending delivery is marked quarantined, not sent.
    notifying_update(&s, "Outage 3").await;
    notifying_update(&s, "Outage 4").await;
    let report = worker.run_once(sitrep::db::now()).await.unwrap();
    assert_eq!(report.claimed, 2);
    let sub = subscriber(&s.app, "bouncy@example.com", Audience::External)
        .await
        .unwrap();
    assert_eq!(sub.bounce_count, 3);
    assert!(sub.quarantined_at.is_some());

    let (_, page) = s.app.get_page("/admin/notifications").await;
    assert!(!page.contains("http-equiv=\"refresh\""), "{page}");
    assert_eq!(cell(&page, "Outage 3", "failed"), "1");
    assert_eq!(cell(&page, "Outage 4", "quarantined"), "1");
    assert_eq!(cell(&page, "Outage 4", "failed"), "0");

    // Skipped at the next fan-out.
    notifying_update(&s, "Outage 5").await;
    let latest = s
        .app
        .app_state
        .db
        .run(|c| subscriber_admin::latest_notifications(c, 10))
        .await
        .unwrap();
    assert!(latest.iter().all(|(_, p)| p.pending == 0), "{latest:?}");
    let total: i64 = latest.iter().map(|(_, p)| p.total()).sum();
    assert_eq!(total, 4, "no delivery for the quarantined address");
    assert_eq!(worker.run_once(sitrep::db::now()).await.unwrap().claimed, 0);

    let (_, page) = s.app.get_page("/admin/subscribers?q=bouncy").await;
    assert_eq!(
        cell(&page, "data-audience=\"external\"", "quarantined"),
        "1"
    );
    assert!(
        page.contains("<td class=\"status\">quarantined</td>"),
        "{page}"
    );
}

#[tokio::test]
async fn two_senders_fanning_out_the_same_notification_add_each_delivery_once() {
    let s = setup(&[], false).await;
    s.app.sign_in_as("boss@example.com", Role::Admin).await;
    let csv: String = (0..53)
        .map(|n| format!("reader{n}@example.com,external,\n"))
        .collect();
    import(&s.app, &csv).await;
    notifying_update(&s, "Racing fan-out").await;

    // Two senders (as on two instances) walk the same notification in small
    // batches at the same time: on PostgreSQL they skip each other's locked
    // row, on SQLite their write transactions take turns.
    let settings = &s.app.app_state.settings;
    let db = &s.app.app_state.db;
    let one = Worker::new(settings, db.clone())
        .unwrap()
        .with_fan_out_batch(5);
    let two = Worker::new(settings, db.clone())
        .unwrap()
        .with_fan_out_batch(5);
    let mut added = 0;
    for _ in 0..20 {
        let (a, b) = tokio::join!(one.fan_out_pending(), two.fan_out_pending());
        let step = a.unwrap() + b.unwrap();
        if step == 0 {
            break;
        }
        added += step;
    }
    assert_eq!(added, 53, "every subscriber got exactly one delivery");
    let (_, page) = s.app.get_page("/admin/notifications").await;
    assert_eq!(cell(&page, "Racing fan-out", "pending"), "53");
    assert_eq!(cell(&page, "Racing fan-out", "total"), "53");

    // And the emails go out once each.
    let mut sent = 0;
    for _ in 0..20 {
        if sent >= 53 {
            break;
        }
        let (a, b) = tokio::join!(
            one.run_once(sitrep::db::now()),
            two.run_once(sitrep::db::now())
        );
        sent += a.unwrap().sent + b.unwrap().sent;
    }
    assert_eq!(sent, 53);
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.sink.messages().len() < 53 {
        assert!(
            Instant::now() < deadline,
            "the sink did not get 53 messages"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut recipients: Vec<String> = s
        .sink
        .messages()
        .iter()
        .filter_map(|m| header(m, "To"))
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 53, "{recipients:?}");
    // Nothing is left to send: every delivery is done and neither sender
    // claims anything more, so a second copy could only be in the sink now.
    wait_until_outbox_idle(&s.app).await;
    for worker in [&one, &two] {
        assert_eq!(worker.run_once(sitrep::db::now()).await.unwrap().claimed, 0);
    }
    assert_eq!(s.sink.messages().len(), 53, "no email went out twice");
}

#[tokio::test]
async fn the_import_refuses_addresses_a_mail_system_would_refuse_naming_them() {
    let s = setup(&[], false).await;
    s.app.sign_in_as("boss@example.com", Role::Admin).await;
    let body = import(
        &s.app,
        "email,audience,components\n\
         x+<img>@example.com,external,\n\
         o\"b<x>@example.com,external,\n\
         fine@example.com,external,\n",
    )
    .await;
    assert!(body.contains("<strong>1</strong> added"), "{body}");
    assert!(body.contains("<strong>2</strong> invalid"), "{body}");
    assert!(body.contains("Line 2:"), "{body}");
    assert!(body.contains("x+&lt;img&gt;@example.com"), "{body}");
    assert!(body.contains("Line 3:"), "{body}");
    for bad in ["x+<img>@example.com", "o\"b<x>@example.com"] {
        assert!(
            subscriber(&s.app, bad, Audience::External).await.is_none(),
            "{bad} was imported"
        );
    }
    assert!(subscriber(&s.app, "fine@example.com", Audience::External)
        .await
        .is_some());
}
