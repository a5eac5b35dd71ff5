use serde_json::{json, Value};
use sitrep::domain::role::Role;

use crate::helpers::*;

#[tokio::test]
async fn a_first_run_shows_all_systems_operational() {
    let app = spawn_app().await;
    let (status, html) = app.get_page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("All Systems Operational"));
    assert!(html.contains("No components are listed yet"));
    assert!(
        app.setup_link
            .as_deref()
            .is_some_and(|l| l.contains("/setup/")),
        "first run prints a set-up link"
    );
    let summary = app.get_json("/api/v2/summary.json").await;
    assert_eq!(
        summary["status"],
        json!({"indicator": "none", "description": "All Systems Operational"})
    );
    assert_eq!(summary["components"], json!([]));
    assert_eq!(summary["incidents"], json!([]));
    assert_eq!(summary["scheduled_maintenances"], json!([]));
}

#[tokio::test]
async fn summary_json_uses_statuspage_field_names() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let group = app
        .api(&token)
        .post(app.url("/api/v1/component-groups"))
        .json(&json!({"component_group": {"name": "Core"}}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    app.create_component(
        &token,
        json!({"name": "API", "group_id": group["id"], "description": "Public REST API"}),
    )
    .await;
    let summary = app.get_json("/api/v2/summary.json").await;
    let page = summary["page"].as_object().unwrap();
    for key in ["id", "name", "url", "time_zone", "updated_at"] {
        assert!(page.contains_key(key), "page.{key} missing");
    }
    assert_eq!(summary["page"]["name"], "Acme");
    assert_eq!(summary["page"]["time_zone"], "Etc/UTC");
    let components = summary["components"].as_array().unwrap();
    assert_eq!(components.len(), 2, "the group and its component");
    let grp = &components[0];
    assert_eq!(grp["group"], true);
    assert_eq!(grp["components"], json!([components[1]["id"]]));
    let api = &components[1];
    for key in [
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "position",
        "description",
        "showcase",
        "start_date",
        "group_id",
        "page_id",
        "group",
        "only_show_if_degraded",
    ] {
        assert!(api.get(key).is_some(), "component.{key} missing in {api}");
    }
    assert!(api["id"].is_string(), "ids are strings as in Statuspage");
    assert_eq!(api["group_id"], grp["id"]);
    assert_eq!(api["status"], "operational");
    assert_eq!(api["description"], "Public REST API");
    assert_eq!(api["page_id"], "sitrep");
    let updated_at = api["updated_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(updated_at).is_ok(),
        "{updated_at}"
    );

    let status = app.get_json("/api/v2/status.json").await;
    assert_eq!(
        status.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["page", "status"]
    );
    let components = app.get_json("/api/v2/components.json").await;
    assert_eq!(components["components"].as_array().unwrap().len(), 2);
    for path in [
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
    ] {
        assert_eq!(app.get_json(path).await["incidents"], json!([]), "{path}");
    }
    for path in [
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
    ] {
        assert_eq!(
            app.get_json(path).await["scheduled_maintenances"],
            json!([]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_banner_follows_statuspage_rules() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let web = app
        .create_component(&token, json!({"name": "Website"}))
        .await;
    let cases = [
        (
            "operational",
            "operational",
            "none",
            "All Systems Operational",
        ),
        (
            "degraded_performance",
            "operational",
            "minor",
            "Partially Degraded Service",
        ),
        (
            "degraded_performance",
            "degraded_performance",
            "minor",
            "Degraded System Service",
        ),
        (
            "partial_outage",
            "operational",
            "minor",
            "Minor Service Outage",
        ),
        (
            "partial_outage",
            "partial_outage",
            "major",
            "Partial System Outage",
        ),
        (
            "major_outage",
            "operational",
            "major",
            "Partial System Outage",
        ),
        (
            "major_outage",
            "major_outage",
            "critical",
            "Major System Outage",
        ),
        (
            "under_maintenance",
            "operational",
            "maintenance",
            "Service Under Maintenance",
        ),
    ];
    for (a, b, indicator, description) in cases {
        app.set_status(&token, &api["id"], a).await;
        app.set_status(&token, &web["id"], b).await;
        let status = app.get_json("/api/v2/status.json").await;
        assert_eq!(status["status"]["indicator"], indicator, "{a} + {b}");
        assert_eq!(status["status"]["description"], description, "{a} + {b}");
        let (_, html) = app.get_page("/").await;
        assert!(html.contains(description), "page shows {description}");
    }
}

#[tokio::test]
async fn customers_never_see_internal_components_but_staff_do() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    app.create_component(&token, json!({"name": "Checkout"}))
        .await;
    app.create_component(
        &token,
        json!({"name": "Billing batch", "audience": "internal", "status": "major_outage"}),
    )
    .await;
    let (_, html) = app.get_page("/").await;
    assert!(html.contains("Checkout"));
    assert!(!html.contains("Billing batch"));
    assert!(
        html.contains("All Systems Operational"),
        "internal outages do not move the public banner"
    );
    let summary = app.get_json("/api/v2/summary.json").await;
    assert_eq!(summary["components"].as_array().unwrap().len(), 1);
    assert!(!summary.to_string().contains("Billing batch"));

    app.sign_in_as("viewer@example.com", Role::Viewer).await;
    let (status, html) = app.get_page("/internal").await;
    assert_eq!(status, 200);
    assert!(html.contains("Billing batch"));
    assert!(html.contains("Partial System Outage"));
    let internal = app
        .browser
        .get(app.url("/internal/api/v2/summary.json"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(internal["components"].as_array().unwrap().len(), 2);
    assert!(internal["page"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/internal"));
    let via_token = app
        .api(&token)
        .get(app.url("/internal/api/v2/components.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        via_token.status().as_u16(),
        200,
        "scripts may read internal JSON with a token"
    );
}

#[tokio::test]
async fn anonymous_visitors_cannot_read_the_internal_page() {
    let app = spawn_app().await;
    let response = app.browser.get(app.url("/internal")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "/admin/login?next=%2Finternal"
    );
    let response = reqwest::get(app.url("/internal/api/v2/summary.json"))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Bearer"));
    let response = reqwest::Client::new()
        .get(app.url("/internal/api/v2/summary.json"))
        .bearer_auth("sitrep_not_a_real_token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn pages_are_served_with_etags_gzip_and_short_public_caching() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder().gzip(false).build().unwrap();
    let first = client.get(app.url("/")).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(first.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public, max-age="));
    assert_eq!(first.headers()["vary"], "Accept-Encoding");
    let again = client
        .get(app.url("/"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let gzipped = client
        .get(app.url("/api/v2/summary.json"))
        .header("Accept-Encoding", "gzip, deflate")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let compressed = gzipped.bytes().await.unwrap();
    assert_eq!(&compressed[..2], &[0x1f, 0x8b], "a gzip stream");

    let token = app.admin_token().await;
    app.create_component(&token, json!({"name": "API"})).await;
    let changed = client
        .get(app.url("/"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status().as_u16(), 200, "a write changes the ETag");
    assert!(changed.text().await.unwrap().contains("API"));
}

#[tokio::test]
async fn public_json_is_readable_cross_origin_but_internal_json_is_not() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let response = client
        .get(app.url("/api/v2/status.json"))
        .header("Origin", "https://widgets.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let preflight = client
        .request(reqwest::Method::OPTIONS, app.url("/api/v2/summary.json"))
        .header("Origin", "https://widgets.example.org")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let token = app.admin_token().await;
    let internal = app
        .api(&token)
        .get(app.url("/internal/api/v2/status.json"))
        .header("Origin", "https://widgets.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(internal.status().as_u16(), 200);
    assert!(internal
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn components_that_only_show_when_degraded_appear_when_degraded() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let cdn = app
        .create_component(
            &token,
            json!({"name": "Legacy CDN", "only_show_if_degraded": true}),
        )
        .await;
    assert!(!app.get_page("/").await.1.contains("Legacy CDN"));
    app.set_status(&token, &cdn["id"], "degraded_performance")
        .await;
    let (_, html) = app.get_page("/").await;
    assert!(html.contains("Legacy CDN"));
    assert!(html.contains("Degraded performance"));
}

#[tokio::test]
async fn operators_get_health_and_readiness() {
    let app = spawn_app().await;
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let ready = app.get_json("/readyz").await;
    assert_eq!(ready["status"], "ready");
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(ready["database"], backend);
}

#[tokio::test]
async fn unknown_documents_and_pages_are_clear_404s() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/api/v2/nope.json")).await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("summary.json"));
    let (status, html) = app.get_page("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("There is no page at /no/such/page"));
}

#[tokio::test]
async fn operators_can_override_a_template_without_rebuilding() {
    let overrides = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(overrides.path().join("pages")).unwrap();
    std::fs::write(
        overrides.path().join("pages/status.hbs"),
        "<!doctype html><title>{{title}}</title><p>Custom page for {{page_name}}: {{banner_description}}</p>",
    )
    .unwrap();
    let dir = overrides.path().display().to_string();
    let app = spawn_app_with(move |raw| raw.templates_dir = Some(dir)).await;
    let (_, html) = app.get_page("/").await;
    assert!(
        html.contains("Custom page for Acme: All Systems Operational"),
        "{html}"
    );
    let (status, login) = app.get_page("/admin/login").await;
    assert_eq!(status, 200, "templates not overridden stay embedded");
    assert!(login.contains("Sign in"));
}

#[tokio::test]
async fn gzip_is_sent_only_when_its_q_value_accepts_it() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder().gzip(false).build().unwrap();
    for (accept, gzip) in [
        ("gzip;q=0", false),
        ("gzip; q=0.0, deflate", false),
        ("deflate, *;q=0", false),
        ("identity", false),
        ("*;q=0, gzip;q=0", false),
        ("gzip;q=0.5, identity;q=0.8", false),
        ("GZIP;Q=0.5", true),
        ("gzip;q=1.0, identity;q=0.5", true),
        ("*", true),
        ("br, gzip, deflate", true),
    ] {
        let response = client
            .get(app.url("/api/v2/summary.json"))
            .header("Accept-Encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let encoding = response.headers().get("content-encoding").cloned();
        let body = response.bytes().await.unwrap();
        if gzip {
            assert_eq!(encoding.unwrap(), "gzip", "{accept}");
            assert_eq!(&body[..2], &[0x1f, 0x8b], "{accept}");
        } else {
            assert!(encoding.is_none(), "{accept}: {encoding:?}");
            assert_eq!(body[0], b'{', "{accept}");
        }
    }
}

/// The levels of the page's headings, in order.
fn heading_levels(html: &str) -> Vec<u32> {
    html.match_indices("<h")
        .filter_map(|(i, _)| {
            let rest = &html[i + 2..];
            let level = rest.chars().next()?.to_digit(10)?;
            let after = rest.chars().nth(1)?;
            ((1..=6).contains(&level) && (after == '>' || after == ' ')).then_some(level)
        })
        .collect()
}

/// What the Nu HTML Checker found on the pages: a favicon `data:` URI with
/// raw spaces, a heading level skipped, a `<label for>` naming no form control.
fn assert_valid_markup(path: &str, html: &str) {
    let icon = html
        .split("<link rel=\"icon\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("{path} has a favicon"));
    assert!(
        !icon.contains(' '),
        "{path}: favicon URI has a space: {icon}"
    );
    let levels = heading_levels(html);
    for pair in levels.windows(2) {
        assert!(
            pair[1] <= pair[0] + 1,
            "{path}: h{} follows h{} ({levels:?})",
            pair[1],
            pair[0]
        );
    }
    for (i, _) in html.match_indices("<label for=\"") {
        let id = html[i + 12..].split('"').next().unwrap();
        let target = format!(" id=\"{id}\"");
        let at = html
            .find(&target)
            .unwrap_or_else(|| panic!("{path}: label for {id} names no element"));
        let tag = html[..at].rsplit('<').next().unwrap();
        assert!(
            ["input", "select", "textarea"]
                .iter()
                .any(|t| tag.starts_with(t)),
            "{path}: label for {id} names a <{tag}>"
        );
    }
}

#[tokio::test]
async fn incident_pages_have_valid_favicons_headings_and_labels() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let response = app
        .api(&token)
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
                      "update": {"external_body": "Investigating.", "internal_body": "Pager went off."}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let incident: Value = response.json().await.unwrap();
    let id = &incident["id"];
    let external = [
        "/".to_string(),
        format!("/incidents/{id}"),
        "/history".to_string(),
        "/subscribe".to_string(),
    ];
    for path in &external {
        let (status, html) = app.get_page(path).await;
        assert_eq!(status, 200, "{path}");
        assert_valid_markup(path, &html);
    }
    // A viewer: the console's Time Summary is read only.
    app.sign_in_as("viewer@example.com", Role::Viewer).await;
    let staff = [
        "/internal".to_string(),
        format!("/internal/incidents/{id}"),
        format!("/admin/incidents/{id}"),
    ];
    for path in &staff {
        let (status, html) = app.get_page(path).await;
        assert_eq!(status, 200, "{path}");
        assert_valid_markup(path, &html);
    }
    let console = format!("/admin/incidents/{id}");
    let (_, html) = app.get_page(&console).await;
    assert!(html.contains("Time Summary"));
    assert_valid_markup(&console, &html);
}

#[tokio::test]
async fn the_maintenance_form_has_consecutive_headings() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let maintenance = app
        .create_maintenance(
            &token,
            json!({"name": "Upgrade", "scheduled_for": "2031-03-01T02:00:00Z",
                   "scheduled_until": "2031-03-01T04:00:00Z", "components": [api["id"]]}),
        )
        .await;
    app.sign_in_as("admin@example.com", Role::Admin).await;
    let path = format!("/admin/maintenances/{}/edit", maintenance["id"]);
    let (status, html) = app.get_page(&path).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"updates\""),
        "the form lists the updates"
    );
    assert_valid_markup(&path, &html);
}
