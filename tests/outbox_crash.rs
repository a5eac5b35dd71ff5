//! The outbox never loses mail: the real `sitrep` binary, a few thousand
//! confirmed subscribers, one notifying incident update, and then
//! - `kill -9` of the process once some (not all) emails have reached the
//!   SMTP server, and a restart;
//! - the SMTP server going away mid fan-out and coming back on the same port.
//!
//! Either way every subscriber gets the email; a message may arrive twice
//! only if it was in flight (claimed, sent, not yet marked sent), so the
//! duplicates stay within two claimed batches, and a duplicate carries the
//! same Message-ID as the first copy. The SMTP server is postfix's
//! `smtp-sink` dumping each message to a file; a dump counts once it is
//! complete (a message cut off by a killed sink was not accepted).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::json;
use sitrep::db::models::{subscriber_admin, users};
use sitrep::db::schema::subscribers;
use sitrep::db::{Db, StoreError};
use sitrep::domain::email::EmailAddress;
use sitrep::domain::role::Role;
use sitrep::domain::token::{hash_password, random_secret, secret_hash};
use sitrep::notify::worker::PER_CONNECTION;

use crate::helpers::*;
use crate::mail::{complete_messages, free_port, header, Sink};

const SUBSCRIBERS: usize = 3000;
const CONNECTIONS: usize = 4;
/// The most deliveries one sender has in flight: the claimed batch on the
/// wire and the next one, claimed while it is sent (50 per connection each).
const WINDOW: usize = 2 * PER_CONNECTION * CONNECTIONS;
/// Emails received before the fault is injected (some, far from all).
const FAULT_AFTER: usize = 300;
/// A guard against hanging forever, not a performance requirement.
const GIVE_UP_AFTER: Duration = Duration::from_secs(90);

/// A `sitrep serve` process; killed with SIGKILL when dropped.
struct Sitrep {
    child: Child,
    url: String,
}

