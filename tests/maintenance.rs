//! Scheduled maintenance: the API, the scheduler driven with chosen times,
//! recurring windows, roles, the console form and the calendar feed.

use chrono::NaiveDateTime;
use reqwest::Method;
use serde_json::{json, Value};
use sitrep::app::scheduler::run_due;
use sitrep::db::models::{audit, components, maintenances};
use sitrep::domain::role::Role;

use crate::helpers::*;

fn at(rfc3339: &str) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .naive_utc()
}

async fn quiet_app() -> TestApp {
    spawn_app_with(|raw| raw.scheduler = false).await
}

async fn component_status(app: &TestApp, token: &str, id: &Value) -> String {
    let (status, body) = app
        .send_json(
            token,
            Method::GET,
            &format!("/api/v1/components/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    body["status"].as_str().unwrap().to_string()
}

async fn maintenance(app: &TestApp, token: &str, id: &Value) -> Value {
    let (status, body) = app
        .send_json(
            token,
            Method::GET,
            &format!("/api/v1/maintenances/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn scheduling_through_the_api_says_what_to_fix_and_writes_nothing_on_error() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let good = json!({
        "name": "Database upgrade",
        "body": "We upgrade the **database**.",
        "scheduled_for": "2031-03-01T02:00:00Z",
        "scheduled_until": "2031-03-01T04:00:00Z",
        "components": [api["id"]],
    });
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with("scheduled_until", json!("2031-03-01T01:00:00Z")),
            "The maintenance must end after it starts: scheduled_until 2031-03-01T01:00:00Z is not after scheduled_for 2031-03-01T02:00:00Z.",
        ),
        (
            with("components", json!([api["id"], 999])),
            "There is no component with id 999",
        ),
        (
            with("rrule", json!("FREQ=SOMETIMES")),
            "The recurrence rule \"FREQ=SOMETIMES\" is not valid: ",
        ),
        (
            with("rrule", json!("FREQ=WEEKLY;BYDAY=SU")),
            "first occurrence of \"FREQ=WEEKLY;BYDAY=SU\" is 2031-03-02T02:00:00Z",
        ),
        (
            with("scheduled_for", json!("tomorrow")),
            "Field `scheduled_for`: \"tomorrow\" is not an RFC 3339 time",
        ),
        (with("name", json!("  ")), "Give the maintenance a name."),
        (with("colour", json!("red")), "unknown field `colour`"),
    ];
    for (body, expected) in cases {
        let (status, answer) = app
            .send_json(
                &token,
                Method::POST,
                "/api/v1/maintenances",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 422, "{body} → {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(expected),
            "{message:?} should say {expected:?}"
        );
    }
    let (_, answer) = app
        .send_json(
            &token,
            Method::POST,
            "/api/v1/maintenances",
            Some(with("rrule", json!("FREQ=SOMETIMES"))),
        )
        .await;
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("SOMETIMES") && message.contains("FREQ=WEEKLY;BYDAY=SA;COUNT=4"),
        "{message}"
    );
    let (_, list) = app
        .send_json(&token, Method::GET, "/api/v1/maintenances", None)
        .await;
    assert_eq!(list, json!([]), "nothing was written");

    let response = app
        .api(&token)
        .post(app.url("/api/v1/maintenances"))
        .json(&json!({"maintenance": good}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/maintenances/{}", created["id"]));
    assert_eq!(created["status"], "scheduled");
    assert_eq!(created["scheduled_for"], "2031-03-01T02:00:00.000Z");
    assert_eq!(created["auto_start"], true);
    assert_eq!(created["auto_end"], true);
    assert_eq!(created["rrule"], Value::Null);
    assert_eq!(created["components"][0]["name"], "API");
    assert_eq!(created["updates"][0]["status"], "scheduled");
    assert_eq!(
        created["updates"][0]["body"],
        "We upgrade the **database**."
    );

    let (status, patched) = app
        .send_json(
            &token,
            Method::PATCH,
            &location,
            Some(json!({"name": "Database upgrade (v16)", "scheduled_until": "2031-03-01T05:00:00Z", "auto_end": false})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["name"], "Database upgrade (v16)");
    assert_eq!(patched["scheduled_until"], "2031-03-01T05:00:00.000Z");
    assert_eq!(
        patched["scheduled_for"], "2031-03-01T02:00:00.000Z",
        "absent fields stay"
    );
    assert_eq!(patched["auto_end"], false);
    let (status, answer) = app
        .send_json(
            &token,
            Method::PATCH,
            &location,
            Some(json!({"scheduled_until": "2031-03-01T01:00:00Z"})),
        )
        .await;
    assert_eq!(status, 422, "{answer}");

    let (status, _) = app.send_json(&token, Method::DELETE, &location, None).await;
    assert_eq!(status, 204);
    let (status, _) = app.send_json(&token, Method::GET, &location, None).await;
    assert_eq!(status, 404);
    let actions: Vec<String> = app
        .app_state
        .db
        .run(|c| audit::latest(c, 3))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            "maintenance.delete",
            "maintenance.update",
            "maintenance.create"
        ]
    );
}

