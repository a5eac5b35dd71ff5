//! The console under `/admin`: sign-in, the first-admin set-up link, and
//! component management. Server-rendered forms that work without JavaScript.

pub mod audit;
pub mod components;
pub mod digest;
pub mod groups;
pub mod incidents;
pub mod maintenances;
pub mod metrics;
pub mod reports;
pub mod roster;
pub mod session;
pub mod subscribers;
pub mod templates;
pub mod webhooks;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::SignedIn;
use super::html;
use super::state::AppState;
use crate::db::models::page_state::{self, PageState};
use crate::domain::status::{Audience, ComponentStatus};
use crate::error::AppError;

/// A choice in a `<select>`.
#[derive(Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn status_choices(current: ComponentStatus) -> Vec<Choice> {
    ComponentStatus::ALL
        .into_iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: s.label().into(),
            selected: s == current,
        })
        .collect()
}

pub fn audience_choices(current: Audience) -> Vec<Choice> {
    [
        (Audience::External, "External — customers and staff see it"),
        (Audience::Internal, "Internal — staff only"),
    ]
    .into_iter()
    .map(|(a, label)| Choice {
        value: a.as_str().into(),
        label: label.into(),
        selected: a == current,
    })
    .collect()
}

/// What to do after a form was submitted.
pub enum Saved {
    /// Written: go back to the dashboard with this notice.
    Done(HttpResponse),
    /// Not written: show the form again with this status and message.
    ShowAgain(StatusCode, String),
}

/// Redirects after a successful write (the use case refreshed the pages);
/// turns a validation error or a conflict into a message for the form;
/// passes other errors on.
pub fn after_save(outcome: Result<&'static str, AppError>) -> Result<Saved, AppError> {
    match outcome {
        Ok(done) => Ok(Saved::Done(html::see_other(&format!("/admin?done={done}")))),
        Err(AppError::Invalid(message)) => {
            Ok(Saved::ShowAgain(StatusCode::UNPROCESSABLE_ENTITY, message))
        }
        Err(AppError::Conflict(message)) => Ok(Saved::ShowAgain(StatusCode::CONFLICT, message)),
        Err(other) => Err(other),
    }
}

/// Messages shown after a redirect, chosen by code so a link cannot inject text.
fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "component-created" => "Component created.",
        "component-saved" => "Component saved.",
        "component-deleted" => "Component deleted.",
        "status-changed" => "Status changed. The pages are updated.",
        "group-created" => "Group created.",
        "group-saved" => "Group saved.",
        "group-deleted" => "Group deleted. Its components are now ungrouped.",
        "signed-in" => "Welcome. You are signed in.",
        _ => return None,
    })
}

#[derive(Deserialize)]
pub struct DashboardQuery {
    done: Option<String>,
}

#[derive(Serialize)]
struct ComponentLine {
    id: i64,
    name: String,
    status: &'static str,
    status_label: &'static str,
    internal: bool,
    choices: Vec<Choice>,
}

#[derive(Serialize)]
struct GroupBlock {
    id: Option<i64>,
    name: String,
    components: Vec<ComponentLine>,
}

#[derive(Serialize)]
struct Dashboard {
    title: &'static str,
    notice: Option<&'static str>,
    groups: Vec<GroupBlock>,
    component_count: usize,
    empty: bool,
}

fn dashboard_blocks(state: &PageState) -> Vec<GroupBlock> {
    let line = |c: &crate::db::models::components::Component| ComponentLine {
        id: c.id,
        name: c.name.clone(),
        status: c.status.as_str(),
        status_label: c.status.label(),
        internal: c.audience == Audience::Internal,
        choices: status_choices(c.status),
    };
    let mut blocks: Vec<GroupBlock> = state
        .groups
        .iter()
        .map(|g| GroupBlock {
            id: Some(g.id),
            name: g.name.clone(),
            components: state
                .components
                .iter()
                .filter(|c| c.group_id == Some(g.id))
                .map(line)
                .collect(),
        })
        .collect();
    let loose: Vec<ComponentLine> = state
        .components
        .iter()
        .filter(|c| c.group_id.is_none())
        .map(line)
        .collect();
    if !loose.is_empty() {
        blocks.push(GroupBlock {
            id: None,
            name: "Not in a group".into(),
            components: loose,
        });
    }
    blocks
}

/// `GET /admin` — every component with a quick status form.
pub async fn dashboard(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, AppError> {
    let page = state.db.run(page_state::load).await?;
    let blocks = dashboard_blocks(&page);
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/dashboard",
        Dashboard {
            title: "Components",
            notice: notice(query.done.as_deref()),
            component_count: page.components.len(),
            empty: blocks.is_empty(),
            groups: blocks,
        },
    ))
}
