//! HEAD answers every GET route with the GET's status and headers and no body.

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

/// A client that neither decompresses (it would drop Content-Length) nor
/// follows redirects, optionally with an API token.
fn raw_client(token: Option<&str>) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    if let Some(token) = token {
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    reqwest::Client::builder()
        .no_gzip()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Headers that may differ between two requests for the same thing.
fn comparable(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "set-cookie"))
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                value.to_str().unwrap().to_string(),
            )
        })
        .collect();
    list.sort();
    list
}

/// GETs then HEADs `path`; asserts the same status and headers, no body on
/// HEAD, and a Content-Length that is the GET body's length.
async fn head_matches_get(client: &reqwest::Client, app: &TestApp, path: &str) -> HeaderMap {
    let get = client.get(app.url(path)).send().await.unwrap();
    let get_status = get.status();
    let get_headers = get.headers().clone();
    let get_body = get.bytes().await.unwrap();
    let head = client
        .request(Method::HEAD, app.url(path))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), get_status, "HEAD {path}: status");
    let head_headers = head.headers().clone();
    assert_eq!(
        comparable(&head_headers),
        comparable(&get_headers),
        "HEAD {path}: headers"
    );
    assert_eq!(
        head_headers
            .get("content-length")
            .map(|v| v.to_str().unwrap().to_string()),
        Some(get_body.len().to_string()),
        "HEAD {path}: Content-Length is the GET body's length"
    );
    assert!(
        head.bytes().await.unwrap().is_empty(),
        "HEAD {path}: no body"
    );
    head_headers
}

#[tokio::test]
async fn head_answers_every_get_route_with_its_status_and_headers_and_no_body() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    app.create_component(&token, json!({"name": "API"})).await;
    let anonymous = raw_client(None);
    for path in ["/", "/api/v2/summary.json", "/history", "/admin/login"] {
        let headers = head_matches_get(&anonymous, &app, path).await;
        assert!(headers.contains_key("content-type"), "HEAD {path}");
    }
    let head = head_matches_get(&anonymous, &app, "/").await;
    assert!(head.contains_key("etag") && head.contains_key("cache-control"));

    let api = raw_client(Some(&token));
    head_matches_get(&api, &app, "/api/v1/components").await;
    // Anonymous on the API: the same refusal as GET.
    let refused = head_matches_get(&anonymous, &app, "/api/v1/components").await;
    assert!(refused.contains_key("content-type"));
    // A path nobody serves: the same 404.
    head_matches_get(&anonymous, &app, "/no-such-page").await;
}

#[tokio::test]
async fn a_conditional_head_with_the_get_etag_is_not_modified() {
    let app = spawn_app().await;
    let client = raw_client(None);
    for path in ["/", "/api/v2/summary.json"] {
        let get = client.get(app.url(path)).send().await.unwrap();
        let etag = get.headers()["etag"].to_str().unwrap().to_string();
        let head = client
            .request(Method::HEAD, app.url(path))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status().as_u16(), 304, "conditional HEAD {path}");
        assert_eq!(head.headers()["etag"].to_str().unwrap(), etag);
        assert!(head.bytes().await.unwrap().is_empty());
        let stale = client
            .request(Method::HEAD, app.url(path))
            .header("If-None-Match", "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status().as_u16(), 200, "HEAD {path} with an old ETag");
    }
}
