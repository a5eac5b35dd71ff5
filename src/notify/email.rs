//! Email templates: each kind of email is a folder `templates/email/<kind>/`
//! with `subject.hbs`, `body.txt.hbs` and `body.html.hbs`, embedded in the
//! binary and overridable from `SITREP_TEMPLATES_DIR/email/<kind>/`.
//!
//! Two registries: the subject and the text body are rendered without HTML
//! escaping (a `<` in a page name stays a `<` in a plain-text email); the HTML
//! body escapes every value.

use std::path::Path;

use anyhow::Context;
use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde_json::Value;

use super::outbox::NotificationKind;

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
        for file in EmbeddedEmailTemplates::iter().filter(|f| f.ends_with(".hbs")) {
            let name = file.trim_end_matches(".hbs").to_string();
            let content = EmbeddedEmailTemplates::get(&file)
                .with_context(|| format!("embedded email template {file} vanished"))?;
            let source = std::str::from_utf8(&content.data)
                .with_context(|| format!("email template {file} is not UTF-8"))?;
            let registry = if name.ends_with("body.html") {
                &mut html
            } else {
                &mut text
            };
            registry
                .register_template_string(&name, source)
                .with_context(|| format!("email template {file} does not parse"))?;
            if let Some(dir) = override_dir {
                let path = dir.join("email").join(file.as_ref());
                if path.is_file() {
                    registry
                        .register_template_file(&name, &path)
                        .with_context(|| {
                            format!("override email template {} does not parse", path.display())
                        })?;
                    tracing::info!(template = %name, path = %path.display(), "using override email template");
                }
            }
        }
        Ok(EmailTemplates { text, html })
    }

    /// Renders the email of `kind` with `data` (a JSON object).
    pub fn render(&self, kind: NotificationKind, data: &Value) -> anyhow::Result<RenderedEmail> {
        let name = kind.as_str();
        let subject = self
            .text
            .render(&format!("{name}/subject"), data)
            .with_context(|| format!("rendering the subject of the {name} email"))?;
        let text = self
            .text
            .render(&format!("{name}/body.txt"), data)
            .with_context(|| format!("rendering the text of the {name} email"))?;
        let html = self
            .html
            .render(&format!("{name}/body.html"), data)
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
