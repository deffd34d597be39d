//! `GET/POST /console/login`: the login form. Before login there is no session to bind a
//! CSRF token to, so the form carries a pre-session token that must equal the
//! `kiosk_login` cookie (HttpOnly, SameSite=Strict): another site can neither read it nor
//! make the browser send it, so it cannot log a visitor in as someone else. Checking the
//! password, the rate limit and opening the session are the JSON login's own code.

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use kiosk_core::language::Language;
use maud::html;
use serde::Deserialize;

use super::layout::{Field, FieldError, Nav, Page, error_of, error_summary, notice};
use super::texts::{fill, texts};
use super::{Lang, Refusal, home_for, html_page};
use crate::error::AppError;
use crate::hr::account_service::{check_login, client_address, open_session};
use crate::hr::error::{HrError, LoginRefusal};
use crate::hr::sessions;
use crate::state::AppState;

/// The pre-session token's cookie.
const LOGIN_COOKIE: &str = "kiosk_login";

#[derive(Debug, Deserialize)]
pub(crate) struct Shown {
    expired: Option<String>,
    logged_out: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// The request's pre-session token, if it has a well-formed one.
fn login_token(headers: &HeaderMap) -> Option<&str> {
    sessions::cookie(headers, LOGIN_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn token_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={token}; Path=/console/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn cleared_token_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "kiosk_login=; Path=/console/login; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

/// The login page with `errors`, keeping the username typed (never the password).
fn render(
    lang: Language,
    uri: &Uri,
    token: &str,
    username: &str,
    errors: &[FieldError],
    shown: Option<&str>,
) -> maud::Markup {
    let t = texts(lang);
    let username_field = Field {
        value: username,
        error: error_of(errors, "username"),
        autocomplete: Some("username"),
        required: true,
        ..Field::new("username", t.username, "text")
    };
    // A refused login belongs to both fields; the password field carries its message.
    let form_error = errors
        .iter()
        .find(|e| e.field.is_none())
        .map(|e| e.message.as_str());
    let password_field = Field {
        error: error_of(errors, "password").or(form_error),
        autocomplete: Some("current-password"),
        required: true,
        ..Field::new("password", t.password, "password")
    };
    let summary: Vec<FieldError> = errors
        .iter()
        .map(|e| FieldError {
            field: e.field.or(Some("password")),
            message: e.message.clone(),
        })
        .collect();
    Page {
        lang,
        title: t.login_title,
        uri,
        signed: None,
        nav: Nav::None,
        has_errors: !errors.is_empty(),
    }
    .render(html! {
        (error_summary(lang, &summary))
        @if let Some(message) = shown {
            (notice(message))
        }
        p { (t.login_intro) }
        form method="post" action="/console/login" novalidate {
            input type="hidden" name="csrf_token" value=(token);
            (username_field.render(lang))
            (password_field.render(lang))
            div.actions {
                button.button type="submit" { (t.login_button) }
            }
        }
    })
}

pub(crate) async fn form(
    State(state): State<AppState>,
    Lang(lang): Lang,
    uri: Uri,
    headers: HeaderMap,
    Query(shown): Query<Shown>,
) -> Response {
    let t = texts(lang);
    let token = login_token(&headers).map_or_else(sessions::new_secret, str::to_owned);
    let message = if shown.logged_out.is_some() {
        Some(t.logged_out)
    } else if shown.expired.is_some() {
        Some(t.session_expired)
    } else {
        None
    };
    let mut response = html_page(StatusCode::OK, render(lang, &uri, &token, "", &[], message));
    response.headers_mut().insert(
        header::SET_COOKIE,
        token_cookie(&token, state.secure_cookies),
    );
    response
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    Lang(lang): Lang,
    uri: Uri,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let t = texts(lang);
    let Ok(Form(form)) = form else {
        return refusal(lang, &uri, AppError::BadBody(String::new()));
    };
    let Some(token) = login_token(&headers) else {
        return expired_form(lang, &uri);
    };
    if !sessions::secret_matches(&form.csrf_token, &sessions::secret_hash(token)) {
        return expired_form(lang, &uri);
    }
    let mut errors = Vec::new();
    if form.username.trim().is_empty() {
        errors.push(FieldError::on("username", t.username_missing));
    }
    if form.password.is_empty() {
        errors.push(FieldError::on("password", t.password_missing));
    }
    if !errors.is_empty() {
        let page = render(lang, &uri, token, &form.username, &errors, None);
        return html_page(StatusCode::UNPROCESSABLE_ENTITY, page);
    }
    let username = form.username.trim().to_owned();
    let user = match check_login(
        &state,
        username.clone(),
        form.password,
        &client_address(peer),
    )
    .await
    {
        Ok(user) => user,
        Err(HrError::Login(LoginRefusal::WrongCredentials)) => {
            let errors = [FieldError::form(t.wrong_credentials)];
            let page = render(lang, &uri, token, &username, &errors, None);
            return html_page(StatusCode::UNAUTHORIZED, page);
        }
        Err(HrError::Login(LoginRefusal::Disabled)) => {
            let errors = [FieldError::form(t.account_disabled)];
            let page = render(lang, &uri, token, &username, &errors, None);
            return html_page(StatusCode::FORBIDDEN, page);
        }
        Err(HrError::Login(LoginRefusal::RateLimited(seconds))) => {
            // People read a wait in minutes, rounded up; Retry-After keeps the seconds.
            let wait = super::texts::amount(
                lang,
                super::texts::wait_minutes(seconds),
                super::texts::Unit::Minutes,
            );
            let errors = [FieldError::form(fill(t.rate_limited, wait))];
            let page = render(lang, &uri, token, &username, &errors, None);
            let mut response = html_page(StatusCode::TOO_MANY_REQUESTS, page);
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Err(other) => return refusal(lang, &uri, other),
    };
    let (session_cookie, _) = match open_session(&state, &user).await {
        Ok(opened) => opened,
        Err(error) => return refusal(lang, &uri, error),
    };
    let mut response = Redirect::to(home_for(&user)).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, session_cookie);
    headers.append(header::SET_COOKIE, cleared_token_cookie());
    response
}

/// The pre-session token is missing or does not match: a forged or stale form.
fn expired_form(lang: Language, uri: &Uri) -> Response {
    let t = texts(lang);
    let page = Page {
        lang,
        title: t.login_form_expired_title,
        uri,
        signed: None,
        nav: Nav::None,
        has_errors: false,
    }
    .render(html! {
        p { (t.login_form_expired) }
        p { a href="/console/login" { (t.go_to_login) } }
    });
    html_page(StatusCode::FORBIDDEN, page)
}

fn refusal(lang: Language, uri: &Uri, error: impl Into<AppError>) -> Response {
    Refusal {
        error: error.into(),
        lang,
        signed: None,
        had_session: false,
        uri: uri.clone(),
    }
    .into_response()
}
