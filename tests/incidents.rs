use serde_json::{json, Value};
use sitrep::domain::role::Role;

use crate::helpers::*;

async fn open_incident(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app
        .api(token)
        .post(app.url("/api/v1/incidents"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let json: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{json}");
    json
}

async fn post(app: &TestApp, token: &str, id: &Value, body: Value) -> (u16, Value) {
    let response = app
        .api(token)
        .post(app.url(&format!("/api/v1/incidents/{id}/updates")))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn one_incident_two_streams_customers_only_ever_see_external_text() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let incident = open_incident(
        &app,
        &token,
        json!({
            "name": "Checkout errors",
            "impact": "major",
            "urgency": "high",
            "components": {api["id"].to_string(): "partial_outage"},
            "update": {"status": "investigating", "external_body": "We are looking into **errors**.", "internal_body": "SECRET: db primary is down"}
        }),
    )
    .await;
    assert_eq!(incident["priority"], "P1");
    assert_eq!(incident["status"], "investigating");
    assert_eq!(incident["components"], json!([api["id"]]));
    let id = incident["id"].clone();

    let (status, update) = post(
        &app,
        &token,
        &id,
        json!({"status": "identified", "external_body": "We found the cause.", "internal_body": "SECRET: failover started",
               "next_update_by": "2030-01-01T10:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201, "{update}");
    assert_eq!(update["status"], "identified");

    let (_, html) = app.get_page("/").await;
    assert!(html.contains("Checkout errors"));
    assert!(html.contains("We found the cause."));
    assert!(
        !html.contains("SECRET"),
        "external page never shows internal text"
    );
    assert!(html.contains("Partial System Outage"));
    let (status, page) = app.get_page(&format!("/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("We are looking into <strong>errors</strong>."));
    assert!(page.contains("Identified") && page.contains("Investigating"));
    assert!(!page.contains("SECRET"));

    let summary = app.get_json("/api/v2/summary.json").await;
    assert!(!summary.to_string().contains("SECRET"));
    let listed = &summary["incidents"][0];
    assert_eq!(listed["name"], "Checkout errors");
    assert_eq!(listed["status"], "identified");
    assert_eq!(listed["impact"], "major");
    assert!(listed["shortlink"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/incidents/{id}")));
    for key in [
        "id",
        "created_at",
        "updated_at",
        "monitoring_at",
        "resolved_at",
        "started_at",
        "page_id",
        "incident_updates",
        "components",
    ] {
        assert!(listed.get(key).is_some(), "incident.{key} missing");
    }
    let first = listed["incident_updates"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert_eq!(
        first["affected_components"][0]["new_status"],
        "partial_outage"
    );
    assert_eq!(first["affected_components"][0]["old_status"], "operational");
    let unresolved = app.get_json("/api/v2/incidents/unresolved.json").await;
    assert_eq!(unresolved["incidents"].as_array().unwrap().len(), 1);

    app.sign_in_as("vic@example.com", Role::Viewer).await;
    let (_, internal) = app.get_page("/internal").await;
    assert!(internal.contains("SECRET: failover started"));
    assert!(internal.contains("We found the cause."));
    assert!(internal.contains("Staff only"));
    let (_, internal_page) = app.get_page(&format!("/internal/incidents/{id}")).await;
    assert!(internal_page.contains("SECRET: db primary is down"));

    let (status, _) = post(&app, &token, &id, json!({"status": "resolved", "external_body": "All good.", "components": {api["id"].to_string(): "operational"}})).await;
    assert_eq!(status, 201);
    let unresolved = app.get_json("/api/v2/incidents/unresolved.json").await;
    assert_eq!(unresolved["incidents"], json!([]));
    let all = app.get_json("/api/v2/incidents.json").await;
    assert_eq!(all["incidents"][0]["status"], "resolved");
    assert!(all["incidents"][0]["resolved_at"].is_string());
    assert!(app
        .get_page("/")
        .await
        .1
        .contains("All Systems Operational"));
}

#[tokio::test]
async fn templates_fill_updates_and_a_missing_variable_is_refused() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let api = app
        .create_component(&token, json!({"name": "Payments"}))
        .await;
    let incident = open_incident(
        &app,
        &token,
        json!({"name": "Payment failures", "impact": "critical", "urgency": "medium",
               "components": {api["id"].to_string(): "major_outage"},
               "update": {"template": "Default", "next_update_by": "2030-01-01T10:00:00Z"}}),
    )
    .await;
    let first = &incident["incident_updates"][0];
    let external = first["external_body"].as_str().unwrap();
    assert!(external.contains("Payments"), "{external}");
    assert!(external.contains("01 Jan 2030, 10:00 UTC"), "{external}");
    assert!(first["internal_body"].as_str().unwrap().contains("P1"));

    let (status, error) = post(
        &app,
        &token,
        &incident["id"],
        json!({"status": "identified", "template": "Default"}),
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("{{next_update_by}}"));
    let (status, error) = post(
        &app,
        &token,
        &incident["id"],
        json!({"status": "identified", "template": "Nope"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no template set named"));
    let full: Value = app
        .api(&token)
        .get(app.url(&format!("/api/v1/incidents/{}", incident["id"])))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        full["incident_updates"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
}

#[tokio::test]
async fn going_back_a_phase_is_allowed_and_recorded() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let incident = open_incident(&app, &token, json!({"name": "Slow search", "impact": "minor", "urgency": "low", "update": {"status": "monitoring", "external_body": "Fix deployed."}})).await;
    assert_eq!(incident["status"], "monitoring");
    assert!(incident["monitoring_at"].is_string());
    let (status, update) = post(
        &app,
        &token,
        &incident["id"],
        json!({"status": "identified", "external_body": "The problem is back."}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(update["regression"], true);
    let (_, page) = app
        .get_page(&format!("/incidents/{}", incident["id"]))
        .await;
    assert!(page.contains("back to an earlier phase"));
}

#[tokio::test]
async fn each_role_writes_only_what_it_may() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let external = app.token_for("ext@example.com", Role::CommsExternal).await;
    let internal = app.token_for("int@example.com", Role::CommsInternal).await;
    let viewer = app.token_for("view@example.com", Role::Viewer).await;
    let base = json!({"name": "Login issues", "impact": "minor", "urgency": "medium"});
    let with = |update: Value| {
        let mut b = base.clone();
        b["update"] = update;
        b
    };
    let denied = app
        .api(&viewer)
        .post(app.url("/api/v1/incidents"))
        .json(&with(json!({"external_body": "x"})))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status().as_u16(), 403);
    let denied = app
        .api(&internal)
        .post(app.url("/api/v1/incidents"))
        .json(&with(json!({"external_body": "x"})))
        .send()
        .await
        .unwrap();
    assert_eq!(
        denied.status().as_u16(),
        403,
        "internal comms cannot publish to customers"
    );
    let incident = open_incident(
        &app,
        &internal,
        with(json!({"internal_body": "Looking at it"})),
    )
    .await;
    assert_eq!(
        app.get_json("/api/v2/incidents.json").await["incidents"],
        json!([]),
        "internal-only incidents stay internal"
    );
    let (status, _) = post(
        &app,
        &external,
        &incident["id"],
        json!({"internal_body": "nope"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = post(
        &app,
        &external,
        &incident["id"],
        json!({"external_body": "We are investigating login issues."}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        app.get_json("/api/v2/incidents.json").await["incidents"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let patch = app
        .api(&external)
        .patch(app.url(&format!("/api/v1/incidents/{}", incident["id"])))
        .json(&json!({"impact": "major"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        patch.status().as_u16(),
        403,
        "only incident managers and admins edit the facts"
    );
    let patched: Value = app
        .api(&admin)
        .patch(app.url(&format!("/api/v1/incidents/{}", incident["id"])))
        .json(&json!({"impact": "critical", "urgency": "high"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["priority"], "P1");
    assert_eq!(patched["impact"], "critical");
}

#[tokio::test]
async fn bad_incident_input_gets_a_message_and_writes_nothing() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let cases = [
        (
            json!({"name": "", "impact": "minor", "urgency": "low", "update": {"external_body": "x"}}),
            422,
            "title",
        ),
        (
            json!({"name": "X", "impact": "huge", "urgency": "low", "update": {"external_body": "x"}}),
            422,
            "unknown variant `huge`",
        ),
        (
            json!({"name": "X", "impact": "minor", "urgency": "low", "update": {}}),
            422,
            "external text, the internal text, or both",
        ),
        (
            json!({"name": "X", "impact": "minor", "urgency": "low", "components": {"999": "major_outage"}, "update": {"external_body": "x"}}),
            422,
            "no component with id 999",
        ),
        (
            json!({"name": "X", "impact": "minor", "urgency": "low", "checklist": {"Is it raining?": true}, "update": {"external_body": "x"}}),
            422,
            "configured questions",
        ),
        (
            json!({"name": "X", "impact": "minor", "urgency": "low", "update": {"status": "fixed", "external_body": "x"}}),
            422,
            "unknown variant `fixed`",
        ),
        (
            json!({"name": "X", "impact": "minor", "urgency": "low", "update": {"external_body": "x".repeat(10_001)}}),
            422,
            "10000 or fewer",
        ),
    ];
    for (body, status, message) in cases {
        let response = app
            .api(&token)
            .post(app.url("/api/v1/incidents"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        let json: Value = response.json().await.unwrap();
        assert!(
            json["error"]["message"].as_str().unwrap().contains(message),
            "{json} should mention {message}"
        );
    }
    let list: Value = app
        .api(&token)
        .get(app.url("/api/v1/incidents"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn hostile_update_text_never_runs_anywhere() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let incident = open_incident(
        &app,
        &token,
        json!({"name": "<script>alert('t')</script>Outage", "impact": "minor", "urgency": "low",
               "update": {"external_body": "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3)) **ok**", "internal_body": "<script>alert(4)</script>"}}),
    )
    .await;
    app.sign_in_as("ana@example.com", Role::Admin).await;
    for path in [
        "/".to_string(),
        format!("/incidents/{}", incident["id"]),
        "/internal".to_string(),
        format!("/internal/incidents/{}", incident["id"]),
    ] {
        let (_, html) = app.get_page(&path).await;
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("onerror"), "{path}");
        assert!(!html.contains("href=\"javascript"), "{path}");
        assert!(html.contains("<strong>ok</strong>"), "{path}");
    }
}

/// A backfilled incident and its backdated resolve record the component
/// status changes at the times they say, not when they were typed in, so
/// uptime bars and client-impact minutes are right for history entered
/// afterwards (issue 13, defect 2).
#[tokio::test]
async fn backdated_updates_record_component_changes_at_their_display_time() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let cid = api["id"].as_i64().unwrap();
    let incident = open_incident(
        &app,
        &token,
        json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
               "started_at": "2026-11-20T10:00:00Z",
               "components": {cid.to_string(): "major_outage"},
               "update": {"external_body": "Investigating.", "display_at": "2026-11-20T10:00:00Z"}}),
    )
    .await;
    let (status, body) = post(
        &app,
        &token,
        &incident["id"],
        json!({"status": "resolved", "external_body": "Fixed.",
               "display_at": "2026-11-20T11:05:00Z",
               "components": {cid.to_string(): "operational"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let changes = app
        .app_state
        .db
        .run(move |c| sitrep::db::models::components::status_changes(c, cid))
        .await
        .unwrap();
    let recorded: Vec<(String, String)> = changes
        .iter()
        .map(|c| (c.to_status.clone(), c.changed_at.to_string()))
        .collect();
    assert_eq!(
        recorded,
        [
            (
                "major_outage".to_string(),
                "2026-11-20 10:00:00".to_string()
            ),
            ("operational".to_string(), "2026-11-20 11:05:00".to_string()),
        ]
    );

    let viewer = app.token_for("viewer@example.com", Role::Viewer).await;
    let response = app
        .api(&viewer)
        .get(app.url(&format!("/api/v1/incidents/{}/report", incident["id"])))
        .send()
        .await
        .unwrap();
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["client_impact_minutes"], 65, "{report}");
}

/// A promise of the next update must lie ahead: after now for a live
/// update, after its published time for a backdated one (issue 13, defect 7).
#[tokio::test]
async fn a_next_update_by_in_the_past_is_refused_with_what_to_write() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let response = app
        .api(&token)
        .post(app.url("/api/v1/incidents"))
        .json(
            &json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
                      "update": {"external_body": "Investigating.",
                                 "next_update_by": "2026-01-01T10:00:00Z"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Next update by is in the past") && message.contains("leave it empty"),
        "{message}"
    );
    assert!(
        app.get_json("/api/v2/incidents.json").await["incidents"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing was opened"
    );

    let incident = open_incident(
        &app,
        &token,
        json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
               "update": {"external_body": "Investigating.",
                          "next_update_by": "2030-01-01T10:00:00Z"}}),
    )
    .await;
    let (status, body) = post(
        &app,
        &token,
        &incident["id"],
        json!({"status": "identified", "external_body": "Found it.",
               "next_update_by": "2026-01-01T10:00:00Z"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("give a time after now"));

    // Backdated: the promise may be in the past, but not before the update.
    let (status, body) = post(
        &app,
        &token,
        &incident["id"],
        json!({"status": "identified", "external_body": "Found it.",
               "display_at": "2026-11-20T10:30:00Z",
               "next_update_by": "2026-11-20T10:00:00Z"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("before the update's published time"),
        "{body}"
    );
    let (status, body) = post(
        &app,
        &token,
        &incident["id"],
        json!({"status": "identified", "external_body": "Found it.",
               "display_at": "2026-11-20T10:30:00Z",
               "next_update_by": "2026-11-20T11:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    app.sign_in_as("cm@example.com", Role::IncidentManager)
        .await;
    let (status, _, html) = app
        .post_form(
            &format!("/admin/incidents/{}/updates", incident["id"]),
            &[
                ("phase", "monitoring"),
                ("template", ""),
                ("external_body", "Watching."),
                ("internal_body", ""),
                ("next_update_by", "2026-01-01T10:00"),
                ("variables", ""),
                ("intent", "post"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("Next update by is in the past"), "{html}");
}
