use sitrep::db::models::{audit, components};
use sitrep::domain::role::Role;

use crate::helpers::*;

#[tokio::test]
async fn an_admin_creates_a_group_and_a_component_and_changes_its_status() {
    let app = spawn_app().await;
    app.sign_in_as("ana@example.com", Role::Admin).await;
    let (status, html) = app.get_page("/admin").await;
    assert_eq!(status, 200);
    assert!(html.contains("There are no components yet"));

    let (status, location, _) = app
        .post_form(
            "/admin/groups",
            &[("name", "Core services"), ("description", "")],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin?done=group-created"))
    );
    let group_id = app
        .app_state
        .db
        .run(sitrep::db::models::groups::list)
        .await
        .unwrap()[0]
        .id
        .to_string();

    let (status, location, body) = app
        .post_form(
            "/admin/components",
            &[
                ("name", "API"),
                ("description", "REST and GraphQL"),
                ("group_id", &group_id),
                ("status", "operational"),
                ("audience", "external"),
                ("showcase", "on"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/admin?done=component-created"));
    let (_, html) = app.get_page("/admin?done=component-created").await;
    assert!(html.contains("Component created."));
    assert!(html.contains("Core services"));

    let id = app.app_state.db.run(components::list).await.unwrap()[0].id;
    let (status, _, _) = app
        .post_form(
            &format!("/admin/components/{id}/status"),
            &[("status", "partial_outage")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, public) = app.get_page("/").await;
    assert!(public.contains("Partial outage"));
    assert!(public.contains("Partial System Outage"));

    let history = app
        .app_state
        .db
        .run(move |c| components::status_changes(c, id))
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (
            history[0].from_status.as_str(),
            history[0].to_status.as_str()
        ),
        ("operational", "partial_outage")
    );
    assert_eq!(history[0].actor, "ana@example.com");
    let log = app
        .app_state
        .db
        .run(|c| audit::latest(c, 10))
        .await
        .unwrap();
    assert_eq!(log[0].action, "component.update");
    assert!(log[0]
        .before_json
        .as_deref()
        .unwrap()
        .contains("\"operational\""));
    assert!(log[0]
        .after_json
        .as_deref()
        .unwrap()
        .contains("\"partial_outage\""));

    let (status, html) = app.get_page(&format!("/admin/components/{id}/edit")).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"API\""));
    let (status, _, _) = app
        .post_form(&format!("/admin/components/{id}/delete"), &[])
        .await;
    assert_eq!(status, 303);
    assert!(!app.get_page("/").await.1.contains("REST and GraphQL"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_message() {
    let app = spawn_app().await;
    app.add_user("ana@example.com", Role::Admin).await;
    let (status, _, html) = app
        .post_form(
            "/admin/login",
            &[
                ("email", "ana@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(status, 401);
    assert!(html.contains("The email or the password is wrong."));
    let (status, _, _) = app
        .post_form(
            "/admin/login",
            &[("email", "nobody@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        status, 401,
        "an unknown email reads the same as a wrong password"
    );
    assert_eq!(
        app.browser
            .get(app.url("/admin"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        303
    );
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.sign_in_as("ana@example.com", Role::Admin).await;
    let response = app
        .browser
        .post(app.url("/admin/components"))
        .form(&[("name", "Sneaky")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("This form has expired"));
    let forged = app
        .browser
        .post(app.url("/admin/components"))
        .form(&[("name", "Sneaky"), ("csrf_token", &"0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert!(app
        .app_state
        .db
        .run(components::list)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn invalid_input_shows_the_form_again_with_what_to_fix() {
    let app = spawn_app().await;
    app.sign_in_as("ana@example.com", Role::Admin).await;
    let (status, _, html) = app
        .post_form(
            "/admin/components",
            &[("name", "  "), ("description", "kept text")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("Give the component a name."));
    assert!(html.contains("kept text"), "the typed input is kept");
    let (status, _, html) = app
        .post_form(
            "/admin/components",
            &[("name", "API"), ("status", "exploded")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("Unknown component status"));
    let (status, _, html) = app
        .post_form("/admin/components", &[("name", "API"), ("position", "-4")])
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("out of range"));
    let (status, _, _) = app.post_form("/admin/components", &[("name", "API")]).await;
    assert_eq!(status, 303);
    let (status, _, html) = app.post_form("/admin/components", &[("name", "api")]).await;
    assert_eq!(status, 409);
    assert!(html.contains("already exists"));
    let (status, _, html) = app.post_form("/admin/groups", &[("name", "")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("Give the group a name."));
    assert_eq!(
        app.app_state.db.run(components::list).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn viewers_read_the_internal_page_but_change_nothing() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let api = app
        .create_component(&token, serde_json::json!({"name": "API"}))
        .await;
    app.sign_in_as("vic@example.com", Role::Viewer).await;
    let (status, html) = app.get_page("/admin").await;
    assert_eq!(status, 200);
    assert!(!html.contains("New component"));
    assert!(!html.contains("/status\""), "no status form for viewers");
    let (status, _, html) = app
        .post_form(
            &format!("/admin/components/{}/status", api["id"]),
            &[("status", "major_outage")],
        )
        .await;
    assert_eq!(status, 403);
    assert!(html.contains("does not allow"));
    let (status, _, _) = app
        .post_form("/admin/components", &[("name", "Nope")])
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.get_page("/admin/components/new").await.0, 403);
    assert_eq!(app.get_page("/internal").await.0, 200);
}

#[tokio::test]
async fn communication_managers_change_statuses_but_not_the_page_structure() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let api = app
        .create_component(&token, serde_json::json!({"name": "API"}))
        .await;
    app.sign_in_as("cm@example.com", Role::CommsExternal).await;
    let (status, _, _) = app
        .post_form(
            &format!("/admin/components/{}/status", api["id"]),
            &[("status", "major_outage")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = app
        .post_form(&format!("/admin/components/{}/delete", api["id"]), &[])
        .await;
    assert_eq!(status, 403);
    assert!(app.get_page("/").await.1.contains("Major outage"));
}

#[tokio::test]
async fn hostile_names_are_shown_as_text_everywhere() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let evil = "<script>alert(\"x\")</script>&'quotes'";
    app.create_component(
        &token,
        serde_json::json!({"name": evil, "description": "<img src=x onerror=alert(1)>"}),
    )
    .await;
    app.sign_in_as("ana@example.com", Role::Admin).await;
    for path in ["/", "/internal", "/admin"] {
        let (_, html) = app.get_page(path).await;
        assert!(
            !html.contains("<script>alert"),
            "{path} contains raw script"
        );
        assert!(!html.contains("<img src=x"), "{path} contains raw img");
        assert!(
            html.contains("&lt;script&gt;alert"),
            "{path} shows the name escaped"
        );
    }
    let summary = app.get_json("/api/v2/summary.json").await;
    assert_eq!(
        summary["components"][0]["name"], evil,
        "JSON keeps the exact text"
    );
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_client() {
    let app = spawn_app_with(|raw| {
        raw.login_burst = 3;
        raw.login_per_minute = 1;
    })
    .await;
    let token = app.csrf().await;
    let mut statuses = vec![];
    for _ in 0..5 {
        let response = app
            .browser
            .post(app.url("/admin/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", "x@example.com"),
                ("password", "wrong password"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
    assert_eq!(
        app.get_page("/admin/login").await.0,
        200,
        "reading the form is not limited"
    );
}

#[tokio::test]
async fn the_one_time_link_creates_the_first_admin_once() {
    let app = spawn_app().await;
    let link = app.setup_link.clone().expect("set-up link on first run");
    let path = link.trim_start_matches(&app.address).to_string();
    let (status, html) = app.get_page(&path).await;
    assert_eq!(status, 200);
    let token = csrf_from(&html);
    let short = app
        .browser
        .post(app.url(&path))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "boss@example.com"),
            ("password", "short"),
            ("password_again", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status().as_u16(), 422);
    assert!(short
        .text()
        .await
        .unwrap()
        .contains("at least 10 characters"));
    let created = app
        .browser
        .post(app.url(&path))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "boss@example.com"),
            ("password", PASSWORD),
            ("password_again", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 303);
    assert_eq!(
        app.get_page("/admin").await.0,
        200,
        "signed in after set-up"
    );
    assert_eq!(app.get_page(&path).await.0, 404, "the link works once");
    let again = app
        .browser
        .post(app.url(&path))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "evil@example.com"),
            ("password", PASSWORD),
            ("password_again", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 404);
    assert_eq!(app.get_page("/setup/0000").await.0, 404);
}

#[tokio::test]
async fn sign_in_never_redirects_to_another_site_and_sign_out_ends_the_session() {
    let app = spawn_app().await;
    app.add_user("ana@example.com", Role::Admin).await;
    let (status, location, _) = app
        .post_form(
            "/admin/login",
            &[
                ("email", "ana@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/admin"));
    let login = app.browser.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(login.status().as_u16(), 200);
    let (status, location, _) = app.post_form("/admin/logout", &[]).await;
    assert_eq!((status, location.as_deref()), (303, Some("/")));
    assert_eq!(
        app.browser
            .get(app.url("/admin"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        303
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_the_password_is_argon2_hashed() {
    let app = spawn_app().await;
    app.add_user("ana@example.com", Role::Admin).await;
    let token = app.csrf().await;
    let response = app
        .browser
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "ana@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("sitrep_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    let user = app
        .app_state
        .db
        .run(|c| sitrep::db::models::users::find_by_email(c, "ana@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert!(user.password_hash.starts_with("$argon2id$"));
}

#[tokio::test]
async fn error_pages_go_back_with_a_plain_link_not_a_javascript_url() {
    let app = spawn_app().await;
    // A public error page: back to the status page.
    let (status, html) = app.get_page("/unsubscribe/not-a-token").await;
    assert_eq!(status, 404);
    assert!(!html.contains("javascript:"), "{html}");
    assert!(html.contains("<a href=\"/\">Go back</a>"), "{html}");
    // A console error page reached from a console page: back to that page.
    app.sign_in_as("ana@example.com", Role::Admin).await;
    let response = app
        .browser
        .get(app.url("/admin/components/4242/edit"))
        .header("Referer", app.url("/admin/incidents"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let html = response.text().await.unwrap();
    assert!(!html.contains("javascript:"), "{html}");
    assert!(
        html.contains("<a href=\"/admin/incidents\">Go back</a>"),
        "{html}"
    );
    // Without a referrer from this site: the console's front page.
    let response = app
        .browser
        .get(app.url("/admin/components/4242/edit"))
        .header("Referer", "https://evil.example/admin/x")
        .send()
        .await
        .unwrap();
    let html = response.text().await.unwrap();
    assert!(!html.contains("javascript:"), "{html}");
    assert!(html.contains("<a href=\"/admin\">Go back</a>"), "{html}");
}
