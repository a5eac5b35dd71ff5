use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::*;

fn sitrep(db_url: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .env("SITREP_DATABASE_URL", db_url)
        .env_remove("SITREP_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sitrep runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test]
async fn the_cli_creates_an_account_and_a_token_that_the_api_accepts() {
    let database = std::sync::Arc::new(fresh_database());
    let url = database.url.clone();
    let (ok, out, err) = sitrep(&url, &["migrate"], "");
    assert!(ok, "{err}");
    assert!(out.contains("migration"));
    let (ok, out, err) = sitrep(
        &url,
        &[
            "user",
            "add",
            "--email",
            "Ops@Example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("created ops@example.com (admin)"));
    let (ok, out, err) = sitrep(
        &url,
        &[
            "token",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "deploy-bot",
        ],
        "",
    );
    assert!(ok, "{err}");
    let token = out.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("sitrep_"));

    let app = spawn_app_on(database, |_| {}).await;
    assert!(
        app.setup_link.is_none(),
        "no set-up link once an account exists"
    );
    let response = app
        .api(&token)
        .post(app.url("/api/v1/components"))
        .json(&serde_json::json!({"name": "From the CLI"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let (status, _, _) = app
        .post_form(
            "/admin/login",
            &[("email", "ops@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 303, "the CLI password signs in");
    let summary: Value = app.get_json("/api/v2/summary.json").await;
    assert_eq!(summary["components"][0]["name"], "From the CLI");
}

#[test]
fn the_cli_refuses_bad_accounts_with_clear_messages() {
    let database = fresh_database();
    let (ok, _, err) = sitrep(
        &database.url,
        &[
            "user",
            "add",
            "--email",
            "a@example.com",
            "--role",
            "root",
            "--password-stdin",
        ],
        "long enough password\n",
    );
    assert!(!ok);
    assert!(err.contains("Unknown role \"root\""), "{err}");
    let (ok, _, err) = sitrep(
        &database.url,
        &[
            "user",
            "add",
            "--email",
            "a@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!ok);
    assert!(err.contains("at least 10 characters"), "{err}");
    let (ok, _, err) = sitrep(
        &database.url,
        &[
            "user",
            "add",
            "--email",
            "not-an-email",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "long enough password\n",
    );
    assert!(!ok);
    assert!(err.contains("name@example.com"), "{err}");
    let (ok, _, err) = sitrep(
        &database.url,
        &["token", "create", "--email", "ghost@example.com"],
        "",
    );
    assert!(!ok);
    assert!(err.contains("no account for ghost@example.com"), "{err}");
    let (_, _, _) = sitrep(
        &database.url,
        &[
            "user",
            "add",
            "--email",
            "a@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "long enough password\n",
    );
    let (ok, _, err) = sitrep(
        &database.url,
        &[
            "user",
            "add",
            "--email",
            "a@example.com",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        "long enough password\n",
    );
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn bad_configuration_stops_the_service_with_a_clear_error() {
    let database = fresh_database();
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .arg("serve")
        .env("SITREP_DATABASE_URL", &database.url)
        .env("SITREP_LISTEN", "everywhere")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("SITREP_LISTEN \"everywhere\" is not an address"));
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .arg("serve")
        .env("SITREP_DATABASE_URL", "mysql://localhost/x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite:// or postgres://"));
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["--config", "/nonexistent/sitrep.toml", "serve"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn a_sitrep_toml_in_a_parent_folder_is_not_read() {
    let database = fresh_database();
    let parent = tempfile::tempdir().unwrap();
    // Observable if read: every command stops on an address that is not one.
    std::fs::write(
        parent.path().join("sitrep.toml"),
        "listen = \"everywhere\"\n",
    )
    .unwrap();
    let child = parent.path().join("sub");
    std::fs::create_dir(&child).unwrap();
    let run_in = |dir: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .arg("migrate")
            .current_dir(dir)
            .env("SITREP_DATABASE_URL", &database.url)
            .env_remove("SITREP_CONFIG")
            .env_remove("SITREP_LISTEN")
            .output()
            .unwrap()
    };
    let out = run_in(&child);
    assert!(
        out.status.success(),
        "../sitrep.toml was read: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same file in the working directory is read (so the test can see it).
    let out = run_in(parent.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"everywhere\" is not an address"));
}
