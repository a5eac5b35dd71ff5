//! `/api/v1/metrics` and `/api/v1/metrics.csv` on a seeded set of incidents,
//! checked against values computed by hand.
//!
//! The seed (all UTC, support hours Mon–Fri 09:00–17:00 in the page's zone,
//! UTC here, so weekday-office-hours durations are equal in both clocks):
//!
//! | incident | priority | component | started | first update | on-site | resolved |
//! |---|---|---|---|---|---|---|
//! | A | P1 | X | Mon 2026-11-02 10:00 | 10:05 (promise 10:35, kept at 10:30) | 10:10 | 11:00 |
//! | B | P1 | X | Tue 2026-11-03 10:00 | 10:15 (promise 10:45, broken) | 11:15 | 12:00 |
//! | C | P3 | Y | Wed 2026-10-28 10:00 | 10:10 | – | – |
//!
//! Period [2026-11-02, 2026-11-09): A and B. Time to notify 300 s and 900 s →
//! median 300 (nearest rank, the lower middle), p90 900, mean 600. B's
//! on-site (3600 s) breaches P1's 15 minutes. B recurs A on X (1 day apart).
//! The previous period [2026-10-26, 2026-11-02) holds C: notify 600 s, so
//! the median moved by −300 s (−50 %) and the count by +1 (+100 %).

use serde_json::{json, Value};
use sitrep::domain::role::Role;

use crate::helpers::*;

const PERIOD: &str = "from=2026-11-02T00:00:00Z&to=2026-11-09T00:00:00Z";

