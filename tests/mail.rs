//! Email through the outbox, against a real SMTP server: postfix's
//! `smtp-sink`, started per test on a free loopback port, dumping each
//! message it receives to a file that the tests parse.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sitrep::db::models::outbox::{self, NewNotification, NotificationKind};
use sitrep::db::models::subscriber_admin;
use sitrep::db::Db;
use sitrep::domain::email::EmailAddress;
use sitrep::domain::status::Audience;
use sitrep::notify::worker::Worker;

use crate::helpers::*;

const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

/// A running `smtp-sink`; killed when dropped.
pub(crate) struct Sink {
    child: Child,
    port: u16,
    dir: PathBuf,
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sink {
    /// A healthy sink on a free port dumping into a new folder under `root`.
    pub(crate) fn start(root: &Path, faults: &[&str]) -> Sink {
        let dir = root.join("sink");
        std::fs::create_dir_all(&dir).unwrap();
        Sink::start_on(&dir, free_port(), faults)
    }

    /// A sink on `port` dumping into `dir`; `faults` are smtp-sink options
    /// such as `-r .` (4xx after the data) or `-f RCPT` (5xx to RCPT).
    pub(crate) fn start_on(dir: &Path, port: u16, faults: &[&str]) -> Sink {
        assert!(
            Path::new(SMTP_SINK).exists(),
            "{SMTP_SINK} is missing: install postfix (tests/run-all.sh does)"
        );
        // smtp-sink drops to the postfix user before writing its dumps.
        use std::os::unix::fs::PermissionsExt;
        for folder in dir.ancestors().take(3) {
            let mut perms = std::fs::metadata(folder).unwrap().permissions();
            perms.set_mode(perms.mode() | 0o755);
            std::fs::set_permissions(folder, perms).unwrap();
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let template = format!("{}/%M.", dir.display());
        let child = Command::new(SMTP_SINK)
            .args(["-d", &template, "-u", "postfix"])
            .args(faults)
            .arg(format!("127.0.0.1:{port}"))
            .arg("100")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("smtp-sink starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "smtp-sink did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Sink {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received in full so far. smtp-sink creates a dump
    /// file at MAIL FROM and writes into it as the data arrives, so a file
    /// still being written (or cut off) is left out.
    pub(crate) fn messages(&self) -> Vec<String> {
        complete_messages(&self.dir)
    }
}

/// The messages in an smtp-sink dump folder whose last MIME boundary has
/// arrived (every email sitrep sends is multipart), in file-name order.
pub(crate) fn complete_messages(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).replace("\r\n", "\n"))
        .filter(|message| is_complete(message))
        .collect()
}

fn is_complete(message: &str) -> bool {
    message
        .split("boundary=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .is_some_and(|boundary| message.contains(&format!("--{boundary}--")))
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sitrep(db_url: &str, mail_dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    command
        .args(args)
        .env("SITREP_DATABASE_URL", db_url)
        .env("SITREP_MAIL_DIR", mail_dir)
        .env("RUST_LOG", "warn")
        .env_remove("SITREP_CONFIG")
        .env_remove("SITREP_SMTP_URL")
        .env_remove("SITREP_PAGE_NAME");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("sitrep runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// The value of a header in a message (first occurrence, unfolded).
pub(crate) fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\n\n").next().unwrap_or("");
    let mut lines = head.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some((key, value)) = line.split_once(':') {
            if key.eq_ignore_ascii_case(name) {
                let mut value = value.trim().to_string();
                while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                }
                return Some(value);
            }
        }
    }
    None
}

/// A header with RFC 2047 encoded-words decoded; each encoded-word must hold
/// whole UTF-8 characters (RFC 2047 section 5).
pub(crate) fn decoded(message: &str, name: &str) -> Option<String> {
    let raw = header(message, name)?;
    // Whitespace between two encoded-words is dropped, elsewhere kept.
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in raw.split_whitespace() {
        let encoded = word.to_ascii_lowercase().starts_with("=?utf-8?b?") && word.ends_with("?=");
        if !out.is_empty() && (!encoded || !previous_encoded) {
            out.push(' ');
        }
        if encoded {
            out.push_str(&decode_base64(&word[10..word.len() - 2]));
        } else {
            out.push_str(word);
        }
        previous_encoded = encoded;
    }
    Some(out)
}

/// Messages to `to` whose subject contains `subject`.
pub(crate) fn mails(sink: &Sink, to: &str, subject: &str) -> Vec<String> {
    sink.messages()
        .into_iter()
        .filter(|m| header(m, "To").is_some_and(|t| t.contains(to)))
        .filter(|m| decoded(m, "Subject").is_some_and(|s| s.contains(subject)))
        .collect()
}

/// Waits until `to` has `count` messages whose subject contains `subject`.
pub(crate) async fn wait_for(sink: &Sink, to: &str, subject: &str, count: usize) -> Vec<String> {
    poll(
        Duration::from_secs(20),
        count,
        || mails(sink, to, subject),
        || {
            format!(
                "{to} did not get {count} mail(s) about {subject:?}; got {:?}",
                sink.messages()
                    .iter()
                    .map(|m| (header(m, "To"), decoded(m, "Subject")))
                    .collect::<Vec<_>>()
            )
        },
    )
    .await
}

/// Calls `found` every 100 ms until it returns at least `count` messages;
/// fails with `failure()` after `limit`.
pub(crate) async fn poll(
    limit: Duration,
    count: usize,
    found: impl Fn() -> Vec<String>,
    failure: impl Fn() -> String,
) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        let messages = found();
        if messages.len() >= count {
            return messages;
        }
        assert!(Instant::now() < deadline, "{}", failure());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the outbox is idle: every notification written so far is
/// fanned out (all its deliveries exist) and none of them has a delivery
/// still pending. From then on nothing more will be sent for them, so a test
/// can assert that some mail did not arrive without sleeping a guessed time.
/// Fails loudly, naming what is still busy, after a generous 30 s.
///
/// A notification's rows commit with the write that caused it, so call this
/// after the request (or scheduler run) has returned. With the app's worker
/// off (`raw.worker = false`) the test must have fanned out and sent itself.
pub(crate) async fn wait_until_outbox_idle(app: &TestApp) {
    let limit = Duration::from_secs(30);
    let deadline = Instant::now() + limit;
    loop {
        let latest = app
            .app_state
            .db
            .run(|c| subscriber_admin::latest_notifications(c, 100_000))
            .await
            .unwrap();
        let busy: Vec<_> = latest
            .iter()
            .filter(|(notification, progress)| notification.fanning_out() || progress.pending > 0)
            .map(|(notification, progress)| {
                (
                    notification.id,
                    notification.kind.clone(),
                    notification.subject.clone(),
                    notification.fanning_out(),
                    progress.clone(),
                )
            })
            .collect();
        if busy.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the outbox is not idle after {limit:?}: (id, kind, subject, fanning out, progress) \
             {busy:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The path (from `marker` on) of the first link containing `marker`.
pub(crate) fn link(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '>')
        .next()
        .unwrap()
        .to_string()
}

/// The decoded body of the part with this content type.
pub(crate) fn part(message: &str, content_type: &str) -> Option<String> {
    let message = message.replace("\r\n", "\n");
    let boundary = message
        .split("boundary=\"")
        .nth(1)?
        .split('"')
        .next()?
        .to_string();
    message
        .split(&format!("--{boundary}"))
        .skip(1)
        .find(|p| p.contains(&format!("Content-Type: {content_type}")))
        .map(|p| {
            let (head, body) = p.trim_start_matches('\n').split_once("\n\n").unwrap();
            let body = body.trim_end_matches('\n');
            match header(head, "Content-Transfer-Encoding").as_deref() {
                Some("quoted-printable") => decode_quoted_printable(body),
                Some("base64") => decode_base64(body),
                _ => body.to_string(),
            }
        })
}

fn decode_quoted_printable(body: &str) -> String {
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            out.push(u8::from_str_radix(&body[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

pub(crate) fn decode_base64(body: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in body
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let value = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The library's view: a migrated database and a worker sending to `smtp_url`.
fn outbox_on(database: &TestDatabase, smtp_url: Option<String>) -> (Db, Worker) {
    let settings = settings_for(&database.url, database.dir.path(), |raw| {
        raw.smtp_url = smtp_url;
    });
    let db = Db::connect(&settings.database, 4).unwrap();
    db.migrate().unwrap();
    let worker = Worker::new(&settings, db.clone()).unwrap();
    (db, worker)
}

fn test_notification() -> NewNotification {
    NewNotification {
        kind: NotificationKind::Test,
        audience: Audience::Internal,
        subject: None,
        payload: serde_json::json!({
            "page_name": "Acme",
            "page_url": "http://127.0.0.1/",
            "requested_at": "now",
        }),
    }
}

fn addresses(list: &[&str]) -> Vec<EmailAddress> {
    list.iter()
        .map(|a| EmailAddress::parse(a).unwrap())
        .collect()
}

fn enqueue(db: &Db, recipients: &[&str]) -> i64 {
    let recipients = addresses(recipients);
    db.run_now(|conn| outbox::enqueue(conn, "127.0.0.1", &test_notification(), &recipients))
        .unwrap()
}

#[tokio::test]
async fn mail_test_delivers_one_multipart_message_through_the_smtp_relay() {
    mail_test_through_a_sink(&[]);
}

#[tokio::test]
async fn a_relay_without_pipelining_gets_one_command_at_a_time() {
    // `-p`: the sink does not offer PIPELINING, so sitrep waits for each answer.
    mail_test_through_a_sink(&["-p"]);
}

fn mail_test_through_a_sink(faults: &[&str]) {
    let database = fresh_database();
    let sink = Sink::start(database.dir.path(), faults);
    let out = sitrep(
        &database.url,
        &database.dir.path().join("mail"),
        &[("SITREP_SMTP_URL", &sink.url())],
        &["mail", "test", "--to", "ops@example.com"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("SMTP relay 127.0.0.1:{}", sink.port)),
        "{stdout}"
    );
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let message = &messages[0];
    assert_eq!(
        header(message, "X-Rcpt-Args").as_deref(),
        Some("<ops@example.com>")
    );
    assert_eq!(
        header(message, "From").as_deref(),
        Some("Sitrep <status@localhost>")
    );
    assert_eq!(header(message, "To").as_deref(), Some("ops@example.com"));
    let message_id = header(message, "Message-ID").unwrap();
    assert!(message_id.starts_with("<delivery-") && message_id.ends_with("@127.0.0.1>"));
    assert!(stdout.contains(&message_id), "{stdout}");
    assert_eq!(
        header(message, "Subject").as_deref(),
        Some("Test email from Sitrep")
    );
    let plain = part(message, "text/plain").expect("a text/plain part");
    assert!(plain.contains("sent to ops@example.com"), "{plain}");
    let html = part(message, "text/html").expect("a text/html part");
    assert!(html.contains("<strong>ops@example.com</strong>"), "{html}");
    assert!(
        !database.dir.path().join("mail").exists(),
        "nothing goes to files"
    );
}

#[tokio::test]
async fn without_smtp_mail_test_writes_an_eml_file_into_the_mail_folder() {
    let database = fresh_database();
    let mail_dir = database.dir.path().join("outgoing");
    let out = sitrep(
        &database.url,
        &mail_dir,
        &[],
        &["mail", "test", "--to", "ops@example.com"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let files: Vec<PathBuf> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let path = &files[0];
    assert!(path.extension().is_some_and(|e| e == "eml"), "{path:?}");
    assert!(text(&out.stdout).contains(&path.display().to_string()));
    let message = std::fs::read_to_string(path).unwrap();
    assert_eq!(header(&message, "To").as_deref(), Some("ops@example.com"));
    let message_id = header(&message, "Message-ID").unwrap();
    assert_eq!(
        path.file_name().unwrap().to_string_lossy(),
        format!("{}.eml", message_id.trim_matches(['<', '>']))
    );
    assert!(part(&message, "text/plain").is_some());
    assert!(part(&message, "text/html").is_some());
}

#[tokio::test]
async fn a_transient_failure_is_retried_later_with_the_same_message_id() {
    let database = fresh_database();
    let dir = database.dir.path().join("sink");
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let failing = Sink::start_on(&dir, port, &["-r", "."]);
    let (db, worker) = outbox_on(&database, Some(failing.url()));
    let notification = enqueue(&db, &["ops@example.com"]);
    let now = sitrep::db::now();

    let report = worker.run_once(now).await.unwrap();
    assert_eq!((report.sent, report.retrying, report.failed), (0, 1, 0));
    let delivery = db
        .run_now(|c| outbox::deliveries_of(c, notification))
        .unwrap()
        .remove(0);
    assert_eq!(delivery.status, "pending");
    assert_eq!(delivery.attempts, 1);
    assert!(
        delivery.last_error.as_deref().unwrap_or("").contains("450"),
        "{delivery:?}"
    );
    assert!(delivery.next_attempt_at >= now + chrono::Duration::seconds(29));
    assert_eq!(
        failing.messages().len(),
        1,
        "the refused attempt reached the sink"
    );
    drop(failing);

    let healthy = Sink::start_on(&dir, port, &[]);
    let early = worker.run_once(sitrep::db::now()).await.unwrap();
    assert_eq!(early.claimed, 0, "no retry before the backoff");
    let report = worker
        .run_once(now + chrono::Duration::seconds(31))
        .await
        .unwrap();
    assert_eq!((report.sent, report.retrying, report.failed), (1, 0, 0));
    let delivery = db
        .run_now(|c| outbox::deliveries_of(c, notification))
        .unwrap()
        .remove(0);
    assert_eq!((delivery.status.as_str(), delivery.attempts), ("sent", 2));
    let messages = healthy.messages();
    assert_eq!(messages.len(), 2);
    for message in &messages {
        assert_eq!(
            header(message, "Message-ID").as_deref(),
            Some(delivery.message_id.as_str())
        );
    }
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_delivery_without_retrying() {
    let database = fresh_database();
    let sink = Sink::start(database.dir.path(), &["-f", "RCPT"]);
    let (db, worker) = outbox_on(&database, Some(sink.url()));
    let notification = enqueue(&db, &["nobody@example.com"]);
    let now = sitrep::db::now();
    let report = worker.run_once(now).await.unwrap();
    assert_eq!((report.sent, report.retrying, report.failed), (0, 0, 1));
    let later = worker
        .run_once(now + chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(later.claimed, 0, "a failed delivery is never claimed again");
    let delivery = db
        .run_now(|c| outbox::deliveries_of(c, notification))
        .unwrap()
        .remove(0);
    assert_eq!((delivery.status.as_str(), delivery.attempts), ("failed", 1));
    assert!(delivery.last_error.unwrap().contains("500"));

    let out = sitrep(
        &database.url,
        &database.dir.path().join("mail"),
        &[("SITREP_SMTP_URL", &sink.url())],
        &["mail", "test", "--to", "ops@example.com"],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("refused for good"), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{}", sink.port)),
        "{stderr}"
    );
}

#[tokio::test]
async fn enqueueing_the_same_recipient_twice_makes_one_delivery() {
    let database = fresh_database();
    let (db, _worker) = outbox_on(&database, None);
    let notification = enqueue(&db, &["a@example.com", "A@Example.com", "b@example.com"]);
    let again = addresses(&["a@example.com", "c@example.com"]);
    let added = db
        .run_now(|c| outbox::add_deliveries(c, "127.0.0.1", notification, &again))
        .unwrap();
    assert_eq!(added, 1);
    let deliveries = db
        .run_now(|c| outbox::deliveries_of(c, notification))
        .unwrap();
    let recipients: Vec<&str> = deliveries.iter().map(|d| d.recipient.as_str()).collect();
    assert_eq!(
        recipients,
        ["a@example.com", "b@example.com", "c@example.com"]
    );
    for delivery in &deliveries {
        assert_eq!(
            delivery.message_id,
            format!("<delivery-{}.{notification}@127.0.0.1>", delivery.id)
        );
    }
    let progress = db.run_now(|c| outbox::progress(c, notification)).unwrap();
    assert_eq!((progress.pending, progress.total()), (3, 3));
}

#[tokio::test]
async fn enqueue_inside_a_rolled_back_transaction_leaves_nothing() {
    let database = fresh_database();
    let (db, _worker) = outbox_on(&database, None);
    let recipients = addresses(&["a@example.com"]);
    let result: Result<(), sitrep::db::StoreError> = db.run_now(|conn| {
        conn.write_transaction(|conn| {
            outbox::enqueue(conn, "127.0.0.1", &test_notification(), &recipients)?;
            Err(sitrep::db::StoreError::Conflict("the change failed".into()))
        })
    });
    assert!(result.is_err());
    let claimed = db
        .run_now(|c| outbox::claim(c, "x", sitrep::db::now(), 10, chrono::Duration::minutes(5)))
        .unwrap();
    assert!(claimed.is_empty());
}

#[tokio::test]
async fn two_claimers_never_get_the_same_delivery_and_expired_leases_come_back() {
    let database = fresh_database();
    let (db, _worker) = outbox_on(&database, None);
    let recipients: Vec<String> = (0..300).map(|i| format!("user{i}@example.com")).collect();
    let refs: Vec<&str> = recipients.iter().map(String::as_str).collect();
    enqueue(&db, &refs);
    let now = sitrep::db::now();
    let lease = chrono::Duration::minutes(5);
    let barrier = std::sync::Barrier::new(2);
    let (first, second) = std::thread::scope(|scope| {
        let claimer = |owner: &'static str| {
            let (db, barrier) = (db.clone(), &barrier);
            scope.spawn(move || {
                barrier.wait();
                let mut ids = Vec::new();
                loop {
                    let batch = db
                        .run_now(|c| outbox::claim(c, owner, now, 40, lease))
                        .unwrap();
                    if batch.is_empty() {
                        return ids;
                    }
                    assert!(batch
                        .iter()
                        .all(|d| d.lease_owner.as_deref() == Some(owner)));
                    ids.extend(batch.iter().map(|d| d.id));
                }
            })
        };
        let (a, b) = (claimer("first"), claimer("second"));
        (a.join().unwrap(), b.join().unwrap())
    });
    let mut all: Vec<i64> = first.iter().chain(second.iter()).copied().collect();
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a delivery was claimed twice");
    assert_eq!(all.len(), 300);

    let none = db
        .run_now(|c| outbox::claim(c, "third", now, 500, lease))
        .unwrap();
    assert!(none.is_empty(), "leased deliveries are not due");
    let reclaimed = db
        .run_now(|c| {
            outbox::claim(
                c,
                "third",
                now + lease + chrono::Duration::seconds(1),
                500,
                lease,
            )
        })
        .unwrap();
    assert_eq!(reclaimed.len(), 300, "expired leases are claimed again");
}

#[tokio::test]
async fn hostile_values_are_escaped_in_html_and_intact_in_text() {
    let database = fresh_database();
    let mail_dir = database.dir.path().join("mail");
    let hostile = format!(
        "<script>alert(\"pwned\")</script> O'Brien & Søn — 漢字 ✓ {}",
        "very long name ".repeat(80)
    );
    let out = sitrep(
        &database.url,
        &mail_dir,
        &[("SITREP_PAGE_NAME", &hostile)],
        &["mail", "test", "--to", "ops@example.com"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = std::fs::read_dir(&mail_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let message = std::fs::read_to_string(path).unwrap();
    let plain = part(&message, "text/plain").unwrap();
    assert!(plain.contains(hostile.trim()), "{plain}");
    let html = part(&message, "text/html").unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("O&#x27;Brien &amp; Søn — 漢字 ✓"), "{html}");
    assert!(!header(&message, "Subject").unwrap().is_empty());
}
