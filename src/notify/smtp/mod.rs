//! Sending through an SMTP relay. Connections are opened here rather than by
//! lettre's transport: lettre's own transport never sets `TCP_NODELAY`, and with Nagle's
//! algorithm on, each command of the SMTP dialogue waits for the previous
//! segment's delayed ACK, which capped a connection at about 23 messages/s on
//! our machines. We open the socket, set `TCP_NODELAY`, and hand it to
//! lettre's `AsyncSmtpConnection`, which then does EHLO, STARTTLS and AUTH as
//! the `smtp://` / `smtps://` URL says. Up to `smtp_connections` connections
//! send at once, each many messages; idle ones are kept for the next batch.
//!
//! When the relay offers PIPELINING (RFC 2920), MAIL, RCPT and DATA go out
//! in one write and the message with its closing dot in another: two round
//! trips per message instead of lettre's four (it has no pipelining).

// lettre marks `AsyncNetworkStream` deprecated ("not meant to be public"); it
// is the only way to run implicit TLS over a socket we opened ourselves.
#![allow(deprecated)]

use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncNetworkStream, AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;
use url::Url;

use super::sender::{build, BuiltEmail, OutgoingEmail, SendError, SendOutcome};
use tls::ImplicitTls;

/// Opening a connection (TCP, greeting, EHLO, STARTTLS, AUTH) may take this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// One message (MAIL, RCPT, DATA) may take this long.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Idle connections older than this are closed rather than reused.
const IDLE_LIMIT: Duration = Duration::from_secs(30);

/// Sends through an SMTP relay over up to `connections` connections at once.
pub struct SmtpMailer {
    inner: Arc<SmtpRelay>,
}

struct SmtpRelay {
    host: String,
    port: u16,
    implicit_tls: bool,
    loopback: bool,
    credentials: Option<Credentials>,
    hello: ClientId,
    from: Mailbox,
    connections: usize,
    nodelay: bool,
    idle: Mutex<Vec<(Connection, Instant)>>,
}

/// A lane's connection and where its dialogue stands.
struct Session {
    connection: Connection,
    /// Taken from the idle list and not yet used in this lane.
    reused: bool,
    /// The message whose envelope the relay accepted; its content goes out
    /// with the next write.
    accepted: Option<BuiltEmail>,
}

/// An open SMTP session.
struct Connection {
    smtp: AsyncSmtpConnection,
    /// The relay takes pipelined commands (it said PIPELINING to EHLO).
    pipelining: bool,
}

type SmtpResult = Result<(), lettre::transport::smtp::Error>;

impl Connection {
    /// Whether `email` may go pipelined on this connection: the relay takes
    /// it and everything is ASCII (otherwise lettre's own dialogue adds the
    /// SMTPUTF8 and 8BITMIME parameters).
    fn pipelines(&self, email: &BuiltEmail) -> bool {
        let envelope = &email.envelope;
        self.pipelining
            && email.bytes.is_ascii()
            && envelope
                .from()
                .into_iter()
                .chain(envelope.to())
                .all(|address| AsRef::<str>::as_ref(address).is_ascii())
    }

    /// Opens a transaction for `email`: MAIL, RCPT and DATA in one write.
    /// `Ok` once the relay waits for the content (it answered DATA with 354).
    async fn open(&mut self, email: &BuiltEmail) -> SmtpResult {
        self.smtp.command(Raw(&envelope_commands(email))).await?;
        self.read_envelope_answers(email).await
    }

    /// The answers to each RCPT and to DATA (MAIL's has been read).
    async fn read_envelope_answers(&mut self, email: &BuiltEmail) -> SmtpResult {
        for _ in email.envelope.to() {
            self.smtp.read_response().await?;
        }
        self.smtp.read_response().await.map(drop)
    }

    /// Sends the content of the open transaction for `open` and, in the same
    /// write, the envelope of `next`: one round trip per message. Returns the
    /// answer to the content, and the answer to `next`'s envelope unless the
    /// content failed (the connection is then dropped, and `next` was never
    /// sent).
    async fn finish(
        &mut self,
        open: &BuiltEmail,
        next: Option<&BuiltEmail>,
    ) -> (SmtpResult, Option<SmtpResult>) {
        let mut out = match std::str::from_utf8(&open.bytes) {
            Ok(message) => data_phase(message),
            Err(_) => data_phase(&String::from_utf8_lossy(&open.bytes)),
        };
        if let Some(next) = next {
            out.push_str(&envelope_commands(next));
        }
        if let Err(err) = self.smtp.command(Raw(&out)).await {
            return (Err(err), None);
        }
        let Some(next) = next else {
            return (Ok(()), None);
        };
        let opened = match self.smtp.read_response().await {
            Ok(_) => self.read_envelope_answers(next).await,
            Err(err) => Err(err),
        };
        (Ok(()), Some(opened))
    }
}

