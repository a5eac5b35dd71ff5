//! The management API under `/api/v1`: bearer tokens, JSON in and out, field
//! names as in Statuspage's management API, and an OpenAPI document
//! generated from these handlers.

pub mod components;
pub mod groups;
pub mod incidents;
pub mod maintenances;
pub mod metrics;
pub mod reports;
pub mod roster;
pub mod templates;
pub mod webhooks;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Sitrep management API", description = "Manage the status page: components and component groups. Authenticate with `Authorization: Bearer <token>` (create one with `sitrep token create`)."),
    paths(
        components::list, components::create, components::show, components::update, components::delete,
        groups::list, groups::create, groups::show, groups::update, groups::delete,
        maintenances::list, maintenances::create, maintenances::show, maintenances::update, maintenances::delete, maintenances::post_update,
        incidents::list, incidents::create, incidents::show, incidents::update, incidents::post_update,
        templates::list, templates::create, templates::show, templates::replace,
        metrics::summary, metrics::export_csv,
        roster::list, roster::update, roster::incident_roles, roster::assign,
        webhooks::list, webhooks::create, webhooks::delete,
        reports::show, reports::update, reports::step, reports::versions, reports::version,
        reports::list_items, reports::create_item, reports::update_item, reports::delete_item,
    ),
    components(schemas(
        components::ComponentView, components::ComponentCreate, components::ComponentUpdate,
        groups::GroupView, groups::GroupCreate, groups::GroupUpdate, ErrorBody, ErrorDetail,
        incidents::IncidentView, incidents::UpdateView, incidents::IncidentCreate, incidents::IncidentPatch, incidents::UpdateInput,
        crate::domain::incident::Impact, crate::domain::incident::Urgency, crate::domain::incident::Priority,
        crate::domain::incident::Phase, crate::domain::incident::ChecklistAnswer,
        templates::TemplateSetView, templates::TemplateSetInput, templates::PhaseTexts,
        crate::domain::status::ComponentStatus, crate::domain::status::Audience,
        maintenances::MaintenanceView, maintenances::MaintenanceComponentView, maintenances::MaintenanceUpdateView,
        maintenances::MaintenanceCreate, maintenances::MaintenancePatch, maintenances::MaintenanceUpdateCreate,
        crate::domain::maintenance::MaintenanceStatus,
        metrics::MetricsView, metrics::SummaryView, metrics::MetricView, metrics::PromisesView, metrics::GroupView,
        metrics::ComponentGroupView, metrics::BreachView, metrics::RecurrenceView, metrics::PeriodView,
        metrics::ChangeView, metrics::SummaryChangeView, metrics::ClockChangeView, metrics::PreviousView,
        roster::RosterEntryView, roster::ContactView, roster::ContactInput, roster::RosterInput, roster::HoldingView,
        roster::CurrentRoleView, roster::IncidentRolesView, roster::AssignInput, roster::RosterPick,
        crate::domain::roster::IncidentRole, crate::web::sla::SlaView, crate::web::sla::SlaTargetView,
        crate::web::sla::SlaClockView, crate::web::sla::SlaState,
        webhooks::WebhookView, webhooks::WebhookCreate, webhooks::WebhookCreated, webhooks::LastDeliveryView,
        reports::ReportView, reports::ReportPatch, reports::StepInput, reports::VersionView, reports::TimeRowView,
        reports::ActionItemView, reports::ActionItemCreate, reports::ActionItemPatch,
        crate::domain::report::ReportStatus, crate::domain::report::Link, crate::domain::report::ItemPriority,
        crate::domain::report::ItemStatus, crate::domain::report::ItemSnapshot, crate::domain::report::DiffLine,
        crate::domain::milestone::Milestone,
        metrics::ActionItemView, metrics::ComponentUptimeView, metrics::ChangeView, metrics::SummaryChangeView, metrics::ClockChangeView, metrics::PreviousView,
    )),
    modifiers(&BearerAuth, &CommonErrors),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The errors every endpoint can answer, whether or not its own
/// `responses` name them: 400 (an `Authorization` header that is not
/// `Bearer <token>`, a body that is not JSON) and 401 (no or an unknown token).
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                responses
                    .entry("400".into())
                    .or_insert_with(|| error("The request could not be read.").into());
                responses
                    .entry("401".into())
                    .or_insert_with(|| error("No API token, or an unknown one.").into());
            }
        }
    }
}

/// The error body every endpoint returns on failure.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// The HTTP status.
    status: u16,
    /// What went wrong and what to change.
    message: String,
}

/// `GET /api/v1/openapi.json`
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
