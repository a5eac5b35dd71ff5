//! Subscribers, end to end against a real SMTP server (postfix's
//! `smtp-sink`, see tests/mail.rs): double opt-in, incident update emails per
//! audience and component, silent updates, one-click unsubscribe.

use serde_json::{json, Value};
use sitrep::db::models::subscribers;
use sitrep::domain::role::Role;
use sitrep::domain::status::Audience;
use tempfile::TempDir;

use crate::helpers::*;
use crate::mail::{decoded, header, link, mails, part, wait_for, wait_until_outbox_idle, Sink};

struct Setup {
    app: TestApp,
    sink: Sink,
    token: String,
    _dir: TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(dir.path(), &[]);
    let url = sink.url();
    let app = spawn_app_with(|raw| raw.smtp_url = Some(url)).await;
    let token = app.admin_token().await;
    Setup {
        app,
        sink,
        token,
        _dir: dir,
    }
}

async fn subscribe(app: &TestApp, path: &str, email: &str, components: &[&Value]) -> (u16, String) {
    let ids: Vec<String> = components.iter().map(|c| c.to_string()).collect();
    let mut fields = vec![("email", email)];
    fields.extend(ids.iter().map(|id| ("components", id.as_str())));
    let (status, _, body) = app.post_form(path, &fields).await;
    (status, body)
}

/// Subscribes and follows the confirmation link from the email.
async fn subscribe_confirmed(s: &Setup, path: &str, email: &str, components: &[&Value]) {
    let (status, body) = subscribe(&s.app, path, email, components).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Check your inbox"), "{body}");
    let mail = wait_for(&s.sink, email, "Confirm your subscription", 1).await;
    let text = part(&mail[0], "text/plain").expect("text part");
    assert!(part(&mail[0], "text/html").is_some());
    let confirm = link(&text, "/subscribe/confirm/");
    let (status, page) = s.app.confirm_by_link(&confirm).await;
    assert_eq!(status, 200);
    assert!(page.contains("confirmed"));
}

