//! Page snapshots: every public document of one audience, rendered once per
//! revision (HTML, JSON, their gzip and ETag) and swapped in atomically, so a
//! page view costs no query and no rendering.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::web::Bytes;
use arc_swap::ArcSwap;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::incidents::{incident_json, incident_view, IncidentView};
use super::statuspage::*;
use super::view::{sections, visible_incidents, AudienceView, Entry};
use super::Templates;
use crate::config::Settings;
use crate::db::models::page_state::PageState;
use crate::domain::incident::Phase;
use crate::domain::maintenance::MaintenanceStatus;
use crate::domain::status::Audience;

/// One document ready to send.
#[derive(Debug)]
pub struct Resource {
    pub body: Bytes,
    pub gzip: Bytes,
    pub etag: String,
    pub content_type: &'static str,
}

impl Resource {
    pub fn new(body: Vec<u8>, content_type: &'static str) -> anyhow::Result<Resource> {
        let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::best());
        encoder.write_all(&body)?;
        let gzip = encoder.finish()?;
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
        Ok(Resource {
            body: Bytes::from(body),
            gzip: Bytes::from(gzip),
            etag,
            content_type,
        })
    }

    fn json<T: Serialize>(value: &T) -> anyhow::Result<Resource> {
        Resource::new(serde_json::to_vec(value)?, "application/json")
    }
}

/// Every public document of one audience at one revision, keyed by path
/// relative to the audience's root (`""` is the page, `api/v2/summary.json`…).
#[derive(Debug)]
pub struct Snapshot {
    pub revision: i64,
    /// The local date it was built on: the uptime bars end that day.
    pub built_on: chrono::NaiveDate,
    resources: HashMap<String, Resource>,
}

impl Snapshot {
    pub fn empty() -> Snapshot {
        Snapshot {
            revision: -1,
            built_on: chrono::NaiveDate::MIN,
            resources: HashMap::new(),
        }
    }

    pub fn get(&self, path: &str) -> Option<&Resource> {
        self.resources.get(path)
    }

    /// The paths served, for `sitrep export` and tests.
    pub fn paths(&self) -> impl Iterator<Item = &String> {
        self.resources.keys()
    }
}

/// Data of the status page template.
#[derive(Serialize)]
struct StatusPage<'a> {
    title: String,
    page_name: &'a str,
    internal: bool,
    root: &'static str,
    banner_indicator: &'static str,
    banner_description: &'static str,
    sections: Vec<super::view::Section>,
    incidents: Vec<IncidentView>,
    maintenance: super::maintenance::PageMaintenances,
    updated_at: String,
    updated_at_iso: String,
    time_zone: String,
}

/// Data of the incident page template.
#[derive(Serialize)]
struct IncidentPage<'a> {
    title: String,
    page_name: &'a str,
    internal: bool,
    root: &'static str,
    time_zone: &'a str,
    incident: IncidentView,
    postmortem: Option<super::reports::PostmortemView>,
}

/// The HTML page of one incident for an audience.
pub fn incident_page(
    i: &crate::db::models::incidents::IncidentWithUpdates,
    audience: Audience,
    settings: &Settings,
    templates: &Templates,
    components: &[crate::db::models::components::Component],
    postmortem: Option<&crate::domain::report::ReportContent>,
) -> anyhow::Result<String> {
    let internal = audience == Audience::Internal;
    let view = incident_view(i, audience, settings, components);
    templates.render(
        "pages/incident",
        &IncidentPage {
            title: format!("{} — {}", view.name, settings.page_name),
            page_name: &settings.page_name,
            internal,
            root: if internal { "/internal" } else { "" },
            time_zone: settings.time_zone.name(),
            incident: view,
            postmortem: postmortem
                .map(|content| super::reports::postmortem_view(content, settings.time_zone)),
        },
    )
}

