//! Rendering: the handlebars registry (HTML-escaped), the Statuspage JSON
//! views, and the in-memory page snapshots built from them.

pub mod feeds;
pub mod history;
pub mod incidents;
pub mod maintenance;
pub mod markdown;
pub mod phase;
pub mod reports;
pub mod snapshot;
pub mod statuspage;
pub mod time;
pub mod uptime;
pub mod view;

use std::path::Path;

use anyhow::Context;
use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

/// The `templates/` folder, embedded in the binary.
#[derive(RustEmbed)]
#[folder = "templates/"]
struct EmbeddedTemplates;

/// HTML templates, registered by path without extension
/// (`pages/status`, `partials/component`, `layouts/base`).
pub struct Templates {
    html: Handlebars<'static>,
}

impl Templates {
    /// Loads the embedded templates, then replaces any of them found in
    /// `override_dir` (same relative path), so operators can restyle pages
    /// without rebuilding.
    pub fn load(override_dir: Option<&Path>) -> anyhow::Result<Templates> {
        let mut html = Handlebars::new();
        html.set_strict_mode(false);
        html.set_dev_mode(false);
        for file in EmbeddedTemplates::iter().filter(|f| is_html_template(f)) {
            let name = file.trim_end_matches(".hbs").to_string();
            let content = EmbeddedTemplates::get(&file)
                .with_context(|| format!("embedded template {file} vanished"))?;
            let source = std::str::from_utf8(&content.data)
                .with_context(|| format!("template {file} is not UTF-8"))?;
            html.register_template_string(&name, source)
                .with_context(|| format!("template {file} does not parse"))?;
        }
        if let Some(dir) = override_dir {
            if !dir.is_dir() {
                anyhow::bail!("SITREP_TEMPLATES_DIR {} is not a folder", dir.display());
            }
            for name in EmbeddedTemplates::iter()
                .filter(|f| f.ends_with(".hbs"))
                .map(|f| f.trim_end_matches(".hbs").to_string())
            {
                let path = dir.join(format!("{name}.hbs"));
                if path.is_file() {
                    html.register_template_file(&name, &path).with_context(|| {
                        format!("override template {} does not parse", path.display())
                    })?;
                    tracing::info!(template = %name, path = %path.display(), "using override template");
                }
            }
        }
        html.register_helper("status_icon", Box::new(status_icon));
        Ok(Templates { html })
    }

    pub fn render<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        self.html
            .render(name, data)
            .with_context(|| format!("rendering template {name}"))
    }
}

/// A static asset shipped in `templates/static/` (the console's script).
pub fn static_asset(name: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
    if name.contains("..") {
        return None;
    }
    EmbeddedTemplates::get(&format!("static/{name}")).map(|f| f.data)
}

/// HTML templates are every `.hbs` file except the phase texts (markdown) and
/// the emails (their own registries in `notify::email`).
fn is_html_template(file: &str) -> bool {
    file.ends_with(".hbs") && !file.starts_with("phases/") && !file.starts_with("email/")
}

/// The shipped default phase texts: (phase, audience, body).
pub fn default_phase_texts() -> Vec<(
    crate::domain::incident::Phase,
    crate::domain::status::Audience,
    String,
)> {
    use crate::domain::incident::Phase;
    use crate::domain::status::Audience;
    let mut texts = Vec::new();
    for phase in Phase::ALL {
        for audience in [Audience::External, Audience::Internal] {
            let file = format!("phases/{}.{}.hbs", phase.as_str(), audience.as_str());
            if let Some(content) = EmbeddedTemplates::get(&file) {
                texts.push((
                    phase,
                    audience,
                    String::from_utf8_lossy(&content.data).trim().to_string(),
                ));
            }
        }
    }
    texts
}

/// `{{status_icon status}}`: a small inline SVG whose shape (not only its
/// colour) tells the status apart; hidden from screen readers, which read the
/// status text beside it.
fn status_icon(
    h: &handlebars::Helper<'_>,
    _: &Handlebars<'_>,
    _: &handlebars::Context,
    _: &mut handlebars::RenderContext<'_, '_>,
    out: &mut dyn handlebars::Output,
) -> handlebars::HelperResult {
    let status = h
        .param(0)
        .and_then(|v| v.value().as_str())
        .unwrap_or("operational");
    let shape = match status {
        "operational" | "none" => {
            r#"<path d="M4 8.5l2.5 2.5L12 5.5" fill="none" stroke="currentColor" stroke-width="2"/>"#
        }
        "under_maintenance" | "maintenance" => {
            r#"<path d="M4 8h8M8 4v8" fill="none" stroke="currentColor" stroke-width="2"/>"#
        }
        "degraded_performance" | "minor" => {
            r#"<path d="M8 4v5M8 11v1.5" fill="none" stroke="currentColor" stroke-width="2"/>"#
        }
        "partial_outage" | "major" => {
            r#"<path d="M4 8h8" fill="none" stroke="currentColor" stroke-width="2.5"/>"#
        }
        _ => r#"<path d="M5 5l6 6M11 5l-6 6" fill="none" stroke="currentColor" stroke-width="2"/>"#,
    };
    out.write(&format!(
        r#"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">{shape}</svg>"#
    ))?;
    Ok(())
}