#[tokio::test]
async fn auto_start_puts_components_under_maintenance_and_auto_end_gives_their_status_back() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let db = app
        .create_component(
            &token,
            json!({"name": "Database", "status": "degraded_performance"}),
        )
        .await;
    let untouched = app
        .create_component(&token, json!({"name": "Website"}))
        .await;
    let created = app
        .create_maintenance(
            &token,
            json!({
                "name": "Database upgrade",
                "scheduled_for": "2031-03-01T02:00:00Z",
                "scheduled_until": "2031-03-01T04:00:00Z",
                "components": [api["id"], db["id"]],
            }),
        )
        .await;
    let id = created["id"].clone();
    let state = &app.app_state;

    assert_eq!(run_due(state, at("2031-03-01T01:59:59Z")).await.unwrap(), 0);
    assert_eq!(
        component_status(&app, &token, &api["id"]).await,
        "operational"
    );

    assert_eq!(run_due(state, at("2031-03-01T02:00:00Z")).await.unwrap(), 1);
    assert_eq!(
        component_status(&app, &token, &api["id"]).await,
        "under_maintenance"
    );
    assert_eq!(
        component_status(&app, &token, &db["id"]).await,
        "under_maintenance"
    );
    assert_eq!(
        component_status(&app, &token, &untouched["id"]).await,
        "operational"
    );
    let now = maintenance(&app, &token, &id).await;
    assert_eq!(now["status"], "in_progress");
    assert_eq!(now["started_at"], "2031-03-01T02:00:00.000Z");
    let status = app.get_json("/api/v2/status.json").await;
    assert_eq!(
        status["status"]["indicator"], "maintenance",
        "the public page follows"
    );

    assert_eq!(
        run_due(state, at("2031-03-01T02:00:00Z")).await.unwrap(),
        0,
        "a second run at the same time changes nothing"
    );
    assert_eq!(run_due(state, at("2031-03-01T03:00:00Z")).await.unwrap(), 0);

    assert_eq!(run_due(state, at("2031-03-01T04:00:00Z")).await.unwrap(), 1);
    assert_eq!(
        component_status(&app, &token, &api["id"]).await,
        "operational"
    );
    assert_eq!(
        component_status(&app, &token, &db["id"]).await,
        "degraded_performance"
    );
    let done = maintenance(&app, &token, &id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["completed_at"], "2031-03-01T04:00:00.000Z");
    let statuses: Vec<&str> = done["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["completed", "in_progress", "scheduled"]);
    assert_eq!(run_due(state, at("2031-03-01T04:00:00Z")).await.unwrap(), 0);
    assert_eq!(run_due(state, at("2031-03-09T00:00:00Z")).await.unwrap(), 0);

    let api_id = api["id"].as_i64().unwrap();
    let history = state
        .db
        .run(move |c| components::status_changes(c, api_id))
        .await
        .unwrap();
    let moves: Vec<(String, String, String)> = history
        .into_iter()
        .map(|h| (h.from_status, h.to_status, h.actor))
        .collect();
    assert_eq!(
        moves,
        vec![
            (
                "operational".into(),
                "under_maintenance".into(),
                "scheduler".into()
            ),
            (
                "under_maintenance".into(),
                "operational".into(),
                "scheduler".into()
            ),
        ]
    );
}

