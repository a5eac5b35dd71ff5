use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::SimpleConnection;
use diesel::Connection;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::redirect::Policy;
use serde_json::Value;
use sitrep::config::{RawSettings, Settings};
use sitrep::db::models::users;
use sitrep::domain::email::EmailAddress;
use sitrep::domain::role::Role;
use sitrep::domain::token::{hash_password, random_secret, secret_hash};
use sitrep::web::Application;
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery";

/// A fresh, empty database: a SQLite file in a temp dir, or a new PostgreSQL
/// database on the server named by TEST_DATABASE_URL.
pub struct TestDatabase {
    pub url: String,
    pub dir: TempDir,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn fresh_database() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            let name = format!(
                "sitrep_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                &random_secret("")[..8]
            );
            let mut conn =
                diesel::PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            url.to_string()
        }
        None => format!("sqlite://{}", dir.path().join("sitrep.db").display()),
    };
    TestDatabase { url, dir }
}

pub fn settings_for(
    db_url: &str,
    dir: &std::path::Path,
    tweak: impl FnOnce(&mut RawSettings),
) -> Settings {
    let mut raw = RawSettings {
        database_url: db_url.to_string(),
        listen: "127.0.0.1:0".into(),
        mail_dir: dir.join("mail").display().to_string(),
        page_name: "Acme".into(),
        revision_poll_ms: 100,
        login_burst: 1000,
        login_per_minute: 1000,
        db_pool_size: 4,
        ..RawSettings::default()
    };
    tweak(&mut raw);
    Settings::validate(raw).expect("valid test settings")
}

pub struct TestApp {
    pub address: String,
    pub app_state: sitrep::web::state::AppState,
    pub setup_link: Option<String>,
    /// A browser: keeps cookies, does not follow redirects.
    pub browser: reqwest::Client,
    pub database: std::sync::Arc<TestDatabase>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut RawSettings)) -> TestApp {
    let database = std::sync::Arc::new(fresh_database());
    spawn_app_on(database, tweak).await
}

/// Another instance on the same database (scale-out).
pub async fn spawn_app_on(
    database: std::sync::Arc<TestDatabase>,
    tweak: impl FnOnce(&mut RawSettings),
) -> TestApp {
    let settings = settings_for(&database.url, database.dir.path(), tweak);
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let app_state = app.state().clone();
    let setup_link = app.setup_link().map(str::to_string);
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        app_state,
        setup_link,
        browser: browser(),
        database,
    }
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("http client")
}

/// Pulls the CSRF token out of a form page.
pub fn csrf_from(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..start + 64].to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates an account directly in the database.
    pub async fn add_user(&self, email: &str, role: Role) {
        let email = EmailAddress::parse(email).unwrap();
        let hash = hash_password(PASSWORD).unwrap();
        self.app_state
            .db
            .run(move |conn| users::create(conn, &email, role, &hash))
            .await
            .expect("user created");
    }

    /// Creates an account with an API token and returns the token.
    pub async fn token_for(&self, email: &str, role: Role) -> String {
        self.add_user(email, role).await;
        let token = random_secret("sitrep_");
        let hash = secret_hash(&token);
        let email = email.to_string();
        self.app_state
            .db
            .run(move |conn| {
                let user = users::find_by_email(conn, &email)?.expect("user exists");
                users::create_token(conn, user.id, "test", &hash)
            })
            .await
            .expect("token created");
        token
    }

    pub async fn admin_token(&self) -> String {
        self.token_for("admin-bot@example.com", Role::Admin).await
    }

    /// A client sending `Authorization: Bearer <token>`.
    pub fn api(&self, token: &str) -> reqwest::Client {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap()
    }

    /// GET a page with the browser, returning status and body.
    pub async fn get_page(&self, path: &str) -> (u16, String) {
        let response = self.browser.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// A fresh CSRF token (from the sign-in page, which every browser can load).
    pub async fn csrf(&self) -> String {
        let (_, html) = self.get_page("/admin/login").await;
        csrf_from(&html)
    }

    /// Submits a console form with the CSRF token; returns status, Location and body.
    pub async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, Option<String>, String) {
        let token = self.csrf().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        form.extend_from_slice(fields);
        let response = self
            .browser
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (status, location, response.text().await.unwrap())
    }

    /// Creates the account and signs the browser in.
    pub async fn sign_in_as(&self, email: &str, role: Role) {
        self.add_user(email, role).await;
        let (status, location, body) = self
            .post_form(
                "/admin/login",
                &[("email", email), ("password", PASSWORD), ("next", "/admin")],
            )
            .await;
        assert_eq!(status, 303, "sign-in failed: {body}");
        assert_eq!(location.as_deref(), Some("/admin"));
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = reqwest::get(self.url(path)).await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// Creates a component through the API and returns its JSON.
    pub async fn create_component(&self, token: &str, body: Value) -> Value {
        let response = self
            .api(token)
            .post(self.url("/api/v1/components"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "create component {body}");
        response.json().await.unwrap()
    }

    pub async fn set_status(&self, token: &str, id: &Value, status: &str) {
        let response = self
            .api(token)
            .patch(self.url(&format!("/api/v1/components/{id}")))
            .json(&serde_json::json!({ "status": status }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
}

/// Maintenance tests: JSON calls that return the status and body, whatever it is.
impl TestApp {
    pub async fn send_json(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.api(token).request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Schedules a maintenance through the API and returns its JSON.
    pub async fn create_maintenance(&self, token: &str, body: Value) -> Value {
        let (status, created) = self
            .send_json(
                token,
                reqwest::Method::POST,
                "/api/v1/maintenances",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 201, "create maintenance {body}: {created}");
        created
    }
}

/// Subscribers: following the link of a confirmation email.
impl TestApp {
    /// Opens a confirmation link as a person would: GET shows the page, its
    /// button POSTs the form. Returns the POST's status and page (or the
    /// GET's, when the page has no button).
    pub async fn confirm_by_link(&self, path: &str) -> (u16, String) {
        let person = browser();
        let response = person.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        let html = response.text().await.unwrap();
        if !html.contains("name=\"csrf_token\"") {
            return (status, html);
        }
        let token = csrf_from(&html);
        let response = person
            .post(self.url(path))
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }
}

/// Whether the Python validator `module` (`feedparser`, `icalendar`) can be
/// imported, for the checks that read a feed as a real client would. When it
/// is missing, a plain `cargo test` skips that check with a note, but the full
/// test command (`tests/run-all.sh` exports `TEST_REQUIRE_VALIDATORS=1`) and
/// any CI (`CI` set) fail instead: there a skipped validator is a hole.
pub fn python_validator(module: &str) -> bool {
    let available = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let set = |name: &str| {
        std::env::var(name)
            .ok()
            .is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
    };
    if !available {
        assert!(
            !set("TEST_REQUIRE_VALIDATORS") && !set("CI"),
            "python3 cannot import {module}, and the full test command (TEST_REQUIRE_VALIDATORS \
             or CI is set) needs it: install it (tests/run-all.sh does: pip install feedparser \
             icalendar)"
        );
        eprintln!(
            "note: python3 has no {module} package; skipped its check (tests/run-all.sh installs \
             it and requires it)"
        );
    }
    available
}
