use super::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A relay on loopback that offers PIPELINING, refuses recipients whose
/// address starts with `refused`, and answers line by line, so
/// pipelined commands get their answers in order. Returns its port and
/// the messages it accepted (each with its session number).
async fn scripted_relay() -> (u16, Arc<Mutex<Vec<(usize, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let store = accepted.clone();
    tokio::spawn(async move {
        let mut session = 0;
        while let Ok((socket, _)) = listener.accept().await {
            session += 1;
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 relay ESMTP\r\n").await.unwrap();
                let (mut recipients, mut data, mut message) = (0, false, String::new());
                while let Ok(Some(line)) = lines.next_line().await {
                    if data {
                        if line == "." {
                            data = false;
                            store
                                .lock()
                                .unwrap()
                                .push((session, std::mem::take(&mut message)));
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            // A doubled leading dot stands for one.
                            message.push_str(line.strip_prefix('.').unwrap_or(&line));
                            message.push('\n');
                        }
                        continue;
                    }
                    let command = line.to_ascii_uppercase();
                    let answer: &[u8] = if command.starts_with("EHLO") {
                        b"250-relay\r\n250 PIPELINING\r\n"
                    } else if command.starts_with("MAIL") {
                        recipients = 0;
                        b"250 sender ok\r\n"
                    } else if command.starts_with("RCPT TO:<REFUSED") {
                        b"550 no such user\r\n"
                    } else if command.starts_with("RCPT") {
                        recipients += 1;
                        b"250 recipient ok\r\n"
                    } else if command == "DATA" && recipients > 0 {
                        data = true;
                        b"354 go ahead\r\n"
                    } else if command == "DATA" {
                        b"554 no valid recipients\r\n"
                    } else if command == "QUIT" {
                        b"221 bye\r\n"
                    } else {
                        b"502 not implemented\r\n"
                    };
                    if write.write_all(answer).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, accepted)
}

fn outgoing(id: i64, to: &str) -> OutgoingEmail {
    OutgoingEmail {
        delivery_id: id,
        message_id: format!("<delivery-{id}@test>"),
        to: to.into(),
        content: super::super::sender::Content::Rendered {
            email: super::super::email::RenderedEmail {
                subject: format!("Message {id}"),
                text: format!(".leading dot\nbody of {id}\n"),
                html: format!("<p>body of {id}</p>"),
            },
            headers: Vec::new(),
        },
    }
}

#[tokio::test]
async fn a_refused_recipient_mid_pipeline_fails_alone_and_the_rest_arrive_once() {
    let (port, accepted) = scripted_relay().await;
    let url = Url::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
    let mailer = SmtpMailer::new(
        &url,
        "Status <status@test>".parse().unwrap(),
        "test".into(),
        1,
    )
    .unwrap();
    let emails = vec![
        outgoing(1, "one@example.com"),
        outgoing(2, "two@example.com"),
        outgoing(3, "refused@example.com"),
        outgoing(4, "four@example.com"),
    ];
    let mut outcomes = mailer.send(emails).await;
    outcomes.sort_by_key(|o| o.delivery_id);
    let results: Vec<_> = outcomes.iter().map(|o| o.result.clone()).collect();
    assert_eq!(results[0], Ok(()));
    assert_eq!(results[1], Ok(()));
    assert!(
        matches!(&results[2], Err(SendError::Permanent(m)) if m.contains("no such user")),
        "{:?}",
        results[2]
    );
    assert_eq!(results[3], Ok(()));
    let accepted = accepted.lock().unwrap().clone();
    let delivered: Vec<(usize, String)> = accepted
        .iter()
        .map(|(session, message)| {
            let to = message
                .lines()
                .find_map(|l| l.strip_prefix("To: "))
                .unwrap_or_default()
                .to_string();
            (*session, to)
        })
        .collect();
    // The refusal drops the connection; the fourth goes on a new one.
    assert_eq!(
        delivered,
        [
            (1, "one@example.com".to_string()),
            (1, "two@example.com".to_string()),
            (2, "four@example.com".to_string()),
        ]
    );
    // Dot-stuffing: the relay read the line back as it was written.
    assert!(
        accepted[0].1.contains("\n.leading dot\n"),
        "{}",
        accepted[0].1
    );
}

#[test]
fn credentials_in_the_url_are_percent_decoded() {
    assert_eq!(percent_decode("p%40ss%2Fw0rd").unwrap(), "p@ss/w0rd");
    assert_eq!(percent_decode("plain%").unwrap(), "plain%");
}

#[test]
fn the_data_phase_doubles_leading_dots_and_ends_with_a_lone_dot() {
    assert_eq!(data_phase("a\r\nb"), "a\r\nb\r\n.\r\n");
    assert_eq!(
        data_phase(".x\r\n..y\r\nz.\r\n.\r\n"),
        "..x\r\n...y\r\nz.\r\n..\r\n\r\n.\r\n"
    );
    assert_eq!(data_phase(""), "\r\n.\r\n");
}