impl Sitrep {
    async fn start(database: &TestDatabase, smtp_port: u16) -> Sitrep {
        let port = free_port();
        let dir = database.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("sitrep.log"))
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .arg("serve")
            .env_remove("SITREP_CONFIG")
            .env_remove("SITREP_PAGE_NAME")
            .env("SITREP_DATABASE_URL", &database.url)
            .env("SITREP_LISTEN", format!("127.0.0.1:{port}"))
            .env("SITREP_BASE_URL", &url)
            .env("SITREP_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
            .env("SITREP_SMTP_CONNECTIONS", CONNECTIONS.to_string())
            .env("SITREP_DELIVERY_LEASE_SECONDS", "2")
            .env("SITREP_RETRY_BACKOFF_SECONDS", "1")
            // Small fan-out batches, so the fault can land mid fan-out.
            .env("SITREP_FAN_OUT_BATCH_SIZE", "250")
            .env("SITREP_MAIL_DIR", dir.join("mail"))
            .env("SITREP_SECRET_KEY", "crash-test-secret")
            .env("SITREP_DB_POOL_SIZE", "4")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("sitrep starts");
        let sitrep = Sitrep { child, url };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = reqwest::get(format!("{}/readyz", sitrep.url)).await {
                if response.status().is_success() {
                    return sitrep;
                }
            }
            assert!(Instant::now() < deadline, "sitrep did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Sitrep {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn address(i: usize) -> String {
    format!("user{i:05}@example.com")
}

/// Migrates, adds `count` confirmed external subscribers (no component
/// filter) in a few multi-row inserts, and returns an admin API token.
fn prepare(database: &TestDatabase, count: usize) -> (Db, String) {
    let settings = settings_for(&database.url, database.dir.path(), |_| {});
    let db = Db::connect(&settings.database, 2).unwrap();
    db.migrate().unwrap();
    let at = sitrep::db::now();
    let indexes: Vec<usize> = (0..count).collect();
    db.run_now(|conn| {
        conn.write_transaction(|conn| {
            for chunk in indexes.chunks(500) {
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|i| {
                        (
                            subscribers::email.eq(address(*i)),
                            subscribers::audience.eq("external"),
                            subscribers::confirmed_at.eq(Some(at)),
                            subscribers::bounce_count.eq(0),
                            subscribers::link_key.eq(format!("key-{i}")),
                            subscribers::created_at.eq(at),
                            subscribers::updated_at.eq(at),
                        )
                    })
                    .collect();
                sitrep::on_backend!(conn, |c| diesel::insert_into(subscribers::table)
                    .values(&rows)
                    .execute(c))?;
            }
            Ok::<_, StoreError>(())
        })
    })
    .unwrap();
    let token = random_secret("sitrep_");
    let (token_hash, password_hash) = (secret_hash(&token), hash_password(PASSWORD).unwrap());
    db.run_now(|conn| {
        let email = EmailAddress::parse("admin-bot@example.com").unwrap();
        users::create(conn, &email, Role::Admin, &password_hash)?;
        let user = users::find_by_email(conn, email.as_str())?.expect("user exists");
        users::create_token(conn, user.id, "crash test", &token_hash)
    })
    .unwrap();
    (db, token)
}

/// Opens an incident whose first update notifies the external subscribers.
async fn post_notifying_update(sitrep: &Sitrep, token: &str) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/incidents", sitrep.url))
        .bearer_auth(token)
        .json(&json!({
            "name": "Checkout is down",
            "impact": "major",
            "urgency": "high",
            "update": {"status": "investigating", "external_body": "We are looking into it."}
        }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(status, 201, "{}", response.text().await.unwrap());
}

/// The complete messages in the sink's dump folder: recipient → Message-IDs.
fn received(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let mut by_recipient: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for message in complete_messages(dir) {
        let (Some(to), Some(message_id)) = (header(&message, "To"), header(&message, "Message-ID"))
        else {
            continue;
        };
        by_recipient.entry(to).or_default().push(message_id);
    }
    by_recipient
}

fn total(received: &BTreeMap<String, Vec<String>>) -> usize {
    received.values().map(Vec::len).sum()
}

async fn wait_until_received(dir: &Path, count: usize) {
    let deadline = Instant::now() + GIVE_UP_AFTER;
    while total(&received(dir)) < count {
        assert!(
            Instant::now() < deadline,
            "the sink did not get {count} messages"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the notification is fanned out with nothing pending, then
/// checks what the sink got: every subscriber once, duplicates only within
/// the in-flight window and with the first copy's Message-ID.
async fn assert_everyone_got_it_once_or_within_the_window(db: &Db, dir: &Path) {
    let deadline = Instant::now() + GIVE_UP_AFTER;
    let progress = loop {
        let latest = db
            .run(|c| subscriber_admin::latest_notifications(c, 5))
            .await
            .unwrap();
        let incident: Vec<_> = latest
            .into_iter()
            .filter(|(n, _)| n.kind == "incident_update")
            .collect();
        assert_eq!(incident.len(), 1, "one notification for the update");
        let (notification, progress) = &incident[0];
        if notification.fanned_out_at.is_some()
            && progress.pending == 0
            && received(dir).len() == SUBSCRIBERS
        {
            break progress.clone();
        }
        assert!(
            Instant::now() < deadline,
            "not everything was delivered: {progress:?}, fanned out: {:?}, {} recipients in the sink",
            notification.fanned_out_at,
            received(dir).len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(progress.sent as usize, SUBSCRIBERS, "{progress:?}");
    assert_eq!(progress.total() as usize, SUBSCRIBERS, "{progress:?}");

    let got = received(dir);
    let expected: BTreeSet<String> = (0..SUBSCRIBERS).map(address).collect();
    let recipients: BTreeSet<String> = got.keys().cloned().collect();
    assert_eq!(recipients, expected, "every subscriber, nobody else");
    let duplicates = total(&got) - SUBSCRIBERS;
    assert!(
        duplicates <= WINDOW,
        "{duplicates} duplicates, more than the {WINDOW} deliveries in flight"
    );
    for (recipient, ids) in &got {
        assert!(
            ids.iter().all(|id| id == &ids[0]),
            "{recipient} got copies with different Message-IDs: {ids:?}"
        );
    }
    eprintln!("{SUBSCRIBERS} subscribers, {duplicates} duplicate(s) (window {WINDOW})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_mid_send_loses_no_email_and_resends_with_the_same_message_id() {
    let database = fresh_database();
    let (db, token) = prepare(&database, SUBSCRIBERS);
    let dump = database.dir.path().join("sink");
    std::fs::create_dir_all(&dump).unwrap();
    let smtp_port = free_port();
    let _sink = Sink::start_on(&dump, smtp_port, &[]);

    let first = Sitrep::start(&database, smtp_port).await;
    post_notifying_update(&first, &token).await;
    wait_until_received(&dump, FAULT_AFTER).await;
    first.kill();
    let at_kill = received(&dump).len();
    assert!(
        at_kill < SUBSCRIBERS,
        "the process was killed after everything was sent: nothing was tested"
    );

    let _second = Sitrep::start(&database, smtp_port).await;
    assert_everyone_got_it_once_or_within_the_window(&db, &dump).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_outage_mid_fan_out_delays_email_but_loses_none() {
    let database = fresh_database();
    let (db, token) = prepare(&database, SUBSCRIBERS);
    let dump = database.dir.path().join("sink");
    std::fs::create_dir_all(&dump).unwrap();
    let smtp_port = free_port();
    let sink = Sink::start_on(&dump, smtp_port, &[]);

    let _sitrep = Sitrep::start(&database, smtp_port).await;
    post_notifying_update(&_sitrep, &token).await;
    wait_until_received(&dump, FAULT_AFTER).await;
    drop(sink);
    let at_outage = received(&dump).len();
    assert!(
        at_outage < SUBSCRIBERS,
        "the relay went away after everything was sent: nothing was tested"
    );
    // Wait until the sender has met the outage (a failed attempt is recorded).
    let deadline = Instant::now() + GIVE_UP_AFTER;
    loop {
        let retried = db
            .run(|c| {
                let latest = subscriber_admin::latest_notifications(c, 1)?;
                let id = latest[0].0.id;
                let deliveries = sitrep::db::models::outbox::deliveries_of(c, id)?;
                Ok(deliveries.iter().filter(|d| d.last_error.is_some()).count())
            })
            .await
            .unwrap();
        if retried > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the sender never met the outage");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _sink = Sink::start_on(&dump, smtp_port, &[]);
    assert_everyone_got_it_once_or_within_the_window(&db, &dump).await;
}
