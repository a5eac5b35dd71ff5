use serde_json::{json, Value};
use sitrep::db::models::incidents;
use sitrep::domain::role::Role;

use crate::helpers::*;

async fn open(app: &TestApp, token: &str) -> Value {
    let response = app
        .api(token)
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
                      "started_at": "2026-11-20T10:00:00Z",
                      "update": {"external_body": "Investigating.", "display_at": "2026-11-20T10:07:00Z"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.unwrap()
}

async fn patch(app: &TestApp, token: &str, id: &Value, body: Value) -> (u16, Value) {
    let response = app
        .api(token)
        .patch(app.url(&format!("/api/v1/incidents/{id}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn phases_fill_sensible_milestones_and_scripts_set_the_rest() {
    let app = spawn_app().await;
    let token = app
        .token_for("mim@example.com", Role::IncidentManager)
        .await;
    let incident = open(&app, &token).await;
    assert_eq!(
        incident["failure_occurred_at"], "2026-11-20T10:00:00.000Z",
        "failure defaults to the start"
    );
    assert_eq!(
        incident["operations_notified_at"], "2026-11-20T10:07:00.000Z",
        "the first update notifies operations"
    );
    assert_eq!(incident["operations_on_site_at"], Value::Null);

    let (status, body) = patch(
        &app,
        &token,
        &incident["id"],
        json!({"operations_on_site_at": "2026-11-20T10:20:00Z", "second_level_on_site_at": "2026-11-20T10:45:00Z"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["operations_on_site_at"], "2026-11-20T10:20:00.000Z");
    assert_eq!(body["second_level_on_site_at"], "2026-11-20T10:45:00.000Z");

    let response = app
        .api(&token)
        .post(app.url(&format!("/api/v1/incidents/{}/updates", incident["id"])))
        .json(&json!({"status": "resolved", "external_body": "Fixed.", "display_at": "2026-11-20T11:30:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let (_, body) = patch(
        &app,
        &token,
        &incident["id"],
        json!({"closed_at": "2026-11-21T09:00:00Z"}),
    )
    .await;
    assert_eq!(
        body["services_restored_at"], "2026-11-20T11:30:00.000Z",
        "resolving restores services"
    );
    assert_eq!(body["closed_at"], "2026-11-21T09:00:00.000Z");

    let id = incident["id"].as_i64().unwrap();
    let history = app
        .app_state
        .db
        .run(move |c| incidents::milestone_history(c, id))
        .await
        .unwrap();
    let on_site = history
        .iter()
        .find(|r| r.milestone == "operations_on_site")
        .unwrap();
    assert_eq!(on_site.set_by, "mim@example.com");
    assert!(on_site.live, "set while the incident was open");
    let closed = history.iter().find(|r| r.milestone == "closed").unwrap();
    assert!(!closed.live, "filled in after resolution");
    let restored = history
        .iter()
        .find(|r| r.milestone == "services_restored")
        .unwrap();
    assert!(!restored.live, "a backdated update backfills");
}

#[tokio::test]
async fn out_of_order_milestones_are_rejected_naming_the_two_and_nothing_changes() {
    let app = spawn_app().await;
    let token = app
        .token_for("mim@example.com", Role::IncidentManager)
        .await;
    let incident = open(&app, &token).await;
    let (status, body) = patch(
        &app,
        &token,
        &incident["id"],
        json!({"operations_on_site_at": "2026-11-20T10:05:00Z", "name": "Renamed"}),
    )
    .await;
    assert_eq!(status, 422);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Operations On-Site") && message.contains("Operations Notified"),
        "{message}"
    );
    let (_, after) = patch(&app, &token, &incident["id"], json!({})).await;
    assert_eq!(
        after["name"], "Checkout errors",
        "the whole PATCH is refused"
    );
    assert_eq!(after["operations_on_site_at"], Value::Null);
    let (status, body) = patch(
        &app,
        &token,
        &incident["id"],
        json!({"failure_occurred_at": null}),
    )
    .await;
    assert_eq!(status, 200, "a milestone can be cleared");
    assert_eq!(body["failure_occurred_at"], Value::Null);
    let comms = app.token_for("ext@example.com", Role::CommsExternal).await;
    let (status, _) = patch(
        &app,
        &comms,
        &incident["id"],
        json!({"closed_at": "2026-11-21T09:00:00Z"}),
    )
    .await;
    assert_eq!(
        status, 403,
        "only incident managers and admins keep the Time Summary"
    );
}

#[tokio::test]
async fn the_console_keeps_the_time_summary() {
    let app = spawn_app().await;
    let token = app
        .token_for("bot@example.com", Role::IncidentManager)
        .await;
    let incident = open(&app, &token).await;
    app.sign_in_as("mim@example.com", Role::IncidentManager)
        .await;
    let path = format!("/admin/incidents/{}", incident["id"]);
    let (_, page) = app.get_page(&path).await;
    assert!(page.contains("Time Summary"));
    assert!(page.contains("Second Level Support On-Site"));
    let (status, _, html) = app
        .post_form(
            &format!("{path}/milestones"),
            &[
                ("operations_on_site_at", "2026-11-20T10:01"),
                ("failure_occurred_at", "2026-11-20T10:00"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("cannot be before Operations Notified"),
        "the form says which two conflict"
    );
    let (status, location, _) = app
        .post_form(
            &format!("{path}/milestones"),
            &[
                ("operations_on_site_at", "2026-11-20T10:30"),
                ("failure_occurred_at", "2026-11-20T10:00"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().ends_with("done=milestones"));
    let (_, page) = app.get_page(&path).await;
    assert!(page.contains("value=\"2026-11-20T10:30\""));
    assert!(
        page.contains("set by mim@example.com, afterwards")
            || page.contains("set by mim@example.com, live")
    );
}

/// A live "resolved" update (no `display_at`) restores services at the
/// moment it is posted, so time to restore counts the incident (issue 13,
/// defect 1: two clock readings put Services Restored after Resolved and the
/// milestone was skipped).
#[tokio::test]
async fn a_live_resolved_update_restores_services_and_counts_in_time_to_restore() {
    let app = spawn_app().await;
    let token = app
        .token_for("mim@example.com", Role::IncidentManager)
        .await;
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
    let incident: Value = response.json().await.unwrap();
    let response = app
        .api(&token)
        .post(app.url(&format!("/api/v1/incidents/{}/updates", incident["id"])))
        .json(&json!({"status": "resolved", "external_body": "Fixed."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let update: Value = response.json().await.unwrap();

    let response = app
        .api(&token)
        .get(app.url(&format!("/api/v1/incidents/{}", incident["id"])))
        .send()
        .await
        .unwrap();
    let after: Value = response.json().await.unwrap();
    assert!(after["resolved_at"].is_string(), "{after}");
    assert_eq!(
        after["services_restored_at"], after["resolved_at"],
        "a live resolve restores services when it is posted"
    );
    assert_eq!(
        after["resolved_at"], update["display_at"],
        "one instant for the update and the phase"
    );
    assert_eq!(update["display_at"], update["created_at"]);

    let response = app
        .api(&token)
        .get(app.url("/api/v1/metrics"))
        .send()
        .await
        .unwrap();
    let metrics: Value = response.json().await.unwrap();
    assert_eq!(
        metrics["metrics"]["time_to_restore"]["wall_clock"]["count"], 1,
        "{metrics}"
    );
}
