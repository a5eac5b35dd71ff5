//! What one audience sees of the page state: the components they may see,
//! grouped and ordered, with the banner computed from them.

use serde::Serialize;

use crate::db::models::components::Component;
use crate::db::models::groups::Group;
use crate::db::models::incidents::IncidentWithUpdates;
use crate::db::models::page_state::PageState;
use crate::domain::incident::Phase;
use crate::domain::page_status::{page_status_with_incidents, PageStatus};
use crate::domain::status::{Audience, ComponentStatus};

/// A top-level entry of the page: a group with its components, or a lone component.
pub enum Entry<'a> {
    Group(&'a Group, Vec<&'a Component>),
    Component(&'a Component),
}

impl Entry<'_> {
    fn position(&self) -> (i32, i64) {
        match self {
            Entry::Group(g, _) => (g.position, g.id),
            Entry::Component(c) => (c.position, c.id),
        }
    }
}

/// The page as one audience sees it.
pub struct AudienceView<'a> {
    pub audience: Audience,
    pub entries: Vec<Entry<'a>>,
    pub status: PageStatus,
}

impl<'a> AudienceView<'a> {
    pub fn new(state: &'a PageState, audience: Audience) -> Self {
        let visible: Vec<&Component> = state
            .components
            .iter()
            .filter(|c| c.audience.visible_to(audience))
            .collect();
        let mut entries: Vec<Entry<'_>> = Vec::new();
        for group in &state.groups {
            let members: Vec<&Component> = visible
                .iter()
                .copied()
                .filter(|c| c.group_id == Some(group.id))
                .collect();
            if !members.is_empty() {
                entries.push(Entry::Group(group, members));
            }
        }
        entries.extend(
            visible
                .iter()
                .copied()
                .filter(|c| c.group_id.is_none())
                .map(Entry::Component),
        );
        entries.sort_by_key(Entry::position);
        let statuses: Vec<ComponentStatus> = visible.iter().map(|c| c.status).collect();
        let impacts: Vec<_> = visible_incidents(state, audience)
            .filter(|i| i.incident.status != Phase::Resolved)
            .map(|i| i.incident.impact)
            .collect();
        AudienceView {
            audience,
            entries,
            status: page_status_with_incidents(&statuses, &impacts),
        }
    }
}

/// Incidents an audience may see: staff see all; customers see an incident
/// once it has at least one update with external text.
pub fn visible_incidents(
    state: &PageState,
    audience: Audience,
) -> impl Iterator<Item = &IncidentWithUpdates> {
    state.incidents.iter().filter(move |i| {
        audience == Audience::Internal || i.updates.iter().any(|u| u.external_body.is_some())
    })
}

/// One row on the HTML page.
#[derive(Debug, Serialize)]
pub struct ComponentRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub internal: bool,
    /// The 90-day uptime bars, for showcased components (filled in by the snapshot).
    pub uptime: Option<super::uptime::UptimeBars>,
}

impl ComponentRow {
    pub fn new(c: &Component) -> Self {
        ComponentRow {
            id: c.id,
            name: c.name.clone(),
            description: c.description.clone(),
            status: c.status.as_str(),
            status_label: c.status.label(),
            internal: c.audience == Audience::Internal,
            uptime: None,
        }
    }
}

/// A section on the HTML page: a group (collapsible) or a lone component.
#[derive(Debug, Serialize)]
pub struct Section {
    pub group: bool,
    pub id: i64,
    pub name: String,
    pub description: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub components: Vec<ComponentRow>,
    /// Open a group when something in it is not operational.
    pub open: bool,
}

/// Sections for the HTML page: hides components that only show when degraded.
pub fn sections(view: &AudienceView<'_>) -> Vec<Section> {
    let shown =
        |c: &Component| !(c.only_show_if_degraded && c.status == ComponentStatus::Operational);
    view.entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Group(g, members) => {
                let rows: Vec<ComponentRow> = members
                    .iter()
                    .filter(|c| shown(c))
                    .map(|c| ComponentRow::new(c))
                    .collect();
                if rows.is_empty() {
                    return None;
                }
                let worst = members
                    .iter()
                    .map(|c| c.status)
                    .max()
                    .unwrap_or(ComponentStatus::Operational);
                Some(Section {
                    group: true,
                    id: g.id,
                    name: g.name.clone(),
                    description: g.description.clone(),
                    status: worst.as_str(),
                    status_label: worst.label(),
                    open: worst != ComponentStatus::Operational,
                    components: rows,
                })
            }
            Entry::Component(c) => shown(c).then(|| Section {
                group: false,
                id: c.id,
                name: c.name.clone(),
                description: c.description.clone(),
                status: c.status.as_str(),
                status_label: c.status.label(),
                open: false,
                components: vec![ComponentRow::new(c)],
            }),
        })
        .collect()
}
