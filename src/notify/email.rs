//! Email templates: each kind of email is a folder `templates/email/<kind>/`
//! with `subject.hbs`, `body.txt.hbs` and `body.html.hbs`, embedded in the
//! binary and overridable from `SITREP_TEMPLATES_DIR/email/<kind>/`.
//!
//! Two registries: the subject and the text body are rendered without HTML
//! escaping (a `<` in a page name stays a `<` in a plain-text email); the HTML
//! body escapes every value.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde_json::Value;

use crate::db::models::outbox::NotificationKind;

/// The `templates/email/` folder, embedded in the binary.
#[derive(RustEmbed)]
#[folder = "templates/email/"]
struct EmbeddedEmailTemplates;

/// One email ready to send: subject, plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The email templates of every kind.
pub struct EmailTemplates {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
    /// Kinds with a template that uses a personal value in an expression
    /// (a helper's argument, a condition) rather than showing it as it is.
    transforming: HashSet<String>,
}

/// The values that differ per recipient of one notification.
pub const PERSONAL_VALUES: [&str; 4] =
    ["recipient", "confirm_url", "manage_url", "unsubscribe_url"];

/// Whether every `{{…}}` of a template source that mentions a personal
/// value is that value alone (`{{value}}`, `{{{value}}}`, with spaces or `~`).
fn shows_personal_values_as_written(source: &str) -> bool {
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return true;
        };
        let inner = after[..end].trim_matches(|c: char| c == '{' || c == '~' || c.is_whitespace());
        let mentions = PERSONAL_VALUES.iter().any(|name| {
            inner.match_indices(name).any(|(at, _)| {
                let word = |c: char| c.is_alphanumeric() || c == '_';
                !inner[..at].ends_with(word) && !inner[at + name.len()..].starts_with(word)
            })
        });
        if mentions && !PERSONAL_VALUES.contains(&inner) {
            return false;
        }
        rest = &after[end + 2..];
    }
    true
}

impl EmailTemplates {
    /// Loads the embedded templates, then any override found under
    /// `override_dir/email/` with the same relative path.
    pub fn load(override_dir: Option<&Path>) -> anyhow::Result<EmailTemplates> {
        let mut text = Handlebars::new();
        text.register_escape_fn(handlebars::no_escape);
        text.set_strict_mode(true);
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        let mut transforming = HashSet::new();
        for file in EmbeddedEmailTemplates::iter().filter(|f| f.ends_with(".hbs")) {
            let name = file.trim_end_matches(".hbs").to_string();
            let content = EmbeddedEmailTemplates::get(&file)
                .with_context(|| format!("embedded email template {file} vanished"))?;
            let mut source = std::str::from_utf8(&content.data)
                .with_context(|| format!("email template {file} is not UTF-8"))?
                .to_string();
            let mut origin = format!("email template {file}");
            if let Some(path) = override_dir
                .map(|dir| dir.join("email").join(file.as_ref()))
                .filter(|path| path.is_file())
            {
                source = std::fs::read_to_string(&path).with_context(|| {
                    format!("reading the override email template {}", path.display())
                })?;
                origin = format!("override email template {}", path.display());
                tracing::info!(template = %name, path = %path.display(), "using override email template");
            }
            let registry = if name.ends_with("body.html") {
                &mut html
            } else {
                &mut text
            };
            registry
                .register_template_string(&name, &source)
                .with_context(|| format!("{origin} does not parse"))?;
            if !shows_personal_values_as_written(&source) {
                let kind = name.split('/').next().unwrap_or_default().to_string();
                tracing::info!(template = %name, "a personal value is used in an expression: each email of this kind is rendered in full");
                transforming.insert(kind);
            }
        }
        Ok(EmailTemplates {
            text,
            html,
            transforming,
        })
    }

    /// Whether the templates of `kind` show each personal value
    /// (`recipient` and the subscriber links) only as it is, `{{value}}` or
    /// `{{{value}}}`: then a stencil with placeholders stands for every
    /// recipient (see [`super::stencil`]).
    pub fn stencils(&self, kind: NotificationKind) -> bool {
        !self.transforming.contains(kind.as_str())
    }

    /// Renders the email of `kind` with `data` (a JSON object).
    pub fn render(&self, kind: NotificationKind, data: &Value) -> anyhow::Result<RenderedEmail> {
        self.render_value(kind, data.clone())
    }

