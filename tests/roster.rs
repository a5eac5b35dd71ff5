//! The roster (main and backup contact per incident role), role holdings and
//! handovers on incidents, and the SLA result of one incident, through the
//! API and the console.
//!
//! The SLA seed (UTC; support hours Mon–Fri 09:00–17:00 UTC; P1 targets on
//! the wall clock: 30 min to on-site, 4 h to restore):
//!
//! | milestone | time |
//! |---|---|
//! | Failure Occurred | Fri 2026-01-09 16:00 |
//! | Operations Notified | Fri 2026-01-09 16:30 |
//! | Operations On-Site | Sat 2026-01-10 10:00 |
//! | Services Restored | Mon 2026-01-12 10:00 |
//!
//! Time to on-site: 17 h 30 (63 000 s) on the wall clock, breached by 17 h
//! (61 200 s); 30 min (1 800 s) in support hours (Fri 16:30–17:00), met.
//! Time to restore: 66 h (237 600 s) on the wall clock, breached by 62 h
//! (223 200 s); 2 h (7 200 s) in support hours (Fri 16:00–17:00 and Mon
//! 09:00–10:00), met.

use reqwest::Method;
use serde_json::{json, Value};
use sitrep::domain::metrics::SlaTargetConfig;
use sitrep::domain::role::Role;

use crate::helpers::*;

async fn open_incident(app: &TestApp, token: &str, body: Value) -> i64 {
    let (status, created) = app
        .send_json(token, Method::POST, "/api/v1/incidents", Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

async fn simple_incident(app: &TestApp, token: &str) -> i64 {
    open_incident(
        app,
        token,
        json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
               "update": {"external_body": "Investigating."}}),
    )
    .await
}

