//! The HR console: server-rendered HTML pages (maud) for the people of central HR, in
//! Swedish and English, usable by keyboard and screen reader, with no JavaScript. The pages
//! call the same account, session and registration code as the JSON API, so a rule holds
//! in both or neither; this module only renders and maps refusals to pages.
//!
//! Before login a pre-session token (a `SameSite=Strict` cookie equal to a hidden field)
//! guards the login form against login CSRF; after it, every POST form carries the session's
//! CSRF token as `csrf_token`, which [`crate::hr::caller::authenticate`] accepts in place of the
//! `X-CSRF-Token` header. `?lang=en` (or `sv`) switches the language and remembers it in the
//! `kiosk_lang` cookie; Swedish is the default.

mod access_log;
mod accessibility;
mod backup_age;
mod capture_signature;
mod confirmations;
mod contact_flags;
mod detail;
mod device_names;
mod devices;
pub(crate) mod disclosure;
mod do_not_contact;
mod events;
mod export;
mod forms;
pub(crate) mod layout;
mod list;
mod list_steps;
mod list_texts;
mod login;
mod password;
mod provenance;
mod quarantine;
mod quarantine_review;
mod reconciliation;
mod record_lifecycle;
mod restricted;
mod retention;
pub(crate) mod subject_access;
mod texts;
mod user_access;
mod user_confirmations;
mod users;
pub(crate) mod visitor_receipt;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kiosk_core::language::Language;
use maud::{Markup, html};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::hr::caller::{Caller, authenticate};
pub use crate::hr::language::LANG_COOKIE;
pub(crate) use crate::hr::language::Lang;
use crate::hr::language::{asked_language, language_of};
use crate::hr::sessions;
use crate::state::AppState;
use layout::{Nav, Page, Signed};
use texts::{fill, role_name, texts};

/// The largest console form body: the router's limit for HR requests.
const FORM_LIMIT: usize = crate::hr::params::HR_BODY_LIMIT;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/login", get(login::form).post(login::submit))
        .route(
            "/console/password",
            get(password::form).post(password::submit),
        )
        .route("/console/registrations", get(list::page))
        .route("/console/registrations/{id}", get(detail::page))
        .route("/console/registrations/{id}/notes", post(detail::add_note))
        .route(
            "/console/registrations/{id}/rating",
            post(detail::set_rating),
        )
        .route(
            "/console/registrations/{id}/status",
            post(detail::set_status),
        )
        .route("/console/restricted", get(restricted::page))
        .route("/console/quarantine", get(quarantine::page))
        .route(visitor_receipt::QUEUE, get(visitor_receipt::queue))
        .route(
            "/console/visitor-requests/{id}/handled",
            post(visitor_receipt::handled),
        )
        .route(
            "/console/registrations/{id}/receipt-withdrawal",
            post(visitor_receipt::withdraw),
        )
        .route(
            "/console/quarantine/{id}",
            get(quarantine_review::capture_page),
        )
        .route(
            "/console/quarantine/{id}/review",
            get(quarantine_review::decision_form).post(quarantine_review::decide),
        )
        .route("/console/events", get(events::list).post(events::create))
        .route("/console/events/{id}", get(events::page).post(events::save))
        .route(
            "/console/events/{id}/publish",
            get(events::confirm_publish).post(events::publish),
        )
        .route("/console/devices", get(devices::page))
        .route(
            "/console/devices/enrollment-codes",
            post(devices::create_code),
        )
        .route(
            "/console/devices/{id}/revoke",
            get(devices::confirm_revoke).post(devices::revoke),
        )
        .route(
            "/console/devices/{id}/name",
            get(device_names::form).post(device_names::submit),
        )
        .route(
            "/console/devices/{id}/unlock-code",
            post(devices::unlock_code),
        )
        .route("/console/users", get(users::page).post(users::create))
        .route("/console/users/assignments", post(users::assign))
        .route("/console/users/assignments/remove", post(users::unassign))
        .route("/console/users/{id}/clearance", post(users::clearance))
        .route("/console/users/{id}", get(user_access::page))
        .route("/console/users/{id}/access", post(user_access::change))
        .route("/console/export", get(export::page))
        .route("/console/access-log", get(access_log::page))
        .route("/console/retention", get(retention::page))
        .route("/console/retention/runs", post(retention::start))
        .route(
            "/console/registrations/{id}/legal-hold",
            post(record_lifecycle::hold),
        )
        .route(
            "/console/registrations/{id}/talent-pool-withdrawal",
            post(record_lifecycle::withdraw),
        )
        .route(
            "/console/registrations/{id}/do-not-contact",
            post(do_not_contact::ask),
        )
        .route("/console/accessibility", get(accessibility::page))
        .route("/console/reconciliation", get(reconciliation::page))
        .route(
            "/console/events/{id}/closing-report",
            get(reconciliation::closing_report_page),
        )
        .route(
            "/console/subject-access",
            get(subject_access::page).post(subject_access::submit),
        )
        .route(
            "/console/subject-access/download",
            post(subject_access::download),
        )
        .route("/console/print.css", get(crate::hr::printable::stylesheet))
        .route(
            "/console/disclosure",
            get(disclosure::page).post(disclosure::submit),
        )
        .route("/console/logout", post(logout))
        .route("/console/console.css", get(stylesheet))
        .layer(middleware::from_fn(console_headers))
}

