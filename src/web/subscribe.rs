//! Email subscriptions for visitors (`/subscribe`, external stream) and
//! staff (`/internal/subscribe`, internal stream): double opt-in, component
//! choices, and unsubscribing from a page or with one POST (RFC 8058).
//!
//! No GET changes anything: the links in emails open a page whose button
//! POSTs (mail scanners follow links, people press buttons).
//!
//! `POST /unsubscribe/{token}` takes no CSRF token on purpose: mail clients
//! send `List-Unsubscribe=One-Click` without cookies. That is safe because the
//! token in the URL is the capability: an HMAC over the subscriber's id and
//! random link key with the site secret, which a forging site cannot know; and
//! the worst a replay can do is unsubscribe the person the link was mailed to.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::auth::{CsrfForm, NoFields, SignedIn};
use super::html::{page, render};
use super::state::AppState;
use crate::app::subscribers;
use crate::app::Actor;
use crate::db::models::components;
use crate::db::models::subscribers::{self as store, Subscriber};
use crate::domain::email::EmailAddress;
use crate::domain::role::Staff;
use crate::domain::status::Audience;
use crate::error::AppError;
use crate::notify::links;

#[derive(Serialize)]
struct Choice {
    id: i64,
    name: String,
    checked: bool,
}

#[derive(Serialize)]
struct FormPage {
    title: &'static str,
    action: String,
    email: String,
    error: Option<String>,
    components: Vec<Choice>,
    internal: bool,
}

#[derive(Serialize)]
struct MessagePage {
    title: &'static str,
    message: &'static str,
}

/// The unsubscribe and confirmation pages: one button for one address.
#[derive(Serialize)]
struct UnsubscribePage {
    title: &'static str,
    action: String,
    email: String,
}

#[derive(Serialize)]
struct ManagePage {
    title: &'static str,
    action: String,
    email: String,
    components: Vec<Choice>,
    saved: bool,
}

/// Components a subscriber of `audience` can pick.
async fn choices(
    state: &AppState,
    audience: Audience,
    chosen: &[i64],
) -> Result<Vec<Choice>, AppError> {
    let all = state.db.run(components::list).await?;
    Ok(all
        .into_iter()
        .filter(|c| c.audience.visible_to(audience))
        .map(|c| Choice {
            checked: chosen.contains(&c.id),
            id: c.id,
            name: c.name,
        })
        .collect())
}

fn path_for(audience: Audience) -> &'static str {
    match audience {
        Audience::External => "/subscribe",
        Audience::Internal => "/internal/subscribe",
    }
}

#[allow(clippy::too_many_arguments)]
async fn form(
    state: &AppState,
    req: &HttpRequest,
    staff: Option<&Staff>,
    audience: Audience,
    status: StatusCode,
    email: String,
    error: Option<String>,
    chosen: &[i64],
) -> Result<HttpResponse, AppError> {
    let components = choices(state, audience, chosen).await?;
    Ok(render(
        state,
        req,
        staff,
        status,
        "pages/subscribe",
        FormPage {
            title: "Subscribe to updates",
            action: path_for(audience).to_string(),
            email,
            error,
            components,
            internal: audience == Audience::Internal,
        },
    ))
}

pub async fn external_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let result = form(
        &state,
        &req,
        None,
        Audience::External,
        StatusCode::OK,
        String::new(),
        None,
        &[],
    )
    .await;
    page(&state, &req, None, result)
}

pub async fn internal_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
) -> HttpResponse {
    let result = form(
        &state,
        &req,
        Some(&who.0),
        Audience::Internal,
        StatusCode::OK,
        who.0.email.clone(),
        None,
        &[],
    )
    .await;
    page(&state, &req, Some(&who.0), result)
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn chosen_components(pairs: &[(String, String)]) -> Vec<i64> {
    pairs
        .iter()
        .filter(|(k, _)| k == "components")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect()
}

async fn do_subscribe(
    state: &AppState,
    req: &HttpRequest,
    staff: Option<&Staff>,
    audience: Audience,
    pairs: Vec<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let raw_email = field(&pairs, "email").to_string();
    let picked = chosen_components(&pairs);
    let email = match EmailAddress::parse(&raw_email) {
        Ok(email) => email,
        Err(err) => {
            return form(
                state,
                req,
                staff,
                audience,
                StatusCode::UNPROCESSABLE_ENTITY,
                raw_email,
                Some(err.0),
                &picked,
            )
            .await;
        }
    };
    let actor = match staff {
        Some(staff) => Actor::Staff(staff.clone()),
        None => Actor::Public,
    };
    let outcome = subscribers::subscribe(state, &actor, audience, email, picked).await?;
    tracing::info!(outcome = ?outcome, audience = audience.as_str(), "subscribe form");
    // The same answer whether or not the address was known.
    Ok(message(state, req, staff, StatusCode::OK, "Check your inbox", "Check your inbox: if this address is not subscribed yet, we have sent it a link to confirm the subscription. Nothing is sent until it is confirmed."))
}

fn message(
    state: &AppState,
    req: &HttpRequest,
    staff: Option<&Staff>,
    status: StatusCode,
    title: &'static str,
    message: &'static str,
) -> HttpResponse {
    render(
        state,
        req,
        staff,
        status,
        "pages/subscribe_message",
        MessagePage { title, message },
    )
}

pub async fn external_subscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    posted: CsrfForm<Vec<(String, String)>>,
) -> HttpResponse {
    let result = do_subscribe(&state, &req, None, Audience::External, posted.0).await;
    page(&state, &req, None, result)
}

