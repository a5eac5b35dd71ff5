use serde_json::json;
use sitrep::domain::role::Role;

use crate::helpers::*;

#[tokio::test]
async fn a_communication_manager_opens_an_incident_from_the_template_with_a_preview() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    app.sign_in_as("cm@example.com", Role::IncidentManager)
        .await;
    let (status, html) = app.get_page("/admin/incidents/new").await;
    assert_eq!(status, 200);
    assert!(html.contains("Is this an incident?"));
    let field = format!("component_{}", api["id"]);
    let form = |intent: &'static str, external: String| {
        vec![
            ("name".to_string(), "Checkout errors".to_string()),
            ("impact".into(), "major".into()),
            ("urgency".into(), "high".into()),
            ("check_0".into(), "on".into()),
            ("phase".into(), "investigating".into()),
            ("template".into(), "Default".into()),
            ("next_update_by".into(), "2030-01-01T10:00".into()),
            ("variables".into(), String::new()),
            ("external_body".into(), external),
            ("internal_body".into(), String::new()),
            ("notify".into(), "on".into()),
            (field.clone(), "partial_outage".into()),
            ("intent".into(), intent.into()),
        ]
    };
    let owned = form("preview", String::new());
    let fields: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, _, html) = app.post_form("/admin/incidents", &fields).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Customers will read:"));
    assert!(html.contains("We are investigating a problem affecting API"));
    assert!(html.contains("Staff will read:"));
    assert!(
        app.get_json("/api/v2/incidents.json").await["incidents"]
            .as_array()
            .unwrap()
            .is_empty(),
        "a preview publishes nothing"
    );

    let owned = form(
        "open",
        "We are looking into checkout errors. Next update by 10:00.".into(),
    );
    let fields: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, location, body) = app.post_form("/admin/incidents", &fields).await;
    assert_eq!(status, 303, "{body}");
    let location = location.unwrap();
    assert!(location.starts_with("/admin/incidents/"));
    let (_, page) = app.get_page(&location).await;
    assert!(page.contains("Incident opened."));
    assert!(page.contains("Next update promised by"));
    assert!(
        page.contains("data-due=\"2030-01-01T10:00:00.000Z\""),
        "the live countdown knows the promise"
    );
    assert!(page.contains("<script src=\"/static/console.js\" defer>"));
    let script = reqwest::get(app.url("/static/console.js")).await.unwrap();
    assert_eq!(
        script.headers()["content-type"],
        "application/javascript; charset=utf-8"
    );
    assert!(script.text().await.unwrap().contains("overdue by"));
    assert!(page.contains("P1"));
    let (_, public) = app.get_page("/").await;
    assert!(public.contains("We are looking into checkout errors."));
    assert!(public.contains("Partial outage"));

    let id = location
        .trim_start_matches("/admin/incidents/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (status, location, _) = app
        .post_form(
            &format!("/admin/incidents/{id}/updates"),
            &[
                ("phase", "identified"),
                ("template", ""),
                ("external_body", "We found it."),
                ("internal_body", "Staff: bad deploy 4711"),
                ("next_update_by", ""),
                ("variables", ""),
                ("intent", "post"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().ends_with("done=posted"));
    let (_, public) = app.get_page("/").await;
    assert!(public.contains("We found it."));
    assert!(!public.contains("bad deploy 4711"));
}

#[tokio::test]
async fn the_console_shows_what_to_fix_and_keeps_the_text() {
    let app = spawn_app().await;
    app.sign_in_as("cm@example.com", Role::CommsExternal).await;
    let (status, _, html) = app
        .post_form(
            "/admin/incidents",
            &[
                ("name", "Slow pages"),
                ("impact", "minor"),
                ("urgency", "low"),
                ("phase", "identified"),
                ("template", "Default"),
                ("next_update_by", ""),
                ("variables", ""),
                ("external_body", ""),
                ("intent", "open"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("{{next_update_by}}"),
        "the missing variable is named"
    );
    assert!(
        html.contains("value=\"Slow pages\""),
        "the typed title is kept"
    );
    let (status, _, html) = app
        .post_form(
            "/admin/incidents",
            &[
                ("name", "Slow pages"),
                ("impact", "minor"),
                ("urgency", "low"),
                ("phase", "investigating"),
                ("template", ""),
                ("internal_body", "staff text"),
                ("intent", "open"),
            ],
        )
        .await;
    assert_eq!(status, 403, "external comms may not write internal text");
    assert!(html.contains("may not publish staff-only text"));
}

#[tokio::test]
async fn viewers_cannot_open_or_post() {
    let app = spawn_app().await;
    app.sign_in_as("v@example.com", Role::Viewer).await;
    assert_eq!(app.get_page("/admin/incidents").await.0, 200);
    assert_eq!(app.get_page("/admin/incidents/new").await.0, 403);
    let (status, _, _) = app
        .post_form(
            "/admin/incidents",
            &[
                ("name", "x"),
                ("impact", "minor"),
                ("urgency", "low"),
                ("phase", "investigating"),
                ("external_body", "x"),
                ("intent", "open"),
            ],
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn managers_write_their_own_template_sets_and_broken_ones_are_refused() {
    let app = spawn_app().await;
    app.sign_in_as("cm@example.com", Role::CommsExternal).await;
    let (status, html) = app.get_page("/admin/templates/new").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("We are investigating a problem affecting"),
        "a new set starts from the default texts"
    );
    let (status, _, html) = app
        .post_form(
            "/admin/templates",
            &[
                ("name", "Database"),
                ("investigating_external", "DB trouble on {{#if x}}"),
                ("investigating_internal", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("does not parse"));
    assert!(html.contains("DB trouble on"), "the typed text is kept");
    let (status, location, _) = app
        .post_form(
            "/admin/templates",
            &[
                ("name", "Database"),
                ("description", "DB incidents"),
                (
                    "investigating_external",
                    "Database trouble: {{components}}. Ticket {{ticket}}.",
                ),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/admin/templates?done=saved"));
    let (status, _, _) = app
        .post_form("/admin/templates", &[("name", "database")])
        .await;
    assert_eq!(status, 409);

    let token = app
        .token_for("bot@example.com", Role::IncidentManager)
        .await;
    let sets: serde_json::Value = app
        .api(&token)
        .get(app.url("/api/v1/templates"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = sets
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Database", "Default"]);
    let response = app
        .api(&token)
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"name": "DB slow", "impact": "minor", "urgency": "low", "update": {"template": "Database", "variables": {"ticket": "OPS-7"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let incident: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        incident["incident_updates"][0]["external_body"],
        "Database trouble: our services. Ticket OPS-7."
    );
    let created = app
        .api(&token)
        .post(app.url("/api/v1/templates"))
        .json(&json!({"name": "Network", "texts": {"resolved": {"external": "Network fixed.", "internal": "{{oops"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 422);
}

#[tokio::test]
async fn admins_read_and_filter_the_audit_log() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    app.create_component(&token, json!({"name": "API"})).await;
    app.api(&token)
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"name": "Audit me", "impact": "minor", "urgency": "low", "update": {"external_body": "x"}}))
        .send()
        .await
        .unwrap();
    app.sign_in_as("boss@example.com", Role::Admin).await;
    let (status, html) = app.get_page("/admin/audit").await;
    assert_eq!(status, 200);
    assert!(html.contains("incident.create") && html.contains("component.create"));
    let (_, filtered) = app.get_page("/admin/audit?action=incident.").await;
    assert!(filtered.contains("incident.create"));
    assert!(!filtered.contains("component.create"));
    let (_, by_actor) = app
        .get_page("/admin/audit?actor=nobody%40example.com")
        .await;
    assert!(by_actor.contains("No entries match."));

    let other = browser();
    let viewer_app = TestApp {
        browser: other,
        ..clone_app(&app)
    };
    viewer_app
        .sign_in_as("m@example.com", Role::IncidentManager)
        .await;
    assert_eq!(
        viewer_app.get_page("/admin/audit").await.0,
        403,
        "only admins read the audit log"
    );
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

/// A viewer posting an update form, even an invalid one, is refused (403),
/// not told what to fix (issue 13, defect 8).
#[tokio::test]
async fn a_viewer_posting_an_invalid_update_form_is_refused() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let response = app
        .api(&token)
        .post(app.url("/api/v1/incidents"))
        .json(
            &json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
                      "update": {"external_body": "Investigating."}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let incident: serde_json::Value = response.json().await.unwrap();
    app.sign_in_as("viewer@example.com", Role::Viewer).await;
    let (status, _, body) = app
        .post_form(
            &format!("/admin/incidents/{}/updates", incident["id"]),
            &[
                ("phase", "no-such-phase"),
                ("external_body", ""),
                ("next_update_by", "tomorrow-ish"),
                ("intent", "post"),
            ],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = app
        .post_form(
            "/admin/incidents",
            &[("name", ""), ("impact", "huge"), ("intent", "open")],
        )
        .await;
    assert_eq!(status, 403, "{body}");
}
