//! The mail sender: SMTP to a relay ([`super::smtp`]), or `.eml` files in a
//! folder when no relay is configured (so a first run works with nothing
//! else installed). Messages are built here, multipart text + HTML.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lettre::address::{Address, Envelope};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use super::email::RenderedEmail;
use super::links::Links;
pub use super::smtp::SmtpMailer;
use super::stencil::{self, Stencil};
use crate::config::{MailTransport, Settings};

/// One rendered email for one delivery.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub delivery_id: i64,
    /// With its angle brackets, e.g. `<delivery-7.3@status.example.com>`.
    pub message_id: String,
    pub to: String,
    pub content: Content,
}

/// What an email says.
#[derive(Debug, Clone)]
pub enum Content {
    /// Rendered for this recipient alone, with extra headers (e.g.
    /// `List-Unsubscribe`), name and value.
    Rendered {
        email: RenderedEmail,
        headers: Vec<(String, String)>,
    },
    /// Its notification's stencil, filled with this recipient's links.
    Stencil {
        stencil: Arc<Stencil>,
        links: Option<Links>,
    },
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Refused for good (a 5xx answer to the message, or an address that
    /// cannot be written): retrying would not help.
    #[error("{0}")]
    Permanent(String),
    /// A 4xx answer, a refused or broken connection, a timeout: try later.
    #[error("{0}")]
    Transient(String),
}

impl SendError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Permanent(_))
    }
}

/// What happened to one email.
#[derive(Debug, Clone)]
pub struct SendOutcome {
    pub delivery_id: i64,
    pub result: Result<(), SendError>,
}

/// Where mail goes: an SMTP relay or a folder of `.eml` files.
pub enum Mailer {
    Smtp(SmtpMailer),
    Files(FileMailer),
}

impl Mailer {
    /// The mailer `Settings.mail` names, sending as `Settings.mail_from`.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        let from: Mailbox = settings.mail_from.parse().map_err(|e| {
            anyhow::anyhow!(
                "SITREP_MAIL_FROM {:?} is not a sender address ({e}): write Status <status@example.com>",
                settings.mail_from
            )
        })?;
        Ok(match &settings.mail {
            MailTransport::Smtp(url) => Mailer::Smtp(SmtpMailer::new(
                url,
                from,
                message_domain(settings),
                settings.smtp_connections,
            )?),
            MailTransport::Files(dir) => Mailer::Files(FileMailer {
                dir: dir.clone(),
                from,
            }),
        })
    }

    /// The sender's address.
    pub fn from(&self) -> &Mailbox {
        match self {
            Mailer::Smtp(smtp) => smtp.from(),
            Mailer::Files(files) => &files.from,
        }
    }

    /// Where the message with this Message-ID went, in words for people.
    pub fn destination(&self, message_id: &str) -> String {
        match self {
            Mailer::Smtp(smtp) => smtp.describe(),
            Mailer::Files(files) => files.path_for(message_id).display().to_string(),
        }
    }

    /// Sends every email; the outcomes come back in no particular order.
    pub async fn send(&self, emails: Vec<OutgoingEmail>) -> Vec<SendOutcome> {
        match self {
            Mailer::Smtp(smtp) => smtp.send(emails).await,
            Mailer::Files(files) => files.send(emails).await,
        }
    }
}

/// The site's stable host name (from `base_url`), used in Message-IDs and EHLO.
pub fn message_domain(settings: &Settings) -> String {
    settings
        .base_url
        .host_str()
        .unwrap_or("localhost")
        .trim_matches(['[', ']'])
        .to_string()
}

/// An email as lettre builds it: the envelope and the RFC 5322 bytes.
pub(super) struct BuiltEmail {
    pub(super) delivery_id: i64,
    pub(super) envelope: Envelope,
    pub(super) bytes: Vec<u8>,
}