pub async fn internal_subscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SignedIn,
    posted: CsrfForm<Vec<(String, String)>>,
) -> HttpResponse {
    let result = do_subscribe(&state, &req, Some(&who.0), Audience::Internal, posted.0).await;
    page(&state, &req, Some(&who.0), result)
}

fn link_not_valid(state: &AppState, req: &HttpRequest) -> HttpResponse {
    message(state, req, None, StatusCode::NOT_FOUND, "Link not valid", "This confirmation link is not valid any more: it was already used, or a newer one was sent. Subscribe again if you receive nothing.")
}

/// `GET /subscribe/confirm/{token}`: only shows the button. Mail scanners
/// open every link of a message; confirming takes the person's POST.
pub async fn confirm_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    let token = token.into_inner();
    let lookup = token.clone();
    let found = state
        .db
        .run(move |conn| store::by_confirm_token(conn, &lookup))
        .await;
    match found {
        Ok(Some(s)) => render(
            &state,
            &req,
            None,
            StatusCode::OK,
            "pages/subscribe_confirm",
            UnsubscribePage {
                title: "Confirm your subscription",
                action: format!("/subscribe/confirm/{token}"),
                email: s.email,
            },
        ),
        Ok(None) => link_not_valid(&state, &req),
        Err(err) => page(&state, &req, None, Err(err.into())),
    }
}

/// `POST /subscribe/confirm/{token}`: the confirmation page's button.
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    _posted: CsrfForm<NoFields>,
) -> HttpResponse {
    match subscribers::confirm(&state, token.into_inner()).await {
        Ok(Some(_)) => message(
            &state,
            &req,
            None,
            StatusCode::OK,
            "Subscription confirmed",
            "Your subscription is confirmed: you will receive an email for every update we send.",
        ),
        Ok(None) => link_not_valid(&state, &req),
        Err(err) => page(&state, &req, None, Err(err)),
    }
}

async fn by_token(
    state: &AppState,
    purpose: &'static str,
    token: String,
) -> Result<Subscriber, AppError> {
    let settings = state.settings.clone();
    state
        .db
        .run_as(move |conn| subscribers::by_link_token(conn, &settings, purpose, &token))
        .await
}

pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    let token = token.into_inner();
    let result = async {
        let s = by_token(&state, links::UNSUBSCRIBE, token.clone()).await?;
        if s.unsubscribed_at.is_some() {
            return Ok(message(
                &state,
                &req,
                None,
                StatusCode::OK,
                "Unsubscribed",
                "This address is unsubscribed: it receives no more updates.",
            ));
        }
        Ok(render(
            &state,
            &req,
            None,
            StatusCode::OK,
            "pages/unsubscribe",
            UnsubscribePage {
                title: "Unsubscribe",
                action: format!("/unsubscribe/{token}"),
                email: s.email,
            },
        ))
    }
    .await;
    page(&state, &req, None, result)
}

/// One-click (RFC 8058) and the page's button: the body is not read, the
/// token is the authority (see the module documentation).
pub async fn unsubscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    let token = token.into_inner();
    let result = async {
        subscribers::unsubscribe(&state, token).await?;
        Ok(message(
            &state,
            &req,
            None,
            StatusCode::OK,
            "Unsubscribed",
            "You are unsubscribed: this address receives no more updates.",
        ))
    }
    .await;
    page(&state, &req, None, result)
}

async fn manage_page(
    state: &AppState,
    req: &HttpRequest,
    token: String,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let s = by_token(state, links::MANAGE, token.clone()).await?;
    let audience = Audience::parse(&s.audience)?;
    let id = s.id;
    let chosen = state
        .db
        .run(move |conn| store::component_ids(conn, id))
        .await?;
    let components = choices(state, audience, &chosen).await?;
    Ok(render(
        state,
        req,
        None,
        StatusCode::OK,
        "pages/subscribe_manage",
        ManagePage {
            title: "Your subscription",
            action: format!("/subscribe/manage/{token}"),
            email: s.email,
            components,
            saved,
        },
    ))
}

pub async fn manage_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    let result = manage_page(&state, &req, token.into_inner(), false).await;
    page(&state, &req, None, result)
}

pub async fn manage(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    posted: CsrfForm<Vec<(String, String)>>,
) -> HttpResponse {
    let token = token.into_inner();
    let result = async {
        let picked = chosen_components(&posted.0);
        subscribers::manage(&state, token.clone(), picked).await?;
        manage_page(&state, &req, token, true).await
    }
    .await;
    page(&state, &req, None, result)
}