async fn open(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app
        .api(token)
        .post(app.url("/api/v1/incidents"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.unwrap()
}

async fn patch(app: &TestApp, token: &str, id: &Value, body: Value) {
    let response = app
        .api(token)
        .patch(app.url(&format!("/api/v1/incidents/{id}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
}

pub(crate) async fn update(app: &TestApp, token: &str, id: &Value, body: Value) {
    let response = app
        .api(token)
        .post(app.url(&format!("/api/v1/incidents/{id}/updates")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(status, 201, "{text}");
}

/// Seeds A, B and C; returns (A, B, C, component X).
pub(crate) async fn seed(app: &TestApp, token: &str) -> (Value, Value, Value, Value) {
    let admin = app.admin_token().await;
    let x = app
        .create_component(&admin, json!({"name": "Checkout API"}))
        .await;
    let y = app
        .create_component(&admin, json!({"name": "Search"}))
        .await;
    let a = open(
        app,
        token,
        json!({
        "name": "Checkout \"errors\", EU", "impact": "major", "urgency": "high",
        "started_at": "2026-11-02T10:00:00Z",
        "components": {x["id"].to_string(): "major_outage"},
        "update": {"external_body": "Investigating.", "display_at": "2026-11-02T10:05:00Z",
                   "next_update_by": "2026-11-02T10:35:00Z"}}),
    )
    .await;
    patch(
        app,
        token,
        &a["id"],
        json!({"operations_on_site_at": "2026-11-02T10:10:00Z"}),
    )
    .await;
    update(
        app,
        token,
        &a["id"],
        json!({"status": "identified", "external_body": "Found it.",
        "display_at": "2026-11-02T10:30:00Z"}),
    )
    .await;
    update(
        app,
        token,
        &a["id"],
        json!({"status": "resolved", "external_body": "Fixed.",
        "display_at": "2026-11-02T11:00:00Z"}),
    )
    .await;

    let b = open(
        app,
        token,
        json!({
        "name": "Checkout slow", "impact": "major", "urgency": "high",
        "started_at": "2026-11-03T10:00:00Z",
        "components": {x["id"].to_string(): "degraded_performance"},
        "update": {"external_body": "Looking.", "display_at": "2026-11-03T10:15:00Z",
                   "next_update_by": "2026-11-03T10:45:00Z"}}),
    )
    .await;
    patch(
        app,
        token,
        &b["id"],
        json!({"operations_on_site_at": "2026-11-03T11:15:00Z"}),
    )
    .await;
    update(
        app,
        token,
        &b["id"],
        json!({"status": "resolved", "external_body": "Fixed.",
        "display_at": "2026-11-03T12:00:00Z"}),
    )
    .await;

    let c = open(
        app,
        token,
        json!({
        "name": "Search hiccup", "impact": "minor", "urgency": "medium",
        "started_at": "2026-10-28T10:00:00Z",
        "components": {y["id"].to_string(): "degraded_performance"},
        "update": {"external_body": "Looking.", "display_at": "2026-10-28T10:10:00Z"}}),
    )
    .await;
    (a, b, c, x)
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let response = app.api(token).get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn metrics_of_a_seeded_period_match_hand_computed_values() {
    let app = spawn_app().await;
    let token = app
        .token_for("mim@example.com", Role::IncidentManager)
        .await;
    let (a, b, c, x) = seed(&app, &token).await;
    assert_eq!(c["priority"], "P3");

    let (status, body) = get(&app, &token, &format!("/api/v1/metrics?{PERIOD}")).await;
    assert_eq!(status, 200, "{body}");
    let m: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(m["period"]["from"], "2026-11-02T00:00:00.000Z");
    assert_eq!(m["count"], 2);

    let notify = &m["metrics"]["time_to_notify"];
    for clock in ["wall_clock", "support_hours"] {
        assert_eq!(notify[clock]["count"], 2, "{clock}");
        assert_eq!(notify[clock]["median"], 300, "{clock}: lower middle");
        assert_eq!(notify[clock]["p90"], 900, "{clock}");
        assert_eq!(notify[clock]["mean"].as_f64(), Some(600.0), "{clock}");
    }
    // On-site: 5 min and 60 min; restore: 60 min and 120 min.
    let on_site = &m["metrics"]["time_to_on_site"]["wall_clock"];
    assert_eq!(
        (on_site["median"].as_i64(), on_site["p90"].as_i64()),
        (Some(300), Some(3600))
    );
    assert_eq!(on_site["mean"].as_f64(), Some(1950.0));
    let restore = &m["metrics"]["time_to_restore"]["wall_clock"];
    assert_eq!(
        (restore["median"].as_i64(), restore["mean"].as_f64()),
        (Some(3600), Some(5400.0))
    );
    // First external update equals notification here (5 and 15 minutes).
    assert_eq!(
        m["metrics"]["time_to_first_external_update"]["wall_clock"]["mean"].as_f64(),
        Some(600.0)
    );
    // Gaps: A 25 then 30 minutes → 1800; B 105 minutes → 6300.
    let gap = &m["metrics"]["longest_update_gap"]["wall_clock"];
    assert_eq!(
        (gap["median"].as_i64(), gap["p90"].as_i64()),
        (Some(1800), Some(6300))
    );
    assert_eq!(
        m["metrics"]["time_to_notify"]["definition"],
        "Failure Occurred → Operations Notified"
    );

    assert_eq!(m["promises"]["kept"], 1);
    assert_eq!(m["promises"]["broken"], 1);
    assert_eq!(m["promises"]["share_kept"].as_f64(), Some(0.5));

    assert_eq!(m["by_priority"]["P1"]["count"], 2, "{}", m["by_priority"]);
    assert!(
        m["by_priority"].get("P3").is_none(),
        "C is outside the period"
    );
    let components = m["by_component"].as_array().unwrap();
    assert_eq!(components.len(), 1, "{components:?}");
    assert_eq!(components[0]["component_id"], x["id"]);
    assert_eq!(components[0]["name"], "Checkout API");
    assert_eq!(components[0]["count"], 2);
    assert_eq!(
        components[0]["metrics"]["time_to_notify"]["wall_clock"]["median"],
        300
    );

    assert_eq!(
        m["sla_breaches"],
        json!([{"incident_id": b["id"], "priority": "P1", "kind": "on_site", "target": 900,
                "elapsed": 3600, "clock": "wall_clock", "deadline": "2026-11-03T10:30:00.000Z"}])
    );
    assert_eq!(
        m["recurrences"],
        json!([{"earlier_id": a["id"], "later_id": b["id"], "component_id": x["id"],
                "component_name": "Checkout API", "earlier_action_items": []}])
    );

    let previous = &m["previous_period"];
    assert_eq!(previous["period"]["from"], "2026-10-26T00:00:00.000Z");
    assert_eq!(previous["period"]["to"], "2026-11-02T00:00:00.000Z");
    assert_eq!(previous["count"], 1);
    assert_eq!(previous["count_change"]["delta"].as_f64(), Some(1.0));
    assert_eq!(previous["count_change"]["percent"].as_f64(), Some(100.0));
    let median = &previous["metrics"]["time_to_notify"]["wall_clock"]["median"];
    assert_eq!(median["delta"].as_f64(), Some(-300.0), "{median}");
    assert_eq!(median["percent"].as_f64(), Some(-50.0));
}

/// RFC 4180 fields of one line (no line breaks inside fields here).
fn parse_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (false, '"') if field.is_empty() => quoted = true,
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (_, ch) => field.push(ch),
        }
    }
    fields.push(field);
    fields
}

#[tokio::test]
async fn the_csv_export_has_one_parsable_row_per_incident() {
    let app = spawn_app().await;
    let token = app
        .token_for("mim@example.com", Role::IncidentManager)
        .await;
    let (a, b, _, _) = seed(&app, &token).await;

    let response = app
        .api(&token)
        .get(app.url(&format!("/api/v1/metrics.csv?{PERIOD}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = response.text().await.unwrap();
    assert!(body.ends_with("\r\n"));
    let lines: Vec<&str> = body.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(lines.len(), 3, "{body}");
    let header = parse_line(lines[0]);
    assert_eq!(header.len(), 5 + 7 * 2 + 5, "{header:?}");
    assert_eq!(
        &header[..5],
        ["id", "name", "priority", "impact", "started_at"]
    );
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert!(
        lines[1].contains("\"Checkout \"\"errors\"\", EU\""),
        "{}",
        lines[1]
    );

    let rows: Vec<Vec<String>> = lines[1..].iter().map(|l| parse_line(l)).collect();
    for row in &rows {
        assert_eq!(row.len(), header.len(), "{row:?}");
    }
    let (row_a, row_b) = (&rows[0], &rows[1]);
    assert_eq!(row_a[col("id")], a["id"].to_string());
    assert_eq!(row_a[col("name")], "Checkout \"errors\", EU");
    assert_eq!(row_a[col("priority")], "P1");
    assert_eq!(row_a[col("impact")], "major");
    assert_eq!(row_a[col("started_at")], "2026-11-02T10:00:00.000Z");
    assert_eq!(row_a[col("time_to_notify_wall_clock_s")], "300");
    assert_eq!(row_a[col("time_to_notify_support_hours_s")], "300");
    assert_eq!(row_a[col("time_to_restore_wall_clock_s")], "3600");
    assert_eq!(
        row_a[col("time_to_second_level_wall_clock_s")],
        "",
        "not known"
    );
    assert_eq!(row_a[col("sla_breaches")], "");
    assert_eq!(row_a[col("recurrence")], "false");
    assert_eq!(row_b[col("id")], b["id"].to_string());
    assert_eq!(row_b[col("time_to_notify_wall_clock_s")], "900");
    assert_eq!(row_b[col("sla_breaches")], "on_site");
    assert_eq!(row_b[col("recurrence")], "true");
}

#[tokio::test]
async fn metrics_need_a_token_and_valid_dates() {
    let app = spawn_app().await;
    for path in ["/api/v1/metrics", "/api/v1/metrics.csv"] {
        let response = reqwest::get(app.url(path)).await.unwrap();
        assert_eq!(response.status().as_u16(), 401, "{path}");
    }
    let token = app.token_for("viewer@example.com", Role::Viewer).await;
    let (status, _) = get(&app, &token, "/api/v1/metrics").await;
    assert_eq!(status, 200, "any staff member may read the metrics");

    let (status, body) = get(&app, &token, "/api/v1/metrics?from=yesterday").await;
    assert_eq!(status, 422);
    assert!(body.contains("RFC 3339") && body.contains("from"), "{body}");
    let (status, body) = get(
        &app,
        &token,
        "/api/v1/metrics.csv?from=2026-11-09T00:00:00Z&to=2026-11-02T00:00:00Z",
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("must be before"), "{body}");

    let doc = app.get_json("/api/v1/openapi.json").await;
    for path in ["/api/v1/metrics", "/api/v1/metrics.csv"] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(doc["components"]["schemas"]["MetricsView"].is_object());
}
