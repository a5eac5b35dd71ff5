use serde_json::{json, Value};
use sitrep::db::models::{audit, components};
use sitrep::domain::role::Role;

use crate::helpers::*;

#[tokio::test]
async fn the_management_api_needs_a_bearer_token() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/api/v1/components")).await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["status"], 401);
    let response = app
        .api("sitrep_wrong")
        .get(app.url("/api/v1/components"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let response = reqwest::Client::new()
        .get(app.url("/api/v1/components"))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn a_script_manages_components_and_groups() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let client = app.api(&token);
    let group: Value = client
        .post(app.url("/api/v1/component-groups"))
        .json(&json!({"name": "Platform", "description": "Shared services"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(group["id"].is_i64());
    let response = client
        .post(app.url("/api/v1/components"))
        .json(&json!({"component": {"name": "Database", "status": "degraded_performance", "group_id": group["id"], "start_date": "2024-05-01"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let db: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/components/{}", db["id"]));
    assert_eq!(db["status"], "degraded_performance");
    assert_eq!(db["audience"], "external");
    assert_eq!(db["showcase"], true);
    assert_eq!(db["start_date"], "2024-05-01");

    let list: Value = client
        .get(app.url("/api/v1/components"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let shown: Value = client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["name"], "Database");
    let groups: Value = client
        .get(app.url("/api/v1/component-groups"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(groups[0]["components"], json!([db["id"]]));

    let patched: Value = client
        .patch(app.url(&location))
        .json(&json!({"name": "Primary database", "group_id": null, "status": "operational"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["name"], "Primary database");
    assert_eq!(patched["group_id"], Value::Null);
    assert_eq!(patched["start_date"], "2024-05-01", "absent fields stay");
    let public = app.get_json("/api/v2/components.json").await;
    assert_eq!(public["components"][0]["name"], "Primary database");

    let gid = group["id"].clone();
    let renamed: Value = client
        .patch(app.url(&format!("/api/v1/component-groups/{gid}")))
        .json(&json!({"component_group": {"name": "Core platform"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["name"], "Core platform");
    assert_eq!(
        client
            .delete(app.url(&format!("/api/v1/component-groups/{gid}")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    assert_eq!(
        client
            .delete(app.url(&location))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    assert_eq!(
        client
            .get(app.url(&location))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    let actions: Vec<String> = app
        .app_state
        .db
        .run(|c| audit::latest(c, 6))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            "component.delete",
            "group.delete",
            "group.update",
            "component.update",
            "component.create",
            "group.create"
        ]
    );
}

async fn send_raw(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: &str,
) -> (u16, String) {
    let response = app
        .api(token)
        .request(method, app.url(path))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test]
async fn bad_input_gets_a_4xx_that_says_what_to_fix_and_writes_nothing() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let post = reqwest::Method::POST;
    let cases: Vec<(&str, u16, &str)> = vec![
        (
            r#"{"name": "API", "status": "broken"}"#,
            422,
            "unknown variant `broken`",
        ),
        (r#"{"name": ""}"#, 422, "Give the component a name"),
        (
            r#"{"name": "API", "stauts": "operational"}"#,
            422,
            "unknown field `stauts`",
        ),
        (
            r#"{"name": "API", "group_id": 999}"#,
            422,
            "no component group with id 999",
        ),
        (
            r#"{"name": "API", "position": "first"}"#,
            422,
            "Field `position`",
        ),
        (
            r#"{"name": "API", "audience": "everyone"}"#,
            422,
            "unknown variant `everyone`",
        ),
        (r#"{"name": "API""#, 400, "not valid JSON"),
        ("", 400, "empty"),
        ("[1,2]", 400, "JSON object"),
        (r#"{"description": "no name"}"#, 422, "missing field `name`"),
    ];
    for (body, status, message) in cases {
        let (got, text) = send_raw(&app, &token, post.clone(), "/api/v1/components", body).await;
        assert_eq!(got, status, "{body}: {text}");
        assert!(
            text.contains(message),
            "{body}: {text:?} should mention {message:?}"
        );
    }
    let huge = format!(
        r#"{{"name": "API", "description": "{}"}}"#,
        "x".repeat(70_000)
    );
    let (got, text) = send_raw(&app, &token, post.clone(), "/api/v1/components", &huge).await;
    assert_eq!(got, 413);
    assert!(text.contains("larger than 64 KiB"));
    let long = format!(
        r#"{{"name": "API", "description": "{}"}}"#,
        "x".repeat(1001)
    );
    assert_eq!(
        send_raw(&app, &token, post.clone(), "/api/v1/components", &long)
            .await
            .0,
        422
    );
    assert!(
        app.app_state
            .db
            .run(components::list)
            .await
            .unwrap()
            .is_empty(),
        "nothing half-written"
    );

    app.create_component(&token, json!({"name": "API"})).await;
    let (got, text) = send_raw(
        &app,
        &token,
        post.clone(),
        "/api/v1/components",
        r#"{"name": "api"}"#,
    )
    .await;
    assert_eq!(got, 409);
    assert!(text.contains("already exists"));
    let (got, _) = send_raw(
        &app,
        &token,
        reqwest::Method::PATCH,
        "/api/v1/components/4242",
        r#"{"status": "operational"}"#,
    )
    .await;
    assert_eq!(got, 404);
    let (got, text) = send_raw(
        &app,
        &token,
        reqwest::Method::GET,
        "/api/v1/components/abc",
        "",
    )
    .await;
    assert_eq!(got, 404, "{text}");
}

#[tokio::test]
async fn roles_limit_what_a_token_may_do() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let api = app.create_component(&admin, json!({"name": "API"})).await;
    let viewer = app.token_for("viewer@example.com", Role::Viewer).await;
    let comms = app
        .token_for("comms@example.com", Role::CommsExternal)
        .await;
    let path = format!("/api/v1/components/{}", api["id"]);
    assert_eq!(
        app.api(&viewer)
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let denied = app
        .api(&viewer)
        .patch(app.url(&path))
        .json(&json!({"status": "major_outage"}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status().as_u16(), 403);
    let allowed = app
        .api(&comms)
        .patch(app.url(&path))
        .json(&json!({"status": "major_outage"}))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status().as_u16(), 200);
    let rename = app
        .api(&comms)
        .patch(app.url(&path))
        .json(&json!({"name": "Renamed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rename.status().as_u16(), 403);
    let create = app
        .api(&comms)
        .post(app.url("/api/v1/components"))
        .json(&json!({"name": "New"}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status().as_u16(), 403);
    assert_eq!(
        app.api(&comms)
            .delete(app.url(&path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/v1/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/components",
        "/api/v1/components/{id}",
        "/api/v1/component-groups",
        "/api/v1/component-groups/{id}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(doc["components"]["schemas"]["ComponentCreate"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// A write with the console's session cookie, as a browser (or a forging
/// site) would send it: returns the status and the error message.
async fn cookie_write(
    app: &TestApp,
    csrf: Option<&str>,
    origin: Option<&str>,
    content_type: &str,
    name: &str,
) -> (u16, String) {
    let mut request = app
        .browser
        .post(app.url("/api/v1/components"))
        .header("Content-Type", content_type)
        .body(json!({ "name": name }).to_string());
    if let Some(csrf) = csrf {
        request = request.header("X-CSRF-Token", csrf);
    }
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_header_our_origin_and_a_json_body() {
    let app = spawn_app().await;
    app.sign_in_as("ana@example.com", Role::Admin).await;
    let csrf = app.csrf().await;
    let json_type = "application/json";

    // The reported attack: the cookie alone, text/plain, from another site.
    let (status, _) = cookie_write(
        &app,
        None,
        Some("https://evil.example"),
        "text/plain",
        "Forged",
    )
    .await;
    assert_eq!(status, 403);
    // Each defence on its own.
    let (status, message) = cookie_write(&app, None, None, json_type, "No token").await;
    assert_eq!(status, 403, "{message}");
    assert!(message.contains("X-CSRF-Token"), "{message}");
    let (status, _) = cookie_write(&app, Some(&"0".repeat(64)), None, json_type, "Bad token").await;
    assert_eq!(status, 403);
    let (status, message) = cookie_write(
        &app,
        Some(&csrf),
        Some("https://evil.example"),
        json_type,
        "Foreign origin",
    )
    .await;
    assert_eq!(status, 403, "{message}");
    assert!(message.contains("https://evil.example"), "{message}");
    let (status, message) = cookie_write(
        &app,
        Some(&csrf),
        Some(&app.address),
        "text/plain",
        "Plain text",
    )
    .await;
    assert_eq!(status, 415, "{message}");
    assert!(message.contains("application/json"), "{message}");
    assert!(app
        .app_state
        .db
        .run(components::list)
        .await
        .unwrap()
        .is_empty());

    // The console's own call: cookie, token, JSON, our origin (or none).
    let (status, message) = cookie_write(
        &app,
        Some(&csrf),
        Some(&app.address),
        "application/json; charset=utf-8",
        "From the console",
    )
    .await;
    assert_eq!(status, 201, "{message}");
    let (status, message) = cookie_write(&app, Some(&csrf), None, json_type, "No origin").await;
    assert_eq!(status, 201, "{message}");

    // Bearer tokens need no CSRF token, but a body is still JSON.
    let token = app.admin_token().await;
    let response = app
        .api(&token)
        .post(app.url("/api/v1/components"))
        .header("Content-Type", "text/plain")
        .header("Origin", "https://elsewhere.example")
        .body(json!({"name": "Plain bot"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    let response = app
        .api(&token)
        .post(app.url("/api/v1/components"))
        .header("Origin", "https://elsewhere.example")
        .json(&json!({"name": "Bot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let names: Vec<String> = app
        .app_state
        .db
        .run(components::list)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

/// Every `"$ref"` string anywhere in the document.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref" {
                    out.push(v.as_str().unwrap().to_string());
                } else {
                    refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The properties of the schema a 2xx response of `method path` refers to
/// (through `items` for a list).
fn response_fields(doc: &Value, path: &str, method: &str, status: &str) -> Vec<String> {
    let schema =
        &doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"];
    let reference = schema["$ref"]
        .as_str()
        .or_else(|| schema["items"]["$ref"].as_str())
        .unwrap_or_else(|| panic!("{method} {path} {status} refers to a schema: {schema}"));
    let name = reference.trim_start_matches("#/components/schemas/");
    let properties = doc["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{name} has properties"));
    properties.keys().cloned().collect()
}

#[tokio::test]
async fn every_openapi_ref_resolves_to_a_schema_of_the_right_shape() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/v1/openapi.json").await;
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for reference in &all {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{reference} points into the schemas"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{reference} resolves"
        );
    }
    // The component-group endpoints describe a group, not a metrics summary.
    for (path, method, status) in [
        ("/api/v1/component-groups", "get", "200"),
        ("/api/v1/component-groups", "post", "201"),
        ("/api/v1/component-groups/{id}", "get", "200"),
        ("/api/v1/component-groups/{id}", "patch", "200"),
    ] {
        let fields = response_fields(&doc, path, method, status);
        for field in ["id", "name", "description", "position", "components"] {
            assert!(
                fields.iter().any(|f| f == field),
                "{method} {path}: {field} in {fields:?}"
            );
        }
    }
    // The action-item endpoints describe a report's action item, not the
    // read-only one of the metrics.
    for (path, method, status) in [
        ("/api/v1/incidents/{id}/action-items", "get", "200"),
        ("/api/v1/incidents/{id}/action-items", "post", "201"),
        ("/api/v1/action-items/{id}", "patch", "200"),
    ] {
        let fields = response_fields(&doc, path, method, status);
        for field in ["incident_id", "priority", "created_at"] {
            assert!(
                fields.iter().any(|f| f == field),
                "{method} {path}: {field} in {fields:?}"
            );
        }
    }
    // And the metrics keep their own group summary.
    let summary = doc["components"]["schemas"]["MetricsView"].to_string();
    assert!(summary.contains("#/components/schemas/"), "{summary}");
    let groups: Vec<&str> = all
        .iter()
        .map(|r| r.trim_start_matches("#/components/schemas/"))
        .filter(|n| doc["components"]["schemas"][n]["properties"]["count"].is_object())
        .collect();
    assert!(
        !groups.is_empty(),
        "a schema with the metrics group's count"
    );
}

#[tokio::test]
async fn an_unsupported_method_on_a_known_api_path_is_405_with_allow() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let client = app.api(&token);
    let trace = reqwest::Method::TRACE;
    let propfind = reqwest::Method::from_bytes(b"PROPFIND").unwrap();
    for (method, path, allow) in [
        (trace.clone(), "/api/v1/components", "GET, POST"),
        (
            trace.clone(),
            "/api/v1/component-groups/1",
            "GET, PATCH, DELETE",
        ),
        (reqwest::Method::OPTIONS, "/api/v1/components", "GET, POST"),
        (propfind, "/api/v1/openapi.json", "GET"),
        (trace, "/api/v1/incidents/1/updates", "POST"),
    ] {
        let response = client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{method} {path}");
        let header = response
            .headers()
            .get("allow")
            .unwrap_or_else(|| panic!("{method} {path} has Allow"))
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(header, allow, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["status"], 405, "{method} {path}");
    }
    // An unknown path stays a 404, and so does a verb the API uses
    // elsewhere (PATCH needs an id).
    let response = client
        .request(reqwest::Method::TRACE, app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let response = client
        .patch(app.url("/api/v1/components"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test]
async fn every_operation_documents_the_400_and_401_it_can_answer() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/v1/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            for status in ["400", "401"] {
                let reference = &operation["responses"][status]["content"]["application/json"]
                    ["schema"]["$ref"];
                assert_eq!(
                    reference, "#/components/schemas/ErrorBody",
                    "{method} {path} documents {status}"
                );
            }
        }
    }
    // Renaming a template set to a taken name is a 409, like creating one.
    assert!(doc["paths"]["/api/v1/templates"]["post"]["responses"]["409"].is_object());
    assert!(doc["paths"]["/api/v1/templates/{id}"]["put"]["responses"]["409"].is_object());
    // And a GET without a token is one of them.
    let response = reqwest::get(app.url("/api/v1/templates")).await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
}
