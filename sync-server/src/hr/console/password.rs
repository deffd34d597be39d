//! `GET/POST /console/password`: the user changes their own password; a one-time password
//! must be replaced here before any other page opens. The rules and the change are the JSON
//! API's ([`crate::hr::account_service::set_own_password`]); the session is renewed as there.

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{Field, FieldError, Nav, error_of, error_summary};
use super::texts::texts;
use super::{Console, ConsoleForm, home_for, html_page};
use crate::hr::account_service::{open_session, set_own_password};
use crate::hr::accounts::AccountError;
use crate::hr::error::{HrError, LoginRefusal};
use crate::state::AppState;

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

fn render(console: &Console, uri: &Uri, errors: &[FieldError]) -> maud::Markup {
    let lang = console.lang;
    let t = texts(lang);
    let one_time = console.signed.must_change_password;
    let current = Field {
        error: error_of(errors, "current_password"),
        autocomplete: Some("current-password"),
        required: true,
        ..Field::new(
            "current_password",
            if one_time {
                t.one_time_password
            } else {
                t.current_password
            },
            "password",
        )
    };
    let new = Field {
        hint: Some(t.new_password_hint),
        error: error_of(errors, "new_password"),
        autocomplete: Some("new-password"),
        required: true,
        ..Field::new("new_password", t.new_password, "password")
    };
    let confirm = Field {
        error: error_of(errors, "confirm_password"),
        autocomplete: Some("new-password"),
        required: true,
        ..Field::new("confirm_password", t.confirm_password, "password")
    };
    console
        .page(t.password_title, uri, Nav::Password, !errors.is_empty())
        .render(html! {
            (error_summary(lang, errors))
            p { (if one_time { t.must_change_intro } else { t.change_intro }) }
            form method="post" action="/console/password" novalidate {
                input type="hidden" name="csrf_token" value=(console.signed.csrf);
                (current.render(lang))
                (new.render(lang))
                (confirm.render(lang))
                div.actions {
                    button.button type="submit" { (t.save_password) }
                }
            }
        })
}

pub(crate) async fn form(console: Console, uri: Uri) -> Response {
    html_page(StatusCode::OK, render(&console, &uri, &[]))
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    uri: Uri,
    ConsoleForm { console, form }: ConsoleForm<PasswordForm>,
) -> Response {
    let t = texts(console.lang);
    let mut errors = Vec::new();
    let mut wrong_current = false;
    if form.current_password.is_empty() {
        errors.push(FieldError::on("current_password", t.current_missing));
    }
    if form.new_password != form.confirm_password {
        errors.push(FieldError::on("confirm_password", t.confirm_mismatch));
    }
    if errors.is_empty() {
        let changed = set_own_password(
            &state,
            console.caller.user.id,
            form.current_password,
            form.new_password,
        )
        .await;
        match changed {
            Ok(()) => {}
            Err(HrError::Login(LoginRefusal::WrongCredentials)) => {
                wrong_current = true;
                errors.push(FieldError::on("current_password", t.current_wrong));
            }
            Err(HrError::Account(AccountError::BadPassword)) => {
                errors.push(FieldError::on("new_password", t.new_bad));
            }
            Err(HrError::Account(AccountError::SamePassword)) => {
                errors.push(FieldError::on("new_password", t.new_same));
            }
            Err(other) => return console.refuse(other, &uri).into_response(),
        }
    }
    if !errors.is_empty() {
        let status = if wrong_current {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return html_page(status, render(&console, &uri, &errors));
    }
    // The change ended every session of the user, this one too: open a new one.
    let mut user = console.caller.user.clone();
    user.must_change_password = false;
    match open_session(&state, &user).await {
        Ok((cookie, _)) => {
            let mut response = Redirect::to(home_for(&user)).into_response();
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(error) => console.refuse(error, &uri).into_response(),
    }
}