const LIST: &str = "/console/registrations";
const EVENTS: &str = "/console/events";

/// The first page of a user's work: registrations for recruiters and archivists, events for
/// an admin without either role.
pub(crate) fn home_for(user: &crate::hr::accounts::HrUser) -> &'static str {
    match crate::hr::policy::home(user) {
        crate::hr::policy::Home::Password => PASSWORD,
        crate::hr::policy::Home::Events => EVENTS,
        crate::hr::policy::Home::Registrations => LIST,
    }
}
const LOGIN: &str = "/console/login";
const PASSWORD: &str = "/console/password";

/// Remembers a language asked for with `?lang=`. The headers every console answer carries
/// (no caching, no framing, no referrer, the content policy) are the whole relay's, set by
/// [`crate::headers::security_headers`].
async fn console_headers(request: Request, next: Next) -> Response {
    let asked = asked_language(request.uri());
    let mut response = next.run(request).await;
    if let Some(lang) = asked
        && let Ok(value) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
            lang.tag()
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        layout::STYLESHEET,
    )
        .into_response()
}

/// A rendered page with `status`.
pub(crate) fn html_page(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// A logged-in console user (any role; pages ask for what they need) and the language.
#[derive(Debug)]
pub(crate) struct Console {
    pub caller: Caller,
    pub signed: Signed,
    pub lang: Language,
}

impl Console {
    fn new(caller: Caller, headers: &HeaderMap, lang: Language) -> Console {
        // The CSRF token follows from the session cookie; a bearer-token caller has no
        // cookie and needs no token.
        let csrf = sessions::session_from_cookies(headers)
            .map(|secret| sessions::csrf_token_for(&secret))
            .unwrap_or_default();
        let signed = Signed {
            display_name: caller.user.display_name.clone(),
            csrf,
            must_change_password: caller.user.must_change_password,
            reach: crate::hr::policy::reach(&caller.user),
        };
        Console {
            caller,
            signed,
            lang,
        }
    }

    /// The frame of a page for this user: their language and their menu.
    pub fn page<'a>(
        &'a self,
        title: &'a str,
        uri: &'a Uri,
        nav: Nav,
        has_errors: bool,
    ) -> Page<'a> {
        Page {
            lang: self.lang,
            title,
            uri,
            signed: Some(&self.signed),
            nav,
            has_errors,
        }
    }

    /// `error` as this user's page.
    pub fn refuse(&self, error: impl Into<AppError>, uri: &Uri) -> Refusal {
        Refusal {
            error: error.into(),
            lang: self.lang,
            signed: Some(self.signed.clone()),
            had_session: true,
            uri: uri.clone(),
        }
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Console, Refusal> {
        let lang = language_of(parts);
        match authenticate(parts, state, None).await {
            Ok(caller) => Ok(Console::new(caller, &parts.headers, lang)),
            Err(error) => Err(Refusal::anonymous(error, lang, parts)),
        }
    }
}

/// A console POST: the logged-in user, checked with the form's `csrf_token` field, and the
/// form as `T`.
#[derive(Debug)]
pub(crate) struct ConsoleForm<T> {
    pub console: Console,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    csrf_token: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for ConsoleForm<T> {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Refusal> {
        let (parts, body) = request.into_parts();
        let lang = language_of(&parts);
        let bytes: Bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| Refusal::anonymous(AppError::BadBody(String::new()), lang, &parts))?;
        let csrf = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
            .ok()
            .and_then(|f| f.csrf_token);
        let caller = authenticate(&parts, state, csrf.as_deref())
            .await
            .map_err(|error| Refusal::anonymous(error, lang, &parts))?;
        let console = Console::new(caller, &parts.headers, lang);
        let form = serde_urlencoded::from_bytes::<T>(&bytes)
            .map_err(|_| console.refuse(AppError::BadBody(String::new()), &parts.uri))?;
        Ok(ConsoleForm { console, form })
    }
}

/// Why a console request was not served, shown as a page (or a redirect to the page that
/// comes first: the login, or the password change).
#[derive(Debug)]
pub(crate) struct Refusal {
    error: AppError,
    lang: Language,
    signed: Option<Signed>,
    /// The request carried a session cookie (a refused one has expired or ended).
    had_session: bool,
    uri: Uri,
}

