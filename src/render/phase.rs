//! Phase templates: handlebars texts written in calm times, filled with the
//! incident's facts when a manager posts an update. Strict: a variable with
//! no value is an error the form shows, never a silent blank.

use std::collections::BTreeMap;

use handlebars::Handlebars;
use serde::Serialize;

use crate::domain::Invalid;

/// The values a phase template can use.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PhaseVariables {
    pub name: String,
    pub components: String,
    pub impact: String,
    pub priority: String,
    pub phase: String,
    pub started_at: String,
    /// Absent until the manager promises a time: a template using it then fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_update_by: Option<String>,
    /// Custom variables typed in the form (`key = value` lines).
    #[serde(flatten)]
    pub custom: BTreeMap<String, String>,
}

fn registry() -> Handlebars<'static> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    h.register_escape_fn(handlebars::no_escape);
    h
}

/// Checks that a template parses, for the template editor.
pub fn check(body: &str) -> Result<(), Invalid> {
    registry()
        .render_template(body, &serde_json::json!({}))
        .map(|_| ())
        .or_else(|e| match e.reason() {
            handlebars::RenderErrorReason::TemplateError(t) => {
                Err(Invalid::new(format!("The template does not parse: {t}")))
            }
            _ => Ok(()),
        })
}

/// Fills a template; the text is markdown, sanitised when rendered to HTML.
pub fn fill(body: &str, variables: &PhaseVariables) -> Result<String, Invalid> {
    registry()
        .render_template(body, variables)
        .map(|s| s.trim().to_string())
        .map_err(|e| match e.reason() {
            handlebars::RenderErrorReason::MissingVariable(Some(name)) => Invalid::new(format!(
                "The template uses {{{{{name}}}}}, which has no value: {}",
                match name.as_str() {
                    "next_update_by" =>
                        "set “Next update by”, or remove it from the text.".to_string(),
                    other => format!(
                        "add a line “{other} = …” to the variables, or remove it from the text."
                    ),
                }
            )),
            handlebars::RenderErrorReason::TemplateError(t) => {
                Invalid::new(format!("The template does not parse: {t}"))
            }
            other => Invalid::new(format!("The template could not be filled: {other}")),
        })
}

/// Parses the variables box: one `key = value` per line.
pub fn parse_custom(text: &str) -> Result<BTreeMap<String, String>, Invalid> {
    let mut map = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (key, value) = line.split_once('=').ok_or_else(|| {
            Invalid::new(format!(
                "Variables line {} has no “=”: write it as name = value.",
                n + 1
            ))
        })?;
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Invalid::new(format!(
                "Variable name {key:?} on line {} must be letters, digits or _.",
                n + 1
            )));
        }
        map.insert(key.to_string(), value.trim().to_string());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> PhaseVariables {
        PhaseVariables {
            name: "Checkout errors".into(),
            components: "API and Checkout".into(),
            impact: "major".into(),
            priority: "P1".into(),
            phase: "identified".into(),
            started_at: "23 Nov 2026, 14:05 UTC".into(),
            next_update_by: Some("23 Nov 2026, 15:00 UTC".into()),
            custom: BTreeMap::new(),
        }
    }

    #[test]
    fn a_template_is_filled_with_the_incident_facts() {
        let text = fill(
            "{{components}} ({{priority}}); next update by {{next_update_by}}.",
            &vars(),
        )
        .unwrap();
        assert_eq!(
            text,
            "API and Checkout (P1); next update by 23 Nov 2026, 15:00 UTC."
        );
    }

    #[test]
    fn a_missing_variable_is_an_error_that_says_what_to_fill() {
        let mut v = vars();
        v.next_update_by = None;
        let err = fill("Next update by {{next_update_by}}.", &v).unwrap_err();
        assert!(
            err.0.contains("{{next_update_by}}") && err.0.contains("Next update by"),
            "{}",
            err.0
        );
        let err = fill("Ticket {{ticket}}", &vars()).unwrap_err();
        assert!(err.0.contains("ticket = …"), "{}", err.0);
    }

    #[test]
    fn custom_variables_fill_in_and_text_is_not_html_escaped() {
        let mut v = vars();
        v.custom = parse_custom("ticket = OPS-42\nworkaround = use the <b>web</b> app").unwrap();
        let text = fill("See {{ticket}}: {{workaround}}", &v).unwrap();
        assert_eq!(text, "See OPS-42: use the <b>web</b> app");
    }

    #[test]
    fn bad_variable_lines_and_templates_are_explained() {
        assert!(parse_custom("no equals sign")
            .unwrap_err()
            .0
            .contains("line 1"));
        assert!(parse_custom("bad key! = x").is_err());
        assert!(check("{{#if x}}unclosed")
            .unwrap_err()
            .0
            .contains("does not parse"));
        assert!(check("Fine {{components}}").is_ok());
    }

    #[test]
    fn every_shipped_template_fills_with_the_standard_variables() {
        for (phase, audience, body) in crate::render::default_phase_texts() {
            check(&body).unwrap();
            let text =
                fill(&body, &vars()).unwrap_or_else(|e| panic!("{phase:?} {audience:?}: {}", e.0));
            assert!(
                text.contains("API and Checkout"),
                "{phase:?} {audience:?}: {text}"
            );
        }
        assert_eq!(crate::render::default_phase_texts().len(), 8);
    }
}