async fn open_incident(s: &Setup, body: Value) -> Value {
    let (status, json) = s
        .app
        .send_json(
            &s.token,
            reqwest::Method::POST,
            "/api/v1/incidents",
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{json}");
    json
}

async fn post_update(s: &Setup, id: &Value, body: Value) {
    let (status, json) = s
        .app
        .send_json(
            &s.token,
            reqwest::Method::POST,
            &format!("/api/v1/incidents/{id}/updates"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{json}");
}

#[tokio::test]
async fn incident_updates_reach_confirmed_subscribers_of_their_audience_and_components() {
    let s = setup().await;
    let api = s
        .app
        .create_component(&s.token, json!({"name": "API"}))
        .await;
    let web = s
        .app
        .create_component(&s.token, json!({"name": "Web"}))
        .await;

    subscribe_confirmed(&s, "/subscribe", "all@example.com", &[]).await;
    subscribe_confirmed(&s, "/subscribe", "api-fan@example.com", &[&api["id"]]).await;
    subscribe_confirmed(&s, "/subscribe", "web-fan@example.com", &[&web["id"]]).await;
    let (status, _) = subscribe(&s.app, "/subscribe", "pending@example.com", &[]).await;
    assert_eq!(status, 200);
    s.app.sign_in_as("staff@example.com", Role::Admin).await;
    subscribe_confirmed(&s, "/internal/subscribe", "staff-list@example.com", &[]).await;

    let incident = open_incident(
        &s,
        json!({
            "name": "Checkout errors",
            "impact": "major",
            "urgency": "high",
            "components": {api["id"].to_string(): "partial_outage"},
            "update": {"status": "investigating",
                       "external_body": "We are looking into **errors**.",
                       "internal_body": "SECRET: db primary is down"}
        }),
    )
    .await;
    let subject = "[Major] Checkout errors — Investigating";
    let mail = wait_for(&s.sink, "all@example.com", "Checkout errors", 1).await;
    let fan = wait_for(&s.sink, "api-fan@example.com", "Checkout errors", 1).await;
    let internal = wait_for(&s.sink, "staff-list@example.com", "Checkout errors", 1).await;

    let m = &mail[0];
    assert_eq!(decoded(m, "Subject").as_deref(), Some(subject));
    let unsubscribe = header(m, "List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        unsubscribe.starts_with("<http") && unsubscribe.contains("/unsubscribe/"),
        "{unsubscribe}"
    );
    assert_eq!(
        header(m, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(header(m, "Message-ID").is_some());
    let text = part(m, "text/plain").unwrap();
    let html = part(m, "text/html").unwrap();
    assert!(text.contains("We are looking into **errors**."), "{text}");
    assert!(html.contains("<strong>errors</strong>"), "{html}");
    assert!(!text.contains("SECRET") && !html.contains("SECRET"));
    assert!(text.contains(&format!("/incidents/{}", incident["id"])));
    assert!(text.contains("/subscribe/manage/"));
    assert!(text.contains("/unsubscribe/"));
    // Each subscriber's email carries their own address and links (the
    // emails of one notification are filled from one stencil).
    for (m, to) in [(m, "all@example.com"), (&fan[0], "api-fan@example.com")] {
        assert_eq!(header(m, "To").as_deref(), Some(to));
        let text = part(m, "text/plain").unwrap();
        let html = part(m, "text/html").unwrap();
        let own = link(&header(m, "List-Unsubscribe").unwrap(), "/unsubscribe/");
        assert_eq!(link(&text, "/unsubscribe/"), own);
        assert_eq!(link(&html, "/unsubscribe/"), own);
        assert_eq!(
            link(&text, "/subscribe/manage/"),
            link(&html, "/subscribe/manage/")
        );
    }
    assert_ne!(
        header(m, "List-Unsubscribe"),
        header(&fan[0], "List-Unsubscribe")
    );
    assert_ne!(
        link(&text, "/subscribe/manage/"),
        link(&part(&fan[0], "text/plain").unwrap(), "/subscribe/manage/")
    );

    let internal_text = part(&internal[0], "text/plain").unwrap();
    assert!(internal_text.contains("SECRET: db primary is down"));
    assert!(!internal_text.contains("looking into"));
    assert!(internal_text.contains(&format!("/internal/incidents/{}", incident["id"])));

    // A silent update, then a notifying one: only the second is mailed.
    let id = incident["id"].clone();
    post_update(
        &s,
        &id,
        json!({"status": "identified", "external_body": "Silent note", "deliver_notifications": false}),
    )
    .await;
    post_update(
        &s,
        &id,
        json!({"status": "monitoring", "external_body": "A fix is deployed."}),
    )
    .await;
    let all = wait_for(&s.sink, "all@example.com", "Checkout errors", 2).await;
    assert_eq!(all.len(), 2);
    assert!(all
        .iter()
        .all(|m| !part(m, "text/plain").unwrap().contains("Silent note")));
    assert!(all
        .iter()
        .any(|m| decoded(m, "Subject").as_deref() == Some("[Major] Checkout errors — Monitoring")));

    // One-click unsubscribe: a bare POST, no cookie, no CSRF token.
    let path = link(&unsubscribe, "/unsubscribe/");
    let response = reqwest::Client::new()
        .post(s.app.url(&path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    // A forged token does nothing.
    let forged = reqwest::Client::new()
        .post(s.app.url(&format!(
            "{}{}",
            &path[..path.len() - 1],
            if path.ends_with('0') { '1' } else { '0' }
        )))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 404);

    post_update(
        &s,
        &id,
        json!({"status": "resolved", "external_body": "All good."}),
    )
    .await;
    wait_for(&s.sink, "api-fan@example.com", "Checkout errors", 3).await;
    wait_until_outbox_idle(&s.app).await;
    assert_eq!(
        mails(&s.sink, "all@example.com", "Checkout errors").len(),
        2,
        "unsubscribed"
    );
    assert!(
        mails(&s.sink, "web-fan@example.com", "Checkout errors").is_empty(),
        "component filter"
    );
    assert!(
        mails(&s.sink, "pending@example.com", "Checkout errors").is_empty(),
        "unconfirmed"
    );
    assert_eq!(
        mails(&s.sink, "staff-list@example.com", "Checkout errors").len(),
        1,
        "no internal text later"
    );
}

/// An override template that tests a personal value (here the address)
/// cannot share one stencil between recipients: each email is rendered for
/// its recipient, and each gets what the template says for them.
#[tokio::test]
async fn an_override_template_that_tests_the_recipient_is_rendered_for_each_one() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(dir.path(), &[]);
    let overrides = dir.path().join("overrides");
    std::fs::create_dir_all(overrides.join("email/incident_update")).unwrap();
    std::fs::write(
        overrides.join("email/incident_update/body.txt.hbs"),
        "{{incident_name}}\n{{#if (eq recipient \"vip@example.com\")}}Dear VIP{{else}}Hello{{/if}} {{recipient}}\n\
         Unsubscribe: {{unsubscribe_url}}\n",
    )
    .unwrap();
    let url = sink.url();
    let templates = overrides.display().to_string();
    let app = spawn_app_with(move |raw| {
        raw.smtp_url = Some(url);
        raw.templates_dir = Some(templates);
    })
    .await;
    let token = app.admin_token().await;
    let s = Setup {
        app,
        sink,
        token,
        _dir: dir,
    };
    // The VIP is neither the first nor the last subscriber.
    for email in ["first@example.com", "vip@example.com", "last@example.com"] {
        subscribe_confirmed(&s, "/subscribe", email, &[]).await;
    }
    open_incident(
        &s,
        json!({"name": "Checkout errors", "impact": "minor", "urgency": "low",
               "update": {"status": "investigating", "external_body": "Looking."}}),
    )
    .await;
    for (email, greeting) in [
        ("first@example.com", "Hello first@example.com"),
        ("vip@example.com", "Dear VIP vip@example.com"),
        ("last@example.com", "Hello last@example.com"),
    ] {
        let mail = wait_for(&s.sink, email, "Checkout errors", 1).await;
        let text = part(&mail[0], "text/plain").unwrap();
        assert!(text.contains(greeting), "{email}: {text}");
        assert_eq!(
            link(&text, "/unsubscribe/"),
            link(
                &header(&mail[0], "List-Unsubscribe").unwrap(),
                "/unsubscribe/"
            )
        );
    }
}

#[tokio::test]
async fn subscribing_twice_keeps_one_row_and_the_same_answer_and_bad_addresses_get_422() {
    let s = setup().await;
    let (first_status, first) = subscribe(&s.app, "/subscribe", "twice@example.com", &[]).await;
    let (second_status, second) = subscribe(&s.app, "/subscribe", "TWICE@example.com", &[]).await;
    assert_eq!((first_status, second_status), (200, 200));
    assert_eq!(first, second);
    // Confirmed: subscribing again answers the same and sends nothing more.
    let confirmations = wait_for(&s.sink, "twice@example.com", "Confirm", 2).await;
    let latest = confirmations
        .iter()
        .map(|m| link(&part(m, "text/plain").unwrap(), "/subscribe/confirm/"))
        .collect::<Vec<_>>();
    let mut confirmed = 0;
    for path in &latest {
        if s.app.confirm_by_link(path).await.0 == 200 {
            confirmed += 1;
        }
    }
    assert_eq!(confirmed, 1, "only the newest confirmation link works");
    let (third_status, third) = subscribe(&s.app, "/subscribe", "twice@example.com", &[]).await;
    assert_eq!((third_status, &third), (200, &first));
    let found = s
        .app
        .app_state
        .db
        .run(|conn| subscribers::find_by_email(conn, "twice@example.com", Audience::External))
        .await
        .unwrap()
        .expect("one subscriber");
    assert!(found.is_active());
    let count = s
        .app
        .app_state
        .db
        .run(|conn| subscribers::by_emails(conn, "external", &["twice@example.com".to_string()]))
        .await
        .unwrap()
        .len();
    assert_eq!(count, 1);
    wait_until_outbox_idle(&s.app).await;
    assert_eq!(mails(&s.sink, "twice@example.com", "Confirm").len(), 2);

    let (status, body) = subscribe(&s.app, "/subscribe", "not an address", &[]).await;
    assert_eq!(status, 422);
    assert!(body.contains("is not an email address"), "{body}");
    assert!(body.contains("name=\"email\""));

    // The public page links to the form.
    let (_, page) = s.app.get_page("/").await;
    assert!(page.contains("href=\"/subscribe\""));
    let (status, form) = s.app.get_page("/subscribe").await;
    assert_eq!(status, 200);
    assert!(form.contains("csrf_token"));
}

#[tokio::test]
async fn hostile_titles_and_bodies_are_escaped_in_the_html_part_and_kept_in_the_text() {
    let s = setup().await;
    subscribe_confirmed(&s, "/subscribe", "reader@example.com", &[]).await;
    let title = "<script>alert(\"x\")</script> O'Brien & Søn 漢字";
    open_incident(
        &s,
        json!({
            "name": title,
            "impact": "critical",
            "urgency": "high",
            "update": {"status": "identified", "external_body": "<script>evil()</script> <img src=x onerror=alert(1)> **bold**"}
        }),
    )
    .await;
    let mail = wait_for(&s.sink, "reader@example.com", "Critical", 1).await;
    let html = part(&mail[0], "text/html").unwrap();
    let text = part(&mail[0], "text/plain").unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("onerror"), "{html}");
    assert!(html.contains("&lt;script&gt;alert"), "{html}");
    assert!(html.contains("Søn 漢字"));
    assert!(text.contains(title), "{text}");

    // The manage link opens a form with the components.
    let manage = link(&text, "/subscribe/manage/");
    let (status, page) = s.app.get_page(&manage).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("reader@example.com"));
}

async fn external_subscriber(app: &TestApp, email: &'static str) -> subscribers::Subscriber {
    app.app_state
        .db
        .run(move |conn| subscribers::find_by_email(conn, email, Audience::External))
        .await
        .unwrap()
        .expect("a subscriber")
}

#[tokio::test]
async fn opening_the_confirmation_link_confirms_nothing_until_its_button_is_pressed() {
    let s = setup().await;
    subscribe_confirmed(&s, "/subscribe", "clicked@example.com", &[]).await;
    let (status, body) = subscribe(&s.app, "/subscribe", "scanned@example.com", &[]).await;
    assert_eq!(status, 200, "{body}");
    let mail = wait_for(
        &s.sink,
        "scanned@example.com",
        "Confirm your subscription",
        1,
    )
    .await;
    let confirm = link(
        &part(&mail[0], "text/plain").unwrap(),
        "/subscribe/confirm/",
    );

    // A mail scanner follows the link (twice, even): a page with a button.
    for _ in 0..2 {
        let response = reqwest::get(s.app.url(&confirm)).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let page = response.text().await.unwrap();
        assert!(page.contains("method=\"post\""), "{page}");
        assert!(page.contains(&format!("action=\"{confirm}\"")), "{page}");
        assert!(page.contains("name=\"csrf_token\""), "{page}");
    }
    assert!(external_subscriber(&s.app, "scanned@example.com")
        .await
        .confirmed_at
        .is_none());
    // Updates reach the confirmed subscriber only.
    open_incident(
        &s,
        json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
               "update": {"status": "investigating", "external_body": "Looking."}}),
    )
    .await;
    wait_for(&s.sink, "clicked@example.com", "Checkout errors", 1).await;
    wait_until_outbox_idle(&s.app).await;
    assert!(mails(&s.sink, "scanned@example.com", "Checkout errors").is_empty());

    // A POST without the page's CSRF token does not confirm either.
    let response = reqwest::Client::new()
        .post(s.app.url(&confirm))
        .form(&[("csrf_token", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert!(external_subscriber(&s.app, "scanned@example.com")
        .await
        .confirmed_at
        .is_none());

    // The person presses the button.
    let (status, page) = s.app.confirm_by_link(&confirm).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Your subscription is confirmed"), "{page}");
    assert!(external_subscriber(&s.app, "scanned@example.com")
        .await
        .is_active());
    // The link is used up: the page says so and offers no button.
    let response = reqwest::get(s.app.url(&confirm)).await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert!(!response.text().await.unwrap().contains("csrf_token"));
}

#[tokio::test]
async fn addresses_a_mail_system_would_refuse_get_422_naming_them() {
    let s = setup().await;
    for (address, shown) in [
        ("x+<img>@example.com", "x+&lt;img&gt;@example.com"),
        ("o\"b<x>@example.com", "o\\&quot;b&lt;x&gt;@example.com"),
    ] {
        let (status, body) = subscribe(&s.app, "/subscribe", address, &[]).await;
        assert_eq!(status, 422, "{address}: {body}");
        assert!(body.contains("is not an email address"), "{body}");
        assert!(body.contains(shown), "{shown} in {body}");
    }
    let count = s
        .app
        .app_state
        .db
        .run(|conn| {
            subscribers::by_emails(
                conn,
                "external",
                &[
                    "x+<img>@example.com".to_string(),
                    "o\"b<x>@example.com".to_string(),
                ],
            )
        })
        .await
        .unwrap()
        .len();
    assert_eq!(count, 0);
}
