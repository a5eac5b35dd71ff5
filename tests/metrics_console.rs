//! The console page `/admin/metrics`: the API's figures as tables, SVG charts
//! and lists, for signed-in staff.
//!
//! Seed (UTC page, period 2026-11-02 … 2026-11-08): A (P1) restored after
//! 60 min, B (P1, hostile name) on-site after 60 min (breaches P1's 15 min)
//! and restored after 120 min, on the same component as A (a recurrence).

use serde_json::{json, Value};
use sitrep::domain::role::Role;

use crate::helpers::*;

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

async fn resolve(app: &TestApp, token: &str, id: &Value, on_site: &str, at: &str) {
    let response = app
        .api(token)
        .patch(app.url(&format!("/api/v1/incidents/{id}")))
        .json(&json!({ "operations_on_site_at": on_site }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = app
        .api(token)
        .post(app.url(&format!("/api/v1/incidents/{id}/updates")))
        .json(&json!({"status": "resolved", "external_body": "Fixed.", "display_at": at}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
}

const HOSTILE: &str = "<script>alert(1)</script> & \"checkout\"";

async fn seed(app: &TestApp) -> (Value, Value) {
    let token = app
        .token_for("mim@example.com", Role::IncidentManager)
        .await;
    let admin = app.admin_token().await;
    let x = app
        .create_component(&admin, json!({"name": "Checkout API"}))
        .await;
    let a = open(
        app,
        &token,
        json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
        "started_at": "2026-11-02T10:00:00Z",
        "components": {x["id"].to_string(): "major_outage"},
        "update": {"external_body": "Investigating.", "display_at": "2026-11-02T10:05:00Z"}}),
    )
    .await;
    resolve(
        app,
        &token,
        &a["id"],
        "2026-11-02T10:10:00Z",
        "2026-11-02T11:00:00Z",
    )
    .await;
    let b = open(
        app,
        &token,
        json!({"name": HOSTILE, "impact": "major", "urgency": "high",
        "started_at": "2026-11-03T10:00:00Z",
        "components": {x["id"].to_string(): "degraded_performance"},
        "update": {"external_body": "Looking.", "display_at": "2026-11-03T10:15:00Z"}}),
    )
    .await;
    resolve(
        app,
        &token,
        &b["id"],
        "2026-11-03T11:15:00Z",
        "2026-11-03T12:00:00Z",
    )
    .await;
    (a, b)
}

#[tokio::test]
async fn staff_see_the_figures_charts_and_lists_of_a_period() {
    let app = spawn_app().await;
    let (a, b) = seed(&app).await;
    app.sign_in_as("viewer@example.com", Role::Viewer).await;

    let (status, html) = app
        .get_page("/admin/metrics?from=2026-11-02&to=2026-11-08")
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("2 incidents from 2026-11-02 to 2026-11-08"),
        "{html}"
    );
    // Restore: 60 and 120 min → median 1 h 00 min, p90 2 h 00 min, mean 1 h 30 min.
    let restore = &html[html.find("id=\"metric-time_to_restore\"").unwrap()..];
    let restore = &restore[..restore.find("</table>").unwrap()];
    assert!(
        restore.contains(
            "<td data-label=\"Median\">1 h 00 min</td><td data-label=\"p90\">2 h 00 min</td><td data-label=\"Mean\">1 h 30 min</td>"
        ),
        "{restore}"
    );
    // No incident in the previous period: nothing to compare the median with.
    assert!(
        html.contains("↑ 2 more incidents than the previous period"),
        "{html}"
    );
    // Charts: accessible SVG with visible values.
    assert!(html.contains("role=\"img\""));
    assert!(html.contains(
        "<title id=\"restore-chart-title\">Median time to restore by priority (wall clock)</title>"
    ));
    assert!(
        html.contains("<desc id=\"restore-chart-desc\">P1: 1 h 00 min</desc>"),
        "{html}"
    );
    assert!(html.contains("<title id=\"weekly-chart-title\">"));
    assert!(html.contains("2 Nov: 2"), "{html}");
    // The breach, the recurrence and the downloads.
    assert!(
        html.contains("time to on-site</td><td>15 min</td><td>1 h 00 min</td><td>wall clock"),
        "{html}"
    );
    assert!(html.contains(&format!("<a href=\"/admin/incidents/{}\">Checkout errors</a> → <a href=\"/admin/incidents/{}\">", a["id"], b["id"])), "{html}");
    assert!(html.contains(
        "on Checkout API <span class=\"hint\">(no action items recorded for the earlier incident)</span></li>"
    ), "{html}");
    // Handlebars writes `=` as `&#x3D;` in attributes; browsers read it back.
    let links = html.replace("&#x3D;", "=").replace("&amp;", "&");
    assert!(links.contains("href=\"/api/v1/metrics.csv?from=2026-11-02T00%3A00%3A00.000Z&to=2026-11-09T00%3A00%3A00.000Z\""));
    assert!(links.contains("href=\"/api/v1/metrics?from=2026-11-02T00%3A00%3A00.000Z&to=2026-11-09T00%3A00%3A00.000Z\""));
    assert!(html.contains("aria-current=\"page\">Metrics</a>"));
    // The hostile name is escaped everywhere.
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    // The CSV link works with the session cookie.
    let csv = app
        .browser
        .get(app.url("/api/v1/metrics.csv?from=2026-11-02T00:00:00Z&to=2026-11-09T00:00:00Z"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
}

#[tokio::test]
async fn bad_dates_show_the_page_again_with_a_message() {
    let app = spawn_app().await;
    app.sign_in_as("viewer@example.com", Role::Viewer).await;
    let (status, html) = app
        .get_page("/admin/metrics?from=2026-13-45&to=2026-11-08")
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(html.contains("YYYY-MM-DD"));
    assert!(html.contains("value=\"2026-13-45\""));
    let (status, html) = app
        .get_page("/admin/metrics?from=2026-11-08&to=2026-11-02")
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("is after the end"), "{html}");
    // The default period renders.
    let (status, html) = app.get_page("/admin/metrics").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("0 incidents from"));
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in() {
    let app = spawn_app().await;
    let response = app
        .browser
        .get(app.url("/admin/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "/admin/login?next=%2Fadmin%2Fmetrics"
    );
}