/// MAIL, RCPT and DATA for `email`, to be written at once.
fn envelope_commands(email: &BuiltEmail) -> String {
    let envelope = &email.envelope;
    let mut group = Mail::new(envelope.from().cloned(), Vec::new()).to_string();
    for to in envelope.to() {
        group.push_str(&Rcpt::new(to.clone(), Vec::new()).to_string());
    }
    group.push_str(&Data.to_string());
    group
}

/// Text written to the relay as it is (a group of pipelined commands, or a
/// message's data phase).
struct Raw<'a>(&'a str);

impl fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A message as the DATA phase carries it (RFC 5321 section 4.5.2): a `.`
/// starting a line is doubled, and `CRLF . CRLF` ends it (as lettre does).
fn data_phase(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 64);
    if message.starts_with('.') {
        out.push('.');
    }
    let mut rest = message;
    // Line ends are found with `memchr`; most lines do not start with a dot.
    while let Some(at) = rest.find('\n') {
        let (line, next) = rest.split_at(at + 1);
        out.push_str(line);
        if next.starts_with('.') && line.ends_with("\r\n") {
            out.push('.');
        }
        rest = next;
    }
    out.push_str(rest);
    out.push_str("\r\n.\r\n");
    out
}

/// Whether the relay takes pipelined commands: lettre keeps only the EHLO
/// keywords it knows, so this asks again.
async fn offers_pipelining(
    conn: &mut AsyncSmtpConnection,
    hello: &ClientId,
) -> Result<bool, lettre::transport::smtp::Error> {
    match conn.command(Ehlo::new(hello.clone())).await {
        Ok(response) => Ok(response.message().any(|line| {
            line.split_whitespace()
                .next()
                .is_some_and(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
        })),
        Err(err) if err.is_response() => Ok(false),
        Err(err) => Err(err),
    }
}

impl SmtpMailer {
    /// `smtp://[user:password@]host[:port]` (STARTTLS when the relay offers it;
    /// port 587 by default) or `smtps://…` (TLS from the start; port 465).
    pub fn new(
        url: &Url,
        from: Mailbox,
        hello_domain: String,
        connections: usize,
    ) -> anyhow::Result<SmtpMailer> {
        let implicit_tls = url.scheme() == "smtps";
        let host = url
            .host_str()
            .context("SITREP_SMTP_URL has no host")?
            .trim_matches(['[', ']'])
            .to_string();
        let port = url.port().unwrap_or(if implicit_tls { 465 } else { 587 });
        let credentials = if url.username().is_empty() {
            None
        } else {
            let decode = |s: &str| {
                percent_decode(s)
                    .context("SITREP_SMTP_URL: the user or password is not valid UTF-8")
            };
            Some(Credentials::new(
                decode(url.username())?,
                decode(url.password().unwrap_or(""))?,
            ))
        };
        let loopback =
            host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        Ok(SmtpMailer {
            inner: Arc::new(SmtpRelay {
                host,
                port,
                implicit_tls,
                loopback,
                credentials,
                hello: ClientId::Domain(hello_domain),
                from,
                connections: connections.max(1),
                nodelay: true,
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Turns `TCP_NODELAY` off (for the benchmark's comparison only).
    pub fn without_nodelay(self) -> SmtpMailer {
        let relay = Arc::try_unwrap(self.inner)
            .unwrap_or_else(|_| unreachable!("a new mailer has one owner"));
        SmtpMailer {
            inner: Arc::new(SmtpRelay {
                nodelay: false,
                ..relay
            }),
        }
    }

    /// The sender's address.
    pub fn from(&self) -> &Mailbox {
        &self.inner.from
    }

    /// The relay, in words for people.
    pub fn describe(&self) -> String {
        format!("the SMTP relay {}:{}", self.inner.host, self.inner.port)
    }

    #[tracing::instrument(skip_all, fields(relay = %self.inner.host, count = emails.len()))]
    pub(super) async fn send(&self, emails: Vec<OutgoingEmail>) -> Vec<SendOutcome> {
        let mut outcomes = Vec::with_capacity(emails.len());
        // Each lane builds its own messages, so building runs in parallel
        // with the other lanes' SMTP dialogues.
        let lanes_count = self.inner.connections.min(emails.len()).max(1);
        let mut lanes: Vec<Vec<OutgoingEmail>> = (0..lanes_count).map(|_| Vec::new()).collect();
        for (i, email) in emails.into_iter().enumerate() {
            lanes[i % lanes_count].push(email);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for lane in lanes.into_iter().filter(|lane| !lane.is_empty()) {
            let relay = self.inner.clone();
            tasks.spawn(async move { relay.send_lane(lane).await });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(lane_outcomes) => outcomes.extend(lane_outcomes),
                // A panicked lane's deliveries stay leased and are retried
                // when the lease runs out.
                Err(err) => tracing::error!(error = %err, "an SMTP connection task failed"),
            }
        }
        outcomes
    }
}

impl SmtpRelay {
    /// Sends one lane's emails over one connection, reconnecting after an
    /// error (lettre closes a connection on any error). When the relay cannot
    /// be reached, the rest of the lane fails transiently at once.
    ///
    /// With PIPELINING, a message's content, its closing dot and the next
    /// message's MAIL, RCPT and DATA share one write, so each message costs
    /// one round trip.
    async fn send_lane(&self, lane: Vec<OutgoingEmail>) -> Vec<SendOutcome> {
        let mut outcomes = Vec::with_capacity(lane.len());
        let mut emails = lane.into_iter();
        let mut session = self.take_idle().map(|connection| Session {
            connection,
            reused: true,
            accepted: None,
        });
        // Built, not yet offered to the relay.
        let mut pending: Option<BuiltEmail> = None;
        loop {
            if pending.is_none() {
                pending = self.next_built(&mut emails, &mut outcomes);
            }
            // A transaction waiting for its content: send it, with the next
            // envelope when it can ride along.
            if Self::finish_accepted(&mut session, &mut pending, &mut outcomes).await {
                continue;
            }
            let Some(email) = pending.take() else {
                break;
            };
            let current = match session.as_mut() {
                Some(current) => current,
                None => match self.connect().await {
                    Ok(connection) => session.insert(Session {
                        connection,
                        reused: false,
                        accepted: None,
                    }),
                    Err(error) => {
                        tracing::warn!(relay = %self.host, %error, "cannot open an SMTP connection");
                        let error = SendError::Transient(error);
                        outcomes.push(SendOutcome {
                            delivery_id: email.delivery_id,
                            result: Err(error.clone()),
                        });
                        outcomes.extend(emails.map(|rest| SendOutcome {
                            delivery_id: rest.delivery_id,
                            result: Err(error.clone()),
                        }));
                        return outcomes;
                    }
                },
            };
            let pipelined = current.connection.pipelines(&email);
            let result = if pipelined {
                tokio::time::timeout(SEND_TIMEOUT, current.connection.open(&email)).await
            } else {
                tokio::time::timeout(
                    SEND_TIMEOUT,
                    current.connection.smtp.send(&email.envelope, &email.bytes),
                )
                .await
                .map(|sent| sent.map(drop))
            };
            match result {
                Ok(Ok(())) => {
                    current.reused = false;
                    if pipelined {
                        current.accepted = Some(email);
                    } else {
                        outcomes.push(SendOutcome {
                            delivery_id: email.delivery_id,
                            result: Ok(()),
                        });
                    }
                }
                Ok(Err(err)) => {
                    let reused = current.reused;
                    session = None;
                    // A kept-alive connection the relay closed meanwhile:
                    // try once more on a fresh one before counting a failure.
                    if reused && !err.is_response() {
                        pending = Some(email);
                    } else {
                        outcomes.push(SendOutcome {
                            delivery_id: email.delivery_id,
                            result: Err(classify(&err)),
                        });
                    }
                }
                Err(_) => {
                    session = None;
                    outcomes.push(SendOutcome {
                        delivery_id: email.delivery_id,
                        result: Err(timed_out()),
                    });
                }
            }
        }
        if let Some(current) = session {
            self.put_idle(current.connection);
        }
        outcomes
    }

    /// Sends the content of the message whose envelope the relay accepted,
    /// with the next envelope when it can ride along. False when no
    /// transaction was waiting.
    async fn finish_accepted(
        session: &mut Option<Session>,
        pending: &mut Option<BuiltEmail>,
        outcomes: &mut Vec<SendOutcome>,
    ) -> bool {
        let Some(current) = session.as_mut() else {
            return false;
        };
        let Some(open) = current.accepted.take() else {
            return false;
        };
        let next = pending
            .as_ref()
            .filter(|next| current.connection.pipelines(next));
        let (done, opened) = match tokio::time::timeout(
            SEND_TIMEOUT,
            current.connection.finish(&open, next),
        )
        .await
        {
            Ok((done, opened)) => (done.map_err(|e| classify(&e)), opened),
            Err(_) => (Err(timed_out()), None),
        };
        let failed = done.is_err();
        outcomes.push(SendOutcome {
            delivery_id: open.delivery_id,
            result: done,
        });
        match opened {
            Some(Ok(())) => current.accepted = pending.take(),
            Some(Err(err)) => {
                *session = None;
                if let Some(next) = pending.take() {
                    outcomes.push(SendOutcome {
                        delivery_id: next.delivery_id,
                        result: Err(classify(&err)),
                    });
                }
            }
            // Not offered (or the content failed): `pending`
            // goes next, on this connection or a fresh one.
            None if failed => *session = None,
            None => {}
        }
        true
    }

    /// The next email of the lane, built; those that cannot be built are
    /// failed on the way.
    fn next_built(
        &self,
        emails: &mut impl Iterator<Item = OutgoingEmail>,
        outcomes: &mut Vec<SendOutcome>,
    ) -> Option<BuiltEmail> {
        for outgoing in emails {
            match build(&self.from, &outgoing) {
                Ok(built) => return Some(built),
                Err(error) => outcomes.push(SendOutcome {
                    delivery_id: outgoing.delivery_id,
                    result: Err(error),
                }),
            }
        }
        None
    }

    fn take_idle(&self) -> Option<Connection> {
        let mut idle = self.idle.lock().ok()?;
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < IDLE_LIMIT {
                return Some(conn);
            }
        }
        None
    }

    fn put_idle(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.connections {
                idle.push((conn, Instant::now()));
            }
        }
    }

    /// Opens a connection: TCP with `TCP_NODELAY`, then TLS (smtps) or
    /// STARTTLS (smtp, when offered), then AUTH when the URL has credentials.
    #[tracing::instrument(skip_all, fields(relay = %self.host, port = self.port))]
    async fn connect(&self) -> Result<Connection, String> {
        tokio::time::timeout(CONNECT_TIMEOUT, self.open())
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "connecting to the SMTP relay {}:{} timed out after {} s",
                    self.host,
                    self.port,
                    CONNECT_TIMEOUT.as_secs()
                ))
            })
    }

    async fn open(&self) -> Result<Connection, String> {
        let relay = format!("{}:{}", self.host, self.port);
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("cannot connect to the SMTP relay {relay}: {e}"))?;
        tcp.set_nodelay(self.nodelay)
            .map_err(|e| format!("setting TCP_NODELAY on the connection to {relay}: {e}"))?;
        let tls = || {
            TlsParameters::new(self.host.clone())
                .map_err(|e| format!("setting up TLS for {relay}: {e}"))
        };
        let mut conn = if self.implicit_tls {
            let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
            stream
                .upgrade_tls(tls()?)
                .await
                .map_err(|e| format!("TLS with the SMTP relay {relay} failed: {e}"))?;
            AsyncSmtpConnection::connect_with_transport(Box::new(ImplicitTls(stream)), &self.hello)
                .await
                .map_err(|e| format!("the SMTP relay {relay} refused the session: {e}"))?
        } else {
            let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                .await
                .map_err(|e| format!("the SMTP relay {relay} refused the session: {e}"))?;
            if conn.can_starttls() {
                conn.starttls(tls()?, &self.hello)
                    .await
                    .map_err(|e| format!("STARTTLS with the SMTP relay {relay} failed: {e}"))?;
            } else if self.credentials.is_some() && !self.loopback {
                return Err(format!(
                    "the SMTP relay {relay} does not offer STARTTLS, so the password would travel in clear: use smtps:// or a relay that offers STARTTLS"
                ));
            }
            conn
        };
        // Asked before AUTH: an EHLO after it may reset the session.
        let pipelining = offers_pipelining(&mut conn, &self.hello)
            .await
            .map_err(|e| format!("the SMTP relay {relay} broke the session: {e}"))?;
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(|e| format!("the SMTP relay {relay} refused the credentials: {e}"))?;
        }
        Ok(Connection {
            smtp: conn,
            pipelining,
        })
    }
}

fn timed_out() -> SendError {
    SendError::Transient(format!(
        "the SMTP relay did not answer within {} s",
        SEND_TIMEOUT.as_secs()
    ))
}

/// 5xx answers to a message (and messages lettre cannot send at all) are
/// permanent; 4xx answers, broken connections and timeouts are transient.
fn classify(err: &lettre::transport::smtp::Error) -> SendError {
    if err.is_permanent() || err.is_client() {
        SendError::Permanent(err.to_string())
    } else {
        SendError::Transient(err.to_string())
    }
}

fn percent_decode(value: &str) -> anyhow::Result<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])?;
            out.push(u8::from_str_radix(hex, 16)?);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Ok(String::from_utf8(out)?)
}

#[cfg(test)]
mod tests;
mod tls;
