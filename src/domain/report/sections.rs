//! The sections people write, with the template's headings, and their links.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Invalid;

/// A link to supporting material (a JIRA issue, a Confluence page…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// The sections people write, with the template's headings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Sections {
    /// Incident Description.
    pub description: String,
    /// Supporting material (JIRA, Confluence…).
    pub links: Vec<Link>,
    /// Client Impact: was there any business client impact, and for how long?
    pub client_impact: String,
    /// Incident Resolution.
    pub resolution: String,
    /// What Worked Well.
    pub worked_well: String,
    /// What Didn't Work Well.
    pub did_not_work: String,
    /// Recommendations.
    pub recommendations: String,
}

/// The free-text sections: field name, the template's heading, its prompt.
pub const TEXT_SECTIONS: [(&str, &str, &str); 6] = [
    ("description", "Incident Description", "A brief description of the incident along with any supporting material such as a link to confluence or a JIRA issue."),
    ("client_impact", "Client Impact", "Was there any business client impact and if so for how long?"),
    ("resolution", "Incident Resolution", "When the incident was resolved what were the series of steps that were done. If possible try to describe why this incident should not occur again."),
    ("worked_well", "What Worked Well", "A brief description or bullet list of what worked well and how the incident resulted in a learning experience. Can talk about the time to solve, whether it was a collaborative effort, and additional understanding gained."),
    ("did_not_work", "What Didn’t Work Well", "A brief description or bullet list of what didn’t work so well and what could be better improved in the future. This should be a succinct summary that discusses the problem objectively."),
    ("recommendations", "Recommendations", "A series of recommendations that would in theory prevent the incident from occurring again. This is often given in a series of bulleted items describing concrete steps that can be performed."),
];

/// The sections shown on the external incident page when published: what a
/// customer can read. Links (internal tools), what worked and what didn't
/// (the team's own retrospective) and the action items (owners) stay inside.
pub const PUBLIC_SECTIONS: [&str; 4] = [
    "description",
    "client_impact",
    "resolution",
    "recommendations",
];

/// Longest text of one section, in characters.
pub const MAX_SECTION: usize = 20_000;
/// Most links a report carries.
pub const MAX_LINKS: usize = 50;

impl Sections {
    pub fn text(&self, field: &str) -> &str {
        match field {
            "description" => &self.description,
            "client_impact" => &self.client_impact,
            "resolution" => &self.resolution,
            "worked_well" => &self.worked_well,
            "did_not_work" => &self.did_not_work,
            "recommendations" => &self.recommendations,
            _ => "",
        }
    }

    pub fn set_text(&mut self, field: &str, value: String) {
        match field {
            "description" => self.description = value,
            "client_impact" => self.client_impact = value,
            "resolution" => self.resolution = value,
            "worked_well" => self.worked_well = value,
            "did_not_work" => self.did_not_work = value,
            "recommendations" => self.recommendations = value,
            _ => {}
        }
    }

    /// Trims the texts and checks lengths and links; the error names the field.
    pub fn validated(mut self) -> Result<Sections, Invalid> {
        for (field, heading, _) in TEXT_SECTIONS {
            let value = self.text(field).trim().to_string();
            if value.chars().count() > MAX_SECTION {
                return Err(Invalid::new(format!(
                    "Field `{field}` ({heading}): keep it under {MAX_SECTION} characters."
                )));
            }
            self.set_text(field, value);
        }
        if self.links.len() > MAX_LINKS {
            return Err(Invalid::new(format!(
                "Field `links`: at most {MAX_LINKS} links."
            )));
        }
        self.links = self
            .links
            .into_iter()
            .enumerate()
            .map(|(i, link)| validate_link(i, link))
            .collect::<Result<_, _>>()?;
        Ok(self)
    }
}

fn validate_link(index: usize, link: Link) -> Result<Link, Invalid> {
    let label = link.label.trim().to_string();
    let url = link.url.trim().to_string();
    let at = format!("Field `links.{index}`");
    if label.is_empty() {
        return Err(Invalid::new(format!(
            "{at}: give the link a label (for example JIRA or Confluence)."
        )));
    }
    if label.chars().count() > 100 {
        return Err(Invalid::new(format!(
            "{at}: keep the label under 100 characters."
        )));
    }
    let parsed = url::Url::parse(&url).map_err(|_| {
        Invalid::new(format!(
            "{at} ({label}): {url:?} is not a web address; use a full http:// or https:// URL."
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Invalid::new(format!(
            "{at} ({label}): {url:?} is not a web address; use a full http:// or https:// URL."
        )));
    }
    Ok(Link { label, url })
}

/// Parses the console's links box: one link a line, `Label https://…` (the
/// last word is the address) or `Label | https://…`. Blank lines are skipped.
pub fn parse_links(text: &str) -> Result<Vec<Link>, Invalid> {
    let mut links = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (label, url) = match line.split_once('|') {
            Some((label, url)) => (label.trim(), url.trim()),
            None => match line.rsplit_once(char::is_whitespace) {
                Some((label, url)) => (label.trim(), url.trim()),
                None => ("", line),
            },
        };
        if label.is_empty() {
            return Err(Invalid::new(format!(
                "Links, line {}: put a label before the address, like `JIRA https://jira.example.com/browse/OPS-1`.",
                n + 1
            )));
        }
        let link = validate_link(
            links.len(),
            Link {
                label: label.into(),
                url: url.into(),
            },
        )
        .map_err(|e| {
            Invalid::new(format!(
                "Links, line {}: {}",
                n + 1,
                e.0.split_once(": ").map_or(e.0.as_str(), |(_, rest)| rest)
            ))
        })?;
        links.push(link);
    }
    if links.len() > MAX_LINKS {
        return Err(Invalid::new(format!("Links: at most {MAX_LINKS} links.")));
    }
    Ok(links)
}

/// The links box's text for a list of links.
pub fn links_text(links: &[Link]) -> String {
    links
        .iter()
        .map(|l| format!("{} {}", l.label, l.url))
        .collect::<Vec<_>>()
        .join("\n")
}