/// Builds the snapshot of one audience.
pub fn build(
    state: &PageState,
    audience: Audience,
    settings: &Settings,
    templates: &Templates,
) -> anyhow::Result<Snapshot> {
    let view = AudienceView::new(state, audience);
    let internal = audience == Audience::Internal;
    let page = page_json(state, settings, internal);
    let status = StatusJson::from(&view.status);
    let components = components_json(&view, settings);
    let html = status_page_html(state, &view, settings, templates)?;
    let incidents: Vec<_> = visible_incidents(state, audience)
        .map(|i| (i, incident_json(i, audience, settings, &state.components)))
        .collect();
    let unresolved: Vec<serde_json::Value> = incidents
        .iter()
        .filter(|(i, _)| i.incident.status != Phase::Resolved)
        .map(|(_, json)| json.clone())
        .collect();
    let maintenance_json = |keep: &dyn Fn(MaintenanceStatus) -> bool| -> Vec<serde_json::Value> {
        state
            .maintenances
            .iter()
            .filter(|m| super::maintenance::visible_to(m, audience) && keep(m.maintenance.status))
            .map(|m| {
                super::maintenance::statuspage_json_for(m, &settings.page_id, settings, audience)
            })
            .collect()
    };
    let mut resources = incident_pages(state, &incidents, audience, settings, templates)?;
    resources.insert(
        "".to_string(),
        Resource::new(html.into_bytes(), "text/html; charset=utf-8")?,
    );
    resources.insert(
        "api/v2/summary.json".to_string(),
        Resource::json(&Summary {
            page: &page,
            components: &components,
            incidents: unresolved.clone(),
            scheduled_maintenances: maintenance_json(&|s| s != MaintenanceStatus::Completed),
            status: &status,
        })?,
    );
    resources.insert(
        "api/v2/status.json".to_string(),
        Resource::json(&StatusDocument {
            page: &page,
            status: &status,
        })?,
    );
    resources.insert(
        "api/v2/components.json".to_string(),
        Resource::json(&ComponentsDocument {
            page: &page,
            components: &components,
        })?,
    );
    resources.insert(
        "api/v2/incidents.json".to_string(),
        Resource::json(&IncidentsDocument {
            page: &page,
            incidents: incidents.into_iter().map(|(_, json)| json).collect(),
        })?,
    );
    resources.insert(
        "api/v2/incidents/unresolved.json".to_string(),
        Resource::json(&IncidentsDocument {
            page: &page,
            incidents: unresolved,
        })?,
    );
    for (path, keep) in [
        (
            "api/v2/scheduled-maintenances.json",
            &(|_| true) as &dyn Fn(MaintenanceStatus) -> bool,
        ),
        ("api/v2/scheduled-maintenances/upcoming.json", &|s| {
            s == MaintenanceStatus::Scheduled
        }),
        ("api/v2/scheduled-maintenances/active.json", &|s| {
            matches!(
                s,
                MaintenanceStatus::InProgress | MaintenanceStatus::Verifying
            )
        }),
    ] {
        resources.insert(
            path.to_string(),
            Resource::json(&MaintenancesDocument {
                page: &page,
                scheduled_maintenances: maintenance_json(keep),
            })?,
        );
    }
    Ok(Snapshot {
        revision: state.revision,
        built_on: crate::domain::uptime::local_date(state.read_at, settings.time_zone),
        resources,
    })
}

/// The page of every incident the audience sees, by path.
fn incident_pages(
    state: &PageState,
    incidents: &[(
        &crate::db::models::incidents::IncidentWithUpdates,
        serde_json::Value,
    )],
    audience: Audience,
    settings: &Settings,
    templates: &Templates,
) -> anyhow::Result<HashMap<String, Resource>> {
    let mut resources: HashMap<String, Resource> = HashMap::new();
    for (i, _) in incidents {
        let html = incident_page(
            i,
            audience,
            settings,
            templates,
            &state.components,
            state.postmortems.get(&i.incident.id),
        )?;
        resources.insert(
            format!("incidents/{}", i.incident.id),
            Resource::new(html.into_bytes(), "text/html; charset=utf-8")?,
        );
    }
    Ok(resources)
}