#[tokio::test]
async fn a_status_changed_by_hand_during_the_window_is_kept_at_the_end() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    app.create_maintenance(
        &token,
        json!({"name": "Upgrade", "scheduled_for": "2031-03-01T02:00:00Z",
               "scheduled_until": "2031-03-01T04:00:00Z", "components": [api["id"]]}),
    )
    .await;
    run_due(&app.app_state, at("2031-03-01T02:00:00Z"))
        .await
        .unwrap();
    app.set_status(&token, &api["id"], "major_outage").await;
    run_due(&app.app_state, at("2031-03-01T04:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        component_status(&app, &token, &api["id"]).await,
        "major_outage"
    );
}

#[tokio::test]
async fn a_recurring_maintenance_moves_to_its_next_window_until_the_rule_is_exhausted() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let created = app
        .create_maintenance(
            &token,
            json!({
                "name": "Weekly patching",
                "scheduled_for": "2031-03-01T02:00:00Z",
                "scheduled_until": "2031-03-01T03:00:00Z",
                "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=3",
                "components": [api["id"]],
            }),
        )
        .await;
    let id = created["id"].clone();
    assert_eq!(created["rrule"], "FREQ=WEEKLY;BYDAY=SA;COUNT=3");
    assert_eq!(created["recurrence_start"], "2031-03-01T02:00:00.000Z");
    let state = &app.app_state;
    for (day, next) in [("01", Some("08")), ("08", Some("15")), ("15", None)] {
        assert_eq!(
            run_due(state, at(&format!("2031-03-{day}T02:00:00Z")))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            component_status(&app, &token, &api["id"]).await,
            "under_maintenance"
        );
        assert_eq!(
            maintenance(&app, &token, &id).await["status"],
            "in_progress"
        );
        assert_eq!(
            run_due(state, at(&format!("2031-03-{day}T03:00:00Z")))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            component_status(&app, &token, &api["id"]).await,
            "operational"
        );
        let m = maintenance(&app, &token, &id).await;
        match next {
            Some(next) => {
                assert_eq!(
                    m["status"], "scheduled",
                    "back to scheduled after day {day}"
                );
                assert_eq!(m["scheduled_for"], format!("2031-03-{next}T02:00:00.000Z"));
                assert_eq!(
                    m["scheduled_until"],
                    format!("2031-03-{next}T03:00:00.000Z")
                );
                assert_eq!(m["recurrence_start"], "2031-03-01T02:00:00.000Z");
                assert_eq!(m["started_at"], Value::Null);
            }
            None => {
                assert_eq!(m["status"], "completed", "COUNT=3 is exhausted");
                assert_eq!(m["scheduled_for"], "2031-03-15T02:00:00.000Z");
                assert_eq!(m["completed_at"], "2031-03-15T03:00:00.000Z");
            }
        }
    }
    assert_eq!(run_due(state, at("2031-03-22T02:00:00Z")).await.unwrap(), 0);
}

#[tokio::test]
async fn two_instances_running_the_scheduler_at_once_apply_each_move_once() {
    let app = quiet_app().await;
    let other = spawn_app_on(app.database.clone(), |raw| raw.scheduler = false).await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    for n in 0..3 {
        app.create_maintenance(
            &token,
            json!({"name": format!("Upgrade {n}"), "scheduled_for": "2031-03-01T02:00:00Z",
                   "scheduled_until": "2031-03-01T04:00:00Z", "components": [api["id"]]}),
        )
        .await;
    }
    let start = at("2031-03-01T02:00:00Z");
    let (a, b) = tokio::join!(
        run_due(&app.app_state, start),
        run_due(&other.app_state, start)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 3, "each maintenance started once");
    let end = at("2031-03-01T04:00:00Z");
    let (a, b) = tokio::join!(run_due(&app.app_state, end), run_due(&other.app_state, end));
    assert_eq!(a.unwrap() + b.unwrap(), 3, "each maintenance ended once");
    assert_eq!(
        component_status(&app, &token, &api["id"]).await,
        "operational"
    );
    let api_id = api["id"].as_i64().unwrap();
    let history = app
        .app_state
        .db
        .run(move |c| components::status_changes(c, api_id))
        .await
        .unwrap();
    assert_eq!(
        history.len(),
        2,
        "one change in, one change out: {history:?}"
    );
}

