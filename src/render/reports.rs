//! The postmortem shown on an incident page once the incident report is
//! approved and published: only the customer-suitable sections (see
//! [`crate::domain::report::PUBLIC_SECTIONS`]), as sanitised markdown.

use serde::Serialize;

use super::markdown::to_safe_html;
use crate::domain::report::{minutes_label, ReportContent, PUBLIC_SECTIONS, TEXT_SECTIONS};

#[derive(Debug, Clone, Serialize)]
pub struct PostmortemSection {
    pub heading: &'static str,
    /// Sanitised HTML.
    pub html: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostmortemView {
    pub version: i32,
    pub approved_at: String,
    pub approved_at_iso: String,
    /// "Customers were affected for 1 h 05 min", when any component was.
    pub impact_duration: Option<String>,
    pub sections: Vec<PostmortemSection>,
}

/// The public view of an approved version: the description, the client
/// impact (with its computed duration), the resolution and the
/// recommendations. Never the links, the retrospective or the action items.
pub fn postmortem_view(content: &ReportContent, zone: chrono_tz::Tz) -> PostmortemView {
    let sections = TEXT_SECTIONS
        .iter()
        .filter(|(field, _, _)| PUBLIC_SECTIONS.contains(field))
        .filter_map(|(field, heading, _)| {
            let text = content.sections.text(field).trim();
            (!text.is_empty()).then(|| PostmortemSection {
                heading,
                html: to_safe_html(text),
            })
        })
        .collect();
    PostmortemView {
        version: content.version,
        approved_at: super::time::local(content.approved_at, zone),
        approved_at_iso: super::statuspage::timestamp(content.approved_at),
        impact_duration: (content.client_impact_minutes > 0)
            .then(|| minutes_label(content.client_impact_minutes)),
        sections,
    }
}