    /// As [`EmailTemplates::render`], taking the data: the three templates
    /// share one context instead of serialising the data three times.
    pub fn render_value(
        &self,
        kind: NotificationKind,
        data: Value,
    ) -> anyhow::Result<RenderedEmail> {
        let name = kind.as_str();
        let context = handlebars::Context::from(data);
        let subject = self
            .text
            .render_with_context(&format!("{name}/subject"), &context)
            .with_context(|| format!("rendering the subject of the {name} email"))?;
        let text = self
            .text
            .render_with_context(&format!("{name}/body.txt"), &context)
            .with_context(|| format!("rendering the text of the {name} email"))?;
        let html = self
            .html
            .render_with_context(&format!("{name}/body.html"), &context)
            .with_context(|| format!("rendering the HTML of the {name} email"))?;
        Ok(RenderedEmail {
            subject: one_line(&subject),
            text,
            html,
        })
    }
}

/// A subject is one line: runs of whitespace (newlines included) become one space.
fn one_line(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile() -> Value {
        serde_json::json!({
            "page_name": "<script>alert(\"x\")</script> O'Brien & Søn 漢字",
            "page_url": "https://status.example.com/?a=1&b=\"2\"",
            "recipient": "ops@example.com",
            "requested_at": "23 Nov 2026 10:00 UTC",
        })
    }

    #[test]
    fn the_html_body_escapes_and_the_text_body_keeps_values_as_written() {
        let templates = EmailTemplates::load(None).unwrap();
        let email = templates
            .render(NotificationKind::Test, &hostile())
            .unwrap();
        assert!(email
            .text
            .contains("<script>alert(\"x\")</script> O'Brien & Søn 漢字"));
        assert!(!email.html.contains("<script>"));
        assert!(email.html.contains("&lt;script&gt;"));
        assert!(email.html.contains("Søn 漢字"));
        assert!(email.subject.starts_with("Test email from <script>"));
        assert!(!email.subject.contains('\n'));
    }

    /// Hostile values in every field a template shows.
    const SCRIPT: &str = "<script>alert(\"x\")</script>";
    const NAMES: &str = "Zürich — 東京 ☃";

    fn hostile_title() -> String {
        let unit = format!("{SCRIPT} \"double\" 'single' & {NAMES} ");
        unit.chars().cycle().take(2000).collect()
    }

    fn hostile_data(kind: NotificationKind) -> Value {
        let page_name = format!("{SCRIPT} O'Brien & \"Søn\" {NAMES}");
        let page_url = "https://status.example.com/?a=1&b=\"2\"";
        let mut data = serde_json::json!({
            "page_name": page_name,
            "page_url": page_url,
            "recipient": "ops@example.com",
        });
        let extra = match kind {
            NotificationKind::Test => {
                serde_json::json!({"requested_at": format!("{NAMES} {SCRIPT}")})
            }
            NotificationKind::Confirmation => serde_json::json!({
                "internal": false,
                "confirm_url": format!("{page_url}&confirm=\"<x>\""),
            }),
            NotificationKind::IncidentUpdate => {
                let markdown = format!("{SCRIPT} **{NAMES}** \"quoted\" & 'single'");
                serde_json::json!({
                    "incident_name": hostile_title(),
                    "phase_label": format!("{NAMES} {SCRIPT}"),
                    "impact_label": "\"Major\" & <b>bold</b>",
                    "text": markdown,
                    "html": crate::render::markdown::to_safe_html(&markdown),
                    "incident_url": format!("{page_url}&i=\"1\""),
                    "manage_url": format!("{page_url}&m='1'"),
                    "unsubscribe_url": format!("{page_url}&u=<1>"),
                })
            }
            NotificationKind::MaintenanceScheduled
            | NotificationKind::MaintenanceReminder
            | NotificationKind::MaintenanceStarted
            | NotificationKind::MaintenanceCompleted => {
                let markdown = format!("{SCRIPT} **{NAMES}** \"quoted\" & 'single'");
                serde_json::json!({
                    "maintenance_name": hostile_title(),
                    "event_label": format!("{NAMES} {SCRIPT}"),
                    "starts": format!("Tue 24 Nov 22:00 {NAMES}"),
                    "ends": "Tue 24 Nov 23:00 CET",
                    "window": format!("{SCRIPT} 22:00–23:00"),
                    "next_window": format!("{NAMES} & <next>"),
                    "components_list": format!("{SCRIPT}, {NAMES}"),
                    "text": markdown,
                    "html": crate::render::markdown::to_safe_html(&markdown),
                    "maintenance_url": format!("{page_url}&i=\"1\""),
                    "manage_url": format!("{page_url}&m='1'"),
                    "unsubscribe_url": format!("{page_url}&u=<1>"),
                    "internal": false,
                })
            }
            NotificationKind::Digest => {
                unreachable!("the digest's hostile values are checked in tests/digest.rs")
            }
        };
        data.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        data
    }

    /// Renders, builds the RFC 5322 message as the sender does (rendered
    /// for the recipient alone, and from the notification's stencil),
    /// parses it back with an independent MIME parser, and checks each part
    /// and the recipient's headers.
    #[test]
    // One scenario per kind, read top to bottom, like the integration tests.
    #[allow(clippy::too_many_lines)]
    fn hostile_values_are_escaped_in_html_kept_in_text_and_encoded_in_the_subject_for_every_kind() {
        use super::super::links::Links;
        use super::super::sender::{build, Content, OutgoingEmail};
        use super::super::stencil::{Stencil, Values};
        use mailparse::MailHeaderMap;

        let templates = EmailTemplates::load(None).unwrap();
        let from: lettre::message::Mailbox = "Status <status@example.com>".parse().unwrap();
        let recipient = "o'brien+x=y&z@example.com";
        let message_id = "<delivery-1.1@status.example.com>";
        let base = "https://status.example.com";
        let links = Links {
            confirm_url: format!("{base}/subscribe/confirm/ab?x=\"<1>\"&y='2'"),
            manage_url: format!("{base}/subscribe/manage/1-{}", "a".repeat(64)),
            unsubscribe_url: format!("{base}/unsubscribe/1-{}&.x=1", "b".repeat(90)),
        };
        for kind in [
            NotificationKind::Test,
            NotificationKind::Confirmation,
            NotificationKind::IncidentUpdate,
            NotificationKind::MaintenanceScheduled,
            NotificationKind::MaintenanceReminder,
            NotificationKind::MaintenanceStarted,
            NotificationKind::MaintenanceCompleted,
        ] {
            let name = kind.as_str();
            let Value::Object(mut shared) = hostile_data(kind) else {
                unreachable!()
            };
            for personal in ["recipient", "confirm_url", "manage_url", "unsubscribe_url"] {
                shared.remove(personal);
            }
            let subscriber = kind.to_subscribers();
            let mut data = shared.clone();
            data.insert("recipient".into(), recipient.into());
            if subscriber {
                data.extend(links.data());
            }
            let email = templates.render_value(kind, Value::Object(data)).unwrap();
            let links = subscriber.then(|| links.clone());

            // HTML: no live markup from values; the non-ASCII text intact.
            assert!(!email.html.contains("<script>"), "{name}: {}", email.html);
            assert!(email.html.contains("&lt;script&gt;"), "{name}");
            assert!(email.html.contains(NAMES), "{name}");
            assert!(
                !email.html.contains("\"2\""),
                "{name}: a quote in an attribute"
            );
            // Text: values as written, not HTML-escaped.
            assert!(email.text.contains(SCRIPT), "{name}: {}", email.text);
            assert!(email.text.contains(NAMES), "{name}");
            assert!(
                !email.text.contains("&lt;") && !email.text.contains("&amp;"),
                "{name}"
            );
            assert!(
                !email.text.contains("&quot;") && !email.text.contains("&#x27;"),
                "{name}"
            );
            if kind == NotificationKind::IncidentUpdate || kind.is_bulletin() {
                assert!(
                    email.text.contains(&hostile_title()),
                    "{name}: the long title is whole"
                );
                assert!(email.subject.contains(&hostile_title()), "{name}");
            }
            if let Some(links) = &links {
                assert!(
                    email.text.contains(&links.unsubscribe_url) || !kind.is_bulletin(),
                    "{name}"
                );
            }

            let stencil = Stencil::new(
                &templates,
                kind,
                shared,
                subscriber,
                kind.is_bulletin(),
                &from,
            )
            .unwrap();
            let values = Values {
                recipient,
                message_id,
                links: links.as_ref(),
            };
            assert_eq!(
                stencil.rendered_for(&values),
                email,
                "{name}: the stencil reads as the full rendering"
            );
            let headers = match &links {
                Some(links) if kind.is_bulletin() => links.list_unsubscribe_headers(),
                _ => Vec::new(),
            };
            let ways = [
                Content::Rendered {
                    email: email.clone(),
                    headers,
                },
                Content::Stencil {
                    stencil: std::sync::Arc::new(stencil),
                    links: links.clone(),
                },
            ];
            for (way, content) in ["rendered", "stencil"].into_iter().zip(ways) {
                let name = format!("{name} ({way})");
                let outgoing = OutgoingEmail {
                    delivery_id: 1,
                    message_id: message_id.into(),
                    to: recipient.into(),
                    content,
                };
                let built = build(&from, &outgoing).unwrap();
                let raw = String::from_utf8(built.bytes.clone()).expect("the message is ASCII");
                assert!(raw.is_ascii(), "{name}: 8-bit bytes on the wire");
                let head = raw.split("\r\n\r\n").next().unwrap();
                for line in head.split("\r\n") {
                    assert!(
                        line.len() <= 998,
                        "{name}: a header line of {} bytes",
                        line.len()
                    );
                }
                if way == "stencil" {
                    for line in raw.split("\r\n") {
                        assert!(line.len() <= 998, "{name}: {line}");
                        assert!(!line.starts_with('.'), "{name}: {line}");
                    }
                }
                let recipients: Vec<String> =
                    built.envelope.to().iter().map(|a| a.to_string()).collect();
                assert_eq!(recipients, vec![recipient.to_string()], "{name}");
                let parsed = mailparse::parse_mail(&built.bytes).unwrap();
                let header = |h: &str| parsed.headers.get_first_value(h);
                assert_eq!(header("To").as_deref(), Some(recipient), "{name}");
                assert_eq!(header("Message-ID").as_deref(), Some(message_id), "{name}");
                assert_eq!(
                    header("List-Unsubscribe"),
                    links
                        .as_ref()
                        .filter(|_| kind.is_bulletin())
                        .map(|l| format!("<{}>", l.unsubscribe_url)),
                    "{name}"
                );
                let subject = header("Subject").unwrap();
                assert_eq!(subject, email.subject, "{name}: the subject reads back");
                assert!(
                    subject.contains(NAMES) && subject.contains(SCRIPT),
                    "{name}"
                );
                assert!(
                    head.to_ascii_lowercase().contains("=?utf-8?b?"),
                    "{name}: the non-ASCII words of the subject are RFC 2047 encoded: {head}"
                );
                let mut plain = None;
                let mut html = None;
                for part in &parsed.subparts {
                    match part.ctype.mimetype.as_str() {
                        "text/plain" => plain = Some(part.get_body().unwrap()),
                        "text/html" => html = Some(part.get_body().unwrap()),
                        other => panic!("{name}: unexpected part {other}"),
                    }
                }
                let normalise = |s: &str| s.replace("\r\n", "\n").trim_end().to_string();
                assert_eq!(
                    normalise(&plain.expect("a text part")),
                    normalise(&email.text),
                    "{name}: the text part reads back as rendered"
                );
                assert_eq!(
                    normalise(&html.expect("an HTML part")),
                    normalise(&email.html),
                    "{name}: the HTML part reads back as rendered"
                );
            }
        }
    }

    #[test]
    fn only_templates_that_show_personal_values_as_they_are_take_stencils() {
        for plain in [
            "Hi {{recipient}}, {{ manage_url }} {{{unsubscribe_url}}} {{~confirm_url~}}",
            "{{page_name}} {{#if internal}}staff{{/if}} {{recipients_count}}",
            "no mustache",
        ] {
            assert!(shows_personal_values_as_written(plain), "{plain}");
        }
        for transforming in [
            "{{#if (eq recipient \"vip@example.com\")}}VIP{{/if}}",
            "{{upper manage_url}}",
            "{{#with unsubscribe_url}}{{this}}{{/with}}",
            "{{lookup this \"x\" recipient}}",
        ] {
            assert!(
                !shows_personal_values_as_written(transforming),
                "{transforming}"
            );
        }
        let templates = EmailTemplates::load(None).unwrap();
        for kind in [
            NotificationKind::Confirmation,
            NotificationKind::IncidentUpdate,
            NotificationKind::MaintenanceReminder,
            NotificationKind::Digest,
        ] {
            assert!(templates.stencils(kind), "{}", kind.as_str());
        }
    }

    #[test]
    fn a_missing_variable_is_an_error_not_a_blank() {
        let templates = EmailTemplates::load(None).unwrap();
        let err = templates
            .render(
                NotificationKind::Test,
                &serde_json::json!({"page_name": "x"}),
            )
            .unwrap_err();
        assert!(format!("{err:#}").contains("test"), "{err:#}");
    }
}