#[tokio::test]
async fn viewers_read_maintenance_and_communication_managers_run_it() {
    let app = quiet_app().await;
    let viewer = app.token_for("viewer@example.com", Role::Viewer).await;
    let comms = app
        .token_for("comms@example.com", Role::CommsExternal)
        .await;
    let admin = app.admin_token().await;
    let api = app.create_component(&admin, json!({"name": "API"})).await;
    let body = json!({"name": "Upgrade", "scheduled_for": "2031-03-01T02:00:00Z",
                      "scheduled_until": "2031-03-01T04:00:00Z", "components": [api["id"]]});
    let (status, answer) = app
        .send_json(
            &viewer,
            Method::POST,
            "/api/v1/maintenances",
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Viewer"));
    let created = app.create_maintenance(&comms, body).await;
    assert_eq!(created["created_by"], "comms@example.com");
    let path = format!("/api/v1/maintenances/{}", created["id"]);
    let (status, list) = app
        .send_json(&viewer, Method::GET, "/api/v1/maintenances", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    for (method, suffix, body) in [
        (Method::PATCH, "", Some(json!({"name": "Mine now"}))),
        (
            Method::POST,
            "/updates",
            Some(json!({"status": "in_progress"})),
        ),
        (Method::DELETE, "", None),
    ] {
        let (status, _) = app
            .send_json(&viewer, method, &format!("{path}{suffix}"), body)
            .await;
        assert_eq!(status, 403);
    }

    let updates = format!("{path}/updates");
    let (status, moved) = app
        .send_json(
            &comms,
            Method::POST,
            &updates,
            Some(json!({"status": "in_progress", "body": "Starting early."})),
        )
        .await;
    assert_eq!(status, 201, "{moved}");
    assert_eq!(moved["status"], "in_progress");
    assert_eq!(moved["updates"][0]["body"], "Starting early.");
    assert_eq!(
        component_status(&app, &comms, &api["id"]).await,
        "under_maintenance"
    );
    let (status, noted) = app
        .send_json(
            &comms,
            Method::POST,
            &updates,
            Some(json!({"update": {"body": "Half way."}})),
        )
        .await;
    assert_eq!(status, 201, "{noted}");
    assert_eq!(noted["status"], "in_progress", "a note keeps the status");
    let (status, answer) = app
        .send_json(
            &comms,
            Method::POST,
            &updates,
            Some(json!({"status": "scheduled"})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cannot go back to scheduled"));
    let (status, answer) = app
        .send_json(
            &comms,
            Method::PATCH,
            &path,
            Some(json!({"scheduled_for": "2031-03-01T01:00:00Z"})),
        )
        .await;
    assert_eq!(
        status, 422,
        "the start of a started maintenance is fixed: {answer}"
    );
    let (status, _) = app
        .send_json(
            &comms,
            Method::POST,
            &updates,
            Some(json!({"status": "verifying"})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        component_status(&app, &comms, &api["id"]).await,
        "under_maintenance"
    );
    let (status, done) = app
        .send_json(
            &comms,
            Method::POST,
            &updates,
            Some(json!({"status": "completed"})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["updates"][0]["body"],
        "The scheduled maintenance has been completed."
    );
    assert_eq!(
        component_status(&app, &comms, &api["id"]).await,
        "operational"
    );
    let (status, _) = app.send_json(&comms, Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn the_console_schedules_maintenance_in_the_page_time_zone() {
    let app = spawn_app_with(|raw| {
        raw.scheduler = false;
        raw.time_zone = "Europe/Paris".into();
    })
    .await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let db = app
        .create_component(&token, json!({"name": "Database"}))
        .await;
    app.sign_in_as("comms@example.com", Role::CommsInternal)
        .await;

    let (status, page) = app.get_page("/admin/maintenances/new").await;
    assert_eq!(status, 200);
    assert!(page.contains("type=\"datetime-local\""), "{page}");
    assert!(page.contains("FREQ=WEEKLY;BYDAY=SA;COUNT=4"));
    assert!(page.contains(&format!("name=\"components\" value=\"{}\"", api["id"])));
    assert!(page.contains("Europe/Paris"));
    let (_, page) = app.get_page("/admin").await;
    assert!(
        page.contains("href=\"/admin/maintenances\""),
        "the nav links to it"
    );

    let api_id = api["id"].to_string();
    let db_id = db["id"].to_string();
    let hostile = "<script>alert('x')</script> \"Upgrade\"";
    let mut fields = vec![
        ("name", hostile),
        ("body", "Details: <img src=x onerror=alert(1)>"),
        ("scheduled_for", "2031-03-01T03:00"),
        ("scheduled_until", "2031-03-01T02:00"),
        ("components", api_id.as_str()),
        ("components", db_id.as_str()),
        ("auto_start", "on"),
        ("auto_end", "on"),
    ];
    let (status, _, page) = app.post_form("/admin/maintenances", &fields).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("must end after it starts"), "{page}");
    assert!(!page.contains("<script>alert"), "the typed name is escaped");
    fields[3] = ("scheduled_until", "2031-03-01T05:00");
    let (status, location, page) = app.post_form("/admin/maintenances", &fields).await;
    assert_eq!(status, 303, "{page}");
    assert_eq!(
        location.as_deref(),
        Some("/admin/maintenances?done=maintenance-created")
    );

    let (_, list) = app
        .send_json(&token, Method::GET, "/api/v1/maintenances", None)
        .await;
    let created = &list[0];
    assert_eq!(
        created["scheduled_for"], "2031-03-01T02:00:00.000Z",
        "03:00 in Paris is 02:00 UTC"
    );
    assert_eq!(created["components"].as_array().unwrap().len(), 2);
    assert_eq!(created["created_by"], "comms@example.com");
    let (status, page) = app
        .get_page("/admin/maintenances?done=maintenance-created")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Maintenance scheduled."));
    assert!(page.contains("01 Mar 2031, 03:00 CET"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");
    assert!(!page.contains("<script>alert"));

    let id = created["id"].to_string();
    let (status, page) = app
        .get_page(&format!("/admin/maintenances/{id}/edit"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"2031-03-01T03:00\""), "{page}");
    assert!(
        !page.contains("onerror=alert(1)>"),
        "typed text is escaped, rendered text sanitised"
    );
    assert!(
        page.contains("Details: &lt;img src"),
        "the textarea shows what was typed"
    );
    let (status, location, page) = app
        .post_form(
            &format!("/admin/maintenances/{id}/updates"),
            &[("status", "in_progress"), ("body", "")],
        )
        .await;
    assert_eq!(status, 303, "{page}");
    assert_eq!(
        location.as_deref(),
        Some("/admin/maintenances?done=update-posted")
    );
    assert_eq!(
        component_status(&app, &token, &api["id"]).await,
        "under_maintenance"
    );

    // Extending a maintenance under way from the same form keeps its start.
    fields[0] = ("name", "Upgrade");
    fields[3] = ("scheduled_until", "2031-03-01T06:00");
    let (status, _, page) = app
        .post_form(&format!("/admin/maintenances/{id}"), &fields)
        .await;
    assert_eq!(status, 303, "{page}");
    let m = maintenance(&app, &token, &created["id"]).await;
    assert_eq!(m["scheduled_until"], "2031-03-01T05:00:00.000Z");
    assert_eq!(m["name"], "Upgrade");

    let (status, location, _) = app
        .post_form(&format!("/admin/maintenances/{id}/delete"), &[])
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/admin/maintenances?done=maintenance-deleted")
    );
    assert_eq!(
        component_status(&app, &token, &api["id"]).await,
        "operational"
    );

    let viewer = spawn_app_on(app.database.clone(), |raw| raw.scheduler = false).await;
    viewer.sign_in_as("viewer@example.com", Role::Viewer).await;
    let (status, _) = viewer.get_page("/admin/maintenances").await;
    assert_eq!(status, 200, "viewers may read the list");
    let (status, _) = viewer.get_page("/admin/maintenances/new").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_maintenance_calendar_is_valid_icalendar() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let hidden = app
        .create_component(
            &token,
            json!({"name": "Build farm", "audience": "internal"}),
        )
        .await;
    let once = app
        .create_maintenance(
            &token,
            json!({"name": "Database upgrade; part 1, the primary", "body": "We **upgrade** the [database](https://example.com).",
                   "scheduled_for": "2031-03-01T02:00:00Z", "scheduled_until": "2031-03-01T04:00:00Z",
                   "components": [api["id"]]}),
        )
        .await;
    let weekly = app
        .create_maintenance(
            &token,
            json!({"name": "Weekly patching", "scheduled_for": "2031-03-01T05:00:00Z",
                   "scheduled_until": "2031-03-01T06:00:00Z", "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=4"}),
        )
        .await;
    app.create_maintenance(
        &token,
        json!({"name": "Build farm move", "scheduled_for": "2031-03-02T02:00:00Z",
               "scheduled_until": "2031-03-02T04:00:00Z", "components": [hidden["id"]]}),
    )
    .await;

    let response = reqwest::get(app.url("/maintenance.ics")).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let ics = response.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.trim_end().ends_with("END:VCALENDAR"));
    assert!(ics.contains("VERSION:2.0"));
    assert_eq!(
        ics.matches("BEGIN:VEVENT").count(),
        2,
        "internal-only maintenance stays off: {ics}"
    );
    assert_eq!(ics.matches("DTSTAMP:").count(), 2);
    assert!(
        ics.contains(&format!("UID:maintenance-{}@127.0.0.1", once["id"])),
        "{ics}"
    );
    assert!(ics.contains(&format!("UID:maintenance-{}@127.0.0.1", weekly["id"])));
    assert!(ics.contains("DTSTART:20310301T020000Z"));
    assert!(ics.contains("DTEND:20310301T040000Z"));
    assert!(
        ics.contains("SUMMARY:Database upgrade\\; part 1\\, the primary"),
        "{ics}"
    );
    assert!(
        ics.contains("DESCRIPTION:We upgrade the database."),
        "plain text: {ics}"
    );
    assert_eq!(ics.matches("RRULE:").count(), 1);
    assert!(ics.contains("RRULE:FREQ=WEEKLY;BYDAY=SA;COUNT=4\r\n"));

    let again = reqwest::Client::new()
        .get(app.url("/maintenance.ics"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    if python_validator("icalendar") {
        let file = app.database.dir.path().join("maintenance.ics");
        std::fs::write(&file, &ics).unwrap();
        let checker = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/feeds/check_ics.py");
        let output = std::process::Command::new("python3")
            .arg(checker)
            .arg(&file)
            .arg("2")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "Python's icalendar refused the feed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[tokio::test]
async fn the_page_gets_statuspage_shaped_maintenance() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let hidden = app
        .create_component(
            &token,
            json!({"name": "Build farm", "audience": "internal"}),
        )
        .await;
    let created = app
        .create_maintenance(
            &token,
            json!({"name": "Upgrade", "body": "Short.", "scheduled_for": "2031-03-01T02:00:00Z",
                   "scheduled_until": "2031-03-01T04:00:00Z", "components": [api["id"], hidden["id"]]}),
        )
        .await;
    let list = app
        .app_state
        .db
        .run(maintenances::load_for_page)
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let json =
        sitrep::render::maintenance::statuspage_json(&list[0], "sitrep", &app.app_state.settings);
    assert_eq!(json["id"], created["id"].to_string());
    assert_eq!(json["status"], "scheduled");
    assert_eq!(json["impact"], "maintenance");
    assert_eq!(json["page_id"], "sitrep");
    assert_eq!(json["monitoring_at"], Value::Null);
    assert_eq!(json["resolved_at"], Value::Null);
    assert_eq!(json["scheduled_for"], "2031-03-01T02:00:00.000Z");
    assert_eq!(json["scheduled_until"], "2031-03-01T04:00:00.000Z");
    assert!(json["shortlink"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/#maintenance-{}", created["id"])));
    assert_eq!(json["incident_updates"][0]["body"], "Short.");
    assert_eq!(json["incident_updates"][0]["status"], "scheduled");
    let names: Vec<&str> = json["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["API"],
        "customers never see internal components"
    );
    for key in [
        "created_at",
        "updated_at",
        "started_at",
        "incident_updates",
        "components",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    let sections = sitrep::render::maintenance::page_sections(
        &list,
        sitrep::domain::status::Audience::External,
        chrono_tz::UTC,
    );
    assert_eq!(sections.upcoming.len(), 1);
    assert_eq!(sections.upcoming[0].components, vec!["API"]);
    assert!(sections.active.is_empty());
}

#[tokio::test]
async fn the_scheduler_started_with_the_service_runs_by_itself() {
    let app = spawn_app_with(|raw| raw.scheduler_interval_ms = 100).await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let now = chrono::Utc::now();
    let created = app
        .create_maintenance(
            &token,
            json!({"name": "Now", "components": [api["id"]],
                   "scheduled_for": (now - chrono::Duration::minutes(1)).to_rfc3339(),
                   "scheduled_until": (now + chrono::Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    let mut status = String::new();
    for _ in 0..100 {
        status = maintenance(&app, &token, &created["id"]).await["status"]
            .as_str()
            .unwrap()
            .to_string();
        if status == "in_progress" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "in_progress", "started within five seconds");
    assert_eq!(
        component_status(&app, &token, &api["id"]).await,
        "under_maintenance"
    );
}

#[tokio::test]
async fn customers_see_upcoming_and_active_maintenance_on_the_page_and_in_the_json() {
    let app = quiet_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let hidden = app
        .create_component(
            &token,
            json!({"name": "Batch jobs", "audience": "internal"}),
        )
        .await;
    app.create_maintenance(
        &token,
        json!({
            "name": "Database upgrade <b>tonight</b>",
            "body": "Expect **short** interruptions.",
            "scheduled_for": "2031-03-01T02:00:00Z",
            "scheduled_until": "2031-03-01T04:00:00Z",
            "components": [api["id"], hidden["id"]],
        }),
    )
    .await;
    let (_, html) = app.get_page("/").await;
    assert!(html.contains("Scheduled maintenance"));
    assert!(
        html.contains("Database upgrade &lt;b&gt;tonight&lt;/b&gt;"),
        "names are escaped"
    );
    assert!(html.contains("<strong>short</strong>"));
    assert!(
        !html.contains("Batch jobs"),
        "internal components stay internal"
    );
    let upcoming = app
        .get_json("/api/v2/scheduled-maintenances/upcoming.json")
        .await;
    assert_eq!(
        upcoming["scheduled_maintenances"].as_array().unwrap().len(),
        1
    );
    let m = &upcoming["scheduled_maintenances"][0];
    assert_eq!(m["status"], "scheduled");
    assert_eq!(m["impact"], "maintenance");
    assert!(m["scheduled_for"]
        .as_str()
        .unwrap()
        .starts_with("2031-03-01T02:00:00"));
    assert!(!m.to_string().contains("Batch jobs"));
    assert_eq!(
        app.get_json("/api/v2/scheduled-maintenances/active.json")
            .await["scheduled_maintenances"],
        json!([])
    );
    assert_eq!(
        app.get_json("/api/v2/summary.json").await["scheduled_maintenances"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    run_due(&app.app_state, at("2031-03-01T02:00:00Z"))
        .await
        .unwrap();
    let active = app
        .get_json("/api/v2/scheduled-maintenances/active.json")
        .await;
    assert_eq!(active["scheduled_maintenances"][0]["status"], "in_progress");
    let (_, html) = app.get_page("/").await;
    assert!(html.contains("Maintenance under way"));
    assert!(html.contains("Service Under Maintenance"));
    run_due(&app.app_state, at("2031-03-01T04:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        app.get_json("/api/v2/summary.json").await["scheduled_maintenances"],
        json!([])
    );
    let all = app.get_json("/api/v2/scheduled-maintenances.json").await;
    assert_eq!(all["scheduled_maintenances"][0]["status"], "completed");
}
