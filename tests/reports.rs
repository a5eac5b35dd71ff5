//! The incident report: sections, the review workflow with the right roles
//! allowed and denied at each step, frozen versions with diffs, action items,
//! and the published postmortem on the external incident page.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};
use sitrep::db::models::audit::{self, AuditFilter};
use sitrep::db::schema::component_status_changes;
use sitrep::domain::role::Role;

use crate::helpers::*;

struct Staff {
    admin: String,
    mim: String,
    comms: String,
    reviewer: String,
    approver: String,
    viewer: String,
}

async fn staff(app: &TestApp) -> Staff {
    Staff {
        admin: app.token_for("admin@example.com", Role::Admin).await,
        mim: app
            .token_for("mim@example.com", Role::IncidentManager)
            .await,
        comms: app
            .token_for("comms@example.com", Role::CommsExternal)
            .await,
        reviewer: app
            .token_for("assistant.director@example.com", Role::Reviewer)
            .await,
        approver: app.token_for("director@example.com", Role::Approver).await,
        viewer: app.token_for("viewer@example.com", Role::Viewer).await,
    }
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

/// An incident from 10:00 to 11:05 whose component was down the whole time
/// (the status changes are moved to those times, as if made live).
async fn incident(app: &TestApp, s: &Staff) -> i64 {
    let component = app
        .create_component(&s.admin, json!({"name": "Checkout API"}))
        .await;
    let cid = component["id"].as_i64().unwrap();
    let (status, opened) = app
        .send_json(
            &s.mim,
            Method::POST,
            "/api/v1/incidents",
            Some(json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
                "started_at": "2026-11-20T10:00:00Z",
                "components": {cid.to_string(): "major_outage"},
                "update": {"external_body": "Investigating.", "display_at": "2026-11-20T10:00:00Z"}})),
        )
        .await;
    assert_eq!(status, 201, "{opened}");
    let id = opened["id"].as_i64().unwrap();
    let (status, body) = app
        .send_json(
            &s.mim,
            Method::POST,
            &format!("/api/v1/incidents/{id}/updates"),
            Some(json!({"status": "resolved", "external_body": "Fixed.",
                "display_at": "2026-11-20T11:05:00Z", "components": {cid.to_string(): "operational"}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.app_state
        .db
        .run(move |conn| {
            sitrep::on_backend!(conn, |c| {
                diesel::update(
                    component_status_changes::table
                        .filter(component_status_changes::component_id.eq(cid))
                        .filter(component_status_changes::to_status.eq("major_outage")),
                )
                .set(component_status_changes::changed_at.eq(at("2026-11-20 10:00")))
                .execute(c)?;
                diesel::update(
                    component_status_changes::table
                        .filter(component_status_changes::component_id.eq(cid))
                        .filter(component_status_changes::to_status.eq("operational")),
                )
                .set(component_status_changes::changed_at.eq(at("2026-11-20 11:05")))
                .execute(c)
            })?;
            Ok(())
        })
        .await
        .unwrap();
    id
}

async fn step(
    app: &TestApp,
    token: &str,
    id: i64,
    action: &str,
    body: Option<Value>,
) -> (u16, Value) {
    app.send_json(
        token,
        Method::POST,
        &format!("/api/v1/incidents/{id}/report/{action}"),
        body,
    )
    .await
}

async fn patch(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.send_json(
        token,
        Method::PATCH,
        &format!("/api/v1/incidents/{id}/report"),
        Some(body),
    )
    .await
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

/// Submit (MIM), review (reviewer), approve (approver).
async fn approve_all(app: &TestApp, s: &Staff, id: i64) -> Value {
    for (token, action) in [
        (&s.mim, "submit"),
        (&s.reviewer, "review"),
        (&s.approver, "approve"),
    ] {
        let (status, body) = step(app, token, id, action, None).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    let (_, report) = app
        .send_json(
            &s.viewer,
            Method::GET,
            &format!("/api/v1/incidents/{id}/report"),
            None,
        )
        .await;
    report
}

#[tokio::test]
async fn the_report_moves_through_review_with_the_right_roles_allowed_and_denied() {
    let app = spawn_app().await;
    let s = staff(&app).await;
    let id = incident(&app, &s).await;

    let (status, report) = app
        .send_json(
            &s.viewer,
            Method::GET,
            &format!("/api/v1/incidents/{id}/report"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], "draft");
    assert_eq!(report["version"], 1);
    assert_eq!(report["allowed_actions"], json!([]));
    assert_eq!(report["client_impact_minutes"], 65);
    assert_eq!(report["client_impact_duration"], "1 h 05 min");
    assert_eq!(report["time_summary"][0]["label"], "Failure Occurred");
    assert_eq!(report["time_summary"][0]["at"], "2026-11-20T10:00:00.000Z");

    // Writing: the MIM, the communication managers, admins; nobody else.
    for token in [&s.viewer, &s.reviewer, &s.approver] {
        let (status, body) = patch(&app, token, id, json!({"description": "x"})).await;
        assert_eq!(status, 403, "{body}");
        assert!(message(&body).contains("cannot edit"), "{body}");
    }
    let (status, body) = patch(
        &app,
        &s.comms,
        id,
        json!({"description": "Checkout failed for **all** customers.",
               "links": [{"label": "JIRA", "url": "https://jira.example.com/browse/OPS-1"}],
               "resolution": "Restarted the database."}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["links"][0]["label"], "JIRA");
    let (status, body) = patch(
        &app,
        &s.mim,
        id,
        json!({"links": [{"label": "Wiki", "url": "javascript:alert(1)"}]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("links.0"), "{body}");

    // Submit: the MIM (or an admin) only.
    for token in [&s.comms, &s.reviewer, &s.approver, &s.viewer] {
        let (status, body) = step(&app, token, id, "submit", None).await;
        assert_eq!(status, 403, "{body}");
    }
    let (status, body) = step(&app, &s.approver, id, "approve", None).await;
    assert_eq!(status, 409, "approving a draft: {body}");
    let (status, body) = step(&app, &s.mim, id, "submit", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "submitted");
    assert_eq!(body["submitted_by"], "mim@example.com");

    // A submitted report is not edited in place.
    let (status, body) = patch(&app, &s.mim, id, json!({"resolution": "changed"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        message(&body).contains("cannot be edited in place"),
        "{body}"
    );

    // Review: the reviewer only (not even an admin).
    for token in [&s.admin, &s.mim, &s.approver, &s.comms] {
        let (status, body) = step(&app, token, id, "review", None).await;
        assert_eq!(status, 403, "{body}");
    }
    let (status, body) = step(&app, &s.reviewer, id, "review", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "reviewed");

    // Return: the approver now, with a comment.
    let (status, body) = step(
        &app,
        &s.reviewer,
        id,
        "return",
        Some(json!({"comment": "x"})),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = step(&app, &s.approver, id, "return", None).await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("comment"), "{body}");
    let (status, body) = step(
        &app,
        &s.approver,
        id,
        "return",
        Some(json!({"comment": "Add the root cause."})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "draft");
    assert_eq!(body["return_comment"], "Add the root cause.");
    assert_eq!(body["returned_by"], "director@example.com");

    // Approve: the approver only.
    for (token, action) in [(&s.mim, "submit"), (&s.reviewer, "review")] {
        assert_eq!(step(&app, token, id, action, None).await.0, 200);
    }
    for token in [&s.admin, &s.mim, &s.reviewer] {
        let (status, body) = step(&app, token, id, "approve", None).await;
        assert_eq!(status, 403, "{body}");
    }
    let (status, body) = step(&app, &s.approver, id, "approve", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "approved");
    assert_eq!(body["latest_approved_version"], 1);
    assert_eq!(body["approved_by"], "director@example.com");

    // Frozen: no edit in place; a new version instead.
    let (status, body) = patch(&app, &s.mim, id, json!({"resolution": "changed"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(message(&body).contains("start version 2"), "{body}");
    let (status, body) = step(&app, &s.viewer, id, "revise", None).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = step(&app, &s.mim, id, "revise", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["version"].as_i64()),
        (Some("draft"), Some(2))
    );
    let (status, _) = patch(
        &app,
        &s.mim,
        id,
        json!({"resolution": "Failed over to the replica.\nRestarted the database."}),
    )
    .await;
    assert_eq!(status, 200);
    // The draft of version 2 shows what changed since version 1.
    app.sign_in_as("reader@example.com", Role::Viewer).await;
    let (_, html) = app.get_page(&format!("/admin/incidents/{id}/report")).await;
    assert!(
        html.contains("Changes in version 2 since version 1"),
        "{html}"
    );
    assert!(
        html.contains("Added: </span>Failed over to the replica."),
        "{html}"
    );
    let report = approve_all(&app, &s, id).await;
    assert_eq!(report["latest_approved_version"], 2);

    let (status, versions) = app
        .send_json(
            &s.viewer,
            Method::GET,
            &format!("/api/v1/incidents/{id}/report/versions"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(
        versions[0]["resolution"], "Restarted the database.",
        "version 1 stays frozen"
    );
    assert_eq!(versions[0]["client_impact_minutes"], 65);
    assert_eq!(versions[0]["time_summary"][4]["label"], "Services Restored");
    let (status, v2) = app
        .send_json(
            &s.viewer,
            Method::GET,
            &format!("/api/v1/incidents/{id}/report/versions/2"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{v2}");
    let diff = v2["diff_from_previous"].as_array().unwrap();
    assert!(
        diff.iter()
            .any(|l| l["kind"] == "added" && l["text"] == "Failed over to the replica."),
        "{v2}"
    );
    assert!(diff
        .iter()
        .all(|l| l["kind"] != "removed" || l["label"] == "Removed"));
    let (status, _) = app
        .send_json(
            &s.viewer,
            Method::GET,
            &format!("/api/v1/incidents/{id}/report/versions/7"),
            None,
        )
        .await;
    assert_eq!(status, 404);

    // The console's diff view says what changed in words, not colour alone.
    let (status, html) = app
        .get_page(&format!("/admin/incidents/{id}/report/versions/2"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Changes since version 1"), "{html}");
    assert!(html.contains("<li class=\"added\">"), "{html}");
    assert!(
        html.contains("Added: </span>Failed over to the replica."),
        "{html}"
    );

    let entries = app
        .app_state
        .db
        .run(|conn| {
            audit::search(
                conn,
                &AuditFilter {
                    action: Some("report.".into()),
                    ..AuditFilter::default()
                },
                100,
                0,
            )
        })
        .await
        .unwrap();
    for action in [
        "report.edit",
        "report.submit",
        "report.review",
        "report.return",
        "report.approve",
        "report.revise",
    ] {
        assert!(
            entries.iter().any(|e| e.action == action),
            "{action} audited"
        );
    }
}

#[tokio::test]
async fn the_postmortem_appears_only_once_approved_and_published_without_internal_text() {
    let app = spawn_app().await;
    let s = staff(&app).await;
    let id = incident(&app, &s).await;
    let (status, body) = patch(
        &app,
        &s.mim,
        id,
        json!({"description": "Checkout failed for **all** customers. <script>alert(1)</script>",
               "links": [{"label": "JIRA", "url": "https://jira.internal.example/browse/OPS-1"}],
               "client_impact": "Customers could not pay.",
               "resolution": "Restarted the database.",
               "worked_well": "INTERNAL-RETRO paging was quick.",
               "did_not_work": "INTERNAL-RETRO the runbook was stale.",
               "recommendations": "- Add a replica"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .send_json(
            &s.reviewer,
            Method::POST,
            &format!("/api/v1/incidents/{id}/action-items"),
            Some(json!({"action": "Add a replica", "responsibility": "Alice Internal", "priority": "high"})),
        )
        .await;
    assert_eq!(status, 201);

    let (status, body) = step(&app, &s.mim, id, "publish", None).await;
    assert_eq!(status, 409, "nothing approved yet: {body}");
    assert!(message(&body).contains("approved"), "{body}");
    let (_, html) = app.get_page(&format!("/incidents/{id}")).await;
    assert!(!html.contains("Postmortem"));

    approve_all(&app, &s, id).await;
    let (_, html) = app.get_page(&format!("/incidents/{id}")).await;
    assert!(!html.contains("Postmortem"), "approved but not published");

    for token in [&s.comms, &s.reviewer, &s.approver, &s.viewer] {
        let (status, body) = step(&app, token, id, "publish", None).await;
        assert_eq!(status, 403, "{body}");
    }
    let (status, body) = step(&app, &s.mim, id, "publish", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["published"], true);

    let (status, html) = app.get_page(&format!("/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Postmortem"), "{html}");
    assert!(
        html.contains("Checkout failed for <strong>all</strong> customers."),
        "{html}"
    );
    assert!(html.contains("Customers could not pay."));
    assert!(html.contains("Restarted the database."));
    assert!(html.contains("<li>Add a replica</li>"), "{html}");
    assert!(html.contains("1 h 05 min"), "{html}");
    assert!(!html.contains("<script>alert"), "sanitised");
    for internal in ["INTERNAL-RETRO", "jira.internal.example", "Alice Internal"] {
        assert!(!html.contains(internal), "{internal} leaked: {html}");
    }

    // A new draft never reaches the public page; the approved version stays.
    assert_eq!(step(&app, &s.mim, id, "revise", None).await.0, 200);
    assert_eq!(
        patch(
            &app,
            &s.mim,
            id,
            json!({"description": "DRAFT-ONLY wording"})
        )
        .await
        .0,
        200
    );
    let (_, html) = app.get_page(&format!("/incidents/{id}")).await;
    assert!(html.contains("Postmortem"));
    assert!(!html.contains("DRAFT-ONLY"), "{html}");

    let (status, body) = step(&app, &s.mim, id, "unpublish", None).await;
    assert_eq!(status, 200, "{body}");
    let (_, html) = app.get_page(&format!("/incidents/{id}")).await;
    assert!(!html.contains("Postmortem"));
}

#[tokio::test]
async fn action_items_are_validated_field_by_field_and_kept_by_the_right_roles() {
    let app = spawn_app().await;
    let s = staff(&app).await;
    let id = incident(&app, &s).await;
    let path = format!("/api/v1/incidents/{id}/action-items");

    let (status, body) = app
        .send_json(
            &s.comms,
            Method::POST,
            &path,
            Some(json!({"action": "Add an alert"})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    for (input, field) in [
        (json!({"action": "  "}), "`action`"),
        (
            json!({"action": "Add an alert", "priority": "urgent"}),
            "priority",
        ),
        (
            json!({"action": "Add an alert", "due_on": "31/12/2026"}),
            "`due_on`",
        ),
        (
            json!({"action": "Add an alert", "status": "finished"}),
            "status",
        ),
    ] {
        let (status, body) = app
            .send_json(&s.reviewer, Method::POST, &path, Some(input.clone()))
            .await;
        assert_eq!(status, 422, "{input}: {body}");
        assert!(message(&body).contains(field), "{input}: {body}");
    }
    let (status, item) = app
        .send_json(
            &s.reviewer,
            Method::POST,
            &path,
            Some(json!({"action": "Add an alert", "responsibility": "SRE", "priority": "high", "due_on": "2026-12-01"})),
        )
        .await;
    assert_eq!(status, 201, "{item}");
    assert_eq!(item["status"], "open");
    assert_eq!(item["due_on"], "2026-12-01");
    let item_path = format!("/api/v1/action-items/{}", item["id"]);

    // Action items move on after approval: the frozen version keeps its copy.
    approve_all(&app, &s, id).await;
    let (status, done) = app
        .send_json(
            &s.mim,
            Method::PATCH,
            &item_path,
            Some(json!({"status": "done", "due_on": null})),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "done");
    assert!(done["done_at"].is_string());
    assert_eq!(done["due_on"], Value::Null);
    let (_, v1) = app
        .send_json(
            &s.viewer,
            Method::GET,
            &format!("/api/v1/incidents/{id}/report/versions/1"),
            None,
        )
        .await;
    assert_eq!(v1["action_items"][0]["status"], "open", "{v1}");

    let (status, list) = app.send_json(&s.viewer, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _) = app
        .send_json(&s.viewer, Method::DELETE, &item_path, None)
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .send_json(&s.reviewer, Method::DELETE, &item_path, None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .send_json(
            &s.reviewer,
            Method::PATCH,
            &item_path,
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_console_runs_the_workflow_through_forms() {
    let app = spawn_app().await;
    let s = staff(&app).await;
    let id = incident(&app, &s).await;
    let page = format!("/admin/incidents/{id}/report");

    app.sign_in_as("mim2@example.com", Role::IncidentManager)
        .await;
    let (status, html) = app.get_page(&page).await;
    assert_eq!(status, 200);
    for words in [
        "Incident Description",
        "Client Impact",
        "Incident Resolution",
        "What Worked Well",
        "What Didn’t Work Well",
        "Recommendations",
        "Post incident action items",
        "Second Level Support On-Site",
        "1 h 05 min",
        "Submit for review",
        "<label for=\"links\">",
    ] {
        assert!(html.contains(words), "{words}");
    }
    let (_, incidents) = app.get_page("/admin/incidents").await;
    assert!(
        incidents.contains(&format!("href=\"/admin/incidents/{id}/report\"")),
        "{incidents}"
    );
    assert!(incidents.contains("Report not started"));
    let (_, console) = app.get_page(&format!("/admin/incidents/{id}")).await;
    assert!(console.contains(&format!("href=\"/admin/incidents/{id}/report\"")));

    let (status, _, body) = app
        .post_form(
            &page,
            &[
                ("description", "Kept text"),
                ("links", "https://no-label.example"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("Links, line 1"), "{body}");
    assert!(body.contains("Kept text"), "typed text is kept");
    let (status, location, _) = app
        .post_form(
            &page,
            &[
                ("description", "Checkout failed."),
                ("links", "JIRA https://jira.example.com/browse/OPS-1"),
                ("resolution", "Restarted."),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some(format!("{page}?done=saved").as_str())
    );
    let (status, location, _) = app.post_form(&format!("{page}/submit"), &[]).await;
    assert_eq!(status, 303, "{location:?}");
    let (status, _, body) = app.post_form(&page, &[("description", "changed")]).await;
    assert_eq!(status, 409);
    assert!(body.contains("cannot be edited in place"), "{body}");

    app.sign_in_as("ad@example.com", Role::Reviewer).await;
    let (_, html) = app.get_page(&page).await;
    assert!(html.contains("Mark as reviewed"));
    assert!(
        !html.contains(&format!("action=\"/admin/incidents/{id}/report\"")),
        "no section form for the reviewer"
    );
    let (status, _, body) = app.post_form(&format!("{page}/approve"), &[]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("only an approver"), "{body}");
    let (status, _, body) = app
        .post_form(
            &format!("/admin/incidents/{id}/action-items"),
            &[
                ("action", ""),
                ("priority", "high"),
                ("status", "open"),
                ("due_on", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("say what has to be done"), "{body}");
    let (status, _, _) = app
        .post_form(
            &format!("/admin/incidents/{id}/action-items"),
            &[
                ("action", "Add a replica"),
                ("responsibility", "DBA team"),
                ("priority", "high"),
                ("status", "open"),
                ("due_on", "2026-12-15"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = app.post_form(&format!("{page}/review"), &[]).await;
    assert_eq!(status, 303);

    app.sign_in_as("dir@example.com", Role::Approver).await;
    let (_, html) = app.get_page(&page).await;
    assert!(html.contains("DBA team"));
    assert!(html.contains(">Approve</button>"), "{html}");
    let (status, location, _) = app.post_form(&format!("{page}/approve"), &[]).await;
    assert_eq!(status, 303);
    let (_, html) = app.get_page(&location.unwrap()).await;
    assert!(html.contains("Report approved."));
    assert!(html.contains(&format!("href=\"/admin/incidents/{id}/report/versions/1\"")));
    assert!(
        html.contains("cannot edit this report"),
        "the reason editing is closed"
    );
    let (status, html) = app.get_page(&format!("{page}/versions/1")).await;
    assert_eq!(status, 200);
    assert!(html.contains("first approved version"));
    assert!(html.contains("DBA team"));
    let (_, incidents) = app.get_page("/admin/incidents").await;
    assert!(incidents.contains("Report v1: approved"), "{incidents}");

    // The MIM sees publish allowed; the approver sees it disabled with the reason.
    assert!(html_has_disabled(&app.get_page(&page).await.1, "publish"));
    app.sign_in_as("mim3@example.com", Role::IncidentManager)
        .await;
    let (_, html) = app.get_page(&page).await;
    assert!(html.contains("approved and frozen"), "{html}");
    assert!(html.contains(">Start a new version</button>"));
    let (status, _, _) = app.post_form(&format!("{page}/publish"), &[]).await;
    assert_eq!(status, 303);
    let (_, public) = app.get_page(&format!("/incidents/{id}")).await;
    assert!(public.contains("Postmortem") && public.contains("Checkout failed."));

    // Action items move on after approval, through the console too.
    let item = [
        ("action", "Add a replica"),
        ("responsibility", "DBA team"),
        ("priority", "high"),
        ("status", "done"),
        ("due_on", "2026-12-15"),
    ];
    let (status, _, _) = app.post_form("/admin/action-items/1", &item).await;
    assert_eq!(status, 303);
    let (_, html) = app.get_page(&page).await;
    assert!(html.contains("<td>Done</td>"), "{html}");
    let (status, _, body) = app
        .post_form(
            "/admin/action-items/1",
            &[("action", "x"), ("priority", "urgent"), ("status", "open")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("is not a priority"), "{body}");
    let (status, _, _) = app.post_form("/admin/action-items/1/delete", &[]).await;
    assert_eq!(status, 303);
    let (_, html) = app.get_page(&page).await;
    assert!(html.contains("No action items yet."));
    let (_, html) = app.get_page(&format!("{page}/versions/1")).await;
    assert!(
        html.contains("DBA team"),
        "the approved version keeps its copy"
    );
}

fn html_has_disabled(html: &str, action: &str) -> bool {
    html.contains(&format!("aria-describedby=\"why-{action}\""))
}

#[tokio::test]
async fn two_approvals_at_once_make_one_version() {
    let app = spawn_app().await;
    let s = staff(&app).await;
    let second = app.token_for("director2@example.com", Role::Approver).await;
    let id = incident(&app, &s).await;
    assert_eq!(
        patch(&app, &s.mim, id, json!({"description": "Once."}))
            .await
            .0,
        200
    );
    for (token, action) in [(&s.mim, "submit"), (&s.reviewer, "review")] {
        assert_eq!(step(&app, token, id, action, None).await.0, 200);
    }
    let (a, b) = tokio::join!(
        step(&app, &s.approver, id, "approve", None),
        step(&app, &second, id, "approve", None)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.1, b.1);
    let (_, versions) = app
        .send_json(
            &s.viewer,
            Method::GET,
            &format!("/api/v1/incidents/{id}/report/versions"),
            None,
        )
        .await;
    assert_eq!(versions.as_array().unwrap().len(), 1);
}

/// A role that may not keep action items is told so (403) whatever it
/// typed, in the console and the API: the permission is checked before the
/// form (issue 13, defect 8).
#[tokio::test]
async fn a_viewer_posting_an_invalid_action_item_is_refused_not_corrected() {
    let app = spawn_app().await;
    let s = staff(&app).await;
    let id = incident(&app, &s).await;
    let (status, body) = app
        .send_json(
            &s.mim,
            Method::POST,
            &format!("/api/v1/incidents/{id}/action-items"),
            Some(json!({"action": "Add an alert"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let item = body["id"].as_i64().unwrap();

    let invalid = [
        ("action", ""),
        ("priority", "urgent"),
        ("status", "finished"),
        ("due_on", "31/12/2026"),
    ];
    app.sign_in_as("viewer-console@example.com", Role::Viewer)
        .await;
    let (status, _, body) = app
        .post_form(&format!("/admin/incidents/{id}/action-items"), &invalid)
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = app
        .post_form(&format!("/admin/action-items/{item}"), &invalid)
        .await;
    assert_eq!(status, 403, "{body}");

    let (status, body) = app
        .send_json(
            &s.viewer,
            Method::POST,
            &format!("/api/v1/incidents/{id}/action-items"),
            Some(json!({"action": " ", "priority": "urgent"})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = app
        .send_json(
            &s.viewer,
            Method::PATCH,
            &format!("/api/v1/action-items/{item}"),
            Some(json!({"due_on": "31/12/2026"})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
}
