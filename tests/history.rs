//! Incident history by month, the RSS and Atom feeds, and the 90-day uptime bars.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};
use sitrep::db::schema::{component_status_changes, components};
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

/// An incident started at `at` (RFC 3339) with one update posted then.
async fn incident_at(app: &TestApp, token: &str, name: &str, at: &str, external: &str) -> Value {
    open_incident(
        app,
        token,
        json!({"name": name, "impact": "minor", "urgency": "low", "started_at": at,
               "update": {"status": "investigating", "external_body": external, "display_at": at}}),
    )
    .await
}

async fn post_update(app: &TestApp, token: &str, id: &Value, body: Value) {
    let response = app
        .api(token)
        .post(app.url(&format!("/api/v1/incidents/{id}/updates")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
}

/// Where `needle` first appears in `haystack`, failing the test when absent.
fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not on the page"))
}

#[tokio::test]
async fn an_empty_history_says_so_kindly() {
    let app = spawn_app().await;
    let (status, html) = app.get_page("/history").await;
    assert_eq!(status, 200);
    assert!(html.contains("Incident history"));
    assert!(html.contains("No incidents to report."));
    assert!(html.contains(r#"aria-current="page""#));
    assert!(!html.contains("Older"));
}

#[tokio::test]
async fn history_groups_incidents_by_month_in_the_page_zone_three_months_a_page() {
    let app = spawn_app_with(|raw| raw.time_zone = "Europe/Paris".into()).await;
    let token = app.admin_token().await;
    incident_at(
        &app,
        &token,
        "Disk full",
        "2025-06-10T10:00:00Z",
        "Disk is full.",
    )
    .await;
    incident_at(
        &app,
        &token,
        "Login slow",
        "2025-07-10T10:00:00Z",
        "Logins are slow.",
    )
    .await;
    let api = incident_at(
        &app,
        &token,
        "API errors",
        "2025-08-10T10:00:00Z",
        "Investigating the API.",
    )
    .await;
    post_update(
        &app,
        &token,
        &api["id"],
        json!({"status": "resolved", "external_body": "Fixed the API.", "display_at": "2025-08-10T12:00:00Z"}),
    )
    .await;
    incident_at(
        &app,
        &token,
        "DNS outage",
        "2025-09-10T10:00:00Z",
        "DNS fails.",
    )
    .await;
    incident_at(
        &app,
        &token,
        "CDN misses",
        "2025-09-20T10:00:00Z",
        "CDN misses.",
    )
    .await;
    // 23:30 UTC on 30 September is already October in Paris.
    incident_at(
        &app,
        &token,
        "Late night blip",
        "2025-09-30T23:30:00Z",
        "A short blip.",
    )
    .await;
    open_incident(
        &app,
        &token,
        json!({"name": "Staff-only drill", "impact": "none", "urgency": "low", "started_at": "2025-11-05T10:00:00Z",
               "update": {"internal_body": "A drill.", "display_at": "2025-11-05T10:00:00Z"}}),
    )
    .await;

    let (status, first) = app.get_page("/history").await;
    assert_eq!(status, 200);
    let october = position(&first, ">October 2025<");
    let september = position(&first, ">September 2025<");
    let august = position(&first, ">August 2025<");
    assert!(october < september && september < august, "newest first");
    assert!(!first.contains("July 2025") && !first.contains("November 2025"));
    let blip = position(&first, "Late night blip");
    assert!(october < blip && blip < september, "the blip is in October");
    assert!(
        position(&first, "CDN misses") < position(&first, "DNS outage"),
        "newest first within a month"
    );
    assert!(first.contains("Fixed the API."), "latest external update");
    assert!(!first.contains("Investigating the API."));
    assert!(first.contains("resolved <time"));
    assert!(first.contains("10 Aug 2025, 12:00 CEST"), "local times");
    assert!(first.contains(r#"href="/incidents/"#));
    assert!(first.contains(r#"href="/history?page=2" rel="next">Older"#));
    assert!(!first.contains("Newer"));
    assert!(!first.contains("Staff-only drill"));

    let (status, second) = app.get_page("/history?page=2").await;
    assert_eq!(status, 200);
    assert!(position(&second, ">July 2025<") < position(&second, ">June 2025<"));
    assert!(second.contains("Disk full") && second.contains("Login slow"));
    assert!(second.contains(r#"href="/history" rel="prev">← Newer"#));
    assert!(!second.contains("Older"));
    assert!(second.contains("Page 2 of 2"));

    let (status, beyond) = app.get_page("/history?page=3").await;
    assert_eq!(status, 404);
    assert!(beyond.contains("no page 3"));
    let (status, _) = app.get_page("/history?page=zero").await;
    assert_eq!(status, 400);

    app.sign_in_as("vic@example.com", Role::Viewer).await;
    let (status, internal) = app.get_page("/internal/history").await;
    assert_eq!(status, 200);
    assert!(position(&internal, ">November 2025<") < position(&internal, ">October 2025<"));
    assert!(internal.contains("Staff-only drill") && internal.contains("A drill."));
    assert!(internal.contains(r#"href="/internal/incidents/"#));
    assert!(!internal.contains("August 2025"), "three months a page");
    let (_, internal_second) = app.get_page("/internal/history?page=2").await;
    assert!(internal_second.contains("August 2025") && internal_second.contains("June 2025"));
}

#[tokio::test]
async fn customers_never_read_internal_text_in_history_or_feeds() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    open_incident(
        &app,
        &token,
        json!({"name": "Checkout errors", "impact": "major", "urgency": "high",
               "update": {"external_body": "We are looking into errors.", "internal_body": "SECRET: db primary is down"}}),
    )
    .await;
    open_incident(
        &app,
        &token,
        json!({"name": "Hidden failover", "impact": "none", "urgency": "low",
               "update": {"internal_body": "SECRET: failover rehearsal"}}),
    )
    .await;
    for path in ["/history", "/history.rss", "/history.atom"] {
        let (status, body) = app.get_page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("Checkout errors"), "{path}");
        assert!(body.contains("We are looking into errors."), "{path}");
        assert!(!body.contains("SECRET"), "{path} shows internal text");
        assert!(
            !body.contains("Hidden failover"),
            "{path} shows an internal incident"
        );
    }

    let anonymous = browser();
    let response = anonymous
        .get(app.url("/internal/history"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "staff only");
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/admin/login"), "{location}");

    app.sign_in_as("vic@example.com", Role::Viewer).await;
    let (status, internal) = app.get_page("/internal/history").await;
    assert_eq!(status, 200);
    assert!(internal.contains("SECRET: db primary is down"));
    assert!(internal.contains("We are looking into errors."));
    assert!(internal.contains("Staff only"));
    assert!(internal.contains("Hidden failover"));
}

#[tokio::test]
async fn history_pages_are_cached_until_the_next_write() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    incident_at(&app, &token, "First", "2026-01-05T10:00:00Z", "One.").await;
    let first = reqwest::get(app.url("/history")).await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(first.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("public"));
    let again = reqwest::Client::new()
        .get(app.url("/history"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    incident_at(&app, &token, "Second", "2026-01-06T10:00:00Z", "Two.").await;
    let (_, html) = app.get_page("/history").await;
    assert!(html.contains("Second"), "a write shows at once");
    let fresh = reqwest::Client::new()
        .get(app.url("/history"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status().as_u16(), 200);
}

#[tokio::test]
async fn the_feeds_are_well_formed_escape_hostile_text_and_link_each_incident() {
    let app = spawn_app_with(|raw| raw.base_url = Some("https://status.example.com".into())).await;
    let token = app.admin_token().await;
    let hostile = r#"<script>alert("x")</script> & "quotes""#;
    let older = incident_at(
        &app,
        &token,
        "Queue delays",
        "2026-02-01T08:00:00Z",
        "Jobs are **delayed**.",
    )
    .await;
    let newer = incident_at(
        &app,
        &token,
        hostile,
        "2026-02-03T09:30:00Z",
        "Oops <script>alert(1)</script> <b>bold</b>",
    )
    .await;
    post_update(
        &app,
        &token,
        &newer["id"],
        json!({"status": "identified", "external_body": "Found it <img src=x onerror=alert(1)>.", "display_at": "2026-02-03T10:00:00Z"}),
    )
    .await;
    let url_of =
        |incident: &Value| format!("https://status.example.com/incidents/{}", incident["id"]);

    let response = reqwest::get(app.url("/history.rss")).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/rss+xml"));
    let rss_text = response.text().await.unwrap();
    assert!(!rss_text.contains("<script"), "{rss_text}");
    assert!(
        !rss_text.contains("onerror"),
        "sanitised HTML only: {rss_text}"
    );
    let channel = rss::Channel::read_from(rss_text.as_bytes()).expect("RSS parses");
    assert_eq!(channel.link(), "https://status.example.com/history");
    let self_link = &channel.atom_ext().expect("atom extension").links()[0];
    assert_eq!(self_link.rel(), "self");
    assert_eq!(self_link.href(), "https://status.example.com/history.rss");
    let items = channel.items();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].title(), Some(hostile));
    assert_eq!(items[0].link(), Some(url_of(&newer).as_str()));
    let guid = items[0].guid().unwrap();
    assert_eq!(guid.value(), url_of(&newer));
    assert!(guid.is_permalink());
    let published =
        chrono::DateTime::parse_from_rfc2822(items[0].pub_date().unwrap()).expect("RFC 822 date");
    assert_eq!(published.to_rfc3339(), "2026-02-03T09:30:00+00:00");
    let description = items[0].description().unwrap();
    assert!(description.contains("Identified") && description.contains("Found it"));
    assert!(!description.contains("Oops"), "the latest update only");
    assert_eq!(items[1].title(), Some("Queue delays"));
    assert!(items[1]
        .description()
        .unwrap()
        .contains("Jobs are <strong>delayed</strong>."));
    assert_eq!(items[1].guid().unwrap().value(), url_of(&older));

    let response = reqwest::get(app.url("/history.atom")).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let atom_text = response.text().await.unwrap();
    assert!(!atom_text.contains("<script"), "{atom_text}");
    let feed = atom_syndication::Feed::read_from(atom_text.as_bytes()).expect("Atom parses");
    assert!(feed
        .links()
        .iter()
        .any(|l| l.rel() == "self" && l.href() == "https://status.example.com/history.atom"));
    let entries = feed.entries();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].id(), url_of(&newer));
    assert_eq!(entries[0].title().as_str(), hostile);
    assert_eq!(entries[0].links()[0].href(), url_of(&newer));
    assert_eq!(
        entries[0].published().unwrap().to_rfc3339(),
        "2026-02-03T09:30:00+00:00"
    );
    assert_eq!(
        entries[0].updated().to_rfc3339(),
        "2026-02-03T10:00:00+00:00"
    );
    let content = entries[0].content().unwrap();
    assert_eq!(content.content_type(), Some("html"));
    assert!(content.value().unwrap().contains("Found it"));
    assert_eq!(feed.updated().to_rfc3339(), "2026-02-03T10:00:00+00:00");
    assert_eq!(entries[1].id(), url_of(&older));

    if python_validator("feedparser") {
        let checker = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/feeds/check_feeds.py");
        let output = std::process::Command::new("python3")
            .arg(checker)
            .args(["--entries", "2"])
            .arg(app.url("/history.rss"))
            .arg(app.url("/history.atom"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "feedparser refused a feed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[tokio::test]
async fn an_empty_feed_is_still_a_valid_feed() {
    let app = spawn_app().await;
    let rss_text = app.get_page("/history.rss").await.1;
    assert!(rss::Channel::read_from(rss_text.as_bytes())
        .unwrap()
        .items()
        .is_empty());
    let atom_text = app.get_page("/history.atom").await.1;
    assert!(atom_syndication::Feed::read_from(atom_text.as_bytes())
        .unwrap()
        .entries()
        .is_empty());
}

/// Backdates a component's creation and writes status changes, then bumps
/// the revision so the snapshots are rebuilt.
async fn rewrite_history(
    app: &TestApp,
    id: i64,
    created_at: NaiveDateTime,
    changes: Vec<(NaiveDateTime, &'static str, &'static str)>,
) {
    app.app_state
        .db
        .run(move |conn| {
            sitrep::on_backend!(conn, |c| {
                diesel::update(components::table.find(id))
                    .set(components::created_at.eq(created_at))
                    .execute(c)?;
                diesel::delete(
                    component_status_changes::table
                        .filter(component_status_changes::component_id.eq(id)),
                )
                .execute(c)?;
                for (at, from, to) in &changes {
                    diesel::insert_into(component_status_changes::table)
                        .values((
                            component_status_changes::component_id.eq(id),
                            component_status_changes::from_status.eq(*from),
                            component_status_changes::to_status.eq(*to),
                            component_status_changes::changed_at.eq(*at),
                            component_status_changes::actor.eq("test"),
                        ))
                        .execute(c)?;
                }
                Ok::<_, diesel::result::Error>(())
            })?;
            sitrep::db::models::revision::bump(conn)
        })
        .await
        .expect("history rewritten");
    app.app_state.refresh_pages().await.expect("pages rebuilt");
}

#[tokio::test]
async fn the_status_pages_show_90_day_uptime_bars_with_the_percentage() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let api = app.create_component(&token, json!({"name": "API"})).await;
    let quiet = app
        .create_component(&token, json!({"name": "Docs", "showcase": false}))
        .await;
    let build = app
        .create_component(
            &token,
            json!({"name": "Build farm", "audience": "internal"}),
        )
        .await;
    // The page zone is UTC here. Three days ago: one hour of major outage
    // from noon; a month ago the component did not exist yet.
    let now = Utc::now().naive_utc();
    let day = (now - Duration::days(3)).date();
    let noon = day.and_hms_opt(12, 0, 0).unwrap();
    rewrite_history(
        &app,
        api["id"].as_i64().unwrap(),
        now - Duration::days(30),
        vec![
            (noon, "operational", "major_outage"),
            (noon + Duration::hours(1), "major_outage", "operational"),
        ],
    )
    .await;

    let (status, html) = app.get_page("/").await;
    assert_eq!(status, 200);
    assert_eq!(
        html.matches(r#"class="uptime-bars""#).count(),
        1,
        "API only"
    );
    assert_eq!(html.matches("<rect class=\"day").count(), 90);
    assert!(html.contains(r#"width="3" height="24""#));
    let outage_day = format!("{}: 95.83% (major outage 1 h)", day.format("%d %b %Y"));
    assert!(html.contains(&outage_day), "tooltip {outage_day:?}");
    assert!(html.contains("day-major_outage"));
    assert!(html.contains(": no data</title>"), "days before it existed");
    assert!(html.contains("(today so far): 100%"));
    let figure_start = position(&html, r#"<span class="uptime-figure">"#);
    let figure = &html[figure_start..figure_start + 120];
    assert!(
        figure.contains("% uptime<span class=\"sr-only\"> over the last 90 days</span>"),
        "{figure}"
    );
    assert!(html.contains("Days below 100%"));
    assert!(html.contains(&format!("id=\"uptime-{}\"", api["id"])));
    assert!(
        !html.contains(&format!("uptime-{}", quiet["id"])),
        "not showcased"
    );
    assert!(!html.contains("Build farm"));

    app.sign_in_as("vic@example.com", Role::Viewer).await;
    let (_, internal) = app.get_page("/internal").await;
    assert_eq!(internal.matches(r#"class="uptime-bars""#).count(), 2);
    assert!(internal.contains(&format!("id=\"uptime-{}\"", build["id"])));
    assert!(internal.contains(&outage_day));
}

#[tokio::test]
async fn a_new_day_rebuilds_the_pages_at_the_same_revision() {
    let app = spawn_app().await;
    let state = &app.app_state;
    let mut page_state = state
        .db
        .run(sitrep::db::models::page_state::load)
        .await
        .unwrap();
    let today = state.pages.built_on();
    assert!(!state
        .pages
        .install(&page_state, &state.settings, &state.templates)
        .unwrap());
    page_state.read_at += Duration::days(1);
    assert!(state
        .pages
        .install(&page_state, &state.settings, &state.templates)
        .unwrap());
    assert_eq!(state.pages.built_on(), today + Duration::days(1));
    page_state.read_at -= Duration::days(1);
    assert!(
        !state
            .pages
            .install(&page_state, &state.settings, &state.templates)
            .unwrap(),
        "never back to an earlier day"
    );
}