impl Refusal {
    fn anonymous(error: AppError, lang: Language, parts: &Parts) -> Refusal {
        Refusal {
            error,
            lang,
            signed: None,
            had_session: sessions::session_from_cookies(&parts.headers).is_some(),
            uri: parts.uri.clone(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let t = texts(self.lang);
        let (status, title, message) = match &self.error {
            AppError::NotLoggedIn => {
                let mut response = if self.had_session {
                    Redirect::to(&format!("{LOGIN}?expired=1")).into_response()
                } else {
                    Redirect::to(LOGIN).into_response()
                };
                if self.had_session {
                    response
                        .headers_mut()
                        .insert(header::SET_COOKIE, sessions::cleared_cookie());
                }
                return response;
            }
            AppError::PasswordChangeRequired => return Redirect::to(PASSWORD).into_response(),
            AppError::Csrf => (StatusCode::FORBIDDEN, t.csrf_title, t.csrf.to_owned()),
            AppError::MissingRole(role) => (
                StatusCode::FORBIDDEN,
                t.forbidden_title,
                fill(t.missing_role, role_name(self.lang, role)),
            ),
            AppError::NotAssigned => (
                StatusCode::FORBIDDEN,
                t.forbidden_title,
                t.not_assigned.to_owned(),
            ),
            AppError::Restricted => (
                StatusCode::FORBIDDEN,
                t.forbidden_title,
                t.restricted.to_owned(),
            ),
            AppError::UnknownRegistration => (
                StatusCode::NOT_FOUND,
                t.not_found_title,
                t.not_found.to_owned(),
            ),
            AppError::RemovedRegistration => {
                (StatusCode::GONE, t.removed_title, t.removed.to_owned())
            }
            AppError::BadBody(_) | AppError::BadFilter(_) => (
                StatusCode::BAD_REQUEST,
                t.bad_request_title,
                t.bad_request.to_owned(),
            ),
            // Not a fault of the console: the operator must free space.
            AppError::StoreFull => (
                StatusCode::INSUFFICIENT_STORAGE,
                t.store_full_title,
                t.store_full.to_owned(),
            ),
            AppError::Storage(e) if e.is_disk_full() => {
                tracing::error!(error = %e, "the relay's store is out of space");
                (
                    StatusCode::INSUFFICIENT_STORAGE,
                    t.store_full_title,
                    t.store_full.to_owned(),
                )
            }
            other => {
                tracing::error!(error = %other, "console request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    t.internal_title,
                    t.internal.to_owned(),
                )
            }
        };
        let page = Page {
            lang: self.lang,
            title,
            uri: &self.uri,
            signed: self.signed.as_ref(),
            nav: Nav::None,
            has_errors: false,
        };
        let next = match &self.signed {
            Some(signed) if !signed.must_change_password => html! {
                p { a href="/console" { (t.go_to_list) } }
            },
            Some(_) => html! {},
            None => html! {
                p { a href=(LOGIN) { (t.go_to_login) } }
            },
        };
        html_page(
            status,
            page.render(html! {
                p { (message) }
                (next)
            }),
        )
    }
}

/// The console's address leads to the user's first page (or to the login).
async fn home(console: Result<Console, Refusal>) -> Response {
    match console {
        Ok(console) => Redirect::to(home_for(&console.caller.user)).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// Ends the session and returns to the login page.
async fn logout(
    State(state): State<AppState>,
    ConsoleForm { console, .. }: ConsoleForm<serde::de::IgnoredAny>,
) -> Response {
    let lang = console.lang;
    if let Err(error) = crate::hr::account_service::end_session(&state, console.caller).await {
        return Refusal {
            error: error.into(),
            lang,
            signed: None,
            had_session: false,
            uri: Uri::from_static(LOGIN),
        }
        .into_response();
    }
    let mut response = Redirect::to(&format!("{LOGIN}?logged_out=1")).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, sessions::cleared_cookie());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StorageError;

    /// Both forms a full disk reaches the console in: the store's own error, and a storage
    /// error passed on as it is (creating an enrollment code).
    fn full_disk_errors() -> [AppError; 2] {
        [
            AppError::StoreFull,
            AppError::Storage(StorageError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                None,
            ))),
        ]
    }

    #[tokio::test]
    async fn a_full_disk_is_its_own_page_not_a_fault() {
        for lang in [Language::Swedish, Language::English] {
            for error in full_disk_errors() {
                let refusal = Refusal {
                    error,
                    lang,
                    signed: None,
                    had_session: false,
                    uri: Uri::from_static("/console"),
                };
                let response = refusal.into_response();
                assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
                let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                    .await
                    .expect("body");
                let page = String::from_utf8_lossy(&body);
                assert!(page.contains(texts(lang).store_full), "{page}");
            }
        }
    }
}