/// Builds the multipart (text + HTML) message; a failure here is permanent.
pub(super) fn build(from: &Mailbox, email: &OutgoingEmail) -> Result<BuiltEmail, SendError> {
    let not_an_address = |e: &dyn std::fmt::Display| {
        SendError::Permanent(format!(
            "{:?} is not an address we can send to: {e}",
            email.to
        ))
    };
    let (headers, rendered) = match &email.content {
        Content::Stencil { stencil, links } => {
            if !stencil::fits(&email.to) {
                return Err(not_an_address(&"not a plain address"));
            }
            let to: Address = email.to.parse().map_err(|e| not_an_address(&e))?;
            let envelope = Envelope::new(Some(from.email.clone()), vec![to])
                .map_err(|e| not_an_address(&e))?;
            let bytes = stencil.fill(&stencil::Values {
                recipient: &email.to,
                message_id: &email.message_id,
                links: links.as_ref(),
            });
            return Ok(BuiltEmail {
                delivery_id: email.delivery_id,
                envelope,
                bytes,
            });
        }
        Content::Rendered { email, headers } => (headers, email),
    };
    let to: Mailbox = email.to.parse().map_err(|e| not_an_address(&e))?;
    let mut builder = Message::builder();
    for (name, value) in headers {
        let name = lettre::message::header::HeaderName::new_from_ascii(name.clone())
            .map_err(|e| SendError::Permanent(format!("bad header name {name:?}: {e}")))?;
        builder = builder.raw_header(lettre::message::header::HeaderValue::new(
            name,
            value.clone(),
        ));
    }
    let message = builder
        .from(from.clone())
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(email.message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))
        .map_err(|e| SendError::Permanent(format!("building the message: {e}")))?;
    Ok(BuiltEmail {
        delivery_id: email.delivery_id,
        envelope: message.envelope().clone(),
        bytes: message.formatted(),
    })
}

/// Writes each message as `<message-id>.eml` into a folder.
pub struct FileMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl FileMailer {
    fn path_for(&self, message_id: &str) -> PathBuf {
        let name: String = message_id
            .trim_matches(['<', '>'])
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{name}.eml"))
    }

    async fn send(&self, emails: Vec<OutgoingEmail>) -> Vec<SendOutcome> {
        let jobs: Vec<(i64, PathBuf, Result<BuiltEmail, SendError>)> = emails
            .iter()
            .map(|email| {
                (
                    email.delivery_id,
                    self.path_for(&email.message_id),
                    build(&self.from, email),
                )
            })
            .collect();
        let dir = self.dir.clone();
        let written = tokio::task::spawn_blocking(move || {
            if let Err(err) = std::fs::create_dir_all(&dir) {
                let error = SendError::Transient(format!(
                    "cannot create the mail folder {}: {err}",
                    dir.display()
                ));
                return jobs
                    .into_iter()
                    .map(|(delivery_id, _, _)| SendOutcome {
                        delivery_id,
                        result: Err(error.clone()),
                    })
                    .collect();
            }
            jobs.into_iter()
                .map(|(delivery_id, path, built)| SendOutcome {
                    delivery_id,
                    result: built.and_then(|built| write_atomically(&path, &built.bytes)),
                })
                .collect::<Vec<_>>()
        })
        .await;
        written.unwrap_or_else(|err| {
            let error = SendError::Transient(format!("writing .eml files failed: {err}"));
            emails
                .iter()
                .map(|email| SendOutcome {
                    delivery_id: email.delivery_id,
                    result: Err(error.clone()),
                })
                .collect()
        })
    }
}

/// Writes to a temporary name in the same folder, then renames: a reader
/// never sees half a message, and a rewrite after a crash replaces it whole.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SendError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.tmp"));
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|err| SendError::Transient(format!("writing {}: {err}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eml_file_names_are_the_message_id_without_brackets() {
        let files = FileMailer {
            dir: PathBuf::from("/tmp/mail"),
            from: "Status <status@example.com>".parse().unwrap(),
        };
        assert_eq!(
            files.path_for("<delivery-7.3@status.example.com>"),
            PathBuf::from("/tmp/mail/delivery-7.3@status.example.com.eml")
        );
        assert_eq!(
            files.path_for("<a/../b@x>"),
            PathBuf::from("/tmp/mail/a_.._b@x.eml")
        );
    }
}
