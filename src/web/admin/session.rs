//! Signing in and out, and the one-time link that creates the first administrator.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::db::models::users;
use crate::domain::email::EmailAddress;
use crate::domain::role::Staff;
use crate::domain::text::check_password;
use crate::domain::token::{
    dummy_password_hash, hash_password, random_secret, secret_hash, secrets_match, verify_password,
};
use crate::error::AppError;
use crate::web::auth::{
    expired_session_cookie, safe_next, session_cookie, CsrfForm, NoFields, SESSION_COOKIE,
};
use crate::web::html;
use crate::web::state::AppState;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginPage {
    title: &'static str,
    next: String,
    email: String,
    error: Option<String>,
}

/// `GET /admin/login`
pub async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let page = LoginPage {
        title: "Sign in",
        next: safe_next(query.next.as_deref()),
        email: String::new(),
        error: None,
    };
    html::render(&state, &req, None, StatusCode::OK, "admin/login", page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// Starts a session and returns the redirect that sets its cookie.
async fn start_session(
    state: &AppState,
    staff: &Staff,
    next: &str,
) -> Result<HttpResponse, AppError> {
    let secret = random_secret("");
    let hash = secret_hash(&secret);
    let expires = crate::db::now() + state.settings.session_lifetime;
    let user_id = staff.user_id;
    state
        .db
        .run(move |conn| users::create_session(conn, user_id, &hash, expires))
        .await?;
    tracing::info!(user = %staff.email, "signed in");
    Ok(HttpResponse::SeeOther()
        .cookie(session_cookie(
            secret,
            state.settings.secure_cookies(),
            state.settings.session_lifetime,
        ))
        .insert_header(("Location", next))
        .finish())
}

/// `POST /admin/login` — rate-limited per client.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: CsrfForm<LoginForm>,
) -> HttpResponse {
    let form = form.0;
    let next = safe_next(form.next.as_deref());
    let email = form.email.trim().to_lowercase();
    let lookup = email.clone();
    let user = match state
        .db
        .run(move |conn| users::find_by_email(conn, &lookup))
        .await
    {
        Ok(user) => user,
        Err(err) => return html::error_page(&state, &req, None, err.into()),
    };
    let hash = user.as_ref().map_or_else(
        || dummy_password_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    let password = form.password;
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let staff = match (user, verified) {
        (Some(user), true) => user.staff(),
        _ => {
            tracing::warn!(email = %email, "failed sign-in");
            let page = LoginPage {
                title: "Sign in",
                next,
                email,
                error: Some("The email or the password is wrong.".into()),
            };
            return html::render(
                &state,
                &req,
                None,
                StatusCode::UNAUTHORIZED,
                "admin/login",
                page,
            );
        }
    };
    let result = match staff {
        Ok(staff) => start_session(&state, &staff, &next).await,
        Err(err) => Err(err.into()),
    };
    html::page(&state, &req, None, result)
}

/// `POST /admin/logout`
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    _form: CsrfForm<NoFields>,
) -> HttpResponse {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        let hash = secret_hash(cookie.value());
        if let Err(err) = state
            .db
            .run(move |conn| users::delete_session(conn, &hash))
            .await
        {
            return html::error_page(&state, &req, None, err.into());
        }
    }
    HttpResponse::SeeOther()
        .cookie(expired_session_cookie())
        .insert_header(("Location", "/"))
        .finish()
}

#[derive(Serialize)]
struct SetupPage {
    title: &'static str,
    token: String,
    email: String,
    error: Option<String>,
}

fn setup_token_valid(state: &AppState, token: &str) -> bool {
    match state.setup_token_hash.lock() {
        Ok(guard) => guard
            .as_deref()
            .is_some_and(|expected| secrets_match(expected, &secret_hash(token))),
        Err(_) => false,
    }
}

fn setup_link_unknown() -> AppError {
    AppError::NotFound(
        "This set-up link is not valid (any more). If no administrator exists yet, restart Sitrep for a new link, or run `sitrep user add --role admin`."
            .into(),
    )
}

/// `GET /setup/{token}` — the one-time link printed at first start.
pub async fn setup_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    if !setup_token_valid(&state, &token) {
        return html::error_page(&state, &req, None, setup_link_unknown());
    }
    let page = SetupPage {
        title: "Create the first administrator",
        token: token.into_inner(),
        email: String::new(),
        error: None,
    };
    html::render(&state, &req, None, StatusCode::OK, "admin/setup", page)
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

/// `POST /setup/{token}` — creates the first administrator and signs them in.
pub async fn setup(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: CsrfForm<SetupForm>,
) -> HttpResponse {
    if !setup_token_valid(&state, &token) {
        return html::error_page(&state, &req, None, setup_link_unknown());
    }
    let form = form.0;
    let invalid = |message: String| {
        let page = SetupPage {
            title: "Create the first administrator",
            token: token.clone(),
            email: form.email.clone(),
            error: Some(message),
        };
        html::render(
            &state,
            &req,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin/setup",
            page,
        )
    };
    let email = match EmailAddress::parse(&form.email) {
        Ok(email) => email,
        Err(err) => return invalid(err.0),
    };
    if let Err(err) = check_password(&form.password) {
        return invalid(err.0);
    }
    if form.password != form.password_again {
        return invalid("The two passwords differ: type the same password twice.".into());
    }
    let password = form.password.clone();
    let result = async {
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(AppError::internal)?
            .map_err(|e| AppError::internal(anyhow::anyhow!("hashing the password: {e}")))?;
        let staff = state
            .db
            .run(move |conn| users::create_first_admin(conn, &email, &hash))
            .await?;
        if let Ok(mut guard) = state.setup_token_hash.lock() {
            *guard = None;
        }
        tracing::info!(user = %staff.email, "first administrator created");
        start_session(&state, &staff, "/admin?done=signed-in").await
    }
    .await;
    html::page(&state, &req, None, result)
}