#[tokio::test]
async fn the_roster_is_read_by_everyone_and_changed_by_managers_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let manager = app
        .token_for("mim@example.com", Role::IncidentManager)
        .await;
    let comms = app
        .token_for("comms@example.com", Role::CommsExternal)
        .await;
    let viewer = app.token_for("viewer@example.com", Role::Viewer).await;

    let (status, roster) = app
        .send_json(&viewer, Method::GET, "/api/v1/roster", None)
        .await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = roster
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "major_incident_manager",
            "communication_manager_internal",
            "communication_manager_external",
            "customer_support_lead",
            "social_media_lead",
            "second_level_support",
            "third_level_support"
        ]
    );
    assert!(roster[0]["main"].is_null());
    assert_eq!(
        roster[0]["duties"][0],
        "Assess the severity (service and customer impact)"
    );

    let body = json!({"main": {"name": "Ana Lima", "email": "Ana@Example.com", "phone": "+33 1 23 45 67 89"},
                      "backup": {"name": "Bo Chen"}});
    for (token, expected) in [
        (&comms, 403),
        (&viewer, 403),
        (&manager, 200),
        (&admin, 200),
    ] {
        let (status, answer) = app
            .send_json(
                token,
                Method::PUT,
                "/api/v1/roster/major_incident_manager",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, expected, "{answer}");
    }
    let (_, roster) = app
        .send_json(&viewer, Method::GET, "/api/v1/roster", None)
        .await;
    assert_eq!(roster[0]["main"]["name"], "Ana Lima");
    assert_eq!(roster[0]["main"]["email"], "ana@example.com");
    assert_eq!(roster[0]["backup"]["name"], "Bo Chen");
    assert!(roster[0]["backup"]["email"].is_null());
    assert_eq!(roster[0]["updated_by"], "admin-bot@example.com");

    // The console: a viewer reads the page but has no form and cannot post.
    app.sign_in_as("v2@example.com", Role::Viewer).await;
    let (status, html) = app.get_page("/admin/roster").await;
    assert_eq!(status, 200);
    assert!(html.contains("Major Incident Manager (MIM)"));
    assert!(html.contains("Ana Lima (ana@example.com, +33 1 23 45 67 89)"));
    assert!(html.contains("Social Media Lead"));
    assert!(!html.contains("name=\"main_name\""));
    let (status, _, _) = app
        .post_form("/admin/roster/social_media_lead", &[("main_name", "Eve")])
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn an_incident_manager_edits_the_roster_in_the_console() {
    let app = spawn_app().await;
    app.sign_in_as("mim@example.com", Role::IncidentManager)
        .await;
    let (_, html) = app.get_page("/admin/roster").await;
    assert!(html.contains("id=\"social_media_lead-main_name\""));
    let (status, location, body) = app
        .post_form(
            "/admin/roster/social_media_lead",
            &[
                ("main_name", "Sam Social"),
                ("main_email", ""),
                ("main_phone", "555 0100"),
                ("backup_name", ""),
                ("backup_email", ""),
                ("backup_phone", ""),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        location.as_deref(),
        Some("/admin/roster?done=saved#role-social_media_lead")
    );
    let (_, html) = app.get_page("/admin/roster?done=saved").await;
    assert!(html.contains("Roster saved."));
    assert!(html.contains("Sam Social (555 0100)"));

    // A bad backup email: 422, the message names the field, what was typed stays.
    let (status, _, html) = app
        .post_form(
            "/admin/roster/social_media_lead",
            &[
                ("main_name", "Sam Social"),
                ("backup_name", "Kim"),
                ("backup_email", "kim-at-example"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("Backup contact email:"), "{html}");
    assert!(html.contains("value=\"kim-at-example\""));
    // A backup without a name.
    let (status, _, html) = app
        .post_form(
            "/admin/roster/social_media_lead",
            &[("main_name", "Sam"), ("backup_phone", "555 0101")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Backup contact name: enter the person"),
        "{html}"
    );
}

#[tokio::test]
async fn bad_roster_input_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (body, field) in [
        (json!({"main": {"name": "  "}}), "main.name"),
        (
            json!({"main": {"name": "Ana", "email": "nope"}}),
            "main.email",
        ),
        (
            json!({"main": {"name": "Ana", "phone": "call me"}}),
            "main.phone",
        ),
        (
            json!({"main": {"name": "Ana"}, "backup": {"name": "Bo", "email": "bo@"}}),
            "backup.email",
        ),
        (json!({"main": {"name": "Ana", "pager": "1"}}), "pager"),
    ] {
        let (status, answer) = app
            .send_json(
                &admin,
                Method::PUT,
                "/api/v1/roster/customer_support_lead",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 422, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{field}: {message}");
    }
    let (status, answer) = app
        .send_json(
            &admin,
            Method::PUT,
            "/api/v1/roster/chief_of_fun",
            Some(json!({"main": {"name": "Ana"}})),
        )
        .await;
    assert_eq!(status, 404);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("social_media_lead"));
    // Nothing was written.
    let (_, roster) = app
        .send_json(&admin, Method::GET, "/api/v1/roster", None)
        .await;
    assert!(roster
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["main"].is_null()));
}

#[tokio::test]
async fn assigning_and_handing_over_a_role_records_the_history_in_order() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let comms = app
        .token_for("comms@example.com", Role::CommsExternal)
        .await;
    let id = simple_incident(&app, &admin).await;
    let roles_path = format!("/api/v1/incidents/{id}/roles");
    app.send_json(
        &admin,
        Method::PUT,
        "/api/v1/roster/major_incident_manager",
        Some(
            json!({"main": {"name": "Ana Lima", "email": "ana@example.com"},
                    "backup": {"name": "Bo Chen", "phone": "+1 555 0100"}}),
        ),
    )
    .await;

    let (status, roles) = app.send_json(&admin, Method::GET, &roles_path, None).await;
    assert_eq!(status, 200);
    assert_eq!(roles["roles"].as_array().unwrap().len(), 7);
    assert!(roles["roles"][0]["holder"].is_null());
    assert_eq!(roles["history"], json!([]));

    // Only managers assign.
    let (status, _) = app
        .send_json(
            &comms,
            Method::POST,
            &roles_path,
            Some(json!({"role": "major_incident_manager", "from_roster": "main"})),
        )
        .await;
    assert_eq!(status, 403);

    let (status, roles) = app
        .send_json(
            &admin,
            Method::POST,
            &roles_path,
            Some(
                json!({"role": "major_incident_manager", "from_roster": "main",
                        "at": "2026-01-05T09:00:00Z"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{roles}");
    assert_eq!(roles["roles"][0]["holder"]["holder"]["name"], "Ana Lima");
    assert_eq!(
        roles["roles"][0]["holder"]["started_at"],
        "2026-01-05T09:00:00.000Z"
    );

    // The same person again: nothing to hand over.
    let (status, answer) = app
        .send_json(
            &admin,
            Method::POST,
            &roles_path,
            Some(json!({"role": "major_incident_manager",
                        "holder": {"name": "ana lima", "email": "ana@example.com"}})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already holds"));
    // Before the current holding began: refused.
    let (status, _) = app
        .send_json(
            &admin,
            Method::POST,
            &roles_path,
            Some(
                json!({"role": "major_incident_manager", "from_roster": "backup",
                        "at": "2026-01-05T08:00:00Z"}),
            ),
        )
        .await;
    assert_eq!(status, 422);
    // Bad holder: the field is named.
    let (status, answer) = app
        .send_json(
            &admin,
            Method::POST,
            &roles_path,
            Some(json!({"role": "social_media_lead", "holder": {"name": "Kim", "email": "kim@"}})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("holder.email"));
    // The roster has no contact for this role yet.
    let (status, answer) = app
        .send_json(
            &admin,
            Method::POST,
            &roles_path,
            Some(json!({"role": "social_media_lead", "from_roster": "main"})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("from_roster"));

    // Hand over to the backup at 12:00, then to a named person now.
    let (status, _) = app
        .send_json(
            &admin,
            Method::POST,
            &roles_path,
            Some(
                json!({"role": "major_incident_manager", "from_roster": "backup",
                        "at": "2026-01-05T12:00:00Z", "note": "Ana's shift ended"}),
            ),
        )
        .await;
    assert_eq!(status, 201);
    let (status, roles) = app
        .send_json(
            &admin,
            Method::POST,
            &roles_path,
            Some(json!({"role": "major_incident_manager",
                        "holder": {"name": "Cy Diaz", "phone": "555 0199"}})),
        )
        .await;
    assert_eq!(status, 201);
    let history = roles["history"].as_array().unwrap();
    let names: Vec<&str> = history
        .iter()
        .map(|h| h["holder"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ana Lima", "Bo Chen", "Cy Diaz"]);
    assert_eq!(history[0]["ended_at"], "2026-01-05T12:00:00.000Z");
    assert_eq!(history[0]["ended_by"], "admin-bot@example.com");
    assert_eq!(history[1]["started_at"], "2026-01-05T12:00:00.000Z");
    assert_eq!(history[1]["note"], "Ana's shift ended");
    assert_eq!(history[1]["ended_at"], history[2]["started_at"]);
    assert!(history[2]["ended_at"].is_null());
    assert_eq!(roles["roles"][0]["holder"]["holder"]["name"], "Cy Diaz");
    assert_eq!(roles["roles"][0]["holder"]["holder"]["phone"], "555 0199");

    // Unknown incident: 404.
    let (status, _) = app
        .send_json(&admin, Method::GET, "/api/v1/incidents/9999/roles", None)
        .await;
    assert_eq!(status, 404);

    // Every change is in the audit log.
    let (status, html) = {
        app.sign_in_as("root@example.com", Role::Admin).await;
        app.get_page("/admin/audit").await
    };
    assert_eq!(status, 200);
    assert!(html.contains("incident.role_handed_over"));
    assert!(html.contains("roster.update"));
}

#[tokio::test]
async fn the_incident_page_shows_the_holders_and_assigns_from_the_console() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = simple_incident(&app, &admin).await;
    app.send_json(
        &admin,
        Method::PUT,
        "/api/v1/roster/customer_support_lead",
        Some(json!({"main": {"name": "Dee Support", "email": "dee@example.com"}})),
    )
    .await;
    app.sign_in_as("mim@example.com", Role::IncidentManager)
        .await;
    let page = format!("/admin/incidents/{id}");
    let (status, html) = app.get_page(&page).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"roles-heading\""));
    assert!(html.contains("Nobody holds this role."));
    // The Major Incident Manager form offers the signed-in incident manager, chosen.
    assert!(
        html.contains(
            "value=\"me\" checked> <span style=\"overflow-wrap:anywhere\">Me (mim@example.com)"
        ),
        "{html}"
    );
    assert!(html.contains("Main on the roster: Dee Support (dee@example.com)"));

    let path = format!("/admin/incidents/{id}/roles");
    let (status, location, body) = app
        .post_form(&path, &[("role", "major_incident_manager"), ("pick", "me")])
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        location,
        Some(format!("/admin/incidents/{id}?done=role#roles-heading"))
    );
    let (status, _, _) = app
        .post_form(
            &path,
            &[("role", "customer_support_lead"), ("pick", "main")],
        )
        .await;
    assert_eq!(status, 303);
    // A handover to someone typed in, with a note.
    let (status, _, body) = app
        .post_form(
            &path,
            &[
                ("role", "customer_support_lead"),
                ("pick", "other"),
                ("holder_name", "Eli <Night>"),
                ("holder_email", "eli@example.com"),
                ("holder_phone", ""),
                ("note", "Night shift"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    // Someone else without a name: 422 on the incident page, the form open.
    let (status, _, html) = app
        .post_form(
            &path,
            &[
                ("role", "social_media_lead"),
                ("pick", "other"),
                ("holder_email", "x@example.com"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Someone else, name: enter the person"),
        "{html}"
    );
    assert!(html.contains("value=\"x@example.com\""));

    let (_, html) = app.get_page(&page).await;
    assert!(html.contains("mim@example.com (mim@example.com) <span class=\"hint\">since"));
    assert!(html.contains("Eli &lt;Night&gt; (eli@example.com) <span class=\"hint\">since"));
    assert!(!html.contains("<Night>"));
    let history = &html[html.find("Handover history").unwrap()..];
    let dee = history.find("Dee Support").unwrap();
    let eli = history.find("Eli &lt;Night&gt;").unwrap();
    assert!(dee < eli);
    assert!(history.contains("(handed over by mim@example.com)"));
    assert!(history.contains("Note: Night shift"));

    // A communication manager sees the holders but no form.
    let other = TestApp {
        address: app.address.clone(),
        app_state: app.app_state.clone(),
        setup_link: None,
        browser: browser(),
        database: app.database.clone(),
    };
    other
        .sign_in_as("comms@example.com", Role::CommsExternal)
        .await;
    let (_, html) = other.get_page(&page).await;
    assert!(html.contains("Eli &lt;Night&gt;"));
    assert!(!html.contains(&format!("action=\"/admin/incidents/{id}/roles\"")));
    let (status, _, _) = other
        .post_form(&path, &[("role", "social_media_lead"), ("pick", "me")])
        .await;
    assert_eq!(status, 403);
}

fn sla_settings(raw: &mut sitrep::config::RawSettings) {
    raw.time_zone = "UTC".into();
    raw.support_hours = Some(json!({
        "time_zone": "UTC",
        "monday": ["09:00-17:00"], "tuesday": ["09:00-17:00"], "wednesday": ["09:00-17:00"],
        "thursday": ["09:00-17:00"], "friday": ["09:00-17:00"]
    }));
    raw.sla_targets.clear();
    raw.sla_targets.insert(
        "P1".into(),
        SlaTargetConfig {
            on_site_minutes: 30,
            restore_minutes: 240,
            support_hours: false,
        },
    );
    // A long target in support hours, so an open incident is still running.
    raw.sla_targets.insert(
        "P3".into(),
        SlaTargetConfig {
            on_site_minutes: 1_000_000,
            restore_minutes: 2_000_000,
            support_hours: true,
        },
    );
}

#[tokio::test]
async fn an_incident_shows_whether_it_met_its_sla_in_both_clocks() {
    let app = spawn_app_with(sla_settings).await;
    let admin = app.admin_token().await;
    let id = open_incident(
        &app,
        &admin,
        json!({"name": "Weekend outage", "impact": "major", "urgency": "high",
               "started_at": "2026-01-09T16:00:00Z",
               "update": {"external_body": "Investigating.", "display_at": "2026-01-09T16:30:00Z"}}),
    )
    .await;
    let (status, answer) = app
        .send_json(
            &admin,
            Method::PATCH,
            &format!("/api/v1/incidents/{id}"),
            Some(json!({"operations_on_site_at": "2026-01-10T10:00:00Z",
                        "services_restored_at": "2026-01-12T10:00:00Z"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (_, incident) = app
        .send_json(
            &admin,
            Method::GET,
            &format!("/api/v1/incidents/{id}"),
            None,
        )
        .await;
    assert_eq!(incident["priority"], "P1");
    let sla = &incident["sla"];
    assert_eq!(sla["priority"], "P1");
    let on_site = &sla["time_to_on_site"];
    assert_eq!(on_site["target_seconds"], 1800);
    assert_eq!(on_site["agreed_clock"], "wall_clock");
    assert_eq!(on_site["met"], false);
    assert_eq!(on_site["ended"], true);
    assert_eq!(on_site["wall_clock"]["state"], "breached");
    assert_eq!(on_site["wall_clock"]["actual_seconds"], 63_000);
    assert_eq!(on_site["wall_clock"]["over_seconds"], 61_200);
    assert_eq!(
        on_site["wall_clock"]["deadline"],
        "2026-01-09T17:00:00.000Z"
    );
    assert_eq!(on_site["support_hours"]["met"], true);
    assert_eq!(on_site["support_hours"]["actual_seconds"], 1_800);
    let restore = &sla["time_to_restore"];
    assert_eq!(restore["target_seconds"], 14_400);
    assert_eq!(restore["met"], false);
    assert_eq!(restore["wall_clock"]["actual_seconds"], 237_600);
    assert_eq!(restore["wall_clock"]["over_seconds"], 223_200);
    assert_eq!(restore["support_hours"]["met"], true);
    assert_eq!(restore["support_hours"]["actual_seconds"], 7_200);
    assert_eq!(
        restore["support_hours"]["deadline"],
        "2026-01-12T12:00:00.000Z"
    );

    app.sign_in_as("viewer@example.com", Role::Viewer).await;
    let (status, html) = app.get_page(&format!("/admin/incidents/{id}")).await;
    assert_eq!(status, 200);
    let panel =
        &html[html.find("id=\"sla-heading\"").unwrap()..html.find("id=\"roles-heading\"").unwrap()];
    assert!(panel.contains("Time to on-site: <span class=\"overdue\"><span aria-hidden=\"true\">✗</span> Breached</span>"), "{panel}");
    assert!(panel.contains("Target for P1: 30 min on the wall clock."));
    assert!(
        panel.contains("took 17 h 30 min, 17 h 00 min over (deadline 09 Jan 2026, 17:00 UTC)"),
        "{panel}"
    );
    assert!(panel.contains("Met</span>: took 30 min"));
    assert!(panel.contains("took 2 d 18 h 00 min, 2 d 14 h 00 min over"));
    assert!(panel.contains("Met</span>: took 2 h 00 min"));

    // A P3 still open: running, with time left; no SLA for a P4.
    let open = open_incident(
        &app,
        &admin,
        json!({"name": "Slow search", "impact": "minor", "urgency": "medium",
               "update": {"external_body": "Looking."}}),
    )
    .await;
    let (_, incident) = app
        .send_json(
            &admin,
            Method::GET,
            &format!("/api/v1/incidents/{open}"),
            None,
        )
        .await;
    assert_eq!(incident["priority"], "P3", "{incident}");
    let on_site = &incident["sla"]["time_to_on_site"];
    assert!(on_site["met"].is_null());
    assert_eq!(on_site["ended"], false);
    assert_eq!(on_site["support_hours"]["state"], "running");
    let left = on_site["support_hours"]["remaining_seconds"]
        .as_i64()
        .unwrap();
    assert!(left > 0 && left <= 60_000_000, "{left}");
    let (_, html) = app.get_page(&format!("/admin/incidents/{open}")).await;
    assert!(html.contains("Running</span>: not on site yet:"));
    assert!(html.contains("left (deadline"));
    let low = open_incident(
        &app,
        &admin,
        json!({"name": "Typo", "impact": "none", "urgency": "low",
               "update": {"external_body": "Fixing."}}),
    )
    .await;
    let (_, incident) = app
        .send_json(
            &admin,
            Method::GET,
            &format!("/api/v1/incidents/{low}"),
            None,
        )
        .await;
    assert!(incident["sla"].is_null(), "{incident}");
    let (_, html) = app.get_page(&format!("/admin/incidents/{low}")).await;
    assert!(html.contains("No SLA targets are configured for"));
}

#[tokio::test]
async fn the_openapi_document_lists_the_roster_endpoints() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/roster",
        "/api/v1/roster/{role}",
        "/api/v1/incidents/{id}/roles",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert!(doc["components"]["schemas"]["SlaView"].is_object());
}
