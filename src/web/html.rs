//! Server-rendered console pages: every page gets the CSRF token, the
//! signed-in person and the page name; errors become readable HTML pages.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use super::auth::csrf_token;
use super::state::AppState;
use crate::domain::role::{Permission, Staff};
use crate::error::AppError;

#[derive(Serialize)]
struct StaffView<'a> {
    email: &'a str,
    role: &'static str,
    role_label: &'static str,
    can_manage_components: bool,
    can_change_status: bool,
}

#[derive(Serialize)]
struct Context<'a, T: Serialize> {
    page_name: &'a str,
    csrf_token: &'a str,
    staff: Option<StaffView<'a>>,
    #[serde(flatten)]
    data: T,
}

/// Renders `template` with `data` plus the common context.
pub fn render<T: Serialize>(
    state: &AppState,
    req: &HttpRequest,
    staff: Option<&Staff>,
    status: StatusCode,
    template: &str,
    data: T,
) -> HttpResponse {
    let (token, cookie) = csrf_token(req, state.settings.secure_cookies());
    let context = Context {
        page_name: &state.settings.page_name,
        csrf_token: &token,
        staff: staff.map(|s| StaffView {
            email: &s.email,
            role: s.role.as_str(),
            role_label: s.role.label(),
            can_manage_components: s.can(Permission::ManageComponents),
            can_change_status: s.can(Permission::ChangeComponentStatus),
        }),
        data,
    };
    match state.templates.render(template, &context) {
        Ok(html) => {
            let mut response = HttpResponse::build(status);
            response
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"));
            if let Some(cookie) = cookie {
                response.cookie(cookie);
            }
            response.body(html)
        }
        Err(err) => AppError::Internal(err).error_response(),
    }
}

#[derive(Serialize)]
struct ErrorPage {
    title: String,
    status: u16,
    message: String,
    /// Where "Go back" leads: a plain link, since the page's CSP blocks
    /// `javascript:` URLs.
    back: String,
}

/// The page to go back to from an error: the page of this site the person
/// came from (its `Referer`), else the front page of the area they are in.
fn back_link(req: &HttpRequest) -> String {
    let referer = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .filter(|r| super::auth::is_own_url(req, r))
        .and_then(|r| url::Url::parse(r).ok());
    if let Some(referer) = referer {
        let path = match referer.query() {
            Some(query) => format!("{}?{query}", referer.path()),
            None => referer.path().to_string(),
        };
        let local = super::auth::safe_next(Some(&path));
        if local == path && path != req.uri().to_string() {
            return path;
        }
    }
    if req.path().starts_with("/admin") {
        "/admin".into()
    } else {
        "/".into()
    }
}

/// An error as an HTML page with the right status code.
pub fn error_page(
    state: &AppState,
    req: &HttpRequest,
    staff: Option<&Staff>,
    err: AppError,
) -> HttpResponse {
    if let AppError::Internal(cause) = &err {
        tracing::error!(error = ?cause, "request failed");
    }
    render_error(state, req, staff, &err)
}

fn render_error(
    state: &AppState,
    req: &HttpRequest,
    staff: Option<&Staff>,
    err: &AppError,
) -> HttpResponse {
    let status = err.status_code();
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::CONFLICT => "Already exists",
        StatusCode::PAYLOAD_TOO_LARGE => "Too much data",
        StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong",
        _ => "Please check your input",
    };
    render(
        state,
        req,
        staff,
        status,
        "pages/error",
        ErrorPage {
            title: title.into(),
            status: status.as_u16(),
            message: err.message(),
            back: back_link(req),
        },
    )
}

/// Middleware of the console: an [`AppError`] a handler (or a form
/// extractor) returned becomes the console's HTML error page, with the
/// signed-in person's navigation, instead of the JSON body the API gets.
/// So console handlers simply return `Result<HttpResponse, AppError>`.
pub async fn console_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(err) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    else {
        return Ok(res.map_into_left_body());
    };
    let request = res.request().clone();
    let Some(state) = request.app_data::<web::Data<AppState>>() else {
        return Ok(res.map_into_left_body());
    };
    let staff = request.extensions().get::<Staff>().cloned();
    let page = render_error(state, &request, staff.as_ref(), err);
    Ok(res.into_response(page).map_into_right_body())
}

/// Turns a handler's result into a page: errors become [`error_page`].
pub fn page(
    state: &AppState,
    req: &HttpRequest,
    staff: Option<&Staff>,
    result: Result<HttpResponse, AppError>,
) -> HttpResponse {
    result.unwrap_or_else(|err| error_page(state, req, staff, err))
}

/// 303 to `location` (after a successful form post).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