/// The page object every Statuspage document starts with.
fn page_json(state: &PageState, settings: &Settings, internal: bool) -> PageJson {
    PageJson {
        id: settings.page_id.clone(),
        name: settings.page_name.clone(),
        url: if internal {
            settings.url("/internal")
        } else {
            settings.url("")
        },
        time_zone: settings.time_zone.name().to_string(),
        updated_at: timestamp(state.updated_at),
    }
}

/// Groups followed by their members, then ungrouped components, in page order.
fn components_json(view: &AudienceView<'_>, settings: &Settings) -> Vec<ComponentJson> {
    let mut components = Vec::new();
    for entry in &view.entries {
        match entry {
            Entry::Group(g, members) => {
                components.push(ComponentJson::group(g, members, &settings.page_id));
                components.extend(
                    members
                        .iter()
                        .map(|c| ComponentJson::component(c, &settings.page_id)),
                );
            }
            Entry::Component(c) => components.push(ComponentJson::component(c, &settings.page_id)),
        }
    }
    components
}

/// The status page of the view's audience.
fn status_page_html(
    state: &PageState,
    view: &AudienceView<'_>,
    settings: &Settings,
    templates: &Templates,
) -> anyhow::Result<String> {
    let audience = view.audience;
    let internal = audience == Audience::Internal;
    let local_update = state
        .updated_at
        .and_utc()
        .with_timezone(&settings.time_zone);
    templates.render(
        "pages/status",
        &StatusPage {
            title: if internal {
                format!("{} — internal status", settings.page_name)
            } else {
                format!("{} status", settings.page_name)
            },
            page_name: &settings.page_name,
            internal,
            root: if internal { "/internal" } else { "" },
            banner_indicator: view.status.indicator.as_str(),
            banner_description: view.status.description,
            sections: {
                let mut rows = sections(view);
                super::uptime::attach(&mut rows, state, settings)?;
                rows
            },
            incidents: visible_incidents(state, audience)
                .filter(|i| i.incident.status != Phase::Resolved)
                .map(|i| incident_view(i, audience, settings, &state.components))
                .collect(),
            maintenance: super::maintenance::page_sections(
                &state.maintenances,
                audience,
                settings.time_zone,
            ),
            updated_at: local_update.format("%d %b %Y, %H:%M %Z").to_string(),
            updated_at_iso: timestamp(state.updated_at),
            time_zone: settings.time_zone.name().to_string(),
        },
    )
}

/// The live snapshots of both audiences.
pub struct Pages {
    external: ArcSwap<Snapshot>,
    internal: ArcSwap<Snapshot>,
    install: Mutex<()>,
}

impl Default for Pages {
    fn default() -> Self {
        Pages {
            external: ArcSwap::from_pointee(Snapshot::empty()),
            internal: ArcSwap::from_pointee(Snapshot::empty()),
            install: Mutex::new(()),
        }
    }
}

impl Pages {
    pub fn current(&self, audience: Audience) -> Arc<Snapshot> {
        match audience {
            Audience::External => self.external.load_full(),
            Audience::Internal => self.internal.load_full(),
        }
    }

    /// The local date both snapshots were built on.
    pub fn built_on(&self) -> chrono::NaiveDate {
        self.internal.load().built_on
    }

    /// The revision both snapshots were built from.
    pub fn revision(&self) -> i64 {
        self.internal.load().revision
    }

    /// Builds and swaps in snapshots of `state`, unless newer ones are already live
    /// (two rebuilds racing never move the page backwards).
    pub fn install(
        &self,
        state: &PageState,
        settings: &Settings,
        templates: &Templates,
    ) -> anyhow::Result<bool> {
        let _one_at_a_time = self
            .install
            .lock()
            .map_err(|_| anyhow::anyhow!("snapshot lock poisoned"))?;
        // Same revision on a later local day still rebuilds: the uptime bars roll.
        let built_on = crate::domain::uptime::local_date(state.read_at, settings.time_zone);
        if (state.revision, built_on) <= (self.revision(), self.built_on()) {
            return Ok(false);
        }
        let external = build(state, Audience::External, settings, templates)?;
        let internal = build(state, Audience::Internal, settings, templates)?;
        self.external.store(Arc::new(external));
        self.internal.store(Arc::new(internal));
        Ok(true)
    }
}
